//! Fuzzing a live connection handler: random and mutated frames, sent by clients before
//! and after joining a lobby, never crash the server or disturb a bystander's lobby. Each
//! case either keeps its connection usable or is refused with a close frame, and after each
//! a newcomer joins the lobby and plays. More cases:
//! `PROPTEST_CASES=2000 cargo test -p tickwire-tests --test fuzz_live`.

use std::sync::OnceLock;

use proptest::prelude::*;
use tickwire_protocol::Input;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ClientMsg, LobbyTarget, ServerMsg};
use tickwire_tests::{Event, TestServer};
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

struct Fixture {
    runtime: Runtime,
    server: TestServer,
    code: String,
}

/// One server for every case, with a lobby that a bystander plays in between cases.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = Runtime::new().expect("runtime");
        let (server, code) = runtime.block_on(async {
            let server = TestServer::start(&[
                "--rate-limit",
                "1000",
                "--max-connections-per-ip",
                "0",
                "--reconnect-grace",
                "0.05",
            ])
            .await
            .expect("server");
            let mut host = server.client("host").await.expect("host");
            let joined = host.create("fuzzed", 64, false).await.expect("lobby");
            // Keep the host connected and playing for the whole run.
            tokio::spawn(async move { while host.hold(1, 0, 1).await.is_ok() {} });
            (server, joined.code)
        });
        Fixture {
            runtime,
            server,
            code,
        }
    })
}

fn seeds() -> Vec<Vec<u8>> {
    let input = Input {
        seq: 3,
        client_tick: 3,
        ack: 2,
        values: tickwire_protocol::InputValues::new(&[50, 50]),
    };
    vec![
        encode(&ClientMsg::ListLobbies),
        encode(&ClientMsg::JoinLobby {
            target: LobbyTarget::Id(1),
            schema: None,
        }),
        encode(&ClientMsg::CreateLobby {
            game: "arena".into(),
            name: "x".into(),
            map: "arena".into(),
            max_players: 4,
            private: false,
        }),
        encode(&ClientMsg::Input(input)),
        encode(&ClientMsg::Ping { client_time: 9 }),
        encode(&ClientMsg::RequestFull),
        encode(&ClientMsg::LeaveLobby),
    ]
}

fn frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        (
            any::<prop::sample::Index>(),
            any::<usize>(),
            any::<u8>(),
            any::<bool>()
        )
            .prop_map(|(seed, at, byte, cut)| {
                let seeds = seeds();
                let mut f = seed.get(&seeds).clone();
                let i = at % f.len().max(1);
                if cut {
                    f.truncate(i);
                } else if let Some(b) = f.get_mut(i) {
                    *b = byte;
                }
                f
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn hostile_frames_never_hurt_the_server(join_first in any::<bool>(), frames in proptest::collection::vec(frame(), 1..6)) {
        let f = fixture();
        // Names are unique in a lobby, and earlier cases' players may still hold seats.
        static CASE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let case = CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f.runtime.block_on(async {
            let mut c = f.server.client(&format!("fuzzer{case}")).await.expect("connects");
            if join_first {
                c.join(LobbyTarget::Code(f.code.clone())).await.expect("joins");
            }
            for frame in &frames {
                if c.send_raw(Message::Binary(frame.clone().into())).await.is_err() {
                    break;
                }
            }
            // Either the connection still answers a ping, or it was closed with a reason.
            let _ = c.send(&ClientMsg::Ping { client_time: 424242 }).await;
            loop {
                match c.next_event().await {
                    Ok(Event::Msg(ServerMsg::Pong { client_time: 424242, .. })) => break,
                    Ok(Event::Msg(_)) => continue,
                    Ok(Event::Closed(frame)) => {
                        let frame = frame.expect("closed with a close frame, not dropped");
                        assert!(!frame.reason.is_empty(), "the close frame says why");
                        break;
                    }
                    Err(e) => panic!("the server neither answered nor closed: {e}"),
                }
            }
            // The lobby is alive, ticking and playable for newcomers.
            let mut probe = f.server.client(&format!("probe{case}")).await.expect("server still accepts");
            probe.join(LobbyTarget::Code(f.code.clone())).await.expect("lobby still open");
            probe.hold(127, 0, 4).await.expect("snapshots flow");
            assert!(probe.snapshot_ticks.windows(2).all(|w| w[1] > w[0]), "fresh snapshots");
            assert!(probe.last_input_seq >= 1, "the newcomer's inputs are applied");
        });
    }
}
