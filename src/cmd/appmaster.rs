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

use tokio::sync::watch;

use crate::appmaster::serve::{self, Ended};
use crate::cli::{AppmasterArgs, GlobalArgs};
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
        return Err(Error::User(
            "mesos.master is not set; the appmaster needs to know the Mesos master".into(),
        ));
    };
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
        let signals = watch_signals()?;
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

/// Counts SIGTERM and SIGINT: 1 asks for a graceful stop, 2 forces it.
fn watch_signals() -> Result<watch::Receiver<u32>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| Error::io("cannot watch SIGTERM", e))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| Error::io("cannot watch SIGINT", e))?;
    let (tx, rx) = watch::channel(0u32);
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

fn absolute(path: PathBuf) -> Result<PathBuf> {
    std::path::absolute(&path)
        .map_err(|e| Error::io(format!("cannot make {} absolute", path.display()), e))
}
