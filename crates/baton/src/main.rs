//! The `baton` binary: parses the command line, sets up logging and runs the
//! command on a tokio runtime. Exit codes: 0 success, 1 runtime error,
//! 2 usage error or bad input, 3 an import that kept the good rows and
//! rejected others.

mod cli;
mod commands;
mod failure;

use clap::Parser;
use cli::{Cli, Command};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli);
    end_quietly_when_output_is_closed();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

/// A reader that stops early (`baton report revenue | head`) closes
/// stdout, and printing to it then panics; the command ends quietly
/// instead, as command-line tools do.
fn end_quietly_when_output_is_closed() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Logs go to stderr so that stdout carries only results (tokens, summaries).
/// The server reports its work at info; one-shot commands speak only when
/// something is wrong.
fn init_tracing(cli: &Cli) {
    let default_level = match (&cli.command, cli.verbose) {
        (_, true) => "debug",
        (Command::Serve(_), false) => "info",
        (_, false) => "warn",
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
