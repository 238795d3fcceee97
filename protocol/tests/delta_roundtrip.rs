//! Property tests of the delta codec for any schema: random schemas (component sets, field
//! codecs), random worlds that spawn, despawn, add and remove components and change fields,
//! and random baselines a client holds; every body, encoded, decoded and applied, rebuilds
//! the server's world exactly. Plus the properties the wire's size depends on.

use proptest::prelude::*;
use tickwire_protocol::codec::{CONFIG, encode};
use tickwire_protocol::schema::{ComponentSchema, FieldCodec, FieldSchema, Schema};
use tickwire_protocol::{DeltaEncoder, Layout, SnapshotBody, WorldState};

fn codec(fields: usize) -> impl Strategy<Value = FieldCodec> {
    let velocity = 0..fields.max(1);
    prop_oneof![
        Just(FieldCodec::Absolute),
        Just(FieldCodec::Delta),
        velocity.prop_map(|v| FieldCodec::Predicted { velocity: v as u8 }),
        (1usize..5).prop_map(|n| FieldCodec::Enum {
            variants: (0..n).map(|i| format!("v{i}")).collect()
        }),
        (1usize..6).prop_map(|n| FieldCodec::Flags {
            names: (0..n).map(|i| format!("f{i}")).collect()
        }),
    ]
}

fn component(id: usize) -> impl Strategy<Value = ComponentSchema> {
    (0usize..6)
        .prop_flat_map(|n| (0..n).map(|_| codec(n)).collect::<Vec<_>>())
        .prop_map(move |codecs| ComponentSchema {
            name: format!("C{id}"),
            fields: codecs
                .into_iter()
                .enumerate()
                .map(|(i, codec)| FieldSchema {
                    name: format!("f{i}"),
                    codec,
                })
                .collect(),
        })
}

/// A random valid schema: a predicted field's velocity is never itself predicted.
fn schema() -> impl Strategy<Value = Schema> {
    (1usize..6)
        .prop_flat_map(|n| (0..n).map(component).collect::<Vec<_>>())
        .prop_map(|mut components| {
            for c in &mut components {
                let predicted: Vec<bool> = c
                    .fields
                    .iter()
                    .map(|f| matches!(f.codec, FieldCodec::Predicted { .. }))
                    .collect();
                for (i, f) in c.fields.iter_mut().enumerate() {
                    if let FieldCodec::Predicted { velocity } = f.codec
                        && (predicted[usize::from(velocity)] || usize::from(velocity) == i)
                    {
                        f.codec = FieldCodec::Delta;
                    }
                }
            }
            Schema {
                game: "random".into(),
                components,
                input: vec![],
            }
        })
        .prop_filter("valid", |s| s.validate().is_ok())
}

/// A value field `index` may hold (Enum and Flags are bounded), from a random number.
fn fit(layout: &Layout, index: usize, raw: i32) -> i32 {
    if layout.allows(index, raw) {
        return raw;
    }
    (0..64)
        .rev()
        .find(|v| layout.allows(index, *v))
        .map_or(0, |max| raw.rem_euclid(max + 1))
}

/// One tick of random change: despawns, spawns, presence flips and field changes, with
/// predicted fields mostly moving at their velocity (the case the codec makes free).
fn step(
    layout: &Layout,
    prev: &WorldState,
    next_id: &mut u32,
    ops: &[(u8, u32, i32)],
) -> WorldState {
    let stride = layout.stride;
    let all = (1u32 << layout.components.len()) - 1;
    let mut w = WorldState {
        tick: prev.tick + 1,
        ..Default::default()
    };
    for i in 0..prev.len() {
        let op = ops[i % ops.len()];
        if op.0 == 0 {
            continue; // despawned
        }
        let at = w.push(stride, prev.ids[i]);
        let mut p = prev.presence[i];
        if op.0 == 1 {
            p ^= op.1 & all;
        }
        w.presence[at] = p;
        let row = prev.row(stride, i).to_vec();
        for (k, rule) in layout.rules.iter().enumerate() {
            let on = layout
                .components
                .iter()
                .enumerate()
                .any(|(c, (o, l))| p & (1 << c) != 0 && (*o..o + l).contains(&k));
            let v = if !on {
                0
            } else if op.0 == 2 && (op.1 as usize) % stride.max(1) == k {
                fit(layout, k, op.2)
            } else if let tickwire_protocol::world::FieldRule::Predicted { velocity } = rule {
                row[k].wrapping_add(row[*velocity])
            } else {
                row[k]
            };
            w.values[at * stride + k] = v;
        }
    }
    for op in ops.iter().filter(|o| o.0 == 3) {
        *next_id += 1 + op.1 % 3;
        let at = w.push(stride, *next_id);
        w.presence[at] = op.1 & all;
        for k in 0..stride {
            let on = layout
                .components
                .iter()
                .enumerate()
                .any(|(c, (o, l))| w.presence[at] & (1 << c) != 0 && (*o..o + l).contains(&k));
            w.values[at * stride + k] = if on {
                fit(layout, k, op.2.wrapping_mul(k as i32 + 1) % 5000)
            } else {
                0
            };
        }
    }
    w
}

fn roundtrip(bytes: &[u8]) -> SnapshotBody {
    let (body, used): (SnapshotBody, usize) =
        bincode::decode_from_slice(bytes, CONFIG).expect("an encoded body decodes");
    assert_eq!(used, bytes.len());
    assert_eq!(
        encode(&body),
        bytes,
        "decode then encode gives the same bytes"
    );
    body
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_client_rebuilds_the_server_world(
        schema in schema(),
        ticks in proptest::collection::vec(proptest::collection::vec((0u8..5, any::<u32>(), any::<i32>()), 1..8), 1..25),
        acks in proptest::collection::vec(any::<prop::sample::Index>(), 25),
    ) {
        let layout = Layout::new(&schema).expect("valid schema");
        let mut next_id = 0;
        let mut server = vec![WorldState::default()];
        for ops in &ticks {
            let w = step(&layout, server.last().expect("a world"), &mut next_id, ops);
            server.push(w);
        }
        // The client holds every world it rebuilt; each tick the server picks one of them
        // (or none: a full snapshot) as the baseline.
        let mut held: Vec<WorldState> = Vec::new();
        let mut encoder = DeltaEncoder::default();
        for (t, cur) in server.iter().enumerate().skip(1) {
            let base = if held.is_empty() { None } else {
                let i = acks[t % acks.len()].index(held.len() + 1);
                held.get(i)
            };
            let mut bytes = Vec::new();
            encoder.encode(&layout, base, cur, &mut bytes);
            let body = roundtrip(&bytes);
            let rebuilt = body.apply(&layout, base).expect("applies to its baseline");
            prop_assert_eq!(&rebuilt, cur);
            held.push(rebuilt);
        }
    }

    #[test]
    fn random_bodies_never_panic(schema in schema(), bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let layout = Layout::new(&schema).expect("valid schema");
        if let Ok((body, _)) = bincode::decode_from_slice::<SnapshotBody, _>(&bytes, CONFIG.with_limit::<4096>()) {
            let _ = body.apply(&layout, None);
            let base = WorldState { tick: body.baseline.unwrap_or(0), ..Default::default() };
            let _ = body.apply(&layout, Some(&base));
        }
    }
}

tickwire_protocol::replicated! {
    struct Body {
        x: Predicted("vx"),
        y: Predicted("vy"),
        vx: Delta,
        vy: Delta,
    }
}

fn body_schema() -> (Schema, Layout) {
    let schema = Schema {
        game: "t".into(),
        components: vec![<Body as tickwire_protocol::Replicate>::schema()],
        input: vec![],
    };
    let layout = Layout::new(&schema).expect("valid");
    (schema, layout)
}

fn one(tick: u32, row: [i32; 4]) -> WorldState {
    WorldState {
        tick,
        ids: vec![7],
        presence: vec![1],
        values: row.to_vec(),
        changed: vec![],
    }
}

#[test]
fn steady_motion_costs_nothing() {
    let (_, layout) = body_schema();
    let base = one(10, [100, 200, 5, -3]);
    let cur = one(14, [120, 188, 5, -3]);
    let body = SnapshotBody::diff(&layout, Some(&base), &cur);
    assert!(body.updates.is_empty() && body.spawns.is_empty() && body.despawns.is_empty());
    assert_eq!(body.apply(&layout, Some(&base)).expect("applies"), cur);
}

#[test]
fn a_halt_costs_its_velocity_change_only() {
    let (_, layout) = body_schema();
    let base = one(10, [100, 200, 5, 0]);
    let cur = one(11, [100, 200, 0, 0]);
    let mut bytes = Vec::new();
    DeltaEncoder::default().encode(&layout, Some(&base), &cur, &mut bytes);
    // tick, age, no spawns, no despawns, one update: gap, mask (vx: field 2, shifted past
    // the presence flag), -5. Its position is predicted with the new velocity, 0.
    assert_eq!(bytes, [11, 1, 0, 0, 1, 7, 0b1000, 9]);
    assert_eq!(
        roundtrip(&bytes)
            .apply(&layout, Some(&base))
            .expect("applies"),
        cur
    );
}

#[test]
fn wrong_baseline_is_refused() {
    let (_, layout) = body_schema();
    let base = one(10, [0; 4]);
    let body = SnapshotBody::diff(&layout, Some(&base), &one(12, [1, 0, 0, 0]));
    assert!(body.apply(&layout, None).is_err());
    assert!(body.apply(&layout, Some(&one(9, [0; 4]))).is_err());
}

#[test]
fn a_full_snapshot_of_most_of_the_frame_limit_decodes() {
    use tickwire_protocol::codec::MAX_SERVER_FRAME;
    use tickwire_protocol::messages::{ServerMsg, Snapshot};
    let (_, layout) = body_schema();
    let mut world = WorldState {
        tick: 9,
        ..Default::default()
    };
    // Every entity a one-byte gap, presence, mask and value: 4 bytes each.
    let n = (MAX_SERVER_FRAME - 64) / 4;
    for id in 1..=n as u32 {
        let at = world.push(layout.stride, id);
        world.set(&layout, at, 0, &[1, 0, 0, 0]);
    }
    let frame = encode(&ServerMsg::Snapshot(Snapshot {
        last_input_seq: 0,
        body: SnapshotBody::diff(&layout, None, &world),
    }));
    assert!(
        frame.len() > MAX_SERVER_FRAME * 9 / 10 && frame.len() <= MAX_SERVER_FRAME,
        "{}",
        frame.len()
    );
    let Ok(ServerMsg::Snapshot(s)) = tickwire_protocol::decode_server(&frame) else {
        panic!("a frame under the limit decodes");
    };
    assert_eq!(s.body.apply(&layout, None).expect("applies"), world);
}
