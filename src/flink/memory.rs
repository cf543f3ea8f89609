//! JVM memory flags. Flink 1.10+ computes them itself: we run the
//! distribution's `BashJavaUtils GET_TM_RESOURCE_PARAMS` (or
//! `GET_JM_RESOURCE_PARAMS`) exactly as its scripts do and parse its two
//! `BASH_JAVA_UTILS_EXEC_RESULT:` lines. Older releases get the legacy rules
//! of Flink's containered TaskManagers (heap cut-off, network buffers) within
//! the Mesos container. Pure.

use crate::config::options::Key;

/// What BashJavaUtils (or the legacy rules) decided.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceParams {
    /// `-Xmx… -Xms… -XX:MaxDirectMemorySize=… -XX:MaxMetaspaceSize=…`.
    pub jvm_args: Vec<String>,
    /// Fully derived memory settings, passed as `-D key=value` to the entry
    /// point so that it does not derive them again differently.
    pub dynamic: Vec<(String, String)>,
}

pub const EXEC_RESULT_PREFIX: &str = "BASH_JAVA_UTILS_EXEC_RESULT:";

/// Why BashJavaUtils' output is not a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BashJavaUtilsFailure {
    /// Flink's memory check failed (`IllegalConfigurationException`): the
    /// settings cannot fit. The message is Flink's own.
    DoesNotFit(String),
    /// Anything else: the tail of the output.
    Other(String),
}

/// Parses BashJavaUtils' combined stdout+stderr. It logs freely; only the
/// two prefixed lines count: JVM parameters, then dynamic properties.
pub fn parse_resource_params(output: &str) -> Result<ResourceParams, BashJavaUtilsFailure> {
    let results: Vec<&str> = output
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix(EXEC_RESULT_PREFIX))
        .collect();
    let [jvm, dynamic] = results.as_slice() else {
        return Err(failure(output));
    };
    Ok(ResourceParams {
        jvm_args: jvm.split_whitespace().map(String::from).collect(),
        dynamic: parse_dynamic_properties(dynamic),
    })
}

/// `-D k=v -D k2=v2` (also `-Dk=v`) into pairs.
pub fn parse_dynamic_properties(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut tokens = s.split_whitespace();
    while let Some(t) = tokens.next() {
        let kv = match t {
            "-D" => match tokens.next() {
                Some(kv) => kv,
                None => break,
            },
            t => match t.strip_prefix("-D") {
                Some(kv) => kv,
                None => continue,
            },
        };
        if let Some((k, v)) = kv.split_once('=') {
            out.push((k.to_string(), v.to_string()));
        }
    }
    out
}

/// Classifies a failed run: Flink's `IllegalConfigurationException` message
/// (the memory check), else the last lines of output.
pub fn failure(output: &str) -> BashJavaUtilsFailure {
    const ICE: &str = "IllegalConfigurationException: ";
    if let Some(line) = output.lines().find(|l| l.contains(ICE)) {
        let message = line.split_once(ICE).map_or(line, |(_, m)| m).trim();
        return BashJavaUtilsFailure::DoesNotFit(message.to_string());
    }
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    BashJavaUtilsFailure::Other(if tail.is_empty() {
        "no output".into()
    } else {
        tail
    })
}

/// Inputs of the legacy (Flink < 1.10) TaskManager memory rules, in MB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LegacyTaskManagerMemory {
    /// `mesos.resourcemanager.tasks.mem`.
    pub container_mb: u64,
    /// `taskmanager.heap.mb` / `taskmanager.heap.size`, when set.
    pub heap_mb: Option<u64>,
    /// `containerized.heap-cutoff-ratio` (0.25) and `-min` (600).
    pub cutoff_ratio: f64,
    pub cutoff_min_mb: u64,
    /// `taskmanager.network.memory.fraction` (0.1), `.min` (64), `.max` (1024).
    pub network_fraction: f64,
    pub network_min_mb: u64,
    pub network_max_mb: u64,
}

impl LegacyTaskManagerMemory {
    pub fn new(container_mb: u64, heap_mb: Option<u64>) -> Self {
        LegacyTaskManagerMemory {
            container_mb,
            heap_mb,
            cutoff_ratio: declared(Key::ContainerizedHeapCutoffRatio),
            cutoff_min_mb: declared(Key::ContainerizedHeapCutoffMin) as u64,
            network_fraction: 0.1,
            network_min_mb: 64,
            network_max_mb: 1024,
        }
    }

    /// Flink 1.x's containered TaskManager: an explicit heap must leave room
    /// in the container; otherwise heap = container − cut-off − network
    /// buffers. The rest of the container is direct memory.
    pub fn derive(&self) -> Result<ResourceParams, String> {
        let c = self.container_mb;
        let heap = match self.heap_mb {
            Some(h) => {
                if h >= c {
                    return Err(format!(
                        "{} ({h} MB) does not fit in the {c} MB container ({}); lower the heap or raise the container",
                        Key::TaskmanagerHeapMb,
                        Key::MesosResourcemanagerTasksMem
                    ));
                }
                h
            }
            None => {
                let cutoff = ((c as f64 * self.cutoff_ratio) as u64).max(self.cutoff_min_mb);
                if cutoff >= c {
                    return Err(format!(
                        "the {c} MB container (mesos.resourcemanager.tasks.mem) is smaller than the JVM cut-off of {cutoff} MB (containerized.heap-cutoff-min/-ratio); raise it"
                    ));
                }
                let java = c - cutoff;
                let network = ((java as f64 * self.network_fraction) as u64)
                    .clamp(self.network_min_mb, self.network_max_mb);
                if network >= java {
                    return Err(format!(
                        "the {c} MB container leaves {java} MB for Java, not more than the {network} MB of network buffers; raise mesos.resourcemanager.tasks.mem"
                    ));
                }
                java - network
            }
        };
        Ok(ResourceParams {
            jvm_args: vec![
                format!("-Xms{heap}m"),
                format!("-Xmx{heap}m"),
                format!("-XX:MaxDirectMemorySize={}m", c - heap),
            ],
            dynamic: Vec::new(),
        })
    }
}

/// The declared default of a numeric option.
fn declared(key: Key) -> f64 {
    key.default_value()
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// Legacy JobManager: `-Xms`/`-Xmx` from `jobmanager.heap.mb` (default 1024).
pub fn legacy_jobmanager(heap_mb: Option<u64>) -> ResourceParams {
    let heap = heap_mb.unwrap_or(1024);
    ResourceParams {
        jvm_args: vec![format!("-Xms{heap}m"), format!("-Xmx{heap}m")],
        dynamic: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real output of Flink 2.3.0's BashJavaUtils GET_TM_RESOURCE_PARAMS
    /// (Java 17) for process.size 512m with the small settings of DESIGN.md
    /// §5 (metaspace 128m, overhead.min 64m, framework heap/off-heap 64m,
    /// network 32m, managed 64m); log lines shortened.
    const TM_512M: &str = "\
INFO  [] - The derived from fraction jvm overhead memory (51.200mb (53687091 bytes)) is less than its min value 64.000mb (67108864 bytes), min value will be used instead
INFO  [] - Final TaskExecutor Memory configuration:
INFO  [] -   Total Process Memory:          512.000mb (536870912 bytes)
INFO  [] -     Total Flink Memory:          320.000mb (335544320 bytes)
INFO  [] -       Total JVM Heap Memory:     160.000mb (167772160 bytes)
INFO  [] -         Framework:               64.000mb (67108864 bytes)
INFO  [] -         Task:                    96.000mb (100663296 bytes)
INFO  [] -       Total Off-heap Memory:     160.000mb (167772160 bytes)
INFO  [] -         Managed:                 64.000mb (67108864 bytes)
INFO  [] -         Total JVM Direct Memory: 96.000mb (100663296 bytes)
INFO  [] -           Framework:             64.000mb (67108864 bytes)
INFO  [] -           Task:                  0 bytes
INFO  [] -           Network:               32.000mb (33554432 bytes)
INFO  [] -     JVM Metaspace:               128.000mb (134217728 bytes)
INFO  [] -     JVM Overhead:                64.000mb (67108864 bytes)
BASH_JAVA_UTILS_EXEC_RESULT:-Xmx167772160 -Xms167772160 -XX:MaxDirectMemorySize=100663296 -XX:MaxMetaspaceSize=134217728
BASH_JAVA_UTILS_EXEC_RESULT:-D taskmanager.memory.network.min=33554432b -D taskmanager.cpu.cores=1.0 -D taskmanager.memory.task.off-heap.size=0b -D taskmanager.memory.jvm-metaspace.size=134217728b -D external-resources=none -D taskmanager.memory.jvm-overhead.min=67108864b -D taskmanager.memory.framework.off-heap.size=67108864b -D taskmanager.memory.network.max=33554432b -D taskmanager.memory.framework.heap.size=67108864b -D taskmanager.memory.managed.size=67108864b -D taskmanager.memory.task.heap.size=100663296b -D taskmanager.numberOfTaskSlots=1 -D taskmanager.memory.jvm-overhead.max=67108864b
";

    /// Real GET_JM_RESOURCE_PARAMS output for jobmanager.memory.process.size
    /// 512m, metaspace 128m, overhead.min 64m.
    const JM_512M: &str = "\
INFO  [] - Final Master Memory configuration:
INFO  [] -   Total Process Memory: 512.000mb (536870912 bytes)
BASH_JAVA_UTILS_EXEC_RESULT:-Xmx201326592 -Xms201326592 -XX:MaxMetaspaceSize=134217728
BASH_JAVA_UTILS_EXEC_RESULT:-D jobmanager.memory.off-heap.size=134217728b -D jobmanager.memory.jvm-overhead.min=67108864b -D jobmanager.memory.jvm-metaspace.size=134217728b -D jobmanager.memory.heap.size=201326592b -D jobmanager.memory.jvm-overhead.max=67108864b
";

    /// Real output (head) when process.size is 200m with the same parts.
    const TM_TOO_SMALL: &str = "\
INFO  [] - The derived from fraction jvm overhead memory (20.000mb (20971520 bytes)) is less than its min value 64.000mb (67108864 bytes), min value will be used instead
Exception in thread \"main\" org.apache.flink.configuration.IllegalConfigurationException: TaskManager memory configuration failed: Sum of configured Framework Heap Memory (64.000mb (67108864 bytes)), Framework Off-Heap Memory (64.000mb (67108864 bytes)), Task Off-Heap Memory (0 bytes), Managed Memory (64.000mb (67108864 bytes)) and Network Memory (32.000mb (33554432 bytes)) exceed configured Total Flink Memory (8.000mb (8388608 bytes)).
\tat org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils.processSpecFromConfig(TaskExecutorProcessUtils.java:166)
\tat org.apache.flink.runtime.util.bash.BashJavaUtils.getTmResourceParams(BashJavaUtils.java:85)
Caused by: org.apache.flink.configuration.IllegalConfigurationException: Sum of configured Framework Heap Memory (64.000mb (67108864 bytes)), Framework Off-Heap Memory (64.000mb (67108864 bytes)), Task Off-Heap Memory (0 bytes), Managed Memory (64.000mb (67108864 bytes)) and Network Memory (32.000mb (33554432 bytes)) exceed configured Total Flink Memory (8.000mb (8388608 bytes)).
";

    #[test]
    fn taskmanager_params_from_real_output() {
        let p = parse_resource_params(TM_512M).unwrap();
        assert_eq!(
            p.jvm_args,
            [
                "-Xmx167772160",
                "-Xms167772160",
                "-XX:MaxDirectMemorySize=100663296",
                "-XX:MaxMetaspaceSize=134217728"
            ]
        );
        assert_eq!(p.dynamic.len(), 13);
        assert_eq!(
            p.dynamic[0],
            ("taskmanager.memory.network.min".into(), "33554432b".into())
        );
        assert!(p
            .dynamic
            .contains(&("external-resources".into(), "none".into())));
        assert!(p.dynamic.contains(&(
            "taskmanager.memory.task.heap.size".into(),
            "100663296b".into()
        )));
        // The parts add up to the process size Flink was given.
        let get = |k: &str| -> u64 {
            let v = &p.dynamic.iter().find(|(key, _)| key == k).unwrap().1;
            v.trim_end_matches('b').parse().unwrap()
        };
        let sum: u64 = [
            "taskmanager.memory.framework.heap.size",
            "taskmanager.memory.task.heap.size",
            "taskmanager.memory.framework.off-heap.size",
            "taskmanager.memory.task.off-heap.size",
            "taskmanager.memory.managed.size",
            "taskmanager.memory.network.max",
            "taskmanager.memory.jvm-metaspace.size",
            "taskmanager.memory.jvm-overhead.max",
        ]
        .iter()
        .map(|k| get(k))
        .sum();
        assert_eq!(sum, 512 << 20);
    }

    #[test]
    fn jobmanager_params_from_real_output() {
        let p = parse_resource_params(JM_512M).unwrap();
        assert_eq!(
            p.jvm_args,
            [
                "-Xmx201326592",
                "-Xms201326592",
                "-XX:MaxMetaspaceSize=134217728"
            ]
        );
        assert_eq!(
            p.dynamic.last().unwrap(),
            &(
                "jobmanager.memory.jvm-overhead.max".into(),
                "67108864b".into()
            )
        );
    }

    #[test]
    fn memory_that_cannot_fit_is_recognised() {
        match parse_resource_params(TM_TOO_SMALL).unwrap_err() {
            BashJavaUtilsFailure::DoesNotFit(m) => {
                assert!(
                    m.starts_with(
                        "TaskManager memory configuration failed: Sum of configured Framework Heap"
                    ),
                    "{m}"
                );
                assert!(
                    m.contains("exceed configured Total Flink Memory (8.000mb"),
                    "{m}"
                );
            }
            other => panic!("{other:?}"),
        }
        match parse_resource_params("Error: Could not find or load main class x\n").unwrap_err() {
            BashJavaUtilsFailure::Other(m) => assert!(m.contains("Could not find"), "{m}"),
            other => panic!("{other:?}"),
        }
        // One result line only is not a result.
        let one = "BASH_JAVA_UTILS_EXEC_RESULT:-Xmx1\n";
        assert!(parse_resource_params(one).is_err());
    }

    #[test]
    fn dynamic_property_forms() {
        assert_eq!(
            parse_dynamic_properties("-D a=1 -Db=2 junk -D c=x=y -D"),
            [
                ("a".to_string(), "1".to_string()),
                ("b".into(), "2".into()),
                ("c".into(), "x=y".into())
            ]
        );
    }

    #[test]
    fn legacy_rules() {
        // Flink 1.9 containered TaskManager in a 4096 MB container:
        // cut-off max(600, 1024) = 1024, Java 3072, network 307, heap 2765.
        let p = LegacyTaskManagerMemory::new(4096, None).derive().unwrap();
        assert_eq!(
            p.jvm_args,
            ["-Xms2765m", "-Xmx2765m", "-XX:MaxDirectMemorySize=1331m"]
        );
        // 1024 MB: cut-off 600 (min), Java 424, network 64 (min), heap 360.
        let p = LegacyTaskManagerMemory::new(1024, None).derive().unwrap();
        assert_eq!(p.jvm_args[1], "-Xmx360m");
        // The seed's example: heap 3500 of 4096.
        let p = LegacyTaskManagerMemory::new(4096, Some(3500))
            .derive()
            .unwrap();
        assert_eq!(
            p.jvm_args,
            ["-Xms3500m", "-Xmx3500m", "-XX:MaxDirectMemorySize=596m"]
        );
        let e = LegacyTaskManagerMemory::new(1024, Some(1024))
            .derive()
            .unwrap_err();
        assert!(e.contains("does not fit"), "{e}");
        let e = LegacyTaskManagerMemory::new(600, None)
            .derive()
            .unwrap_err();
        assert!(e.contains("cut-off"), "{e}");
        assert_eq!(
            legacy_jobmanager(Some(768)).jvm_args,
            ["-Xms768m", "-Xmx768m"]
        );
    }
}
