//! Platt scaling: a binary model's log-odds `s` are mapped to `a·s + b`,
//! with `a` and `b` fitted by logistic regression on scores the model gave
//! to rows it was not trained on (out-of-fold), so the probabilities mean
//! what they say even for an overconfident model such as naive Bayes.

use super::logistic::{self, LogisticOptions};
use super::sparse::SparseVector;

/// The scale and shift that calibrate held-out log-odds `scores` against
/// their true labels (`true` for the positive class).
pub fn platt(scores: &[f64], positive: &[bool]) -> (f64, f64) {
    let x: Vec<SparseVector> = scores
        .iter()
        .map(|score| SparseVector::from_pairs(vec![(0, *score)]))
        .collect();
    let y: Vec<usize> = positive.iter().map(|p| usize::from(*p)).collect();
    // Two parameters and thousands of rows: the penalty only guards
    // against perfectly separated scores.
    let options = LogisticOptions {
        c: 1e4,
        ..LogisticOptions::default()
    };
    let fitted = logistic::train(&x, &y, 2, 1, options);
    let zero = fitted.scores(&SparseVector::default())[0];
    let one = fitted.scores(&SparseVector::from_pairs(vec![(0, 1.0)]))[0];
    (one - zero, zero)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overconfident_scores_are_shrunk() {
        // Log-odds of ±10 that are right only three times in four.
        let scores: Vec<f64> = (0..400)
            .map(|i| if i % 2 == 0 { 10.0 } else { -10.0 })
            .collect();
        let positive: Vec<bool> = (0..400).map(|i| (i % 2 == 0) != (i % 8 < 2)).collect();
        let (scale, shift) = platt(&scores, &positive);
        let calibrated = super::super::linear::sigmoid(scale * 10.0 + shift);
        assert!((calibrated - 0.75).abs() < 0.01, "{calibrated}");
    }
}
