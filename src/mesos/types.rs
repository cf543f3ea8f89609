//! Domain types of the Mesos boundary: what the rest of flink-mesos sees of
//! offers, tasks, status updates, events and calls. They are plain data (no
//! protobuf, no I/O), so the pure scheduler can build and match them in tests.
//! Conversions to and from the wire types live in `convert.rs`.

use std::fmt;
use std::time::Duration;

use crate::config::secret::Secret;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(value.to_string())
            }
        }
    };
}

id_type!(
    /// Assigned by the master at the first SUBSCRIBE; persisted for failover.
    FrameworkId
);
id_type!(OfferId);
id_type!(AgentId);
id_type!(TaskId);
id_type!(ExecutorId);

/// Everything the framework tells the master about itself (FrameworkInfo),
/// taken from the configuration by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkSettings {
    /// `mesos.resourcemanager.framework.name`
    pub name: String,
    /// `mesos.resourcemanager.framework.role` (`*` is the default role).
    pub role: String,
    /// `mesos.resourcemanager.framework.user`; tasks run as this user.
    pub user: String,
    /// `mesos.resourcemanager.framework.principal`: sent in FrameworkInfo and,
    /// with `secret`, used for HTTP Basic authentication.
    pub principal: Option<String>,
    /// `mesos.resourcemanager.framework.secret`. Never logged; [`Secret`]
    /// masks itself in Debug output.
    pub secret: Option<Secret>,
    /// `mesos.failover-timeout`: how long the master keeps our tasks after we
    /// disconnect.
    pub failover_timeout: Duration,
    pub checkpoint: bool,
    pub webui_url: Option<String>,
    pub hostname: Option<String>,
    /// Declare the GPU_RESOURCES capability (`mesos.resourcemanager.tasks.gpus` > 0);
    /// without it the master never offers resources of GPU agents.
    pub gpu_resources: bool,
    pub labels: Vec<Label>,
}

impl FrameworkSettings {
    /// The framework as the validated configuration describes it. `webui_url`
    /// and `hostname` are left for the appmaster, which knows where the
    /// JobManager's web UI listens.
    pub fn from_settings(settings: &crate::config::settings::Settings) -> Self {
        let f = &settings.framework;
        FrameworkSettings {
            name: f.name.clone(),
            role: f.role.clone(),
            user: f.user.clone(),
            principal: f.principal.clone(),
            secret: f.secret.clone(),
            failover_timeout: f.failover_timeout,
            checkpoint: f.checkpoint,
            webui_url: None,
            hostname: None,
            gpu_resources: settings.tasks.gpus > 0,
            labels: Vec::new(),
        }
    }

    /// Minimal settings; everything else takes Flink's defaults.
    pub fn new(name: impl Into<String>, user: impl Into<String>) -> Self {
        FrameworkSettings {
            name: name.into(),
            role: "*".into(),
            user: user.into(),
            principal: None,
            secret: None,
            failover_timeout: Duration::from_secs(7 * 24 * 3600),
            checkpoint: true,
            webui_url: None,
            hostname: None,
            gpu_resources: false,
            labels: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub key: String,
    pub value: Option<String>,
}

impl Label {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Label {
            key: key.into(),
            value: Some(value.into()),
        }
    }
}

/// The master that answered SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterInfo {
    pub id: String,
    pub hostname: Option<String>,
    /// Dotted IPv4 address (from `address.ip`, or decoded from the legacy
    /// network-order `ip` field).
    pub ip: Option<String>,
    pub port: u16,
    pub version: Option<String>,
    pub pid: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub begin: u64,
    pub end: u64,
}

/// A resource or attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    /// Inclusive ranges, e.g. ports `[31000-32000]`.
    Ranges(Vec<Range>),
    Set(Vec<String>),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationKind {
    Static,
    Dynamic,
    Unknown,
}

/// One level of a resource's reservation stack (reservation refinement
/// format: the last entry is the role the resource is reserved to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub kind: ReservationKind,
    pub role: Option<String>,
    pub principal: Option<String>,
    pub labels: Vec<Label>,
}

/// A resource from an offer, or one a task asks for. Resources handed back in
/// a [`TaskInfo`] must keep the allocation role and reservations they were
/// offered with; take them from the offer and change only the amount.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub name: String,
    pub value: Value,
    /// The role the resource is allocated to (MULTI_ROLE frameworks).
    pub allocation_role: Option<String>,
    /// Empty for unreserved resources.
    pub reservations: Vec<Reservation>,
    pub revocable: bool,
    pub shared: bool,
    pub provider_id: Option<String>,
    /// The resource carries a DiskInfo: a persistent volume or a MOUNT/PATH
    /// disk source. Such a disk is not plain scratch space; launching with
    /// it as such fails (TASK_ERROR), so it is never used.
    pub disk_info: bool,
}

impl Resource {
    pub fn scalar(name: impl Into<String>, value: f64) -> Self {
        Resource::with_value(name, Value::Scalar(value))
    }

    pub fn ranges(name: impl Into<String>, ranges: Vec<Range>) -> Self {
        Resource::with_value(name, Value::Ranges(ranges))
    }

    pub fn with_value(name: impl Into<String>, value: Value) -> Self {
        Resource {
            name: name.into(),
            value,
            allocation_role: None,
            reservations: Vec::new(),
            revocable: false,
            shared: false,
            provider_id: None,
            disk_info: false,
        }
    }

    /// The role a reserved resource belongs to; `None` when unreserved.
    pub fn reserved_role(&self) -> Option<&str> {
        self.reservations.last().and_then(|r| r.role.as_deref())
    }

    pub fn as_scalar(&self) -> Option<f64> {
        match self.value {
            Value::Scalar(v) => Some(v),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub id: OfferId,
    pub framework_id: FrameworkId,
    pub agent_id: AgentId,
    pub hostname: String,
    pub resources: Vec<Resource>,
    pub attributes: Vec<Attribute>,
    pub allocation_role: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    Staging,
    Starting,
    Running,
    Killing,
    Finished,
    Failed,
    Killed,
    Error,
    Lost,
    Dropped,
    Unreachable,
    Gone,
    GoneByOperator,
    Unknown,
    /// A state number this build does not know (a newer master).
    Unrecognized(i32),
}

impl TaskState {
    /// No further updates follow a terminal state.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Finished
                | TaskState::Failed
                | TaskState::Killed
                | TaskState::Error
                | TaskState::Lost
                | TaskState::Dropped
                | TaskState::Gone
                | TaskState::GoneByOperator
        )
    }

    /// Mesos' name, e.g. `TASK_RUNNING`.
    pub fn name(self) -> String {
        match self {
            TaskState::Staging => "TASK_STAGING",
            TaskState::Starting => "TASK_STARTING",
            TaskState::Running => "TASK_RUNNING",
            TaskState::Killing => "TASK_KILLING",
            TaskState::Finished => "TASK_FINISHED",
            TaskState::Failed => "TASK_FAILED",
            TaskState::Killed => "TASK_KILLED",
            TaskState::Error => "TASK_ERROR",
            TaskState::Lost => "TASK_LOST",
            TaskState::Dropped => "TASK_DROPPED",
            TaskState::Unreachable => "TASK_UNREACHABLE",
            TaskState::Gone => "TASK_GONE",
            TaskState::GoneByOperator => "TASK_GONE_BY_OPERATOR",
            TaskState::Unknown => "TASK_UNKNOWN",
            TaskState::Unrecognized(n) => return format!("TASK_STATE_{n}"),
        }
        .to_string()
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A status update (UPDATE event) or a reconciliation answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskStatus {
    pub task_id: TaskId,
    pub state: TaskState,
    pub message: Option<String>,
    /// `SOURCE_MASTER`, `SOURCE_AGENT` or `SOURCE_EXECUTOR`.
    pub source: Option<String>,
    /// Mesos' reason name, e.g. `REASON_RECONCILIATION`.
    pub reason: Option<String>,
    pub agent_id: Option<AgentId>,
    pub executor_id: Option<ExecutorId>,
    pub timestamp: Option<f64>,
    /// Present when the update must be acknowledged (see [`TaskStatus::acknowledgement`]).
    pub uuid: Option<Vec<u8>>,
    pub healthy: Option<bool>,
    pub data: Option<Vec<u8>>,
    pub labels: Vec<Label>,
}

impl TaskStatus {
    /// The ACKNOWLEDGE call this update needs: only updates with a uuid (and
    /// an agent) are acknowledged; reconciliation answers have none.
    pub fn acknowledgement(&self) -> Option<Call> {
        match (&self.uuid, &self.agent_id) {
            (Some(uuid), Some(agent_id)) => Some(Call::Acknowledge {
                agent_id: agent_id.clone(),
                task_id: self.task_id.clone(),
                uuid: uuid.clone(),
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uri {
    pub value: String,
    pub executable: bool,
    /// Extract archives (Mesos' default is true).
    pub extract: bool,
    pub cache: bool,
    pub output_file: Option<String>,
}

impl Uri {
    pub fn new(value: impl Into<String>) -> Self {
        Uri {
            value: value.into(),
            executable: false,
            extract: true,
            cache: false,
            output_file: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandInfo {
    /// The shell command (shell = true) or the program to run.
    pub value: String,
    pub shell: bool,
    /// argv when `shell` is false.
    pub arguments: Vec<String>,
    pub uris: Vec<Uri>,
    pub environment: Vec<(String, String)>,
    pub user: Option<String>,
}

impl CommandInfo {
    pub fn shell(command: impl Into<String>) -> Self {
        CommandInfo {
            value: command.into(),
            shell: true,
            ..CommandInfo::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DockerNetwork {
    Host,
    Bridge,
    None,
    User,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    pub host_port: u32,
    pub container_port: u32,
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerRuntime {
    /// The Docker containerizer.
    Docker {
        image: String,
        network: DockerNetwork,
        privileged: bool,
        force_pull_image: bool,
        parameters: Vec<(String, String)>,
        port_mappings: Vec<PortMapping>,
    },
    /// The Mesos (universal) containerizer, optionally with a Docker image.
    Mesos { image: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub container_path: String,
    pub host_path: Option<String>,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub runtime: ContainerRuntime,
    pub volumes: Vec<Volume>,
    pub hostname: Option<String>,
}

/// A task to launch (one LAUNCH operation's TaskInfo).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub name: String,
    pub task_id: TaskId,
    pub agent_id: AgentId,
    pub resources: Vec<Resource>,
    pub command: CommandInfo,
    pub container: Option<ContainerInfo>,
    pub labels: Vec<Label>,
    /// How long the executor waits between SIGTERM and SIGKILL.
    pub kill_grace_period: Option<Duration>,
}

/// One task of an explicit reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileTask {
    pub task_id: TaskId,
    pub agent_id: Option<AgentId>,
}

/// What the framework asks of the master. The client adds the framework id
/// and the stream id; SUBSCRIBE is the client's own business.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// ACCEPT with one LAUNCH operation holding `tasks` (empty `tasks`
    /// accepts nothing, i.e. declines the offers with `refuse_seconds`).
    Launch {
        offer_ids: Vec<OfferId>,
        tasks: Vec<TaskInfo>,
        refuse_seconds: Option<f64>,
    },
    Decline {
        offer_ids: Vec<OfferId>,
        /// Do not offer these resources again for this long (Filters.refuse_seconds).
        refuse_seconds: Option<f64>,
    },
    /// Removes all filters and asks for offers again (empty: all roles).
    Revive { roles: Vec<String> },
    /// Stop sending offers (empty: all roles).
    Suppress { roles: Vec<String> },
    Kill {
        task_id: TaskId,
        agent_id: Option<AgentId>,
        grace_period: Option<Duration>,
    },
    /// Explicit reconciliation for `tasks`; empty `tasks` is implicit
    /// reconciliation (the master reports all tasks it knows of).
    Reconcile { tasks: Vec<ReconcileTask> },
    Acknowledge {
        agent_id: AgentId,
        task_id: TaskId,
        uuid: Vec<u8>,
    },
    /// Ends the framework: the master kills all its tasks and forgets it.
    Teardown,
    /// Changes the FrameworkInfo of the running framework (Mesos >= 1.9).
    UpdateFramework {
        settings: FrameworkSettings,
        suppressed_roles: Vec<String>,
    },
}

impl Call {
    /// Mesos' name of the call type, for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Launch { .. } => "ACCEPT",
            Call::Decline { .. } => "DECLINE",
            Call::Revive { .. } => "REVIVE",
            Call::Suppress { .. } => "SUPPRESS",
            Call::Kill { .. } => "KILL",
            Call::Reconcile { .. } => "RECONCILE",
            Call::Acknowledge { .. } => "ACKNOWLEDGE",
            Call::Teardown => "TEARDOWN",
            Call::UpdateFramework { .. } => "UPDATE_FRAMEWORK",
        }
    }
}

/// An event of the SUBSCRIBE stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Subscribed {
        framework_id: FrameworkId,
        heartbeat_interval: Option<Duration>,
        master: Option<MasterInfo>,
    },
    Offers(Vec<Offer>),
    Rescind(OfferId),
    Update(TaskStatus),
    Message {
        agent_id: AgentId,
        executor_id: ExecutorId,
        data: Vec<u8>,
    },
    /// An agent or executor failed.
    Failure {
        agent_id: Option<AgentId>,
        executor_id: Option<ExecutorId>,
        status: Option<i32>,
    },
    /// The master ends the subscription with this message.
    Error(String),
    Heartbeat,
    /// An event type we do not handle (inverse offers, operation updates),
    /// by its Mesos name.
    Unhandled(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::{resolve, Purpose, ValidateOptions};
    use crate::config::{Config, LoadOptions};

    #[test]
    fn framework_settings_from_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(&LoadOptions {
            conf_dir: Some(dir.path().to_path_buf()),
            dynamic: [
                "mesos.master=m:5050",
                "mesos.resourcemanager.tasks.gpus=1",
                "mesos.resourcemanager.framework.principal=flink",
                "mesos.resourcemanager.framework.secret=s3cret",
                "mesos.resourcemanager.framework.role=analytics",
                "mesos.failover-timeout=600",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            env: vec![],
        })
        .unwrap();
        let report = resolve(
            &config,
            ValidateOptions {
                purpose: Purpose::Appmaster,
                strict: false,
            },
        );
        let settings = report.settings.expect("valid configuration");
        let f = FrameworkSettings::from_settings(&settings);
        assert!(f.gpu_resources);
        assert_eq!(f.role, "analytics");
        assert_eq!(f.principal.as_deref(), Some("flink"));
        assert_eq!(f.secret.as_ref().map(|s| s.expose()), Some("s3cret"));
        assert_eq!(f.failover_timeout, Duration::from_secs(600));
        assert!(!format!("{f:?}").contains("s3cret"));
    }
}
