//! Interest management and the bandwidth budget, stepped in process through the real encode
//! and decode paths: a small game of dots wandering a large field (some teleporting, so
//! they leave and enter views), a scoreboard everyone sees and a secret per player only its
//! owner sees; clients that acknowledge at random. Run alone with `cargo test interest` or
//! `cargo test bandwidth_budget`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use bevy_ecs::prelude::*;
use glam::IVec2;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tickwire_protocol::messages::ServerMsg;
use tickwire_protocol::{Input, InputValues, Layout, NetId, WorldState, decode_server};
use tickwire_server::lobby::interest::{Audience, Interest, Spatial};
use tickwire_server::lobby::{ClientId, Game, Joining, Lobby, LobbyBuilder, Replicated, TickSet};
use tickwire_server::maps::MapCatalog;
use tickwire_server::testing::settings;

tickwire_protocol::replicated! {
    /// A wandering dot: players and things alike.
    #[derive(Component)]
    pub struct Dot {
        pub x: Predicted("vx"),
        pub y: Predicted("vy"),
        pub vx: Delta,
        pub vy: Delta,
    }
}

tickwire_protocol::replicated! {
    /// Something placed nowhere: a scoreboard (seen by everyone) or a player's secret.
    #[derive(Component)]
    pub struct Note {
        pub value: Absolute,
    }
}

impl Spatial for Dot {
    fn point(&self) -> IVec2 {
        IVec2::new(self.x, self.y)
    }
}

const FIELD: i32 = 20_000;
const RULE: Interest = Interest {
    half_view: IVec2::new(2_000, 1_500),
    margin: 300,
    hysteresis: 400,
};

#[derive(Resource)]
struct Wander(ChaCha8Rng);

/// Every dot turns now and then, and a few teleport across the field.
fn wander(mut rng: ResMut<Wander>, mut dots: Query<&mut Dot>, mut notes: Query<&mut Note>) {
    let rng = &mut rng.0;
    for mut d in &mut dots {
        if rng.random_ratio(1, 4) {
            d.vx = rng.random_range(-60..=60);
            d.vy = rng.random_range(-60..=60);
        }
        if rng.random_ratio(1, 40) {
            d.x = rng.random_range(0..FIELD);
            d.y = rng.random_range(0..FIELD);
        } else {
            d.x = (d.x + d.vx).clamp(0, FIELD);
            d.y = (d.y + d.vy).clamp(0, FIELD);
        }
    }
    for mut n in &mut notes {
        if rng.random_ratio(1, 5) {
            n.value += 1;
        }
    }
}

struct Dots {
    things: usize,
    budget: Option<usize>,
    interest: bool,
    seed: u64,
    /// Players start apart (else all on one spot) and each has a secret.
    apart: bool,
}

impl Dots {
    fn new(things: usize, seed: u64) -> Self {
        Self {
            things,
            budget: None,
            interest: true,
            seed,
            apart: true,
        }
    }
}

/// A player's dot, and its secret right after it (so the secret's id is the dot's plus one).
fn join_apart(world: &mut World, j: &Joining) -> Entity {
    let at = (j.seat as i32 * 3_000) % FIELD;
    let dot = Dot {
        x: at,
        y: at,
        vx: 20,
        vy: -10,
    };
    let me = world.spawn((Replicated::default(), dot)).id();
    world.spawn((
        Replicated::default(),
        Note { value: 0 },
        Audience::Owner(me),
    ));
    me
}

fn join_together(world: &mut World, _: &Joining) -> Entity {
    let dot = Dot {
        x: 1_000,
        y: 1_000,
        vx: 0,
        vy: 0,
    };
    world.spawn((Replicated::default(), dot)).id()
}

impl Game for Dots {
    fn name(&self) -> &'static str {
        "arena"
    }

    fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        for _ in 0..self.things {
            let dot = Dot {
                x: rng.random_range(0..FIELD),
                y: rng.random_range(0..FIELD),
                vx: rng.random_range(-30..=30),
                vy: rng.random_range(-30..=30),
            };
            lobby.world().spawn((Replicated::default(), dot));
        }
        lobby
            .world()
            .spawn((Replicated::default(), Note { value: 0 }, Audience::Everyone));
        lobby.world().insert_resource(Wander(rng));
        lobby.replicate::<Dot>().replicate::<Note>();
        lobby.add_systems(wander.in_set(TickSet::Game));
        lobby.on_join(if self.apart {
            join_apart
        } else {
            join_together
        });
        if self.interest {
            lobby.interest::<Dot>(RULE);
        }
        if let Some(b) = self.budget {
            lobby.bandwidth_budget(b);
        }
        Ok(())
    }
}

fn lobby(game: Dots) -> Lobby {
    let map = MapCatalog::embedded()
        .expect("maps")
        .get("arena")
        .expect("arena");
    Lobby::new(settings(Arc::new(game), map, 16)).expect("the lobby opens")
}

/// One client: the worlds it rebuilt, by tick, as a client built from PROTOCOL.md keeps them.
#[derive(Default)]
struct Client {
    layout: Option<Layout>,
    worlds: BTreeMap<u32, WorldState>,
    me: NetId,
    seq: u32,
    /// Bytes of snapshot frames received.
    bytes: usize,
    frames: usize,
    /// The largest snapshot frame after the first (the join's full snapshot).
    largest: usize,
}

impl Client {
    /// Takes one frame; returns the world a snapshot rebuilt.
    fn take(&mut self, frame: &[u8]) -> Option<WorldState> {
        match decode_server(frame).expect("frames decode") {
            ServerMsg::Joined(j) => {
                self.layout = Some(Layout::new(&j.schema).expect("layout"));
                self.me = j.entity;
                None
            }
            ServerMsg::Snapshot(s) => {
                self.bytes += frame.len();
                self.frames += 1;
                if self.frames > 1 {
                    self.largest = self.largest.max(frame.len());
                }
                let layout = self.layout.as_ref().expect("Joined first");
                let base = s.body.baseline.map(|t| {
                    self.worlds
                        .get(&t)
                        .unwrap_or_else(|| panic!("the client holds baseline {t}"))
                });
                let world = s.body.apply(layout, base).expect("the snapshot applies");
                self.worlds.insert(world.tick, world.clone());
                Some(world)
            }
            _ => None,
        }
    }

    /// Acknowledges `tick` (which it holds) with an input.
    fn ack(&mut self, lobby: &mut Lobby, client: ClientId, tick: u32) {
        self.seq += 1;
        let input = Input {
            seq: self.seq,
            client_tick: self.seq,
            ack: tick,
            values: InputValues::new(&[]),
        };
        lobby.input(client, input);
        // The server builds on acked worlds only: older ones may go.
        self.worlds.retain(|t, _| *t >= tick);
    }
}

/// The server's world at its latest tick, kept to `ids`.
fn filtered(world: &WorldState, layout: &Layout, ids: &BTreeSet<NetId>) -> WorldState {
    let mut out = WorldState {
        tick: world.tick,
        ..Default::default()
    };
    for (i, id) in world.ids.iter().enumerate() {
        if ids.contains(id) {
            let at = out.push(layout.stride, *id);
            out.presence[at] = world.presence[i];
            out.values[at * layout.stride..(at + 1) * layout.stride]
                .copy_from_slice(world.row(layout.stride, i));
        }
    }
    out
}

/// Whether a point is within the view of a client centred at `centre`, with the margin, and
/// the hysteresis for what it held.
fn within(centre: IVec2, point: IVec2, held: bool) -> bool {
    let reach = RULE.margin + if held { RULE.hysteresis } else { 0 };
    (point.x - centre.x).abs() <= RULE.half_view.x + reach
        && (point.y - centre.y).abs() <= RULE.half_view.y + reach
}

/// What a client should receive, modelled apart from the engine: the rule with its
/// hysteresis, the scoreboard, its own secret and its own dot. `held` is what it received
/// last tick; `owner_of` maps a secret to its owner's dot.
fn expected_interest(
    world: &WorldState,
    layout: &Layout,
    me: NetId,
    held: &BTreeSet<NetId>,
    notes: &HashMap<NetId, Option<NetId>>,
) -> BTreeSet<NetId> {
    let dot = |i: usize| {
        let row = world.row(layout.stride, i);
        IVec2::new(row[0], row[1])
    };
    let centre = world.index(me).map(dot).expect("my dot exists");
    world
        .ids
        .iter()
        .enumerate()
        .filter(|(i, id)| match notes.get(id) {
            Some(None) => true,
            Some(Some(owner)) => *owner == me,
            None => **id == me || within(centre, dot(*i), held.contains(id)),
        })
        .map(|(_, id)| *id)
        .collect()
}

/// The notes: the scoreboard (no owner, the first) and each secret with its owner's dot,
/// the id before it.
fn notes(world: &WorldState, note: usize) -> HashMap<NetId, Option<NetId>> {
    let first = world.with(note).next();
    world
        .with(note)
        .map(|id| (id, (Some(id) != first).then(|| id - 1)))
        .collect()
}

/// Runs `ticks` ticks of a lobby of `players` with random acks: each tick, each client acks
/// its newest world with probability `ack_percent`, or an older one it holds, or nothing.
/// Checks at every tick that each client rebuilt exactly what the server says it sent, and,
/// without a budget, that this is the server's world filtered to the client's interest.
fn run(game: Dots, players: u32, ticks: u32, seed: u64, ack_percent: u32) -> Run {
    let budget = game.budget;
    let interest = game.interest;
    let mut lobby = lobby(game);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut clients: BTreeMap<ClientId, Client> = BTreeMap::new();
    let mut held: BTreeMap<ClientId, BTreeSet<NetId>> = BTreeMap::new();
    let mut run = Run::default();
    for c in 1..=players {
        lobby.join(c, &format!("p{c}")).expect("joins");
        clients.insert(c, Client::default());
        held.insert(c, BTreeSet::new());
    }
    let layout = lobby.layout().clone();
    let note = lobby.schema().component_id("Note").expect("Note");
    for _ in 0..ticks {
        lobby.step();
        lobby.send_snapshots(|_| true);
        let server = lobby.history().latest().expect("a world").clone();
        let frames: Vec<_> = lobby.drain_outbox().collect();
        for env in frames {
            let client = clients.get_mut(&env.client).expect("a client");
            let Some(world) = client.take(&env.frame) else {
                continue;
            };
            let sent = lobby
                .world_of(env.client, world.tick)
                .expect("the view is kept");
            assert_eq!(&world, sent, "client {} rebuilt what was sent", env.client);
            run.views += 1;
            run.entities += world.len();
            if budget.is_none() {
                let notes = notes(&server, note);
                let expected = if interest {
                    expected_interest(&server, &layout, client.me, &held[&env.client], &notes)
                } else {
                    // Everything, but the other players' secrets.
                    let mine = |id: &NetId| {
                        notes
                            .get(id)
                            .is_none_or(|o| o.is_none_or(|o| o == client.me))
                    };
                    server.ids.iter().copied().filter(mine).collect()
                };
                assert_eq!(
                    world,
                    filtered(&server, &layout, &expected),
                    "client {} holds the server's world filtered to its interest",
                    env.client
                );
                held.insert(env.client, expected);
            }
            // Staleness against the server's state, per entity.
            for (i, id) in world.ids.iter().enumerate() {
                let exact = server
                    .index(*id)
                    .is_some_and(|j| server.row(layout.stride, j) == world.row(layout.stride, i));
                let since = run
                    .stale_since
                    .entry((env.client, *id))
                    .or_insert(world.tick);
                if exact {
                    *since = world.tick;
                }
                run.max_stale = run.max_stale.max(world.tick - *since);
            }
        }
        for (c, client) in clients.iter_mut() {
            let roll = rng.random_range(0..100);
            let newest = client.worlds.keys().next_back().copied();
            let oldest = client.worlds.keys().next().copied();
            match (newest, oldest) {
                (Some(n), _) if roll < ack_percent => client.ack(&mut lobby, *c, n),
                (Some(_), Some(o)) if roll < ack_percent + 10 => client.ack(&mut lobby, *c, o),
                _ => {}
            }
        }
    }
    run.bytes = clients.values().map(|c| c.bytes).sum();
    run.frames = clients.values().map(|c| c.frames).sum();
    run.largest = clients.values().map(|c| c.largest).max().unwrap_or(0);
    run.bodies = lobby.view_counts().map_or(0, |c| c.bodies as usize);
    run.stale = lobby.view_counts().map_or(0, |c| c.stale as usize);
    run
}

#[derive(Default)]
struct Run {
    views: usize,
    entities: usize,
    bytes: usize,
    frames: usize,
    largest: usize,
    bodies: usize,
    /// Entities left stale or unspawned by the budget, summed over views.
    stale: usize,
    stale_since: HashMap<(ClientId, NetId), u32>,
    /// The most ticks a client's copy of an entity differed from the server's.
    max_stale: u32,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn interest_every_client_rebuilds_the_world_filtered_to_its_view(
        seed in any::<u64>(),
        players in 1u32..6,
        ack_percent in 20u32..95,
    ) {
        let run = run(Dots::new(60, seed), players, 90, seed, ack_percent);
        prop_assert!(run.views > 0);
    }

    #[test]
    fn bandwidth_budget_keeps_every_client_exact_and_starves_nothing(
        seed in any::<u64>(),
        players in 1u32..5,
        budget in 4usize..30,
    ) {
        let game = Dots { budget: Some(budget), ..Dots::new(300, seed) };
        let run = run(game, players, 120, seed, 90);
        // A budget this tight leaves entities stale, but none for long.
        prop_assert!(run.stale > 0, "the budget left nothing out");
        prop_assert!(run.max_stale < 60, "an entity waited {} ticks", run.max_stale);
    }
}

#[test]
fn interest_sends_a_fraction_of_the_bytes_on_a_large_field() {
    let on = run(Dots::new(120, 3), 8, 150, 3, 90);
    let off = run(
        Dots {
            interest: false,
            ..Dots::new(120, 3)
        },
        8,
        150,
        3,
        90,
    );
    assert!(
        on.bytes * 3 < off.bytes,
        "with interest {} bytes, without {}",
        on.bytes,
        off.bytes
    );
    assert!(
        on.entities * 3 < off.entities,
        "clients hold fewer entities"
    );
}

/// The bodies encoded for the first snapshot of four players who joined at once.
fn first_bodies(game: Dots) -> usize {
    let mut lobby = lobby(game);
    for c in 1..=4 {
        lobby.join(c, &format!("p{c}")).expect("joins");
    }
    lobby.step();
    lobby.send_snapshots(|_| true);
    lobby.drain_outbox().for_each(drop);
    lobby.bodies_encoded()
}

#[test]
fn interest_shares_bodies_between_clients_that_see_the_same() {
    // Four players on one spot of an empty field see the same entities: one body.
    assert_eq!(
        first_bodies(Dots {
            apart: false,
            ..Dots::new(0, 1)
        }),
        1
    );
    // Apart, or each with a secret of its own, they see different worlds: one body each.
    assert_eq!(first_bodies(Dots::new(0, 1)), 4);
}

#[test]
fn bandwidth_budget_caps_each_snapshot() {
    let budget = 40;
    let game = Dots {
        budget: Some(budget),
        interest: false,
        ..Dots::new(200, 9)
    };
    let full = run(
        Dots {
            interest: false,
            ..Dots::new(200, 9)
        },
        3,
        60,
        9,
        90,
    );
    let run = run(game, 3, 60, 9, 90);
    // A frame carries the budget plus its fixed parts (the message tag, seq, tick, age,
    // three list lengths), the despawns, and the one record that is sent even when it does
    // not fit: at most a spawn of the largest entity (about 20 bytes here).
    assert!(
        run.largest <= budget + 40,
        "{} bytes in a frame for a {budget}-byte budget",
        run.largest
    );
    assert!(
        full.largest > 4 * budget,
        "without a budget, frames are larger"
    );
    assert!(
        run.max_stale < 200,
        "an entity waited {} ticks",
        run.max_stale
    );
}
