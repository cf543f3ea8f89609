//! What differs between the Flink versions flink-mesos runs, in one place,
//! for `validate-conf --flink-version` and the docs (README "Flink
//! versions"). The rules themselves live where they apply:
//! [`super::conf::file_name`] (the configuration file a version reads),
//! [`super::conf::value_for`] (durations that older versions read as
//! milliseconds), [`crate::config::memory`] (the memory model and the
//! legacy keys), [`super::FlinkVersion::is_tested`] (the tested matrix),
//! `marathon::cmd` (no Flink since 1.14 ships `bin/mesos-appmaster.sh`).
//! Pure.

use super::FlinkVersion;
use crate::config::options::OPTIONS;

/// The last Flink release that shipped `bin/mesos-appmaster.sh` and
/// `bin/mesos-taskmanager.sh` (Flink 1.14 removed its Mesos mode).
pub const LAST_WITH_MESOS_SCRIPTS: FlinkVersion = FlinkVersion::new(1, 13, u32::MAX);

/// Whether the distribution of `version` ships Flink's own Mesos scripts.
pub fn ships_mesos_scripts(version: FlinkVersion) -> bool {
    version <= LAST_WITH_MESOS_SCRIPTS
}

/// What flink-mesos does differently for `version`, one sentence each.
pub fn notes(version: FlinkVersion) -> Vec<String> {
    let mut out = Vec::new();
    if !version.is_tested() {
        out.push(format!(
            "Flink {version} is outside the tested matrix ({} to {}.{}); see README \"Flink versions\"",
            FlinkVersion::OLDEST_TESTED,
            FlinkVersion::NEWEST_TESTED.major,
            FlinkVersion::NEWEST_TESTED.minor
        ));
    }
    out.push(match (version.reads_config_yaml(), version.major >= 2) {
        (true, true) => format!(
            "the JobManager and TaskManagers get config.yaml (standard YAML; Flink {version} reads nothing else)"
        ),
        (true, false) => format!(
            "the JobManager and TaskManagers get config.yaml (standard YAML; Flink {version} also reads the legacy flink-conf.yaml)"
        ),
        (false, _) => format!(
            "the JobManager and TaskManagers get flink-conf.yaml (flat `key: value`; Flink {version} reads no config.yaml)"
        ),
    });
    let millis: Vec<&str> = OPTIONS
        .iter()
        .filter(|o| {
            o.millis_before
                .is_some_and(|(major, minor)| version < FlinkVersion::new(major, minor, 0))
        })
        .map(|o| o.key)
        .collect();
    if !millis.is_empty() {
        out.push(format!(
            "{} are written as whole milliseconds (Flink {version} reads no unit there)",
            millis.join(", ")
        ));
    }
    if version.has_memory_model() {
        out.push(
            "legacy memory keys (taskmanager.heap.mb, jobmanager.heap.mb, …) are passed as Flink 1.10+'s own keys".into(),
        );
    } else {
        out.push(format!(
            "Flink {version} has no unified memory model: flink-mesos sizes its JVMs by Flink 1.x's containered rules"
        ));
    }
    if !ships_mesos_scripts(version) {
        out.push(format!(
            "Flink {version} ships no bin/mesos-appmaster.sh: run `flink-mesos appmaster` (or commands/mesos-appmaster.sh)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_ends_differ_where_flink_does() {
        let old = notes(FlinkVersion::new(1, 18, 1)).join("\n");
        assert!(old.contains("get flink-conf.yaml"), "{old}");
        assert!(
            old.contains("cluster.registration.error-delay") && old.contains("milliseconds"),
            "{old}"
        );
        assert!(old.contains("no bin/mesos-appmaster.sh"), "{old}");
        assert!(!old.contains("outside the tested matrix"), "{old}");
        let new = notes(FlinkVersion::new(2, 3, 0)).join("\n");
        assert!(new.contains("reads nothing else"), "{new}");
        assert!(!new.contains("milliseconds"), "{new}");
        let mid = notes(FlinkVersion::new(1, 19, 3)).join("\n");
        assert!(
            mid.contains("also reads the legacy flink-conf.yaml"),
            "{mid}"
        );
        assert!(mid.contains("milliseconds"), "{mid}");
        assert!(!notes(FlinkVersion::new(1, 20, 5))
            .join("\n")
            .contains("milliseconds"));
        let ancient = notes(FlinkVersion::new(1, 9, 3)).join("\n");
        assert!(ancient.contains("outside the tested matrix"), "{ancient}");
        assert!(ancient.contains("no unified memory model"), "{ancient}");
        assert!(ships_mesos_scripts(FlinkVersion::new(1, 13, 6)));
        assert!(!ships_mesos_scripts(FlinkVersion::new(1, 14, 0)));
    }
}
