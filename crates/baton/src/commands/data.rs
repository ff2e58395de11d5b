//! Commands on the data as a whole: migrate, demo, generate, reprocess, backup,
//! restore.

use super::import::counted;
use super::{
    BATCH, DATA_DIR_LOCK, DATABASE_FILE, closing, connect, data_dir_lock, open, progress_bar,
};
use crate::cli::{BackupArgs, DatabaseArgs, DemoArgs, GenerateArgs, ReprocessArgs, RestoreArgs};
use crate::failure::Failure;
use crate::output::say;
use baton_core::domain::InquiryStatus;
use baton_db::demo::{self, DEMO_DOMAIN, DEMO_PASSWORD, DemoOptions, DemoSummary};
use baton_db::large_company::{self, LARGE_DOMAIN, LargeOptions, LargeSummary};
use baton_db::{Db, DbOptions};
use indicatif::ProgressBar;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

pub async fn migrate(database: &DatabaseArgs) -> Result<(), Failure> {
    let applied = closing(connect(database).await?, async |db| {
        Ok(db.migrate().await?)
    })
    .await?;
    if applied.is_empty() {
        say!("database is up to date");
    }
    for migration in applied {
        say!("applied {migration}");
    }
    Ok(())
}

pub async fn demo(database: &DatabaseArgs, args: &DemoArgs) -> Result<(), Failure> {
    let options = DemoOptions {
        seed: args.seed,
        inquiries: args.inquiries,
        today: demo::start_of_today(),
    };
    let bar = progress_bar(0, "{pos}/{len}");
    let summary = closing(open(database).await?, async |db| {
        Ok(demo::generate(db, &options, &step_progress(&bar)).await?)
    })
    .await?;
    bar.finish_and_clear();
    let DemoSummary {
        users,
        accounts,
        contacts,
        inquiries,
        leads,
        work_items,
        opportunities,
        activities,
        forecasts,
    } = summary;
    say!(
        "demo company ready: {users} people, {accounts} accounts with {contacts} contacts, \
         {inquiries} inquiries, {leads} leads, {work_items} work items, \
         {opportunities} opportunities, {activities} activities, {forecasts} forecasts"
    );
    say!(
        "sign in as owner@{DEMO_DOMAIN} (or manager1@, marketer1@, qualifier1@, hunter1@, \
         farmer1@, service1@, operations1@…) with the password {DEMO_PASSWORD}"
    );
    Ok(())
}

pub async fn generate(database: &DatabaseArgs, args: &GenerateArgs) -> Result<(), Failure> {
    let options = LargeOptions {
        seed: args.seed,
        leads: args.leads,
        activities: args.activities,
        opportunities: args.opportunities,
        quarters: args.quarters,
        today: demo::start_of_today(),
    };
    let bar = progress_bar(0, "{pos}/{len}");
    let started = std::time::Instant::now();
    let summary = closing(open(database).await?, async |db| {
        Ok(large_company::generate(db, &options, &step_progress(&bar)).await?)
    })
    .await?;
    bar.finish_and_clear();
    let LargeSummary {
        users,
        teams,
        accounts,
        contacts,
        campaigns,
        leads,
        lead_stage_history,
        work_items,
        assignment_history,
        opportunities,
        activities,
        forecasts,
        forecast_lines,
        call_sheets,
        call_sheet_lines,
    } = summary;
    say!(
        "large company ready in {:.0} s: {users} people in {teams} teams, {accounts} accounts with \
         {contacts} contacts, {campaigns} campaigns, {leads} leads with {lead_stage_history} stage \
         changes, {work_items} work items with {assignment_history} assignment changes, \
         {opportunities} opportunities, {activities} activities, {forecasts} forecasts \
         with {forecast_lines} lines, {call_sheets} call sheets with {call_sheet_lines} lines",
        started.elapsed().as_secs_f64()
    );
    say!(
        "sign in as owner@{LARGE_DOMAIN} (or manager1@, hunter1@…) with the password {DEMO_PASSWORD}"
    );
    Ok(())
}

/// Shows a generator's `(step, done, total)` progress on `bar`; where
/// stderr is no terminal (a log, a pipe), which the bar does not draw on,
/// each step is named once as it starts. Its count is not: a step's total
/// grows as it learns what it writes, and the summary gives the counts.
fn step_progress(bar: &ProgressBar) -> impl Fn(&str, u64, u64) {
    let current = std::sync::Mutex::new(String::new());
    move |step, done, total| {
        let mut current = current.lock().unwrap_or_else(|e| e.into_inner());
        if bar.is_hidden() && *current != step {
            eprintln!("writing {step}…");
        }
        step.clone_into(&mut current);
        bar.set_message(step.to_string());
        bar.set_length(total);
        bar.set_position(done);
    }
}

pub async fn reprocess(database: &DatabaseArgs, args: &ReprocessArgs) -> Result<(), Failure> {
    closing(open(database).await?, async |db| {
        let ids = db.waiting_inquiries(args.limit.unwrap_or(i64::MAX)).await?;
        if ids.is_empty() {
            say!("no inquiries are waiting");
            return Ok(());
        }
        let bar = progress_bar(ids.len() as u64, "{pos}/{len} inquiries");
        bar.set_message("processing");
        let (mut processed, mut elsewhere) = (0, 0);
        let mut still_failing = Vec::new();
        for batch in ids.chunks(BATCH) {
            for outcome in db.process_inquiries(batch).await? {
                match outcome.status {
                    InquiryStatus::NeedsAttention => still_failing.push(outcome),
                    _ if outcome.done_elsewhere() => elsewhere += 1,
                    _ => processed += 1,
                }
            }
            bar.inc(batch.len() as u64);
        }
        bar.finish_and_clear();
        // A server's retry job or another run may take some first.
        let elsewhere = match elsewhere {
            0 => String::new(),
            n => format!(" ({n} more processed meanwhile by a server or another run)"),
        };
        say!(
            "processed {}{elsewhere}, {} still needing attention",
            counted(processed, "inquiries"),
            still_failing.len()
        );
        // Those past the limit were not tried; they wait for the next run.
        if args.limit.is_some() {
            let waiting = db.waiting_inquiries(i64::MAX).await?.len();
            let untried = waiting.saturating_sub(still_failing.len()) as u64;
            if untried > 0 {
                say!(
                    "{} more waiting past --limit: run again to process them",
                    counted(untried, "inquiries")
                );
            }
        }
        for outcome in &still_failing {
            let error = outcome.error.as_deref().unwrap_or("no error recorded");
            say!("  inquiry {}: {error}", outcome.inquiry_id);
        }
        // As an import does: 3 when part was done, 1 when none of it was.
        let failing = counted(still_failing.len() as u64, "inquiries");
        match (processed, still_failing.is_empty()) {
            (_, true) => Ok(()),
            (0, false) => Err(Failure::runtime(format!(
                "{failing} could not be processed (see above)"
            ))),
            (_, false) => Err(Failure::partial(format!(
                "{failing} left needing attention (see above); the others were processed"
            ))),
        }
    })
    .await
}

pub async fn backup(database: &DatabaseArgs, args: &BackupArgs) -> Result<(), Failure> {
    if database.database_url.is_some() {
        return Err(Failure::bad_input(
            "backup copies the embedded SQLite database of --data-dir; for PostgreSQL use pg_dump",
        ));
    }
    // Opening a missing database would create an empty one, and back that up.
    if !database.exists() {
        return Err(Failure::bad_input(format!(
            "{} holds no database to back up",
            database.data_dir.display()
        )));
    }
    if args.file.as_os_str() == "-" {
        return Err(Failure::bad_input(
            "name the file to write the backup to: `-` would make a file of that name, and \
             standard output is not offered, since a backup is a whole database file",
        ));
    }
    if args.file.exists() {
        return Err(Failure::bad_input(format!(
            "{} already exists: name a new file",
            args.file.display()
        )));
    }
    let folder = args.file.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(folder) = folder.filter(|folder| !folder.is_dir()) {
        return Err(Failure::bad_input(format!(
            "the folder {} does not exist",
            folder.display()
        )));
    }
    // The copy is of the database as it is: migrating it first would defeat
    // a backup taken before an upgrade.
    closing(connect(database).await?, async |db| {
        Ok(db.backup_to(&args.file).await?)
    })
    .await?;
    let size = std::fs::metadata(&args.file)
        .map_err(|error| Failure::runtime(format!("{}: {error}", args.file.display())))?
        .len();
    say!(
        "backed up to {} ({})",
        args.file.display(),
        human_size(size)
    );
    Ok(())
}

/// Replaces the embedded database with a backup. The backup is copied into a
/// side folder and checked there, so neither it nor the current database is
/// touched until the copy is known to be a Baton database.
pub async fn restore(database: &DatabaseArgs, args: &RestoreArgs) -> Result<(), Failure> {
    if database.database_url.is_some() {
        return Err(Failure::bad_input(
            "restore replaces the embedded SQLite database of --data-dir; for PostgreSQL use pg_restore",
        ));
    }
    // A file that cannot be a backup is refused before the data folder is
    // touched.
    let unreadable = |error: std::io::Error| {
        Failure::bad_input(format!("cannot read {}: {error}", args.file.display()))
    };
    let mut backup = File::open(&args.file).map_err(unreadable)?;
    // Opening a file that is not SQLite at all would only time out.
    if !starts_like_sqlite(&mut backup).map_err(unreadable)? {
        return Err(Failure::bad_input(format!(
            "{} is not a Baton backup: it is not an SQLite database",
            args.file.display()
        )));
    }
    let data_dir = &database.data_dir;
    let target = data_dir.join(DATABASE_FILE);
    // Held until the restore ends, so that no command starts on the
    // folder meanwhile: they wait for it.
    std::fs::create_dir_all(data_dir).map_err(|error| {
        Failure::runtime(format!("cannot make {}: {error}", data_dir.display()))
    })?;
    let lock = data_dir_lock(data_dir)?;
    match lock.try_lock() {
        Ok(()) => {
            let _ = DATA_DIR_LOCK.set(lock);
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(Failure::bad_input(format!(
                "another baton command is using {} (a server, an import, a report…): \
                 stop it or let it finish, then restore",
                data_dir.display()
            )));
        }
        Err(std::fs::TryLockError::Error(error)) => {
            return Err(Failure::runtime(format!(
                "cannot lock {}: {error}",
                data_dir.display()
            )));
        }
    }
    if target.exists() && !args.force {
        return Err(Failure::bad_input(format!(
            "{} already holds a database: stop the server, then run again with --force to replace it",
            data_dir.display()
        )));
    }
    let staging = data_dir.join("restoring");
    // A folder left by an interrupted restore holds nothing worth keeping.
    remove_folder(&staging)?;
    let staged = DbOptions::sqlite_in(&staging)?;
    let copy = staging.join(DATABASE_FILE);
    let copied = File::create(&copy).and_then(|mut file| {
        std::io::copy(&mut backup, &mut file)?;
        file.sync_all()
    });
    if let Err(error) = copied {
        remove_folder(&staging)?;
        return Err(Failure::runtime(format!(
            "cannot copy {} into {}: {error}",
            args.file.display(),
            staging.display()
        )));
    }
    if let Err(problem) = check_baton_database(&staged).await {
        remove_folder(&staging)?;
        return Err(Failure::bad_input(format!(
            "{} is not a Baton backup: {problem}",
            args.file.display()
        )));
    }
    // SQLite would replay a write-ahead log left by the replaced database
    // into the restored one.
    for suffix in ["-wal", "-shm"] {
        remove_file(&data_dir.join(format!("{DATABASE_FILE}{suffix}")))?;
    }
    std::fs::rename(&copy, &target)
        .map_err(|error| Failure::runtime(format!("cannot move the backup into place: {error}")))?;
    remove_folder(&staging)?;
    let people = closing(open(database).await?, async |db| {
        Ok(db.users().await?.iter().filter(|user| user.active).count())
    })
    .await?;
    let can_sign_in = match people {
        1 => "1 person can sign in".to_string(),
        n => format!("{n} people can sign in"),
    };
    say!(
        "restored {} into {} ({can_sign_in}); start the server again",
        args.file.display(),
        target.display(),
    );
    Ok(())
}

/// Whether the file begins with SQLite's header; leaves it at its start.
fn starts_like_sqlite(file: &mut File) -> std::io::Result<bool> {
    const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
    let mut header = [0; 16];
    let matches = match file.read_exact(&mut header) {
        Ok(()) => &header == SQLITE_HEADER,
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => false,
        Err(error) => return Err(error),
    };
    file.rewind()?;
    Ok(matches)
}

/// Opens the database, checks that it is whole, and reads a table every
/// Baton database has.
async fn check_baton_database(options: &DbOptions) -> Result<(), Failure> {
    // SQLite's own complaint names the staging file, which is no concern of
    // the person restoring.
    let db = Db::connect(options).await.map_err(|_| {
        Failure::bad_input("it cannot be opened as a database: the file is damaged or cut short")
    })?;
    closing(db, async |db| {
        if let Some(damage) = db.damage().await? {
            return Err(Failure::bad_input(format!(
                "the database is damaged: {damage}"
            )));
        }
        db.has_no_users().await?;
        db.refuse_newer_schema().await?;
        Ok(())
    })
    .await
}

fn remove_file(path: &Path) -> Result<(), Failure> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(Failure::runtime(
            format!("cannot remove {}: {error}", path.display()),
        )),
        _ => Ok(()),
    }
}

fn remove_folder(path: &Path) -> Result<(), Failure> {
    match std::fs::remove_dir_all(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(Failure::runtime(
            format!("cannot remove {}: {error}", path.display()),
        )),
        _ => Ok(()),
    }
}

/// `1.2 MB`, `340.0 kB`, `512 bytes`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["kB", "MB", "GB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut size = bytes as f64 / 1000.0;
    let mut unit = 0;
    while size >= 1000.0 && unit + 1 < UNITS.len() {
        size /= 1000.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(340_000), "340.0 kB");
        assert_eq!(human_size(1_234_567), "1.2 MB");
    }
}
