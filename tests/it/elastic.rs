//! Workers follow demand, end to end (issue 20): `flink-mesos appmaster`
//! with its JobManager on a genuine Mesos 1.11 master and agent. A session
//! cluster of one 1-slot TaskManager receives a parallelism-3 job: it grows
//! to 3 TaskManagers by itself and the job finishes; once they are idle for
//! `resourcemanager.taskmanager-timeout` the cluster is back to 1 worker, in
//! Mesos and in Flink, without a failure; a scale request without the admin
//! token changes nothing; `flink-mesos workers scale 2` (with the token the
//! appmaster wrote to its work dir) brings it to 2, and it stays there idle.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::flink_on_mesos::{
    appmaster_args, registered, spawn_appmaster, terminate_and_wait_success, wait_registered,
};
use crate::support::flink::{self, build_small_job, submit_jar_with, wait_job_terminal};
use crate::support::free_port;
use crate::support::mesos_local::MesosLocal;

const IDLE_TIMEOUT_SECS: u64 = 5;

async fn status(base: &str) -> Value {
    let body = reqwest::get(format!("{base}/status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    serde_json::from_str(&body).unwrap()
}

fn count(v: &Value, state: &str) -> usize {
    v["workers"][state].as_array().map_or(0, Vec::len)
}

/// Waits until `ok` holds for the appmaster's status, Mesos and Flink.
async fn wait_for(
    what: &str,
    timeout: Duration,
    stderr: &std::path::Path,
    mut ok: impl AsyncFnMut() -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !ok().await {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\nappmaster stderr:\n{}",
            flink::tail(&std::fs::read_to_string(stderr).unwrap_or_default(), 40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cluster_grows_for_a_job_shrinks_when_idle_and_scales_with_the_token() {
    let home = flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let job = build_small_job(&home, dir.path());
    let (rpc_port, rest_port) = (free_port(), free_port());
    let bin = assert_cmd::cargo::cargo_bin("flink-mesos");
    let tm_bin = dir.path().join("flink-mesos");
    std::fs::copy(&bin, &tm_bin).unwrap();
    let stderr_path = dir.path().join("appmaster.stderr");
    let work_dir = dir.path().join("am");
    let mut args = appmaster_args(&mesos, &home, &work_dir, rpc_port, rest_port);
    args.extend([
        "-Dmesos.initial-tasks=1".into(),
        "-Dtaskmanager.numberOfTaskSlots=1".into(),
        format!("-Dresourcemanager.taskmanager-timeout={IDLE_TIMEOUT_SECS} s"),
        format!(
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd={} taskmanager --flink-home {}",
            tm_bin.display(),
            home.root.display()
        ),
    ]);
    let mut guard = spawn_appmaster(&bin, &args, dir.path(), &stderr_path, &[]);
    let child = &mut guard.0;
    let (_stdout, base) = crate::support::status_base(child, &stderr_path);
    wait_registered(
        rest_port,
        "the floor's TaskManager",
        |ids| ids.len() == 1,
        &stderr_path,
    )
    .await;

    // A job that needs 3 slots: the cluster grows by itself and the job runs.
    let rest = format!("http://127.0.0.1:{rest_port}");
    let job_id = submit_jar_with(&rest, &job, "SmallJob", Some(3)).await;
    let ids = wait_registered(
        rest_port,
        "3 TaskManagers for the job",
        |ids| ids.len() == 3,
        &stderr_path,
    )
    .await;
    assert_eq!(
        ids,
        [
            "taskmanager-00001",
            "taskmanager-00002",
            "taskmanager-00003"
        ]
    );
    let grown = status(&base).await;
    let reasons: Vec<&str> = grown["workers"]["running"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(reasons, ["floor", "demand", "demand"], "{grown:#}");
    let state = wait_job_terminal(rest_port, &job_id, Duration::from_secs(180)).await;
    assert_eq!(state, "FINISHED");

    // Idle: back to the floor, in the appmaster, in Mesos and in Flink,
    // released gracefully (not failures, not replaced).
    wait_for(
        "the cluster back at 1 worker",
        Duration::from_secs(120),
        &stderr_path,
        async || {
            let v = status(&base).await;
            count(&v, "running") == 1
                && count(&v, "released") == 0
                && count(&v, "new") == 0
                && registered(rest_port).len() == 1
                && mesos.running_tasks().await == 1
        },
    )
    .await;
    let shrunk = status(&base).await;
    assert_eq!(shrunk["counters"]["released_idle"], 2, "{shrunk:#}");
    assert_eq!(shrunk["failures"]["count"], 0, "{shrunk:#}");
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("flink_mesos_workers_released_idle_total 2"),
        "{metrics}"
    );
    assert!(metrics.contains("flink_mesos_slots_pending 0"), "{metrics}");

    // A change without the admin token is refused and changes nothing.
    let client = reqwest::Client::new();
    for auth in [None, Some("Bearer not-the-token")] {
        let mut request = client
            .post(format!("{base}/workers/scale"))
            .body(r#"{"workers": 5}"#);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let code = request.send().await.unwrap().status().as_u16();
        assert!(code == 401 || code == 403, "{auth:?}: {code}");
    }
    let unchanged = status(&base).await;
    assert_eq!(unchanged["desired_workers"], 1);
    assert_eq!(unchanged["demand"]["floor"], 1);

    // `workers scale 2` with the token from the work dir, as an operator on
    // this host runs it.
    let out = Command::new(&bin)
        .args([
            "workers",
            "scale",
            "2",
            "--appmaster",
            &base,
            "--timeout",
            "3 min",
        ])
        .arg("--work-dir")
        .arg(&work_dir)
        .args(["--output", "json"])
        .current_dir(dir.path())
        .env_remove("FLINK_MESOS_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scaled: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scaled["floor"]["from"], 1, "{scaled}");
    assert_eq!(scaled["floor"]["to"], 2, "{scaled}");
    assert_eq!(scaled["running"], 2, "{scaled}");
    let token = std::fs::read_to_string(work_dir.join("admin-token")).unwrap();
    for text in [
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        std::fs::read_to_string(&stderr_path).unwrap(),
        serde_json::to_string(&status(&base).await).unwrap(),
    ] {
        assert!(
            !text.contains(token.trim()),
            "the admin token leaked: {text}"
        );
    }

    // The floor's workers stay, idle, well past the idle timeout.
    wait_registered(
        rest_port,
        "2 TaskManagers",
        |ids| ids.len() == 2,
        &stderr_path,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3 * IDLE_TIMEOUT_SECS)).await;
    let idle = status(&base).await;
    assert_eq!(count(&idle, "running"), 2, "{idle:#}");
    assert_eq!(count(&idle, "released"), 0, "{idle:#}");
    assert_eq!(registered(rest_port).len(), 2);
    assert!(
        idle["workers"]["running"][0]["idle_seconds"]
            .as_f64()
            .unwrap_or(0.0)
            >= IDLE_TIMEOUT_SECS as f64,
        "{idle:#}"
    );
    assert_eq!(mesos.running_tasks().await, 2);

    terminate_and_wait_success(child, &stderr_path).await;
}
