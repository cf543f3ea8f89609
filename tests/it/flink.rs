//! Real Flink 2.3 (from PyPI, `scripts/fetch-flink.sh`): a JobManager
//! started through the library's `FlinkProcess`, and `flink-mesos
//! taskmanager` run the way Mesos runs it (configuration in
//! `FLINK_PROPERTIES`, task id in `FLINK_MESOS_TASK_ID`, a sandbox). The
//! TaskManager must register with the JobManager, keep secrets off its
//! command line, and stop cleanly on SIGTERM. The error paths must give
//! their distinct exit codes.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::flink::{
    build_small_job, children, cmdline, flink_home, http_get, java, rss_mb, small_taskmanager,
    submit_jar, tail, wait_for, wait_job_terminal, JobManager,
};
use crate::support::free_port;

const STARTUP: Duration = Duration::from_secs(60);

/// A private hard link to this build's `flink-mesos` binary, made once at
/// the start of a test: the target directory may be shared with other
/// checkouts whose builds replace the binary while a test runs; the link
/// keeps this build's file until the test ends.
struct PinnedBinary {
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn pin_binary() -> PinnedBinary {
    let bin = assert_cmd::cargo::cargo_bin("flink-mesos");
    let dir = tempfile::Builder::new()
        .prefix("flink-mesos-it-bin-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let path = dir.path().join("flink-mesos");
    if std::fs::hard_link(&bin, &path).is_err() {
        std::fs::copy(&bin, &path).unwrap();
    }
    PinnedBinary { path, _dir: dir }
}

/// `flink-mesos taskmanager` as the Mesos agent would start it.
fn taskmanager_command(
    bin: &PinnedBinary,
    home: &Path,
    sandbox: &Path,
    properties: &str,
) -> Command {
    let mut c = Command::new(&bin.path);
    c.arg("taskmanager");
    if !home.as_os_str().is_empty() {
        c.arg("--flink-home").arg(home);
    }
    c.current_dir(sandbox)
        .env("MESOS_SANDBOX", sandbox)
        .env("FLINK_PROPERTIES", properties)
        .env("FLINK_MESOS_TASK_ID", "taskmanager-00001")
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_HOME")
        .stdin(Stdio::null());
    c
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    wait_for(timeout, || child.try_wait().ok().flatten())
}

#[tokio::test(flavor = "multi_thread")]
async fn taskmanager_registers_runs_a_job_and_stops_on_sigterm() {
    let bin = pin_binary();
    let home = flink_home();
    let java = java();
    let started = Instant::now();
    let mut jm = JobManager::start(&home, &java).await;
    let rest = jm.rest_port;
    let rest_up = wait_for(STARTUP, || {
        http_get(rest, "/overview").filter(|(status, _)| *status == 200)
    });
    assert!(
        rest_up.is_some(),
        "the JobManager's REST API did not come up\n{}",
        jm.log()
    );
    let jm_rest_up = started.elapsed();

    // What the appmaster puts into FLINK_PROPERTIES, plus small memory and
    // a secret that must stay off the command line.
    let sandbox = tempfile::Builder::new()
        .prefix("flink-mesos-it-tm-")
        .tempdir()
        .unwrap();
    let mut props = format!(
        "jobmanager.rpc.address: 127.0.0.1\njobmanager.rpc.port: {}\ntaskmanager.rpc.port: {}\ntaskmanager.data.port: {}\ntaskmanager.host: 127.0.0.1\ntaskmanager.bind-host: 127.0.0.1\nmesos.resourcemanager.tasks.mem: 512\nsecurity.ssl.keystore-password: hunter2-not-on-the-command-line\n",
        jm.rpc_port,
        free_port(),
        free_port()
    );
    for (k, v) in small_taskmanager() {
        props.push_str(&format!("{k}: {v}\n"));
    }
    let tm_started = Instant::now();
    let mut tm = taskmanager_command(&bin, &home.root, sandbox.path(), &props)
        .arg("--output-files")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(sandbox.path().join("flink-mesos.stderr")).unwrap())
        .spawn()
        .unwrap();
    let tm_log = || {
        let read = |n: &str| std::fs::read_to_string(sandbox.path().join(n)).unwrap_or_default();
        format!(
            "--- flink-mesos stderr\n{}\n--- taskmanager.log (tail)\n{}\n--- taskmanager.err\n{}",
            read("flink-mesos.stderr"),
            tail(&read("taskmanager.log"), 40),
            read("taskmanager.err")
        )
    };
    // The wrapper's own work before the JVM: java, BashJavaUtils, config.
    let mut exited_early = None;
    let jvm_started = wait_for(STARTUP, || {
        if let Ok(Some(status)) = tm.try_wait() {
            exited_early = Some(status);
            return Some(None);
        }
        children(tm.id())
            .into_iter()
            .find(|p| cmdline(*p).contains("TaskManagerRunner"))
            .map(Some)
    })
    .flatten()
    .map(|_| tm_started.elapsed());
    if let Some(status) = exited_early {
        panic!(
            "flink-mesos taskmanager exited before starting the JVM ({status})\n{}",
            tm_log()
        );
    }
    let registered = wait_for(STARTUP, || {
        let (_, body) = http_get(rest, "/taskmanagers")?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        v["taskmanagers"]
            .as_array()?
            .iter()
            .find(|t| t["id"] == "taskmanager-00001" && t["slotsNumber"] == 1)
            .cloned()
    });
    let Some(registered) = registered else {
        let _ = tm.kill();
        panic!(
            "the TaskManager did not register\n{}\n{}",
            tm_log(),
            jm.log()
        );
    };
    let tm_registration = tm_started.elapsed();
    assert_eq!(
        registered["memoryConfiguration"]["totalProcessMemory"],
        512u64 << 20,
        "{registered}"
    );

    // The JVM is the wrapper's child; secrets stay in the 0600 file.
    let jvms = children(tm.id());
    assert_eq!(
        jvms.len(),
        1,
        "one TaskManager JVM under flink-mesos: {jvms:?}"
    );
    let tm_jvm = jvms[0];
    let line = cmdline(tm_jvm);
    assert!(
        line.contains("org.apache.flink.runtime.taskexecutor.TaskManagerRunner"),
        "{line}"
    );
    assert!(
        line.contains("--add-opens=java.base/java.lang=ALL-UNNAMED"),
        "{line}"
    );
    assert!(
        line.contains("-Xmx167772160"),
        "BashJavaUtils' heap for 512m: {line}"
    );
    assert!(
        !line.contains("hunter2"),
        "a secret on the command line: {line}"
    );
    let conf_file = sandbox
        .path()
        .join("flink-conf")
        .join(flink_mesos::flink::conf::file_name(home.version));
    let written = std::fs::read_to_string(&conf_file).unwrap();
    assert!(written.contains("hunter2-not-on-the-command-line"));
    assert!(
        written.contains("taskmanager.resource-id: 'taskmanager-00001'")
            || written.contains("taskmanager.resource-id: taskmanager-00001"),
        "{written}"
    );
    assert!(!written.contains("mesos.resourcemanager"), "{written}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&conf_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(sandbox.path().join("taskmanager.log").exists());

    let idle_rss = (rss_mb(jm.process.pid()), rss_mb(tm_jvm));

    // The TaskManager does real work: a small streaming job runs to FINISHED.
    let job_dir = tempfile::tempdir().unwrap();
    let jar = build_small_job(&home, job_dir.path());
    let job_started = Instant::now();
    let job = submit_jar(rest, &jar, "SmallJob").await;
    let state = wait_job_terminal(rest, &job, STARTUP).await;
    assert_eq!(state, "FINISHED", "job {job}\n{}\n{}", tm_log(), jm.log());
    let job_time = job_started.elapsed();
    let out = std::fs::read_to_string(sandbox.path().join("taskmanager.out")).unwrap_or_default();
    assert!(
        out.contains("20000"),
        "the job's output in taskmanager.out: {out}"
    );

    let jm_rss = rss_mb(jm.process.pid()).unwrap_or(0);
    let tm_rss = rss_mb(tm_jvm).unwrap_or(0);
    let wrapper_rss = rss_mb(tm.id()).unwrap_or(0);
    eprintln!(
        "flink-it: JobManager REST up in {:.1} s; `flink-mesos taskmanager` started the JVM after {:.1} s, registered after {:.1} s; RSS at registration: JobManager {} MB, TaskManager JVM {} MB; after the job: JobManager {jm_rss} MB, TaskManager JVM {tm_rss} MB; flink-mesos taskmanager {wrapper_rss} MB",
        jm_rest_up.as_secs_f64(),
        jvm_started.map_or(f64::NAN, |d| d.as_secs_f64()),
        tm_registration.as_secs_f64(),
        idle_rss.0.unwrap_or(0),
        idle_rss.1.unwrap_or(0),
    );

    // Mesos stops a task with SIGTERM: passed on, a clean exit with 0.
    let stop = Instant::now();
    // SAFETY: signalling a child this test started and has not reaped.
    unsafe { libc::kill(tm.id() as libc::pid_t, libc::SIGTERM) };
    let status = wait_exit(&mut tm, Duration::from_secs(30));
    let Some(status) = status else {
        let _ = tm.kill();
        panic!(
            "flink-mesos taskmanager did not exit after SIGTERM\n{}",
            tm_log()
        );
    };
    assert_eq!(status.code(), Some(0), "{}", tm_log());
    assert!(
        !Path::new(&format!("/proc/{tm_jvm}")).exists()
            || std::fs::read_to_string(format!("/proc/{tm_jvm}/stat"))
                .is_ok_and(|s| s.contains(") Z")),
        "the TaskManager JVM outlived its wrapper"
    );
    eprintln!(
        "flink-it: small job submitted and FINISHED in {:.1} s",
        job_time.as_secs_f64()
    );
    eprintln!(
        "flink-it: TaskManager stopped {:.1} s after SIGTERM",
        stop.elapsed().as_secs_f64()
    );

    // A wrapper killed outright (SIGKILL) takes its JVM with it.
    let mut tm = taskmanager_command(&bin, &home.root, sandbox.path(), &props)
        .arg("--output-files")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let jvm = wait_for(STARTUP, || {
        if let Ok(Some(status)) = tm.try_wait() {
            panic!("the second flink-mesos taskmanager exited early: {status}");
        }
        children(tm.id())
            .into_iter()
            .find(|p| cmdline(*p).contains("TaskManagerRunner"))
    })
    .expect("the second TaskManager JVM did not start");
    tm.kill().unwrap();
    tm.wait().unwrap();
    let gone = wait_for(Duration::from_secs(30), || {
        let stat = std::fs::read_to_string(format!("/proc/{jvm}/stat")).unwrap_or_default();
        (stat.is_empty() || stat.contains(") Z")).then_some(())
    });
    assert!(gone.is_some(), "the JVM outlived its SIGKILLed wrapper");

    jm.process.terminate().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), jm.process.wait())
        .await
        .expect("the JobManager did not stop on SIGTERM")
        .unwrap();
    assert!(status.stopped_by(libc::SIGTERM), "JobManager: {status}");
}

/// A run of `flink-mesos taskmanager` that must fail before a JVM starts.
fn failing_run(
    bin: &PinnedBinary,
    home: &Path,
    extra_env: &[(&str, &str)],
    props: &str,
) -> (i32, String) {
    let sandbox = tempfile::tempdir().unwrap();
    let mut c = taskmanager_command(bin, home, sandbox.path(), props);
    for (k, v) in extra_env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn taskmanager_errors_have_distinct_exit_codes() {
    let bin = pin_binary();
    let home = flink_home();
    // FLINK_HOME unusable: 3.
    let (code, err) = failing_run(&bin, Path::new("/nonexistent/flink"), &[], "");
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("unusable Flink distribution: /nonexistent/flink"),
        "{err}"
    );
    assert!(err.contains("scripts/fetch-flink.sh"), "{err}");
    // No java: 4.
    let (code, err) = failing_run(
        &bin,
        &home.root,
        &[("PATH", "/nonexistent"), ("JAVA_HOME", "")],
        "",
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("cannot find java"), "{err}");
    // Memory that cannot fit (Flink's own calculation, checked before the
    // JVM starts): 5, with the reason.
    let (code, err) = failing_run(
        &bin,
        &home.root,
        &[],
        "taskmanager.memory.process.size: 300m\n",
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("the TaskManager memory does not fit"), "{err}");
    assert!(
        err.contains("JVM metaspace (256 MB) and JVM overhead (192 MB) alone exceed the process memory (300 MB)"),
        "{err}"
    );
    // ... or flink-mesos' own check against the Mesos container: also 5.
    let (code, err) = failing_run(
        &bin,
        &home.root,
        &[],
        "mesos.resourcemanager.tasks.mem: 1024\ntaskmanager.memory.process.size: 1728m\n",
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("larger than the Mesos container"), "{err}");
    // A failing bootstrap command stops the worker before the JVM.
    let (code, err) = failing_run(
        &bin,
        &home.root,
        &[],
        "mesos.resourcemanager.tasks.bootstrap-cmd: exit 3\n",
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the bootstrap command"), "{err}");
    // The bootstrap command runs first and may install Flink into the
    // sandbox, where it is found (then java is missing: 4, not 3; the PATH
    // has only what the bootstrap command needs).
    let tools = tempfile::tempdir().unwrap();
    for tool in ["sh", "ln"] {
        std::os::unix::fs::symlink(format!("/bin/{tool}"), tools.path().join(tool)).unwrap();
    }
    let (code, err) = failing_run(
        &bin,
        Path::new(""),
        &[
            ("HOME", "/nonexistent"),
            ("FLINK_MESOS_CACHE", "/nonexistent"),
            ("PATH", tools.path().to_str().unwrap()),
            ("JAVA_HOME", ""),
        ],
        &format!(
            "mesos.resourcemanager.tasks.bootstrap-cmd: ln -s {} flink\n",
            home.root.display()
        ),
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("cannot find java"), "{err}");
    // Without it, nothing is found: 3.
    let (code, err) = failing_run(
        &bin,
        Path::new(""),
        &[
            ("HOME", "/nonexistent"),
            ("FLINK_MESOS_CACHE", "/nonexistent"),
        ],
        "",
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("FLINK_HOME is not set"), "{err}");
}

#[test]
fn taskmanager_dry_run_prints_the_command_without_secrets() {
    let bin = pin_binary();
    let home = flink_home();
    let sandbox = tempfile::tempdir().unwrap();
    let out = taskmanager_command(
        &bin,
        &home.root,
        sandbox.path(),
        "taskmanager.memory.process.size: 1g\nsecurity.ssl.keystore-password: hunter2\nmesos.resourcemanager.tasks.bootstrap-cmd: touch bootstrapped\n",
    )
    .args(["--dry-run", "-q"])
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("# Flink 2.3.0 TaskManager; configuration "),
        "{header}"
    );
    let command = lines.next().unwrap();
    assert!(
        command.contains(" org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "),
        "{command}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
    let written = std::fs::read_to_string(sandbox.path().join("flink-conf/config.yaml")).unwrap();
    assert!(written.contains("security.ssl.keystore-password: 'hunter2'"));
    // A dry run has no side effects beyond the sandbox's configuration.
    assert!(!sandbox.path().join("bootstrapped").exists());
}

/// Mesos' Docker containerizer starts a task in the image's `WORKDIR`, not
/// in the sandbox: the paths the appmaster ships relative to the sandbox
/// (`FLINK_CONF_DIR=flink-mesos-conf`, `HADOOP_CONF_DIR=hadoop-conf`,
/// `FLINK_HOME=flink`) are found through `$MESOS_SANDBOX` (issue 27).
#[test]
fn taskmanager_finds_shipped_paths_in_the_sandbox_from_another_working_directory() {
    let bin = pin_binary();
    let home = flink_home();
    let sandbox = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(sandbox.path().join("flink-mesos-conf")).unwrap();
    std::fs::write(
        sandbox.path().join("flink-mesos-conf/config.yaml"),
        "taskmanager.numberOfTaskSlots: 3\n",
    )
    .unwrap();
    std::fs::create_dir_all(sandbox.path().join("hadoop-conf")).unwrap();
    std::os::unix::fs::symlink(&home.root, sandbox.path().join("flink")).unwrap();
    let out = taskmanager_command(
        &bin,
        Path::new(""),
        sandbox.path(),
        "taskmanager.memory.process.size: 1g\ncontainerized.taskmanager.env.FOO: bar\ncontainerized.taskmanager.env.MY_TOKEN: hunter2\n",
    )
    .current_dir(workdir.path())
    .env("FLINK_CONF_DIR", "flink-mesos-conf")
    .env("HADOOP_CONF_DIR", "hadoop-conf")
    .env("FLINK_HOME", "flink")
    .args(["--dry-run", "-q", "--output", "json"])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let written = std::fs::read_to_string(sandbox.path().join("flink-conf/config.yaml")).unwrap();
    assert!(
        written.contains("taskmanager.numberOfTaskSlots: '3'"),
        "{written}"
    );
    assert!(
        doc["env"]["FLINK_HOME"]
            .as_str()
            .unwrap()
            .starts_with(sandbox.path().to_str().unwrap()),
        "{doc}"
    );
    // containerized.taskmanager.env.* reach the TaskManager JVM; a secret
    // one is not printed.
    assert_eq!(doc["env"]["FOO"], "bar", "{doc}");
    assert!(doc["env"]["MY_TOKEN"].is_string(), "{doc}");
    assert!(!doc.to_string().contains("hunter2"), "{doc}");
    // Nothing landed in the image's working directory.
    assert_eq!(std::fs::read_dir(workdir.path()).unwrap().count(), 0);
}
