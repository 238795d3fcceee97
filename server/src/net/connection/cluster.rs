//! A connection's requests to the cluster (cluster mode only): a join for a lobby on
//! another node (a seat reserved there, then a `Redirect`), quick join's walk through the
//! cluster, a seat ticket redeemed here, a reconnect token whose seat is on another node,
//! Each is one [`Call`] to Redis whose answer comes back through
//! [`Connection::cluster_answered`]. Opening a lobby needs no call: its id and code come
//! from what this node reserved ahead (`cluster/ids.rs`, `cluster/directory.rs`).
//!
//! Costs and bounds: a listing costs Redis nothing (the cluster's view is shared). A join
//! or quick join is a lobby move (2 a second per connection, bursts of 10): a join costs one
//! script run, a quick join at most
//! [`crate::cluster::redirect::QUICK_JOIN_TRIES`] + 1. A join by code or ticket, or a
//! resume, that finds nothing costs a failed guess (1 a second per connection, 2 per
//! address).

use std::time::Instant;

use tickwire_protocol::messages::{ErrorCode, LobbyTarget, ReconnectToken, SeatTicket};

use super::{Connection, Pending, QuickJoin, RESUME_REFUSED, Step};
use crate::cluster::redirect::{ClusterAnswer, QuickPlan, redirect};
use crate::cluster::seats::{Redeemed, Reservation, Target, TicketRefusal};
use crate::cluster::store::StoreError;
use crate::lobbies::NewLobby;
use crate::metrics::METRICS;
use crate::net::call::{Answer, Call};

/// What a cluster answer continues.
pub(super) enum Waiting {
    /// A join of a lobby not on this node.
    Join {
        target: LobbyTarget,
        name: String,
        schema: Option<u64>,
    },
    /// A quick join: `fallback` is opened here if the cluster has nothing better.
    Quick { name: String, fallback: NewLobby },
    /// A seat ticket presented here.
    Ticket { name: String, schema: Option<u64> },
    /// A reconnect token unknown here.
    Seat { hello_name: String },
}

fn unavailable(e: &StoreError) -> String {
    format!(
        "the cluster directory cannot be reached ({e}): lobbies on other nodes cannot be joined right now; quick join and this node's lobbies still work"
    )
}

impl Connection {
    /// Looks for the lobby `target` names on the other nodes, reserving a seat there.
    pub(super) fn join_elsewhere(
        &mut self,
        target: LobbyTarget,
        name: String,
        schema: Option<u64>,
    ) -> Step {
        let Some(cluster) = self.app.lobbies.cluster().cloned() else {
            return Step::Read;
        };
        let lookup = match &target {
            LobbyTarget::Id(id) => Target::Id(*id),
            LobbyTarget::Code(code) => Target::Code(code.trim().to_ascii_uppercase()),
            LobbyTarget::Ticket(_) => return Step::Read,
        };
        self.pending = Some(Pending::Cluster(Waiting::Join {
            target,
            name,
            schema,
        }));
        Step::Call(Call::cluster(cluster.reserve_call(lookup)))
    }

    pub(super) fn redeem_ticket(
        &mut self,
        ticket: SeatTicket,
        name: String,
        schema: Option<u64>,
    ) -> Step {
        let Some(cluster) = self.app.lobbies.cluster().cloned() else {
            return Step::Read;
        };
        self.pending = Some(Pending::Cluster(Waiting::Ticket { name, schema }));
        Step::Call(Call::cluster(cluster.redeem_call(ticket)))
    }

    pub(super) fn find_seat(&mut self, token: ReconnectToken, hello_name: String) -> Step {
        let Some(cluster) = self.app.lobbies.cluster().cloned() else {
            return Step::Read;
        };
        self.pending = Some(Pending::Cluster(Waiting::Seat { hello_name }));
        Step::Call(Call::cluster(cluster.find_seat_call(token)))
    }

    pub(super) fn cluster_answered(
        &mut self,
        now: Instant,
        waiting: Waiting,
        answer: Answer,
    ) -> Step {
        let Answer::Cluster(answer) = answer else {
            return Step::Read;
        };
        match (waiting, answer) {
            (
                Waiting::Join {
                    target,
                    name,
                    schema,
                },
                ClusterAnswer::Reserved(reserved),
            ) => match reserved {
                Ok(Reservation::Held { url, ticket }) => {
                    return self.redirect(&redirect(url, Some(ticket)));
                }
                Ok(Reservation::Here(id)) => match self.app.lobbies.any_by_id(id) {
                    Some(handle) => {
                        if self.schema_fits(&handle, schema) {
                            return self.join(handle, name, None);
                        }
                    }
                    None => self.failed_join(now, &target),
                },
                Ok(Reservation::Full) => self.refuse(
                    ErrorCode::LobbyFull,
                    "that lobby is full (its last seats may be held for players on their way)",
                ),
                Ok(Reservation::NotFound) => self.failed_join(now, &target),
                Err(e) => self.refuse(ErrorCode::ClusterUnavailable, unavailable(&e)),
            },
            (Waiting::Quick { name, fallback }, ClusterAnswer::Quick(plan)) => match plan {
                Ok(QuickPlan::Redirect { url, ticket }) => {
                    return self.redirect(&redirect(url, Some(ticket)));
                }
                Ok(QuickPlan::OpenHere) => return self.local_quick_join(now, name, fallback),
                Err(e) => {
                    tracing::debug!("quick join among this node's lobbies only: {e}");
                    return self.local_quick_join(now, name, fallback);
                }
            },
            (Waiting::Ticket { name, schema }, ClusterAnswer::Redeemed(redeemed)) => {
                return self.ticket_redeemed(now, name, schema, redeemed);
            }
            (Waiting::Seat { hello_name }, ClusterAnswer::SeatFound(found)) => {
                match found {
                    Ok(Some(url)) => return self.redirect(&redirect(url, None)),
                    Ok(None) => {
                        self.budgets.failed_guess(&self.app, now);
                        self.refuse(ErrorCode::ResumeRefused, RESUME_REFUSED);
                    }
                    Err(e) => self.refuse(
                        ErrorCode::ResumeRefused,
                        format!(
                            "{RESUME_REFUSED} (the cluster directory cannot be reached to look for it elsewhere: {e})"
                        ),
                    ),
                }
                self.welcome_as(hello_name);
            }
            _ => {}
        }
        Step::Read
    }

    fn ticket_redeemed(
        &mut self,
        now: Instant,
        name: String,
        schema: Option<u64>,
        redeemed: Result<Result<Redeemed, TicketRefusal>, StoreError>,
    ) -> Step {
        match redeemed {
            Ok(Ok(Redeemed::Seat { lobby, quick })) => {
                let handle = self.app.lobbies.any_by_id(lobby);
                let quick = quick.and_then(|game| {
                    let fallback = self.quick_fallback(&name, &game)?;
                    let candidates = self
                        .app
                        .lobbies
                        .quick_join_candidates(&game)
                        .into_iter()
                        .filter(|h| h.id != lobby)
                        .collect::<Vec<_>>()
                        .into_iter();
                    Some(QuickJoin {
                        candidates,
                        fallback,
                        rechecks: 0,
                    })
                });
                match (handle, quick) {
                    (Some(handle), quick) => {
                        if self.schema_fits(&handle, schema) {
                            return self.join(handle, name, quick);
                        }
                    }
                    // The lobby closed meanwhile: a quick join goes on among this node's.
                    (None, Some(quick)) => {
                        return self.local_quick_join(now, name, quick.fallback);
                    }
                    (None, None) => self.refuse(ErrorCode::UnknownLobby, "that lobby just closed"),
                }
            }
            Ok(Ok(Redeemed::Quick { game })) => {
                if let Some(fallback) = self.quick_fallback(&name, &game) {
                    return self.local_quick_join(now, name, fallback);
                }
                self.refuse(ErrorCode::UnknownGame, format!("no game named {game:?}"));
            }
            Ok(Err(refusal)) => {
                METRICS.cluster_ticket_refusals.inc();
                self.budgets.failed_guess(&self.app, now);
                let why = match refusal {
                    TicketRefusal::Unknown => {
                        "that seat ticket is unknown, already used or expired"
                    }
                    TicketRefusal::Elsewhere => "that seat ticket is for another node",
                };
                self.refuse(ErrorCode::UnknownLobby, why);
            }
            Err(e) => self.refuse(ErrorCode::ClusterUnavailable, unavailable(&e)),
        }
        Step::Read
    }
}
