//! Decisions the pipeline makes, each with the reasons behind it and the
//! version of the rules or model that made it.

use crate::domain::{Grade, Intent, Verdict};
use serde::{Deserialize, Serialize};

/// One reason behind a decision: a stable code for machines, a sentence for
/// people, and how much it weighed (points, log-odds or a share, per step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub code: String,
    pub text: String,
    pub weight: f64,
}

impl Reason {
    pub fn new(code: &str, weight: f64, text: impl Into<String>) -> Reason {
        Reason {
            code: code.to_string(),
            text: text.into(),
            weight,
        }
    }
}

/// Is it spam? `score` is in [0, 1]; at or above the threshold it is spam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Moderation {
    pub verdict: Verdict,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub version: String,
}

/// What does the person want, and how sure are we (in [0, 1]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntentDecision {
    pub value: Intent,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    pub version: String,
}

/// How promising is the lead: 0–100 and its grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Score {
    pub value: u8,
    pub grade: Grade,
    pub reasons: Vec<Reason>,
    pub version: String,
}
