//! The `tickwire` binary: parse options, start the server, serve until SIGINT or SIGTERM.

use clap::Parser;
use tickwire_server::app::Server;
use tickwire_server::config::Config;
use tracing_subscriber::EnvFilter;

/// Each tick allocates a small frame for every client and frees it once written: mimalloc's
/// per-thread free lists make that cheap where the system allocator consolidates and locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if config.worker_threads > 0 {
        runtime.worker_threads(config.worker_threads);
    }
    let runtime = runtime.enable_all().build()?;
    let served = runtime.block_on(serve(config));
    // The shutdown deadline has passed: whatever is still open is abandoned, not awaited.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    served
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // Logs go to stderr through a lossy background writer: a slow or unread log pipe drops
    // lines instead of blocking a lobby's tick.
    let (log_writer, _flush_on_exit) = tracing_appender::non_blocking(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(log_writer)
        .init();
    let server = Server::bind(config).await?;
    let addr = server.local_addr()?;
    // Scripts and tests read this line to find the port.
    println!("tickwire listening on http://{addr}/");
    tracing::info!("open http://{addr}/ in a browser to play");
    server.serve(shutdown_signal()).await
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
