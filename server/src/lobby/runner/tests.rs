//! The runner in process: a stalled reader, a panicking lobby, a join behind a close, the
//! operator's kick and close, and the lobby's counts reaching `/metrics`.

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
