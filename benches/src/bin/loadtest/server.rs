//! The server under test: either one already running (by URL) or the real `tickwire` binary
//! started as a child process on a free loopback port, so its CPU time and memory can be
//! read from `/proc/<pid>` apart from the bots'. Also its `/metrics`, fetched over HTTP.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tickwire_benches::prom::Scrape;
use tickwire_tests::process::{Listening, start_listening};
use tokio::process::{Child, Command};

/// A `ws://` URL split into what the load test needs.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    /// Where the HTTP routes (`/metrics`) are: the WebSocket's host and port.
    pub http: SocketAddr,
}

/// Parses `ws://HOST:PORT/PATH`, refusing any host that is not a loopback address.
pub fn target(url: &str) -> anyhow::Result<Target> {
    let rest = url
        .strip_prefix("ws://")
        .context("the URL must start with ws:// (no TLS for a local load test)")?;
    let (authority, _path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().context("the URL's port")?),
        None => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = match host {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        h => h
            .parse()
            .with_context(|| format!("{h:?} is not an IP address or localhost"))?,
    };
    if !ip.is_loopback() {
        bail!("{ip} is not a loopback address: the load test only connects to this machine");
    }
    Ok(Target {
        url: url.to_owned(),
        http: SocketAddr::new(ip, port),
    })
}

/// A `tickwire` process this load test started.
pub struct LocalServer {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
}

/// The `tickwire` binary beside this one (both are built into the same target directory).
pub fn default_server_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("tickwire")))
        .unwrap_or_else(|| PathBuf::from("tickwire"))
}

impl LocalServer {
    /// Starts `bin --addr 127.0.0.1:0 ARGS...` and waits for its "listening" line. Its log
    /// (stderr) goes to `log`, or nowhere.
    pub async fn spawn(bin: &Path, args: &[String], log: Option<&Path>) -> anyhow::Result<Self> {
        if !bin.exists() {
            bail!(
                "no server binary at {}: build it first with `cargo build --release -p tickwire-server`, or pass --server-bin",
                bin.display()
            );
        }
        let stderr = match log {
            Some(path) => Stdio::from(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            ),
            None => Stdio::null(),
        };
        let mut cmd = Command::new(bin);
        cmd.arg("--addr")
            .arg("127.0.0.1:0")
            .args(args)
            .stderr(stderr);
        let Listening { child, pid, addr } = start_listening(cmd).await?;
        Ok(Self { child, pid, addr })
    }

    /// Asks the server to stop (SIGTERM, by its pid), then kills it after 5 s.
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Fetches the server's `/metrics`.
pub struct Metrics {
    client: reqwest::Client,
    url: String,
}

impl Metrics {
    /// For the server whose HTTP routes are at `addr`.
    pub fn new(addr: SocketAddr) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            // The server is on this machine: no proxy from the environment applies.
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            client,
            url: format!("http://{addr}/metrics"),
        })
    }

    /// The server's metrics, or `None` when it has no `/metrics` (or it failed).
    pub async fn scrape(&self) -> Option<Scrape> {
        let response = self
            .client
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "text/plain")
            .send()
            .await
            .ok()?;
        if response.status() != reqwest::StatusCode::OK {
            return None;
        }
        Some(Scrape::parse(&response.text().await.ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert_eq!(
            target("ws://127.0.0.1:8080/ws").expect("ok").http,
            "127.0.0.1:8080".parse().expect("addr")
        );
        assert!(target("ws://localhost:9/ws").is_ok());
        assert!(target("ws://[::1]:9/ws").is_ok());
        assert!(target("ws://10.0.0.1:8080/ws").is_err());
        assert!(target("ws://example.com/ws").is_err());
        assert!(target("http://127.0.0.1/ws").is_err());
    }

    /// Serves one canned HTTP response to each connection on a loopback port.
    async fn http_server(response: &'static str) -> SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn scrapes_chunked_metrics() {
        let addr = http_server(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
             1c\r\ntickwire_missed_ticks_total \r\n2\r\n4\n\r\n15\r\ntickwire_clients 200\n\r\n0\r\n\r\n",
        )
        .await;
        let scrape = Metrics::new(addr)
            .expect("client")
            .scrape()
            .await
            .expect("scraped");
        assert_eq!(scrape.sum("tickwire_missed_ticks"), Some(4.0));
        assert_eq!(scrape.sum("tickwire_clients"), Some(200.0));
    }

    #[tokio::test]
    async fn no_metrics_is_none() {
        let addr = http_server(
            "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        )
        .await;
        assert!(Metrics::new(addr).expect("client").scrape().await.is_none());
    }
}
