//! Golden vectors for the browser client: bytes and decoded values of every message, the
//! schema and its hash, scripted runs of snapshots for two schemas (motion, and every codec
//! with components coming and going), and movement trajectories. The committed files under
//! `client-web/test/vectors/` must equal what this code produces; the JavaScript tests
//! decode and replay them. Regenerate with `TICKWIRE_BLESS=1 cargo test -p tickwire-protocol --test golden`.

use std::path::PathBuf;

use glam::IVec2;
use serde_json::{Value, json};
use tickwire_protocol::codec::{MAX_CLIENT_FRAME, MAX_SERVER_FRAME, encode};
use tickwire_protocol::messages::*;
use tickwire_protocol::movement::{Aabb, Arena, Body, MoveInput, MoveParams, step};
use tickwire_protocol::schema::{ComponentSchema, FieldCodec, FieldSchema, InputField, Schema};
use tickwire_protocol::{InputValues, Layout, PROTOCOL_VERSION, SnapshotBody, WorldState};

fn check(file: &str, value: Value) {
    // Trajectories are long number lists: one line keeps the file small.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../client-web/test/vectors")
        .join(file);
    tickwire_protocol::golden::check(&path, &value, file.starts_with("trajectories"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn vector<T: bincode::Encode + serde::Serialize>(name: &str, msg: &T) -> Value {
    json!({ "name": name, "hex": hex(&encode(msg)), "value": msg })
}

fn arena() -> Arena {
    Arena {
        size: IVec2::new(1600, 1000) * 16,
        walls: vec![Aabb {
            min: IVec2::new(700, 400) * 16,
            max: IVec2::new(900, 440) * 16,
        }],
    }
}

fn field(name: &str, codec: FieldCodec) -> FieldSchema {
    FieldSchema {
        name: name.into(),
        codec,
    }
}

/// A moving-things schema: Body (predicted position), Score, and a field-less marker.
fn motion_schema() -> Schema {
    Schema {
        game: "motion".into(),
        components: vec![
            ComponentSchema {
                name: "Body".into(),
                fields: vec![
                    field("x", FieldCodec::Predicted { velocity: 2 }),
                    field("y", FieldCodec::Predicted { velocity: 3 }),
                    field("vx", FieldCodec::Delta),
                    field("vy", FieldCodec::Delta),
                ],
            },
            ComponentSchema {
                name: "Score".into(),
                fields: vec![field("points", FieldCodec::Absolute)],
            },
            ComponentSchema {
                name: "Marker".into(),
                fields: vec![],
            },
        ],
        input: vec![
            InputField {
                name: "x".into(),
                min: -127,
                max: 127,
            },
            InputField {
                name: "y".into(),
                min: -127,
                max: 127,
            },
        ],
    }
}

/// Every codec, and enough fields (40) that field masks need more than 32 bits.
fn codecs_schema() -> Schema {
    let wide = (0..33)
        .map(|i| field(&format!("w{i}"), FieldCodec::Delta))
        .collect();
    Schema {
        game: "codecs".into(),
        components: vec![
            ComponentSchema {
                name: "Kinds".into(),
                fields: vec![
                    field(
                        "team",
                        FieldCodec::Enum {
                            variants: vec!["red".into(), "blue".into(), "green".into()],
                        },
                    ),
                    field(
                        "state",
                        FieldCodec::Flags {
                            names: vec!["alive".into(), "shielded".into(), "firing".into()],
                        },
                    ),
                    field("level", FieldCodec::Absolute),
                ],
            },
            ComponentSchema {
                name: "Timer".into(),
                fields: vec![
                    field("left", FieldCodec::Predicted { velocity: 1 }),
                    field("rate", FieldCodec::Absolute),
                ],
            },
            ComponentSchema {
                name: "Wide".into(),
                fields: wide,
            },
            ComponentSchema {
                name: "Tag".into(),
                fields: vec![field("n", FieldCodec::Absolute)],
            },
        ],
        input: vec![InputField {
            name: "fire".into(),
            min: 0,
            max: 1,
        }],
    }
}

fn joined(schema: &Schema) -> Joined {
    Joined {
        lobby: lobby_info(),
        code: "KQ7XZM".into(),
        private: true,
        entity: 7,
        tick: 4242,
        schema: schema.clone(),
        schema_hash: schema.hash(),
        config: r#"{"map":{"name":"arena"}}"#.into(),
    }
}

fn lobby_info() -> LobbyInfo {
    LobbyInfo {
        id: 300,
        game: "motion".into(),
        name: "Friday night".into(),
        map: "arena".into(),
        players: 3,
        max_players: 16,
        host: "Ada ✨".into(),
    }
}

#[test]
fn messages() {
    let client = [
        (
            "hello",
            ClientMsg::Hello {
                protocol_version: PROTOCOL_VERSION,
                name: "Ada ✨".into(),
                resume: None,
            },
        ),
        (
            "hello_resume",
            ClientMsg::Hello {
                protocol_version: PROTOCOL_VERSION,
                name: "Ada".into(),
                resume: Some([
                    0, 1, 2, 3, 250, 251, 252, 253, 254, 255, 16, 32, 64, 128, 7, 9,
                ]),
            },
        ),
        ("list_lobbies", ClientMsg::ListLobbies),
        (
            "create_lobby",
            ClientMsg::CreateLobby {
                game: "motion".into(),
                name: "Friday night".into(),
                map: "arena".into(),
                max_players: 16,
                private: true,
            },
        ),
        (
            "join_by_id",
            ClientMsg::JoinLobby {
                target: LobbyTarget::Id(300),
                schema: None,
            },
        ),
        (
            "join_by_code_with_schema",
            ClientMsg::JoinLobby {
                target: LobbyTarget::Code("KQ7XZM".into()),
                schema: Some(motion_schema().hash()),
            },
        ),
        (
            "join_by_ticket",
            ClientMsg::JoinLobby {
                target: LobbyTarget::Ticket([
                    255, 0, 17, 34, 51, 68, 85, 102, 119, 136, 153, 170, 187, 204, 221, 238,
                ]),
                schema: None,
            },
        ),
        (
            "quick_join",
            ClientMsg::QuickJoin {
                game: String::new(),
                schema: None,
            },
        ),
        (
            "quick_join_game",
            ClientMsg::QuickJoin {
                game: "motion".into(),
                schema: Some(1),
            },
        ),
        ("leave_lobby", ClientMsg::LeaveLobby),
        (
            "input",
            ClientMsg::Input(Input {
                seq: 70_000,
                client_tick: 69_990,
                ack: 300,
                values: InputValues::new(&[127, -128]),
            }),
        ),
        (
            "input_empty",
            ClientMsg::Input(Input {
                seq: 1,
                client_tick: 0,
                ack: 0,
                values: InputValues::new(&[]),
            }),
        ),
        (
            "ping",
            ClientMsg::Ping {
                client_time: 123_456,
            },
        ),
        ("request_full", ClientMsg::RequestFull),
    ];
    let server = [
        (
            "welcome",
            ServerMsg::Welcome {
                client_id: 42,
                server_version: "0.1.0".into(),
                tick_rate: 30,
                reconnect_token: [9; 16],
            },
        ),
        (
            "lobby_list",
            ServerMsg::LobbyList {
                lobbies: vec![
                    lobby_info(),
                    // An empty lobby in its grace period: no host.
                    LobbyInfo {
                        id: 301,
                        players: 0,
                        host: String::new(),
                        ..lobby_info()
                    },
                ],
            },
        ),
        (
            "joined",
            ServerMsg::Joined(Box::new(joined(&motion_schema()))),
        ),
        (
            "joined_codecs",
            ServerMsg::Joined(Box::new(joined(&codecs_schema()))),
        ),
        ("left", ServerMsg::Left),
        (
            "roster",
            ServerMsg::Roster {
                host: 42,
                players: vec![
                    PlayerInfo {
                        client_id: 42,
                        entity: 7,
                        name: "Ada ✨".into(),
                        connected: true,
                    },
                    PlayerInfo {
                        client_id: 43,
                        entity: 9,
                        name: "Bo".into(),
                        connected: false,
                    },
                ],
            },
        ),
        (
            "pong",
            ServerMsg::Pong {
                client_time: 123_456,
                server_tick: 9000,
                waited_us: 16_500,
            },
        ),
        (
            "error",
            ServerMsg::Error {
                code: ErrorCode::InvalidInput,
                message: "input field x is 300, outside -127..=127".into(),
            },
        ),
        (
            "redirect",
            ServerMsg::Redirect {
                url: "wss://node-2.game.example/ws".into(),
                ticket: Some([3; 16]),
            },
        ),
        (
            "redirect_resume",
            ServerMsg::Redirect {
                url: "ws://127.0.0.1:9002/ws".into(),
                ticket: None,
            },
        ),
    ];
    let codes: Vec<Value> = (0u32..21)
        .map(|i| {
            let code: ErrorCode =
                bincode::decode_from_slice(&encode(&i), tickwire_protocol::codec::CONFIG)
                    .expect("every code decodes")
                    .0;
            json!({ "index": i, "code": code })
        })
        .collect();
    let hashes: Vec<Value> = [motion_schema(), codecs_schema()]
        .iter()
        .map(|s| json!({ "schema_hex": hex(&encode(s)), "hash": s.hash().to_string() }))
        .collect();
    check(
        "messages.json",
        json!({
            // What a client must agree on before it sends anything: the JavaScript's
            // constants are checked against these.
            "limits": {
                "protocol_version": PROTOCOL_VERSION,
                "max_client_frame": MAX_CLIENT_FRAME,
                "max_server_frame": MAX_SERVER_FRAME,
                "max_name_chars": MAX_NAME_CHARS,
                "max_lobby_name_chars": MAX_LOBBY_NAME_CHARS,
                "min_players": MIN_PLAYERS,
                "max_players": MAX_PLAYERS,
            },
            "client": client.iter().map(|(n, m)| vector(n, m)).collect::<Vec<_>>(),
            "server": server.iter().map(|(n, m)| vector(n, m)).collect::<Vec<_>>(),
            "error_codes": codes,
            "schema_hashes": hashes,
        }),
    );
}

/// A world as JSON: entities with their present components' fields by name.
fn world_json(schema: &Schema, layout: &Layout, w: &WorldState) -> Value {
    let entities: Vec<Value> = (0..w.len())
        .map(|i| {
            let row = w.row(layout.stride, i);
            let mut components = serde_json::Map::new();
            for (c, cs) in schema.components.iter().enumerate() {
                if w.presence[i] & (1 << c) == 0 {
                    continue;
                }
                let (offset, _) = layout.components[c];
                let fields: serde_json::Map<String, Value> = cs
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(k, f)| (f.name.clone(), json!(row[offset + k])))
                    .collect();
                components.insert(cs.name.clone(), Value::Object(fields));
            }
            json!({ "id": w.ids[i], "components": components })
        })
        .collect();
    json!({ "tick": w.tick, "entities": entities })
}

/// An entity of a scripted world: its id and its components with their values.
type Scripted<'a> = (u32, &'a [(usize, &'a [i32])]);

/// Builds a world from scripted entities.
fn world(layout: &Layout, tick: u32, entities: &[Scripted<'_>]) -> WorldState {
    let mut w = WorldState {
        tick,
        ..Default::default()
    };
    for (id, comps) in entities {
        let at = w.push(layout.stride, *id);
        for (c, values) in *comps {
            w.set(layout, at, *c, values);
        }
    }
    w
}

fn motion_worlds(l: &Layout) -> Vec<WorldState> {
    let (body, score, marker) = (0, 1, 2);
    vec![
        world(
            l,
            100,
            &[
                (1, &[(body, &[1600, 1600, 0, 0]), (score, &[0])]),
                (2, &[(body, &[8000, 4000, 0, 0]), (score, &[3])]),
                (3, &[(body, &[3200, 6400, 0, 0]), (marker, &[])]),
            ],
        ),
        world(
            l,
            101,
            &[
                (1, &[(body, &[1653, 1600, 53, 0]), (score, &[0])]),
                (2, &[(body, &[8000, 4000, 0, 0]), (score, &[3])]),
                (3, &[(body, &[3200, 6400, 0, 0]), (marker, &[])]),
            ],
        ),
        world(
            l,
            102,
            &[
                (1, &[(body, &[1759, 1600, 106, 0]), (score, &[0])]),
                (2, &[(body, &[8000, 3947, 0, -53]), (score, &[3])]),
                (3, &[(body, &[3200, 6400, 0, 0]), (marker, &[])]),
            ],
        ),
        world(
            l,
            103,
            &[
                (1, &[(body, &[1919, 1600, 160, 0]), (score, &[0])]),
                (2, &[(body, &[8000, 3841, 0, -106]), (score, &[3])]),
                (3, &[(body, &[3200, 6400, 0, 0]), (marker, &[])]),
                (5, &[(body, &[-20, 300, -1, 2]), (score, &[70_000])]),
            ],
        ),
        world(
            l,
            104,
            &[
                (1, &[(body, &[2079, 1600, 160, 0]), (score, &[1])]),
                (2, &[(body, &[8000, 3681, 0, -160]), (score, &[3])]),
                (5, &[(body, &[-21, 302, -1, 2]), (score, &[70_000])]),
                (6, &[(body, &[20000, 12000, 0, 0]), (marker, &[])]),
            ],
        ),
        world(
            l,
            105,
            &[
                (1, &[(body, &[2239, 1600, 160, 0]), (score, &[1])]),
                (2, &[(body, &[8000, 3521, 0, -160]), (score, &[4])]),
                (6, &[(body, &[20000, 12000, 0, 0]), (marker, &[])]),
                (7, &[(body, &[800, 14734, 0, -160]), (score, &[0])]),
            ],
        ),
        world(
            l,
            106,
            &[
                (1, &[(body, &[2399, 1600, 160, 0]), (score, &[1])]),
                (2, &[(body, &[8000, 3500, 0, 0]), (score, &[4])]),
                (6, &[(body, &[20000, 12000, 0, 0]), (marker, &[])]),
                (7, &[(body, &[800, 14574, 0, -160]), (score, &[0])]),
            ],
        ),
    ]
}

fn codecs_worlds(l: &Layout) -> Vec<WorldState> {
    let (kinds, timer, wide, tag) = (0, 1, 2, 3);
    let w1: Vec<i32> = (0..33).map(|i| i * 100 - 1600).collect();
    let mut w2 = w1.clone();
    w2[0] += 1;
    w2[32] -= 70_000;
    vec![
        world(
            l,
            10,
            &[
                (4, &[(kinds, &[1, 0b101, -3]), (timer, &[900, -1])]),
                (9, &[(tag, &[5]), (wide, &w1)]),
            ],
        ),
        world(
            l,
            11,
            &[
                (4, &[(kinds, &[2, 0b001, -3]), (timer, &[899, -1])]),
                (9, &[(tag, &[5]), (wide, &w2)]),
            ],
        ),
        // Entity 4 loses its timer and gains a tag; 9 loses its wide component.
        world(
            l,
            12,
            &[
                (4, &[(kinds, &[2, 0b011, 7]), (tag, &[1])]),
                (9, &[(tag, &[6])]),
            ],
        ),
        world(
            l,
            14,
            &[
                (4, &[(kinds, &[0, 0, 7]), (tag, &[1]), (timer, &[30, 0])]),
                (9, &[(tag, &[6]), (wide, &w2)]),
            ],
        ),
    ]
}

fn scenario(
    name: &str,
    schema: &Schema,
    worlds: &[WorldState],
    plan: &[(u32, Option<u32>, u32)],
) -> Value {
    let layout = Layout::new(schema).expect("valid schema");
    let at = |tick: u32| {
        worlds
            .iter()
            .find(|w| w.tick == tick)
            .expect("tick in scenario")
    };
    let snapshots: Vec<Value> = plan
        .iter()
        .map(|&(tick, baseline, seq)| {
            let base = baseline.map(at);
            let body = SnapshotBody::diff(&layout, base, at(tick));
            let rebuilt = body.apply(&layout, base).expect("scenario applies");
            assert_eq!(&rebuilt, at(tick));
            let values: Vec<Value> = body
                .spawns
                .iter()
                .chain(&body.updates)
                .map(|r| json!(r.values(&body)))
                .collect();
            let frame = ServerMsg::Snapshot(Snapshot {
                last_input_seq: seq,
                body,
            });
            let mut value = serde_json::to_value(&frame).expect("json");
            // Records carry their values inline in the JSON (the Rust body keeps them in one list).
            let mut values = values.into_iter();
            for list in ["spawns", "updates"] {
                if let Some(records) = value["body"][list].as_array_mut() {
                    for r in records {
                        r["values"] = values.next().unwrap_or_default();
                    }
                }
            }
            json!({
                "name": format!("tick {tick} on {baseline:?}"),
                "tick": tick,
                "baseline": baseline,
                "hex": hex(&encode(&frame)),
                "value": value,
                "world": world_json(schema, &layout, &rebuilt),
            })
        })
        .collect();
    json!({ "name": name, "schema": schema, "snapshots": snapshots })
}

#[test]
fn snapshots() {
    let motion = motion_schema();
    let codecs = codecs_schema();
    let ml = Layout::new(&motion).expect("valid");
    let cl = Layout::new(&codecs).expect("valid");
    // (tick, baseline tick, last_input_seq)
    let motion_plan = [
        (100, None, 0),
        (101, Some(100), 1),
        (102, Some(101), 2),
        (103, Some(101), 3),
        (104, Some(102), 4),
        (105, Some(103), 5),
        (105, None, 5),
        (106, Some(105), 5),
    ];
    let codecs_plan = [
        (10, None, 0),
        (11, Some(10), 1),
        (12, Some(11), 2),
        (14, Some(11), 3),
        (14, None, 3),
    ];
    check(
        "snapshots.json",
        json!({ "scenarios": [
            scenario("motion", &motion, &motion_worlds(&ml), &motion_plan),
            scenario("codecs", &codecs, &codecs_worlds(&cl), &codecs_plan),
        ]}),
    );
}

/// Scripted sticks, held 1 to 20 inputs each.
fn scripted_inputs(seed: u32, n: usize) -> Vec<(i8, i8)> {
    tickwire_protocol::golden::scripted(seed, n, 20, |next| match next() % 5 {
        0 => (0, 0),
        1 => (127, 0),
        2 => (-128, 127),
        _ => ((next() % 256) as u8 as i8, (next() % 256) as u8 as i8),
    })
}

#[test]
fn trajectories() {
    let arena = arena();
    let cases = [
        (
            "corner_run_30hz",
            30,
            IVec2::new(50, 50) * 16,
            vec![(-128, -128); 20],
        ),
        (
            "into_wall_from_left",
            30,
            IVec2::new(640, 420) * 16,
            vec![(127, 0); 40],
        ),
        (
            "into_wall_from_below",
            60,
            IVec2::new(800, 520) * 16,
            vec![(0, -127); 80],
        ),
        (
            "diagonal_slide_along_wall",
            20,
            IVec2::new(650, 300) * 16,
            vec![(100, 127); 60],
        ),
        (
            "scripted_random_30hz",
            30,
            IVec2::new(800, 600) * 16,
            scripted_inputs(7, 900),
        ),
        (
            "scripted_random_120hz",
            120,
            IVec2::new(300, 800) * 16,
            scripted_inputs(11, 900),
        ),
    ];
    let mut out = Vec::new();
    for (name, hz, start, inputs) in cases {
        let params = MoveParams::from_rules(300, 3000, 16, hz);
        let mut body = Body {
            pos: start,
            vel: IVec2::ZERO,
        };
        let mut states = Vec::with_capacity(inputs.len());
        for &(x, y) in &inputs {
            step(
                &mut body,
                MoveInput::stick(i32::from(x), i32::from(y)),
                &params,
                &arena,
            );
            states.push([body.pos.x, body.pos.y, body.vel.x, body.vel.y]);
        }
        out.push(json!({ "name": name, "tick_rate": hz, "params": params, "start": start, "inputs": inputs, "states": states }));
    }
    let map = json!({ "name": "arena", "width": arena.size.x, "height": arena.size.y, "walls": arena.walls });
    check("trajectories.json", json!({ "map": map, "cases": out }));
}
