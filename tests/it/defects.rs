//! Defects found by running the release binary against genuine Mesos the
//! way an operator would (issue 18), each pinned down end to end: a
//! compound TaskManager command runs whole, `/health` follows
//! `mesos.failover-timeout`, and two appmasters never share a work
//! directory.

use std::time::{Duration, Instant};

use crate::support::appmaster::{running_ids, task_pid, Appmaster};
use crate::support::mesos_local::MesosLocal;

/// Whether `pid` is gone (or a zombie nobody reaped yet).
fn gone(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
    state.is_empty() || state.starts_with('Z')
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compound_taskmanager_command_runs_whole_and_ends_with_its_task() {
    let mesos = MesosLocal::start(&[]);
    let mut am = Appmaster::spawn_in_temp_dir(
        Appmaster::command(),
        &mesos,
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.failover-timeout=60",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=echo starting; export MARK=compound-4242; sleep 613",
        ],
    );
    am.wait_status("the worker running", |v| running_ids(v).len() == 1)
        .await;
    // The command's last part runs (with `exec`, `echo` alone ran and the
    // task finished at once, counted as a failure).
    let deadline = Instant::now() + Duration::from_secs(20);
    let pid = loop {
        if let Some(pid) = task_pid("taskmanager-00001", &["sleep", "613"]) {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "no `sleep 613` of taskmanager-00001; stderr:\n{}",
            am.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|v| v == b"MARK=compound-4242"),
        "the export before it took effect"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let v = am.status().await;
    assert_eq!(running_ids(&v), ["taskmanager-00001"], "{v}");
    assert_eq!(v["failures"]["count"], 0, "{v}");
    let sandbox = mesos.sandbox("taskmanager-00001").expect("a sandbox");
    let stdout = std::fs::read_to_string(sandbox.join("stdout")).unwrap_or_default();
    assert!(stdout.contains("starting"), "{stdout}");
    // The task's end reaches every part of the command.
    am.signal("TERM");
    assert!(am.wait_exit().await.success(), "{}", am.stderr());
    let deadline = Instant::now() + Duration::from_secs(15);
    while !gone(pid) {
        assert!(Instant::now() < deadline, "`sleep 613` outlived its task");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_fails_within_half_the_failover_timeout_when_the_master_is_gone() {
    let mesos = MesosLocal::start(&[]);
    let am = Appmaster::spawn_in_temp_dir(
        Appmaster::command(),
        &mesos,
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.failover-timeout=16",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 614",
        ],
    );
    am.wait_status("the worker running", |v| running_ids(v).len() == 1)
        .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let health = || async {
        let r = client
            .get(format!("{}/health", am.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    };
    assert_eq!(health().await.0, 200);
    let gone_at = Instant::now();
    drop(mesos);
    // Mesos would end the workers 16 s after the appmaster lost it: /health
    // must have failed well before, so that a supervisor can restart it.
    let (code, body) = loop {
        let (code, body) = health().await;
        if code != 200 || gone_at.elapsed() > Duration::from_secs(16) {
            break (code, body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let after = gone_at.elapsed();
    assert_eq!(
        code, 503,
        "still healthy {after:?} after the master went away"
    );
    assert!(
        body.contains("not subscribed to a Mesos master") && body.contains("unhealthy after 8s"),
        "{body}"
    );
    assert!(
        after >= Duration::from_secs(7),
        "unhealthy too early: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_appmaster_on_the_same_work_directory_is_refused() {
    let mesos = MesosLocal::start(&[]);
    // Both from the same directory with the default work dir, as an
    // operator would start them.
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "-Dmesos.initial-tasks=1",
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 615",
    ];
    let first = Appmaster::spawn(
        Appmaster::command(),
        dir.path(),
        dir.path().join("first.stderr"),
        &mesos,
        &args,
    );
    first
        .wait_status("the worker running", |v| running_ids(v).len() == 1)
        .await;
    let out = Appmaster::command()
        .current_dir(dir.path())
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .args(["--no-jobmanager", "--status-bind", "127.0.0.1"])
        .arg(format!(
            "-Dmesos.master={}",
            mesos.url.trim_start_matches("http://")
        ))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is in use by another appmaster")
            && stderr.contains(&format!("pid {}", first.child.id())),
        "{stderr}"
    );
    // It registered nothing: one framework only.
    let state = mesos.get_json("/master/state").await;
    let frameworks = state["frameworks"].as_array().map_or(0, Vec::len);
    assert_eq!(frameworks, 1, "{state}");
    // The first one is unharmed.
    let v = first.status().await;
    assert_eq!(running_ids(&v), ["taskmanager-00001"], "{v}");
}

#[test]
fn validate_conf_says_how_a_compound_command_will_run() {
    let run = |cmd: &str| {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
            .current_dir(tempfile::tempdir().unwrap().path())
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_PROPERTIES")
            .env("NO_COLOR", "1")
            .args(["validate-conf", "-Dmesos.master=m:5050"])
            .arg(format!(
                "-Dmesos.resourcemanager.tasks.taskmanager-cmd={cmd}"
            ))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run("echo starting; flink-mesos taskmanager");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(
            "note: `mesos.resourcemanager.tasks.taskmanager-cmd`: a compound shell command"
        ) && out.contains("ok, 0 warning(s)"),
        "{out}"
    );
    let (code, out) = run("flink-mesos taskmanager");
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("note:"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_work_directory_stays_private_under_a_permissive_umask() {
    let mesos = MesosLocal::start(&[]);
    // An existing directory (as a Marathon sandbox is) and umask 000.
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", "umask 000; exec \"$0\" \"$@\""])
        .arg(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .arg("appmaster")
        .env_remove("FLINK_MESOS_FRAMEWORK_SECRET");
    let dir = tempfile::tempdir().unwrap();
    let am = Appmaster::spawn(
        command,
        dir.path(),
        dir.path().join("stderr"),
        &mesos,
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 616",
            "-Dsecurity.ssl.keystore-password=umask-secret",
        ],
    );
    am.wait_status("the worker running", |v| running_ids(v).len() == 1)
        .await;
    use std::os::unix::fs::PermissionsExt;
    let work = dir.path().join("flink-mesos-appmaster");
    let mut seen = 0;
    let mut stack = vec![work.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} is {mode:o}", e.path().display());
            seen += 1;
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    assert!(
        seen >= 3,
        "the lock, artifacts/ and the configuration archive"
    );
}
