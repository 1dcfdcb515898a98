//! The caller's sidecar: every outgoing call passes through it.
//!
//! For each upstream service it keeps the instances the control plane says are up, balances
//! over them, applies the route timeout, and matches answers to calls. What it cannot reach
//! it answers itself, as Envoy does: 503 "no healthy upstream", 503 on a refused or reset
//! connection, 504 when the route timeout runs out.

use std::sync::Arc;

use meshsim_sim::{GroupId, NodeId, Outbox, Reason, ReasonKind, SimRng, SimTime};

use crate::balancer::{BalancerState, LoadBalancer};
use crate::deadline::Deadlines;
use crate::message::{Message, Request, RequestContext, Response};
use crate::slab::{Slab, SlabKey};
use crate::timer::{TimerKind, timer};

/// What a sidecar knows of one upstream service, fixed at assembly.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub group: GroupId,
    pub instances: Vec<NodeId>,
    pub load_balancer: LoadBalancer,
    /// The route timeout over the whole call; `None` waits as long as it takes (Istio's default).
    pub timeout_ns: Option<u64>,
}

struct Upstream {
    config: Arc<UpstreamConfig>,
    up: Vec<bool>,
    live: Vec<u32>,
    active: Vec<u32>,
    balancer: BalancerState,
    /// Route-timeout deadlines of the calls in flight, in the order they were made.
    deadlines: Deadlines,
}

impl Upstream {
    fn new(config: Arc<UpstreamConfig>) -> Self {
        let count = config.instances.len();
        Upstream {
            up: vec![true; count],
            live: (0..count as u32).collect(),
            active: vec![0; count],
            balancer: BalancerState::new(config.load_balancer),
            deadlines: Deadlines::default(),
            config,
        }
    }
}

struct PendingCall {
    owner: u64,
    upstream: u16,
    instance: u32,
}

/// A finished call handed back to the model that made it.
#[derive(Debug, Clone, Copy)]
pub struct Completion {
    pub owner: u64,
    pub response: Response,
}

pub struct Sidecar {
    upstreams: Vec<Upstream>,
    calls: Slab<PendingCall>,
    rng: SimRng,
}

impl Sidecar {
    pub fn new(upstreams: Vec<Arc<UpstreamConfig>>, rng: SimRng) -> Self {
        assert!(
            u16::try_from(upstreams.len()).is_ok(),
            "too many upstreams for one sidecar"
        );
        Sidecar {
            upstreams: upstreams.into_iter().map(Upstream::new).collect(),
            calls: Slab::default(),
            rng,
        }
    }

    pub fn pending(&self) -> usize {
        self.calls.len()
    }

    /// Starts a call to `upstream`'s `endpoint` on behalf of `owner`. Returns the call's key, or
    /// the answer at once when no instance can take it.
    pub fn call(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        endpoint: u32,
        context: RequestContext,
        owner: u64,
        out: &mut Outbox<Message>,
    ) -> Result<SlabKey, Response> {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let Some(instance) =
            upstream
                .balancer
                .pick(&upstream.live, &upstream.active, &mut self.rng)
        else {
            return Err(Response {
                call: 0,
                status: 503,
                reason: Reason {
                    kind: ReasonKind::NoHealthyUpstream,
                    group: Some(upstream.config.group),
                },
            });
        };
        upstream.active[instance as usize] += 1;
        let to = upstream.config.instances[instance as usize];
        let key = self.calls.insert(PendingCall {
            owner,
            upstream: upstream_index,
            instance,
        });
        out.send(
            to,
            Message::Request(Request {
                call: key.0,
                endpoint,
                context,
            }),
        );
        if let Some(timeout_ns) = upstream.config.timeout_ns {
            let id = timer(TimerKind::CallTimeout, u64::from(upstream_index));
            upstream.deadlines.push(now + timeout_ns, key, id, out);
        }
        Ok(key)
    }

    fn complete(&mut self, key: SlabKey, status: u16, reason: Reason) -> Option<Completion> {
        let pending = self.calls.remove(key)?;
        let upstream = &mut self.upstreams[usize::from(pending.upstream)];
        let active = &mut upstream.active[pending.instance as usize];
        assert!(*active > 0, "an answered call was counted as active");
        *active -= 1;
        Some(Completion {
            owner: pending.owner,
            response: Response {
                call: key.0,
                status,
                reason,
            },
        })
    }

    /// An answer arrived; `None` when its call was already given up on.
    pub fn on_response(&mut self, response: &Response) -> Option<Completion> {
        self.complete(SlabKey(response.call), response.status, response.reason)
    }

    /// A request this sidecar sent was refused: the instance's process is gone.
    pub fn on_refused(&mut self, request: &Request) -> Option<Completion> {
        let key = SlabKey(request.call);
        let group = self
            .calls
            .get(key)
            .map(|pending| self.upstreams[usize::from(pending.upstream)].config.group);
        self.complete(
            key,
            503,
            Reason {
                kind: ReasonKind::Refused,
                group,
            },
        )
    }

    /// The route-timeout timer of upstream `upstream_index` fired: every call to it whose
    /// deadline has come is answered 504.
    pub fn on_timeout(
        &mut self,
        now: SimTime,
        upstream_index: u64,
        out: &mut Outbox<Message>,
    ) -> Vec<Completion> {
        let index = usize::try_from(upstream_index).expect("upstream index fits");
        let calls = &self.calls;
        let upstream = &mut self.upstreams[index];
        let id = timer(TimerKind::CallTimeout, upstream_index);
        let due = upstream
            .deadlines
            .expire(now, |key| calls.get(key).is_some(), id, out);
        let reason = Reason {
            kind: ReasonKind::RouteTimeout,
            group: Some(upstream.config.group),
        };
        due.into_iter()
            .filter_map(|key| self.complete(key, 504, reason))
            .collect()
    }

    /// The caller gave up on call `key` (its own timeout): forget it, so a late answer is dropped.
    pub fn abandon(&mut self, key: SlabKey) {
        self.complete(key, 0, Reason::OK);
    }

    /// The control plane reports `node` up or down.
    pub fn on_membership(&mut self, node: NodeId, up: bool) {
        for upstream in &mut self.upstreams {
            let Some(index) = upstream
                .config
                .instances
                .iter()
                .position(|&instance| instance == node)
            else {
                continue;
            };
            if upstream.up[index] == up {
                continue;
            }
            upstream.up[index] = up;
            upstream.live = (0..upstream.up.len() as u32)
                .filter(|&i| upstream.up[i as usize])
                .collect();
        }
    }

    /// The process crashed: every call in flight is forgotten. The view of the upstreams is the
    /// control plane's, so it survives.
    pub fn clear(&mut self) {
        self.calls.drain();
        for upstream in &mut self.upstreams {
            upstream.active.iter_mut().for_each(|active| *active = 0);
            upstream.deadlines.clear();
        }
    }
}
