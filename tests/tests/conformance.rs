//! The WebSocket conformance run (`tests/conformance/`): a standard client that is not
//! Tickwire's, the Python `websockets` package, plays against a real server and checks every
//! frame it sends against RFC 6455, through snapshot streams, fragments, pings and closes.
//!
//! It needs the Python environment `tests/run-all.sh` makes: `TICKWIRE_CONFORMANCE_VENV`
//! names it, else `target/conformance-venv` in the workspace.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tickwire_tests::TestServer;

/// The server's ping timeout: pings every half second, so the run sees several.
const PING_TIMEOUT: &str = "1.5";

/// Far more than the run takes (about 10 s); only a hang reaches it.
const RUN_DEADLINE: Duration = Duration::from_secs(90);

fn python() -> Result<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = std::env::var_os("TICKWIRE_CONFORMANCE_VENV")
        .map_or_else(|| workspace.join("target/conformance-venv"), PathBuf::from);
    let python = venv.join("bin/python3");
    if !python.exists() {
        bail!(
            "no Python environment for the conformance run at {} (set TICKWIRE_CONFORMANCE_VENV, \
             or run `bash tests/run-all.sh`, or: python3 -m venv {0} && {0}/bin/pip install -r \
             tests/conformance/requirements.txt)",
            venv.display()
        );
    }
    Ok(python)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_websocket_client_accepts_every_frame_the_server_sends() -> Result<()> {
    let python = python()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/ws_conformance.py");
    let server = TestServer::start(&["--ping-timeout", PING_TIMEOUT]).await?;
    let run = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(server.ws_url())
        .args(["--ping-timeout", PING_TIMEOUT])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(RUN_DEADLINE, run)
        .await
        .context("the conformance run hung")?
        .with_context(|| format!("running {}", python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the conformance run failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("cases passed"),
        "the run said nothing of its cases:\n{stdout}\n{stderr}"
    );
    Ok(())
}
