//! The whole product end to end: `flink-mesos appmaster` with its Flink
//! JobManager, a genuine Mesos 1.11 master and agent, and two real Flink
//! TaskManagers launched as Mesos tasks running `flink-mesos taskmanager`.
//! Both register with the JobManager, a small streaming job runs to
//! FINISHED, a TaskManager killed through Mesos is replaced by one that
//! registers again, and the job runs again (and a JobManager that keeps dying
//! stops the cluster). Prints the start-up time and the
//! resident memory of the appmaster next to the JobManager JVM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::flink::{
    self, build_small_job, children, cmdline, http_get, rss_mb, submit_jar, wait_job_terminal,
};
use crate::support::free_port;
use crate::support::mesos_local::MesosLocal;

const REGISTER: Duration = Duration::from_secs(150);

/// The appmaster process; killed when the test ends, also when it fails (its
/// JobManager follows it: the JVM dies with its parent).
pub(crate) struct Guard(pub std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The appmaster's arguments as these tests run it against `mesos`: its
/// status endpoint and JobManager on loopback (`rpc_port`, `rest_port`),
/// small JobManager and TaskManager memory, 0.2 cpus and 600 MB per worker;
/// the caller adds what its test is about.
pub(crate) fn appmaster_args(
    mesos: &MesosLocal,
    home: &flink_mesos::flink::FlinkHome,
    work_dir: &std::path::Path,
    rpc_port: u16,
    rest_port: u16,
) -> Vec<String> {
    let mut args = vec![
        "appmaster".to_string(),
        "--status-bind".into(),
        "127.0.0.1".into(),
        "--flink-home".into(),
        home.root.display().to_string(),
        "--work-dir".into(),
        work_dir.display().to_string(),
        format!("-Dmesos.master={}", mesos.url.trim_start_matches("http://")),
        "-Dmesos.resourcemanager.tasks.cpus=0.2".into(),
        "-Dmesos.resourcemanager.tasks.mem=600".into(),
        "-Djobmanager.rpc.address=127.0.0.1".into(),
        format!("-Djobmanager.rpc.port={rpc_port}"),
        format!("-Drest.port={rest_port}"),
        "-Djobmanager.bind-host=127.0.0.1".into(),
        "-Drest.bind-address=127.0.0.1".into(),
        "-Djobmanager.memory.process.size=512m".into(),
        "-Djobmanager.memory.jvm-metaspace.size=128m".into(),
        "-Djobmanager.memory.jvm-overhead.min=64m".into(),
    ];
    for (k, v) in flink::small_taskmanager() {
        args.push(format!("-D{k}={v}"));
    }
    args
}

/// Starts `bin` with `args` in `dir` (no Flink configuration from the
/// environment), stderr to `stderr`, stdout piped for the status address.
pub(crate) fn spawn_appmaster(
    bin: &std::path::Path,
    args: &[String],
    dir: &std::path::Path,
    stderr: &std::path::Path,
    env: &[(&str, &str)],
) -> Guard {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env_remove("FLINK_MESOS_ADMIN_TOKEN")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Guard(cmd.spawn().unwrap())
}

/// TaskManager ids (resource ids = Mesos task ids) registered with the JobManager.
pub(crate) fn registered(rest_port: u16) -> Vec<String> {
    let Some((200, body)) = http_get(rest_port, "/taskmanagers") else {
        return Vec::new();
    };
    let v: Value = serde_json::from_str(&body).unwrap_or_default();
    let mut ids: Vec<String> = v["taskmanagers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

pub(crate) async fn wait_registered(
    rest_port: u16,
    what: &str,
    ok: impl Fn(&[String]) -> bool,
    stderr: &std::path::Path,
) -> Vec<String> {
    let deadline = Instant::now() + REGISTER;
    loop {
        let ids = registered(rest_port);
        if ok(&ids) {
            return ids;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; registered: {ids:?}; Flink's jobs: {}\nappmaster stderr:\n{}",
            http_get(rest_port, "/jobs/overview").map_or_else(|| "no answer".into(), |(_, b)| b),
            flink::tail(&std::fs::read_to_string(stderr).unwrap_or_default(), 40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The process of a Mesos task of `mesos` (its environment holds
/// `FLINK_MESOS_TASK_ID`, and its sandbox is below that harness's work dir:
/// other tests run TaskManagers with the same task ids at the same time)
/// whose command line contains `needle`.
fn task_process_with(mesos: &MesosLocal, task_id: &str, needle: &str) -> Option<u32> {
    let wanted = format!("FLINK_MESOS_TASK_ID={task_id}");
    let root = mesos.work_dir();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
        let mut vars = environ.split(|b| *b == 0);
        let has_id = vars.clone().any(|v| v == wanted.as_bytes());
        let sandbox_here = vars.any(|v| {
            v.strip_prefix(b"MESOS_SANDBOX=").is_some_and(|p| {
                std::path::Path::new(&*String::from_utf8_lossy(p)).starts_with(root)
            })
        }) || std::fs::read_link(format!("/proc/{pid}/cwd"))
            .is_ok_and(|c| c.starts_with(root));
        (has_id && sandbox_here && cmdline(pid).contains(needle)).then_some(pid)
    })
}

/// The `flink-mesos taskmanager` process of a Mesos task.
fn task_process(mesos: &MesosLocal, task_id: &str) -> Option<u32> {
    task_process_with(mesos, task_id, " taskmanager ")
}

/// The TaskManager JVM of a Mesos task.
fn taskmanager_jvm(mesos: &MesosLocal, task_id: &str) -> Option<u32> {
    task_process_with(mesos, task_id, "TaskManagerRunner")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flink_jobs_run_on_taskmanagers_that_mesos_launches() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let job = build_small_job(&home, dir.path());
    let (rpc_port, rest_port) = (free_port(), free_port());
    let bin = assert_cmd::cargo::cargo_bin("flink-mesos");
    // A private copy: other builds may replace target/debug/flink-mesos while
    // the agent still starts TaskManagers from it.
    let tm_bin = dir.path().join("flink-mesos");
    std::fs::copy(&bin, &tm_bin).unwrap();
    // A secret entry and a key store: they reach each TaskManager apart
    // from the fetcher (the store is not used: internal SSL stays off).
    let keystore = dir.path().join("internal.p12");
    std::fs::write(&keystore, KEYSTORE_CANARY).unwrap();
    let stderr_path = dir.path().join("appmaster.stderr");
    let mut args = appmaster_args(&mesos, &home, &dir.path().join("am"), rpc_port, rest_port);
    args.extend([
        "-Dmesos.initial-tasks=2".into(),
        "-Dmesos.failover-timeout=60".into(),
        format!(
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd={} taskmanager --flink-home {}",
            tm_bin.display(),
            home.root.display()
        ),
        format!("-Dmy.service.password={PASSWORD_CANARY}"),
        "-Dmesos.resourcemanager.framework.principal=flink".into(),
        format!("-Dsecurity.ssl.internal.keystore={}", keystore.display()),
    ]);
    let started = Instant::now();
    let mut guard = spawn_appmaster(
        &bin,
        &args,
        dir.path(),
        &stderr_path,
        &[("FLINK_MESOS_FRAMEWORK_SECRET", FRAMEWORK_SECRET_CANARY)],
    );
    let child = &mut guard.0;
    let (_stdout, _) = crate::support::status_base(child, &stderr_path);

    // Both TaskManagers register; their resource ids are the Mesos task ids.
    let ids = wait_registered(
        rest_port,
        "2 TaskManagers",
        |ids| ids.len() == 2,
        &stderr_path,
    )
    .await;
    let all_registered = started.elapsed();
    assert_eq!(ids, ["taskmanager-00001", "taskmanager-00002"]);
    let private_dirs = audit_secrets(&mesos, &ids).await;

    // The framework's web UI link is Flink's web interface.
    let state = mesos.get_json("/master/state").await;
    let framework = state["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Flink")
        .cloned()
        .unwrap();
    assert_eq!(
        framework["webui_url"],
        format!("http://127.0.0.1:{rest_port}")
    );

    let appmaster_rss = rss_mb(child.id()).unwrap_or(0);
    let jm_pid = children(child.id())
        .into_iter()
        .find(|p| cmdline(*p).contains("StandaloneSessionClusterEntrypoint"))
        .expect("the JobManager runs as the appmaster's child");
    let jm_rss = rss_mb(jm_pid).unwrap_or(0);
    // Each JVM gets only what it uses: not the framework secret, not a
    // worker's secrets token (issue 26).
    for (who, pid) in [
        ("the JobManager", Some(jm_pid)),
        (
            "a TaskManager",
            taskmanager_jvm(&mesos, "taskmanager-00002"),
        ),
    ] {
        let pid = pid.unwrap_or_else(|| panic!("{who} runs"));
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        let environ = String::from_utf8_lossy(&environ);
        assert!(
            !environ.contains(FRAMEWORK_SECRET_CANARY)
                && !environ.contains("FLINK_MESOS_FRAMEWORK_SECRET")
                && !environ.contains("FLINK_MESOS_SECRETS_TOKEN"),
            "{who}'s environment holds a secret"
        );
    }

    let job_id = submit_jar(rest_port, &job, "SmallJob").await;
    assert_eq!(
        wait_job_terminal(rest_port, &job_id, Duration::from_secs(120)).await,
        "FINISHED"
    );

    // Kill one TaskManager's process (as a crash or the OOM killer would):
    // the appmaster did not ask for it, so it launches a replacement that
    // registers again.
    let victim =
        task_process(&mesos, "taskmanager-00001").expect("the process of taskmanager-00001");
    assert!(Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap()
        .success());
    let ids = wait_registered(
        rest_port,
        "the replacement TaskManager",
        |ids| {
            ids.contains(&"taskmanager-00003".to_string())
                && !ids.contains(&"taskmanager-00001".to_string())
        },
        &stderr_path,
    )
    .await;
    assert_eq!(ids, ["taskmanager-00002", "taskmanager-00003"]);
    let job_id = submit_jar(rest_port, &job, "SmallJob").await;
    assert_eq!(
        wait_job_terminal(rest_port, &job_id, Duration::from_secs(120)).await,
        "FINISHED"
    );

    eprintln!(
        "numbers: appmaster start -> 2 TaskManagers registered: {:.1} s; RSS: flink-mesos appmaster {} MB, JobManager JVM {} MB",
        all_registered.as_secs_f64(),
        appmaster_rss,
        jm_rss
    );

    // SIGTERM: the framework is torn down and the JobManager stopped.
    terminate_and_wait_success(child, &stderr_path).await;
    // The TaskManagers took their secrets with them.
    let deadline = Instant::now() + Duration::from_secs(30);
    while private_dirs.iter().any(|d| d.exists()) {
        assert!(
            Instant::now() < deadline,
            "secrets left behind: {private_dirs:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        cmdline(jm_pid).is_empty(),
        "the JobManager outlived the appmaster"
    );
    let state = mesos.get_json("/master/state").await;
    assert!(
        !state["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "Flink"),
        "the framework is still registered"
    );
}

const PASSWORD_CANARY: &str = "tm-canary-5e1f";
const FRAMEWORK_SECRET_CANARY: &str = "fw-canary-3a1c";
const KEYSTORE_CANARY: &str = "keystore-canary-77";

/// Secrets on the agent (issue 18): each running TaskManager has the
/// password and the key store in a private directory (0700, files 0600)
/// outside its sandbox and the agent's work dir; no file below the agents'
/// work dirs and nothing the agent's `/files` API serves holds either.
/// Returns the private directories.
async fn audit_secrets(mesos: &MesosLocal, ids: &[String]) -> Vec<std::path::PathBuf> {
    use crate::support::mesos_local::{files_below, holds};
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut dirs = Vec::new();
    for task in ids {
        let jvm = taskmanager_jvm(mesos, task).expect("the TaskManager JVM");
        let cmd = cmdline(jvm);
        let conf_dir = cmd
            .split(' ')
            .skip_while(|w| *w != "--configDir")
            .nth(1)
            .map(std::path::PathBuf::from)
            .expect("--configDir");
        assert!(
            !conf_dir.starts_with(mesos.work_dir()),
            "{task}: the configuration is in the agent's work dir: {}",
            conf_dir.display()
        );
        let private = conf_dir.parent().unwrap().to_path_buf();
        let conf = std::fs::read_to_string(conf_dir.join("config.yaml")).unwrap();
        assert!(conf.contains(PASSWORD_CANARY), "{conf}");
        assert_eq!(mode(&private), 0o700);
        assert_eq!(mode(&conf_dir.join("config.yaml")), 0o600);
        let store = private.join("ssl-internal-keystore.p12");
        assert_eq!(std::fs::read_to_string(&store).unwrap(), KEYSTORE_CANARY);
        assert_eq!(mode(&store), 0o600);
        assert!(conf.contains(&store.display().to_string()), "{conf}");
        dirs.push(private);
    }
    let on_disk = files_below(mesos.work_dir());
    assert!(on_disk.iter().any(|(p, _)| p.ends_with("stdout")));
    for (path, content) in &on_disk {
        for canary in [PASSWORD_CANARY, KEYSTORE_CANARY, FRAMEWORK_SECRET_CANARY] {
            assert!(!holds(content, canary), "{canary} in {}", path.display());
        }
    }
    let served = mesos.files_served().await;
    assert!(
        served
            .iter()
            .any(|(p, _)| p.ends_with("flink-mesos-conf/config.yaml")),
        "/files serves the sandboxes: {:?}",
        served.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, content) in &served {
        for canary in [PASSWORD_CANARY, KEYSTORE_CANARY, FRAMEWORK_SECRET_CANARY] {
            assert!(!holds(content, canary), "{canary} served as {path}");
        }
    }
    dirs
}

/// Sends SIGTERM to the appmaster and waits (up to 60 s) for it to exit 0.
pub(crate) async fn terminate_and_wait_success(
    child: &mut std::process::Child,
    stderr_path: &std::path::Path,
) {
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = crate::support::wait_exit(
        child,
        Duration::from_secs(60),
        Duration::from_millis(100),
        "the appmaster did not stop",
        String::new,
    )
    .await;
    assert!(
        status.success(),
        "exit {status:?}\n{}",
        std::fs::read_to_string(stderr_path).unwrap_or_default()
    );
}

/// The JobManager JVM that `appmaster_pid` supervises.
fn jobmanager_pid(appmaster_pid: u32) -> Option<u32> {
    children(appmaster_pid)
        .into_iter()
        .find(|p| cmdline(*p).contains("StandaloneSessionClusterEntrypoint"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_jobmanager_is_restarted_then_the_cluster_stops() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (rpc_port, rest_port) = (free_port(), free_port());
    let stderr_path = dir.path().join("appmaster.stderr");
    let master = mesos.url.trim_start_matches("http://").to_string();
    let mut guard = Guard(
        Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
            .args([
                "appmaster",
                "--status-bind",
                "127.0.0.1",
                "--jobmanager-restarts",
                "1",
                "--flink-home",
            ])
            .arg(&home.root)
            .arg("--work-dir")
            .arg(dir.path().join("am"))
            .args([
                format!("-Dmesos.master={master}"),
                "-Dmesos.initial-tasks=0".into(),
                "-Djobmanager.rpc.address=127.0.0.1".into(),
                format!("-Djobmanager.rpc.port={rpc_port}"),
                format!("-Drest.port={rest_port}"),
                "-Djobmanager.bind-host=127.0.0.1".into(),
                "-Drest.bind-address=127.0.0.1".into(),
                "-Djobmanager.memory.process.size=512m".into(),
                "-Djobmanager.memory.jvm-metaspace.size=128m".into(),
                "-Djobmanager.memory.jvm-overhead.min=64m".into(),
            ])
            .current_dir(dir.path())
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_PROPERTIES")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let child = &mut guard.0;
    let stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let wait_pid = |not: Option<u32>| {
        flink::wait_for(Duration::from_secs(60), || {
            jobmanager_pid(child.id()).filter(|p| Some(*p) != not)
        })
        .unwrap_or_else(|| panic!("no JobManager JVM; stderr:\n{}", stderr()))
    };
    let first = wait_pid(None);
    // Killed once: restarted (one restart allowed).
    assert!(Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status()
        .unwrap()
        .success());
    let second = wait_pid(Some(first));
    assert_ne!(first, second);
    // Killed again: beyond the policy, the appmaster stops the cluster.
    assert!(Command::new("kill")
        .args(["-KILL", &second.to_string()])
        .status()
        .unwrap()
        .success());
    let status = crate::support::wait_exit(
        child,
        Duration::from_secs(60),
        Duration::from_millis(100),
        "the appmaster did not stop; stderr:",
        stderr,
    )
    .await;
    assert_eq!(status.code(), Some(1), "{}", stderr());
    let err = stderr();
    assert!(
        err.contains("stopping the Flink cluster: the Flink JobManager ended"),
        "{err}"
    );
    assert!(err.contains("jobmanager.log"), "{err}");
    let state = mesos.get_json("/master/state").await;
    assert!(
        !state["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "Flink"),
        "the framework was not torn down"
    );
}
