//! Process-wide metrics, exposed at `GET /metrics` in the Prometheus text format.

use std::sync::LazyLock;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub struct Metrics {
    registry: Registry,
    pub tick_duration: Histogram,
    pub encode_duration: Histogram,
    pub missed_ticks: Counter,
    pub lobbies: Gauge,
    pub clients: Gauge,
    pub messages_in: Counter,
    pub messages_out: Counter,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub snapshots_dropped: Counter,
    pub inputs_dropped: Counter,
    /// Connections closed at accept: over the plain HTTP caps.
    pub http_refused: Counter,
    /// Cluster mode: time of each Redis command, pipeline or script.
    pub cluster_op_duration: Histogram,
    /// Cluster mode: clients sent to another node.
    pub cluster_redirects: Counter,
    /// Cluster mode: seat tickets refused (unknown, used, expired, or for another node).
    pub cluster_ticket_refusals: Counter,
    /// Cluster mode: 1 while the last Redis command reached Redis.
    pub cluster_redis_up: Gauge,
    /// Lag-compensated shots whose claimed time was clamped (future, or older than the
    /// shooter can have seen), and honest ones stopped at the game's rewind cap.
    pub rewind_clamped: Counter,
    pub rewind_capped: Counter,
}

/// Buckets from 10 µs to 1 s in 1-2.5-5 steps, with a bound at exactly 1 ms.
fn seconds_histogram() -> Histogram {
    let decades = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];
    Histogram::new(
        decades
            .iter()
            .flat_map(|d| [d * 1.0, d * 2.5, d * 5.0])
            .chain([1.0]),
    )
}

pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::default();
    let m = Metrics {
        tick_duration: seconds_histogram(),
        encode_duration: seconds_histogram(),
        missed_ticks: Counter::default(),
        lobbies: Gauge::default(),
        clients: Gauge::default(),
        messages_in: Counter::default(),
        messages_out: Counter::default(),
        bytes_in: Counter::default(),
        bytes_out: Counter::default(),
        snapshots_dropped: Counter::default(),
        inputs_dropped: Counter::default(),
        http_refused: Counter::default(),
        cluster_op_duration: seconds_histogram(),
        cluster_redirects: Counter::default(),
        cluster_ticket_refusals: Counter::default(),
        cluster_redis_up: Gauge::default(),
        rewind_clamped: Counter::default(),
        rewind_capped: Counter::default(),
        registry: Registry::default(),
    };
    let r = &mut registry;
    r.register(
        "tickwire_tick_duration_seconds",
        "Time for one lobby tick: systems and snapshot encoding",
        m.tick_duration.clone(),
    );
    r.register(
        "tickwire_encode_duration_seconds",
        "Time to encode one lobby tick's snapshots for all its clients and hand them over (with the socket writes of those sent straight to an idle socket)",
        m.encode_duration.clone(),
    );
    r.register(
        "tickwire_missed_ticks",
        "Tick deadlines that passed before their tick ran",
        m.missed_ticks.clone(),
    );
    r.register("tickwire_lobbies", "Open lobbies", m.lobbies.clone());
    r.register(
        "tickwire_clients",
        "Connected WebSocket clients",
        m.clients.clone(),
    );
    r.register(
        "tickwire_messages_in",
        "Frames received from clients",
        m.messages_in.clone(),
    );
    r.register(
        "tickwire_messages_out",
        "Frames sent to clients",
        m.messages_out.clone(),
    );
    r.register(
        "tickwire_bytes_in",
        "Payload bytes received from clients",
        m.bytes_in.clone(),
    );
    r.register(
        "tickwire_bytes_out",
        "Payload bytes sent to clients",
        m.bytes_out.clone(),
    );
    r.register(
        "tickwire_snapshots_dropped",
        "Snapshots replaced before a slow client took them",
        m.snapshots_dropped.clone(),
    );
    r.register(
        "tickwire_inputs_dropped",
        "Inputs discarded because a player had too many waiting (each one costs that client a prediction correction)",
        m.inputs_dropped.clone(),
    );
    r.register(
        "tickwire_http_refused",
        "TCP connections closed at accept because of the plain HTTP connection caps",
        m.http_refused.clone(),
    );
    r.register(
        "tickwire_cluster_op_seconds",
        "Cluster mode: time of one directory operation in Redis (a command, pipeline or script)",
        m.cluster_op_duration.clone(),
    );
    r.register(
        "tickwire_cluster_redirects",
        "Cluster mode: clients sent to another node with a Redirect",
        m.cluster_redirects.clone(),
    );
    r.register(
        "tickwire_cluster_ticket_refusals",
        "Cluster mode: seat tickets refused (unknown, used, expired or for another node)",
        m.cluster_ticket_refusals.clone(),
    );
    r.register(
        "tickwire_cluster_redis_up",
        "Cluster mode: 1 while Redis answers, 0 while it does not",
        m.cluster_redis_up.clone(),
    );
    r.register(
        "tickwire_rewind_clamped",
        "Lag-compensated shots whose claimed time was clamped: a future tick, or older than the shooter's lag and interpolation allow",
        m.rewind_clamped.clone(),
    );
    r.register(
        "tickwire_rewind_capped",
        "Lag-compensated shots with an honest claimed time older than the game's rewind cap, judged at the cap",
        m.rewind_capped.clone(),
    );
    Metrics { registry, ..m }
});

impl Metrics {
    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
