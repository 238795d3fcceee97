//! The operator's dashboard over real sockets: the live stream's figures move while a lobby
//! ticks, its copy for viewers hides names and codes, the admin actions are refused without
//! the token and work with it, and the viewer caps hold while honest players keep playing.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use tickwire_protocol::messages::{ErrorCode, LobbyTarget};
use tickwire_server::net::dashboard::{MAX_VIEWERS, MAX_VIEWERS_PER_IP};
use tickwire_tests::honest::Honest;
use tickwire_tests::{TIMEOUT, TestServer};

const ADMIN: &str = "admin-token-0123456789";

/// An HTTP client whose requests come from `127.0.0.<last>` (each address has its own
/// budgets and caps).
fn http_from(last: u8) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()?)
}

/// A dashboard stream being read.
struct Stream {
    res: reqwest::Response,
    buf: Vec<u8>,
}

impl Stream {
    /// The next snapshot on the stream.
    async fn next(&mut self) -> Result<Value> {
        let read = async {
            loop {
                if let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
                    let event: Vec<u8> = self.buf.drain(..end + 2).collect();
                    let text = std::str::from_utf8(&event)?;
                    let data = text
                        .strip_prefix("data: ")
                        .with_context(|| format!("not a data event: {text:?}"))?;
                    return Ok(serde_json::from_str(data.trim_end())?);
                }
                match self.res.chunk().await? {
                    Some(chunk) => self.buf.extend_from_slice(&chunk),
                    None => bail!("the stream ended"),
                }
            }
        };
        tokio::time::timeout(TIMEOUT, read)
            .await
            .context("no snapshot in time")?
    }

    /// Reads snapshots until `pick` finds something in one.
    async fn until<T>(&mut self, mut pick: impl FnMut(&Value) -> Option<T>) -> Result<T> {
        for _ in 0..10 {
            let snapshot = self.next().await?;
            if let Some(found) = pick(&snapshot) {
                return Ok(found);
            }
        }
        bail!("ten snapshots went by without it")
    }
}

/// Opens the stream from `http`, bearing `token`; the response as it came.
async fn open(
    server: &TestServer,
    http: &reqwest::Client,
    token: Option<&str>,
) -> Result<reqwest::Response> {
    let mut req = http.get(format!("http://{}/api/dashboard/stream", server.addr));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    Ok(req.send().await?)
}

async fn stream(server: &TestServer, token: Option<&str>) -> Result<Stream> {
    let res = open(server, &reqwest::Client::new(), token).await?;
    ensure!(res.status() == 200, "stream answered {}", res.status());
    let content_type = res.headers()["content-type"].to_str()?.to_owned();
    ensure!(content_type == "text/event-stream", "{content_type}");
    Ok(Stream {
        res,
        buf: Vec::new(),
    })
}

/// POSTs an admin action: (status, body).
async fn act(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
    reason: &str,
) -> Result<(u16, String)> {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}{path}", server.addr))
        .body(serde_json::json!({ "reason": reason }).to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    Ok((res.status().as_u16(), res.text().await?))
}

fn lobby(snapshot: &Value, id: u32) -> Option<Value> {
    snapshot["node"]["lobbies"]
        .as_array()?
        .iter()
        .find(|l| l["id"] == id)
        .cloned()
}

#[tokio::test]
async fn the_stream_shows_a_ticking_lobby_and_its_figures_move() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let (status, page) = server.get("/dashboard").await?;
    assert_eq!(status, 200);
    assert!(page.contains("src/dashboard/"), "the page loads its script");

    let mut ada = server.client("Ada").await?;
    let id = ada.create("Dash lobby", 8, false).await?.lobby.id;
    let mut secret = server.client("Sid").await?;
    let hidden = secret.create("Secret plans", 4, true).await?;
    ada.hold(1, 0, 5).await?;

    let mut dash = stream(&server, None).await?;
    let first = dash.until(|s| lobby(s, id).map(|l| (s.clone(), l))).await?;
    let (snapshot, row) = first;
    assert_eq!(snapshot["format"], 1);
    assert_eq!(snapshot["access"], "viewer");
    assert_eq!(snapshot["node"]["lobby_count"], 2);
    assert_eq!(
        (&row["game"], &row["name"], &row["map"]),
        (&"arena".into(), &"Dash lobby".into(), &"arena".into())
    );
    assert_eq!(
        (&row["players"], &row["max_players"]),
        (&1.into(), &8.into())
    );
    assert!(row["roster"].is_null(), "viewers see no player names");
    let private = lobby(&snapshot, hidden.lobby.id).context("the private lobby is listed")?;
    assert!(private["name"].is_null(), "nor a private lobby's name");
    assert!(
        !snapshot.to_string().contains(&hidden.code),
        "nor any join code"
    );
    let tick = row["tick"].as_u64().context("tick")?;
    let bytes_out = snapshot["node"]["totals"]["bytes_out"]
        .as_u64()
        .context("bytes out")?;

    // While Ada plays on, the figures move.
    let (later, row) = tokio::select! {
        moved = dash.until(|s| {
            let row = lobby(s, id)?;
            (row["tick"].as_u64()? > tick && row["bytes_out_per_s"].as_f64()? > 0.0)
                .then(|| (s.clone(), row))
        }) => moved?,
        played = ada.hold(1, 0, 120) => bail!("the lobby never moved on the dashboard: {played:?}"),
    };
    assert!(later["node"]["totals"]["bytes_out"].as_u64() > Some(bytes_out));
    assert!(later["node"]["rates"]["bytes_out"].as_f64() > Some(0.0));
    assert!(row["ticks_per_s"].as_f64() > Some(0.0));
    assert!(row["tick_ms"]["mean"].as_f64().is_some(), "{row}");
    let ticks: u64 = later["node"]["histograms"]["tick"]
        .as_array()
        .context("tick histogram")?
        .iter()
        .filter_map(Value::as_u64)
        .sum();
    assert!(ticks > 0, "the tick histogram counts ticks");

    let (status, body) = server.get("/api/dashboard").await?;
    assert_eq!(status, 200);
    let one: Value = serde_json::from_str(&body)?;
    assert!(
        lobby(&one, id).is_some(),
        "the one-off snapshot lists it too"
    );
    Ok(())
}

#[tokio::test]
async fn actions_are_refused_when_the_server_has_no_admin_token() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut ada = server.client("Ada").await?;
    let id = ada.create("Open lobby", 8, false).await?.lobby.id;
    let path = format!("/api/admin/lobbies/{id}/close");
    for token in [None, Some(ADMIN)] {
        let (status, body) = act(&server, &path, token, "").await?;
        assert_eq!(status, 403);
        assert!(body.contains("--admin-token"), "{body}");
    }
    ada.hold(0, 0, 3).await?;
    assert_eq!(
        server.public_lobbies().await?.len(),
        1,
        "the lobby stays open"
    );
    Ok(())
}

#[tokio::test]
async fn the_admin_kicks_a_player_and_closes_a_lobby() -> Result<()> {
    let server = TestServer::start(&["--admin-token", ADMIN]).await?;
    let mut ada = server.client("Ada").await?;
    let id = ada.create("Admin lobby", 8, false).await?.lobby.id;
    let mut bo = server.client("Bo").await?;
    bo.join(LobbyTarget::Id(id)).await?;
    let kick = format!("/api/admin/lobbies/{id}/players/{}/kick", bo.client_id);
    let close = format!("/api/admin/lobbies/{id}/close");

    for (path, token) in [
        (&kick, None),
        (&kick, Some("wrong-token-0123456789")),
        (&close, None),
    ] {
        let (status, body) = act(&server, path, token, "").await?;
        assert_eq!(status, 401, "{path} with {token:?}: {body}");
        assert!(body.contains("--admin-token"), "{body}");
    }

    // With the token, the admin's copy names the players, and viewers' does not.
    let mut admin = stream(&server, Some(ADMIN)).await?;
    let roster = admin
        .until(|s| lobby(s, id).filter(|l| l["roster"].as_array().is_some_and(|r| r.len() == 2)))
        .await?["roster"]
        .clone();
    assert_eq!(roster[0]["name"], "Ada");
    assert_eq!(roster[0]["host"], true);
    assert_eq!(roster[1]["client"], bo.client_id);

    let (status, body) = act(&server, &kick, Some(ADMIN), "spamming the chat").await?;
    assert_eq!(status, 200, "{body}");
    let (code, message) = bo.expect_refusal().await?;
    assert_eq!(code, ErrorCode::LobbyClosed);
    assert!(message.contains("spamming the chat"), "{message}");
    ada.recv_until(|m| match m {
        tickwire_protocol::messages::ServerMsg::Roster { players, .. } => {
            (players.len() == 1).then_some(())
        }
        _ => None,
    })
    .await?;
    let (status, _) = act(&server, &kick, Some(ADMIN), "").await?;
    assert_eq!(status, 404, "no such player any more");
    // The kicked player is free to play elsewhere.
    bo.create("Bo's own", 4, false).await?;

    let (status, body) = act(&server, &close, Some(ADMIN), "maintenance").await?;
    assert_eq!(status, 200, "{body}");
    let (code, message) = ada.expect_refusal().await?;
    assert_eq!(code, ErrorCode::LobbyClosed);
    assert!(message.contains("maintenance"), "{message}");
    admin
        .until(|s| lobby(s, id).is_none().then_some(()))
        .await?;
    let (status, _) = act(&server, &close, Some(ADMIN), "").await?;
    assert_eq!(status, 404, "the lobby is gone");
    ada.create("Ada again", 4, false).await?;
    Ok(())
}

#[tokio::test]
async fn with_a_metrics_token_the_data_needs_a_token_and_streams_end_at_shutdown() -> Result<()> {
    let server = TestServer::start(&["--metrics-token", "s3cret", "--admin-token", ADMIN]).await?;
    let http = reqwest::Client::new();
    for wrong in [None, Some("guess")] {
        let res = open(&server, &http, wrong).await?;
        assert_eq!(res.status(), 401, "{wrong:?}");
        assert!(res.text().await?.contains("token"));
    }
    let mut viewer = stream(&server, Some("s3cret")).await?;
    assert_eq!(viewer.next().await?["access"], "viewer");
    let mut admin = stream(&server, Some(ADMIN)).await?;
    assert_eq!(admin.next().await?["access"], "admin");

    // Open streams never hold up a shutdown: they end with it.
    drop(server);
    let ended = admin.next().await.expect_err("no snapshot after shutdown");
    assert!(ended.to_string().contains("ended"), "{ended:#}");
    Ok(())
}

#[tokio::test]
async fn viewer_caps_hold_and_players_keep_their_snapshot_rate() -> Result<()> {
    let server = TestServer::start(&["--admin-token", ADMIN]).await?;
    let mut honest = Honest::seat(&server, 4, 30).await?;

    // One address gets its share of streams and no more.
    let first = http_from(2)?;
    let mut held = Vec::new();
    for _ in 0..MAX_VIEWERS_PER_IP {
        let res = open(&server, &first, None).await?;
        assert_eq!(res.status(), 200);
        held.push(res);
    }
    let refused = open(&server, &first, None).await?;
    assert_eq!(refused.status(), 429);
    assert!(refused.text().await?.contains("your address"));

    // The server gets its streams, never read, and no more.
    let mut last = 3;
    while held.len() < MAX_VIEWERS {
        let http = http_from(last)?;
        for _ in 0..MAX_VIEWERS_PER_IP.min(MAX_VIEWERS - held.len()) {
            let res = open(&server, &http, None).await?;
            assert_eq!(res.status(), 200);
            held.push(res);
        }
        last += 1;
    }
    let refused = open(&server, &http_from(200)?, None).await?;
    assert_eq!(refused.status(), 503);
    assert!(refused.text().await?.contains("viewers"));
    // Anonymous viewers filling every place never lock the operator out.
    let operator = open(&server, &http_from(201)?, Some(ADMIN)).await?;
    assert_eq!(
        operator.status(),
        200,
        "the admin's streams are counted apart"
    );

    // Hammered from many addresses meanwhile, the honest players keep their snapshots.
    let addr = server.addr;
    let hammer = tokio::spawn(async move {
        let mut refusals = 0u32;
        for round in 0..40u8 {
            let http = http_from(100 + round)?;
            for _ in 0..12 {
                let res = http
                    .get(format!("http://{addr}/api/dashboard/stream"))
                    .send()
                    .await?;
                anyhow::ensure!(
                    matches!(res.status().as_u16(), 429 | 503),
                    "admitted past the caps: {}",
                    res.status()
                );
                refusals += 1;
            }
        }
        anyhow::Ok(refusals)
    });
    honest.play_unharmed(Duration::from_secs(3), 0.7).await?;
    let refusals = hammer.await??;
    println!("{refusals} streams refused while the honest players played");

    // A viewer that goes away gives its place back.
    held.truncate(MAX_VIEWERS - 1);
    let mut retries = 0;
    loop {
        let res = open(&server, &http_from(250)?, None).await?;
        if res.status() == 200 {
            break;
        }
        retries += 1;
        ensure!(
            retries < 50,
            "the place of a viewer that left was never given back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
