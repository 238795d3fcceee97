//! The operator's dashboard: the page at `/dashboard`, its live data and its actions.
//!
//! - `GET /api/dashboard/stream`: server-sent events, one `data:` line of JSON (a
//!   [`snapshot::Snapshot`]) about once a second, for as long as the viewer reads.
//! - `GET /api/dashboard`: the next snapshot once, as JSON.
//! - `POST /api/admin/...`: the actions ([`admin`]), behind `--admin-token`.
//!
//! Who sees what ([`auth`]): with `--metrics-token`, the data needs that token (or the admin
//! token) in `Authorization: Bearer`, as `/metrics` does; without it the data is open. The
//! admin token also shows player names and private lobbies' names, which the others never
//! see; no copy holds a join code. The shape is one `node` object under the top level, so a
//! cluster can later list several.
//!
//! What each request costs, and what bounds it:
//! - **Building.** One task samples every lobby's counters (a few atomics each, and the
//!   roster of each lobby shown) and serializes the snapshot once per interval, once for
//!   viewers and once more only while an admin watches; never while nobody watches. A
//!   snapshot lists at most [`snapshot::MAX_ROWS`] lobbies (of at most 64 players each), so
//!   it stays under some 250 kB in the worst case and a few kB in the usual one.
//! - **Viewing.** A stream costs one HTTP connection (under the plain HTTP caps), a watch
//!   receiver and, per interval, one write of the shared bytes: N viewers cost N writes, not N
//!   snapshots. A viewer that does not read holds back nothing: it only ever has the newest
//!   snapshot waiting, and once it has not asked for one for [`STALLED`] its place is given
//!   back (its connection stays under the plain HTTP caps until the peer goes). At most
//!   [`MAX_VIEWERS`] streams at once (then 503) and [`MAX_VIEWERS_PER_IP`] per address
//!   (then 429); the admin's streams are counted apart ([`MAX_ADMIN_STREAMS`]), so
//!   anonymous viewers can never lock the operator out.
//! - **Asking.** Every data request and every action, refused or not, first takes a token of
//!   its address's bucket ([`REQUESTS_PER_IP`], then 429), so opening and closing streams,
//!   guessing tokens or repeating actions is bounded per address. A refusal costs a header
//!   check and a short text answer. An action is one command to one lobby, answered within
//!   a few seconds.

pub mod admin;
pub mod auth;
pub mod snapshot;

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Notify, watch};

use super::limits::{AddressBuckets, Tally, TallySlot};
use super::{AppState, Refusal, static_files};
use auth::Access;
use snapshot::{NodeInfo, Sampler, Snapshot};

/// How often a snapshot is built while someone watches.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// The first snapshot after nobody watched comes this soon (rates over this span).
const FIRST_INTERVAL: Duration = Duration::from_millis(250);
/// A newer snapshot than this is sent to a new viewer at once.
const FRESH: Duration = Duration::from_secs(2);
/// Dashboard streams at once, in total and from one address.
pub const MAX_VIEWERS: usize = 32;
pub const MAX_VIEWERS_PER_IP: usize = 4;
/// Streams opened with the admin token, counted apart, so anonymous viewers can never take
/// the operator's place.
pub const MAX_ADMIN_STREAMS: usize = 8;
/// A stream that has not taken a snapshot for this long (its reader stopped reading; a live
/// one takes one a second) gives its place back.
pub const STALLED: Duration = Duration::from_secs(10);
/// (burst, per second) of dashboard requests (data and actions) per address.
pub const REQUESTS_PER_IP: (f64, f64) = (10.0, 1.0);
/// How long `GET /api/dashboard` waits for a snapshot.
const ONE_SHOT_WAIT: Duration = Duration::from_secs(3);

/// What the builder last made: the same bytes for every viewer of each kind.
struct Published {
    at: Instant,
    /// An event-stream event: `data: <json>\n\n`.
    viewer: Bytes,
    /// The admin's copy, built only while an admin watches.
    admin: Option<Bytes>,
}

const EVENT_PREFIX: &[u8] = b"data: ";
const EVENT_SUFFIX: &[u8] = b"\n\n";

fn event(snapshot: &Snapshot) -> Bytes {
    let mut out = EVENT_PREFIX.to_vec();
    // Serializing plain structs cannot fail, and compact JSON has no newline.
    let _ = serde_json::to_writer(&mut out, snapshot);
    out.extend_from_slice(EVENT_SUFFIX);
    Bytes::from(out)
}

impl Published {
    fn event(&self, access: Access) -> Option<Bytes> {
        match access {
            Access::Viewer => Some(self.viewer.clone()),
            Access::Admin => self.admin.clone(),
        }
    }
}

pub struct Dashboard {
    app: Arc<AppState>,
    viewers: Arc<Tally>,
    admin_streams: Arc<Tally>,
    /// Every open stream's lease, swept for stalled ones by the builder.
    leases: std::sync::Mutex<Vec<std::sync::Weak<Lease>>>,
    /// Streams opened with the admin token.
    admins: AtomicUsize,
    requests: AddressBuckets,
    published: watch::Sender<Option<Arc<Published>>>,
    /// A viewer arrived: the builder wakes if idle.
    wake: Notify,
}

/// Counts an admin's stream while it lasts.
struct AdminSeat(Arc<Dashboard>);

impl Drop for AdminSeat {
    fn drop(&mut self) {
        self.0.admins.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream's place under the caps, and when it last asked for a snapshot.
struct Lease {
    slot: std::sync::Mutex<Option<TallySlot>>,
    asked: std::sync::Mutex<Instant>,
}

impl Lease {
    /// Gives the place back if the stream has not asked for a snapshot for [`STALLED`].
    fn release_if_stalled(&self, now: Instant) {
        let asked = *self.asked.lock().unwrap_or_else(|e| e.into_inner());
        if now.duration_since(asked) >= STALLED {
            self.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }

    /// Notes a request for the next snapshot; false once the place was given back.
    fn ask(&self) -> bool {
        *self.asked.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

/// One open stream: its lease, and the snapshots it has not sent yet.
struct Viewer {
    access: Access,
    snapshots: watch::Receiver<Option<Arc<Published>>>,
    shutdown: watch::Receiver<bool>,
    lease: Arc<Lease>,
    _admin: Option<AdminSeat>,
}

impl Viewer {
    /// The next snapshot for this viewer (the current one first, if fresh); None once the
    /// server shuts down or the stream stalled and lost its place.
    async fn next(&mut self) -> Option<Bytes> {
        if !self.lease.ask() {
            return None;
        }
        loop {
            tokio::select! {
                biased;
                _ = self.shutdown.wait_for(|down| *down) => return None,
                changed = self.snapshots.changed() => changed.ok()?,
            }
            let event = self
                .snapshots
                .borrow_and_update()
                .as_ref()
                .and_then(|p| p.event(self.access));
            if event.is_some() {
                return event;
            }
        }
    }
}

/// A request turned down: its status and why, in words (with `WWW-Authenticate` on 401
/// and `Retry-After` on 429 and 503).
#[derive(Debug)]
pub struct Refused {
    status: StatusCode,
    message: Cow<'static, str>,
}

impl Refused {
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let mut res = (self.status, format!("{}\n", self.message)).into_response();
        let extra = match self.status {
            StatusCode::UNAUTHORIZED => Some((header::WWW_AUTHENTICATE, "Bearer")),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                Some((header::RETRY_AFTER, "5"))
            }
            _ => None,
        };
        if let Some((name, value)) = extra {
            res.headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        res
    }
}

impl Dashboard {
    fn new(app: Arc<AppState>) -> Arc<Self> {
        Arc::new(Self {
            app,
            viewers: Tally::new(MAX_VIEWERS, MAX_VIEWERS_PER_IP),
            admin_streams: Tally::new(MAX_ADMIN_STREAMS, MAX_ADMIN_STREAMS / 2),
            leases: std::sync::Mutex::default(),
            admins: AtomicUsize::new(0),
            requests: AddressBuckets::new(REQUESTS_PER_IP.0, REQUESTS_PER_IP.1),
            published: watch::Sender::new(None),
            wake: Notify::new(),
        })
    }

    /// Takes one of the address's request tokens, or answers 429.
    fn take_request(&self, ip: IpAddr) -> Result<(), Refused> {
        if self.requests.take(ip, std::time::Instant::now()) {
            return Ok(());
        }
        Err(Refused::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many dashboard requests from your address; try again in a few seconds",
        ))
    }

    /// Admits a viewer under the caps, with what its token shows.
    fn admit(self: &Arc<Self>, peer: SocketAddr, headers: &HeaderMap) -> Result<Viewer, Refused> {
        self.take_request(peer.ip())?;
        let access = auth::dashboard_access(&self.app.config, headers)?;
        let tally = match access {
            Access::Viewer => &self.viewers,
            Access::Admin => &self.admin_streams,
        };
        let slot = tally.admit(peer.ip()).map_err(|refusal| match refusal {
            Refusal::ServerFull => Refused::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the dashboard has as many viewers as it serves; try again later",
            ),
            Refusal::TooManyFromAddress => Refused::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many dashboard streams from your address; close one first",
            ),
        })?;
        let admin = (access == Access::Admin).then(|| {
            self.admins.fetch_add(1, Ordering::Relaxed);
            AdminSeat(self.clone())
        });
        let mut snapshots = self.published.subscribe();
        let fresh = snapshots
            .borrow()
            .as_ref()
            .is_some_and(|p| p.at.elapsed() < FRESH && p.event(access).is_some());
        if fresh {
            snapshots.mark_changed();
        }
        self.wake.notify_one();
        let lease = Arc::new(Lease {
            slot: std::sync::Mutex::new(Some(slot)),
            asked: std::sync::Mutex::new(Instant::now()),
        });
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        leases.retain(|l| l.strong_count() > 0);
        leases.push(Arc::downgrade(&lease));
        drop(leases);
        Ok(Viewer {
            access,
            snapshots,
            shutdown: self.app.shutdown_signal(),
            lease,
            _admin: admin,
        })
    }

    /// Streams open, of viewers and admins.
    fn watchers(&self) -> usize {
        self.viewers.total() + self.admin_streams.total()
    }

    /// Gives back the places of streams whose readers stopped reading.
    fn release_stalled(&self) {
        let now = Instant::now();
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        leases.retain(|l| match l.upgrade() {
            Some(lease) => {
                lease.release_if_stalled(now);
                true
            }
            None => false,
        });
    }

    /// Builds and publishes snapshots while anyone watches, until the server shuts down.
    async fn build(self: Arc<Self>, mut sampler: Sampler) {
        let mut shutdown = self.app.shutdown_signal();
        loop {
            self.release_stalled();
            let pause = if self.watchers() == 0 {
                sampler.forget();
                self.published.send_replace(None);
                None
            } else if let Some(snapshot) =
                sampler.sample(&self.app.lobbies, self.app.connections(), self.watchers())
            {
                let admin = (self.admins.load(Ordering::Relaxed) > 0).then(|| event(&snapshot));
                let viewer = event(&snapshot.for_access(Access::Viewer));
                self.published.send_replace(Some(Arc::new(Published {
                    at: Instant::now(),
                    viewer,
                    admin,
                })));
                Some(INTERVAL)
            } else {
                Some(FIRST_INTERVAL)
            };
            let wait = async {
                match pause {
                    Some(pause) => tokio::time::sleep(pause).await,
                    None => self.wake.notified().await,
                }
            };
            tokio::select! {
                _ = shutdown.wait_for(|down| *down) => return,
                () = wait => {}
            }
        }
    }
}

/// The dashboard's routes, and its builder task (started here; it ends at shutdown).
pub fn routes(app: Arc<AppState>) -> Router {
    let config = &app.config;
    let info = NodeInfo {
        id: config
            .public_url
            .clone()
            .or_else(|| app.own_origins.first().cloned())
            .unwrap_or_default(),
        tick_rate: config.tick_rate,
        admin_actions: config.admin_token.is_some(),
    };
    let dash = Dashboard::new(app);
    tokio::spawn(dash.clone().build(Sampler::new(info)));
    Router::new()
        .route(
            "/dashboard",
            get(|| async { static_files::serve("dashboard.html") }),
        )
        .route("/api/dashboard", get(one_snapshot))
        .route("/api/dashboard/stream", get(stream))
        .route("/api/admin/lobbies/{id}/close", post(admin::close_lobby))
        .route(
            "/api/admin/lobbies/{id}/players/{client}/kick",
            post(admin::kick_player),
        )
        .layer(DefaultBodyLimit::max(admin::BODY_LIMIT))
        .with_state(dash)
}

async fn stream(
    State(dash): State<Arc<Dashboard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let viewer = match dash.admit(peer, &headers) {
        Ok(v) => v,
        Err(refused) => return refused.into_response(),
    };
    let events = futures_util::stream::unfold(viewer, |mut viewer| async move {
        let event = viewer.next().await?;
        Some((Ok::<_, Infallible>(event), viewer))
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            // Proxies must pass each event on at once, not buffer the stream.
            (
                header::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        Body::from_stream(events),
    )
        .into_response()
}

async fn one_snapshot(
    State(dash): State<Arc<Dashboard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let mut viewer = match dash.admit(peer, &headers) {
        Ok(v) => v,
        Err(refused) => return refused.into_response(),
    };
    match tokio::time::timeout(ONE_SHOT_WAIT, viewer.next()).await {
        Ok(Some(event)) => {
            let json = event.slice(EVENT_PREFIX.len()..event.len() - EVENT_SUFFIX.len());
            ([(header::CONTENT_TYPE, "application/json")], json).into_response()
        }
        _ => Refused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no snapshot was ready in time; try again",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    #[test]
    fn a_stream_that_stops_asking_gives_its_place_back() {
        let tally = Tally::new(1, 1);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let lease = Lease {
            slot: std::sync::Mutex::new(Some(tally.admit(ip).expect("a place"))),
            asked: std::sync::Mutex::new(Instant::now()),
        };
        let t0 = *lease.asked.lock().expect("lock");
        lease.release_if_stalled(t0 + STALLED / 2);
        assert_eq!(
            tally.total(),
            1,
            "a stream between two snapshots keeps its place"
        );
        lease.release_if_stalled(t0 + STALLED);
        assert_eq!(tally.total(), 0, "a stalled stream does not");
        assert!(tally.admit(ip).is_ok(), "so another viewer gets in");
        assert!(
            !lease.ask(),
            "and the stalled stream ends if it is ever read again"
        );
    }
}
