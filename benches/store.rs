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
//! 3. The same over TLS (`high-availability.zookeeper.client.ssl.*`, the
//!    same server's `secureClientPort` with client certificates): `workers
//!    list` (JSON) and the read alone, as ratios to the plain port measured
//!    in the same run.
//!
//! Run: `cargo bench --bench store`

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flink_mesos::config::zk_tls::ZkTls;
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

async fn connect(cs: &str, base: &str, tls: Option<ZkTls>) -> Zk {
    Zk::connect(ZkConfig {
        servers: vec![(
            "127.0.0.1".into(),
            cs.rsplit(':').next().unwrap().parse().unwrap(),
        )],
        base: base.into(),
        session_timeout: Duration::from_secs(20),
        connect_timeout: Duration::from_secs(5),
        digest: None,
        acl_creator: false,
        tls,
        kerberos: None,
    })
    .await
    .unwrap()
}

async fn seed(cs: &str, base: &str, n: u32, framework: &str) -> Zk {
    let zk = connect(cs, base, None).await;
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

/// 7 runs of `workers list` with `extra` and `args`: their times and the
/// size of the last one's output.
fn list_runs(extra: &[&str], args: &[String]) -> (Vec<Duration>, usize) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let out = Command::new(BIN)
            .args(["workers", "list"])
            .args(extra)
            .args(args)
            .env_remove("FLINK_CONF_DIR")
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        times.push(t.elapsed());
        assert!(out.status.success());
        bytes = out.stdout.len();
    }
    (times, bytes)
}

/// The median of 7 reads of the whole store through `zk`.
fn read_median(rt: &tokio::runtime::Runtime, zk: &Zk, workers: usize) -> Duration {
    median(
        (0..7)
            .map(|_| {
                let t = Instant::now();
                let c = rt.block_on(zk.read()).unwrap().unwrap();
                assert_eq!(c.workers.len(), workers);
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    // Plain and TLS ports on one server (section 3 compares them).
    let certs = zookeeper::ZkCerts::generate();
    let zk = zookeeper::ZooKeeper::start_with(&certs, None);
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
        let (times, bytes) = list_runs(extra, &args);
        println!(
            "workers list ({label}), 10,000 workers: median {} (min {}, max {}), {bytes} bytes of output, 7 runs",
            ms(median(times.clone())),
            ms(*times.iter().min().unwrap()),
            ms(*times.iter().max().unwrap()),
        );
    }
    let plain_read = read_median(&rt, &z, 10_000);
    println!(
        "store read alone (in process), 10,000 workers: median {}",
        ms(plain_read)
    );

    // 3. The same over TLS, against the plain port in the same run.
    let tls = ZkTls {
        truststore: certs.ca.clone(),
        keystore: Some(certs.client.clone()),
    };
    let tls_cs = zk.secure_connect_string();
    let z_tls = rt.block_on(connect(
        &tls_cs,
        "/flink/bench-list/mesos-workers",
        Some(tls),
    ));
    let tls_read = read_median(&rt, &z_tls, 10_000);
    let plain_list = median(list_runs(&["--output", "json"], &args).0);
    let mut tls_args = zk.tls_flags(&certs).to_vec();
    tls_args.push("-Dhigh-availability.cluster-id=bench-list".to_string());
    let tls_list = median(list_runs(&["--output", "json"], &tls_args).0);
    println!(
        "over TLS, 10,000 workers: store read median {} ({:.2}x the plain port's {}), \
         workers list (json) median {} ({:.2}x the plain port's {})",
        ms(tls_read),
        tls_read.as_secs_f64() / plain_read.as_secs_f64(),
        ms(plain_read),
        ms(tls_list),
        tls_list.as_secs_f64() / plain_list.as_secs_f64(),
        ms(plain_list),
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
