//! The inventory service: a `tower::service_fn` over `http` requests, as a hyper service is
//! written, without a framework.

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

/// One inventory instance: its own count of the queries it has served. 4 ms a query, 80 ms
/// for every tenth, a 503 for the 7th of each fifty.
pub fn inventory() -> impl tower::Service<
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
