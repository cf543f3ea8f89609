//! The memory rules between the Mesos container and Flink's own memory
//! settings, decided once, when the configuration is resolved
//! ([`super::settings::resolve`]):
//!
//! - the TaskManagers' container (`mesos.resourcemanager.tasks.mem`, or the
//!   TaskManager memory it follows when unset) and the checks between the
//!   two;
//! - whether the TaskManager is sized by Flink 1.10+ keys
//!   (`taskmanager.memory.process.size`, `.flink.size`, or `.task.heap.size`
//!   with `.managed.size`), and which legacy heap keys are set;
//! - what sizes the JobManager ([`JobManagerMemory`]: `jobmanager.memory.process.size`,
//!   `.flink.size`, `.heap.size`, then the legacy heap keys), and its default
//!   ([`JOBMANAGER_DEFAULT_PROCESS_MB`]);
//! - the legacy heap precedence of both ([`TASKMANAGER_LEGACY_HEAP`],
//!   [`JOBMANAGER_LEGACY_HEAP`]).
//!
//! From these, [`TaskManagerMemory::keys`] and [`JobManagerMemory::keys`]
//! give the exact keys a Flink 1.10+ process's configuration loses and gets
//! ([`MemoryKeys`]), and [`TaskManagerMemory::for_workers`] what the
//! appmaster hands every TaskManager. The writers (`appmaster::plan`,
//! `flink::launch`, `taskmanager`) only apply them; `marathon-json` sizes
//! the appmaster's container from [`JobManagerMemory`]. Pure.

use std::fmt::Display;

use super::options::{Key, Type};
use super::settings::Checker;
use super::values;

/// `jobmanager.memory.process.size` when no JobManager memory is configured:
/// the value in the configuration Flink ships.
pub const JOBMANAGER_DEFAULT_PROCESS_MB: u64 = 1600;

/// The TaskManager's legacy (Flink < 1.10) heap keys, the one that wins
/// first.
pub const TASKMANAGER_LEGACY_HEAP: [Key; 2] = [Key::TaskmanagerHeapMb, Key::TaskmanagerHeapSize];
/// The JobManager's legacy heap keys, the one that wins first (as in Flink
/// 1.5 to 1.9, where `jobmanager.heap.mb` is the deprecated spelling).
pub const JOBMANAGER_LEGACY_HEAP: [Key; 2] = [Key::JobmanagerHeapSize, Key::JobmanagerHeapMb];

/// The families of keys that size a TaskManager (and go to every worker).
const TASKMANAGER_MEMORY_PREFIXES: [&str; 2] = ["taskmanager.memory.", "taskmanager.heap."];

/// Part of the message of a memory setting larger than the container, which
/// `flink-mesos taskmanager` tells apart from other configuration errors.
pub const LARGER_THAN_CONTAINER: &str = "larger than the Mesos container";

/// Whether `key` is a TaskManager memory setting (`taskmanager.memory.*`,
/// `taskmanager.heap.*`).
pub fn is_taskmanager_memory_key(key: &str) -> bool {
    TASKMANAGER_MEMORY_PREFIXES
        .iter()
        .any(|prefix| key.starts_with(prefix))
}

/// A memory option's value in MB, by its declared type: whole megabytes
/// (the legacy `*.heap.mb`) or a memory size.
pub fn megabytes(key: Key, value: &str) -> Result<u64, String> {
    match key.def().ty {
        Type::Megabytes => values::parse_megabytes(value),
        _ => values::parse_memory(value).map(|b| b >> 20),
    }
}

/// The legacy heap in MB: the first of `keys` ([`TASKMANAGER_LEGACY_HEAP`] or
/// [`JOBMANAGER_LEGACY_HEAP`]) that `value` has, with its key. A value that
/// does not parse is an error naming its key.
pub fn legacy_heap<'a>(
    keys: &[Key],
    value: impl Fn(Key) -> Option<&'a str>,
) -> Result<Option<(Key, u64)>, String> {
    for &key in keys {
        if let Some(v) = value(key) {
            return megabytes(key, v)
                .map(|mb| Some((key, mb)))
                .map_err(|m| format!("{key}: {m}"));
        }
    }
    Ok(None)
}

/// What a Flink 1.10+ process's configuration loses and gets beside the
/// memory settings the user gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryKeys {
    /// Legacy keys that Flink 1.10+ would misread.
    pub remove: Vec<Key>,
    /// A key to set, because nothing newer sizes the process.
    pub set: Option<(Key, String)>,
    /// What was done and why, for the log.
    pub notes: Vec<String>,
}

/// The TaskManager's memory as resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskManagerMemory {
    /// The container in MB (`Tasks::mem_mb`).
    pub container_mb: u64,
    /// The Flink 1.10+ setting that sizes the TaskManager
    /// (`taskmanager.memory.process.size`, `.flink.size`, or
    /// `.task.heap.size` with `.managed.size`); `None`: the container does.
    pub sized_by: Option<Key>,
    /// The legacy heap keys that are set ([`TASKMANAGER_LEGACY_HEAP`] order),
    /// with their values as written.
    pub legacy: Vec<(Key, String)>,
}

impl TaskManagerMemory {
    /// What the appmaster adds to every TaskManager's configuration, whatever
    /// its Flink version: without any memory setting (not even a legacy
    /// heap), the TaskManager sizes itself to the container, as Flink's Mesos
    /// mode did, never beyond it.
    pub fn for_workers(&self) -> Option<(Key, String)> {
        (self.sized_by.is_none() && self.legacy.is_empty()).then(|| self.container())
    }

    /// Flink 1.10+ (`version`, for the notes): the legacy heap keys leave;
    /// without a Flink 1.10+ size the process gets the whole container.
    pub fn keys(&self, version: impl Display) -> MemoryKeys {
        let process = Key::TaskmanagerMemoryProcessSize;
        let mut out = MemoryKeys::default();
        for (key, v) in &self.legacy {
            out.remove.push(*key);
            out.notes.push(format!("{key} ({v}) is a setting of Flink before 1.10 and is not passed to Flink {version}; the TaskManager is sized by {process}"));
        }
        if self.sized_by.is_none() {
            let mb = self.container_mb;
            out.set = Some(self.container());
            out.notes.push(format!(
                "{process} is not set: using the container's {mb} MB ({})",
                Key::MesosResourcemanagerTasksMem
            ));
        }
        out
    }

    fn container(&self) -> (Key, String) {
        (
            Key::TaskmanagerMemoryProcessSize,
            format!("{}m", self.container_mb),
        )
    }
}

/// What sizes the JobManager, by precedence: the Flink 1.11+ keys
/// (`jobmanager.memory.process.size`, `.flink.size`, `.heap.size`), then
/// the legacy heap keys ([`JOBMANAGER_LEGACY_HEAP`]). Sizes the container
/// the JobManager runs in (`marathon-json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobManagerMemory {
    /// `jobmanager.memory.process.size`: the whole JVM process, in MB.
    Process { mb: u64 },
    /// `jobmanager.memory.flink.size`: all but JVM metaspace and overhead, in MB.
    Flink { mb: u64 },
    /// A heap size in MB from `key`; the JVM needs more than this.
    Heap { key: Key, mb: u64 },
    /// Nothing configured.
    Unset,
}

impl JobManagerMemory {
    /// Whether Flink 1.10+ keys size the JobManager.
    fn sized(self) -> bool {
        match self {
            JobManagerMemory::Process { .. } | JobManagerMemory::Flink { .. } => true,
            JobManagerMemory::Heap { key, .. } => key == Key::JobmanagerMemoryHeapSize,
            JobManagerMemory::Unset => false,
        }
    }

    /// Flink 1.10+: the legacy heap keys that are set (`legacy`, the winner
    /// first) leave; unless Flink 1.10+ keys size the JobManager, the legacy
    /// heap becomes `jobmanager.memory.heap.size`, or with nothing
    /// configured `jobmanager.memory.process.size` is
    /// [`JOBMANAGER_DEFAULT_PROCESS_MB`].
    pub fn keys(self, legacy: &[(Key, String)]) -> MemoryKeys {
        let mut out = MemoryKeys {
            remove: legacy.iter().map(|(key, _)| *key).collect(),
            ..MemoryKeys::default()
        };
        let heap = Key::JobmanagerMemoryHeapSize;
        match (legacy.first(), self.sized()) {
            (Some((key, v)), false) => {
                let v = match key.def().ty {
                    Type::Megabytes => format!("{}m", v.trim()),
                    _ => v.clone(),
                };
                out.notes.push(format!(
                    "{key} is a setting of Flink before 1.10: passing it as {heap}={v}"
                ));
                out.set = Some((heap, v));
            }
            (Some((key, _)), true) => out.notes.push(format!(
                "{key} is ignored: jobmanager.memory.* settings are given"
            )),
            (None, false) => {
                let process = Key::JobmanagerMemoryProcessSize;
                let v = format!("{JOBMANAGER_DEFAULT_PROCESS_MB}m");
                out.notes.push(format!(
                    "no JobManager memory is configured: using {process} {v}"
                ));
                out.set = Some((process, v));
            }
            (None, true) => {}
        }
        out
    }
}

/// JVM metaspace + overhead Flink needs beside the heap, in MB, from the
/// declared defaults of `taskmanager.memory.jvm-metaspace.size` and
/// `taskmanager.memory.jvm-overhead.min` (or their configured values).
fn jvm_overhead_mb(c: &mut Checker) -> u64 {
    let metaspace = c.value(Key::TaskmanagerMemoryJvmMetaspaceSize, values::parse_memory);
    let overhead = c.value(Key::TaskmanagerMemoryJvmOverheadMin, values::parse_memory);
    (metaspace + overhead) >> 20
}

/// The legacy heap keys among `keys` that are set, with their values.
fn legacy_entries(c: &Checker, keys: &[Key]) -> Vec<(Key, String)> {
    keys.iter()
        .filter_map(|&key| c.entry(key).map(|e| (key, e.value.clone())))
        .collect()
}

/// A memory option's value in MB; `None` when unset or not valid (reported).
fn typed_mb(c: &mut Checker, key: Key) -> Option<u64> {
    c.typed(key, |s| megabytes(key, s))
}

/// The legacy heap that wins among `keys`, from the values that passed
/// their type check.
fn typed_legacy_heap(c: &mut Checker, keys: &[Key]) -> Option<(Key, u64)> {
    keys.iter()
        .find_map(|&key| typed_mb(c, key).map(|mb| (key, mb)))
}

/// The TaskManager's memory: the container size and the rules between it
/// and the TaskManager's own memory settings (reported as diagnostics).
pub(super) fn taskmanager(c: &mut Checker) -> TaskManagerMemory {
    const MEM: Key = Key::MesosResourcemanagerTasksMem;
    let container = c
        .set_by_user(MEM)
        .then(|| c.typed(MEM, values::parse_megabytes))
        .flatten();
    let process_key = Key::TaskmanagerMemoryProcessSize;
    let process = typed_mb(c, process_key);
    let sized_by = if process.is_some() {
        Some(process_key)
    } else if typed_mb(c, Key::TaskmanagerMemoryFlinkSize).is_some() {
        Some(Key::TaskmanagerMemoryFlinkSize)
    } else if typed_mb(c, Key::TaskmanagerMemoryTaskHeapSize).is_some()
        && typed_mb(c, Key::TaskmanagerMemoryManagedSize).is_some()
    {
        Some(Key::TaskmanagerMemoryTaskHeapSize)
    } else {
        None
    };
    let legacy = legacy_entries(c, &TASKMANAGER_LEGACY_HEAP);
    let heap = typed_legacy_heap(c, &TASKMANAGER_LEGACY_HEAP);
    let overhead = jvm_overhead_mb(c);
    let Some(container) = container else {
        // Not set: follow the TaskManager's process memory, as later Flink versions do.
        let container_mb = process
            .or(heap.map(|(_, h)| h + overhead))
            .unwrap_or_else(|| c.value(MEM, values::parse_megabytes));
        return TaskManagerMemory {
            container_mb,
            sized_by,
            legacy,
        };
    };
    if let Some(p) = process {
        if p > container {
            c.error_at(
                process_key,
                &format!("is {p} MB, {LARGER_THAN_CONTAINER} (`{MEM}` = {container} MB)"),
                &format!(
                    "raise {MEM} to at least {p}, or remove it so that the container follows the TaskManager memory"
                ),
            );
        }
    }
    if let Some((heap_key, h)) = heap {
        if h > container {
            c.error_at(
                heap_key,
                &format!("is {h} MB, {LARGER_THAN_CONTAINER} (`{MEM}` = {container} MB)"),
                &format!(
                    "raise {MEM} to at least {}, or lower the heap",
                    h + overhead
                ),
            );
        } else if container - h < overhead {
            c.warn_at(
                heap_key,
                &format!(
                    "leaves {} MB of the {container} MB container for JVM metaspace and overhead, which need about {overhead} MB; Mesos may kill the TaskManager for using too much memory",
                    container - h
                ),
                &format!("lower the heap to at most {} MB or raise {MEM}", container.saturating_sub(overhead)),
            );
        }
    }
    TaskManagerMemory {
        container_mb: container,
        sized_by,
        legacy,
    }
}

/// What sizes the JobManager, and its legacy heap keys that are set
/// ([`JOBMANAGER_LEGACY_HEAP`] order, with their values).
pub(super) fn jobmanager(c: &mut Checker) -> (JobManagerMemory, Vec<(Key, String)>) {
    let legacy = legacy_entries(c, &JOBMANAGER_LEGACY_HEAP);
    let memory = if let Some(mb) = typed_mb(c, Key::JobmanagerMemoryProcessSize) {
        JobManagerMemory::Process { mb }
    } else if let Some(mb) = typed_mb(c, Key::JobmanagerMemoryFlinkSize) {
        JobManagerMemory::Flink { mb }
    } else if let Some((key, mb)) = typed_legacy_heap(
        c,
        &[
            Key::JobmanagerMemoryHeapSize,
            JOBMANAGER_LEGACY_HEAP[0],
            JOBMANAGER_LEGACY_HEAP[1],
        ],
    ) {
        JobManagerMemory::Heap { key, mb }
    } else {
        JobManagerMemory::Unset
    };
    (memory, legacy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_heap_precedence_per_role() {
        let both = |key: Key| match key {
            Key::TaskmanagerHeapMb | Key::JobmanagerHeapMb => Some("1024"),
            Key::TaskmanagerHeapSize | Key::JobmanagerHeapSize => Some("2g"),
            _ => None,
        };
        assert_eq!(
            legacy_heap(&TASKMANAGER_LEGACY_HEAP, both),
            Ok(Some((Key::TaskmanagerHeapMb, 1024)))
        );
        assert_eq!(
            legacy_heap(&JOBMANAGER_LEGACY_HEAP, both),
            Ok(Some((Key::JobmanagerHeapSize, 2048)))
        );
        assert_eq!(legacy_heap(&JOBMANAGER_LEGACY_HEAP, |_| None), Ok(None));
        let e = legacy_heap(&JOBMANAGER_LEGACY_HEAP, |_| Some("lots")).unwrap_err();
        assert!(e.starts_with("jobmanager.heap.size: "), "{e}");
    }

    #[test]
    fn taskmanager_keys_for_newer_flink() {
        let open = TaskManagerMemory {
            container_mb: 700,
            sized_by: None,
            legacy: Vec::new(),
        };
        let process = Some((Key::TaskmanagerMemoryProcessSize, "700m".to_string()));
        assert_eq!(open.for_workers(), process);
        assert_eq!(open.keys("2.3.0").set, process);
        // A legacy heap: Flink < 1.10 reads it, newer Flink gets the container.
        let legacy = TaskManagerMemory {
            legacy: vec![(Key::TaskmanagerHeapMb, "500".into())],
            ..open.clone()
        };
        assert_eq!(legacy.for_workers(), None);
        let keys = legacy.keys("2.3.0");
        assert_eq!(keys.remove, [Key::TaskmanagerHeapMb]);
        assert_eq!(keys.set, process);
        assert!(
            keys.notes[0].contains("not passed to Flink 2.3.0"),
            "{keys:?}"
        );
        // Task heap with managed memory sizes the TaskManager: nothing invented.
        let sized = TaskManagerMemory {
            sized_by: Some(Key::TaskmanagerMemoryTaskHeapSize),
            ..open
        };
        assert_eq!(sized.for_workers(), None);
        assert_eq!(sized.keys("2.3.0"), MemoryKeys::default());
    }

    #[test]
    fn jobmanager_flink_size_counts_as_configured() {
        let flink = JobManagerMemory::Flink { mb: 1024 };
        assert_eq!(flink.keys(&[]), MemoryKeys::default());
        let keys = flink.keys(&[(Key::JobmanagerHeapMb, "768".into())]);
        assert_eq!(keys.remove, [Key::JobmanagerHeapMb]);
        assert_eq!(keys.set, None);
        assert_eq!(
            keys.notes,
            ["jobmanager.heap.mb is ignored: jobmanager.memory.* settings are given"]
        );
        let unset = JobManagerMemory::Unset.keys(&[]);
        assert_eq!(
            unset.set,
            Some((Key::JobmanagerMemoryProcessSize, "1600m".to_string()))
        );
    }
}
