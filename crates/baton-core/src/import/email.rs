//! Inquiries from e-mail: single messages (`.eml`) and mailboxes (`mbox`),
//! including inquiries that sales staff forwarded from their own mailboxes.

use crate::inquiry::{InquiryInput, MAX_MESSAGE};
use mail_parser::{Message, MessageParser};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

/// Why one e-mail message could not become an inquiry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("not an e-mail message (found no From, Subject, Date or Message-ID header)")]
    NotAnEmail,
    #[error("no From address")]
    NoFromAddress,
    #[error("the From header, `{0}`, holds no e-mail address")]
    FromWithoutAddress(String),
}

/// The organisation's people, known by e-mail address, whose forwards are
/// credited to the sender they forwarded. Anyone else's forward is their own
/// message: a forward marker and a `From:` line are text anyone can type, and
/// crediting them would let a stranger speak as a customer.
#[derive(Debug, Clone, Default)]
pub struct Staff {
    /// Lowercase addresses.
    addresses: HashSet<String>,
}

impl Staff {
    pub fn new<A: AsRef<str>>(addresses: impl IntoIterator<Item = A>) -> Staff {
        Staff {
            addresses: addresses
                .into_iter()
                .map(|address| address.as_ref().trim().to_lowercase())
                .collect(),
        }
    }

    pub fn includes(&self, address: &str) -> bool {
        self.addresses.contains(&address.trim().to_lowercase())
    }
}

/// Turns one message into an inquiry.
///
/// The From header gives `name` and `email`; the body (text/plain when the
/// message has it, otherwise its HTML as text) gives `message`; `source` is
/// `email`. `fields` keeps `subject`, `message_id` and `date` (RFC 3339) when
/// present. When one of `staff` forwards another message, attached
/// (message/rfc822) or in the body (after a marker such as `----------
/// Forwarded message ---------` or `Begin forwarded message:`), `name` and
/// `email` are those of the forwarded sender, since sales staff forward
/// inquiries from their own mailboxes, and the forwarder's address goes into
/// `fields["forwarded_by"]`. The `message` is then what the sender wrote,
/// which triage reads, without the forward's header lines; the forwarder's
/// own note goes into `fields["forward_note"]`.
pub fn parse_message(bytes: &[u8], staff: &Staff) -> Result<InquiryInput, EmailError> {
    let bytes = with_readable_headers(bytes);
    let message = MessageParser::default()
        .parse(&bytes)
        .filter(has_email_headers)
        .ok_or(EmailError::NotAnEmail)?;
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|from| Some((non_blank(from.name()), non_blank(from.address())?)))
        .ok_or_else(|| match message.header_raw("From").map(str::trim) {
            // Shown on one line, whatever a hostile mailbox put in it.
            Some(given) if !given.is_empty() => EmailError::FromWithoutAddress(
                given
                    .split(|c: char| c.is_whitespace() || c.is_control())
                    .filter(|word| !word.is_empty())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => EmailError::NoFromAddress,
        })?;
    let subject = non_blank(message.subject());
    let by_staff = staff.includes(&from.1);
    // A message forwarded as an attachment (message/rfc822) is the inquiry.
    let attached = message
        .attachments()
        .filter(|_| by_staff)
        .find_map(|part| part.message())
        .and_then(|inner| Some((sender_of(inner)?, text_of(inner))));
    let own_text = text_of(&message);
    // A forward: the sender it names, the forwarder's note and the text the
    // sender wrote.
    let forward = match (attached, &own_text) {
        (Some((sender, text)), note) => Some((sender, note.clone(), text)),
        (None, Some(text)) if by_staff => forwarded_parts(text, subject.as_deref())
            .map(|(sender, note, text)| (sender, Some(note), Some(text))),
        (None, _) => None,
    };
    let (forwarded, note, body) = match forward {
        Some((sender, note, text)) => {
            let note = note.and_then(|note| non_blank(Some(note.trim())));
            // A forward with nothing below its header is read by its note.
            let body = text
                .and_then(|text| non_blank(Some(text.trim())))
                .or_else(|| note.clone());
            (Some(sender), note, body)
        }
        None => (None, None, own_text),
    };
    let body = body
        .map(within_limit)
        .and_then(|body| non_blank(Some(&body)));

    let mut fields = BTreeMap::new();
    let mut add_field = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            fields.insert(key.to_string(), serde_json::Value::String(value));
        }
    };
    add_field("subject", subject.clone());
    add_field("message_id", non_blank(message.message_id()));
    add_field(
        "date",
        message
            .date()
            .filter(|date| date.is_valid())
            .map(|date| date.to_rfc3339()),
    );

    let (name, email) = match forwarded {
        Some(original) => {
            add_field("forwarded_by", Some(from.1));
            add_field("forward_note", note.map(within_limit));
            (original.name, original.email)
        }
        None => from,
    };
    Ok(InquiryInput {
        name,
        email: Some(email),
        message: body,
        source: Some("email".into()),
        fields,
        ..Default::default()
    })
}

/// A message's text: its text/plain body, or its HTML as text, with the
/// targets of links it does not show.
fn text_of(message: &Message<'_>) -> Option<String> {
    message
        .body_text(0)
        .map(|body| body.replace("\r\n", "\n"))
        .map(|body| with_link_targets(body, message.body_html(0).as_deref()))
}

/// The sender a message names in its From header.
fn sender_of(message: &Message<'_>) -> Option<ForwardedSender> {
    let from = message.from()?.first()?;
    Some(ForwardedSender {
        name: non_blank(from.name()),
        email: non_blank(from.address())?,
    })
}

/// The message with a header block that is not UTF-8 read as Latin-1: old
/// mail programs write names such as `Jürgen` in raw ISO-8859-1 bytes,
/// which would otherwise become replacement characters. A body that is
/// not UTF-8 is read the same way when the message names no charset for
/// it (no Content-Type, or one without a charset, and not in parts);
/// otherwise it is left as it is, for its Content-Type to decode.
fn with_readable_headers(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut end = 0;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        end += line.len();
        if line == b"\n" || line == b"\r\n" {
            break;
        }
    }
    let (head, body) = bytes.split_at(end);
    let head_readable = std::str::from_utf8(head).is_ok();
    let body_readable = std::str::from_utf8(body).is_ok() || names_a_charset(head);
    if head_readable && body_readable {
        return Cow::Borrowed(bytes);
    }
    let as_latin_1 = |part: &[u8]| {
        part.iter()
            .map(|&byte| char::from(byte))
            .collect::<String>()
    };
    let mut readable = if head_readable {
        head.to_vec()
    } else {
        as_latin_1(head).into_bytes()
    };
    if body_readable {
        readable.extend_from_slice(body);
    } else {
        readable.extend_from_slice(as_latin_1(body).as_bytes());
    }
    Cow::Owned(readable)
}

/// Whether a message's header block gives its body a charset, or makes it
/// of parts that each give their own.
fn names_a_charset(head: &[u8]) -> bool {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    // A header's value may go on over folded lines; its parameters follow.
    let content_type = head
        .split("\ncontent-type:")
        .nth(1)
        .or_else(|| head.strip_prefix("content-type:"))
        .map(|rest| {
            let mut lines = rest.split('\n');
            let first = lines.next().unwrap_or_default().to_string();
            lines
                .take_while(|line| line.starts_with([' ', '\t']))
                .fold(first, |value, line| value + line)
        });
    content_type.is_some_and(|value| value.contains("charset") || value.contains("multipart/"))
}

/// Splits an mbox file into its messages, undoing `>From ` quoting.
///
/// A message starts at a `From ` line that carries a sender and the time
/// it was stored (`From ann@acme.io Tue Jan 14 10:00:00 2025`), so that a
/// body line a mail program left unquoted (`From our side the budget is
/// approved.`) stays in its message. Anything before the first such line
/// is not part of any message.
pub fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if is_separator(line) {
            messages.extend(current.replace(Vec::new()));
        } else if let Some(message) = current.as_mut() {
            // `>From ` (and `>>From `…) lose one `>`: the quoting mbox adds.
            let quoted = line.iter().take_while(|&&b| b == b'>').count();
            let unquoted = quoted > 0 && line[quoted..].starts_with(b"From ");
            message.extend_from_slice(if unquoted { &line[1..] } else { line });
        }
    }
    messages.extend(current);
    messages
}

/// Whether `line` starts a message of an mbox: `From `, the sender, and a
/// date with a time of day and a year.
fn is_separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let text = String::from_utf8_lossy(rest);
    let words: Vec<&str> = text.split_whitespace().collect();
    let digits = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
    let time = |w: &&str| {
        let parts: Vec<&str> = w.split(':').collect();
        (2..=3).contains(&parts.len()) && parts.iter().all(|p| digits(p) && p.len() <= 2)
    };
    let year = |w: &&str| w.len() == 4 && digits(w);
    words.len() >= 3 && words[1..].iter().any(time) && words[1..].iter().any(year)
}

/// The sender of a message forwarded inside another one.
#[derive(Debug)]
struct ForwardedSender {
    name: Option<String>,
    email: String,
}

/// Finds the sender of a forwarded message in `body`: the `From:` line of
/// the header block that follows a forward marker.
///
/// `Forwarded message` (Gmail, Thunderbird) and `Begin forwarded message:`
/// (Apple Mail) always mark a forward. Outlook's `Original Message` and
/// underscore lines also introduce quoted replies, so they count only when
/// the subject says the message is forwarded (`Fwd:`, `FW:`, …). The first
/// forward marker wins: it is the message the sender forwarded.
fn forwarded_parts(body: &str, subject: Option<&str>) -> Option<(ForwardedSender, String, String)> {
    let forwarded_subject = subject.is_some_and(has_forward_prefix);
    let lines: Vec<&str> = body.lines().collect();
    let marker = lines
        .iter()
        .position(|line| match forward_marker(unquote(line)) {
            Some(Marker::Forward) => true,
            Some(Marker::ForwardOrReply) => forwarded_subject,
            None => false,
        })?;
    let after: Vec<&str> = lines[marker + 1..]
        .iter()
        .map(|line| unquote(line))
        .collect();
    let header_start = after.iter().position(|line| !line.is_empty())?;
    let header_len = after[header_start..]
        .iter()
        .position(|line| line.is_empty())
        .unwrap_or(after.len() - header_start);
    let header = &after[header_start..header_start + header_len];
    let sender = header.iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim_matches('*')
            .eq_ignore_ascii_case("from")
            .then(|| parse_mailbox(value))?
    })?;
    let note = lines[..marker].join("\n");
    let text = after[header_start + header_len..].join("\n");
    Some((sender, note, text))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// A line that only ever starts a forwarded message.
    Forward,
    /// A line that starts a forwarded message or a quoted reply.
    ForwardOrReply,
}

fn forward_marker(line: &str) -> Option<Marker> {
    if line.len() >= 10 && line.bytes().all(|b| b == b'_') {
        return Some(Marker::ForwardOrReply);
    }
    let text = line.trim_matches(|c: char| c == '-' || c.is_whitespace());
    if text.eq_ignore_ascii_case("forwarded message")
        || text.eq_ignore_ascii_case("begin forwarded message:")
    {
        Some(Marker::Forward)
    } else if text.eq_ignore_ascii_case("original message") {
        Some(Marker::ForwardOrReply)
    } else {
        None
    }
}

/// `Fwd:`, `FW:` and their German, French and Spanish forms (`WG:`, `TR:`,
/// `RV:`), case-insensitive.
fn has_forward_prefix(subject: &str) -> bool {
    let prefix = subject
        .trim_start()
        .split_once(':')
        .map_or("", |(prefix, _)| prefix.trim());
    ["fwd", "fw", "wg", "tr", "rv"]
        .iter()
        .any(|known| prefix.eq_ignore_ascii_case(known))
}

/// A body line without e-mail quoting (`> `) or surrounding spaces.
fn unquote(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
        .trim_end()
}

/// Parses `Name <addr>`, `"Name" <addr>`, `Name [mailto:addr]` or `addr`.
fn parse_mailbox(value: &str) -> Option<ForwardedSender> {
    let value = value.trim();
    let (name, address) = if let Some((name, rest)) = value.split_once('<') {
        (name, rest.split_once('>')?.0)
    } else if let Some((name, rest)) = value.split_once("[mailto:") {
        (name, rest.split_once(']')?.0)
    } else {
        ("", value)
    };
    let address = address.trim();
    let address = address.strip_prefix("mailto:").unwrap_or(address);
    if !address.contains('@') || address.contains(char::is_whitespace) {
        return None;
    }
    let name = name.trim().trim_matches(['"', '\'', '*']).trim();
    Some(ForwardedSender {
        name: non_blank(Some(name)),
        email: address.to_string(),
    })
}

/// Whether the parsed bytes carry any header an e-mail has: mail-parser
/// reads almost anything as a header block, garbage included.
fn has_email_headers(message: &Message<'_>) -> bool {
    message.from().is_some()
        || message.subject().is_some()
        || message.date().is_some()
        || message.message_id().is_some()
}

fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_string)
}

/// A body longer than a message may be, cut to fit with a note of what was
/// left out: a long e-mail (an RFP, a thread) is an inquiry all the same,
/// and the whole of it stays in the stored raw message.
fn within_limit(body: String) -> String {
    let length = body.chars().count();
    if length <= MAX_MESSAGE {
        return body;
    }
    let note = |left: usize| format!("\n\n[{left} more characters are in the stored e-mail]");
    let keep = MAX_MESSAGE - note(length).chars().count();
    let cut: String = body.chars().take(keep).collect();
    format!("{cut}{}", note(length - keep))
}

/// The text of a message with the targets of the HTML part's links that
/// it does not show: turning HTML into text keeps only what a link reads
/// ("here"), and where it leads matters to moderation and to people.
fn with_link_targets(text: String, html: Option<&str>) -> String {
    let Some(html) = html else { return text };
    let mut hidden: Vec<&str> = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut rest = 0;
    while let Some(at) = lower[rest..].find("href=") {
        let start = rest + at + "href=".len();
        rest = start;
        let Some(quote) = html[start..]
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
        else {
            continue;
        };
        let value_start = start + 1;
        let Some(length) = html[value_start..].find(quote) else {
            break;
        };
        let target = html[value_start..value_start + length].trim();
        let is_web = ["http://", "https://"].iter().any(|scheme| {
            target.len() > scheme.len() && target[..scheme.len()].eq_ignore_ascii_case(scheme)
        });
        if is_web && !text.contains(target) && !hidden.contains(&target) {
            hidden.push(target);
        }
        rest = value_start + length;
    }
    if hidden.is_empty() {
        text
    } else {
        format!("{}\n\nLinks: {}", text.trim_end(), hidden.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The people of the organisation in these messages.
    fn staff() -> Staff {
        Staff::new(["Sam@Baton.example"])
    }

    /// Every message of an mbox file, or the one message of another file.
    fn parse_all(bytes: &[u8]) -> Vec<Result<InquiryInput, EmailError>> {
        let messages = if bytes.starts_with(b"From ") {
            split_mbox(bytes)
        } else {
            vec![bytes.to_vec()]
        };
        messages
            .iter()
            .map(|message| parse_message(message, &staff()))
            .collect()
    }

    fn field<'a>(inquiry: &'a InquiryInput, key: &str) -> Option<&'a str> {
        inquiry.fields.get(key).and_then(|value| value.as_str())
    }

    const PLAIN: &str = "From: Ann Lee <ann@acme.io>\r\n\
        To: sales@baton.example\r\n\
        Subject: Pricing for 40 seats\r\n\
        Date: Tue, 14 Jan 2025 10:00:00 +0100\r\n\
        Message-ID: <abc123@acme.io>\r\n\
        \r\n\
        Hello,\r\n\
        what would 40 seats cost?\r\n\
        \r\n";

    #[test]
    fn a_plain_message_gives_sender_body_and_headers() {
        let inquiry = parse_message(PLAIN.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("Ann Lee"));
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(
            inquiry.message.as_deref(),
            Some("Hello,\nwhat would 40 seats cost?")
        );
        assert_eq!(inquiry.source.as_deref(), Some("email"));
        assert_eq!(field(&inquiry, "subject"), Some("Pricing for 40 seats"));
        assert_eq!(field(&inquiry, "message_id"), Some("abc123@acme.io"));
        assert_eq!(field(&inquiry, "date"), Some("2025-01-14T10:00:00+01:00"));
        assert_eq!(field(&inquiry, "forwarded_by"), None);
    }

    #[test]
    fn an_html_only_message_gives_its_text() {
        let raw = "From: ann@acme.io\n\
            Subject: Pricing\n\
            MIME-Version: 1.0\n\
            Content-Type: multipart/alternative; boundary=\"b1\"\n\
            \n\
            --b1\n\
            Content-Type: text/html; charset=utf-8\n\
            \n\
            <html><body><p>Hello <b>team</b></p><p>Call me back</p></body></html>\n\
            --b1--\n";
        let inquiry = parse_message(raw.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.name, None);
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(inquiry.message.as_deref(), Some("Hello team\nCall me back"));
    }

    #[test]
    fn a_long_message_is_cut_to_fit_saying_so() {
        let long = "We are evaluating CRM vendors for 400 seats. ".repeat(600);
        let raw = format!("From: ann@acme.io\nSubject: RFP\n\n{long}\n");
        let input = parse_message(raw.as_bytes(), &staff()).unwrap();
        let message = input.message.as_deref().unwrap();
        assert!(message.chars().count() <= MAX_MESSAGE);
        assert!(message.starts_with("We are evaluating CRM vendors"));
        assert!(
            message.ends_with("more characters are in the stored e-mail]"),
            "{}",
            &message[message.len() - 80..]
        );
        assert!(crate::inquiry::Inquiry::parse(&input).is_ok());
    }

    #[test]
    fn where_html_links_lead_is_kept_for_moderation() {
        let raw = "From: win@mailinator.com\n\
            Subject: Prize\n\
            MIME-Version: 1.0\n\
            Content-Type: text/html; charset=utf-8\n\
            \n\
            <p>Claim your prize <a href=\"http://x.ru/1\">here</a>, \
            <A HREF='https://y.ru'>here</A> and <a href=\"http://x.ru/1\">again</a>; \
            <a href=\"mailto:a@b.c\">mail us</a></p>\n";
        let message = parse_message(raw.as_bytes(), &staff())
            .unwrap()
            .message
            .unwrap();
        assert!(
            message.ends_with("\n\nLinks: http://x.ru/1 https://y.ru"),
            "{message}"
        );
        assert_eq!(crate::moderation::count_links(&message), 2);
    }

    #[test]
    fn the_plain_text_part_is_preferred_to_html() {
        let raw = "From: ann@acme.io\n\
            Content-Type: multipart/alternative; boundary=\"b1\"\n\
            \n\
            --b1\n\
            Content-Type: text/plain; charset=utf-8\n\
            \n\
            Plain version\n\
            --b1\n\
            Content-Type: text/html; charset=utf-8\n\
            \n\
            <p>HTML version</p>\n\
            --b1--\n";
        let inquiry = parse_message(raw.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.message.as_deref(), Some("Plain version"));
    }

    #[test]
    fn an_encoded_display_name_is_decoded() {
        let raw = "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@acme.de>\n\nHallo\n";
        let inquiry = parse_message(raw.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("Jürgen Müller"));
    }

    #[test]
    fn headers_in_raw_latin_1_are_read_as_latin_1() {
        let raw = b"From: J\xfcrgen M\xfcller <jm@acme.de>\n\
            Subject: Gr\xfc\xdfe aus K\xf6ln\n\
            Content-Type: text/plain; charset=utf-8\n\
            \n\
            Gr\xc3\xbc\xc3\x9fe\n";
        let inquiry = parse_message(raw, &staff()).unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("J\u{fc}rgen M\u{fc}ller"));
        assert_eq!(
            field(&inquiry, "subject"),
            Some("Gr\u{fc}\u{df}e aus K\u{f6}ln")
        );
        assert_eq!(inquiry.message.as_deref(), Some("Gr\u{fc}\u{df}e"));
    }

    #[test]
    fn a_body_in_raw_latin_1_without_a_charset_is_read_as_latin_1() {
        let raw = b"From: J\xf6rg <jk@acme.de>\n\
            Subject: Gr\xfc\xdfe\n\
            \n\
            K\xf6nnen Sie uns ein Angebot schicken?\n";
        let inquiry = parse_message(raw, &staff()).unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("J\u{f6}rg"));
        assert_eq!(
            inquiry.message.as_deref(),
            Some("K\u{f6}nnen Sie uns ein Angebot schicken?")
        );
        // A charset named is the body's own, whatever its bytes.
        let declared = b"From: jk@acme.de\n\
            Content-Type: text/plain;\n\tcharset=iso-8859-15\n\
            \n\
            Preis: 100 \xa4\n";
        let inquiry = parse_message(declared, &staff()).unwrap();
        assert_eq!(inquiry.message.as_deref(), Some("Preis: 100 \u{20ac}"));
    }

    #[test]
    fn a_gmail_forward_takes_the_forwarded_sender() {
        let raw = "From: Sam Sales <sam@baton.example>\n\
            Subject: Fwd: Pricing\n\
            \n\
            FYI, hot lead.\n\
            \n\
            ---------- Forwarded message ---------\n\
            From: Ann Lee <ann@acme.io>\n\
            Date: Tue, Jan 14, 2025 at 10:00 AM\n\
            Subject: Pricing\n\
            To: <sam@baton.example>\n\
            \n\
            \n\
            What would 40 seats cost?\n";
        let inquiry = parse_message(raw.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("Ann Lee"));
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(field(&inquiry, "forwarded_by"), Some("sam@baton.example"));
        assert_eq!(field(&inquiry, "subject"), Some("Fwd: Pricing"));
        // Triage reads what Ann wrote, not the forward's header lines.
        assert_eq!(
            inquiry.message.as_deref(),
            Some("What would 40 seats cost?")
        );
        assert_eq!(field(&inquiry, "forward_note"), Some("FYI, hot lead."));
    }

    #[test]
    fn an_apple_mail_forward_takes_the_forwarded_sender() {
        let raw = "From: sam@baton.example\n\
            Subject: Fwd: Demo\n\
            \n\
            Begin forwarded message:\n\
            \n\
            From: \"Lee, Ann\" <ann@acme.io>\n\
            Subject: Demo\n\
            \n\
            Can we see a demo?\n";
        let inquiry = parse_message(raw.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("Lee, Ann"));
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
    }

    #[test]
    fn an_outlook_forward_counts_only_when_the_subject_says_forwarded() {
        let body = "\n\
            See below.\n\
            \n\
            -----Original Message-----\n\
            From: Ann Lee [mailto:ann@acme.io]\n\
            Sent: Tuesday, January 14, 2025 10:00 AM\n\
            \n\
            Hello\n";
        let forward = format!("From: sam@baton.example\nSubject: FW: Pricing\n{body}");
        let inquiry = parse_message(forward.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(inquiry.name.as_deref(), Some("Ann Lee"));

        // The same marker in a reply quotes the person being answered.
        let reply = format!("From: bob@client.example\nSubject: RE: Pricing\n{body}");
        let inquiry = parse_message(reply.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.email.as_deref(), Some("bob@client.example"));
        assert_eq!(field(&inquiry, "forwarded_by"), None);
    }

    #[test]
    fn a_forward_from_outside_the_organisation_is_the_senders_own_message() {
        let raw = "From: Mallory <mallory@elsewhere.example>\n\
            Subject: Fwd: Renewal\n\
            \n\
            ---------- Forwarded message ---------\n\
            From: Ann Lee <ann@acme.io>\n\
            \n\
            Please cancel our contract and refund us to the account below.\n";
        let inquiry = parse_message(raw.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.email.as_deref(), Some("mallory@elsewhere.example"));
        assert_eq!(inquiry.name.as_deref(), Some("Mallory"));
        assert_eq!(field(&inquiry, "forwarded_by"), None);

        // The same message from one of the organisation's people is a forward.
        let forwarded = raw.replace("Mallory <mallory@elsewhere.example>", "SAM@baton.example");
        let inquiry = parse_message(forwarded.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(field(&inquiry, "forwarded_by"), Some("SAM@baton.example"));
    }

    #[test]
    fn a_message_forwarded_as_an_attachment_takes_its_sender_and_text() {
        let raw = |from: &str| {
            format!(
                "From: {from}\r\n\
                 Subject: Fwd: Pricing\r\n\
                 MIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
                 \r\n\
                 --b1\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\
                 \r\n\
                 Hot lead, see below.\r\n\
                 --b1\r\n\
                 Content-Type: message/rfc822\r\n\
                 Content-Disposition: attachment\r\n\
                 \r\n\
                 From: Ann Lee <ann@acme.io>\r\n\
                 Subject: Pricing\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\
                 \r\n\
                 What would 40 seats cost?\r\n\
                 --b1--\r\n"
            )
        };
        let inquiry = parse_message(raw("Sam <sam@baton.example>").as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("Ann Lee"));
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(field(&inquiry, "forwarded_by"), Some("sam@baton.example"));
        let message = inquiry.message.clone().unwrap();
        assert!(message.contains("What would 40 seats cost?"), "{message}");
        assert!(!message.contains("Hot lead"), "{message}");
        assert_eq!(
            field(&inquiry, "forward_note"),
            Some("Hot lead, see below.")
        );

        // Attached by a stranger, it is the stranger's own message.
        let inquiry = parse_message(raw("mallory@elsewhere.example").as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.email.as_deref(), Some("mallory@elsewhere.example"));
        assert_eq!(field(&inquiry, "forwarded_by"), None);
    }

    #[test]
    fn a_quoted_forward_with_only_an_address_is_recognised() {
        let raw = "From: sam@baton.example\n\
            Subject: WG: Anfrage\n\
            \n\
            > ________________________________\n\
            > From: ann@acme.io\n\
            > Sent: Tuesday\n";
        let inquiry = parse_message(raw.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.name, None);
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
    }

    #[test]
    fn a_forward_without_a_readable_sender_keeps_the_outer_sender() {
        let raw = "From: Sam <sam@baton.example>\n\
            Subject: Fwd: call notes\n\
            \n\
            ---------- Forwarded message ---------\n\
            From: Ann Lee\n\
            \n\
            Notes\n";
        let inquiry = parse_message(raw.as_bytes(), &staff()).unwrap();
        assert_eq!(inquiry.email.as_deref(), Some("sam@baton.example"));
        assert_eq!(field(&inquiry, "forwarded_by"), None);
    }

    #[test]
    fn a_message_without_body_has_no_message() {
        let inquiry =
            parse_message(b"From: ann@acme.io\nSubject: Call me\n\n  \n", &staff()).unwrap();
        assert_eq!(inquiry.message, None);
        assert_eq!(field(&inquiry, "subject"), Some("Call me"));
    }

    #[test]
    fn a_message_without_from_address_is_refused() {
        let error = parse_message(b"Subject: Hello\nTo: sales@baton.example\n\nHi\n", &staff());
        assert_eq!(error, Err(EmailError::NoFromAddress));
        assert_eq!(EmailError::NoFromAddress.to_string(), "no From address");
        let error =
            parse_message(b"From: broken-no-at\nSubject: Hello\n\nHi\n", &staff()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the From header, `broken-no-at`, holds no e-mail address"
        );
    }

    #[test]
    fn garbage_is_not_an_email() {
        for garbage in [
            &b""[..],
            b"\x00\x01\xff binary junk",
            b"just a line of text\n",
        ] {
            assert_eq!(
                parse_message(garbage, &staff()),
                Err(EmailError::NotAnEmail)
            );
        }
        let results = parse_all(b"%PDF-1.7\n1 0 obj\n");
        assert_eq!(results.len(), 1);
        assert_eq!(
            results[0].as_ref().unwrap_err().to_string(),
            "not an e-mail message (found no From, Subject, Date or Message-ID header)"
        );
    }

    const MBOX: &str = "From ann@acme.io Tue Jan 14 10:00:00 2025\n\
        From: Ann Lee <ann@acme.io>\n\
        Subject: First\n\
        \n\
        Hello\n\
        >From the start we liked it.\n\
        >>From stays quoted once.\n\
        \n\
        From bob@client.example Wed Jan 15 11:00:00 2025\n\
        From: Bob <bob@client.example>\n\
        Subject: Second\n\
        \n\
        Hi there\n";

    #[test]
    fn an_mbox_is_split_into_messages_with_from_lines_unquoted() {
        let messages = split_mbox(MBOX.as_bytes());
        assert_eq!(messages.len(), 2);
        let first = String::from_utf8(messages[0].clone()).unwrap();
        assert!(first.starts_with("From: Ann Lee"));
        assert!(first.contains("\nFrom the start we liked it.\n"));
        assert!(first.contains("\n>From stays quoted once.\n"));
        assert!(String::from_utf8_lossy(&messages[1]).starts_with("From: Bob"));
    }

    #[test]
    fn a_body_line_starting_with_from_stays_in_its_message() {
        let mbox = "From ann@acme.io Tue Jan 14 10:00:00 2025\r\n\
            From: Ann Lee <ann@acme.io>\r\n\
            \r\n\
            Hello, we need a quote.\r\n\
            From our side the budget is approved.\r\n\
            \r\n\
            From bob@client.example Wed Jan 15 11:00:00 2025\r\n\
            From: Bob <bob@client.example>\r\n\
            \r\n\
            Hi\r\n";
        let results = parse_all(mbox.as_bytes());
        assert_eq!(results.len(), 2);
        let first = results[0].as_ref().unwrap().message.as_deref().unwrap();
        assert!(
            first.contains("From our side the budget is approved."),
            "{first}"
        );
        assert_eq!(results[1].as_ref().unwrap().name.as_deref(), Some("Bob"));
    }

    #[test]
    fn an_mbox_file_gives_one_inquiry_per_message() {
        let results = parse_all(MBOX.as_bytes());
        let inquiries: Vec<InquiryInput> = results.into_iter().map(Result::unwrap).collect();
        assert_eq!(inquiries.len(), 2);
        assert_eq!(inquiries[0].email.as_deref(), Some("ann@acme.io"));
        assert!(
            inquiries[0]
                .message
                .as_deref()
                .unwrap()
                .contains("From the start")
        );
        assert_eq!(inquiries[1].name.as_deref(), Some("Bob"));
        assert_eq!(inquiries[1].message.as_deref(), Some("Hi there"));
    }

    #[test]
    fn a_bad_message_in_an_mbox_leaves_the_others_readable() {
        let mbox = "From a Tue Jan 14 10:00:00 2025\n\
            From: ann@acme.io\n\
            \n\
            One\n\
            From b Tue Jan 14 10:00:00 2025\n\
            Subject: no sender\n\
            \n\
            Two\n";
        let results = parse_all(mbox.as_bytes());
        assert!(results[0].is_ok());
        assert_eq!(
            results[1].as_ref().unwrap_err().to_string(),
            "no From address"
        );
    }

    #[test]
    fn a_single_message_file_gives_one_inquiry() {
        let results = parse_all(PLAIN.as_bytes());
        assert_eq!(results.len(), 1);
        assert_eq!(
            results[0].as_ref().unwrap().email.as_deref(),
            Some("ann@acme.io")
        );
    }
}
