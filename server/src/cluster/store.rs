//! A cluster node's Redis connection: one multiplexed connection that reconnects by itself,
//! every command under a deadline ([`OP_TIMEOUT`]), each one timed in `/metrics`
//! (`tickwire_cluster_op_seconds`), and whether Redis is reachable
//! (`tickwire_cluster_redis_up`). Nothing here runs on a lobby thread: callers are the
//! directory's own tasks and connections waiting for an answer.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, RedisResult};

use crate::metrics::METRICS;

/// Longest any Redis command (or pipeline, or script) may take before it counts as failed.
pub const OP_TIMEOUT: Duration = Duration::from_millis(750);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Redis did not answer within {} ms", OP_TIMEOUT.as_millis())]
    Timeout,
    #[error("Redis: {0}")]
    Redis(#[from] RedisError),
}

pub struct Store {
    conn: ConnectionManager,
    up: AtomicBool,
}

impl Store {
    /// A connection to `url` (`redis://host:port/db`), made on first use. Fails only on a
    /// URL that does not parse.
    pub fn open(url: &str) -> RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        METRICS.cluster_redis_up.set(0);
        Ok(Self {
            conn,
            up: AtomicBool::new(false),
        })
    }

    /// Whether the last command reached Redis.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Runs `op` on the connection within [`OP_TIMEOUT`], timing it and noting whether
    /// Redis answered.
    pub async fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let start = Instant::now();
        let result = match tokio::time::timeout(OP_TIMEOUT, op(self.conn.clone())).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(StoreError::Redis(e)),
            Err(_) => Err(StoreError::Timeout),
        };
        METRICS
            .cluster_op_duration
            .observe(start.elapsed().as_secs_f64());
        let reached = match &result {
            Ok(_) => true,
            Err(StoreError::Timeout) => false,
            Err(StoreError::Redis(e)) => {
                !(e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || e.is_timeout())
            }
        };
        if self.up.swap(reached, Ordering::Relaxed) != reached {
            METRICS.cluster_redis_up.set(i64::from(reached));
            match &result {
                Err(e) if !reached => tracing::warn!("lost the cluster directory: {e}"),
                _ => tracing::info!("reached the cluster directory"),
            }
        }
        result
    }
}
