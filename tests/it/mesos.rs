//! Conformance of the Mesos client with a genuine Mesos 1.11 master and agent
//! (`support::mesos_local`): everything we send must pass Mesos' own
//! validation, and the outcomes are what the master really reports.

use std::time::Duration;

use flink_mesos::config::secret::Secret;
use flink_mesos::mesos::client::{
    fixed_master, Client, ClientOptions, Driver, DriverExit, DriverHandle, MesosError, SessionEvent,
};
use flink_mesos::mesos::operator::fetch_summary;
use flink_mesos::mesos::{
    Call, CommandInfo, ContainerInfo, ContainerRuntime, DockerNetwork, Event, FrameworkId,
    FrameworkSettings, Label, Offer, ReconcileTask, TaskId, TaskInfo, TaskState, TaskStatus, Uri,
    Volume,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::support::conformance::{settings, task};
use crate::support::mesos_local::MesosLocal;

const WAIT: Duration = Duration::from_secs(30);

struct Framework {
    handle: DriverHandle,
    events: mpsc::Receiver<SessionEvent>,
    /// Every status update received so far (events arrive interleaved).
    seen: Vec<TaskStatus>,
    task: JoinHandle<Result<DriverExit, MesosError>>,
}

fn start_driver(url: &str, settings: FrameworkSettings, id: Option<FrameworkId>) -> Framework {
    let client = Client::new(settings, ClientOptions::default()).unwrap();
    let (driver, handle) = Driver::new(client, fixed_master(url), id);
    let (tx, events) = mpsc::channel(256);
    Framework {
        handle,
        events,
        seen: Vec::new(),
        task: tokio::spawn(driver.run(tx)),
    }
}

impl Framework {
    /// The next event matching `f`, acknowledging every status update on the way.
    async fn next<T>(&mut self, what: &str, mut f: impl FnMut(&Event) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .unwrap_or_else(|| panic!("driver ended while waiting for {what}"));
            let SessionEvent::Event(ev) = ev else {
                panic!("disconnected while waiting for {what}: {ev:?}");
            };
            if let Event::Update(status) = &ev {
                if let Some(ack) = status.acknowledgement() {
                    self.handle.call(ack).await.expect("ACKNOWLEDGE accepted");
                }
                self.seen.push(status.clone());
            }
            if let Some(t) = f(&ev) {
                return t;
            }
        }
    }

    async fn subscribed(&mut self) -> FrameworkId {
        self.next("SUBSCRIBED", |e| match e {
            Event::Subscribed { framework_id, .. } => Some(framework_id.clone()),
            _ => None,
        })
        .await
    }

    async fn offers(&mut self) -> Vec<Offer> {
        self.next("OFFERS", |e| match e {
            Event::Offers(o) => Some(o.clone()),
            _ => None,
        })
        .await
    }

    async fn status(&mut self, task: &str, state: TaskState) -> TaskStatus {
        let id = TaskId::from(task);
        if let Some(s) = self
            .seen
            .iter()
            .find(|s| s.task_id == id && s.state == state)
        {
            return s.clone();
        }
        self.next(&format!("{task} {state}"), |e| match e {
            Event::Update(s) if s.task_id == id && s.state == state => Some(s.clone()),
            Event::Update(s) if s.task_id == id && s.state.is_terminal() => {
                panic!(
                    "{task} ended in {} ({:?}), expected {state}",
                    s.state, s.message
                )
            }
            _ => None,
        })
        .await
    }

    /// Asserts that no offer arrives for `quiet`, handling other events.
    async fn no_offers_for(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        while let Ok(ev) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            match ev {
                Some(SessionEvent::Event(Event::Offers(o))) => {
                    panic!("unexpected offers while filtered/suppressed: {o:?}")
                }
                Some(SessionEvent::Event(_)) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

/// A task using every TaskInfo part the appmaster sends: the shell is
/// `sh -c` given as argv (shell = false), so a failing check fails the task.
fn rich_task(offer: &Offer, fetched: &tempfile::NamedTempFile) -> TaskInfo {
    let mut t = task(offer, "it-rich", "");
    t.command = CommandInfo {
        value: "/bin/sh".into(),
        shell: false,
        arguments: vec![
            "sh".into(),
            "-c".into(),
            r#"test "$FLINK_MESOS_TEST" = "value with spaces" && grep -q fetched-by-mesos conf.txt"#
                .into(),
        ],
        uris: vec![Uri {
            output_file: Some("conf.txt".into()),
            extract: false,
            ..Uri::new(format!("file://{}", fetched.path().display()))
        }],
        environment: vec![("FLINK_MESOS_TEST".into(), "value with spaces".into())],
        user: None,
    };
    t.container = Some(ContainerInfo {
        runtime: ContainerRuntime::Mesos { image: None },
        volumes: vec![],
        hostname: None,
    });
    t.labels = vec![Label::new("flink-mesos", "it")];
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_kill_reconcile_update_teardown() {
    let mesos = MesosLocal::start(&[]);
    let mut fw = start_driver(&mesos.url, settings("it-launch"), None);
    let id = fw.subscribed().await;
    assert!(!id.as_str().is_empty());

    let offers = fw.offers().await;
    let offer = &offers[0];
    assert_eq!(offer.hostname, "127.0.0.1");
    let fetched = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(fetched.path(), "fetched-by-mesos\n").unwrap();
    assert!(offer.resources.iter().any(|r| r.name == "ports"));
    fw.handle
        .call(Call::Launch {
            offer_ids: vec![offer.id.clone()],
            tasks: vec![
                task(offer, "it-echo", "echo hello; sleep 0.5"),
                task(offer, "it-sleep", "sleep 600"),
                rich_task(offer, &fetched),
            ],
            refuse_seconds: Some(1.0),
        })
        .await
        .expect("ACCEPT with LAUNCH accepted");

    fw.status("it-echo", TaskState::Running).await;
    let finished = fw.status("it-echo", TaskState::Finished).await;
    assert_eq!(
        finished.message.as_deref(),
        Some("Command exited with status 0")
    );
    // Environment, URI fetch with output_file, argv, labels and a Mesos
    // container all passed validation and reached the task.
    fw.status("it-rich", TaskState::Finished).await;
    let running = fw.status("it-sleep", TaskState::Running).await;
    let agent = running.agent_id.clone().unwrap();

    // Explicit reconciliation: the master answers with the task's latest
    // state, marked as a reconciliation answer (no uuid, nothing to ack).
    fw.handle
        .call(Call::Reconcile {
            tasks: vec![ReconcileTask {
                task_id: TaskId::from("it-sleep"),
                agent_id: Some(agent.clone()),
            }],
        })
        .await
        .unwrap();
    let answer = fw
        .next("explicit reconciliation", |e| match e {
            Event::Update(s) if s.reason.as_deref() == Some("REASON_RECONCILIATION") => {
                Some(s.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(answer.task_id.as_str(), "it-sleep");
    assert_eq!(answer.state, TaskState::Running);
    assert!(answer.acknowledgement().is_none());

    // Implicit reconciliation: every non-terminal task of the framework.
    fw.handle
        .call(Call::Reconcile { tasks: vec![] })
        .await
        .unwrap();
    let answer = fw
        .next("implicit reconciliation", |e| match e {
            Event::Update(s) if s.reason.as_deref() == Some("REASON_RECONCILIATION") => {
                Some(s.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(
        (answer.task_id.as_str(), answer.state),
        ("it-sleep", TaskState::Running)
    );

    // UPDATE_FRAMEWORK: the master takes the new FrameworkInfo.
    let mut updated = settings("it-launch");
    updated.webui_url = Some("http://127.0.0.1:8081".into());
    fw.handle
        .call(Call::UpdateFramework {
            settings: updated,
            suppressed_roles: vec![],
        })
        .await
        .expect("UPDATE_FRAMEWORK accepted");

    fw.handle
        .call(Call::Kill {
            task_id: TaskId::from("it-sleep"),
            agent_id: Some(agent),
            grace_period: None,
        })
        .await
        .unwrap();
    let killed = fw.status("it-sleep", TaskState::Killed).await;
    assert!(killed.message.unwrap_or_default().contains("Terminated"));

    let state = mesos.get_json("/master/state").await;
    let framework = state["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id.as_str())
        .expect("framework in /master/state");
    assert_eq!(framework["webui_url"], "http://127.0.0.1:8081");

    // TEARDOWN ends the framework; subscribing again with its id is then the
    // typed "framework removed" outcome.
    fw.handle
        .call(Call::Teardown)
        .await
        .expect("TEARDOWN accepted");
    fw.handle.stop();
    fw.task.await.unwrap().unwrap();
    let again = start_driver(&mesos.url, settings("it-launch"), Some(id.clone()));
    let result = tokio::time::timeout(WAIT, again.task)
        .await
        .expect("driver ends");
    match result.unwrap() {
        Err(MesosError::FrameworkRemoved { framework_id }) => assert_eq!(framework_id, id),
        other => panic!("expected FrameworkRemoved, got {other:?}"),
    }
    drop(again.events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decline_filter_suppress_and_revive() {
    let mesos = MesosLocal::start(&[]);
    // Declaring GPU_RESOURCES passes the master's validation too.
    let mut fw = start_driver(&mesos.url, gpu_settings(), None);
    fw.subscribed().await;
    let offers = fw.offers().await;
    // Declined for an hour: the allocator (1 s interval) must not re-offer.
    fw.handle
        .call(Call::Decline {
            offer_ids: offers.iter().map(|o| o.id.clone()).collect(),
            refuse_seconds: Some(3600.0),
        })
        .await
        .unwrap();
    fw.no_offers_for(Duration::from_secs(3)).await;
    // REVIVE clears the filter.
    fw.handle
        .call(Call::Revive { roles: vec![] })
        .await
        .unwrap();
    let offers = fw.offers().await;
    // SUPPRESS, then decline without a filter: still no offers.
    fw.handle
        .call(Call::Suppress { roles: vec![] })
        .await
        .unwrap();
    fw.handle
        .call(Call::Decline {
            offer_ids: offers.iter().map(|o| o.id.clone()).collect(),
            refuse_seconds: Some(0.0),
        })
        .await
        .unwrap();
    fw.no_offers_for(Duration::from_secs(3)).await;
    fw.handle
        .call(Call::Revive { roles: vec![] })
        .await
        .unwrap();
    fw.offers().await;
    let id = fw.handle.framework_id().unwrap();
    fw.handle.stop();
    assert_eq!(fw.task.await.unwrap().unwrap(), DriverExit::Stopped);

    // A failover subscription that starts suppressed (SUBSCRIBE with
    // suppressed_roles): no offers until REVIVE.
    let client = Client::new(gpu_settings(), ClientOptions::default()).unwrap();
    let mut sub = client
        .subscribe_suppressed(&mesos.url, Some(&id), true)
        .await
        .unwrap();
    let quiet_until = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        match tokio::time::timeout_at(quiet_until, sub.next_event()).await {
            Err(_) => break,
            Ok(Ok(Event::Offers(o))) => panic!("offers while subscribed suppressed: {o:?}"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("{e}"),
        }
    }
    let caller = sub.caller().expect("subscribed");
    caller.call(&Call::Revive { roles: vec![] }).await.unwrap();
    let offers = tokio::time::timeout(WAIT, async {
        loop {
            if let Event::Offers(o) = sub.next_event().await.unwrap() {
                return o;
            }
        }
    })
    .await
    .expect("offers after REVIVE");
    assert!(!offers.is_empty());
    caller.call(&Call::Teardown).await.unwrap();
}

fn gpu_settings() -> FrameworkSettings {
    let mut s = settings("it-decline");
    s.gpu_resources = true;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_resubscribes_with_the_same_framework_id() {
    let mesos = MesosLocal::start(&[]);
    let mut fw = start_driver(&mesos.url, settings("it-failover"), None);
    let id = fw.subscribed().await;
    let offers = fw.offers().await;
    fw.handle
        .call(Call::Launch {
            offer_ids: vec![offers[0].id.clone()],
            tasks: vec![task(&offers[0], "it-survivor", "sleep 600")],
            refuse_seconds: None,
        })
        .await
        .unwrap();
    fw.status("it-survivor", TaskState::Running).await;
    // The scheduler goes away (connection closed) ...
    fw.handle.stop();
    fw.task.await.unwrap().unwrap();
    drop(fw.events);

    // ... and a new instance fails over with the stored framework id: same
    // framework, and its task is still running.
    let mut fw = start_driver(&mesos.url, settings("it-failover"), Some(id.clone()));
    assert_eq!(fw.subscribed().await, id);
    fw.handle
        .call(Call::Reconcile { tasks: vec![] })
        .await
        .unwrap();
    let answer = fw
        .next("reconciliation after failover", |e| match e {
            Event::Update(s) if s.task_id.as_str() == "it-survivor" => Some(s.clone()),
            _ => None,
        })
        .await;
    assert_eq!(answer.state, TaskState::Running);
    fw.handle.call(Call::Teardown).await.unwrap();
    fw.handle.stop();
    fw.task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_summary_of_a_genuine_master() {
    let mesos = MesosLocal::start(&[]);
    let s = fetch_summary(&mesos.url, &ClientOptions::default())
        .await
        .unwrap();
    assert_eq!(s.version.as_deref(), Some("1.11.0"));
    assert!(s.is_leader);
    assert_eq!(
        s.leader,
        Some(mesos.url.trim_start_matches("http://").to_string())
    );
    assert_eq!(s.agents_active, 1);
    assert_eq!(s.resources_total.cpus, 4.0);
    assert_eq!(s.resources_total.mem_mb, 4096.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_basic_authentication() {
    let creds = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        creds.path(),
        r#"{"credentials":[{"principal":"flink","secret":"s3cret"}]}"#,
    )
    .unwrap();
    let creds_path = creds.path().to_str().unwrap().to_string();
    let mesos = MesosLocal::start(&[
        ("MESOS_AUTHENTICATE_HTTP_FRAMEWORKS", "true"),
        ("MESOS_HTTP_FRAMEWORK_AUTHENTICATORS", "basic"),
        ("MESOS_CREDENTIALS", &creds_path),
    ]);
    // A wrong secret is refused (401), and that is not retried.
    let mut wrong = settings("it-auth");
    wrong.principal = Some("flink".into());
    wrong.secret = Some(Secret::new("wrong"));
    let fw = start_driver(&mesos.url, wrong, None);
    match tokio::time::timeout(WAIT, fw.task).await.unwrap().unwrap() {
        Err(e @ MesosError::Rejected { status: 401, .. }) => {
            assert!(!e.to_string().contains("wrong"), "{e}");
        }
        other => panic!("expected 401, got {other:?}"),
    }
    let mut right = settings("it-auth");
    right.principal = Some("flink".into());
    right.secret = Some(Secret::new("s3cret"));
    let mut fw = start_driver(&mesos.url, right, None);
    fw.subscribed().await;
    fw.handle.call(Call::Teardown).await.unwrap();
    fw.handle.stop();
    fw.task.await.unwrap().unwrap();
}

pub(crate) fn flink_mesos(args: &[&str]) -> std::process::Output {
    use assert_cmd::cargo::CommandCargoExt;
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::cargo_bin("flink-mesos")
        .unwrap()
        .env_remove("FLINK_CONF_DIR")
        .env_remove("FLINK_PROPERTIES")
        .env_remove("FLINK_MESOS_MASTER")
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn master_command_shows_the_leader_of_a_genuine_master() {
    let mesos = MesosLocal::start(&[]);
    let spec = format!("-Dmesos.master={}", mesos.url);
    let out = flink_mesos(&["master", &spec]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("leader      {} (leading)", mesos.url)),
        "{text}"
    );
    assert!(text.contains("version     1.11.0"), "{text}");
    assert!(text.contains("agents      1 active, 0 inactive"), "{text}");
    assert!(text.contains("cpus 0/4,"), "{text}");

    let out = flink_mesos(&["master", "--output", "json", &spec]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["leader"]["url"], mesos.url.as_str());
    assert_eq!(json["state"]["version"], "1.11.0");
    assert_eq!(json["state"]["resources_total"]["mem_mb"], 4096.0);

    // file:// holding the address, as Mesos agents accept it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("master");
    std::fs::write(&file, format!("{}\n", mesos.url)).unwrap();
    let out = flink_mesos(&[
        "master",
        &format!("-Dmesos.master=file://{}", file.display()),
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("version     1.11.0"));

    // Nobody listens there: a peer error, exit 1, a message and no output.
    let port = crate::support::free_port();
    let out = flink_mesos(&["master", &format!("-Dmesos.master=127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Mesos master"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_subscription_is_a_typed_error() {
    // The master only admits the roles it lists; another role is refused
    // with an ERROR event, which must not be retried.
    let mesos = MesosLocal::start(&[("MESOS_ROLES", "flink")]);
    let mut s = settings("it-refused");
    s.role = "not-listed".into();
    let fw = start_driver(&mesos.url, s, None);
    match tokio::time::timeout(WAIT, fw.task).await.unwrap().unwrap() {
        Err(MesosError::Refused(message)) => {
            assert!(message.contains("not-listed"), "{message}");
        }
        other => panic!("expected a refused subscription, got {other:?}"),
    }
    // The listed role is fine.
    let mut s = settings("it-admitted");
    s.role = "flink".into();
    let mut fw = start_driver(&mesos.url, s, None);
    fw.subscribed().await;
    let offers = fw.offers().await;
    assert!(offers[0]
        .resources
        .iter()
        .all(|r| r.allocation_role.as_deref() == Some("flink")));
    fw.handle.call(Call::Teardown).await.unwrap();
    fw.handle.stop();
    fw.task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_container_info_passes_master_validation() {
    // mesos-local has no Docker containerizer, so the agent cannot run the
    // task; what matters is that the master's validation accepted our
    // DockerInfo (a rejected TaskInfo is TASK_ERROR from SOURCE_MASTER).
    let mesos = MesosLocal::start(&[]);
    let mut fw = start_driver(&mesos.url, settings("it-docker"), None);
    fw.subscribed().await;
    let offers = fw.offers().await;
    let mut t = task(&offers[0], "it-docker", "true");
    t.container = Some(ContainerInfo {
        runtime: ContainerRuntime::Docker {
            image: "flink:2.3".into(),
            network: DockerNetwork::Host,
            privileged: false,
            force_pull_image: false,
            parameters: vec![("env".into(), "A=1".into())],
            port_mappings: vec![],
        },
        volumes: vec![Volume {
            container_path: "/data".into(),
            host_path: Some("/tmp".into()),
            read_only: true,
        }],
        hostname: None,
    });
    fw.handle
        .call(Call::Launch {
            offer_ids: vec![offers[0].id.clone()],
            tasks: vec![t],
            refuse_seconds: None,
        })
        .await
        .unwrap();
    let end = fw
        .next("a terminal update of it-docker", |e| match e {
            Event::Update(s) if s.state.is_terminal() => Some(s.clone()),
            _ => None,
        })
        .await;
    // The agent, not the master, ended it ("unknown container").
    assert_eq!(
        end.source.as_deref(),
        Some("SOURCE_AGENT"),
        "the master rejected the TaskInfo: {end:?}"
    );
    fw.handle.call(Call::Teardown).await.unwrap();
    fw.handle.stop();
    fw.task.await.unwrap().unwrap();
}

/// The framework is PARTITION_AWARE: a genuine master answers reconciliation
/// of a task it never saw (an ACCEPT lost in a disconnect) with the
/// partition-aware states instead of TASK_LOST, marked as a reconciliation
/// answer, which the core does not count as a failure of the worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_aware_framework_learns_of_unknown_tasks_without_task_lost() {
    let mesos = MesosLocal::start(&[]);
    let mut fw = start_driver(&mesos.url, settings("it-partition"), None);
    fw.subscribed().await;
    let offers = fw.offers().await;
    let agent = offers[0].agent_id.clone();
    for (task, agent_id) in [
        ("never-launched-1", Some(agent)),
        ("never-launched-2", None),
    ] {
        fw.handle
            .call(Call::Reconcile {
                tasks: vec![ReconcileTask {
                    task_id: TaskId::from(task),
                    agent_id,
                }],
            })
            .await
            .unwrap();
        let id = TaskId::from(task);
        let answer = fw
            .next(&format!("reconciliation of {task}"), |e| match e {
                Event::Update(s) if s.task_id == id => Some(s.clone()),
                _ => None,
            })
            .await;
        assert!(
            matches!(answer.state, TaskState::Gone | TaskState::Unknown),
            "{task}: {answer:?}"
        );
        assert_eq!(answer.reason.as_deref(), Some("REASON_RECONCILIATION"));
        assert!(!flink_mesos::scheduler::blames_the_worker(&answer));
    }
    fw.handle.call(Call::Teardown).await.unwrap();
}
