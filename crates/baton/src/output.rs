//! Results go to stdout through [`say!`]. A reader that stops early
//! (`baton report revenue | head`) closes it: the command then finishes its
//! work quietly and ends with its own exit code (3 for an import that
//! rejected rows, whether anyone still reads or not). A stdout that cannot
//! be written (a full disk) is reported once the command ends, with exit
//! code 1, instead of a panic.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout can no longer be written; later lines are dropped.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Why writing failed, when it was not the reader going away.
static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Prints a line on stdout, as `println!` does, without panicking.
macro_rules! say {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes `text` and a newline to stdout unless it is closed.
pub fn line(text: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(text).and_then(|()| out.write_all(b"\n"));
    if let Err(error) = written {
        CLOSED.store(true, Ordering::Relaxed);
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            let mut failed = FAILED.lock().unwrap_or_else(|e| e.into_inner());
            failed.get_or_insert_with(|| error.to_string());
        }
    }
}

/// Writes a secret shown only once, with the lines before it, and makes
/// sure they left the process: unlike [`line`], a reader that went away is a
/// failure too, since the secret would be lost with it.
pub fn secret(lines: &[&str]) -> Result<(), String> {
    if CLOSED.load(Ordering::Relaxed) {
        return Err("standard output is closed".into());
    }
    let mut out = std::io::stdout().lock();
    let written = lines
        .iter()
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush());
    written.map_err(|error| {
        // Nothing more is written; the caller reports why.
        CLOSED.store(true, Ordering::Relaxed);
        error.to_string()
    })
}

/// Why the output could not be written, if it could not (a reader that
/// stopped early is not a failure).
pub fn failure() -> Option<String> {
    // What is still buffered is written now, so its failure counts too.
    if !CLOSED.load(Ordering::Relaxed)
        && let Err(error) = std::io::stdout().lock().flush()
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Some(error.to_string());
    }
    FAILED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}
