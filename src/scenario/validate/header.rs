//! `[scenario]`: the run's name, duration and metrics interval.

use super::checker::{Checker, root};
use crate::scenario::duration::Duration;
use crate::scenario::limits;

impl Checker<'_, '_> {
    pub(super) fn check_header(&mut self) {
        let header = &self.scenario.scenario;
        let path = root("scenario");
        self.name(&path.key("name"), &header.name, "scenario name");
        let duration = header.duration;
        if duration.is_zero() {
            self.error(&path.key("duration"), "`duration` must be longer than 0s")
                .set_hint("it is the simulated time of the run, like duration = \"30m\"");
        } else if duration > limits::SCENARIO_DURATION_MAX {
            self.error(
                &path.key("duration"),
                format!(
                    "`duration` is {duration}, above the limit of {}",
                    limits::SCENARIO_DURATION_MAX
                ),
            );
        }
        let interval = header.metrics_interval;
        let interval_path = path.key("metrics_interval");
        if interval < limits::METRICS_INTERVAL_MIN {
            self.error(
                &interval_path,
                format!(
                    "`metrics_interval` is {interval}, below the minimum of {}",
                    limits::METRICS_INTERVAL_MIN
                ),
            );
        } else if interval > duration && !duration.is_zero() {
            self.error(
                &interval_path,
                format!("`metrics_interval` {interval} is longer than the scenario's `duration` {duration}"),
            )
            .set_hint("a metrics interval is one bucket of the time series; make it a fraction of the duration");
        } else if !duration.is_zero() && duration <= limits::SCENARIO_DURATION_MAX {
            let intervals = duration.as_nanos().div_ceil(interval.as_nanos());
            if intervals > limits::METRICS_INTERVALS_MAX {
                let narrowest =
                    round_interval(duration.as_nanos().div_ceil(limits::METRICS_INTERVALS_MAX));
                self.error(
                    &interval_path,
                    format!(
                        "`metrics_interval` {interval} cuts {duration} into {intervals} intervals, the limit is {}",
                        limits::METRICS_INTERVALS_MAX
                    ),
                )
                .set_hint(format!("use metrics_interval = \"{narrowest}\" or longer"));
            }
        }
    }
}

/// The first round interval (1, 2 or 5 of a unit, or a common fraction of a minute or an hour)
/// at least `nanos` long, for a hint users can copy.
pub(super) fn round_interval(nanos: u64) -> Duration {
    const MILLIS: [u64; 25] = [
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000,
        120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000,
        86_400_000,
    ];
    MILLIS
        .iter()
        .map(|millis| Duration::from_millis(*millis))
        .find(|round| round.as_nanos() >= nanos)
        .unwrap_or(Duration::from_nanos(nanos))
}
