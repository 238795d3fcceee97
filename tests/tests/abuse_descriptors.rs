//! Idle sockets with partial HTTP headers cannot use up the descriptors: the server raises
//! its own soft descriptor limit at start, caps plain HTTP connections (in total and per
//! address) below it, and closes a connection whose request head is not in after the header
//! read timeout. New users meanwhile get `/healthz` and a socket, and players their
//! snapshots. (Alone in its binary: it lowers this process's descriptor limit.)

use std::time::Duration;

use anyhow::{Context, Result};
use rlimit::Resource;
use tickwire_tests::TestServer;
use tickwire_tests::honest::Honest;
use tickwire_tests::hostile::{connect_from, loopback};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ADDRESSES: u8 = 20;
const PER_ADDRESS: usize = 60;

#[tokio::test]
async fn idle_partial_requests_cannot_lock_out_new_users() -> Result<()> {
    // The common default soft limit, which the attack ran into.
    let (_, hard) = rlimit::getrlimit(Resource::NOFILE)?;
    rlimit::setrlimit(Resource::NOFILE, 1024.min(hard), hard)?;
    let server = TestServer::start(&["--header-read-timeout", "1"]).await?;
    let (soft, _) = rlimit::getrlimit(Resource::NOFILE)?;
    assert_eq!(soft, hard, "the server raised its soft descriptor limit");
    let mut honest = Honest::seat(&server, 4, 30).await?;

    // 1,200 sockets from 20 addresses, each with half a request head, and one address
    // trying to hold far more than its share.
    let mut idle = Vec::new();
    for n in 0..ADDRESSES {
        for _ in 0..PER_ADDRESS {
            if let Ok(mut s) = connect_from(loopback(10 + n), server.addr).await
                && s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.is_ok()
            {
                idle.push(s);
            }
        }
    }
    let mut greedy = Vec::new();
    for _ in 0..300 {
        if let Ok(s) = connect_from(loopback(2), server.addr).await {
            greedy.push(s);
        }
    }

    // New users are served at once, and the players do not notice.
    let health = tokio::time::timeout(Duration::from_secs(2), server.get("/healthz"))
        .await
        .context("/healthz timed out during the attack")??;
    assert_eq!(health.0, 200);
    let mut newcomer = server.client("newcomer").await?;
    newcomer.create("fresh", 4, false).await?;
    honest.play_unharmed(Duration::from_secs(2), 0.7).await?;

    // Past the 1 s header read timeout the server has closed every idle socket.
    let closed = |mut s: tokio::net::TcpStream| async move {
        let mut sink = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut sink)).await;
        read.is_ok()
    };
    let sockets = idle.into_iter().chain(greedy);
    let outcomes = futures_util::future::join_all(sockets.map(closed)).await;
    let still_open = outcomes.iter().filter(|c| !**c).count();
    assert_eq!(still_open, 0, "idle sockets left open past the timeout");
    Ok(())
}
