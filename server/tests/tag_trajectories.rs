//! Golden trajectories of tag's prediction step (`tag_step`) for its JavaScript port:
//! dashes, cooldowns, walls and the arena's edge. The committed file must equal what the
//! step produces; `client-web/test/games/tag.test.js` replays it against `step.js`.
//! Regenerate with `TICKWIRE_BLESS=1 cargo test -p tickwire-server --test tag_trajectories`.

use std::path::PathBuf;

use glam::IVec2;
use serde_json::{Value, json};
use tickwire_protocol::golden::{Case, check, component_json, trajectories};
use tickwire_protocol::movement::{Aabb, Arena};
use tickwire_server::games::tag::{Dash, Runner, TagInput, tag_step};
use tickwire_server::kit::mover::{Body, PlayerRules};

/// Scripted inputs, held 1 to 15 ticks each, a dash pressed a third of the time.
fn scripted(seed: u32, n: usize) -> Vec<TagInput> {
    tickwire_protocol::golden::scripted(seed, n, 15, |next| {
        let (x, y) = match next() % 4 {
            0 => (0, 0),
            1 => (127, -127),
            _ => ((next() % 255) as i32 - 127, (next() % 255) as i32 - 127),
        };
        TagInput {
            x,
            y,
            dash: i32::from(next() % 3 == 0),
        }
    })
}

#[test]
fn tag_trajectories() {
    let arena = Arena {
        size: IVec2::new(1400, 900) * 16,
        walls: vec![Aabb {
            min: IVec2::new(560, 430) * 16,
            max: IVec2::new(840, 470) * 16,
        }],
    };
    let map = json!({ "name": "yard", "width": arena.size.x, "height": arena.size.y, "walls": arena.walls });
    let dash = Dash {
        ticks: 6,
        cooldown: 60,
        speed_percent: 200,
    };
    let case = |name: &str, hz: u16, start: (i32, i32), inputs: Vec<TagInput>| {
        let movement = PlayerRules {
            speed: 280,
            accel: 2800,
            half_size: 16,
        }
        .params(hz);
        Case {
            name: name.into(),
            config: json!({ "map": map, "movement": movement, "dash": dash, "tag_reach": 2 * movement.half_size }),
            start: (
                Body::at(IVec2::new(start.0, start.1) * 16),
                Runner::default(),
            ),
            inputs,
        }
    };
    let cases = [
        case(
            "dash_into_wall_30hz",
            30,
            (700, 300),
            vec![
                TagInput {
                    x: 0,
                    y: 127,
                    dash: 1
                };
                40
            ],
        ),
        case(
            "dash_held_through_cooldown",
            30,
            (200, 200),
            vec![
                TagInput {
                    x: 127,
                    y: 60,
                    dash: 1
                };
                150
            ],
        ),
        case("scripted_30hz", 30, (700, 700), scripted(5, 900)),
        case("scripted_60hz", 60, (300, 200), scripted(9, 900)),
    ];
    let file = trajectories(
        &cases,
        |(body, runner), input, config| {
            let movement = serde_json::from_value(config["movement"].clone()).expect("movement");
            tag_step(body, runner, input, &movement, &dash, &arena);
        },
        |(body, runner): &(Body, Runner)| -> Value {
            json!({ "Body": component_json(body), "Runner": component_json(runner) })
        },
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../client-web/test/vectors/games/tag_trajectories.json");
    check(&path, &file, true);
}
