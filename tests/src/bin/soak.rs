//! Soak test: a real `tickwire` server under bots that join, play, leave, drop and resume,
//! and send garbage, for a long time (10 minutes by default); with `--attacks`, hostile
//! clients run every attack of the abuse suite meanwhile. Reports errors, the server's RSS
//! at the start and the end, and missed ticks; exits non-zero on any unexpected error of an
//! honest bot.
//!
//! `cargo build --release -p tickwire-server && cargo run --release -p tickwire-tests --bin soak`

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tickwire_protocol::messages::{ClientMsg, ServerMsg};
use tickwire_tests::attacks::{self, AttackCounters};
use tickwire_tests::hostile::connect_from;
use tickwire_tests::{Client, metric_value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser, Debug)]
#[command(
    about = "Soak a real Tickwire server with bots that join, leave, reconnect and send garbage"
)]
struct Args {
    /// Seconds to run.
    #[arg(long, default_value_t = 600)]
    duration: u64,
    /// Bots at once.
    #[arg(long, default_value_t = 48)]
    bots: usize,
    /// The server binary (default: `tickwire` beside this one).
    #[arg(long)]
    server: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the server's log here.
    #[arg(long)]
    server_log: Option<PathBuf>,
    /// Also run every attack (listing floods, partial requests, frame floods, lobby spam,
    /// code guessing, roster churn, unsolicited pongs) from addresses of their own.
    #[arg(long)]
    attacks: bool,
}

#[derive(Default)]
struct Counters {
    sessions: AtomicU64,
    resumes: AtomicU64,
    garbage: AtomicU64,
    leaves: AtomicU64,
    errors: AtomicU64,
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU seconds the process has used, user and system (Linux's USER_HZ is 100).
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

async fn missed_ticks(addr: &str) -> Result<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut body = String::new();
    s.read_to_string(&mut body).await?;
    let missed =
        metric_value(&body, "tickwire_missed_ticks_total").context("no missed-ticks metric")?;
    Ok(missed as u64)
}

/// A connection for bot `id`, from one of 16 loopback addresses (players come from many
/// addresses; the server's per-address budgets are for one address).
async fn connect(url: &str, id: usize) -> Result<Client> {
    let server: std::net::SocketAddr = url
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()?;
    let from = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 1, 1 + (id % 16) as u8));
    Client::connect_over(connect_from(from, server).await?, url).await
}

/// One bot's life: repeated sessions until the deadline. Returns on an unexpected error.
async fn bot(
    url: String,
    id: usize,
    seed: u64,
    until: Instant,
    counters: Arc<Counters>,
) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let name = format!("bot{id}");
    let mut client = connect(&url, id).await?;
    client.hello(&name).await?;
    while Instant::now() < until {
        counters.sessions.fetch_add(1, Ordering::Relaxed);
        let joined = if rng.random_bool(0.8) {
            client.quick_join().await?
        } else {
            client.create("soak", 8, rng.random()).await?
        };
        let entity = joined.entity;
        let ticks = rng.random_range(30..300);
        let (x, y) = (rng.random_range(-127..=127), rng.random_range(-127..=127));
        client.hold(x, y, ticks).await?;
        match rng.random_range(0..4) {
            0 => {
                client.send(&ClientMsg::LeaveLobby).await?;
                client
                    .recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
                    .await?;
                counters.leaves.fetch_add(1, Ordering::Relaxed);
            }
            1 => {
                // Drop the connection and resume the seat.
                let token = client.token;
                drop(client);
                client = connect(&url, id).await?;
                let greeting = client.hello_resume(&name, token).await?;
                if greeting.len() != 1 {
                    bail!("resume refused: {greeting:?}");
                }
                let back = client.expect_joined().await?.entity;
                if back != entity {
                    bail!("resumed into entity {back}, had {entity}");
                }
                client.hold(0, 0, 10).await?;
                client.send(&ClientMsg::LeaveLobby).await?;
                client
                    .recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
                    .await?;
                counters.resumes.fetch_add(1, Ordering::Relaxed);
            }
            2 => {
                // Garbage: refused with an error and a close; then start over.
                // 0xff is never a valid first byte (no such varint marker), so it is always refused.
                let mut junk: Vec<u8> =
                    (0..rng.random_range(1..40)).map(|_| rng.random()).collect();
                junk[0] = 0xff;
                client.send_raw(Message::Binary(junk.into())).await?;
                client.expect_close().await?;
                counters.garbage.fetch_add(1, Ordering::Relaxed);
                client = connect(&url, id).await?;
                client.hello(&name).await?;
            }
            _ => {
                client.send(&ClientMsg::LeaveLobby).await?;
                client
                    .recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
                    .await?;
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let server = match args.server {
        Some(p) => p,
        None => std::env::current_exe()?.with_file_name("tickwire"),
    };
    let mut child = tokio::process::Command::new(&server)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--max-connections-per-ip",
            "0",
            "--reconnect-grace",
            "3",
            "--empty-lobby-grace",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(match &args.server_log {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::null(),
        })
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!(
                "starting {} (build it with cargo build --release -p tickwire-server)",
                server.display()
            )
        })?;
    let pid = child.id().context("server pid")?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await?
            .context("the server exited before listening")?;
        if let Some(rest) = line.strip_prefix("tickwire listening on http://") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    // Keep reading the server's stdout so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let url = format!("ws://{addr}/ws");
    let counters = Arc::new(Counters::default());
    let start = Instant::now();
    let until = start + Duration::from_secs(args.duration);
    let attack_counters = Arc::new(AttackCounters::default());
    let attackers = args.attacks.then(|| {
        let server = addr.parse().context("the server's address")?;
        anyhow::Ok(tokio::spawn(attacks::run(
            server,
            until,
            attack_counters.clone(),
        )))
    });
    let attackers = attackers.transpose()?;
    let bots: Vec<_> = (0..args.bots)
        .map(|i| {
            let (url, counters) = (url.clone(), counters.clone());
            // A bot that hits an unexpected error reports it and starts a new life.
            tokio::spawn(async move {
                let mut life = 0u64;
                while Instant::now() < until {
                    if let Err(e) = bot(
                        url.clone(),
                        i,
                        args.seed.wrapping_add(life),
                        until,
                        counters.clone(),
                    )
                    .await
                    {
                        counters.errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("bot {i}: {e:#}");
                    }
                    life += 1;
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(5.min(args.duration))).await;
    let rss_start = rss_kib(pid).unwrap_or(0);
    let missed_start = missed_ticks(&addr).await.unwrap_or(0);
    let report = |label: &str| {
        let c = &counters;
        let a = &attack_counters;
        println!(
            "{label} {:>5.0}s  sessions {:>6}  resumes {:>5}  garbage {:>5}  leaves {:>5}  errors {:>3}  rss {:>7} KiB  attack connections {:>6}  shut out {:>6}",
            start.elapsed().as_secs_f64(),
            c.sessions.load(Ordering::Relaxed),
            c.resumes.load(Ordering::Relaxed),
            c.garbage.load(Ordering::Relaxed),
            c.leaves.load(Ordering::Relaxed),
            c.errors.load(Ordering::Relaxed),
            rss_kib(pid).unwrap_or(0),
            a.connections.load(Ordering::Relaxed),
            a.shut_out.load(Ordering::Relaxed),
        );
    };
    let (mut cpu_then, mut missed_then, mut then) =
        (cpu_seconds(pid), missed_start, Instant::now());
    while Instant::now() < until {
        tokio::time::sleep(
            Duration::from_secs(10).min(until.saturating_duration_since(Instant::now())),
        )
        .await;
        report("soak");
        let (cpu, missed) = (cpu_seconds(pid), missed_ticks(&addr).await.unwrap_or(0));
        println!(
            "      server CPU {:.2} cores, missed ticks {} in the last {:.0}s",
            (cpu - cpu_then) / then.elapsed().as_secs_f64(),
            missed.saturating_sub(missed_then),
            then.elapsed().as_secs_f64(),
        );
        (cpu_then, missed_then, then) = (cpu, missed, Instant::now());
    }
    for b in bots {
        if tokio::time::timeout(Duration::from_secs(30), b)
            .await
            .is_err()
        {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            eprintln!("a bot did not finish within 30 s of the end");
        }
    }
    if let Some(a) = attackers {
        let _ = tokio::time::timeout(Duration::from_secs(30), a).await;
    }
    let rss_end = rss_kib(pid).unwrap_or(0);
    let missed = missed_ticks(&addr)
        .await
        .unwrap_or(0)
        .saturating_sub(missed_start);
    report("done");
    println!(
        "server RSS: {rss_start} KiB after warm-up, {rss_end} KiB at the end; missed ticks: {missed}"
    );
    let errors = counters.errors.load(Ordering::Relaxed);
    child.kill().await.ok();
    if errors > 0 {
        bail!("{errors} bots hit unexpected errors");
    }
    Ok(())
}
