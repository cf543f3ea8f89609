//! The status endpoint: `GET /status` (JSON), `GET /metrics` (Prometheus
//! text format 0.0.4) and `GET /health`.
//!
//! The owner loop publishes a [`StatusView`] through a `watch` channel (at
//! most every 100 ms, at most 100 ms stale); the server only reads the latest
//! view, so a slow
//! or hung master never makes the endpoint hang, and requests never touch
//! the scheduler itself. Routing is an axum [`Router`]; malformed requests
//! are answered by hyper (400), unknown paths get 404 and other methods 405.
//! Nothing a client sends can panic the server, and a client that never
//! finishes its headers is cut off. The view holds no secrets.
//!
//! `/health` answers 200 `ok` while the appmaster is doing its job and 503
//! with the reason when it is not (see [`health`]): the owner loop has not
//! published a view for [`LOOP_STALLED_AFTER`] (it is wedged), or no Mesos
//! subscription has been live for half of `mesos.failover-timeout` (at most
//! [`DISCONNECTED_UNHEALTHY_AFTER`]; [`HealthLimits::for_failover_timeout`]). A
//! supervisor such as Marathon restarts the appmaster on it; the new one
//! fails over to the same framework and keeps the workers.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{FromRef, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::scheduler::starvation::Unsatisfiable;
use crate::scheduler::{Counters, PacingView, Scheduler, Worker, WorkerState};

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct WorkerView {
    pub task_id: String,
    pub host: Option<String>,
    pub agent_id: Option<String>,
    pub ports: BTreeMap<String, u16>,
    /// Why it exists: `floor` or `demand`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Its TaskManager registered with the JobManager (as last reported;
    /// `null` while the JobManager is not observed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered: Option<bool>,
    /// Its TaskManager's slots, as last reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<crate::scheduler::elastic::Slots>,
    /// How long its TaskManager has had no allocated slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct WorkersByState {
    pub new: Vec<WorkerView>,
    pub launched: Vec<WorkerView>,
    pub running: Vec<WorkerView>,
    pub released: Vec<WorkerView>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Failures {
    pub count: u32,
    /// `mesos.maximum-failed-tasks`; `null` when failures never stop the cluster.
    pub limit: Option<u32>,
    pub last: Option<String>,
}

/// `/status`' view of a [`crate::scheduler::LaunchHold`].
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LaunchHoldView {
    pub image: String,
    /// The key that names the image.
    pub key: String,
    pub reason: String,
    pub held_seconds: f64,
    /// Until the one retry (`0`: it is due or running).
    pub retry_in_seconds: f64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub sum_seconds: f64,
    /// Quantiles over the most recent launches.
    pub p50_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    pub p99_seconds: Option<f64>,
}

/// Everything `/status` and `/metrics` show.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StatusView {
    /// `starting`, `running` or `stopping`.
    pub phase: &'static str,
    pub framework_id: Option<String>,
    /// The leading master's URL as last known.
    pub master: Option<String>,
    pub connected: bool,
    /// Workers wanted now: the floor, or more for the jobs' demand, at most
    /// the ceiling.
    pub desired_workers: u32,
    /// How the workers follow demand (absent: a fixed pool).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand: Option<DemandView>,
    pub workers: WorkersByState,
    pub failures: Failures,
    /// Launches held because the TaskManagers' container image cannot be
    /// used (absent: not held).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_hold: Option<LaunchHoldView>,
    /// Why offers could not be used, by agent host (the latest reason),
    /// while workers are pending.
    pub unmatched_offers: BTreeMap<String, String>,
    /// Workers pending while no offer fits them (or none comes) for a while:
    /// what is missing and what to do (absent: none). The appmaster is
    /// healthy meanwhile; `local up` and `workers scale` fail with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsatisfiable: Option<Unsatisfiable>,
    pub counters: Counters,
    /// Launch pacing: how many workers are launching, the limits, and the
    /// last executor that did not register with its agent in time.
    pub launch_pacing: PacingView,
    /// From ACCEPT to TASK_RUNNING.
    pub launch_latency: LatencySummary,
    /// Workers reported TASK_UNREACHABLE (kept until they come back, are
    /// GONE, or the unreachable timeout ends them).
    pub unreachable_workers: Vec<String>,
    /// Workers whose explicit reconciliation the master has not answered.
    pub awaiting_reconciliation: Vec<String>,
    /// Workers the master reported ended (reconciliation's latest state),
    /// waiting for their own status update, which says whether the end
    /// counts: task id → the master's answer.
    pub reported_ended_workers: BTreeMap<String, String>,
    /// Why the last subscription to the master ended, while disconnected.
    pub disconnect_reason: Option<String>,
    /// Where the workers fetch their artifacts: `http(s)://host:port`.
    pub artifact_server: Option<String>,
    /// A job cluster's job (`appmaster --job-jar`), as last polled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobView>,
    /// When the owner loop last published this view: how /health knows that
    /// the loop is alive.
    #[serde(skip)]
    pub published_at: Option<Instant>,
    /// Since when no subscription is live (start-up included).
    #[serde(skip)]
    pub disconnected_since: Option<Instant>,
    #[serde(skip)]
    pub health_limits: HealthLimits,
}

/// A job cluster's job on `/status` and `/metrics`, from the JobManager's
/// REST API (`/jobs/overview`, `/jobs/:id/checkpoints`, the job's
/// `numRestarts` metric), polled by [`super::job::watch`].
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct JobView {
    pub id: String,
    pub name: String,
    /// Flink's job status (`RUNNING`, `RESTARTING`, `FINISHED`, …).
    pub state: String,
    /// Restarts since this JobManager took the job over (`null`: not
    /// reported yet).
    pub restarts: Option<u64>,
    /// The latest completed checkpoint (`null`: none yet).
    pub last_checkpoint: Option<CheckpointView>,
}

/// A completed checkpoint of the job.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CheckpointView {
    pub id: u64,
    /// Seconds from its completion to the poll that saw it.
    pub age_seconds: f64,
    /// Where it is stored.
    pub external_path: Option<String>,
}

/// The demand side of `/status`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DemandView {
    /// Workers kept whatever the demand (`mesos.initial-tasks`,
    /// `slotmanager.number-of-slots.min`, or `workers scale`).
    pub floor: u32,
    /// `slotmanager.number-of-slots.max` in workers (`null`: none).
    pub ceiling: Option<u32>,
    pub slots_per_worker: u32,
    /// Slots the jobs that are not finished need (as last reported).
    pub required_slots: u64,
    /// Slots the registered TaskManagers have.
    pub registered_slots: u64,
    /// Required slots that no registered TaskManager offers yet.
    pub pending_slots: u64,
    /// Workers the demand needs beyond the ceiling (not started).
    pub beyond_ceiling: u32,
    /// Jobs that are not finished.
    pub active_jobs: u32,
    /// TaskManagers registered with the JobManager.
    pub registered_taskmanagers: u32,
    /// Seconds since the JobManager last answered (`null`: never yet).
    pub observed_seconds_ago: Option<f64>,
    /// `resourcemanager.taskmanager-timeout` in seconds.
    pub idle_timeout_seconds: f64,
}

/// When `/health` turns 503 (see [`health`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthLimits {
    /// The owner loop has not published a view for this long.
    pub loop_stalled_after: Duration,
    /// No Mesos subscription has been live for this long.
    pub disconnected_after: Duration,
}

impl Default for HealthLimits {
    fn default() -> Self {
        HealthLimits {
            loop_stalled_after: LOOP_STALLED_AFTER,
            disconnected_after: DISCONNECTED_UNHEALTHY_AFTER,
        }
    }
}

/// The owner loop publishes a view at least once a second (it ticks); one
/// older than this means the loop is wedged (a store or master call that
/// never returns), and /health says so.
pub const LOOP_STALLED_AFTER: Duration = Duration::from_secs(60);

/// The upper bound of how long the appmaster may be without a Mesos
/// subscription (or never subscribed since start) before /health fails.
/// Long enough to ride out a master failover and the driver's reconnect
/// backoff. The limit in force is [`HealthLimits::for_failover_timeout`]:
/// half of `mesos.failover-timeout`, at most this.
pub const DISCONNECTED_UNHEALTHY_AFTER: Duration = Duration::from_secs(300);

/// The least time without a subscription that fails /health, whatever the
/// failover timeout: a master failover takes a few seconds.
pub const DISCONNECTED_UNHEALTHY_MIN: Duration = Duration::from_secs(5);

impl HealthLimits {
    /// The limits for a framework whose `mesos.failover-timeout` is
    /// `failover_timeout`: /health fails after half of it without a
    /// subscription (between [`DISCONNECTED_UNHEALTHY_MIN`] and
    /// [`DISCONNECTED_UNHEALTHY_AFTER`]), so that a supervisor that restarts
    /// the appmaster on a failing /health has the other half to do so
    /// before Mesos kills every worker of the framework.
    pub fn for_failover_timeout(failover_timeout: Duration) -> HealthLimits {
        HealthLimits {
            disconnected_after: (failover_timeout / 2)
                .clamp(DISCONNECTED_UNHEALTHY_MIN, DISCONNECTED_UNHEALTHY_AFTER),
            ..HealthLimits::default()
        }
    }
}

/// The /health verdict: `Err(why)` when the owner loop has not run for
/// [`LOOP_STALLED_AFTER`] or no Mesos subscription has been live for the
/// view's [`HealthLimits::disconnected_after`]. A view
/// without `published_at` or `disconnected_since` says nothing against it.
pub fn health(view: &StatusView, now: Instant) -> Result<(), String> {
    let limits = view.health_limits;
    if let Some(at) = view.published_at {
        let age = now.saturating_duration_since(at);
        if age >= limits.loop_stalled_after {
            return Err(format!(
                "the appmaster's owner loop has not run for {}s (a store or Mesos call does not return)",
                age.as_secs()
            ));
        }
    }
    if let Some(since) = view.disconnected_since {
        let away = now.saturating_duration_since(since);
        if away >= limits.disconnected_after {
            let reason = view
                .disconnect_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            return Err(format!(
                "not subscribed to a Mesos master for {}s{reason} (unhealthy after {}s: half of \
                 mesos.failover-timeout, at most {}s, so that a restart can fail over before \
                 Mesos ends the workers)",
                away.as_secs(),
                limits.disconnected_after.as_secs(),
                DISCONNECTED_UNHEALTHY_AFTER.as_secs()
            ));
        }
    }
    Ok(())
}

impl StatusView {
    pub fn workers_in(&self, state: WorkerState) -> &[WorkerView] {
        match state {
            WorkerState::New => &self.workers.new,
            WorkerState::Launched => &self.workers.launched,
            WorkerState::Running => &self.workers.running,
            WorkerState::Released => &self.workers.released,
        }
    }
}

/// Launch latencies: totals since start, quantiles over the last samples.
#[derive(Debug, Clone, Default)]
pub struct LatencyRecorder {
    count: u64,
    sum: f64,
    recent: VecDeque<f64>,
}

const RECENT: usize = 1024;

impl LatencyRecorder {
    pub fn observe(&mut self, latency: Duration) {
        let s = latency.as_secs_f64();
        self.count += 1;
        self.sum += s;
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(s);
    }

    pub fn summary(&self) -> LatencySummary {
        let mut sorted: Vec<f64> = self.recent.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let q = |q: f64| {
            (!sorted.is_empty()).then(|| {
                let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
                sorted[i.min(sorted.len() - 1)]
            })
        };
        LatencySummary {
            count: self.count,
            sum_seconds: self.sum,
            p50_seconds: q(0.5),
            p90_seconds: q(0.9),
            p99_seconds: q(0.99),
        }
    }
}

fn worker_view(w: &Worker) -> WorkerView {
    WorkerView {
        task_id: w.task_id.clone(),
        host: w.hostname.clone(),
        agent_id: w.agent_id.clone(),
        ports: w.ports.iter().cloned().collect(),
        reason: None,
        registered: None,
        slots: None,
        idle_seconds: None,
    }
}

/// The view of the scheduler's current state at `now` (the core's clock;
/// the runtime adds the rest).
pub fn view_of(scheduler: &Scheduler, now: Duration) -> StatusView {
    let mut workers = WorkersByState::default();
    let elastic = scheduler.policy().elastic.as_ref();
    let view = scheduler.flink_view();
    let alive: Vec<&str> = scheduler
        .workers()
        .filter(|w| w.state != WorkerState::Released)
        .map(|w| w.task_id.as_str())
        .collect();
    let reasons = crate::scheduler::elastic::reasons(alive, scheduler.floor());
    for w in scheduler.workers() {
        let mut wv = worker_view(w);
        if elastic.is_some() {
            wv.reason = reasons.get(w.task_id.as_str()).map(|r| r.as_str());
            if view.is_some() && w.state == WorkerState::Running {
                let (slots, idle_since) = scheduler.taskmanager(&w.task_id);
                wv.registered = Some(slots.is_some());
                wv.slots = slots;
                wv.idle_seconds = idle_since.map(|at| now.saturating_sub(at).as_secs_f64());
            }
        }
        let list = match w.state {
            WorkerState::New => &mut workers.new,
            WorkerState::Launched => &mut workers.launched,
            WorkerState::Running => &mut workers.running,
            WorkerState::Released => &mut workers.released,
        };
        list.push(wv);
    }
    let demand = elastic.map(|e| {
        let registered_slots: u64 = view
            .map(|(_, v)| v.taskmanagers.values().map(|s| u64::from(s.total)).sum())
            .unwrap_or(0);
        let required = view.map(|(_, v)| v.required_slots).unwrap_or(0);
        DemandView {
            floor: scheduler.floor(),
            ceiling: e.ceiling,
            slots_per_worker: e.slots_per_worker,
            required_slots: required,
            registered_slots,
            pending_slots: required.saturating_sub(registered_slots),
            beyond_ceiling: scheduler.needed().saturating_sub(scheduler.target()),
            active_jobs: view.map(|(_, v)| v.active_jobs).unwrap_or(0),
            registered_taskmanagers: view.map(|(_, v)| v.taskmanagers.len() as u32).unwrap_or(0),
            observed_seconds_ago: view.map(|(at, _)| now.saturating_sub(at).as_secs_f64()),
            idle_timeout_seconds: e.idle_timeout.as_secs_f64(),
        }
    });
    StatusView {
        phase: "running",
        desired_workers: scheduler.target(),
        demand,
        failures: Failures {
            count: scheduler.failed(),
            limit: scheduler.policy().max_failed,
            last: scheduler.last_failure().map(str::to_string),
        },
        launch_hold: scheduler.launch_hold().map(|h| LaunchHoldView {
            image: h.image.clone(),
            key: crate::config::options::Key::MesosResourcemanagerTasksContainerImageName
                .to_string(),
            reason: h.reason.clone(),
            held_seconds: now.saturating_sub(h.since).as_secs_f64(),
            retry_in_seconds: h.until.saturating_sub(now).as_secs_f64(),
        }),
        // The core keeps the latest reason per host; once nothing is
        // pending, old reasons would only mislead.
        unmatched_offers: if workers.new.is_empty() {
            BTreeMap::new()
        } else {
            scheduler.unmatched().clone()
        },
        unsatisfiable: scheduler.unsatisfiable().cloned(),
        counters: scheduler.counters().clone(),
        launch_pacing: scheduler.pacing(),
        unreachable_workers: scheduler.unreachable().map(str::to_string).collect(),
        awaiting_reconciliation: scheduler
            .awaiting_reconciliation()
            .map(str::to_string)
            .collect(),
        reported_ended_workers: scheduler
            .reported_ended()
            .map(|(id, why)| (id.to_string(), why.to_string()))
            .collect(),
        workers,
        ..StatusView::default()
    }
}

/// Prometheus text exposition format 0.0.4.
pub fn metrics_text(v: &StatusView) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP flink_mesos_{name} {help}");
        let _ = writeln!(out, "# TYPE flink_mesos_{name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "flink_mesos_{name}{labels} {value}");
        }
    };
    let count = |s| v.workers_in(s).len() as f64;
    metric(
        "workers",
        "gauge",
        "Workers by state.",
        &[
            ("{state=\"new\"}", count(WorkerState::New)),
            ("{state=\"launched\"}", count(WorkerState::Launched)),
            ("{state=\"running\"}", count(WorkerState::Running)),
            ("{state=\"released\"}", count(WorkerState::Released)),
        ],
    );
    metric(
        "launches_held",
        "gauge",
        "1 while launches are held because the TaskManagers' container image cannot be used.",
        &[("", f64::from(u8::from(v.launch_hold.is_some())))],
    );
    metric(
        "workers_desired",
        "gauge",
        "Workers wanted now: the floor, or more for the jobs' demand, at most the ceiling.",
        &[("", f64::from(v.desired_workers))],
    );
    if let Some(d) = &v.demand {
        let registered = v
            .workers
            .running
            .iter()
            .filter(|w| w.registered == Some(true))
            .count();
        for (name, help, value) in [
            ("workers_floor", "Workers kept whatever the demand (mesos.initial-tasks, slotmanager.number-of-slots.min, workers scale).", f64::from(d.floor)),
            ("slots_required", "Slots the jobs that are not finished need.", d.required_slots as f64),
            ("slots_pending", "Required slots that no registered TaskManager offers yet (pending slot demand).", d.pending_slots as f64),
            ("workers_beyond_ceiling", "Workers the demand needs beyond slotmanager.number-of-slots.max (not started).", f64::from(d.beyond_ceiling)),
            ("taskmanagers_registered", "Running workers whose TaskManager registered with the JobManager.", registered as f64),
        ] {
            metric(name, "gauge", help, &[("", value)]);
        }
    }
    if let Some(job) = &v.job {
        // Job ids are hex and states upper-case words: nothing to escape.
        metric(
            "job_info",
            "gauge",
            "The job cluster's job (1), by id and Flink's job status.",
            &[(
                &format!("{{job_id=\"{}\",state=\"{}\"}}", job.id, job.state),
                1.0,
            )],
        );
        if let Some(n) = job.restarts {
            metric(
                "job_restarts",
                "gauge",
                "Restarts of the job since this JobManager took it over.",
                &[("", n as f64)],
            );
        }
        if let Some(c) = &job.last_checkpoint {
            metric(
                "job_last_checkpoint_id",
                "gauge",
                "The job's latest completed checkpoint.",
                &[("", c.id as f64)],
            );
            metric(
                "job_last_checkpoint_age_seconds",
                "gauge",
                "Seconds since the job's latest completed checkpoint, as last polled.",
                &[("", c.age_seconds)],
            );
        }
    }
    metric(
        "demand_unsatisfiable",
        "gauge",
        "1 while workers are pending and no offer has fitted one (or none came) for a while; /status says what is missing.",
        &[("", if v.unsatisfiable.is_some() { 1.0 } else { 0.0 })],
    );
    metric(
        "demand_unsatisfied_seconds",
        "gauge",
        "How long the pending workers have waited with no offer fitting (0: demand is satisfiable).",
        &[("", v.unsatisfiable.as_ref().map_or(0.0, |u| u.waiting_seconds))],
    );
    metric(
        "connected",
        "gauge",
        "1 while subscribed to a Mesos master.",
        &[("", if v.connected { 1.0 } else { 0.0 })],
    );
    metric(
        "workers_launching",
        "gauge",
        "Workers accepted and not yet RUNNING.",
        &[("", f64::from(v.launch_pacing.launching))],
    );
    metric(
        "launch_window",
        "gauge",
        "Workers that may be launching at once now (adaptive, at most mesos.resourcemanager.tasks.max-launching).",
        &[("", f64::from(v.launch_pacing.window))],
    );
    metric(
        "workers_unreachable",
        "gauge",
        "Workers reported TASK_UNREACHABLE (kept, not yet failures).",
        &[("", v.unreachable_workers.len() as f64)],
    );
    let c = &v.counters;
    for (name, help, value) in [
        (
            "offers_received_total",
            "Offers received.",
            c.offers_received,
        ),
        (
            "offers_accepted_total",
            "Offers accepted (workers launched in them).",
            c.offers_accepted,
        ),
        (
            "offers_declined_total",
            "Offers declined.",
            c.offers_declined,
        ),
        (
            "offers_rescinded_total",
            "Offers rescinded by the master.",
            c.offers_rescinded,
        ),
        (
            "workers_launched_total",
            "Workers launched.",
            c.workers_launched,
        ),
        (
            "workers_failed_total",
            "Workers that ended without being asked to.",
            c.workers_failed,
        ),
        (
            "unknown_tasks_killed_total",
            "Tasks killed because they are not ours.",
            c.unknown_tasks_killed,
        ),
        (
            "workers_replaced_uncounted_total",
            "Workers replaced without counting against mesos.maximum-failed-tasks (ended for a reason not their own).",
            c.workers_replaced_uncounted,
        ),
        (
            "workers_released_idle_total",
            "Workers released because their TaskManager stayed idle for resourcemanager.taskmanager-timeout.",
            c.released_idle,
        ),
        (
            "offers_paced_total",
            "Offers declined because launch pacing was at its limit (mesos.resourcemanager.tasks.max-launching*).",
            c.offers_paced,
        ),
        (
            "executor_registration_timeouts_total",
            "Workers whose executor did not register with its agent in time (replaced uncounted; the launch window halved).",
            c.executor_registration_timeouts,
        ),
        (
            "registration_timeouts_total",
            "Workers given up because their TaskManager did not register within taskmanager.registration.timeout.",
            c.registration_timeouts,
        ),
        (
            "launch_timeouts_total",
            "Workers killed because they were not running within the launch timeout.",
            c.launch_timeouts,
        ),
        ("revives_total", "REVIVE calls sent.", c.revives),
        (
            "reconciliations_total",
            "Explicit reconciliations sent.",
            c.reconciliations,
        ),
        (
            "calls_failed_total",
            "Calls the Mesos master did not take (errors, timeouts, no subscription).",
            c.calls_failed,
        ),
    ] {
        metric(name, "counter", help, &[("", value as f64)]);
    }
    let l = &v.launch_latency;
    let mut samples = Vec::new();
    for (label, q) in [
        ("{quantile=\"0.5\"}", l.p50_seconds),
        ("{quantile=\"0.9\"}", l.p90_seconds),
        ("{quantile=\"0.99\"}", l.p99_seconds),
    ] {
        if let Some(q) = q {
            samples.push((label, q));
        }
    }
    let _ = writeln!(
        out,
        "# HELP flink_mesos_launch_latency_seconds Time from ACCEPT to TASK_RUNNING."
    );
    let _ = writeln!(out, "# TYPE flink_mesos_launch_latency_seconds summary");
    for (labels, value) in samples {
        let _ = writeln!(out, "flink_mesos_launch_latency_seconds{labels} {value}");
    }
    let _ = writeln!(
        out,
        "flink_mesos_launch_latency_seconds_sum {}",
        l.sum_seconds
    );
    let _ = writeln!(out, "flink_mesos_launch_latency_seconds_count {}", l.count);
    out
}

/// `workers scale N`, from the status endpoint to the owner loop.
#[derive(Debug)]
pub struct ScaleRequest {
    pub floor: u32,
    /// The floor before and after.
    pub reply: oneshot::Sender<(u32, u32)>,
}

/// The one mutation the status endpoint takes (`POST /workers/scale`), for
/// callers that present the admin token.
#[derive(Clone, Debug)]
pub struct Control {
    pub token: Arc<crate::config::secret::Secret>,
    pub requests: mpsc::Sender<ScaleRequest>,
}

#[derive(Clone)]
struct Shared {
    view: watch::Receiver<Arc<StatusView>>,
    control: Option<Control>,
}

impl FromRef<Shared> for watch::Receiver<Arc<StatusView>> {
    fn from_ref(s: &Shared) -> Self {
        s.view.clone()
    }
}

/// The endpoint's routes over the latest published view: `GET`/`HEAD` on
/// `/status`, `/metrics` and `/health` for anyone; `POST /workers/scale`
/// (body `{"workers": N}`) for callers with the admin token (`Authorization:
/// Bearer …`) while this appmaster leads; 405 (with `Allow`) for other
/// methods, 404 elsewhere.
pub fn router(view: watch::Receiver<Arc<StatusView>>, control: Option<Control>) -> Router {
    Router::new()
        .route("/status", get(status_json))
        .route("/metrics", get(metrics))
        .route("/health", get(health_check))
        .route("/workers/scale", post(scale))
        .fallback(not_found)
        .with_state(Shared { view, control })
}

/// Largest request body `POST /workers/scale` reads.
const MAX_SCALE_BODY: usize = 4096;

fn text(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, "text/plain")], body).into_response()
}

async fn scale(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(control) = shared.control else {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "this appmaster does not lead the cluster; ask the leader (see `flink-mesos workers list`)\n".into(),
        );
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(presented) = presented else {
        return (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer"), (CONTENT_TYPE, "text/plain")],
            "changing the cluster needs the admin token (Authorization: Bearer …); see `flink-mesos workers scale --help`\n",
        )
            .into_response();
    };
    if !control.token.matches(presented) {
        return text(StatusCode::FORBIDDEN, "wrong admin token\n".into());
    }
    if body.len() > MAX_SCALE_BODY {
        return text(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n".into());
    }
    let floor = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["workers"].as_u64())
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n <= MAX_FLOOR);
    let Some(floor) = floor else {
        return text(
            StatusCode::BAD_REQUEST,
            format!("expected a JSON body {{\"workers\": N}} with 0 <= N <= {MAX_FLOOR}\n"),
        );
    };
    let (reply, answer) = oneshot::channel();
    if control
        .requests
        .send(ScaleRequest { floor, reply })
        .await
        .is_err()
    {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the appmaster is stopping\n".into(),
        );
    }
    match tokio::time::timeout(Duration::from_secs(10), answer).await {
        Ok(Ok((from, to))) => {
            let body = serde_json::json!({"floor": {"from": from, "to": to}});
            ([(CONTENT_TYPE, "application/json")], format!("{body}\n")).into_response()
        }
        _ => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the appmaster did not take the change (stopping, or its store is unavailable)\n"
                .into(),
        ),
    }
}

/// The largest floor `workers scale` accepts.
pub const MAX_FLOOR: u32 = 100_000;

type ViewState = State<watch::Receiver<Arc<StatusView>>>;

/// The latest view, cloned out of the watch so no borrow is held.
fn latest(view: &watch::Receiver<Arc<StatusView>>) -> Arc<StatusView> {
    view.borrow().clone()
}

async fn status_json(State(view): ViewState) -> Response {
    // Serializing plain data cannot fail; an empty object beats a panic.
    let mut body = serde_json::to_vec_pretty(&*latest(&view)).unwrap_or_else(|_| b"{}".to_vec());
    body.push(b'\n');
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

async fn metrics(State(view): ViewState) -> Response {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        metrics_text(&latest(&view)),
    )
        .into_response()
}

async fn health_check(State(view): ViewState) -> Response {
    match health(&latest(&view), Instant::now()) {
        Ok(()) => ([(CONTENT_TYPE, "text/plain")], "ok\n").into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CONTENT_TYPE, "text/plain")],
            format!("unhealthy: {why}\n"),
        )
            .into_response(),
    }
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain")],
        "not found; try /status, /metrics or /health\n",
    )
        .into_response()
}

/// Resolves once `stop` is true (or its sender is gone); holds no borrow of
/// the channel afterwards, so the futures awaiting it stay `Send`.
/// Connections the status endpoint serves at once (probes and operators).
const MAX_CONNECTIONS: usize = 64;

/// A bound, not yet serving, status endpoint (bind early so that the address
/// can be printed before the appmaster connects to Mesos).
pub struct StatusServer {
    listener: TcpListener,
}

impl StatusServer {
    pub async fn bind(addr: SocketAddr) -> std::io::Result<StatusServer> {
        Ok(StatusServer {
            listener: TcpListener::bind(addr).await?,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A second handle on the same socket (a standby serves its own view
    /// until it leads and the runtime takes over).
    pub fn try_clone(&self) -> std::io::Result<StatusServer> {
        use std::os::fd::AsFd;
        let std = std::net::TcpListener::from(self.listener.as_fd().try_clone_to_owned()?);
        std.set_nonblocking(true)?;
        Ok(StatusServer {
            listener: TcpListener::from_std(std)?,
        })
    }

    /// Serves [`router`] until `stop` turns true, then stops accepting and
    /// lets requests in flight finish (for at most 2 s); see
    /// [`crate::serve`].
    pub fn spawn(
        self,
        view: watch::Receiver<Arc<StatusView>>,
        control: Option<Control>,
        stop: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        crate::serve::spawn(
            self.listener,
            router(view, control),
            stop,
            MAX_CONNECTIONS,
            "status endpoint",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Method, Request};
    use tower::ServiceExt;

    /// Status and body of one request to the router over `view`.
    async fn ask(view: &StatusView, method: Method, path: &str) -> (StatusCode, String) {
        let (_tx, rx) = watch::channel(Arc::new(view.clone()));
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let response = router(rx, None).oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn routes() {
        let mut v = StatusView {
            phase: "running",
            desired_workers: 2,
            ..Default::default()
        };
        v.workers.running.push(WorkerView {
            task_id: "taskmanager-00001".into(),
            host: Some("h".into()),
            agent_id: None,
            ports: BTreeMap::from([("taskmanager.rpc.port".into(), 31000)]),
            ..Default::default()
        });
        let (status, body) = ask(&v, Method::GET, "/status?x=1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\"taskmanager-00001\""), "{body}");
        assert_eq!(ask(&v, Method::HEAD, "/status").await.0, StatusCode::OK);
        assert_eq!(ask(&v, Method::GET, "/nope").await.0, StatusCode::NOT_FOUND);
        assert_eq!(ask(&v, Method::GET, "/").await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            ask(&v, Method::POST, "/status").await.0,
            StatusCode::METHOD_NOT_ALLOWED
        );
        let (status, text) = ask(&v, Method::GET, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(text, metrics_text(&v));
        assert!(
            text.contains("flink_mesos_workers{state=\"running\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("flink_mesos_launch_latency_seconds_count 0\n"));
    }

    #[tokio::test]
    async fn health_reflects_the_loop_and_the_mesos_connection() {
        let now = Instant::now();
        let ago = |s: u64| now.checked_sub(Duration::from_secs(s)).unwrap();
        let mut v = StatusView {
            phase: "running",
            connected: true,
            published_at: Some(ago(1)),
            ..Default::default()
        };
        assert_eq!(health(&v, now), Ok(()));
        assert_eq!(
            ask(&v, Method::GET, "/health").await,
            (StatusCode::OK, "ok\n".to_string())
        );
        // A wedged owner loop: nothing published for a minute.
        v.published_at = Some(ago(61));
        let why = health(&v, now).unwrap_err();
        assert!(why.contains("owner loop has not run for 61s"), "{why}");
        // Fresh view, but no subscription for over five minutes.
        v.published_at = Some(ago(1));
        v.connected = false;
        v.disconnected_since = Some(ago(200));
        v.disconnect_reason = Some("the Mesos master closed the event stream".into());
        assert_eq!(health(&v, now), Ok(()), "a failover is ridden out");
        v.disconnected_since = Some(ago(301));
        let why = health(&v, now).unwrap_err();
        assert!(
            why.contains("not subscribed to a Mesos master for 301s: the Mesos master closed"),
            "{why}"
        );
        let (status, body) = ask(&v, Method::GET, "/health").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.starts_with("unhealthy: not subscribed"), "{body}");
        // The status JSON never carries the instants.
        let json = serde_json::to_value(&v).unwrap();
        assert!(json.get("published_at").is_none());
        assert_eq!(
            json["disconnect_reason"],
            "the Mesos master closed the event stream"
        );
    }

    /// Serving for real: a stop lets the request in flight finish, then the
    /// server ends.
    #[tokio::test]
    async fn the_server_stops_gracefully() {
        let server = StatusServer::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let (_view_tx, view) = watch::channel(Arc::new(StatusView::default()));
        let (stop, stop_rx) = watch::channel(false);
        let handle = server.spawn(view, None, stop_rx);
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        stop.send_replace(true);
        tokio::time::timeout(Duration::from_secs(10), handle)
            .await
            .expect("the server did not stop")
            .unwrap();
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }

    /// One request to the router with a control whose owner loop answers.
    async fn scale_request(auth: Option<&str>, body: &str) -> (StatusCode, String, Vec<u32>) {
        let (_tx, rx) = watch::channel(Arc::new(StatusView::default()));
        let (requests, mut taken) = mpsc::channel::<ScaleRequest>(4);
        let owner = tokio::spawn(async move {
            let mut floors = Vec::new();
            while let Some(r) = taken.recv().await {
                floors.push(r.floor);
                let _ = r.reply.send((1, r.floor));
            }
            floors
        });
        let control = Control {
            token: Arc::new(crate::config::secret::Secret::new("s3cret")),
            requests,
        };
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/workers/scale");
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let response = router(rx, Some(control))
            .oneshot(request.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let floors = owner.await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned(), floors)
    }

    #[tokio::test]
    async fn scaling_needs_the_admin_token_and_a_valid_body() {
        let body = r#"{"workers": 3}"#;
        let (status, text, floors) = scale_request(None, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
        assert!(floors.is_empty(), "nothing changes without the token");
        let (status, _, floors) = scale_request(Some("Bearer wrong"), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(floors.is_empty());
        let (status, text, floors) =
            scale_request(Some("Bearer s3cret"), "{\"workers\": -1}").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(floors.is_empty());
        let (status, text, floors) = scale_request(Some("Bearer s3cret"), body).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert_eq!(floors, vec![3]);
        assert!(text.contains("\"to\":3"), "{text}");
        assert!(!text.contains("s3cret"));
    }

    #[tokio::test]
    async fn a_standby_refuses_to_scale() {
        let (_tx, rx) = watch::channel(Arc::new(StatusView::default()));
        let request = Request::builder()
            .method(Method::POST)
            .uri("/workers/scale")
            .header("Authorization", "Bearer x")
            .body(Body::from("{\"workers\": 1}"))
            .unwrap();
        let response = router(rx, None).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn latency_quantiles() {
        let mut l = LatencyRecorder::default();
        assert_eq!(l.summary().p50_seconds, None);
        for ms in 1..=100 {
            l.observe(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.count, 100);
        assert!((s.p50_seconds.unwrap() - 0.050).abs() < 0.002);
        assert!((s.p99_seconds.unwrap() - 0.099).abs() < 0.002);
        for _ in 0..5000 {
            l.observe(Duration::from_secs(1));
        }
        assert_eq!(l.summary().p50_seconds, Some(1.0));
    }
}
