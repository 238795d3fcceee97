//! Frame accounting below the WebSocket codec: reads the header of every frame a client
//! sends, whatever its opcode (data, continuation, ping, pong, close), counts each against
//! the connection's rate limit and each message's fragments against a cap. On a violation
//! it stops passing bytes on (the offending frame never reaches the codec) and tells the
//! session, which closes the connection with a reason.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use tokio::sync::Notify;

use super::rate::{RateLimiter, Verdict};

/// Most frames one message may arrive in.
pub const MAX_FRAGMENTS: u32 = 16;

/// What a client did wrong at the frame level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// Kept sending frames faster than the rate limit.
    Flood = 1,
    /// A message in more than [`MAX_FRAGMENTS`] frames.
    TooManyFragments = 2,
}

/// Shared between a connection's [`FrameGuard`] and its session.
#[derive(Debug, Default)]
pub struct FrameWatch {
    violation: AtomicU8,
    raised: Notify,
}

impl FrameWatch {
    fn raise(&self, v: Violation) {
        self.violation.store(v as u8, Ordering::Release);
        self.raised.notify_waiters();
    }

    fn get(&self) -> Option<Violation> {
        match self.violation.load(Ordering::Acquire) {
            1 => Some(Violation::Flood),
            2 => Some(Violation::TooManyFragments),
            _ => None,
        }
    }

    /// Waits for a violation.
    pub async fn violated(&self) -> Violation {
        loop {
            let raised = self.raised.notified();
            if let Some(v) = self.get() {
                return v;
            }
            raised.await;
        }
    }
}

/// Where the parser is in the client's byte stream.
#[derive(Debug, Default)]
struct Parser {
    header: [u8; 14],
    have: usize,
    payload_left: u64,
    fragments: u32,
}

impl Parser {
    /// Header length once its first two bytes are known.
    fn header_len(&self) -> usize {
        let ext = match self.header[1] & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if self.header[1] & 0x80 != 0 { 4 } else { 0 };
        2 + ext + mask
    }

    fn payload_len(&self) -> u64 {
        match self.header[1] & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.header[2..10]);
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        }
    }

    /// Walks `bytes`; returns the offset of the first frame header that breaks a rule.
    fn feed(
        &mut self,
        bytes: &[u8],
        limiter: &mut RateLimiter,
        now: Instant,
    ) -> Option<(usize, Violation)> {
        let mut i = 0;
        let mut header_start = 0;
        while i < bytes.len() {
            if self.payload_left > 0 {
                let skip = usize::try_from(self.payload_left)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len() - i);
                i += skip;
                self.payload_left -= skip as u64;
                continue;
            }
            if self.have == 0 {
                header_start = i;
            }
            self.header[self.have] = bytes[i];
            self.have += 1;
            i += 1;
            if self.have < 2 || self.have < self.header_len() {
                continue;
            }
            self.have = 0;
            self.payload_left = self.payload_len();
            if let Some(v) = self.frame(limiter, now) {
                return Some((header_start, v));
            }
        }
        None
    }

    /// One whole frame header has been read.
    fn frame(&mut self, limiter: &mut RateLimiter, now: Instant) -> Option<Violation> {
        if limiter.check(now) == Verdict::Close {
            return Some(Violation::Flood);
        }
        let fin = self.header[0] & 0x80 != 0;
        match self.header[0] & 0x0f {
            0 => {
                self.fragments += 1;
                if self.fragments > MAX_FRAGMENTS {
                    return Some(Violation::TooManyFragments);
                }
                if fin {
                    self.fragments = 0;
                }
            }
            1 | 2 => self.fragments = u32::from(!fin),
            _ => {}
        }
        None
    }
}

/// Checks a client's bytes as they are read; see the module comment.
pub struct FrameGuard {
    watch: Arc<FrameWatch>,
    limiter: RateLimiter,
    parser: Parser,
    blocked: bool,
}

impl FrameGuard {
    /// `rate` frames a second with bursts of twice that, like the message limit.
    pub fn new(rate: u32) -> (Self, Arc<FrameWatch>) {
        let watch = Arc::new(FrameWatch::default());
        let guard = Self {
            watch: watch.clone(),
            limiter: RateLimiter::new(rate, Instant::now()),
            parser: Parser::default(),
            blocked: false,
        };
        (guard, watch)
    }

    /// Takes bytes just read and returns how many of them may go on to the codec: all of
    /// them, or those before the first frame that breaks a rule (the session is then told,
    /// and nothing more passes).
    pub fn pass(&mut self, fresh: &[u8]) -> usize {
        if self.blocked {
            return 0;
        }
        match self.parser.feed(fresh, &mut self.limiter, Instant::now()) {
            Some((offset, v)) => {
                self.blocked = true;
                self.watch.raise(v);
                offset
            }
            None => fresh.len(),
        }
    }

    /// A rule was broken: nothing passes any more.
    pub fn blocked(&self) -> bool {
        self.blocked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![
            (u8::from(fin) << 7) | opcode,
            0x80 | payload.len() as u8,
            1,
            2,
            3,
            4,
        ];
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn counts_fragments_across_reads() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(10_000, now);
        let mut p = Parser::default();
        let mut stream = frame(false, 2, b"ab");
        for _ in 0..MAX_FRAGMENTS - 1 {
            stream.extend(frame(false, 0, b""));
        }
        let bad_at = stream.len();
        stream.extend(frame(false, 0, b"x"));
        // Fed a byte at a time: headers split across reads still count.
        let mut hit = None;
        for (i, b) in stream.iter().enumerate() {
            if let Some((_, v)) = p.feed(&[*b], &mut limiter, now) {
                hit = Some((i, v));
                break;
            }
        }
        assert_eq!(hit, Some((bad_at + 5, Violation::TooManyFragments)));
    }

    #[test]
    fn every_opcode_counts_against_the_rate() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(10, now);
        let mut p = Parser::default();
        let pings: Vec<u8> = (0..200).flat_map(|_| frame(true, 9, b"")).collect();
        let hit = p.feed(&pings, &mut limiter, now);
        assert!(matches!(hit, Some((_, Violation::Flood))), "{hit:?}");
    }
}
