//! Where the code's HTTP calls go, and what HTTP request stands for each endpoint the sidecar
//! hands the code.
//!
//! A call's host names a service or a store of the scenario (`http://payment/...`, or its
//! Kubernetes name `payment.default.svc.cluster.local`); a port is ignored. A service's
//! endpoint is found by its name, `METHOD /path` with `:param` or `{param}` segments matching
//! any one segment (`GET /products/:id` takes `GET /products/42`). A store's operation is the
//! path's first segment, in Webdis's form for Redis over HTTP (`GET /LRANGE/messages/0/-1`,
//! <https://webdis.org>), whatever the method.

use http::Method;
use indexmap::IndexMap;
use meshsim_models::{
    KEY_VALUE_OPERATIONS, LEDGER_OPERATIONS, ORDERS_OPERATIONS, STOCK_OPERATIONS, StoreKind,
};

use crate::scenario::Resolved;

/// An endpoint's name read as a method and a path pattern.
#[derive(Debug, Clone)]
pub(super) struct EndpointName {
    /// `None`: any method (a name without one, `checkout`, is the path `/checkout`).
    method: Option<Method>,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

impl EndpointName {
    pub(super) fn parse(name: &str) -> EndpointName {
        let (method, path) = match name.split_once(' ') {
            Some((method, path)) if path.starts_with('/') => {
                (Method::from_bytes(method.as_bytes()).ok(), path)
            }
            _ => (None, name),
        };
        let segments = path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| {
                let param = segment.starts_with(':')
                    || (segment.starts_with('{') && segment.ends_with('}'))
                    || segment == "*";
                if param {
                    Segment::Param
                } else {
                    Segment::Literal(segment.to_owned())
                }
            })
            .collect();
        EndpointName { method, segments }
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method.as_ref().is_some_and(|own| own != method) {
            return false;
        }
        let mut given = path.split('/').filter(|segment| !segment.is_empty());
        for segment in &self.segments {
            match (segment, given.next()) {
                (Segment::Literal(literal), Some(part)) if literal == part => {}
                (Segment::Param, Some(_)) => {}
                _ => return false,
            }
        }
        given.next().is_none()
    }

    /// The request that stands for this endpoint: its method (GET when the name has none) and
    /// its path, each parameter filled with `value` (the request's number, so a handler that
    /// reads it sees them vary as a workload's would).
    pub(super) fn request_line(&self, value: u64) -> (Method, String) {
        let mut path = String::new();
        for segment in &self.segments {
            path.push('/');
            match segment {
                Segment::Literal(literal) => path.push_str(literal),
                Segment::Param => path.push_str(&value.to_string()),
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        (self.method.clone().unwrap_or(Method::GET), path)
    }
}

/// What a callee answers to.
#[derive(Debug, Clone)]
enum Callee {
    Service(Vec<EndpointName>),
    Store(&'static [&'static str]),
}

/// Why a call found nothing to go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NotFound {
    /// No service or store of the scenario has this name.
    Host(String),
    /// The callee has no such endpoint; the text lists those it has.
    Endpoint { host: String, known: String },
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotFound::Host(host) => write!(
                f,
                "meshsim: no service or store `{host}` in the scenario, so the mesh has no route to it"
            ),
            NotFound::Endpoint { host, known } => write!(
                f,
                "meshsim: `{host}` has no endpoint for this request in the scenario; it has {known}"
            ),
        }
    }
}

/// Every callee a code instance's sidecar can reach: the scenario's services and stores, each
/// with its upstream's place in the sidecar.
#[derive(Debug, Clone)]
pub(super) struct Targets {
    by_host: IndexMap<String, (u16, Callee)>,
}

impl Targets {
    /// The callees of a code instance whose sidecar's upstreams are `upstreams` (indices into
    /// the scenario's upstreams: services, then brokers, then stores).
    pub(super) fn new(resolved: Resolved<'_>, upstreams: &[usize]) -> Targets {
        let scenario = resolved.parsed;
        let services = scenario.services.len();
        let brokers = scenario.brokers.len();
        let mut by_host = IndexMap::new();
        for (place, &upstream) in upstreams.iter().enumerate() {
            let place = u16::try_from(place).expect("fewer than 2^16 upstreams");
            if upstream < services {
                let service = &scenario.services[upstream];
                let names = service
                    .endpoints
                    .iter()
                    .map(|endpoint| EndpointName::parse(&endpoint.name))
                    .collect();
                by_host.insert(service.name.clone(), (place, Callee::Service(names)));
            } else if upstream >= services + brokers {
                let index = upstream - services - brokers;
                let operations = store_operations(&resolved.resolution.stores[index]);
                by_host.insert(
                    scenario.stores[index].name.clone(),
                    (place, Callee::Store(operations)),
                );
            }
        }
        Targets { by_host }
    }

    /// The sidecar's upstream and the callee's endpoint for a request to `host`.
    pub(super) fn find(
        &self,
        host: &str,
        method: &Method,
        path: &str,
    ) -> Result<(u16, u32), NotFound> {
        // `payment:8080`, `payment.shop.svc.cluster.local`: the service's name is the first label.
        let name = host.split(':').next().unwrap_or(host);
        let name = name.split('.').next().unwrap_or(name);
        let Some((upstream, callee)) = self.by_host.get(name) else {
            return Err(NotFound::Host(name.to_owned()));
        };
        let endpoint = match callee {
            Callee::Service(names) => names
                .iter()
                .position(|endpoint| endpoint.matches(method, path)),
            Callee::Store(operations) => {
                let operation = path
                    .split('/')
                    .find(|segment| !segment.is_empty())
                    .unwrap_or("");
                operations
                    .iter()
                    .position(|known| known.eq_ignore_ascii_case(operation))
            }
        };
        let Some(endpoint) = endpoint else {
            let known = match callee {
                Callee::Service(names) => names
                    .iter()
                    .map(|endpoint| {
                        let (method, path) = endpoint.request_line(1);
                        format!("`{method} {path}`")
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                Callee::Store(operations) => format!("the operations {}", operations.join(", ")),
            };
            return Err(NotFound::Endpoint {
                host: name.to_owned(),
                known,
            });
        };
        Ok((*upstream, endpoint as u32))
    }
}

fn store_operations(kind: &StoreKind) -> &'static [&'static str] {
    match kind {
        StoreKind::Stock { .. } => STOCK_OPERATIONS,
        StoreKind::Ledger => LEDGER_OPERATIONS,
        StoreKind::Orders => ORDERS_OPERATIONS,
        StoreKind::KeyValue { .. } => KEY_VALUE_OPERATIONS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_match_requests_as_express_routes_do() {
        let name = EndpointName::parse("GET /products/:id");
        assert!(name.matches(&Method::GET, "/products/42"));
        assert!(!name.matches(&Method::POST, "/products/42"));
        assert!(!name.matches(&Method::GET, "/products"));
        assert!(!name.matches(&Method::GET, "/products/42/stock"));
        assert_eq!(
            name.request_line(7),
            (Method::GET, "/products/7".to_owned())
        );
        let bare = EndpointName::parse("checkout");
        assert!(bare.matches(&Method::POST, "/checkout"));
        assert_eq!(bare.request_line(1), (Method::GET, "/checkout".to_owned()));
        let root = EndpointName::parse("GET /");
        assert!(root.matches(&Method::GET, "/"));
        assert_eq!(root.request_line(1), (Method::GET, "/".to_owned()));
    }
}
