//! Linkerd's `retry.linkerd.io/*` and `timeout.linkerd.io/*` annotations on a Service or an
//! HTTPRoute, read as Linkerd edge-26.8.3's policy controller reads them
//! (`policy-controller/k8s/index/src/outbound/index/http.rs` `parse_http_retry`,
//! `policy-controller/k8s/index/src/outbound/index.rs` `parse_timeouts` and `parse_duration`;
//! <https://linkerd.io/2-edge/reference/retries/>, <https://linkerd.io/2-edge/reference/timeouts/>).

use super::reader::{Field, Place};
use crate::scenario::Duration;
use crate::scenario::schema::{Retries, RetryOn};

/// Retries and a timeout the annotations of one resource set, with the annotations' place.
#[derive(Debug, Clone, Default)]
pub(crate) struct Annotated {
    pub(crate) timeout: Option<(Duration, Place)>,
    pub(crate) retries: Option<(Retries, Place)>,
}

/// Statuses one `retry.linkerd.io/http` range may name: all of 100 to 599.
const STATUS_CODES_MAX: usize = 500;

/// Reads the annotations under `metadata.annotations` of `root`. A value Linkerd's parser
/// refuses is a located error: the policy controller drops the whole route then.
pub(crate) fn read(root: Field<'_>) -> Annotated {
    let Some(annotations) = root.at("metadata.annotations") else {
        return Annotated::default();
    };
    let get = |name: &str| annotations.get(name);
    let mut annotated = Annotated::default();
    if let Some(field) = get("timeout.linkerd.io/request")
        && let Some(timeout) = duration(field)
        && timeout != Duration::ZERO
    {
        annotated.timeout = Some((timeout, field.place()));
    }
    for name in ["timeout.linkerd.io/response", "timeout.linkerd.io/idle"] {
        if let Some(field) = get(name)
            && duration(field).is_some()
        {
            field.reader().warning(
                &field.place(),
                format!("`{name}` is not simulated"),
                "meshsim's calls have no streamed body, so a response or idle timer has no moment of its own to start or stop; timeout.linkerd.io/request bounds the whole call",
            );
        }
    }
    let limit = get("retry.linkerd.io/limit").and_then(|field| field.count(u32::from(u16::MAX)));
    let per_try = get("retry.linkerd.io/timeout").and_then(duration);
    let conditions = get("retry.linkerd.io/http").and_then(conditions);
    let any = get("retry.linkerd.io/limit").is_some()
        || get("retry.linkerd.io/timeout").is_some()
        || get("retry.linkerd.io/http").is_some();
    // A condition Linkerd refuses drops the route there; here it is an error, and no retries.
    let refused = get("retry.linkerd.io/http").is_some() && conditions.is_none();
    if any && !refused {
        let (retry_on, codes) = conditions.unwrap_or_default();
        annotated.retries = Some((
            Retries {
                // A limit of 0 is no limit written: Linkerd's default of 1 (`filter(|v| *v != 0)`).
                attempts: limit.filter(|limit| *limit != 0),
                per_try_timeout: per_try.filter(|timeout| *timeout != Duration::ZERO),
                retry_on: get("retry.linkerd.io/http").map(|_| retry_on),
                retriable_status_codes: (!codes.is_empty()).then_some(codes),
                ..Retries::default()
            },
            annotations.place(),
        ));
    }
    annotated
}

/// `retry.linkerd.io/http`: `5xx`, `gateway-error`, a status, or a range of statuses `500-504`.
fn conditions(field: Field<'_>) -> Option<(Vec<RetryOn>, Vec<u16>)> {
    let text = field.text()?;
    let mut words = Vec::new();
    let mut codes: Vec<u16> = Vec::new();
    for condition in text.split(',') {
        if condition.eq_ignore_ascii_case("5xx") {
            words.push(RetryOn::FiveXx);
        } else if condition.eq_ignore_ascii_case("gateway-error") {
            words.push(RetryOn::GatewayError);
        } else if let Some(code) = status(condition) {
            codes.push(code);
        } else if let Some((start, end)) = condition.split_once('-')
            && let (Some(start), Some(end)) = (status(start), status(end))
            && start <= end
        {
            codes.extend((start..=end).take(STATUS_CODES_MAX));
        } else {
            field.reader().error(
                &field.place(),
                format!("invalid retry condition: `{condition}`"),
                "Linkerd takes a comma-separated list of 5xx, gateway-error, a status like 503, or a range like 500-504 (no spaces); its policy controller drops the route otherwise",
            );
            return None;
        }
    }
    Some((words, codes))
}

/// A status Linkerd takes in a retry condition: 100 to 599.
fn status(text: &str) -> Option<u16> {
    let code = text.parse::<u16>().ok()?;
    (100..600).contains(&code).then_some(code)
}

/// A duration in an annotation, read as Linkerd's parser reads it; a located error otherwise.
pub(crate) fn duration(field: Field<'_>) -> Option<Duration> {
    let text = field.text()?;
    match linkerd_duration(text) {
        Ok(duration) => Some(duration),
        Err(message) => {
            field.reader().error(
                &field.place(),
                format!("`{text}` is not a duration Linkerd reads: {message}"),
                "write a whole number and one unit of ms, s, m, h or d, like \"500ms\" or \"2s\"",
            );
            None
        }
    }
}

/// Linkerd's own duration syntax (`parse_duration` in the policy controller's outbound index):
/// one whole number and one unit of `ms`, `s`, `m`, `h`, `d`; a bare `0` is zero. Unlike Go's,
/// it takes no fractions and no pairs (`1m30s`).
pub(crate) fn linkerd_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err("a duration cannot be negative".to_owned());
    }
    let split = text
        .rfind(|c: char| c.is_ascii_digit())
        .ok_or_else(|| "it has no number".to_owned())?
        + 1;
    let (magnitude, unit) = text.split_at(split);
    if magnitude.contains('.') {
        return Err("fractions are not supported".to_owned());
    }
    let magnitude: u64 = magnitude
        .parse()
        .map_err(|_| format!("`{magnitude}` is not a whole number"))?;
    let millis_per_unit: u64 = match unit {
        "" if magnitude == 0 => 0,
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "" => return Err("the unit is missing".to_owned()),
        other => return Err(format!("`{other}` is not one of ms, s, m, h, d")),
    };
    let millis = magnitude
        .checked_mul(millis_per_unit)
        .ok_or_else(|| "it is too long".to_owned())?;
    Ok(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::linkerd_duration;
    use crate::scenario::Duration;

    /// The cases of the policy controller's own tests of `parse_duration` (edge-26.8.3,
    /// `policy-controller/k8s/index/src/outbound/index.rs`): whole numbers and one unit.
    #[test]
    fn durations_as_linkerd_reads_them() {
        assert_eq!(
            linkerd_duration("30"),
            Err("the unit is missing".to_owned())
        );
        assert_eq!(linkerd_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(linkerd_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(linkerd_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(linkerd_duration("1h"), Ok(Duration::from_secs(3_600)));
        assert_eq!(linkerd_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(linkerd_duration("0"), Ok(Duration::ZERO));
        assert_eq!(linkerd_duration("0s"), Ok(Duration::ZERO));
        assert!(linkerd_duration("1.5s").is_err());
        assert!(linkerd_duration("1m30s").is_err());
        assert!(linkerd_duration("-1s").is_err());
    }
}
