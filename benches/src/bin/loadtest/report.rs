//! The load test's results: gathered from the bots, the server's `/metrics` and `/proc`,
//! checked against the targets, and written as a terminal table, JSON and Markdown.

use hdrhistogram::Histogram;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
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

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct Clients {
    pub target: usize,
    pub connected: usize,
    pub failed: usize,
    /// Connections that ended before the run did.
    pub dropped: usize,
    /// A few of the failure reasons.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
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
}

#[derive(Debug, Clone, Default, Serialize)]
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

#[derive(Debug, Clone, Default, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub value: Option<f64>,
    pub limit: String,
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
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
