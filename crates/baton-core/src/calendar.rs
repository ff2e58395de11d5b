//! Calendar days and quarters as people write them: `2026-07-31`, `2026-Q3`.

use jiff::ToSpan;
use jiff::civil::Date;
use std::fmt;
use std::str::FromStr;

/// The years a business date may fall in. Outside them a date is a typo
/// (year 1 for 2001), and far dates would overflow the arithmetic reports
/// do on them.
pub const BUSINESS_YEARS: std::ops::RangeInclusive<i16> = 1900..=2199;

/// Refuses a date outside [`BUSINESS_YEARS`], quoting `raw` as written.
pub fn within_business_years(date: Date, raw: &str) -> Result<Date, String> {
    if BUSINESS_YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(format!(
            "`{raw}` is outside the years {} to {}",
            BUSINESS_YEARS.start(),
            BUSINESS_YEARS.end()
        ))
    }
}

/// Reads a day written `YYYY-MM-DD`, within [`BUSINESS_YEARS`].
pub fn parse_date(raw: &str) -> Result<Date, String> {
    let text = raw.trim();
    // jiff also reads other forms; only the plain day is accepted.
    let shaped = text.len() == 10
        && text.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(format!("`{raw}` is not a date like 2026-07-31"));
    }
    let date = text
        .parse::<Date>()
        .map_err(|_| format!("`{raw}` is not a day of the calendar"))?;
    within_business_years(date, raw)
}

/// Reads a wall-clock time written `YYYY-MM-DDTHH:MM` (as a browser's
/// date-and-time field sends it) in `zone`, within [`BUSINESS_YEARS`]. A
/// day alone is refused rather than read as midnight, and so is a time the
/// clocks skip when they move forward; a time they pass twice is the first.
pub fn parse_local_time(raw: &str, zone: &jiff::tz::TimeZone) -> Result<jiff::Zoned, String> {
    let text = raw.trim();
    if parse_date(text).is_ok() {
        return Err(format!(
            "`{raw}` is a day without a time: add one, like {text}T10:00"
        ));
    }
    let local = text
        .parse::<jiff::civil::DateTime>()
        .map_err(|_| format!("`{raw}` is not a day and time like 2026-12-20T10:00"))?;
    within_business_years(local.date(), raw)?;
    let ambiguous = zone.to_ambiguous_zoned(local);
    if matches!(ambiguous.offset(), jiff::tz::AmbiguousOffset::Gap { .. }) {
        return Err(format!(
            "`{raw}` does not happen in {}: the clocks move forward over it",
            zone.iana_name().unwrap_or("the organisation's time zone")
        ));
    }
    ambiguous.compatible().map_err(|e| format!("`{raw}`: {e}"))
}

/// A calendar quarter, written like `2026-Q3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    year: i16,
    number: i8,
}

impl Quarter {
    /// Reads `YYYY-QN` with N from 1 to 4.
    pub fn parse(raw: &str) -> Result<Quarter, String> {
        let bad = || format!("`{raw}` is not a quarter like 2026-Q3");
        let (year, number) = raw.trim().split_once("-Q").ok_or_else(bad)?;
        if year.len() != 4 || !year.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i16 = year.parse().map_err(|_| bad())?;
        if !BUSINESS_YEARS.contains(&year) {
            return Err(format!(
                "`{raw}` is outside the years {} to {}",
                BUSINESS_YEARS.start(),
                BUSINESS_YEARS.end()
            ));
        }
        let number: i8 = match number {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            n if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
                return Err(format!("`{raw}`: quarters are numbered 1 to 4, not {n}"));
            }
            _ => return Err(bad()),
        };
        Ok(Quarter { year, number })
    }

    /// The quarter that holds `date`.
    pub fn containing(date: Date) -> Quarter {
        Quarter {
            year: date.year(),
            number: (date.month() - 1) / 3 + 1,
        }
    }

    /// Its first day: 1 January, 1 April, 1 July or 1 October.
    pub fn first_day(self) -> Date {
        jiff::civil::date(self.year, (self.number - 1) * 3 + 1, 1)
    }

    /// Its last day: 31 March, 30 June, 30 September or 31 December.
    pub fn last_day(self) -> Date {
        let first = self.first_day();
        first
            .checked_add(3.months())
            .and_then(|next| next.checked_sub(1.day()))
            .unwrap_or(first.last_of_year())
    }
}

impl Quarter {
    /// The quarter before this one.
    pub fn previous(self) -> Quarter {
        Quarter::containing(
            self.first_day()
                .checked_sub(1.day())
                .unwrap_or(self.first_day()),
        )
    }

    /// Up to `count` quarters ending with this one, oldest first; fewer
    /// when earlier ones would fall before [`BUSINESS_YEARS`].
    pub fn ending_with(self, count: usize) -> Vec<Quarter> {
        let mut quarters = vec![self];
        while quarters.len() < count {
            let earlier = quarters[0].previous();
            if earlier == quarters[0] || !BUSINESS_YEARS.contains(&earlier.year) {
                break;
            }
            quarters.insert(0, earlier);
        }
        quarters
    }

    /// The quarter after this one.
    pub fn next(self) -> Quarter {
        Quarter::containing(
            self.last_day()
                .checked_add(1.day())
                .unwrap_or(self.last_day()),
        )
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.number)
    }
}

impl FromStr for Quarter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quarter::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn quarters_step_across_years() {
        let q1 = Quarter::parse("2026-Q1").unwrap();
        assert_eq!(q1.previous().to_string(), "2025-Q4");
        assert_eq!(q1.previous().next(), q1);
        assert_eq!(
            Quarter::parse("2026-Q4").unwrap().next().to_string(),
            "2027-Q1"
        );
    }

    #[test]
    fn a_trend_starts_no_earlier_than_the_first_business_year() {
        let names = |q: &str, count| -> Vec<String> {
            let quarters = Quarter::parse(q).unwrap().ending_with(count);
            quarters.iter().map(ToString::to_string).collect()
        };
        assert_eq!(
            names("2026-Q2", 4),
            ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
        );
        assert_eq!(names("1900-Q2", 4), ["1900-Q1", "1900-Q2"]);
        assert_eq!(names("1900-Q1", 4), ["1900-Q1"]);
    }

    #[test]
    fn a_wall_clock_time_needs_its_time_and_must_happen_in_the_zone() {
        let zone = jiff::tz::TimeZone::get("America/New_York").unwrap();
        let read = |raw| parse_local_time(raw, &zone);
        let ten = read("2026-12-20T10:00").unwrap();
        assert_eq!(ten.timestamp().to_string(), "2026-12-20T15:00:00Z");
        assert!(
            read("2026-12-20")
                .unwrap_err()
                .contains("a day without a time")
        );
        assert!(
            read("0001-01-01T10:00")
                .unwrap_err()
                .contains("`0001-01-01T10:00` is outside the years")
        );
        assert!(
            read("2027-03-14T02:30")
                .unwrap_err()
                .contains("does not happen in America/New_York")
        );
        assert!(read("soon").unwrap_err().contains("not a day and time"));
        // An hour that happens twice is its first.
        let twice = read("2026-11-01T01:30").unwrap();
        assert_eq!(twice.timestamp().to_string(), "2026-11-01T05:30:00Z");
    }

    #[test]
    fn days_are_read_in_one_form_only() {
        assert_eq!(parse_date("2026-07-31"), Ok(date(2026, 7, 31)));
        assert_eq!(parse_date(" 2024-02-29 "), Ok(date(2024, 2, 29)));
        assert!(parse_date("2026-02-30").unwrap_err().contains("not a day"));
        for bad in [
            "31/07/2026",
            "2026-7-31",
            "2026-07-31T00:00",
            "",
            "tomorrow",
        ] {
            assert!(parse_date(bad).unwrap_err().contains("2026-07-31"), "{bad}");
        }
        assert_eq!(parse_date("1900-01-01"), Ok(date(1900, 1, 1)));
        assert_eq!(parse_date("2199-12-31"), Ok(date(2199, 12, 31)));
        for typo in ["0001-03-31", "1899-12-31", "2200-01-01", "9999-12-31"] {
            assert_eq!(
                parse_date(typo).unwrap_err(),
                format!("`{typo}` is outside the years 1900 to 2199")
            );
        }
        assert!(
            Quarter::parse("9999-Q4")
                .unwrap_err()
                .contains("outside the years")
        );
    }

    #[test]
    fn quarters_parse_print_and_span_their_months() {
        let q3 = Quarter::parse("2026-Q3").unwrap();
        assert_eq!(q3.to_string(), "2026-Q3");
        assert_eq!(q3.first_day(), date(2026, 7, 1));
        assert_eq!(q3.last_day(), date(2026, 9, 30));
        let q1 = Quarter::parse("2024-Q1").unwrap();
        assert_eq!(q1.last_day(), date(2024, 3, 31));
        assert_eq!(
            Quarter::parse("2025-Q4").unwrap().last_day(),
            date(2025, 12, 31)
        );
        assert_eq!(
            Quarter::containing(date(2026, 5, 15)).to_string(),
            "2026-Q2"
        );
    }

    #[test]
    fn bad_quarters_say_what_is_wrong() {
        assert!(
            Quarter::parse("2026-Q5")
                .unwrap_err()
                .contains("numbered 1 to 4")
        );
        assert!(
            Quarter::parse("2026-Q0")
                .unwrap_err()
                .contains("numbered 1 to 4")
        );
        for bad in ["2026Q3", "26-Q3", "2026-q3", "2026-Q", "Q3-2026", ""] {
            assert!(
                Quarter::parse(bad).unwrap_err().contains("like 2026-Q3"),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_day_falls_inside_its_quarter(year in 1900_i16..2200, ordinal in 0_i32..365) {
            let day = date(year, 1, 1).checked_add(ordinal.days()).unwrap();
            let quarter = Quarter::containing(day);
            prop_assert!(quarter.first_day() <= day && day <= quarter.last_day());
            prop_assert_eq!(Quarter::parse(&quarter.to_string()), Ok(quarter));
        }
    }
}
