//! Several "hosts" on this one machine, for the multi-host tests (issue 25):
//! a network namespace per host, joined by a bridge, each with an address
//! of its own (`10.231.N.1`, `.2`, `.3`), its own `/etc/hosts`
//! (`/etc/netns/NAME/hosts`, which `ip netns exec` mounts over `/etc/hosts`)
//! and its own host name (a UTS namespace per process tree). The test
//! process itself (the operator's workstation) joins the bridge as
//! `10.231.N.254`, so it reaches every host's ports directly.
//!
//! Every topology takes a subnet `N` of its own: the hub namespace
//! `fmN-hub` is created first and serves as the lock (`ip netns add` fails
//! when the name exists), so tests in parallel processes never share a
//! subnet or a name. Dropping the topology kills what still runs on its
//! hosts (by pid, from `ip netns pids`), deletes the namespaces, the workstation's link and `/etc/netns/NAME`.
//!
//! Needs root and `ip netns` (iproute2) with veth and bridge links:
//! [`Topology::unavailable`] says why a machine cannot, and the tests print
//! that reason and return.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// One host of a [`Topology`].
#[derive(Debug, Clone)]
pub struct Host {
    /// The network namespace (`fmN-a`).
    pub ns: String,
    /// Its host name (`hosta`), set in each process tree started on it.
    pub name: String,
    /// Its address on the bridge.
    pub ip: String,
}

impl Host {
    /// A command that runs `program` on this host: in its network namespace
    /// (and so with its hosts file), with its host name. Arguments added to
    /// the returned command go to `program`. `exec` all the way down, so the
    /// child's pid is `program`'s.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        // By its path: a bare environment (PATH=/usr/bin:/bin) has no sbin.
        let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("ip");
        let mut command = Command::new(ip);
        command
            .args(["netns", "exec", &self.ns, "unshare", "--uts", "sh", "-c"])
            .arg("hostname \"$0\" && exec \"$@\"")
            .arg(&self.name)
            .arg(program);
        command
    }

    /// Runs `sh -c script` on this host and returns its output.
    pub fn sh(&self, script: &str) -> Output {
        self.command("sh")
            .args(["-c", script])
            .output()
            .expect("ip netns exec")
    }

    /// The path of this host's `/etc/hosts`.
    pub fn hosts_file(&self) -> PathBuf {
        Path::new("/etc/netns").join(&self.ns).join("hosts")
    }

    /// Replaces this host's `/etc/hosts` with `content`.
    pub fn set_hosts(&self, content: &str) {
        std::fs::write(self.hosts_file(), content).expect("write /etc/netns/NAME/hosts");
    }
}

pub struct Topology {
    pub hosts: Vec<Host>,
    /// `10.231.N`: the hosts' /24.
    pub net: String,
    hub: String,
    /// The workstation's end of its link (in this process's namespace).
    link: String,
}

/// Runs `ip ARGS`; the error output when it fails.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Topology {
    /// Why this machine cannot make network namespaces, if it cannot.
    pub fn unavailable() -> Option<String> {
        // SAFETY: geteuid(2) cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Some("needs root for network namespaces (ip netns)".into());
        }
        let probe = format!("fmprobe{}", std::process::id());
        let made = ip(&["netns", "add", &probe]);
        let _ = ip(&["netns", "del", &probe]);
        if let Err(e) = made {
            return Some(format!("cannot make a network namespace: {e}"));
        }
        if Command::new("unshare")
            .args(["--uts", "true"])
            .status()
            .map_or(true, |s| !s.success())
        {
            return Some("cannot make a UTS namespace (unshare --uts)".into());
        }
        None
    }

    /// Hosts named `names` (`hosta`, …) at `10.231.N.1`, `.2`, …; every
    /// hosts file names every host with its address (see
    /// [`Topology::hosts_entries`]) until a test replaces one.
    pub fn new(names: &[&str]) -> Topology {
        assert!(names.len() < 10, "at most 9 hosts");
        let seed = std::process::id().wrapping_mul(2_654_435_761);
        for _ in 0..250 {
            let n = (seed.wrapping_add(COUNTER.fetch_add(1, Ordering::SeqCst) * 97)) % 250 + 1;
            let hub = format!("fm{n}-hub");
            // Taken by another test (or a leftover): try the next subnet.
            if ip(&["netns", "add", &hub]).is_err() {
                continue;
            }
            let mut topology = Topology {
                hosts: Vec::new(),
                net: format!("10.231.{n}"),
                hub,
                link: format!("fm{n}-ws"),
            };
            if let Err(e) = topology.build(n, names) {
                drop(topology);
                panic!("cannot build the network topology: {e}");
            }
            return topology;
        }
        panic!("no free subnet 10.231.N.0/24 (leftover namespaces? see ip netns list)");
    }

    fn build(&mut self, n: u32, names: &[&str]) -> Result<(), String> {
        let hub = self.hub.clone();
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &hub, "link", "set", "br0", "up"])?;
        // One veth per host: `fmN-a0` in the host, `fmN-ha` on the bridge.
        let attach = |inside: &str, port: &str| -> Result<(), String> {
            ip(&["link", "add", inside, "type", "veth", "peer", "name", port])?;
            ip(&["link", "set", port, "netns", &hub])?;
            ip(&["-n", &hub, "link", "set", port, "master", "br0"])?;
            ip(&["-n", &hub, "link", "set", port, "up"])
        };
        for (i, name) in names.iter().enumerate() {
            let letter = (b'a' + i as u8) as char;
            let host = Host {
                ns: format!("fm{n}-{letter}"),
                name: name.to_string(),
                ip: format!("10.231.{n}.{}", i + 1),
            };
            ip(&["netns", "add", &host.ns])?;
            // Recorded at once: a failure below still cleans it up.
            self.hosts.push(host.clone());
            std::fs::create_dir_all(Path::new("/etc/netns").join(&host.ns))
                .map_err(|e| format!("/etc/netns/{}: {e}", host.ns))?;
            let dev = format!("fm{n}-{letter}0");
            attach(&dev, &format!("fm{n}-h{letter}"))?;
            ip(&["link", "set", &dev, "netns", &host.ns])?;
            ip(&[
                "-n",
                &host.ns,
                "addr",
                "add",
                &format!("{}/24", host.ip),
                "dev",
                &dev,
            ])?;
            ip(&["-n", &host.ns, "link", "set", &dev, "up"])?;
            ip(&["-n", &host.ns, "link", "set", "lo", "up"])?;
        }
        let port = format!("fm{n}-hw");
        attach(&self.link, &port)?;
        ip(&[
            "addr",
            "add",
            &format!("{}.254/24", self.net),
            "dev",
            &self.link,
        ])?;
        ip(&["link", "set", &self.link, "up"])?;
        let entries = self.hosts_entries();
        for host in &self.hosts {
            host.set_hosts(&format!("127.0.0.1 localhost\n::1 localhost\n{entries}"));
        }
        Ok(())
    }

    /// `ADDRESS NAME` lines for every host.
    pub fn hosts_entries(&self) -> String {
        self.hosts
            .iter()
            .map(|h| format!("{} {}\n", h.ip, h.name))
            .collect()
    }

    pub fn host(&self, i: usize) -> &Host {
        &self.hosts[i]
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        // Whatever still runs in a host (a task Mesos started in a session of
        // its own, a JVM a killed appmaster left behind) dies with it: the
        // processes are the tests' own, started on the test's hosts.
        for host in &self.hosts {
            if let Ok(out) = Command::new("ip")
                .args(["netns", "pids", &host.ns])
                .output()
            {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
        for host in &self.hosts {
            let _ = ip(&["netns", "del", &host.ns]);
            let _ = std::fs::remove_dir_all(Path::new("/etc/netns").join(&host.ns));
        }
        let _ = ip(&["link", "del", &self.link]);
        let _ = ip(&["netns", "del", &self.hub]);
    }
}
