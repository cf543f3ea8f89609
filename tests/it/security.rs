//! Trust boundaries (issue 26) that need a running appmaster: its status
//! endpoint keeps answering `/health` while idle connections flood it.

use std::time::{Duration, Instant};

use crate::support::appmaster::{running_ids, Appmaster};
use crate::support::mesos_local::MesosLocal;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_a_thousand_idle_connections_are_held() {
    let mesos = MesosLocal::start(&[]);
    let am = Appmaster::spawn_in_temp_dir(
        Appmaster::command(),
        &mesos,
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 621",
        ],
    );
    am.wait_status("the worker running", |v| running_ids(v).len() == 1)
        .await;
    let addr = am.base.trim_start_matches("http://").to_string();
    // 1,000 connections that never send a byte (a slowloris, a port scan,
    // a broken load balancer), all held open.
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    for _ in 0..5 {
        let started = Instant::now();
        let r = client
            .get(format!("{}/health", am.base))
            .send()
            .await
            .expect("/health answers within 1 s");
        assert_eq!(r.status(), 200);
        eprintln!(
            "numbers: /health under 1,000 idle connections: {} ms",
            started.elapsed().as_millis()
        );
    }
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_go_on_while_a_thousand_idle_connections_are_held() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flink-mesos-conf.tar");
    std::fs::write(&file, b"the configuration").unwrap();
    let mut registry = flink_mesos::artifacts::Registry::default();
    registry.add("flink-mesos-conf.tar", &file).unwrap();
    let server = crate::artifacts::serve(registry).await;
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(
            tokio::net::TcpStream::connect(server.local_addr())
                .await
                .unwrap(),
        );
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let body = client
        .get(server.url("flink-mesos-conf.tar"))
        .send()
        .await
        .expect("the fetch is served within 1 s")
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"the configuration");
    eprintln!(
        "numbers: a fetch under 1,000 idle connections: {} ms",
        started.elapsed().as_millis()
    );
    drop(idle);
}
