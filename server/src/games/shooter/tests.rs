//! The shooter's rules, stepped in process with clients that decode every snapshot: damage,
//! death, respawn and the scoreboard; walls stopping shots; and lag compensation through
//! the game's own inputs, with a shooter whose view lags as a 150 ms round trip and a
//! 100 ms interpolation delay make it.

use std::collections::BTreeMap;
use std::sync::Arc;

use tickwire_protocol::schema::GameInput;
use tickwire_protocol::{Input, InputValues};

use super::*;
use crate::maps::MapCatalog;
use crate::testing::Stepper;

/// A range 2400 x 1200 units: A spawns at (200, 600), B at (1200, 600) straight ahead, C
/// at (700, 1000) behind a wall from A. A short wall at x 1100..1140, y 380..520 hides B
/// from A once B walks up past about y 511.
const RANGE: &str = r#"{
  "name": "range", "game": "shooter", "width": 2400, "height": 1200,
  "walls": [[400, 700, 440, 1200], [1100, 380, 1140, 520]],
  "spawns": [[200, 600], [1200, 600], [700, 1000]],
  "rules": {
    "player": { "speed": 300, "accel": 3000, "half_size": 16 },
    "health": 100,
    "gun": { "damage": 25, "range": 1200, "cooldown_ms": 250 },
    "respawn_seconds": 3,
    "spawn_clearance": 900,
    "rewind": { "history_ms": 1000, "cap_ms": 500 }
  }
}"#;

const A: u32 = 1;
const B: u32 = 2;
const C: u32 = 3;
const S: f32 = SUBUNITS_PER_UNIT as f32;

fn range() -> Stepper {
    let map = Arc::new(crate::maps::GameMap::parse(RANGE).expect("the range parses"));
    Shooter
        .check_map(&map)
        .expect("the range passes its checks");
    Stepper::new(Arc::new(Shooter), map, 8)
}

fn fighter(h: &Stepper, id: u32) -> Fighter {
    h.get::<Fighter>(A, id).expect("a fighter")
}

fn body(h: &Stepper, id: u32) -> Body {
    h.get::<Body>(A, id).expect("a body")
}

fn shot(h: &Stepper, id: u32) -> Shot {
    h.get::<Shot>(A, id).expect("a shot")
}

fn aim_at(from: Body, to: Vec2) -> (i32, i32) {
    let d = (to - Vec2::new(from.x as f32, from.y as f32)).normalize() * 30_000.0;
    (d.x.round() as i32, d.y.round() as i32)
}

/// Fires from `shooter` at `target`'s newest position once the gun is ready; the others
/// stand still. Returns the ticks it took.
fn fire_at(h: &mut Stepper, shooter: (u32, u32), target: u32, others: &[u32]) -> u32 {
    let before = shot(h, shooter.1).fired;
    for ticks in 1..=30 {
        let t = body(h, target);
        let (aim_x, aim_y) = aim_at(body(h, shooter.1), Vec2::new(t.x as f32, t.y as f32));
        let seen_tick = h.views[&shooter.0].ack() as i32;
        h.send(
            shooter.0,
            &ShooterInput {
                aim_x,
                aim_y,
                fire: 1,
                seen_tick,
                ..ShooterInput::default()
            },
        );
        for c in others {
            h.send(*c, &ShooterInput::default());
        }
        h.tick();
        if shot(h, shooter.1).fired != before {
            return ticks;
        }
    }
    panic!("the gun never fired");
}

fn idle(h: &mut Stepper, clients: &[u32], ticks: u32) {
    for _ in 0..ticks {
        for c in clients {
            h.send(*c, &ShooterInput::default());
        }
        h.tick();
    }
}

#[test]
fn the_shipped_map_is_large_and_seats_64_players_apart() {
    let map = MapCatalog::embedded()
        .expect("maps")
        .get("outpost")
        .expect("outpost ships");
    assert!(map.arena.size.min_element() >= 4000 * SUBUNITS_PER_UNIT);
    assert!(map.arena.walls.len() >= 20);
    let mut h = Stepper::new(Arc::new(Shooter), map, 64);
    for c in 1..=64 {
        h.join(c).expect("a seat");
    }
    h.tick();
    let mut spots = server_bodies(&mut h);
    spots.sort_by_key(|p| (p.x, p.y));
    spots.dedup();
    assert_eq!(spots.len(), 64, "every player has a spawn point of its own");
}

/// Every player's position in the server's world.
fn server_bodies(h: &mut Stepper) -> Vec<glam::IVec2> {
    let (schema, layout) = (h.lobby.schema().clone(), h.lobby.layout().clone());
    let world = h.lobby.history().latest().expect("a world");
    let fighter = schema.component_id("Fighter").expect("fighters");
    world
        .with(fighter)
        .filter_map(|id| world.get::<Body>(&schema, &layout, id))
        .map(|b| b.pos())
        .collect()
}

#[test]
fn interest_the_shipped_map_sends_each_player_those_near_and_the_whole_scoreboard() {
    let map = MapCatalog::embedded()
        .expect("maps")
        .get("outpost")
        .expect("outpost ships");
    let mut h = Stepper::new(Arc::new(Shooter), map, 64);
    let ids: Vec<u32> = (1..=64).map(|c| h.join(c).expect("a seat")).collect();
    h.tick();
    h.tick();
    let all = server_bodies(&mut h);
    let view = &h.views[&1];
    let me = body(&h, ids[0]).pos();
    let near = all
        .iter()
        .filter(|p| (**p - me).abs().max_element() <= (900 + 300) * SUBUNITS_PER_UNIT)
        .count();
    let seen = view.with::<Body>().len();
    assert_eq!(
        seen, near,
        "the players within the view and its margin, no more"
    );
    assert!(seen < 64 / 2, "a player on a large map sees a few: {seen}");
    assert_eq!(view.with::<Tally>().len(), 64, "everyone's scoreboard line");
}

#[test]
fn a_hit_takes_damage_and_the_fourth_kills_scores_and_respawns_away() {
    let mut h = range();
    let a = h.join(A).expect("a");
    let b = h.join(B).expect("b");
    h.tick();
    assert_eq!(fighter(&h, b).health, 100);
    fire_at(&mut h, (A, a), b, &[B]);
    assert_eq!(fighter(&h, b).health, 75, "one hit takes 25");
    assert_eq!(fighter(&h, b).hit_by, a as i32, "B knows who hit it");
    let first = shot(&h, a);
    assert_eq!((first.outcome, first.target), (HIT, b as i32));
    let gap = fire_at(&mut h, (A, a), b, &[B]);
    assert_eq!(gap, 8, "one shot per 250 ms of inputs at 30 Hz");
    fire_at(&mut h, (A, a), b, &[B]);
    fire_at(&mut h, (A, a), b, &[B]);
    let dead = fighter(&h, b);
    assert_eq!((dead.health, dead.deaths), (0, 1), "the fourth hit kills");
    assert_eq!(dead.respawn, 90, "three seconds to respawn");
    assert_eq!(fighter(&h, a).kills, 1, "the kill is the shooter's");
    assert_eq!(shot(&h, a).outcome, KILL);
    // The dead are not hit again, and do not move.
    let fell_at = body(&h, b).pos();
    fire_at(&mut h, (A, a), b, &[]);
    assert_eq!(
        shot(&h, a).outcome,
        MISS,
        "a shot through where the dead lie"
    );
    for _ in 0..20 {
        h.send(
            B,
            &ShooterInput {
                x: 127,
                ..ShooterInput::default()
            },
        );
        h.send(A, &ShooterInput::default());
        h.tick();
    }
    assert_eq!(
        body(&h, b).pos(),
        fell_at,
        "a dead player stays where it fell"
    );
    assert_eq!(fighter(&h, a).kills, 1);
    // The countdown runs out: full health, at the spawn point farthest from A.
    let left = fighter(&h, b).respawn as u32;
    idle(&mut h, &[A, B], left);
    let back = fighter(&h, b);
    assert_eq!((back.health, back.respawn, back.deaths), (100, 0, 1));
    assert_eq!(
        body(&h, b).pos(),
        glam::IVec2::new(1200, 600) * SUBUNITS_PER_UNIT
    );
    fire_at(&mut h, (A, a), b, &[B]);
    assert_eq!(fighter(&h, b).health, 75, "hittable again");
}

#[test]
fn walls_stop_shots() {
    let mut h = range();
    let a = h.join(A).expect("a");
    h.join(B).expect("b");
    let c = h.join(C).expect("c");
    h.tick();
    assert_eq!(body(&h, c).pos(), glam::IVec2::new(700, 1000) * 16);
    fire_at(&mut h, (A, a), c, &[B, C]);
    assert_eq!(fighter(&h, c).health, 100, "the wall took the shot");
    let s = shot(&h, a);
    assert_eq!(s.outcome, MISS);
    // The tracer ends on the wall's near face (x = 400), not at the target.
    assert!(
        (s.to_x - 400 * 16).abs() <= 1,
        "the shot stopped at the wall: {}",
        s.to_x
    );
}

#[test]
fn a_shot_beyond_the_guns_range_misses() {
    let json = RANGE.replace("\"range\": 1200", "\"range\": 900");
    let map = Arc::new(crate::maps::GameMap::parse(&json).expect("parses"));
    let mut h = Stepper::new(Arc::new(Shooter), map, 8);
    let a = h.join(A).expect("a");
    let b = h.join(B).expect("b");
    h.tick();
    fire_at(&mut h, (A, a), b, &[B]);
    assert_eq!(
        fighter(&h, b).health,
        100,
        "1000 units away, the gun reaches 900"
    );
    assert_eq!(shot(&h, a).to_x, (200 + 900) * 16);
}

/// The shooter's inputs as its client sends them over a laggy connection: its own seqs,
/// and an ack `behind` ticks before the tick the input is applied at.
struct LaggyShooter {
    seq: u32,
    behind: u32,
}

impl LaggyShooter {
    fn send(&mut self, h: &mut Stepper, input: &ShooterInput) {
        self.seq += 1;
        let applied_at = h.lobby.tick() + 1;
        h.lobby.input(
            A,
            Input {
                seq: self.seq,
                client_tick: self.seq,
                ack: applied_at.saturating_sub(self.behind),
                values: InputValues::new(&input.to_values()),
            },
        );
    }
}

/// B walks from (1200, 600), up toward the cover of the short wall or down into the open,
/// while A stands still; returns where B was after each tick (from A's snapshots).
fn walk_b(
    h: &mut Stepper,
    a: &mut LaggyShooter,
    b: u32,
    ticks: u32,
    way: Way,
) -> BTreeMap<u32, Vec2> {
    let mut seen = BTreeMap::new();
    for _ in 0..ticks {
        a.send(h, &ShooterInput::default());
        h.send(
            B,
            &ShooterInput {
                y: way as i32,
                ..ShooterInput::default()
            },
        );
        h.tick();
        let p = body(h, b);
        seen.insert(h.lobby.tick(), Vec2::new(p.x as f32, p.y as f32));
    }
    seen
}

/// Where B was at `seen`, between the two ticks around it, as A's interpolation drew it.
/// A moment after the newest tick is taken as that tick's position moved on as B moves.
fn drawn_at(track: &BTreeMap<u32, Vec2>, seen: SeenAt) -> Vec2 {
    let (&last, &newest) = track.last_key_value().expect("B walked");
    let at = |t: u32| {
        track.get(&t).copied().unwrap_or_else(|| {
            let step = newest - track[&(last - 1)];
            newest + step * (t - last) as f32
        })
    };
    let k = f32::from(seen.fraction) / 65_536.0;
    at(seen.tick).lerp(at(seen.tick + 1), k)
}

#[derive(Clone, Copy)]
enum Way {
    Up = -127,
    Down = 127,
}

/// What became of a laggy shot: B's health after it, A's last shot, and the lobby's
/// counts of clamped and capped claims.
struct Outcome {
    health: i32,
    shot: Shot,
    clamped: u64,
    capped: u64,
}

/// A lobby where B has walked `walk` ticks `way`, and A's shot at where it drew B
/// `back` (fractional) ticks before the tick the shot is applied at, claiming that moment
/// or (`claim_newest`) the server's newest tick, with its ack `behind` ticks behind.
fn laggy_shot(way: Way, walk: u32, back: f64, behind: u32, claim_newest: bool) -> Outcome {
    let mut h = range();
    let a = h.join(A).expect("a");
    let b = h.join(B).expect("b");
    let mut shooter = LaggyShooter { seq: 0, behind };
    let track = walk_b(&mut h, &mut shooter, b, walk, way);
    let applied_at = h.lobby.tick() + 1;
    let at = f64::from(applied_at) - back;
    let seen = SeenAt {
        tick: at.floor() as u32,
        fraction: ((at - at.floor()) * 65_536.0) as u16,
    };
    let (aim_x, aim_y) = aim_at(body(&h, a), drawn_at(&track, seen));
    let claim = if claim_newest {
        SeenAt::tick(applied_at - 1)
    } else {
        seen
    };
    shooter.send(
        &mut h,
        &ShooterInput {
            aim_x,
            aim_y,
            fire: 1,
            seen_tick: claim.tick as i32,
            seen_fraction: i32::from(claim.fraction),
            ..ShooterInput::default()
        },
    );
    h.send(
        B,
        &ShooterInput {
            y: way as i32,
            ..ShooterInput::default()
        },
    );
    h.tick();
    let history = h.lobby.world().resource::<HitHistory>();
    Outcome {
        health: fighter(&h, b).health,
        shot: shot(&h, a),
        clamped: history.clamped,
        capped: history.capped,
    }
}

/// 150 ms round trip at 30 Hz: the shooter's newest snapshot is 75 ms old when it fires
/// and its input takes 75 ms to arrive (ack 5 ticks behind the tick it is applied at); it
/// draws the others 100 ms behind its newest snapshot: 250 ms, 7.5 ticks, in the past.
const RTT_150_INTERP_100: f64 = 7.5;
const ACK_BEHIND: u32 = 5;

// B's walk: it reaches full speed (10 units a tick) in 3 ticks; walking up, it is in the
// open from A while y > 515 (up to its 9th tick) and behind the short wall from its 10th.

#[test]
fn lag_compensation_a_shot_aimed_where_the_shooter_saw_the_target_hits_and_without_rewind_misses() {
    let seen = laggy_shot(Way::Down, 20, RTT_150_INTERP_100, ACK_BEHIND, false);
    assert_eq!(seen.health, 75, "aimed where it was drawn: a hit");
    assert_eq!(seen.shot.outcome, HIT);
    assert_eq!((seen.clamped, seen.capped), (0, 0), "an honest claim");
    let now = laggy_shot(Way::Down, 20, RTT_150_INTERP_100, ACK_BEHIND, true);
    assert_eq!(
        now.health, 100,
        "the same shot judged against the present misses"
    );
    assert_eq!(now.shot.outcome, MISS);
}

#[test]
fn lag_compensation_a_target_that_reached_cover_after_the_shooter_saw_it_is_still_hit() {
    let mut h = range();
    h.join(A).expect("a");
    let b = h.join(B).expect("b");
    let mut shooter = LaggyShooter {
        seq: 0,
        behind: ACK_BEHIND,
    };
    let track = walk_b(&mut h, &mut shooter, b, 15, Way::Up);
    let now = track[&h.lobby.tick()];
    assert!(
        now.y < 505.0 * S,
        "B is behind the wall now: y {}",
        now.y / S
    );
    let then = track[&(h.lobby.tick() - 7)];
    assert!(then.y > 520.0 * S, "and was in the open: y {}", then.y / S);
    // The rule: favour the shooter, up to the cap.
    let seen = laggy_shot(Way::Up, 15, RTT_150_INTERP_100, ACK_BEHIND, false);
    assert_eq!(
        (seen.health, seen.shot.outcome),
        (75, HIT),
        "seen in the open: a hit"
    );
    // Judged against the present, the same shot passes where B no longer is.
    let now = laggy_shot(Way::Up, 15, RTT_150_INTERP_100, ACK_BEHIND, true);
    assert_eq!((now.health, now.shot.outcome), (100, MISS));
}

#[test]
fn lag_compensation_beyond_the_cap_the_rewind_stops_at_the_cap_and_the_wall_counts() {
    // A view 20 ticks behind (about a 550 ms round trip): B was in the open then (its 8th
    // tick), but 15 ticks before the newest (the 500 ms cap; its 12th) it was in cover.
    let late = laggy_shot(Way::Up, 27, 20.0, 18, false);
    assert_eq!(
        late.capped, 1,
        "an honest claim beyond the cap is capped and counted"
    );
    assert_eq!(late.clamped, 0);
    assert_eq!(
        (late.health, late.shot.outcome),
        (100, MISS),
        "judged at the cap: in cover"
    );
}

#[test]
fn lag_compensation_forged_shot_times_are_clamped_and_counted() {
    // A claim of a tick the server has not simulated yet is taken as the newest.
    let future = laggy_shot(Way::Down, 20, -3.0, ACK_BEHIND, false);
    assert_eq!((future.clamped, future.capped), (1, 0), "a future claim");
    assert_eq!(
        future.health, 100,
        "aimed ahead of B, judged where B is: a miss"
    );
    // A claim further back than the shooter's lag and the longest interpolation allow (a
    // view 2 ticks behind may claim 2 + 30) is taken as far back as allowed: the shot aimed
    // where B stood 39 ticks ago meets nothing there.
    let old = laggy_shot(Way::Down, 40, 39.5, 2, false);
    assert_eq!(
        (old.clamped, old.capped),
        (1, 0),
        "a claim older than the view can be"
    );
    assert_eq!((old.health, old.shot.outcome), (100, MISS));
}
