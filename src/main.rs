//! Entry point: parse the command line, set up logging, dispatch, and map the
//! outcome to an exit code. Everything else lives in the library.

// With src/cmd/, the one place that may print (Cargo.toml `[lints]`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use flink_mesos::cli::Cli;
use flink_mesos::cmd;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to
            // stderr (exit 2); a closed pipe while printing is not an error.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    cmd::init_logging(&cli.global);
    match cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e, flink_mesos::error::Error::Reported { .. }) {
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(stderr, "error: {e}");
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
