//! Runs one [`Lobby`] on the wall clock: a tokio task that takes commands from connections,
//! steps the lobby on its fixed tick (catching up a bounded number of late ticks), and
//! hands each frame to its client's outbox. A slow client never blocks the tick.
//!
//! Two queues lead into a lobby. Commands (join, leave, resume...) wake it at once. Play
//! messages (inputs, full-snapshot requests) arrive at every player's send rate and only
//! matter at the next step, so they wait in their own queue, taken just before the step (or
//! before a command, to keep each connection's order) without waking the lobby for each.
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
                    // Everything that arrived before the deadline counts for this tick: inputs
                    // waiting in the queue are applied now, not a tick later.
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
                    if !self.run_steps(plan.steps) {
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

    /// Steps and snapshots; false if the simulation panicked (the lobby is then closed
    /// for its players, and the process goes on).
    fn run_steps(&mut self, steps: u32) -> bool {
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
            let tick = start.elapsed();
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
                    self.seats.insert(client, Seat { outbox, stale: 0 });
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
                let seat = Seat {
                    outbox: p.outbox,
                    stale: 0,
                };
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
mod tests {
    use std::time::Duration;

    use bevy_ecs::prelude::Local;
    use tickwire_protocol::decode_server;

    use super::*;
    use crate::games::arena::Arena;
    use crate::maps::MapCatalog;
    use crate::outbox::{Outbox, OutboxReader, Outgoing};

    fn lobby() -> Lobby {
        let map = MapCatalog::embedded()
            .expect("maps")
            .get("arena")
            .expect("arena");
        Lobby::new(crate::testing::settings(Arc::new(Arena), map, 8)).expect("lobby")
    }

    fn start(lobby: Lobby, stuck_after: Duration) -> (mpsc::Sender<Command>, Arc<LobbyShared>) {
        let shared = Arc::new(LobbyShared::default());
        let limits = RunnerLimits {
            empty_grace: Duration::from_secs(600),
            stuck_after,
        };
        let (tx, _plays, inbox) = super::inbox();
        tokio::spawn(Runner::new(lobby, shared.clone(), limits).run(inbox, || {}));
        (tx, shared)
    }

    async fn join(tx: &mpsc::Sender<Command>, client: ClientId) -> (Arc<Outbox>, OutboxReader) {
        let (outbox, reader) = Outbox::new();
        let (reply, answer) = oneshot::channel();
        let cmd = Command::Join {
            client,
            name: format!("c{client}"),
            outbox: outbox.clone(),
            reply,
        };
        tx.send(cmd).await.expect("lobby running");
        answer.await.expect("reply").expect("joined");
        (outbox, reader)
    }

    async fn next_msg(outbox: &Outbox, reader: &mut OutboxReader) -> ServerMsg {
        match reader.next(outbox).await {
            Some(Outgoing::Frame(f)) => decode_server(&f).expect("decodes"),
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// The lobby core counts clamped shot claims; the runner adds them to `/metrics`.
    #[tokio::test(start_paused = true)]
    async fn lag_compensation_clamped_claims_reach_the_metrics() {
        use crate::games::shooter::{Shooter, ShooterInput};
        use tickwire_protocol::schema::GameInput;
        let map = MapCatalog::embedded()
            .expect("maps")
            .get("outpost")
            .expect("outpost");
        let lobby = Lobby::new(crate::testing::settings(Arc::new(Shooter), map, 8)).expect("lobby");
        let limits = RunnerLimits {
            empty_grace: Duration::from_secs(600),
            stuck_after: Duration::from_secs(5),
        };
        let (tx, plays, inbox) = super::inbox();
        tokio::spawn(Runner::new(lobby, Arc::default(), limits).run(inbox, || {}));
        let (outbox, mut reader) = join(&tx, 1).await;
        let before = METRICS.rewind_clamped.get();
        // A shot claiming a moment the server has not simulated yet.
        let shot = ShooterInput {
            aim_x: 100,
            fire: 1,
            seen_tick: 1_000_000,
            ..ShooterInput::default()
        };
        let input = tickwire_protocol::Input {
            seq: 1,
            client_tick: 1,
            ack: 0,
            values: tickwire_protocol::InputValues::new(&shot.to_values()),
        };
        plays
            .send(Play::Input { client: 1, input })
            .await
            .expect("lobby running");
        let mut snapshots = 0;
        while snapshots < 3 {
            if matches!(next_msg(&outbox, &mut reader).await, ServerMsg::Snapshot(_)) {
                snapshots += 1;
            }
        }
        assert!(
            METRICS.rewind_clamped.get() > before,
            "the clamped claim is in /metrics"
        );
    }

    /// Paused clock: time only moves when every task waits, so no machine load can make a
    /// reader late. A client that never reads is dropped; the reading one gets every tick.
    #[tokio::test(start_paused = true)]
    async fn a_stalled_reader_never_delays_the_others() {
        let (tx, _shared) = start(lobby(), Duration::from_millis(500));
        let (a_out, mut a_reader) = join(&tx, 1).await;
        let (_b_out, _b_reader_never_read) = join(&tx, 2).await;
        let (mut ticks, mut players) = (Vec::new(), 0);
        while ticks.len() < 60 {
            match next_msg(&a_out, &mut a_reader).await {
                ServerMsg::Snapshot(s) => ticks.push(s.body.tick),
                ServerMsg::Roster { players: p, .. } => players = p.len(),
                _ => {}
            }
        }
        assert!(
            ticks.windows(2).all(|w| w[1] == w[0] + 1),
            "one snapshot per tick: {ticks:?}"
        );
        assert_eq!(players, 1, "the stalled client was dropped from the lobby");
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_lobby_closes_alone() {
        let mut broken = lobby();
        broken.schedule_mut().add_systems(|mut ticks: Local<u32>| {
            *ticks += 1;
            assert!(*ticks < 5, "a game system failed");
        });
        let (broken_tx, broken_shared) = start(broken, Duration::from_secs(5));
        let (healthy_tx, healthy_shared) = start(lobby(), Duration::from_secs(5));
        let (out, mut reader) = join(&broken_tx, 1).await;
        let (_healthy_out, _healthy_reader) = join(&healthy_tx, 2).await;
        let closed = loop {
            if let ServerMsg::Error { code, .. } = next_msg(&out, &mut reader).await {
                break code;
            }
        };
        assert_eq!(closed, ErrorCode::LobbyClosed);
        assert!(broken_shared.closed.load(Ordering::Relaxed));
        let before = healthy_shared.tick.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            healthy_shared.tick.load(Ordering::Relaxed) >= before + 29,
            "the other lobby kept ticking"
        );
        assert!(!healthy_shared.closed.load(Ordering::Relaxed));
    }

    /// The operator's two actions, and the figures the dashboard reads meanwhile.
    /// A join that reaches the lobby in the same tick's batch as an operator's close, after
    /// it, is refused: the joiner is never left waiting for a `Joined` that will not come.
    #[tokio::test]
    async fn a_join_queued_behind_a_close_is_refused() {
        let limits = RunnerLimits {
            empty_grace: Duration::from_secs(600),
            stuck_after: Duration::from_secs(5),
        };
        let mut runner = Runner::new(lobby(), Arc::new(LobbyShared::default()), limits);
        let (_tx, _plays_tx, mut inbox) = super::inbox();
        let (close, closed) = oneshot::channel();
        let (reply, joined) = oneshot::channel();
        // One tick's batch: the close, then a join.
        let close = Command::Close {
            reason: None,
            reply: close,
        };
        let join = Command::Join {
            client: 7,
            name: "late".into(),
            outbox: Outbox::new().0,
            reply,
        };
        for cmd in [close, join] {
            runner.command(cmd, &mut inbox.plays);
        }
        closed.await.expect("closed");
        assert_eq!(
            joined.await.expect("answered"),
            Err(ErrorCode::UnknownLobby)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_operator_kicks_a_player_then_closes_the_lobby() {
        let (tx, shared) = start(lobby(), Duration::from_secs(5));
        let (a_out, mut a_reader) = join(&tx, 1).await;
        let (b_out, mut b_reader) = join(&tx, 2).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let stats = &shared.stats;
        let seats: Vec<u32> = stats.roster().iter().map(|s| s.client).collect();
        assert_eq!(seats, [1, 2], "the roster is published in seat order");
        assert!(stats.tick.take().count >= 29, "every tick is timed");
        assert!(LobbyStats::read(&stats.bytes_out) > 0);

        let (reply, kicked) = oneshot::channel();
        let reason = Some("spamming".to_owned());
        tx.send(Command::Kick {
            client: 2,
            reason,
            reply,
        })
        .await
        .expect("running");
        assert!(kicked.await.expect("answer"));
        let told = loop {
            if let ServerMsg::Error { code, message } = next_msg(&b_out, &mut b_reader).await {
                break (code, message);
            }
        };
        assert_eq!(told.0, ErrorCode::LobbyClosed);
        assert!(
            told.1.ends_with("removed you from the lobby: spamming"),
            "{}",
            told.1
        );
        assert_eq!(
            b_out.take_removal(),
            Some(1),
            "its connection learns it left"
        );
        loop {
            if let ServerMsg::Roster { players, .. } = next_msg(&a_out, &mut a_reader).await
                && players.len() == 1
            {
                break;
            }
        }
        let (reply, again) = oneshot::channel();
        tx.send(Command::Kick {
            client: 2,
            reason: None,
            reply,
        })
        .await
        .expect("running");
        assert!(!again.await.expect("answer"), "no such player any more");

        let (reply, closed) = oneshot::channel();
        tx.send(Command::Close {
            reason: None,
            reply,
        })
        .await
        .expect("running");
        closed.await.expect("answer");
        let told = loop {
            if let ServerMsg::Error { code, message } = next_msg(&a_out, &mut a_reader).await {
                break (code, message);
            }
        };
        assert_eq!(
            told,
            (
                ErrorCode::LobbyClosed,
                "the server operator closed the lobby".into()
            )
        );
        assert!(shared.closed.load(Ordering::Relaxed));
    }
}
