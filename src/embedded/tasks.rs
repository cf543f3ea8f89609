//! A task's life as the embedded master sees it, and what it asks of the
//! agent: ACCEPT records the valid tasks and returns their launches; KILL
//! marks a task and returns the signal with its grace period; the
//! launcher's two steps around the spawn ([`Master::starting`],
//! [`Master::spawned`]); a removed framework's tasks end with it; the
//! agent's status updates and reconciliation answers go out on the task's
//! stream (see [`framework`](super::framework)).
//!
//! Part of the embedded single-node Mesos, a development stand-in for one
//! machine (production uses genuine Mesos), following Mesos 1.11's master
//! and command executor. Like the scheduler core (`Scheduler::step`), this
//! decides and does not act: every step runs under the master's lock and
//! returns [`Action`]s, which the caller hands to
//! [`agent::carry_out`](super::agent::carry_out) once the lock is released.
//!
//! Invariants:
//! - a task's process is signalled only through an [`Action`] returned
//!   while the task was known (its `Proc` carries the exit flag, so an
//!   ended group is never signalled);
//! - a KILL is never lost: before the launcher's spawn it stops the launch
//!   (TASK_KILLED, the command never runs); during the spawn it is carried
//!   out by [`Master::spawned`]; after it, at once;
//! - shutdown sees every process group: once `shutting_down` is set no
//!   launch spawns, and a spawn already under way is counted (`launching`)
//!   and its process kept among the dying when its task is gone.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::agent::Proc;
use super::allocator::DEFAULT_REFUSE;
use super::framework::{now_secs, uuid_text, Framework, Task, RETRY_MIN};
use super::master::{duration, valid_id, Master, RemovedFramework};
use super::proto::v1 as pb;
use super::proto::v1::scheduler as sched;
use super::resources::Resources;

use pb::task_status::{Reason, Source};
use pb::TaskState as S;

/// The command executor's grace period between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3);
/// Mesos' `--max_completed_frameworks` default.
const MAX_COMPLETED_FRAMEWORKS: usize = 50;

/// What the master asks of the agent; carried out after the lock is
/// released ([`super::agent::carry_out`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Run the task: sandbox, fetch, spawn ([`super::agent::run_task`]).
    Launch {
        framework_id: String,
        task_id: String,
    },
    /// SIGTERM to the process group now, SIGKILL after `grace` unless it
    /// exited meanwhile.
    Terminate { proc: Proc, grace: Duration },
    /// SIGKILL to the process group now (a command spawned for a task that
    /// is gone while the master shuts down).
    Kill { proc: Proc },
}

impl Master {
    /// A master-generated update for a task that never existed here
    /// (invalid offers, invalid task): no uuid, nothing to acknowledge.
    pub(super) fn master_update(
        &mut self,
        fid: &str,
        task_id: &str,
        state: S,
        reason: Reason,
        message: String,
    ) {
        let status = pb::TaskStatus {
            task_id: pb::TaskId {
                value: task_id.into(),
            },
            state: state as i32,
            message: Some(message),
            source: Some(Source::Master as i32),
            reason: Some(reason as i32),
            agent_id: Some(pb::AgentId {
                value: self.node.agent_id.clone(),
            }),
            timestamp: Some(now_secs()),
            ..Default::default()
        };
        if let Some(fw) = self.frameworks.get_mut(fid) {
            fw.send_update(status);
        }
    }

    /// ACCEPT: the valid tasks are recorded in TASK_STAGING and returned as
    /// [`Action::Launch`]; what the offers held beyond them is filtered.
    pub(super) fn accept(&mut self, fid: &str, accept: sched::call::Accept) -> Vec<Action> {
        let partition_aware = self
            .frameworks
            .get(fid)
            .is_some_and(Framework::partition_aware);
        let mut offered = Resources::default();
        let mut invalid = None;
        for o in &accept.offer_ids {
            match self.allocator.take(fid, &o.value) {
                Some(r) => offered.add(&r),
                None => invalid = invalid.or(Some(o.value.clone())),
            }
        }
        let tasks: Vec<pb::TaskInfo> = accept
            .operations
            .iter()
            .filter(|op| op.r#type == Some(pb::offer::operation::Type::Launch as i32))
            .flat_map(|op| op.launch.iter().flat_map(|l| l.task_infos.iter().cloned()))
            .collect();
        for op in &accept.operations {
            if op.r#type != Some(pb::offer::operation::Type::Launch as i32) {
                tracing::warn!(operation = ?op.r#type, "the embedded Mesos supports only LAUNCH operations; ignored");
            }
        }
        if accept.offer_ids.is_empty() && invalid.is_none() {
            invalid = Some(String::new());
        }
        if let Some(bad) = invalid {
            // All or nothing, as Mesos: the valid offers return.
            let (state, text) = if partition_aware {
                (S::TaskDropped, "TASK_DROPPED")
            } else {
                (S::TaskLost, "TASK_LOST")
            };
            let message = if bad.is_empty() {
                "Task launched with invalid offers: No offers specified".to_string()
            } else {
                format!("Task launched with invalid offers: Offer {bad} is no longer valid")
            };
            for t in &tasks {
                tracing::info!(task = %t.task_id.value, state = text, "ACCEPT with invalid offers");
                self.master_update(
                    fid,
                    &t.task_id.value,
                    state,
                    Reason::InvalidOffers,
                    message.clone(),
                );
            }
            return Vec::new();
        }
        let mut left = offered;
        let mut launches = Vec::new();
        for t in tasks {
            let task_id = t.task_id.value.clone();
            match self.validate_task(fid, &t, &left) {
                Err(message) => {
                    tracing::info!(task = %task_id, %message, "invalid task");
                    self.master_update(fid, &task_id, S::TaskError, Reason::TaskInvalid, message);
                }
                Ok(res) => {
                    left.subtract(&res);
                    let container = uuid_text();
                    let sandbox = self
                        .node
                        .work_dir
                        .join("slaves")
                        .join(&self.node.agent_id)
                        .join("frameworks")
                        .join(fid)
                        .join("executors")
                        .join(&task_id)
                        .join("runs")
                        .join(&container);
                    if let Some(fw) = self.frameworks.get_mut(fid) {
                        fw.tasks.insert(
                            task_id.clone(),
                            Task {
                                info: t,
                                resources: res,
                                state: S::TaskStaging,
                                statuses: vec![(S::TaskStaging, now_secs())],
                                pending: VecDeque::new(),
                                next_retry: None,
                                retry_interval: RETRY_MIN,
                                proc: None,
                                kill: None,
                                sandbox,
                            },
                        );
                        launches.push(Action::Launch {
                            framework_id: fid.to_string(),
                            task_id,
                        });
                    }
                }
            }
        }
        let refuse = accept
            .filters
            .and_then(|f| f.refuse_seconds)
            .unwrap_or(DEFAULT_REFUSE);
        self.allocator.refuse(fid, left, refuse, Instant::now());
        launches
    }

    pub(super) fn validate_task(
        &self,
        fid: &str,
        t: &pb::TaskInfo,
        left: &Resources,
    ) -> Result<Resources, String> {
        let id = &t.task_id.value;
        if !valid_id(id) {
            return Err(format!("Task ID '{id}' is invalid: it must be non-empty, without '/' or control characters"));
        }
        if t.agent_id.value != self.node.agent_id {
            return Err(format!(
                "Task uses agent '{}' but the offer is from agent '{}'",
                t.agent_id.value, self.node.agent_id
            ));
        }
        if self
            .frameworks
            .get(fid)
            .is_some_and(|f| f.tasks.contains_key(id))
        {
            return Err(format!("Task has duplicate ID: {id}"));
        }
        let Some(command) = &t.command else {
            return Err("Task should have at least one (but not both) of CommandInfo or ExecutorInfo present; the embedded Mesos runs CommandInfo only".into());
        };
        if command.value.as_deref().unwrap_or("").is_empty() {
            return Err("Task's CommandInfo has no 'value' (the command to run)".into());
        }
        if let Some(c) = &t.container {
            if c.r#type == pb::container_info::Type::Docker as i32 || c.docker.is_some() {
                return Err("Task asks for the Docker containerizer; the embedded Mesos runs tasks as plain local processes".into());
            }
            if c.mesos.as_ref().is_some_and(|m| m.image.is_some()) {
                return Err("Task asks for a container image; the embedded Mesos runs tasks as plain local processes".into());
            }
        }
        let res = Resources::from_pb(&t.resources)?;
        if !left.contains(&res) {
            return Err(format!(
                "Total resources {} required by task and its executor is more than available {}",
                res.to_text(),
                left.to_text()
            ));
        }
        Ok(res)
    }

    /// Appends an update to the task's stream (sent now if it is the head).
    pub fn push_update(
        &mut self,
        fid: &str,
        task_id: &str,
        state: S,
        source: Source,
        reason: Option<Reason>,
        message: Option<String>,
    ) {
        let node = self.node.clone();
        if let Some(fw) = self.frameworks.get_mut(fid) {
            fw.push_update(
                &node.agent_id,
                task_id,
                state,
                source,
                reason,
                message,
                Instant::now(),
            );
        }
    }

    pub(super) fn reconcile(&mut self, fid: &str, tasks: Vec<sched::call::reconcile::Task>) {
        let agent_id = self.node.agent_id.clone();
        let Some(fw) = self.frameworks.get_mut(fid) else {
            return;
        };
        let answer = |task_id: &str, state: S, message: &str, with_agent: bool| pb::TaskStatus {
            task_id: pb::TaskId {
                value: task_id.into(),
            },
            state: state as i32,
            message: Some(message.into()),
            source: Some(Source::Master as i32),
            reason: Some(Reason::Reconciliation as i32),
            agent_id: with_agent.then(|| pb::AgentId {
                value: agent_id.clone(),
            }),
            timestamp: Some(now_secs()),
            ..Default::default()
        };
        let mut out = Vec::new();
        if tasks.is_empty() {
            for (id, t) in &fw.tasks {
                out.push(answer(
                    id,
                    t.state,
                    "Reconciliation: Latest task state",
                    true,
                ));
            }
        } else {
            let pa = fw.partition_aware();
            for t in tasks {
                let id = t.task_id.value;
                if let Some(task) = fw.tasks.get(&id) {
                    out.push(answer(
                        &id,
                        task.state,
                        "Reconciliation: Latest task state",
                        true,
                    ));
                } else if t.agent_id.as_ref().is_some_and(|a| a.value == agent_id) {
                    let state = if pa { S::TaskGone } else { S::TaskLost };
                    out.push(answer(
                        &id,
                        state,
                        "Reconciliation: Task is unknown to the agent",
                        true,
                    ));
                } else {
                    let state = if pa { S::TaskUnknown } else { S::TaskLost };
                    out.push(answer(&id, state, "Reconciliation: Task is unknown", false));
                }
            }
        }
        for s in out {
            fw.send_update(s);
        }
    }

    /// KILL: the task is marked killed with its grace period; a spawned
    /// one is to be signalled ([`Action::Terminate`]), one not spawned yet
    /// is ended by its launcher. An unknown task is answered with
    /// reconciliation.
    pub(super) fn kill(
        &mut self,
        fid: &str,
        task_id: &str,
        agent_id: Option<String>,
        grace: Option<Duration>,
    ) -> Vec<Action> {
        let known = self.task(fid, task_id).map(Task::terminal);
        match known {
            None => {
                // Mesos answers a KILL of an unknown task with reconciliation.
                self.reconcile(
                    fid,
                    vec![sched::call::reconcile::Task {
                        task_id: pb::TaskId {
                            value: task_id.into(),
                        },
                        agent_id: agent_id.map(|value| pb::AgentId { value }),
                    }],
                );
                Vec::new()
            }
            Some(true) => Vec::new(),
            Some(false) => {
                let Some(task) = self.task_mut(fid, task_id) else {
                    return Vec::new();
                };
                if let Some(current) = task.kill {
                    // Killed again: as Mesos' command executor, escalate
                    // only to a shorter grace period given with this KILL;
                    // a repeated KILL without one changes nothing.
                    if let Some(shorter) = grace.filter(|g| *g < current) {
                        task.kill = Some(shorter);
                        if let Some(p) = &task.proc {
                            return vec![Action::Terminate {
                                proc: p.clone(),
                                grace: shorter,
                            }];
                        }
                    }
                    return Vec::new();
                }
                let grace = grace
                    .or_else(|| {
                        task.info
                            .kill_policy
                            .as_ref()
                            .and_then(|k| k.grace_period.as_ref())
                            .map(|d| duration(d.nanoseconds))
                    })
                    .unwrap_or(DEFAULT_GRACE);
                task.kill = Some(grace);
                // Not spawned yet: the launcher sees `kill` and ends it.
                self.signal_killed(fid, task_id).into_iter().collect()
            }
        }
    }

    /// For a killed task whose command runs: TASK_KILLING (to a framework
    /// that understands it, while the task is starting or running) and the
    /// signal with the task's grace period.
    pub(super) fn signal_killed(&mut self, fid: &str, task_id: &str) -> Option<Action> {
        let killing = self
            .frameworks
            .get(fid)
            .is_some_and(|f| f.has(pb::framework_info::capability::Type::TaskKillingState));
        let task = self.task(fid, task_id)?;
        let grace = task.kill?;
        let proc = task.proc.clone()?;
        if killing && matches!(task.state, S::TaskRunning | S::TaskStarting) {
            self.push_update(fid, task_id, S::TaskKilling, Source::Executor, None, None);
        }
        Some(Action::Terminate { proc, grace })
    }

    /// The launcher is about to spawn the command of this run of the task
    /// (the one with this sandbox). `true`: it may (TASK_STARTING is sent,
    /// and the launch counts as under way until [`Master::spawned`]);
    /// `false`: it was killed or is gone meanwhile (TASK_KILLED is sent if
    /// it is still known) and the command must not run.
    pub fn starting(&mut self, fid: &str, task_id: &str, sandbox: &std::path::Path) -> bool {
        let runnable = !self.shutting_down
            && self
                .task(fid, task_id)
                .is_some_and(|t| t.kill.is_none() && t.sandbox == sandbox);
        if !runnable {
            self.push_update(
                fid,
                task_id,
                S::TaskKilled,
                Source::Agent,
                Some(Reason::TaskKilledDuringLaunch),
                Some("Task killed before it was launched".into()),
            );
            return false;
        }
        // Mesos' command executor reports STARTING once it runs, RUNNING
        // once the command is forked.
        self.push_update(fid, task_id, S::TaskStarting, Source::Executor, None, None);
        self.launching += 1;
        true
    }

    /// The launcher spawned the command (`Some`: its process group) or
    /// failed to (`None`; it reports that itself). A spawned task is
    /// RUNNING; a KILL that came while it was spawning is carried out now;
    /// a command whose task is gone meanwhile (framework removed, shutdown)
    /// is killed.
    #[must_use = "the actions must be carried out (after the lock is released)"]
    pub fn spawned(
        &mut self,
        fid: &str,
        task_id: &str,
        sandbox: &std::path::Path,
        proc: Option<Proc>,
    ) -> Vec<Action> {
        self.launching = self.launching.saturating_sub(1);
        let Some(proc) = proc else {
            return Vec::new();
        };
        let known = self.task_mut(fid, task_id).filter(|t| t.sandbox == sandbox);
        let Some(task) = known else {
            self.dying.push(proc.clone());
            return vec![if self.shutting_down {
                Action::Kill { proc }
            } else {
                Action::Terminate {
                    proc,
                    grace: DEFAULT_GRACE,
                }
            }];
        };
        task.proc = Some(proc);
        self.push_update(fid, task_id, S::TaskRunning, Source::Executor, None, None);
        self.signal_killed(fid, task_id).into_iter().collect()
    }

    /// Kills every task of the framework and forgets it.
    #[must_use = "the actions must be carried out (after the lock is released)"]
    pub fn remove_framework(&mut self, fid: &str, why: &str) -> Vec<Action> {
        let Some(mut fw) = self.frameworks.remove(fid) else {
            return Vec::new();
        };
        tracing::info!(framework = %fid, why, tasks = fw.tasks.len(), "removing the framework");
        let mut actions = Vec::new();
        for task in fw.tasks.values_mut() {
            task.kill.get_or_insert(DEFAULT_GRACE);
            if let Some(p) = &task.proc {
                actions.push(Action::Terminate {
                    proc: p.clone(),
                    grace: DEFAULT_GRACE,
                });
                self.dying.push(p.clone());
            }
        }
        self.dying.retain(|p| !p.has_exited());
        // The stream ends: dropping the sender closes it.
        fw.conn = None;
        self.allocator.forget(fid);
        // Its tasks end with it: the ones still running as TASK_KILLED.
        let tasks = std::mem::take(&mut fw.tasks);
        for (id, task) in &tasks {
            let state = if task.terminal() {
                task.state
            } else {
                S::TaskKilled
            };
            fw.complete(&self.node, id, task, state);
        }
        if self.removed.len() >= MAX_COMPLETED_FRAMEWORKS {
            // Its id stays refused; only what `/master/state` shows goes.
            self.removed.remove(0);
        }
        self.removed_ids.insert(fid.to_string());
        self.removed.push(RemovedFramework {
            id: fid.to_string(),
            name: fw.info.name.clone(),
            completed: fw.completed.into_iter().collect(),
        });
        actions
    }

    /// Every task process, for shutdown (every task counts as killed now).
    pub fn all_procs(&mut self) -> Vec<Proc> {
        let mut out: Vec<Proc> = self.dying.drain(..).collect();
        for fw in self.frameworks.values_mut() {
            for t in fw.tasks.values_mut() {
                t.kill.get_or_insert(Duration::ZERO);
                if let Some(p) = &t.proc {
                    out.push(p.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::master::tests::master;
    use crate::embedded::master::Subscribed;
    use bytes::Bytes;
    use prost::Message;
    use tokio::sync::mpsc;

    /// A subscribed framework: its id, stream id and event queue.
    struct Fw {
        id: String,
        stream_id: String,
        rx: mpsc::Receiver<Bytes>,
    }

    fn subscribe(m: &mut Master, capabilities: &[pb::framework_info::capability::Type]) -> Fw {
        let sub = sched::call::Subscribe {
            framework_info: pb::FrameworkInfo {
                user: "u".into(),
                name: "n".into(),
                failover_timeout: Some(1.0),
                capabilities: capabilities
                    .iter()
                    .map(|c| pb::framework_info::Capability {
                        r#type: Some(*c as i32),
                    })
                    .collect(),
                ..Default::default()
            },
            suppressed_roles: vec![],
        };
        let Ok(Subscribed::Stream {
            stream_id,
            rx,
            framework_id,
        }) = m.subscribe(sub, None)
        else {
            panic!("subscribe failed");
        };
        Fw {
            id: framework_id,
            stream_id,
            rx,
        }
    }

    /// The events queued for `fw` so far.
    fn events(fw: &mut Fw) -> Vec<sched::Event> {
        let mut out = Vec::new();
        while let Ok(record) = fw.rx.try_recv() {
            let text = String::from_utf8_lossy(&record);
            let (len, _) = text.split_once('\n').unwrap();
            let body = &record[len.len() + 1..];
            out.push(sched::Event::decode(body).unwrap());
        }
        out
    }

    fn states(events: &[sched::Event], task: &str) -> Vec<S> {
        events
            .iter()
            .filter_map(|e| e.update.as_ref())
            .filter(|u| u.status.task_id.value == task)
            .map(|u| u.status.state())
            .collect()
    }

    fn call(m: &mut Master, fw: &Fw, mut call: sched::Call) -> Vec<Action> {
        call.framework_id = Some(pb::FrameworkId {
            value: fw.id.clone(),
        });
        m.call(call, Some(&fw.stream_id)).unwrap()
    }

    /// ACCEPTs the first offer with one `sleep` task; the launch action.
    fn launch(m: &mut Master, fw: &mut Fw, task: &str) -> Vec<Action> {
        let _ = m.tick(Instant::now());
        let offer = events(fw)
            .into_iter()
            .find_map(|e| e.offers)
            .and_then(|o| o.offers.into_iter().next())
            .expect("an offer");
        let info = pb::TaskInfo {
            name: task.into(),
            task_id: pb::TaskId { value: task.into() },
            agent_id: offer.agent_id.clone(),
            resources: Resources::parse("cpus:0.5;mem:64").unwrap().to_pb(None),
            command: Some(pb::CommandInfo {
                value: Some("sleep 60".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        call(
            m,
            fw,
            sched::Call {
                r#type: Some(sched::call::Type::Accept as i32),
                accept: Some(sched::call::Accept {
                    offer_ids: vec![offer.id],
                    operations: vec![pb::offer::Operation {
                        r#type: Some(pb::offer::operation::Type::Launch as i32),
                        launch: Some(pb::offer::operation::Launch {
                            task_infos: vec![info],
                        }),
                        ..Default::default()
                    }],
                    filters: None,
                }),
                ..Default::default()
            },
        )
    }

    fn kill(m: &mut Master, fw: &Fw, task: &str, grace: Option<Duration>) -> Vec<Action> {
        call(
            m,
            fw,
            sched::Call {
                r#type: Some(sched::call::Type::Kill as i32),
                kill: Some(sched::call::Kill {
                    task_id: pb::TaskId { value: task.into() },
                    agent_id: None,
                    kill_policy: grace.map(|g| pb::KillPolicy {
                        grace_period: Some(pb::DurationInfo {
                            nanoseconds: i64::try_from(g.as_nanos()).unwrap(),
                        }),
                    }),
                }),
                ..Default::default()
            },
        )
    }

    fn sandbox_of(m: &Master, fw: &Fw, task: &str) -> std::path::PathBuf {
        m.task(&fw.id, task).unwrap().sandbox.clone()
    }

    /// Starts the launch of `task` as its launcher would: a process group
    /// that is no real one (nothing could be signalled even by mistake).
    fn start(m: &mut Master, fw: &Fw, task: &str) -> (Proc, Vec<Action>) {
        let sandbox = sandbox_of(m, fw, task);
        assert!(m.starting(&fw.id, task, &sandbox));
        let proc = Proc::new(0);
        let actions = m.spawned(&fw.id, task, &sandbox, Some(proc.clone()));
        (proc, actions)
    }

    #[test]
    fn accept_returns_the_launch_and_kill_returns_the_signal_with_its_grace() {
        let mut m = master();
        let mut fw = subscribe(
            &mut m,
            &[pb::framework_info::capability::Type::TaskKillingState],
        );
        assert_eq!(
            launch(&mut m, &mut fw, "t1"),
            vec![Action::Launch {
                framework_id: fw.id.clone(),
                task_id: "t1".into()
            }]
        );
        let (proc, actions) = start(&mut m, &fw, "t1");
        assert_eq!(actions, vec![]);
        assert_eq!(m.launching, 0);
        assert_eq!(states(&events(&mut fw), "t1"), vec![S::TaskStarting]);
        // Acknowledging STARTING lets RUNNING out.
        let starting_uuid = m.task(&fw.id, "t1").unwrap().pending[0].uuid.clone();
        let _ = call(
            &mut m,
            &fw,
            sched::Call {
                r#type: Some(sched::call::Type::Acknowledge as i32),
                acknowledge: Some(sched::call::Acknowledge {
                    agent_id: pb::AgentId::default(),
                    task_id: pb::TaskId { value: "t1".into() },
                    uuid: starting_uuid.unwrap(),
                }),
                ..Default::default()
            },
        );
        assert_eq!(states(&events(&mut fw), "t1"), vec![S::TaskRunning]);

        let grace = Duration::from_secs(30);
        assert_eq!(
            kill(&mut m, &fw, "t1", Some(grace)),
            vec![Action::Terminate {
                proc: proc.clone(),
                grace
            }]
        );
        // A repeat without a shorter grace period asks for nothing; a
        // shorter one escalates.
        assert_eq!(kill(&mut m, &fw, "t1", None), vec![]);
        assert_eq!(kill(&mut m, &fw, "t1", Some(grace * 2)), vec![]);
        let shorter = Duration::from_millis(200);
        assert_eq!(
            kill(&mut m, &fw, "t1", Some(shorter)),
            vec![Action::Terminate {
                proc,
                grace: shorter
            }]
        );
    }

    #[test]
    fn a_kill_before_the_spawn_stops_the_launch_and_one_during_it_signals_after_it() {
        let mut m = master();
        let mut fw = subscribe(
            &mut m,
            &[pb::framework_info::capability::Type::TaskKillingState],
        );
        let _ = launch(&mut m, &mut fw, "early");
        // Before the launcher got to spawning: nothing to signal, and the
        // command never runs.
        assert_eq!(kill(&mut m, &fw, "early", None), vec![]);
        let early = sandbox_of(&m, &fw, "early");
        assert!(!m.starting(&fw.id, "early", &early));
        assert_eq!(m.launching, 0);
        assert_eq!(states(&events(&mut fw), "early"), vec![S::TaskKilled]);

        let mut m = master();
        let mut fw = subscribe(
            &mut m,
            &[pb::framework_info::capability::Type::TaskKillingState],
        );
        let _ = launch(&mut m, &mut fw, "t");
        let sandbox = sandbox_of(&m, &fw, "t");
        assert!(m.starting(&fw.id, "t", &sandbox));
        assert_eq!(m.launching, 1);
        // While it spawns: the task is marked, nothing is signalled yet.
        assert_eq!(kill(&mut m, &fw, "t", Some(Duration::from_secs(7))), vec![]);
        let proc = Proc::new(0);
        assert_eq!(
            m.spawned(&fw.id, "t", &sandbox, Some(proc.clone())),
            vec![Action::Terminate {
                proc,
                grace: Duration::from_secs(7)
            }]
        );
        assert_eq!(m.launching, 0);
        // STARTING is pending: RUNNING and KILLING wait for its
        // acknowledgement, in order.
        let t = m.task(&fw.id, "t").unwrap();
        let pending: Vec<S> = t.pending.iter().map(pb::TaskStatus::state).collect();
        assert_eq!(
            pending,
            vec![S::TaskStarting, S::TaskRunning, S::TaskKilling]
        );
    }

    #[test]
    fn teardown_and_the_failover_timeout_return_the_signals_of_every_task() {
        let mut m = master();
        let mut fw = subscribe(&mut m, &[]);
        let _ = launch(&mut m, &mut fw, "a");
        let (proc, _) = start(&mut m, &fw, "a");
        let torn_down = call(
            &mut m,
            &fw,
            sched::Call {
                r#type: Some(sched::call::Type::Teardown as i32),
                ..Default::default()
            },
        );
        assert_eq!(
            torn_down,
            vec![Action::Terminate {
                proc: proc.clone(),
                grace: DEFAULT_GRACE
            }]
        );
        assert!(m.frameworks.is_empty());
        assert_eq!(m.all_procs(), vec![proc], "shutdown still sees it");

        let mut m = master();
        let mut fw = subscribe(&mut m, &[]);
        let _ = launch(&mut m, &mut fw, "b");
        let (proc, _) = start(&mut m, &fw, "b");
        m.disconnected(&fw.id, &fw.stream_id);
        assert_eq!(
            m.tick(Instant::now()),
            vec![],
            "within the failover timeout"
        );
        assert_eq!(
            m.tick(Instant::now() + Duration::from_secs(2)),
            vec![Action::Terminate {
                proc,
                grace: DEFAULT_GRACE
            }]
        );
        assert!(m.frameworks.is_empty());
    }

    #[test]
    fn a_command_spawned_for_a_task_that_is_gone_is_killed() {
        let mut m = master();
        let mut fw = subscribe(&mut m, &[]);
        let _ = launch(&mut m, &mut fw, "t");
        let sandbox = sandbox_of(&m, &fw, "t");
        assert!(m.starting(&fw.id, "t", &sandbox));
        let _ = m.remove_framework(&fw.id, "test");
        let proc = Proc::new(0);
        assert_eq!(
            m.spawned(&fw.id, "t", &sandbox, Some(proc.clone())),
            vec![Action::Terminate {
                proc: proc.clone(),
                grace: DEFAULT_GRACE
            }]
        );
        assert_eq!(m.all_procs(), vec![proc]);

        // Shutting down: at once, and shutdown finds it among the dying.
        let mut m = master();
        let mut fw = subscribe(&mut m, &[]);
        let _ = launch(&mut m, &mut fw, "t");
        let sandbox = sandbox_of(&m, &fw, "t");
        assert!(m.starting(&fw.id, "t", &sandbox));
        m.shutting_down = true;
        let _ = m.all_procs();
        m.frameworks.clear();
        let proc = Proc::new(0);
        assert_eq!(
            m.spawned(&fw.id, "t", &sandbox, Some(proc.clone())),
            vec![Action::Kill { proc: proc.clone() }]
        );
        assert_eq!(m.launching, 0);
        assert_eq!(m.all_procs(), vec![proc]);
    }
}
