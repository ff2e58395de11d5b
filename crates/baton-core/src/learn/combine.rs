//! The active models' word beside the rules': a spam probability that can
//! quarantine what the rules let through, an intent with its confidence
//! unless the rules are certain, and a conversion probability blended with
//! the points into the score. Every combined decision names the model
//! version and gives the features that weighed most.

use super::features::is_character_ngram;
use super::model::{Model, Reading};
use super::train::Task;
use crate::decision::{IntentDecision, Moderation, Reason, Score};
use crate::domain::{Grade, Intent, Verdict};
use crate::moderation::NO_SIGNAL;
use crate::triage::CUSTOMER_ACCOUNT;

/// Below this confidence a model's intent is a guess: a person decides.
pub const MIN_INTENT_CONFIDENCE: f64 = 0.6;

/// From this confidence the keyword rules are clear enough to stand
/// against the model: several keywords of one intent and few of another
/// (a support request naming a crash, an error and help).
pub const CLEAR_KEYWORDS: f64 = 0.7;

/// The share of the rules' points in a blended score; the lead's standing
/// by the conversion model (in points out of 100) makes up the rest.
pub const POINTS_SHARE: f64 = 0.5;

/// How many features are named for and against a decision.
const TOP_FEATURES: usize = 3;

/// A stored version of a task's model, as the pipeline uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveModel {
    pub task: Task,
    pub version: i64,
    pub model: Model,
}

impl ActiveModel {
    /// How decisions name it, e.g. `spam-model-2`.
    pub fn tag(&self) -> String {
        format!("{}-model-{}", self.task.name(), self.version)
    }

    /// The version of a decision the rules of `rules_version` took with it.
    fn decision_version(&self, rules_version: &str) -> String {
        format!("{rules_version}+{}", self.tag())
    }
}

/// A readable feature and what it adds to the log-odds.
type Factor = (String, f64);

/// A feature as people read it: a word or phrase quoted, a column's value
/// as it is.
fn readable(feature: &super::model::Reason) -> Factor {
    let name = match feature.feature.strip_prefix("w:") {
        Some(words) => format!("“{words}”"),
        None => feature.feature.clone(),
    };
    (name, feature.weight)
}

/// The model's explanation of `class` for `row`: its probability and the
/// strongest features toward and against it, character n-grams left out.
fn explain(model: &Model, row: &[&str], class: usize) -> (f64, Vec<Factor>, Vec<Factor>) {
    explained(&read(model, row), class)
}

/// A row as `model` reads it for a decision: character n-grams are not named.
fn read<'m>(model: &'m Model, row: &[&str]) -> Reading<'m> {
    model.read_where(row, |name| !is_character_ngram(name))
}

/// The probability of `class` and the readable factors toward and against it.
fn explained(reading: &Reading<'_>, class: usize) -> (f64, Vec<Factor>, Vec<Factor>) {
    let explanation = reading.explain(class, TOP_FEATURES);
    (
        explanation.probability,
        explanation.toward.iter().map(readable).collect(),
        explanation.against.iter().map(readable).collect(),
    )
}

/// Named features, e.g. `toward: “free”, “prize”; against: “meeting”`.
fn describe(toward: &[Factor], against: &[Factor]) -> String {
    let names = |features: &[Factor]| {
        features
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !toward.is_empty() {
        parts.push(format!("toward: {}", names(toward)));
    }
    if !against.is_empty() {
        parts.push(format!("against: {}", names(against)));
    }
    parts.join("; ")
}

/// The rules' moderation with the spam model's probability for `row`: spam
/// when the rules say so (they are certain from their own threshold) or
/// when the model's probability reaches the model's threshold, which was
/// chosen to favour precision so that real leads stay out of quarantine.
/// The score is the higher of the two.
pub fn moderate_with(rules: Moderation, spam: &ActiveModel, row: &[&str]) -> Moderation {
    let (probability, toward, against) = explain(&spam.model, row, 1);
    let threshold = spam.model.threshold();
    let verdict = if rules.verdict == Verdict::Spam || probability >= threshold {
        Verdict::Spam
    } else {
        Verdict::Ham
    };
    let mut reasons: Vec<Reason> = rules
        .reasons
        .into_iter()
        .filter(|reason| reason.code != NO_SIGNAL)
        .collect();
    reasons.push(Reason::new(
        "spam_model",
        probability,
        format!(
            "{} gives a spam probability of {probability:.3} (quarantined from {threshold:.3}); {}",
            spam.tag(),
            describe(&toward, &against)
        ),
    ));
    Moderation {
        verdict,
        score: rules.score.max(probability),
        reasons,
        version: spam.decision_version(&rules.version),
    }
}

/// The intent model's reading of `row` in place of the rules' keywords,
/// unless the rules are certain: a contact at a customer account, or
/// keywords clear enough ([`CLEAR_KEYWORDS`]) that disagree with the model,
/// which then stands beside them as a reason. The second value is true
/// when the model's confidence is too low to act on.
pub fn classify_with(
    rules: IntentDecision,
    intent: &ActiveModel,
    row: &[&str],
) -> (IntentDecision, bool) {
    if rules.reasons.iter().any(|r| r.code == CUSTOMER_ACCOUNT) {
        return (rules, false);
    }
    let reading = read(&intent.model, row);
    let best = intent.model.decide(reading.probabilities());
    // A class that is not an intent of this version cannot be acted on.
    let Ok(value) = intent.model.classes()[best].parse::<Intent>() else {
        return (rules, false);
    };
    let (confidence, toward, against) = explained(&reading, best);
    let clear_keywords =
        rules.reasons.iter().any(|r| r.code == "keywords") && rules.confidence >= CLEAR_KEYWORDS;
    if clear_keywords && value != rules.value {
        let mut kept = rules;
        kept.reasons.insert(
            0,
            Reason::new(
                "intent_model",
                0.0,
                format!(
                    "{} reads it as {value} with probability {confidence:.2}, but the keywords \
                     are clear ({:.2}) and stand; {}",
                    intent.tag(),
                    kept.confidence,
                    describe(&toward, &against)
                ),
            ),
        );
        kept.version = intent.decision_version(&kept.version);
        return (kept, false);
    }
    let mut reasons = vec![Reason::new(
        "intent_model",
        confidence,
        format!(
            "{} reads it as {value} with probability {confidence:.2} (the keyword rules: {}); {}",
            intent.tag(),
            rules.value,
            describe(&toward, &against)
        ),
    )];
    // Clear keywords the model agrees with are as sure as the keywords,
    // however unsure the model is on its own.
    let confidence = if clear_keywords {
        confidence.max(rules.confidence)
    } else {
        confidence
    };
    reasons.extend(rules.reasons);
    let decision = IntentDecision {
        value,
        confidence,
        reasons,
        version: intent.decision_version(&rules.version),
    };
    (decision, confidence < MIN_INTENT_CONFIDENCE)
}

/// The score from `points` (0–100) and a lead's standing among past leads
/// by its chance of conversion (0–1): their weighted mean, in points.
///
/// The standing, not the chance itself, is what is weighed: where few
/// leads become customers even the best have a small chance, and half a
/// score of small chances would keep every lead from grade A.
pub fn blend(points: u8, standing: f64) -> u8 {
    let blended =
        POINTS_SHARE * f64::from(points) + (1.0 - POINTS_SHARE) * 100.0 * standing.clamp(0.0, 1.0);
    blended.round().clamp(0.0, 100.0) as u8
}

/// The points score blended with the lead's standing by the conversion
/// model's probability for `row`, with the factors that raised and lowered
/// its chance.
pub fn score_with(points: Score, conversion: &ActiveModel, row: &[&str]) -> Score {
    let (probability, toward, against) = explain(&conversion.model, row, 1);
    let standing = conversion.model.standing(probability);
    let value = blend(points.value, standing);
    let mut reasons = points.reasons;
    reasons.push(Reason::new(
        "conversion_model",
        100.0 * standing,
        format!(
            "{} gives a {:.0}% chance of becoming a customer, higher than for {:.0}% of the leads it learnt from; the score weighs the points ({}) and that standing",
            conversion.tag(),
            100.0 * probability,
            100.0 * standing,
            points.value
        ),
    ));
    let factors = [
        ("conversion_for", "raises", toward),
        ("conversion_against", "lowers", against),
    ];
    for (code, verb, features) in factors {
        reasons.extend(features.into_iter().map(|(feature, weight)| {
            Reason::new(code, weight, format!("{feature} {verb} the chance"))
        }));
    }
    Score {
        value,
        grade: Grade::from_score(value),
        reasons,
        version: conversion.decision_version(&points.version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::features::ColumnRole;
    use crate::learn::train::train;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    const SPAMMY: [&str; 4] = ["free", "prize", "winner", "casino"];
    const PLAIN: [&str; 4] = ["meeting", "invoice", "pricing", "demo"];

    /// A spam model trained once on messages of spammy or plain words.
    fn spam_model() -> &'static ActiveModel {
        static MODEL: OnceLock<ActiveModel> = OnceLock::new();
        MODEL.get_or_init(|| {
            let messages: Vec<String> = (0..40)
                .map(|i| {
                    let words = if i % 2 == 0 { SPAMMY } else { PLAIN };
                    format!("{} {}", words[i % 4], words[(i / 2) % 4])
                })
                .collect();
            let rows: Vec<[&str; 1]> = messages.iter().map(|m| [m.as_str()]).collect();
            let rows: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
            let y: Vec<usize> = (0..40).map(|i| usize::from(i % 2 == 0)).collect();
            let columns = [("message".to_string(), ColumnRole::Text)];
            let names = vec!["ham".to_string(), "spam".to_string()];
            ActiveModel {
                task: Task::Spam,
                version: 7,
                model: train(Task::Spam, &columns, &rows, &y, names).model,
            }
        })
    }

    fn rules(verdict: Verdict, score: f64) -> Moderation {
        Moderation {
            verdict,
            score,
            reasons: vec![Reason::new(NO_SIGNAL, 0.0, "no spam signal fired")],
            version: "rules-1".into(),
        }
    }

    fn message() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select([SPAMMY, PLAIN].concat()), 0..6)
            .prop_map(|words| words.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_rules_spam_stands_and_the_model_quarantines_only_from_its_threshold(
            text in message(),
            rules_spam in any::<bool>(),
            rules_score in 0.0f64..1.0,
        ) {
            let model = spam_model();
            let verdict = if rules_spam { Verdict::Spam } else { Verdict::Ham };
            let combined = moderate_with(rules(verdict, rules_score), model, &[&text]);
            let probability = model.model.predict_proba(&[&text])[1];
            let expected = rules_spam || probability >= model.model.threshold();
            prop_assert_eq!(combined.verdict == Verdict::Spam, expected);
            prop_assert!(combined.score >= rules_score && combined.score >= probability - 1e-12);
            prop_assert_eq!(combined.version, "rules-1+spam-model-7");
            prop_assert!(combined.reasons.iter().all(|r| r.code != NO_SIGNAL));
        }

        #[test]
        fn a_blended_score_lies_between_the_points_and_the_standing(
            points in 0u8..=100,
            standing in 0.0f64..=1.0,
            more in 0.0f64..=1.0,
        ) {
            let score = f64::from(blend(points, standing));
            let (low, high) = {
                let standing = 100.0 * standing;
                (f64::from(points).min(standing), f64::from(points).max(standing))
            };
            prop_assert!(score >= low.floor() && score <= high.ceil());
            // A higher standing never lowers the score.
            prop_assert!(blend(points, standing.max(more)) >= blend(points, standing));
            prop_assert_eq!(blend(points, f64::from(points) / 100.0), points);
        }

        #[test]
        fn a_standing_lies_in_0_1_and_grows_with_the_chance(
            probability in 0.0f64..=1.0,
            more in 0.0f64..=1.0,
        ) {
            let model = &rare_customers().model;
            let standing = model.standing(probability);
            prop_assert!((0.0..=1.0).contains(&standing));
            prop_assert!(model.standing(probability.max(more)) >= standing);
        }
    }

    /// A conversion model of leads of whom one in ten became a customer:
    /// those from referrals, half of whom did.
    fn rare_customers() -> &'static ActiveModel {
        static MODEL: OnceLock<ActiveModel> = OnceLock::new();
        MODEL.get_or_init(|| {
            let sources = ["referral", "ads", "ads", "fair", "web"];
            let rows: Vec<[&str; 1]> = (0..200).map(|i| [sources[i % 5]]).collect();
            let rows: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
            // Referrals are rows 0, 5, 10…: every other one converted.
            let y: Vec<usize> = (0..200).map(|i| usize::from(i % 10 == 0)).collect();
            let columns = [("source".to_string(), ColumnRole::Tabular)];
            let names = vec!["lost".to_string(), "won".to_string()];
            ActiveModel {
                task: Task::Conversion,
                version: 2,
                model: train(Task::Conversion, &columns, &rows, &y, names).model,
            }
        })
    }

    #[test]
    fn the_best_leads_reach_grade_a_though_few_leads_ever_convert() {
        let model = rare_customers();
        let points = |value| Score {
            value,
            grade: Grade::from_score(value),
            reasons: Vec::new(),
            version: "points-1".into(),
        };
        let referral = score_with(points(80), model, &["referral"]);
        let chance = model.model.predict_proba(&["referral"])[1];
        assert!(chance < 0.6, "a small chance: {chance}");
        assert_eq!(referral.grade, Grade::A, "{referral:?}");
        assert!(
            referral
                .reasons
                .iter()
                .any(|r| r.code == "conversion_model" && r.weight >= 80.0),
            "above the four in five leads from elsewhere: {:?}",
            referral.reasons
        );
        let ads = score_with(points(80), model, &["ads"]);
        assert!(
            ads.value < referral.value && ads.grade != Grade::A,
            "{ads:?}"
        );
    }

    #[test]
    fn spam_words_are_named_as_the_reason() {
        let combined = moderate_with(
            rules(Verdict::Ham, 0.0),
            spam_model(),
            &["free prize winner"],
        );
        assert_eq!(combined.verdict, Verdict::Spam);
        let reason = combined.reasons.last().unwrap();
        assert_eq!(reason.code, "spam_model");
        assert!(
            reason.text.contains("toward: “free”") && !reason.text.contains("c:"),
            "{}",
            reason.text
        );
    }

    /// An intent model of three classes, each learnt from one message.
    fn three_intents() -> ActiveModel {
        let messages = [
            "refund my invoice",
            "the app is broken",
            "pricing for seats",
        ];
        let intents = ["billing", "support", "new_business"];
        let rows: Vec<[&str; 1]> = (0..30).map(|i| [messages[i % 3]]).collect();
        let rows: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        let y: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let columns = [("message".to_string(), ColumnRole::Text)];
        let names = intents.map(String::from).to_vec();
        ActiveModel {
            task: Task::Intent,
            version: 3,
            model: train(Task::Intent, &columns, &rows, &y, names).model,
        }
    }

    #[test]
    fn clear_keywords_stand_against_the_model_and_thin_ones_do_not() {
        let intent = three_intents();
        let keywords = |confidence: f64| IntentDecision {
            value: Intent::Support,
            confidence,
            reasons: vec![Reason::new(
                "keywords",
                3.5,
                "support keywords: crash, error",
            )],
            version: "rules-1".into(),
        };
        let (kept, uncertain) =
            classify_with(keywords(0.8), &intent, &["please refund my invoice"]);
        assert_eq!((kept.value, uncertain), (Intent::Support, false));
        assert_eq!(kept.confidence, 0.8);
        assert_eq!(kept.version, "rules-1+intent-model-3");
        assert_eq!(kept.reasons[0].code, "intent_model");
        assert!(kept.reasons[0].text.contains("keywords are clear"));
        let (read, _) = classify_with(keywords(0.5), &intent, &["please refund my invoice"]);
        assert_eq!(read.value, Intent::Billing, "thin keywords give way");
    }

    #[test]
    fn a_models_intent_below_the_minimum_confidence_is_uncertain() {
        let intent = three_intents();
        let rules = IntentDecision {
            value: Intent::NewBusiness,
            confidence: 0.35,
            reasons: vec![Reason::new("default", 0.0, "no keyword matched")],
            version: "rules-1".into(),
        };
        let (clear, uncertain) =
            classify_with(rules.clone(), &intent, &["please refund my invoice"]);
        assert_eq!((clear.value, uncertain), (Intent::Billing, false));
        assert_eq!(clear.version, "rules-1+intent-model-3");
        assert_eq!(clear.reasons[0].code, "intent_model");
        assert_eq!(clear.reasons[1], rules.reasons[0]);
        let (mixed, uncertain) = classify_with(rules, &intent, &["refund broken pricing"]);
        assert!(
            mixed.confidence < MIN_INTENT_CONFIDENCE,
            "{}",
            mixed.confidence
        );
        assert!(uncertain);
    }

    #[test]
    fn clear_keywords_the_model_agrees_with_are_not_uncertain() {
        let intent = three_intents();
        let default = IntentDecision {
            value: Intent::NewBusiness,
            confidence: 0.35,
            reasons: vec![Reason::new("default", 0.0, "no keyword matched")],
            version: "rules-1".into(),
        };
        let text = ["refund broken pricing"];
        let (alone, unsure) = classify_with(default, &intent, &text);
        assert!(unsure, "the model alone is unsure: {}", alone.confidence);
        let keywords = IntentDecision {
            value: alone.value,
            confidence: 0.8,
            reasons: vec![Reason::new("keywords", 6.5, "keywords agree")],
            version: "rules-1".into(),
        };
        let (agreed, unsure) = classify_with(keywords, &intent, &text);
        assert_eq!((agreed.value, unsure), (alone.value, false));
        assert_eq!(agreed.confidence, 0.8);
    }

    #[test]
    fn a_customer_account_keeps_the_rules_intent() {
        let rules = IntentDecision {
            value: Intent::CustomerRequest,
            confidence: 0.95,
            reasons: vec![Reason::new(CUSTOMER_ACCOUNT, 1.0, "a customer")],
            version: "rules-1".into(),
        };
        let intent = ActiveModel {
            task: Task::Intent,
            ..spam_model().clone()
        };
        let (decision, uncertain) = classify_with(rules.clone(), &intent, &["free prize"]);
        assert_eq!((decision, uncertain), (rules, false));
    }
}
