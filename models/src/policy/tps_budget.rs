//! tower's `TpsBudget`: the retry budget behind Linkerd's legacy `ServiceProfile` `retryBudget`.
//!
//! Linkerd's destination controller fills in `minRetriesPerSecond: 10, retryRatio: 0.2, ttl: 10s`
//! when a profile has no budget (`linkerd2@edge-26.8.3:controller/api/destination/
//! profile_translator.go#L159-L167`), and the proxy builds one `TpsBudget::new(ttl, min_retries,
//! retry_ratio)` per profile (`linkerd2-proxy@release/v2.366.0:linkerd/service-profiles/src/
//! proto.rs#L173-L220`, which rejects a ttl outside 1–60 s or a ratio outside 0–1000). Its retry
//! policy deposits on every outcome it will not retry and withdraws for each retry, giving up the
//! retry when the withdrawal fails (`linkerd/app/outbound/src/http/retry.rs#L113-L124`).
//!
//! The arithmetic is `tower@tower-0.5.3:tower/src/retry/budget/tps_budget.rs`:
//! - amounts (`#L77-L88`): ratio 0 → deposit 0, withdraw 1; ratio ≤ 1 → deposit 1, withdraw
//!   `(1.0 / retry_percent) as isize`; otherwise deposit 1000, withdraw `(1000.0 / retry_percent)
//!   as isize`, in `f32`. At 0.2 that is 1 and 5: one retry per five deposits.
//! - reserve (`#L89-L91`): `min_per_sec × ttl.as_secs() × withdraw_amount` (whole seconds of the
//!   ttl), always counted in the balance, so withdrawals against it come back as they expire.
//! - ten slots of `ttl / 10` (`#L94-L108`) plus a `writer` for the current slot. Before every
//!   deposit and withdrawal, `expire` (`#L114-L137`) does nothing if less than one window has
//!   passed since the last expiry; otherwise it stores the writer into the current slot, zeroes
//!   one slot for each further window while the time left is still *more* than a window, moves
//!   to the slot after those, and restarts the clock at now, dropping the remainder.
//! - `withdraw` (`#L158-L170`) succeeds iff writer + slots + reserve ≥ `withdraw_amount`, and then
//!   takes the amount from the writer.
//!
//! Two consequences of `expire` worth knowing, both kept here:
//! - The slot that becomes current is not cleared; it still holds the amount from ten windows
//!   ago until the next expiry overwrites it. With steady traffic a deposit counts for up to
//!   ttl + one window.
//! - Time is rounded up to whole windows at each expiry and the clock restarts, so calls spaced
//!   1.5 windows apart advance the ring two slots each time and deposits expire early.
//!
//! tower reads a tokio clock; here each call takes the simulated time instead, and the budget
//! is created at a given time (tower's `Instant::now()` in `new`).

use meshsim_sim::SimTime;

const SECOND_NS: u64 = 1_000_000_000;

/// tower's fixed number of slots the ttl is divided into.
const SLOT_COUNT: usize = 10;

/// A `TpsBudget`'s settings; `Default` is tower's and Linkerd's profile default.
#[derive(Debug, Clone, PartialEq)]
pub struct TpsBudgetConfig {
    /// How long a deposit counts: 1 to 60 s. Default 10 s.
    pub ttl_ns: u64,
    /// Retries allowed per second of the ttl without any deposit. Default 10.
    pub min_per_sec: u32,
    /// Retries per deposit, 0 to 1000. Default 0.2. An `f32` because tower computes the amounts
    /// in `f32` and Linkerd's proto carries the ratio as one; a ratio such as 0.3 truncates.
    pub retry_ratio: f32,
}

impl Default for TpsBudgetConfig {
    fn default() -> Self {
        TpsBudgetConfig {
            ttl_ns: 10 * SECOND_NS,
            min_per_sec: 10,
            retry_ratio: 0.2,
        }
    }
}

/// One retry budget, shared by every route of one `ServiceProfile` in one client proxy.
#[derive(Debug, Clone)]
pub(crate) struct TpsBudget {
    reserve: i64,
    slots: [i64; SLOT_COUNT],
    window_ns: u64,
    /// Changes to the current slot, committed to it at the next expiry.
    writer: i64,
    deposit_amount: i64,
    withdraw_amount: i64,
    /// The current slot and when the last expiry happened (tower's `Generation`).
    slot_index: usize,
    expired_at: SimTime,
}

impl TpsBudget {
    /// A budget created at `now`, with tower's assertions on the settings.
    pub(crate) fn new(config: &TpsBudgetConfig, now: SimTime) -> Self {
        assert!(
            (SECOND_NS..=60 * SECOND_NS).contains(&config.ttl_ns),
            "the ttl must be between 1 and 60 seconds"
        );
        // A NaN ratio fails this too, as it fails tower's two assertions.
        assert!(
            (0.0..=1000.0).contains(&config.retry_ratio),
            "the retry ratio {} is not in [0, 1000]",
            config.retry_ratio
        );
        assert!(
            config.min_per_sec < i32::MAX as u32,
            "min_per_sec must be below i32::MAX"
        );
        let (deposit_amount, withdraw_amount) = amounts(config.retry_ratio);
        let ttl_secs = (config.ttl_ns / SECOND_NS) as i64;
        let reserve = i64::from(config.min_per_sec)
            .saturating_mul(ttl_secs)
            .saturating_mul(withdraw_amount);
        TpsBudget {
            reserve,
            slots: [0; SLOT_COUNT],
            window_ns: config.ttl_ns / SLOT_COUNT as u64,
            writer: 0,
            deposit_amount,
            withdraw_amount,
            slot_index: 0,
            expired_at: now,
        }
    }

    /// An outcome that will not be retried (tower's `deposit`).
    pub(crate) fn deposit(&mut self, now: SimTime) {
        self.expire(now);
        // tower adds with an atomic `fetch_add`, which wraps.
        self.writer = self.writer.wrapping_add(self.deposit_amount);
    }

    /// Whether a retry may be sent now; if so, it is paid for (tower's `withdraw`).
    pub(crate) fn withdraw(&mut self, now: SimTime) -> bool {
        self.expire(now);
        if self.balance() >= self.withdraw_amount {
            self.writer = self.writer.wrapping_sub(self.withdraw_amount);
            true
        } else {
            false
        }
    }

    /// Writer, slots and reserve as of the last deposit or withdrawal (tower's `sum`, which its
    /// `Debug` shows). It does not expire slots: an expiry at another time would shift the ring.
    pub(crate) fn balance(&self) -> i64 {
        let windowed = self.slots.iter().copied().fold(0, i64::saturating_add);
        self.writer
            .saturating_add(windowed)
            .saturating_add(self.reserve)
    }

    #[cfg(test)]
    pub(crate) fn deposit_amount(&self) -> i64 {
        self.deposit_amount
    }

    #[cfg(test)]
    pub(crate) fn withdraw_amount(&self) -> i64 {
        self.withdraw_amount
    }

    #[cfg(test)]
    pub(crate) fn reserve(&self) -> i64 {
        self.reserve
    }

    #[cfg(test)]
    pub(crate) fn window_ns(&self) -> u64 {
        self.window_ns
    }

    /// tower's `expire`, with its loop over elapsed windows counted instead of walked.
    fn expire(&mut self, now: SimTime) {
        assert!(
            now >= self.expired_at,
            "time ran backwards: {now} is before the budget's last expiry at {}",
            self.expired_at
        );
        let elapsed_ns = now.nanos_since(self.expired_at);
        if elapsed_ns < self.window_ns {
            return;
        }
        self.slots[self.slot_index] = self.writer;
        self.writer = 0;
        // tower zeroes a slot and subtracts a window while more than a window is left: that runs
        // once for each whole window strictly below the elapsed time, ceil(elapsed / window) − 1.
        let zeroed_windows = (elapsed_ns - 1) / self.window_ns;
        // Past ten, the walk has zeroed every slot, the one just committed included.
        let zeroed_slots = zeroed_windows.min(SLOT_COUNT as u64) as usize;
        for step in 1..=zeroed_slots {
            self.slots[(self.slot_index + step) % SLOT_COUNT] = 0;
        }
        let advance = (zeroed_windows % SLOT_COUNT as u64) as usize;
        self.slot_index = (self.slot_index + 1 + advance) % SLOT_COUNT;
        self.expired_at = now;
    }
}

impl Default for TpsBudget {
    /// tower's `Default` (10 s, 10 per second, 0.2), created at time zero.
    fn default() -> Self {
        TpsBudget::new(&TpsBudgetConfig::default(), SimTime::ZERO)
    }
}

/// tower's deposit and withdraw amounts for a retry ratio, computed in `f32` as tower does.
/// Float-to-integer casts truncate and saturate, so the tiniest ratios withdraw `i64::MAX`.
fn amounts(retry_ratio: f32) -> (i64, i64) {
    if retry_ratio == 0.0 {
        // No ratio: deposits earn nothing and only the reserve can be withdrawn, over time.
        (0, 1)
    } else if retry_ratio <= 1.0 {
        (1, (1.0 / retry_ratio) as i64)
    } else {
        // Above 1, each deposit earns 1000 units and a retry costs 1000 / ratio of them.
        (1000, (1000.0 / retry_ratio) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::{TpsBudget, TpsBudgetConfig};
    use meshsim_sim::SimTime;

    const MS: u64 = 1_000_000;
    const SECOND_NS: u64 = 1_000_000_000;

    fn at_ms(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * MS)
    }

    fn budget(ttl_secs: u64, min_per_sec: u32, retry_ratio: f32) -> TpsBudget {
        let config = TpsBudgetConfig {
            ttl_ns: ttl_secs * SECOND_NS,
            min_per_sec,
            retry_ratio,
        };
        TpsBudget::new(&config, SimTime::ZERO)
    }

    fn withdrawals_granted(budget: &mut TpsBudget, now: SimTime, attempts: u32) -> u32 {
        (0..attempts).map(|_| u32::from(budget.withdraw(now))).sum()
    }

    #[test]
    fn linkerds_defaults_deposit_1_withdraw_5_and_reserve_500() {
        let budget = TpsBudget::default();
        assert_eq!(budget.deposit_amount(), 1);
        assert_eq!(budget.withdraw_amount(), 5);
        assert_eq!(budget.reserve(), 10 * 10 * 5);
        assert_eq!(budget.window_ns(), SECOND_NS);
        assert_eq!(budget.balance(), 500);
    }

    #[test]
    fn amounts_follow_towers_f32_arithmetic() {
        let amounts = |ratio| {
            let budget = budget(1, 0, ratio);
            (budget.deposit_amount(), budget.withdraw_amount())
        };
        assert_eq!(amounts(0.0), (0, 1));
        assert_eq!(amounts(0.1), (1, 10));
        assert_eq!(amounts(0.5), (1, 2));
        // 1 / 0.3 is 3.33: the cost truncates to 3, so 0.3 allows a third of a retry per deposit.
        assert_eq!(amounts(0.3), (1, 3));
        assert_eq!(amounts(1.0), (1, 1));
        assert_eq!(amounts(2.0), (1000, 500));
        assert_eq!(amounts(3.0), (1000, 333));
        assert_eq!(amounts(1000.0), (1000, 1));
        assert_eq!(amounts(1e-30), (1, i64::MAX));
    }

    #[test]
    fn the_reserve_uses_whole_seconds_of_the_ttl() {
        let config = TpsBudgetConfig {
            ttl_ns: 2_500 * MS,
            min_per_sec: 4,
            retry_ratio: 0.5,
        };
        let budget = TpsBudget::new(&config, SimTime::ZERO);
        // 4 per second × 2 whole seconds × a cost of 2.
        assert_eq!(budget.reserve(), 16);
        assert_eq!(budget.window_ns(), 250 * MS);
    }

    #[test]
    fn an_empty_budget_allows_nothing() {
        // tower's `tps_empty`.
        let mut budget = budget(1, 0, 1.0);
        assert!(!budget.withdraw(SimTime::ZERO));
    }

    #[test]
    fn the_reserve_allows_min_per_sec_times_ttl_retries_without_deposits() {
        // tower's `tps_reserve`: 5 per second over 1 s.
        let mut small = budget(1, 5, 1.0);
        assert_eq!(withdrawals_granted(&mut small, SimTime::ZERO, 6), 5);
        // Linkerd's default: 10 per second over 10 s is 100 retries.
        let mut linkerd = TpsBudget::default();
        assert_eq!(withdrawals_granted(&mut linkerd, at_ms(3), 101), 100);
        assert_eq!(linkerd.balance(), 0);
    }

    #[test]
    fn one_retry_per_five_deposits_beyond_the_reserve() {
        let mut budget = budget(10, 0, 0.2);
        for _ in 0..4 {
            budget.deposit(SimTime::ZERO);
        }
        assert!(!budget.withdraw(SimTime::ZERO));
        budget.deposit(SimTime::ZERO);
        assert!(budget.withdraw(SimTime::ZERO));
        assert!(!budget.withdraw(SimTime::ZERO));
        // 100 deposits buy 20 retries, on top of Linkerd's 100 from the reserve.
        let mut linkerd = TpsBudget::default();
        for _ in 0..100 {
            linkerd.deposit(at_ms(1));
        }
        assert_eq!(withdrawals_granted(&mut linkerd, at_ms(2), 200), 120);
    }

    #[test]
    fn deposits_older_than_the_ttl_expire() {
        // tower's `tps_leaky`: a deposit 3 s ago under a 1 s ttl is gone.
        let mut budget = budget(1, 0, 1.0);
        budget.deposit(SimTime::ZERO);
        assert!(!budget.withdraw(at_ms(3_000)));
    }

    #[test]
    fn a_deposit_counts_across_the_slots_and_expires_by_slot() {
        // tower's `tps_slots`: 1 s ttl in 100 ms slots, two deposits per retry.
        let mut budget = budget(1, 0, 0.5);
        budget.deposit(SimTime::ZERO);
        budget.deposit(SimTime::ZERO);
        // 901 ms later both deposits still count.
        assert!(budget.withdraw(at_ms(901)));
        // A blank slate 2001 ms on, then deposits 301 and 801 ms apart: the first has expired,
        // the second and third together pay for one retry.
        budget.deposit(at_ms(2_902));
        budget.deposit(at_ms(3_203));
        budget.deposit(at_ms(4_004));
        assert_eq!(budget.balance(), 2);
        assert!(budget.withdraw(at_ms(4_004)));
        assert!(!budget.withdraw(at_ms(4_004)));
    }

    #[test]
    fn withdrawals_against_the_reserve_come_back_once_they_expire() {
        let mut budget = TpsBudget::default();
        assert_eq!(withdrawals_granted(&mut budget, SimTime::ZERO, 101), 100);
        // At 9.999 s the ring has turned, but the slot holding the withdrawals is current again
        // and is only overwritten at the next expiry, one window after this one.
        assert!(!budget.withdraw(at_ms(9_999)));
        assert!(!budget.withdraw(at_ms(10_998)));
        assert_eq!(withdrawals_granted(&mut budget, at_ms(10_999), 101), 100);
    }

    #[test]
    fn a_deposit_outlives_the_ttl_by_up_to_one_window_when_calls_are_steady() {
        // 10 s ttl, 1 s windows. The slot a deposit was committed to becomes current again
        // after ten windows and is only overwritten at the next expiry, a window later.
        let mut budget = budget(10, 0, 1.0);
        budget.deposit(SimTime::ZERO);
        for second in 1..=10 {
            budget.deposit(at_ms(second * 1_000));
        }
        // At 10.9 s the deposit from time zero still counts alongside the ten others.
        assert_eq!(withdrawals_granted(&mut budget, at_ms(10_900), 20), 11);
    }

    #[test]
    fn a_deposit_exactly_one_ttl_old_counts_and_one_nanosecond_older_does_not() {
        // Exactly ten windows: tower zeroes the nine slots strictly inside and lands back on the
        // deposit's own slot, uncleared. One nanosecond more zeroes all ten.
        let ttl = SimTime::from_nanos(SECOND_NS);
        let mut exact = budget(1, 0, 1.0);
        exact.deposit(SimTime::ZERO);
        exact.deposit(ttl);
        assert_eq!(exact.balance(), 2);
        let mut later = budget(1, 0, 1.0);
        later.deposit(SimTime::ZERO);
        later.deposit(ttl + 1);
        assert_eq!(later.balance(), 1);
    }

    #[test]
    fn windows_restart_at_each_call_so_uneven_spacing_expires_deposits_early() {
        // 1 s ttl in 100 ms windows. A call 150 ms after the last expiry counts as two windows
        // (it zeroes one slot and moves past it) and restarts the clock: by 900 ms the deposit
        // made at 0 is gone, although all seven deposits are younger than the ttl.
        let mut uneven = budget(1, 0, 1.0);
        for step in 0..=6 {
            uneven.deposit(at_ms(step * 150));
        }
        assert_eq!(uneven.balance(), 6);
        // Calls one window apart keep all ten deposits of the last second.
        let mut even = budget(1, 0, 1.0);
        for step in 0..=9 {
            even.deposit(at_ms(step * 100));
        }
        assert_eq!(even.balance(), 10);
    }

    #[test]
    fn a_long_idle_gap_costs_no_more_than_ten_slots() {
        let mut budget = TpsBudget::default();
        budget.deposit(SimTime::ZERO);
        // A day later: tower's loop would walk 86 400 windows; the count is closed-form here.
        budget.deposit(SimTime::from_nanos(86_400 * SECOND_NS));
        assert_eq!(budget.balance(), 500 + 1);
    }

    #[test]
    fn same_calls_give_the_same_decisions() {
        let run = || {
            let mut budget = TpsBudget::default();
            (0..2_000u64)
                .map(|step| {
                    let now = at_ms(step * 37);
                    if step % 3 == 0 {
                        budget.withdraw(now)
                    } else {
                        budget.deposit(now);
                        true
                    }
                })
                .collect::<Vec<bool>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    #[should_panic(expected = "between 1 and 60 seconds")]
    fn a_ttl_under_one_second_is_rejected() {
        budget(0, 10, 0.2);
    }

    #[test]
    #[should_panic(expected = "is not in [0, 1000]")]
    fn a_nan_ratio_is_rejected() {
        budget(10, 10, f32::NAN);
    }
}
