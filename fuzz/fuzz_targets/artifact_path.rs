#![no_main]
//! A request path resolves only when it is exactly `/<prefix>/<registered name>`.
use std::sync::OnceLock;

use flink_mesos::artifacts::Registry;
use flink_mesos::fuzzing::{artifact_path, artifact_registry, ARTIFACT_PREFIX};

static REGISTRY: OnceLock<(tempfile::TempDir, Registry)> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (_, registry) = REGISTRY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let registry = artifact_registry(dir.path());
        (dir, registry)
    });
    if let Some(name) = artifact_path(data, registry) {
        assert_eq!(
            String::from_utf8_lossy(data),
            format!("/{ARTIFACT_PREFIX}/{name}")
        );
    }
});
