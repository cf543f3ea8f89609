//! The appmaster's work directory is its own: an exclusive lock on
//! `<work dir>/appmaster.lock` (flock(2), which the kernel drops when the
//! process ends however it ends, so a crash never leaves a stale lock)
//! holding the owner's pid. A second appmaster on the same directory would
//! share `artifacts/`, and one appmaster's artifact server would then serve
//! the other's TaskManager configuration, secrets included.

use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file's name inside the work directory.
pub const LOCK_FILE: &str = "appmaster.lock";

#[derive(Debug, thiserror::Error)]
pub enum WorkDirError {
    #[error(
        "the work directory {dir} is in use by another appmaster (pid {pid}); give each appmaster \
         its own directory with --work-dir, or stop the other one"
    )]
    InUse { dir: PathBuf, pid: String },
    #[error("cannot use the work directory {dir}: {source}")]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// Held for as long as the appmaster runs; dropping it releases the lock.
#[derive(Debug)]
pub struct WorkDirLock {
    _file: std::fs::File,
    pub path: PathBuf,
}

/// Creates `dir` (0700 when new) and locks it for this process.
pub fn lock(dir: &Path) -> Result<WorkDirLock, WorkDirError> {
    let io = |source| WorkDirError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    crate::flink::conf::private_dir(dir).map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    // SAFETY: flock(2) on a descriptor we own, for as long as `file` lives.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if !locked {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(io(err));
        }
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        let pid = match pid.trim() {
            "" => "unknown".to_string(),
            p => p.to_string(),
        };
        return Err(WorkDirError::InUse {
            dir: dir.to_path_buf(),
            pid,
        });
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    Ok(WorkDirLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_names_the_first_owner() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("am");
        let first = lock(&work).unwrap();
        // flock locks belong to the open file description: a second open in
        // this same process conflicts just as another process would.
        let e = lock(&work).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())) && text.contains("--work-dir"),
            "{text}"
        );
        drop(first);
        let again = lock(&work).unwrap();
        assert!(again.path.ends_with(LOCK_FILE));
    }
}
