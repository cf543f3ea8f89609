//! The embedded master's state machine: frameworks and their subscriptions,
//! offers, filters, tasks, and the per-task status update streams.
//!
//! Part of the embedded single-node Mesos, a development stand-in for one
//! machine (production uses genuine Mesos). The behaviour a scheduler can
//! see follows Mesos 1.11 (`src/master/master.cpp`, the hierarchical
//! allocator, the agent's status update manager and the command executor).
//!
//! Invariants:
//! - all state sits behind one mutex, held only for short, non-blocking
//!   sections (never across an `.await`); process work happens in `agent`;
//! - an offer's resources are never in two outstanding offers, and offered
//!   plus used resources never exceed the agent's total;
//! - per task, updates reach the framework in order: the next one is sent
//!   only after the previous one was acknowledged; unacknowledged ones are
//!   resent (10 s, doubling, at most 10 min); a task is forgotten once its
//!   terminal update is acknowledged;
//! - every event to a framework goes through a bounded queue; a subscriber
//!   that does not read is disconnected rather than buffered without end.

use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use prost::Message;
use tokio::sync::mpsc;

use super::proto::v1 as pb;
use super::proto::v1::scheduler as sched;
use super::resources::{attributes_json, Resources};
use super::EmbeddedConfig;

use pb::task_status::{Reason, Source};
use pb::TaskState as S;

/// Mesos' default `refuse_seconds` of a filter.
const DEFAULT_REFUSE: f64 = 5.0;
/// The agent's first status update retry, then doubling up to the maximum.
pub const RETRY_MIN: Duration = Duration::from_secs(10);
pub const RETRY_MAX: Duration = Duration::from_secs(600);
/// The command executor's grace period between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3);
/// Events queued for one subscriber before it counts as gone.
const QUEUE: usize = 4096;
/// Mesos' allocation interval.
const ALLOCATION_INTERVAL: Duration = Duration::from_secs(1);

pub const VERSION: &str = "1.11.0-embedded";

pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A random id in the UUID text form Mesos uses.
pub fn uuid_text() -> String {
    let b = uuid_bytes();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub fn uuid_bytes() -> Vec<u8> {
    let mut b: Vec<u8> = (0..16).map(|_| fastrand::u8(..)).collect();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b
}

/// A running task process: its process group and whether it has exited.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pgid: i32,
    pub exited: Arc<AtomicBool>,
}

impl Proc {
    pub fn signal(&self, sig: i32) {
        if self.pgid > 1 && !self.exited.load(Ordering::SeqCst) {
            // SAFETY: killpg(2) has no memory effects; the group is the
            // task's own session (setsid at spawn), never ours.
            unsafe {
                libc::killpg(self.pgid, sig);
            }
        }
    }
}

/// Sends SIGTERM now and SIGKILL after `grace` unless it exited meanwhile.
pub fn terminate(proc: &Proc, grace: Duration) {
    proc.signal(libc::SIGTERM);
    let proc = proc.clone();
    tokio::spawn(async move {
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && !proc.exited.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        proc.signal(libc::SIGKILL);
    });
}

#[derive(Debug)]
pub struct Task {
    pub info: pb::TaskInfo,
    pub resources: Resources,
    /// The latest state (of the latest update, acknowledged or not).
    pub state: S,
    pub statuses: Vec<(S, f64)>,
    /// Updates not yet acknowledged; the head is the one sent.
    pub pending: VecDeque<pb::TaskStatus>,
    pub next_retry: Option<Instant>,
    pub retry_interval: Duration,
    pub proc: Option<Proc>,
    /// Set by KILL: the grace period to use.
    pub kill: Option<Duration>,
    pub sandbox: std::path::PathBuf,
}

impl Task {
    fn terminal(&self) -> bool {
        is_terminal(self.state)
    }
}

pub fn is_terminal(s: S) -> bool {
    matches!(
        s,
        S::TaskFinished
            | S::TaskFailed
            | S::TaskKilled
            | S::TaskError
            | S::TaskLost
            | S::TaskDropped
            | S::TaskGone
            | S::TaskGoneByOperator
    )
}

struct Conn {
    stream_id: String,
    tx: mpsc::Sender<Bytes>,
}

struct Filter {
    resources: Resources,
    until: Instant,
}

pub struct Framework {
    pub id: String,
    pub info: pb::FrameworkInfo,
    conn: Option<Conn>,
    pub disconnected_at: Option<Instant>,
    pub suppressed: bool,
    filters: Vec<Filter>,
    pub tasks: BTreeMap<String, Task>,
    /// Ended tasks as `/master/state` shows them (`completed_tasks`), the
    /// latest [`MAX_COMPLETED_TASKS`].
    pub completed: VecDeque<serde_json::Value>,
    next_heartbeat: Instant,
    pub registered_time: f64,
}

/// Mesos' `--max_completed_tasks_per_framework` default.
const MAX_COMPLETED_TASKS: usize = 1000;
/// Mesos' `--max_completed_frameworks` default.
const MAX_COMPLETED_FRAMEWORKS: usize = 50;

impl Framework {
    /// Remembers an ended task for `/master/state` (`state` overrides its
    /// own: a task killed with its framework shows TASK_KILLED).
    fn complete(&mut self, node: &Node, id: &str, task: &Task, state: S) {
        if self.completed.len() >= MAX_COMPLETED_TASKS {
            self.completed.pop_front();
        }
        let json = task_json(node, &self.id, id, task, state);
        self.completed.push_back(json);
    }
}

/// One task as `/master/state` shows it.
fn task_json(node: &Node, framework_id: &str, id: &str, t: &Task, state: S) -> serde_json::Value {
    let state_name = |s: S| s.as_str_name().to_string();
    json!({
        "id": id,
        "name": t.info.name,
        "framework_id": framework_id,
        "executor_id": "",
        "slave_id": node.agent_id,
        "agent_id": node.agent_id,
        "state": state_name(state),
        "resources": t.resources.to_json(),
        "statuses": t.statuses.iter().map(|(s, ts)| json!({"state": state_name(*s), "timestamp": ts})).collect::<Vec<_>>(),
        "sandbox": t.sandbox.display().to_string(),
    })
}

impl Framework {
    fn has(&self, cap: pb::framework_info::capability::Type) -> bool {
        self.info
            .capabilities
            .iter()
            .any(|c| c.r#type == Some(cap as i32))
    }

    pub fn partition_aware(&self) -> bool {
        self.has(pb::framework_info::capability::Type::PartitionAware)
    }

    #[allow(deprecated)]
    fn role(&self) -> String {
        self.info
            .roles
            .first()
            .cloned()
            .or_else(|| self.info.role.clone())
            .unwrap_or_else(|| "*".into())
    }

    fn failover_timeout(&self) -> Duration {
        let secs = self.info.failover_timeout.unwrap_or(0.0);
        if secs.is_finite() && secs > 0.0 {
            Duration::from_secs_f64(secs.min(1e9))
        } else {
            Duration::ZERO
        }
    }

    fn connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Queues one event; a full or closed queue disconnects the framework.
    fn send(&mut self, event: &sched::Event) {
        let Some(conn) = &self.conn else { return };
        if conn.tx.try_send(record(event)).is_err() {
            tracing::warn!(framework = %self.id, "subscriber does not read its events; disconnecting it");
            self.conn = None;
            self.disconnected_at = Some(Instant::now());
        }
    }

    fn send_update(&mut self, status: pb::TaskStatus) {
        self.send(&sched::Event {
            r#type: Some(sched::event::Type::Update as i32),
            update: Some(sched::event::Update { status }),
            ..Default::default()
        });
    }

    /// Sends the head update of `task_id` (first send or retry).
    fn send_head(&mut self, task_id: &str, now: Instant) {
        let Some(task) = self.tasks.get_mut(task_id) else {
            return;
        };
        let Some(head) = task.pending.front().cloned() else {
            return;
        };
        task.next_retry = Some(now + task.retry_interval);
        self.send_update(head);
    }
}

/// A RecordIO record: the length in decimal, `\n`, the encoded event.
pub fn record(event: &sched::Event) -> Bytes {
    let body = event.encode_to_vec();
    let mut out = format!("{}\n", body.len()).into_bytes();
    out.extend_from_slice(&body);
    Bytes::from(out)
}

struct OfferRec {
    framework_id: String,
    resources: Resources,
}

/// Fixed facts about the master and its one agent.
pub struct Node {
    pub master_id: String,
    pub agent_id: String,
    pub hostname: String,
    pub port: u16,
    pub total: Resources,
    pub attributes: Vec<pb::Attribute>,
    pub work_dir: std::path::PathBuf,
    pub heartbeat: Duration,
    pub start_time: f64,
}

impl Node {
    pub fn new(
        config: &EmbeddedConfig,
        port: u16,
        total: Resources,
        attributes: Vec<pb::Attribute>,
    ) -> Node {
        let master_id = uuid_text();
        Node {
            agent_id: format!("{master_id}-S0"),
            master_id,
            hostname: config.hostname.clone(),
            port,
            total,
            attributes,
            work_dir: config.work_dir.clone(),
            heartbeat: config.heartbeat_interval,
            start_time: now_secs(),
        }
    }

    pub fn master_pid(&self) -> String {
        format!("master@127.0.0.1:{}", self.port)
    }

    pub fn master_info(&self) -> pb::MasterInfo {
        pb::MasterInfo {
            id: self.master_id.clone(),
            // Network byte order of 127.0.0.1, as Mesos fills the legacy field.
            ip: u32::from_ne_bytes([127, 0, 0, 1]),
            port: u32::from(self.port),
            pid: Some(self.master_pid()),
            hostname: Some(self.hostname.clone()),
            version: Some(VERSION.into()),
            address: Some(pb::Address {
                hostname: Some(self.hostname.clone()),
                ip: Some("127.0.0.1".into()),
                port: i32::from(self.port),
            }),
            domain: None,
        }
    }
}

/// A framework that was torn down or timed out, for `/master/state`
/// (`completed_frameworks`) and to refuse its id.
pub struct RemovedFramework {
    pub id: String,
    pub name: String,
    pub completed: Vec<serde_json::Value>,
}

pub struct Master {
    pub node: Arc<Node>,
    pub frameworks: BTreeMap<String, Framework>,
    /// Frameworks that were torn down or timed out, the latest
    /// [`MAX_COMPLETED_FRAMEWORKS`] (for `/master/state`).
    pub removed: Vec<RemovedFramework>,
    /// The ids of every removed framework: refused when they subscribe.
    removed_ids: std::collections::HashSet<String>,
    offers: BTreeMap<String, OfferRec>,
    next_offer: u64,
    next_framework: u64,
    last_allocation: Instant,
    allocate_soon: bool,
    /// Round robin among frameworks for the one agent.
    rotation: u64,
    pub shutting_down: bool,
    /// Processes of removed frameworks' tasks still being killed: shutdown
    /// kills them too.
    dying: Vec<Proc>,
}

/// What the HTTP layer answers to a call.
#[derive(Debug)]
pub enum CallError {
    BadRequest(String),
    Forbidden(String),
}

/// The outcome of SUBSCRIBE.
pub enum Subscribed {
    Stream {
        stream_id: String,
        rx: mpsc::Receiver<Bytes>,
        framework_id: String,
    },
    /// One ERROR event, then the stream ends.
    Error(Bytes),
}

pub struct Shared {
    pub master: Mutex<Master>,
    pub node: Arc<Node>,
}

impl Master {
    /// The task `task_id` of framework `fid`, if both exist.
    pub fn task(&self, fid: &str, task_id: &str) -> Option<&Task> {
        self.frameworks.get(fid)?.tasks.get(task_id)
    }

    pub fn task_mut(&mut self, fid: &str, task_id: &str) -> Option<&mut Task> {
        self.frameworks.get_mut(fid)?.tasks.get_mut(task_id)
    }

    fn new(node: Arc<Node>) -> Master {
        Master {
            node,
            frameworks: BTreeMap::new(),
            removed: Vec::new(),
            removed_ids: std::collections::HashSet::new(),
            offers: BTreeMap::new(),
            next_offer: 0,
            next_framework: 0,
            last_allocation: Instant::now(),
            allocate_soon: false,
            rotation: 0,
            shutting_down: false,
            dying: Vec::new(),
        }
    }
}

impl Shared {
    pub fn new(node: Node) -> Arc<Shared> {
        let node = Arc::new(node);
        Arc::new(Shared {
            master: Mutex::new(Master::new(node.clone())),
            node,
        })
    }

    /// The state, even if a panic elsewhere poisoned the lock (nothing in
    /// a critical section leaves it half-updated in a way we rely on).
    pub fn lock(&self) -> MutexGuard<'_, Master> {
        self.master.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn error_event(message: &str) -> sched::Event {
    sched::Event {
        r#type: Some(sched::event::Type::Error as i32),
        error: Some(sched::event::Error {
            message: message.into(),
        }),
        ..Default::default()
    }
}

pub fn heartbeat_event() -> sched::Event {
    sched::Event {
        r#type: Some(sched::event::Type::Heartbeat as i32),
        ..Default::default()
    }
}

impl Master {
    /// SUBSCRIBE: a new framework, or a failover of a known one.
    pub fn subscribe(
        &mut self,
        sub: sched::call::Subscribe,
        call_framework_id: Option<String>,
    ) -> Result<Subscribed, CallError> {
        if self.shutting_down {
            return Err(CallError::Forbidden(
                "the embedded Mesos master is shutting down".into(),
            ));
        }
        let info = sub.framework_info;
        if info.user.is_empty() && info.name.is_empty() {
            return Err(CallError::BadRequest(
                "Expecting 'framework_info.user' and 'framework_info.name' to be present".into(),
            ));
        }
        let info_id = info.id.as_ref().map(|i| i.value.clone());
        if let (Some(a), Some(b)) = (&info_id, &call_framework_id) {
            if a != b {
                return Err(CallError::BadRequest(
                    "'framework_id' differs from 'subscribe.framework_info.id'".into(),
                ));
            }
        }
        let id = info_id.or(call_framework_id);
        if let Some(id) = &id {
            // The id names a directory of every sandbox path.
            if !valid_id(id) {
                return Err(CallError::BadRequest(format!(
                    "Framework ID '{id}' is invalid: it must not contain '/', control characters or be '.' or '..'"
                )));
            }
            if self.removed_ids.contains(id.as_str()) {
                return Ok(Subscribed::Error(record(&error_event(
                    "Framework has been removed",
                ))));
            }
        }
        let now = Instant::now();
        let id = match id {
            Some(id) if !id.is_empty() => id,
            _ => {
                let id = format!("{}-{:04}", self.node.master_id, self.next_framework);
                self.next_framework += 1;
                id
            }
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        let stream_id = uuid_text();
        let mut info = info;
        info.id = Some(pb::FrameworkId { value: id.clone() });
        let suppressed = !sub.suppressed_roles.is_empty();
        let heartbeat = self.node.heartbeat;
        // Offers made to an earlier subscription of this framework are void:
        // the new scheduler never saw their ids and could neither use nor
        // decline them (Mesos rescinds them on failover).
        self.offers.retain(|_, o| o.framework_id != id);
        let fw = self
            .frameworks
            .entry(id.clone())
            .or_insert_with(|| Framework {
                id: id.clone(),
                info: info.clone(),
                conn: None,
                disconnected_at: None,
                suppressed,
                filters: Vec::new(),
                tasks: BTreeMap::new(),
                completed: VecDeque::new(),
                next_heartbeat: now,
                registered_time: now_secs(),
            });
        if let Some(old) = fw.conn.take() {
            // Another scheduler instance took over: the old stream ends.
            let _ = old
                .tx
                .try_send(record(&error_event("Framework failed over")));
            tracing::info!(framework = %id, "framework failed over to a new subscription");
        }
        fw.info = info;
        fw.suppressed = suppressed;
        fw.conn = Some(Conn {
            stream_id: stream_id.clone(),
            tx,
        });
        fw.disconnected_at = None;
        // Mesos sends the first HEARTBEAT right after SUBSCRIBED.
        fw.next_heartbeat = now;
        fw.send(&sched::Event {
            r#type: Some(sched::event::Type::Subscribed as i32),
            subscribed: Some(sched::event::Subscribed {
                framework_id: pb::FrameworkId { value: id.clone() },
                heartbeat_interval_seconds: Some(heartbeat.as_secs_f64()),
                master_info: Some(self.node.master_info()),
            }),
            ..Default::default()
        });
        // Unacknowledged updates go out again at once.
        let heads: Vec<String> = fw
            .tasks
            .iter()
            .filter(|(_, t)| !t.pending.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        for task in heads {
            fw.send_head(&task, now);
        }
        tracing::info!(framework = %id, name = %fw.info.name, "framework subscribed");
        self.allocate_soon = true;
        Ok(Subscribed::Stream {
            stream_id,
            rx,
            framework_id: id,
        })
    }

    /// The subscription `stream_id` of `framework_id` ended (the client
    /// closed the connection): the framework is disconnected and its offers
    /// return; its tasks stay for the failover timeout.
    pub fn disconnected(&mut self, framework_id: &str, stream_id: &str) {
        let Some(fw) = self.frameworks.get_mut(framework_id) else {
            return;
        };
        if fw.conn.as_ref().is_some_and(|c| c.stream_id == stream_id) {
            fw.conn = None;
            fw.disconnected_at = Some(Instant::now());
            tracing::info!(framework = %framework_id, failover_timeout = ?fw.failover_timeout(), "framework disconnected");
            self.offers.retain(|_, o| o.framework_id != framework_id);
        }
    }

    /// Checks the stream id of a call and returns the framework.
    fn framework_for(
        &mut self,
        framework_id: Option<&str>,
        stream_id: Option<&str>,
    ) -> Result<String, CallError> {
        let id = framework_id.filter(|s| !s.is_empty()).ok_or_else(|| {
            CallError::BadRequest("Expecting 'framework_id' to be present".into())
        })?;
        // Mesos' order of checks and wording (master/http.cpp).
        let fw = self
            .frameworks
            .get(id)
            .ok_or_else(|| CallError::BadRequest(format!("Framework '{id}' cannot be found")))?;
        let Some(conn) = &fw.conn else {
            return Err(CallError::Forbidden(format!(
                "Framework '{id}' is not subscribed"
            )));
        };
        let Some(stream_id) = stream_id else {
            return Err(CallError::BadRequest(
                "All non-subscribe calls should include the 'Mesos-Stream-Id' header".into(),
            ));
        };
        if conn.stream_id != stream_id {
            return Err(CallError::BadRequest(format!(
                "The stream ID '{stream_id}' included in this request didn't match the stream ID currently associated with framework ID {id}"
            )));
        }
        Ok(id.to_string())
    }

    /// Every non-SUBSCRIBE call. Returns the tasks to launch (the caller
    /// hands them to the agent outside the lock).
    pub fn call(
        &mut self,
        call: sched::Call,
        stream_id: Option<&str>,
    ) -> Result<Vec<(String, String)>, CallError> {
        use sched::call::Type as T;
        let ty = call
            .r#type
            .and_then(|t| T::try_from(t).ok())
            .ok_or_else(|| {
                CallError::BadRequest("Expecting 'type' to be present and known".into())
            })?;
        let fid = self.framework_for(
            call.framework_id.as_ref().map(|f| f.value.as_str()),
            stream_id,
        )?;
        let mut launches = Vec::new();
        match ty {
            T::Subscribe | T::Unknown => {
                return Err(CallError::BadRequest(
                    "SUBSCRIBE is not expected here".into(),
                ))
            }
            T::Teardown => self.remove_framework(&fid, "torn down"),
            T::Accept => {
                let accept = call.accept.ok_or_else(|| {
                    CallError::BadRequest("Expecting 'accept' to be present".into())
                })?;
                launches = self.accept(&fid, accept);
            }
            T::Decline => {
                let decline = call.decline.ok_or_else(|| {
                    CallError::BadRequest("Expecting 'decline' to be present".into())
                })?;
                let refuse = decline
                    .filters
                    .and_then(|f| f.refuse_seconds)
                    .unwrap_or(DEFAULT_REFUSE);
                for o in decline.offer_ids {
                    if let Some(res) = self.take_offer(&fid, &o.value) {
                        self.filter(&fid, res, refuse);
                    }
                }
            }
            T::Revive => {
                if let Some(fw) = self.frameworks.get_mut(&fid) {
                    fw.filters.clear();
                    fw.suppressed = false;
                }
                self.allocate_soon = true;
            }
            T::Suppress => {
                if let Some(fw) = self.frameworks.get_mut(&fid) {
                    fw.suppressed = true;
                }
            }
            T::Kill => {
                let kill = call.kill.ok_or_else(|| {
                    CallError::BadRequest("Expecting 'kill' to be present".into())
                })?;
                let grace = kill
                    .kill_policy
                    .and_then(|p| p.grace_period)
                    .map(|d| duration(d.nanoseconds));
                self.kill(
                    &fid,
                    &kill.task_id.value,
                    kill.agent_id.map(|a| a.value),
                    grace,
                );
            }
            T::Acknowledge => {
                let ack = call.acknowledge.ok_or_else(|| {
                    CallError::BadRequest("Expecting 'acknowledge' to be present".into())
                })?;
                if ack.uuid.len() != 16 {
                    return Err(CallError::BadRequest("Failed to validate scheduler::Call: 'acknowledge.uuid' is not a valid UUID".into()));
                }
                self.acknowledge(&fid, &ack.task_id.value, &ack.uuid);
            }
            T::Reconcile => {
                let rec = call.reconcile.unwrap_or_default();
                self.reconcile(&fid, rec.tasks);
            }
            T::UpdateFramework => {
                let upd = call.update_framework.ok_or_else(|| {
                    CallError::BadRequest("Expecting 'update_framework' to be present".into())
                })?;
                if let Some(fw) = self.frameworks.get_mut(&fid) {
                    let mut info = upd.framework_info;
                    info.id = Some(pb::FrameworkId { value: fid.clone() });
                    fw.info = info;
                    fw.suppressed = !upd.suppressed_roles.is_empty();
                }
                self.allocate_soon = true;
            }
            other => {
                tracing::debug!(
                    call = other.as_str_name(),
                    "call accepted and ignored by the embedded Mesos"
                );
            }
        }
        Ok(launches)
    }

    fn take_offer(&mut self, fid: &str, offer_id: &str) -> Option<Resources> {
        match self.offers.get(offer_id) {
            Some(o) if o.framework_id == fid => self.offers.remove(offer_id).map(|o| o.resources),
            _ => None,
        }
    }

    fn filter(&mut self, fid: &str, resources: Resources, refuse_seconds: f64) {
        if resources.is_empty() || !refuse_seconds.is_finite() || refuse_seconds <= 0.0 {
            return;
        }
        if let Some(fw) = self.frameworks.get_mut(fid) {
            fw.filters.push(Filter {
                resources,
                until: Instant::now() + Duration::from_secs_f64(refuse_seconds.min(31_536_000.0)),
            });
        }
    }

    /// A master-generated update for a task that never existed here
    /// (invalid offers, invalid task): no uuid, nothing to acknowledge.
    fn master_update(
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

    fn accept(&mut self, fid: &str, accept: sched::call::Accept) -> Vec<(String, String)> {
        let partition_aware = self
            .frameworks
            .get(fid)
            .is_some_and(Framework::partition_aware);
        let mut offered = Resources::default();
        let mut invalid = None;
        for o in &accept.offer_ids {
            match self.take_offer(fid, &o.value) {
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
                        launches.push((fid.to_string(), task_id));
                    }
                }
            }
        }
        let refuse = accept
            .filters
            .and_then(|f| f.refuse_seconds)
            .unwrap_or(DEFAULT_REFUSE);
        self.filter(fid, left, refuse);
        launches
    }

    fn validate_task(
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
        let agent_id = self.node.agent_id.clone();
        let now = Instant::now();
        let Some(fw) = self.frameworks.get_mut(fid) else {
            return;
        };
        let Some(task) = fw.tasks.get_mut(task_id) else {
            return;
        };
        if task.terminal() {
            return;
        }
        let ts = now_secs();
        let status = pb::TaskStatus {
            task_id: pb::TaskId {
                value: task_id.into(),
            },
            state: state as i32,
            message,
            source: Some(source as i32),
            reason: reason.map(|r| r as i32),
            agent_id: Some(pb::AgentId { value: agent_id }),
            executor_id: (source == Source::Executor).then(|| pb::ExecutorId {
                value: task_id.into(),
            }),
            timestamp: Some(ts),
            uuid: Some(uuid_bytes()),
            ..Default::default()
        };
        task.state = state;
        task.statuses.push((state, ts));
        task.pending.push_back(status);
        let first = task.pending.len() == 1;
        if first {
            fw.send_head(task_id, now);
        }
    }

    fn acknowledge(&mut self, fid: &str, task_id: &str, uuid: &[u8]) {
        let now = Instant::now();
        let Some(fw) = self.frameworks.get_mut(fid) else {
            return;
        };
        let Some(task) = fw.tasks.get_mut(task_id) else {
            tracing::debug!(
                task = task_id,
                "acknowledgement for an unknown task ignored"
            );
            return;
        };
        if task.pending.front().and_then(|s| s.uuid.as_deref()) != Some(uuid) {
            tracing::debug!(
                task = task_id,
                "acknowledgement of an update that is not the pending one ignored"
            );
            return;
        }
        task.pending.pop_front();
        task.retry_interval = RETRY_MIN;
        task.next_retry = None;
        if task.pending.is_empty() {
            if task.terminal() {
                if let Some(done) = fw.tasks.remove(task_id) {
                    let state = done.state;
                    fw.complete(&self.node, task_id, &done, state);
                }
            }
        } else {
            fw.send_head(task_id, now);
        }
    }

    fn reconcile(&mut self, fid: &str, tasks: Vec<sched::call::reconcile::Task>) {
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

    fn kill(
        &mut self,
        fid: &str,
        task_id: &str,
        agent_id: Option<String>,
        grace: Option<Duration>,
    ) {
        let known = self.task(fid, task_id).map(|t| t.terminal());
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
            }
            Some(true) => {}
            Some(false) => {
                let killing = self
                    .frameworks
                    .get(fid)
                    .is_some_and(|f| f.has(pb::framework_info::capability::Type::TaskKillingState));
                let Some(task) = self.task_mut(fid, task_id) else {
                    return;
                };
                if let Some(current) = task.kill {
                    // Killed again: as Mesos' command executor, escalate
                    // only to a shorter grace period given with this KILL;
                    // a repeated KILL without one changes nothing.
                    if let Some(shorter) = grace.filter(|g| *g < current) {
                        task.kill = Some(shorter);
                        if let Some(p) = &task.proc {
                            terminate(p, shorter);
                        }
                    }
                    return;
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
                let proc = task.proc.clone();
                let running = matches!(task.state, S::TaskRunning | S::TaskStarting);
                if let Some(p) = proc {
                    if killing && running {
                        self.push_update(
                            fid,
                            task_id,
                            S::TaskKilling,
                            Source::Executor,
                            None,
                            None,
                        );
                    }
                    terminate(&p, grace);
                }
                // Not spawned yet: the launcher sees `kill` and ends it.
            }
        }
    }

    /// Kills every task of the framework and forgets it.
    pub fn remove_framework(&mut self, fid: &str, why: &str) {
        let Some(mut fw) = self.frameworks.remove(fid) else {
            return;
        };
        tracing::info!(framework = %fid, why, tasks = fw.tasks.len(), "removing the framework");
        for task in fw.tasks.values_mut() {
            task.kill.get_or_insert(DEFAULT_GRACE);
            if let Some(p) = &task.proc {
                terminate(p, DEFAULT_GRACE);
                self.dying.push(p.clone());
            }
        }
        self.dying.retain(|p| !p.exited.load(Ordering::SeqCst));
        // The stream ends: dropping the sender closes it.
        fw.conn = None;
        self.offers.retain(|_, o| o.framework_id != fid);
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
    }

    fn used(&self) -> Resources {
        let mut used = Resources::default();
        for fw in self.frameworks.values() {
            for t in fw.tasks.values().filter(|t| !t.terminal()) {
                used.add(&t.resources);
            }
        }
        used
    }

    fn offered(&self) -> Resources {
        let mut r = Resources::default();
        for o in self.offers.values() {
            r.add(&o.resources);
        }
        r
    }

    /// Timers: heartbeats, update retries, failover timeouts, allocation.
    pub fn tick(&mut self, now: Instant) {
        if self.shutting_down {
            return;
        }
        let heartbeat = self.node.heartbeat;
        let mut expired = Vec::new();
        for fw in self.frameworks.values_mut() {
            if fw.connected() {
                if now >= fw.next_heartbeat {
                    fw.next_heartbeat = now + heartbeat;
                    fw.send(&heartbeat_event());
                }
                let due: Vec<String> = fw
                    .tasks
                    .iter()
                    .filter(|(_, t)| {
                        t.next_retry.is_some_and(|r| now >= r) && !t.pending.is_empty()
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                for id in due {
                    if let Some(t) = fw.tasks.get_mut(&id) {
                        // Mesos' agent: 10 s, then doubling up to 10 min.
                        t.retry_interval = (t.retry_interval * 2).min(RETRY_MAX);
                        tracing::debug!(task = %id, next_in = ?t.retry_interval, "resending an unacknowledged status update");
                        fw.send_head(&id, now);
                    }
                }
            } else if let Some(since) = fw.disconnected_at {
                if now.duration_since(since) >= fw.failover_timeout() {
                    expired.push(fw.id.clone());
                }
            }
            fw.filters.retain(|f| f.until > now);
        }
        for id in expired {
            self.remove_framework(&id, "its failover timeout ran out");
        }
        // Offers of a framework that lost its subscription (however it was
        // lost) return to the pool.
        let frameworks = &self.frameworks;
        self.offers.retain(|_, o| {
            frameworks
                .get(&o.framework_id)
                .is_some_and(Framework::connected)
        });
        if self.allocate_soon || now.duration_since(self.last_allocation) >= ALLOCATION_INTERVAL {
            self.allocate(now);
        }
    }

    fn allocate(&mut self, now: Instant) {
        self.allocate_soon = false;
        self.last_allocation = now;
        let mut free = self.node.total.clone();
        free.subtract(&self.used());
        free.subtract(&self.offered());
        if free.is_empty() || !free.allocatable() {
            return;
        }
        let ids: Vec<String> = self.frameworks.keys().cloned().collect();
        if ids.is_empty() {
            return;
        }
        let n = ids.len() as u64;
        for k in 0..n {
            let Some(id) = ids.get(((self.rotation + k) % n) as usize) else {
                continue;
            };
            let Some(fw) = self.frameworks.get(id) else {
                continue;
            };
            if !fw.connected() || fw.suppressed {
                continue;
            }
            if fw
                .filters
                .iter()
                .any(|f| f.until > now && f.resources.contains(&free))
            {
                continue;
            }
            self.rotation = self.rotation.wrapping_add(k + 1);
            let offer_id = format!("{}-O{}", self.node.master_id, self.next_offer);
            self.next_offer += 1;
            let role = fw.role();
            let multi_role = fw.has(pb::framework_info::capability::Type::MultiRole);
            let offer = pb::Offer {
                id: pb::OfferId {
                    value: offer_id.clone(),
                },
                framework_id: pb::FrameworkId { value: id.clone() },
                agent_id: pb::AgentId {
                    value: self.node.agent_id.clone(),
                },
                hostname: self.node.hostname.clone(),
                resources: free.to_pb(multi_role.then_some(role.as_str())),
                attributes: self.node.attributes.clone(),
                allocation_info: multi_role.then(|| pb::resource::AllocationInfo {
                    role: Some(role.clone()),
                }),
                ..Default::default()
            };
            self.offers.insert(
                offer_id,
                OfferRec {
                    framework_id: id.clone(),
                    resources: free,
                },
            );
            if let Some(fw) = self.frameworks.get_mut(id) {
                fw.send(&sched::Event {
                    r#type: Some(sched::event::Type::Offers as i32),
                    offers: Some(sched::event::Offers {
                        offers: vec![offer],
                    }),
                    ..Default::default()
                });
            }
            return;
        }
    }

    /// Every task process, for shutdown.
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

    /// `/master/state`, in the shape genuine Mesos uses for these fields.
    pub fn state_json(&self) -> serde_json::Value {
        let node = &self.node;
        let used = self.used();
        let offered = self.offered();
        let frameworks: Vec<serde_json::Value> = self
            .frameworks
            .values()
            .map(|fw| {
                let mut fw_used = Resources::default();
                let tasks: Vec<serde_json::Value> = fw
                    .tasks
                    .iter()
                    .map(|(id, t)| {
                        if !t.terminal() {
                            fw_used.add(&t.resources);
                        }
                        task_json(node, &fw.id, id, t, t.state)
                    })
                    .collect();
                let mut fw_offered = Resources::default();
                let offers: Vec<serde_json::Value> = self
                    .offers
                    .iter()
                    .filter(|(_, o)| o.framework_id == fw.id)
                    .map(|(id, o)| {
                        fw_offered.add(&o.resources);
                        json!({"id": id, "framework_id": fw.id, "slave_id": node.agent_id, "resources": o.resources.to_json()})
                    })
                    .collect();
                let caps: Vec<String> = fw
                    .info
                    .capabilities
                    .iter()
                    .filter_map(|c| c.r#type)
                    .filter_map(|t| pb::framework_info::capability::Type::try_from(t).ok())
                    .map(|t| t.as_str_name().to_string())
                    .collect();
                json!({
                    "id": fw.id,
                    "name": fw.info.name,
                    "user": fw.info.user,
                    "pid": "",
                    "active": fw.connected(),
                    "connected": fw.connected(),
                    "recovered": false,
                    "role": fw.role(),
                    "roles": [fw.role()],
                    "principal": fw.info.principal,
                    "hostname": fw.info.hostname,
                    "webui_url": fw.info.webui_url.clone().unwrap_or_default(),
                    "failover_timeout": fw.info.failover_timeout.unwrap_or(0.0),
                    "checkpoint": fw.info.checkpoint.unwrap_or(false),
                    "capabilities": caps,
                    "registered_time": fw.registered_time,
                    "resources": fw_used.to_json(),
                    "used_resources": fw_used.to_json(),
                    "offered_resources": fw_offered.to_json(),
                    "tasks": tasks,
                    "unreachable_tasks": [],
                    "completed_tasks": fw.completed,
                    "offers": offers,
                    "executors": [],
                })
            })
            .collect();
        let completed: Vec<serde_json::Value> = self
            .removed
            .iter()
            .map(|r| json!({"id": r.id, "name": r.name, "active": false, "tasks": [], "completed_tasks": r.completed}))
            .collect();
        let mut unreserved = node.total.clone();
        unreserved.subtract(&Resources::default());
        json!({
            "version": VERSION,
            "id": node.master_id,
            "pid": node.master_pid(),
            "hostname": node.hostname,
            "leader": node.master_pid(),
            "leader_info": {
                "id": node.master_id,
                "pid": node.master_pid(),
                "port": node.port,
                "hostname": node.hostname,
                "version": VERSION,
                "address": {"hostname": node.hostname, "ip": "127.0.0.1", "port": node.port},
            },
            "start_time": node.start_time,
            "elected_time": node.start_time,
            "activated_slaves": 1,
            "deactivated_slaves": 0,
            "unreachable_slaves": 0,
            "recovered_slaves": 0,
            "capabilities": [],
            "embedded": true,
            "flags": {
                "hostname": node.hostname,
                "port": node.port.to_string(),
                "work_dir": node.work_dir.display().to_string(),
                "allocation_interval": "1secs",
            },
            "slaves": [{
                "id": node.agent_id,
                "pid": format!("slave(1)@127.0.0.1:{}", node.port),
                "hostname": node.hostname,
                "port": node.port,
                "active": true,
                "deactivated": false,
                "version": VERSION,
                "registered_time": node.start_time,
                "resources": node.total.to_json(),
                "used_resources": used.to_json(),
                "offered_resources": offered.to_json(),
                "reserved_resources": {},
                "unreserved_resources": unreserved.to_json(),
                "attributes": attributes_json(&node.attributes),
                "capabilities": [],
            }],
            "frameworks": frameworks,
            "completed_frameworks": completed,
            "orphan_tasks": [],
            "unregistered_frameworks": [],
        })
    }
}

fn duration(nanos: i64) -> Duration {
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

/// Whether an id can name a directory of a sandbox path: non-empty, no
/// `/`, no control characters, not `.` or `..`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id != "."
        && id != ".."
        && !id.contains('/')
        && !id.chars().any(char::is_control)
}

/// For fuzzing (`crate::fuzzing::embedded_calls`): a subscribed framework,
/// then every record of `data` (a length byte, a type byte: the call type
/// in the low 7 bits, the high bit keeping the body's framework id, then a
/// protobuf body) as one call of its own, with the clock moving on; the
/// state JSON at the end. Nothing is launched (launches go to the agent
/// outside the master). Must return for every input.
pub(crate) fn fuzz_calls(data: &[u8]) {
    use prost::Message;
    let mut config = EmbeddedConfig::new("/nonexistent/embedded-fuzz");
    config.heartbeat_interval = Duration::from_secs(1);
    let total = Resources::parse("cpus:2;mem:1024;ports:[31000-31010]").unwrap_or_default();
    let mut node = Node::new(&config, 5050, total, Vec::new());
    // Fixed ids, so that inputs can name offers (`master-O0`, …) and the agent.
    node.master_id = "master".into();
    node.agent_id = "agent".into();
    let mut m = Master::new(Arc::new(node));
    let sub = sched::call::Subscribe {
        framework_info: pb::FrameworkInfo {
            user: "u".into(),
            name: "n".into(),
            ..Default::default()
        },
        suppressed_roles: vec![],
    };
    let Ok(Subscribed::Stream {
        stream_id,
        framework_id,
        rx,
    }) = m.subscribe(sub, None)
    else {
        return;
    };
    let mut now = Instant::now();
    m.tick(now);
    let mut rest = data;
    while let [len, ty, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (body, next) = tail.split_at(len);
        rest = next;
        let Ok(mut call) = sched::Call::decode(body) else {
            continue;
        };
        call.r#type = Some(i32::from(*ty & 0x7f) % 24);
        if call.r#type == Some(sched::call::Type::Subscribe as i32) {
            if let Some(s) = call.subscribe {
                let _ = m.subscribe(s, None);
            }
        } else {
            // The high bit keeps the body's framework id (most likely a
            // wrong one); otherwise the call is the subscribed framework's.
            if ty & 0x80 == 0 {
                call.framework_id = Some(pb::FrameworkId {
                    value: framework_id.clone(),
                });
            }
            let _ = m.call(call, Some(&stream_id));
        }
        now += Duration::from_millis(u64::from(*ty & 0x7f) * 100);
        m.tick(now);
    }
    let _ = m.state_json();
    drop(rx);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> Master {
        let mut config = EmbeddedConfig::new("/nonexistent/embedded-test");
        config.heartbeat_interval = Duration::from_secs(1);
        let total = Resources::parse("cpus:2;mem:1024;ports:[31000-31010]").unwrap_or_default();
        let shared = Shared::new(Node::new(&config, 5050, total, Vec::new()));
        let m = shared.lock();
        Master::new(m.node.clone())
    }

    #[test]
    fn ids_that_would_leave_the_sandbox_tree_are_refused() {
        for bad in ["", ".", "..", "a/b", "x\n"] {
            assert!(!valid_id(bad), "{bad:?}");
        }
        assert!(valid_id("taskmanager-00001"));
        let mut m = master();
        let sub = sched::call::Subscribe {
            framework_info: pb::FrameworkInfo {
                user: "u".into(),
                name: "n".into(),
                id: Some(pb::FrameworkId {
                    value: "../..".into(),
                }),
                ..Default::default()
            },
            suppressed_roles: vec![],
        };
        assert!(matches!(
            m.subscribe(sub, None),
            Err(CallError::BadRequest(_))
        ));
    }

    proptest::proptest! {
        /// Whatever bytes arrive as a call, the master answers (or refuses)
        /// without panicking, subscribed or not.
        #[test]
        fn arbitrary_calls_never_panic(bytes in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..256), ty in 0i32..20) {
            let mut m = master();
            let sub = sched::call::Subscribe {
                framework_info: pb::FrameworkInfo { user: "u".into(), name: "n".into(), ..Default::default() },
                suppressed_roles: vec![],
            };
            let Ok(Subscribed::Stream { stream_id, framework_id, rx }) = m.subscribe(sub, None) else {
                panic!("subscribe failed");
            };
            m.tick(Instant::now());
            if let Ok(mut call) = sched::Call::decode(bytes.as_slice()) {
                call.r#type = Some(ty);
                if ty == sched::call::Type::Subscribe as i32 {
                    let _ = call.subscribe.map(|s| m.subscribe(s, None));
                } else {
                    call.framework_id = Some(pb::FrameworkId { value: framework_id.clone() });
                    let _ = m.call(call, Some(&stream_id));
                }
            }
            m.tick(Instant::now() + Duration::from_secs(30));
            let _ = m.state_json();
            drop(rx);
        }
    }
}
