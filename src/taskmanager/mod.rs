//! The worker runtime: what `flink-mesos taskmanager` does inside a Mesos
//! task. It turns the configuration the appmaster handed over (conf dir,
//! `FLINK_PROPERTIES` with ports, host and JobManager address, `-D`) into
//! the TaskManager's own configuration file in the sandbox, runs the
//! bootstrap command when it was left to the worker, and runs and
//! supervises the TaskManager JVM until it exits.
//!
//! [`taskmanager_conf`] is pure; [`run`] does the I/O. Nothing here prints
//! or exits: the outcome goes back to `cmd::taskmanager`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::memory;
use crate::config::options::Key;
use crate::config::settings::{Report, Settings};
use crate::config::Config;
use crate::error::{Classified, ErrorKind};
use crate::flink::conf::{self, FlinkConf};
use crate::flink::launch::{self, JvmCommand, LaunchRequest, Role};
use crate::flink::{FlinkHome, FlinkProcess, FlinkVersion, Java, Output, SpawnOptions};

pub mod secrets;

/// Why a worker could not run its TaskManager, by class: a bootstrap
/// command or the sandbox is the operator's, Flink's own errors keep
/// theirs, and a TaskManager JVM that failed passes its exit code on.
#[derive(Debug, thiserror::Error)]
pub enum TaskmanagerError {
    #[error("{0}")]
    Bootstrap(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Flink(#[from] crate::flink::FlinkError),
    /// The TaskManager JVM exited unsuccessfully; `cause` is what its
    /// exit code means and the root cause its log ends with.
    #[error("the {process} JVM ended with {status}{cause}; its log is {log}")]
    Child {
        process: &'static str,
        status: crate::flink::ExitReport,
        cause: String,
        log: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl TaskmanagerError {
    fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        TaskmanagerError::Io {
            context: context.into(),
            source,
        }
    }
}

impl Classified for TaskmanagerError {
    fn kind(&self) -> ErrorKind {
        match self {
            TaskmanagerError::Bootstrap(_) | TaskmanagerError::Io { .. } => ErrorKind::User,
            TaskmanagerError::Flink(e) => e.kind(),
            TaskmanagerError::Child { status, .. } => {
                ErrorKind::Child(status.exit_code().clamp(1, 255))
            }
            TaskmanagerError::Internal(_) => ErrorKind::Internal,
        }
    }
}

type Result<T, E = TaskmanagerError> = std::result::Result<T, E>;

/// Environment variable the appmaster sets to the Mesos task id.
pub const TASK_ID_ENV: &str = "FLINK_MESOS_TASK_ID";

/// How to run one TaskManager.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--flink-home` / `FLINK_HOME`; else a distribution unpacked in the
    /// sandbox, else the one `scripts/fetch-flink.sh` assembles.
    pub flink_home: Option<PathBuf>,
    /// `$MESOS_SANDBOX`, else the working directory: gets `flink-conf/`,
    /// `taskmanager.log` and `tmp/`.
    pub sandbox: PathBuf,
    /// Do not run `mesos.resourcemanager.tasks.bootstrap-cmd` (the appmaster
    /// already ran it in the task's shell command).
    pub skip_bootstrap: bool,
    /// The Mesos task id (`FLINK_MESOS_TASK_ID`).
    pub task_id: Option<String>,
    /// The JVM's configuration directory when it must not be in the
    /// sandbox (it holds secrets: [`secrets`]); else `<sandbox>/flink-conf`.
    pub conf_dir: Option<PathBuf>,
    /// The JAAS file of Flink's ZooKeeper login, when the secrets brought
    /// one (`crate::flink::zk_login`).
    pub login_config: Option<PathBuf>,
    pub output: Output,
}

/// The paths a worker is handed, resolved against its sandbox.
///
/// The appmaster ships the TaskManager configuration, the Hadoop
/// configuration and the Flink distribution as paths relative to the
/// sandbox (`FLINK_CONF_DIR=flink-mesos-conf`, `HADOOP_CONF_DIR=hadoop-conf`,
/// `FLINK_HOME=flink`): it cannot know where the sandbox is on the agent or
/// inside a container. Mesos starts a task in its sandbox, but the Docker
/// containerizer starts it in the image's `WORKDIR`, so relative paths are
/// resolved against `$MESOS_SANDBOX` (which Mesos sets in every container),
/// never against the working directory. Absolute paths stay as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPaths {
    /// The sandbox, absolute.
    pub sandbox: PathBuf,
    /// `--conf-dir` / `FLINK_CONF_DIR`.
    pub conf_dir: Option<PathBuf>,
    /// `--flink-home` / `FLINK_HOME`.
    pub flink_home: Option<PathBuf>,
    /// `HADOOP_CONF_DIR`.
    pub hadoop_conf_dir: Option<PathBuf>,
}

impl SandboxPaths {
    /// `sandbox` is `$MESOS_SANDBOX` (or `--sandbox`), else `cwd`; a relative
    /// sandbox is taken relative to `cwd`.
    pub fn resolve(
        sandbox: Option<&Path>,
        cwd: &Path,
        conf_dir: Option<&Path>,
        flink_home: Option<&Path>,
        hadoop_conf_dir: Option<&Path>,
    ) -> SandboxPaths {
        let sandbox = match sandbox {
            Some(dir) => cwd.join(dir),
            None => cwd.to_path_buf(),
        };
        let inside = |p: Option<&Path>| {
            p.filter(|p| !p.as_os_str().is_empty())
                .map(|p| sandbox.join(p))
        };
        SandboxPaths {
            conf_dir: inside(conf_dir),
            flink_home: inside(flink_home),
            hadoop_conf_dir: inside(hadoop_conf_dir),
            sandbox,
        }
    }
}

/// The TaskManager's Flink configuration: the user's and the appmaster's
/// entries ([`conf::flink_entries`]), plus what a Mesos worker needs when
/// it is not given: `taskmanager.resource-id` = the task id (so that the
/// JobManager's view and Mesos' agree), `taskmanager.host` from
/// `mesos.resourcemanager.tasks.hostname` with `_TASK_` replaced,
/// `io.tmp.dirs` inside the sandbox (Mesos cleans it up), and the memory
/// keys resolved into `settings` ([`launch::fill_memory`]). Returns notes to
/// log.
pub fn taskmanager_conf(
    config: &Config,
    settings: &Settings,
    version: FlinkVersion,
    task_id: Option<&str>,
    sandbox: &Path,
) -> (FlinkConf, Vec<String>) {
    let mut conf = conf::flink_entries(config);
    let mut notes = Vec::new();
    if let Some(id) = task_id {
        conf.set_default(Key::TaskmanagerResourceId, || id.to_string());
    }
    if conf.get(Key::TaskmanagerHost).is_none() {
        if let Some(pattern) = &settings.tasks.hostname {
            match (pattern.contains("_TASK_"), task_id) {
                (true, None) => notes.push(format!(
                    "{} ({pattern}) needs the task id, but {TASK_ID_ENV} is not set; Flink picks the host name",
                    Key::MesosResourcemanagerTasksHostname
                )),
                (_, id) => {
                    let host = pattern.replace("_TASK_", id.unwrap_or_default());
                    conf.set(Key::TaskmanagerHost, host);
                }
            }
        }
    }
    conf.set_default(Key::IoTmpDirs, || sandbox.join("tmp").display().to_string());
    notes.extend(launch::fill_memory(
        Role::TaskManager,
        version,
        &mut conf,
        settings,
    ));
    (conf, notes)
}

/// When the only errors of a validation are memory settings larger than the
/// Mesos container, a one-line summary for exit code 5 ("memory cannot
/// fit") instead of the general configuration error.
pub fn memory_cannot_fit(report: &Report) -> Option<String> {
    let errors: Vec<_> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
    let fits = |d: &&crate::config::Diagnostic| {
        d.key.as_deref().is_some_and(|k| {
            memory::is_taskmanager_memory_key(k) || k == Key::MesosResourcemanagerTasksMem.name()
        }) && (d.message.contains(memory::LARGER_THAN_CONTAINER)
            || d.message.contains(memory::NO_ROOM))
    };
    (!errors.is_empty() && errors.iter().all(fits)).then(|| {
        errors
            .iter()
            .map(|d| format!("{} {}", d.key.as_deref().unwrap_or_default(), d.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Runs the bootstrap command with `sh -c` in the sandbox; its output goes
/// to ours (the task's sandbox files). It runs in a process group of its
/// own, which is killed when it takes longer than `timeout`
/// (`mesos.resourcemanager.tasks.bootstrap-timeout`). Blocks: call it from
/// a blocking thread ([`run`] does).
pub fn run_bootstrap(command: &str, sandbox: &Path, timeout: Duration) -> Result<()> {
    use std::os::unix::process::CommandExt;
    tracing::info!("running the bootstrap command (mesos.resourcemanager.tasks.bootstrap-cmd)");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(sandbox)
        .stdin(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| TaskmanagerError::io("cannot run the bootstrap command with sh", e))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(BOOTSTRAP_POLL),
            Ok(None) => {
                // SAFETY: kill(2) on the process group of our own child, not
                // yet reaped (so the group id is still ours).
                unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
                let _ = child.wait();
                return Err(TaskmanagerError::Bootstrap(format!(
                    "the bootstrap command (mesos.resourcemanager.tasks.bootstrap-cmd) did not finish within {} (mesos.resourcemanager.tasks.bootstrap-timeout) and was killed; the TaskManager was not started",
                    humantime(timeout)
                )));
            }
            Err(e) => {
                return Err(TaskmanagerError::io(
                    "cannot wait for the bootstrap command",
                    e,
                ))
            }
        }
    };
    if status.success() {
        Ok(())
    } else {
        Err(TaskmanagerError::Bootstrap(format!(
            "the bootstrap command (mesos.resourcemanager.tasks.bootstrap-cmd) failed with {status}; the TaskManager was not started"
        )))
    }
}

/// How often a running bootstrap command is checked for its end.
const BOOTSTRAP_POLL: Duration = Duration::from_millis(50);

fn humantime(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s if s > 0 => format!("{s} s"),
        _ => format!("{} ms", d.as_millis()),
    }
}

/// Everything up to the JVM: the bootstrap command (unless skipped),
/// finding Flink and Java (`java -version`), the configuration file, the
/// memory flags (BashJavaUtils). Returns the command and the distribution's
/// version. Blocks (it runs processes): [`run`] calls it on a blocking thread.
pub fn prepare(
    config: &Config,
    settings: &Settings,
    opts: &Options,
) -> Result<(JvmCommand, FlinkVersion)> {
    std::fs::create_dir_all(&opts.sandbox).map_err(|e| {
        TaskmanagerError::io(format!("cannot create {}", opts.sandbox.display()), e)
    })?;
    // First, as Flink's own script did: it may be what installs Flink or Java.
    if let (Some(cmd), false) = (&settings.tasks.bootstrap_cmd, opts.skip_bootstrap) {
        run_bootstrap(cmd, &opts.sandbox, settings.tasks.bootstrap_timeout)?;
    }
    let home = FlinkHome::locate(
        opts.flink_home.as_deref(),
        std::slice::from_ref(&opts.sandbox),
    )?;
    tracing::info!(flink_home = %home.root.display(), version = %home.version, "Flink distribution");
    let java_home = config.get(Key::EnvJavaHome.def()).map(|e| e.value.clone());
    let java = Java::locate(java_home.as_deref())?;
    tracing::debug!(java = %java.path.display(), feature = java.feature, "java");
    let (conf, notes) = taskmanager_conf(
        config,
        settings,
        home.version,
        opts.task_id.as_deref(),
        &opts.sandbox,
    );
    for n in notes {
        tracing::info!("{n}");
    }
    if let Some(tmp) = conf.get(Key::IoTmpDirs) {
        for dir in tmp.split([',', ':']).filter(|d| !d.is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    let command = launch::prepare(&LaunchRequest {
        role: Role::TaskManager,
        home: &home,
        java: &java,
        conf,
        work_dir: opts.sandbox.clone(),
        conf_dir: opts.conf_dir.clone(),
        log_dir: opts.sandbox.clone(),
        log_config: None,
        container_mb: Some(settings.taskmanager_memory.container_mb),
        zookeeper: crate::flink::zk_login::ZkClientJvm {
            login_config: opts.login_config.clone(),
            tls: settings.ha.as_ref().and_then(|ha| ha.tls.clone()),
        },
    })?;
    Ok((command, home.version))
}

/// Starts the prepared TaskManager JVM (not waiting for it).
pub fn start(command: &JvmCommand, opts: &Options) -> Result<FlinkProcess> {
    tracing::info!(
        memory = %command.memory.jvm_args.join(" "),
        log = %command.log_file.display(),
        "starting the TaskManager"
    );
    tracing::debug!("{}", command.display());
    // The JVM follows us if we are killed; FlinkProcess keeps that safe
    // whichever thread starts it.
    Ok(FlinkProcess::spawn(
        command,
        &SpawnOptions {
            output: opts.output.clone(),
            cwd: Some(opts.sandbox.clone()),
            die_with_parent: true,
        },
    )?)
}

/// Starts the TaskManager and supervises it until it exits. `Ok` when it
/// exited with 0, or ended as asked after SIGTERM/SIGINT.
pub async fn run(config: &Config, settings: &Settings, opts: &Options) -> Result<()> {
    // The bootstrap command, `java -version` and BashJavaUtils run
    // processes: off the runtime's thread.
    let (config_, settings_, opts_) = (config.clone(), settings.clone(), opts.clone());
    let (command, _) = tokio::task::spawn_blocking(move || prepare(&config_, &settings_, &opts_))
        .await
        .map_err(|e| TaskmanagerError::Internal(format!("preparing the TaskManager: {e}")))??;
    let mut process = start(&command, opts)?;
    tracing::info!(pid = process.pid(), "TaskManager JVM started");
    let (status, forwarded) = process.wait_forwarding_signals().await?;
    let log = process.command.log_file.display().to_string();
    match forwarded {
        Some(sig) if status.stopped_by(sig) => {
            tracing::info!("the TaskManager stopped ({status})");
            Ok(())
        }
        _ if status.success() => {
            tracing::info!("the TaskManager exited");
            Ok(())
        }
        _ => {
            let tail = read_tail(&process.command.log_file, 64 * 1024);
            Err(TaskmanagerError::Child {
                process: "TaskManager",
                cause: jvm_cause(status.exit_code(), &tail),
                status,
                log,
            })
        }
    }
}

/// The last `max` bytes of a file (empty when it cannot be read).
fn read_tail(path: &Path, max: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut bytes = Vec::new();
    let _ = f.take(max).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `" (…meaning of the exit code…): <root cause>"` for the message of a
/// TaskManager JVM that failed: what Flink's exit codes mean, and the last
/// two `Caused by:` of its log ([`last_cause`]; else the last exception, else ERROR line).
pub fn jvm_cause(exit_code: i32, log_tail: &str) -> String {
    let meaning = match exit_code {
        1 => Some("the TaskManager could not start"),
        2 => Some("the TaskManager failed while running"),
        137 => Some("killed with SIGKILL: out of memory in its container, or killed from outside"),
        239 => Some("a fatal error in the JVM, e.g. an OutOfMemoryError"),
        _ => None,
    };
    let lines: Vec<&str> = log_tail.lines().map(str::trim).collect();
    let root = last_cause(log_tail).or_else(|| {
        lines
            .iter()
            .rev()
            .find(|l| !l.starts_with("at ") && (l.contains("Exception: ") || l.contains("Error: ")))
            .or_else(|| lines.iter().rev().find(|l| l.contains(" ERROR ")))
            .map(|l| short(l))
    });
    match (meaning, root) {
        (Some(m), Some(r)) => format!(" ({m}): {r}"),
        (Some(m), None) => format!(" ({m})"),
        (None, Some(r)) => format!(": {r}"),
        (None, None) => String::new(),
    }
}

/// `line` without control characters, cut to 300 characters.
fn short(line: &str) -> String {
    let mut cause: String = line.chars().filter(|c| !c.is_control()).take(300).collect();
    if line.chars().count() > 300 {
        cause.push('…');
    }
    cause
}

/// The last two `Caused by:` of a Flink log, outer first (what Flink
/// refused and why, e.g. the key whose value it cannot parse and the parse
/// error), each cut to 300 characters; `None` without one.
pub fn last_cause(log: &str) -> Option<String> {
    let causes: Vec<&str> = log
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Caused by: "))
        .collect();
    let tail = &causes[causes.len().saturating_sub(2)..];
    (!tail.is_empty()).then(|| {
        tail.iter()
            .map(|c| short(c))
            .collect::<Vec<_>>()
            .join(" ← ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_cause_of_a_failed_taskmanager() {
        // Flink 1.18.1's log when a duration has a unit it cannot parse.
        let log = "2026-12-07 00:31:45,034 ERROR org.apache.flink.runtime.taskexecutor.TaskManagerRunner [] - Terminating TaskManagerRunner with exit code 1.
org.apache.flink.util.FlinkException: Failed to start the TaskManagerRunner.
\tat org.apache.flink.runtime.taskexecutor.TaskManagerRunner.runTaskManager(TaskManagerRunner.java:495)
Caused by: java.lang.IllegalArgumentException: Could not parse value '1 s' for key 'cluster.registration.error-delay'.
\tat org.apache.flink.configuration.Configuration.lambda$getOptional$3(Configuration.java:856)
Caused by: java.lang.NumberFormatException: For input string: \"1 s\"
\tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)
";
        assert_eq!(
            last_cause(log).as_deref(),
            Some("java.lang.IllegalArgumentException: Could not parse value '1 s' for key 'cluster.registration.error-delay'. ← java.lang.NumberFormatException: For input string: \"1 s\"")
        );
        assert_eq!(last_cause("INFO all good\n"), None);
        let long = format!("Caused by: x: {}", "y".repeat(400));
        assert!(last_cause(&long).unwrap().ends_with('…'));
    }
    use crate::config::settings::{resolve, Purpose, ValidateOptions};
    use crate::config::LoadOptions;

    fn load(props: &str, dynamic: &[&str]) -> (Config, Settings) {
        let config = Config::load(&LoadOptions {
            conf_dir: None,
            dynamic: dynamic.iter().map(|s| s.to_string()).collect(),
            env: vec![("FLINK_PROPERTIES".into(), props.into())],
        })
        .unwrap();
        let report = resolve(
            &config,
            ValidateOptions {
                purpose: Purpose::Taskmanager,
                strict: false,
            },
        );
        let settings = report.settings.expect("valid");
        (config, settings)
    }

    #[test]
    fn bootstrap_runs_in_the_sandbox_within_its_time_limit() {
        let dir = tempfile::tempdir().unwrap();
        run_bootstrap("touch here", dir.path(), Duration::from_secs(10)).unwrap();
        assert!(dir.path().join("here").exists());
        let e = run_bootstrap("exit 4", dir.path(), Duration::from_secs(10)).unwrap_err();
        assert!(e.to_string().contains("failed with"), "{e}");
        // A command that hangs, with a child of its own: the whole group goes.
        let started = Instant::now();
        let e = run_bootstrap(
            "sleep 30 & echo $! > child; wait",
            dir.path(),
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            e.to_string().contains("did not finish within 300 ms"),
            "{e}"
        );
        let child: libc::pid_t = std::fs::read_to_string(dir.path().join("child"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // Gone, or a zombie waiting for whoever inherited it.
        let state = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        let state = state.rsplit(')').next().unwrap_or("").trim_start();
        assert!(
            state.is_empty() || state.starts_with('Z'),
            "the background child survived: {state}"
        );
    }

    #[test]
    fn appmaster_properties_become_the_taskmanager_configuration() {
        let (config, settings) = load(
            "jobmanager.rpc.address: am.example\njobmanager.rpc.port: 6123\ntaskmanager.rpc.port: 31001\ntaskmanager.data.port: 31002\nmesos.resourcemanager.tasks.mem: 1024\nmesos.resourcemanager.tasks.hostname: _TASK_.flink.mesos\nmesos.master: zk://u:pw@zk:2181/mesos\n",
            &["taskmanager.numberOfTaskSlots=2"],
        );
        let (conf, notes) = taskmanager_conf(
            &config,
            &settings,
            FlinkVersion::new(2, 3, 0),
            Some("taskmanager-00003"),
            Path::new("/sandbox"),
        );
        let got: Vec<String> = conf.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            got,
            [
                "io.tmp.dirs=/sandbox/tmp",
                "jobmanager.rpc.address=am.example",
                "jobmanager.rpc.port=6123",
                "taskmanager.data.port=31002",
                "taskmanager.host=taskmanager-00003.flink.mesos",
                "taskmanager.memory.process.size=1024m",
                "taskmanager.numberOfTaskSlots=2",
                "taskmanager.resource-id=taskmanager-00003",
                "taskmanager.rpc.port=31001",
            ]
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
    }

    #[test]
    fn given_values_win_over_derived_ones() {
        let (config, settings) = load(
            "taskmanager.host: given\ntaskmanager.resource-id: rid\nio.tmp.dirs: /data\ntaskmanager.memory.process.size: 1024m\nmesos.resourcemanager.tasks.hostname: _TASK_.x\n",
            &[],
        );
        let (conf, notes) = taskmanager_conf(
            &config,
            &settings,
            FlinkVersion::new(2, 3, 0),
            Some("t1"),
            Path::new("/sb"),
        );
        assert_eq!(conf["taskmanager.host"], "given");
        assert_eq!(conf["taskmanager.resource-id"], "rid");
        assert_eq!(conf["io.tmp.dirs"], "/data");
        assert_eq!(conf["taskmanager.memory.process.size"], "1024m");
        assert!(notes.is_empty(), "{notes:?}");
        // Without a task id, a _TASK_ pattern cannot be filled in.
        let (config, settings) = load("mesos.resourcemanager.tasks.hostname: _TASK_.x\n", &[]);
        let (conf, notes) = taskmanager_conf(
            &config,
            &settings,
            FlinkVersion::new(2, 3, 0),
            None,
            Path::new("/sb"),
        );
        assert!(!conf.contains_key("taskmanager.host"));
        assert!(!conf.contains_key("taskmanager.resource-id"));
        assert!(notes[0].contains("FLINK_MESOS_TASK_ID"), "{notes:?}");
    }

    #[test]
    fn memory_larger_than_the_container_is_told_apart() {
        let check = |props: &str| {
            let config = Config::load(&LoadOptions {
                env: vec![("FLINK_PROPERTIES".into(), props.into())],
                ..Default::default()
            })
            .unwrap();
            memory_cannot_fit(&resolve(
                &config,
                ValidateOptions {
                    purpose: Purpose::Taskmanager,
                    strict: false,
                },
            ))
        };
        let m = check(
            "mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.memory.process.size: 1728m\n",
        )
        .expect("memory error");
        assert!(
            m.starts_with(
                "taskmanager.memory.process.size is 1728 MB, larger than the Mesos container"
            ),
            "{m}"
        );
        assert_eq!(
            check("mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.memory.process.size: 1g\n"),
            None
        );
        // Other errors are configuration errors (exit 1).
        assert_eq!(
            check("mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.memory.process.size: 1728m\ntaskmanager.numberOfTaskSlots: x\n"),
            None
        );
    }

    #[test]
    fn a_failed_jvm_says_what_its_exit_code_means_and_its_root_cause() {
        let log = "2026-12-07 01:00:00,000 ERROR org.apache.flink.runtime.taskexecutor.TaskManagerRunner [] - Terminating TaskManagerRunner with exit code 1.\n\
            org.apache.flink.util.FlinkException: Failed to start the TaskManagerRunner.\n\
            \tat org.apache.flink.runtime.taskexecutor.TaskManagerRunner.runTaskManager(TaskManagerRunner.java:1)\n\
            Caused by: java.net.BindException: Could not start rest endpoint on any port in port range 31000\n\
            \tat x.y(Z.java:2)\n";
        assert_eq!(
            jvm_cause(1, log),
            " (the TaskManager could not start): java.net.BindException: Could not start rest \
             endpoint on any port in port range 31000"
        );
        assert_eq!(jvm_cause(3, ""), "");
        assert_eq!(
            jvm_cause(239, "nothing useful\n"),
            " (a fatal error in the JVM, e.g. an OutOfMemoryError)"
        );
    }

    #[test]
    fn bootstrap_failures_stop_the_worker() {
        let dir = tempfile::tempdir().unwrap();
        run_bootstrap("touch bootstrapped", dir.path(), Duration::from_secs(10)).unwrap();
        assert!(dir.path().join("bootstrapped").exists());
        let e = run_bootstrap("exit 7", dir.path(), Duration::from_secs(10)).unwrap_err();
        assert!(e.to_string().contains("exit status: 7"), "{e}");
        assert_eq!(e.kind().exit_code(), 1);
    }
}
