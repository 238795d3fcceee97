//! Private join codes cannot be guessed: failed joins by code are throttled per connection
//! and per address, and a private lobby's code is 12 characters of 32 (60 bits), so guessing
//! at the allowed rate is hopeless. Players elsewhere still join by code meanwhile.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;
use rand::Rng;
use tickwire_protocol::messages::LobbyTarget;
use tickwire_tests::TestServer;
use tickwire_tests::honest::Honest;
use tickwire_tests::hostile::{client_from, loopback};

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Guesses codes 100 times a second for `span`; returns how many guesses the server
/// actually looked up (answered "unknown lobby").
async fn guess(server: SocketAddr, n: usize, len: usize, span: Duration) -> Result<usize> {
    let mut c = client_from(server, loopback(2), &format!("guesser{n}")).await?;
    let mut looked_up = 0;
    let mut every = tokio::time::interval(Duration::from_millis(10));
    let until = tokio::time::Instant::now() + span;
    while tokio::time::Instant::now() < until {
        every.tick().await;
        let code: String = (0..len)
            .map(|_| ALPHABET[rand::rng().random_range(0..ALPHABET.len())] as char)
            .collect();
        match c.join(LobbyTarget::Code(code)).await {
            Ok(_) => anyhow::bail!("guessed a code"),
            Err(e) if e.to_string().contains("UnknownLobby") => looked_up += 1,
            Err(_) => {}
        }
    }
    Ok(looked_up)
}

#[tokio::test]
async fn guessing_join_codes_is_throttled_and_hopeless() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut honest = Honest::seat(&server, 4, 30).await?;
    let mut host = server.client("host").await?;
    let private = host.create("secret", 4, true).await?;
    assert!(
        private.code.len() >= 12,
        "a private lobby's code is long: {:?}",
        private.code
    );
    let len = private.code.len();
    let span = Duration::from_secs(3);
    let guessers: Vec<_> = (0..8)
        .map(|n| tokio::spawn(guess(server.addr, n, len, span)))
        .collect();
    honest.play_unharmed(span, 0.7).await?;
    // A friend with the code, from another address, gets in during the attack.
    let mut friend = server.client("friend").await?;
    friend.join(LobbyTarget::Code(private.code.clone())).await?;
    let mut looked_up = 0;
    for g in guessers {
        looked_up += g.await??;
    }
    // 8 connections asked 2,400 times; the address's budget is a burst of 20 and 2 a second.
    assert!(
        looked_up <= 40,
        "{looked_up} guesses from one address were looked up in {span:?}"
    );
    Ok(())
}
