//! `flink-mesos appmaster` end to end against a genuine Mesos 1.11 master and
//! agent (`support::mesos_local`), with `sleep` as the TaskManager command:
//! workers reach TASK_RUNNING, a worker killed from outside is replaced, too
//! many failures stop the cluster with a message, unsatisfiable constraints
//! are explained in /status, SIGTERM tears the framework down and
//! `--keep-framework` leaves it registered.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::appmaster::{kill_9, running_ids, task_pid, Appmaster};
use crate::support::mesos_local::MesosLocal;

const WAIT: Duration = Duration::from_secs(30);

/// The shared harness in a temporary directory, its workers running `cmd`
/// (a failover timeout of 60 s); `extra` adds arguments.
fn start_appmaster(mesos: &MesosLocal, cmd: &str, extra: &[&str]) -> Appmaster {
    spawn_appmaster(Appmaster::command(), mesos, cmd, extra)
}

/// [`start_appmaster`] with a `command` the test prepared.
fn spawn_appmaster(command: Command, mesos: &MesosLocal, cmd: &str, extra: &[&str]) -> Appmaster {
    let cmd = format!("-Dmesos.resourcemanager.tasks.taskmanager-cmd={cmd}");
    let mut args = vec![cmd.as_str(), "-Dmesos.failover-timeout=60"];
    args.extend_from_slice(extra);
    Appmaster::spawn_in_temp_dir(command, mesos, &args)
}

/// A policy for tiny workers (0.1 cpus, 32 MB) that the fake-master tests share.
fn small_policy(
    desired: u32,
    backoff_max_secs: u64,
    port_keys: &[&str],
) -> flink_mesos::scheduler::Policy {
    flink_mesos::scheduler::Policy {
        desired,
        elastic: None,
        max_failed: None,
        role: "*".into(),
        constraints: Vec::new(),
        refuse: Duration::from_secs(5),
        staging_timeout: Duration::from_secs(60),
        backoff_base: Duration::from_secs(1),
        backoff_max: Duration::from_secs(backoff_max_secs),
        resources: flink_mesos::scheduler::matching::WorkerResources {
            cpus: 0.1,
            mem_mb: 32.0,
            gpus: 0.0,
            disk_mb: 0.0,
            network_mb: 0.0,
            network_resource: "network".into(),
            port_keys: port_keys.iter().map(|k| k.to_string()).collect(),
        },
        timers: flink_mesos::scheduler::Timers::default(),
        pacing: flink_mesos::scheduler::Pacing::default(),
    }
}

/// Our frameworks in the master's view: `(active ids, completed ids)`.
async fn frameworks(mesos: &MesosLocal) -> (Vec<String>, Vec<String>) {
    let state = mesos.get_json("/master/state").await;
    let ids = |key: &str| {
        state[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    (ids("frameworks"), ids("completed_frameworks"))
}

/// The pid of `task_id`'s process `cmdline`; fails the test without one.
fn task_process(task_id: &str, cmdline: &[&str]) -> u32 {
    task_pid(task_id, cmdline)
        .unwrap_or_else(|| panic!("no process {cmdline:?} of {task_id} found"))
}

fn environment_of(pid: u32) -> String {
    String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default())
        .replace('\0', "\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_run_a_killed_one_is_replaced_and_sigterm_tears_down() {
    let mesos = MesosLocal::start(&[]);
    // A sleep length no other test uses, to find this test's processes.
    let mut am = start_appmaster(&mesos, "sleep 611", &["-Dmesos.initial-tasks=3"]);

    let v = am
        .wait_status("3 running workers", |v| running_ids(v).len() == 3)
        .await;
    let framework_id = v["framework_id"].as_str().unwrap().to_string();
    assert_eq!(v["connected"], true);
    assert_eq!(v["master"], mesos.url.as_str());
    for w in v["workers"]["running"].as_array().unwrap() {
        assert_eq!(w["host"], "127.0.0.1");
        let ports = w["ports"].as_object().unwrap();
        // From the agent's offered range (tests/it/support/mesos_local.rs).
        for key in ["taskmanager.rpc.port", "taskmanager.data.port"] {
            let port = ports[key].as_u64().unwrap();
            assert!((20_000..30_000).contains(&port), "{key} = {port}");
        }
    }
    // The master agrees: three TASK_RUNNING tasks of our framework.
    let state = mesos.get_json("/master/state").await;
    let fw = state["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == framework_id.as_str())
        .expect("our framework at the master");
    let mut running: Vec<&str> = fw["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "TASK_RUNNING")
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    running.sort();
    assert_eq!(
        running,
        [
            "taskmanager-00001",
            "taskmanager-00002",
            "taskmanager-00003"
        ]
    );

    // The metrics say the same.
    let metrics = reqwest::get(format!("{}/metrics", am.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("flink_mesos_workers{state=\"running\"} 3\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("flink_mesos_launch_latency_seconds_count 3\n"),
        "{metrics}"
    );

    // Malformed and unknown requests are answered, not fatal.
    let mut raw = std::net::TcpStream::connect(am.base.trim_start_matches("http://")).unwrap();
    raw.write_all(b"NOT HTTP AT ALL\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = raw.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    let r = reqwest::get(format!("{}/nope", am.base)).await.unwrap();
    assert_eq!(r.status(), 404);

    // A worker killed from outside is replaced under a new task id.
    assert!(kill_9(task_process("taskmanager-00002", &["sleep", "611"])));
    let v = am
        .wait_status("the replacement running", |v| {
            let ids = running_ids(v);
            ids.len() == 3 && ids.contains(&"taskmanager-00004".to_string())
        })
        .await;
    assert!(!running_ids(&v).contains(&"taskmanager-00002".to_string()));
    assert_eq!(v["failures"]["count"], 1);
    assert!(
        v["failures"]["last"]
            .as_str()
            .unwrap()
            .contains("taskmanager-00002 TASK_FAILED"),
        "{v:#}"
    );

    // SIGTERM: the framework is torn down and the appmaster exits 0.
    am.signal("TERM");
    let status = am.wait_exit().await;
    assert!(status.success(), "{status}; stderr:\n{}", am.stderr());
    let (active, completed) = frameworks(&mesos).await;
    assert!(!active.contains(&framework_id), "{active:?}");
    assert!(completed.contains(&framework_id), "{completed:?}");
    assert!(am.stderr().contains("framework torn down"));
    // The master ending the stream of the torn-down framework is expected:
    // no warning about a lost master in a clean stop.
    assert!(
        !am.stderr().contains("lost the Mesos master"),
        "{}",
        am.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_failures_stop_the_cluster_with_a_message() {
    let mesos = MesosLocal::start(&[]);
    let mut am = start_appmaster(
        &mesos,
        "exit 1",
        &["-Dmesos.initial-tasks=1", "-Dmesos.maximum-failed-tasks=1"],
    );
    let status = am.wait_exit().await;
    let stderr = am.stderr();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error: stopping the Flink cluster: 2 TaskManager(s) failed, more than \
             mesos.maximum-failed-tasks = 1"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("Command exited with status 1"), "{stderr}");
    let (active, _) = frameworks(&mesos).await;
    assert!(active.is_empty(), "torn down: {active:?}");
}

/// A fetch that hangs holds the worker before TASK_RUNNING: after
/// `mesos.resourcemanager.tasks.launch-timeout` it is killed and replaced,
/// and /health stays healthy throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_fetch_hangs_is_killed_after_the_launch_timeout_and_replaced() {
    let mesos = MesosLocal::start(&[]);
    // A URI server that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let uris = format!("-Dmesos.resourcemanager.tasks.uris=http://127.0.0.1:{port}/flink.tgz");
    let mut am = start_appmaster(
        &mesos,
        "sleep 613",
        &[
            "-Dmesos.initial-tasks=1",
            "-Dmesos.resourcemanager.tasks.launch-timeout=2 s",
            &uris,
        ],
    );
    let v = am
        .wait_status("a launch timeout and a replacement", |v| {
            v["counters"]["launch_timeouts"].as_u64() >= Some(1)
                && v["counters"]["workers_launched"].as_u64() >= Some(2)
        })
        .await;
    let ids: Vec<&str> = ["launched", "released"]
        .iter()
        .flat_map(|s| v["workers"][s].as_array().unwrap().iter())
        .filter_map(|w| w["task_id"].as_str())
        .collect();
    assert!(
        ids.iter().any(|id| *id != "taskmanager-00001"),
        "a replacement was launched: {v:#}"
    );
    let health = reqwest::get(format!("{}/health", am.base)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert!(
        am.stderr()
            .contains("not running within the launch timeout"),
        "{}",
        am.stderr()
    );
    am.signal("TERM");
    let status = am.wait_exit().await;
    assert!(status.success(), "{status}; stderr:\n{}", am.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmet_constraints_leave_workers_pending_and_keep_framework_leaves_it() {
    let mesos = MesosLocal::start(&[("MESOS_ATTRIBUTES", "rack:r1")]);
    let mut am = start_appmaster(
        &mesos,
        "sleep 612",
        &[
            "-Dmesos.initial-tasks=2",
            "-Dmesos.constraints.hard.hostattribute=rack:r9",
            "--keep-framework",
        ],
    );
    let v = am
        .wait_status("the reason offers are not used", |v| {
            v["unmatched_offers"]
                .as_object()
                .is_some_and(|m| !m.is_empty())
        })
        .await;
    assert_eq!(v["workers"]["new"].as_array().unwrap().len(), 2, "{v:#}");
    assert_eq!(v["workers"]["running"].as_array().unwrap().len(), 0);
    assert_eq!(
        v["unmatched_offers"]["127.0.0.1"],
        "attribute `rack` is `r1` (constraint rack:r9)"
    );
    let framework_id = v["framework_id"].as_str().unwrap().to_string();

    // --keep-framework: SIGTERM leaves the framework registered for a failover.
    am.signal("TERM");
    let status = am.wait_exit().await;
    assert!(status.success(), "{status}; stderr:\n{}", am.stderr());
    let (active, completed) = frameworks(&mesos).await;
    assert!(active.contains(&framework_id), "{active:?}");
    assert!(!completed.contains(&framework_id));
}

/// The seed's standalone example through the drop-in `mesos-appmaster.sh`
/// (sized for one test agent): the workers come up with the TaskManager
/// configuration they need, and the framework secret is nowhere on them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_standalone_example_comes_up_without_secrets_on_the_workers() {
    let mesos = MesosLocal::start(&[]);
    let mut command = Command::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("commands/mesos-appmaster.sh"),
    );
    command
        .env(
            "FLINK_MESOS_BIN",
            assert_cmd::cargo::cargo_bin("flink-mesos"),
        )
        .env("FLINK_MESOS_FRAMEWORK_SECRET", "hunter2-secret");
    let mut am = spawn_appmaster(
        command,
        &mesos,
        "sleep 613",
        &[
            "-Djobmanager.heap.mb=1024",
            "-Djobmanager.rpc.port=6123",
            "-Djobmanager.web.port=8081",
            "-Dmesos.initial-tasks=2",
            "-Dmesos.resourcemanager.tasks.mem=1024",
            "-Dtaskmanager.heap.mb=1024",
            "-Dtaskmanager.numberOfTaskSlots=2",
            "-Dparallelism.default=10",
            "-Dmesos.resourcemanager.framework.principal=flink",
            // Debug logs as JSON: more output in which no secret may appear.
            "-v",
            "--log-format",
            "json",
        ],
    );
    let v = am
        .wait_status("2 running workers", |v| running_ids(v).len() == 2)
        .await;
    let ports = &v["workers"]["running"][0]["ports"];
    let pid = task_process("taskmanager-00001", &["sleep", "613"]);
    let env = environment_of(pid);
    for line in [
        "jobmanager.rpc.port: 6123".to_string(),
        "taskmanager.numberOfTaskSlots: 2".to_string(),
        "taskmanager.heap.mb: 1024".to_string(),
        format!("taskmanager.rpc.port: {}", ports["taskmanager.rpc.port"]),
        format!("taskmanager.data.port: {}", ports["taskmanager.data.port"]),
    ] {
        assert!(env.contains(&line), "{line} missing in\n{env}");
    }
    assert!(!env.contains("hunter2"), "{env}");
    assert!(!env.contains("mesos.master"), "{env}");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains("hunter2"));
    am.signal("INT");
    assert!(am.wait_exit().await.success(), "{}", am.stderr());
    let logs = am.stderr();
    assert!(!logs.contains("hunter2"), "{logs}");
    // The only diagnostics: the seed's legacy heap keys, each with the key
    // Flink 1.10+ gets instead (issue 22).
    // (printed as validate-conf prints them, before the JSON logs).
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(warnings.len(), 2, "{logs}");
    for line in &warnings {
        assert!(
            line.contains("is a setting of Flink before 1.10, which later versions ignore"),
            "{line}"
        );
    }
    for line in logs.lines().filter(|l| l.starts_with('{')) {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(entry["fields"]["message"].is_string(), "{line}");
    }
    assert!(logs.contains("\"worker running\""), "{logs}");
}

/// A master that subscribes the framework and then never answers a call: the
/// first SIGTERM abandons the hung call and waits for the TEARDOWN (which
/// hangs as well), the second one ends the appmaster at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let server = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if text.contains("mesos-stream-id") {
                    // A call: never answered.
                    seen.fetch_add(1, Ordering::SeqCst);
                } else {
                    let event = crate::support::fake_master::subscribed("fw-hang", 15.0);
                    let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n\
                        Mesos-Stream-Id: s\r\nTransfer-Encoding: chunked\r\n\r\n"
                        .to_vec();
                    out.extend_from_slice(format!("{:x}\r\n", event.len()).as_bytes());
                    out.extend_from_slice(&event);
                    out.extend_from_slice(b"\r\n");
                    let _ = socket.write_all(&out).await;
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let stderr = dir.path().join("stderr");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .current_dir(dir.path())
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env_remove("FLINK_MESOS_MASTER")
        .args(["appmaster", "--no-jobmanager", "--status-bind", "127.0.0.1"])
        .arg(format!("-Dmesos.master=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while calls.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no call reached the master");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let kill = |pid: u32| {
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
    };
    kill(child.id());
    // The first signal abandons the hung call; the stop goes on (more calls
    // reach the master, the TEARDOWN last), and the TEARDOWN hangs too.
    let deadline = Instant::now() + Duration::from_secs(5);
    while calls.load(Ordering::SeqCst) < 2 {
        assert!(
            Instant::now() < deadline,
            "the first signal did not get past the hung call"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "waiting for the TEARDOWN"
    );
    kill(child.id());
    let status = crate::support::wait_exit(
        &mut child,
        Duration::from_secs(5),
        Duration::from_millis(20),
        "no exit after the second signal",
        String::new,
    )
    .await;
    let err = std::fs::read_to_string(&stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: second signal: exiting at once"),
        "{err}"
    );
    server.abort();
}

#[test]
fn configuration_errors_are_reported_like_validate_conf() {
    let args = [
        "-Dmesos.initial-tasks=many",
        "-Dmesos.resourcemanager.tasks.cpus=-1",
    ];
    let run = |sub: &[&str]| {
        Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_MESOS_MASTER")
            .env_remove("FLINK_PROPERTIES")
            .env("NO_COLOR", "1")
            .args(sub)
            .args(args)
            .output()
            .unwrap()
    };
    let am = run(&["appmaster", "--no-jobmanager"]);
    let validate = run(&["validate-conf"]);
    assert_eq!(am.status.code(), Some(1));
    assert_eq!(validate.status.code(), Some(1));
    let err = String::from_utf8_lossy(&am.stderr);
    assert!(
        err.contains("is not set; the appmaster needs to know the Mesos master"),
        "{err}"
    );
    assert_eq!(err, String::from_utf8_lossy(&validate.stdout));
    assert!(am.stdout.is_empty());

    // With the JobManager too, configuration errors come first.
    let am = run(&["appmaster"]);
    assert_eq!(am.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&am.stderr),
        String::from_utf8_lossy(&validate.stdout)
    );

    // A valid configuration but no usable Flink distribution: exit 3, naming it,
    // before anything is registered with Mesos.
    let out = Command::new(assert_cmd::cargo::cargo_bin("flink-mesos"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env("NO_COLOR", "1")
        .args([
            "appmaster",
            "--flink-home",
            "/nonexistent/flink",
            "-Dmesos.master=127.0.0.1:1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("/nonexistent/flink"), "{err}");
}

// ---------------------------------------------- the runtime against a fake master

mod runtime {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use flink_mesos::appmaster::plan::Plan;
    use flink_mesos::appmaster::status::StatusServer;
    use flink_mesos::appmaster::{self, Options};
    use flink_mesos::config::master::MasterSpec;
    use flink_mesos::mesos::testing::encode_offers_event;
    use flink_mesos::mesos::{
        AgentId, FrameworkId, FrameworkSettings, Offer, OfferId, Range, Resource,
    };
    use flink_mesos::scheduler::task::TaskTemplate;
    use flink_mesos::scheduler::{Outcome, Worker, WorkerState};
    use flink_mesos::store::memory::MemoryStore;
    use flink_mesos::store::{FrameworkIdentity, Snapshot, StoreError, WorkerStore};
    use tokio::sync::watch;

    use crate::support::fake_master::{self, FakeMaster, Reply, Request};

    const ACCEPT: u64 = 3;
    const TEARDOWN: u64 = 2;

    /// The `type` (field 2) of a protobuf-encoded scheduler Call.
    pub(super) fn call_type(body: &[u8]) -> Option<u64> {
        let mut i = 0;
        let varint = |i: &mut usize| -> Option<u64> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let b = *body.get(*i)?;
                *i += 1;
                v |= u64::from(b & 0x7f) << shift;
                if b < 0x80 {
                    return Some(v);
                }
            }
            None
        };
        while i < body.len() {
            let tag = varint(&mut i)?;
            match tag & 7 {
                0 => {
                    let v = varint(&mut i)?;
                    if tag >> 3 == 2 {
                        return Some(v);
                    }
                }
                1 => i += 8,
                2 => i += varint(&mut i)? as usize,
                5 => i += 4,
                _ => return None,
            }
        }
        None
    }

    fn count(calls: &Arc<Mutex<Vec<Request>>>, kind: u64) -> usize {
        calls
            .lock()
            .unwrap()
            .iter()
            .filter(|r| call_type(&r.body) == Some(kind))
            .count()
    }

    /// A memory store that logs every write with the number of ACCEPT calls
    /// the master had received when the write completed.
    #[derive(Clone)]
    struct Recording {
        inner: MemoryStore,
        log: Arc<Mutex<Vec<String>>>,
        calls: Arc<Mutex<Vec<Request>>>,
        /// Fail every write of a Launched worker (a store outage).
        fail_launched: bool,
    }

    impl Recording {
        fn note(&self, what: String) {
            let accepts = count(&self.calls, ACCEPT);
            self.log
                .lock()
                .unwrap()
                .push(format!("{what} (ACCEPTs seen: {accepts})"));
        }
    }

    impl WorkerStore for Recording {
        async fn load(&mut self) -> Result<Snapshot, StoreError> {
            self.inner.load().await
        }
        async fn put_worker(&mut self, w: &Worker) -> Result<(), StoreError> {
            if self.fail_launched && w.state == WorkerState::Launched {
                return Err(StoreError::Unavailable("injected".into()));
            }
            self.inner.put_worker(w).await?;
            self.note(format!("put {} {:?}", w.task_id, w.state));
            Ok(())
        }
        async fn remove_worker(&mut self, id: &str) -> Result<(), StoreError> {
            self.inner.remove_worker(id).await?;
            self.note(format!("remove {id}"));
            Ok(())
        }
        async fn set_next_task_number(&mut self, n: u64) -> Result<(), StoreError> {
            self.inner.set_next_task_number(n).await
        }
        async fn set_failed_tasks(&mut self, n: u32) -> Result<(), StoreError> {
            self.inner.set_failed_tasks(n).await
        }
        async fn set_floor(&mut self, n: u32) -> Result<(), StoreError> {
            self.inner.set_floor(n).await
        }
        async fn set_framework_id(
            &mut self,
            id: &str,
            who: &FrameworkIdentity,
        ) -> Result<(), StoreError> {
            self.inner.set_framework_id(id, who).await?;
            self.note(format!("framework {id}"));
            Ok(())
        }
        async fn clear_framework_id(&mut self) -> Result<(), StoreError> {
            self.inner.clear_framework_id().await?;
            self.note("framework cleared".into());
            Ok(())
        }
    }

    fn plan() -> Plan {
        Plan {
            policy: super::small_policy(1, 10, &["taskmanager.rpc.port"]),
            template: TaskTemplate::command("sleep 1"),
            framework: FrameworkSettings::new("flink-test", "root"),
        }
    }

    /// Whose framework [`plan`]'s is, as the store keeps it with the id.
    fn who() -> FrameworkIdentity {
        let f = plan().framework;
        FrameworkIdentity {
            name: f.name,
            role: f.role,
            principal: f.principal,
        }
    }

    fn offer(framework: &str) -> Vec<u8> {
        fake_master::record(&encode_offers_event(&[Offer {
            id: OfferId::new("offer-1"),
            framework_id: FrameworkId::new(framework),
            agent_id: AgentId::new("agent-1"),
            hostname: "h1".into(),
            resources: vec![
                Resource::scalar("cpus", 1.0),
                Resource::scalar("mem", 256.0),
                Resource::ranges(
                    "ports",
                    vec![Range {
                        begin: 31000,
                        end: 31005,
                    }],
                ),
            ],
            attributes: Vec::new(),
            allocation_role: Some("*".into()),
        }]))
    }

    /// "Framework has been removed": the stored id is cleared, the old
    /// framework's workers are forgotten, a new framework registers, and
    /// every worker is stored as Launched before its ACCEPT is sent.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn framework_removed_registers_anew_and_stores_before_accepting() {
        let hang = |chunks: Vec<Vec<u8>>| Reply::Stream {
            stream_id: "s".into(),
            chunks: chunks.into_iter().map(|c| (Duration::ZERO, c)).collect(),
            then_hang: true,
        };
        let master = FakeMaster::start(vec![
            hang(vec![fake_master::error("Framework has been removed")]),
            hang(vec![
                fake_master::subscribed("fw-new", 15.0),
                offer("fw-new"),
            ]),
        ])
        .await;
        let mut inner = MemoryStore::new();
        inner.load().await.unwrap();
        inner.set_framework_id("fw-old", &who()).await.unwrap();
        // A stored counter behind the stored ids (taskmanager-00007): the
        // new framework's first worker must still be taskmanager-00008.
        inner.set_next_task_number(3).await.unwrap();
        inner
            .put_worker(&Worker {
                task_id: "taskmanager-00007".into(),
                state: WorkerState::Running,
                agent_id: Some("agent-0".into()),
                hostname: Some("h0".into()),
                ports: Vec::new(),
            })
            .await
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let store = Recording {
            inner: inner.clone(),
            log: log.clone(),
            calls: master.calls.clone(),
            fail_launched: false,
        };
        let (stop, stop_rx) = watch::channel(0u32);
        let spec = MasterSpec::parse(&master.url).unwrap();
        let run = tokio::spawn(async move {
            appmaster::run(plan(), &spec, store, None, stop_rx, Options::default()).await
        });

        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while count(&master.calls, ACCEPT) == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no ACCEPT; log: {:?}",
                log.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let subscribes = master.subscribes();
        assert!(subscribes[0].body_contains(b"fw-old"));
        assert!(!subscribes[1].body_contains(b"fw-old"));
        let log_now = log.lock().unwrap().clone();
        let expected = [
            "framework cleared (ACCEPTs seen: 0)",
            "remove taskmanager-00007 (ACCEPTs seen: 0)",
            "framework fw-new (ACCEPTs seen: 0)",
            // Stored as Launched while the master had seen no ACCEPT.
            "put taskmanager-00008 Launched (ACCEPTs seen: 0)",
        ];
        let mut at = 0;
        for line in &log_now {
            if at < expected.len() && line == expected[at] {
                at += 1;
            }
        }
        assert_eq!(at, expected.len(), "{log_now:#?}");

        // Shutdown tears the framework down and forgets the workers and the
        // framework id.
        stop.send_replace(1);
        let outcome = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(outcome, Outcome::Stopped);
        assert_eq!(count(&master.calls, TEARDOWN), 1);
        let mut after = inner.clone();
        let snapshot = after.load().await.unwrap();
        assert!(snapshot.workers.is_empty(), "{snapshot:?}");
        // Torn down: the next start registers anew instead of subscribing
        // with a dead id.
        assert_eq!(snapshot.framework_id, None);
    }

    /// A REVIVE the master rejects (a 500 during a failover) goes back to
    /// the core and is sent again: the pending worker still gets offers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rejected_revive_is_sent_again() {
        use crate::support::fake_master::CallReply;
        const REVIVE: u64 = 5;
        const RECONCILE: u64 = 9;

        let master = FakeMaster::start(vec![Reply::Stream {
            stream_id: "s".into(),
            chunks: vec![(Duration::ZERO, fake_master::subscribed("fw-r", 15.0))],
            then_hang: true,
        }])
        .await;
        // The implicit RECONCILE goes through; the first REVIVE does not.
        master.reply_to_calls([
            CallReply::Accepted,
            CallReply::Status {
                code: 500,
                body: b"injected".to_vec(),
            },
        ]);
        let (stop, stop_rx) = watch::channel(0u32);
        let spec = MasterSpec::parse(&master.url).unwrap();
        let run = tokio::spawn(async move {
            appmaster::run(
                plan(),
                &spec,
                MemoryStore::new(),
                None,
                stop_rx,
                Options::default(),
            )
            .await
        });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while count(&master.calls, REVIVE) < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the rejected REVIVE was not sent again: {:?}",
                master
                    .calls()
                    .iter()
                    .map(|c| call_type(&c.body))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let kinds: Vec<Option<u64>> = master.calls().iter().map(|c| call_type(&c.body)).collect();
        assert_eq!(kinds[..3], [Some(RECONCILE), Some(REVIVE), Some(REVIVE)]);
        stop.send_replace(1);
        let outcome = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(outcome, Outcome::Stopped);
    }

    /// GET /health on `base`: the status code and body.
    async fn health(base: &str) -> (u16, String) {
        let r = reqwest::get(format!("{base}/health")).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Polls /health until it answers 503; returns the body.
    async fn wait_unhealthy(base: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (code, body) = health(base).await;
            if code == 503 {
                return body;
            }
            assert_eq!(code, 200, "{body}");
            assert!(tokio::time::Instant::now() < deadline, "/health stayed ok");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn quick_health() -> Options {
        Options {
            health: appmaster::status::HealthLimits {
                loop_stalled_after: Duration::from_secs(1),
                disconnected_after: Duration::from_secs(1),
            },
            ..Options::default()
        }
    }

    /// No master ever subscribes us (every SUBSCRIBE answers 503): /health
    /// says so, with the reason, once the limit has passed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn health_fails_while_no_master_subscribes_us() {
        let master = FakeMaster::start(vec![]).await;
        let server = StatusServer::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let (_stop, stop_rx) = watch::channel(0u32);
        let spec = MasterSpec::parse(&master.url).unwrap();
        let run = tokio::spawn(async move {
            appmaster::run(
                plan(),
                &spec,
                MemoryStore::new(),
                Some(server),
                stop_rx,
                quick_health(),
            )
            .await
        });
        let body = wait_unhealthy(&base).await;
        assert!(
            body.contains("not subscribed to a Mesos master") && body.contains("503"),
            "{body}"
        );
        run.abort();
    }

    /// A store write that never returns wedges the owner loop: /health says
    /// so (the endpoint itself keeps answering).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn health_fails_when_the_owner_loop_is_wedged() {
        #[derive(Clone)]
        struct Hanging(MemoryStore);
        impl WorkerStore for Hanging {
            async fn load(&mut self) -> Result<Snapshot, StoreError> {
                self.0.load().await
            }
            async fn put_worker(&mut self, w: &Worker) -> Result<(), StoreError> {
                if w.state == WorkerState::Launched {
                    std::future::pending::<()>().await;
                }
                self.0.put_worker(w).await
            }
            async fn remove_worker(&mut self, id: &str) -> Result<(), StoreError> {
                self.0.remove_worker(id).await
            }
            async fn set_next_task_number(&mut self, n: u64) -> Result<(), StoreError> {
                self.0.set_next_task_number(n).await
            }
            async fn set_failed_tasks(&mut self, n: u32) -> Result<(), StoreError> {
                self.0.set_failed_tasks(n).await
            }
            async fn set_floor(&mut self, n: u32) -> Result<(), StoreError> {
                self.0.set_floor(n).await
            }
            async fn set_framework_id(
                &mut self,
                id: &str,
                who: &FrameworkIdentity,
            ) -> Result<(), StoreError> {
                self.0.set_framework_id(id, who).await
            }
            async fn clear_framework_id(&mut self) -> Result<(), StoreError> {
                self.0.clear_framework_id().await
            }
        }
        let master = FakeMaster::start(vec![Reply::Stream {
            stream_id: "s".into(),
            chunks: vec![
                (Duration::ZERO, fake_master::subscribed("fw-w", 15.0)),
                // After the first ticks, so that /health was fine before.
                (Duration::from_millis(500), offer("fw-w")),
            ],
            then_hang: true,
        }])
        .await;
        let server = StatusServer::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let (_stop, stop_rx) = watch::channel(0u32);
        let spec = MasterSpec::parse(&master.url).unwrap();
        let mut options = quick_health();
        options.health.disconnected_after = Duration::from_secs(3600);
        let run = tokio::spawn(async move {
            appmaster::run(
                plan(),
                &spec,
                Hanging(MemoryStore::new()),
                Some(server),
                stop_rx,
                options,
            )
            .await
        });
        let body = wait_unhealthy(&base).await;
        assert!(body.contains("owner loop has not run"), "{body}");
        run.abort();
    }

    /// A store write that fails stops the appmaster before the call it
    /// guards: no ACCEPT for a worker whose Launched state was not stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_store_write_stops_before_the_accept() {
        let master = FakeMaster::start(vec![Reply::Stream {
            stream_id: "s".into(),
            chunks: vec![
                (Duration::ZERO, fake_master::subscribed("fw-1", 15.0)),
                (Duration::ZERO, offer("fw-1")),
            ],
            then_hang: true,
        }])
        .await;
        let store = Recording {
            inner: MemoryStore::new(),
            log: Arc::new(Mutex::new(Vec::new())),
            calls: master.calls.clone(),
            fail_launched: true,
        };
        let (_stop, stop_rx) = watch::channel(0u32);
        let spec = MasterSpec::parse(&master.url).unwrap();
        let result = tokio::time::timeout(
            Duration::from_secs(10),
            appmaster::run(plan(), &spec, store, None, stop_rx, Options::default()),
        )
        .await
        .unwrap();
        match result {
            Err(appmaster::RunError::Store(StoreError::Unavailable(_))) => {}
            other => panic!("expected the store error, got {other:?}"),
        }
        // Give a stray call time to arrive: there must be none.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(count(&master.calls, ACCEPT), 0);
    }
}

/// The driver re-subscribes with offers suppressed after a SUPPRESS; the core
/// must then REVIVE as soon as a worker is pending, or no offer ever comes.
#[test]
fn a_resubscription_revives_offers_for_pending_workers() {
    use flink_mesos::mesos::{
        AgentId, FrameworkId, Offer, OfferId, Range, Resource, TaskId, TaskState, TaskStatus,
    };
    use flink_mesos::scheduler::task::TaskTemplate;
    use flink_mesos::scheduler::{Effect, Input, Policy, Scheduler};

    let policy = small_policy(1, 1, &[]);
    let calls = |fx: &[Effect]| -> Vec<&'static str> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Call(c) => Some(c.name()),
                _ => None,
            })
            .collect()
    };
    let secs = Duration::from_secs;
    let mut s = Scheduler::new(policy, TaskTemplate::command("sleep 1"));
    s.step(
        Input::Recovered {
            workers: Vec::new(),
            next_task_number: 1,
            failed_tasks: 0,
            floor: None,
        },
        secs(0),
    );
    s.step(Input::Subscribed, secs(0));
    let fx = s.step(
        Input::Offers(vec![Offer {
            id: OfferId::new("o1"),
            framework_id: FrameworkId::new("f"),
            agent_id: AgentId::new("a1"),
            hostname: "h1".into(),
            resources: vec![
                Resource::scalar("cpus", 1.0),
                Resource::scalar("mem", 128.0),
                Resource::ranges(
                    "ports",
                    vec![Range {
                        begin: 31000,
                        end: 31001,
                    }],
                ),
            ],
            attributes: Vec::new(),
            allocation_role: None,
        }]),
        secs(1),
    );
    assert!(calls(&fx).contains(&"SUPPRESS"), "{fx:?}");
    s.step(Input::Disconnected, secs(2));
    let status = TaskStatus {
        task_id: TaskId::new("taskmanager-00001"),
        state: TaskState::Failed,
        message: None,
        source: None,
        reason: None,
        agent_id: Some(AgentId::new("a1")),
        executor_id: None,
        timestamp: None,
        uuid: None,
        healthy: None,
        data: None,
        labels: Vec::new(),
    };
    s.step(Input::Update(status), secs(2));
    // Re-subscribed (suppressed, as the driver does) just as the backoff
    // ends: the replacement is created in this very step, and offers must be
    // revived for it, with no tick in between.
    let fx = s.step(Input::Subscribed, secs(6));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Store(w) if w.task_id == "taskmanager-00002")),
        "{fx:?}"
    );
    assert!(calls(&fx).contains(&"REVIVE"), "{:?}", calls(&fx));
    // And with nothing pending, one SUPPRESS keeps the offers off.
    let mut idle = Scheduler::new(
        Policy {
            desired: 0,
            ..s.policy().clone()
        },
        TaskTemplate::command("sleep 1"),
    );
    let fx = idle.step(Input::Subscribed, secs(0));
    assert_eq!(
        calls(&fx)
            .iter()
            .filter(|c| **c == "SUPPRESS" || **c == "REVIVE")
            .collect::<Vec<_>>(),
        [&"SUPPRESS"]
    );
}

/// Stopped while the driver re-subscribes: the teardown waits for the new
/// subscription instead of leaving the framework behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teardown_between_subscriptions_waits_for_the_next_one() {
    use flink_mesos::appmaster::plan::Plan;
    use flink_mesos::appmaster::{self, Options};
    use flink_mesos::config::master::MasterSpec;
    use flink_mesos::mesos::FrameworkSettings;
    use flink_mesos::scheduler::task::TaskTemplate;
    use flink_mesos::scheduler::Outcome;
    use flink_mesos::store::memory::MemoryStore;

    use crate::support::fake_master::{self, FakeMaster, Reply};

    let master = FakeMaster::start(vec![
        // Subscribed, then the stream is cut after 300 ms.
        Reply::Stream {
            stream_id: "s1".into(),
            chunks: vec![
                (Duration::ZERO, fake_master::subscribed("fw-t", 15.0)),
                (Duration::from_millis(300), fake_master::heartbeat()),
            ],
            then_hang: false,
        },
        // The next SUBSCRIBED comes only after 1.5 s.
        Reply::Stream {
            stream_id: "s2".into(),
            chunks: vec![(
                Duration::from_millis(1500),
                fake_master::subscribed("fw-t", 15.0),
            )],
            then_hang: true,
        },
    ])
    .await;
    let plan = Plan {
        policy: small_policy(0, 1, &[]),
        template: TaskTemplate::command("sleep 1"),
        framework: FrameworkSettings::new("flink-test", "root"),
    };
    let (stop, stop_rx) = tokio::sync::watch::channel(0u32);
    let spec = MasterSpec::parse(&master.url).unwrap();
    let run = tokio::spawn(async move {
        appmaster::run(
            plan,
            &spec,
            MemoryStore::new(),
            None,
            stop_rx,
            Options::default(),
        )
        .await
    });
    // Wait for the second SUBSCRIBE (the first stream was cut).
    let deadline = Instant::now() + Duration::from_secs(10);
    while master.subscribes().len() < 2 {
        assert!(Instant::now() < deadline, "no re-subscription");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send_replace(1);
    let outcome = tokio::time::timeout(Duration::from_secs(15), run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome.unwrap(), Outcome::Stopped);
    let teardowns: Vec<_> = master
        .calls()
        .iter()
        .filter(|c| runtime::call_type(&c.body) == Some(2))
        .map(|c| c.header("Mesos-Stream-Id").map(str::to_string))
        .collect();
    assert_eq!(
        teardowns,
        [Some("s2".to_string())],
        "one TEARDOWN, on the new subscription"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_get_their_configuration_without_secrets_and_the_secrets_over_https() {
    // A CA-less self-signed certificate for `localhost`; the agent's fetcher
    // trusts it through SSL_CERT_FILE, as an operator would set it up.
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert.cert.pem()).unwrap();
    let keystore = dir.path().join("keystore.pem");
    std::fs::write(
        &keystore,
        format!("{}{}", cert.cert.pem(), cert.signing_key.serialize_pem()),
    )
    .unwrap();
    let ca_env = ca.display().to_string();
    let mesos = MesosLocal::start(&[("SSL_CERT_FILE", ca_env.as_str())]);
    let keystore_arg = format!("-Dsecurity.ssl.keystore={}", keystore.display());
    // The worker's configuration arrives in its TaskInfo (no secret in
    // it), its secrets through the artifact server over HTTPS.
    let am = start_appmaster(
        &mesos,
        "sh -c 'test -f flink-mesos-conf/config.yaml && exec sleep 617'",
        &[
            "-Dmesos.initial-tasks=1",
            "-Djobmanager.rpc.address=localhost",
            "-Dsecurity.ssl.enabled=true",
            &keystore_arg,
            "-Dsecurity.ssl.keystore-password=ks-pass-4711",
            "-Dsecurity.ssl.key-password=ks-pass-4711",
        ],
    );
    let v = am
        .wait_status("the worker running", |v| running_ids(v).len() == 1)
        .await;
    let origin = v["artifact_server"].as_str().unwrap_or_default();
    assert!(origin.starts_with("https://localhost:"), "{v}");
    // Stays running: its configuration file was there.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let v = am.status().await;
    assert_eq!(running_ids(&v), ["taskmanager-00001"], "{v}");
    assert_eq!(v["failures"]["count"], 0, "{v}");
    // The master's view of the task (TaskInfo: command, environment, URIs)
    // and the appmaster's log hold no secret.
    for endpoint in ["/master/state", "/slave(1)/state"] {
        let state = mesos.get_json(endpoint).await.to_string();
        assert!(state.contains("taskmanager-00001"), "{endpoint}: {state}");
        assert!(
            !state.contains("ks-pass-4711"),
            "a secret reached {endpoint}"
        );
    }
    assert!(!am.stderr().contains("ks-pass-4711"));
    let pid = task_process("taskmanager-00001", &["sleep", "617"]);
    let env = environment_of(pid);
    assert!(env.contains("FLINK_CONF_DIR=flink-mesos-conf"), "{env}");
    assert!(
        !env.contains("ks-pass-4711"),
        "a secret reached the environment"
    );
    // The password is in the secrets bundle alone: over the same HTTPS,
    // to the task with its token, once.
    let var = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {env}"))
            .to_string()
    };
    let (url, token) = (
        var("FLINK_MESOS_SECRETS_URL"),
        var("FLINK_MESOS_SECRETS_TOKEN"),
    );
    assert!(url.starts_with("https://localhost:"), "{url}");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let get = |task: &str, token: Option<&str>| {
        let mut r = client.get(&url).header("x-flink-mesos-task", task);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(get("taskmanager-00001", None).await.unwrap().status(), 401);
    assert_eq!(
        get("taskmanager-00002", Some(&token))
            .await
            .unwrap()
            .status(),
        401,
        "a token is good for its own task only"
    );
    let bundle = get("taskmanager-00001", Some(&token)).await.unwrap();
    assert_eq!(bundle.status(), 200);
    let bundle = bundle.bytes().await.unwrap();
    assert!(
        crate::support::mesos_local::holds(&bundle, "ks-pass-4711"),
        "the bundle holds the password"
    );
    assert_eq!(
        get("taskmanager-00001", Some(&token))
            .await
            .unwrap()
            .status(),
        410,
        "each task gets its secrets once"
    );
    let sandbox = mesos.sandbox("taskmanager-00001").expect("a sandbox");
    let shipped = std::fs::read_to_string(sandbox.join("flink-mesos-conf/config.yaml")).unwrap();
    assert!(!shipped.contains("ks-pass-4711"), "{shipped}");
}
