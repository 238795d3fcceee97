//! Seats across nodes. A node that sends a client elsewhere first reserves a seat there with
//! one Lua script run atomically by Redis ([`RESERVE`]): it counts the lobby's players (as
//! its node last wrote them) plus the unexpired holds on it, and only below the lobby's size
//! adds a hold and writes a single-use seat ticket (`tickwire:ticket:<128 random bits>`,
//! [`TICKET_TTL`]). However many nodes race, the holds handed out never exceed the free
//! seats. The lobby's own runner still checks its size at the join itself, so a lobby is
//! never overfilled whatever Redis says; a hold only makes sure a redirected player is not
//! turned away by other redirected players. The target node redeems the ticket with
//! [`REDEEM`]: it deletes the ticket (a replay finds nothing), checks that the ticket is for
//! this node, turns the hold into a counted player and says which lobby it is for.
//! Scripts name their keys themselves: one Redis (with replicas if wanted), not Redis
//! Cluster.

use std::sync::LazyLock;

use redis::Script;
use tickwire_protocol::messages::{ReconnectToken, SeatTicket};

use super::store::StoreError;
use super::{Cluster, hex, key};

/// How long a seat ticket (and its hold) lasts: a browser reconnects in well under this.
pub const TICKET_TTL_MS: u64 = 10_000;

/// Reserves a seat. ARGV: by ('id' | 'code'), target, ticket, ttl_ms, this node, quick game
/// ('' for a join). Returns {'none'}, {'here', id}, {'full', id} or {'ok', id, url}.
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local id = ARGV[2]
if ARGV[1] == 'code' then
  id = redis.call('GET', 'tickwire:code:' .. ARGV[2])
  if not id then return {'none'} end
end
local lobby = 'tickwire:lobby:' .. id
local l = redis.call('HMGET', lobby, 'node', 'players', 'max', 'private')
if not l[1] then return {'none'} end
if ARGV[1] == 'id' and l[4] == '1' then return {'none'} end
if l[1] == ARGV[5] then return {'here', id} end
local url = redis.call('HGET', 'tickwire:node:' .. l[1], 'url')
if not url then return {'none'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holds = 'tickwire:holds:' .. id
redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
if tonumber(l[2]) + redis.call('ZCARD', holds) >= tonumber(l[3]) then return {'full', id} end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', holds, now + ttl, ARGV[3])
redis.call('PEXPIRE', holds, ttl * 2)
local ticket = 'tickwire:ticket:' .. ARGV[3]
redis.call('HSET', ticket, 'node', l[1], 'lobby', id, 'quick', ARGV[6])
redis.call('PEXPIRE', ticket, ttl)
return {'ok', id, url}
",
    )
});

/// A ticket to open a lobby on another node (quick join with no free seat anywhere). ARGV:
/// node, ticket, ttl_ms, game. Returns the node's URL, or nil if it is gone.
static QUICK_TICKET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local url = redis.call('HGET', 'tickwire:node:' .. ARGV[1], 'url')
if not url then return false end
local ticket = 'tickwire:ticket:' .. ARGV[2]
redis.call('HSET', ticket, 'node', ARGV[1], 'quick', ARGV[4])
redis.call('PEXPIRE', ticket, ARGV[3])
return url
",
    )
});

/// Redeems a ticket. ARGV: ticket, this node. Returns {'none'}, {'elsewhere'},
/// {'seat', id, quick game} or {'quick', game}.
static REDEEM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local key = 'tickwire:ticket:' .. ARGV[1]
local t = redis.call('HMGET', key, 'node', 'lobby', 'quick')
if not t[1] then return {'none'} end
redis.call('DEL', key)
if t[1] ~= ARGV[2] then return {'elsewhere'} end
if t[2] then
  redis.call('ZREM', 'tickwire:holds:' .. t[2], ARGV[1])
  if redis.call('EXISTS', 'tickwire:lobby:' .. t[2]) == 1 then
    redis.call('HINCRBY', 'tickwire:lobby:' .. t[2], 'players', 1)
  end
  return {'seat', t[2], t[3] or ''}
end
return {'quick', t[3] or ''}
",
    )
});

/// Where a reconnect token's seat is. KEYS: seat. Returns {node, url} or nil.
static FIND_SEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local node = redis.call('GET', KEYS[1])
if not node then return false end
local url = redis.call('HGET', 'tickwire:node:' .. node, 'url')
if not url then return false end
return {node, url}
",
    )
});

/// How a join was looked up in the directory.
#[derive(Debug, Clone)]
pub enum Target {
    Id(u32),
    Code(String),
}

/// What the directory said about a join.
#[derive(Debug)]
pub enum Reservation {
    /// No such lobby (or a private one asked for by id).
    NotFound,
    /// The lobby is on this node after all (opened since the local lookup).
    Here(u32),
    /// No free seat (players and holds).
    Full,
    /// A seat is held on another node for this ticket.
    Held { url: String, ticket: SeatTicket },
}

/// What a redeemed ticket was for.
#[derive(Debug)]
pub enum Redeemed {
    /// The seat held in `lobby`; `quick` names the game if it came from a quick join (which
    /// may then be seated in another lobby of that game here if this one filled up).
    Seat { lobby: u32, quick: Option<String> },
    /// A quick join into a new lobby here (no free seat anywhere when it was sent).
    Quick { game: String },
}

/// Why a ticket was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TicketRefusal {
    /// Unknown, used or expired.
    Unknown,
    /// Issued for another node.
    Elsewhere,
}

impl Cluster {
    /// Reserves a seat in the lobby `target` names, if it is on another node.
    pub async fn reserve(
        &self,
        target: &Target,
        quick_game: Option<&str>,
    ) -> Result<Reservation, StoreError> {
        let ticket: SeatTicket = rand::random();
        let (by, what) = match target {
            Target::Id(id) => ("id", id.to_string()),
            Target::Code(code) => ("code", code.clone()),
        };
        let mut call = RESERVE.prepare_invoke();
        call.arg(by)
            .arg(what)
            .arg(hex(&ticket))
            .arg(TICKET_TTL_MS)
            .arg(&self.node)
            .arg(quick_game.unwrap_or(""));
        let reply: Vec<String> = self
            .store
            .run(|mut c| async move { call.invoke_async(&mut c).await })
            .await?;
        let id = || reply.get(1).and_then(|s| s.parse().ok());
        Ok(match reply.first().map(String::as_str) {
            Some("here") => id().map_or(Reservation::NotFound, Reservation::Here),
            Some("full") => Reservation::Full,
            Some("ok") => match reply.get(2) {
                Some(url) => Reservation::Held {
                    url: url.clone(),
                    ticket,
                },
                None => Reservation::NotFound,
            },
            _ => Reservation::NotFound,
        })
    }

    /// A ticket to open a quick-join lobby of `game` on `node`; `None` if that node is gone.
    pub async fn quick_ticket(
        &self,
        node: &str,
        game: &str,
    ) -> Result<Option<(String, SeatTicket)>, StoreError> {
        let ticket: SeatTicket = rand::random();
        let mut call = QUICK_TICKET.prepare_invoke();
        call.arg(node)
            .arg(hex(&ticket))
            .arg(TICKET_TTL_MS)
            .arg(game);
        let url: Option<String> = self
            .store
            .run(|mut c| async move { call.invoke_async(&mut c).await })
            .await?;
        Ok(url.map(|u| (u, ticket)))
    }

    /// Redeems a ticket presented to this node (whatever the outcome, it cannot be used
    /// again).
    pub async fn redeem(
        &self,
        ticket: &SeatTicket,
    ) -> Result<Result<Redeemed, TicketRefusal>, StoreError> {
        let mut call = REDEEM.prepare_invoke();
        call.arg(hex(ticket)).arg(&self.node);
        let reply: Vec<String> = self
            .store
            .run(|mut c| async move { call.invoke_async(&mut c).await })
            .await?;
        let field = |i: usize| reply.get(i).cloned().unwrap_or_default();
        Ok(match reply.first().map(String::as_str) {
            Some("seat") => match field(1).parse() {
                Ok(lobby) => Ok(Redeemed::Seat {
                    lobby,
                    quick: Some(field(2)).filter(|g| !g.is_empty()),
                }),
                Err(_) => Err(TicketRefusal::Unknown),
            },
            Some("quick") => Ok(Redeemed::Quick { game: field(1) }),
            Some("elsewhere") => Err(TicketRefusal::Elsewhere),
            _ => Err(TicketRefusal::Unknown),
        })
    }

    /// The URL of the other node holding `token`'s seat, if any.
    pub async fn find_seat(&self, token: &ReconnectToken) -> Result<Option<String>, StoreError> {
        let call = FIND_SEAT.key(key::seat(token));
        let found: Option<(String, String)> = self
            .store
            .run(|mut c| async move { call.invoke_async(&mut c).await })
            .await?;
        Ok(found.and_then(|(node, url)| (node != self.node).then_some(url)))
    }
}
