//! Every frame counts against the rate limit, whatever its opcode, and a message is bounded
//! in fragments: floods of pings or of empty continuation frames are closed, and the honest
//! players in a lobby keep getting their snapshots meanwhile.

use std::time::Duration;

use anyhow::Result;
use tickwire_tests::TestServer;
use tickwire_tests::honest::Honest;
use tickwire_tests::hostile::{BINARY, CONTINUATION, FIN, PING, flood, frame, loopback};

const ATTACKERS: usize = 16;

async fn attacked_by(start: Vec<u8>, repeat: Vec<u8>, expected_close: u16) -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut honest = Honest::seat(&server, 4, 30).await?;
    let attacks: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            tokio::spawn(flood(
                loopback(2),
                server.addr,
                start.clone(),
                repeat.clone(),
                Duration::from_secs(4),
            ))
        })
        .collect();
    honest.play_unharmed(Duration::from_secs(4), 0.7).await?;
    for a in attacks {
        let code = a.await?;
        assert_eq!(
            code,
            Some(expected_close),
            "the flooding connection is closed with a reason"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_ping_flood_is_closed_and_hurts_nobody() -> Result<()> {
    attacked_by(vec![], frame(FIN | PING, b"hi"), 1008).await
}

#[tokio::test]
async fn endless_empty_continuations_are_closed_and_hurt_nobody() -> Result<()> {
    attacked_by(frame(BINARY, &[0]), frame(CONTINUATION, b""), 1009).await
}
