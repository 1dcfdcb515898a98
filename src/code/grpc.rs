//! gRPC across the pod: what a gRPC answer's status means to the mesh, and what the mesh's
//! answers look like to a gRPC client.
//!
//! gRPC runs over HTTP/2 and puts its status in the answer's trailers (`grpc-status`), under an
//! HTTP status of 200. The mesh counts HTTP statuses, so a code's gRPC status becomes the HTTP
//! status `google/rpc/code.proto` gives it (its "HTTP Mapping" comments,
//! <https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto>), and an answer
//! the mesh gives a gRPC client becomes the gRPC status Envoy gives it
//! (`Grpc::Utility::httpToGrpcStatus`, the table of
//! <https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md>).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use http_body::{Body, Frame};

/// Whether a request or an answer is gRPC, by its content type.
pub(super) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"))
}

/// The code's gRPC status, read from the trailers (or, for a trailers-only answer, the headers).
pub(super) fn status_of(headers: &HeaderMap, trailers: Option<&HeaderMap>) -> Option<u32> {
    trailers
        .and_then(|trailers| trailers.get("grpc-status"))
        .or_else(|| headers.get("grpc-status"))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

/// The HTTP status `google/rpc/code.proto` maps a gRPC status to.
pub(super) fn http_status(grpc_status: u32) -> u16 {
    match grpc_status {
        0 => 200,
        1 => 499,          // CANCELLED
        3 | 9 | 11 => 400, // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
        4 => 504,          // DEADLINE_EXCEEDED
        5 => 404,          // NOT_FOUND
        6 | 10 => 409,     // ALREADY_EXISTS, ABORTED
        7 => 403,          // PERMISSION_DENIED
        8 => 429,          // RESOURCE_EXHAUSTED
        12 => 501,         // UNIMPLEMENTED
        14 => 503,         // UNAVAILABLE
        16 => 401,         // UNAUTHENTICATED
        _ => 500,          // UNKNOWN, INTERNAL, DATA_LOSS, and any other
    }
}

/// The gRPC status Envoy gives a gRPC client for an HTTP status.
pub(super) fn grpc_status(http_status: u16) -> u32 {
    match http_status {
        200..=299 => 0,
        400 => 13,                   // INTERNAL
        401 => 16,                   // UNAUTHENTICATED
        403 => 7,                    // PERMISSION_DENIED
        404 => 12,                   // UNIMPLEMENTED
        429 | 502 | 503 | 504 => 14, // UNAVAILABLE
        _ => 2,                      // UNKNOWN
    }
}

/// A gRPC answer the sidecar gives the code: on success one message with no fields set (the
/// models carry no data, and a message with no fields decodes as any message's defaults), then
/// the status in the trailers.
#[derive(Debug)]
pub(super) struct GrpcAnswer {
    message: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl GrpcAnswer {
    pub(super) fn new(grpc_status: u32, text: &str) -> GrpcAnswer {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", HeaderValue::from(grpc_status));
        if !text.is_empty()
            && let Ok(message) = HeaderValue::from_str(text)
        {
            trailers.insert("grpc-message", message);
        }
        GrpcAnswer {
            // A length-prefixed message: not compressed, 0 bytes long.
            message: (grpc_status == 0).then(|| Bytes::from_static(&[0, 0, 0, 0, 0])),
            trailers: Some(trailers),
        }
    }
}

impl Body for GrpcAnswer {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(message) = this.message.take() {
            return Poll::Ready(Some(Ok(Frame::data(message))));
        }
        Poll::Ready(
            this.trailers
                .take()
                .map(|trailers| Ok(Frame::trailers(trailers))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.message.is_none() && self.trailers.is_none()
    }
}

/// A server of one pod-side connection: HTTP/1.1 or HTTP/2, as the other end opens it, with no
/// `date` header (hyper would read the wall clock for it).
pub(super) fn http_server() -> hyper_util::server::conn::auto::Builder<LocalExecutor> {
    let mut builder = hyper_util::server::conn::auto::Builder::new(LocalExecutor);
    builder.http1().auto_date_header(false);
    builder.http2().auto_date_header(false);
    builder
}

/// Runs hyper's HTTP/2 tasks (one per stream) on the host's thread, beside the code.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LocalExecutor;

impl<F> hyper::rt::Executor<F> for LocalExecutor
where
    F: std::future::Future + 'static,
{
    fn execute(&self, future: F) {
        tokio::task::spawn_local(future);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_as_code_proto_and_envoy_map_them() {
        // UNAVAILABLE and back; DEADLINE_EXCEEDED is a 504, which Envoy calls UNAVAILABLE.
        assert_eq!(http_status(14), 503);
        assert_eq!(grpc_status(503), 14);
        assert_eq!(http_status(4), 504);
        assert_eq!(grpc_status(504), 14);
        assert_eq!((http_status(0), grpc_status(200)), (200, 0));
        assert_eq!(grpc_status(500), 2);
        assert_eq!(grpc_status(404), 12);
    }
}
