//! Running Flink's own JVMs: find and check a distribution (`FLINK_HOME`) and
//! `java`, work out memory flags the way the distribution's scripts do, write
//! the configuration the JVM reads, and start and supervise the JVM.
//!
//! Pure parts (version and classpath rules, BashJavaUtils output parsing,
//! legacy memory rules, JVM option splitting, command-line building, config
//! file rendering, the JobManager's configuration) live in their own modules
//! and are unit-tested; only [`home`] (file checks), [`java`] (locating
//! `java`), [`launch`] (writing the conf dir, running BashJavaUtils) and
//! [`process`] touch the system.
//!
//! Users: `crate::taskmanager` (the worker runtime) and, for the JobManager
//! beside the appmaster, [`jobmanager::jobmanager_conf`] +
//! [`jobmanager::start`] → a [`FlinkProcess`] to supervise.
//!
//! Invariant: secrets reach a Flink JVM only through the generated
//! configuration file (mode 0600 in a 0700 directory), never through its
//! command line, environment or our logs.

pub mod conf;
pub mod home;
pub mod java;
pub mod jobjar;
pub mod jobmanager;
pub mod jvm;
pub mod launch;
pub mod memory;
pub mod process;
pub mod versions;
pub mod zk_login;

use std::path::PathBuf;

pub use home::{FlinkHome, FlinkVersion};
pub use java::Java;
pub use launch::{prepare, JvmCommand, LaunchRequest, Role};
pub use process::{ExitReport, FlinkProcess, Output, SpawnOptions};

/// What can go wrong before a Flink JVM runs. Each kind has its own exit
/// code (see `crate::error`), so that operators can tell them apart from
/// the JVM's own exit codes.
#[derive(Debug, thiserror::Error)]
pub enum FlinkError {
    /// No `java` executable: JAVA_HOME, `env.java.home` and PATH were tried.
    #[error("cannot find java: {0}")]
    JavaMissing(String),
    /// `FLINK_HOME` is unset, missing or not a usable Flink distribution.
    #[error("unusable Flink distribution: {0}")]
    FlinkHome(String),
    /// The memory settings cannot fit (Flink's own check, or the legacy rules).
    #[error("the {role} memory does not fit: {message}")]
    Memory { role: &'static str, message: String },
    /// BashJavaUtils failed for another reason.
    #[error("BashJavaUtils {command} failed: {message}")]
    BashJavaUtils {
        command: &'static str,
        message: String,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Classified for FlinkError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            FlinkError::FlinkHome(_) => ErrorKind::FlinkHome,
            FlinkError::JavaMissing(_) => ErrorKind::JavaMissing,
            FlinkError::Memory { .. } => ErrorKind::MemoryDoesNotFit,
            FlinkError::BashJavaUtils { .. } => ErrorKind::Peer,
            FlinkError::Io { .. } => ErrorKind::User,
        }
    }
}

impl FlinkError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        FlinkError::Io {
            context: context.into(),
            source,
        }
    }
}

/// `$FLINK_MESOS_CACHE/flink-<version>` (default `~/.cache/flink-mesos`),
/// where `scripts/fetch-flink.sh` assembles a distribution.
pub fn cached_home(version: &str) -> Option<PathBuf> {
    let cache = std::env::var_os("FLINK_MESOS_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/flink-mesos"))
        })?;
    Some(cache.join(format!("flink-{version}")))
}
