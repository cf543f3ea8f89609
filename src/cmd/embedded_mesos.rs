//! `flink-mesos local embedded-mesos` (hidden): runs the embedded
//! single-node Mesos master + agent in the foreground until SIGTERM or
//! SIGINT, then kills every task's process group and exits 0. `local up
//! --mesos embedded` starts it as a detached child, as it starts the
//! genuine `mesos-local`. A thin wrapper over [`crate::embedded`]; it logs
//! with `tracing` on stderr and prints nothing else.

use std::time::Duration;

use crate::cli::{GlobalArgs, LocalEmbeddedMesosArgs};
use crate::embedded::{EmbeddedConfig, EmbeddedMesos};
use crate::error::{Error, Result};

pub fn run(_global: &GlobalArgs, args: &LocalEmbeddedMesosArgs) -> Result<()> {
    if !(args.heartbeat_interval.is_finite() && args.heartbeat_interval > 0.0) {
        return Err(Error::Usage(
            "--heartbeat-interval must be a number of seconds above zero".into(),
        ));
    }
    let config = EmbeddedConfig {
        port: args.port,
        work_dir: args.work_dir.clone(),
        resources: args.resources.clone(),
        attributes: args.attributes.clone(),
        hostname: args.hostname.clone(),
        heartbeat_interval: Duration::from_secs_f64(args.heartbeat_interval.min(86_400.0)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    rt.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let watch = |kind: SignalKind, name: &'static str| {
            signal(kind).map_err(|e| Error::io(format!("cannot watch {name}"), e))
        };
        // SIGHUP and SIGQUIT too: their default action would end the process
        // without stopping the tasks, which run in sessions of their own.
        let (mut term, mut int, mut hup, mut quit) = (
            watch(SignalKind::terminate(), "SIGTERM")?,
            watch(SignalKind::interrupt(), "SIGINT")?,
            watch(SignalKind::hangup(), "SIGHUP")?,
            watch(SignalKind::quit(), "SIGQUIT")?,
        );
        let mesos = EmbeddedMesos::start(config).await?;
        tracing::info!(url = %mesos.url(), "serving; SIGTERM, SIGINT, SIGHUP or SIGQUIT stops it");
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
            _ = hup.recv() => {},
            _ = quit.recv() => {},
        }
        tracing::info!("signal received; stopping");
        mesos.shutdown().await;
        Ok(())
    })
}
