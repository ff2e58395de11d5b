//! Training on some rows of a labelled table and measuring the model on
//! others.

use super::dataset::Examples;
use super::metrics::{accuracy, macro_f1, precision_recall_f1, roc_auc};
use super::model::Model;
use super::train::{FOLDS, Task, Trained, stratified_folds, train};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why an evaluation cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluateError {
    /// The positive class is not among the labels.
    #[error("--positive {positive}: no row has this label (labels: {labels})")]
    NoPositive { positive: String, labels: String },
    /// The positive class is among the labels, but not of a training row:
    /// no model could predict it.
    #[error("--positive {0}: no training row has this label, so no model predicts it")]
    PositiveUntrained(String),
    /// Training needs two classes.
    #[error("the training rows have a single class `{0}`: nothing to learn")]
    OneClass(String),
    /// A class of a two-class task has too few training rows for the
    /// cross-validation that calibrates the model and chooses its threshold.
    #[error(
        "the training rows hold {count} of `{label}`: each of the two needs at least {FOLDS}, \
         one for each fold of the cross-validation that calibrates the model"
    )]
    TooFewOfClass { label: String, count: usize },
    /// No rows to train or to test on.
    #[error("no {0} rows")]
    NoRows(&'static str),
    /// A row is both a training and a test row.
    #[error("row {0} is both a training and a test row")]
    Overlap(usize),
    /// Fewer rows than folds.
    #[error("{rows} rows cannot be split into {folds} folds")]
    TooFewRows { rows: usize, folds: usize },
    /// A two-class task given more labels: a typo (`yes` for `1`) would
    /// otherwise count as the other class.
    #[error(
        "the {task} task tells two labels apart, and the rows hold {count} ({labels}): \
         map them to two with --label-map"
    )]
    TooManyLabels {
        task: &'static str,
        count: usize,
        labels: String,
    },
}

/// The first labels, and how many there are when they are many (a text
/// column chosen as the label would otherwise print every message).
fn listed(labels: &BTreeSet<&str>) -> String {
    const SHOWN: usize = 10;
    let first: Vec<&str> = labels.iter().copied().take(SHOWN).collect();
    match labels.len() {
        n if n > SHOWN => format!("{}, … {n} in all", first.join(", ")),
        _ => first.join(", "),
    }
}

/// Metrics on the test rows, and what was trained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Rows trained on; under cross-validation, the rows split into folds.
    pub train_rows: usize,
    /// Rows tested on; under cross-validation every row, once.
    pub test_rows: usize,
    /// Under cross-validation, how many folds: each row was tested by the
    /// model trained on the other folds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folds: Option<usize>,
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
    /// Probability from which the positive class is predicted (two classes;
    /// under cross-validation each fold's model has its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The learner cross-validation chose; under cross-validation of the
    /// whole procedure, each choice with the number of folds that made it.
    pub model: String,
}

/// How the labels of an evaluation become classes.
struct Classes<'a> {
    task: Task,
    /// The positive label: binary tasks learn it against every other label.
    positive: Option<&'a str>,
    names: Vec<String>,
}

impl<'a> Classes<'a> {
    /// The classes of `task` over the labels of `rows`.
    fn of(
        task: Task,
        examples: &Examples,
        rows: &[usize],
        positive: Option<&'a str>,
    ) -> Result<Classes<'a>, EvaluateError> {
        let labels: BTreeSet<&str> = examples.labels.iter().map(String::as_str).collect();
        let positive = match (task.is_binary(), positive) {
            (true, None) => Some("1"),
            (_, positive) => positive,
        };
        if let Some(positive) = positive.filter(|positive| !labels.contains(positive)) {
            return Err(EvaluateError::NoPositive {
                positive: positive.to_owned(),
                labels: listed(&labels),
            });
        }
        if task.is_binary() && labels.len() > 2 {
            return Err(EvaluateError::TooManyLabels {
                task: task.name(),
                count: labels.len(),
                labels: listed(&labels),
            });
        }
        let names: Vec<String> = match (task.is_binary(), positive) {
            (true, Some(positive)) => vec![format!("not {positive}"), positive.to_owned()],
            _ => rows
                .iter()
                .map(|row| examples.labels[*row].clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        };
        if let Some(positive) = positive
            .filter(|positive| !task.is_binary() && !names.iter().any(|name| name == positive))
        {
            return Err(EvaluateError::PositiveUntrained(positive.to_owned()));
        }
        Ok(Classes {
            task,
            positive,
            names,
        })
    }

    /// The class of a label; a label absent from training gets an index no
    /// prediction has.
    fn of_label(&self, label: &str) -> usize {
        match (self.task.is_binary(), self.positive) {
            (true, Some(positive)) => usize::from(label == positive),
            _ => self
                .names
                .iter()
                .position(|name| name == label)
                .unwrap_or(self.names.len()),
        }
    }

    /// The class whose precision, recall and F1 are reported.
    fn positive_class(&self) -> Option<usize> {
        let positive = self.positive?;
        match self.task.is_binary() {
            true => Some(1),
            false => self.names.iter().position(|name| name == positive),
        }
    }
}

/// The examples' rows as string slices, as training reads them.
fn borrowed(examples: &Examples) -> Vec<Vec<&str>> {
    examples
        .rows
        .iter()
        .map(|row| row.iter().map(String::as_str).collect())
        .collect()
}

/// Trains on `train_rows` (labelled by `classes`); fails when they hold a
/// single class.
fn train_on(
    classes: &Classes,
    examples: &Examples,
    rows: &[Vec<&str>],
    train_rows: &[usize],
) -> Result<Trained, EvaluateError> {
    let y: Vec<usize> = train_rows
        .iter()
        .map(|row| classes.of_label(&examples.labels[*row]))
        .collect();
    // A fold of a tiny file may leave nothing to train on.
    let Some(first) = y.first() else {
        return Err(EvaluateError::NoRows("training"));
    };
    if y.iter().all(|label| label == first) {
        return Err(EvaluateError::OneClass(classes.names[*first].clone()));
    }
    // A two-class model is calibrated and given its threshold from
    // out-of-fold scores, which need every class in every fold.
    for (class, name) in classes
        .names
        .iter()
        .enumerate()
        .filter(|_| classes.task.is_binary())
    {
        let count = y.iter().filter(|label| **label == class).count();
        if count < FOLDS {
            return Err(EvaluateError::TooFewOfClass {
                label: name.clone(),
                count,
            });
        }
    }
    let values: Vec<&[&str]> = train_rows.iter().map(|row| rows[*row].as_slice()).collect();
    Ok(train(
        classes.task,
        &examples.columns,
        &values,
        &y,
        classes.names.clone(),
    ))
}

/// What a model said about tested rows: the true class, the probabilities
/// and the decision of each.
#[derive(Default)]
struct Predictions {
    truth: Vec<usize>,
    probabilities: Vec<Vec<f64>>,
    predicted: Vec<usize>,
}

impl Predictions {
    /// Adds what `model` says of the `tested` rows.
    fn add(
        &mut self,
        classes: &Classes,
        examples: &Examples,
        rows: &[Vec<&str>],
        model: &Model,
        tested: &[usize],
    ) {
        for row in tested {
            let probabilities = model.predict_proba(&rows[*row]);
            self.truth.push(classes.of_label(&examples.labels[*row]));
            self.predicted.push(model.decide(&probabilities));
            self.probabilities.push(probabilities);
        }
    }

    /// The metrics over every prediction.
    fn report(&self, classes: &Classes, train_rows: usize, model: String) -> Report {
        // Precision is undefined without a positive prediction, recall
        // without a positive row, and F1 without recall: such are left out,
        // as ROC-AUC is without both classes, rather than shown as 0.
        let (precision, recall, f1) = match classes.positive_class() {
            Some(class) => {
                let (p, r, f) = precision_recall_f1(&self.truth, &self.predicted, class);
                let predicted = self.predicted.contains(&class);
                let present = self.truth.contains(&class);
                (
                    predicted.then_some(p),
                    present.then_some(r),
                    present.then_some(f),
                )
            }
            None => (None, None, None),
        };
        let roc_auc = (classes.names.len() == 2)
            .then(|| {
                let positive: Vec<bool> = self.truth.iter().map(|class| *class == 1).collect();
                let scores: Vec<f64> = self.probabilities.iter().map(|p| p[1]).collect();
                roc_auc(&positive, &scores)
            })
            .flatten();
        Report {
            train_rows,
            test_rows: self.truth.len(),
            folds: None,
            accuracy: accuracy(&self.truth, &self.predicted),
            precision,
            recall,
            f1,
            macro_f1: (!classes.task.is_binary()).then(|| macro_f1(&self.truth, &self.predicted)),
            roc_auc,
            threshold: None,
            model,
        }
    }
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
    let classes = Classes::of(task, examples, &train_rows, positive)?;
    let rows = borrowed(examples);
    let trained = train_on(&classes, examples, &rows, &train_rows)?;
    let mut predictions = Predictions::default();
    predictions.add(&classes, examples, &rows, &trained.model, test);
    let mut report = predictions.report(&classes, train_rows.len(), trained.chosen);
    if classes.names.len() == 2 {
        report.threshold = Some(trained.model.threshold());
    }
    Ok((report, trained.model))
}

/// Measures the whole training procedure (the choice of learner and
/// threshold by inner cross-validation included) by `folds`-fold
/// cross-validation over `rows` (every row when `None`): each row is tested
/// once, by the model trained on the other folds, and the metrics are taken
/// over all of them. Folds are stratified by class, rows dealt in turn in
/// their order. For a data set without a test split, or to measure a
/// change to training without looking at one.
pub fn cross_validate(
    task: Task,
    examples: &Examples,
    rows: Option<&[usize]>,
    folds: usize,
    positive: Option<&str>,
) -> Result<Report, EvaluateError> {
    let rows: Vec<usize> = match rows {
        Some(rows) => rows.to_vec(),
        None => (0..examples.rows.len()).collect(),
    };
    if rows.len() < folds {
        return Err(EvaluateError::TooFewRows {
            rows: rows.len(),
            folds,
        });
    }
    let classes = Classes::of(task, examples, &rows, positive)?;
    let y: Vec<usize> = rows
        .iter()
        .map(|row| classes.of_label(&examples.labels[*row]))
        .collect();
    let fold_of = stratified_folds(&y, classes.names.len(), folds);
    let values = borrowed(examples);
    let mut predictions = Predictions::default();
    let mut chosen: BTreeMap<String, usize> = BTreeMap::new();
    for fold in 0..folds {
        let in_fold = |wanted: bool| -> Vec<usize> {
            rows.iter()
                .zip(&fold_of)
                .filter(|(_, of)| (**of == fold) == wanted)
                .map(|(row, _)| *row)
                .collect()
        };
        let (tested, trained_on) = (in_fold(true), in_fold(false));
        let trained = train_on(&classes, examples, &values, &trained_on)?;
        predictions.add(&classes, examples, &values, &trained.model, &tested);
        *chosen.entry(trained.chosen).or_default() += 1;
    }
    let model = chosen
        .into_iter()
        .map(|(model, count)| format!("{model} ({count} of {folds} folds)"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut report = predictions.report(&classes, rows.len(), model);
    report.folds = Some(folds);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::features::ColumnRole;

    /// Messages that say "offer" are spam, the rest are not; a few of each
    /// are mislabelled so that no fold is perfect.
    fn messages(count: usize) -> Examples {
        let (rows, labels) = (0..count)
            .map(|i| {
                let spam = i % 3 == 0;
                let text = match spam {
                    true => format!("free offer number {i} click now"),
                    false => format!("meeting about invoice {i} thanks"),
                };
                let label = usize::from(spam != (i % 17 == 0));
                (vec![text], label.to_string())
            })
            .unzip();
        Examples {
            columns: vec![("message".to_owned(), ColumnRole::Text)],
            rows,
            labels,
        }
    }

    #[test]
    fn a_missing_positive_label_lists_the_first_labels_and_counts_them() {
        let mut examples = messages(30);
        examples.labels = (0..30).map(|i| format!("label {i:02}")).collect();
        let error = cross_validate(Task::Spam, &examples, None, 3, Some("1")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--positive 1: no row has this label (labels: label 00, label 01, label 02, \
             label 03, label 04, label 05, label 06, label 07, label 08, label 09, … 30 in all)"
        );
    }

    #[test]
    fn cross_validation_tests_every_row_once_by_a_model_that_never_saw_it() {
        let examples = messages(120);
        let report = cross_validate(Task::Spam, &examples, None, 4, Some("1")).unwrap();
        assert_eq!((report.train_rows, report.test_rows), (120, 120));
        assert_eq!(report.folds, Some(4));
        assert_eq!(report.threshold, None);
        // The mislabelled rows cannot be predicted by a model that did not
        // learn them, so accuracy falls short of 1 by at least their share.
        let mislabelled = (0..120).filter(|i| i % 17 == 0).count() as f64 / 120.0;
        assert!(report.accuracy <= 1.0 - mislabelled + 1e-9, "{report:?}");
        assert!(report.accuracy > 0.8, "{report:?}");
        assert!(report.model.ends_with("of 4 folds)"), "{}", report.model);
        // Deterministic: the same folds and the same models.
        assert_eq!(
            cross_validate(Task::Spam, &examples, None, 4, Some("1")).unwrap(),
            report
        );
    }

    #[test]
    fn cross_validation_stays_within_the_rows_it_is_given() {
        let examples = messages(150);
        let rows: Vec<usize> = (0..150).filter(|row| row % 5 != 0).collect();
        let report = cross_validate(Task::Spam, &examples, Some(&rows), 3, Some("1")).unwrap();
        assert_eq!((report.train_rows, report.test_rows), (120, 120));
        assert_eq!(
            cross_validate(Task::Spam, &examples, Some(&rows[..2]), 3, Some("1")),
            Err(EvaluateError::TooFewRows { rows: 2, folds: 3 })
        );
    }

    #[test]
    fn a_two_class_task_refuses_a_third_label_rather_than_count_it_as_negative() {
        let mut examples = messages(30);
        examples.labels[4] = "yes".into();
        assert_eq!(
            cross_validate(Task::Spam, &examples, None, 3, Some("1"))
                .unwrap_err()
                .to_string(),
            "the spam task tells two labels apart, and the rows hold 3 (0, 1, yes): \
             map them to two with --label-map"
        );
    }

    #[test]
    fn a_class_too_rare_to_calibrate_on_is_refused_not_given_a_threshold_of_nan() {
        let examples = messages(60);
        let test: Vec<usize> = (20..60).collect();
        let (spam, ham): (Vec<usize>, Vec<usize>) =
            (0..20).partition(|row| examples.labels[*row] == "1");
        let few: Vec<usize> = ham.into_iter().chain(spam[..2].iter().copied()).collect();
        assert_eq!(
            evaluate(Task::Spam, &examples, &test, Some(&few), Some("1"))
                .unwrap_err()
                .to_string(),
            "the training rows hold 2 of `1`: each of the two needs at least 5, one for each \
             fold of the cross-validation that calibrates the model"
        );
    }

    #[test]
    fn metrics_without_a_meaning_on_the_test_rows_are_left_out_not_zero() {
        let examples = messages(60);
        // Rows whose words say what their label says.
        let ham: Vec<usize> = (0..60)
            .filter(|row| row % 3 != 0 && row % 17 != 0)
            .collect();
        let train: Vec<usize> = (0..60).filter(|row| !ham[..5].contains(row)).collect();
        let (report, _) =
            evaluate(Task::Spam, &examples, &ham[..5], Some(&train), Some("1")).unwrap();
        assert_eq!(report.accuracy, 1.0);
        assert_eq!(
            (report.precision, report.recall, report.f1, report.roc_auc),
            (None, None, None, None)
        );
        let mut intent = messages(60);
        intent.labels[59] = "rare".into();
        assert_eq!(
            evaluate(Task::Intent, &intent, &[59], None, Some("rare"))
                .unwrap_err()
                .to_string(),
            "--positive rare: no training row has this label, so no model predicts it"
        );
    }

    #[test]
    fn a_fold_left_with_nothing_to_train_on_is_refused_not_a_crash() {
        // One row of each class: both fall in the first fold.
        let mut examples = messages(2);
        examples.labels = vec!["1".into(), "0".into()];
        for task in [Task::Spam, Task::Intent] {
            assert_eq!(
                cross_validate(task, &examples, None, 2, Some("1")),
                Err(EvaluateError::NoRows("training")),
                "{task:?}"
            );
        }
    }
}
