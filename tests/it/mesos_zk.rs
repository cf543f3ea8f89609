//! `zk://` master detection against a real ZooKeeper: the test plays the
//! masters' part and writes the `json.info_*` group members itself.

use std::time::Duration;

use flink_mesos::config::master::MasterSpec;
use flink_mesos::mesos::backoff::BackoffPolicy;
use flink_mesos::mesos::client::{Client, ClientOptions, Driver, SessionEvent};
use flink_mesos::mesos::detector::{detect_once, spawn_detector, DetectError};
use flink_mesos::mesos::{Event, FrameworkSettings};
use tokio::sync::mpsc;
use zookeeper_client::{Acls, CreateMode};

use crate::support::fake_master::{self, FakeMaster, Reply};
use crate::support::mesos_local::MesosLocal;
use crate::support::zookeeper::ZooKeeper;

fn master_json(port: u16) -> String {
    format!(
        r#"{{"address":{{"hostname":"127.0.0.1","ip":"127.0.0.1","port":{port}}},"hostname":"127.0.0.1","id":"m-{port}","ip":16777343,"pid":"master@127.0.0.1:{port}","port":{port},"version":"1.11.0"}}"#
    )
}

async fn zk_client(zk: &ZooKeeper, auth: Option<&str>) -> zookeeper_client::Client {
    let mut connector = zookeeper_client::Client::connector();
    if let Some(auth) = auth {
        connector = connector.with_auth("digest", auth.as_bytes());
    }
    connector.connect(&zk.connect_string()).await.unwrap()
}

/// Registers a master in the group; returns the member's path.
async fn register(zk: &zookeeper_client::Client, group: &str, port: u16, acls: Acls<'_>) -> String {
    let (_, seq) = zk
        .create(
            &format!("{group}/json.info_"),
            master_json(port).as_bytes(),
            &CreateMode::PersistentSequential.with_acls(acls),
        )
        .await
        .unwrap();
    format!("{group}/json.info_{seq}")
}

async fn next(rx: &mut mpsc::Receiver<SessionEvent>) -> SessionEvent {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("timed out")
        .expect("driver ended")
}

fn stream(id: &str) -> Reply {
    Reply::Stream {
        stream_id: format!("stream-{id}"),
        chunks: vec![(Duration::ZERO, fake_master::subscribed(id, 15.0))],
        then_hang: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zk_detection_follows_a_leader_change() {
    let zk = ZooKeeper::start();
    let client = zk_client(&zk, None).await;
    client
        .create(
            "/mesos",
            b"",
            &CreateMode::Persistent.with_acls(Acls::anyone_all()),
        )
        .await
        .unwrap();
    let first = FakeMaster::start(vec![stream("fw-zk")]).await;
    let second = FakeMaster::start(vec![stream("fw-zk")]).await;
    let first_member = register(&client, "/mesos", first.port, Acls::anyone_all()).await;
    register(&client, "/mesos", second.port, Acls::anyone_all()).await;

    let spec = MasterSpec::parse(&format!("zk://{}/mesos", zk.connect_string())).unwrap();
    let leader = detect_once(&spec).await.unwrap();
    assert_eq!(leader.url, first.url);
    assert_eq!(leader.version.as_deref(), Some("1.11.0"));

    let (source, detector) = spawn_detector(&spec).unwrap();
    let options = ClientOptions {
        backoff: BackoffPolicy {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
            reset_after: Duration::from_secs(60),
        },
        ..ClientOptions::default()
    };
    let mesos = Client::new(FrameworkSettings::new("zk", "nobody"), options).unwrap();
    let (driver, handle) = Driver::new(mesos, source, None);
    let (tx, mut rx) = mpsc::channel(16);
    let task = tokio::spawn(driver.run(tx));
    assert!(matches!(
        next(&mut rx).await,
        SessionEvent::Event(Event::Subscribed { .. })
    ));
    assert_eq!(first.subscribes().len(), 1);

    // The leader's member disappears: the next-lowest member leads, and the
    // framework fails over to it with its framework id.
    client.delete(&first_member, None).await.unwrap();
    match next(&mut rx).await {
        SessionEvent::Disconnected { reason } => assert!(reason.contains("leading"), "{reason}"),
        other => panic!("expected a disconnect, got {other:?}"),
    }
    assert!(matches!(
        next(&mut rx).await,
        SessionEvent::Event(Event::Subscribed { .. })
    ));
    let subs = second.subscribes();
    assert_eq!(subs.len(), 1);
    assert!(subs[0].body_contains(b"fw-zk"));

    handle.stop();
    task.await.unwrap().unwrap();
    if let Some(d) = detector {
        d.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zk_digest_authentication_and_a_genuine_master() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    // The group is readable only with the digest credentials.
    let client = zk_client(&zk, Some("flink:zk-s3cret")).await;
    client
        .create(
            "/secured",
            b"",
            &CreateMode::Persistent.with_acls(Acls::creator_all()),
        )
        .await
        .unwrap();
    let port = mesos.url.rsplit(':').next().unwrap().parse().unwrap();
    register(&client, "/secured", port, Acls::creator_all()).await;

    let anonymous = MasterSpec::parse(&format!("zk://{}/secured", zk.connect_string())).unwrap();
    match detect_once(&anonymous).await {
        Err(e @ DetectError::ZooKeeper { .. }) => {
            assert!(e.to_string().to_lowercase().contains("auth"), "{e}")
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
    let spec = MasterSpec::parse(&format!(
        "zk://flink:zk-s3cret@{}/secured",
        zk.connect_string()
    ))
    .unwrap();
    let leader = detect_once(&spec).await.unwrap();
    assert_eq!(leader.url, mesos.url);

    // `flink-mesos master` finds it the same way and never shows the password.
    let arg = format!(
        "-Dmesos.master=zk://flink:zk-s3cret@{}/secured",
        zk.connect_string()
    );
    let out = tokio::task::spawn_blocking(move || crate::mesos::flink_mesos(&["master", &arg]))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("zk://flink:******@"), "{text}");
    assert!(!text.contains("zk-s3cret"), "{text}");
    assert!(
        text.contains(&format!("leader      {} (leading)", mesos.url)),
        "{text}"
    );
    assert!(text.contains("found as    json.info_0000000000"), "{text}");

    // And the genuine master found through ZooKeeper accepts the framework.
    let (source, detector) = spawn_detector(&spec).unwrap();
    let client = Client::new(
        FrameworkSettings::new("zk-real", "root"),
        ClientOptions::default(),
    )
    .unwrap();
    let (driver, handle) = Driver::new(client, source, None);
    let (tx, mut rx) = mpsc::channel(16);
    let task = tokio::spawn(driver.run(tx));
    let ev = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let SessionEvent::Event(Event::Subscribed { master, .. }) = ev else {
        panic!("expected SUBSCRIBED, got {ev:?}");
    };
    assert_eq!(master.unwrap().port, port);
    handle.stop();
    task.await.unwrap().unwrap();
    if let Some(d) = detector {
        d.abort();
    }
}
