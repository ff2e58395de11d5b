//! Labelled tables for training and evaluation, read from companies' own
//! exports: CSV (RFC 4180 quoting, embedded newlines, a byte-order mark) or
//! TSV (tab-separated without quoting, the IANA format, so a `"` inside a
//! message is just a character), with or without a header row, one file or
//! several read as one. Everything wrong with the input is reported with the
//! file, the data row (1-based, header excluded) and the column.

use super::features::ColumnRole;
use crate::import::csv::bad_quoting;
use crate::import::quotes::{QuoteCheck, line_of};
use csv::{ByteRecord, ReaderBuilder};
use std::collections::{HashMap, HashSet};
use std::io::Read;

/// How the files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, quoted as RFC 4180.
    Csv,
    /// Tab-separated, no quoting.
    Tsv,
}

/// What is wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatasetError {
    /// The file could not be read or parsed.
    #[error("{file}: {message}")]
    Unreadable { file: String, message: String },
    /// A row has another number of fields than the first row.
    #[error(
        "{file}, data row {row} (row id {id}): {found} fields where the first row has {expected}"
    )]
    Ragged {
        file: String,
        row: usize,
        id: usize,
        found: usize,
        expected: usize,
    },
    /// Files read as one do not share their header.
    #[error("{file}: its header differs from that of {first}, the first file")]
    HeaderMismatch { file: String, first: String },
    /// No data rows at all.
    #[error("no data rows in {files}")]
    Empty { files: String },
    /// A column asked for is not in the data.
    #[error("{option}: no column `{column}` (columns: {available})")]
    NoColumn {
        option: String,
        column: String,
        available: String,
    },
    /// A row has no label.
    #[error("{file}, data row {row} (row id {id}): no value in the label column `{column}`")]
    MissingLabel {
        file: String,
        row: usize,
        id: usize,
        column: String,
    },
    /// A label is not in the label map.
    #[error("{file}, data row {row} (row id {id}): label `{label}` is not in the label map")]
    Unmapped {
        file: String,
        row: usize,
        id: usize,
        label: String,
    },
    /// The label column is also named as the text or a dropped column.
    #[error("{option}: `{column}` is the label column")]
    LabelColumnReused {
        option: &'static str,
        column: String,
    },
    /// The text column is also named as a dropped column.
    #[error("--drop-columns: `{column}` is the text column")]
    TextColumnDropped { column: String },
    /// Two columns of the header share a name, so a name cannot say which.
    #[error(
        "{file}: columns {first} and {second} are both named `{name}`: rename one, or read the \
         file with --no-header and give columns by position"
    )]
    DuplicateHeader {
        file: String,
        name: String,
        first: usize,
        second: usize,
    },
    /// A field is not UTF-8 text.
    #[error("{file}, {row}: the text is not UTF-8 ({found}); save the file as UTF-8")]
    NotUtf8 {
        file: String,
        /// `header` or `data row N (row id M)`.
        row: String,
        found: String,
    },
    /// A label map gives one label two meanings.
    #[error("{file}, line {line}: `{label}` is mapped to `{first}` above and to `{second}` here")]
    Remapped {
        file: String,
        line: usize,
        label: String,
        first: String,
        second: String,
    },
    /// A line of an ids file is not a row id.
    #[error("{file}, line {line}: `{text}` is not a row id (a whole number from 0)")]
    BadId {
        file: String,
        line: usize,
        text: String,
    },
    /// An id names no row.
    #[error("{file}, line {line}: row id {id} is out of range: the data has {rows} rows (ids 0 to {last})", last = rows.saturating_sub(1))]
    IdOutOfRange {
        file: String,
        line: usize,
        id: usize,
        rows: usize,
    },
    /// An id is listed twice.
    #[error("{file}, line {line}: row id {id} is listed twice")]
    DuplicateId {
        file: String,
        line: usize,
        id: usize,
    },
    /// A line of the label map has fewer than two columns, or an empty one.
    #[error("{file}, line {line}: a label map line needs a key and a value")]
    BadMapLine { file: String, line: usize },
    /// A label map maps nothing.
    #[error("{file}: the label map has no lines below its header")]
    EmptyMap { file: String },
}

/// A table read from one or more files: the header (column positions as
/// names when the files have none) and the rows, each knowing where it came
/// from.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    origins: Vec<(usize, usize)>,
    files: Vec<String>,
}

impl Table {
    /// Reads the files in order as one table. Each is `(name, reader)`; the
    /// name is only used in messages. With a header, every file must have
    /// the same one.
    pub fn read<R: Read>(
        files: Vec<(String, R)>,
        format: Format,
        has_header: bool,
    ) -> Result<Table, DatasetError> {
        let mut table = Table {
            headers: Vec::new(),
            rows: Vec::new(),
            origins: Vec::new(),
            files: Vec::new(),
        };
        for (file_index, (name, reader)) in files.into_iter().enumerate() {
            table.files.push(name.clone());
            let mut builder = ReaderBuilder::new();
            builder.has_headers(false).flexible(true);
            if format == Format::Tsv {
                builder.delimiter(b'\t').quoting(false);
            }
            let mut records = builder.from_reader(QuoteCheck::new(reader, b','));
            let mut record = ByteRecord::new();
            let mut data_row = 0;
            let mut header_pending = has_header;
            loop {
                match records.read_byte_record(&mut record) {
                    Ok(false) => break,
                    // Quotes mean nothing in tab-separated files.
                    Ok(true) if format == Format::Csv => {
                        let start = record.position().map_or(1, |p| line_of(&records, p));
                        if let Some(message) = bad_quoting(&records, start) {
                            return Err(DatasetError::Unreadable {
                                file: name,
                                message,
                            });
                        }
                    }
                    Ok(true) => {}
                    Err(error) => {
                        return Err(DatasetError::Unreadable {
                            file: name,
                            message: format!("after data row {data_row}: {error}"),
                        });
                    }
                }
                let mut fields = Vec::with_capacity(record.len());
                for field in &record {
                    match std::str::from_utf8(field) {
                        Ok(text) => fields.push(text.to_owned()),
                        Err(error) => {
                            let row = match header_pending {
                                true => "header".to_owned(),
                                false => format!(
                                    "data row {} (row id {})",
                                    data_row + 1,
                                    table.rows.len()
                                ),
                            };
                            return Err(DatasetError::NotUtf8 {
                                file: name,
                                row,
                                found: not_utf8(field, error.valid_up_to()),
                            });
                        }
                    }
                }
                if let Some(first) = fields.first_mut().filter(|_| data_row == 0) {
                    *first = first.trim_start_matches('\u{feff}').to_owned();
                }
                if header_pending {
                    header_pending = false;
                    if file_index == 0 {
                        if let Some((first, second)) = repeated_name(&fields) {
                            return Err(DatasetError::DuplicateHeader {
                                file: name,
                                name: fields[first].clone(),
                                first,
                                second,
                            });
                        }
                        table.headers = fields;
                    } else if fields != table.headers {
                        return Err(DatasetError::HeaderMismatch {
                            file: name,
                            first: table.files[0].clone(),
                        });
                    }
                    continue;
                }
                data_row += 1;
                // A blank line (one empty field) is no row.
                if fields.len() == 1 && fields[0].is_empty() {
                    continue;
                }
                let expected = match (table.headers.len(), table.rows.first()) {
                    (0, Some(first)) => first.len(),
                    (0, None) => fields.len(),
                    (width, _) => width,
                };
                if fields.len() != expected {
                    return Err(DatasetError::Ragged {
                        file: name,
                        row: data_row,
                        id: table.rows.len(),
                        found: fields.len(),
                        expected,
                    });
                }
                table.rows.push(fields);
                table.origins.push((file_index, data_row));
            }
            if header_pending {
                return Err(DatasetError::Unreadable {
                    file: name,
                    message: "the file is empty: it has no header row".to_owned(),
                });
            }
        }
        if table.rows.is_empty() {
            return Err(DatasetError::Empty {
                files: table.files.join(", "),
            });
        }
        if table.headers.is_empty() {
            table.headers = (0..table.rows[0].len()).map(|i| i.to_string()).collect();
        }
        Ok(table)
    }

    /// The column names (positions `0`, `1`, … for files without a header).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// How many data rows, all files together.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no data rows (never, once read).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The position of a column given by name, or else by 0-based index;
    /// `option` names what asked for it, for the message.
    pub fn column(&self, option: &str, reference: &str) -> Result<usize, DatasetError> {
        self.headers
            .iter()
            .position(|header| header == reference)
            .or_else(|| {
                self.headers
                    .iter()
                    .position(|header| header.trim().eq_ignore_ascii_case(reference.trim()))
            })
            .or_else(|| {
                reference
                    .parse::<usize>()
                    .ok()
                    .filter(|index| *index < self.headers.len())
            })
            .ok_or_else(|| DatasetError::NoColumn {
                option: option.to_owned(),
                column: reference.to_owned(),
                available: self.headers.join(", "),
            })
    }

    /// Where row `row` came from, for messages: the file and the 1-based
    /// data row in it.
    fn origin(&self, row: usize) -> (String, usize) {
        let (file, data_row) = self.origins[row];
        (self.files[file].clone(), data_row)
    }

    /// The labelled examples: the label column (mapped through `label_map`
    /// when given), the text column if any, and every other column not
    /// dropped as a tabular feature.
    pub fn labelled(&self, selection: &Selection<'_>) -> Result<Examples, DatasetError> {
        let label = self.column("--label-column", selection.label)?;
        let text = selection
            .text
            .map(|text| self.column("--text-column", text))
            .transpose()?;
        let dropped = selection
            .drop
            .iter()
            .map(|column| self.column("--drop-columns", column))
            .collect::<Result<HashSet<usize>, _>>()?;
        let reused = match (text == Some(label), dropped.contains(&label)) {
            (true, _) => Some("--text-column"),
            (_, true) => Some("--drop-columns"),
            _ => None,
        };
        if let Some(option) = reused {
            return Err(DatasetError::LabelColumnReused {
                option,
                column: self.headers[label].clone(),
            });
        }
        if let Some(text) = text.filter(|text| dropped.contains(text)) {
            return Err(DatasetError::TextColumnDropped {
                column: self.headers[text].clone(),
            });
        }
        let features: Vec<usize> = (0..self.headers.len())
            .filter(|column| *column != label && !dropped.contains(column))
            .collect();
        let columns = features
            .iter()
            .map(|column| {
                let role = match Some(*column) == text {
                    true => ColumnRole::Text,
                    false => ColumnRole::Tabular,
                };
                (self.headers[*column].clone(), role)
            })
            .collect();
        let mut labels = Vec::with_capacity(self.rows.len());
        for (position, row) in self.rows.iter().enumerate() {
            let value = row[label].trim();
            if value.is_empty() {
                let (file, row) = self.origin(position);
                return Err(DatasetError::MissingLabel {
                    file,
                    row,
                    id: position,
                    column: self.headers[label].clone(),
                });
            }
            let value = match selection.label_map {
                None => value,
                Some(map) => map.get(value).map(String::as_str).ok_or_else(|| {
                    let (file, row) = self.origin(position);
                    DatasetError::Unmapped {
                        file,
                        row,
                        id: position,
                        label: value.to_owned(),
                    }
                })?,
            };
            labels.push(value.to_owned());
        }
        let rows = self
            .rows
            .iter()
            .map(|row| features.iter().map(|column| row[*column].clone()).collect())
            .collect();
        Ok(Examples {
            columns,
            rows,
            labels,
        })
    }
}

/// Which columns of a table make the examples.
#[derive(Debug, Clone, Copy)]
pub struct Selection<'a> {
    /// The label column, by name or 0-based index.
    pub label: &'a str,
    /// The free-text column, if any.
    pub text: Option<&'a str>,
    /// Columns left out of the features.
    pub drop: &'a [String],
    /// Labels replaced by what this map gives for them.
    pub label_map: Option<&'a HashMap<String, String>>,
}

/// Labelled examples: the feature columns with their roles, one row of
/// values per example, and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Examples {
    /// The feature columns, in the order of each row's values.
    pub columns: Vec<(String, ColumnRole)>,
    /// One value per feature column for each example.
    pub rows: Vec<Vec<String>>,
    /// Each example's label.
    pub labels: Vec<String>,
}

/// Reads a list of row ids, one per line (blank lines ignored), each below
/// `rows` and listed once.
pub fn read_ids(file: &str, text: &str, rows: usize) -> Result<Vec<usize>, DatasetError> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        // Editors on Windows may start the file with a byte-order mark.
        let trimmed = line.trim_start_matches('\u{feff}').trim();
        if trimmed.is_empty() {
            continue;
        }
        let id: usize = trimmed.parse().map_err(|_| DatasetError::BadId {
            file: file.to_owned(),
            line: line_number,
            text: trimmed.to_owned(),
        })?;
        if id >= rows {
            return Err(DatasetError::IdOutOfRange {
                file: file.to_owned(),
                line: line_number,
                id,
                rows,
            });
        }
        if !seen.insert(id) {
            return Err(DatasetError::DuplicateId {
                file: file.to_owned(),
                line: line_number,
                id,
            });
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Reads a label map: a CSV file with a header row, then one mapping per
/// line from the first column (the label as in the data) to the last (the
/// label to learn), so a file such as `intent,category,triage_label` maps
/// an intent to its triage label.
pub fn read_label_map(
    file: &str,
    reader: impl Read,
) -> Result<HashMap<String, String>, DatasetError> {
    let mut records = ReaderBuilder::new()
        .flexible(true)
        .from_reader(QuoteCheck::new(reader, b','));
    let unreadable = |message: String| DatasetError::Unreadable {
        file: file.to_owned(),
        message,
    };
    records
        .headers()
        .map_err(|error| unreadable(error.to_string()))?;
    let mut map: HashMap<String, String> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match records.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => return Err(unreadable(error.to_string())),
        }
        let start = record.position().map_or(1, |p| line_of(&records, p));
        if let Some(message) = bad_quoting(&records, start) {
            return Err(unreadable(message));
        }
        let line = start as usize;
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        match (record.get(0), record.iter().next_back()) {
            (Some(key), Some(value))
                if record.len() >= 2 && !key.trim().is_empty() && !value.trim().is_empty() =>
            {
                let (key, value) = (key.trim(), value.trim());
                match map.get(key) {
                    Some(first) if first != value => {
                        return Err(DatasetError::Remapped {
                            file: file.to_owned(),
                            line,
                            label: key.to_owned(),
                            first: first.clone(),
                            second: value.to_owned(),
                        });
                    }
                    _ => {
                        map.insert(key.to_owned(), value.to_owned());
                    }
                }
            }
            _ => {
                return Err(DatasetError::BadMapLine {
                    file: file.to_owned(),
                    line,
                });
            }
        }
    }
    if map.is_empty() {
        return Err(DatasetError::EmptyMap {
            file: file.to_owned(),
        });
    }
    Ok(map)
}

/// The first two positions of a name given twice, if any.
fn repeated_name(names: &[String]) -> Option<(usize, usize)> {
    names.iter().enumerate().find_map(|(second, name)| {
        names[..second]
            .iter()
            .position(|earlier| earlier == name)
            .map(|first| (first, second))
    })
}

/// What a field that is not UTF-8 holds, for the message: a UTF-16 file is
/// named as such, other text by its first bytes that do not read.
fn not_utf8(field: &[u8], valid_up_to: usize) -> String {
    if field.starts_with(&[0xff, 0xfe]) || field.starts_with(&[0xfe, 0xff]) {
        return "it is UTF-16".to_owned();
    }
    let bad: Vec<String> = field[valid_up_to..]
        .iter()
        .take(2)
        .map(|byte| format!("0x{byte:02X}"))
        .collect();
    let before = String::from_utf8_lossy(&field[..valid_up_to]);
    let tail_start = before.char_indices().rev().nth(19).map_or(0, |(at, _)| at);
    format!("byte {} after `{}`", bad.join(" "), &before[tail_start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        files: &[(&str, &str)],
        format: Format,
        has_header: bool,
    ) -> Result<Table, DatasetError> {
        let files = files
            .iter()
            .map(|(name, text)| (name.to_string(), text.as_bytes()))
            .collect();
        Table::read(files, format, has_header)
    }

    #[test]
    fn quoted_fields_with_newlines_and_several_files_read_as_one() {
        let table = read(
            &[
                (
                    "a.csv",
                    "\u{feff}text,label\r\n\"hi, \"\"you\"\"\nthere\",1\r\n",
                ),
                ("b.csv", "text,label\nbye,0\n"),
            ],
            Format::Csv,
            true,
        )
        .unwrap();
        assert_eq!(table.headers(), ["text", "label"]);
        assert_eq!(table.rows[0][0], "hi, \"you\"\nthere");
        assert_eq!(table.len(), 2);
        assert_eq!(table.origin(1), ("b.csv".to_owned(), 1));
    }

    #[test]
    fn tsv_has_no_quoting_and_columns_go_by_index_without_header() {
        let table = read(
            &[("sms", "ham\t\"quoted\" text\nspam\twin")],
            Format::Tsv,
            false,
        )
        .unwrap();
        assert_eq!(table.rows[0][1], "\"quoted\" text");
        assert_eq!(table.column("--text-column", "1"), Ok(1));
    }

    #[test]
    fn a_quote_never_closed_fails_the_file_with_its_line() {
        let error = read(
            &[("x.csv", "text,label\n\"open,1\nnext,0\n")],
            Format::Csv,
            true,
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("x.csv: a quote opened on line 2 is never closed"),
            "{error}"
        );
    }

    #[test]
    fn a_ragged_row_is_named_by_file_and_data_row() {
        let error = read(&[("x.csv", "a,b\n1,2\n3\n")], Format::Csv, true).unwrap_err();
        assert_eq!(
            error.to_string(),
            "x.csv, data row 2 (row id 1): 1 fields where the first row has 2"
        );
    }

    #[test]
    fn a_missing_column_lists_the_columns_there_are() {
        let table = read(&[("x.csv", "a,b\n1,2\n")], Format::Csv, true).unwrap();
        let error = table.column("--label-column", "Converted").unwrap_err();
        assert_eq!(
            error.to_string(),
            "--label-column: no column `Converted` (columns: a, b)"
        );
    }

    #[test]
    fn labels_are_mapped_and_must_be_present() {
        let table = read(
            &[("x.csv", "text,intent,n\nhi,buy,1\nyo,,2\n")],
            Format::Csv,
            true,
        )
        .unwrap();
        let map = read_label_map("m.csv", "intent,triage\nbuy,new_business\n".as_bytes()).unwrap();
        let drop = [];
        let selection = Selection {
            label: "intent",
            text: Some("text"),
            drop: &drop,
            label_map: Some(&map),
        };
        let error = table.labelled(&selection).unwrap_err();
        assert_eq!(
            error.to_string(),
            "x.csv, data row 2 (row id 1): no value in the label column `intent`"
        );
        let table = read(&[("x.csv", "text,intent,n\nhi,buy,1\n")], Format::Csv, true).unwrap();
        let examples = table.labelled(&selection).unwrap();
        assert_eq!(examples.labels, ["new_business"]);
        let as_text = Selection {
            text: Some("intent"),
            ..selection
        };
        assert_eq!(
            table.labelled(&as_text).unwrap_err().to_string(),
            "--text-column: `intent` is the label column"
        );
        let drop_label = ["INTENT".to_owned()];
        let dropped = Selection {
            drop: &drop_label,
            ..selection
        };
        assert_eq!(
            table.labelled(&dropped).unwrap_err().to_string(),
            "--drop-columns: `intent` is the label column"
        );
        let twice = read_label_map(
            "m.csv",
            "intent,triage\nbuy,new_business\nbuy,support\n".as_bytes(),
        );
        assert_eq!(
            twice.unwrap_err().to_string(),
            "m.csv, line 3: `buy` is mapped to `new_business` above and to `support` here"
        );
        assert_eq!(
            examples.columns,
            [
                ("text".to_owned(), ColumnRole::Text),
                ("n".to_owned(), ColumnRole::Tabular)
            ]
        );
    }

    #[test]
    fn a_text_column_cannot_also_be_dropped() {
        let table = read(&[("x.csv", "text,label\nhi,1\n")], Format::Csv, true).unwrap();
        let drop = ["text".to_owned()];
        let selection = Selection {
            label: "label",
            text: Some("text"),
            drop: &drop,
            label_map: None,
        };
        assert_eq!(
            table.labelled(&selection).unwrap_err().to_string(),
            "--drop-columns: `text` is the text column"
        );
    }

    #[test]
    fn a_name_two_columns_share_is_refused_rather_than_read_as_the_first() {
        let error = read(&[("x.csv", "text,text,label\n1,hi,0\n")], Format::Csv, true);
        assert_eq!(
            error.unwrap_err().to_string(),
            "x.csv: columns 0 and 1 are both named `text`: rename one, or read the file with \
             --no-header and give columns by position"
        );
        assert!(read(&[("x.csv", "1,1,0\n")], Format::Csv, false).is_ok());
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_naming_where() {
        let bytes = |name: &str, data: &'static [u8]| {
            Table::read(vec![(name.to_owned(), data)], Format::Csv, true)
        };
        let latin1 = bytes("l.csv", b"text,label\nfine,0\ncaf\xe9 au lait,1\n");
        assert_eq!(
            latin1.unwrap_err().to_string(),
            "l.csv, data row 2 (row id 1): the text is not UTF-8 (byte 0xE9 0x20 after `caf`); \
             save the file as UTF-8"
        );
        let utf16 = bytes("w.csv", b"\xff\xfet\x00,\x00l\x00\n\x00");
        assert_eq!(
            utf16.unwrap_err().to_string(),
            "w.csv, header: the text is not UTF-8 (it is UTF-16); save the file as UTF-8"
        );
    }

    #[test]
    fn an_empty_file_among_several_has_no_header_to_share() {
        let error = read(
            &[("a.csv", "text,label\nhi,1\n"), ("b.csv", "")],
            Format::Csv,
            true,
        );
        assert_eq!(
            error.unwrap_err().to_string(),
            "b.csv: the file is empty: it has no header row"
        );
    }

    #[test]
    fn a_label_map_line_needs_both_labels_and_the_map_a_line() {
        let empty_value = read_label_map("m.csv", "intent,triage\nbuy,\n".as_bytes());
        assert_eq!(
            empty_value.unwrap_err().to_string(),
            "m.csv, line 2: a label map line needs a key and a value"
        );
        let unclosed = read_label_map("m.csv", "intent,triage\n\"buy,new_business\n".as_bytes());
        assert!(
            unclosed
                .unwrap_err()
                .to_string()
                .starts_with("m.csv: a quote opened on line 2 is never closed"),
        );
        let header_only = read_label_map("m.csv", "intent,triage\n".as_bytes());
        assert_eq!(
            header_only.unwrap_err().to_string(),
            "m.csv: the label map has no lines below its header"
        );
    }

    #[test]
    fn ids_must_be_in_range_and_listed_once() {
        assert_eq!(read_ids("ids", "0\n2\n\n1\n", 3), Ok(vec![0, 2, 1]));
        assert_eq!(read_ids("ids", "\u{feff}2\r\n0\r\n", 3), Ok(vec![2, 0]));
        assert_eq!(
            read_ids("ids", "0\n3\n", 3).unwrap_err().to_string(),
            "ids, line 2: row id 3 is out of range: the data has 3 rows (ids 0 to 2)"
        );
        assert!(matches!(
            read_ids("ids", "1\n1\n", 3),
            Err(DatasetError::DuplicateId { line: 2, .. })
        ));
        assert!(matches!(
            read_ids("ids", "x\n", 3),
            Err(DatasetError::BadId { line: 1, .. })
        ));
    }
}
