//! Time from ACCEPT to a TaskManager registered with the JobManager, with
//! the Flink distribution served by the artifact server (the default) and
//! with a distribution already on the agent (`--flink-home` in the task
//! command), in the same run, on a genuine Mesos 1.11 whose agent has a bare
//! environment. Prints numbers, asserts nothing.
//!
//! For each mode the appmaster starts with one TaskManager; once it is
//! registered (the JobManager is up), the TaskManager's process is killed
//! `REPLACEMENTS` times and each replacement is timed from the appmaster's
//! "launching worker" log line (the ACCEPT) to its id appearing in the
//! JobManager's `/taskmanagers` (polled every 50 ms). The first worker is
//! timed too, but it may wait for the JobManager and, when served, fills the
//! agent's fetcher cache.
//!
//! Run: `cargo bench --bench worker_start`

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{free_port, now, parse_rfc3339, Killed};

#[allow(dead_code)]
#[path = "../tests/it/support/flink.rs"]
mod flink;
#[allow(dead_code)]
#[path = "../tests/it/support/mesos_local.rs"]
mod mesos_local;
// The multi-host topology the harnesses can run on (unused here).
#[allow(dead_code)]
#[path = "../tests/it/support/netns.rs"]
mod netns;

use flink::{cmdline, http_get};
use mesos_local::MesosLocal;

const BIN: &str = env!("CARGO_BIN_EXE_flink-mesos");
const REPLACEMENTS: usize = 3;

/// When the appmaster logged the launch of `task_id`.
fn launched_at(log: &Path, task_id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text
        .lines()
        .find(|l| l.contains("launching worker") && l.contains(&format!("task_id={task_id}")))?;
    parse_rfc3339(line.split_whitespace().next()?)
}

fn registered(rest_port: u16) -> Vec<String> {
    let Some((200, body)) = http_get(rest_port, "/taskmanagers") else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["taskmanagers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for `task_id` to register; returns the wall-clock time it was seen.
fn wait_registered(rest_port: u16, task_id: &str, log: &Path, mesos: &MesosLocal) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if registered(rest_port).iter().any(|id| id == task_id) {
            return now();
        }
        if Instant::now() > deadline {
            let sandbox = mesos.sandbox(task_id);
            let read = |name: &str| {
                sandbox
                    .as_ref()
                    .and_then(|s| std::fs::read_to_string(s.join(name)).ok())
                    .unwrap_or_default()
            };
            panic!(
                "{task_id} did not register; appmaster log:\n{}\ntask stderr:\n{}\nTaskManager log:\n{}",
                flink::tail(&std::fs::read_to_string(log).unwrap_or_default(), 30),
                flink::tail(&read("stderr"), 30),
                flink::tail(&read("taskmanager.log"), 40)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn task_process(task_id: &str) -> Option<u32> {
    let wanted = format!("FLINK_MESOS_TASK_ID={task_id}");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
        let has_id = environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes());
        (has_id && cmdline(pid).contains("TaskManagerRunner")).then_some(pid)
    })
}

/// (first worker, replacements) in seconds from ACCEPT to registered.
fn run(mesos: &MesosLocal, served: bool) -> (f64, Vec<f64>) {
    let home = flink::flink_home();
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("flink-mesos");
    std::fs::copy(BIN, &bin).expect("copy binary");
    let (rpc, rest) = (free_port(), free_port());
    let log = dir.path().join("appmaster.log");
    let mut args = vec![
        "appmaster".to_string(),
        format!("-Dmesos.master={}", mesos.url.trim_start_matches("http://")),
        "-Dmesos.initial-tasks=1".into(),
        "-Dmesos.maximum-failed-tasks=-1".into(),
        "-Dmesos.resourcemanager.tasks.cpus=0.5".into(),
        "-Djobmanager.rpc.address=127.0.0.1".into(),
        format!("-Djobmanager.rpc.port={rpc}"),
        format!("-Drest.port={rest}"),
        "-Djobmanager.memory.process.size=512m".into(),
        "-Djobmanager.memory.jvm-metaspace.size=128m".into(),
        "-Djobmanager.memory.jvm-overhead.min=64m".into(),
    ];
    for (k, v) in flink::small_taskmanager() {
        args.push(format!("-D{k}={v}"));
    }
    if !served {
        args.push(format!(
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd={} taskmanager --flink-home {}",
            bin.display(),
            home.root.display()
        ));
    }
    let _am = Killed(
        Command::new(&bin)
            .args(&args)
            .current_dir(dir.path())
            .env("FLINK_HOME", &home.root)
            .env_remove("FLINK_CONF_DIR")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("appmaster"),
    );
    let seen = wait_registered(rest, "taskmanager-00001", &log, mesos);
    let first = seen - launched_at(&log, "taskmanager-00001").unwrap_or(seen);
    let mut replacements = Vec::new();
    for n in 0..REPLACEMENTS {
        let victim = format!("taskmanager-{:05}", n + 1);
        let next = format!("taskmanager-{:05}", n + 2);
        let pid = flink::wait_for(Duration::from_secs(30), || task_process(&victim))
            .expect("the TaskManager JVM");
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        let seen = wait_registered(rest, &next, &log, mesos);
        let accepted = launched_at(&log, &next).expect("launch logged");
        replacements.push(seen - accepted);
    }
    (first, replacements)
}

fn main() {
    let mesos = MesosLocal::start_bare(&[(
        "MESOS_RESOURCES",
        "cpus:2;mem:3072;disk:10240;ports:[31000-32000]",
    )]);
    let mut lines = Vec::new();
    for served in [true, false] {
        let (first, reps) = run(&mesos, served);
        let mut sorted = reps.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let median = sorted[sorted.len() / 2];
        let what = if served {
            "distribution served by the artifact server"
        } else {
            "distribution pre-installed on the agent"
        };
        lines.push((what, first, median, reps));
    }
    for (what, first, median, reps) in &lines {
        println!(
            "worker_start: {what}: ACCEPT -> registered, first worker {first:.2} s, replacements median {median:.2} s ({})",
            reps.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
        );
    }
    println!(
        "worker_start: ratio served / pre-installed (replacement medians): {:.2}",
        lines[0].2 / lines[1].2
    );
}
