//! The admin token: the credential that changing a running cluster
//! (`POST /workers/scale`, `flink-mesos workers scale`) needs, while reading
//! it (`/status`, `/metrics`, `/health`) needs none.
//!
//! It is `mesos.resourcemanager.admin-token` when configured (the same on
//! every appmaster of a high-availability cluster, so that whoever leads
//! takes it), else 32 random bytes drawn at start. Either way the appmaster
//! writes it to `<work dir>/admin-token` (mode 0600, replaced atomically),
//! where an operator on the same host — and `workers scale` by default —
//! reads it. It never appears in a log, `/status`, or a command line.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use crate::config::options::Key;
use crate::config::secret::Secret;
use crate::config::Config;

/// The file in the work directory that holds the token.
pub const TOKEN_FILE: &str = "admin-token";

/// The environment variable `workers scale` reads the token from.
pub const TOKEN_ENV: &str = "FLINK_MESOS_ADMIN_TOKEN";

/// The configured token, or a new random one.
pub fn token(config: &Config) -> Result<Secret, String> {
    if let Some(e) = config.get(Key::MesosResourcemanagerAdminToken.def()) {
        let value = e.value.trim();
        if !value.is_empty() {
            return Ok(Secret::new(value));
        }
    }
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| "the system's random number generator failed".to_string())?;
    Ok(Secret::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

/// Writes the token to `<work_dir>/admin-token` (0600, atomically).
pub fn write(work_dir: &Path, token: &Secret) -> std::io::Result<PathBuf> {
    let path = work_dir.join(TOKEN_FILE);
    let tmp = work_dir.join(format!(".{TOKEN_FILE}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(token.expose().as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Reads a token file (trimmed); says which file when it cannot.
pub fn read(path: &Path) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the admin token from {}: {e}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_random_token_is_written_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("fm-admin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = Config::default();
        let a = token(&config).unwrap();
        let b = token(&config).unwrap();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose(), "tokens are random");
        let path = write(&dir, &a).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(read(&path).unwrap().matches(a.expose()));
        // Replaced, not appended.
        write(&dir, &b).unwrap();
        assert!(read(&path).unwrap().matches(b.expose()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
