//! The typed settings of flink-mesos and the validation that produces them.
//!
//! [`resolve`] is the single place where configuration values become typed
//! values: `validate-conf` prints its diagnostics, and every command that
//! runs something (appmaster, taskmanager, marathon-json) refuses to start
//! when it reports an error. Diagnostics point at the value that caused them.
//! The memory rules between the Mesos container and Flink's memory settings
//! are [`super::memory`]'s; their results travel in [`Settings`].

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use super::diagnostic::{Diagnostic, Severity};
use super::master::MasterSpec;
use super::memory;
use super::options::{self, DefaultValue, Key, OptionDef, Type};
use super::secret::Secret;
use super::values::{self, Volume};
use super::{Config, Entry, Layer};
use crate::scheduler::command;

/// What the configuration is for; the appmaster needs more than a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Appmaster,
    Taskmanager,
}

#[derive(Debug, Clone, Copy)]
pub struct ValidateOptions {
    pub purpose: Purpose,
    /// Warn about unknown keys outside `mesos.` and deprecated spellings.
    pub strict: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Framework {
    pub name: String,
    pub role: String,
    pub user: String,
    pub principal: Option<String>,
    pub secret: Option<Secret>,
    pub checkpoint: bool,
    pub failover_timeout: Duration,
}

pub use super::values::Container;

#[derive(Debug, Clone, PartialEq)]
pub struct Tasks {
    /// Container memory in MB, after following the TaskManager memory when unset.
    pub mem_mb: u64,
    /// CPUs per worker; `mesos.resourcemanager.tasks.cpus` or one per slot.
    pub cpus: f64,
    pub gpus: u32,
    pub disk_mb: u64,
    pub bandwidth_mb: u64,
    pub network_resource_name: String,
    pub container: Container,
    pub volumes: Vec<Volume>,
    pub hostname: Option<String>,
    pub bootstrap_cmd: Option<String>,
    /// `mesos.resourcemanager.tasks.bootstrap-timeout`.
    pub bootstrap_timeout: Duration,
    pub taskmanager_cmd: String,
    /// `containerized.taskmanager.env.*` without secret values: the
    /// TaskInfo's environment. Secret ones reach only the TaskManager JVM,
    /// through the secrets bundle and its configuration.
    pub environment: Vec<(String, String)>,
    pub uris: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub user: Option<String>,
    pub port_assignments: Vec<String>,
    /// `mesos.resourcemanager.tasks.launch-timeout`.
    pub launch_timeout: Duration,
    /// `mesos.resourcemanager.tasks.max-launching-per-agent`.
    pub max_launching_per_agent: u32,
    /// `mesos.resourcemanager.tasks.max-launching`.
    pub max_launching: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ZooKeeperHa {
    pub quorum: Vec<(String, u16)>,
    pub root: String,
    pub cluster_id: String,
    pub storage_dir: Option<String>,
    pub workers_path: String,
    pub acl_creator: bool,
    pub session_timeout: Duration,
    /// Digest credentials (`user`, password) for the worker store.
    pub digest: Option<(String, Secret)>,
    /// With `client.acl: creator`, the digest credentials and no Kerberos
    /// login of Flink's own: the JAAS section (`zookeeper.sasl.login-context-name`)
    /// in which Flink's JVMs log in with them (`crate::flink::zk_login`).
    pub flink_digest_login: Option<String>,
    /// `high-availability.zookeeper.client.ssl.*`: every ZooKeeper client of
    /// the cluster talks TLS (`super::zk_tls`).
    pub tls: Option<super::zk_tls::ZkTls>,
    /// Flink's Kerberos login to ZooKeeper, which the worker store and the
    /// leader election use too (SASL GSSAPI, `crate::store::zk`).
    pub kerberos: Option<ZkKerberos>,
}

/// A Kerberos login to ZooKeeper: Flink's (`security.kerberos.login.*`
/// with the ZooKeeper login context in `.contexts`).
#[derive(Debug, Clone, PartialEq)]
pub struct ZkKerberos {
    /// `security.kerberos.login.principal`.
    pub principal: String,
    /// `security.kerberos.login.keytab`, absolute.
    pub keytab: PathBuf,
    /// `security.kerberos.krb5-conf.path`, absolute (`None`: the system's).
    pub krb5_conf: Option<PathBuf>,
    /// The servers' principals' first part (`zookeeper.sasl.service-name`).
    pub service: String,
}

impl ZooKeeperHa {
    /// The JAAS configuration Flink's JVMs log in to ZooKeeper with, when
    /// they use the digest credentials (`crate::flink::zk_login`).
    pub fn flink_jaas(&self) -> Option<Secret> {
        let context = self.flink_digest_login.as_deref()?;
        let (user, password) = self.digest.as_ref()?;
        Some(crate::flink::zk_login::jaas(context, user, password))
    }
}

pub use super::memory::{JobManagerMemory, TaskManagerMemory};

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub master: Option<MasterSpec>,
    /// `mesos.tls.ca-file`: the CAs an `https://` master must chain to.
    pub master_ca_file: Option<PathBuf>,
    pub initial_tasks: u32,
    /// `None`: failures never stop the cluster (`-1`).
    pub max_failed_tasks: Option<u32>,
    pub constraints: Vec<(String, String)>,
    pub framework: Framework,
    pub artifact_server_port: u16,
    /// `mesos.resourcemanager.artifactserver.bind-host`.
    pub artifact_server_bind: String,
    /// Serve artifacts over TLS (both SSL switches on).
    pub artifact_server_ssl: bool,
    pub declined_offer_refuse: Duration,
    pub tasks: Tasks,
    pub ha: Option<ZooKeeperHa>,
    /// `jobmanager.rpc.address` when configured (not blank); else the
    /// appmaster's host name (`appmaster::plan::jobmanager_address`).
    pub jobmanager_rpc_address: Option<String>,
    pub jobmanager_rpc_port: u16,
    pub rest_port: u16,
    pub task_slots: u32,
    /// How the workers follow the jobs' demand.
    pub elastic: crate::scheduler::elastic::Elastic,
    /// The floor: `mesos.initial-tasks`, or the workers that
    /// `slotmanager.number-of-slots.min` needs, whichever is larger.
    pub floor: u32,
    /// What sizes the JobManager ([`super::memory`]).
    pub jobmanager_memory: JobManagerMemory,
    /// The JobManager's legacy heap keys that are set, the winning one
    /// first, with their values ([`JobManagerMemory::keys`]).
    pub jobmanager_legacy_heap: Vec<(Key, String)>,
    /// What Flink makes of the JobManager's memory (`None`: it does not fit).
    pub jobmanager_breakdown: Option<super::memory::Breakdown>,
    /// The TaskManagers' container and memory ([`super::memory`]).
    pub taskmanager_memory: TaskManagerMemory,
}

/// Diagnostics, and the settings when there was no error.
#[derive(Debug)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub settings: Option<Settings>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

impl Settings {
    /// The value an option takes when it is not set but follows other
    /// options (its declared default is `Derived`, or its default is
    /// replaced by a rule here), as `config show` prints it.
    pub fn derived(&self, key: Key) -> Option<String> {
        match key {
            Key::MesosMaximumFailedTasks => Some(
                self.max_failed_tasks
                    .map_or("-1".to_string(), |n| n.to_string()),
            ),
            Key::MesosResourcemanagerTasksMem => Some(self.tasks.mem_mb.to_string()),
            Key::MesosResourcemanagerTasksCpus => Some(self.tasks.cpus.to_string()),
            _ => None,
        }
    }
}

fn master_ca_file(c: &Checker) -> Option<PathBuf> {
    c.string(Key::MesosTlsCaFile)
        .filter(|s| !s.trim().is_empty())
        .map(PathBuf::from)
}

fn master_not_set() -> Diagnostic {
    Diagnostic::error("is not set; the appmaster needs to know the Mesos master")
        .key(Key::MesosMaster)
        .hint("add `mesos.master: host:5050` to the configuration file or pass -Dmesos.master=host:5050")
}

/// How to reach the Mesos master: where it is and whom to trust.
#[derive(Debug, Clone, PartialEq)]
pub struct MasterAccess {
    pub spec: MasterSpec,
    /// `mesos.tls.ca-file`.
    pub ca_file: Option<PathBuf>,
}

/// `mesos.master` (and `mesos.tls.ca-file`) alone, by the rules [`resolve`]
/// applies to them, for the commands that need nothing else (`flink-mesos
/// master`): problems with other keys do not stop them. Unset or malformed,
/// the master is the diagnostic `validate-conf` shows.
pub fn resolve_master(config: &Config) -> Result<MasterAccess, Vec<Diagnostic>> {
    let mut c = Checker {
        config,
        diags: Vec::new(),
        bad: HashSet::new(),
    };
    c.check_keys(false);
    let master = c.typed(Key::MesosMaster, MasterSpec::parse);
    let ca_file = master_ca_file(&c);
    let mine: Vec<Diagnostic> = c
        .diags
        .into_iter()
        .filter(|d| {
            d.is_error()
                && d.key
                    .as_deref()
                    .and_then(options::lookup)
                    .is_some_and(|o| o.key == Key::MesosMaster.name())
        })
        .collect();
    match master {
        Some(spec) if mine.is_empty() => Ok(MasterAccess { spec, ca_file }),
        _ if mine.is_empty() => Err(vec![master_not_set()]),
        _ => Err(mine),
    }
}

/// The floor and how the workers follow demand: Flink's slot manager keys
/// in workers of `taskmanager.numberOfTaskSlots` slots.
fn elastic(
    c: &mut Checker<'_>,
    task_slots: u32,
    initial_tasks: u32,
) -> (crate::scheduler::elastic::Elastic, u32) {
    use crate::scheduler::elastic::Elastic;
    let slots = u64::from(task_slots.max(1));
    let min_slots = c.int(Key::SlotmanagerNumberOfSlotsMin).max(0) as u64;
    let floor = u32::try_from(min_slots.div_ceil(slots))
        .unwrap_or(u32::MAX)
        .max(initial_tasks);
    let ceiling = c
        .typed_int(Key::SlotmanagerNumberOfSlotsMax)
        .map(|max| u32::try_from(max.max(1) as u64 / slots).unwrap_or(u32::MAX));
    if let Some(ceiling) = ceiling {
        if ceiling < floor {
            c.warn_at(
                Key::SlotmanagerNumberOfSlotsMax,
                &format!(
                    "allows {ceiling} workers of {task_slots} slots, fewer than the floor of {floor} (mesos.initial-tasks / slotmanager.number-of-slots.min): the floor wins and the cluster never grows"
                ),
                "raise it, or lower mesos.initial-tasks",
            );
        }
    }
    let idle_timeout = c.value(
        Key::ResourcemanagerTaskmanagerTimeout,
        values::parse_duration,
    );
    let registration = c.value(Key::TaskmanagerRegistrationTimeout, values::parse_duration);
    let elastic = Elastic {
        slots_per_worker: task_slots.max(1),
        ceiling,
        idle_timeout,
        registration_timeout: (!registration.is_zero()).then_some(registration),
        ..Elastic::default()
    };
    (elastic, floor)
}

/// Reads and checks the configuration: the typed values of declared options
/// and the diagnostics of everything that is wrong.
pub fn resolve(config: &Config, opts: ValidateOptions) -> Report {
    let mut c = Checker {
        config,
        diags: config.diagnostics.clone(),
        bad: HashSet::new(),
    };
    c.check_keys(opts.strict);

    // --- Mesos scheduler ---------------------------------------------------
    let master = c.typed(Key::MesosMaster, MasterSpec::parse);
    if opts.purpose == Purpose::Appmaster && c.entry(Key::MesosMaster).is_none() {
        c.push(master_not_set());
    }
    // A JobManager address that means "this host" cannot reach TaskManagers
    // on the agents of a master elsewhere (Flink's shipped conf/ sets them
    // all to localhost).
    let remote_master = matches!(&master, Some(MasterSpec::Direct { host, .. }) if !values::is_loopback_host(host))
        || matches!(&master, Some(MasterSpec::ZooKeeper { servers, .. }) if servers.iter().any(|(h, _)| !values::is_loopback_host(h)));
    if opts.purpose == Purpose::Appmaster && remote_master {
        for key in [Key::JobmanagerRpcAddress, Key::JobmanagerBindHost] {
            if c.string(key).is_some_and(|v| values::is_loopback_host(&v)) {
                c.error_at(
                    key,
                    "is a loopback address while the Mesos master (and so the TaskManagers) is on another host: they could not reach the JobManager",
                    "set it to this host's routable address or name (or remove it: the appmaster then uses this host's name); Flink's shipped conf/ sets it to localhost",
                );
            }
        }
    }
    let initial_tasks = c.int(Key::MesosInitialTasks) as u32;
    let max_failed_tasks = match c.entry(Key::MesosMaximumFailedTasks) {
        Some(_) => match c.typed_int(Key::MesosMaximumFailedTasks) {
            Some(-1) => None,
            Some(n) => {
                if n == 0 {
                    c.warn_at(
                        Key::MesosMaximumFailedTasks,
                        "is 0: the cluster fails at the first failed worker",
                        "use -1 to never fail the cluster, or a small positive number",
                    );
                }
                Some(n.max(0) as u32)
            }
            None => Some(initial_tasks),
        },
        None => Some(initial_tasks),
    };
    let constraints = c
        .typed(
            Key::MesosConstraintsHardHostattribute,
            values::parse_key_colon_values,
        )
        .unwrap_or_default();
    let framework = Framework {
        name: c
            .string(Key::MesosResourcemanagerFrameworkName)
            .unwrap_or_default(),
        role: c
            .string(Key::MesosResourcemanagerFrameworkRole)
            .unwrap_or_default(),
        user: c
            .string(Key::MesosResourcemanagerFrameworkUser)
            .unwrap_or_default(),
        principal: c
            .string(Key::MesosResourcemanagerFrameworkPrincipal)
            .filter(|s| !s.is_empty()),
        secret: c
            .string(Key::MesosResourcemanagerFrameworkSecret)
            .filter(|s| !s.is_empty())
            .map(Secret::new),
        checkpoint: c.value(
            Key::MesosResourcemanagerFrameworkCheckpoint,
            values::parse_bool,
        ),
        failover_timeout: Duration::from_secs(c.int(Key::MesosFailoverTimeout).max(0) as u64),
    };
    if framework.name.trim().is_empty() {
        c.error_at(
            Key::MesosResourcemanagerFrameworkName,
            "is empty",
            "give the framework a name, e.g. Flink",
        );
    }
    if framework.role.trim().is_empty() {
        c.error_at(
            Key::MesosResourcemanagerFrameworkRole,
            "is empty",
            "use `*` for the default role",
        );
    }
    match (&framework.principal, &framework.secret) {
        (Some(_), None) => c.warn_at(
            Key::MesosResourcemanagerFrameworkPrincipal,
            "is set without `mesos.resourcemanager.framework.secret`; the master must accept unauthenticated frameworks",
            "set the secret through FLINK_MESOS_FRAMEWORK_SECRET or mesos.resourcemanager.framework.secret",
        ),
        (None, Some(_)) => c.warn_at(
            Key::MesosResourcemanagerFrameworkSecret,
            "is set without `mesos.resourcemanager.framework.principal` and is not used",
            "set mesos.resourcemanager.framework.principal too",
        ),
        _ => {}
    }
    let declined_offer_refuse = c.value(
        Key::MesosResourcemanagerDeclinedOfferRefuseDuration,
        values::parse_duration,
    );

    // --- Security / artifact server --------------------------------------------
    // Internal SSL means key material for the workers, which travels
    // through the artifact server: never in clear text.
    let internal_ssl = c.value(Key::SecuritySslInternalEnabled, values::parse_bool);
    let ssl = c.value(Key::SecuritySslEnabled, values::parse_bool) || internal_ssl;
    let artifact_ssl = c.value(
        Key::MesosResourcemanagerArtifactserverSslEnabled,
        values::parse_bool,
    );
    if internal_ssl && !artifact_ssl {
        c.error_at(
            Key::MesosResourcemanagerArtifactserverSslEnabled,
            "is false while security.ssl.internal.enabled is true: the workers' key stores and their passwords would travel to them over plain HTTP",
            "remove it (the artifact server then serves over TLS with security.ssl.internal.keystore), or turn internal SSL off",
        );
    }
    if artifact_ssl && ssl {
        for key in [
            Key::SecuritySslKeystore,
            Key::SecuritySslKeystorePassword,
            Key::SecuritySslKeyPassword,
        ] {
            if c.entry(key).is_none() {
                c.push(
                    Diagnostic::error("is required: the artifact server serves over TLS (security.ssl.enabled or security.ssl.internal.enabled, and mesos.resourcemanager.artifactserver.ssl.enabled, are true)")
                        .key(key)
                        .hint("provide the key material, or set mesos.resourcemanager.artifactserver.ssl.enabled: false"),
                );
            }
        }
    } else if artifact_ssl && c.set_by_user(Key::MesosResourcemanagerArtifactserverSslEnabled) {
        c.warn_at(
            Key::MesosResourcemanagerArtifactserverSslEnabled,
            "is true but `security.ssl.enabled` is false, so the artifact server serves plain HTTP",
            "set security.ssl.enabled: true (with keystore settings) to encrypt artifact downloads",
        );
    }
    let artifact_server_port = c.value(
        Key::MesosResourcemanagerArtifactserverPort,
        values::parse_port,
    );

    // --- TaskManager tasks -----------------------------------------------------
    let task_slots = c.int(Key::TaskmanagerNumberOfTaskSlots) as u32;
    let taskmanager_memory = memory::taskmanager(&mut c);
    let mem_mb = taskmanager_memory.container_mb;
    let cpus = match c.typed(Key::MesosResourcemanagerTasksCpus, |s| {
        values::parse_float(s, 0.0)
    }) {
        Some(v) if v > 0.0 => v,
        _ => f64::from(task_slots.max(1)),
    };
    let gpus = c.int(Key::MesosResourcemanagerTasksGpus) as u32;
    let container_type = c
        .text(Key::MesosResourcemanagerTasksContainerType)
        .to_ascii_lowercase();
    let image = c
        .string(Key::MesosResourcemanagerTasksContainerImageName)
        .filter(|s| !s.trim().is_empty());
    let container = if container_type == "docker" {
        if gpus > 0 {
            c.warn_at(
                Key::MesosResourcemanagerTasksGpus,
                "GPUs are not supported by Mesos' Docker containerizer",
                "use the `mesos` container type (with an image) for GPU workers",
            );
        }
        let force_pull = c.value(
            Key::MesosResourcemanagerTasksContainerDockerForcePullImage,
            values::parse_bool,
        );
        let parameters = c
            .typed(
                Key::MesosResourcemanagerTasksContainerDockerParameters,
                values::parse_key_equals_values,
            )
            .unwrap_or_default();
        match image {
            Some(image) => Container::Docker {
                image,
                force_pull,
                parameters,
            },
            None => {
                c.error_at(
                    Key::MesosResourcemanagerTasksContainerType,
                    "is `docker`, but `mesos.resourcemanager.tasks.container.image.name` is not set",
                    "set mesos.resourcemanager.tasks.container.image.name to the Flink image, e.g. flink:1.20",
                );
                Container::Mesos { image: None }
            }
        }
    } else {
        Container::Mesos { image }
    };
    let hostname = c
        .string(Key::MesosResourcemanagerTasksHostname)
        .filter(|s| !s.is_empty());
    if let Some(h) = &hostname {
        if !h.contains("_TASK_")
            && initial_tasks > 1
            && !c
                .bad
                .contains(Key::MesosResourcemanagerTasksHostname.name())
        {
            c.warn_at(
                Key::MesosResourcemanagerTasksHostname,
                "has no `_TASK_`, so every TaskManager gets the same host name",
                "include _TASK_, e.g. _TASK_.flink-service.mesos",
            );
        }
    }
    let tasks = Tasks {
        mem_mb,
        cpus,
        gpus,
        disk_mb: c.value(Key::MesosResourcemanagerTasksDisk, values::parse_megabytes),
        bandwidth_mb: c.value(
            Key::MesosResourcemanagerTasksNetworkBandwidth,
            values::parse_megabytes,
        ),
        network_resource_name: c.text(Key::MesosResourcemanagerNetworkResourceName),
        container,
        volumes: c
            .typed(
                Key::MesosResourcemanagerTasksContainerVolumes,
                values::parse_volumes,
            )
            .unwrap_or_default(),
        hostname,
        bootstrap_cmd: c
            .string(Key::MesosResourcemanagerTasksBootstrapCmd)
            .filter(|s| !s.trim().is_empty()),
        bootstrap_timeout: c.value(
            Key::MesosResourcemanagerTasksBootstrapTimeout,
            values::parse_duration,
        ),
        taskmanager_cmd: c
            .string(Key::MesosResourcemanagerTasksTaskmanagerCmd)
            .unwrap_or_default(),
        environment: options::env_from(
            options::TASKMANAGER_ENV_PREFIX,
            c.config
                .winners()
                .filter(|e| options::secret_part(&e.key, &e.value).is_none())
                .map(|e| (e.key.as_str(), e.value.as_str())),
        ),
        uris: c.list(Key::MesosResourcemanagerTasksUris),
        labels: c
            .typed(
                Key::MesosResourcemanagerTasksLabels,
                values::parse_key_colon_values,
            )
            .unwrap_or_default(),
        user: c
            .string(Key::MesosResourcemanagerTasksUser)
            .filter(|s| !s.is_empty()),
        port_assignments: c.list(Key::MesosResourcemanagerTasksPortAssignments),
        launch_timeout: c.value(
            Key::MesosResourcemanagerTasksLaunchTimeout,
            values::parse_duration,
        ),
        max_launching_per_agent: u32::try_from(
            c.int(Key::MesosResourcemanagerTasksMaxLaunchingPerAgent),
        )
        .unwrap_or(u32::MAX),
        max_launching: u32::try_from(c.int(Key::MesosResourcemanagerTasksMaxLaunching))
            .unwrap_or(u32::MAX),
    };
    if tasks.launch_timeout.is_zero() {
        c.error_at(
            Key::MesosResourcemanagerTasksLaunchTimeout,
            "must be above zero",
            "a worker gets this long from its launch to TASK_RUNNING, e.g. `5 min`",
        );
    }
    if tasks.bootstrap_timeout.is_zero() {
        c.error_at(
            Key::MesosResourcemanagerTasksBootstrapTimeout,
            "must be above zero",
            "the bootstrap command gets this long before it is killed, e.g. `10 min`",
        );
    }
    if tasks.taskmanager_cmd.trim().is_empty() {
        c.error_at(
            Key::MesosResourcemanagerTasksTaskmanagerCmd,
            "is empty",
            "leave it unset to run `flink-mesos taskmanager`",
        );
    } else if command::shape(&tasks.taskmanager_cmd) == command::Shape::Compound {
        let d = c.at_value(
            Severity::Note,
            Key::MesosResourcemanagerTasksTaskmanagerCmd,
            &command::explain(&tasks.taskmanager_cmd),
            "a single command (e.g. `flink-mesos taskmanager`, or a script that ends with `exec`) is run with `exec` and gets signals directly",
        );
        c.push(d);
    }

    // --- High availability ------------------------------------------------------
    let ha_type = c.text(Key::HighAvailabilityType);
    let ha = match ha_type.to_ascii_lowercase().as_str() {
        "none" => None,
        "zookeeper" => {
            let quorum = c.typed(
                Key::HighAvailabilityZookeeperQuorum,
                values::parse_zk_quorum,
            );
            if c.entry(Key::HighAvailabilityZookeeperQuorum).is_none() {
                c.push(
                    Diagnostic::error("is required when high-availability is ZOOKEEPER")
                        .key(Key::HighAvailabilityZookeeperQuorum)
                        .hint("list the ZooKeeper servers, e.g. zk1:2181,zk2:2181,zk3:2181"),
                );
            }
            let storage_dir = c
                .string(Key::HighAvailabilityStorageDir)
                .filter(|s| !s.is_empty());
            if storage_dir.is_none() && opts.purpose == Purpose::Appmaster {
                c.push(
                    Diagnostic::error("is required when high-availability is ZOOKEEPER (the JobManager stores its recovery data there)")
                        .key(Key::HighAvailabilityStorageDir)
                        .hint("point it at a shared file system, e.g. hdfs:///flink/recovery"),
                );
            }
            let workers_path = c
                .string(Key::HighAvailabilityZookeeperPathMesosWorkers)
                .unwrap_or_default();
            let digest_user = c
                .string(Key::HighAvailabilityZookeeperClientDigestUsername)
                .filter(|s| !s.is_empty());
            let digest_password = c
                .string(Key::HighAvailabilityZookeeperClientDigestPassword)
                .filter(|s| !s.is_empty());
            let digest = match (digest_user, digest_password) {
                (Some(user), Some(password)) => Some((user, Secret::new(password))),
                (None, None) => None,
                (Some(_), None) => {
                    c.error_at(
                        Key::HighAvailabilityZookeeperClientDigestUsername,
                        "is set but high-availability.zookeeper.client.digest.password is not",
                        "set the password too (e.g. in $FLINK_MESOS_ZK_PASSWORD)",
                    );
                    None
                }
                (None, Some(_)) => {
                    c.error_at(
                        Key::HighAvailabilityZookeeperClientDigestPassword,
                        "is set but high-availability.zookeeper.client.digest.username is not",
                        "set the user name too",
                    );
                    None
                }
            };
            let acl_creator = c
                .string(Key::HighAvailabilityZookeeperClientAcl)
                .is_some_and(|s| s.eq_ignore_ascii_case("creator"));
            // `client.acl` is Flink's: with `creator` its JobManager and
            // TaskManagers need an identity in ZooKeeper, and Flink has one
            // only through a SASL login (a JAAS `Client` section: Kerberos,
            // `security.kerberos.login.contexts`). flink-mesos' digest
            // credentials are not Flink's (it has no digest login that keeps
            // the password out of its logs and REST API), so without a SASL
            // login the JobManager would fail with InvalidACLException.
            let kerberos = flink_has_zookeeper_login(c.config);
            if acl_creator && opts.purpose == Purpose::Appmaster && !kerberos && digest.is_none() {
                c.error_at(
                    Key::HighAvailabilityZookeeperClientAcl,
                    "is `creator`, but Flink's JobManager and TaskManagers have no ZooKeeper \
                     identity to create nodes with (Flink authenticates to ZooKeeper only through \
                     a SASL login)",
                    "set high-availability.zookeeper.client.digest.username and .password (the \
                     password best in $FLINK_MESOS_ZK_PASSWORD): Flink's JVMs then log in with \
                     them over SASL DIGEST-MD5, and the ZooKeeper servers need the SASL provider \
                     with that user (docs/security.md); or give Flink a Kerberos login for \
                     ZooKeeper (security.kerberos.login.keytab, .principal and \
                     security.kerberos.login.contexts: Client); or use `open`",
                );
            }
            let flink_digest_login = (acl_creator && !kerberos && digest.is_some()).then(|| {
                set_value(c.config, "zookeeper.sasl.login-context-name")
                    .unwrap_or_else(|| "Client".into())
            });
            // The store logs in with Flink's Kerberos login when this build
            // can (the `kerberos` feature).
            let store_kerberos = kerberos && cfg!(feature = "kerberos");
            if digest.is_none()
                && !store_kerberos
                && opts.purpose == Purpose::Appmaster
                && c.entry(Key::HighAvailabilityZookeeperClientDigestUsername)
                    .is_none()
                && c.entry(Key::HighAvailabilityZookeeperClientDigestPassword)
                    .is_none()
                && c.entry(Key::HighAvailabilityZookeeperQuorum).is_some()
            {
                c.warn_at(
                    Key::HighAvailabilityZookeeperQuorum,
                    "the worker store in this ZooKeeper is world-writable without credentials: \
                     anyone who reaches it can rewrite the framework id and the workers",
                    if kerberos {
                        "set high-availability.zookeeper.client.digest.username and .password \
                         (the password in $FLINK_MESOS_ZK_PASSWORD), or run a flink-mesos built \
                         with `--features kerberos`, whose store logs in with Flink's Kerberos \
                         login: the store's nodes become that user's alone"
                    } else {
                        "set high-availability.zookeeper.client.digest.username and .password \
                         (the password in $FLINK_MESOS_ZK_PASSWORD): the store's nodes become that \
                         user's alone"
                    },
                );
            }
            let tls = zookeeper_tls(&mut c);
            Some(ZooKeeperHa {
                quorum: quorum.unwrap_or_default(),
                root: c
                    .string(Key::HighAvailabilityZookeeperPathRoot)
                    .unwrap_or_default(),
                cluster_id: c.string(Key::HighAvailabilityClusterId).unwrap_or_default(),
                storage_dir,
                workers_path,
                acl_creator,
                session_timeout: c.value(
                    Key::HighAvailabilityZookeeperClientSessionTimeout,
                    values::parse_duration,
                ),
                digest,
                flink_digest_login,
                tls,
                kerberos: if kerberos {
                    zookeeper_kerberos(&mut c, store_kerberos)
                } else {
                    None
                },
            })
        }
        "kubernetes" => {
            c.error_at(
                Key::HighAvailabilityType,
                "is `kubernetes`, which does not work on Mesos",
                "use ZOOKEEPER (or NONE)",
            );
            None
        }
        _ => {
            c.warn_at(
                Key::HighAvailabilityType,
                "names a custom factory; flink-mesos keeps its own worker state only with ZOOKEEPER",
                "use ZOOKEEPER so that the appmaster can reconcile its workers after a failover",
            );
            None
        }
    };

    let (jobmanager_memory, jobmanager_legacy_heap, jobmanager_breakdown) =
        memory::jobmanager(&mut c);
    let (elastic, floor) = elastic(&mut c, task_slots, initial_tasks);
    let settings = Settings {
        master,
        master_ca_file: master_ca_file(&c),
        initial_tasks,
        max_failed_tasks,
        constraints,
        framework,
        artifact_server_port,
        artifact_server_bind: c.text(Key::MesosResourcemanagerArtifactserverBindHost),
        artifact_server_ssl: artifact_ssl && ssl,
        declined_offer_refuse,
        tasks,
        ha,
        jobmanager_rpc_address: c
            .string(Key::JobmanagerRpcAddress)
            .filter(|a| !a.trim().is_empty()),
        jobmanager_rpc_port: c.value(Key::JobmanagerRpcPort, values::parse_port),
        rest_port: c.value(Key::RestPort, values::parse_port),
        task_slots,
        elastic,
        floor,
        jobmanager_memory,
        jobmanager_legacy_heap,
        jobmanager_breakdown,
        taskmanager_memory,
    };
    let mut diagnostics = c.diags;
    // Errors first, then in source order, so that the worst is seen first.
    diagnostics.sort_by_key(|d| {
        (
            d.severity,
            d.span
                .as_ref()
                .map(|s| (s.text.name.clone(), s.line, s.col)),
        )
    });
    let ok = !diagnostics.iter().any(|d| d.severity == Severity::Error);
    Report {
        diagnostics,
        settings: ok.then_some(settings),
    }
}

/// `high-availability.zookeeper.client.ssl.*` (`super::zk_tls`): both files
/// read and parsed now, so that a bad one is an error naming its key.
fn zookeeper_tls(c: &mut Checker) -> Option<super::zk_tls::ZkTls> {
    const ENABLED: Key = Key::HighAvailabilityZookeeperClientSslEnabled;
    const TRUSTSTORE: Key = Key::HighAvailabilityZookeeperClientSslTruststore;
    const KEYSTORE: Key = Key::HighAvailabilityZookeeperClientSslKeystore;
    let enabled = c.value(ENABLED, values::parse_bool);
    let file = |c: &Checker, key| {
        c.string(key)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    // Absolute: the JobManager's JVM runs elsewhere than the appmaster.
    let truststore = file(c, TRUSTSTORE).map(absolute);
    let keystore = file(c, KEYSTORE).map(absolute);
    if !enabled {
        if truststore.is_some() || keystore.is_some() {
            c.warn_at(
                ENABLED,
                "is false, so the ZooKeeper trust store and key store are not used: every \
                 connection to ZooKeeper is plain TCP",
                "set high-availability.zookeeper.client.ssl.enabled: true and list the \
                 servers' secure ports (secureClientPort) in high-availability.zookeeper.quorum",
            );
        }
        return None;
    }
    let Some(truststore) = truststore else {
        c.error_at(
            ENABLED,
            "is true but high-availability.zookeeper.client.ssl.truststore is not set",
            "point high-availability.zookeeper.client.ssl.truststore at a PEM file with the CA \
             certificates of the ZooKeeper servers",
        );
        return None;
    };
    let mut ok = true;
    if let Err(e) = super::zk_tls::read_truststore(&truststore) {
        c.error_at(
            TRUSTSTORE,
            &e,
            "give a PEM file with the CA certificates the ZooKeeper servers' certificates are \
             signed with",
        );
        ok = false;
    }
    if let Some(keystore) = &keystore {
        if let Err(e) = super::zk_tls::read_keystore(keystore) {
            c.error_at(
                KEYSTORE,
                &e,
                "give a PEM file with this cluster's client certificate chain and its \
                 unencrypted private key",
            );
            ok = false;
        } else {
            warn_if_others_read(c, KEYSTORE, keystore, "this cluster's private key");
        }
    }
    ok.then_some(super::zk_tls::ZkTls {
        truststore,
        keystore,
    })
}

/// Flink's Kerberos login to ZooKeeper (only called when
/// [`flink_has_zookeeper_login`]): its files are read now, so that a bad
/// one is an error naming its key (Flink's JVMs and, with `store`, the
/// worker store log in with them). The login for flink-mesos' own client
/// when `store` (a build with the `kerberos` feature) and the files are
/// usable.
fn zookeeper_kerberos(c: &mut Checker, store: bool) -> Option<ZkKerberos> {
    let value = |key: &str| set_value(c.config, key);
    let login = ZkKerberos {
        principal: value("security.kerberos.login.principal").unwrap_or_default(),
        keytab: absolute(value(Key::SecurityKerberosLoginKeytab.name()).unwrap_or_default()),
        krb5_conf: value(Key::SecurityKerberosKrb5ConfPath.name()).map(absolute),
        service: value("zookeeper.sasl.service-name").unwrap_or_else(|| "zookeeper".into()),
    };
    let mut ok = true;
    let first = super::keytab::first_principal(&login.keytab);
    if first.is_ok() {
        warn_if_others_read(
            c,
            Key::SecurityKerberosLoginKeytab,
            &login.keytab,
            "the Kerberos keys of the login",
        );
    }
    match first {
        Err(e) => {
            c.error_at(
                Key::SecurityKerberosLoginKeytab,
                &e,
                "give the keytab (readable by this user) that Flink's JVMs log in to ZooKeeper with",
            );
            ok = false;
        }
        Ok(first) if store && first.as_deref() != Some(login.principal.as_str()) => {
            c.error_at(
                Key::SecurityKerberosLoginKeytab,
                &format!(
                    "begins with {}, but security.kerberos.login.principal is {}: flink-mesos' \
                     own ZooKeeper client logs in as the keytab's first principal",
                    first.as_deref().unwrap_or("no principal at all"),
                    login.principal
                ),
                "put the principal first in the keytab (ktutil: read_kt the keytab, \
                 delete_entry the entries before it, write_kt a new file), or give a keytab \
                 of that principal alone",
            );
            ok = false;
        }
        Ok(_) => {}
    }
    if let Some(krb5) = &login.krb5_conf {
        if let Err(e) = std::fs::File::open(krb5) {
            c.error_at(
                Key::SecurityKerberosKrb5ConfPath,
                &format!("cannot read {}: {e}", krb5.display()),
                "give the krb5.conf of the Kerberos realm, or remove the key to use the \
                 system's /etc/krb5.conf",
            );
            ok = false;
        }
    }
    (store && ok).then_some(login)
}

/// A warning at `key` when group or others may read `file`, which holds
/// `what` (a key that unlocks the cluster's identity).
fn warn_if_others_read(c: &mut Checker, key: Key, file: &std::path::Path, what: &str) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(mode) = std::fs::metadata(file).map(|m| m.permissions().mode()) else {
        return;
    };
    if mode & 0o044 != 0 {
        c.warn_at(
            key,
            &format!(
                "{} holds {what} and is readable by {} (mode {:04o})",
                file.display(),
                if mode & 0o004 != 0 {
                    "everyone"
                } else {
                    "its group"
                },
                mode & 0o7777
            ),
            &format!(
                "chmod 600 {}",
                crate::shell::quote(&file.display().to_string())
            ),
        );
    }
}

/// `path` as an absolute path against the working directory (as it is
/// when that cannot be read): what the operator meant, for processes that
/// run elsewhere (the JobManager runs in its work directory).
pub fn absolute(path: impl Into<PathBuf>) -> PathBuf {
    let path = path.into();
    std::path::absolute(&path).unwrap_or(path)
}

/// The trimmed value of `key` (any key, Flink's own included), unless it is
/// unset or blank.
fn set_value(config: &Config, key: &str) -> Option<String> {
    config
        .get_key(key)
        .map(|e| e.value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether Flink's JVMs log in to ZooKeeper with SASL (Kerberos): a keytab
/// and principal, the login context ZooKeeper uses
/// (`zookeeper.sasl.login-context-name`, `Client`) among
/// `security.kerberos.login.contexts`, and SASL not disabled.
fn flink_has_zookeeper_login(config: &Config) -> bool {
    let value = |key: &str| set_value(config, key);
    let context = value("zookeeper.sasl.login-context-name").unwrap_or_else(|| "Client".into());
    let contexts = value("security.kerberos.login.contexts").unwrap_or_default();
    value("security.kerberos.login.keytab").is_some()
        && value("security.kerberos.login.principal").is_some()
        && contexts.split(',').any(|c| c.trim() == context)
        && !value("zookeeper.sasl.disable").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

pub(super) struct Checker<'a> {
    config: &'a Config,
    diags: Vec<Diagnostic>,
    /// Declared keys whose value failed its type check (already reported).
    bad: HashSet<&'static str>,
}

impl Checker<'_> {
    fn def(key: Key) -> &'static OptionDef {
        key.def()
    }

    pub(super) fn entry(&self, key: Key) -> Option<&Entry> {
        self.config.get(Self::def(key))
    }

    /// An entry by name, for keys that are not declared.
    pub(super) fn entry_named(&self, key: &str) -> Option<&Entry> {
        self.config.get_key(key)
    }

    pub(super) fn set_by_user(&self, key: Key) -> bool {
        self.entry(key)
            .is_some_and(|e| e.origin.layer() > Layer::Default)
    }

    pub(super) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A diagnostic pointing at the value of `key` (masked when secret).
    pub(super) fn at_value(
        &self,
        severity: Severity,
        key: Key,
        message: &str,
        hint: &str,
    ) -> Diagnostic {
        let entry = self.entry(key);
        let span = entry.and_then(|e| e.origin.value_span());
        let d = Diagnostic {
            severity,
            ..Diagnostic::error(message)
        }
        .key(entry.map_or(key.name(), |e| e.key.as_str()))
        .at(span)
        .hint(hint);
        let mask = entry.and_then(|e| secret_span(&e.key, &e.value, span));
        d.masking(mask.as_ref())
    }

    pub(super) fn error_at(&mut self, key: Key, message: &str, hint: &str) {
        let d = self.at_value(Severity::Error, key, message, hint);
        self.push(d);
    }

    pub(super) fn warn_at(&mut self, key: Key, message: &str, hint: &str) {
        let d = self.at_value(Severity::Warning, key, message, hint);
        self.push(d);
    }

    /// The effective text of a declared option: the winning value, else its default.
    pub(super) fn raw_value(&self, key: Key) -> Option<String> {
        let def = Self::def(key);
        if let Some(e) = self.config.get(def) {
            return Some(e.value.clone());
        }
        match def.default {
            DefaultValue::Value(v) => Some(v.to_string()),
            _ => None,
        }
    }

    /// The typed value; when it failed its type check (an error already
    /// reported, so no settings come out) the declared default, so that a
    /// default is spelled only in `options.rs`.
    pub(super) fn value<T: Default>(
        &mut self,
        key: Key,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> T {
        if let Some(v) = self.typed(key, &parse) {
            return v;
        }
        match key.def().default {
            DefaultValue::Value(v) => parse(v).unwrap_or_default(),
            _ => T::default(),
        }
    }

    /// [`Self::value`] of an integer option.
    pub(super) fn int(&mut self, key: Key) -> i64 {
        let Type::Int { min, max } = key.def().ty else {
            return 0;
        };
        self.value(key, |s| values::parse_int(s, min, max))
    }

    /// The text of an option that has a declared default.
    pub(super) fn text(&self, key: Key) -> String {
        self.raw_value(key).unwrap_or_default()
    }

    /// A comma-separated list option; empty when unset.
    pub(super) fn list(&self, key: Key) -> Vec<String> {
        self.raw_value(key)
            .map(|s| {
                values::split_list(&s)
                    .into_iter()
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn string(&self, key: Key) -> Option<String> {
        self.raw_value(key)
    }

    /// Parses the effective value; a value that failed its type check gives `None`.
    pub(super) fn typed<T>(
        &mut self,
        key: Key,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let def = Self::def(key);
        if self.bad.contains(def.key) {
            return None;
        }
        let raw = self.raw_value(key)?;
        parse(&raw).ok()
    }

    pub(super) fn typed_int(&mut self, key: Key) -> Option<i64> {
        let Type::Int { min, max } = Self::def(key).ty else {
            return None;
        };
        self.typed(key, |s| values::parse_int(s, min, max))
    }

    /// Type checks of every declared option that has a value, unknown `mesos.`
    /// keys with did-you-mean, and in strict mode unknown and deprecated keys.
    pub(super) fn check_keys(&mut self, strict: bool) {
        for def in options::OPTIONS {
            let Some(entry) = self.config.get(def) else {
                continue;
            };
            if let Err(problem) = values::check(def.ty, &entry.value) {
                let shown = options::masked(&entry.key, &entry.value);
                let span = entry.origin.value_span();
                let d = Diagnostic::error(format!("`{shown}` {problem}"))
                    .key(entry.key.clone())
                    .at(span)
                    .hint(type_hint(def));
                let d = d.masking(secret_span(&entry.key, &entry.value, span).as_ref());
                self.diags.push(d);
                self.bad.insert(def.key);
            }
            if strict && entry.key != def.key {
                let d = Diagnostic::warning(format!("is a deprecated spelling of `{}`", def.key))
                    .key(entry.key.clone())
                    .at(entry.origin.key_span())
                    .hint(format!("rename it to {}", def.key));
                self.diags.push(d);
            }
        }
        for entry in self.config.winners() {
            if options::lookup(&entry.key).is_some() {
                continue;
            }
            if options::is_mesos_key(&entry.key) {
                let mut d = Diagnostic::warning("is not a flink-mesos option and is ignored")
                    .key(entry.key.clone())
                    .at(entry.origin.key_span());
                d = match (
                    options::retired(&entry.key),
                    options::did_you_mean(&entry.key),
                ) {
                    (Some(why), _) => d.hint(why),
                    (None, Some(s)) => d.hint(format!("did you mean `{s}`?")),
                    (None, None) => {
                        d.hint("see docs/configuration.md for the supported mesos.* keys")
                    }
                };
                self.diags.push(d);
            } else if let Some(d) = environment_note(&entry.key, &entry.value) {
                self.diags.push(d.at(entry.origin.key_span()));
            } else if strict {
                let d = Diagnostic::warning(
                    "is not an option flink-mesos knows; it is passed to Flink unchanged",
                )
                .key(entry.key.clone())
                .at(entry.origin.key_span());
                self.diags.push(d);
            }
        }
    }
}

/// Where a `containerized.taskmanager.env.*` or `containerized.master.env.*`
/// variable goes (a note), or why it cannot (an error).
fn environment_note(key: &str, value: &str) -> Option<Diagnostic> {
    let (prefix, whose) = if key.starts_with(options::TASKMANAGER_ENV_PREFIX) {
        (options::TASKMANAGER_ENV_PREFIX, "TaskManager")
    } else if key.starts_with(options::MASTER_ENV_PREFIX) {
        (options::MASTER_ENV_PREFIX, "JobManager")
    } else {
        return None;
    };
    let Some(Ok(name)) = options::env_var_name(prefix, key) else {
        return Some(
            Diagnostic::error("names no environment variable")
                .key(key.to_string())
                .hint(format!(
                    "write {prefix}NAME: value, with a NAME without `=`"
                )),
        );
    };
    let secret = options::secret_part(key, value).is_some();
    let message = match (whose, secret) {
        ("TaskManager", false) => format!(
            "sets `{name}` in every TaskManager's task environment (the TaskInfo's: the bootstrap and task commands see it, and the TaskManager JVM)"
        ),
        ("TaskManager", true) => format!(
            "sets `{name}` in every TaskManager JVM's environment; the value is secret, so it travels with the worker's secrets, never in the TaskInfo: the bootstrap command does not see it"
        ),
        _ => format!(
            "sets `{name}` in the environment of the JobManager the appmaster runs"
        ),
    };
    Some(
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(message)
        }
        .key(key.to_string()),
    )
}

/// The span of the secret part of a value, for masking the quoted line.
fn secret_span(
    key: &str,
    value: &str,
    span: Option<&super::source::Span>,
) -> Option<super::source::Span> {
    let range = options::secret_part(key, value)?;
    let span = span?;
    Some(super::source::Span {
        text: span.text.clone(),
        line: span.line,
        col: span.col + range.start,
        len: range.len(),
    })
}

fn type_hint(def: &OptionDef) -> String {
    match def.ty {
        Type::Bool => "use true or false".into(),
        Type::Int { min, max } if max == i64::MAX => format!("use a whole number ≥ {min}"),
        Type::Int { min, max } => format!("use a whole number from {min} to {max}"),
        Type::Float { min } => format!("use a number ≥ {min}, e.g. 1.5"),
        Type::Port => "use a port number from 0 to 65535 (0: any free port)".into(),
        Type::PortRange => "use a port, a range such as 50100-50200, or a comma-separated list of them".into(),
        Type::Enum(values) => format!("use one of: {}", values.join(", ")),
        Type::Duration => "use a number with a unit, e.g. `5 s`, `500 ms` or `2 min`".into(),
        Type::MemorySize => "use a size with a unit, e.g. `1728m` or `2g`".into(),
        Type::Megabytes => "use a whole number of megabytes, e.g. 4096".into(),
        Type::MasterUrl => "use host:port, zk://host1:port1,host2:port2/path, zk://user:password@host:port/path or file:///path/to/file".into(),
        Type::ZkPath => "use an absolute path such as /flink/mesos-workers".into(),
        Type::ZkQuorum => "use host:port,host:port".into(),
        Type::KeyColonValueList => "use comma-separated key:value pairs, e.g. az:eu-west-1a,series:t2".into(),
        Type::KeyEqualsValueList => "use comma-separated key=value pairs, e.g. env=A=B,label=team=flink".into(),
        Type::VolumeList => "use comma-separated [host_path:]container_path[:RO|RW] entries".into(),
        Type::HostnamePattern => "use a DNS name in which _TASK_ stands for the task id, e.g. _TASK_.flink-service.mesos".into(),
        Type::Str | Type::List => format!("see `{}` in the configuration reference", def.key),
    }
}

/// Test support: resolves `-D` properties alone (no file, no environment)
/// for the appmaster; panics with the diagnostics when they are not valid.
#[cfg(test)]
pub(crate) fn for_tests(dynamic: &[&str]) -> (Settings, Config) {
    let config = Config::load(&crate::config::LoadOptions {
        conf_dir: None,
        dynamic: dynamic.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let report = resolve(
        &config,
        ValidateOptions {
            purpose: Purpose::Appmaster,
            strict: false,
        },
    );
    let settings = report
        .settings
        .unwrap_or_else(|| panic!("{:?}", report.diagnostics));
    (settings, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_here_is_declared() {
        let source = include_str!("settings.rs");
        let mut rest = source;
        while let Some(i) = rest.find("(\"") {
            rest = &rest[i + 2..];
            let end = rest.find('"').unwrap_or(0);
            let key = &rest[..end];
            let looks_like_key = (key.starts_with("mesos.")
                || key.starts_with("taskmanager.")
                || key.starts_with("high-availability."))
                && !key.contains(' ')
                && !key.ends_with('.');
            if looks_like_key {
                assert!(
                    options::lookup(key).is_some(),
                    "{key} is used in settings.rs but not declared"
                );
            }
        }
    }

    #[test]
    fn flinks_creator_acl_needs_a_flink_login_and_a_store_without_credentials_is_warned_about() {
        let check = |extra: &[&str]| {
            let mut dynamic = vec![
                "mesos.master=m:5050",
                "high-availability.type=zookeeper",
                "high-availability.zookeeper.quorum=zk:2181",
                "high-availability.storageDir=file:///tmp/ha",
            ];
            dynamic.extend_from_slice(extra);
            let config = Config::load(&super::super::LoadOptions {
                conf_dir: None,
                dynamic: dynamic.iter().map(|s| s.to_string()).collect(),
                env: Vec::new(),
            })
            .unwrap();
            resolve(
                &config,
                ValidateOptions {
                    purpose: Purpose::Appmaster,
                    strict: false,
                },
            )
            .diagnostics
            .into_iter()
            .map(|d| (d.severity, d.key.unwrap_or_default(), d.message))
            .collect::<Vec<_>>()
        };
        let digest = [
            "high-availability.zookeeper.client.digest.username=flink",
            "high-availability.zookeeper.client.digest.password=pw",
        ];
        let creator = "high-availability.zookeeper.client.acl=creator";
        let world = |d: &[(Severity, String, String)]| {
            d.iter().any(|(s, k, m)| {
                *s == Severity::Warning
                    && k == "high-availability.zookeeper.quorum"
                    && m.contains("world-writable")
            })
        };
        let refused = |d: &[(Severity, String, String)]| {
            d.iter().any(|(s, k, m)| {
                *s == Severity::Error
                    && k == "high-availability.zookeeper.client.acl"
                    && m.contains("no ZooKeeper identity")
            })
        };
        let d = check(&[]);
        assert!(world(&d) && !refused(&d), "{d:?}");
        let d = check(&digest);
        assert!(!world(&d) && !refused(&d), "{d:?}");
        // Flink's nodes with `creator`, but Flink cannot log in: refused.
        assert!(refused(&check(&[creator])));
        // With the digest credentials Flink logs in with them (SASL
        // DIGEST-MD5, in its JAAS `Client` section, or the one named).
        let mut with_digest = digest.to_vec();
        with_digest.push(creator);
        assert!(!refused(&check(&with_digest)), "{:?}", check(&with_digest));
        let login = |extra: &[&str]| {
            let mut dynamic = vec![
                "mesos.master=m:5050".to_string(),
                "high-availability.type=zookeeper".into(),
                "high-availability.zookeeper.quorum=zk:2181".into(),
                "high-availability.storageDir=file:///tmp/ha".into(),
            ];
            dynamic.extend(extra.iter().map(|s| s.to_string()));
            let (s, _) = super::for_tests(&dynamic.iter().map(String::as_str).collect::<Vec<_>>());
            let ha = s.ha.expect("HA");
            (
                ha.flink_digest_login.clone(),
                ha.flink_jaas().map(|j| j.expose().to_string()),
            )
        };
        let (context, jaas) = login(&with_digest);
        assert_eq!(context.as_deref(), Some("Client"));
        let jaas = jaas.unwrap();
        assert!(
            jaas.starts_with("Client {")
                && jaas.contains("username=\"flink\"")
                && jaas.contains("password=\"pw\""),
            "{jaas}"
        );
        with_digest.push("zookeeper.sasl.login-context-name=ZkFlink");
        assert_eq!(login(&with_digest).0.as_deref(), Some("ZkFlink"));
        assert_eq!(login(&digest).0, None, "`open`: no login for Flink");
        // A Kerberos login for ZooKeeper's context: Flink's own business.
        let kerberos = [
            creator,
            "security.kerberos.login.keytab=/etc/flink.keytab",
            "security.kerberos.login.principal=flink@EXAMPLE.COM",
            "security.kerberos.login.contexts=Client,KafkaClient",
        ];
        assert!(!refused(&check(&kerberos)), "{:?}", check(&kerberos));
        let mut disabled = kerberos.to_vec();
        disabled.push("zookeeper.sasl.disable=true");
        assert!(refused(&check(&disabled)));
    }

    #[test]
    fn the_kerberos_login_files_are_read_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let keytab = dir.path().join("flink.keytab");
        std::fs::write(
            &keytab,
            super::super::keytab::tests::keytab(&["HTTP/h@R", "flink@R"]),
        )
        .unwrap();
        let krb5 = dir.path().join("krb5.conf");
        std::fs::write(&krb5, "[libdefaults]\n").unwrap();
        let config = |keytab: &std::path::Path, krb5: &std::path::Path, principal: &str| {
            Config::load(&super::super::LoadOptions {
                conf_dir: None,
                dynamic: vec![
                    "mesos.master=m:5050".into(),
                    "high-availability.type=zookeeper".into(),
                    "high-availability.zookeeper.quorum=zk:2181".into(),
                    "high-availability.storageDir=file:///tmp/ha".into(),
                    format!("security.kerberos.login.keytab={}", keytab.display()),
                    format!("security.kerberos.login.principal={principal}"),
                    "security.kerberos.login.contexts=Client".into(),
                    format!("security.kerberos.krb5-conf.path={}", krb5.display()),
                ],
                env: Vec::new(),
            })
            .unwrap()
        };
        let errors = |config: &Config, store: bool| {
            let mut c = Checker {
                config,
                diags: Vec::new(),
                bad: HashSet::new(),
            };
            let login = zookeeper_kerberos(&mut c, store);
            let errors = c
                .diags
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| (d.key.unwrap_or_default(), d.message))
                .collect::<Vec<_>>();
            (login, errors)
        };
        // The principal first: the store's login.
        let good = config(&keytab, &krb5, "HTTP/h@R");
        let (login, e) = errors(&good, true);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(login.unwrap().keytab, keytab);
        assert!(
            errors(&good, false).0.is_none(),
            "no store login without the feature"
        );
        // Another principal first: only the store's login cares.
        let second = config(&keytab, &krb5, "flink@R");
        assert!(errors(&second, false).1.is_empty());
        let (login, e) = errors(&second, true);
        assert!(login.is_none());
        assert!(
            e.iter().any(|(k, m)| k == "security.kerberos.login.keytab"
                && m.contains("begins with HTTP/h@R")
                && m.contains("flink@R")),
            "{e:?}"
        );
        // Files that are missing or not a keytab.
        let (_, e) = errors(&config(&dir.path().join("nope"), &krb5, "flink@R"), false);
        assert!(
            e.iter()
                .any(|(k, m)| k == "security.kerberos.login.keytab" && m.contains("cannot read")),
            "{e:?}"
        );
        let (_, e) = errors(&config(&krb5, &krb5, "flink@R"), false);
        assert!(
            e.iter().any(|(k, m)| k == "security.kerberos.login.keytab"
                && m.contains("is not a Kerberos keytab")),
            "{e:?}"
        );
        let (_, e) = errors(
            &config(&keytab, &dir.path().join("nope.conf"), "flink@R"),
            false,
        );
        assert!(
            e.iter()
                .any(|(k, m)| k == "security.kerberos.krb5-conf.path" && m.contains("cannot read")),
            "{e:?}"
        );
    }

    #[test]
    fn the_master_alone_resolves_despite_other_problems() {
        let load = |dynamic: &[&str]| {
            Config::load(&super::super::LoadOptions {
                conf_dir: None,
                dynamic: dynamic.iter().map(|s| s.to_string()).collect(),
                env: Vec::new(),
            })
            .unwrap()
        };
        let config = load(&["mesos.master=https://m:5050", "mesos.initial-tasks=many"]);
        assert!(resolve(
            &config,
            ValidateOptions {
                purpose: Purpose::Appmaster,
                strict: false
            }
        )
        .settings
        .is_none());
        let master = resolve_master(&config).unwrap();
        assert_eq!(master.spec.to_string(), "https://m:5050");
        assert_eq!(master.ca_file, None);
        let config = load(&[
            "mesos.master=https://m:5050",
            "mesos.tls.ca-file=/etc/ca.pem",
        ]);
        let master = resolve_master(&config).unwrap();
        assert_eq!(master.ca_file, Some(PathBuf::from("/etc/ca.pem")));
        let unset = resolve_master(&load(&[])).unwrap_err();
        assert!(unset[0].message.contains("is not set"));
        let bad = resolve_master(&load(&["mesos.master=zk://"])).unwrap_err();
        assert_eq!(bad[0].key.as_deref(), Some("mesos.master"));
    }

    #[test]
    fn jobmanager_memory_prefers_the_process_size() {
        let dir = tempfile::tempdir().unwrap();
        let memory = |dynamic: &[&str]| {
            let config = Config::load(&super::super::LoadOptions {
                conf_dir: Some(dir.path().into()),
                dynamic: dynamic.iter().map(|s| s.to_string()).collect(),
                env: Vec::new(),
            })
            .unwrap();
            let opts = ValidateOptions {
                purpose: Purpose::Taskmanager,
                strict: false,
            };
            resolve(&config, opts).settings.unwrap().jobmanager_memory
        };
        assert_eq!(memory(&[]), JobManagerMemory::Unset);
        assert_eq!(
            memory(&["jobmanager.heap.mb=1024"]),
            JobManagerMemory::Heap {
                key: Key::JobmanagerHeapMb,
                mb: 1024
            }
        );
        assert_eq!(
            memory(&["jobmanager.heap.mb=1024", "jobmanager.memory.heap.size=2g"]),
            JobManagerMemory::Heap {
                key: Key::JobmanagerMemoryHeapSize,
                mb: 2048
            }
        );
        assert_eq!(
            memory(&[
                "jobmanager.memory.heap.size=2g",
                "jobmanager.memory.process.size=1600m"
            ]),
            JobManagerMemory::Process { mb: 1600 }
        );
    }

    #[test]
    fn jobmanager_memory_flink_size_is_configured_memory() {
        let (s, _) = for_tests(&[
            "mesos.master=m:5050",
            "jobmanager.memory.flink.size=1g",
            "jobmanager.heap.mb=768",
        ]);
        assert_eq!(s.jobmanager_memory, JobManagerMemory::Flink { mb: 1024 });
        assert_eq!(
            s.jobmanager_legacy_heap,
            [(Key::JobmanagerHeapMb, "768".to_string())]
        );
        // The process size still wins for the container.
        let (s, _) = for_tests(&[
            "mesos.master=m:5050",
            "jobmanager.memory.flink.size=1g",
            "jobmanager.memory.process.size=1600m",
        ]);
        assert_eq!(s.jobmanager_memory, JobManagerMemory::Process { mb: 1600 });
        // Legacy heap: `.heap.size` wins over `.heap.mb`, as in Flink.
        let (s, _) = for_tests(&[
            "mesos.master=m:5050",
            "jobmanager.heap.mb=768",
            "jobmanager.heap.size=1g",
        ]);
        assert_eq!(
            s.jobmanager_memory,
            JobManagerMemory::Heap {
                key: Key::JobmanagerHeapSize,
                mb: 1024
            }
        );
        assert_eq!(s.jobmanager_legacy_heap[0].0, Key::JobmanagerHeapSize);
    }

    #[test]
    fn every_default_passes_its_own_check() {
        for def in options::OPTIONS {
            if let DefaultValue::Value(v) = def.default {
                if def.ty == Type::MasterUrl {
                    continue;
                }
                values::check(def.ty, v)
                    .unwrap_or_else(|e| panic!("default of {}: `{v}` {e}", def.key));
            }
        }
    }
}
