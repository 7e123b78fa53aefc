//! `gridline deadline --start RFC3339 --limit 4h|2d`: the due time of a handling limit on the
//! default working calendar (Asia/Shanghai, China's 2025 and 2026 holiday schedules).

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use gridline_core::calendar::{TimeLimit, WorkingCalendar};

use super::{CliError, CliResult};

/// Print when a handling limit runs out, counted in working time (09:00-12:00 and 13:00-17:30
/// Beijing time, Monday to Friday, minus China's public holidays, plus the weekend days worked
/// in exchange). The answer is printed in RFC 3339, in UTC.
#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// When the clock starts, in RFC 3339 with an offset (2025-03-03T10:00:00+08:00 or
    /// 2025-03-03T02:00:00Z). Outside working hours, the clock starts at the next working
    /// instant.
    #[arg(long)]
    start: String,
    /// The limit in working hours (4h) or working days (2d; one working day is 7 h 30 min).
    #[arg(long)]
    limit: String,
}

pub fn run(args: DeadlineArgs) -> CliResult {
    println!("{}", due_time(&args.start, &args.limit)?);
    Ok(())
}

/// The due time as RFC 3339 UTC, or the reason the input cannot be used.
fn due_time(start: &str, limit: &str) -> Result<String, CliError> {
    let start = DateTime::parse_from_rfc3339(start.trim())
        .map_err(|e| {
            CliError::input(format!(
                "--start must be an RFC 3339 time with an offset, like 2025-03-03T10:00:00+08:00; got {start:?} ({e})"
            ))
        })?
        .with_timezone(&Utc);
    let limit: TimeLimit = limit.parse().map_err(|e| CliError::input(format!("--limit: {e}")))?;
    let calendar = WorkingCalendar::china().map_err(|e| CliError::failure(e.to_string()))?;
    let due = calendar.deadline(start, limit).map_err(|e| CliError::input(e.to_string()))?;
    Ok(due.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_due_time_in_utc() {
        // Friday 7 March 2025 15:00 Beijing + 1 working day = Monday 10 March 15:00 Beijing.
        assert_eq!(due_time("2025-03-07T15:00:00+08:00", "1d").unwrap(), "2025-03-10T07:00:00Z");
        // Wednesday 30 April 16:00 + 4h crosses Labour Day (1-5 May).
        assert_eq!(due_time("2025-04-30T08:00:00Z", "4h").unwrap(), "2025-05-06T03:30:00Z");
    }

    #[test]
    fn bad_input_is_an_input_error_with_a_clear_message() {
        let e = due_time("2025-03-07 15:00", "1d").unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(e.message.starts_with("--start must be an RFC 3339 time"), "{}", e.message);
        let e = due_time("2025-03-07T15:00:00+08:00", "1w").unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(e.message.contains("like 4h or 2d"), "{}", e.message);
        let e = due_time("2027-03-01T09:00:00+08:00", "1d").unwrap_err();
        assert!(e.message.contains("no holiday schedule is loaded for 2027"), "{}", e.message);
    }
}
