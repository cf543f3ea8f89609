//! Every configuration option flink-mesos reads, declared exactly once.
//!
//! Validation, `config show`, the reference in docs/configuration.md and the typed
//! settings all read this table; nothing else spells a default or a range.
//! Keys not in this table are passed through to Flink untouched (Flink has
//! hundreds); only unknown keys under `mesos.` are reported, with a
//! did-you-mean.

/// The type of a value, which also decides how it is validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Type {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
    },
    /// A TCP port, 0–65535 (0: any free port).
    Port,
    /// Flink port spec: a port, a range `50100-50200`, or a comma-separated list of them.
    PortRange,
    Str,
    /// One of the listed values, compared case-insensitively.
    Enum(&'static [&'static str]),
    /// Flink duration: a number with an optional unit (ms, s, min, h, d); milliseconds without one.
    Duration,
    /// Flink memory size: a number with an optional unit (b, k, m, g, t); bytes without one.
    MemorySize,
    /// Whole megabytes (the legacy `*.heap.mb` keys and Mesos task resources).
    Megabytes,
    /// `mesos.master` in one of its forms.
    MasterUrl,
    /// An absolute ZooKeeper node path.
    ZkPath,
    /// `host:port,host:port,...`
    ZkQuorum,
    /// Comma-separated `key:value` pairs.
    KeyColonValueList,
    /// Comma-separated `key=value` pairs; the value may contain `=`.
    KeyEqualsValueList,
    /// Comma-separated `[host_path:]container_path[:RO|RW]`.
    VolumeList,
    /// Comma-separated list of strings.
    List,
    /// A host name pattern in which `_TASK_` becomes the task id.
    HostnamePattern,
}

impl Type {
    /// Short name for docs and JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Type::Bool => "boolean",
            Type::Int { .. } => "integer",
            Type::Float { .. } => "number",
            Type::Port => "port",
            Type::PortRange => "port range",
            Type::Str => "string",
            Type::Enum(_) => "enum",
            Type::Duration => "duration",
            Type::MemorySize => "memory size",
            Type::Megabytes => "megabytes",
            Type::MasterUrl => "master URL",
            Type::ZkPath => "ZooKeeper path",
            Type::ZkQuorum => "host:port list",
            Type::KeyColonValueList => "key:value list",
            Type::KeyEqualsValueList => "key=value list",
            Type::VolumeList => "volume list",
            Type::List => "list",
            Type::HostnamePattern => "host name pattern",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// No value unless the user sets one.
    None,
    /// A fixed default, written as a user would write it.
    Value(&'static str),
    /// Computed from other options; the text says how.
    Derived(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Mesos,
    MesosTasks,
    HighAvailability,
    Flink,
    Security,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Mesos => "Mesos scheduler",
            Section::MesosTasks => "Mesos TaskManager tasks",
            Section::HighAvailability => "High availability",
            Section::Flink => "Flink",
            Section::Security => "Security",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct OptionDef {
    pub key: &'static str,
    pub ty: Type,
    pub default: DefaultValue,
    pub description: &'static str,
    /// Older spellings of the same option, read when the key itself is not
    /// set at a higher or equal precedence (first listed wins among them).
    pub fallback_keys: &'static [&'static str],
    /// Never shown in output, logs or generated files.
    pub secret: bool,
    /// An environment variable that overlays the configuration file.
    pub env: Option<&'static str>,
    pub section: Section,
    /// A duration that Flink before this version (major, minor) reads as a
    /// whole number of milliseconds (a `long`/`int` option there, a
    /// `Duration` from then on): written as plain milliseconds for it
    /// (`flink::conf::render`), which every version parses.
    pub millis_before: Option<(u32, u32)>,
}

const fn opt(
    key: &'static str,
    ty: Type,
    default: DefaultValue,
    section: Section,
    description: &'static str,
) -> OptionDef {
    OptionDef {
        key,
        ty,
        default,
        description,
        fallback_keys: &[],
        secret: false,
        env: None,
        section,
        millis_before: None,
    }
}

impl OptionDef {
    const fn fallback(mut self, keys: &'static [&'static str]) -> Self {
        self.fallback_keys = keys;
        self
    }
    const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
    const fn env(mut self, var: &'static str) -> Self {
        self.env = Some(var);
        self
    }
    const fn millis_before(mut self, major: u32, minor: u32) -> Self {
        self.millis_before = Some((major, minor));
        self
    }
}

use DefaultValue::{Derived, None as NoDefault, Value};
use Section::*;

/// Declares the options: the typed [`Key`] of each (a misspelt key does
/// not compile) and the [`OPTIONS`] table, in the same order.
macro_rules! options {
    ($($name:ident => $def:expr),* $(,)?) => {
        /// A declared option. `Key::X.def()` is its declaration; strings are
        /// only for keys that come from outside (files, `-D`, [`lookup`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Key {
            $($name),*
        }

        impl Key {
            /// Every key, in declaration order.
            pub const ALL: &'static [Key] = &[$(Key::$name),*];
        }

        pub static OPTIONS: &[OptionDef] = &[$($def),*];
    };
}

impl Key {
    /// The declaration.
    pub fn def(self) -> &'static OptionDef {
        // `Key`'s discriminants are the table's indices (one macro writes both).
        &OPTIONS[self as usize]
    }

    /// The key as written in configuration files.
    pub fn name(self) -> &'static str {
        self.def().key
    }

    /// The declared default value, when it is a fixed one.
    pub fn default_value(self) -> Option<&'static str> {
        match self.def().default {
            DefaultValue::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl From<Key> for String {
    fn from(key: Key) -> String {
        key.name().to_string()
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[rustfmt::skip]
options! {
    // --- Mesos scheduler -------------------------------------------------
    MesosMaster => opt("mesos.master", Type::MasterUrl, NoDefault, Mesos,
        "The Mesos master: `host:port`, `zk://host1:port1,host2:port2,.../path`, `zk://username:password@host1:port1,.../path` or `file:///path/to/file`. Required by the appmaster.")
        .env("FLINK_MESOS_MASTER"),
    MesosInitialTasks => opt("mesos.initial-tasks", Type::Int { min: 0, max: 100_000 }, Value("1"), Mesos,
        "The initial workers to bring up when the master starts (the number of workers specified at cluster start-up)."),
    MesosMaximumFailedTasks => opt("mesos.maximum-failed-tasks", Type::Int { min: -1, max: i64::MAX }, Derived("mesos.initial-tasks"), Mesos,
        "The maximum number of failed workers before the cluster fails. May be set to -1 to disable this feature. Defaults to the number of initial workers."),
    MesosConstraintsHardHostattribute => opt("mesos.constraints.hard.hostattribute", Type::KeyColonValueList, NoDefault, Mesos,
        "Constraints for task placement on Mesos based on agent attributes: a comma-separated list of `key:value` pairs, e.g. `az:eu-west-1a,series:t2`. Every pair must match."),
    MesosFailoverTimeout => opt("mesos.failover-timeout", Type::Int { min: 0, max: i64::MAX }, Value("600"), Mesos,
        "The failover timeout in seconds for the Mesos scheduler, after which running tasks are automatically shut down."),
    MesosResourcemanagerArtifactserverPort => opt("mesos.resourcemanager.artifactserver.port", Type::Port, Value("0"), Mesos,
        "Port of the artifact server that serves files to the workers; 0 lets the OS choose a free port."),
    MesosResourcemanagerArtifactserverBindHost => opt("mesos.resourcemanager.artifactserver.bind-host", Type::Str, Value("0.0.0.0"), Mesos,
        "Address the artifact server listens on (all of this host's by default); its URLs name `jobmanager.rpc.address` (else this host's name), which the agents must resolve to this host. Narrow it like Flink's `*.bind-host` keys."),
    MesosResourcemanagerArtifactserverSslEnabled => opt("mesos.resourcemanager.artifactserver.ssl.enabled", Type::Bool, Value("true"), Mesos,
        "Enables SSL for the artifact server. `security.ssl.enabled` must also be `true` for encryption to be used."),
    MesosResourcemanagerFrameworkName => opt("mesos.resourcemanager.framework.name", Type::Str, Value("Flink"), Mesos, "Mesos framework name."),
    MesosResourcemanagerFrameworkRole => opt("mesos.resourcemanager.framework.role", Type::Str, Value("*"), Mesos, "Mesos framework role."),
    MesosResourcemanagerFrameworkPrincipal => opt("mesos.resourcemanager.framework.principal", Type::Str, NoDefault, Mesos,
        "Mesos framework principal, used to authenticate with the master."),
    MesosResourcemanagerAdminToken => opt("mesos.resourcemanager.admin-token", Type::Str, NoDefault, Mesos,
        "The credential that changes a running cluster (`flink-mesos workers scale`); unset: a random one per start, written to `<work dir>/admin-token` (0600). Set the same value on every appmaster of a high-availability cluster. Never logged; prefer the environment variable.")
        .secret(),
    MesosResourcemanagerFrameworkSecret => opt("mesos.resourcemanager.framework.secret", Type::Str, NoDefault, Mesos,
        "Mesos framework secret (HTTP Basic authentication towards the master). Never logged; prefer the environment variable.")
        .secret()
        .env("FLINK_MESOS_FRAMEWORK_SECRET"),
    MesosResourcemanagerFrameworkUser => opt("mesos.resourcemanager.framework.user", Type::Str, Value(""), Mesos,
        "Mesos framework user; empty means the user running the appmaster."),
    MesosResourcemanagerFrameworkCheckpoint => opt("mesos.resourcemanager.framework.checkpoint", Type::Bool, Value("true"), Mesos,
        "Ask agents to checkpoint the framework's tasks so that they survive an agent restart."),
    MesosResourcemanagerDeclinedOfferRefuseDuration => opt("mesos.resourcemanager.declined-offer-refuse-duration", Type::Duration, Value("5 s"), Mesos,
        "How long Mesos should not re-offer declined resources (Filters.refuse_seconds)."),
    MesosTlsCaFile => opt("mesos.tls.ca-file", Type::Str, NoDefault, Mesos,
        "PEM file with the CA certificate(s) that an `https://` Mesos master's certificate must chain to (a master behind a private CA). When set, only these CAs are trusted; otherwise the bundled web PKI roots are."),
    // --- Mesos TaskManager tasks -----------------------------------------
    MesosResourcemanagerTasksMem => opt("mesos.resourcemanager.tasks.mem", Type::Megabytes, Value("1024"), MesosTasks,
        "Memory to assign to the Mesos workers in MB (the container size). When not set it follows the TaskManager's total process memory."),
    MesosResourcemanagerTasksCpus => opt("mesos.resourcemanager.tasks.cpus", Type::Float { min: 0.0 }, Value("0.0"), MesosTasks,
        "CPUs to assign to the Mesos workers; 0 means one per task slot (`taskmanager.numberOfTaskSlots`)."),
    MesosResourcemanagerTasksGpus => opt("mesos.resourcemanager.tasks.gpus", Type::Int { min: 0, max: 1024 }, Value("0"), MesosTasks,
        "GPUs to assign to the Mesos workers. When above 0 the framework declares the GPU_RESOURCES capability."),
    MesosResourcemanagerTasksDisk => opt("mesos.resourcemanager.tasks.disk", Type::Megabytes, Value("0"), MesosTasks, "Disk space to assign to the Mesos workers in MB."),
    MesosResourcemanagerTasksNetworkBandwidth => opt("mesos.resourcemanager.tasks.network.bandwidth", Type::Megabytes, Value("0"), MesosTasks,
        "Network bandwidth to assign to the Mesos workers in MB per second."),
    MesosResourcemanagerNetworkResourceName => opt("mesos.resourcemanager.network.resource.name", Type::Str, Value("network"), MesosTasks,
        "Name of the Mesos resource that carries network bandwidth."),
    MesosResourcemanagerTasksContainerType => opt("mesos.resourcemanager.tasks.container.type", Type::Enum(&["mesos", "docker"]), Value("mesos"), MesosTasks,
        "Type of the containerization used: `mesos` or `docker`."),
    MesosResourcemanagerTasksContainerImageName => opt("mesos.resourcemanager.tasks.container.image.name", Type::Str, NoDefault, MesosTasks,
        "Image name to use for the container. Required for the `docker` container type."),
    MesosResourcemanagerTasksContainerVolumes => opt("mesos.resourcemanager.tasks.container.volumes", Type::VolumeList, NoDefault, MesosTasks,
        "A comma-separated list of `[host_path:]container_path[:RO|RW]` volumes to mount into the container."),
    MesosResourcemanagerTasksContainerDockerParameters => opt("mesos.resourcemanager.tasks.container.docker.parameters", Type::KeyEqualsValueList, NoDefault, MesosTasks,
        "Custom parameters for `docker run` with the docker containerizer: comma-separated `key=value` pairs; the value may contain `=`."),
    MesosResourcemanagerTasksContainerDockerForcePullImage => opt("mesos.resourcemanager.tasks.container.docker.force-pull-image", Type::Bool, Value("false"), MesosTasks,
        "Always pull the Docker image, even when the agent has it cached."),
    MesosResourcemanagerTasksHostname => opt("mesos.resourcemanager.tasks.hostname", Type::HostnamePattern, NoDefault, MesosTasks,
        "Optional TaskManager host name. `_TASK_` is replaced by the Mesos task id, e.g. `_TASK_.flink-service.mesos` for Mesos DNS."),
    MesosResourcemanagerTasksLaunchTimeout => opt("mesos.resourcemanager.tasks.launch-timeout", Type::Duration, Value("5 min"), MesosTasks,
        "A worker that is not RUNNING this long after it was launched (a fetch or image pull that hangs) is killed and replaced. It counts against `mesos.maximum-failed-tasks` when Mesos had reported the task."),
    MesosResourcemanagerTasksMaxLaunchingPerAgent => opt("mesos.resourcemanager.tasks.max-launching-per-agent", Type::Int { min: 1, max: 100_000 }, Value("32"), MesosTasks,
        "At most this many workers launching (accepted, not yet RUNNING) on one agent at once; offers beyond it are declined for a second. An agent that starts more executors than its machine absorbs makes them miss Mesos' executor registration timeout."),
    MesosResourcemanagerTasksMaxLaunching => opt("mesos.resourcemanager.tasks.max-launching", Type::Int { min: 1, max: 100_000 }, Value("256"), MesosTasks,
        "At most this many workers launching (accepted, not yet RUNNING) at once in the whole cluster. The limit in force is halved whenever an executor does not register with its agent in time (that worker is replaced without counting as a failure) and grows back by one per worker that runs."),
    MesosResourcemanagerTasksBootstrapCmd => opt("mesos.resourcemanager.tasks.bootstrap-cmd", Type::Str, NoDefault, MesosTasks,
        "A command which is executed before the TaskManager is started."),
    MesosResourcemanagerTasksBootstrapTimeout => opt("mesos.resourcemanager.tasks.bootstrap-timeout", Type::Duration, Value("10 min"), MesosTasks,
        "How long `flink-mesos taskmanager` lets the bootstrap command run; then its process group is killed and the worker fails. Must be above zero."),
    MesosResourcemanagerTasksTaskmanagerCmd => opt("mesos.resourcemanager.tasks.taskmanager-cmd", Type::Str, Value("flink-mesos taskmanager"), MesosTasks,
        "The command Mesos runs for each worker (Flink's own default was `$FLINK_HOME/bin/mesos-taskmanager.sh`, which `commands/mesos-taskmanager.sh` replaces)."),
    MesosResourcemanagerTasksUris => opt("mesos.resourcemanager.tasks.uris", Type::List, NoDefault, MesosTasks,
        "A comma-separated list of URIs of custom artifacts to be downloaded into the sandbox of Mesos workers."),
    MesosResourcemanagerTasksLabels => opt("mesos.resourcemanager.tasks.labels", Type::KeyColonValueList, NoDefault, MesosTasks,
        "Labels to attach to the workers' Mesos tasks: comma-separated `key:value` pairs."),
    MesosResourcemanagerTasksUser => opt("mesos.resourcemanager.tasks.user", Type::Str, NoDefault, MesosTasks,
        "The user the TaskManager task runs as (CommandInfo.user); by default the framework user."),
    MesosResourcemanagerTasksPortAssignments => opt("mesos.resourcemanager.tasks.port-assignments", Type::List, NoDefault, MesosTasks,
        "Comma-separated configuration keys that get a port from the Mesos offer, in addition to `taskmanager.rpc.port` and `taskmanager.data.port`."),
    // --- High availability -----------------------------------------------
    HighAvailabilityType => opt("high-availability.type", Type::Str, Value("NONE"), HighAvailability,
        "High-availability mode: `NONE`, `ZOOKEEPER`, or the class name of a factory.")
        .fallback(&["high-availability", "recovery.mode"]),
    HighAvailabilityZookeeperQuorum => opt("high-availability.zookeeper.quorum", Type::ZkQuorum, NoDefault, HighAvailability,
        "The ZooKeeper quorum, `host:port,host:port`, required for ZooKeeper high availability.")
        .fallback(&["recovery.zookeeper.quorum", "ha.zookeeper.quorum"]),
    HighAvailabilityZookeeperPathRoot => opt("high-availability.zookeeper.path.root", Type::ZkPath, Value("/flink"), HighAvailability,
        "The root path under which Flink stores its entries in ZooKeeper.")
        .fallback(&["recovery.zookeeper.path.root"]),
    HighAvailabilityClusterId => opt("high-availability.cluster-id", Type::Str, Value("/default"), HighAvailability,
        "The ID of the Flink cluster, used to separate several clusters in ZooKeeper.")
        .fallback(&["high-availability.zookeeper.path.namespace", "recovery.zookeeper.path.namespace"]),
    HighAvailabilityStorageDir => opt("high-availability.storageDir", Type::Str, NoDefault, HighAvailability,
        "File system path where Flink persists its recovery metadata in high-availability mode.")
        .fallback(&["high-availability.zookeeper.storageDir", "recovery.zookeeper.storageDir"]),
    HighAvailabilityZookeeperPathMesosWorkers => opt("high-availability.zookeeper.path.mesos-workers", Type::ZkPath, Value("/mesos-workers"), HighAvailability,
        "The ZooKeeper root path for persisting the Mesos worker information.")
        .fallback(&["recovery.zookeeper.path.mesos-workers"]),
    HighAvailabilityJobmanagerPort => opt("high-availability.jobmanager.port", Type::PortRange, Value("0"), HighAvailability,
        "The port (range) of the JobManager's RPC endpoint with high availability; `marathon-json` gives it the Marathon port of `jobmanager.rpc.port`."),
    HighAvailabilityZookeeperClientAcl => opt("high-availability.zookeeper.client.acl", Type::Enum(&["open", "creator"]), Value("open"), HighAvailability,
        "ACL for Flink's own ZooKeeper nodes: `open`, or `creator` when Flink logs in to ZooKeeper with SASL: with the digest credentials below its JVMs log in with them (SASL DIGEST-MD5; the servers need the SASL provider with that user), or with Kerberos (`security.kerberos.login.contexts: Client`); refused otherwise. The worker store's nodes are creator-only whenever the digest credentials are set."),
    HighAvailabilityZookeeperClientSessionTimeout => opt("high-availability.zookeeper.client.session-timeout", Type::Duration, Value("60 s"), HighAvailability,
        "ZooKeeper session timeout.")
        .millis_before(1, 20),
    HighAvailabilityZookeeperClientDigestUsername => opt("high-availability.zookeeper.client.digest.username", Type::Str, NoDefault, HighAvailability,
        "User for ZooKeeper digest authentication of the worker store and leader election (flink-mesos' own; the store's nodes are then this user's alone, creator ACLs). Flink's JVMs get it only with `high-availability.zookeeper.client.acl: creator`, in a private JAAS file, never in their configuration."),
    HighAvailabilityZookeeperClientDigestPassword => opt("high-availability.zookeeper.client.digest.password", Type::Str, NoDefault, HighAvailability,
        "Password for ZooKeeper digest authentication. Never logged; prefer the environment variable.")
        .secret()
        .env("FLINK_MESOS_ZK_PASSWORD"),
    HighAvailabilityZookeeperClientSslEnabled => opt("high-availability.zookeeper.client.ssl.enabled", Type::Bool, Value("false"), HighAvailability,
        "Talk to ZooKeeper over TLS (its `secureClientPort`): the worker store, leader election, `workers`, and Flink's own high availability in the JobManager and every TaskManager. The quorum names the servers' secure ports."),
    HighAvailabilityZookeeperClientSslTruststore => opt("high-availability.zookeeper.client.ssl.truststore", Type::Str, NoDefault, HighAvailability,
        "PEM file with the CA certificates the ZooKeeper servers' certificates are checked against (host names included). The TaskManagers receive it with their secrets."),
    HighAvailabilityZookeeperClientSslKeystore => opt("high-availability.zookeeper.client.ssl.keystore", Type::Str, NoDefault, HighAvailability,
        "PEM file with this cluster's client certificate chain and its unencrypted private key, for servers that check clients (`ssl.clientAuth=need`, ZooKeeper's default). The TaskManagers receive it with their secrets, never through the fetcher."),
    // --- Flink ------------------------------------------------------------
    JobmanagerRpcAddress => opt("jobmanager.rpc.address", Type::Str, NoDefault, Flink, "Address of the JobManager; the appmaster fills it in."),
    JobmanagerRpcPort => opt("jobmanager.rpc.port", Type::Port, Value("6123"), Flink, "The JobManager's RPC port."),
    JobmanagerBindHost => opt("jobmanager.bind-host", Type::Str, NoDefault, Flink,
        "The local address the JobManager's RPC endpoint binds to (all interfaces when not set)."),
    RestPort => opt("rest.port", Type::Port, Value("8081"), Flink, "Port of the Flink web interface and REST API.")
        .fallback(&["jobmanager.web.port", "web.port"]),
    RestAddress => opt("rest.address", Type::Str, NoDefault, Flink,
        "The address clients use to reach the REST API; the appmaster sets the JobManager's address when it is not given."),
    RestBindAddress => opt("rest.bind-address", Type::Str, NoDefault, Flink,
        "The local address the REST API binds to (all interfaces when not set)."),
    ExecutionCheckpointingSavepointDir => opt("execution.checkpointing.savepoint-dir", Type::Str, NoDefault, Flink,
        "Default directory of savepoints; a job cluster (`appmaster --job-jar`) stops its job with a savepoint there on SIGTERM unless `--savepoint-on-stop` names another.")
        .fallback(&["state.savepoints.dir"]),
    ExecutionShutdownOnApplicationFinish => opt("execution.shutdown-on-application-finish", Type::Bool, Value("true"), Flink,
        "Whether an application-mode JobManager shuts itself down when its job ends; a job cluster's appmaster sets it to false, reads the job's end and then shuts the JobManager down itself."),
    UserArtifactsBaseDir => opt("user.artifacts.base-dir", Type::Str, Value("/opt/flink/artifacts"), Flink,
        "Where an application-mode JobManager keeps the job's artifacts; a job cluster's appmaster sets it below its work directory."),
    BlobServerPort => opt("blob.server.port", Type::PortRange, Value("0"), Flink,
        "The port (range) of the JobManager's blob server; 0 lets the OS choose a free port."),
    JobmanagerHeapMb => opt("jobmanager.heap.mb", Type::Megabytes, NoDefault, Flink,
        "Legacy (Flink < 1.10): JobManager JVM heap in MB. Flink 1.10+ ignores it; flink-mesos passes it as `jobmanager.memory.heap.size` (Flink's migration rule for standalone and Mesos) and warns."),
    JobmanagerHeapSize => opt("jobmanager.heap.size", Type::MemorySize, NoDefault, Flink,
        "Legacy (Flink 1.5–1.10): JobManager JVM heap size; wins over `jobmanager.heap.mb`. Passed as `jobmanager.memory.heap.size` like it."),
    JobmanagerMemoryProcessSize => opt("jobmanager.memory.process.size", Type::MemorySize, NoDefault, Flink,
        "Total process memory of the JobManager (Flink 1.11+); 1600m (the value of the configuration Flink ships) when no JobManager memory is configured."),
    JobmanagerMemoryFlinkSize => opt("jobmanager.memory.flink.size", Type::MemorySize, NoDefault, Flink,
        "Total Flink memory of the JobManager, without JVM metaspace and overhead (Flink 1.11+)."),
    JobmanagerMemoryHeapSize => opt("jobmanager.memory.heap.size", Type::MemorySize, NoDefault, Flink, "JVM heap of the JobManager (Flink 1.11+)."),
    JobmanagerMemoryJvmMetaspaceSize => opt("jobmanager.memory.jvm-metaspace.size", Type::MemorySize, Value("256m"), Flink, "JVM metaspace of the JobManager."),
    JobmanagerMemoryJvmOverheadMin => opt("jobmanager.memory.jvm-overhead.min", Type::MemorySize, Value("192m"), Flink, "Minimum JVM overhead of the JobManager."),
    JobmanagerMemoryJvmOverheadMax => opt("jobmanager.memory.jvm-overhead.max", Type::MemorySize, Value("1g"), Flink, "Maximum JVM overhead of the JobManager."),
    JobmanagerMemoryJvmOverheadFraction => opt("jobmanager.memory.jvm-overhead.fraction", Type::Float { min: 0.0 }, Value("0.1"), Flink,
        "The share of the JobManager's process memory kept for JVM overhead, between its min and max."),
    JobmanagerMemoryOffHeapSize => opt("jobmanager.memory.off-heap.size", Type::MemorySize, Value("128m"), Flink, "Off-heap memory of the JobManager."),
    TaskmanagerHeapMb => opt("taskmanager.heap.mb", Type::Megabytes, NoDefault, Flink,
        "Legacy (Flink < 1.10): TaskManager memory in MB; wins over `taskmanager.heap.size`. Flink 1.10+ ignores it; flink-mesos passes it as `taskmanager.memory.process.size` (Flink's migration rule for Mesos and other containers) and warns."),
    TaskmanagerHeapSize => opt("taskmanager.heap.size", Type::MemorySize, NoDefault, Flink,
        "Legacy (Flink 1.5–1.9): TaskManager memory size. Passed as `taskmanager.memory.process.size` like `taskmanager.heap.mb`."),
    TaskmanagerMemoryProcessSize => opt("taskmanager.memory.process.size", Type::MemorySize, NoDefault, Flink,
        "Total process memory of the TaskManager (Flink 1.10+); sizes the Mesos container when `mesos.resourcemanager.tasks.mem` is not set. When no TaskManager memory is configured, the TaskManager gets the whole container."),
    TaskmanagerMemoryFlinkSize => opt("taskmanager.memory.flink.size", Type::MemorySize, NoDefault, Flink,
        "Total Flink memory of the TaskManager, without JVM metaspace and overhead."),
    TaskmanagerMemoryTaskHeapSize => opt("taskmanager.memory.task.heap.size", Type::MemorySize, NoDefault, Flink,
        "JVM heap for the tasks of the TaskManager; with `taskmanager.memory.managed.size` it sizes the TaskManager."),
    TaskmanagerMemoryManagedSize => opt("taskmanager.memory.managed.size", Type::MemorySize, NoDefault, Flink,
        "Managed (off-heap) memory of the TaskManager; a fraction of its Flink memory when not set."),
    TaskmanagerMemoryManagedFraction => opt("taskmanager.memory.managed.fraction", Type::Float { min: 0.0 }, Value("0.4"), Flink,
        "The share of the TaskManager's Flink memory that is managed memory, when `taskmanager.memory.managed.size` is not set."),
    TaskmanagerMemoryTaskOffHeapSize => opt("taskmanager.memory.task.off-heap.size", Type::MemorySize, Value("0"), Flink,
        "Off-heap memory for the tasks of the TaskManager."),
    TaskmanagerMemoryFrameworkHeapSize => opt("taskmanager.memory.framework.heap.size", Type::MemorySize, Value("128m"), Flink,
        "JVM heap of the TaskManager's framework (not for tasks)."),
    TaskmanagerMemoryFrameworkOffHeapSize => opt("taskmanager.memory.framework.off-heap.size", Type::MemorySize, Value("128m"), Flink,
        "Off-heap memory of the TaskManager's framework (not for tasks)."),
    TaskmanagerMemoryNetworkMin => opt("taskmanager.memory.network.min", Type::MemorySize, Value("64m"), Flink,
        "Minimum network (shuffle) memory of the TaskManager.")
        .fallback(&["taskmanager.network.memory.min"]),
    TaskmanagerMemoryNetworkMax => opt("taskmanager.memory.network.max", Type::MemorySize, Value("9223372036854775807 bytes"), Flink,
        "Maximum network (shuffle) memory of the TaskManager (no limit by default).")
        .fallback(&["taskmanager.network.memory.max"]),
    TaskmanagerMemoryNetworkFraction => opt("taskmanager.memory.network.fraction", Type::Float { min: 0.0 }, Value("0.1"), Flink,
        "The share of the TaskManager's Flink memory that is network memory, between its min and max.")
        .fallback(&["taskmanager.network.memory.fraction"]),
    TaskmanagerMemoryJvmMetaspaceSize => opt("taskmanager.memory.jvm-metaspace.size", Type::MemorySize, Value("256m"), Flink, "JVM metaspace of the TaskManager."),
    TaskmanagerMemoryJvmOverheadMin => opt("taskmanager.memory.jvm-overhead.min", Type::MemorySize, Value("192m"), Flink, "Minimum JVM overhead of the TaskManager."),
    TaskmanagerMemoryJvmOverheadMax => opt("taskmanager.memory.jvm-overhead.max", Type::MemorySize, Value("1g"), Flink, "Maximum JVM overhead of the TaskManager."),
    TaskmanagerMemoryJvmOverheadFraction => opt("taskmanager.memory.jvm-overhead.fraction", Type::Float { min: 0.0 }, Value("0.1"), Flink,
        "The share of the TaskManager's process memory kept for JVM overhead, between its min and max."),
    ContainerizedHeapCutoffRatio => opt("containerized.heap-cutoff-ratio", Type::Float { min: 0.0 }, Value("0.25"), Flink,
        "Legacy (Flink < 1.10): the share of the container kept from the TaskManager's heap for the JVM itself."),
    ContainerizedHeapCutoffMin => opt("containerized.heap-cutoff-min", Type::Int { min: 0, max: i64::MAX }, Value("600"), Flink,
        "Legacy (Flink < 1.10): the least MB kept from the TaskManager's heap for the JVM itself."),
    TaskmanagerNumberOfTaskSlots => opt("taskmanager.numberOfTaskSlots", Type::Int { min: 1, max: 100_000 }, Value("1"), Flink,
        "The number of task slots each TaskManager offers."),
    ParallelismDefault => opt("parallelism.default", Type::Int { min: 1, max: 100_000 }, Value("1"), Flink, "Default parallelism of jobs."),
    TaskmanagerRpcPort => opt("taskmanager.rpc.port", Type::PortRange, Value("0"), Flink,
        "The TaskManager's RPC port; the appmaster assigns one from the Mesos offer."),
    TaskmanagerDataPort => opt("taskmanager.data.port", Type::Port, Value("0"), Flink,
        "The TaskManager's data (shuffle) port; the appmaster assigns one from the Mesos offer."),
    TaskmanagerHost => opt("taskmanager.host", Type::Str, NoDefault, Flink,
        "The TaskManager's host name; set from `mesos.resourcemanager.tasks.hostname` when that is configured."),
    TaskmanagerBindHost => opt("taskmanager.bind-host", Type::Str, NoDefault, Flink,
        "Address the TaskManager listens on (Flink 1.11+); a loopback value (Flink's shipped conf/ has `localhost`) is not shipped to the workers."),
    TaskmanagerResourceId => opt("taskmanager.resource-id", Type::Str, NoDefault, Flink,
        "The TaskManager's resource id; `flink-mesos taskmanager` uses the Mesos task id."),
    ResourcemanagerTaskmanagerTimeout => opt("resourcemanager.taskmanager-timeout", Type::Duration, Value("30 s"), Flink,
        "A TaskManager with no allocated slot this long is stopped and its worker's resources go back to Mesos (never below the floor: `mesos.initial-tasks`, or `workers scale`)."),
    SlotmanagerNumberOfSlotsMin => opt("slotmanager.number-of-slots.min", Type::Int { min: 0, max: 1_000_000 }, Value("0"), Flink,
        "The floor in slots: at least this many slots are kept (as workers of `taskmanager.numberOfTaskSlots` each) even when idle; the floor is this or `mesos.initial-tasks` workers, whichever is larger."),
    SlotmanagerNumberOfSlotsMax => opt("slotmanager.number-of-slots.max", Type::Int { min: 1, max: 1_000_000 }, NoDefault, Flink,
        "The ceiling in slots: the cluster never grows beyond this many slots for the jobs' demand (unset: no ceiling; never below the floor)."),
    TaskmanagerRegistrationTimeout => opt("taskmanager.registration.timeout", Type::Duration, Value("5 min"), Flink,
        "A worker running in Mesos whose TaskManager has not registered with the JobManager this long is given up, counted as a failure and replaced."),
    ClusterRegistrationErrorDelay => opt("cluster.registration.error-delay", Type::Duration, Value("10 s"), Flink,
        "How long a TaskManager waits after a failed registration attempt before it tries again.")
        .millis_before(1, 20),
    ClusterRegistrationRefusedRegistrationDelay => opt("cluster.registration.refused-registration-delay", Type::Duration, Value("30 s"), Flink,
        "How long a TaskManager waits after a refused registration before it tries again.")
        .millis_before(1, 20),
    IoTmpDirs => opt("io.tmp.dirs", Type::Str, NoDefault, Flink,
        "Directories for temporary files, separated by `,` or `:`; `flink-mesos taskmanager` uses `tmp` in the sandbox, Flink otherwise the JVM's temporary directory."),
    FsHdfsHadoopconf => opt("fs.hdfs.hadoopconf", Type::Str, NoDefault, Flink,
        "Directory of the Hadoop configuration (deprecated in Flink); shipped to the workers like `$HADOOP_CONF_DIR`."),
    EnvJavaHome => opt("env.java.home", Type::Str, NoDefault, Flink,
        "The Java installation Flink's JVMs run with; else `JAVA_HOME`, else `java` on the PATH."),
    EnvJavaOpts => opt("env.java.opts", Type::Str, NoDefault, Flink, "JVM options for all Flink processes (Flink 1.x)."),
    EnvJavaOptsAll => opt("env.java.opts.all", Type::Str, NoDefault, Flink, "JVM options for all Flink processes (Flink 1.19+)."),
    EnvJavaOptsJobmanager => opt("env.java.opts.jobmanager", Type::Str, NoDefault, Flink, "JVM options for the JobManager."),
    EnvJavaOptsTaskmanager => opt("env.java.opts.taskmanager", Type::Str, NoDefault, Flink, "JVM options for the TaskManagers."),
    EnvJavaDefaultOptsAll => opt("env.java.default-opts.all", Type::Str, NoDefault, Flink,
        "Default JVM options for all Flink processes (Flink 1.19+), before `env.java.opts.all`."),
    EnvJavaDefaultOptsJobmanager => opt("env.java.default-opts.jobmanager", Type::Str, NoDefault, Flink,
        "Default JVM options for the JobManager (Flink 1.19+), before `env.java.opts.jobmanager`."),
    EnvJavaDefaultOptsTaskmanager => opt("env.java.default-opts.taskmanager", Type::Str, NoDefault, Flink,
        "Default JVM options for the TaskManagers (Flink 1.19+), before `env.java.opts.taskmanager`."),
    // --- Security -----------------------------------------------------------
    SecuritySslEnabled => opt("security.ssl.enabled", Type::Bool, Value("false"), Security,
        "Turns on SSL for Flink's internal and external connections (and the artifact server with `mesos.resourcemanager.artifactserver.ssl.enabled`)."),
    SecuritySslInternalEnabled => opt("security.ssl.internal.enabled", Type::Bool, Value("false"), Security,
        "Turns on SSL for Flink's internal connections; the artifact server then serves over TLS too (the workers' key stores travel through it), unless `mesos.resourcemanager.artifactserver.ssl.enabled` is false, which is then an error."),
    SecuritySslRestEnabled => opt("security.ssl.rest.enabled", Type::Bool, Value("false"), Security,
        "Turns on SSL for the REST API and web interface; the framework's web UI link is then `https://`."),
    SecuritySslKeystore => opt("security.ssl.keystore", Type::Str, NoDefault, Security, "Keystore file with the SSL key and certificate (PKCS#12 for Flink and the artifact server; the artifact server also reads PEM).")
        .fallback(&["security.ssl.internal.keystore"]),
    SecuritySslKeystorePassword => opt("security.ssl.keystore-password", Type::Str, NoDefault, Security, "Password of the keystore.")
        .fallback(&["security.ssl.internal.keystore-password"])
        .secret()
        .env("FLINK_SSL_KEYSTORE_PASSWORD"),
    SecuritySslKeyPassword => opt("security.ssl.key-password", Type::Str, NoDefault, Security, "Password of the SSL key in the keystore.")
        .fallback(&["security.ssl.internal.key-password"])
        .secret()
        .env("FLINK_SSL_KEY_PASSWORD"),
    SecuritySslTruststore => opt("security.ssl.truststore", Type::Str, NoDefault, Security, "Java truststore file.")
        .fallback(&["security.ssl.internal.truststore"]),
    SecuritySslTruststorePassword => opt("security.ssl.truststore-password", Type::Str, NoDefault, Security, "Password of the truststore.")
        .fallback(&["security.ssl.internal.truststore-password"])
        .secret()
        .env("FLINK_SSL_TRUSTSTORE_PASSWORD"),
    SecuritySslRestKeystore => opt("security.ssl.rest.keystore", Type::Str, NoDefault, Security,
        "Keystore of the REST API's SSL; shipped to the workers."),
    SecuritySslRestTruststore => opt("security.ssl.rest.truststore", Type::Str, NoDefault, Security,
        "Truststore of the REST API's SSL; shipped to the workers."),
    SecurityKerberosLoginKeytab => opt("security.kerberos.login.keytab", Type::Str, NoDefault, Security,
        "Kerberos keytab file; shipped to the workers (as a secret) as `krb5.keytab`."),
    SecurityKerberosKrb5ConfPath => opt("security.kerberos.krb5-conf.path", Type::Str, NoDefault, Security,
        "Kerberos `krb5.conf`: the JobManager's JVM is pointed at it (`-Djava.security.krb5.conf`), and it is shipped to the workers as `krb5.conf`, which their JVMs are pointed at."),
}

/// The declaration for a key, by its name or one of its fallback spellings.
pub fn lookup(key: &str) -> Option<&'static OptionDef> {
    OPTIONS
        .iter()
        .find(|o| o.key == key || o.fallback_keys.contains(&key))
}

/// flink-mesos' own keys (the scheduler's), which Flink never sees: `mesos.*`.
pub const MESOS_PREFIX: &str = "mesos.";
/// Flink's high-availability keys (`high-availability` and below).
pub const HIGH_AVAILABILITY_PREFIX: &str = "high-availability";
/// flink-mesos' own ZooKeeper credentials (the worker store's), which the
/// workers never get.
pub const ZOOKEEPER_DIGEST_PREFIX: &str = "high-availability.zookeeper.client.digest.";
/// Flink's SSL keys.
pub const SSL_PREFIX: &str = "security.ssl.";

/// Whether `key` is one of flink-mesos' own `mesos.*` keys.
pub fn is_mesos_key(key: &str) -> bool {
    key.starts_with(MESOS_PREFIX)
}

/// flink-mesos' own ZooKeeper credentials (the worker store's): they stay
/// with the appmaster process, in neither Flink JVM's configuration.
pub fn appmaster_only(key: &str) -> bool {
    key.starts_with(ZOOKEEPER_DIGEST_PREFIX)
}

/// The environment variables that carry flink-mesos' own settings (each
/// option's overlay variable, several of them secrets) and the worker's
/// secrets token: no Flink JVM reads them, so none is passed on to one.
pub fn private_env_vars() -> impl Iterator<Item = &'static str> {
    OPTIONS
        .iter()
        .filter_map(|o| o.env)
        .chain(["FLINK_MESOS_SECRETS_TOKEN", "FLINK_MESOS_SECRETS_URL"])
}

/// Flink's prefix of the variables set in every TaskManager's environment
/// (`containerized.taskmanager.env.NAME: value`).
pub const TASKMANAGER_ENV_PREFIX: &str = "containerized.taskmanager.env.";
/// Flink's prefix of the variables set in the JobManager's environment.
pub const MASTER_ENV_PREFIX: &str = "containerized.master.env.";

/// The variable a `containerized.*.env.NAME` key sets: `NAME`, when it is a
/// name an environment can hold (not empty, no `=`, no NUL).
pub fn env_var_name<'a>(prefix: &str, key: &'a str) -> Option<Result<&'a str, ()>> {
    let name = key.strip_prefix(prefix)?;
    Some(if name.is_empty() || name.contains(['=', '\0']) {
        Err(())
    } else {
        Ok(name)
    })
}

/// The environment the `prefix` keys among `entries` set, in their order;
/// keys that name no valid variable are left out (`validate-conf` reports them).
pub fn env_from<'a>(
    prefix: &str,
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, String)> {
    entries
        .into_iter()
        .filter_map(|(k, v)| match env_var_name(prefix, k) {
            Some(Ok(name)) => Some((name.to_string(), v.to_string())),
            _ => None,
        })
        .collect()
}

/// Flink's own list of sensitive key fragments (`GlobalConfiguration`'s
/// `SENSITIVE_KEYS`, Flink 1.18 to 2.x): a key that contains one, in any
/// case, has a secret value.
pub const SENSITIVE_KEY_FRAGMENTS: [&str; 11] = [
    "password",
    "secret",
    "fs.azure.account.key",
    "apikey",
    "api-key",
    "auth-params",
    "service-key",
    "token",
    "basic-auth",
    "jaas.config",
    "http-headers",
];

/// Whether a key that is not declared still looks like a secret (Flink's own
/// rule, [`SENSITIVE_KEY_FRAGMENTS`]), so that it is masked and kept out of
/// everything but the workers' secrets too.
pub fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SENSITIVE_KEY_FRAGMENTS.iter().any(|f| k.contains(f))
}

/// Flink Mesos options that flink-mesos deliberately does not have, with why:
/// the warning for such a key says so instead of guessing a typo.
pub const RETIRED: &[(&str, &str)] = &[(
    "mesos.resourcemanager.unused-offer-expiration",
    "flink-mesos never holds offers (each is accepted or declined at once), so this Flink option has no effect; remove it",
)];

/// Why a retired Flink option is not used, if `key` is one.
pub fn retired(key: &str) -> Option<&'static str> {
    RETIRED
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, why)| *why)
}

/// The declared key (or fallback spelling) closest to `key`, for did-you-mean.
/// Compares both the whole key and its last segments, so that
/// `mesos.artifact-server.port` finds `mesos.resourcemanager.artifactserver.port`.
pub fn did_you_mean(key: &str) -> Option<&'static str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_'], "");
    let wanted = norm(key);
    let wanted_tail = norm(key.rsplit('.').next().unwrap_or(key));
    let wanted_rest = norm(key.strip_prefix("mesos.").unwrap_or(key));
    let mut best: Option<(f64, &'static str)> = None;
    for o in OPTIONS.iter() {
        let candidate = norm(o.key);
        let mut score = strsim::jaro_winkler(&wanted, &candidate);
        // Same last segment and same first segment: a mis-spelt middle part.
        let tail = norm(o.key.rsplit('.').next().unwrap_or(o.key));
        if tail == wanted_tail && o.key.split('.').next() == key.split('.').next() {
            score += 0.1;
        }
        // Every word of the typo appears in the candidate, in order.
        if is_subsequence(&wanted_rest, &candidate) {
            score += 0.1;
        }
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, o.key));
        }
    }
    best.filter(|(s, _)| *s >= 0.85).map(|(_, k)| k)
}

fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut it = hay.chars();
    needle.chars().all(|c| it.any(|h| h == c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_fallbacks_unambiguous() {
        let mut seen = std::collections::HashSet::new();
        for o in OPTIONS {
            assert!(seen.insert(o.key), "duplicate key {}", o.key);
            for f in o.fallback_keys {
                assert!(seen.insert(f), "fallback {f} of {} declared twice", o.key);
            }
        }
    }

    #[test]
    fn every_key_is_its_declaration() {
        assert_eq!(Key::ALL.len(), OPTIONS.len());
        for (i, &key) in Key::ALL.iter().enumerate() {
            assert_eq!(key as usize, i);
            assert!(std::ptr::eq(key.def(), &OPTIONS[i]));
            assert!(
                std::ptr::eq(lookup(key.name()).unwrap(), key.def()),
                "{key}"
            );
        }
        assert_eq!(Key::MesosMaster.to_string(), "mesos.master");
    }

    #[test]
    fn declared_defaults_pass_their_own_type_check() {
        // Settings fall back to the declared default when a value fails its
        // check; the default must therefore always parse.
        for o in OPTIONS {
            if let DefaultValue::Value(v) = o.default {
                if let Err(e) = crate::config::values::check(o.ty, v) {
                    panic!("{}: default `{v}` {e}", o.key);
                }
            }
        }
    }

    #[test]
    fn secrets_look_secret_or_are_declared() {
        for o in OPTIONS.iter().filter(|o| o.secret) {
            assert!(
                looks_secret(o.key) || o.key.ends_with("secret"),
                "{}",
                o.key
            );
        }
    }

    #[test]
    fn unused_offer_expiration_is_retired_not_declared() {
        assert!(lookup("mesos.resourcemanager.unused-offer-expiration").is_none());
        assert!(retired("mesos.resourcemanager.unused-offer-expiration")
            .is_some_and(|why| why.contains("never holds offers")));
        assert!(lookup("mesos.resourcemanager.tasks.launch-timeout").is_some());
    }

    #[test]
    fn did_you_mean_finds_the_intended_key() {
        assert_eq!(
            did_you_mean("mesos.artifact-server.port"),
            Some("mesos.resourcemanager.artifactserver.port")
        );
        assert_eq!(
            did_you_mean("mesos.initial-task"),
            Some("mesos.initial-tasks")
        );
        assert_eq!(
            did_you_mean("mesos.resourcemanager.tasks.memory"),
            Some("mesos.resourcemanager.tasks.mem")
        );
        assert_eq!(
            did_you_mean("mesos.constraints.hard.hostattributes"),
            Some("mesos.constraints.hard.hostattribute")
        );
        assert_eq!(did_you_mean("mesos.zzzzzz.qqqq"), None);
    }
}

/// The part of a value that must never be shown, as a character range: the
/// whole value of a secret option, or the password in a
/// `zk://user:password@…` master URL.
pub fn secret_part(key: &str, value: &str) -> Option<std::ops::Range<usize>> {
    if lookup(key).is_some_and(|d| d.secret) || looks_secret(key) {
        return Some(0..value.chars().count());
    }
    if lookup(key).is_some_and(|d| d.ty == Type::MasterUrl) {
        let rest = value.strip_prefix("zk://")?;
        let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
        let at = authority.rfind('@')?;
        let colon = authority[..at].find(':')?;
        let start = "zk://".len() + authority[..colon + 1].chars().count();
        let end = "zk://".len() + authority[..at].chars().count();
        return Some(start..end);
    }
    None
}

/// `value` with its [`secret_part`] replaced by the mask.
pub fn masked(key: &str, value: &str) -> String {
    match secret_part(key, value) {
        Some(range) => {
            let chars: Vec<char> = value.chars().collect();
            let mut out: String = chars[..range.start].iter().collect();
            out.push_str(super::secret::MASK);
            out.extend(&chars[range.end..]);
            out
        }
        None => value.to_string(),
    }
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    #[test]
    fn masks_secrets_and_zk_passwords() {
        assert_eq!(
            masked("mesos.resourcemanager.framework.secret", "abc"),
            "******"
        );
        assert_eq!(masked("my.token.password", "abc"), "******");
        assert_eq!(
            masked("mesos.master", "zk://u:pw@zk1:2181/mesos"),
            "zk://u:******@zk1:2181/mesos"
        );
        assert_eq!(
            masked("mesos.master", "zk://zk1:2181/mesos"),
            "zk://zk1:2181/mesos"
        );
        assert_eq!(masked("rest.port", "8081"), "8081");
    }
}
