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
//!   `/bin/sh -c`). Every literal word is single-quoted where needed, so the
//!   appmaster receives each `-Dkey=value` byte for byte; the shell expands
//!   only `$FLINK_HOME` and the `$PORTn` that Marathon assigns.
//! - `cmd` carries exactly the properties the appmaster's own configuration
//!   file cannot know (those from `-D` and the environment; with
//!   `inline_config` the file's too), the high-availability keys, and the
//!   ports from Marathon. Each option appears once, in the spelling that
//!   wins, so the appmaster resolves the same effective value.
//! - One appmaster at a time: at most one instance, and an upgrade strategy
//!   that stops the old task before it starts the new one.

pub mod deploy;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::config::options::{self, DefaultValue};
use crate::config::settings::{Container, JobManagerMemory, Settings};
use crate::config::values::VolumeMode;
use crate::config::{Config, Entry, Layer};
use crate::error::Error;

/// Memory of the flink-mesos appmaster process itself (scheduler, worker
/// store, artifact server) beside the JobManager JVM it supervises.
pub const APPMASTER_OVERHEAD_MB: u64 = 128;
/// What a JobManager JVM needs beyond its heap with Flink's defaults:
/// metaspace 256m + off-heap 128m + JVM overhead (minimum) 192m.
pub const JOBMANAGER_JVM_OVERHEAD_MB: u64 = 576;
/// `jobmanager.memory.process.size` in the `config.yaml` Flink ships, assumed
/// when no JobManager memory is configured.
pub const JOBMANAGER_DEFAULT_PROCESS_MB: u64 = 1600;

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
/// property gets `$PORT<index>`. The web interface comes first because the
/// health check uses `portIndex` 0.
const PORTS: [(&str, &str); 4] = [
    ("rest", "rest.port"),
    ("rpc", "jobmanager.rpc.port"),
    ("blob", "blob.server.port"),
    ("artifacts", "mesos.resourcemanager.artifactserver.port"),
];
/// With high availability the JobManager binds this key instead of
/// `jobmanager.rpc.port`; it gets the same Marathon port.
const HA_RPC_PORT_KEY: &str = "high-availability.jobmanager.port";
const RPC_PORT_INDEX: usize = 1;

/// High-availability keys always written into `cmd` when HA is configured,
/// so that the definition shows (and the appmaster gets) the ZooKeeper
/// setup even if the agent's configuration file lacks it.
const HA_KEYS: [&str; 4] = [
    "high-availability.type",
    "high-availability.zookeeper.quorum",
    "high-availability.storageDir",
    "high-availability.zookeeper.path.mesos-workers",
];
/// Written too when they are set anywhere (their defaults are Flink's).
const HA_KEYS_IF_SET: [&str; 2] = [
    "high-availability.zookeeper.path.root",
    "high-availability.cluster-id",
];

/// How the app starts the appmaster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entrypoint {
    /// `<flink_home>/bin/mesos-appmaster.sh`; `None`: `$FLINK_HOME` on the agent.
    Script { flink_home: Option<String> },
    /// `flink-mesos appmaster` from the PATH.
    Binary,
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
}

impl Default for Request {
    fn default() -> Self {
        Request {
            id: None,
            instances: 1,
            cpus: 1.0,
            disk: None,
            docker_image: None,
            entrypoint: Entrypoint::Script { flink_home: None },
            constraints: Vec::new(),
            env: Vec::new(),
            labels: Vec::new(),
            secret_store: None,
            inline_config: false,
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
}

impl From<MarathonError> for Error {
    fn from(e: MarathonError) -> Self {
        Error::Usage(e.to_string())
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
    if req.instances > 1 {
        return Err(bad_flag(
            "--instances",
            req.instances.to_string(),
            "only one appmaster may run at a time (it is the framework's only scheduler); use 1, or 0 to suspend the app",
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
                .map(|(name, _)| json!({"port": 0, "protocol": "tcp", "name": name}))
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
    let rest_https = config
        .get_key("security.ssl.rest.enabled")
        .is_some_and(|e| e.value.eq_ignore_ascii_case("true"));
    app.insert(
        "healthChecks".into(),
        json!([{
            "protocol": if rest_https { "HTTPS" } else { "HTTP" },
            "path": "/",
            "portIndex": 0,
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
        json!(TASK_KILL_GRACE_PERIOD_S),
    );
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

fn bad_flag(
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

// --- app id -------------------------------------------------------------------

/// Checks Marathon's app id rules: names separated by `/` (optionally
/// starting with one), each of lowercase letters, digits, dashes and dots,
/// beginning and ending with a letter or digit. The error names the rule.
pub fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("it is empty; use a name such as `flink` or `/analytics/flink`".into());
    }
    let path = id.strip_prefix('/').unwrap_or(id);
    for name in path.split('/') {
        if name.is_empty() {
            return Err("it has an empty name (`//`, or a `/` at the end); separate names with single slashes, e.g. `/analytics/flink`".into());
        }
        if name == "." || name == ".." {
            return Err(format!(
                "`{name}` is a relative name; an app id is a path of plain names, e.g. `/analytics/flink`"
            ));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
        {
            let hint = if c.is_ascii_uppercase() {
                format!(" (lowercase: `{}`)", id.to_ascii_lowercase())
            } else {
                String::new()
            };
            return Err(format!(
                "the name `{name}` contains `{c}`; names may only contain lowercase letters a-z, digits 0-9, dashes and dots{hint}"
            ));
        }
        let edge = |c: char| c == '-' || c == '.';
        if name.starts_with(edge) || name.ends_with(edge) {
            return Err(format!(
                "the name `{name}` begins or ends with a dash or a dot; names must begin and end with a letter or digit"
            ));
        }
    }
    Ok(())
}

/// An app id from the framework name: lowercase, runs of other characters
/// become one dash (`My Flink_Cluster` → `my-flink-cluster`); `flink` when
/// nothing usable is left. Always passes [`validate_id`].
pub fn default_id(framework_name: &str) -> String {
    let mut id = String::new();
    for c in framework_name.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_matches('-');
    if id.is_empty() {
        "flink".into()
    } else {
        id.into()
    }
}

// --- cmd -----------------------------------------------------------------------

/// A property value in `cmd`: literal text, or a port Marathon assigns.
enum PropValue {
    Literal(String),
    Port(usize),
}

fn command(
    config: &Config,
    settings: &Settings,
    req: &Request,
    notes: &mut Vec<String>,
) -> Result<String, MarathonError> {
    let mut words: Vec<String> = vec!["exec".into()];
    match &req.entrypoint {
        Entrypoint::Script { flink_home: None } => {
            // Fails with "FLINK_HOME: not set" instead of running /bin/… when unset.
            words.push("\"${FLINK_HOME:?not set}\"/bin/mesos-appmaster.sh".into());
        }
        Entrypoint::Script {
            flink_home: Some(home),
        } => {
            if home.trim().is_empty() {
                return Err(bad_flag(
                    "--flink-home",
                    home.clone(),
                    "is empty; give the Flink directory on the agents",
                ));
            }
            let script = format!("{}/bin/mesos-appmaster.sh", home.trim_end_matches('/'));
            words.push(shell_quote(&script));
        }
        Entrypoint::Binary => {
            words.push("flink-mesos".into());
            words.push("appmaster".into());
        }
    }
    if settings.ha.is_some() {
        // Marathon stops the task (SIGTERM) on every restart and upgrade; with
        // high availability the next appmaster takes the framework over, so
        // the framework and its workers must outlive this one.
        words.push("--keep-framework".into());
    }

    let mut props: Vec<(String, PropValue)> = Vec::new();
    for entry in cmd_entries(config, req) {
        if let Some((name, index)) = port_of(&entry.key) {
            notes.push(format!(
                "`{}` from {} is replaced by the port Marathon assigns (`$PORT{index}`, port `{name}`)",
                entry.key, entry.origin
            ));
            continue;
        }
        if options::secret_part(&entry.key, &entry.value).is_some() {
            // Handled by secret_references().
            continue;
        }
        props.push((entry.key.clone(), PropValue::Literal(entry.value.clone())));
    }
    if settings.ha.is_some() {
        for key in HA_KEYS.iter().chain(HA_KEYS_IF_SET.iter()) {
            let Some(def) = options::lookup(key) else {
                continue;
            };
            match config.get(def) {
                // Already in `props` under the spelling the user chose.
                Some(e) if e.origin.layer() >= first_layer(req) => {}
                Some(e) => props.push((def.key.to_string(), PropValue::Literal(e.value.clone()))),
                None if HA_KEYS.contains(key) => {
                    if let DefaultValue::Value(v) = def.default {
                        props.push((def.key.to_string(), PropValue::Literal(v.to_string())));
                    }
                }
                None => {}
            }
        }
    }
    for (index, (_, key)) in PORTS.iter().enumerate() {
        props.push((key.to_string(), PropValue::Port(index)));
    }
    if settings.ha.is_some() {
        props.push((HA_RPC_PORT_KEY.to_string(), PropValue::Port(RPC_PORT_INDEX)));
    }
    for (key, value) in props {
        words.push(match value {
            PropValue::Literal(v) => shell_quote(&format!("-D{key}={v}")),
            // Keys here are our own constants (shell-safe); the port is a number.
            PropValue::Port(i) => format!("-D{key}=$PORT{i}"),
        });
    }
    Ok(words.join(" "))
}

/// The lowest layer whose values go into `cmd`: the environment and `-D`
/// (the appmaster reads the file itself), or the file too with `inline_config`.
fn first_layer(req: &Request) -> Layer {
    if req.inline_config {
        Layer::File
    } else {
        Layer::Env
    }
}

/// Entries for `cmd`: the winning values from [`first_layer`] up, one per
/// option (an option's losing spellings are skipped, so that the appmaster
/// resolves the same value).
fn cmd_entries<'a>(config: &'a Config, req: &Request) -> Vec<&'a Entry> {
    config
        .winners()
        .filter(|e| e.origin.layer() >= first_layer(req))
        .filter(|e| match options::lookup(&e.key) {
            Some(def) => config.get(def).is_some_and(|w| w.key == e.key),
            None => true,
        })
        .collect()
}

/// The port name and index when `key` (in any spelling) is one Marathon assigns.
fn port_of(key: &str) -> Option<(&'static str, usize)> {
    let canonical = options::lookup(key).map_or(key, |d| d.key);
    if canonical == HA_RPC_PORT_KEY {
        return Some(("rpc", RPC_PORT_INDEX));
    }
    PORTS
        .iter()
        .enumerate()
        .find(|(_, (_, k))| *k == canonical)
        .map(|(i, (name, _))| (*name, i))
}

/// Quotes one word for a POSIX shell: unchanged when it has only characters
/// that no shell treats specially, else in single quotes, where nothing is
/// special and a `'` is written as `'\''`.
pub fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

// --- secrets -------------------------------------------------------------------

/// For every secret set through `-D` or the environment: the variable the
/// appmaster reads it from → the name of its Marathon secret. Adds a note
/// telling how to provide each one; nothing here holds a secret value.
fn secret_references(
    config: &Config,
    req: &Request,
    notes: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut refs = BTreeMap::new();
    for entry in cmd_entries(config, req) {
        if options::secret_part(&entry.key, &entry.value).is_none() {
            continue;
        }
        let var = options::lookup(&entry.key).and_then(|d| d.env);
        match (var, &req.secret_store) {
            (Some(var), Some(store)) => {
                let name = var.to_ascii_lowercase().replace('_', "-");
                notes.push(format!(
                    "`{}` (from {}) is not written into the app definition: the appmaster reads it from ${var}, which references the Marathon secret `{name}` at `{}/{name}`; store it there before deploying",
                    entry.key,
                    entry.origin,
                    store.trim_end_matches('/')
                ));
                refs.insert(var.to_string(), name);
            }
            (Some(var), None) => notes.push(format!(
                "`{}` (from {}) is not written into the app definition: the appmaster reads it from ${var}; \
                 provide that variable to the Marathon task (--secret-store PATH references a Marathon secret), \
                 or put the value into the configuration file the appmaster reads",
                entry.key, entry.origin
            )),
            (None, _) => notes.push(format!(
                "`{}` (from {}) looks like a secret and is not written into the app definition; \
                 put it into the configuration file the appmaster reads",
                entry.key, entry.origin
            )),
        }
    }
    refs
}

// --- memory, container, env, labels, constraints ----------------------------------

/// The JobManager process plus the appmaster beside it, in MB.
fn memory_mb(settings: &Settings, notes: &mut Vec<String>) -> u64 {
    let jobmanager = match settings.jobmanager_memory {
        JobManagerMemory::Process { mb } => mb,
        JobManagerMemory::Heap { mb, .. } => mb + JOBMANAGER_JVM_OVERHEAD_MB,
        JobManagerMemory::Unset => {
            notes.push(format!(
                "no JobManager memory is configured; `mem` assumes jobmanager.memory.process.size: {JOBMANAGER_DEFAULT_PROCESS_MB}m \
                 (Flink's shipped configuration); set it so that the container and the JobManager agree"
            ));
            JOBMANAGER_DEFAULT_PROCESS_MB
        }
    };
    jobmanager + APPMASTER_OVERHEAD_MB
}

/// The appmaster runs in the TaskManagers' container (same Flink
/// distribution), unless `--docker-image` names another image.
fn container(settings: &Settings, req: &Request, notes: &mut Vec<String>) -> Option<Value> {
    let (kind, image, force_pull, parameters) = match (&req.docker_image, &settings.tasks.container)
    {
        (
            Some(image),
            Container::Docker {
                force_pull,
                parameters,
                ..
            },
        ) => (
            "DOCKER",
            Some(image.clone()),
            *force_pull,
            parameters.clone(),
        ),
        (Some(image), Container::Mesos { .. }) => {
            ("DOCKER", Some(image.clone()), false, Vec::new())
        }
        (
            None,
            Container::Docker {
                image,
                force_pull,
                parameters,
            },
        ) => (
            "DOCKER",
            Some(image.clone()),
            *force_pull,
            parameters.clone(),
        ),
        (None, Container::Mesos { image }) => ("MESOS", image.clone(), false, Vec::new()),
    };
    let mut volumes = Vec::new();
    for v in &settings.tasks.volumes {
        let Some(host) = &v.host_path else {
            notes.push(format!(
                "the volume `{}` has no host path and is left out: Marathon needs `host_path:{}`",
                v.container_path, v.container_path
            ));
            continue;
        };
        let mode = match v.mode {
            VolumeMode::ReadOnly => "RO",
            VolumeMode::ReadWrite => "RW",
        };
        volumes.push(json!({"containerPath": v.container_path, "hostPath": host, "mode": mode}));
    }
    if image.is_none() && volumes.is_empty() {
        return None;
    }
    let mut c = Map::new();
    c.insert("type".into(), json!(kind));
    if let Some(image) = image {
        let mut docker = Map::new();
        docker.insert("image".into(), json!(image));
        docker.insert("forcePullImage".into(), json!(force_pull));
        if !parameters.is_empty() {
            let params: Vec<Value> = parameters
                .iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect();
            docker.insert("parameters".into(), Value::Array(params));
        }
        c.insert("docker".into(), Value::Object(docker));
    }
    if !volumes.is_empty() {
        c.insert("volumes".into(), Value::Array(volumes));
    }
    Some(Value::Object(c))
}

fn parse_pairs(
    flag: &'static str,
    items: &[String],
) -> Result<BTreeMap<String, String>, MarathonError> {
    let mut out = BTreeMap::new();
    for item in items {
        match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.insert(k.trim().to_string(), v.to_string());
            }
            _ => return Err(bad_flag(flag, item.clone(), "expected KEY=VALUE")),
        }
    }
    Ok(out)
}

/// `--env NAME=VALUE`, refusing names that would put a secret into the definition.
fn parse_env(items: &[String]) -> Result<Map<String, Value>, MarathonError> {
    let mut out = Map::new();
    for item in items {
        let Some((name, value)) = item.split_once('=') else {
            return Err(bad_flag("--env", item.clone(), "expected NAME=VALUE"));
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(bad_flag(
                "--env",
                name,
                "is not a valid variable name (letters, digits and _, not starting with a digit)",
            ));
        }
        if holds_secret(name, value) {
            return Err(bad_flag(
                "--env",
                name,
                "would write a secret into the app definition; pass it with -D or the environment together with --secret-store PATH, or put it into the configuration file",
            ));
        }
        out.insert(name.to_string(), json!(value));
    }
    Ok(out)
}

/// Whether `NAME=VALUE` in `env` would carry a secret: a secret option's
/// variable, a secret-looking name, a secret part in an option's variable
/// (the password of a `zk://` master), or a secret line in `FLINK_PROPERTIES`.
fn holds_secret(name: &str, value: &str) -> bool {
    if options::looks_secret(name) {
        return true;
    }
    if let Some(def) = options::OPTIONS.iter().find(|o| o.env == Some(name)) {
        return options::secret_part(def.key, value).is_some();
    }
    if name == crate::config::FLINK_PROPERTIES {
        return value.lines().any(|line| {
            line.split_once(':')
                .is_some_and(|(k, v)| options::secret_part(k.trim(), v.trim()).is_some())
        });
    }
    false
}

/// `FIELD:OPERATOR[:VALUE]` → Marathon's `[field, OPERATOR, value]`.
fn parse_constraint(text: &str) -> Result<Vec<String>, MarathonError> {
    let mut parts = text.splitn(3, ':');
    let field = parts.next().unwrap_or_default().trim();
    let operator = parts.next().map(|s| s.trim().to_ascii_uppercase());
    let value = parts.next();
    let bad = |m: &str| bad_flag("--constraint", text, m);
    if field.is_empty() {
        return Err(bad(
            "the field is empty; write FIELD:OPERATOR[:VALUE], e.g. hostname:UNIQUE",
        ));
    }
    let Some(operator) = operator else {
        return Err(bad(
            "has no operator; write FIELD:OPERATOR[:VALUE], e.g. hostname:UNIQUE",
        ));
    };
    let needs_value = match operator.as_str() {
        "UNIQUE" => Some(false),
        "CLUSTER" | "LIKE" | "UNLIKE" | "MAX_PER" | "IS" => Some(true),
        "GROUP_BY" => None,
        _ => {
            return Err(bad(
                "unknown operator; use UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS",
            ))
        }
    };
    match (needs_value, value) {
        (Some(false), Some(_)) => Err(bad(&format!("{operator} takes no value"))),
        (Some(true), None) => Err(bad(&format!(
            "{operator} needs a value: FIELD:{operator}:VALUE"
        ))),
        (_, Some("")) => Err(bad("the value is empty")),
        (_, Some(v)) => Ok(vec![field.into(), operator, v.into()]),
        (_, None) => Ok(vec![field.into(), operator]),
    }
}

// --- YAML -------------------------------------------------------------------------

/// Renders a JSON value as block-style YAML. Strings that a YAML parser
/// could read as anything but the same string are double-quoted, with every
/// character that YAML does not allow raw (or that YAML 1.1 takes for a line
/// break) escaped.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => yaml_map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => yaml_seq(a, 0, &mut out),
        scalar => {
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
    out
}

fn yaml_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
    for (i, (k, v)) in map.iter().enumerate() {
        // The first key of a map inside a sequence goes on the `- ` line.
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_string(k));
        out.push(':');
        yaml_value_after_key(v, indent, out);
    }
}

fn yaml_seq(items: &[Value], indent: usize, out: &mut String) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match v {
            Value::Object(m) if !m.is_empty() => yaml_map(m, indent + 2, out),
            Value::Array(a) if !a.is_empty() => yaml_seq(a, indent + 2, out),
            scalar => {
                out.push_str(&yaml_scalar(scalar));
                out.push('\n');
            }
        }
    }
}

fn yaml_value_after_key(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_map(m, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_seq(a, indent + 2, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn yaml_string(s: &str) -> String {
    let plain_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c));
    let first_ok = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '_');
    // YAML 1.1 readers take these as booleans or null.
    let reserved = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
    );
    if plain_chars && first_ok && !reserved {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Not printable in YAML, or a line break to YAML 1.1 readers
            // (NEL, LS, PS), or a byte order mark: escaped.
            c if (c as u32) < 0x20
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn shell_quoting() {
        assert_eq!(shell_quote("-Da.b=c"), "-Da.b=c");
        assert_eq!(shell_quote("-Da=b c"), "'-Da=b c'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote(""), "''");
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
            "\"a\\u0085b\\u0001\\u2028\\\"\\\\\\tü✓\"\n"
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
            "cmd: \"exec a 'b c'\"\nempty: {}\nid: flink\nlist:\n  - a: 1\n    b:\n      - 1\n      - 2\n  - x\n  - []\n\"n\": 1.5\n\"yes\": \"yes\"\n"
        );
    }
}
