//! The stored record format, shared by every [`super::WorkerStore`]:
//! readable JSON with a format version, so that records written by one
//! flink-mesos version can be read (or refused clearly) by another.
//!
//! ```json
//! {"format":1,"worker":{"task_id":"taskmanager-00001","state":"running",
//!  "agent_id":"...","hostname":"...","ports":[["taskmanager.rpc.port",31000]]}}
//! ```
//! The framework id and the task counter are stored as plain UTF-8 text.

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::scheduler::Worker;

/// The format this version writes and the newest it reads.
pub const FORMAT: u32 = 1;

#[derive(Serialize)]
struct Out<'a> {
    format: u32,
    worker: &'a Worker,
}

#[derive(Deserialize)]
struct In {
    format: u32,
    worker: Option<serde_json::Value>,
}

pub fn encode_worker(worker: &Worker) -> Vec<u8> {
    // Serializing plain data into a Vec cannot fail.
    serde_json::to_vec(&Out {
        format: FORMAT,
        worker,
    })
    .unwrap_or_default()
}

pub fn decode_worker(key: &str, bytes: &[u8]) -> Result<Worker, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        key: key.to_string(),
        message,
    };
    let record: In = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if record.format > FORMAT {
        return Err(corrupt(format!(
            "record format {} is newer than this flink-mesos reads ({FORMAT}); upgrade flink-mesos",
            record.format
        )));
    }
    let worker = record
        .worker
        .ok_or_else(|| corrupt("no `worker` in the record".into()))?;
    serde_json::from_value(worker).map_err(|e| corrupt(e.to_string()))
}

pub fn encode_number(n: u64) -> Vec<u8> {
    n.to_string().into_bytes()
}

pub fn decode_number(key: &str, bytes: &[u8]) -> Result<u64, StoreError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| StoreError::Corrupt {
            key: key.to_string(),
            message: "not a number".into(),
        })
}

pub fn decode_text(key: &str, bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| StoreError::Corrupt {
        key: key.to_string(),
        message: "not UTF-8 text".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::WorkerState;

    #[test]
    fn worker_round_trip_and_format() {
        let w = Worker {
            task_id: "taskmanager-00007".into(),
            state: WorkerState::Launched,
            agent_id: Some("a1".into()),
            hostname: Some("h1".into()),
            ports: vec![("taskmanager.rpc.port".into(), 31000)],
        };
        let bytes = encode_worker(&w);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(
            r#"{"format":1,"worker":{"task_id":"taskmanager-00007","state":"launched""#
        ));
        assert_eq!(decode_worker("k", &bytes).unwrap(), w);
    }

    #[test]
    fn bad_records_are_refused_not_panicked() {
        for bad in [
            &b""[..],
            b"{}",
            b"[]",
            br#"{"format":1}"#,
            br#"{"format":2,"worker":{}}"#,
            br#"{"format":1,"worker":{"task_id":1}}"#,
            b"\xff\xfe",
        ] {
            assert!(matches!(
                decode_worker("workers/x", bad),
                Err(StoreError::Corrupt { .. })
            ));
        }
        assert!(decode_worker("k", br#"{"format":2,"worker":{}}"#)
            .unwrap_err()
            .to_string()
            .contains("upgrade flink-mesos"));
        assert_eq!(decode_number("n", b"42").unwrap(), 42);
        assert!(decode_number("n", b"x").is_err());
        assert!(decode_text("f", b"\xff").is_err());
    }
}
