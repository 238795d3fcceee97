//! CPU time and memory of a local process and of the whole machine, read from `/proc`
//! through the procfs crate (Linux only; `None` elsewhere or when the process is gone).

use std::time::Duration;

use procfs::process::{Process, Schedstat};
use procfs::{Current, CurrentSI, FromRead, KernelStats, LoadAverage};

/// Clock ticks (`/proc`'s unit of CPU time) as a duration.
fn ticks(n: u64) -> Duration {
    Duration::from_secs_f64(n as f64 / procfs::ticks_per_second().max(1) as f64)
}

fn process(pid: u32) -> Option<Process> {
    Process::new(i32::try_from(pid).ok()?).ok()
}

/// User plus system CPU time the process has used so far (all its threads).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = process(pid)?.stat().ok()?;
    Some(ticks(stat.utime + stat.stime))
}

/// CPU time the calling thread has used so far, to the nanosecond (from
/// `/proc/thread-self/schedstat`).
pub fn thread_cpu_time() -> Option<Duration> {
    let stat = Schedstat::from_file("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(stat.sum_exec_runtime))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Memory {
    /// Resident set size now, bytes.
    pub rss: u64,
    /// Peak resident set size, bytes.
    pub peak_rss: u64,
}

pub fn memory(pid: u32) -> Option<Memory> {
    let status = process(pid)?.status().ok()?;
    Some(Memory {
        rss: status.vmrss? * 1024,
        peak_rss: status.vmhwm? * 1024,
    })
}

/// Threads of the process.
pub fn threads(pid: u32) -> Option<u32> {
    u32::try_from(process(pid)?.status().ok()?.threads).ok()
}

/// CPU time the whole machine has spent busy (not idle or waiting for I/O), all cores.
pub fn machine_busy() -> Option<Duration> {
    let t = KernelStats::current().ok()?.total;
    // Guest time is already counted in user time.
    let busy = t.user
        + t.nice
        + t.system
        + t.irq.unwrap_or(0)
        + t.softirq.unwrap_or(0)
        + t.steal.unwrap_or(0);
    Some(ticks(busy))
}

/// The one-minute load average.
pub fn load_average() -> Option<f64> {
    Some(f64::from(LoadAverage::current().ok()?.one))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Burns about `cpu` of this thread's CPU time.
    fn spin(cpu: Duration) {
        let Some(start) = thread_cpu_time() else {
            return;
        };
        let mut x = 0u64;
        while thread_cpu_time().is_some_and(|t| t - start < cpu) {
            for i in 0..100_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
        }
        std::hint::black_box(x);
    }

    #[test]
    fn reads_this_process() {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        let me = std::process::id();
        let (before, thread_before) = (
            cpu_time(me).expect("cpu"),
            thread_cpu_time().expect("thread"),
        );
        spin(Duration::from_millis(50));
        let thread_used = thread_cpu_time().expect("thread") - thread_before;
        assert!(thread_used >= Duration::from_millis(50), "{thread_used:?}");
        // The process's time moves in clock ticks (10 ms), and covers this thread's.
        let used = cpu_time(me).expect("cpu") - before;
        assert!(used >= Duration::from_millis(30), "{used:?}");
        let m = memory(me).expect("memory");
        assert!(m.rss > 0 && m.peak_rss >= m.rss);
        assert!(threads(me).unwrap_or(0) >= 1);
        assert!(machine_busy().is_some_and(|b| b >= used));
        assert!(load_average().is_some_and(|l| l >= 0.0));
        assert_eq!(cpu_time(u32::MAX), None);
    }
}
