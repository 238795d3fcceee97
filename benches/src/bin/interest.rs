//! Interest management and the bandwidth budget on a large map: 64 wandering players spread
//! over the 4,000-unit bench arena (an 8 x 8 grid of spawns, 500 units apart) with its orbs,
//! at 30 Hz, through the sans-IO lobby core. Every client really decodes and applies its
//! snapshots and acks what it holds, a round trip behind; each world it rebuilds is checked
//! against what the server says it sent. The same scene runs with interest off, with
//! interest on (a 1280 x 720 screen plus a margin), and with interest and a byte budget.
//!
//! `cargo run --release -p tickwire-benches --bin interest -- --help`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use tickwire_benches::scenario::{Bot, TICK_RATE, bench_map, bench_map_with_view, new_lobby};
use tickwire_benches::sim::{SimClient, delays, ws_header};
use tickwire_benches::stats::Summary;
use tickwire_benches::wander::Wander;
use tickwire_server::lobby::{Delivery, Lobby};

#[derive(Debug, Parser)]
#[command(about = "Bytes and encode time per client with interest management on and off")]
struct Args {
    #[arg(long, default_value_t = 64)]
    players: usize,
    /// Orbs on the map (still things, each in some client's view).
    #[arg(long, default_value_t = 400)]
    orbs: u32,
    /// Measured seconds of game time per scenario.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    #[arg(long, default_value_t = 2)]
    warmup: u32,
    /// Round trip, milliseconds (whole ticks, split between the two ways).
    #[arg(long, default_value_t = 100)]
    rtt_ms: u32,
    /// The view: width, height, margin, hysteresis (world units).
    #[arg(long, value_delimiter = ',', default_value = "1280,720,200,200")]
    view: Vec<i32>,
    /// The budget of the third scenario, bytes of spawns and updates per client per tick.
    #[arg(long, default_value_t = 60)]
    budget: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the Markdown table to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Default)]
struct Run {
    /// Snapshot bytes (with the WebSocket header) received, in the measured window.
    bytes: f64,
    /// Per measured tick: send_snapshots time divided by the clients, microseconds.
    per_client_us: Vec<f64>,
    /// Per snapshot: entities the client holds.
    entities: Vec<f64>,
    bodies_per_tick: Vec<f64>,
    ticks: u32,
    mismatches: u64,
    full_requests: u64,
    stale: u64,
    views: u64,
    max_stale_ticks: u32,
}

fn run(lobby: &mut Lobby, a: &Args) -> anyhow::Result<Run> {
    let delays = delays(a.rtt_ms, TICK_RATE);
    let mut clients = Vec::with_capacity(a.players);
    for i in 0..a.players {
        let client = i as u32 + 1;
        lobby
            .join(client, &format!("bot{client}"))
            .map_err(|e| anyhow::anyhow!("join: {e:?}"))?;
        let bot = Bot {
            client,
            wander: Wander::new(a.seed ^ (u64::from(client) << 20), TICK_RATE),
            seq: 0,
        };
        clients.push(SimClient::new(bot, lobby.schema(), delays)?);
    }
    lobby.drain_outbox().for_each(drop);
    let warm = a.warmup * u32::from(TICK_RATE);
    let total = warm + a.seconds * u32::from(TICK_RATE);
    let mut out = Run::default();
    let before = lobby.view_counts().unwrap_or_default();
    for t in 1..=total {
        let measured = t > warm;
        for c in &mut clients {
            c.deliver_inputs(t, lobby);
        }
        lobby.step();
        let start = Instant::now();
        lobby.send_snapshots(|_| true);
        let sent = start.elapsed();
        if measured {
            out.ticks += 1;
            out.per_client_us
                .push(sent.as_secs_f64() * 1e6 / clients.len() as f64);
            out.bodies_per_tick.push(lobby.bodies_encoded() as f64);
        }
        for env in lobby.drain_outbox().collect::<Vec<_>>() {
            if env.delivery != Delivery::Snapshot {
                continue;
            }
            let Some(c) = clients.iter_mut().find(|c| c.bot.client == env.client) else {
                continue;
            };
            if measured {
                out.bytes += (env.frame.len() + ws_header(env.frame.len())) as f64;
            }
            c.send_down(t, env.frame);
        }
        for c in &mut clients {
            out.full_requests += c.receive(t, lobby, |r| {
                if measured {
                    out.entities.push(r.world.map_or(0, |w| w.len()) as f64);
                }
                out.mismatches += u64::from(r.mismatch);
            })?;
            c.send_input(t);
        }
    }
    let after = lobby.view_counts().unwrap_or_default();
    out.stale = after.stale - before.stale;
    out.views = after.views - before.views;
    out.max_stale_ticks = after.max_stale_ticks;
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let [w, h, m, hy] = a.view[..] else {
        bail!("--view takes width,height,margin,hysteresis");
    };
    let view = [w, h, m, hy];
    let max = u8::try_from(a.players).context("at most 255 players")?;
    let scenes: [(&str, Lobby); 3] = [
        ("interest off", new_lobby(bench_map(a.orbs)?, max, a.seed)),
        (
            "interest on",
            new_lobby(bench_map_with_view(a.orbs, view)?, max, a.seed),
        ),
        (
            "interest on + budget",
            new_lobby(bench_map_with_view(a.orbs, view)?, max, a.seed),
        ),
    ];
    let hz = f64::from(TICK_RATE);
    let mut md = format!(
        "{} players on the {}-unit bench arena with {} orbs, {} Hz, {} ms round trip, view {w} x {h} units + {m} margin ({hy} hysteresis), {} s measured.\n\n",
        a.players,
        tickwire_benches::scenario::BENCH_ARENA_SIDE,
        a.orbs,
        TICK_RATE,
        a.rtt_ms,
        a.seconds
    );
    md.push_str("| scene | bytes / client / s | entities held (mean) | bodies / tick (mean) | encode / client / tick p50 | p99 | stale entity-views | longest wait | mismatches |\n|---|---|---|---|---|---|---|---|---|\n");
    let mut off_bytes = None;
    for (label, mut lobby) in scenes {
        if label.ends_with("budget") {
            lobby = with_budget(lobby, a.budget)?;
        }
        let r = run(&mut lobby, &a)?;
        let per_client_s = r.bytes / a.players as f64 / (f64::from(r.ticks) / hz);
        let us = Summary::of(&r.per_client_us);
        let entities = Summary::of(&r.entities);
        let bodies = Summary::of(&r.bodies_per_tick);
        let ratio = off_bytes.map_or(String::new(), |off: f64| {
            format!(" ({:.1}% of off)", 100.0 * per_client_s / off)
        });
        if off_bytes.is_none() {
            off_bytes = Some(per_client_s);
        }
        let stale = if r.views > 0 {
            format!("{:.2} per view", r.stale as f64 / r.views as f64)
        } else {
            "-".into()
        };
        md.push_str(&format!(
            "| {label} | {per_client_s:.0} B{ratio} | {:.1} | {:.1} | {:.2} µs | {:.2} µs | {stale} | {} ticks | {} |\n",
            entities.mean, bodies.mean, us.p50, us.p99, r.max_stale_ticks, r.mismatches
        ));
        if r.mismatches > 0 || r.full_requests > 0 {
            bail!(
                "{label}: {} worlds differed from what was sent, {} full requests",
                r.mismatches,
                r.full_requests
            );
        }
    }
    md.push_str(&format!(
        "\nThe budget scene gives each client {} bytes of spawns and updates per tick.\n",
        a.budget
    ));
    print!("{md}");
    if let Some(path) = &a.out {
        std::fs::write(path, &md).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The same lobby with a budget: the bench arena's game with `bandwidth_budget`.
fn with_budget(lobby: Lobby, budget: usize) -> anyhow::Result<Lobby> {
    let mut settings = lobby.settings().clone();
    settings.game = std::sync::Arc::new(Budgeted {
        budget,
        inner: settings.game.clone(),
    });
    Lobby::new(settings).context("the budgeted lobby")
}

/// A game as another, with a bandwidth budget added.
struct Budgeted {
    budget: usize,
    inner: std::sync::Arc<dyn tickwire_server::lobby::Game>,
}

impl tickwire_server::lobby::Game for Budgeted {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn build(&self, lobby: &mut tickwire_server::lobby::LobbyBuilder) -> Result<(), String> {
        self.inner.build(lobby)?;
        lobby.bandwidth_budget(self.budget);
        Ok(())
    }
}
