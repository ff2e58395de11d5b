//! Multinomial naive Bayes over non-negative features (counts or TF-IDF
//! weights), with additive smoothing. Fast to train and strong on short,
//! template-like text; its probabilities are overconfident, so binary models
//! are calibrated afterwards.

use super::linear::LinearModel;
use super::sparse::SparseVector;

/// Fits naive Bayes on rows `x` (over `dimension` slots) with labels `y` in
/// `0..classes`; `alpha` is the additive smoothing. Negative values (a
/// standardised number below its mean) count as zero. Slots no training row
/// uses get no weight, so they do not count in the smoothing's vocabulary
/// either.
pub fn train(
    x: &[SparseVector],
    y: &[usize],
    classes: usize,
    dimension: usize,
    alpha: f64,
) -> LinearModel {
    assert_eq!(x.len(), y.len(), "one label per row");
    let mut counts = vec![vec![0.0; dimension]; classes];
    let mut rows_per_class = vec![0usize; classes];
    let mut used = vec![false; dimension];
    for (row, label) in x.iter().zip(y) {
        rows_per_class[*label] += 1;
        for (slot, value) in row.iter() {
            counts[*label][slot as usize] += value.max(0.0);
            used[slot as usize] = true;
        }
    }
    let vocabulary = used.iter().filter(|used| **used).count() as f64;
    let weights = counts
        .into_iter()
        .map(|class_counts| {
            let total: f64 = class_counts.iter().sum::<f64>() + alpha * vocabulary;
            class_counts
                .iter()
                .zip(&used)
                .map(|(count, used)| match used {
                    true => ((count + alpha) / total).ln(),
                    false => 0.0,
                })
                .collect()
        })
        .collect();
    // A class absent from training keeps a vanishing prior rather than -∞.
    let bias = rows_per_class
        .iter()
        .map(|rows| ((*rows as f64).max(1e-3) / x.len() as f64).ln())
        .collect();
    LinearModel::from_class_scores(weights, bias)
}

/// The naive-Bayes log-count ratio of each slot for a binary task
/// (`y` is 1 for the positive class): how much more often it occurs in
/// positive rows than in negative ones, smoothed by `alpha`. Scaling
/// features by it before a logistic regression (Wang & Manning's NB-SVM)
/// gives the regression naive Bayes's view of which words matter, which
/// helps on short texts with few examples.
pub fn log_count_ratio(x: &[SparseVector], y: &[usize], dimension: usize, alpha: f64) -> Vec<f64> {
    let mut positive = vec![0.0; dimension];
    let mut negative = vec![0.0; dimension];
    let mut used = vec![false; dimension];
    for (row, label) in x.iter().zip(y) {
        let counts = if *label == 1 {
            &mut positive
        } else {
            &mut negative
        };
        for (slot, value) in row.iter() {
            counts[slot as usize] += value.abs();
            used[slot as usize] = true;
        }
    }
    let vocabulary = used.iter().filter(|used| **used).count() as f64;
    let positive_total = positive.iter().sum::<f64>() + alpha * vocabulary;
    let negative_total = negative.iter().sum::<f64>() + alpha * vocabulary;
    (0..dimension)
        .map(|slot| match used[slot] {
            true => {
                ((positive[slot] + alpha) / positive_total).ln()
                    - ((negative[slot] + alpha) / negative_total).ln()
            }
            false => 0.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_hand_computed_example() {
        // Class 0 saw slot 0 twice; class 1 saw slot 1 once. alpha = 1,
        // vocabulary 2: P(slot0|0) = 3/4, P(slot0|1) = 1/3; priors 1/2.
        let x = vec![
            SparseVector::from_pairs(vec![(0, 2.0)]),
            SparseVector::from_pairs(vec![(1, 1.0)]),
        ];
        let model = train(&x, &[0, 1], 2, 4, 1.0);
        let p = model.predict_proba(&SparseVector::from_pairs(vec![(0, 1.0)]));
        let expected = (1.0 / 3.0) / (1.0 / 3.0 + 3.0 / 4.0);
        assert!((p[1] - expected).abs() < 1e-12, "{p:?}");
    }
}
