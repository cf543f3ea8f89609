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
    /// A job cluster's job ended FAILED: exit 6.
    JobFailed,
    /// A job cluster's job ended CANCELED: exit 7.
    JobCanceled,
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
            ErrorKind::JobFailed => 6,
            ErrorKind::JobCanceled => 7,
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
    /// A library module's own error, kept whole: its class (how the
    /// process exits), what it concerns (`peer: …`), its `source()` chain
    /// (printed with `-v`) and a hint as data. Built by `?` from any
    /// [`Classified`] error.
    #[error("{}{source}", label.as_deref().map(|l| format!("{l}: ")).unwrap_or_default())]
    Module {
        kind: ErrorKind,
        label: Option<String>,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        hint: Option<String>,
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
            Error::Module { kind, .. } => *kind,
        }
    }

    pub fn exit_code(&self) -> i32 {
        self.kind().exit_code()
    }

    /// What the operator can do about it, when the module knows.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Module { hint, .. } => hint.as_deref(),
            _ => None,
        }
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

/// An error type of a library module that knows its own class: `?` turns
/// it into [`Error::Module`] with no string in between, so the class, the
/// hint and the `source()` chain survive to `main`.
pub trait Classified: std::error::Error + Send + Sync + 'static {
    /// How the process exits on it.
    fn kind(&self) -> ErrorKind;
    /// What it concerns, shown before the message (`ZooKeeper: …`).
    fn label(&self) -> Option<String> {
        None
    }
    /// What the operator can do about it.
    fn hint(&self) -> Option<String> {
        None
    }
}

impl<E: Classified> From<E> for Error {
    fn from(e: E) -> Self {
        Error::Module {
            kind: e.kind(),
            label: e.label(),
            hint: e.hint(),
            source: Box::new(e),
        }
    }
}

/// Writing a command's output (stdout/stderr in `src/cmd/`): broken pipes
/// become [`Error::Io`] with `BrokenPipe`. Nothing else reaches this: the
/// library's modules return errors of their own ([`Classified`]), and a
/// command's other I/O says what it did ([`Error::io`]); removing this
/// impl leaves only `writeln!`/`flush` sites of `src/cmd/` to fix.
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
        let child = |code, signal| -> Error {
            crate::taskmanager::TaskmanagerError::Child {
                process: "TaskManager",
                status: ExitReport { code, signal },
                cause: String::new(),
                log: "l".into(),
            }
            .into()
        };
        assert_eq!(child(Some(2), None).exit_code(), 2);
        assert_eq!(child(None, Some(9)).exit_code(), 137);
    }

    #[test]
    fn a_module_error_keeps_its_class_label_and_cause() {
        let e: Error = crate::store::StoreError::Unavailable("connection refused".into()).into();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            "ZooKeeper: the worker store is not available: connection refused"
        );
        let cause = std::error::Error::source(&e).expect("the store's error is the source");
        assert!(cause.to_string().contains("connection refused"));
        let e: Error = crate::embedded::EmbeddedError::Heartbeat.into();
        assert_eq!(e.exit_code(), 2, "a usage error stays one");
        let e: Error =
            crate::mesos::detector::DetectError::Spec("`x` is not a master".into()).into();
        assert_eq!(e.to_string(), "mesos.master: `x` is not a master");
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let e: Error = io::Error::new(io::ErrorKind::BrokenPipe, "pipe").into();
        assert!(e.is_broken_pipe());
        let e: Error = io::Error::other("other").into();
        assert!(!e.is_broken_pipe());
    }
}
