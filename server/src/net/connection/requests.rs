//! The connection's lobby requests: joining (by id, by code, quick join into the fullest
//! lobby of a game or a new one), opening a lobby within the budgets, listing and leaving.
//! In cluster mode, what this node does not hold goes to the shared directory
//! (`cluster.rs`).

use std::time::Instant;

use tickwire_protocol::messages::{ErrorCode, LobbyTarget, MAX_LOBBY_NAME_CHARS};
use tickwire_protocol::{ServerMsg, encode};
use tokio::sync::oneshot;

use super::cluster::Waiting;
use super::{Connection, Pending, QUICK_JOIN_SEATS, QuickJoin, Step};

/// Most times a quick join looks for lobbies with room again before it opens one.
const QUICK_JOIN_RECHECKS: u8 = 4;
use crate::lobbies::{LobbyHandle, NewLobby};
use crate::lobby::runner::Command;
use crate::net::Ticket;
use crate::net::budgets::LISTINGS;
use crate::net::call::{Answer, Call, Reply};

impl Connection {
    /// Asks `lobby` for a seat for `name`; a quick join goes on to its next candidate if
    /// refused.
    pub(super) fn join(
        &mut self,
        lobby: LobbyHandle,
        name: String,
        quick: Option<QuickJoin>,
    ) -> Step {
        let (reply, answer) = oneshot::channel();
        let command = Command::Join {
            client: self.client,
            name: name.clone(),
            outbox: self.outbox.clone(),
            reply,
        };
        self.pending = Some(Pending::Join {
            lobby: lobby.clone(),
            name,
            quick,
        });
        Step::Call(Call::lobby(lobby, command, Reply::Join(answer)))
    }

    /// `JoinLobby`: a lobby here by id or code; in cluster mode one elsewhere (reserved and
    /// redirected to) or the seat a ticket holds here.
    pub(super) fn join_target(
        &mut self,
        now: Instant,
        name: String,
        target: LobbyTarget,
        schema: Option<u64>,
    ) -> Step {
        if self.lobby.is_some() {
            self.refuse(ErrorCode::AlreadyInLobby, "leave your lobby first");
            return Step::Read;
        }
        let found = match &target {
            LobbyTarget::Id(id) => self.app.lobbies.by_id(*id),
            LobbyTarget::Code(code) => self.app.lobbies.by_code(code),
            LobbyTarget::Ticket(ticket) => {
                if self.app.lobbies.cluster().is_some() {
                    return self.redeem_ticket(*ticket, name, schema);
                }
                self.failed_join(now, &target);
                return Step::Read;
            }
        };
        match found {
            Some(handle) => {
                if self.schema_fits(&handle, schema) {
                    return self.join(handle, name, None);
                }
            }
            None if self.app.lobbies.cluster().is_some() => {
                return self.join_elsewhere(target, name, schema);
            }
            None => self.failed_join(now, &target),
        }
        Step::Read
    }

    pub(super) fn join_answered(
        &mut self,
        now: Instant,
        lobby: LobbyHandle,
        name: String,
        quick: Option<QuickJoin>,
        answer: Answer,
    ) -> Step {
        let code = match answer {
            Answer::Joined(Ok(_)) => {
                self.seated(lobby, name);
                return Step::Read;
            }
            Answer::Joined(Err(code)) => code,
            Answer::Gone | Answer::Sent | Answer::Resumed(_) | Answer::Cluster(_) => {
                ErrorCode::UnknownLobby
            }
        };
        if let Some(mut quick) = quick {
            if quick.candidates.len() == 0 && quick.rechecks < QUICK_JOIN_RECHECKS {
                quick.rechecks += 1;
                quick.candidates = self
                    .app
                    .lobbies
                    .quick_join_candidates(&quick.fallback.game)
                    .into_iter()
                    .filter(|h| h.id != lobby.id)
                    .collect::<Vec<_>>()
                    .into_iter();
            }
            return match quick.candidates.next() {
                Some(next) => self.join(next, name, Some(quick)),
                None => self.create_quick(now, quick, name),
            };
        }
        let message = match code {
            ErrorCode::LobbyFull => format!(
                "lobby {:?} is full ({} players)",
                lobby.name, lobby.max_players
            ),
            ErrorCode::UnknownLobby => "that lobby just closed".to_owned(),
            ErrorCode::InvalidName => format!(
                "someone in {:?} already has that name: pick another",
                lobby.name
            ),
            _ => format!("could not join: {code:?}"),
        };
        self.refuse(code, message);
        Step::Read
    }

    /// Opens a lobby, within the connection's and the address's budgets, and joins it.
    pub(super) fn create(&mut self, now: Instant, req: NewLobby, name: String) -> Step {
        self.create_then(now, req, name, None)
    }

    /// Opens quick join's lobby and joins it; if others fill it first, the quick join goes
    /// on (looking again, then opening another), a bounded number of times.
    fn create_quick(&mut self, now: Instant, mut quick: QuickJoin, name: String) -> Step {
        let req = quick.fallback.clone();
        quick.rechecks += 1;
        let quick = (quick.rechecks <= QUICK_JOIN_RECHECKS).then_some(quick);
        self.create_then(now, req, name, quick)
    }

    fn create_then(
        &mut self,
        now: Instant,
        req: NewLobby,
        name: String,
        quick: Option<QuickJoin>,
    ) -> Step {
        if !self.budgets.creation(&self.app, now) {
            self.refuse(
                ErrorCode::RateLimited,
                "opening lobbies too fast: join one, or try again in a few seconds",
            );
            return Step::Read;
        }
        match self.app.lobbies.create(req) {
            Ok(handle) => self.join(handle, name, quick),
            Err(code) => {
                self.refuse(code, create_refusal(code));
                Step::Read
            }
        }
    }

    /// Whether a client built for schema hash `expected` (none: any) can play `handle`'s
    /// game; refuses with `SchemaMismatch` if not.
    pub(super) fn schema_fits(&mut self, handle: &LobbyHandle, expected: Option<u64>) -> bool {
        match expected {
            Some(h) if h != handle.schema_hash => {
                self.refuse(
                    ErrorCode::SchemaMismatch,
                    format!(
                        "this lobby runs {} with schema {:016x}; your client was built for schema {h:016x}",
                        handle.game, handle.schema_hash
                    ),
                );
                false
            }
            _ => true,
        }
    }

    /// Joins the fullest lobby of `game` with room, or opens one.
    pub(super) fn quick_join(
        &mut self,
        now: Instant,
        name: String,
        game: &str,
        schema: Option<u64>,
    ) -> Step {
        if self.lobby.is_some() {
            self.refuse(ErrorCode::AlreadyInLobby, "leave your lobby first");
            return Step::Read;
        }
        let games = self.app.lobbies.games();
        let entry = if game.is_empty() {
            games.default_game()
        } else {
            games.get(game)
        };
        let Some(entry) = entry else {
            self.refuse(ErrorCode::UnknownGame, format!("no game named {game:?}"));
            return Step::Read;
        };
        if let Some(h) = schema.filter(|h| *h != entry.schema_hash) {
            let message = format!(
                "{} has schema {:016x}; your client was built for schema {h:016x}",
                entry.game.name(),
                entry.schema_hash
            );
            self.refuse(ErrorCode::SchemaMismatch, message);
            return Step::Read;
        }
        let game = entry.game.name().to_owned();
        let Some(fallback) = self.quick_fallback(&name, &game) else {
            return Step::Read;
        };
        if let Some(cluster) = self.app.lobbies.cluster().cloned() {
            let candidates = self.app.lobbies.cluster_candidates(&game);
            // The fullest lobby is elsewhere, or there is none: ask the cluster (unless
            // Redis is away: then this node's lobbies are the choice).
            if cluster.is_up() && candidates.first().is_none_or(|c| c.node.is_some()) {
                let players = self.app.lobbies.players();
                self.pending = Some(Pending::Cluster(Waiting::Quick { name, fallback }));
                return Step::Call(Call::cluster(cluster.quick_call(game, candidates, players)));
            }
        }
        self.local_quick_join(now, name, fallback)
    }

    /// What quick join opens for `name` when no lobby of `game` has room: a public lobby
    /// on the game's first map, named after the player.
    pub(super) fn quick_fallback(&self, name: &str, game: &str) -> Option<NewLobby> {
        let entry = self.app.lobbies.games().get(game)?;
        Some(NewLobby {
            name: format!("{name}'s lobby")
                .chars()
                .take(MAX_LOBBY_NAME_CHARS)
                .collect(),
            map: entry.maps.keys().next().cloned().unwrap_or_default(),
            max_players: QUICK_JOIN_SEATS,
            private: false,
            game: game.to_owned(),
        })
    }

    /// Quick join among this node's lobbies only: the fullest with room, or a new one.
    pub(super) fn local_quick_join(
        &mut self,
        now: Instant,
        name: String,
        fallback: NewLobby,
    ) -> Step {
        let mut candidates = self
            .app
            .lobbies
            .quick_join_candidates(&fallback.game)
            .into_iter();
        match candidates.next() {
            Some(first) => self.join(
                first,
                name,
                Some(QuickJoin {
                    candidates,
                    fallback,
                    rechecks: 0,
                }),
            ),
            None => self.create_quick(
                now,
                QuickJoin {
                    candidates: Vec::new().into_iter(),
                    fallback,
                    rechecks: 0,
                },
                name,
            ),
        }
    }

    /// Sends the shared, capped lobby listing, within the connection's and the address's
    /// budgets.
    pub(super) fn list_lobbies(&mut self, now: Instant) {
        if !self.budgets.listing(&self.app, now) {
            let (burst, rate) = LISTINGS;
            return self.refuse(
                ErrorCode::RateLimited,
                format!("at most {rate} lobby listings a second (bursts of {burst})"),
            );
        }
        let frame = self.app.lobbies.listing().frame.clone();
        self.send_frame(frame);
    }

    pub(super) fn failed_join(&mut self, now: Instant, target: &LobbyTarget) {
        let message = match target {
            LobbyTarget::Id(id) => format!("no public lobby with id {id}"),
            LobbyTarget::Code(code) => {
                self.budgets.failed_guess(&self.app, now);
                format!("no lobby with code {code:?}")
            }
            LobbyTarget::Ticket(_) => {
                self.budgets.failed_guess(&self.app, now);
                "seat tickets are for servers in cluster mode; this one is a single node".into()
            }
        };
        self.refuse(ErrorCode::UnknownLobby, message);
    }

    pub(super) fn leave(&mut self) -> Step {
        let Some(lobby) = self.lobby.take() else {
            return Step::Read;
        };
        self.app.forget_seat(&self.token);
        if let Some(cluster) = self.app.lobbies.cluster() {
            cluster.seat_forgotten(self.token);
        }
        self.pending = Some(Pending::Sent);
        let command = Command::Leave {
            client: self.client,
        };
        Step::Call(Call::lobby(lobby, command, Reply::None))
    }

    /// Now seated in `lobby`: the seat is filed under this connection's token.
    pub(super) fn seated(&mut self, lobby: LobbyHandle, name: String) {
        let ticket = Ticket {
            client: self.client,
            name,
            lobby: lobby.clone(),
            expires: None,
        };
        self.app.file_seat(self.token, ticket);
        if let Some(cluster) = self.app.lobbies.cluster() {
            cluster.seat_filed(self.token);
        }
        self.lobby = Some(lobby);
        self.let_go = false;
    }

    /// Sends the client to another node, and ends this connection.
    pub(super) fn redirect(&mut self, msg: &ServerMsg) -> Step {
        self.send_frame(bytes::Bytes::from(encode(msg)));
        Step::End(super::Ending::new(
            None,
            "sent to another node",
            super::close::NORMAL,
        ))
    }
}

fn create_refusal(code: ErrorCode) -> String {
    match code {
        ErrorCode::UnknownGame => "no game by that name (GET /api/games lists them)".into(),
        ErrorCode::InvalidMaxPlayers => "max players must be 2 to 64".into(),
        ErrorCode::UnknownMap => {
            "that game has no map by that name (GET /api/games lists them)".into()
        }
        ErrorCode::ServerFull => "the server has no room for another lobby".into(),
        _ => format!("could not create the lobby: {code:?}"),
    }
}
