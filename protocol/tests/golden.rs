//! Golden vectors for the browser client: bytes and decoded values of every message, a
//! scripted run of snapshots, and movement trajectories. The committed files under
//! `client-web/test/vectors/` must equal what this code produces; the JavaScript tests
//! decode and replay them. Regenerate with `TICKWIRE_BLESS=1 cargo test -p tickwire-protocol --test golden`.

use std::path::PathBuf;

use glam::IVec2;
use serde_json::{Value, json};
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::*;
use tickwire_protocol::movement::{Aabb, Arena, Body, MoveInput, MoveParams, step};
use tickwire_protocol::{EntityKind, EntityState, SnapshotBody, WorldState};

fn check(file: &str, value: Value) {
    // Trajectories are long number lists: one line keeps the file small.
    let pretty = !file.starts_with("trajectories");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../client-web/test/vectors")
        .join(file);
    let text = if pretty {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    }
    .expect("json")
        + "\n";
    if std::env::var_os("TICKWIRE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, text).expect("write vectors");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} differs from what the protocol produces; if the change is intended, rerun with TICKWIRE_BLESS=1 and update the JavaScript codec",
        path.display()
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn vector<T: bincode::Encode + serde::Serialize>(name: &str, msg: &T) -> Value {
    json!({ "name": name, "hex": hex(&encode(msg)), "value": msg })
}

fn map() -> MapData {
    MapData {
        name: "arena".into(),
        width: 1600 * 16,
        height: 1000 * 16,
        walls: vec![Aabb {
            min: IVec2::new(700, 400) * 16,
            max: IVec2::new(900, 440) * 16,
        }],
        orb_radius: 10 * 16,
    }
}

#[test]
fn messages() {
    let client = [
        (
            "hello",
            ClientMsg::Hello {
                protocol_version: tickwire_protocol::PROTOCOL_VERSION,
                name: "Ada ✨".into(),
                resume: None,
            },
        ),
        (
            "hello_resume",
            ClientMsg::Hello {
                protocol_version: tickwire_protocol::PROTOCOL_VERSION,
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
            },
        ),
        (
            "join_by_code",
            ClientMsg::JoinLobby {
                target: LobbyTarget::Code("KQ7XZM".into()),
            },
        ),
        ("quick_join", ClientMsg::QuickJoin),
        ("leave_lobby", ClientMsg::LeaveLobby),
        (
            "input",
            ClientMsg::Input(Input {
                seq: 70000,
                client_tick: 251,
                movement: MoveInputWire { x: -127, y: 90 },
                buttons: 1,
                ack: 65535,
            }),
        ),
        (
            "input_min_stick",
            ClientMsg::Input(Input {
                seq: 1,
                client_tick: 0,
                movement: MoveInputWire { x: -128, y: 127 },
                buttons: 0,
                ack: 0,
            }),
        ),
        (
            "ping",
            ClientMsg::Ping {
                client_time: 4_000_000_000,
            },
        ),
        ("request_full", ClientMsg::RequestFull),
    ];
    let lobby = LobbyInfo {
        id: 3,
        name: "Friday night".into(),
        map: "arena".into(),
        players: 2,
        max_players: 16,
    };
    let mut server = vec![
        (
            "welcome",
            ServerMsg::Welcome {
                client_id: 42,
                server_version: "0.1.0".into(),
                tick_rate: 30,
                reconnect_token: [
                    255, 0, 17, 34, 51, 68, 85, 102, 119, 136, 153, 170, 187, 204, 221, 238,
                ],
            },
        ),
        (
            "lobby_list",
            ServerMsg::LobbyList {
                lobbies: vec![
                    lobby.clone(),
                    LobbyInfo {
                        id: 9,
                        name: "b".into(),
                        map: "arena".into(),
                        players: 0,
                        max_players: 64,
                    },
                ],
            },
        ),
        (
            "joined",
            ServerMsg::Joined(Box::new(Joined {
                lobby: lobby.clone(),
                code: "KQ7XZM".into(),
                private: false,
                entity: 5,
                tick: 1234,
                map: map(),
                movement: MoveParams::from_rules(300, 3000, 16, 30),
            })),
        ),
        ("left", ServerMsg::Left),
        (
            "roster",
            ServerMsg::Roster {
                host: 42,
                players: vec![
                    PlayerInfo {
                        client_id: 42,
                        entity: 5,
                        name: "Ada ✨".into(),
                        connected: true,
                    },
                    PlayerInfo {
                        client_id: 43,
                        entity: 6,
                        name: "Bo".into(),
                        connected: false,
                    },
                ],
            },
        ),
        (
            "pong",
            ServerMsg::Pong {
                client_time: 123456,
                server_tick: 99,
            },
        ),
    ];
    let codes = [
        ErrorCode::BadVersion,
        ErrorCode::Malformed,
        ErrorCode::TooLarge,
        ErrorCode::BadHandshake,
        ErrorCode::UnknownLobby,
        ErrorCode::LobbyFull,
        ErrorCode::NotInLobby,
        ErrorCode::AlreadyInLobby,
        ErrorCode::InvalidName,
        ErrorCode::UnknownMap,
        ErrorCode::InvalidMaxPlayers,
        ErrorCode::RateLimited,
        ErrorCode::ServerFull,
        ErrorCode::LobbyClosed,
        ErrorCode::ShuttingDown,
        ErrorCode::Internal,
        ErrorCode::ResumeRefused,
    ];
    for code in codes {
        server.push((
            "error",
            ServerMsg::Error {
                code,
                message: format!("{code:?}"),
            },
        ));
    }
    check(
        "messages.json",
        json!({
            "client": client.iter().map(|(n, m)| vector(n, m)).collect::<Vec<_>>(),
            "server": server.iter().map(|(n, m)| vector(n, m)).collect::<Vec<_>>(),
        }),
    );
}

fn player(owner: u32, pos: (i32, i32), vel: (i32, i32), score: u32) -> EntityState {
    EntityState {
        kind: EntityKind::Player,
        owner,
        pos: IVec2::new(pos.0, pos.1),
        vel: IVec2::new(vel.0, vel.1),
        score,
    }
}

fn world_json(w: &WorldState) -> Value {
    json!({
        "tick": w.tick,
        "entities": w.entities.iter().map(|(id, s)| json!({
            "id": id, "kind": s.kind, "owner": s.owner, "pos": s.pos, "vel": s.vel, "score": s.score,
        })).collect::<Vec<_>>(),
    })
}

/// A scripted lobby: spawns, steady motion, acceleration, a pickup, a leave and a join.
fn scenario() -> Vec<WorldState> {
    let orb = |x, y| EntityState::orb(IVec2::new(x, y));
    vec![
        WorldState {
            tick: 100,
            entities: vec![
                (1, player(42, (1600, 1600), (0, 0), 0)),
                (2, player(43, (8000, 4000), (0, 0), 3)),
                (3, orb(3200, 3200)),
                (4, orb(20000, 12000)),
            ],
        },
        WorldState {
            tick: 101,
            entities: vec![
                (1, player(42, (1760, 1600), (160, 0), 0)),
                (2, player(43, (7894, 4000), (-106, 0), 3)),
                (3, orb(3200, 3200)),
                (4, orb(20000, 12000)),
            ],
        },
        WorldState {
            tick: 102,
            entities: vec![
                (1, player(42, (1920, 1600), (160, 0), 0)),
                (2, player(43, (7734, 4000), (-160, 0), 3)),
                (3, orb(3200, 3200)),
                (4, orb(20000, 12000)),
            ],
        },
        WorldState {
            tick: 103,
            entities: vec![
                (1, player(42, (2080, 1600), (160, 0), 1)),
                (2, player(43, (7574, 4000), (-160, 0), 3)),
                (3, orb(15000, 2100)),
                (4, orb(20000, 12000)),
            ],
        },
        WorldState {
            tick: 104,
            entities: vec![
                (1, player(42, (2240, 1706), (160, 106), 1)),
                (3, orb(15000, 2100)),
                (4, orb(20000, 12000)),
                (7, player(44, (800, 15000), (0, 0), 0)),
            ],
        },
        WorldState {
            tick: 105,
            entities: vec![
                (1, player(42, (2400, 1866), (160, 160), 1)),
                (3, orb(15000, 2100)),
                (4, orb(20000, 12000)),
                (7, player(44, (800, 14894), (0, -106), 0)),
            ],
        },
        // Player 1 had no input this tick: it holds its place with its velocity unchanged.
        WorldState {
            tick: 106,
            entities: vec![
                (1, player(42, (2400, 1866), (160, 160), 1)),
                (3, orb(15000, 2100)),
                (4, orb(20000, 12000)),
                (7, player(44, (800, 14734), (0, -160), 0)),
            ],
        },
    ]
}

#[test]
fn snapshots() {
    let worlds = scenario();
    let at = |tick: u32| {
        worlds
            .iter()
            .find(|w| w.tick == tick)
            .expect("tick in scenario")
    };
    // (tick, baseline tick, last_input_seq)
    let plan = [
        (100, None, 0),
        (101, Some(100), 1),
        (102, Some(101), 2),
        (103, Some(101), 3),
        (104, Some(102), 4),
        (105, Some(103), 5),
        (105, None, 5),
        (106, Some(105), 5),
    ];
    let mut out = Vec::new();
    for (tick, baseline, seq) in plan {
        let base = baseline.map(at);
        let body = SnapshotBody::diff(base, at(tick));
        let rebuilt = body.apply(base).expect("scenario applies");
        assert_eq!(&rebuilt, at(tick));
        let frame = ServerMsg::Snapshot(Snapshot {
            last_input_seq: seq,
            body,
        });
        out.push(json!({
            "tick": tick,
            "baseline": baseline,
            "hex": hex(&encode(&frame)),
            "value": frame,
            "world": world_json(&rebuilt),
        }));
    }
    check(
        "snapshots.json",
        json!({ "worlds": worlds.iter().map(world_json).collect::<Vec<_>>(), "snapshots": out }),
    );
}

/// Deterministic inputs without a dependency: a small LCG, holding each stick for a while.
fn scripted_inputs(seed: u32, n: usize) -> Vec<(i8, i8)> {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        s >> 8
    };
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let stick = match next() % 5 {
            0 => (0, 0),
            1 => (127, 0),
            2 => (-128, 127),
            _ => ((next() % 256) as u8 as i8, (next() % 256) as u8 as i8),
        };
        let hold = 1 + next() as usize % 20;
        out.extend(std::iter::repeat_n(stick, hold.min(n - out.len())));
    }
    out
}

#[test]
fn trajectories() {
    let m = map();
    let arena = Arena {
        size: IVec2::new(m.width, m.height),
        walls: m.walls.clone(),
    };
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
                MoveInput::from(MoveInputWire { x, y }),
                &params,
                &arena,
            );
            states.push([body.pos.x, body.pos.y, body.vel.x, body.vel.y]);
        }
        out.push(json!({ "name": name, "tick_rate": hz, "params": params, "start": start, "inputs": inputs, "states": states }));
    }
    check("trajectories.json", json!({ "map": m, "cases": out }));
}
