//! Scenario maps and lobbies for the benches and the bandwidth report: the shipped arena,
//! a large generated arena with any number of orbs, and a lobby full of wandering bots
//! driven tick by tick through the sans-IO core (no sockets, no clock).

use std::sync::Arc;

use anyhow::Context;
use tickwire_protocol::{Input, InputValues};
use tickwire_server::games::arena::Arena;
use tickwire_server::lobby::{ClientId, Lobby, LobbySettings};
use tickwire_server::maps::{GameMap, MapCatalog};

use crate::wander::Wander;

/// The server's default tick rate.
pub const TICK_RATE: u16 = 30;

/// Side of the generated bench arena, world units.
pub const BENCH_ARENA_SIDE: i32 = 4000;

/// A square arena of [`BENCH_ARENA_SIDE`] units with a few walls, an 8 by 8 grid of spawn
/// points and `orbs` orbs; player rules as in the shipped arena.
pub fn bench_map_json(orbs: u32) -> String {
    let side = BENCH_ARENA_SIDE;
    let step = side / 8;
    let spawns: Vec<String> = (0..64)
        .map(|i| {
            format!(
                "[{}, {}]",
                step / 2 + (i % 8) * step,
                step / 2 + (i / 8) * step
            )
        })
        .collect();
    // Walls sit on the lines between spawn cells, so no spawn point is inside one.
    let walls = [
        [step - 20, step + 100, step + 20, 3 * step - 100],
        [5 * step - 20, 2 * step + 100, 5 * step + 20, 4 * step - 100],
        [2 * step + 100, 6 * step - 20, 4 * step - 100, 6 * step + 20],
        [6 * step + 100, 3 * step - 20, 7 * step - 100, 3 * step + 20],
    ];
    let walls: Vec<String> = walls
        .iter()
        .map(|w| format!("[{}, {}, {}, {}]", w[0], w[1], w[2], w[3]))
        .collect();
    format!(
        r#"{{"name": "bench-{orbs}", "game": "arena", "width": {side}, "height": {side}, "walls": [{}], "spawns": [{}], "rules": {{"orbs": {orbs}, "orb_radius": 10, "player": {{"speed": 300, "accel": 3000, "half_size": 16}}}}}}"#,
        walls.join(", "),
        spawns.join(", ")
    )
}

/// [`bench_map_json`] with a `view` rule: each client receives what is within a
/// `width` x `height` screen around its player, plus `margin` (and `hysteresis` before it is
/// let go), all in world units.
pub fn bench_map_with_view(
    orbs: u32,
    [width, height, margin, hysteresis]: [i32; 4],
) -> anyhow::Result<Arc<GameMap>> {
    let view = format!(
        r#", "view": {{"width": {width}, "height": {height}, "margin": {margin}, "hysteresis": {hysteresis}}}}}}}"#
    );
    let json = bench_map_json(orbs);
    let json = json
        .strip_suffix("}}")
        .context("the bench map ends its rules")?
        .to_owned()
        + &view;
    Ok(Arc::new(
        GameMap::parse(&json).context("the generated bench map with a view")?,
    ))
}

pub fn bench_map(orbs: u32) -> anyhow::Result<Arc<GameMap>> {
    Ok(Arc::new(
        GameMap::parse(&bench_map_json(orbs)).context("the generated bench map")?,
    ))
}

/// The shipped "arena" map (as the server embeds it).
pub fn arena_map() -> anyhow::Result<Arc<GameMap>> {
    MapCatalog::embedded()
        .context("loading the embedded maps")?
        .get("arena")
        .context("the arena map ships")
}

pub fn new_lobby(map: Arc<GameMap>, max_players: u8, seed: u64) -> Lobby {
    let lobby = Lobby::new(LobbySettings {
        id: 1,
        game: Arc::new(Arena),
        name: "bench".into(),
        code: "BENCH1".into(),
        private: false,
        max_players,
        map,
        tick_rate: TICK_RATE,
        seed,
        reconnect_grace_ticks: 15 * u32::from(TICK_RATE),
    });
    match lobby {
        Ok(lobby) => lobby,
        Err(e) => unreachable!("the arena's schema lays out: {e}"),
    }
}

/// One seated bot of a [`BotLobby`].
#[derive(Debug, Clone)]
pub struct Bot {
    pub client: ClientId,
    pub wander: Wander,
    pub seq: u32,
}

impl Bot {
    /// The next input: a new seq, the wandering stick and the given ack.
    pub fn input(&mut self, ack: u32) -> Input {
        self.seq += 1;
        Input {
            seq: self.seq,
            client_tick: self.seq,
            ack,
            values: self.wander.next_input(),
        }
    }
}

/// A lobby full of wandering bots, stepped directly. Bots do not decode what they are sent;
/// their acks are simulated as a fixed number of ticks behind the lobby (every snapshot is
/// delivered), which is what a client with that round trip would send.
pub struct BotLobby {
    pub lobby: Lobby,
    pub bots: Vec<Bot>,
}

impl BotLobby {
    /// Seats `players` bots (more than 255 through [`Lobby::join_uncapped`]).
    pub fn new(map: Arc<GameMap>, players: usize, seed: u64) -> anyhow::Result<Self> {
        let max = u8::try_from(players.max(2)).unwrap_or(u8::MAX);
        let mut lobby = new_lobby(map, max, seed);
        let mut bots = Vec::with_capacity(players);
        for i in 0..players {
            let client = i as ClientId + 1;
            let name = format!("bot{client}");
            let joined = if i < usize::from(max) {
                lobby.join(client, &name)
            } else {
                lobby.join_uncapped(client, &name)
            };
            joined.map_err(|e| anyhow::anyhow!("seating bot {client}: {e:?}"))?;
            lobby.drain_outbox().for_each(drop);
            bots.push(Bot {
                client,
                wander: Wander::new(seed ^ (u64::from(client) << 20), TICK_RATE),
                seq: 0,
            });
        }
        Ok(Self { lobby, bots })
    }

    /// Queues one input per bot; bot `i` acks `ack_lag(i)` ticks behind the lobby's tick
    /// (`None`: acks nothing).
    pub fn queue_inputs(&mut self, ack_lag: impl Fn(usize) -> Option<u32>) {
        let tick = self.lobby.tick();
        for (i, bot) in self.bots.iter_mut().enumerate() {
            let ack = ack_lag(i)
                .and_then(|lag| tick.checked_sub(lag))
                .unwrap_or(0);
            let input = bot.input(ack);
            self.lobby.input(bot.client, input);
        }
    }

    /// Queues idle inputs (no movement) so nothing changes but the tick.
    pub fn queue_idle_inputs(&mut self) {
        for bot in &mut self.bots {
            bot.seq += 1;
            let input = Input {
                seq: bot.seq,
                client_tick: bot.seq,
                ack: 0,
                values: InputValues::new(&[0, 0]),
            };
            self.lobby.input(bot.client, input);
        }
    }

    /// One whole tick: inputs acking `ack_lag` behind, step, snapshots (dropped).
    pub fn tick(&mut self, ack_lag: impl Fn(usize) -> Option<u32>) {
        self.queue_inputs(ack_lag);
        self.lobby.step();
        self.lobby.send_snapshots(|_| true);
        self.lobby.drain_outbox().for_each(drop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_maps_parse_and_seat_many_bots() {
        let map = bench_map(1_000).expect("map");
        let mut l = BotLobby::new(map, 300, 1).expect("lobby");
        for _ in 0..5 {
            l.tick(|_| Some(2));
        }
        let world = l.lobby.history().latest().expect("a world");
        assert_eq!(world.len(), 1_300);
        assert!(arena_map().is_ok());
    }
}
