//! The WebSocket upgrade of `/ws`: checks the handshake and the page's origin, answers
//! 101, and runs the session over the upgraded socket with a [`FrameGuard`] under the
//! codec, so every frame the client sends is counted.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::AppState;
use super::frames::FrameGuard;
use super::session::{self, Upgraded};
use super::wire::Wire;

/// Bytes the codec buffers for one incoming message before refusing it outright; frames
/// between the protocol limit and this get a protocol `Error TooLarge` with close 1009.
const WS_READ_LIMIT: usize = 64 << 10;
/// The codec's read buffer, zeroed up to its size before every read: room for any honest
/// client message (the protocol caps them at 512 bytes); larger frames still arrive, over
/// several reads.
const WS_READ_BUFFER: usize = 1 << 10;

/// This server's own origins: the bound address (with `localhost` and `127.0.0.1` when it
/// is loopback or every interface) and the origin of `public_url`.
pub fn own_origins(bound: SocketAddr, public_url: Option<&str>) -> Vec<String> {
    let port = bound.port();
    let mut own = Vec::new();
    let ip = bound.ip();
    if ip.is_unspecified() || ip.is_loopback() {
        own.push(format!("http://localhost:{port}"));
        own.push(format!("http://127.0.0.1:{port}"));
        own.push(format!("http://[::1]:{port}"));
    }
    if !ip.is_unspecified() {
        own.push(format!("http://{bound}"));
    }
    if let Some(url) = public_url {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let host = rest.split('/').next().unwrap_or(rest);
        own.push(format!("{scheme}://{host}").to_ascii_lowercase());
    }
    own
}

/// Whether a browser page at `origin` may open a socket: the allow-list if configured,
/// else only this server's own origins (the request's `Host` proves nothing: a page that
/// rebinds its own name to this address sends a matching one).
pub fn origin_allowed(allowed: &[String], own: &[String], origin: &str) -> bool {
    let list = if allowed.is_empty() { own } else { allowed };
    list.iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

fn bad_request(why: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, why).into_response()
}

pub async fn upgrade(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
) -> Response {
    let headers = req.headers();
    if !header_has_token(headers, header::CONNECTION, "upgrade")
        || !header_has_token(headers, header::UPGRADE, "websocket")
    {
        return bad_request("this is the WebSocket endpoint: send a WebSocket upgrade\n");
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return bad_request("only WebSocket version 13 is spoken here\n");
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return bad_request("missing Sec-WebSocket-Key\n");
    };
    let accept = derive_accept_key(key.as_bytes());
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(&app.config.allowed_origins, &app.own_origins, o));
        if !allowed {
            tracing::info!(%peer, ?origin, "refused a WebSocket from a disallowed origin");
            return (
                StatusCode::FORBIDDEN,
                "this origin may not open a Tickwire socket\n",
            )
                .into_response();
        }
    }
    let Some(on_upgrade) = req.extensions_mut().remove::<hyper::upgrade::OnUpgrade>() else {
        return bad_request("this connection cannot be upgraded\n");
    };
    let slot = app.admit(peer.ip());
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(%peer, "upgrade failed: {e}");
                return;
            }
        };
        // The listener serves plain TCP: take the socket back from the HTTP server, to
        // share it between the connection's task and its lobby's thread.
        let parts = match upgraded.downcast::<TokioIo<tokio::net::TcpStream>>() {
            Ok(parts) => parts,
            Err(_) => {
                tracing::error!(%peer, "an upgraded connection is not a TCP socket");
                return;
            }
        };
        let wire = match Wire::new(parts.io.into_inner(), parts.read_buf) {
            Ok(wire) => wire,
            Err(e) => {
                tracing::warn!(%peer, "could not take the socket over: {e}");
                return;
            }
        };
        let (guard, frames) = FrameGuard::new(app.config.rate_limit);
        // Client frames are tiny: a small read buffer saves zeroing a large one on every read.
        let config = WebSocketConfig::default()
            .read_buffer_size(WS_READ_BUFFER)
            .max_message_size(Some(WS_READ_LIMIT))
            .max_frame_size(Some(WS_READ_LIMIT));
        let socket = Upgraded {
            wire,
            guard,
            frames,
            config,
        };
        session::run(socket, app, peer, slot).await;
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::{origin_allowed, own_origins};

    #[test]
    fn origins() {
        let own = own_origins("127.0.0.1:8080".parse().expect("addr"), None);
        let none: Vec<String> = vec![];
        assert!(origin_allowed(&none, &own, "http://127.0.0.1:8080"));
        assert!(origin_allowed(&none, &own, "http://localhost:8080"));
        assert!(!origin_allowed(&none, &own, "https://evil.example"));
        assert!(!origin_allowed(&none, &own, "http://evil.example:8080"));
        let public = own_origins(
            "0.0.0.0:8080".parse().expect("addr"),
            Some("https://Game.example/play"),
        );
        assert!(origin_allowed(&none, &public, "https://game.example"));
        assert!(!origin_allowed(&none, &public, "http://0.0.0.0:8080"));
        let list = vec!["https://game.example".to_owned()];
        assert!(origin_allowed(&list, &own, "https://game.example"));
        assert!(!origin_allowed(&list, &own, "https://game.example.evil"));
        assert!(!origin_allowed(&list, &own, "http://127.0.0.1:8080"));
        assert!(origin_allowed(
            &["*".to_owned()],
            &own,
            "https://any.example"
        ));
    }
}
