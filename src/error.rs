//! The one error type of the binary and its table from error kind to exit code.
//!
//! Modules inside the library keep their own typed errors; everything that
//! reaches `main` is converted into [`Error`], and `main` maps it to an exit
//! code with [`Error::exit_code`]. Nothing else in the program chooses an exit
//! code.

use std::io;

/// How an error ends the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user's configuration, flags or files are wrong: exit 1.
    User,
    /// A peer (Mesos master, ZooKeeper, Flink) failed or refused: exit 1.
    Peer,
    /// The command line is wrong: exit 2.
    Usage,
    /// A bug or an impossible state: exit 255.
    Internal,
    /// No usable Flink distribution (`FLINK_HOME`): exit 3.
    FlinkHome,
    /// No `java` to run Flink with: exit 4.
    JavaMissing,
    /// The Flink process' memory settings cannot fit: exit 5.
    MemoryDoesNotFit,
    /// A supervised Flink JVM ended unsuccessfully: its own exit code
    /// (128 + signal when a signal ended it), passed through.
    Child(i32),
}

impl ErrorKind {
    /// The exit-code table. Keep it the only place that knows the numbers.
    pub const fn exit_code(self) -> i32 {
        match self {
            ErrorKind::User | ErrorKind::Peer => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Internal => 255,
            ErrorKind::FlinkHome => 3,
            ErrorKind::JavaMissing => 4,
            ErrorKind::MemoryDoesNotFit => 5,
            ErrorKind::Child(code) => code,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration or input problem; the message says what and where.
    #[error("{0}")]
    User(String),
    /// The diagnostics were already printed (e.g. by `validate-conf`); exit 1
    /// without another message.
    #[error("{errors} error(s) in the configuration")]
    Reported { errors: usize },
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("{peer}: {message}")]
    Peer { peer: String, message: String },
    /// The cluster failed or was stopped abnormally (too many failed
    /// workers, a forced stop); the message says what happened: exit 1.
    #[error("{0}")]
    Failed(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// Finding, configuring or starting a Flink JVM failed.
    #[error(transparent)]
    Flink(#[from] crate::flink::FlinkError),
    /// A supervised Flink JVM exited unsuccessfully.
    #[error("the {process} JVM ended with {status}; its log is {log}")]
    Child {
        process: &'static str,
        status: crate::flink::ExitReport,
        log: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::User(_) | Error::Reported { .. } | Error::Io { .. } => ErrorKind::User,
            Error::Usage(_) => ErrorKind::Usage,
            Error::Peer { .. } | Error::Failed(_) => ErrorKind::Peer,
            Error::Internal(_) => ErrorKind::Internal,
            Error::Flink(e) => {
                use crate::flink::FlinkError as F;
                match e {
                    F::FlinkHome(_) => ErrorKind::FlinkHome,
                    F::JavaMissing(_) => ErrorKind::JavaMissing,
                    F::Memory { .. } => ErrorKind::MemoryDoesNotFit,
                    F::BashJavaUtils { .. } => ErrorKind::Peer,
                    F::Io { .. } => ErrorKind::User,
                }
            }
            Error::Child { status, .. } => ErrorKind::Child(status.exit_code().clamp(1, 255)),
        }
    }

    pub fn exit_code(&self) -> i32 {
        self.kind().exit_code()
    }

    /// True when the error is a closed stdout (`flink-mesos … | head`): the
    /// program then exits 0 without a message, like other Unix tools.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn read_file(path: &std::path::Path, source: io::Error) -> Self {
        Error::io(format!("cannot read {}", path.display()), source)
    }

    pub fn write_file(path: &std::path::Path, source: io::Error) -> Self {
        Error::io(format!("cannot write {}", path.display()), source)
    }
}

/// How the appmaster's runtime failed, by class: a peer that failed or
/// refused (Mesos, ZooKeeper), the cluster stopped, or a user error
/// (listening, serving files).
impl From<crate::appmaster::serve::ServeError> for Error {
    fn from(e: crate::appmaster::serve::ServeError) -> Self {
        use crate::appmaster::serve::ServeError as S;
        use crate::appmaster::RunError as R;
        match e {
            S::StatusBind { addr, source } => {
                Error::io(format!("cannot listen on {addr} for /status"), source)
            }
            S::Artifacts(e) => e.into(),
            S::Store(e) => Error::Peer {
                peer: "ZooKeeper".into(),
                message: e.to_string(),
            },
            S::Run(R::Mesos(e)) => Error::Peer {
                peer: "Mesos".into(),
                message: e.to_string(),
            },
            S::Run(R::Detect(e)) => Error::Peer {
                peer: "Mesos master detection".into(),
                message: e.to_string(),
            },
            S::Run(R::Store(e)) => Error::Failed(format!("stopping: {e}")),
            S::Run(e @ R::Teardown { .. }) => Error::Failed(e.to_string()),
            S::Run(R::Internal(m)) | S::Internal(m) => Error::Internal(m),
        }
    }
}

/// The artifact server or an overlay could not be set up: the files or
/// the port the configuration names.
impl From<crate::artifacts::ArtifactError> for Error {
    fn from(e: crate::artifacts::ArtifactError) -> Self {
        Error::User(e.to_string())
    }
}

/// Preparing the appmaster failed: the work directory is taken, Flink or
/// Java cannot be used, a file to serve is missing (each its own class).
impl From<crate::appmaster::serve::PrepareError> for Error {
    fn from(e: crate::appmaster::serve::PrepareError) -> Self {
        use crate::appmaster::serve::PrepareError as P;
        match e {
            P::Flink(e) => Error::Flink(e),
            P::Artifacts(e) => e.into(),
            e @ (P::WorkDir(_) | P::NoKeystore) => Error::User(e.to_string()),
        }
    }
}

/// Writing to stdout: broken pipes become [`Error::Io`] with `BrokenPipe`.
impl From<io::Error> for Error {
    fn from(source: io::Error) -> Self {
        Error::io("cannot write output", source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_table() {
        assert_eq!(Error::User("x".into()).exit_code(), 1);
        assert_eq!(Error::Reported { errors: 3 }.exit_code(), 1);
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(
            Error::Peer {
                peer: "p".into(),
                message: "m".into()
            }
            .exit_code(),
            1
        );
        assert_eq!(Error::Internal("x".into()).exit_code(), 255);
        use crate::flink::{ExitReport, FlinkError};
        assert_eq!(
            Error::from(FlinkError::FlinkHome("x".into())).exit_code(),
            3
        );
        assert_eq!(
            Error::from(FlinkError::JavaMissing("x".into())).exit_code(),
            4
        );
        let memory = FlinkError::Memory {
            role: "TaskManager",
            message: "m".into(),
        };
        assert_eq!(Error::from(memory).exit_code(), 5);
        let child = |code, signal| Error::Child {
            process: "TaskManager",
            status: ExitReport { code, signal },
            log: "l".into(),
        };
        assert_eq!(child(Some(2), None).exit_code(), 2);
        assert_eq!(child(None, Some(9)).exit_code(), 137);
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let e: Error = io::Error::new(io::ErrorKind::BrokenPipe, "pipe").into();
        assert!(e.is_broken_pipe());
        let e: Error = io::Error::other("other").into();
        assert!(!e.is_broken_pipe());
    }
}
