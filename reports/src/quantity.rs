//! One way to write each quantity a person reads, on the terminal and on every page: durations
//! in a unit chosen for the value, ratios to four significant digits, shares as percentages, a
//! change of a rate in percentage points and a relative change in percent, each labelled.
//!
//! The CSV and JSON files keep their exact machine values; only what is printed goes through
//! here, so the terminal and the report always agree.

/// A duration in seconds, in a unit chosen for its size: `0.412 ms`, `12.3 ms`, `450 ms`,
/// `1.25 s`, `61.0 s`, `5m 00s`, `1h 02m 03s`. Negative durations keep their sign.
pub(crate) fn duration_s(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "–".to_owned();
    }
    if seconds < 0.0 {
        return format!("-{}", duration_s(-seconds));
    }
    let millis = seconds * 1000.0;
    if millis < 1.0 {
        if millis == 0.0 {
            return "0 s".to_owned();
        }
        return format!("{millis:.3} ms");
    }
    if millis < 10.0 {
        return format!("{millis:.2} ms");
    }
    if millis < 100.0 {
        return format!("{millis:.1} ms");
    }
    if millis < 999.5 {
        return format!("{millis:.0} ms");
    }
    if seconds < 10.0 {
        return format!("{seconds:.2} s");
    }
    if seconds < 99.95 {
        return format!("{seconds:.1} s");
    }
    // Whole seconds from here: a minute-long span read to the millisecond is noise.
    let whole = seconds.round() as u64;
    let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60);
    if hours > 0 {
        format!("{hours}h {minutes:02}m {secs:02}s")
    } else {
        format!("{minutes}m {secs:02}s")
    }
}

/// A duration in milliseconds, written as [`duration_s`] writes it.
pub(crate) fn duration_ms(millis: f64) -> String {
    duration_s(millis / 1000.0)
}

/// A simulated instant, as the run's clock reads it: `t = 7m 00s`. The same units as
/// [`duration_s`], since an instant is the time since the run began.
pub(crate) fn instant_s(seconds: f64) -> String {
    format!("t = {}", duration_s(seconds))
}

/// A plain number to four significant digits, trailing zeros kept so the precision shows:
/// `0.9815`, `3.498`, `1.000`, `1234`, `12345`.
pub(crate) fn significant(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    // Rounding can carry into a new digit (`9.9996` to `10.000`): one decimal fewer then.
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let leading_zeros = text
        .trim_start_matches('-')
        .chars()
        .take_while(|c| *c == '0' || *c == '.')
        .filter(|c| *c == '0')
        .count();
    if digits - leading_zeros > 4 && decimals > 0 {
        return format!("{value:.prec$}", prec = decimals - 1);
    }
    text
}

/// A ratio (a share of 1, a hit ratio, an amplification) to four significant digits.
pub(crate) fn ratio(value: f64) -> String {
    significant(value)
}

/// A share of 1 as a percentage with two decimals: `99.28%`; `–` for none.
pub(crate) fn percent(share: Option<f64>) -> String {
    share.map_or("–".to_owned(), |share| format!("{:.2}%", share * 100.0))
}

/// A change of a rate (`b − a`, both shares of 1) in percentage points: `+33.77 pp`.
pub(crate) fn points(change: f64) -> String {
    format!("{:+.2} pp", change * 100.0)
}

/// A relative change (`(b − a) / a`) in percent: `+51.0 %`.
pub(crate) fn relative(change: f64) -> String {
    format!("{:+.1} %", change * 100.0)
}

/// A count with its noun, singular or plural: `1 open`, `12 opens`.
pub(crate) fn counted(count: u64, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("1 {singular}")
    } else {
        format!("{count} {plural}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_that_fits_them() {
        assert_eq!(duration_s(300.0), "5m 00s");
        assert_eq!(duration_s(420.0), "7m 00s");
        assert_eq!(duration_ms(61017.204), "61.0 s");
        assert_eq!(duration_ms(12.34), "12.3 ms");
        assert_eq!(duration_ms(3.456), "3.46 ms");
        assert_eq!(duration_ms(0.4123), "0.412 ms");
        assert_eq!(duration_ms(450.0), "450 ms");
        assert_eq!(duration_ms(999.6), "1.00 s");
        assert_eq!(duration_s(1.25), "1.25 s");
        assert_eq!(duration_s(99.96), "1m 40s");
        assert_eq!(duration_s(3723.0), "1h 02m 03s");
        assert_eq!(duration_s(0.0), "0 s");
        assert_eq!(duration_s(-2.5), "-2.50 s");
        assert_eq!(instant_s(67.669), "t = 67.7 s");
    }

    #[test]
    fn ratios_keep_four_significant_digits() {
        assert_eq!(ratio(0.981_504_679_095_129_3), "0.9815");
        assert_eq!(ratio(0.992_832), "0.9928");
        assert_eq!(ratio(1.0), "1.000");
        assert_eq!(ratio(3.498_091), "3.498");
        assert_eq!(ratio(0.001_234_56), "0.001235");
        assert_eq!(ratio(9.99996), "10.00");
        assert_eq!(ratio(12345.6), "12346");
        assert_eq!(ratio(0.0), "0");
    }

    #[test]
    fn changes_of_rates_are_points_and_relative_changes_are_percent() {
        assert_eq!(points(0.3377), "+33.77 pp");
        assert_eq!(points(-0.005), "-0.50 pp");
        assert_eq!(relative(0.51), "+51.0 %");
        assert_eq!(percent(Some(0.992_832)), "99.28%");
        assert_eq!(percent(None), "–");
        assert_eq!(counted(1, "open", "opens"), "1 open");
        assert_eq!(counted(12, "open", "opens"), "12 opens");
    }
}
