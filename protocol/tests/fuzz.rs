//! Fuzzing the decoders with random frames and with valid frames mutated. Runs a bounded
//! number of cases in the suite; run longer with
//! `PROPTEST_CASES=200000 cargo test --release -p tickwire-protocol --test fuzz`.

use proptest::prelude::*;
use tickwire_protocol::codec::{MAX_CLIENT_FRAME, encode};
use tickwire_protocol::messages::*;
use tickwire_protocol::{
    InputValues, Layout, Schema, SnapshotBody, WorldState, decode_client, decode_server,
};

tickwire_protocol::replicated! {
    struct Body { x: Predicted("vx"), y: Predicted("vy"), vx: Delta, vy: Delta }
}

fn layout() -> Layout {
    let schema = Schema {
        game: "fuzz".into(),
        components: vec![<Body as tickwire_protocol::Replicate>::schema()],
        input: vec![],
    };
    Layout::new(&schema).expect("valid")
}

fn seeds() -> Vec<Vec<u8>> {
    let layout = layout();
    let mut world = WorldState {
        tick: 90,
        ..Default::default()
    };
    for i in 1..6 {
        let at = world.push(layout.stride, i);
        world.set(&layout, at, 0, &[i as i32 * 300, i as i32 * 300, 5, -5]);
    }
    let mut moved = world.clone();
    moved.tick = 93;
    moved.values[4 * 2] = 9;
    let input = Input {
        seq: 77,
        client_tick: 80,
        ack: 60,
        values: InputValues::new(&[127, -3]),
    };
    vec![
        encode(&ClientMsg::Hello {
            protocol_version: 2,
            name: "fuzz".into(),
            resume: Some([7; 16]),
        }),
        encode(&ClientMsg::CreateLobby {
            game: "arena".into(),
            name: "room".into(),
            map: "arena".into(),
            max_players: 8,
            private: true,
        }),
        encode(&ClientMsg::JoinLobby {
            target: LobbyTarget::Code("ABCDEF".into()),
            schema: Some(7),
        }),
        encode(&ClientMsg::Input(input)),
        encode(&ClientMsg::Ping { client_time: 5 }),
        encode(&ServerMsg::Snapshot(Snapshot {
            last_input_seq: 4,
            body: SnapshotBody::diff(&layout, None, &world),
        })),
        encode(&ServerMsg::Snapshot(Snapshot {
            last_input_seq: 4,
            body: SnapshotBody::diff(&layout, Some(&world), &moved),
        })),
        encode(&ServerMsg::Roster {
            host: 1,
            players: vec![PlayerInfo {
                client_id: 1,
                entity: 2,
                name: "a".into(),
                connected: false,
            }],
        }),
        encode(&ServerMsg::Error {
            code: ErrorCode::LobbyFull,
            message: "full".into(),
        }),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u8),
                Just(250),
                Just(251),
                Just(252),
                Just(253),
                Just(254),
                Just(255),
                any::<u8>()
            ]
        )
            .prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, ops: &[Mutation]) -> Vec<u8> {
    for op in ops {
        let n = bytes.len().max(1);
        match *op {
            Mutation::Flip(i, b) => {
                if let Some(x) = bytes.get_mut(i % n) {
                    *x ^= b;
                }
            }
            Mutation::Set(i, b) => {
                if let Some(x) = bytes.get_mut(i % n) {
                    *x = b;
                }
            }
            Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
            Mutation::Remove(i) => {
                if !bytes.is_empty() {
                    bytes.remove(i % n);
                }
            }
            Mutation::Truncate(i) => bytes.truncate(i % n),
        }
    }
    bytes
}

/// Whatever decodes re-encodes to bytes that decode to the same value.
fn check(frame: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(msg) = decode_client(frame) {
        prop_assert_eq!(decode_client(&encode(&msg)).ok(), Some(msg));
    }
    if let Ok(msg) = decode_server(frame) {
        prop_assert_eq!(decode_server(&encode(&msg)).ok(), Some(msg.clone()));
        if let ServerMsg::Snapshot(s) = msg {
            // Applying a corrupt body to any world fails cleanly or wraps; it never panics.
            let layout = layout();
            let base = WorldState {
                tick: s.body.baseline.unwrap_or(0),
                ..Default::default()
            };
            let _ = s.body.apply(&layout, Some(&base));
            let _ = s.body.apply(&layout, None);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_frames_never_panic(seed in any::<prop::sample::Index>(), ops in proptest::collection::vec(mutation(), 1..6)) {
        let seeds = seeds();
        let frame = mutate(seed.get(&seeds).clone(), &ops);
        check(&frame)?;
    }

    #[test]
    fn random_frames_never_panic(frame in proptest::collection::vec(any::<u8>(), 0..600)) {
        check(&frame)?;
    }
}

#[test]
fn huge_declared_lengths_fail_without_allocating() {
    // CreateLobby whose name claims 2^60 bytes: refused by the decode limit, not allocated.
    let mut frame = vec![2u8, 253];
    frame.extend_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(decode_client(&frame).is_err());
    // A snapshot claiming a billion spawns in a few bytes.
    let mut frame = vec![5u8, 0, 10, 0, 252];
    frame.extend_from_slice(&1_000_000_000u32.to_le_bytes());
    assert!(decode_server(&frame).is_err());
    assert!(decode_client(&vec![0u8; MAX_CLIENT_FRAME + 1]).is_err());
}
