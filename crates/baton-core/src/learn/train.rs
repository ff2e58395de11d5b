//! Training a model for a task, with its settings chosen honestly: each
//! candidate (features and learner) is scored by cross-validation inside the
//! training rows only, the best is fitted on all of them, and a binary model
//! is calibrated and given its threshold from its out-of-fold predictions.

use super::boosting::{self, BoostingOptions};
use super::calibrate::platt;
use super::features::{ColumnRole, FeatureOptions, FeatureSpace};
use super::linear::{sigmoid, softmax};
use super::logistic::{self, LogisticOptions};
use super::metrics::{f_beta, macro_f1, roc_auc};
use super::model::{Model, Scorer};
use super::naive_bayes;
use super::sparse::SparseVector;
use serde::{Deserialize, Serialize};

/// What a model decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Spam or not, from the message and the form's signals. Its threshold
    /// favours precision: a real lead lost in quarantine costs more than a
    /// spam a moderator has to look at.
    Spam,
    /// Which kind of inquiry (new business, support, billing, …).
    Intent,
    /// Whether a lead becomes a customer.
    Conversion,
}

impl Task {
    /// Whether the task tells one positive class from the rest.
    pub fn is_binary(self) -> bool {
        self != Task::Intent
    }

    /// The task's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Task::Spam => "spam",
            Task::Intent => "intent",
            Task::Conversion => "conversion",
        }
    }

    /// Every task, in pipeline order.
    pub const ALL: [Task; 3] = [Task::Spam, Task::Intent, Task::Conversion];

    /// The task of this [`Task::name`].
    pub fn from_name(name: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|task| task.name() == name)
    }

    /// The candidates cross-validation chooses from, the preferred first
    /// (it wins ties).
    fn candidates(self) -> Vec<Candidate> {
        let text = FeatureOptions::default();
        let options = |c| LogisticOptions {
            c,
            ..LogisticOptions::default()
        };
        let logistic =
            [10.0, 100.0].map(|c| Candidate::new(text.clone(), Learner::Logistic(options(c))));
        let naive_bayes = Candidate::new(text.clone(), Learner::NaiveBayes { alpha: 0.1 });
        match self {
            Task::Spam => {
                let nb_logistic = [10.0, 100.0]
                    .map(|c| Candidate::new(text.clone(), Learner::NbLogistic(options(c))));
                logistic
                    .into_iter()
                    .chain(nb_logistic)
                    .chain([naive_bayes])
                    .collect()
            }
            Task::Intent => logistic.into_iter().chain([naive_bayes]).collect(),
            // Leads are few columns of few values whose combinations
            // matter (time on the website counts for some sources and not
            // others): trees find them, where logistic regression on every
            // pair of values ranked leads no better and trained ten times
            // slower. Trees cut numbers at their own quantiles, so numbers
            // come without bins; each tree sees half of the features.
            Task::Conversion => {
                let tabular = FeatureOptions {
                    numeric_bins: 0,
                    ..text
                };
                let trees = BoostingOptions {
                    feature_share: 0.5,
                    ..BoostingOptions::default()
                };
                vec![Candidate::new(tabular, Learner::Boosted(trees))]
            }
        }
    }
}

/// A way to learn: how features are made and which classifier is fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    features: FeatureOptions,
    learner: Learner,
}

/// A classifier and its setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Learner {
    /// L2-penalised logistic regression.
    Logistic(LogisticOptions),
    /// Logistic regression on features scaled by their naive-Bayes
    /// log-count ratio (two classes only).
    NbLogistic(LogisticOptions),
    /// Multinomial naive Bayes with additive smoothing `alpha`.
    NaiveBayes {
        /// The smoothing.
        alpha: f64,
    },
    /// Gradient-boosted trees (two classes only).
    Boosted(BoostingOptions),
}

impl Candidate {
    fn new(mut features: FeatureOptions, learner: Learner) -> Candidate {
        // Naive Bayes reads features as counts and trees compare values:
        // signs that make collisions cancel out only help linear sums.
        features.signed = !matches!(learner, Learner::NaiveBayes { .. } | Learner::Boosted(_));
        Candidate { features, learner }
    }

    /// A short description, e.g. `logistic regression C=10`.
    pub fn describe(&self) -> String {
        self.learner.describe()
    }

    /// Fits the feature space and the classifier on `rows` labelled `y`.
    fn fit(
        &self,
        columns: &[(String, ColumnRole)],
        rows: &[&[&str]],
        y: &[usize],
        classes: usize,
    ) -> (FeatureSpace, Scorer) {
        let owned: Vec<Vec<&str>> = rows.iter().map(|row| row.to_vec()).collect();
        let space = FeatureSpace::fit(columns, &owned, self.features.clone());
        let x: Vec<_> = rows.iter().map(|row| space.vectorize(row)).collect();
        let scorer = self.learner.fit(&x, y, classes, space.dimension());
        (space, scorer)
    }
}

impl Learner {
    /// A short description, e.g. `logistic regression C=10`.
    fn describe(&self) -> String {
        match self {
            Learner::Logistic(options) => format!("logistic regression C={}", options.c),
            Learner::NbLogistic(options) => {
                format!("logistic regression on naive-Bayes ratios C={}", options.c)
            }
            Learner::NaiveBayes { alpha } => format!("naive Bayes alpha={alpha}"),
            Learner::Boosted(options) => format!(
                "boosted trees: {} of depth {}, learning rate {}, {}% of the features each",
                options.trees,
                options.depth,
                options.learning_rate,
                (options.feature_share * 100.0).round()
            ),
        }
    }

    /// Fits the classifier on feature vectors `x` over `dimension` slots.
    fn fit(&self, x: &[SparseVector], y: &[usize], classes: usize, dimension: usize) -> Scorer {
        match self {
            Learner::Logistic(options) => {
                Scorer::Linear(logistic::train(x, y, classes, dimension, *options))
            }
            Learner::NbLogistic(options) => {
                let ratios = naive_bayes::log_count_ratio(x, y, dimension, 1.0);
                let scaled: Vec<_> = x
                    .iter()
                    .map(|row| {
                        let mut row = row.clone();
                        row.map_values(|slot, value| value * ratios[slot as usize]);
                        row
                    })
                    .collect();
                let mut linear = logistic::train(&scaled, y, classes, dimension, *options);
                linear.scale_features(&ratios);
                Scorer::Linear(linear)
            }
            Learner::NaiveBayes { alpha } => {
                Scorer::Linear(naive_bayes::train(x, y, classes, dimension, *alpha))
            }
            Learner::Boosted(options) => Scorer::Boosted(boosting::train(x, y, *options)),
        }
    }
}

/// Folds of cross-validation inside the training rows.
pub const FOLDS: usize = 5;

/// A trained model and how it was chosen.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The model, fitted on every training row.
    pub model: Model,
    /// The chosen candidate, described.
    pub chosen: String,
}

/// Trains a model for `task` on `rows` (one value per column of `columns`)
/// labelled `y`, indices into `class_names`; for a binary task the second
/// class is the positive one.
pub fn train(
    task: Task,
    columns: &[(String, ColumnRole)],
    rows: &[&[&str]],
    y: &[usize],
    class_names: Vec<String>,
) -> Trained {
    let classes = class_names.len();
    let fold_of = stratified_folds(y, classes, FOLDS);
    let candidates = task.candidates();
    let ((candidate, scores), fitted) = std::thread::scope(|scope| {
        // With one candidate there is nothing to choose: its final fit runs
        // beside the folds rather than after them.
        let early = match candidates.as_slice() {
            [only] => Some(scope.spawn(move || only.fit(columns, rows, y, classes))),
            _ => None,
        };
        let mut best: Option<(f64, &Candidate, Vec<Vec<f64>>)> = None;
        for candidate in &candidates {
            let scores = out_of_fold_scores(candidate, columns, rows, y, classes, &fold_of);
            let quality = selection_quality(task, &scores, y);
            if best.as_ref().is_none_or(|(top, _, _)| quality > *top) {
                best = Some((quality, candidate, scores));
            }
        }
        let (_, candidate, scores) = best.expect("every task has candidates");
        let fitted = early.map(|handle| handle.join().expect("training does not panic"));
        ((candidate, scores), fitted)
    });
    let (space, mut scorer) = fitted.unwrap_or_else(|| candidate.fit(columns, rows, y, classes));
    let mut threshold = 0.5;
    let mut training = Vec::new();
    if classes == 2 {
        let positive: Vec<bool> = y.iter().map(|label| *label == 1).collect();
        let raw: Vec<f64> = scores.iter().map(|score| score[0]).collect();
        let (scale, shift) = platt(&raw, &positive);
        scorer.rescale(scale, shift);
        if task == Task::Spam {
            let (raw_threshold, _) = precision_favouring_threshold(&raw, &positive);
            threshold = sigmoid(scale * raw_threshold + shift);
        }
        training = raw.iter().map(|r| sigmoid(scale * r + shift)).collect();
    }
    Trained {
        model: Model::new(class_names, space, scorer, threshold, &training),
        chosen: candidate.describe(),
    }
}

/// Each row's fold: rows of each class dealt in turn, in order, so every
/// fold has its share of every class and no randomness is involved.
pub(crate) fn stratified_folds(y: &[usize], classes: usize, folds: usize) -> Vec<usize> {
    let mut next = vec![0; classes];
    y.iter()
        .map(|label| {
            let fold = next[*label] % folds;
            next[*label] += 1;
            fold
        })
        .collect()
}

/// The scores each row gets from the candidate fitted on the other folds,
/// the folds fitted side by side.
fn out_of_fold_scores(
    candidate: &Candidate,
    columns: &[(String, ColumnRole)],
    rows: &[&[&str]],
    y: &[usize],
    classes: usize,
    fold_of: &[usize],
) -> Vec<Vec<f64>> {
    let folds = fold_of.iter().max().map_or(0, |top| top + 1);
    let per_fold: Vec<Vec<(usize, Vec<f64>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..folds)
            .map(|fold| {
                scope.spawn(move || {
                    let (train_rows, train_y): (Vec<&[&str]>, Vec<usize>) = (0..rows.len())
                        .filter(|row| fold_of[*row] != fold)
                        .map(|row| (rows[row], y[row]))
                        .unzip();
                    let (space, scorer) = candidate.fit(columns, &train_rows, &train_y, classes);
                    (0..rows.len())
                        .filter(|row| fold_of[*row] == fold)
                        .map(|row| (row, scorer.scores(&space.vectorize(rows[row]))))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a fold's training does not panic"))
            .collect()
    });
    let mut scores = vec![Vec::new(); rows.len()];
    for (row, score) in per_fold.into_iter().flatten() {
        scores[row] = score;
    }
    scores
}

/// How good out-of-fold scores are, by what the task's decisions need:
/// spam, the F0.5 at its best threshold; conversion, ROC-AUC (the ranking
/// of leads; calibration comes after); intent, macro-F1.
fn selection_quality(task: Task, scores: &[Vec<f64>], y: &[usize]) -> f64 {
    if task.is_binary() {
        let positive: Vec<bool> = y.iter().map(|label| *label == 1).collect();
        let raw: Vec<f64> = scores.iter().map(|score| score[0]).collect();
        return match task {
            Task::Spam => precision_favouring_threshold(&raw, &positive).1,
            _ => roc_auc(&positive, &raw).unwrap_or(0.5),
        };
    }
    let predicted: Vec<usize> = scores
        .iter()
        .map(|score| {
            let probabilities = softmax(score);
            (0..probabilities.len()).fold(0, |best, c| {
                if probabilities[c] > probabilities[best] {
                    c
                } else {
                    best
                }
            })
        })
        .collect();
    macro_f1(y, &predicted)
}

/// The β of the F-score spam is judged by: precision counts twice.
pub const SPAM_BETA: f64 = 0.5;

/// The score threshold that maximises F0.5 (precision weighed twice as
/// much as recall: a real lead sent to quarantine costs more than a spam
/// left for a moderator) over held-out scores, and that F0.5. Rows score
/// positive from the threshold up; ties between thresholds go to the
/// higher, more careful one.
pub fn precision_favouring_threshold(scores: &[f64], positive: &[bool]) -> (f64, f64) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let actual = positive.iter().filter(|p| **p).count() as f64;
    let (mut true_positives, mut predicted) = (0.0, 0.0);
    let mut best = (f64::INFINITY, 0.0);
    for (rank, row) in order.iter().enumerate() {
        predicted += 1.0;
        if positive[*row] {
            true_positives += 1.0;
        }
        // Only between distinct scores can a threshold fall.
        if order
            .get(rank + 1)
            .is_some_and(|next| scores[*next] == scores[*row])
        {
            continue;
        }
        let precision = true_positives / predicted;
        let recall = if actual > 0.0 {
            true_positives / actual
        } else {
            0.0
        };
        let f = f_beta(precision, recall, SPAM_BETA);
        if f > best.1 {
            best = (scores[*row], f);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WORDS: [&str; 8] = [
        "free", "win", "call", "now", "meeting", "invoice", "order", "thanks",
    ];

    /// Rows of a message and a number, labelled by which half of the
    /// vocabulary the message mostly uses, so there is something to learn.
    fn examples() -> impl Strategy<Value = (Vec<(String, String)>, Vec<usize>)> {
        prop::collection::vec((prop::collection::vec(0usize..8, 1..6), 0u32..100), 12..30).prop_map(
            |rows| {
                let labels = rows
                    .iter()
                    .map(|(words, _)| {
                        usize::from(words.iter().filter(|w| **w < 4).count() * 2 > words.len())
                    })
                    .collect::<Vec<usize>>();
                let rows = rows
                    .into_iter()
                    .map(|(words, number)| {
                        let text: Vec<&str> = words.iter().map(|w| WORDS[*w]).collect();
                        (text.join(" "), number.to_string())
                    })
                    .collect();
                (rows, labels)
            },
        )
    }

    fn columns() -> Vec<(String, ColumnRole)> {
        vec![
            ("message".to_owned(), ColumnRole::Text),
            ("visits".to_owned(), ColumnRole::Tabular),
        ]
    }

    fn fit(task: Task, rows: &[(String, String)], y: &[usize], classes: usize) -> Model {
        let values: Vec<Vec<&str>> = rows
            .iter()
            .map(|(t, n)| vec![t.as_str(), n.as_str()])
            .collect();
        let slices: Vec<&[&str]> = values.iter().map(Vec::as_slice).collect();
        let names = (0..classes).map(|c| format!("class {c}")).collect();
        train(task, &columns(), &slices, y, names).model
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]

        #[test]
        fn probabilities_are_between_0_and_1_and_sum_to_1(
            (rows, y) in examples(),
            task in prop_oneof![Just(Task::Spam), Just(Task::Intent), Just(Task::Conversion)],
        ) {
            // Intent gets three classes: the label, split by the number.
            let (y, classes) = match task {
                Task::Intent => (y.iter().enumerate().map(|(i, l)| if i % 5 == 4 { 2 } else { *l }).collect(), 3),
                _ => (y, 2),
            };
            prop_assume!(y.contains(&0) && y.contains(&1));
            let model = fit(task, &rows, &y, classes);
            for probe in ["free win now", "meeting invoice", "", "unknown words"] {
                let p = model.predict_proba(&[probe, "7"]);
                prop_assert_eq!(p.len(), classes);
                prop_assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
                prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            }
        }

        #[test]
        fn training_twice_gives_the_same_model_and_saving_keeps_it(
            (rows, y) in examples(),
            task in prop_oneof![Just(Task::Spam), Just(Task::Conversion)],
        ) {
            prop_assume!(y.contains(&0) && y.contains(&1));
            let first = fit(task, &rows, &y, 2);
            let second = fit(task, &rows, &y, 2);
            prop_assert_eq!(&first, &second);
            let loaded = Model::from_json(&first.to_json()).unwrap();
            for (text, number) in &rows {
                let row = [text.as_str(), number.as_str()];
                prop_assert_eq!(first.predict_proba(&row), loaded.predict_proba(&row));
            }
        }
    }

    #[test]
    fn the_threshold_favours_precision() {
        // From 0.9 down: spam, spam, ham, spam, ham. F0.5 is best after the
        // first two (precision 1, recall 2/3) rather than after four.
        let scores = [0.9, 0.8, 0.7, 0.6, 0.1];
        let positive = [true, true, false, true, false];
        let (threshold, f) = precision_favouring_threshold(&scores, &positive);
        assert_eq!(threshold, 0.8);
        assert!((f - 1.25 * (2.0 / 3.0) / (0.25 + 2.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn folds_share_out_every_class() {
        assert_eq!(
            stratified_folds(&[0, 0, 1, 0, 1, 1], 2, 2),
            [0, 1, 0, 0, 1, 0]
        );
    }

    #[test]
    fn tree_explanations_name_the_column_that_decided() {
        let rows: Vec<(String, String)> = (0..100)
            .map(|i| (WORDS[i % 8].to_owned(), i.to_string()))
            .collect();
        let y: Vec<usize> = (0..100).map(|i| usize::from(i >= 60)).collect();
        let model = fit(Task::Conversion, &rows, &y, 2);
        let explanation = model.explain(&["free", "80"], 1, 3);
        assert!(explanation.probability > 0.5, "{explanation:?}");
        assert!(
            explanation.toward[0].feature.starts_with("visits"),
            "{explanation:?}"
        );
    }

    #[test]
    fn explanations_name_the_words_that_decided() {
        let rows: Vec<(String, String)> = (0..20)
            .map(|i| {
                let text = if i % 2 == 0 {
                    "win free prize now"
                } else {
                    "see you at the meeting"
                };
                (text.to_owned(), "1".to_owned())
            })
            .collect();
        let y: Vec<usize> = (0..20).map(|i| usize::from(i % 2 == 0)).collect();
        let model = fit(Task::Spam, &rows, &y, 2);
        let explanation = model.explain(&["win a free prize", "1"], 1, 10);
        assert_eq!(explanation.class, "class 1");
        assert!(explanation.probability > 0.5);
        assert!(
            explanation
                .toward
                .iter()
                .any(|reason| reason.feature.contains("free"))
        );
        assert!(
            explanation
                .toward
                .windows(2)
                .all(|w| w[0].weight >= w[1].weight)
        );
    }
}
