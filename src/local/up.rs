//! `local up`: the cluster brought up stage by stage — ZooKeeper (`--ha`),
//! Mesos (genuine: one process or master + agent; or the embedded one),
//! the appmaster, then waiting for the JobManager and for every TaskManager
//! to register — with progress as [`Event`]s.
//!
//! Invariants:
//! - every started component is recorded in `state.json` before the next
//!   one starts;
//! - a failed or interrupted `up` stops what it started (in reverse order)
//!   and removes the record before returning;
//! - a Mesos port taken between planning and binding is tried again on
//!   another free port (at most twice).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::down::stop_components;
use super::logs::tail_file;
use super::mesos::{self, Installation, MesosEnv};
use super::probe::{http_agent, http_get, json_get, registered, HttpAgent};
use super::state::{self, Component, State};
use super::{process, zookeeper, LocalError, Plan, Resolved};

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
    let planned = super::plan::planned_master(plan.ports.mesos);
    for p in &plan.properties {
        if *p == planned {
            cmd.arg(format!("-D{}", super::plan::planned_master(port)));
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
    // What the appmaster's /status says about the workers: the demand it
    // cannot place ends the wait at once, the last worker failure explains
    // a wait that ends otherwise.
    let last_failure = std::cell::RefCell::new(None::<String>);
    let mut status_polled = Instant::now() - Duration::from_secs(10);
    let outcome = wait(
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
            if ids.len() >= n {
                return Some(Ok(ids));
            }
            if status_polled.elapsed() >= Duration::from_secs(1) {
                status_polled = Instant::now();
                if let Some(v) = json_get(&http, &format!("{status_url}/status")) {
                    if let Some(why) = v["failures"]["last"].as_str() {
                        *last_failure.borrow_mut() = Some(why.to_string());
                    }
                    if let Some(why) = v["unsatisfiable"]["reason"].as_str() {
                        return Some(Err(format!("the workers cannot be placed: {why}")));
                    }
                }
            }
            None
        },
        &format!(
            "not every TaskManager registered with the JobManager ({}/taskmanagers)",
            st.flink_url
        ),
    );
    let with_failure = |e: LocalError| match (e, last_failure.borrow().clone()) {
        (
            LocalError::Start {
                component,
                message,
                log_path,
                log,
            },
            Some(why),
        ) => LocalError::Start {
            component,
            message: format!("{message}; the last worker failure: {why}"),
            log_path,
            log,
        },
        (e, _) => e,
    };
    let ids = match outcome.map_err(with_failure)? {
        Ok(ids) => ids,
        Err(why) => {
            let c = st.component("appmaster").or(st.components.last());
            return Err(match c {
                Some(c) => start_error(c, &why),
                None => LocalError::Internal(why),
            });
        }
    };
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
