//! Benchmarks of the appmaster runtime; they print numbers and assert nothing.
//!
//! 1. Start → 20 workers TASK_RUNNING against a genuine Mesos 1.11 with 4
//!    agents (`../shared/mesos-local`, `MESOS_NUM_SLAVES=4`), next to the
//!    reference minimal framework `launch_bench.py` doing the same launch in
//!    the same run. Runs alternate, each on a fresh cluster; the clock starts
//!    when the process is spawned and stops when the 20th worker runs (for
//!    the appmaster: as seen on `/status`, polled every 5 ms). Every worker
//!    of ours fetches its configuration archive from the appmaster's
//!    artifact server (one fetcher run per task on the agent), which the
//!    reference does not: a second reference, `launch_bench.py` with one
//!    small archive URI per task (served by `python3 -m http.server`), shows
//!    what that fetch costs by itself, and gives the like-for-like ratio.
//! 2. Resident memory of the `flink-mesos appmaster` process with 1,000
//!    workers tracked: the real binary against an in-process fake master
//!    whose offers have room for 1,000 workers (they stay Launched: the fake
//!    sends no status updates).
//!
//! Run: `cargo bench --bench appmaster`

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::kib;

use flink_mesos::mesos::testing::encode_offers_event;
use flink_mesos::mesos::{AgentId, FrameworkId, Offer, OfferId, Range, Resource};

#[allow(dead_code)]
#[path = "../tests/it/support/fake_master.rs"]
mod fake_master;

const BIN: &str = env!("CARGO_BIN_EXE_flink-mesos");

fn harness_dir() -> PathBuf {
    std::env::var_os("MESOS_LOCAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mesos-local"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Cluster {
    url: String,
    work: PathBuf,
}

impl Cluster {
    fn start(agents: u32) -> Option<Cluster> {
        let port = free_port();
        let work = std::env::temp_dir().join(format!("flink-mesos-bench-am-{port}"));
        let out = Command::new("bash")
            .arg(harness_dir().join("start.sh"))
            .arg(port.to_string())
            .arg(&work)
            .env("MESOS_NUM_SLAVES", agents.to_string())
            .output()
            .ok()?;
        if !out.status.success() {
            println!(
                "mesos-local did not start: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        Some(Cluster {
            url: format!("http://127.0.0.1:{port}"),
            work,
        })
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

/// Spawns the appmaster and returns it with its status base URL.
fn spawn_appmaster(master: &str, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["appmaster", "--no-jobmanager", "--status-bind", "127.0.0.1"])
        .arg(format!("-Dmesos.master={master}"))
        .args(args)
        .env_remove("FLINK_CONF_DIR")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = common::status_base(&mut child);
    (child, base)
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

async fn count_in(http: &reqwest::Client, base: &str, state: &str) -> usize {
    let Ok(r) = http.get(format!("{base}/status")).send().await else {
        return 0;
    };
    let body = r.bytes().await.unwrap_or_default();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    v["workers"][state].as_array().map_or(0, Vec::len)
}

async fn appmaster_launch(cluster: &Cluster, n: usize) -> Duration {
    let t = Instant::now();
    let master = cluster.url.trim_start_matches("http://");
    let (child, base) = spawn_appmaster(
        master,
        &[
            &format!("-Dmesos.initial-tasks={n}"),
            "-Dmesos.resourcemanager.tasks.cpus=0.1",
            "-Dmesos.resourcemanager.tasks.mem=32",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 600",
        ],
    );
    let http = reqwest::Client::new();
    while count_in(&http, &base, "running").await < n {
        assert!(t.elapsed() < Duration::from_secs(120), "timed out");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = t.elapsed();
    stop(child);
    elapsed
}

/// `launch_bench.py`, its tasks fetching `uri` (extracted) as ours fetch
/// their configuration archive; `None` when the script's task command is
/// not where this expects it.
fn reference_with_fetch(dir: &Path, uri: &str) -> Option<PathBuf> {
    let script = std::fs::read_to_string(harness_dir().join("launch_bench.py")).ok()?;
    let command = r#""command": {"shell": True, "value": "sleep 600"}"#;
    if !script.contains(command) {
        return None;
    }
    let with_uri = format!(
        r#""command": {{"shell": True, "value": "sleep 600", "uris": [{{"value": "{uri}", "extract": True}}]}}"#
    );
    let path = dir.join("launch_bench_fetch.py");
    std::fs::write(&path, script.replace(command, &with_uri)).ok()?;
    Some(path)
}

/// Serves `dir` over HTTP on loopback (python's http.server); killed on drop.
struct FileServer {
    child: Child,
    port: u16,
}

impl FileServer {
    fn start(dir: &Path) -> FileServer {
        let port = free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "http.server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        FileServer { child, port }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reference_launch(cluster: &Cluster, n: usize) -> Duration {
    reference_script_launch(&harness_dir().join("launch_bench.py"), cluster, n)
}

fn reference_script_launch(script: &Path, cluster: &Cluster, n: usize) -> Duration {
    let t = Instant::now();
    let out = Command::new("python3")
        .arg(script)
        .arg(&cluster.url)
        .arg(n.to_string())
        .output()
        .unwrap();
    let elapsed = t.elapsed();
    assert!(
        out.status.success(),
        "launch_bench.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn launch_bench() {
    let built = std::env::var_os("MESOS_LOCAL_BUILD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/mesos-local/build")
        })
        .join("bin/mesos-local");
    if !built.exists() {
        println!("launch: skipped (mesos-local not built; run scripts/install-deps.sh)");
        return;
    }
    const N: usize = 20;
    const ROUNDS: usize = 5;
    // A configuration archive like the one our workers fetch.
    let files = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(files.path().join("conf")).unwrap();
    std::fs::write(
        files.path().join("conf/config.yaml"),
        "mesos.resourcemanager.tasks.cpus: 0.1\nmesos.resourcemanager.tasks.mem: 32\n",
    )
    .unwrap();
    let tar = Command::new("tar")
        .args(["cf", "conf.tar", "conf"])
        .current_dir(files.path())
        .status()
        .unwrap();
    assert!(tar.success());
    let server = FileServer::start(files.path());
    let with_fetch = reference_with_fetch(
        files.path(),
        &format!("http://127.0.0.1:{}/conf.tar", server.port),
    );
    let (mut ours, mut reference, mut fetching) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let Some(cluster) = Cluster::start(4) else {
            return;
        };
        reference.push(reference_launch(&cluster, N));
        drop(cluster);
        if let Some(script) = &with_fetch {
            let Some(cluster) = Cluster::start(4) else {
                return;
            };
            fetching.push(reference_script_launch(script, &cluster, N));
        }
        let Some(cluster) = Cluster::start(4) else {
            return;
        };
        ours.push(appmaster_launch(&cluster, N).await);
    }
    println!("launch of {N} workers to TASK_RUNNING, 4 agents, {ROUNDS} rounds (process start to last TASK_RUNNING):");
    println!(
        "  launch_bench.py (reference): {reference:.2?}, median {:.2?}",
        median(reference.clone())
    );
    if !fetching.is_empty() {
        println!(
            "  launch_bench.py, one archive fetched per task: {fetching:.2?}, median {:.2?}",
            median(fetching.clone())
        );
    }
    println!(
        "  flink-mesos appmaster:       {ours:.2?}, median {:.2?}",
        median(ours.clone())
    );
    println!(
        "  ratio appmaster / reference (medians): {:.2}",
        median(ours.clone()).as_secs_f64() / median(reference).as_secs_f64()
    );
    if !fetching.is_empty() {
        println!(
            "  ratio appmaster / reference fetching the same (medians): {:.2}",
            median(ours).as_secs_f64() / median(fetching).as_secs_f64()
        );
    } else {
        println!("  (reference with a fetch skipped: launch_bench.py's task command has changed)");
    }
}

async fn memory_bench() {
    const WORKERS: usize = 1000;
    const PER_OFFER: usize = 100;
    let offers: Vec<Offer> = (0..WORKERS / PER_OFFER)
        .map(|i| Offer {
            id: OfferId(format!("offer-{i}")),
            framework_id: FrameworkId::from("fw-mem"),
            agent_id: AgentId(format!("agent-{i}")),
            hostname: format!("agent-{i:04}.example.com"),
            resources: vec![
                Resource::scalar("cpus", PER_OFFER as f64 * 0.1 + 1.0),
                Resource::scalar("mem", PER_OFFER as f64 * 32.0 + 100.0),
                Resource::ranges(
                    "ports",
                    vec![Range {
                        begin: 31000,
                        end: 31000 + 2 * PER_OFFER as u64,
                    }],
                ),
            ],
            attributes: Vec::new(),
            allocation_role: Some("*".into()),
        })
        .collect();
    let master = fake_master::FakeMaster::start(vec![fake_master::Reply::Stream {
        stream_id: "s".into(),
        chunks: vec![
            (Duration::ZERO, fake_master::subscribed("fw-mem", 15.0)),
            (
                Duration::ZERO,
                fake_master::record(&encode_offers_event(&offers)),
            ),
        ],
        then_hang: true,
    }])
    .await;
    let t = Instant::now();
    let (child, base) = spawn_appmaster(
        master.url.trim_start_matches("http://"),
        &[
            &format!("-Dmesos.initial-tasks={WORKERS}"),
            "-Dmesos.maximum-failed-tasks=-1",
            "-Dmesos.resourcemanager.tasks.cpus=0.1",
            "-Dmesos.resourcemanager.tasks.mem=32",
        ],
    );
    let http = reqwest::Client::new();
    while count_in(&http, &base, "launched").await < WORKERS {
        assert!(t.elapsed() < Duration::from_secs(60), "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let launched = t.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (body, status_time) = common::timed_status(&http, &base).await;
    let pid = child.id();
    println!(
        "appmaster with {WORKERS} workers tracked (fake master, {} offers): all launched after {launched:.2?}; \
         VmRSS {} KiB, VmHWM (peak) {} KiB; /status {} KiB in {status_time:.2?}",
        WORKERS / PER_OFFER,
        kib(pid, "VmRSS:"),
        kib(pid, "VmHWM:"),
        body.len() / 1024
    );
    stop(child);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(memory_bench());
    rt.block_on(launch_bench());
}
