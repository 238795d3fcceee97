//! One bot: a real WebSocket client that says Hello, creates or joins its lobby, then sends
//! one input per tick (wandering, acking the newest snapshot it holds), applies every
//! snapshot to the world it names, pings once a second, and measures what a player would
//! feel: input-to-snapshot latency, round trip, bytes each way.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use std::net::{IpAddr, SocketAddr};
use tickwire_benches::view::{Applied, WorldStore};

use crate::delays::Delays;
use crate::timeline::Timeline;
use tickwire_benches::bot_input::BotInput;
use tickwire_benches::wander::Wander;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ClientMsg, LobbyTarget, ServerMsg};
use tickwire_protocol::{Input, PROTOCOL_VERSION, decode_server};

use crate::server::Target;

use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::{MissedTickBehavior, interval_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for the server during the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Inputs remembered while waiting for a snapshot to cover them.
const MAX_PENDING_INPUTS: usize = 512;
/// Snapshot arrivals over which the tick boundary is estimated (3 s at 30 Hz).
const PHASE_WINDOW: usize = 90;

/// What every bot shares with the driver.
pub struct Shared {
    /// The servers (cluster nodes) the lobbies are spread over: lobby `i` on node `i % n`.
    pub nodes: Vec<Target>,
    /// Bots per loopback source address (`None`: let the system choose).
    pub per_source_ip: Option<usize>,
    /// Send inputs this long before the estimated tick boundary (`None`: at a random phase).
    pub input_lead: Option<Duration>,
    /// The measured window, set once every bot has had its chance to connect.
    pub window: OnceLock<(Instant, Instant)>,
    pub stop: watch::Receiver<bool>,
    pub connected: AtomicUsize,
    pub failed: AtomicUsize,
    /// Connections that ended before the bot was told to stop.
    pub dropped: AtomicUsize,
    /// The window second by second, all bots together.
    pub timeline: Timeline,
    /// The window's delay distributions, all bots together.
    pub delays: Delays,
}

impl Shared {
    /// The node lobby `index` is on.
    pub fn node(&self, index: usize) -> &Target {
        &self.nodes[index % self.nodes.len().max(1)]
    }

    /// The source address of the `n`th bot: 127.0.0.1, then .2, ... every `per_source_ip` bots.
    pub fn source(&self, n: usize) -> Option<IpAddr> {
        let per = self.per_source_ip?;
        if self
            .nodes
            .iter()
            .any(|n| !n.http.ip().is_loopback() || !n.http.is_ipv4())
        {
            return None;
        }
        let host = 1 + (n / per.max(1)).min(253) as u8;
        Some(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, host)))
    }

    fn in_window(&self, t: Instant) -> bool {
        self.second_of(t).is_some()
    }

    /// The second of the measured window `t` falls in (0 for its first second).
    fn second_of(&self, t: Instant) -> Option<usize> {
        let (start, end) = self.window.get()?;
        (t >= *start && t < *end).then(|| (t - *start).as_secs() as usize)
    }
}

pub enum Role {
    Create {
        /// The game the lobby plays (its maps name it too).
        game: String,
        lobby_name: String,
        map: String,
        max_players: u8,
    },
    Join {
        code: String,
    },
}

pub struct Seated {
    ws: Ws,
    pub code: String,
    pub tick_rate: u16,
    schema: tickwire_protocol::Schema,
    /// The bot's own entity.
    entity: u32,
}

/// Everything one bot measured in the window. Times are microseconds.
pub struct BotReport {
    pub connected: bool,
    pub error: Option<String>,
    pub snapshot_bytes_down: u64,
    pub other_bytes_down: u64,
    pub input_bytes_up: u64,
    pub snapshots: u64,
    pub inputs: u64,
    pub full_snapshots: u64,
    pub missing_baselines: u64,
    /// Ticks skipped between consecutive snapshots (server catch-up or dropped snapshots).
    pub tick_gaps: u64,
    pub server_errors: u64,
    /// Inputs applied at least one tick after the first boundary following their sending
    /// (server-added latency over half a tick): queued behind earlier inputs, or late.
    pub held_inputs: u64,
}

impl BotReport {
    pub fn empty() -> Self {
        Self {
            connected: false,
            error: None,
            snapshot_bytes_down: 0,
            other_bytes_down: 0,
            input_bytes_up: 0,
            snapshots: 0,
            inputs: 0,
            full_snapshots: 0,
            missing_baselines: 0,
            tick_gaps: 0,
            server_errors: 0,
            held_inputs: 0,
        }
    }

    pub fn failed(error: String) -> Self {
        Self {
            error: Some(error),
            ..Self::empty()
        }
    }
}

fn frame(msg: &ClientMsg) -> Message {
    Message::Binary(encode(msg).into())
}

/// The next server message, skipping anything that is not binary.
async fn next_msg(ws: &mut Ws) -> anyhow::Result<ServerMsg> {
    loop {
        let msg = tokio::time::timeout(HANDSHAKE_TIMEOUT, ws.next())
            .await
            .context("the server did not answer in time")?
            .context("the server closed the connection")??;
        match msg {
            Message::Binary(b) => return decode_server(&b).context("decoding a server frame"),
            Message::Close(c) => bail!("the server closed the connection: {c:?}"),
            _ => {}
        }
    }
}

/// Bytes read from the socket at a time. tungstenite zero-fills this much buffer on every
/// read (its default, 128 KiB, costs more than everything else a bot does); the server uses
/// the same 4 KiB. Delta frames are tens of bytes, and longer ones are still read whole, in
/// several reads.
const READ_BUFFER: usize = 4 << 10;

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER)
}

/// Opens the WebSocket from `source` (an address on the loopback interface, so that
/// thousands of bots do not all come from one address, as players would not).
async fn connect(url: &str, server: SocketAddr, source: Option<IpAddr>) -> anyhow::Result<Ws> {
    let socket = if server.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = source {
        socket
            .bind(SocketAddr::new(ip, 0))
            .with_context(|| format!("binding to {ip}"))?;
    }
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    let (ws, _) = tokio_tungstenite::client_async_with_config(
        url,
        MaybeTlsStream::Plain(stream),
        Some(ws_config()),
    )
    .await?;
    Ok(ws)
}

/// Connects, says Hello and takes a seat. The first bot of a lobby creates it; the others
/// join it by the code the first one got.
pub async fn seat(
    url: &str,
    server: SocketAddr,
    source: Option<IpAddr>,
    name: &str,
    role: &Role,
) -> anyhow::Result<Seated> {
    let mut ws = tokio::time::timeout(HANDSHAKE_TIMEOUT, connect(url, server, source))
        .await
        .context("connecting timed out")?
        .context("connecting")?;
    ws.send(frame(&ClientMsg::Hello {
        protocol_version: PROTOCOL_VERSION,
        name: name.into(),
        resume: None,
    }))
    .await?;
    let tick_rate = loop {
        match next_msg(&mut ws).await? {
            ServerMsg::Welcome { tick_rate, .. } => break tick_rate,
            ServerMsg::Error { code, message } => bail!("refused at Hello: {code:?}: {message}"),
            _ => {}
        }
    };
    let request = match role {
        Role::Create {
            game,
            lobby_name,
            map,
            max_players,
        } => ClientMsg::CreateLobby {
            game: game.clone(),
            name: lobby_name.clone(),
            map: map.clone(),
            max_players: *max_players,
            private: false,
        },
        Role::Join { code } => ClientMsg::JoinLobby {
            target: LobbyTarget::Code(code.clone()),
            schema: None,
        },
    };
    ws.send(frame(&request)).await?;
    loop {
        match next_msg(&mut ws).await? {
            ServerMsg::Joined(j) => {
                return Ok(Seated {
                    ws,
                    code: j.code,
                    tick_rate,
                    schema: j.schema,
                    entity: j.entity,
                });
            }
            ServerMsg::Error { code, message } => bail!("refused a seat: {code:?}: {message}"),
            _ => {}
        }
    }
}

/// Where tick boundaries fall, from snapshot arrivals: a snapshot of tick T leaves the
/// server shortly after boundary T, so the smallest `arrival - T * period` over recent
/// snapshots is the boundary phase (plus the shortest delivery time).
struct TickPhase {
    period_ns: i128,
    offsets: VecDeque<i128>,
    /// The smallest of `offsets`, kept as they come and go.
    phase: Option<i128>,
}

impl TickPhase {
    fn new(period: Duration) -> Self {
        Self {
            period_ns: period.as_nanos() as i128,
            offsets: VecDeque::with_capacity(PHASE_WINDOW),
            phase: None,
        }
    }

    fn observe(&mut self, arrival_ns: i128, tick: u32) {
        let offset = arrival_ns - i128::from(tick) * self.period_ns;
        if self.offsets.len() == PHASE_WINDOW && self.offsets.pop_front() == self.phase {
            self.phase = self.offsets.iter().min().copied();
        }
        self.offsets.push_back(offset);
        self.phase = Some(self.phase.map_or(offset, |p| p.min(offset)));
    }

    /// The first tick boundary at or after `t_ns`.
    fn next_boundary(&self, t_ns: i128) -> Option<i128> {
        let phase = self.phase?;
        let k = (t_ns - phase).div_euclid(self.period_ns)
            + i128::from((t_ns - phase).rem_euclid(self.period_ns) != 0);
        Some(phase + k * self.period_ns)
    }
}

/// When to send the input after the one due at `due`: a period later, or with a lead, that
/// long before the server's tick boundary after the one `due` aimed at (`boundary_after`
/// gives the first boundary at or after an instant, once it is known).
fn next_send(
    due: Instant,
    period: Duration,
    lead: Option<Duration>,
    boundary_after: impl Fn(Instant) -> Option<Instant>,
) -> Instant {
    lead.and_then(|lead| Some(boundary_after(due + lead + period / 2)? - lead))
        .filter(|next| *next > due)
        .unwrap_or(due + period)
}

/// Plays until told to stop; measures only inside the window.
pub async fn play(seated: Seated, shared: Arc<Shared>, seed: u64) -> BotReport {
    let mut report = BotReport::empty();
    report.connected = true;
    let Seated {
        ws,
        tick_rate,
        schema,
        entity,
        ..
    } = seated;
    let bot_input = BotInput::new(&schema.input);
    let tick_rate = tick_rate.max(1);
    let period = Duration::from_secs(1) / u32::from(tick_rate);
    let epoch = Instant::now();
    let ns = |t: Instant| t.saturating_duration_since(epoch).as_nanos() as i128;
    let mut wander = Wander::new(seed, tick_rate);
    // Bots tick at their own phase, as independent browsers would, until (with an input
    // lead) they know where the server's boundaries fall.
    let input_phase = Duration::from_nanos(wander.random_below(period.as_nanos() as u64));
    let mut next_input = epoch + input_phase;
    let inputs = tokio::time::sleep_until(next_input.into());
    tokio::pin!(inputs);
    let mut pings = interval_at(
        (epoch + Duration::from_millis(wander.random_below(1000))).into(),
        Duration::from_secs(1),
    );
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut sink, mut stream) = ws.split();
    let mut stop = shared.stop.clone();
    let mut store = match WorldStore::new(&schema) {
        Ok(store) => store,
        Err(e) => {
            report.error = Some(format!("the lobby's schema: {e}"));
            return report;
        }
    };
    let mut pending: VecDeque<(u32, Instant)> = VecDeque::new();
    let mut pings_sent: VecDeque<(u32, Instant)> = VecDeque::new();
    let mut ping_due = false;
    let mut phase = TickPhase::new(period);
    let mut seq = 0u32;
    let mut last_tick: Option<u32> = None;
    let mut last_arrival: Option<(Instant, u32)> = None;
    let mut full_requested: Option<Instant> = None;
    let outcome: anyhow::Result<()> = async {
        loop {
            tokio::select! {
                biased;
                _ = stop.changed() => return Ok(()),
                () = &mut inputs => {
                    next_input = next_send(next_input, period, shared.input_lead, |t| {
                        phase.next_boundary(ns(t)).map(|b| epoch + Duration::from_nanos(b.max(0) as u64))
                    });
                    inputs.as_mut().reset(next_input.into());
                    seq += 1;
                    let world = store.latest().map(|w| (w, &schema, store.layout()));
                    let values = bot_input.next(&mut wander, world, entity);
                    let input = Input { seq, client_tick: seq, ack: store.ack(), values };
                    let msg = encode(&ClientMsg::Input(input));
                    let sent = Instant::now();
                    if let Some(second) = shared.second_of(sent) {
                        report.inputs += 1;
                        report.input_bytes_up += msg.len() as u64;
                        shared.timeline.bytes_up(second, msg.len());
                    }
                    if pending.len() == MAX_PENDING_INPUTS {
                        pending.pop_front();
                    }
                    pending.push_back((seq, sent));
                    sink.send(Message::Binary(msg.into())).await?;
                    // The ping goes with an input, as the SDK sends it: the server stamps
                    // the two as arriving together, and reports the wait for its tick.
                    if ping_due {
                        ping_due = false;
                        let sent = Instant::now();
                        let id = (sent - epoch).as_millis() as u32;
                        if pings_sent.len() == 8 {
                            pings_sent.pop_front();
                        }
                        pings_sent.push_back((id, sent));
                        sink.send(frame(&ClientMsg::Ping { client_time: id })).await?;
                    }
                }
                _ = pings.tick() => ping_due = true,
                msg = stream.next() => {
                    let now = Instant::now();
                    let second = shared.second_of(now);
                    let in_window = second.is_some();
                    let bytes = match msg {
                        Some(Ok(Message::Binary(b))) => b,
                        Some(Ok(Message::Close(c))) => bail!("the server closed the connection: {c:?}"),
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => bail!("connection error: {e}"),
                        None => bail!("the connection ended"),
                    };
                    if let Some(second) = second {
                        shared.timeline.bytes_down(second, bytes.len());
                    }
                    match decode_server(&bytes).context("decoding a server frame")? {
                        ServerMsg::Snapshot(snap) => {
                            let tick = snap.body.tick;
                            phase.observe(ns(now), tick);
                            if in_window {
                                if let Some((at, _)) = last_arrival.filter(|(_, prev)| tick == prev + 1) {
                                    let off = (now - at).as_micros().abs_diff(period.as_micros());
                                    shared.delays.record(|d| d.jitter_us.saturating_record(off as u64));
                                }
                                report.snapshots += 1;
                                report.snapshot_bytes_down += bytes.len() as u64;
                                report.full_snapshots += u64::from(snap.body.baseline.is_none());
                                if let Some(prev) = last_tick {
                                    report.tick_gaps += u64::from(tick.saturating_sub(prev).saturating_sub(1));
                                }
                            }
                            last_tick = Some(tick);
                            last_arrival = Some((now, tick));
                            while pending.front().is_some_and(|(s, _)| *s <= snap.last_input_seq) {
                                let Some((_, sent)) = pending.pop_front() else { break };
                                let Some(sent_second) = shared.second_of(sent) else {
                                    continue;
                                };
                                let latency = now - sent;
                                let latency_us = latency.as_micros() as u64;
                                let added_us = phase.next_boundary(ns(sent)).map(|boundary| {
                                    let wait = (boundary - ns(sent)).max(0);
                                    let added = (latency.as_nanos() as i128 - wait).max(0);
                                    report.held_inputs += u64::from(added > phase.period_ns / 2);
                                    (added / 1000) as u64
                                });
                                shared.delays.record(|d| {
                                    d.latency_us.saturating_record(latency_us);
                                    if let Some(added_us) = added_us {
                                        d.server_added_us.saturating_record(added_us);
                                    }
                                });
                                shared.timeline.latency(sent_second, latency_us, added_us);
                            }
                            match store.apply(&snap).context("applying a snapshot")? {
                                Applied::Tick(_) => {
                                    if snap.body.baseline.is_none() {
                                        full_requested = None;
                                    }
                                }
                                Applied::Stale => {}
                                Applied::MissingBaseline => {
                                    if in_window {
                                        report.missing_baselines += 1;
                                    }
                                    if full_requested.is_none_or(|t| now - t >= Duration::from_secs(1)) {
                                        full_requested = Some(now);
                                        store.clear();
                                        sink.send(frame(&ClientMsg::RequestFull)).await?;
                                    }
                                }
                            }
                        }
                        ServerMsg::Pong { client_time, waited_us, .. } => {
                            if in_window {
                                report.other_bytes_down += bytes.len() as u64;
                            }
                            while let Some((id, sent)) = pings_sent.pop_front() {
                                if id == client_time {
                                    if shared.in_window(sent) {
                                        let age = (now - sent).as_micros() as u64;
                                        shared.delays.record(|d| d.rtt_us.saturating_record(age.saturating_sub(u64::from(waited_us))));
                                    }
                                    break;
                                }
                            }
                        }
                        ServerMsg::Error { .. } => {
                            report.server_errors += 1;
                        }
                        _ => {
                            if in_window {
                                report.other_bytes_down += bytes.len() as u64;
                            }
                        }
                    }
                }
            }
        }
    }
    .await;
    if let Err(e) = outcome {
        shared.dropped.fetch_add(1, Ordering::Relaxed);
        report.error = Some(format!("{e:#}"));
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_lead_the_boundary_once_it_is_known() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let period = ms(30);
        // Boundaries at t0 + 10 ms + k * 30 ms.
        let boundary_after = |t: Instant| {
            let since = t.saturating_duration_since(t0 + ms(10)).as_nanos();
            let k = since.div_ceil(period.as_nanos()) as u32;
            Some(t0 + ms(10) + period * k)
        };
        assert_eq!(next_send(t0, period, None, boundary_after), t0 + ms(30));
        let lead = Some(ms(2));
        // Due at 3 ms (random phase): the next is 2 ms before the boundary at 40 ms.
        assert_eq!(
            next_send(t0 + ms(3), period, lead, boundary_after),
            t0 + ms(38)
        );
        // Then a period apart, each 2 ms ahead of its boundary.
        assert_eq!(
            next_send(t0 + ms(38), period, lead, boundary_after),
            t0 + ms(68)
        );
        // Due at 45 ms (after the boundary at 40, as when a stall left it behind): the next
        // aims at the boundary at 70. (Inputs due during a stall go out back to back, as
        // `next_send` takes the scheduled time, not the time the bot woke.)
        assert_eq!(
            next_send(t0 + ms(45), period, lead, boundary_after),
            t0 + ms(68)
        );
        // Boundaries not known yet: a period later.
        assert_eq!(next_send(t0 + ms(3), period, lead, |_| None), t0 + ms(33));
    }

    #[test]
    fn tick_boundaries_from_arrivals() {
        let mut p = TickPhase::new(Duration::from_nanos(1000));
        assert_eq!(p.next_boundary(5), None);
        // Boundaries at 300 + k * 1000; arrivals 20 to 200 after them.
        p.observe(1_320, 1);
        p.observe(2_500, 2);
        p.observe(3_350, 3);
        assert_eq!(p.next_boundary(1_320), Some(1_320));
        assert_eq!(p.next_boundary(1_321), Some(2_320));
        assert_eq!(p.next_boundary(2_321), Some(3_320));
        // The earliest arrival leaves the window: the phase moves to the next earliest.
        for tick in 4..(4 + PHASE_WINDOW as u32 - 2) {
            p.observe(i128::from(tick) * 1000 + 400, tick);
        }
        assert_eq!(p.next_boundary(1_321), Some(1_350));
    }
}
