//! Bandwidth report: the shipped arena with wandering bots (full stick, a new random
//! direction about once a second, seeded) and the map's orbs at 30 Hz, driven through the
//! sans-IO lobby core. Each client really decodes and applies its snapshots, holds worlds as
//! a browser would, and acks what it holds; a round trip is simulated by delaying snapshots
//! and inputs by whole ticks. For every snapshot it compares the delta frame the lobby sent
//! with the full snapshot (`SnapshotBody::diff(None, current)`) of the same tick.
//!
//! Also times snapshot encoding (`Lobby::send_snapshots`) per client per tick for a
//! 64-player lobby, and how bytes and tick time scale with players per lobby.
//!
//! `cargo run --release -p tickwire-benches --bin bandwidth -- --help`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use tickwire_benches::scenario::{Bot, TICK_RATE, arena_map, new_lobby};
use tickwire_benches::sim::{SimClient, delays, ws_header};
use tickwire_benches::stats::Summary;
use tickwire_benches::wander::Wander;
use tickwire_protocol::SnapshotBody;
use tickwire_protocol::codec::{encode, snapshot_frame};
use tickwire_server::lobby::{Delivery, Lobby};

#[derive(Debug, Parser)]
#[command(
    about = "Snapshot bytes per client, delta vs full, on the arena map through the sans-IO lobby core"
)]
struct Args {
    /// Players in the lobby for the bandwidth table.
    #[arg(long, default_value_t = 16)]
    players: usize,
    /// Measured seconds of game time per scenario.
    #[arg(long, default_value_t = 60)]
    seconds: u32,
    /// Seconds simulated before measuring (everyone joined and moving).
    #[arg(long, default_value_t = 2)]
    warmup: u32,
    /// Round trips to simulate, milliseconds (rounded to whole ticks, split between the
    /// snapshot's way down and the ack's way up).
    #[arg(long, value_delimiter = ',', default_value = "0,100,200")]
    rtt_ms: Vec<u32>,
    /// Players in the lobby whose snapshot encoding is timed.
    #[arg(long, default_value_t = 64)]
    encode_players: usize,
    /// Timing runs (each `--seconds` long); the table pools their ticks.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Players per lobby for the scaling table (at 100 ms round trip).
    #[arg(long, value_delimiter = ',', default_value = "8,20,64")]
    scaling: Vec<usize>,
    /// Seed for the bots' movement and the lobby's orbs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Everything measured in one scenario run.
#[derive(Default)]
struct Run {
    /// Per snapshot received in the measured window.
    delta_bytes: Vec<f64>,
    full_bytes: Vec<f64>,
    /// Delta frame bytes divided by the players moving at that tick.
    per_moving: Vec<f64>,
    baseline_age: Vec<f64>,
    moving_entities: u64,
    /// Per measured tick, microseconds.
    step_us: Vec<f64>,
    send_us: Vec<f64>,
    /// Diff + encode + frame for every client separately (no sharing), microseconds.
    unshared_us: Vec<f64>,
    bodies_per_tick: Vec<f64>,
    ticks: u32,
    mismatches: u64,
    full_requests: u64,
}

struct Scenario {
    players: usize,
    rtt_ms: u32,
    seconds: u32,
    warmup: u32,
    seed: u64,
    /// Also time per-client encoding without sharing (slow: only for the timing runs).
    time_unshared: bool,
}

fn run(s: &Scenario) -> anyhow::Result<Run> {
    let map = arena_map()?;
    let max = u8::try_from(s.players).context("at most 255 players")?;
    let mut lobby: Lobby = new_lobby(map, max.max(2), s.seed);
    let delays = delays(s.rtt_ms, TICK_RATE);
    let mut clients = Vec::with_capacity(s.players);
    for i in 0..s.players {
        let client = i as u32 + 1;
        lobby
            .join(client, &format!("bot{client}"))
            .map_err(|e| anyhow::anyhow!("join: {e:?}"))?;
        let wander = Wander::new(s.seed ^ (u64::from(client) << 20), TICK_RATE);
        let bot = Bot {
            client,
            wander,
            seq: 0,
        };
        clients.push(SimClient::new(bot, lobby.schema(), delays)?);
    }
    lobby.drain_outbox().for_each(drop);
    let layout = lobby.layout().clone();
    let schema = lobby.schema().clone();
    let (body_c, score_c) = (
        schema.component_id("Body").context("arena bodies")?,
        schema.component_id("Score").context("arena scores")?,
    );
    let vel = layout.components[body_c].0 + 2;
    let mut encoder = tickwire_protocol::DeltaEncoder::default();
    let warm_ticks = s.warmup * u32::from(TICK_RATE);
    let total = warm_ticks + s.seconds * u32::from(TICK_RATE);
    let mut out = Run::default();
    for t in 1..=total {
        let measured = t > warm_ticks;
        for c in &mut clients {
            c.deliver_inputs(t, &mut lobby);
        }
        let start = Instant::now();
        lobby.step();
        let stepped = Instant::now();
        lobby.send_snapshots(|_| true);
        let sent = stepped.elapsed();
        let step_time = stepped - start;
        let envelopes: Vec<_> = lobby.drain_outbox().collect();
        let current = lobby.history().latest().context("history")?.clone();
        let moving = (0..current.len())
            .filter(|&i| {
                let row = current.row(layout.stride, i);
                current.presence[i] & (1 << score_c) != 0 && (row[vel] != 0 || row[vel + 1] != 0)
            })
            .count();
        let full_body = encode(&SnapshotBody::diff(&layout, None, &current));
        if measured {
            out.ticks += 1;
            out.step_us.push(step_time.as_secs_f64() * 1e6);
            out.send_us.push(sent.as_secs_f64() * 1e6);
            out.bodies_per_tick.push(lobby.bodies_encoded() as f64);
            if s.time_unshared {
                let start = Instant::now();
                for c in &clients {
                    let base = c.store.latest().and_then(|w| lobby.history().get(w.tick));
                    let mut body = Vec::with_capacity(64);
                    encoder.encode(&layout, base, &current, &mut body);
                    std::hint::black_box(Bytes::from(snapshot_frame(c.bot.seq, &body)));
                }
                out.unshared_us.push(start.elapsed().as_secs_f64() * 1e6);
            }
        }
        for env in envelopes {
            if env.delivery != Delivery::Snapshot {
                continue;
            }
            let Some(c) = clients.iter_mut().find(|c| c.bot.client == env.client) else {
                continue;
            };
            if measured {
                let seq_header = snapshot_frame(c.bot.seq, &[]).len();
                out.delta_bytes.push(env.frame.len() as f64);
                out.full_bytes.push((seq_header + full_body.len()) as f64);
                out.per_moving
                    .push(env.frame.len() as f64 / moving.max(1) as f64);
                out.moving_entities += moving as u64;
            }
            c.send_down(t, env.frame);
        }
        for c in &mut clients {
            out.full_requests += c.receive(t, &mut lobby, |r| {
                if measured {
                    out.baseline_age.push(f64::from(r.age));
                }
                out.mismatches += u64::from(r.mismatch);
            })?;
            c.send_input(t);
        }
    }
    Ok(out)
}

fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

fn fmt_bytes(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} kB", v / 1000.0)
    } else {
        format!("{v:.0} B")
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let hz = f64::from(TICK_RATE);
    let mut md = String::new();
    let line = |md: &mut String, s: String| {
        md.push_str(&s);
        md.push('\n');
    };

    line(
        &mut md,
        format!(
            "### Snapshot bandwidth: arena map, {} players + {} orbs, {} Hz, {} s measured (seed {})\n",
            args.players,
            arena_map()?.rules["orbs"],
            TICK_RATE,
            args.seconds,
            args.seed
        ),
    );
    line(&mut md, "Bytes are WebSocket payloads (one bincode `ServerMsg::Snapshot`); \"+ws\" adds the WebSocket frame header. Full = `SnapshotBody::diff(None, current)` of the same tick.\n".into());
    line(&mut md, "| RTT | baseline age (ticks, median) | delta B/client/s | +ws | full B/client/s | delta / full | delta B/snapshot p50 / p90 / p99 | full B/snapshot p50 / p90 / p99 | delta B per moving entity per tick |".into());
    line(
        &mut md,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |".into(),
    );
    let mut verdicts = Vec::new();
    for &rtt in &args.rtt_ms {
        let r = run(&Scenario {
            players: args.players,
            rtt_ms: rtt,
            seconds: args.seconds,
            warmup: args.warmup,
            seed: args.seed,
            time_unshared: false,
        })?;
        if r.mismatches > 0 {
            bail!(
                "{} applied snapshots differed from the server's world at RTT {rtt} ms",
                r.mismatches
            );
        }
        let snaps = r.delta_bytes.len() as f64 / args.players as f64;
        let per_client_s = |bytes: f64| bytes / args.players as f64 / snaps * hz;
        let ws: f64 = r
            .delta_bytes
            .iter()
            .map(|b| (*b as usize + ws_header(*b as usize)) as f64)
            .sum();
        let (d, f) = (Summary::of(&r.delta_bytes), Summary::of(&r.full_bytes));
        let ratio = sum(&r.delta_bytes) / sum(&r.full_bytes);
        let per_moving = sum(&r.delta_bytes) / r.moving_entities.max(1) as f64;
        line(
            &mut md,
            format!(
                "| {rtt} ms | {:.0} | {} | {} | {} | {:.1}% | {:.0} / {:.0} / {:.0} | {:.0} / {:.0} / {:.0} | {:.2} |",
                Summary::of(&r.baseline_age).p50,
                fmt_bytes(per_client_s(sum(&r.delta_bytes))),
                fmt_bytes(per_client_s(ws)),
                fmt_bytes(per_client_s(sum(&r.full_bytes))),
                ratio * 100.0,
                d.p50,
                d.p90,
                d.p99,
                f.p50,
                f.p90,
                f.p99,
                per_moving,
            ),
        );
        verdicts.push(format!(
            "- RTT {rtt} ms: delta is {:.1}% of full (target at most 25%: {}); {:.2} B per moving entity per tick (target under 5: {}); {} full snapshots requested, 0 applied worlds differed from the server's.",
            ratio * 100.0,
            if ratio <= 0.25 { "met" } else { "MISSED" },
            per_moving,
            if per_moving < 5.0 { "met" } else { "MISSED" },
            r.full_requests,
        ));
    }
    line(&mut md, String::new());
    for v in verdicts {
        line(&mut md, v);
    }

    line(
        &mut md,
        format!(
            "\n### Snapshot encoding time: arena map, {} players, 100 ms RTT, {} runs of {} s\n",
            args.encode_players, args.runs, args.seconds
        ),
    );
    line(&mut md, "`Lobby::send_snapshots` per tick (diff + encode once per distinct baseline, then a frame per client), divided by the players; \"unshared\" is diff + encode + frame for every client on its own.\n".into());
    line(&mut md, "| run | bodies encoded per tick (mean) | shared: µs per client per tick p50 / p99 | unshared: µs per client per tick p50 / p99 | step (systems) µs per tick p50 / p99 |".into());
    line(&mut md, "| --- | --- | --- | --- | --- |".into());
    let n = args.encode_players as f64;
    let mut pooled = Run::default();
    for i in 0..args.runs {
        let r = run(&Scenario {
            players: args.encode_players,
            rtt_ms: 100,
            seconds: args.seconds,
            warmup: args.warmup,
            seed: args.seed + u64::from(i),
            time_unshared: true,
        })?;
        line(&mut md, encode_row(&(i + 1).to_string(), &r, n));
        pooled.send_us.extend(r.send_us);
        pooled.unshared_us.extend(r.unshared_us);
        pooled.step_us.extend(r.step_us);
        pooled.bodies_per_tick.extend(r.bodies_per_tick);
    }
    line(&mut md, encode_row("all", &pooled, n));

    line(
        &mut md,
        format!(
            "\n### Scaling with players per lobby: arena map, 100 ms RTT, {} s\n",
            args.seconds
        ),
    );
    line(&mut md, "| players | delta B/client/s | full B/client/s | delta / full | delta B per moving entity per tick | step µs p50 / p99 | send_snapshots µs per tick p50 / p99 | per client µs p50 |".into());
    line(
        &mut md,
        "| --- | --- | --- | --- | --- | --- | --- | --- |".into(),
    );
    for &p in &args.scaling {
        let r = run(&Scenario {
            players: p,
            rtt_ms: 100,
            seconds: args.seconds,
            warmup: args.warmup,
            seed: args.seed,
            time_unshared: false,
        })?;
        let snaps_per_client = r.delta_bytes.len() as f64 / p as f64;
        let per_s = |b: f64| b / p as f64 / snaps_per_client * hz;
        let (st, se) = (Summary::of(&r.step_us), Summary::of(&r.send_us));
        line(
            &mut md,
            format!(
                "| {p} | {} | {} | {:.1}% | {:.2} | {:.0} / {:.0} | {:.0} / {:.0} | {:.2} |",
                fmt_bytes(per_s(sum(&r.delta_bytes))),
                fmt_bytes(per_s(sum(&r.full_bytes))),
                sum(&r.delta_bytes) / sum(&r.full_bytes) * 100.0,
                sum(&r.delta_bytes) / r.moving_entities.max(1) as f64,
                st.p50,
                st.p99,
                se.p50,
                se.p99,
                se.p50 / p as f64,
            ),
        );
    }

    print!("{md}");
    if let Some(path) = &args.out {
        std::fs::write(path, &md).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// One row of the encode-time table: bodies per tick, shared and unshared µs per client per
/// tick (the timings divided by the `players`), and the systems' µs per tick.
fn encode_row(label: &str, r: &Run, players: f64) -> String {
    let per = |v: &[f64]| Summary::of(&v.iter().map(|x| x / players).collect::<Vec<_>>());
    let (sh, un, st) = (
        per(&r.send_us),
        per(&r.unshared_us),
        Summary::of(&r.step_us),
    );
    format!(
        "| {label} | {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.0} / {:.0} |",
        Summary::of(&r.bodies_per_tick).mean,
        sh.p50,
        sh.p99,
        un.p50,
        un.p99,
        st.p50,
        st.p99
    )
}
