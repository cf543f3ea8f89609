//! Resources and attributes of the embedded agent: Mesos' text format
//! (`cpus:4;mem:8192;ports:[31000-31099]`, `rack:r1;zone:a`), arithmetic on
//! resource sets (what is free, what an offer holds, whether a task fits)
//! and the conversion to and from the wire types.
//!
//! Part of the embedded single-node Mesos, a development stand-in for one
//! machine (production uses genuine Mesos). Only unreserved resources of the
//! default role `*` exist here.
//!
//! Invariants: a [`Resources`] never holds a scalar at or below zero or an
//! empty range/set (they are dropped), ranges are kept sorted and merged, so
//! equality and containment are structural; nothing parsed from a peer can
//! panic.

use std::collections::{BTreeMap, BTreeSet};

use super::proto::v1 as pb;

/// Mesos compares scalars in fixed point with three decimals.
const EPSILON: f64 = 0.0005;

/// A set of unreserved resources by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    pub scalars: BTreeMap<String, f64>,
    pub ranges: BTreeMap<String, Vec<(u64, u64)>>,
    pub sets: BTreeMap<String, BTreeSet<String>>,
}

/// Sorted, merged, non-overlapping inclusive ranges.
fn normalize(mut r: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    r.retain(|(a, b)| a <= b);
    r.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(r.len());
    for (a, b) in r {
        match out.last_mut() {
            Some((_, end)) if a <= end.saturating_add(1) => *end = (*end).max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn subtract_ranges(from: &[(u64, u64)], take: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(a, b) in from {
        let mut pieces = vec![(a, b)];
        for &(c, d) in take {
            let mut next = Vec::new();
            for (x, y) in pieces {
                if d < x || c > y {
                    next.push((x, y));
                    continue;
                }
                if c > x {
                    next.push((x, c - 1));
                }
                if d < y {
                    next.push((d + 1, y));
                }
            }
            pieces = next;
        }
        out.extend(pieces);
    }
    normalize(out)
}

fn ranges_contain(outer: &[(u64, u64)], inner: &[(u64, u64)]) -> bool {
    inner
        .iter()
        .all(|&(c, d)| outer.iter().any(|&(a, b)| a <= c && d <= b))
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.scalars.is_empty() && self.ranges.is_empty() && self.sets.is_empty()
    }

    pub fn scalar(&self, name: &str) -> f64 {
        self.scalars.get(name).copied().unwrap_or(0.0)
    }

    fn clean(&mut self) {
        self.scalars.retain(|_, v| *v > EPSILON);
        self.ranges.retain(|_, v| !v.is_empty());
        self.sets.retain(|_, v| !v.is_empty());
    }

    pub fn add(&mut self, other: &Resources) {
        for (k, v) in &other.scalars {
            let sum = self.scalar(k) + v;
            // Fixed point, as Mesos keeps it: no drift from repeated sums.
            self.scalars
                .insert(k.clone(), (sum * 1000.0).round() / 1000.0);
        }
        for (k, v) in &other.ranges {
            let mut all = self.ranges.remove(k).unwrap_or_default();
            all.extend(v.iter().copied());
            self.ranges.insert(k.clone(), normalize(all));
        }
        for (k, v) in &other.sets {
            self.sets
                .entry(k.clone())
                .or_default()
                .extend(v.iter().cloned());
        }
        self.clean();
    }

    /// `self - other`, never below zero.
    pub fn subtract(&mut self, other: &Resources) {
        for (k, v) in &other.scalars {
            if let Some(mine) = self.scalars.get_mut(k) {
                *mine = ((*mine - v) * 1000.0).round() / 1000.0;
            }
        }
        for (k, v) in &other.ranges {
            if let Some(mine) = self.ranges.get_mut(k) {
                *mine = subtract_ranges(mine, v);
            }
        }
        for (k, v) in &other.sets {
            if let Some(mine) = self.sets.get_mut(k) {
                mine.retain(|i| !v.contains(i));
            }
        }
        self.clean();
    }

    /// Whether every resource of `other` is in `self`.
    pub fn contains(&self, other: &Resources) -> bool {
        other
            .scalars
            .iter()
            .all(|(k, v)| self.scalar(k) + EPSILON >= *v)
            && other.ranges.iter().all(|(k, v)| {
                self.ranges
                    .get(k)
                    .is_some_and(|mine| ranges_contain(mine, v))
            })
            && other
                .sets
                .iter()
                .all(|(k, v)| self.sets.get(k).is_some_and(|mine| v.is_subset(mine)))
    }

    /// Mesos offers only what a task could use: at least 0.01 CPUs or
    /// 32 MB of memory (`--min_allocatable_resources`' default).
    pub fn allocatable(&self) -> bool {
        self.scalar("cpus") >= 0.01 || self.scalar("mem") >= 32.0
    }

    /// Parses Mesos' text format: `name:value` pairs separated by `;`, a
    /// value being a number, `[a-b,c-d]` ranges or `{x,y}` a set. A role in
    /// parentheses (`cpus(*):4`) may only be `*`.
    pub fn parse(text: &str) -> Result<Resources, String> {
        let mut out = Resources::default();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once(':')
                .ok_or_else(|| format!("`{part}` is not NAME:VALUE"))?;
            let mut name = name.trim();
            if let Some((n, role)) = name.split_once('(') {
                if role.trim_end_matches(')') != "*" {
                    return Err(format!(
                        "`{part}`: the embedded Mesos has no reservations (only role `*`)"
                    ));
                }
                name = n.trim();
            }
            if name.is_empty() {
                return Err(format!("`{part}` has no resource name"));
            }
            let value = value.trim();
            let mut one = Resources::default();
            if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                one.ranges.insert(
                    name.into(),
                    parse_ranges(inner).map_err(|e| format!("`{part}`: {e}"))?,
                );
            } else if let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                one.sets.insert(
                    name.into(),
                    inner
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                );
            } else {
                let v: f64 = value.parse().map_err(|_| {
                    format!("`{part}`: `{value}` is not a number, [ranges] or {{set}}")
                })?;
                if !v.is_finite() || v < 0.0 {
                    return Err(format!("`{part}`: the amount must be a finite number >= 0"));
                }
                one.scalars.insert(name.into(), v);
            }
            out.add(&one);
        }
        Ok(out)
    }

    /// The wire form: one `Resource` per name, unreserved, allocated to
    /// `role` when given (offers to MULTI_ROLE frameworks).
    pub fn to_pb(&self, role: Option<&str>) -> Vec<pb::Resource> {
        let allocation_info = role.map(|r| pb::resource::AllocationInfo {
            role: Some(r.to_string()),
        });
        let base = |name: &str, ty: pb::value::Type| pb::Resource {
            name: name.to_string(),
            r#type: ty as i32,
            allocation_info: allocation_info.clone(),
            ..Default::default()
        };
        let mut out = Vec::new();
        for (k, v) in &self.scalars {
            let mut r = base(k, pb::value::Type::Scalar);
            r.scalar = Some(pb::value::Scalar { value: *v });
            out.push(r);
        }
        for (k, v) in &self.ranges {
            let mut r = base(k, pb::value::Type::Ranges);
            r.ranges = Some(pb::value::Ranges {
                range: v
                    .iter()
                    .map(|&(begin, end)| pb::value::Range { begin, end })
                    .collect(),
            });
            out.push(r);
        }
        for (k, v) in &self.sets {
            let mut r = base(k, pb::value::Type::Set);
            r.set = Some(pb::value::Set {
                item: v.iter().cloned().collect(),
            });
            out.push(r);
        }
        out
    }

    /// Resources a framework sent (a task's). Reserved, shared, revocable
    /// or disk-info resources do not exist here: they are refused.
    #[allow(deprecated)]
    pub fn from_pb(list: &[pb::Resource]) -> Result<Resources, String> {
        let mut out = Resources::default();
        for r in list {
            if !r.reservations.is_empty() || r.reservation.is_some() {
                return Err(format!(
                    "resource `{}` is reserved; the embedded Mesos has only unreserved resources",
                    r.name
                ));
            }
            if r.role.as_deref().is_some_and(|role| role != "*") {
                return Err(format!(
                    "resource `{}` has role `{}`; the embedded Mesos has only `*`",
                    r.name,
                    r.role.as_deref().unwrap_or_default()
                ));
            }
            if r.disk.is_some()
                || r.revocable.is_some()
                || r.shared.is_some()
                || r.provider_id.is_some()
            {
                return Err(format!("resource `{}` is a volume, revocable, shared or from a resource provider, which the embedded Mesos does not have", r.name));
            }
            let mut one = Resources::default();
            match pb::value::Type::try_from(r.r#type) {
                Ok(pb::value::Type::Scalar) => {
                    let v = r.scalar.as_ref().map_or(0.0, |s| s.value);
                    if !v.is_finite() || v < 0.0 {
                        return Err(format!("resource `{}` has an invalid amount {v}", r.name));
                    }
                    one.scalars.insert(r.name.clone(), v);
                }
                Ok(pb::value::Type::Ranges) => {
                    let ranges: Vec<(u64, u64)> = r
                        .ranges
                        .iter()
                        .flat_map(|rs| rs.range.iter().map(|x| (x.begin, x.end)))
                        .collect();
                    if ranges.iter().any(|(a, b)| a > b) {
                        return Err(format!(
                            "resource `{}` has a range whose begin is above its end",
                            r.name
                        ));
                    }
                    one.ranges.insert(r.name.clone(), normalize(ranges));
                }
                Ok(pb::value::Type::Set) => {
                    one.sets.insert(
                        r.name.clone(),
                        r.set.iter().flat_map(|s| s.item.iter().cloned()).collect(),
                    );
                }
                _ => {
                    return Err(format!(
                        "resource `{}` has an unknown value type {}",
                        r.name, r.r#type
                    ))
                }
            }
            out.add(&one);
        }
        Ok(out)
    }

    /// Mesos' text form with the allocation role, as its messages show
    /// resources: `cpus(allocated: *):1; ports(allocated: *):[31000-31001]`.
    pub fn to_text(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in &self.scalars {
            parts.push(format!("{k}(allocated: *):{v}"));
        }
        for (k, v) in &self.ranges {
            let r: Vec<String> = v.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            parts.push(format!("{k}(allocated: *):[{}]", r.join(", ")));
        }
        for (k, v) in &self.sets {
            let items: Vec<&str> = v.iter().map(String::as_str).collect();
            parts.push(format!("{k}(allocated: *):{{{}}}", items.join(", ")));
        }
        parts.join("; ")
    }

    /// The JSON `/master/state` shows: scalars as numbers, ranges as
    /// `[a-b, c-d]`, sets as `{x, y}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for k in ["cpus", "mem", "disk", "gpus"] {
            m.insert(k.into(), serde_json::json!(self.scalar(k)));
        }
        for (k, v) in &self.scalars {
            m.insert(k.clone(), serde_json::json!(v));
        }
        for (k, v) in &self.ranges {
            let text: Vec<String> = v.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            m.insert(k.clone(), format!("[{}]", text.join(", ")).into());
        }
        for (k, v) in &self.sets {
            let text: Vec<&str> = v.iter().map(String::as_str).collect();
            m.insert(k.clone(), format!("{{{}}}", text.join(", ")).into());
        }
        serde_json::Value::Object(m)
    }
}

fn parse_ranges(inner: &str) -> Result<Vec<(u64, u64)>, String> {
    let mut out = Vec::new();
    for r in inner.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let (a, b) = r.split_once('-').unwrap_or((r, r));
        let a: u64 = a
            .trim()
            .parse()
            .map_err(|_| format!("`{r}` is not a range a-b"))?;
        let b: u64 = b
            .trim()
            .parse()
            .map_err(|_| format!("`{r}` is not a range a-b"))?;
        if a > b {
            return Err(format!("range `{r}` begins above its end"));
        }
        out.push((a, b));
    }
    Ok(normalize(out))
}

/// Parses agent attributes `name:value;…`: numbers become scalars,
/// `[a-b]` ranges, `{x,y}` sets, anything else text (as Mesos does).
pub fn parse_attributes(text: &str) -> Result<Vec<pb::Attribute>, String> {
    let mut out = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once(':')
            .ok_or_else(|| format!("`{part}` is not NAME:VALUE"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            return Err(format!("`{part}` has no attribute name"));
        }
        let mut a = pb::Attribute {
            name: name.into(),
            ..Default::default()
        };
        if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            a.r#type = pb::value::Type::Ranges as i32;
            a.ranges = Some(pb::value::Ranges {
                range: parse_ranges(inner)
                    .map_err(|e| format!("`{part}`: {e}"))?
                    .into_iter()
                    .map(|(begin, end)| pb::value::Range { begin, end })
                    .collect(),
            });
        } else if let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            a.r#type = pb::value::Type::Set as i32;
            a.set = Some(pb::value::Set {
                item: inner.split(',').map(|s| s.trim().to_string()).collect(),
            });
        } else if let Some(v) = value.parse::<f64>().ok().filter(|v| v.is_finite()) {
            a.r#type = pb::value::Type::Scalar as i32;
            a.scalar = Some(pb::value::Scalar { value: v });
        } else {
            a.r#type = pb::value::Type::Text as i32;
            a.text = Some(pb::value::Text {
                value: value.into(),
            });
        }
        out.push(a);
    }
    Ok(out)
}

/// Attributes as `/master/state` shows them.
pub fn attributes_json(attrs: &[pb::Attribute]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for a in attrs {
        let v = if let Some(t) = &a.text {
            t.value.clone().into()
        } else if let Some(s) = &a.scalar {
            serde_json::json!(s.value)
        } else if let Some(r) = &a.ranges {
            let text: Vec<String> = r
                .range
                .iter()
                .map(|x| format!("{}-{}", x.begin, x.end))
                .collect();
            format!("[{}]", text.join(", ")).into()
        } else if let Some(s) = &a.set {
            format!("{{{}}}", s.item.join(", ")).into()
        } else {
            serde_json::Value::Null
        };
        m.insert(a.name.clone(), v);
    }
    serde_json::Value::Object(m)
}

/// Resources for this machine: all its CPUs, its memory less 1 GiB
/// (at least 512 MB), 10 GB of disk and ports 31000-32000.
pub fn machine_default() -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem_mb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(4096, |kb| kb / 1024);
    let mem = mem_mb.saturating_sub(1024).max(512);
    format!("cpus:{cpus};mem:{mem};disk:10240;ports:[31000-32000]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_arithmetic() {
        let total = Resources::parse("cpus:4;mem:8192;disk:10240;ports:[31000-31099]").unwrap();
        assert_eq!(total.scalar("cpus"), 4.0);
        let task = Resources::parse("cpus:0.5;mem:512;ports:[31000-31001,31050-31050]").unwrap();
        assert!(total.contains(&task));
        let mut free = total.clone();
        free.subtract(&task);
        assert_eq!(free.scalar("cpus"), 3.5);
        assert_eq!(free.ranges["ports"], vec![(31002, 31049), (31051, 31099)]);
        assert!(!free.contains(&task));
        free.add(&task);
        assert_eq!(free, total);
        let pb = total.to_pb(Some("*"));
        assert_eq!(Resources::from_pb(&pb).unwrap(), total);
    }

    #[test]
    fn bad_text_is_an_error() {
        for bad in [
            "cpus",
            "cpus:x",
            "ports:[5-1]",
            "cpus:-1",
            "cpus(web):1",
            ":3",
        ] {
            assert!(Resources::parse(bad).is_err(), "{bad}");
        }
        let attrs = parse_attributes("rack:r1;zone:2;ids:{a,b}").unwrap();
        assert_eq!(attrs.len(), 3);
        assert!(parse_attributes("nocolon").is_err());
        assert!(Resources::parse(&machine_default()).is_ok());
    }
}
