//! What a connection may ask for that costs the server work or guesses at a secret: lobby
//! listings, lobby moves, opening lobbies and joins by code that find nothing. Each has a
//! token bucket per connection and (lobby moves aside) one per address, shared by every
//! connection from it. The numbers are documented in PROTOCOL.md, "Limits".

use std::net::IpAddr;
use std::time::Instant;

use super::AppState;
use super::rate::TokenBucket;

/// (burst, per second) per connection.
pub const LISTINGS: (f64, f64) = (5.0, 1.0);
pub const CREATIONS: (f64, f64) = (5.0, 0.2);
pub const FAILED_JOINS: (f64, f64) = (5.0, 1.0);
/// Create, join, quick join and leave alike.
pub const MOVES: (f64, f64) = (10.0, 2.0);

/// (burst, per second) per address: listings over WebSocket and HTTP together.
pub const LISTINGS_PER_IP: (f64, f64) = (20.0, 10.0);
pub const CREATIONS_PER_IP: (f64, f64) = (20.0, 2.0);
pub const FAILED_JOINS_PER_IP: (f64, f64) = (20.0, 2.0);

/// One connection's buckets.
pub struct Budgets {
    ip: IpAddr,
    listings: TokenBucket,
    creations: TokenBucket,
    failed_joins: TokenBucket,
    moves: TokenBucket,
}

impl Budgets {
    pub fn new(ip: IpAddr, now: Instant) -> Self {
        let bucket = |(burst, rate): (f64, f64)| TokenBucket::new(burst, rate, now);
        Self {
            ip,
            listings: bucket(LISTINGS),
            creations: bucket(CREATIONS),
            failed_joins: bucket(FAILED_JOINS),
            moves: bucket(MOVES),
        }
    }

    /// Whether a lobby listing may be sent now (takes a token of each bucket).
    pub fn listing(&mut self, app: &AppState, now: Instant) -> bool {
        app.listings.has(self.ip, now) && self.listings.take(now) && app.listings.take(self.ip, now)
    }

    /// Whether a lobby may be opened now (takes a token of each bucket).
    pub fn creation(&mut self, app: &AppState, now: Instant) -> bool {
        app.creations.has(self.ip, now)
            && self.creations.take(now)
            && app.creations.take(self.ip, now)
    }

    /// Whether a create, join, quick join or leave may go ahead now.
    pub fn lobby_move(&mut self, now: Instant) -> bool {
        self.moves.take(now)
    }

    /// Whether a join by code may be looked up now: only failures cost.
    pub fn guess(&mut self, app: &AppState, now: Instant) -> bool {
        app.failed_joins.has(self.ip, now) && self.failed_joins.peek(now) >= 1.0
    }

    /// A join by code found nothing.
    pub fn failed_guess(&mut self, app: &AppState, now: Instant) {
        self.failed_joins.take(now);
        app.failed_joins.take(self.ip, now);
    }
}
