//! The worker store: what the appmaster persists so that a restarted
//! appmaster can find its framework and its workers again.
//!
//! Three things are stored (the layout of Flink's Mesos mode, in our own
//! record format): the framework id, the next task number, and one record per
//! worker (`workers/<task id>`). The appmaster writes every worker transition
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
//! restart.

pub mod memory;
pub mod record;

use std::future::Future;

use crate::scheduler::Worker;

/// What a store holds, as read at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The framework id of the previous run, for a failover.
    pub framework_id: Option<String>,
    /// The next task number to use (task ids are never reused).
    pub next_task_number: u64,
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
    /// The store cannot be reached (ZooKeeper down, session lost, ...).
    #[error("the worker store is not available: {0}")]
    Unavailable(String),
}

/// Persistence of the framework id, the task counter and the workers.
///
/// Implementations must make each write durable before the returned future
/// completes: the appmaster acts on a transition right after storing it.
pub trait WorkerStore {
    /// Reads everything (and remembers the data versions for later writes).
    fn load(&mut self) -> impl Future<Output = Result<Snapshot, StoreError>> + Send;
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
    fn set_framework_id(&mut self, id: &str)
        -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Forgets the framework id ("Framework has been removed": register anew).
    fn clear_framework_id(&mut self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
