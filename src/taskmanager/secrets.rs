//! The worker's side of secret delivery (`src/artifacts/secrets.rs`): fetch
//! this task's bundle once, into a private directory **outside the
//! sandbox**, where the agent's `/files` API cannot serve it and other
//! users cannot read it (0700, files 0600), and remove it when the
//! TaskManager ends.
//!
//! Where: `/dev/shm` (memory only, never on a disk) when it is writable,
//! else `$TMPDIR`, else `/tmp`; never a directory inside the sandbox. The
//! directory is `flink-mesos-secrets.<task id>.<pid>`. It goes as soon as
//! this process gets SIGTERM or SIGINT (the stop Mesos asks for), or when
//! the JVM ends; a process killed with SIGKILL alone leaves it behind
//! (readable by the task's user only), and the next `flink-mesos
//! taskmanager` on the host removes such leftovers whose process is gone.

use std::path::{Path, PathBuf};

use crate::artifacts::secrets::{self, FetchError, Unpacked};

/// The prefix of every secrets directory.
pub const DIR_PREFIX: &str = "flink-mesos-secrets.";

/// A private directory that is removed when dropped.
#[derive(Debug)]
pub struct PrivateDir {
    pub path: PathBuf,
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What the worker received.
#[derive(Debug)]
pub struct Delivered {
    /// Holds the secret files and, later, the JVM's configuration.
    pub dir: PrivateDir,
    /// The secret entries as YAML (file values point into `dir`).
    pub entries_yaml: String,
    pub files: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("FLINK_MESOS_SECRETS_URL is {0}")]
    Environment(String),
    #[error("cannot keep the secrets in a private directory: {0}")]
    Dir(String),
    #[error("the secrets bundle from the appmaster is damaged: {0}")]
    Bundle(String),
}

/// The artifact server refused or failed; a damaged bundle or no private
/// directory is no less the peer's or the host's than the operator's.
impl crate::error::Classified for SecretsError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Peer
    }
    fn label(&self) -> Option<String> {
        matches!(self, SecretsError::Fetch(_)).then(|| "the appmaster's artifact server".into())
    }
}

/// Where the secrets directory goes: the first writable candidate outside
/// `sandbox`.
pub fn base_dir(sandbox: &Path) -> Option<PathBuf> {
    let sandbox = std::fs::canonicalize(sandbox).unwrap_or_else(|_| sandbox.to_path_buf());
    let candidates = [
        Some(PathBuf::from("/dev/shm")),
        std::env::var_os("TMPDIR").map(PathBuf::from),
        Some(PathBuf::from("/tmp")),
    ];
    candidates.into_iter().flatten().find(|dir| {
        let Ok(real) = std::fs::canonicalize(dir) else {
            return false;
        };
        // SAFETY: access(2) with a NUL-terminated path we own.
        let writable = std::ffi::CString::new(real.as_os_str().as_encoded_bytes())
            .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0);
        real.is_dir() && writable && !real.starts_with(&sandbox)
    })
}

/// Removes secrets directories in `base` whose process is gone and that
/// belong to this user.
pub fn sweep(base: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    // SAFETY: getuid(2) cannot fail.
    let uid = unsafe { libc::getuid() };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(DIR_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.rsplit('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let mine = entry.metadata().is_ok_and(|m| m.uid() == uid && m.is_dir());
        if mine && !alive(pid) {
            tracing::info!(dir = %entry.path().display(), "removing the secrets left by an earlier TaskManager that was killed");
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` runs (a zombie does not).
fn alive(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
    !state.is_empty() && !state.starts_with('Z')
}

/// Removes `dir` as soon as this process gets SIGTERM or SIGINT: the
/// TaskManager is stopping and needs its secrets no more, and a stop that
/// ends in SIGKILL (the executor's grace period running out) would leave
/// them behind.
pub async fn remove_on_signal(dir: PathBuf) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    let _ = std::fs::remove_dir_all(&dir);
    tracing::info!(dir = %dir.display(), "stopping: removed the secrets");
}

/// Fetches and unpacks this task's secrets when the appmaster offers some
/// (`FLINK_MESOS_SECRETS_URL` is set); `None` when it does not.
pub async fn receive(
    sandbox: &Path,
    task_id: Option<&str>,
) -> Result<Option<Delivered>, SecretsError> {
    let Some(url) = std::env::var(secrets::URL_ENV)
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    let token = std::env::var(secrets::TOKEN_ENV).unwrap_or_default();
    let task_id = task_id.ok_or_else(|| {
        SecretsError::Environment(format!(
            "set, but {} is not: the token belongs to a task id",
            super::TASK_ID_ENV
        ))
    })?;
    let ca_file = std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let bundle = secrets::fetch(&url, task_id, &token, ca_file.as_deref()).await?;
    let base = base_dir(sandbox).ok_or_else(|| {
        SecretsError::Dir(
            "none of /dev/shm, $TMPDIR and /tmp is a writable directory outside the sandbox".into(),
        )
    })?;
    sweep(&base);
    let safe_id: String = task_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = base.join(format!("{DIR_PREFIX}{safe_id}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    create_new_private_dir(&path)
        .map_err(|e| SecretsError::Dir(format!("{}: {e}", path.display())))?;
    let dir = PrivateDir { path };
    let Unpacked {
        entries_yaml,
        files,
    } = secrets::unpack(&bundle, &dir.path).map_err(SecretsError::Bundle)?;
    Ok(Some(Delivered {
        dir,
        entries_yaml,
        files: files.len(),
    }))
}

/// mkdir(2) with mode 0700, failing if it exists (no one else's directory
/// or link is ever reused).
fn create_new_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new().mode(0o700).create(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_is_never_inside_the_sandbox() {
        let dir = tempfile::tempdir().unwrap();
        let base = base_dir(dir.path()).expect("a base");
        assert!(!base.starts_with(dir.path()));
        // A sandbox that is /tmp itself rules /tmp out.
        if let Some(base) = base_dir(Path::new("/tmp")) {
            assert!(!base.starts_with("/tmp"), "{}", base.display());
        }
    }

    #[test]
    fn leftovers_of_dead_processes_are_swept_and_live_ones_kept() {
        let base = tempfile::tempdir().unwrap();
        let dead = base.path().join(format!("{DIR_PREFIX}t1.999999999"));
        let live = base
            .path()
            .join(format!("{DIR_PREFIX}t2.{}", std::process::id()));
        let other = base.path().join("unrelated.1");
        for d in [&dead, &live, &other] {
            std::fs::create_dir(d).unwrap();
        }
        sweep(base.path());
        assert!(!dead.exists());
        assert!(live.exists() && other.exists());
    }
}
