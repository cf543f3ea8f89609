//! The scheduler core: the worker lifecycle as a pure state machine.
//!
//! `Scheduler::step(input, now) -> Vec<Effect>`; no I/O, time is an input.
//! The runtime (`src/appmaster/`) executes the effects in order and feeds the
//! calls the master did not take back as [`Input::CallFailed`]. Ordering is
//! the persistence invariant: a worker's new state is always emitted as
//! [`Effect::Store`] *before* the call that acts on it (Launched before the
//! ACCEPT that launches it, Released before the KILL), so that a crash at any
//! point leaves a stored state that reconciliation repairs.
//!
//! Lifecycle: `New` (wanted, persisted, waiting for an offer) → `Launched`
//! (ACCEPTed on an agent) → `Running` → gone. `Released` workers are being
//! killed on purpose and are not replaced; their KILL is repeated until a
//! terminal status arrives.
//!
//! Promises kept here, whatever the master does (each has a timer in
//! [`Timers`], checked on [`Input::Tick`]):
//! * **Offers flow while workers are pending.** After every (re-)subscription
//!   and after a failed REVIVE/SUPPRESS the master's suppression state is
//!   unknown, and the core sends the call it needs (decided after new workers
//!   are created). While workers are pending and no offer arrives, REVIVE is
//!   repeated every `revive_interval`.
//! * **No worker hangs in Launched.** A worker silent for `staging_timeout`
//!   is reconciled; one not RUNNING after `launch_timeout` is released
//!   (killed) and replaced.
//! * **Reconciliation is answered.** Explicit reconciliation is repeated with
//!   backoff until every worker asked about has had a status update, and
//!   restarted every `reconcile_interval`.
//! * **Only the TaskManager's own failures count** against
//!   `mesos.maximum-failed-tasks` (see [`blames_the_worker`]): launches the
//!   master never saw, rescinded offers and the like are replaced uncounted.
//!   A terminal state that only answers reconciliation (the latest state,
//!   without its reason) ends nothing: the task's own update, which Mesos
//!   delivers because it is not acknowledged yet, decides within
//!   `latest_state_wait` (without it: replaced uncounted).
//! * **Partitions are not failures.** TASK_UNREACHABLE keeps the worker; it
//!   counts and is replaced only on TASK_GONE or after `unreachable_timeout`.
//! * **Offers are never held**: each offer is answered in the step that
//!   receives it, by one ACCEPT (LAUNCH) or one DECLINE with the configured
//!   refuse filter; a DECLINE or ACCEPT that fails is followed by a DECLINE of
//!   its offers on the next tick.
//! * **Task ids are never reused**: the counter is persisted before an id is
//!   used, and after recovery it is beyond every stored id.

pub mod command;
pub mod elastic;
pub mod matching;
pub mod starvation;
pub mod task;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::mesos::{AgentId, Call, Offer, OfferId, ReconcileTask, TaskId, TaskState, TaskStatus};
use elastic::{Elastic, FlinkView, Slots};
use matching::{unmet_constraint, Remaining, WorkerResources};
use starvation::{Starvation, Unsatisfiable};
use task::TaskTemplate;

/// Cluster-wide policy from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The floor: workers to keep alive whatever the demand
    /// (`mesos.initial-tasks`, or the slots of
    /// `slotmanager.number-of-slots.min`), until `workers scale` sets it.
    pub desired: u32,
    /// Follow the JobManager's demand (see [`elastic`]); `None`: a fixed
    /// pool of `desired` workers.
    pub elastic: Option<Elastic>,
    /// `mesos.maximum-failed-tasks`; `None` never fails the cluster.
    pub max_failed: Option<u32>,
    /// The framework role: resources reserved for it (or for a parent role of
    /// it) are used first.
    pub role: String,
    /// `mesos.constraints.hard.hostattribute`.
    pub constraints: Vec<(String, String)>,
    /// `mesos.resourcemanager.declined-offer-refuse-duration`.
    pub refuse: Duration,
    /// A worker in Launched without any status update this long is
    /// reconciled explicitly.
    pub staging_timeout: Duration,
    /// First replacement delay after a failure; doubles up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub resources: WorkerResources,
    pub timers: Timers,
    /// How many workers may be launching at once (see [`Pacing`]).
    pub pacing: Pacing,
}

/// Launch pacing: bounds on the workers that are launching (ACCEPTed, not
/// yet RUNNING: the agent fetches, starts the executor, the executor
/// registers) per agent and in total. An agent that starts more executors
/// than its machine absorbs makes them miss Mesos' executor registration
/// timeout (`--executor_registration_timeout`, 1 min by default), and a
/// large launch would then fail instead of just taking longer.
///
/// The total is a window that adapts: halved (at least 1; at most once per
/// [`WINDOW_CUT_EVERY`]) whenever an executor did not register in time,
/// grown by one for every eighth of a window of workers that reach RUNNING
/// (by one per worker below a window of 16), never above `total`;
/// the per-agent bound in force is never above the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    /// `mesos.resourcemanager.tasks.max-launching-per-agent`.
    pub per_agent: u32,
    /// `mesos.resourcemanager.tasks.max-launching`.
    pub total: u32,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            per_agent: 32,
            total: 256,
        }
    }
}

/// How long an offer that pacing could not use is refused: short, so that
/// it comes back as soon as launches finish.
pub const PACED_REFUSE: Duration = Duration::from_secs(1);

/// The launch window is cut at most this often: the executors of one
/// overload miss their registration timeout together.
pub const WINDOW_CUT_EVERY: Duration = Duration::from_secs(10);

/// The launch pacing in force, for `/status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PacingView {
    /// Workers ACCEPTed and not yet RUNNING.
    pub launching: u32,
    pub limit_per_agent: u32,
    pub limit_total: u32,
    /// The adaptive window (at most `limit_total`): lowered when executors
    /// miss their registration timeout.
    pub window: u32,
    /// The last executor registration timeout, if any: what happened.
    pub last_registration_timeout: Option<String>,
}

/// The timers that keep the core's promises (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Timers {
    /// `mesos.resourcemanager.tasks.launch-timeout`: a worker not RUNNING
    /// this long after its ACCEPT is killed and replaced.
    pub launch_timeout: Duration,
    /// REVIVE again after this long with workers pending and no offer.
    pub revive_interval: Duration,
    /// First repetition of unanswered explicit reconciliation; doubles up to
    /// `reconcile_retry_max`.
    pub reconcile_retry: Duration,
    pub reconcile_retry_max: Duration,
    /// Every worker is reconciled again this often.
    pub reconcile_interval: Duration,
    /// KILL is repeated this often until a released worker is terminal.
    pub kill_retry: Duration,
    /// A worker UNREACHABLE this long is given up: counted, killed, replaced.
    pub unreachable_timeout: Duration,
    /// A failed REVIVE, SUPPRESS, DECLINE or implicit RECONCILE is sent again
    /// after this long (not at once: a master that fails every call must not
    /// make the loop spin).
    pub call_retry: Duration,
    /// A worker the master reported ended in answer to reconciliation (which
    /// says that it ended, not why) waits this long for its own status
    /// update; without one it is replaced uncounted.
    pub latest_state_wait: Duration,
    /// Workers pending this long with no offer fitting one (or no offer at
    /// all) is unsatisfiable demand: warned about (with backoff) and shown
    /// in `/status`.
    pub unsatisfiable_after: Duration,
    /// After a worker failed because its container image cannot be used
    /// (a wrong name, an image the agents cannot pull), launches are held
    /// this long: every retry would fail the same way (see [`LaunchHold`]).
    pub image_retry: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            launch_timeout: Duration::from_secs(300),
            revive_interval: Duration::from_secs(30),
            reconcile_retry: Duration::from_secs(15),
            reconcile_retry_max: Duration::from_secs(300),
            reconcile_interval: Duration::from_secs(600),
            kill_retry: Duration::from_secs(30),
            unreachable_timeout: Duration::from_secs(300),
            call_retry: Duration::from_secs(1),
            latest_state_wait: Duration::from_secs(30),
            unsatisfiable_after: Duration::from_secs(20),
            image_retry: Duration::from_secs(300),
        }
    }
}

/// Launches held because the TaskManagers' container image cannot be used:
/// a worker ended before it ran with the containerizer's failure naming the
/// image (not found, cannot be pulled). Retrying at once would fail the
/// same way, in a loop; the hold is an ERROR in the log, in `/status` and
/// `workers list`, and ends with one retry after [`Timers::image_retry`]
/// (which fails again or, when the image was fixed, runs) or when a worker
/// runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchHold {
    pub image: String,
    /// The failure, with the containerizer's message.
    pub reason: String,
    /// Since when and until when launches are held.
    pub since: Duration,
    pub until: Duration,
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
        /// Workers failed so far (a restart does not forgive them).
        failed_tasks: u32,
        /// The floor `workers scale` set, if it did.
        floor: Option<u32>,
    },
    /// What the JobManager reports (`None`: it did not answer).
    Flink(Option<FlinkView>),
    /// `workers scale N`: the new floor.
    SetFloor(u32),
    /// (Re-)subscribed to the master: reconcile and ask for what is missing.
    Subscribed,
    Disconnected,
    Offers(Vec<Offer>),
    Rescind(OfferId),
    Update(TaskStatus),
    /// A call from an earlier [`Effect::Call`] that the master did not take
    /// (an error answer, a timeout, no subscription): whatever it was meant
    /// to achieve is still to be done.
    CallFailed(Call),
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
    /// Persist the failure count (with the end of the worker that failed,
    /// before its update is acknowledged).
    StoreFailedTasks(u32),
    /// Persist the floor set by `workers scale` (before acting on it).
    StoreFloor(u32),
    /// Send this call to the master; if it fails, step
    /// [`Input::CallFailed`] with it.
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
    /// Workers that ended for a reason that is not the TaskManager's own (a
    /// launch the master never saw, a rescinded offer): replaced, not counted.
    pub workers_replaced_uncounted: u64,
    /// Workers killed because they were not RUNNING within the launch timeout.
    pub launch_timeouts: u64,
    pub unknown_tasks_killed: u64,
    /// Workers released because their TaskManager stayed idle.
    pub released_idle: u64,
    /// Workers given up because their TaskManager never registered.
    pub registration_timeouts: u64,
    pub revives: u64,
    pub reconciliations: u64,
    pub calls_failed: u64,
    /// Offers not used because launch pacing was at its limit.
    pub offers_paced: u64,
    /// Workers whose executor did not register with its agent in time
    /// (replaced uncounted, the pacing window halved).
    pub executor_registration_timeouts: u64,
}

#[derive(Debug, Clone)]
struct Live {
    worker: Worker,
    /// When it entered its current state.
    since: Duration,
    /// When it was last reconciled explicitly.
    reconciled_at: Option<Duration>,
    /// The master or agent reported the task as existing (STAGING, STARTING,
    /// RUNNING, KILLING, UNREACHABLE) since it was launched or recovered.
    confirmed: bool,
    /// Since when the task is UNREACHABLE (a partitioned agent).
    unreachable_since: Option<Duration>,
    /// When the last KILL was sent (Released workers).
    killed_at: Option<Duration>,
    /// Launched by an earlier appmaster and not seen running since: its
    /// fetch URIs point at that appmaster's artifact server, which died
    /// with it, so a failure before it runs is not the TaskManager's own.
    inherited: bool,
    /// When the master answered reconciliation with a terminal state for it,
    /// and that answer: the task ended, but only its own status update (not
    /// yet acknowledged, so Mesos delivers it) says whether it failed.
    ended_per_master: Option<(Duration, String)>,
    /// Its TaskManager's slots, as the JobManager last reported them.
    registered: Option<Slots>,
    /// Since when its TaskManager has no allocated slot (fresh views only).
    idle_since: Option<Duration>,
    /// Since when it runs in Mesos without a registered TaskManager (while
    /// the JobManager answers).
    unregistered_since: Option<Duration>,
}

impl Live {
    fn new(worker: Worker, now: Duration) -> Live {
        Live {
            worker,
            since: now,
            reconciled_at: None,
            confirmed: false,
            unreachable_since: None,
            killed_at: None,
            inherited: false,
            ended_per_master: None,
            registered: None,
            idle_since: None,
            unregistered_since: None,
        }
    }
}

/// What the core believes about the master's offer suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// After a (re-)subscription or a failed REVIVE/SUPPRESS.
    Unknown,
    Suppressed,
    Revived,
}

#[derive(Debug, Clone)]
pub struct Scheduler {
    policy: Policy,
    template: TaskTemplate,
    workers: BTreeMap<String, Live>,
    /// Workers by state (indexed by [`state_index`]), kept with every
    /// change, so that a step does not count the whole map (a cluster of
    /// 50,000 workers would make each status update cost a full scan).
    by_state: [usize; 4],
    next_task_number: u64,
    failed: u32,
    /// No replacement before this time (backoff after failures).
    replace_after: Duration,
    consecutive_failures: u32,
    connected: bool,
    flow: Flow,
    /// No REVIVE/SUPPRESS before this time (after a failed one).
    flow_retry_at: Duration,
    last_offer_at: Duration,
    last_revive_at: Duration,
    /// Workers asked about by explicit reconciliation and not answered yet.
    awaiting: BTreeSet<String>,
    reconcile_attempts: u32,
    reconcile_next_at: Duration,
    last_full_reconcile: Duration,
    /// An implicit reconciliation failed: send it again.
    implicit_due: bool,
    /// Offers whose DECLINE (or ACCEPT) failed: declined again on a tick.
    redecline: Vec<OfferId>,
    redecline_at: Duration,
    stopping: bool,
    /// Too many failures: the cluster is given up at the end of this step.
    give_up: Option<Outcome>,
    counters: Counters,
    /// Why the last offers could not be used, by host, for /status.
    unmatched: BTreeMap<String, String>,
    last_failure: Option<String>,
    /// The TaskManagers' image cannot be used: no launches until its end.
    launch_hold: Option<LaunchHold>,
    /// Ports given to workers, by host name, with when: not handed out
    /// again on that host for [`PORT_QUARANTINE`]. A TaskManager that takes
    /// over the `host:port` of one that just died is refused by the
    /// JobManager's RPC system (Pekko keeps the dead peer's address
    /// quarantined: "read-only association"), so a replacement must get a
    /// different port. By host, not agent: several agents on one host (as in
    /// `mesos-local`) may offer the same port ranges.
    recent_ports: BTreeMap<(String, u16), Duration>,
    /// The floor in force (the policy's, or the one `workers scale` set).
    floor: u32,
    /// The JobManager's last view and when it came.
    view: Option<(Duration, FlinkView)>,
    /// Workers the last view's demand needs (kept while the JobManager
    /// does not answer).
    needed: u32,
    /// Demand beyond the ceiling was logged for this many workers.
    beyond_ceiling_logged: u32,
    /// The adaptive launch window (see [`Pacing`]).
    window: u32,
    /// When the window was last cut.
    window_cut_at: Option<Duration>,
    /// Launches finished since the window last grew.
    window_credit: u32,
    last_registration_timeout: Option<String>,
    /// What unused offers showed while workers wait (unsatisfiable demand).
    starvation: Starvation,
    /// The unsatisfiable demand as of the last step, if any.
    unsatisfiable: Option<Unsatisfiable>,
}

fn state_index(state: WorkerState) -> usize {
    match state {
        WorkerState::New => 0,
        WorkerState::Launched => 1,
        WorkerState::Running => 2,
        WorkerState::Released => 3,
    }
}

/// Moves `worker` to `state`, keeping the counts by state.
fn set_state(by_state: &mut [usize; 4], worker: &mut Worker, state: WorkerState) {
    by_state[state_index(worker.state)] -= 1;
    by_state[state_index(state)] += 1;
    worker.state = state;
}

/// Workers launching (ACCEPTed, not yet RUNNING), in total and by agent id.
#[derive(Debug, Default)]
struct Launching {
    total: u32,
    by_agent: BTreeMap<String, u32>,
    /// New workers in task id order, not yet fitted in this round.
    pending: std::collections::VecDeque<String>,
    /// Ports held by live workers, by host name.
    held: BTreeMap<String, BTreeSet<u16>>,
}

/// Debug builds check the counts by state after every step up to this many
/// workers.
const RECOUNT_UP_TO: usize = 2_000;

/// How long a worker's port is not given to another worker on its agent.
pub const PORT_QUARANTINE: Duration = Duration::from_secs(600);

impl Scheduler {
    pub fn new(policy: Policy, template: TaskTemplate) -> Scheduler {
        let policy_floor = policy.desired;
        let policy_window = policy.pacing.total.max(1);
        Scheduler {
            policy,
            template,
            workers: BTreeMap::new(),
            by_state: [0; 4],
            next_task_number: 1,
            failed: 0,
            replace_after: Duration::ZERO,
            consecutive_failures: 0,
            connected: false,
            flow: Flow::Unknown,
            flow_retry_at: Duration::ZERO,
            last_offer_at: Duration::ZERO,
            last_revive_at: Duration::ZERO,
            awaiting: BTreeSet::new(),
            reconcile_attempts: 0,
            reconcile_next_at: Duration::ZERO,
            last_full_reconcile: Duration::ZERO,
            implicit_due: false,
            redecline: Vec::new(),
            redecline_at: Duration::ZERO,
            stopping: false,
            give_up: None,
            counters: Counters::default(),
            unmatched: BTreeMap::new(),
            last_failure: None,
            launch_hold: None,
            recent_ports: BTreeMap::new(),
            floor: policy_floor,
            view: None,
            needed: 0,
            beyond_ceiling_logged: 0,
            window: policy_window,
            window_cut_at: None,
            window_credit: 0,
            last_registration_timeout: None,
            starvation: Starvation::default(),
            unsatisfiable: None,
        }
    }

    /// The launch pacing in force and what it saw.
    pub fn pacing(&self) -> PacingView {
        PacingView {
            launching: self.count(WorkerState::Launched) as u32,
            limit_per_agent: self.policy.pacing.per_agent,
            limit_total: self.policy.pacing.total,
            window: self.window,
            last_registration_timeout: self.last_registration_timeout.clone(),
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

    /// The next task number to use: beyond every id used or recovered.
    pub fn next_task_number(&self) -> u64 {
        self.next_task_number
    }

    /// Task ids asked about by explicit reconciliation and not answered yet.
    pub fn awaiting_reconciliation(&self) -> impl Iterator<Item = &str> {
        self.awaiting.iter().map(String::as_str)
    }

    /// Workers reported UNREACHABLE (kept, not replaced, not yet failures).
    pub fn unreachable(&self) -> impl Iterator<Item = &str> {
        self.workers
            .values()
            .filter(|l| l.unreachable_since.is_some())
            .map(|l| l.worker.task_id.as_str())
    }

    /// The state of the worker with this task id, if it is one we keep.
    pub fn worker_state(&self, task_id: &str) -> Option<WorkerState> {
        self.workers.get(task_id).map(|l| l.worker.state)
    }

    /// Workers the master reported ended in answer to reconciliation, with
    /// that answer, while they wait for their own status update.
    pub fn reported_ended(&self) -> impl Iterator<Item = (&str, &str)> {
        self.workers.values().filter_map(|l| {
            let (_, why) = l.ended_per_master.as_ref()?;
            Some((l.worker.task_id.as_str(), why.as_str()))
        })
    }

    /// Why offers were not used, by host (the latest reason per host).
    pub fn unmatched(&self) -> &BTreeMap<String, String> {
        &self.unmatched
    }

    /// Pending workers that no offer has fitted for
    /// [`Timers::unsatisfiable_after`] (or that no offer came for), with
    /// what is missing, as of the last step.
    pub fn unsatisfiable(&self) -> Option<&Unsatisfiable> {
        self.unsatisfiable.as_ref()
    }

    pub fn last_failure(&self) -> Option<&str> {
        self.last_failure.as_deref()
    }

    /// Launches held because the TaskManagers' image cannot be used (kept
    /// after the hold ended, while its retry has not run yet).
    pub fn launch_hold(&self) -> Option<&LaunchHold> {
        self.launch_hold.as_ref()
    }

    /// Whether launches are held at `now`.
    fn held(&self, now: Duration) -> bool {
        self.launch_hold.as_ref().is_some_and(|h| now < h.until)
    }

    fn count(&self, state: WorkerState) -> usize {
        self.by_state[state_index(state)]
    }

    /// Workers that are wanted and not Released.
    fn alive(&self) -> usize {
        self.workers.len() - self.count(WorkerState::Released)
    }

    /// Adds a worker (keeping the counts by state).
    fn insert_worker(&mut self, live: Live) {
        self.by_state[state_index(live.worker.state)] += 1;
        if let Some(old) = self.workers.insert(live.worker.task_id.clone(), live) {
            self.by_state[state_index(old.worker.state)] -= 1;
        }
    }

    /// Removes a worker (keeping the counts by state).
    fn remove_worker(&mut self, id: &str) -> Option<Live> {
        let live = self.workers.remove(id)?;
        self.by_state[state_index(live.worker.state)] -= 1;
        Some(live)
    }

    /// Removes every worker; returns their ids.
    fn remove_all_workers(&mut self) -> Vec<String> {
        self.by_state = [0; 4];
        std::mem::take(&mut self.workers).into_keys().collect()
    }

    /// The floor in force.
    pub fn floor(&self) -> u32 {
        self.floor
    }

    /// Workers the JobManager's demand needs (as last reported).
    pub fn needed(&self) -> u32 {
        self.needed
    }

    /// The JobManager's last view, and when it came.
    pub fn flink_view(&self) -> Option<(Duration, &FlinkView)> {
        self.view.as_ref().map(|(at, v)| (*at, v))
    }

    /// A worker's TaskManager as last reported, and since when it is idle.
    pub fn taskmanager(&self, task_id: &str) -> (Option<Slots>, Option<Duration>) {
        self.workers
            .get(task_id)
            .map(|l| (l.registered, l.idle_since))
            .unwrap_or_default()
    }

    /// The number of workers wanted: the floor, or more while the
    /// JobManager's demand needs them, at most the ceiling (never below the
    /// floor).
    pub fn target(&self) -> u32 {
        let Some(e) = &self.policy.elastic else {
            return self.floor;
        };
        let wanted = self.floor.max(self.needed);
        match e.ceiling {
            Some(ceiling) => wanted.min(ceiling.max(self.floor)),
            None => wanted,
        }
    }

    /// Whether the JobManager's view is recent enough to release on.
    fn view_fresh(&self, e: &Elastic, now: Duration) -> bool {
        self.view
            .as_ref()
            .is_some_and(|(at, _)| now.saturating_sub(*at) <= e.view_max_age)
    }

    /// Takes in what the JobManager reports: demand, registrations, idleness.
    fn observe_flink(&mut self, view: Option<FlinkView>, now: Duration) {
        let Some(e) = self.policy.elastic.clone() else {
            return;
        };
        let Some(view) = view else {
            // Not answering (restarting, overloaded): its TaskManagers are
            // neither idle nor unregistered as far as we know.
            for l in self.workers.values_mut() {
                l.idle_since = None;
                l.unregistered_since = None;
            }
            return;
        };
        let needed = e.workers_for(view.required_slots);
        let before = self
            .view
            .as_ref()
            .map(|(_, v)| (v.required_slots, v.active_jobs));
        if before != Some((view.required_slots, view.active_jobs)) {
            tracing::info!(
                jobs = view.active_jobs,
                required_slots = view.required_slots,
                registered = view.taskmanagers.len(),
                free_slots = view
                    .taskmanagers
                    .values()
                    .map(|s| u64::from(s.free))
                    .sum::<u64>(),
                workers_needed = needed,
                floor = self.floor,
                "the JobManager's demand changed"
            );
        }
        self.needed = needed;
        if let Some(ceiling) = e.ceiling.map(|c| c.max(self.floor)) {
            if self.needed > ceiling && self.needed != self.beyond_ceiling_logged {
                tracing::warn!(
                    needed = self.needed,
                    ceiling,
                    required_slots = view.required_slots,
                    "the jobs need more workers than slotmanager.number-of-slots.max allows; \
                     raise it (or lower the jobs' parallelism)"
                );
                self.beyond_ceiling_logged = self.needed;
            } else if self.needed <= ceiling {
                self.beyond_ceiling_logged = 0;
            }
        }
        for l in self.workers.values_mut() {
            match view.taskmanagers.get(&l.worker.task_id) {
                Some(slots) => {
                    l.registered = Some(*slots);
                    l.unregistered_since = None;
                    if slots.idle() {
                        l.idle_since.get_or_insert(now);
                    } else {
                        l.idle_since = None;
                    }
                }
                None => {
                    l.registered = None;
                    l.idle_since = None;
                    if l.worker.state == WorkerState::Running {
                        l.unregistered_since.get_or_insert(now);
                    } else {
                        l.unregistered_since = None;
                    }
                }
            }
        }
        self.view = Some((now, view));
    }

    /// Releases up to `extra` workers whose TaskManager has been idle for
    /// the idle timeout (pending ones first: they hold nothing).
    fn trim_idle(&mut self, e: &Elastic, mut extra: usize, now: Duration, fx: &mut Vec<Effect>) {
        let mut pending: Vec<String> = self
            .workers
            .values()
            .filter(|l| l.worker.state == WorkerState::New)
            .map(|l| l.worker.task_id.clone())
            .collect();
        pending.sort_by(|a, b| b.cmp(a));
        for id in pending {
            if extra == 0 {
                return;
            }
            extra -= 1;
            self.remove_worker(&id);
            fx.push(Effect::Remove(id));
        }
        if extra == 0 || !self.view_fresh(e, now) {
            return;
        }
        let mut idle: Vec<String> = self
            .workers
            .values()
            .filter(|l| l.worker.state == WorkerState::Running)
            .filter(|l| l.registered.is_some_and(|s| s.idle()))
            .filter(|l| {
                l.idle_since
                    .is_some_and(|at| now.saturating_sub(at) >= e.idle_timeout)
            })
            .map(|l| l.worker.task_id.clone())
            .collect();
        // The youngest first: the oldest workers are the floor's.
        idle.sort_by(|a, b| b.cmp(a));
        for id in idle.into_iter().take(extra) {
            tracing::info!(
                task_id = %id,
                idle_for = ?e.idle_timeout,
                "TaskManager idle for resourcemanager.taskmanager-timeout: releasing its worker"
            );
            self.counters.released_idle += 1;
            self.release(&id, now, fx);
        }
    }

    /// Gives up RUNNING workers whose TaskManager never registered within
    /// the registration bound (while the JobManager answered): counted,
    /// killed and replaced.
    fn check_registrations(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        let Some(e) = self.policy.elastic.clone() else {
            return;
        };
        let Some(limit) = e.registration_timeout else {
            return;
        };
        if !self.view_fresh(&e, now) {
            return;
        }
        let jobmanager = self
            .template
            .properties
            .iter()
            .find(|(k, _)| k == "jobmanager.rpc.address")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "?".into());
        let late: Vec<(String, String)> = self
            .workers
            .values()
            .filter(|l| l.worker.state == WorkerState::Running)
            .filter(|l| {
                l.unregistered_since
                    .is_some_and(|at| now.saturating_sub(at) >= limit)
            })
            .map(|l| {
                let host = l.worker.hostname.as_deref().unwrap_or("?");
                let rpc = l
                    .worker
                    .ports
                    .iter()
                    .find(|(k, _)| k == "taskmanager.rpc.port")
                    .map(|(_, p)| format!(" (its RPC port {p})"))
                    .unwrap_or_default();
                let why = format!(
                    "worker {} on {host}{rpc}: its TaskManager did not register with the \
                     JobManager at {jobmanager} within {limit:?} (taskmanager.registration.timeout); \
                     check that {host} can reach {jobmanager} and that the JobManager can reach \
                     {host}, and see the sandbox's taskmanager.log",
                    l.worker.task_id
                );
                (l.worker.task_id.clone(), why)
            })
            .collect();
        for (id, why) in late {
            tracing::warn!(reason = %why, "giving a worker up");
            self.counters.registration_timeouts += 1;
            self.release(&id, now, fx);
            self.fail(why, now, fx);
        }
    }

    pub fn step(&mut self, input: Input, now: Duration) -> Vec<Effect> {
        let mut fx = Vec::new();
        let is_tick = matches!(input, Input::Tick);
        match input {
            Input::Recovered {
                workers,
                next_task_number,
                failed_tasks,
                floor,
            } => {
                self.failed = self.failed.max(failed_tasks);
                if let Some(floor) = floor {
                    if floor != self.floor {
                        tracing::info!(
                            floor,
                            configured = self.floor,
                            "the floor set by `workers scale` stays in force"
                        );
                    }
                    self.floor = floor;
                }
                self.recover(workers, next_task_number, now, &mut fx);
            }
            Input::Subscribed => {
                self.connected = true;
                // An appmaster crashed after storing the failure that went
                // over the limit: give up now, as it was about to (subscribed,
                // so that the TEARDOWN reaches the master).
                self.check_failure_limit("failures recovered from the store".into());
                // The driver re-subscribes with the suppression of the last
                // successful SUPPRESS/REVIVE, which may not be what is needed
                // now: decide (after top_up) and say it explicitly.
                self.flow = Flow::Unknown;
                self.flow_retry_at = Duration::ZERO;
                self.last_offer_at = now;
                self.last_revive_at = now;
                self.starvation.progress(now);
                self.start_reconciliation(now, &mut fx);
                for l in self.workers.values_mut() {
                    if l.worker.state == WorkerState::Released {
                        l.killed_at = Some(now);
                        fx.push(Effect::Call(kill(&l.worker)));
                    }
                }
            }
            Input::Disconnected => {
                self.connected = false;
                self.flow = Flow::Unknown;
                // The master rescinds the offers of a disconnected framework.
                self.redecline.clear();
            }
            Input::Offers(offers) => {
                self.last_offer_at = now;
                self.offers(offers, now, &mut fx);
            }
            Input::Rescind(id) => {
                self.counters.offers_rescinded += 1;
                self.redecline.retain(|o| *o != id);
            }
            Input::Update(status) => self.update(status, now, &mut fx),
            Input::CallFailed(call) => self.call_failed(call, now, &mut fx),
            Input::Tick => self.tick(now, &mut fx),
            Input::Flink(view) => self.observe_flink(view, now),
            Input::SetFloor(floor) => {
                if floor != self.floor {
                    tracing::info!(from = self.floor, to = floor, "floor changed");
                }
                self.floor = floor;
                fx.push(Effect::StoreFloor(floor));
            }
            Input::Shutdown { teardown } => {
                self.stopping = true;
                if teardown {
                    for id in self.remove_all_workers() {
                        fx.push(Effect::Remove(id));
                    }
                    fx.push(Effect::Call(Call::Teardown));
                }
                fx.push(Effect::Exit(Outcome::Stopped));
                return fx;
            }
        }
        if let Some(outcome) = self.give_up.take() {
            // Stop the cluster: the master kills every task of a torn-down
            // framework.
            for id in self.remove_all_workers() {
                fx.push(Effect::Remove(id));
            }
            fx.push(Effect::Call(Call::Teardown));
            fx.push(Effect::Exit(outcome));
            return fx;
        }
        if !self.stopping {
            self.trim(now, &mut fx);
            self.top_up(now, &mut fx);
            self.adjust_offer_flow(now, &mut fx);
        }
        self.watch_demand(now, is_tick);
        // A recount is a full pass: checked where the simulations run
        // (debug builds, up to a few thousand workers), so that a debug
        // build of a larger cluster does not become quadratic.
        debug_assert!(
            self.workers.len() > RECOUNT_UP_TO || self.by_state == self.recount(),
            "counts by state drifted"
        );
        fx
    }

    /// The counts by state, counted (checks the kept ones in debug builds).
    fn recount(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for l in self.workers.values() {
            counts[state_index(l.worker.state)] += 1;
        }
        counts
    }

    /// Unsatisfiable demand: recomputed every step, warned about on ticks
    /// only (with backoff), never per offer.
    fn watch_demand(&mut self, now: Duration, is_tick: bool) {
        let pending = self.count(WorkerState::New);
        let waiting = if self.stopping { 0 } else { pending };
        self.starvation.pending(waiting, now);
        self.unsatisfiable = if self.connected {
            self.starvation.report(
                waiting as u32,
                &self.policy.role,
                &self.policy.resources,
                self.policy.timers.unsatisfiable_after,
                now,
            )
        } else {
            None
        };
        if is_tick {
            let after = self.policy.timers.unsatisfiable_after;
            self.starvation
                .warn_if_due(self.unsatisfiable.as_ref(), after, now);
        }
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
                self.next_task_number = self.next_task_number.max(n.saturating_add(1));
            }
            match w.state {
                // New workers were never launched: drop them, top_up re-creates.
                WorkerState::New => fx.push(Effect::Remove(w.task_id.clone())),
                _ => {
                    let mut live = Live::new(w, now);
                    live.inherited = live.worker.state == WorkerState::Launched;
                    self.insert_worker(live);
                }
            }
        }
        if self.next_task_number != next_task_number {
            // Persist the bump, so that whoever re-seeds a counter from the
            // store (a framework registered anew, the next appmaster) can
            // never hand out a recovered id again.
            fx.push(Effect::StoreNextTaskNumber(self.next_task_number));
        }
    }

    /// Explicit reconciliation of every Launched and Running worker, and one
    /// implicit reconciliation to find tasks missing from the store.
    fn start_reconciliation(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        self.awaiting = self
            .workers
            .values()
            .filter(|l| matches!(l.worker.state, WorkerState::Launched | WorkerState::Running))
            .map(|l| l.worker.task_id.clone())
            .collect();
        self.reconcile_attempts = 0;
        self.send_reconciliation(now, fx);
        // Implicit reconciliation: the master reports every task of ours it
        // knows, so that tasks missing from the store are found and killed.
        fx.push(Effect::Call(Call::Reconcile { tasks: Vec::new() }));
        self.implicit_due = false;
        self.last_full_reconcile = now;
    }

    /// Adds workers to the explicit reconciliation and sends it at once.
    fn ask_about(&mut self, ids: Vec<String>, now: Duration, fx: &mut Vec<Effect>) {
        if ids.is_empty() {
            return;
        }
        self.awaiting.extend(ids);
        self.reconcile_attempts = 0;
        self.send_reconciliation(now, fx);
    }

    /// (Re-)sends explicit reconciliation for every unanswered worker and
    /// schedules the next attempt with backoff.
    fn send_reconciliation(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        let workers = &self.workers;
        self.awaiting.retain(|id| {
            workers.get(id).is_some_and(|l| {
                matches!(l.worker.state, WorkerState::Launched | WorkerState::Running)
            })
        });
        if self.awaiting.is_empty() {
            return;
        }
        self.reconcile_attempts = self.reconcile_attempts.saturating_add(1);
        self.reconcile_next_at = now
            + backoff(
                self.policy.timers.reconcile_retry,
                self.policy.timers.reconcile_retry_max,
                self.reconcile_attempts,
            );
        let mut tasks = Vec::new();
        for id in &self.awaiting {
            if let Some(l) = self.workers.get_mut(id) {
                l.reconciled_at = Some(now);
                tasks.push(ReconcileTask {
                    task_id: TaskId::new(id),
                    agent_id: l.worker.agent_id.as_ref().map(AgentId::new),
                });
            }
        }
        self.counters.reconciliations += 1;
        fx.push(Effect::Call(Call::Reconcile { tasks }));
    }

    /// Creates New workers until [`Scheduler::target`] are alive (unless
    /// backing off).
    fn top_up(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        if now < self.replace_after {
            return;
        }
        let target = self.target() as usize;
        while self.alive() < target {
            // `alive` is O(1): the counts by state are kept.
            let n = self.next_task_number;
            self.next_task_number += 1;
            fx.push(Effect::StoreNextTaskNumber(self.next_task_number));
            let worker = Worker {
                task_id: format!("{WORKER_TASK_PREFIX}{n:05}"),
                state: WorkerState::New,
                agent_id: None,
                hostname: None,
                ports: Vec::new(),
            };
            fx.push(Effect::Store(worker.clone()));
            self.insert_worker(Live::new(worker, now));
        }
    }

    /// Releases workers beyond [`Scheduler::target`]: pending ones first,
    /// then (a fixed pool) launching ones, then running ones, the youngest
    /// first. Following demand, only running workers whose TaskManager has
    /// been idle for `resourcemanager.taskmanager-timeout` (per a fresh
    /// view of the JobManager) are released.
    fn trim(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        let mut extra = self.alive().saturating_sub(self.target() as usize);
        if extra == 0 {
            return;
        }
        if let Some(e) = self.policy.elastic.clone() {
            self.trim_idle(&e, extra, now, fx);
            return;
        }
        let mut candidates: Vec<(u8, String)> = self
            .workers
            .values()
            .filter_map(|l| {
                let rank = match l.worker.state {
                    WorkerState::New => 0,
                    WorkerState::Launched => 1,
                    WorkerState::Running => 2,
                    WorkerState::Released => return None,
                };
                Some((rank, l.worker.task_id.clone()))
            })
            .collect();
        // Pending first; within a state, the highest task number first.
        candidates.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        for (rank, id) in candidates {
            if extra == 0 {
                break;
            }
            extra -= 1;
            if rank == 0 {
                self.remove_worker(&id);
                fx.push(Effect::Remove(id));
            } else {
                tracing::info!(task_id = %id, "more workers than mesos.initial-tasks: releasing one");
                self.release(&id, now, fx);
            }
        }
    }

    /// Released before KILL (stored first); the KILL is repeated by `tick`
    /// until the task is terminal.
    fn release(&mut self, id: &str, now: Duration, fx: &mut Vec<Effect>) {
        let connected = self.connected;
        let Some(l) = self.workers.get_mut(id) else {
            return;
        };
        set_state(&mut self.by_state, &mut l.worker, WorkerState::Released);
        l.since = now;
        l.unreachable_since = None;
        fx.push(Effect::Store(l.worker.clone()));
        if connected {
            l.killed_at = Some(now);
            fx.push(Effect::Call(kill(&l.worker)));
        }
        self.awaiting.remove(id);
    }

    fn adjust_offer_flow(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        if !self.connected || now < self.flow_retry_at {
            return;
        }
        // While launches are held, offers are not wanted.
        let pending = self.count(WorkerState::New) > 0 && !self.held(now);
        if pending && self.flow != Flow::Revived {
            self.revive(now, fx);
        } else if !pending && self.flow != Flow::Suppressed {
            self.flow = Flow::Suppressed;
            fx.push(Effect::Call(Call::Suppress { roles: Vec::new() }));
        }
    }

    fn revive(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        self.flow = Flow::Revived;
        self.last_revive_at = now;
        self.counters.revives += 1;
        fx.push(Effect::Call(Call::Revive { roles: Vec::new() }));
    }

    fn refuse_seconds(&self) -> Option<f64> {
        Some(self.policy.refuse.as_secs_f64())
    }

    /// Answers one OFFERS event. Offers of one agent (and allocation role)
    /// are answered together: one ACCEPT with every one of them that
    /// launches workers; the offers left unused go back in one DECLINE per
    /// filter (the configured refuse filter, or [`PACED_REFUSE`] for offers
    /// that only launch pacing kept from use).
    fn offers(&mut self, offers: Vec<Offer>, now: Duration, fx: &mut Vec<Effect>) {
        let mut groups: Vec<(Offer, Vec<OfferId>)> = Vec::new();
        for offer in offers {
            self.counters.offers_received += 1;
            match groups.iter_mut().find(|(g, _)| {
                g.agent_id == offer.agent_id && g.allocation_role == offer.allocation_role
            }) {
                Some((merged, ids)) => {
                    ids.push(offer.id.clone());
                    merged.resources.extend(offer.resources);
                }
                None => {
                    let ids = vec![offer.id.clone()];
                    groups.push((offer, ids));
                }
            }
        }
        let mut launching = self.launching();
        let (mut declined, mut paced) = (Vec::new(), Vec::new());
        for (offer, ids) in groups {
            let mut tasks = Vec::new();
            let mut was_paced = false;
            if !self.stopping {
                (tasks, was_paced) = self.fit(&offer, &mut launching, now, fx);
            }
            let n = ids.len() as u64;
            if tasks.is_empty() {
                self.counters.offers_declined += n;
                if was_paced {
                    self.counters.offers_paced += n;
                    paced.extend(ids);
                } else {
                    declined.extend(ids);
                }
            } else {
                self.counters.offers_accepted += n;
                fx.push(Effect::Call(Call::Launch {
                    offer_ids: ids,
                    tasks,
                    refuse_seconds: self.refuse_seconds(),
                }));
            }
        }
        if !declined.is_empty() {
            fx.push(Effect::Call(Call::Decline {
                offer_ids: declined,
                refuse_seconds: self.refuse_seconds(),
            }));
        }
        if !paced.is_empty() {
            fx.push(Effect::Call(Call::Decline {
                offer_ids: paced,
                refuse_seconds: Some(PACED_REFUSE.as_secs_f64()),
            }));
        }
    }

    /// What one OFFERS event works with, in one pass over the workers:
    /// those launching now (ACCEPTed, not yet RUNNING), in total and by
    /// agent, the pending ones in order, and the ports held by host.
    fn launching(&self) -> Launching {
        let mut l = Launching::default();
        let ports = !self.policy.resources.port_keys.is_empty();
        for live in self.workers.values() {
            let w = &live.worker;
            match w.state {
                WorkerState::New => l.pending.push_back(w.task_id.clone()),
                WorkerState::Launched => {
                    l.total += 1;
                    if let Some(agent) = &w.agent_id {
                        *l.by_agent.entry(agent.clone()).or_default() += 1;
                    }
                }
                _ => {}
            }
            if ports && matches!(w.state, WorkerState::Launched | WorkerState::Running) {
                if let Some(host) = &w.hostname {
                    l.held
                        .entry(host.clone())
                        .or_default()
                        .extend(w.ports.iter().map(|(_, p)| *p));
                }
            }
        }
        l
    }

    /// Whether launch pacing lets one more worker launch on `agent`.
    fn pacing_allows(&self, launching: &Launching, agent: &str) -> bool {
        let p = &self.policy.pacing;
        let window = self.window.clamp(1, p.total.max(1));
        let per_agent = p.per_agent.max(1).min(window);
        launching.total < window && launching.by_agent.get(agent).copied().unwrap_or(0) < per_agent
    }

    /// Fits as many New workers into `offer` as possible (and as launch
    /// pacing allows); stores each as Launched (before the caller's ACCEPT)
    /// and returns their TaskInfos, and whether pacing stopped the fitting.
    fn fit(
        &mut self,
        offer: &Offer,
        launching: &mut Launching,
        now: Duration,
        fx: &mut Vec<Effect>,
    ) -> (Vec<crate::mesos::TaskInfo>, bool) {
        if launching.pending.is_empty() || self.held(now) {
            return (Vec::new(), false);
        }
        if let Some(why) = unmet_constraint(&offer.attributes, &self.policy.constraints) {
            self.unmatched.insert(offer.hostname.clone(), why);
            self.starvation
                .failed_constraint(offer, &self.policy.constraints);
            return (Vec::new(), false);
        }
        let agent = offer.agent_id.as_str().to_string();
        if !self.pacing_allows(launching, &agent) {
            return (Vec::new(), true);
        }
        let mut remaining = Remaining::new(offer, &self.policy.role);
        let mut tasks = Vec::new();
        let host = offer.hostname.clone();
        self.recent_ports
            .retain(|_, at| now.saturating_sub(*at) < PORT_QUARANTINE);
        // Ports that live workers on this host hold (another agent of the
        // same host may offer them too).
        let held = launching.held.remove(&host).unwrap_or_default();
        let mut paced = false;
        while let Some(id) = launching.pending.front().cloned() {
            if !self.pacing_allows(launching, &agent) {
                paced = true;
                break;
            }
            let recent = &self.recent_ports;
            let avoid = |port: u64| {
                u16::try_from(port)
                    .is_ok_and(|p| held.contains(&p) || recent.contains_key(&(host.clone(), p)))
            };
            match remaining.take_avoiding(&self.policy.resources, &avoid) {
                Ok(allocation) => {
                    for (_, port) in &allocation.ports {
                        self.recent_ports.insert((host.clone(), *port), now);
                    }
                    launching.pending.pop_front();
                    let task_id = TaskId::new(&id);
                    let info = self.template.build(&task_id, &offer.agent_id, &allocation);
                    let Some(live) = self.workers.get_mut(&id) else {
                        continue;
                    };
                    set_state(&mut self.by_state, &mut live.worker, WorkerState::Launched);
                    live.worker.agent_id = Some(offer.agent_id.as_str().to_string());
                    live.worker.hostname = Some(offer.hostname.clone());
                    live.worker.ports = allocation.ports.clone();
                    live.since = now;
                    live.reconciled_at = None;
                    live.confirmed = false;
                    fx.push(Effect::Store(live.worker.clone()));
                    self.counters.workers_launched += 1;
                    launching.total += 1;
                    *launching.by_agent.entry(agent.clone()).or_default() += 1;
                    tasks.push(info);
                }
                Err(why) => {
                    if tasks.is_empty() {
                        self.unmatched.insert(offer.hostname.clone(), why);
                        self.starvation
                            .too_small(offer, &self.policy.role, &self.policy.resources);
                    }
                    break;
                }
            }
        }
        // What this offer's workers took is held for the next offer of the
        // same host in this round too.
        let mut held = held;
        for info in &tasks {
            if let Some(live) = self.workers.get(info.task_id.as_str()) {
                held.extend(live.worker.ports.iter().map(|(_, p)| *p));
            }
        }
        launching.held.insert(host, held);
        if !tasks.is_empty() {
            self.unmatched.remove(&offer.hostname);
            self.starvation.fitted(&offer.hostname);
            self.starvation.progress(now);
        }
        (tasks, paced)
    }

    fn update(&mut self, status: TaskStatus, now: Duration, fx: &mut Vec<Effect>) {
        let id = status.task_id.as_str().to_string();
        let ack = status.acknowledgement().map(Effect::Call);
        // Any status is an answer about the task.
        self.awaiting.remove(&id);
        let connected = self.connected;
        let Some(live) = self.workers.get_mut(&id) else {
            // Not ours (or already gone): kill it if it still runs — but
            // only a task this product can have launched. A framework id
            // that is not ours (a forged or mixed-up store) must not make
            // us kill another framework's tasks.
            if !is_worker_task_id(&id) {
                if !status.state.is_terminal() {
                    tracing::warn!(
                        task = %id,
                        "a task that flink-mesos never launches (its id is not taskmanager-NNNNN) \
                         runs under this framework: left alone; is the stored framework id this \
                         cluster's?"
                    );
                }
                fx.extend(ack);
                return;
            }
            if !status.state.is_terminal() && status.state != TaskState::Unknown {
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
        // A New worker has no task yet: a status for it is stale.
        if live.worker.state == WorkerState::New {
            fx.extend(ack);
            return;
        }
        match status.state {
            TaskState::Staging | TaskState::Starting | TaskState::Killing => {
                live.confirmed = true;
                live.unreachable_since = None;
            }
            TaskState::Running => {
                live.confirmed = true;
                live.unreachable_since = None;
                match live.worker.state {
                    WorkerState::Launched => {
                        set_state(&mut self.by_state, &mut live.worker, WorkerState::Running);
                        live.since = now;
                        if live.worker.agent_id.is_none() {
                            live.worker.agent_id =
                                status.agent_id.as_ref().map(|a| a.as_str().to_string());
                        }
                        fx.push(Effect::Store(live.worker.clone()));
                        self.consecutive_failures = 0;
                        // One more launch finished: the window grows back,
                        // by one per eighth of a window of launches (a
                        // window grown by one per launch would undo a cut
                        // before the overload that caused it is over).
                        self.window_credit += 1;
                        if self.window_credit >= (self.window / 8).max(1) {
                            self.window_credit = 0;
                            self.window =
                                self.window.saturating_add(1).min(self.policy.pacing.total);
                        }
                        if self.launch_hold.take().is_some() {
                            tracing::info!(task_id = %id, "a worker runs in the image: launches are no longer held");
                        }
                    }
                    // Still running although released (the KILL was lost,
                    // or it came back from a partition): kill again.
                    WorkerState::Released if connected => {
                        live.killed_at = Some(now);
                        fx.push(Effect::Call(kill(&live.worker)));
                    }
                    _ => {}
                }
            }
            TaskState::Unreachable => {
                // A partitioned agent: the task may well come back. Not a
                // failure (yet): see `tick` for the timeout.
                live.confirmed = true;
                if live.worker.state != WorkerState::Released {
                    live.unreachable_since.get_or_insert(now);
                }
            }
            state if state.is_terminal() || state == TaskState::Unknown => {
                let released = live.worker.state == WorkerState::Released;
                let was_launching = live.worker.state == WorkerState::Launched;
                let inherited_launch = live.inherited && live.worker.state == WorkerState::Launched;
                if !released && !inherited_launch && latest_state_without_reason(&status) {
                    // Wait for the task's own update: it tells a TaskManager
                    // that died (counted) from one killed by the agent while
                    // no appmaster listened, and the like. See `tick` for a
                    // wait that ends without it.
                    if live.ended_per_master.is_none() {
                        let why = describe_end(&id, &status);
                        tracing::info!(reason = %why, "the master reports a worker ended; waiting for its own status update, which says why");
                        live.ended_per_master = Some((now, why));
                    }
                    fx.extend(ack);
                    return;
                }
                self.remove_worker(&id);
                fx.push(Effect::Remove(id.clone()));
                if !released {
                    let why = describe_end(&id, &status);
                    if was_launching && executor_never_registered(&status) {
                        self.executor_registration_timeout(why, now);
                    } else if blames_the_worker(&status) && !inherited_launch {
                        // A TaskManager never ends on its own: any end we did
                        // not ask for (FINISHED included) is a failure.
                        let image = self.template.container.image().map(str::to_string);
                        match image.filter(|i| was_launching && image_failure(&status, i)) {
                            Some(image) => {
                                self.fail(why.clone(), now, fx);
                                self.hold_launches(image, why, now);
                            }
                            None => self.fail(why, now, fx),
                        }
                    } else {
                        tracing::info!(reason = %why, "worker ended for a reason not its own; replacing it uncounted");
                        self.counters.workers_replaced_uncounted += 1;
                    }
                }
            }
            _ => {}
        }
        fx.extend(ack);
    }

    /// A worker whose executor did not register with its agent in time:
    /// the agent was too busy starting executors (or cannot start one at
    /// all). Not the TaskManager's failure: replaced uncounted, and the
    /// launch window halved so that fewer executors start at once.
    fn executor_registration_timeout(&mut self, why: String, now: Duration) {
        self.counters.executor_registration_timeouts += 1;
        self.counters.workers_replaced_uncounted += 1;
        let before = self.window;
        // One overload shows as a whole wave of timeouts: cut once per
        // wave, not once per worker in it.
        if self
            .window_cut_at
            .is_none_or(|at| now.saturating_sub(at) >= WINDOW_CUT_EVERY)
        {
            self.window = (self.window / 2).max(1);
            self.window_cut_at = Some(now);
        }
        tracing::warn!(
            reason = %why,
            window_before = before,
            window = self.window,
            "a worker's executor did not register with its agent in time (the agent is starting \
             more executors than it can); replacing it uncounted and launching fewer workers at \
             once; if this repeats, lower mesos.resourcemanager.tasks.max-launching-per-agent or \
             raise the agents' --executor_registration_timeout"
        );
        self.last_registration_timeout = Some(why);
    }

    /// Counts a failure of a worker, backs off its replacement and gives the
    /// cluster up past `mesos.maximum-failed-tasks`.
    fn fail(&mut self, why: String, now: Duration, fx: &mut Vec<Effect>) {
        self.failed = self.failed.saturating_add(1);
        fx.push(Effect::StoreFailedTasks(self.failed));
        self.counters.workers_failed += 1;
        self.consecutive_failures += 1;
        self.last_failure = Some(why.clone());
        let backoff = backoff(
            self.policy.backoff_base,
            self.policy.backoff_max,
            self.consecutive_failures,
        );
        self.replace_after = self.replace_after.max(now + backoff);
        self.check_failure_limit(why);
    }

    /// Holds every launch for [`Timers::image_retry`] (see [`LaunchHold`]).
    fn hold_launches(&mut self, image: String, why: String, now: Duration) {
        let until = now + self.policy.timers.image_retry;
        self.replace_after = self.replace_after.max(until);
        tracing::error!(
            image = %image,
            key = %crate::config::options::Key::MesosResourcemanagerTasksContainerImageName,
            reason = %why,
            retry_in_seconds = self.policy.timers.image_retry.as_secs(),
            "the TaskManagers' container image cannot be used: launches are held; check the image name \
             and that every agent can pull it (its registry, credentials, `docker pull` on the agent), \
             then restart the appmaster or wait for the retry"
        );
        let since = match &self.launch_hold {
            Some(h) if h.image == image => h.since,
            _ => now,
        };
        self.launch_hold = Some(LaunchHold {
            image,
            reason: why,
            since,
            until,
        });
    }

    /// Gives the cluster up once more workers failed than allowed.
    fn check_failure_limit(&mut self, why: String) {
        if let Some(limit) = self.policy.max_failed {
            if self.failed > limit && self.give_up.is_none() {
                self.stopping = true;
                self.give_up = Some(Outcome::TooManyFailures {
                    failed: self.failed,
                    limit,
                    last: why,
                });
            }
        }
    }

    fn call_failed(&mut self, call: Call, now: Duration, fx: &mut Vec<Effect>) {
        self.counters.calls_failed += 1;
        let retry_at = now + self.policy.timers.call_retry;
        match call {
            Call::Revive { .. } | Call::Suppress { .. } => {
                // The master's state is whatever it was: find out by sending
                // the needed call again, after a moment.
                self.flow = Flow::Unknown;
                self.flow_retry_at = retry_at;
            }
            Call::Launch {
                offer_ids, tasks, ..
            } => {
                // The ACCEPT may or may not have reached the master. Decline
                // its offers (harmless if they were used) and ask about the
                // tasks: a launch the master never saw comes back as
                // TASK_LOST/REASON_RECONCILIATION (or TASK_UNKNOWN) and is
                // replaced without counting.
                self.queue_redecline(offer_ids, retry_at);
                let ids: Vec<String> = tasks
                    .iter()
                    .map(|t| t.task_id.as_str().to_string())
                    .filter(|id| {
                        self.workers
                            .get(id)
                            .is_some_and(|l| l.worker.state == WorkerState::Launched)
                    })
                    .collect();
                if self.connected {
                    self.ask_about(ids, now, fx);
                } else {
                    // The next SUBSCRIBED reconciles every worker anyway.
                    self.awaiting.extend(ids);
                }
            }
            Call::Decline { offer_ids, .. } => self.queue_redecline(offer_ids, retry_at),
            Call::Reconcile { tasks } if tasks.is_empty() => self.implicit_due = true,
            // Explicit reconciliation is repeated by `tick` until answered;
            // KILL of a released worker until it is terminal; an unknown task
            // shows up again in the next reconciliation and is killed then;
            // an unacknowledged update is sent again by Mesos.
            _ => {}
        }
    }

    fn queue_redecline(&mut self, offer_ids: Vec<OfferId>, at: Duration) {
        if !self.connected {
            return;
        }
        if self.redecline.is_empty() {
            self.redecline_at = at;
        }
        for id in offer_ids {
            if !self.redecline.contains(&id) {
                self.redecline.push(id);
            }
        }
    }

    fn tick(&mut self, now: Duration, fx: &mut Vec<Effect>) {
        if !self.connected {
            return;
        }
        let timers = self.policy.timers.clone();
        if !self.redecline.is_empty() && now >= self.redecline_at {
            fx.push(Effect::Call(Call::Decline {
                offer_ids: std::mem::take(&mut self.redecline),
                refuse_seconds: self.refuse_seconds(),
            }));
        }
        // Reconciliation: periodic, repeated until answered, and for workers
        // that stay silent in Launched.
        if now.saturating_sub(self.last_full_reconcile) >= timers.reconcile_interval {
            self.start_reconciliation(now, fx);
        } else {
            if self.implicit_due {
                self.implicit_due = false;
                fx.push(Effect::Call(Call::Reconcile { tasks: Vec::new() }));
            }
            if !self.awaiting.is_empty() && now >= self.reconcile_next_at {
                self.send_reconciliation(now, fx);
            }
        }
        let staging = self.policy.staging_timeout;
        let silent: Vec<String> = self
            .workers
            .values()
            .filter(|l| l.worker.state == WorkerState::Launched)
            .filter(|l| !self.awaiting.contains(&l.worker.task_id))
            .filter(|l| now.saturating_sub(l.reconciled_at.unwrap_or(l.since)) >= staging)
            .map(|l| l.worker.task_id.clone())
            .collect();
        self.ask_about(silent, now, fx);
        // Workers the master reported ended whose own update never came.
        let unexplained: Vec<(String, String)> = self
            .workers
            .values()
            .filter(|l| l.worker.state != WorkerState::Released)
            .filter_map(|l| {
                let (at, why) = l.ended_per_master.as_ref()?;
                (now.saturating_sub(*at) >= timers.latest_state_wait)
                    .then(|| (l.worker.task_id.clone(), why.clone()))
            })
            .collect();
        for (id, why) in unexplained {
            tracing::warn!(
                reason = %why,
                waited = ?timers.latest_state_wait,
                "no status update of its own came for a worker the master reported ended; replacing it uncounted"
            );
            self.remove_worker(&id);
            fx.push(Effect::Remove(id));
            self.counters.workers_replaced_uncounted += 1;
        }
        // Launches that hang (a fetch or image pull that never ends) and
        // partitions that do not heal: give the worker up and replace it.
        let mut timed_out = Vec::new();
        for l in self.workers.values() {
            let id = l.worker.task_id.clone();
            match (l.worker.state, l.unreachable_since) {
                (WorkerState::Launched | WorkerState::Running, Some(since))
                    if now.saturating_sub(since) >= timers.unreachable_timeout =>
                {
                    timed_out.push((
                        id,
                        true,
                        format!(
                            "worker {} unreachable for {:?}",
                            l.worker.task_id, timers.unreachable_timeout
                        ),
                    ));
                }
                (WorkerState::Launched, None)
                    if now.saturating_sub(l.since) >= timers.launch_timeout =>
                {
                    // Only a launch the master confirmed is the worker's
                    // failure; one it never reported may be an ACCEPT it
                    // never got.
                    timed_out.push((
                        id,
                        l.confirmed,
                        format!(
                            "worker {} not running within the launch timeout ({:?})",
                            l.worker.task_id, timers.launch_timeout
                        ),
                    ));
                }
                _ => {}
            }
        }
        for (id, counted, why) in timed_out {
            if self
                .workers
                .get(&id)
                .is_some_and(|l| l.worker.state == WorkerState::Launched)
            {
                self.counters.launch_timeouts += 1;
            }
            tracing::warn!(reason = %why, counted, "giving a worker up");
            self.release(&id, now, fx);
            if counted {
                self.fail(why, now, fx);
            } else {
                self.counters.workers_replaced_uncounted += 1;
            }
        }
        self.check_registrations(now, fx);
        // KILL again until released workers are terminal.
        for l in self.workers.values_mut() {
            if l.worker.state == WorkerState::Released
                && l.killed_at
                    .is_none_or(|at| now.saturating_sub(at) >= timers.kill_retry)
            {
                l.killed_at = Some(now);
                fx.push(Effect::Call(kill(&l.worker)));
            }
        }
        // Offers that stopped coming although workers are pending (a REVIVE
        // lost, filters, an allocator that forgot us): ask again.
        if self.flow == Flow::Revived
            && self.count(WorkerState::New) > 0
            && now.saturating_sub(self.last_offer_at.max(self.last_revive_at))
                >= timers.revive_interval
        {
            self.revive(now, fx);
        }
    }
}

/// Whether an end of a worker we did not ask for is a failure of the
/// TaskManager itself, which counts against `mesos.maximum-failed-tasks`.
///
/// Not the worker's failure: a task the master does not know (TASK_UNKNOWN,
/// or TASK_LOST with REASON_RECONCILIATION — an ACCEPT lost in a disconnect
/// or a master failover), an ACCEPT with offers that were rescinded or used
/// (REASON_INVALID_OFFERS), a task killed before it launched, an executor
/// that never registered with its agent ([`executor_never_registered`]), a removed
/// framework, and TASK_DROPPED (a transient error before the task started).
pub fn blames_the_worker(status: &TaskStatus) -> bool {
    const NOT_THE_WORKERS: [&str; 5] = [
        "REASON_RECONCILIATION",
        "REASON_INVALID_OFFERS",
        "REASON_TASK_KILLED_DURING_LAUNCH",
        "REASON_FRAMEWORK_REMOVED",
        "REASON_MASTER_DISCONNECTED",
    ];
    if matches!(status.state, TaskState::Unknown | TaskState::Dropped) {
        return false;
    }
    if executor_never_registered(status) {
        return false;
    }
    !status
        .reason
        .as_deref()
        .is_some_and(|r| NOT_THE_WORKERS.contains(&r))
}

/// Whether a task ended because its executor never registered with its
/// agent within the agent's `--executor_registration_timeout`. Mesos 1.11
/// reports it as TASK_FAILED with REASON_EXECUTOR_REGISTRATION_TIMEOUT once
/// the executor runs, and as REASON_CONTAINER_LAUNCH_FAILED "Failed to
/// launch container: Container is being destroyed during fetching" (or
/// provisioning, preparing, isolating) while the container is still being
/// set up: the agent's timer destroyed it (measured on the genuine agent,
/// whose log says "Terminating executor … because it did not register
/// within 1mins"; our own KILLs only reach released workers, which never
/// get here), or "Failed to fetch all URIs … terminated with signal Killed"
/// when the destroy killed the fetcher. The agent, not the TaskManager,
/// failed: it never ran. A fetch that fails by itself ("Failed to fetch all
/// URIs … exited with status 1") is not this.
pub fn executor_never_registered(status: &TaskStatus) -> bool {
    let message = status.message.as_deref().unwrap_or("").to_ascii_lowercase();
    match status.reason.as_deref() {
        Some("REASON_EXECUTOR_REGISTRATION_TIMEOUT") => true,
        Some("REASON_CONTAINER_LAUNCH_FAILED") => {
            message.contains("container is being destroyed during")
                || message.contains("did not register")
                // The fetcher killed because the agent destroyed the
                // container under it (a fetch that fails exits instead).
                || (message.contains("failed to fetch") && message.contains("terminated with signal"))
        }
        Some("REASON_EXECUTOR_TERMINATED") => message.contains("did not register"),
        _ => false,
    }
}

/// The master's answer to reconciliation about a task it knows has ended:
/// the latest state (FAILED, FINISHED, KILLED, ERROR) with
/// REASON_RECONCILIATION, which replaces the reason the task's own update
/// carries. (TASK_LOST, TASK_GONE or TASK_UNKNOWN with that reason are the
/// master's word on a task it does not know, and final.)
fn latest_state_without_reason(status: &TaskStatus) -> bool {
    status.reason.as_deref() == Some("REASON_RECONCILIATION")
        && matches!(
            status.state,
            TaskState::Failed | TaskState::Finished | TaskState::Killed | TaskState::Error
        )
}

/// Whether a worker that never ran ended because its container image
/// `image` cannot be used: the containerizer could not launch it and says
/// so about the image (the Mesos containerizer: "Failed to find archive for
/// image 'x'", a registry's pull error; the Docker containerizer: "Failed to
/// run 'docker … pull x'"). Other launch failures (a fetch, a volume) keep
/// the ordinary backoff.
pub fn image_failure(status: &TaskStatus, image: &str) -> bool {
    let launch = matches!(
        status.reason.as_deref(),
        Some("REASON_CONTAINER_LAUNCH_FAILED" | "REASON_CONTAINER_PREPARATION_FAILED")
    );
    let message = status.message.as_deref().unwrap_or("");
    let name = image.split(['@']).next().unwrap_or(image);
    let name = name
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map_or(name, |(n, _)| n);
    launch
        && matches!(status.state, TaskState::Failed | TaskState::Error)
        && (message.contains(name) || message.to_ascii_lowercase().contains("image"))
}

fn describe_end(id: &str, status: &TaskStatus) -> String {
    let mut why = format!("worker {id} {}", status.state);
    if let Some(r) = &status.reason {
        why.push_str(&format!(" ({r})"));
    }
    if let Some(m) = &status.message {
        why.push_str(&format!(": {m}"));
    }
    why
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
    match n {
        0 => Duration::ZERO,
        n => crate::mesos::backoff::capped_exponential(base, max, n - 1),
    }
}

/// Every worker's task id is this prefix and a number (`taskmanager-00001`).
pub const WORKER_TASK_PREFIX: &str = "taskmanager-";

/// Whether `id` is a task id this product gives a worker.
pub fn is_worker_task_id(id: &str) -> bool {
    id.strip_prefix(WORKER_TASK_PREFIX)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
