//! Consecutive ejection: the streaks each result extends or resets, and the ejection tried
//! inline when one reaches its threshold (cc#L68-L208, cc#L574-L613).

use meshsim_sim::SimTime;

use super::attempt_outcome::{is_5xx, is_gateway_error};
use super::ejection::Ejection;
use super::{OutlierDetector, Streak};

impl OutlierDetector {
    /// An HTTP status, external origin: Envoy's `putHttpResponseCode` (cc#L68-L95).
    pub(super) fn record_status(
        &mut self,
        now: SimTime,
        host: usize,
        status: u16,
    ) -> Option<Ejection> {
        let monitor = self.member_mut(host);
        let failed = is_5xx(status);
        monitor.external_origin.count(!failed);
        if !failed {
            monitor.consecutive_5xx = 0;
            monitor.consecutive_gateway_failure = 0;
            return None;
        }
        let gateway = is_gateway_error(status);
        monitor.consecutive_gateway_failure = if gateway {
            monitor.consecutive_gateway_failure.saturating_add(1)
        } else {
            0
        };
        monitor.consecutive_5xx = monitor.consecutive_5xx.saturating_add(1);
        let (gateway_streak, five_xx_streak) =
            (monitor.consecutive_gateway_failure, monitor.consecutive_5xx);
        let gateway_reached =
            gateway && self.config.consecutive_gateway_failure == Some(gateway_streak);
        let five_xx_reached = five_xx_streak == self.config.consecutive_5xx;
        // Envoy checks the gateway streak first and handles both in that order: when both reach
        // their thresholds at once, the second finds the host ejected and is ignored.
        let mut ejection = None;
        if gateway_reached {
            ejection = self.on_streak_reached(now, host, Streak::GatewayFailure);
        }
        if five_xx_reached {
            ejection = ejection.or(self.on_streak_reached(now, host, Streak::FiveXx));
        }
        ejection
    }

    /// A connect failure, reset or timeout when split: Envoy's `localOriginFailure`
    /// (cc#L182-L195).
    pub(super) fn record_local_origin_failure(
        &mut self,
        now: SimTime,
        host: usize,
    ) -> Option<Ejection> {
        let monitor = self.member_mut(host);
        monitor.local_origin.count(false);
        monitor.consecutive_local_origin_failure =
            monitor.consecutive_local_origin_failure.saturating_add(1);
        let streak = monitor.consecutive_local_origin_failure;
        if streak == self.config.consecutive_local_origin_failure {
            return self.on_streak_reached(now, host, Streak::LocalOriginFailure);
        }
        None
    }

    /// A connection success when split: Envoy's `localOriginNoFailure` (cc#L197-L208).
    pub(super) fn record_local_origin_success(&mut self, host: usize) {
        let monitor = self.member_mut(host);
        monitor.local_origin.count(true);
        monitor.consecutive_local_origin_failure = 0;
    }

    /// A streak reached its threshold on `host`: Envoy's `onConsecutiveErrorWorker`
    /// (cc#L574-L613). An ejected host is left alone, its streak not reset.
    pub(super) fn on_streak_reached(
        &mut self,
        now: SimTime,
        host: usize,
        streak: Streak,
    ) -> Option<Ejection> {
        if self.is_ejected(host) {
            return None;
        }
        let ejection = self.try_eject(now, host, streak.reason());
        // Reset whether or not the ejection was allowed, so a later bout can be detected.
        *self.member_mut(host).streak_mut(streak) = 0;
        ejection
    }
}
