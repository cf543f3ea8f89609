//! The scheduler core: the worker lifecycle as a pure state machine.
//!
//! `Scheduler::step(input, now) -> Vec<Effect>`; no I/O, time is an input.
//! The runtime (`src/appmaster/`) executes the effects in order. Ordering is
//! the persistence invariant: a worker's new state is always emitted as
//! [`Effect::Store`] *before* the call that acts on it (Launched before the
//! ACCEPT that launches it, Released before the KILL), so that a crash at any
//! point leaves a stored state that reconciliation repairs.
//!
//! Lifecycle: `New` (wanted, persisted, waiting for an offer) → `Launched`
//! (ACCEPTed on an agent) → `Running` → gone. A terminal status that we did
//! not ask for makes the worker Failed: it is removed, counted against
//! `mesos.maximum-failed-tasks`, and replaced after a capped backoff.
//! `Released` workers are being killed on purpose and are not replaced.
//!
//! Offers are never held: each offer is answered in the step that receives
//! it, either by one ACCEPT (LAUNCH) or by one DECLINE with the configured
//! refuse filter. Offers are suppressed while no worker is pending.

pub mod matching;
pub mod task;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::mesos::{AgentId, Call, Offer, OfferId, ReconcileTask, TaskId, TaskState, TaskStatus};
use matching::{unmet_constraint, Remaining, WorkerResources};
use task::TaskTemplate;

/// Cluster-wide policy from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `mesos.initial-tasks`: workers to keep alive.
    pub desired: u32,
    /// `mesos.maximum-failed-tasks`; `None` never fails the cluster.
    pub max_failed: Option<u32>,
    /// The framework role: resources reserved for it are used first.
    pub role: String,
    /// `mesos.constraints.hard.hostattribute`.
    pub constraints: Vec<(String, String)>,
    /// `mesos.resourcemanager.declined-offer-refuse-duration`.
    pub refuse: Duration,
    /// A worker in Launched longer than this is reconciled explicitly.
    pub staging_timeout: Duration,
    /// First replacement delay after a failure; doubles up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub resources: WorkerResources,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerState {
    New,
    Launched,
    Running,
    Released,
}

/// One worker as persisted in the store (readable, versioned by the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    pub task_id: String,
    pub state: WorkerState,
    pub agent_id: Option<String>,
    pub hostname: Option<String>,
    /// `(configuration key, port)` assigned from the offer.
    pub ports: Vec<(String, u16)>,
}

// Inputs are moved once into `step`; boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Workers read from the store at start-up (before the first Subscribed).
    Recovered {
        workers: Vec<Worker>,
        next_task_number: u64,
    },
    /// (Re-)subscribed to the master: reconcile and ask for what is missing.
    Subscribed,
    Disconnected,
    Offers(Vec<Offer>),
    Rescind(OfferId),
    Update(TaskStatus),
    /// Time passes (the runtime ticks about once a second).
    Tick,
    /// Stop: kill everything and tear the framework down, or leave it running.
    Shutdown {
        teardown: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Persist this worker (insert or replace) before acting on it.
    Store(Worker),
    /// Remove a worker from the store.
    Remove(String),
    /// Persist the next task number (before the id is used).
    StoreNextTaskNumber(u64),
    /// Send this call to the master.
    Call(Call),
    /// The cluster is finished: exit with this outcome.
    Exit(Outcome),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Shut down as asked.
    Stopped,
    /// Too many workers failed.
    TooManyFailures {
        failed: u32,
        limit: u32,
        last: String,
    },
}

/// Counters for /metrics and /status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub offers_received: u64,
    pub offers_accepted: u64,
    pub offers_declined: u64,
    pub offers_rescinded: u64,
    pub workers_launched: u64,
    pub workers_failed: u64,
    pub unknown_tasks_killed: u64,
}

#[derive(Debug, Clone)]
struct Live {
    worker: Worker,
    /// When it entered its current state.
    since: Duration,
    /// When it was last reconciled because it stayed in Launched.
    reconciled_at: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Scheduler {
    policy: Policy,
    template: TaskTemplate,
    workers: BTreeMap<String, Live>,
    next_task_number: u64,
    failed: u32,
    /// No replacement before this time (backoff after failures).
    replace_after: Duration,
    consecutive_failures: u32,
    connected: bool,
    suppressed: bool,
    stopping: bool,
    counters: Counters,
    /// Why the last offers could not be used, by host, for /status.
    unmatched: BTreeMap<String, String>,
    last_failure: Option<String>,
}

impl Scheduler {
    pub fn new(policy: Policy, template: TaskTemplate) -> Scheduler {
        Scheduler {
            policy,
            template,
            workers: BTreeMap::new(),
            next_task_number: 1,
            failed: 0,
            replace_after: Duration::ZERO,
            consecutive_failures: 0,
            connected: false,
            suppressed: false,
            stopping: false,
            counters: Counters::default(),
            unmatched: BTreeMap::new(),
            last_failure: None,
        }
    }

    pub fn workers(&self) -> impl Iterator<Item = &Worker> {
        self.workers.values().map(|l| &l.worker)
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn failed(&self) -> u32 {
        self.failed
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Why offers were not used, by host (the latest reason per host).
    pub fn unmatched(&self) -> &BTreeMap<String, String> {
        &self.unmatched
    }

    pub fn last_failure(&self) -> Option<&str> {
        self.last_failure.as_deref()
    }

    fn count(&self, state: WorkerState) -> usize {
        self.workers
            .values()
            .filter(|l| l.worker.state == state)
            .count()
    }

    /// Workers that are wanted and not Released.
    fn alive(&self) -> usize {
        self.workers
            .values()
            .filter(|l| l.worker.state != WorkerState::Released)
            .count()
    }

    pub fn step(&mut self, input: Input, now: Duration) -> Vec<Effect> {
        let mut fx = Vec::new();
        match input {
            Input::Recovered {
                workers,
                next_task_number,
            } => self.recover(workers, next_task_number, now, &mut fx),
            Input::Subscribed => {
                self.connected = true;
                self.reconcile_all(now, &mut fx);
                for l in self
                    .workers
                    .values()
                    .filter(|l| l.worker.state == WorkerState::Released)
                {
                    fx.push(Effect::Call(kill(&l.worker)));
                }
                // Whether the master suppresses our offers after a
                // (re-)subscription is not ours to know: the driver
                // re-subscribes suppressed after a SUPPRESS. Assume the
                // opposite of what is needed, so that `adjust_offer_flow`
                // sends one explicit REVIVE (pending) or SUPPRESS (idle).
                self.suppressed = self.count(WorkerState::New) > 0;
            }
            Input::Disconnected => self.connected = false,
            Input::Offers(offers) => self.offers(offers, now, &mut fx),
            Input::Rescind(_) => self.counters.offers_rescinded += 1,
            Input::Update(status) => self.update(status, now, &mut fx),
            Input::Tick => self.tick(now, &mut fx),
            Input::Shutdown { teardown } => {
                self.stopping = true;
                if teardown {
                    for l in self.workers.values_mut() {
                        l.worker.state = WorkerState::Released;
                    }
                    for id in self.workers.keys() {
                        fx.push(Effect::Remove(id.clone()));
                    }
                    self.workers.clear();
                    fx.push(Effect::Call(Call::Teardown));
                }
                fx.push(Effect::Exit(Outcome::Stopped));
                return fx;
            }
        }
        if !self.stopping {
            self.top_up(now, &mut fx);
            self.adjust_offer_flow(&mut fx);
        }
        fx
    }

    fn recover(
        &mut self,
        workers: Vec<Worker>,
        next_task_number: u64,
        now: Duration,
        fx: &mut Vec<Effect>,
    ) {
        self.next_task_number = self.next_task_number.max(next_task_number);
        for w in workers {
            // Never reuse a task id, even one the stored counter missed.
            if let Some(n) = task_number(&w.task_id) {
                self.next_task_number = self.next_task_number.max(n + 1);
            }
            match w.state {
                // New workers were never launched: drop them, top_up re-creates.
                WorkerState::New => fx.push(Effect::Remove(w.task_id.clone())),
                _ => {
                    self.workers.insert(
                        w.task_id.clone(),
                        Live {
                            worker: w,
                            since: now,
                            reconciled_at: None,
                        },
                    );
                }
            }
        }
    }

    fn reconcile_all(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        let tasks: Vec<ReconcileTask> = self
            .workers
            .values()
            .filter(|l| matches!(l.worker.state, WorkerState::Launched | WorkerState::Running))
            .map(|l| ReconcileTask {
                task_id: TaskId::new(&l.worker.task_id),
                agent_id: l.worker.agent_id.as_ref().map(AgentId::new),
            })
            .collect();
        if !tasks.is_empty() {
            fx.push(Effect::Call(Call::Reconcile { tasks }));
        }
        // Implicit reconciliation: the master reports every task of ours it
        // knows, so that tasks missing from the store are found and killed.
        fx.push(Effect::Call(Call::Reconcile { tasks: Vec::new() }));
        for l in self.workers.values_mut() {
            l.reconciled_at = Some(now);
        }
    }

    /// Creates New workers until `desired` are alive (unless backing off).
    fn top_up(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        if now < self.replace_after {
            return;
        }
        while self.alive() < self.policy.desired as usize {
            let n = self.next_task_number;
            self.next_task_number += 1;
            fx.push(Effect::StoreNextTaskNumber(self.next_task_number));
            let worker = Worker {
                task_id: format!("taskmanager-{n:05}"),
                state: WorkerState::New,
                agent_id: None,
                hostname: None,
                ports: Vec::new(),
            };
            fx.push(Effect::Store(worker.clone()));
            self.workers.insert(
                worker.task_id.clone(),
                Live {
                    worker,
                    since: now,
                    reconciled_at: None,
                },
            );
        }
    }

    fn adjust_offer_flow(&mut self, fx: &mut Vec<Effect>) {
        if !self.connected {
            return;
        }
        let pending = self.count(WorkerState::New) > 0;
        if pending && self.suppressed {
            self.suppressed = false;
            fx.push(Effect::Call(Call::Revive { roles: Vec::new() }));
        } else if !pending && !self.suppressed {
            self.suppressed = true;
            fx.push(Effect::Call(Call::Suppress { roles: Vec::new() }));
        }
    }

    fn refuse_seconds(&self) -> Option<f64> {
        Some(self.policy.refuse.as_secs_f64())
    }

    fn offers(&mut self, offers: Vec<Offer>, now: Duration, fx: &mut Vec<Effect>) {
        for offer in offers {
            self.counters.offers_received += 1;
            let mut tasks = Vec::new();
            if !self.stopping {
                tasks = self.fit(&offer, now, fx);
            }
            if tasks.is_empty() {
                self.counters.offers_declined += 1;
                fx.push(Effect::Call(Call::Decline {
                    offer_ids: vec![offer.id.clone()],
                    refuse_seconds: self.refuse_seconds(),
                }));
            } else {
                self.counters.offers_accepted += 1;
                fx.push(Effect::Call(Call::Launch {
                    offer_ids: vec![offer.id.clone()],
                    tasks,
                    refuse_seconds: self.refuse_seconds(),
                }));
            }
        }
    }

    /// Fits as many New workers into `offer` as possible; stores each as
    /// Launched (before the caller's ACCEPT) and returns their TaskInfos.
    fn fit(
        &mut self,
        offer: &Offer,
        now: Duration,
        fx: &mut Vec<Effect>,
    ) -> Vec<crate::mesos::TaskInfo> {
        let pending: Vec<String> = self
            .workers
            .values()
            .filter(|l| l.worker.state == WorkerState::New)
            .map(|l| l.worker.task_id.clone())
            .collect();
        if pending.is_empty() {
            return Vec::new();
        }
        if let Some(why) = unmet_constraint(&offer.attributes, &self.policy.constraints) {
            self.unmatched.insert(offer.hostname.clone(), why);
            return Vec::new();
        }
        let mut remaining = Remaining::new(offer, &self.policy.role);
        let mut tasks = Vec::new();
        for id in pending {
            match remaining.take(&self.policy.resources) {
                Ok(allocation) => {
                    let task_id = TaskId::new(&id);
                    let info = self.template.build(&task_id, &offer.agent_id, &allocation);
                    let Some(live) = self.workers.get_mut(&id) else {
                        continue;
                    };
                    live.worker.state = WorkerState::Launched;
                    live.worker.agent_id = Some(offer.agent_id.as_str().to_string());
                    live.worker.hostname = Some(offer.hostname.clone());
                    live.worker.ports = allocation.ports.clone();
                    live.since = now;
                    live.reconciled_at = None;
                    fx.push(Effect::Store(live.worker.clone()));
                    self.counters.workers_launched += 1;
                    tasks.push(info);
                }
                Err(why) => {
                    if tasks.is_empty() {
                        self.unmatched.insert(offer.hostname.clone(), why);
                    }
                    break;
                }
            }
        }
        if !tasks.is_empty() {
            self.unmatched.remove(&offer.hostname);
        }
        tasks
    }

    fn update(&mut self, status: TaskStatus, now: Duration, fx: &mut Vec<Effect>) {
        let id = status.task_id.as_str().to_string();
        let ack = status.acknowledgement().map(Effect::Call);
        let Some(live) = self.workers.get_mut(&id) else {
            // Not ours (or already gone): kill it if it still runs.
            if !status.state.is_terminal() {
                self.counters.unknown_tasks_killed += 1;
                fx.push(Effect::Call(Call::Kill {
                    task_id: status.task_id.clone(),
                    agent_id: status.agent_id.clone(),
                    grace_period: None,
                }));
            }
            fx.extend(ack);
            return;
        };
        match status.state {
            TaskState::Running if live.worker.state == WorkerState::Launched => {
                live.worker.state = WorkerState::Running;
                live.since = now;
                if live.worker.agent_id.is_none() {
                    live.worker.agent_id = status.agent_id.as_ref().map(|a| a.as_str().to_string());
                }
                fx.push(Effect::Store(live.worker.clone()));
                self.consecutive_failures = 0;
            }
            state
                if state.is_terminal()
                    || state == TaskState::Unreachable
                    || state == TaskState::Unknown =>
            {
                let released = live.worker.state == WorkerState::Released;
                let was_new = live.worker.state == WorkerState::New;
                // A New worker has no task yet: a status for it is stale.
                if was_new {
                    fx.extend(ack);
                    return;
                }
                self.workers.remove(&id);
                fx.push(Effect::Remove(id.clone()));
                // A TaskManager never ends on its own: any end we did not ask
                // for (FINISHED included) is a failure.
                if !released {
                    self.failed += 1;
                    self.counters.workers_failed += 1;
                    self.consecutive_failures += 1;
                    let why = format!(
                        "worker {id} {}{}",
                        state,
                        status
                            .message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    );
                    self.last_failure = Some(why.clone());
                    let backoff = backoff(
                        self.policy.backoff_base,
                        self.policy.backoff_max,
                        self.consecutive_failures,
                    );
                    self.replace_after = now + backoff;
                    if let Some(limit) = self.policy.max_failed {
                        if self.failed > limit {
                            self.stopping = true;
                            fx.extend(ack);
                            // Stop the cluster: the master kills every task of a
                            // torn-down framework.
                            for id in std::mem::take(&mut self.workers).into_keys() {
                                fx.push(Effect::Remove(id));
                            }
                            fx.push(Effect::Call(Call::Teardown));
                            fx.push(Effect::Exit(Outcome::TooManyFailures {
                                failed: self.failed,
                                limit,
                                last: why,
                            }));
                            return;
                        }
                    }
                }
            }
            _ => {}
        }
        fx.extend(ack);
    }

    fn tick(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        if !self.connected {
            return;
        }
        let timeout = self.policy.staging_timeout;
        let stuck: Vec<ReconcileTask> = self
            .workers
            .values_mut()
            .filter(|l| l.worker.state == WorkerState::Launched)
            .filter(|l| now.saturating_sub(l.reconciled_at.unwrap_or(l.since)) >= timeout)
            .map(|l| {
                l.reconciled_at = Some(now);
                ReconcileTask {
                    task_id: TaskId::new(&l.worker.task_id),
                    agent_id: l.worker.agent_id.as_ref().map(AgentId::new),
                }
            })
            .collect();
        if !stuck.is_empty() {
            fx.push(Effect::Call(Call::Reconcile { tasks: stuck }));
        }
    }
}

fn kill(w: &Worker) -> Call {
    Call::Kill {
        task_id: TaskId::new(&w.task_id),
        agent_id: w.agent_id.as_ref().map(AgentId::new),
        grace_period: None,
    }
}

/// `taskmanager-00042` → 42.
pub fn task_number(task_id: &str) -> Option<u64> {
    task_id.strip_prefix("taskmanager-")?.parse().ok()
}

/// Capped exponential backoff: base · 2^(n-1), at most `max`. Jitter is the
/// runtime's business (it owns randomness); the core stays deterministic.
pub fn backoff(base: Duration, max: Duration, n: u32) -> Duration {
    if n == 0 {
        return Duration::ZERO;
    }
    base.saturating_mul(1u32 << (n - 1).min(20)).min(max)
}
