//! The code's HTTP server: any tower `Service` of `http` requests (an axum `Router`, a hyper
//! service behind `tower::service_fn`, a tonic server), served by hyper on each connection the
//! sidecar opens (HTTP/1.1, or HTTP/2 for gRPC), each request handled in the scope of its trace
//! context.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::DuplexStream;
use tokio::task::futures::TaskLocalFuture;

use super::grpc::http_server;
use super::trace_context::{SERVING, TraceContext};

/// A boxed error, as hyper and tower take them.
pub(super) type BoxError = Box<dyn StdError + Send + Sync>;

/// One instance's server, its type put away: serves one connection on `stream` until it
/// closes.
pub(super) trait Served {
    fn serve(&self, stream: DuplexStream) -> Pin<Box<dyn Future<Output = ()>>>;
}

/// A tower service as a [`Served`].
pub(super) struct ServedBy<S> {
    pub(super) service: S,
    /// The run's workload clients, to tell meshsim's trace context from another.
    pub(super) clients: u32,
}

impl<S, B> Served for ServedBy<S>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + 'static,
    B::Error: Into<BoxError>,
{
    fn serve(&self, stream: DuplexStream) -> Pin<Box<dyn Future<Output = ()>>> {
        let service = TowerToHyperService::new(InContext {
            inner: self.service.clone(),
            clients: self.clients,
        });
        // HTTP/1.1 or HTTP/2, as the sidecar opens it: gRPC takes HTTP/2.
        let connection = http_server()
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        Box::pin(async move {
            // The sidecar closing its end is the end of the connection, not a failure of it.
            let _ = connection.await;
        })
    }
}

/// The code's service, each call in the scope of the request's trace context, so the code's
/// calls through [`MeshClient`](super::MeshClient) carry it.
#[derive(Clone)]
struct InContext<S> {
    inner: S,
    clients: u32,
}

impl<S> tower_service::Service<Request<Incoming>> for InContext<S>
where
    S: tower_service::Service<Request<Incoming>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Option<TraceContext>, S::Future>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let trace = TraceContext::read(request.headers(), self.clients);
        SERVING.scope(trace, self.inner.call(request))
    }
}
