//! How fast the learned decisions are, on the public data sets: one inquiry
//! through the spam, intent and conversion models (their probabilities
//! alone, and the decisions as intake takes them: combined with the rules
//! and explained feature by feature), and training the conversion model
//! (cross-validation, fit and calibration) on 10,000 rows.
//!
//! The data sets are read from `../shared/data` beside the workspace, or
//! from the folder in `BATON_DATA_DIR`.

use baton_core::decision::{IntentDecision, Moderation, Score};
use baton_core::domain::{Grade, Intent, Verdict};
use baton_core::learn::combine::{ActiveModel, classify_with, moderate_with, score_with};
use baton_core::learn::dataset::{Examples, Selection, Table, read_ids, read_label_map};
use baton_core::learn::evaluate::evaluate;
use baton_core::learn::model::Model;
use baton_core::learn::public_data::{PUBLIC_DATA_SETS, PublicDataSet};
use baton_core::learn::train::{Task, train};
use criterion::{Criterion, criterion_group, criterion_main};
use std::fs::File;
use std::hint::black_box;
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    std::env::var_os("BATON_DATA_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    )
}

fn public_set(name: &str) -> &'static PublicDataSet {
    PUBLIC_DATA_SETS
        .iter()
        .find(|set| set.name == name)
        .expect("a public data set")
}

/// The examples of a public data set and its test rows.
fn load(set: &PublicDataSet) -> (Examples, Vec<usize>) {
    let folder = data_dir().join(set.name);
    let open = |file: &str| {
        let path = folder.join(file);
        File::open(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    };
    let files = set
        .files
        .iter()
        .map(|file| (file.to_string(), open(file)))
        .collect();
    let table = Table::read(files, set.format, set.has_header).expect("a readable data set");
    let label_map = set
        .label_map
        .map(|file| read_label_map(file, open(file)).expect("a readable label map"));
    let drop: Vec<String> = set.drop_columns.iter().map(|c| c.to_string()).collect();
    let selection = Selection {
        label: set.label_column,
        text: set.text_column,
        drop: &drop,
        label_map: label_map.as_ref(),
    };
    let examples = table.labelled(&selection).expect("labelled examples");
    let ids = std::fs::read_to_string(folder.join("test_ids.txt")).expect("test ids");
    let test = read_ids("test_ids.txt", &ids, table.len()).expect("valid test ids");
    (examples, test)
}

/// A model trained on every row of a data set but its test rows, and those
/// test rows' values.
fn trained(name: &str) -> (Model, Vec<Vec<String>>) {
    let set = public_set(name);
    let (examples, test) = load(set);
    let (_, model) =
        evaluate(set.task, &examples, &test, None, set.positive).expect("a trainable data set");
    let rows = test.iter().map(|row| examples.rows[*row].clone()).collect();
    (model, rows)
}

/// The values of row `i` (cycling) as a model reads them.
fn values(rows: &[Vec<String>], i: usize) -> Vec<&str> {
    rows[i % rows.len()].iter().map(String::as_str).collect()
}

fn one_inquiry(criterion: &mut Criterion) {
    let (spam, messages) = trained("youtube-spam");
    let (intent, requests) = trained("bitext-intent");
    let (conversion, leads) = trained("leads-xeducation");
    let inquiries: Vec<[Vec<&str>; 3]> = (0..messages.len())
        .map(|i| {
            [
                values(&messages, i),
                values(&requests, i),
                values(&leads, i),
            ]
        })
        .collect();
    let mut next = 0;
    criterion.bench_function("one inquiry through spam, intent and conversion", |bench| {
        bench.iter(|| {
            let [message, request, lead] = &inquiries[next % inquiries.len()];
            next += 1;
            black_box((
                spam.predict_proba(message),
                intent.predict_proba(request),
                conversion.predict_proba(lead),
            ))
        })
    });
}

/// What the rules decided before the models are asked: nothing certain.
fn rule_decisions() -> (Moderation, IntentDecision, Score) {
    (
        Moderation {
            verdict: Verdict::Ham,
            score: 0.1,
            reasons: Vec::new(),
            version: "rules-1".into(),
        },
        IntentDecision {
            value: Intent::NewBusiness,
            confidence: 0.5,
            reasons: Vec::new(),
            version: "rules-1".into(),
        },
        Score {
            value: 40,
            grade: Grade::C,
            reasons: Vec::new(),
            version: "points-1".into(),
        },
    )
}

fn one_inquiry_decided(criterion: &mut Criterion) {
    let active = |task, name| {
        let (model, rows) = trained(name);
        (
            ActiveModel {
                task,
                version: 1,
                model,
            },
            rows,
        )
    };
    let (spam, messages) = active(Task::Spam, "youtube-spam");
    let (intent, requests) = active(Task::Intent, "bitext-intent");
    let (conversion, leads) = active(Task::Conversion, "leads-xeducation");
    let (moderation, intent_rules, points) = rule_decisions();
    let mut next = 0;
    criterion.bench_function(
        "one inquiry decided by spam, intent and conversion, with reasons",
        |bench| {
            bench.iter(|| {
                let i = next;
                next += 1;
                black_box((
                    moderate_with(moderation.clone(), &spam, &values(&messages, i)),
                    classify_with(intent_rules.clone(), &intent, &values(&requests, i)),
                    score_with(points.clone(), &conversion, &values(&leads, i)),
                ))
            })
        },
    );
}

fn training(criterion: &mut Criterion) {
    const ROWS: usize = 10_000;
    let set = public_set("leads-xeducation");
    let (examples, _) = load(set);
    // The 9,240 leads, the first ones again up to 10,000.
    let rows: Vec<Vec<&str>> = (0..ROWS).map(|i| values(&examples.rows, i)).collect();
    let slices: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let y: Vec<usize> = (0..ROWS)
        .map(|i| usize::from(examples.labels[i % examples.labels.len()] == "1"))
        .collect();
    let classes = vec!["not 1".to_owned(), "1".to_owned()];
    let mut group = criterion.benchmark_group("training");
    group.sample_size(10);
    group.bench_function("conversion on 10,000 leads", |bench| {
        bench.iter(|| {
            train(
                Task::Conversion,
                &examples.columns,
                &slices,
                &y,
                classes.clone(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, one_inquiry, one_inquiry_decided, training);
criterion_main!(benches);
