//! What the embedded master keeps per framework: its subscription (a
//! bounded queue of RecordIO events), its tasks and each task's status
//! update stream; and the records, ids and events of the wire.
//!
//! Part of the embedded single-node Mesos, a development stand-in for one
//! machine (production uses genuine Mesos). Plain data and in-memory
//! queues, no I/O: it lives behind the master's lock.
//!
//! Invariants:
//! - per task, updates reach the framework in order: the next one is sent
//!   only after the previous one was acknowledged; unacknowledged ones are
//!   resent (10 s, doubling, at most 10 min); a task is forgotten once its
//!   terminal update is acknowledged (and kept for `/master/state` among
//!   the completed tasks, the latest 1000);
//! - every event to a framework goes through a bounded queue; a subscriber
//!   that does not read is disconnected rather than buffered without end.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use prost::Message;
use tokio::sync::mpsc;

use super::agent::Proc;
use super::master::Node;
use super::proto::v1 as pb;
use super::proto::v1::scheduler as sched;
use super::resources::Resources;
use super::state;

use pb::task_status::{Reason, Source};
use pb::TaskState as S;

/// The agent's first status update retry, then doubling up to the maximum.
pub const RETRY_MIN: Duration = Duration::from_secs(10);
pub const RETRY_MAX: Duration = Duration::from_secs(600);
/// Events queued for one subscriber before it counts as gone.
pub const QUEUE: usize = 4096;
/// Mesos' `--max_completed_tasks_per_framework` default.
const MAX_COMPLETED_TASKS: usize = 1000;

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

/// A RecordIO record: the length in decimal, `\n`, the encoded event.
pub fn record(event: &sched::Event) -> Bytes {
    let body = event.encode_to_vec();
    let mut out = format!("{}\n", body.len()).into_bytes();
    out.extend_from_slice(&body);
    Bytes::from(out)
}

pub fn error_event(message: &str) -> sched::Event {
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
    /// The command's process group, once the agent spawned it.
    pub proc: Option<Proc>,
    /// Set by KILL: the grace period to use.
    pub kill: Option<Duration>,
    pub sandbox: std::path::PathBuf,
}

impl Task {
    pub fn terminal(&self) -> bool {
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

/// A subscription: its stream id and the queue its response body reads.
pub struct Conn {
    pub stream_id: String,
    pub tx: mpsc::Sender<Bytes>,
}

pub struct Framework {
    pub id: String,
    pub info: pb::FrameworkInfo,
    pub conn: Option<Conn>,
    pub disconnected_at: Option<Instant>,
    pub suppressed: bool,
    pub tasks: BTreeMap<String, Task>,
    /// Ended tasks as `/master/state` shows them (`completed_tasks`), the
    /// latest [`MAX_COMPLETED_TASKS`].
    pub completed: VecDeque<serde_json::Value>,
    pub next_heartbeat: Instant,
    pub registered_time: f64,
}

impl Framework {
    /// Remembers an ended task for `/master/state` (`state` overrides its
    /// own: a task killed with its framework shows TASK_KILLED).
    pub fn complete(&mut self, node: &Node, id: &str, task: &Task, state: S) {
        if self.completed.len() >= MAX_COMPLETED_TASKS {
            self.completed.pop_front();
        }
        let json = state::task(node, &self.id, id, task, state);
        self.completed.push_back(json);
    }

    pub fn has(&self, cap: pb::framework_info::capability::Type) -> bool {
        self.info
            .capabilities
            .iter()
            .any(|c| c.r#type == Some(cap as i32))
    }

    pub fn partition_aware(&self) -> bool {
        self.has(pb::framework_info::capability::Type::PartitionAware)
    }

    #[allow(deprecated)]
    pub fn role(&self) -> String {
        self.info
            .roles
            .first()
            .cloned()
            .or_else(|| self.info.role.clone())
            .unwrap_or_else(|| "*".into())
    }

    pub fn failover_timeout(&self) -> Duration {
        let secs = self.info.failover_timeout.unwrap_or(0.0);
        if secs.is_finite() && secs > 0.0 {
            Duration::from_secs_f64(secs.min(1e9))
        } else {
            Duration::ZERO
        }
    }

    pub fn connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Queues one event; a full or closed queue disconnects the framework.
    pub fn send(&mut self, event: &sched::Event) {
        let Some(conn) = &self.conn else { return };
        if conn.tx.try_send(record(event)).is_err() {
            tracing::warn!(framework = %self.id, "subscriber does not read its events; disconnecting it");
            self.conn = None;
            self.disconnected_at = Some(Instant::now());
        }
    }

    pub fn send_update(&mut self, status: pb::TaskStatus) {
        self.send(&sched::Event {
            r#type: Some(sched::event::Type::Update as i32),
            update: Some(sched::event::Update { status }),
            ..Default::default()
        });
    }

    /// Sends the head update of `task_id` (first send or retry).
    pub fn send_head(&mut self, task_id: &str, now: Instant) {
        let Some(task) = self.tasks.get_mut(task_id) else {
            return;
        };
        let Some(head) = task.pending.front().cloned() else {
            return;
        };
        task.next_retry = Some(now + task.retry_interval);
        self.send_update(head);
    }

    /// Appends an update to the task's stream (sent now if it is the head);
    /// nothing after a terminal one.
    #[allow(clippy::too_many_arguments)]
    pub fn push_update(
        &mut self,
        agent_id: &str,
        task_id: &str,
        state: S,
        source: Source,
        reason: Option<Reason>,
        message: Option<String>,
        now: Instant,
    ) {
        let Some(task) = self.tasks.get_mut(task_id) else {
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
            agent_id: Some(pb::AgentId {
                value: agent_id.into(),
            }),
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
            self.send_head(task_id, now);
        }
    }

    /// ACKNOWLEDGE of the head update of `task_id`: the next one goes out;
    /// after the terminal one the task is forgotten (and completed).
    pub fn acknowledge(&mut self, node: &Node, task_id: &str, uuid: &[u8], now: Instant) {
        let Some(task) = self.tasks.get_mut(task_id) else {
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
                if let Some(done) = self.tasks.remove(task_id) {
                    let state = done.state;
                    self.complete(node, task_id, &done, state);
                }
            }
        } else {
            self.send_head(task_id, now);
        }
    }

    /// Sends the head update of every task that has one again (after a
    /// new subscription).
    pub fn resend_all(&mut self, now: Instant) {
        let heads: Vec<String> = self
            .tasks
            .iter()
            .filter(|(_, t)| !t.pending.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        for task in heads {
            self.send_head(&task, now);
        }
    }

    /// Resends the unacknowledged updates whose retry is due, doubling
    /// each one's interval (Mesos' agent: 10 s, then doubling up to
    /// 10 min).
    pub fn resend_due(&mut self, now: Instant) {
        let due: Vec<String> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.next_retry.is_some_and(|r| now >= r) && !t.pending.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        for id in due {
            if let Some(t) = self.tasks.get_mut(&id) {
                t.retry_interval = (t.retry_interval * 2).min(RETRY_MAX);
                tracing::debug!(task = %id, next_in = ?t.retry_interval, "resending an unacknowledged status update");
                self.send_head(&id, now);
            }
        }
    }
}
