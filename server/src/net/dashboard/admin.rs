//! The operator's actions, behind `--admin-token`: closing a lobby (its players are told
//! `LobbyClosed`, as when a lobby fails) and removing one player (told `LobbyClosed` with
//! the reason; the others see it leave). Each is one command to the lobby's runner.
//!
//! `POST /api/admin/lobbies/{id}/close` and `POST /api/admin/lobbies/{id}/players/{client}/kick`,
//! with an optional JSON body `{"reason": "..."}` (at most [`BODY_LIMIT`] bytes; the reason
//! is cut to [`MAX_REASON_CHARS`] visible characters and shown to the players).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::oneshot;

use super::{Dashboard, Refused, auth};
use crate::lobbies::LobbyHandle;
use crate::lobby::runner::Command;

/// Largest request body an action takes.
pub const BODY_LIMIT: usize = 1024;
/// Longest reason passed on to the players.
pub const MAX_REASON_CHARS: usize = 120;
/// How long an action waits for its lobby (whose queue may be full) before giving up.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

#[derive(Debug, Default, Deserialize)]
struct Action {
    #[serde(default)]
    reason: Option<String>,
}

/// The reason given in the body: trimmed, without control characters, cut short; None
/// when there is none.
fn reason(body: &[u8]) -> Result<Option<String>, Refused> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let action: Action = serde_json::from_slice(body).map_err(|e| {
        let message = format!("the body must be JSON like {{\"reason\": \"...\"}}: {e}");
        Refused::new(StatusCode::BAD_REQUEST, message)
    })?;
    let reason: String = action
        .reason
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON_CHARS)
        .collect();
    let reason = reason.trim();
    Ok((!reason.is_empty()).then(|| reason.to_owned()))
}

/// The checks every action makes first: the address's request budget, the admin token,
/// the body, then the lobby.
fn admit(
    dash: &Dashboard,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
    lobby: u32,
) -> Result<(LobbyHandle, Option<String>), Refused> {
    dash.take_request(peer.ip())?;
    auth::admin(&dash.app.config, headers)?;
    let reason = reason(body)?;
    let handle =
        dash.app.lobbies.any_by_id(lobby).ok_or_else(|| {
            Refused::new(StatusCode::NOT_FOUND, format!("no lobby with id {lobby}"))
        })?;
    Ok((handle, reason))
}

/// Sends `cmd` to the lobby and waits for its answer.
async fn ask<T>(
    handle: &LobbyHandle,
    cmd: Command,
    answer: oneshot::Receiver<T>,
) -> Result<T, Refused> {
    let gone = || {
        let message = format!("lobby {} closed before it could answer", handle.id);
        Refused::new(StatusCode::NOT_FOUND, message)
    };
    let asked = async {
        handle.commands.send(cmd).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())
    };
    tokio::time::timeout(ANSWER_WITHIN, asked)
        .await
        .unwrap_or_else(|_| {
            let message = format!("lobby {} did not answer in time; try again", handle.id);
            Err(Refused::new(StatusCode::SERVICE_UNAVAILABLE, message))
        })
}

pub async fn close_lobby(
    State(dash): State<Arc<Dashboard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<u32>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    let (handle, reason) = admit(&dash, peer, &headers, &body, id)?;
    let (reply, answer) = oneshot::channel();
    ask(&handle, Command::Close { reason, reply }, answer).await?;
    Ok(axum::Json(serde_json::json!({ "closed": id })).into_response())
}

pub async fn kick_player(
    State(dash): State<Arc<Dashboard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((id, client)): Path<(u32, u32)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    let (handle, reason) = admit(&dash, peer, &headers, &body, id)?;
    let (reply, answer) = oneshot::channel();
    let cmd = Command::Kick {
        client,
        reason,
        reply,
    };
    if !ask(&handle, cmd, answer).await? {
        let message = format!("lobby {id} has no player with client id {client}");
        return Err(Refused::new(StatusCode::NOT_FOUND, message));
    }
    Ok(axum::Json(serde_json::json!({ "kicked": client, "lobby": id })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_visible_text_cut_short() {
        assert_eq!(reason(b"").ok(), Some(None));
        assert_eq!(reason(br#"{}"#).ok(), Some(None));
        assert_eq!(
            reason(br#"{"reason": "  spam\u0007 "}"#).ok(),
            Some(Some("spam".into()))
        );
        let long = format!(r#"{{"reason": "{}"}}"#, "x".repeat(500));
        let cut = reason(long.as_bytes()).ok().flatten().unwrap_or_default();
        assert_eq!(cut.chars().count(), MAX_REASON_CHARS);
        assert!(reason(b"not json").is_err());
    }
}
