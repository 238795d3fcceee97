//! Inputs beyond what a player may have waiting are dropped and counted in `/metrics`, in
//! process with tokio's clock paused, so a burst arrives within one tick and the count is
//! exact. A test binary of its own: metrics are process-wide.

use anyhow::Result;
use tickwire_server::lobby::input::INPUT_QUEUE_CAP;
use tickwire_server::metrics::METRICS;
use tickwire_server::testing::peer::{Peer, app};

/// The value of `tickwire_inputs_dropped_total` as `GET /metrics` shows it.
fn dropped() -> u64 {
    const NAME: &str = "tickwire_inputs_dropped_total ";
    let text = METRICS.render();
    let line = text
        .lines()
        .find(|l| l.starts_with(NAME))
        .unwrap_or_else(|| panic!("no {NAME} in {text}"));
    line[NAME.len()..].trim().parse().expect("a count")
}

#[tokio::test(start_paused = true)]
async fn inputs_beyond_what_a_player_may_have_waiting_are_counted_as_dropped() -> Result<()> {
    const BURST: u32 = 100;
    let app = app(&[])?;
    let mut host = Peer::player(&app, "host").await?;
    host.create("burst", 4, false).await?;
    host.hold(&[127, 0], 30).await?;
    assert_eq!(dropped(), 0, "an input a tick loses nothing");
    assert_eq!(host.last_input_seq(), 30, "every input sent so far applied");

    // A burst within one tick: more than may wait.
    for _ in 0..BURST {
        host.input(&[127, 0]).await?;
    }
    let cap = INPUT_QUEUE_CAP as u32;
    assert_eq!(
        dropped(),
        u64::from(BURST - cap),
        "all but the {cap} that may wait are dropped and counted"
    );
    // The ones kept are the first of the burst, and each applies, none dropped later.
    for _ in 0..3 * cap {
        if host.last_input_seq() == 30 + cap {
            break;
        }
        host.next_snapshot().await?;
    }
    assert_eq!(host.last_input_seq(), 30 + cap);
    for _ in 0..5 {
        host.next_snapshot().await?;
    }
    assert_eq!(host.last_input_seq(), 30 + cap, "nothing more applies");
    assert_eq!(dropped(), u64::from(BURST - cap));
    Ok(())
}
