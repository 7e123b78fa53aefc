//! `gridline deadline --start RFC3339 --limit 4h|2d`: the due time of a handling limit on the
//! city's working calendar, the same one the server counts dispatch deadlines on: the settings
//! in `--calendar` (or `GRIDLINE_CALENDAR_FILE`), by default Asia/Shanghai with China's 2025 and
//! 2026 holiday schedules.

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use std::path::PathBuf;

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
    /// The city's calendar settings (TOML: timezone, work_periods, weekend, missing_year), as
    /// the server reads them.
    #[arg(long, env = "GRIDLINE_CALENDAR_FILE")]
    calendar: Option<PathBuf>,
}

pub fn run(args: DeadlineArgs) -> CliResult {
    let calendar = crate::calendar::city_calendar(args.calendar.as_deref()).map_err(CliError::input)?;
    println!("{}", due_time(&args.start, &args.limit, &calendar)?);
    Ok(())
}

/// The due time as RFC 3339 UTC, or the reason the input cannot be used.
fn due_time(start: &str, limit: &str, calendar: &WorkingCalendar) -> Result<String, CliError> {
    let start = DateTime::parse_from_rfc3339(start.trim())
        .map_err(|e| {
            CliError::input(format!(
                "--start must be an RFC 3339 time with an offset, like 2025-03-03T10:00:00+08:00; got {start:?} ({e})"
            ))
        })?
        .with_timezone(&Utc);
    let limit: TimeLimit = limit.parse().map_err(|e| CliError::input(format!("--limit: {e}")))?;
    let due = calendar.deadline(start, limit).map_err(|e| CliError::input(e.to_string()))?;
    Ok(due.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn china() -> WorkingCalendar {
        WorkingCalendar::china().unwrap()
    }

    #[test]
    fn prints_the_due_time_in_utc() {
        // Friday 7 March 2025 15:00 Beijing + 1 working day = Monday 10 March 15:00 Beijing.
        assert_eq!(due_time("2025-03-07T15:00:00+08:00", "1d", &china()).unwrap(), "2025-03-10T07:00:00Z");
        // Wednesday 30 April 16:00 + 4h crosses Labour Day (1-5 May).
        assert_eq!(due_time("2025-04-30T08:00:00Z", "4h", &china()).unwrap(), "2025-05-06T03:30:00Z");
    }

    #[test]
    fn bad_input_is_an_input_error_with_a_clear_message() {
        let e = due_time("2025-03-07 15:00", "1d", &china()).unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(e.message.starts_with("--start must be an RFC 3339 time"), "{}", e.message);
        let e = due_time("2025-03-07T15:00:00+08:00", "1w", &china()).unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(e.message.contains("like 4h or 2d"), "{}", e.message);
        let e = due_time("2027-03-01T09:00:00+08:00", "1d", &china()).unwrap_err();
        assert!(e.message.contains("no holiday schedule is loaded for 2027"), "{}", e.message);
    }

    #[test]
    fn a_city_calendar_file_counts_its_own_hours() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("calendar.toml");
        std::fs::write(&file, "work_periods = [\"08:00-10:00\"]\n").unwrap();
        let calendar = crate::calendar::city_calendar(Some(&file)).unwrap();
        // Friday 27 November 2026 09:00 Beijing + 4 hours of two-hour days: Tuesday 09:00.
        assert_eq!(due_time("2026-11-27T09:00:00+08:00", "4h", &calendar).unwrap(), "2026-12-01T01:00:00Z");
    }
}
