//! `tickwire-server`: lobbies of fixed-tick bevy_ecs simulations behind one HTTP and
//! WebSocket port.
//!
//! - [`lobby`]: the sans-IO lobby core and the task that runs it on a clock;
//! - [`lobbies`]: the directory of live lobbies (create, find, list, quick join);
//! - [`net`]: the HTTP routes, the WebSocket connection handler, per-client outboxes;
//! - [`game`]: maps and rules; [`config`]: command-line options.

pub mod app;
pub mod config;
pub mod game;
pub mod lobbies;
pub mod lobby;
pub mod metrics;
pub mod net;
