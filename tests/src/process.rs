//! Starting a real `tickwire` process and waiting until it listens: for the cluster tests'
//! nodes and the load test's spawned servers.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A started server: the process (killed when dropped), its pid and where it listens.
pub struct Listening {
    pub child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
}

/// Starts `cmd` (a `tickwire` command line; its stdout is taken here) and waits up to 30 s
/// for its "listening" line. Its stdout is drained afterwards, so it never blocks on a full
/// pipe. `RUST_LOG` defaults to `warn`.
pub async fn start_listening(mut cmd: Command) -> Result<Listening> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "warn");
    }
    let program = cmd.as_std().get_program().to_string_lossy().into_owned();
    let mut child = cmd.spawn().with_context(|| format!("starting {program}"))?;
    let pid = child.id().context("the server exited at once")?;
    let stdout = child.stdout.take().context("the server's stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix("tickwire listening on http://") {
                return rest
                    .trim_end_matches('/')
                    .parse::<SocketAddr>()
                    .context("the listening address");
            }
        }
        bail!("the server closed its output before saying where it listens")
    })
    .await
    .context("waiting 30 s for the server to listen")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Listening { child, pid, addr })
}
