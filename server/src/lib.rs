//! `tickwire-server`: lobbies of fixed-tick bevy_ecs simulations behind one HTTP and
//! WebSocket port.
//!
//! - [`lobby`]: the sans-IO lobby core and the task that runs it on a clock;
//! - [`lobbies`]: the directory of live lobbies (create, find, list, quick join);
//! - [`net`]: the HTTP routes, the WebSocket connection handler, per-client outboxes;
//! - [`games`]: the built-in games, each on the public game API ([`lobby::game`]);
//! - [`kit`]: building blocks for games (a top-down moving body);
//! - [`catalog`]: the hosted games with their maps and schemas; [`maps`]: map files;
//! - [`config`]: command-line options.

pub mod app;
pub mod catalog;
pub mod config;
pub mod games;
pub mod kit;
pub mod lobbies;
pub mod lobby;
pub mod maps;
pub mod metrics;
pub mod net;
pub mod testing;
