//! From an effective configuration to the exact `java …` command of a Flink
//! entry point: writes the configuration directory, works out memory flags
//! (BashJavaUtils or the legacy rules) and `env.java.*` options, and puts
//! the command line together the way `flink-console.sh` does.
//!
//! [`prepare`] blocks (it runs BashJavaUtils, about 0.6 s); async callers
//! should run it with `spawn_blocking`.

use std::path::{Path, PathBuf};

use super::conf::{self, FlinkConf};
use super::jvm::{self, OptsRole};
use super::memory::{
    self as flink_memory, BashJavaUtilsFailure, LegacyTaskManagerMemory, ResourceParams,
};
use super::{FlinkError, FlinkHome, Java};
use crate::config::memory;
use crate::config::options::{self, Key};
use crate::config::settings::Settings;
use crate::config::{Config, LoadOptions};

/// Which Flink process to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    TaskManager,
    /// A session cluster's JobManager (with the web interface and REST API).
    JobManager,
}

impl Role {
    pub fn entry_class(self) -> &'static str {
        match self {
            Role::TaskManager => "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
            Role::JobManager => {
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"
            }
        }
    }
    fn bash_java_utils_command(self) -> &'static str {
        match self {
            Role::TaskManager => "GET_TM_RESOURCE_PARAMS",
            Role::JobManager => "GET_JM_RESOURCE_PARAMS",
        }
    }
    fn opts_role(self) -> OptsRole {
        match self {
            Role::TaskManager => OptsRole::TaskManager,
            Role::JobManager => OptsRole::JobManager,
        }
    }
    /// Name of the log file (`<name>.log`) and of the process in messages.
    pub fn name(self) -> &'static str {
        match self {
            Role::TaskManager => "taskmanager",
            Role::JobManager => "jobmanager",
        }
    }
    /// `<name>.log`, the file the JVM logs to.
    pub fn log_file_name(self) -> String {
        format!("{}.log", self.name())
    }
    fn display(self) -> &'static str {
        match self {
            Role::TaskManager => "TaskManager",
            Role::JobManager => "JobManager",
        }
    }
}

/// Flink's standalone application entry point (`bin/standalone-job.sh`),
/// Flink 1.11 and later; it takes the job JAR with `--jars` from 1.19 on.
pub const APPLICATION_ENTRY_CLASS: &str =
    "org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint";

/// The job of an application-mode JobManager (a job cluster), as the
/// arguments of [`APPLICATION_ENTRY_CLASS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobProgram {
    /// The job JAR (absolute): `--jars`.
    pub jar: PathBuf,
    /// `--job-classname`.
    pub entry_class: String,
    /// `--fromSavepoint`.
    pub from_savepoint: Option<String>,
    /// `--allowNonRestoredState`.
    pub allow_non_restored_state: bool,
    /// The job's own arguments, after `--` (Flink's parser stops there, so
    /// none of them is taken for an entry-point option).
    pub args: Vec<String>,
}

impl JobProgram {
    /// The entry point's arguments after `--configDir DIR` and the `-D`s.
    pub fn entry_args(&self) -> Vec<String> {
        let mut out = vec![
            "--jars".to_string(),
            self.jar.display().to_string(),
            "--job-classname".into(),
            self.entry_class.clone(),
        ];
        if let Some(s) = &self.from_savepoint {
            out.push("--fromSavepoint".into());
            out.push(s.clone());
            if self.allow_non_restored_state {
                out.push("--allowNonRestoredState".into());
            }
        }
        if !self.args.is_empty() {
            out.push("--".into());
            out.extend(self.args.iter().cloned());
        }
        out
    }
}

/// Everything needed to put a Flink JVM's command together.
#[derive(Debug, Clone)]
pub struct LaunchRequest<'a> {
    pub role: Role,
    pub home: &'a FlinkHome,
    pub java: &'a Java,
    /// The effective Flink configuration (see [`conf::flink_entries`] and
    /// [`fill_memory`]); written to `<work_dir>/flink-conf/`.
    pub conf: FlinkConf,
    /// Gets `flink-conf/` (mode 0700) unless `conf_dir` says otherwise.
    pub work_dir: PathBuf,
    /// Where the configuration goes instead of `<work_dir>/flink-conf`
    /// (a worker with secrets keeps it in its private directory).
    pub conf_dir: Option<PathBuf>,
    /// Gets `<role>.log` (and `.out`/`.err` with [`super::Output::Files`]).
    pub log_dir: PathBuf,
    /// A log4j configuration; `None`: the distribution's `conf/log4j.properties`.
    pub log_config: Option<PathBuf>,
    /// The Mesos container size in MB, for the legacy (Flink < 1.10) rules.
    pub container_mb: Option<u64>,
    /// The JVM's ZooKeeper login and TLS ([`super::zk_login`]). Only paths
    /// reach the command line.
    pub zookeeper: super::zk_login::ZkClientJvm,
}

/// A ready-to-run Flink JVM. Its command line holds no secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JvmCommand {
    pub role: Role,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub conf_dir: PathBuf,
    pub log_dir: PathBuf,
    pub log_file: PathBuf,
    pub memory: ResourceParams,
    /// Environment for the JVM: the `FLINK_*_DIR` variables Flink's scripts
    /// export (Flink finds its plugins through `FLINK_PLUGINS_DIR`).
    pub env: Vec<(String, String)>,
}

impl JvmCommand {
    /// A JobManager's command turned into an application-mode JobManager's
    /// for `program`: the standalone application entry point instead of
    /// the session one, the job's arguments at the end.
    pub fn into_application(mut self, program: &JobProgram) -> JvmCommand {
        let session = Role::JobManager.entry_class();
        if let Some(at) = self.args.iter().position(|a| a == session) {
            self.args[at] = APPLICATION_ENTRY_CLASS.to_string();
        }
        self.args.extend(program.entry_args());
        self
    }

    /// The command line for logs (the classpath shortened).
    pub fn display(&self) -> String {
        let mut out = self.program.display().to_string();
        let mut args = self.args.iter().peekable();
        while let Some(a) = args.next() {
            out.push(' ');
            if a == "-classpath" {
                out.push_str("-classpath <");
                out.push_str(
                    &args
                        .next()
                        .map_or(0, |cp| cp.split(':').count())
                        .to_string(),
                );
                out.push_str(" jars>");
                continue;
            }
            out.push_str(a);
        }
        out
    }
}

/// Applies the memory keys a Flink 1.10+ process needs
/// ([`crate::config::memory`], resolved into `settings`): the legacy heap
/// keys leave; the TaskManager without a Flink 1.10+ size gets the whole
/// container as `taskmanager.memory.process.size`; the JobManager's legacy
/// heap becomes `jobmanager.memory.heap.size`, and with no JobManager
/// memory at all `jobmanager.memory.process.size` is Flink's shipped
/// default. Older Flink keeps its keys for the legacy rules. Returns notes
/// to log.
pub fn fill_memory(
    role: Role,
    version: super::FlinkVersion,
    conf: &mut FlinkConf,
    settings: &Settings,
) -> Vec<String> {
    if !version.has_memory_model() {
        return Vec::new();
    }
    let keys = match role {
        Role::TaskManager => settings.taskmanager_memory.keys(version),
        Role::JobManager => settings
            .jobmanager_memory
            .keys(&settings.jobmanager_legacy_heap),
    };
    for key in keys.remove {
        conf.remove(key);
    }
    if let Some((key, value)) = keys.set {
        conf.set(key, value);
    }
    keys.notes
}

/// Writes the configuration directory, derives memory flags and builds the
/// command. Fails with [`FlinkError::Memory`] when the memory cannot fit.
pub fn prepare(req: &LaunchRequest<'_>) -> Result<JvmCommand, FlinkError> {
    let home = req.home;
    // Java 17 needs the `--add-opens` list of the distribution's own
    // configuration when the user's configuration has none.
    let mut conf = req.conf.clone();
    if conf.get(Key::EnvJavaOptsAll).is_none() && conf.get(Key::EnvJavaOpts).is_none() {
        if let Some(opts) = shipped_java_opts(home) {
            conf.set(Key::EnvJavaOptsAll, opts);
        }
    }
    let conf_dir = req
        .conf_dir
        .clone()
        .unwrap_or_else(|| req.work_dir.join("flink-conf"));
    let text = conf::render(&conf, home.version).map_err(|m| {
        FlinkError::io(
            "cannot write the Flink configuration",
            std::io::Error::other(m),
        )
    })?;
    conf::write_private(&conf_dir, conf::file_name(home.version), &text)?;

    let memory = if home.version.has_memory_model() {
        run_bash_java_utils(req.role, home, req.java, &conf_dir)?
    } else {
        legacy_memory(req.role, &conf, req.container_mb)?
    };

    let log_file = req.log_dir.join(req.role.log_file_name());
    std::fs::create_dir_all(&req.log_dir)
        .map_err(|e| FlinkError::io(format!("cannot create {}", req.log_dir.display()), e))?;
    let log_config = req
        .log_config
        .clone()
        .or_else(|| home.log_config("log4j.properties"));
    let mut opts = jvm::java_opts(req.role.opts_role(), req.java.feature, |k| {
        conf.get(k).map(String::from)
    });
    opts.extend(req.zookeeper.jvm_options());
    let args = build_args(&ArgsSpec {
        role: req.role,
        memory: &memory,
        java_opts: &opts,
        log_file: &log_file,
        log_config: log_config.as_deref(),
        logback_config: home.log_config("logback.xml").as_deref(),
        classpath: &home.classpath(),
        conf_dir: &conf_dir,
    });
    let mut env = flink_env(home, &conf_dir);
    env.extend(container_env(req.role, &conf, &env));
    Ok(JvmCommand {
        role: req.role,
        program: req.java.path.clone(),
        args,
        conf_dir,
        log_dir: req.log_dir.clone(),
        log_file,
        memory,
        env,
    })
}

/// The parts of a Flink JVM command line.
pub struct ArgsSpec<'a> {
    pub role: Role,
    pub memory: &'a ResourceParams,
    pub java_opts: &'a [String],
    pub log_file: &'a Path,
    pub log_config: Option<&'a Path>,
    pub logback_config: Option<&'a Path>,
    pub classpath: &'a str,
    pub conf_dir: &'a Path,
}

/// `flink-console.sh`'s order: memory flags, `env.java.*` options, log
/// settings, classpath, entry class, `--configDir`, then the derived memory
/// settings as `-D key=value`. Secret-looking keys never get onto it.
pub fn build_args(s: &ArgsSpec<'_>) -> Vec<String> {
    let mut args: Vec<String> = s.memory.jvm_args.clone();
    args.extend(s.java_opts.iter().cloned());
    args.push(format!("-Dlog.file={}", s.log_file.display()));
    if let Some(l) = s.log_config {
        args.push(format!("-Dlog4j.configuration=file:{}", l.display()));
        args.push(format!("-Dlog4j.configurationFile=file:{}", l.display()));
    }
    if let Some(l) = s.logback_config {
        args.push(format!("-Dlogback.configurationFile=file:{}", l.display()));
    }
    args.push("-classpath".into());
    args.push(s.classpath.to_string());
    args.push(s.role.entry_class().into());
    args.push("--configDir".into());
    args.push(s.conf_dir.display().to_string());
    for (k, v) in &s.memory.dynamic {
        if options::secret_part(k, v).is_some() {
            continue;
        }
        args.push("-D".into());
        args.push(format!("{k}={v}"));
    }
    args
}

/// `containerized.taskmanager.env.*` (TaskManager) or
/// `containerized.master.env.*` (JobManager) of the configuration, as
/// Flink's Mesos, YARN and Kubernetes modes set them; the variables Flink's
/// scripts export (`flink`) win, since they say where this distribution is.
fn container_env(
    role: Role,
    conf: &FlinkConf,
    flink: &[(String, String)],
) -> Vec<(String, String)> {
    let prefix = match role {
        Role::TaskManager => options::TASKMANAGER_ENV_PREFIX,
        _ => options::MASTER_ENV_PREFIX,
    };
    options::env_from(prefix, conf.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .into_iter()
        .filter(|(name, _)| !flink.iter().any(|(n, _)| n == name))
        .collect()
}

/// What `config.sh` exports for Flink's processes.
pub fn flink_env(home: &FlinkHome, conf_dir: &Path) -> Vec<(String, String)> {
    let dir = |d: &str| home.root.join(d).display().to_string();
    vec![
        ("FLINK_HOME".into(), home.root.display().to_string()),
        ("FLINK_CONF_DIR".into(), conf_dir.display().to_string()),
        ("FLINK_BIN_DIR".into(), dir("bin")),
        ("FLINK_LIB_DIR".into(), dir("lib")),
        ("FLINK_OPT_DIR".into(), dir("opt")),
        ("FLINK_PLUGINS_DIR".into(), dir("plugins")),
    ]
}

/// `env.java.opts.all` of the distribution's `conf/config.yaml`.
fn shipped_java_opts(home: &FlinkHome) -> Option<String> {
    let config = Config::load(&LoadOptions {
        conf_dir: Some(home.conf_dir()),
        ..Default::default()
    })
    .ok()?;
    config
        .get(Key::EnvJavaOptsAll.def())
        .or_else(|| config.get(Key::EnvJavaOpts.def()))
        .map(|e| e.value.clone())
        .filter(|v| !v.trim().is_empty())
}

fn run_bash_java_utils(
    role: Role,
    home: &FlinkHome,
    java: &Java,
    conf_dir: &Path,
) -> Result<ResourceParams, FlinkError> {
    let command = role.bash_java_utils_command();
    let out = std::process::Command::new(&java.path)
        .arg("-classpath")
        .arg(home.bash_java_utils_classpath())
        .arg("org.apache.flink.runtime.util.bash.BashJavaUtils")
        .arg(command)
        .arg("--configDir")
        .arg(conf_dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| FlinkError::io(format!("cannot run {}", java.path.display()), e))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let parsed = if out.status.success() {
        flink_memory::parse_resource_params(&text)
    } else {
        Err(flink_memory::failure(&text))
    };
    parsed.map_err(|f| match f {
        BashJavaUtilsFailure::DoesNotFit(message) => FlinkError::Memory {
            role: role.display(),
            message,
        },
        BashJavaUtilsFailure::Other(message) => FlinkError::BashJavaUtils { command, message },
    })
}

fn legacy_memory(
    role: Role,
    conf: &FlinkConf,
    container_mb: Option<u64>,
) -> Result<ResourceParams, FlinkError> {
    let heap_mb = |keys: &[Key]| -> Result<Option<u64>, FlinkError> {
        memory::legacy_heap(keys, |k| conf.get(k))
            .map(|heap| heap.map(|(_, mb)| mb))
            .map_err(|message| FlinkError::Memory {
                role: role.display(),
                message,
            })
    };
    match role {
        Role::JobManager => Ok(flink_memory::legacy_jobmanager(heap_mb(
            &memory::JOBMANAGER_LEGACY_HEAP,
        )?)),
        Role::TaskManager => {
            let heap = heap_mb(&memory::TASKMANAGER_LEGACY_HEAP)?;
            let container = container_mb.unwrap_or(1024);
            let mut rules = LegacyTaskManagerMemory::new(container, heap);
            let float = |k: Key| conf.get(k).and_then(|v| v.trim().parse::<f64>().ok());
            if let Some(r) = float(Key::ContainerizedHeapCutoffRatio) {
                rules.cutoff_ratio = r;
            }
            if let Some(m) = float(Key::ContainerizedHeapCutoffMin) {
                rules.cutoff_min_mb = m as u64;
            }
            rules.derive().map_err(|message| FlinkError::Memory {
                role: role.display(),
                message,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flink::FlinkVersion;

    fn conf(pairs: &[(&str, &str)]) -> FlinkConf {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// [`fill_memory`] on the configuration of `pairs` (as `-D`), with the
    /// container `container_mb` (`mesos.resourcemanager.tasks.mem`).
    fn fill(
        role: Role,
        version: FlinkVersion,
        pairs: &[(&str, &str)],
        container_mb: Option<u64>,
    ) -> (FlinkConf, Vec<String>) {
        let mut dynamic: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        dynamic.push("mesos.master=m:5050".into());
        if let Some(mb) = container_mb {
            dynamic.push(format!("mesos.resourcemanager.tasks.mem={mb}"));
        }
        let dynamic: Vec<&str> = dynamic.iter().map(String::as_str).collect();
        let (settings, config) = crate::config::settings::for_tests(&dynamic);
        let mut c = conf::flink_entries(&config);
        let notes = fill_memory(role, version, &mut c, &settings);
        (c, notes)
    }

    #[test]
    fn taskmanager_command_line() {
        let memory = flink_memory::parse_resource_params(
            "BASH_JAVA_UTILS_EXEC_RESULT:-Xmx167772160 -Xms167772160 -XX:MaxDirectMemorySize=100663296 -XX:MaxMetaspaceSize=134217728\n\
             BASH_JAVA_UTILS_EXEC_RESULT:-D taskmanager.memory.network.min=33554432b -D taskmanager.cpu.cores=1.0 -D some.password=x\n",
        )
        .unwrap();
        let opts = vec![
            "-XX:+IgnoreUnrecognizedVMOptions".to_string(),
            "--add-opens=java.base/java.lang=ALL-UNNAMED".into(),
        ];
        let args = build_args(&ArgsSpec {
            role: Role::TaskManager,
            memory: &memory,
            java_opts: &opts,
            log_file: Path::new("/sb/taskmanager.log"),
            log_config: Some(Path::new("/fh/conf/log4j.properties")),
            logback_config: None,
            classpath: "/fh/lib/a.jar:/fh/lib/flink-dist-2.3.0.jar",
            conf_dir: Path::new("/sb/flink-conf"),
        });
        assert_eq!(
            args,
            [
                "-Xmx167772160",
                "-Xms167772160",
                "-XX:MaxDirectMemorySize=100663296",
                "-XX:MaxMetaspaceSize=134217728",
                "-XX:+IgnoreUnrecognizedVMOptions",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-Dlog.file=/sb/taskmanager.log",
                "-Dlog4j.configuration=file:/fh/conf/log4j.properties",
                "-Dlog4j.configurationFile=file:/fh/conf/log4j.properties",
                "-classpath",
                "/fh/lib/a.jar:/fh/lib/flink-dist-2.3.0.jar",
                "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                "--configDir",
                "/sb/flink-conf",
                "-D",
                "taskmanager.memory.network.min=33554432b",
                "-D",
                "taskmanager.cpu.cores=1.0",
            ]
        );
        let cmd = JvmCommand {
            role: Role::TaskManager,
            program: "/usr/bin/java".into(),
            args,
            conf_dir: "/sb/flink-conf".into(),
            log_dir: "/sb".into(),
            log_file: "/sb/taskmanager.log".into(),
            memory,
            env: Vec::new(),
        };
        assert!(
            cmd.display()
                .contains(" -classpath <2 jars> org.apache.flink"),
            "{}",
            cmd.display()
        );
    }

    #[test]
    fn taskmanager_memory_follows_the_container() {
        let v2 = FlinkVersion::new(2, 3, 0);
        let tm = Role::TaskManager;
        // The seed's legacy heap is the process (Flink's migration rule on
        // Mesos), inside the container.
        let (c, notes) = fill(tm, v2, &[("taskmanager.heap.mb", "3500")], Some(4096));
        assert_eq!(c, conf(&[("taskmanager.memory.process.size", "3500m")]));
        assert_eq!(notes.len(), 1, "{notes:?}");
        let (c, _) = fill(tm, v2, &[], Some(4096));
        assert_eq!(c, conf(&[("taskmanager.memory.process.size", "4096m")]));
        let (c, notes) = fill(
            tm,
            v2,
            &[("taskmanager.memory.process.size", "1024m")],
            Some(4096),
        );
        assert!(notes.is_empty());
        assert_eq!(c["taskmanager.memory.process.size"], "1024m");
        let (c, _) = fill(
            tm,
            v2,
            &[
                ("taskmanager.memory.task.heap.size", "100m"),
                ("taskmanager.memory.managed.size", "100m"),
            ],
            Some(4096),
        );
        assert!(!c.contains_key("taskmanager.memory.process.size"));
        // Legacy Flink keeps its keys for the legacy rules.
        let (c, notes) = fill(
            tm,
            FlinkVersion::new(1, 9, 3),
            &[("taskmanager.heap.mb", "3500")],
            Some(4096),
        );
        assert!(notes.is_empty());
        let p = legacy_memory(Role::TaskManager, &c, Some(4096)).unwrap();
        assert_eq!(p.jvm_args[1], "-Xmx3500m");
        let e = legacy_memory(Role::TaskManager, &c, Some(2048)).unwrap_err();
        assert!(matches!(e, FlinkError::Memory { .. }), "{e}");
    }

    #[test]
    fn jobmanager_memory_defaults_and_legacy_heap() {
        let v2 = FlinkVersion::new(2, 3, 0);
        let jm = Role::JobManager;
        let (c, _) = fill(jm, v2, &[("jobmanager.heap.mb", "1024")], None);
        assert_eq!(c, conf(&[("jobmanager.memory.heap.size", "1024m")]));
        let (c, _) = fill(jm, v2, &[], None);
        assert_eq!(c, conf(&[("jobmanager.memory.process.size", "1600m")]));
        let (c, _) = fill(
            jm,
            v2,
            &[
                ("jobmanager.memory.process.size", "1024m"),
                ("jobmanager.heap.mb", "1"),
            ],
            None,
        );
        assert_eq!(c, conf(&[("jobmanager.memory.process.size", "1024m")]));
        let p = legacy_memory(
            Role::JobManager,
            &conf(&[("jobmanager.heap.size", "768m")]),
            None,
        )
        .unwrap();
        assert_eq!(p.jvm_args, ["-Xms768m", "-Xmx768m"]);
    }

    #[test]
    fn jobmanager_flink_size_is_jobmanager_memory() {
        let v2 = FlinkVersion::new(2, 3, 0);
        let jm = Role::JobManager;
        // No default invented beside it, and the legacy heap leaves.
        let (c, notes) = fill(
            jm,
            v2,
            &[
                ("jobmanager.memory.flink.size", "1g"),
                ("jobmanager.heap.mb", "768"),
            ],
            None,
        );
        assert_eq!(c, conf(&[("jobmanager.memory.flink.size", "1g")]));
        assert_eq!(
            notes,
            ["jobmanager.heap.mb is ignored: jobmanager.memory.* settings are given"]
        );
        // Legacy Flink: `.heap.size` wins over `.heap.mb`, as in Flink and
        // in the rule for newer Flink.
        let both = conf(&[
            ("jobmanager.heap.mb", "512"),
            ("jobmanager.heap.size", "768m"),
        ]);
        let p = legacy_memory(jm, &both, None).unwrap();
        assert_eq!(p.jvm_args, ["-Xms768m", "-Xmx768m"]);
        let (c, _) = fill(
            jm,
            v2,
            &[
                ("jobmanager.heap.mb", "512"),
                ("jobmanager.heap.size", "768m"),
            ],
            None,
        );
        assert_eq!(c, conf(&[("jobmanager.memory.heap.size", "768m")]));
    }

    /// A job cluster's JobManager: the application entry point instead of
    /// the session one, the job after the options, its own arguments after
    /// `--` (so that `-s` or `--jars` among them stay the job's).
    #[test]
    fn an_application_jobmanager_runs_the_job_with_its_arguments_after_the_separator() {
        let session = JvmCommand {
            role: Role::JobManager,
            program: "/usr/bin/java".into(),
            args: vec![
                "-Xmx1g".into(),
                Role::JobManager.entry_class().into(),
                "--configDir".into(),
                "/w/flink-conf".into(),
                "-D".into(),
                "jobmanager.memory.off-heap.size=134217728b".into(),
            ],
            conf_dir: "/w/flink-conf".into(),
            log_dir: "/w/log".into(),
            log_file: "/w/log/jobmanager.log".into(),
            memory: ResourceParams::default(),
            env: Vec::new(),
        };
        let program = JobProgram {
            jar: "/jobs/my job.jar".into(),
            entry_class: "com.example.Job".into(),
            from_savepoint: Some("s3://b/savepoint-1".into()),
            allow_non_restored_state: true,
            args: vec!["-s".into(), "--jars".into()],
        };
        let app = session.into_application(&program);
        assert_eq!(
            app.args,
            [
                "-Xmx1g",
                APPLICATION_ENTRY_CLASS,
                "--configDir",
                "/w/flink-conf",
                "-D",
                "jobmanager.memory.off-heap.size=134217728b",
                "--jars",
                "/jobs/my job.jar",
                "--job-classname",
                "com.example.Job",
                "--fromSavepoint",
                "s3://b/savepoint-1",
                "--allowNonRestoredState",
                "--",
                "-s",
                "--jars",
            ]
        );
        let plain = JobProgram {
            from_savepoint: None,
            args: Vec::new(),
            ..program
        };
        assert_eq!(
            plain.entry_args(),
            [
                "--jars",
                "/jobs/my job.jar",
                "--job-classname",
                "com.example.Job"
            ],
            "no savepoint flags without a savepoint, no separator without arguments"
        );
    }
}
