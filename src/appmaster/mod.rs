//! The appmaster runtime: wires the Mesos client, the worker store, the
//! scheduler core and the status endpoint together.
//!
//! One owner task ([`run`]) holds all mutable state — the [`Scheduler`], the
//! store, the launch-latency recorder — and handles one input at a time:
//! driver events, a tick every second, the shutdown request. Each input goes
//! through [`Scheduler::step`] and the effects are executed **in order**:
//! store writes complete before the calls that follow them (architecture
//! invariant: a worker transition is persisted before it is acted on). A
//! store write that fails stops the appmaster *before* the call it guards.
//!
//! Other rules kept here:
//! * a stored framework id is failed over into only when the name, role and
//!   principal stored with it are this appmaster's (`FrameworkRecord::check`);
//!   otherwise the appmaster stops before it talks to Mesos, so nothing of
//!   another framework is ever killed;
//! * the framework id from SUBSCRIBED is stored (with the framework's name,
//!   role and principal) before the subscription is used; "Framework has been removed" clears it, forgets the workers of the
//!   removed framework (the master killed them) and registers anew, with task
//!   ids counting on from the highest the old core knew;
//! * a call the master did not take (an error, a timeout, no subscription)
//!   goes back to the core as [`Input::CallFailed`] within the same step; the
//!   core decides what to repeat and rate-limits it, so the feedback ends;
//! * no peer stalls the loop for long: every call has a deadline (its answer
//!   body included), and once one call of a step ran into it the step's
//!   other calls go straight back to the core instead of each waiting out
//!   its own deadline;
//! * the published view carries when it was published and since when no
//!   subscription is live, which `/health` turns into 503s when the loop is
//!   wedged or Mesos is out of reach (see [`status::health`]);
//! * a stop request is honoured even while a call to a slow master is in
//!   flight: that call is abandoned (never the TEARDOWN); a TEARDOWN that
//!   finds no subscription waits briefly for the driver to re-subscribe;
//! * the status endpoint reads a [`StatusView`] published after inputs (at
//!   most every 100 ms, at most 100 ms stale), never the scheduler itself;
//! * nothing here prints or exits; `src/cmd/appmaster.rs` does.

pub mod admin;
mod crashpoint;
pub mod demand;
pub mod job;
pub mod jobmanager;
pub mod plan;
pub mod serve;
pub mod status;
pub mod workdir;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::config::master::MasterSpec;
use crate::mesos::client::{
    Client, ClientOptions, Driver, DriverHandle, MasterSource, MesosError, SessionEvent,
    SCHEDULER_PATH,
};
use crate::mesos::detector::{spawn_detector, DetectError};
use crate::mesos::{Call, Event, FrameworkId, TaskState};
use crate::scheduler::task::TaskTemplate;
use crate::scheduler::{Effect, Input, Outcome, Policy, Scheduler, Worker, WorkerState};
use crate::store::{FrameworkIdentity, StoreError, WorkerStore, Write};
use plan::Plan;
use status::{LatencyRecorder, StatusServer, StatusView};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mesos(#[from] MesosError),
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(
        "could not tear down framework {framework_id}: {message}; its workers keep running until \
         mesos.failover-timeout runs out (or tear it down with the master's operator API)"
    )]
    Teardown {
        framework_id: String,
        message: String,
    },
    /// The stored framework id is not this appmaster's framework: the
    /// message names the record and what to do.
    #[error("{0}")]
    ForeignFramework(String),
    #[error("{0}")]
    Internal(String),
}

/// How the appmaster runs, beyond the configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// On shutdown, leave the framework and its workers running (failover).
    pub keep_framework: bool,
    pub client: ClientOptions,
    /// When `/health` turns 503.
    pub health: status::HealthLimits,
    /// The artifact server's base URL, shown on `/status`.
    pub artifact_server: Option<String>,
    /// The JobManager's REST API, through a local address: its demand and
    /// registrations size the cluster (see [`demand`]).
    pub jobmanager_rest: Option<String>,
    /// The credential `workers scale` must present (`None`: no mutations).
    pub admin_token: Option<crate::config::secret::Secret>,
    /// Set when the cluster is over for good (a job cluster's job ended):
    /// the stop tears the framework down even with `keep_framework`.
    pub cluster_over: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// The runtime's state, owned by the [`run`] task alone.
struct Runtime<S> {
    scheduler: Scheduler,
    /// The artifact server's base URL (for the status view).
    artifact_server: Option<String>,
    policy: Policy,
    template: TaskTemplate,
    store: S,
    started: Instant,
    framework_id: Option<String>,
    /// Name, role and principal, stored with the framework id.
    identity: FrameworkIdentity,
    /// The stored id record already carries `identity` (an id-only record
    /// of an older flink-mesos is rewritten at SUBSCRIBED).
    identity_stored: bool,
    next_task_number: u64,
    master: MasterSource,
    /// The leader's base URL as of the last SUBSCRIBED (after redirects).
    leader: Option<String>,
    connected: bool,
    /// Since when no subscription is live (start-up included), for /health.
    disconnected_since: Option<Instant>,
    /// Why the last subscription ended, for /health.
    disconnect_reason: Option<String>,
    /// The deadline of one call: a call that took this long means the master
    /// is not answering, and the rest of the step's calls are not sent.
    call_timeout: Duration,
    health: status::HealthLimits,
    phase: &'static str,
    launched_at: HashMap<String, Instant>,
    latency: LatencyRecorder,
    /// Why offers were not used, as last logged.
    unmatched: BTreeMap<String, String>,
    view: watch::Sender<Arc<StatusView>>,
    /// The outcome of the last TEARDOWN call, if one was sent.
    teardown: Option<Result<(), String>>,
    /// Counts stop requests (signals).
    shutdown: watch::Receiver<u32>,
    /// When the status view was last published.
    published: Instant,
    /// The state changed since.
    dirty: bool,
    /// How the sandbox of a failed worker is read (the client's TLS and
    /// timeouts).
    client: ClientOptions,
    /// What a failed worker's sandbox said, by task id (a resent update is
    /// not looked up again).
    causes: HashMap<String, Option<String>>,
}

/// The most of a failed worker's `stderr` that is read for its cause.
const CAUSE_TAIL_BYTES: u64 = 16 * 1024;

/// At most this many inputs per [`Runtime::step`]: the input and the failed
/// calls it leads to, fed back to the core.
const MAX_FEEDBACK_STEPS: usize = 10_000;

/// Minimum time between two status views (and their maximum staleness).
const PUBLISH_EVERY: Duration = Duration::from_millis(100);

impl<S: WorkerStore> Runtime<S> {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// Steps the core and executes its effects in order.
    async fn step(
        &mut self,
        input: Input,
        handle: Option<&DriverHandle>,
    ) -> Result<Option<Outcome>, RunError> {
        let mut exit = None;
        // Calls the master did not take go back to the core, which decides
        // what to do about them (it rate-limits retries, so this ends).
        let mut inputs = std::collections::VecDeque::from([input]);
        // Once a call ran into its deadline, the master is not answering:
        // the step's other calls go straight back to the core instead of
        // holding the loop for a deadline each (TEARDOWN is always tried).
        let mut master_stalled = false;
        let mut stepped = 0usize;
        while let Some(input) = inputs.pop_front() {
            stepped += 1;
            if stepped > MAX_FEEDBACK_STEPS {
                // The core rate-limits what it repeats, so this is a bug; a
                // stuck loop would be worse than dropping the rest (the
                // core's timers and the next reconciliation repair it).
                tracing::error!(
                    dropped = inputs.len() + 1,
                    "too many failed calls fed back in one step; dropping the rest"
                );
                break;
            }
            let effects = self.scheduler.step(input, self.now());
            // Consecutive store effects are written as one batch (one atomic
            // ZooKeeper multi), always before the call that follows them.
            let mut batch = Vec::new();
            for effect in effects {
                match effect {
                    Effect::Store(worker) => batch.push(Write::Worker(worker)),
                    Effect::Remove(task_id) => batch.push(Write::RemoveWorker(task_id)),
                    Effect::StoreNextTaskNumber(n) => batch.push(Write::NextTaskNumber(n)),
                    Effect::StoreFailedTasks(n) => batch.push(Write::FailedTasks(n)),
                    Effect::StoreFloor(n) => batch.push(Write::Floor(n)),
                    Effect::Call(call) => {
                        self.store_batch(std::mem::take(&mut batch)).await?;
                        let failed = if master_stalled && !matches!(call, Call::Teardown) {
                            tracing::debug!(
                                call = call.name(),
                                "the master is not answering; call postponed"
                            );
                            Some(call)
                        } else {
                            let started = Instant::now();
                            let failed = self.call(handle, call).await;
                            if failed.is_some() && started.elapsed() >= self.call_timeout {
                                master_stalled = true;
                            }
                            failed
                        };
                        if let Some(failed) = failed {
                            if exit.is_none() {
                                inputs.push_back(Input::CallFailed(failed));
                            }
                        }
                    }
                    Effect::Exit(outcome) => exit = Some(outcome),
                }
            }
            self.store_batch(batch).await?;
        }
        self.log_unmatched();
        // At most one view per PUBLISH_EVERY, so that a burst of updates does
        // not rebuild it for each one; `run` publishes what is left over.
        self.dirty = true;
        if exit.is_some() || self.published.elapsed() >= PUBLISH_EVERY {
            self.publish();
        }
        Ok(exit)
    }

    /// Writes a batch of store effects, then notes what they mean.
    async fn store_batch(&mut self, batch: Vec<Write>) -> Result<(), RunError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.store.apply(batch.clone()).await?;
        crashpoint::stored();
        for write in batch {
            match write {
                Write::Worker(worker) => self.observe(&worker),
                Write::RemoveWorker(task_id) => {
                    self.launched_at.remove(&task_id);
                }
                Write::NextTaskNumber(n) => self.next_task_number = self.next_task_number.max(n),
                Write::FrameworkId(_) | Write::FailedTasks(_) | Write::Floor(_) => {}
            }
        }
        Ok(())
    }

    /// Logs why offers are not used, once per new reason and host.
    fn log_unmatched(&mut self) {
        let now = self.scheduler.unmatched();
        if *now == self.unmatched {
            return;
        }
        for (host, why) in now {
            if self.unmatched.get(host) != Some(why) {
                tracing::info!(host = %host, reason = %why, "offer not used");
            }
        }
        self.unmatched = now.clone();
    }

    /// Logs worker transitions and measures ACCEPT → TASK_RUNNING.
    fn observe(&mut self, w: &Worker) {
        match w.state {
            WorkerState::New => tracing::debug!(task_id = %w.task_id, "worker wanted"),
            WorkerState::Launched => {
                self.launched_at.insert(w.task_id.clone(), Instant::now());
                let ports: Vec<String> = w.ports.iter().map(|(k, p)| format!("{k}={p}")).collect();
                tracing::info!(
                    task_id = %w.task_id,
                    host = w.hostname.as_deref().unwrap_or(""),
                    ports = %ports.join(","),
                    "launching worker"
                );
            }
            WorkerState::Running => {
                let latency = self.launched_at.remove(&w.task_id).map(|t| t.elapsed());
                if let Some(latency) = latency {
                    self.latency.observe(latency);
                }
                tracing::info!(
                    task_id = %w.task_id,
                    host = w.hostname.as_deref().unwrap_or(""),
                    launch_latency_ms = latency.map(|l| l.as_millis() as u64),
                    "worker running"
                );
            }
            WorkerState::Released => tracing::info!(task_id = %w.task_id, "releasing worker"),
        }
    }

    /// Sends one call; returns it when the master did not take it, for the
    /// core to handle as [`Input::CallFailed`] (never a TEARDOWN, whose
    /// outcome is kept for `run`, nor a call abandoned because of a stop).
    async fn call(&mut self, handle: Option<&DriverHandle>, call: Call) -> Option<Call> {
        let name = call.name();
        let is_teardown = matches!(call, Call::Teardown);
        let result = match handle {
            Some(h) if is_teardown => h.call(call.clone()).await,
            Some(h) => {
                // A slow master must not delay a requested stop: the call is
                // abandoned (safe: whatever it did, the teardown or the next
                // appmaster's reconciliation settles it).
                let mut stop = self.shutdown.clone();
                tokio::select! {
                    r = h.call(call.clone()) => r,
                    _ = shutdown_requested(&mut stop) => {
                        tracing::debug!(call = name, "stopping: call abandoned");
                        return None;
                    }
                }
            }
            None => Err(MesosError::NotConnected),
        };
        match &result {
            Ok(()) => {
                tracing::debug!(call = name, "sent");
                crashpoint::called();
            }
            // The core repeats what matters; the next SUBSCRIBED reconciles.
            Err(MesosError::NotConnected) => {
                tracing::debug!(call = name, "not subscribed; call not sent")
            }
            Err(e) => tracing::warn!(call = name, error = %e, "call failed"),
        }
        if is_teardown {
            self.teardown = Some(result.map_err(|e| e.to_string()));
            return None;
        }
        result.err().map(|_| call)
    }

    fn publish(&mut self) {
        self.published = Instant::now();
        self.dirty = false;
        let mut view = status::view_of(&self.scheduler, self.now());
        view.phase = self.phase;
        view.framework_id = self.framework_id.clone();
        view.master = self.leader.clone().or_else(|| self.master.borrow().clone());
        view.connected = self.connected;
        view.published_at = Some(self.published);
        view.disconnected_since = self.disconnected_since;
        view.disconnect_reason = self.disconnect_reason.clone();
        view.health_limits = self.health;
        view.artifact_server = self.artifact_server.clone();
        view.launch_latency = self.latency.summary();
        self.view.send_replace(Arc::new(view));
    }

    async fn on_event(
        &mut self,
        event: Event,
        handle: &DriverHandle,
    ) -> Result<Option<Outcome>, RunError> {
        let input = match event {
            Event::Subscribed {
                framework_id,
                master,
                ..
            } => {
                let id = framework_id.as_str().to_string();
                if self.framework_id.as_deref() != Some(id.as_str()) || !self.identity_stored {
                    // Stored before anything is launched under it.
                    self.store.set_framework_id(&id, &self.identity).await?;
                    self.framework_id = Some(id.clone());
                    self.identity_stored = true;
                }
                self.connected = true;
                self.disconnected_since = None;
                self.disconnect_reason = None;
                self.phase = "running";
                self.leader = handle.master_url().map(|u| {
                    u.strip_suffix(SCHEDULER_PATH)
                        .map(str::to_string)
                        .unwrap_or(u)
                });
                tracing::info!(
                    framework_id = %id,
                    master = master.as_ref().map(|m| m.id.as_str()).unwrap_or(""),
                    "subscribed to the Mesos master"
                );
                self.warn_about_namesakes(&id);
                Input::Subscribed
            }
            Event::Offers(offers) => {
                tracing::debug!(count = offers.len(), "offers");
                Input::Offers(offers)
            }
            Event::Rescind(id) => Input::Rescind(id),
            Event::Update(mut status) => {
                self.explain_failure(&mut status).await;
                let terminal = status.state.is_terminal()
                    || matches!(status.state, TaskState::Unreachable | TaskState::Unknown);
                // Warn about the ends nobody asked for, once: a worker we
                // killed ends as expected, and answers about a task we no
                // longer keep (repeated reconciliation, resent updates) are
                // news to nobody.
                let worker = self.scheduler.worker_state(status.task_id.as_str());
                let (message, reason) = (
                    status.message.as_deref().unwrap_or(""),
                    status.reason.as_deref().unwrap_or(""),
                );
                match (terminal, worker) {
                    (true, Some(WorkerState::Released)) => tracing::info!(
                        task_id = %status.task_id, state = %status.state, message, reason,
                        "released worker ended"
                    ),
                    (true, Some(_)) => tracing::warn!(
                        task_id = %status.task_id, state = %status.state, message, reason,
                        "task ended"
                    ),
                    _ => tracing::debug!(
                        task_id = %status.task_id, state = %status.state, message, reason,
                        "task status"
                    ),
                }
                Input::Update(status)
            }
            Event::Failure {
                agent_id,
                executor_id,
                status,
            } => {
                tracing::warn!(agent_id = ?agent_id, executor_id = ?executor_id, status = ?status, "agent or executor failed");
                return Ok(None);
            }
            Event::Error(message) => {
                tracing::warn!(message = %message, "error from the Mesos master");
                return Ok(None);
            }
            Event::Heartbeat | Event::Message { .. } | Event::Unhandled(_) => return Ok(None),
        };
        self.step(input, Some(handle)).await
    }

    /// Another active framework with this one's name and role (a second
    /// appmaster of the same cluster without high availability: both
    /// launch `taskmanager-00001`, …) is warned about, off the owner loop.
    fn warn_about_namesakes(&self, own_id: &str) {
        let Some(master) = self.leader.clone() else {
            return;
        };
        let (client, identity, own_id) = (
            self.client.clone(),
            self.identity.clone(),
            own_id.to_string(),
        );
        tokio::spawn(async move {
            let found = crate::mesos::operator::namesakes(
                &master,
                &client,
                &identity.name,
                &identity.role,
                &own_id,
            )
            .await;
            match found {
                Ok(others) if !others.is_empty() => {
                    let list: Vec<String> = others
                        .iter()
                        .map(|(id, host)| format!("{id} on {host}"))
                        .collect();
                    tracing::warn!(
                        "another active framework named `{}` with role `{}` is registered with \
                         the master ({}): two appmasters of one cluster launch the same task \
                         ids and compete for offers; stop one, give each cluster its own \
                         {} (and high-availability.cluster-id), or enable high availability \
                         so that one leads",
                        identity.name,
                        identity.role,
                        list.join(", "),
                        crate::config::options::Key::MesosResourcemanagerFrameworkName.name()
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "cannot list the master's frameworks"),
            }
        });
    }

    /// A worker that failed on its own ("Command exited with status 5"
    /// says nothing) gets the cause `flink-mesos taskmanager`, the JVM or
    /// BashJavaUtils left at the end of its sandbox's `stderr`, read through
    /// the agent's `/files` API (bounded by the call timeout) and appended
    /// to the status message, so that the WARN, `/status` `failures.last`
    /// and the exit message carry it.
    async fn explain_failure(&mut self, status: &mut crate::mesos::TaskStatus) {
        if status.state != TaskState::Failed
            || !matches!(
                self.scheduler.worker_state(status.task_id.as_str()),
                Some(WorkerState::Launched | WorkerState::Running)
            )
        {
            return;
        }
        let id = status.task_id.as_str().to_string();
        let cause = match self.causes.get(&id) {
            Some(cause) => cause.clone(),
            None => {
                let (Some(master), Some(framework), Some(agent)) = (
                    self.leader.clone(),
                    self.framework_id.clone(),
                    status.agent_id.clone(),
                ) else {
                    return;
                };
                let executor = status
                    .executor_id
                    .as_ref()
                    .map(|e| e.as_str().to_string())
                    .unwrap_or_else(|| id.clone());
                let read = crate::mesos::operator::sandbox_tail(
                    &master,
                    &self.client,
                    agent.as_str(),
                    &framework,
                    &executor,
                    "stderr",
                    CAUSE_TAIL_BYTES,
                );
                let bound = self.call_timeout.min(Duration::from_secs(5));
                let cause = match tokio::time::timeout(bound, read).await {
                    Ok(Ok(text)) => crate::mesos::operator::failure_cause(&text),
                    Ok(Err(e)) => {
                        tracing::debug!(task_id = %id, error = %e, "cannot read the sandbox's stderr");
                        None
                    }
                    Err(_) => None,
                };
                if self.causes.len() >= 1000 {
                    self.causes.clear();
                }
                self.causes.insert(id, cause.clone());
                cause
            }
        };
        if let Some(cause) = cause {
            let message = status.message.take().unwrap_or_default();
            status.message = Some(if message.is_empty() {
                cause
            } else {
                format!("{message}: {cause}")
            });
        }
    }

    /// "Framework has been removed": the master killed every task of the old
    /// framework. Forget them (they are not failures of ours) and start a
    /// fresh core that registers anew; task ids keep counting up.
    async fn framework_removed(&mut self) -> Result<(), RunError> {
        // One batch: the framework id and its workers go together.
        let mut batch = vec![Write::FrameworkId(None)];
        batch.extend(
            self.scheduler
                .workers()
                .map(|w| Write::RemoveWorker(w.task_id.clone())),
        );
        self.store.apply(batch).await?;
        self.framework_id = None;
        self.launched_at.clear();
        self.connected = false;
        self.disconnected_since.get_or_insert_with(Instant::now);
        // Task ids keep counting from the highest the old core knew, which
        // includes recovery's bumps past stored ids the counter missed.
        let next_task_number = self.next_task_number.max(self.scheduler.next_task_number());
        self.scheduler = Scheduler::new(self.policy.clone(), self.template.clone());
        let recovered = Input::Recovered {
            workers: Vec::new(),
            next_task_number,
            // The cluster goes on: its failures still count.
            failed_tasks: self.scheduler.failed(),
            floor: Some(self.scheduler.floor()),
        };
        self.step(recovered, None).await?;
        Ok(())
    }
}

/// Runs the appmaster until it is shut down (`shutdown` reaches 1) or the
/// cluster fails. Returns how it ended; `Outcome::TooManyFailures` means the
/// framework was torn down because too many workers failed.
pub async fn run<S: WorkerStore>(
    plan: Plan,
    master: &MasterSpec,
    store: S,
    status: Option<StatusServer>,
    shutdown: watch::Receiver<u32>,
    options: Options,
) -> Result<Outcome, RunError> {
    let started = Instant::now();
    let (view_tx, view_rx) = watch::channel(Arc::new(StatusView {
        phase: "starting",
        // A start-up that hangs (store, detector) shows in /health too.
        published_at: Some(started),
        disconnected_since: Some(started),
        health_limits: options.health,
        artifact_server: options.artifact_server.clone(),
        ..StatusView::default()
    }));
    let (server_stop, server_stop_rx) = watch::channel(false);
    let (scale_tx, scale_rx) = mpsc::channel(16);
    let control = options.admin_token.clone().map(|token| status::Control {
        token: Arc::new(token),
        requests: scale_tx,
    });
    let server = status.map(|s| s.spawn(view_rx, control, server_stop_rx));
    // However `run` ends, the endpoint ends with it: gracefully when `run`
    // returns, aborted when it is dropped or fails.
    let _server_guard = AbortOnDrop(server.as_ref().map(|h| h.abort_handle()));
    let result = run_inner(plan, master, store, shutdown, options, view_tx, scale_rx).await;
    server_stop.send_replace(true);
    if let Some(server) = server {
        let _ = server.await;
    }
    result
}

async fn run_inner<S: WorkerStore>(
    plan: Plan,
    master: &MasterSpec,
    mut store: S,
    mut shutdown: watch::Receiver<u32>,
    options: Options,
    view_tx: watch::Sender<Arc<StatusView>>,
    mut scale_rx: mpsc::Receiver<status::ScaleRequest>,
) -> Result<Outcome, RunError> {
    let snapshot = store.load().await?;
    let (flink_tx, mut flink_rx) = mpsc::channel(4);
    let observer = match &options.jobmanager_rest {
        Some(base) if plan.policy.elastic.is_some() => {
            let observer = demand::Observer::new(base.clone()).map_err(RunError::Internal)?;
            Some(tokio::spawn(demand::watch(observer, flink_tx)))
        }
        _ => None,
    };
    let _observer_guard = AbortOnDrop(observer.as_ref().map(|h| h.abort_handle()));
    let identity = FrameworkIdentity {
        name: plan.framework.name.clone(),
        role: plan.framework.role.clone(),
        principal: plan.framework.principal.clone(),
    };
    // Before anything talks to Mesos: a framework id that is not this
    // appmaster's framework is refused, so nothing of it is touched.
    let mut identity_stored = true;
    if let (Some(id), Some(record)) = (&snapshot.framework_id, &snapshot.framework) {
        record
            .check(id, &identity)
            .map_err(RunError::ForeignFramework)?;
        if record.identity.is_none() {
            identity_stored = false;
            tracing::info!(
                framework_id = %id,
                record = %record.location,
                "the stored framework id carries no name, role or principal (an older \
                 flink-mesos wrote it) and only this appmaster's ZooKeeper user can write it: \
                 failing over into it; the record gets them once subscribed"
            );
        }
    }
    let (master_source, detector) = spawn_detector(master)?;
    let _detector_guard = AbortOnDrop(detector.as_ref().map(|h| h.abort_handle()));
    let client = Client::new(plan.framework.clone(), options.client.clone())?;
    let mut rt = Runtime {
        scheduler: Scheduler::new(plan.policy.clone(), plan.template.clone()),
        policy: plan.policy,
        template: plan.template,
        store,
        started: Instant::now(),
        framework_id: snapshot.framework_id.clone(),
        identity,
        identity_stored,
        next_task_number: snapshot.next_task_number,
        master: master_source.clone(),
        leader: None,
        connected: false,
        disconnected_since: Some(Instant::now()),
        disconnect_reason: None,
        call_timeout: options.client.call_timeout,
        client: options.client.clone(),
        causes: HashMap::new(),
        health: options.health,
        artifact_server: options.artifact_server.clone(),
        phase: "starting",
        launched_at: HashMap::new(),
        latency: LatencyRecorder::default(),
        unmatched: BTreeMap::new(),
        view: view_tx,
        teardown: None,
        shutdown: shutdown.clone(),
        published: Instant::now(),
        dirty: true,
    };
    tracing::info!(
        workers = snapshot.workers.len(),
        framework_id = snapshot.framework_id.as_deref().unwrap_or(""),
        master = %master,
        "starting the appmaster"
    );
    rt.step(
        Input::Recovered {
            workers: snapshot.workers,
            next_task_number: snapshot.next_task_number,
            failed_tasks: snapshot.failed_tasks,
            floor: snapshot.floor,
        },
        None,
    )
    .await?;

    loop {
        let (driver, handle) = Driver::new(
            client.clone(),
            master_source.clone(),
            rt.framework_id.clone().map(FrameworkId::new),
        );
        let (tx, mut events) = mpsc::channel(1024);
        let mut driver_task = tokio::spawn(driver.run(tx));
        // However `run` returns (an error included), the driver ends with it.
        let _driver_guard = AbortOnDrop(Some(driver_task.abort_handle()));
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // `Some(outcome)`: done; `None`: register a new framework.
        let outcome: Option<Outcome> = loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(SessionEvent::Event(event)) => {
                        if let Some(outcome) = rt.on_event(event, &handle).await? {
                            break Some(outcome);
                        }
                    }
                    Some(SessionEvent::Disconnected { reason }) => {
                        // The driver logs every failed attempt; say it once here.
                        if rt.connected {
                            tracing::warn!(reason = %reason, "disconnected from the Mesos master");
                        } else {
                            tracing::debug!(reason = %reason, "still not connected");
                        }
                        rt.connected = false;
                        rt.disconnected_since.get_or_insert_with(Instant::now);
                        rt.disconnect_reason = Some(reason);
                        rt.step(Input::Disconnected, Some(&handle)).await?;
                    }
                    None => {
                        // The driver ended on its own: only errors end it.
                        match (&mut driver_task).await {
                            Ok(Err(MesosError::FrameworkRemoved { framework_id })) => {
                                tracing::warn!(
                                    framework_id = %framework_id,
                                    "the Mesos master removed the framework; registering anew"
                                );
                                rt.framework_removed().await?;
                                break None;
                            }
                            Ok(Err(e)) => return Err(e.into()),
                            Ok(Ok(exit)) => {
                                return Err(RunError::Internal(format!("the Mesos driver ended: {exit:?}")))
                            }
                            Err(e) => return Err(RunError::Internal(format!("the Mesos driver failed: {e}"))),
                        }
                    }
                },
                _ = tokio::time::sleep_until((rt.published + PUBLISH_EVERY).into()), if rt.dirty => {
                    rt.publish();
                }
                _ = tick.tick() => {
                    if let Some(outcome) = rt.step(Input::Tick, Some(&handle)).await? {
                        break Some(outcome);
                    }
                }
                Some(view) = flink_rx.recv() => {
                    if let Some(outcome) = rt.step(Input::Flink(view), Some(&handle)).await? {
                        break Some(outcome);
                    }
                }
                Some(request) = scale_rx.recv() => {
                    let from = rt.scheduler.floor();
                    let outcome = rt.step(Input::SetFloor(request.floor), Some(&handle)).await?;
                    let _ = request.reply.send((from, rt.scheduler.floor()));
                    if let Some(outcome) = outcome {
                        break Some(outcome);
                    }
                }
                _ = shutdown_requested(&mut shutdown) => {
                    rt.phase = "stopping";
                    let teardown = !options.keep_framework
                        || options.cluster_over.load(std::sync::atomic::Ordering::SeqCst);
                    tracing::info!(teardown, "shutting down");
                    let outcome = rt.step(Input::Shutdown { teardown }, Some(&handle)).await?;
                    break Some(outcome.unwrap_or(Outcome::Stopped));
                }
            }
        };
        // `None`: the framework was removed; a new driver registers anew.
        let Some(outcome) = outcome else { continue };
        if matches!(rt.teardown, Some(Err(_))) && rt.framework_id.is_some() {
            // Typically stopped between two subscriptions while the driver
            // re-subscribes: give it a moment and try once more rather than
            // leave the framework behind.
            tracing::info!(
                wait = ?TEARDOWN_RECONNECT,
                "not subscribed; waiting for the master to tear the framework down"
            );
            rt.teardown = Some(teardown_after_reconnect(&handle, &mut events).await);
        }
        handle.stop();
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut driver_task).await;
        driver_task.abort();
        if matches!(rt.teardown, Some(Ok(()))) && rt.framework_id.is_some() {
            // The framework is gone: the next start must register anew
            // instead of subscribing with a dead id, as a new cluster whose
            // failures start from zero.
            if let Err(e) = rt
                .store
                .apply(vec![Write::FrameworkId(None), Write::FailedTasks(0)])
                .await
            {
                tracing::warn!(error = %e, "could not clear the stored framework id");
            }
        }
        if let (Some(Err(message)), Some(framework_id)) =
            (rt.teardown.take(), rt.framework_id.clone())
        {
            let error = RunError::Teardown {
                framework_id,
                message,
            };
            if matches!(outcome, Outcome::Stopped) {
                return Err(error);
            }
            // Too many failures: that is the outcome to report; say this too.
            tracing::error!(error = %error, "teardown failed");
        }
        if matches!(outcome, Outcome::Stopped) {
            let kept = options.keep_framework
                && !options
                    .cluster_over
                    .load(std::sync::atomic::Ordering::SeqCst);
            match (&rt.framework_id, kept) {
                (Some(id), true) => tracing::info!(
                    framework_id = %id,
                    "left the framework and its workers running for a failover within mesos.failover-timeout"
                ),
                (Some(id), false) => tracing::info!(framework_id = %id, "framework torn down"),
                (None, _) => tracing::info!("stopped before registering a framework"),
            }
        }
        return Ok(outcome);
    }
}

/// How long a teardown waits for a lost subscription to come back.
const TEARDOWN_RECONNECT: Duration = Duration::from_secs(10);

/// Sends TEARDOWN once the driver has re-subscribed (other events are
/// dropped: the cluster is stopping), or fails after [`TEARDOWN_RECONNECT`].
async fn teardown_after_reconnect(
    handle: &DriverHandle,
    events: &mut mpsc::Receiver<SessionEvent>,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + TEARDOWN_RECONNECT;
    loop {
        if handle.is_connected() {
            return handle.call(Call::Teardown).await.map_err(|e| e.to_string());
        }
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(_)) => {}
            Ok(None) => return Err("the connection to the Mesos master ended".into()),
            Err(_) => {
                return Err(format!(
                    "not subscribed to a Mesos master within {TEARDOWN_RECONNECT:?}"
                ))
            }
        }
    }
}

/// Resolves once a shutdown is requested (or nobody can request one any
/// more). Holds no borrow of the channel afterwards, so `run` stays `Send`.
async fn shutdown_requested(shutdown: &mut watch::Receiver<u32>) {
    let _ = shutdown.wait_for(|n| *n >= 1).await;
}

/// Aborts a spawned task when dropped (the status server, the detector, the
/// driver), so that no task outlives [`run`].
struct AbortOnDrop(Option<tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(h) = &self.0 {
            h.abort();
        }
    }
}
