//! `baton model evaluate` and `baton model benchmark`: train on labelled
//! files and print metrics on held-out rows, as JSON on stdout; `baton
//! model train`: train the pipeline's models from the database.

use super::{closing, open as open_database};
use crate::cli::{DatabaseArgs, ModelEvaluateArgs, ModelTrainArgs};
use crate::failure::Failure;
use crate::output::say;
use baton_core::learn::dataset::{Examples, Selection, Table, read_ids, read_label_map};
use baton_core::learn::evaluate::{Report, cross_validate, evaluate as evaluate_examples};
use baton_core::learn::features::{ColumnRole, stray_values};
use baton_core::learn::public_data::PUBLIC_DATA_SETS;
use baton_core::learn::train::Task;
use std::fs::File;
use std::path::{Path, PathBuf};

pub fn evaluate(args: &ModelEvaluateArgs) -> Result<(), Failure> {
    let report = run(args)?;
    say!(
        "{}",
        serde_json::to_string(&report).expect("a report serialises")
    );
    Ok(())
}

pub async fn train(database: &DatabaseArgs, args: &ModelTrainArgs) -> Result<(), Failure> {
    let tasks = match args.task {
        Some(task) => vec![task],
        None => Task::ALL.to_vec(),
    };
    closing(open_database(database).await?, async |db| {
        let mut trained = 0;
        for task in tasks {
            let line = match db.train_model(task).await? {
                Ok(training) => {
                    trained += 1;
                    serde_json::to_value(&training).expect("a training serialises")
                }
                // Asked for one task, too little data is the answer's failure.
                Err(too_little) if args.task.is_some() => {
                    return Err(Failure::bad_input(too_little.to_string()));
                }
                Err(too_little) => {
                    serde_json::json!({"task": task, "skipped": too_little.to_string()})
                }
            };
            say!("{line}");
        }
        // A script must tell "nothing could be trained" from a training.
        match trained {
            0 => Err(Failure::bad_input(
                "no model was trained: every task lacks labelled rows",
            )),
            _ => Ok(()),
        }
    })
    .await
}

pub fn benchmark(data_dir: &Path, cross_validate: Option<usize>) -> Result<(), Failure> {
    for (dataset, args) in benchmarks(data_dir, cross_validate) {
        let report = run(&args).map_err(|failure| match failure {
            Failure::BadInput(message) => Failure::bad_input(format!(
                "{dataset}: {message} (is --data-dir the folder of the public data sets?)"
            )),
            other => other,
        })?;
        // The data set and the task lead the report's own fields.
        let report = serde_json::to_string(&report).expect("a report serialises");
        let fields = report.strip_prefix('{').expect("a report is a JSON object");
        say!(
            "{{\"dataset\":\"{dataset}\",\"task\":\"{}\",{fields}",
            args.task.name()
        );
    }
    Ok(())
}

/// The public data sets, each as the arguments of `baton model evaluate`
/// with its fixed split, or cross-validated over its training rows.
fn benchmarks(
    data_dir: &Path,
    cross_validate: Option<usize>,
) -> Vec<(&'static str, ModelEvaluateArgs)> {
    PUBLIC_DATA_SETS
        .iter()
        .map(|set| {
            let folder = data_dir.join(set.name);
            let args = ModelEvaluateArgs {
                task: set.task,
                data: set.files.iter().map(|file| folder.join(file)).collect(),
                test_ids: cross_validate
                    .is_none()
                    .then(|| folder.join("test_ids.txt")),
                train_ids: Some(folder.join("train_ids.txt")),
                cross_validate,
                format: set.format,
                no_header: !set.has_header,
                text_column: set.text_column.map(str::to_owned),
                label_column: Some(set.label_column.to_owned()),
                positive: set.positive.map(str::to_owned),
                label_map: set.label_map.map(|file| folder.join(file)),
                drop_columns: set.drop_columns.iter().map(|c| c.to_string()).collect(),
            };
            (set.name, args)
        })
        .collect()
}

/// Reads the files the arguments name, trains and measures.
fn run(args: &ModelEvaluateArgs) -> Result<Report, Failure> {
    let files = args
        .data
        .iter()
        .map(|path| Ok((path.display().to_string(), open(path)?)))
        .collect::<Result<Vec<_>, Failure>>()?;
    let table = Table::read(files, args.format, !args.no_header).map_err(bad_input)?;
    let label_map = args
        .label_map
        .as_ref()
        .map(|path| read_label_map(&path.display().to_string(), open(path)?).map_err(bad_input))
        .transpose()?;
    let last_column = (table.headers().len() - 1).to_string();
    let selection = Selection {
        label: args.label_column.as_deref().unwrap_or(&last_column),
        text: args.text_column.as_deref(),
        drop: &args.drop_columns,
        label_map: label_map.as_ref(),
    };
    let examples = table.labelled(&selection).map_err(bad_input)?;
    warn_of_stray_values(&examples);
    let ids = |path: &PathBuf| {
        let text = std::fs::read_to_string(path).map_err(|error| unreadable(path, error))?;
        read_ids(&path.display().to_string(), &text, table.len()).map_err(bad_input)
    };
    let train = args.train_ids.as_ref().map(ids).transpose()?;
    let positive = args.positive.as_deref();
    if let Some(folds) = args.cross_validate {
        return cross_validate(args.task, &examples, train.as_deref(), folds, positive)
            .map_err(bad_input);
    }
    let test_ids = (args.test_ids.as_ref())
        .ok_or_else(|| Failure::bad_input("--test-ids or --cross-validate is needed"))?;
    let test = ids(test_ids)?;
    evaluate_examples(args.task, &examples, &test, train.as_deref(), positive)
        .map(|(report, _)| report)
        .map_err(bad_input)
}

/// Says on stderr which numeric columns hold values that are not numbers,
/// since training reads them as missing.
fn warn_of_stray_values(examples: &Examples) {
    for (position, (name, role)) in examples.columns.iter().enumerate() {
        if *role != ColumnRole::Tabular {
            continue;
        }
        let values = examples.rows.iter().map(|row| row[position].as_str());
        if let Some(stray) = stray_values(values).filter(|stray| !stray.is_empty()) {
            eprintln!(
                "warning: column `{name}` holds numbers and {} other values (the first: `{}`), \
                 read as missing",
                stray.len(),
                stray[0]
            );
        }
    }
}

fn open(path: &Path) -> Result<File, Failure> {
    File::open(path).map_err(|error| unreadable(path, error))
}

fn unreadable(path: &Path, error: std::io::Error) -> Failure {
    Failure::bad_input(format!("cannot read {}: {error}", path.display()))
}

fn bad_input(error: impl std::fmt::Display) -> Failure {
    Failure::bad_input(error.to_string())
}
