//! Benchmarks of the Mesos boundary; they print numbers and assert nothing.
//!
//! 1. The SUBSCRIBE stream decoder: MB/s over a stream of realistic OFFERS
//!    events, framing alone and framing + protobuf decoding into domain types.
//! 2. The round trip SUBSCRIBE -> first OFFERS against a genuine Mesos 1.11
//!    master (`../shared/mesos-local`; skipped with a note when not built).
//!
//! Run: `cargo bench --bench mesos`

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use flink_mesos::mesos::client::{Client, ClientOptions};
use flink_mesos::mesos::recordio::{encode, Decoder};
use flink_mesos::mesos::testing::{decode_event, encode_offers_event};
use flink_mesos::mesos::{
    AgentId, Attribute, Call, Event, FrameworkId, FrameworkSettings, Offer, OfferId, Range,
    Reservation, ReservationKind, Resource, Value,
};

/// An offer like a mid-size agent's: scalar resources split between a
/// reservation and `*`, port ranges, and a few attributes.
fn offer(i: usize) -> Offer {
    let mut resources = Vec::new();
    for (name, amount) in [("cpus", 16.0), ("mem", 65536.0), ("disk", 512000.0)] {
        let mut unreserved = Resource::scalar(name, amount * 0.75);
        unreserved.allocation_role = Some("flink".into());
        let mut reserved = Resource::scalar(name, amount * 0.25);
        reserved.allocation_role = Some("flink".into());
        reserved.reservations = vec![Reservation {
            kind: ReservationKind::Static,
            role: Some("flink".into()),
            principal: None,
            labels: vec![],
        }];
        resources.push(unreserved);
        resources.push(reserved);
    }
    let mut ports = Resource::ranges(
        "ports",
        vec![
            Range {
                begin: 31000,
                end: 31999,
            },
            Range {
                begin: 33000,
                end: 33999,
            },
        ],
    );
    ports.allocation_role = Some("flink".into());
    resources.push(ports);
    Offer {
        id: OfferId(format!("5b8a5d7c-1a0e-4b63-9f6e-2d1c3b4a5f60-O{i}")),
        framework_id: FrameworkId::from("5b8a5d7c-1a0e-4b63-9f6e-2d1c3b4a5f60-0001"),
        agent_id: AgentId(format!("5b8a5d7c-1a0e-4b63-9f6e-2d1c3b4a5f60-S{i}")),
        hostname: format!("agent-{i:04}.dc1.example.com"),
        resources,
        attributes: vec![
            Attribute {
                name: "rack".into(),
                value: Value::Text(format!("rack-{}", i % 16)),
            },
            Attribute {
                name: "zone".into(),
                value: Value::Text("eu-west-1a".into()),
            },
            Attribute {
                name: "generation".into(),
                value: Value::Scalar(3.0),
            },
        ],
        allocation_role: Some("flink".into()),
    }
}

fn decoder_bench() {
    // Events of 1 to 20 offers, as the allocator batches them.
    let events: Vec<Vec<u8>> = (1..=20)
        .map(|n| encode_offers_event(&(0..n).map(offer).collect::<Vec<_>>()))
        .collect();
    let mut stream = Vec::new();
    let mut records = 0usize;
    while stream.len() < 64 * 1024 * 1024 {
        for e in &events {
            encode(e, &mut stream);
            records += 1;
        }
    }
    let mb = stream.len() as f64 / (1024.0 * 1024.0);
    let avg = stream.len() / records;
    println!("decoder: {records} OFFERS records, {mb:.1} MiB, {avg} bytes per record on average");

    for chunk_size in [1460usize, 16 * 1024, 256 * 1024] {
        let mut best_framing = f64::MAX;
        let mut best_full = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let mut d = Decoder::default();
            let mut n = 0usize;
            for chunk in stream.chunks(chunk_size) {
                d.feed(chunk);
                while let Some(r) = d.next_record().unwrap() {
                    n += r.len().min(1);
                }
            }
            assert_eq!(n, records);
            best_framing = best_framing.min(t.elapsed().as_secs_f64());

            let t = Instant::now();
            let mut d = Decoder::default();
            let mut offers = 0usize;
            for chunk in stream.chunks(chunk_size) {
                d.feed(chunk);
                while let Some(r) = d.next_record().unwrap() {
                    if let Event::Offers(o) = decode_event(&r).unwrap() {
                        offers += o.len();
                    }
                }
            }
            assert!(offers > records);
            best_full = best_full.min(t.elapsed().as_secs_f64());
        }
        println!(
            "decoder: chunks of {chunk_size:>6} B: framing {:>8.0} MB/s, framing + protobuf -> domain {:>6.0} MB/s ({:.0} events/s)",
            mb / best_framing,
            mb / best_full,
            records as f64 / best_full
        );
    }
}

fn harness_dir() -> PathBuf {
    std::env::var_os("MESOS_LOCAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mesos-local"))
}

async fn round_trip_bench() {
    let dir = harness_dir();
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let built = std::env::var_os("MESOS_LOCAL_BUILD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&home).join(".cache/mesos-local/build"))
        .join("bin/mesos-local");
    if !dir.join("start.sh").exists() || !built.exists() {
        println!("round trip: skipped (mesos-local not built; run scripts/install-deps.sh)");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let work = std::env::temp_dir().join(format!("flink-mesos-bench-{port}"));
    let out = Command::new("bash")
        .arg(dir.join("start.sh"))
        .arg(port.to_string())
        .arg(&work)
        .output()
        .unwrap();
    if !out.status.success() {
        println!(
            "round trip: mesos-local did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let url = format!("http://127.0.0.1:{port}");
    let mut times = Vec::new();
    for i in 0..10 {
        let mut settings = FrameworkSettings::new(format!("bench-{i}"), "root");
        settings.failover_timeout = Duration::ZERO;
        let client = Client::new(settings, ClientOptions::default()).unwrap();
        let t = Instant::now();
        let mut sub = client.subscribe(&url, None).await.unwrap();
        loop {
            match sub.next_event().await.unwrap() {
                Event::Offers(_) => break,
                _ => continue,
            }
        }
        times.push(t.elapsed());
        sub.caller().unwrap().call(&Call::Teardown).await.unwrap();
    }
    let _ = Command::new("bash")
        .arg(dir.join("stop.sh"))
        .arg(&work)
        .output();
    let _ = std::fs::remove_dir_all(&work);
    times.sort();
    println!(
        "round trip SUBSCRIBE -> first OFFERS (genuine Mesos 1.11, loopback, {} runs): min {:?}, median {:?}, max {:?}",
        times.len(),
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

fn main() {
    decoder_bench();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(round_trip_bench());
}
