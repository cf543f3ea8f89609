//! The scheduler core, deterministically: specific behaviours first, then a
//! seeded simulation that feeds thousands of random sequences of offers,
//! rescinds, status updates, disconnects and restarts to the core and checks
//! its invariants after every step.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use flink_mesos::mesos::{
    AgentId, Attribute, Call, FrameworkId, Offer, OfferId, Range, Reservation, ReservationKind,
    Resource, TaskId, TaskInfo, TaskState, TaskStatus, Value,
};
use flink_mesos::scheduler::matching::WorkerResources;
use flink_mesos::scheduler::task::TaskTemplate;
use flink_mesos::scheduler::{
    Effect, Input, Outcome, Pacing, Policy, Scheduler, Timers, Worker, WorkerState, PACED_REFUSE,
};

fn policy(desired: u32, max_failed: Option<u32>) -> Policy {
    Policy {
        desired,
        elastic: None,
        max_failed,
        role: "flink".into(),
        constraints: Vec::new(),
        refuse: Duration::from_secs(5),
        staging_timeout: Duration::from_secs(60),
        backoff_base: Duration::from_secs(1),
        backoff_max: Duration::from_secs(30),
        resources: WorkerResources {
            cpus: 1.0,
            mem_mb: 1024.0,
            gpus: 0.0,
            disk_mb: 0.0,
            network_mb: 0.0,
            network_resource: "network".into(),
            port_keys: vec![
                "taskmanager.rpc.port".into(),
                "taskmanager.data.port".into(),
            ],
        },
        timers: Timers {
            launch_timeout: Duration::from_secs(120),
            revive_interval: Duration::from_secs(30),
            reconcile_retry: Duration::from_secs(10),
            reconcile_retry_max: Duration::from_secs(60),
            reconcile_interval: Duration::from_secs(600),
            kill_retry: Duration::from_secs(20),
            unreachable_timeout: Duration::from_secs(120),
            call_retry: Duration::from_secs(1),
            latest_state_wait: Duration::from_secs(30),
            unsatisfiable_after: Duration::from_secs(20),
            image_retry: Duration::from_secs(300),
        },
        pacing: Pacing::default(),
    }
}

fn offer(id: &str, agent: &str, cpus: f64, mem: f64, ports: (u64, u64)) -> Offer {
    Offer {
        id: OfferId::new(id),
        framework_id: FrameworkId::new("fw"),
        agent_id: AgentId::new(agent),
        hostname: format!("{agent}.example"),
        resources: vec![
            Resource::scalar("cpus", cpus),
            Resource::scalar("mem", mem),
            Resource::ranges(
                "ports",
                vec![Range {
                    begin: ports.0,
                    end: ports.1,
                }],
            ),
        ],
        attributes: Vec::new(),
        allocation_role: Some("flink".into()),
    }
}

fn status(task: &str, state: TaskState, uuid: bool) -> TaskStatus {
    TaskStatus {
        task_id: TaskId::new(task),
        state,
        message: Some(format!("test {state}")),
        source: None,
        reason: None,
        agent_id: Some(AgentId::new("a1")),
        executor_id: None,
        timestamp: None,
        uuid: uuid.then(|| vec![1, 2, 3]),
        healthy: None,
        data: None,
        labels: Vec::new(),
    }
}

fn calls(fx: &[Effect]) -> Vec<&Call> {
    fx.iter()
        .filter_map(|e| {
            if let Effect::Call(c) = e {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

fn launched(fx: &[Effect]) -> Vec<TaskInfo> {
    calls(fx)
        .into_iter()
        .flat_map(|c| {
            if let Call::Launch { tasks, .. } = c {
                tasks.clone()
            } else {
                vec![]
            }
        })
        .collect()
}

fn started(desired: u32, max_failed: Option<u32>) -> Scheduler {
    started_with(policy(desired, max_failed))
}

/// A core with `policy`, recovered from an empty store and subscribed.
fn started_with(policy: Policy) -> Scheduler {
    let mut s = Scheduler::new(policy, TaskTemplate::command("sleep 600"));
    s.step(
        Input::Recovered {
            workers: vec![],
            next_task_number: 1,
            failed_tasks: 0,
            floor: None,
        },
        Duration::ZERO,
    );
    s.step(Input::Subscribed, Duration::ZERO);
    s
}

#[test]
fn several_workers_fit_one_offer_with_their_own_ports() {
    let mut s = started(3, None);
    let fx = s.step(
        Input::Offers(vec![offer("o1", "a1", 2.5, 4096.0, (31000, 31010))]),
        Duration::from_secs(1),
    );
    let tasks = launched(&fx);
    assert_eq!(tasks.len(), 2, "2.5 cpus fit two 1-cpu workers");
    let ids: Vec<&str> = tasks.iter().map(|t| t.task_id.as_str()).collect();
    assert_eq!(ids, ["taskmanager-00001", "taskmanager-00002"]);
    let env: Vec<String> = tasks
        .iter()
        .map(|t| {
            t.command
                .environment
                .iter()
                .find(|(k, _)| k == "FLINK_PROPERTIES")
                .unwrap()
                .1
                .clone()
        })
        .collect();
    assert_eq!(
        env[0],
        "taskmanager.rpc.port: 31000\ntaskmanager.data.port: 31001\n"
    );
    assert_eq!(
        env[1],
        "taskmanager.rpc.port: 31002\ntaskmanager.data.port: 31003\n"
    );
    // The store learns of each launch before the ACCEPT.
    let store_pos = fx
        .iter()
        .position(|e| matches!(e, Effect::Store(w) if w.state == WorkerState::Launched))
        .unwrap();
    let accept_pos = fx
        .iter()
        .position(|e| matches!(e, Effect::Call(Call::Launch { .. })))
        .unwrap();
    assert!(store_pos < accept_pos);
    // One worker is still pending: offers stay on.
    assert!(!calls(&fx)
        .iter()
        .any(|c| matches!(c, Call::Suppress { .. })));
    let fx = s.step(
        Input::Offers(vec![offer("o2", "a2", 1.0, 1024.0, (31000, 31001))]),
        Duration::from_secs(2),
    );
    assert_eq!(launched(&fx).len(), 1);
    assert!(
        calls(&fx)
            .iter()
            .any(|c| matches!(c, Call::Suppress { .. })),
        "nothing pending: suppress"
    );
    let fx = s.step(
        Input::Offers(vec![offer("o3", "a3", 8.0, 8192.0, (1, 100))]),
        Duration::from_secs(3),
    );
    assert!(matches!(calls(&fx)[..], [Call::Decline { refuse_seconds: Some(r), .. }] if *r == 5.0));
}

#[test]
fn reserved_resources_for_the_role_are_used_first_and_kept_reserved() {
    let mut s = started(1, None);
    let mut o = offer("o1", "a1", 1.0, 512.0, (31000, 31005));
    let mut reserved = Resource::scalar("mem", 600.0);
    reserved.reservations = vec![Reservation {
        kind: ReservationKind::Static,
        role: Some("flink".into()),
        principal: None,
        labels: vec![],
    }];
    let mut other = Resource::scalar("cpus", 8.0);
    other.reservations = vec![Reservation {
        kind: ReservationKind::Static,
        role: Some("spark".into()),
        principal: None,
        labels: vec![],
    }];
    o.resources.push(reserved);
    o.resources.push(other);
    let fx = s.step(Input::Offers(vec![o]), Duration::from_secs(1));
    let tasks = launched(&fx);
    assert_eq!(tasks.len(), 1);
    let mem: Vec<(f64, bool)> = tasks[0]
        .resources
        .iter()
        .filter(|r| r.name == "mem")
        .map(|r| (r.as_scalar().unwrap(), r.reservations.is_empty()))
        .collect();
    assert_eq!(
        mem,
        vec![(600.0, false), (424.0, true)],
        "reserved 600 first, then 424 unreserved"
    );
    assert!(
        tasks[0]
            .resources
            .iter()
            .all(|r| r.reserved_role() != Some("spark")),
        "never another role's resources"
    );
}

#[test]
fn constraints_leave_workers_pending_and_say_why() {
    let mut p = policy(1, None);
    p.constraints = vec![("rack".into(), "r1".into())];
    let mut s = Scheduler::new(p, TaskTemplate::command("sleep 600"));
    s.step(Input::Subscribed, Duration::ZERO);
    let mut o = offer("o1", "a1", 4.0, 4096.0, (31000, 31005));
    o.attributes = vec![Attribute {
        name: "rack".into(),
        value: Value::Text("r2".into()),
    }];
    let fx = s.step(Input::Offers(vec![o.clone()]), Duration::from_secs(1));
    assert!(launched(&fx).is_empty());
    assert_eq!(
        s.unmatched().get("a1.example").map(String::as_str),
        Some("attribute `rack` is `r2` (constraint rack:r1)")
    );
    o.id = OfferId::new("o2");
    o.attributes = vec![Attribute {
        name: "rack".into(),
        value: Value::Text("r1".into()),
    }];
    assert_eq!(
        launched(&s.step(Input::Offers(vec![o]), Duration::from_secs(2))).len(),
        1
    );
    assert!(s.unmatched().is_empty());
}

#[test]
fn small_offers_say_what_is_missing() {
    let mut s = started(1, None);
    s.step(
        Input::Offers(vec![offer("o1", "a1", 0.5, 4096.0, (31000, 31005))]),
        Duration::from_secs(1),
    );
    assert_eq!(
        s.unmatched()["a1.example"],
        "not enough cpus: need 1, offered 0.5"
    );
    s.step(
        Input::Offers(vec![offer("o2", "a1", 4.0, 4096.0, (31000, 31000))]),
        Duration::from_secs(1),
    );
    assert_eq!(
        s.unmatched()["a1.example"],
        "not enough ports: need 2, offered 1"
    );
}

/// Ticks once a second from `from` to `to` (inclusive), collecting the
/// effects.
fn tick_through(s: &mut Scheduler, from: u64, to: u64) {
    for t in from..=to {
        s.step(Input::Tick, Duration::from_secs(t));
    }
}

#[test]
fn offers_too_small_for_a_while_are_unsatisfiable_demand_naming_the_resource_and_the_largest_offer()
{
    let mut s = started(2, None);
    // Two agents, both too small in memory (one of them the larger).
    for t in 1..=25u64 {
        let fx = s.step(
            Input::Offers(vec![
                offer(&format!("a{t}"), "a1", 4.0, 512.0, (31000, 31005)),
                offer(&format!("b{t}"), "a2", 4.0, 900.0, (31000, 31005)),
            ]),
            Duration::from_secs(t),
        );
        assert!(launched(&fx).is_empty());
        s.step(Input::Tick, Duration::from_secs(t));
        if t < 20 {
            assert!(s.unsatisfiable().is_none(), "too early at {t} s");
        }
    }
    let u = s.unsatisfiable().expect("unsatisfiable after 20 s");
    assert_eq!(u.pending, 2);
    assert_eq!(u.hosts_seen, 2);
    assert!(
        u.reason.contains("a worker needs 1024 MB of mem but the largest offer had 900 MB of mem (from a2.example)"),
        "{}",
        u.reason
    );
    assert!(
        u.reason.contains("mesos.resourcemanager.tasks.mem"),
        "{}",
        u.reason
    );
    assert!(!u.reason.contains("cpus"), "{}", u.reason);
    // A fitting offer ends it (one worker placed: the wait starts again).
    let fx = s.step(
        Input::Offers(vec![offer("big", "a3", 4.0, 2048.0, (31000, 31005))]),
        Duration::from_secs(26),
    );
    assert_eq!(launched(&fx).len(), 2);
    assert!(s.unsatisfiable().is_none());
}

#[test]
fn a_constraint_no_agent_meets_names_the_values_seen() {
    let mut p = policy(1, None);
    p.constraints = vec![("rack".into(), "r9".into())];
    let mut s = Scheduler::new(p, TaskTemplate::command("sleep 600"));
    s.step(Input::Subscribed, Duration::ZERO);
    let mut o1 = offer("o1", "a1", 4.0, 4096.0, (31000, 31005));
    o1.attributes = vec![Attribute {
        name: "rack".into(),
        value: Value::Text("r1".into()),
    }];
    let o2 = offer("o2", "a2", 4.0, 4096.0, (31000, 31005));
    s.step(Input::Offers(vec![o1, o2]), Duration::from_secs(1));
    tick_through(&mut s, 2, 21);
    let u = s.unsatisfiable().expect("unsatisfiable");
    assert!(
        u.reason.contains(
            "no agent meets the constraint rack:r9 (mesos.constraints.hard.hostattribute)"
        ),
        "{}",
        u.reason
    );
    assert!(u.reason.contains("`r1` on a1.example"), "{}", u.reason);
    assert!(u.reason.contains("absent on a2.example"), "{}", u.reason);
}

#[test]
fn no_offer_at_all_names_the_role_and_a_disconnection_does_not_count() {
    let mut s = started(1, None);
    tick_through(&mut s, 1, 19);
    assert!(s.unsatisfiable().is_none());
    s.step(Input::Disconnected, Duration::from_secs(20));
    s.step(Input::Tick, Duration::from_secs(21));
    assert!(s.unsatisfiable().is_none(), "not while disconnected");
    s.step(Input::Subscribed, Duration::from_secs(30));
    tick_through(&mut s, 31, 49);
    assert!(
        s.unsatisfiable().is_none(),
        "the wait restarts at the subscription"
    );
    tick_through(&mut s, 50, 50);
    let u = s
        .unsatisfiable()
        .expect("unsatisfiable 20 s after subscribing");
    assert!(
        u.reason.contains(
            "no offer arrived in 20 s for role `flink` (mesos.resourcemanager.framework.role)"
        ),
        "{}",
        u.reason
    );
}

#[test]
fn offers_that_fit_each_resource_but_not_all_at_once_say_so() {
    let mut s = started(1, None);
    for t in 1..=21u64 {
        s.step(
            Input::Offers(vec![
                offer(&format!("a{t}"), "a1", 0.5, 4096.0, (31000, 31005)),
                offer(&format!("b{t}"), "a2", 4.0, 256.0, (31000, 31005)),
            ]),
            Duration::from_secs(t),
        );
    }
    let u = s.unsatisfiable().expect("unsatisfiable");
    assert!(
        u.reason
            .contains("no single offer has everything a worker needs"),
        "{}",
        u.reason
    );
}

#[test]
fn demand_met_by_scaling_down_is_no_longer_unsatisfiable() {
    let mut s = started(1, None);
    tick_through(&mut s, 1, 25);
    assert!(s.unsatisfiable().is_some());
    s.step(Input::SetFloor(0), Duration::from_secs(26));
    assert!(s.unsatisfiable().is_none());
}

#[test]
fn failures_are_replaced_with_backoff_and_counted_until_the_limit() {
    let mut s = started(1, Some(1));
    let fx = s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        Duration::from_secs(1),
    );
    assert_eq!(launched(&fx)[0].task_id.as_str(), "taskmanager-00001");
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Running, true)),
        Duration::from_secs(2),
    );
    let fx = s.step(
        Input::Update(status("taskmanager-00001", TaskState::Failed, true)),
        Duration::from_secs(3),
    );
    assert_eq!(s.failed(), 1);
    assert!(fx.contains(&Effect::Remove("taskmanager-00001".into())));
    assert!(
        calls(&fx)
            .iter()
            .any(|c| matches!(c, Call::Acknowledge { .. })),
        "every update with a uuid is acknowledged"
    );
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Store(w) if w.state == WorkerState::New)),
        "backing off: no replacement yet"
    );
    let fx = s.step(Input::Tick, Duration::from_millis(4500));
    let new: Vec<&Worker> = fx
        .iter()
        .filter_map(|e| {
            if let Effect::Store(w) = e {
                Some(w)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(
        new[0].task_id, "taskmanager-00002",
        "a task id is never reused"
    );
    assert!(
        calls(&fx).iter().any(|c| matches!(c, Call::Revive { .. })),
        "pending again: revive"
    );
    s.step(
        Input::Offers(vec![offer("o2", "a1", 1.0, 1024.0, (31000, 31005))]),
        Duration::from_secs(5),
    );
    let fx = s.step(
        Input::Update(status("taskmanager-00002", TaskState::Failed, false)),
        Duration::from_secs(6),
    );
    assert_eq!(s.failed(), 2);
    let exit = fx.iter().find_map(|e| {
        if let Effect::Exit(o) = e {
            Some(o.clone())
        } else {
            None
        }
    });
    assert_eq!(
        exit,
        Some(Outcome::TooManyFailures {
            failed: 2,
            limit: 1,
            last: "worker taskmanager-00002 TASK_FAILED: test TASK_FAILED".into()
        })
    );
    assert!(calls(&fx).contains(&&Call::Teardown));
}

#[test]
fn a_failure_is_stored_with_the_end_of_its_worker_before_the_acknowledgement() {
    let mut s = started(1, Some(5));
    s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        Duration::from_secs(1),
    );
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Running, true)),
        Duration::from_secs(2),
    );
    let fx = s.step(
        Input::Update(status("taskmanager-00001", TaskState::Failed, true)),
        Duration::from_secs(3),
    );
    let remove = fx
        .iter()
        .position(|e| *e == Effect::Remove("taskmanager-00001".into()));
    let stored = fx.iter().position(|e| *e == Effect::StoreFailedTasks(1));
    let ack = fx
        .iter()
        .position(|e| matches!(e, Effect::Call(Call::Acknowledge { .. })));
    assert!(
        remove.is_some() && stored.is_some() && ack.is_some(),
        "{fx:?}"
    );
    // Store effects next to each other are one atomic batch, written
    // before the call that follows them.
    assert!(remove < stored && stored < ack, "{fx:?}");
    assert!(
        fx[remove.unwrap()..stored.unwrap()]
            .iter()
            .all(|e| !matches!(e, Effect::Call(_))),
        "{fx:?}"
    );
}

#[test]
fn recovered_failures_keep_counting_and_over_the_limit_give_the_cluster_up() {
    let recovered = |failed_tasks| {
        let mut s = Scheduler::new(policy(1, Some(2)), TaskTemplate::command("sleep 600"));
        s.step(
            Input::Recovered {
                workers: vec![],
                next_task_number: 7,
                failed_tasks,
                floor: None,
            },
            Duration::ZERO,
        );
        s
    };
    let mut s = recovered(2);
    assert_eq!(s.failed(), 2, "a restart does not forgive failures");
    s.step(Input::Subscribed, Duration::ZERO);
    s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        Duration::from_secs(1),
    );
    let fx = s.step(
        Input::Update(status("taskmanager-00007", TaskState::Failed, true)),
        Duration::from_secs(2),
    );
    assert!(fx.contains(&Effect::StoreFailedTasks(3)), "{fx:?}");
    assert!(
        matches!(
            exit_of(&fx),
            Some(Outcome::TooManyFailures {
                failed: 3,
                limit: 2,
                ..
            })
        ),
        "{fx:?}"
    );
    // The appmaster that stored the third failure died before it could
    // give up: the next one gives up at once.
    let mut s = recovered(3);
    let fx = s.step(Input::Subscribed, Duration::ZERO);
    assert!(
        matches!(
            exit_of(&fx),
            Some(Outcome::TooManyFailures {
                failed: 3,
                limit: 2,
                ..
            })
        ),
        "{fx:?}"
    );
    assert!(launched(&fx).is_empty(), "{fx:?}");
}

#[test]
fn unknown_tasks_are_killed_and_stuck_launches_reconciled() {
    let mut s = started(1, None);
    // A worker of ours the store does not know (launched before a crash).
    let fx = s.step(
        Input::Update(status("taskmanager-00099", TaskState::Running, true)),
        Duration::from_secs(1),
    );
    assert!(
        matches!(calls(&fx)[..], [Call::Kill { task_id, .. }, Call::Acknowledge { .. }] if task_id.as_str() == "taskmanager-00099")
    );
    // A task flink-mesos never launches (a framework id that is not this
    // cluster's): acknowledged, never killed.
    let fx = s.step(
        Input::Update(status("someone-else", TaskState::Running, true)),
        Duration::from_secs(1),
    );
    assert!(
        matches!(calls(&fx)[..], [Call::Acknowledge { .. }]),
        "{fx:?}"
    );
    s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        Duration::from_secs(1),
    );
    assert!(calls(&s.step(Input::Tick, Duration::from_secs(30))).is_empty());
    let fx = s.step(Input::Tick, Duration::from_secs(61));
    assert!(
        matches!(calls(&fx)[..], [Call::Reconcile { tasks }] if tasks.len() == 1 && tasks[0].task_id.as_str() == "taskmanager-00001")
    );
}

#[test]
fn recovery_drops_new_reconciles_launched_and_kills_released() {
    let stored = vec![
        Worker {
            task_id: "taskmanager-00001".into(),
            state: WorkerState::Running,
            agent_id: Some("a1".into()),
            hostname: None,
            ports: vec![],
        },
        Worker {
            task_id: "taskmanager-00002".into(),
            state: WorkerState::New,
            agent_id: None,
            hostname: None,
            ports: vec![],
        },
        Worker {
            task_id: "taskmanager-00007".into(),
            state: WorkerState::Released,
            agent_id: Some("a2".into()),
            hostname: None,
            ports: vec![],
        },
    ];
    let mut s = Scheduler::new(policy(2, None), TaskTemplate::command("sleep 600"));
    let fx = s.step(
        Input::Recovered {
            workers: stored,
            next_task_number: 3,
            failed_tasks: 0,
            floor: None,
        },
        Duration::ZERO,
    );
    assert!(fx.contains(&Effect::Remove("taskmanager-00002".into())));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Store(w) if w.task_id == "taskmanager-00008")),
        "numbering continues after the highest stored id"
    );
    let fx = s.step(Input::Subscribed, Duration::ZERO);
    let c = calls(&fx);
    assert!(
        matches!(c[0], Call::Reconcile { tasks } if tasks.len() == 1 && tasks[0].task_id.as_str() == "taskmanager-00001")
    );
    assert!(
        matches!(c[1], Call::Reconcile { tasks } if tasks.is_empty()),
        "implicit reconciliation finds orphans"
    );
    assert!(c.iter().any(
        |c| matches!(c, Call::Kill { task_id, .. } if task_id.as_str() == "taskmanager-00007")
    ));
}

#[test]
fn shutdown_tears_down_or_keeps_the_framework() {
    let mut s = started(1, None);
    let fx = s.step(Input::Shutdown { teardown: true }, Duration::from_secs(1));
    assert!(calls(&fx).contains(&&Call::Teardown));
    assert_eq!(fx.last(), Some(&Effect::Exit(Outcome::Stopped)));
    let mut s = started(1, None);
    let fx = s.step(Input::Shutdown { teardown: false }, Duration::from_secs(1));
    assert_eq!(fx, vec![Effect::Exit(Outcome::Stopped)]);
    let fx = s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        Duration::from_secs(2),
    );
    assert!(
        launched(&fx).is_empty(),
        "nothing is launched after shutdown"
    );
}

#[test]
fn secrets_never_reach_the_task() {
    let mut template = TaskTemplate::command("flink-mesos taskmanager");
    template.properties = vec![
        ("jobmanager.rpc.address".into(), "jm.example".into()),
        (
            "mesos.resourcemanager.framework.secret".into(),
            "TopSecret".into(),
        ),
        ("security.ssl.keystore-password".into(), "TopSecret".into()),
    ];
    template.bootstrap = Some("./prepare.sh".into());
    template.hostname_pattern = Some("_TASK_.flink.mesos".into());
    let mut s = Scheduler::new(policy(1, None), template);
    s.step(Input::Subscribed, Duration::ZERO);
    let tasks = launched(&s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        Duration::ZERO,
    ));
    let t = &tasks[0];
    let rendered = format!("{t:?}");
    assert!(!rendered.contains("TopSecret"), "{rendered}");
    assert_eq!(
        t.command.value,
        "./prepare.sh && exec flink-mesos taskmanager"
    );
    let props = &t
        .command
        .environment
        .iter()
        .find(|(k, _)| k == "FLINK_PROPERTIES")
        .unwrap()
        .1;
    assert!(props.contains("jobmanager.rpc.address: jm.example\n"));
    assert!(props.contains("taskmanager.host: taskmanager-00001.flink.mesos\n"));
}

#[test]
fn the_setup_runs_before_the_bootstrap_and_its_failure_stops_the_task() {
    let run = |setup: &str, bootstrap: Option<&str>| {
        let mut template = TaskTemplate::command("echo command");
        template.setup = Some(setup.into());
        template.bootstrap = bootstrap.map(str::to_string);
        let mut s = Scheduler::new(policy(1, None), template);
        s.step(Input::Subscribed, Duration::ZERO);
        let tasks = launched(&s.step(
            Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
            Duration::ZERO,
        ));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&tasks[0].command.value)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(
        run("echo setup", Some("echo boot; echo strap")),
        (Some(0), "setup\nboot\nstrap\ncommand\n".into())
    );
    assert_eq!(
        run("echo setup", None),
        (Some(0), "setup\ncommand\n".into())
    );
    // A compound bootstrap does not run its tail after a failed setup.
    assert_eq!(
        run("false", Some("echo boot; echo strap")),
        (Some(1), String::new())
    );
}

// --- The core's promises under real Mesos behaviour (issue 10) --------------

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn names(fx: &[Effect]) -> Vec<&'static str> {
    calls(fx).iter().map(|c| c.name()).collect()
}

fn stored(fx: &[Effect], state: WorkerState) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Store(w) if w.state == state => Some(w.task_id.clone()),
            _ => None,
        })
        .collect()
}

fn reasoned_status(task: &str, state: TaskState, reason: &str) -> TaskStatus {
    let mut s = status(task, state, false);
    s.reason = Some(reason.into());
    s
}

fn exit_of(fx: &[Effect]) -> Option<Outcome> {
    fx.iter().find_map(|e| match e {
        Effect::Exit(o) => Some(o.clone()),
        _ => None,
    })
}

/// One worker launched at t=1 and (optionally) running at t=2.
fn one_launched(max_failed: Option<u32>, running: bool) -> Scheduler {
    let mut s = started(1, max_failed);
    let fx = s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        secs(1),
    );
    assert_eq!(launched(&fx).len(), 1);
    if running {
        s.step(
            Input::Update(status("taskmanager-00001", TaskState::Running, true)),
            secs(2),
        );
    }
    s
}

/// A worker whose container image cannot be used (issue 27) holds every
/// launch for `image_retry` instead of a replacement every few seconds that
/// fails the same way; one retry follows, and a running worker ends the
/// hold. Other launch failures keep the short backoff.
#[test]
fn an_image_that_cannot_be_used_holds_launches_instead_of_a_retry_loop() {
    let image_status = |task: &str| {
        let mut st = reasoned_status(task, TaskState::Failed, "REASON_CONTAINER_LAUNCH_FAILED");
        st.message = Some(
            "Failed to launch container: Failed to find archive for image 'no-such:7' at '/srv/registry/no-such:7.tar'"
                .into(),
        );
        st
    };
    let mut template = TaskTemplate::command("sleep 600");
    template.container = flink_mesos::config::values::Container::Mesos {
        image: Some("no-such:7".into()),
    };
    let mut s = Scheduler::new(policy(1, None), template.clone());
    s.step(
        Input::Recovered {
            workers: vec![],
            next_task_number: 1,
            failed_tasks: 0,
            floor: None,
        },
        secs(0),
    );
    s.step(Input::Subscribed, secs(0));
    let o = || Input::Offers(vec![offer("o", "a1", 1.0, 1024.0, (31000, 31005))]);
    assert_eq!(launched(&s.step(o(), secs(1))).len(), 1);
    let fx = s.step(Input::Update(image_status("taskmanager-00001")), secs(2));
    assert_eq!(s.failed(), 1, "it counts as a failure");
    let hold = s.launch_hold().expect("launches are held").clone();
    assert_eq!(hold.image, "no-such:7");
    assert!(
        hold.reason
            .contains("Failed to find archive for image 'no-such:7'"),
        "{hold:?}"
    );
    assert!(
        !names(&fx).contains(&"REVIVE"),
        "no offers wanted while held: {:?}",
        names(&fx)
    );
    // Nothing is launched while held, whatever comes.
    for t in (3..300).step_by(7) {
        let fx = s.step(Input::Tick, secs(t));
        assert!(
            !names(&fx).contains(&"REVIVE"),
            "at {t} s: {:?}",
            names(&fx)
        );
        assert!(
            launched(&s.step(o(), secs(t))).is_empty(),
            "launched at {t} s"
        );
    }
    // One retry after image_retry (300 s): it fails the same way and holds again.
    let fx = s.step(Input::Tick, secs(303));
    assert!(names(&fx).contains(&"REVIVE"), "{:?}", names(&fx));
    assert_eq!(launched(&s.step(o(), secs(303))).len(), 1);
    s.step(Input::Update(image_status("taskmanager-00002")), secs(304));
    let again = s.launch_hold().expect("held again").clone();
    assert_eq!(again.since, hold.since, "the same hold goes on");
    assert!(again.until > secs(600));
    assert!(launched(&s.step(o(), secs(310))).is_empty());
    // The image was fixed meanwhile: the next retry runs, the hold ends.
    s.step(Input::Tick, secs(605));
    let fx = s.step(o(), secs(605));
    assert_eq!(launched(&fx).len(), 1);
    s.step(
        Input::Update(status("taskmanager-00003", TaskState::Running, false)),
        secs(606),
    );
    assert!(s.launch_hold().is_none());

    // A launch failure that is not about the image: the short backoff.
    let mut s = Scheduler::new(policy(1, None), template);
    s.step(
        Input::Recovered {
            workers: vec![],
            next_task_number: 1,
            failed_tasks: 0,
            floor: None,
        },
        secs(0),
    );
    s.step(Input::Subscribed, secs(0));
    s.step(o(), secs(1));
    let mut fetch = reasoned_status(
        "taskmanager-00001",
        TaskState::Failed,
        "REASON_CONTAINER_LAUNCH_FAILED",
    );
    fetch.message =
        Some("Failed to launch container: Failed to fetch all URIs for container".into());
    s.step(Input::Update(fetch), secs(2));
    assert!(s.launch_hold().is_none());
    s.step(Input::Tick, secs(5));
    assert_eq!(
        launched(&s.step(o(), secs(5))).len(),
        1,
        "replaced after the backoff"
    );
}

#[test]
fn a_failed_revive_is_sent_again_and_revive_repeats_while_no_offer_comes() {
    let mut s = Scheduler::new(policy(1, None), TaskTemplate::command("sleep 600"));
    let fx = s.step(Input::Subscribed, secs(0));
    assert!(names(&fx).contains(&"REVIVE"), "{:?}", names(&fx));
    // The REVIVE failed (5xx, timeout): not at once (no spinning), but on
    // the next tick after the retry delay.
    let fx = s.step(
        Input::CallFailed(Call::Revive { roles: vec![] }),
        Duration::from_millis(100),
    );
    assert!(!names(&fx).contains(&"REVIVE"));
    let fx = s.step(Input::Tick, Duration::from_millis(1200));
    assert_eq!(names(&fx), ["REVIVE"]);
    // Then REVIVE again every revive interval while no offer arrives.
    assert!(names(&s.step(Input::Tick, secs(20))).is_empty());
    assert_eq!(names(&s.step(Input::Tick, secs(32))), ["REVIVE"]);
    // An offer that does not fit is declined; offers do come, so no REVIVE
    // before another interval without offers has passed.
    s.step(
        Input::Offers(vec![offer("o1", "a1", 0.5, 1024.0, (31000, 31005))]),
        secs(40),
    );
    assert!(!names(&s.step(Input::Tick, secs(60))).contains(&"REVIVE"));
    assert_eq!(names(&s.step(Input::Tick, secs(71))), ["REVIVE"]);
    assert!(s.counters().revives >= 4);
}

#[test]
fn a_failed_suppress_is_sent_again() {
    let mut s = Scheduler::new(policy(0, None), TaskTemplate::command("sleep 600"));
    assert_eq!(
        names(&s.step(Input::Subscribed, secs(0))),
        ["RECONCILE", "SUPPRESS"]
    );
    s.step(Input::CallFailed(Call::Suppress { roles: vec![] }), secs(0));
    assert_eq!(names(&s.step(Input::Tick, secs(2))), ["SUPPRESS"]);
    assert!(names(&s.step(Input::Tick, secs(3))).is_empty());
}

#[test]
fn a_launch_that_hangs_is_killed_and_replaced() {
    let mut s = one_launched(Some(5), false);
    // The agent reports the task (so it is the worker's failure), and then
    // nothing more: a fetch or image pull that never ends.
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Staging, true)),
        secs(3),
    );
    assert!(stored(&s.step(Input::Tick, secs(100)), WorkerState::Released).is_empty());
    let fx = s.step(Input::Tick, secs(121));
    assert_eq!(stored(&fx, WorkerState::Released), ["taskmanager-00001"]);
    let released = fx
        .iter()
        .position(|e| matches!(e, Effect::Store(w) if w.state == WorkerState::Released))
        .unwrap();
    let kill = fx
        .iter()
        .position(|e| matches!(e, Effect::Call(Call::Kill { task_id, .. }) if task_id.as_str() == "taskmanager-00001"))
        .expect("KILL");
    assert!(released < kill, "Released is stored before the KILL");
    assert_eq!(s.failed(), 1);
    assert_eq!(s.counters().launch_timeouts, 1);
    // The replacement comes after the backoff and gets offers.
    let fx = s.step(Input::Tick, secs(123));
    assert_eq!(stored(&fx, WorkerState::New), ["taskmanager-00002"]);
    assert!(names(&fx).contains(&"REVIVE"));
    // The KILL lands: the released worker goes, and that is no failure.
    let fx = s.step(
        Input::Update(status("taskmanager-00001", TaskState::Killed, true)),
        secs(124),
    );
    assert!(fx.contains(&Effect::Remove("taskmanager-00001".into())));
    assert_eq!(s.failed(), 1);
}

#[test]
fn a_launch_the_master_never_reported_times_out_uncounted() {
    let mut s = one_launched(Some(0), false);
    let fx = s.step(Input::Tick, secs(121));
    assert_eq!(stored(&fx, WorkerState::Released), ["taskmanager-00001"]);
    assert_eq!(s.failed(), 0, "maybe an ACCEPT the master never got");
    assert_eq!(exit_of(&fx), None);
    assert_eq!(stored(&fx, WorkerState::New), ["taskmanager-00002"]);
}

#[test]
fn reconciliation_is_repeated_until_answered_and_then_periodically() {
    let mut s = Scheduler::new(policy(1, None), TaskTemplate::command("sleep 600"));
    s.step(
        Input::Recovered {
            workers: vec![Worker {
                task_id: "taskmanager-00001".into(),
                state: WorkerState::Running,
                agent_id: Some("a1".into()),
                hostname: None,
                ports: vec![],
            }],
            next_task_number: 2,
            failed_tasks: 0,
            floor: None,
        },
        secs(0),
    );
    let explicit = |fx: &[Effect]| {
        calls(fx)
            .iter()
            .filter(|c| matches!(c, Call::Reconcile { tasks } if !tasks.is_empty()))
            .count()
    };
    let implicit = |fx: &[Effect]| {
        calls(fx)
            .iter()
            .filter(|c| matches!(c, Call::Reconcile { tasks } if tasks.is_empty()))
            .count()
    };
    let fx = s.step(Input::Subscribed, secs(0));
    assert_eq!((explicit(&fx), implicit(&fx)), (1, 1));
    // No answer: asked again after 10 s, then 20 s later (backoff).
    assert_eq!(explicit(&s.step(Input::Tick, secs(5))), 0);
    assert_eq!(explicit(&s.step(Input::Tick, secs(10))), 1);
    assert_eq!(explicit(&s.step(Input::Tick, secs(20))), 0);
    assert_eq!(explicit(&s.step(Input::Tick, secs(30))), 1);
    assert_eq!(
        s.awaiting_reconciliation().collect::<Vec<_>>(),
        ["taskmanager-00001"]
    );
    // The implicit reconciliation failed: sent again on the next tick.
    s.step(
        Input::CallFailed(Call::Reconcile { tasks: vec![] }),
        secs(31),
    );
    assert_eq!(implicit(&s.step(Input::Tick, secs(32))), 1);
    // Answered (a reconciliation answer has no uuid): no more asking.
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Running, false)),
        secs(33),
    );
    assert_eq!(s.awaiting_reconciliation().count(), 0);
    for t in [70, 200, 500] {
        assert_eq!(explicit(&s.step(Input::Tick, secs(t))), 0);
    }
    // Every reconcile interval, everything is reconciled again.
    let fx = s.step(Input::Tick, secs(601));
    assert_eq!((explicit(&fx), implicit(&fx)), (1, 1));
}

#[test]
fn a_terminal_state_answering_reconciliation_waits_for_the_tasks_own_update() {
    // Found by the crash suite: a TaskManager died while no appmaster ran;
    // the next one's reconciliation is answered first with the latest state
    // (TASK_FAILED, REASON_RECONCILIATION: that, not why), then Mesos
    // delivers the task's own unacknowledged update.
    let latest = reasoned_status(
        "taskmanager-00001",
        TaskState::Failed,
        "REASON_RECONCILIATION",
    );
    let mut s = one_launched(Some(5), true);
    let fx = s.step(Input::Update(latest.clone()), secs(10));
    assert!(
        !fx.contains(&Effect::Remove("taskmanager-00001".into())),
        "{fx:?}"
    );
    assert_eq!(s.failed(), 0);
    // Shown as such (/status `reported_ended_workers`).
    let reported: Vec<(&str, &str)> = s.reported_ended().collect();
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].0, "taskmanager-00001");
    assert!(
        reported[0].1.contains("REASON_RECONCILIATION"),
        "{reported:?}"
    );
    // Asked again meanwhile: the same answer changes nothing.
    let fx = s.step(Input::Update(latest.clone()), secs(12));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Remove(_))), "{fx:?}");
    // The task's own update: a TaskManager that died counts, once.
    let own = status("taskmanager-00001", TaskState::Failed, true);
    let fx = s.step(Input::Update(own), secs(13));
    assert!(
        fx.contains(&Effect::Remove("taskmanager-00001".into())),
        "{fx:?}"
    );
    assert!(fx.contains(&Effect::StoreFailedTasks(1)), "{fx:?}");
    assert_eq!(s.failed(), 1);
    assert_eq!(s.reported_ended().count(), 0);

    // When the own update never comes: replaced uncounted after
    // `latest_state_wait` (30 s here), not before.
    let mut s = one_launched(Some(5), true);
    s.step(Input::Update(latest.clone()), secs(10));
    let fx = s.step(Input::Tick, secs(39));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Remove(_))), "{fx:?}");
    let fx = s.step(Input::Tick, secs(40));
    assert!(
        fx.contains(&Effect::Remove("taskmanager-00001".into())),
        "{fx:?}"
    );
    assert_eq!(s.failed(), 0);
    assert_eq!(stored(&fx, WorkerState::New), ["taskmanager-00002"]);

    // A released worker's end is final whatever the update says (released:
    // not running within the launch timeout, 120 s here).
    let mut s = one_launched(Some(5), false);
    s.step(Input::Tick, secs(122));
    let fx = s.step(Input::Update(latest), secs(123));
    assert!(
        fx.contains(&Effect::Remove("taskmanager-00001".into())),
        "{fx:?}"
    );
    assert_eq!(s.failed(), 0);
}

#[test]
fn failures_the_framework_caused_do_not_count() {
    // With a limit of 0, one counted failure would tear the cluster down.
    let ends = [
        // An ACCEPT lost in a disconnect, answered by reconciliation.
        reasoned_status(
            "taskmanager-00001",
            TaskState::Lost,
            "REASON_RECONCILIATION",
        ),
        // The offer was rescinded while the ACCEPT was in flight.
        reasoned_status(
            "taskmanager-00002",
            TaskState::Lost,
            "REASON_INVALID_OFFERS",
        ),
        reasoned_status(
            "taskmanager-00003",
            TaskState::Dropped,
            "REASON_INVALID_OFFERS",
        ),
        // A partition-aware master that does not know the task.
        status("taskmanager-00004", TaskState::Unknown, false),
    ];
    let mut s = started(1, Some(0));
    for (t, end) in (1..).zip(ends) {
        let fx = s.step(
            Input::Offers(vec![offer(
                &format!("o{t}"),
                "a1",
                1.0,
                1024.0,
                (31000, 31005),
            )]),
            secs(t),
        );
        assert_eq!(launched(&fx)[0].task_id, end.task_id);
        let fx = s.step(Input::Update(end), secs(t));
        assert_eq!(exit_of(&fx), None, "{fx:?}");
        assert_eq!(s.failed(), 0);
        // Replaced at once: no backoff for what was not the worker's fault.
        assert_eq!(stored(&fx, WorkerState::New).len(), 1, "{fx:?}");
    }
    assert_eq!(s.counters().workers_replaced_uncounted, 4);
    // The TaskManager failing on its own does count.
    s.step(
        Input::Offers(vec![offer("o9", "a1", 1.0, 1024.0, (31000, 31005))]),
        secs(10),
    );
    let fx = s.step(
        Input::Update(status("taskmanager-00005", TaskState::Failed, true)),
        secs(11),
    );
    assert!(matches!(
        exit_of(&fx),
        Some(Outcome::TooManyFailures {
            failed: 1,
            limit: 0,
            ..
        })
    ));
}

#[test]
fn unreachable_is_not_a_failure_until_gone_or_the_timeout() {
    let mut s = started(2, Some(5));
    s.step(
        Input::Offers(vec![offer("o1", "a1", 2.0, 2048.0, (31000, 31005))]),
        secs(1),
    );
    for id in ["taskmanager-00001", "taskmanager-00002"] {
        s.step(Input::Update(status(id, TaskState::Running, true)), secs(2));
    }
    // A partition: the worker is kept and not replaced.
    let fx = s.step(
        Input::Update(status("taskmanager-00001", TaskState::Unreachable, true)),
        secs(10),
    );
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Remove(_) | Effect::Store(_))),
        "{fx:?}"
    );
    assert_eq!(s.failed(), 0);
    assert_eq!(s.unreachable().collect::<Vec<_>>(), ["taskmanager-00001"]);
    // It heals.
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Running, true)),
        secs(50),
    );
    assert_eq!(s.unreachable().count(), 0);
    // Unreachable again, and then the agent is gone for good: a failure.
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Unreachable, true)),
        secs(60),
    );
    let fx = s.step(
        Input::Update(status("taskmanager-00001", TaskState::Gone, true)),
        secs(70),
    );
    assert!(fx.contains(&Effect::Remove("taskmanager-00001".into())));
    assert_eq!(s.failed(), 1);
    // Another partition that never heals: given up after the timeout.
    s.step(
        Input::Update(status("taskmanager-00002", TaskState::Unreachable, true)),
        secs(100),
    );
    assert!(stored(&s.step(Input::Tick, secs(219)), WorkerState::Released).is_empty());
    let fx = s.step(Input::Tick, secs(220));
    assert_eq!(stored(&fx, WorkerState::Released), ["taskmanager-00002"]);
    assert!(calls(&fx).iter().any(
        |c| matches!(c, Call::Kill { task_id, .. } if task_id.as_str() == "taskmanager-00002")
    ));
    assert_eq!(s.failed(), 2);
}

#[test]
fn released_workers_are_killed_until_terminal() {
    let mut s = Scheduler::new(policy(1, None), TaskTemplate::command("sleep 600"));
    let released = Worker {
        task_id: "taskmanager-00003".into(),
        state: WorkerState::Released,
        agent_id: Some("a1".into()),
        hostname: None,
        ports: vec![],
    };
    s.step(
        Input::Recovered {
            workers: vec![released],
            next_task_number: 4,
            failed_tasks: 0,
            floor: None,
        },
        secs(0),
    );
    let kills = |fx: &[Effect]| {
        calls(fx)
            .iter()
            .filter(|c| matches!(c, Call::Kill { task_id, .. } if task_id.as_str() == "taskmanager-00003"))
            .count()
    };
    assert_eq!(kills(&s.step(Input::Subscribed, secs(0))), 1);
    // The KILL got lost: sent again every kill-retry interval.
    assert_eq!(kills(&s.step(Input::Tick, secs(10))), 0);
    assert_eq!(kills(&s.step(Input::Tick, secs(20))), 1);
    assert_eq!(kills(&s.step(Input::Tick, secs(40))), 1);
    // Still RUNNING (reconciliation says so): killed at once.
    assert_eq!(
        kills(&s.step(
            Input::Update(status("taskmanager-00003", TaskState::Running, false)),
            secs(45)
        )),
        1
    );
    s.step(
        Input::Update(status("taskmanager-00003", TaskState::Killed, true)),
        secs(46),
    );
    assert_eq!(kills(&s.step(Input::Tick, secs(100))), 0);
    assert_eq!(s.failed(), 0);
}

#[test]
fn workers_beyond_the_desired_count_after_recovery_are_released() {
    let worker = |n: u32, state| Worker {
        task_id: format!("taskmanager-{n:05}"),
        state,
        agent_id: Some("a1".into()),
        hostname: None,
        ports: vec![],
    };
    let mut s = Scheduler::new(policy(2, None), TaskTemplate::command("sleep 600"));
    let fx = s.step(
        Input::Recovered {
            workers: vec![
                worker(1, WorkerState::Running),
                worker(2, WorkerState::Running),
                worker(3, WorkerState::Launched),
                worker(4, WorkerState::Running),
            ],
            next_task_number: 5,
            failed_tasks: 0,
            floor: None,
        },
        secs(0),
    );
    // The launching one goes first, then the youngest running one.
    assert_eq!(
        stored(&fx, WorkerState::Released),
        ["taskmanager-00003", "taskmanager-00004"]
    );
    let fx = s.step(Input::Subscribed, secs(0));
    let killed: Vec<&str> = calls(&fx)
        .iter()
        .filter_map(|c| match c {
            Call::Kill { task_id, .. } => Some(task_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(killed, ["taskmanager-00003", "taskmanager-00004"]);
    assert_eq!(
        s.workers()
            .filter(|w| w.state == WorkerState::Running)
            .count(),
        2
    );
}

#[test]
fn recovery_persists_a_task_counter_past_the_stored_ids() {
    // The stored counter (3) missed taskmanager-00009, and all wanted workers
    // run, so no new id is handed out that would persist a higher counter.
    let mut s = Scheduler::new(policy(1, None), TaskTemplate::command("sleep 600"));
    let fx = s.step(
        Input::Recovered {
            workers: vec![Worker {
                task_id: "taskmanager-00009".into(),
                state: WorkerState::Running,
                agent_id: Some("a1".into()),
                hostname: None,
                ports: vec![],
            }],
            next_task_number: 3,
            failed_tasks: 0,
            floor: None,
        },
        secs(0),
    );
    assert!(fx.contains(&Effect::StoreNextTaskNumber(10)), "{fx:?}");
    assert_eq!(s.next_task_number(), 10);
}

#[test]
fn a_failed_accept_declines_its_offer_and_reconciles_its_tasks() {
    let mut s = started(1, None);
    let fx = s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        secs(1),
    );
    let accept = calls(&fx)
        .into_iter()
        .find(|c| matches!(c, Call::Launch { .. }))
        .unwrap()
        .clone();
    let fx = s.step(Input::CallFailed(accept), secs(1));
    assert!(
        matches!(calls(&fx)[..], [Call::Reconcile { tasks }] if tasks[0].task_id.as_str() == "taskmanager-00001"),
        "{fx:?}"
    );
    let fx = s.step(Input::Tick, secs(3));
    assert!(
        calls(&fx)
            .iter()
            .any(|c| matches!(c, Call::Decline { offer_ids, .. } if offer_ids[0].as_str() == "o1")),
        "{fx:?}"
    );
    // The master never got it: replaced, uncounted.
    let fx = s.step(
        Input::Update(reasoned_status(
            "taskmanager-00001",
            TaskState::Lost,
            "REASON_RECONCILIATION",
        )),
        secs(4),
    );
    assert_eq!(stored(&fx, WorkerState::New), ["taskmanager-00002"]);
    assert_eq!(s.failed(), 0);
}

#[test]
fn disks_with_disk_info_are_never_used_as_plain_disk() {
    let mut p = policy(1, None);
    p.resources.disk_mb = 100.0;
    let mut s = Scheduler::new(p, TaskTemplate::command("sleep 600"));
    s.step(Input::Subscribed, secs(0));
    let mut o = offer("o1", "a1", 1.0, 1024.0, (31000, 31005));
    let mut volume = Resource::scalar("disk", 5000.0);
    volume.disk_info = true;
    o.resources.push(volume);
    let fx = s.step(Input::Offers(vec![o.clone()]), secs(1));
    assert!(
        launched(&fx).is_empty(),
        "a persistent volume or MOUNT disk is not scratch disk"
    );
    assert_eq!(
        s.unmatched()["a1.example"],
        "not enough disk: need 100, offered 0"
    );
    o.id = OfferId::new("o2");
    o.resources.push(Resource::scalar("disk", 200.0));
    let tasks = launched(&s.step(Input::Offers(vec![o]), secs(2)));
    assert_eq!(tasks.len(), 1);
    assert!(tasks[0].resources.iter().all(|r| !r.disk_info));
}

#[test]
fn resources_reserved_to_a_parent_role_are_used() {
    let mut p = policy(1, None);
    p.role = "eng/flink".into();
    let mut s = Scheduler::new(p, TaskTemplate::command("sleep 600"));
    s.step(Input::Subscribed, secs(0));
    let reserved = |name: &str, amount: f64, role: &str| {
        let mut r = Resource::scalar(name, amount);
        r.reservations = vec![Reservation {
            kind: ReservationKind::Static,
            role: Some(role.into()),
            principal: None,
            labels: vec![],
        }];
        r
    };
    let mut o = offer("o1", "a1", 0.0, 0.0, (31000, 31005));
    o.resources.push(reserved("cpus", 1.0, "eng"));
    o.resources.push(reserved("mem", 1024.0, "eng/flink"));
    // Neither a sibling's nor a role that merely shares a prefix.
    o.resources.push(reserved("cpus", 8.0, "eng/spark"));
    o.resources.push(reserved("cpus", 8.0, "en"));
    let tasks = launched(&s.step(Input::Offers(vec![o]), secs(1)));
    assert_eq!(tasks.len(), 1);
    let roles: Vec<Option<&str>> = tasks[0]
        .resources
        .iter()
        .filter(|r| r.name != "ports")
        .map(|r| r.reserved_role())
        .collect();
    assert_eq!(roles, [Some("eng"), Some("eng/flink")]);
}

#[test]
fn hostile_port_ranges_neither_panic_nor_hand_out_bad_ports() {
    let mut s = started(3, None);
    // The whole u64 range: usable ports are 1..=65535.
    let fx = s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (0, u64::MAX))]),
        secs(1),
    );
    let tasks = launched(&fx);
    assert_eq!(tasks.len(), 1);
    let w = s
        .workers()
        .find(|w| w.state == WorkerState::Launched)
        .unwrap();
    assert_eq!(
        w.ports,
        [
            ("taskmanager.rpc.port".to_string(), 1),
            ("taskmanager.data.port".to_string(), 2)
        ]
    );
    // Nothing but ports above 65535, or a reversed range: no ports at all.
    for (i, range) in [(70000, u64::MAX), (31010, 31000), (u64::MAX, u64::MAX)]
        .into_iter()
        .enumerate()
    {
        s.step(
            Input::Offers(vec![offer(&format!("p{i}"), "a2", 1.0, 1024.0, range)]),
            secs(2),
        );
        assert_eq!(
            s.unmatched()["a2.example"],
            "not enough ports: need 2, offered 0"
        );
    }
    // A NaN amount is not "enough" of anything.
    let mut o = offer("o9", "a3", 0.0, 1024.0, (31000, 31005));
    o.resources.push(Resource::scalar("cpus", f64::NAN));
    assert!(launched(&s.step(Input::Offers(vec![o]), secs(3))).is_empty());
}

// --- Simulation -------------------------------------------------------------

/// xorshift64*: tiny, deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// A task as the simulated master knows it.
struct SimTask {
    running: bool,
    /// Its fetch or image pull hangs: it never gets to RUNNING.
    stuck: bool,
    /// On a partitioned agent: unreachable, and KILLs do not get through.
    unreachable: bool,
}

/// An update in flight, and whether it is a failure of the TaskManager
/// itself (the only kind the scheduler may count).
#[derive(Clone)]
struct InFlight {
    status: TaskStatus,
    workers_fault: bool,
}

/// The world around the scheduler: a master with its suppression state and
/// its tasks, a driver that re-subscribes with the last suppression that
/// succeeded, calls that fail (some after reaching the master), answers that
/// get lost, tasks that hang, die or get partitioned, and the store.
struct World {
    rng: Rng,
    now: Duration,
    sched: Scheduler,
    desired: u32,
    max_failed: Option<u32>,
    store: BTreeMap<String, Worker>,
    next_task_number: u64,
    /// The master's tasks of this framework.
    tasks: BTreeMap<String, SimTask>,
    /// Terminal statuses the master remembers (answers to reconciliation).
    completed: HashMap<String, InFlight>,
    ever_launched: BTreeSet<String>,
    /// Failures the scheduler must have counted.
    expected_failures: u32,
    /// The failure count as stored.
    stored_failures: u32,
    /// Workers recovered Launched and not running since: a failure before
    /// they run is the dead appmaster's (its artifact server died).
    inherited: BTreeSet<String>,
    next_offer: u64,
    exited: bool,
    connected: bool,
    /// Whether the master sends us offers.
    master_suppressed: bool,
    /// What the driver re-subscribes with: the last SUPPRESS or REVIVE that
    /// succeeded.
    driver_suppressed: bool,
    /// Status updates the master is going to send, in order.
    inbox: VecDeque<InFlight>,
    /// Terminal updates of tasks that ended on their own (the agent's, not
    /// the master's) that the scheduler has not acknowledged: Mesos sends
    /// them again on every subscription until it does.
    unacked: BTreeMap<String, InFlight>,
    /// Faults on: calls fail, answers get lost, tasks hang or die.
    chaos: bool,
    /// Offers whose answer failed: they may be answered again later.
    unanswered_offers: BTreeSet<String>,
    /// Mirrors of what the scheduler knows about each worker since its
    /// launch or the last recovery.
    confirmed: BTreeSet<String>,
    launched_at: HashMap<String, Duration>,
    unreachable_since: HashMap<String, Duration>,
}

impl World {
    fn new(seed: u64) -> World {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let desired = 1 + rng.below(5) as u32;
        let max_failed = match rng.below(3) {
            0 => None,
            _ => Some(rng.below(20) as u32),
        };
        let mut world = World {
            rng,
            now: Duration::ZERO,
            sched: Scheduler::new(
                policy(desired, max_failed),
                TaskTemplate::command("sleep 600"),
            ),
            desired,
            max_failed,
            store: BTreeMap::new(),
            next_task_number: 1,
            tasks: BTreeMap::new(),
            completed: HashMap::new(),
            ever_launched: BTreeSet::new(),
            expected_failures: 0,
            stored_failures: 0,
            inherited: BTreeSet::new(),
            next_offer: 0,
            exited: false,
            connected: true,
            master_suppressed: false,
            driver_suppressed: false,
            inbox: VecDeque::new(),
            unacked: BTreeMap::new(),
            chaos: true,
            unanswered_offers: BTreeSet::new(),
            confirmed: BTreeSet::new(),
            launched_at: HashMap::new(),
            unreachable_since: HashMap::new(),
        };
        world.feed(
            Input::Recovered {
                workers: vec![],
                next_task_number: 1,
                failed_tasks: 0,
                floor: None,
            },
            &[],
        );
        world.feed(Input::Subscribed, &[]);
        world
    }

    fn random_offer(&mut self) -> Offer {
        self.next_offer += 1;
        let agent = format!("a{}", self.rng.below(4));
        let cpus = self.rng.below(5) as f64 * 0.5;
        let mem = self.rng.below(5) as f64 * 512.0;
        let base = 31000 + self.rng.below(100) * 10;
        offer(
            &format!("o{}", self.next_offer),
            &agent,
            cpus,
            mem,
            (base, base + self.rng.below(8)),
        )
    }

    fn big_offer(&mut self, agent: u64) -> Offer {
        self.next_offer += 1;
        offer(
            &format!("o{}", self.next_offer),
            &format!("a{agent}"),
            8.0,
            16384.0,
            (31000, 31100),
        )
    }

    fn state_of(&self, id: &str) -> Option<WorkerState> {
        self.sched
            .workers()
            .find(|w| w.task_id == id)
            .map(|w| w.state)
    }

    fn send(&mut self, status: TaskStatus, workers_fault: bool) {
        self.inbox.push_back(InFlight {
            status,
            workers_fault,
        });
    }

    /// What the master does with a call that reached it.
    fn master_takes(&mut self, call: &Call) {
        match call {
            Call::Launch { tasks, .. } => {
                // The offer was rescinded while the ACCEPT was in flight.
                let rescinded = self.chaos && self.rng.one_in(10);
                for t in tasks {
                    let id = t.task_id.as_str();
                    if rescinded {
                        let state = if self.rng.one_in(2) {
                            TaskState::Dropped
                        } else {
                            TaskState::Lost
                        };
                        self.send(reasoned(id, state, "REASON_INVALID_OFFERS", true), false);
                        continue;
                    }
                    let stuck = self.chaos && self.rng.one_in(8);
                    self.tasks.insert(
                        id.to_string(),
                        SimTask {
                            running: false,
                            stuck,
                            unreachable: false,
                        },
                    );
                    if self.rng.one_in(2) {
                        self.send(status(id, TaskState::Staging, true), false);
                    }
                }
            }
            Call::Revive { .. } => {
                // Accepted, but without effect now and then (a master about
                // to fail over): only repeating REVIVE brings offers back.
                if !(self.chaos && self.rng.one_in(10)) {
                    self.master_suppressed = false;
                }
                self.driver_suppressed = false;
            }
            Call::Suppress { .. } => {
                self.master_suppressed = true;
                self.driver_suppressed = true;
            }
            Call::Kill { task_id, .. } => {
                let id = task_id.as_str();
                match self.tasks.get(id) {
                    // A KILL does not get through a partition.
                    Some(t) if t.unreachable => {}
                    Some(_) => {
                        self.tasks.remove(id);
                        let killed = status(id, TaskState::Killed, true);
                        self.completed.insert(
                            id.to_string(),
                            InFlight {
                                status: killed.clone(),
                                workers_fault: false,
                            },
                        );
                        self.send(killed, false);
                    }
                    // Mesos reconciles a KILL of a task it does not run.
                    None => self.answer_reconciliation(id),
                }
            }
            Call::Reconcile { tasks } if tasks.is_empty() => {
                let known: Vec<String> = self.tasks.keys().cloned().collect();
                for id in known {
                    let s = self.task_state(&id);
                    self.send(status(&id, s, false), false);
                }
            }
            Call::Reconcile { tasks } => {
                for t in tasks {
                    let id = t.task_id.as_str();
                    // The answer gets lost (a master failover, an agent not
                    // re-registered yet).
                    if self.chaos && self.rng.one_in(3) {
                        continue;
                    }
                    self.answer_reconciliation(id);
                }
            }
            Call::Acknowledge { task_id, .. } => {
                self.unacked.remove(task_id.as_str());
            }
            Call::Teardown => self.tasks.clear(),
            _ => {}
        }
    }

    /// The master's answer to explicit reconciliation of one task.
    fn answer_reconciliation(&mut self, id: &str) {
        if self.tasks.contains_key(id) {
            let s = self.task_state(id);
            self.send(status(id, s, false), false);
        } else if let Some(done) = self.completed.get(id) {
            // Genuine Mesos answers with the latest state and
            // REASON_RECONCILIATION in place of the task's own reason, for
            // an update the agent sent; the master's own (TASK_LOST,
            // TASK_GONE) as it was.
            let mut s = done.status.clone();
            s.uuid = None;
            let mut fault = done.workers_fault;
            if agent_generated(s.state) {
                s.reason = Some("REASON_RECONCILIATION".into());
                s.message = Some("Reconciliation: Latest task state".into());
                fault = false;
            }
            self.send(s, fault);
        } else if self.rng.one_in(2) {
            self.send(
                reasoned(id, TaskState::Lost, "REASON_RECONCILIATION", false),
                false,
            );
        } else {
            self.send(status(id, TaskState::Unknown, false), false);
        }
    }

    fn task_state(&self, id: &str) -> TaskState {
        match self.tasks.get(id) {
            Some(t) if t.unreachable => TaskState::Unreachable,
            Some(t) if t.running => TaskState::Running,
            _ => TaskState::Staging,
        }
    }

    /// Steps the scheduler, plays the master's side of its effects, feeds
    /// failed calls back, and checks every invariant.
    fn feed(&mut self, input: Input, offered: &[OfferId]) {
        let recovering = matches!(input, Input::Recovered { .. });
        let fx = self.sched.step(input, self.now);
        let mut answered: HashMap<String, usize> = HashMap::new();
        let mut stored_launched: BTreeSet<String> = BTreeSet::new();
        let mut failed_calls = Vec::new();
        for e in &fx {
            match e {
                Effect::Store(w) => {
                    let before = self.store.get(&w.task_id).map(|w| w.state);
                    match w.state {
                        WorkerState::Launched => {
                            stored_launched.insert(w.task_id.clone());
                            self.launched_at.insert(w.task_id.clone(), self.now);
                        }
                        WorkerState::Released if !recovering => {
                            self.check_given_up(&w.task_id, before);
                        }
                        _ => {}
                    }
                    self.store.insert(w.task_id.clone(), w.clone());
                }
                Effect::Remove(id) => {
                    self.store.remove(id);
                }
                Effect::StoreFailedTasks(n) => {
                    assert_eq!(*n, self.stored_failures + 1, "one failure at a time");
                    self.stored_failures = *n;
                }
                Effect::StoreNextTaskNumber(n) => {
                    assert!(*n >= self.next_task_number, "the task counter went back");
                    self.next_task_number = *n;
                }
                Effect::StoreFloor(_) => panic!("a fixed pool never stores a floor"),
                Effect::Exit(Outcome::TooManyFailures { failed, limit, .. }) => {
                    assert_eq!(Some(*limit), self.max_failed);
                    assert!(*failed > *limit);
                    self.exited = true;
                }
                Effect::Exit(Outcome::Stopped) => self.exited = true,
                Effect::Call(call) => {
                    match call {
                        Call::Launch {
                            offer_ids, tasks, ..
                        } => {
                            for o in offer_ids {
                                *answered.entry(o.as_str().to_string()).or_default() += 1;
                            }
                            for t in tasks {
                                let id = t.task_id.as_str().to_string();
                                assert!(
                                    stored_launched.contains(&id),
                                    "{id} launched before it was stored as Launched"
                                );
                                assert!(
                                    self.ever_launched.insert(id.clone()),
                                    "{id} launched twice"
                                );
                            }
                        }
                        Call::Decline { offer_ids, .. } => {
                            for o in offer_ids {
                                *answered.entry(o.as_str().to_string()).or_default() += 1;
                            }
                        }
                        _ => {}
                    }
                    let fails = !self.connected
                        || (self.chaos && !matches!(call, Call::Teardown) && self.rng.one_in(8));
                    // Some failed calls reached the master all the same (the
                    // answer timed out).
                    if !fails || (self.connected && self.rng.one_in(2)) {
                        self.master_takes(call);
                    }
                    if fails {
                        if let Call::Launch { offer_ids, .. } | Call::Decline { offer_ids, .. } =
                            call
                        {
                            for o in offer_ids {
                                self.unanswered_offers.insert(o.as_str().to_string());
                            }
                        }
                        failed_calls.push(call.clone());
                    }
                }
            }
        }
        for o in offered {
            assert_eq!(
                answered.get(o.as_str()),
                Some(&1),
                "offer {} must be answered exactly once",
                o.as_str()
            );
        }
        for o in answered.keys() {
            assert!(
                offered.iter().any(|x| x.as_str() == o) || self.unanswered_offers.contains(o),
                "answer for offer {o}, which was not offered or was answered already"
            );
        }
        if self.exited {
            return;
        }
        self.check();
        for call in failed_calls {
            if self.exited {
                return;
            }
            self.feed(Input::CallFailed(call), &[]);
        }
    }

    /// A worker was given up (released without being asked to): it must have
    /// hung in Launched past the launch timeout or been unreachable past the
    /// unreachable timeout. It counts if Mesos had confirmed the task.
    fn check_given_up(&mut self, id: &str, before: Option<WorkerState>) {
        let timers = policy(1, None).timers;
        let unreachable = self
            .unreachable_since
            .get(id)
            .is_some_and(|since| self.now - *since >= timers.unreachable_timeout);
        if unreachable {
            self.expected_failures += 1;
        } else {
            assert_eq!(
                before,
                Some(WorkerState::Launched),
                "{id} released while running"
            );
            let launched = self.launched_at.get(id).copied().unwrap_or_default();
            assert!(
                self.now - launched >= timers.launch_timeout,
                "{id} released {:?} after its launch",
                self.now - launched
            );
            if self.confirmed.contains(id) {
                self.expected_failures += 1;
            }
        }
        self.unreachable_since.remove(id);
    }

    fn check(&self) {
        let workers: Vec<&Worker> = self.sched.workers().collect();
        let alive = workers
            .iter()
            .filter(|w| w.state != WorkerState::Released)
            .count();
        assert!(
            alive <= self.desired as usize,
            "{alive} workers alive, {} desired",
            self.desired
        );
        // Unsatisfiable demand is only ever reported while workers wait.
        if let Some(u) = self.sched.unsatisfiable() {
            let pending = workers
                .iter()
                .filter(|w| w.state == WorkerState::New)
                .count();
            assert_eq!(u.pending as usize, pending, "{u:?}");
            assert!(pending > 0 && !u.reason.is_empty(), "{u:?}");
        }
        assert_eq!(
            self.sched.failed(),
            self.expected_failures,
            "failures counted exactly, and only the TaskManager's own"
        );
        assert_eq!(
            self.stored_failures,
            self.sched.failed(),
            "every failure stored (a restart does not forgive it)"
        );
        // The store mirrors the scheduler.
        let in_store: BTreeMap<&str, WorkerState> = self
            .store
            .values()
            .map(|w| (w.task_id.as_str(), w.state))
            .collect();
        let in_sched: BTreeMap<&str, WorkerState> = workers
            .iter()
            .map(|w| (w.task_id.as_str(), w.state))
            .collect();
        assert_eq!(in_store, in_sched, "store and scheduler disagree");
    }

    /// The master sends the next update in flight.
    fn deliver(&mut self) {
        if !self.connected {
            return;
        }
        let Some(InFlight {
            status,
            workers_fault,
        }) = self.inbox.pop_front()
        else {
            return;
        };
        let id = status.task_id.as_str().to_string();
        let state = self.state_of(&id);
        let alive = matches!(state, Some(WorkerState::Launched | WorkerState::Running));
        match status.state {
            TaskState::Staging | TaskState::Starting | TaskState::Running | TaskState::Killing
                if state.is_some_and(|s| s != WorkerState::New) =>
            {
                self.confirmed.insert(id.clone());
                self.unreachable_since.remove(&id);
                if status.state == TaskState::Running {
                    self.inherited.remove(&id);
                }
            }
            TaskState::Unreachable if state.is_some_and(|s| s != WorkerState::New) => {
                self.confirmed.insert(id.clone());
                if alive {
                    self.unreachable_since.entry(id.clone()).or_insert(self.now);
                }
            }
            s if (s.is_terminal() || s == TaskState::Unknown) && alive && workers_fault => {
                let inherited_launch =
                    self.inherited.contains(&id) && state == Some(WorkerState::Launched);
                if !inherited_launch {
                    self.expected_failures += 1;
                }
            }
            _ => {}
        }
        let latest_state_only = agent_generated(status.state)
            && status.reason.as_deref() == Some("REASON_RECONCILIATION");
        let inherited_launch = self.inherited.contains(&id) && state == Some(WorkerState::Launched);
        self.feed(Input::Update(status), &[]);
        // Reconciliation's latest state says that the task ended, not why:
        // the worker waits for the task's own update, which decides.
        if latest_state_only && alive && !inherited_launch && !self.exited {
            assert_eq!(
                self.state_of(&id),
                state,
                "{id} ended on reconciliation's answer, before its own update"
            );
        }
    }

    fn pick_task(&mut self, filter: impl Fn(&SimTask) -> bool) -> Option<String> {
        let ids: Vec<String> = self
            .tasks
            .iter()
            .filter(|(_, t)| filter(t))
            .map(|(id, _)| id.clone())
            .collect();
        if ids.is_empty() {
            return None;
        }
        let i = self.rng.below(ids.len() as u64) as usize;
        Some(ids[i].clone())
    }

    /// A task ends on its own (recorded by the master for reconciliation).
    /// The agent's update comes, again on every subscription, until it is
    /// acknowledged. One the master generated (TASK_LOST, TASK_GONE) may
    /// never come while we are disconnected (the master failed over): only
    /// reconciliation tells.
    fn die(&mut self, id: &str, state: TaskState) {
        self.tasks.remove(id);
        let update = InFlight {
            status: status(id, state, true),
            workers_fault: true,
        };
        self.completed.insert(id.to_string(), update.clone());
        if agent_generated(state) {
            self.unacked.insert(id.to_string(), update.clone());
            self.inbox.push_back(update);
        } else if self.connected || self.rng.one_in(2) {
            self.inbox.push_back(update);
        }
    }

    /// The subscription's stream is gone with what it had not delivered yet;
    /// the agents' unacknowledged updates come again after the next
    /// subscription (after the master's own answers to it: they take the way
    /// through the agent).
    fn stream_lost(&mut self) {
        self.inbox.clear();
    }

    /// After a subscription: Mesos sends the unacknowledged updates again.
    fn resend_unacked(&mut self) {
        let again: Vec<InFlight> = self.unacked.values().cloned().collect();
        self.inbox.extend(again);
    }

    /// Offers, if the master sends any (it does not while we are suppressed).
    fn offer(&mut self, offers: Vec<Offer>) {
        if !self.connected || self.master_suppressed {
            return;
        }
        let ids: Vec<OfferId> = offers.iter().map(|o| o.id.clone()).collect();
        self.feed(Input::Offers(offers), &ids);
    }

    fn chaos_step(&mut self) {
        self.now += Duration::from_millis(self.rng.below(3000));
        match self.rng.below(16) {
            0..=2 => {
                let offers: Vec<Offer> = (0..1 + self.rng.below(3))
                    .map(|_| self.random_offer())
                    .collect();
                self.offer(offers);
            }
            3..=5 => self.deliver(),
            6 => {
                // A staging task starts (unless its launch hangs).
                if let Some(id) = self.pick_task(|t| !t.running && !t.stuck && !t.unreachable) {
                    if let Some(t) = self.tasks.get_mut(&id) {
                        t.running = true;
                    }
                    self.send(status(&id, TaskState::Running, true), false);
                }
            }
            7 => {
                // A task dies on its own.
                if let Some(id) = self.pick_task(|t| !t.unreachable) {
                    let state = [
                        TaskState::Failed,
                        TaskState::Lost,
                        TaskState::Killed,
                        TaskState::Finished,
                        TaskState::Error,
                    ][self.rng.below(5) as usize];
                    self.die(&id, state);
                    if self.rng.one_in(4) {
                        // A duplicate terminal update is not a second failure.
                        self.send(status(&id, state, true), true);
                    }
                }
            }
            8 => {
                // An agent is partitioned away.
                if let Some(id) = self.pick_task(|t| !t.unreachable) {
                    if let Some(t) = self.tasks.get_mut(&id) {
                        t.unreachable = true;
                    }
                    self.send(status(&id, TaskState::Unreachable, true), false);
                }
            }
            9 => {
                // The partition heals, or the agent is gone for good.
                if let Some(id) = self.pick_task(|t| t.unreachable) {
                    if self.rng.one_in(2) {
                        let state = match self.tasks.get_mut(&id) {
                            Some(t) => {
                                t.unreachable = false;
                                if t.running {
                                    TaskState::Running
                                } else {
                                    TaskState::Staging
                                }
                            }
                            None => return,
                        };
                        self.send(status(&id, state, true), false);
                    } else {
                        self.die(&id, TaskState::Gone);
                    }
                }
            }
            10 => {
                let id = format!("stranger-{}", self.rng.below(100));
                self.feed(Input::Update(status(&id, TaskState::Running, true)), &[]);
            }
            11 => {
                if self.connected {
                    self.connected = false;
                    self.unanswered_offers.clear();
                    self.stream_lost();
                    self.feed(Input::Disconnected, &[]);
                } else {
                    self.reconnect();
                }
            }
            12 => {
                if self.rng.one_in(3) {
                    self.restart();
                } else {
                    self.feed(Input::Tick, &[]);
                }
            }
            _ => self.feed(Input::Tick, &[]),
        }
    }

    fn reconnect(&mut self) {
        self.connected = true;
        self.master_suppressed = self.driver_suppressed;
        self.feed(Input::Subscribed, &[]);
        self.resend_unacked();
    }

    /// The appmaster dies and a new one recovers from the store.
    fn restart(&mut self) {
        self.stream_lost();
        self.sched = Scheduler::new(
            policy(self.desired, self.max_failed),
            TaskTemplate::command("sleep 600"),
        );
        // Failures are persisted: the new appmaster goes on counting.
        self.confirmed.clear();
        self.unreachable_since.clear();
        self.unanswered_offers.clear();
        for w in self.store.values() {
            self.launched_at.insert(w.task_id.clone(), self.now);
        }
        self.inherited = self
            .store
            .values()
            .filter(|w| w.state == WorkerState::Launched)
            .map(|w| w.task_id.clone())
            .collect();
        let workers: Vec<Worker> = self.store.values().cloned().collect();
        let n = self.next_task_number;
        self.feed(
            Input::Recovered {
                workers,
                next_task_number: n,
                failed_tasks: self.stored_failures,
                floor: None,
            },
            &[],
        );
        // A new driver subscribes without suppression.
        self.connected = true;
        self.driver_suppressed = false;
        self.master_suppressed = false;
        self.feed(Input::Subscribed, &[]);
        self.resend_unacked();
    }

    /// Faults stop; the master answers everything and offers plenty. Returns
    /// the simulated time until every wanted worker runs (`None`: the run
    /// ended on too many failures first).
    fn settle(&mut self, bound: Duration) -> Option<Duration> {
        self.chaos = false;
        let start = self.now;
        if !self.connected {
            self.reconnect();
        }
        // Partitions heal.
        let partitioned: Vec<String> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.unreachable)
            .map(|(id, _)| id.clone())
            .collect();
        for id in partitioned {
            let state = match self.tasks.get_mut(&id) {
                Some(t) => {
                    t.unreachable = false;
                    if t.running {
                        TaskState::Running
                    } else {
                        TaskState::Staging
                    }
                }
                None => continue,
            };
            self.send(status(&id, state, true), false);
        }
        while !self.exited {
            let running = self
                .sched
                .workers()
                .filter(|w| w.state == WorkerState::Running)
                .count();
            let alive = self
                .sched
                .workers()
                .filter(|w| w.state != WorkerState::Released)
                .count();
            let settled = running == self.desired as usize
                && alive == running
                // Every worker asked about had its answer; every KILL landed:
                // the master runs exactly the workers the core keeps.
                && self.sched.awaiting_reconciliation().next().is_none()
                && self.tasks.keys().all(|id| {
                    self.state_of(id) == Some(WorkerState::Running)
                });
            if settled {
                return Some(self.now - start);
            }
            assert!(
                self.now - start <= bound,
                "liveness: after {:?} of calm, {running} of {} workers run \
                 (others: {:?}, master suppressed: {}, unanswered: {:?}, master's tasks: {:?})",
                self.now - start,
                self.desired,
                self.sched
                    .workers()
                    .filter(|w| w.state != WorkerState::Running)
                    .map(|w| (w.task_id.clone(), w.state))
                    .collect::<Vec<_>>(),
                self.master_suppressed,
                self.sched.awaiting_reconciliation().collect::<Vec<_>>(),
                self.tasks.keys().collect::<Vec<_>>(),
            );
            self.now += Duration::from_secs(1);
            while !self.inbox.is_empty() && !self.exited {
                self.deliver();
            }
            let starting: Vec<String> = self
                .tasks
                .iter()
                .filter(|(_, t)| !t.running && !t.stuck && !t.unreachable)
                .map(|(id, _)| id.clone())
                .collect();
            for id in starting {
                if let Some(t) = self.tasks.get_mut(&id) {
                    t.running = true;
                }
                self.send(status(&id, TaskState::Running, true), false);
            }
            if self.exited {
                break;
            }
            let offers = (0..4).map(|a| self.big_offer(a)).collect();
            self.offer(offers);
            if !self.exited {
                self.feed(Input::Tick, &[]);
            }
        }
        None
    }
}

/// States of updates the agent sends (and resends until acknowledged).
fn agent_generated(state: TaskState) -> bool {
    matches!(
        state,
        TaskState::Failed | TaskState::Killed | TaskState::Finished | TaskState::Error
    )
}

fn reasoned(task: &str, state: TaskState, reason: &str, uuid: bool) -> TaskStatus {
    let mut s = status(task, state, uuid);
    s.reason = Some(reason.into());
    s
}

#[test]
fn simulation_keeps_the_invariants_and_every_wanted_worker_runs() {
    let seeds: u64 = std::env::var("SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500);
    let t = policy(1, None).timers;
    // Worst case from a calm start: a hung launch times out, its failure
    // backs off, reconciliation of a lost launch is retried at its longest,
    // an unreachable worker times out, and a REVIVE is repeated.
    let bound = t.launch_timeout
        + t.unreachable_timeout
        + t.reconcile_retry_max * 2
        + t.revive_interval
        + t.latest_state_wait
        + Duration::from_secs(30 + 60);
    let mut launched_total = 0;
    let mut exits = 0;
    let mut settled = 0;
    for seed in 0..seeds {
        let mut world = World::new(seed);
        for _ in 0..150 {
            world.chaos_step();
            if world.exited {
                break;
            }
        }
        if !world.exited && world.settle(bound).is_some() {
            settled += 1;
        }
        if world.exited {
            exits += 1;
        }
        launched_total += world.ever_launched.len();
    }
    // The simulation must exercise launches, the failure limit and the
    // liveness check, or it proves nothing.
    assert!(
        launched_total > seeds as usize,
        "only {launched_total} launches in {seeds} runs"
    );
    assert!(exits > 0, "no run reached mesos.maximum-failed-tasks");
    assert!(
        settled > seeds as usize / 3,
        "only {settled} of {seeds} runs reached the liveness check"
    );
}

/// The ports of a TaskInfo's allocation, as handed to the TaskManager.
fn ports_of(fx: &[Effect]) -> Vec<(String, u16)> {
    fx.iter()
        .find_map(|e| match e {
            Effect::Store(w) if w.state == WorkerState::Launched => Some(w.ports.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn a_replacement_never_takes_the_ports_of_a_worker_that_just_died_on_its_agent() {
    // Flink's RPC system keeps the address of a dead TaskManager
    // quarantined: a replacement on the same host:port is refused
    // ("read-only association") and never registers.
    let mut s = started(1, None);
    let fx = s.step(
        Input::Offers(vec![offer("o1", "a1", 1.0, 1024.0, (31000, 31005))]),
        secs(1),
    );
    let first = ports_of(&fx);
    assert_eq!(
        first.iter().map(|(_, p)| *p).collect::<Vec<_>>(),
        [31000, 31001]
    );
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Running, true)),
        secs(2),
    );
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Failed, true)),
        secs(3),
    );
    s.step(Input::Tick, secs(10));
    // Mesos offers the freed ports again: the replacement takes others.
    let fx = s.step(
        Input::Offers(vec![offer("o2", "a1", 1.0, 1024.0, (31000, 31005))]),
        secs(11),
    );
    let second: Vec<u16> = ports_of(&fx).iter().map(|(_, p)| *p).collect();
    assert_eq!(second, [31002, 31003]);
    // Another agent may use them; and when only used ones are left, they
    // are used rather than leaving the worker pending.
    s.step(
        Input::Update(status("taskmanager-00002", TaskState::Failed, true)),
        secs(12),
    );
    s.step(Input::Tick, secs(30));
    let fx = s.step(
        Input::Offers(vec![offer("o3", "a1", 1.0, 1024.0, (31000, 31003))]),
        secs(31),
    );
    let third: Vec<u16> = ports_of(&fx).iter().map(|(_, p)| *p).collect();
    assert_eq!(third.len(), 2, "{fx:?}");
}

#[test]
fn a_launch_inherited_from_a_dead_appmaster_that_fails_is_not_counted() {
    // Its fetch URIs pointed at the artifact server of the appmaster that
    // died: failing to fetch them is not the TaskManager's failure.
    let stored = vec![Worker {
        task_id: "taskmanager-00001".into(),
        state: WorkerState::Launched,
        agent_id: Some("a1".into()),
        hostname: None,
        ports: vec![],
    }];
    let mut s = Scheduler::new(policy(1, Some(0)), TaskTemplate::command("sleep 600"));
    s.step(
        Input::Recovered {
            workers: stored,
            next_task_number: 2,
            failed_tasks: 0,
            floor: None,
        },
        Duration::ZERO,
    );
    s.step(Input::Subscribed, secs(1));
    let fx = s.step(
        Input::Update(reasoned_status(
            "taskmanager-00001",
            TaskState::Failed,
            "REASON_CONTAINER_LAUNCH_FAILED",
        )),
        secs(2),
    );
    assert_eq!(s.failed(), 0, "not counted");
    assert_eq!(
        exit_of(&fx),
        None,
        "max 0 failures: a counted one would end the cluster"
    );
    // A worker recovered Launched that runs, then fails, is counted.
    let stored = vec![Worker {
        task_id: "taskmanager-00001".into(),
        state: WorkerState::Launched,
        agent_id: Some("a1".into()),
        hostname: None,
        ports: vec![],
    }];
    let mut s = Scheduler::new(policy(1, None), TaskTemplate::command("sleep 600"));
    s.step(
        Input::Recovered {
            workers: stored,
            next_task_number: 2,
            failed_tasks: 0,
            floor: None,
        },
        Duration::ZERO,
    );
    s.step(Input::Subscribed, secs(1));
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Running, true)),
        secs(2),
    );
    s.step(
        Input::Update(status("taskmanager-00001", TaskState::Failed, true)),
        secs(3),
    );
    assert_eq!(s.failed(), 1);
}

#[test]
fn two_agents_on_one_host_never_give_two_workers_the_same_port() {
    // mesos-local runs several agents on one host with the same port
    // ranges; the second worker must not bind the first one's port.
    let mut s = started(2, None);
    let mut a = offer("o1", "a1", 1.0, 1024.0, (31000, 31005));
    let mut b = offer("o2", "a2", 1.0, 1024.0, (31000, 31005));
    a.hostname = "host.example".into();
    b.hostname = "host.example".into();
    // One worker fits each offer (1 cpu each, the policy's worker takes 1).
    let fx = s.step(Input::Offers(vec![a, b]), secs(1));
    let mut ports: Vec<u16> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Store(w) if w.state == WorkerState::Launched => Some(w.ports.clone()),
            _ => None,
        })
        .flatten()
        .map(|(_, p)| p)
        .collect();
    assert_eq!(ports.len(), 4, "{fx:?}");
    ports.sort();
    ports.dedup();
    assert_eq!(
        ports.len(),
        4,
        "a port handed out twice on one host: {fx:?}"
    );
}

// --- Workers that follow demand (scheduler::elastic) ----------------------

mod elastic {
    use super::*;
    use flink_mesos::scheduler::elastic::{Elastic, FlinkView, Slots};

    const IDLE: Duration = Duration::from_secs(30);
    const REGISTRATION: Duration = Duration::from_secs(60);

    fn elastic_policy(floor: u32, ceiling: Option<u32>) -> Policy {
        Policy {
            elastic: Some(Elastic {
                slots_per_worker: 1,
                ceiling,
                idle_timeout: IDLE,
                registration_timeout: Some(REGISTRATION),
                view_max_age: Duration::from_secs(10),
            }),
            ..policy(floor, Some(10))
        }
    }

    fn start(floor: u32, ceiling: Option<u32>) -> Scheduler {
        started_with(elastic_policy(floor, ceiling))
    }

    fn alive(s: &Scheduler) -> Vec<String> {
        s.workers()
            .filter(|w| w.state != WorkerState::Released)
            .map(|w| w.task_id.clone())
            .collect()
    }

    fn released(s: &Scheduler) -> Vec<String> {
        s.workers()
            .filter(|w| w.state == WorkerState::Released)
            .map(|w| w.task_id.clone())
            .collect()
    }

    /// Launches every pending worker in one big offer and reports them RUNNING.
    fn run_all(s: &mut Scheduler, now: Duration) {
        let n = s.workers().filter(|w| w.state == WorkerState::New).count() as f64;
        if n == 0.0 {
            return;
        }
        let fx = s.step(
            Input::Offers(vec![offer("big", "a1", n, 1024.0 * n, (31000, 31999))]),
            now,
        );
        for t in launched(&fx) {
            s.step(
                Input::Update(status(t.task_id.as_str(), TaskState::Running, false)),
                now,
            );
        }
    }

    /// A view where `busy` TaskManagers hold their slot and the others of
    /// `registered` are idle.
    fn view(required: u64, registered: &[&str], busy: &[&str]) -> Input {
        Input::Flink(Some(FlinkView {
            required_slots: required,
            taskmanagers: registered
                .iter()
                .map(|id| {
                    let free = if busy.contains(id) { 0 } else { 1 };
                    (id.to_string(), Slots { total: 1, free })
                })
                .collect(),
            active_jobs: u32::from(required > 0),
        }))
    }

    const TM1: &str = "taskmanager-00001";
    const TM2: &str = "taskmanager-00002";
    const TM3: &str = "taskmanager-00003";

    #[test]
    fn demand_grows_the_cluster_and_idleness_shrinks_it_to_the_floor() {
        let mut s = start(1, None);
        run_all(&mut s, secs(1));
        assert_eq!(alive(&s), [TM1]);
        // A parallelism-3 job: two more workers, at once.
        let fx = s.step(view(3, &[TM1], &[TM1]), secs(2));
        assert_eq!(stored(&fx, WorkerState::New), [TM2, TM3]);
        assert_eq!(s.target(), 3);
        run_all(&mut s, secs(3));
        s.step(view(3, &[TM1, TM2, TM3], &[TM1, TM2, TM3]), secs(10));
        // The job ends: nothing is released before the idle timeout...
        s.step(view(0, &[TM1, TM2, TM3], &[]), secs(20));
        let fx = s.step(view(0, &[TM1, TM2, TM3], &[]), secs(20) + IDLE - secs(1));
        assert!(released(&s).is_empty(), "{fx:?}");
        // ...then the two youngest go, gracefully: not failures, not replaced.
        let fx = s.step(view(0, &[TM1, TM2, TM3], &[]), secs(20) + IDLE);
        assert_eq!(stored(&fx, WorkerState::Released), [TM3, TM2]);
        assert_eq!(kills(&fx), 2);
        assert_eq!(alive(&s), [TM1]);
        for id in [TM2, TM3] {
            s.step(
                Input::Update(status(id, TaskState::Killed, false)),
                secs(55),
            );
        }
        let fx = s.step(Input::Tick, secs(56));
        assert!(stored(&fx, WorkerState::New).is_empty(), "not replaced");
        assert_eq!(s.failed(), 0);
        assert_eq!(s.counters().released_idle, 2);
        assert_eq!(s.counters().workers_failed, 0);
    }

    #[test]
    fn a_worker_that_holds_a_slot_is_never_released() {
        let mut s = start(1, None);
        run_all(&mut s, secs(0));
        s.step(view(3, &[TM1], &[]), secs(1));
        run_all(&mut s, secs(2));
        // The job shrank to one slot, held by the youngest worker.
        for t in (3..200).step_by(5) {
            s.step(view(1, &[TM1, TM2, TM3], &[TM3]), secs(t));
        }
        // One slot is needed and the youngest worker holds it: the two idle
        // ones go, although they are the oldest (the floor is a number of
        // workers, not particular ones).
        assert_eq!(released(&s), [TM1, TM2]);
        assert_eq!(alive(&s), [TM3]);
    }

    #[test]
    fn the_ceiling_bounds_growth_and_the_floor_beats_it() {
        let mut s = start(1, Some(2));
        run_all(&mut s, secs(0));
        s.step(view(8, &[TM1], &[TM1]), secs(1));
        assert_eq!(s.target(), 2);
        assert_eq!(alive(&s).len(), 2);
        assert_eq!(s.needed(), 8);
        // A floor above the ceiling wins.
        let fx = s.step(Input::SetFloor(4), secs(2));
        assert!(fx.contains(&Effect::StoreFloor(4)));
        assert_eq!(s.target(), 4);
        assert_eq!(alive(&s).len(), 4);
    }

    #[test]
    fn nothing_is_released_while_the_jobmanager_does_not_answer() {
        let mut s = start(1, None);
        run_all(&mut s, secs(0));
        s.step(view(2, &[TM1], &[TM1]), secs(1));
        run_all(&mut s, secs(2));
        s.step(view(0, &[TM1, TM2], &[]), secs(3));
        // The JobManager goes away: the idle clock stops...
        for t in 4..200 {
            s.step(Input::Flink(None), secs(t));
            s.step(Input::Tick, secs(t));
        }
        assert!(released(&s).is_empty());
        // ...and starts anew when it is back.
        s.step(view(0, &[TM1, TM2], &[]), secs(200));
        s.step(view(0, &[TM1, TM2], &[]), secs(200) + IDLE - secs(1));
        assert!(released(&s).is_empty());
        s.step(view(0, &[TM1, TM2], &[]), secs(200) + IDLE);
        assert_eq!(released(&s), [TM2]);
    }

    #[test]
    fn a_stale_view_releases_nothing() {
        let mut s = start(1, None);
        run_all(&mut s, secs(0));
        s.step(view(2, &[TM1], &[TM1]), secs(1));
        run_all(&mut s, secs(2));
        s.step(view(0, &[TM1, TM2], &[]), secs(3));
        // Ticks long after the last view: the workers' idleness is old news.
        s.step(Input::Tick, secs(3) + IDLE + secs(60));
        s.step(Input::SetFloor(1), secs(3) + IDLE + secs(60));
        assert!(released(&s).is_empty());
    }

    #[test]
    fn a_taskmanager_that_never_registers_is_replaced_and_counted() {
        let mut s = start(2, None);
        run_all(&mut s, secs(0));
        // TM2 runs in Mesos but never registers with the JobManager.
        for t in 1..=(REGISTRATION.as_secs() + 1) {
            s.step(view(0, &[TM1], &[]), secs(t));
            let fx = s.step(Input::Tick, secs(t));
            if !released(&s).is_empty() {
                assert!(fx.contains(&Effect::StoreFailedTasks(1)), "{fx:?}");
                break;
            }
        }
        assert_eq!(released(&s), [TM2]);
        assert_eq!(s.failed(), 1);
        assert_eq!(s.counters().registration_timeouts, 1);
        assert!(s
            .last_failure()
            .is_some_and(|w| w.contains("did not register") && w.contains(TM2)));
        // Replaced (after the failure backoff).
        s.step(Input::Tick, secs(200));
        assert_eq!(alive(&s).len(), 2);
        // Registered TaskManagers are never given up, however long.
        assert!(!released(&s).contains(&TM1.to_string()));
    }

    #[test]
    fn the_floor_set_by_scale_is_stored_and_recovered() {
        let mut s = start(1, None);
        let fx = s.step(Input::SetFloor(3), secs(1));
        assert_eq!(
            fx.first(),
            Some(&Effect::StoreFloor(3)),
            "stored before acted on"
        );
        assert_eq!(stored(&fx, WorkerState::New).len(), 2);
        let mut restarted = Scheduler::new(elastic_policy(1, None), TaskTemplate::command("x"));
        restarted.step(
            Input::Recovered {
                workers: vec![],
                next_task_number: 4,
                failed_tasks: 0,
                floor: Some(3),
            },
            secs(0),
        );
        assert_eq!(restarted.floor(), 3);
        assert_eq!(restarted.target(), 3);
    }

    /// Random demand, idleness, JobManager outages, floors and task ends:
    /// never more workers than the ceiling (or floor) allows, the floor is
    /// kept, and a worker whose TaskManager held a slot in the latest view
    /// is never released.
    #[test]
    fn simulation_keeps_the_bounds_and_never_releases_a_busy_worker() {
        let mut rng = fastrand::Rng::with_seed(20261207);
        for round in 0..300 {
            let floor = rng.u32(0..4);
            let ceiling = rng.bool().then(|| rng.u32(1..8));
            let mut s = start(floor, ceiling);
            let mut floor = floor;
            let mut busy: BTreeSet<String> = BTreeSet::new();
            for step in 0..400u64 {
                let now = secs(step);
                let before = alive(&s).len();
                let created = |fx: &[Effect]| !stored(fx, WorkerState::New).is_empty();
                let mut grew = false;
                match rng.u32(0..10) {
                    0..=3 => {
                        let running: Vec<String> = s
                            .workers()
                            .filter(|w| w.state == WorkerState::Running)
                            .map(|w| w.task_id.clone())
                            .collect();
                        busy = running.iter().filter(|_| rng.bool()).cloned().collect();
                        let registered: Vec<&str> = running
                            .iter()
                            .filter(|_| rng.u32(0..10) > 0)
                            .map(String::as_str)
                            .collect();
                        busy.retain(|b| registered.contains(&b.as_str()));
                        let required = busy.len() as u64 + rng.u64(0..6);
                        let busy_refs: Vec<&str> = busy.iter().map(String::as_str).collect();
                        let fx = s.step(view(required, &registered, &busy_refs), now);
                        check_no_busy_release(&fx, &busy, round);
                        grew = created(&fx);
                    }
                    4 => {
                        s.step(Input::Flink(None), now);
                        busy.clear();
                    }
                    5 => run_all(&mut s, now),
                    6 => {
                        floor = rng.u32(0..5);
                        let fx = s.step(Input::SetFloor(floor), now);
                        check_no_busy_release(&fx, &busy, round);
                        grew = created(&fx);
                    }
                    7 => {
                        let ids: Vec<String> = alive(&s);
                        if let Some(id) = ids.get(rng.usize(0..ids.len().max(1))) {
                            if !busy.contains(id) {
                                s.step(Input::Update(status(id, TaskState::Failed, true)), now);
                            }
                        }
                    }
                    _ => {
                        let fx = s.step(Input::Tick, now);
                        check_no_busy_release(&fx, &busy, round);
                        grew = created(&fx);
                    }
                }
                let target = s.target();
                let upper = ceiling.map_or(u32::MAX, |c| c.max(floor));
                assert!(
                    target >= floor,
                    "round {round}: target {target} below the floor {floor}"
                );
                assert!(
                    target <= upper,
                    "round {round}: target {target} above {upper}"
                );
                // Workers are only ever added up to the target (more may be
                // alive while they still hold slots or are not idle long
                // enough).
                if grew {
                    assert!(
                        alive(&s).len() as u32 <= target.max(before as u32),
                        "round {round} step {step}: grew to {} alive, target {target}",
                        alive(&s).len()
                    );
                }
            }
            // Settled: with offers and time, the floor is met.
            if s.failed() <= 10 {
                s.step(Input::Tick, secs(10_000));
                run_all(&mut s, secs(10_001));
                assert!(
                    alive(&s).len() as u32 >= floor,
                    "round {round}: {} alive below the floor {floor}",
                    alive(&s).len()
                );
            }
        }
    }

    fn kills(fx: &[Effect]) -> usize {
        calls(fx)
            .iter()
            .filter(|c| matches!(c, Call::Kill { .. }))
            .count()
    }

    fn check_no_busy_release(fx: &[Effect], busy: &BTreeSet<String>, round: u32) {
        for id in stored(fx, WorkerState::Released) {
            assert!(
                !busy.contains(&id),
                "round {round}: {id} released while its TaskManager holds a slot"
            );
        }
    }
}

/// Launch pacing (issue 28): bounded launches per agent and in total, the
/// offers pacing cannot use, executors that never registered, and a large
/// launch against a model of agents that slow down with every executor
/// they start at once.
mod pacing {
    use super::*;

    fn paced(desired: u32, per_agent: u32, total: u32) -> Policy {
        Policy {
            resources: WorkerResources {
                cpus: 0.1,
                mem_mb: 32.0,
                port_keys: Vec::new(),
                ..policy(0, None).resources
            },
            pacing: Pacing { per_agent, total },
            ..policy(desired, Some(0))
        }
    }

    /// An offer with room for `n` workers on `agent`.
    fn room(id: &str, agent: &str, n: u32) -> Offer {
        offer(
            id,
            agent,
            f64::from(n) * 0.1 + 0.01,
            f64::from(n) * 32.0,
            (31000, 31000),
        )
    }

    fn on(task: &str, agent: &str, state: TaskState) -> TaskStatus {
        TaskStatus {
            agent_id: Some(AgentId::new(agent)),
            ..status(task, state, true)
        }
    }

    fn launches(fx: &[Effect]) -> Vec<(Vec<String>, usize)> {
        calls(fx)
            .into_iter()
            .filter_map(|c| match c {
                Call::Launch {
                    offer_ids, tasks, ..
                } => Some((
                    offer_ids.iter().map(|o| o.as_str().to_string()).collect(),
                    tasks.len(),
                )),
                _ => None,
            })
            .collect()
    }

    fn declines(fx: &[Effect]) -> Vec<(Vec<String>, Option<f64>)> {
        calls(fx)
            .into_iter()
            .filter_map(|c| match c {
                Call::Decline {
                    offer_ids,
                    refuse_seconds,
                } => Some((
                    offer_ids.iter().map(|o| o.as_str().to_string()).collect(),
                    *refuse_seconds,
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn launches_are_bounded_per_agent_and_in_total() {
        let mut s = started_with(paced(10, 2, 3));
        let fx = s.step(
            Input::Offers(vec![room("o1", "a1", 10), room("o2", "a2", 10)]),
            secs(1),
        );
        // Two on a1 (its bound), one on a2 (the total's bound).
        assert_eq!(
            launches(&fx),
            [(vec!["o1".to_string()], 2), (vec!["o2".to_string()], 1)]
        );
        assert_eq!(s.pacing().launching, 3);
        // Nothing more may launch: both offers go back at once, in one
        // DECLINE with the short filter, so that they return as soon as
        // launches finish.
        let fx = s.step(
            Input::Offers(vec![room("o3", "a1", 10), room("o4", "a2", 10)]),
            secs(2),
        );
        assert!(launches(&fx).is_empty(), "{fx:?}");
        assert_eq!(
            declines(&fx),
            [(
                vec!["o3".to_string(), "o4".to_string()],
                Some(PACED_REFUSE.as_secs_f64())
            )]
        );
        assert_eq!(s.counters().offers_paced, 2);
        // One worker of a1 runs: one more may launch, on a1 too.
        let first = s
            .workers()
            .find(|w| w.agent_id.as_deref() == Some("a1"))
            .map(|w| w.task_id.clone())
            .unwrap();
        s.step(Input::Update(on(&first, "a1", TaskState::Running)), secs(3));
        let fx = s.step(Input::Offers(vec![room("o5", "a1", 10)]), secs(4));
        assert_eq!(launches(&fx), [(vec!["o5".to_string()], 1)]);
        assert_eq!(s.pacing().launching, 3);
    }

    #[test]
    fn offers_of_one_agent_are_accepted_together_and_the_rest_declined_in_one_call() {
        let mut s = started_with(paced(3, 10, 10));
        let fx = s.step(
            Input::Offers(vec![
                room("o1", "a1", 2),
                room("o2", "a1", 1),
                room("o3", "a2", 0),
                room("o4", "a3", 0),
            ]),
            secs(1),
        );
        // a1's two offers hold the three workers only together.
        assert_eq!(
            launches(&fx),
            [(vec!["o1".to_string(), "o2".to_string()], 3)]
        );
        assert_eq!(
            declines(&fx),
            [(vec!["o3".to_string(), "o4".to_string()], Some(5.0))]
        );
        assert_eq!(s.counters().offers_accepted, 2);
        assert_eq!(s.counters().offers_declined, 2);
        assert_eq!(s.counters().offers_paced, 0);
    }

    fn failed_with(task: &str, reason: &str, message: &str) -> TaskStatus {
        TaskStatus {
            reason: Some(reason.into()),
            message: Some(message.into()),
            ..on(task, "a1", TaskState::Failed)
        }
    }

    #[test]
    fn an_executor_that_never_registered_is_replaced_uncounted_and_halves_the_window() {
        // Any counted failure would end this cluster (maximum 0).
        for (reason, message) in [
            (
                "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
                "Executor did not register within 1mins",
            ),
            // What the genuine Mesos 1.11 agent reports when its timer
            // fires while the fetcher still runs.
            (
                "REASON_CONTAINER_LAUNCH_FAILED",
                "Failed to launch container: Container is being destroyed during fetching",
            ),
            // The same destroy, when it killed the fetcher (genuine agent).
            (
                "REASON_CONTAINER_LAUNCH_FAILED",
                "Failed to launch container: Failed to fetch all URIs for container 'c1': terminated with signal Killed",
            ),
        ] {
            let mut s = started_with(paced(8, 8, 8));
            let fx = s.step(Input::Offers(vec![room("o1", "a1", 8)]), secs(1));
            assert_eq!(launched(&fx).len(), 8);
            let fx = s.step(
                Input::Update(failed_with("taskmanager-00003", reason, message)),
                secs(70),
            );
            assert!(
                !fx.iter().any(|e| matches!(e, Effect::Exit(_))),
                "{reason}: {fx:?}"
            );
            assert_eq!(s.failed(), 0, "{reason}");
            assert_eq!(s.counters().executor_registration_timeouts, 1);
            assert_eq!(s.counters().workers_replaced_uncounted, 1);
            // Replaced at once (a New worker stored), the window halved.
            assert!(
                fx.iter()
                    .any(|e| matches!(e, Effect::Store(w) if w.state == WorkerState::New)),
                "{reason}: {fx:?}"
            );
            let p = s.pacing();
            assert_eq!(p.window, 4, "{reason}");
            assert!(
                p.last_registration_timeout
                    .as_deref()
                    .is_some_and(|w| w.contains("taskmanager-00003") && w.contains(message)),
                "{p:?}"
            );
            // 7 launching, window 4: the next offer is paced.
            let fx = s.step(Input::Offers(vec![room("o2", "a1", 8)]), secs(71));
            assert!(launches(&fx).is_empty());
            // Workers that run grow the window back (one each below 16).
            for n in [1, 2, 4, 5] {
                s.step(
                    Input::Update(on(&format!("taskmanager-{n:05}"), "a1", TaskState::Running)),
                    secs(72),
                );
            }
            assert_eq!(s.pacing().window, 8);
        }
    }

    #[test]
    fn a_fetch_that_fails_still_counts() {
        let mut s = started_with(paced(1, 8, 8));
        s.step(Input::Offers(vec![room("o1", "a1", 1)]), secs(1));
        let fx = s.step(
            Input::Update(failed_with(
                "taskmanager-00001",
                "REASON_CONTAINER_LAUNCH_FAILED",
                "Failed to launch container: Failed to fetch all URIs for container 'c1': exited with status 1",
            )),
            secs(5),
        );
        assert_eq!(s.failed(), 1);
        assert!(fx.iter().any(|e| matches!(e, Effect::Exit(_))), "{fx:?}");
        assert_eq!(s.counters().executor_registration_timeouts, 0);
    }

    /// A model of agents on a small machine: an executor takes longer to
    /// register the more executors its agent starts at the same time
    /// (`PER_CONCURRENT` each), and the agent destroys it once it misses the
    /// registration timeout. Returns the core, the most workers launching
    /// on one agent at once, and the simulated seconds until every worker
    /// ran (`None`: not within the bound).
    fn large_launch(workers: u32, agents: u32, pacing: Pacing) -> (Scheduler, u32, Option<u64>) {
        const PER_CONCURRENT_MS: u64 = 2_000;
        const REGISTRATION_TIMEOUT_MS: u64 = 60_000;
        const STEP_MS: u64 = 250;
        let mut s = started_with(Policy {
            pacing,
            ..paced(workers, 1, 1)
        });
        // task id → (agent, when it ends its launch, whether it runs then)
        let mut pending: BTreeMap<String, (String, u64, bool)> = BTreeMap::new();
        let mut max_on_agent = 0;
        let mut round = 0u64;
        for t in (0..3_600_000u64).step_by(STEP_MS as usize) {
            let now = Duration::from_millis(t);
            // Launches that end now.
            let due: Vec<String> = pending
                .iter()
                .filter(|(_, (_, at, _))| *at <= t)
                .map(|(id, _)| id.clone())
                .collect();
            for id in due {
                let (agent, _, runs) = pending.remove(&id).unwrap();
                let st = if runs {
                    on(&id, &agent, TaskState::Running)
                } else {
                    TaskStatus {
                        reason: Some("REASON_CONTAINER_LAUNCH_FAILED".into()),
                        message: Some(
                            "Failed to launch container: Container is being destroyed during fetching"
                                .into(),
                        ),
                        ..on(&id, &agent, TaskState::Failed)
                    }
                };
                s.step(Input::Update(st), now);
            }
            // Every agent offers what it has once a second (the allocation
            // interval); the paced filter (1 s) is shorter than that.
            if t % 1000 == 0 {
                round += 1;
                let offers: Vec<Offer> = (0..agents)
                    .map(|a| room(&format!("o{round}-{a}"), &format!("a{a}"), workers))
                    .collect();
                let fx = s.step(Input::Offers(offers), now);
                for c in calls(&fx) {
                    let Call::Launch { tasks, .. } = c else {
                        continue;
                    };
                    for task in tasks {
                        let agent = task.agent_id.as_str().to_string();
                        let busy = pending.values().filter(|(a, _, _)| *a == agent).count() as u64;
                        let takes = (busy + 1) * PER_CONCURRENT_MS;
                        let runs = takes < REGISTRATION_TIMEOUT_MS;
                        let ends = t + takes.min(REGISTRATION_TIMEOUT_MS);
                        pending.insert(task.task_id.as_str().to_string(), (agent, ends, runs));
                    }
                }
            }
            if t % 1000 != 0 {
                continue;
            }
            // The runtime ticks once a second.
            s.step(Input::Tick, now);
            let mut by_agent: BTreeMap<&str, u32> = BTreeMap::new();
            let mut running = 0;
            for w in s.workers() {
                match w.state {
                    WorkerState::Launched => {
                        *by_agent
                            .entry(w.agent_id.as_deref().unwrap_or(""))
                            .or_default() += 1
                    }
                    WorkerState::Running => running += 1,
                    _ => {}
                }
            }
            max_on_agent = max_on_agent.max(by_agent.values().copied().max().unwrap_or(0));
            if running == workers {
                return (s, max_on_agent, Some(t / 1000));
            }
        }
        (s, max_on_agent, None)
    }

    #[test]
    fn a_large_launch_paced_never_fails_and_stays_within_its_bounds() {
        let (s, max_on_agent, done) = large_launch(
            1_000,
            8,
            Pacing {
                per_agent: 16,
                total: 128,
            },
        );
        assert!(done.is_some(), "not all running: {:?}", s.counters());
        assert!(max_on_agent <= 16, "{max_on_agent} launching on one agent");
        assert_eq!(s.failed(), 0);
        assert_eq!(s.counters().executor_registration_timeouts, 0);
        println!(
            "numbers: 1,000 workers on 8 model agents, paced 16/128: all running after {} simulated s",
            done.unwrap()
        );
    }

    #[test]
    fn a_large_launch_that_overloads_its_agents_adapts_and_still_completes() {
        // Limits far above what the model agents absorb (30 at once): the
        // first wave misses the registration timeout; those workers are
        // replaced uncounted and the window shrinks until launches succeed.
        let (s, _, done) = large_launch(
            400,
            4,
            Pacing {
                per_agent: 400,
                total: 400,
            },
        );
        assert!(
            s.counters().executor_registration_timeouts > 0,
            "the model did not overload: {:?}",
            s.counters()
        );
        assert!(done.is_some(), "not all running: {:?}", s.counters());
        assert_eq!(s.failed(), 0, "{:?}", s.last_failure());
        println!(
            "numbers: 400 workers on 4 model agents, unpaced: {} executor registration timeouts, all running after {} simulated s",
            s.counters().executor_registration_timeouts,
            done.unwrap()
        );
    }
}
