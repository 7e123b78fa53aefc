//! Tests of the working calendar: the shipped China schedules, deadlines across a weekend, a
//! public holiday and an adjusted working Saturday, limits, and the errors for broken files.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::*;

fn china() -> WorkingCalendar {
    WorkingCalendar::china().unwrap()
}

/// An instant given in Beijing time.
fn bj(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn limit(s: &str) -> TimeLimit {
    s.parse().unwrap()
}

#[test]
fn the_shipped_schedules_load_with_their_holidays_and_worked_weekends() {
    let cal = china();
    assert_eq!(cal.years(), vec![2025, 2026]);
    assert_eq!(cal.day_length(), Duration::minutes(450));
    for (off, why) in [
        (date(2025, 1, 1), "New Year"),
        (date(2025, 1, 28), "Spring Festival eve"),
        (date(2025, 2, 4), "Spring Festival last day"),
        (date(2025, 4, 4), "Qingming"),
        (date(2025, 5, 5), "Labour Day"),
        (date(2025, 6, 2), "Dragon Boat Monday"),
        (date(2025, 10, 8), "National Day last day"),
        (date(2026, 1, 2), "New Year Friday"),
        (date(2026, 2, 23), "Spring Festival Monday"),
        (date(2026, 4, 6), "Qingming Monday"),
        (date(2026, 5, 5), "Labour Day Tuesday"),
        (date(2026, 6, 19), "Dragon Boat Friday"),
        (date(2026, 9, 25), "Mid-Autumn Friday"),
        (date(2026, 10, 7), "National Day Wednesday"),
    ] {
        assert!(!cal.is_working_day(off).unwrap(), "{off} ({why}) should be a day off");
    }
    for worked in [
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ] {
        assert!(cal.is_working_day(worked).unwrap(), "{worked} is an adjusted working day");
    }
    assert!(cal.is_working_day(date(2025, 3, 3)).unwrap(), "an ordinary Monday");
    assert!(!cal.is_working_day(date(2025, 3, 8)).unwrap(), "an ordinary Saturday");
}

#[test]
fn every_2025_and_2026_year_has_the_usual_number_of_working_days() {
    // 365 days - 104 weekend days - 13 statutory days (since the 2024 reform; a statutory day
    // on a weekend is made good by a weekday off) = 248 working days in both years.
    let cal = china();
    for year in [2025, 2026] {
        let working = date(year, 1, 1)
            .iter_days()
            .take_while(|d| d.year() == year)
            .filter(|d| cal.is_working_day(*d).unwrap())
            .count();
        assert_eq!(working, 248, "{year}");
    }
}

#[test]
fn hours_skip_lunch_and_nights() {
    let cal = china();
    // Monday 3 March 2025, 10:00 + 4h: 2h to noon, lunch, 2h more to 15:00.
    assert_eq!(cal.deadline(bj(2025, 3, 3, 10, 0), limit("4h")).unwrap(), bj(2025, 3, 3, 15, 0));
    // 16:00 + 4h: 1h30 today, 2h30 tomorrow from 09:00.
    assert_eq!(cal.deadline(bj(2025, 3, 3, 16, 0), limit("4h")).unwrap(), bj(2025, 3, 4, 11, 30));
    // Starting over lunch starts the clock at 13:00.
    assert_eq!(cal.deadline(bj(2025, 3, 3, 12, 20), limit("1h")).unwrap(), bj(2025, 3, 3, 14, 0));
}

#[test]
fn a_deadline_may_end_exactly_at_the_end_of_a_period() {
    let cal = china();
    assert_eq!(cal.deadline(bj(2025, 3, 3, 9, 0), limit("3h")).unwrap(), bj(2025, 3, 3, 12, 0));
    // Two working days from the start of Monday end on Tuesday evening, not Wednesday morning.
    assert_eq!(cal.deadline(bj(2025, 3, 3, 9, 0), limit("2d")).unwrap(), bj(2025, 3, 4, 17, 30));
    assert_eq!(cal.deadline(bj(2025, 3, 3, 10, 0), limit("2d")).unwrap(), bj(2025, 3, 5, 10, 0));
}

#[test]
fn a_zero_limit_is_the_next_working_instant() {
    let cal = china();
    assert_eq!(cal.deadline(bj(2025, 3, 3, 10, 0), limit("0h")).unwrap(), bj(2025, 3, 3, 10, 0));
    assert_eq!(cal.deadline(bj(2025, 3, 8, 10, 0), limit("0d")).unwrap(), bj(2025, 3, 10, 9, 0));
}

#[test]
fn deadlines_skip_a_weekend() {
    let cal = china();
    // Friday 7 March 2025 15:00 + 1d: 2h30 on Friday, then Monday 09:00 + 5h = 15:00.
    assert_eq!(cal.deadline(bj(2025, 3, 7, 15, 0), limit("1d")).unwrap(), bj(2025, 3, 10, 15, 0));
    // Reported on Saturday night: the clock starts Monday 09:00.
    assert_eq!(cal.deadline(bj(2025, 3, 8, 22, 0), limit("4h")).unwrap(), bj(2025, 3, 10, 14, 0));
}

#[test]
fn deadlines_skip_a_public_holiday() {
    let cal = china();
    // Wednesday 30 April 2025 16:00 + 4h: 1h30 on Wednesday, then Labour Day 1-5 May off,
    // Tuesday 6 May 09:00 + 2h30 = 11:30.
    assert_eq!(cal.deadline(bj(2025, 4, 30, 16, 0), limit("4h")).unwrap(), bj(2025, 5, 6, 11, 30));
    // Thursday 3 April 2025 (day before Qingming) 17:00 + 1h: resumes Monday 7 April.
    assert_eq!(cal.deadline(bj(2025, 4, 3, 17, 0), limit("1h")).unwrap(), bj(2025, 4, 7, 9, 30));
}

#[test]
fn deadlines_count_an_adjusted_working_saturday() {
    let cal = china();
    // Friday 10 October 2025 17:00 + 1h: Saturday 11 October is worked, so 09:30 that day.
    assert_eq!(cal.deadline(bj(2025, 10, 10, 17, 0), limit("1h")).unwrap(), bj(2025, 10, 11, 9, 30));
    // The same on an ordinary Friday lands on Monday.
    assert_eq!(cal.deadline(bj(2025, 10, 17, 17, 0), limit("1h")).unwrap(), bj(2025, 10, 20, 9, 30));
    // Sunday 26 January 2025 is worked before the Spring Festival: a 1d limit from then ends
    // Sunday evening, and a 2d limit runs into Monday 27, the last day before the holiday.
    assert_eq!(cal.deadline(bj(2025, 1, 26, 9, 0), limit("1d")).unwrap(), bj(2025, 1, 26, 17, 30));
    assert_eq!(cal.deadline(bj(2025, 1, 26, 9, 0), limit("2d")).unwrap(), bj(2025, 1, 27, 17, 30));
    // 3d from there crosses the holiday (28 Jan - 4 Feb) and ends Wednesday 5 February.
    assert_eq!(cal.deadline(bj(2025, 1, 26, 9, 0), limit("3d")).unwrap(), bj(2025, 2, 5, 17, 30));
}

#[test]
fn working_time_between_counts_only_working_periods() {
    let cal = china();
    let a = bj(2025, 3, 7, 11, 0);
    let b = bj(2025, 3, 10, 10, 0);
    // Friday 11:00-12:00 and 13:00-17:30 (5h30), Monday 09:00-10:00 (1h).
    assert_eq!(cal.working_time_between(a, b).unwrap(), Duration::minutes(390));
    assert_eq!(cal.working_time_between(b, a).unwrap(), Duration::zero());
    let week = cal.working_time_between(bj(2025, 3, 3, 0, 0), bj(2025, 3, 10, 0, 0)).unwrap();
    assert_eq!(week, Duration::minutes(5 * 450));
}

#[test]
fn a_year_without_a_schedule_is_refused_by_default() {
    let cal = china();
    let e = cal.deadline(bj(2026, 12, 31, 16, 0), limit("2d")).unwrap_err();
    assert_eq!(e, CalendarError::YearNotLoaded { year: 2027 });
    assert!(e.to_string().contains("no holiday schedule is loaded for 2027"));
    let e = cal.working_time_between(bj(2024, 12, 31, 9, 0), bj(2025, 1, 2, 9, 0)).unwrap_err();
    assert_eq!(e, CalendarError::YearNotLoaded { year: 2024 });
}

#[test]
fn weekends_only_mode_counts_and_reports_the_assumed_year() {
    let settings =
        CalendarSettings { missing_year: MissingYear::WeekendsOnly, ..CalendarSettings::default() };
    let mut cal = WorkingCalendar::new(settings).unwrap();
    for (name, text) in CHINA_SCHEDULES {
        cal.add_year(YearSchedule::from_toml(text, name).unwrap()).unwrap();
    }
    // Thursday 31 December 2026 16:00 + 1d: 1h30, then Friday 1 January 2027 (a weekday,
    // since no 2027 holidays are known) 09:00 + 6h.
    let due = cal.due(bj(2026, 12, 31, 16, 0), limit("1d")).unwrap();
    assert_eq!(due.at, bj(2027, 1, 1, 16, 0));
    assert_eq!(due.assumed_years.into_iter().collect::<Vec<_>>(), vec![2027]);
    let inside = cal.due(bj(2026, 3, 2, 9, 0), limit("1d")).unwrap();
    assert!(inside.assumed_years.is_empty());
}

#[test]
fn limits_parse_and_print() {
    assert_eq!(limit("4h"), TimeLimit::Hours(4));
    assert_eq!(limit(" 2D "), TimeLimit::Days(2));
    assert_eq!(TimeLimit::Days(15).to_string(), "15d");
    assert_eq!(serde_json::to_string(&TimeLimit::Hours(4)).unwrap(), "\"4h\"");
    assert_eq!(serde_json::from_str::<TimeLimit>("\"3d\"").unwrap(), TimeLimit::Days(3));
    for bad in ["", "h", "4", "4w", "-4h", "4.5h", "4 h", "४h", "4时", "时", "2天"] {
        assert_eq!(bad.parse::<TimeLimit>(), Err(CalendarError::LimitFormat(bad.to_owned())), "{bad:?}");
    }
    assert_eq!("367d".parse::<TimeLimit>(), Err(CalendarError::LimitTooLarge("367d".to_owned())));
    assert!("99999999999h".parse::<TimeLimit>().is_err());
    assert_eq!(
        "2w".parse::<TimeLimit>().unwrap_err().to_string(),
        "a time limit is a whole number of working hours or days, like 4h or 2d; got \"2w\""
    );
}

#[test]
fn a_broken_file_names_the_line_and_the_holiday() {
    let text = "year = 2027\n\n[[holiday]]\nname = \"Spring Festival\"\noff = [\"2027-02-05..2027-02-11\"]\nworked = [\"2027-02-31\"]\n";
    let e = YearSchedule::from_toml(text, "city-2027.toml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "city-2027.toml line 6, holiday \"Spring Festival\": expected a date like 2027-01-31, got \"2027-02-31\""
    );
    let syntax =
        YearSchedule::from_toml("year = 2027\n[[holiday]]\nname = \"x\"\noff = [2027-01-01\n", "c.toml");
    let CalendarError::Syntax { line, .. } = syntax.unwrap_err() else { panic!("expected a syntax error") };
    assert!(line.is_some_and(|l| l >= 4), "{line:?}");
    let missing = YearSchedule::from_toml("year = 2027\n[[holiday]]\nname = \"x\"\n", "c.toml").unwrap_err();
    assert!(missing.to_string().starts_with("c.toml line 2"), "{missing}");
    assert!(missing.to_string().contains("off"), "{missing}");
    let unknown = YearSchedule::from_toml("year = 2027\nholidays = []\n", "c.toml").unwrap_err();
    assert!(unknown.to_string().contains("holidays"), "{unknown}");
}

#[test]
fn a_schedule_that_contradicts_itself_is_refused() {
    let load = |text: &str| {
        let schedule = YearSchedule::from_toml(text, "c.toml")?;
        WorkingCalendar::new(CalendarSettings::default())?.add_year(schedule)
    };
    let twice = "year = 2027\n[[holiday]]\nname = \"A\"\noff = [\"2027-01-01\"]\n[[holiday]]\nname = \"B\"\noff = [\"2027-01-01\"]\n";
    assert!(load(twice).unwrap_err().to_string().contains("2027-01-01 is listed twice"));
    let backwards = "year = 2027\n[[holiday]]\nname = \"A\"\noff = [\"2027-01-03..2027-01-01\"]\n";
    assert!(load(backwards).unwrap_err().to_string().contains("runs forward"));
    let weekday_worked =
        "year = 2027\n[[holiday]]\nname = \"A\"\noff = [\"2027-01-01\"]\nworked = [\"2027-01-04\"]\n";
    let e = load(weekday_worked).unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.toml line 2, holiday \"A\": 2027-01-04 is a Mon, already a working day; `worked` lists weekend days worked in exchange"
    );
    // 1 January 2027 is a Friday: 3 days off with 1 statutory day and 2 weekend days add up;
    // claiming 2 statutory days does not.
    let good = "year = 2027\n[[holiday]]\nname = \"A\"\nstatutory = 1\noff = [\"2027-01-01..2027-01-03\"]\n";
    assert!(load(good).is_ok());
    let e = load(&good.replace("statutory = 1", "statutory = 2")).unwrap_err();
    assert!(
        e.to_string().contains("3 days off do not add up: 2 statutory + 2 weekend + 0 worked = 4"),
        "{e}"
    );
    let far = "year = 2027\n[[holiday]]\nname = \"A\"\noff = [\"2030-01-01\"]\n";
    assert!(load(far).unwrap_err().to_string().contains("too far from the file's year 2027"));
}

#[test]
fn a_year_loaded_twice_is_refused() {
    let mut cal = china();
    let again = YearSchedule::from_toml(CHINA_SCHEDULES[0].1, "other.toml").unwrap();
    assert_eq!(
        cal.add_year(again).unwrap_err(),
        CalendarError::YearLoadedTwice {
            year: 2025,
            first: "cn-2025.toml".into(),
            second: "other.toml".into()
        }
    );
}

#[test]
fn bad_settings_are_refused() {
    let overlapping = CalendarSettings {
        work_periods: vec!["09:00-13:00".parse().unwrap(), "12:00-17:00".parse().unwrap()],
        ..CalendarSettings::default()
    };
    assert!(WorkingCalendar::new(overlapping).unwrap_err().to_string().contains("without overlap"));
    assert!("17:00-09:00".parse::<WorkPeriod>().is_err());
    assert!("9-17".parse::<WorkPeriod>().is_err());
    let no_periods = CalendarSettings { work_periods: vec![], ..CalendarSettings::default() };
    assert!(WorkingCalendar::new(no_periods).is_err());
}

#[test]
fn another_time_zone_and_weekend_are_honoured() {
    // A Friday-Saturday weekend in Dubai, one period 08:00-14:00, no holidays known.
    let settings = CalendarSettings {
        timezone: chrono_tz::Asia::Dubai,
        work_periods: vec!["08:00-14:00".parse().unwrap()],
        weekend: vec![chrono::Weekday::Fri, chrono::Weekday::Sat],
        missing_year: MissingYear::WeekendsOnly,
    };
    let cal = WorkingCalendar::new(settings).unwrap();
    // Thursday 6 March 2025 13:00 Dubai (09:00 UTC) + 2h: 1h Thursday, Sunday 08:00 + 1h.
    let due = cal.deadline(Utc.with_ymd_and_hms(2025, 3, 6, 9, 0, 0).unwrap(), limit("2h")).unwrap();
    assert_eq!(due, Utc.with_ymd_and_hms(2025, 3, 9, 5, 0, 0).unwrap());
}

#[test]
fn settings_read_from_toml_default_what_they_leave_out() {
    let text = "timezone = \"Asia/Urumqi\"\nwork_periods = [\"10:00-13:30\", \"15:00-19:30\"]\n";
    let settings = CalendarSettings::from_toml(text, "city.toml").unwrap();
    assert_eq!(settings.timezone, chrono_tz::Asia::Urumqi);
    assert_eq!(settings.day_length(), Duration::hours(8));
    assert_eq!(settings.weekend, vec![chrono::Weekday::Sat, chrono::Weekday::Sun]);
    assert_eq!(CalendarSettings::from_toml("", "empty.toml").unwrap(), CalendarSettings::default());
    let weekends = CalendarSettings::from_toml(
        "weekend = [\"fri\", \"saturday\"]\nmissing_year = \"weekends_only\"",
        "c.toml",
    )
    .unwrap();
    assert_eq!(weekends.weekend, vec![chrono::Weekday::Fri, chrono::Weekday::Sat]);
    assert_eq!(weekends.missing_year, MissingYear::WeekendsOnly);
}

#[test]
fn bad_settings_files_say_which_setting_is_wrong() {
    let e = CalendarSettings::from_toml("timezone = \"Beijing\"", "city.toml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "city.toml: timezone: expected an IANA zone like Asia/Shanghai, got \"Beijing\""
    );
    let e = CalendarSettings::from_toml("weekend = [\"caturday\"]", "city.toml").unwrap_err();
    assert!(e.to_string().contains("weekend: expected day names"), "{e}");
    let e = CalendarSettings::from_toml("work_periods = [\"13:00-09:00\"]", "city.toml").unwrap_err();
    assert!(e.to_string().contains("ends after it starts"), "{e}");
    let e = CalendarSettings::from_toml("\ntimezones = \"UTC\"", "city.toml").unwrap_err();
    assert!(e.to_string().starts_with("city.toml line 2: unknown field `timezones`"), "{e}");
}
