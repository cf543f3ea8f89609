//! `flink-mesos workers list|show|forget` and `framework clear-id` against a
//! real ZooKeeper: output snapshots (table, JSON, YAML; committed under
//! tests/it/snapshots/workers/, rewritten with FLINK_MESOS_UPDATE_GENERATED=1),
//! the repairs' confirmation and leader guard, and the errors an operator
//! meets (ZooKeeper down, HA off, a path that holds something else).

use std::path::PathBuf;
use std::process::Output;

use flink_mesos::scheduler::{Worker, WorkerState};
use flink_mesos::store::record::{encode_record, StoredWorker};
use flink_mesos::store::zk::Zk;
use zookeeper_client::{Acls, CreateMode};

use crate::store::config;
use crate::support::zookeeper::ZooKeeper;

fn run(args: &[&str]) -> Output {
    use assert_cmd::cargo::CommandCargoExt;
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::cargo_bin("flink-mesos")
        .unwrap()
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env_remove("FLINK_MESOS_ZK_PASSWORD")
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap()
}

fn ha_args(zk: &ZooKeeper, cluster: &str) -> Vec<String> {
    vec![
        "-Dhigh-availability.type=zookeeper".into(),
        format!(
            "-Dhigh-availability.zookeeper.quorum={}",
            zk.connect_string()
        ),
        format!("-Dhigh-availability.cluster-id={cluster}"),
    ]
}

fn with<'a>(base: &'a [String], more: &[&'a str]) -> Vec<&'a str> {
    more.iter()
        .copied()
        .chain(base.iter().map(String::as_str))
        .collect()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots/workers")
        .join(name);
    if std::env::var_os("FLINK_MESOS_UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with FLINK_MESOS_UPDATE_GENERATED=1",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "{} differs; if the change is intended, run with FLINK_MESOS_UPDATE_GENERATED=1",
        path.display()
    );
}

fn record(n: u32, state: WorkerState, launched: Option<&str>, restarts: u32) -> StoredWorker {
    StoredWorker {
        worker: Worker {
            task_id: format!("taskmanager-{n:05}"),
            state,
            agent_id: (state != WorkerState::New)
                .then(|| format!("8c1e0f4a-6d1b-4f59-9a41-0bd2f5b1c3e7-S{n}")),
            hostname: (state != WorkerState::New).then(|| format!("agent-{n}.example")),
            ports: if state == WorkerState::New {
                Vec::new()
            } else {
                vec![
                    ("taskmanager.rpc.port".into(), 31000 + n as u16),
                    ("taskmanager.data.port".into(), 31100 + n as u16),
                ]
            },
        },
        launched_at: launched.map(str::to_string),
        restarts,
    }
}

/// A store as an appmaster leaves it, with fixed content, and a leader.
async fn seed(zk: &ZooKeeper, base: &str, leader: bool) -> Zk {
    let z = Zk::connect(config(
        &zk.connect_string(),
        base,
        std::time::Duration::from_secs(10),
    ))
    .await
    .unwrap();
    z.ensure_layout().await.unwrap();
    let c = z.client();
    let opts = CreateMode::Persistent.with_acls(Acls::anyone_all());
    c.create(
        &z.path("frameworkId"),
        b"e4b5a2f0-7c1d-4a7e-9a3b-6f0d2c8e1b55-0001",
        &opts,
    )
    .await
    .unwrap();
    c.create(&z.path("taskCount"), b"5", &opts).await.unwrap();
    for r in [
        record(1, WorkerState::Running, Some("2026-12-01T09:14:03Z"), 1),
        record(2, WorkerState::Running, Some("2026-12-01T09:14:04Z"), 0),
        record(3, WorkerState::Launched, Some("2026-12-01T10:02:41Z"), 0),
        record(4, WorkerState::New, None, 0),
    ] {
        c.create(&z.worker_path(&r.worker.task_id), &encode_record(&r), &opts)
            .await
            .unwrap();
    }
    if leader {
        c.create(
            &format!("{}/_c_1d4c-latch-", z.path("leader")),
            br#"{"host":"am-1.example","pid":4242,"since":"2026-12-01T09:13:58Z","status":"http://am-1.example:8090/status"}"#,
            &CreateMode::EphemeralSequential.with_acls(Acls::anyone_all()),
        )
        .await
        .unwrap();
    }
    z
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_list_and_show_snapshots() {
    let zk = ZooKeeper::start();
    let _z = seed(&zk, "/flink/snap/mesos-workers", true).await;
    let args = ha_args(&zk, "snap");
    let port = zk.port.to_string();
    let out = |more: &[&str]| {
        let o = run(&with(&args, more));
        let (stdout, stderr) = text(&o);
        assert!(o.status.success(), "{more:?}: {stderr}");
        stdout.replace(&port, "PORT")
    };
    let table = out(&["workers", "list"]);
    snapshot("list.txt", &table);
    assert!(
        table.contains("leader     am-1.example (pid 4242"),
        "{table}"
    );
    let json = out(&["workers", "list", "--output", "json"]);
    snapshot("list.json", &json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["workers"].as_array().unwrap().len(), 4);
    assert_eq!(v["workers"][0]["restarts"], 1);
    snapshot("list.yaml", &out(&["--output", "yaml", "workers", "list"]));
    snapshot("show.txt", &out(&["workers", "show", "taskmanager-00001"]));
    let shown: serde_json::Value = serde_json::from_str(&out(&[
        "--output",
        "json",
        "workers",
        "show",
        "taskmanager-00003",
    ]))
    .unwrap();
    assert_eq!(shown["state"], "launched");
    assert_eq!(
        shown["node"],
        "/flink/snap/mesos-workers/workers/taskmanager-00003"
    );

    let o = run(&with(&args, &["workers", "show", "taskmanager-00099"]));
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no worker taskmanager-00099"), "{stderr}");

    // Other commands refuse YAML clearly.
    let o = run(&["--output", "yaml", "validate-conf"]);
    assert_eq!(o.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_repairs_confirm_and_respect_the_leader() {
    let zk = ZooKeeper::start();
    let z = seed(&zk, "/flink/fix/mesos-workers", true).await;
    let args = ha_args(&zk, "fix");

    // A leader holds the store: refused.
    let o = run(&with(
        &args,
        &["workers", "forget", "taskmanager-00002", "--yes"],
    ));
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("an appmaster leads this store (am-1.example"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");

    // No terminal and no --yes: nothing is asked, nothing changes.
    let o = run(&with(
        &args,
        &["workers", "forget", "taskmanager-00002", "--force"],
    ));
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("pass --yes"), "{stderr}");

    let o = run(&with(
        &args,
        &["workers", "forget", "taskmanager-00002", "--force", "--yes"],
    ));
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert_eq!(stdout, "forgot taskmanager-00002\n");
    assert!(z
        .client()
        .check_stat(&z.worker_path("taskmanager-00002"))
        .await
        .unwrap()
        .is_none());

    // The leader goes away: no --force needed.
    let latches = z.client().list_children(&z.path("leader")).await.unwrap();
    for l in latches {
        z.client()
            .delete(&format!("{}/{l}", z.path("leader")), None)
            .await
            .unwrap();
    }
    let o = run(&with(
        &args,
        &["--output", "json", "framework", "clear-id", "-y"],
    ));
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["framework_id"],
        "e4b5a2f0-7c1d-4a7e-9a3b-6f0d2c8e1b55-0001"
    );
    let o = run(&with(&args, &["--output", "json", "workers", "list"]));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["framework_id"], serde_json::Value::Null);
    assert_eq!(v["leader"], serde_json::Value::Null);
    assert_eq!(v["workers"].as_array().unwrap().len(), 3);
    let o = run(&with(&args, &["framework", "clear-id", "-y"]));
    assert_eq!(o.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_commands_explain_what_is_wrong() {
    // HA off.
    let o = run(&["workers", "list"]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("high-availability.type is not ZOOKEEPER"),
        "{stderr}"
    );

    // ZooKeeper unreachable; the password is never shown.
    let port = crate::support::free_port();
    let o = run(&[
        "workers",
        "list",
        "-Dhigh-availability.type=zookeeper",
        &format!("-Dhigh-availability.zookeeper.quorum=127.0.0.1:{port}"),
        "-Dhigh-availability.zookeeper.client.digest.username=flink",
        "-Dhigh-availability.zookeeper.client.digest.password=zk-s3cret",
    ]);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach ZooKeeper 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(!stderr.contains("zk-s3cret") && !stdout.contains("zk-s3cret"));

    let zk = ZooKeeper::start();
    // Nothing stored at the path.
    let o = run(&with(&ha_args(&zk, "nothing"), &["workers", "list"]));
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("nothing is stored at /flink/nothing/mesos-workers"),
        "{stderr}"
    );
    // Something else at the path.
    let z = Zk::connect(config(
        &zk.connect_string(),
        "/flink/other/mesos-workers",
        std::time::Duration::from_secs(10),
    ))
    .await
    .unwrap();
    z.client()
        .mkdir(
            "/flink/other/mesos-workers/leaderlatch",
            &CreateMode::Persistent.with_acls(Acls::anyone_all()),
        )
        .await
        .unwrap();
    let o = run(&with(&ha_args(&zk, "other"), &["workers", "list"]));
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("/flink/other/mesos-workers")
            && stderr.contains("not a flink-mesos worker store"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_list_with_credentials_and_watch() {
    let zk = ZooKeeper::start();
    // A store only its owner can read (creator ACLs under digest auth).
    let mut secured = config(
        &zk.connect_string(),
        "/flink/sec/mesos-workers",
        std::time::Duration::from_secs(10),
    );
    secured.digest = Some((
        "flink".into(),
        flink_mesos::config::secret::Secret::new("zk-s3cret"),
    ));
    secured.acl_creator = true;
    let owner = Zk::connect(secured).await.unwrap();
    owner.ensure_layout().await.unwrap();
    let mut store = flink_mesos::store::zk::ZkStore::new(owner.clone(), None);
    use flink_mesos::store::WorkerStore;
    store.load().await.unwrap();
    store
        .put_worker(&record(1, WorkerState::Running, None, 0).worker)
        .await
        .unwrap();

    let mut args = ha_args(&zk, "sec");
    args.push("-Dhigh-availability.zookeeper.client.acl=creator".into());
    args.push("-Dhigh-availability.zookeeper.client.digest.username=flink".into());
    // Without the password: the configuration is refused before connecting.
    let o = run(&with(&args, &["workers", "list"]));
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("digest.password is not"), "{stderr}");
    // The password from the environment, as the appmaster takes it.
    let list = |password: &str| {
        use assert_cmd::cargo::CommandCargoExt;
        std::process::Command::cargo_bin("flink-mesos")
            .unwrap()
            .env_remove("FLINK_CONF_DIR")
            .env("FLINK_MESOS_ZK_PASSWORD", password)
            // Debug logs of ours and of the ZooKeeper client included.
            .args(with(&args, &["-vv", "workers", "list"]))
            .output()
            .unwrap()
    };
    let o = list("zk-s3cret");
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stdout.contains("taskmanager-00001  running"), "{stdout}");
    let o = list("wrong");
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("denies access") || stderr.contains("rejected the credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong") && !stdout.contains("wrong"));
    assert!(!stderr.contains("zk-s3cret"));
    let o = list("zk-s3cret");
    let (stdout, stderr) = text(&o);
    assert!(!stdout.contains("zk-s3cret") && !stderr.contains("zk-s3cret"));
    assert!(stderr.contains("DEBUG"), "{stderr}");

    // --watch prints a fresh document every interval until stopped.
    use assert_cmd::cargo::CommandCargoExt;
    let mut child = std::process::Command::cargo_bin("flink-mesos")
        .unwrap()
        .env_remove("FLINK_CONF_DIR")
        .env("FLINK_MESOS_ZK_PASSWORD", "zk-s3cret")
        .args(with(
            &args,
            &[
                "--output",
                "json",
                "workers",
                "list",
                "--watch",
                "--interval",
                "0.2",
            ],
        ))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let documents = serde_json::Deserializer::from_str(&text)
        .into_iter::<serde_json::Value>()
        .filter_map(|d| d.ok())
        .count();
    assert!(documents >= 3, "{documents} documents:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_worker_record_is_quarantined_and_forgotten() {
    let zk = ZooKeeper::start();
    let base = "/flink/garbage/mesos-workers";
    let z = seed(&zk, base, false).await;
    // Garbage where a worker record belongs (a bad write, a foreign tool).
    z.client()
        .create(
            &z.worker_path("taskmanager-00007"),
            b"\x00\xffnot a record",
            &CreateMode::Persistent.with_acls(Acls::anyone_all()),
        )
        .await
        .unwrap();
    // The appmaster's own read keeps working with the other records.
    let mut store = flink_mesos::store::zk::ZkStore::new(z.clone(), None);
    let contents = store.load_records().await.unwrap().expect("a store");
    assert_eq!(contents.workers.len(), 4);
    assert_eq!(contents.damaged.len(), 1);
    assert_eq!(contents.damaged[0].0, "taskmanager-00007");

    let args = ha_args(&zk, "garbage");
    let o = run(&with(&args, &["workers", "list"]));
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.contains("unreadable record taskmanager-00007")
            && stdout.contains("workers forget taskmanager-00007"),
        "{stdout}"
    );
    let o = run(&with(
        &args,
        &["workers", "forget", "taskmanager-00007", "--yes"],
    ));
    let (_, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    let o = run(&with(&args, &["workers", "list", "--output", "json"]));
    let (stdout, _) = text(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v.get("damaged").is_none(), "{stdout}");
    assert_eq!(v["workers"].as_array().unwrap().len(), 4);
}
