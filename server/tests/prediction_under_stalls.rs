//! Exact prediction survives anything the clock and the network do, short of dropping an
//! input: a property test over lobby stalls (several steps before one snapshot, ticks the
//! clock skipped), inputs held up and delivered in bursts, and acks arriving late (so deltas
//! of every age). Clients predict their own Body with the arena's step, reconcile on every
//! snapshot (reset to the server's state, replay what is not yet applied) and count a
//! correction whenever the replay does not land where they had predicted. With no input
//! dropped that count is always 0.
//!
//! (A client written from the spec once saw a mismatch of 4 × velocity at one tick under
//! heavy load; this test finds no such case in the server, which points at that client's
//! own bookkeeping, such as comparing by tick rather than by input seq.)

use std::collections::VecDeque;
use std::sync::Arc;

use proptest::prelude::*;
use tickwire_protocol::messages::ServerMsg;
use tickwire_protocol::{Input, InputValues};
use tickwire_server::games::arena::{Arena, ArenaMap};
use tickwire_server::kit::mover::Body;
use tickwire_server::maps::MapCatalog;
use tickwire_server::testing::Stepper;

/// What happens in one round.
#[derive(Debug, Clone)]
enum Round {
    /// An ordinary tick.
    Tick,
    /// The lobby ran late: `n` steps back to back, one snapshot.
    CatchUp(u32),
    /// The clock skipped `n` ticks, then stepped once.
    Skip(u32),
    /// The connection held the client's inputs back for `n` ticks (then delivers them).
    Hold(u32),
}

fn round() -> impl Strategy<Value = Round> {
    prop_oneof![
        8 => Just(Round::Tick),
        1 => (2u32..5).prop_map(Round::CatchUp),
        1 => (1u32..8).prop_map(Round::Skip),
        1 => (1u32..12).prop_map(Round::Hold),
    ]
}

/// One client: inputs sent and not yet applied, its predicted body, corrections.
struct Predictor {
    client: u32,
    entity: u32,
    seq: u32,
    pending: VecDeque<(u32, (i32, i32), Body)>,
    held: Vec<Input>,
    /// Ticks of the snapshots received, newest last: a client acks only what it holds.
    received: Vec<u32>,
    predicted: Option<Body>,
    corrections: u32,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_stall_or_ack_delay_costs_a_correction(
        rounds in proptest::collection::vec(round(), 30..160),
        sticks in proptest::collection::vec((-127i32..=127, -127i32..=127), 160),
        ack_lag in proptest::collection::vec(0u32..8, 2),
    ) {
        let map = MapCatalog::embedded().expect("maps").get("arena").expect("arena");
        let mut h = Stepper::new(Arc::new(Arena), map, 4);
        let mut clients: Vec<Predictor> = (1..=2)
            .map(|c| Predictor { client: c, entity: h.join(c).expect("joins"), seq: 0, pending: VecDeque::new(), held: Vec::new(), received: Vec::new(), predicted: None, corrections: 0 })
            .collect();
        h.tick();
        let arena = h.lobby.world().resource::<ArenaMap>();
        let (movement, walls) = (arena.movement, arena.map.arena.clone());
        for (t, r) in rounds.iter().enumerate() {
            for (k, c) in clients.iter_mut().enumerate() {
                // The client predicts one input a tick, whatever the network does.
                let Some(mut body) = c.predicted.or_else(|| h.get::<Body>(c.client, c.entity)) else { continue };
                let stick = sticks[(t + k * 7) % sticks.len()];
                body.step(stick.0, stick.1, &movement, &walls);
                c.seq += 1;
                c.pending.push_back((c.seq, stick, body));
                c.predicted = Some(body);
                let lag = ack_lag[k] as usize;
                let ack = c.received.len().checked_sub(lag + 1).map_or(0, |i| c.received[i]);
                c.held.push(Input { seq: c.seq, client_tick: c.seq, ack, values: InputValues::new(&[stick.0, stick.1]) });
                let holding = matches!(r, Round::Hold(n) if (t as u32) % (n + 1) != *n);
                if !holding {
                    for input in c.held.drain(..) {
                        h.lobby.input(c.client, input);
                    }
                }
            }
            match r {
                Round::Tick | Round::Hold(_) => h.lobby.step(),
                Round::CatchUp(n) => (0..*n).for_each(|_| h.lobby.step()),
                Round::Skip(n) => {
                    h.lobby.skip_ticks(*n);
                    h.lobby.step();
                }
            }
            h.lobby.send_snapshots(|_| true);
            h.pump();
            for c in &mut clients {
                let view = &h.views[&c.client];
                let Some(ServerMsg::Snapshot(_)) = view.msgs.last() else { continue };
                if c.received.last() != Some(&view.ack()) {
                    c.received.push(view.ack());
                }
                let Some(server) = view.get::<Body>(c.entity) else { continue };
                let applied = view.last_seq;
                while c.pending.front().is_some_and(|(s, _, _)| *s <= applied) {
                    c.pending.pop_front();
                }
                // Reconcile: from the server's state, replay what it has not applied yet.
                let mut replay = server;
                for (_, stick, _) in &c.pending {
                    replay.step(stick.0, stick.1, &movement, &walls);
                }
                if c.predicted.is_some_and(|p| p != replay) {
                    c.corrections += 1;
                }
                c.predicted = Some(replay);
            }
        }
        for c in &clients {
            prop_assert_eq!(c.corrections, 0, "client {} was corrected", c.client);
        }
    }
}
