//! The stored record format, shared by every [`super::WorkerStore`]:
//! readable JSON with a format version, so that records written by one
//! flink-mesos version can be read (or refused clearly) by another.
//!
//! ```json
//! {"format":1,"worker":{"task_id":"taskmanager-00001","state":"running",
//!  "agent_id":"...","hostname":"...","ports":[["taskmanager.rpc.port",31000]]}}
//! ```
//! The task counter is stored as plain UTF-8 text. The framework id is
//! stored with whose framework it is ([`FrameworkIdentity`]):
//!
//! ```json
//! {"format":1,"id":"e4b5…-0001","name":"Flink","role":"*","principal":"flink"}
//! ```
//! so that an appmaster never fails over into a framework that is not its
//! own. A record of plain UTF-8 text (written by an older flink-mesos,
//! or by anyone who can write to the store) reads as an id without identity.
//!
//! Beside the worker, the envelope may carry what the store itself keeps
//! about it (both optional, so older records stay readable):
//! `"launched_at"` (RFC 3339, UTC: when the worker was first stored as
//! Launched) and `"restarts"` (how many appmaster failovers the worker has
//! been carried through, counted when a new leader writes it again).

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::scheduler::Worker;

/// The format this version writes and the newest it reads.
pub const FORMAT: u32 = 1;

#[derive(Serialize)]
struct Out<'a> {
    format: u32,
    worker: &'a Worker,
    #[serde(skip_serializing_if = "Option::is_none")]
    launched_at: Option<&'a str>,
    #[serde(skip_serializing_if = "is_zero")]
    restarts: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Deserialize)]
struct In {
    format: u32,
    worker: Option<serde_json::Value>,
    #[serde(default)]
    launched_at: Option<String>,
    #[serde(default)]
    restarts: u32,
}

/// A worker with what the store keeps about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredWorker {
    #[serde(flatten)]
    pub worker: Worker,
    /// RFC 3339 (UTC): when the worker was first stored as Launched.
    pub launched_at: Option<String>,
    /// Appmaster failovers the worker was carried through.
    pub restarts: u32,
}

pub fn encode_record(record: &StoredWorker) -> Vec<u8> {
    serde_json::to_vec(&Out {
        format: FORMAT,
        worker: &record.worker,
        launched_at: record.launched_at.as_deref(),
        restarts: record.restarts,
    })
    .unwrap_or_default()
}

pub fn decode_record(key: &str, bytes: &[u8]) -> Result<StoredWorker, StoreError> {
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
    Ok(StoredWorker {
        worker: serde_json::from_value(worker).map_err(|e| corrupt(e.to_string()))?,
        launched_at: record.launched_at,
        restarts: record.restarts,
    })
}

/// `SystemTime` as RFC 3339 in UTC with second precision.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn encode_worker(worker: &Worker) -> Vec<u8> {
    // Serializing plain data into a Vec cannot fail.
    serde_json::to_vec(&Out {
        format: FORMAT,
        worker,
        launched_at: None,
        restarts: 0,
    })
    .unwrap_or_default()
}

pub fn decode_worker(key: &str, bytes: &[u8]) -> Result<Worker, StoreError> {
    decode_record(key, bytes).map(|r| r.worker)
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

/// A count that fits in `u32` (the failure count).
pub fn decode_count(key: &str, bytes: &[u8]) -> Result<u32, StoreError> {
    u32::try_from(decode_number(key, bytes)?).map_err(|_| StoreError::Corrupt {
        key: key.to_string(),
        message: "a count beyond 4294967295".into(),
    })
}

/// Whose framework a stored framework id is: what the appmaster registers
/// with (`mesos.resourcemanager.framework.name`, `.role`, `.principal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkIdentity {
    pub name: String,
    pub role: String,
    pub principal: Option<String>,
}

impl std::fmt::Display for FrameworkIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "name `{}`, role `{}`, principal {}",
            self.name,
            self.role,
            self.principal
                .as_deref()
                .map_or_else(|| "(none)".to_string(), |p| format!("`{p}`"))
        )
    }
}

#[derive(Serialize)]
struct FrameworkOut<'a> {
    format: u32,
    id: &'a str,
    #[serde(flatten)]
    identity: &'a FrameworkIdentity,
}

#[derive(Deserialize)]
struct FrameworkIn {
    format: u32,
    id: String,
    name: String,
    role: String,
    #[serde(default)]
    principal: Option<String>,
}

/// The framework id record: the id with whose framework it is.
pub fn encode_framework(id: &str, identity: &FrameworkIdentity) -> Vec<u8> {
    serde_json::to_vec(&FrameworkOut {
        format: FORMAT,
        id,
        identity,
    })
    .unwrap_or_default()
}

/// The framework id and, when the record says it, whose framework it is;
/// `None` for an id-only record (plain text: an older flink-mesos, or
/// someone else).
pub fn decode_framework(
    key: &str,
    bytes: &[u8],
) -> Result<(String, Option<FrameworkIdentity>), StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        key: key.to_string(),
        message,
    };
    let text = decode_text(key, bytes)?;
    if !text.trim_start().starts_with('{') {
        let id = text.trim();
        if id.is_empty() || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(corrupt("not a framework id".into()));
        }
        return Ok((id.to_string(), None));
    }
    let record: FrameworkIn = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if record.format > FORMAT {
        return Err(corrupt(format!(
            "record format {} is newer than this flink-mesos reads ({FORMAT}); upgrade flink-mesos",
            record.format
        )));
    }
    if record.id.is_empty() {
        return Err(corrupt("an empty framework id".into()));
    }
    Ok((
        record.id,
        Some(FrameworkIdentity {
            name: record.name,
            role: record.role,
            principal: record.principal,
        }),
    ))
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
    fn envelope_metadata_round_trip_and_time_format() {
        let r = StoredWorker {
            worker: Worker {
                task_id: "taskmanager-00001".into(),
                state: WorkerState::Running,
                agent_id: None,
                hostname: None,
                ports: Vec::new(),
            },
            launched_at: Some("2026-12-01T10:08:21Z".into()),
            restarts: 2,
        };
        let bytes = encode_record(&r);
        assert_eq!(decode_record("k", &bytes).unwrap(), r);
        // Older records without the metadata read as none.
        let old = encode_worker(&r.worker);
        assert_eq!(decode_record("k", &old).unwrap().restarts, 0);
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_119_701);
        assert_eq!(rfc3339(t), "2026-12-01T10:08:21Z");
        assert_eq!(rfc3339(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
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

    #[test]
    fn framework_records_carry_the_identity_and_old_ones_read_without() {
        let who = FrameworkIdentity {
            name: "Flink".into(),
            role: "*".into(),
            principal: Some("flink".into()),
        };
        let bytes = encode_framework("fw-1", &who);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"{"format":1,"id":"fw-1","name":"Flink","role":"*","principal":"flink"}"#
        );
        assert_eq!(
            decode_framework("f", &bytes).unwrap(),
            ("fw-1".to_string(), Some(who))
        );
        assert_eq!(
            decode_framework("f", b"fw-old-0001").unwrap(),
            ("fw-old-0001".to_string(), None)
        );
        for bad in [
            &b""[..],
            b"  ",
            b"a b",
            b"{}",
            br#"{"format":1,"id":"","name":"n","role":"r"}"#,
            br#"{"format":2,"id":"x","name":"n","role":"r"}"#,
            b"\xff",
        ] {
            assert!(decode_framework("f", bad).is_err(), "{bad:?}");
        }
    }
}
