//! Local clusters (`flink-mesos local …`): a whole Flink-on-Mesos cluster on
//! one machine — a Mesos master with an agent (genuine, or the embedded
//! single-node Mesos of [`crate::embedded`] run as `flink-mesos local
//! embedded-mesos`, a detached child like `mesos-local`), and the appmaster
//! (this same executable) with the Flink JobManager and N TaskManagers
//! launched as Mesos tasks — brought up, inspected and taken down again.
//!
//! Roles: `plan` checks a request (Mesos and Flink found, free ports, the
//! appmaster's `-D` list), `up` brings the cluster up stage by stage,
//! `down` stops it, `status` reports each component's health, `logs` finds
//! every log, `probe` asks the components over HTTP (this module re-exports
//! what they offer); [`mesos`] finds and configures Mesos, [`zookeeper`]
//! runs ZooKeeper for `--ha`, [`process`] starts detached processes and
//! stops them by recorded pid, [`state`] keeps the record in the state
//! directory. Nothing here prints: progress goes to the caller as
//! [`Event`]s, results as values.
//!
//! Invariants:
//! - every port is chosen free on 127.0.0.1 (or given by the user with
//!   `-D`); nothing listens beyond loopback except what Flink binds itself;
//! - every started process is recorded in `state.json` before the next one
//!   starts, and `down` stops exactly the recorded processes (pid + start
//!   time) and what they left behind, in reverse start order;
//! - a failed or interrupted `up` stops what it started before returning.

mod down;
mod logs;
pub mod mesos;
mod plan;
mod probe;
pub mod process;
pub mod state;
mod status;
mod up;
pub mod zookeeper;

pub use down::{down, DownReport, StopReport};
pub use logs::{logs, LogFile};
pub use mesos::MesosMode;
pub use plan::{
    locate_flink, plan, properties, LocalJob, Plan, Ports, Resolved, UpRequest, LOCAL_DEFAULTS,
};
pub use status::{status, ClusterStatus, ComponentStatus};
pub use up::{submit_command, up, ComponentSummary, Event, Stage, UpReport};

use crate::flink::FlinkError;

/// What went wrong; the message names the component or file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("a local cluster is already running in {dir} ({what}); `flink-mesos local status{flag}` shows it, `flink-mesos local down{flag}` stops it")]
    AlreadyRunning {
        dir: String,
        what: String,
        /// ` --state-dir DIR`, or empty for the default directory.
        flag: String,
    },
    #[error("{0}")]
    MesosNotFound(String),
    #[error(transparent)]
    Flink(#[from] FlinkError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A component did not come up; `log` holds its last lines.
    #[error("{component}: {message}\n--- last lines of {log_path}:\n{log}")]
    Start {
        component: String,
        message: String,
        log_path: String,
        log: String,
    },
    #[error("interrupted; everything `local up` had started was stopped")]
    Interrupted,
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Usage(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// `local`: a cluster already running, no Mesos found, a damaged state
/// record are the operator's; a component that did not come up is the
/// cluster's.
impl crate::error::Classified for LocalError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        use LocalError as L;
        match self {
            L::Flink(e) => e.kind(),
            L::Io { .. } | L::AlreadyRunning { .. } | L::MesosNotFound(_) | L::Corrupt(_) => {
                ErrorKind::User
            }
            L::Usage(_) => ErrorKind::Usage,
            L::Internal(_) => ErrorKind::Internal,
            L::Start { .. } | L::Interrupted => ErrorKind::Peer,
        }
    }
}

impl LocalError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        LocalError::Io {
            context: context.into(),
            source,
        }
    }
}
