//! Marathon app definitions that run the appmaster (`flink-mesos marathon-json`).
//!
//! Pure: the effective [`Config`], its typed [`Settings`] and a [`Request`]
//! (the command-line choices) go in; an app definition as a
//! `serde_json::Value` and notes for the operator come out. No I/O, so that
//! the whole mapping is tested without a Marathon.
//!
//! Invariants:
//! - The definition never holds a secret value. Secrets set through `-D` or
//!   the environment are left out of `cmd` and, with a secret store, referenced
//!   by name; a note says how the appmaster gets them.
//! - `cmd` is one POSIX shell command line (Marathon runs it with
//!   `/bin/sh -c`). Every literal word is quoted where needed (`crate::shell`), so the
//!   appmaster receives each `-Dkey=value` byte for byte; the shell expands
//!   only `$FLINK_HOME` and the `$PORTn` that Marathon assigns.
//! - `cmd` carries exactly the properties the appmaster's own configuration
//!   file cannot know (those from `-D` and the environment; with
//!   `inline_config` the file's too), the high-availability keys, and the
//!   ports from Marathon. Each option appears once, in the spelling that
//!   wins, so the appmaster resolves the same effective value.
//! - One appmaster at a time: at most one instance, and an upgrade strategy
//!   that stops the old task before it starts the new one.

pub mod cmd;
pub mod deploy;
mod flags;
mod id;
mod resources;
mod yaml;

use serde_json::{json, Map, Value};

use crate::config::options::Key;
use crate::config::settings::Settings;
use crate::config::Config;

pub use cmd::shell_quote;
use cmd::{command, secret_references};
use flags::{parse_constraint, parse_env, parse_pairs};
pub use id::{default_id, validate_id};
use resources::{container, memory_mb};
pub use yaml::to_yaml;

/// Memory of the flink-mesos appmaster process itself (scheduler, worker
/// store, artifact server) beside the JobManager JVM it supervises.
pub const APPMASTER_OVERHEAD_MB: u64 = 128;
/// What a JobManager JVM needs beyond its heap with Flink's defaults:
/// metaspace 256m + off-heap 128m + JVM overhead (minimum) 192m.
pub const JOBMANAGER_JVM_OVERHEAD_MB: u64 = 576;
/// What a JobManager JVM needs beyond `jobmanager.memory.flink.size` with
/// Flink's defaults: metaspace 256m + JVM overhead (minimum) 192m.
pub const JOBMANAGER_METASPACE_AND_OVERHEAD_MB: u64 = 448;
/// `jobmanager.memory.process.size` assumed when no JobManager memory is
/// configured (defined with the memory rules).
pub use crate::config::memory::JOBMANAGER_DEFAULT_PROCESS_MB;

/// Health check timing. The grace period covers a JobManager start with
/// recovery from ZooKeeper; three failures 30 s apart restart a hung appmaster
/// within about two minutes.
pub const HEALTH_GRACE_PERIOD_S: u32 = 300;
pub const HEALTH_INTERVAL_S: u32 = 30;
pub const HEALTH_TIMEOUT_S: u32 = 10;
pub const HEALTH_MAX_FAILURES: u32 = 3;
/// Time between SIGTERM and SIGKILL, for the appmaster to stop the JobManager.
pub const TASK_KILL_GRACE_PERIOD_S: u32 = 30;

/// The ports the appmaster listens on, in `portDefinitions` order: the
/// property gets `$PORT<index>`. The appmaster's own status endpoint
/// (`--status-port`, not a configuration key) comes after these, at
/// [`STATUS_PORT_INDEX`]: the health check asks its `/health`.
const PORTS: [(&str, Key); 4] = [
    ("rest", Key::RestPort),
    ("rpc", Key::JobmanagerRpcPort),
    ("blob", Key::BlobServerPort),
    ("artifacts", Key::MesosResourcemanagerArtifactserverPort),
];
/// With high availability the JobManager binds this key instead of
/// `jobmanager.rpc.port`; it gets the same Marathon port.
const HA_RPC_PORT_KEY: Key = Key::HighAvailabilityJobmanagerPort;
const RPC_PORT_INDEX: usize = 1;
/// `portDefinitions` index of the appmaster's status endpoint.
pub const STATUS_PORT_INDEX: usize = PORTS.len();

/// High-availability keys always written into `cmd` when HA is configured,
/// so that the definition shows (and the appmaster gets) the ZooKeeper
/// setup even if the agent's configuration file lacks it.
const HA_KEYS: [Key; 4] = [
    Key::HighAvailabilityType,
    Key::HighAvailabilityZookeeperQuorum,
    Key::HighAvailabilityStorageDir,
    Key::HighAvailabilityZookeeperPathMesosWorkers,
];
/// Written too when they are set anywhere (their defaults are Flink's).
const HA_KEYS_IF_SET: [Key; 2] = [
    Key::HighAvailabilityZookeeperPathRoot,
    Key::HighAvailabilityClusterId,
];

/// How the app starts the appmaster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entrypoint {
    /// `<flink_home>/bin/mesos-appmaster.sh`; `None`: `$FLINK_HOME` on the agent.
    /// No Flink since 1.14 ships that script: it must be a copy of
    /// `commands/mesos-appmaster.sh`.
    Script { flink_home: Option<String> },
    /// `flink-mesos appmaster` from the PATH, with `--flink-home` when given
    /// (else the appmaster finds `$FLINK_HOME` on the agent).
    Binary { flink_home: Option<String> },
}

/// What the command line asks for, besides the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: Option<String>,
    pub instances: u32,
    pub cpus: f64,
    pub disk: Option<f64>,
    pub docker_image: Option<String>,
    pub entrypoint: Entrypoint,
    /// `FIELD:OPERATOR[:VALUE]` as given.
    pub constraints: Vec<String>,
    /// `NAME=VALUE` as given.
    pub env: Vec<String>,
    /// `KEY=VALUE` as given.
    pub labels: Vec<String>,
    /// Path prefix in Marathon's secret store for referenced secrets.
    pub secret_store: Option<String>,
    /// Also put the configuration file's values into `cmd`, for agents or
    /// images that do not have the file.
    pub inline_config: bool,
    /// A job cluster's app (`appmaster --job-jar`).
    pub job: Option<JobApp>,
}

/// The job of a job cluster's app.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobApp {
    /// A path on the agents, or a URI Marathon fetches (`fetch`).
    pub jar: String,
    pub classname: Option<String>,
    pub from_savepoint: Option<String>,
    pub allow_non_restored_state: bool,
    pub savepoint_on_stop: Option<String>,
    pub args: Vec<String>,
}

impl JobApp {
    /// The URI Marathon fetches, when the JAR is one (`scheme://…`).
    pub fn fetched(&self) -> Option<&str> {
        self.jar.contains("://").then_some(self.jar.as_str())
    }
}

/// Marathon's grace period between SIGTERM and SIGKILL for a job cluster:
/// room for a stop-with-savepoint of a large state.
pub const JOB_TASK_KILL_GRACE_PERIOD_S: u32 = 600;

impl Default for Request {
    fn default() -> Self {
        Request {
            id: None,
            instances: 1,
            cpus: 1.0,
            disk: None,
            docker_image: None,
            entrypoint: Entrypoint::Binary { flink_home: None },
            constraints: Vec::new(),
            env: Vec::new(),
            labels: Vec::new(),
            secret_store: None,
            inline_config: false,
            job: None,
        }
    }
}

/// The generated definition and what the operator must know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppDefinition {
    pub id: String,
    pub app: Value,
    /// One line each: secrets to provide, values replaced or left out.
    pub notes: Vec<String>,
}

/// A choice on the command line that cannot become a valid definition.
/// Messages name the flag and never contain a secret value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MarathonError {
    #[error("--id `{id}` is not a valid Marathon app id: {rule}")]
    InvalidId { id: String, rule: String },
    #[error("{flag} `{value}`: {message}")]
    BadFlag {
        flag: &'static str,
        value: String,
        message: String,
    },
    #[error(
        "`{key}` (from {origin}) holds a NUL character, which no shell command line can carry"
    )]
    Unquotable { key: String, origin: String },
}

/// A flag or an id the operator gave: a usage error.
impl crate::error::Classified for MarathonError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Usage
    }
}

/// Builds the app definition.
pub fn app_definition(
    config: &Config,
    settings: &Settings,
    req: &Request,
) -> Result<AppDefinition, MarathonError> {
    let mut notes = Vec::new();
    let id = match &req.id {
        Some(id) => {
            validate_id(id).map_err(|rule| MarathonError::InvalidId {
                id: id.clone(),
                rule,
            })?;
            id.clone()
        }
        None => default_id(&settings.framework.name),
    };
    // Without high availability an appmaster is the framework's only
    // scheduler; with it, the others stand by for the ZooKeeper leadership.
    if req.instances > 1 && settings.ha.is_none() {
        return Err(bad_flag(
            "--instances",
            req.instances.to_string(),
            "only one appmaster may run at a time without high availability (it is the framework's only scheduler); use 1, or 0 to suspend the app, or configure high-availability.type: zookeeper for standbys",
        ));
    }
    if !(req.cpus.is_finite() && req.cpus >= 0.001) {
        return Err(bad_flag(
            "--cpus",
            req.cpus.to_string(),
            "must be a number of at least 0.001",
        ));
    }
    if let Some(disk) = req.disk {
        if !(disk.is_finite() && disk >= 0.0) {
            return Err(bad_flag(
                "--disk",
                disk.to_string(),
                "must be a number of megabytes, 0 or more",
            ));
        }
    }

    let mut app = Map::new();
    app.insert("id".into(), json!(id));
    app.insert(
        "cmd".into(),
        json!(command(config, settings, req, &mut notes)?),
    );
    app.insert("instances".into(), json!(req.instances));
    app.insert("cpus".into(), json!(req.cpus));
    app.insert("mem".into(), json!(memory_mb(settings, &mut notes)));
    if let Some(disk) = req.disk {
        app.insert("disk".into(), json!(disk));
    }
    if !settings.framework.user.is_empty() {
        app.insert("user".into(), json!(settings.framework.user));
    }
    app.insert(
        "portDefinitions".into(),
        Value::Array(
            PORTS
                .iter()
                .map(|(name, _)| *name)
                .chain(["status"])
                .map(|name| json!({"port": 0, "protocol": "tcp", "name": name}))
                .collect(),
        ),
    );
    let secrets = secret_references(config, req, &mut notes);
    let mut env = parse_env(&req.env)?;
    if !req.inline_config && !env.contains_key("FLINK_CONF_DIR") {
        notes.push(
            "on the agent the appmaster reads its configuration file from $FLINK_CONF_DIR (else ./conf in the task sandbox): \
             set it there or in the image, pass --env FLINK_CONF_DIR=DIR, or pass --inline-config to put the file's values into cmd"
                .into(),
        );
    }
    for (var, name) in &secrets {
        env.insert(var.clone(), json!({ "secret": name }));
    }
    if !env.is_empty() {
        app.insert("env".into(), Value::Object(env));
    }
    if let Some(store) = &req.secret_store {
        if !secrets.is_empty() {
            let store = store.trim_end_matches('/');
            let refs: Map<String, Value> = secrets
                .values()
                .map(|name| (name.clone(), json!({ "source": format!("{store}/{name}") })))
                .collect();
            app.insert("secrets".into(), Value::Object(refs));
        }
    }
    let labels = parse_pairs("--label", &req.labels)?;
    if !labels.is_empty() {
        let labels: Map<String, Value> = labels.into_iter().map(|(k, v)| (k, json!(v))).collect();
        app.insert("labels".into(), Value::Object(labels));
    }
    if let Some(container) = container(settings, req, &mut notes) {
        app.insert("container".into(), container);
    }
    let constraints = req
        .constraints
        .iter()
        .map(|c| parse_constraint(c))
        .collect::<Result<Vec<_>, _>>()?;
    if !constraints.is_empty() {
        app.insert("constraints".into(), json!(constraints));
    }
    // The appmaster's /health: 503 when its owner loop is wedged or no
    // Mesos master has subscribed it for 5 minutes; a standby waiting for
    // leadership is healthy. (Flink's web interface at `/` would pass while
    // the scheduler is stuck.)
    app.insert(
        "healthChecks".into(),
        json!([{
            "protocol": "HTTP",
            "path": "/health",
            "portIndex": STATUS_PORT_INDEX,
            "gracePeriodSeconds": HEALTH_GRACE_PERIOD_S,
            "intervalSeconds": HEALTH_INTERVAL_S,
            "timeoutSeconds": HEALTH_TIMEOUT_S,
            "maxConsecutiveFailures": HEALTH_MAX_FAILURES,
            "ignoreHttp1xx": false,
        }]),
    );
    // Marathon's default strategy starts the new task before it kills the old
    // one; two appmasters would fight over the same framework and workers.
    app.insert(
        "upgradeStrategy".into(),
        json!({"minimumHealthCapacity": 0, "maximumOverCapacity": 0}),
    );
    app.insert(
        "taskKillGracePeriodSeconds".into(),
        json!(if req.job.is_some() {
            JOB_TASK_KILL_GRACE_PERIOD_S
        } else {
            TASK_KILL_GRACE_PERIOD_S
        }),
    );
    if let Some(job) = &req.job {
        if let Some(uri) = job.fetched() {
            app.insert(
                "fetch".into(),
                json!([{"uri": uri, "executable": false, "extract": false, "cache": false}]),
            );
        }
        notes.push(
            "a job cluster: Marathon starts an app again when it exits, so a job that ended (FINISHED, or \
             stopped with a savepoint) runs again from its start unless the app is suspended (--instances 0) \
             or updated with --from-savepoint first; bounded jobs fit a job scheduler (Metronome) better"
                .into(),
        );
        if settings.ha.is_some() {
            notes.push(
                "a job cluster with high availability: Marathon's SIGTERM (restart, upgrade) is a failover \
                 (--keep-framework): the job keeps running and the next appmaster's JobManager recovers it; \
                 stop it with a savepoint through Flink (`flink stop --savepointPath DIR JOB_ID`) before an upgrade"
                    .into(),
            );
        }
    }
    if settings.ha.is_none() {
        notes.push(
            "high availability is not configured: Marathon restarts a failed appmaster, but the new one registers \
             a new framework and the running jobs and TaskManagers are lost; set high-availability.type: zookeeper, \
             high-availability.zookeeper.quorum and high-availability.storageDir"
                .into(),
        );
    }
    Ok(AppDefinition {
        id,
        app: Value::Object(app),
        notes,
    })
}

pub(crate) fn bad_flag(
    flag: &'static str,
    value: impl Into<String>,
    message: impl Into<String>,
) -> MarathonError {
    MarathonError::BadFlag {
        flag,
        value: value.into(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::flags::{parse_constraint, parse_env};
    use super::id::{default_id, validate_id};
    use super::yaml::to_yaml;
    use serde_json::json;

    #[test]
    fn ids_follow_marathon_rules() {
        for ok in ["flink", "/flink", "/analytics/flink-1", "a.b-c/d9", "0"] {
            assert_eq!(validate_id(ok), Ok(()), "{ok}");
        }
        let rule = |id: &str| validate_id(id).unwrap_err();
        assert!(rule("").contains("empty"));
        assert!(rule("Flink").contains("contains `F`"));
        assert!(rule("Flink").contains("lowercase: `flink`"));
        assert!(rule("a//b").contains("empty name"));
        assert!(rule("flink/").contains("empty name"));
        assert!(rule("/a/../b").contains("relative name"));
        assert!(rule("-flink").contains("begins or ends with a dash"));
        assert!(rule("flink.").contains("begins or ends"));
        assert!(rule("flink_1").contains("contains `_`"));
    }

    #[test]
    fn default_ids_are_valid() {
        assert_eq!(default_id("Flink"), "flink");
        assert_eq!(default_id("My Flink_Cluster!"), "my-flink-cluster");
        assert_eq!(default_id("__"), "flink");
        assert_eq!(default_id("Flink 2.3"), "flink-2-3");
        for name in ["Flink", "x y", "ÄÖÜ", "--", "a.b"] {
            assert_eq!(validate_id(&default_id(name)), Ok(()), "{name}");
        }
    }

    #[test]
    fn constraints() {
        assert_eq!(
            parse_constraint("hostname:unique").unwrap(),
            ["hostname", "UNIQUE"]
        );
        assert_eq!(
            parse_constraint("rack:LIKE:r[12]:x").unwrap(),
            ["rack", "LIKE", "r[12]:x"]
        );
        assert_eq!(
            parse_constraint("rack:GROUP_BY").unwrap(),
            ["rack", "GROUP_BY"]
        );
        assert!(parse_constraint("rack:LIKE")
            .unwrap_err()
            .to_string()
            .contains("needs a value"));
        assert!(parse_constraint("rack:NEAR:x")
            .unwrap_err()
            .to_string()
            .contains("unknown operator"));
        assert!(parse_constraint("hostname:UNIQUE:x")
            .unwrap_err()
            .to_string()
            .contains("takes no value"));
        assert!(parse_constraint(":UNIQUE").is_err());
    }

    #[test]
    fn env_refuses_secrets() {
        assert!(parse_env(&["JAVA_OPTS=-Xmx1g".into()]).is_ok());
        let e = parse_env(&["FLINK_MESOS_FRAMEWORK_SECRET=hunter2".into()]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
        assert!(e.to_string().contains("--secret-store"));
        assert!(parse_env(&["DB_PASSWORD=x".into()]).is_err());
        assert!(parse_env(&["FLINK_MESOS_MASTER=zk://u:pw@zk:2181/mesos".into()]).is_err());
        assert!(parse_env(&["FLINK_MESOS_MASTER=zk://zk:2181/mesos".into()]).is_ok());
        assert!(
            parse_env(&["FLINK_PROPERTIES=a: 1\nsecurity.ssl.keystore-password: x".into()])
                .is_err()
        );
        assert!(parse_env(&["FLINK_PROPERTIES=a: 1\nrest.port: 2".into()]).is_ok());
        assert!(parse_env(&["1X=y".into()]).is_err());
    }

    #[test]
    fn yaml_escapes_what_yaml_does_not_allow_raw() {
        assert_eq!(
            to_yaml(&json!("a\u{85}b\u{1}\u{2028}\"\\\tü✓")),
            // NEL and LS in YAML's short escapes (\N, \L), as libyaml writes them.
            "\"a\\Nb\\x01\\L\\\"\\\\\\tü✓\"\n"
        );
    }

    #[test]
    fn yaml_rendering() {
        let v = json!({
            "id": "flink",
            "cmd": "exec a 'b c'",
            "n": 1.5,
            "yes": "yes",
            "empty": {},
            "list": [{"a": 1, "b": [1, 2]}, "x", []],
        });
        assert_eq!(
            to_yaml(&v),
            "cmd: \"exec a 'b c'\"\nempty: {}\nid: flink\nlist:\n- a: 1\n  b:\n  - 1\n  - 2\n- x\n- []\n\"n\": 1.5\n\"yes\": \"yes\"\n"
        );
    }
}
