//! [`TimeLimit`]: a handling time limit (处置时限) in working hours or working days, written
//! `4h` or `2d` in data files, on the wire and on the command line.

use std::fmt;
use std::str::FromStr;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::CalendarError;

/// The largest limit accepted, in either unit: a year of working days is already far beyond any
/// handling limit, and the bound keeps every deadline computation short.
pub const MAX_LIMIT: u32 = 366;

/// A limit more than zero as [`TimeLimit::from_str`] reads it (what a category takes), as an
/// ECMA-262 pattern: 1 to [`MAX_LIMIT`], leading zeros allowed, `h` or `d` in either case, white
/// space around.
pub const POSITIVE_TIME_LIMIT_PATTERN: &str = concat!(
    r"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*",
    r"0*(?:[1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-6])[hHdD]",
    r"[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
);

/// A category's time limit in the OpenAPI document.
#[cfg(feature = "openapi")]
pub fn time_limit_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(POSITIVE_TIME_LIMIT_PATTERN))
        .description(Some("Working hours (`4h`) or working days (`2d`), more than zero."))
        .build()
}

/// A time limit counted in working time on a [`super::WorkingCalendar`].
///
/// One working day is the calendar's daily working length (7 h 30 min with the default hours),
/// so `2d` is the earliest instant after which two full days' worth of working time has
/// elapsed: from Monday 10:00 it is Wednesday 10:00; from Monday 09:00 it is Tuesday 17:30, the
/// end of the second working day, not Wednesday 09:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TimeLimit {
    /// Working hours.
    Hours(u32),
    /// Working days.
    Days(u32),
}

impl TimeLimit {
    /// The working time this limit stands for, given the length of one working day.
    pub fn working_duration(self, day_length: Duration) -> Duration {
        match self {
            TimeLimit::Hours(h) => Duration::hours(i64::from(h)),
            TimeLimit::Days(d) => day_length * d as i32,
        }
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeLimit::Hours(h) => write!(f, "{h}h"),
            TimeLimit::Days(d) => write!(f, "{d}d"),
        }
    }
}

impl FromStr for TimeLimit {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, CalendarError> {
        let bad = || CalendarError::LimitFormat(s.to_owned());
        let t = s.trim();
        // Split off the last character, not the last byte: `4时` must be an error, not a panic.
        let unit_start = t.char_indices().last().map_or(0, |(i, _)| i);
        let (number, unit) = t.split_at(unit_start);
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let value: u32 = number.parse().map_err(|_| CalendarError::LimitTooLarge(s.to_owned()))?;
        if value > MAX_LIMIT {
            return Err(CalendarError::LimitTooLarge(s.to_owned()));
        }
        match unit {
            "h" | "H" => Ok(TimeLimit::Hours(value)),
            "d" | "D" => Ok(TimeLimit::Days(value)),
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for TimeLimit {
    type Error = CalendarError;
    fn try_from(s: String) -> Result<Self, CalendarError> {
        s.parse()
    }
}

impl From<TimeLimit> for String {
    fn from(limit: TimeLimit) -> String {
        limit.to_string()
    }
}
