//! The worker store: what the appmaster persists so that a restarted
//! appmaster can find its framework and its workers again.
//!
//! Four things are stored (the layout of Flink's Mesos mode, in our own
//! record format, plus the failure count): the framework id, the next task
//! number, the number of workers that failed (against
//! `mesos.maximum-failed-tasks`, so that a restart does not forgive them), and
//! one record per worker (`workers/<task id>`). The appmaster writes every worker transition
//! here *before* acting on it (architecture invariant; see `src/scheduler/`).
//!
//! [`WorkerStore`] is async and fallible because the ZooKeeper implementation
//! (its own issue) is; records are *versioned* in two ways:
//! * the encoded record carries a format version (`"format": 1`), so a newer
//!   appmaster can read what an older one wrote ([`record`]);
//! * every stored value has a data version that the store checks on write
//!   (ZooKeeper's `setData(path, data, version)`), so two appmasters that
//!   both believe they lead cannot overwrite each other silently: the loser
//!   gets [`StoreError::Conflict`] and must stop.
//!
//! [`memory::MemoryStore`] keeps everything in the process (high availability
//! off): the same codec and the same version checks, nothing survives a
//! restart. [`zk::ZkStore`] keeps it in ZooKeeper (high availability on):
//! every write is one ZooKeeper `multi` that also checks the writer's leader
//! latch ([`leader`]), so that an appmaster that lost its leadership cannot
//! write at all ([`StoreError::LeadershipLost`]).
//!
//! Related writes go through [`WorkerStore::apply`] as one batch: one atomic
//! `multi` in ZooKeeper, e.g. the task counter together with the New worker
//! that uses it.

pub mod leader;
pub mod memory;
pub mod record;
pub mod zk;

use std::future::Future;

use crate::scheduler::Worker;
pub use record::FrameworkIdentity;

/// What a store holds, as read at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The framework id of the previous run, for a failover.
    pub framework_id: Option<String>,
    /// Whose framework that id is, as stored with it (`Some` whenever
    /// `framework_id` is): checked before failing over into it.
    pub framework: Option<FrameworkRecord>,
    /// The next task number to use (task ids are never reused).
    pub next_task_number: u64,
    /// Workers failed so far (`mesos.maximum-failed-tasks`).
    pub failed_tasks: u32,
    /// The floor `workers scale` set (`None`: the configured one).
    pub floor: Option<u32>,
    pub workers: Vec<Worker>,
}

/// What the stored framework id record says about whose framework it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkRecord {
    /// Name, role and principal stored with the id; `None`: an id-only
    /// record (an older flink-mesos wrote it, or someone else did).
    pub identity: Option<FrameworkIdentity>,
    /// Where the record is (the znode), for messages.
    pub location: String,
    /// Whether others than this appmaster's ZooKeeper user can write the
    /// record (no credentials, or an ACL that lets them): an id-only record
    /// is trusted only when they cannot.
    pub others_can_write: bool,
}

impl FrameworkRecord {
    /// Whether the appmaster configured as `ours` may fail over into the
    /// stored framework; `Err` says why not and what to do.
    pub fn check(&self, id: &str, ours: &FrameworkIdentity) -> Result<(), String> {
        let clear = "`flink-mesos framework clear-id` removes the record and the appmaster \
             registers a new framework (the old framework's tasks end when its \
             mesos.failover-timeout runs out)";
        match &self.identity {
            Some(stored) if stored == ours => Ok(()),
            Some(stored) => Err(format!(
                "the stored framework id {id} at {} is another framework's ({stored}), not \
                 this appmaster's ({ours}): refusing to fail over into it, nothing of that \
                 framework was touched. If another cluster uses this store (the same \
                 high-availability.cluster-id?), point high-availability.cluster-id elsewhere; \
                 if the record is forged, or this cluster's framework name, role or principal \
                 changed on purpose, {clear}",
                self.location
            )),
            None if !self.others_can_write => Ok(()),
            None => Err(format!(
                "the stored framework id {id} at {} does not say whose framework it is and \
                 others can write it (no ZooKeeper credentials, or an ACL open to others): an \
                 older flink-mesos wrote it, or someone else did: refusing to fail over into \
                 it, nothing of that framework was touched. Check the framework in the Mesos \
                 master's UI; {clear}",
                self.location
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the record since we read it (another appmaster
    /// took over): this appmaster must stop.
    #[error(
        "the worker store entry `{key}` was changed by someone else (another appmaster running?)"
    )]
    Conflict { key: String },
    /// A stored record cannot be read.
    #[error("the worker store entry `{key}` is unreadable: {message}")]
    Corrupt { key: String, message: String },
    /// The store cannot be reached (ZooKeeper down, not authorized, ...).
    #[error("the worker store is not available: {0}")]
    Unavailable(String),
    /// This appmaster is no longer the leader (its ZooKeeper session expired
    /// or its leader latch is gone): it must stop at once, without any
    /// further call to Mesos; the next leader takes over.
    #[error("lost the leadership of the worker store: {0}")]
    LeadershipLost(String),
}

/// ZooKeeper (or the store in it) failed or refused.
impl crate::error::Classified for StoreError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Peer
    }
    fn label(&self) -> Option<String> {
        Some("ZooKeeper".into())
    }
}

/// One write of a batch ([`WorkerStore::apply`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Insert or replace a worker.
    Worker(Worker),
    /// Remove a worker (absent is fine).
    RemoveWorker(String),
    NextTaskNumber(u64),
    /// The number of workers failed so far.
    FailedTasks(u32),
    /// Set (`Some`, with whose framework it is) or forget (`None`) the
    /// framework id.
    FrameworkId(Option<(String, FrameworkIdentity)>),
    /// The floor `workers scale` set.
    Floor(u32),
}

/// Persistence of the framework id, the task counter and the workers.
///
/// Implementations must make each write durable before the returned future
/// completes: the appmaster acts on a transition right after storing it.
pub trait WorkerStore: Send {
    /// Reads everything (and remembers the data versions for later writes).
    fn load(&mut self) -> impl Future<Output = Result<Snapshot, StoreError>> + Send;
    /// Writes a batch: all or nothing where the store can (ZooKeeper), in
    /// order otherwise.
    fn apply(&mut self, batch: Vec<Write>) -> impl Future<Output = Result<(), StoreError>> + Send {
        async move {
            for write in batch {
                match write {
                    Write::Worker(w) => self.put_worker(&w).await?,
                    Write::RemoveWorker(id) => self.remove_worker(&id).await?,
                    Write::NextTaskNumber(n) => self.set_next_task_number(n).await?,
                    Write::FailedTasks(n) => self.set_failed_tasks(n).await?,
                    Write::FrameworkId(Some((id, who))) => self.set_framework_id(&id, &who).await?,
                    Write::FrameworkId(None) => self.clear_framework_id().await?,
                    Write::Floor(n) => self.set_floor(n).await?,
                }
            }
            Ok(())
        }
    }
    /// Inserts or replaces one worker.
    fn put_worker(
        &mut self,
        worker: &Worker,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes one worker; removing an absent worker is not an error.
    fn remove_worker(
        &mut self,
        task_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn set_next_task_number(
        &mut self,
        n: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn set_failed_tasks(&mut self, n: u32) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The floor `workers scale` set (see `crate::scheduler::elastic`).
    fn set_floor(&mut self, n: u32) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Stores the framework id with whose framework it is.
    fn set_framework_id(
        &mut self,
        id: &str,
        identity: &FrameworkIdentity,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Forgets the framework id ("Framework has been removed": register anew).
    fn clear_framework_id(&mut self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The store the configuration chose: in memory, or ZooKeeper.
pub enum AnyStore {
    Memory(memory::MemoryStore),
    ZooKeeper(Box<zk::ZkStore>),
}

impl WorkerStore for AnyStore {
    async fn load(&mut self) -> Result<Snapshot, StoreError> {
        match self {
            AnyStore::Memory(s) => s.load().await,
            AnyStore::ZooKeeper(s) => s.load().await,
        }
    }
    async fn apply(&mut self, batch: Vec<Write>) -> Result<(), StoreError> {
        match self {
            AnyStore::Memory(s) => s.apply(batch).await,
            AnyStore::ZooKeeper(s) => s.apply(batch).await,
        }
    }
    async fn put_worker(&mut self, worker: &Worker) -> Result<(), StoreError> {
        self.apply(vec![Write::Worker(worker.clone())]).await
    }
    async fn remove_worker(&mut self, task_id: &str) -> Result<(), StoreError> {
        self.apply(vec![Write::RemoveWorker(task_id.to_string())])
            .await
    }
    async fn set_next_task_number(&mut self, n: u64) -> Result<(), StoreError> {
        self.apply(vec![Write::NextTaskNumber(n)]).await
    }
    async fn set_failed_tasks(&mut self, n: u32) -> Result<(), StoreError> {
        self.apply(vec![Write::FailedTasks(n)]).await
    }
    async fn set_floor(&mut self, n: u32) -> Result<(), StoreError> {
        self.apply(vec![Write::Floor(n)]).await
    }
    async fn set_framework_id(
        &mut self,
        id: &str,
        identity: &FrameworkIdentity,
    ) -> Result<(), StoreError> {
        self.apply(vec![Write::FrameworkId(Some((
            id.to_string(),
            identity.clone(),
        )))])
        .await
    }
    async fn clear_framework_id(&mut self) -> Result<(), StoreError> {
        self.apply(vec![Write::FrameworkId(None)]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(name: &str, principal: Option<&str>) -> FrameworkIdentity {
        FrameworkIdentity {
            name: name.into(),
            role: "*".into(),
            principal: principal.map(str::to_string),
        }
    }

    fn record(identity: Option<FrameworkIdentity>, others_can_write: bool) -> FrameworkRecord {
        FrameworkRecord {
            identity,
            location: "/flink/default/mesos-workers/frameworkId".into(),
            others_can_write,
        }
    }

    #[test]
    fn only_this_appmasters_framework_is_failed_over_into() {
        let ours = who("Flink", Some("flink"));
        assert!(record(Some(ours.clone()), true).check("fw", &ours).is_ok());
        for other in [
            who("Other", Some("flink")),
            who("Flink", None),
            who("Flink", Some("root")),
            FrameworkIdentity {
                role: "prod".into(),
                ..ours.clone()
            },
        ] {
            let e = record(Some(other), false).check("fw-9", &ours).unwrap_err();
            assert!(
                e.contains("fw-9")
                    && e.contains("/flink/default/mesos-workers/frameworkId")
                    && e.contains("framework clear-id"),
                "{e}"
            );
        }
        // An id-only record (an older flink-mesos): trusted only when no one
        // else could have written it.
        assert!(record(None, false).check("fw", &ours).is_ok());
        let e = record(None, true).check("fw", &ours).unwrap_err();
        assert!(
            e.contains("does not say whose framework") && e.contains("framework clear-id"),
            "{e}"
        );
    }
}
