//! High availability end to end: `flink-mesos appmaster` processes with
//! `high-availability: zookeeper` against a real ZooKeeper and a genuine
//! Mesos master. One leads, the other stands by and takes over when the
//! leader is killed; an appmaster killed (-9) while it launches workers is
//! restarted and brings the cluster to exactly the desired workers, none
//! launched twice, no orphan task.

use std::process::Command;
use std::time::Duration;

use crate::support::appmaster::task_pid;
use crate::support::ha::{cluster, count, fixed_artifact_port, tasks, Am};
use crate::support::mesos_local::MesosLocal;
use crate::support::zookeeper::{Ensemble, Proxy, ZooKeeper};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_ha_standby_takes_over_when_the_leader_dies() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        "-Dmesos.initial-tasks=3",
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 631",
        &cluster("ha-standby"),
    ];
    let first = Am::start(dir.path(), "first", &mesos, &zk, &extra);
    let v = first
        .wait_status("3 running workers", |v| count(v, "running") == 3)
        .await;
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    let second = Am::start(dir.path(), "second", &mesos, &zk, &extra);
    second.wait_stderr("standing by").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(second.status().await["phase"], "standby");
    let (before, _) = tasks(&mesos, &framework_id).await;
    assert_eq!(before.len(), 3, "{before:?}");
    // The standby has not talked to Mesos at all: one framework, one
    // subscriber.
    assert!(
        !second.stderr().contains("subscribed to the Mesos master"),
        "{}",
        second.stderr()
    );
    let state = mesos.get_json("/master/state").await;
    assert_eq!(state["frameworks"].as_array().map(|f| f.len()), Some(1));

    // The leader dies hard: the standby takes over within the session
    // timeout, fails over to the same framework and adopts the workers.
    first.signal("KILL");
    let v = second
        .wait_status("the standby leads with 3 running workers", |v| {
            v["connected"] == true && count(v, "running") == 3
        })
        .await;
    assert_eq!(v["framework_id"], framework_id.as_str());
    let (after, completed) = tasks(&mesos, &framework_id).await;
    assert_eq!(after, before, "the same workers, none launched again");
    assert!(completed.is_empty(), "{completed:?}");

    // With HA, SIGTERM leaves the framework for the next leader.
    let mut second = second;
    second.signal("TERM");
    let status = second.wait_exit().await;
    assert!(status.success(), "{status}\n{}", second.stderr());
    let (still, _) = tasks(&mesos, &framework_id).await;
    assert_eq!(still.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_ha_kill_9_during_launches_then_restart_gives_exactly_10() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let artifacts = fixed_artifact_port();
    // Launches in flight when an appmaster dies fail to fetch from its
    // artifact server (a new start serves under a new id); the next leader
    // replaces them uncounted (scheduler: inherited launches). Never give up
    // all the same: this test is about the count of running workers.
    let extra = [
        "-Dmesos.initial-tasks=10",
        "-Dmesos.maximum-failed-tasks=-1",
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 632",
        &artifacts,
        &cluster("ha-kill"),
    ];
    let mut framework_id = None;
    // Killed as soon as it leads and is subscribed (the ACCEPT may or may
    // not be out), and while launches are being fetched.
    for (round, launched) in [0usize, 1].into_iter().enumerate() {
        let mut am = Am::start(dir.path(), &format!("am{round}"), &mesos, &zk, &extra);
        let v = am
            .wait_status_for("launches under way", Duration::from_secs(100), |v| {
                v["connected"] == true && count(v, "launched") + count(v, "running") >= launched
            })
            .await;
        if let Some(id) = v["framework_id"].as_str() {
            framework_id.get_or_insert(id.to_string());
        }
        am.signal("KILL");
        am.wait_exit().await;
    }
    let am = Am::start(dir.path(), "last", &mesos, &zk, &extra);
    let v = am
        .wait_status_for("10 running workers", Duration::from_secs(150), |v| {
            count(v, "running") == 10
        })
        .await;
    let id = v["framework_id"].as_str().unwrap().to_string();
    if let Some(first) = &framework_id {
        assert_eq!(&id, first, "one framework throughout");
    }
    // Let stragglers show up (a launch the store had not seen would be
    // killed as unknown and appear as completed).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (active, completed) = tasks(&mesos, &id).await;
    assert_eq!(active.len(), 10, "{active:?}\n{}", am.stderr());
    // None launched twice: every task id appears once in the master's whole
    // history of the framework. (Launches in flight when an appmaster was
    // killed may have failed to fetch from its artifact server; they were
    // replaced under new ids.)
    let mut all: Vec<&String> = active.iter().chain(&completed).collect();
    all.sort();
    let total = all.len();
    all.dedup();
    assert_eq!(
        all.len(),
        total,
        "a task id was launched twice: {active:?} {completed:?}"
    );
    for t in &completed {
        assert!(!active.contains(t));
    }
    let running: Vec<String> = v["workers"]["running"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["task_id"].as_str().unwrap().to_string())
        .collect();
    let mut running = running;
    running.sort();
    // No orphan: what runs is exactly what the appmaster knows.
    assert_eq!(running, active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_ha_lost_leadership_stops_at_once_then_leads_again() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        "-Dmesos.initial-tasks=2",
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 633",
        &cluster("ha-lost"),
    ];
    let mut am = Am::start(dir.path(), "am", &mesos, &zk, &extra);
    let v = am
        .wait_status("2 running workers", |v| count(v, "running") == 2)
        .await;
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    let (before, _) = tasks(&mesos, &framework_id).await;
    // Someone deletes the leader latch (as a session expiry would).
    let client = zookeeper_client::Client::connect(&zk.connect_string())
        .await
        .unwrap();
    let dir_path = "/flink/ha-lost/mesos-workers/leader";
    for latch in client.list_children(dir_path).await.unwrap() {
        client
            .delete(&format!("{dir_path}/{latch}"), None)
            .await
            .unwrap();
    }
    am.wait_stderr("lost the leadership").await;
    // No other appmaster: it leads again, re-reads the store and fails over
    // to the same framework with the same workers.
    am.wait_stderr_times("leading: reading the worker store", 2)
        .await;
    let v = am
        .wait_status("2 running workers again", |v| {
            v["connected"] == true && count(v, "running") == 2
        })
        .await;
    assert_eq!(v["framework_id"], framework_id.as_str());
    let (after, completed) = tasks(&mesos, &framework_id).await;
    assert_eq!(after, before, "no TEARDOWN, no KILL, no relaunch");
    assert!(completed.is_empty(), "{completed:?}");

    am.signal("TERM");
    let status = am.wait_exit().await;
    assert!(status.success(), "{status}\n{}", am.stderr());
    let (still, _) = tasks(&mesos, &framework_id).await;
    assert_eq!(
        still.len(),
        2,
        "with HA the framework is left for the next leader"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_ha_zookeeper_ensemble_leader_killed_goes_unnoticed() {
    let mut ensemble = Ensemble::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        "-Dmesos.initial-tasks=2",
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 634",
        "-Dhigh-availability.zookeeper.client.session-timeout=10 s",
        &cluster("ha-ensemble"),
    ];
    let am = Am::start_with(dir.path(), "am", &mesos, &ensemble.connect_string(), &extra);
    let v = am
        .wait_status("2 running workers", |v| count(v, "running") == 2)
        .await;
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    let leader = ensemble.leader().expect("an ensemble leader");
    ensemble.kill(leader);
    // The session moves to another server while the ensemble re-elects;
    // nobody notices.
    let (before, _) = tasks(&mesos, &framework_id).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let v = am
        .wait_status("still 2 running", |v| count(v, "running") == 2)
        .await;
    assert_eq!(v["phase"], "running");
    assert_eq!(v["framework_id"], framework_id.as_str());
    let stderr = am.stderr();
    assert!(!stderr.contains("lost the leadership"), "{stderr}");
    assert!(!stderr.contains("ERROR"), "{stderr}");
    let (after, _) = tasks(&mesos, &framework_id).await;
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_ha_session_expiry_loses_nothing() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // The appmaster reaches ZooKeeper through a proxy the test cuts.
    let proxy = Proxy::start(zk.port).await;
    let extra = [
        "-Dmesos.initial-tasks=2",
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 635",
        &cluster("ha-expiry"),
    ];
    let am = Am::start_with(
        dir.path(),
        "am",
        &mesos,
        &format!("127.0.0.1:{}", proxy.port),
        &extra,
    );
    let v = am
        .wait_status("2 running workers", |v| count(v, "running") == 2)
        .await;
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    let (before, _) = tasks(&mesos, &framework_id).await;

    // Cut off longer than the 4 s session timeout: the server expires the
    // session, the appmaster gives up the leadership (after 2 s) and keeps
    // trying to stand by; the workers keep running.
    proxy.set_cut(true);
    am.wait_stderr("lost the leadership").await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (during, _) = tasks(&mesos, &framework_id).await;
    assert_eq!(during, before, "workers keep running");
    proxy.set_cut(false);

    // Back: a new session, the store read again, the same framework and
    // workers, nothing relaunched.
    am.wait_stderr_times("leading: reading the worker store", 2)
        .await;
    let v = am
        .wait_status("2 running workers again", |v| {
            v["connected"] == true && count(v, "running") == 2
        })
        .await;
    assert_eq!(v["framework_id"], framework_id.as_str());
    let (after, completed) = tasks(&mesos, &framework_id).await;
    assert_eq!(after, before);
    assert!(completed.is_empty(), "{completed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_ha_forced_repair_makes_the_leader_read_the_store_afresh() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        "-Dmesos.initial-tasks=1",
        "-Dmesos.resourcemanager.tasks.taskmanager-cmd=sleep 636",
        &cluster("ha-repair"),
    ];
    let am = Am::start(dir.path(), "am", &mesos, &zk, &extra);
    let v = am
        .wait_status("1 running worker", |v| count(v, "running") == 1)
        .await;
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    // An operator forgets the running worker while the leader runs.
    let quorum = format!(
        "-Dhigh-availability.zookeeper.quorum={}",
        zk.connect_string()
    );
    let out = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .env_remove("FLINK_CONF_DIR")
        .args(["workers", "forget", "taskmanager-00001", "--force", "--yes"])
        .args([
            "-Dhigh-availability.type=zookeeper",
            &quorum,
            &cluster("ha-repair"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The worker dies: the leader's write about it conflicts with the
    // repair; it gives the leadership up, leads again with the store as it
    // is now, and brings the cluster back to one worker.
    let pid = task_pid("taskmanager-00001", &["sleep", "636"]).expect("the worker's process");
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    am.wait_stderr("lost the leadership").await;
    let v = am
        .wait_status("a replacement running", |v| {
            count(v, "running") == 1 && v["workers"]["running"][0]["task_id"] != "taskmanager-00001"
        })
        .await;
    assert_eq!(v["framework_id"], framework_id.as_str());
    assert!(
        am.stderr().contains("changed by someone else"),
        "{}",
        am.stderr()
    );
}
