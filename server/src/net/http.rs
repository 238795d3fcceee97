//! HTTP routes on the one port: the browser client, the WebSocket upgrade, the public lobby
//! list as JSON, and a health check.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::{AppState, session, static_files};
use crate::metrics::METRICS;

/// Bytes tungstenite buffers for one incoming message before refusing it outright; frames
/// between the protocol limit and this get a protocol `Error TooLarge` with close 1009.
const WS_READ_LIMIT: usize = 64 << 10;

pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { static_files::serve("") }))
        .route("/ws", get(upgrade))
        .route("/api/lobbies", get(list_lobbies))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route(
            "/{*path}",
            get(|Path(path): Path<String>| async move { static_files::serve(&path) }),
        )
        .with_state(app)
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    ws.max_message_size(WS_READ_LIMIT)
        .max_frame_size(WS_READ_LIMIT)
        .on_upgrade(move |socket| session::run(socket, app, peer))
}

async fn metrics() -> impl IntoResponse {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    (
        [(axum::http::header::CONTENT_TYPE, content_type)],
        METRICS.render(),
    )
}

async fn list_lobbies(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    Json(app.lobbies.list())
}
