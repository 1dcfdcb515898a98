//! `checkout` as a Rust team might write it: an axum handler that takes the payment for an
//! order and, on a failure, tries again, three tries in all with a back-off of 100 ms then
//! 200 ms, the client-side retry loop many services have. It does not know that the mesh in
//! front of payment retries too.

use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use meshsim::MeshClient;
use serde_json::json;

/// Tries of one payment, the first included.
pub const TRIES: u32 = 3;

/// The router of one checkout instance: `with_service("checkout", "v1", checkout)`.
pub fn checkout() -> Router {
    let payment = MeshClient::new();
    Router::new().route(
        "/orders",
        post(move || async move {
            let mut backoff = Duration::from_millis(100);
            for try_number in 1..=TRIES {
                if let Ok(answer) = payment.post("http://payment/payments", "{}").await
                    && answer.status().is_success()
                {
                    return (StatusCode::CREATED, Json(json!({ "paid": true })));
                }
                if try_number < TRIES {
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
            (StatusCode::BAD_GATEWAY, Json(json!({ "paid": false })))
        }),
    )
}
