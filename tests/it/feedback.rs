//! Failures say why, where the operator is looking (issue 23), against a
//! genuine Mesos 1.11 master and agent: demand that no offer can satisfy
//! (memory no agent has, a role without resources, a constraint no agent
//! meets) is a WARN, a `/status` entry and a metric within seconds, while
//! `/health` stays 200, and `workers scale` fails at once with the reason
//! instead of waiting out its timeout.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::appmaster::Appmaster;
use crate::support::mesos_local::MesosLocal;

/// Workers wait 20 s with no fitting offer before the demand counts as
/// unsatisfiable; the test allows three times that.
const UNSATISFIABLE_WITHIN: Duration = Duration::from_secs(60);

fn start(mesos: &MesosLocal, work_dir: &std::path::Path, extra: &[&str]) -> Appmaster {
    let work = format!("--work-dir={}", work_dir.display());
    let mut args = vec![
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 600",
        "-Dmesos.failover-timeout=60",
        work.as_str(),
    ];
    args.extend_from_slice(extra);
    Appmaster::spawn_in_temp_dir(Appmaster::command(), mesos, &args)
}

async fn unsatisfiable(am: &Appmaster) -> (Value, Duration) {
    let t = Instant::now();
    let v = am
        .wait_status_for(
            "unsatisfiable demand in /status",
            UNSATISFIABLE_WITHIN,
            |v| v["unsatisfiable"]["reason"].is_string(),
        )
        .await;
    (v, t.elapsed())
}

async fn get(url: String) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_no_agent_has_is_warned_shown_in_status_and_metrics_and_fails_workers_scale() {
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let work_dir = dir.path().join("am");
    let am = start(
        &mesos,
        &work_dir,
        &["-Dmesos.resourcemanager.tasks.mem=999999"],
    );
    let (v, took) = unsatisfiable(&am).await;
    eprintln!("numbers: unsatisfiable demand in /status after {took:?}");
    let reason = v["unsatisfiable"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "a worker needs 999999 MB of mem but the largest offer had 4096 MB of mem (from 127.0.0.1)"
        ),
        "{reason}"
    );
    assert!(
        reason.contains("lower mesos.resourcemanager.tasks.mem"),
        "{reason}"
    );
    assert_eq!(v["unsatisfiable"]["pending"], 1, "{v:#}");
    // The log says the same, as a WARN.
    am.wait_stderr("demand cannot be satisfied: 1 worker waits and no offer fitted")
        .await;
    assert!(am.stderr().contains("WARN"), "{}", am.stderr());
    // The metrics too; the appmaster itself is healthy.
    let (_, metrics) = get(format!("{}/metrics", am.base)).await;
    assert!(
        metrics.contains("flink_mesos_demand_unsatisfiable 1\n"),
        "{metrics}"
    );
    let (health, body) = get(format!("{}/health", am.base)).await;
    assert_eq!(health, 200, "{body}");

    // `workers scale 2` fails at once with the reason, not after its timeout.
    let t = Instant::now();
    let out = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .args(["workers", "scale", "2", "--appmaster", &am.base])
        .args(["--timeout", "5 min"])
        .arg("--work-dir")
        .arg(&work_dir)
        .current_dir(dir.path())
        .env_remove("FLINK_MESOS_ADMIN_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let took = t.elapsed();
    eprintln!("numbers: workers scale failed after {took:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the workers cannot be placed")
            && stderr.contains("the largest offer had 4096 MB of mem"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(60), "waited {took:?}: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_resources_says_that_no_offer_arrives_for_it() {
    // Everything the agent has is reserved for another role.
    let mesos = MesosLocal::start(&[(
        "MESOS_RESOURCES",
        "cpus(other):4;mem(other):4096;disk(other):1024",
    )]);
    let dir = tempfile::tempdir().unwrap();
    let am = start(
        &mesos,
        &dir.path().join("am"),
        &["-Dmesos.resourcemanager.framework.role=flink"],
    );
    let (v, took) = unsatisfiable(&am).await;
    eprintln!("numbers: a role without offers in /status after {took:?}");
    let reason = v["unsatisfiable"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("no offer arrived in")
            && reason.contains("for role `flink` (mesos.resourcemanager.framework.role)"),
        "{reason}"
    );
    am.wait_stderr("for role `flink`").await;
    let (health, body) = get(format!("{}/health", am.base)).await;
    assert_eq!(health, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_constraint_no_agent_meets_names_the_values_the_agents_have() {
    let mesos = MesosLocal::start(&[("MESOS_ATTRIBUTES", "rack:r1")]);
    let dir = tempfile::tempdir().unwrap();
    let am = start(
        &mesos,
        &dir.path().join("am"),
        &["-Dmesos.constraints.hard.hostattribute=rack:r9"],
    );
    let (v, took) = unsatisfiable(&am).await;
    eprintln!("numbers: an unmet constraint in /status after {took:?}");
    let reason = v["unsatisfiable"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "no agent meets the constraint rack:r9 (mesos.constraints.hard.hostattribute); \
             the values of `rack` seen: `r1` on 127.0.0.1"
        ),
        "{reason}"
    );
}

/// A TaskManager whose memory does not fit: the cause `flink-mesos
/// taskmanager` printed in the sandbox reaches the appmaster's WARN,
/// `/status` `failures.last` and its exit message, not just "Command exited
/// with status 5".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taskmanager_that_cannot_start_carries_its_cause_to_the_appmaster() {
    let home = crate::support::flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // A private copy: other builds may replace target/debug/flink-mesos.
    let tm_bin = dir.path().join("flink-mesos");
    std::fs::copy(assert_cmd::cargo::cargo_bin("flink-mesos"), &tm_bin).unwrap();
    let cmd = format!(
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd={} taskmanager --flink-home {}",
        tm_bin.display(),
        home.root.display()
    );
    let t = Instant::now();
    let mut am = Appmaster::spawn_in_temp_dir(
        Appmaster::command(),
        &mesos,
        &[
            cmd.as_str(),
            "-Dmesos.failover-timeout=60",
            "-Dmesos.maximum-failed-tasks=1",
            "-Dmesos.resourcemanager.tasks.mem=600",
            "-Djobmanager.rpc.address=127.0.0.1",
            "-Dtaskmanager.memory.process.size=512m",
            "-Dtaskmanager.memory.framework.heap.size=1g",
        ],
    );
    let status = am.wait_exit().await;
    let took = t.elapsed();
    eprintln!("numbers: the appmaster gave up with the cause after {took:?}");
    let stderr = am.stderr();
    assert!(!status.success(), "{stderr}");
    let last = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default()
        .to_string();
    eprintln!("numbers: the exit message: {last}");
    assert!(
        last.contains(
            "Last failure: worker taskmanager-00002 TASK_FAILED: Command exited with status 5: "
        ),
        "{stderr}"
    );
    assert!(
        // Flink's own words, or flink-mesos' memory check that runs first.
        last.contains("Framework Heap") || last.contains("framework heap (1024 MB)"),
        "the cause names the memory that does not fit: {last}"
    );
    // The WARN of each failed worker carries it too.
    assert!(
        stderr.lines().any(|l| l.contains("WARN")
            && l.contains("task ended")
            && l.contains("Command exited with status 5: ")),
        "{stderr}"
    );
}

/// `rest.port` held by another process: the appmaster names the port and
/// the key and exits 1 before starting a JobManager that would die on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_rest_port_is_named_and_ends_the_appmaster_at_once() {
    let home = crate::support::flink::flink_home();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let master = mesos.url.trim_start_matches("http://").to_string();
    let t = Instant::now();
    let out = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .args(["appmaster", "--status-bind", "127.0.0.1", "--flink-home"])
        .arg(&home.root)
        .arg("--work-dir")
        .arg(dir.path().join("am"))
        .arg(format!("-Dmesos.master={master}"))
        .arg(format!("-Drest.port={port}"))
        .args([
            "-Drest.bind-address=127.0.0.1",
            "-Djobmanager.bind-host=127.0.0.1",
            "-Djobmanager.rpc.address=127.0.0.1",
            "-Djobmanager.rpc.port=0",
            "-Dmesos.failover-timeout=60",
        ])
        .current_dir(dir.path())
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let took = t.elapsed();
    eprintln!("numbers: a taken rest.port ended the appmaster after {took:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the JobManager cannot listen on 127.0.0.1:{port} (rest.port)"
        )),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(60), "{took:?}: {stderr}");
    assert!(!stderr.contains("restarting it"), "{stderr}");
    drop(holder);
}

/// Two appmasters of one cluster without high availability: the second
/// one is told about the first at subscribe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_framework_with_the_same_name_and_role_is_warned_about() {
    let mesos = MesosLocal::start(&[]);
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = start(&mesos, &d1.path().join("am"), &[]);
    let v = first
        .wait_status("the first appmaster subscribed", |v| v["connected"] == true)
        .await;
    let first_id = v["framework_id"].as_str().unwrap().to_string();
    let t = Instant::now();
    let second = start(&mesos, &d2.path().join("am"), &[]);
    second
        .wait_stderr("another active framework named `Flink` with role `*`")
        .await;
    eprintln!("numbers: the namesake warning after {:?}", t.elapsed());
    assert!(second.stderr().contains(&first_id), "{}", second.stderr());
    assert!(
        !first.stderr().contains("another active framework"),
        "{}",
        first.stderr()
    );
}

/// A master address where nothing listens: a WARN naming the address and
/// what to check (not "lost the Mesos master"), repeated with backoff, and
/// `/health` 503 after its documented limit with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_address_where_nothing_listens_is_named_and_fails_health() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::support::free_port();
    let stderr_path = dir.path().join("stderr");
    let t = Instant::now();
    let mut child = Appmaster::command()
        .current_dir(dir.path())
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env_remove("FLINK_MESOS_MASTER")
        .env("NO_COLOR", "1")
        .args(["--no-jobmanager", "--status-bind", "127.0.0.1"])
        .arg(format!("-Dmesos.master=127.0.0.1:{port}"))
        .arg("-Dmesos.failover-timeout=10")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let (_stdout, base) = crate::support::status_base(&mut child, &stderr_path);
    let read = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !read().contains("cannot reach the Mesos master") {
        assert!(Instant::now() < deadline, "{}", read());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "numbers: the unreachable master named after {:?}",
        t.elapsed()
    );
    let text = read();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("check mesos.master"), "{text}");
    assert!(!text.contains("lost the Mesos master"), "{text}");
    // /health: 503 once 5 s (half of the failover timeout) have passed.
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let (code, body) = get(format!("{base}/health")).await;
        if code == 503 {
            break body;
        }
        assert!(Instant::now() < deadline, "/health {code}: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("numbers: /health 503 after {:?}", t.elapsed());
    assert!(body.contains("not subscribed to a Mesos master"), "{body}");
    let _ = child.kill();
    let _ = child.wait();
}
