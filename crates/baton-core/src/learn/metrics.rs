//! How good a classifier is on labelled rows: accuracy, precision, recall
//! and F1 for a positive class, macro-F1 over all classes, and the area
//! under the ROC curve.

/// Share of predictions equal to the truth (0 for no rows).
pub fn accuracy(truth: &[usize], predicted: &[usize]) -> f64 {
    ratio(
        truth.iter().zip(predicted).filter(|(t, p)| t == p).count(),
        truth.len(),
    )
}

/// Precision, recall and F1 of one class: what share of the rows predicted
/// as it are it, what share of the rows that are it were found, and their
/// harmonic mean. An undefined ratio (nothing predicted, nothing to find)
/// counts as 0.
pub fn precision_recall_f1(truth: &[usize], predicted: &[usize], class: usize) -> (f64, f64, f64) {
    let mut true_positives = 0;
    let mut predicted_positives = 0;
    let mut actual_positives = 0;
    for (t, p) in truth.iter().zip(predicted) {
        true_positives += usize::from(*t == class && *p == class);
        predicted_positives += usize::from(*p == class);
        actual_positives += usize::from(*t == class);
    }
    let precision = ratio(true_positives, predicted_positives);
    let recall = ratio(true_positives, actual_positives);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (precision, recall, f1)
}

/// The F-score that weighs precision `1 / beta` times as much as recall
/// (0 when both are 0).
pub fn f_beta(precision: f64, recall: f64, beta: f64) -> f64 {
    let beta_squared = beta * beta;
    match beta_squared * precision + recall {
        0.0 => 0.0,
        denominator => (1.0 + beta_squared) * precision * recall / denominator,
    }
}

/// The unweighted mean of the F1 of every class that occurs in the truth or
/// the predictions.
pub fn macro_f1(truth: &[usize], predicted: &[usize]) -> f64 {
    let mut classes: Vec<usize> = truth.iter().chain(predicted).copied().collect();
    classes.sort_unstable();
    classes.dedup();
    let total: f64 = classes
        .iter()
        .map(|class| precision_recall_f1(truth, predicted, *class).2)
        .sum();
    total / classes.len().max(1) as f64
}

/// The area under the ROC curve: the probability that a random positive
/// row scores above a random negative one, ties counting half. `None` when
/// one of the two kinds is absent.
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    // Mann–Whitney: sum of the positives' ranks, tied scores sharing the
    // mean of their ranks.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        rank_sum += mean_rank
            * order[start..end]
                .iter()
                .filter(|row| positive[**row])
                .count() as f64;
        start = end;
    }
    let positives = positive.iter().filter(|p| **p).count() as f64;
    let negatives = positive.len() as f64 - positives;
    (positives > 0.0 && negatives > 0.0)
        .then(|| (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_counts() {
        let truth = [1, 1, 1, 0, 0, 2];
        let predicted = [1, 1, 0, 1, 0, 2];
        assert_eq!(accuracy(&truth, &predicted), 4.0 / 6.0);
        let (precision, recall, f1) = precision_recall_f1(&truth, &predicted, 1);
        assert_eq!((precision, recall), (2.0 / 3.0, 2.0 / 3.0));
        assert!((f1 - 2.0 / 3.0).abs() < 1e-12);
        // F1 per class: 0 → 1/2, 1 → 2/3, 2 → 1.
        assert!((macro_f1(&truth, &predicted) - (0.5 + 2.0 / 3.0 + 1.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        let positive = [true, false, true, false];
        assert_eq!(roc_auc(&positive, &[0.9, 0.1, 0.8, 0.2]), Some(1.0));
        assert_eq!(roc_auc(&positive, &[0.5, 0.5, 0.5, 0.5]), Some(0.5));
        // Pairs (p, n): (0.9, 0.5) win, (0.9, 0.1) win, (0.5, 0.5) tie,
        // (0.5, 0.1) win: 3.5 / 4.
        assert_eq!(roc_auc(&positive, &[0.9, 0.5, 0.5, 0.1]), Some(0.875));
        assert_eq!(roc_auc(&[true], &[0.3]), None);
    }

    proptest! {
        #[test]
        fn auc_is_the_share_of_ordered_pairs(
            rows in prop::collection::vec((any::<bool>(), 0u8..5), 2..40)
        ) {
            let positive: Vec<bool> = rows.iter().map(|r| r.0).collect();
            let scores: Vec<f64> = rows.iter().map(|r| f64::from(r.1)).collect();
            let mut wins = 0.0;
            let mut pairs = 0.0;
            for (_, sp) in rows.iter().filter(|r| r.0) {
                for (_, sn) in rows.iter().filter(|r| !r.0) {
                    pairs += 1.0;
                    wins += if sp > sn { 1.0 } else if sp == sn { 0.5 } else { 0.0 };
                }
            }
            let expected = (pairs > 0.0).then(|| wins / pairs);
            let got = roc_auc(&positive, &scores);
            let agree = match (got, expected) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            };
            prop_assert!(agree, "{got:?} against {expected:?}");
        }
    }
}
