//! The in-memory [`WorkerStore`] (high availability off): the record codec
//! and the data-version checks of a real store, kept in this process only.
//! Clones share the same data (tests use that to look inside, and to play a
//! second appmaster that must get [`StoreError::Conflict`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{record, FrameworkIdentity, FrameworkRecord, Snapshot, StoreError, WorkerStore};
use crate::scheduler::Worker;

const FRAMEWORK_ID: &str = "frameworkId";
const TASK_COUNT: &str = "taskCount";
const FAILED_TASKS: &str = "failedTasks";
const FLOOR: &str = "floor";
const WORKERS: &str = "workers/";

/// `key -> (data, data version)`, like ZooKeeper nodes.
type Nodes = BTreeMap<String, (Vec<u8>, u64)>;

#[derive(Debug, Default)]
pub struct MemoryStore {
    nodes: Arc<Mutex<Nodes>>,
    /// The data version this handle last read or wrote, per key.
    seen: HashMap<String, u64>,
}

impl Clone for MemoryStore {
    /// A second handle on the same data that has read nothing yet.
    fn clone(&self) -> Self {
        MemoryStore {
            nodes: self.nodes.clone(),
            seen: HashMap::new(),
        }
    }
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn nodes(&self) -> MutexGuard<'_, Nodes> {
        // A poisoned lock only means another thread panicked mid-test; the
        // map itself is always consistent (single insert/remove operations).
        self.nodes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `key` if nobody changed it since this handle last saw it.
    fn set(&mut self, key: &str, data: Vec<u8>) -> Result<(), StoreError> {
        let mut nodes = self.nodes();
        let current = nodes.get(key).map(|(_, v)| *v);
        if current != self.seen.get(key).copied() {
            return Err(StoreError::Conflict { key: key.into() });
        }
        let version = current.map_or(0, |v| v + 1);
        nodes.insert(key.to_string(), (data, version));
        drop(nodes);
        self.seen.insert(key.to_string(), version);
        Ok(())
    }

    fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        let mut nodes = self.nodes();
        match (nodes.get(key).map(|(_, v)| *v), self.seen.get(key)) {
            (None, _) => {}
            (Some(current), Some(seen)) if current == *seen => {
                nodes.remove(key);
            }
            _ => return Err(StoreError::Conflict { key: key.into() }),
        }
        drop(nodes);
        self.seen.remove(key);
        Ok(())
    }

    fn read_all(&mut self) -> Result<Snapshot, StoreError> {
        let nodes = self.nodes().clone();
        self.seen = nodes.iter().map(|(k, (_, v))| (k.clone(), *v)).collect();
        let mut snapshot = Snapshot::default();
        for (key, (data, _)) in &nodes {
            if key == FRAMEWORK_ID {
                let (id, identity) = record::decode_framework(key, data)?;
                snapshot.framework_id = Some(id);
                snapshot.framework = Some(FrameworkRecord {
                    identity,
                    location: format!("{key} (in memory)"),
                    others_can_write: false,
                });
            } else if key == TASK_COUNT {
                snapshot.next_task_number = record::decode_number(key, data)?;
            } else if key == FAILED_TASKS {
                snapshot.failed_tasks = record::decode_count(key, data)?;
            } else if key == FLOOR {
                snapshot.floor = Some(record::decode_count(key, data)?);
            } else if key.starts_with(WORKERS) {
                snapshot.workers.push(record::decode_worker(key, data)?);
            }
        }
        Ok(snapshot)
    }
}

impl WorkerStore for MemoryStore {
    async fn load(&mut self) -> Result<Snapshot, StoreError> {
        self.read_all()
    }

    async fn put_worker(&mut self, worker: &Worker) -> Result<(), StoreError> {
        self.set(
            &format!("{WORKERS}{}", worker.task_id),
            record::encode_worker(worker),
        )
    }

    async fn remove_worker(&mut self, task_id: &str) -> Result<(), StoreError> {
        self.delete(&format!("{WORKERS}{task_id}"))
    }

    async fn set_next_task_number(&mut self, n: u64) -> Result<(), StoreError> {
        self.set(TASK_COUNT, record::encode_number(n))
    }

    async fn set_failed_tasks(&mut self, n: u32) -> Result<(), StoreError> {
        self.set(FAILED_TASKS, record::encode_number(u64::from(n)))
    }

    async fn set_floor(&mut self, n: u32) -> Result<(), StoreError> {
        self.set(FLOOR, record::encode_number(u64::from(n)))
    }

    async fn set_framework_id(
        &mut self,
        id: &str,
        identity: &FrameworkIdentity,
    ) -> Result<(), StoreError> {
        self.set(FRAMEWORK_ID, record::encode_framework(id, identity))
    }

    async fn clear_framework_id(&mut self) -> Result<(), StoreError> {
        self.delete(FRAMEWORK_ID)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::WorkerState;

    fn worker(id: &str, state: WorkerState) -> Worker {
        Worker {
            task_id: id.into(),
            state,
            agent_id: None,
            hostname: None,
            ports: Vec::new(),
        }
    }

    #[tokio::test]
    async fn round_trip() {
        let mut s = MemoryStore::new();
        assert_eq!(s.load().await.unwrap(), Snapshot::default());
        let who = FrameworkIdentity {
            name: "Flink".into(),
            role: "*".into(),
            principal: None,
        };
        s.set_framework_id("fw-1", &who).await.unwrap();
        s.set_next_task_number(3).await.unwrap();
        s.put_worker(&worker("taskmanager-00001", WorkerState::New))
            .await
            .unwrap();
        s.put_worker(&worker("taskmanager-00001", WorkerState::Launched))
            .await
            .unwrap();
        s.put_worker(&worker("taskmanager-00002", WorkerState::New))
            .await
            .unwrap();
        s.remove_worker("taskmanager-00002").await.unwrap();
        s.remove_worker("taskmanager-00099").await.unwrap();
        let mut other = s.clone();
        let snap = other.load().await.unwrap();
        assert_eq!(snap.framework_id.as_deref(), Some("fw-1"));
        assert_eq!(snap.framework.unwrap().identity, Some(who));
        assert_eq!(snap.next_task_number, 3);
        assert_eq!(
            snap.workers,
            vec![worker("taskmanager-00001", WorkerState::Launched)]
        );
        other.clear_framework_id().await.unwrap();
        assert_eq!(other.load().await.unwrap().framework_id, None);
    }

    #[tokio::test]
    async fn a_second_writer_gets_a_conflict() {
        let mut first = MemoryStore::new();
        first.load().await.unwrap();
        first.set_next_task_number(2).await.unwrap();
        let mut second = first.clone();
        second.load().await.unwrap();
        second.set_next_task_number(5).await.unwrap();
        // `first` has not seen the write of `second`.
        assert!(matches!(
            first.set_next_task_number(3).await,
            Err(StoreError::Conflict { .. })
        ));
        // A handle that never read cannot create over an existing record.
        let mut blind = first.clone();
        assert!(matches!(
            blind.set_next_task_number(9).await,
            Err(StoreError::Conflict { .. })
        ));
    }
}
