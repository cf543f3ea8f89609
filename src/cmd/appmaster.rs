//! `flink-mesos appmaster`: validate the configuration, bind the status
//! endpoint, run the appmaster runtime (`src/appmaster/`) until a signal or a
//! cluster failure, and turn how it ended into an exit code.
//!
//! Signals: the first SIGTERM/SIGINT asks the runtime to stop (tear the
//! framework down, or leave it with `--keep-framework`); a second one ends
//! the process at once, whatever the runtime is waiting for.
//!
//! High availability (`high-availability: zookeeper`): the appmaster stands
//! by until it leads (`src/store/leader.rs`), answering `/status` with phase
//! `standby`, and only then reads the store and runs. The framework always
//! outlives the process (as with `--keep-framework`). When the leadership is
//! lost the runtime is dropped at once — no further call to Mesos, no
//! TEARDOWN — and the process stands by again with a new ZooKeeper session
//! (retrying while ZooKeeper is away): it leads again (re-reading the store
//! and failing over to the stored framework) when no other appmaster does.
//! At start, an unreachable ZooKeeper is an error (exit 1) instead. A
//! conflicting write (the store changed under the leader, e.g. a forced
//! `workers forget`) gives the leadership up the same way.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::appmaster::jobmanager;
use crate::appmaster::plan::{self, Host};
use crate::appmaster::status::{HealthLimits, StatusServer, StatusView};
use crate::appmaster::{self, Options, RunError};
use crate::artifacts::{self, overlay, secrets, ArtifactError, ArtifactServer, ServerOptions};
use crate::cli::{AppmasterArgs, GlobalArgs};
use crate::config::options::Key;
use crate::config::settings::Purpose;
use crate::config::settings::ZooKeeperHa;
use crate::error::{Error, Result};
use crate::scheduler::task::SecretsAccess;
use crate::scheduler::Outcome;
use crate::store::leader::{campaign, LeaderInfo, Leadership};
use crate::store::memory::MemoryStore;
use crate::store::zk::{Zk, ZkConfig, ZkStore};
use crate::store::{AnyStore, StoreError};

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
    // Ours alone until this process ends: a second appmaster here would
    // serve its secrets through our artifact server and ours through its.
    let _work_dir_lock =
        appmaster::workdir::lock(&work_dir).map_err(|e| Error::User(e.to_string()))?;
    let flink_home = args.flink_home.clone().map(absolute).transpose()?;
    // The TaskManagers get this address from the plan; the JobManager
    // listens on it and the artifact server serves there.
    let address = plan
        .template
        .properties
        .iter()
        .find(|(k, _)| k == Key::JobmanagerRpcAddress.name())
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
    let mut registry = overlays.registry().map_err(artifact_error)?;
    // The workers' secrets: served to each task once, with its token.
    let secrets_key = if overlays.secrets.is_empty() {
        None
    } else {
        let key = secrets::TokenKey::generate().map_err(Error::Internal)?;
        let bundle = overlays.secrets.to_tar().map_err(Error::User)?;
        registry.set_secrets(secrets::Gate::new(bundle, key.clone()));
        Some(key)
    };
    let tls = if settings.artifact_server_ssl {
        let keystore = config
            .get(Key::SecuritySslKeystore.def())
            .map(|e| PathBuf::from(&e.value))
            .ok_or_else(|| {
                Error::User(format!(
                    "{} is required for the artifact server's TLS",
                    Key::SecuritySslKeystore
                ))
            })?;
        let password = config
            .get(Key::SecuritySslKeystorePassword.def())
            .map(|e| crate::config::secret::Secret::new(e.value.clone()));
        Some(artifacts::tls::server_config(&keystore, password.as_ref()).map_err(artifact_error)?)
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
        plan.template.secrets = secrets_key.map(|key| SecretsAccess {
            url: artifact_server.url(secrets::BUNDLE_NAME),
            key,
        });
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
        // With high availability the framework always outlives this process:
        // the next leader fails over to it.
        let options = Options {
            keep_framework: args.keep_framework || settings.ha.is_some(),
            artifact_server: Some(artifact_server.origin().to_string()),
            // `mesos.tls.ca-file`: a master behind a private CA.
            client: plan::client_options(&settings),
            health: HealthLimits::for_failover_timeout(settings.framework.failover_timeout),
        };
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
        // High availability: lead before reading the store (standbys wait
        // here); a stop request while waiting ends the standby.
        let info = LeaderInfo::this_process(&host.hostname, Some(format!("http://{shown}/status")));
        let mut leading = match &settings.ha {
            Some(ha) => match stand_by(ha, &info, &server, stop_rx.clone(), false).await? {
                Some(leading) => Some(leading),
                None => return Ok(Outcome::Stopped),
            },
            None => None,
        };
        if args.keep_framework && leading.is_none() {
            tracing::warn!(
                "--keep-framework: without the ZooKeeper worker store the framework id lives in \
                 this process only, so a new appmaster registers a new framework; kept workers \
                 end when mesos.failover-timeout runs out"
            );
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
        // One round per leadership (one round without high availability).
        let result = loop {
            let (store, leadership) = match leading.take() {
                Some((zk, leadership)) => (
                    AnyStore::ZooKeeper(Box::new(ZkStore::for_leader(zk, leadership.latch().to_string()))),
                    Some(leadership),
                ),
                None => (AnyStore::Memory(MemoryStore::new()), None),
            };
            let leadership_lost = async {
                match &leadership {
                    Some(l) => l.wait_lost().await,
                    None => std::future::pending().await,
                }
            };
            let status = server.try_clone().map_err(|e| Error::io("status endpoint", e))?;
            let run = appmaster::run(plan.clone(), &master, store, Some(status), stop_rx.clone(), options.clone());
            let lost = tokio::select! {
                r = run => match r {
                    Err(RunError::Store(StoreError::LeadershipLost(reason))) => reason,
                    // With high availability a conflict means the store was
                    // changed under us (a forced repair): give the
                    // leadership up and read the store afresh.
                    Err(RunError::Store(e @ StoreError::Conflict { .. })) if leadership.is_some() => {
                        if let Some(l) = &leadership {
                            if l.lost().borrow().is_none() {
                                l.release().await;
                            }
                        }
                        e.to_string()
                    }
                    r => {
                        if let Some(l) = leadership {
                            // A standby takes over at once instead of after
                            // the session timeout.
                            if l.lost().borrow().is_none() {
                                l.resign().await;
                            }
                        }
                        break r.map_err(run_error);
                    }
                },
                _ = second.wait_for(|n| *n >= 2) => break Err(Error::Failed(
                    "second signal: exiting at once; the framework and its workers are left as they are \
                     (they end when mesos.failover-timeout runs out)".into(),
                )),
                // Dropping the runtime here makes no further call: no TEARDOWN.
                reason = leadership_lost => reason,
            };
            drop(leadership);
            tracing::error!(
                reason = %lost,
                "lost the leadership: stopped at once without any further call to Mesos; the \
                 framework and its workers are left to the next leader; standing by again"
            );
            let Some(ha) = &settings.ha else {
                break Err(Error::Internal("leadership lost without high availability".into()));
            };
            match stand_by(ha, &info, &server, stop_rx.clone(), true).await? {
                Some(l) => leading = Some(l),
                None => break Ok(Outcome::Stopped),
            }
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

/// Stands by until this process leads, answering `/status` and `/health`
/// meanwhile (phase `standby`, so that Marathon's health checks keep it
/// alive); `None` when a stop was requested while standing by.
async fn stand_by(
    ha: &ZooKeeperHa,
    info: &LeaderInfo,
    server: &StatusServer,
    stop: watch::Receiver<u32>,
    retry: bool,
) -> Result<Option<(Zk, Leadership)>> {
    let (_view_tx, view_rx) = watch::channel(Arc::new(StatusView {
        phase: "standby",
        ..StatusView::default()
    }));
    let (stop_serving, serving) = watch::channel(false);
    let standby = server
        .try_clone()
        .map_err(|e| Error::io("status endpoint", e))?
        .spawn(view_rx, serving);
    let led = lead(ha, info, stop, retry).await;
    stop_serving.send_replace(true);
    // The runtime serves the same socket from now on.
    standby.abort();
    led
}

/// Connects to ZooKeeper and waits for the leadership; `None` when a stop
/// was requested while standing by.
async fn lead(
    ha: &ZooKeeperHa,
    info: &LeaderInfo,
    mut stop: watch::Receiver<u32>,
    retry: bool,
) -> Result<Option<(Zk, Leadership)>> {
    let config = ZkConfig::from_settings(ha);
    let (servers, base) = (config.servers_text(), config.base.clone());
    let waiting = |leader: Option<&LeaderInfo>| match leader {
        Some(l) => tracing::info!(leader = %l, "standing by: another appmaster leads"),
        None => tracing::info!("standing by"),
    };
    let mut delay = Duration::from_millis(500);
    loop {
        let attempt = async {
            let zk = Zk::connect(config.clone()).await?;
            tracing::info!(zookeeper = %servers, path = %base, "high availability: campaigning for the leadership");
            let leadership = campaign(&zk, info, waiting).await?;
            Ok::<_, StoreError>((zk, leadership))
        };
        let result = tokio::select! {
            r = attempt => r,
            _ = stop.wait_for(|n| *n >= 1) => {
                tracing::info!("stopped while standing by");
                return Ok(None);
            }
        };
        match result {
            Ok((zk, leadership)) => {
                tracing::info!(latch = %leadership.latch(), "leading: reading the worker store");
                return Ok(Some((zk, leadership)));
            }
            // After a lost leadership ZooKeeper is often still away: keep
            // trying (at start, a clear error is more useful).
            Err(e) if retry => {
                tracing::warn!(error = %e, retry_in = ?delay, "cannot campaign for the leadership yet");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.wait_for(|n| *n >= 1) => {
                        tracing::info!("stopped while standing by");
                        return Ok(None);
                    }
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(store_error(e)),
        }
    }
}

fn store_error(e: StoreError) -> Error {
    Error::Peer {
        peer: "ZooKeeper".into(),
        message: e.to_string(),
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
