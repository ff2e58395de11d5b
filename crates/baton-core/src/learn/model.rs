//! A trained model as it is saved and used: the fitted feature space, the
//! classifier (linear or boosted trees), the class names and the decision threshold, with the
//! version of the code that made it. It gives probabilities and explains
//! them feature by feature.

use super::boosting::BoostedTrees;
use super::features::{FeatureSpace, Named};
use super::linear::{LinearModel, sigmoid};
use super::sparse::SparseVector;
use serde::{Deserialize, Serialize};

/// The version of the features and classifiers; a saved model of another
/// version is refused rather than misread.
pub const MODEL_VERSION: &str = "baton-learn-3";

/// A trained classifier, ready to save (serde JSON) and to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    version: String,
    classes: Vec<String>,
    features: FeatureSpace,
    scorer: Scorer,
    threshold: f64,
    /// For a binary model, the positive class's probability at each
    /// percentile of the training rows (scored out of fold), ascending:
    /// where a new row stands among them.
    percentiles: Vec<f64>,
}

/// What turns a feature vector into class probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scorer {
    /// One weight per feature and class (naive Bayes, logistic regression).
    Linear(LinearModel),
    /// Boosted trees over the log-odds of the second of two classes.
    Boosted(BoostedTrees),
}

impl Scorer {
    /// How many classes it tells apart.
    pub fn classes(&self) -> usize {
        match self {
            Scorer::Linear(linear) => linear.classes(),
            Scorer::Boosted(_) => 2,
        }
    }

    /// The raw score of each output: for two classes, the log-odds of the
    /// second.
    pub fn scores(&self, x: &SparseVector) -> Vec<f64> {
        match self {
            Scorer::Linear(linear) => linear.scores(x),
            Scorer::Boosted(trees) => vec![trees.score(x)],
        }
    }

    /// The probability of each class; they sum to 1.
    pub fn predict_proba(&self, x: &SparseVector) -> Vec<f64> {
        match self {
            Scorer::Linear(linear) => linear.predict_proba(x),
            Scorer::Boosted(trees) => {
                let positive = sigmoid(trees.score(x));
                vec![1.0 - positive, positive]
            }
        }
    }

    /// Replaces each score `s` by `scale * s + shift` (calibration).
    pub fn rescale(&mut self, scale: f64, shift: f64) {
        match self {
            Scorer::Linear(linear) => linear.rescale(scale, shift),
            Scorer::Boosted(trees) => trees.rescale(scale, shift),
        }
    }
}

/// One feature's share in a decision: what it adds to the log-odds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The feature, e.g. `w:free entry`, `Lead Source=Reference`,
    /// `Total Time Spent on Website ≥ 1200`.
    pub feature: String,
    /// Its contribution to the log-odds of the class (positive: toward).
    pub weight: f64,
}

/// Why a row got the probability it got for a class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The class explained.
    pub class: String,
    /// Its probability.
    pub probability: f64,
    /// The features that pushed toward it, strongest first.
    pub toward: Vec<Reason>,
    /// The features that pushed against it, strongest first.
    pub against: Vec<Reason>,
}

/// A row as a model read it: its feature vector and the named features
/// that make it up.
pub struct Reading<'m> {
    model: &'m Model,
    vector: SparseVector,
    named: Named,
    probabilities: Vec<f64>,
    /// For trees: what each tested slot adds to the positive class's log-odds.
    tree_contributions: Vec<(u32, f64)>,
}

impl Reading<'_> {
    /// The probability of each class.
    pub fn probabilities(&self) -> &[f64] {
        &self.probabilities
    }

    /// Why the row gets its probability for `class`: at most `top` named
    /// features toward it and `top` against it, by the size of their
    /// contribution to the log-odds. Several names may share a slot (a word
    /// seen twice, a collision): the slot's contribution is shared by their
    /// values.
    pub fn explain(&self, class: usize, top: usize) -> Explanation {
        // By slot, each slot's names in the order the row gave them.
        let mut named: Vec<(&str, u32, f64)> = self.named.iter().collect();
        named.sort_by_key(|(_, slot, _)| *slot);
        let mut slots: Vec<u32> = named.iter().map(|(_, slot, _)| *slot).collect();
        slots.dedup();
        let contributions = self.contributions(class, &slots);
        let mut shares: Vec<(&str, f64)> = Vec::with_capacity(named.len());
        for group in named.chunk_by(|a, b| a.1 == b.1) {
            let total: f64 = group.iter().map(|(_, _, value)| value).sum();
            let Some(contribution) = value_at(&contributions, group[0].1) else {
                continue;
            };
            if total == 0.0 {
                continue;
            }
            let first = shares.len();
            for (name, _, value) in group {
                let share = contribution * value / total;
                match shares[first..].iter_mut().find(|(seen, _)| seen == name) {
                    Some((_, weight)) => *weight += share,
                    None => shares.push((name, share)),
                }
            }
        }
        shares.retain(|(_, weight)| *weight != 0.0);
        shares.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(b.0)));
        let (mut toward, mut against) = (Vec::new(), Vec::new());
        for (feature, weight) in shares {
            let side = if weight > 0.0 {
                &mut toward
            } else {
                &mut against
            };
            if side.len() < top {
                side.push(Reason {
                    feature: feature.to_owned(),
                    weight,
                });
            }
        }
        Explanation {
            class: self.model.classes[class].clone(),
            probability: self.probabilities[class],
            toward,
            against,
        }
    }

    /// What the slots of the row add to the log-odds of `class` against
    /// the others, by increasing slot: those of `wanted` (ascending) at least.
    fn contributions(&self, class: usize, wanted: &[u32]) -> Vec<(u32, f64)> {
        match &self.model.scorer {
            Scorer::Linear(linear) => wanted
                .iter()
                .map(|slot| {
                    (
                        *slot,
                        linear.contribution(class, *slot, self.vector.get(*slot)),
                    )
                })
                .collect(),
            Scorer::Boosted(_) => {
                let toward = if class == 1 { 1.0 } else { -1.0 };
                self.tree_contributions
                    .iter()
                    .map(|(slot, contribution)| (*slot, toward * contribution))
                    .collect()
            }
        }
    }
}

/// The value of `slot` in pairs sorted by slot.
fn value_at(pairs: &[(u32, f64)], slot: u32) -> Option<f64> {
    pairs
        .binary_search_by_key(&slot, |(at, _)| *at)
        .ok()
        .map(|index| pairs[index].1)
}

/// The value at each percentile, 0 to 100, of `values` (none when empty).
fn percentiles(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return Vec::new();
    }
    let last = sorted.len() - 1;
    (0..=100).map(|p| sorted[(p * last + 50) / 100]).collect()
}

/// Why a saved model cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Not a model.
    #[error("not a saved model: {0}")]
    Json(#[from] serde_json::Error),
    /// A model from another version.
    #[error(
        "the model was saved by version `{found}`; this version reads `{MODEL_VERSION}`: train it again"
    )]
    Version { found: String },
}

impl Model {
    /// A model from its parts. For two classes the second is the positive
    /// one, predicted when its probability reaches `threshold`; `training`
    /// holds its probability for each training row, scored out of fold.
    pub fn new(
        classes: Vec<String>,
        features: FeatureSpace,
        scorer: Scorer,
        threshold: f64,
        training: &[f64],
    ) -> Model {
        assert_eq!(classes.len(), scorer.classes(), "one name per class");
        Model {
            version: MODEL_VERSION.to_owned(),
            classes,
            features,
            scorer,
            threshold,
            percentiles: percentiles(training),
        }
    }

    /// The share of training rows a binary model gave a lower probability
    /// of the positive class than `probability` (rows it ties with count
    /// half), from 0 to 1: the standing of a row among those it learnt
    /// from, whatever the share of positives there.
    pub fn standing(&self, probability: f64) -> f64 {
        let q = &self.percentiles;
        let Some(last) = q.len().checked_sub(1).filter(|last| *last > 0) else {
            return probability.clamp(0.0, 1.0);
        };
        let below = q.partition_point(|v| *v < probability);
        let up_to = q.partition_point(|v| *v <= probability);
        let position = if below < up_to {
            // Equal to some percentiles: the middle of them.
            (below + up_to - 1) as f64 / 2.0
        } else if below == 0 {
            0.0
        } else if below > last {
            last as f64
        } else {
            let (low, high) = (q[below - 1], q[below]);
            (below - 1) as f64 + (probability - low) / (high - low)
        };
        position / last as f64
    }

    /// The class names, in the order of the probabilities.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The feature space: its columns are the values a row must hold.
    pub fn features(&self) -> &FeatureSpace {
        &self.features
    }

    /// The probability at which a binary model predicts the positive class.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The probability of each class for a row holding one value per column
    /// of [`FeatureSpace::columns`].
    pub fn predict_proba(&self, row: &[&str]) -> Vec<f64> {
        self.scorer.predict_proba(&self.features.vectorize(row))
    }

    /// The predicted class from its probabilities: for two classes, the
    /// second when its probability reaches the threshold; else the most
    /// probable (the first of equals).
    pub fn decide(&self, probabilities: &[f64]) -> usize {
        if probabilities.len() == 2 {
            return usize::from(probabilities[1] >= self.threshold);
        }
        probabilities
            .iter()
            .enumerate()
            .fold(0, |best, (class, p)| {
                if *p > probabilities[best] {
                    class
                } else {
                    best
                }
            })
    }

    /// Why the row gets its probability for `class`: at most `top` features
    /// toward it and `top` against it, by the size of their contribution to
    /// the log-odds.
    pub fn explain(&self, row: &[&str], class: usize, top: usize) -> Explanation {
        self.read_where(row, |_| true).explain(class, top)
    }

    /// Reads a row once, naming the features `keep` accepts, so that its
    /// probabilities and the explanation of a class chosen from them need
    /// not read it again.
    pub fn read_where(&self, row: &[&str], keep: impl Fn(&str) -> bool) -> Reading<'_> {
        let (vector, named) = self.features.named_features_where(row, keep);
        let (probabilities, tree_contributions) = match &self.scorer {
            Scorer::Linear(linear) => (linear.predict_proba(&vector), Vec::new()),
            Scorer::Boosted(trees) => {
                let (score, contributions) = trees.explained_score(&vector);
                let positive = sigmoid(score);
                (vec![1.0 - positive, positive], contributions)
            }
        };
        Reading {
            model: self,
            vector,
            named,
            probabilities,
            tree_contributions,
        }
    }

    /// The model as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model serialises to JSON")
    }

    /// A model saved by [`Model::to_json`] of this version.
    pub fn from_json(json: &str) -> Result<Model, LoadError> {
        #[derive(Deserialize)]
        struct Versioned {
            version: String,
        }
        let Versioned { version } = serde_json::from_str(json)?;
        if version != MODEL_VERSION {
            return Err(LoadError::Version { found: version });
        }
        Ok(serde_json::from_str(json)?)
    }
}
