//! Starting a whole server from a [`Config`]: maps, lobby directory, listener, routes.
//! The binary and the end-to-end tests both start it this way.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use crate::catalog::GameCatalog;
use crate::cluster::{self, Cluster};
use crate::config::Config;
use crate::lobbies::{Lobbies, LobbyDefaults};
use crate::lobby::Game;
use crate::lobby::runner::RunnerLimits;
use crate::lobby::threads::LobbyThreads;
use crate::maps::MapCatalog;
use crate::net::listener::{self, HttpLimits};
use crate::net::{AppState, http, upgrade};

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
        mut config: Config,
        games: Vec<Arc<dyn Game>>,
    ) -> anyhow::Result<Self> {
        listener::fit_to_descriptors(&mut config);
        let lobbies = lobbies(&config, games)?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let bound = listener.local_addr()?;
        if let Some(redis) = &config.redis {
            let url = match &config.public_url {
                Some(public) => cluster::ws_url(public),
                None if bound.ip().is_unspecified() => anyhow::bail!(
                    "cluster mode: this node listens on every interface ({bound}); say with --public-url how browsers reach it"
                ),
                None => format!("ws://{bound}/ws"),
            };
            let cluster = Cluster::new(redis, url, config.cluster_ttl)?;
            cluster.start(&lobbies).await?;
            lobbies.join_cluster(cluster);
        }
        let own_origins = upgrade::own_origins(bound, config.public_url.as_deref());
        if config.allowed_origins.is_empty() {
            tracing::info!(?own_origins, "pages from these origins may open sockets");
        }
        Ok(Self {
            listener,
            app: AppState::new(config, lobbies, own_origins),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.app.clone()
    }

    /// Serves until `shutdown` completes; then stops accepting, sends every client a close
    /// frame with a reason, and waits for them to flush, up to the shutdown deadline counted
    /// from the signal (connections still open then are abandoned).
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = self.app.clone();
        tokio::spawn(async move {
            shutdown.await;
            // Other nodes stop sending players here at once; then the clients are told.
            if let Some(cluster) = app.lobbies.cluster() {
                cluster::directory::withdraw(cluster, &app.lobbies).await;
            }
            app.begin_shutdown();
        });
        let config = &self.app.config;
        let limits = HttpLimits {
            max_connections: config.max_http_connections,
            max_connections_per_ip: config.max_http_connections_per_ip,
            header_read_timeout: config.header_read_timeout,
        };
        let closed = listener::serve(
            self.listener,
            http::router(self.app.clone()),
            limits,
            self.app.shutdown_signal(),
            self.app.idle(),
            config.shutdown_deadline,
        )
        .await;
        if !closed {
            tracing::warn!(
                left = self.app.connections(),
                "shutdown deadline passed with clients still connected"
            );
        }
        Ok(())
    }
}

/// The lobby directory for `config`'s maps and `games` (the first is the default), with its
/// lobby threads started.
pub fn lobbies(config: &Config, games: Vec<Arc<dyn Game>>) -> anyhow::Result<Arc<Lobbies>> {
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
    let threads = LobbyThreads::start(config.lobby_threads).context("starting lobby threads")?;
    Ok(Lobbies::new(maps, defaults, threads))
}
