//! Lobby ids unique across the cluster: each node takes blocks of [`BLOCK`] ids from one
//! Redis counter (`INCR`) and hands them out locally, so opening a lobby never waits for
//! Redis. A node takes its next block in the background when half of the current one is
//! used, and re-raises the counter to its own block after a Redis restart (which would
//! otherwise start counting from 0 again).

use std::sync::Mutex;

/// Ids per block: 65,536 blocks of 65,536 ids fill the u32 space.
pub const BLOCK: u32 = 1 << 16;

/// The ids this node may still hand out: the rest of its current block, then the next one.
#[derive(Default)]
pub struct IdBlocks {
    inner: Mutex<Blocks>,
}

#[derive(Default)]
struct Blocks {
    /// Next id and the end (exclusive) of the current block.
    next: u32,
    end: u32,
    /// A block taken ahead, used once the current one is spent.
    spare: Option<u32>,
    /// The newest block number taken (what the counter must be at least).
    newest: u32,
}

/// The first id of block `number` (block 0, and so id 0, is never used: `INCR` starts at 1).
fn start(number: u32) -> u32 {
    number.wrapping_mul(BLOCK)
}

/// A block number from the counter's value, wrapped into 1..65536.
pub fn block_number(counter: u64) -> u32 {
    ((counter - 1) % u64::from(u32::MAX / BLOCK) + 1) as u32
}

impl IdBlocks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Blocks> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next id, or `None` when no block has been taken (Redis unreachable since start).
    pub fn take(&self) -> Option<u32> {
        let mut b = self.lock();
        if b.next == b.end {
            let number = b.spare.take()?;
            b.next = start(number);
            b.end = b.next.wrapping_add(BLOCK - 1).wrapping_add(1);
            if b.end == 0 {
                // The last block ends at u32::MAX (its final id is left unused).
                b.end = u32::MAX;
            }
        }
        let id = b.next;
        b.next += 1;
        Some(id)
    }

    /// Whether the node should take another block now (none spare and half the current
    /// one used).
    pub fn wants_block(&self) -> bool {
        let b = self.lock();
        b.spare.is_none() && b.end.saturating_sub(b.next) < BLOCK / 2
    }

    /// Adds a block taken from the counter.
    pub fn add(&self, number: u32) {
        let mut b = self.lock();
        b.spare = Some(number);
        b.newest = number;
    }

    /// The newest block number taken (0: none).
    pub fn newest(&self) -> u32 {
        self.lock().newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hand_out_their_ids_in_order_then_need_another() {
        let ids = IdBlocks::default();
        assert_eq!(ids.take(), None, "no block yet");
        assert!(ids.wants_block());
        ids.add(block_number(3));
        assert_eq!(ids.take(), Some(3 * BLOCK));
        assert_eq!(ids.take(), Some(3 * BLOCK + 1));
        assert!(!ids.wants_block(), "a fresh block is enough");
        for _ in 2..BLOCK {
            ids.take();
        }
        assert!(ids.wants_block());
        assert_eq!(ids.take(), None, "spent, and no spare");
        ids.add(7);
        assert_eq!(ids.take(), Some(7 * BLOCK));
        assert_eq!(
            block_number(65_536),
            1,
            "the counter wraps past the last block"
        );
    }
}
