//! Lag compensation: a bounded history of where every hittable entity was at each tick, so
//! a shot is tested against the world as its shooter saw it, not as it is when the shot
//! arrives. A game turns it on with [`LobbyBuilder::lag_compensation`]; its systems then
//! call [`HitHistory::raycast`] with the time the shooter claims to have seen.
//!
//! The rules (Overwatch and Source do the same in spirit):
//! - a shot names the tick the shooter was drawing, with a fraction ([`SeenAt`]): its
//!   interpolation time, since remote entities are drawn between two snapshots;
//! - the claim is clamped to what the shooter can have seen: never after the server's
//!   newest tick, never further back than its connection's lag plus the longest
//!   interpolation delay a client may use ([`Window`]); a clamped claim is counted;
//! - however far back a claim honestly reaches, the rewind stops at the game's cap, so a
//!   player on a terrible connection cannot shoot around corners a second late; a capped
//!   shot is counted too;
//! - between two recorded ticks a target's shape is interpolated linearly, as the client
//!   drew it.
//!
//! Memory is bounded: `ticks` frames of at most as many shapes as the lobby had hittable
//! entities, each shape 16 bytes; frames are reused as they fall out of the window.
//!
//! [`LobbyBuilder::lag_compensation`]: super::LobbyBuilder::lag_compensation

use std::collections::VecDeque;

use bevy_ecs::prelude::*;
use glam::Vec2;

/// A hit shape: a circle in subunits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Circle {
    pub x: i32,
    pub y: i32,
    pub radius: i32,
}

/// A component whose entities can be hit, and their shape now.
pub trait HitShape: Component {
    fn shape(&self) -> Circle;
}

/// A shooter's claim of the moment it saw: `tick` plus `fraction` / 65 536 of the next tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SeenAt {
    pub tick: u32,
    pub fraction: u16,
}

impl SeenAt {
    pub const fn tick(tick: u32) -> Self {
        Self { tick, fraction: 0 }
    }

    fn as_f64(self) -> f64 {
        f64::from(self.tick) + f64::from(self.fraction) / 65_536.0
    }
}

/// How far back one shooter may claim to have seen, in ticks before the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The server's newest tick.
    pub now: u32,
    /// Ticks the shooter's view can honestly lag: its connection's lag (newest tick minus
    /// the newest snapshot it acknowledged) plus the longest interpolation delay a client
    /// may draw with.
    pub allowed: u32,
}

/// How far behind the server's newest tick a player's view is, in ticks: the newest tick
/// minus the newest snapshot it acknowledged (0 before its first ack). The engine puts it
/// on every player's entity and sets it before each tick's systems; a game's fire system
/// turns it into the shooter's [`Window`] with [`HitHistory::window`].
#[derive(Component, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ViewLag {
    pub ticks: u32,
}

/// The longest interpolation delay the browser SDK draws others with (its
/// `MAX_DELAY_MS`): a shooter's claim may reach back this far beyond its acknowledged lag.
pub const MAX_INTERPOLATION: std::time::Duration = std::time::Duration::from_secs(1);

/// What was done to a claim before the rewind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Taken as it was.
    Honest,
    /// After the newest tick: taken as the newest.
    Future,
    /// Further back than the shooter can have seen: taken as far back as it can.
    TooOld,
    /// Honest, but further back than the game's cap: taken at the cap.
    Capped,
}

/// A shot's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub entity: Entity,
    /// Along the ray, in subunits.
    pub distance: f32,
}

struct Frame {
    tick: u32,
    shapes: Vec<(Entity, Circle)>,
}

/// The recent past of every hittable entity, one frame per tick, oldest first.
#[derive(Resource)]
pub struct HitHistory {
    frames: VecDeque<Frame>,
    /// Frames kept.
    ticks: usize,
    /// The furthest back a shot is rewound, in ticks.
    cap: u32,
    /// [`MAX_INTERPOLATION`] in ticks.
    interpolation: u32,
    /// Claims clamped (future or too old) and shots capped, since the lobby opened (the
    /// process-wide totals are `tickwire_rewind_clamped` and `tickwire_rewind_capped` in
    /// `/metrics`).
    pub clamped: u64,
    pub capped: u64,
}

impl HitHistory {
    /// Keeps `ticks` ticks (at least the cap, at least 2), rewinds at most `cap` ticks, and
    /// lets a claim reach `interpolation` ticks beyond a shooter's acknowledged lag.
    pub fn new(ticks: u32, cap: u32, interpolation: u32) -> Self {
        let ticks = ticks.max(cap + 1).max(2) as usize;
        Self {
            frames: VecDeque::with_capacity(ticks),
            ticks,
            cap,
            interpolation,
            clamped: 0,
            capped: 0,
        }
    }

    /// Records the shapes of `tick` (after the tick's systems ran), dropping the oldest frame
    /// once the window is full and reusing its memory.
    pub fn record(&mut self, tick: u32, shapes: impl IntoIterator<Item = (Entity, Circle)>) {
        let mut frame = if self.frames.len() >= self.ticks {
            self.frames.pop_front().unwrap_or(Frame {
                tick,
                shapes: Vec::new(),
            })
        } else {
            Frame {
                tick,
                shapes: Vec::new(),
            }
        };
        frame.tick = tick;
        frame.shapes.clear();
        frame.shapes.extend(shapes);
        frame.shapes.sort_unstable_by_key(|(e, _)| *e);
        self.frames.push_back(frame);
    }

    /// The window a shooter whose view lags `lag` may claim in, at tick `now`.
    pub fn window(&self, now: u32, lag: ViewLag) -> Window {
        Window {
            now,
            allowed: lag.ticks.saturating_add(self.interpolation),
        }
    }

    /// The claim as the rewind takes it, and what was done to it.
    pub fn judge(&self, seen: SeenAt, window: Window) -> (SeenAt, Claim) {
        let newest = SeenAt::tick(window.now);
        if seen > newest {
            return (newest, Claim::Future);
        }
        let honest_limit = SeenAt::tick(window.now.saturating_sub(window.allowed));
        let (seen, claim) = if seen < honest_limit {
            (honest_limit, Claim::TooOld)
        } else {
            (seen, Claim::Honest)
        };
        let cap_limit = SeenAt::tick(window.now.saturating_sub(self.cap));
        if seen < cap_limit {
            let claim = if claim == Claim::Honest {
                Claim::Capped
            } else {
                claim
            };
            return (cap_limit, claim);
        }
        (seen, claim)
    }

    /// The first entity a ray from `from` along `direction` (any length) meets within
    /// `range` subunits, at the moment the shooter claims to have seen, judged against its
    /// window; `shooter` is never hit. Counts clamped and capped claims.
    pub fn raycast(
        &mut self,
        seen: SeenAt,
        window: Window,
        from: Vec2,
        direction: Vec2,
        range: f32,
        shooter: Entity,
    ) -> (Option<Hit>, Claim) {
        let (at, claim) = self.judge(seen, window);
        match claim {
            Claim::Future | Claim::TooOld => self.clamped += 1,
            Claim::Capped => self.capped += 1,
            Claim::Honest => {}
        }
        let Some(direction) = direction.try_normalize() else {
            return (None, claim);
        };
        let mut best: Option<Hit> = None;
        self.shapes_at(at, |entity, centre, radius| {
            if entity == shooter {
                return;
            }
            if let Some(distance) = ray_circle(from, direction, centre, radius)
                && distance <= range
                && best.is_none_or(|b| distance < b.distance)
            {
                best = Some(Hit { entity, distance });
            }
        });
        (best, claim)
    }

    /// Calls `visit` with every shape as it was at `at` (interpolated between the two
    /// frames around it; an entity in only one of them is taken from that one). Before the
    /// oldest frame: the oldest; after the newest: the newest.
    pub fn shapes_at(&self, at: SeenAt, mut visit: impl FnMut(Entity, Vec2, f32)) {
        let Some(newest) = self.frames.back() else {
            return;
        };
        let t = at.as_f64();
        let after = self
            .frames
            .iter()
            .position(|f| f64::from(f.tick) >= t)
            .unwrap_or(self.frames.len() - 1);
        let b = &self.frames[after];
        let a = if after == 0 || f64::from(b.tick) <= t {
            b
        } else {
            &self.frames[after - 1]
        };
        let a = if f64::from(newest.tick) < t {
            newest
        } else {
            a
        };
        let span = f64::from(b.tick) - f64::from(a.tick);
        let k = if span > 0.0 {
            ((t - f64::from(a.tick)) / span) as f32
        } else {
            0.0
        };
        let point = |c: &Circle| Vec2::new(c.x as f32, c.y as f32);
        for (entity, sa) in &a.shapes {
            match b.shapes.binary_search_by_key(entity, |(e, _)| *e) {
                Ok(i) => {
                    let sb = &b.shapes[i].1;
                    let centre = point(sa).lerp(point(sb), k);
                    let radius = sa.radius as f32 + (sb.radius - sa.radius) as f32 * k;
                    visit(*entity, centre, radius);
                }
                Err(_) => visit(*entity, point(sa), sa.radius as f32),
            }
        }
        if !std::ptr::eq(a, b) {
            for (entity, sb) in &b.shapes {
                if a.shapes.binary_search_by_key(entity, |(e, _)| *e).is_err() {
                    visit(*entity, point(sb), sb.radius as f32);
                }
            }
        }
    }

    /// Bytes the history holds (for the memory bound).
    pub fn bytes(&self) -> usize {
        self.frames
            .iter()
            .map(|f| f.shapes.capacity() * std::mem::size_of::<(Entity, Circle)>())
            .sum()
    }
}

/// Distance along a unit `direction` from `from` to where the ray enters the circle, if it
/// does (0 when it starts inside).
fn ray_circle(from: Vec2, direction: Vec2, centre: Vec2, radius: f32) -> Option<f32> {
    let to = centre - from;
    let along = to.dot(direction);
    let miss2 = to.length_squared() - along * along;
    let r2 = radius * radius;
    if miss2 > r2 {
        return None;
    }
    let half = (r2 - miss2).sqrt();
    let enter = along - half;
    if enter >= 0.0 {
        Some(enter)
    } else if along + half >= 0.0 {
        Some(0.0)
    } else {
        None
    }
}

/// Records every [`HitShape`] after the tick's systems (added by the builder).
pub(crate) fn record_shapes<C: HitShape>(
    tick: Res<super::CurrentTick>,
    shapes: Query<(Entity, &C)>,
    mut history: ResMut<HitHistory>,
) {
    history.record(tick.0, shapes.iter().map(|(e, c)| (e, c.shape())));
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::kit::mover::Body;
    use crate::lobby::{Game, LobbyBuilder, Replicated};
    use crate::maps::{GameMap, MapCatalog};
    use crate::testing::Stepper;

    fn arena() -> Arc<GameMap> {
        MapCatalog::embedded()
            .expect("maps")
            .get("arena")
            .expect("arena")
    }

    const TARGET_RADIUS: i32 = 16 * 16;

    /// A target walking right at `speed` subunits a tick from x = 0, recorded for `ticks`.
    fn walking(history: &mut HitHistory, target: Entity, shooter: Entity, speed: i32, ticks: u32) {
        for tick in 0..=ticks {
            let target_shape = Circle {
                x: speed * tick as i32,
                y: 0,
                radius: TARGET_RADIUS,
            };
            let shooter_shape = Circle {
                x: 0,
                y: -4000 * 16,
                radius: TARGET_RADIUS,
            };
            history.record(tick, [(target, target_shape), (shooter, shooter_shape)]);
        }
    }

    fn entities() -> (Entity, Entity) {
        let mut world = World::new();
        (world.spawn_empty().id(), world.spawn_empty().id())
    }

    /// 30 Hz; 150 ms round trip (the shooter's view lags about 75 ms of travel plus what it
    /// acknowledged) and 100 ms interpolation delay: the shooter draws the target about
    /// 175 ms, 5.25 ticks, behind the server's newest tick.
    #[test]
    fn lag_compensation_hits_where_the_shooter_saw_the_target_and_without_rewind_misses() {
        let (target, shooter) = entities();
        let mut history = HitHistory::new(30, 8, 30);
        let speed = 300 * 16 / 30; // 300 units a second
        walking(&mut history, target, shooter, speed, 40);
        let now = 40;
        let seen = SeenAt {
            tick: now - 6,
            fraction: 49_152, // .75: 5.25 ticks behind
        };
        let seen_x = (f64::from(speed) * seen.as_f64()) as f32;
        let from = Vec2::new(0.0, -4000.0 * 16.0);
        let aim = Vec2::new(seen_x, 0.0) - from;
        let window = Window { now, allowed: 12 };
        let (hit, claim) = history.raycast(seen, window, from, aim, 1e9, shooter);
        assert_eq!(claim, Claim::Honest);
        assert_eq!(
            hit.map(|h| h.entity),
            Some(target),
            "aimed where it was seen: a hit"
        );
        let (now_hit, _) = history.raycast(SeenAt::tick(now), window, from, aim, 1e9, shooter);
        assert_eq!(
            now_hit, None,
            "the same shot against the newest tick misses"
        );
        assert_eq!((history.clamped, history.capped), (0, 0));
    }

    #[test]
    fn lag_compensation_clamps_forged_times_and_counts_them() {
        let (target, shooter) = entities();
        let mut history = HitHistory::new(60, 8, 30);
        walking(&mut history, target, shooter, 160, 50);
        let window = Window {
            now: 50,
            allowed: 6,
        };
        assert_eq!(
            history.judge(SeenAt::tick(51), window),
            (SeenAt::tick(50), Claim::Future)
        );
        assert_eq!(
            history.judge(SeenAt::tick(20), window),
            (SeenAt::tick(44), Claim::TooOld),
            "no further back than the shooter's lag allows"
        );
        let far = Window {
            now: 50,
            allowed: 30,
        };
        assert_eq!(
            history.judge(SeenAt::tick(30), far),
            (SeenAt::tick(42), Claim::Capped),
            "an honest but laggy claim stops at the game's cap"
        );
        // A forged claim aimed at where the target was long ago misses: it is judged at 44.
        let from = Vec2::new(0.0, -4000.0 * 16.0);
        let aim_at_20 = Vec2::new(160.0 * 20.0, 0.0) - from;
        let (hit, claim) = history.raycast(SeenAt::tick(20), window, from, aim_at_20, 1e9, shooter);
        assert_eq!((hit, claim), (None, Claim::TooOld));
        let _ = history.raycast(SeenAt::tick(99), window, from, aim_at_20, 1e9, shooter);
        let _ = history.raycast(SeenAt::tick(30), far, from, aim_at_20, 1e9, shooter);
        assert_eq!((history.clamped, history.capped), (2, 1));
    }

    /// The documented rule for a target that reached cover on its own timeline: the shot is
    /// judged where the shooter saw it, so a target already behind a wall on the server is
    /// still hit if the shooter saw it in the open (favouring the shooter, up to the cap).
    #[test]
    fn lag_compensation_favours_the_shooter_over_a_target_that_just_reached_cover() {
        let (target, shooter) = entities();
        let mut history = HitHistory::new(30, 8, 30);
        walking(&mut history, target, shooter, 160, 30);
        let from = Vec2::new(0.0, -4000.0 * 16.0);
        // Seen at tick 26 (in the open); by tick 30 the target has moved 640 subunits on.
        let aim = Vec2::new(160.0 * 26.0, 0.0) - from;
        let window = Window {
            now: 30,
            allowed: 6,
        };
        let (hit, _) = history.raycast(SeenAt::tick(26), window, from, aim, 1e9, shooter);
        assert_eq!(hit.map(|h| h.entity), Some(target));
        // Beyond the cap (8 ticks) the shooter's view no longer counts.
        let mut short = HitHistory::new(30, 2, 30);
        walking(&mut short, target, shooter, 160, 30);
        let (late, claim) = short.raycast(SeenAt::tick(26), window, from, aim, 1e9, shooter);
        assert_eq!((late, claim), (None, Claim::Capped));
    }

    #[test]
    fn the_history_keeps_its_window_and_reuses_its_memory() {
        let (target, shooter) = entities();
        let mut history = HitHistory::new(10, 4, 30);
        walking(&mut history, target, shooter, 16, 100);
        assert_eq!(history.frames.len(), 10);
        assert_eq!(history.frames.front().map(|f| f.tick), Some(91));
        let bytes = history.bytes();
        walking(&mut history, target, shooter, 16, 100);
        assert_eq!(history.bytes(), bytes, "no growth once full");
    }

    #[test]
    fn interpolated_shapes_lie_between_their_ticks() {
        let (target, shooter) = entities();
        let mut history = HitHistory::new(10, 4, 30);
        walking(&mut history, target, shooter, 100, 5);
        let mut seen = Vec::new();
        history.shapes_at(
            SeenAt {
                tick: 2,
                fraction: 32_768,
            },
            |e, c, _| {
                if e == target {
                    seen.push(c.x);
                }
            },
        );
        assert_eq!(seen, vec![250.0]);
    }

    // Through the game API: a game that turns lag compensation on for its moving bodies.
    impl HitShape for Body {
        fn shape(&self) -> Circle {
            Circle {
                x: self.x,
                y: self.y,
                radius: 16,
            }
        }
    }

    /// A game that turns lag compensation on for its moving bodies.
    struct Shooting;

    impl Game for Shooting {
        fn name(&self) -> &'static str {
            "shooting"
        }
        fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String> {
            lobby
                .replicate::<Body>()
                .add_systems(|mut bodies: Query<&mut Body>| {
                    for mut b in &mut bodies {
                        b.x += 100;
                    }
                })
                .lag_compensation::<Body>(
                    std::time::Duration::from_secs(1),
                    std::time::Duration::from_millis(250),
                );
            lobby
                .world()
                .spawn((Replicated::default(), Body::at(glam::IVec2::new(0, 0))));
            Ok(())
        }
    }

    #[test]
    fn lag_compensation_records_each_tick_after_the_games_systems() {
        let mut h = Stepper::new(Arc::new(Shooting), arena(), 4);
        for _ in 0..40 {
            h.tick();
        }
        let now = h.lobby.tick();
        let history = h.lobby.world().resource::<HitHistory>();
        // A second at 30 Hz is kept; the shape recorded for a tick is where that tick left it.
        let mut at = Vec::new();
        history.shapes_at(SeenAt::tick(now - 5), |_, c, _| at.push(c.x));
        assert_eq!(at, vec![100.0 * (now - 5) as f32]);
        // Bounded: the window does not grow as the lobby runs on.
        let bytes = history.bytes();
        for _ in 0..100 {
            h.tick();
        }
        assert_eq!(h.lobby.world().resource::<HitHistory>().bytes(), bytes);
    }

    #[test]
    fn lag_compensation_knows_how_far_behind_each_player_sees() {
        let mut h = Stepper::new(Arc::new(Shooting), arena(), 4);
        h.join(1).expect("joins");
        for _ in 0..5 {
            h.tick();
        }
        // Acks the newest snapshot it holds, then hears nothing for three ticks.
        h.input(1, &[]);
        let acked = h.lobby.tick();
        for _ in 0..3 {
            h.lobby.step();
        }
        let world = &mut h.lobby.world;
        let lag = *world.query::<&ViewLag>().single(world).expect("one player");
        assert_eq!(lag.ticks, h.lobby.tick() - acked);
        let history = h.lobby.world().resource::<HitHistory>();
        assert_eq!(
            history.window(h.lobby.tick(), lag),
            Window {
                now: h.lobby.tick(),
                allowed: 3 + 30
            },
            "its acknowledged lag, plus the longest interpolation the SDK draws with (1 s at 30 Hz)"
        );
    }
}
