//! Property tests: any delta between two worlds, encoded and decoded, rebuilds the target.

use glam::IVec2;
use proptest::prelude::*;
use tickwire_protocol::codec::{CONFIG, encode};
use tickwire_protocol::{EntityKind, EntityState, SnapshotBody, WorldState};

fn state() -> impl Strategy<Value = EntityState> {
    (any::<bool>(), 0u32..100, any::<[i32; 4]>(), 0u32..1000).prop_map(|(p, owner, v, score)| {
        EntityState {
            kind: if p {
                EntityKind::Player
            } else {
                EntityKind::Orb
            },
            owner,
            pos: IVec2::new(v[0], v[1]),
            vel: IVec2::new(v[2] % 4096, v[3] % 4096),
            score,
        }
    })
}

fn world(tick: u32) -> impl Strategy<Value = WorldState> {
    proptest::collection::btree_map(1u32..200, state(), 0..40).prop_map(move |m| WorldState {
        tick,
        entities: m.into_iter().collect(),
    })
}

/// Worlds that share ids the way a lobby's consecutive ticks do.
fn related_pair() -> impl Strategy<Value = (WorldState, WorldState)> {
    (1u32..1000, 1u32..80).prop_flat_map(|(t, age)| {
        (
            world(t),
            world(t + age),
            proptest::collection::vec(any::<bool>(), 200),
        )
            .prop_map(|(a, mut b, keep)| {
                // Keep some baseline entities (same kind and owner) alive in the target.
                for (id, s) in &a.entities {
                    if keep[*id as usize] {
                        let mut moved = *s;
                        moved.pos += IVec2::new(3, -2);
                        match b.entities.binary_search_by_key(id, |(i, _)| *i) {
                            Ok(i) => b.entities[i].1 = moved,
                            Err(i) => b.entities.insert(i, (*id, moved)),
                        }
                    }
                }
                (a, b)
            })
    })
}

fn roundtrip(body: &SnapshotBody) -> SnapshotBody {
    let bytes = encode(body);
    let (decoded, used): (SnapshotBody, usize) =
        bincode::decode_from_slice(&bytes, CONFIG).expect("decodes");
    assert_eq!(used, bytes.len());
    decoded
}

proptest! {
    #[test]
    fn delta_rebuilds_target((base, target) in related_pair()) {
        let body = SnapshotBody::diff(Some(&base), &target);
        let decoded = roundtrip(&body);
        prop_assert_eq!(&decoded, &body);
        prop_assert_eq!(decoded.apply(Some(&base)).expect("applies"), target);
    }

    #[test]
    fn full_rebuilds_target(target in world(77)) {
        let body = SnapshotBody::diff(None, &target);
        prop_assert_eq!(body.spawns.len(), target.entities.len());
        prop_assert_eq!(roundtrip(&body).apply(None).expect("applies"), target);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = tickwire_protocol::decode_client(&bytes);
        let _ = tickwire_protocol::decode_server(&bytes);
    }
}

#[test]
fn steady_motion_costs_nothing() {
    let s = |x: i32| EntityState {
        kind: EntityKind::Player,
        owner: 1,
        pos: IVec2::new(x, 50),
        vel: IVec2::new(10, 0),
        score: 0,
    };
    let base = WorldState {
        tick: 10,
        entities: vec![(1, s(100))],
    };
    let now = WorldState {
        tick: 14,
        entities: vec![(1, s(140))],
    };
    let body = SnapshotBody::diff(Some(&base), &now);
    assert!(body.updates.is_empty());
    assert_eq!(body.apply(Some(&base)).expect("applies"), now);
    assert_eq!(encode(&body).len(), 5, "tick, age and three empty counts");
}

#[test]
fn an_entity_that_halts_with_velocity_is_corrected() {
    // The server applied no input this tick: same state, velocity still set. The receiver
    // would predict it a step ahead without an update.
    let s = EntityState {
        kind: EntityKind::Player,
        owner: 1,
        pos: IVec2::new(1730, 1600),
        vel: IVec2::new(52, 0),
        score: 0,
    };
    let base = WorldState {
        tick: 171,
        entities: vec![(41, s)],
    };
    let now = WorldState {
        tick: 172,
        entities: vec![(41, s)],
    };
    let body = SnapshotBody::diff(Some(&base), &now);
    assert_eq!(body.apply(Some(&base)).expect("applies"), now);
}

#[test]
fn wrong_baseline_is_refused() {
    let base = WorldState {
        tick: 10,
        entities: vec![],
    };
    let other = WorldState {
        tick: 11,
        entities: vec![],
    };
    let body = SnapshotBody::diff(
        Some(&base),
        &WorldState {
            tick: 12,
            entities: vec![],
        },
    );
    assert!(body.apply(Some(&other)).is_err());
    assert!(body.apply(None).is_err());
}
