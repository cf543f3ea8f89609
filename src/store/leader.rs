//! Leader election among appmasters that share one worker store.
//!
//! Each contender creates an ephemeral sequential latch under
//! `<base>/leader` (Curator's `LeaderLatch` naming: `_c_<uuid>-latch-<seq>`)
//! whose data is a [`LeaderInfo`] in JSON; the lowest sequence leads, every
//! other contender watches its predecessor and waits. The leader's latch is
//! also its fencing token: [`super::zk::ZkStore::for_leader`] checks it in
//! every write, so a deposed leader cannot write.
//!
//! Invariants:
//! * leadership is lost when the session ends (expired, closed, auth
//!   failed), when the latch is deleted, or when the connection stays lost
//!   for half the session timeout — by then the server may have expired the
//!   session and a standby may lead, so the old leader must stop acting;
//!   [`Leadership::lost`] publishes the reason once;
//! * a connection loss shorter than that keeps the leadership (the session
//!   survives it; writes wait for it in the store);
//! * [`Leadership::resign`] deletes the latch so a standby takes over at once
//!   instead of after the session timeout;
//! * a latch whose owner is provably dead is deleted by the next contender
//!   instead of waiting out the owner's session (an appmaster killed with -9
//!   and restarted by systemd or Marathon on the same machine leads again at
//!   once). Provably dead: same host name, same boot and pid namespace
//!   ([`PidSpace`]), and no live process with that pid and start time. A
//!   latch of another machine or container is never touched: only its
//!   session's expiry proves its owner gone. The dead owner cannot write
//!   (writes are fenced by the latch), so nothing races.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use zookeeper_client as zkc;

use super::record;
use super::zk::{Zk, LEADER};
use super::StoreError;
use crate::procfs::{PidSpace, Recorded};

/// Who leads (or contends): the data of a latch node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderInfo {
    pub host: String,
    pub pid: u32,
    /// RFC 3339: when this contender started campaigning; once it leads,
    /// when it began to lead.
    pub since: String,
    /// The contender's status endpoint, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Where `pid` means something, and the process's start time: lets a
    /// contender on the same machine prove this one dead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessIdentity>,
}

/// A process, identified beyond its pid (see [`LeaderInfo::provably_dead`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessIdentity {
    #[serde(flatten)]
    pub space: PidSpace,
    /// Field 22 of `/proc/<pid>/stat`.
    pub start_time: u64,
}

impl LeaderInfo {
    pub fn this_process(host: &str, status: Option<String>) -> LeaderInfo {
        LeaderInfo {
            host: host.to_string(),
            pid: std::process::id(),
            since: record::rfc3339(SystemTime::now()),
            status,
            process: PidSpace::this()
                .zip(Recorded::of(std::process::id()))
                .map(|(space, me)| ProcessIdentity {
                    space,
                    start_time: me.start_time,
                }),
        }
    }

    /// Whether `self` (another contender's latch data) describes a process
    /// that `me` can prove dead: same host, boot and pid namespace, and no
    /// process with its pid and start time any more.
    pub fn provably_dead(&self, me: &LeaderInfo) -> bool {
        let (Some(other), Some(mine)) = (&self.process, &me.process) else {
            return false;
        };
        if self.host != me.host || other.space != mine.space {
            return false;
        }
        if self.pid == me.pid && other.start_time == mine.start_time {
            return false;
        }
        !Recorded {
            pid: self.pid,
            start_time: other.start_time,
        }
        .alive()
    }
}

impl std::fmt::Display for LeaderInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (pid {}, since {})", self.host, self.pid, self.since)
    }
}

const LATCH_NAME: &str = "latch-";

fn sequence(name: &str) -> Option<u64> {
    let (_, seq) = name.rsplit_once(LATCH_NAME)?;
    seq.parse().ok()
}

/// The current leader: its latch path and what it says about itself (`None`
/// data when unreadable). `None` when nobody contends.
pub async fn current_leader(zk: &Zk) -> Result<Option<(String, Option<LeaderInfo>)>, StoreError> {
    let dir = zk.path(LEADER);
    loop {
        let children = match zk.bounded(zk.client().list_children(&dir)).await {
            Ok(c) => c,
            Err(zkc::Error::NoNode) => return Ok(None),
            Err(e) => return Err(zk.error(&dir, e)),
        };
        let Some(first) = children
            .iter()
            .filter_map(|c| Some((sequence(c)?, c)))
            .min()
            .map(|(_, c)| format!("{dir}/{c}"))
        else {
            return Ok(None);
        };
        match zk.bounded(zk.client().get_data(&first)).await {
            Ok((data, _)) => return Ok(Some((first, serde_json::from_slice(&data).ok()))),
            // It went away between listing and reading: look again.
            Err(zkc::Error::NoNode) => continue,
            Err(e) => return Err(zk.error(&first, e)),
        }
    }
}

/// This process leads; dropping it (or [`Leadership::resign`]) gives it up.
pub struct Leadership {
    lock: Option<zkc::OwnedLockClient>,
    latch: String,
    lost: watch::Receiver<Option<String>>,
    monitor: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("latch", &self.latch)
            .finish()
    }
}

impl Leadership {
    /// The latch path: the fencing token for [`super::zk::ZkStore::for_leader`].
    pub fn latch(&self) -> &str {
        &self.latch
    }

    /// `Some(reason)` once the leadership is lost.
    pub fn lost(&self) -> watch::Receiver<Option<String>> {
        self.lost.clone()
    }

    /// Resolves with the reason when the leadership is lost.
    pub async fn wait_lost(&self) -> String {
        let mut lost = self.lost.clone();
        let reason = match lost.wait_for(|l| l.is_some()).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            Err(_) => "the leadership monitor ended".into(),
        };
        reason
    }

    /// Deletes the latch without giving the handle up (the monitor then
    /// reports the leadership as lost).
    pub async fn release(&self) {
        if let Some(lock) = &self.lock {
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                lock.client().delete(&self.latch, None),
            )
            .await;
        }
    }

    /// Deletes the latch (a standby takes over at once).
    pub async fn resign(mut self) {
        self.monitor.abort();
        if let Some(lock) = self.lock.take() {
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                lock.client().delete(&self.latch, None),
            )
            .await;
            // Dropping deletes in the background too; the node is gone already.
            drop(lock);
        }
    }
}

impl Drop for Leadership {
    fn drop(&mut self) {
        self.monitor.abort();
    }
}

/// Waits until this process leads. `waiting` is told who leads meanwhile
/// (once per leader seen). Cancel-safe: dropping the future withdraws.
pub async fn campaign(
    zk: &Zk,
    info: &LeaderInfo,
    mut waiting: impl FnMut(Option<&LeaderInfo>) + Send,
) -> Result<Leadership, StoreError> {
    zk.ensure_layout().await?;
    let dir = zk.path(LEADER);
    remove_dead_latches(zk, info).await;
    let data = serde_json::to_vec(info).unwrap_or_default();
    let acls = zk.acls();
    let prefix = zkc::LockPrefix::new_curator(&dir, LATCH_NAME).map_err(|e| zk.error(&dir, e))?;
    let lock = zk.client().lock(prefix, &data, zkc::LockOptions::new(acls));
    tokio::pin!(lock);
    // Report who leads while we wait (checked now and then: the lock's own
    // watch is on the predecessor, which need not be the leader).
    let mut reported: Option<String> = None;
    let mut look = tokio::time::interval(Duration::from_secs(2));
    let lock = loop {
        tokio::select! {
            acquired = &mut lock => break acquired.map_err(|e| match e {
                zkc::Error::RuntimeInconsistent => StoreError::Unavailable(format!(
                    "the leader election directory {dir} was removed while waiting"
                )),
                e => zk.error(&dir, e),
            })?,
            _ = look.tick() => {
                remove_dead_latches(zk, info).await;
                if let Ok(Some((latch, leader))) = current_leader(zk).await {
                    if reported.as_deref() != Some(latch.as_str())
                        && leader.as_ref() != Some(info)
                    {
                        waiting(leader.as_ref());
                        reported = Some(latch);
                    }
                }
            }
        }
    };
    let lock = lock.into_owned();
    let latch = lock.lock_path().to_string();
    // From now on `since` says when this process began to lead, not when
    // it began to wait (best effort: the latch is ours either way).
    let leading = LeaderInfo {
        since: record::rfc3339(SystemTime::now()),
        ..info.clone()
    };
    if let Ok(data) = serde_json::to_vec(&leading) {
        let _ = zk.bounded(zk.client().set_data(&latch, &data, None)).await;
    }
    let (tx, rx) = watch::channel(None);
    let grace = zk.config().session_timeout / 2;
    let monitor = tokio::spawn(monitor(zk.client().clone(), latch.clone(), grace, tx));
    Ok(Leadership {
        lock: Some(lock),
        latch,
        lost: rx,
        monitor,
    })
}

/// Deletes the latches of contenders that `me` can prove dead (see the
/// module's invariants). Best effort: any ZooKeeper error leaves the latch
/// to its session's expiry.
async fn remove_dead_latches(zk: &Zk, me: &LeaderInfo) {
    let dir = zk.path(LEADER);
    let Ok(children) = zk.bounded(zk.client().list_children(&dir)).await else {
        return;
    };
    for child in children {
        let path = format!("{dir}/{child}");
        let Ok((data, stat)) = zk.bounded(zk.client().get_data(&path)).await else {
            continue;
        };
        let Ok(other) = serde_json::from_slice::<LeaderInfo>(&data) else {
            continue;
        };
        if other.provably_dead(me)
            && zk
                .bounded(zk.client().delete(&path, Some(stat.version)))
                .await
                .is_ok()
        {
            tracing::warn!(
                latch = %path,
                owner = %other,
                "removed the leader latch of an appmaster on this machine that is dead \
                 (killed?), instead of waiting for its ZooKeeper session to expire"
            );
        }
    }
}

async fn monitor(
    client: zkc::Client,
    latch: String,
    grace: Duration,
    tx: watch::Sender<Option<String>>,
) {
    let states = client.state_watcher();
    let session = watch_session(states, grace);
    tokio::pin!(session);
    let reason = loop {
        tokio::select! {
            reason = &mut session => break reason,
            gone = latch_gone(&client, &latch) => match gone {
                Some(reason) => break reason,
                // Re-arm after a session event or an error (not too eagerly).
                None => tokio::time::sleep(Duration::from_millis(200)).await,
            },
        }
    };
    tracing::error!(reason = %reason, "lost the leadership");
    tx.send_replace(Some(reason));
}

/// Resolves when the session ends, or stays disconnected beyond `grace`.
async fn watch_session(mut states: zkc::StateWatcher, grace: Duration) -> String {
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut state = states.state();
    loop {
        match state {
            zkc::SessionState::Disconnected => {
                if deadline.is_none() {
                    tracing::warn!(grace = ?grace, "disconnected from ZooKeeper; still leading while the session may live");
                }
                deadline.get_or_insert_with(|| tokio::time::Instant::now() + grace);
            }
            zkc::SessionState::SyncConnected if deadline.is_some() => {
                deadline = None;
                tracing::info!("reconnected to ZooKeeper; the session survived");
            }
            s if s.is_terminated() => return format!("the ZooKeeper session ended ({s})"),
            _ => {}
        }
        state = match deadline {
            Some(d) => match tokio::time::timeout_at(d, states.changed()).await {
                Ok(s) => s,
                Err(_) => {
                    return format!(
                        "disconnected from ZooKeeper for longer than {grace:?} (half the session \
                         timeout): another appmaster may lead by now"
                    )
                }
            },
            None => states.changed().await,
        };
    }
}

/// `Some(reason)` when the latch is gone; `None` to look again.
async fn latch_gone(client: &zkc::Client, latch: &str) -> Option<String> {
    let gone = || Some(format!("the leader latch {latch} was deleted"));
    match client.check_and_watch_stat(latch).await {
        Ok((None, _)) => gone(),
        Ok((Some(_), watcher)) => {
            let event = watcher.changed().await;
            (event.event_type == zkc::EventType::NodeDeleted)
                .then(gone)
                .flatten()
        }
        // Connection trouble: `watch_session` decides when it is fatal.
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dead_child() -> u32 {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    }

    #[test]
    fn only_a_dead_process_of_this_machine_and_namespace_is_provably_dead() {
        let me = LeaderInfo::this_process("am-1", None);
        let identity = me.process.clone().expect("this process's identity");
        // Ourselves, and a live process: never dead.
        assert!(!me.provably_dead(&me));
        let live = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let live_start = Recorded::of(live.id()).expect("stat").start_time;
        let live_info = LeaderInfo {
            pid: live.id(),
            process: Some(ProcessIdentity {
                start_time: live_start,
                ..identity.clone()
            }),
            ..me.clone()
        };
        assert!(!live_info.provably_dead(&me));
        // A dead one on this machine: dead.
        let dead = LeaderInfo {
            pid: dead_child(),
            ..me.clone()
        };
        assert!(dead.provably_dead(&me));
        // The same pid alive but started at another time (reused): dead.
        // (Another start time than the live process's own: not this test
        // process's, which the sleep may share to the clock tick.)
        let reused = LeaderInfo {
            process: Some(ProcessIdentity {
                start_time: live_start + 1_000,
                ..identity.clone()
            }),
            ..live_info.clone()
        };
        assert!(reused.provably_dead(&me));
        // Another host, another boot, another pid namespace, or an old
        // record without identity: cannot tell, so never.
        let other_host = LeaderInfo {
            host: "am-2".into(),
            ..dead.clone()
        };
        assert!(!other_host.provably_dead(&me));
        for space in [
            PidSpace {
                boot_id: "another-boot".into(),
                ..identity.space.clone()
            },
            PidSpace {
                pid_ns: "pid:[1]".into(),
                ..identity.space.clone()
            },
        ] {
            let elsewhere = LeaderInfo {
                process: Some(ProcessIdentity {
                    space,
                    ..identity.clone()
                }),
                ..dead.clone()
            };
            assert!(!elsewhere.provably_dead(&me));
        }
        let old = LeaderInfo {
            process: None,
            ..dead.clone()
        };
        assert!(!old.provably_dead(&me));
        let mut live = live;
        let _ = live.kill();
        let _ = live.wait();
    }

    #[test]
    fn latch_data_without_the_identity_still_reads() {
        let old: LeaderInfo =
            serde_json::from_str(r#"{"host":"h","pid":1,"since":"2026-12-01T00:00:00Z"}"#)
                .expect("old latch data");
        assert_eq!(old.process, None);
        let me = LeaderInfo::this_process("h", None);
        let back: LeaderInfo =
            serde_json::from_slice(&serde_json::to_vec(&me).expect("json")).expect("read back");
        assert_eq!(back, me);
    }
}
