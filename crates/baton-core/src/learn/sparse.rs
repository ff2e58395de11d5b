//! Sparse vectors: the few non-zero entries of a feature vector, sorted by
//! index, and a compact serialisation for dense weight vectors that are
//! mostly zero.

use serde::{Deserialize, Serialize};

/// A vector with few non-zero entries, sorted by index, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseVector {
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl SparseVector {
    /// Builds a vector from `(index, value)` pairs in any order: values of
    /// the same index are added, zeros are left out.
    pub fn from_pairs(mut pairs: Vec<(u32, f64)>) -> SparseVector {
        pairs.sort_unstable_by_key(|&(index, _)| index);
        let mut vector = SparseVector {
            indices: Vec::with_capacity(pairs.len()),
            values: Vec::with_capacity(pairs.len()),
        };
        for (index, value) in pairs {
            match vector.indices.last() {
                Some(&last) if last == index => {
                    *vector.values.last_mut().expect("values follow indices") += value;
                }
                _ => {
                    vector.indices.push(index);
                    vector.values.push(value);
                }
            }
        }
        vector.retain_non_zero();
        vector
    }

    /// The non-zero entries, by increasing index.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// The value at `index` (0 when absent).
    pub fn get(&self, index: u32) -> f64 {
        self.indices
            .binary_search(&index)
            .map_or(0.0, |position| self.values[position])
    }

    /// How many entries are stored.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether every entry is zero.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The dot product with a dense vector long enough for every index.
    pub fn dot(&self, dense: &[f64]) -> f64 {
        self.iter()
            .map(|(index, value)| value * dense[index as usize])
            .sum()
    }

    /// Adds `scale` times this vector to a dense vector.
    pub fn add_scaled_to(&self, dense: &mut [f64], scale: f64) {
        for (index, value) in self.iter() {
            dense[index as usize] += scale * value;
        }
    }

    /// The Euclidean norm.
    pub fn norm(&self) -> f64 {
        self.values
            .iter()
            .map(|value| value * value)
            .sum::<f64>()
            .sqrt()
    }

    /// Replaces each entry by `f(index, value)`; entries that become zero
    /// are dropped.
    pub fn map_values(&mut self, mut f: impl FnMut(u32, f64) -> f64) {
        for (index, value) in self.indices.iter().zip(self.values.iter_mut()) {
            *value = f(*index, *value);
        }
        self.retain_non_zero();
    }

    /// Scales the vector to unit Euclidean norm (a zero vector stays zero).
    pub fn normalize(&mut self) {
        let norm = self.norm();
        if norm > 0.0 {
            self.map_values(|_, value| value / norm);
        }
    }

    /// The same entries with each index replaced by `map(index)`; the map
    /// must keep the order of indices.
    pub fn remap(&self, mut map: impl FnMut(u32) -> u32) -> SparseVector {
        SparseVector {
            indices: self.indices.iter().map(|index| map(*index)).collect(),
            values: self.values.clone(),
        }
    }

    fn retain_non_zero(&mut self) {
        if self.values.iter().all(|value| *value != 0.0) {
            return;
        }
        let mut kept = 0;
        for position in 0..self.indices.len() {
            if self.values[position] != 0.0 {
                self.indices[kept] = self.indices[position];
                self.values[kept] = self.values[position];
                kept += 1;
            }
        }
        self.indices.truncate(kept);
        self.values.truncate(kept);
    }
}

/// Serde for a dense `Vec<f64>` that is mostly zeros (weights over a hashed
/// feature space): written as its length and its non-zero entries, so a
/// model over 2^18 features takes the room of the features it has seen.
pub mod dense_as_sparse {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Stored {
        len: usize,
        entries: Vec<(u32, f64)>,
    }

    /// Writes the length and the non-zero entries.
    pub fn serialize<S: Serializer>(dense: &[f64], serializer: S) -> Result<S::Ok, S::Error> {
        let entries = dense
            .iter()
            .enumerate()
            .filter(|(_, value)| **value != 0.0)
            .map(|(index, value)| (index as u32, *value))
            .collect();
        Stored {
            len: dense.len(),
            entries,
        }
        .serialize(serializer)
    }

    /// Reads what [`serialize`] wrote; an entry beyond the length is an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
        let stored = Stored::deserialize(deserializer)?;
        let mut dense = vec![0.0; stored.len];
        for (index, value) in stored.entries {
            let slot = dense.get_mut(index as usize).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "entry {index} is beyond the length {}",
                    stored.len
                ))
            })?;
            *slot = value;
        }
        Ok(dense)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_sorted_and_duplicates_added_and_zeros_dropped() {
        let vector = SparseVector::from_pairs(vec![(5, 1.0), (2, 2.0), (5, 0.5), (7, 0.0)]);
        assert_eq!(vector.iter().collect::<Vec<_>>(), vec![(2, 2.0), (5, 1.5)]);
    }

    #[test]
    fn dot_and_normalize() {
        let mut vector = SparseVector::from_pairs(vec![(0, 3.0), (2, 4.0)]);
        assert_eq!(vector.dot(&[1.0, 10.0, 2.0]), 11.0);
        vector.normalize();
        assert!((vector.norm() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn dense_vectors_are_stored_by_their_non_zero_entries() {
        #[derive(Serialize, Deserialize)]
        struct Weights(#[serde(with = "dense_as_sparse")] Vec<f64>);
        let json = serde_json::to_string(&Weights(vec![0.0, 1.5, 0.0, -0.1])).unwrap();
        assert_eq!(json, r#"{"len":4,"entries":[[1,1.5],[3,-0.1]]}"#);
        let back: Weights = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, vec![0.0, 1.5, 0.0, -0.1]);
    }
}
