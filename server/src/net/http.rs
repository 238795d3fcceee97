//! HTTP routes on the one port: the browser client, the WebSocket upgrade, the public lobby
//! list as JSON, and a health check.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::{AppState, session, static_files};
use crate::metrics::METRICS;

/// Bytes tungstenite buffers for one incoming message before refusing it outright; frames
/// between the protocol limit and this get a protocol `Error TooLarge` with close 1009.
const WS_READ_LIMIT: usize = 64 << 10;
/// tungstenite's read buffer; larger frames still arrive, over several reads.
const WS_READ_BUFFER: usize = 4 << 10;

pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { static_files::serve("") }))
        .route("/ws", get(upgrade))
        .route("/api/lobbies", get(list_lobbies))
        .route("/api/games", get(list_games))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route(
            "/{*path}",
            get(|Path(path): Path<String>| async move { static_files::serve(&path) }),
        )
        .with_state(app)
}

/// Whether a browser page at `origin` may open a socket: the allow-list if configured,
/// else only pages from this server's own host (`Host` header).
fn origin_allowed(allowed: &[String], origin: &str, host: Option<&str>) -> bool {
    if allowed.is_empty() {
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        return host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host));
    }
    allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let allowed = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(&app.config.allowed_origins, o, host));
        if !allowed {
            tracing::info!(%peer, ?origin, "refused a WebSocket from a disallowed origin");
            return (
                StatusCode::FORBIDDEN,
                "this origin may not open a Tickwire socket\n",
            )
                .into_response();
        }
    }
    let slot = app.admit(peer.ip());
    // Client frames are tiny: a small read buffer saves zeroing 128 KiB on every read.
    ws.read_buffer_size(WS_READ_BUFFER)
        .max_message_size(WS_READ_LIMIT)
        .max_frame_size(WS_READ_LIMIT)
        .on_upgrade(move |socket| session::run(socket, app, peer, slot))
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

async fn list_games(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    Json(app.lobbies.games().listings())
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn origins() {
        let none: Vec<String> = vec![];
        assert!(origin_allowed(
            &none,
            "http://127.0.0.1:8080",
            Some("127.0.0.1:8080")
        ));
        assert!(!origin_allowed(
            &none,
            "https://evil.example",
            Some("127.0.0.1:8080")
        ));
        assert!(!origin_allowed(&none, "http://127.0.0.1:8080", None));
        let list = vec!["https://game.example".to_owned()];
        assert!(origin_allowed(
            &list,
            "https://game.example",
            Some("internal:8080")
        ));
        assert!(!origin_allowed(
            &list,
            "https://game.example.evil",
            Some("internal:8080")
        ));
        assert!(origin_allowed(
            &["*".to_owned()],
            "https://any.example",
            None
        ));
    }
}
