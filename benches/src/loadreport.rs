//! The load test's report: what it gathered from the bots, the server's `/metrics` and
//! `/proc`, checked against the targets; written as JSON (and read back by the sweep's
//! report) and as Markdown. The HTML report's charts draw from it too.

use hdrhistogram::Histogram;
use serde::{Deserialize, Deserializer, Serialize};

/// JSON has no NaN: serde_json writes it as `null`, which reads back as NaN.
fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p50: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p90: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p99: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub max: f64,
}

impl Percentiles {
    /// From a histogram of microseconds, in milliseconds.
    pub fn from_us(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Some(Self {
            count: h.len(),
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
        })
    }
}

/// One point of a percentile curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PercentilePoint {
    /// 0 to 100.
    pub percentile: f64,
    pub ms: f64,
}

/// A latency distribution for charts: counts in equal bins from 0, and the percentile curve.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Width of each bin, ms; bin `i` holds samples in `[i * bin_ms, (i + 1) * bin_ms)`.
    pub bin_ms: f64,
    pub counts: Vec<u64>,
    /// Samples past the last bin (the bins cover the 99.9th percentile).
    pub above: u64,
    /// From the 0th percentile to 99.99 (as far as the samples reach), then the maximum at
    /// the percentile of the top sample, `100 * (1 - 1 / samples)`.
    pub percentiles: Vec<PercentilePoint>,
}

/// Bins a histogram is drawn with, at most.
const MAX_BINS: f64 = 80.0;

impl Distribution {
    /// From a histogram of microseconds, in milliseconds.
    pub fn from_us(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        let cover = ms(h.value_at_quantile(0.999)).max(0.001);
        let bin_ms = [1.0, 2.0, 5.0]
            .into_iter()
            .flat_map(|m| (-2..=6).map(move |e| m * 10f64.powi(e)))
            .filter(|w| cover / w <= MAX_BINS)
            .fold(f64::INFINITY, f64::min);
        let bins = (cover / bin_ms).floor() as usize + 1;
        let mut counts = vec![0u64; bins];
        let mut above = 0;
        for v in h.iter_recorded() {
            let i = (ms(h.median_equivalent(v.value_iterated_to())) / bin_ms).floor() as usize;
            match counts.get_mut(i) {
                Some(c) => *c += v.count_at_value(),
                None => above += v.count_at_value(),
            }
        }
        // 0, 90, 99, 99.9, 99.99% are 0, 1, 2, 3, 4 on the curve's axis: 20 points a decade.
        let reach = (h.len() as f64).log10().min(4.0);
        let mut percentiles: Vec<PercentilePoint> = (0..=80)
            .map(|k| f64::from(k) / 20.0)
            .take_while(|x| *x <= reach)
            .map(|x| {
                let q = 1.0 - 10f64.powf(-x);
                PercentilePoint {
                    percentile: q * 100.0,
                    ms: ms(h.value_at_quantile(q)),
                }
            })
            .collect();
        // The maximum is the top one of all samples.
        percentiles.push(PercentilePoint {
            percentile: 100.0 * (1.0 - 1.0 / h.len() as f64),
            ms: ms(h.max()),
        });
        Some(Self {
            bin_ms,
            counts,
            above,
            percentiles,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
}

impl Machine {
    pub fn this() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| {
                    l.strip_prefix("model name")
                        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
                })
            })
            .unwrap_or_else(|| "unknown".into());
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Setup {
    pub lobbies: usize,
    pub players: usize,
    pub url: String,
    /// The `tickwire` binary started as a child process, if the load test started one.
    pub server_bin: Option<String>,
    pub map: String,
    pub tick_rate: u16,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub bot_threads: usize,
    /// Inputs sent this long before the estimated tick boundary; `None`: at random phases.
    pub input_lead_ms: Option<f64>,
    pub machine: Machine,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Clients {
    pub target: usize,
    pub connected: usize,
    pub failed: usize,
    /// Connections that ended before the run did.
    pub dropped: usize,
    /// A few of the failure reasons.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    /// From sending input seq s to the first snapshot with `last_input_seq >= s`, ms.
    pub input_to_snapshot: Option<Percentiles>,
    /// The same minus the wait for the next tick boundary, ms.
    pub server_added: Option<Percentiles>,
    /// Ping to Pong, ms.
    pub rtt: Option<Percentiles>,
    /// How far apart consecutive snapshots arrive, off the tick period (either way), ms:
    /// what a client's interpolation delay has to cover.
    pub snapshot_jitter: Option<Percentiles>,
    /// Share of inputs (0..1) applied a tick or more after the first tick boundary following
    /// their sending.
    pub held_inputs: Option<f64>,
    /// Input to snapshot, for the histogram and percentile charts.
    #[serde(default)]
    pub input_to_snapshot_distribution: Option<Distribution>,
    #[serde(default)]
    pub server_added_distribution: Option<Distribution>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Traffic {
    pub snapshot_bytes_down_per_client_s: f64,
    pub other_bytes_down_per_client_s: f64,
    pub input_bytes_up_per_client_s: f64,
    pub snapshots_per_client_s: f64,
    pub inputs_per_client_s: f64,
    pub mean_snapshot_bytes: f64,
    pub full_snapshots: u64,
    pub missing_baselines: u64,
    /// Ticks skipped between consecutive snapshots as clients saw them.
    pub client_seen_tick_gaps: u64,
    pub server_errors: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Server {
    pub metrics_available: bool,
    /// Per lobby tick (systems and snapshot encoding), ms; from histogram buckets, so
    /// interpolated, and `max` is the upper bound of the highest bucket used.
    pub tick_ms: Option<Percentiles>,
    pub encode_ms: Option<Percentiles>,
    pub missed_ticks: Option<u64>,
    pub lobbies: Option<f64>,
    pub clients: Option<f64>,
    pub snapshots_dropped: Option<u64>,
    /// Inputs the server discarded because a player had too many waiting.
    pub inputs_dropped: Option<u64>,
    pub messages_out_per_s: Option<f64>,
    pub bytes_out_per_s: Option<f64>,
    pub bytes_in_per_s: Option<f64>,
    /// CPU seconds per second of the server process (1.0 = one core busy).
    pub cpu_cores: Option<f64>,
    pub rss_mib: Option<f64>,
    pub peak_rss_mib: Option<f64>,
    pub threads: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    pub value: Option<f64>,
    pub limit: String,
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub setup: Setup,
    pub clients: Clients,
    pub latency: Latency,
    pub traffic: Traffic,
    pub server: Server,
    /// CPU seconds per second of the load test itself (bots), to show how much of the
    /// machine it took from the server.
    pub loadgen_cpu_cores: Option<f64>,
    /// CPU seconds per second the whole machine was busy in the window.
    pub machine_cpu_cores: Option<f64>,
    /// The machine's busy CPU less the server's and the load test's: other work that
    /// disturbed the run (includes the server when it runs elsewhere than a child process).
    pub other_cpu_cores: Option<f64>,
    /// One-minute load average when the run started.
    pub load_average_before: Option<f64>,
    pub targets: Vec<Target>,
    /// Empty when the run passed (all clients connected, missed ticks within the limit).
    pub failures: Vec<String>,
    /// The window second by second (absent from reports of older builds).
    #[serde(default)]
    pub timeline: Timeline,
    /// Each server on its own when the bots were spread over several (cluster nodes);
    /// `server` then sums them. Empty for one server.
    #[serde(default)]
    pub nodes: Vec<NodeFigures>,
}

/// One server's figures over the measured window, when there are several.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NodeFigures {
    pub url: String,
    pub cpu_cores: Option<f64>,
    pub rss_mib: Option<f64>,
    pub tick_ms: Option<Percentiles>,
    pub missed_ticks: Option<u64>,
    pub lobbies: Option<f64>,
    pub clients: Option<f64>,
}

/// The measured window over time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timeline {
    /// What the bots saw, per second of the window.
    pub clients: Vec<ClientSecond>,
    /// The server and the machine between two readings, about a second apart.
    pub server: Vec<ServerInterval>,
}

/// One second of the window as the bots saw it. Latencies belong to the second the input
/// was sent in; bytes to the second they were sent or received in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientSecond {
    /// Seconds since the window began.
    pub from_s: f64,
    pub to_s: f64,
    /// Inputs sent in this second that a snapshot answered.
    pub inputs: u64,
    pub input_to_snapshot_p50_ms: Option<f64>,
    pub input_to_snapshot_p99_ms: Option<f64>,
    pub server_added_p99_ms: Option<f64>,
    /// Snapshots and other frames, WebSocket payload bytes.
    pub bytes_down_per_client_s: f64,
    /// Inputs, WebSocket payload bytes.
    pub bytes_up_per_client_s: f64,
}

/// The server and the machine between two readings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerInterval {
    /// Seconds since the window began.
    pub from_s: f64,
    pub to_s: f64,
    /// CPU seconds per second of the server process (a spawned server only).
    pub cpu_cores: Option<f64>,
    pub loadgen_cpu_cores: Option<f64>,
    /// The machine's busy CPU less the server's and the load test's.
    pub other_cpu_cores: Option<f64>,
    /// Lobby ticks that ran (from `/metrics`).
    pub ticks: Option<u64>,
    /// Tick time from the `/metrics` histogram's buckets (interpolated), and its mean.
    pub tick_p50_ms: Option<f64>,
    pub tick_p99_ms: Option<f64>,
    pub tick_mean_ms: Option<f64>,
    pub missed_ticks: Option<u64>,
    pub rss_mib: Option<f64>,
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

fn pct_row(name: &str, p: &Option<Percentiles>) -> String {
    match p {
        Some(p) => format!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            p.p50, p.p90, p.p99, p.max, p.count
        ),
        None => format!("| {name} | n/a | n/a | n/a | n/a | 0 |"),
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let s = &self.setup;
        let mut md = Vec::new();
        md.push(format!(
            "## Load test: {} lobbies x {} players on `{}` at {} Hz\n",
            s.lobbies, s.players, s.map, s.tick_rate
        ));
        md.push(format!(
            "Server: {}. Warm-up {:.0} s, measured {:.0} s. Bots on {} thread(s), {}. Machine: {} CPUs, {}.\n",
            s.server_bin.as_deref().map_or_else(|| format!("already running at {}", s.url), |b| format!("`{b}` started as a child process")),
            s.warmup_s,
            s.duration_s,
            s.bot_threads,
            s.input_lead_ms.map_or_else(|| "inputs at random phases".to_owned(), |ms| format!("inputs sent {ms} ms before each tick boundary")),
            s.machine.cpus,
            s.machine.cpu_model
        ));
        let c = &self.clients;
        md.push(format!(
            "Clients: {} of {} connected, {} failed, {} dropped during the run.\n",
            c.connected, c.target, c.failed, c.dropped
        ));
        md.push("| latency (ms) | p50 | p90 | p99 | max | samples |".into());
        md.push("| --- | --- | --- | --- | --- | --- |".into());
        md.push(pct_row(
            "input to snapshot",
            &self.latency.input_to_snapshot,
        ));
        md.push(pct_row(
            "server-added (minus wait for the tick)",
            &self.latency.server_added,
        ));
        md.push(pct_row("RTT (Ping to Pong)", &self.latency.rtt));
        md.push(pct_row(
            "snapshot arrival jitter (interval off the period)",
            &self.latency.snapshot_jitter,
        ));
        md.push(pct_row("server tick (from /metrics)", &self.server.tick_ms));
        md.push(pct_row(
            "server snapshot encode (from /metrics)",
            &self.server.encode_ms,
        ));
        md.push(String::new());
        if let Some(h) = self.latency.held_inputs {
            md.push(format!(
                "Inputs applied a tick or more after the first tick boundary following their sending (queued behind earlier inputs, or late): {:.1}%.\n",
                h * 100.0
            ));
        }
        let t = &self.traffic;
        let sv = &self.server;
        md.push("| measure | value |".into());
        md.push("| --- | --- |".into());
        for (k, v) in [
            (
                "snapshot bytes down per client per second",
                format!("{:.0}", t.snapshot_bytes_down_per_client_s),
            ),
            (
                "other bytes down per client per second",
                format!("{:.0}", t.other_bytes_down_per_client_s),
            ),
            (
                "input bytes up per client per second",
                format!("{:.0}", t.input_bytes_up_per_client_s),
            ),
            (
                "snapshots / inputs per client per second",
                format!(
                    "{:.1} / {:.1}",
                    t.snapshots_per_client_s, t.inputs_per_client_s
                ),
            ),
            (
                "mean snapshot frame",
                format!("{:.1} B", t.mean_snapshot_bytes),
            ),
            (
                "full snapshots / missing baselines received",
                format!("{} / {}", t.full_snapshots, t.missing_baselines),
            ),
            (
                "ticks skipped between snapshots (client-seen)",
                t.client_seen_tick_gaps.to_string(),
            ),
            ("server errors received", t.server_errors.to_string()),
            (
                "server missed ticks (window)",
                sv.missed_ticks.map_or("n/a".into(), |m| m.to_string()),
            ),
            (
                "server snapshots dropped (window)",
                sv.snapshots_dropped.map_or("n/a".into(), |m| m.to_string()),
            ),
            (
                "server inputs dropped (window)",
                sv.inputs_dropped.map_or("n/a".into(), |m| m.to_string()),
            ),
            (
                "server lobbies / clients (gauges)",
                format!("{} / {}", opt(sv.lobbies, 0), opt(sv.clients, 0)),
            ),
            (
                "server frames out per second",
                opt(sv.messages_out_per_s, 0),
            ),
            (
                "server bytes out / in per second",
                format!(
                    "{} / {}",
                    opt(sv.bytes_out_per_s, 0),
                    opt(sv.bytes_in_per_s, 0)
                ),
            ),
            ("server CPU (cores)", opt(sv.cpu_cores, 3)),
            (
                "server RSS / peak (MiB)",
                format!("{} / {}", opt(sv.rss_mib, 1), opt(sv.peak_rss_mib, 1)),
            ),
            (
                "server threads",
                sv.threads.map_or("n/a".into(), |n| n.to_string()),
            ),
            ("load generator CPU (cores)", opt(self.loadgen_cpu_cores, 3)),
            ("other processes' CPU (cores)", opt(self.other_cpu_cores, 3)),
            (
                "load average (1 min) at start",
                opt(self.load_average_before, 2),
            ),
        ] {
            md.push(format!("| {k} | {v} |"));
        }
        md.push(String::new());
        if !self.nodes.is_empty() {
            md.push("| node | CPU (cores) | RSS (MiB) | tick p50 / p99 (ms) | missed ticks | lobbies / clients |".into());
            md.push("| --- | --- | --- | --- | --- | --- |".into());
            for n in &self.nodes {
                md.push(format!(
                    "| {} | {} | {} | {} | {} | {} / {} |",
                    n.url,
                    opt(n.cpu_cores, 3),
                    opt(n.rss_mib, 1),
                    n.tick_ms
                        .map_or("n/a".into(), |t| format!("{:.3} / {:.3}", t.p50, t.p99)),
                    n.missed_ticks.map_or("n/a".into(), |m| m.to_string()),
                    opt(n.lobbies, 0),
                    opt(n.clients, 0)
                ));
            }
            md.push(String::new());
        }
        if self.other_cpu_cores.is_some_and(|o| o > 0.2) {
            md.push(format!(
                "Warning: other processes used {:.2} cores during the window; latency and tick figures are disturbed.\n",
                self.other_cpu_cores.unwrap_or(0.0)
            ));
        }
        md.push("| target | value | limit | met |".into());
        md.push("| --- | --- | --- | --- |".into());
        for t in &self.targets {
            let met = match t.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "n/a",
            };
            md.push(format!(
                "| {} | {} | {} | {met} |",
                t.name,
                opt(t.value, 3),
                t.limit
            ));
        }
        md.push(String::new());
        if self.failures.is_empty() {
            md.push(
                "Result: passed (every client connected, missed ticks within the limit).".into(),
            );
        } else {
            md.push(format!("Result: FAILED: {}.", self.failures.join("; ")));
        }
        if !c.errors.is_empty() {
            md.push(String::new());
            md.push("Client errors (first few):".into());
            for e in &c.errors {
                md.push(format!("- {e}"));
            }
        }
        md.join("\n") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_distribution() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("bounds");
        // 1000 samples: 1 to 40 ms evenly, and one of 2 s.
        for i in 0..999u64 {
            h.record(1_000 + i * 39).expect("record");
        }
        h.record(2_000_000).expect("record");
        let d = Distribution::from_us(&h).expect("samples");
        // The bins cover the 99.9th percentile (about 40 ms) in at most 80: 0.5 ms each.
        assert_eq!(d.bin_ms, 0.5);
        assert_eq!(d.counts.len(), 80);
        assert_eq!(d.counts[0..2], [0, 0]);
        assert_eq!(d.counts.iter().sum::<u64>() + d.above, 1000);
        assert_eq!(d.above, 1);
        // 20 points a decade up to 99.9% (1000 samples reach that far), then the maximum.
        assert_eq!(d.percentiles.len(), 62);
        assert_eq!(d.percentiles[0].percentile, 0.0);
        assert!((d.percentiles[20].percentile - 90.0).abs() < 1e-9);
        assert!(
            (d.percentiles[20].ms - 36.1).abs() < 0.1,
            "{:?}",
            d.percentiles[20]
        );
        let last = d.percentiles[61];
        assert!((last.percentile - 99.9).abs() < 1e-9, "{last:?}");
        assert!((last.ms - 2000.0).abs() < 2.0, "{last:?}");
        assert!(d.percentiles.windows(2).all(|w| w[0].ms <= w[1].ms));
        assert!(Distribution::from_us(&Histogram::<u64>::new(3).expect("new")).is_none());
    }

    #[test]
    fn nan_reads_back() {
        let p = Percentiles {
            count: 1,
            mean: f64::NAN,
            p50: 1.0,
            p90: 2.0,
            p99: 3.0,
            max: 4.0,
        };
        let json = serde_json::to_string(&p).expect("json");
        assert!(json.contains("\"mean\":null"), "{json}");
        let back: Percentiles = serde_json::from_str(&json).expect("read back");
        assert!(back.mean.is_nan() && back.p99 == 3.0);
    }
}
