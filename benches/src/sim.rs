//! A simulated client for the sans-IO benches: a wandering bot, the worlds it holds, and its
//! two pipes to the lobby, each delayed by whole ticks (a round trip split between them).

use std::collections::VecDeque;

use anyhow::{Context, bail};
use bytes::Bytes;
use tickwire_protocol::messages::ServerMsg;
use tickwire_protocol::{Input, Schema, WorldState, decode_server};
use tickwire_server::lobby::Lobby;

use crate::scenario::Bot;
use crate::view::{Applied, WorldStore};

/// What [`SimClient::receive`] saw of one applied snapshot.
pub struct Received<'a> {
    pub tick: u32,
    /// Ticks between the snapshot and its baseline (0 for a full one).
    pub age: u32,
    /// The world the client rebuilt.
    pub world: Option<&'a WorldState>,
    /// It is not what the server says it sent (its world, or the client's own view).
    pub mismatch: bool,
}

/// A round trip of `rtt_ms` as whole ticks each way: (down, up).
pub fn delays(rtt_ms: u32, tick_rate: u16) -> (u32, u32) {
    let rtt = (rtt_ms * u32::from(tick_rate) + 500) / 1000;
    (rtt.div_ceil(2), rtt / 2)
}

/// WebSocket header bytes of a server-to-client binary frame of `len` bytes (unmasked).
pub fn ws_header(len: usize) -> usize {
    tickwire_server::net::wire::binary_header(len, &mut [0; 10]).len()
}

pub struct SimClient {
    pub bot: Bot,
    pub store: WorldStore,
    /// Frames on their way down: (tick they arrive, frame).
    down: VecDeque<(u32, Bytes)>,
    /// Inputs on their way up: (tick they arrive, input).
    up: VecDeque<(u32, Input)>,
    delays: (u32, u32),
}

impl SimClient {
    pub fn new(bot: Bot, schema: &Schema, delays: (u32, u32)) -> anyhow::Result<Self> {
        Ok(Self {
            bot,
            store: WorldStore::new(schema).context("the lobby's schema")?,
            down: VecDeque::new(),
            up: VecDeque::new(),
            delays,
        })
    }

    /// Hands `lobby` the inputs that have arrived by tick `t`.
    pub fn deliver_inputs(&mut self, t: u32, lobby: &mut Lobby) {
        while self.up.front().is_some_and(|(at, _)| *at <= t) {
            if let Some((_, input)) = self.up.pop_front() {
                lobby.input(self.bot.client, input);
            }
        }
    }

    /// A frame the lobby sent at tick `t`, on its way down.
    pub fn send_down(&mut self, t: u32, frame: Bytes) {
        self.down.push_back((t + self.delays.0, frame));
    }

    /// The next frame that has arrived by tick `t`.
    pub fn arrived(&mut self, t: u32) -> Option<Bytes> {
        if self.down.front().is_some_and(|(at, _)| *at <= t) {
            return self.down.pop_front().map(|(_, f)| f);
        }
        None
    }

    /// Applies the snapshots that have arrived by tick `t`, calling `each` for every one
    /// applied; a snapshot whose baseline the client lacks makes it ask `lobby` for a full
    /// one. Returns how many it asked for.
    pub fn receive(
        &mut self,
        t: u32,
        lobby: &mut Lobby,
        mut each: impl FnMut(Received<'_>),
    ) -> anyhow::Result<u64> {
        let mut full_requests = 0;
        while let Some(frame) = self.arrived(t) {
            let ServerMsg::Snapshot(snap) = decode_server(&frame).context("decoding a snapshot")?
            else {
                bail!("expected a snapshot frame");
            };
            let age = snap.body.baseline.map_or(0, |b| snap.body.tick - b);
            match self.store.apply(&snap).context("applying a snapshot")? {
                Applied::Tick(tick) => {
                    let world = self.store.latest();
                    // The server keeps a client's view until a later one is acked: compare
                    // while it still has it.
                    let sent = lobby.world_of(self.bot.client, tick);
                    let mismatch = sent.is_some() && sent != world;
                    each(Received {
                        tick,
                        age,
                        world,
                        mismatch,
                    });
                }
                Applied::Stale => {}
                Applied::MissingBaseline => {
                    full_requests += 1;
                    self.store.clear();
                    lobby.request_full(self.bot.client);
                }
            }
        }
        Ok(full_requests)
    }

    /// The bot's next input, acking what the client holds, on its way up at tick `t`.
    pub fn send_input(&mut self, t: u32) {
        let input = self.bot.input(self.store.ack());
        self.up.push_back((t + self.delays.1, input));
    }
}
