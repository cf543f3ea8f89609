//! One module per subcommand. This is the only layer that prints, prompts or
//! chooses how the process ends (through the `Result` it hands to `main`).

// The `[lints]` table in Cargo.toml denies printing elsewhere.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs, LogFormat, OutputFormat};
use crate::config::settings::{self, Purpose, Report, ValidateOptions};
use crate::config::{Config, LoadOptions};
use crate::error::{Error, Result};

pub mod appmaster;
pub mod completions;
pub mod config_show;
pub mod embedded_mesos;
pub mod local;
pub mod marathon_json;
pub mod master;
pub mod scale;
pub mod taskmanager;
pub mod validate_conf;
pub mod workers;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let global = cli.global;
    if global.output == OutputFormat::Yaml
        && !matches!(cli.command, Command::Workers(_) | Command::Framework(_))
    {
        return Err(Error::Usage(
            "--output yaml is available for `workers` and `framework` only; use --output json"
                .into(),
        ));
    }
    match cli.command {
        Command::Appmaster(args) => appmaster::run(&global, &args),
        Command::Taskmanager(args) => taskmanager::run(&global, &args),
        Command::ValidateConf(args) => validate_conf::run(&global, &args),
        Command::Config(crate::cli::ConfigCommand::Show(args)) => config_show::run(&global, &args),
        Command::Master(args) => master::run(&global, &args),
        Command::Workers(command) => workers::run(&global, command),
        Command::Framework(command) => workers::run_framework(&global, command),
        Command::MarathonJson(args) => marathon_json::run(&global, &args),
        Command::Local(command) => local::run(&global, &command),
        Command::Completions(args) => completions::run(&global, &args),
        Command::Man(args) => completions::man(&global, &args),
    }
}

/// What `--conf-dir`, `-D` and the environment ask to load.
pub fn load_options(global: &GlobalArgs) -> LoadOptions {
    LoadOptions {
        conf_dir: global.conf_dir.clone(),
        dynamic: global.dynamic.clone(),
        env: LoadOptions::process_env(),
    }
}

/// Loads the configuration the command line names (problems in it are
/// diagnostics, see [`Config::load`]).
pub fn load_config(global: &GlobalArgs) -> Result<Config> {
    Ok(Config::load(&load_options(global))?)
}

/// Loads the configuration and checks it for `purpose`, printing the
/// diagnostics on stderr exactly as `validate-conf` prints them (stdout stays
/// for data). The report's settings are there only when nothing is wrong.
pub fn load_checked(global: &GlobalArgs, purpose: Purpose) -> Result<(Config, Report)> {
    let config = load_config(global)?;
    let report = check_loaded(global, &config, purpose)?;
    Ok((config, report))
}

/// [`load_checked`] for a configuration already loaded.
pub fn check_loaded(global: &GlobalArgs, config: &Config, purpose: Purpose) -> Result<Report> {
    let report = settings::resolve(
        config,
        ValidateOptions {
            purpose,
            strict: false,
        },
    );
    if !report.diagnostics.is_empty() {
        let stderr = std::io::stderr();
        let color = use_color(global, stderr.is_terminal());
        let mut err = stderr.lock();
        validate_conf::write_report(
            &mut err,
            config,
            &report,
            global.output,
            color,
            global.quiet,
        )?;
        err.flush()?;
    }
    Ok(report)
}

/// Writes `value` as pretty JSON and a newline: the one way commands print
/// JSON. A write error keeps its kind (a closed stdout still exits quietly);
/// a value that cannot be serialized is an internal error, never an empty
/// line.
pub fn write_json(out: &mut (impl Write + ?Sized), value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Internal(format!("cannot render JSON: {e}")))?;
    writeln!(out, "{text}")?;
    Ok(())
}

/// Writes `value` as one line of compact JSON (one object per line, for
/// pipelines that read line by line).
pub fn write_json_line(
    out: &mut (impl Write + ?Sized),
    value: &impl serde::Serialize,
) -> Result<()> {
    let text = serde_json::to_string(value)
        .map_err(|e| Error::Internal(format!("cannot render JSON: {e}")))?;
    writeln!(out, "{text}")?;
    Ok(())
}

/// A single-threaded async runtime for a command that makes a few network
/// calls.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))
}

/// Whether human output on this stream should be coloured.
pub fn use_color(global: &GlobalArgs, stream_is_terminal: bool) -> bool {
    match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stream_is_terminal && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// Logs go to stderr: human on a terminal, JSON with `--log-format json`.
/// `RUST_LOG` overrides the level chosen by `-v`/`-q`.
pub fn init_logging(global: &GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let level = if global.quiet {
        "error"
    } else {
        match global.verbose {
            0 => "info",
            1 => "debug",
            _ => "trace",
        }
    };
    // The ZooKeeper client logs every session it opens at info; that is
    // noise next to our own messages unless asked for with -v.
    let level = if level == "info" {
        "info,zookeeper_client=warn"
    } else {
        level
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(use_color(global, std::io::stderr().is_terminal()));
    let _ = match global.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Counts SIGTERM and SIGINT: 1 asks for a graceful stop, 2 forces it.
/// Call it inside the async runtime.
pub fn stop_signals() -> Result<tokio::sync::watch::Receiver<u32>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| Error::io("cannot watch SIGTERM", e))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| Error::io("cannot watch SIGINT", e))?;
    let (tx, rx) = tokio::sync::watch::channel(0u32);
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            let count = *tx.borrow() + 1;
            tracing::warn!(signal = name, count, "signal received");
            tx.send_replace(count);
        }
    });
    Ok(rx)
}
