//! SLA arithmetic: when an inquiry is due, counting only the hours an
//! organisation is open.
//!
//! Opening hours are local wall-clock times in the organisation's time zone;
//! every computation turns them into instants day by day, so a day on which
//! the clocks change simply has an hour more or less of business time.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::fmt;

const MINUTES_PER_DAY: u16 = 24 * 60;

/// Day names as written in a spec, Monday first (jiff's Monday-zero offset).
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The spec word for a week without opening hours.
const CLOSED: &str = "closed";

/// The most minutes accepted before arithmetic saturates at the end of time;
/// far beyond jiff's representable range, but safe to turn into a duration.
const MAX_MINUTES: i64 = i64::MAX / 60;

/// An organisation's working week in its time zone, and its holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    /// The zone the opening hours and holidays are given in.
    pub time_zone: TimeZone,
    /// Opening hours per weekday, Monday first, in order; none means closed
    /// all day. A day may have several (a lunch break, a split shift).
    week: [Vec<DailyHours>; 7],
    holidays: BTreeSet<Date>,
}

/// One stretch of a day's opening hours, in minutes after local midnight.
///
/// Invariant: `open < close <= 24:00`, so a day's hours never cross midnight;
/// the stretches of one day neither overlap nor touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DailyHours {
    open: u16,
    close: u16,
}

impl BusinessHours {
    /// Monday–Friday 09:00–17:00 in the given zone, without holidays.
    pub fn standard(time_zone: TimeZone) -> Self {
        let nine_to_five = DailyHours {
            open: 9 * 60,
            close: 17 * 60,
        };
        let week = std::array::from_fn(|day| {
            if day < 5 {
                vec![nine_to_five]
            } else {
                Vec::new()
            }
        });
        BusinessHours {
            time_zone,
            week,
            holidays: BTreeSet::new(),
        }
    }

    /// Parses a compact spec such as `mon-fri 09:00-17:00`,
    /// `mon-thu 08:30-17:00, fri 08:30-14:00` or, with a lunch break,
    /// `mon-fri 09:00-12:00, mon-fri 13:00-17:00`.
    ///
    /// Entries are separated by commas; each names a day or a range of days
    /// (`sun-thu` wraps around the weekend) followed by opening and closing
    /// times. A day named again gets another stretch of hours, which may not
    /// overlap the ones it has (stretches that touch are one). Days not named
    /// are closed; `24:00` closes at midnight; the whole spec `closed` means
    /// no day is open. The error names the faulty part.
    pub fn parse(spec: &str, time_zone: TimeZone) -> Result<Self, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(
                "no opening hours given: expected e.g. `mon-fri 09:00-17:00`, or `closed`".into(),
            );
        }
        let mut week: [Vec<DailyHours>; 7] = Default::default();
        if !spec.eq_ignore_ascii_case(CLOSED) {
            for entry in spec.split(',').map(str::trim) {
                if entry.is_empty() {
                    return Err(format!("`{spec}` has an empty entry between commas"));
                }
                let (days, hours) = entry.split_once(char::is_whitespace).ok_or_else(|| {
                    format!("`{entry}` must be days then hours, e.g. `mon-fri 09:00-17:00`")
                })?;
                let hours = parse_daily_hours(hours.trim())?;
                for day in parse_days(days)? {
                    add_stretch(&mut week[day], hours)
                        .map_err(|taken| format!("{} {hours} overlaps {taken}", DAY_NAMES[day]))?;
                }
            }
        }
        Ok(BusinessHours {
            time_zone,
            week,
            holidays: BTreeSet::new(),
        })
    }

    /// Adds days (local dates) on which the organisation is closed.
    pub fn with_holidays(mut self, days: impl IntoIterator<Item = Date>) -> Self {
        self.holidays.extend(days);
        self
    }

    /// True when no weekday has opening hours.
    ///
    /// Business time would then never pass, so [`Self::add_business_minutes`]
    /// and [`Self::business_minutes_between`] count wall-clock time instead.
    pub fn is_always_closed(&self) -> bool {
        self.week.iter().all(Vec::is_empty)
    }

    /// The earliest instant by which `minutes` business minutes have passed
    /// since `start`.
    ///
    /// A start outside opening hours counts from the next opening; a due time
    /// that falls exactly on closing time stays there rather than moving to
    /// the next opening. `minutes <= 0` returns `start`. When
    /// [`Self::is_always_closed`], the minutes are wall-clock minutes.
    pub fn add_business_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        if minutes <= 0 {
            return start;
        }
        let mut remaining = SignedDuration::from_mins(minutes.min(MAX_MINUTES));
        if self.is_always_closed() {
            return start.checked_add(remaining).unwrap_or(Timestamp::MAX);
        }
        for (open, close) in self.open_periods_from(start) {
            let from = open.max(start);
            let available = close.duration_since(from);
            if remaining <= available {
                return from + remaining;
            }
            remaining -= available;
        }
        // The calendar ran out before the minutes did.
        Timestamp::MAX
    }

    /// Whole business minutes between two instants; 0 when `end <= start`.
    ///
    /// When [`Self::is_always_closed`], this counts wall-clock minutes, so it
    /// stays the inverse of [`Self::add_business_minutes`].
    pub fn business_minutes_between(&self, start: Timestamp, end: Timestamp) -> i64 {
        if end <= start {
            return 0;
        }
        if self.is_always_closed() {
            return end.duration_since(start).as_mins();
        }
        self.open_periods_from(start)
            .take_while(|&(open, _)| open < end)
            .map(|(open, close)| close.min(end).duration_since(open.max(start)))
            .sum::<SignedDuration>()
            .as_mins()
    }

    /// The open periods, as instants, from the one containing or following
    /// `start` onwards, day by day until the end of jiff's calendar.
    ///
    /// Callers must check [`Self::is_always_closed`] first: otherwise this
    /// would walk the whole calendar before yielding nothing.
    fn open_periods_from(&self, start: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> {
        let first_day = self.time_zone.to_datetime(start).date();
        std::iter::successors(Some(first_day), |day| day.tomorrow().ok())
            .flat_map(|day| self.open_periods(day))
            .skip_while(move |&(_, close)| close <= start)
    }

    /// The instants at which `day` opens and closes, in order; none on a
    /// closed day or a holiday.
    fn open_periods(&self, day: Date) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let stretches: &[DailyHours] = if self.holidays.contains(&day) {
            &[]
        } else {
            &self.week[weekday_index(day)]
        };
        stretches.iter().filter_map(move |hours| {
            let open = self.instant_at(day, hours.open)?;
            let close = self.instant_at(day, hours.close)?;
            // Both ends can land in the same DST gap and collapse to one instant.
            (open < close).then_some((open, close))
        })
    }

    /// The instant of a local minute of `day`; 24:00 is the next midnight.
    ///
    /// Local times skipped or repeated by a DST change resolve like jiff's
    /// "compatible" rule: the later instant in a gap, the earlier in a fold.
    fn instant_at(&self, day: Date, minute_of_day: u16) -> Option<Timestamp> {
        let (day, minute_of_day) = if minute_of_day == MINUTES_PER_DAY {
            (day.tomorrow().ok()?, 0)
        } else {
            (day, minute_of_day)
        };
        let hour = i8::try_from(minute_of_day / 60).ok()?;
        let minute = i8::try_from(minute_of_day % 60).ok()?;
        self.time_zone.to_timestamp(day.at(hour, minute, 0, 0)).ok()
    }
}

/// Writes the week as a spec that [`BusinessHours::parse`] reads back
/// (holidays and the time zone are not part of it).
impl fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_always_closed() {
            return f.write_str(CLOSED);
        }
        let mut first_entry = true;
        let mut day = 0;
        while day < 7 {
            let stretches = &self.week[day];
            // Consecutive days with the same hours share their entries.
            let mut last = day;
            while last + 1 < 7 && self.week[last + 1] == *stretches {
                last += 1;
            }
            for hours in stretches {
                if !first_entry {
                    f.write_str(", ")?;
                }
                first_entry = false;
                f.write_str(DAY_NAMES[day])?;
                if last > day {
                    write!(f, "-{}", DAY_NAMES[last])?;
                }
                write!(f, " {hours}")?;
            }
            day = last + 1;
        }
        Ok(())
    }
}

impl fmt::Display for DailyHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", TimeOfDay(self.open), TimeOfDay(self.close))
    }
}

/// Adds a stretch to a day's ordered hours, joining stretches it touches;
/// the stretch it would overlap is the error.
fn add_stretch(day: &mut Vec<DailyHours>, mut new: DailyHours) -> Result<(), DailyHours> {
    if let Some(taken) = day
        .iter()
        .find(|hours| new.open < hours.close && hours.open < new.close)
    {
        return Err(*taken);
    }
    day.retain(|hours| {
        let touches = hours.close == new.open || new.close == hours.open;
        if touches {
            new.open = new.open.min(hours.open);
            new.close = new.close.max(hours.close);
        }
        !touches
    });
    let at = day.partition_point(|hours| hours.open < new.open);
    day.insert(at, new);
    Ok(())
}

/// A minute of the day written as `HH:MM`.
struct TimeOfDay(u16);

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// How long a team has to answer an inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaTarget {
    /// Minutes of elapsed time, nights and weekends included.
    WallClockMinutes(i64),
    /// Minutes counted only while the organisation is open.
    BusinessMinutes(i64),
}

impl SlaTarget {
    /// When an inquiry received at `received` must be answered.
    ///
    /// A target of zero or fewer minutes is due on receipt.
    pub fn due_at(self, received: Timestamp, hours: &BusinessHours) -> Timestamp {
        match self {
            SlaTarget::WallClockMinutes(minutes) if minutes <= 0 => received,
            SlaTarget::WallClockMinutes(minutes) => received
                .checked_add(SignedDuration::from_mins(minutes.min(MAX_MINUTES)))
                .unwrap_or(Timestamp::MAX),
            SlaTarget::BusinessMinutes(minutes) => hours.add_business_minutes(received, minutes),
        }
    }
}

fn weekday_index(day: Date) -> usize {
    // Monday-zero offsets are 0..=6, so the cast cannot lose anything.
    day.weekday().to_monday_zero_offset() as usize
}

/// Parses `mon`, `monday` or a range `mon-fri` (wrapping: `sun-thu`) into
/// Monday-zero day indices.
fn parse_days(days: &str) -> Result<Vec<usize>, String> {
    let Some((first, last)) = days.split_once('-') else {
        return Ok(vec![parse_day(days)?]);
    };
    let (first, last) = (parse_day(first)?, parse_day(last)?);
    let length = (last + 7 - first) % 7 + 1;
    Ok((0..length).map(|offset| (first + offset) % 7).collect())
}

fn parse_day(name: &str) -> Result<usize, String> {
    let lower = name.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .zip(FULL_DAY_NAMES)
        .position(|(short, full)| lower == *short || lower == full)
        .ok_or_else(|| {
            format!("`{name}` is not a day: expected one of mon, tue, wed, thu, fri, sat, sun")
        })
}

/// Parses `09:00-17:00` (spaces around `-` allowed).
fn parse_daily_hours(hours: &str) -> Result<DailyHours, String> {
    let (open, close) = hours.split_once('-').ok_or_else(|| {
        format!("`{hours}` is not opening hours: expected opening-closing, e.g. `09:00-17:00`")
    })?;
    let open = parse_time_of_day(open.trim())?;
    let close = parse_time_of_day(close.trim())?;
    if close <= open {
        return Err(format!(
            "`{hours}` closes before it opens; hours cannot cross midnight, \
             split them instead, e.g. `mon-fri 22:00-24:00, tue-sat 00:00-06:00`"
        ));
    }
    Ok(DailyHours { open, close })
}

/// Parses `HH:MM` (or `H:MM`), `00:00` to `24:00`, into minutes after midnight.
fn parse_time_of_day(text: &str) -> Result<u16, String> {
    let invalid = || format!("`{text}` is not a time of day: expected HH:MM, e.g. `09:00`");
    let (hour, minute) = text.split_once(':').ok_or_else(invalid)?;
    let is_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let well_formed = (1..=2).contains(&hour.len()) && minute.len() == 2;
    if !well_formed || !is_digits(hour) || !is_digits(minute) {
        return Err(invalid());
    }
    let hour: u16 = hour.parse().map_err(|_| invalid())?;
    let minute: u16 = minute.parse().map_err(|_| invalid())?;
    let minute_of_day = hour * 60 + minute;
    if minute >= 60 || minute_of_day > MINUTES_PER_DAY {
        return Err(invalid());
    }
    Ok(minute_of_day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{DateTime, date};
    use proptest::prelude::*;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").expect("the system tz database has Europe/Berlin")
    }

    /// The instant of a Berlin wall-clock time.
    fn at_berlin(datetime: DateTime) -> Timestamp {
        berlin().to_timestamp(datetime).unwrap()
    }

    fn standard_berlin() -> BusinessHours {
        BusinessHours::standard(berlin())
    }

    // 2025-01-17 is a Friday; Berlin is on CET (UTC+1) all month.

    #[test]
    fn friday_afternoon_plus_two_hours_is_due_monday_morning() {
        let start = at_berlin(date(2025, 1, 17).at(16, 0, 0, 0));
        let due = standard_berlin().add_business_minutes(start, 120);
        assert_eq!(due, at_berlin(date(2025, 1, 20).at(10, 0, 0, 0)));
    }

    #[test]
    fn a_due_time_on_closing_time_stays_on_that_day() {
        let start = at_berlin(date(2025, 1, 17).at(16, 0, 0, 0));
        let due = standard_berlin().add_business_minutes(start, 60);
        assert_eq!(due, at_berlin(date(2025, 1, 17).at(17, 0, 0, 0)));
    }

    #[test]
    fn a_start_on_saturday_counts_from_monday_opening() {
        let start = at_berlin(date(2025, 1, 18).at(12, 0, 0, 0));
        let due = standard_berlin().add_business_minutes(start, 30);
        assert_eq!(due, at_berlin(date(2025, 1, 20).at(9, 30, 0, 0)));
    }

    #[test]
    fn a_start_before_opening_or_after_closing_counts_from_the_next_opening() {
        let hours = standard_berlin();
        let early = at_berlin(date(2025, 1, 15).at(6, 0, 0, 0));
        assert_eq!(
            hours.add_business_minutes(early, 45),
            at_berlin(date(2025, 1, 15).at(9, 45, 0, 0))
        );
        let late = at_berlin(date(2025, 1, 15).at(20, 0, 0, 0));
        assert_eq!(
            hours.add_business_minutes(late, 45),
            at_berlin(date(2025, 1, 16).at(9, 45, 0, 0))
        );
    }

    #[test]
    fn minutes_spanning_several_days_carry_over_whole_days() {
        // 3 full days (1440 min) + 10 min, from Monday 09:00.
        let start = at_berlin(date(2025, 1, 13).at(9, 0, 0, 0));
        let due = standard_berlin().add_business_minutes(start, 3 * 480 + 10);
        assert_eq!(due, at_berlin(date(2025, 1, 16).at(9, 10, 0, 0)));
    }

    #[test]
    fn zero_or_negative_minutes_are_due_at_the_start() {
        let saturday = at_berlin(date(2025, 1, 18).at(12, 0, 0, 0));
        assert_eq!(
            standard_berlin().add_business_minutes(saturday, 0),
            saturday
        );
        assert_eq!(
            standard_berlin().add_business_minutes(saturday, -5),
            saturday
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let hours = standard_berlin().with_holidays(vec![date(2025, 1, 20)]);
        let start = at_berlin(date(2025, 1, 17).at(16, 0, 0, 0));
        assert_eq!(
            hours.add_business_minutes(start, 120),
            at_berlin(date(2025, 1, 21).at(10, 0, 0, 0))
        );
        let tuesday_noon = at_berlin(date(2025, 1, 21).at(12, 0, 0, 0));
        assert_eq!(
            hours.business_minutes_between(start, tuesday_noon),
            60 + 180
        );
    }

    #[test]
    fn the_week_clocks_spring_forward_keeps_local_opening_hours() {
        // Berlin moves from CET to CEST on Sunday 2025-03-30.
        let hours = standard_berlin();
        let friday = at_berlin(date(2025, 3, 28).at(16, 0, 0, 0));
        let due = hours.add_business_minutes(friday, 120);
        assert_eq!(due, at_berlin(date(2025, 3, 31).at(10, 0, 0, 0)));
        assert_eq!(due.to_string(), "2025-03-31T08:00:00Z");
        // The wall clock lost an hour over the weekend, business time did not.
        assert_eq!(due.duration_since(friday).as_hours(), 65);
        assert_eq!(hours.business_minutes_between(friday, due), 120);
    }

    #[test]
    fn the_week_clocks_fall_back_keeps_local_opening_hours() {
        // Berlin moves from CEST back to CET on Sunday 2025-10-26.
        let hours = standard_berlin();
        let friday = at_berlin(date(2025, 10, 24).at(16, 0, 0, 0));
        let due = hours.add_business_minutes(friday, 120);
        assert_eq!(due.to_string(), "2025-10-27T09:00:00Z");
        assert_eq!(due.duration_since(friday).as_hours(), 67);
    }

    #[test]
    fn a_day_open_around_the_clock_has_the_length_dst_gives_it() {
        let hours = BusinessHours::parse("sun 00:00-24:00", berlin()).unwrap();
        let minutes_of_sunday = |day: Date| {
            let midnight = at_berlin(day.at(0, 0, 0, 0));
            let next = at_berlin(day.tomorrow().unwrap().at(0, 0, 0, 0));
            hours.business_minutes_between(midnight, next)
        };
        assert_eq!(minutes_of_sunday(date(2025, 3, 30)), 23 * 60);
        assert_eq!(minutes_of_sunday(date(2025, 10, 26)), 25 * 60);
        assert_eq!(minutes_of_sunday(date(2025, 1, 19)), 24 * 60);
    }

    #[test]
    fn business_minutes_between_counts_only_open_time() {
        let hours = standard_berlin();
        let friday = at_berlin(date(2025, 1, 17).at(16, 30, 0, 0));
        let monday = at_berlin(date(2025, 1, 20).at(9, 15, 0, 0));
        assert_eq!(hours.business_minutes_between(friday, monday), 30 + 15);
        assert_eq!(hours.business_minutes_between(monday, friday), 0);
        assert_eq!(hours.business_minutes_between(monday, monday), 0);
    }

    #[test]
    fn business_minutes_between_drops_partial_minutes() {
        let hours = standard_berlin();
        let start = at_berlin(date(2025, 1, 15).at(10, 0, 0, 0));
        let end = at_berlin(date(2025, 1, 15).at(10, 1, 59, 0));
        assert_eq!(hours.business_minutes_between(start, end), 1);
    }

    #[test]
    fn an_always_closed_week_falls_back_to_wall_clock_time() {
        let hours = BusinessHours::parse("closed", berlin()).unwrap();
        assert!(hours.is_always_closed());
        let saturday = at_berlin(date(2025, 1, 18).at(12, 0, 0, 0));
        let due = hours.add_business_minutes(saturday, 90);
        assert_eq!(due, at_berlin(date(2025, 1, 18).at(13, 30, 0, 0)));
        assert_eq!(hours.business_minutes_between(saturday, due), 90);
    }

    #[test]
    fn standard_hours_are_open_on_weekdays_only() {
        assert!(!standard_berlin().is_always_closed());
        assert_eq!(standard_berlin().to_string(), "mon-fri 09:00-17:00");
    }

    #[test]
    fn a_spec_with_different_hours_per_day_is_parsed() {
        let hours = BusinessHours::parse("mon-thu 08:30-17:00, fri 08:30-14:00", berlin()).unwrap();
        let friday = at_berlin(date(2025, 1, 17).at(13, 0, 0, 0));
        assert_eq!(
            hours.add_business_minutes(friday, 90),
            at_berlin(date(2025, 1, 20).at(9, 0, 0, 0))
        );
        assert_eq!(hours.to_string(), "mon-thu 08:30-17:00, fri 08:30-14:00");
    }

    #[test]
    fn a_day_range_can_wrap_around_the_weekend() {
        let hours = BusinessHours::parse("Sun-Thu 08:00-16:00", berlin()).unwrap();
        assert_eq!(hours.to_string(), "mon-thu 08:00-16:00, sun 08:00-16:00");
        let friday = at_berlin(date(2025, 1, 17).at(10, 0, 0, 0));
        assert_eq!(
            hours.add_business_minutes(friday, 60),
            at_berlin(date(2025, 1, 19).at(9, 0, 0, 0))
        );
    }

    #[test]
    fn a_spec_accepts_full_day_names_spaces_and_closing_at_midnight() {
        let hours = BusinessHours::parse(" Saturday 9:00 - 24:00 ", berlin()).unwrap();
        assert_eq!(hours.to_string(), "sat 09:00-24:00");
    }

    #[test]
    fn display_reads_back_as_the_same_week() {
        for spec in [
            "mon-fri 09:00-17:00",
            "mon 08:00-12:00, tue-wed 08:00-18:00, sat-sun 10:00-11:30",
            "mon-fri 08:00-12:00, mon-fri 13:00-17:30, sat 09:00-12:00",
            "closed",
        ] {
            let hours = BusinessHours::parse(spec, berlin()).unwrap();
            assert_eq!(hours.to_string(), spec);
            assert_eq!(
                BusinessHours::parse(&hours.to_string(), berlin()),
                Ok(hours)
            );
        }
    }

    #[test]
    fn a_day_may_have_several_stretches_of_hours() {
        let hours = BusinessHours::parse(
            "mon-fri 13:00-17:00, mon-fri 09:00-12:00, sat 10:00-11:00, sat 11:00-12:00",
            berlin(),
        )
        .unwrap();
        // Ordered, and stretches that touch are one.
        assert_eq!(
            hours.to_string(),
            "mon-fri 09:00-12:00, mon-fri 13:00-17:00, sat 10:00-12:00"
        );
        // The lunch hour does not count: 11:30 + 60 minutes is 13:30.
        let wednesday = at_berlin(date(2025, 1, 15).at(11, 30, 0, 0));
        assert_eq!(
            hours.add_business_minutes(wednesday, 60),
            at_berlin(date(2025, 1, 15).at(13, 30, 0, 0))
        );
        let during_lunch = at_berlin(date(2025, 1, 15).at(12, 20, 0, 0));
        assert_eq!(
            hours.add_business_minutes(during_lunch, 10),
            at_berlin(date(2025, 1, 15).at(13, 10, 0, 0))
        );
        assert_eq!(hours.business_minutes_between(wednesday, during_lunch), 30);
    }

    #[test]
    fn a_night_shift_crosses_midnight_as_two_stretches() {
        let hours =
            BusinessHours::parse("mon-fri 22:00-24:00, tue-sat 00:00-06:00", berlin()).unwrap();
        let monday_night = at_berlin(date(2025, 1, 13).at(23, 0, 0, 0));
        assert_eq!(
            hours.add_business_minutes(monday_night, 120),
            at_berlin(date(2025, 1, 14).at(1, 0, 0, 0))
        );
        // Tuesday's morning and night stretches are both Tuesday's.
        assert_eq!(
            hours.to_string(),
            "mon 22:00-24:00, tue-fri 00:00-06:00, tue-fri 22:00-24:00, sat 00:00-06:00"
        );
    }

    #[test]
    fn invalid_specs_are_refused_with_the_faulty_part() {
        let error = |spec: &str| BusinessHours::parse(spec, berlin()).unwrap_err();
        assert!(error("").contains("no opening hours given"));
        assert!(error("mo-fr 09:00-17:00").contains("`mo` is not a day"));
        assert!(error("mon-fri").contains("must be days then hours"));
        assert!(error("mon-fri 09:00").contains("expected opening-closing"));
        assert!(error("mon-fri 9-17").contains("`9` is not a time of day"));
        assert!(error("mon-fri 09:00-25:00").contains("`25:00` is not a time of day"));
        assert!(error("mon-fri 09:60-17:00").contains("`09:60` is not a time of day"));
        assert!(error("mon-fri 24:00-24:00").contains("closes before it opens"));
        assert!(error("mon 22:00-06:00").contains("cannot cross midnight"));
        assert_eq!(
            error("mon-fri 09:00-17:00, fri 10:00-12:00"),
            "fri 10:00-12:00 overlaps 09:00-17:00"
        );
        assert!(error("mon-fri 09:00-17:00,").contains("empty entry"));
    }

    #[test]
    fn sla_targets_count_wall_clock_or_business_time() {
        let hours = standard_berlin();
        let friday = at_berlin(date(2025, 1, 17).at(16, 0, 0, 0));
        assert_eq!(
            SlaTarget::WallClockMinutes(120).due_at(friday, &hours),
            at_berlin(date(2025, 1, 17).at(18, 0, 0, 0))
        );
        assert_eq!(
            SlaTarget::BusinessMinutes(120).due_at(friday, &hours),
            at_berlin(date(2025, 1, 20).at(10, 0, 0, 0))
        );
        assert_eq!(
            SlaTarget::WallClockMinutes(0).due_at(friday, &hours),
            friday
        );
    }

    #[test]
    fn huge_targets_saturate_instead_of_overflowing() {
        let hours = standard_berlin();
        let start = at_berlin(date(2025, 1, 17).at(16, 0, 0, 0));
        assert_eq!(
            SlaTarget::WallClockMinutes(i64::MAX).due_at(start, &hours),
            Timestamp::MAX
        );
        let closed = BusinessHours::parse("closed", berlin()).unwrap();
        assert_eq!(closed.add_business_minutes(start, i64::MAX), Timestamp::MAX);
    }

    /// Berlin hours with a few holidays, so the properties cross DST changes,
    /// weekends and closed weekdays.
    fn property_hours() -> BusinessHours {
        BusinessHours::parse(
            "mon-thu 08:30-12:00, mon-thu 12:45-17:00, fri 08:30-14:00, sat 10:00-12:00",
            berlin(),
        )
        .unwrap()
        .with_holidays([date(2025, 3, 31), date(2025, 10, 27), date(2025, 12, 25)])
    }

    /// Instants from 2024 to 2027, to the second.
    fn instant() -> impl Strategy<Value = Timestamp> {
        (1_704_067_200_i64..1_798_761_600)
            .prop_map(|second| Timestamp::from_second(second).unwrap())
    }

    proptest! {
        #[test]
        fn business_minutes_between_undoes_add_business_minutes(
            start in instant(),
            minutes in 0_i64..100_000,
        ) {
            let hours = property_hours();
            let due = hours.add_business_minutes(start, minutes);
            prop_assert_eq!(hours.business_minutes_between(start, due), minutes);
        }

        #[test]
        fn adding_in_two_steps_equals_adding_at_once(
            start in instant(),
            first in 0_i64..20_000,
            second in 0_i64..20_000,
        ) {
            let hours = property_hours();
            let in_steps = hours.add_business_minutes(hours.add_business_minutes(start, first), second);
            prop_assert_eq!(in_steps, hours.add_business_minutes(start, first + second));
        }
    }
}
