//! The shape every classifier here takes once trained: one weight vector and
//! bias per class, probabilities by softmax. Naive Bayes and logistic
//! regression both end up in it, so prediction, calibration, explanation and
//! saving are written once.

use super::sparse::{SparseVector, dense_as_sparse};
use serde::{Deserialize, Serialize};

/// Weights over the hashed feature space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Weights(#[serde(with = "dense_as_sparse")] Vec<f64>);

/// A linear classifier over `classes` classes. With two classes it keeps a
/// single weight vector for the second class's log-odds; with more, one per
/// class, and the softmax of their scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    classes: usize,
    weights: Vec<Weights>,
    bias: Vec<f64>,
}

impl LinearModel {
    /// A model from per-class scores `bias[c] + weights[c]·x`. Two classes
    /// collapse into the log-odds of the second, which gives the same
    /// probabilities.
    pub fn from_class_scores(mut weights: Vec<Vec<f64>>, mut bias: Vec<f64>) -> LinearModel {
        let classes = weights.len();
        assert!(classes >= 2 && bias.len() == classes, "one score per class");
        if classes == 2 {
            let second = weights.pop().expect("two classes");
            let first = weights.pop().expect("two classes");
            weights = vec![second.iter().zip(&first).map(|(b, a)| b - a).collect()];
            bias = vec![bias[1] - bias[0]];
        }
        LinearModel::from_outputs(classes, weights, bias)
    }

    /// A model from its outputs as stored: one for two classes (the second
    /// class's log-odds), else one per class.
    pub(crate) fn from_outputs(
        classes: usize,
        weights: Vec<Vec<f64>>,
        bias: Vec<f64>,
    ) -> LinearModel {
        debug_assert_eq!(weights.len(), if classes == 2 { 1 } else { classes });
        LinearModel {
            classes,
            weights: weights.into_iter().map(Weights).collect(),
            bias,
        }
    }

    /// How many classes it tells apart.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The raw score of each output: for two classes, the log-odds of the
    /// second.
    pub fn scores(&self, x: &SparseVector) -> Vec<f64> {
        self.weights
            .iter()
            .zip(&self.bias)
            .map(|(weights, bias)| bias + x.dot(&weights.0))
            .collect()
    }

    /// The probability of each class; they sum to 1.
    pub fn predict_proba(&self, x: &SparseVector) -> Vec<f64> {
        let scores = self.scores(x);
        if self.classes == 2 {
            let positive = sigmoid(scores[0]);
            return vec![1.0 - positive, positive];
        }
        softmax(&scores)
    }

    /// What a feature of value `value` in `slot` adds to the log-odds of
    /// `class` against the others (for more than two classes, against their
    /// average score).
    pub fn contribution(&self, class: usize, slot: u32, value: f64) -> f64 {
        let weight = |output: usize| self.weights[output].0[slot as usize];
        if self.classes == 2 {
            let toward_second = weight(0) * value;
            return if class == 1 {
                toward_second
            } else {
                -toward_second
            };
        }
        let mean = (0..self.classes).map(weight).sum::<f64>() / self.classes as f64;
        (weight(class) - mean) * value
    }

    /// Multiplies each slot's weights by `factors[slot]`: a model trained on
    /// features scaled by `factors` then reads unscaled features.
    pub fn scale_features(&mut self, factors: &[f64]) {
        for weights in &mut self.weights {
            weights
                .0
                .iter_mut()
                .zip(factors)
                .for_each(|(weight, factor)| *weight *= factor);
        }
    }

    /// Replaces each score `s` by `scale * s + shift` (calibration).
    pub fn rescale(&mut self, scale: f64, shift: f64) {
        for (weights, bias) in self.weights.iter_mut().zip(&mut self.bias) {
            weights.0.iter_mut().for_each(|weight| *weight *= scale);
            *bias = scale * *bias + shift;
        }
    }
}

/// The logistic function, without overflow for large scores.
pub fn sigmoid(score: f64) -> f64 {
    if score >= 0.0 {
        1.0 / (1.0 + (-score).exp())
    } else {
        let e = score.exp();
        e / (1.0 + e)
    }
}

/// Probabilities from scores, shifted by the largest so no exponential
/// overflows.
pub fn softmax(scores: &[f64]) -> Vec<f64> {
    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exponentials: Vec<f64> = scores.iter().map(|score| (score - top).exp()).collect();
    let total: f64 = exponentials.iter().sum();
    exponentials.iter().map(|e| e / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_classes_collapse_to_the_same_probabilities() {
        let model =
            LinearModel::from_class_scores(vec![vec![1.0, 0.0], vec![0.0, 2.0]], vec![0.5, -0.5]);
        let x = SparseVector::from_pairs(vec![(0, 1.0), (1, 1.0)]);
        let expected = softmax(&[1.5, 1.5]);
        let got = model.predict_proba(&x);
        assert!((got[1] - expected[1]).abs() < 1e-12);
        assert_eq!(model.contribution(1, 1, 1.0), 2.0);
        assert_eq!(model.contribution(0, 0, 1.0), 1.0);
    }

    #[test]
    fn extreme_scores_do_not_overflow() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(softmax(&[1000.0, 0.0])[0], 1.0);
    }
}
