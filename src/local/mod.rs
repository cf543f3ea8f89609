//! Local clusters (`flink-mesos local …`): a whole Flink-on-Mesos cluster on
//! one machine — a Mesos master with an agent (genuine, or the embedded
//! single-node Mesos of [`crate::embedded`] run as `flink-mesos local
//! embedded-mesos`, a detached child like `mesos-local`), and the appmaster
//! (this same executable) with the Flink JobManager and N TaskManagers
//! launched as Mesos tasks — brought up, inspected and taken down again.
//!
//! Roles: [`mesos`] finds and configures Mesos, [`process`] starts
//! detached processes and stops them by recorded pid, [`state`] keeps the
//! record in the state directory, this module orchestrates. Nothing here
//! prints: progress goes to the caller as [`Event`]s, results as values.
//!
//! Invariants:
//! - every port is chosen free on 127.0.0.1 (or given by the user with
//!   `-D`); nothing listens beyond loopback except what Flink binds itself;
//! - every started process is recorded in `state.json` before the next one
//!   starts, and `down` stops exactly the recorded processes (pid + start
//!   time) and what they left behind, in reverse start order;
//! - a failed or interrupted `up` stops what it started before returning.

pub mod mesos;
pub mod process;
pub mod state;
pub mod zookeeper;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use mesos::MesosMode;
use mesos::{Installation, MesosEnv, Sizing};
use state::{Component, State};

use crate::config::options::Key;
use crate::flink::{FlinkError, FlinkHome};

/// What went wrong; the message names the component or file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("a local cluster is already running in {dir} ({what}); `flink-mesos local status{flag}` shows it, `flink-mesos local down{flag}` stops it")]
    AlreadyRunning {
        dir: String,
        what: String,
        /// ` --state-dir DIR`, or empty for the default directory.
        flag: String,
    },
    #[error("{0}")]
    MesosNotFound(String),
    #[error(transparent)]
    Flink(#[from] FlinkError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A component did not come up; `log` holds its last lines.
    #[error("{component}: {message}\n--- last lines of {log_path}:\n{log}")]
    Start {
        component: String,
        message: String,
        log_path: String,
        log: String,
    },
    #[error("interrupted; everything `local up` had started was stopped")]
    Interrupted,
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Usage(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl LocalError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        LocalError::Io {
            context: context.into(),
            source,
        }
    }
}

/// The stages of `local up`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Zookeeper,
    Mesos,
    Appmaster,
    Jobmanager,
    Taskmanagers,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Zookeeper,
        Stage::Mesos,
        Stage::Appmaster,
        Stage::Jobmanager,
        Stage::Taskmanagers,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Stage::Zookeeper => "ZooKeeper",
            Stage::Mesos => "Mesos master + agent",
            Stage::Appmaster => "appmaster (Mesos framework)",
            Stage::Jobmanager => "Flink JobManager",
            Stage::Taskmanagers => "Flink TaskManagers",
        }
    }
}

/// Progress of `local up`.
#[derive(Debug, Clone)]
pub enum Event {
    Started(Stage, String),
    Progress(Stage, String),
    Done(Stage, String, Duration),
    /// Something worth knowing that is no stage (e.g. a stale record removed).
    Note(String),
}

/// What `local up` was asked for.
#[derive(Debug, Clone)]
pub struct UpRequest {
    pub state_dir: PathBuf,
    pub workers: u32,
    /// `--flink-home`, else `$FLINK_HOME`.
    pub flink_home: Option<PathBuf>,
    pub mesos: MesosMode,
    pub conf_dir: Option<PathBuf>,
    /// The user's `-D` arguments, as given.
    pub properties: Vec<String>,
    /// The flink-mesos executable that runs the appmaster.
    pub executable: PathBuf,
    /// `--ha`: a ZooKeeper server, the appmaster's worker store and leader
    /// election in it, and Flink's own ZooKeeper high availability.
    pub ha: bool,
}

/// Ports chosen for the cluster.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Ports {
    pub mesos: u16,
    pub jobmanager_rpc: u16,
    pub rest: u16,
    pub appmaster_status: u16,
    /// ZooKeeper's client port (`--ha`).
    pub zookeeper: Option<u16>,
}

/// A checked request: Mesos and Flink found, ports chosen, the appmaster's
/// `-D` list worked out. The caller validates [`Plan::properties`] as the
/// appmaster's configuration before calling [`up`].
#[derive(Debug, Clone)]
pub struct Plan {
    pub request: UpRequest,
    pub state_dir: PathBuf,
    pub installation: Installation,
    pub flink_home: FlinkHome,
    pub ports: Ports,
    /// `-D` arguments for the appmaster: local defaults, then the user's,
    /// then what the local cluster needs (master, worker count, address).
    pub properties: Vec<String>,
    /// Held while `local up` runs: a second `up` on the same state
    /// directory is refused even before the first one recorded anything.
    pub lock: std::sync::Arc<state::UpLock>,
}

/// Small memory settings that work with Flink 2.x on a laptop
/// (DESIGN.md §5), and half a CPU per TaskManager; `-D` overrides each.
pub const LOCAL_DEFAULTS: &[(Key, &str)] = &[
    (Key::JobmanagerMemoryProcessSize, "512m"),
    (Key::JobmanagerMemoryJvmMetaspaceSize, "128m"),
    (Key::JobmanagerMemoryJvmOverheadMin, "64m"),
    (Key::TaskmanagerMemoryProcessSize, "512m"),
    (Key::TaskmanagerMemoryJvmMetaspaceSize, "128m"),
    (Key::TaskmanagerMemoryJvmOverheadMin, "64m"),
    (Key::TaskmanagerMemoryFrameworkHeapSize, "64m"),
    (Key::TaskmanagerMemoryFrameworkOffHeapSize, "64m"),
    (Key::TaskmanagerMemoryNetworkMin, "32m"),
    (Key::TaskmanagerMemoryNetworkMax, "32m"),
    (Key::TaskmanagerMemoryManagedSize, "64m"),
    (Key::MesosResourcemanagerTasksCpus, "0.5"),
    // TaskManagers often start before the JobManager's resource manager is
    // up (the embedded Mesos launches in well under a second); Flink then
    // retries after `error-delay`, 10 s by default: too long on one machine.
    (Key::ClusterRegistrationErrorDelay, "1 s"),
    (Key::ClusterRegistrationRefusedRegistrationDelay, "1 s"),
];

/// The Flink distribution: `--flink-home`/`$FLINK_HOME`, else the one
/// `scripts/fetch-flink.sh` assembles in `~/.cache/flink-mesos/flink-2.3.0`.
pub fn locate_flink(explicit: Option<&Path>) -> Result<FlinkHome, LocalError> {
    if let Some(p) = explicit {
        return Ok(FlinkHome::open(&std::path::absolute(p).map_err(|e| {
            LocalError::io(format!("cannot make {} absolute", p.display()), e)
        })?)?);
    }
    match crate::flink::cached_home("2.3.0").filter(|p| p.is_dir()) {
        Some(p) => Ok(FlinkHome::open(&p)?),
        None => Err(FlinkError::FlinkHome(
            "no Flink distribution: pass --flink-home DIR or set FLINK_HOME, or run \
             scripts/fetch-flink.sh (it assembles Flink 2.3 from PyPI into \
             ~/.cache/flink-mesos/flink-2.3.0, where `local up` finds it)"
                .into(),
        )
        .into()),
    }
}

/// Refuses when a cluster runs in the state dir; removes a stale record.
fn check_not_running(dir: &Path, on_event: &mut dyn FnMut(Event)) -> Result<(), LocalError> {
    if let Some(old) = state::load(dir)? {
        let alive: Vec<String> = old
            .components
            .iter()
            .filter(|c| c.process.alive())
            .map(|c| format!("{} pid {}", c.name, c.process.pid))
            .collect();
        if !alive.is_empty() {
            return Err(LocalError::AlreadyRunning {
                dir: dir.display().to_string(),
                what: alive.join(", "),
                flag: if *dir == state::default_dir() {
                    String::new()
                } else {
                    format!(" --state-dir {}", dir.display())
                },
            });
        }
        on_event(Event::Note(format!(
            "removing the record of a local cluster that is no longer running ({})",
            state::path(dir).display()
        )));
        state::remove(dir)?;
    }
    Ok(())
}

/// Checks the request and chooses ports.
pub fn plan(request: UpRequest, on_event: &mut dyn FnMut(Event)) -> Result<Plan, LocalError> {
    if request.workers == 0 {
        return Err(LocalError::Usage("--workers must be at least 1".into()));
    }
    let state_dir = std::path::absolute(&request.state_dir).map_err(|e| {
        LocalError::io(
            format!("cannot make {} absolute", request.state_dir.display()),
            e,
        )
    })?;
    let lock = std::sync::Arc::new(state::UpLock::acquire(&state_dir)?);
    check_not_running(&state_dir, on_event)?;
    let installation = mesos::find(request.mesos, &mesos::Search::from_env())?;
    if request.mesos == MesosMode::Auto && installation == Installation::Embedded {
        on_event(Event::Note(
            "no genuine Mesos found (MESOS_HOME, PATH, ~/.cache/mesos-local/build): using the \
             embedded single-node Mesos, a development stand-in (--mesos real insists on genuine \
             Mesos)"
                .into(),
        ));
    }
    let flink_home = locate_flink(request.flink_home.as_deref())?;
    let [mesos, jobmanager_rpc, rest, appmaster_status] = mesos::free_ports(4)?[..] else {
        return Err(LocalError::Internal(
            "free_ports(4) did not give 4 ports".into(),
        ));
    };
    let zookeeper = if request.ha {
        zookeeper::installed()?;
        mesos::free_ports(1)?.first().copied()
    } else {
        None
    };
    let ports = Ports {
        mesos,
        jobmanager_rpc,
        rest,
        appmaster_status,
        zookeeper,
    };
    let mut properties = properties(&ports, &request.properties, request.workers);
    if let Some(zk) = zookeeper {
        properties.extend(zookeeper::properties(zk, &state_dir));
    }
    // The appmaster runs in the state directory: hand it the configuration
    // directory this command sees (`--conf-dir`/`FLINK_CONF_DIR`, else
    // `./conf` when it exists), absolute.
    let conf_dir = match &request.conf_dir {
        Some(dir) => Some(dir.clone()),
        None => Some(PathBuf::from("conf")).filter(|d| d.is_dir()),
    }
    .map(|d| {
        std::path::absolute(&d)
            .map_err(|e| LocalError::io(format!("cannot make {} absolute", d.display()), e))
    })
    .transpose()?;
    let request = UpRequest {
        conf_dir,
        ..request
    };
    Ok(Plan {
        lock,
        request,
        state_dir,
        installation,
        flink_home,
        ports,
        properties,
    })
}

/// The appmaster's `-D` list, later entries winning: the local defaults
/// and free ports, then the user's `-D`, then what a local cluster must
/// have (its master, `--workers`, the loopback address).
pub fn properties(ports: &Ports, user: &[String], workers: u32) -> Vec<String> {
    let mut p: Vec<String> = LOCAL_DEFAULTS
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    p.push(format!(
        "{}={}",
        Key::JobmanagerRpcPort,
        ports.jobmanager_rpc
    ));
    p.push(format!("{}={}", Key::RestPort, ports.rest));
    p.push(format!("{}={LOOPBACK}", Key::JobmanagerBindHost));
    p.push(format!("{}={LOOPBACK}", Key::RestBindAddress));
    p.extend(user.iter().cloned());
    p.push(planned_master(ports.mesos));
    p.push(format!("{}={workers}", Key::MesosInitialTasks));
    p.push(format!("{}={LOOPBACK}", Key::JobmanagerRpcAddress));
    p
}

/// Where everything of a local cluster listens.
const LOOPBACK: &str = "127.0.0.1";

/// The `-D` property naming the local cluster's master.
fn planned_master(port: u16) -> String {
    format!("{}={LOOPBACK}:{port}", Key::MesosMaster)
}

/// What the validated configuration says about the cluster.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    pub sizing: Sizing,
    pub rest_port: u16,
    pub rpc_port: u16,
}

impl Resolved {
    pub fn from_settings(s: &crate::config::settings::Settings, workers: u32) -> Resolved {
        let cpus = if s.tasks.cpus > 0.0 {
            s.tasks.cpus
        } else {
            f64::from(s.task_slots.max(1))
        };
        Resolved {
            sizing: Sizing {
                workers,
                cpus_per_task: cpus,
                mem_mb_per_task: s.tasks.mem_mb,
                disk_mb_per_task: s.tasks.disk_mb,
                ports_per_task: 2 + s.tasks.port_assignments.len(),
            },
            rest_port: s.rest_port,
            rpc_port: s.jobmanager_rpc_port,
        }
    }
}

/// What `local up` brought up.
#[derive(Debug, Clone, Serialize)]
pub struct UpReport {
    pub state_dir: PathBuf,
    pub mesos: String,
    pub mesos_url: String,
    pub flink_url: String,
    pub rest_port: u16,
    pub workers: u32,
    pub taskmanagers: Vec<String>,
    pub flink_home: PathBuf,
    /// How to submit a job (Flink's own CLI).
    pub submit: String,
    pub components: Vec<ComponentSummary>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentSummary {
    pub name: String,
    pub pid: u32,
    pub port: u16,
    pub url: String,
    pub log: PathBuf,
}

/// The one HTTP client (reqwest, blocking: `local` runs no async runtime
/// of its own while it polls), or `None` when it cannot be built.
type HttpAgent = Option<reqwest::blocking::Client>;

fn http_agent(timeout: Duration) -> HttpAgent {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .ok()
}

/// GET `url`: `(status, body)`, or `None` when nothing answers (a body
/// that cannot be read counts as no answer).
fn http_get(agent: &HttpAgent, url: &str) -> Option<(u16, String)> {
    let r = agent.as_ref()?.get(url).send().ok()?;
    let status = r.status().as_u16();
    let body = r.text().ok()?;
    Some((status, body))
}

fn json_get(agent: &HttpAgent, url: &str) -> Option<serde_json::Value> {
    match http_get(agent, url)? {
        (200, body) => serde_json::from_str(&body).ok(),
        _ => None,
    }
}

fn tail_file(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The TaskManager ids registered with the JobManager.
fn registered(agent: &HttpAgent, rest_port: u16) -> Option<Vec<String>> {
    Some(
        registered_ports(agent, rest_port)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    )
}

/// The registered TaskManagers with their RPC port (from the actor path
/// `pekko.tcp://flink@host:port/user/rpc/...`), sorted by id.
fn registered_ports(agent: &HttpAgent, rest_port: u16) -> Option<Vec<(String, Option<u16>)>> {
    let v = json_get(agent, &format!("http://127.0.0.1:{rest_port}/taskmanagers"))?;
    let mut ids: Vec<(String, Option<u16>)> = v["taskmanagers"]
        .as_array()?
        .iter()
        .filter_map(|t| {
            let port = t["path"].as_str().and_then(|p| {
                let after = p.split_once('@')?.1;
                let hostport = after.split('/').next()?;
                hostport.rsplit_once(':')?.1.parse().ok()
            });
            t["id"].as_str().map(|id| (id.to_string(), port))
        })
        .collect();
    ids.sort();
    Some(ids)
}

/// Brings the cluster up and waits until every TaskManager is registered.
/// On failure or when `cancelled()` turns true, stops what it started.
pub fn up(
    plan: &Plan,
    resolved: &Resolved,
    on_event: &mut dyn FnMut(Event),
    cancelled: &dyn Fn() -> bool,
) -> Result<UpReport, LocalError> {
    let mut st = State {
        version: 1,
        started_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        workers: plan.request.workers,
        mesos_kind: plan.installation.describe(),
        flink_home: plan.flink_home.root.clone(),
        rest_port: resolved.rest_port,
        rpc_port: resolved.rpc_port,
        flink_url: format!("http://127.0.0.1:{}", resolved.rest_port),
        appmaster_work_dir: plan.state_dir.join("appmaster"),
        ..State::default()
    };
    let result = bring_up(plan, resolved, &mut st, on_event, cancelled);
    match result {
        Ok(report) => Ok(report),
        Err(e) => {
            if !st.components.is_empty() {
                on_event(Event::Note("stopping what was started".into()));
                stop_components(&st, &mut |_| {});
            }
            let _ = state::remove(&plan.state_dir);
            Err(e)
        }
    }
}

fn bring_up(
    plan: &Plan,
    resolved: &Resolved,
    st: &mut State,
    on_event: &mut dyn FnMut(Event),
    cancelled: &dyn Fn() -> bool,
) -> Result<UpReport, LocalError> {
    let t0 = Instant::now();
    let dir = &plan.state_dir;
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| {
        LocalError::io(
            format!("cannot create the state directory {}", logs.display()),
            e,
        )
    })?;
    state::save(dir, st)?;
    let http = http_agent(Duration::from_secs(3));

    // 0. ZooKeeper (--ha).
    if let Some(port) = plan.ports.zookeeper {
        let t = Instant::now();
        on_event(Event::Started(Stage::Zookeeper, format!("port {port}")));
        let zk_dir = dir.join("zookeeper");
        let cmd = zookeeper::command(&zk_dir, port).map_err(|e| {
            LocalError::io(
                format!("cannot prepare ZooKeeper in {}", zk_dir.display()),
                e,
            )
        })?;
        start_component(
            st,
            "zookeeper",
            cmd,
            "ZooKeeper (java)",
            port,
            format!("127.0.0.1:{port}"),
            logs.join("zookeeper.log"),
        )?;
        state::save(dir, st)?;
        wait(
            st,
            "zookeeper",
            Duration::from_secs(60),
            cancelled,
            || zookeeper::ruok(port).then_some(()),
            "ZooKeeper did not answer `ruok`",
        )?;
        on_event(Event::Done(
            Stage::Zookeeper,
            format!("127.0.0.1:{port}"),
            t.elapsed(),
        ));
    }

    // 1. Mesos.
    let t = Instant::now();
    on_event(Event::Started(Stage::Mesos, plan.installation.describe()));
    // A port found free can be taken before Mesos binds it: then Mesos
    // exits at once saying so, and it is tried again on another port.
    let mut port = plan.ports.mesos;
    let mut attempt = 0;
    loop {
        match start_mesos(plan, resolved, port, st, &http, on_event, cancelled) {
            Ok(()) => break,
            Err(LocalError::Start { log, .. })
                if attempt < 2 && log.contains("Address already in use") =>
            {
                attempt += 1;
                stop_components(st, &mut |_| {});
                st.components.clear();
                state::save(dir, st)?;
                port = mesos::free_ports(1)?
                    .first()
                    .copied()
                    .ok_or_else(|| LocalError::Internal("no free port".into()))?;
                on_event(Event::Progress(
                    Stage::Mesos,
                    format!("the port was taken meanwhile; trying {port}"),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    on_event(Event::Done(Stage::Mesos, st.mesos_url.clone(), t.elapsed()));

    // 2. The appmaster.
    let t = Instant::now();
    on_event(Event::Started(
        Stage::Appmaster,
        format!("status port {}", plan.ports.appmaster_status),
    ));
    let log = logs.join("appmaster.log");
    let _ = std::fs::remove_file(&log);
    let mut cmd = Command::new(&plan.request.executable);
    cmd.arg("appmaster");
    if let Some(conf) = &plan.request.conf_dir {
        cmd.arg("--conf-dir").arg(conf);
    }
    cmd.arg("--work-dir")
        .arg(&st.appmaster_work_dir)
        .arg("--flink-home")
        .arg(&plan.flink_home.root)
        .args(["--status-bind", "127.0.0.1", "--status-port"])
        .arg(plan.ports.appmaster_status.to_string());
    let planned = planned_master(plan.ports.mesos);
    for p in &plan.properties {
        if *p == planned {
            cmd.arg(format!("-D{}", planned_master(port)));
        } else {
            cmd.arg(format!("-D{p}"));
        }
    }
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("FLINK_HOME", &plan.flink_home.root)
        .env_remove("MESOS_SANDBOX")
        .env_remove("FLINK_CONF_DIR");
    let status_url = format!("http://127.0.0.1:{}", plan.ports.appmaster_status);
    start_component(
        st,
        "appmaster",
        cmd,
        &format!("the appmaster ({})", plan.request.executable.display()),
        plan.ports.appmaster_status,
        format!("{status_url}/status"),
        log.clone(),
    )?;
    state::save(dir, st)?;
    wait(
        st,
        "appmaster",
        Duration::from_secs(90),
        cancelled,
        || {
            matches!(
                http_get(&http, &format!("{status_url}/health")),
                Some((200, _))
            )
            .then_some(())
        },
        "did not subscribe with the Mesos master (its /health stayed unhealthy)",
    )?;
    on_event(Event::Done(
        Stage::Appmaster,
        format!("framework subscribed; {status_url}/status"),
        t.elapsed(),
    ));

    // 3. The JobManager (the appmaster starts it).
    let t = Instant::now();
    on_event(Event::Started(Stage::Jobmanager, st.flink_url.clone()));
    let overview = format!("{}/overview", st.flink_url);
    wait(
        st,
        "appmaster",
        Duration::from_secs(180),
        cancelled,
        || json_get(&http, &overview).map(|_| ()),
        &format!("the Flink JobManager's REST API ({overview}) did not answer"),
    )?;
    on_event(Event::Done(
        Stage::Jobmanager,
        st.flink_url.clone(),
        t.elapsed(),
    ));

    // 4. The TaskManagers.
    let t = Instant::now();
    let n = plan.request.workers as usize;
    on_event(Event::Started(
        Stage::Taskmanagers,
        format!("0/{n} registered"),
    ));
    let mut last = 0;
    let ids = wait(
        st,
        "appmaster",
        Duration::from_secs(600),
        cancelled,
        || {
            let ids = registered(&http, resolved.rest_port).unwrap_or_default();
            if ids.len() != last {
                last = ids.len();
                on_event(Event::Progress(
                    Stage::Taskmanagers,
                    format!("{}/{n} registered", ids.len()),
                ));
            }
            (ids.len() >= n).then_some(ids)
        },
        &format!(
            "not every TaskManager registered with the JobManager ({}/taskmanagers)",
            st.flink_url
        ),
    )?;
    on_event(Event::Done(
        Stage::Taskmanagers,
        format!("{} registered: {}", ids.len(), ids.join(", ")),
        t.elapsed(),
    ));
    st.ready = true;
    state::save(dir, st)?;

    Ok(UpReport {
        state_dir: dir.clone(),
        mesos: st.mesos_kind.clone(),
        mesos_url: st.mesos_url.clone(),
        flink_url: st.flink_url.clone(),
        rest_port: resolved.rest_port,
        workers: plan.request.workers,
        taskmanagers: ids,
        flink_home: plan.flink_home.root.clone(),
        submit: submit_command(&plan.flink_home.root, resolved.rest_port),
        components: st
            .components
            .iter()
            .map(|c| ComponentSummary {
                name: c.name.clone(),
                pid: c.process.pid,
                port: c.port,
                url: c.url.clone(),
                log: c.log.clone(),
            })
            .collect(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Flink's own CLI, pointed at the cluster's REST endpoint.
pub fn submit_command(flink_home: &Path, rest_port: u16) -> String {
    format!(
        "{}/bin/flink run -m 127.0.0.1:{rest_port} <job.jar>",
        flink_home.display()
    )
}

/// Polls `check` every 250 ms until it gives a value; fails when `timeout`
/// passes, when a recorded process dies (naming `blame`'s log), or when
/// `cancelled()`.
fn wait<T>(
    st: &State,
    blame: &str,
    timeout: Duration,
    cancelled: &dyn Fn() -> bool,
    mut check: impl FnMut() -> Option<T>,
    what: &str,
) -> Result<T, LocalError> {
    let deadline = Instant::now() + timeout;
    loop {
        if cancelled() {
            return Err(LocalError::Interrupted);
        }
        if let Some(v) = check() {
            return Ok(v);
        }
        if let Some(dead) = st.components.iter().find(|c| !c.process.alive()) {
            return Err(start_error(
                dead,
                &format!("exited (pid {}) while waiting: {what}", dead.process.pid),
            ));
        }
        if Instant::now() >= deadline {
            let c = st.component(blame).or(st.components.last());
            return Err(match c {
                Some(c) => start_error(c, &format!("{what} within {} s", timeout.as_secs())),
                None => LocalError::Internal(what.to_string()),
            });
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn start_error(c: &Component, message: &str) -> LocalError {
    LocalError::Start {
        component: c.name.clone(),
        message: message.to_string(),
        log_path: c.log.display().to_string(),
        log: tail_file(&c.log, 25),
    }
}

/// Starts `cmd` detached as the component `name`, its output going to
/// `log`, and records it in `st`; `what` names the program in the error.
fn start_component(
    st: &mut State,
    name: &str,
    cmd: Command,
    what: &str,
    port: u16,
    url: String,
    log: PathBuf,
) -> Result<(), LocalError> {
    let process = process::spawn_detached(cmd, &log)
        .map_err(|e| LocalError::io(format!("cannot start {what}"), e))?;
    st.components.push(Component {
        name: name.into(),
        process,
        port,
        url,
        log,
    });
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn start_mesos(
    plan: &Plan,
    resolved: &Resolved,
    port: u16,
    st: &mut State,
    http: &HttpAgent,
    on_event: &mut dyn FnMut(Event),
    cancelled: &dyn Fn() -> bool,
) -> Result<(), LocalError> {
    let dir = &plan.state_dir;
    let sizing = resolved.sizing;
    // Twice what the workers need, and some: a replacement never takes
    // the ports its agent's workers used in the last minutes (the scheduler
    // avoids addresses Flink's RPC may still have quarantined).
    let agent_ports = mesos::free_ports(2 * sizing.ports_per_task * sizing.workers as usize + 4)?;
    let resources = mesos::resources(&sizing, &agent_ports);
    let url = format!("http://127.0.0.1:{port}");
    match &plan.installation {
        Installation::OneProcess {
            binary,
            launcher_dir,
            env_files,
        } => {
            let files: Vec<&Path> = env_files.iter().map(PathBuf::as_path).collect();
            let mut env = mesos::environment(&files)?;
            mesos::apply_defaults(&mut env, launcher_dir.as_deref());
            let work = work_dir(&mut env, dir, "")?;
            env.set("LIBPROCESS_IP", "127.0.0.1");
            env.set("LIBPROCESS_PORT", port.to_string());
            env.set("MESOS_NUM_SLAVES", "1");
            env.set_default("MESOS_RESOURCES", resources.clone());
            if env.get("MESOS_RESOURCES") != Some(resources.as_str()) {
                on_event(Event::Note(
                    "MESOS_RESOURCES from the environment is used as given".into(),
                ));
            }
            st.mesos_work_dir = work;
            st.mesos_log_dir = env.get("MESOS_LOG_DIR").map(PathBuf::from);
            let log = dir.join("logs/mesos.log");
            let _ = std::fs::remove_file(&log);
            let mut cmd = Command::new(binary);
            env.apply(&mut cmd);
            cmd.current_dir(dir);
            start_component(
                st,
                "mesos",
                cmd,
                &binary.display().to_string(),
                port,
                url.clone(),
                log,
            )?;
        }
        Installation::Embedded => {
            let mut env = MesosEnv::default();
            let work = work_dir(&mut env, dir, "")?;
            st.mesos_work_dir = work.clone();
            st.mesos_log_dir = None;
            let log = dir.join("logs/mesos.log");
            let _ = std::fs::remove_file(&log);
            let mut cmd = Command::new(&plan.request.executable);
            cmd.args(["local", "embedded-mesos", "--port"])
                .arg(port.to_string())
                .arg("--work-dir")
                .arg(&work)
                .arg("--resources")
                .arg(&resources)
                .current_dir(dir)
                .env("NO_COLOR", "1")
                .env_remove("MESOS_SANDBOX");
            start_component(
                st,
                "mesos",
                cmd,
                &format!(
                    "the embedded Mesos ({} local embedded-mesos)",
                    plan.request.executable.display()
                ),
                port,
                url.clone(),
                log,
            )?;
        }
        Installation::MasterAgent {
            master,
            agent,
            launcher_dir,
            master_env,
            agent_env,
        } => {
            let mut env =
                mesos::environment(&master_env.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
            mesos::apply_defaults(&mut env, launcher_dir.as_deref());
            let work = work_dir(&mut env, dir, "master")?;
            env.set("MESOS_IP", "127.0.0.1");
            env.set("MESOS_PORT", port.to_string());
            env.set_default("MESOS_QUORUM", "1");
            let log = dir.join("logs/mesos-master.log");
            let _ = std::fs::remove_file(&log);
            let mut cmd = Command::new(master);
            env.apply(&mut cmd);
            cmd.current_dir(dir);
            start_component(
                st,
                "mesos-master",
                cmd,
                &master.display().to_string(),
                port,
                url.clone(),
                log,
            )?;
            state::save(dir, st)?;

            let mut env =
                mesos::environment(&agent_env.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
            mesos::apply_defaults(&mut env, launcher_dir.as_deref());
            let agent_work = work_dir(&mut env, dir, "agent")?;
            let agent_port = mesos::free_ports(1)?
                .first()
                .copied()
                .ok_or_else(|| LocalError::Internal("no free port".into()))?;
            env.set("MESOS_MASTER", format!("127.0.0.1:{port}"));
            env.set("MESOS_IP", "127.0.0.1");
            env.set("MESOS_PORT", agent_port.to_string());
            env.set_default("MESOS_RESOURCES", resources.clone());
            st.mesos_work_dir = agent_work.parent().map_or(work.clone(), Path::to_path_buf);
            st.mesos_log_dir = env.get("MESOS_LOG_DIR").map(PathBuf::from);
            let log = dir.join("logs/mesos-agent.log");
            let _ = std::fs::remove_file(&log);
            let mut cmd = Command::new(agent);
            env.apply(&mut cmd);
            cmd.current_dir(dir);
            start_component(
                st,
                "mesos-agent",
                cmd,
                &agent.display().to_string(),
                agent_port,
                format!("http://127.0.0.1:{agent_port}"),
                log,
            )?;
        }
    }
    st.mesos_url = url.clone();
    state::save(dir, st)?;
    let state_url = format!("{url}/master/state");
    let mut last = -1;
    let first = st
        .components
        .first()
        .map_or("mesos".to_string(), |c| c.name.clone());
    wait(
        st,
        &first,
        Duration::from_secs(60),
        cancelled,
        || {
            // Mesos writes the count as a JSON number that may be a float (1.0).
            let agents = json_get(http, &state_url)
                .and_then(|v| v["activated_slaves"].as_f64())
                .map(|n| n as i64);
            if let Some(n) = agents {
                if n != last {
                    last = n;
                    on_event(Event::Progress(
                        Stage::Mesos,
                        format!("master up, {n}/1 agent"),
                    ));
                }
            }
            (agents >= Some(1)).then_some(())
        },
        &format!("the Mesos master ({state_url}) did not report an active agent"),
    )
}

/// The Mesos work directory: `<MESOS_WORK_DIR>/flink-mesos-local/<sub>`
/// when the environment or the env files give a work directory, else
/// `<state dir>/mesos/<sub>`. Either way the directory is ours and is
/// emptied first, so every local cluster starts fresh (as
/// `mesos-local/start.sh` does): an agent that recovered old state with
/// other resources (the ports differ on every start) would refuse to run.
fn work_dir(env: &mut MesosEnv, state_dir: &Path, sub: &str) -> Result<PathBuf, LocalError> {
    let dir = match env.get("MESOS_WORK_DIR") {
        Some(given) => PathBuf::from(given).join("flink-mesos-local").join(sub),
        None => state_dir.join("mesos").join(sub),
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| {
            LocalError::io(
                format!("cannot empty the Mesos work directory {}", dir.display()),
                e,
            )
        })?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| {
        LocalError::io(
            format!("cannot create the Mesos work directory {}", dir.display()),
            e,
        )
    })?;
    env.set("MESOS_WORK_DIR", dir.display().to_string());
    Ok(dir)
}

/// How stopping went, per component.
#[derive(Debug, Clone, Serialize)]
pub struct StopReport {
    pub name: String,
    pub pid: u32,
    /// `stopped`, `killed` or `not running`.
    pub outcome: String,
    pub seconds: f64,
}

/// The grace period of a component before SIGKILL: the appmaster tears the
/// framework down (Mesos kills the TaskManagers) and stops the JobManager.
fn grace(name: &str) -> Duration {
    if name == "appmaster" {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(15)
    }
}

fn stop_components(st: &State, on_stop: &mut dyn FnMut(&StopReport)) -> Vec<StopReport> {
    let mut reports = Vec::new();
    for c in st.components.iter().rev() {
        let t = Instant::now();
        let outcome = match process::stop(c.process, grace(&c.name)) {
            process::Stopped::NotRunning => "not running",
            process::Stopped::Terminated => "stopped",
            process::Stopped::Killed => "killed",
        };
        let r = StopReport {
            name: c.name.clone(),
            pid: c.process.pid,
            outcome: outcome.into(),
            seconds: t.elapsed().as_secs_f64(),
        };
        on_stop(&r);
        reports.push(r);
    }
    // Tasks whose Mesos died before it could stop them.
    let orphans = process::tasks_below(&st.mesos_work_dir);
    if !orphans.is_empty() {
        let t = Instant::now();
        process::kill_all(&orphans);
        let r = StopReport {
            name: format!("{} orphaned task process(es)", orphans.len()),
            pid: orphans.iter().next().copied().unwrap_or_default(),
            outcome: "killed".into(),
            seconds: t.elapsed().as_secs_f64(),
        };
        on_stop(&r);
        reports.push(r);
    }
    reports
}

/// What `local down` did.
#[derive(Debug, Clone, Serialize)]
pub struct DownReport {
    pub state_dir: PathBuf,
    /// False when there was no record (nothing to stop).
    pub found: bool,
    pub stopped: Vec<StopReport>,
    pub purged: bool,
    pub seconds: f64,
}

/// Stops every recorded component in reverse order, then removes the record
/// (and with `purge` the whole state directory). Idempotent.
pub fn down(
    state_dir: &Path,
    purge: bool,
    on_stop: &mut dyn FnMut(&StopReport),
) -> Result<DownReport, LocalError> {
    let t = Instant::now();
    let st = state::load(state_dir)?;
    let stopped = st
        .as_ref()
        .map(|st| stop_components(st, on_stop))
        .unwrap_or_default();
    state::remove(state_dir)?;
    let purged = purge && state_dir.exists();
    if purged {
        std::fs::remove_dir_all(state_dir)
            .map_err(|e| LocalError::io(format!("cannot remove {}", state_dir.display()), e))?;
    }
    Ok(DownReport {
        state_dir: state_dir.to_path_buf(),
        found: st.is_some(),
        stopped,
        purged,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// The health of one component.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentStatus {
    pub component: String,
    pub pid: Option<u32>,
    pub port: Option<u16>,
    pub healthy: bool,
    /// `healthy`, or what is wrong, with a detail (agents, registered TaskManagers).
    pub health: String,
    pub url: Option<String>,
}

/// `local status`.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    pub state_dir: PathBuf,
    /// Which Mesos runs (genuine or the embedded one), as `up` described it.
    pub mesos: Option<String>,
    pub running: bool,
    pub healthy: bool,
    pub workers: u32,
    pub mesos_url: Option<String>,
    pub flink_url: Option<String>,
    pub components: Vec<ComponentStatus>,
}

/// The processes of a component's tree whose command line contains `needle`.
fn find_below(root: u32, needle: &str) -> Vec<u32> {
    process::left_behind(root)
        .into_iter()
        .filter(|p| process::cmdline(*p).contains(needle))
        .collect()
}

/// Every recorded component (and the JobManager and TaskManagers found
/// below them) with its health.
pub fn status(state_dir: &Path) -> Result<ClusterStatus, LocalError> {
    let Some(st) = state::load(state_dir)? else {
        return Ok(ClusterStatus {
            state_dir: state_dir.to_path_buf(),
            mesos: None,
            running: false,
            healthy: false,
            workers: 0,
            mesos_url: None,
            flink_url: None,
            components: Vec::new(),
        });
    };
    let http = http_agent(Duration::from_secs(3));
    let mut rows = Vec::new();
    for c in &st.components {
        let alive = c.process.alive();
        let (healthy, health) = if !alive {
            (false, "not running".to_string())
        } else if c.name == "appmaster" {
            match http_get(&http, &format!("http://127.0.0.1:{}/health", c.port)) {
                Some((200, _)) => (true, "healthy".into()),
                Some((code, body)) => (false, format!("/health {code}: {}", body.trim())),
                None => (false, "/health does not answer".into()),
            }
        } else if c.name == "zookeeper" {
            if zookeeper::ruok(c.port) {
                (true, "healthy (imok)".into())
            } else {
                (false, "does not answer `ruok`".into())
            }
        } else if c.name == "mesos-agent" {
            match http_get(&http, &format!("{}/slave(1)/health", c.url)) {
                Some((200, _)) => (true, "healthy".into()),
                Some((code, _)) => (false, format!("/slave(1)/health {code}")),
                None => (false, "/slave(1)/health does not answer".into()),
            }
        } else {
            match json_get(&http, &format!("{}/master/state", st.mesos_url)) {
                Some(v) => {
                    let n = v["activated_slaves"].as_f64().unwrap_or(0.0) as i64;
                    let fw = v["frameworks"].as_array().map_or(0, Vec::len);
                    let kind = if st.mesos_kind.starts_with("embedded") {
                        "embedded Mesos, "
                    } else {
                        ""
                    };
                    (
                        n >= 1,
                        format!(
                            "{} ({kind}{n} agent(s), {fw} framework(s))",
                            if n >= 1 { "healthy" } else { "no agent" }
                        ),
                    )
                }
                None => (false, "/master/state does not answer".into()),
            }
        };
        rows.push(ComponentStatus {
            component: c.name.clone(),
            pid: Some(c.process.pid),
            port: Some(c.port),
            healthy,
            health,
            url: Some(c.url.clone()),
        });
        if c.name == "appmaster" && alive {
            let jm = find_below(c.process.pid, "StandaloneSessionClusterEntrypoint")
                .into_iter()
                .next();
            let (healthy, health) = match json_get(&http, &format!("{}/overview", st.flink_url)) {
                Some(v) => {
                    let tms = v["taskmanagers"].as_u64().unwrap_or(0);
                    let ok = tms >= u64::from(st.workers);
                    (
                        ok,
                        format!(
                            "{} ({tms}/{} TaskManagers, {} slots)",
                            if ok {
                                "healthy"
                            } else {
                                "waiting for TaskManagers"
                            },
                            st.workers,
                            v["slots-total"].as_u64().unwrap_or(0)
                        ),
                    )
                }
                None => (false, "REST API does not answer".into()),
            };
            rows.push(ComponentStatus {
                component: "jobmanager".into(),
                pid: jm,
                port: Some(st.rest_port),
                healthy,
                health,
                url: Some(st.flink_url.clone()),
            });
        }
    }
    // TaskManagers: the `flink-mesos taskmanager` processes below Mesos.
    let with_ports = registered_ports(&http, st.rest_port).unwrap_or_default();
    let registered_ids: Vec<String> = with_ports.iter().map(|(id, _)| id.clone()).collect();
    let mut tms: Vec<(String, u32)> = Vec::new();
    for c in st
        .components
        .iter()
        .filter(|c| c.name.starts_with("mesos") && c.process.alive())
    {
        for pid in process::left_behind(c.process.pid) {
            if let Some(id) = process::environ_var(pid, "FLINK_MESOS_TASK_ID") {
                if process::cmdline(pid).contains(" taskmanager")
                    && !tms.iter().any(|(i, _)| *i == id)
                {
                    tms.push((id, pid));
                }
            }
        }
    }
    for id in &registered_ids {
        if !tms.iter().any(|(i, _)| i == id) {
            tms.push((id.clone(), 0));
        }
    }
    tms.sort();
    for (id, pid) in tms {
        let ok = registered_ids.contains(&id);
        let port = with_ports
            .iter()
            .find(|(i, _)| *i == id)
            .and_then(|(_, p)| *p);
        rows.push(ComponentStatus {
            component: id,
            pid: (pid != 0).then_some(pid),
            port,
            healthy: ok,
            health: if ok {
                "healthy (registered)".into()
            } else {
                "not registered".into()
            },
            url: None,
        });
    }
    let running = st.any_alive();
    let healthy =
        running && rows.iter().all(|r| r.healthy) && registered_ids.len() >= st.workers as usize;
    Ok(ClusterStatus {
        state_dir: state_dir.to_path_buf(),
        mesos: (!st.mesos_kind.is_empty()).then(|| st.mesos_kind.clone()),
        running,
        healthy,
        workers: st.workers,
        mesos_url: Some(st.mesos_url.clone()),
        flink_url: Some(st.flink_url.clone()),
        components: rows,
    })
}

/// One log of the cluster.
#[derive(Debug, Clone, Serialize)]
pub struct LogFile {
    pub component: String,
    pub path: PathBuf,
}

/// The sandboxes of the TaskManager tasks below `work` (the latest run of each).
fn sandboxes(work: &Path) -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<(String, PathBuf)>) {
        if depth > 12 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if !e.file_type().is_ok_and(|t| t.is_dir()) || e.file_name() == "meta" {
                continue;
            }
            if path.parent().is_some_and(|p| p.ends_with("executors")) {
                let latest = path.join("runs/latest");
                if latest.exists() {
                    out.push((e.file_name().to_string_lossy().into_owned(), latest));
                }
                continue;
            }
            walk(&path, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(work, 0, &mut out);
    out.sort();
    out
}

/// Every log the cluster writes, by component: Mesos, the appmaster, the
/// JobManager, and each TaskManager's log in its sandbox.
pub fn logs(state_dir: &Path) -> Result<Vec<LogFile>, LocalError> {
    let st = state::load(state_dir)?.ok_or_else(|| {
        LocalError::Usage(format!(
            "no local cluster recorded in {}; start one with `flink-mesos local up`",
            state_dir.display()
        ))
    })?;
    let mut out: Vec<LogFile> = st
        .components
        .iter()
        .map(|c| LogFile {
            component: c.name.clone(),
            path: c.log.clone(),
        })
        .collect();
    if let Some(dir) = &st.mesos_log_dir {
        // glog's `<program>.INFO` link points at the current log file.
        let mut links: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        links.retain(|p| p.extension().is_some_and(|e| e == "INFO"));
        links.sort();
        for link in links {
            let program = link
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            out.push(LogFile {
                component: format!("{program} (MESOS_LOG_DIR)"),
                path: link,
            });
        }
    }
    out.push(LogFile {
        component: "jobmanager".into(),
        path: st.appmaster_work_dir.join("log/jobmanager.log"),
    });
    for (id, sandbox) in sandboxes(&st.mesos_work_dir) {
        let log = sandbox.join(crate::flink::Role::TaskManager.log_file_name());
        out.push(LogFile {
            component: id,
            path: if log.exists() {
                log
            } else {
                sandbox.join("stderr")
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::{resolve, Purpose, Settings, ValidateOptions};
    use crate::config::{Config, LoadOptions};

    fn load(dynamic: Vec<String>) -> Settings {
        let config = Config::load(&LoadOptions {
            conf_dir: None,
            dynamic,
            env: Vec::new(),
        })
        .expect("load");
        let report = resolve(
            &config,
            ValidateOptions {
                purpose: Purpose::Appmaster,
                strict: false,
            },
        );
        report.settings.expect("valid settings")
    }

    const PORTS: Ports = Ports {
        mesos: 5050,
        jobmanager_rpc: 6123,
        rest: 8081,
        appmaster_status: 8090,
        zookeeper: None,
    };

    #[test]
    fn defaults_are_valid_small_and_overridable() {
        let s = load(properties(&PORTS, &[], 2));
        assert_eq!(s.initial_tasks, 2);
        assert_eq!(s.rest_port, 8081);
        let r = Resolved::from_settings(&s, 2);
        assert_eq!(r.sizing.cpus_per_task, 0.5);
        assert!(r.sizing.mem_mb_per_task <= 512, "{:?}", r.sizing);

        let user = vec![
            "rest.port=9999".to_string(),
            "mesos.initial-tasks=7".into(),
            "mesos.master=elsewhere:5050".into(),
        ];
        let s = load(properties(&PORTS, &user, 3));
        assert_eq!(s.rest_port, 9999, "the user's -D beats the defaults");
        assert_eq!(s.initial_tasks, 3, "--workers beats -D");
        let p = properties(&PORTS, &user, 3);
        let master = p.iter().rev().find(|e| e.starts_with("mesos.master="));
        assert_eq!(
            master.map(String::as_str),
            Some("mesos.master=127.0.0.1:5050")
        );
    }
}
