//! `tickwire-protocol`: everything both ends of a Tickwire connection must agree on.
//!
//! - [`messages`]: the wire types, one bincode value per binary WebSocket frame;
//! - [`codec`]: the bincode configuration and size limits;
//! - [`world`]: the quantized replicated state of a lobby at one tick;
//! - [`delta`]: snapshot bodies, the delta between two world states;
//! - [`movement`]: the movement step the server simulates and the browser predicts with;
//! - [`names`]: what a player or lobby name may contain.
//!
//! No I/O lives here. `PROTOCOL.md` beside this crate is the byte-level spec.

pub mod codec;
pub mod delta;
pub mod messages;
pub mod movement;
pub mod names;
pub mod world;

pub use codec::{CodecError, decode_client, decode_server, encode};
pub use delta::{EntityUpdate, SnapshotBody, Spawn};
pub use messages::*;
pub use movement::{Aabb, Arena, Body, MoveInput, MoveParams, step};
pub use world::{EntityKind, EntityState, NetId, SUBUNITS_PER_UNIT, WorldState};

/// Bumped whenever any byte of the wire format changes.
pub const PROTOCOL_VERSION: u16 = 1;
