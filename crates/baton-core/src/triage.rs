//! Intent triage by rules: what the matched account tells us, then weighted
//! keywords. Certain rules (a contact at a customer account) win outright.

use crate::decision::{IntentDecision, Reason};
use crate::domain::{AccountStatus, Intent};
use crate::inquiry::Inquiry;

/// Version recorded on every intent decision made by these rules.
pub const RULES_VERSION: &str = "rules-1";

/// The code of the reason that makes the rules certain: the sender belongs
/// to a customer account.
pub const CUSTOMER_ACCOUNT: &str = "customer_account";

/// The account an inquiry was matched to, as far as triage cares.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedAccount {
    pub name: String,
    pub status: AccountStatus,
}

/// Keywords per intent with their weights; phrases match on word boundaries.
const KEYWORDS: &[(Intent, &[(&str, f64)])] = &[
    (
        Intent::Rfp,
        &[
            ("rfp", 3.0),
            ("request for proposal", 3.0),
            ("rfq", 3.0),
            ("tender", 2.5),
            ("request for quotation", 3.0),
            ("bid", 1.0),
            ("proposal deadline", 2.0),
            ("submission deadline", 2.0),
            ("procurement", 1.5),
        ],
    ),
    (
        Intent::Collections,
        &[
            ("past due", 3.0),
            ("overdue", 2.5),
            ("outstanding balance", 3.0),
            ("final notice", 3.0),
            ("collections", 2.5),
            ("payment plan", 2.0),
            ("late payment", 2.5),
            ("unpaid", 2.0),
        ],
    ),
    (
        Intent::Billing,
        &[
            ("invoice", 2.0),
            ("billing", 2.0),
            ("billed", 2.0),
            ("charged", 2.0),
            ("refund", 2.5),
            ("receipt", 1.5),
            ("payment method", 2.0),
            ("credit card", 1.5),
            ("vat", 1.0),
            ("subscription", 1.0),
        ],
    ),
    (
        Intent::Support,
        &[
            ("not working", 2.5),
            ("error", 1.5),
            ("broken", 2.0),
            ("bug", 2.0),
            ("crash", 2.0),
            ("crashes", 2.0),
            ("crashed", 2.0),
            ("outage", 2.5),
            ("can't log in", 2.5),
            ("cannot log in", 2.5),
            ("reset my password", 2.5),
            ("support", 1.0),
            ("help with", 1.0),
            ("issue", 1.0),
            ("stopped working", 2.5),
        ],
    ),
    (
        Intent::NewBusiness,
        &[
            ("pricing", 2.0),
            ("price", 1.5),
            ("quote", 1.5),
            ("demo", 2.0),
            ("trial", 1.5),
            ("interested in", 1.5),
            ("purchase", 1.5),
            ("buy", 1.0),
            ("how much", 1.5),
            ("looking for", 1.0),
            ("evaluate", 1.0),
            ("licenses", 1.0),
            ("seats", 1.0),
        ],
    ),
    (
        Intent::Other,
        &[
            ("job", 2.0),
            ("career", 2.0),
            ("resume", 2.0),
            ("cv", 1.5),
            ("internship", 2.0),
            ("partnership", 2.0),
            ("reseller", 2.0),
            ("vendor", 1.5),
            ("sponsorship", 2.0),
            ("guest post", 2.5),
            ("backlinks", 2.5),
        ],
    ),
];

/// True when `phrase` occurs in `text` with no letter or digit on either side.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    text.match_indices(phrase).any(|(at, _)| {
        !is_word(text[..at].chars().next_back())
            && !is_word(text[at + phrase.len()..].chars().next())
    })
}

/// Classifies what the person behind the inquiry wants.
pub fn classify(inquiry: &Inquiry, account: Option<&MatchedAccount>) -> IntentDecision {
    let subject = inquiry.field_text("subject").unwrap_or_default();
    let text = format!("{subject} {}", inquiry.message).to_lowercase();
    let mut scored: Vec<(Intent, f64, Vec<&str>)> = KEYWORDS
        .iter()
        .map(|(intent, words)| {
            let hits: Vec<&str> = words
                .iter()
                .filter(|(w, _)| contains_phrase(&text, w))
                .map(|(w, _)| *w)
                .collect();
            let weight = words
                .iter()
                .filter(|(w, _)| hits.contains(w))
                .map(|(_, weight)| weight)
                .sum();
            (*intent, weight, hits)
        })
        .filter(|(_, weight, _)| *weight > 0.0)
        .collect();
    // Stable sort keeps declaration order on ties: specific intents first.
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = scored.iter().map(|(_, w, _)| w).sum();

    let keyword_reason = |intent: Intent, weight: f64, hits: &[&str]| {
        Reason::new(
            "keywords",
            weight,
            format!("{intent} keywords: {}", hits.join(", ")),
        )
    };
    let (mut value, mut confidence, mut reasons) = match scored.first() {
        Some((intent, weight, hits)) => {
            // Share of the evidence, damped when the evidence is thin.
            let share = weight / total;
            let strength = weight / (weight + 1.5);
            let mut reasons = vec![keyword_reason(*intent, *weight, hits)];
            reasons.extend(
                scored[1..]
                    .iter()
                    .map(|(i, w, h)| keyword_reason(*i, -w, h)),
            );
            (*intent, (share * strength).clamp(0.05, 0.99), reasons)
        }
        None => (
            Intent::NewBusiness,
            0.35,
            vec![Reason::new(
                "default",
                0.0,
                "no keyword matched; a sales inquiry is new business until shown otherwise",
            )],
        ),
    };
    // A customer asking to buy more is a customer request, even when other
    // words weigh as much (more seats on a subscription).
    let top = scored.first().map_or(0.0, |(_, weight, _)| *weight);
    let buying_as_much = scored
        .iter()
        .any(|(intent, weight, _)| *intent == Intent::NewBusiness && *weight >= top);
    if let Some(account) = account.filter(|a| a.status == AccountStatus::Customer)
        && (matches!(value, Intent::NewBusiness | Intent::Other | Intent::Rfp) || buying_as_much)
    {
        reasons.insert(
            0,
            Reason::new(
                CUSTOMER_ACCOUNT,
                1.0,
                format!("the sender belongs to {}, a customer account", account.name),
            ),
        );
        value = Intent::CustomerRequest;
        confidence = 0.95;
    }
    IntentDecision {
        value,
        confidence,
        reasons,
        version: RULES_VERSION.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inquiry::InquiryInput;

    fn classify_message(message: &str) -> IntentDecision {
        let inquiry = Inquiry::parse(&InquiryInput {
            email: Some("ann@acme.io".into()),
            message: Some(message.into()),
            ..Default::default()
        })
        .unwrap();
        classify(&inquiry, None)
    }

    #[test]
    fn keywords_pick_the_intent() {
        let cases = [
            (
                "Please find attached our RFP, submission deadline is May 3",
                Intent::Rfp,
            ),
            (
                "Your invoice 1043 charged us twice, we need a refund",
                Intent::Billing,
            ),
            ("Final notice: the account is past due", Intent::Collections),
            (
                "The export is not working since the update, error 500",
                Intent::Support,
            ),
            (
                "Could we get pricing and a demo for 40 seats?",
                Intent::NewBusiness,
            ),
            (
                "Do you have any job openings? My resume is attached",
                Intent::Other,
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(classify_message(message).value, expected, "{message}");
        }
    }

    #[test]
    fn phrases_match_whole_words_only() {
        assert!(contains_phrase("please send the rfp", "rfp"));
        assert!(!contains_phrase("abidjan office", "bid"));
        assert!(!contains_phrase("debugging", "bug"));
    }

    #[test]
    fn no_keyword_means_new_business_with_low_confidence() {
        let d = classify_message("Hello, please call me back.");
        assert_eq!(d.value, Intent::NewBusiness);
        assert!(d.confidence < 0.5);
        assert_eq!(d.reasons[0].code, "default");
    }

    #[test]
    fn mixed_evidence_lowers_confidence() {
        let clear = classify_message("Invoice wrong, please refund the billing charge");
        let mixed = classify_message("Invoice wrong, and the app is not working");
        assert!(mixed.confidence < clear.confidence);
    }

    #[test]
    fn a_customer_asking_to_buy_is_a_customer_request() {
        let inquiry = Inquiry::parse(&InquiryInput {
            email: Some("bob@globex.com".into()),
            message: Some("We would like pricing for 20 more seats".into()),
            ..Default::default()
        })
        .unwrap();
        let account = MatchedAccount {
            name: "Globex".into(),
            status: AccountStatus::Customer,
        };
        let d = classify(&inquiry, Some(&account));
        assert_eq!(d.value, Intent::CustomerRequest);
        assert_eq!(d.reasons[0].code, "customer_account");
    }

    #[test]
    fn a_customer_with_a_billing_question_stays_billing() {
        let inquiry = Inquiry::parse(&InquiryInput {
            email: Some("bob@globex.com".into()),
            message: Some("Our last invoice has a wrong VAT number".into()),
            ..Default::default()
        })
        .unwrap();
        let account = MatchedAccount {
            name: "Globex".into(),
            status: AccountStatus::Customer,
        };
        assert_eq!(classify(&inquiry, Some(&account)).value, Intent::Billing);
    }

    #[test]
    fn a_customer_asking_for_more_seats_on_a_subscription_makes_a_customer_request() {
        let inquiry = Inquiry::parse(&InquiryInput {
            email: Some("hana@northfield.example".into()),
            message: Some(
                "We would like to add 40 more seats to our subscription next quarter.".into(),
            ),
            ..Default::default()
        })
        .unwrap();
        let account = MatchedAccount {
            name: "Northfield".into(),
            status: AccountStatus::Customer,
        };
        let decision = classify(&inquiry, Some(&account));
        assert_eq!(decision.value, Intent::CustomerRequest);
        assert_eq!(decision.reasons[0].code, CUSTOMER_ACCOUNT);
    }

    #[test]
    fn support_collections_and_billing_requests_are_clear_from_their_words() {
        for (message, intent) in [
            (
                "The app crashes when I export a report, error 500, please help.",
                Intent::Support,
            ),
            (
                "Your account is 90 days past due. This is a final notice before collections.",
                Intent::Collections,
            ),
            (
                "Please cancel my subscription and refund my last payment.",
                Intent::Billing,
            ),
            (
                "Invoice 1234 was charged twice, please refund",
                Intent::Billing,
            ),
        ] {
            let decision = classify_message(message);
            assert_eq!(decision.value, intent, "{message}");
            assert!(
                decision.confidence >= crate::learn::combine::CLEAR_KEYWORDS,
                "{message}: {}",
                decision.confidence
            );
        }
    }
}
