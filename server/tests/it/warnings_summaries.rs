//! Early warning reads its daily reports from the per-day summaries, on both backends, and they
//! give what the events give: the six quiet weeks of `warnings.rs`, reports just after the
//! city's midnight (on another UTC day), a case relocated from A1 to B1, and a drill's case,
//! which neither read counts.
//!
//! - The server records the city's zone for the summaries' days at start; the summaries' counts
//!   by day and cell equal the events', for the city, a street, a category and a class.
//! - A class's charts sum its categories; a bad class is named.
//! - The charts (each level, a class) and the scan answer the same whether they read the
//!   summaries or, with the summaries marked incomplete, the events.
//! - Summaries counted on UTC days (as before the zone was recorded) differ from the city's
//!   days; the reads then take the events, `gridline summaries rebuild --check` fails naming
//!   the zone, and `gridline summaries rebuild` counts them on the city's days again.

use chrono::TimeZone;
use chrono_tz::Tz;
use diesel::prelude::*;
use gridline_server::store::cases::{PlaceChange, move_to};
use gridline_server::store::daily_reports::{self, DailyReports, ReportScope, Source};
use gridline_server::store::schema::{case_summary_zone, emergency_cases};
use gridline_server::store::{DbConnection, rollups, summaries};
use serde_json::Value;

use crate::common::{Backend, TestServer};
use crate::stats::{A1, A2, B1, connect, plain, seed};
use crate::summaries::gridline_summaries;
use crate::warnings::{quiet_grid, today};

crate::both_backends!(the_summaries_give_the_daily_reports_the_events_give);

const CITY: Tz = chrono_tz::Asia::Shanghai;

fn get(server: &TestServer, token: &str, path: &str) -> Value {
    let response = server.get_as(token, path);
    assert_eq!(response.status(), 200, "{path}");
    response.json().unwrap()
}

/// What early warning answers, for each read compared.
fn answers(server: &TestServer, token: &str) -> Vec<Value> {
    [
        "/api/v1/warnings/charts?days=14",
        "/api/v1/warnings/charts?level=community&chart=ewma",
        "/api/v1/warnings/charts?level=street&class=E01",
        "/api/v1/warnings/charts?category=E0102&days=28",
        "/api/v1/warnings/scan?days=28&replications=99&seed=5",
        "/api/v1/warnings/scan?class=E01&days=14&replications=49",
    ]
    .iter()
    .map(|path| get(server, token, path))
    .collect()
}

fn places_of(server: &TestServer, token: &str, query: &str) -> Value {
    get(server, token, &format!("/api/v1/warnings/charts?{query}"))["places"].clone()
}

fn scopes() -> Vec<ReportScope> {
    vec![
        ReportScope::default(),
        ReportScope {
            grid_range: Some((A1[..9].to_owned(), format!("{}~", &A1[..9]))),
            ..Default::default()
        },
        ReportScope { category: Some("E0102".to_owned()), ..Default::default() },
        ReportScope { class: Some("E01".to_owned()), ..Default::default() },
        ReportScope { class: Some("E02".to_owned()), ..Default::default() },
    ]
}

fn both_reads(conn: &mut DbConnection, scope: &ReportScope) -> (DailyReports, DailyReports) {
    let (today, _) = today();
    let first = today - chrono::Days::new(60);
    (
        daily_reports::from_summaries(conn, scope, first, today).unwrap(),
        daily_reports::from_events(conn, scope, first, today, CITY).unwrap(),
    )
}

fn the_summaries_give_the_daily_reports_the_events_give(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = quiet_grid(&server);
    let (today, now_ish) = today();
    let db = connect(&server);
    let conn = &mut db.get().unwrap();
    let back = |days: u64| today - chrono::Days::new(days);
    let local = |date: chrono::NaiveDate, h: u32, m: u32| {
        CITY.from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap()).unwrap().with_timezone(&chrono::Utc)
    };
    // Just after the city's midnight is the evening before in UTC: a day apart from what UTC
    // days would count.
    for days in [1, 2, 3, 5, 8] {
        seed(conn, A2, "E0102", None, &[plain("reported", local(back(days), 0, 30))]);
        seed(conn, B1, "E0102", None, &[plain("reported", local(back(days), 23, 50))]);
    }
    // Reported in A1 two days ago and moved to B1 yesterday: its report counts in B1.
    let moved = seed(
        conn,
        A1,
        "E0101",
        None,
        &[plain("reported", local(back(2), 0, 10)), plain("relocate", local(back(1), 9, 0))],
    );
    move_to(
        conn,
        moved.parse().unwrap(),
        &PlaceChange {
            lat: 31.2,
            lon: 121.4,
            grid_code: Some(B1.to_owned()),
            community_code: Some(B1[..12].to_owned()),
            street_code: Some(B1[..9].to_owned()),
            district_code: Some(B1[..6].to_owned()),
            routing_outcome: "inside".to_owned(),
            routing_distance_m: None,
        },
    )
    .unwrap();
    // A drill's report in A1 today, taken out when the drill's command takes it over.
    let drilled = seed(conn, A1, "E0101", None, &[plain("reported", now_ish)]);
    conn.transaction(|conn| {
        diesel::insert_into(emergency_cases::table)
            .values((
                emergency_cases::case_id.eq(&drilled),
                emergency_cases::emergency_id.eq("drill-1"),
                emergency_cases::drill.eq(true),
                emergency_cases::queued_at.eq(now_ish.naive_utc()),
                emergency_cases::dispatch_minutes.eq(30),
                emergency_cases::handle_minutes.eq(120),
            ))
            .execute(conn)?;
        summaries::forget_case(conn, &drilled)?;
        rollups::forget_case(conn, gridline_core::codes::CaseId::parse(&drilled).unwrap())
    })
    .unwrap();

    // One moment for every answer compared (the day under way is judged by its elapsed share).
    server.clock.set(chrono::Utc::now());

    // The server recorded the city's zone: the summaries are read, and equal the events.
    assert!(summaries::usable(conn, CITY).unwrap());
    for scope in scopes() {
        let (stored, counted) = both_reads(conn, &scope);
        assert_eq!(stored, counted, "{scope:?}");
    }
    let (all, _) = both_reads(conn, &ReportScope::default());
    let on = |day: u64, grid: &str| all.get(&(back(day), grid.to_owned())).copied().unwrap_or(0);
    // The quiet report of each cell, and the midnight ones on their city day.
    assert_eq!((on(5, A2), on(5, B1), on(4, A2)), (2, 2, 1));
    assert_eq!((on(2, A1), on(2, B1)), (1, 3), "the relocated case counts in B1");
    assert_eq!(on(0, A1), 0, "the drill's report is not counted");
    let (read, source) =
        daily_reports::daily_reports(conn, &ReportScope::default(), back(60), today, CITY).unwrap();
    assert_eq!((read, source), (all.clone(), Source::Summaries));

    // A class charts its categories together: every report here is of E01, none of C01.
    let street = get(&server, &admin, "/api/v1/warnings/charts?level=street");
    assert_eq!(places_of(&server, &admin, "level=street&class=E01"), street["places"]);
    assert_eq!(places_of(&server, &admin, "class=C01"), serde_json::json!([]));
    for query in ["class=E5", "class=E01&category=E0101"] {
        let response = server.get_as(&admin, &format!("/api/v1/warnings/charts?{query}"));
        assert_eq!(crate::common::problem(response, 422)["field"], "class", "{query}");
    }

    // The answers are the same from the events.
    let from_summaries = answers(&server, &admin);
    assert!(from_summaries[4]["reports"].as_u64().unwrap() > 0);
    diesel::update(case_summary_zone::table)
        .set(case_summary_zone::complete.eq(false))
        .execute(conn)
        .unwrap();
    let (_, source) =
        daily_reports::daily_reports(conn, &ReportScope::default(), back(60), today, CITY).unwrap();
    assert_eq!(source, Source::Events);
    assert_eq!(answers(&server, &admin), from_summaries);

    // On UTC days the midnight reports fall on other days: the reads take the events, the
    // check fails, and a rebuild counts the city's days again.
    summaries::rebuild(conn, Tz::UTC).unwrap();
    assert!(summaries::compare(conn).unwrap().differences.is_empty());
    assert!(!summaries::usable(conn, CITY).unwrap());
    let (utc_days, counted) = both_reads(conn, &ReportScope::default());
    assert_ne!(utc_days, counted);
    assert_eq!(counted, all);
    assert_eq!(
        daily_reports::daily_reports(conn, &ReportScope::default(), back(60), today, CITY).unwrap(),
        (all.clone(), Source::Events)
    );
    assert_eq!(answers(&server, &admin), from_summaries);
    let check = gridline_summaries(&server, &["--check"]);
    assert!(!check.status.success());
    assert!(String::from_utf8_lossy(&check.stderr).contains("another zone"), "{check:?}");
    assert!(gridline_summaries(&server, &[]).status.success());
    assert!(summaries::usable(conn, CITY).unwrap());
    for scope in scopes() {
        let (stored, counted) = both_reads(conn, &scope);
        assert_eq!(stored, counted, "{scope:?}");
    }
    assert_eq!(answers(&server, &admin), from_summaries);
}
