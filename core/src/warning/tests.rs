//! The baselines and charts against figures worked out by hand.

use chrono::{NaiveDate, Weekday};

use super::baseline::{DayClass, DayEffects, expected, window_before};
use super::chart::{Chart, excess};
use crate::calendar::WorkingCalendar;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-4, "got {got}, want {want}");
}

#[test]
fn holidays_and_worked_rest_days_are_their_own_classes() {
    let calendar = WorkingCalendar::china().unwrap();
    assert_eq!(DayClass::of(date(2026, 10, 1), &calendar), DayClass::Holiday);
    assert_eq!(DayClass::of(date(2026, 10, 10), &calendar), DayClass::WorkedRestDay);
    assert_eq!(DayClass::of(date(2026, 10, 11), &calendar), DayClass::Ordinary(Weekday::Sun));
    assert_eq!(DayClass::of(date(2026, 11, 2), &calendar), DayClass::Ordinary(Weekday::Mon));
}

/// Two ordinary weeks from Monday 2 November 2026: 10 reports a weekday, 5 a weekend day.
fn two_weeks() -> Vec<(NaiveDate, f64)> {
    (0..14)
        .map(|i| {
            let day = date(2026, 11, 2) + chrono::Days::new(i);
            (day, if i % 7 >= 5 { 5.0 } else { 10.0 })
        })
        .collect()
}

#[test]
fn weekday_factors_are_class_means_over_the_overall_mean() {
    let calendar = WorkingCalendar::china().unwrap();
    let effects = DayEffects::estimate(&two_weeks(), &calendar);
    // Overall 120 / 14 = 60/7 a day: a weekday is 10 / (60/7) = 7/6, a weekend day 7/12.
    close(effects.of_class(DayClass::Ordinary(Weekday::Mon)), 7.0 / 6.0);
    close(effects.of_class(DayClass::Ordinary(Weekday::Sun)), 7.0 / 12.0);
    // Not in the window: a holiday is like a weekend day, a worked rest day like a weekday.
    close(effects.of_class(DayClass::Holiday), 7.0 / 12.0);
    close(effects.of_class(DayClass::WorkedRestDay), 7.0 / 6.0);
}

#[test]
fn holiday_effects_are_measured_when_the_window_holds_them() {
    let calendar = WorkingCalendar::china().unwrap();
    // Monday 28 September to Sunday 11 October 2026: 5 ordinary weekdays at 12, the 7 days of
    // National Day at 3, Saturday 10 October worked at 12, Sunday 11 October at 6. Total 99.
    let series: Vec<(NaiveDate, f64)> = (0..14)
        .map(|i| {
            let day = date(2026, 9, 28) + chrono::Days::new(i);
            let count = match DayClass::of(day, &calendar) {
                DayClass::Holiday => 3.0,
                DayClass::Ordinary(Weekday::Sun) => 6.0,
                _ => 12.0,
            };
            (day, count)
        })
        .collect();
    assert_eq!(series.iter().map(|(_, c)| c).sum::<f64>(), 99.0);
    let effects = DayEffects::estimate(&series, &calendar);
    close(effects.of_class(DayClass::Holiday), 3.0 * 14.0 / 99.0);
    close(effects.of_class(DayClass::WorkedRestDay), 12.0 * 14.0 / 99.0);
    close(effects.of_class(DayClass::Ordinary(Weekday::Mon)), 12.0 * 14.0 / 99.0);
    close(effects.of_class(DayClass::Ordinary(Weekday::Sun)), 6.0 * 14.0 / 99.0);
    // No ordinary Saturday in the window (3 October was a holiday, 10 October worked).
    close(effects.of_class(DayClass::Ordinary(Weekday::Sat)), 1.0);
}

#[test]
fn a_place_level_is_spread_over_the_window_by_the_day_factors() {
    let calendar = WorkingCalendar::china().unwrap();
    let effects = DayEffects::estimate(&two_weeks(), &calendar);
    // Four ordinary weeks before Monday 30 November: weight 4 × (5 × 7/6 + 2 × 7/12) = 28.
    let window = window_before(date(2026, 11, 30), 28);
    assert_eq!((window[0], window[27]), (date(2026, 11, 2), date(2026, 11, 29)));
    // 24 reports in the window: a level of 24/28, so 1 on a Monday and 0.5 on a Saturday.
    close(expected(24.0, &window, date(2026, 11, 30), &effects, &calendar), 1.0);
    close(expected(24.0, &window, date(2026, 12, 5), &effects, &calendar), 0.5);
    // Nothing in the window: nothing expected.
    assert_eq!(expected(0.0, &window, date(2026, 11, 30), &effects, &calendar), 0.0);
}

#[test]
fn the_ewma_signals_when_it_crosses_its_widening_limit() {
    let points = Chart::EWMA.run(&[(4.0, 4.0), (4.0, 4.0), (8.0, 4.0), (10.0, 4.0)]);
    // x = 0, 0, 2, 3; z = 0, 0, 0.6, 0.3 × 3 + 0.7 × 0.6 = 1.32.
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    for (got, want) in values.iter().zip([0.0, 0.0, 0.6, 1.32]) {
        close(*got, want);
    }
    // Limit 3 √(0.3/1.7 (1 − 0.7^(2t))): 0.9, 1.09859, 1.18380, 1.22338.
    for (point, want) in points.iter().zip([0.9, 1.09859, 1.18380, 1.22338]) {
        close(point.limit, want);
    }
    assert_eq!(points.iter().map(|p| p.signal).collect::<Vec<_>>(), [false, false, false, true]);
}

#[test]
fn the_cusum_accumulates_excess_beyond_k_and_signals_above_h() {
    let points = Chart::CUSUM.run(&[(4.0, 4.0), (2.0, 4.0), (8.0, 4.0), (10.0, 4.0), (7.0, 4.0)]);
    // x = 0, −1, 2, 3, 1.5; S = 0, 0, 1.5, 4.0, 5.0 (4.0 is not above h = 4).
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    for (got, want) in values.iter().zip([0.0, 0.0, 1.5, 4.0, 5.0]) {
        close(*got, want);
    }
    assert_eq!(points.iter().map(|p| p.signal).collect::<Vec<_>>(), [false, false, false, false, true]);
}

#[test]
fn a_sparse_place_is_divided_by_the_floor_not_by_its_tiny_expectation() {
    close(excess(1.0, 0.25), 0.75);
    close(excess(9.0, 4.0), 2.5);
}

#[test]
fn the_day_under_way_is_judged_against_the_share_of_it_elapsed() {
    // After 1.5 on the days before; half the day's reports usually in; 4 expected all day.
    let quiet = Chart::CUSUM.provisional(1.5, 4, 6.0, 4.0, 0.5);
    // x = (6 − 2) / √2 = 2.828427; S = 1.5 + 2.828427 − 0.5.
    close(quiet.expected, 2.0);
    close(quiet.value, 3.828427);
    assert!(!quiet.signal);
    let spike = Chart::CUSUM.provisional(1.5, 4, 7.0, 4.0, 0.5);
    close(spike.value, 4.535534);
    assert!(spike.signal);
}
