//! What a span's attributes (OTLP), tags (Jaeger, Zipkin) and resource say, by the
//! OpenTelemetry semantic conventions, with the names older instrumentation still writes:
//! `http.request.method` (`http.method`), `http.response.status_code` (`http.status_code`),
//! `messaging.destination.name` (`messaging.destination`), `server.address`
//! (`net.peer.name`). When both spellings are present the current one wins.
//! (open-telemetry/semantic-conventions v1.26.0, `docs/http/http-spans.md`,
//! `docs/messaging/messaging-spans.md`, and its `docs/general/attribute-registry.md` for the
//! deprecated names.)

use serde_json::Value;

use crate::calibrate::trace::{SpanRole, TraceSpan};

/// One attribute read under its current name or an older one.
#[derive(Debug, Default, Clone)]
struct Named<T> {
    current: Option<T>,
    legacy: Option<T>,
}

impl<T> Named<T> {
    fn set(&mut self, current: bool, value: Option<T>) {
        if current {
            self.current = value.or(self.current.take());
        } else {
            self.legacy = value.or(self.legacy.take());
        }
    }

    fn take(self) -> Option<T> {
        self.current.or(self.legacy)
    }
}

/// The attributes calibration uses, gathered from a span's (or a resource's) key-value list.
#[derive(Debug, Default, Clone)]
pub(crate) struct Attributes {
    http_method: Named<String>,
    http_route: Option<String>,
    http_status: Named<u16>,
    messaging_destination: Named<String>,
    peer_service: Option<String>,
    server_address: Named<String>,
    /// An explicit error mark (`error=true`, `otel.status_code=ERROR`).
    pub(crate) error: bool,
    /// Jaeger's `span.kind` tag.
    pub(crate) role: Option<SpanRole>,
    pub(crate) version: Option<String>,
    /// The instance, by rank: `service.instance.id` (0) over `host.name` (1) over `hostname`
    /// (Jaeger's client libraries, 2) over `ip` (3).
    instance: Option<(u8, String)>,
}

impl Attributes {
    /// Reads one key-value pair; keys calibration does not use are ignored.
    pub(crate) fn take(&mut self, key: &str, value: &Value) {
        match key {
            "http.request.method" => self.http_method.set(true, text(value)),
            "http.method" => self.http_method.set(false, text(value)),
            "http.route" => self.http_route = text(value).or(self.http_route.take()),
            "http.response.status_code" => self.http_status.set(true, status(value)),
            "http.status_code" => self.http_status.set(false, status(value)),
            "messaging.destination.name" => self.messaging_destination.set(true, text(value)),
            "messaging.destination" => self.messaging_destination.set(false, text(value)),
            "peer.service" => self.peer_service = text(value).or(self.peer_service.take()),
            "server.address" => self.server_address.set(true, text(value)),
            "net.peer.name" => self.server_address.set(false, text(value)),
            "error" => self.error |= truthy(value),
            "otel.status_code" => self.error |= text(value).is_some_and(|code| code == "ERROR"),
            "span.kind" => self.role = text(value).and_then(|kind| role(&kind)),
            "service.version" => self.version = text(value).or(self.version.take()),
            "service.instance.id" => self.instance_of(0, value),
            "host.name" => self.instance_of(1, value),
            "hostname" => self.instance_of(2, value),
            "ip" => self.instance_of(3, value),
            _ => {}
        }
    }

    fn instance_of(&mut self, rank: u8, value: &Value) {
        let Some(name) = text(value) else { return };
        if self.instance.as_ref().is_none_or(|(held, _)| rank < *held) {
            self.instance = Some((rank, name));
        }
    }

    /// The instance these attributes name, if any.
    pub(crate) fn instance(&self) -> Option<String> {
        self.instance.as_ref().map(|(_, name)| name.clone())
    }

    /// Writes what these attributes say into the span. The role must be set first: whom a
    /// client called and whether a status is an error depend on it.
    pub(crate) fn apply(self, span: &mut TraceSpan) {
        span.http_method = self.http_method.take();
        span.http_route = self.http_route;
        span.http_status = self.http_status.take();
        span.messaging_destination = self.messaging_destination.take();
        let address = self.server_address.take();
        span.peer_service = self.peer_service.or(if span.role == SpanRole::Client {
            address
        } else {
            None
        });
        // A server span's 5xx is an error of the server; its 4xx is the caller's (the
        // OpenTelemetry HTTP span conventions, "Status").
        let server_failed =
            span.role == SpanRole::Server && span.http_status.is_some_and(|code| code >= 500);
        span.error |= self.error || server_failed;
        if span.version.is_none() {
            span.version = self.version;
        }
        if span.instance.is_none() {
            span.instance = self.instance.map(|(_, name)| name);
        }
    }
}

/// A span kind as Jaeger's `span.kind` tag and Zipkin's `kind` write it (any case).
pub(crate) fn role(kind: &str) -> Option<SpanRole> {
    match kind.to_ascii_lowercase().as_str() {
        "server" => Some(SpanRole::Server),
        "client" => Some(SpanRole::Client),
        "producer" => Some(SpanRole::Producer),
        "consumer" => Some(SpanRole::Consumer),
        "internal" => Some(SpanRole::Internal),
        _ => None,
    }
}

/// A value as text: strings as they are, numbers and booleans written out.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn status(value: &Value) -> Option<u16> {
    match value {
        Value::Number(number) => number.as_u64().and_then(|code| u16::try_from(code).ok()),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Jaeger's `error` tag: `true`, or the string `"true"`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::String(text) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn span(role: SpanRole) -> TraceSpan {
        TraceSpan {
            span_id: "0000000000000001".to_owned(),
            parent_id: None,
            service: "order".to_owned(),
            version: None,
            instance: None,
            role,
            name: "x".to_owned(),
            http_method: None,
            http_route: None,
            messaging_destination: None,
            peer_service: None,
            start_ns: 0,
            duration_ns: 0,
            http_status: None,
            error: false,
        }
    }

    #[test]
    fn current_names_win_over_old_ones_in_either_order() {
        let mut attributes = Attributes::default();
        attributes.take("http.request.method", &json!("POST"));
        attributes.take("http.method", &json!("GET"));
        attributes.take("http.status_code", &json!("503"));
        attributes.take("http.response.status_code", &json!(200));
        attributes.take("messaging.destination", &json!("old-topic"));
        let mut server = span(SpanRole::Server);
        attributes.apply(&mut server);
        assert_eq!(server.http_method.as_deref(), Some("POST"));
        assert_eq!(server.http_status, Some(200));
        assert_eq!(server.messaging_destination.as_deref(), Some("old-topic"));
        assert!(!server.error);
    }

    #[test]
    fn a_server_5xx_is_an_error_and_a_4xx_is_not() {
        for (code, error) in [(404, false), (500, true), (503, true)] {
            let mut attributes = Attributes::default();
            attributes.take("http.status_code", &json!(code));
            let mut server = span(SpanRole::Server);
            attributes.apply(&mut server);
            assert_eq!(server.error, error, "status {code}");
        }
        let mut attributes = Attributes::default();
        attributes.take("http.status_code", &json!(503));
        let mut client = span(SpanRole::Client);
        attributes.apply(&mut client);
        assert!(
            !client.error,
            "the contract marks only server spans by status"
        );
    }

    #[test]
    fn the_callee_of_a_client_span_is_its_peer_service_or_server_address() {
        let mut attributes = Attributes::default();
        attributes.take("net.peer.name", &json!("payment"));
        let mut client = span(SpanRole::Client);
        attributes.clone().apply(&mut client);
        assert_eq!(client.peer_service.as_deref(), Some("payment"));
        let mut server = span(SpanRole::Server);
        attributes.apply(&mut server);
        assert_eq!(server.peer_service, None);
    }
}
