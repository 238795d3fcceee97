//! The browser client, compiled into the binary from `client-web/` (its pages, styles, icons
//! and `src/`; not its tests or node_modules), so the server alone serves a playable game.
//! Debug builds read the same files from disk on each request, so edits to the client show
//! on reload without rebuilding the server.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../client-web/"]
#[include = "*.html"]
#[include = "*.css"]
#[include = "*.svg"]
#[include = "*.png"]
#[include = "*.ico"]
#[include = "*.webmanifest"]
#[include = "src/*"]
#[exclude = "node_modules/*"]
#[exclude = "test/*"]
#[exclude = "e2e/*"]
#[exclude = "test-results/*"]
struct Client;

/// The file at `path` of the embedded client (`""` is `index.html`).
pub fn serve(path: &str) -> Response {
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let Some(file) = Client::get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let content_type = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        file.data,
    )
        .into_response()
}
