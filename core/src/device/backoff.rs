//! When to try again, and whether to: exponential backoff with full jitter, `Retry-After`
//! parsing, and the sorting of a server answer into deliver / retry / park. All pure functions,
//! so the rules are tested without a network or a clock.

use std::time::{Duration, SystemTime};

/// The backoff curve: the `n`th consecutive failure waits up to `base * 2^n`, capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    pub base: Duration,
    pub max: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self { base: Duration::from_secs(2), max: Duration::from_secs(15 * 60) }
    }
}

impl BackoffPolicy {
    /// The wait after `failures` consecutive failures (1 for the first), with full jitter:
    /// `unit` (uniform in `[0, 1)`) times the capped exponential ceiling. Full jitter spreads a
    /// city's phones out when a server comes back, instead of having them retry in lockstep.
    pub fn delay(&self, failures: u32, unit: f64) -> Duration {
        let exponent = failures.saturating_sub(1).min(31);
        let ceiling = self.base.saturating_mul(1u32 << exponent).min(self.max);
        ceiling.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The wait before the next try: the server's `Retry-After` when it gave one (never more
    /// than `max`, never less than it asked), otherwise [`BackoffPolicy::delay`].
    pub fn next_wait(&self, failures: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(asked) => asked.min(self.max),
            None => self.delay(failures, unit),
        }
    }
}

/// Parse a `Retry-After` value: delay-seconds, or an HTTP date (read against `now`; a date in
/// the past means "now"). `None` for anything else.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at =
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(date.timestamp()).ok()?))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What to do with an outbox item after the server answered with `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: done.
    Delivered,
    /// The server could not take it now (408, 425, 429, 5xx): keep it and try again later.
    Retry,
    /// 401: refresh the session once and resend.
    Reauthenticate,
    /// 409: the case moved on; park the item with the server's current state for the user.
    Conflict,
    /// Any other 4xx (validation, forbidden, not found, too large): resending the same bytes
    /// cannot succeed; park it with the server's problem for the user.
    Refused,
}

/// Sort an HTTP status into a [`Verdict`].
pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        401 => Verdict::Reauthenticate,
        409 => Verdict::Conflict,
        408 | 425 | 429 => Verdict::Retry,
        400..=499 => Verdict::Refused,
        // 5xx, and anything outside the defined ranges (1xx, 3xx: this API never redirects),
        // is the server's trouble, not the item's.
        _ => Verdict::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BackoffPolicy =
        BackoffPolicy { base: Duration::from_millis(500), max: Duration::from_secs(60) };

    #[test]
    fn the_ceiling_doubles_per_failure_up_to_the_cap() {
        let ceilings: Vec<u128> = (1..=10).map(|n| POLICY.delay(n, 1.0).as_millis()).collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
        assert_eq!(POLICY.delay(u32::MAX, 1.0), POLICY.max, "huge failure counts must not overflow");
        assert_eq!(POLICY.delay(0, 1.0), POLICY.base);
    }

    #[test]
    fn full_jitter_scales_the_whole_wait_from_zero() {
        assert_eq!(POLICY.delay(3, 0.0), Duration::ZERO);
        assert_eq!(POLICY.delay(3, 0.5), Duration::from_millis(1000));
        assert_eq!(POLICY.delay(3, 0.25), Duration::from_millis(500));
        assert_eq!(POLICY.delay(3, 7.0), Duration::from_millis(2000), "out-of-range randomness is clamped");
        assert_eq!(POLICY.delay(3, f64::NAN.max(0.0)), Duration::ZERO);
    }

    #[test]
    fn retry_after_wins_over_the_curve_but_not_over_the_cap() {
        assert_eq!(POLICY.next_wait(1, 0.0, Some(Duration::from_secs(7))), Duration::from_secs(7));
        assert_eq!(POLICY.next_wait(1, 0.9, Some(Duration::from_secs(3600))), POLICY.max);
        assert_eq!(POLICY.next_wait(2, 1.0, None), Duration::from_secs(1));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06 08:49:37 UTC
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn statuses_sort_into_retry_and_park() {
        assert_eq!(verdict(200), Verdict::Delivered);
        assert_eq!(verdict(201), Verdict::Delivered);
        for status in [408, 425, 429, 500, 502, 503, 504] {
            assert_eq!(verdict(status), Verdict::Retry, "{status}");
        }
        assert_eq!(verdict(401), Verdict::Reauthenticate);
        assert_eq!(verdict(409), Verdict::Conflict);
        for status in [400, 403, 404, 413, 415, 422] {
            assert_eq!(verdict(status), Verdict::Refused, "{status}");
        }
    }
}
