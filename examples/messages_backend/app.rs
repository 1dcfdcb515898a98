//! The messages demo's backend (`server.js` of reference document 000), as a Rust team would
//! write it with axum: the same two routes, each one Redis command, a 500 with the error when
//! Redis fails, and Express's answer to anything else (404 `Cannot GET /path`).
//!
//! Redis is the scenario's `redis` store, reached through the pod's sidecar with meshsim's
//! client in Webdis's form: `LRANGE messages 0 -1` is `GET http://redis/LRANGE/messages/0/-1`.

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use meshsim::MeshClient;
use serde::Deserialize;
use serde_json::json;

/// What every handler shares: the Redis client (`redis.createClient({ host: "redis" })`).
#[derive(Clone)]
struct Backend {
    redis: MeshClient,
}

/// The backend's router, one per instance: `with_service("backend", "v1", backend)`.
pub fn backend() -> Router {
    let state = Backend {
        redis: MeshClient::new(),
    };
    Router::new()
        .route("/api/messages", get(list).post(push))
        .fallback(cannot)
        .with_state(state)
}

/// `app.get("/api/messages")`: `client.lRange("messages", 0, -1)`.
async fn list(State(backend): State<Backend>) -> Response {
    match backend.redis.get("http://redis/LRANGE/messages/0/-1").await {
        Ok(answer) if answer.status().is_success() => Json(json!([])).into_response(),
        Ok(answer) => failed(&format!("redis answered {}", answer.status())),
        Err(error) => failed(&error.to_string()),
    }
}

#[derive(Deserialize)]
struct NewMessage {
    message: String,
}

/// `app.post("/api/messages")`: `client.lPush("messages", req.body.message)`.
async fn push(State(backend): State<Backend>, Json(new): Json<NewMessage>) -> Response {
    match backend
        .redis
        .post("http://redis/LPUSH/messages", new.message)
        .await
    {
        Ok(answer) if answer.status().is_success() => {
            Json(json!({ "success": true })).into_response()
        }
        Ok(answer) => failed(&format!("redis answered {}", answer.status())),
        Err(error) => failed(&error.to_string()),
    }
}

/// `res.status(500).json({ error: err.message })`.
fn failed(message: &str) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": message })),
    )
        .into_response()
}

/// Express's default for a route nobody wrote.
async fn cannot(method: Method, uri: Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("Cannot {method} {}", uri.path()),
    )
        .into_response()
}
