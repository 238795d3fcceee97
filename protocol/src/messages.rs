//! Every message on the wire. One bincode-encoded [`ClientMsg`] or [`ServerMsg`] per binary
//! WebSocket frame. Variant and field order is the wire format: append, never reorder
//! (and bump [`crate::PROTOCOL_VERSION`] when anything changes).

use bincode::{Decode, Encode};
use serde::Serialize;

use crate::delta::SnapshotBody;
use crate::input::InputValues;
use crate::schema::Schema;

/// 128 random bits that let a dropped client resume its seat; single use.
pub type ReconnectToken = [u8; 16];

/// 128 random bits a cluster node hands a client it sends to another node: presented there
/// in `JoinLobby { target: Ticket(..) }`, it takes the seat reserved for it. Single use and
/// short-lived.
pub type SeatTicket = [u8; 16];

/// Longest player name, in characters.
pub const MAX_NAME_CHARS: usize = 24;
/// Longest lobby name, in characters.
pub const MAX_LOBBY_NAME_CHARS: usize = 32;
pub const MIN_PLAYERS: u8 = 2;
pub const MAX_PLAYERS: u8 = 64;

/// Client to server.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
#[serde(tag = "type")]
pub enum ClientMsg {
    /// First message of every connection.
    Hello {
        protocol_version: u16,
        name: String,
        /// A reconnect token from an earlier `Welcome`: resume that seat.
        resume: Option<ReconnectToken>,
    },
    ListLobbies,
    CreateLobby {
        /// A game name from `GET /api/games`.
        game: String,
        name: String,
        map: String,
        max_players: u8,
        private: bool,
    },
    JoinLobby {
        target: LobbyTarget,
        /// The schema hash this client was built for; `None` decodes any schema.
        schema: Option<u64>,
    },
    /// Join the fullest public lobby of `game` with a free seat, or open a new one.
    QuickJoin {
        /// A game name; empty for the server's default game.
        game: String,
        /// The schema hash this client was built for; `None` decodes any schema.
        schema: Option<u64>,
    },
    LeaveLobby,
    Input(Input),
    Ping {
        client_time: u32,
    },
    /// The client does not hold the baseline of the snapshot it received: send a full one.
    RequestFull,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub enum LobbyTarget {
    /// A public lobby by its id.
    Id(u32),
    /// Any lobby, public or private, by its join code.
    Code(String),
    /// The seat a `Redirect` reserved on this node (cluster mode).
    Ticket(SeatTicket),
}

/// One tick's worth of player input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Input {
    /// Increases by one per input sent; the server reports the newest it applied.
    pub seq: u32,
    /// The client's own tick counter when it sampled this input.
    pub client_tick: u32,
    /// Newest snapshot tick the client has received and holds (0: none).
    pub ack: u32,
    /// The game's input fields, in the schema's order.
    pub values: InputValues,
}

/// Server to client.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
#[serde(tag = "type")]
pub enum ServerMsg {
    Welcome {
        client_id: u32,
        server_version: String,
        tick_rate: u16,
        /// Present it in a later `Hello` to resume this seat after a dropped connection.
        reconnect_token: ReconnectToken,
    },
    LobbyList {
        lobbies: Vec<LobbyInfo>,
    },
    Joined(Box<Joined>),
    Left,
    /// Who is in the lobby; sent on join and whenever it changes.
    Roster {
        host: u32,
        players: Vec<PlayerInfo>,
    },
    Snapshot(Snapshot),
    Pong {
        client_time: u32,
        server_tick: u32,
        /// Microseconds the `Ping` waited in the server after it arrived (a seated
        /// client's messages are read at the lobby's tick): the round trip is the
        /// `client_time`'s age minus this.
        waited_us: u32,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
    /// Cluster mode: what the client asked for is on another node. Connect to `url`, say
    /// `Hello` there (with the reconnect token, if resuming), then send
    /// `JoinLobby { target: Ticket(ticket) }` if a ticket is given. The server closes this
    /// connection after sending it.
    Redirect {
        /// The other node's WebSocket URL, from the cluster's own records (never the client's).
        url: String,
        /// A seat reserved there; `None` when a reconnect token is what the other node needs.
        ticket: Option<SeatTicket>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct LobbyInfo {
    pub id: u32,
    /// The game the lobby runs.
    pub game: String,
    pub name: String,
    pub map: String,
    pub players: u8,
    pub max_players: u8,
    /// The host's player name (the first member, marked host in the roster); empty while
    /// the lobby has no players.
    pub host: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Joined {
    pub lobby: LobbyInfo,
    /// Join code: share it to invite others (the only way into a private lobby).
    pub code: String,
    pub private: bool,
    /// The entity this client controls.
    pub entity: u32,
    /// The lobby's tick when the client joined: its first snapshot is of a later tick.
    pub tick: u32,
    /// What the game replicates and what its input is.
    pub schema: Schema,
    /// `schema.hash()`.
    #[serde(serialize_with = "as_decimal")]
    pub schema_hash: u64,
    /// JSON text the game defines: what its client needs of the lobby's settings.
    pub config: String,
}

/// A u64 as a decimal string, so JSON readers without 64-bit integers keep every digit.
fn as_decimal<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct PlayerInfo {
    pub client_id: u32,
    pub entity: u32,
    pub name: String,
    /// False while the player's connection is down and its seat is held for a reconnect.
    pub connected: bool,
}

/// One tick of state for one client: a per-client header and a body shared by every client
/// of the lobby with the same baseline.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Snapshot {
    /// Newest input seq the server has applied for this client (0: none yet).
    pub last_input_seq: u32,
    pub body: SnapshotBody,
}

/// Stable refusal codes. The numbers are the wire values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Encode, Decode, Serialize)]
pub enum ErrorCode {
    /// 0: `Hello.protocol_version` is not the server's.
    BadVersion,
    /// 1: the frame did not decode (or was not binary).
    Malformed,
    /// 2: the frame exceeded the size limit.
    TooLarge,
    /// 3: the first message must be `Hello`, and only the first.
    BadHandshake,
    /// 4: no lobby with that id or code.
    UnknownLobby,
    /// 5: the lobby has no free seat.
    LobbyFull,
    /// 6: the request needs a lobby and the client is in none.
    NotInLobby,
    /// 7: the client is already in a lobby (leave it first).
    AlreadyInLobby,
    /// 8: a name is empty, too long or has control characters.
    InvalidName,
    /// 9: no map by that name.
    UnknownMap,
    /// 10: max players out of range.
    InvalidMaxPlayers,
    /// 11: too many messages; excess dropped.
    RateLimited,
    /// 12: the server is at its connection or lobby limit.
    ServerFull,
    /// 13: the lobby closed (for example after an internal failure).
    LobbyClosed,
    /// 14: the server is shutting down.
    ShuttingDown,
    /// 15: a fault inside the server.
    Internal,
    /// 16: the reconnect token is unknown, used, or its seat is gone.
    ResumeRefused,
    /// 17: no game by that name.
    UnknownGame,
    /// 18: the lobby's schema hash is not the one the client was built for.
    SchemaMismatch,
    /// 19: an input's values do not fit the game's input fields.
    InvalidInput,
    /// 20: cluster mode: the shared lobby directory (Redis) cannot be reached, so lobbies on
    /// other nodes cannot be joined right now; this node's lobbies still can.
    ClusterUnavailable,
}

/// Whether `name` is acceptable as a player or lobby name: 1 to `max_chars` characters, no
/// control characters, not only white space, nothing invisible ([`crate::names`]).
pub fn is_valid_name(name: &str, max_chars: usize) -> bool {
    let chars = name.chars().count();
    chars >= 1
        && chars <= max_chars
        && !name.chars().any(char::is_control)
        && !name.trim().is_empty()
        && crate::names::is_visible_name(name)
}
