//! The threads lobbies tick on, apart from the threads that serve connections: a burst of
//! socket work cannot delay a tick, and a tick never waits for a socket. Each thread runs a
//! single-threaded tokio runtime; lobbies are dealt to them in turn.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// Where lobby tasks run.
pub enum LobbyThreads {
    /// On the runtime that also serves connections (whichever the caller runs on).
    Shared,
    /// On threads of their own; they stop when this is dropped.
    Dedicated {
        handles: Vec<Handle>,
        next: AtomicUsize,
        _stop: Vec<oneshot::Sender<()>>,
    },
}

impl LobbyThreads {
    /// `count` threads of their own, or none (0: lobbies share the caller's runtime).
    pub fn start(count: usize) -> std::io::Result<Self> {
        if count == 0 {
            return Ok(Self::Shared);
        }
        let (mut handles, mut stops) = (Vec::new(), Vec::new());
        for i in 0..count {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (stop, stopped) = oneshot::channel::<()>();
            handles.push(runtime.handle().clone());
            stops.push(stop);
            std::thread::Builder::new()
                .name(format!("tickwire-lobbies-{i}"))
                // Runs until the sender is dropped, then drops the runtime and the lobby
                // tasks still on it, outside any async context.
                .spawn(move || runtime.block_on(async move { stopped.await.unwrap_or(()) }))?;
        }
        Ok(Self::Dedicated {
            handles,
            next: AtomicUsize::new(0),
            _stop: stops,
        })
    }

    /// Starts a lobby's task.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        match self {
            Self::Shared => {
                tokio::spawn(task);
            }
            Self::Dedicated { handles, next, .. } => {
                let i = next.fetch_add(1, Ordering::Relaxed) % handles.len();
                handles[i].spawn(task);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tasks_run_on_the_lobby_threads_in_turn() {
        let threads = LobbyThreads::start(2).expect("threads");
        let mut names = Vec::new();
        for _ in 0..4 {
            let (tx, rx) = oneshot::channel();
            threads.spawn(async move {
                let name = std::thread::current().name().map(str::to_owned);
                let _ = tx.send(name);
            });
            names.push(rx.await.expect("ran").expect("named thread"));
        }
        assert_eq!(
            names,
            [
                "tickwire-lobbies-0",
                "tickwire-lobbies-1",
                "tickwire-lobbies-0",
                "tickwire-lobbies-1"
            ]
        );
    }
}
