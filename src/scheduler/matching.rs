//! Offer matching: which New workers fit into an offer, and exactly which
//! resources (and ports) each one takes. Pure functions over domain types.
//!
//! Resources usable by the framework are the unreserved ones and those
//! reserved for its role or a parent of it (hierarchical roles); revocable
//! and shared resources, and disks with a DiskInfo (persistent volumes,
//! MOUNT/PATH sources), are never used. Port ranges are clipped to real ports
//! (1–65535) without arithmetic that a hostile range could overflow.
//! Reserved resources are taken first, so that reservations made for Flink
//! are used before the shared pool. Resources handed back keep the
//! allocation role and reservations they were offered with.

use crate::mesos::{Attribute, Offer, Range, Resource, Value};

/// What one worker needs.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerResources {
    pub cpus: f64,
    pub mem_mb: f64,
    pub gpus: f64,
    pub disk_mb: f64,
    pub network_mb: f64,
    /// Name of the Mesos resource carrying network bandwidth.
    pub network_resource: String,
    /// Configuration keys that each get one port from the offer.
    pub port_keys: Vec<String>,
}

/// A worker's share of an offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    pub resources: Vec<Resource>,
    /// `(configuration key, port)` in the order of `port_keys`.
    pub ports: Vec<(String, u16)>,
}

/// What is left of an offer while workers are fitted into it.
#[derive(Debug, Clone)]
pub struct Remaining {
    /// Usable resources in preference order (reserved for our role first).
    resources: Vec<Resource>,
}

const EPSILON: f64 = 1e-9;

impl Remaining {
    pub fn new(offer: &Offer, role: &str) -> Remaining {
        let mut usable: Vec<Resource> = offer
            .resources
            .iter()
            .filter(|r| !r.revocable && !r.shared && !r.disk_info)
            // A NaN or negative amount from a peer would defeat the checks.
            .filter(|r| !matches!(r.value, Value::Scalar(v) if !v.is_finite() || v < 0.0))
            .filter(|r| match r.reserved_role() {
                None => true,
                Some(reserved) => usable_reservation(reserved, role),
            })
            .cloned()
            .collect();
        // Reserved first: stable sort keeps the offer's order otherwise.
        usable.sort_by_key(|r| r.reservations.is_empty());
        Remaining { resources: usable }
    }

    pub fn scalar_total(&self, name: &str) -> f64 {
        self.resources
            .iter()
            .filter(|r| r.name == name)
            .filter_map(Resource::as_scalar)
            // Not `sum()`: the sum of no floats is -0.0, shown as "offered -0".
            .fold(0.0, |a, b| a + b)
    }

    /// Usable ports: those in 1..=65535. A peer may send any `u64` range
    /// (`[0, u64::MAX]` included); nothing here may overflow.
    pub fn free_ports(&self) -> usize {
        self.resources
            .iter()
            .filter(|r| r.name == "ports")
            .map(|r| match &r.value {
                Value::Ranges(ranges) => ranges
                    .iter()
                    .filter_map(port_span)
                    .map(|(begin, end)| (end - begin) as usize + 1)
                    .fold(0usize, usize::saturating_add),
                _ => 0,
            })
            .fold(0usize, usize::saturating_add)
    }

    /// Why `need` does not fit, or `None` when it does.
    pub fn shortfall(&self, need: &WorkerResources) -> Option<String> {
        let checks = [
            ("cpus", need.cpus),
            ("mem", need.mem_mb),
            ("disk", need.disk_mb),
            ("gpus", need.gpus),
            (need.network_resource.as_str(), need.network_mb),
        ];
        for (name, amount) in checks {
            if amount > 0.0 {
                let have = self.scalar_total(name);
                if have + EPSILON < amount {
                    return Some(format!("not enough {name}: need {amount}, offered {have}"));
                }
            }
        }
        let ports = self.free_ports();
        if ports < need.port_keys.len() {
            return Some(format!(
                "not enough ports: need {}, offered {ports}",
                need.port_keys.len()
            ));
        }
        None
    }

    /// Takes one worker's resources, or returns why they do not fit.
    pub fn take(&mut self, need: &WorkerResources) -> Result<Allocation, String> {
        self.take_avoiding(need, &|_| false)
    }

    /// Like [`Remaining::take`], but prefers ports for which `avoid` is
    /// false (falling back to any port when only avoided ones are left).
    pub fn take_avoiding(
        &mut self,
        need: &WorkerResources,
        avoid: &dyn Fn(u64) -> bool,
    ) -> Result<Allocation, String> {
        if let Some(why) = self.shortfall(need) {
            return Err(why);
        }
        let mut taken = Vec::new();
        for (name, amount) in [
            ("cpus", need.cpus),
            ("mem", need.mem_mb),
            ("disk", need.disk_mb),
            ("gpus", need.gpus),
            (need.network_resource.as_str(), need.network_mb),
        ] {
            let mut left = amount;
            for r in self.resources.iter_mut().filter(|r| r.name == name) {
                if left <= EPSILON {
                    break;
                }
                let Value::Scalar(have) = r.value else {
                    continue;
                };
                let share = have.min(left);
                if share <= EPSILON {
                    continue;
                }
                let mut part = r.clone();
                part.value = Value::Scalar(round(share));
                taken.push(part);
                r.value = Value::Scalar(round(have - share));
                left -= share;
            }
        }
        let mut ports = Vec::new();
        for key in &need.port_keys {
            let Some((index, port)) = self.pick_port(avoid).or_else(|| self.first_port()) else {
                return Err("not enough ports".into());
            };
            let source = &mut self.resources[index];
            let mut part = source.clone();
            part.value = Value::Ranges(vec![Range {
                begin: port,
                end: port,
            }]);
            taken.push(part);
            remove_port(source, port);
            ports.push((key.clone(), port as u16));
        }
        Ok(Allocation {
            resources: taken,
            ports,
        })
    }

    /// The first port (in offer order) that `avoid` does not reject.
    fn pick_port(&self, avoid: &dyn Fn(u64) -> bool) -> Option<(usize, u64)> {
        self.resources
            .iter()
            .enumerate()
            .find_map(|(i, r)| match &r.value {
                Value::Ranges(ranges) if r.name == "ports" => {
                    ranges
                        .iter()
                        .filter_map(port_span)
                        .find_map(|(begin, end)| {
                            // Bounded: at most a handful of recent ports are avoided.
                            (begin..=end)
                                .take(1024)
                                .find(|p| !avoid(*p))
                                .map(|p| (i, p))
                        })
                }
                _ => None,
            })
    }

    fn first_port(&self) -> Option<(usize, u64)> {
        self.resources
            .iter()
            .enumerate()
            .find_map(|(i, r)| match &r.value {
                Value::Ranges(ranges) if r.name == "ports" => ranges
                    .iter()
                    .find_map(port_span)
                    .map(|(begin, _)| (i, begin)),
                _ => None,
            })
    }
}

/// The part of a range that is real ports (1..=65535), if any.
fn port_span(x: &Range) -> Option<(u64, u64)> {
    let begin = x.begin.max(1);
    let end = x.end.min(u64::from(u16::MAX));
    (begin <= end).then_some((begin, end))
}

/// Whether resources reserved to `reserved` may be used by a framework in
/// `role`: its own reservations, and with hierarchical roles those of any
/// ancestor (`eng` for `eng/flink`), which Mesos offers to child roles.
fn usable_reservation(reserved: &str, role: &str) -> bool {
    reserved == role
        || role
            .strip_prefix(reserved)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Mesos scalars have three decimal places; avoid 0.30000000000000004.
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn remove_port(r: &mut Resource, port: u64) {
    if let Value::Ranges(ranges) = &mut r.value {
        let mut out = Vec::new();
        for x in ranges.iter() {
            if port < x.begin || port > x.end {
                out.push(*x);
                continue;
            }
            if x.begin < port {
                out.push(Range {
                    begin: x.begin,
                    end: port - 1,
                });
            }
            if port < x.end {
                out.push(Range {
                    begin: port + 1,
                    end: x.end,
                });
            }
        }
        *ranges = out;
    }
}

/// Hard host-attribute constraints: every `key:value` must equal an attribute
/// of the agent (text exactly; scalars numerically). Returns the first
/// constraint that fails, for the operator.
pub fn unmet_constraint(
    attributes: &[Attribute],
    constraints: &[(String, String)],
) -> Option<String> {
    for (key, wanted) in constraints {
        let found = attributes.iter().find(|a| &a.name == key);
        let ok = match found.map(|a| &a.value) {
            Some(Value::Text(t)) => t == wanted,
            Some(Value::Scalar(v)) => wanted.parse::<f64>().is_ok_and(|w| (w - v).abs() < EPSILON),
            _ => false,
        };
        if !ok {
            return Some(match found {
                None => format!("agent has no attribute `{key}` (constraint {key}:{wanted})"),
                Some(a) => format!(
                    "attribute `{key}` is {} (constraint {key}:{wanted})",
                    describe(&a.value)
                ),
            });
        }
    }
    None
}

/// An attribute's value as the diagnostics show it.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::Text(t) => format!("`{t}`"),
        Value::Scalar(s) => format!("{s}"),
        Value::Ranges(r) => format!("{} range(s)", r.len()),
        Value::Set(s) => format!("{{{}}}", s.join(",")),
    }
}
