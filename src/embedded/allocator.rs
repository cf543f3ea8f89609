//! The embedded master's allocator: outstanding offers, the frameworks'
//! refuse filters, and the allocation round that offers what is free.
//!
//! Part of the embedded single-node Mesos, a development stand-in for one
//! machine (production uses genuine Mesos). Like Mesos' hierarchical
//! allocator with one agent: every allocation interval (1 s), or soon after
//! a subscription, REVIVE or UPDATE_FRAMEWORK, whatever is neither used
//! nor offered goes as one offer to the next framework in turn that is
//! subscribed, not suppressed and not filtering it. Plain data, no I/O: it
//! lives behind the master's lock; the master sends the offer it returns.
//!
//! Invariants:
//! - an offer's resources are never in two outstanding offers, and offered
//!   plus used resources never exceed the agent's total;
//! - an offer belongs to one framework and goes when that framework
//!   resubscribes, disconnects or is removed (its filters go with it too).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::master::Node;
use super::proto::v1 as pb;
use super::resources::Resources;

/// Mesos' default `refuse_seconds` of a filter.
pub const DEFAULT_REFUSE: f64 = 5.0;
/// Mesos' allocation interval.
const ALLOCATION_INTERVAL: Duration = Duration::from_secs(1);
/// The longest filter kept (a year), whatever `refuse_seconds` says.
const MAX_REFUSE: f64 = 31_536_000.0;

/// An outstanding offer.
struct Outstanding {
    framework_id: String,
    resources: Resources,
}

/// A framework refusing these resources until `until`.
struct Filter {
    resources: Resources,
    until: Instant,
}

/// What the allocator needs to know of one framework.
pub struct Candidate<'a> {
    pub id: &'a str,
    /// Subscribed and not suppressed.
    pub wants_offers: bool,
    pub role: String,
    /// `MULTI_ROLE`: offers carry the role in their allocation info.
    pub multi_role: bool,
}

pub struct Allocator {
    offers: BTreeMap<String, Outstanding>,
    /// Per framework id.
    filters: BTreeMap<String, Vec<Filter>>,
    next_offer: u64,
    last_allocation: Instant,
    allocate_soon: bool,
    /// Round robin among frameworks for the one agent.
    rotation: u64,
}

impl Allocator {
    pub fn new(now: Instant) -> Allocator {
        Allocator {
            offers: BTreeMap::new(),
            filters: BTreeMap::new(),
            next_offer: 0,
            last_allocation: now,
            allocate_soon: false,
            rotation: 0,
        }
    }

    /// Allocates on the next tick instead of after the interval.
    pub fn soon(&mut self) {
        self.allocate_soon = true;
    }

    /// Whether an allocation round is due.
    pub fn due(&self, now: Instant) -> bool {
        self.allocate_soon || now.duration_since(self.last_allocation) >= ALLOCATION_INTERVAL
    }

    /// The offer `offer_id` taken back by framework `fid` (ACCEPT,
    /// DECLINE): its resources, or `None` when it is not `fid`'s
    /// outstanding offer.
    pub fn take(&mut self, fid: &str, offer_id: &str) -> Option<Resources> {
        match self.offers.get(offer_id) {
            Some(o) if o.framework_id == fid => self.offers.remove(offer_id).map(|o| o.resources),
            _ => None,
        }
    }

    /// Framework `fid` refuses `resources` for `refuse_seconds` (nothing
    /// for none, or a duration that is not above zero).
    pub fn refuse(&mut self, fid: &str, resources: Resources, refuse_seconds: f64, now: Instant) {
        if resources.is_empty() || !refuse_seconds.is_finite() || refuse_seconds <= 0.0 {
            return;
        }
        self.filters
            .entry(fid.to_string())
            .or_default()
            .push(Filter {
                resources,
                until: now + Duration::from_secs_f64(refuse_seconds.min(MAX_REFUSE)),
            });
    }

    /// REVIVE: framework `fid`'s filters are gone.
    pub fn revive(&mut self, fid: &str) {
        self.filters.remove(fid);
    }

    /// The outstanding offers of framework `fid` return to the pool.
    pub fn rescind(&mut self, fid: &str) {
        self.offers.retain(|_, o| o.framework_id != fid);
    }

    /// Framework `fid` is gone: its offers and filters too.
    pub fn forget(&mut self, fid: &str) {
        self.rescind(fid);
        self.filters.remove(fid);
    }

    /// Keeps only the offers of frameworks for which `keep` holds.
    pub fn retain_offers(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.offers.retain(|_, o| keep(&o.framework_id));
    }

    /// Drops the filters that ran out.
    pub fn expire(&mut self, now: Instant) {
        for filters in self.filters.values_mut() {
            filters.retain(|f| f.until > now);
        }
        self.filters.retain(|_, f| !f.is_empty());
    }

    /// Every outstanding offer's resources together.
    pub fn offered(&self) -> Resources {
        let mut r = Resources::default();
        for o in self.offers.values() {
            r.add(&o.resources);
        }
        r
    }

    /// The outstanding offers of framework `fid`: id and resources.
    pub fn offers_of<'a>(&'a self, fid: &'a str) -> impl Iterator<Item = (&'a str, &'a Resources)> {
        self.offers
            .iter()
            .filter(move |(_, o)| o.framework_id == fid)
            .map(|(id, o)| (id.as_str(), &o.resources))
    }

    /// One allocation round: what is free (the total less `used` and what
    /// is offered) goes as one offer to the next framework in turn (among
    /// `frameworks`, in their order) that wants offers and does not filter
    /// it. Returns that framework's id and the offer to send it.
    pub fn allocate(
        &mut self,
        now: Instant,
        node: &Node,
        used: &Resources,
        frameworks: &[Candidate<'_>],
    ) -> Option<(String, pb::Offer)> {
        self.allocate_soon = false;
        self.last_allocation = now;
        let mut free = node.total.clone();
        free.subtract(used);
        free.subtract(&self.offered());
        if free.is_empty() || !free.allocatable() || frameworks.is_empty() {
            return None;
        }
        let n = frameworks.len() as u64;
        for k in 0..n {
            let Some(fw) = frameworks.get(((self.rotation + k) % n) as usize) else {
                continue;
            };
            if !fw.wants_offers {
                continue;
            }
            if self.filters.get(fw.id).is_some_and(|fs| {
                fs.iter()
                    .any(|f| f.until > now && f.resources.contains(&free))
            }) {
                continue;
            }
            self.rotation = self.rotation.wrapping_add(k + 1);
            let offer_id = format!("{}-O{}", node.master_id, self.next_offer);
            self.next_offer += 1;
            let role = &fw.role;
            let offer = pb::Offer {
                id: pb::OfferId {
                    value: offer_id.clone(),
                },
                framework_id: pb::FrameworkId {
                    value: fw.id.to_string(),
                },
                agent_id: pb::AgentId {
                    value: node.agent_id.clone(),
                },
                hostname: node.hostname.clone(),
                resources: free.to_pb(fw.multi_role.then_some(role.as_str())),
                attributes: node.attributes.clone(),
                allocation_info: fw.multi_role.then(|| pb::resource::AllocationInfo {
                    role: Some(role.clone()),
                }),
                ..Default::default()
            };
            self.offers.insert(
                offer_id,
                Outstanding {
                    framework_id: fw.id.to_string(),
                    resources: free,
                },
            );
            return Some((fw.id.to_string(), offer));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::EmbeddedConfig;

    fn node() -> Node {
        let config = EmbeddedConfig::new("/nonexistent/embedded-allocator");
        let total = Resources::parse("cpus:2;mem:1024;ports:[31000-31010]").unwrap_or_default();
        let mut node = Node::new(&config, 5050, total, Vec::new());
        node.master_id = "m".into();
        node
    }

    fn candidate(id: &str) -> Candidate<'_> {
        Candidate {
            id,
            wants_offers: true,
            role: "*".into(),
            multi_role: false,
        }
    }

    #[test]
    fn what_is_free_is_offered_once_in_turn_and_comes_back_when_taken() {
        let node = node();
        let now = Instant::now();
        let mut a = Allocator::new(now);
        let fws = [candidate("a"), candidate("b")];
        let (to, offer) = a.allocate(now, &node, &Resources::default(), &fws).unwrap();
        assert_eq!((to.as_str(), offer.id.value.as_str()), ("a", "m-O0"));
        assert_eq!(a.offered().to_text(), node.total.to_text());
        // Everything is offered: nothing is left for `b`.
        assert!(a
            .allocate(now, &node, &Resources::default(), &fws)
            .is_none());
        // Only its own framework can take an offer back.
        assert!(a.take("b", "m-O0").is_none());
        let back = a.take("a", "m-O0").unwrap();
        assert!(a.offered().is_empty());
        // `a` declines for 5 s: the next round is `b`'s, then nobody's.
        a.refuse("a", back, DEFAULT_REFUSE, now);
        let (to, _) = a.allocate(now, &node, &Resources::default(), &fws).unwrap();
        assert_eq!(to, "b");
        a.rescind("b");
        let (to, _) = a.allocate(now, &node, &Resources::default(), &fws).unwrap();
        assert_eq!(to, "b", "a's filter still holds");
        a.rescind("b");
        a.revive("a");
        let (to, _) = a.allocate(now, &node, &Resources::default(), &fws).unwrap();
        assert_eq!(to, "a", "REVIVE lifts the filter");
    }

    #[test]
    fn used_resources_and_suppressed_frameworks_get_no_offer() {
        let node = node();
        let now = Instant::now();
        let mut a = Allocator::new(now);
        let mut fw = candidate("a");
        assert!(a
            .allocate(now, &node, &node.total, &[candidate("a")])
            .is_none());
        fw.wants_offers = false;
        assert!(a
            .allocate(now, &node, &Resources::default(), &[fw])
            .is_none());
        assert!(a.offered().is_empty());
        assert!(!a.due(now), "a round just ran");
        a.soon();
        assert!(a.due(now));
    }
}
