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

/// What a store holds, as read at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The framework id of the previous run, for a failover.
    pub framework_id: Option<String>,
    /// The next task number to use (task ids are never reused).
    pub next_task_number: u64,
    /// Workers failed so far (`mesos.maximum-failed-tasks`).
    pub failed_tasks: u32,
    /// The floor `workers scale` set (`None`: the configured one).
    pub floor: Option<u32>,
    pub workers: Vec<Worker>,
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
    /// Set (`Some`) or forget (`None`) the framework id.
    FrameworkId(Option<String>),
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
                    Write::FrameworkId(Some(id)) => self.set_framework_id(&id).await?,
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
    fn set_framework_id(&mut self, id: &str)
        -> impl Future<Output = Result<(), StoreError>> + Send;
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
    async fn set_framework_id(&mut self, id: &str) -> Result<(), StoreError> {
        self.apply(vec![Write::FrameworkId(Some(id.to_string()))])
            .await
    }
    async fn clear_framework_id(&mut self) -> Result<(), StoreError> {
        self.apply(vec![Write::FrameworkId(None)]).await
    }
}
