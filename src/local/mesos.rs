//! Mesos for a local cluster: finding a genuine installation (or choosing
//! the embedded single-node Mesos, `--mesos embedded`, or `auto` when no
//! genuine one is found), composing
//! the `MESOS_*` environment a master and its agents read, and starting
//! them on a free loopback port.
//!
//! Where Mesos is looked for, first match wins:
//! 1. `$MESOS_HOME`: `bin/` or `sbin/` `mesos-local`, else `mesos-master`
//!    and `mesos-agent`; `etc/mesos/mesos-master-env.sh` and
//!    `mesos-agent-env.sh` are honoured when present (sourced by bash, the
//!    way Mesos's own `mesos-daemon.sh` does);
//! 2. `mesos-local`, else `mesos-master` + `mesos-agent`, on `PATH`;
//! 3. the build of `../shared/mesos-local` that `scripts/install-deps.sh`
//!    makes: `$MESOS_LOCAL_BUILD_DIR/bin/mesos-local`, default
//!    `~/.cache/mesos-local/build/bin/mesos-local`.
//!
//! Invariants: the master listens on 127.0.0.1 on a port chosen free, never
//! a fixed one (`MESOS_IP`, `MESOS_PORT`, `MESOS_MASTER`, `MESOS_ZK`,
//! `LIBPROCESS_IP/PORT` from the environment or the env files are
//! replaced); the agent's `ports` resource is a set of ports that were free
//! a moment before, so TaskManagers never collide with other services or
//! with another local cluster. There is one agent with room for every
//! TaskManager: `mesos-local` gives all its agents the same flags, so two
//! agents would offer the same ports on the same host.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use super::LocalError;

/// Which Mesos the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MesosMode {
    /// Genuine Mesos binaries; an error when none is found.
    Real,
    /// The embedded single-node Mesos (`flink-mesos local embedded-mesos`,
    /// [`crate::embedded`]): a development stand-in for one machine.
    Embedded,
    /// Real when found, else the embedded one.
    Auto,
}

/// A Mesos installation that was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installation {
    /// Master and agents in one process (`mesos-local`).
    OneProcess {
        binary: PathBuf,
        launcher_dir: Option<PathBuf>,
        env_files: Vec<PathBuf>,
    },
    /// `mesos-master` and `mesos-agent` as two processes.
    MasterAgent {
        master: PathBuf,
        agent: PathBuf,
        launcher_dir: Option<PathBuf>,
        master_env: Option<PathBuf>,
        agent_env: Option<PathBuf>,
    },
    /// The embedded single-node Mesos: this executable's hidden
    /// `local embedded-mesos` subcommand, one process like `mesos-local`.
    Embedded,
}

impl Installation {
    pub fn describe(&self) -> String {
        match self {
            Installation::OneProcess { binary, .. } => {
                format!("mesos-local ({})", binary.display())
            }
            Installation::MasterAgent { master, agent, .. } => format!(
                "mesos-master + mesos-agent ({}, {})",
                master.display(),
                agent.display()
            ),
            Installation::Embedded => {
                "embedded single-node Mesos (flink-mesos local embedded-mesos; a development \
                 stand-in for one machine)"
                    .to_string()
            }
        }
    }
}

fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn in_dirs(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| executable(p))
}

/// The helpers' directory (mesos-containerizer, mesos-executor, mesos-fetcher).
fn launcher_dir_for(binary: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let beside = binary.parent()?;
    if executable(&beside.join("mesos-containerizer")) {
        return Some(beside.to_path_buf());
    }
    let libexec = home?.join("libexec/mesos");
    libexec.is_dir().then_some(libexec)
}

/// Where to look; `env` is the environment to consult (for tests).
pub struct Search {
    pub mesos_home: Option<PathBuf>,
    pub path: Option<OsString>,
    pub harness_build: Option<PathBuf>,
}

impl Search {
    pub fn from_env() -> Search {
        let harness_build = std::env::var_os("MESOS_LOCAL_BUILD_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache/mesos-local/build"))
            });
        Search {
            mesos_home: std::env::var_os("MESOS_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            path: std::env::var_os("PATH"),
            harness_build,
        }
    }
}

const HOW_TO_GET: &str = "install Mesos and set MESOS_HOME (or put mesos-local, or mesos-master \
     and mesos-agent, on PATH), or run scripts/install-deps.sh, which builds a genuine Mesos 1.11 \
     from ../shared/mesos-local into ~/.cache/mesos-local/build";

/// Finds Mesos for `mode`: `Embedded` is always there; `Auto` is genuine
/// Mesos when one is found and the embedded one when none is (a
/// `MESOS_HOME` that holds no Mesos stays an error: it asks for genuine
/// Mesos).
pub fn find(mode: MesosMode, search: &Search) -> Result<Installation, LocalError> {
    match mode {
        MesosMode::Embedded => Ok(Installation::Embedded),
        MesosMode::Real => find_real(search),
        MesosMode::Auto => match find_real(search) {
            Err(LocalError::MesosNotFound(_)) if search.mesos_home.is_none() => {
                Ok(Installation::Embedded)
            }
            other => other,
        },
    }
}

/// Finds genuine Mesos binaries.
fn find_real(search: &Search) -> Result<Installation, LocalError> {
    if let Some(home) = &search.mesos_home {
        let dirs = [home.join("bin"), home.join("sbin")];
        let env_file = |name: &str| {
            let p = home.join("etc/mesos").join(name);
            p.is_file().then_some(p)
        };
        let (master_env, agent_env) = (
            env_file("mesos-master-env.sh"),
            env_file("mesos-agent-env.sh").or_else(|| env_file("mesos-slave-env.sh")),
        );
        if let Some(binary) = in_dirs(&dirs, "mesos-local") {
            return Ok(Installation::OneProcess {
                launcher_dir: launcher_dir_for(&binary, Some(home)),
                binary,
                env_files: master_env.into_iter().chain(agent_env).collect(),
            });
        }
        let master = in_dirs(&dirs, "mesos-master");
        let agent = in_dirs(&dirs, "mesos-agent").or_else(|| in_dirs(&dirs, "mesos-slave"));
        if let (Some(master), Some(agent)) = (master, agent) {
            return Ok(Installation::MasterAgent {
                launcher_dir: launcher_dir_for(&agent, Some(home)),
                master,
                agent,
                master_env,
                agent_env,
            });
        }
        return Err(LocalError::MesosNotFound(format!(
            "MESOS_HOME is {} but neither bin/ nor sbin/ holds mesos-local or mesos-master + \
             mesos-agent; fix MESOS_HOME or unset it ({HOW_TO_GET})",
            home.display()
        )));
    }
    let path_dirs: Vec<PathBuf> = search
        .path
        .as_ref()
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    if let Some(binary) = in_dirs(&path_dirs, "mesos-local") {
        return Ok(Installation::OneProcess {
            launcher_dir: launcher_dir_for(&binary, None),
            binary,
            env_files: Vec::new(),
        });
    }
    if let (Some(master), Some(agent)) = (
        in_dirs(&path_dirs, "mesos-master"),
        in_dirs(&path_dirs, "mesos-agent"),
    ) {
        return Ok(Installation::MasterAgent {
            launcher_dir: launcher_dir_for(&agent, None),
            master,
            agent,
            master_env: None,
            agent_env: None,
        });
    }
    if let Some(build) = &search.harness_build {
        let binary = build.join("bin/mesos-local");
        if executable(&binary) {
            return Ok(Installation::OneProcess {
                launcher_dir: Some(build.join("bin")),
                binary,
                env_files: Vec::new(),
            });
        }
    }
    Err(LocalError::MesosNotFound(format!(
        "no Mesos found (looked at MESOS_HOME, PATH and {}): {HOW_TO_GET}",
        search
            .harness_build
            .as_ref()
            .map_or("~/.cache/mesos-local/build".into(), |b| b
                .join("bin/mesos-local")
                .display()
                .to_string())
    )))
}

/// Environment variables as Mesos reads them: names after `MESOS_` are
/// case-insensitive (`MESOS_work_dir` is `MESOS_WORK_DIR`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MesosEnv {
    vars: BTreeMap<String, (String, String)>,
}

fn norm(name: &str) -> String {
    match name.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("MESOS_") => {
            format!("MESOS_{}", name[6..].to_ascii_uppercase())
        }
        _ => name.to_string(),
    }
}

impl MesosEnv {
    /// The `MESOS_*` and `LIBPROCESS_*` variables of `vars`.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> MesosEnv {
        let mut env = MesosEnv::default();
        for (k, v) in vars {
            if norm(&k).starts_with("MESOS_") || k.starts_with("LIBPROCESS_") {
                env.vars.insert(norm(&k), (k, v));
            }
        }
        env
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(&norm(name)).map(|(_, v)| v.as_str())
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.vars
            .insert(norm(name), (name.to_string(), value.into()));
    }

    pub fn set_default(&mut self, name: &str, value: impl Into<String>) {
        if self.get(name).is_none() {
            self.set(name, value);
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.vars.remove(&norm(name));
    }

    /// Every variable, with the spelling it was given in.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.values().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Applies this environment to `cmd`: every `MESOS_*`/`LIBPROCESS_*`
    /// variable of the current environment is removed first, so only these
    /// reach Mesos.
    pub fn apply(&self, cmd: &mut std::process::Command) {
        for (k, _) in std::env::vars_os() {
            if let Some(k) = k.to_str() {
                if norm(k).starts_with("MESOS_") || k.starts_with("LIBPROCESS_") {
                    cmd.env_remove(k);
                }
            }
        }
        cmd.envs(self.pairs());
    }
}

/// The environment after sourcing `files` in order with bash on top of the
/// current one (as `mesos-daemon.sh` does), restricted to Mesos' variables.
pub fn environment(files: &[&Path]) -> Result<MesosEnv, LocalError> {
    if files.is_empty() {
        return Ok(MesosEnv::from_vars(std::env::vars()));
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg("set -a; for f; do . \"$f\" >/dev/null || { echo \"$f failed\" >&2; exit 3; }; done; env -0")
        .arg("bash")
        .args(files)
        .output()
        .map_err(|e| LocalError::io(format!("cannot run bash to read {}", names.join(", ")), e))?;
    if !out.status.success() {
        return Err(LocalError::MesosNotFound(format!(
            "sourcing {} failed ({}): {}",
            names.join(", "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let vars = out.stdout.split(|b| *b == 0).filter_map(|kv| {
        let kv = String::from_utf8_lossy(kv);
        let (k, v) = kv.split_once('=')?;
        Some((k.to_string(), v.to_string()))
    });
    Ok(MesosEnv::from_vars(vars))
}

/// Ports that were free on 127.0.0.1 a moment ago, all different.
///
/// They are taken from below the kernel's ephemeral range
/// (`net.ipv4.ip_local_port_range`) and below 31000 (the agents' default
/// `ports` resource elsewhere on the machine): a port from the ephemeral
/// range could be handed to any process's outgoing connection or `bind(0)`
/// — a Flink JVM's own, say — between being chosen here and being bound by
/// the component it was chosen for. Falls back to the ephemeral range when
/// the kernel leaves nothing below it.
pub fn free_ports(n: usize) -> Result<Vec<u16>, LocalError> {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (low, high) = (15000u16, ephemeral_low.min(31000));
    let mut held: Vec<TcpListener> = Vec::with_capacity(n);
    if high > low + 1000 {
        let mut tries = 0;
        while held.len() < n && tries < 50 * n + 1000 {
            tries += 1;
            let port = fastrand::u16(low..high);
            if held
                .iter()
                .any(|l| l.local_addr().is_ok_and(|a| a.port() == port))
            {
                continue;
            }
            if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
                held.push(l);
            }
        }
    }
    while held.len() < n {
        held.push(
            TcpListener::bind("127.0.0.1:0")
                .map_err(|e| LocalError::io("cannot find a free port on 127.0.0.1", e))?,
        );
    }
    held.iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| LocalError::io("cannot find a free port on 127.0.0.1", e))
}

/// Mesos' range syntax for a set of ports: `[a-b,c-c]`, merged and sorted.
pub fn port_ranges(ports: &[u16]) -> String {
    let mut sorted = ports.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut ranges: Vec<(u16, u16)> = Vec::new();
    for p in sorted {
        match ranges.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(p) => *end = p,
            _ => ranges.push((p, p)),
        }
    }
    let inner: Vec<String> = ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect();
    format!("[{}]", inner.join(","))
}

/// What one agent must offer for `workers` TaskManagers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    pub workers: u32,
    pub cpus_per_task: f64,
    pub mem_mb_per_task: u64,
    pub disk_mb_per_task: u64,
    pub ports_per_task: usize,
}

/// `MESOS_RESOURCES` for the agent: room for every worker, one spare CPU
/// share and some memory for replacements, and `ports`.
pub fn resources(s: &Sizing, ports: &[u16]) -> String {
    let n = f64::from(s.workers.max(1));
    let cpus = (s.cpus_per_task * n * 10.0).ceil() / 10.0;
    let mem = s.mem_mb_per_task * u64::from(s.workers.max(1)) + 64;
    let disk = (s.disk_mb_per_task * u64::from(s.workers.max(1))).max(1024);
    format!(
        "cpus:{cpus};mem:{mem};disk:{disk};ports:{}",
        port_ranges(ports)
    )
}

/// The defaults `../shared/mesos-local/start.sh` uses for a loopback
/// cluster; values the environment or the env files give win.
pub fn apply_defaults(env: &mut MesosEnv, launcher_dir: Option<&Path>) {
    env.set_default("MESOS_LAUNCHER", "posix");
    env.set_default("MESOS_ISOLATION", "posix/cpu,posix/mem");
    env.set_default("MESOS_CONTAINERIZERS", "mesos");
    env.set_default("MESOS_SYSTEMD_ENABLE_SUPPORT", "false");
    env.set_default("MESOS_HTTP_COMMAND_EXECUTOR", "true");
    env.set_default("MESOS_REGISTRY", "in_memory");
    env.set_default("MESOS_HOSTNAME", "127.0.0.1");
    env.set_default("MESOS_LOGGING_LEVEL", "INFO");
    if let Some(dir) = launcher_dir {
        env.set_default("MESOS_LAUNCHER_DIR", dir.display().to_string());
    }
    // A local cluster is loopback-only and chooses its own ports.
    for name in [
        "MESOS_IP",
        "MESOS_PORT",
        "MESOS_MASTER",
        "MESOS_ZK",
        "LIBPROCESS_IP",
        "LIBPROCESS_PORT",
        "LIBPROCESS_ADVERTISE_IP",
        "LIBPROCESS_ADVERTISE_PORT",
    ] {
        env.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct_and_outside_the_ephemeral_range() {
        let ports = free_ports(40).unwrap();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 40);
        assert!(
            ports.iter().all(|p| (15000..31000).contains(p)),
            "{ports:?}"
        );
    }

    #[test]
    fn port_ranges_merge_neighbours() {
        assert_eq!(
            port_ranges(&[31005, 31001, 31002, 40000]),
            "[31001-31002,31005-31005,40000-40000]"
        );
        assert_eq!(port_ranges(&[]), "[]");
        assert_eq!(port_ranges(&[65535, 65534]), "[65534-65535]");
    }

    #[test]
    fn mesos_names_are_case_insensitive_after_the_prefix() {
        let mut env = MesosEnv::from_vars([
            ("MESOS_work_dir".to_string(), "/var/lib/mesos".to_string()),
            ("MESOS_MASTER".to_string(), "zk://zk:2181/mesos".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ]);
        assert_eq!(env.get("MESOS_WORK_DIR"), Some("/var/lib/mesos"));
        assert_eq!(env.get("PATH"), None);
        env.set_default("MESOS_WORK_DIR", "/tmp/x");
        assert_eq!(env.get("MESOS_work_dir"), Some("/var/lib/mesos"));
        apply_defaults(&mut env, Some(Path::new("/opt/mesos/bin")));
        assert_eq!(env.get("MESOS_MASTER"), None, "the master address is ours");
        assert_eq!(env.get("MESOS_LAUNCHER_DIR"), Some("/opt/mesos/bin"));
        // The spelling given is the spelling passed on.
        assert!(env.pairs().any(|(k, _)| k == "MESOS_work_dir"));
    }

    #[test]
    fn resources_fit_every_worker() {
        let s = Sizing {
            workers: 2,
            cpus_per_task: 0.5,
            mem_mb_per_task: 512,
            disk_mb_per_task: 0,
            ports_per_task: 2,
        };
        assert_eq!(
            resources(&s, &[31000, 31001, 31002, 31003]),
            "cpus:1;mem:1088;disk:1024;ports:[31000-31003]"
        );
    }

    #[test]
    fn env_files_are_sourced_with_bash() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let file = dir.join("mesos-master-env.sh");
        std::fs::write(
            &file,
            "export MESOS_work_dir=/srv/mesos\nMESOS_log_dir=/srv/log\n",
        )
        .unwrap();
        let agent = dir.join("mesos-agent-env.sh");
        std::fs::write(&agent, "export MESOS_master=m:5050\n").unwrap();
        let env = environment(&[&file, &agent]).unwrap();
        assert_eq!(env.get("MESOS_MASTER"), Some("m:5050"), "both files count");
        assert_eq!(env.get("MESOS_WORK_DIR"), Some("/srv/mesos"));
        assert_eq!(
            env.get("MESOS_LOG_DIR"),
            Some("/srv/log"),
            "set -a exports plain assignments"
        );
    }

    #[test]
    fn finds_the_harness_build_else_the_embedded_one() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let search = Search {
            mesos_home: None,
            path: Some(OsString::from("/nonexistent")),
            harness_build: Some(dir.clone()),
        };
        let err = find(MesosMode::Real, &search).unwrap_err().to_string();
        assert!(err.contains("scripts/install-deps.sh"), "{err}");
        assert_eq!(
            find(MesosMode::Auto, &search).unwrap(),
            Installation::Embedded,
            "no genuine Mesos: auto takes the embedded one"
        );
        std::fs::write(bin.join("mesos-local"), "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            bin.join("mesos-local"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        assert!(matches!(
            find(MesosMode::Real, &search).unwrap(),
            Installation::OneProcess { launcher_dir: Some(d), .. } if d == bin
        ));
        assert_eq!(
            find(MesosMode::Embedded, &search).unwrap(),
            Installation::Embedded
        );
    }
}
