//! Turning a stored raw inquiry back into fields, whatever channel it came
//! through. Processing always starts from the stored bytes, so a retry sees
//! exactly what the first attempt saw.

use crate::domain::Channel;
pub use crate::import::email::Staff;
use crate::inquiry::{Inquiry, InquiryInput};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Name of the hidden form field that people never fill in and bots do.
pub const HONEYPOT_FIELD: &str = "website";

/// The fields of a raw inquiry and the signals its channel carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub input: InquiryInput,
    pub honeypot_filled: bool,
}

/// Reads a form submission (`application/x-www-form-urlencoded`).
pub fn decode_form(body: &[u8]) -> Received {
    let mut input = InquiryInput::default();
    let mut honeypot_filled = false;
    for (key, value) in form_urlencoded::parse(body) {
        let value = value.trim().to_string();
        if key == HONEYPOT_FIELD {
            honeypot_filled |= !value.is_empty();
            continue;
        }
        if value.is_empty() {
            continue;
        }
        let slot = match key.as_ref() {
            "name" => &mut input.name,
            "email" => &mut input.email,
            "phone" => &mut input.phone,
            "company" => &mut input.company,
            "title" => &mut input.title,
            "message" => &mut input.message,
            "source" => &mut input.source,
            "campaign" => &mut input.campaign,
            other => {
                input.fields.insert(other.to_string(), Value::String(value));
                continue;
            }
        };
        *slot = Some(value);
    }
    Received {
        input,
        honeypot_filled,
    }
}

/// A stored raw inquiry as text for people and the API: UTF-8 as it is;
/// other bytes (an e-mail in ISO-8859-1, say) read as Latin-1, one
/// character per byte, so that no byte is lost or replaced.
pub fn raw_text(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) => text.into(),
        Err(_) => raw
            .iter()
            .map(|&byte| char::from(byte))
            .collect::<String>()
            .into(),
    }
}

/// Reads a stored raw inquiry of the given channel; `staff` are the people
/// whose forwarded e-mails are credited to the sender they forwarded.
pub fn decode(channel: Channel, raw: &[u8], staff: &Staff) -> Result<Received, String> {
    match channel {
        Channel::Form => Ok(decode_form(raw)),
        Channel::Email => crate::import::email::parse_message(raw, staff)
            .map(|input| Received {
                input,
                honeypot_filled: false,
            })
            .map_err(|e| e.to_string()),
        Channel::Api | Channel::Import | Channel::Manual => {
            serde_json::from_slice::<InquiryInput>(raw)
                .map(|input| Received {
                    input,
                    honeypot_filled: false,
                })
                .map_err(|e| format!("stored payload is not an inquiry: {e}"))
        }
    }
}

/// Reads a stored raw inquiry into a parsed inquiry and whether its form's
/// honeypot was filled in, with what the hosted form it came through gives
/// (see [`FormAttribution::apply`]) and the organisation's people (see
/// [`decode`]); the error names every field that is wrong.
pub fn read(
    channel: Channel,
    raw: &[u8],
    form: Option<&FormAttribution>,
    staff: &Staff,
) -> Result<(Inquiry, bool), String> {
    let mut received = decode(channel, raw, staff)?;
    if let Some(form) = form {
        form.apply(&mut received.input);
    }
    Inquiry::parse(&received.input)
        .map(|inquiry| (inquiry, received.honeypot_filled))
        .map_err(|errors| {
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })
}

/// What a hosted form gives every inquiry sent through it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormAttribution {
    pub campaign: Option<String>,
    pub source: Option<String>,
}

impl FormAttribution {
    /// Gives an inquiry sent through a hosted form the form's campaign and
    /// source where the form has them, before its fields are checked: a
    /// `campaign` or `source` field the visitor sent (anyone can post one,
    /// and routing rules may match a source) counts only on a form without
    /// its own, where a page's hidden field names what brought the visitor,
    /// and a visitor's value the form replaces cannot refuse the
    /// submission. The fields as sent stay in the raw inquiry.
    pub fn apply(&self, input: &mut InquiryInput) {
        if self.campaign.is_some() {
            input.campaign.clone_from(&self.campaign);
        }
        if self.source.is_some() {
            input.source.clone_from(&self.source);
        }
    }
}

/// Identifies "the same message from the same sender" for repetition checks.
pub fn content_hash(inquiry: &Inquiry) -> String {
    let sender = inquiry
        .email
        .as_ref()
        .map(|e| e.as_str().to_string())
        .or_else(|| inquiry.phone.as_ref().map(|p| p.as_str().to_string()))
        .unwrap_or_default();
    let message: String = inquiry
        .message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let digest = Sha256::digest(format!("{sender}\n{message}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The idempotency key of a payload read from a file: importing the same
/// row or message again finds this key and stores nothing new.
pub fn file_payload_key(raw: &[u8]) -> String {
    let digest = Sha256::digest(raw);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("file:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_map_and_extras_are_kept() {
        let r =
            decode_form(b"name=Ann+Lee&email=ann%40acme.io&company_size=250&website=&message=Hi");
        assert_eq!(r.input.name.as_deref(), Some("Ann Lee"));
        assert_eq!(r.input.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(r.input.fields["company_size"], "250");
        assert!(!r.honeypot_filled);
    }

    #[test]
    fn a_filled_honeypot_is_noticed_and_not_kept_as_a_field() {
        let r = decode_form(b"email=bot%40x.io&website=http%3A%2F%2Fspam.biz");
        assert!(r.honeypot_filled);
        assert!(!r.input.fields.contains_key(HONEYPOT_FIELD));
    }

    #[test]
    fn api_payloads_decode_strictly() {
        assert!(decode(Channel::Api, br#"{"email":"a@b.io"}"#, &Staff::default()).is_ok());
        assert!(
            decode(Channel::Api, br#"{"emial":"a@b.io"}"#, &Staff::default())
                .unwrap_err()
                .contains("emial")
        );
    }

    #[test]
    fn file_payload_keys_differ_by_content_only() {
        assert_eq!(file_payload_key(b"a,b"), file_payload_key(b"a,b"));
        assert_ne!(file_payload_key(b"a,b"), file_payload_key(b"a,c"));
        assert!(file_payload_key(b"").starts_with("file:"));
    }

    #[test]
    fn raw_text_keeps_every_byte() {
        assert_eq!(raw_text("Grüße".as_bytes()), "Grüße");
        let latin1 = b"d\xe9monstration, Ren\xe9";
        let text = raw_text(latin1);
        assert_eq!(text, "démonstration, René");
        let back: Vec<u8> = text.chars().map(|c| c as u8).collect();
        assert_eq!(back, latin1);
    }

    #[test]
    fn content_hash_ignores_case_and_spacing() {
        let parse = |m: &str| {
            Inquiry::parse(&InquiryInput {
                email: Some("a@b.io".into()),
                message: Some(m.into()),
                ..Default::default()
            })
            .unwrap()
        };
        assert_eq!(
            content_hash(&parse("Buy  NOW")),
            content_hash(&parse("buy now"))
        );
        assert_ne!(
            content_hash(&parse("buy now")),
            content_hash(&parse("buy later"))
        );
    }
}
