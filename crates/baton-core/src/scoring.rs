//! Lead score by configurable points for fit, intent and engagement, capped
//! to 0–100 and graded. Every point awarded is a reason.

use crate::decision::{Reason, Score};
use crate::domain::{Grade, Intent};
use crate::inquiry::Inquiry;
use serde::{Deserialize, Serialize};

/// Version recorded on every score computed by these rules.
pub const RULES_VERSION: &str = "points-1";

/// Points per signal. Stored as organisation settings; the defaults suit a
/// B2B company selling to mid-sized firms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    /// (minimum employees, points), checked from the largest band down.
    pub company_size_bands: Vec<(u32, u8)>,
    /// Title words that mark a decision maker.
    pub decision_maker_titles: Vec<String>,
    pub decision_maker_points: u8,
    pub manager_title_points: u8,
    pub target_industries: Vec<String>,
    pub target_industry_points: u8,
    pub business_email_points: u8,
    pub company_named_points: u8,
    pub intent_points: Vec<(Intent, u8)>,
    /// A message at least this long shows real engagement.
    pub detailed_message_chars: usize,
    pub detailed_message_points: u8,
    pub phone_given_points: u8,
    /// Pages viewed (free field `pages_viewed`) at or above which points are given.
    pub engaged_pages: u32,
    pub engaged_pages_points: u8,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig {
            company_size_bands: vec![(1000, 25), (200, 20), (50, 15), (10, 8), (1, 3)],
            decision_maker_titles: [
                "ceo",
                "cto",
                "cfo",
                "coo",
                "cmo",
                "cio",
                "chief",
                "founder",
                "owner",
                "president",
                "vp",
                "vice president",
                "director",
                "head of",
                "partner",
            ]
            .map(String::from)
            .to_vec(),
            decision_maker_points: 20,
            manager_title_points: 10,
            target_industries: [
                "software",
                "manufacturing",
                "finance",
                "healthcare",
                "logistics",
            ]
            .map(String::from)
            .to_vec(),
            target_industry_points: 10,
            business_email_points: 10,
            company_named_points: 5,
            intent_points: vec![
                (Intent::Rfp, 25),
                (Intent::NewBusiness, 15),
                (Intent::CustomerRequest, 10),
            ],
            detailed_message_chars: 120,
            detailed_message_points: 10,
            phone_given_points: 5,
            engaged_pages: 5,
            engaged_pages_points: 10,
        }
    }
}

/// Reads a head count like `250`, `200-500`, `1,000+`, `1 200`, `10k` or
/// `51–200` as its lower bound. A negative number or one in exponent form
/// is no head count.
pub fn parse_head_count(text: &str) -> Option<u32> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    if text[..start].trim_end().ends_with(['-', '\u{2212}']) {
        return None;
    }
    let rest = &text.as_bytes()[start..];
    let digit_at = |i: usize| rest.get(i).is_some_and(u8::is_ascii_digit);
    let mut whole = 0_f64;
    let mut i = 0;
    loop {
        while digit_at(i) {
            whole = whole * 10.0 + f64::from(rest[i] - b'0');
            i += 1;
        }
        // A `,` or a space before exactly three digits separates thousands.
        let grouped = matches!(rest.get(i), Some(b',' | b' '))
            && (1..=3).all(|k| digit_at(i + k))
            && !digit_at(i + 4);
        if !grouped {
            break;
        }
        i += 1;
    }
    let mut fraction = 0_f64;
    if rest.get(i) == Some(&b'.') && digit_at(i + 1) {
        let mut scale = 0.1;
        i += 1;
        while digit_at(i) {
            fraction += scale * f64::from(rest[i] - b'0');
            scale /= 10.0;
            i += 1;
        }
    }
    let next_is_letter = |at: usize| rest.get(at).is_some_and(u8::is_ascii_alphabetic);
    let multiplier = match rest.get(i) {
        Some(b'e' | b'E') if digit_at(i + 1) || matches!(rest.get(i + 1), Some(b'+' | b'-')) => {
            return None;
        }
        Some(b'k' | b'K') if !next_is_letter(i + 1) => 1_000.0,
        Some(b'm' | b'M') if !next_is_letter(i + 1) => 1_000_000.0,
        _ => 1.0,
    };
    let count = ((whole + fraction) * multiplier).floor();
    (count <= f64::from(u32::MAX)).then_some(count as u32)
}

/// Scores an inquiry whose intent is known.
pub fn score(inquiry: &Inquiry, intent: Intent, config: &ScoringConfig) -> Score {
    let mut reasons = Vec::new();
    let mut award = |code: &str, points: u8, text: String| {
        if points > 0 {
            reasons.push(Reason::new(code, f64::from(points), text));
        }
    };

    let size = ["company_size", "employees", "head_count"]
        .iter()
        .find_map(|k| inquiry.field_text(k))
        .and_then(|s| parse_head_count(&s));
    if let Some(size) = size
        && let Some((min, points)) = config
            .company_size_bands
            .iter()
            .find(|(min, _)| size >= *min)
    {
        let people = if size == 1 { "person" } else { "people" };
        award(
            "company_size",
            *points,
            format!("company of {size} {people} (band {min}+)"),
        );
    }
    if let Some(title) = &inquiry.title {
        let lower = title.to_lowercase();
        let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
        let has = |t: &str| {
            if t.contains(' ') {
                lower.contains(t)
            } else {
                words.contains(&t)
            }
        };
        if let Some(found) = config.decision_maker_titles.iter().find(|t| has(t)) {
            award(
                "decision_maker",
                config.decision_maker_points,
                format!("title “{title}” marks a decision maker ({found})"),
            );
        } else if has("manager") || has("lead") {
            award(
                "manager_title",
                config.manager_title_points,
                format!("title “{title}” manages a team"),
            );
        }
    }
    if let Some(industry) = inquiry.field_text("industry")
        && config
            .target_industries
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&industry))
    {
        award(
            "target_industry",
            config.target_industry_points,
            format!("{industry} is a target industry"),
        );
    }
    if let Some(domain) = inquiry.company_domain() {
        award(
            "business_email",
            config.business_email_points,
            format!("writes from a company address at {domain}"),
        );
    }
    if let Some(company) = &inquiry.company {
        award(
            "company_named",
            config.company_named_points,
            format!("names the company {company}"),
        );
    }
    if let Some((_, points)) = config.intent_points.iter().find(|(i, _)| *i == intent) {
        award("intent", *points, format!("intent is {intent}"));
    }
    let chars = inquiry.message.chars().count();
    if chars >= config.detailed_message_chars {
        award(
            "detailed_message",
            config.detailed_message_points,
            format!("a detailed message of {chars} characters"),
        );
    }
    if inquiry.phone.is_some() {
        award(
            "phone_given",
            config.phone_given_points,
            "left a phone number".to_string(),
        );
    }
    if let Some(pages) = inquiry
        .field_text("pages_viewed")
        .and_then(|p| p.parse::<u32>().ok())
        && pages >= config.engaged_pages
    {
        award(
            "pages_viewed",
            config.engaged_pages_points,
            format!("viewed {pages} pages before writing"),
        );
    }
    let total: f64 = reasons.iter().map(|r| r.weight).sum();
    let value = total.clamp(0.0, 100.0) as u8;
    Score {
        value,
        grade: Grade::from_score(value),
        reasons,
        version: RULES_VERSION.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inquiry::InquiryInput;
    use proptest::prelude::*;

    fn inquiry(input: InquiryInput) -> Inquiry {
        Inquiry::parse(&input).unwrap()
    }

    #[test]
    fn a_strong_lead_is_grade_a_with_every_factor_explained() {
        let lead = inquiry(InquiryInput {
            email: Some("cfo@bigcorp.com".into()),
            title: Some("CFO".into()),
            company: Some("BigCorp".into()),
            phone: Some("+1 415 555 0100".into()),
            fields: [("company_size".to_string(), serde_json::json!("1,200"))].into(),
            ..Default::default()
        });
        let s = score(&lead, Intent::Rfp, &ScoringConfig::default());
        assert_eq!(s.value, 25 + 20 + 10 + 5 + 25 + 5);
        assert_eq!(s.grade, Grade::A);
        let codes: Vec<_> = s.reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "company_size",
                "decision_maker",
                "business_email",
                "company_named",
                "intent",
                "phone_given"
            ]
        );
    }

    #[test]
    fn a_bare_free_mail_inquiry_is_grade_d() {
        let lead = inquiry(InquiryInput {
            email: Some("someone@gmail.com".into()),
            ..Default::default()
        });
        let s = score(&lead, Intent::Other, &ScoringConfig::default());
        assert_eq!((s.value, s.grade), (0, Grade::D));
    }

    #[test]
    fn head_counts_are_read_in_common_shapes() {
        assert_eq!(parse_head_count("250"), Some(250));
        assert_eq!(parse_head_count("51-200"), Some(51));
        assert_eq!(parse_head_count("1,000+"), Some(1000));
        assert_eq!(parse_head_count("about 40 people"), Some(40));
        assert_eq!(parse_head_count("many"), None);
        assert_eq!(parse_head_count("1 200"), Some(1200));
        assert_eq!(parse_head_count("12,500 staff"), Some(12_500));
        assert_eq!(parse_head_count("10k"), Some(10_000));
        assert_eq!(parse_head_count("1.5K+"), Some(1_500));
        assert_eq!(parse_head_count("2M"), Some(2_000_000));
        assert_eq!(parse_head_count("10 km away"), Some(10));
        assert_eq!(parse_head_count("12 500"), Some(12_500));
        assert_eq!(parse_head_count("1 2000"), Some(1), "not a group of three");
        assert_eq!(parse_head_count("-5"), None);
        assert_eq!(parse_head_count(" − 5"), None);
        assert_eq!(parse_head_count("1e308"), None);
        assert_eq!(parse_head_count("5000000000"), None);
    }

    #[test]
    fn a_manager_title_is_not_a_decision_maker() {
        let lead = inquiry(InquiryInput {
            email: Some("m@acme.io".into()),
            title: Some("IT Manager".into()),
            ..Default::default()
        });
        let s = score(&lead, Intent::Support, &ScoringConfig::default());
        assert!(s.reasons.iter().any(|r| r.code == "manager_title"));
        assert!(!s.reasons.iter().any(|r| r.code == "decision_maker"));
    }

    proptest! {
        #[test]
        fn score_stays_within_0_100_and_grade_matches(
            title in proptest::option::of("[A-Za-z ]{0,30}"),
            message in "[a-z ]{0,300}",
            size in 0u32..100_000,
            points in 0u8..=100,
        ) {
            let config = ScoringConfig { decision_maker_points: points, ..Default::default() };
            let lead = inquiry(InquiryInput {
                email: Some("a@acme.io".into()),
                title,
                message: Some(message),
                fields: [("employees".to_string(), serde_json::json!(size))].into(),
                ..Default::default()
            });
            let s = score(&lead, Intent::Rfp, &config);
            prop_assert!(s.value <= 100);
            prop_assert_eq!(s.grade, Grade::from_score(s.value));
        }
    }
}
