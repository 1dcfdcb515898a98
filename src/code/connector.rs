//! How the code reaches its sidecar: [`MeshConnector`], a connector for the code's own hyper
//! client, and [`MeshClient`], meshsim's client, which also carries the trace context.
//!
//! In Istio, iptables sends every connection a pod opens to its Envoy, whatever address it
//! names; here the connector does: whatever the URI, the connection goes to the sidecar of the
//! pod whose code opens it, which reads the request's host and path to know the callee.

use std::cell::RefCell;
use std::future::Ready;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use tokio::io::DuplexStream;

use super::pod::PodCore;
use super::pod_scope::POD;
use super::trace_context::{TRACEPARENT, TraceContext};

thread_local! {
    /// The pods of the run on this thread, by number: turmoil runs every host on the thread
    /// that runs the simulation, so a connector finds its pod here without holding it (a
    /// hyper client's connector must be `Send`).
    static PODS: RefCell<Vec<Option<Rc<PodCore>>>> = const { RefCell::new(Vec::new()) };
}

/// The pods of one run, registered on this thread for as long as the run lasts.
pub(super) struct PodRegistry;

impl PodRegistry {
    /// Room for `pods` pods, none there yet.
    pub(super) fn open(pods: usize) -> PodRegistry {
        PODS.with(|registered| {
            let mut registered = registered.borrow_mut();
            assert!(
                registered.is_empty(),
                "one run with code at a time on a thread"
            );
            registered.resize(pods, None);
        });
        PodRegistry
    }

    pub(super) fn register(pod: usize, core: Rc<PodCore>) {
        PODS.with(|registered| registered.borrow_mut()[pod] = Some(core));
    }
}

impl Drop for PodRegistry {
    fn drop(&mut self) {
        PODS.with(|registered| registered.borrow_mut().clear());
    }
}

/// Pod `pod`'s sidecar side. Never held across an await: a future holding it would not be
/// `Send`, and axum asks handlers' futures to be.
fn core_of(pod: usize) -> Result<Rc<PodCore>, ConnectError> {
    PODS.with(|registered| registered.borrow().get(pod).cloned().flatten())
        .ok_or(ConnectError::OutsideThePod)
}

/// Why a connection to the sidecar could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "a MeshConnector or MeshClient was used outside a service's code: use it in the code \
         `with_service` runs (its factory, its handlers, or tasks they spawn while serving)"
    )]
    OutsideThePod,
}

/// A connector for the code's own hyper client: every connection goes to the sidecar of the
/// pod it is made in. `Send`, `Sync` and `Clone`, as hyper-util's legacy client asks:
///
/// ```no_run
/// use hyper_util::client::legacy::Client;
/// use hyper_util::rt::TokioExecutor;
/// # fn make() {
/// let client: Client<_, http_body_util::Full<bytes::Bytes>> =
///     Client::builder(TokioExecutor::new()).build(meshsim::MeshConnector::new());
/// # }
/// ```
///
/// Such a client does not know the request being served: copy its `traceparent` and
/// `tracestate` onto the calls (as with Istio), or use [`MeshClient`], which does.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeshConnector {
    /// The pod it was made in, if it was made in one; otherwise the pod of the task that
    /// connects.
    pod: Option<usize>,
}

impl MeshConnector {
    pub fn new() -> MeshConnector {
        MeshConnector {
            pod: POD.try_with(|pod| *pod).ok(),
        }
    }

    /// The pod this connector connects in.
    fn pod(self) -> Result<usize, ConnectError> {
        self.pod
            .or_else(|| POD.try_with(|pod| *pod).ok())
            .ok_or(ConnectError::OutsideThePod)
    }

    /// A connection to the sidecar, the code's end.
    fn open(self) -> Result<MeshStream, ConnectError> {
        let core = core_of(self.pod()?)?;
        Ok(MeshStream(TokioIo::new(core.connect())))
    }
}

impl tower_service::Service<Uri> for MeshConnector {
    type Response = MeshStream;
    type Error = ConnectError;
    type Future = Ready<Result<MeshStream, ConnectError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        std::future::ready(self.open())
    }
}

/// A connection from the code to its sidecar.
#[derive(Debug)]
pub struct MeshStream(TokioIo<DuplexStream>);

impl Connection for MeshStream {
    fn connected(&self) -> Connected {
        // The sidecar is a proxy: requests go to it in absolute form, naming their host.
        Connected::new().proxy(true)
    }
}

impl Read for MeshStream {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(context, buffer)
    }
}

impl Write for MeshStream {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(context, bytes)
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(context)
    }
}

/// Why a call through [`MeshClient`] gave no answer. The mesh's failures (a timeout, no
/// healthy upstream, an open breaker) are answers, with Envoy's status and body.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("HTTP between the code and its sidecar: {0}")]
    Http(#[from] hyper::Error),
    #[error("not a request: {0}")]
    Request(#[from] http::Error),
}

/// meshsim's HTTP client for the code: every call through the pod's sidecar, carrying the
/// trace context of the request being served. Make it anywhere in the code; it is cheap to
/// clone. An answer's body is read whole.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeshClient {
    connector: MeshConnector,
}

impl MeshClient {
    pub fn new() -> MeshClient {
        MeshClient {
            connector: MeshConnector::new(),
        }
    }

    /// `GET uri`.
    pub async fn get(&self, uri: &str) -> Result<Response<Bytes>, ClientError> {
        let request = Request::get(uri).body(Full::new(Bytes::new()))?;
        self.request(request).await
    }

    /// `POST uri` with `body`.
    pub async fn post(
        &self,
        uri: &str,
        body: impl Into<Bytes>,
    ) -> Result<Response<Bytes>, ClientError> {
        let request = Request::post(uri).body(Full::new(body.into()))?;
        self.request(request).await
    }

    /// Sends `request` through the sidecar and reads the answer whole.
    pub async fn request(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Bytes>, ClientError> {
        if !request.headers().contains_key(TRACEPARENT)
            && let Some(trace) = TraceContext::current()
        {
            trace.write(request.headers_mut());
        }
        let pod = self.connector.pod()?;
        let mut sender = self.connection(pod).await?;
        let response = sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await?.to_bytes();
        // Kept alive for the pod's next call, as a client's pool keeps it.
        core_of(pod)?.keep_client_connection(sender);
        Ok(Response::from_parts(parts, bytes))
    }

    /// A connection to pod `pod`'s sidecar, ready for a request: an idle one, or a new one.
    async fn connection(&self, pod: usize) -> Result<SendRequest<Full<Bytes>>, ClientError> {
        loop {
            let idle = core_of(pod)?.idle_client_connection();
            let Some(mut sender) = idle else { break };
            if sender.ready().await.is_ok() {
                return Ok(sender);
            }
        }
        let stream = self.connector.open()?;
        let (sender, connection) = hyper::client::conn::http1::handshake(stream).await?;
        tokio::spawn(async move {
            // The sidecar's end closing at the end of the run is no failure.
            let _ = connection.await;
        });
        Ok(sender)
    }
}
