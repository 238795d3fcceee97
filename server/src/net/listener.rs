//! The accept loop: admits each TCP connection under the plain-HTTP caps (in total and per
//! address), serves it with a header read timeout, and on shutdown stops accepting and gives
//! every connection until one absolute deadline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use super::limits::Tally;
use crate::config::Config;
use crate::metrics::METRICS;

/// Plain HTTP limits, as configured (and kept below the descriptor limit).
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub header_read_timeout: Duration,
}

/// Descriptors kept free for everything but client sockets (lobbies, logs, files).
pub const RESERVED_DESCRIPTORS: u64 = 64;

/// Raises the soft descriptor limit to the hard one; returns the limit now in force.
pub fn raise_descriptor_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!("could not read or raise the descriptor limit: {e}");
            None
        }
    }
}

/// Raises the descriptor limit and lowers the connection caps in `config` to fit it,
/// logging both.
pub fn fit_to_descriptors(config: &mut Config) {
    let Some(descriptors) = raise_descriptor_limit() else {
        return;
    };
    let (ws, http) = fit_caps(
        descriptors,
        config.max_connections,
        config.max_http_connections,
    );
    if (ws, http) != (config.max_connections, config.max_http_connections) {
        tracing::warn!(
            descriptors,
            max_connections = ws,
            max_http_connections = http,
            "connection caps lowered to fit the descriptor limit"
        );
    }
    (config.max_connections, config.max_http_connections) = (ws, http);
    tracing::info!(descriptors, "descriptor limit");
}

/// Descriptors one WebSocket connection may hold: its socket, and the duplicate that is in
/// the event loop while a task waits on it (`wire.rs`).
pub const DESCRIPTORS_PER_WEBSOCKET: usize = 2;

/// Fits the WebSocket and plain HTTP connection caps under `descriptors`: if together they
/// could exceed it, plain HTTP gets at most a quarter and WebSockets the rest.
pub fn fit_caps(descriptors: u64, ws: usize, http: usize) -> (usize, usize) {
    let budget =
        usize::try_from(descriptors.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
    if ws
        .saturating_mul(DESCRIPTORS_PER_WEBSOCKET)
        .saturating_add(http)
        <= budget
    {
        return (ws, http);
    }
    let http = http.min(budget / 4).max(1);
    let room = budget.saturating_sub(http) / DESCRIPTORS_PER_WEBSOCKET;
    (ws.min(room).max(1), http)
}

/// Serves `router` on `listener` until `stop` turns true; then stops accepting, asks open
/// connections to finish, and returns when `idle` completes or `deadline` passes after the
/// stop, whichever comes first. True if everything closed in time.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    mut stop: watch::Receiver<bool>,
    idle: impl Future<Output = ()>,
    deadline: Duration,
) -> bool {
    let tally = Tally::new(limits.max_connections, limits.max_connections_per_ip);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                // Out of descriptors or memory: back off instead of spinning on the error.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = tally.admit(peer.ip()) else {
            METRICS.http_refused.inc();
            drop(tcp);
            continue;
        };
        // Snapshots are small frames sent every tick: never hold them back for Nagle.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {e}");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            let router = router.clone();
            async move { router.oneshot(req).await }
        });
        let conn = builder
            .serve_connection(TokioIo::new(tcp), service)
            .with_upgrades();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stop.wait_for(|s| *s) => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    drop(listener);
    let all_closed = async {
        idle.await;
        tally.idle().await;
    };
    tokio::time::timeout(deadline, all_closed).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::fit_caps;

    #[test]
    fn caps_fit_under_the_descriptor_limit() {
        assert_eq!(fit_caps(1_000_000, 10_000, 4096), (10_000, 4096));
        let (ws, http) = fit_caps(1024, 10_000, 4096);
        assert!(2 * ws + http <= 1024 - 64, "2 x {ws} + {http}");
        assert_eq!((ws, http), (360, 240));
    }
}
