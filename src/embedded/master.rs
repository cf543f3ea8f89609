//! The embedded master's state machine: the node, frameworks and their
//! subscriptions, the scheduler calls, the timers (heartbeats, update
//! retries, failover timeouts, allocation), all behind one mutex.
//!
//! Part of the embedded single-node Mesos, a development stand-in for one
//! machine (production uses genuine Mesos). The behaviour a scheduler can
//! see follows Mesos 1.11 (`src/master/master.cpp`, the hierarchical
//! allocator, the agent's status update manager and the command executor).
//! The rest of the model is in files of its own: tasks, kills and launches
//! in [`tasks`](super::tasks), offers and filters in
//! [`allocator`](super::allocator), each framework's subscription and
//! status update streams in [`framework`](super::framework), and
//! `/master/state` in [`state`](mod@super::state).
//!
//! Like the scheduler core (`Scheduler::step`), the master decides and does
//! not act: what must happen to processes — run a task, signal a task's
//! process group with a grace period — comes back from [`Master::call`],
//! [`Master::tick`] and the launcher's steps as
//! [`Action`]s, which the caller hands to
//! [`agent::carry_out`](super::agent::carry_out) after the lock is
//! released.
//!
//! Invariants:
//! - all state sits behind one mutex, held only for short, non-blocking
//!   sections (never across an `.await`); no signal, spawn, file or network
//!   I/O happens under it: the model's files (this one, `tasks`,
//!   `framework`, `allocator`, `state`) have no process, file or network
//!   calls at all (`tests::the_locked_model_does_no_signal_spawn_or_io`);
//! - nothing a client sends can panic it (`tests::arbitrary_calls_never_panic`,
//!   and the fuzz target on [`fuzz_calls`]).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::agent::Proc;
use super::allocator::{Allocator, Candidate, DEFAULT_REFUSE};
use super::framework::{
    error_event, heartbeat_event, now_secs, record, uuid_text, Conn, Framework, Task, QUEUE,
};
use super::proto::v1 as pb;
use super::proto::v1::scheduler as sched;
use super::resources::Resources;
use super::tasks::Action;
use super::EmbeddedConfig;

pub const VERSION: &str = "1.11.0-embedded";

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
    /// 50 (Mesos' `--max_completed_frameworks`; for `/master/state`).
    pub removed: Vec<RemovedFramework>,
    /// The ids of every removed framework: refused when they subscribe.
    pub(super) removed_ids: HashSet<String>,
    pub allocator: Allocator,
    next_framework: u64,
    pub shutting_down: bool,
    /// Processes of removed frameworks' tasks still being killed: shutdown
    /// kills them too.
    pub(super) dying: Vec<Proc>,
    /// Launchers between [`Master::starting`] and [`Master::spawned`]:
    /// their command may be spawning right now.
    pub launching: usize,
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

impl Master {
    pub fn new(node: Arc<Node>) -> Master {
        Master {
            node,
            frameworks: BTreeMap::new(),
            removed: Vec::new(),
            removed_ids: HashSet::new(),
            allocator: Allocator::new(Instant::now()),
            next_framework: 0,
            shutting_down: false,
            dying: Vec::new(),
            launching: 0,
        }
    }

    /// The task `task_id` of framework `fid`, if both exist.
    pub fn task(&self, fid: &str, task_id: &str) -> Option<&Task> {
        self.frameworks.get(fid)?.tasks.get(task_id)
    }

    pub fn task_mut(&mut self, fid: &str, task_id: &str) -> Option<&mut Task> {
        self.frameworks.get_mut(fid)?.tasks.get_mut(task_id)
    }

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
        self.allocator.rescind(&id);
        let fw = self
            .frameworks
            .entry(id.clone())
            .or_insert_with(|| Framework {
                id: id.clone(),
                info: info.clone(),
                conn: None,
                disconnected_at: None,
                suppressed,
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
        fw.resend_all(now);
        tracing::info!(framework = %id, name = %fw.info.name, "framework subscribed");
        self.allocator.soon();
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
            self.allocator.rescind(framework_id);
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

    /// Every non-SUBSCRIBE call. Returns what the agent is to do (launch
    /// the accepted tasks, signal the killed ones), for the caller to
    /// carry out after the lock is released.
    #[must_use = "the actions must be carried out (after the lock is released)"]
    pub fn call(
        &mut self,
        call: sched::Call,
        stream_id: Option<&str>,
    ) -> Result<Vec<Action>, CallError> {
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
        let mut actions = Vec::new();
        match ty {
            T::Subscribe | T::Unknown => {
                return Err(CallError::BadRequest(
                    "SUBSCRIBE is not expected here".into(),
                ))
            }
            T::Teardown => actions = self.remove_framework(&fid, "torn down"),
            T::Accept => {
                let accept = call.accept.ok_or_else(|| {
                    CallError::BadRequest("Expecting 'accept' to be present".into())
                })?;
                actions = self.accept(&fid, accept);
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
                    if let Some(res) = self.allocator.take(&fid, &o.value) {
                        self.allocator.refuse(&fid, res, refuse, Instant::now());
                    }
                }
            }
            T::Revive => {
                if let Some(fw) = self.frameworks.get_mut(&fid) {
                    self.allocator.revive(&fid);
                    fw.suppressed = false;
                }
                self.allocator.soon();
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
                actions = self.kill(
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
                let node = self.node.clone();
                if let Some(fw) = self.frameworks.get_mut(&fid) {
                    fw.acknowledge(&node, &ack.task_id.value, &ack.uuid, Instant::now());
                }
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
                self.allocator.soon();
            }
            other => {
                tracing::debug!(
                    call = other.as_str_name(),
                    "call accepted and ignored by the embedded Mesos"
                );
            }
        }
        Ok(actions)
    }

    /// What the tasks that have not ended hold.
    pub fn used(&self) -> Resources {
        let mut used = Resources::default();
        for fw in self.frameworks.values() {
            for t in fw.tasks.values().filter(|t| !t.terminal()) {
                used.add(&t.resources);
            }
        }
        used
    }

    /// Timers: heartbeats, update retries, failover timeouts, allocation.
    /// Returns the kills of the frameworks whose failover timeout ran out.
    #[must_use = "the actions must be carried out (after the lock is released)"]
    pub fn tick(&mut self, now: Instant) -> Vec<Action> {
        if self.shutting_down {
            return Vec::new();
        }
        let heartbeat = self.node.heartbeat;
        let mut expired = Vec::new();
        for fw in self.frameworks.values_mut() {
            if fw.connected() {
                if now >= fw.next_heartbeat {
                    fw.next_heartbeat = now + heartbeat;
                    fw.send(&heartbeat_event());
                }
                fw.resend_due(now);
            } else if let Some(since) = fw.disconnected_at {
                if now.duration_since(since) >= fw.failover_timeout() {
                    expired.push(fw.id.clone());
                }
            }
        }
        self.allocator.expire(now);
        let mut actions = Vec::new();
        for id in expired {
            actions.extend(self.remove_framework(&id, "its failover timeout ran out"));
        }
        // Offers of a framework that lost its subscription (however it was
        // lost) return to the pool.
        let frameworks = &self.frameworks;
        self.allocator
            .retain_offers(|fid| frameworks.get(fid).is_some_and(Framework::connected));
        if self.allocator.due(now) {
            self.allocate(now);
        }
        actions
    }

    /// One allocation round; the offer goes out on its framework's stream.
    fn allocate(&mut self, now: Instant) {
        let used = self.used();
        let candidates: Vec<Candidate<'_>> = self
            .frameworks
            .values()
            .map(|fw| Candidate {
                id: &fw.id,
                wants_offers: fw.connected() && !fw.suppressed,
                role: fw.role(),
                multi_role: fw.has(pb::framework_info::capability::Type::MultiRole),
            })
            .collect();
        let Some((id, offer)) = self.allocator.allocate(now, &self.node, &used, &candidates) else {
            return;
        };
        if let Some(fw) = self.frameworks.get_mut(&id) {
            fw.send(&sched::Event {
                r#type: Some(sched::event::Type::Offers as i32),
                offers: Some(sched::event::Offers {
                    offers: vec![offer],
                }),
                ..Default::default()
            });
        }
    }
}

pub(super) fn duration(nanos: i64) -> Duration {
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

/// Whether an id can name a directory of a sandbox path: non-empty, no
/// `/`, no control characters, not `.` or `..`.
pub(super) fn valid_id(id: &str) -> bool {
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
/// state JSON at the end. Nothing is launched or signalled: the actions
/// the master returns are the agent's, and are dropped here. Must return
/// for every input.
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
    let _ = m.tick(now);
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
        let _ = m.tick(now);
    }
    let _ = super::state::render(&m);
    drop(rx);
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use prost::Message;

    /// A master on a node of 2 CPUs, 1 GiB and 11 ports (nothing runs).
    pub(in crate::embedded) fn master() -> Master {
        let mut config = EmbeddedConfig::new("/nonexistent/embedded-test");
        config.heartbeat_interval = Duration::from_secs(1);
        let total = Resources::parse("cpus:2;mem:1024;ports:[31000-31010]").unwrap_or_default();
        Master::new(Arc::new(Node::new(&config, 5050, total, Vec::new())))
    }

    /// The master and what it owns only decide; processes, files and the
    /// network are the agent's and the HTTP layer's, so nothing of the
    /// kind can happen under the master's lock.
    #[test]
    fn the_locked_model_does_no_signal_spawn_or_io() {
        let forbidden = [
            concat!("libc", "::"),
            concat!("kill", "pg"),
            concat!("spawn", "("),
            concat!("Command", "::"),
            concat!("std::", "process"),
            concat!("std::", "fs"),
            concat!("tokio::", "fs"),
            concat!("std::", "net"),
            concat!("tokio::", "net"),
            concat!("req", "west"),
            concat!("File", "::"),
            concat!("terminate", "("),
            concat!(".sig", "nal("),
        ];
        for (file, text) in [
            ("master.rs", include_str!("master.rs")),
            ("tasks.rs", include_str!("tasks.rs")),
            ("framework.rs", include_str!("framework.rs")),
            ("allocator.rs", include_str!("allocator.rs")),
            ("state.rs", include_str!("state.rs")),
        ] {
            for needle in forbidden {
                assert!(!text.contains(needle), "{file} contains `{needle}`");
            }
        }
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
            let _ = m.tick(Instant::now());
            if let Ok(mut call) = sched::Call::decode(bytes.as_slice()) {
                call.r#type = Some(ty);
                if ty == sched::call::Type::Subscribe as i32 {
                    let _ = call.subscribe.map(|s| m.subscribe(s, None));
                } else {
                    call.framework_id = Some(pb::FrameworkId { value: framework_id.clone() });
                    let _ = m.call(call, Some(&stream_id));
                }
            }
            let _ = m.tick(Instant::now() + Duration::from_secs(30));
            let _ = crate::embedded::state::render(&m);
            drop(rx);
        }
    }
}
