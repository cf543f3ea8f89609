//! `flink-mesos taskmanager`: the entry point Mesos runs for each worker.
//! Validates the configuration it was handed, then lets
//! [`crate::taskmanager`] run the TaskManager JVM; exits with the JVM's code.

use std::io::Write;

use crate::cli::{GlobalArgs, OutputFormat, TaskmanagerArgs};
use crate::config::settings::Purpose;
use crate::error::{Error, Result};
use crate::flink::Output;
use crate::taskmanager::{self, Options, SandboxPaths, TASK_ID_ENV};

pub fn run(global: &GlobalArgs, args: &TaskmanagerArgs) -> Result<()> {
    // Every path the appmaster ships is relative to the sandbox, which is
    // not the working directory in a Docker container (the image's WORKDIR):
    // resolve them against $MESOS_SANDBOX, and work in the sandbox.
    let cwd =
        std::env::current_dir().map_err(|e| Error::io("cannot read the working directory", e))?;
    let hadoop = std::env::var_os("HADOOP_CONF_DIR").map(std::path::PathBuf::from);
    let paths = SandboxPaths::resolve(
        args.sandbox.as_deref(),
        &cwd,
        global.conf_dir.as_deref(),
        args.flink_home.as_deref(),
        hadoop.as_deref(),
    );
    if paths.sandbox != cwd {
        std::env::set_current_dir(&paths.sandbox).map_err(|e| {
            Error::io(
                format!(
                    "cannot enter the sandbox {} ($MESOS_SANDBOX or --sandbox)",
                    paths.sandbox.display()
                ),
                e,
            )
        })?;
    }
    if let Some(dir) = &paths.hadoop_conf_dir {
        // Still one thread: the runtime starts below. The JVM inherits it.
        std::env::set_var("HADOOP_CONF_DIR", dir);
    }
    let global = &GlobalArgs {
        conf_dir: paths.conf_dir.clone(),
        ..global.clone()
    };
    let mut config = super::load_config(global)?;
    let sandbox = paths.sandbox.clone();
    let task_id = std::env::var(TASK_ID_ENV).ok().filter(|s| !s.is_empty());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    // The secrets come from the appmaster apart from the shipped
    // configuration, once per task (a dry run leaves them there). They stay
    // in `delivered` (a private directory outside the sandbox, removed when
    // it drops) until the TaskManager has ended.
    let delivered = if args.dry_run {
        None
    } else {
        runtime.block_on(taskmanager::secrets::receive(&sandbox, task_id.as_deref()))?
    };
    if let Some(d) = &delivered {
        tracing::info!(
            dir = %d.dir.path.display(),
            files = d.files,
            "received the secrets; the configuration that holds them stays in this directory, outside the sandbox"
        );
        config.load_text(
            "the secrets from the appmaster".into(),
            None,
            d.entries_yaml.clone(),
            true,
        );
    }
    let report = super::check_loaded(global, &config, Purpose::Taskmanager)?;
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
    // A relative FLINK_HOME (the appmaster ships Flink as `flink` in the
    // sandbox) is relative to the sandbox.
    let flink_home = paths.flink_home.clone();
    let opts = Options {
        flink_home,
        sandbox,
        skip_bootstrap: args.skip_bootstrap || args.dry_run,
        task_id,
        conf_dir: delivered.as_ref().map(|d| d.dir.path.join("conf")),
        login_config: delivered
            .as_ref()
            .map(|d| d.dir.path.join(crate::flink::zk_login::JAAS_FILE))
            .filter(|p| p.is_file()),
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
    let cleanup = delivered.as_ref().map(|d| d.dir.path.clone());
    let result = runtime.block_on(async {
        if let Some(dir) = cleanup {
            tokio::spawn(taskmanager::secrets::remove_on_signal(dir));
        }
        taskmanager::run(&config, &settings, &opts).await
    });
    drop(delivered);
    Ok(result?)
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
                // containerized.taskmanager.env.* may hold secrets.
                "env": command
                    .env
                    .iter()
                    .map(|(k, v)| {
                        let key = format!("{}{k}", crate::config::options::TASKMANAGER_ENV_PREFIX);
                        (k.clone(), crate::config::options::masked(&key, v))
                    })
                    .collect::<std::collections::BTreeMap<_, _>>(),
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
