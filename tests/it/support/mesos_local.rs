//! A genuine Mesos 1.11 master + agent (`../shared/mesos-local`), started with
//! its `start.sh` on a free loopback port and stopped with `stop.sh` on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct MesosLocal {
    pub url: String,
    dir: PathBuf,
    work: tempfile::TempDir,
    /// The agents' ports, held while the cluster runs.
    _ports: PortRange,
}

/// `../shared/mesos-local` next to the repository (as in CI), or
/// `$MESOS_LOCAL_DIR`.
fn harness_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MESOS_LOCAL_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mesos-local")
}

fn build_dir() -> PathBuf {
    match std::env::var_os("MESOS_LOCAL_BUILD_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
            .join(".cache/mesos-local/build"),
    }
}

/// The sandbox `.../executors/<task_id>/runs/latest` of the latest run of
/// task `task_id` below an agent work dir `root` (the layout of genuine
/// Mesos: `slaves/<agent>/frameworks/<fw>/executors/<executor>/runs/`), if
/// there is one. Command tasks: the executor id is the task id.
pub fn find_sandbox(root: &Path, task_id: &str) -> Option<PathBuf> {
    fn walk(dir: &Path, task_id: &str, depth: usize) -> Option<PathBuf> {
        if depth > 12 {
            return None;
        }
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            // `meta/` mirrors the sandbox tree with bookkeeping only.
            if !entry.file_type().ok()?.is_dir() || entry.file_name() == "meta" {
                continue;
            }
            if path.ends_with(Path::new("executors").join(task_id)) {
                let latest = path.join("runs/latest");
                return latest.exists().then_some(latest);
            }
            if let Some(found) = walk(&path, task_id, depth + 1) {
                return Some(found);
            }
        }
        None
    }
    walk(root, task_id, 0)
}

/// GET a JSON endpoint, e.g. `/master/state`, of the master at `url`.
pub async fn get_json(url: &str, path: &str) -> serde_json::Value {
    let body = reqwest::get(format!("{url}{path}"))
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    serde_json::from_slice(&body).expect("JSON")
}

/// The agent resources of a cluster unless a test asks for others: 4 cpus,
/// 4 GB, 10 GB disk and the cluster's `ports`.
pub fn agent_resources(ports: &PortRange) -> String {
    format!("cpus:4;mem:4096;disk:10240;{}", ports.resource())
}

/// One of 50 ranges of 200 ports below the ephemeral range (where outgoing
/// connections take ports), the agents' of one cluster alone: held with an
/// exclusive `flock` on a file per range for as long as this value lives,
/// so that clusters of tests running at once (nextest: other processes)
/// never offer the same ports to two TaskManagers. (A range picked from a
/// hash of the master's port collided once in a while.)
pub struct PortRange {
    pub begin: u32,
    _lock: std::fs::File,
}

impl PortRange {
    /// A free range, trying the one `seed` points at first.
    pub fn claim(seed: u16) -> PortRange {
        use std::os::fd::AsRawFd;
        let dir = std::env::temp_dir().join("flink-mesos-it-port-ranges");
        std::fs::create_dir_all(&dir).expect("port range lock directory");
        let first = (u32::from(seed) * 7919) % 50;
        for i in 0..50 {
            let slot = (first + i) % 50;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(dir.join(format!("range-{slot}")))
                .expect("port range lock file");
            // SAFETY: flock(2) on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return PortRange {
                    begin: 20_000 + slot * 200,
                    _lock: file,
                };
            }
        }
        panic!("all 50 agent port ranges are held by running clusters");
    }

    /// The Mesos `ports` resource.
    pub fn resource(&self) -> String {
        format!("ports:[{}-{}]", self.begin, self.begin + 199)
    }
}

impl MesosLocal {
    /// Starts a cluster with one agent; `env` adds `MESOS_*` flags.
    pub fn start(env: &[(&str, &str)]) -> MesosLocal {
        Self::start_inner(env, false, None)
    }

    /// Starts a cluster with one agent on `host` of a network topology
    /// (`support::netns`), listening on its address, port 5050, with its
    /// host name (`LIBPROCESS_IP`, `MESOS_HOSTNAME`); its tasks run there.
    ///
    /// Another host has nothing of ours either: its agents get the bare
    /// environment of [`MesosLocal::start_bare`] (plus the host's own
    /// `LIBPROCESS_IP` and `MESOS_HOSTNAME`).
    pub fn start_on(host: &super::netns::Host, env: &[(&str, &str)]) -> MesosLocal {
        Self::start_inner(env, true, Some(host))
    }

    /// Like [`MesosLocal::start`], but the agents (and so every task) get a
    /// bare environment, as on a machine that has nothing of ours: `PATH`
    /// is `/usr/bin:/bin`, `HOME` an empty directory (no Flink cached in
    /// `~/.cache`), nothing else of the test's environment.
    pub fn start_bare(env: &[(&str, &str)]) -> MesosLocal {
        Self::start_inner(env, true, None)
    }

    fn start_inner(
        env: &[(&str, &str)],
        bare: bool,
        host: Option<&super::netns::Host>,
    ) -> MesosLocal {
        let dir = harness_dir();
        let start = dir.join("start.sh");
        assert!(
            start.exists(),
            "the Mesos harness is missing at {}; it comes with shared/ (set MESOS_LOCAL_DIR)",
            dir.display()
        );
        let binary = build_dir().join("bin/mesos-local");
        assert!(
            binary.exists(),
            "mesos-local is not built ({} is missing): run scripts/install-deps.sh",
            binary.display()
        );
        let work = tempfile::Builder::new()
            .prefix("flink-mesos-it-mesos-")
            .tempdir()
            .expect("temp dir");
        // A port can be taken between probing and binding; retry a few times.
        let mut last_error = String::new();
        for _ in 0..3 {
            // A host of its own has every port free.
            let (port, ip) = match host {
                Some(h) => (5050, h.ip.as_str()),
                None => (super::free_port(), "127.0.0.1"),
            };
            let mut cmd = match host {
                Some(h) => h.command("bash"),
                None => Command::new("bash"),
            };
            cmd.arg(&start).arg(port.to_string()).arg(work.path());
            if bare {
                let home = work.path().join("home");
                std::fs::create_dir_all(&home).expect("agent home");
                cmd.env_clear()
                    .env("PATH", "/usr/bin:/bin")
                    .env("HOME", home)
                    .env("MESOS_LOCAL_BUILD_DIR", build_dir());
            }
            if let Some(h) = host {
                cmd.env("LIBPROCESS_IP", &h.ip)
                    .env("MESOS_HOSTNAME", &h.name);
            }
            cmd.env("MESOS_LOCAL_START_TIMEOUT", "30");
            // Every cluster of a test run offers ports of its own: agents of
            // two clusters on this one host offering the same range would
            // hand the same port to two TaskManagers running at once.
            let range = PortRange::claim(port);
            let ports = range.resource();
            let mut resources = agent_resources(&range);
            for (k, v) in env {
                if *k == "MESOS_RESOURCES" {
                    resources = if v.contains("ports:") {
                        v.to_string()
                    } else {
                        format!("{v};{ports}")
                    };
                    continue;
                }
                cmd.env(k, v);
            }
            cmd.env("MESOS_RESOURCES", resources);
            let out = cmd.output().expect("cannot run start.sh");
            if out.status.success() {
                return MesosLocal {
                    url: format!("http://{ip}:{port}"),
                    dir,
                    work,
                    _ports: range,
                };
            }
            last_error = format!(
                "start.sh failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = Command::new("bash")
                .arg(dir.join("stop.sh"))
                .arg(work.path())
                .output();
        }
        panic!("cannot start mesos-local: {last_error}\n(run scripts/install-deps.sh)");
    }

    /// The sandbox of the latest run of task `task_id` (command tasks: the
    /// executor id is the task id), if an agent has one.
    pub fn sandbox(&self, task_id: &str) -> Option<PathBuf> {
        find_sandbox(&self.work.path().join("agents"), task_id)
    }

    /// GET a JSON endpoint of the master, e.g. `/master/state`.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        get_json(&self.url, path).await
    }

    /// Tasks of the active frameworks that the master reports TASK_RUNNING.
    pub async fn running_tasks(&self) -> usize {
        let state = self.get_json("/master/state").await;
        state["frameworks"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|f| f["tasks"].as_array().cloned().unwrap_or_default())
            .filter(|t| t["state"] == "TASK_RUNNING")
            .count()
    }

    /// The cluster's work directory: the agents' work dirs (sandboxes,
    /// fetcher cache) are below it.
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// Every file the agents' `/files` HTTP API serves, as anyone who can
    /// reach an agent reads them: each directory `/files/debug` lists as
    /// attached, browsed recursively, each file downloaded. (path, content)
    pub async fn files_served(&self) -> Vec<(String, Vec<u8>)> {
        let client = reqwest::Client::new();
        let attached = self.get_json("/files/debug").await;
        let mut stack: Vec<String> = attached
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        let mut files = Vec::new();
        while let Some(dir) = stack.pop() {
            if !seen.insert(dir.clone()) {
                continue;
            }
            let listing: serde_json::Value = match client
                .get(format!("{}/files/browse", self.url))
                .query(&[("path", &dir)])
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    serde_json::from_slice(&r.bytes().await.unwrap_or_default()).unwrap_or_default()
                }
                _ => continue,
            };
            for entry in listing.as_array().into_iter().flatten() {
                let path = entry["path"].as_str().unwrap_or_default().to_string();
                if entry["mode"].as_str().is_some_and(|m| m.starts_with('d')) {
                    stack.push(path);
                    continue;
                }
                let body = client
                    .get(format!("{}/files/download", self.url))
                    .query(&[("path", &path)])
                    .send()
                    .await
                    .unwrap();
                assert!(body.status().is_success(), "GET /files/download {path}");
                files.push((path, body.bytes().await.unwrap().to_vec()));
            }
        }
        files
    }
}

/// Every regular file below `root` (not following links) with its content;
/// files over 64 MB are skipped (jars of a shipped distribution).
pub fn files_below(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() && entry.metadata().is_ok_and(|m| m.len() < 64 << 20) {
                out.push((
                    entry.path(),
                    std::fs::read(entry.path()).unwrap_or_default(),
                ));
            }
        }
    }
    out
}

/// Whether `haystack` contains `needle`.
pub fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

impl Drop for MesosLocal {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(self.dir.join("stop.sh"))
            .arg(self.work.path())
            .output();
    }
}
