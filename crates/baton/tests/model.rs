//! `baton model evaluate` end to end: the public YouTube spam set with its
//! fixed split (the other sets take minutes without optimisation; `baton
//! model benchmark` in a release build measures them all), and bad input
//! named by file, row and column.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::TempDir;

/// The public data sets, beside the workspace; the suite fails without them.
fn shared_data() -> PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(
        data.join("youtube-spam").is_dir(),
        "the public data sets are missing: expected them in {}",
        data.display()
    );
    data
}

fn baton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["model", "evaluate"])
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A small file in `folder`.
fn fixture(folder: &TempDir, name: &str, contents: &str) -> PathBuf {
    let path = folder.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn metric(report: &serde_json::Value, name: &str) -> f64 {
    report[name]
        .as_f64()
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

#[test]
fn youtube_spam_is_caught_with_the_precision_that_protects_real_leads() {
    let folder = shared_data().join("youtube-spam");
    let path = |name: &str| folder.join(name).display().to_string();
    let files: Vec<String> = [
        "Youtube01-Psy.csv",
        "Youtube02-KatyPerry.csv",
        "Youtube03-LMFAO.csv",
        "Youtube04-Eminem.csv",
        "Youtube05-Shakira.csv",
    ]
    .iter()
    .flat_map(|file| ["--data".to_owned(), path(file)])
    .collect();
    let (test_ids, train_ids) = (path("test_ids.txt"), path("train_ids.txt"));
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend([
        "--task",
        "spam",
        "--test-ids",
        &test_ids,
        "--train-ids",
        &train_ids,
        "--text-column",
        "CONTENT",
        "--label-column",
        "CLASS",
        "--positive",
        "1",
        "--drop-columns",
        "COMMENT_ID,AUTHOR,DATE",
    ]);
    let output = baton(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["test_rows"], 392);
    assert!(metric(&report, "precision") >= 0.95, "{report}");
    assert!(metric(&report, "roc_auc") >= 0.98, "{report}");
    assert!(metric(&report, "f1") >= 0.94, "{report}");
}

/// Evaluates `data` with `ids` as its test rows, written beside it.
fn evaluate_fixture(data: &Path, ids: &str, extra: &[&str]) -> Output {
    let ids_path = data.with_file_name("ids.txt");
    std::fs::write(&ids_path, ids).unwrap();
    let ids = ids_path;
    let data = data.display().to_string();
    let ids = ids.display().to_string();
    let mut args = vec!["--task", "spam", "--data", &data, "--test-ids", &ids];
    args.extend(extra);
    baton(&args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_missing_column_is_named_with_the_columns_there_are() {
    let files = TempDir::new();
    let data = fixture(&files, "leads.csv", "message,label\nhello,0\nwin,1\n");
    let output = evaluate_fixture(&data, "0\n", &["--label-column", "Converted"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--label-column: no column `Converted` (columns: message, label)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_row_id_out_of_range_is_named_with_its_line() {
    let files = TempDir::new();
    let data = fixture(&files, "leads.csv", "message,label\nhello,0\nwin,1\n");
    let output = evaluate_fixture(&data, "0\n7\n", &["--text-column", "message"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("line 2: row id 7 is out of range: the data has 2 rows"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_ragged_row_is_named_by_file_and_data_row() {
    let files = TempDir::new();
    let data = fixture(
        &files,
        "ragged.csv",
        "message,label\n\"hello,\nthere\",0\nwin,1,extra\n",
    );
    let output = evaluate_fixture(&data, "0\n", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("ragged.csv, data row 2 (row id 1): 3 fields where the first row has 2"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn cross_validation_needs_no_test_split_and_excludes_one() {
    let mut csv = String::from("message,label\n");
    for i in 0..40 {
        match i % 2 {
            0 => csv.push_str(&format!("win a free prize now {i},1\n")),
            _ => csv.push_str(&format!("see you at the meeting {i},0\n")),
        }
    }
    let files = TempDir::new();
    let data = fixture(&files, "messages.csv", &csv).display().to_string();
    let output = baton(&[
        "--task",
        "spam",
        "--data",
        &data,
        "--text-column",
        "message",
        "--cross-validate",
        "4",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["test_rows"], 40);
    assert_eq!(report["folds"], 4);
    assert_eq!(metric(&report, "accuracy"), 1.0, "{report}");

    let both = evaluate_fixture(Path::new(&data), "0\n", &["--cross-validate", "4"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );

    let one_fold = baton(&["--task", "spam", "--data", &data, "--cross-validate", "1"]);
    assert_eq!(one_fold.status.code(), Some(2));
    assert!(
        stderr(&one_fold).contains("`1` is not a number of folds from 2 to 20"),
        "{}",
        stderr(&one_fold)
    );

    let neither = baton(&["--task", "spam", "--data", &data]);
    assert_eq!(neither.status.code(), Some(2));
    assert!(
        stderr(&neither).contains("--test-ids"),
        "{}",
        stderr(&neither)
    );
}

#[test]
fn a_numeric_column_with_a_stray_word_is_warned_of_and_kept_numeric() {
    let files = TempDir::new();
    let mut rows = String::from("visits,label\n");
    for i in 0..40 {
        rows.push_str(&format!("{i},{}\n", usize::from(i >= 20)));
    }
    rows.push_str("lots,1\n");
    let data = fixture(&files, "visits.csv", &rows);
    let ids = fixture(&files, "ids.txt", "0\n39\n");
    let (data, ids) = (data.display().to_string(), ids.display().to_string());
    let output = baton(&[
        "--task",
        "conversion",
        "--data",
        &data,
        "--test-ids",
        &ids,
        "--label-column",
        "label",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "warning: column `visits` holds numbers and 1 other values (the first: `lots`), \
             read as missing"
        ),
        "{}",
        stderr(&output)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(metric(&report, "accuracy"), 1.0, "{report}");
}
