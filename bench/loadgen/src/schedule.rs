//! The open-loop schedule: request `k` is due at `t0 + k / rate`, whoever sends it.
//!
//! All users share one ticket counter. A free user takes the next ticket once it is due, sends, and measures
//! latency from the due time. When every user is busy, tickets fall behind schedule and the wait counts as
//! latency, which is what a real arrival process would see.
//!
//! Tickets are released at their due times by [`release_tickets`] on a plain OS thread, as permits of a
//! semaphore that free users wait on. Tokio's timers have millisecond granularity: users sleeping on them
//! would send up to ~1 ms late, and that lateness, counted from the due time, would be charged to the server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

pub struct Schedule {
    t0: Instant,
    rate: f64,
    deadline: Instant,
    next: AtomicU64,
}

impl Schedule {
    /// A schedule of `rate` requests per second from `t0`; tickets due at or after `deadline` are not issued.
    pub fn new(t0: Instant, rate: f64, deadline: Instant) -> Schedule {
        Schedule { t0, rate, deadline, next: AtomicU64::new(0) }
    }

    /// When ticket `k` is due, or `None` if that is not before the deadline.
    pub fn due(&self, k: u64) -> Option<Instant> {
        let due = self.t0.checked_add(Duration::from_secs_f64(k as f64 / self.rate))?;
        (due < self.deadline).then_some(due)
    }

    /// Takes the next ticket and returns its due time, or `None` once the schedule has run out.
    pub fn take(&self) -> Option<Instant> {
        self.due(self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// How many tickets are due at or before `t` (never counting those at or after the deadline).
    pub fn due_by(&self, t: Instant) -> u64 {
        let guess = (t.saturating_duration_since(self.t0).as_secs_f64() * self.rate).floor() as u64 + 1;
        // The guess is off by at most one through rounding; settle it with `due` itself.
        let mut n = guess;
        while n > 0 && self.due(n - 1).is_none_or(|due| due > t) {
            n -= 1;
        }
        while self.due(n).is_some_and(|due| due <= t) {
            n += 1;
        }
        n
    }
}

/// Adds one permit to `permits` as each ticket of `schedule` falls due, sleeping in between; returns when
/// every ticket has been released. Runs on an OS thread of its own for sub-millisecond timing.
pub fn release_tickets(schedule: &Schedule, permits: &Semaphore) {
    let mut released = 0;
    loop {
        let due = schedule.due_by(Instant::now());
        if due > released {
            permits.add_permits(usize::try_from(due - released).unwrap_or(Semaphore::MAX_PERMITS));
            released = due;
        }
        match schedule.due(released) {
            Some(next) => std::thread::sleep(next.saturating_duration_since(Instant::now())),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_due_times() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 400.0, t0 + Duration::from_secs(10));
        // Within a microsecond: k / rate is computed in floating point.
        let at = |k: u64| s.due(k).map(|due| (due - t0).as_secs_f64() * 1e6).map(f64::round);
        assert_eq!(s.due(0), Some(t0));
        assert_eq!(at(1), Some(2500.0));
        assert_eq!(at(600), Some(1_500_000.0));
        assert_eq!(at(3999), Some(9_997_500.0));
        assert_eq!(s.due(4000), None, "due exactly at the deadline: not sent");
        assert_eq!(s.due(u64::MAX), None);
    }

    #[test]
    fn tickets_stop_at_the_deadline() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 250.0, t0 + Duration::from_secs(2));
        let mut issued = 0;
        let mut last = t0;
        while let Some(due) = s.take() {
            assert!(due >= last);
            last = due;
            issued += 1;
        }
        assert_eq!(issued, 500);
        assert_eq!(s.take(), None);
        // A fractional rate: 2.5 requests/s over 1 s is due at 0, 0.4 and 0.8 s.
        let s = Schedule::new(t0, 2.5, t0 + Duration::from_secs(1));
        assert_eq!(std::iter::from_fn(|| s.take()).count(), 3);
    }

    #[test]
    fn tickets_due_by_a_time() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 400.0, t0 + Duration::from_secs(10));
        let after = |us| t0 + Duration::from_micros(us);
        assert_eq!(s.due_by(t0 - Duration::from_millis(1)), 0);
        assert_eq!(s.due_by(t0), 1);
        assert_eq!(s.due_by(after(2499)), 1);
        assert_eq!(s.due_by(after(2500)), 2);
        assert_eq!(s.due_by(after(1_000_000)), 401);
        assert_eq!(s.due_by(after(60_000_000)), 4000, "never past the deadline");
        for us in (0..10_000_000).step_by(997) {
            let n = s.due_by(after(us));
            assert!(s.due(n - 1).unwrap() <= after(us) && s.due(n).is_none_or(|due| due > after(us)));
        }
    }

    #[test]
    fn tickets_are_released_when_due() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 1000.0, t0 + Duration::from_millis(50));
        let permits = Semaphore::new(0);
        release_tickets(&s, &permits);
        assert!(Instant::now() >= t0 + Duration::from_millis(49));
        assert_eq!(permits.available_permits(), 50);
    }
}
