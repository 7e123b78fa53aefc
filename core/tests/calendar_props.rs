//! Property tests of the working calendar on China's shipped schedules: a deadline measured
//! back gives the limit, never falls on a non-working instant, and grows with the limit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use gridline_core::calendar::{TimeLimit, WorkingCalendar};
use proptest::prelude::*;

/// Starts anywhere from 1 January 2025 to mid-September 2026, so every limit below (at most
/// 60 working days) ends inside the loaded years.
fn start() -> impl Strategy<Value = DateTime<Utc>> {
    let first = Utc.with_ymd_and_hms(2024, 12, 31, 16, 0, 0).unwrap().timestamp();
    let last = Utc.with_ymd_and_hms(2026, 9, 15, 0, 0, 0).unwrap().timestamp();
    (first..last).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

fn limit() -> impl Strategy<Value = TimeLimit> {
    prop_oneof![(0u32..=200).prop_map(TimeLimit::Hours), (0u32..=60).prop_map(TimeLimit::Days)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn measuring_a_deadline_gives_back_the_limit(start in start(), limit in limit()) {
        let cal = WorkingCalendar::china().unwrap();
        let due = cal.deadline(start, limit).unwrap();
        prop_assert!(due >= start);
        prop_assert_eq!(cal.working_time_between(start, due).unwrap(), limit.working_duration(cal.day_length()));
    }

    #[test]
    fn a_deadline_is_always_a_working_instant(start in start(), limit in limit()) {
        let cal = WorkingCalendar::china().unwrap();
        let due = cal.deadline(start, limit).unwrap();
        prop_assert!(cal.is_working_instant(due).unwrap(), "{} + {} = {}", start, limit, due);
        // And it is the earliest: a minute earlier, less working time has elapsed.
        if limit.working_duration(cal.day_length()) > Duration::zero() {
            let before = due - Duration::minutes(1);
            prop_assert!(cal.working_time_between(start, before).unwrap() < limit.working_duration(cal.day_length()));
        }
    }

    #[test]
    fn a_longer_limit_never_gives_an_earlier_deadline(start in start(), a in 0u32..=120, b in 0u32..=120) {
        let cal = WorkingCalendar::china().unwrap();
        let (short, long) = (a.min(b), a.max(b));
        let hours = (cal.deadline(start, TimeLimit::Hours(short)).unwrap(), cal.deadline(start, TimeLimit::Hours(long)).unwrap());
        prop_assert!(hours.0 <= hours.1);
        let (short, long) = (short / 4, long / 4);
        let days = (cal.deadline(start, TimeLimit::Days(short)).unwrap(), cal.deadline(start, TimeLimit::Days(long)).unwrap());
        prop_assert!(days.0 <= days.1);
    }

    #[test]
    fn working_time_is_additive(start in start(), h1 in 0u32..=40, h2 in 0u32..=40) {
        let cal = WorkingCalendar::china().unwrap();
        let middle = cal.deadline(start, TimeLimit::Hours(h1)).unwrap();
        let end = cal.deadline(middle, TimeLimit::Hours(h2)).unwrap();
        prop_assert_eq!(end, cal.deadline(start, TimeLimit::Hours(h1 + h2)).unwrap());
        prop_assert_eq!(
            cal.working_time_between(start, end).unwrap(),
            cal.working_time_between(start, middle).unwrap() + cal.working_time_between(middle, end).unwrap()
        );
    }
}
