//! Starting a whole server from a [`Config`]: maps, lobby directory, listener, routes.
//! The binary and the end-to-end tests both start it this way.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;

use crate::catalog::GameCatalog;
use crate::config::Config;
use crate::lobbies::{Lobbies, LobbyDefaults};
use crate::lobby::Game;
use crate::lobby::runner::RunnerLimits;
use crate::lobby::threads::LobbyThreads;
use crate::maps::MapCatalog;
use crate::net::{AppState, http};

/// A bound server, ready to serve.
pub struct Server {
    listener: tokio::net::TcpListener,
    app: Arc<AppState>,
}

impl Server {
    /// Loads maps for the built-in games and binds the listener. Must run inside a tokio
    /// runtime.
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        Self::bind_with_games(config, crate::games::built_in()).await
    }

    /// Like [`Server::bind`], hosting `games` (the first is the default) instead of the
    /// built-in ones.
    pub async fn bind_with_games(
        config: Config,
        games: Vec<Arc<dyn Game>>,
    ) -> anyhow::Result<Self> {
        let maps = match &config.maps_dir {
            Some(dir) => MapCatalog::from_dir(dir),
            None => MapCatalog::embedded(),
        }
        .context("loading maps")?;
        let names: Vec<String> = maps
            .iter()
            .map(|m| format!("{}/{}", m.game, m.name))
            .collect();
        let maps = GameCatalog::new(games, &maps).context("checking maps against their games")?;
        let seed = config.seed.unwrap_or_else(rand::random);
        tracing::info!(seed, tick_rate = config.tick_rate, maps = ?names, "starting");
        let defaults = LobbyDefaults {
            tick_rate: config.tick_rate,
            max_lobbies: config.max_lobbies,
            seed,
            reconnect_grace: config.reconnect_grace,
            limits: RunnerLimits {
                empty_grace: config.empty_lobby_grace,
                stuck_after: config.stuck_client_timeout,
            },
        };
        let threads =
            LobbyThreads::start(config.lobby_threads).context("starting lobby threads")?;
        let lobbies = Lobbies::new(maps, defaults, threads);
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        Ok(Self {
            listener,
            app: AppState::new(config, lobbies),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.app.clone()
    }

    /// Serves until `shutdown` completes; then stops accepting, sends every client a close
    /// frame with a reason, and waits for them to flush, up to the shutdown deadline.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = self.app.clone();
        let stop = async move {
            shutdown.await;
            app.begin_shutdown();
        };
        let service =
            http::router(self.app.clone()).into_make_service_with_connect_info::<SocketAddr>();
        // Snapshots are small frames sent every tick: never hold them back for Nagle.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("could not set TCP_NODELAY: {e}");
            }
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(stop)
            .await
            .context("serving")?;
        let deadline = self.app.config.shutdown_deadline;
        if !self.app.wait_idle(deadline).await {
            tracing::warn!(
                left = self.app.connections(),
                "shutdown deadline passed with clients still connected"
            );
        }
        Ok(())
    }
}
