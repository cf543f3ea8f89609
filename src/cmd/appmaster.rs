//! `flink-mesos appmaster`: validate the configuration, bind the status
//! endpoint, run the appmaster runtime (`src/appmaster/`) until a signal or a
//! cluster failure, and turn how it ended into an exit code.
//!
//! Signals: the first SIGTERM/SIGINT asks the runtime to stop (tear the
//! framework down, or leave it with `--keep-framework`); a second one ends
//! the process at once, whatever the runtime is waiting for.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::appmaster::jobmanager;
use crate::appmaster::plan::{self, Host};
use crate::appmaster::status::StatusServer;
use crate::appmaster::{self, Options, RunError};
use crate::artifacts::{self, overlay, ArtifactError, ArtifactServer, ServerOptions};
use crate::cli::{AppmasterArgs, GlobalArgs};
use crate::config::settings::Purpose;
use crate::error::{Error, Result};
use crate::scheduler::Outcome;
use crate::store::memory::MemoryStore;

pub fn run(global: &GlobalArgs, args: &AppmasterArgs) -> Result<()> {
    let (config, report) = super::load_checked(global, Purpose::Appmaster)?;
    let Some(settings) = report.settings else {
        return Err(Error::Reported {
            errors: report.errors(),
        });
    };
    if settings.ha.is_some() {
        return Err(Error::NotAvailable {
            command: "appmaster",
            what: "high-availability ZOOKEEPER needs the ZooKeeper worker store, which arrives \
                   with its own issue; set high-availability.type: NONE for now",
        });
    }
    let Some(master) = settings.master.clone() else {
        return Err(Error::User(
            "mesos.master is not set; the appmaster needs to know the Mesos master".into(),
        ));
    };
    let host = Host {
        hostname: plan::local_hostname(),
        user: plan::current_user(),
    };
    let mut plan = plan::plan(&settings, &config, &host, fastrand::f64());
    // Every path handed to a child process or served is absolute: the
    // JobManager runs with its own working directory (a relative default
    // once made Flink look for its configuration below itself).
    let work_dir = absolute(
        args.work_dir
            .clone()
            .or_else(|| std::env::var_os("MESOS_SANDBOX").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("flink-mesos-appmaster")),
    )?;
    let flink_home = args.flink_home.clone().map(absolute).transpose()?;
    // The TaskManagers get this address from the plan; the JobManager
    // listens on it and the artifact server serves there.
    let address = plan
        .template
        .properties
        .iter()
        .find(|(k, _)| k == "jobmanager.rpc.address")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| host.hostname.clone());
    let jobmanager = if args.no_jobmanager {
        None
    } else {
        Some(jobmanager::prepare(
            &config,
            &settings,
            flink_home.as_deref(),
            &address,
            &work_dir,
        )?)
    };
    let shipped_home = jobmanager
        .as_ref()
        .map(|j| j.home.root.clone())
        .or(flink_home);
    let overlays = overlay::build(&overlay::Inputs {
        settings: &settings,
        config: &config,
        flink_home: shipped_home.as_deref(),
        self_exe: std::env::current_exe().ok(),
        work_dir: &work_dir,
        hadoop_conf_dir: std::env::var_os("HADOOP_CONF_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    })
    .map_err(artifact_error)?;
    for note in &overlays.notes {
        tracing::info!("overlay: {note}");
    }
    tracing::info!(keys = %overlays.conf_keys.join(","), "TaskManager configuration (shipped as a file)");
    let registry = overlays.registry().map_err(artifact_error)?;
    let tls = if settings.artifact_server_ssl {
        let keystore = config
            .get_key("security.ssl.keystore")
            .map(|e| PathBuf::from(&e.value))
            .ok_or_else(|| {
                Error::User(
                    "security.ssl.keystore is required for the artifact server's TLS".into(),
                )
            })?;
        Some(artifacts::tls::server_config(&keystore).map_err(artifact_error)?)
    } else {
        None
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    let result = runtime.block_on(async {
        let addr = SocketAddr::new(args.status_bind, args.status_port.unwrap_or(0));
        let server = StatusServer::bind(addr)
            .await
            .map_err(|e| Error::io(format!("cannot listen on {addr} for /status"), e))?;
        let bound = server
            .local_addr()
            .map_err(|e| Error::io("status endpoint", e))?;
        let shown = if bound.ip().is_unspecified() {
            format!("{}:{}", host.hostname, bound.port())
        } else {
            bound.to_string()
        };
        tracing::info!(address = %bound, "status endpoint listening");
        let artifact_server = ArtifactServer::start(
            ServerOptions {
                bind_host: address.clone(),
                port: settings.artifact_server_port,
                advertised_host: address.clone(),
                tls,
            },
            registry,
        )
        .await
        .map_err(artifact_error)?;
        tracing::info!(address = %artifact_server.local_addr(), origin = %artifact_server.origin(), "artifact server listening");
        let mut uris = overlays.uris(artifact_server.base_url());
        uris.append(&mut plan.template.uris);
        plan.template.uris = uris;
        plan.template.environment.extend(overlays.environment.iter().cloned());
        plan.template.command = overlays.command.clone();
        // The Mesos web UI links the framework to Flink's web interface, or
        // to our status page when the JobManager runs elsewhere.
        plan.framework.webui_url = match jobmanager.as_ref().and_then(|j| j.web_ui_url.clone()) {
            Some(url) => Some(url),
            None => Some(format!("http://{shown}/status")),
        };
        {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "status: http://{shown}/status  metrics: http://{shown}/metrics  artifacts: {}",
                artifact_server.local_addr()
            )?;
            out.flush()?;
        }
        let signals = watch_signals()?;
        let mut second = signals.clone();
        let options = Options {
            keep_framework: args.keep_framework,
            artifact_server: Some(artifact_server.origin().to_string()),
            ..Options::default()
        };
        if args.keep_framework {
            tracing::warn!(
                "--keep-framework: without the ZooKeeper worker store the framework id lives in \
                 this process only, so a new appmaster registers a new framework; kept workers \
                 end when mesos.failover-timeout runs out"
            );
        }
        let store = MemoryStore::new();
        // The runtime stops when a signal arrives or the JobManager is beyond
        // saving; `stop` carries both.
        let (stop_tx, stop_rx) = watch::channel(0u32);
        let stop_tx = Arc::new(stop_tx);
        {
            let stop_tx = stop_tx.clone();
            let mut signals = signals.clone();
            tokio::spawn(async move {
                while signals.changed().await.is_ok() {
                    let n = *signals.borrow();
                    stop_tx.send_modify(|v| *v = (*v).max(n));
                }
            });
        }
        let (jm_stop_tx, jm_stop_rx) = watch::channel(false);
        let jm_failure: Arc<Mutex<Option<String>>> = Arc::default();
        let max_restarts = args.jobmanager_restarts;
        let jm_task = jobmanager.map(|prepared| {
            let (stop_tx, failure) = (stop_tx.clone(), jm_failure.clone());
            tokio::spawn(async move {
                let policy = jobmanager::RestartPolicy {
                    max_restarts,
                    ..jobmanager::RestartPolicy::default()
                };
                if let Err(message) = jobmanager::supervise(prepared, policy, jm_stop_rx, Duration::from_secs(15)).await {
                    tracing::error!("{message}");
                    *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(message);
                    stop_tx.send_modify(|v| *v = (*v).max(1));
                }
            })
        });
        let result = tokio::select! {
            r = appmaster::run(plan, &master, store, Some(server), stop_rx, options) => r.map_err(run_error),
            _ = second.wait_for(|n| *n >= 2) => Err(Error::Failed(
                "second signal: exiting at once; the framework and its workers are left as they are \
                 (they end when mesos.failover-timeout runs out)".into(),
            )),
        };
        jm_stop_tx.send_replace(true);
        artifact_server.stop().await;
        if let Some(task) = jm_task {
            let _ = tokio::time::timeout(Duration::from_secs(20), task).await;
        }
        let failure = jm_failure.lock().unwrap_or_else(|p| p.into_inner()).take();
        match (result, failure) {
            (Ok(Outcome::Stopped), Some(message)) => Err(Error::Failed(format!("stopping the Flink cluster: {message}"))),
            (result, _) => result,
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result? {
        Outcome::Stopped => Ok(()),
        Outcome::TooManyFailures {
            failed,
            limit,
            last,
        } => Err(Error::Failed(format!(
            "stopping the Flink cluster: {failed} TaskManager(s) failed, more than \
             mesos.maximum-failed-tasks = {limit}; the framework was torn down. Last failure: {last}"
        ))),
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

fn run_error(e: RunError) -> Error {
    match e {
        RunError::Mesos(e) => Error::Peer {
            peer: "Mesos".into(),
            message: e.to_string(),
        },
        RunError::Detect(e) => Error::Peer {
            peer: "Mesos master detection".into(),
            message: e.to_string(),
        },
        RunError::Store(e) => Error::Failed(format!("stopping: {e}")),
        RunError::Teardown { .. } => Error::Failed(e.to_string()),
        RunError::Internal(m) => Error::Internal(m),
    }
}

fn artifact_error(e: ArtifactError) -> Error {
    Error::User(e.to_string())
}

fn absolute(path: PathBuf) -> Result<PathBuf> {
    std::path::absolute(&path)
        .map_err(|e| Error::io(format!("cannot make {} absolute", path.display()), e))
}
