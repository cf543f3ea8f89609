//! `flink-mesos appmaster`: load and check the configuration, lock the work
//! directory, prepare the JobManager and what the workers fetch, then let
//! [`crate::appmaster::serve`] run the cluster until a signal or a cluster
//! failure, and turn how it ended into an exit code.
//!
//! Signals: the first SIGTERM/SIGINT asks the appmaster to stop (tear the
//! framework down, or leave it with `--keep-framework`); a second one ends
//! the process at once. High availability and the leadership rounds are
//! `serve`'s (see its module docs).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::appmaster::serve::{self, Ended};
use crate::cli::{AppmasterArgs, GlobalArgs};
use crate::config::options::Key;
use crate::config::settings::Purpose;
use crate::error::{Error, Result};

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
        jobmanager_restarts: args.jobmanager_restarts,
        keep_framework: args.keep_framework,
        status_addr: SocketAddr::new(args.status_bind, args.status_port.unwrap_or(0)),
        self_exe: std::env::current_exe().ok(),
        hadoop_conf_dir: std::env::var_os("HADOOP_CONF_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
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

fn absolute(path: PathBuf) -> Result<PathBuf> {
    std::path::absolute(&path)
        .map_err(|e| Error::io(format!("cannot make {} absolute", path.display()), e))
}
