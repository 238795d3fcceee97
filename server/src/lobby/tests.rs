//! Lobby core tests: stepped tick by tick, no sockets, no sleeps, no wall clock, through
//! the in-process [`Stepper`] (the real encode and decode paths). The engine knows no game;
//! these tests run it with the orb arena, as any game would.

use std::sync::Arc;

use tickwire_protocol::Input;
use tickwire_protocol::messages::{ErrorCode, ServerMsg};

use super::clock::TickClock;
use super::input::{BACKLOG_DRAIN_TICKS, INPUT_LOAN_TICKS, MAX_INPUTS_PER_TICK};
use bevy_ecs::prelude::*;

use super::*;
use crate::games::arena::{Arena, Orb, Score};
use crate::kit::mover::Body;
use crate::maps::{GameMap, MapCatalog};
use crate::testing::Stepper;

fn arena() -> Arc<GameMap> {
    MapCatalog::embedded()
        .expect("maps")
        .get("arena")
        .expect("arena")
}

fn map_json(orbs: u32) -> String {
    format!(
        r#"{{"name":"box","game":"arena","width":400,"height":300,"walls":[[200,0,220,300]],"spawns":[[100,150],[300,150]],"rules":{{"orbs":{orbs},"orb_radius":8,"player":{{"speed":300,"accel":3000,"half_size":16}}}}}}"#
    )
}

type Harness = Stepper;

fn lobby_with(map: Arc<GameMap>, max_players: u8) -> Harness {
    Stepper::new(Arc::new(Arena), map, max_players)
}

const HALF_SIZE: i32 = 16 * 16;

#[test]
fn two_players_see_each_other_move_and_walls_stop_them() {
    let map = Arc::new(GameMap::parse(&map_json(0)).expect("map"));
    let mut h = lobby_with(map.clone(), 4);
    let a = h.join(1).expect("a joins");
    let _b = h.join(2).expect("b joins");
    h.tick();
    let start = h.get::<Body>(2, a).expect("b sees a");
    for _ in 0..60 {
        h.input(1, &[127, 0]);
        h.input(2, &[0, 0]);
        h.tick();
    }
    let seen = h.get::<Body>(2, a).expect("b sees a");
    assert!(seen.x > start.x, "a moved right");
    assert_eq!(seen.x, 200 * 16 - HALF_SIZE, "the wall at x=200 stops a");
    assert_eq!(seen.vx, 0);
    assert_eq!(h.views[&1].last_seq, 60, "every input applied once");
    assert_eq!(
        h.get::<Body>(1, a),
        h.get::<Body>(2, a),
        "both clients rebuild the same state"
    );
}

/// Walks `client`'s player onto the first orb until it scores; returns that orb as it was.
fn collect_an_orb(h: &mut Harness, client: ClientId, me: NetId) -> (NetId, Body) {
    let orb_id = h.views[&client].with::<Orb>()[0];
    let orb = h.get::<Body>(client, orb_id).expect("an orb");
    for _ in 0..300 {
        let (Some(p), Some(score)) = (h.get::<Body>(client, me), h.get::<Score>(client, me)) else {
            break;
        };
        if score.points > 0 {
            break;
        }
        let d = orb.pos() - p.pos();
        h.input(client, &[d.x.signum() * 127, d.y.signum() * 127]);
        h.tick();
    }
    (orb_id, orb)
}

#[test]
fn touching_an_orb_scores_and_moves_it() {
    // One orb on a small map; walk the player onto it.
    let map = Arc::new(GameMap::parse(&map_json(1)).expect("map"));
    let mut h = lobby_with(map, 2);
    let me = h.join(1).expect("join");
    h.tick();
    let (orb_id, orb) = collect_an_orb(&mut h, 1, me);
    assert_eq!(
        h.get::<Score>(1, me).expect("me").points,
        1,
        "one point for the orb"
    );
    assert_ne!(
        h.get::<Body>(1, orb_id).expect("orb").pos(),
        orb.pos(),
        "the orb moved elsewhere"
    );
}

#[test]
fn full_lobby_refuses_and_host_passes_on() {
    let mut h = lobby_with(arena(), 2);
    h.join(10).expect("host");
    h.join(11).expect("second");
    assert_eq!(h.join(12), Err(ErrorCode::LobbyFull));
    assert_eq!(h.lobby.host(), Some(10));
    assert!(h.lobby.leave(10, true));
    h.pump();
    assert_eq!(h.lobby.host(), Some(11));
    let roster = h.views[&11].msgs.iter().rev().find_map(|m| match m {
        ServerMsg::Roster { host, players } => Some((*host, players.len())),
        _ => None,
    });
    assert_eq!(
        roster,
        Some((11, 1)),
        "the remaining player is told it is host"
    );
    assert!(matches!(h.views[&10].msgs.last(), Some(ServerMsg::Left)));
    assert_eq!(h.join(12).map(|_| ()), Ok(()), "the freed seat is taken");
}

#[test]
fn a_leaving_players_entity_disappears_for_others() {
    let mut h = lobby_with(arena(), 8);
    let a = h.join(1).expect("a");
    h.join(2).expect("b");
    h.tick();
    assert!(h.get::<Body>(2, a).is_some());
    h.lobby.leave(1, false);
    h.input(2, &[0, 0]);
    h.tick();
    h.input(2, &[0, 0]);
    h.tick();
    assert!(h.get::<Body>(2, a).is_none(), "despawned for the others");
}

#[test]
fn a_late_tick_catches_up() {
    let mut h = lobby_with(arena(), 8);
    let me = h.join(1).expect("join");
    let mut clock = TickClock::new(30);
    let period = clock.period();
    // The client sent one input per period while the runner was asleep.
    for _ in 0..3 {
        h.input(1, &[127, 0]);
    }
    // The runner woke three periods late: three steps run back to back, one snapshot.
    let plan = clock.due(period * 3);
    assert_eq!((plan.steps, plan.missed), (3, 2));
    for _ in 0..plan.steps {
        h.lobby.step();
    }
    h.lobby.send_snapshots(|_| true);
    h.pump();
    assert_eq!(h.lobby.tick(), 3);
    let snapshots = h.views[&1]
        .msgs
        .iter()
        .filter(|m| matches!(m, ServerMsg::Snapshot(_)))
        .count();
    assert_eq!(snapshots, 1);
    assert_eq!(
        h.views[&1].last_seq, 3,
        "one input per step: all three applied"
    );
    assert!(h.get::<Body>(1, me).expect("me").x > arena().spawns[0].x);
}

#[test]
fn late_inputs_catch_up_but_a_flood_moves_no_faster() {
    let mut h = lobby_with(arena(), 8);
    h.join(1).expect("join");
    h.tick();
    // Jitter: nothing arrives for a tick, then two at once: both applied in that tick.
    h.tick();
    h.input(1, &[127, 0]);
    h.input(1, &[127, 0]);
    h.tick();
    assert_eq!(
        h.views[&1].last_seq, 2,
        "the late input did not stay a tick behind"
    );
    // A flood of 16 in one go (and more every tick) is applied at one per tick once the
    // saved-up credit is spent.
    for _ in 0..16 {
        h.input(1, &[127, 0]);
    }
    h.tick();
    let after_burst = h.views[&1].last_seq;
    assert!(
        after_burst <= 2 + MAX_INPUTS_PER_TICK,
        "a burst is capped per tick: {after_burst}"
    );
    for _ in 0..10 {
        h.input(1, &[127, 0]);
        h.input(1, &[127, 0]);
        h.tick();
    }
    assert_eq!(
        h.views[&1].last_seq,
        after_burst + 10,
        "sustained: one input per tick"
    );
}

/// Runs one player sending an input a tick for 10 ticks, then `stall(h, inputs)` (which
/// queues `inputs` at once, as a stalled connection or lobby lets them through), then one
/// input a tick again; checks that it is caught up as fast as the per-tick cap allows and
/// stays so.
fn caught_up_after_a_stall(stalled: u32, stall: impl FnOnce(&mut Harness, u32)) {
    let mut h = lobby_with(arena(), 8);
    h.join(1).expect("join");
    let mut sent = 0;
    for _ in 0..10 {
        h.input(1, &[127, 0]);
        sent += 1;
        h.tick();
    }
    assert_eq!(h.views[&1].last_seq, sent, "steady before the stall");
    stall(&mut h, stalled);
    sent += stalled;
    let behind: Vec<u32> = (0..60)
        .map(|_| {
            h.input(1, &[127, 0]);
            sent += 1;
            h.tick();
            sent - h.views[&1].last_seq
        })
        .collect();
    // One input a tick goes on arriving: the backlog shrinks by the extra inputs a tick may
    // apply.
    let ticks = stalled.div_ceil(MAX_INPUTS_PER_TICK - 1) as usize;
    assert!(
        behind[ticks..].iter().all(|&b| b == 0),
        "caught up within {ticks} ticks and stayed so: {behind:?}"
    );
}

#[test]
fn inputs_held_up_by_a_stalled_connection_are_caught_up() {
    // Half a second of nothing from the client, then everything it sent meanwhile at once.
    caught_up_after_a_stall(15, |h, n| {
        for _ in 0..n {
            h.tick();
        }
        for _ in 0..n {
            h.input(1, &[127, 0]);
        }
    });
}

#[test]
fn inputs_sent_while_the_lobby_stalled_are_caught_up() {
    // The lobby's clock skipped 12 ticks (a stall longer than it catches up); the client
    // went on sending one input a tick.
    caught_up_after_a_stall(12, |h, n| {
        for _ in 0..n {
            h.input(1, &[127, 0]);
        }
        h.lobby.skip_ticks(n);
    });
}

#[test]
fn inputs_that_came_early_stop_waiting_an_extra_tick() {
    let mut h = lobby_with(arena(), 8);
    h.join(1).expect("join");
    h.tick();
    // Inputs came early (three in one tick, a hitch), then one per tick: the credit saved
    // while idle takes two, and one stays queued.
    h.input(1, &[127, 0]);
    h.input(1, &[127, 0]);
    let mut sent = 2;
    let mut behind = Vec::new();
    for _ in 0..(2 * BACKLOG_DRAIN_TICKS) {
        h.input(1, &[127, 0]);
        sent += 1;
        h.tick();
        behind.push(sent - h.views[&1].last_seq);
    }
    assert_eq!(behind[0], 1, "credit alone leaves the early input queued");
    assert!(
        behind[BACKLOG_DRAIN_TICKS as usize..]
            .iter()
            .all(|&b| b == 0),
        "the backlog drained within {BACKLOG_DRAIN_TICKS} ticks and stayed drained: {behind:?}"
    );
    // A second hitch while the loan is still owed (no idle tick has paid it back) drains
    // once the loan is written off.
    h.input(1, &[127, 0]);
    sent += 1;
    for _ in 0..(INPUT_LOAN_TICKS + 2 * BACKLOG_DRAIN_TICKS) {
        h.input(1, &[127, 0]);
        sent += 1;
        h.tick();
    }
    assert_eq!(
        sent - h.views[&1].last_seq,
        0,
        "the second hitch drained too"
    );
}

#[test]
fn sending_a_little_faster_than_the_tick_moves_no_faster() {
    // One player sends an input a tick, another one extra input every 30 ticks as well.
    // The backlog drain lends the second one input, once per INPUT_LOAN_TICKS: it stays
    // within one input of the first over that time.
    let applied = |extra_every: Option<u32>| {
        let mut h = lobby_with(arena(), 8);
        h.join(1).expect("join");
        for t in 1..INPUT_LOAN_TICKS {
            h.input(1, &[127, 40]);
            if extra_every.is_some_and(|n| t % n == 0) {
                h.input(1, &[127, 40]);
            }
            h.tick();
        }
        // No input was dropped (the queue never filled), so seqs count applied inputs.
        h.views[&1].last_seq
    };
    let (steady, faster) = (applied(None), applied(Some(30)));
    assert!(
        faster <= steady + 1,
        "sending faster gained {} inputs over {steady}",
        faster - steady
    );
}

#[test]
fn clients_with_one_baseline_share_one_encoded_body() {
    let mut h = lobby_with(arena(), 16);
    for c in 1..=6 {
        h.join(c).expect("join");
    }
    h.tick(); // everyone gets a full snapshot: one body
    assert_eq!(h.lobby.bodies_encoded(), 1);
    for c in 1..=6 {
        h.input(c, &[50, -20]);
    }
    h.tick(); // everyone acked the same tick: one delta body
    assert_eq!(h.lobby.bodies_encoded(), 1);
    for c in 1..=3 {
        h.input(c, &[0, 0]);
    }
    h.tick(); // half acked the newest tick, half still the older one: two bodies
    assert_eq!(h.lobby.bodies_encoded(), 2);
    for (c, v) in &h.views {
        assert_eq!(
            v.latest.as_ref().map(|w| w.tick),
            Some(3),
            "client {c} is current"
        );
    }
}

#[test]
fn bad_acks_are_never_trusted() {
    let mut h = lobby_with(arena(), 4);
    h.join(1).expect("join");
    h.tick();
    let Some(ServerMsg::Snapshot(first)) = h.views[&1].msgs.last().cloned() else {
        panic!("a snapshot first");
    };
    assert_eq!(first.body.baseline, None, "the first snapshot is full");
    // An ack from the future is ignored: the next snapshot builds on the full one sent.
    h.lobby.input(
        1,
        Input {
            seq: 1,
            ack: 9999,
            ..Default::default()
        },
    );
    h.tick();
    let last = h.views[&1].msgs.last().cloned();
    assert!(
        matches!(last, Some(ServerMsg::Snapshot(s)) if s.body.baseline == Some(first.body.tick))
    );
}

#[test]
fn a_disconnected_player_keeps_its_seat_until_the_grace_ends() {
    // Grace is 30 ticks in these settings.
    let map = Arc::new(GameMap::parse(&map_json(1)).expect("map"));
    let mut h = lobby_with(map, 2);
    let me = h.join(1).expect("join");
    h.join(2).expect("other");
    h.tick();
    collect_an_orb(&mut h, 1, me);
    let before = h.get::<Body>(2, me).expect("seen");
    assert_eq!(h.get::<Score>(2, me).expect("seen").points, 1);
    h.lobby.disconnect(1);
    assert_eq!(h.join(3), Err(ErrorCode::LobbyFull), "the seat is held");
    for _ in 0..10 {
        h.tick();
    }
    let held = h.get::<Body>(2, me).expect("still there");
    let held_score = h.get::<Score>(2, me).expect("still there").points;
    assert_eq!(held.pos(), before.pos(), "idle while away");
    // (An orb may respawn onto the idle player: the score never goes down.)
    assert!(held_score >= 1, "score kept");
    let roster = h.views[&2].msgs.iter().rev().find_map(|m| match m {
        ServerMsg::Roster { players, .. } => players
            .iter()
            .find(|p| p.client_id == 1)
            .map(|p| p.connected),
        _ => None,
    });
    assert_eq!(roster, Some(false), "others see it reconnecting");

    // Back within the grace: same entity, full snapshot, inputs apply again.
    assert_eq!(h.lobby.resume(1, 30), Resume::Resumed(me));
    h.pump();
    h.views.get_mut(&1).expect("view").forget_worlds();
    h.tick();
    let last = h.views[&1].msgs.last().cloned();
    assert!(
        matches!(last, Some(ServerMsg::Snapshot(s)) if s.body.baseline.is_none()),
        "a full snapshot"
    );
    assert!(
        h.get::<Score>(1, me).expect("me").points >= held_score,
        "the score came back with the seat"
    );
    h.input(1, &[-127, 0]);
    h.tick();
    assert_ne!(
        h.get::<Body>(2, me).expect("me").pos(),
        held.pos(),
        "inputs apply again"
    );
    assert_eq!(
        h.lobby.resume(1, 30),
        Resume::InUse,
        "a connection that is sending keeps its seat"
    );
    for _ in 0..30 {
        h.tick();
    }
    assert_eq!(
        h.lobby.resume(1, 30),
        Resume::Resumed(me),
        "a quiet (half-open) one is taken over"
    );

    // Away past the grace: the seat is freed.
    h.lobby.disconnect(1);
    for _ in 0..31 {
        h.tick();
    }
    assert!(h.get::<Body>(2, me).is_none(), "gone for the others");
    assert_eq!(h.lobby.resume(1, 30), Resume::Refused);
    assert!(h.join(3).is_ok(), "the seat is free");
}

tickwire_protocol::replicated! {
    /// A counter that a test game bumps now and then.
    #[derive(Component)]
    struct Counter {
        n: Absolute,
        rate: Delta,
    }
}

tickwire_protocol::replicated! {
    /// A component a test game adds and removes.
    #[derive(Component)]
    struct Flag {
        on: Flags(&["a", "b"]),
    }
}

/// A game whose entities change in every way the capture must notice: values now and then,
/// a component added and removed, spawns and despawns, a velocity that stops.
struct Churn;

#[derive(Resource, Default)]
struct ChurnTick(u32);

fn churn(
    mut commands: Commands,
    mut tick: ResMut<ChurnTick>,
    mut bodies: Query<(Entity, &mut Body, Option<&Flag>)>,
    mut counters: Query<&mut Counter>,
) {
    tick.0 += 1;
    let t = tick.0;
    for (i, (e, mut body, flag)) in bodies.iter_mut().enumerate() {
        let i = i as u32;
        if (t + i).is_multiple_of(7) {
            body.vx = if body.vx == 0 { 3 } else { 0 };
        }
        body.x += body.vx;
        if (t + i).is_multiple_of(5) {
            match flag {
                Some(_) => commands.entity(e).remove::<Flag>(),
                None => commands.entity(e).insert(Flag { on: (t % 4) as i32 }),
            };
        }
        if i == 0 && t.is_multiple_of(11) {
            commands.entity(e).despawn();
        }
    }
    if t.is_multiple_of(9) {
        commands.spawn((
            Replicated::default(),
            Body::at(glam::IVec2::new(t as i32, 5)),
        ));
    }
    for mut c in &mut counters {
        if t.is_multiple_of(4) {
            c.n += c.rate;
        }
    }
}

impl Game for Churn {
    fn name(&self) -> &'static str {
        "churn"
    }
    fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String> {
        lobby
            .replicate::<Body>()
            .replicate::<Counter>()
            .replicate::<Flag>()
            .add_systems(churn);
        let world = lobby.world();
        world.init_resource::<ChurnTick>();
        for i in 0..20 {
            world.spawn((Replicated::default(), Body::at(glam::IVec2::new(i * 10, 0))));
        }
        world.spawn((Replicated::default(), Counter { n: 0, rate: 2 }));
        Ok(())
    }
}

#[test]
fn the_incremental_capture_equals_a_rebuild_every_tick() {
    let mut h = Stepper::new(Arc::new(Churn), arena(), 4);
    h.join(1).expect("joins");
    for _ in 0..200 {
        h.tick();
        let recorded = h.lobby.history().latest().cloned().expect("a world");
        let rebuilt = h.lobby.capture_from_scratch();
        assert_eq!(recorded, rebuilt, "tick {}", recorded.tick);
    }
}

/// A game that "respawns" an entity by inserting its marker again, then despawns it.
struct Respawn;

fn respawn(mut commands: Commands, mut tick: Local<u32>, bodies: Query<Entity, With<Body>>) {
    *tick += 1;
    for e in &bodies {
        match *tick {
            3 => {
                commands
                    .entity(e)
                    .insert((Replicated::default(), Body::at(glam::IVec2::new(7, 7))));
            }
            6 => {
                commands.entity(e).despawn();
            }
            _ => {}
        }
    }
}

impl Game for Respawn {
    fn name(&self) -> &'static str {
        "respawn"
    }
    fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String> {
        lobby.replicate::<Body>().add_systems(respawn);
        lobby
            .world()
            .spawn((Replicated::default(), Body::at(glam::IVec2::new(1, 1))));
        Ok(())
    }
}

#[test]
fn inserting_the_marker_again_keeps_the_id_and_a_despawn_still_removes_it() {
    let mut h = Stepper::new(Arc::new(Respawn), arena(), 2);
    h.join(1).expect("joins");
    for t in 1..=8 {
        h.tick();
        let world = h.lobby.history().latest().cloned().expect("a world");
        let ids: Vec<u32> = world.with(0).collect();
        if t < 6 {
            assert_eq!(ids, [1], "tick {t}: one body, id 1, re-inserted or not");
        } else {
            assert!(
                ids.is_empty(),
                "tick {t}: the despawned body is gone: {world:?}"
            );
        }
        assert_eq!(world, h.lobby.capture_from_scratch());
    }
}

mod other {
    use bevy_ecs::prelude::*;

    tickwire_protocol::replicated! {
        /// Another type named like the test's `Counter`.
        #[derive(Component)]
        pub struct Counter {
            pub other: Absolute,
        }
    }
}

/// A game that replicates two types of one name.
struct SameName;

impl Game for SameName {
    fn name(&self) -> &'static str {
        "same"
    }
    fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String> {
        lobby.replicate::<Counter>().replicate::<other::Counter>();
        Ok(())
    }
}

#[test]
fn two_components_of_one_name_are_refused_not_dropped() {
    let settings = crate::testing::settings(Arc::new(SameName), arena(), 2);
    assert!(matches!(
        Lobby::new(settings),
        Err(LobbyError::Schema(tickwire_protocol::schema::SchemaError::DuplicateComponent(name))) if name == "Counter"
    ));
}

#[test]
fn an_empty_lobby_closes_after_its_grace_in_ticks_and_a_held_seat_keeps_it_open() {
    // Grace is 30 ticks for a dropped player's seat in these settings; the lobby's own
    // empty grace is given here: 5 ticks.
    let map = Arc::new(GameMap::parse(&map_json(1)).expect("map"));
    let mut h = lobby_with(map, 2);
    for _ in 0..4 {
        h.tick();
    }
    assert!(!h.lobby.closes_empty(5), "4 ticks empty");
    h.tick();
    assert!(h.lobby.closes_empty(5), "5 ticks empty, nobody ever came");
    h.join(1).expect("join");
    h.tick();
    assert!(!h.lobby.closes_empty(5), "a player is in");
    // A dropped player's seat is held: the lobby stays open for the reconnect.
    h.lobby.disconnect(1);
    for _ in 0..20 {
        h.tick();
    }
    assert!(!h.lobby.closes_empty(5), "the seat is held");
    // Once the grace frees the seat, the lobby's own grace starts counting; skipped ticks
    // (a stalled clock) count too.
    for _ in 0..10 {
        h.tick();
    }
    assert!(h.lobby.is_empty());
    assert!(!h.lobby.closes_empty(5));
    h.lobby.skip_ticks(4);
    assert!(h.lobby.closes_empty(5));
}

/// The small test map with a view rule: a 260 x 150 screen (plus a 20-unit margin), so the
/// two spawns 200 units apart do not see each other, but a player at the wall (x 236) and
/// one at the left spawn (x 100) do.
fn viewed_map() -> Arc<GameMap> {
    let json = map_json(0).replace(
        r#""orbs":0,"#,
        r#""orbs":0,"view":{"width":260,"height":150,"margin":20,"hysteresis":20},"#,
    );
    Arc::new(GameMap::parse(&json).expect("map"))
}

#[test]
fn interest_keeps_the_views_of_a_client_that_never_acks_bounded() {
    let mut h = lobby_with(viewed_map(), 4);
    h.join(1).expect("a");
    let capacity = h.lobby.history().capacity();
    for _ in 0..3 * capacity {
        // Inputs with ack 0: nothing is ever acknowledged.
        h.lobby.input(
            1,
            Input {
                seq: h.lobby.tick() + 1,
                client_tick: h.lobby.tick() + 1,
                ack: 0,
                values: tickwire_protocol::InputValues::new(&[0, 0]),
            },
        );
        h.tick();
        let m = h.lobby.members.first().expect("seated");
        assert!(
            m.view.views_held() <= capacity,
            "{} views held, at most {capacity}",
            m.view.views_held()
        );
    }
}

#[test]
fn interest_hides_a_player_out_of_view_and_shows_it_on_approach() {
    let mut h = lobby_with(viewed_map(), 4);
    let a = h.join(1).expect("a");
    let b = h.join(2).expect("b");
    h.tick();
    assert!(h.get::<Body>(1, b).is_none(), "b is out of a's view");
    assert!(h.get::<Body>(1, a).is_some(), "a always sees itself");
    // b walks left towards a until the wall (x 200..220, the arena's whole height) stops it.
    for _ in 0..120 {
        h.input(1, &[0, 0]);
        h.input(2, &[-127, 0]);
        h.tick();
    }
    assert!(h.get::<Body>(1, b).is_some(), "b came into a's view");
}
