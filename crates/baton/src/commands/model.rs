//! `baton model evaluate` and `baton model benchmark`: train on labelled
//! files and print metrics on held-out rows, as JSON on stdout.

use crate::cli::ModelEvaluateArgs;
use crate::failure::Failure;
use baton_core::learn::dataset::{Format, Selection, Table, read_ids, read_label_map};
use baton_core::learn::evaluate::{Report, evaluate as evaluate_examples};
use baton_core::learn::train::Task;
use std::fs::File;
use std::path::{Path, PathBuf};

pub fn evaluate(args: &ModelEvaluateArgs) -> Result<(), Failure> {
    let report = run(args)?;
    println!(
        "{}",
        serde_json::to_string(&report).expect("a report serialises")
    );
    Ok(())
}

pub fn benchmark(data_dir: &Path) -> Result<(), Failure> {
    for (dataset, args) in benchmarks(data_dir) {
        let report = run(&args).map_err(|failure| match failure {
            Failure::BadInput(message) => Failure::bad_input(format!(
                "{dataset}: {message} (is --data-dir the folder of the public data sets?)"
            )),
            other => other,
        })?;
        // The data set and the task lead the report's own fields.
        let report = serde_json::to_string(&report).expect("a report serialises");
        let fields = report.strip_prefix('{').expect("a report is a JSON object");
        println!(
            "{{\"dataset\":\"{dataset}\",\"task\":\"{}\",{fields}",
            args.task.name()
        );
    }
    Ok(())
}

/// The public data sets and how each is read (see each folder's README):
/// YouTube comments in five files read in order; SMS as headerless TSV;
/// Bitext intents mapped to the four triage labels; X Education leads
/// without their ids and the columns the sales team fills in after contact.
fn benchmarks(data_dir: &Path) -> Vec<(&'static str, ModelEvaluateArgs)> {
    let set = |folder: &str, task, data: &[&str]| ModelEvaluateArgs {
        task,
        data: data
            .iter()
            .map(|file| data_dir.join(folder).join(file))
            .collect(),
        test_ids: data_dir.join(folder).join("test_ids.txt"),
        train_ids: Some(data_dir.join(folder).join("train_ids.txt")),
        format: Format::Csv,
        no_header: false,
        text_column: None,
        label_column: None,
        positive: None,
        label_map: None,
        drop_columns: Vec::new(),
    };
    let names = |names: &[&str]| names.iter().map(|name| name.to_string()).collect();
    vec![
        (
            "youtube-spam",
            ModelEvaluateArgs {
                text_column: Some("CONTENT".into()),
                label_column: Some("CLASS".into()),
                positive: Some("1".into()),
                drop_columns: names(&["COMMENT_ID", "AUTHOR", "DATE"]),
                ..set(
                    "youtube-spam",
                    Task::Spam,
                    &[
                        "Youtube01-Psy.csv",
                        "Youtube02-KatyPerry.csv",
                        "Youtube03-LMFAO.csv",
                        "Youtube04-Eminem.csv",
                        "Youtube05-Shakira.csv",
                    ],
                )
            },
        ),
        (
            "sms-spam",
            ModelEvaluateArgs {
                format: Format::Tsv,
                no_header: true,
                text_column: Some("1".into()),
                label_column: Some("0".into()),
                positive: Some("spam".into()),
                ..set("sms-spam", Task::Spam, &["SMSSpamCollection"])
            },
        ),
        (
            "bitext-intent",
            ModelEvaluateArgs {
                text_column: Some("instruction".into()),
                label_column: Some("intent".into()),
                label_map: Some(data_dir.join("bitext-intent/triage_mapping.csv")),
                drop_columns: names(&[
                    "context",
                    "role",
                    "entity_type",
                    "entity_value",
                    "start_offset",
                    "end_offset",
                    "category",
                    "tags",
                    "response",
                ]),
                ..set(
                    "bitext-intent",
                    Task::Intent,
                    &["Bitext_Sample_Customer_Support_Training_Dataset.csv"],
                )
            },
        ),
        (
            "leads-xeducation",
            ModelEvaluateArgs {
                label_column: Some("Converted".into()),
                positive: Some("1".into()),
                drop_columns: names(&[
                    "Prospect ID",
                    "Lead Number",
                    "Tags",
                    "Lead Quality",
                    "Lead Profile",
                    "Asymmetrique Activity Index",
                    "Asymmetrique Profile Index",
                    "Asymmetrique Activity Score",
                    "Asymmetrique Profile Score",
                ]),
                ..set("leads-xeducation", Task::Conversion, &["Leads.csv"])
            },
        ),
    ]
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
    let ids = |path: &PathBuf| {
        let text = std::fs::read_to_string(path).map_err(|error| unreadable(path, error))?;
        read_ids(&path.display().to_string(), &text, table.len()).map_err(bad_input)
    };
    let test = ids(&args.test_ids)?;
    let train = args.train_ids.as_ref().map(ids).transpose()?;
    let (report, _) = evaluate_examples(
        args.task,
        &examples,
        &test,
        train.as_deref(),
        args.positive.as_deref(),
    )
    .map_err(bad_input)?;
    Ok(report)
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
