//! Retraining a pipeline model on labelled rows gathered from the database:
//! a fixed share of the rows is held out, a new model is trained on the
//! rest, and the new model and the active one are measured on the same
//! held-out rows. The new one replaces the active one only if it is not
//! worse there.

use super::inputs::columns;
use super::metrics::{accuracy, f_beta, macro_f1, precision_recall_f1, roc_auc};
use super::model::Model;
use super::train::{SPAM_BETA, Task, train};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One row in every this many is held out, by key.
pub const HELD_OUT_EVERY: i64 = 5;

/// Fewest training rows a model is trained on.
pub const MIN_TRAINING_ROWS: usize = 20;

/// A labelled row: `key` (an inquiry or lead id) decides whether it is held
/// out, so the same rows are held out at every retraining and no model
/// trained here has seen them.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub key: i64,
    pub row: Vec<String>,
    pub label: String,
}

/// The labels of a binary task, the positive one second; `None` for intent,
/// whose labels are the intents found.
pub fn binary_labels(task: Task) -> Option<[&'static str; 2]> {
    match task {
        Task::Spam => Some(["ham", "spam"]),
        Task::Conversion => Some(["lost", "won"]),
        Task::Intent => None,
    }
}

/// Whether the row of `key` is held out.
pub fn is_held_out(key: i64) -> bool {
    key.rem_euclid(HELD_OUT_EVERY) == 0
}

/// How a model did on the held-out rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOut {
    /// Rows measured.
    pub rows: usize,
    /// Share of rows classified right.
    pub accuracy: f64,
    /// What the comparison uses: `f0.5` of spam, `macro_f1` of the
    /// intents, `roc_auc` of conversion.
    pub metric: String,
    /// Its value; higher is better.
    pub value: f64,
}

/// Why no model was trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RetrainError {
    #[error("{task}: {rows} labelled training rows, at least {MIN_TRAINING_ROWS} are needed")]
    TooFew { task: &'static str, rows: usize },
    #[error("{task}: the {part} rows all have the label `{label}`: nothing to learn or measure")]
    OneClass {
        task: &'static str,
        part: &'static str,
        label: String,
    },
}

/// A new model and how it compares with the active one.
#[derive(Debug, Clone)]
pub struct Retrained {
    pub model: Model,
    /// The learner cross-validation chose.
    pub chosen: String,
    pub training_rows: usize,
    pub held_out: HeldOut,
    /// The active model on the same rows, when there is one.
    pub active: Option<HeldOut>,
}

impl Retrained {
    /// True when the new model may replace the active one: there is none,
    /// or it does at least as well on the held-out rows.
    pub fn is_not_worse(&self) -> bool {
        self.active
            .as_ref()
            .is_none_or(|active| self.held_out.value >= active.value)
    }
}

/// Trains a model for `task` on the examples not held out and measures it,
/// and `active` if given, on the held-out ones.
pub fn retrain(
    task: Task,
    examples: &[Example],
    active: Option<&Model>,
) -> Result<Retrained, RetrainError> {
    let (held_out, training): (Vec<&Example>, Vec<&Example>) = examples
        .iter()
        .partition(|example| is_held_out(example.key));
    if training.len() < MIN_TRAINING_ROWS {
        return Err(RetrainError::TooFew {
            task: task.name(),
            rows: training.len(),
        });
    }
    let class_names: Vec<String> = match binary_labels(task) {
        Some(labels) => labels.map(String::from).to_vec(),
        None => training
            .iter()
            .map(|example| example.label.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    let one_class = |part: &'static str, rows: &[&Example]| {
        let labels: BTreeSet<&str> = rows.iter().map(|e| e.label.as_str()).collect();
        match labels.len() {
            2.. => Ok(()),
            _ => Err(RetrainError::OneClass {
                task: task.name(),
                part,
                label: labels.into_iter().next().unwrap_or_default().to_owned(),
            }),
        }
    };
    one_class("training", &training)?;
    one_class("held-out", &held_out)?;
    let y: Vec<usize> = training
        .iter()
        .map(|example| class_index(&class_names, &example.label))
        .collect();
    let rows: Vec<Vec<&str>> = training
        .iter()
        .map(|example| example.row.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let trained = train(task, &columns(task), &rows, &y, class_names);
    Ok(Retrained {
        held_out: measure(task, &trained.model, &held_out),
        active: active.map(|model| measure(task, model, &held_out)),
        model: trained.model,
        chosen: trained.chosen,
        training_rows: training.len(),
    })
}

/// The index of `label` among `names`; a label a model does not know gets
/// an index none of its predictions has.
fn class_index(names: &[String], label: &str) -> usize {
    names
        .iter()
        .position(|name| name == label)
        .unwrap_or(names.len())
}

/// How `model` does on `examples`, by the metric the task's decisions need.
pub fn measure(task: Task, model: &Model, examples: &[&Example]) -> HeldOut {
    let names = model.classes();
    let truth: Vec<usize> = examples
        .iter()
        .map(|example| class_index(names, &example.label))
        .collect();
    let probabilities: Vec<Vec<f64>> = examples
        .iter()
        .map(|example| {
            let row: Vec<&str> = example.row.iter().map(String::as_str).collect();
            model.predict_proba(&row)
        })
        .collect();
    let predicted: Vec<usize> = probabilities.iter().map(|p| model.decide(p)).collect();
    let (metric, value) = match task {
        Task::Spam => {
            let (precision, recall, _) = precision_recall_f1(&truth, &predicted, 1);
            ("f0.5", f_beta(precision, recall, SPAM_BETA))
        }
        Task::Intent => ("macro_f1", macro_f1(&truth, &predicted)),
        Task::Conversion => {
            let positive: Vec<bool> = truth.iter().map(|class| *class == 1).collect();
            let scores: Vec<f64> = probabilities.iter().map(|p| p[1]).collect();
            ("roc_auc", roc_auc(&positive, &scores).unwrap_or(0.5))
        }
    };
    HeldOut {
        rows: examples.len(),
        accuracy: accuracy(&truth, &predicted),
        metric: metric.to_owned(),
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Channel;
    use crate::inquiry::{Inquiry, InquiryInput};
    use crate::learn::inputs::{Known, row};

    /// Spam rows: every third message is about prizes and labelled spam;
    /// `noisy` mislabels every other training row (never a held-out one),
    /// so a model learns little from them.
    fn spam_examples(count: i64, noisy: bool) -> Vec<Example> {
        (1..=count)
            .map(|key| {
                let spam = key % 3 == 0;
                let message = if spam {
                    format!("claim your free prize {key} now")
                } else {
                    format!("please send pricing for {key} seats")
                };
                let inquiry = Inquiry::parse(&InquiryInput {
                    email: Some(format!("p{key}@example.com")),
                    message: Some(message),
                    ..Default::default()
                })
                .unwrap();
                let known = Known {
                    channel: Channel::Api,
                    honeypot_filled: false,
                    intent: None,
                };
                let label = if spam != (noisy && !is_held_out(key) && key % 2 == 0) {
                    "spam"
                } else {
                    "ham"
                };
                Example {
                    key,
                    row: row(Task::Spam, &inquiry, &known),
                    label: label.to_owned(),
                }
            })
            .collect()
    }

    #[test]
    fn the_held_out_rows_are_never_trained_on() {
        let examples = spam_examples(60, false);
        let retrained = retrain(Task::Spam, &examples, None).unwrap();
        assert_eq!(retrained.training_rows, 48);
        assert_eq!(retrained.held_out.rows, 12);
        assert_eq!(retrained.held_out.metric, "f0.5");
        assert_eq!(retrained.held_out.value, 1.0);
        assert!(retrained.is_not_worse());
    }

    #[test]
    fn a_model_worse_on_the_held_out_rows_does_not_replace_the_active_one() {
        let good = retrain(Task::Spam, &spam_examples(60, false), None)
            .unwrap()
            .model;
        let confused = retrain(Task::Spam, &spam_examples(60, true), Some(&good)).unwrap();
        let active = confused.active.clone().unwrap();
        assert!(
            confused.held_out.value < active.value,
            "{:?} against {active:?}",
            confused.held_out
        );
        assert!(!confused.is_not_worse());
        // Measured on the same rows, a model is not worse than itself.
        let again = retrain(Task::Spam, &spam_examples(60, false), Some(&good)).unwrap();
        assert!(again.is_not_worse());
    }

    #[test]
    fn too_few_or_single_class_rows_train_nothing() {
        assert_eq!(
            retrain(Task::Spam, &spam_examples(10, false), None).unwrap_err(),
            RetrainError::TooFew {
                task: "spam",
                rows: 8
            }
        );
        let all_ham: Vec<Example> = spam_examples(60, false)
            .into_iter()
            .map(|e| Example {
                label: "ham".into(),
                ..e
            })
            .collect();
        assert!(matches!(
            retrain(Task::Spam, &all_ham, None),
            Err(RetrainError::OneClass {
                part: "training",
                ..
            })
        ));
    }
}
