//! `tickwire-protocol`: everything both ends of a Tickwire connection must agree on.
//!
//! - [`messages`]: the wire types, one bincode value per binary WebSocket frame;
//! - [`codec`]: the bincode configuration and size limits;
//! - [`schema`]: what a game replicates and what its input is, sent to clients at join;
//! - [`world`]: the replicated state of a lobby at one tick, laid out by its schema;
//! - [`delta`]: snapshot bodies, the delta between two world states, for any schema;
//! - [`input`]: a game's input values and their check against the schema;
//! - [`movement`]: the engine's top-down movement step, for games that use it;
//! - [`golden`]: golden trajectories of a game's prediction step, for its JavaScript port;
//! - [`names`]: what a player or lobby name may contain.
//!
//! No I/O lives here. `PROTOCOL.md` beside this crate is the byte-level spec.

pub mod codec;
pub mod delta;
pub mod golden;
pub mod input;
pub mod messages;
pub mod movement;
pub mod names;
pub mod schema;
pub mod varint;
pub mod world;

pub use codec::{CodecError, decode_client, decode_server, encode};
pub use delta::{DeltaEncoder, Record, SnapshotBody};
pub use input::InputValues;
pub use messages::*;
pub use movement::{Aabb, Arena, Body, MoveInput, MoveParams, step};
pub use schema::{GameInput, Replicate, Schema};
pub use world::{Layout, NetId, SUBUNITS_PER_UNIT, WorldState};

/// Bumped whenever any byte of the wire format changes.
pub const PROTOCOL_VERSION: u16 = 5;
