//! Banked input credit cannot buy a dash: a player that idles, then floods inputs at the
//! rate limit's pace, covers at most the distance the input rule allows (PROTOCOL.md: 16
//! steps of saved credit, one lent, never more than 2 steps a tick) over a real socket.

use anyhow::Result;
use tickwire_tests::TestServer;

/// Top speed in the shipped arena: 300 units a second at 30 Hz, in subunits per tick.
const TOP_SPEED: i32 = 300 * 16 / 30;

#[tokio::test]
async fn idling_then_flooding_moves_no_further_than_the_rule_allows() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut cheat = server.client("idler").await?;
    let joined = cheat.create("dash", 4, false).await?;
    // A second and a half of nothing: credit is saved up.
    for _ in 0..45 {
        cheat.next_snapshot().await?;
    }
    let start = cheat.entity(joined.entity).expect("the idler").x;
    // Then right, four inputs for every snapshot (120 a second, the rate limit), for a second.
    for _ in 0..30 {
        for _ in 0..4 {
            cheat.input(127, 0).await?;
        }
        cheat.next_snapshot().await?;
    }
    let moved = cheat.entity(joined.entity).expect("the idler").x - start;
    // 30 ticks at top speed, plus 17 steps the rule allows, plus the snapshot in flight.
    let allowed = (30 + 17 + 1) * TOP_SPEED;
    assert!(moved > 20 * TOP_SPEED, "it did move: {moved}");
    assert!(
        moved <= allowed,
        "idling bought a dash: {moved} subunits in 30 ticks, at most {allowed} allowed"
    );
    Ok(())
}
