//! One appmaster process's life, in the spirit of mini-redis's
//! `server::run(listener, shutdown)`: [`serve`] takes what
//! `src/cmd/appmaster.rs` prepared (plan, overlays, JobManager), binds the
//! status and artifact servers, supervises the JobManager, and runs the
//! runtime ([`super::run`]) once per leadership, until a stop request or a
//! cluster failure. It says how it ended ([`Ended`]); the command maps that
//! to an exit code. Nothing here prints or exits.
//!
//! Stop requests are a counter (`watch::Receiver<u32>`, signals in the
//! binary): the first asks the runtime to stop (tear the framework down, or
//! leave it with `keep_framework`); a second one ends [`serve`] at once,
//! whatever the runtime is waiting for.
//!
//! High availability (`high-availability: zookeeper`): the appmaster stands
//! by until it leads (`src/store/leader.rs`), answering `/status` with phase
//! `standby`, and only then reads the store and runs. The framework always
//! outlives the process (as with `keep_framework`). When the leadership is
//! lost the runtime is dropped at once — no further call to Mesos, no
//! TEARDOWN — and the appmaster stands by again with a new ZooKeeper session
//! (retrying while ZooKeeper is away): it leads again (re-reading the store
//! and failing over to the stored framework) when no other appmaster does.
//! At start, an unreachable ZooKeeper is an error instead. A conflicting
//! write (the store changed under the leader, e.g. a forced `workers
//! forget`) gives the leadership up the same way.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use std::path::PathBuf;

use super::admin;
use super::job::{self, JobCluster, JobEnd};
use super::jobmanager::{self, JmStop};
use super::plan::{self, Host, Plan};
use super::status::{HealthLimits, StatusServer, StatusView};
use super::workdir::{self, WorkDirError, WorkDirLock};
use super::{Options, RunError};
use crate::artifacts::overlay;
use crate::artifacts::overlay::Overlays;
use crate::artifacts::{secrets, ArtifactError, ArtifactServer, ServerOptions};
use crate::config::master::MasterSpec;
use crate::config::options::Key;
use crate::config::secret::Secret;
use crate::config::settings::{Settings, ZooKeeperHa};
use crate::config::Config;
use crate::error::{Classified, ErrorKind};
use crate::flink::FlinkError;
use crate::mesos::client::ClientOptions;
use crate::scheduler::task::SecretsAccess;
use crate::scheduler::Outcome;
use crate::store::leader::{campaign, LeaderInfo, Leadership};
use crate::store::memory::MemoryStore;
use crate::store::zk::{Zk, ZkConfig, ZkStore};
use crate::store::{AnyStore, StoreError};

/// Everything [`serve`] runs, prepared by the command.
pub struct Inputs {
    pub settings: Settings,
    pub master: MasterSpec,
    pub plan: Plan,
    /// This host's name, for `/status` URLs and the leader record.
    pub hostname: String,
    /// Where the artifact server listens and what its URLs name.
    pub artifact_host: String,
    pub overlays: Overlays,
    /// The artifact server's TLS, when it serves HTTPS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The JobManager to run beside the scheduler (`None`: `--no-jobmanager`).
    pub jobmanager: Option<jobmanager::Prepared>,
    /// JobManager deaths within the restart window before the cluster stops.
    pub jobmanager_restarts: u32,
    /// On stop, leave the framework and its workers running.
    pub keep_framework: bool,
    /// Where `/status`, `/metrics` and `/health` listen.
    pub status_addr: SocketAddr,
    pub client: ClientOptions,
    /// What `workers scale` must present (also in `<work dir>/admin-token`).
    pub admin_token: Secret,
    /// A job cluster (`--job-jar`): the appmaster ends with its job.
    pub job: Option<JobCluster>,
}

/// What the command line decides, for [`prepare`].
pub struct Setup<'a> {
    pub config: &'a Config,
    pub settings: Settings,
    pub master: MasterSpec,
    /// `--work-dir` (absolute): locked for this process.
    pub work_dir: PathBuf,
    /// `--flink-home` (absolute), else `FLINK_HOME` or the search.
    pub flink_home: Option<PathBuf>,
    /// `false` with `--no-jobmanager`.
    pub run_jobmanager: bool,
    pub jobmanager_restarts: u32,
    pub keep_framework: bool,
    pub status_addr: SocketAddr,
    /// This executable, shipped to the workers.
    pub self_exe: Option<PathBuf>,
    /// `$HADOOP_CONF_DIR` of the appmaster.
    pub hadoop_conf_dir: Option<PathBuf>,
    /// A job cluster: the checked job and what to do with it.
    pub job: Option<(crate::flink::launch::JobProgram, JobCluster)>,
}

/// [`Inputs`] ready for [`serve`], and the work directory's lock, to hold
/// until the process ends.
pub struct Prepared {
    pub inputs: Inputs,
    pub work_dir_lock: WorkDirLock,
}

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    WorkDir(#[from] WorkDirError),
    #[error(transparent)]
    Flink(#[from] FlinkError),
    #[error(transparent)]
    Artifacts(#[from] ArtifactError),
    #[error(
        "{} is required for the artifact server's TLS",
        Key::SecuritySslKeystore
    )]
    NoKeystore,
    #[error(
        "the workers fetch their files from {name}, which does not resolve on this host ({message}), \
         and the artifact server listens on {bind} only ({bind_key}); set jobmanager.rpc.address to \
         an address or name of this host that the agents can reach, or {bind_key} to 0.0.0.0 when \
         the agents reach this host under a name of their own (NAT, a load balancer, a VIP)"
    )]
    Unresolvable {
        name: String,
        message: String,
        bind: String,
        bind_key: Key,
    },
    #[error("the admin token: {0}")]
    AdminToken(String),
    #[error(
        "a job cluster (--job-jar) watches its job through the JobManager's REST API, which the \
         appmaster cannot read over TLS ({}); turn it off or run a session cluster",
        Key::SecuritySslRestEnabled
    )]
    JobRestTls,
}

/// Everything before the servers start: the work directory (locked), the
/// plan, the JobManager's configuration, the workers' overlays, the
/// artifact server's TLS. Blocks (it may build the distribution archive).
pub fn prepare(setup: Setup<'_>) -> Result<Prepared, PrepareError> {
    let Setup {
        config,
        settings,
        master,
        work_dir,
        flink_home,
        run_jobmanager,
        jobmanager_restarts,
        keep_framework,
        status_addr,
        self_exe,
        hadoop_conf_dir,
        job,
    } = setup;
    let (program, job) = match job {
        Some((program, job)) => (Some(program), Some(job)),
        None => (None, None),
    };
    // Ours alone until this process ends: a second appmaster here would
    // serve its secrets through our artifact server and ours through its.
    let work_dir_lock = workdir::lock(&work_dir)?;
    let host = Host {
        hostname: plan::local_hostname(),
        user: plan::current_user(),
    };
    let plan = plan::plan(&settings, config, &host, fastrand::f64());
    // The TaskManagers get this address from the plan; the JobManager
    // listens on it and the artifact server serves there.
    let address = plan
        .jobmanager_address()
        .unwrap_or(&host.hostname)
        .to_string();
    check_advertised(&address, &master, &settings.artifact_server_bind)?;
    let jobmanager = if run_jobmanager {
        Some(jobmanager::prepare(
            config,
            &settings,
            flink_home.as_deref(),
            &address,
            &work_dir,
            program,
        )?)
    } else {
        None
    };
    if job.is_some()
        && jobmanager
            .as_ref()
            .and_then(|j| crate::flink::jobmanager::local_rest_url(&j.conf))
            .is_none()
    {
        return Err(PrepareError::JobRestTls);
    }
    let shipped_home = jobmanager
        .as_ref()
        .map(|j| j.home.root.clone())
        .or(flink_home);
    let overlays = overlay::build(&overlay::Inputs {
        settings: &settings,
        config,
        flink_home: shipped_home.as_deref(),
        self_exe,
        work_dir: &work_dir,
        hadoop_conf_dir,
    })?;
    for note in &overlays.notes {
        tracing::info!("overlay: {note}");
    }
    tracing::info!(keys = %overlays.conf_keys.join(","), "TaskManager configuration (shipped as a file)");
    let tls = if settings.artifact_server_ssl {
        let keystore = config
            .get(Key::SecuritySslKeystore.def())
            .map(|e| PathBuf::from(&e.value))
            .ok_or(PrepareError::NoKeystore)?;
        let password = config
            .get(Key::SecuritySslKeystorePassword.def())
            .map(|e| Secret::new(e.value.clone()));
        Some(crate::artifacts::tls::server_config(
            &keystore,
            password.as_ref(),
        )?)
    } else {
        None
    };
    let client = plan::client_options(&settings);
    let admin_token = admin::token(config).map_err(PrepareError::AdminToken)?;
    admin::write(&work_dir, &admin_token).map_err(|e| {
        PrepareError::AdminToken(format!(
            "cannot write {}: {e}",
            work_dir.join(admin::TOKEN_FILE).display()
        ))
    })?;
    // A fixed pool without a JobManager of ours to observe.
    let mut plan = plan;
    if jobmanager.is_none() {
        plan.policy.elastic = None;
    }
    Ok(Prepared {
        inputs: Inputs {
            settings,
            master,
            plan,
            hostname: host.hostname,
            artifact_host: address,
            overlays,
            tls,
            jobmanager,
            jobmanager_restarts,
            keep_framework,
            status_addr,
            client,
            admin_token,
            job,
        },
        work_dir_lock,
    })
}

/// The name the workers fetch from should resolve here. One that does not
/// may still be right: behind NAT, a load balancer or a VIP the agents know
/// this host by a name (or address) this host does not have, which works
/// as long as the servers listen on every address (the default): a
/// warning then, an error when the artifact server listens on one address
/// only (nothing here could tell whether it is the one the name leads to).
/// One that means only this host's loopback cannot be reached from a master
/// (and its agents) on another host: a warning, since an agent may well run
/// here.
fn check_advertised(name: &str, master: &MasterSpec, bind: &str) -> Result<(), PrepareError> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = match (name, 0).to_socket_addrs() {
        Ok(addrs) => addrs.collect(),
        Err(e) if is_wildcard(bind) => {
            tracing::warn!(
                advertised = name,
                "the workers fetch their files from {name} and the TaskManagers reach the \
                 JobManager there, but {name} does not resolve on this host ({e}); the servers \
                 listen on every address ({} is {bind}), so this works when the agents resolve \
                 {name} to an address that leads here (NAT, a load balancer, a VIP); if it is a \
                 typo, correct jobmanager.rpc.address",
                Key::MesosResourcemanagerArtifactserverBindHost
            );
            return Ok(());
        }
        Err(e) => {
            return Err(PrepareError::Unresolvable {
                name: name.to_string(),
                message: e.to_string(),
                bind: bind.to_string(),
                bind_key: Key::MesosResourcemanagerArtifactserverBindHost,
            })
        }
    };
    let loopback_only = !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback());
    let remote_master = match master {
        MasterSpec::Direct { host, .. } => (host.as_str(), 0)
            .to_socket_addrs()
            .map(|mut a| a.any(|a| !a.ip().is_loopback()))
            .unwrap_or(false),
        _ => false,
    };
    if loopback_only && remote_master {
        tracing::warn!(
            advertised = name,
            resolves_to = ?addrs.iter().map(|a| a.ip()).collect::<Vec<_>>(),
            "the workers fetch from {name}, which resolves to a loopback address here while the \
             Mesos master is on another host: agents elsewhere cannot reach it; set \
             jobmanager.rpc.address to this host's routable address"
        );
    }
    Ok(())
}

/// Whether a bind address means every address of this host.
fn is_wildcard(bind: &str) -> bool {
    let bind = bind.trim().trim_start_matches('[').trim_end_matches(']');
    bind.is_empty()
        || bind
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_unspecified())
}

/// Where the appmaster can be reached, once it listens.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `host:port` of the status endpoint, as others reach it.
    pub status: String,
    pub status_bound: SocketAddr,
    pub artifacts: SocketAddr,
    /// `http(s)://host:port` of the artifact server.
    pub artifact_origin: String,
}

/// How [`serve`] ended.
#[derive(Debug)]
pub enum Ended {
    /// Stopped as asked.
    Stopped,
    /// More workers failed than `mesos.maximum-failed-tasks` allows; the
    /// framework was torn down.
    TooManyFailures {
        failed: u32,
        limit: u32,
        last: String,
    },
    /// The JobManager kept dying; the cluster was stopped.
    JobManagerFailed(String),
    /// A second stop request ended it at once; the framework and its
    /// workers were left as they were.
    Forced,
    /// A job cluster's job ended (or was stopped); the JobManager was shut
    /// down and the framework torn down.
    Job(JobEnd),
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr} for /status: {source}")]
    StatusBind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Artifacts(#[from] ArtifactError),
    /// A port the JobManager needs is held by another process.
    #[error(
        "the JobManager cannot listen on {addr} ({key}): {source}; stop what listens there \
         (`ss -ltnp | grep {port}`) or set another {key}"
    )]
    PortTaken {
        key: &'static str,
        addr: String,
        port: String,
        #[source]
        source: std::io::Error,
    },
    /// ZooKeeper could not be reached for the leadership at start.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("{0}")]
    Internal(String),
}

impl Classified for ServeError {
    fn kind(&self) -> ErrorKind {
        match self {
            ServeError::StatusBind { .. }
            | ServeError::Artifacts(_)
            | ServeError::PortTaken { .. } => ErrorKind::User,
            ServeError::Store(_) => ErrorKind::Peer,
            ServeError::Run(RunError::Internal(_)) | ServeError::Internal(_) => ErrorKind::Internal,
            ServeError::Run(RunError::ForeignFramework(_)) => ErrorKind::User,
            ServeError::Run(_) => ErrorKind::Peer,
        }
    }

    fn label(&self) -> Option<String> {
        match self {
            ServeError::Store(_) => Some("ZooKeeper".into()),
            ServeError::Run(RunError::Mesos(_)) => Some("Mesos".into()),
            ServeError::Run(RunError::Detect(_)) => Some("Mesos master detection".into()),
            ServeError::Run(RunError::Store(_)) => Some("stopping".into()),
            _ => None,
        }
    }
}

impl Classified for PrepareError {
    fn kind(&self) -> ErrorKind {
        match self {
            PrepareError::Flink(e) => e.kind(),
            PrepareError::Unresolvable { .. } => ErrorKind::User,
            _ => ErrorKind::User,
        }
    }
}

/// Runs the appmaster until `stop` asks twice, or once and it has stopped,
/// or the cluster fails. `ready` is called once both servers listen.
pub async fn serve(
    inputs: Inputs,
    stop: watch::Receiver<u32>,
    ready: impl FnOnce(&Endpoints),
) -> Result<Ended, ServeError> {
    let Inputs {
        settings,
        master,
        mut plan,
        hostname,
        artifact_host,
        overlays,
        tls,
        jobmanager,
        jobmanager_restarts,
        keep_framework,
        status_addr,
        client,
        admin_token,
        job,
    } = inputs;
    let server =
        StatusServer::bind(status_addr)
            .await
            .map_err(|source| ServeError::StatusBind {
                addr: status_addr,
                source,
            })?;
    let bound = server
        .local_addr()
        .map_err(|source| ServeError::StatusBind {
            addr: status_addr,
            source,
        })?;
    let shown = if bound.ip().is_unspecified() {
        format!("{hostname}:{}", bound.port())
    } else {
        bound.to_string()
    };
    tracing::info!(address = %bound, "status endpoint listening");
    if let Some(ha) = settings
        .ha
        .as_ref()
        .filter(|ha| ha.digest.is_none() && ha.kerberos.is_none())
    {
        let config = ZkConfig::from_settings(ha);
        tracing::warn!(
            zookeeper = %config.servers_text(),
            path = %config.base,
            "SECURITY: the worker store in ZooKeeper is world-writable (no \
             high-availability.zookeeper.client.digest.username/.password): anyone who reaches \
             ZooKeeper can rewrite the framework id and the workers; set the digest credentials \
             and the store's nodes become theirs alone (creator ACLs)"
        );
    }

    // The artifact server, with the workers' secrets behind per-task tokens.
    let mut registry = overlays.registry()?;
    let secrets_key = if overlays.secrets.is_empty() {
        None
    } else {
        let key = secrets::TokenKey::generate().map_err(ServeError::Internal)?;
        let bundle = overlays
            .secrets
            .to_tar()
            .map_err(|message| ArtifactError::Archive {
                path: "secrets".into(),
                message,
            })?;
        registry.set_secrets(secrets::Gate::new(bundle, key.clone()));
        Some(key)
    };
    let artifact_server = ArtifactServer::start(
        ServerOptions {
            // Listen on the bind address, name the advertised one: a host
            // whose own name resolves to 127.0.1.1 (Debian) must not
            // listen there alone.
            bind_host: settings.artifact_server_bind.clone(),
            port: settings.artifact_server_port,
            advertised_host: artifact_host.clone(),
            tls,
        },
        registry,
    )
    .await?;
    tracing::info!(address = %artifact_server.local_addr(), origin = %artifact_server.origin(), "artifact server listening");
    let mut uris = overlays.uris(artifact_server.base_url());
    uris.append(&mut plan.template.uris);
    plan.template.uris = uris;
    // What the overlays ship (FLINK_CONF_DIR, ...) wins over
    // containerized.taskmanager.env.* of the same name.
    plan.template
        .environment
        .retain(|(name, _)| !overlays.environment.iter().any(|(n, _)| n == name));
    plan.template
        .environment
        .extend(overlays.environment.iter().cloned());
    plan.template.command = overlays.command.clone();
    plan.template.setup = overlays.setup.clone();
    plan.template.secrets = secrets_key.map(|key| SecretsAccess {
        url: artifact_server.url(secrets::BUNDLE_NAME),
        key,
    });
    // The Mesos web UI links the framework to Flink's web interface, or to
    // our status page when the JobManager runs elsewhere.
    plan.framework.webui_url = match jobmanager.as_ref().and_then(|j| j.web_ui_url.clone()) {
        Some(url) => Some(url),
        None => Some(format!("http://{shown}/status")),
    };
    ready(&Endpoints {
        status: shown.clone(),
        status_bound: bound,
        artifacts: artifact_server.local_addr(),
        artifact_origin: artifact_server.origin().to_string(),
    });

    // With high availability the framework always outlives this process:
    // the next leader fails over to it.
    let jobmanager_rest = jobmanager
        .as_ref()
        .and_then(|j| crate::flink::jobmanager::local_rest_url(&j.conf));
    if jobmanager.is_some() && jobmanager_rest.is_none() && plan.policy.elastic.is_some() {
        tracing::warn!(
            "the JobManager's REST API is served over TLS (security.ssl.rest.enabled), which the \
             appmaster does not observe yet: the cluster keeps its floor of workers and does not \
             follow the jobs' demand"
        );
    }
    let cluster_over = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let job_rest = jobmanager_rest.clone();
    let (job_view_tx, job_view_rx) = watch::channel(None);
    let options = Options {
        keep_framework: keep_framework || settings.ha.is_some(),
        artifact_server: Some(artifact_server.origin().to_string()),
        client,
        health: HealthLimits::for_failover_timeout(settings.framework.failover_timeout),
        jobmanager_rest,
        admin_token: Some(admin_token),
        cluster_over: cluster_over.clone(),
        job: job.is_some().then_some(job_view_rx),
    };
    // The runtime stops when asked or when the JobManager is beyond
    // saving; `stop_rx` carries both.
    let (stop_tx, stop_rx) = watch::channel(0u32);
    let stop_tx = Arc::new(stop_tx);
    let mut second = stop.clone();
    // A job cluster's first stop request goes to the job (stop it, with a
    // savepoint when configured); the cluster stops once the job has. With
    // `--keep-framework` a stop is a failover instead (Marathon restarting
    // a high-availability job cluster): the job is left to the next
    // JobManager, which recovers it through Flink's HA services.
    let job_mode = job.is_some() && !keep_framework;
    {
        let stop_tx = stop_tx.clone();
        let mut requests = stop.clone();
        tokio::spawn(async move {
            loop {
                let n = *requests.borrow_and_update();
                let n = if job_mode && n == 1 { 0 } else { n };
                stop_tx.send_modify(|v| *v = (*v).max(n));
                if requests.changed().await.is_err() {
                    break;
                }
            }
        });
    }
    // High availability: lead before reading the store (standbys wait
    // here); a stop request while waiting ends the standby.
    let info = LeaderInfo::this_process(&hostname, Some(format!("http://{shown}/status")));
    let mut leading = match &settings.ha {
        Some(ha) => match stand_by(
            ha,
            &info,
            &server,
            if job_mode {
                stop.clone()
            } else {
                stop_rx.clone()
            },
            false,
        )
        .await?
        {
            Some(leading) => Some(leading),
            None => {
                artifact_server.stop().await;
                return Ok(Ended::Stopped);
            }
        },
        None => None,
    };
    if keep_framework && leading.is_none() {
        tracing::warn!(
            "--keep-framework: without the ZooKeeper worker store the framework id lives in \
             this process only, so a new appmaster registers a new framework; kept workers \
             end when mesos.failover-timeout runs out"
        );
    }
    if let Some((key, addr, source)) = jobmanager.as_ref().and_then(jobmanager::taken_port) {
        let port = addr.rsplit(':').next().unwrap_or_default().to_string();
        artifact_server.stop().await;
        return Err(ServeError::PortTaken {
            key,
            addr,
            port,
            source,
        });
    }
    let (jm_stop_tx, jm_stop_rx) = watch::channel(JmStop::Run);
    let jm_stop_tx = Arc::new(jm_stop_tx);
    let jm_failure: Arc<Mutex<Option<String>>> = Arc::default();
    let jm_task = jobmanager.map(|prepared| {
        let (stop_tx, failure) = (stop_tx.clone(), jm_failure.clone());
        tokio::spawn(async move {
            let policy = jobmanager::RestartPolicy {
                max_restarts: jobmanager_restarts,
                ..jobmanager::RestartPolicy::default()
            };
            if let Err(message) =
                jobmanager::supervise(prepared, policy, jm_stop_rx, Duration::from_secs(15)).await
            {
                tracing::error!("{message}");
                *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(message);
                stop_tx.send_modify(|v| *v = (*v).max(1));
            }
        })
    });
    // A job cluster: watch the job; once it has ended, shut the JobManager
    // down (gracefully: Flink removes its HA data) and stop the cluster
    // for good.
    let job_end: Arc<Mutex<Option<JobEnd>>> = Arc::default();
    let job_task = match (job, job_rest, jm_task.is_some()) {
        (Some(job), Some(rest), true) => {
            let (stop_tx, jm_stop_tx, job_end, cluster_over) = (
                stop_tx.clone(),
                jm_stop_tx.clone(),
                job_end.clone(),
                cluster_over.clone(),
            );
            // With --keep-framework the job never sees the stop request.
            let (_never_tx, never) = watch::channel(0u32);
            let signals = if job_mode { stop.clone() } else { never };
            Some(tokio::spawn(async move {
                let _never_tx = _never_tx;
                let end = match job::watch(rest.clone(), job, signals, job_view_tx).await {
                    Ok(end) => end,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot watch the job");
                        return;
                    }
                };
                tracing::info!(?end, "the job has ended: stopping the job cluster");
                *job_end.lock().unwrap_or_else(|p| p.into_inner()) = Some(end);
                cluster_over.store(true, std::sync::atomic::Ordering::SeqCst);
                jm_stop_tx.send_replace(JmStop::Expected);
                if let Err(e) = job::shut_down_cluster(&rest).await {
                    tracing::warn!(error = %e, "the JobManager did not take the shutdown request; stopping it");
                    jm_stop_tx.send_replace(JmStop::Now);
                }
                stop_tx.send_modify(|v| *v = (*v).max(1));
            }))
        }
        _ => None,
    };
    // One round per leadership (one round without high availability).
    let result = loop {
        let round = Round {
            plan: &plan,
            master: &master,
            server: &server,
            stop: stop_rx.clone(),
            options: &options,
        };
        let lost = tokio::select! {
            r = round.run(leading.take()) => match r {
                RoundEnd::Done(r) => break r,
                RoundEnd::LostLeadership(reason) => reason,
            },
            _ = second.wait_for(|n| *n >= 2) => break Ok(Ended::Forced),
        };
        tracing::error!(
            reason = %lost,
            "lost the leadership: stopped at once without any further call to Mesos; the \
             framework and its workers are left to the next leader; standing by again"
        );
        let Some(ha) = &settings.ha else {
            break Err(ServeError::Internal(
                "leadership lost without high availability".into(),
            ));
        };
        match stand_by(ha, &info, &server, stop_rx.clone(), true).await? {
            Some(l) => leading = Some(l),
            None => break Ok(Ended::Stopped),
        }
    };
    if let Some(task) = &job_task {
        task.abort();
    }
    let job_end = job_end.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let (Some(task), true) = (&jm_task, job_end.is_some()) {
        // The JobManager was asked to shut down by itself: give it time to
        // clean its HA data up before it is stopped.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !task.is_finished() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    jm_stop_tx.send_replace(JmStop::Now);
    artifact_server.stop().await;
    if let Some(task) = jm_task {
        let _ = tokio::time::timeout(Duration::from_secs(20), task).await;
    }
    let failure = jm_failure.lock().unwrap_or_else(|p| p.into_inner()).take();
    match (result, failure, job_end) {
        (Ok(Ended::Stopped), _, Some(end)) => Ok(Ended::Job(end)),
        (Ok(Ended::Stopped), Some(message), None) => Ok(Ended::JobManagerFailed(message)),
        (result, _, _) => result,
    }
}

/// One leadership (or, without high availability, the whole run).
struct Round<'a> {
    plan: &'a Plan,
    master: &'a MasterSpec,
    server: &'a StatusServer,
    stop: watch::Receiver<u32>,
    options: &'a Options,
}

enum RoundEnd {
    /// The appmaster is done (stopped, failed).
    Done(Result<Ended, ServeError>),
    /// The leadership was lost (or given up): stand by again.
    LostLeadership(String),
}

impl Round<'_> {
    async fn run(self, leading: Option<(Zk, Leadership)>) -> RoundEnd {
        let (store, leadership) = match leading {
            Some((zk, leadership)) => (
                AnyStore::ZooKeeper(Box::new(ZkStore::for_leader(
                    zk,
                    leadership.latch().to_string(),
                ))),
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
        let status = match self.server.try_clone() {
            Ok(s) => s,
            Err(e) => {
                return RoundEnd::Done(Err(ServeError::StatusBind {
                    addr: self.server.local_addr().unwrap_or(([0, 0, 0, 0], 0).into()),
                    source: e,
                }))
            }
        };
        let run = super::run(
            self.plan.clone(),
            self.master,
            store,
            Some(status),
            self.stop,
            self.options.clone(),
        );
        tokio::select! {
            r = run => match r {
                Err(RunError::Store(StoreError::LeadershipLost(reason))) => RoundEnd::LostLeadership(reason),
                // With high availability a conflict means the store was
                // changed under us (a forced repair): give the leadership
                // up and read the store afresh.
                Err(RunError::Store(e @ StoreError::Conflict { .. })) if leadership.is_some() => {
                    if let Some(l) = &leadership {
                        if l.lost().borrow().is_none() {
                            l.release().await;
                        }
                    }
                    RoundEnd::LostLeadership(e.to_string())
                }
                r => {
                    if let Some(l) = leadership {
                        // A standby takes over at once instead of after
                        // the session timeout.
                        if l.lost().borrow().is_none() {
                            l.resign().await;
                        }
                    }
                    RoundEnd::Done(match r {
                        Ok(Outcome::Stopped) => Ok(Ended::Stopped),
                        Ok(Outcome::TooManyFailures { failed, limit, last }) => {
                            Ok(Ended::TooManyFailures { failed, limit, last })
                        }
                        Err(e) => Err(ServeError::Run(e)),
                    })
                }
            },
            // Dropping the runtime here makes no further call: no TEARDOWN.
            reason = leadership_lost => RoundEnd::LostLeadership(reason),
        }
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
) -> Result<Option<(Zk, Leadership)>, ServeError> {
    let (_view_tx, view_rx) = watch::channel(Arc::new(StatusView {
        phase: "standby",
        ..StatusView::default()
    }));
    let (stop_serving, serving) = watch::channel(false);
    let standby = server
        .try_clone()
        .map_err(|source| ServeError::StatusBind {
            addr: server.local_addr().unwrap_or(([0, 0, 0, 0], 0).into()),
            source,
        })?
        .spawn(view_rx, None, serving);
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
) -> Result<Option<(Zk, Leadership)>, ServeError> {
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
            Err(e) => return Err(ServeError::Store(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_bind_addresses() {
        for bind in ["0.0.0.0", "::", "[::]", " 0.0.0.0 ", ""] {
            assert!(is_wildcard(bind), "{bind:?}");
        }
        for bind in ["127.0.0.1", "10.0.0.1", "localhost", "host.example"] {
            assert!(!is_wildcard(bind), "{bind:?}");
        }
    }

    /// Behind NAT the agents know this host by a name it cannot resolve:
    /// fine while the servers listen everywhere, an error naming both keys
    /// when the artifact server listens on one address.
    #[test]
    fn an_unresolvable_advertised_name_is_an_error_only_with_a_narrow_bind() {
        let master = MasterSpec::Direct {
            scheme: crate::config::master::Scheme::Http,
            host: "127.0.0.1".into(),
            port: 5050,
        };
        let name = "flink-mesos-no-such-host.invalid";
        assert!(check_advertised(name, &master, "0.0.0.0").is_ok());
        let err = check_advertised(name, &master, "10.0.0.1").unwrap_err();
        let text = err.to_string();
        for part in [
            name,
            "jobmanager.rpc.address",
            "mesos.resourcemanager.artifactserver.bind-host",
            "10.0.0.1",
        ] {
            assert!(text.contains(part), "{part} in: {text}");
        }
    }
}
