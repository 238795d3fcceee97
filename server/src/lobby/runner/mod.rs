//! Runs one [`Lobby`] on the wall clock: a tokio task that takes commands from connections,
//! steps the lobby on its fixed tick (catching up a bounded number of late ticks), and
//! hands each frame to its client's outbox. A slow client never blocks the tick.
//!
//! Two queues lead into a lobby. Commands (join, leave, resume...) wake it at once. Play
//! messages (inputs, full-snapshot requests) arrive at every player's send rate and only
//! matter at the next step, so they wait in their own queue, taken just before the step (or
//! before a command, to keep each connection's order) without waking the lobby for each.
//! A seated player's connection is read by the lobby itself, just before the step
//! ([`Outbox::read_held`]): its play messages then reach that queue with no task woken.
//!
//! It also keeps the lobby's [`LobbyStats`] for the dashboard: a few relaxed atomics per
//! tick, and the roster republished when it changes.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ErrorCode, ServerMsg};
use tickwire_protocol::{Input, NetId};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{info, warn};

use super::clock::TickClock;
use super::stats::{LobbyStats, Seat as RosterSeat};
use super::{ClientId, Delivery, Envelope, Lobby, Queued, Resume};
use crate::metrics::METRICS;
use crate::outbox::Outbox;

/// Commands (and, separately, play messages) a lobby's queue holds before senders see it
/// as busy.
pub const COMMAND_CAPACITY: usize = 4096;

#[derive(Debug)]
pub enum Command {
    Join {
        client: ClientId,
        name: String,
        outbox: Arc<Outbox>,
        reply: oneshot::Sender<Result<NetId, ErrorCode>>,
    },
    /// The client asked to leave.
    Leave { client: ClientId },
    /// The connection behind `outbox` dropped: hold the seat for a reconnect (unless a newer
    /// connection already took the seat over).
    Disconnect {
        client: ClientId,
        outbox: Arc<Outbox>,
    },
    /// A new connection takes back a held seat; `welcome` goes out before `Joined`.
    Resume {
        client: ClientId,
        outbox: Arc<Outbox>,
        welcome: bytes::Bytes,
        reply: oneshot::Sender<Resume>,
    },
    /// The operator closes the lobby: every player is told `LobbyClosed` (with `reason`).
    Close {
        reason: Option<String>,
        reply: oneshot::Sender<()>,
    },
    /// The operator removes a player (connected or held for a reconnect), who is told
    /// `LobbyClosed` (with `reason`); replies whether the lobby had it.
    Kick {
        client: ClientId,
        reason: Option<String>,
        reply: oneshot::Sender<bool>,
    },
}

/// A player's messages for the simulation, taken before each step (and before each command).
#[derive(Debug)]
pub enum Play {
    Input { client: ClientId, input: Input },
    RequestFull { client: ClientId },
}

/// The lobby's ends of its two queues.
pub struct Inbox {
    commands: mpsc::Receiver<Command>,
    plays: mpsc::Receiver<Play>,
}

/// Moves every message waiting in `rx` into `buf` without waiting. `try_recv` would park
/// the thread while another thread is midway through a send; a poll returns instead (that
/// message is taken next time). The poll leaves a no-op waker behind, so later sends do not
/// wake the lobby.
fn waiting<T>(rx: &mut mpsc::Receiver<T>, buf: &mut Vec<T>) {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let _ = rx.poll_recv_many(&mut cx, buf, COMMAND_CAPACITY);
}

/// A lobby's queues: the senders for connections, the [`Inbox`] for its [`Runner`].
pub fn inbox() -> (mpsc::Sender<Command>, mpsc::Sender<Play>, Inbox) {
    let (commands_tx, commands) = mpsc::channel(COMMAND_CAPACITY);
    let (plays_tx, plays) = mpsc::channel(COMMAND_CAPACITY);
    (commands_tx, plays_tx, Inbox { commands, plays })
}

/// What the rest of the server may read of a running lobby.
#[derive(Debug, Default)]
pub struct LobbyShared {
    pub players: AtomicU8,
    pub tick: AtomicU32,
    pub closed: AtomicBool,
    /// The host's player name (empty while nobody is in the lobby), for the listing.
    host: Mutex<String>,
    /// Bumped whenever `host` changes, so a cached listing knows it is stale.
    pub host_changes: AtomicU32,
    /// Figures for the dashboard.
    pub stats: LobbyStats,
}

impl LobbyShared {
    /// The host's player name; empty while nobody is in the lobby.
    pub fn host(&self) -> String {
        self.host.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_host(&self, name: &str) {
        let mut host = self.host.lock().unwrap_or_else(|e| e.into_inner());
        if *host != name {
            name.clone_into(&mut host);
            self.host_changes.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RunnerLimits {
    /// An empty lobby closes after this long.
    pub empty_grace: Duration,
    /// A client whose snapshots are all dropped for this long is disconnected.
    pub stuck_after: Duration,
}

struct Seat {
    outbox: Arc<Outbox>,
    /// Consecutive snapshots replaced before the writer took them.
    stale: u32,
    /// The lobby reads the connection's messages under this hold (0: it cannot).
    reads: u64,
}

impl Seat {
    fn new(outbox: Arc<Outbox>) -> Self {
        let reads = outbox.hold_reads();
        Self {
            outbox,
            stale: 0,
            reads,
        }
    }
}

impl Drop for Seat {
    /// However the seat goes (a leave, a drop, a kick, a resume elsewhere, the lobby's
    /// end), its connection reads for itself again.
    fn drop(&mut self) {
        self.outbox.release_reads(self.reads);
    }
}

/// A resume waiting for the seat's old connection to go quiet.
struct PendingResume {
    client: ClientId,
    outbox: Arc<Outbox>,
    welcome: bytes::Bytes,
    reply: oneshot::Sender<Resume>,
    /// The last tick to wait until.
    until: u32,
}

/// `what`, then the operator's reason if there is one.
fn with_reason(what: &str, reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("{what}: {r}"),
        None => what.to_owned(),
    }
}

/// How long a seat's connection must have sent nothing before a resume takes it over.
const TAKEOVER_QUIET: Duration = Duration::from_secs(1);

pub struct Runner {
    lobby: Lobby,
    shared: Arc<LobbyShared>,
    seats: HashMap<ClientId, Seat>,
    stuck_ticks: u32,
    /// An empty lobby closes after this many ticks.
    empty_ticks: u32,
    quiet_ticks: u32,
    pending: Vec<Envelope>,
    pending_resumes: Vec<PendingResume>,
    /// Play messages being handed over (kept for its allocation).
    plays: Vec<Play>,
    /// The operator closed the lobby: stop after this command.
    closing: bool,
    /// The lobby's roster changes as last published in its stats.
    roster_published: u64,
    /// The roster change last published as the player count and host.
    seats_published: u64,
    /// The lobby's rewind counts already added to `/metrics` (clamped, capped).
    rewind_published: (u64, u64),
}

impl Runner {
    pub fn new(lobby: Lobby, shared: Arc<LobbyShared>, limits: RunnerLimits) -> Self {
        let rate = u32::from(lobby.settings().tick_rate);
        let ticks = |d: Duration| (d.as_secs_f64() * f64::from(rate)).ceil() as u32;
        let stuck_ticks = ticks(limits.stuck_after).max(1);
        Self {
            lobby,
            shared,
            seats: HashMap::new(),
            stuck_ticks,
            empty_ticks: ticks(limits.empty_grace),
            quiet_ticks: ticks(TAKEOVER_QUIET),
            pending: Vec::new(),
            pending_resumes: Vec::new(),
            plays: Vec::new(),
            closing: false,
            roster_published: 0,
            seats_published: u64::MAX,
            rewind_published: (0, 0),
        }
    }

    /// Runs until the lobby has been empty for the grace period, its command channel
    /// closes, or its simulation panics. `on_close` runs before remaining commands are refused.
    pub async fn run(mut self, inbox: Inbox, on_close: impl FnOnce()) {
        let Inbox {
            mut commands,
            mut plays,
        } = inbox;
        let mut clock = TickClock::new(self.lobby.settings().tick_rate);
        let start = Instant::now();
        loop {
            let deadline = start + clock.next_deadline();
            tokio::select! {
                biased;
                _ = tokio::time::sleep_until(deadline) => {
                    // Everything that arrived before the deadline counts for this tick: what
                    // seated players sent is read now, and inputs waiting in the queue are
                    // applied now, not a tick later.
                    let read = self.read_seats();
                    let mut queued = Vec::new();
                    waiting(&mut commands, &mut queued);
                    for cmd in queued {
                        self.command(cmd, &mut plays);
                    }
                    if self.closing {
                        break;
                    }
                    self.take_plays(&mut plays);
                    // Seats handed over before the step, so this tick's snapshot is the new
                    // connection's first (full) one.
                    for p in std::mem::take(&mut self.pending_resumes) {
                        self.try_resume(p);
                    }
                    let plan = clock.due(start.elapsed());
                    if plan.missed > 0 {
                        METRICS.missed_ticks.inc_by(u64::from(plan.missed));
                        LobbyStats::add(&self.shared.stats.missed_ticks, u64::from(plan.missed));
                    }
                    self.lobby.skip_ticks(plan.skipped());
                    if !self.run_steps(plan.steps, read) {
                        break;
                    }
                    if self.lobby.closes_empty(self.empty_ticks) {
                        info!(lobby = self.lobby.settings().id, "closing empty lobby");
                        break;
                    }
                }
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.command(cmd, &mut plays),
                    None => break,
                },
            }
            if self.closing {
                break;
            }
            self.deliver();
            self.publish_roster();
        }
        self.shared.closed.store(true, Ordering::Relaxed);
        on_close();
        plays.close();
        commands.close();
        while let Some(cmd) = commands.recv().await {
            refuse_closed(cmd);
        }
    }

    /// Reads what the seated players sent; returns how long it took. A connection's logic
    /// never panics on what a client sends; if it did, that connection would read for
    /// itself again and the lobby would go on.
    fn read_seats(&self) -> Duration {
        let start = std::time::Instant::now();
        for (client, seat) in &self.seats {
            if catch_unwind(AssertUnwindSafe(|| seat.outbox.read_held(seat.reads))).is_err() {
                warn!(
                    lobby = self.lobby.settings().id,
                    client, "reading a seated connection panicked"
                );
                seat.outbox.release_reads(seat.reads);
            }
        }
        start.elapsed()
    }

    /// Steps and snapshots; false if the simulation panicked (the lobby is then closed
    /// for its players, and the process goes on). The tick's time counts `read`, the time
    /// taken to read the seated players before it.
    fn run_steps(&mut self, steps: u32, read: Duration) -> bool {
        if steps == 0 {
            return true;
        }
        let lobby = &mut self.lobby;
        let seats = &self.seats;
        let stats = &self.shared.stats;
        let rewind = &mut self.rewind_published;
        let ok = catch_unwind(AssertUnwindSafe(|| {
            let start = std::time::Instant::now();
            for _ in 0..steps {
                lobby.step();
            }
            let encode_start = std::time::Instant::now();
            lobby.send_snapshots(|client| {
                seats
                    .get(&client)
                    .is_some_and(|s| s.outbox.snapshot_taken())
            });
            let encode = encode_start.elapsed();
            let tick = read + start.elapsed();
            let (clamped, capped) = lobby.rewind_counts();
            METRICS.rewind_clamped.inc_by(clamped - rewind.0);
            METRICS.rewind_capped.inc_by(capped - rewind.1);
            *rewind = (clamped, capped);
            METRICS.encode_duration.observe(encode.as_secs_f64());
            METRICS.tick_duration.observe(tick.as_secs_f64());
            stats.encode.record(encode.as_nanos() as u64);
            stats.tick.record(tick.as_nanos() as u64);
        }));
        self.shared.tick.store(self.lobby.tick(), Ordering::Relaxed);
        if ok.is_err() {
            warn!(
                lobby = self.lobby.settings().id,
                "lobby simulation panicked; closing the lobby"
            );
            self.close_for_everyone("the lobby closed after an internal error");
            return false;
        }
        true
    }

    /// Tells every player the lobby closed (`LobbyClosed` with `message`) and lets go of
    /// their seats.
    fn close_for_everyone(&mut self, message: &str) {
        let msg = bytes::Bytes::from(encode(&ServerMsg::Error {
            code: ErrorCode::LobbyClosed,
            message: message.into(),
        }));
        let id = self.lobby.settings().id;
        for seat in self.seats.values() {
            seat.outbox.removed_from_lobby(id);
            seat.outbox.send(msg.clone());
        }
        self.seats.clear();
    }

    /// Removes a player on the operator's word; false if the lobby has no such player.
    fn kick(&mut self, client: ClientId, reason: Option<&str>) -> bool {
        if !self.lobby.leave(client, false) {
            return false;
        }
        let id = self.lobby.settings().id;
        info!(lobby = id, client, reason, "player removed by the operator");
        if let Some(seat) = self.seats.remove(&client) {
            seat.outbox.removed_from_lobby(id);
            seat.outbox
                .send(bytes::Bytes::from(encode(&ServerMsg::Error {
                    code: ErrorCode::LobbyClosed,
                    message: with_reason("the server operator removed you from the lobby", reason),
                })));
        }
        true
    }

    /// The player count and the host's name, for the directory's listing.
    /// Only when the roster changed since the last time (a join, leave, drop or resume),
    /// so a tick without one costs a comparison, not a lock.
    fn publish_seats(&mut self) {
        let changes = self.lobby.roster_changes();
        if changes == self.seats_published {
            return;
        }
        self.seats_published = changes;
        self.shared
            .players
            .store(self.lobby.player_count() as u8, Ordering::Relaxed);
        self.shared.set_host(self.lobby.host_name());
    }

    /// Republishes the roster in the lobby's stats if it changed (never on a tick without
    /// a roster change).
    fn publish_roster(&mut self) {
        let changes = self.lobby.roster_changes();
        if changes == self.roster_published {
            return;
        }
        self.roster_published = changes;
        let roster: Arc<[RosterSeat]> = self
            .lobby
            .seats()
            .map(|(client, name, connected)| RosterSeat {
                client,
                name: name.to_owned(),
                connected,
            })
            .collect();
        self.shared.stats.set_roster(roster);
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Join {
                client,
                name,
                outbox,
                reply,
            } => {
                let result = self.lobby.join(client, &name);
                if result.is_ok() {
                    self.seats.insert(client, Seat::new(outbox));
                }
                let _ = reply.send(result);
            }
            Command::Leave { client } => {
                self.lobby.leave(client, true);
                // Deliver `Left` before forgetting the seat.
                self.deliver();
                self.seats.remove(&client);
            }
            Command::Disconnect { client, outbox } => {
                if self
                    .seats
                    .get(&client)
                    .is_some_and(|s| Arc::ptr_eq(&s.outbox, &outbox))
                {
                    self.seats.remove(&client);
                    self.lobby.disconnect(client);
                }
            }
            Command::Resume {
                client,
                outbox,
                welcome,
                reply,
            } => {
                let pending = PendingResume {
                    client,
                    outbox,
                    welcome,
                    reply,
                    until: self.lobby.tick() + self.quiet_ticks,
                };
                self.try_resume(pending);
            }
            Command::Close { reason, reply } => {
                let reason = reason.as_deref();
                info!(
                    lobby = self.lobby.settings().id,
                    reason, "lobby closed by the operator"
                );
                self.close_for_everyone(&with_reason(
                    "the server operator closed the lobby",
                    reason,
                ));
                self.closing = true;
                let _ = reply.send(());
            }
            Command::Kick {
                client,
                reason,
                reply,
            } => {
                let kicked = self.kick(client, reason.as_deref());
                // The others' new roster goes out now.
                self.deliver();
                let _ = reply.send(kicked);
            }
        }
    }

    /// Handles a command after the play messages queued before it, so that each
    /// connection's messages take effect in the order it sent them.
    fn command(&mut self, cmd: Command, plays: &mut mpsc::Receiver<Play>) {
        if self.closing {
            // Closed earlier in this batch: nobody joins or resumes a closing lobby.
            return refuse_closed(cmd);
        }
        self.take_plays(plays);
        self.handle(cmd);
    }

    /// Hands the queued play messages to the lobby.
    fn take_plays(&mut self, plays: &mut mpsc::Receiver<Play>) {
        let mut queued = std::mem::take(&mut self.plays);
        waiting(plays, &mut queued);
        let inputs = queued
            .iter()
            .filter(|p| matches!(p, Play::Input { .. }))
            .count();
        LobbyStats::add(&self.shared.stats.inputs, inputs as u64);
        for play in queued.drain(..) {
            match play {
                Play::Input { client, input } => {
                    if self.lobby.input(client, input) == Queued::Dropped {
                        METRICS.inputs_dropped.inc();
                    }
                }
                Play::RequestFull { client } => self.lobby.request_full(client),
            }
        }
        self.plays = queued;
    }

    /// Resumes a seat now, refuses, or (while the seat's old connection may still be alive)
    /// waits for it to go quiet, until the quiet period has passed.
    fn try_resume(&mut self, p: PendingResume) {
        match self.lobby.resume(p.client, self.quiet_ticks) {
            Resume::Resumed(id) => {
                p.outbox.send(p.welcome);
                let seat = Seat::new(p.outbox);
                if let Some(old) = self.seats.insert(p.client, seat) {
                    old.outbox.close(1000, "resumed on a newer connection");
                }
                let _ = p.reply.send(Resume::Resumed(id));
            }
            Resume::InUse if self.lobby.tick() <= p.until => self.pending_resumes.push(p),
            refused => {
                let _ = p.reply.send(refused);
            }
        }
    }

    /// Hands queued frames to outboxes; disconnects clients that are gone or stuck (whose
    /// removal queues roster updates, delivered in the next round).
    fn deliver(&mut self) {
        // Published before the frames go out, so a client that has its `Joined` finds the
        // listing counting it, and again after (stuck clients may have gone).
        self.publish_seats();
        let (mut bytes, mut dropped) = (0, 0);
        loop {
            self.pending.extend(self.lobby.drain_outbox());
            if self.pending.is_empty() {
                break;
            }
            let mut gone = Vec::new();
            for env in self.pending.drain(..) {
                let Some(seat) = self.seats.get_mut(&env.client) else {
                    continue;
                };
                bytes += env.frame.len() as u64;
                let ok = match env.delivery {
                    Delivery::Control => seat.outbox.send(env.frame),
                    Delivery::Roster => seat.outbox.send_roster(env.frame),
                    Delivery::Snapshot => {
                        seat.stale = if seat.outbox.send_snapshot(env.frame) {
                            0
                        } else {
                            dropped += 1;
                            seat.stale + 1
                        };
                        seat.stale < self.stuck_ticks && !seat.outbox.is_closed()
                    }
                };
                if !ok {
                    gone.push(env.client);
                }
            }
            for client in gone {
                if let Some(seat) = self.seats.remove(&client) {
                    info!(
                        lobby = self.lobby.settings().id,
                        client, "disconnecting a client that stopped reading"
                    );
                    seat.outbox.close(1008, "not reading fast enough");
                    self.lobby.disconnect(client);
                }
            }
        }
        self.publish_seats();
        LobbyStats::add(&self.shared.stats.bytes_out, bytes);
        LobbyStats::add(&self.shared.stats.snapshots_dropped, dropped);
    }
}

/// Answers a command to a lobby that has closed: joins and resumes are refused (the
/// connection says so to its client), the rest have nothing left to act on.
fn refuse_closed(cmd: Command) {
    match cmd {
        Command::Join { reply, .. } => {
            let _ = reply.send(Err(ErrorCode::UnknownLobby));
        }
        Command::Resume { reply, .. } => {
            let _ = reply.send(Resume::Refused);
        }
        Command::Close { reply, .. } => {
            let _ = reply.send(());
        }
        Command::Kick { reply, .. } => {
            let _ = reply.send(false);
        }
        Command::Leave { .. } | Command::Disconnect { .. } => {}
    }
}

#[cfg(test)]
mod tests;
