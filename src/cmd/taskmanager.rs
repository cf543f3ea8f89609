//! `flink-mesos taskmanager`: the entry point Mesos runs for each worker.
//! Validates the configuration it was handed, then lets
//! [`crate::taskmanager`] run the TaskManager JVM; exits with the JVM's code.

use std::io::{IsTerminal, Write};

use crate::cli::{GlobalArgs, TaskmanagerArgs};
use crate::config::settings::{self, Purpose, ValidateOptions};
use crate::config::{Config, LoadOptions};
use crate::error::{Error, Result};
use crate::flink::Output;
use crate::taskmanager::{self, Options, TASK_ID_ENV};

pub fn run(global: &GlobalArgs, args: &TaskmanagerArgs) -> Result<()> {
    let config = Config::load(&LoadOptions::from_global(global))?;
    let report = settings::resolve(
        &config,
        ValidateOptions {
            purpose: Purpose::Taskmanager,
            strict: false,
        },
    );
    {
        let stderr = std::io::stderr();
        let color = super::use_color(global, stderr.is_terminal());
        let mut err = stderr.lock();
        for d in &report.diagnostics {
            if global.quiet && !d.is_error() {
                continue;
            }
            writeln!(err, "{}", d.render(color))?;
        }
    }
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
    let opts = Options {
        flink_home: args.flink_home.clone(),
        sandbox,
        skip_bootstrap: args.skip_bootstrap,
        task_id: std::env::var(TASK_ID_ENV).ok().filter(|s| !s.is_empty()),
        output: if args.output_files {
            Output::Files
        } else {
            Output::Inherit
        },
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(taskmanager::run(&config, &settings, &opts))
}
