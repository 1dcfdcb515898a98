//! gRPC services inside the simulated mesh: a tonic server as a service version, and a tonic
//! client in a service's code calling through its sidecar. The messages are prost's, written by
//! hand (no protoc), as `tonic-build` would generate them.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use meshsim::{MeshConnector, MeshTest};
use prost::Message;
use tonic_prost::ProstCodec;

#[derive(Clone, PartialEq, prost::Message)]
struct ChargeRequest {
    #[prost(uint64, tag = "1")]
    amount: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ChargeReply {
    #[prost(bool, tag = "1")]
    ok: bool,
}

const CHARGE: &str = "/shop.Payment/Charge";

/// checkout calls payment's `Charge`; 50 orders a second.
const SCENARIO: &str = r#"
[scenario]
name = "grpc"
seed = 3
duration = "20s"

[network]
latency = { dist = "uniform", min = "200us", max = "600us" }

[[service]]
name = "checkout"
workers = 200
exposed = true

[[service.endpoint]]
name = "POST /orders"
service_time = { dist = "const", value = "1ms" }
calls = [{ service = "payment", endpoint = "POST /shop.Payment/Charge" }]

[[service]]
name = "payment"
replicas = 2
workers = 200

[[service.endpoint]]
name = "POST /shop.Payment/Charge"
service_time = { dist = "const", value = "2ms" }
error_rate = 0.2

[[workload]]
name = "orders"
target = "checkout"
endpoint = "POST /orders"
arrival = { kind = "poisson", rate = 50 }
"#;

/// The request body of a `Charge`: one length-prefixed message, as gRPC frames it.
fn charge_frame() -> Vec<u8> {
    let message = ChargeRequest { amount: 7 }.encode_to_vec();
    let mut frame = vec![0];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(&message);
    frame
}

/// payment's `Charge`: 2 ms of work, and UNAVAILABLE for every tenth call an instance serves.
struct Charge {
    served: Arc<AtomicU64>,
}

impl tonic::server::UnaryService<ChargeRequest> for Charge {
    type Response = ChargeReply;
    type Future =
        Pin<Box<dyn Future<Output = Result<tonic::Response<ChargeReply>, tonic::Status>>>>;

    fn call(&mut self, request: tonic::Request<ChargeRequest>) -> Self::Future {
        let number = self.served.fetch_add(1, Ordering::Relaxed) + 1;
        Box::pin(async move {
            assert_eq!(request.get_ref().amount, 7, "the body the test gave");
            tokio::time::sleep(Duration::from_millis(2)).await;
            if number.is_multiple_of(10) {
                return Err(tonic::Status::unavailable("the bank is busy"));
            }
            Ok(tonic::Response::new(ChargeReply { ok: true }))
        })
    }
}

/// payment as a tonic server, as `tonic-build` generates one: the method's path to its handler.
#[derive(Clone)]
struct PaymentServer {
    served: Arc<AtomicU64>,
}

impl tower::Service<http::Request<hyper::body::Incoming>> for PaymentServer {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>>>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<hyper::body::Incoming>) -> Self::Future {
        assert_eq!(request.uri().path(), CHARGE);
        let charge = Charge {
            served: Arc::clone(&self.served),
        };
        Box::pin(async move {
            let codec = ProstCodec::<ChargeReply, ChargeRequest>::default();
            Ok(tonic::server::Grpc::new(codec).unary(charge, request).await)
        })
    }
}

fn payment_server() -> PaymentServer {
    PaymentServer {
        served: Arc::new(AtomicU64::new(0)),
    }
}

#[test]
fn a_tonic_server_serves_a_models_calls_and_its_status_counts() {
    let outcome = MeshTest::from_toml("grpc.toml", SCENARIO)
        .unwrap()
        .with_service("payment", "v1", payment_server)
        .with_request_body(
            "payment",
            "POST /shop.Payment/Charge",
            "application/grpc",
            charge_frame(),
        )
        .check();
    let payment = &outcome.summary().services["payment"];
    let received = payment.requests.received as f64;
    // Each instance fails its every tenth call with UNAVAILABLE, a 503 to the mesh; the
    // scenario's `error_rate` was the model's, not the code's.
    assert!(
        (payment.requests.failed as f64 - received / 10.0).abs() <= 2.0,
        "{:?}",
        payment.requests
    );
    assert!(
        (payment.latency_ms.p50 - 2.0).abs() < 1.0,
        "{:?}",
        payment.latency_ms
    );
    let failures = &outcome.summary().workloads["orders"].failures;
    assert!(failures.contains_key("error at payment"), "{failures:?}");
}

/// checkout as an axum app calling payment with a tonic client over meshsim's connector.
fn checkout() -> Router {
    let channel = tonic::transport::Endpoint::from_static("http://payment")
        .connect_with_connector_lazy(MeshConnector::new());
    Router::new().route(
        "/orders",
        post(move || {
            let mut client = tonic::client::Grpc::new(channel.clone());
            async move {
                if client.ready().await.is_err() {
                    return StatusCode::BAD_GATEWAY;
                }
                let request = tonic::Request::new(ChargeRequest { amount: 7 });
                let codec = ProstCodec::<ChargeRequest, ChargeReply>::default();
                let path = http::uri::PathAndQuery::from_static(CHARGE);
                match client.unary(request, path, codec).await {
                    Ok(_) => StatusCode::CREATED,
                    Err(_) => StatusCode::BAD_GATEWAY,
                }
            }
        }),
    )
}

#[test]
fn a_tonic_client_in_the_code_calls_through_the_mesh() {
    let outcome = MeshTest::from_toml("grpc.toml", SCENARIO)
        .unwrap()
        .with_service("checkout", "v1", checkout)
        .check();
    // payment is the model here: a fifth of its answers are 500s, which reach the tonic client
    // as UNKNOWN, and checkout answers 502 for them.
    let checkout = &outcome.summary().services["checkout"];
    let rate = checkout.success_rate.unwrap();
    assert!((rate - 0.8).abs() < 0.05, "{:?}", checkout.requests);
    let payment = &outcome.summary().services["payment"];
    assert!(
        payment
            .requests
            .received
            .abs_diff(checkout.requests.received)
            <= 2
    );
    assert!(outcome.summary().edges.contains_key("checkout -> payment"));
}
