//! `flink-mesos taskmanager`: the entry point Mesos runs for each worker.
//! Validates the configuration it was handed, then lets
//! [`crate::taskmanager`] run the TaskManager JVM; exits with the JVM's code.

use std::io::Write;

use crate::cli::{GlobalArgs, OutputFormat, TaskmanagerArgs};
use crate::config::settings::Purpose;
use crate::error::{Error, Result};
use crate::flink::Output;
use crate::taskmanager::{self, Options, TASK_ID_ENV};

pub fn run(global: &GlobalArgs, args: &TaskmanagerArgs) -> Result<()> {
    let (config, report) = super::load_checked(global, Purpose::Taskmanager)?;
    let Some(settings) = report.settings else {
        if let Some(message) = taskmanager::memory_cannot_fit(&report) {
            return Err(crate::flink::FlinkError::Memory {
                role: "TaskManager",
                message,
            }
            .into());
        }
        return Err(Error::Reported {
            errors: report.errors(),
        });
    };
    let sandbox = match &args.sandbox {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()
            .map_err(|e| Error::io("cannot read the working directory", e))?,
    };
    // A relative FLINK_HOME (the appmaster ships Flink as `flink` in the
    // sandbox) is relative to the sandbox.
    let flink_home = args.flink_home.as_ref().map(|p| sandbox.join(p));
    let opts = Options {
        flink_home,
        sandbox,
        skip_bootstrap: args.skip_bootstrap || args.dry_run,
        task_id: std::env::var(TASK_ID_ENV).ok().filter(|s| !s.is_empty()),
        output: if args.output_files {
            Output::Files
        } else {
            Output::Inherit
        },
    };
    if args.dry_run {
        let (command, version) = taskmanager::prepare(&config, &settings, &opts)?;
        return print_command(global, &command, version);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(taskmanager::run(&config, &settings, &opts))
}

/// `--dry-run`: the command, shell-quoted (text) or as JSON. It holds no
/// secrets; they are in the configuration file.
fn print_command(
    global: &GlobalArgs,
    command: &crate::flink::JvmCommand,
    version: crate::flink::FlinkVersion,
) -> Result<()> {
    let conf_file = command
        .conf_dir
        .join(crate::flink::conf::file_name(version));
    let mut out = std::io::stdout().lock();
    match global.output {
        OutputFormat::Json | OutputFormat::Yaml => {
            let doc = serde_json::json!({
                "flink_version": version.to_string(),
                "program": command.program,
                "args": command.args,
                "env": command.env.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
                "conf_file": conf_file,
                "log_file": command.log_file,
            });
            super::write_json(&mut out, &doc)?;
        }
        OutputFormat::Text => {
            writeln!(
                out,
                "# Flink {version} TaskManager; configuration {} (mode 0600), log {}",
                conf_file.display(),
                command.log_file.display()
            )?;
            let words = std::iter::once(command.program.display().to_string())
                .chain(command.args.iter().cloned());
            writeln!(out, "{}", crate::shell::join(words))?;
        }
    }
    out.flush()?;
    Ok(())
}
