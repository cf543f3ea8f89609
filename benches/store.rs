//! Benchmarks of the ZooKeeper worker store; they print numbers and assert
//! nothing. A real ZooKeeper 3.8 (standalone, loopback) is started for them.
//!
//! 1. `flink-mesos workers list` with 10,000 stored workers: the whole
//!    process (configuration, connect, read, table), text and JSON; and the
//!    read alone in process.
//! 2. Recovery with 1,000 stored workers: the real `flink-mesos appmaster`
//!    with high availability against an in-process fake master that answers
//!    SUBSCRIBE at once; the clock runs from the spawn to the explicit
//!    RECONCILE of all 1,000 workers arriving at the master (leader
//!    election, store read, subscription and the reconcile call: everything
//!    but the master's reply).
//!
//! Run: `cargo bench --bench store`

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flink_mesos::scheduler::{Worker, WorkerState};
use flink_mesos::store::zk::{Zk, ZkConfig, ZkStore};
use flink_mesos::store::{FrameworkIdentity, WorkerStore, Write};

#[allow(dead_code)]
#[path = "../tests/it/support/fake_master.rs"]
mod fake_master;
#[allow(dead_code)]
#[path = "../tests/it/support/zookeeper.rs"]
mod zookeeper;
// The KDC a ZooKeeper with Kerberos needs (unused here).
#[allow(dead_code)]
#[path = "../tests/it/support/kdc.rs"]
mod kdc;
// The multi-host topology the harnesses can run on (unused here).
#[allow(dead_code)]
#[path = "../tests/it/support/netns.rs"]
mod netns;

const BIN: &str = env!("CARGO_BIN_EXE_flink-mesos");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn worker(n: u32) -> Worker {
    Worker {
        task_id: format!("taskmanager-{n:05}"),
        state: WorkerState::Running,
        agent_id: Some(format!("8c1e0f4a-6d1b-4f59-9a41-0bd2f5b1c3e7-S{}", n % 50)),
        hostname: Some(format!("agent-{}.example", n % 50)),
        ports: vec![
            ("taskmanager.rpc.port".into(), 31000 + (n % 1000) as u16),
            ("taskmanager.data.port".into(), 32000 + (n % 1000) as u16),
        ],
    }
}

async fn seed(cs: &str, base: &str, n: u32, framework: &str) -> Zk {
    let zk = Zk::connect(ZkConfig {
        servers: vec![(
            "127.0.0.1".into(),
            cs.rsplit(':').next().unwrap().parse().unwrap(),
        )],
        base: base.into(),
        session_timeout: Duration::from_secs(20),
        connect_timeout: Duration::from_secs(5),
        digest: None,
        acl_creator: false,
        tls: None,
        kerberos: None,
    })
    .await
    .unwrap();
    zk.ensure_layout().await.unwrap();
    let mut store = ZkStore::new(zk.clone(), None);
    store.load().await.unwrap();
    let who = FrameworkIdentity {
        name: "Flink".into(),
        role: "*".into(),
        principal: None,
    };
    store.set_framework_id(framework, &who).await.unwrap();
    let mut batch = vec![Write::NextTaskNumber(u64::from(n) + 1)];
    batch.extend((1..=n).map(|i| Write::Worker(worker(i))));
    store.apply(batch).await.unwrap();
    zk
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let zk = zookeeper::ZooKeeper::start();
    let cs = zk.connect_string();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // 1. workers list with 10,000 records.
    let z = rt.block_on(seed(
        &cs,
        "/flink/bench-list/mesos-workers",
        10_000,
        "fw-list",
    ));
    let args = [
        "-Dhigh-availability.type=zookeeper".to_string(),
        format!("-Dhigh-availability.zookeeper.quorum={cs}"),
        "-Dhigh-availability.cluster-id=bench-list".to_string(),
    ];
    for (label, extra) in [("table", &[][..]), ("json", &["--output", "json"][..])] {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let out = Command::new(BIN)
                .args(["workers", "list"])
                .args(extra)
                .args(&args)
                .env_remove("FLINK_CONF_DIR")
                .stderr(Stdio::inherit())
                .output()
                .unwrap();
            times.push(t.elapsed());
            assert!(out.status.success());
            bytes = out.stdout.len();
        }
        println!(
            "workers list ({label}), 10,000 workers: median {} (min {}, max {}), {bytes} bytes of output, 7 runs",
            ms(median(times.clone())),
            ms(*times.iter().min().unwrap()),
            ms(*times.iter().max().unwrap()),
        );
    }
    let mut reads = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let c = rt.block_on(z.read()).unwrap().unwrap();
        reads.push(t.elapsed());
        assert_eq!(c.workers.len(), 10_000);
    }
    println!(
        "store read alone (in process), 10,000 workers: median {}",
        ms(median(reads))
    );

    // 2. Recovery of 1,000 stored workers.
    let mut times = Vec::new();
    for round in 0..5 {
        let cluster = format!("bench-recover-{round}");
        let base = format!("/flink/{cluster}/mesos-workers");
        rt.block_on(seed(&cs, &base, 1_000, "fw-recover"));
        let master = rt.block_on(fake_master::FakeMaster::start(vec![
            fake_master::Reply::Stream {
                stream_id: "s".into(),
                chunks: vec![(Duration::ZERO, fake_master::subscribed("fw-recover", 15.0))],
                then_hang: true,
            },
        ]));
        let t = Instant::now();
        let mut child = Command::new(BIN)
            .args(["appmaster", "--no-jobmanager", "--status-bind", "127.0.0.1"])
            .arg(format!("-Dmesos.master=127.0.0.1:{}", master.port))
            .args([
                "-Dmesos.initial-tasks=1000",
                "-Dhigh-availability.type=zookeeper",
                "-Dhigh-availability.storageDir=file:///tmp/flink-mesos-bench",
            ])
            .arg(format!("-Dhigh-availability.zookeeper.quorum={cs}"))
            .arg(format!("-Dhigh-availability.cluster-id={cluster}"))
            .env_remove("FLINK_CONF_DIR")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let took = loop {
            let reconciled = master
                .calls()
                .iter()
                .find_map(|c| c.body_contains(b"taskmanager-01000").then_some(c.at));
            if let Some(at) = reconciled {
                break Some(at.saturating_duration_since(t));
            }
            if Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let _ = child.kill();
        let _ = child.wait();
        match took {
            Some(d) => times.push(d),
            None => println!("recovery round {round}: no RECONCILE within 30 s"),
        }
    }
    if !times.is_empty() {
        println!(
            "recovery, 1,000 stored workers, spawn → RECONCILE of all at the master: median {} (min {}, max {}), {} runs",
            ms(median(times.clone())),
            ms(*times.iter().min().unwrap()),
            ms(*times.iter().max().unwrap()),
            times.len()
        );
    }
}
