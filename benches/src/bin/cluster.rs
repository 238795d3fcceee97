//! Cluster benchmark: a real `redis-server` and three real `tickwire` nodes on this machine
//! (started by the cluster tests' harness, `tickwire_tests::cluster`), measuring
//!
//! 1. the time from `JoinLobby` to the first snapshot, joining on the lobby's own node
//!    against joining through another node (a `Redirect`, a new connection, `Hello`, the
//!    ticket), alternated in one run;
//! 2. what the directory costs one Redis with the three nodes holding `--lobbies` lobbies:
//!    the steady state (heartbeat writes and listing refreshes, from Redis's own
//!    `INFO commandstats` and `INFO cpu`), then the seat-reservation script run as fast as
//!    `--concurrency` callers can, through the server's own `Cluster::reserve`.
//!
//! `cargo run --release -p tickwire-benches --bin cluster`

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use futures_util::StreamExt;
use tickwire_benches::stats::Summary;
use tickwire_benches::usage;
use tickwire_protocol::messages::{ClientMsg, LobbyTarget, ServerMsg};
use tickwire_server::cluster::Cluster;
use tickwire_server::cluster::seats::{Reservation, Target};
use tickwire_tests::Client;
use tickwire_tests::cluster::{Node, Redis, seat};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Parser)]
#[command(about = "Join latency across nodes and what the lobby directory costs Redis")]
struct Args {
    /// Joins of each kind (local, redirected).
    #[arg(long, default_value_t = 300)]
    joins: usize,
    /// Lobbies the three nodes hold for the directory figures.
    #[arg(long, default_value_t = 1000)]
    lobbies: usize,
    /// The steady-state window read from Redis.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    window: Duration,
    /// How long seats are reserved as fast as possible.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    reserve_for: Duration,
    /// Reservations in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// `--cluster-ttl` of the nodes (they heartbeat every third of it).
    #[arg(long, default_value_t = 10)]
    cluster_ttl: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

/// The nodes' tick rate.
const TICK_RATE: u16 = 30;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn create(name: &str) -> ClientMsg {
    ClientMsg::CreateLobby {
        game: String::new(),
        name: name.into(),
        map: "arena".into(),
        max_players: 64,
        private: false,
    }
}

/// How long one join took: to `Joined` and to the first snapshot; for a redirected one also
/// the detour, from `JoinLobby` until the ticket is sent on the lobby's node (the `Redirect`,
/// a new connection, `Hello` and `Welcome` there).
struct JoinTimes {
    joined: Duration,
    snapshot: Duration,
    detour: Option<Duration>,
}

/// Joins `code` through `url` (connecting and `Hello` on the first node are not timed),
/// following a redirect on the way, then leaves the lobby. Each join starts at a random
/// moment of the lobby's tick, as players do: one started right after the previous one's
/// `Left` (which a tick sends) would always find the tick at the same phase.
async fn timed_join(url: &str, code: &str, name: &str, tick: Duration) -> Result<JoinTimes> {
    let mut client = Client::connect(url).await?;
    client.hello(name).await?;
    let phase = tick.mul_f64(f64::from(rand::random::<u16>()) / f64::from(u16::MAX));
    tokio::time::sleep(phase).await;
    let started = Instant::now();
    client
        .send(&ClientMsg::JoinLobby {
            target: LobbyTarget::Code(code.into()),
            schema: None,
        })
        .await?;
    let (mut detour, mut joined) = (None, None);
    let snapshot = loop {
        match client.recv().await? {
            ServerMsg::Redirect {
                url,
                ticket: Some(ticket),
            } if detour.is_none() => {
                client = Client::connect(&url).await?;
                client.hello(name).await?;
                detour = Some(started.elapsed());
                client
                    .send(&ClientMsg::JoinLobby {
                        target: LobbyTarget::Ticket(ticket),
                        schema: None,
                    })
                    .await?;
            }
            ServerMsg::Joined(_) => joined = Some(started.elapsed()),
            ServerMsg::Snapshot(_) => break started.elapsed(),
            ServerMsg::Error { code, message } => bail!("{name}: {code:?} {message}"),
            _ => {}
        }
    };
    client.send(&ClientMsg::LeaveLobby).await?;
    client
        .recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
        .await?;
    Ok(JoinTimes {
        joined: joined.context("a snapshot before Joined")?,
        snapshot,
        detour,
    })
}

/// Opens lobby `i` on the node at `addr` from a loopback address of its own among 16
/// lobbies (a node lets one address open 20 lobbies at once, then 2 a second); returns its
/// host, who stays, and its code.
async fn open_lobby(addr: SocketAddr, i: usize) -> Result<(Client, String)> {
    let group = i / 16;
    let source = Ipv4Addr::new(127, 1 + (group / 250) as u8, 0, 2 + (group % 250) as u8);
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source.into(), 0))?;
    let stream = socket.connect(addr).await?;
    let mut host = Client::connect_over(stream, &format!("ws://{addr}/ws")).await?;
    host.hello(&format!("h{i}")).await?;
    host.send(&create(&format!("bench {i}"))).await?;
    let code = host.expect_joined().await?.code;
    Ok((host, code))
}

/// One `INFO section` answer of the Redis on `port`, as its lines.
async fn redis_info(port: u16, section: &str) -> Result<String> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(format!("INFO {section}\r\n").as_bytes())
        .await?;
    let mut got = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            bail!("Redis closed the connection");
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some((head, body)) = text.split_once("\r\n") {
            let len: usize = head.trim_start_matches('$').parse().context("INFO reply")?;
            if body.len() >= len {
                return Ok(body[..len].to_owned());
            }
        }
    }
}

/// Redis's counters at one moment: CPU seconds and, per command, (calls, microseconds).
struct RedisReading {
    at: Instant,
    cpu_s: f64,
    commands: Vec<(String, u64, u64)>,
}

async fn read_redis(port: u16) -> Result<RedisReading> {
    let at = Instant::now();
    let cpu = redis_info(port, "cpu").await?;
    let field = |name: &str| {
        cpu.lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(':')?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or(0.0)
    };
    let cpu_s = field("used_cpu_sys") + field("used_cpu_user");
    let stats = redis_info(port, "commandstats").await?;
    let commands = stats
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let value = |k: &str| {
                rest.split(',')
                    .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('=')?.parse::<u64>().ok())
            };
            Some((name.to_owned(), value("calls")?, value("usec")?))
        })
        .collect();
    Ok(RedisReading {
        at,
        cpu_s,
        commands,
    })
}

/// What Redis did between two readings: its CPU (cores) and, per command, calls per second
/// and microseconds per call, busiest first.
fn redis_between(a: &RedisReading, b: &RedisReading) -> (f64, Vec<(String, f64, f64)>) {
    let wall = b.at.duration_since(a.at).as_secs_f64();
    let mut rows: Vec<_> = b
        .commands
        .iter()
        .filter_map(|(name, calls, usec)| {
            let (c0, u0) = a
                .commands
                .iter()
                .find(|(n, ..)| n == name)
                .map_or((0, 0), |(_, c, u)| (*c, *u));
            let calls = calls.saturating_sub(c0);
            (calls > 0 && name != "info").then(|| {
                (
                    name.clone(),
                    calls as f64 / wall,
                    usec.saturating_sub(u0) as f64 / calls as f64,
                )
            })
        })
        .collect();
    rows.sort_by(|x, y| y.1.total_cmp(&x.1));
    ((b.cpu_s - a.cpu_s) / wall, rows)
}

fn print_commands(rows: &[(String, f64, f64)]) {
    println!("| command | calls/s | µs/call |\n| --- | --- | --- |");
    for (name, rate, per) in rows {
        println!("| `{name}` | {rate:.1} | {per:.2} |");
    }
}

fn summary_row(what: &str, s: &Summary) {
    println!(
        "| {what} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        s.count, s.p50, s.p90, s.p99, s.max, s.mean
    );
}

async fn run(args: Args) -> Result<()> {
    let ttl = args.cluster_ttl.to_string();
    let rate = TICK_RATE.to_string();
    let node_args = [
        "--tick-rate",
        &rate,
        "--max-connections-per-ip",
        "0",
        "--max-http-connections-per-ip",
        "0",
        "--max-lobbies",
        "5000",
        "--cluster-ttl",
        &ttl,
        // The lobbies' hosts send nothing after opening them; they stay seated.
        "--ping-timeout",
        "3600",
    ];
    let redis = Redis::start().await?;
    let nodes = Node::three(&redis, &node_args).await?;
    println!(
        "cluster benchmark: redis-server and 3 tickwire nodes on this machine ({} cores, load average {:.2} before)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        usage::load_average().unwrap_or(f64::NAN)
    );

    // 1. Join to first snapshot, local and redirected, alternated.
    let host = seat(&nodes[0].ws_url(), "host", create("bench joins")).await?;
    let code = host.joined.code.clone();
    let tick = Duration::from_secs(1) / u32::from(TICK_RATE);
    let (mut local, mut redirected) = (Vec::new(), Vec::new());
    for i in 0..args.joins * 2 {
        let via = if i % 2 == 0 { 0 } else { 1 + (i / 2) % 2 };
        let t = timed_join(&nodes[via].ws_url(), &code, &format!("j{i}"), tick).await?;
        anyhow::ensure!(
            t.detour.is_some() == (via != 0),
            "join {i} through node {via}"
        );
        if via == 0 {
            local.push(t);
        } else {
            redirected.push(t);
        }
    }
    drop(host);
    let of = |ts: &[JoinTimes], f: fn(&JoinTimes) -> Option<Duration>| {
        Summary::of(&ts.iter().filter_map(f).map(ms).collect::<Vec<_>>())
    };
    println!(
        "\n### JoinLobby to first snapshot (ms, a {} Hz lobby on node 1; joins alternate)\n",
        TICK_RATE
    );
    println!(
        "| join | n | p50 | p90 | p99 | max | mean |\n| --- | --- | --- | --- | --- | --- | --- |"
    );
    summary_row(
        "on the lobby's node: to the first snapshot",
        &of(&local, |t| Some(t.snapshot)),
    );
    summary_row(
        "through another node: to the first snapshot",
        &of(&redirected, |t| Some(t.snapshot)),
    );
    summary_row(
        "on the lobby's node: to Joined",
        &of(&local, |t| Some(t.joined)),
    );
    summary_row(
        "through another node: to Joined",
        &of(&redirected, |t| Some(t.joined)),
    );
    summary_row(
        "through another node: the detour (Redirect, connect, Hello, Welcome)",
        &of(&redirected, |t| t.detour),
    );

    // 2. The directory with `lobbies` lobbies over the three nodes.
    let made = Instant::now();
    let seated: Vec<Result<(Client, String)>> = futures_util::stream::iter(0..args.lobbies)
        .map(|i| {
            let addr = nodes[i % 3].addr;
            async move { open_lobby(addr, i).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let hosts: Vec<(Client, String)> = seated.into_iter().collect::<Result<_>>()?;
    let codes: Arc<Vec<String>> = Arc::new(hosts.iter().map(|h| h.1.clone()).collect());
    println!(
        "\nopened {} lobbies in {:.1} s",
        hosts.len(),
        made.elapsed().as_secs_f64()
    );
    // Every lobby written by at least one heartbeat before the window.
    tokio::time::sleep(Duration::from_secs(args.cluster_ttl) / 3 + Duration::from_secs(1)).await;
    let before = read_redis(redis.port).await?;
    let node_cpu0: Vec<_> = nodes.iter().map(|n| usage::cpu_time(n.pid())).collect();
    tokio::time::sleep(args.window).await;
    let after = read_redis(redis.port).await?;
    let node_cpu1: Vec<_> = nodes.iter().map(|n| usage::cpu_time(n.pid())).collect();
    let (cpu, rows) = redis_between(&before, &after);
    let ops: f64 = rows.iter().map(|r| r.1).sum();
    println!(
        "\n### Steady state: 3 nodes, {} lobbies, {:.0} s (heartbeat every {:.1} s, listing refresh every 0.5 s per node)\n",
        hosts.len(),
        args.window.as_secs_f64(),
        args.cluster_ttl as f64 / 3.0
    );
    println!("Redis: {ops:.0} commands/s, {:.4} cores\n", cpu);
    print_commands(&rows);
    let nodes_cpu: Vec<String> = node_cpu0
        .iter()
        .zip(&node_cpu1)
        .map(|(a, b)| match (a, b) {
            (Some(a), Some(b)) => {
                format!("{:.3}", (*b - *a).as_secs_f64() / args.window.as_secs_f64())
            }
            _ => "n/a".into(),
        })
        .collect();
    println!(
        "\nnode CPU (cores, idle lobbies ticking): {}",
        nodes_cpu.join(", ")
    );

    // 3. Seat reservations as fast as `concurrency` callers get them, from a fourth "node"
    // (an id no lobby is on, so every lobby is elsewhere): the script of a real join.
    let bench_node = Cluster::new(
        &redis.url(),
        "ws://127.0.0.1:9/ws".into(),
        Duration::from_secs(args.cluster_ttl),
    )?;
    let (ok, full, failed) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let last_held_us = Arc::new(AtomicU64::new(0));
    let before = read_redis(redis.port).await?;
    let started = Instant::now();
    let until = started + args.reserve_for;
    let mut tasks = Vec::new();
    for t in 0..args.concurrency.max(1) {
        let (node, codes) = (bench_node.clone(), codes.clone());
        let (ok, full, failed) = (ok.clone(), full.clone(), failed.clone());
        let last_held_us = last_held_us.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = t;
            while Instant::now() < until {
                let code = &codes[i % codes.len()];
                i += 7;
                let at = Instant::now();
                match node.reserve(&Target::Code(code.clone()), None).await {
                    Ok(Reservation::Held { .. }) => {
                        let at = started.elapsed().as_micros() as u64;
                        last_held_us.fetch_max(at, Ordering::Relaxed);
                        ok.fetch_add(1, Ordering::Relaxed)
                    }
                    Ok(_) => full.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
                latencies.push(ms(at.elapsed()));
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let wall = started.elapsed().as_secs_f64();
    let after = read_redis(redis.port).await?;
    let (cpu, rows) = redis_between(&before, &after);
    let (ok, full, failed) = (
        ok.load(Ordering::Relaxed),
        full.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    );
    println!(
        "\n### Seat reservations (the RESERVE script), {} in flight, {:.1} s, while the nodes heartbeat\n",
        args.concurrency, wall
    );
    let held_for = last_held_us.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "{:.0} reservations/s ({ok} seats held, {full} refused as full, {failed} failed); Redis {:.3} cores",
        (ok + full) as f64 / wall,
        cpu
    );
    println!(
        "while seats were free (the first {held_for:.2} s): {:.0} seats held/s\n",
        ok as f64 / held_for.max(1e-6)
    );
    println!("| | n | p50 | p90 | p99 | max | mean |\n| --- | --- | --- | --- | --- | --- | --- |");
    summary_row("one reservation, ms", &Summary::of(&latencies));
    println!();
    print_commands(&rows);
    drop(hosts);
    Ok(())
}
