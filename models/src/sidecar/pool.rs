//! The connection pool of a cluster, as Envoy's HTTP/1 pool runs it (`conn_pool_base.cc`):
//! one request per connection; a try with an idle connection to its instance takes it; without
//! one it is pending while a connection opens (meshsim's open at once), or waits for one when
//! the cluster is at `max_connections` (a host with no connection may always open one); a
//! pending queue at `max_pending_requests` fails the try at once, and so does `max_requests`,
//! checked when a try gets its connection. Both overflows are 503 (`UO`), never retried and
//! never shown to outlier detection.

use meshsim_record::{MeshEvent, Reason, ReasonKind, Record};
use meshsim_sim::SimTime;

use super::{Phase, Sidecar, pending_gauge};
use crate::message::Message;
use crate::outbox::Outbox;
use crate::slab::SlabKey;

impl Sidecar {
    /// Call `key` picked `instance`: a connection for its try, now or when one frees up.
    pub(super) fn connect(
        &mut self,
        now: SimTime,
        key: SlabKey,
        instance: u32,
        out: &mut Outbox<Message>,
    ) {
        let call = self.calls.get(key).expect("connecting a live call");
        let (upstream_index, cluster) = (call.upstream, usize::from(call.cluster));
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let host = instance as usize;
        if upstream.connections[host] > upstream.active[host] {
            self.attach(now, key, instance, out);
            return;
        }
        // No idle connection: the try is pending while one opens (Envoy counts it so even
        // when the connection can open at once).
        let limits = upstream.config.pool;
        let group = upstream.config.group;
        let cluster_state = &mut upstream.clusters[cluster];
        if cluster_state.pending_count >= limits.max_pending_requests {
            self.overflow(now, key, out);
            return;
        }
        if cluster_state.open_connections < limits.max_connections
            || upstream.connections[host] == 0
        {
            cluster_state.open_connections += 1;
            upstream.connections[host] += 1;
            self.attach(now, key, instance, out);
            return;
        }
        cluster_state.pending_count += 1;
        upstream.pending_for(instance).push_back(key);
        pending_gauge(group, 1, out);
        self.calls.get_mut(key).expect("live").phase = Phase::Pending(instance);
    }

    /// A connection to `instance` is free for call `key`'s try: `max_requests` decides whether
    /// the try may use it (Envoy's `attachStreamToClient`).
    fn attach(&mut self, now: SimTime, key: SlabKey, instance: u32, out: &mut Outbox<Message>) {
        let call = self.calls.get(key).expect("attaching a live call");
        let upstream = &self.upstreams[usize::from(call.upstream)];
        let in_flight = upstream.clusters[usize::from(call.cluster)].in_flight;
        if in_flight >= upstream.config.pool.max_requests {
            self.overflow(now, key, out);
            return;
        }
        self.send_attempt(now, key, instance, out);
    }

    /// The pool cannot take call `key`'s try: 503 at once, shed by the mesh.
    fn overflow(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let call = self.calls.get(key).expect("a live call");
        let callee = self.upstreams[usize::from(call.upstream)].config.group;
        out.record(Record::Mesh {
            callee,
            event: MeshEvent::Overflow,
        });
        let reason = Reason {
            kind: ReasonKind::Overflow,
            group: Some(callee),
        };
        self.finish(now, key, 503, reason, out);
    }

    /// A try on `instance` ended: its connection is idle, and goes to the oldest call waiting
    /// for a connection to that instance.
    pub(super) fn release_connection(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        cluster: usize,
        instance: u32,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let host = instance as usize;
        let cluster_state = &mut upstream.clusters[cluster];
        assert!(
            upstream.active[host] > 0 && cluster_state.in_flight > 0,
            "an ended try was counted as active"
        );
        upstream.active[host] -= 1;
        cluster_state.in_flight -= 1;
        if upstream.pending.is_empty() {
            return;
        }
        let group = upstream.config.group;
        // Envoy hands a ready connection to pending tries until one attaches: a try that
        // `max_requests` turns away leaves the connection idle for the next.
        loop {
            let upstream = &mut self.upstreams[usize::from(upstream_index)];
            let Some(waiting) = upstream.pending[host].pop_front() else {
                return;
            };
            if !self
                .calls
                .get(waiting)
                .is_some_and(|call| call.phase == Phase::Pending(instance))
            {
                // A call that ended while it waited: its count was dropped then.
                continue;
            }
            upstream.clusters[cluster].pending_count -= 1;
            pending_gauge(group, -1, out);
            self.calls.get_mut(waiting).expect("live").phase = Phase::Between;
            self.attach(now, waiting, instance, out);
            let upstream = &self.upstreams[usize::from(upstream_index)];
            if upstream.active[host] == upstream.connections[host] {
                return;
            }
        }
    }
}
