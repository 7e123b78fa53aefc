//! The city-wide settings of a working calendar: time zone, daily work periods, weekend days,
//! and what to do for a year with no holiday schedule loaded.

use std::fmt;
use std::str::FromStr;

use chrono::{Duration, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::CalendarError;

/// A daily span of working time in local time, `start` to `end`, within one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WorkPeriod {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl WorkPeriod {
    /// A period from `start` to a later `end`.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, CalendarError> {
        if start >= end {
            return Err(CalendarError::WorkPeriods(format!(
                "a work period ends after it starts, got {}-{}",
                start.format("%H:%M"),
                end.format("%H:%M")
            )));
        }
        Ok(WorkPeriod { start, end })
    }

    pub fn length(self) -> Duration {
        self.end - self.start
    }
}

impl fmt::Display for WorkPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }
}

impl FromStr for WorkPeriod {
    type Err = CalendarError;

    /// `09:00-12:00`.
    fn from_str(s: &str) -> Result<Self, CalendarError> {
        let bad = || CalendarError::WorkPeriods(format!("expected a period like 09:00-12:00, got {s:?}"));
        let (start, end) = s.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        WorkPeriod::new(time(start)?, time(end)?)
    }
}

/// A constant time of day; evaluated at compile time, so a bad constant fails the build.
const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(t) => t,
        None => panic!("not a time of day"),
    }
}

/// 09:00-12:00 and 13:00-17:30, the usual hours of a Chinese street office.
pub const DEFAULT_WORK_PERIODS: [WorkPeriod; 2] =
    [WorkPeriod { start: hm(9, 0), end: hm(12, 0) }, WorkPeriod { start: hm(13, 0), end: hm(17, 30) }];

/// What a calendar does for a day in a year with no holiday schedule loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingYear {
    /// Refuse with [`CalendarError::YearNotLoaded`]: a deadline that silently ignores the
    /// Spring Festival is worse than a clear error asking for next year's schedule.
    #[default]
    Refuse,
    /// Count weekends only, and report the years so assumed
    /// ([`super::DueTime::assumed_years`]), so the caller can flag the deadline as provisional.
    WeekendsOnly,
}

/// The settings of a [`super::WorkingCalendar`] other than the holiday schedules.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarSettings {
    pub timezone: Tz,
    /// Daily work periods in local time, in order and not overlapping.
    pub work_periods: Vec<WorkPeriod>,
    pub weekend: Vec<Weekday>,
    pub missing_year: MissingYear,
}

impl Default for CalendarSettings {
    /// Asia/Shanghai, 09:00-12:00 and 13:00-17:30, Saturday and Sunday off, refuse unknown years.
    fn default() -> Self {
        CalendarSettings {
            timezone: chrono_tz::Asia::Shanghai,
            work_periods: DEFAULT_WORK_PERIODS.to_vec(),
            weekend: vec![Weekday::Sat, Weekday::Sun],
            missing_year: MissingYear::Refuse,
        }
    }
}

/// The settings as written in a city's TOML file; every key optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    timezone: Option<String>,
    work_periods: Option<Vec<String>>,
    weekend: Option<Vec<String>>,
    missing_year: Option<MissingYear>,
}

impl CalendarSettings {
    /// Read settings from TOML, each key defaulting as in [`CalendarSettings::default`]:
    ///
    /// ```toml
    /// timezone = "Asia/Shanghai"                    # an IANA zone name
    /// work_periods = ["09:00-12:00", "13:00-17:30"]
    /// weekend = ["sat", "sun"]
    /// missing_year = "refuse"                       # or "weekends_only"
    /// ```
    pub fn from_toml(text: &str, source: &str) -> Result<Self, CalendarError> {
        let raw: RawSettings = toml::from_str(text).map_err(|e| CalendarError::Syntax {
            source_name: source.to_owned(),
            line: e.span().map(|span| super::schedule::line_of(text, span.start)),
            message: e.message().trim().to_owned(),
        })?;
        let problem = |problem: String| CalendarError::File { source_name: source.to_owned(), problem };
        let mut settings = CalendarSettings::default();
        if let Some(name) = raw.timezone {
            settings.timezone = name.parse().map_err(|_| {
                problem(format!("timezone: expected an IANA zone like Asia/Shanghai, got {name:?}"))
            })?;
        }
        if let Some(periods) = raw.work_periods {
            settings.work_periods = periods
                .iter()
                .map(|p| p.parse())
                .collect::<Result<_, CalendarError>>()
                .map_err(|e| problem(e.to_string()))?;
        }
        if let Some(days) = raw.weekend {
            settings.weekend =
                days.iter().map(|d| d.parse::<Weekday>()).collect::<Result<_, _>>().map_err(|_| {
                    problem(format!("weekend: expected day names like sat, sun; got {days:?}"))
                })?;
        }
        if let Some(missing_year) = raw.missing_year {
            settings.missing_year = missing_year;
        }
        settings.validate().map_err(|e| problem(e.to_string()))?;
        Ok(settings)
    }

    /// Check that the periods are in order without overlap and that some weekday is worked.
    pub(super) fn validate(&self) -> Result<(), CalendarError> {
        if self.work_periods.is_empty() {
            return Err(CalendarError::WorkPeriods("at least one work period is needed".to_owned()));
        }
        for pair in self.work_periods.windows(2) {
            if let [earlier, later] = pair
                && earlier.end > later.start
            {
                return Err(CalendarError::WorkPeriods(format!(
                    "work periods must be in order without overlap, got {earlier} then {later}"
                )));
            }
        }
        for period in &self.work_periods {
            WorkPeriod::new(period.start, period.end)?;
        }
        let all_week = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        if all_week.iter().all(|d| self.weekend.contains(d)) {
            return Err(CalendarError::WorkPeriods("every day of the week is a weekend day".to_owned()));
        }
        Ok(())
    }

    /// The working time of one full working day.
    pub fn day_length(&self) -> Duration {
        self.work_periods.iter().map(|p| p.length()).fold(Duration::zero(), |a, b| a + b)
    }
}
