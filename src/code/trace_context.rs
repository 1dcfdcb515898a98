//! The request's context across the code: W3C trace context headers on every request the
//! sidecar hands the code, and on every call the code makes through meshsim's client.
//!
//! Istio and Linkerd cannot join a service's outgoing calls to the request that caused them:
//! the application must copy the trace headers from the request it serves to the calls it makes
//! (<https://istio.io/v1.24/docs/tasks/observability/distributed-tracing/overview/>). meshsim
//! asks the same. The sidecar puts `traceparent` and `tracestate` on each request it hands the
//! code; the server runs the handler in a task-local scope holding them, and [`MeshClient`]
//! copies them onto every call, as OpenTelemetry's propagators do. A call without them (from
//! a client of the code's own that does not propagate) is traced as a request of its own.
//!
//! `traceparent` is `00-{trace id}-{parent id}-{flags}`: the trace id holds the workload's
//! client and the request's number (each workload request is one trace), the parent id the
//! instance's key for the request being served, and the flags whether the trace export follows
//! it. `tracestate` carries `meshsim={header set}`: the workload's drawn header values, which
//! header-matched routes read on every hop.
//!
//! [`MeshClient`]: super::MeshClient

use http::HeaderMap;
use http::header::HeaderValue;
use meshsim_models::RequestContext;

pub(super) const TRACEPARENT: &str = "traceparent";
pub(super) const TRACESTATE: &str = "tracestate";

/// The context of the request a handler serves: what its calls carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TraceContext {
    pub(super) context: RequestContext,
    /// The instance's key for the request being served: the parent of the calls made for it.
    pub(super) request: u64,
}

tokio::task_local! {
    /// The request the current handler serves, set around each call of the code's service
    /// (`None` when the request carried no meshsim context).
    pub(super) static SERVING: Option<TraceContext>;
}

impl TraceContext {
    /// The context of the request the current task serves, if it serves one.
    pub(super) fn current() -> Option<TraceContext> {
        SERVING.try_with(|serving| *serving).ok().flatten()
    }

    /// Writes `traceparent` and `tracestate`.
    pub(super) fn write(self, headers: &mut HeaderMap) {
        let context = self.context;
        let parent = format!(
            "00-{:08x}{:016x}00000000-{:016x}-{:02x}",
            context.client,
            context.root,
            self.request,
            u8::from(context.sampled)
        );
        let state = format!("meshsim={:x}", context.headers);
        headers.insert(TRACEPARENT, header_value(&parent));
        headers.insert(TRACESTATE, header_value(&state));
    }

    /// Reads `traceparent` (and meshsim's part of `tracestate`); `None` when there is none or
    /// it is not meshsim's: its client must be one of the run's `clients` workload clients.
    pub(super) fn read(headers: &HeaderMap, clients: u32) -> Option<TraceContext> {
        let parent = headers.get(TRACEPARENT)?.to_str().ok()?;
        let mut fields = parent.split('-');
        let (version, trace, span, flags) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        if version != "00" || trace.len() != 32 || span.len() != 16 || flags.len() != 2 {
            return None;
        }
        let client = u32::from_str_radix(&trace[..8], 16)
            .ok()
            .filter(|&client| client < clients)?;
        let root = u64::from_str_radix(&trace[8..24], 16).ok()?;
        let request = u64::from_str_radix(span, 16).ok()?;
        let sampled = u8::from_str_radix(flags, 16).ok()? & 1 == 1;
        let header_set = headers
            .get(TRACESTATE)
            .and_then(|state| state.to_str().ok())
            .and_then(|state| {
                state
                    .split(',')
                    .find_map(|member| member.trim().strip_prefix("meshsim="))
            })
            .and_then(|value| u32::from_str_radix(value, 16).ok())
            .unwrap_or(0);
        Some(TraceContext {
            context: RequestContext {
                root,
                client,
                headers: header_set,
                sampled,
            },
            request,
        })
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).expect("hex digits and dashes are a header value")
}

/// The context a call without one is given: request 0 of the first workload, which no
/// workload sends (their numbers start at 1), sampled by nobody, with no header values (no
/// header-matched route takes it).
pub(super) const UNTRACED: RequestContext = RequestContext {
    root: 0,
    client: 0,
    headers: 0,
    sampled: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_round_trip() {
        let written = TraceContext {
            context: RequestContext {
                root: 0x1234_5678_9abc,
                client: 3,
                headers: 0x2a,
                sampled: true,
            },
            request: 0x0000_0007_0000_0011,
        };
        let mut headers = HeaderMap::new();
        written.write(&mut headers);
        assert_eq!(
            headers[TRACEPARENT],
            "00-000000030000123456789abc00000000-0000000700000011-01"
        );
        assert_eq!(headers[TRACESTATE], "meshsim=2a");
        assert_eq!(TraceContext::read(&headers, 4), Some(written));
        // A client the run does not have is not meshsim's.
        assert_eq!(TraceContext::read(&headers, 3), None);
    }

    #[test]
    fn a_foreign_or_broken_traceparent_is_no_context() {
        let mut headers = HeaderMap::new();
        assert_eq!(TraceContext::read(&headers, 1), None);
        headers.insert(TRACEPARENT, HeaderValue::from_static("01-xyz"));
        assert_eq!(TraceContext::read(&headers, 1), None);
        // The W3C specification's example: a trace from outside the run.
        headers.insert(
            TRACEPARENT,
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        assert_eq!(TraceContext::read(&headers, 8), None);
    }
}
