//! The public data sets the models are measured on (see each folder's
//! README in the shared data folder), and how each is read: YouTube comments
//! in five files read in order; SMS as headerless TSV; Bitext intents mapped
//! to the four triage labels; X Education leads without their ids and the
//! columns the sales team fills in after contact. The command line's
//! benchmark and the speed benchmarks read the same description.

use super::dataset::Format;
use super::train::Task;

/// One public data set: where its files are and which columns make the
/// examples. Every folder also holds `train_ids.txt` and `test_ids.txt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicDataSet {
    /// The folder's name, also the data set's name in reports.
    pub name: &'static str,
    /// What is learned from it.
    pub task: Task,
    /// The data files in the folder, read in order as one table.
    pub files: &'static [&'static str],
    /// How the files are laid out.
    pub format: Format,
    /// Whether the files start with a header row.
    pub has_header: bool,
    /// The free-text column, if any.
    pub text_column: Option<&'static str>,
    /// The label column.
    pub label_column: &'static str,
    /// The positive label of a binary task.
    pub positive: Option<&'static str>,
    /// A label map file in the folder.
    pub label_map: Option<&'static str>,
    /// Columns left out of the features.
    pub drop_columns: &'static [&'static str],
}

/// The four public data sets with fixed splits.
pub const PUBLIC_DATA_SETS: [PublicDataSet; 4] = [
    PublicDataSet {
        name: "youtube-spam",
        task: Task::Spam,
        files: &[
            "Youtube01-Psy.csv",
            "Youtube02-KatyPerry.csv",
            "Youtube03-LMFAO.csv",
            "Youtube04-Eminem.csv",
            "Youtube05-Shakira.csv",
        ],
        format: Format::Csv,
        has_header: true,
        text_column: Some("CONTENT"),
        label_column: "CLASS",
        positive: Some("1"),
        label_map: None,
        drop_columns: &["COMMENT_ID", "AUTHOR", "DATE"],
    },
    PublicDataSet {
        name: "sms-spam",
        task: Task::Spam,
        files: &["SMSSpamCollection"],
        format: Format::Tsv,
        has_header: false,
        text_column: Some("1"),
        label_column: "0",
        positive: Some("spam"),
        label_map: None,
        drop_columns: &[],
    },
    PublicDataSet {
        name: "bitext-intent",
        task: Task::Intent,
        files: &["Bitext_Sample_Customer_Support_Training_Dataset.csv"],
        format: Format::Csv,
        has_header: true,
        text_column: Some("instruction"),
        label_column: "intent",
        positive: None,
        label_map: Some("triage_mapping.csv"),
        drop_columns: &[
            "context",
            "role",
            "entity_type",
            "entity_value",
            "start_offset",
            "end_offset",
            "category",
            "tags",
            "response",
        ],
    },
    PublicDataSet {
        name: "leads-xeducation",
        task: Task::Conversion,
        files: &["Leads.csv"],
        format: Format::Csv,
        has_header: true,
        text_column: None,
        label_column: "Converted",
        positive: Some("1"),
        label_map: None,
        drop_columns: &[
            "Prospect ID",
            "Lead Number",
            "Tags",
            "Lead Quality",
            "Lead Profile",
            "Asymmetrique Activity Index",
            "Asymmetrique Profile Index",
            "Asymmetrique Activity Score",
            "Asymmetrique Profile Score",
        ],
    },
];
