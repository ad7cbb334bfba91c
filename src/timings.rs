//! Phase times of a run on stderr, for profiling: with `BATON_TIMINGS=1`, each [`mark`] prints
//! the wall time since the first mark, the wall time since the previous one and the process's
//! CPU time (user + system) so far. Without it, a mark costs one atomic load.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// 0: not read yet, 1: off, 2: on.
static STATE: AtomicU8 = AtomicU8::new(0);
/// The first mark's time and the previous mark's.
static CLOCK: Mutex<Option<(Instant, Instant)>> = Mutex::new(None);

/// True when `BATON_TIMINGS` is set to something other than empty or `0`.
pub fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var_os("BATON_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0");
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        state => state == 2,
    }
}

/// Prints the end of `phase` (when [`enabled`]).
pub fn mark(phase: &str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    let (start, previous) = {
        let mut clock = CLOCK.lock().unwrap_or_else(|e| e.into_inner());
        let (start, previous) = clock.unwrap_or((now, now));
        *clock = Some((start, now));
        (start, previous)
    };
    eprintln!(
        "baton-timings: {phase:<32} at {:>8.1} ms  phase {:>8.1} ms  cpu {:>8.1} ms",
        (now - start).as_secs_f64() * 1e3,
        (now - previous).as_secs_f64() * 1e3,
        cpu_seconds() * 1e3
    );
}

/// CPU time (user + system) of the process so far, in seconds (0 where it is not known).
#[cfg(not(unix))]
fn cpu_seconds() -> f64 {
    0.0
}

/// CPU time (user + system) of the process so far, in seconds.
#[cfg(unix)]
fn cpu_seconds() -> f64 {
    // SAFETY: `getrusage` writes into the zeroed struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return 0.0;
        }
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

#[cfg(all(test, unix))]
mod tests {
    #[test]
    fn cpu_time_grows_with_work() {
        let before = super::cpu_seconds();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(super::cpu_seconds() > before, "30 ms of busy work shows as CPU time");
    }
}
