//! How secrets reach the workers: never through the Mesos fetcher.
//!
//! Whatever the fetcher downloads lands in the task's sandbox, and the
//! agent serves every sandbox file through its `/files` HTTP API (it runs as
//! root: file modes do not stop it); the fetcher also writes every URI into
//! the sandbox's `stderr`. So the secret configuration entries (passwords,
//! the framework secret, any key Flink counts as sensitive) and the secret
//! files (key and trust stores, the Kerberos keytab) travel apart from the
//! shipped configuration:
//!
//! * the appmaster packs them into one in-memory *bundle* (a tar:
//!   `secrets.json`, and `files/<name>` for each file; an entry whose value
//!   is `files/<name>` names that file) and serves it only to a request
//!   that carries the worker's task id and its *token*:
//!   HMAC-SHA256(per-start key, task id), handed to the task in its
//!   environment ([`TOKEN_ENV`]), never in a URL. Each task id gets the
//!   bundle **once**: a second request for it (a replay with a token read
//!   from the master's state) is refused with 410 and logged;
//! * `flink-mesos taskmanager` fetches it itself ([`fetch`]) into a
//!   private directory outside the sandbox (`src/taskmanager/secrets.rs`).
//!
//! Nothing of the bundle is ever written on the appmaster's disk.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The bundle's name on the artifact server.
pub const BUNDLE_NAME: &str = "secrets.tar";
/// The task environment variable with the bundle's URL.
pub const URL_ENV: &str = "FLINK_MESOS_SECRETS_URL";
/// The task environment variable with the task's token.
pub const TOKEN_ENV: &str = "FLINK_MESOS_SECRETS_TOKEN";
/// The request header naming the task.
pub const TASK_HEADER: &str = "x-flink-mesos-task";
/// The bundle's configuration entries (a JSON object of strings).
pub const ENTRIES_FILE: &str = "secrets.json";
/// The bundle's directory of files; an entry valued `files/<name>` names one.
pub const FILES_DIR: &str = "files";

/// The per-start HMAC key behind every task's token.
#[derive(Clone)]
pub struct TokenKey(ring::hmac::Key);

/// Two keys are the same when they sign alike (the key bytes are not
/// readable back).
impl PartialEq for TokenKey {
    fn eq(&self, other: &Self) -> bool {
        self.token("") == other.token("")
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(******)")
    }
}

impl TokenKey {
    /// A fresh key from the system's generator.
    pub fn generate() -> Result<TokenKey, String> {
        let rng = ring::rand::SystemRandom::new();
        ring::hmac::Key::generate(ring::hmac::HMAC_SHA256, &rng)
            .map(TokenKey)
            .map_err(|_| "the system's random number generator failed".to_string())
    }

    /// The token of `task_id` (hex).
    pub fn token(&self, task_id: &str) -> String {
        ring::hmac::sign(&self.0, task_id.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `token` is `task_id`'s (in constant time).
    pub fn verify(&self, task_id: &str, token: &str) -> bool {
        let Some(tag) = unhex(token) else {
            return false;
        };
        ring::hmac::verify(&self.0, task_id.as_bytes(), &tag).is_ok()
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The secret part of the workers' configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    /// Secret configuration entries (and those naming a file below).
    pub entries: BTreeMap<String, String>,
    /// Secret files: name in the bundle → file on the appmaster's machine.
    pub files: Vec<(String, PathBuf)>,
    /// Secret files the appmaster makes (kept in memory, never on its
    /// disk): name in the bundle → content. Flink's ZooKeeper login
    /// (`crate::flink::zk_login::JAAS_FILE`).
    pub generated: Vec<(String, crate::config::secret::Secret)>,
}

impl Bundle {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.files.is_empty() && self.generated.is_empty()
    }

    /// The tar the workers receive (read now: later changes to the files
    /// do not reach workers, and a swapped file is not followed later).
    pub fn to_tar(&self) -> Result<Vec<u8>, String> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut add = |name: &str, bytes: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o600);
            header.set_size(bytes.len() as u64);
            builder
                .append_data(&mut header, name, bytes)
                .map_err(|e| format!("cannot pack {name}: {e}"))
        };
        let entries = serde_json::to_vec(&self.entries).map_err(|e| e.to_string())?;
        add(ENTRIES_FILE, &entries)?;
        for (name, path) in &self.files {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            add(&format!("{FILES_DIR}/{name}"), &bytes)?;
        }
        for (name, content) in &self.generated {
            add(&format!("{FILES_DIR}/{name}"), content.expose().as_bytes())?;
        }
        builder.into_inner().map_err(|e| e.to_string())
    }
}

/// What a worker received: the entries, with every `files/<name>` value
/// replaced by the file's path in `dir`.
#[derive(Debug)]
pub struct Unpacked {
    pub entries_yaml: String,
    pub files: Vec<PathBuf>,
}

/// Unpacks a bundle's files into `dir` (which must exist and be private;
/// files are written 0600) and returns its entries as YAML text with the
/// file values pointing into `dir`.
pub fn unpack(bundle: &[u8], dir: &Path) -> Result<Unpacked, String> {
    use std::io::Read;
    let mut archive = tar::Archive::new(bundle);
    let mut entries: Option<BTreeMap<String, String>> = None;
    let mut files = Vec::new();
    let mut names = HashSet::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let text = path.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{text}: {e}"))?;
        if text == ENTRIES_FILE {
            entries =
                Some(serde_json::from_slice(&bytes).map_err(|e| format!("{ENTRIES_FILE}: {e}"))?);
        } else if let Some(name) = text.strip_prefix(&format!("{FILES_DIR}/")) {
            // Names come from the appmaster's overlay: one plain segment.
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                && !name.starts_with('.');
            if !plain {
                return Err(format!("unexpected file name {text:?} in the bundle"));
            }
            let target = dir.join(name);
            crate::flink::conf::write_private(dir, name, &bytes).map_err(|e| e.to_string())?;
            names.insert(name.to_string());
            files.push(target);
        } else {
            return Err(format!("unexpected entry {text:?} in the bundle"));
        }
    }
    let mut entries = entries.ok_or(format!("the bundle has no {ENTRIES_FILE}"))?;
    // Point `files/<name>` values at the unpacked copies.
    for value in entries.values_mut() {
        if let Some(name) = value.strip_prefix(&format!("{FILES_DIR}/")) {
            if names.contains(name) {
                *value = dir.join(name).display().to_string();
            }
        }
    }
    Ok(Unpacked {
        entries_yaml: super::overlay::conf_yaml(&entries),
        files,
    })
}

/// The artifact server's side: the bundle, the key, and which tasks got it.
pub struct Gate {
    bundle: Vec<u8>,
    key: TokenKey,
    delivered: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("bundle_bytes", &self.bundle.len())
            .finish_non_exhaustive()
    }
}

/// Why a request for the bundle is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No task id or token, or a wrong token: 401.
    Unauthorized,
    /// This task got its bundle already: 410.
    AlreadyDelivered,
}

impl Gate {
    pub fn new(bundle: Vec<u8>, key: TokenKey) -> Arc<Gate> {
        Arc::new(Gate {
            bundle,
            key,
            delivered: Mutex::new(HashSet::new()),
        })
    }

    /// The bundle for `task_id` with `token`, once per task id.
    pub fn take(&self, task_id: Option<&str>, token: Option<&str>) -> Result<&[u8], Refusal> {
        let (Some(task_id), Some(token)) = (task_id, token) else {
            return Err(Refusal::Unauthorized);
        };
        if !self.key.verify(task_id, token) {
            return Err(Refusal::Unauthorized);
        }
        let mut delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        if !delivered.insert(task_id.to_string()) {
            return Err(Refusal::AlreadyDelivered);
        }
        Ok(&self.bundle)
    }
}

/// Why a worker could not get its secrets.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot set up the HTTP client for {url}: {message}")]
    Client { url: String, message: String },
    #[error("cannot fetch the secrets from {url}: {message}")]
    Request { url: String, message: String },
    #[error("the artifact server at {url} refused the secrets ({status}): {why}")]
    Refused {
        url: String,
        status: u16,
        why: &'static str,
    },
}

/// Fetches this task's bundle from `url` (over TLS when `https`, trusting
/// the PEM file `ca_file` when given — `SSL_CERT_FILE`, as the Mesos
/// fetcher does — else the web PKI roots).
pub async fn fetch(
    url: &str,
    task_id: &str,
    token: &str,
    ca_file: Option<&Path>,
) -> Result<Vec<u8>, FetchError> {
    let client = crate::http::client(&crate::http::ClientSetup {
        ca_file,
        timeout: Some(std::time::Duration::from_secs(60)),
        ..crate::http::ClientSetup::default()
    })
    .map_err(|e| FetchError::Client {
        url: url.to_string(),
        message: e.to_string(),
    })?;
    let request = |message: String| FetchError::Request {
        url: url.to_string(),
        message,
    };
    let response = client
        .get(url)
        .header(TASK_HEADER, task_id)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| request(crate::http::error_chain(&e)))?;
    let status = response.status().as_u16();
    let why = match status {
        200 => "",
        401 => "the task's token is not valid for this appmaster (was it restarted since the launch?)",
        410 => "this task's secrets were fetched already: by an earlier run of this task, or by someone who read its token",
        404 => "the appmaster serves no secrets at this address (restarted since the launch?)",
        _ => "unexpected answer",
    };
    if status != 200 {
        return Err(FetchError::Refused {
            url: url.to_string(),
            status,
            why,
        });
    }
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .map_err(|e| request(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_task_and_verified() {
        let key = TokenKey::generate().unwrap();
        let other = TokenKey::generate().unwrap();
        let t1 = key.token("taskmanager-00001");
        assert_eq!(t1.len(), 64);
        assert!(key.verify("taskmanager-00001", &t1));
        assert!(!key.verify("taskmanager-00002", &t1));
        assert!(!other.verify("taskmanager-00001", &t1));
        assert!(!key.verify("taskmanager-00001", "zz"));
        assert!(!key.verify("taskmanager-00001", ""));
        assert_eq!(format!("{key:?}"), "TokenKey(******)");
    }

    #[test]
    fn the_gate_gives_each_task_its_bundle_once() {
        let key = TokenKey::generate().unwrap();
        let gate = Gate::new(b"bundle".to_vec(), key.clone());
        let token = key.token("t1");
        assert_eq!(gate.take(None, Some(&token)), Err(Refusal::Unauthorized));
        assert_eq!(gate.take(Some("t1"), None), Err(Refusal::Unauthorized));
        assert_eq!(
            gate.take(Some("t2"), Some(&token)),
            Err(Refusal::Unauthorized)
        );
        assert_eq!(gate.take(Some("t1"), Some(&token)), Ok(&b"bundle"[..]));
        assert_eq!(
            gate.take(Some("t1"), Some(&token)),
            Err(Refusal::AlreadyDelivered)
        );
    }

    #[test]
    fn a_bundle_round_trips_with_file_values_pointing_at_the_copies() {
        let dir = tempfile::tempdir().unwrap();
        let ks = dir.path().join("ks.jks");
        std::fs::write(&ks, b"key material").unwrap();
        let bundle = Bundle {
            entries: BTreeMap::from([
                ("security.ssl.keystore-password".into(), "pw \"x\"".into()),
                (
                    "security.ssl.internal.keystore".into(),
                    "files/ssl-internal-keystore.jks".into(),
                ),
            ]),
            files: vec![("ssl-internal-keystore.jks".into(), ks)],
            generated: vec![(
                "zookeeper-jaas.conf".into(),
                crate::config::secret::Secret::new("Client { … };"),
            )],
        };
        let tar = bundle.to_tar().unwrap();
        let out = dir.path().join("out");
        crate::flink::conf::private_dir(&out).unwrap();
        let unpacked = unpack(&tar, &out).unwrap();
        let copy = out.join("ssl-internal-keystore.jks");
        assert_eq!(std::fs::read(&copy).unwrap(), b"key material");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(unpacked.entries_yaml.contains(&format!(
            "\"security.ssl.internal.keystore\": \"{}\"",
            copy.display()
        )));
        assert!(unpacked
            .entries_yaml
            .contains(r#""security.ssl.keystore-password": "pw \"x\"""#));
        // A bundle naming anything but a plain file name is refused.
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        builder
            .append_data(&mut header, "files/a b", &b"y"[..])
            .unwrap();
        let evil = builder.into_inner().unwrap();
        assert!(unpack(&evil, &out).is_err());
    }
}
