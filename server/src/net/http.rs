//! HTTP routes on the one port: the browser client, the WebSocket upgrade, the public lobby
//! list as JSON (rate-limited per address), metrics, a health check, and the operator's
//! dashboard (`dashboard/`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dashboard::{self, auth};
use super::{AppState, static_files, upgrade};
use crate::metrics::METRICS;

pub fn router(app: Arc<AppState>) -> Router {
    let dashboard = dashboard::routes(app.clone());
    Router::new()
        .route("/", get(|| async { static_files::serve("") }))
        .route("/ws", get(upgrade::upgrade))
        .route("/api/lobbies", get(list_lobbies))
        .route("/api/games", get(list_games))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route(
            "/{*path}",
            get(|Path(path): Path<String>| async move { static_files::serve(&path) }),
        )
        .with_state(app)
        .merge(dashboard)
}

/// Prometheus metrics; with `--metrics-token`, only for requests bearing it.
async fn metrics(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !auth::metrics_allowed(&app.config, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the token given with --metrics-token\n",
        )
            .into_response();
    }
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], METRICS.render()).into_response()
}

async fn list_lobbies(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if !app.listings.take(peer.ip(), std::time::Instant::now()) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "too many lobby listings from your address; try again in a second\n",
        )
            .into_response();
    }
    let body = app.lobbies.listing().json.clone();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn list_games(State(app): State<Arc<AppState>>) -> Response {
    axum::Json(app.lobbies.games().listings()).into_response()
}
