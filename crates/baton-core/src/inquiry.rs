//! An inquiry as it arrives, and the parsed form the pipeline works on.
//!
//! "Parse, don't validate": [`Inquiry::parse`] turns an [`InquiryInput`] into an
//! [`Inquiry`] whose fields are known good, or says which field is wrong.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Longest value accepted for a short field (name, company, …).
pub const MAX_SHORT_FIELD: usize = 300;
/// Longest message accepted.
pub const MAX_MESSAGE: usize = 20_000;
/// Most free fields accepted on one inquiry.
pub const MAX_FREE_FIELDS: usize = 50;
/// Longest free field value accepted, in characters (as JSON when it is
/// not text).
pub const MAX_FREE_FIELD_VALUE: usize = 2_000;

/// An inquiry exactly as a client sent it (API JSON, form, CSV row or e-mail).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InquiryInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub campaign: Option<String>,
    /// Anything else the form or client collected (company size, industry, …).
    #[serde(default)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// Text as a message may show it: its control characters escaped (`\0`),
/// never written on raw into a page or a terminal.
fn shown_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Why text holding the NUL character is refused: no person types it, and
/// PostgreSQL cannot store it.
const NUL_PROBLEM: &str = "must not contain the NUL character";

/// A field of an inquiry that failed to parse, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// A syntactically valid e-mail address, stored in lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` with no spaces, one `@`, a dotted domain and
    /// sane lengths; the address is trimmed and lowercased.
    pub fn parse(raw: &str) -> Result<Email, String> {
        let value = raw.trim().to_ascii_lowercase();
        let shown = shown_name(raw);
        let (local, domain) = value
            .split_once('@')
            .ok_or_else(|| format!("`{shown}` is not an e-mail address (no @)"))?;
        let bad = |why: &str| Err(format!("`{shown}` is not a valid e-mail address: {why}"));
        if local.is_empty() || local.len() > 64 {
            return bad("the part before @ must have 1 to 64 characters");
        }
        if domain.contains('@') {
            return bad("it has more than one @");
        }
        if value.len() > 254 {
            return bad("it is longer than 254 characters");
        }
        if value.chars().any(char::is_whitespace) {
            return bad("it contains spaces");
        }
        if value.chars().any(char::is_control) {
            return bad("it contains control characters");
        }
        // Outside quotes, which forms and CRMs never send, these cannot stand
        // before the @; U+FFFD is what a byte that was not UTF-8 became.
        if local
            .chars()
            .any(|c| "<>()[]\\,;:\"".contains(c) || c == char::REPLACEMENT_CHARACTER)
        {
            return bad("the part before @ may not hold < > ( ) [ ] \\ , ; : or \"");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return bad("the part before @ may not start or end with a dot, or have two in a row");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return bad("the domain must look like example.com");
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number reduced to `+` and digits, for matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Phone(String);

impl Phone {
    /// Keeps a leading `+` and the digits; separators `()-. /` are dropped.
    pub fn parse(raw: &str) -> Result<Phone, String> {
        let trimmed = raw.trim();
        let mut out = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '+' if i == 0 => out.push('+'),
                '0'..='9' => out.push(c),
                ' ' | '-' | '(' | ')' | '.' | '/' => {}
                _ => return Err(format!("`{raw}` is not a phone number (unexpected `{c}`)")),
            }
        }
        let digits = out.trim_start_matches('+').len();
        if !(6..=15).contains(&digits) {
            return Err(format!(
                "`{raw}` is not a phone number (needs 6 to 15 digits)"
            ));
        }
        Ok(Phone(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An inquiry whose fields are known good: trimmed, bounded, with at least one
/// way to reach the person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inquiry {
    pub name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub message: String,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub fields: BTreeMap<String, serde_json::Value>,
}

impl Inquiry {
    /// Parses every field and reports all problems at once, in field order.
    pub fn parse(input: &InquiryInput) -> Result<Inquiry, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut short = |field: &str, value: &Option<String>| -> Option<String> {
            let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            if v.chars().count() > MAX_SHORT_FIELD {
                errors.push(FieldError::new(
                    field,
                    format!("must be at most {MAX_SHORT_FIELD} characters"),
                ));
                return None;
            }
            if v.contains('\0') {
                errors.push(FieldError::new(field, NUL_PROBLEM));
                return None;
            }
            // One line: a line break or an escape sequence sent in a name
            // would break lists and act on terminals (the raw payload keeps
            // them).
            Some(
                v.chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect(),
            )
        };
        let name = short("name", &input.name);
        let company = short("company", &input.company);
        let title = short("title", &input.title);
        let source = short("source", &input.source).map(|s| s.to_ascii_lowercase());
        let campaign = short("campaign", &input.campaign);
        let email_raw = short("email", &input.email);
        let phone_raw = short("phone", &input.phone);

        let email = email_raw.and_then(|raw| {
            Email::parse(&raw)
                .map_err(|e| errors.push(FieldError::new("email", e)))
                .ok()
        });
        let phone = phone_raw.and_then(|raw| {
            Phone::parse(&raw)
                .map_err(|e| errors.push(FieldError::new("phone", e)))
                .ok()
        });
        let no_contact_given = input.email.as_deref().is_none_or(|e| e.trim().is_empty())
            && input.phone.as_deref().is_none_or(|p| p.trim().is_empty());
        if no_contact_given {
            errors.push(FieldError::new(
                "email",
                "an e-mail address or a phone number is required to answer the inquiry",
            ));
        }
        let message = input
            .message
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_string();
        if message.chars().count() > MAX_MESSAGE {
            errors.push(FieldError::new(
                "message",
                format!("must be at most {MAX_MESSAGE} characters"),
            ));
        }
        if message.contains('\0') {
            errors.push(FieldError::new("message", NUL_PROBLEM));
        }
        if input.fields.len() > MAX_FREE_FIELDS {
            errors.push(FieldError::new(
                "fields",
                format!("at most {MAX_FREE_FIELDS} free fields are accepted"),
            ));
        }
        if let Some(key) = input
            .fields
            .keys()
            .find(|k| k.trim().is_empty() || k.len() > 100)
        {
            errors.push(FieldError::new(
                "fields",
                format!(
                    "field name `{}` must have 1 to 100 characters",
                    shown_name(key)
                ),
            ));
        }
        for (key, value) in &input.fields {
            // Named as it reads: a control character in a name is shown
            // escaped, never sent on raw.
            let named = format!("fields.{}", shown_name(key));
            let length = match value {
                serde_json::Value::String(text) => text.chars().count(),
                other => other.to_string().chars().count(),
            };
            if length > MAX_FREE_FIELD_VALUE {
                errors.push(FieldError::new(
                    named.clone(),
                    format!("must be at most {MAX_FREE_FIELD_VALUE} characters"),
                ));
            }
            if key.contains('\0') || value.as_str().is_some_and(|text| text.contains('\0')) {
                errors.push(FieldError::new(named, NUL_PROBLEM));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Inquiry {
            name,
            email,
            phone,
            company,
            title,
            message,
            source,
            campaign,
            fields: input.fields.clone(),
        })
    }

    /// A free field as text, whatever JSON type the client used.
    pub fn field_text(&self, key: &str) -> Option<String> {
        match self.fields.get(key)? {
            serde_json::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The domain of the company: from the e-mail unless it is a free or
    /// throw-away mailbox.
    pub fn company_domain(&self) -> Option<&str> {
        let domain = self.email.as_ref()?.domain();
        let personal =
            crate::lists::is_free_mailbox(domain) || crate::lists::is_disposable_mailbox(domain);
        (!personal).then_some(domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(email: &str) -> InquiryInput {
        InquiryInput {
            email: Some(email.into()),
            ..Default::default()
        }
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let inquiry = Inquiry::parse(&input("  Ann.Lee@Example.COM ")).unwrap();
        assert_eq!(inquiry.email.unwrap().as_str(), "ann.lee@example.com");
    }

    #[test]
    fn invalid_emails_are_refused_with_the_reason() {
        for bad in [
            "ann",
            "ann@",
            "@x.com",
            "a@b",
            "a b@x.com",
            "a@@x.com",
            "a@-x.com",
            "<script>@x.com",
            "ann,bo@x.com",
            "\"ann\"@x.com",
            "\u{fffd}\u{fffd}@b.example",
            ".ann@x.com",
            "ann.@x.com",
            "ann..lee@x.com",
        ] {
            let errors = Inquiry::parse(&input(bad)).unwrap_err();
            assert_eq!(errors[0].field, "email", "{bad}");
        }
        // A control character is named as one, and shown escaped.
        assert_eq!(
            Email::parse("ctl\u{1}@x.example").unwrap_err(),
            "`ctl\\u{1}@x.example` is not a valid e-mail address: it contains control characters"
        );
        for good in [
            "o'brien@x.com",
            "ann+crm@x.com",
            "jörg@x.de",
            "a.b-c_d@x.co.uk",
        ] {
            assert!(Inquiry::parse(&input(good)).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_long_free_field_is_refused_by_name() {
        let mut long = input("ann@acme.io");
        long.fields
            .insert("notes".into(), "x".repeat(MAX_FREE_FIELD_VALUE + 1).into());
        long.fields.insert(
            "tags".into(),
            serde_json::json!(vec!["abcd"; MAX_FREE_FIELD_VALUE / 4]),
        );
        long.fields.insert("size".into(), serde_json::json!(250));
        let errors = Inquiry::parse(&long).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["fields.notes", "fields.tags"]);
    }

    #[test]
    fn text_holding_nul_is_refused_by_field() {
        let mut with_nul = input("ann@acme.io");
        with_nul.name = Some("Ann\0".into());
        with_nul.message = Some("hello\0".into());
        with_nul.fields.insert("note".into(), "a\0b".into());
        with_nul.fields.insert("cu\0stom".into(), "xy".into());
        let errors = Inquiry::parse(&with_nul).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        // A NUL in a field's own name is named escaped, never sent on raw.
        assert_eq!(
            fields,
            ["name", "message", "fields.cu\\0stom", "fields.note"]
        );
        assert!(errors.iter().all(|e| e.problem == NUL_PROBLEM));
    }

    #[test]
    fn short_fields_are_read_as_one_line() {
        let inquiry = Inquiry::parse(&InquiryInput {
            name: Some("Two\nLines\u{1b}[31mRED".into()),
            company: Some("Acme\tInc".into()),
            email: Some("two@acme.example".into()),
            message: Some("line one\nline two".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("Two Lines [31mRED"));
        assert_eq!(inquiry.company.as_deref(), Some("Acme Inc"));
        assert_eq!(
            inquiry.message, "line one\nline two",
            "a message keeps its lines"
        );
    }

    #[test]
    fn an_inquiry_needs_a_way_to_answer() {
        let errors = Inquiry::parse(&InquiryInput {
            name: Some("Ann".into()),
            message: Some("hello".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].problem.contains("required"));
    }

    #[test]
    fn phone_alone_is_enough_and_is_normalised() {
        let inquiry = Inquiry::parse(&InquiryInput {
            phone: Some("+1 (415) 555-0100".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(inquiry.phone.unwrap().as_str(), "+14155550100");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = Inquiry::parse(&InquiryInput {
            email: Some("nope".into()),
            phone: Some("call me".into()),
            name: Some("x".repeat(MAX_SHORT_FIELD + 1)),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "phone"]);
    }

    #[test]
    fn free_mailboxes_give_no_company_domain() {
        let gmail = Inquiry::parse(&input("ann@gmail.com")).unwrap();
        assert_eq!(gmail.company_domain(), None);
        let work = Inquiry::parse(&input("ann@acme.io")).unwrap();
        assert_eq!(work.company_domain(), Some("acme.io"));
        let throw_away = Inquiry::parse(&input("x@mailinator.com")).unwrap();
        assert_eq!(throw_away.company_domain(), None, "a throw-away mailbox");
    }
}
