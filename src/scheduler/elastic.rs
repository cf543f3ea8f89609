//! Workers that follow demand: the policy and the JobManager's view that the
//! core ([`super::Scheduler`]) sizes the cluster by.
//!
//! The number of workers wanted is
//! `clamp(max(floor, ceil(required_slots / slots_per_worker)), ceiling)`:
//! * the **floor** is `mesos.initial-tasks` or the slots of
//!   `slotmanager.number-of-slots.min`, whichever is larger, until
//!   `flink-mesos workers scale N` sets it (stored, so it survives a restart
//!   or a failover);
//! * **required slots** come from the JobManager ([`FlinkView`], built by
//!   `crate::appmaster::demand` from Flink's REST API): what the jobs that
//!   are not finished need;
//! * the **ceiling** is `slotmanager.number-of-slots.max` in workers (never
//!   below the floor).
//!
//! A worker beyond that number is released (killed on purpose, not a
//! failure, not replaced) only once its TaskManager has had no allocated
//! slot for `resourcemanager.taskmanager-timeout`, as the JobManager last
//! reported it, and only while that report is fresh: a worker that holds a
//! slot is never released, and while the JobManager does not answer nothing
//! is released at all (its view is unknown, not empty).
//!
//! The same view says which TaskManagers registered: a worker RUNNING in
//! Mesos whose TaskManager has not registered within the registration bound
//! (Flink's `taskmanager.registration.timeout`) is given up, counted as a
//! failure and replaced.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// How the cluster follows demand (from the configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct Elastic {
    /// `taskmanager.numberOfTaskSlots`.
    pub slots_per_worker: u32,
    /// `slotmanager.number-of-slots.max` in workers; `None`: no ceiling.
    pub ceiling: Option<u32>,
    /// `resourcemanager.taskmanager-timeout`: idle this long, released.
    pub idle_timeout: Duration,
    /// A RUNNING worker whose TaskManager has not registered this long
    /// (while the JobManager answers) is given up; `None`: never.
    pub registration_timeout: Option<Duration>,
    /// A JobManager view older than this is stale: nothing is released on it.
    pub view_max_age: Duration,
}

impl Default for Elastic {
    fn default() -> Self {
        Elastic {
            slots_per_worker: 1,
            ceiling: None,
            idle_timeout: Duration::from_secs(30),
            registration_timeout: Some(Duration::from_secs(300)),
            view_max_age: Duration::from_secs(10),
        }
    }
}

impl Elastic {
    /// Workers needed to offer `slots` slots.
    pub fn workers_for(&self, slots: u64) -> u32 {
        let per = u64::from(self.slots_per_worker.max(1));
        u32::try_from(slots.div_ceil(per)).unwrap_or(u32::MAX)
    }
}

/// One TaskManager registered with the JobManager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Slots {
    pub total: u32,
    pub free: u32,
}

impl Slots {
    pub fn idle(&self) -> bool {
        self.free >= self.total
    }
}

/// What the JobManager reported in one observation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlinkView {
    /// Slots that the jobs that are not finished need in all.
    pub required_slots: u64,
    /// Registered TaskManagers by resource id (a worker's task id).
    pub taskmanagers: BTreeMap<String, Slots>,
    /// Jobs that are not finished, for the status view.
    pub active_jobs: u32,
}

/// Why a worker exists, for `/status` and `workers list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// One of the floor's workers.
    Floor,
    /// Started because jobs needed slots.
    Demand,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Floor => "floor",
            Reason::Demand => "demand",
        }
    }
}

/// Reasons for workers ordered by task number: the oldest `floor` are the
/// floor's, the rest demand's.
pub fn reasons<'a>(
    task_ids: impl IntoIterator<Item = &'a str>,
    floor: u32,
) -> BTreeMap<&'a str, Reason> {
    let mut ids: Vec<&str> = task_ids.into_iter().collect();
    ids.sort_by_key(|id| super::task_number(id).unwrap_or(u64::MAX));
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            let reason = if (i as u64) < u64::from(floor) {
                Reason::Floor
            } else {
                Reason::Demand
            };
            (id, reason)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_for_rounds_up() {
        let e = Elastic {
            slots_per_worker: 2,
            ..Elastic::default()
        };
        assert_eq!(e.workers_for(0), 0);
        assert_eq!(e.workers_for(1), 1);
        assert_eq!(e.workers_for(4), 2);
        assert_eq!(e.workers_for(5), 3);
        assert_eq!(e.workers_for(u64::MAX), u32::MAX);
    }

    #[test]
    fn the_oldest_workers_are_the_floor() {
        let r = reasons(
            [
                "taskmanager-00010",
                "taskmanager-00002",
                "taskmanager-00007",
            ],
            2,
        );
        assert_eq!(r["taskmanager-00002"], Reason::Floor);
        assert_eq!(r["taskmanager-00007"], Reason::Floor);
        assert_eq!(r["taskmanager-00010"], Reason::Demand);
    }
}
