//! Working time: deadlines that skip nights, lunch breaks, weekends and public holidays, and
//! count the weekend days that are worked in exchange (调休).
//!
//! A [`WorkingCalendar`] combines [`CalendarSettings`] (time zone, daily work periods, weekend
//! days; a city's own with [`CalendarSettings::from_toml`]) with one [`YearSchedule`] per year,
//! read from a TOML file. China's State Council schedules for 2025 and 2026 are compiled in
//! ([`WorkingCalendar::china`]), so phones have them offline; a city loads its own files with
//! [`YearSchedule::from_toml`] and [`WorkingCalendar::add_year`].
//!
//! Conventions:
//! - Working instants are the closed intervals `[start, end]` of each work period on each
//!   working day. A deadline may fall exactly at the end of a period (17:30 is "by the end of
//!   the day"); it is always the *earliest* instant at which the limit's working time has
//!   elapsed, so it never falls on a night, a break or a day off.
//! - A start outside working time starts the clock at the next working instant.
//! - [`TimeLimit::Days`] counts whole working days of the calendar's daily length: `2d` is the
//!   same working-clock time two working days later, or the end of the second day when started
//!   at the beginning of one. `deadline(start, limit)` measured back with
//!   [`WorkingCalendar::working_time_between`] gives exactly the limit.
//! - A day in a year with no schedule loaded is refused with an error naming the year
//!   ([`MissingYear::Refuse`], the default), or counted as weekends-only and reported in
//!   [`DueTime::assumed_years`] ([`MissingYear::WeekendsOnly`]).
//! - Local times that do not exist (a daylight-saving gap; never in China) are moved forward
//!   an hour; times that exist twice take the earlier.

mod limit;
mod schedule;
mod settings;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

#[cfg(feature = "openapi")]
pub use limit::time_limit_schema;
pub use limit::{MAX_LIMIT, POSITIVE_TIME_LIMIT_PATTERN, TimeLimit};
pub use schedule::{Holiday, YearSchedule};
pub use settings::{CalendarSettings, DEFAULT_WORK_PERIODS, MissingYear, WorkPeriod};

/// The embedded State Council schedules, by file name.
pub const CHINA_SCHEDULES: [(&str, &str); 2] = [
    ("cn-2025.toml", include_str!("../../data/calendar/cn-2025.toml")),
    ("cn-2026.toml", include_str!("../../data/calendar/cn-2026.toml")),
];

/// How long a run of days without any working time may be before the calendar gives up; no
/// real schedule comes close, so reaching it means the settings leave no working time.
const MAX_IDLE_DAYS: u32 = 62;

/// Why a calendar could not be built or a computation could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("{source_name}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Syntax { source_name: String, line: Option<usize>, message: String },
    #[error("{source_name}: {problem}")]
    File { source_name: String, problem: String },
    #[error("{source_name} line {line}, holiday {holiday:?}: {problem}")]
    Entry { source_name: String, line: usize, holiday: String, problem: String },
    #[error("work periods: {0}")]
    WorkPeriods(String),
    #[error("the holiday schedule for {year} is loaded twice ({first} and {second})")]
    YearLoadedTwice { year: i32, first: String, second: String },
    #[error(
        "no holiday schedule is loaded for {year}, so working days in {year} are unknown; \
         load a calendar file with `year = {year}`"
    )]
    YearNotLoaded { year: i32 },
    #[error(
        "no working time within {MAX_IDLE_DAYS} days after {from}; check the weekend and holiday settings"
    )]
    NoWorkingTime { from: NaiveDate },
    #[error("the date is beyond the range the calendar can represent")]
    OutOfRange,
    #[error("a time limit is a whole number of working hours or days, like 4h or 2d; got {0:?}")]
    LimitFormat(String),
    #[error("a time limit is at most {MAX_LIMIT} hours or days; got {0:?}")]
    LimitTooLarge(String),
}

/// What a loaded schedule says about a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    Off,
    Worked,
}

/// One work period of one day, as UTC instants.
type Interval = (DateTime<Utc>, DateTime<Utc>);

/// A deadline and the years counted as weekends-only for lack of a schedule (empty unless the
/// calendar is set to [`MissingYear::WeekendsOnly`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTime {
    pub at: DateTime<Utc>,
    pub assumed_years: BTreeSet<i32>,
}

/// Working time of one city: settings plus the holiday schedules of the loaded years.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    settings: CalendarSettings,
    day_length: Duration,
    /// Loaded years and the file each came from.
    years: HashMap<i32, String>,
    listed: HashMap<NaiveDate, Listed>,
}

impl WorkingCalendar {
    /// A calendar with `settings` and no schedules yet.
    pub fn new(settings: CalendarSettings) -> Result<Self, CalendarError> {
        settings.validate()?;
        Ok(WorkingCalendar {
            day_length: settings.day_length(),
            settings,
            years: HashMap::new(),
            listed: HashMap::new(),
        })
    }

    /// The default settings with China's compiled-in schedules (2025, 2026).
    pub fn china() -> Result<Self, CalendarError> {
        Self::china_with(CalendarSettings::default())
    }

    /// A city's own settings (time zone, hours, weekend) with China's compiled-in schedules.
    pub fn china_with(settings: CalendarSettings) -> Result<Self, CalendarError> {
        let mut calendar = WorkingCalendar::new(settings)?;
        for (name, text) in CHINA_SCHEDULES {
            calendar.add_year(YearSchedule::from_toml(text, name)?)?;
        }
        Ok(calendar)
    }

    /// Add one year's schedule, checking it against the weekend settings (a worked day must be
    /// a weekend day; the statutory-day count must add up) and the years already loaded.
    pub fn add_year(&mut self, schedule: YearSchedule) -> Result<(), CalendarError> {
        if let Some(first) = self.years.get(&schedule.year) {
            return Err(CalendarError::YearLoadedTwice {
                year: schedule.year,
                first: first.clone(),
                second: schedule.source,
            });
        }
        let mut listed = self.listed.clone();
        for holiday in &schedule.holidays {
            let problem = |problem: String| CalendarError::Entry {
                source_name: schedule.source.clone(),
                line: holiday.line,
                holiday: holiday.name.clone(),
                problem,
            };
            if let Some(day) = holiday.worked.iter().find(|d| !self.is_weekend(d.weekday())) {
                return Err(problem(format!(
                    "{day} is a {:?}, already a working day; `worked` lists weekend days worked in exchange",
                    day.weekday()
                )));
            }
            if let Some(statutory) = holiday.statutory {
                let weekend_off = holiday.off.iter().filter(|d| self.is_weekend(d.weekday())).count();
                let expected = statutory as usize + weekend_off + holiday.worked.len();
                if holiday.off.len() != expected {
                    return Err(problem(format!(
                        "{} days off do not add up: {statutory} statutory + {weekend_off} weekend + {} worked = {expected}",
                        holiday.off.len(),
                        holiday.worked.len()
                    )));
                }
            }
            let entries = holiday.off.iter().map(|d| (*d, Listed::Off));
            for (date, kind) in entries.chain(holiday.worked.iter().map(|d| (*d, Listed::Worked))) {
                if listed.insert(date, kind).is_some_and(|before| before != kind) {
                    return Err(problem(format!("{date} is listed the other way by another loaded file")));
                }
            }
        }
        self.listed = listed;
        self.years.insert(schedule.year, schedule.source);
        Ok(())
    }

    pub fn settings(&self) -> &CalendarSettings {
        &self.settings
    }

    /// The working time of one full working day.
    pub fn day_length(&self) -> Duration {
        self.day_length
    }

    /// The loaded years, in order.
    pub fn years(&self) -> Vec<i32> {
        let mut years: Vec<i32> = self.years.keys().copied().collect();
        years.sort_unstable();
        years
    }

    /// A fingerprint of everything that decides working time: the settings and every listed
    /// day. Figures kept ahead of time (the statistics' roll-ups) record the fingerprint of the
    /// calendar they were counted on, so another calendar never reads them as its own. FNV-1a
    /// over a canonical text, stable across builds (the standard hasher is not promised to be).
    pub fn fingerprint(&self) -> String {
        let mut listed: Vec<(NaiveDate, Listed)> = self.listed.iter().map(|(d, l)| (*d, *l)).collect();
        listed.sort_unstable_by_key(|(date, _)| *date);
        let text = format!("{:?}|{:?}|{listed:?}", self.settings, self.years());
        let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        format!("{hash:016x}")
    }

    /// The local date of `t` on the calendar's time zone.
    pub fn date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local_date(t)
    }

    /// The first instant of the local date `date`, as UTC.
    pub fn start_of(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        use chrono::TimeZone;
        self.settings
            .timezone
            .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    fn is_weekend(&self, day: Weekday) -> bool {
        self.settings.weekend.contains(&day)
    }

    /// Whether `date` (local) is a public holiday: a day the loaded schedules list as off.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.listed.get(&date) == Some(&Listed::Off)
    }

    /// Whether `date` (local) is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.working_day(date, &mut BTreeSet::new())
    }

    fn working_day(&self, date: NaiveDate, assumed: &mut BTreeSet<i32>) -> Result<bool, CalendarError> {
        if let Some(kind) = self.listed.get(&date) {
            return Ok(*kind == Listed::Worked);
        }
        if !self.years.contains_key(&date.year()) {
            match self.settings.missing_year {
                MissingYear::Refuse => return Err(CalendarError::YearNotLoaded { year: date.year() }),
                MissingYear::WeekendsOnly => {
                    assumed.insert(date.year());
                }
            }
        }
        Ok(!self.is_weekend(date.weekday()))
    }

    fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let tz = self.settings.timezone;
        tz.from_local_datetime(&local)
            .earliest()
            .or_else(|| tz.from_local_datetime(&(local + Duration::hours(1))).earliest())
            .map(|t| t.with_timezone(&Utc))
    }

    /// The working periods of `date` as UTC intervals (empty on a day off).
    fn periods_on(
        &self,
        date: NaiveDate,
        assumed: &mut BTreeSet<i32>,
    ) -> Result<Vec<Interval>, CalendarError> {
        if !self.working_day(date, assumed)? {
            return Ok(Vec::new());
        }
        Ok(self
            .settings
            .work_periods
            .iter()
            .filter_map(|p| Some((self.to_utc(date.and_time(p.start))?, self.to_utc(date.and_time(p.end))?)))
            .filter(|(start, end)| start < end)
            .collect())
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.settings.timezone).date_naive()
    }

    /// The earliest instant at or after `start` by which `limit` of working time has elapsed.
    pub fn deadline(&self, start: DateTime<Utc>, limit: TimeLimit) -> Result<DateTime<Utc>, CalendarError> {
        self.due(start, limit).map(|due| due.at)
    }

    /// [`Self::deadline`], with the years counted as weekends-only for lack of a schedule.
    pub fn due(&self, start: DateTime<Utc>, limit: TimeLimit) -> Result<DueTime, CalendarError> {
        let mut remaining = limit.working_duration(self.day_length);
        let mut assumed = BTreeSet::new();
        let mut date = self.local_date(start);
        let mut idle_days = 0;
        loop {
            let periods = self.periods_on(date, &mut assumed)?;
            for (period_start, period_end) in &periods {
                if *period_end < start {
                    continue;
                }
                let from = start.max(*period_start);
                let available = *period_end - from;
                if remaining <= available {
                    return Ok(DueTime { at: from + remaining, assumed_years: assumed });
                }
                remaining -= available;
            }
            idle_days = if periods.is_empty() { idle_days + 1 } else { 0 };
            if idle_days > MAX_IDLE_DAYS {
                return Err(CalendarError::NoWorkingTime { from: self.local_date(start) });
            }
            date = date.succ_opt().ok_or(CalendarError::OutOfRange)?;
        }
    }

    /// The working time elapsed from `from` to `to` (zero when `to` is not after `from`).
    pub fn working_time_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Duration, CalendarError> {
        let mut total = Duration::zero();
        if to <= from {
            return Ok(total);
        }
        let mut assumed = BTreeSet::new();
        let last = self.local_date(to);
        let mut date = self.local_date(from);
        while date <= last {
            for (period_start, period_end) in self.periods_on(date, &mut assumed)? {
                let overlap = period_end.min(to) - period_start.max(from);
                if overlap > Duration::zero() {
                    total += overlap;
                }
            }
            date = date.succ_opt().ok_or(CalendarError::OutOfRange)?;
        }
        Ok(total)
    }

    /// Whether `t` is a working instant: inside a work period of a working day, both ends
    /// included.
    pub fn is_working_instant(&self, t: DateTime<Utc>) -> Result<bool, CalendarError> {
        let periods = self.periods_on(self.local_date(t), &mut BTreeSet::new())?;
        Ok(periods.iter().any(|(start, end)| *start <= t && t <= *end))
    }
}
