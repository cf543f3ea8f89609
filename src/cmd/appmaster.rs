//! `flink-mesos appmaster`: load and check the configuration, lock the work
//! directory, prepare the JobManager and what the workers fetch, then let
//! [`crate::appmaster::serve`] run the cluster until a signal or a cluster
//! failure, and turn how it ended into an exit code.
//!
//! Signals: the first SIGTERM/SIGINT asks the appmaster to stop (tear the
//! framework down, or leave it with `--keep-framework`); a second one ends
//! the process at once.
//!
//! A job cluster (`--job-jar`): the JAR is checked before anything starts;
//! the first signal stops the job (with a savepoint when a directory is
//! configured) and the appmaster ends with the job: 0 for FINISHED or a
//! savepoint (whose path it prints), the job's codes for FAILED (with the
//! cause) and CANCELED (`src/appmaster/job.rs`). High availability and the leadership rounds are
//! `serve`'s (see its module docs).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::appmaster::job::{JobCluster, JobEnd, JobError};
use crate::appmaster::serve::{self, Ended};
use crate::cli::{AppmasterArgs, GlobalArgs};
use crate::config::options::Key;
use crate::config::settings::Purpose;
use crate::error::{Error, Result};
use crate::flink::jobjar;
use crate::flink::launch::JobProgram;

pub fn run(global: &GlobalArgs, args: &AppmasterArgs) -> Result<()> {
    let (config, report) = super::load_checked(global, Purpose::Appmaster)?;
    let Some(settings) = report.settings else {
        return Err(Error::Reported {
            errors: report.errors(),
        });
    };
    let Some(master) = settings.master.clone() else {
        return Err(Error::User(format!(
            "{} is not set; the appmaster needs to know the Mesos master",
            Key::MesosMaster
        )));
    };
    // Before any thread: the Kerberos library reads its environment.
    if let Some(kerberos) = settings.ha.as_ref().and_then(|ha| ha.kerberos.as_ref()) {
        crate::store::zk::kerberos_environment(kerberos);
    }
    // A job cluster's JAR is checked before anything starts.
    let job = match &args.job_jar {
        Some(jar) => {
            let checked = jobjar::check(jar, args.job.job_classname.as_deref())?;
            if let Some(note) = &checked.note {
                tracing::info!("{note}");
            }
            tracing::info!(jar = %checked.path.display(), class = %checked.entry_class, "job cluster");
            let savepoint_on_stop = args.job.savepoint_on_stop.clone().or_else(|| {
                config
                    .get(Key::ExecutionCheckpointingSavepointDir.def())
                    .map(|e| e.value.clone())
                    .filter(|v| !v.trim().is_empty())
            });
            Some((
                JobProgram {
                    jar: checked.path,
                    entry_class: checked.entry_class,
                    from_savepoint: args.job.from_savepoint.clone(),
                    allow_non_restored_state: args.job.allow_non_restored_state,
                    args: args.job.job_args.clone(),
                },
                JobCluster { savepoint_on_stop },
            ))
        }
        None => None,
    };
    // Without high availability a new JobManager would run the job again
    // from its start: a job cluster's JobManager is not restarted then.
    let jobmanager_restarts = if job.is_some() && settings.ha.is_none() {
        0
    } else {
        args.jobmanager_restarts
    };
    // Whatever the caller's umask (Marathon's sandbox may leave 000), what
    // this process and the JobManager create is its user's alone: the work
    // directory holds the workers' configuration and the JobManager's logs.
    // SAFETY: umask(2) cannot fail.
    unsafe { libc::umask(0o077) };
    // Every path handed to a child process or served is absolute: the
    // JobManager runs with its own working directory (a relative default
    // once made Flink look for its configuration below itself).
    let work_dir = absolute(
        args.work_dir
            .clone()
            .or_else(|| std::env::var_os("MESOS_SANDBOX").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("flink-mesos-appmaster")),
    )?;
    let serve::Prepared {
        inputs,
        work_dir_lock: _held_until_exit,
    } = serve::prepare(serve::Setup {
        config: &config,
        settings,
        master,
        work_dir,
        flink_home: args.flink_home.clone().map(absolute).transpose()?,
        run_jobmanager: !args.no_jobmanager,
        jobmanager_restarts,
        keep_framework: args.keep_framework,
        status_addr: SocketAddr::new(args.status_bind, args.status_port.unwrap_or(0)),
        self_exe: std::env::current_exe().ok(),
        hadoop_conf_dir: std::env::var_os("HADOOP_CONF_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        job,
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    let ended = runtime.block_on(async {
        let signals = super::stop_signals()?;
        let mut announced = Ok(());
        let ended = serve::serve(inputs, signals, |at| {
            let mut out = std::io::stdout().lock();
            announced = writeln!(
                out,
                "status: http://{s}/status  metrics: http://{s}/metrics  artifacts: {}",
                at.artifacts,
                s = at.status
            )
            .and_then(|()| out.flush());
        })
        .await;
        announced?;
        Ok::<_, Error>(ended?)
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    match ended? {
        Ended::Stopped => Ok(()),
        Ended::Job(end) => job_ended(end),
        Ended::TooManyFailures {
            failed,
            limit,
            last,
        } => Err(Error::Failed(format!(
            "stopping the Flink cluster: {failed} TaskManager(s) failed, more than \
             mesos.maximum-failed-tasks = {limit}; the framework was torn down. Last failure: {last}"
        ))),
        Ended::JobManagerFailed(message) => Err(Error::Failed(format!(
            "stopping the Flink cluster: {message}"
        ))),
        Ended::Forced => Err(Error::Failed(
            "second signal: exiting at once; the framework and its workers are left as they are \
             (they end when mesos.failover-timeout runs out)"
                .into(),
        )),
    }
}

/// A job cluster's end: 0 for FINISHED and for a savepoint (its path on
/// stdout), the job's own codes for FAILED and CANCELED.
fn job_ended(end: JobEnd) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match end {
        JobEnd::Finished { id, name } => {
            writeln!(out, "job {name} ({id}) FINISHED")?;
            Ok(())
        }
        JobEnd::Savepoint { id, name, path } => {
            writeln!(out, "job {name} ({id}) stopped with a savepoint")?;
            writeln!(out, "savepoint: {path}")?;
            Ok(())
        }
        JobEnd::NotStarted => {
            writeln!(out, "stopped before the job was submitted")?;
            Ok(())
        }
        JobEnd::Failed { id, name, cause } => Err(JobError::Failed { id, name, cause }.into()),
        JobEnd::Canceled { id, name, reason } => {
            Err(JobError::Canceled { id, name, reason }.into())
        }
    }
}

fn absolute(path: PathBuf) -> Result<PathBuf> {
    std::path::absolute(&path)
        .map_err(|e| Error::io(format!("cannot make {} absolute", path.display()), e))
}
