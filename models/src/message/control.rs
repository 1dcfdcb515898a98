//! What the control plane and the metrics pipeline send: never a request's work, so a model
//! that takes none of it (a store) ignores it in one arm.

use meshsim_sim::NodeId;

/// The control-plane messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// A rollout controller asks an instance for its request counters (a metrics scrape).
    Scrape { scrape: ScrapeNumber },
    /// One part of an instance's answer to a scrape: its counters
    /// ([`ServedCounters::to_values`](crate::served_counters::ServedCounters)) in
    /// [`SCRAPE_PARTS`](crate::served_counters::SCRAPE_PARTS) parts of four values, so the
    /// message stays small. A controller uses a scrape only once every part has arrived.
    Scraped {
        scrape: ScrapeNumber,
        part: u8,
        values: [u64; 4],
    },
    /// The control plane changes a caller's routes (a rollout's step, promotion or rollback).
    Routes(RouteUpdate),
    /// The control plane adds an instance to the callers' endpoints, or takes it away (a
    /// rolling update).
    Endpoint { node: NodeId, ready: bool },
    /// An instance became ready (its start time passed and its dependencies answer), or it
    /// died: its callers add it to their endpoints or take it away (a readiness probe).
    Ready { node: NodeId, ready: bool },
    /// An autoscaler's word with an instance of the service it scales.
    Scale(ScaleMessage),
}

/// What an autoscaler and the instances it scales say to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleMessage {
    /// Start this instance (a new pod): it goes through its start time and readiness, and
    /// then its callers learn of it.
    Start,
    /// Stop it (a pod deleted): it leaves its callers' endpoints at once, finishes what it
    /// holds, and stops; what remains after the grace period is reset.
    Stop,
    /// Asks for the instance's usage (a metrics scrape).
    Sample { sample: u32 },
    /// The answer: the requests it answered and the core-nanoseconds of its own work since it
    /// started, and the requests in progress (in workers and queued) now.
    Usage {
        sample: u32,
        answered: u64,
        in_progress: u32,
        cpu_busy_ns: u64,
    },
}

/// A rollout controller's scrape, numbered from 1: a later scrape's answer replaces an
/// earlier one's, and the parts of one answer are put together by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScrapeNumber(pub u32);

/// What a rollout controller tells callers' sidecars about a service's routes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteUpdate {
    /// The service whose routes change (its group).
    pub service: u32,
    pub change: RouteChange,
    /// The old version's and the new version's instances (indices into the service's).
    pub from: (u32, u32),
    pub to: (u32, u32),
}

// A percentage is never NaN: it comes from the scenario's checked weights.
impl Eq for RouteUpdate {}

/// How a route update changes the routes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RouteChange {
    /// The route that takes every request gives the new version `percent` and the old the
    /// rest (Flagger's canary weight).
    Weight { percent: f64 },
    /// Every route sends the new version's share to the old: a rollback.
    Revert,
    /// Every route sends everything to the new version: a promotion.
    Promote,
    /// A strangler's share: `percent` of the calls to the service's endpoints that the new
    /// service also has go to it instead.
    Redirect { percent: f64 },
}
