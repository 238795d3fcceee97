//! `tickwire-server`: lobbies of fixed-tick bevy_ecs simulations behind one HTTP and
//! WebSocket port.
//!
//! - [`lobby`]: the sans-IO lobby core and the task that runs it on a clock;
//! - [`lobbies`]: the directory of live lobbies (create, find, list, quick join);
//! - [`outbox`]: a client's outgoing queue, filled by its lobby and its connection and
//!   drained by its socket writer (so the lobby core needs nothing of the edge);
//! - [`net`]: the edge: HTTP routes, the dashboard, the WebSocket connection's sans-IO
//!   protocol logic and its socket loop;
//! - [`games`]: the built-in games, each on the public game API ([`lobby::game`]);
//! - [`kit`]: building blocks for games (a top-down moving body);
//! - [`catalog`]: the hosted games with their maps and schemas; [`maps`]: map files;
//! - [`config`]: command-line options.

pub mod app;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod games;
pub mod kit;
pub mod lobbies;
pub mod lobby;
pub mod maps;
pub mod metrics;
pub mod net;
pub mod outbox;
pub mod testing;
