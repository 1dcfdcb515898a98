//! Real Rust services inside the simulated mesh, on the turmoil engine.
//!
//! A version of a service can run code in place of its model: any tower `Service` of `http`
//! requests (an axum `Router`, a hyper service, a tonic server), attached with
//! [`ServiceCode::with_service`] or [`MeshTest::with_service`]. Each instance of the version is a
//! pod on its turmoil host: the instance's model stays in front as its sidecar and its door
//! (readiness, authentication, the inbound policy, the workers and the queue, the records and
//! the spans), and hands each request it lets in to the code over HTTP (HTTP/2 for gRPC). The code calls the
//! rest of the system through its sidecar with [`MeshClient`] (or its own hyper client over
//! [`MeshConnector`]): `http://payment/charge` goes to the scenario's `payment` through every
//! route, retry, timeout, breaker, outlier rule and fault of the mesh, recorded and traced as a
//! model's call. Stores answer over HTTP in Webdis's form (`GET http://redis/LRANGE/messages`).
//!
//! Determinism holds for code that keeps to tokio's time (`tokio::time`, which turmoil drives)
//! and meshsim's client, and to `biased;` selects: see `docs/service-code.md` for what breaks
//! it and how [`MeshTest::check`] finds out (it runs twice and compares the digests).

mod connector;
mod grpc;
mod harness;
mod pod;
mod pod_scope;
mod run;
mod served;
mod service_code;
mod targets;
mod trace_context;

pub use connector::{ClientError, ConnectError, MeshClient, MeshConnector, MeshStream};
pub use harness::{MeshTest, MeshTestError, Outcome};
pub use run::simulate_with_code;
pub use service_code::ServiceCode;
