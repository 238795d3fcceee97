//! The real binary, stopped with SIGTERM, sends every client a close frame with a reason
//! and exits by itself.

use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, ServerMsg};
use tickwire_protocol::{PROTOCOL_VERSION, decode_server};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn sigterm_closes_every_client_with_a_reason() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickwire"))
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("ready in time")
            .expect("reads");
        let line = line.expect("prints its address before exiting");
        if let Some(rest) = line.strip_prefix("tickwire listening on http://") {
            break format!("ws://{}ws", rest);
        }
    };

    let mut clients = Vec::new();
    for (i, join) in [true, false].into_iter().enumerate() {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("connects");
        let hello = ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            name: format!("c{i}"),
            resume: None,
        };
        ws.send(Message::Binary(encode(&hello).into()))
            .await
            .expect("sends");
        if join {
            ws.send(Message::Binary(
                encode(&ClientMsg::QuickJoin {
                    game: String::new(),
                    schema: None,
                })
                .into(),
            ))
            .await
            .expect("sends");
        }
        // Wait until the server has answered, so the connection is fully set up.
        loop {
            let msg = tokio::time::timeout(PATIENCE, ws.next())
                .await
                .expect("answer")
                .expect("open")
                .expect("ok");
            if let Message::Binary(b) = msg {
                let m = decode_server(&b).expect("decodes");
                if matches!(m, ServerMsg::Snapshot(_))
                    || (!join && matches!(m, ServerMsg::Welcome { .. }))
                {
                    break;
                }
            }
        }
        clients.push(ws);
    }

    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());

    for mut ws in clients {
        let (mut told, mut close) = (None, None);
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(PATIENCE, ws.next()).await {
            match msg {
                Message::Binary(b) => {
                    if let Ok(ServerMsg::Error { code, .. }) = decode_server(&b) {
                        told = Some(code);
                    }
                }
                Message::Close(frame) => {
                    close = frame;
                    break;
                }
                _ => {}
            }
        }
        assert_eq!(told, Some(ErrorCode::ShuttingDown));
        let close = close.expect("a close frame");
        assert_eq!(close.code, CloseCode::Away);
        assert_eq!(close.reason.as_str(), "server shutting down");
    }
    let exit = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("exits in time")
        .expect("waits");
    assert!(exit.success(), "exits cleanly: {exit}");
}
