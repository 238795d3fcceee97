//! What a connection asks of the cluster and gets back. A connection's logic stays free of
//! I/O: it hands the socket loop a [`ClusterCall`] (a future that talks to Redis, under
//! the store's deadline) and takes its [`ClusterAnswer`] back. Quick join's whole walk
//! through the cluster (the fullest lobbies first, then the least-loaded node) is one call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tickwire_protocol::messages::{ReconnectToken, SeatTicket, ServerMsg};

use super::Cluster;
use super::seats::{Redeemed, Reservation, Target, TicketRefusal};
use super::store::StoreError;

/// Most lobbies of other nodes one quick join tries to reserve a seat in (each try is one
/// script run) before it opens a lobby instead.
pub const QUICK_JOIN_TRIES: usize = 4;

/// A cluster request for the socket loop to await.
pub type ClusterCall = Pin<Box<dyn Future<Output = ClusterAnswer> + Send>>;

/// What came of a [`ClusterCall`].
#[derive(Debug)]
pub enum ClusterAnswer {
    Reserved(Result<Reservation, StoreError>),
    Quick(Result<QuickPlan, StoreError>),
    Redeemed(Result<Result<Redeemed, TicketRefusal>, StoreError>),
    /// A reconnect token's seat on another node: its URL.
    SeatFound(Result<Option<String>, StoreError>),
}

/// Where a quick join goes.
#[derive(Debug)]
pub enum QuickPlan {
    /// A seat is held on another node.
    Redirect { url: String, ticket: SeatTicket },
    /// Open a lobby on this node (it is the least loaded, or every other try failed).
    OpenHere,
}

/// A lobby a quick join may try, fullest first: on this node (joined directly) or another.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: u32,
    pub players: u8,
    /// `None`: this node.
    pub node: Option<String>,
}

/// The `Redirect` a client is sent.
pub fn redirect(url: String, ticket: Option<SeatTicket>) -> ServerMsg {
    crate::metrics::METRICS.cluster_redirects.inc();
    ServerMsg::Redirect { url, ticket }
}

impl Cluster {
    pub fn reserve_call(self: &Arc<Self>, target: Target) -> ClusterCall {
        let me = self.clone();
        Box::pin(async move { ClusterAnswer::Reserved(me.reserve(&target, None).await) })
    }

    pub fn redeem_call(self: &Arc<Self>, ticket: SeatTicket) -> ClusterCall {
        let me = self.clone();
        Box::pin(async move { ClusterAnswer::Redeemed(me.redeem(&ticket).await) })
    }

    pub fn find_seat_call(self: &Arc<Self>, token: ReconnectToken) -> ClusterCall {
        let me = self.clone();
        Box::pin(async move { ClusterAnswer::SeatFound(me.find_seat(&token).await) })
    }

    /// Quick join's walk: a seat in the fullest remote candidates (up to
    /// [`QUICK_JOIN_TRIES`]), else a new lobby on the least-loaded node. `here_players` is
    /// this node's own load.
    pub fn quick_call(
        self: &Arc<Self>,
        game: String,
        candidates: Vec<Candidate>,
        here_players: u32,
    ) -> ClusterCall {
        let me = self.clone();
        Box::pin(async move {
            ClusterAnswer::Quick(me.quick_plan(&game, candidates, here_players).await)
        })
    }

    async fn quick_plan(
        &self,
        game: &str,
        candidates: Vec<Candidate>,
        here_players: u32,
    ) -> Result<QuickPlan, StoreError> {
        for c in candidates
            .iter()
            .filter(|c| c.node.is_some())
            .take(QUICK_JOIN_TRIES)
        {
            if let Reservation::Held { url, ticket } =
                self.reserve(&Target::Id(c.id), Some(game)).await?
            {
                return Ok(QuickPlan::Redirect { url, ticket });
            }
        }
        let view = self.view();
        let least = view
            .nodes
            .iter()
            .filter(|n| n.id != self.node)
            .min_by_key(|n| (n.players, n.lobbies));
        match least {
            Some(n) if n.players < here_players => {
                Ok(self.quick_ticket(&n.id, game).await?.map_or(
                    QuickPlan::OpenHere,
                    |(url, ticket)| QuickPlan::Redirect { url, ticket },
                ))
            }
            _ => Ok(QuickPlan::OpenHere),
        }
    }
}
