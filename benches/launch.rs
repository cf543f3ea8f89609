//! Launch at scale (issue 28): N workers to TASK_RUNNING with
//! `flink-mesos appmaster` next to the reference minimal framework
//! `../shared/mesos-local/launch_bench.py`, on a genuine Mesos 1.11 with
//! several agents. Each round runs the reference on a fresh cluster, then
//! the appmaster on another fresh cluster; the clock starts when the process
//! is spawned and stops when the N-th task is TASK_RUNNING (for the
//! appmaster: the N-th worker in `/status`). Prints the ratio per round and
//! the median, whether any launch failed, and where the appmaster's time per
//! worker goes (ACCEPT → TASK_STARTING → TASK_RUNNING, from the appmaster's
//! log and the master's own status timestamps). Asserts nothing about time.
//!
//! The workers are `sleep 600` with 0.1 cpus and 32 MB, as the reference's
//! tasks; the appmaster runs without a JobManager (`--no-jobmanager`), so
//! what is measured is the launch itself.
//!
//! Knobs (environment):
//! * `FLINK_MESOS_LAUNCH_N` — comma-separated sizes (default `100`);
//! * `FLINK_MESOS_LAUNCH_ROUNDS` — rounds per size (default 3);
//! * `FLINK_MESOS_LAUNCH_AGENTS` — agents per cluster (default 8);
//! * `FLINK_MESOS_LAUNCH_TIMEOUT` — seconds one launch may take (default 300);
//! * `FLINK_MESOS_LAUNCH_ARGS` — extra `-D` arguments for the appmaster,
//!   separated by spaces (e.g. to try other pacing limits).
//!
//! Run: `cargo bench --bench launch` (or
//! `FLINK_MESOS_LAUNCH_N=100,1000 FLINK_MESOS_LAUNCH_ROUNDS=1 cargo bench --bench launch`).

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{free_port, now, parse_rfc3339};

const BIN: &str = env!("CARGO_BIN_EXE_flink-mesos");
const CPUS: f64 = 0.1;
const MEM: f64 = 32.0;

fn harness_dir() -> PathBuf {
    std::env::var_os("MESOS_LOCAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mesos-local"))
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// A fresh genuine Mesos with `agents` agents, each with room for its share
/// of `n` tasks; stopped and removed on drop.
struct Cluster {
    url: String,
    work: PathBuf,
}

impl Cluster {
    fn start(agents: usize, n: usize) -> Cluster {
        let port = free_port();
        let work = std::env::temp_dir().join(format!("flink-mesos-bench-launch-{port}"));
        let per_agent = n.div_ceil(agents) + 2;
        let resources = format!(
            "cpus:{};mem:{};disk:10240;ports:[31000-32000]",
            (per_agent as f64 * CPUS).ceil() + 1.0,
            per_agent as f64 * MEM + 512.0
        );
        let out = Command::new("bash")
            .arg(harness_dir().join("start.sh"))
            .arg(port.to_string())
            .arg(&work)
            .env("MESOS_NUM_SLAVES", agents.to_string())
            .env("MESOS_RESOURCES", &resources)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mesos-local did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Cluster {
            url: format!("http://127.0.0.1:{port}"),
            work,
        }
    }

    fn state(&self) -> serde_json::Value {
        let body = reqwest::blocking::get(format!("{}/master/state", self.url))
            .and_then(|r| r.bytes())
            .unwrap_or_default();
        serde_json::from_slice(&body).unwrap_or_default()
    }

    /// "Terminating executor … because it did not register" in the log.
    fn registration_timeouts(&self) -> usize {
        std::fs::read_to_string(self.work.join("mesos-local.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("did not register within"))
            .count()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(harness_dir().join("stop.sh"))
            .arg(&self.work)
            .output();
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

fn mem_available_mb() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

struct Outcome {
    seconds: f64,
    /// Tasks that ended (TASK_FAILED and the like) during the launch.
    failed: usize,
    /// MemAvailable lost per running task, in MB.
    mb_per_task: f64,
    registration_timeouts: usize,
}

fn reference(cluster: &Cluster, n: usize, timeout: u64) -> Outcome {
    let before = mem_available_mb();
    let t = Instant::now();
    let mut child = Command::new("python3")
        .arg(harness_dir().join("launch_bench.py"))
        .arg(&cluster.url)
        .arg(n.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The script prints its line once all are running, then tears down:
    // take the memory while the tasks still run (polling the master).
    let mut mb_per_task = 0.0;
    let deadline = Instant::now() + Duration::from_secs(timeout + 10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            if !status.success() {
                // The reference gives up after 300 s ("timeout: R of N
                // running"): a result too, not a reason to stop the run.
                let mut err = String::new();
                let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err);
                println!("  reference did not finish: {}", err.trim());
                return Outcome {
                    seconds: f64::NAN,
                    failed: 0,
                    mb_per_task,
                    registration_timeouts: cluster.registration_timeouts(),
                };
            }
            break;
        }
        if mb_per_task == 0.0 && running_tasks(&cluster.state()) >= n {
            mb_per_task = (before - mem_available_mb()) / n as f64;
        }
        assert!(Instant::now() < deadline, "launch_bench.py hangs");
        std::thread::sleep(Duration::from_millis(200));
    }
    let seconds = t.elapsed().as_secs_f64();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    Outcome {
        // The script's own clock starts after its imports; ours at spawn.
        seconds: v["seconds_to_running"]
            .as_f64()
            .map_or(seconds, |_| seconds),
        failed: 0,
        mb_per_task,
        registration_timeouts: cluster.registration_timeouts(),
    }
}

fn running_tasks(state: &serde_json::Value) -> usize {
    state["frameworks"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .flat_map(|f| f["tasks"].as_array().cloned().unwrap_or_default())
                .filter(|t| t["state"] == "TASK_RUNNING")
                .count()
        })
        .unwrap_or(0)
}

fn status(http: &reqwest::blocking::Client, base: &str) -> serde_json::Value {
    http.get(format!("{base}/status"))
        .send()
        .and_then(|r| r.bytes())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn count(v: &serde_json::Value, state: &str) -> usize {
    v["workers"][state].as_array().map_or(0, Vec::len)
}

struct Breakdown {
    /// ACCEPT (the appmaster's "launching worker") → TASK_STARTING (the
    /// agent's executor registered and started the task) per worker.
    accept_to_starting: Vec<f64>,
    /// TASK_STARTING → TASK_RUNNING per worker.
    starting_to_running: Vec<f64>,
    /// Process start → ACCEPT, per worker (waiting for offers and pacing).
    start_to_accept: Vec<f64>,
}

fn appmaster(cluster: &Cluster, n: usize, timeout: u64, log: &Path) -> (Outcome, Breakdown) {
    let before = mem_available_mb();
    let spawned_at = now();
    let t = Instant::now();
    let master = cluster.url.trim_start_matches("http://");
    let extra = std::env::var("FLINK_MESOS_LAUNCH_ARGS").unwrap_or_default();
    let mut child = Command::new(BIN)
        .args(["appmaster", "--no-jobmanager", "--status-bind", "127.0.0.1"])
        .arg(format!("-Dmesos.master={master}"))
        .arg(format!("-Dmesos.initial-tasks={n}"))
        .arg(format!("-Dmesos.resourcemanager.tasks.cpus={CPUS}"))
        .arg(format!("-Dmesos.resourcemanager.tasks.mem={MEM}"))
        .arg("-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 600")
        .args(extra.split_whitespace())
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_HOME")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let base = common::status_base(&mut child);
    let http = reqwest::blocking::Client::new();
    let poll = Duration::from_millis(if n <= 100 { 20 } else { 100 });
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let mut last = serde_json::Value::Null;
    let seconds = loop {
        let v = status(&http, &base);
        if count(&v, "running") >= n {
            break t.elapsed().as_secs_f64();
        }
        if Instant::now() > deadline {
            println!(
                "  appmaster: not all running after {timeout} s: {} running, {} launched, {} new; failures {}; counters {}",
                count(&v, "running"),
                count(&v, "launched"),
                count(&v, "new"),
                v["failures"],
                v["counters"]
            );
            last = v;
            break f64::NAN;
        }
        if child.try_wait().unwrap().is_some() {
            println!("  appmaster exited early; log: {}", log.display());
            break f64::NAN;
        }
        std::thread::sleep(poll);
    };
    let mb_per_task = (before - mem_available_mb()) / n as f64;
    let v = if last.is_null() {
        status(&http, &base)
    } else {
        last
    };
    let c = &v["counters"];
    let failed = (c["workers_failed"].as_u64().unwrap_or(0)
        + c["workers_replaced_uncounted"].as_u64().unwrap_or(0)) as usize;
    if let Some(note) = v["launch_pacing"].as_object() {
        println!("  appmaster /status launch_pacing: {note:?}");
    }
    let breakdown = breakdown(&cluster.state(), log, spawned_at);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    wait_or_kill(&mut child, Duration::from_secs(20));
    (
        Outcome {
            seconds,
            failed,
            mb_per_task,
            registration_timeouts: cluster.registration_timeouts(),
        },
        breakdown,
    )
}

fn wait_or_kill(child: &mut Child, within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Per worker: the appmaster's ACCEPT (its log) and the master's STARTING
/// and RUNNING timestamps.
fn breakdown(state: &serde_json::Value, log: &Path, spawned_at: f64) -> Breakdown {
    let mut accepted: BTreeMap<String, f64> = BTreeMap::new();
    for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
        if !line.contains("launching worker") {
            continue;
        }
        let Some(at) = line.split_whitespace().next().and_then(parse_rfc3339) else {
            continue;
        };
        if let Some(id) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("task_id="))
        {
            accepted.insert(id.to_string(), at);
        }
    }
    let mut b = Breakdown {
        accept_to_starting: Vec::new(),
        starting_to_running: Vec::new(),
        start_to_accept: Vec::new(),
    };
    let tasks = state["frameworks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .flat_map(|f| f["tasks"].as_array().cloned().unwrap_or_default());
    for task in tasks {
        let id = task["id"].as_str().unwrap_or_default();
        let at = |s: &str| {
            task["statuses"].as_array().and_then(|ss| {
                ss.iter()
                    .find(|x| x["state"] == s)
                    .and_then(|x| x["timestamp"].as_f64())
            })
        };
        let (Some(accept), Some(starting), Some(running)) =
            (accepted.get(id), at("TASK_STARTING"), at("TASK_RUNNING"))
        else {
            continue;
        };
        b.start_to_accept.push(accept - spawned_at);
        b.accept_to_starting.push(starting - accept);
        b.starting_to_running.push(running - starting);
    }
    b
}

fn quantiles(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "n/a".into();
    }
    v.sort_by(f64::total_cmp);
    let q = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.2} s, p90 {:.2} s, max {:.2} s",
        q(0.5),
        q(0.9),
        q(1.0)
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("FLINK_MESOS_LAUNCH_N")
        .unwrap_or_else(|_| "100".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rounds: usize = env_or("FLINK_MESOS_LAUNCH_ROUNDS", 3);
    let agents: usize = env_or("FLINK_MESOS_LAUNCH_AGENTS", 8);
    let timeout: u64 = env_or("FLINK_MESOS_LAUNCH_TIMEOUT", 300);
    let logs = tempfile::Builder::new()
        .prefix("flink-mesos-bench-launch-logs-")
        .tempdir()
        .unwrap();
    for &n in &sizes {
        println!(
            "launch of {n} workers (sleep 600, {CPUS} cpus, {MEM} MB) to TASK_RUNNING, {agents} agents, {rounds} rounds, each run on a fresh cluster:"
        );
        let mut ratios = Vec::new();
        let (mut ours_all, mut ref_all) = (Vec::new(), Vec::new());
        for round in 1..=rounds {
            let cluster = Cluster::start(agents, n);
            let r = reference(&cluster, n, timeout);
            drop(cluster);
            let cluster = Cluster::start(agents, n);
            let log = logs.path().join(format!("appmaster-{n}-{round}.log"));
            let (o, b) = appmaster(&cluster, n, timeout, &log);
            drop(cluster);
            let ratio = o.seconds / r.seconds;
            println!(
                "  round {round}: reference {:.2} s ({:.1} MB per task, {} executor registration timeouts), \
                 appmaster {:.2} s ({:.1} MB per task, {} workers ended during the launch, {} executor registration timeouts); ratio {ratio:.2}",
                r.seconds, r.mb_per_task, r.registration_timeouts, o.seconds, o.mb_per_task, o.failed, o.registration_timeouts
            );
            println!(
                "    appmaster per worker: start -> ACCEPT {}; ACCEPT -> TASK_STARTING (offer answered, agent launch, fetch, executor up) {}; TASK_STARTING -> TASK_RUNNING {}",
                quantiles(b.start_to_accept),
                quantiles(b.accept_to_starting),
                quantiles(b.starting_to_running)
            );
            ratios.push(ratio);
            ours_all.push(o.seconds);
            ref_all.push(r.seconds);
        }
        println!(
            "  median: reference {:.2} s, appmaster {:.2} s, ratio per round {:?}, median ratio {:.2}",
            median(ref_all),
            median(ours_all),
            ratios
                .iter()
                .map(|r| (r * 100.0).round() / 100.0)
                .collect::<Vec<_>>(),
            median(ratios.clone())
        );
    }
}
