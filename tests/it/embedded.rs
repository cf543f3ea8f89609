//! The embedded single-node Mesos (`flink_mesos::embedded`), driven in
//! process with our own scheduler client, as the appmaster drives it: what
//! a framework sees (events, status updates and their order, offers and
//! filters) and what happens on the machine (sandboxes, fetched files,
//! processes started and gone).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flink_mesos::embedded::{EmbeddedConfig, EmbeddedMesos};
use flink_mesos::mesos::client::{Caller, Client, ClientOptions, Subscription};
use flink_mesos::mesos::{
    Call, CommandInfo, Event, FrameworkId, FrameworkSettings, Offer, ReconcileTask, Resource,
    TaskId, TaskInfo, TaskState, TaskStatus, Uri, Value,
};

const WAIT: Duration = Duration::from_secs(15);

struct Node {
    mesos: EmbeddedMesos,
    work: tempfile::TempDir,
}

async fn start() -> Node {
    let work = tempfile::Builder::new()
        .prefix("flink-mesos-it-embedded-")
        .tempdir()
        .unwrap();
    let mut config = EmbeddedConfig::new(work.path());
    config.resources = Some("cpus:4;mem:4096;disk:1024;ports:[31000-31009]".into());
    config.attributes = Some("rack:r1;zone:2".into());
    config.heartbeat_interval = Duration::from_secs(1);
    let mesos = EmbeddedMesos::start(config).await.unwrap();
    Node { mesos, work }
}

fn settings(name: &str, failover: Duration) -> FrameworkSettings {
    let mut s = FrameworkSettings::new(name, "nobody");
    s.failover_timeout = failover;
    s
}

struct Fw {
    sub: Subscription,
    caller: Caller,
    id: FrameworkId,
    heartbeat: Option<Duration>,
    seen: Vec<TaskStatus>,
    /// Updates not yet taken by [`Fw::update`].
    backlog: std::collections::VecDeque<TaskStatus>,
    agent: Option<String>,
    ack: bool,
}

async fn subscribe(url: &str, s: FrameworkSettings, id: Option<&FrameworkId>) -> Fw {
    let client = Client::new(s, ClientOptions::default()).unwrap();
    let mut sub = client.subscribe(url, id).await.unwrap();
    let ev = tokio::time::timeout(WAIT, sub.next_event())
        .await
        .unwrap()
        .unwrap();
    let Event::Subscribed {
        framework_id,
        heartbeat_interval,
        master,
    } = ev
    else {
        panic!("expected SUBSCRIBED, got {ev:?}");
    };
    let master = master.unwrap();
    assert!(master.version.unwrap().starts_with("1.11"));
    Fw {
        caller: sub.caller().unwrap(),
        sub,
        id: framework_id,
        heartbeat: heartbeat_interval,
        seen: Vec::new(),
        backlog: Default::default(),
        agent: None,
        ack: true,
    }
}

impl Fw {
    async fn call(&self, call: Call) {
        self.caller.call(&call).await.unwrap();
    }

    /// The next event matching `f`; status updates are acknowledged (when
    /// `ack`) and remembered on the way.
    async fn next<T>(&mut self, what: &str, mut f: impl FnMut(&Event) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ev = tokio::time::timeout_at(deadline, self.sub.next_event())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; seen {:?}", self.seen))
                .unwrap_or_else(|e| panic!("stream ended waiting for {what}: {e}"));
            if let Event::Update(s) = &ev {
                if self.ack {
                    if let Some(a) = s.acknowledgement() {
                        self.call(a).await;
                    }
                }
                self.seen.push(s.clone());
                self.backlog.push_back(s.clone());
            }
            if let Some(t) = f(&ev) {
                return t;
            }
        }
    }

    async fn offer(&mut self) -> Offer {
        let offer = self
            .next("OFFERS", |e| match e {
                Event::Offers(o) => o.first().cloned(),
                _ => None,
            })
            .await;
        self.agent = Some(offer.agent_id.to_string());
        offer
    }

    /// The next update of `task` not taken yet, in the order it came.
    async fn update(&mut self, task: &str) -> TaskStatus {
        let id = TaskId::from(task);
        loop {
            if let Some(i) = self.backlog.iter().position(|s| s.task_id == id) {
                if let Some(s) = self.backlog.remove(i) {
                    return s;
                }
            }
            self.next(&format!("an update of {task}"), |e| match e {
                Event::Update(s) if s.task_id == id => Some(()),
                _ => None,
            })
            .await;
        }
    }

    /// The updates of `task` up to its terminal one, in order.
    async fn until_terminal(&mut self, task: &str) -> Vec<TaskStatus> {
        let mut out: Vec<TaskStatus> = Vec::new();
        while !out.last().is_some_and(|s| s.state.is_terminal()) {
            out.push(self.update(task).await);
        }
        out
    }

    async fn no_offers_for(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        while let Ok(ev) = tokio::time::timeout_at(deadline, self.sub.next_event()).await {
            if let Ok(Event::Offers(o)) = ev {
                panic!("offers while filtered or suppressed: {o:?}");
            }
        }
    }
}

fn take(offer: &Offer, name: &str, amount: f64) -> Resource {
    let mut r = offer
        .resources
        .iter()
        .find(|r| r.name == name)
        .unwrap()
        .clone();
    r.value = Value::Scalar(amount);
    r
}

fn task(offer: &Offer, id: &str, command: CommandInfo) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: TaskId::from(id),
        agent_id: offer.agent_id.clone(),
        resources: vec![take(offer, "cpus", 0.1), take(offer, "mem", 32.0)],
        command,
        container: None,
        labels: vec![],
        kill_grace_period: Some(Duration::from_secs(1)),
    }
}

async fn launch(fw: &mut Fw, tasks: Vec<(&str, CommandInfo)>) -> Offer {
    let offer = fw.offer().await;
    let tasks = tasks
        .into_iter()
        .map(|(id, c)| task(&offer, id, c))
        .collect();
    fw.call(Call::Launch {
        offer_ids: vec![offer.id.clone()],
        tasks,
        refuse_seconds: Some(0.0),
    })
    .await;
    offer
}

fn sandbox(node: &Node, fw: &Fw, task: &str) -> PathBuf {
    node.work
        .path()
        .join("slaves")
        .join(fw.agent.as_deref().unwrap())
        .join("frameworks")
        .join(fw.id.as_str())
        .join("executors")
        .join(task)
        .join("runs/latest")
}

/// `tar <create> <archive> <member>` run in `dir` (`-cf`, or `-czf` for gzip).
fn tar(dir: &Path, create: &str, archive: &Path, member: &str) {
    let status = std::process::Command::new("tar")
        .arg("-C")
        .arg(dir)
        .arg(create)
        .arg(archive)
        .arg(member)
        .status()
        .unwrap();
    assert!(status.success(), "tar {create} {}", archive.display());
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| Some(s[s.rfind(')')? + 2..].chars().next()? != 'Z'))
        .unwrap_or(false)
}

async fn wait_file(path: &Path) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            if s.ends_with('\n') {
                return s;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_gone(pid: i32) {
    let deadline = Instant::now() + WAIT;
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} survived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_heartbeats_offers_state_and_bad_calls() {
    let node = start().await;
    let url = node.mesos.url();
    assert_eq!(get(&format!("{url}/health")).await.0, 200);
    let mut fw = subscribe(&url, settings("it-embedded", WAIT), None).await;
    assert_eq!(fw.heartbeat, Some(Duration::from_secs(1)));
    let offer = fw.offer().await;
    fw.next("HEARTBEAT", |e| matches!(e, Event::Heartbeat).then_some(()))
        .await;
    assert_eq!(offer.hostname, "127.0.0.1");
    assert_eq!(take(&offer, "cpus", 0.0).name, "cpus");
    let cpus = offer.resources.iter().find(|r| r.name == "cpus").unwrap();
    assert_eq!(cpus.as_scalar(), Some(4.0));
    assert!(offer
        .attributes
        .iter()
        .any(|a| a.name == "rack" && a.value == Value::Text("r1".into())));

    let (status, body) = get(&format!("{url}/master/state")).await;
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(state["frameworks"][0]["id"], fw.id.as_str());
    assert_eq!(state["frameworks"][0]["active"], true);
    assert_eq!(state["slaves"][0]["resources"]["cpus"], 4.0);
    assert_eq!(state["activated_slaves"], 1);
    // Our operator summary reads it.
    let summary = flink_mesos::mesos::operator::fetch_summary(&url, &ClientOptions::default())
        .await
        .unwrap();
    assert!(summary.is_leader);
    assert_eq!(summary.frameworks_active, 1);

    // Calls without the stream id, and bodies that are no Call, are 400s
    // that say what was wrong.
    let http = reqwest::Client::new();
    let api = format!("{url}/master/api/v1/scheduler");
    let r = http
        .post(&api)
        .header("Content-Type", "application/x-protobuf")
        .body(vec![0xff, 0xff, 0xff])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("Call"));
    // JSON is not spoken: said so, in either direction.
    let r = http
        .post(&api)
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let r = http
        .post(&api)
        .header("Content-Type", "application/x-protobuf")
        .header("Accept", "application/json")
        .body(vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 406);
    // A REVIVE for our framework (type 5, framework_id) without the header.
    let mut body = vec![0x0a, fw.id.as_str().len() as u8 + 2, 0x0a];
    body.push(fw.id.as_str().len() as u8);
    body.extend_from_slice(fw.id.as_str().as_bytes());
    body.extend_from_slice(&[0x10, 5]);
    let r = http
        .post(&api)
        .header("Content-Type", "application/x-protobuf")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("Mesos-Stream-Id"));
    let r = http
        .post(&api)
        .header("Content-Type", "application/x-protobuf")
        .header("Mesos-Stream-Id", "not-the-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    node.mesos.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_run_in_sandboxes_and_end_as_mesos_reports_them() {
    let node = start().await;
    let mut fw = subscribe(&node.mesos.url(), settings("it-embedded-run", WAIT), None).await;
    let mut env = CommandInfo::shell(
        "echo hello; echo \"$MESOS_TASK_ID $MESOS_SANDBOX $MY_VAR $(pwd)\" > env.txt",
    );
    env.environment = vec![("MY_VAR".into(), "with spaces".into())];
    let argv = CommandInfo {
        value: "/bin/sh".into(),
        shell: false,
        arguments: vec!["sh".into(), "-c".into(), "exit 3".into()],
        ..CommandInfo::default()
    };
    launch(&mut fw, vec![("ok", env), ("fails", argv)]).await;
    let ok = fw.until_terminal("ok").await;
    let states: Vec<TaskState> = ok.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [TaskState::Starting, TaskState::Running, TaskState::Finished]
    );
    let last = ok.last().unwrap();
    assert_eq!(
        last.message.as_deref(),
        Some("Command exited with status 0")
    );
    assert_eq!(last.source.as_deref(), Some("SOURCE_EXECUTOR"));
    assert!(ok.iter().all(|s| s.uuid.is_some()));
    let failed = fw.until_terminal("fails").await;
    let last = failed.last().unwrap();
    assert_eq!(last.state, TaskState::Failed);
    assert_eq!(
        last.message.as_deref(),
        Some("Command exited with status 3")
    );

    let dir = sandbox(&node, &fw, "ok");
    assert!(std::fs::symlink_metadata(&dir).unwrap().is_symlink());
    let real = std::fs::canonicalize(&dir).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("stdout")).unwrap(),
        "Starting task ok\nhello\n"
    );
    let env = std::fs::read_to_string(dir.join("env.txt")).unwrap();
    assert_eq!(
        env.trim(),
        format!("ok {} with spaces {}", real.display(), real.display())
    );
    node.mesos.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_ends_the_whole_process_group_and_unknown_tasks_are_reconciled() {
    let node = start().await;
    let mut fw = subscribe(&node.mesos.url(), settings("it-embedded-kill", WAIT), None).await;
    // The child ignores SIGTERM: only the SIGKILL after the grace period
    // ends it, and it is in the task's process group.
    let cmd = CommandInfo::shell("(trap '' TERM; sleep 300) & echo $! > bg.pid; sleep 300");
    let offer = launch(&mut fw, vec![("sleeper", cmd)]).await;
    let running = fw.update("sleeper").await;
    assert_eq!(running.state, TaskState::Starting);
    assert_eq!(fw.update("sleeper").await.state, TaskState::Running);
    let bg: i32 = wait_file(&sandbox(&node, &fw, "sleeper").join("bg.pid"))
        .await
        .trim()
        .parse()
        .unwrap();
    assert!(alive(bg));
    fw.call(Call::Kill {
        task_id: TaskId::from("sleeper"),
        agent_id: Some(offer.agent_id.clone()),
        grace_period: Some(Duration::from_millis(500)),
    })
    .await;
    let end = fw.until_terminal("sleeper").await;
    let states: Vec<TaskState> = end.iter().map(|s| s.state).collect();
    assert_eq!(states, [TaskState::Killing, TaskState::Killed], "{end:?}");
    assert_eq!(
        end[1].message.as_deref(),
        Some("Command terminated with signal Terminated")
    );
    wait_gone(bg).await;

    // KILL of a task the master never saw: answered like reconciliation.
    fw.call(Call::Kill {
        task_id: TaskId::from("never-was"),
        agent_id: None,
        grace_period: None,
    })
    .await;
    let s = fw.update("never-was").await;
    assert_eq!(s.state, TaskState::Unknown);
    assert_eq!(s.reason.as_deref(), Some("REASON_RECONCILIATION"));
    assert!(s.acknowledgement().is_none());
    node.mesos.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uris_are_fetched_extracted_and_made_executable() {
    let node = start().await;
    let files = tempfile::tempdir().unwrap();
    // An archive (file://), a script over HTTP (executable), a plain file
    // under another name.
    let content = files.path().join("content");
    std::fs::create_dir(&content).unwrap();
    std::fs::write(content.join("inside.txt"), "from the archive\n").unwrap();
    let archive = files.path().join("dist.tar.gz");
    tar(&content, "-czf", &archive, "inside.txt");
    let plain = files.path().join("plain.conf");
    std::fs::write(&plain, "key: value\n").unwrap();
    let app = axum::Router::new().route(
        "/tool.sh",
        axum::routing::get(|| async { "#!/bin/sh\necho tool-ran\n" }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut fw = subscribe(&node.mesos.url(), settings("it-embedded-fetch", WAIT), None).await;
    let mut cmd = CommandInfo::shell(
        "test -x tool.sh && ./tool.sh && grep -q 'from the archive' inside.txt && grep -q value renamed.conf",
    );
    cmd.uris = vec![
        Uri::new(format!("file://{}", archive.display())),
        Uri {
            executable: true,
            ..Uri::new(format!("http://{http}/tool.sh"))
        },
        Uri {
            output_file: Some("renamed.conf".into()),
            extract: false,
            ..Uri::new(plain.display().to_string())
        },
    ];
    let mut missing = CommandInfo::shell("true");
    missing.uris = vec![Uri::new("file:///nonexistent/flink.tgz")];
    launch(&mut fw, vec![("fetcher", cmd), ("missing", missing)]).await;
    let end = fw.until_terminal("fetcher").await;
    assert_eq!(end.last().unwrap().state, TaskState::Finished, "{end:?}");
    let out = std::fs::read_to_string(sandbox(&node, &fw, "fetcher").join("stdout")).unwrap();
    assert!(out.ends_with("\ntool-ran\n"), "{out}");
    let failed = fw.until_terminal("missing").await;
    let last = failed.last().unwrap();
    assert_eq!(last.state, TaskState::Failed);
    assert_eq!(
        last.reason.as_deref(),
        Some("REASON_CONTAINER_LAUNCH_FAILED")
    );
    assert!(
        last.message
            .as_deref()
            .unwrap()
            .contains("file:///nonexistent/flink.tgz"),
        "{last:?}"
    );
    node.mesos.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_suppress_revive_and_invalid_offers() {
    let node = start().await;
    let mut fw = subscribe(
        &node.mesos.url(),
        settings("it-embedded-offers", WAIT),
        None,
    )
    .await;
    let offer = fw.offer().await;
    fw.call(Call::Decline {
        offer_ids: vec![offer.id.clone()],
        refuse_seconds: Some(60.0),
    })
    .await;
    fw.no_offers_for(Duration::from_millis(2500)).await;
    fw.call(Call::Revive { roles: vec![] }).await;
    let offer = fw.offer().await;
    // A declined offer is gone: accepting it drops the task, which a
    // partition-aware framework learns as TASK_DROPPED.
    fw.call(Call::Decline {
        offer_ids: vec![offer.id.clone()],
        refuse_seconds: Some(0.0),
    })
    .await;
    fw.call(Call::Launch {
        offer_ids: vec![offer.id.clone()],
        tasks: vec![task(&offer, "too-late", CommandInfo::shell("true"))],
        refuse_seconds: None,
    })
    .await;
    let dropped = fw.update("too-late").await;
    assert_eq!(dropped.state, TaskState::Dropped);
    assert_eq!(dropped.reason.as_deref(), Some("REASON_INVALID_OFFERS"));
    // Refuse 0 s: offered again at the next allocation.
    let offer = fw.offer().await;
    fw.call(Call::Suppress { roles: vec![] }).await;
    fw.call(Call::Decline {
        offer_ids: vec![offer.id.clone()],
        refuse_seconds: Some(0.0),
    })
    .await;
    fw.no_offers_for(Duration::from_millis(2500)).await;
    fw.call(Call::Revive { roles: vec![] }).await;
    fw.offer().await;
    node.mesos.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_explicit_and_implicit() {
    let node = start().await;
    let mut fw = subscribe(&node.mesos.url(), settings("it-embedded-rec", WAIT), None).await;
    let offer = launch(&mut fw, vec![("long", CommandInfo::shell("sleep 300"))]).await;
    while fw.update("long").await.state != TaskState::Running {}
    fw.call(Call::Reconcile {
        tasks: vec![
            ReconcileTask {
                task_id: TaskId::from("long"),
                agent_id: Some(offer.agent_id.clone()),
            },
            ReconcileTask {
                task_id: TaskId::from("ghost"),
                agent_id: Some(offer.agent_id.clone()),
            },
            ReconcileTask {
                task_id: TaskId::from("ghost-nowhere"),
                agent_id: None,
            },
        ],
    })
    .await;
    let long = fw.update("long").await;
    assert_eq!(
        (long.state, long.reason.as_deref()),
        (TaskState::Running, Some("REASON_RECONCILIATION"))
    );
    assert!(long.acknowledgement().is_none(), "no uuid on answers");
    assert_eq!(fw.update("ghost").await.state, TaskState::Gone);
    assert_eq!(fw.update("ghost-nowhere").await.state, TaskState::Unknown);
    fw.call(Call::Reconcile { tasks: vec![] }).await;
    let long = fw.update("long").await;
    assert_eq!(long.state, TaskState::Running);
    assert_eq!(long.reason.as_deref(), Some("REASON_RECONCILIATION"));
    node.mesos.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_updates_are_resent_and_hold_back_the_next() {
    let node = start().await;
    let mut fw = subscribe(&node.mesos.url(), settings("it-embedded-ack", WAIT), None).await;
    fw.ack = false;
    launch(&mut fw, vec![("slow-ack", CommandInfo::shell("sleep 300"))]).await;
    let first = fw.update("slow-ack").await;
    assert_eq!(first.state, TaskState::Starting);
    // Not acknowledged: the same update again after 10 s, and no RUNNING
    // before it is acknowledged.
    let t = Instant::now();
    let again = fw.update("slow-ack").await;
    assert_eq!(again, first, "the same update, uuid and all");
    assert!(t.elapsed() >= Duration::from_secs(8), "{:?}", t.elapsed());
    fw.call(first.acknowledgement().unwrap()).await;
    let running = fw.update("slow-ack").await;
    assert_eq!(running.state, TaskState::Running);
    node.mesos.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_resumes_within_the_timeout_and_removes_the_framework_after() {
    let node = start().await;
    let url = node.mesos.url();
    let s = settings("it-embedded-failover", Duration::from_secs(2));
    let mut fw = subscribe(&url, s.clone(), None).await;
    launch(
        &mut fw,
        vec![("survivor", CommandInfo::shell("echo $$ > pid; sleep 300"))],
    )
    .await;
    fw.ack = false;
    let starting = fw.update("survivor").await;
    assert_eq!(starting.state, TaskState::Starting);
    let pid: i32 = wait_file(&sandbox(&node, &fw, "survivor").join("pid"))
        .await
        .trim()
        .parse()
        .unwrap();
    let id = fw.id.clone();
    drop(fw);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Within the failover timeout: same framework, the unacknowledged
    // update comes again, the task still runs.
    let mut fw = subscribe(&url, s.clone(), Some(&id)).await;
    assert_eq!(fw.id, id);
    let again = fw.update("survivor").await;
    assert_eq!(again.uuid, starting.uuid);
    assert_eq!(fw.update("survivor").await.state, TaskState::Running);
    assert!(alive(pid));
    drop(fw);

    // After it: the task is killed and the framework is gone for good.
    wait_gone(pid).await;
    let client = Client::new(s, ClientOptions::default()).unwrap();
    let mut sub = client.subscribe(&url, Some(&id)).await.unwrap();
    match sub.next_event().await {
        Ok(Event::Error(m)) => assert_eq!(m, "Framework has been removed"),
        other => panic!("expected the removal error, got {other:?}"),
    }
    let state: serde_json::Value =
        serde_json::from_str(&get(&format!("{url}/master/state")).await.1).unwrap();
    assert_eq!(state["completed_frameworks"][0]["id"], id.as_str());
    node.mesos.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teardown_kills_every_task_and_shutdown_leaves_nothing() {
    let node = start().await;
    let url = node.mesos.url();
    let mut fw = subscribe(&url, settings("it-embedded-teardown", WAIT), None).await;
    launch(
        &mut fw,
        vec![("a", CommandInfo::shell("echo $$ > pid; sleep 300"))],
    )
    .await;
    let pid: i32 = wait_file(&sandbox(&node, &fw, "a").join("pid"))
        .await
        .trim()
        .parse()
        .unwrap();
    fw.call(Call::Teardown).await;
    wait_gone(pid).await;
    let client = Client::new(
        settings("it-embedded-teardown", WAIT),
        ClientOptions::default(),
    )
    .unwrap();
    let mut sub = client.subscribe(&url, Some(&fw.id)).await.unwrap();
    assert!(
        matches!(sub.next_event().await, Ok(Event::Error(m)) if m == "Framework has been removed")
    );

    // A second framework's task dies with the embedded Mesos itself.
    let mut other = subscribe(&url, settings("it-embedded-other", WAIT), None).await;
    launch(
        &mut other,
        vec![("b", CommandInfo::shell("echo $$ > pid; sleep 300"))],
    )
    .await;
    let pid: i32 = wait_file(&sandbox(&node, &other, "b").join("pid"))
        .await
        .trim()
        .parse()
        .unwrap();
    node.mesos.shutdown().await;
    assert!(!alive(pid), "shutdown returned before the task was gone");
}

/// The boundary (ARCHITECTURE.md): the embedded Mesos is a peer of our
/// client, not part of it, and the appmaster cannot tell which Mesos it
/// talks to.
#[test]
fn the_embedded_mesos_and_the_appmaster_do_not_know_each_other() {
    fn sources(dir: &str) -> Vec<(PathBuf, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (p, text)
            })
            .collect()
    }
    let embedded = sources("src/embedded");
    assert!(embedded.len() >= 4);
    for (path, text) in &embedded {
        assert!(
            !text.contains("crate::mesos::")
                && !text.contains("use crate::mesos")
                && !text.contains("super::super::mesos"),
            "{} uses our Mesos client",
            path.display()
        );
    }
    for (path, text) in sources("src/appmaster") {
        assert!(
            !text.contains("crate::embedded"),
            "{} knows of the embedded Mesos",
            path.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_it_without_shutdown_still_kills_its_tasks() {
    let node = start().await;
    let mut fw = subscribe(&node.mesos.url(), settings("it-embedded-drop", WAIT), None).await;
    launch(
        &mut fw,
        vec![("orphan", CommandInfo::shell("echo $$ > pid; sleep 300"))],
    )
    .await;
    let pid: i32 = wait_file(&sandbox(&node, &fw, "orphan").join("pid"))
        .await
        .trim()
        .parse()
        .unwrap();
    let Node { mesos, work } = node;
    drop(mesos);
    wait_gone(pid).await;
    drop(work);
}

/// A KILL repeated without a grace period changes nothing (the appmaster
/// repeats KILL until the task ends; Mesos' command executor ignores a
/// repeat without a kill policy); one with a shorter grace period escalates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_kill_keeps_the_grace_period_unless_it_brings_a_shorter_one() {
    let node = start().await;
    let mut fw = subscribe(
        &node.mesos.url(),
        settings("it-embedded-rekill", WAIT),
        None,
    )
    .await;
    let cmd = CommandInfo::shell("trap '' TERM; echo $$ > task.pid; while true; do sleep 1; done");
    let offer = launch(&mut fw, vec![("stubborn", cmd)]).await;
    assert_eq!(fw.update("stubborn").await.state, TaskState::Starting);
    assert_eq!(fw.update("stubborn").await.state, TaskState::Running);
    let pid: i32 = wait_file(&sandbox(&node, &fw, "stubborn").join("task.pid"))
        .await
        .trim()
        .parse()
        .unwrap();
    let kill = |grace: Option<Duration>| Call::Kill {
        task_id: TaskId::from("stubborn"),
        agent_id: Some(offer.agent_id.clone()),
        grace_period: grace,
    };
    fw.call(kill(Some(Duration::from_secs(30)))).await;
    assert_eq!(fw.update("stubborn").await.state, TaskState::Killing);
    fw.call(kill(None)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(alive(pid), "a repeated KILL cut the 30 s grace period");
    fw.call(kill(Some(Duration::from_millis(200)))).await;
    let end = fw.until_terminal("stubborn").await;
    assert_eq!(
        end.last().map(|s| s.state),
        Some(TaskState::Killed),
        "{end:?}"
    );
    wait_gone(pid).await;
    node.mesos.shutdown().await;
}

/// A KILL while the task's URIs are still being fetched (from a server
/// that never answers) ends the launch at once: TASK_KILLED, the command
/// never runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_the_fetch_ends_the_launch_at_once() {
    let node = start().await;
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let mut fw = subscribe(
        &node.mesos.url(),
        settings("it-embedded-fetch-kill", WAIT),
        None,
    )
    .await;
    let mut cmd = CommandInfo::shell("touch ran");
    cmd.uris = vec![Uri::new(format!("http://{addr}/never.tar"))];
    let offer = launch(&mut fw, vec![("fetching", cmd)]).await;
    // Let the fetch start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    fw.call(Call::Kill {
        task_id: TaskId::from("fetching"),
        agent_id: Some(offer.agent_id.clone()),
        grace_period: None,
    })
    .await;
    let end = fw.until_terminal("fetching").await;
    let last = end.last().unwrap();
    assert_eq!(last.state, TaskState::Killed, "{end:?}");
    assert_eq!(
        last.reason.as_deref(),
        Some("REASON_TASK_KILLED_DURING_LAUNCH"),
        "{end:?}"
    );
    assert!(!sandbox(&node, &fw, "fetching").join("ran").exists());
    held.abort();
    node.mesos.shutdown().await;
}

/// An archive may hold symlinks; nothing later is written through one that
/// leads out of the sandbox: a URI whose `output_file` goes through it
/// fails the launch, naming the path, and nothing appears outside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_files_are_never_written_through_a_symlink_out_of_the_sandbox() {
    let node = start().await;
    let files = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let content = files.path().join("content");
    std::fs::create_dir(&content).unwrap();
    std::os::unix::fs::symlink(outside.path(), content.join("out")).unwrap();
    let archive = files.path().join("links.tar");
    tar(&content, "-cf", &archive, "out");
    let plain = files.path().join("plain.conf");
    std::fs::write(&plain, "key: value\n").unwrap();
    let mut fw = subscribe(
        &node.mesos.url(),
        settings("it-embedded-symlink", WAIT),
        None,
    )
    .await;
    let mut cmd = CommandInfo::shell("true");
    cmd.uris = vec![
        Uri::new(format!("file://{}", archive.display())),
        Uri {
            output_file: Some("out/planted.conf".into()),
            ..Uri::new(format!("file://{}", plain.display()))
        },
    ];
    launch(&mut fw, vec![("linked", cmd)]).await;
    let end = fw.until_terminal("linked").await;
    let last = end.last().unwrap();
    assert_eq!(last.state, TaskState::Failed, "{end:?}");
    let message = last.message.clone().unwrap_or_default();
    assert!(message.contains("outside the sandbox"), "{message}");
    assert!(!outside.path().join("planted.conf").exists());
    node.mesos.shutdown().await;
}
