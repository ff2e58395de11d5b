//! From a row (a message and its form fields, or a lead's columns) to a
//! sparse feature vector.
//!
//! Text is tokenised into lowercase unicode words, with URLs, e-mail
//! addresses, numbers and amounts of money replaced by placeholder tokens
//! (spam is recognised by *having* a link or a phone number, rarely by which
//! one); word 1–n-grams and character n-grams inside words are counted,
//! weighted by sublinear TF-IDF and scaled to unit length. Tabular columns are
//! numeric (standardised, with a missing flag and a bin by quantile, so a
//! linear model can bend and trees can cut) or categorical (one feature per
//! `column=value`).
//! Every feature name is hashed into a fixed space of 2^bits, so no
//! vocabulary has to be kept; a sign bit of the hash makes collisions cancel
//! out on average instead of adding up.

use super::sparse::{SparseVector, dense_as_sparse};
use serde::{Deserialize, Serialize};
use std::fmt::{self, Write};
use std::ops::Range;

/// How features are made; part of a saved model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureOptions {
    /// Features are hashed into 2^bits slots; at most 2^31.
    pub bits: u32,
    /// Whether a hash bit flips the sign of a feature (not for naive Bayes,
    /// which needs counts).
    pub signed: bool,
    /// Word n-grams from 1 up to this length.
    pub word_ngrams: usize,
    /// Character n-grams inside words, shortest and longest; `None` for none.
    pub char_ngrams: Option<(usize, usize)>,
    /// Quantile bins of each numeric column (0 for none).
    pub numeric_bins: usize,
}

impl Default for FeatureOptions {
    fn default() -> FeatureOptions {
        FeatureOptions {
            bits: 18,
            signed: true,
            word_ngrams: 2,
            char_ngrams: Some((2, 5)),
            numeric_bins: 10,
        }
    }
}

/// What a column of the input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnRole {
    /// Free text, tokenised.
    Text,
    /// A value in a table: numeric or categorical, decided from the
    /// training data.
    Tabular,
}

/// A column as the fitted feature space reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The column's name, as in the training data's header.
    pub name: String,
    /// How its values become features.
    pub kind: ColumnKind,
}

/// How a column's values become features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ColumnKind {
    /// Free text.
    Text,
    /// Numbers: standardised with the training mean and deviation, and
    /// binned between the training quantiles in `edges`.
    Numeric {
        /// Mean of the training values.
        mean: f64,
        /// Standard deviation of the training values (1 when they are all equal).
        deviation: f64,
        /// Ascending bin edges.
        edges: Vec<f64>,
    },
    /// Anything else: one feature per value.
    Categorical,
}

/// The features of a row that were named, for explanations: each one's
/// name, slot and signed share of the slot's value. The names share one
/// buffer, as a row has many.
#[derive(Debug, Default)]
pub struct Named {
    text: String,
    features: Vec<(Range<usize>, u32, f64)>,
}

impl Named {
    /// Name, slot and share of each feature, in the order the row gave them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32, f64)> + '_ {
        self.features
            .iter()
            .map(|(name, slot, value)| (&self.text[name.clone()], *slot, *value))
    }
}

/// A feature space fitted on training rows: the columns and how to read
/// them, and the inverse document frequency of each text feature seen in
/// training (text features never seen are left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpace {
    options: FeatureOptions,
    columns: Vec<Column>,
    #[serde(with = "dense_as_sparse")]
    idf: Vec<f64>,
}

/// Whether a feature comes from text or from a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Text,
    Tabular,
}

/// Whether a cell holds no value: empty, a form's unchosen `Select`, or a
/// spreadsheet's not-available marker.
pub fn is_missing(value: &str) -> bool {
    let value = value.trim();
    value.is_empty()
        || ["select", "na", "n/a", "nan", "null"]
            .iter()
            .any(|marker| value.eq_ignore_ascii_case(marker))
}

fn parse_number(value: &str) -> Option<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

impl FeatureSpace {
    /// Fits the feature space on training rows, each holding one value per
    /// column of `columns` in that order. A tabular column is numeric when
    /// its values that are not missing are numbers, but for a stray few
    /// (see [`stray_values`]), which are then read as missing.
    pub fn fit(
        columns: &[(String, ColumnRole)],
        rows: &[Vec<&str>],
        options: FeatureOptions,
    ) -> FeatureSpace {
        assert!(options.bits <= 31, "a slot and its sign share 32 bits");
        let columns = columns
            .iter()
            .enumerate()
            .map(|(position, (name, role))| Column {
                name: name.clone(),
                kind: match role {
                    ColumnRole::Text => ColumnKind::Text,
                    ColumnRole::Tabular => {
                        fit_tabular(rows.iter().map(|row| row[position]), options.numeric_bins)
                    }
                },
            })
            .collect();
        let mut space = FeatureSpace {
            idf: Vec::new(),
            columns,
            options,
        };
        let mut document_frequency = vec![0u32; 1 << space.options.bits];
        let mut seen = Vec::new();
        for row in rows {
            seen.clear();
            space.for_each_feature(row, |source, _, hash, _| {
                if source == Source::Text {
                    seen.push(space.slot(hash).0);
                }
            });
            seen.sort_unstable();
            seen.dedup();
            for &slot in &seen {
                document_frequency[slot as usize] += 1;
            }
        }
        // Smoothed as if one extra document held every feature, so no
        // weight is infinite.
        let documents = rows.len() as f64;
        space.idf = document_frequency
            .into_iter()
            .map(|frequency| match frequency {
                0 => 0.0,
                _ => ((1.0 + documents) / (1.0 + f64::from(frequency))).ln() + 1.0,
            })
            .collect();
        space
    }

    /// The columns a row must hold, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Number of slots of the hashed space.
    pub fn dimension(&self) -> usize {
        1 << self.options.bits
    }

    /// The feature vector of a row holding one value per column.
    pub fn vectorize(&self, row: &[&str]) -> SparseVector {
        self.vectorize_with(row, |_, _, _| ())
    }

    /// The feature vector of a row, and the named features that make it up
    /// with the slot and the signed share of the slot's value each one
    /// brings (before text is scaled to unit length), for explanations;
    /// only the features `keep` accepts are named, as naming every
    /// character n-gram costs more than scoring.
    pub fn named_features_where(
        &self,
        row: &[&str],
        keep: impl Fn(&str) -> bool,
    ) -> (SparseVector, Named) {
        let mut named = Named::default();
        let vector = self.vectorize_with(row, |name, slot, value| {
            if keep(name) {
                let start = named.text.len();
                named.text.push_str(name);
                named.features.push((start..named.text.len(), slot, value));
            }
        });
        (vector, named)
    }

    fn vectorize_with(
        &self,
        row: &[&str],
        mut observe: impl FnMut(&str, u32, f64),
    ) -> SparseVector {
        // Each occurrence of a text feature as its slot above a bit for its
        // sign, so that grouping them by slot is sorting integers.
        let mut occurrences: Vec<u32> = Vec::new();
        let mut tabular = Vec::new();
        self.for_each_feature(row, |source, name, hash, value| {
            let (slot, sign) = self.slot(hash);
            // Text never seen in training has an IDF of 0 and is dropped
            // when weighted, once the slots are sorted: looking the IDF up
            // here would make every feature wait on a cache miss.
            match source {
                Source::Text => occurrences.push(slot << 1 | u32::from(sign < 0.0)),
                Source::Tabular => tabular.push((slot, sign * value)),
            }
            observe(name, slot, sign * value);
        });
        occurrences.sort_unstable();
        let mut counts: Vec<(u32, f64)> = Vec::with_capacity(occurrences.len());
        for occurrence in occurrences {
            let (slot, sign) = (occurrence >> 1, 1.0 - 2.0 * f64::from(occurrence & 1));
            match counts.last_mut() {
                Some((last, count)) if *last == slot => *count += sign,
                _ => counts.push((slot, sign)),
            }
        }
        // Already in order: this only leaves out the counts that cancelled.
        let mut text = SparseVector::from_pairs(counts);
        text.map_values(|slot, count| {
            // Most features occur once, and ln 1 = 0.
            let count_abs = count.abs();
            let sublinear = if count_abs == 1.0 {
                1.0
            } else {
                1.0 + count_abs.ln()
            };
            count.signum() * sublinear * self.idf[slot as usize]
        });
        text.normalize();
        if tabular.is_empty() {
            return text;
        }
        let mut pairs: Vec<(u32, f64)> = text.iter().collect();
        pairs.extend(tabular);
        SparseVector::from_pairs(pairs)
    }

    /// The slot of a feature with the [`hash`] of its name, and its sign.
    fn slot(&self, hash: u64) -> (u32, f64) {
        let slot = (hash & ((1 << self.options.bits) - 1)) as u32;
        let sign = if self.options.signed && hash >> 63 == 1 {
            -1.0
        } else {
            1.0
        };
        (slot, sign)
    }

    /// Calls `emit(source, name, hash, value)` for every feature of the
    /// row, with the [`hash`] of its name; a text feature is emitted once
    /// per occurrence.
    fn for_each_feature(&self, row: &[&str], mut emit: impl FnMut(Source, &str, u64, f64)) {
        let mut name = String::new();
        for (column, value) in self.columns.iter().zip(row) {
            match &column.kind {
                ColumnKind::Text => self.text_features(value, &mut name, &mut emit),
                ColumnKind::Numeric {
                    mean,
                    deviation,
                    edges,
                } => match parse_number(value).filter(|_| !is_missing(value)) {
                    None => emit_tabular(&mut emit, missing(&mut name, column), 1.0),
                    Some(number) => {
                        emit_tabular(&mut emit, &column.name, (number - mean) / deviation);
                        if !edges.is_empty() {
                            let bin = bin_name(&mut name, &column.name, edges, number);
                            emit_tabular(&mut emit, bin, 1.0);
                        }
                    }
                },
                ColumnKind::Categorical if is_missing(value) => {
                    emit_tabular(&mut emit, missing(&mut name, column), 1.0)
                }
                ColumnKind::Categorical => {
                    let pair = format_args!("{}={}", column.name, value.trim());
                    emit_tabular(&mut emit, write_name(&mut name, pair), 1.0)
                }
            }
        }
    }

    /// The word n-grams of a text, then the character n-grams inside its
    /// words. The n-grams that start at one place are emitted shortest
    /// first, so that each name and its hash extend the one before.
    fn text_features(
        &self,
        text: &str,
        name: &mut String,
        emit: &mut impl FnMut(Source, &str, u64, f64),
    ) {
        let tokens = tokenize(text);
        for first in 0..tokens.len() {
            name.clear();
            name.push_str("w:");
            let mut hasher = NameHasher::new().write(b"w:");
            for (position, token) in tokens[first..]
                .iter()
                .take(self.options.word_ngrams)
                .enumerate()
            {
                if position > 0 {
                    name.push(' ');
                    hasher = hasher.write(b" ");
                }
                name.push_str(token);
                hasher = hasher.write(token.as_bytes());
                emit(Source::Text, name, hasher.finish(), 1.0);
            }
        }
        let Some((shortest, longest)) = self.options.char_ngrams else {
            return;
        };
        // The token between spaces, and where each of its characters starts
        // (and where the last ends).
        let mut padded = String::new();
        let mut starts = Vec::new();
        for token in tokens.iter().filter(|token| !token.starts_with("__")) {
            padded.clear();
            padded.push(' ');
            padded.push_str(token);
            padded.push(' ');
            starts.clear();
            starts.extend(padded.char_indices().map(|(at, _)| at));
            starts.push(padded.len());
            let characters = starts.len() - 1;
            for first in 0..characters {
                name.clear();
                name.push_str("c:");
                let mut hasher = NameHasher::new().write(b"c:");
                for n in 1..=longest.min(characters - first) {
                    let character = &padded[starts[first + n - 1]..starts[first + n]];
                    name.push_str(character);
                    hasher = hasher.write(character.as_bytes());
                    if n >= shortest {
                        emit(Source::Text, name, hasher.finish(), 1.0);
                    }
                }
            }
        }
    }
}

/// Whether a feature name is a character n-gram (`c:` and the characters),
/// which helps matching but tells a person nothing.
pub fn is_character_ngram(name: &str) -> bool {
    name.starts_with("c:")
}

/// At most one value in this many of a numeric column may be something
/// else: a typo or a placeholder (`-`, `?`, `unknown`) must not turn a
/// column of numbers into one of categories, where the numbers' order is lost.
const STRAY_SHARE: usize = 20;

/// The values of a column that are neither missing nor numbers, when the
/// column is numeric despite them (they are at most one in
/// [`STRAY_SHARE`]); `None` when the column is categorical. Training reads
/// such values as missing.
pub fn stray_values<'a>(values: impl Iterator<Item = &'a str>) -> Option<Vec<&'a str>> {
    let mut numbers = 0;
    let mut stray = Vec::new();
    for value in values.filter(|value| !is_missing(value)) {
        match parse_number(value) {
            Some(_) => numbers += 1,
            None => stray.push(value),
        }
    }
    (numbers > 0 && stray.len() * STRAY_SHARE <= numbers + stray.len()).then_some(stray)
}

/// Infers a tabular column's kind from its training values.
fn fit_tabular<'a>(values: impl Iterator<Item = &'a str> + Clone, bins: usize) -> ColumnKind {
    if stray_values(values.clone()).is_none() {
        return ColumnKind::Categorical;
    }
    let mut numbers: Vec<f64> = values
        .filter(|value| !is_missing(value))
        .filter_map(parse_number)
        .collect();
    let count = numbers.len() as f64;
    let mean = numbers.iter().sum::<f64>() / count;
    let variance = numbers.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / count;
    let deviation = if variance > 0.0 { variance.sqrt() } else { 1.0 };
    numbers.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..bins)
        .map(|bin| numbers[bin * numbers.len() / bins])
        .collect();
    edges.dedup();
    ColumnKind::Numeric {
        mean,
        deviation,
        edges,
    }
}

/// Writes `parts` into `buffer` and gives it back: a feature's name
/// without an allocation of its own, as a row has many.
fn write_name<'b>(buffer: &'b mut String, parts: fmt::Arguments<'_>) -> &'b str {
    buffer.clear();
    buffer
        .write_fmt(parts)
        .expect("writing to a String cannot fail");
    buffer
}

/// The name of a column's missing flag, e.g. `Country missing`.
fn missing<'b>(buffer: &'b mut String, column: &Column) -> &'b str {
    write_name(buffer, format_args!("{} missing", column.name))
}

/// A readable name for the bin a number falls in, e.g. `Visits in [2, 5)`.
fn bin_name<'b>(buffer: &'b mut String, column: &str, edges: &[f64], number: f64) -> &'b str {
    let bin = edges.partition_point(|edge| *edge <= number);
    match (bin.checked_sub(1).map(|low| edges[low]), edges.get(bin)) {
        (None, Some(high)) => write_name(buffer, format_args!("{column} < {high}")),
        (Some(low), None) => write_name(buffer, format_args!("{column} ≥ {low}")),
        (Some(low), Some(high)) => write_name(buffer, format_args!("{column} in [{low}, {high})")),
        (None, None) => unreachable!("a numeric column with bins has at least one edge"),
    }
}

/// Emits a feature of a table's column, with the hash of its name.
fn emit_tabular(emit: &mut impl FnMut(Source, &str, u64, f64), name: &str, value: f64) {
    emit(Source::Tabular, name, hash(name.as_bytes()), value);
}

/// The hash of a feature name: 64-bit FNV-1a, then a final mix so the low
/// bits (the slot) and the top bit (the sign) depend on every byte. Fixed
/// for all time: a saved model's slots depend on it.
fn hash(bytes: &[u8]) -> u64 {
    NameHasher::new().write(bytes).finish()
}

/// [`hash`] fed piece by piece: FNV-1a reads bytes in order, so the
/// hash of a name can go on from the hash of its beginning.
#[derive(Clone, Copy)]
struct NameHasher(u64);

impl NameHasher {
    fn new() -> NameHasher {
        NameHasher(0xcbf2_9ce4_8422_2325)
    }

    fn write(self, bytes: &[u8]) -> NameHasher {
        let mut state = self.0;
        for byte in bytes {
            state ^= u64::from(*byte);
            state = state.wrapping_mul(0x0100_0000_01b3);
        }
        NameHasher(state)
    }

    fn finish(self) -> u64 {
        let mut hash = self.0;
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        hash ^ (hash >> 33)
    }
}

/// Splits text into lowercase tokens. Whitespace-separated pieces that are
/// URLs or e-mail addresses become `__url__` or `__email__`; the rest is cut
/// into runs of letters and runs of digits; a run of five digits or more
/// becomes `__longnum__` (phone numbers, short codes), a shorter one
/// `__num__`; a currency sign before a number adds `__money__`, a word in
/// capitals `__caps__`, an exclamation mark `__bang__`.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for piece in text.split_whitespace() {
        // Only a piece with one of these can be an address or a link:
        // spare the others a lowercase copy.
        if piece.contains(['@', '.', ':']) {
            let lower = piece.to_lowercase();
            if is_email(&lower) {
                tokens.push("__email__".to_owned());
                continue;
            }
            if is_url(&lower) {
                tokens.push("__url__".to_owned());
                continue;
            }
        }
        if piece.contains('!') {
            tokens.push("__bang__".to_owned());
        }
        let mut previous: Option<char> = None;
        let mut run = String::new();
        let mut run_is_digits = false;
        for character in piece.chars() {
            if character.is_numeric() {
                if previous.is_some_and(|c| "$£€¥₹".contains(c)) {
                    tokens.push("__money__".to_owned());
                }
                if !run_is_digits {
                    flush(&mut run, false, &mut tokens);
                }
                run_is_digits = true;
                run.push(character);
            } else if character.is_alphabetic() {
                if run_is_digits {
                    flush(&mut run, true, &mut tokens);
                }
                run_is_digits = false;
                run.push(character);
            } else {
                flush(&mut run, run_is_digits, &mut tokens);
            }
            previous = Some(character);
        }
        flush(&mut run, run_is_digits, &mut tokens);
        let mut letters = piece.chars().filter(|c| c.is_alphabetic());
        if letters.clone().nth(1).is_some() && letters.all(char::is_uppercase) {
            tokens.push("__caps__".to_owned());
        }
    }
    tokens
}

/// Ends a run of letters (a word) or of digits (a number placeholder).
fn flush(run: &mut String, digits: bool, tokens: &mut Vec<String>) {
    if run.is_empty() {
        return;
    }
    if digits {
        let name = if run.len() >= 5 {
            "__longnum__"
        } else {
            "__num__"
        };
        tokens.push(name.to_owned());
    } else {
        tokens.push(run.to_lowercase());
    }
    run.clear();
}

fn is_url(piece: &str) -> bool {
    const ENDINGS: [&str; 9] = [
        ".com", ".net", ".org", ".ly", ".be", ".co", ".uk", ".info", ".biz",
    ];
    piece.contains("://")
        || piece.starts_with("www.")
        // Most words have no dot: spare them the search for each ending.
        || piece.contains('.') && ENDINGS.iter().any(|ending| {
            piece.find(ending).is_some_and(|at| {
                at > 0
                    && piece[at + ending.len()..]
                        .chars()
                        .next()
                        .is_none_or(|next| !next.is_alphanumeric())
            })
        })
}

fn is_email(piece: &str) -> bool {
    piece
        .split_once('@')
        .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lowercase_words_with_placeholders() {
        assert_eq!(
            tokenize("FREE entry! Call 08452810075 or visit www.win.com, £100 ok"),
            vec![
                "free",
                "__caps__",
                "__bang__",
                "entry",
                "call",
                "__longnum__",
                "or",
                "visit",
                "__url__",
                "__money__",
                "__num__",
                "ok"
            ]
        );
        assert_eq!(tokenize("mail bob@example.org"), vec!["mail", "__email__"]);
        assert_eq!(tokenize("Grüße, 2day"), vec!["grüße", "__num__", "day"]);
    }

    #[test]
    fn each_name_is_emitted_with_its_own_hash() {
        let space = space(&[vec!["Ünïcode words, twice: words", "1", "x"]]);
        let mut names = Vec::new();
        space.for_each_feature(
            &["Ünïcode words, twice: words", "", "India"],
            |_, name, h, _| {
                assert_eq!(h, hash(name.as_bytes()), "{name}");
                names.push(name.to_owned());
            },
        );
        for expected in [
            "w:ünïcode words",
            "w:twice",
            "c: ü",
            "c:ünïc",
            "c:ds ",
            "country=India",
        ] {
            assert!(names.iter().any(|name| name == expected), "{expected}");
        }
        // One word between spaces, `" ab "`: three 2-grams, two 3-grams, one 4-gram.
        let mut grams = Vec::new();
        space.text_features("ab", &mut String::new(), &mut |_, name, _, _| {
            grams.push(name.to_owned())
        });
        grams.sort();
        assert_eq!(
            grams,
            ["c: a", "c: ab", "c: ab ", "c:ab", "c:ab ", "c:b ", "w:ab"]
        );
    }

    #[test]
    fn select_and_empty_are_missing() {
        assert!(is_missing("Select"));
        assert!(is_missing("  "));
        assert!(!is_missing("India"));
    }

    fn space(rows: &[Vec<&str>]) -> FeatureSpace {
        let columns = [
            ("message".to_owned(), ColumnRole::Text),
            ("visits".to_owned(), ColumnRole::Tabular),
            ("country".to_owned(), ColumnRole::Tabular),
        ];
        FeatureSpace::fit(&columns, rows, FeatureOptions::default())
    }

    #[test]
    fn tabular_columns_are_numeric_when_every_value_is_a_number() {
        let space = space(&[vec!["hi", "1", "India"], vec!["ho", "", "Select"]]);
        assert!(matches!(
            space.columns()[1].kind,
            ColumnKind::Numeric { mean: 1.0, .. }
        ));
        assert_eq!(space.columns()[2].kind, ColumnKind::Categorical);
    }

    #[test]
    fn a_stray_word_among_numbers_is_read_as_missing_not_as_a_category() {
        let visits: Vec<String> = (1..=19)
            .map(|n| n.to_string())
            .chain(["lots".into()])
            .collect();
        let rows: Vec<Vec<&str>> = visits.iter().map(|v| vec!["hi", v.as_str(), "x"]).collect();
        let space = space(&rows);
        assert!(matches!(
            space.columns()[1].kind,
            ColumnKind::Numeric { mean: 10.0, .. }
        ));
        assert_eq!(
            space.vectorize(&["", "lots", "x"]),
            space.vectorize(&["", "", "x"])
        );
        assert_eq!(
            stray_values(visits.iter().map(String::as_str)),
            Some(vec!["lots"])
        );
        // Two in twenty are no longer strays: the column is one of categories.
        let more: Vec<&str> = visits.iter().map(String::as_str).chain(["many"]).collect();
        assert_eq!(stray_values(more.iter().copied()), None);
        let rows: Vec<Vec<&str>> = more.iter().map(|v| vec!["hi", *v, "x"]).collect();
        assert_eq!(
            self::space(&rows).columns()[1].kind,
            ColumnKind::Categorical
        );
    }

    #[test]
    fn text_is_unit_length_and_unseen_words_are_left_out() {
        let space = space(&[vec!["buy cheap pills", "1", "x"]]);
        let seen = space.vectorize(&["buy cheap", "", ""]);
        let unseen = space.vectorize(&["zzz qqq", "", ""]);
        let (text, _) = space.named_features_where(&["buy cheap", "", ""], |_| true);
        assert_eq!(seen, text);
        // Two tabular "missing" flags of 1 each, plus unit-length text.
        assert!((seen.norm().powi(2) - 3.0).abs() < 1e-9);
        assert!((unseen.norm().powi(2) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn numbers_fall_in_named_bins() {
        assert_eq!(
            bin_name(&mut String::new(), "Visits", &[2.0, 5.0], 3.0),
            "Visits in [2, 5)"
        );
        assert_eq!(
            bin_name(&mut String::new(), "Visits", &[2.0, 5.0], 1.0),
            "Visits < 2"
        );
        assert_eq!(
            bin_name(&mut String::new(), "Visits", &[2.0, 5.0], 5.0),
            "Visits ≥ 5"
        );
    }
}
