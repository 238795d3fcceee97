//! One connection cannot fill the lobby cap: lobby creation is limited per connection and per
//! address, and an abandoned empty lobby gives way to a new user's, so a new user can
//! always open a lobby while the server has room.

use std::time::Duration;

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, ServerMsg};
use tickwire_tests::TestServer;
use tickwire_tests::honest::Honest;
use tickwire_tests::hostile::{client_from, loopback};

#[tokio::test]
async fn a_create_and_leave_loop_cannot_lock_out_new_lobbies() -> Result<()> {
    let server = TestServer::start(&["--max-lobbies", "12", "--empty-lobby-grace", "120"]).await?;
    let mut honest = Honest::seat(&server, 4, 30).await?;
    let addr = server.addr;
    // Eight connections from one address open and leave lobbies as fast as they are let.
    let churn = |n: usize| async move {
        let mut c = client_from(addr, loopback(2), &format!("churn{n}")).await?;
        let (mut opened, mut refused) = (0, 0);
        let until = tokio::time::Instant::now() + Duration::from_secs(3);
        while tokio::time::Instant::now() < until {
            match c.create("spam", 2, n.is_multiple_of(2)).await {
                Ok(_) => {
                    opened += 1;
                    c.send(&ClientMsg::LeaveLobby).await?;
                    c.recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
                        .await?;
                }
                Err(_) => refused += 1,
            }
        }
        anyhow::Ok((opened, refused))
    };
    let attack = futures_util::future::join_all((0..8).map(|n| tokio::spawn(churn(n))));
    let (attack, played) = tokio::join!(attack, honest.play_unharmed(Duration::from_secs(3), 0.7));
    played?;
    let mut total = 0;
    for a in attack {
        let (opened, refused) = a??;
        assert!(opened <= 6, "one connection opened {opened} lobbies in 3 s");
        assert!(refused > 0, "and was told to slow down");
        total += opened;
    }
    assert!(total <= 30, "one address opened {total} lobbies in 3 s");
    // The server is at its cap with the attacker's empty lobbies: a new user still gets one.
    for i in 0..3 {
        let mut newcomer = server.client(&format!("newcomer{i}")).await?;
        newcomer.create("mine", 4, false).await?;
    }
    Ok(())
}
