//! Wakes lobbies at their tick deadlines to within tens of microseconds. tokio's timer
//! rounds every deadline up to its next whole millisecond, so a lobby on it starts each tick
//! 0 to 1 ms late, a different amount each tick: jitter that every input and snapshot
//! carries. One thread here keeps all lobbies' deadlines in a heap and sleeps on a condvar
//! (a high-resolution kernel timer) until the earliest, then wakes that lobby's task.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// How a lobby waits for its next tick.
#[derive(Clone, Debug, Default)]
pub enum TickWake {
    /// tokio's timer: millisecond resolution, and follows a paused test clock.
    #[default]
    Tokio,
    /// The shared precise ticker thread.
    Precise(Ticker),
}

impl TickWake {
    /// Completes at `deadline` (not before).
    pub async fn until(&self, deadline: tokio::time::Instant) {
        match self {
            Self::Tokio => tokio::time::sleep_until(deadline).await,
            Self::Precise(ticker) => ticker.sleep_until(deadline.into_std()).await,
        }
    }
}

/// A handle on the ticker thread; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct Ticker {
    inner: Arc<Inner>,
    _owner: Arc<Owner>,
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ticker")
    }
}

struct Inner {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    due: BinaryHeap<Reverse<Entry>>,
    /// Orders entries with the same deadline.
    next_seq: u64,
    stop: bool,
}

struct Entry {
    at: Instant,
    seq: u64,
    waker: Waker,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Stops the thread when the last [`Ticker`] goes.
struct Owner(Arc<Inner>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.lock().stop = true;
        self.0.changed.notify_one();
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        let mut state = self.lock();
        let mut due = Vec::new();
        loop {
            if state.stop {
                return;
            }
            let now = Instant::now();
            while state.due.peek().is_some_and(|Reverse(e)| e.at <= now) {
                if let Some(Reverse(e)) = state.due.pop() {
                    due.push(e.waker);
                }
            }
            if !due.is_empty() {
                drop(state);
                due.drain(..).for_each(Waker::wake);
                state = self.lock();
                continue;
            }
            state = match state.due.peek() {
                Some(Reverse(next)) => {
                    let wait = next.at.saturating_duration_since(now);
                    self.changed
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }
}

impl Ticker {
    /// Starts the ticker thread.
    pub fn start() -> std::io::Result<Self> {
        let inner = Arc::new(Inner {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let thread_inner = inner.clone();
        std::thread::Builder::new()
            .name("tickwire-ticker".into())
            .spawn(move || thread_inner.run())?;
        Ok(Self {
            _owner: Arc::new(Owner(inner.clone())),
            inner,
        })
    }

    /// Completes at `at` (not before).
    pub fn sleep_until(&self, at: Instant) -> Sleep<'_> {
        Sleep {
            ticker: self,
            at,
            registered: None,
        }
    }

    fn register(&self, at: Instant, waker: Waker) {
        let mut state = self.inner.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        let earliest = state.due.peek().is_none_or(|Reverse(e)| at < e.at);
        state.due.push(Reverse(Entry { at, seq, waker }));
        drop(state);
        if earliest {
            self.inner.changed.notify_one();
        }
    }
}

/// The future of [`Ticker::sleep_until`].
pub struct Sleep<'a> {
    ticker: &'a Ticker,
    at: Instant,
    /// The waker handed to the ticker, if any.
    registered: Option<Waker>,
}

impl Future for Sleep<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.at {
            return Poll::Ready(());
        }
        if !self
            .registered
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            self.registered = Some(cx.waker().clone());
            self.ticker.register(self.at, cx.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn wakes_at_each_deadline_in_order_and_never_early() {
        let ticker = Ticker::start().expect("thread");
        let start = Instant::now();
        let deadlines: Vec<Instant> = [30, 10, 20]
            .iter()
            .map(|ms| start + Duration::from_millis(*ms))
            .collect();
        let woke = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = deadlines
            .iter()
            .map(|&at| {
                let (ticker, woke) = (ticker.clone(), woke.clone());
                tokio::spawn(async move {
                    ticker.sleep_until(at).await;
                    let now = Instant::now();
                    assert!(now >= at, "woke before its deadline");
                    woke.lock().expect("lock").push(at);
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        let mut sorted = deadlines.clone();
        sorted.sort();
        assert_eq!(*woke.lock().expect("lock"), sorted);
    }

    #[tokio::test]
    async fn a_past_deadline_is_ready_at_once() {
        let ticker = Ticker::start().expect("thread");
        ticker.sleep_until(Instant::now()).await;
    }
}
