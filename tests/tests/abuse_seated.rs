//! Hostile players seated in the same lobby as honest ones. A seated player's socket is
//! read by its lobby at each tick, before the step (a bounded number of messages a tick),
//! so whatever it sends is work done on the thread that ticks everyone's game. Whatever the
//! attackers send, the honest players must get a snapshot for every tick the server did not
//! itself let slip, never wait long for one, and the lobby must not miss its deadlines;
//! each attacker gets the error and close code its broken rule calls for, then the server
//! hangs up.
//!
//! Each attack is a test of its own, so a failure names the attack; they take turns
//! ([`TURN`]) because `/metrics` counts for the whole process. The server runs as it does
//! by default on a two-core machine: two runtime threads serve connections and tick lobbies
//! alike (shared here with the test's own clients, which mostly wait). Attackers connect
//! from 127.0.0.2 and up; the honest players step one tick (one snapshot) at a time.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyTarget};
use tickwire_server::config::Config;
use tickwire_server::lobby::input::MAX_INPUTS_PER_TICK;
use tickwire_server::net::connection::close::{POLICY, TOO_BIG};
use tickwire_server::net::frames::MAX_FRAGMENTS;
use tickwire_tests::honest::{Honest, assert_kept_up, missed_ticks, slipped_ticks};
use tickwire_tests::hostile::{
    BINARY, CONTINUATION, FIN, PING, PONG, RawSeat, connect_from, connect_small_window, frame,
    loopback,
};
use tickwire_tests::{Client, TestServer};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Mutex, MutexGuard};

/// One test at a time: the counts in `/metrics` are the whole process's.
static TURN: Mutex<()> = Mutex::const_new(());

const TICK_RATE: u32 = 30;
const HONEST_PLAYERS: usize = 3;

/// The longest an honest player may wait for its next snapshot: 9 ticks. A lobby that
/// wakes late runs the late ticks back to back and snapshots once, so a deadline missed now
/// and then (the machine is shared) costs a gap of two or three ticks; an attacker holding
/// the lobby's thread leaves a gap as long as it holds it, and by 300 ms a game visibly
/// freezes.
const LONGEST_GAP: Duration = Duration::from_millis(300);

/// Most ticks a test plays waiting for its attack to finish.
const MOST_TICKS: u32 = 300;

/// The most bytes the server's WebSocket codec takes in one message (`net/upgrade.rs`).
const WS_READ_LIMIT: usize = 64 << 10;

const DROPPED: &str = "tickwire_snapshots_dropped_total";

/// A server, and honest players seated in a lobby on it, snapshots flowing.
struct Game {
    server: TestServer,
    honest: Honest,
    _turn: MutexGuard<'static, ()>,
}

/// What the honest players had received, and the server's counts, as an attack began.
struct Before {
    snapshots: Vec<usize>,
    missed: u32,
    slipped: u32,
}

/// What the honest players saw while they played.
struct Played {
    ticks: u32,
    longest_gap: Vec<Duration>,
}

impl Played {
    /// This, then `more`.
    fn then(self, more: Played) -> Played {
        Played {
            ticks: self.ticks + more.ticks,
            longest_gap: self
                .longest_gap
                .iter()
                .zip(&more.longest_gap)
                .map(|(a, b)| *a.max(b))
                .collect(),
        }
    }
}

impl Game {
    async fn start(args: &[&str]) -> Result<Self> {
        let turn = TURN.lock().await;
        let server = TestServer::start(args).await?;
        let honest = Honest::seat(&server, HONEST_PLAYERS, TICK_RATE).await?;
        Ok(Self {
            server,
            honest,
            _turn: turn,
        })
    }

    /// A raw player from 127.0.0.`n`, seated in the honest players' lobby by its id.
    async fn seat(&self, n: u8, what: &str) -> Result<RawSeat> {
        let stream = connect_from(loopback(n), self.server.addr).await?;
        self.seat_over(
            stream,
            &format!("{what}{n}"),
            LobbyTarget::Id(self.honest.lobby_id),
        )
        .await
    }

    async fn seat_over(
        &self,
        stream: tokio::net::TcpStream,
        name: &str,
        target: LobbyTarget,
    ) -> Result<RawSeat> {
        RawSeat::join(stream, self.server.addr, name, target).await
    }

    /// The host's view of the game.
    fn host(&self) -> &Client {
        &self.honest.clients[0]
    }

    async fn before(&self) -> Result<Before> {
        Ok(Before {
            snapshots: self
                .honest
                .clients
                .iter()
                .map(|c| c.snapshot_ticks.len())
                .collect(),
            missed: missed_ticks(&self.server).await?,
            slipped: slipped_ticks(&self.server).await?,
        })
    }

    /// Plays every honest player one tick at a time (an input each, then each one's next
    /// snapshot) for at least `ticks` ticks, and on until `done` says so after a tick.
    async fn play(&mut self, ticks: u32, mut done: impl FnMut(&Game) -> bool) -> Result<Played> {
        let n = self.honest.clients.len();
        let mut played = Played {
            ticks: 0,
            longest_gap: vec![Duration::ZERO; n],
        };
        let mut last = vec![Instant::now(); n];
        while played.ticks < ticks || !done(self) {
            ensure!(
                played.ticks < MOST_TICKS,
                "still attacked after {MOST_TICKS} ticks"
            );
            let steps = self.honest.clients.iter_mut().map(|c| async move {
                c.hold(1, 0, 1).await?;
                anyhow::Ok(Instant::now())
            });
            let arrived = futures_util::future::join_all(steps).await;
            for (i, at) in arrived.into_iter().enumerate() {
                let at = at.with_context(|| format!("honest player {i} was cut off"))?;
                played.longest_gap[i] = played.longest_gap[i].max(at - last[i]);
                last[i] = at;
            }
            played.ticks += 1;
        }
        Ok(played)
    }

    /// Fails unless every honest player got a snapshot for every tick it played that the
    /// server did not let slip itself, none waited [`LONGEST_GAP`] for one, and the lobby
    /// missed no more deadlines than a busy machine makes it miss on its own (one a second,
    /// as `assert_kept_up` allows; an attack that slows every tick misses far more).
    /// `stalled` when an attacker stops reading on purpose: its replaced snapshots are then
    /// not the server's slips.
    async fn check(&self, before: Before, played: &Played, stalled: bool) -> Result<()> {
        let missed = missed_ticks(&self.server).await? - before.missed;
        let slipped = if stalled {
            missed
        } else {
            slipped_ticks(&self.server).await? - before.slipped
        };
        println!(
            "{} ticks played: longest gaps {:?}, {missed} deadlines missed, {slipped} ticks slipped",
            played.ticks, played.longest_gap
        );
        for (i, c) in self.honest.clients.iter().enumerate() {
            let ticks = &c.snapshot_ticks[before.snapshots[i]..];
            assert_kept_up(ticks, played.ticks, slipped);
            assert!(
                played.longest_gap[i] < LONGEST_GAP,
                "honest player {i} waited {:?} for a snapshot",
                played.longest_gap[i]
            );
        }
        assert!(
            missed <= played.ticks / TICK_RATE,
            "the lobby missed {missed} deadlines in {} ticks",
            played.ticks
        );
        Ok(())
    }
}

/// The server's rate limit, frames a second, as configured by default.
fn rate_limit() -> Result<u32> {
    Ok(Config::try_parse_from(["tickwire"])?.rate_limit)
}

/// The arena's top speed, subunits a tick, from the lobby's settings for its clients.
fn max_speed(c: &Client) -> Result<i32> {
    let joined = c.joined.as_ref().context("joined")?;
    let config: serde_json::Value = serde_json::from_str(&joined.config)?;
    let speed = config["movement"]["max_speed"]
        .as_i64()
        .context("movement.max_speed in the arena's settings")?;
    Ok(i32::try_from(speed)?)
}

/// Where a player is, subunits.
type Position = (i32, i32);

/// A flood of inputs: `burst` at once (more than the lobby reads in a tick), then 16 every
/// tick (four times the rate limit) until the server closes the connection.
async fn flood(mut seat: RawSeat, burst: usize) -> Result<RawSeat> {
    let first: Vec<u8> = (0..burst).flat_map(|_| seat.next_input(127, 0)).collect();
    seat.write(&first).await?;
    loop {
        let every_tick: Vec<u8> = (0..16).flat_map(|_| seat.next_input(127, 0)).collect();
        if seat.write(&every_tick).await.is_err() || seat.tick().await.is_err() {
            return Ok(seat);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seated_input_floods_move_nobody_faster_and_are_closed() -> Result<()> {
    const FLOODERS: u8 = 8;
    let mut game = Game::start(&[]).await?;
    let max_speed = max_speed(game.host())?;
    // Within the rate limit's burst (twice the rate), less the hello and the join.
    let burst = 2 * rate_limit()? as usize - 10;
    let mut flooders = Vec::new();
    for n in 0..FLOODERS {
        flooders.push(game.seat(2 + n, "flooder").await?);
    }
    let entities: Vec<u32> = flooders.iter().map(|f| f.entity).collect();
    let before = game.before().await?;
    let attack = tokio::spawn(futures_util::future::join_all(
        flooders.into_iter().map(|f| flood(f, burst)),
    ));
    // Where the host saw each flooder, tick by tick.
    let mut seen: Vec<(u32, Vec<Option<Position>>)> = Vec::new();
    let played = game
        .play(30, |g| {
            let host = g.host();
            if let Some(w) = &host.world {
                let at = entities
                    .iter()
                    .map(|&e| host.entity(e).map(|b| (b.x, b.y)))
                    .collect();
                seen.push((w.tick, at));
            }
            attack.is_finished()
        })
        .await?;
    let flooders = attack.await?;
    game.check(before, &played, false).await?;
    for f in flooders {
        let mut f = f?;
        let code = f.closed().await?;
        assert_eq!(code, Some(POLICY), "a flood is closed: {:?}", f.errors);
        assert!(f.was_told(ErrorCode::RateLimited), "{:?}", f.errors);
    }
    // At most two inputs apply in a tick: nobody moves faster than twice top speed.
    for w in seen.windows(2) {
        let ((t0, a), (t1, b)) = (&w[0], &w[1]);
        let most = MAX_INPUTS_PER_TICK as i32 * max_speed * (t1 - t0) as i32;
        for (p, q) in a.iter().zip(b) {
            if let (Some(p), Some(q)) = (p, q) {
                let moved = (q.0 - p.0).abs().max((q.1 - p.1).abs());
                assert!(
                    moved <= most,
                    "a flooder moved {moved} in {} ticks",
                    t1 - t0
                );
            }
        }
    }
    Ok(())
}

/// A binary message of `len` bytes that starts like an input (so the lobby, not the
/// connection's task, is the one to take it), in one frame.
fn input_like(len: usize) -> Vec<u8> {
    let mut payload = vec![0u8; len];
    payload[0] = 6;
    frame(FIN | BINARY, &payload)
}

/// Sends `bytes` a few at a time, one piece a tick (at each of its own snapshots), for up
/// to `ticks` ticks; returns what is left.
async fn dribble<'a>(
    seat: &mut RawSeat,
    bytes: &'a [u8],
    per_tick: usize,
    ticks: usize,
) -> Result<&'a [u8]> {
    let mut left = bytes;
    for _ in 0..ticks {
        let (piece, rest) = left.split_at(per_tick.min(left.len()));
        seat.write(piece).await?;
        left = rest;
        seat.tick().await?;
    }
    Ok(left)
}

/// Reads on until the server reports input `seq` applied.
async fn applied(seat: &mut RawSeat, seq: u32) -> Result<()> {
    while seat.snapshots.last().is_none_or(|s| s.1 < seq) {
        seat.tick().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seated_messages_at_over_and_trickling_to_the_size_limit_are_closed() -> Result<()> {
    let mut game = Game::start(&[]).await?;
    let (mut at, mut over) = (game.seat(2, "at").await?, game.seat(3, "over").await?);
    let mut trickle = game.seat(4, "trickle").await?;
    let mut slow = game.seat(5, "slow").await?;
    let before = game.before().await?;
    let attack = tokio::spawn(async move {
        // The largest message the codec takes (far over the protocol's limit), and one
        // byte more than it takes.
        at.write(&input_like(WS_READ_LIMIT)).await?;
        over.write(&input_like(WS_READ_LIMIT + 1)).await?;
        // The largest message 24 bytes a tick, so the lobby finds a partial frame (its
        // header, then its payload) at every tick for two seconds; then the rest at once.
        let big = input_like(WS_READ_LIMIT);
        let trickled = async {
            let rest = dribble(&mut trickle, &big, 24, 60).await?;
            trickle.write(rest).await
        };
        // An input one byte a tick: the lobby takes it once its last byte is in.
        let one = slow.next_input(127, 0);
        let seq = slow.last_seq();
        let slowly = async {
            dribble(&mut slow, &one, 1, one.len()).await?;
            applied(&mut slow, seq).await?;
            slow.tick().await
        };
        let (trickled, slowly) = tokio::join!(trickled, slowly);
        trickled.context("trickling")?;
        slowly.context("a whole input a byte a tick")?;
        anyhow::Ok([("at", at), ("over", over), ("trickled to", trickle)])
    });
    let played = game.play(60, |_| attack.is_finished()).await?;
    let closed = attack.await??;
    game.check(before, &played, false).await?;
    for (what, mut seat) in closed {
        let code = seat.closed().await.context(what)?;
        assert_eq!(code, Some(TOO_BIG), "{what} the limit: {:?}", seat.errors);
        assert!(
            seat.was_told(ErrorCode::TooLarge),
            "{what}: {:?}",
            seat.errors
        );
    }
    Ok(())
}

/// `message` split into `n` frames (a binary one, then continuations, the last with FIN).
fn fragments(message: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut chunks: Vec<&[u8]> = message.chunks(message.len().div_ceil(n)).collect();
    chunks.resize(n, &[]);
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let opcode = if i == 0 { BINARY } else { CONTINUATION };
            let fin = if i + 1 == n { FIN } else { 0 };
            frame(fin | opcode, chunk)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seated_messages_in_the_most_fragments_allowed_play_and_one_more_is_closed() -> Result<()> {
    let most_allowed = MAX_FRAGMENTS as usize;
    let mut game = Game::start(&[]).await?;
    // This one comes in by the lobby's code.
    let code = game.host().joined.as_ref().context("joined")?.code.clone();
    let stream = connect_from(loopback(2), game.server.addr).await?;
    let mut most = game
        .seat_over(stream, "most", LobbyTarget::Code(code))
        .await?;
    let mut more = game.seat(3, "more").await?;
    let before = game.before().await?;
    let attack = tokio::spawn(async move {
        // An input in the most frames allowed, one a tick, with a ping between two: the
        // lobby holds a partial message for 16 ticks, and answers the ping meanwhile.
        let message = most.next_input_message(127, 0);
        let seq = most.last_seq();
        for (i, piece) in fragments(&message, most_allowed).iter().enumerate() {
            most.write(piece).await?;
            if i == most_allowed / 2 {
                most.write(&frame(FIN | PING, b"between")).await?;
            }
            most.tick().await?;
        }
        applied(&mut most, seq).await?;
        ensure!(
            most.pongs.iter().any(|p| p == b"between"),
            "the ping between fragments is answered"
        );
        // Again, every fragment in one write.
        let message = most.next_input_message(127, 0);
        let seq = most.last_seq();
        most.write(&fragments(&message, most_allowed).concat())
            .await?;
        applied(&mut most, seq).await?;
        // One fragment more than allowed.
        let message = more.next_input_message(127, 0);
        more.write(&fragments(&message, most_allowed + 1).concat())
            .await?;
        let code = more.closed().await?;
        // The one that played by the rules is still seated.
        most.tick().await?;
        anyhow::Ok((code, more))
    });
    let played = game.play(30, |_| attack.is_finished()).await?;
    let (code, more) = attack.await??;
    game.check(before, &played, false).await?;
    assert_eq!(code, Some(TOO_BIG), "too many fragments: {:?}", more.errors);
    assert!(more.was_told(ErrorCode::TooLarge), "{:?}", more.errors);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seated_pings_and_pongs_at_the_rate_limit_are_answered_and_past_it_closed() -> Result<()> {
    let rate = rate_limit()?;
    let mut game = Game::start(&[]).await?;
    // A small receive window: what the server sends while the pinger is not reading waits
    // on the server's side.
    let stream = connect_small_window(loopback(2), game.server.addr, 4096).await?;
    let target = LobbyTarget::Id(game.honest.lobby_id);
    let mut pinger = game.seat_over(stream, "pinger", target).await?;
    let pinger_id = pinger.client_id;
    let before = game.before().await?;
    let (away, shown_away) = tokio::sync::oneshot::channel::<()>();
    let attack = tokio::spawn(async move {
        // An unsolicited pong and pings every tick for two seconds, as many frames as the
        // rate limit allows (four a tick): every ping is answered, and that is all.
        let mut sent = Vec::new();
        for t in 0..2 * TICK_RATE {
            let mut frames = frame(FIN | PONG, b"unasked");
            for i in 1..rate / TICK_RATE {
                let payload = (t * 4 + i).to_be_bytes();
                frames.extend(frame(FIN | PING, &payload));
                sent.push(payload.to_vec());
            }
            pinger.write(&frames).await?;
            pinger.tick().await?;
        }
        // The last pings are read, and answered, by the next tick.
        pinger.tick().await?;
        let answered = pinger.pongs.clone();
        // Then far past the limit (its burst and its patience), and the pinger reads again
        // only once the others see it gone, as a busy page would: it is still told why.
        let flood: Vec<u8> = (0..10 * rate)
            .flat_map(|_| frame(FIN | PING, &[7; 30]))
            .collect();
        pinger.write(&flood).await?;
        shown_away.await?;
        let code = pinger.closed().await?;
        anyhow::Ok((sent, answered, code, pinger))
    });
    let until_away = game
        .play(2 * TICK_RATE, |g| {
            connected(g.host(), pinger_id) == Some(false)
        })
        .await?;
    let _ = away.send(());
    let played = until_away.then(game.play(1, |_| attack.is_finished()).await?);
    let (sent, answered, code, pinger) = attack.await??;
    game.check(before, &played, false).await?;
    assert_eq!(answered, sent, "every ping is answered, in order");
    assert_eq!(
        code,
        Some(POLICY),
        "a ping flood is closed: {:?}",
        pinger.errors
    );
    assert!(
        pinger.was_told(ErrorCode::RateLimited),
        "{:?}",
        pinger.errors
    );
    Ok(())
}

/// Whether the roster `c` holds shows `client` as connected.
fn connected(c: &Client, client: u32) -> Option<bool> {
    c.roster
        .iter()
        .find(|p| p.client_id == client)
        .map(|p| p.connected)
}

/// Maps whose arena holds 10,000 orbs on 4000 by 4000 units: a full snapshot is about
/// 110 KB, so a client that stops reading fills the socket's buffers (megabytes on
/// loopback, where a slow link holds far less) within about a second.
fn crowded_maps() -> Result<PathBuf> {
    let maps = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/maps");
    let dir = std::env::temp_dir().join(format!("tickwire-crowded-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for name in ["outpost.json", "yard.json"] {
        std::fs::copy(format!("{maps}/{name}"), dir.join(name))?;
    }
    let mut arena: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{maps}/arena.json"))?)?;
    arena["width"] = 4000.into();
    arena["height"] = 4000.into();
    arena["rules"]["orbs"] = 10_000.into();
    std::fs::write(dir.join("arena.json"), arena.to_string())?;
    Ok(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seated_player_that_never_reads_is_disconnected_and_moves_no_more() -> Result<()> {
    let dir = crowded_maps()?;
    let maps = dir.to_str().context("a temporary directory")?;
    let mut game = Game::start(&["--stuck-client-timeout", "1", "--maps-dir", maps]).await?;
    let stream = connect_small_window(loopback(2), game.server.addr, 4096).await?;
    let target = LobbyTarget::Id(game.honest.lobby_id);
    let mut frozen = game.seat_over(stream, "frozen", target).await?;
    let (client, entity) = (frozen.client_id, frozen.entity);
    let dropped_before = game.server.metric(DROPPED).await?;
    let before = game.before().await?;
    // An input and a request for a full snapshot every tick, and nothing read.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let sender = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1) / TICK_RATE);
        let mut right = true;
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = every.tick() => {}
            }
            // Back and forth, so that every input applied shows, walls or not.
            right = !right;
            let mut frames = frozen.next_input(if right { 127 } else { -127 }, 0);
            frames.extend(frame(FIN | BINARY, &encode(&ClientMsg::RequestFull)));
            frozen.write(&frames).await?;
        }
        anyhow::Ok(frozen)
    });
    let until_away = game
        .play(1, |g| connected(g.host(), client) == Some(false))
        .await?;
    let dropped = game.server.metric(DROPPED).await? - dropped_before;
    println!(
        "shown away after {} ticks, {dropped} snapshots replaced",
        until_away.ticks
    );
    // Shown as away, it moves no more, whatever its connection still sends.
    let away = game
        .host()
        .entity(entity)
        .context("its player stays while away")?;
    let played = until_away.then(game.play(15, |_| true).await?);
    let now = game.host().entity(entity);
    game.check(before, &played, true).await?;
    assert!(
        dropped >= f64::from(TICK_RATE),
        "its snapshots were replaced for a second first: {dropped}"
    );
    assert_eq!(now, Some(away), "a player shown as away moved");
    let _ = stop.send(());
    let mut frozen = sender.await??;
    // Reading at last, it finds why it was let go after what was queued.
    assert_eq!(frozen.closed().await?, Some(POLICY), "{:?}", frozen.errors);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seated_connection_cut_mid_frame_harms_nobody_and_its_seat_resumes() -> Result<()> {
    let mut game = Game::start(&[]).await?;
    let mut half = game.seat(2, "half").await?;
    let mut reset = game.seat(3, "reset").await?;
    let (half_id, reset_id) = (half.client_id, reset.client_id);
    let before = game.before().await?;
    // Half an input frame each, read by the lobby; then one half-closes its side of the
    // connection and the other resets it.
    let one = half.next_input(127, 0);
    half.write(&one[..one.len() / 2]).await?;
    let one = reset.next_input(127, 0);
    reset.write(&one[..one.len() / 2]).await?;
    for _ in 0..2 {
        half.tick().await?;
        reset.tick().await?;
    }
    half.writes.shutdown().await?;
    reset.writes.as_ref().set_zero_linger()?;
    drop(reset);
    let played = game
        .play(1, |g| {
            connected(g.host(), half_id) == Some(false)
                && connected(g.host(), reset_id) == Some(false)
        })
        .await?;
    assert!(
        played.ticks <= TICK_RATE,
        "both were shown away within a second of ticks: {}",
        played.ticks
    );
    // The half-closed one still reads: it is told its frame was cut off, then hung up on.
    half.closed().await?;
    assert!(half.was_told(ErrorCode::Malformed), "{:?}", half.errors);
    // Its seat is held: a new connection takes it back.
    let stream = connect_from(loopback(2), game.server.addr).await?;
    let mut back = Client::connect_over(stream, &game.server.ws_url()).await?;
    back.hello_resume("half", half.token).await?;
    assert_eq!(
        back.expect_joined().await?.entity,
        half.entity,
        "same entity"
    );
    let played = played.then(game.play(30, |_| true).await?);
    back.hold(127, 0, 3).await?;
    game.check(before, &played, false).await?;
    Ok(())
}
