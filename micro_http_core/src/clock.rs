//! The coarse clock that connection deadlines (head, idle, idle-buffer release, shedding) are kept on:
//! milliseconds since the server started, advanced by one thread every [`TICK`].
//!
//! Why not a tokio timer per connection: waiting for a request then read the system clock to compute the
//! deadline, polled the connection's `Sleep`, and kept an entry in the runtime's timer wheel, so every park of
//! the runtime read the clock again to compute its timeout: ~370 instructions of every request at one
//! connection (`cost.sh --conns 1`, BENCHMARKS.md). On this clock a deadline is an atomic store, and checking it
//! an atomic load; the thread that advances the clock wakes the connections whose deadline has passed
//! (`shutdown.rs`). The price is precision: a deadline passes between its duration and two ticks after it.
//!
//! The same thread keeps the Unix time in seconds for the `Date` field (`date.rs`), which a response then reads
//! from an atomic instead of the system clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// How often the clock advances.
pub(crate) const TICK: Duration = Duration::from_millis(100);
const TICK_MS: u64 = TICK.as_millis() as u64;

/// A point on a [`Clock`]: milliseconds since its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Tick(pub(crate) u64);

impl Tick {
    /// Later than any point: no deadline.
    pub(crate) const NEVER: Tick = Tick(u64::MAX);

    /// The deadline `d` after `self`, a reading of the clock. A reading may be up to a tick old, so a tick is
    /// added: the deadline is never early, and at most two ticks late once the clock passes it.
    pub(crate) fn after(self, d: Duration) -> Tick {
        // In u64 and u32 parts: a division of `as_nanos()`'s u128 is a library call of ~100 instructions.
        let ms = d
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)));
        Tick(self.0.saturating_add(ms).saturating_add(TICK_MS))
    }
}

/// A coarse clock: [`now`](Clock::now) is the time of the last [`advance`](Clock::advance).
#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
    now: AtomicU64,
    /// Seconds since the Unix epoch at the last advance.
    unix_secs: AtomicU64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            start: Instant::now(),
            now: AtomicU64::new(0),
            unix_secs: AtomicU64::new(crate::date::unix_secs_now()),
        }
    }
}

impl Clock {
    /// The time of the last advance. Sequentially consistent, with the stores of deadlines it is compared with:
    /// either the party that set a deadline sees the advance past it, or the ticker sees the deadline.
    pub(crate) fn now(&self) -> Tick {
        Tick(self.now.load(Ordering::SeqCst))
    }

    /// The Unix time, in whole seconds, at the last advance: at most a tick behind (what `Date` shows).
    pub(crate) fn unix_secs(&self) -> u64 {
        self.unix_secs.load(Ordering::Relaxed)
    }

    /// Sets the clock to the present; only the ticker does, every [`TICK`].
    pub(crate) fn advance(&self) -> Tick {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.unix_secs.store(
            crate::date::unix_secs_at(SystemTime::now()),
            Ordering::Relaxed,
        );
        self.now.fetch_max(ms, Ordering::SeqCst);
        self.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_never_early_and_saturates() {
        assert_eq!(Tick(1_000).after(Duration::from_millis(500)), Tick(1_600));
        // Sub-millisecond durations round up.
        assert_eq!(Tick(0).after(Duration::from_micros(1)), Tick(1 + TICK_MS));
        assert_eq!(Tick(5).after(Duration::MAX), Tick::NEVER);
        assert_eq!(
            Tick(0).after(Duration::new(3, 999_000_001)),
            Tick(4_000 + TICK_MS)
        );
        assert_eq!(
            Tick(0).after(Duration::new(3, 999_000_000)),
            Tick(3_999 + TICK_MS)
        );
        assert!(Tick(u64::MAX - 1).after(Duration::ZERO) == Tick::NEVER);
    }

    #[test]
    fn the_clock_moves_only_when_advanced_and_never_back() {
        let clock = Clock::default();
        assert_eq!(clock.now(), Tick(0));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(clock.now(), Tick(0), "not advanced yet");
        let t = clock.advance();
        assert!(t >= Tick(20), "{t:?}");
        assert_eq!(clock.now(), t);
        assert!(clock.advance() >= t);
    }
}
