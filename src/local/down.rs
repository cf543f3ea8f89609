//! `local down`: every recorded component stopped in reverse start order
//! (SIGTERM, SIGKILL after its grace period), then the task processes a
//! dead Mesos left behind in its work directory, then the record (and with
//! `--purge` the state directory) removed.
//!
//! Invariant: only processes whose pid and start time match the record,
//! that such a process left behind, or whose `MESOS_SANDBOX` lies below the
//! cluster's own Mesos work directory are signalled (see [`process`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::state::{self, State};
use super::{process, LocalError};

/// How stopping went, per component.
#[derive(Debug, Clone, Serialize)]
pub struct StopReport {
    pub name: String,
    pub pid: u32,
    /// `stopped`, `killed` or `not running`.
    pub outcome: String,
    pub seconds: f64,
}

/// The grace period of a component before SIGKILL: the appmaster tears the
/// framework down (Mesos kills the TaskManagers) and stops the JobManager.
fn grace(name: &str) -> Duration {
    if name == "appmaster" {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(15)
    }
}

pub(super) fn stop_components(st: &State, on_stop: &mut dyn FnMut(&StopReport)) -> Vec<StopReport> {
    let mut reports = Vec::new();
    for c in st.components.iter().rev() {
        let t = Instant::now();
        let outcome = match process::stop(c.process, grace(&c.name)) {
            process::Stopped::NotRunning => "not running",
            process::Stopped::Terminated => "stopped",
            process::Stopped::Killed => "killed",
        };
        let r = StopReport {
            name: c.name.clone(),
            pid: c.process.pid,
            outcome: outcome.into(),
            seconds: t.elapsed().as_secs_f64(),
        };
        on_stop(&r);
        reports.push(r);
    }
    // Tasks whose Mesos died before it could stop them.
    let orphans = process::tasks_below(&st.mesos_work_dir);
    if !orphans.is_empty() {
        let t = Instant::now();
        process::kill_all(&orphans);
        let r = StopReport {
            name: format!("{} orphaned task process(es)", orphans.len()),
            pid: orphans.iter().next().copied().unwrap_or_default(),
            outcome: "killed".into(),
            seconds: t.elapsed().as_secs_f64(),
        };
        on_stop(&r);
        reports.push(r);
    }
    reports
}

/// What `local down` did.
#[derive(Debug, Clone, Serialize)]
pub struct DownReport {
    pub state_dir: PathBuf,
    /// False when there was no record (nothing to stop).
    pub found: bool,
    pub stopped: Vec<StopReport>,
    pub purged: bool,
    pub seconds: f64,
}

/// Stops every recorded component in reverse order, then removes the record
/// (and with `purge` the whole state directory). Idempotent.
pub fn down(
    state_dir: &Path,
    purge: bool,
    on_stop: &mut dyn FnMut(&StopReport),
) -> Result<DownReport, LocalError> {
    let t = Instant::now();
    let st = state::load(state_dir)?;
    let stopped = st
        .as_ref()
        .map(|st| stop_components(st, on_stop))
        .unwrap_or_default();
    state::remove(state_dir)?;
    let purged = purge && state_dir.exists();
    if purged {
        std::fs::remove_dir_all(state_dir)
            .map_err(|e| LocalError::io(format!("cannot remove {}", state_dir.display()), e))?;
    }
    Ok(DownReport {
        state_dir: state_dir.to_path_buf(),
        found: st.is_some(),
        stopped,
        purged,
        seconds: t.elapsed().as_secs_f64(),
    })
}
