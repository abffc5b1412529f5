//! Where the store's time comes from: the system clock in production, a settable clock in tests
//! and for the demo data, so that "a loan lent forty days ago" is made by lending it then, not by
//! rewriting rows afterwards.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, to the second (both backends store whole seconds, so reads equal writes).
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(0)
    }
}

/// The system clock moved by an offset that can be changed at any time; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct SettableClock {
    offset: Arc<Mutex<Duration>>,
}

impl SettableClock {
    /// A clock that reads the system time until it is moved.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock so that it reads `at` now (and runs on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.offset.lock().expect("no panic while holding the offset") = at - Utc::now();
    }

    /// Moves the clock by `by` (negative: into the past).
    pub fn shift(&self, by: Duration) {
        *self.offset.lock().expect("no panic while holding the offset") += by;
    }

    /// Back to the system time.
    pub fn reset(&self) {
        *self.offset.lock().expect("no panic while holding the offset") = Duration::zero();
    }
}

impl Clock for SettableClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().expect("no panic while holding the offset");
        (Utc::now() + offset).trunc_subsecs(0)
    }
}

/// The clock a store holds.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settable_clock_moves_and_comes_back() {
        let clock = SettableClock::new();
        let shared = clock.clone();
        let before = SystemClock.now();
        clock.shift(Duration::days(-40));
        let then = shared.now();
        assert!(then <= before - Duration::days(40) + Duration::seconds(2));
        assert!(then >= before - Duration::days(40) - Duration::seconds(2));
        let at = before - Duration::days(3);
        clock.set(at);
        assert!((clock.now() - at).num_seconds().abs() <= 1);
        clock.reset();
        assert!((clock.now() - SystemClock.now()).num_seconds().abs() <= 1);
        assert_eq!(clock.now().timestamp_subsec_nanos(), 0);
    }
}
