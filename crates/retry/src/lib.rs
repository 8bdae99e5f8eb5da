//! One retry policy for every operation that may fail and pass later: S3 requests, the agent's
//! uploads of its spool, webhook posts.
//!
//! [`Backoff`] says how long to wait: before retry `n` (1 for the first retry) a random duration
//! between zero and `min(max, initial * 2^(n-1))` ("full jitter", so that many clients failing
//! together do not retry together), for at most `max_attempts` attempts in all and, when set,
//! no retry that would start after `max_elapsed` since the first attempt.
//!
//! Two ways to use it: [`retry`] runs an async operation to its end, waiting in between;
//! [`Schedule`] only says when the next attempt is due, for a loop that does other work
//! meanwhile (the agent reads its logs while S3 is down).

use std::future::Future;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// Exponential backoff with full jitter, bounded by attempts and elapsed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The upper bound of the wait before the first retry.
    pub initial: Duration,
    /// The largest upper bound of any wait.
    pub max: Duration,
    /// Attempts in all, the first included (1 = never retry); `None` = no limit.
    pub max_attempts: Option<u32>,
    /// No retry starts later than this after the first attempt; `None` = no limit.
    pub max_elapsed: Option<Duration>,
}

impl Backoff {
    /// Unbounded retries, waits from up to `initial` growing to up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max: max.max(initial),
            max_attempts: None,
            max_elapsed: None,
        }
    }

    pub fn with_max_attempts(mut self, attempts: u32) -> Backoff {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Backoff {
        self.max_elapsed = Some(elapsed);
        self
    }

    /// The upper bound of the wait before retry `retry` (1 for the first).
    pub fn cap(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(32);
        self.initial
            .checked_mul(1u32 << exp.min(31))
            .map_or(self.max, |d| d.min(self.max))
    }

    /// The wait before retry `retry`: a random duration in `[0, cap(retry)]`.
    pub fn delay(&self, retry: u32) -> Duration {
        let cap = u64::try_from(self.cap(retry).as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(fastrand::u64(0..=cap))
    }

    /// A schedule starting now, before the first attempt.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            backoff: *self,
            failures: 0,
            started: None,
        }
    }
}

/// The state of one operation's retries: how many attempts failed, since when.
#[derive(Debug, Clone)]
pub struct Schedule {
    backoff: Backoff,
    failures: u32,
    started: Option<Instant>,
}

impl Schedule {
    /// Records a failed attempt and returns the wait before the next one, or `None` when the
    /// attempts or the elapsed time are used up.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let now = Instant::now();
        let started = *self.started.get_or_insert(now);
        self.failures = self.failures.saturating_add(1);
        if self
            .backoff
            .max_attempts
            .is_some_and(|max| self.failures >= max)
        {
            return None;
        }
        let delay = self.backoff.delay(self.failures);
        if let Some(max) = self.backoff.max_elapsed
            && (now + delay).duration_since(started) > max
        {
            return None;
        }
        Some(delay)
    }

    /// Failed attempts since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Forgets the failures (after a success).
    pub fn reset(&mut self) {
        self.failures = 0;
        self.started = None;
    }
}

/// What [`retry`] tells its observer before it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retrying {
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    /// The wait before the next attempt.
    pub delay: Duration,
}

/// Runs `op` until it succeeds, fails with an error `retryable` says is permanent, or the
/// backoff is used up; returns the last error then. Before each wait `before_wait` sees the
/// error and may give up early with `ControlFlow::Break` (for a shutdown deadline, say).
pub async fn retry<T, E, F, Fut>(
    backoff: &Backoff,
    mut op: F,
    retryable: impl Fn(&E) -> bool,
    mut before_wait: impl FnMut(&E, Retrying) -> ControlFlow<()>,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut schedule = backoff.schedule();
    loop {
        let err = match op().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !retryable(&err) {
            return Err(err);
        }
        let attempt = schedule.failures() + 1;
        let Some(delay) = schedule.next_delay() else {
            return Err(err);
        };
        if before_wait(&err, Retrying { attempt, delay }).is_break() {
            return Err(err);
        }
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn caps_double_up_to_the_maximum() {
        let b = Backoff::new(ms(100), ms(1000));
        let caps: Vec<_> = (1..=6).map(|n| b.cap(n)).collect();
        assert_eq!(
            caps,
            [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]
        );
        assert_eq!(b.cap(u32::MAX), ms(1000));
    }

    #[test]
    fn delays_are_full_jitter_within_the_cap() {
        let b = Backoff::new(ms(100), ms(1000));
        for _ in 0..200 {
            assert!(b.delay(3) <= ms(400));
        }
        assert!((0..200).any(|_| b.delay(3) < ms(400)), "not always the cap");
    }

    #[test]
    fn schedule_stops_after_max_attempts_and_resets() {
        let mut s = Backoff::new(ms(1), ms(2)).with_max_attempts(3).schedule();
        assert!(s.next_delay().is_some());
        assert!(s.next_delay().is_some());
        assert_eq!(s.next_delay(), None);
        s.reset();
        assert!(s.next_delay().is_some());
    }

    #[test]
    fn schedule_stops_when_the_elapsed_time_is_used_up() {
        let mut s = Backoff::new(ms(10_000), ms(10_000))
            .with_max_elapsed(ms(0))
            .schedule();
        // a wait of zero may still fit; every longer one does not
        while let Some(d) = s.next_delay() {
            assert_eq!(d, Duration::ZERO);
        }
    }

    #[tokio::test]
    async fn retries_only_retryable_errors_up_to_max_attempts() {
        let b = Backoff::new(ms(1), ms(2)).with_max_attempts(3);
        for (retryable, want_calls) in [(true, 3), (false, 1)] {
            let calls = Cell::new(0);
            let seen = Cell::new(0);
            let result: Result<(), bool> = retry(
                &b,
                || {
                    calls.set(calls.get() + 1);
                    async move { Err(retryable) }
                },
                |&e| e,
                |_, r| {
                    seen.set(r.attempt);
                    ControlFlow::Continue(())
                },
            )
            .await;
            assert_eq!(result, Err(retryable));
            assert_eq!(calls.get(), want_calls, "retryable = {retryable}");
            assert_eq!(seen.get(), want_calls - 1);
        }
    }

    #[tokio::test]
    async fn before_wait_can_give_up_and_success_ends_at_once() {
        let b = Backoff::new(ms(1), ms(2));
        let calls = Cell::new(0);
        let r: Result<(), ()> = retry(
            &b,
            || {
                calls.set(calls.get() + 1);
                async { Err(()) }
            },
            |_| true,
            |_, r| {
                if r.attempt == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.get(), 2);
        let ok: Result<u8, ()> = retry(
            &b,
            || async { Ok(7) },
            |_| true,
            |_, _| ControlFlow::Continue(()),
        )
        .await;
        assert_eq!(ok, Ok(7));
    }
}
