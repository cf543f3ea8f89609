//! The appmaster's lifecycle as a library (`flink_mesos::appmaster::serve`),
//! without the binary: two appmasters in this process share one ZooKeeper
//! and one genuine Mesos; one leads and runs the workers, the other stands
//! by; a stop request hands the leadership over and the standby fails over
//! to the same framework with the same workers; a second stop request ends
//! `serve` at once.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{oneshot, watch};

use flink_mesos::appmaster::serve::{self, Ended, Endpoints};
use flink_mesos::config::settings::{resolve, Purpose, ValidateOptions};
use flink_mesos::config::{Config, LoadOptions};

use crate::support::ha::count;
use crate::support::mesos_local::MesosLocal;
use crate::support::zookeeper::ZooKeeper;

struct Running {
    stop: watch::Sender<u32>,
    status: String,
    task: tokio::task::JoinHandle<Result<Ended, serve::ServeError>>,
}

/// Prepares and starts one appmaster in `work` (HA on `zk`, 2 tiny workers).
async fn start(
    mesos: &MesosLocal,
    zk: &ZooKeeper,
    work: &std::path::Path,
    cluster: &str,
) -> Running {
    let dynamic: Vec<String> = [
        format!("mesos.master={}", mesos.url.trim_start_matches("http://")),
        "mesos.initial-tasks=2".into(),
        "mesos.resourcemanager.tasks.mem=32".into(),
        "mesos.resourcemanager.tasks.cpus=0.1".into(),
        "mesos.resourcemanager.tasks.taskmanager-cmd=sleep 612".into(),
        "mesos.failover-timeout=120".into(),
        "high-availability.type=zookeeper".into(),
        "high-availability.storageDir=file:///tmp/flink-mesos-it-ha".into(),
        "high-availability.zookeeper.client.session-timeout=4 s".into(),
        format!("high-availability.zookeeper.quorum={}", zk.connect_string()),
        format!("high-availability.cluster-id={cluster}"),
    ]
    .into();
    let config = Config::load(&LoadOptions {
        conf_dir: None,
        dynamic,
        env: vec![],
    })
    .unwrap();
    let report = resolve(
        &config,
        ValidateOptions {
            purpose: Purpose::Appmaster,
            strict: false,
        },
    );
    let settings = report.settings.expect("a valid configuration");
    let master = settings.master.clone().expect("mesos.master");
    let prepared = serve::prepare(serve::Setup {
        config: &config,
        settings,
        master,
        work_dir: work.to_path_buf(),
        flink_home: None,
        run_jobmanager: false,
        jobmanager_restarts: 0,
        keep_framework: false,
        status_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        self_exe: None,
        hadoop_conf_dir: None,
        job: None,
    })
    .unwrap();
    let (stop, stop_rx) = watch::channel(0u32);
    let (ready_tx, ready_rx) = oneshot::channel::<Endpoints>();
    let lock = prepared.work_dir_lock;
    let inputs = prepared.inputs;
    let task = tokio::spawn(async move {
        let _lock = lock;
        serve::serve(inputs, stop_rx, |at| {
            let _ = ready_tx.send(at.clone());
        })
        .await
    });
    let at = ready_rx.await.expect("serve announced its endpoints");
    Running {
        stop,
        status: format!("http://{}", at.status_bound),
        task,
    }
}

async fn status(base: &str) -> Option<Value> {
    let r = reqwest::get(format!("{base}/status")).await.ok()?;
    serde_json::from_slice(&r.bytes().await.ok()?).ok()
}

async fn wait_status(base: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = status(base).await {
            if ok(&v) {
                return v;
            }
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_hands_the_leadership_over_on_stop_and_a_second_stop_ends_at_once() {
    let zk = ZooKeeper::start();
    let mesos = MesosLocal::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cluster = format!("serve-{}", std::process::id());
    let a = start(&mesos, &zk, &dir.path().join("a"), &cluster).await;
    let led = wait_status(&a.status, "a leads with 2 workers", |v| {
        v["phase"] == "running" && count(v, "running") == 2
    })
    .await;
    let framework = led["framework_id"].as_str().unwrap().to_string();
    let b = start(&mesos, &zk, &dir.path().join("b"), &cluster).await;
    wait_status(&b.status, "b stands by", |v| v["phase"] == "standby").await;

    // A stop request: a leaves the framework to the next leader.
    let handed_over = flink_mesos::store::record::rfc3339(std::time::SystemTime::now());
    a.stop.send_replace(1);
    let ended = tokio::time::timeout(Duration::from_secs(60), a.task)
        .await
        .expect("a ends")
        .unwrap()
        .unwrap();
    assert!(matches!(ended, Ended::Stopped), "{ended:?}");
    let took = wait_status(&b.status, "b leads the same framework", |v| {
        v["phase"] == "running" && count(v, "running") == 2
    })
    .await;
    assert_eq!(took["framework_id"], framework.as_str(), "{took}");
    let ids = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> = v["workers"]["running"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w["task_id"].as_str().map(String::from))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&took), ids(&led), "the same workers, adopted");
    // The leader record says since when b leads, not since when it waited.
    let z = flink_mesos::store::zk::Zk::connect(crate::store::config(
        &zk.connect_string(),
        &format!("/flink/{cluster}/mesos-workers"),
        Duration::from_secs(10),
    ))
    .await
    .unwrap();
    let (_, leader) = flink_mesos::store::leader::current_leader(&z)
        .await
        .unwrap()
        .expect("a leader");
    let leader = leader.expect("its record");
    assert!(
        leader.since >= handed_over,
        "since {} but the leadership changed hands at {handed_over}",
        leader.since
    );

    // Two stop requests: b ends at once, whatever it waits for.
    b.stop.send_replace(2);
    let ended = tokio::time::timeout(Duration::from_secs(10), b.task)
        .await
        .expect("b ends at once")
        .unwrap()
        .unwrap();
    assert!(matches!(ended, Ended::Forced), "{ended:?}");
}
