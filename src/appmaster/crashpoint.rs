//! Crash points for the reliability suite (`tests/it/crash.rs`).
//!
//! With `FLINK_MESOS_CRASH_AT=store:N` the appmaster kills itself with
//! SIGKILL right after its N-th store write succeeded; with `call:N`, right
//! after the master took its N-th call. These are the moments a kill -9 from
//! outside almost never hits (written but not yet sent; sent but its outcome
//! not yet written), and the ones the store-first invariants are about.
//!
//! A test hook, not an option: it is documented in `docs/reliability.md`
//! only. Unset (always, in production) it costs one relaxed atomic load per
//! write or call. An unreadable value is reported once and ignored.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

const VARIABLE: &str = "FLINK_MESOS_CRASH_AT";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    Store(u64),
    Call(u64),
}

fn parse(value: &str) -> Option<Point> {
    let (kind, n) = value.trim().split_once(':')?;
    let n: u64 = n.trim().parse().ok().filter(|n| *n > 0)?;
    match kind.trim() {
        "store" => Some(Point::Store(n)),
        "call" => Some(Point::Call(n)),
        _ => None,
    }
}

fn point() -> Option<Point> {
    static POINT: OnceLock<Option<Point>> = OnceLock::new();
    *POINT.get_or_init(|| {
        let value = std::env::var(VARIABLE).ok()?;
        let point = parse(&value);
        if point.is_none() {
            tracing::warn!(
                variable = VARIABLE,
                value = %value,
                "ignored: expected store:N or call:N with N >= 1"
            );
        }
        point
    })
}

static STORES: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

fn die(what: &str, n: u64) {
    tracing::warn!("{VARIABLE}: killing this process after {what} {n}");
    // SAFETY: kill(2) with our own pid has no memory effects.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
}

/// A store write succeeded.
pub fn stored() {
    if let Some(Point::Store(at)) = point() {
        let n = STORES.fetch_add(1, Ordering::Relaxed) + 1;
        if n == at {
            die("store write", n);
        }
    }
}

/// The master took a call.
pub fn called() {
    if let Some(Point::Call(at)) = point() {
        let n = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
        if n == at {
            die("call", n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_points_parse_strictly() {
        assert_eq!(parse("store:3"), Some(Point::Store(3)));
        assert_eq!(parse(" call : 12 "), Some(Point::Call(12)));
        for bad in ["", "store", "store:0", "store:-1", "call:x", "write:1"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
