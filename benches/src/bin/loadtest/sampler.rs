//! Readings of the server and the machine through the measured window, about once a second:
//! CPU time of the server (when the load test started it), of the load test and of the whole
//! machine from `/proc`, the server's memory, and a scrape of its `/metrics`. The first and
//! last give the window's totals; each pair in between one interval of the report's timeline.

use std::time::{Duration, Instant};

use tickwire_benches::loadreport::{Percentiles, ServerInterval};
use tickwire_benches::prom::Scrape;
use tickwire_benches::usage::{self, Memory};

use crate::server::Metrics;

/// Time between two readings.
pub const EVERY: Duration = Duration::from_secs(1);

/// The server's tick histogram in `/metrics`.
pub const TICK_HISTOGRAM: &str = "tickwire_tick_duration_seconds";

/// One reading.
pub struct Reading {
    pub at: Instant,
    /// The server processes' CPU time so far, summed (`None` unless they are child
    /// processes).
    pub server_cpu: Option<Duration>,
    pub loadgen_cpu: Option<Duration>,
    pub machine_busy: Option<Duration>,
    pub server_memory: Option<Memory>,
    /// Every server's `/metrics` as one scrape (a cluster's nodes summed).
    pub scrape: Option<Scrape>,
    /// Each server on its own, in the order given.
    pub nodes: Vec<NodeReading>,
}

/// One server's share of a reading.
pub struct NodeReading {
    pub cpu: Option<Duration>,
    pub memory: Option<Memory>,
    pub scrape: Option<Scrape>,
}

/// Sums of per-node values, `None` if any is unknown (or there are none).
fn total<T>(values: impl Iterator<Item = Option<T>>, add: fn(T, T) -> T) -> Option<T> {
    values.reduce(|a, b| Some(add(a?, b?))).flatten()
}

impl Reading {
    /// `/proc` first, at one instant, then `/metrics`. `server_pids` are the servers this
    /// load test started (empty for servers already running), one per entry of `metrics`.
    pub async fn take(server_pids: &[u32], metrics: &[Metrics]) -> Self {
        let at = Instant::now();
        let cpus: Vec<_> = server_pids.iter().map(|p| usage::cpu_time(*p)).collect();
        let loadgen_cpu = usage::cpu_time(std::process::id());
        let machine_busy = usage::machine_busy();
        let memories: Vec<_> = server_pids.iter().map(|p| usage::memory(*p)).collect();
        let mut scrapes = Vec::with_capacity(metrics.len());
        for m in metrics {
            scrapes.push(m.scrape().await);
        }
        let scrape = scrapes
            .iter()
            .cloned()
            .collect::<Option<Vec<_>>>()
            .map(Scrape::merge);
        let nodes = scrapes
            .into_iter()
            .enumerate()
            .map(|(i, scrape)| NodeReading {
                cpu: cpus.get(i).copied().flatten(),
                memory: memories.get(i).copied().flatten(),
                scrape,
            })
            .collect();
        Self {
            at,
            server_cpu: total(cpus.into_iter(), |a, b| a + b),
            loadgen_cpu,
            machine_busy,
            server_memory: total(memories.into_iter(), |a, b| Memory {
                rss: a.rss + b.rss,
                peak_rss: a.peak_rss + b.peak_rss,
            }),
            scrape,
            nodes,
        }
    }
}

/// Readings at `start`, every [`EVERY`] after it and at `end`.
pub async fn sample(
    start: Instant,
    end: Instant,
    server_pids: &[u32],
    metrics: &[Metrics],
) -> Vec<Reading> {
    tokio::time::sleep_until(start.into()).await;
    let mut readings = vec![Reading::take(server_pids, metrics).await];
    let mut next = start;
    while next < end {
        next = (next + EVERY).min(end);
        tokio::time::sleep_until(next.into()).await;
        readings.push(Reading::take(server_pids, metrics).await);
    }
    readings
}

/// CPU seconds per second between two readings.
pub fn cores(before: Option<Duration>, after: Option<Duration>, wall: Duration) -> Option<f64> {
    Some((after?.as_secs_f64() - before?.as_secs_f64()) / wall.as_secs_f64())
}

/// What a histogram in `/metrics` observed between two scrapes, in milliseconds.
pub fn histogram_ms(before: &Scrape, after: &Scrape, name: &str) -> Option<Percentiles> {
    let h = after
        .histogram(name)?
        .since(&before.histogram(name).unwrap_or_default());
    if h.count <= 0.0 {
        return None;
    }
    Some(Percentiles {
        count: h.count as u64,
        mean: h.mean().unwrap_or(f64::NAN) * 1e3,
        p50: h.quantile(0.5)? * 1e3,
        p90: h.quantile(0.9)? * 1e3,
        p99: h.quantile(0.99)? * 1e3,
        max: h.max_bound()? * 1e3,
    })
}

/// The change of a counter between two scrapes.
pub fn counter_delta(before: &Scrape, after: &Scrape, name: &str) -> Option<f64> {
    Some(after.sum(name)? - before.sum(name).unwrap_or(0.0))
}

/// Each pair of consecutive readings as an interval, timed from `start`.
pub fn intervals(readings: &[Reading], start: Instant) -> Vec<ServerInterval> {
    readings
        .windows(2)
        .map(|pair| {
            let (a, b) = (&pair[0], &pair[1]);
            let wall =
                b.at.saturating_duration_since(a.at)
                    .max(Duration::from_micros(1));
            let server = cores(a.server_cpu, b.server_cpu, wall);
            let loadgen = cores(a.loadgen_cpu, b.loadgen_cpu, wall);
            let machine = cores(a.machine_busy, b.machine_busy, wall);
            let scrapes = a.scrape.as_ref().zip(b.scrape.as_ref());
            let ticks = scrapes.and_then(|(x, y)| histogram_ms(x, y, TICK_HISTOGRAM));
            ServerInterval {
                from_s: a.at.saturating_duration_since(start).as_secs_f64(),
                to_s: b.at.saturating_duration_since(start).as_secs_f64(),
                cpu_cores: server,
                loadgen_cpu_cores: loadgen,
                other_cpu_cores: machine
                    .map(|m| (m - loadgen.unwrap_or(0.0) - server.unwrap_or(0.0)).max(0.0)),
                ticks: scrapes.map(|_| ticks.map_or(0, |t| t.count)),
                tick_p50_ms: ticks.map(|t| t.p50),
                tick_p99_ms: ticks.map(|t| t.p99),
                tick_mean_ms: ticks.map(|t| t.mean).filter(|m| m.is_finite()),
                missed_ticks: scrapes
                    .and_then(|(x, y)| counter_delta(x, y, "tickwire_missed_ticks_total"))
                    .map(|d| d.max(0.0) as u64),
                rss_mib: b.server_memory.map(|m| m.rss as f64 / (1 << 20) as f64),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(ticks_under_1ms: u64, ticks_under_5ms: u64, sum: f64, missed: u64) -> Scrape {
        Scrape::parse(&format!(
            "# TYPE tickwire_tick_duration_seconds histogram\n\
             tickwire_tick_duration_seconds_bucket{{le=\"0.001\"}} {ticks_under_1ms}\n\
             tickwire_tick_duration_seconds_bucket{{le=\"0.005\"}} {ticks_under_5ms}\n\
             tickwire_tick_duration_seconds_bucket{{le=\"+Inf\"}} {ticks_under_5ms}\n\
             tickwire_tick_duration_seconds_sum {sum}\n\
             tickwire_tick_duration_seconds_count {ticks_under_5ms}\n\
             # TYPE tickwire_missed_ticks counter\n\
             tickwire_missed_ticks_total {missed}\n"
        ))
    }

    #[test]
    fn intervals_between_readings() {
        let start = Instant::now();
        let s = Duration::from_secs;
        let reading = |at: Duration, server: u64, scrape: Option<Scrape>| Reading {
            at: start + at,
            server_cpu: Some(Duration::from_millis(server)),
            loadgen_cpu: Some(Duration::from_millis(server / 2)),
            machine_busy: Some(Duration::from_millis(server * 2)),
            server_memory: Some(Memory {
                rss: 32 << 20,
                peak_rss: 40 << 20,
            }),
            scrape,
            nodes: Vec::new(),
        };
        let readings = [
            reading(s(0), 0, Some(metrics(0, 0, 0.0, 0))),
            reading(s(1), 400, Some(metrics(20, 30, 0.02, 1))),
            reading(s(2), 600, None),
        ];
        let iv = intervals(&readings, start);
        assert_eq!(iv.len(), 2);
        assert_eq!((iv[0].from_s, iv[0].to_s, iv[1].to_s), (0.0, 1.0, 2.0));
        let near = |v: Option<f64>, x: f64| v.is_some_and(|v| (v - x).abs() < 1e-9);
        assert!(near(iv[0].cpu_cores, 0.4) && near(iv[1].cpu_cores, 0.2));
        assert!(near(iv[0].loadgen_cpu_cores, 0.2));
        // The machine's 0.8 cores less the server's 0.4 and the load test's 0.2.
        assert!(near(iv[0].other_cpu_cores, 0.2));
        assert_eq!(iv[0].ticks, Some(30));
        // The 15th of 30 ticks: three quarters into the first bucket.
        assert!(near(iv[0].tick_p50_ms, 0.75));
        assert!(near(iv[0].tick_mean_ms, 2.0 / 3.0));
        assert_eq!(iv[0].missed_ticks, Some(1));
        assert_eq!(iv[0].rss_mib, Some(32.0));
        // No scrape at the end of the second interval: nothing from /metrics for it.
        assert_eq!(
            (iv[1].ticks, iv[1].tick_p99_ms, iv[1].missed_ticks),
            (None, None, None)
        );
    }
}
