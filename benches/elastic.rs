//! What growing on demand costs a job, on a genuine Mesos 1.11 with real
//! Flink, side by side in one run (issue 20's benchmark):
//!
//! * **grow**: a session cluster with 1 TaskManager (1 slot) receives a job
//!   of parallelism `N` (default 8): the appmaster must add `N - 1` workers;
//! * **ready**: the same job on a cluster that already has `N` TaskManagers
//!   (the limit: nothing to grow).
//!
//! Each is timed from the job's submission to all of its tasks RUNNING (or
//! beyond), polled every 50 ms on `/jobs/overview`; the ratio grow / ready
//! and the difference are printed, next to the TaskManager start time (the
//! appmaster's "launching worker" log line → the last one registered) that
//! growth cannot avoid: the goal is difference ≤ start time + 2 s. Then, for
//! the grown cluster, from the job's end to the extra workers' resources
//! being back with Mesos (no task of theirs running in the master's state),
//! with `resourcemanager.taskmanager-timeout` = 2 s, printed with and
//! without that timeout.
//!
//! Run: `cargo bench --bench elastic` (`FLINK_MESOS_BENCH_N`,
//! `FLINK_MESOS_BENCH_ROUNDS` to change the size and the rounds).

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
#[allow(dead_code)]
#[path = "../tests/it/support/netns.rs"]
mod netns;

use flink::http_get;
use mesos_local::MesosLocal;

const BIN: &str = env!("CARGO_BIN_EXE_flink-mesos");
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);

fn registered(rest_port: u16) -> usize {
    let Some((200, body)) = http_get(rest_port, "/taskmanagers") else {
        return 0;
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["taskmanagers"].as_array().map_or(0, Vec::len)
}

fn wait(what: &str, timeout: Duration, log: &Path, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        if Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}; appmaster log:\n{}",
                flink::tail(&std::fs::read_to_string(log).unwrap_or_default(), 30)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The RFC 3339 timestamps (as epoch seconds) of the appmaster's log lines
/// containing `needle`.
fn logged(log: &Path, needle: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains(needle))
        .filter_map(|l| parse_rfc3339(l.split_whitespace().next()?))
        .collect()
}

struct Round {
    /// Submission → all tasks RUNNING.
    to_running: f64,
    /// First "launching worker" → the `n`-th TaskManager registered: for
    /// grow, of the workers the job's demand added; for ready, of the `n`
    /// launched at the cluster's start (the same launch, at start).
    tm_start: Option<f64>,
    /// Job end → the extra workers' tasks gone from Mesos (grow only).
    to_released: Option<f64>,
}

fn round(rt: &tokio::runtime::Runtime, n: u32, grow: bool) -> Round {
    let mesos = MesosLocal::start(&[(
        "MESOS_RESOURCES",
        "cpus:16;mem:16384;disk:10240;ports:[31000-32000]",
    )]);
    let home = flink::flink_home();
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("flink-mesos");
    std::fs::copy(BIN, &bin).expect("copy binary");
    let job = flink::build_small_job(&home, dir.path());
    let (rpc, rest) = (free_port(), free_port());
    let log = dir.path().join("appmaster.log");
    let initial = if grow { 1 } else { n };
    let mut args = vec![
        "appmaster".to_string(),
        format!("-Dmesos.master={}", mesos.url.trim_start_matches("http://")),
        format!("-Dmesos.initial-tasks={initial}"),
        "-Dtaskmanager.numberOfTaskSlots=1".into(),
        format!(
            "-Dresourcemanager.taskmanager-timeout={} ms",
            IDLE_TIMEOUT.as_millis()
        ),
        "-Dmesos.resourcemanager.tasks.cpus=0.2".into(),
        "-Dmesos.resourcemanager.tasks.mem=600".into(),
        format!(
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd={} taskmanager --flink-home {}",
            bin.display(),
            home.root.display()
        ),
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
    let _am = Killed(
        Command::new(&bin)
            .args(&args)
            .current_dir(dir.path())
            .env_remove("FLINK_CONF_DIR")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("appmaster"),
    );
    wait(
        "the initial TaskManagers",
        Duration::from_secs(240),
        &log,
        || registered(rest) == initial as usize,
    );
    let started_all = now();
    let start_launch = logged(&log, "launching worker")
        .first()
        .map(|first| started_all - first);
    // Let the cluster settle (no launch in flight) before the clock starts.
    std::thread::sleep(Duration::from_secs(2));
    let base = format!("http://127.0.0.1:{rest}");
    let submitted = now();
    let job_id = rt.block_on(flink::submit_jar_with(&base, &job, "SmallJob", Some(n)));
    let mut ran_at = None;
    let mut registered_at = None;
    let mut ended_at = None;
    wait("the job to end", Duration::from_secs(300), &log, || {
        let Some((200, body)) = http_get(rest, &format!("/jobs/{job_id}")) else {
            return false;
        };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let total: u64 = v["vertices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| x["parallelism"].as_u64().unwrap_or(0))
            .sum();
        let started: u64 = v["vertices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                ["RUNNING", "FINISHED"]
                    .iter()
                    .map(|s| x["tasks"][*s].as_u64().unwrap_or(0))
                    .sum::<u64>()
            })
            .sum();
        if ran_at.is_none() && total > 0 && started >= total {
            ran_at = Some(now());
        }
        if registered_at.is_none() && registered(rest) >= n as usize {
            registered_at = Some(now());
        }
        if v["state"] == "FINISHED" || v["state"] == "FAILED" {
            ended_at = Some(now());
            assert_eq!(v["state"], "FINISHED", "{v}");
            return true;
        }
        false
    });
    let ended_at = ended_at.unwrap();
    let to_running = ran_at.unwrap_or(ended_at) - submitted;
    if !grow {
        return Round {
            to_running,
            tm_start: start_launch,
            to_released: None,
        };
    }
    let launches: Vec<f64> = logged(&log, "launching worker")
        .into_iter()
        .filter(|t| *t >= submitted)
        .collect();
    // The last registration: when `n` were first registered (polled while
    // the job ran).
    let tm_start = launches
        .first()
        .map(|first| registered_at.or(ran_at).unwrap_or(ended_at) - first);
    wait(
        "the extra workers back with Mesos",
        Duration::from_secs(120),
        &log,
        || rt.block_on(mesos.running_tasks()) == 1,
    );
    Round {
        to_running,
        tm_start,
        to_released: Some(now() - ended_at),
    }
}

fn main() {
    let n: u32 = std::env::var("FLINK_MESOS_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let rounds: usize = std::env::var("FLINK_MESOS_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "elastic: a parallelism-{n} job, 1 → {n} TaskManagers (grow) vs {n} already there (ready)"
    );
    println!(
        "{:>5} {:>10} {:>10} {:>7} {:>10} {:>12} {:>14} {:>12} {:>14}",
        "round",
        "ready s",
        "grow s",
        "ratio",
        "extra s",
        "TM start s",
        "released s",
        "launch at start s",
        "growth/start launch"
    );
    let mut ratios = Vec::new();
    let mut launch_ratios = Vec::new();
    for r in 1..=rounds {
        let ready = round(&rt, n, false);
        let grow = round(&rt, n, true);
        let ratio = grow.to_running / ready.to_running.max(0.001);
        ratios.push(ratio);
        // The growth's launch of n - 1 workers against the launch of n at
        // the start of a cluster (issue 28: growth no slower than start).
        let launch_ratio = grow
            .tm_start
            .zip(ready.tm_start)
            .map(|(g, s)| g / s.max(0.001));
        launch_ratios.extend(launch_ratio);
        println!(
            "{:>5} {:>10.2} {:>10.2} {:>7.2} {:>10.2} {:>12} {:>14} {:>12} {:>14}",
            r,
            ready.to_running,
            grow.to_running,
            ratio,
            grow.to_running - ready.to_running,
            grow.tm_start
                .map(|s| format!("{s:.2}"))
                .unwrap_or_else(|| "-".into()),
            grow.to_released
                .map(|s| format!(
                    "{s:.2} ({:.2} past the idle timeout)",
                    s - IDLE_TIMEOUT.as_secs_f64()
                ))
                .unwrap_or_else(|| "-".into()),
            ready
                .tm_start
                .map(|s| format!("{s:.2}"))
                .unwrap_or_else(|| "-".into()),
            launch_ratio
                .map(|r| format!("{r:.2}"))
                .unwrap_or_else(|| "-".into()),
        );
    }
    launch_ratios.sort_by(|a, b| a.total_cmp(b));
    if let Some(median) = launch_ratios.get(launch_ratios.len() / 2) {
        println!("median growth launch / start launch: {median:.2}; goal (issue 28): ≤ 1.0");
    }
    ratios.sort_by(|a, b| a.total_cmp(b));
    println!(
        "median ratio grow/ready: {:.2}; goal: extra ≤ TaskManager start + 2 s",
        ratios[ratios.len() / 2]
    );
}
