//! Inquiries from CSV exports of other systems: quoted fields, embedded
//! newlines, missing values, a byte-order mark, `,` or `;` as delimiter.
//!
//! A bad row is reported on its own and reading goes on; only a file whose
//! header cannot be used fails as a whole.

use super::quotes::{QuoteCheck, Resumable, line_of, resume_after_unclosed_quote};
use crate::inquiry::{Email, InquiryInput, Phone};
use csv::{ByteRecord, ReaderBuilder};
use std::collections::HashMap;
use std::io::Read;

/// The pseudo-target of a mapping pair whose column is left out entirely.
const IGNORE: &str = "ignore";

/// An inquiry field a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Name,
    Email,
    Phone,
    Company,
    Title,
    Message,
    Source,
    Campaign,
}

impl Target {
    const ALL: [Target; 8] = [
        Target::Name,
        Target::Email,
        Target::Phone,
        Target::Company,
        Target::Title,
        Target::Message,
        Target::Source,
        Target::Campaign,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Target::Name => "name",
            Target::Email => "email",
            Target::Phone => "phone",
            Target::Company => "company",
            Target::Title => "title",
            Target::Message => "message",
            Target::Source => "source",
            Target::Campaign => "campaign",
        }
    }

    /// The target a header name stands for, by its name or a common alias,
    /// ignoring case and treating `_`, `-` and spaces alike.
    fn from_header(header: &str) -> Option<Target> {
        let words: Vec<String> = header
            .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase)
            .collect();
        let target = match words.join(" ").as_str() {
            "name" | "full name" => Target::Name,
            "email" | "e mail" | "email address" | "e mail address" => Target::Email,
            "phone" | "phone number" | "telephone" => Target::Phone,
            "company" | "company name" | "organisation" | "organization" => Target::Company,
            "title" | "job title" => Target::Title,
            "message" | "body" | "comments" => Target::Message,
            "source" => Target::Source,
            "campaign" => Target::Campaign,
            _ => return None,
        };
        Some(target)
    }

    fn field_of(self, input: &mut InquiryInput) -> &mut Option<String> {
        match self {
            Target::Name => &mut input.name,
            Target::Email => &mut input.email,
            Target::Phone => &mut input.phone,
            Target::Company => &mut input.company,
            Target::Title => &mut input.title,
            Target::Message => &mut input.message,
            Target::Source => &mut input.source,
            Target::Campaign => &mut input.campaign,
        }
    }
}

/// A problem that stops a whole CSV import: the mapping or the header.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("`{0}` is not a column mapping: expected target=Column header, e.g. email=E-mail")]
    MalformedPair(String),
    #[error(
        "unknown mapping target `{0}`: expected one of name, email, phone, company, title, \
         message, source, campaign or ignore"
    )]
    UnknownTarget(String),
    #[error("{target} is mapped twice: to `{first}` and to `{second}`")]
    TargetMappedTwice {
        target: &'static str,
        first: String,
        second: String,
    },
    #[error("column `{column}` is given twice: for {first} and for {second}")]
    ColumnMappedTwice {
        column: String,
        first: &'static str,
        second: &'static str,
    },
    #[error("the file is empty: expected a header row with column names")]
    EmptyFile,
    #[error("the header row has no column names")]
    EmptyHeader,
    #[error("header column {column} is not valid UTF-8: save the file as UTF-8")]
    HeaderNotUtf8 { column: usize },
    #[error("the header has column `{column}` twice (columns {first} and {second})")]
    DuplicateColumn {
        column: String,
        first: usize,
        second: usize,
    },
    #[error(
        "column `{column}` (from {pair}) is not in the header; the header has: {}",
        quoted_list(header)
    )]
    MissingColumn {
        column: String,
        pair: String,
        header: Vec<String>,
    },
    #[error(
        "the header row is one column, `{header}`, that holds {found}: the file seems to be \
         separated by {found}; give that as the delimiter"
    )]
    OtherDelimiter { header: String, found: Delimiter },
    #[error(
        "the first line ({}) holds an e-mail address or a phone number, so it is data rather \
         than a header: \
         add a first line naming the columns, such as name,email,message",
        quoted_list(header)
    )]
    HeaderIsData { header: Vec<String> },
    #[error(
        "no column gives an e-mail address or a phone number, which every inquiry needs; \
         the header has: {}; name the column that does, e.g. email=E-mail",
        quoted_list(header)
    )]
    NoContactColumn { header: Vec<String> },
    #[error("could not read the header: {0}")]
    Read(csv::Error),
}

/// A delimiter as a person would name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiter(pub u8);

impl std::fmt::Display for Delimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            b'\t' => f.write_str("tabs"),
            byte => write!(f, "`{}`", char::from(byte)),
        }
    }
}

/// The delimiter a header read as one column seems to use instead of the
/// one given: common ones, found between at least two names.
pub(super) fn other_delimiter(headers: &[String], given: u8) -> Option<Delimiter> {
    let [only] = headers else { return None };
    [b',', b';', b'\t', b'|']
        .into_iter()
        .filter(|d| *d != given)
        .find(|d| {
            only.split(char::from(*d))
                .filter(|name| !name.trim().is_empty())
                .count()
                >= 2
        })
        .map(Delimiter)
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

/// Which CSV column feeds which inquiry field.
///
/// Targets are `name`, `email`, `phone`, `company`, `title`, `message`,
/// `source` and `campaign`. Targets not mapped explicitly are matched by
/// header name, ignoring case, with common aliases: `E-mail` and
/// `Email address` → email, `Full name` → name, `Organisation`,
/// `Organization` and `Company name` → company, `Job title` → title, `Body`
/// and `Comments` → message, `Phone number` and `Telephone` → phone. The first
/// matching column wins. Other columns go into `fields` under their header
/// name unless ignored. [`ColumnMapping::default`] is automatic matching only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    explicit: Vec<(Target, String)>,
    ignored: Vec<String>,
}

impl ColumnMapping {
    /// Parses `target=Column header` pairs, e.g. from the CLI
    /// `--map email=E-mail --map name="Full name"`; the target `ignore` leaves
    /// a column out (`ignore=Internal ID`, repeatable).
    ///
    /// Column headers are matched ignoring case and surrounding spaces. A
    /// target given twice, or a column given twice, is an error.
    pub fn parse_pairs<'a>(
        pairs: impl IntoIterator<Item = &'a str>,
    ) -> Result<ColumnMapping, ImportError> {
        let mut mapping = ColumnMapping::default();
        // Every column named so far, with what it was named for.
        let mut columns: Vec<(String, &'static str)> = Vec::new();
        for pair in pairs {
            let (target, column) = pair
                .split_once('=')
                .map(|(target, column)| (target.trim().to_lowercase(), column.trim()))
                .filter(|(target, column)| !target.is_empty() && !column.is_empty())
                .ok_or_else(|| ImportError::MalformedPair(pair.to_string()))?;
            let purpose = if target == IGNORE {
                mapping.ignored.push(column.to_string());
                IGNORE
            } else {
                let target = Target::ALL
                    .into_iter()
                    .find(|known| known.as_str() == target)
                    .ok_or(ImportError::UnknownTarget(target))?;
                if let Some((_, first)) = mapping.explicit.iter().find(|(t, _)| *t == target) {
                    return Err(ImportError::TargetMappedTwice {
                        target: target.as_str(),
                        first: first.clone(),
                        second: column.to_string(),
                    });
                }
                mapping.explicit.push((target, column.to_string()));
                target.as_str()
            };
            if let Some((_, first)) = columns.iter().find(|(named, _)| same_column(named, column)) {
                return Err(ImportError::ColumnMappedTwice {
                    column: column.to_string(),
                    first,
                    second: purpose,
                });
            }
            columns.push((column.to_string(), purpose));
        }
        Ok(mapping)
    }

    /// Whether the column named `header` is left out.
    fn ignores(&self, header: &str) -> bool {
        self.ignored
            .iter()
            .any(|column| same_column(column, header))
    }

    /// What each header column does, in header order.
    fn roles_for(&self, headers: &[String]) -> Result<Vec<ColumnRole>, ImportError> {
        let find = |column: &str, pair: String| {
            headers
                .iter()
                .position(|header| same_column(header, column))
                .ok_or_else(|| ImportError::MissingColumn {
                    column: column.to_string(),
                    pair,
                    header: headers.to_vec(),
                })
        };
        let mut roles: Vec<Option<ColumnRole>> = vec![None; headers.len()];
        for (target, column) in &self.explicit {
            let index = find(column, format!("{}={column}", target.as_str()))?;
            roles[index] = Some(ColumnRole::Target(*target));
        }
        for column in &self.ignored {
            find(column, format!("{IGNORE}={column}"))?;
            for (role, _) in roles
                .iter_mut()
                .zip(headers)
                .filter(|(_, header)| same_column(header, column))
            {
                *role = Some(ColumnRole::Ignored);
            }
        }
        let mut claimed: Vec<Target> = self.explicit.iter().map(|(target, _)| *target).collect();
        Ok(roles
            .into_iter()
            .zip(headers)
            .enumerate()
            .map(|(index, (role, header))| {
                role.unwrap_or_else(|| match Target::from_header(header) {
                    Some(target) if !claimed.contains(&target) => {
                        claimed.push(target);
                        ColumnRole::Target(target)
                    }
                    // A blank header still needs a field name for its values.
                    _ if header.is_empty() => ColumnRole::Field(format!("column {}", index + 1)),
                    _ => ColumnRole::Field(header.clone()),
                })
            })
            .collect())
    }
}

fn same_column(a: &str, b: &str) -> bool {
    column_key(a) == column_key(b)
}

/// A header name as columns are told apart: trimmed, in lower case.
fn column_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// What the values of one column become.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ColumnRole {
    Target(Target),
    /// A free field, named after the header.
    Field(String),
    Ignored,
}

/// Where a data row is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowPosition {
    /// 1-based among the data rows: the header and blank lines do not count.
    pub row: u64,
    /// 1-based line of the file where the row starts.
    pub line: u64,
}

impl std::fmt::Display for RowPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {} (line {})", self.row, self.line)
    }
}

/// A data row that could not become an inquiry; the rows around it still can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row} (line {line}): {message}")]
pub struct RowError {
    /// 1-based among the data rows: the header and blank lines do not count.
    pub row: u64,
    /// 1-based line of the file where the row starts; a quoted value with
    /// newlines makes a row span several lines.
    pub line: u64,
    /// What is wrong, e.g. `has 9 columns, the header has 8`.
    pub message: String,
}

/// What is wrong with a row longer than the header, unless its extra cells
/// are empty, as spreadsheets sometimes write.
pub(super) fn too_many_columns<'a>(
    cells: impl Iterator<Item = &'a [u8]>,
    header_columns: usize,
) -> Option<String> {
    let mut columns = 0;
    let mut extra_values = false;
    for (index, cell) in cells.enumerate() {
        columns = index + 1;
        extra_values |= index >= header_columns && !cell.trim_ascii().is_empty();
    }
    extra_values.then(|| column_count(columns, header_columns))
}

/// A row's number of cells against the header's.
pub(super) fn column_count(columns: usize, header_columns: usize) -> String {
    format!("has {columns} columns, the header has {header_columns}")
}

/// Reads inquiries from CSV, one per data row, with the row's position.
///
/// Values are trimmed; empty values are left out (`None`, or no entry in
/// `fields`); free fields are JSON strings; rows whose cells are all empty
/// are skipped. A row with fewer columns than the header lacks the missing
/// values; one with more is an error unless the extra cells are empty, as
/// spreadsheets sometimes write. `source` is only set from a mapped column.
pub struct InquiryCsvReader<R> {
    csv: csv::Reader<QuoteCheck<Resumable<R>>>,
    /// Reads the rest of the file again, without a header, after a quote
    /// that never closed.
    rest: ReaderBuilder,
    headers: Vec<String>,
    roles: Vec<ColumnRole>,
    record: ByteRecord,
    rows_read: u64,
    /// Set after a read error, which ends the iteration.
    failed: bool,
}

impl<R: Read> InquiryCsvReader<R> {
    /// Reads the header and matches it to `mapping`.
    ///
    /// Fails when the file is empty, the header has no names, is not UTF-8,
    /// has a name twice, or lacks a column the mapping names.
    pub fn new(reader: R, mapping: &ColumnMapping, delimiter: u8) -> Result<Self, ImportError> {
        let mut builder = ReaderBuilder::new();
        builder.delimiter(delimiter).flexible(true);
        let mut csv = builder.from_reader(QuoteCheck::new(Resumable::File(reader), delimiter));
        builder.has_headers(false);
        let raw_headers = csv.byte_headers().map_err(ImportError::Read)?;
        if raw_headers.is_empty() {
            return Err(ImportError::EmptyFile);
        }
        let headers = raw_headers
            .iter()
            .enumerate()
            .map(|(index, name)| {
                std::str::from_utf8(name)
                    .map(|name| name.trim().to_string())
                    .map_err(|_| ImportError::HeaderNotUtf8 { column: index + 1 })
            })
            .collect::<Result<Vec<String>, ImportError>>()?;
        if headers.iter().all(String::is_empty) {
            return Err(ImportError::EmptyHeader);
        }
        if let Some(found) = other_delimiter(&headers, delimiter) {
            return Err(ImportError::OtherDelimiter {
                header: headers[0].clone(),
                found,
            });
        }
        // A set, not a scan per column: a header can be very wide. Columns
        // left out may share a name: none of them is read.
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (second, name) in headers
            .iter()
            .enumerate()
            .filter(|(_, name)| !name.is_empty() && !mapping.ignores(name))
        {
            if let Some(first) = seen.insert(column_key(name), second) {
                return Err(ImportError::DuplicateColumn {
                    column: name.clone(),
                    first: first + 1,
                    second: second + 1,
                });
            }
        }
        let roles = mapping.roles_for(&headers)?;
        // Without one every row would be refused alike: said once, for the file.
        let reachable = roles
            .iter()
            .any(|role| matches!(role, ColumnRole::Target(Target::Email | Target::Phone)));
        if !reachable {
            let header = headers.clone();
            let data = |h: &String| Email::parse(h).is_ok() || Phone::parse(h).is_ok();
            return Err(if headers.iter().any(data) {
                ImportError::HeaderIsData { header }
            } else {
                ImportError::NoContactColumn { header }
            });
        }
        Ok(InquiryCsvReader {
            csv,
            rest: builder,
            headers,
            roles,
            record: ByteRecord::new(),
            rows_read: 0,
            failed: false,
        })
    }

    /// The header's column names, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The inquiry in the current record, or what is wrong with it.
    fn inquiry_from_record(&self) -> Result<InquiryInput, String> {
        if let Some(problem) = too_many_columns(self.record.iter(), self.headers.len()) {
            return Err(problem);
        }
        let mut input = InquiryInput::default();
        for (index, (cell, role)) in self.record.iter().zip(&self.roles).enumerate() {
            if *role == ColumnRole::Ignored {
                continue;
            }
            let text = std::str::from_utf8(cell).map_err(|error| {
                format!(
                    "{} is not valid UTF-8 (byte {} of the value): save the file as UTF-8",
                    self.describe_column(index),
                    error.valid_up_to() + 1
                )
            })?;
            let value = text.trim();
            if value.is_empty() {
                continue;
            }
            match role {
                ColumnRole::Target(target) => *target.field_of(&mut input) = Some(value.into()),
                ColumnRole::Field(name) => {
                    input
                        .fields
                        .insert(name.clone(), serde_json::Value::String(value.into()));
                }
                ColumnRole::Ignored => {}
            }
        }
        Ok(input)
    }

    /// `column 3 (`Message`)`, or `column 3` when the header is blank.
    fn describe_column(&self, index: usize) -> String {
        match self.headers[index].as_str() {
            "" => format!("column {}", index + 1),
            name => format!("column {} (`{name}`)", index + 1),
        }
    }
}

impl<R: Read> Iterator for InquiryCsvReader<R> {
    type Item = Result<(RowPosition, InquiryInput), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed {
            match self.csv.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => self.rows_read += 1,
                Err(error) => {
                    // Only I/O fails on byte records of a flexible reader, and
                    // nothing read after it can be trusted: report it, stop.
                    self.failed = true;
                    self.rows_read += 1;
                    return Some(Err(RowError {
                        row: self.rows_read,
                        line: line_of(&self.csv, self.csv.position()),
                        message: format!("could not be read, import stopped: {error}"),
                    }));
                }
            }
            let row = self.rows_read;
            let line = self
                .record
                .position()
                .map_or(0, |position| line_of(&self.csv, position));
            if let Some(message) = resume_after_unclosed_quote(&mut self.csv, &self.rest) {
                return Some(Err(RowError { row, line, message }));
            }
            if self.record.iter().all(|cell| cell.trim_ascii().is_empty()) {
                continue;
            }
            if let Some(message) = bad_quoting(&self.csv, line) {
                return Some(Err(RowError { row, line, message }));
            }
            return Some(
                self.inquiry_from_record()
                    .map(|input| (RowPosition { row, line }, input))
                    .map_err(|message| RowError { row, line, message }),
            );
        }
        None
    }
}

/// What is wrong with the quoting of the record just read, which starts on
/// line `start`.
pub fn bad_quoting<R: Read>(csv: &csv::Reader<QuoteCheck<R>>, start: u64) -> Option<String> {
    let check = csv.get_ref();
    // A quote never closed runs to the end of the file, so only the last
    // row can hold it, and it is known once that row is read.
    if let Some(opened) = check.unclosed_quote() {
        return Some(format!(
            "a quote opened on line {opened} is never closed, so everything after it was read \
             as one value: close it (a quote inside a quoted value is written twice, \"\")"
        ));
    }
    let end = match csv.is_done() {
        true => u64::MAX,
        false => line_of(csv, csv.position()).max(start + 1),
    };
    check
        .stray_after_quote(start..end)
        .map(|(line, opened)| match opened < line {
            // The quote ran over line ends: the rows on those lines were
            // read as part of this one, and are left out with it.
            true => format!(
                "a quote opened on line {opened} closes on line {line} and is followed by more \
                 text, so lines {opened} to {line} were read as this one row and are all left \
                 out: close the quote where its value ends (a quote inside a quoted value is \
                 written twice, \"\")"
            ),
            false => {
                // A later quote on the row may still have run over line ends.
                let spanned = match end {
                    u64::MAX => String::new(),
                    end if end - 1 > start => format!(
                        "; a quote later on it ran on, so lines {start} to {} were read as this \
                         one row and are all left out",
                        end - 1
                    ),
                    _ => String::new(),
                };
                format!(
                    "on line {line} a quoted value is followed by more text before the next \
                     delimiter: quote the whole value (a quote inside it is written twice, \"\")\
                     {spanned}"
                )
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader<'a>(csv: &'a str, mapping: &ColumnMapping) -> InquiryCsvReader<&'a [u8]> {
        InquiryCsvReader::new(csv.as_bytes(), mapping, b',').unwrap()
    }

    /// Every row, panicking on row errors.
    fn inquiries(csv: &str) -> Vec<InquiryInput> {
        reader(csv, &ColumnMapping::default())
            .map(|row| row.unwrap().1)
            .collect()
    }

    fn header_error(csv: &[u8], mapping: &ColumnMapping) -> String {
        match InquiryCsvReader::new(csv, mapping, b',') {
            Ok(_) => panic!("the header was accepted"),
            Err(error) => error.to_string(),
        }
    }

    fn pairs_error(pairs: &[&str]) -> String {
        ColumnMapping::parse_pairs(pairs.iter().copied())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn rows_are_placed_on_the_same_lines_whatever_the_line_endings() {
        let lf =
            "name,email,message\nAnn,ann@acme.io,\"two\nlines\"\nBob,nope,hi\n\nCy,cy@acme.io,x\n";
        let crlf = lf.replace('\n', "\r\n");
        let places = |csv: &str| -> Vec<(u64, u64, bool)> {
            reader(csv, &ColumnMapping::default())
                .map(|row| match row {
                    Ok((at, _)) => (at.row, at.line, true),
                    Err(error) => (error.row, error.line, false),
                })
                .collect()
        };
        let expected = vec![(1, 2, true), (2, 4, true), (3, 6, true)];
        assert_eq!(places(lf), expected);
        assert_eq!(places(&crlf), expected, "\\r\\n endings");
    }

    #[test]
    fn a_header_of_one_column_split_by_another_delimiter_names_it() {
        let none = ColumnMapping::default();
        let error = header_error(b"name;email;message\nAnn;ann@x.test;hi\n", &none);
        assert!(
            error.contains("`name;email;message`") && error.contains("separated by `;`"),
            "{error}"
        );
        let error = header_error(b"name\temail\nAnn\tann@x.test\n", &none);
        assert!(error.contains("separated by tabs"), "{error}");
        // One real column, or the given delimiter inside a quoted name, is fine.
        for csv in [
            "email\nann@x.test\n",
            "\"email, work\"\nann@x.test\n",
            "email;\nann@x.test\n",
        ] {
            let read = InquiryCsvReader::new(csv.as_bytes(), &none, b',');
            assert!(
                !matches!(read, Err(ImportError::OtherDelimiter { .. })),
                "{csv}"
            );
        }
        let tabbed = InquiryCsvReader::new(&b"name,email\tphone\n"[..], &none, b'\t');
        assert!(tabbed.is_ok(), "two columns split by the given tab");
    }

    #[test]
    fn quoted_values_keep_delimiters_quotes_and_newlines() {
        let csv = "name,email,message\n\
            \"Lee, Ann\",ann@acme.io,\"Line one\nLine \"\"two\"\"\"\n\
            Bob,bob@client.example,Hi\n";
        let rows: Vec<_> = reader(csv, &ColumnMapping::default())
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows[0].1.name.as_deref(), Some("Lee, Ann"));
        assert_eq!(rows[0].1.message.as_deref(), Some("Line one\nLine \"two\""));
        // The first row spans lines 2 and 3, so Bob is on line 4.
        assert_eq!(rows[1].0, RowPosition { row: 2, line: 4 });
        assert_eq!(rows[1].0.to_string(), "row 2 (line 4)");
        assert_eq!(rows[1].1.name.as_deref(), Some("Bob"));
    }

    #[test]
    fn a_byte_order_mark_and_semicolons_are_read() {
        let csv = "\u{feff}Email;Name\nann@acme.io;Ann\n";
        let mut reader =
            InquiryCsvReader::new(csv.as_bytes(), &ColumnMapping::default(), b';').unwrap();
        assert_eq!(reader.headers(), ["Email", "Name"]);
        let (position, inquiry) = reader.next().unwrap().unwrap();
        assert_eq!(position.row, 1);
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(inquiry.name.as_deref(), Some("Ann"));
        assert!(inquiry.fields.is_empty());
    }

    #[test]
    fn headers_are_matched_by_common_aliases() {
        let csv = "Full Name,E-mail,Organisation,job_title,Comments,Telephone,Lead Score\n\
            Ann Lee,ann@acme.io,Acme,CTO,Call me,+1 415 555 0100,87\n";
        let inquiry = &inquiries(csv)[0];
        assert_eq!(inquiry.name.as_deref(), Some("Ann Lee"));
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(inquiry.company.as_deref(), Some("Acme"));
        assert_eq!(inquiry.title.as_deref(), Some("CTO"));
        assert_eq!(inquiry.message.as_deref(), Some("Call me"));
        assert_eq!(inquiry.phone.as_deref(), Some("+1 415 555 0100"));
        assert_eq!(inquiry.fields["Lead Score"], serde_json::json!("87"));
        assert_eq!(inquiry.fields.len(), 1);
    }

    #[test]
    fn the_first_column_matching_a_target_wins_and_the_next_becomes_a_field() {
        let inquiry = &inquiries("Email,E-mail address\nann@acme.io,ann@home.example\n")[0];
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(
            inquiry.fields["E-mail address"],
            serde_json::json!("ann@home.example")
        );
    }

    #[test]
    fn explicit_pairs_override_aliases_and_ignored_columns_are_dropped() {
        let mapping = ColumnMapping::parse_pairs([
            "email=Work mail",
            " Name = contact ",
            "ignore=Internal ID",
        ])
        .unwrap();
        let csv = "Contact,Email,Work Mail,Internal ID,Company\n\
            Ann,ann@home.example,ann@acme.io,42,Acme\n";
        let (_, inquiry) = reader(csv, &mapping).next().unwrap().unwrap();
        assert_eq!(inquiry.name.as_deref(), Some("Ann"));
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        // Targets left out of the mapping are still matched by header name.
        assert_eq!(inquiry.company.as_deref(), Some("Acme"));
        assert_eq!(
            inquiry.fields.keys().collect::<Vec<_>>(),
            ["Email"],
            "the explicitly mapped target is not matched again; ignored columns are dropped"
        );
    }

    #[test]
    fn values_are_trimmed_and_empty_values_left_out() {
        let csv = "name,email,phone,Size\n  Ann  , ann@acme.io ,,   \n";
        let inquiry = &inquiries(csv)[0];
        assert_eq!(inquiry.name.as_deref(), Some("Ann"));
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(inquiry.phone, None);
        assert!(inquiry.fields.is_empty());
    }

    #[test]
    fn a_short_row_lacks_the_missing_values() {
        let inquiry = &inquiries("name,email,message\nAnn,ann@acme.io\n")[0];
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
        assert_eq!(inquiry.message, None);
    }

    #[test]
    fn empty_rows_are_skipped_but_keep_their_row_number() {
        let csv = "name,email\nAnn,ann@acme.io\n,\n\nBob,bob@client.example\n";
        let rows: Vec<u64> = reader(csv, &ColumnMapping::default())
            .map(|row| row.unwrap().0.row)
            .collect();
        // `,` is an empty row 2; the blank line is not a row at all.
        assert_eq!(rows, [1, 3]);
    }

    #[test]
    fn a_row_with_too_many_columns_fails_alone() {
        let csv = "name,email,message\n\
            Ann,ann@acme.io,Hi\n\
            Bob,bob@client.example,Hello\n\
            Cy,cy@corp.example,Hey,unexpected\n\
            Di,di@firm.example,Yo\n";
        let rows: Vec<_> = reader(csv, &ColumnMapping::default()).collect();
        assert_eq!(rows.len(), 4);
        assert!(rows[0].is_ok() && rows[1].is_ok() && rows[3].is_ok());
        let error = rows[2].as_ref().unwrap_err();
        assert_eq!(
            error.to_string(),
            "row 3 (line 4): has 4 columns, the header has 3"
        );
        assert_eq!(rows[3].as_ref().unwrap().0.row, 4);
    }

    #[test]
    fn a_row_error_names_the_line_after_multiline_values() {
        let csv = "name,message,email\nAnn,\"one\ntwo\nthree\",ann@acme.io\nBob,Hi,b@x.io,extra\n";
        let error = reader(csv, &ColumnMapping::default())
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!((error.row, error.line), (2, 5));
    }

    #[test]
    fn a_read_failure_is_reported_once_and_ends_the_import() {
        /// Gives its data, then fails.
        struct FailingAfter<'a>(&'a [u8]);
        impl Read for FailingAfter<'_> {
            fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("disk on fire"));
                }
                self.0.read(buffer)
            }
        }
        let source = FailingAfter(b"email\nann@acme.io\n");
        let rows: Vec<_> = InquiryCsvReader::new(source, &ColumnMapping::default(), b',')
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].is_ok());
        let error = rows[1].as_ref().unwrap_err();
        assert_eq!(error.row, 2);
        assert!(
            error.message.contains("could not be read, import stopped")
                && error.message.contains("disk on fire"),
            "{error}"
        );
    }

    #[test]
    fn a_quote_never_closed_fails_only_the_row_it_opened_in() {
        let csv = "name,email,message\n\
                   Ann,ann@acme.io,\"say \"\"hi\"\"\"\n\
                   Leo,leo@acme.io,\"unclosed\n\
                   Mia,mia@acme.io,fine\n\
                   \n\
                   Zed,zed@acme.io,also fine\n";
        let rows: Vec<_> = reader(csv, &ColumnMapping::default()).collect();
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!(
            rows[0].as_ref().unwrap().1.message.as_deref(),
            Some("say \"hi\"")
        );
        let error = rows[1].as_ref().unwrap_err();
        assert_eq!((error.row, error.line), (2, 3));
        assert!(
            error
                .message
                .starts_with("a quote opened on line 3 is never closed")
                && error.message.contains("read again"),
            "{error}"
        );
        // The lines Leo's quote swallowed are rows again, on their own lines.
        let (at, mia) = rows[2].as_ref().unwrap();
        assert_eq!((at.row, at.line), (3, 4));
        assert_eq!(mia.email.as_deref(), Some("mia@acme.io"));
        let (at, zed) = rows[3].as_ref().unwrap();
        assert_eq!((at.row, at.line), (4, 6));
        assert_eq!(zed.message.as_deref(), Some("also fine"));

        // Opened on the last line, it swallowed nothing else.
        let csv = "name,email\nAnn,ann@acme.io\nBo,\"bo@acme.io\n";
        let rows: Vec<_> = reader(csv, &ColumnMapping::default()).collect();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let error = rows[1].as_ref().unwrap_err();
        assert_eq!((error.row, error.line), (2, 3));
        assert!(
            error
                .message
                .starts_with("a quote opened on line 3 is never closed: close it"),
            "{error}"
        );
    }

    #[test]
    fn a_stray_quote_on_a_row_that_ran_on_names_every_line_it_took() {
        let csv = "name,email,message\n\
                   \"Good A\",a@x.example,\"pricing\"\n\
                   \"Bad \"B\",b@x.example,\"unterminated\n\
                   \"Good C\",c@x.example,\"pricing\"\n\
                   \"Good D\",d@x.example,\"pricing\"\n";
        let rows: Vec<_> = reader(csv, &ColumnMapping::default()).collect();
        let error = rows.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert_eq!((error.row, error.line), (2, 3));
        assert!(
            error
                .message
                .contains("lines 3 to 4 were read as this one row"),
            "{error}"
        );
    }

    #[test]
    fn a_quote_closing_lines_later_names_every_line_it_took() {
        let csv = "name,email,message\n\
                   Carol,carol@x.example,\"forgot to close\n\
                   Dave,dave@x.example,fine\n\
                   Eve,eve@x.example,\"quoted\" trailing\n\
                   Frank,frank@x.example,ok\n";
        let rows: Vec<_> = reader(csv, &ColumnMapping::default()).collect();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let error = rows[0].as_ref().unwrap_err();
        assert_eq!((error.row, error.line), (1, 2));
        assert!(
            error.message.starts_with(
                "a quote opened on line 2 closes on line 4 and is followed by more text, \
                 so lines 2 to 4 were read as this one row"
            ),
            "{error}"
        );
        assert_eq!(
            rows[1].as_ref().unwrap().1.email.as_deref(),
            Some("frank@x.example")
        );
    }

    #[test]
    fn text_after_a_closing_quote_fails_its_row_alone() {
        let csv = "name,email\nAB,\"ab@x.example\"junk\nCy,\"cy@x.example\" \n";
        let rows: Vec<_> = reader(csv, &ColumnMapping::default()).collect();
        assert_eq!(rows.len(), 2);
        let error = rows[0].as_ref().unwrap_err();
        assert_eq!((error.row, error.line), (1, 2));
        assert!(
            error
                .message
                .starts_with("on line 2 a quoted value is followed by more text"),
            "{error}"
        );
        assert_eq!(
            rows[1].as_ref().unwrap().1.email.as_deref(),
            Some("cy@x.example")
        );
    }

    #[test]
    fn empty_extra_cells_are_not_too_many_columns() {
        let inquiry = &inquiries("name,email\nAnn,ann@acme.io,,\n")[0];
        assert_eq!(inquiry.email.as_deref(), Some("ann@acme.io"));
    }

    #[test]
    fn a_row_that_is_not_utf8_fails_alone() {
        let mut csv = b"name,email\nAnn,ann@acme.io\nRen".to_vec();
        csv.extend_from_slice(b"\xe9e,rene@acme.io\nBob,bob@client.example\n");
        let rows: Vec<_> = InquiryCsvReader::new(&csv[..], &ColumnMapping::default(), b',')
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1].as_ref().unwrap_err().to_string(),
            "row 2 (line 3): column 1 (`name`) is not valid UTF-8 (byte 4 of the value): \
             save the file as UTF-8"
        );
        assert_eq!(rows[2].as_ref().unwrap().1.name.as_deref(), Some("Bob"));
    }

    #[test]
    fn invalid_utf8_in_an_ignored_column_does_not_matter() {
        let mapping = ColumnMapping::parse_pairs(["ignore=notes"]).unwrap();
        let csv = b"email,notes\nann@acme.io,caf\xe9\n";
        let mut reader = InquiryCsvReader::new(&csv[..], &mapping, b',').unwrap();
        assert!(reader.next().unwrap().is_ok());
    }

    #[test]
    fn a_column_with_a_blank_header_is_named_by_position() {
        let inquiry = &inquiries("email,,Size\nann@acme.io,x,50\n")[0];
        assert_eq!(inquiry.fields["column 2"], serde_json::json!("x"));
        assert_eq!(inquiry.fields["Size"], serde_json::json!("50"));
    }

    #[test]
    fn a_mapped_column_missing_from_the_header_is_named_with_the_header() {
        let mapping = ColumnMapping::parse_pairs(["email=E-mail"]).unwrap();
        assert_eq!(
            header_error(b"Name,Mail\nAnn,ann@acme.io\n", &mapping),
            "column `E-mail` (from email=E-mail) is not in the header; \
             the header has: `Name`, `Mail`"
        );
        let ignoring = ColumnMapping::parse_pairs(["ignore=ID"]).unwrap();
        assert!(header_error(b"Name\n", &ignoring).contains("(from ignore=ID)"));
    }

    #[test]
    fn unusable_headers_are_refused() {
        let default = ColumnMapping::default();
        assert_eq!(
            header_error(b"", &default),
            "the file is empty: expected a header row with column names"
        );
        assert_eq!(
            header_error(b" , \nann@acme.io\n", &default),
            "the header row has no column names"
        );
        assert_eq!(
            header_error(b"name,e\xffmail\n", &default),
            "header column 2 is not valid UTF-8: save the file as UTF-8"
        );
        assert_eq!(
            header_error(b"Email,name,email\n", &default),
            "the header has column `email` twice (columns 1 and 3)"
        );
        assert!(
            header_error(b"Alice,alice@acme.io,Hi\nBob,bob@acme.io,Hey\n", &default)
                .starts_with("the first line (`Alice`, `alice@acme.io`, `Hi`) holds an e-mail address or a phone number, so it is data"),
        );
        assert!(
            header_error(b"Who,Note\nAlice,Hi\n", &default)
                .starts_with("no column gives an e-mail address or a phone number"),
        );
    }

    #[test]
    fn columns_left_out_may_share_a_name() {
        let ignore = ColumnMapping::parse_pairs(["ignore=Notes"]).unwrap();
        let csv = "email,Notes,notes\nann@acme.io,a,b\n";
        let rows: Vec<_> = reader(csv, &ignore).collect();
        let input = &rows[0].as_ref().unwrap().1;
        assert_eq!(input.email.as_deref(), Some("ann@acme.io"));
        assert!(input.fields.is_empty(), "{:?}", input.fields);
    }

    #[test]
    fn an_unknown_target_lists_the_allowed_ones() {
        assert_eq!(
            pairs_error(&["mail=E-mail"]),
            "unknown mapping target `mail`: expected one of name, email, phone, company, \
             title, message, source, campaign or ignore"
        );
    }

    #[test]
    fn malformed_or_conflicting_pairs_are_refused() {
        for malformed in ["email", "=E-mail", "email= "] {
            assert!(
                pairs_error(&[malformed]).contains("is not a column mapping"),
                "{malformed}"
            );
        }
        assert_eq!(
            pairs_error(&["email=A", "email=B"]),
            "email is mapped twice: to `A` and to `B`"
        );
        assert_eq!(
            pairs_error(&["name=Contact", "ignore=contact"]),
            "column `contact` is given twice: for name and for ignore"
        );
    }
}
