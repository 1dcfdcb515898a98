//! A service written as a plain hyper-style handler, without a framework, inside a scenario.
//!
//! The scenario `examples/async-service.toml` has a frontend (a model) calling an `inventory`
//! service with a 30 ms route timeout. Here `inventory` is a `tower::service_fn` over `http`
//! requests, as a hyper service is: it "queries a database" by sleeping on tokio's clock (which
//! the simulation drives), 4 ms mostly and 80 ms for one query in ten, and answers 503 to one
//! request in fifty. The run shows what the mesh does with it: the slow queries hit the
//! frontend's route timeout, and each 503 comes back as a failure.
//!
//! Run it with `cargo run --example async_service`.

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use meshsim::MeshTest;

/// One inventory instance: its own count of the queries it has served.
fn inventory() -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>>,
> + Clone {
    let served = Rc::new(Cell::new(0u64));
    tower::service_fn(move |request: Request<Incoming>| {
        let served = Rc::clone(&served);
        async move {
            assert_eq!(request.uri().path(), "/stock");
            let number = served.get() + 1;
            served.set(number);
            let slow = number.is_multiple_of(10);
            let query = Duration::from_millis(if slow { 80 } else { 4 });
            tokio::time::sleep(query).await;
            let status = if number % 50 == 7 {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            };
            let mut response = Response::new(Full::new(Bytes::from_static(b"12")));
            *response.status_mut() = status;
            Ok(response)
        }
    })
}

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/async-service.toml");
    let outcome = MeshTest::from_file(path)
        .unwrap_or_else(|error| panic!("{error}"))
        .with_service("inventory", "v1", inventory)
        .check();
    print!("{}", outcome.table());
}
