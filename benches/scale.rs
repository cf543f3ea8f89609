//! The cost curve past the machine (issue 28): what the appmaster pays per
//! worker at 1,000 / 10,000 / 50,000 workers, with no real task.
//!
//! 1. The scheduler core alone (pure, no I/O), driven through a whole
//!    launch: every agent offers once a second, every launched worker
//!    reports TASK_STARTING and TASK_RUNNING a second later (each update
//!    acknowledged), the runtime's tick once a second. Printed as a table:
//!    core steps, the time per step (mean, p99, max) and per worker, the
//!    heap the core keeps (a counting allocator: the bytes live after the
//!    launch, and the peak), and the store writes per worker (records
//!    written, and ZooKeeper multi-ops: the runtime writes consecutive
//!    store effects as one atomic multi).
//! 2. The real `flink-mesos appmaster` process against an in-process fake
//!    master whose offers hold 10,000 workers (which stay Launched: the fake
//!    sends no status updates), launch pacing opened up so all launch in one
//!    step (`FLINK_MESOS_SCALE_PACED=1`: the default pacing, 256 launched and
//!    the rest pending): its resident memory (VmRSS, VmHWM) and the size and
//!    time of `/status`.
//!
//! Run: `cargo bench --bench scale` (`FLINK_MESOS_SCALE_N=1000,10000` for
//! other sizes; `FLINK_MESOS_SCALE_PROCESS=N` for N workers in part 2, 0
//! skips it).

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::kib;

use flink_mesos::mesos::testing::encode_offers_event;
use flink_mesos::mesos::{
    AgentId, Call, FrameworkId, Offer, OfferId, Range, Resource, TaskId, TaskState, TaskStatus,
};
use flink_mesos::scheduler::matching::WorkerResources;
use flink_mesos::scheduler::task::TaskTemplate;
use flink_mesos::scheduler::{Effect, Input, Pacing, Policy, Scheduler, Timers, WorkerState};

#[allow(dead_code)]
#[path = "../tests/it/support/fake_master.rs"]
mod fake_master;

const BIN: &str = env!("CARGO_BIN_EXE_flink-mesos");

/// The system allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn policy(n: u32) -> Policy {
    Policy {
        desired: n,
        elastic: None,
        max_failed: Some(n),
        role: "*".into(),
        constraints: Vec::new(),
        refuse: Duration::from_secs(5),
        staging_timeout: Duration::from_secs(60),
        backoff_base: Duration::from_secs(1),
        backoff_max: Duration::from_secs(60),
        resources: WorkerResources {
            cpus: 0.1,
            mem_mb: 32.0,
            gpus: 0.0,
            disk_mb: 0.0,
            network_mb: 0.0,
            network_resource: "network".into(),
            port_keys: vec![
                "taskmanager.rpc.port".into(),
                "taskmanager.data.port".into(),
            ],
        },
        timers: Timers::default(),
        pacing: Pacing::default(),
    }
}

fn offer(round: u64, agent: usize, workers: usize) -> Offer {
    Offer {
        id: OfferId::new(format!("o-{round}-{agent}")),
        framework_id: FrameworkId::new("fw-scale"),
        agent_id: AgentId::new(format!("agent-{agent}")),
        hostname: format!("agent-{agent:05}.example.com"),
        resources: vec![
            Resource::scalar("cpus", workers as f64 * 0.1 + 1.0),
            Resource::scalar("mem", workers as f64 * 32.0 + 1024.0),
            Resource::ranges(
                "ports",
                vec![Range {
                    begin: 20_000,
                    end: 20_000 + 4 * workers as u64,
                }],
            ),
        ],
        attributes: Vec::new(),
        allocation_role: Some("*".into()),
    }
}

fn update(task: &str, agent: &str, state: TaskState) -> TaskStatus {
    TaskStatus {
        task_id: TaskId::new(task),
        state,
        message: None,
        source: None,
        reason: None,
        agent_id: Some(AgentId::new(agent)),
        executor_id: None,
        timestamp: None,
        uuid: Some(vec![1, 2, 3, 4]),
        healthy: None,
        data: None,
        labels: Vec::new(),
    }
}

struct Row {
    workers: usize,
    agents: usize,
    simulated_s: u64,
    steps: usize,
    step_mean: Duration,
    step_p99: Duration,
    step_max: Duration,
    per_worker: Duration,
    kept_bytes: usize,
    peak_bytes: usize,
    records: usize,
    multis: usize,
    calls: usize,
}

fn core_launch(n: usize) -> Row {
    let agents = (n / 100).max(8);
    let per_agent = n.div_ceil(agents) + 1;
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut s = Scheduler::new(
        policy(n as u32),
        TaskTemplate::command("flink-mesos taskmanager"),
    );
    let mut times: Vec<Duration> = Vec::new();
    let (mut records, mut multis, mut calls) = (0, 0, 0);
    let mut step = |s: &mut Scheduler, input: Input, now: Duration| -> Vec<Effect> {
        let t = Instant::now();
        let fx = s.step(input, now);
        times.push(t.elapsed());
        let mut in_batch = false;
        for e in &fx {
            match e {
                Effect::Call(_) => {
                    calls += 1;
                    in_batch = false;
                }
                Effect::Exit(_) => {}
                _ => {
                    records += 1;
                    if !in_batch {
                        multis += 1;
                        in_batch = true;
                    }
                }
            }
        }
        fx
    };
    step(
        &mut s,
        Input::Recovered {
            workers: Vec::new(),
            next_task_number: 1,
            failed_tasks: 0,
            floor: None,
        },
        Duration::ZERO,
    );
    step(&mut s, Input::Subscribed, Duration::ZERO);
    // Updates due at a second: (task, agent, state).
    let mut due: BTreeMap<u64, Vec<(String, String, TaskState)>> = BTreeMap::new();
    let mut running = 0;
    let mut second = 0u64;
    while running < n {
        second += 1;
        assert!(second < 100_000, "the launch of {n} does not end");
        let now = Duration::from_secs(second);
        for (task, agent, state) in due.remove(&second).unwrap_or_default() {
            if state == TaskState::Running {
                running += 1;
            }
            step(&mut s, Input::Update(update(&task, &agent, state)), now);
        }
        let offers = (0..agents).map(|a| offer(second, a, per_agent)).collect();
        let fx = step(&mut s, Input::Offers(offers), now);
        for e in fx {
            if let Effect::Call(Call::Launch { tasks, .. }) = e {
                for t in tasks {
                    let (id, agent) = (t.task_id.as_str(), t.agent_id.as_str());
                    let at = due.entry(second + 1).or_default();
                    at.push((id.into(), agent.into(), TaskState::Starting));
                    at.push((id.into(), agent.into(), TaskState::Running));
                }
            }
        }
        step(&mut s, Input::Tick, now);
    }
    assert_eq!(
        s.workers()
            .filter(|w| w.state == WorkerState::Running)
            .count(),
        n
    );
    assert_eq!(s.failed(), 0);
    let kept = LIVE.load(Ordering::Relaxed).saturating_sub(base);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let total: Duration = times.iter().sum();
    let steps = times.len();
    times.sort();
    let row = Row {
        workers: n,
        agents,
        simulated_s: second,
        steps,
        step_mean: total / steps as u32,
        step_p99: times[(steps - 1) * 99 / 100],
        step_max: times[steps - 1],
        per_worker: total / n as u32,
        kept_bytes: kept,
        peak_bytes: peak,
        records,
        multis,
        calls,
    };
    drop(s);
    row
}

fn print_table(rows: &[Row]) {
    println!(
        "| workers | agents | simulated launch | core steps | step mean | step p99 | step max | core time per worker | heap kept by the core | per worker | peak heap | store records per worker | ZooKeeper multi-ops per worker | Mesos calls per worker |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let n = r.workers as f64;
        println!(
            "| {} | {} | {} s | {} | {:.1?} | {:.1?} | {:.1?} | {:.1?} | {:.1} MB | {:.0} B | {:.1} MB | {:.2} | {:.2} | {:.2} |",
            r.workers,
            r.agents,
            r.simulated_s,
            r.steps,
            r.step_mean,
            r.step_p99,
            r.step_max,
            r.per_worker,
            r.kept_bytes as f64 / 1e6,
            r.kept_bytes as f64 / n,
            r.peak_bytes as f64 / 1e6,
            r.records as f64 / n,
            r.multis as f64 / n,
            r.calls as f64 / n,
        );
    }
}

/// The real appmaster with `workers` tracked (all Launched), its memory.
async fn process_memory(workers: usize) {
    const PER_OFFER: usize = 100;
    let offers: Vec<Offer> = (0..workers / PER_OFFER)
        .map(|i| offer(0, i, PER_OFFER))
        .collect();
    let master = fake_master::FakeMaster::start(vec![fake_master::Reply::Stream {
        stream_id: "s".into(),
        chunks: vec![
            (Duration::ZERO, fake_master::subscribed("fw-scale", 15.0)),
            (
                Duration::ZERO,
                fake_master::record(&encode_offers_event(&offers)),
            ),
        ],
        then_hang: true,
    }])
    .await;
    let t = Instant::now();
    let mut child = Command::new(BIN)
        .args(["appmaster", "--no-jobmanager", "--status-bind", "127.0.0.1"])
        .arg(format!(
            "-Dmesos.master={}",
            master.url.trim_start_matches("http://")
        ))
        .arg(format!("-Dmesos.initial-tasks={workers}"))
        .args([
            "-Dmesos.maximum-failed-tasks=-1",
            "-Dmesos.resourcemanager.tasks.cpus=0.1",
            "-Dmesos.resourcemanager.tasks.mem=32",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 600",
        ])
        .args(
            std::env::var("FLINK_MESOS_SCALE_PACED")
                .is_err()
                .then_some([
                    "-Dmesos.resourcemanager.tasks.max-launching=100000",
                    "-Dmesos.resourcemanager.tasks.max-launching-per-agent=100000",
                ])
                .into_iter()
                .flatten(),
        )
        .env_remove("FLINK_CONF_DIR")
        .envs(std::env::var("FLINK_MESOS_SCALE_MALLOC_ARENA_MAX").map(|v| ("MALLOC_ARENA_MAX", v)))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = common::status_base(&mut child);
    let http = reqwest::Client::new();
    loop {
        let v: serde_json::Value = match http.get(format!("{base}/status")).send().await {
            Ok(r) => {
                serde_json::from_slice(&r.bytes().await.unwrap_or_default()).unwrap_or_default()
            }
            Err(_) => serde_json::Value::Null,
        };
        let seen = v["workers"]["launched"].as_array().map_or(0, Vec::len)
            + v["workers"]["new"].as_array().map_or(0, Vec::len);
        let paced = std::env::var("FLINK_MESOS_SCALE_PACED").is_ok();
        let launched = v["workers"]["launched"].as_array().map_or(0, Vec::len);
        if (paced && seen >= workers && launched > 0) || launched >= workers {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(300), "timed out");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let launched = t.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (body, status_time) = common::timed_status(&http, &base).await;
    let pid = child.id();
    println!(
        "appmaster process with {workers} workers tracked (fake master, {} offers, in-memory store, {}): in the store after {launched:.2?}; \
         VmRSS {:.1} MB, VmHWM (peak) {:.1} MB; /status {} KiB in {status_time:.2?}",
        workers / PER_OFFER,
        if std::env::var("FLINK_MESOS_SCALE_PACED").is_ok() {
            "default launch pacing: 256 launched, the rest pending"
        } else {
            "pacing opened: all launched in one step"
        },
        kib(pid, "VmRSS:") as f64 / 1024.0,
        kib(pid, "VmHWM:") as f64 / 1024.0,
        body.len() / 1024
    );
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    let sizes: Vec<usize> = std::env::var("FLINK_MESOS_SCALE_N")
        .unwrap_or_else(|_| "1000,10000,50000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "scheduler core, a whole launch (offers every second from every agent, STARTING and RUNNING a second after the ACCEPT, a tick a second; pacing {:?}):",
        Pacing::default()
    );
    let rows: Vec<Row> = sizes.iter().map(|&n| core_launch(n)).collect();
    print_table(&rows);
    let workers: usize = std::env::var("FLINK_MESOS_SCALE_PROCESS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    if workers > 0 {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(process_memory(workers.max(100)));
    }
}
