//! Logistic regression with an L2 penalty: binary (one log-odds) or
//! multinomial (softmax over the classes), fitted by L-BFGS on the whole
//! training set. Full-batch optimisation has no sampling order, so training
//! twice on the same rows gives the same model bit for bit.
//!
//! The objective follows the usual convention: `½‖w‖² + C · Σ weightᵢ ·
//! lossᵢ`, the biases unpenalised. Only the slots some training row uses are
//! optimised (the others would stay at zero anyway), which keeps the
//! optimiser's vectors as small as the training vocabulary.

use super::linear::{LinearModel, sigmoid, softmax};
use super::sparse::SparseVector;
use std::collections::VecDeque;

/// How a logistic regression is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticOptions {
    /// Inverse strength of the L2 penalty: larger fits the data closer.
    pub c: f64,
    /// Weigh each class inversely to its frequency.
    pub balanced: bool,
    /// L-BFGS iterations at most.
    pub max_iterations: usize,
}

impl Default for LogisticOptions {
    fn default() -> LogisticOptions {
        LogisticOptions {
            c: 10.0,
            balanced: false,
            max_iterations: 300,
        }
    }
}

/// Fits a classifier on rows `x` (over `dimension` slots) with labels `y`
/// in `0..classes`.
pub fn train(
    x: &[SparseVector],
    y: &[usize],
    classes: usize,
    dimension: usize,
    options: LogisticOptions,
) -> LinearModel {
    assert_eq!(x.len(), y.len(), "one label per row");
    assert!(classes >= 2, "at least two classes");
    let (used, compact) = compact(x, dimension);
    let width = used.len() + 1;
    let outputs = if classes == 2 { 1 } else { classes };
    let row_weights = row_weights(y, classes, options);
    let objective = |parameters: &[f64], gradient: &mut [f64]| {
        objective(
            parameters,
            gradient,
            &compact,
            y,
            &row_weights,
            outputs,
            options.c,
        )
    };
    let parameters = minimize(
        objective,
        vec![0.0; outputs * width],
        options.max_iterations,
    );
    let (weights, bias) = parameters
        .chunks(width)
        .map(|block| {
            let mut weights = vec![0.0; dimension];
            for (position, slot) in used.iter().enumerate() {
                weights[*slot as usize] = block[position];
            }
            (weights, block[width - 1])
        })
        .unzip();
    LinearModel::from_outputs(classes, weights, bias)
}

/// The slots used by some row, ascending, and the rows renumbered over them.
fn compact(x: &[SparseVector], dimension: usize) -> (Vec<u32>, Vec<SparseVector>) {
    let mut rank = vec![u32::MAX; dimension];
    for row in x {
        for (slot, _) in row.iter() {
            rank[slot as usize] = 0;
        }
    }
    let mut used = Vec::new();
    for (slot, rank) in rank.iter_mut().enumerate() {
        if *rank == 0 {
            *rank = used.len() as u32;
            used.push(slot as u32);
        }
    }
    let compact = x
        .iter()
        .map(|row| row.remap(|slot| rank[slot as usize]))
        .collect();
    (used, compact)
}

fn row_weights(y: &[usize], classes: usize, options: LogisticOptions) -> Vec<f64> {
    if !options.balanced {
        return vec![1.0; y.len()];
    }
    let mut counts = vec![0usize; classes];
    y.iter().for_each(|label| counts[*label] += 1);
    y.iter()
        .map(|label| y.len() as f64 / (classes as f64 * counts[*label] as f64))
        .collect()
}

/// The penalised loss at `parameters` (one block of weights then bias per
/// output), its gradient written into `gradient`.
fn objective(
    parameters: &[f64],
    gradient: &mut [f64],
    x: &[SparseVector],
    y: &[usize],
    row_weights: &[f64],
    outputs: usize,
    c: f64,
) -> f64 {
    let width = parameters.len() / outputs;
    let mut loss = 0.0;
    for (block, gradient) in parameters.chunks(width).zip(gradient.chunks_mut(width)) {
        let weights = &block[..width - 1];
        loss += 0.5 * weights.iter().map(|w| w * w).sum::<f64>();
        gradient[..width - 1].copy_from_slice(weights);
        gradient[width - 1] = 0.0;
    }
    let mut scores = vec![0.0; outputs];
    for ((row, label), row_weight) in x.iter().zip(y).zip(row_weights) {
        for (output, score) in scores.iter_mut().enumerate() {
            let block = &parameters[output * width..(output + 1) * width];
            *score = block[width - 1] + row.dot(block);
        }
        let scale = c * row_weight;
        let residuals: Vec<f64> = if outputs == 1 {
            let target = if *label == 1 { 1.0 } else { 0.0 };
            // log(1 + e^-z) for the positive class, log(1 + e^z) otherwise.
            let signed = if *label == 1 { -scores[0] } else { scores[0] };
            loss += scale * softplus(signed);
            vec![sigmoid(scores[0]) - target]
        } else {
            let probabilities = softmax(&scores);
            loss -= scale * probabilities[*label].max(f64::MIN_POSITIVE).ln();
            probabilities
                .iter()
                .enumerate()
                .map(|(class, p)| p - if class == *label { 1.0 } else { 0.0 })
                .collect()
        };
        for (output, residual) in residuals.into_iter().enumerate() {
            let gradient = &mut gradient[output * width..(output + 1) * width];
            row.add_scaled_to(gradient, scale * residual);
            gradient[width - 1] += scale * residual;
        }
    }
    loss
}

/// `ln(1 + eˣ)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// Minimises a smooth convex function by L-BFGS (ten correction pairs,
/// backtracking line search), from `start`, for at most `max_iterations`
/// steps or until the gradient or the progress becomes negligible.
/// `f(x, gradient)` returns the value and writes the gradient.
pub(crate) fn minimize(
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    start: Vec<f64>,
    max_iterations: usize,
) -> Vec<f64> {
    const MEMORY: usize = 10;
    let n = start.len();
    let mut x = start;
    let mut gradient = vec![0.0; n];
    let mut value = f(&x, &mut gradient);
    let mut history: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(MEMORY);
    let mut candidate = vec![0.0; n];
    let mut candidate_gradient = vec![0.0; n];
    let scale = norm(&gradient).max(1e-12);
    for _ in 0..max_iterations {
        if norm(&gradient) <= 1e-6 * scale {
            break;
        }
        let direction = two_loop(&gradient, &history);
        let slope = dot(&direction, &gradient);
        let (direction, slope) = if slope < 0.0 {
            (direction, slope)
        } else {
            // Not a descent direction: forget the curvature and go downhill.
            history.clear();
            let direction: Vec<f64> = gradient.iter().map(|g| -g).collect();
            let slope = -dot(&gradient, &gradient);
            (direction, slope)
        };
        let mut step = if history.is_empty() {
            1.0 / norm(&direction)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..40 {
            for ((c, xi), d) in candidate.iter_mut().zip(&x).zip(&direction) {
                *c = xi + step * d;
            }
            let candidate_value = f(&candidate, &mut candidate_gradient);
            if candidate_value <= value + 1e-4 * step * slope {
                accepted = Some(candidate_value);
                break;
            }
            step *= 0.5;
        }
        let Some(candidate_value) = accepted else {
            break;
        };
        let s: Vec<f64> = candidate.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = candidate_gradient
            .iter()
            .zip(&gradient)
            .map(|(a, b)| a - b)
            .collect();
        let curvature = dot(&s, &y);
        if curvature > 1e-12 {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / curvature));
        }
        let progress = value - candidate_value;
        std::mem::swap(&mut x, &mut candidate);
        std::mem::swap(&mut gradient, &mut candidate_gradient);
        value = candidate_value;
        if progress <= 1e-10 * value.abs().max(1.0) {
            break;
        }
    }
    x
}

/// The L-BFGS direction `-H·gradient` from the stored correction pairs.
fn two_loop(gradient: &[f64], history: &VecDeque<(Vec<f64>, Vec<f64>, f64)>) -> Vec<f64> {
    let mut q: Vec<f64> = gradient.to_vec();
    let mut alphas = Vec::with_capacity(history.len());
    for (s, y, rho) in history.iter().rev() {
        let alpha = rho * dot(s, &q);
        q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= alpha * yi);
        alphas.push(alpha);
    }
    if let Some((s, y, _)) = history.back() {
        let gamma = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|qi| *qi *= gamma);
    }
    for ((s, y, rho), alpha) in history.iter().zip(alphas.into_iter().rev()) {
        let beta = rho * dot(y, &q);
        q.iter_mut()
            .zip(s)
            .for_each(|(qi, si)| *qi += (alpha - beta) * si);
    }
    q.iter_mut().for_each(|qi| *qi = -*qi);
    q
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimize_finds_the_bottom_of_a_quadratic() {
        let x = minimize(
            |x, g| {
                g[0] = 2.0 * (x[0] - 3.0);
                g[1] = 20.0 * (x[1] + 1.0);
                (x[0] - 3.0).powi(2) + 10.0 * (x[1] + 1.0).powi(2)
            },
            vec![0.0, 0.0],
            100,
        );
        assert!(
            (x[0] - 3.0).abs() < 1e-5 && (x[1] + 1.0).abs() < 1e-5,
            "{x:?}"
        );
    }

    fn one_hot(slot: u32) -> SparseVector {
        SparseVector::from_pairs(vec![(slot, 1.0)])
    }

    #[test]
    fn separates_two_classes_by_their_words() {
        let x = vec![one_hot(3), one_hot(3), one_hot(7), one_hot(7)];
        let options = LogisticOptions {
            c: 100.0,
            ..LogisticOptions::default()
        };
        let model = train(&x, &[1, 1, 0, 0], 2, 16, options);
        assert!(model.predict_proba(&one_hot(3))[1] > 0.9);
        assert!(model.predict_proba(&one_hot(7))[1] < 0.1);
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let x = vec![
            SparseVector::from_pairs(vec![(0, 1.0), (1, -0.5)]),
            SparseVector::from_pairs(vec![(1, 2.0)]),
            SparseVector::from_pairs(vec![(0, 0.3)]),
        ];
        let y = [0, 2, 1];
        for outputs in [1, 3] {
            let labels: Vec<usize> = match outputs {
                1 => y.iter().map(|label| label % 2).collect(),
                _ => y.to_vec(),
            };
            let parameters: Vec<f64> = (0..outputs * 3).map(|i| 0.1 * i as f64 - 0.2).collect();
            let mut gradient = vec![0.0; parameters.len()];
            let weights = [1.0, 2.0, 0.5];
            objective(
                &parameters,
                &mut gradient,
                &x,
                &labels,
                &weights,
                outputs,
                3.0,
            );
            for i in 0..parameters.len() {
                let mut up = parameters.clone();
                up[i] += 1e-6;
                let mut down = parameters.clone();
                down[i] -= 1e-6;
                let mut scratch = vec![0.0; parameters.len()];
                let numeric = (objective(&up, &mut scratch, &x, &labels, &weights, outputs, 3.0)
                    - objective(&down, &mut scratch, &x, &labels, &weights, outputs, 3.0))
                    / 2e-6;
                assert!((numeric - gradient[i]).abs() < 1e-5, "{outputs} {i}");
            }
        }
    }
}
