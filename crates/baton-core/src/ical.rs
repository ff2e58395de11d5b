//! iCalendar (RFC 5545) feeds: appointments written as events that calendar
//! programs subscribe to and refresh on their own schedule.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::fmt::Write;

/// Longest content line in octets before it is folded (RFC 5545 §3.1).
const MAX_LINE_OCTETS: usize = 75;

/// One appointment as a calendar event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Stays the same across changes so programs update the event in place.
    pub uid: String,
    /// Raised on each change; programs keep the highest.
    pub sequence: i64,
    /// When the event last changed.
    pub stamp: Timestamp,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    /// Cancelled events stay in the feed so subscribers remove them.
    pub cancelled: bool,
}

/// A whole calendar named `name` holding `events`, lines ending in CRLF.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Baton//Appointments//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape_text(name)));
    for event in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape_text(&event.uid)));
        line(&mut out, &format!("SEQUENCE:{}", event.sequence));
        line(&mut out, &format!("DTSTAMP:{}", utc(event.stamp)));
        line(&mut out, &format!("DTSTART:{}", utc(event.starts_at)));
        line(&mut out, &format!("DTEND:{}", utc(event.ends_at)));
        line(
            &mut out,
            &format!("SUMMARY:{}", escape_text(&event.summary)),
        );
        if let Some(location) = &event.location {
            line(&mut out, &format!("LOCATION:{}", escape_text(location)));
        }
        if let Some(description) = &event.description {
            line(
                &mut out,
                &format!("DESCRIPTION:{}", escape_text(description)),
            );
        }
        let status = if event.cancelled {
            "CANCELLED"
        } else {
            "CONFIRMED"
        };
        line(&mut out, &format!("STATUS:{status}"));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// A time in the UTC form `20260731T143000Z`.
fn utc(time: Timestamp) -> String {
    time.to_zoned(TimeZone::UTC)
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Text with the characters that have a meaning in iCalendar escaped; line
/// breaks (`\n`, `\r\n` or a lone `\r`) become `\n` and other control
/// characters but tabs are left out.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            // A lone carriage return (an old Mac line break) is a break too;
            // the one before a line feed is dropped with it.
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push_str("\\n"),
            // TEXT holds no other control character (RFC 5545, 3.3.11).
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded so no physical line exceeds 75 octets
/// and no character is split.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            // The leading space of a continuation counts towards its width.
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Undoes folding, as a calendar program reads the feed.
    fn unfold(text: &str) -> Vec<String> {
        text.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }

    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    fn event(summary: &str) -> Event {
        Event {
            uid: "appointment-7@baton".into(),
            sequence: 2,
            stamp: "2026-07-01T08:00:00Z".parse().unwrap(),
            starts_at: "2026-07-31T14:30:00Z".parse().unwrap(),
            ends_at: "2026-07-31T15:00:00Z".parse().unwrap(),
            summary: summary.into(),
            description: Some("Budget; timing, next steps\nbring the proposal".into()),
            location: None,
            cancelled: false,
        }
    }

    #[test]
    fn an_event_has_the_fields_calendar_programs_need() {
        let text = calendar("Ada's appointments", &[event("Call with Acme")]);
        let lines = unfold(&text);
        assert_eq!(lines.first().unwrap(), "BEGIN:VCALENDAR");
        assert_eq!(lines.last().unwrap(), "END:VCALENDAR");
        for expected in [
            "UID:appointment-7@baton",
            "SEQUENCE:2",
            "DTSTAMP:20260701T080000Z",
            "DTSTART:20260731T143000Z",
            "DTEND:20260731T150000Z",
            "SUMMARY:Call with Acme",
            "DESCRIPTION:Budget\\; timing\\, next steps\\nbring the proposal",
            "STATUS:CONFIRMED",
        ] {
            assert!(lines.iter().any(|l| l == expected), "{expected} missing");
        }
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn a_cancelled_event_stays_in_the_feed_marked_cancelled() {
        let mut cancelled = event("Call");
        cancelled.cancelled = true;
        let lines = unfold(&calendar("c", &[cancelled]));
        assert!(lines.iter().any(|l| l == "STATUS:CANCELLED"));
    }

    #[test]
    fn control_characters_are_left_out_and_every_line_break_kept() {
        assert_eq!(escape_text("a\u{7}b\u{1b}[31mred"), "ab[31mred");
        assert_eq!(
            escape_text("one\rtwo\r\nthree\nfour"),
            "one\\ntwo\\nthree\\nfour"
        );
        assert_eq!(escape_text("tab\there"), "tab\there");
    }

    proptest! {
        #[test]
        fn folded_lines_fit_and_unfold_to_the_original(summary in "\\PC{0,300}") {
            let text = calendar("c", &[event(&summary)]);
            for physical in text.split("\r\n") {
                prop_assert!(physical.len() <= MAX_LINE_OCTETS);
            }
            let lines = unfold(&text);
            let line = lines.iter().find(|l| l.starts_with("SUMMARY:")).unwrap();
            prop_assert_eq!(unescape(&line["SUMMARY:".len()..]), summary.replace('\r', ""));
        }
    }
}
