//! The ZooKeeper worker store and leader election against a real ZooKeeper
//! (standalone, and a 3-node ensemble): round trips, conditional writes,
//! fencing of a deposed leader, session expiry and connection loss without
//! data loss, an ensemble leader killed without an error.

use std::time::Duration;

use flink_mesos::config::secret::Secret;
use flink_mesos::scheduler::{Worker, WorkerState};
use flink_mesos::store::leader::{campaign, current_leader, LeaderInfo, Leadership};
use flink_mesos::store::zk::{Zk, ZkConfig, ZkStore};
use flink_mesos::store::{FrameworkIdentity, StoreError, WorkerStore, Write};

use crate::support::zookeeper::{Ensemble, Proxy, ZooKeeper};

pub fn config(servers: &str, base: &str, session: Duration) -> ZkConfig {
    ZkConfig {
        servers: servers
            .split(',')
            .map(|s| {
                let (h, p) = s.rsplit_once(':').unwrap();
                (h.to_string(), p.parse().unwrap())
            })
            .collect(),
        base: base.into(),
        session_timeout: session,
        // Generous: the machine is shared; a ZooKeeper JVM can be slow.
        connect_timeout: Duration::from_secs(20),
        digest: None,
        acl_creator: false,
        tls: None,
        kerberos: None,
    }
}

pub fn worker(n: u32, state: WorkerState) -> Worker {
    Worker {
        task_id: format!("taskmanager-{n:05}"),
        state,
        agent_id: (state != WorkerState::New).then(|| format!("agent-{}", n % 3)),
        hostname: (state != WorkerState::New).then(|| format!("host-{}", n % 3)),
        ports: vec![("taskmanager.rpc.port".into(), 31000 + n as u16)],
    }
}

/// `step`, or a panic that names it when it takes over 60 s (far past any
/// session timeout here): a hang fails with its name instead of the runner's
/// timeout.
/// A framework's name, role and principal, stored with its id.
fn who() -> FrameworkIdentity {
    FrameworkIdentity {
        name: "Flink".into(),
        role: "*".into(),
        principal: None,
    }
}

async fn bounded<T>(what: &str, step: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), step)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within 60 s"))
}

pub async fn leader(zk: &Zk, host: &str) -> Leadership {
    tokio::time::timeout(
        Duration::from_secs(30),
        campaign(zk, &LeaderInfo::this_process(host, None), |_| {}),
    )
    .await
    .expect("no leadership within 30 s")
    .unwrap()
}

/// A session with `cs` for the store at `base`, leading as `host`, and the
/// leader's store (not loaded yet).
async fn leading_store(
    cs: &str,
    base: &str,
    session: Duration,
    host: &str,
) -> (Zk, Leadership, ZkStore) {
    let zk = Zk::connect(config(cs, base, session)).await.unwrap();
    let lead = leader(&zk, host).await;
    let store = ZkStore::for_leader(zk.clone(), lead.latch().to_string());
    (zk, lead, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_zk_round_trip_and_readable_layout() {
    crate::support::trace_to_test_output();
    let server = ZooKeeper::start();
    let cs = server.connect_string();
    let (zk, lead, mut store) = leading_store(
        &cs,
        "/flink/default/mesos-workers",
        Duration::from_secs(10),
        "am-1",
    )
    .await;
    let snap = store.load().await.unwrap();
    assert_eq!(snap.framework_id, None);
    assert_eq!(snap.next_task_number, 0);
    assert!(snap.workers.is_empty());

    store.set_framework_id("fw-1", &who()).await.unwrap();
    // The counter and the New worker in one multi.
    store
        .apply(vec![
            Write::NextTaskNumber(3),
            Write::Worker(worker(1, WorkerState::New)),
            Write::Worker(worker(2, WorkerState::New)),
        ])
        .await
        .unwrap();
    store
        .put_worker(&worker(1, WorkerState::Launched))
        .await
        .unwrap();
    store
        .put_worker(&worker(1, WorkerState::Running))
        .await
        .unwrap();
    store.remove_worker("taskmanager-00002").await.unwrap();
    store.remove_worker("taskmanager-00099").await.unwrap();

    // Another reader sees the same.
    let mut other = ZkStore::new(zk.clone(), None);
    let snap = other.load().await.unwrap();
    assert_eq!(snap.framework_id.as_deref(), Some("fw-1"));
    assert_eq!(snap.next_task_number, 3);
    assert_eq!(snap.workers, vec![worker(1, WorkerState::Running)]);
    let records = other.load_records().await.unwrap().unwrap();
    let (record, version) = &records.workers[0];
    assert_eq!(*version, 2);
    assert!(record.launched_at.as_deref().unwrap().ends_with('Z'));

    // What `zkCli get` shows: readable JSON and text.
    let (data, _) = zk
        .client()
        .get_data("/flink/default/mesos-workers/workers/taskmanager-00001")
        .await
        .unwrap();
    let text = String::from_utf8(data).unwrap();
    assert!(
        text.starts_with(
            r#"{"format":1,"worker":{"task_id":"taskmanager-00001","state":"running""#
        ),
        "{text}"
    );
    let (data, _) = zk
        .client()
        .get_data("/flink/default/mesos-workers/taskCount")
        .await
        .unwrap();
    assert_eq!(data, b"3");
    let (data, _) = zk
        .client()
        .get_data("/flink/default/mesos-workers")
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(data).unwrap(),
        r#"{"format":1,"kind":"flink-mesos worker store"}"#
    );
    let (path, info) = current_leader(&zk).await.unwrap().unwrap();
    assert_eq!(path, lead.latch());
    assert_eq!(info.unwrap().host, "am-1");

    // The floor `workers scale` set: stored, readable by the next leader.
    assert_eq!(other.load().await.unwrap().floor, None);
    store.apply(vec![Write::Floor(4)]).await.unwrap();
    assert_eq!(other.load().await.unwrap().floor, Some(4));
    let (data, _) = zk
        .client()
        .get_data("/flink/default/mesos-workers/floor")
        .await
        .unwrap();
    assert_eq!(data, b"4");

    store.clear_framework_id().await.unwrap();
    assert_eq!(other.load().await.unwrap().framework_id, None);
    lead.resign().await;
    assert!(current_leader(&zk).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_zk_conditional_writes_conflict() {
    crate::support::trace_to_test_output();
    let server = ZooKeeper::start();
    let cs = server.connect_string();
    let zk = Zk::connect(config(&cs, "/c/w", Duration::from_secs(10)))
        .await
        .unwrap();
    zk.ensure_layout().await.unwrap();
    let mut first = ZkStore::new(zk.clone(), None);
    first.load().await.unwrap();
    first.set_next_task_number(2).await.unwrap();
    let mut second = ZkStore::new(zk.clone(), None);
    second.load().await.unwrap();
    second.set_next_task_number(5).await.unwrap();
    // `first` has not seen the write of `second`.
    match first.set_next_task_number(3).await {
        Err(StoreError::Conflict { key }) => assert_eq!(key, "/c/w/taskCount"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A batch is all or nothing: the worker of a failed batch is not there.
    let mut third = ZkStore::new(zk.clone(), None);
    third.load().await.unwrap();
    second.set_next_task_number(6).await.unwrap();
    assert!(matches!(
        third
            .apply(vec![
                Write::Worker(worker(7, WorkerState::New)),
                Write::NextTaskNumber(8),
            ])
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let snap = second.load().await.unwrap();
    assert!(snap.workers.is_empty());
    assert_eq!(snap.next_task_number, 6);
    // A handle that never read cannot create over an existing record.
    let mut blind = ZkStore::new(zk.clone(), None);
    assert!(matches!(
        blind.set_next_task_number(9).await,
        Err(StoreError::Conflict { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_zk_deposed_leader_cannot_write_and_nothing_is_lost() {
    crate::support::trace_to_test_output();
    let server = ZooKeeper::start();
    let cs = server.connect_string();
    let cfg = config(&cs, "/flink/f/mesos-workers", Duration::from_secs(4));
    // A reaches ZooKeeper through a proxy that the test cuts.
    let proxy = Proxy::start(server.port).await;
    let zk_a = Zk::connect(config(
        &format!("127.0.0.1:{}", proxy.port),
        "/flink/f/mesos-workers",
        Duration::from_secs(4),
    ))
    .await
    .unwrap();
    let zk_b = Zk::connect(cfg.clone()).await.unwrap();
    let lead_a = leader(&zk_a, "am-a").await;
    let mut store_a = ZkStore::for_leader(zk_a.clone(), lead_a.latch().to_string());
    store_a.load().await.unwrap();
    store_a.set_framework_id("fw-a", &who()).await.unwrap();
    for n in 1..=5 {
        store_a
            .apply(vec![
                Write::NextTaskNumber(u64::from(n) + 1),
                Write::Worker(worker(n, WorkerState::Launched)),
            ])
            .await
            .unwrap();
    }

    // B waits while A leads.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let b = {
        let (zk_b, seen) = (zk_b.clone(), seen.clone());
        tokio::spawn(async move {
            campaign(&zk_b, &LeaderInfo::this_process("am-b", None), move |l| {
                seen.lock().unwrap().push(l.map(|l| l.host.clone()))
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!b.is_finished(), "B must wait while A leads");
    assert_eq!(*seen.lock().unwrap(), vec![Some("am-a".to_string())]);

    // A is cut off longer than its session timeout: the server expires the
    // session, A has lost its leadership (A notices after half the timeout),
    // B leads.
    proxy.set_cut(true);
    let reason = tokio::time::timeout(Duration::from_secs(10), lead_a.wait_lost())
        .await
        .expect("A must notice");
    // Whichever A sees first: the session's end or its latch vanishing.
    assert!(
        reason.contains("session") || reason.contains("deleted"),
        "{reason}"
    );
    let lead_b = tokio::time::timeout(Duration::from_secs(15), b)
        .await
        .expect("B must take over")
        .unwrap()
        .unwrap();
    proxy.set_cut(false);
    let mut store_b = ZkStore::for_leader(zk_b.clone(), lead_b.latch().to_string());
    let snap = store_b.load().await.unwrap();
    assert_eq!(snap.framework_id.as_deref(), Some("fw-a"));
    assert_eq!(snap.next_task_number, 6);
    assert_eq!(snap.workers.len(), 5);
    store_b
        .put_worker(&worker(1, WorkerState::Running))
        .await
        .unwrap();

    // A deposed leader with a fresh session (and its old versions) still
    // cannot write: its latch is gone.
    let zk_a2 = Zk::connect(cfg.clone()).await.unwrap();
    let mut store_a2 = ZkStore::for_leader(zk_a2.clone(), lead_a.latch().to_string());
    store_a2.load().await.unwrap();
    match store_a2.put_worker(&worker(9, WorkerState::New)).await {
        Err(StoreError::LeadershipLost(m)) => assert!(m.contains("latch"), "{m}"),
        other => panic!("expected LeadershipLost, got {other:?}"),
    }
    // And the expired session's store refuses too.
    match store_a.put_worker(&worker(2, WorkerState::Running)).await {
        Err(StoreError::LeadershipLost(_)) => {}
        other => panic!("expected LeadershipLost, got {other:?}"),
    }
    let snap = ZkStore::new(zk_a2.clone(), None).load().await.unwrap();
    assert_eq!(snap.workers.len(), 5);
    assert!(snap
        .workers
        .iter()
        .all(|w| w.task_id != "taskmanager-00009"));

    // The restarts column counts the failover for the worker B rewrote.
    let records = ZkStore::new(zk_a2, None)
        .load_records()
        .await
        .unwrap()
        .unwrap();
    let restarts: Vec<u32> = records.workers.iter().map(|(r, _)| r.restarts).collect();
    assert_eq!(restarts, vec![1, 0, 0, 0, 0]);

    // A deleted latch is lost leadership even while the session lives.
    zk_b.client().delete(lead_b.latch(), None).await.unwrap();
    let reason = tokio::time::timeout(Duration::from_secs(10), lead_b.wait_lost())
        .await
        .expect("B must notice");
    assert!(reason.contains("deleted"), "{reason}");
    assert!(matches!(
        store_b.put_worker(&worker(1, WorkerState::Running)).await,
        Err(StoreError::LeadershipLost(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_zk_connection_loss_within_the_session_is_survived() {
    crate::support::trace_to_test_output();
    let mut server = ZooKeeper::start();
    let cs = server.connect_string();
    // The longest session the server grants (20 ticks): the grace is half
    // of it, 10 s, and the server's JVM takes 2-5 s to start again on a
    // loaded machine after its 2 s down.
    let (zk, lead, mut store) =
        leading_store(&cs, "/flink/l/mesos-workers", Duration::from_secs(20), "am").await;
    store.load().await.unwrap();
    store
        .put_worker(&worker(1, WorkerState::New))
        .await
        .unwrap();

    // The server dies and comes back 2 s later (same data): the write issued
    // meanwhile completes, the leadership survives. Every step has a bound
    // well past the session's, so a hang names its step.
    let restart = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(200));
        server.restart_after(Duration::from_secs(2));
        server
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    bounded(
        "the write during the outage",
        store.apply(vec![
            Write::Worker(worker(1, WorkerState::Launched)),
            Write::NextTaskNumber(2),
        ]),
    )
    .await
    .unwrap();
    let _server = bounded("the restart", restart).await.unwrap();
    assert!(lead.lost().borrow().is_none());
    bounded(
        "the write after the outage",
        store.put_worker(&worker(1, WorkerState::Running)),
    )
    .await
    .unwrap();
    let snap = bounded("the read", ZkStore::new(zk.clone(), None).load())
        .await
        .unwrap();
    assert_eq!(snap.workers, vec![worker(1, WorkerState::Running)]);
    assert_eq!(snap.next_task_number, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_zk_requests_while_zookeeper_is_gone_fail_within_the_session_timeout() {
    crate::support::trace_to_test_output();
    let mut server = ZooKeeper::start();
    let cs = server.connect_string();
    let (zk, lead, mut store) =
        leading_store(&cs, "/flink/g/mesos-workers", Duration::from_secs(4), "am").await;
    store.load().await.unwrap();
    server.kill();
    // The leader's write fails as lost leadership (another appmaster may
    // lead once the session is gone), naming the servers; a read fails as
    // an expired session. Neither waits past the session (bound: 60 s).
    let write = tokio::time::timeout(
        Duration::from_secs(60),
        store.put_worker(&worker(1, WorkerState::New)),
    )
    .await
    .expect("a write must not hang while ZooKeeper is gone");
    match write {
        Err(StoreError::LeadershipLost(m)) => assert!(m.contains(&cs), "{m}"),
        other => panic!("expected LeadershipLost, got {other:?}"),
    }
    let read = tokio::time::timeout(
        Duration::from_secs(60),
        ZkStore::new(zk.clone(), None).load(),
    )
    .await
    .expect("a read must not hang while ZooKeeper is gone");
    match read {
        Err(e) => assert!(e.to_string().contains(&cs), "{e}"),
        Ok(snap) => panic!("read without a server: {snap:?}"),
    }
    let reason = tokio::time::timeout(Duration::from_secs(60), lead.wait_lost())
        .await
        .expect("the leadership must end");
    assert!(reason.contains("ZooKeeper"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_zk_ensemble_leader_killed_without_an_error() {
    crate::support::trace_to_test_output();
    let mut ensemble = Ensemble::start();
    let cs = ensemble.connect_string();
    let (zk, lead, mut store) =
        leading_store(&cs, "/flink/e/mesos-workers", Duration::from_secs(10), "am").await;
    store.load().await.unwrap();
    for n in 1..=20u32 {
        if n == 5 {
            let i = ensemble.leader().expect("a leader");
            ensemble.kill(i);
        }
        store
            .apply(vec![
                Write::NextTaskNumber(u64::from(n) + 1),
                Write::Worker(worker(n, WorkerState::New)),
            ])
            .await
            .unwrap_or_else(|e| panic!("write {n}: {e}"));
        store
            .put_worker(&worker(n, WorkerState::Launched))
            .await
            .unwrap_or_else(|e| panic!("write {n}: {e}"));
    }
    assert!(lead.lost().borrow().is_none(), "{:?}", lead.lost().borrow());
    let snap = ZkStore::new(zk, None).load().await.unwrap();
    assert_eq!(snap.workers.len(), 20);
    assert_eq!(snap.next_task_number, 21);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_zk_clear_errors_for_foreign_paths_auth_and_no_server() {
    crate::support::trace_to_test_output();
    let server = ZooKeeper::start();
    let cs = server.connect_string();
    let plain = Zk::connect(config(&cs, "/other", Duration::from_secs(10)))
        .await
        .unwrap();
    plain
        .client()
        .create(
            "/other",
            b"\xac\xed\x00\x05java",
            &zookeeper_client::CreateMode::Persistent
                .with_acls(zookeeper_client::Acls::anyone_all()),
        )
        .await
        .unwrap();
    let e = ZkStore::new(plain.clone(), None).load().await.unwrap_err();
    assert!(
        e.to_string().contains("/other")
            && e.to_string().contains("not a flink-mesos worker store"),
        "{e}"
    );

    // Credentials and creator ACLs: others cannot read; the password never
    // shows in an error.
    let mut secured = config(&cs, "/sec/w", Duration::from_secs(10));
    secured.digest = Some(("flink".into(), Secret::new("zk-s3cret")));
    secured.acl_creator = true;
    let owner = Zk::connect(secured.clone()).await.unwrap();
    let lead = leader(&owner, "am").await;
    let mut store = ZkStore::for_leader(owner.clone(), lead.latch().to_string());
    store.load().await.unwrap();
    store
        .put_worker(&worker(1, WorkerState::New))
        .await
        .unwrap();
    store.set_next_task_number(2).await.unwrap();
    let anonymous = Zk::connect(config(&cs, "/sec/w", Duration::from_secs(10)))
        .await
        .unwrap();
    // Nor write, delete or add anything: every node the appmaster created
    // (the base, the counter, the workers' directory, a worker, the leader
    // latch) is the digest user's alone.
    let raw = anonymous.client().clone();
    let nodes = [
        owner.base().to_string(),
        owner.path("taskCount"),
        owner.path("workers"),
        owner.worker_path("taskmanager-00001"),
        lead.latch().to_string(),
    ];
    for node in &nodes {
        let denied = |r: Result<(), zookeeper_client::Error>| {
            matches!(r, Err(zookeeper_client::Error::NoAuth))
        };
        let read = raw.get_data(node).await.map(|_| ());
        assert!(denied(read.clone()), "{node} readable: {read:?}");
        assert!(
            denied(raw.set_data(node, b"x", None).await.map(|_| ())),
            "{node} writable"
        );
        // The base's parent is open (Flink creates its own nodes there),
        // but the base is never empty and its children are the owner's.
        let delete = raw.delete(node, None).await;
        assert!(
            denied(delete.clone())
                || (*node == owner.base()
                    && matches!(delete, Err(zookeeper_client::Error::NotEmpty))),
            "{node} deletable: {delete:?}"
        );
    }
    let create = raw
        .create(
            &owner.worker_path("taskmanager-00099"),
            b"x",
            &zookeeper_client::CreateMode::Persistent
                .with_acls(zookeeper_client::Acls::anyone_all()),
        )
        .await;
    assert!(
        matches!(create, Err(zookeeper_client::Error::NoAuth)),
        "{create:?}"
    );
    let e = ZkStore::new(anonymous, None).load().await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("denies access") && text.contains("digest.username"),
        "{text}"
    );
    let mut wrong = secured.clone();
    wrong.digest = Some(("flink".into(), Secret::new("wrong-pass")));
    let text = match Zk::connect(wrong).await {
        Ok(zk) => ZkStore::new(zk, None).load().await.unwrap_err().to_string(),
        Err(e) => e.to_string(),
    };
    assert!(
        !text.contains("zk-s3cret") && !text.contains("wrong-pass"),
        "{text}"
    );

    // Nothing listening.
    let port = crate::support::free_port();
    let mut nowhere = config(&format!("127.0.0.1:{port}"), "/x", Duration::from_secs(4));
    nowhere.connect_timeout = Duration::from_secs(2);
    let e = Zk::connect(nowhere).await.unwrap_err().to_string();
    assert!(
        e.contains("cannot reach ZooKeeper") && e.contains(&port.to_string()),
        "{e}"
    );
}
