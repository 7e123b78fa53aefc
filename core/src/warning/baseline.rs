//! Baselines: the number of reports a place (a cell, community or street) is expected to get on
//! a day, for one category or category class.
//!
//! The model is multiplicative: `expected(place, day) = level(place) × factor(day)`.
//!
//! - **The day's factor** depends on its [`DayClass`]: its weekday, or a public holiday, or a
//!   weekend day worked in exchange for one (调休). Factors are the class's mean daily count
//!   over the mean daily count of a reference series, normally a larger area's (the city's or
//!   the district's) over the same weeks: a cell sees a few reports a week, too few to
//!   estimate seven weekday effects of its own.
//! - **The place's level** is its count over a history window divided by the sum of the
//!   window days' factors: a window rich in weekends (or holidays) does not make the place look
//!   quiet.
//!
//! With no history a place is expected to get nothing, and any report is an excess; the charts
//! ([`super::chart`]) bound how much one report weighs.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::calendar::WorkingCalendar;

/// What kind of day a date is, for the baselines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayClass {
    /// An ordinary day, by its weekday (a weekend day off included).
    Ordinary(Weekday),
    /// A public holiday: listed as off by the loaded schedules.
    Holiday,
    /// A weekend day worked in exchange for a holiday.
    WorkedRestDay,
}

impl DayClass {
    /// The class of `date` (local) on `calendar`.
    pub fn of(date: NaiveDate, calendar: &WorkingCalendar) -> DayClass {
        if calendar.is_holiday(date) {
            return DayClass::Holiday;
        }
        let weekday = date.weekday();
        let weekend = calendar.settings().weekend.contains(&weekday);
        if weekend && calendar.is_working_day(date).unwrap_or(false) {
            DayClass::WorkedRestDay
        } else {
            DayClass::Ordinary(weekday)
        }
    }

    fn index(self) -> usize {
        match self {
            DayClass::Ordinary(weekday) => weekday.num_days_from_monday() as usize,
            DayClass::Holiday => 7,
            DayClass::WorkedRestDay => 8,
        }
    }
}

/// The factor of each [`DayClass`]: 1.0 is an average day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayEffects {
    factors: [f64; 9],
}

impl Default for DayEffects {
    /// Every day alike.
    fn default() -> Self {
        DayEffects { factors: [1.0; 9] }
    }
}

impl DayEffects {
    /// Estimates the factors from a reference series of daily counts (one entry per day of the
    /// window, zero days included). A class the window does not hold borrows a neighbour's
    /// factor: a holiday that of the weekend days off, a worked rest day that of the working
    /// weekdays, a missing weekday 1.0.
    pub fn estimate(series: &[(NaiveDate, f64)], calendar: &WorkingCalendar) -> DayEffects {
        let days = series.len() as f64;
        let total: f64 = series.iter().map(|(_, count)| count).sum();
        if series.is_empty() || total <= 0.0 {
            return DayEffects::default();
        }
        let overall = total / days;
        let (mut sums, mut counts) = ([0.0f64; 9], [0usize; 9]);
        for (date, count) in series {
            let i = DayClass::of(*date, calendar).index();
            sums[i] += count;
            counts[i] += 1;
        }
        let measured = |i: usize| (counts[i] > 0).then(|| sums[i] / counts[i] as f64 / overall);
        let mut factors = [1.0; 9];
        for (i, factor) in factors.iter_mut().enumerate().take(7) {
            *factor = measured(i).unwrap_or(1.0);
        }
        let mean_of = |days: &[Weekday], factors: &[f64; 9]| {
            let picked: Vec<f64> = days.iter().map(|d| factors[d.num_days_from_monday() as usize]).collect();
            if picked.is_empty() { 1.0 } else { picked.iter().sum::<f64>() / picked.len() as f64 }
        };
        let weekend: Vec<Weekday> = calendar.settings().weekend.clone();
        let weekdays: Vec<Weekday> =
            (0..7).filter_map(|i| Weekday::try_from(i as u8).ok()).filter(|d| !weekend.contains(d)).collect();
        factors[7] = measured(7).unwrap_or_else(|| mean_of(&weekend, &factors));
        factors[8] = measured(8).unwrap_or_else(|| mean_of(&weekdays, &factors));
        DayEffects { factors }
    }

    /// The factor of `date`.
    pub fn factor(&self, date: NaiveDate, calendar: &WorkingCalendar) -> f64 {
        self.factors[DayClass::of(date, calendar).index()]
    }

    /// The factor of a class.
    pub fn of_class(&self, class: DayClass) -> f64 {
        self.factors[class.index()]
    }
}

/// A place's expected count on `day`: `count` reports over the history `window` (its days, the
/// target day not among them) spread by the days' factors, times `day`'s factor.
pub fn expected(
    count: f64,
    window: &[NaiveDate],
    day: NaiveDate,
    effects: &DayEffects,
    calendar: &WorkingCalendar,
) -> f64 {
    let weight: f64 = window.iter().map(|d| effects.factor(*d, calendar)).sum();
    if weight <= 0.0 {
        return 0.0;
    }
    count / weight * effects.factor(day, calendar)
}

/// The `days` dates before `day` (the history window of a baseline), oldest first.
pub fn window_before(day: NaiveDate, days: u32) -> Vec<NaiveDate> {
    (1..=u64::from(days)).rev().filter_map(|back| day.checked_sub_days(chrono::Days::new(back))).collect()
}
