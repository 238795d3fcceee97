//! The floor under the load test: what the same traffic costs over loopback TCP with no
//! WebSocket, no protocol and no game. One thread plays the server (a frame to every client
//! each tick, lobby by lobby, reading what comes in); another plays the clients (one input
//! per tick each, at random phases, reading what comes in). Each thread's CPU time is what
//! the kernel and a bare tokio event loop need for that traffic (on loopback the sender also
//! pays for the receiver's TCP processing), so no server can use less on this machine, and
//! the load test's figures can be read against it.
//!
//! `cargo run --release -p tickwire-benches --bin floor -- --clients 600`

use std::net::{SocketAddr, TcpListener as StdListener};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tickwire_benches::procfs::thread_cpu_time;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{MissedTickBehavior, interval_at};

#[derive(Debug, Parser)]
#[command(about = "Loopback TCP cost of the load test's traffic with nothing else on top")]
struct Args {
    /// Client connections.
    #[arg(long, default_value_t = 600)]
    clients: usize,
    /// Clients per lobby: the server writes to one lobby's clients together, each tick.
    #[arg(long, default_value_t = 20)]
    players: usize,
    /// Ticks (and inputs) per second.
    #[arg(long, default_value_t = 30)]
    rate: u32,
    /// Bytes per frame down (a 20-player delta snapshot is about 29 with its WebSocket
    /// header).
    #[arg(long, default_value_t = 29)]
    down: usize,
    /// Bytes per frame up (an input is about 18 with its masked WebSocket header).
    #[arg(long, default_value_t = 18)]
    up: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// When the window opens: time to connect everyone, then two seconds of warm-up.
const SETTLE: Duration = Duration::from_secs(6);

/// Sets TCP_NODELAY, reads and discards everything the peer sends (in a task of its own),
/// and returns the half to write to.
fn drained(stream: TcpStream) -> std::io::Result<OwnedWriteHalf> {
    stream.set_nodelay(true)?;
    let (mut rx, tx) = stream.into_split();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = rx.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    Ok(tx)
}

/// Writes `frame` to each of `writers` every period, from a random phase on.
async fn every_tick(
    mut writers: Vec<OwnedWriteHalf>,
    frame: Vec<u8>,
    period: Duration,
    phase: Duration,
) {
    let mut ticks = interval_at(tokio::time::Instant::now() + phase, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        for w in &mut writers {
            if w.write_all(&frame).await.is_err() {
                return;
            }
        }
    }
}

/// The CPU this thread uses between `start` and `end`, while the spawned tasks run.
async fn cpu_between(start: Instant, end: Instant) -> anyhow::Result<Duration> {
    tokio::time::sleep_until(start.into()).await;
    let before = thread_cpu_time().context("reading /proc/thread-self/schedstat")?;
    tokio::time::sleep_until(end.into()).await;
    Ok(thread_cpu_time().context("reading /proc/thread-self/schedstat")? - before)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn server(
    args: &Args,
    listener: StdListener,
    start: Instant,
    end: Instant,
) -> anyhow::Result<Duration> {
    runtime()?.block_on(async {
        let listener = TcpListener::from_std(listener)?;
        let period = Duration::from_secs(1) / args.rate;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut lobby = Vec::new();
        for accepted in 1..=args.clients {
            let (stream, _) = listener.accept().await?;
            lobby.push(drained(stream)?);
            if lobby.len() == args.players || accepted == args.clients {
                let phase = period.mul_f64(rng.random());
                tokio::spawn(every_tick(
                    std::mem::take(&mut lobby),
                    vec![0x82; args.down],
                    period,
                    phase,
                ));
            }
        }
        if Instant::now() >= start {
            bail!("connecting took longer than {} s", SETTLE.as_secs());
        }
        cpu_between(start, end).await
    })
}

fn clients(
    args: &Args,
    addr: SocketAddr,
    start: Instant,
    end: Instant,
) -> anyhow::Result<Duration> {
    runtime()?.block_on(async {
        let period = Duration::from_secs(1) / args.rate;
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..args.clients {
            let tx = drained(TcpStream::connect(addr).await?)?;
            let phase = period.mul_f64(rng.random());
            tokio::spawn(every_tick(vec![tx], vec![0x82; args.up], period, phase));
        }
        cpu_between(start, end).await
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.clients == 0 || args.players == 0 || args.rate == 0 {
        bail!("--clients, --players and --rate must be at least 1");
    }
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let start = Instant::now() + SETTLE;
    let end = start + Duration::from_secs(args.seconds.max(1));
    eprintln!(
        "{} clients over loopback TCP, {} per lobby, {} Hz, {} B down / {} B up per message; measuring {} s after {} s",
        args.clients,
        args.players,
        args.rate,
        args.down,
        args.up,
        args.seconds,
        SETTLE.as_secs()
    );
    let (server_cpu, client_cpu) = std::thread::scope(|s| {
        let server = s.spawn(|| server(&args, listener, start, end));
        let clients = s.spawn(|| clients(&args, addr, start, end));
        (server.join(), clients.join())
    });
    let server_cpu = server_cpu.map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    let client_cpu = client_cpu.map_err(|_| anyhow::anyhow!("the client thread panicked"))??;
    let secs = end.duration_since(start).as_secs_f64();
    let msgs = args.clients as f64 * f64::from(args.rate);
    println!(
        "| clients | messages/s each way | server side (cores) | client side (cores) | server µs per message in + out | client µs per message in + out |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    println!(
        "| {} | {:.0} | {:.3} | {:.3} | {:.2} | {:.2} |",
        args.clients,
        msgs,
        server_cpu.as_secs_f64() / secs,
        client_cpu.as_secs_f64() / secs,
        server_cpu.as_secs_f64() * 1e6 / (msgs * secs),
        client_cpu.as_secs_f64() * 1e6 / (msgs * secs),
    );
    Ok(())
}
