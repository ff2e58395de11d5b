//! The `baton` binary: parses the command line, sets up logging and runs the
//! command on a tokio runtime. Exit codes: 0 success, 1 runtime error,
//! 2 usage error or bad input, 3 an import that kept the good rows and
//! rejected others.

mod cli;
mod commands;
mod failure;
mod output;

use clap::Parser;
use cli::{Cli, Command};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(commands::run(cli));
    let unwritten = output::failure();
    if let Some(error) = &unwritten {
        eprintln!("error: cannot write the output: {error}");
    }
    match outcome {
        Ok(()) if unwritten.is_some() => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

/// Logs go to stderr so that stdout carries only results (tokens, summaries).
/// The server reports its work at info; one-shot commands speak only when
/// something is wrong.
fn init_tracing(cli: &Cli) {
    let default_level = match (&cli.command, cli.verbose) {
        (_, true) => "debug",
        (Command::Serve(_), false) => "info",
        // A command's long statements (a backup's copy, an import's
        // batches) are its work, not a warning worth printing each time.
        (_, false) => "warn,sqlx::query=error",
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
