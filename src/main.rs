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
    let verbose = cli.global.verbose > 0;
    match cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e, flink_mesos::error::Error::Reported { .. }) {
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(stderr, "error: {e}");
                if let Some(hint) = e.hint() {
                    let _ = writeln!(stderr, "  = hint: {hint}");
                }
                // `-v`: the causes below the message, each once.
                if verbose {
                    let mut shown = e.to_string();
                    let mut cause = std::error::Error::source(&e);
                    while let Some(c) = cause {
                        let text = c.to_string();
                        if !shown.contains(&text) {
                            let _ = writeln!(stderr, "  caused by: {text}");
                            shown.push_str(&text);
                        }
                        cause = c.source();
                    }
                }
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
