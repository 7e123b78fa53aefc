//! The city's working calendar, which deadlines and statistics count on: core's
//! [`CalendarSettings`] read from the file named by `GRIDLINE_CALENDAR_FILE` (time zone, work
//! periods, weekend days, what to do for a year without a schedule), with China's holiday
//! schedules. Built once at start-up and held by the app state, from which the case service
//! and the statistics read it; there is no global calendar.

use std::path::Path;

use gridline_core::calendar::{CalendarSettings, WorkingCalendar};

/// The calendar of the city this server runs for: the settings in `file`, or the defaults
/// (Asia/Shanghai, 09:00-12:00 and 13:00-17:30, Saturday and Sunday off) without one. The error
/// names the file and what is wrong with it.
pub fn city_calendar(file: Option<&Path>) -> Result<WorkingCalendar, String> {
    let settings = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("GRIDLINE_CALENDAR_FILE: cannot read {}: {e}", path.display()))?;
            CalendarSettings::from_toml(&text, &path.display().to_string())
                .map_err(|e| format!("GRIDLINE_CALENDAR_FILE: {e}"))?
        }
        None => CalendarSettings::default(),
    };
    WorkingCalendar::china_with(settings).map_err(|e| format!("GRIDLINE_CALENDAR_FILE: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_file_sets_its_own_hours_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calendar.toml");
        std::fs::write(&path, "work_periods = [\"08:00-16:00\"]\n").unwrap();
        let calendar = city_calendar(Some(&path)).unwrap();
        assert_eq!(calendar.day_length(), chrono::Duration::hours(8));
        assert_eq!(city_calendar(None).unwrap().day_length(), chrono::Duration::minutes(450));
        std::fs::write(&path, "weekend = [\"someday\"]\n").unwrap();
        let error = city_calendar(Some(&path)).unwrap_err();
        assert!(error.starts_with("GRIDLINE_CALENDAR_FILE:") && error.contains("weekend"), "{error}");
    }
}
