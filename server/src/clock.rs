//! The time the server acts on: the system clock in production, a clock that tests can set and
//! move, so that deadlines (counted on the working calendar from the moment of dispatch) and
//! the overdue job can be checked at chosen moments over real HTTP.
//!
//! Every [`Clock`] cloned from one value shares its setting: the clock a test holds is the one
//! the handlers and the background jobs of its server read.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

/// Now, for handlers and jobs. `Default` is the system clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock; `Some(t)`: time stands at `t` until moved.
    fixed: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current time, to the microsecond: stored times have microsecond precision on
    /// PostgreSQL, so what is answered equals what is read back.
    pub fn now(&self) -> DateTime<Utc> {
        let now = self.fixed.lock().unwrap_or_else(PoisonError::into_inner).unwrap_or_else(Utc::now);
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }

    /// Stops time at `at` (tests).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.fixed.lock().unwrap_or_else(PoisonError::into_inner) = Some(at);
    }

    /// Moves a stopped clock by `by`, or stops a running one at now + `by` (tests).
    pub fn advance(&self, by: chrono::Duration) {
        let mut fixed = self.fixed.lock().unwrap_or_else(PoisonError::into_inner);
        *fixed = Some(fixed.unwrap_or_else(Utc::now) + by);
    }
}

/// A stored UTC time as RFC 3339 with milliseconds, the form of every time in the API.
pub fn rfc3339(time: chrono::NaiveDateTime) -> String {
    time.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_setting_and_advance_moves_it() {
        let clock = Clock::system();
        let seen_by_handlers = clock.clone();
        let at = DateTime::parse_from_rfc3339("2026-11-27T08:00:00Z").unwrap().with_timezone(&Utc);
        clock.set(at);
        assert_eq!(seen_by_handlers.now(), at);
        clock.advance(chrono::Duration::hours(3));
        assert_eq!(seen_by_handlers.now(), at + chrono::Duration::hours(3));
    }
}
