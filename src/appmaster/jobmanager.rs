//! The Flink JobManager beside the appmaster (the seed's "Flink's JobManager
//! and Web Interface"): configured from the same configuration, started
//! before the scheduler, restarted when it dies (a bounded number of times
//! within a window), and stopped when the appmaster stops.
//!
//! Invariants: the JobManager and every TaskManager get the same
//! `jobmanager.rpc.address`/`port` (both come from [`crate::appmaster::plan`]'s
//! rule: the configured address, else this host's name); the framework's
//! `webui_url` is the JobManager's web interface; secrets reach the JVM only
//! through its private configuration file (see `crate::flink::conf`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::config::options::Key;
use crate::config::settings::Settings;
use crate::config::Config;
use crate::flink::conf::FlinkConf;
use crate::flink::launch::JobProgram;
use crate::flink::{jobmanager, FlinkError, FlinkHome, FlinkVersion, Java, Role};

/// Everything needed to (re)start the JobManager.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub home: FlinkHome,
    pub java: Java,
    pub conf: FlinkConf,
    pub work_dir: PathBuf,
    pub log_dir: PathBuf,
    /// The Flink web interface, for the framework's `webui_url`.
    pub web_ui_url: Option<String>,
    /// A job cluster's job: the JobManager runs it in application mode.
    pub program: Option<JobProgram>,
    /// Flink's ZooKeeper login (`crate::flink::zk_login`; its JAAS file
    /// 0600 in the JobManager's private directory) and TLS.
    pub zookeeper: crate::flink::zk_login::ZkClientJvm,
}

/// The first Flink whose standalone application entry point takes the job
/// JAR as `--jars` (earlier ones only look in `<FLINK_HOME>/usrlib`).
const JOB_CLUSTER_MIN_FLINK: FlinkVersion = FlinkVersion::new(1, 19, 0);

/// Finds Flink and Java and works out the JobManager's configuration.
/// `work_dir` receives `jobmanager/` (configuration) and `log/`.
pub fn prepare(
    config: &Config,
    settings: &Settings,
    flink_home: Option<&Path>,
    address: &str,
    work_dir: &Path,
    program: Option<JobProgram>,
) -> Result<Prepared, FlinkError> {
    let home = FlinkHome::locate(flink_home, &[work_dir.to_path_buf()])?;
    if program.is_some() && home.version < JOB_CLUSTER_MIN_FLINK {
        return Err(FlinkError::FlinkHome(format!(
            "job clusters (--job-jar) need Flink {JOB_CLUSTER_MIN_FLINK} or later (its application \
             entry point takes the JAR as --jars); {} is Flink {}",
            home.root.display(),
            home.version
        )));
    }
    let java_home = config.get(Key::EnvJavaHome.def()).map(|e| e.value.clone());
    let java = Java::locate(java_home.as_deref())?;
    let (mut conf, notes) = jobmanager::jobmanager_conf(config, settings, home.version, address);
    // Paths in the configuration are the operator's, relative to where the
    // appmaster was started (as the worker store and the overlays read
    // them); the JobManager runs in its work directory.
    for key in crate::artifacts::overlay::host_file_keys() {
        if conf.contains_key(key) {
            let value = conf[key].trim().to_string();
            if !value.is_empty() && Path::new(&value).is_relative() {
                let path = crate::config::settings::absolute(value);
                conf.insert(key.to_string(), path.display().to_string());
            }
        }
    }
    // `security.kerberos.krb5-conf.path` points the JobManager's JVM at that
    // krb5.conf too, as Flink's YARN and Kubernetes JobManagers (the workers
    // get their shipped copy, `artifacts::overlay`).
    if let Some(krb5) = conf
        .get(Key::SecurityKerberosKrb5ConfPath)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let property = crate::shell::quote(&format!("-Djava.security.krb5.conf={krb5}"));
        let opts = conf.get(Key::EnvJavaOptsJobmanager).unwrap_or_default();
        conf.set(
            Key::EnvJavaOptsJobmanager,
            format!("{opts} {property}").trim().to_string(),
        );
    }
    if program.is_some() {
        // The appmaster reads the job's end (state, failure cause) from the
        // REST API and then shuts the JobManager down itself (`DELETE
        // /cluster`, which also cleans its HA data up): the JobManager must
        // not vanish with the job.
        conf.set(Key::ExecutionShutdownOnApplicationFinish, "false");
        // Flink's default, /opt/flink/artifacts, is rarely writable.
        conf.set_default(Key::UserArtifactsBaseDir, || {
            work_dir
                .join("jobmanager")
                .join("artifacts")
                .display()
                .to_string()
        });
    }
    for note in notes {
        tracing::info!("JobManager: {note}");
    }
    let web_ui_url = jobmanager::web_ui_url(&conf);
    let login_config = match settings.ha.as_ref().and_then(|ha| ha.flink_jaas()) {
        Some(jaas) => {
            let path = crate::flink::conf::write_private(
                &work_dir.join("jobmanager"),
                crate::flink::zk_login::JAAS_FILE,
                jaas.expose(),
            )?;
            tracing::info!(
                file = %path.display(),
                "JobManager: logs in to ZooKeeper with the digest credentials (SASL DIGEST-MD5), for high-availability.zookeeper.client.acl: creator"
            );
            Some(path)
        }
        None => None,
    };
    Ok(Prepared {
        home,
        java,
        conf,
        work_dir: work_dir.join("jobmanager"),
        log_dir: work_dir.join("log"),
        web_ui_url,
        program,
        zookeeper: crate::flink::zk_login::ZkClientJvm {
            login_config,
            tls: settings.ha.as_ref().and_then(|ha| ha.tls.clone()),
        },
    })
}

/// A port the JobManager is configured to listen on that something else
/// already holds: `(key, address, the bind error)`. Checked before the JVM
/// starts, so that a taken `rest.port` is named at once instead of a
/// JobManager that dies (and is restarted) on its bind failure. Ranges and
/// port 0 are Flink's to choose from and not checked.
pub fn taken_port(prepared: &Prepared) -> Option<(&'static str, String, std::io::Error)> {
    let conf = &prepared.conf;
    let any = |key: Key| -> String {
        match conf.get(key).map(str::trim) {
            None | Some("") => "0.0.0.0".into(),
            Some(a) => a.to_string(),
        }
    };
    let checks = [
        (Key::RestPort, any(Key::RestBindAddress)),
        (Key::JobmanagerRpcPort, any(Key::JobmanagerBindHost)),
    ];
    for (key, host) in checks {
        let spec = conf.get(key).or(key.default_value()).unwrap_or("");
        let Ok(port) = spec.trim().parse::<u16>() else {
            continue;
        };
        if port == 0 {
            continue;
        }
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        if let Err(e) = std::net::TcpListener::bind(addr.as_str()) {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                return Some((key.name(), addr, e));
            }
        }
    }
    None
}

/// How often the JobManager may die before the appmaster gives up.
#[derive(Debug, Clone, Copy)]
pub struct RestartPolicy {
    pub max_restarts: u32,
    /// Deaths older than this are forgotten.
    pub window: Duration,
    pub delay: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            max_restarts: 3,
            window: Duration::from_secs(600),
            delay: Duration::from_secs(2),
        }
    }
}

/// What the supervisor is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JmStop {
    /// Keep the JobManager running (restart it when it dies).
    Run,
    /// The JobManager was asked to end by itself (a job cluster's `DELETE
    /// /cluster`): its exit is no death to restart after.
    Expected,
    /// Stop it now: SIGTERM, and SIGKILL after the grace period.
    Now,
}

/// Runs the JobManager until `stop` says [`JmStop::Now`] (then stops it:
/// SIGTERM, and SIGKILL after `grace`), restarting it when it dies unless
/// its end was [`JmStop::Expected`]. Returns `Err` with a message when it
/// died more often than the policy allows.
pub async fn supervise(
    prepared: Prepared,
    policy: RestartPolicy,
    mut stop: watch::Receiver<JmStop>,
    grace: Duration,
) -> Result<(), String> {
    let mut deaths: Vec<Instant> = Vec::new();
    loop {
        std::fs::create_dir_all(&prepared.log_dir)
            .map_err(|e| format!("cannot create {}: {e}", prepared.log_dir.display()))?;
        let started = Instant::now();
        let mut process = jobmanager::start_with(
            prepared.home.clone(),
            prepared.java.clone(),
            prepared.conf.clone(),
            prepared.work_dir.clone(),
            prepared.log_dir.clone(),
            true,
            prepared.program.clone(),
            prepared.zookeeper.clone(),
        )
        .await
        .map_err(|e| format!("cannot start the JobManager: {e}"))?;
        tracing::info!(pid = process.pid(), log = %prepared.log_dir.display(), "JobManager started");
        let ended = tokio::select! {
            status = process.wait() => Some(status),
            _ = stop.wait_for(|s| *s == JmStop::Now) => None,
        };
        let Some(status) = ended else {
            let _ = process.terminate();
            match tokio::time::timeout(grace, process.wait()).await {
                Ok(_) => tracing::info!("JobManager stopped"),
                Err(_) => {
                    tracing::warn!(
                        "the JobManager did not stop within {} s; killing it",
                        grace.as_secs()
                    );
                    let _ = process.kill().await;
                }
            }
            return Ok(());
        };
        let status = status.map_err(|e| format!("cannot wait for the JobManager: {e}"))?;
        if *stop.borrow() != JmStop::Run {
            tracing::info!(%status, "the JobManager ended as asked");
            return Ok(());
        }
        let now = Instant::now();
        deaths.retain(|t| now.duration_since(*t) < policy.window);
        deaths.push(now);
        let log = prepared.log_dir.join(Role::JobManager.log_file_name());
        if deaths.len() as u32 > policy.max_restarts {
            return Err(format!(
                "the Flink JobManager ended ({status}) {} times within {} s (the last time after running {} s); see {}",
                deaths.len(),
                policy.window.as_secs(),
                started.elapsed().as_secs(),
                log.display()
            ));
        }
        tracing::warn!(%status, restarts_left = policy.max_restarts + 1 - deaths.len() as u32, log = %log.display(), "the JobManager ended; restarting it");
        tokio::time::sleep(policy.delay).await;
    }
}
