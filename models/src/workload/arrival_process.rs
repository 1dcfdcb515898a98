//! The arrival times of a rate profile: a non-homogeneous Poisson process whose rate is
//! interpolated linearly between the profile's points.
//!
//! It is generated exactly by inverting the integrated rate (E. Çinlar, *Introduction to
//! Stochastic Processes*, 1975, the time change of a non-homogeneous Poisson process): the
//! integrated rate Λ(t) maps the process onto a unit-rate Poisson process, so from an arrival at
//! `s` the next one is at the `t` where Λ(t) − Λ(s) = E, E ~ Exp(1). Λ is piecewise quadratic,
//! so `t` is a square root away, and one draw makes each arrival however far apart the quiet
//! stretches and the peaks are. Thinning (Lewis & Shedler, 1979), the other exact method, draws
//! once per rejected candidate against the peak rate, which a long quiet night makes many.

/// The time of the next arrival after `from_ns`, at integrated rate `mass` (an Exp(1) draw)
/// beyond it; `None` when the rate is 0 from there on. `points` are `(at_ns, rate per second)`
/// sorted by time, the first at 0, the last's rate held after it. `segment` is where the last
/// search ended: arrivals only move forward, so the search resumes there.
pub(crate) fn next_arrival_ns(
    points: &[(u64, f64)],
    segment: &mut usize,
    from_ns: u64,
    mass: f64,
) -> Option<u64> {
    let mut remaining = mass;
    let mut at_s = from_ns as f64 / 1e9;
    while *segment + 1 < points.len() && points[*segment + 1].0 <= from_ns {
        *segment += 1;
    }
    loop {
        let (start_ns, start_rate) = *points.get(*segment)?;
        let Some(&(end_ns, end_rate)) = points.get(*segment + 1) else {
            // After the last point its rate holds.
            if start_rate <= 0.0 {
                return None;
            }
            return Some(to_ns(at_s + remaining / start_rate));
        };
        let (start_s, end_s) = (start_ns as f64 / 1e9, end_ns as f64 / 1e9);
        let width_s = end_s - start_s;
        if width_s > 0.0 {
            let slope = (end_rate - start_rate) / width_s;
            let rate_here = start_rate + slope * (at_s - start_s);
            // The area under the segment from here to its end: a trapezoid.
            let segment_mass = f64::midpoint(rate_here, end_rate) * (end_s - at_s);
            if remaining <= segment_mass && segment_mass > 0.0 {
                // rate_here·x + slope/2·x² = remaining, in the form that does not cancel
                // when the slope is small or negative.
                let root = (rate_here * rate_here + 2.0 * slope * remaining)
                    .max(0.0)
                    .sqrt();
                let x_s = 2.0 * remaining / (rate_here + root);
                return Some(to_ns((at_s + x_s).min(end_s)));
            }
            remaining -= segment_mass;
        }
        *segment += 1;
        at_s = end_s;
    }
}

fn to_ns(at_s: f64) -> u64 {
    (at_s * 1e9).round() as u64
}

#[cfg(test)]
mod tests {
    use meshsim_sim::Seeder;

    use super::next_arrival_ns;

    /// The arrivals of `points` up to `end_s`, drawn as the workload client draws them.
    fn arrivals(points: &[(u64, f64)], end_s: f64, seed: u64) -> Vec<f64> {
        let mut rng = Seeder::new(seed).stream("arrivals");
        let mut segment = 0;
        let mut at_ns = 0;
        let mut times = Vec::new();
        while let Some(next) =
            next_arrival_ns(points, &mut segment, at_ns, -rng.unit_open_zero().ln())
        {
            if next as f64 / 1e9 >= end_s {
                break;
            }
            times.push(next as f64 / 1e9);
            at_ns = next;
        }
        times
    }

    fn secs(at_s: u64) -> u64 {
        at_s * 1_000_000_000
    }

    /// A Poisson count's mean equals its variance: a count within 4 standard deviations of the
    /// integral of the rate (a correct generator fails this about once in 16 000 tries).
    fn assert_poisson_count(count: usize, expected: f64, what: &str) {
        let deviation = (count as f64 - expected).abs() / expected.sqrt();
        assert!(
            deviation < 4.0,
            "{what}: {count} arrivals, expected {expected:.1} (off by {deviation:.1} sd)"
        );
    }

    /// A linear ramp from 0 to 1 000 per second over 100 s: in each 10 s interval the count
    /// follows the ramp's integral there, 10·(100·k + 50) for the k-th interval.
    #[test]
    fn a_ramp_s_arrivals_per_interval_follow_the_ramp() {
        let ramp = [(0, 0.0), (secs(100), 1000.0)];
        let times = arrivals(&ramp, 100.0, 7);
        for interval in 0..10u32 {
            let (low, high) = (f64::from(interval) * 10.0, f64::from(interval + 1) * 10.0);
            let count = times.iter().filter(|&&t| t >= low && t < high).count();
            // ∫ 10·t dt over [low, high].
            let expected = 5.0 * (high * high - low * low);
            assert_poisson_count(count, expected, &format!("interval {interval}"));
        }
    }

    /// Over a launch-day shape (quiet, a ramp to 8×, a decay, then held) the total count and
    /// the count in each piece converge to the integral of the rate.
    #[test]
    fn a_profile_s_count_converges_to_the_integral_of_its_rate() {
        let profile = [
            (0, 50.0),
            (secs(60), 50.0),
            (secs(90), 400.0),
            (secs(150), 400.0),
            (secs(210), 100.0),
        ];
        let times = arrivals(&profile, 300.0, 11);
        let pieces = [
            (0.0, 60.0, 50.0 * 60.0),
            // A ramp's integral is its mean rate, halfway between its ends, times its width.
            (60.0, 90.0, 225.0 * 30.0),
            (90.0, 150.0, 400.0 * 60.0),
            (150.0, 210.0, 250.0 * 60.0),
            (210.0, 300.0, 100.0 * 90.0),
        ];
        for (low, high, expected) in pieces {
            let count = times.iter().filter(|&&t| t >= low && t < high).count();
            assert_poisson_count(count, expected, &format!("{low}s to {high}s"));
        }
        let total: f64 = pieces.iter().map(|piece| piece.2).sum();
        assert_poisson_count(times.len(), total, "the whole run");
    }

    /// A rate of 0 sends nothing, and a profile that falls to 0 and stays there ends.
    #[test]
    fn a_zero_rate_sends_nothing() {
        let mut segment = 0;
        assert_eq!(next_arrival_ns(&[(0, 0.0)], &mut segment, 0, 0.5), None);
        let fading = [(0, 10.0), (secs(1), 0.0)];
        // The whole profile holds 5 arrivals' worth of mass: a draw of 6 finds none.
        assert_eq!(next_arrival_ns(&fading, &mut 0, 0, 6.0), None);
        // Half the mass, 2.5, is reached where 10·t − 5·t² = 2.5: t = 1 − √0.5.
        let half = next_arrival_ns(&fading, &mut 0, 0, 2.5).expect("an arrival");
        let expected_ns = (1.0 - 0.5f64.sqrt()) * 1e9;
        assert!(
            (half as f64 - expected_ns).abs() < 2.0,
            "{half} vs {expected_ns}"
        );
    }

    /// A constant profile is a homogeneous Poisson process: the gap is the draw over the rate.
    #[test]
    fn a_flat_profile_is_a_poisson_process() {
        let flat = [(0, 4.0), (secs(10), 4.0)];
        assert_eq!(
            next_arrival_ns(&flat, &mut 0, secs(1), 2.0),
            Some(1_500_000_000)
        );
        assert_eq!(next_arrival_ns(&flat, &mut 0, secs(9), 8.0), Some(secs(11)));
    }
}
