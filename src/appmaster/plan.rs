//! From validated [`Settings`] to what the runtime needs: the scheduler
//! [`Policy`], the worker [`TaskTemplate`] and the [`FrameworkSettings`].
//! Pure (the host name and user are passed in), so it is unit-tested.
//!
//! The TaskManager configuration (`FLINK_PROPERTIES` of every worker) holds
//! only what a TaskManager needs to find the JobManager and size itself:
//! `jobmanager.rpc.address` ([`jobmanager_address`])/`port`,
//! `taskmanager.numberOfTaskSlots`, the TaskManager memory keys (with the
//! container as the process size when none is configured:
//! `config::memory`) and the (non-secret) high-availability keys. The
//! ports from the offer are added per worker by the template. Secrets never go
//! in (the template drops them again, as a second line of defence).

use std::time::Duration;

use crate::config::memory;
use crate::config::options::{self, Key};
use crate::config::settings::Settings;
use crate::config::values::VolumeMode;
use crate::config::{Config, Origin};
use crate::mesos::client::ClientOptions;
use crate::mesos::{FrameworkSettings, Volume};
use crate::scheduler::matching::WorkerResources;
use crate::scheduler::task::TaskTemplate;
use crate::scheduler::{Pacing, Policy, Timers};

/// The label every worker's TaskInfo carries with the framework's name.
pub const CLUSTER_LABEL_FRAMEWORK: &str = "flink-mesos/framework-name";
/// With high availability, the label with `high-availability.cluster-id`.
pub const CLUSTER_LABEL_ID: &str = "flink-mesos/cluster-id";

/// Ports every TaskManager gets from its offer.
pub const TASKMANAGER_PORT_KEYS: [Key; 2] = [Key::TaskmanagerRpcPort, Key::TaskmanagerDataPort];
/// A worker in Launched (no TASK_RUNNING yet) this long is reconciled.
pub const STAGING_TIMEOUT: Duration = Duration::from_secs(60);
/// First replacement delay after a failure (doubles per consecutive failure).
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Where this appmaster runs.
#[derive(Debug, Clone)]
pub struct Host {
    /// This machine's host name (the JobManager address by default).
    pub hostname: String,
    /// The user running the appmaster (framework user when none is configured).
    pub user: String,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub policy: Policy,
    pub template: TaskTemplate,
    pub framework: FrameworkSettings,
}

/// How the appmaster's Mesos client connects: the master's CA
/// (`mesos.tls.ca-file`), the rest as [`ClientOptions::default`].
pub fn client_options(settings: &Settings) -> ClientOptions {
    ClientOptions {
        ca_file: settings.master_ca_file.clone(),
        ..ClientOptions::default()
    }
}

impl Plan {
    /// The JobManager address every TaskManager gets, when the
    /// configuration names one.
    pub fn jobmanager_address(&self) -> Option<&str> {
        self.template
            .properties
            .iter()
            .find(|(k, _)| k == crate::config::options::Key::JobmanagerRpcAddress.name())
            .map(|(_, v)| v.as_str())
    }
}

/// `jitter` in [0, 1) spreads the backoff of different appmasters (±20 %).
pub fn plan(settings: &Settings, config: &Config, host: &Host, jitter: f64) -> Plan {
    let tasks = &settings.tasks;
    let mut port_keys: Vec<String> = TASKMANAGER_PORT_KEYS
        .iter()
        .map(|k| k.to_string())
        .collect();
    for key in &tasks.port_assignments {
        if !port_keys.contains(key) {
            port_keys.push(key.clone());
        }
    }
    let scale = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    let policy = Policy {
        desired: settings.floor,
        elastic: Some(settings.elastic.clone()),
        max_failed: settings.max_failed_tasks,
        role: settings.framework.role.clone(),
        constraints: settings.constraints.clone(),
        refuse: settings.declined_offer_refuse,
        staging_timeout: STAGING_TIMEOUT,
        backoff_base: BACKOFF_BASE.mul_f64(scale),
        backoff_max: BACKOFF_MAX.mul_f64(scale),
        resources: WorkerResources {
            cpus: tasks.cpus,
            mem_mb: tasks.mem_mb as f64,
            gpus: f64::from(tasks.gpus),
            disk_mb: tasks.disk_mb as f64,
            network_mb: tasks.bandwidth_mb as f64,
            network_resource: tasks.network_resource_name.clone(),
            port_keys,
        },
        timers: Timers {
            launch_timeout: tasks.launch_timeout,
            ..Timers::default()
        },
        pacing: Pacing {
            per_agent: tasks.max_launching_per_agent,
            total: tasks.max_launching,
        },
    };
    let container = tasks.container.clone();
    // Whose task it is, for operators and the master's state (the master
    // reports a framework only its own tasks; status updates do not carry
    // these labels, see docs/security.md).
    let mut labels = tasks.labels.clone();
    labels.push((
        CLUSTER_LABEL_FRAMEWORK.into(),
        settings.framework.name.clone(),
    ));
    if let Some(ha) = &settings.ha {
        labels.push((
            CLUSTER_LABEL_ID.into(),
            ha.cluster_id.trim_matches('/').to_string(),
        ));
    }
    let template = TaskTemplate {
        command: tasks.taskmanager_cmd.clone(),
        setup: None,
        bootstrap: tasks.bootstrap_cmd.clone(),
        properties: taskmanager_properties(settings, config, host),
        environment: tasks.environment.clone(),
        uris: tasks.uris.iter().map(crate::mesos::Uri::new).collect(),
        labels,
        user: tasks.user.clone(),
        hostname_pattern: tasks.hostname.clone(),
        container,
        volumes: tasks
            .volumes
            .iter()
            .map(|v| Volume {
                container_path: v.container_path.clone(),
                host_path: v.host_path.clone(),
                read_only: v.mode == VolumeMode::ReadOnly,
            })
            .collect(),
        kill_grace_period: None,
        secrets: None,
    };
    let mut framework = FrameworkSettings::from_settings(settings);
    if framework.user.is_empty() {
        // Empty means the user running the appmaster; Mesos needs a name.
        framework.user = host.user.clone();
    }
    framework.hostname = Some(host.hostname.clone());
    Plan {
        policy,
        template,
        framework,
    }
}

/// Whether a key belongs in the TaskManager's configuration.
/// Not flink-mesos' own ZooKeeper credentials: the user name alone would
/// make the TaskManager's configuration incomplete (its password is a
/// secret and never goes in), and Flink does not use them.
fn for_taskmanager(key: &str) -> bool {
    if options::appmaster_only(key) {
        return false;
    }
    memory::is_taskmanager_memory_key(key)
        || key.starts_with(options::HIGH_AVAILABILITY_PREFIX)
        || key == Key::TaskmanagerNumberOfTaskSlots.name()
}

/// The address of the JobManager, the same for it and every TaskManager:
/// `jobmanager.rpc.address` when configured, else this host's name.
pub fn jobmanager_address(settings: &Settings, host: &Host) -> String {
    settings
        .jobmanager_rpc_address
        .clone()
        .unwrap_or_else(|| host.hostname.clone())
}

fn taskmanager_properties(
    settings: &Settings,
    config: &Config,
    host: &Host,
) -> Vec<(String, String)> {
    let mut props = vec![
        (
            Key::JobmanagerRpcAddress.into(),
            jobmanager_address(settings, host),
        ),
        (
            Key::JobmanagerRpcPort.into(),
            settings.jobmanager_rpc_port.to_string(),
        ),
        (
            Key::TaskmanagerNumberOfTaskSlots.into(),
            settings.task_slots.to_string(),
        ),
    ];
    for entry in config.winners() {
        if matches!(entry.origin, Origin::Default)
            || !for_taskmanager(&entry.key)
            || Config::is_secret(&entry.key)
            || props.iter().any(|(k, _)| k == &entry.key)
        {
            continue;
        }
        props.push((entry.key.clone(), entry.value.clone()));
    }
    if let Some((key, value)) = settings.taskmanager_memory.for_workers() {
        props.push((key.into(), value));
    }
    props
}

/// This machine's host name (Linux), or `localhost`.
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The user running this process: `$USER`, `$LOGNAME`, or the name of the
/// real uid in /etc/passwd. When none of them says, `root` with a logged
/// warning (the framework user decides who the TaskManagers run as, so a
/// guess must be visible; `mesos.resourcemanager.framework.user` avoids it).
pub fn current_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(u) = std::env::var(var) {
            if !u.is_empty() {
                return u;
            }
        }
    }
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
        });
    if let (Some(uid), Ok(passwd)) = (uid, std::fs::read_to_string("/etc/passwd")) {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 2 && fields[2] == uid {
                return fields[0].to_string();
            }
        }
    }
    tracing::warn!(
        "cannot tell which user runs the appmaster ($USER and $LOGNAME are unset and the uid \
         is not in /etc/passwd); assuming `root` as the framework user, set \
         mesos.resourcemanager.framework.user to choose one"
    );
    "root".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(dynamic: &[&str]) -> (Settings, Config) {
        crate::config::settings::for_tests(dynamic)
    }

    fn host() -> Host {
        Host {
            hostname: "am.example".into(),
            user: "flink".into(),
        }
    }

    #[test]
    fn seed_example_becomes_a_plan() {
        let (s, c) = load(&[
            "mesos.master=127.0.0.1:5050",
            "jobmanager.rpc.port=6123",
            "mesos.initial-tasks=10",
            "mesos.resourcemanager.tasks.mem=4096",
            "taskmanager.heap.mb=3500",
            "taskmanager.numberOfTaskSlots=2",
            "mesos.resourcemanager.tasks.port-assignments=metrics.port,taskmanager.rpc.port",
            "mesos.resourcemanager.framework.secret=hunter2",
            "mesos.resourcemanager.framework.principal=flink",
            "mesos.constraints.hard.hostattribute=az:a",
            "high-availability.zookeeper.quorum=zk:2181",
            "high-availability.zookeeper.client.digest.username=zk-user",
            "high-availability.zookeeper.client.digest.password=zk-pass",
        ]);
        let p = plan(&s, &c, &host(), 0.5);
        assert_eq!(p.policy.desired, 10);
        assert_eq!(p.policy.max_failed, Some(10));
        assert_eq!(p.policy.resources.mem_mb, 4096.0);
        assert_eq!(p.policy.resources.cpus, 2.0);
        assert_eq!(
            p.policy.resources.port_keys,
            [
                "taskmanager.rpc.port",
                "taskmanager.data.port",
                "metrics.port"
            ]
        );
        assert_eq!(p.policy.constraints, [("az".to_string(), "a".to_string())]);
        assert_eq!(p.policy.backoff_base, BACKOFF_BASE);
        assert_eq!(p.framework.user, "flink");
        assert_eq!(p.framework.principal.as_deref(), Some("flink"));
        let props = &p.template.properties;
        let get = |k: &str| {
            props
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("jobmanager.rpc.address"), Some("am.example"));
        assert_eq!(get("jobmanager.rpc.port"), Some("6123"));
        assert_eq!(get("taskmanager.numberOfTaskSlots"), Some("2"));
        // flink-mesos' own ZooKeeper credentials stay with the appmaster,
        // the user name too (alone it made every TaskManager's
        // configuration incomplete).
        assert!(
            props
                .iter()
                .all(|(k, v)| !k.contains(".digest.") && !v.contains("zk-")),
            "{props:?}"
        );
        assert_eq!(get("high-availability.zookeeper.quorum"), Some("zk:2181"));
        // Whose worker it is, for operators.
        assert!(p
            .template
            .labels
            .contains(&(CLUSTER_LABEL_FRAMEWORK.to_string(), "Flink".to_string())));
        assert_eq!(get("taskmanager.heap.mb"), Some("3500"));
        assert_eq!(get("high-availability.zookeeper.quorum"), Some("zk:2181"));
        // Sized by the heap: no process size invented.
        assert_eq!(get("taskmanager.memory.process.size"), None);
        let all = format!("{props:?}");
        assert!(!all.contains("hunter2") && !all.contains("mesos.master"));
    }

    #[test]
    fn containerized_taskmanager_env_reaches_the_task_environment_but_not_its_secrets() {
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "containerized.taskmanager.env.FLINK_HOME=/opt/flink",
            "containerized.taskmanager.env.AWS_SECRET_ACCESS_KEY=hunter2",
            "containerized.master.env.JM_ONLY=1",
        ]);
        let p = plan(&s, &c, &host(), 0.0);
        assert_eq!(
            p.template.environment,
            [("FLINK_HOME".to_string(), "/opt/flink".to_string())]
        );
        let all = format!("{:?}", p.template);
        assert!(
            !all.contains("hunter2") && !all.contains("JM_ONLY"),
            "{all}"
        );
    }

    #[test]
    fn taskmanager_follows_the_container_when_unsized() {
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "mesos.resourcemanager.tasks.mem=1024",
            "mesos.resourcemanager.framework.user=svc",
            "jobmanager.rpc.address=jm.example",
            "mesos.resourcemanager.tasks.gpus=1",
        ]);
        let p = plan(&s, &c, &host(), 0.0);
        let props = &p.template.properties;
        assert!(props.contains(&("taskmanager.memory.process.size".into(), "1024m".into())));
        assert!(props.contains(&("jobmanager.rpc.address".into(), "jm.example".into())));
        assert_eq!(p.framework.user, "svc");
        assert!(p.framework.gpu_resources);
        assert_eq!(p.policy.backoff_base, BACKOFF_BASE.mul_f64(0.8));
    }

    #[test]
    fn taskmanager_sized_by_task_heap_and_managed_memory_keeps_its_size() {
        let (s, c) = load(&[
            "mesos.master=m:5050",
            "mesos.resourcemanager.tasks.mem=2048",
            "taskmanager.memory.task.heap.size=512m",
            "taskmanager.memory.managed.size=256m",
        ]);
        let props = plan(&s, &c, &host(), 0.0).template.properties;
        assert!(props.contains(&("taskmanager.memory.managed.size".into(), "256m".into())));
        // Flink would find an invented process size inconsistent with them.
        assert!(!props
            .iter()
            .any(|(k, _)| k == "taskmanager.memory.process.size"));
    }
}
