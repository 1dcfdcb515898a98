//! One instance's pod, on its turmoil host: the code's HTTP server, and the sidecar's side of
//! the loopback that brings requests in and takes the code's calls out.
//!
//! Every hop inside the pod is real HTTP (HTTP/1.1, or HTTP/2 for gRPC), hyper's on both ends,
//! over an in-memory stream that costs no simulated time. turmoil's own loopback TCP delivers
//! each segment one tick (1 ms here) later (`send_loopback` in turmoil 0.7.2's
//! `src/net/tcp/stream.rs`, its issue #132), which would add two milliseconds or more to every
//! request and every call, where a pod's loopback takes tens of microseconds. Between hosts,
//! messages travel as the models' do, with the scenario's latency, loss and partitions.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use meshsim_models::{FromCode, RequestContext, ToCode};
use meshsim_record::{Reason, ReasonKind};
use meshsim_sim::Link;
use tokio::io::DuplexStream;
use tokio::sync::{Notify, oneshot};

use super::grpc::{self, GrpcAnswer, LocalExecutor};
use super::pod_scope::POD;
use super::served::Served;
use super::targets::{EndpointName, Targets};
use super::trace_context::{TraceContext, UNTRACED};

/// The buffer of each in-memory connection, each way: a request or an answer larger than this
/// waits for the other end to read, as on a socket.
pub(super) const PIPE_BYTES: usize = 64 * 1024;

/// A request body the workload's requests to an endpoint carry: its content type and bytes.
#[derive(Debug, Clone)]
pub(super) struct RequestBody {
    pub(super) content_type: String,
    pub(super) bytes: Bytes,
}

/// What one pod's sidecar side and its connector share.
pub(super) struct PodCore {
    pub(super) link: Rc<Link<FromCode, ToCode>>,
    /// Where the code's calls go.
    pub(super) targets: Rc<Targets>,
    /// The workload clients of the run, to tell meshsim's trace context from another.
    pub(super) clients: u32,
    /// The code's calls waiting for their end, by the code's key.
    waiting: RefCell<BTreeMap<u64, oneshot::Sender<(u16, Reason)>>>,
    next_call: Cell<u64>,
    /// Connections the code opened to its sidecar, not yet served: a listener's backlog.
    backlog: RefCell<VecDeque<DuplexStream>>,
    accepted: Notify,
    /// [`MeshClient`](super::MeshClient)'s connections to the sidecar, idle between calls: as
    /// many as the code ever had calls at once.
    client_idle: RefCell<Vec<SendRequest<Full<Bytes>>>>,
}

impl PodCore {
    pub(super) fn new(
        link: Rc<Link<FromCode, ToCode>>,
        targets: Rc<Targets>,
        clients: u32,
    ) -> Self {
        PodCore {
            link,
            targets,
            clients,
            waiting: RefCell::new(BTreeMap::new()),
            next_call: Cell::new(0),
            backlog: RefCell::new(VecDeque::new()),
            accepted: Notify::new(),
            client_idle: RefCell::new(Vec::new()),
        }
    }

    pub(super) fn idle_client_connection(&self) -> Option<SendRequest<Full<Bytes>>> {
        self.client_idle.borrow_mut().pop()
    }

    pub(super) fn keep_client_connection(&self, sender: SendRequest<Full<Bytes>>) {
        self.client_idle.borrow_mut().push(sender);
    }

    /// A new connection from the code to its sidecar: the code's end. The sidecar takes the
    /// other end on its next turn.
    pub(super) fn connect(&self) -> DuplexStream {
        let (code_end, sidecar_end) = tokio::io::duplex(PIPE_BYTES);
        self.backlog.borrow_mut().push_back(sidecar_end);
        self.accepted.notify_one();
        code_end
    }

    /// One call of the code through the sidecar: what the code's HTTP request names, to the
    /// mesh, and the mesh's answer back as HTTP.
    async fn forward(
        self: Rc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<MeshBody>, hyper::Error> {
        let grpc = grpc::is_grpc(request.headers());
        let host = request
            .uri()
            .host()
            .map(str::to_owned)
            .or_else(|| {
                let host = request.headers().get(HOST)?.to_str().ok()?;
                Some(host.to_owned())
            })
            .unwrap_or_default();
        let found = self
            .targets
            .find(&host, request.method(), request.uri().path());
        let trace = TraceContext::read(request.headers(), self.clients);
        // The body goes nowhere (the models carry no data), but is read whole, as a proxy reads it.
        request.into_body().collect().await?;
        let (upstream, endpoint) = match found {
            Ok(found) => found,
            Err(not_found) => {
                tracing::warn!("{not_found}");
                if grpc {
                    return Ok(grpc_answer(404, &not_found.to_string()));
                }
                return Ok(text(StatusCode::NOT_FOUND, not_found.to_string()).map(Either::Left));
            }
        };
        let call = self.next_call.get();
        self.next_call.set(call + 1);
        let (answer, answered) = oneshot::channel();
        self.waiting.borrow_mut().insert(call, answer);
        self.link.send(FromCode::Call {
            call,
            request: trace.map(|trace| trace.request),
            upstream,
            endpoint,
            context: trace.map_or(UNTRACED, |trace| trace.context),
        });
        // The run ends with the call in flight when nobody answers: the host goes away.
        let (status, reason) = answered.await.unwrap_or((503, Reason::OK));
        if grpc {
            return Ok(grpc_answer(status, envoy_body(reason)));
        }
        Ok(mesh_answer(status, reason).map(Either::Left))
    }

    /// Hands the code the end of its call `call`.
    fn answered(&self, call: u64, status: u16, reason: Reason) {
        if let Some(waiting) = self.waiting.borrow_mut().remove(&call) {
            // The code may have stopped waiting (its own timeout): the answer is dropped.
            let _ = waiting.send((status, reason));
        }
    }
}

/// What the sidecar answers the code's calls with: HTTP/1.1's body, or gRPC's.
pub(super) type MeshBody = Either<Full<Bytes>, GrpcAnswer>;

/// A gRPC call's end, as Envoy answers a gRPC client: HTTP 200, the status in the trailers.
fn grpc_answer(status: u16, text: &str) -> Response<MeshBody> {
    let mut response = Response::new(Either::Right(GrpcAnswer::new(
        grpc::grpc_status(status),
        text,
    )));
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    response
}

/// The body Envoy gives for an answer of its own, so code that logs it logs something a person
/// recognises; empty for an answer from the callee.
fn envoy_body(reason: Reason) -> &'static str {
    match reason.kind {
        ReasonKind::NoHealthyUpstream => "no healthy upstream",
        ReasonKind::Refused => {
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
        }
        ReasonKind::Reset => {
            "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
        }
        ReasonKind::RouteTimeout | ReasonKind::FailFast => "upstream request timeout",
        ReasonKind::Overflow => {
            "upstream connect error or disconnect/reset before headers. reset reason: overflow"
        }
        ReasonKind::FaultAbort => "fault filter abort",
        ReasonKind::RateLimited => "local_rate_limited",
        ReasonKind::Denied => "RBAC: access denied",
        ReasonKind::NoRoute => "no route",
        _ => "",
    }
}

/// An answer the mesh gives over HTTP/1.1, with Envoy's body and the reason in a header.
fn mesh_answer(status: u16, reason: Reason) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = text(status, envoy_body(reason).to_owned());
    response.headers_mut().insert(
        "x-meshsim-reason",
        http::HeaderValue::from_static(reason.kind.name()),
    );
    response
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    response
}

/// What the pod's task needs to serve the code: the code's server, and what the requests it is
/// handed look like.
pub(super) struct PodSetup {
    pub(super) core: Rc<PodCore>,
    pub(super) app: Rc<dyn Served>,
    /// The pod's number in the run.
    pub(super) pod: usize,
    /// The service's name, the requests' `host`.
    pub(super) service: Rc<str>,
    pub(super) endpoints: Rc<[EndpointName]>,
    /// Per endpoint, the body its requests carry, if the test gave one.
    pub(super) bodies: Rc<[Option<RequestBody>]>,
    /// Connections to the code, idle between requests; as many as the code ever held at once.
    pub(super) idle: RefCell<Vec<SendRequest<Full<Bytes>>>>,
    /// The HTTP/2 connection to the code, for gRPC, once made.
    pub(super) h2: RefCell<Option<hyper::client::conn::http2::SendRequest<Full<Bytes>>>>,
}

/// The pod's task: it hands the code each request the sidecar lets in, serves the code's
/// connections to its sidecar, and hands the code the ends of its calls, until the run ends.
pub(super) async fn pod_main(setup: PodSetup) -> turmoil::Result {
    let setup = Rc::new(setup);
    loop {
        tokio::select! {
            biased;
            message = setup.core.link.recv() => match message {
                ToCode::Serve { request, endpoint, context } => {
                    let setup = Rc::clone(&setup);
                    tokio::task::spawn_local(serve(setup, request, endpoint, context));
                }
                ToCode::Answered { call, status, reason } => setup.core.answered(call, status, reason),
            },
            () = setup.core.accepted.notified() => {
                loop {
                    let accepted = setup.core.backlog.borrow_mut().pop_front();
                    let Some(stream) = accepted else { break };
                    let core = Rc::clone(&setup.core);
                    let service = hyper::service::service_fn(move |request| Rc::clone(&core).forward(request));
                    // HTTP/1.1, or HTTP/2 from a gRPC client.
                    let connection = grpc::http_server()
                        .serve_connection(TokioIo::new(stream), service)
                        .into_owned();
                    tokio::task::spawn_local(async move {
                        // The code closing its end early is the code's business.
                        let _ = connection.await;
                    });
                }
            }
        }
    }
}

/// Hands the code one request and tells the sidecar its answer. A request the code never
/// answers (its connection broke: a panic in a handler) is answered 503, as Envoy answers a
/// reset before the response's headers.
async fn serve(setup: Rc<PodSetup>, request: u64, endpoint: u32, context: RequestContext) {
    let status = match exchange(&setup, request, endpoint, context).await {
        Ok(status) => status,
        Err(error) => {
            tracing::warn!("{}: the code's connection failed: {error}", setup.service);
            503
        }
    };
    setup.core.link.send(FromCode::Answer { request, status });
}

async fn exchange(
    setup: &PodSetup,
    request: u64,
    endpoint: u32,
    context: RequestContext,
) -> Result<u16, hyper::Error> {
    let (method, path) = setup.endpoints[endpoint as usize].request_line(context.root);
    let body = setup.bodies[endpoint as usize].as_ref();
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, &*setup.service);
    if let Some(body) = body {
        builder = builder.header(CONTENT_TYPE, &body.content_type);
    }
    let mut http_request = builder
        .body(Full::new(
            body.map_or_else(Bytes::new, |body| body.bytes.clone()),
        ))
        .expect("a method, a path and headers meshsim wrote");
    TraceContext { context, request }.write(http_request.headers_mut());
    if grpc::is_grpc(http_request.headers()) {
        return grpc_exchange(setup, http_request).await;
    }
    let mut sender = connection_to_code(setup).await?;
    let response = sender.send_request(http_request).await?;
    let status = response.status().as_u16();
    // The answer is whole when its body is: a streamed body's time counts.
    response.into_body().collect().await?;
    // Kept alive for the next request, as Envoy keeps its connections to the application.
    setup.idle.borrow_mut().push(sender);
    Ok(status)
}

/// One gRPC request to the code, over the pod's HTTP/2 connection to it: its status is the
/// gRPC status in the answer's trailers, as an HTTP status.
async fn grpc_exchange(
    setup: &PodSetup,
    mut request: Request<Full<Bytes>>,
) -> Result<u16, hyper::Error> {
    // HTTP/2 names the scheme and the authority in every request.
    let path = request.uri().path().to_owned();
    *request.uri_mut() = format!("http://{}{path}", setup.service)
        .parse()
        .expect("a service's name and an endpoint's path make a URI");
    request
        .headers_mut()
        .insert("te", http::HeaderValue::from_static("trailers"));
    let mut sender = h2_to_code(setup).await?;
    let response = sender.send_request(request).await?;
    let (parts, body) = response.into_parts();
    let collected = body.collect().await?;
    if parts.status != StatusCode::OK {
        return Ok(parts.status.as_u16());
    }
    // No status at all is a broken answer: the code's own failure.
    Ok(grpc::status_of(&parts.headers, collected.trailers()).map_or(500, grpc::http_status))
}

/// The pod's HTTP/2 connection to the code, made on its first gRPC request: HTTP/2 carries every
/// request at once on one connection, as Envoy's does.
async fn h2_to_code(
    setup: &PodSetup,
) -> Result<hyper::client::conn::http2::SendRequest<Full<Bytes>>, hyper::Error> {
    let open = setup.h2.borrow().clone();
    if let Some(mut sender) = open
        && sender.ready().await.is_ok()
    {
        return Ok(sender);
    }
    let (sender, connection) =
        hyper::client::conn::http2::handshake(LocalExecutor, TokioIo::new(open_to_code(setup)))
            .await?;
    tokio::task::spawn_local(async move {
        let _ = connection.await;
    });
    *setup.h2.borrow_mut() = Some(sender.clone());
    Ok(sender)
}

/// A new connection from the sidecar to the code, the code serving its end: the sidecar's end.
fn open_to_code(setup: &PodSetup) -> DuplexStream {
    let (sidecar_end, code_end) = tokio::io::duplex(PIPE_BYTES);
    // The code's connection runs as the pod's: a connector made while serving finds its pod.
    tokio::task::spawn_local(POD.scope(setup.pod, setup.app.serve(code_end)));
    sidecar_end
}

/// A connection from the sidecar to the code, ready for a request: an idle one, or a new one.
async fn connection_to_code(setup: &PodSetup) -> Result<SendRequest<Full<Bytes>>, hyper::Error> {
    loop {
        let idle = setup.idle.borrow_mut().pop();
        let Some(mut sender) = idle else { break };
        // One the code closed (its server gave up on it) is dropped.
        if sender.ready().await.is_ok() {
            return Ok(sender);
        }
    }
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(open_to_code(setup))).await?;
    tokio::task::spawn_local(async move {
        let _ = connection.await;
    });
    Ok(sender)
}
