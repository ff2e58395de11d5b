//! Money at the edges: amounts arrive as decimal text in a currency's major
//! units ("1250.50 USD") and are kept as integer minor units (125050 cents).

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Currency used when neither the request nor the organisation names one.
pub const FALLBACK_CURRENCY: &str = "USD";

/// An ISO 4217 currency code: three uppercase letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Currency(String);

/// The ISO 4217 codes in use (currencies, funds and units of account), in
/// order. Money in a made-up code would count in no report.
const ISO_4217: [&str; 171] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE",
    "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS",
    "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD",
    "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND",
    "VUV", "WST", "XAF", "XCD", "XCG", "XDR", "XOF", "XPF", "XSU", "XUA", "YER", "ZAR", "ZMW",
    "ZWG", "ZWL",
];

impl Currency {
    /// Accepts an ISO 4217 code in use, such as `EUR`, in capitals.
    pub fn parse(raw: &str) -> Result<Currency, String> {
        let code = raw.trim();
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "`{raw}` is not a currency code: use three uppercase letters like USD or EUR"
            ));
        }
        if ISO_4217.binary_search(&code).is_err() {
            return Err(format!(
                "`{code}` is not an ISO 4217 currency code, like USD or EUR"
            ));
        }
        Ok(Currency(code.to_string()))
    }

    /// The code, like `EUR`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point (ISO 4217 minor unit): 2 for most,
    /// 0 for the yen and its like, 3 for the dinars, 4 for the units of account.
    pub fn decimals(&self) -> u32 {
        match self.0.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            "CLF" | "UYW" => 4,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount as a client sent it, a decimal string (`"1250.50"`) or a JSON
/// number (`1250.5`), kept as text until its currency is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(pub String);

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DecimalVisitor;

        impl Visitor<'_> for DecimalVisitor {
            type Value = Decimal;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount as a decimal string like \"1250.50\" or a number")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }

            // Rust prints floats in their shortest exact form and never with
            // an exponent, so 12.345 stays "12.345" and is refused as such.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }
        }

        deserializer.deserialize_any(DecimalVisitor)
    }
}

impl utoipa::PartialSchema for Decimal {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .examples(["1250.50"]),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .description(Some(
                "An amount in the currency's major units, as a decimal string or a number",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Decimal {}

/// Minor units of `currency` in `10^decimals`.
fn unit(currency: &Currency) -> i64 {
    10_i64.pow(currency.decimals())
}

/// The largest amount accepted, in minor units: 100 billion dollars. Far
/// above any real deal or budget, and far enough below `i64::MAX` that
/// reports can add up hundreds of thousands of them without overflow.
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;

/// Reads a non-negative amount in major units (`"1250.50"`) as minor units
/// of `currency` (`125050`). Amounts in Baton are never negative; thousands
/// separators, more decimals than the currency has and amounts above
/// [`MAX_AMOUNT_MINOR`] are refused.
pub fn parse_amount(text: &str, currency: &Currency) -> Result<i64, String> {
    parse_amount_in_units(text, currency, 1)
}

/// Reads a non-negative amount counted in units of `scale` major units (a
/// file's revenue in millions: `"1.234"` with scale 1,000,000) as minor
/// units of `currency`. The decimals allowed are those that still give
/// whole minor units once scaled, and the largest amount is named in the
/// same units.
pub fn parse_amount_in_units(text: &str, currency: &Currency, scale: i64) -> Result<i64, String> {
    let trimmed = text.trim();
    let decimals = currency.decimals() as usize;
    if trimmed.is_empty() {
        return Err("an amount is required, like 1250.50".into());
    }
    if trimmed.starts_with('-') {
        return Err(format!("`{text}` is negative; amounts are zero or more"));
    }
    if trimmed.contains(',') {
        return Err(format!(
            "`{text}`: write amounts without thousands separators and with a dot for decimals, like 1250.50"
        ));
    }
    let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || (trimmed.contains('.') && !digits(fraction)) {
        return Err(format!("`{text}` is not an amount like 1250.50"));
    }
    let in_units = if scale == 1 {
        String::new()
    } else {
        format!(" in units of {scale} {currency}")
    };
    let too_many_decimals =
        || format!("`{text}` has too many decimals: {currency} takes at most {decimals}{in_units}");
    if scale == 1 && fraction.len() > decimals {
        return Err(too_many_decimals());
    }
    let largest = i128::from(MAX_AMOUNT_MINOR) / i128::from(scale.max(1));
    let too_large = || {
        format!(
            "`{text}` is too large: amounts{in_units} go up to {}",
            format_minor(i64::try_from(largest).unwrap_or(MAX_AMOUNT_MINOR), currency)
        )
    };
    // minor = whole.fraction × scale × 10^decimals, exact in 128 bits: at
    // most 38 digits are read, more are too large or too precise anyway.
    let number: i128 = format!("{whole}{fraction}")
        .parse()
        .map_err(|_| too_large())?;
    let shift = 10_i128
        .checked_pow(fraction.len() as u32)
        .ok_or_else(too_many_decimals)?;
    let scaled = number
        .checked_mul(i128::from(scale) * i128::from(unit(currency)))
        .ok_or_else(too_large)?;
    if scaled % shift != 0 {
        return Err(too_many_decimals());
    }
    i64::try_from(scaled / shift)
        .ok()
        .filter(|minor| *minor <= MAX_AMOUNT_MINOR)
        .ok_or_else(too_large)
}

/// Minor units as decimal text in major units, with as many decimals as the
/// currency has: `format_minor(125050, USD)` is `"1250.50"`.
pub fn format_minor(minor: i64, currency: &Currency) -> String {
    let decimals = currency.decimals() as usize;
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    let unit = unit(currency) as u64;
    if decimals == 0 {
        format!("{sign}{magnitude}")
    } else {
        format!("{sign}{}.{:0decimals$}", magnitude / unit, magnitude % unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }

    #[test]
    fn only_codes_in_use_are_currencies() {
        for good in ["USD", "EUR", "JPY", "CHF", "XOF", "ZWG"] {
            assert!(Currency::parse(good).is_ok(), "{good}");
        }
        assert!(Currency::parse("ZZZ").unwrap_err().contains("ISO 4217"));
        assert!(Currency::parse("usd").unwrap_err().contains("uppercase"));
        assert!(
            ISO_4217.windows(2).all(|pair| pair[0] < pair[1]),
            "sorted, once each"
        );
    }

    #[test]
    fn amounts_become_minor_units_of_their_currency() {
        assert_eq!(parse_amount("1250.50", &code("USD")), Ok(125_050));
        assert_eq!(parse_amount("1250.5", &code("USD")), Ok(125_050));
        assert_eq!(parse_amount(" 12 ", &code("EUR")), Ok(1_200));
        assert_eq!(parse_amount("0", &code("USD")), Ok(0));
        assert_eq!(parse_amount("1500", &code("JPY")), Ok(1_500));
        assert_eq!(parse_amount("1.234", &code("KWD")), Ok(1_234));
    }

    #[test]
    fn bad_amounts_say_what_is_wrong() {
        let usd = code("USD");
        let err = parse_amount("12.345", &usd).unwrap_err();
        assert!(err.contains("too many decimals"), "{err}");
        assert!(err.contains("USD takes at most 2"), "{err}");
        assert!(
            parse_amount("15.5", &code("JPY"))
                .unwrap_err()
                .contains("at most 0")
        );
        assert!(parse_amount("-5", &usd).unwrap_err().contains("negative"));
        assert!(
            parse_amount("1,250.00", &usd)
                .unwrap_err()
                .contains("thousands")
        );
        for bad in ["abc", "1.", ".5", "1e3", "1.2.3", "+5", ""] {
            assert!(parse_amount(bad, &usd).is_err(), "{bad}");
        }
        assert!(
            parse_amount("99999999999999999999", &usd)
                .unwrap_err()
                .contains("too large")
        );
        assert_eq!(
            parse_amount("100000000000.00", &usd),
            Ok(MAX_AMOUNT_MINOR),
            "the largest amount"
        );
        assert_eq!(
            parse_amount("100000000000.01", &usd).unwrap_err(),
            "`100000000000.01` is too large: amounts go up to 100000000000.00"
        );
    }

    #[test]
    fn amounts_in_larger_units_keep_the_decimals_that_still_make_whole_cents() {
        let usd = code("USD");
        let millions = |text| parse_amount_in_units(text, &usd, 1_000_000);
        assert_eq!(millions("1.234"), Ok(123_400_000));
        assert_eq!(millions("0.00000001"), Ok(1), "one cent");
        assert_eq!(
            millions("0.000000001").unwrap_err(),
            "`0.000000001` has too many decimals: USD takes at most 2 in units of 1000000 USD"
        );
        assert_eq!(millions("100000"), Ok(MAX_AMOUNT_MINOR));
        assert_eq!(
            millions("100000.01").unwrap_err(),
            "`100000.01` is too large: amounts in units of 1000000 USD go up to 100000.00"
        );
        assert_eq!(parse_amount_in_units("1.5", &code("JPY"), 1_000), Ok(1_500));
    }

    #[test]
    fn currencies_are_three_uppercase_letters() {
        assert_eq!(code("EUR").as_str(), "EUR");
        for bad in ["eur", "EURO", "E1R", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minor_units_print_with_the_currency_decimals() {
        assert_eq!(format_minor(125_050, &code("USD")), "1250.50");
        assert_eq!(format_minor(5, &code("USD")), "0.05");
        assert_eq!(format_minor(-5, &code("USD")), "-0.05");
        assert_eq!(format_minor(1_500, &code("JPY")), "1500");
        assert_eq!(format_minor(1_234, &code("KWD")), "1.234");
    }

    #[test]
    fn numbers_and_strings_are_both_read_as_text() {
        let read = |json: &str| serde_json::from_str::<Decimal>(json).unwrap().0;
        assert_eq!(read("\"12.50\""), "12.50");
        assert_eq!(read("12.5"), "12.5");
        assert_eq!(read("12"), "12");
        assert_eq!(read("12.345"), "12.345");
        assert!(serde_json::from_str::<Decimal>("true").is_err());
    }

    proptest! {
        #[test]
        fn formatted_amounts_parse_back(
            minor in 0_i64..=MAX_AMOUNT_MINOR,
            currency in prop::sample::select(vec!["USD", "JPY", "KWD", "CLF"]),
        ) {
            let currency = code(currency);
            prop_assert_eq!(parse_amount(&format_minor(minor, &currency), &currency), Ok(minor));
        }

        #[test]
        fn parsed_amounts_format_back(whole in 0_i64..1_000_000_000, cents in 0_i64..100) {
            let usd = code("USD");
            let text = format!("{whole}.{cents:02}");
            prop_assert_eq!(format_minor(parse_amount(&text, &usd).unwrap(), &usd), text);
        }
    }
}
