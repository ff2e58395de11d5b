//! A trained model as it is saved and used: the fitted feature space, the
//! classifier (linear or boosted trees), the class names and the decision threshold, with the
//! version of the code that made it. It gives probabilities and explains
//! them feature by feature.

use super::boosting::BoostedTrees;
use super::features::FeatureSpace;
use super::linear::{LinearModel, sigmoid};
use super::sparse::SparseVector;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The version of the features and classifiers; a saved model of another
/// version is refused rather than misread.
pub const MODEL_VERSION: &str = "baton-learn-2";

/// A trained classifier, ready to save (serde JSON) and to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    version: String,
    classes: Vec<String>,
    features: FeatureSpace,
    scorer: Scorer,
    threshold: f64,
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

    /// What each slot of `x` adds to the log-odds of `class` against the
    /// others.
    fn contributions(&self, x: &SparseVector, class: usize) -> HashMap<u32, f64> {
        match self {
            Scorer::Linear(linear) => x
                .iter()
                .map(|(slot, value)| (slot, linear.contribution(class, slot, value)))
                .collect(),
            Scorer::Boosted(trees) => {
                let toward = if class == 1 { 1.0 } else { -1.0 };
                let mut contributions = trees.contributions(x);
                contributions.values_mut().for_each(|c| *c *= toward);
                contributions
            }
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
    /// one, predicted when its probability reaches `threshold`.
    pub fn new(
        classes: Vec<String>,
        features: FeatureSpace,
        scorer: Scorer,
        threshold: f64,
    ) -> Model {
        assert_eq!(classes.len(), scorer.classes(), "one name per class");
        Model {
            version: MODEL_VERSION.to_owned(),
            classes,
            features,
            scorer,
            threshold,
        }
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
        self.explain_where(row, class, top, |_| true)
    }

    /// As [`Model::explain`], among the features `keep` accepts only; a
    /// slot's contribution is shared among the accepted names in it.
    pub fn explain_where(
        &self,
        row: &[&str],
        class: usize,
        top: usize,
        keep: impl Fn(&str) -> bool,
    ) -> Explanation {
        let (vector, named) = self.features.named_features_where(row, keep);
        let probability = self.scorer.predict_proba(&vector)[class];
        let contributions = self.scorer.contributions(&vector, class);
        // Several names may share a slot (a word seen twice, a collision):
        // the slot's contribution is shared by their raw values.
        let mut raw_totals: HashMap<u32, f64> = HashMap::new();
        for (_, slot, raw) in &named {
            *raw_totals.entry(*slot).or_default() += raw;
        }
        let mut by_name: HashMap<String, f64> = HashMap::new();
        for (name, slot, raw) in named {
            let (Some(contribution), Some(total)) =
                (contributions.get(&slot), raw_totals.get(&slot))
            else {
                continue;
            };
            if *total != 0.0 {
                *by_name.entry(name).or_default() += contribution * raw / total;
            }
        }
        let mut reasons: Vec<Reason> = by_name
            .into_iter()
            .filter(|(_, weight)| *weight != 0.0)
            .map(|(feature, weight)| Reason { feature, weight })
            .collect();
        reasons.sort_by(|a, b| {
            b.weight
                .abs()
                .total_cmp(&a.weight.abs())
                .then_with(|| a.feature.cmp(&b.feature))
        });
        let (toward, against): (Vec<Reason>, Vec<Reason>) =
            reasons.into_iter().partition(|reason| reason.weight > 0.0);
        Explanation {
            class: self.classes[class].clone(),
            probability,
            toward: toward.into_iter().take(top).collect(),
            against: against.into_iter().take(top).collect(),
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
