//! Which versions of a scenario's services run code, and what their requests carry.

use std::rc::Rc;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use indexmap::IndexMap;

use super::pod::RequestBody;
use super::pod_scope::POD;
use super::served::{BoxError, Served, ServedBy};

/// Makes one instance's server; called once per instance, in its pod, at the start of the run.
pub(super) type Factory = Rc<dyn Fn(u32) -> Rc<dyn Served>>;

/// The code of a scenario's service versions: each a factory of a tower `Service`, called once
/// per instance so that every instance has its own state, as every pod has its own process.
#[derive(Default, Clone)]
pub struct ServiceCode {
    /// By (service, version).
    pub(super) versions: IndexMap<(String, String), Factory>,
    /// By (service, endpoint).
    pub(super) bodies: IndexMap<(String, String), RequestBody>,
}

impl std::fmt::Debug for ServiceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceCode")
            .field("versions", &self.versions.keys().collect::<Vec<_>>())
            .field("bodies", &self.bodies)
            .finish()
    }
}

impl ServiceCode {
    pub fn new() -> ServiceCode {
        ServiceCode::default()
    }

    /// Runs version `version` of `service` as the service `factory` makes: an axum `Router`,
    /// a hyper service behind `tower::service_fn`, a tonic server. `factory` runs once per
    /// instance, inside the instance's pod, so a [`MeshClient`](super::MeshClient) or
    /// [`MeshConnector`](super::MeshConnector) made there reaches that instance's sidecar.
    #[must_use]
    pub fn with_service<F, S, B>(mut self, service: &str, version: &str, factory: F) -> Self
    where
        F: Fn() -> S + 'static,
        S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
        S::Future: 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body + 'static,
        B::Error: Into<BoxError>,
    {
        let factory: Factory = Rc::new(move |clients| {
            Rc::new(ServedBy {
                service: factory(),
                clients,
            }) as Rc<dyn Served>
        });
        self.versions
            .insert((service.to_owned(), version.to_owned()), factory);
        self
    }

    /// Every request the workloads send to `endpoint` of `service` carries `body`, with
    /// `content_type`: what the code's handler reads (`{"message":"hi"}` for a JSON body).
    /// Without, a request has an empty body.
    #[must_use]
    pub fn with_request_body(
        mut self,
        service: &str,
        endpoint: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Self {
        self.bodies.insert(
            (service.to_owned(), endpoint.to_owned()),
            RequestBody {
                content_type: content_type.to_owned(),
                bytes: body.into(),
            },
        );
        self
    }

    /// Whether any version runs code.
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }
}

/// Calls `factory` as pod `pod`'s code would: in the pod's scope.
pub(super) fn make_server(factory: &Factory, pod: usize, clients: u32) -> Rc<dyn Served> {
    POD.sync_scope(pod, || factory(clients))
}
