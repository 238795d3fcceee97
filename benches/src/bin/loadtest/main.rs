//! Load test: L lobbies of P bots over real WebSockets against a Tickwire server on this
//! machine, either one already running (`--url`) or the real `tickwire` binary started as a
//! child process (`--spawn-server`), whose CPU time and memory are then read from `/proc`.
//! Several servers (cluster nodes sharing one Redis: several `--url`s, or `--nodes N` with
//! `--server-arg=--redis=URL`) share the lobbies out, lobby `i` on node `i % N`, and are
//! reported together and each on its own.
//! After everyone is seated it warms up, measures a window (reading the server's `/proc` and
//! `/metrics` about once a second), and reports latency, bandwidth and the server's CPU, tick
//! time and missed ticks as a terminal table, JSON, Markdown and an HTML page of charts.
//! Exits non-zero when clients fail to connect or the server misses more ticks than allowed.
//!
//! `cargo run --release -p tickwire-benches --bin loadtest -- --spawn-server --lobbies 100 --players 20`

mod bot;
mod delays;
mod sampler;
mod server;
mod timeline;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use tickwire_benches::loadreport::{
    Clients, Distribution, Latency, Machine, NodeFigures, Percentiles, Report, Server, Setup,
    Target, Timeline, Traffic,
};
use tickwire_benches::usage;
use tokio::sync::{Semaphore, watch};

use bot::{BotReport, Role, Shared};

/// The bots allocate a frame for every message each way; as in the server, mimalloc keeps
/// that off the load generator's own delay.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use sampler::{Reading, cores, counter_delta, histogram_ms};
use server::LocalServer;

#[derive(Debug, Parser)]
#[command(about = "Bots over real WebSockets against a Tickwire server on this machine")]
struct Args {
    /// Lobbies to open.
    #[arg(long, default_value_t = 10)]
    lobbies: usize,
    /// Bots per lobby (2 to 64; the first creates the lobby, the others join by its code).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(2..=64))]
    players: u8,
    /// WebSocket URL of a running server (loopback addresses only); repeat it for several
    /// (a cluster's nodes), which share the lobbies out.
    #[arg(
        long,
        default_value = "ws://127.0.0.1:8080/ws",
        conflicts_with = "spawn_server"
    )]
    url: Vec<String>,
    /// Start the real `tickwire` binary on a free loopback port instead of using --url.
    #[arg(long)]
    spawn_server: bool,
    /// Servers to start with --spawn-server, all with the same --server-arg options (give
    /// them `--server-arg=--redis=redis://127.0.0.1:6379/` to make them one cluster).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
    nodes: u8,
    /// The server binary for --spawn-server (default: `tickwire` beside this binary; build it
    /// with `cargo build --release -p tickwire-server`).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Extra arguments for the spawned server, e.g. --server-arg=--tick-rate=60.
    #[arg(long, allow_hyphen_values = true)]
    server_arg: Vec<String>,
    /// The game the lobbies play (`shooter` bots also aim at the nearest player and fire).
    #[arg(long, default_value = "arena")]
    game: String,
    /// Map the lobbies play on (one of the game's).
    #[arg(long, default_value = "arena")]
    map: String,
    /// Time after everyone is seated before measuring.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// The measured window.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Longest time allowed for seating every bot.
    #[arg(long, default_value = "120s", value_parser = humantime::parse_duration)]
    connect_timeout: Duration,
    /// Bots connecting at once.
    #[arg(long, default_value_t = 32)]
    connect_concurrency: usize,
    /// Bots per loopback source address (127.0.0.1, .2, ...), so no one address holds more
    /// connections than a server's per-address limit allows; 0 lets the system choose.
    #[arg(long, default_value_t = 32)]
    per_source_ip: usize,
    /// Send each input this long before the server's next tick boundary (estimated from
    /// snapshot arrivals), as a client that times its inputs to the server's clock would.
    /// Without it every bot sends at its own random phase, as independent browsers do.
    #[arg(long, value_parser = humantime::parse_duration)]
    input_lead: Option<Duration>,
    /// Threads running the bots (1 leaves the other cores to the server).
    #[arg(long, default_value_t = 1)]
    bot_threads: usize,
    /// Fail when the server misses more tick deadlines than this in the window.
    #[arg(long, default_value_t = 0)]
    max_missed_ticks: u64,
    /// Seed for the bots' movement.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory for report.json, report.md, report.html (and server.log with --spawn-server).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Before starting, wait up to this long for the machine to be quiet (under a quarter of
    /// a core busy over 2 s), so other work does not distort the figures.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    wait_quiet: Duration,
    /// No progress bars (for logs and scripts).
    #[arg(long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = if args.bot_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.bot_threads)
            .enable_all()
            .build()
    };
    let result = runtime
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(run(args)));
    match result {
        Ok(report) if report.failures.is_empty() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("loadtest: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn bar(quiet: bool, len: u64, template: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// Seats one lobby's bots (the first creates it) and plays them; the reports of all.
async fn run_lobby(
    index: usize,
    args: Arc<Args>,
    shared: Arc<Shared>,
    permits: Arc<Semaphore>,
    tick_rate: Arc<OnceLock<u16>>,
) -> Vec<BotReport> {
    let players = usize::from(args.players);
    let fail_all = |shared: &Shared, n: usize, why: String| {
        shared.failed.fetch_add(n, Ordering::Relaxed);
        (0..n)
            .map(|_| BotReport::failed(why.clone()))
            .collect::<Vec<_>>()
    };
    let role = Role::Create {
        game: args.game.clone(),
        lobby_name: format!("load {index}"),
        map: args.map.clone(),
        max_players: args.players,
    };
    let seated = {
        let Ok(_permit) = permits.acquire().await else {
            return fail_all(&shared, players, "shut down".into());
        };
        let node = shared.node(index);
        bot::seat(
            &node.url,
            node.http,
            shared.source(index * players),
            &format!("bot{index}-0"),
            &role,
        )
        .await
    };
    let host = match seated {
        Ok(s) => s,
        Err(e) => return fail_all(&shared, players, format!("creating lobby {index}: {e:#}")),
    };
    shared.connected.fetch_add(1, Ordering::Relaxed);
    let _ = tick_rate.set(host.tick_rate);
    let code = host.code.clone();
    let seed = |i: usize| args.seed ^ ((index as u64) << 32) ^ (i as u64);
    let mut tasks = vec![tokio::spawn(bot::play(host, shared.clone(), seed(0)))];
    for i in 1..players {
        let (shared, permits, code) = (shared.clone(), permits.clone(), code.clone());
        let seed = seed(i);
        tasks.push(tokio::spawn(async move {
            let seated = {
                let Ok(_permit) = permits.acquire().await else {
                    return BotReport::failed("shut down".into());
                };
                let source = shared.source(index * players + i);
                let node = shared.node(index);
                bot::seat(
                    &node.url,
                    node.http,
                    source,
                    &format!("bot{index}-{i}"),
                    &Role::Join { code },
                )
                .await
            };
            match seated {
                Ok(s) => {
                    shared.connected.fetch_add(1, Ordering::Relaxed);
                    bot::play(s, shared, seed).await
                }
                Err(e) => {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                    BotReport::failed(format!("joining lobby {index}: {e:#}"))
                }
            }
        }));
    }
    let mut out = Vec::with_capacity(players);
    for t in tasks {
        out.push(
            t.await
                .unwrap_or_else(|e| BotReport::failed(format!("bot task failed: {e}"))),
        );
    }
    out
}

/// Waits (at most `limit`) until the machine spends under a quarter of a core busy over 2 s.
async fn wait_quiet(limit: Duration, quiet: bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let before = usage::machine_busy();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let Some(busy) = cores(before, usage::machine_busy(), Duration::from_secs(2)) else {
            return;
        };
        if busy < 0.25 {
            return;
        }
        if !quiet {
            eprintln!("waiting for a quiet machine: {busy:.2} cores busy");
        }
    }
}

async fn run(args: Args) -> anyhow::Result<Report> {
    if args.lobbies == 0 {
        bail!("--lobbies must be at least 1");
    }
    wait_quiet(args.wait_quiet, args.quiet).await;
    let load_before = usage::load_average();
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut locals = Vec::new();
    let bin = args.spawn_server.then(|| {
        args.server_bin
            .clone()
            .unwrap_or_else(server::default_server_bin)
    });
    if let Some(bin) = &bin {
        let mut extra = vec![
            "--max-lobbies".to_owned(),
            (args.lobbies + 16).max(1000).to_string(),
        ];
        extra.extend(args.server_arg.iter().cloned());
        for n in 0..args.nodes {
            let log = args.out.as_ref().map(|d| match args.nodes {
                1 => d.join("server.log"),
                _ => d.join(format!("server-{n}.log")),
            });
            locals.push(LocalServer::spawn(bin, &extra, log.as_deref()).await?);
        }
    }
    let urls: Vec<String> = if locals.is_empty() {
        args.url.clone()
    } else {
        locals
            .iter()
            .map(|s| format!("ws://{}/ws", s.addr))
            .collect()
    };
    let targets = urls
        .iter()
        .map(|u| server::target(u))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pids: Vec<u32> = locals.iter().map(|s| s.pid).collect();
    let metrics = targets
        .iter()
        .map(|t| server::Metrics::new(t.http))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (m, t) in metrics.iter().zip(&targets) {
        if m.scrape().await.is_none() {
            eprintln!(
                "note: no /metrics at http://{}/metrics; server tick time and missed ticks will be n/a",
                t.http
            );
        }
    }

    let total = args.lobbies * usize::from(args.players);
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        nodes: targets.clone(),
        per_source_ip: (args.per_source_ip > 0).then_some(args.per_source_ip),
        input_lead: args.input_lead,
        window: OnceLock::new(),
        stop: stop_rx,
        connected: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        dropped: AtomicUsize::new(0),
        timeline: timeline::Timeline::default(),
        delays: delays::Delays::default(),
    });
    let permits = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let tick_rate = Arc::new(OnceLock::new());
    let args = Arc::new(args);
    let lobbies: Vec<_> = (0..args.lobbies)
        .map(|i| {
            tokio::spawn(run_lobby(
                i,
                args.clone(),
                shared.clone(),
                permits.clone(),
                tick_rate.clone(),
            ))
        })
        .collect();

    // Seating, bounded in time.
    let pb = bar(
        args.quiet,
        total as u64,
        "connecting {bar:40} {pos}/{len} bots {msg} [{elapsed}]",
    );
    let seat_deadline = Instant::now() + args.connect_timeout;
    loop {
        let (ok, bad) = (
            shared.connected.load(Ordering::Relaxed),
            shared.failed.load(Ordering::Relaxed),
        );
        pb.set_position((ok + bad) as u64);
        pb.set_message(if bad > 0 {
            format!("({bad} failed)")
        } else {
            String::new()
        });
        if ok + bad >= total || Instant::now() >= seat_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pb.finish();
    let seated = shared.connected.load(Ordering::Relaxed);
    if seated < total && !args.quiet {
        eprintln!(
            "{} of {total} bots seated when the connect phase ended",
            seated
        );
    }

    // Warm-up, then the measured window.
    let start = Instant::now() + args.warmup;
    let end = start + args.duration;
    let _ = shared.window.set((start, end));
    let pb = bar(
        args.quiet,
        (args.warmup + args.duration).as_secs().max(1),
        "{msg:10} {bar:40} {pos}/{len} s [{elapsed}]",
    );
    let progress = {
        let pb = pb.clone();
        let began = Instant::now();
        tokio::spawn(async move {
            loop {
                let now = Instant::now();
                pb.set_position((now - began).as_secs());
                pb.set_message(if now < start { "warm-up" } else { "measuring" });
                if now >= end {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let readings = sampler::sample(start, end, &pids, &metrics).await;
    let memory = readings.last().and_then(|r| r.server_memory);
    let threads = pids.iter().map(|p| usage::threads(*p)).sum::<Option<u32>>();
    let _ = progress.await;
    pb.finish();

    // Let inputs sent at the end of the window be answered, then stop every bot.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop_tx.send(true);
    let mut reports = Vec::with_capacity(total);
    let joined = tokio::time::timeout(Duration::from_secs(30), async {
        for l in lobbies {
            if let Ok(r) = l.await {
                reports.extend(r);
            }
        }
    })
    .await;
    if joined.is_err() {
        eprintln!("some bots did not stop within 30 s; reporting the others");
    }

    let tick_rate = tick_rate.get().copied().unwrap_or(30);
    let report = build_report(
        &args,
        &urls,
        bin.as_ref().map(|b| b.display().to_string()),
        tick_rate,
        &reports,
        total,
        &shared,
        Window {
            start,
            readings,
            load_before,
            memory,
            threads,
        },
    );
    for s in locals {
        s.stop().await;
    }
    let md = report.markdown();
    print!("\n{md}");
    if let Some(dir) = &args.out {
        std::fs::write(dir.join("report.md"), &md).context("writing report.md")?;
        std::fs::write(
            dir.join("report.json"),
            serde_json::to_string_pretty(&report)? + "\n",
        )
        .context("writing report.json")?;
        let html = tickwire_benches::html::loadtest_page(&report)?;
        std::fs::write(dir.join("report.html"), html).context("writing report.html")?;
        println!(
            "\nwrote {}, {} and {}",
            dir.join("report.md").display(),
            dir.join("report.json").display(),
            dir.join("report.html").display()
        );
    }
    Ok(report)
}

/// What the driver read through the measured window.
struct Window {
    start: Instant,
    /// At least one; the first at the window's start, the last at its end.
    readings: Vec<Reading>,
    load_before: Option<f64>,
    memory: Option<usage::Memory>,
    threads: Option<u32>,
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    args: &Args,
    urls: &[String],
    server_bin: Option<String>,
    tick_rate: u16,
    reports: &[BotReport],
    total: usize,
    shared: &Shared,
    w: Window,
) -> Report {
    let (first, last) = (&w.readings[0], &w.readings[w.readings.len() - 1]);
    let wall = last.at.saturating_duration_since(first.at);
    let wall = if wall.is_zero() { args.duration } else { wall };
    let server_cpu = cores(first.server_cpu, last.server_cpu, wall);
    let loadgen_cpu = cores(first.loadgen_cpu, last.loadgen_cpu, wall);
    let machine_cpu = cores(first.machine_busy, last.machine_busy, wall);
    let delays::Sets {
        latency_us: latency,
        server_added_us: added,
        rtt_us: rtt,
        jitter_us: jitter,
    } = shared.delays.take();
    let mut traffic = Traffic::default();
    let (mut snap_bytes, mut other, mut up, mut snaps, mut inputs) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut errors: Vec<String> = Vec::new();
    let mut held = 0u64;
    for r in reports {
        held += r.held_inputs;
        snap_bytes += r.snapshot_bytes_down;
        other += r.other_bytes_down;
        up += r.input_bytes_up;
        snaps += r.snapshots;
        inputs += r.inputs;
        traffic.full_snapshots += r.full_snapshots;
        traffic.missing_baselines += r.missing_baselines;
        traffic.client_seen_tick_gaps += r.tick_gaps;
        traffic.server_errors += r.server_errors;
        if let Some(e) = &r.error
            && errors.len() < 8
            && !errors.contains(e)
        {
            errors.push(e.clone());
        }
    }
    let connected = reports.iter().filter(|r| r.connected).count();
    let per_client_s = |v: u64| v as f64 / connected.max(1) as f64 / wall.as_secs_f64();
    traffic.snapshot_bytes_down_per_client_s = per_client_s(snap_bytes);
    traffic.other_bytes_down_per_client_s = per_client_s(other);
    traffic.input_bytes_up_per_client_s = per_client_s(up);
    traffic.snapshots_per_client_s = per_client_s(snaps);
    traffic.inputs_per_client_s = per_client_s(inputs);
    traffic.mean_snapshot_bytes = snap_bytes as f64 / snaps.max(1) as f64;

    let mut server = Server {
        cpu_cores: server_cpu,
        rss_mib: w.memory.map(|m| m.rss as f64 / (1 << 20) as f64),
        peak_rss_mib: w.memory.map(|m| m.peak_rss as f64 / (1 << 20) as f64),
        threads: w.threads,
        ..Server::default()
    };
    if let (Some(a), Some(b)) = (&first.scrape, &last.scrape) {
        server.metrics_available = b.has(sampler::TICK_HISTOGRAM);
        server.tick_ms = histogram_ms(a, b, sampler::TICK_HISTOGRAM);
        server.encode_ms = histogram_ms(a, b, "tickwire_encode_duration_seconds");
        let delta = |name: &str| counter_delta(a, b, name);
        let rate = |name: &str| delta(name).map(|d| d / wall.as_secs_f64());
        server.missed_ticks = delta("tickwire_missed_ticks_total").map(|v| v.max(0.0) as u64);
        server.snapshots_dropped =
            delta("tickwire_snapshots_dropped_total").map(|v| v.max(0.0) as u64);
        server.inputs_dropped = delta("tickwire_inputs_dropped_total").map(|v| v.max(0.0) as u64);
        server.messages_out_per_s = rate("tickwire_messages_out_total");
        server.bytes_out_per_s = rate("tickwire_bytes_out_total");
        server.bytes_in_per_s = rate("tickwire_bytes_in_total");
        server.lobbies = b.sum("tickwire_lobbies");
        server.clients = b.sum("tickwire_clients");
    }

    let lat = Percentiles::from_us(&latency);
    let add = Percentiles::from_us(&added);
    let period_ms = 1000.0 / f64::from(tick_rate.max(1));
    let target =
        |name: &str, value: Option<f64>, limit: String, ok: fn(f64, f64) -> bool, bound: f64| {
            Target {
                name: name.into(),
                value,
                limit,
                met: value.map(|v| ok(v, bound)),
            }
        };
    let targets = vec![
        target(
            "missed ticks",
            server.missed_ticks.map(|m| m as f64),
            "0".into(),
            |v, b| v <= b,
            0.0,
        ),
        target(
            "server tick p99 (ms)",
            server.tick_ms.map(|t| t.p99),
            "< 1".into(),
            |v, b| v < b,
            1.0,
        ),
        target(
            "input to snapshot p99 (ms)",
            lat.map(|l| l.p99),
            format!("<= {:.1} (a tick + 3 ms)", period_ms + 3.0),
            |v, b| v <= b,
            period_ms + 3.0,
        ),
        target(
            "server-added p99 (ms)",
            add.map(|l| l.p99),
            "< 1".into(),
            |v, b| v < b,
            1.0,
        ),
        target(
            "server CPU (cores)",
            server.cpu_cores,
            "< 1".into(),
            |v, b| v < b,
            1.0,
        ),
    ];
    let failed = total - connected;
    let mut failures = Vec::new();
    if failed > 0 {
        failures.push(format!("{failed} of {total} clients failed to connect"));
    }
    match server.missed_ticks {
        Some(m) if m > args.max_missed_ticks => failures.push(format!(
            "the server missed {m} ticks (limit {})",
            args.max_missed_ticks
        )),
        _ => {}
    }
    Report {
        setup: Setup {
            lobbies: args.lobbies,
            players: usize::from(args.players),
            url: urls.join(", "),
            server_bin,
            map: args.map.clone(),
            tick_rate,
            warmup_s: args.warmup.as_secs_f64(),
            duration_s: args.duration.as_secs_f64(),
            bot_threads: args.bot_threads.max(1),
            input_lead_ms: args.input_lead.map(|d| d.as_secs_f64() * 1000.0),
            machine: Machine::this(),
        },
        clients: Clients {
            target: total,
            connected,
            failed,
            dropped: shared.dropped.load(Ordering::Relaxed),
            errors,
        },
        latency: Latency {
            input_to_snapshot: lat,
            server_added: add,
            rtt: Percentiles::from_us(&rtt),
            snapshot_jitter: Percentiles::from_us(&jitter),
            held_inputs: (!added.is_empty()).then(|| held as f64 / added.len() as f64),
            input_to_snapshot_distribution: Distribution::from_us(&latency),
            server_added_distribution: Distribution::from_us(&added),
        },
        traffic,
        server,
        loadgen_cpu_cores: loadgen_cpu,
        machine_cpu_cores: machine_cpu,
        other_cpu_cores: machine_cpu
            .map(|m| (m - loadgen_cpu.unwrap_or(0.0) - server_cpu.unwrap_or(0.0)).max(0.0)),
        load_average_before: w.load_before,
        targets,
        failures,
        timeline: Timeline {
            clients: shared.timeline.seconds(args.duration, connected),
            server: sampler::intervals(&w.readings, w.start),
        },
        nodes: if urls.len() > 1 {
            node_figures(urls, first, last, wall)
        } else {
            Vec::new()
        },
    }
}

/// Each server's figures between the window's first and last readings.
fn node_figures(
    urls: &[String],
    first: &Reading,
    last: &Reading,
    wall: Duration,
) -> Vec<NodeFigures> {
    urls.iter()
        .enumerate()
        .map(|(i, url)| {
            let (a, b) = (first.nodes.get(i), last.nodes.get(i));
            let scrapes = a
                .and_then(|a| a.scrape.as_ref())
                .zip(b.and_then(|b| b.scrape.as_ref()));
            NodeFigures {
                url: url.clone(),
                cpu_cores: cores(a.and_then(|a| a.cpu), b.and_then(|b| b.cpu), wall),
                rss_mib: b
                    .and_then(|b| b.memory)
                    .map(|m| m.rss as f64 / (1 << 20) as f64),
                tick_ms: scrapes.and_then(|(x, y)| histogram_ms(x, y, sampler::TICK_HISTOGRAM)),
                missed_ticks: scrapes
                    .and_then(|(x, y)| counter_delta(x, y, "tickwire_missed_ticks_total"))
                    .map(|d| d.max(0.0) as u64),
                lobbies: scrapes.and_then(|(_, y)| y.sum("tickwire_lobbies")),
                clients: scrapes.and_then(|(_, y)| y.sum("tickwire_clients")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &str) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("loadtest").chain(args.split_whitespace()))
    }

    #[test]
    fn durations() {
        let a = parse("--warmup 2s --duration 1m30s --input-lead 6ms").expect("valid");
        assert_eq!(a.warmup, Duration::from_secs(2));
        assert_eq!(a.duration, Duration::from_secs(90));
        assert_eq!(a.input_lead, Some(Duration::from_millis(6)));
        assert_eq!(
            parse("--duration 0.5s").expect("valid").duration,
            Duration::from_millis(500)
        );
        let d = parse("").expect("defaults");
        assert_eq!(
            (d.warmup, d.duration),
            (Duration::from_secs(5), Duration::from_secs(20))
        );
        // A number needs its unit.
        assert!(parse("--duration 20").is_err());
        assert!(parse("--warmup soon").is_err());
    }
}
