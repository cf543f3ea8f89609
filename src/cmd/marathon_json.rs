//! `flink-mesos marathon-json`: the Marathon app definition that runs the
//! appmaster, from the effective configuration ([`crate::marathon`] builds
//! it), written to stdout as JSON or YAML, or sent to Marathon with
//! `--deploy URL` (`PUT /v2/apps/{id}`).
//!
//! Configuration errors block generation: they are printed like
//! `validate-conf` prints them and the command exits 1. Notes (secrets to
//! provide, values replaced) go to stderr, so stdout stays a clean document.

use std::io::Write;

use crate::cli::{DefinitionFormat, Entrypoint as EntrypointArg, GlobalArgs, MarathonJsonArgs};
use crate::config::secret::Secret;
use crate::config::settings::Purpose;
use crate::error::{Error, Result};
use crate::marathon::deploy::{self, Target, PASSWORD_VAR};
use crate::marathon::{self, Entrypoint, JobApp, Request};

pub fn run(global: &GlobalArgs, args: &MarathonJsonArgs) -> Result<()> {
    let (config, report) = super::load_checked(global, Purpose::Appmaster)?;
    let stderr = std::io::stderr();
    let Some(settings) = report.settings else {
        return Err(Error::Reported {
            errors: report.errors(),
        });
    };
    let definition = marathon::app_definition(&config, &settings, &request(args)?)?;
    if !global.quiet {
        let mut err = stderr.lock();
        for note in &definition.notes {
            writeln!(err, "note: {note}")?;
        }
        if let Some(warning) = script_check(args) {
            writeln!(err, "warning: {warning}")?;
        }
    }
    let mut out = std::io::stdout().lock();
    match &args.deploy {
        None => match args.format {
            DefinitionFormat::Json if args.pretty => super::write_json(&mut out, &definition.app)?,
            DefinitionFormat::Json => writeln!(out, "{}", definition.app)?,
            DefinitionFormat::Yaml => {
                writeln!(out, "{}", marathon::to_yaml(&definition.app).trim_end())?
            }
        },
        Some(url) => {
            let target = target(url, args)?;
            let answer = super::runtime()?.block_on(deploy::deploy(
                &target,
                &definition.id,
                &definition.app,
            ))?;
            if !global.quiet {
                writeln!(
                    stderr.lock(),
                    "deployed `{}` to {}: {}",
                    definition.id,
                    url.trim_end_matches('/'),
                    answer.status
                )?;
            }
            writeln!(out, "{}", answer.body.trim_end())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn request(args: &MarathonJsonArgs) -> Result<Request> {
    let flink_home = args.flink_home.clone();
    let entrypoint = match args.entrypoint {
        EntrypointArg::Script => Entrypoint::Script { flink_home },
        EntrypointArg::Binary => Entrypoint::Binary { flink_home },
    };
    Ok(Request {
        id: args.id.clone(),
        instances: args.instances,
        cpus: args.cpus,
        disk: args.disk,
        docker_image: args.docker_image.clone(),
        entrypoint,
        constraints: args.constraints.clone(),
        env: args.env.clone(),
        labels: args.labels.clone(),
        secret_store: args.secret_store.clone(),
        inline_config: args.inline_config,
        job: args.job_jar.as_ref().map(|jar| JobApp {
            jar: jar.clone(),
            classname: args.job.job_classname.clone(),
            from_savepoint: args.job.from_savepoint.clone(),
            allow_non_restored_state: args.job.allow_non_restored_state,
            savepoint_on_stop: args.job.savepoint_on_stop.clone(),
            args: args.job.job_args.clone(),
        }),
    })
}

/// Where `--deploy` goes; the password comes from the environment.
fn target(url: &str, args: &MarathonJsonArgs) -> Result<Target> {
    // Checked before the password, so a wrong address is reported first.
    deploy::apps_url(url, "", false)?;
    let credentials = match &args.deploy_user {
        None => None,
        Some(user) => {
            let password = std::env::var(PASSWORD_VAR).map_err(|_| {
                Error::Usage(format!(
                    "--deploy-user {user}: set ${PASSWORD_VAR} to the password (it is never taken from the command line)"
                ))
            })?;
            Some((user.clone(), Secret::new(password)))
        }
    };
    Ok(Target {
        url: url.to_string(),
        credentials,
        ca_file: args.deploy_ca.clone(),
        force: args.deploy_force,
    })
}

/// With `--entrypoint script --flink-home DIR` and DIR on this machine: what
/// is wrong with `DIR/bin/mesos-appmaster.sh`, which no Flink since 1.14
/// ships (and which in Flink up to 1.13 starts Flink's own Mesos mode, not
/// flink-mesos). Nothing when DIR is not here (a path on the agents).
fn script_check(args: &MarathonJsonArgs) -> Option<String> {
    if args.entrypoint != EntrypointArg::Script {
        return None;
    }
    let home = std::path::Path::new(args.flink_home.as_deref()?);
    if !home.is_dir() {
        return None;
    }
    let script = home.join("bin/mesos-appmaster.sh");
    let version = crate::flink::FlinkHome::open(home)
        .map(|h| format!(" (Flink {})", h.version))
        .unwrap_or_default();
    let source = marathon::cmd::SCRIPT_SOURCE;
    match std::fs::read_to_string(&script) {
        Err(_) => Some(format!(
            "{} does not exist{version}: no Flink since 1.14 ships it; copy {source} there, or leave out `--entrypoint script` to run `flink-mesos appmaster`",
            script.display()
        )),
        Ok(text) if !text.contains("flink-mesos") => Some(format!(
            "{} is Flink's own script{version}, which starts Flink's Mesos mode, not flink-mesos; replace it with {source}, or leave out `--entrypoint script`",
            script.display()
        )),
        Ok(_) => None,
    }
}
