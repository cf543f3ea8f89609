//! What this program reads from Linux's `/proc` about processes: a process
//! recognised by its pid *and* start time (so a reused pid is never taken
//! for the process that had it), and the identity of the machine and pid
//! namespace a pid belongs to (so a pid is only ever compared with pids of
//! the same namespace on the same boot).

use serde::{Deserialize, Serialize};

/// A process, recognisable later: its pid and start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub pid: u32,
    /// Field 22 of `/proc/<pid>/stat` (clock ticks since boot).
    pub start_time: u64,
}

/// `(ppid, session id, start time, state)` of a live process, from its `stat`.
pub(crate) fn stat(pid: u32) -> Option<(u32, u32, u64, char)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid pgrp session … ; comm may hold spaces and ')'.
    let rest = &s[s.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let sid = fields.get(3)?.parse().ok()?;
    // Field 22 overall; here field 1 is field 3 overall.
    let start = fields.get(19)?.parse().ok()?;
    Some((ppid, sid, start, state))
}

impl Recorded {
    /// Records a live process.
    pub fn of(pid: u32) -> Option<Recorded> {
        stat(pid).map(|(_, _, start_time, _)| Recorded { pid, start_time })
    }

    /// Whether the recorded process still runs (a zombie does not count).
    pub fn alive(&self) -> bool {
        matches!(stat(self.pid), Some((_, _, start, state)) if start == self.start_time && state != 'Z')
    }
}

/// Where pids mean something: this boot of this kernel and this pid
/// namespace. Two processes with equal `PidSpace`s can see each other's
/// pids; anything else (another machine, a reboot, another container) cannot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PidSpace {
    /// `/proc/sys/kernel/random/boot_id`.
    pub boot_id: String,
    /// The target of `/proc/self/ns/pid`, e.g. `pid:[4026531836]`.
    pub pid_ns: String,
}

impl PidSpace {
    /// This process's; `None` where `/proc` does not tell.
    pub fn this() -> Option<PidSpace> {
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        let pid_ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
        let (boot_id, pid_ns) = (boot_id.trim(), pid_ns.to_string_lossy());
        (!boot_id.is_empty() && !pid_ns.is_empty()).then(|| PidSpace {
            boot_id: boot_id.to_string(),
            pid_ns: pid_ns.into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_itself_and_not_a_reused_pid() {
        let me = Recorded::of(std::process::id()).expect("own stat");
        assert!(me.alive());
        let other = Recorded {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(
            !other.alive(),
            "same pid, other start time: not the same process"
        );
        assert!(PidSpace::this().is_some());
    }
}
