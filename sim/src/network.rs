//! The network model: who is where, how long a hop takes, and what is lost or blocked.
//!
//! Latency is drawn per message from the link's distribution (a `[[network.link]]` override or
//! the default) on the directed link's own stream, plus any latency fault. A message is dropped
//! by a partition or by loss at the moment it is sent; a message in flight when a partition
//! starts still arrives, as a packet already on the wire would.

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use smallvec::SmallVec;

use crate::control::{Effect, Rule, Selector};
use crate::distribution::Distribution;
use crate::model::{GroupId, NodeId};
use crate::rng::{Seeder, SimRng};

/// Counts of what the network did, for the summary. The kernel's own vocabulary: both engines
/// keep them, and the reports show them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkCounts {
    pub sent: u64,
    pub lost: u64,
    pub partitioned: u64,
    pub refused: u64,
}

/// What became of a message handed to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transit {
    Arrives { latency_ns: u64 },
    Partitioned,
    Lost,
}

/// Latency and loss overrides between two groups.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub latency: Option<Distribution>,
    pub loss: Option<f64>,
}

#[derive(Debug, Clone)]
struct Group {
    name: String,
    /// A workload's client, outside the mesh.
    external: bool,
    /// Refuses connections from external groups (a service that is not `exposed`).
    isolated: bool,
    /// The network segments the group is on, one bit each (Docker Compose's networks); 0, the
    /// default, is on every segment. Two groups that each name segments and share none cannot
    /// reach each other.
    segments: u64,
}

/// The links from one group that messages have used: (to-group, index into the network's
/// links), sorted by to-group. Inline for up to four: most groups talk to a few others, so
/// finding a link reads one line of a dense array (a hash lookup read two random ones, a cost
/// that grew with the number of services once they no longer fitted in the caches).
type LinkRow = SmallVec<[(u32, u32); 4]>;

/// The directed link state: its resolved settings and its random stream.
struct LinkState {
    latency: Distribution,
    loss: f64,
    rng: SimRng,
}

pub struct Network {
    groups: Vec<Group>,
    node_groups: Vec<GroupId>,
    node_names: Vec<String>,
    default_latency: Distribution,
    default_loss: f64,
    overrides: IndexMap<(u32, u32), LinkConfig, FxBuildHasher>,
    /// Per group, the links from it, made on their first message.
    link_rows: Vec<LinkRow>,
    links: Vec<LinkState>,
    rules: Vec<Rule>,
    seeder: Seeder,
    discovery_delay_ns: u64,
}

impl Network {
    pub fn new(seeder: Seeder, default_latency: Distribution, default_loss: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&default_loss),
            "loss {default_loss} is not a probability"
        );
        Network {
            groups: Vec::new(),
            node_groups: Vec::new(),
            node_names: Vec::new(),
            default_latency,
            default_loss,
            overrides: IndexMap::default(),
            link_rows: Vec::new(),
            links: Vec::new(),
            rules: Vec::new(),
            seeder,
            discovery_delay_ns: 0,
        }
    }

    pub fn add_group(&mut self, name: &str, external: bool, isolated: bool) -> GroupId {
        let id = GroupId(u32::try_from(self.groups.len()).expect("group count fits u32"));
        self.groups.push(Group {
            name: name.to_owned(),
            external,
            isolated,
            segments: 0,
        });
        self.link_rows.push(LinkRow::new());
        id
    }

    /// Puts `group` on the segments whose bits `segments` sets (0: on every one).
    pub fn set_segments(&mut self, group: GroupId, segments: u64) {
        self.groups[group.index()].segments = segments;
    }

    pub fn add_node(&mut self, group: GroupId, name: &str) -> NodeId {
        assert!(
            group.index() < self.groups.len(),
            "node added to unknown group"
        );
        let id = NodeId(u32::try_from(self.node_groups.len()).expect("node count fits u32"));
        self.node_groups.push(group);
        self.node_names.push(name.to_owned());
        id
    }

    /// Overrides latency and loss between two groups, both ways.
    pub fn set_link(&mut self, a: GroupId, b: GroupId, config: LinkConfig) {
        assert!(
            self.links.is_empty(),
            "links are configured before the first message"
        );
        self.overrides.insert(unordered(a, b), config);
    }

    pub fn set_discovery_delay_ns(&mut self, delay_ns: u64) {
        self.discovery_delay_ns = delay_ns;
    }

    pub fn discovery_delay_ns(&self) -> u64 {
        self.discovery_delay_ns
    }

    pub fn node_count(&self) -> usize {
        self.node_groups.len()
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    pub fn group_of(&self, node: NodeId) -> GroupId {
        self.node_groups[node.index()]
    }

    pub fn group_name(&self, group: GroupId) -> &str {
        &self.groups[group.index()].name
    }

    pub fn node_name(&self, node: NodeId) -> &str {
        &self.node_names[node.index()]
    }

    /// True when `to` turns away connections from `from`: an internal service reached from a
    /// workload's client, or two groups on segments of which they share none.
    #[inline]
    pub fn refuses(&self, from: NodeId, to: NodeId) -> bool {
        let from_group = &self.groups[self.group_of(from).index()];
        let to_group = &self.groups[self.group_of(to).index()];
        let apart = from_group.segments != 0
            && to_group.segments != 0
            && from_group.segments & to_group.segments == 0;
        (from_group.external && to_group.isolated) || apart
    }

    pub fn apply(&mut self, rule: Rule) {
        assert!(
            self.rules.iter().all(|active| active.id != rule.id),
            "rule {} applied twice",
            rule.id
        );
        self.rules.push(rule);
    }

    /// Ends a rule; returns false when it was not active.
    pub fn repair(&mut self, rule_id: u32) -> bool {
        let before = self.rules.len();
        self.rules.retain(|rule| rule.id != rule_id);
        before != self.rules.len()
    }

    /// Decides the fate of one message from `from` to `to`, drawing from the link's stream.
    pub fn transit(&mut self, from: NodeId, to: NodeId) -> Transit {
        let mut added_ns = 0u64;
        let mut rule_loss = 0.0f64;
        if !self.rules.is_empty() {
            let from_group = self.group_of(from);
            let to_group = self.group_of(to);
            for rule in &self.rules {
                if !matches_rule(rule, from, from_group, to, to_group) {
                    continue;
                }
                match rule.effect {
                    Effect::Block => return Transit::Partitioned,
                    Effect::AddLatency { add_ns } => added_ns = added_ns.saturating_add(add_ns),
                    // Independent losses combine: a message survives only if it survives each.
                    Effect::Loss { probability } => {
                        rule_loss = 1.0 - (1.0 - rule_loss) * (1.0 - probability);
                    }
                }
            }
        }
        let link = self.link(from, to);
        let loss = 1.0 - (1.0 - link.loss) * (1.0 - rule_loss);
        if loss > 0.0 && link.rng.chance(loss) {
            return Transit::Lost;
        }
        let latency_ns = if link.latency.is_zero() {
            0
        } else {
            link.latency.sample_ns(&mut link.rng)
        };
        Transit::Arrives {
            latency_ns: latency_ns.saturating_add(added_ns),
        }
    }

    fn link(&mut self, from: NodeId, to: NodeId) -> &mut LinkState {
        let from_group = self.group_of(from);
        let to_group = self.group_of(to);
        let row = &self.link_rows[from_group.index()];
        let index = match row.binary_search_by_key(&to_group.0, |&(to, _)| to) {
            Ok(at) => row[at].1,
            Err(at) => {
                let index = self.add_link(from_group, to_group);
                self.link_rows[from_group.index()].insert(at, (to_group.0, index));
                index
            }
        };
        &mut self.links[index as usize]
    }

    /// Makes the link from `from_group` to `to_group` on its first message, with its settings
    /// and its own stream; returns its index.
    fn add_link(&mut self, from_group: GroupId, to_group: GroupId) -> u32 {
        let config = self.overrides.get(&unordered(from_group, to_group));
        let latency = config
            .and_then(|c| c.latency.clone())
            .unwrap_or_else(|| self.default_latency.clone());
        let loss = config.and_then(|c| c.loss).unwrap_or(self.default_loss);
        let name = format!(
            "link/{}->{}",
            self.groups[from_group.index()].name,
            self.groups[to_group.index()].name
        );
        let rng = self.seeder.stream(&name);
        let index = u32::try_from(self.links.len()).expect("fewer than 2^32 links");
        self.links.push(LinkState { latency, loss, rng });
        index
    }
}

fn unordered(a: GroupId, b: GroupId) -> (u32, u32) {
    if a.0 <= b.0 { (a.0, b.0) } else { (b.0, a.0) }
}

fn selects(selector: Selector, node: NodeId, group: GroupId) -> bool {
    match selector {
        Selector::Any => true,
        Selector::Group(selected) => selected == group,
        Selector::Node(selected) => selected == node,
    }
}

fn matches_rule(
    rule: &Rule,
    from: NodeId,
    from_group: GroupId,
    to: NodeId,
    to_group: GroupId,
) -> bool {
    let forward = selects(rule.from, from, from_group) && selects(rule.to, to, to_group);
    let backward =
        rule.both_ways && selects(rule.from, to, to_group) && selects(rule.to, from, from_group);
    forward || backward
}

#[cfg(test)]
mod tests {
    use super::{Network, Transit};
    use crate::control::{Effect, Rule, Selector};
    use crate::distribution::Distribution;
    use crate::rng::Seeder;

    fn two_groups() -> (Network, crate::NodeId, crate::NodeId) {
        let mut network = Network::new(Seeder::new(1), Distribution::Const { value_ns: 100 }, 0.0);
        let a = network.add_group("a", false, false);
        let b = network.add_group("b", false, false);
        let node_a = network.add_node(a, "a/0");
        let node_b = network.add_node(b, "b/0");
        (network, node_a, node_b)
    }

    #[test]
    fn groups_on_segments_reach_only_groups_that_share_one() {
        let mut network = Network::new(Seeder::new(1), Distribution::Const { value_ns: 100 }, 0.0);
        let front = network.add_group("front", false, false);
        let back = network.add_group("back", false, false);
        let store = network.add_group("store", false, true);
        let anywhere = network.add_group("anywhere", false, false);
        // Docker Compose: front on {frontend, backend}, back on {backend}, store on {data}.
        network.set_segments(front, 0b011);
        network.set_segments(back, 0b010);
        network.set_segments(store, 0b100);
        let [front, back, store, anywhere] =
            [front, back, store, anywhere].map(|group| network.add_node(group, "n"));
        assert!(!network.refuses(front, back) && !network.refuses(back, front));
        assert!(network.refuses(front, store) && network.refuses(back, store));
        // A group that names no segment is on every one.
        assert!(!network.refuses(anywhere, store) && !network.refuses(store, anywhere));
    }

    #[test]
    fn one_way_partition_blocks_one_direction() {
        let (mut network, a, b) = two_groups();
        network.apply(Rule {
            id: 1,
            from: Selector::Node(a),
            to: Selector::Node(b),
            both_ways: false,
            effect: Effect::Block,
        });
        assert_eq!(network.transit(a, b), Transit::Partitioned);
        assert_eq!(network.transit(b, a), Transit::Arrives { latency_ns: 100 });
        assert!(network.repair(1));
        assert_eq!(network.transit(a, b), Transit::Arrives { latency_ns: 100 });
    }

    #[test]
    fn added_latency_adds_and_loss_drops() {
        let (mut network, a, b) = two_groups();
        let group_b = network.group_of(b);
        network.apply(Rule {
            id: 2,
            from: Selector::Any,
            to: Selector::Group(group_b),
            both_ways: true,
            effect: Effect::AddLatency { add_ns: 50 },
        });
        assert_eq!(network.transit(b, a), Transit::Arrives { latency_ns: 150 });
        network.apply(Rule {
            id: 3,
            from: Selector::Any,
            to: Selector::Any,
            both_ways: false,
            effect: Effect::Loss { probability: 1.0 },
        });
        assert_eq!(network.transit(a, b), Transit::Lost);
    }
}
