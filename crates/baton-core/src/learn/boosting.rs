//! Gradient-boosted decision trees for two classes: each tree is grown
//! level by level on the gradient and curvature of the log-loss (Newton
//! boosting, as in XGBoost), with every feature cut into at most
//! [`MAX_BINS`] ranges at its training quantiles so a split is found from
//! histograms rather than by sorting. Trees find the interactions of a
//! table's columns (time on the website matters for some lead sources and
//! not others) that a linear model only sees when they are spelled out.
//!
//! Each tree may be given a share of the features, drawn anew for every
//! tree from a fixed seed (column subsampling, as in XGBoost and LightGBM).
//!
//! Rows are sparse: a feature a row lacks is 0, and histograms are built
//! from the entries rows have, the bin of 0 taking the remainder, so the
//! cost follows the number of entries rather than rows × features.
//! Everything is sequential in a fixed order and the draws come from the
//! seed: training twice gives the same trees.

use super::sparse::SparseVector;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most ranges a feature is cut into.
pub const MAX_BINS: usize = 64;

/// How the trees are grown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoostingOptions {
    /// How many trees.
    pub trees: usize,
    /// Splits from the root to a leaf, at most.
    pub depth: usize,
    /// The share of each tree's Newton step that is taken.
    pub learning_rate: f64,
    /// L2 penalty on leaf values: larger keeps small leaves near zero.
    pub l2: f64,
    /// Least total curvature (about rows × p(1 − p)) in a leaf.
    pub min_leaf_weight: f64,
    /// The share of features each tree may split on, drawn anew for every
    /// tree (1 for all of them): trees that cannot always take the
    /// strongest feature find what the others add, and vary more.
    pub feature_share: f64,
    /// Where the draws of features start: the same seed, the same trees.
    pub seed: u64,
}

impl Default for BoostingOptions {
    fn default() -> BoostingOptions {
        BoostingOptions {
            trees: 200,
            depth: 4,
            learning_rate: 0.1,
            l2: 1.0,
            min_leaf_weight: 1.0,
            feature_share: 1.0,
            seed: 0,
        }
    }
}

/// A sum of trees giving the log-odds of the positive class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostedTrees {
    base: f64,
    /// The slots some split tests, ascending; splits name them by position,
    /// so a row is read once into a short dense vector rather than searched
    /// at every split.
    slots: Vec<u32>,
    trees: Vec<Tree>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tree {
    /// The root first; children after their parent.
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Node {
    /// What the tree adds for rows reaching this node: the leaf value, or
    /// for a split the value it would have as a leaf (for explanations).
    value: f64,
    split: Option<Split>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Split {
    /// Training: the binned feature; once trained: the position in `slots`.
    feature: u32,
    /// Rows whose feature is above it go right.
    threshold: f64,
    left: u32,
    right: u32,
}

impl BoostedTrees {
    /// The log-odds of the positive class.
    pub fn score(&self, x: &SparseVector) -> f64 {
        let values = self.tested_values(x);
        self.base
            + self
                .trees
                .iter()
                .map(|tree| tree.leaf(&values).value)
                .sum::<f64>()
    }

    /// The value of `x` at each tested slot.
    fn tested_values(&self, x: &SparseVector) -> Vec<f64> {
        let mut values = vec![0.0; self.slots.len()];
        let mut position = 0;
        for (index, value) in x.iter() {
            // Both are ascending: skip the tested slots below this entry.
            position += self.slots[position..].partition_point(|slot| *slot < index);
            if self.slots.get(position) == Some(&index) {
                values[position] = value;
            }
        }
        values
    }

    /// Replaces the log-odds `s` by `scale * s + shift` (calibration).
    pub fn rescale(&mut self, scale: f64, shift: f64) {
        self.base = scale * self.base + shift;
        for node in self.trees.iter_mut().flat_map(|tree| &mut tree.nodes) {
            node.value *= scale;
        }
    }

    /// The log-odds of the positive class, and what each slot of `x` adds
    /// to them, by increasing slot: along each tree's path, the change of
    /// value at a split goes to the slot it tests. One walk gives both.
    pub fn explained_score(&self, x: &SparseVector) -> (f64, Vec<(u32, f64)>) {
        let values = self.tested_values(x);
        let mut by_position = vec![0.0; self.slots.len()];
        let mut leaves = 0.0;
        for tree in &self.trees {
            let mut node = &tree.nodes[0];
            while let Some(split) = &node.split {
                let next = &tree.nodes[split.next(&values) as usize];
                by_position[split.feature as usize] += next.value - node.value;
                node = next;
            }
            leaves += node.value;
        }
        let contributions = self
            .slots
            .iter()
            .zip(by_position)
            .filter(|(_, contribution)| *contribution != 0.0)
            .map(|(slot, contribution)| (*slot, contribution))
            .collect();
        // Added up as `score` does, so that both give the same figure.
        (self.base + leaves, contributions)
    }
}

impl Tree {
    fn leaf(&self, values: &[f64]) -> &Node {
        let mut node = &self.nodes[0];
        while let Some(split) = &node.split {
            node = &self.nodes[split.next(values) as usize];
        }
        node
    }
}

impl Split {
    fn next(&self, values: &[f64]) -> u32 {
        if values[self.feature as usize] > self.threshold {
            self.right
        } else {
            self.left
        }
    }
}

/// The features of the training rows cut into bins: for each feature used,
/// its slot and ascending thresholds (bin `b` holds values above
/// `thresholds[b - 1]` up to `thresholds[b]`), and each row's non-zero bins.
struct Binned {
    slots: Vec<u32>,
    thresholds: Vec<Vec<f64>>,
    /// Each feature's bin of the value 0, where a row lacking it falls.
    zero_bin: Vec<u8>,
    /// Where each feature's bins start in a histogram.
    offsets: Vec<usize>,
    /// Row `r`'s entries (feature, bin) are `entries[starts[r]..starts[r + 1]]`,
    /// by increasing feature, those in the zero bin left out.
    starts: Vec<usize>,
    entries: Vec<(u32, u8)>,
    /// The same entries by feature: each feature's (row, bin), by row.
    columns: Vec<Vec<(u32, u8)>>,
}

impl Binned {
    fn new(x: &[SparseVector]) -> Binned {
        let mut values: HashMap<u32, Vec<f64>> = HashMap::new();
        for row in x {
            for (slot, value) in row.iter() {
                values.entry(slot).or_default().push(value);
            }
        }
        let mut slots: Vec<u32> = values.keys().copied().collect();
        slots.sort_unstable();
        let thresholds: Vec<Vec<f64>> = slots
            .iter()
            .map(|slot| {
                let mut present = values.remove(slot).expect("every slot has values");
                present.resize(x.len(), 0.0);
                quantile_thresholds(present)
            })
            .collect();
        let bin = |feature: usize, value: f64| {
            thresholds[feature].partition_point(|threshold| *threshold < value) as u8
        };
        let zero_bin: Vec<u8> = (0..slots.len()).map(|feature| bin(feature, 0.0)).collect();
        let mut offsets = Vec::with_capacity(slots.len() + 1);
        offsets.push(0);
        for feature_thresholds in &thresholds {
            offsets.push(offsets.last().expect("starts at 0") + feature_thresholds.len() + 1);
        }
        let feature_of: HashMap<u32, u32> = slots
            .iter()
            .enumerate()
            .map(|(feature, slot)| (*slot, feature as u32))
            .collect();
        let mut starts = vec![0];
        let mut entries = Vec::new();
        let mut columns = vec![Vec::new(); slots.len()];
        for (row_index, row) in x.iter().enumerate() {
            for (slot, value) in row.iter() {
                let feature = feature_of[&slot];
                let bin = bin(feature as usize, value);
                if bin != zero_bin[feature as usize] {
                    entries.push((feature, bin));
                    columns[feature as usize].push((row_index as u32, bin));
                }
            }
            starts.push(entries.len());
        }
        Binned {
            slots,
            thresholds,
            zero_bin,
            offsets,
            starts,
            entries,
            columns,
        }
    }

    fn row(&self, row: usize) -> &[(u32, u8)] {
        &self.entries[self.starts[row]..self.starts[row + 1]]
    }

    /// Splits `rows` into those whose bin of `feature` is at most `bin` and
    /// the others, in order; `row_bins` is scratch space, one per row.
    fn partition(
        &self,
        rows: &[usize],
        feature: u32,
        bin: u8,
        row_bins: &mut [u8],
    ) -> (Vec<usize>, Vec<usize>) {
        for row in rows {
            row_bins[*row] = self.zero_bin[feature as usize];
        }
        // Entries of rows outside `rows` are written too, and never read.
        for (row, row_bin) in &self.columns[feature as usize] {
            row_bins[*row as usize] = *row_bin;
        }
        rows.iter().partition(|row| row_bins[**row] <= bin)
    }
}

/// Up to `MAX_BINS - 1` thresholds at the quantiles of `values`, without
/// the largest value (nothing can go above it).
fn quantile_thresholds(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let mut thresholds: Vec<f64> = (0..MAX_BINS)
        .map(|bin| values[bin * values.len() / MAX_BINS])
        .collect();
    thresholds.dedup();
    let largest = values[values.len() - 1];
    thresholds.retain(|threshold| *threshold < largest);
    thresholds
}

/// Sums of gradient and curvature.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    gradient: f64,
    curvature: f64,
}

impl Sums {
    fn add(&mut self, other: Sums) {
        self.gradient += other.gradient;
        self.curvature += other.curvature;
    }

    fn minus(self, other: Sums) -> Sums {
        Sums {
            gradient: self.gradient - other.gradient,
            curvature: self.curvature - other.curvature,
        }
    }

    /// How much the loss falls when these rows get their best value.
    fn gain(self, l2: f64) -> f64 {
        self.gradient * self.gradient / (self.curvature + l2)
    }

    fn newton_step(self, l2: f64) -> f64 {
        -self.gradient / (self.curvature + l2)
    }
}

/// Fits boosted trees on rows `x` with labels `y` (1 for positive).
pub fn train(x: &[SparseVector], y: &[usize], options: BoostingOptions) -> BoostedTrees {
    assert_eq!(x.len(), y.len(), "one label per row");
    let binned = Binned::new(x);
    let positives = y.iter().filter(|label| **label == 1).count() as f64;
    let share = (positives / x.len().max(1) as f64).clamp(1e-6, 1.0 - 1e-6);
    let base = (share / (1.0 - share)).ln();
    let mut scores = vec![base; x.len()];
    let mut row_sums = vec![Sums::default(); x.len()];
    let mut row_bins = vec![0; x.len()];
    let mut allowed = vec![true; binned.slots.len()];
    let mut random = Random::new(options.seed);
    let mut trees = Vec::with_capacity(options.trees);
    for _ in 0..options.trees {
        for ((sums, score), label) in row_sums.iter_mut().zip(&scores).zip(y) {
            let p = super::linear::sigmoid(*score);
            *sums = Sums {
                gradient: p - if *label == 1 { 1.0 } else { 0.0 },
                curvature: (p * (1.0 - p)).max(1e-12),
            };
        }
        if options.feature_share < 1.0 && !allowed.is_empty() {
            for allow in &mut allowed {
                *allow = random.unit() < options.feature_share;
            }
            // A tree always has a feature to split on.
            if !allowed.contains(&true) {
                let last = allowed.len() - 1;
                let any = (random.unit() * allowed.len() as f64) as usize;
                allowed[any.min(last)] = true;
            }
        }
        let tree = grow(
            &binned,
            &row_sums,
            &allowed,
            &mut scores,
            &mut row_bins,
            options,
        );
        trees.push(tree);
    }
    let mut tested: Vec<u32> = trees
        .iter()
        .flat_map(|tree| &tree.nodes)
        .filter_map(|node| node.split.as_ref().map(|split| split.feature))
        .collect();
    tested.sort_unstable();
    tested.dedup();
    for split in trees
        .iter_mut()
        .flat_map(|tree| &mut tree.nodes)
        .filter_map(|node| node.split.as_mut())
    {
        split.feature = tested
            .binary_search(&split.feature)
            .expect("every tested feature is listed") as u32;
    }
    let slots = tested
        .iter()
        .map(|feature| binned.slots[*feature as usize])
        .collect();
    BoostedTrees { base, slots, trees }
}

/// A small deterministic generator (SplitMix64): the draws of features,
/// the same for the same seed on every machine.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Random {
        Random(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A node still to split or close: its rows, and their histogram when it
/// was had for free from its parent's and its sibling's.
struct Open {
    index: usize,
    depth: usize,
    rows: Vec<usize>,
    histogram: Option<Vec<Sums>>,
}

/// Grows one tree level by level and adds its leaf values to `scores`.
fn grow(
    binned: &Binned,
    row_sums: &[Sums],
    allowed: &[bool],
    scores: &mut [f64],
    row_bins: &mut [u8],
    options: BoostingOptions,
) -> Tree {
    let mut nodes = vec![Node {
        value: 0.0,
        split: None,
    }];
    let mut open = vec![Open {
        index: 0,
        depth: 0,
        rows: (0..row_sums.len()).collect(),
        histogram: None,
    }];
    while let Some(Open {
        index,
        depth,
        rows,
        histogram,
    }) = open.pop()
    {
        let mut total = Sums::default();
        rows.iter().for_each(|row| total.add(row_sums[*row]));
        nodes[index].value = options.learning_rate * total.newton_step(options.l2);
        let split = (depth < options.depth)
            .then(|| {
                let histogram =
                    histogram.unwrap_or_else(|| build_histogram(binned, row_sums, &rows, total));
                best_split(binned, &histogram, total, allowed, options)
                    .map(|(feature, bin)| (feature, bin, histogram))
            })
            .flatten();
        let Some((feature, bin, histogram)) = split else {
            let value = nodes[index].value;
            rows.iter().for_each(|row| scores[*row] += value);
            continue;
        };
        let (left_rows, right_rows) = binned.partition(&rows, feature, bin, row_bins);
        let (left, right) = (nodes.len(), nodes.len() + 1);
        nodes.extend((0..2).map(|_| Node {
            value: 0.0,
            split: None,
        }));
        nodes[index].split = Some(Split {
            feature,
            threshold: binned.thresholds[feature as usize][bin as usize],
            left: left as u32,
            right: right as u32,
        });
        // Children that may split need histograms: the smaller side's is
        // built, the larger's is the parent's minus it.
        let (mut left_histogram, mut right_histogram) = (None, None);
        if depth + 1 < options.depth {
            let left_is_smaller = left_rows.len() <= right_rows.len();
            let smaller_rows = if left_is_smaller {
                &left_rows
            } else {
                &right_rows
            };
            let mut smaller_total = Sums::default();
            smaller_rows
                .iter()
                .for_each(|row| smaller_total.add(row_sums[*row]));
            let smaller = build_histogram(binned, row_sums, smaller_rows, smaller_total);
            let larger = histogram
                .iter()
                .zip(&smaller)
                .map(|(parent, smaller)| parent.minus(*smaller))
                .collect();
            (left_histogram, right_histogram) = match left_is_smaller {
                true => (Some(smaller), Some(larger)),
                false => (Some(larger), Some(smaller)),
            };
        }
        open.push(Open {
            index: right,
            depth: depth + 1,
            rows: right_rows,
            histogram: right_histogram,
        });
        open.push(Open {
            index: left,
            depth: depth + 1,
            rows: left_rows,
            histogram: left_histogram,
        });
    }
    Tree { nodes }
}

/// The gradient and curvature of `rows` (whose sums are `total`) in each
/// bin of each feature.
fn build_histogram(binned: &Binned, row_sums: &[Sums], rows: &[usize], total: Sums) -> Vec<Sums> {
    let mut histogram = vec![Sums::default(); *binned.offsets.last().expect("starts at 0")];
    for row in rows {
        for (feature, bin) in binned.row(*row) {
            histogram[binned.offsets[*feature as usize] + *bin as usize].add(row_sums[*row]);
        }
    }
    for feature in 0..binned.slots.len() {
        let bins = &mut histogram[binned.offsets[feature]..binned.offsets[feature + 1]];
        let mut elsewhere = Sums::default();
        bins.iter().for_each(|sums| elsewhere.add(*sums));
        // Rows without an entry for the feature are in its zero bin.
        bins[binned.zero_bin[feature] as usize].add(total.minus(elsewhere));
    }
    histogram
}

/// The feature and bin whose split (bins up to it left, the rest right)
/// lowers the loss most, if any split gains and leaves both sides their
/// least weight.
fn best_split(
    binned: &Binned,
    histogram: &[Sums],
    total: Sums,
    allowed: &[bool],
    options: BoostingOptions,
) -> Option<(u32, u8)> {
    let parent_gain = total.gain(options.l2);
    let mut best: Option<(f64, u32, u8)> = None;
    for feature in (0..binned.slots.len()).filter(|feature| allowed[*feature]) {
        let bins = &histogram[binned.offsets[feature]..binned.offsets[feature + 1]];
        let mut left = Sums::default();
        for (bin, sums) in bins[..bins.len() - 1].iter().enumerate() {
            left.add(*sums);
            let right = total.minus(left);
            if left.curvature < options.min_leaf_weight || right.curvature < options.min_leaf_weight
            {
                continue;
            }
            let gain = left.gain(options.l2) + right.gain(options.l2) - parent_gain;
            if gain > best.map_or(1e-9, |(top, _, _)| top) {
                best = Some((gain, feature as u32, bin as u8));
            }
        }
    }
    best.map(|(_, feature, bin)| (feature, bin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(pairs: &[(u32, f64)]) -> SparseVector {
        SparseVector::from_pairs(pairs.to_vec())
    }

    #[test]
    fn learns_an_interaction_a_linear_model_cannot() {
        // Positive exactly when one of slots 1 and 2 is set (exclusive or);
        // slot 2 is set in a third of the rows, so a first split gains.
        let first = |i: u32| i % 2;
        let second = |i: u32| u32::from(i.is_multiple_of(3));
        let x: Vec<SparseVector> = (0..300)
            .map(|i| {
                row(&[
                    (1, f64::from(first(i))),
                    (2, f64::from(second(i))),
                    (9, 1.0),
                ])
            })
            .collect();
        let y: Vec<usize> = (0..300).map(|i| (first(i) ^ second(i)) as usize).collect();
        let model = train(&x, &y, BoostingOptions::default());
        for (features, label) in [
            (&[1.0, 0.0], 1),
            (&[0.0, 1.0], 1),
            (&[1.0, 1.0], 0),
            (&[0.0, 0.0], 0),
        ] {
            let p = super::super::linear::sigmoid(
                model.score(&row(&[(1, features[0]), (2, features[1])])),
            );
            assert_eq!(usize::from(p > 0.5), label, "{features:?} {p}");
        }
    }

    #[test]
    fn contributions_add_up_to_the_score_above_the_roots() {
        let x: Vec<SparseVector> = (0..100)
            .map(|i| row(&[(3, f64::from(i)), (4, f64::from(i % 3))]))
            .collect();
        let y: Vec<usize> = (0..100)
            .map(|i| usize::from(i > 40 && i % 3 != 1))
            .collect();
        let model = train(&x, &y, BoostingOptions::default());
        let probe = row(&[(3, 50.0), (4, 2.0)]);
        let roots: f64 = model.trees.iter().map(|tree| tree.nodes[0].value).sum();
        let (score, contributions) = model.explained_score(&probe);
        let explained: f64 = contributions.iter().map(|(_, c)| c).sum();
        assert_eq!(score, model.score(&probe));
        assert!((model.base + roots + explained - score).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn a_row_is_scored_by_the_values_its_entries_give(
            rows in prop::collection::vec(prop::collection::vec((0u32..12, -3i8..4), 0..6), 10..40)
        ) {
            let x: Vec<SparseVector> = rows
                .iter()
                .map(|pairs| row(&pairs.iter().map(|(slot, value)| (*slot, f64::from(*value))).collect::<Vec<_>>()))
                .collect();
            let y: Vec<usize> = x
                .iter()
                .map(|row| usize::from(row.iter().map(|(_, value)| value).sum::<f64>() > 0.0))
                .collect();
            let options = BoostingOptions { trees: 10, ..BoostingOptions::default() };
            let model = train(&x, &y, options);
            for row in &x {
                let value_at = |slot: u32| {
                    row.iter().find(|(index, _)| *index == slot).map_or(0.0, |(_, value)| value)
                };
                let walked: f64 = model.trees.iter().map(|tree| {
                    let mut node = &tree.nodes[0];
                    while let Some(split) = &node.split {
                        let above = value_at(model.slots[split.feature as usize]) > split.threshold;
                        node = &tree.nodes[if above { split.right } else { split.left } as usize];
                    }
                    node.value
                }).sum();
                prop_assert_eq!(model.score(row), model.base + walked);
            }
        }
    }

    #[test]
    fn a_share_of_features_is_drawn_from_the_seed() {
        let x: Vec<SparseVector> = (0..200)
            .map(|i| {
                row(&[
                    (1, f64::from(i % 7)),
                    (2, f64::from(i % 5)),
                    (3, f64::from(i % 3)),
                ])
            })
            .collect();
        let y: Vec<usize> = (0..200).map(|i| usize::from(i % 7 + i % 5 > 5)).collect();
        let options = |seed| BoostingOptions {
            trees: 30,
            feature_share: 0.5,
            seed,
            ..BoostingOptions::default()
        };
        let first = train(&x, &y, options(1));
        assert_eq!(first, train(&x, &y, options(1)));
        assert_ne!(first, train(&x, &y, options(2)));
        assert_ne!(first, train(&x, &y, BoostingOptions::default()));
        // Each tree splits on one feature at least, however few are drawn.
        assert!(first.trees.iter().all(|tree| tree.nodes[0].split.is_some()));
    }

    #[test]
    fn thresholds_skip_the_largest_value() {
        assert_eq!(quantile_thresholds(vec![0.0, 1.0, 0.0, 1.0]), vec![0.0]);
        assert!(quantile_thresholds(vec![2.0; 5]).is_empty());
    }
}
