//! `baton import inquiries` (CSV) and `baton import email` (.eml, mbox).
//!
//! Each file becomes a stream of items (a row, a message) or of rejections;
//! [`import`] parses the items as inquiries, reports what is wrong by row or
//! message, and stores and processes the good ones in batches.

use super::{BATCH, closing, connect, open, progress_bar};
use crate::cli::{DatabaseArgs, ImportEmailArgs, ImportInquiriesArgs};
use crate::failure::Failure;
use crate::output::say;
use baton_core::domain::{Channel, InquiryStatus};
use baton_core::import::csv::{ColumnMapping, Delimiter, ImportError, InquiryCsvReader};
use baton_core::import::email::split_mbox;
use baton_core::intake::{Staff, content_hash, file_payload_key, read};
use baton_db::Db;
use baton_db::intake::{RawInquiry, Stored};
use indicatif::ProgressBar;
use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

pub async fn import_inquiries(
    database: &DatabaseArgs,
    args: &ImportInquiriesArgs,
) -> Result<(), Failure> {
    let mapping = ColumnMapping::parse_pairs(args.mappings.iter().map(String::as_str))
        .map_err(|error| Failure::bad_input(format!("--map: {error}")))?;
    let file = File::open(&args.file).map_err(|error| unreadable(&args.file, error))?;
    let bytes = file.metadata().map_or(0, |metadata| metadata.len());
    let bar = progress_bar(bytes, "{bytes}/{total_bytes}");
    let rows =
        InquiryCsvReader::new(bar.wrap_read(file), &mapping, args.delimiter).map_err(|error| {
            let hint = match &error {
                ImportError::OtherDelimiter { found, .. } => delimiter_hint(*found),
                _ => String::new(),
            };
            Failure::bad_input(format!("{}: {error}{hint}", args.file.display()))
        })?;
    let file_name = file_name(&args.file);
    let items = rows.map(|row| {
        let (position, mut input) = row.map_err(|error| error.to_string())?;
        input.source.get_or_insert_with(|| args.source.clone());
        // Stored as the API would receive it, so processing decodes it alike.
        let raw = serde_json::to_vec(&input).expect("an inquiry input serialises to JSON");
        Ok(Item {
            label: position.to_string(),
            origin: format!("import:{file_name}#{}", position.row),
            raw,
        })
    });
    let contents = Contents {
        channel: Channel::Import,
        unit: "rows",
    };
    import(database, args.dry_run, contents, items, bar).await
}

pub async fn import_email(database: &DatabaseArgs, args: &ImportEmailArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.file).map_err(|error| unreadable(&args.file, error))?;
    if bytes.trim_ascii().is_empty() {
        return Err(Failure::bad_input(format!(
            "{}: the file is empty: expected an e-mail message (.eml) or an mbox mailbox",
            args.file.display()
        )));
    }
    // Each message of a mailbox is stored as its own bytes, exactly as received.
    let messages = if bytes.starts_with(b"From ") {
        split_mbox(&bytes)
    } else {
        vec![bytes]
    };
    let bar = progress_bar(messages.len() as u64, "{pos}/{len} messages");
    let file_name = file_name(&args.file);
    let items = bar
        .wrap_iter(messages.into_iter())
        .enumerate()
        .map(|(index, raw)| {
            Ok(Item {
                label: format!("message {}", index + 1),
                origin: format!("email:{file_name}#{}", index + 1),
                raw,
            })
        });
    let contents = Contents {
        channel: Channel::Email,
        unit: "messages",
    };
    import(database, args.dry_run, contents, items, bar).await
}

fn unreadable(path: &Path, error: std::io::Error) -> Failure {
    Failure::bad_input(format!("cannot read {}: {error}", path.display()))
}

/// The file's own name, for origins: the folder it was imported from does
/// not identify anything.
fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// What a file holds.
#[derive(Debug, Clone, Copy)]
struct Contents {
    /// The channel its inquiries came through.
    channel: Channel,
    /// What it is made of, `rows` or `messages`.
    unit: &'static str,
}

/// One row or message of a file, read but not yet parsed as an inquiry.
struct Item {
    /// `row 12` or `message 3`, for reports.
    label: String,
    origin: String,
    /// What is stored: the bytes processing will decode, and the import reads
    /// the same way.
    raw: Vec<u8>,
}

/// An item, or why its row or message could not be read (already labelled).
type ReadItem = Result<Item, String>;

/// Imports every good item, reports the others on stderr and prints the
/// summary. `unit` names what the file is made of, `rows` or `messages`.
async fn import(
    database: &DatabaseArgs,
    dry_run: bool,
    contents: Contents,
    items: impl Iterator<Item = ReadItem>,
    bar: ProgressBar,
) -> Result<(), Failure> {
    bar.set_message(if dry_run { "checking" } else { "importing" });
    let tally = match (dry_run, database.exists()) {
        // Nothing can have been imported before into a database not made yet.
        (true, false) => Importer::new(None, true, &bar).run(contents, items).await?,
        // A check leaves the database as it is, schema included.
        (true, true) => {
            closing(connect(database).await?, async |db| {
                Importer::new(Some(db), true, &bar)
                    .run(contents, items)
                    .await
            })
            .await?
        }
        (false, _) => {
            closing(open(database).await?, async |db| {
                Importer::new(Some(db), false, &bar)
                    .run(contents, items)
                    .await
            })
            .await?
        }
    };
    bar.finish_and_clear();
    tally.report(dry_run, contents.unit)
}

/// What an import did.
#[derive(Debug, Default)]
struct Tally {
    imported: u64,
    /// Rows or messages stored by an earlier import of the same content.
    imported_before: u64,
    /// Of those, the ones an interrupted import stored and left
    /// unprocessed, processed now.
    finished_now: u64,
    /// Rows or messages whose content came earlier in the same file.
    repeated_in_file: u64,
    rejected: u64,
    quarantined: u64,
    needing_attention: u64,
}

impl Tally {
    /// Prints the summary. Fails when nothing could be imported because
    /// every row or message was bad, and reports a partial import when
    /// some were rejected and the others kept.
    fn report(&self, dry_run: bool, unit: &str) -> Result<(), Failure> {
        let verb = if dry_run { "would import" } else { "imported" };
        let see_above = if self.rejected > 0 {
            " (see above)"
        } else {
            ""
        };
        say!(
            "{verb} {}, {} rejected{see_above}",
            counted(self.imported, "inquiries"),
            counted(self.rejected, unit)
        );
        let skip = if dry_run {
            "would be skipped"
        } else {
            "skipped"
        };
        if self.repeated_in_file > 0 {
            say!(
                "{} the same as an earlier one in the file: {skip}",
                counted(self.repeated_in_file, unit)
            );
        }
        if self.imported_before > 0 {
            say!(
                "{} imported before: {skip}",
                counted(self.imported_before, unit)
            );
        }
        if self.finished_now > 0 {
            say!(
                "{} of them stored by an import that stopped were processed now",
                self.finished_now
            );
        }
        if self.quarantined > 0 {
            say!(
                "{} held in quarantine as suspected spam, for a moderator to release or confirm",
                self.quarantined
            );
        }
        if self.needing_attention > 0 {
            say!(
                "{} need attention: processing failed; `baton reprocess` retries them",
                self.needing_attention
            );
        }
        if self.rejected == 0 {
            return Ok(());
        }
        if self.imported == 0 && self.imported_before == 0 && self.repeated_in_file == 0 {
            return Err(Failure::bad_input(format!("no {unit} could be imported")));
        }
        let kept = match (dry_run, self.imported) {
            (true, _) => "the others would be imported",
            (false, 0) => "the others were stored already",
            (false, _) => "the others were imported",
        };
        Err(Failure::partial(format!(
            "{} rejected (see above); {kept}",
            counted(self.rejected, unit)
        )))
    }
}

/// `1 row`, `2 rows`, `1 inquiry`: `plural` with its count.
pub(super) fn counted(count: u64, plural: &str) -> String {
    match count {
        1 => format!("1 {}", singular(plural)),
        _ => format!("{count} {plural}"),
    }
}

fn singular(plural: &str) -> String {
    match plural.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => plural.trim_end_matches('s').to_string(),
    }
}

/// Parses items and stores and processes them, or on a dry run only finds
/// which would be stored.
struct Importer<'a> {
    /// `None` on a dry run into a database not made yet.
    db: Option<&'a Db>,
    dry_run: bool,
    bar: &'a ProgressBar,
    batch: Vec<RawInquiry>,
    /// The keys of the file's items so far, to tell repeats within it.
    keys: HashSet<String>,
    tally: Tally,
}

impl<'a> Importer<'a> {
    fn new(db: Option<&'a Db>, dry_run: bool, bar: &'a ProgressBar) -> Importer<'a> {
        Importer {
            db,
            dry_run,
            bar,
            batch: Vec::with_capacity(BATCH),
            keys: HashSet::new(),
            tally: Tally::default(),
        }
    }

    async fn run(
        mut self,
        contents: Contents,
        items: impl Iterator<Item = ReadItem>,
    ) -> Result<Tally, Failure> {
        // Read as processing will read them: forwards count from the staff only.
        let staff = match self.db {
            Some(db) => db.staff_for(std::iter::once(contents.channel)).await?,
            None => Staff::default(),
        };
        for item in items {
            match item.and_then(|item| parse(item, contents.channel, &staff)) {
                Ok(raw) => self.accept(raw).await?,
                Err(rejection) => {
                    self.tally.rejected += 1;
                    self.bar.suspend(|| eprintln!("{rejection}"));
                }
            }
        }
        self.flush().await?;
        Ok(self.tally)
    }

    async fn accept(&mut self, raw: RawInquiry) -> Result<(), Failure> {
        let key = raw.idempotency_key.clone().unwrap_or_default();
        if !self.keys.insert(key) {
            self.tally.repeated_in_file += 1;
            return Ok(());
        }
        self.batch.push(raw);
        if self.batch.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Failure> {
        if self.dry_run {
            self.check_batch().await
        } else {
            self.store_batch().await
        }
    }

    /// Counts the batch as a real import would, storing nothing.
    async fn check_batch(&mut self) -> Result<(), Failure> {
        let keys: Vec<String> = self
            .batch
            .drain(..)
            .filter_map(|raw| raw.idempotency_key)
            .collect();
        let before = match self.db {
            Some(db) if !keys.is_empty() => db.stored_keys(&keys).await?.len() as u64,
            _ => 0,
        };
        self.tally.imported_before += before;
        self.tally.imported += keys.len() as u64 - before;
        Ok(())
    }

    /// Stores the batch in one transaction, then processes it.
    async fn store_batch(&mut self) -> Result<(), Failure> {
        let Some(db) = self.db else { return Ok(()) };
        if self.batch.is_empty() {
            return Ok(());
        }
        let (stored, _received_at) = db.store_raw(&self.batch).await?;
        self.batch.clear();
        let new = stored
            .iter()
            .filter(|stored| matches!(stored, Stored::New(_)))
            .count() as u64;
        self.tally.imported += new;
        self.tally.imported_before += stored.len() as u64 - new;
        // Rows an earlier, interrupted import stored but did not process
        // are processed too; those processed already are left as they are.
        let before: HashSet<i64> = stored
            .iter()
            .filter_map(|stored| match stored {
                Stored::Repeat(id) => Some(*id),
                Stored::New(_) => None,
            })
            .collect();
        let ids: Vec<i64> = stored.iter().map(|stored| stored.id()).collect();
        let outcomes = db.process_inquiries(&ids).await.map_err(|error| {
            Failure::runtime(format!(
                "{error}; the stored inquiries wait for `baton reprocess`"
            ))
        })?;
        for outcome in outcomes {
            if outcome.done_elsewhere() {
                continue;
            }
            if before.contains(&outcome.inquiry_id)
                && outcome.status != InquiryStatus::NeedsAttention
            {
                self.tally.finished_now += 1;
            }
            match outcome.status {
                InquiryStatus::Quarantined => self.tally.quarantined += 1,
                InquiryStatus::NeedsAttention => self.tally.needing_attention += 1,
                _ => {}
            }
        }
        Ok(())
    }
}

/// The inquiry an item holds, ready to store, or every problem with it.
fn parse(item: Item, channel: Channel, staff: &Staff) -> Result<RawInquiry, String> {
    let (inquiry, _) = read(channel, &item.raw, None, staff)
        .map_err(|problems| format!("{}: {problems}", item.label))?;
    Ok(RawInquiry {
        channel,
        origin: item.origin,
        idempotency_key: Some(file_payload_key(&item.raw)),
        raw: item.raw,
        content_hash: content_hash(&inquiry),
    })
}

/// The option that reads a file separated by `found`.
pub(super) fn delimiter_hint(found: Delimiter) -> String {
    match found.0 {
        b'\t' => " (--delimiter tab)".to_string(),
        byte => format!(" (--delimiter '{}')", char::from(byte)),
    }
}
