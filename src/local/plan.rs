//! The plan of `local up`: the request checked (no cluster running in the
//! state directory, Mesos and Flink found), free ports chosen and the
//! appmaster's `-D` list worked out, before anything is started; and what
//! the validated configuration says about the cluster ([`Resolved`]).
//!
//! Invariant: a plan holds the state directory's `up` lock, so a second
//! `local up` on the same directory is refused even before the first one
//! recorded anything.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::mesos::{self, Installation, MesosMode, Sizing};
use super::{state, zookeeper, Event, LocalError};
use crate::config::options::Key;
use crate::flink::{FlinkError, FlinkHome};

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
    /// `--job-jar`: a job cluster instead of a session cluster.
    pub job: Option<LocalJob>,
}

/// A local job cluster's job: what `local up --job-jar` hands the
/// appmaster (`appmaster --job-jar …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalJob {
    /// The JAR, absolute (the appmaster runs in the state directory), and
    /// checked by the caller ([`crate::flink::jobjar::check`]).
    pub jar: PathBuf,
    pub classname: Option<String>,
    pub from_savepoint: Option<String>,
    pub allow_non_restored_state: bool,
    pub savepoint_on_stop: Option<String>,
    /// The job's own arguments (after `--`).
    pub args: Vec<String>,
}

impl LocalJob {
    /// The appmaster's arguments for it, but the job's own ones (which go
    /// last, after `--`).
    pub fn appmaster_args(&self) -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec!["--job-jar".into(), self.jar.clone().into()];
        for (flag, value) in [
            ("--job-classname", &self.classname),
            ("--from-savepoint", &self.from_savepoint),
            ("--savepoint-on-stop", &self.savepoint_on_stop),
        ] {
            if let Some(v) = value {
                a.push(flag.into());
                a.push(v.into());
            }
        }
        if self.allow_non_restored_state {
            a.push("--allow-non-restored-state".into());
        }
        a
    }
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
/// appmaster's configuration before calling [`up`](super::up()).
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
    // (Flink before 1.20 reads these as milliseconds: `flink::conf::render`
    // writes them so for it.)
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
    // A role's small memory defaults stay out when the user's `-D` sizes
    // that role (e.g. the seed's `taskmanager.heap.mb`): a default
    // `taskmanager.memory.process.size` would win over a legacy heap, and
    // the small fixed parts would not match the user's sizes.
    let sizes = |role: &str| {
        user.iter()
            .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.trim()))
            .any(|k| {
                k.starts_with(&format!("{role}.memory.")) || k.starts_with(&format!("{role}.heap."))
            })
    };
    let (taskmanager, jobmanager) = (sizes("taskmanager"), sizes("jobmanager"));
    let mut p: Vec<String> = LOCAL_DEFAULTS
        .iter()
        .filter(|(k, _)| {
            let k = k.name();
            let sized_by_user = (taskmanager && k.starts_with("taskmanager.memory."))
                || (jobmanager && k.starts_with("jobmanager.memory."));
            !sized_by_user
        })
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
pub(super) fn planned_master(port: u16) -> String {
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
        // The seed's memory keys replace the small memory defaults of their role.
        let seed = vec![
            "taskmanager.heap.mb=1024".to_string(),
            "mesos.resourcemanager.tasks.mem=1024".into(),
        ];
        let p = properties(&PORTS, &seed, 2);
        assert!(
            !p.iter().any(|e| e.starts_with("taskmanager.memory.")),
            "{p:?}"
        );
        assert!(p
            .iter()
            .any(|e| e.starts_with("jobmanager.memory.process.size=")));
        let seeded = load(p);
        assert_eq!(
            seeded.taskmanager_memory.breakdown.unwrap().process >> 20,
            1024
        );
        let p = properties(&PORTS, &["jobmanager.heap.mb=1024".to_string()], 2);
        assert!(
            !p.iter().any(|e| e.starts_with("jobmanager.memory.")),
            "{p:?}"
        );
        assert!(p
            .iter()
            .any(|e| e.starts_with("taskmanager.memory.process.size=")));
        assert_eq!(s.initial_tasks, 3, "--workers beats -D");
        let p = properties(&PORTS, &user, 3);
        let master = p.iter().rev().find(|e| e.starts_with("mesos.master="));
        assert_eq!(
            master.map(String::as_str),
            Some("mesos.master=127.0.0.1:5050")
        );
    }
}
