//! Unsatisfiable demand: workers pending while no offer fits them (or no
//! offer comes at all) for [`super::Timers::unsatisfiable_after`].
//!
//! The core keeps, per agent host, what its latest unused offer showed (the
//! usable amount of every resource a worker needs, and a hard constraint it
//! failed with the attribute value it had), forgets a host once one of its
//! offers fits, and starts afresh when a new wait begins (nothing pending
//! before: the REVIVE that follows clears the master's filters, so every
//! agent offers again). From that it says, in one sentence, what is missing
//! and what to change: the resource with what a worker needs and the largest
//! offer seen, the constraint with the attribute values seen, or the role
//! that no offer arrives for. Pure: time is an input; the WARN is repeated
//! with backoff from the tick, never per offer.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::config::options::Key;
use crate::mesos::Offer;

use super::matching::{describe, unmet_constraint, Remaining, WorkerResources};

/// The longest pause between two warnings about the same unsatisfied demand.
pub const WARN_MAX: Duration = Duration::from_secs(600);

/// What the latest unused offer of one host showed.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    /// Usable amount per resource name (`ports`: the number of ports).
    amounts: BTreeMap<String, f64>,
    /// The first hard constraint it failed: `(key, wanted, the value seen)`
    /// (`None`: the agent has no such attribute).
    constraint: Option<(String, String, Option<String>)>,
}

/// Demand that no offer satisfies, as `/status` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Unsatisfiable {
    /// Workers waiting for an offer.
    pub pending: u32,
    /// How long they have waited with no worker launched (seconds).
    pub waiting_seconds: f64,
    /// Agent hosts whose offers were seen and not used.
    pub hosts_seen: usize,
    /// What is missing and what to do.
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Starvation {
    /// Since when workers are pending with none launched (`None`: none
    /// pending).
    waiting_since: Option<Duration>,
    seen: BTreeMap<String, Seen>,
    /// Warnings given in this wait, and when the next one is due.
    warned: u32,
    next_warn_at: Duration,
}

impl Starvation {
    /// Pending workers at the end of a step: starts or ends a wait.
    pub fn pending(&mut self, pending: usize, now: Duration) {
        match (pending > 0, self.waiting_since) {
            (true, None) => {
                self.waiting_since = Some(now);
                self.seen.clear();
                self.warned = 0;
            }
            (false, Some(_)) => {
                if self.warned > 0 {
                    tracing::info!("the pending workers were placed: demand is satisfiable again");
                }
                self.waiting_since = None;
                self.warned = 0;
            }
            _ => {}
        }
    }

    /// A worker was launched, or the subscription is new: the wait starts
    /// again from now (what was seen stays).
    pub fn progress(&mut self, now: Duration) {
        if self.waiting_since.is_some() {
            self.waiting_since = Some(now);
            if self.warned > 0 {
                tracing::info!("a pending worker was placed");
            }
            self.warned = 0;
        }
    }

    /// An offer from which at least one worker was launched.
    pub fn fitted(&mut self, host: &str) {
        self.seen.remove(host);
    }

    /// An offer that failed the hard constraints.
    pub fn failed_constraint(&mut self, offer: &Offer, constraints: &[(String, String)]) {
        let Some((key, wanted)) = constraints
            .iter()
            .find(|c| unmet_constraint(&offer.attributes, std::slice::from_ref(*c)).is_some())
        else {
            return;
        };
        let value = offer
            .attributes
            .iter()
            .find(|a| &a.name == key)
            .map(|a| describe(&a.value));
        self.seen.insert(
            offer.hostname.clone(),
            Seen {
                amounts: BTreeMap::new(),
                constraint: Some((key.clone(), wanted.clone(), value)),
            },
        );
    }

    /// An offer in which not even one worker fits.
    pub fn too_small(&mut self, offer: &Offer, role: &str, need: &WorkerResources) {
        let usable = Remaining::new(offer, role);
        let mut amounts = BTreeMap::new();
        for (name, _) in needs(need) {
            let have = if name == "ports" {
                usable.free_ports() as f64
            } else {
                usable.scalar_total(&name)
            };
            amounts.insert(name, have);
        }
        self.seen.insert(
            offer.hostname.clone(),
            Seen {
                amounts,
                constraint: None,
            },
        );
    }

    /// The unsatisfied demand, once workers have waited `after` (connected).
    pub fn report(
        &self,
        pending: u32,
        role: &str,
        need: &WorkerResources,
        after: Duration,
        now: Duration,
    ) -> Option<Unsatisfiable> {
        let since = self.waiting_since?;
        let waited = now.saturating_sub(since);
        if pending == 0 || waited < after {
            return None;
        }
        Some(Unsatisfiable {
            pending,
            waiting_seconds: waited.as_secs_f64(),
            hosts_seen: self.seen.len(),
            reason: self.reason(pending, role, need, waited),
        })
    }

    /// Logs the report as a WARN when one is due (first after `after`, then
    /// with a doubling pause up to [`WARN_MAX`]).
    pub fn warn_if_due(&mut self, report: Option<&Unsatisfiable>, after: Duration, now: Duration) {
        let Some(r) = report else {
            return;
        };
        if self.warned > 0 && now < self.next_warn_at {
            return;
        }
        self.warned = self.warned.saturating_add(1);
        self.next_warn_at =
            now + super::backoff(after.max(Duration::from_secs(1)), WARN_MAX, self.warned);
        tracing::warn!(
            pending = r.pending,
            waited_s = r.waiting_seconds.round(),
            "demand cannot be satisfied: {}",
            r.reason
        );
    }

    fn reason(&self, pending: u32, role: &str, need: &WorkerResources, waited: Duration) -> String {
        let workers = if pending == 1 {
            "1 worker waits".to_string()
        } else {
            format!("{pending} workers wait")
        };
        let waited = waited.as_secs();
        if self.seen.is_empty() {
            let key = Key::MesosResourcemanagerFrameworkRole.name();
            return if role == "*" {
                format!(
                    "{workers} and no offer arrived in {waited} s: no agent has free resources \
                     (none registered, or other frameworks hold them); check the agents in the \
                     master's /master/state"
                )
            } else {
                format!(
                    "{workers} and no offer arrived in {waited} s for role `{role}` ({key}): no \
                     agent has unreserved resources or resources reserved for `{role}` that are \
                     free; check the agents' resources and reservations in the master's \
                     /master/state, the role's quota and weight, or use another role"
                )
            };
        }
        let mut parts = Vec::new();
        // Constraints that no agent meets.
        let mut constraints: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for (host, s) in &self.seen {
            if let Some((key, wanted, value)) = &s.constraint {
                let v = value.clone().unwrap_or_else(|| "absent".into());
                constraints
                    .entry((key.clone(), wanted.clone()))
                    .or_default()
                    .insert(format!("{v} on {host}"));
            }
        }
        for ((key, wanted), values) in &constraints {
            parts.push(format!(
                "no agent meets the constraint {key}:{wanted} ({}); the values of `{key}` seen: \
                 {}",
                Key::MesosConstraintsHardHostattribute.name(),
                values.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        // Resources that no offer had enough of.
        let sized: Vec<(&String, &Seen)> = self
            .seen
            .iter()
            .filter(|(_, s)| s.constraint.is_none())
            .collect();
        let mut short_any = false;
        for (name, amount) in needs(need) {
            let largest = sized
                .iter()
                .filter_map(|(host, s)| s.amounts.get(&name).map(|a| (*a, host.as_str())))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let Some((have, host)) = largest else {
                continue;
            };
            if have + 1e-9 < amount {
                short_any = true;
                parts.push(format!(
                    "a worker needs {} but the largest offer had {} (from {host}); {}",
                    fmt_amount(&name, amount),
                    fmt_amount(&name, have),
                    fix(&name)
                ));
            }
        }
        if !short_any && !sized.is_empty() {
            let hosts: Vec<&str> = sized.iter().map(|(h, _)| h.as_str()).collect();
            parts.push(format!(
                "no single offer has everything a worker needs at once ({}) although each \
                 resource is offered somewhere (offers from {}); lower what a worker needs or \
                 free resources on one agent",
                needs(need)
                    .iter()
                    .map(|(n, a)| fmt_amount(n, *a))
                    .collect::<Vec<_>>()
                    .join(", "),
                hosts.join(", ")
            ));
        }
        format!(
            "{workers} and no offer fitted in {waited} s: {}",
            parts.join("; ")
        )
    }
}

/// What one worker needs, by resource name (only the non-zero ones).
fn needs(need: &WorkerResources) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = [
        ("cpus", need.cpus),
        ("mem", need.mem_mb),
        ("disk", need.disk_mb),
        ("gpus", need.gpus),
        (need.network_resource.as_str(), need.network_mb),
    ]
    .into_iter()
    .filter(|(_, a)| *a > 0.0)
    .map(|(n, a)| (n.to_string(), a))
    .collect();
    if !need.port_keys.is_empty() {
        out.push(("ports".into(), need.port_keys.len() as f64));
    }
    out
}

/// What to change when a resource is short.
fn fix(name: &str) -> String {
    match name {
        "cpus" => format!(
            "lower {} or add agents with more CPUs",
            Key::MesosResourcemanagerTasksCpus.name()
        ),
        "mem" => format!(
            "lower {} (or the TaskManager's memory, {}) or add agents with more memory",
            Key::MesosResourcemanagerTasksMem.name(),
            Key::TaskmanagerMemoryProcessSize.name()
        ),
        "disk" => format!(
            "lower {} or add agents with more disk",
            Key::MesosResourcemanagerTasksDisk.name()
        ),
        "gpus" => format!(
            "lower {} or add agents with GPUs (and the GPU_RESOURCES capability)",
            Key::MesosResourcemanagerTasksGpus.name()
        ),
        "ports" => "free ports on the agents (their `ports` resource) or fix fewer ports".into(),
        _ => "lower what a worker needs or add agents that offer it".into(),
    }
}

/// `4096 MB of mem`, `1.5 cpus`, `2 ports`.
fn fmt_amount(name: &str, v: f64) -> String {
    let n = if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
    };
    match name {
        "mem" | "disk" => format!("{n} MB of {name}"),
        _ => format!("{n} {name}"),
    }
}
