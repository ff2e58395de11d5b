//! Training on some rows of a labelled table and measuring the model on
//! others.

use super::dataset::Examples;
use super::metrics::{accuracy, macro_f1, precision_recall_f1, roc_auc};
use super::model::Model;
use super::train::{Task, train};
use serde::Serialize;
use std::collections::BTreeSet;

/// Why an evaluation cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluateError {
    /// The positive class is not among the labels.
    #[error("--positive {positive}: no row has this label (labels: {labels})")]
    NoPositive { positive: String, labels: String },
    /// Training needs two classes.
    #[error("the training rows have a single class `{0}`: nothing to learn")]
    OneClass(String),
    /// No rows to train or to test on.
    #[error("no {0} rows")]
    NoRows(&'static str),
    /// A row is both a training and a test row.
    #[error("row {0} is both a training and a test row")]
    Overlap(usize),
}

/// Metrics on the test rows, and what was trained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Rows trained on.
    pub train_rows: usize,
    /// Rows tested on.
    pub test_rows: usize,
    /// Share of test rows classified right.
    pub accuracy: f64,
    /// Precision for the positive class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// Recall for the positive class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall: Option<f64>,
    /// F1 for the positive class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub f1: Option<f64>,
    /// Mean F1 over the classes (several classes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macro_f1: Option<f64>,
    /// Area under the ROC curve of the positive probability (two classes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roc_auc: Option<f64>,
    /// Probability from which the positive class is predicted (two classes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The learner cross-validation chose.
    pub model: String,
}

/// Trains a model for `task` on the `train` rows of `examples` (every row
/// not in `test` when `None`) and measures it on the `test` rows. Binary
/// tasks learn `positive` against every other label; intent learns every
/// label, and reports precision, recall and F1 for `positive` when given.
pub fn evaluate(
    task: Task,
    examples: &Examples,
    test: &[usize],
    train_rows: Option<&[usize]>,
    positive: Option<&str>,
) -> Result<(Report, Model), EvaluateError> {
    let in_test: BTreeSet<usize> = test.iter().copied().collect();
    let train_rows: Vec<usize> = match train_rows {
        Some(rows) => {
            if let Some(row) = rows.iter().find(|row| in_test.contains(row)) {
                return Err(EvaluateError::Overlap(*row));
            }
            rows.to_vec()
        }
        None => (0..examples.rows.len())
            .filter(|row| !in_test.contains(row))
            .collect(),
    };
    if test.is_empty() {
        return Err(EvaluateError::NoRows("test"));
    }
    if train_rows.is_empty() {
        return Err(EvaluateError::NoRows("training"));
    }
    let labels: BTreeSet<&str> = examples.labels.iter().map(String::as_str).collect();
    let positive = match (task.is_binary(), positive) {
        (true, None) => Some("1"),
        (_, positive) => positive,
    };
    if let Some(positive) = positive.filter(|positive| !labels.contains(positive)) {
        return Err(EvaluateError::NoPositive {
            positive: positive.to_owned(),
            labels: labels.iter().copied().collect::<Vec<_>>().join(", "),
        });
    }
    let class_names: Vec<String> = match (task.is_binary(), positive) {
        (true, Some(positive)) => vec![format!("not {positive}"), positive.to_owned()],
        _ => train_rows
            .iter()
            .map(|row| examples.labels[*row].clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    // A label absent from training gets an index no prediction has.
    let class_of = |row: usize| {
        let label = &examples.labels[row];
        match (task.is_binary(), positive) {
            (true, Some(positive)) => usize::from(label == positive),
            _ => class_names
                .iter()
                .position(|name| name == label)
                .unwrap_or(class_names.len()),
        }
    };
    let y: Vec<usize> = train_rows.iter().map(|row| class_of(*row)).collect();
    if y.iter().all(|label| *label == y[0]) {
        return Err(EvaluateError::OneClass(class_names[y[0]].clone()));
    }
    let rows: Vec<Vec<&str>> = examples
        .rows
        .iter()
        .map(|row| row.iter().map(String::as_str).collect())
        .collect();
    let train_values: Vec<&[&str]> = train_rows.iter().map(|row| rows[*row].as_slice()).collect();
    let trained = train(
        task,
        &examples.columns,
        &train_values,
        &y,
        class_names.clone(),
    );
    let model = trained.model;
    let truth: Vec<usize> = test.iter().map(|row| class_of(*row)).collect();
    let probabilities: Vec<Vec<f64>> = test
        .iter()
        .map(|row| model.predict_proba(&rows[*row]))
        .collect();
    let predicted: Vec<usize> = probabilities.iter().map(|p| model.decide(p)).collect();
    let positive_class = positive.and_then(|positive| match task.is_binary() {
        true => Some(1),
        false => class_names.iter().position(|name| name == positive),
    });
    let (precision, recall, f1) = match positive_class {
        Some(class) => {
            let (p, r, f) = precision_recall_f1(&truth, &predicted, class);
            (Some(p), Some(r), Some(f))
        }
        None => (None, None, None),
    };
    let binary = class_names.len() == 2;
    let roc_auc = binary
        .then(|| {
            let positive: Vec<bool> = truth.iter().map(|class| *class == 1).collect();
            let scores: Vec<f64> = probabilities.iter().map(|p| p[1]).collect();
            roc_auc(&positive, &scores)
        })
        .flatten();
    let report = Report {
        train_rows: train_rows.len(),
        test_rows: test.len(),
        accuracy: accuracy(&truth, &predicted),
        precision,
        recall,
        f1,
        macro_f1: (!task.is_binary()).then(|| macro_f1(&truth, &predicted)),
        roc_auc,
        threshold: binary.then(|| model.threshold()),
        model: trained.chosen,
    };
    Ok((report, model))
}
