//! The floor under the load test: what the same traffic costs over loopback TCP with no
//! WebSocket, no protocol and no game. One thread plays the server (a frame to every client
//! each tick, lobby by lobby, reading what comes in); another plays the clients (one input
//! per tick each, at random phases, reading what comes in). Each thread's CPU time is what
//! the kernel and a bare tokio event loop need for that traffic (on loopback the sender also
//! pays for the receiver's TCP processing): a floor for a server on an epoll event loop with
//! one system call per message, against which the load test's figures can be read. It fails
//! when either side writes less than 95% of the frames due (it could not keep up).
//!
//! `cargo run --release -p tickwire-benches --bin floor -- --clients 600`

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tickwire_benches::usage::thread_cpu_time;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpSocket, TcpStream};
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

/// Connections the listener holds before they are accepted.
const BACKLOG: u32 = 4096;

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

/// Writes `frame` to each of `writers` every period, from a random phase on, counting the
/// frames written.
async fn every_tick(
    mut writers: Vec<OwnedWriteHalf>,
    frame: Vec<u8>,
    period: Duration,
    phase: Duration,
    written: Arc<AtomicU64>,
) {
    let mut ticks = interval_at(tokio::time::Instant::now() + phase, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        for w in &mut writers {
            if w.write_all(&frame).await.is_err() {
                return;
            }
            written.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What one side did in the window.
struct Side {
    cpu: Duration,
    frames_written: u64,
}

/// The CPU this thread uses between `start` and `end`, while the spawned tasks run, and the
/// frames they wrote meanwhile; an error if connecting ran past `start`.
async fn measure(start: Instant, end: Instant, written: &AtomicU64) -> anyhow::Result<Side> {
    if Instant::now() >= start {
        return Err(late());
    }
    tokio::time::sleep_until(start.into()).await;
    let cpu = || thread_cpu_time().context("reading /proc/thread-self/schedstat");
    let (cpu_before, written_before) = (cpu()?, written.load(Ordering::Relaxed));
    tokio::time::sleep_until(end.into()).await;
    Ok(Side {
        cpu: cpu()? - cpu_before,
        frames_written: written.load(Ordering::Relaxed) - written_before,
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn late() -> anyhow::Error {
    anyhow::anyhow!(
        "connecting everyone took longer than {} s",
        SETTLE.as_secs()
    )
}

fn server(args: &Args, socket: TcpSocket, start: Instant, end: Instant) -> anyhow::Result<Side> {
    runtime()?.block_on(async {
        // A backlog for everyone: the clients connect in a tight loop, and with a short one
        // a dropped handshake is retried a second later, past the settling time.
        let listener = socket.listen(BACKLOG)?;
        let period = Duration::from_secs(1) / args.rate;
        let written = Arc::new(AtomicU64::new(0));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut lobby = Vec::new();
        for accepted in 1..=args.clients {
            let (stream, _) = tokio::time::timeout_at(start.into(), listener.accept())
                .await
                .map_err(|_| late())??;
            lobby.push(drained(stream)?);
            if lobby.len() == args.players || accepted == args.clients {
                let phase = period.mul_f64(rng.random());
                let frame = vec![0x82; args.down];
                let lobby = std::mem::take(&mut lobby);
                tokio::spawn(every_tick(lobby, frame, period, phase, written.clone()));
            }
        }
        measure(start, end, &written).await
    })
}

fn clients(args: &Args, addr: SocketAddr, start: Instant, end: Instant) -> anyhow::Result<Side> {
    runtime()?.block_on(async {
        let period = Duration::from_secs(1) / args.rate;
        let written = Arc::new(AtomicU64::new(0));
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..args.clients {
            let stream = TcpStream::connect(addr)
                .await
                .context("connecting (is the open-files limit, ulimit -n, high enough?)")?;
            let tx = drained(stream)?;
            let phase = period.mul_f64(rng.random());
            let frame = vec![0x82; args.up];
            tokio::spawn(every_tick(vec![tx], frame, period, phase, written.clone()));
        }
        measure(start, end, &written).await
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.clients == 0 || args.players == 0 || args.rate == 0 {
        bail!("--clients, --players and --rate must be at least 1");
    }
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let addr = socket.local_addr()?;
    let start = Instant::now() + SETTLE;
    let seconds = args.seconds.max(1);
    let end = start + Duration::from_secs(seconds);
    eprintln!(
        "{} clients over loopback TCP, {} per lobby, {} Hz, {} B down / {} B up per message; measuring {} s after {} s",
        args.clients,
        args.players,
        args.rate,
        args.down,
        args.up,
        seconds,
        SETTLE.as_secs()
    );
    let (server, clients) = std::thread::scope(|s| {
        let server = s.spawn(|| server(&args, socket, start, end));
        let clients = s.spawn(|| clients(&args, addr, start, end));
        (server.join(), clients.join())
    });
    let server = server.map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    let clients = clients.map_err(|_| anyhow::anyhow!("the client thread panicked"))??;
    let secs = end.duration_since(start).as_secs_f64();
    let expected = args.clients as f64 * f64::from(args.rate) * secs;
    for (side, s) in [("server", &server), ("clients", &clients)] {
        // A side that could not keep up (or lost connections) did less than the traffic
        // asked for: its figures would flatter it.
        if (s.frames_written as f64) < 0.95 * expected {
            bail!(
                "the {side} side wrote {} frames of the {expected:.0} due: it could not keep up",
                s.frames_written
            );
        }
    }
    let per_s = |s: &Side| s.frames_written as f64 / secs;
    let cores = |s: &Side| s.cpu.as_secs_f64() / secs;
    // CPU per client per tick: one frame written and one read.
    let us = |s: &Side| s.cpu.as_secs_f64() * 1e6 / s.frames_written.max(1) as f64;
    println!(
        "| clients | frames/s down | frames/s up | server side (cores) | client side (cores) | server µs per client per tick | client µs per client per tick |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {} | {:.0} | {:.0} | {:.3} | {:.3} | {:.2} | {:.2} |",
        args.clients,
        per_s(&server),
        per_s(&clients),
        cores(&server),
        cores(&clients),
        us(&server),
        us(&clients),
    );
    Ok(())
}
