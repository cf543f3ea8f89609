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
//!   [`JOBMANAGER_LEGACY_HEAP`]) and what Flink 1.10+ gets instead, by
//!   Flink's own migration rules: the TaskManager's legacy heap is its
//!   `taskmanager.memory.process.size` (containerized deployments, Mesos
//!   among them), the JobManager's its `jobmanager.memory.heap.size`
//!   (standalone and Mesos); each with a warning at its line, and
//!   [`RETIRED_MEMORY_KEYS`] named, never dropped silently;
//! - Flink's own memory calculation ([`taskmanager_breakdown`],
//!   [`jobmanager_breakdown`]; the same from Flink 1.10 to 2.3 for what
//!   flink-mesos sets), so that a container too small for the memory it
//!   implies is an error in `validate-conf`, not a TaskManager that exits 5.
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

/// Part of the message of memory that Flink's own calculation cannot divide
/// ([`taskmanager_breakdown`]); `flink-mesos taskmanager` exits 5 on it, as
/// it would on Flink's own refusal.
pub const NO_ROOM: &str = "leaves Flink's TaskManager memory calculation no room";

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
    /// The winning legacy heap in MB, when one is set and valid: Flink 1.10+
    /// gets it as `taskmanager.memory.process.size` (Flink's migration rule
    /// for containerized deployments, Mesos among them).
    pub legacy_mb: Option<u64>,
    /// What Flink 1.10+ makes of it ([`taskmanager_breakdown`]); `None` when
    /// it does not fit (an error is reported) or cannot be worked out here.
    pub breakdown: Option<Breakdown>,
}

impl TaskManagerMemory {
    /// What the appmaster adds to every TaskManager's configuration, whatever
    /// its Flink version: without any memory setting (not even a legacy
    /// heap), the TaskManager sizes itself to the container, as Flink's Mesos
    /// mode did, never beyond it.
    pub fn for_workers(&self) -> Option<(Key, String)> {
        (self.sized_by.is_none() && self.legacy.is_empty()).then(|| self.process())
    }

    /// Flink 1.10+ (`version`, for the notes): the legacy heap keys leave;
    /// without a Flink 1.10+ size the process gets the legacy heap (Flink's
    /// own migration rule on Mesos: `taskmanager.heap.mb` meant the whole
    /// process there), else the whole container.
    pub fn keys(&self, version: impl Display) -> MemoryKeys {
        let process = Key::TaskmanagerMemoryProcessSize;
        let mut out = MemoryKeys::default();
        for (key, v) in &self.legacy {
            out.remove.push(*key);
            match (self.sized_by, self.legacy_mb) {
                (Some(by), _) => out.notes.push(format!(
                    "{key} ({v}) is a setting of Flink before 1.10 and is not passed to Flink {version}; {by} sizes the TaskManager"
                )),
                (None, Some(mb)) if Some(*key) == self.legacy.first().map(|(k, _)| *k) => {
                    out.notes.push(format!(
                        "{key} ({v}) is a setting of Flink before 1.10: passing it to Flink {version} as {process}={mb}m"
                    ))
                }
                (None, _) => out.notes.push(format!(
                    "{key} ({v}) is a setting of Flink before 1.10 and is not passed to Flink {version}"
                )),
            }
        }
        if self.sized_by.is_none() {
            out.set = Some(self.process());
            if self.legacy_mb.is_none() {
                out.notes.push(format!(
                    "{process} is not set: using the container's {} MB ({})",
                    self.container_mb,
                    Key::MesosResourcemanagerTasksMem
                ));
            }
        }
        out
    }

    /// `taskmanager.memory.process.size` for a TaskManager that no Flink
    /// 1.10+ key sizes: the legacy heap, else the container.
    fn process(&self) -> (Key, String) {
        (
            Key::TaskmanagerMemoryProcessSize,
            format!("{}m", self.legacy_mb.unwrap_or(self.container_mb)),
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

/// Flink memory options of before 1.10 that no later Flink reads, with what
/// to write instead. (`taskmanager.network.memory.*` are fallback spellings
/// of the `taskmanager.memory.network.*` options and are passed on as those;
/// the legacy heap keys are translated, see [`TaskManagerMemory::keys`].)
pub const RETIRED_MEMORY_KEYS: &[(&str, &str)] = &[
    ("taskmanager.memory.size", "set taskmanager.memory.managed.size instead (a number without a unit means bytes there, not MB)"),
    ("taskmanager.memory.fraction", "set taskmanager.memory.managed.fraction instead: a share of the total Flink memory, not of the heap"),
    ("taskmanager.memory.off-heap", "managed memory is always off-heap since Flink 1.10; remove it"),
    ("taskmanager.memory.preallocate", "Flink 1.10 removed it; remove it"),
    ("taskmanager.network.numberOfBuffers", "set taskmanager.memory.network.min and .max instead"),
    ("containerized.heap-cutoff-ratio", "Flink 1.10+ keeps taskmanager.memory.jvm-overhead.* (and jvm-metaspace.size) outside the heap instead"),
    ("containerized.heap-cutoff-min", "Flink 1.10+ keeps taskmanager.memory.jvm-overhead.* (and jvm-metaspace.size) outside the heap instead"),
];

/// What Flink 1.10+ (the same rules from 1.18 to 2.3) makes of a process's
/// memory, in bytes: `TaskExecutorProcessUtils` / `JobManagerProcessUtils`.
/// The JobManager has no managed, network or framework parts (`heap` is its
/// whole JVM heap, `task_off_heap` its off-heap memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Breakdown {
    pub process: u64,
    pub flink: u64,
    pub framework_heap: u64,
    pub task_heap: u64,
    pub framework_off_heap: u64,
    pub task_off_heap: u64,
    pub managed: u64,
    pub network: u64,
    pub metaspace: u64,
    pub overhead: u64,
}

impl Breakdown {
    /// The JVM heap (`-Xmx`).
    pub fn heap(&self) -> u64 {
        self.framework_heap + self.task_heap
    }

    /// One line in MB: `process 1024 MB: heap 154 (task 26), managed 230, …`.
    pub fn summary(&self) -> String {
        let mb = |b: u64| b >> 20;
        if self.managed == 0 && self.network == 0 && self.framework_heap == 0 {
            return format!(
                "process {} MB: heap {}, off-heap {}, metaspace {}, overhead {}",
                mb(self.process),
                mb(self.heap()),
                mb(self.task_off_heap),
                mb(self.metaspace),
                mb(self.overhead)
            );
        }
        format!(
            "process {} MB: heap {} (task {}), managed {}, network {}, off-heap {} (task {}), metaspace {}, overhead {}",
            mb(self.process),
            mb(self.heap()),
            mb(self.task_heap),
            mb(self.managed),
            mb(self.network),
            mb(self.framework_off_heap + self.task_off_heap),
            mb(self.task_off_heap),
            mb(self.metaspace),
            mb(self.overhead)
        )
    }
}

/// The memory options Flink's calculation reads, in bytes and fractions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryOptions {
    pub metaspace: u64,
    pub overhead_min: u64,
    pub overhead_max: u64,
    pub overhead_fraction: f64,
    /// TaskManager: framework heap / off-heap, task off-heap, managed
    /// (size or fraction), network min/max/fraction; JobManager: off-heap in
    /// `task_off_heap`, the rest unused.
    pub framework_heap: u64,
    pub framework_off_heap: u64,
    pub task_off_heap: u64,
    pub managed: Option<u64>,
    pub managed_fraction: f64,
    pub network_min: u64,
    pub network_max: u64,
    pub network_fraction: f64,
}

fn mib(b: u64) -> String {
    format!("{} MB", b >> 20)
}

/// `b × f` as Flink computes it: its fractions are `float` options, so
/// 0.4 is 0.4000000059604645 there (Flink 2.3 gives 241591914 bytes of
/// managed memory for 603979776 of Flink memory, not 241591910).
fn times(b: u64, f: f64) -> u64 {
    (b as f64 * f64::from(f as f32)) as u64
}

/// JVM overhead as a share of the process, between min and max.
fn overhead_of_process(o: &MemoryOptions, process: u64) -> Result<u64, String> {
    if o.overhead_min > o.overhead_max {
        return Err(format!(
            "the JVM overhead's min ({}) is larger than its max ({})",
            mib(o.overhead_min),
            mib(o.overhead_max)
        ));
    }
    Ok(times(process, o.overhead_fraction).clamp(o.overhead_min, o.overhead_max))
}

/// JVM overhead when the rest of the process is known (`rest` = Flink
/// memory + metaspace): the share that makes it `fraction` of the whole.
fn overhead_of_rest(o: &MemoryOptions, rest: u64) -> Result<u64, String> {
    if o.overhead_min > o.overhead_max {
        return overhead_of_process(o, 0);
    }
    let f = o.overhead_fraction;
    let derived = if f < 1.0 {
        (rest as f64 * f / (1.0 - f)) as u64
    } else {
        o.overhead_max
    };
    Ok(derived.clamp(o.overhead_min, o.overhead_max))
}

/// Flink memory from the process: process − metaspace − overhead.
fn flink_of_process(o: &MemoryOptions, process: u64) -> Result<(u64, u64), String> {
    let overhead = overhead_of_process(o, process)?;
    let flink = process.checked_sub(o.metaspace + overhead).ok_or_else(|| {
        format!(
            "JVM metaspace ({}) and JVM overhead ({}) alone exceed the process memory ({})",
            mib(o.metaspace),
            mib(overhead),
            mib(process)
        )
    })?;
    Ok((flink, overhead))
}

/// How the TaskManager is sized, for [`taskmanager_breakdown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskManagerSize {
    /// `taskmanager.memory.process.size` (or what flink-mesos sets it to).
    Process(u64),
    /// `taskmanager.memory.flink.size`.
    Flink(u64),
    /// `taskmanager.memory.task.heap.size` with `.managed.size` (in `o`).
    TaskHeap(u64),
}

/// Flink's TaskManager memory calculation (`TaskExecutorProcessUtils`,
/// unchanged from 1.10 to 2.3 for what flink-mesos sets). The error says
/// which parts do not fit, like Flink's `IllegalConfigurationException`.
pub fn taskmanager_breakdown(
    size: TaskManagerSize,
    o: &MemoryOptions,
) -> Result<Breakdown, String> {
    let network_of = |flink: u64| {
        times(flink, o.network_fraction).clamp(o.network_min, o.network_max.max(o.network_min))
    };
    let mut b = Breakdown {
        framework_heap: o.framework_heap,
        framework_off_heap: o.framework_off_heap,
        task_off_heap: o.task_off_heap,
        metaspace: o.metaspace,
        ..Breakdown::default()
    };
    let fixed = o.framework_heap + o.framework_off_heap + o.task_off_heap;
    match size {
        TaskManagerSize::TaskHeap(task_heap) => {
            b.task_heap = task_heap;
            b.managed = o.managed.unwrap_or_default();
            let without_network = fixed + task_heap + b.managed;
            // The network share of the whole Flink memory.
            let f = o.network_fraction;
            let derived = if f < 1.0 {
                (without_network as f64 * f / (1.0 - f)) as u64
            } else {
                o.network_max
            };
            b.network = derived.clamp(o.network_min, o.network_max.max(o.network_min));
            b.flink = without_network + b.network;
            b.overhead = overhead_of_rest(o, b.flink + o.metaspace)?;
            b.process = b.flink + o.metaspace + b.overhead;
            return Ok(b);
        }
        TaskManagerSize::Flink(flink) => {
            b.flink = flink;
            b.overhead = overhead_of_rest(o, flink + o.metaspace)?;
            b.process = flink + o.metaspace + b.overhead;
        }
        TaskManagerSize::Process(process) => {
            let (flink, overhead) = flink_of_process(o, process)?;
            b.process = process;
            b.flink = flink;
            b.overhead = overhead;
        }
    }
    b.managed = o
        .managed
        .unwrap_or_else(|| times(b.flink, o.managed_fraction));
    b.network = network_of(b.flink);
    let rest = fixed + b.managed + b.network;
    b.task_heap = b.flink.checked_sub(rest).ok_or_else(|| {
        format!(
            "framework heap ({}), framework off-heap ({}), task off-heap ({}), managed ({}) and network memory ({}) exceed the {} of Flink memory left after JVM metaspace ({}) and overhead ({})",
            mib(o.framework_heap),
            mib(o.framework_off_heap),
            mib(o.task_off_heap),
            mib(b.managed),
            mib(b.network),
            mib(b.flink),
            mib(o.metaspace),
            mib(b.overhead)
        )
    })?;
    Ok(b)
}

/// Flink's JobManager memory calculation (`JobManagerProcessUtils`): the
/// off-heap part is `o.task_off_heap`.
pub fn jobmanager_breakdown(
    memory: JobManagerMemory,
    o: &MemoryOptions,
) -> Result<Breakdown, String> {
    let off_heap = o.task_off_heap;
    let mut b = Breakdown {
        task_off_heap: off_heap,
        metaspace: o.metaspace,
        ..Breakdown::default()
    };
    let heap_of = |flink: u64| {
        flink.checked_sub(off_heap).ok_or_else(|| {
            format!(
                "the off-heap memory ({}) exceeds the {} of Flink memory",
                mib(off_heap),
                mib(flink)
            )
        })
    };
    match memory {
        JobManagerMemory::Heap { mb, .. } => {
            b.task_heap = mb << 20;
            b.flink = b.task_heap + off_heap;
            b.overhead = overhead_of_rest(o, b.flink + o.metaspace)?;
            b.process = b.flink + o.metaspace + b.overhead;
        }
        JobManagerMemory::Flink { mb } => {
            b.flink = mb << 20;
            b.task_heap = heap_of(b.flink)?;
            b.overhead = overhead_of_rest(o, b.flink + o.metaspace)?;
            b.process = b.flink + o.metaspace + b.overhead;
        }
        JobManagerMemory::Process { .. } | JobManagerMemory::Unset => {
            let mb = match memory {
                JobManagerMemory::Process { mb } => mb,
                _ => JOBMANAGER_DEFAULT_PROCESS_MB,
            };
            let (flink, overhead) = flink_of_process(o, mb << 20)?;
            b.process = mb << 20;
            b.flink = flink;
            b.overhead = overhead;
            b.task_heap = heap_of(flink)?;
        }
    }
    Ok(b)
}

fn bytes(c: &mut Checker, key: Key) -> u64 {
    c.value(key, values::parse_memory)
}

fn fraction(c: &mut Checker, key: Key) -> f64 {
    c.value(key, |s| values::parse_float(s, 0.0))
}

fn taskmanager_options(c: &mut Checker) -> MemoryOptions {
    MemoryOptions {
        metaspace: bytes(c, Key::TaskmanagerMemoryJvmMetaspaceSize),
        overhead_min: bytes(c, Key::TaskmanagerMemoryJvmOverheadMin),
        overhead_max: bytes(c, Key::TaskmanagerMemoryJvmOverheadMax),
        overhead_fraction: fraction(c, Key::TaskmanagerMemoryJvmOverheadFraction),
        framework_heap: bytes(c, Key::TaskmanagerMemoryFrameworkHeapSize),
        framework_off_heap: bytes(c, Key::TaskmanagerMemoryFrameworkOffHeapSize),
        task_off_heap: bytes(c, Key::TaskmanagerMemoryTaskOffHeapSize),
        managed: c.typed(Key::TaskmanagerMemoryManagedSize, values::parse_memory),
        managed_fraction: fraction(c, Key::TaskmanagerMemoryManagedFraction),
        network_min: bytes(c, Key::TaskmanagerMemoryNetworkMin),
        network_max: bytes(c, Key::TaskmanagerMemoryNetworkMax),
        network_fraction: fraction(c, Key::TaskmanagerMemoryNetworkFraction),
    }
}

fn jobmanager_options(c: &mut Checker) -> MemoryOptions {
    MemoryOptions {
        metaspace: bytes(c, Key::JobmanagerMemoryJvmMetaspaceSize),
        overhead_min: bytes(c, Key::JobmanagerMemoryJvmOverheadMin),
        overhead_max: bytes(c, Key::JobmanagerMemoryJvmOverheadMax),
        overhead_fraction: fraction(c, Key::JobmanagerMemoryJvmOverheadFraction),
        framework_heap: 0,
        framework_off_heap: 0,
        task_off_heap: bytes(c, Key::JobmanagerMemoryOffHeapSize),
        managed: None,
        managed_fraction: 0.0,
        network_min: 0,
        network_max: 0,
        network_fraction: 0.0,
    }
}

/// Warnings for the Flink < 1.10 memory keys that are set: the legacy heap
/// keys (translated, see [`TaskManagerMemory::keys`] and
/// [`JobManagerMemory::keys`]) and [`RETIRED_MEMORY_KEYS`].
fn legacy_warnings(c: &mut Checker, tm: &TaskManagerMemory) {
    let process = Key::TaskmanagerMemoryProcessSize;
    for (i, (key, _)) in tm.legacy.iter().enumerate() {
        match (tm.sized_by, tm.legacy_mb) {
            (Some(by), _) => c.warn_at(
                *key,
                &format!("is a setting of Flink before 1.10 and is ignored: {by} sizes the TaskManager"),
                "remove it",
            ),
            (None, Some(mb)) if i == 0 => c.warn_at(
                *key,
                &format!("is a setting of Flink before 1.10, which later versions ignore: flink-mesos passes it to Flink as {process}: {mb}m, the TaskManager's whole process (Flink's own migration rule on Mesos)"),
                &format!("write {process}: {mb}m instead; for a JVM heap of that size set taskmanager.memory.task.heap.size with taskmanager.memory.managed.size"),
            ),
            // Not a valid size: its type error says enough.
            (None, None) => {}
            (None, Some(_)) => c.warn_at(
                *key,
                &format!("is a setting of Flink before 1.10 and is ignored: {} wins", tm.legacy[0].0),
                "remove it",
            ),
        }
    }
    for (key, instead) in RETIRED_MEMORY_KEYS {
        let Some(entry) = c.entry_named(key) else {
            continue;
        };
        let d = super::diagnostic::Diagnostic::warning(
            "is a memory setting of Flink before 1.10; Flink 1.10 and later ignore it, and flink-mesos does not pass it on",
        )
        .key(entry.key.clone())
        .at(entry.origin.key_span())
        .hint(*instead);
        c.push(d);
    }
}

/// The TaskManager's memory: the container size and the rules between it
/// and the TaskManager's own memory settings (reported as diagnostics),
/// with Flink's own calculation of what that gives.
pub(super) fn taskmanager(c: &mut Checker) -> TaskManagerMemory {
    const MEM: Key = Key::MesosResourcemanagerTasksMem;
    let container = c
        .set_by_user(MEM)
        .then(|| c.typed(MEM, values::parse_megabytes))
        .flatten();
    let process_key = Key::TaskmanagerMemoryProcessSize;
    let process = typed_mb(c, process_key);
    let flink_size = typed_mb(c, Key::TaskmanagerMemoryFlinkSize);
    let task_heap = c.typed(Key::TaskmanagerMemoryTaskHeapSize, values::parse_memory);
    let managed = c.typed(Key::TaskmanagerMemoryManagedSize, values::parse_memory);
    let sized_by = if process.is_some() {
        Some(process_key)
    } else if flink_size.is_some() {
        Some(Key::TaskmanagerMemoryFlinkSize)
    } else if task_heap.is_some() && managed.is_some() {
        Some(Key::TaskmanagerMemoryTaskHeapSize)
    } else {
        None
    };
    let legacy = legacy_entries(c, &TASKMANAGER_LEGACY_HEAP);
    let heap = typed_legacy_heap(c, &TASKMANAGER_LEGACY_HEAP);
    let container_mb = match container {
        Some(mb) => mb,
        // Not set: follow the TaskManager's process memory, as later Flink versions do.
        None => process
            .or(heap.map(|(_, h)| h))
            .unwrap_or_else(|| c.value(MEM, values::parse_megabytes)),
    };
    let mut tm = TaskManagerMemory {
        container_mb,
        sized_by,
        legacy,
        legacy_mb: heap.map(|(_, mb)| mb),
        breakdown: None,
    };
    legacy_warnings(c, &tm);
    if let Some(container) = container {
        let larger = process
            .map(|p| (process_key, p))
            .or(heap.filter(|_| sized_by.is_none()));
        if let Some((key, p)) = larger.filter(|(_, p)| *p > container) {
            c.error_at(
                key,
                &format!("is {p} MB, {LARGER_THAN_CONTAINER} (`{MEM}` = {container} MB)"),
                &format!(
                    "raise {MEM} to at least {p}, or remove it so that the container follows the TaskManager memory"
                ),
            );
        }
    }
    // Flink's own calculation, for what the process will be.
    let options = taskmanager_options(c);
    let size = match sized_by {
        Some(Key::TaskmanagerMemoryFlinkSize) => {
            flink_size.map(|mb| TaskManagerSize::Flink(mb << 20))
        }
        Some(Key::TaskmanagerMemoryTaskHeapSize) => task_heap.map(TaskManagerSize::TaskHeap),
        Some(_) => process.map(|mb| TaskManagerSize::Process(mb << 20)),
        None => Some(TaskManagerSize::Process(
            tm.legacy_mb.unwrap_or(container_mb) << 20,
        )),
    };
    let blame = sized_by
        .or(tm.legacy.first().map(|(k, _)| *k))
        .unwrap_or(MEM);
    // A TaskManager command of the operator's own may not run Flink's
    // TaskManager at all: what Flink would refuse is then a warning.
    let custom_command = c.set_by_user(Key::MesosResourcemanagerTasksTaskmanagerCmd);
    if let Some(size) = size {
        match taskmanager_breakdown(size, &options) {
            Ok(b) => {
                if let Some(container) = container {
                    let mb = b.process >> 20;
                    if sized_by.is_some_and(|k| k != process_key) && mb > container {
                        c.error_at(
                            blame,
                            &format!("makes a TaskManager process of {mb} MB by Flink's calculation, {LARGER_THAN_CONTAINER} (`{MEM}` = {container} MB)"),
                            &format!("raise {MEM} to at least {mb}, or remove it so that the container follows the TaskManager memory"),
                        );
                    }
                }
                tm.breakdown = Some(b);
            }
            Err(why) => {
                let message = format!("{NO_ROOM}: {why}; the TaskManager would not start");
                let hint = format!("give the TaskManager more memory ({blame}), or make the fixed parts smaller (taskmanager.memory.jvm-metaspace.size, .jvm-overhead.min, .framework.heap.size, .framework.off-heap.size, .network.min, .managed.size)");
                if custom_command {
                    c.warn_at(
                        blame,
                        &format!(
                            "{message} (if {} runs it)",
                            Key::MesosResourcemanagerTasksTaskmanagerCmd
                        ),
                        &hint,
                    );
                } else {
                    c.error_at(blame, &message, &hint);
                }
            }
        }
    }
    tm
}

/// What sizes the JobManager, and its legacy heap keys that are set
/// ([`JOBMANAGER_LEGACY_HEAP`] order, with their values).
pub(super) fn jobmanager(
    c: &mut Checker,
) -> (JobManagerMemory, Vec<(Key, String)>, Option<Breakdown>) {
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
    let heap = Key::JobmanagerMemoryHeapSize;
    for (i, (key, value)) in legacy.iter().enumerate() {
        if memory.sized() {
            c.warn_at(
                *key,
                "is a setting of Flink before 1.10 and is ignored: jobmanager.memory.* settings size the JobManager",
                "remove it",
            );
        } else if i == 0 {
            let v = match key.def().ty {
                Type::Megabytes => format!("{}m", value.trim()),
                _ => value.clone(),
            };
            c.warn_at(
                *key,
                &format!("is a setting of Flink before 1.10, which later versions ignore: flink-mesos passes it to Flink as {heap}: {v} (Flink's own migration rule for standalone and Mesos)"),
                &format!("write {heap}: {v} instead"),
            );
        } else {
            c.warn_at(
                *key,
                &format!(
                    "is a setting of Flink before 1.10 and is ignored: {} wins",
                    legacy[0].0
                ),
                "remove it",
            );
        }
    }
    let options = jobmanager_options(c);
    let breakdown = match jobmanager_breakdown(memory, &options) {
        Ok(b) => Some(b),
        Err(why) => {
            let blame = match memory {
                JobManagerMemory::Process { .. } => Key::JobmanagerMemoryProcessSize,
                JobManagerMemory::Flink { .. } => Key::JobmanagerMemoryFlinkSize,
                JobManagerMemory::Heap { key, .. } => key,
                JobManagerMemory::Unset => Key::JobmanagerMemoryJvmMetaspaceSize,
            };
            c.error_at(
                blame,
                &format!("leaves Flink's JobManager memory calculation no room: {why}; the JobManager would not start"),
                "give the JobManager more memory, or make jobmanager.memory.jvm-metaspace.size, .jvm-overhead.min or .off-heap.size smaller",
            );
            None
        }
    };
    (memory, legacy, breakdown)
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
            legacy_mb: None,
            breakdown: None,
        };
        let process = Some((Key::TaskmanagerMemoryProcessSize, "700m".to_string()));
        assert_eq!(open.for_workers(), process);
        assert_eq!(open.keys("2.3.0").set, process);
        // A legacy heap is the process size (Flink's migration rule on Mesos).
        let legacy = TaskManagerMemory {
            legacy: vec![(Key::TaskmanagerHeapMb, "500".into())],
            legacy_mb: Some(500),
            ..open.clone()
        };
        assert_eq!(legacy.for_workers(), None);
        let keys = legacy.keys("2.3.0");
        assert_eq!(keys.remove, [Key::TaskmanagerHeapMb]);
        assert_eq!(
            keys.set,
            Some((Key::TaskmanagerMemoryProcessSize, "500m".to_string()))
        );
        assert!(
            keys.notes[0]
                .contains("passing it to Flink 2.3.0 as taskmanager.memory.process.size=500m"),
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

    fn defaults() -> MemoryOptions {
        MemoryOptions {
            metaspace: 256 << 20,
            overhead_min: 192 << 20,
            overhead_max: 1 << 30,
            overhead_fraction: 0.1,
            framework_heap: 128 << 20,
            framework_off_heap: 128 << 20,
            task_off_heap: 0,
            managed: None,
            managed_fraction: 0.4,
            network_min: 64 << 20,
            network_max: u64::MAX,
            network_fraction: 0.1,
        }
    }

    #[test]
    fn flinks_taskmanager_calculation() {
        // The small settings of `local up`, against Flink 2.3's own output
        // (flink::memory's TM_512M): task heap 96 MB, -Xmx 160 MB.
        let small = MemoryOptions {
            metaspace: 128 << 20,
            overhead_min: 64 << 20,
            framework_heap: 64 << 20,
            framework_off_heap: 64 << 20,
            managed: Some(64 << 20),
            network_min: 32 << 20,
            network_max: 32 << 20,
            ..defaults()
        };
        let b = taskmanager_breakdown(TaskManagerSize::Process(512 << 20), &small).unwrap();
        assert_eq!(b.task_heap, 100663296);
        assert_eq!(b.heap(), 167772160);
        assert_eq!(b.flink, 320 << 20);
        assert_eq!(b.overhead, 64 << 20);
        // Flink's defaults in a 1024 MB process: the 153 MB heap of the issue.
        let b = taskmanager_breakdown(TaskManagerSize::Process(1024 << 20), &defaults()).unwrap();
        assert_eq!(b.flink, 576 << 20);
        // Flink 2.3's own numbers (its REST API for this TaskManager).
        assert_eq!(b.managed, 241591914);
        assert_eq!(b.task_heap, 26843542);
        assert_eq!(b.network, 64 << 20, "the minimum");
        assert_eq!(b.heap() >> 20, 153, "{}", b.summary());
        // 700 MB cannot hold Flink's fixed parts: the TaskManager exits 5.
        let e =
            taskmanager_breakdown(TaskManagerSize::Process(700 << 20), &defaults()).unwrap_err();
        assert!(e.contains("exceed the 252 MB of Flink memory"), "{e}");
        let e =
            taskmanager_breakdown(TaskManagerSize::Process(400 << 20), &defaults()).unwrap_err();
        assert!(
            e.contains("alone exceed the process memory (400 MB)"),
            "{e}"
        );
        // Flink memory given: overhead is its share of the whole process.
        let b = taskmanager_breakdown(TaskManagerSize::Flink(3000 << 20), &defaults()).unwrap();
        assert_eq!(b.process, b.flink + b.metaspace + b.overhead);
        assert_eq!(b.overhead, ((3256u64 << 20) as f64 / 9.0) as u64);
    }

    #[test]
    fn flinks_jobmanager_calculation() {
        let o = MemoryOptions {
            task_off_heap: 128 << 20,
            ..defaults()
        };
        // Flink 2.3's own output for process 512m, metaspace 128m,
        // overhead.min 64m (flink::memory's JM_512M): heap 192 MB.
        let small = MemoryOptions {
            metaspace: 128 << 20,
            overhead_min: 64 << 20,
            ..o
        };
        let b = jobmanager_breakdown(JobManagerMemory::Process { mb: 512 }, &small).unwrap();
        assert_eq!(b.heap(), 201326592);
        // The seed's jobmanager.heap.mb=1024 is the heap.
        let b = jobmanager_breakdown(
            JobManagerMemory::Heap {
                key: Key::JobmanagerHeapMb,
                mb: 1024,
            },
            &o,
        )
        .unwrap();
        assert_eq!(b.heap(), 1 << 30);
        assert_eq!(b.process, b.flink + b.metaspace + b.overhead);
        // Nothing configured: Flink's shipped 1600m.
        let b = jobmanager_breakdown(JobManagerMemory::Unset, &o).unwrap();
        assert_eq!(b.process, 1600 << 20);
        assert!(jobmanager_breakdown(JobManagerMemory::Flink { mb: 100 }, &o).is_err());
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
