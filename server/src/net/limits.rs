//! Counting limits shared by every connection: how many connections are open (in total and
//! per address), and token buckets kept per address for costly or guessable requests. An
//! "address" is an IPv4 address, or an IPv6 /64: one host is handed a whole /64, so counting
//! single IPv6 addresses would let it rotate past every per-address limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::Notify;

use super::rate::TokenBucket;

/// The address a limit counts `ip` under: itself for IPv4 (also when mapped into IPv6), its
/// /64 prefix for IPv6.
pub fn holder(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    ServerFull,
    TooManyFromAddress,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Open connections, in total and per address, under a cap of each.
pub struct Tally {
    max_total: usize,
    /// 0: no per-address limit.
    max_per_ip: usize,
    counts: Mutex<Counts>,
    idle: Notify,
}

/// One connection's place in a [`Tally`]; given back when dropped.
pub struct TallySlot {
    tally: Arc<Tally>,
    ip: IpAddr,
}

impl Tally {
    pub fn new(max_total: usize, max_per_ip: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_ip,
            counts: Mutex::default(),
            idle: Notify::new(),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<TallySlot, Refusal> {
        let ip = holder(ip);
        let mut c = self.counts();
        if c.total >= self.max_total {
            return Err(Refusal::ServerFull);
        }
        let per_ip = c.per_ip.get(&ip).copied().unwrap_or(0);
        if self.max_per_ip > 0 && per_ip >= self.max_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        c.total += 1;
        *c.per_ip.entry(ip).or_default() += 1;
        Ok(TallySlot {
            tally: self.clone(),
            ip,
        })
    }

    pub fn total(&self) -> usize {
        self.counts().total
    }

    /// Waits until no connection is left.
    pub async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.total() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for TallySlot {
    fn drop(&mut self) {
        let mut c = self.tally.counts();
        c.total -= 1;
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
        if c.total == 0 {
            self.tally.idle.notify_waiters();
        }
    }
}

/// Addresses tracked before full (idle) buckets are forgotten.
const PRUNE_AT: usize = 4096;

/// A token bucket per client address: `capacity` at once, refilled at `per_second`.
pub struct AddressBuckets {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, TokenBucket>>,
}

impl AddressBuckets {
    pub fn new(capacity: f64, per_second: f64) -> Self {
        Self {
            capacity,
            per_second,
            buckets: Mutex::default(),
        }
    }

    /// Takes one token for `ip`; false when its bucket is empty.
    pub fn take(&self, ip: IpAddr, now: Instant) -> bool {
        let ip = holder(ip);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, b| !b.is_full(now));
        }
        buckets
            .entry(ip)
            .or_insert_with(|| TokenBucket::new(self.capacity, self.per_second, now))
            .take(now)
    }

    /// Whether `ip` has a token left, without taking it.
    pub fn has(&self, ip: IpAddr, now: Instant) -> bool {
        let ip = holder(ip);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets.get_mut(&ip).is_none_or(|b| b.peek(now) >= 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn caps_in_total_and_per_address() {
        let t = Tally::new(3, 2);
        let (a, b) = (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        );
        let s1 = t.admit(a);
        let _s2 = t.admit(a);
        assert_eq!(t.admit(a).err(), Some(Refusal::TooManyFromAddress));
        let _s3 = t.admit(b);
        assert_eq!(t.admit(b).err(), Some(Refusal::ServerFull));
        drop(s1);
        assert!(t.admit(b).is_ok());
    }

    #[test]
    fn buckets_are_per_address() {
        let now = Instant::now();
        let buckets = AddressBuckets::new(2.0, 1.0);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        assert!(buckets.take(a, now) && buckets.take(a, now));
        assert!(!buckets.take(a, now));
        assert!(!buckets.has(a, now));
        assert!(buckets.take(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), now));
    }

    #[test]
    fn an_ipv6_host_counts_as_its_64_and_a_mapped_ipv4_as_itself() {
        let tally = Tally::new(100, 2);
        let host =
            |last: u16| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, last));
        let _a = tally.admit(host(1)).expect("first");
        let _b = tally.admit(host(2)).expect("second");
        assert_eq!(
            tally.admit(host(3)).err(),
            Some(Refusal::TooManyFromAddress),
            "a third address of the same /64 is the same host"
        );
        let other = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert!(tally.admit(other).is_ok(), "another /64 is another host");
        let v4 = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let mapped = IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        assert_eq!(holder(mapped), v4);
    }
}
