//! What the benchmarks that drive a real appmaster share: a free port, a
//! child killed on drop, wall-clock seconds, the appmaster log's
//! timestamps, the status address it announces and a process's memory.
//! Included with `mod common`; not every bench uses every item.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::time::{SystemTime, UNIX_EPOCH};

/// A free loopback port (the integration tests' peer starters call
/// `super::free_port`).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot bind a loopback port")
}

/// A child process, killed when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Seconds since the epoch, now.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Seconds since the epoch of a `2026-12-01T10:13:41.036004Z` timestamp.
pub fn parse_rfc3339(ts: &str) -> Option<f64> {
    let (date, time) = ts.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.split(':');
    let (h, min) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    let s: f64 = t.next()?.parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + h * 3600.0 + min * 60.0 + s)
}

/// The base URL (`http://HOST:PORT`) of the `/status` address an appmaster
/// announces on the first line of its stdout (spawned with a piped stdout).
pub fn status_base(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("a piped stdout"))
        .read_line(&mut line)
        .expect("the appmaster's first line");
    line.split_whitespace()
        .find_map(|w| w.strip_suffix("/status"))
        .expect("status address")
        .to_string()
}

/// A `/proc/PID/status` field in KiB (`VmRSS:`, `VmHWM:`), 0 when unknown.
pub fn kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `GET BASE/status`: its body and how long it took to read.
pub async fn timed_status(http: &reqwest::Client, base: &str) -> (Vec<u8>, std::time::Duration) {
    let started = std::time::Instant::now();
    let body = http
        .get(format!("{base}/status"))
        .send()
        .await
        .expect("GET /status")
        .bytes()
        .await
        .expect("the body of /status");
    (body.to_vec(), started.elapsed())
}
