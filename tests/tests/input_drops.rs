//! Inputs beyond what a player may have waiting are dropped and counted in `/metrics`. A test
//! binary of its own: metrics are process-wide, and other tests flood on purpose.

use anyhow::Result;
use tickwire_tests::TestServer;

#[tokio::test]
async fn inputs_beyond_what_a_player_may_have_waiting_are_counted_as_dropped() -> Result<()> {
    const DROPPED: &str = "tickwire_inputs_dropped_total";
    let server = TestServer::start(&[]).await?;
    let mut host = server.client("host").await?;
    host.create("burst", 4, false).await?;
    host.hold(127, 0, 30).await?;
    assert_eq!(
        server.metric(DROPPED).await?,
        0.0,
        "an input a tick loses nothing"
    );
    // Every input sent so far applied: nothing waits.
    while host.last_input_seq < 30 {
        host.next_snapshot().await?;
    }
    // 100 inputs at once (within the rate limit's burst): more than may wait.
    for _ in 0..100 {
        host.input(127, 0).await?;
    }
    // Nothing more is sent, so nothing else can be dropped: of the 100, the 32 that may
    // wait (and the few applied while the burst was still arriving) are kept.
    for _ in 0..30 {
        host.next_snapshot().await?;
    }
    let dropped = server.metric(DROPPED).await?;
    assert!(
        (100.0 - 32.0 - 8.0..=100.0 - 32.0).contains(&dropped),
        "the excess is dropped and counted: {dropped}"
    );
    Ok(())
}
