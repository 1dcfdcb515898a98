//! What a sidecar's timers carry: which upstream, cluster and host they are about.

/// The upstream a timer about the whole upstream is for: its payload is the index.
pub(super) fn upstream_of_payload(payload: u64) -> u16 {
    u16::try_from(payload).expect("an upstream index")
}

/// A timer payload's low bits: the cluster (and below it, for failure accrual, the host).
const CLUSTER_BITS: u32 = 40;

/// The payload of a timer about `upstream`'s cluster `cluster` (and `host`, for failure
/// accrual): the upstream in the top bits, the cluster in the next 8, the host in the low 32.
pub(super) fn cluster_payload(upstream: u16, cluster: usize, host: u32) -> u64 {
    assert!(cluster < 256, "at most 255 versions a service");
    u64::from(upstream) << CLUSTER_BITS | (cluster as u64) << 32 | u64::from(host)
}

/// The upstream, cluster and host of a [`cluster_payload`].
pub(super) fn decode_cluster_payload(payload: u64) -> (u16, usize, u32) {
    (
        u16::try_from(payload >> CLUSTER_BITS).expect("an upstream index"),
        ((payload >> 32) & 0xff) as usize,
        (payload & 0xffff_ffff) as u32,
    )
}
