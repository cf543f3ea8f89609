//! Processes of a local cluster, seen through `/proc`: starting a detached
//! child in its own session, recognising a recorded pid (a pid plus its
//! start time, so a reused pid is never signalled), finding what a process
//! left behind (descendants and members of its session), and stopping it.
//!
//! Invariant: nothing here signals a process unless its pid *and* start
//! time match what was recorded when it was started, or it was found as a
//! descendant / session member of such a process a moment before.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::procfs::stat;
pub use crate::procfs::Recorded;

/// Every live process id.
fn all_pids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .collect()
}

/// All descendants of `pid` and every process in the session `pid` leads
/// (children of a killed parent are re-parented, but keep their session
/// unless they started their own).
pub fn left_behind(pid: u32) -> BTreeSet<u32> {
    let table: Vec<(u32, u32, u32)> = all_pids()
        .into_iter()
        .filter_map(|p| stat(p).map(|(ppid, sid, _, _)| (p, ppid, sid)))
        .collect();
    // Start from the process and the members of its session; add every
    // descendant of those.
    let mut found: BTreeSet<u32> = table
        .iter()
        .filter(|(p, _, sid)| *sid == pid && *p != pid)
        .map(|(p, _, _)| *p)
        .collect();
    let mut frontier: Vec<u32> = found.iter().copied().chain([pid]).collect();
    while let Some(parent) = frontier.pop() {
        for (p, ppid, _) in &table {
            if *ppid == parent && *p != pid && found.insert(*p) {
                frontier.push(*p);
            }
        }
    }
    found
}

/// Processes whose Mesos sandbox (`MESOS_SANDBOX` in their environment,
/// which Mesos gives every executor and task) lies below `work_dir`: the
/// tasks of a local cluster, even when its Mesos died and they were
/// re-parented.
pub fn tasks_below(work_dir: &Path) -> BTreeSet<u32> {
    if work_dir.as_os_str().is_empty() {
        return BTreeSet::new();
    }
    let me = std::process::id();
    all_pids()
        .into_iter()
        .filter(|p| *p != me)
        .filter(|p| {
            environ_var(*p, "MESOS_SANDBOX").is_some_and(|s| Path::new(&s).starts_with(work_dir))
        })
        .collect()
}

/// The command line of a process, arguments joined by spaces.
pub fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// The value of `name` in a process' environment, when readable.
pub fn environ_var(pid: u32, name: &str) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{name}=");
    env.split(|b| *b == 0).find_map(|v| {
        v.strip_prefix(prefix.as_bytes())
            .map(|rest| String::from_utf8_lossy(rest).into_owned())
    })
}

fn signal(pid: u32, sig: i32) -> bool {
    // SAFETY: kill(2) has no memory effects; callers only pass pids they
    // recognised a moment ago (see the module invariant).
    unsafe { libc::kill(pid as libc::pid_t, sig) == 0 }
}

/// Starts `cmd` detached: its own session (so a Ctrl-C in the terminal of
/// `local up` does not reach it and it outlives the command), stdin from
/// /dev/null, stdout and stderr appended to `log`.
pub fn spawn_detached(mut cmd: Command, log: &Path) -> std::io::Result<Recorded> {
    use std::os::unix::process::CommandExt;
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let err = out.try_clone()?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: setsid(2) is async-signal-safe; nothing else runs between
    // fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    let pid = child.id();
    // The child is reaped by a thread so it never lingers as a zombie while
    // this process runs; once `local up` exits, init adopts it.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Recorded::of(pid).ok_or_else(|| std::io::Error::other(format!("pid {pid} ended at once")))
}

/// How stopping one process went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It was not running (any more).
    NotRunning,
    /// It ended after SIGTERM within the grace period.
    Terminated,
    /// It had to be killed.
    Killed,
}

/// SIGTERM, up to `grace` for it to end, then SIGKILL; afterwards SIGKILL
/// to whatever it left behind (descendants and session members seen before
/// and after the SIGTERM).
pub fn stop(rec: Recorded, grace: Duration) -> Stopped {
    if !rec.alive() {
        return Stopped::NotRunning;
    }
    let mut leftovers = left_behind(rec.pid);
    signal(rec.pid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    let mut outcome = Stopped::Terminated;
    while rec.alive() {
        // Children that appear meanwhile (e.g. a task being launched) count too.
        leftovers.extend(left_behind(rec.pid));
        if Instant::now() >= deadline {
            signal(rec.pid, libc::SIGKILL);
            outcome = Stopped::Killed;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    leftovers.extend(left_behind(rec.pid));
    kill_all(&leftovers);
    outcome
}

/// SIGKILL to each of `pids` that still runs, and whatever they left behind,
/// until none is left (bounded).
pub fn kill_all(pids: &BTreeSet<u32>) {
    let mut pending: BTreeSet<u32> = pids.clone();
    for _ in 0..50 {
        let recorded: Vec<Recorded> = pending.iter().filter_map(|p| Recorded::of(*p)).collect();
        let alive: Vec<Recorded> = recorded.into_iter().filter(|r| r.alive()).collect();
        if alive.is_empty() {
            return;
        }
        for r in &alive {
            pending.extend(left_behind(r.pid));
            signal(r.pid, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_a_detached_child_and_its_children() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 300 & sleep 300"]);
        let rec = spawn_detached(cmd, &dir.path().join("log")).expect("spawn");
        std::thread::sleep(Duration::from_millis(200));
        let kids = left_behind(rec.pid);
        assert!(!kids.is_empty(), "the shell's sleeps are found");
        assert_ne!(stop(rec, Duration::from_secs(5)), Stopped::NotRunning);
        std::thread::sleep(Duration::from_millis(100));
        assert!(!rec.alive());
        for k in kids {
            assert!(Recorded::of(k).is_none_or(|r| !r.alive()), "{k} survived");
        }
        assert_eq!(stop(rec, Duration::from_secs(1)), Stopped::NotRunning);
    }
}
