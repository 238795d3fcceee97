//! Honest players to measure an attack by: bots in one public lobby that play one input per
//! snapshot and record how many snapshots they got, the longest wait between two, and
//! whether they were disconnected; and the check that one client kept getting every tick.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tickwire_protocol::messages::LobbyTarget;

use crate::{Client, TestServer};

/// What one honest player saw while it played.
#[derive(Debug, Clone)]
pub struct Played {
    pub snapshots: usize,
    pub longest_gap: Duration,
    /// The error that ended its play early (a close, a timeout), if any.
    pub failure: Option<String>,
}

/// Honest players seated in one lobby, snapshots flowing.
pub struct Honest {
    pub clients: Vec<Client>,
    pub lobby_id: u32,
    tick_rate: u32,
}

impl Honest {
    /// `n` players in a new public lobby on a server ticking at `tick_rate`.
    pub async fn seat(server: &TestServer, n: usize, tick_rate: u32) -> Result<Self> {
        let mut host = server.client("honest0").await?;
        let lobby_id = host.create("honest", 16, false).await?.lobby.id;
        let mut clients = vec![host];
        for i in 1..n {
            let mut c = server.client(&format!("honest{i}")).await?;
            c.join(LobbyTarget::Id(lobby_id)).await?;
            clients.push(c);
        }
        for c in &mut clients {
            c.hold(0, 0, 3).await?;
        }
        Ok(Self {
            clients,
            lobby_id,
            tick_rate,
        })
    }

    /// Plays for `span`, every player at once; returns what each saw.
    pub async fn play(&mut self, span: Duration) -> Vec<Played> {
        let until = Instant::now() + span;
        let plays = self.clients.iter_mut().map(|c| play_one(c, until));
        futures_util::future::join_all(plays).await
    }

    /// Plays for `span` and fails unless every player stayed connected, got at least
    /// `share` of the snapshots the tick rate promises, and never waited a second for one.
    pub async fn play_unharmed(&mut self, span: Duration, share: f64) -> Result<Vec<Played>> {
        let played = self.play(span).await;
        let expected = span.as_secs_f64() * f64::from(self.tick_rate);
        let fewest = played.iter().map(|p| p.snapshots).min().unwrap_or(0);
        let longest = played
            .iter()
            .map(|p| p.longest_gap)
            .max()
            .unwrap_or_default();
        println!(
            "honest players: fewest snapshots {fewest} of {expected:.0}, longest gap {longest:?}"
        );
        for (i, p) in played.iter().enumerate() {
            if let Some(f) = &p.failure {
                bail!("honest player {i} was cut off: {f} ({played:?})");
            }
            if (p.snapshots as f64) < share * expected {
                bail!(
                    "honest player {i} got {} snapshots of {expected:.0} ({played:?})",
                    p.snapshots
                );
            }
            if p.longest_gap >= Duration::from_secs(1) {
                bail!(
                    "honest player {i} waited {:?} for a snapshot ({played:?})",
                    p.longest_gap
                );
            }
        }
        Ok(played)
    }
}

async fn play_one(c: &mut Client, until: Instant) -> Played {
    let mut played = Played {
        snapshots: 0,
        longest_gap: Duration::ZERO,
        failure: None,
    };
    let mut last = Instant::now();
    while Instant::now() < until {
        if let Err(e) = c.hold(1, 0, 1).await {
            played.failure = Some(e.to_string());
            break;
        }
        let now = Instant::now();
        played.longest_gap = played.longest_gap.max(now - last);
        last = now;
        played.snapshots += 1;
    }
    played
}

/// The tick deadlines the server's lobbies missed so far (process-wide).
pub async fn missed_ticks(server: &TestServer) -> Result<u32> {
    Ok(server.metric("tickwire_missed_ticks_total").await? as u32)
}

/// The ticks the server itself let slip so far (process-wide): missed deadlines, and
/// snapshots replaced because a connection's writer had not yet sent the previous one (its
/// thread was late). Only for tests where no client stops reading on purpose, whose
/// replaced snapshots would count here too.
pub async fn slipped_ticks(server: &TestServer) -> Result<u32> {
    let dropped = server.metric("tickwire_snapshots_dropped_total").await?;
    Ok(missed_ticks(server).await? + dropped as u32)
}

/// Fails unless `ticks` (the snapshot ticks a client received, in arrival order) ascend,
/// cover at least `min_span` ticks, and miss none but those the server itself let slip: a
/// lobby that misses its deadlines runs the missed ticks back to back and snapshots the
/// last, and a late writer has its stale snapshot replaced (`missed`, the server's count of
/// both over the same window, may include other lobbies' and clients').
/// Otherwise the server sends every tick to a client that reads, so at most one tick a
/// second more may lack a snapshot (a window edge, or a writer that could not hand a
/// snapshot to the socket in time).
pub fn assert_kept_up(ticks: &[u32], min_span: u32, missed: u32) {
    let (Some(&first), Some(&last)) = (ticks.first(), ticks.last()) else {
        panic!("no snapshots at all");
    };
    assert!(
        ticks.windows(2).all(|w| w[1] > w[0]),
        "snapshot ticks ascend: {ticks:?}"
    );
    let span = last - first + 1;
    assert!(
        span >= min_span,
        "snapshots covered {span} of {min_span} ticks: {ticks:?}"
    );
    let missing = span - ticks.len() as u32;
    assert!(
        missing <= missed + span / 30,
        "{missing} of {span} ticks had no snapshot, and the server ran only {missed} late: {ticks:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::assert_kept_up;

    #[test]
    fn every_tick_or_those_run_late_is_kept_up() {
        assert_kept_up(&(100..130).collect::<Vec<_>>(), 30, 0);
        let one_missing: Vec<u32> = (100..131).filter(|&t| t != 115).collect();
        assert_kept_up(&one_missing, 30, 0);
        let caught_up: Vec<u32> = (100..160).filter(|t| !(120..124).contains(t)).collect();
        assert_kept_up(&caught_up, 30, 4);
    }

    #[test]
    #[should_panic(expected = "ticks had no snapshot")]
    fn half_the_ticks_is_not_kept_up() {
        assert_kept_up(&(100..160).step_by(2).collect::<Vec<_>>(), 30, 0);
    }

    #[test]
    #[should_panic(expected = "ticks had no snapshot")]
    fn a_stall_the_server_did_not_run_late_is_not_kept_up() {
        let stalled: Vec<u32> = (100..160).filter(|t| !(120..124).contains(t)).collect();
        assert_kept_up(&stalled, 30, 0);
    }
}
