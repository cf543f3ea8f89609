//! Entry points for fuzzing: each takes arbitrary bytes from a peer or a
//! user and runs the code that parses them, end to end. Used by the
//! cargo-fuzz targets in `fuzz/` (long, coverage-guided runs:
//! `scripts/fuzz.sh`) and by the short run in the test suite
//! (`tests/it/fuzz.rs`). Each must return (never panic, never hang) for
//! every input; the callers check that.

use std::path::PathBuf;

use crate::config::settings::{resolve, Purpose, ValidateOptions};
use crate::config::{master::MasterSpec, Config};

/// A configuration text in either file format (first byte picks), then
/// validated for the appmaster and rendered as diagnostics.
pub fn config(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let mut config = Config::default();
    let standard = selector % 2 == 0;
    let name = if standard {
        "config.yaml"
    } else {
        "flink-conf.yaml"
    };
    config.load_text(name.into(), Some(PathBuf::from(name)), text, standard);
    let purpose = if selector % 4 < 2 {
        Purpose::Appmaster
    } else {
        Purpose::Taskmanager
    };
    let report = resolve(
        &config,
        ValidateOptions {
            purpose,
            strict: selector % 8 < 4,
        },
    );
    for d in &report.diagnostics {
        let _ = d.render(false);
    }
}

/// A `mesos.master` value.
pub fn master(data: &[u8]) {
    let _ = MasterSpec::parse(&String::from_utf8_lossy(data));
}

/// A Mesos event stream: RecordIO framing fed in uneven chunks, each record
/// decoded as a protobuf event.
pub fn events(data: &[u8]) {
    let mut decoder = crate::mesos::recordio::Decoder::new(1 << 20);
    let step = 1 + data.first().map_or(0, |b| *b as usize % 64);
    for chunk in data.chunks(step) {
        decoder.feed(chunk);
        loop {
            match decoder.next_record() {
                Ok(Some(record)) => {
                    let _ = crate::mesos::testing::decode_event(&record);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    let _ = decoder.finish();
}

/// A stored worker record, task counter or framework id.
pub fn worker_record(data: &[u8]) {
    let _ = crate::store::record::decode_worker("workers/x", data);
    let _ = crate::store::record::decode_number("taskCount", data);
    let _ = crate::store::record::decode_framework("frameworkId", data);
}

/// The registered names of [`artifact_path`]'s registry.
pub const ARTIFACT_NAMES: [&str; 3] = ["flink-mesos", "flink-dist.tar", "conf/config.yaml"];
/// Its URL prefix.
pub const ARTIFACT_PREFIX: &str = "0123456789abcdef0123456789abcdef";

/// An artifact server request path. Returns the registered name it
/// resolves to; the caller checks that the path is exactly
/// `/<prefix>/<that name>` whenever it resolves.
pub fn artifact_path(data: &[u8], registry: &crate::artifacts::Registry) -> Option<String> {
    let raw = String::from_utf8_lossy(data);
    let path = registry.lookup(ARTIFACT_PREFIX, &raw)?;
    ARTIFACT_NAMES
        .iter()
        .find(|n| registry.get(n) == Some(path))
        .map(|n| n.to_string())
}

/// The registry [`artifact_path`] is checked against: every name is backed
/// by a distinct file in `dir`.
pub fn artifact_registry(dir: &std::path::Path) -> crate::artifacts::Registry {
    let mut registry = crate::artifacts::Registry::default();
    for (i, name) in ARTIFACT_NAMES.iter().enumerate() {
        let file = dir.join(format!("file{i}"));
        if std::fs::write(&file, name.as_bytes()).is_ok() {
            let _ = registry.add(name, &file);
        }
    }
    registry
}

/// Calls to the embedded Mesos from any local client: records of (length,
/// call type, protobuf body), each applied as one call of a subscribed
/// framework, the clock moving on between them.
pub fn embedded_calls(data: &[u8]) {
    crate::embedded::fuzz_calls(data);
}
