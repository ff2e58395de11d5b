//! Spam moderation by rules: honeypot, link density, disposable mailboxes,
//! blocklists and repetition. Each signal that fires is a reason with a
//! weight in (0, 1); the score combines them as a noisy-OR, so two weak
//! signals together count more than either alone.

use crate::decision::{Moderation, Reason};
use crate::domain::Verdict;
use crate::inquiry::Inquiry;
use crate::lists::is_disposable_mailbox;
use crate::text::shortened;
use serde::{Deserialize, Serialize};

/// Version recorded on every moderation decision made by these rules.
pub const RULES_VERSION: &str = "rules-1";

/// The code of the reason given when no rule fired.
pub const NO_SIGNAL: &str = "no_spam_signal";

/// Blocked addresses, domains and phrases, kept by moderators.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocklist {
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub phrases: Vec<String>,
}

/// Tunable weights and the threshold at which an inquiry is quarantined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    /// At or above this score an inquiry is quarantined. High on purpose: a
    /// real lead lost to quarantine costs more than a spam read by a person.
    pub threshold: f64,
    pub honeypot: f64,
    pub disposable_mailbox: f64,
    pub blocklisted: f64,
    pub many_links: f64,
    pub repeated_submission: f64,
    pub shouting: f64,
    pub blocklist: Blocklist,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        ModerationConfig {
            threshold: 0.7,
            honeypot: 0.99,
            disposable_mailbox: 0.6,
            blocklisted: 0.95,
            many_links: 0.6,
            repeated_submission: 0.5,
            shouting: 0.3,
            blocklist: Blocklist::default(),
        }
    }
}

impl ModerationConfig {
    /// The first setting out of range, with why: the threshold above 0 and
    /// at most 1, each signal's weight from 0 to 1 (it is a probability).
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Some(("threshold", "must be above 0 and at most 1"));
        }
        [
            ("honeypot", self.honeypot),
            ("disposable_mailbox", self.disposable_mailbox),
            ("blocklisted", self.blocklisted),
            ("many_links", self.many_links),
            ("repeated_submission", self.repeated_submission),
            ("shouting", self.shouting),
        ]
        .into_iter()
        .find(|(_, weight)| !(0.0..=1.0).contains(weight))
        .map(|(name, _)| (name, "must be between 0 and 1"))
    }
}

/// What the pipeline knows beyond the inquiry itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signals {
    /// The form's hidden field was filled in, which people never do.
    pub honeypot_filled: bool,
    /// Earlier inquiries with the same sender and message in the last day.
    pub recent_duplicates: u32,
}

/// Links in the text: `http://`, `https://` and `www.` prefixes.
pub fn count_links(text: &str) -> usize {
    let lower = text.to_ascii_lowercase();
    ["http://", "https://", "www."]
        .iter()
        .map(|p| lower.matches(p).count())
        .sum::<usize>()
        .saturating_sub(lower.matches("://www.").count())
}

/// Decides whether an inquiry is spam and says why.
pub fn moderate(inquiry: &Inquiry, signals: Signals, config: &ModerationConfig) -> Moderation {
    let mut reasons = Vec::new();
    if signals.honeypot_filled {
        reasons.push(Reason::new(
            "honeypot",
            config.honeypot,
            "the hidden form field, invisible to people, was filled in",
        ));
    }
    if let Some(email) = &inquiry.email {
        let domain = email.domain();
        if is_disposable_mailbox(domain) {
            reasons.push(Reason::new(
                "disposable_mailbox",
                config.disposable_mailbox,
                format!("{domain} hands out throw-away mailboxes"),
            ));
        }
        let list = &config.blocklist;
        if list
            .emails
            .iter()
            .any(|e| e.eq_ignore_ascii_case(email.as_str()))
            || list.domains.iter().any(|d| within_domain(domain, d))
        {
            reasons.push(Reason::new(
                "blocklisted_sender",
                config.blocklisted,
                format!("{email} is on the blocklist"),
            ));
        }
    }
    // Words as written, whatever the case and the spaces or line breaks
    // between them.
    let message_words = spaced_words(&inquiry.message);
    if let Some(phrase) = config.blocklist.phrases.iter().find(|p| {
        let phrase = spaced_words(p);
        !phrase.trim().is_empty() && message_words.contains(&phrase)
    }) {
        reasons.push(Reason::new(
            "blocklisted_phrase",
            config.blocklisted,
            format!("the message contains the blocked phrase “{phrase}”"),
        ));
    }
    let links = count_links(&inquiry.message);
    let words = inquiry.message.split_whitespace().count().max(1);
    if links >= 3 || (links >= 1 && links * 5 >= words) {
        reasons.push(Reason::new(
            "many_links",
            config.many_links,
            format!("{links} links in {words} words"),
        ));
    }
    if signals.recent_duplicates > 0 {
        reasons.push(Reason::new(
            "repeated_submission",
            config.repeated_submission,
            format!(
                "the same message from the same sender arrived {} time(s) in the last day",
                signals.recent_duplicates
            ),
        ));
    }
    let letters: Vec<char> = inquiry
        .message
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    if letters.len() >= 20
        && letters.iter().filter(|c| c.is_uppercase()).count() * 10 >= letters.len() * 8
    {
        reasons.push(Reason::new(
            "shouting",
            config.shouting,
            "the message is written almost entirely in capitals",
        ));
    }
    let score = 1.0
        - reasons
            .iter()
            .map(|r| 1.0 - r.weight.clamp(0.0, 1.0))
            .product::<f64>();
    let verdict = if score >= config.threshold {
        Verdict::Spam
    } else {
        Verdict::Ham
    };
    if reasons.is_empty() {
        reasons.push(Reason::new(NO_SIGNAL, 0.0, "no spam signal fired"));
    }
    Moderation {
        verdict,
        score,
        reasons,
        version: RULES_VERSION.to_string(),
    }
}

/// Characters of a held inquiry's message its moderators read in the list.
const EXCERPT_CHARS: usize = 160;

/// What moderators read and search of a held inquiry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeldText {
    /// `Name <e-mail>`, or whichever of the name, e-mail and phone it has.
    pub sender: String,
    /// The message on one line, cut with an ellipsis past [`EXCERPT_CHARS`].
    pub excerpt: String,
    /// The sender and the whole message, lowercase.
    pub search: String,
}

impl HeldText {
    /// What moderators read and search of `inquiry`.
    pub fn of(inquiry: &Inquiry) -> HeldText {
        let reach = inquiry
            .email
            .as_ref()
            .map(|e| e.as_str())
            .or(inquiry.phone.as_ref().map(|p| p.as_str()));
        let sender = match (inquiry.name.as_deref(), reach) {
            (Some(name), Some(reach)) => format!("{name} <{reach}>"),
            (Some(name), None) => name.to_string(),
            (None, reach) => reach.unwrap_or_default().to_string(),
        };
        let message = inquiry
            .message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        HeldText {
            excerpt: shortened(&message, EXCERPT_CHARS),
            search: format!("{sender}\n{message}").to_lowercase(),
            sender,
        }
    }
}

/// Text lowercased with each run of spaces, tabs or line breaks one space,
/// so that a phrase is found however it was spaced or broken over lines.
fn spaced_words(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    words.join(" ")
}

/// Whether `domain` is `blocked` or one of its subdomains (`mail.spam.biz`
/// is within `spam.biz`; `notspam.biz` is not).
fn within_domain(domain: &str, blocked: &str) -> bool {
    let (domain, blocked) = (
        domain.to_ascii_lowercase(),
        blocked.trim().to_ascii_lowercase(),
    );
    !blocked.is_empty() && (domain == blocked || domain.ends_with(&format!(".{blocked}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inquiry::InquiryInput;

    #[test]
    fn a_held_inquiry_reads_as_its_sender_and_the_start_of_its_message() {
        let mut held = inquiry(
            "Deals@Mailinator.com",
            &format!("BUY  now\n{}", "x".repeat(300)),
        );
        held.name = Some("Spam King".into());
        let text = HeldText::of(&held);
        assert_eq!(
            text.sender,
            format!("Spam King <{}>", held.email.as_ref().unwrap().as_str())
        );
        assert!(text.excerpt.starts_with("BUY now x") && text.excerpt.ends_with('…'));
        assert_eq!(text.excerpt.chars().count(), EXCERPT_CHARS);
        assert!(
            text.search
                .starts_with("spam king <deals@mailinator.com>\nbuy now x")
        );
        assert!(text.search.len() > 300, "the whole message is searched");
    }

    fn inquiry(email: &str, message: &str) -> Inquiry {
        Inquiry::parse(&InquiryInput {
            email: Some(email.into()),
            message: Some(message.into()),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn a_plain_business_inquiry_is_ham() {
        let m = moderate(
            &inquiry(
                "ann@acme.io",
                "We need pricing for 40 seats, can we get a demo?",
            ),
            Signals::default(),
            &ModerationConfig::default(),
        );
        assert_eq!(m.verdict, Verdict::Ham);
        assert_eq!(m.score, 0.0);
        assert_eq!(m.reasons[0].code, "no_spam_signal");
    }

    #[test]
    fn a_filled_honeypot_is_spam_on_its_own() {
        let m = moderate(
            &inquiry("ann@acme.io", "hello"),
            Signals {
                honeypot_filled: true,
                ..Default::default()
            },
            &ModerationConfig::default(),
        );
        assert_eq!(m.verdict, Verdict::Spam);
        assert_eq!(m.reasons[0].code, "honeypot");
    }

    #[test]
    fn one_weak_signal_does_not_quarantine_but_two_do() {
        let config = ModerationConfig::default();
        let one = moderate(
            &inquiry("x@mailinator.com", "hi there"),
            Signals::default(),
            &config,
        );
        assert_eq!(one.verdict, Verdict::Ham);
        let two = moderate(
            &inquiry(
                "x@mailinator.com",
                "cheap pills http://a.biz http://b.biz http://c.biz",
            ),
            Signals::default(),
            &config,
        );
        assert_eq!(two.verdict, Verdict::Spam);
        assert!(two.score > one.score);
    }

    #[test]
    fn a_blocked_phrase_is_found_whatever_its_spacing_and_a_domain_with_its_subdomains() {
        let config = ModerationConfig {
            blocklist: Blocklist {
                domains: vec!["Spam.biz".into()],
                phrases: vec!["crypto giveaway".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        for message in [
            "CRYPTO   Giveaway today",
            "a crypto\ngiveaway",
            "crypto\t giveaway!",
        ] {
            let verdict = moderate(&inquiry("a@acme.io", message), Signals::default(), &config);
            assert_eq!(verdict.reasons[0].code, "blocklisted_phrase", "{message:?}");
        }
        let cryptogiveaway = moderate(
            &inquiry("a@acme.io", "cryptogiveaway"),
            Signals::default(),
            &config,
        );
        assert!(
            cryptogiveaway
                .reasons
                .iter()
                .all(|r| r.code != "blocklisted_phrase")
        );
        for (sender, blocked) in [
            ("a@mail.spam.biz", true),
            ("a@spam.biz", true),
            ("a@notspam.biz", false),
        ] {
            let verdict = moderate(&inquiry(sender, "hi"), Signals::default(), &config);
            assert_eq!(
                verdict
                    .reasons
                    .iter()
                    .any(|r| r.code == "blocklisted_sender"),
                blocked,
                "{sender}"
            );
        }
    }

    #[test]
    fn blocklists_match_sender_domain_and_phrases() {
        let config = ModerationConfig {
            blocklist: Blocklist {
                domains: vec!["spam.biz".into()],
                phrases: vec!["SEO services".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let by_domain = moderate(&inquiry("a@spam.biz", "hi"), Signals::default(), &config);
        assert_eq!(by_domain.verdict, Verdict::Spam);
        let by_phrase = moderate(
            &inquiry("a@acme.io", "We offer seo services for you"),
            Signals::default(),
            &config,
        );
        assert_eq!(by_phrase.reasons[0].code, "blocklisted_phrase");
    }

    #[test]
    fn links_are_counted_once_each() {
        assert_eq!(count_links("see https://www.acme.io and www.b.com"), 2);
        assert_eq!(count_links("no links here"), 0);
    }
}
