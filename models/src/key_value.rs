//! A Redis-like store's state: keys with a time to live, for a cache, and one list, for the
//! messages demo's `LPUSH` and `LRANGE`.
//!
//! The key a request's `GET` or `SETEX` concerns is drawn from its trace, so the lookup and the
//! fill of one request meet the same key, and keys are as popular as a Zipf law says (a few
//! hot items, a long tail), without a random draw: the trace id is hashed onto the popularity's
//! cumulative distribution. Nothing is persisted: a crash loses every key and the list, as a
//! Redis without an append-only file loses what came after its last snapshot.

use std::collections::BTreeMap;

use meshsim_sim::SimTime;

use crate::order_id::OrderId;

/// The operations, by endpoint index.
pub const KEY_VALUE_OPERATIONS: &[&str] = &["GET", "SETEX", "DEL", "LPUSH", "LRANGE"];

/// Answers: found (or done), and not found.
const OK: u16 = 200;
const NOT_FOUND: u16 = 404;

#[derive(Debug, Clone)]
pub struct KeyValueState {
    /// Each key set, with when it expires.
    expiry: BTreeMap<u32, SimTime>,
    /// The cumulative popularity of keys 0, 1, ..., ending at 1.
    popularity: Vec<f64>,
    ttl_ns: u64,
    list_length: u64,
    hits: u64,
    misses: u64,
}

impl KeyValueState {
    /// `keys` keys whose popularity falls as `1 / rank^skew` (0: all equally popular), set
    /// with a time to live of `ttl_ns`.
    pub fn new(keys: u32, skew: f64, ttl_ns: u64) -> KeyValueState {
        assert!(keys > 0, "a key space has a key");
        assert!(skew >= 0.0, "a Zipf skew is 0 or more");
        let weights: Vec<f64> = (1..=keys)
            .map(|rank| 1.0 / f64::from(rank).powf(skew))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut cumulative = 0.0;
        let popularity = weights
            .iter()
            .map(|weight| {
                cumulative += weight / total;
                cumulative
            })
            .collect();
        KeyValueState {
            expiry: BTreeMap::new(),
            popularity,
            ttl_ns,
            list_length: 0,
            hits: 0,
            misses: 0,
        }
    }

    /// The key an order's requests concern.
    pub fn key_of(&self, order: OrderId) -> u32 {
        // SplitMix64's finaliser, salted apart from the stock's product choice.
        let mut x = order.root ^ (u64::from(order.client.0) << 40) ^ 0x9e37_79b9_7f4a_7c15;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
        let rank = self
            .popularity
            .partition_point(|&cumulative| cumulative <= unit);
        rank.min(self.popularity.len() - 1) as u32
    }

    /// Applies operation `endpoint` (an index into [`KEY_VALUE_OPERATIONS`]) for `order` at
    /// `now`; `GET` answers 404 for a key not set or expired.
    pub fn apply(&mut self, endpoint: u32, order: OrderId, now: SimTime) -> u16 {
        match endpoint {
            0 => {
                let key = self.key_of(order);
                if self.expiry.get(&key).is_some_and(|&until| until > now) {
                    self.hits += 1;
                    OK
                } else {
                    self.misses += 1;
                    NOT_FOUND
                }
            }
            1 => {
                let key = self.key_of(order);
                self.expiry.insert(key, now + self.ttl_ns);
                OK
            }
            2 => {
                let key = self.key_of(order);
                self.expiry.remove(&key);
                OK
            }
            3 => {
                self.list_length += 1;
                OK
            }
            4 => OK,
            _ => unreachable!("checked on arrival: a key-value store has 5 operations"),
        }
    }

    /// The process died: nothing was persisted.
    pub fn lose_everything(&mut self) {
        self.expiry.clear();
        self.list_length = 0;
    }

    pub fn list_length(&self) -> u64 {
        self.list_length
    }

    pub fn hits(&self) -> u64 {
        self.hits
    }

    pub fn misses(&self) -> u64 {
        self.misses
    }

    /// Keys set and not expired at `now`.
    pub fn live_keys(&self, now: SimTime) -> u64 {
        self.expiry.values().filter(|&&until| until > now).count() as u64
    }
}

#[cfg(test)]
mod tests {
    use meshsim_record::ClientId;
    use meshsim_sim::SimTime;

    use super::KeyValueState;
    use crate::order_id::OrderId;

    fn order(root: u64) -> OrderId {
        OrderId {
            client: ClientId(0),
            root,
        }
    }

    #[test]
    fn a_get_hits_what_a_setex_set_until_it_expires() {
        let mut state = KeyValueState::new(10, 0.0, 1_000);
        let at = SimTime::from_nanos;
        assert_eq!(state.apply(0, order(1), at(0)), 404);
        assert_eq!(state.apply(1, order(1), at(0)), 200);
        assert_eq!(state.apply(0, order(1), at(999)), 200);
        assert_eq!(state.apply(0, order(1), at(1_000)), 404);
        assert_eq!((state.hits(), state.misses()), (1, 2));
        state.apply(3, order(1), at(0));
        state.apply(3, order(2), at(0));
        assert_eq!(state.list_length(), 2);
        state.lose_everything();
        assert_eq!(state.list_length(), 0);
    }

    #[test]
    fn zipf_keys_favour_the_first_ranks() {
        let skewed = KeyValueState::new(1_000, 1.0, 1);
        let flat = KeyValueState::new(1_000, 0.0, 1);
        let top = |state: &KeyValueState| {
            (0..10_000)
                .filter(|&root| state.key_of(order(root)) < 10)
                .count()
        };
        // The ten most popular of a thousand keys: about 39% of requests under Zipf(1), 1% flat.
        let (skewed_top, flat_top) = (top(&skewed), top(&flat));
        assert!((3_600..4_200).contains(&skewed_top), "{skewed_top}");
        assert!((50..150).contains(&flat_top), "{flat_top}");
    }
}
