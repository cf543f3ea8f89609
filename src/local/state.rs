//! The state directory of a local cluster and the record kept in it.
//!
//! Layout (see docs/local.md):
//! `state.json` (this record), `logs/` (one log per component started),
//! `mesos/` (the Mesos work directory unless `MESOS_WORK_DIR` says
//! otherwise), `appmaster/` (the appmaster's work directory: JobManager
//! configuration and logs).
//!
//! Invariant: `state.json` is written (atomically: a temporary file renamed
//! over it) right after each component is started, before the next one is,
//! so `local down` can always stop everything that was started, even after
//! an interrupted or failed `local up`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::process::Recorded;
use super::LocalError;

pub const STATE_FILE: &str = "state.json";

/// One started component.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Component {
    /// `mesos` or `appmaster`.
    pub name: String,
    pub process: Recorded,
    /// The port it serves on (Mesos: the master; appmaster: `/status`).
    pub port: u16,
    pub url: String,
    pub log: PathBuf,
}

/// What `local up` recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Seconds since the Unix epoch when `local up` started.
    pub started_at: u64,
    /// Components in start order (`local down` stops them in reverse).
    pub components: Vec<Component>,
    pub workers: u32,
    pub mesos_kind: String,
    pub mesos_url: String,
    /// The Mesos work directory (agents' sandboxes are below it).
    pub mesos_work_dir: PathBuf,
    pub flink_home: PathBuf,
    pub flink_url: String,
    pub rest_port: u16,
    pub rpc_port: u16,
    pub appmaster_work_dir: PathBuf,
    /// `MESOS_LOG_DIR` when one was given: Mesos writes its glog files there.
    #[serde(default)]
    pub mesos_log_dir: Option<PathBuf>,
    /// True once every TaskManager had registered (a job cluster: once its
    /// job ran).
    pub ready: bool,
    /// A job cluster's JAR (`local up --job-jar`); `None` for a session
    /// cluster.
    #[serde(default)]
    pub job_jar: Option<PathBuf>,
}

impl State {
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.name == name)
    }

    /// Whether any recorded process still runs.
    pub fn any_alive(&self) -> bool {
        self.components.iter().any(|c| c.process.alive())
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// Reads the record; `None` when there is none.
pub fn load(dir: &Path) -> Result<Option<State>, LocalError> {
    let file = path(dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LocalError::io(format!("cannot read {}", file.display()), e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        LocalError::Corrupt(format!(
            "{} is not a local cluster record ({e}); stop what it started by hand, then remove it",
            file.display()
        ))
    })
}

/// Writes the record atomically.
pub fn save(dir: &Path, state: &State) -> Result<(), LocalError> {
    let file = path(dir);
    let tmp = dir.join(format!(".{STATE_FILE}.tmp"));
    let text = serde_json::to_string_pretty(state)
        .map_err(|e| LocalError::Internal(format!("cannot encode the state: {e}")))?;
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &file))
        .map_err(|e| LocalError::io(format!("cannot write {}", file.display()), e))
}

pub fn remove(dir: &Path) -> Result<(), LocalError> {
    match std::fs::remove_file(path(dir)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(LocalError::io(
            format!("cannot remove {}", path(dir).display()),
            e,
        )),
    }
}

/// The default state directory: `$XDG_STATE_HOME/flink-mesos/local`, else
/// `~/.local/state/flink-mesos/local`, else `./.flink-mesos-local`.
pub fn default_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("flink-mesos/local");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".local/state/flink-mesos/local");
    }
    PathBuf::from(".flink-mesos-local")
}

/// An exclusive `flock` on `<state dir>/.up.lock`, released when dropped
/// (or when the process ends, however it ends).
#[derive(Debug)]
pub struct UpLock {
    _file: std::fs::File,
}

impl UpLock {
    /// Takes the lock, creating the state directory; fails at once when
    /// another `local up` holds it.
    pub fn acquire(dir: &Path) -> Result<UpLock, LocalError> {
        use std::os::fd::AsRawFd;
        std::fs::create_dir_all(dir).map_err(|e| {
            LocalError::io(
                format!("cannot create the state directory {}", dir.display()),
                e,
            )
        })?;
        let path = dir.join(".up.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| LocalError::io(format!("cannot open {}", path.display()), e))?;
        // SAFETY: flock(2) on a descriptor this function owns.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Err(LocalError::AlreadyRunning {
                    dir: dir.display().to_string(),
                    what: "another `flink-mesos local up` is bringing it up".into(),
                    flag: String::new(),
                });
            }
            return Err(LocalError::io(format!("cannot lock {}", path.display()), e));
        }
        Ok(UpLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_up_at_a_time_per_state_dir() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = UpLock::acquire(dir.path()).expect("first lock");
        let second = UpLock::acquire(dir.path());
        assert!(
            matches!(second, Err(LocalError::AlreadyRunning { .. })),
            "{second:?}"
        );
        drop(first);
        UpLock::acquire(dir.path()).expect("free again");
    }
}
