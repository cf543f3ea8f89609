//! Capped, jittered exponential backoff that resets after a stable period.
//!
//! Reconnecting to a master uses it: the n-th consecutive failure waits about
//! `initial * 2^n`, capped at `max`, with "equal jitter" (a uniform draw from
//! the upper half of that delay) so a fleet of frameworks does not reconnect in
//! lock-step, yet never retries faster than half the nominal delay. A
//! connection that stayed up for `reset_after` counts as healthy: the next
//! failure starts again from `initial`.
//!
//! Pure: no clock, no sleeping; the caller passes how long a connection lasted.

use std::time::Duration;

/// `base · 2^exponent`, at most `max` (no overflow for any exponent). The
/// one exponential rule: the reconnect [`Backoff`] here and the scheduler's
/// replacement delays (`scheduler::backoff`) both use it.
pub fn capped_exponential(base: Duration, max: Duration, exponent: u32) -> Duration {
    let factor = 2u32.saturating_pow(exponent.min(31));
    base.checked_mul(factor).map_or(max, |d| d.min(max))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// A connection that lasted this long resets the backoff.
    pub reset_after: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
            reset_after: Duration::from_secs(60),
        }
    }
}

#[derive(Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    pub fn new(policy: BackoffPolicy) -> Self {
        Backoff {
            policy,
            attempt: 0,
            rng: fastrand::Rng::new(),
        }
    }

    /// Deterministic jitter, for tests.
    pub fn with_seed(policy: BackoffPolicy, seed: u64) -> Self {
        Backoff {
            policy,
            attempt: 0,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The delay before the next attempt; each call counts one failure.
    pub fn next_delay(&mut self) -> Duration {
        let nominal = self.nominal(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        let half = nominal / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(self.rng.u64(0..=jitter_ms))
    }

    /// The capped delay without jitter for the `attempt`-th failure.
    pub fn nominal(&self, attempt: u32) -> Duration {
        capped_exponential(self.policy.initial, self.policy.max, attempt)
    }

    /// Reports that a connection was up for `lasted`; resets the backoff when
    /// that was a stable period.
    pub fn connection_lasted(&mut self, lasted: Duration) {
        if lasted >= self.policy.reset_after {
            self.reset();
        }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
            reset_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn grows_exponentially_and_caps() {
        let b = Backoff::new(policy());
        assert_eq!(b.nominal(0), Duration::from_millis(100));
        assert_eq!(b.nominal(1), Duration::from_millis(200));
        assert_eq!(b.nominal(5), Duration::from_millis(3200));
        assert_eq!(b.nominal(6), Duration::from_secs(5));
        assert_eq!(b.nominal(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn resets_only_after_a_stable_period() {
        let mut b = Backoff::with_seed(policy(), 1);
        for _ in 0..4 {
            b.next_delay();
        }
        b.connection_lasted(Duration::from_secs(10));
        assert_eq!(b.attempt(), 4);
        b.connection_lasted(Duration::from_secs(60));
        assert_eq!(b.attempt(), 0);
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    proptest! {
        #[test]
        fn jitter_stays_within_half_and_full_nominal(seed in any::<u64>(), n in 0u32..40) {
            let mut b = Backoff::with_seed(policy(), seed);
            for _ in 0..n { b.next_delay(); }
            let nominal = b.nominal(n);
            let d = b.next_delay();
            prop_assert!(d >= nominal / 2 && d <= nominal, "{d:?} vs {nominal:?}");
        }
    }
}
