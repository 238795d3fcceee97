//! Who may see the dashboard's data and who may act: the `Authorization: Bearer` tokens of
//! `--metrics-token` and `--admin-token`, compared in constant time.

use axum::http::{HeaderMap, StatusCode, header};

use super::Refused;
use crate::config::Config;

/// What a request may see of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Figures, lobbies by game and map (private lobbies without their name), no players.
    Viewer,
    /// Everything (player names and client ids too, never a join code) and the actions.
    Admin,
}

/// The token of an `Authorization: Bearer TOKEN` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// Whether `presented` is `secret`, in time that depends only on their lengths (not on
/// where they first differ).
pub fn same_token(presented: &str, secret: &str) -> bool {
    let (a, b) = (presented.as_bytes(), secret.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn matches(presented: Option<&str>, secret: Option<&String>) -> bool {
    matches!((presented, secret), (Some(p), Some(s)) if same_token(p, s))
}

/// Whether a request may read `/metrics`: always without `--metrics-token`, else only with it.
pub fn metrics_allowed(config: &Config, headers: &HeaderMap) -> bool {
    config.metrics_token.is_none() || matches(bearer(headers), config.metrics_token.as_ref())
}

/// What a request may see: the admin token shows everything; the metrics token, or no
/// token when `--metrics-token` is not set, shows the figures. A token that is neither is
/// refused rather than ignored, so the page can say so.
pub fn dashboard_access(config: &Config, headers: &HeaderMap) -> Result<Access, Refused> {
    let presented = bearer(headers);
    if matches(presented, config.admin_token.as_ref()) {
        return Ok(Access::Admin);
    }
    match (presented, &config.metrics_token) {
        (None, None) => Ok(Access::Viewer),
        (Some(_), _) if matches(presented, config.metrics_token.as_ref()) => Ok(Access::Viewer),
        (Some(_), _) => Err(Refused::new(
            StatusCode::UNAUTHORIZED,
            "that token is neither this server's admin token nor its metrics token",
        )),
        (None, Some(_)) => Err(Refused::new(
            StatusCode::UNAUTHORIZED,
            "the dashboard needs the token given with --metrics-token (or the admin token)",
        )),
    }
}

/// Whether a request may act: 403 when the server has no admin token (actions are off),
/// 401 without the right one.
pub fn admin(config: &Config, headers: &HeaderMap) -> Result<(), Refused> {
    if config.admin_token.is_none() {
        return Err(Refused::new(
            StatusCode::FORBIDDEN,
            "admin actions are off on this server: start it with --admin-token (or TICKWIRE_ADMIN_TOKEN) to enable them",
        ));
    }
    if !matches(bearer(headers), config.admin_token.as_ref()) {
        return Err(Refused::new(
            StatusCode::UNAUTHORIZED,
            "admin actions need Authorization: Bearer with the server's --admin-token",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_whole() {
        assert!(same_token("0123456789abcdef", "0123456789abcdef"));
        assert!(!same_token("0123456789abcdeF", "0123456789abcdef"));
        assert!(!same_token("0123456789abcde", "0123456789abcdef"));
        assert!(!same_token("", "0123456789abcdef"));
    }
}
