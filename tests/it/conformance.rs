//! Differential conformance (issue 13): one scenario suite runs against the
//! genuine Mesos 1.11 of `../shared/mesos-local` and against the embedded
//! Mesos of `flink-mesos local embedded-mesos`. Each scenario is one function
//! that drives a fresh master + agent with our own client and returns a
//! normalised [`Transcript`] (events, calls and checked outcomes; ids,
//! uuids, timestamps, heartbeats and offer timing normalised away, see
//! [`Session`]). Each scenario has one expected transcript, written from
//! what genuine Mesos does, and one test per target asserting it: so
//! "outcomes and event sequences agree" is one `assert_eq` per target.
//! docs/conformance.md lists the scenarios and what genuine Mesos does.

use std::path::Path;
use std::time::Duration;

use flink_mesos::mesos::{AgentId, Call, Offer, ReconcileTask, TaskId, TaskState, Uri};

use crate::support::conformance::{
    group_alive, group_gone, is_executable, sandbox_file, settings, task, Embedded, Genuine,
    RunningTarget, Session, Target, Transcript, WAIT,
};

/// How long "no offers" is watched for. The master's allocator runs every
/// second, so 2 s spans at least one allocation.
const QUIET: Duration = Duration::from_secs(2);

/// A command that writes its process (group) id to `pid` in the sandbox and
/// then sleeps: the executor starts each task in a process group of its own.
const SLEEPER: &str = "echo $$ > pid; exec sleep 600";

/// The process group of a [`SLEEPER`] task, once it wrote it.
async fn sleeper_pgid(t: &dyn RunningTarget, task: &str) -> i32 {
    let text = sandbox_file(t, task, "pid")
        .await
        .unwrap_or_else(|| panic!("{task} wrote no pid file in its sandbox"));
    text.trim().parse().expect("pid")
}

/// GET a JSON endpoint of the target's master, e.g. `/master/state`.
async fn get_json(t: &dyn RunningTarget, path: &str) -> serde_json::Value {
    crate::support::mesos_local::get_json(t.url(), path).await
}

/// Subscribes a new framework, waits for SUBSCRIBED and the first offers.
async fn framework(t: &dyn RunningTarget, name: &str, tr: &Transcript) -> (Session, Vec<Offer>) {
    let mut s = Session::subscribe(t, settings(name), None, tr).await;
    s.subscribed().await;
    let offers = s.offers().await;
    (s, offers)
}

/// Launches `command` as task `id` on the first offer.
async fn launch(s: &Session, offers: &[Offer], id: &str, command: &str) {
    s.call(
        &format!("LAUNCH {id}"),
        Call::Launch {
            offer_ids: vec![offers[0].id.clone()],
            tasks: vec![task(&offers[0], id, command)],
            refuse_seconds: None,
        },
    )
    .await;
}

async fn reconcile(s: &Session, what: &str, tasks: Vec<ReconcileTask>) {
    s.call(&format!("RECONCILE {what}"), Call::Reconcile { tasks })
        .await;
}

/// KILL of `task` (no grace period of its own).
async fn kill(s: &Session, task: &str, agent_id: Option<AgentId>) {
    let call = Call::Kill {
        task_id: TaskId::from(task),
        agent_id,
        grace_period: None,
    };
    s.call(&format!("KILL {task}"), call).await;
}

async fn teardown(s: &mut Session) {
    s.call("TEARDOWN", Call::Teardown).await;
    s.until_closed().await;
}

// ---------------------------------------------------------------- scenarios

/// SUBSCRIBE: SUBSCRIBED with a new framework id and the heartbeat interval,
/// then one offer of the whole agent.
async fn scenario_subscribe(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let mut s = Session::subscribe(t, settings("conformance"), None, &tr).await;
    let id = s.subscribed().await;
    s.offers_described().await;
    let state = get_json(t, "/master/state").await;
    let fw = state["frameworks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["id"] == id.as_str());
    tr.outcome(match fw {
        Some(f) => format!(
            "/master/state: framework {} active {}",
            f["name"], f["active"]
        ),
        None => "/master/state: framework missing".into(),
    });
    teardown(&mut s).await;
    tr
}

/// A task that prints and ends: STARTING, RUNNING, FINISHED, each
/// acknowledged; its output is in the sandbox.
async fn scenario_finish(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    launch(&s, &offers, "echo", "echo hello; sleep 1").await;
    s.update_of("echo", TaskState::Finished).await;
    let stdout = sandbox_file(t, "echo", "stdout").await.unwrap_or_default();
    tr.outcome(format!(
        "stdout has a line hello: {}",
        stdout.lines().any(|l| l == "hello")
    ));
    // No FAILURE event when a command executor ends: the agent reports the
    // end of an executor to the framework only for executors the framework
    // gave (ExecutorInfo). The executor ends shortly after its terminal
    // update was acknowledged (mesos-local's: 0.5 s), within the 2 s.
    s.no_failures(QUIET).await;
    teardown(&mut s).await;
    tr
}

/// A task that exits with status 3: FAILED with the exit status.
async fn scenario_fail(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    launch(&s, &offers, "exit3", "echo failing >&2; exit 3").await;
    s.update_of("exit3", TaskState::Failed).await;
    let stderr = sandbox_file(t, "exit3", "stderr").await.unwrap_or_default();
    tr.outcome(format!(
        "stderr has a line failing: {}",
        stderr.lines().any(|l| l == "failing")
    ));
    teardown(&mut s).await;
    tr
}

/// KILL of a running task: KILLED, and its process group is gone.
async fn scenario_kill(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    launch(&s, &offers, "sleeper", SLEEPER).await;
    let running = s.update_of("sleeper", TaskState::Running).await;
    let pgid = sleeper_pgid(t, "sleeper").await;
    tr.outcome(format!("process group alive: {}", group_alive(pgid)));
    kill(&s, "sleeper", running.agent_id.clone()).await;
    s.update_of("sleeper", TaskState::Killed).await;
    tr.outcome(format!("process group gone: {}", group_gone(pgid).await));
    // A task the master never saw: answered like a reconciliation.
    kill(&s, "unknown", running.agent_id.clone()).await;
    s.next_update("unknown").await;
    teardown(&mut s).await;
    tr
}

/// KILL of a task that ignores SIGTERM: after the task's kill grace period
/// (2 s) the executor sends SIGKILL.
async fn scenario_kill_escalation(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    // An ignored signal stays ignored across exec, so `sleep` ignores it too.
    let stubborn = "trap '' TERM; echo $$ > pid; while :; do sleep 0.2; done";
    launch(&s, &offers, "stubborn", stubborn).await;
    let running = s.update_of("stubborn", TaskState::Running).await;
    let pgid = sleeper_pgid(t, "stubborn").await;
    tr.outcome(format!("process group alive: {}", group_alive(pgid)));
    kill(&s, "stubborn", running.agent_id.clone()).await;
    s.update_of("stubborn", TaskState::Killed).await;
    tr.outcome(format!("process group gone: {}", group_gone(pgid).await));
    teardown(&mut s).await;
    tr
}

/// Another scheduler instance subscribes with the framework id while the
/// first is still connected: it takes over, the first is told so.
async fn scenario_takeover(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let mut first = Session::subscribe(t, settings("conformance"), None, &tr).await;
    let id = first.subscribed().await;
    // The first subscription holds an offer of everything when the second
    // takes over: the new scheduler never saw it, so the master must not
    // keep it for the framework.
    first.offers().await;
    let mut second = Session::subscribe(t, settings("conformance"), Some(&id), &tr).await;
    second.subscribed().await;
    tr.push("-- the first subscription:");
    first.until_closed().await;
    tr.push("-- the second subscription:");
    second.offers().await;
    teardown(&mut second).await;
    tr
}

/// What a command task finds in its environment: the variables Mesos
/// defines for it (values normalised: the sandbox, framework and agent ids
/// differ per target), the ones of its CommandInfo, and none of the
/// executor's own libprocess settings.
async fn scenario_environment(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    let mut env = task(&offers[0], "env", "env > env.txt; pwd > pwd.txt");
    env.command.environment = vec![("FLINK_MESOS_TEST".into(), "value with spaces".into())];
    s.call(
        "LAUNCH env",
        Call::Launch {
            offer_ids: vec![offers[0].id.clone()],
            tasks: vec![env],
            refuse_seconds: None,
        },
    )
    .await;
    s.update_of("env", TaskState::Finished).await;
    let sandbox = t.sandbox("env").expect("sandbox of env");
    let canonical = |p: &str| std::fs::canonicalize(p).ok();
    let sandbox_dir = std::fs::canonicalize(&sandbox).ok();
    let text = std::fs::read_to_string(sandbox.join("env.txt")).unwrap_or_default();
    let vars: std::collections::BTreeMap<&str, &str> =
        text.lines().filter_map(|l| l.split_once('=')).collect();
    let framework = s.framework_id.clone().unwrap();
    let agent = offers[0].agent_id.clone();
    let pwd = std::fs::read_to_string(sandbox.join("pwd.txt")).unwrap_or_default();
    tr.outcome(format!(
        "working directory is the sandbox: {}",
        canonical(pwd.trim()).is_some() && canonical(pwd.trim()) == sandbox_dir
    ));
    for name in [
        "MESOS_SANDBOX",
        "MESOS_DIRECTORY",
        "MESOS_TASK_ID",
        "MESOS_EXECUTOR_ID",
        "MESOS_FRAMEWORK_ID",
        "MESOS_SLAVE_ID",
        "MESOS_AGENT_ENDPOINT",
        "MESOS_CHECKPOINT",
        "FLINK_MESOS_TEST",
        "LIBPROCESS_IP",
        "LIBPROCESS_PORT",
        "MESOS_HTTP_COMMAND_EXECUTOR",
    ] {
        let value = match vars.get(name) {
            None => "unset".to_string(),
            Some(v) if canonical(v).is_some() && canonical(v) == sandbox_dir => "<sandbox>".into(),
            Some(v) if *v == framework.as_str() => "<framework>".into(),
            Some(v) if *v == agent.as_str() => "<agent>".into(),
            Some(v) if name == "MESOS_AGENT_ENDPOINT" => {
                let url = t.url().trim_start_matches("http://");
                if *v == url {
                    "<the target host:port>".into()
                } else {
                    v.to_string()
                }
            }
            Some(v) => v.to_string(),
        };
        tr.outcome(format!("{name}={value}"));
    }
    teardown(&mut s).await;
    tr
}

/// The master's own validation: a task asking for more than the offer
/// holds, then a LAUNCH on an offer that was used already.
async fn scenario_invalid(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    let mut greedy = task(&offers[0], "greedy", "true");
    greedy.resources[0].value = flink_mesos::mesos::Value::Scalar(100.0);
    s.call(
        "LAUNCH greedy (100 cpus)",
        Call::Launch {
            offer_ids: vec![offers[0].id.clone()],
            tasks: vec![greedy],
            refuse_seconds: None,
        },
    )
    .await;
    s.next_update("greedy").await;
    launch(&s, &offers, "late", "true").await;
    s.next_update("late").await;
    teardown(&mut s).await;
    tr
}

/// DECLINE with a refuse filter: no offers while it holds; REVIVE clears
/// it; a short filter runs out by itself.
async fn scenario_decline_revive(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    let ids = |o: &[Offer]| o.iter().map(|o| o.id.clone()).collect();
    s.call(
        "DECLINE refuse_seconds=3600",
        Call::Decline {
            offer_ids: ids(&offers),
            refuse_seconds: Some(3600.0),
        },
    )
    .await;
    s.quiet(QUIET).await;
    s.call("REVIVE", Call::Revive { roles: vec![] }).await;
    let offers = s.offers().await;
    s.call(
        "DECLINE refuse_seconds=1",
        Call::Decline {
            offer_ids: ids(&offers),
            refuse_seconds: Some(1.0),
        },
    )
    .await;
    s.offers().await;
    teardown(&mut s).await;
    tr
}

/// ACCEPT with a refuse filter: what the task leaves over is not offered
/// while the filter holds; after REVIVE it is, less what the task holds.
async fn scenario_accept_filter(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    s.call(
        "LAUNCH sleeper refuse_seconds=3600",
        Call::Launch {
            offer_ids: vec![offers[0].id.clone()],
            tasks: vec![task(&offers[0], "sleeper", SLEEPER)],
            refuse_seconds: Some(3600.0),
        },
    )
    .await;
    s.update_of("sleeper", TaskState::Running).await;
    s.quiet(QUIET).await;
    s.call("REVIVE", Call::Revive { roles: vec![] }).await;
    s.offers_described().await;
    teardown(&mut s).await;
    tr
}

/// SUPPRESS: no offers, even for declined resources without a filter;
/// REVIVE brings them back.
async fn scenario_suppress_revive(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    s.call("SUPPRESS", Call::Suppress { roles: vec![] }).await;
    s.call(
        "DECLINE refuse_seconds=0",
        Call::Decline {
            offer_ids: offers.iter().map(|o| o.id.clone()).collect(),
            refuse_seconds: Some(0.0),
        },
    )
    .await;
    s.quiet(QUIET).await;
    s.call("REVIVE", Call::Revive { roles: vec![] }).await;
    s.offers().await;
    teardown(&mut s).await;
    tr
}

/// Explicit reconciliation of a running task and of tasks the master never
/// saw (with and without an agent id), then implicit reconciliation.
async fn scenario_reconcile(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    let agent = offers[0].agent_id.clone();
    launch(&s, &offers, "sleeper", SLEEPER).await;
    s.update_of("sleeper", TaskState::Running).await;
    let explicit = |task: &str, with_agent: bool| ReconcileTask {
        task_id: TaskId::from(task),
        agent_id: with_agent.then(|| agent.clone()),
    };
    reconcile(&s, "sleeper", vec![explicit("sleeper", true)]).await;
    s.next_update("sleeper").await;
    reconcile(&s, "unknown (with agent)", vec![explicit("unknown", true)]).await;
    s.next_update("unknown").await;
    reconcile(&s, "unknown2 (no agent)", vec![explicit("unknown2", false)]).await;
    s.next_update("unknown2").await;
    reconcile(&s, "implicit", vec![]).await;
    s.next_update("sleeper").await;
    teardown(&mut s).await;
    tr
}

/// An update that is not acknowledged is sent again (by the agent's status
/// update manager; the next update waits for the acknowledgement).
async fn scenario_resend(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    s.auto_ack = false;
    launch(&s, &offers, "sleeper", SLEEPER).await;
    s.next_update("sleeper").await;
    s.next_update("sleeper").await;
    s.auto_ack = true;
    s.acknowledge_held().await;
    s.update_of("sleeper", TaskState::Running).await;
    teardown(&mut s).await;
    tr
}

/// A task ends while its scheduler is away. After the failover Mesos sends
/// the terminal update again (unacknowledged); while it stays
/// unacknowledged, reconciliation answers with the latest state and
/// REASON_RECONCILIATION in place of the task's own reason (what the
/// appmaster must not take for the end's cause); once acknowledged, the
/// task is gone from what reconciliation knows.
async fn scenario_ended_while_away(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    let agent = offers[0].agent_id.clone();
    launch(&s, &offers, "brief", "sleep 2; exit 3").await;
    s.update_of("brief", TaskState::Running).await;
    let id = s.framework_id.clone().unwrap();
    s.disconnect();
    // It fails meanwhile; nobody acknowledges that.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut s = Session::subscribe(t, settings("conformance"), Some(&id), &tr).await;
    s.auto_ack = false;
    s.subscribed().await;
    s.update_of("brief", TaskState::Failed).await;
    let brief = || {
        vec![ReconcileTask {
            task_id: TaskId::from("brief"),
            agent_id: Some(agent.clone()),
        }]
    };
    reconcile(&s, "brief (unacknowledged)", brief()).await;
    s.next_update("brief").await;
    s.auto_ack = true;
    s.acknowledge_held().await;
    // The master moves the task to its completed ones on the
    // acknowledgement.
    tokio::time::sleep(QUIET).await;
    reconcile(&s, "brief (acknowledged)", brief()).await;
    s.next_update("brief").await;
    teardown(&mut s).await;
    tr
}

/// The scheduler goes away and fails over within the failover timeout: the
/// same framework, its task still running.
async fn scenario_failover(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    launch(&s, &offers, "survivor", SLEEPER).await;
    s.update_of("survivor", TaskState::Running).await;
    let pgid = sleeper_pgid(t, "survivor").await;
    let id = s.framework_id.clone().unwrap();
    s.disconnect();
    let mut s = Session::subscribe(t, settings("conformance"), Some(&id), &tr).await;
    s.subscribed().await;
    reconcile(&s, "implicit", vec![]).await;
    s.next_update("survivor").await;
    tr.outcome(format!("process group alive: {}", group_alive(pgid)));
    teardown(&mut s).await;
    tr.outcome(format!("process group gone: {}", group_gone(pgid).await));
    tr
}

/// The failover timeout runs out: the master removes the framework, and
/// subscribing with its id is refused.
async fn scenario_removed(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let mut short = settings("conformance");
    short.failover_timeout = Duration::from_secs(1);
    let mut s = Session::subscribe(t, short.clone(), None, &tr).await;
    let id = s.subscribed().await;
    s.disconnect();
    // Removed frameworks are listed as completed in /master/state.
    let deadline = tokio::time::Instant::now() + WAIT;
    let removed = loop {
        let state = get_json(t, "/master/state").await;
        let completed = state["completed_frameworks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["id"] == id.as_str());
        if completed || tokio::time::Instant::now() > deadline {
            break completed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tr.outcome(format!(
        "/master/state lists the framework as completed: {removed}"
    ));
    let mut s = Session::subscribe(t, short, Some(&id), &tr).await;
    s.until_closed().await;
    tr
}

/// TEARDOWN: the master ends the stream, kills the tasks and forgets the
/// framework.
async fn scenario_teardown(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let (mut s, offers) = framework(t, "conformance", &tr).await;
    launch(&s, &offers, "sleeper", SLEEPER).await;
    s.update_of("sleeper", TaskState::Running).await;
    let pgid = sleeper_pgid(t, "sleeper").await;
    tr.outcome(format!("process group alive: {}", group_alive(pgid)));
    let id = s.framework_id.clone().unwrap();
    teardown(&mut s).await;
    tr.outcome(format!("process group gone: {}", group_gone(pgid).await));
    let state = get_json(t, "/master/state").await;
    let completed = state["completed_frameworks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["id"] == id.as_str());
    tr.outcome(match completed {
        Some(f) => format!(
            "/master/state: completed framework, its completed tasks [{}]",
            f["completed_tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| format!("{} {}", t["id"], t["state"]))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => "/master/state: no completed framework".into(),
    });
    tr
}

/// URI fetch: a file:// URI marked executable and a tar.gz that is
/// extracted, both in the sandbox before the command runs.
async fn scenario_fetch(t: &dyn RunningTarget) -> Transcript {
    let tr = Transcript::default();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("hello.sh");
    std::fs::write(&script, "#!/bin/sh\necho script ran\n").unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/file.txt"), "from the archive\n").unwrap();
    let archive = dir.path().join("data.tar.gz");
    let out = std::process::Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.path())
        .arg("data")
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {out:?}");

    let (mut s, offers) = framework(t, "conformance", &tr).await;
    let mut fetch = task(&offers[0], "fetch", "./hello.sh && cat data/file.txt");
    fetch.command.uris = vec![
        Uri {
            executable: true,
            extract: false,
            ..Uri::new(format!("file://{}", script.display()))
        },
        Uri::new(format!("file://{}", archive.display())),
    ];
    s.call(
        "LAUNCH fetch",
        Call::Launch {
            offer_ids: vec![offers[0].id.clone()],
            tasks: vec![fetch],
            refuse_seconds: None,
        },
    )
    .await;
    s.update_of("fetch", TaskState::Finished).await;
    let sandbox = t.sandbox("fetch").expect("sandbox of fetch");
    tr.outcome(format!(
        "hello.sh executable: {}",
        is_executable(&sandbox.join("hello.sh"))
    ));
    tr.outcome(format!(
        "data/file.txt: {:?}",
        std::fs::read_to_string(sandbox.join("data/file.txt")).ok()
    ));
    let stdout = std::fs::read_to_string(sandbox.join("stdout")).unwrap_or_default();
    tr.outcome(format!(
        "stdout has both lines: {}",
        stdout.contains("script ran\nfrom the archive\n")
    ));
    teardown(&mut s).await;
    tr
}

// --------------------------------------------------- expected transcripts
//
// What genuine Mesos 1.11 (mesos-local) does, verified by running the
// genuine variants. Lines: `> CALL` we sent; events as received (UPDATE
// task state source reason "message"); OUTCOME what the scenario checked.

const SUBSCRIBE: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "  offer host 127.0.0.1 cpus=4(*) disk=10240(*) mem=4096(*) ports=200 in 1 range(s)(*) attributes []",
    "OUTCOME /master/state: framework \"conformance\" active true",
    "> TEARDOWN",
    "STREAM CLOSED",
];
/// Every update of a command task comes from the executor (SOURCE_EXECUTOR)
/// with no reason; the terminal one says how the command ended. No FAILURE
/// event for a command executor.
const FINISH: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH echo",
    "UPDATE echo TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE echo TASK_RUNNING SOURCE_EXECUTOR",
    "UPDATE echo TASK_FINISHED SOURCE_EXECUTOR \"Command exited with status 0\"",
    "OUTCOME stdout has a line hello: true",
    "no FAILURE for 2s",
    "> TEARDOWN",
    "STREAM CLOSED",
];
const FAIL: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH exit3",
    "UPDATE exit3 TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE exit3 TASK_RUNNING SOURCE_EXECUTOR",
    "UPDATE exit3 TASK_FAILED SOURCE_EXECUTOR \"Command exited with status 3\"",
    "OUTCOME stderr has a line failing: true",
    "> TEARDOWN",
    "STREAM CLOSED",
];
/// No TASK_KILLING here: left out of every transcript (see `Session`).
/// KILL of a task the master does not know is answered like explicit
/// reconciliation with the agent id: TASK_GONE.
const KILL: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH sleeper",
    "UPDATE sleeper TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE sleeper TASK_RUNNING SOURCE_EXECUTOR",
    "OUTCOME process group alive: true",
    "> KILL sleeper",
    "UPDATE sleeper TASK_KILLED SOURCE_EXECUTOR \"Command terminated with signal Terminated\"",
    "OUTCOME process group gone: true",
    "> KILL unknown",
    "UPDATE unknown TASK_GONE SOURCE_MASTER REASON_RECONCILIATION \"Reconciliation: Task is unknown to the agent\" (nothing to acknowledge)",
    "> TEARDOWN",
    "STREAM CLOSED",
];
const DECLINE_REVIVE: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> DECLINE refuse_seconds=3600",
    "no OFFERS for 2s",
    "> REVIVE",
    "OFFERS x1",
    "> DECLINE refuse_seconds=1",
    "OFFERS x1",
    "> TEARDOWN",
    "STREAM CLOSED",
];
const ACCEPT_FILTER: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH sleeper refuse_seconds=3600",
    "UPDATE sleeper TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE sleeper TASK_RUNNING SOURCE_EXECUTOR",
    "no OFFERS for 2s",
    "> REVIVE",
    "OFFERS x1",
    "  offer host 127.0.0.1 cpus=3.9(*) disk=10240(*) mem=4064(*) ports=200 in 1 range(s)(*) attributes []",
    "> TEARDOWN",
    "STREAM CLOSED",
];
const SUPPRESS_REVIVE: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> SUPPRESS",
    "> DECLINE refuse_seconds=0",
    "no OFFERS for 2s",
    "> REVIVE",
    "OFFERS x1",
    "> TEARDOWN",
    "STREAM CLOSED",
];
/// Reconciliation answers come from the master, with no uuid. A task the
/// master does not know: TASK_GONE when the agent is named and known,
/// TASK_UNKNOWN without an agent (we are PARTITION_AWARE; otherwise both are
/// TASK_LOST).
const RECONCILE: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH sleeper",
    "UPDATE sleeper TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE sleeper TASK_RUNNING SOURCE_EXECUTOR",
    "> RECONCILE sleeper",
    "UPDATE sleeper TASK_RUNNING SOURCE_MASTER REASON_RECONCILIATION \"Reconciliation: Latest task state\" (nothing to acknowledge)",
    "> RECONCILE unknown (with agent)",
    "UPDATE unknown TASK_GONE SOURCE_MASTER REASON_RECONCILIATION \"Reconciliation: Task is unknown to the agent\" (nothing to acknowledge)",
    "> RECONCILE unknown2 (no agent)",
    "UPDATE unknown2 TASK_UNKNOWN SOURCE_MASTER REASON_RECONCILIATION \"Reconciliation: Task is unknown\" (nothing to acknowledge)",
    "> RECONCILE implicit",
    "UPDATE sleeper TASK_RUNNING SOURCE_MASTER REASON_RECONCILIATION \"Reconciliation: Latest task state\" (nothing to acknowledge)",
    "> TEARDOWN",
    "STREAM CLOSED",
];
/// The agent re-sends the unacknowledged update (genuine: after 10 s, its
/// status update manager's first retry interval) and holds back the next
/// one until it is acknowledged.
const RESEND: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH sleeper",
    "UPDATE sleeper TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE sleeper TASK_STARTING SOURCE_EXECUTOR (resent)",
    "> ACKNOWLEDGE sleeper TASK_STARTING",
    "UPDATE sleeper TASK_RUNNING SOURCE_EXECUTOR",
    "> TEARDOWN",
    "STREAM CLOSED",
];
const FAILOVER: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH survivor",
    "UPDATE survivor TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE survivor TASK_RUNNING SOURCE_EXECUTOR",
    "> close the event stream",
    "> SUBSCRIBE with the framework id",
    "SUBSCRIBED the same framework id, heartbeat interval 15s",
    "> RECONCILE implicit",
    "UPDATE survivor TASK_RUNNING SOURCE_MASTER REASON_RECONCILIATION \"Reconciliation: Latest task state\" (nothing to acknowledge)",
    "OUTCOME process group alive: true",
    "> TEARDOWN",
    "STREAM CLOSED",
    "OUTCOME process group gone: true",
];
/// A task that ended while its scheduler was away: its update comes again
/// right after SUBSCRIBED; reconciliation gives the latest state without
/// the task's reason until the acknowledgement, then TASK_GONE.
const ENDED_WHILE_AWAY: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH brief",
    "UPDATE brief TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE brief TASK_RUNNING SOURCE_EXECUTOR",
    "> close the event stream",
    "> SUBSCRIBE with the framework id",
    "SUBSCRIBED the same framework id, heartbeat interval 15s",
    "UPDATE brief TASK_FAILED SOURCE_EXECUTOR \"Command exited with status 3\"",
    "> RECONCILE brief (unacknowledged)",
    "UPDATE brief TASK_FAILED SOURCE_MASTER REASON_RECONCILIATION \"Reconciliation: Latest task state\" (nothing to acknowledge)",
    "> ACKNOWLEDGE brief TASK_FAILED",
    "> RECONCILE brief (acknowledged)",
    "UPDATE brief TASK_GONE SOURCE_MASTER REASON_RECONCILIATION \"Reconciliation: Task is unknown to the agent\" (nothing to acknowledge)",
    "> TEARDOWN",
    "STREAM CLOSED",
];
/// A removed framework gets 200, one ERROR event and the end of the stream.
const REMOVED: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "> close the event stream",
    "OUTCOME /master/state lists the framework as completed: true",
    "> SUBSCRIBE with the framework id",
    "ERROR Framework has been removed",
    "STREAM CLOSED",
];
/// TEARDOWN: the master closes the event stream (no ERROR event first) and
/// the task is killed, without an update to the removed framework.
const TEARDOWN: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH sleeper",
    "UPDATE sleeper TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE sleeper TASK_RUNNING SOURCE_EXECUTOR",
    "OUTCOME process group alive: true",
    "> TEARDOWN",
    "STREAM CLOSED",
    "OUTCOME process group gone: true",
    "OUTCOME /master/state: completed framework, its completed tasks [\"sleeper\" \"TASK_KILLED\"]",
];
const FETCH: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH fetch",
    "UPDATE fetch TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE fetch TASK_RUNNING SOURCE_EXECUTOR",
    "UPDATE fetch TASK_FINISHED SOURCE_EXECUTOR \"Command exited with status 0\"",
    "OUTCOME hello.sh executable: true",
    "OUTCOME data/file.txt: Some(\"from the archive\\n\")",
    "OUTCOME stdout has both lines: true",
    "> TEARDOWN",
    "STREAM CLOSED",
];
const KILL_ESCALATION: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH stubborn",
    "UPDATE stubborn TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE stubborn TASK_RUNNING SOURCE_EXECUTOR",
    "OUTCOME process group alive: true",
    "> KILL stubborn",
    "UPDATE stubborn TASK_KILLED SOURCE_EXECUTOR \"Command terminated with signal Killed\"",
    "OUTCOME process group gone: true",
    "> TEARDOWN",
    "STREAM CLOSED",
];
/// The replaced subscription gets ERROR "Framework failed over" and its
/// stream ends.
const TAKEOVER: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> SUBSCRIBE with the framework id",
    "SUBSCRIBED the same framework id, heartbeat interval 15s",
    "-- the first subscription:",
    "ERROR Framework failed over",
    "STREAM CLOSED",
    "-- the second subscription:",
    "OFFERS x1",
    "> TEARDOWN",
    "STREAM CLOSED",
];
const ENVIRONMENT: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH env",
    "UPDATE env TASK_STARTING SOURCE_EXECUTOR",
    "UPDATE env TASK_RUNNING SOURCE_EXECUTOR",
    "UPDATE env TASK_FINISHED SOURCE_EXECUTOR \"Command exited with status 0\"",
    "OUTCOME working directory is the sandbox: true",
    "OUTCOME MESOS_SANDBOX=<sandbox>",
    "OUTCOME MESOS_DIRECTORY=<sandbox>",
    "OUTCOME MESOS_TASK_ID=env",
    "OUTCOME MESOS_EXECUTOR_ID=env",
    "OUTCOME MESOS_FRAMEWORK_ID=<framework>",
    "OUTCOME MESOS_SLAVE_ID=<agent>",
    "OUTCOME MESOS_AGENT_ENDPOINT=<the target host:port>",
    "OUTCOME MESOS_CHECKPOINT=1",
    "OUTCOME FLINK_MESOS_TEST=value with spaces",
    "OUTCOME LIBPROCESS_IP=unset",
    "OUTCOME LIBPROCESS_PORT=unset",
    "OUTCOME MESOS_HTTP_COMMAND_EXECUTOR=unset",
    "> TEARDOWN",
    "STREAM CLOSED",
];
/// The master's validation answers without launching anything: no uuid,
/// SOURCE_MASTER.
const INVALID: &[&str] = &[
    "> SUBSCRIBE",
    "SUBSCRIBED new framework id, heartbeat interval 15s",
    "OFFERS x1",
    "> LAUNCH greedy (100 cpus)",
    "UPDATE greedy TASK_ERROR SOURCE_MASTER REASON_TASK_INVALID \"Total resources <resources> required by task and its executor is more than available <resources>\" (nothing to acknowledge)",
    "> LAUNCH late",
    "UPDATE late TASK_DROPPED SOURCE_MASTER REASON_INVALID_OFFERS \"Task launched with invalid offers: Offer <offer> is no longer valid\" (nothing to acknowledge)",
    "> TEARDOWN",
    "STREAM CLOSED",
];

/// Runs `scenario` against a fresh `target` and asserts its transcript.
macro_rules! conformance_tests {
    ($target:expr, $label:literal, $($name:ident: $scenario:ident => $expected:ident;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let target = $target.start();
                let transcript = super::$scenario(&*target).await;
                target.stop();
                transcript.assert_eq($label, super::$expected);
            }
        )*
    };
}

/// Every scenario with its expected transcript, once: both targets get a
/// test for each.
macro_rules! every_scenario {
    ($target:expr, $label:literal) => {
        conformance_tests! { $target, $label,
            subscribe: scenario_subscribe => SUBSCRIBE;
            finish: scenario_finish => FINISH;
            fail: scenario_fail => FAIL;
            kill: scenario_kill => KILL;
            decline_revive: scenario_decline_revive => DECLINE_REVIVE;
            suppress_revive: scenario_suppress_revive => SUPPRESS_REVIVE;
            reconcile: scenario_reconcile => RECONCILE;
            resend: scenario_resend => RESEND;
            failover: scenario_failover => FAILOVER;
            ended_while_away: scenario_ended_while_away => ENDED_WHILE_AWAY;
            removed: scenario_removed => REMOVED;
            teardown: scenario_teardown => TEARDOWN;
            fetch: scenario_fetch => FETCH;
            invalid: scenario_invalid => INVALID;
            kill_escalation: scenario_kill_escalation => KILL_ESCALATION;
            takeover: scenario_takeover => TAKEOVER;
            environment: scenario_environment => ENVIRONMENT;
            accept_filter: scenario_accept_filter => ACCEPT_FILTER;
        }
    };
}

/// Genuine Mesos 1.11.
mod genuine {
    use super::*;
    every_scenario!(Genuine, "genuine Mesos");
}

/// The embedded Mesos (`flink-mesos local embedded-mesos`; another build
/// with `FLINK_MESOS_EMBEDDED_BIN`).
mod embedded {
    use super::*;
    every_scenario!(Embedded, "embedded Mesos");
}

/// Every `scenario_*` function is in [`every_scenario`]: none is written
/// and then never run.
#[test]
fn every_scenario_runs_against_both_targets() {
    let source = include_str!("conformance.rs");
    let entry = regex::Regex::new(r"(?m)^\s+\w+: (scenario_\w+) => \w+;$").unwrap();
    let listed: std::collections::BTreeSet<&str> = entry
        .captures_iter(source)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let defined: std::collections::BTreeSet<&str> = regex::Regex::new(r"\nasync fn (scenario_\w+)")
        .unwrap()
        .captures_iter(source)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(listed, defined);
    assert!(
        Embedded::available(Path::new(Embedded::OWN_BINARY)).is_ok(),
        "this build has `flink-mesos local embedded-mesos`"
    );
}
