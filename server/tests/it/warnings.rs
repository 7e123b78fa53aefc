//! Early warning by control chart (`GET /api/v1/warnings/charts`) on both backends: six weeks
//! of one report a day in three cells (two in street A, one in street B) written with chosen
//! times, then a burst in one cell today.
//!
//! - Before the burst nothing signals; the whole days are worked out by hand (one report a day
//!   against a baseline of one: no excess, a CUSUM of 0 under its limit of 4).
//! - After it, as the reports arrive, the burst's cell signals and comes first; the quiet cell
//!   does not; a street's chart sums its cells.
//! - Scope: a dispatcher sees their street's cells only; units and citizens are refused.
//! - Bad queries name their parameter.
//! - The space-time scan (`GET /api/v1/warnings/scan`) finds the burst's cell and day, with the
//!   ratio worked out by hand, lists the burst's cases, respects scope and names bad
//!   parameters.

use chrono::{NaiveDate, TimeZone, Utc};
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::Value;

use crate::common::{Backend, TestServer, demo_cells, problem};
use crate::stats::{A1, A2, B1, connect, plain, seed};

crate::both_backends!(
    a_burst_in_one_cell_signals_as_its_reports_arrive,
    warnings_respect_scope_and_name_bad_parameters,
    the_scan_finds_a_burst_in_one_cell_and_lists_its_cases
);

fn charts(server: &TestServer, token: &str, query: &str) -> Value {
    let response = server
        .client
        .get(server.url(&format!("/api/v1/warnings/charts?{query}")))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

fn place<'a>(answer: &'a Value, code: &str) -> &'a Value {
    answer["places"].as_array().unwrap().iter().find(|p| p["place"] == code).unwrap()
}

fn places(answer: &Value) -> Vec<String> {
    answer["places"].as_array().unwrap().iter().map(|p| p["place"].as_str().unwrap().to_owned()).collect()
}

/// Today's date in the city, and a time on it that has already passed.
fn today() -> (NaiveDate, chrono::DateTime<Utc>) {
    let zone = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let today = now.with_timezone(&zone).date_naive();
    let midnight =
        zone.from_local_datetime(&today.and_hms_opt(0, 0, 0).unwrap()).unwrap().with_timezone(&Utc);
    (today, midnight + (now - midnight) / 2)
}

/// One report a day at local noon in A1, A2 and B1 over the 42 days before today.
fn six_quiet_weeks(server: &TestServer) {
    let (today, _) = today();
    let db = connect(server);
    let conn = &mut db.get().unwrap();
    for back in 1..=42u64 {
        let noon = (today - chrono::Days::new(back)).and_hms_opt(4, 0, 0).unwrap().and_utc();
        for grid in [A1, A2, B1] {
            seed(conn, grid, "E0101", None, &[plain("reported", noon)]);
        }
    }
}

fn a_burst_in_one_cell_signals_as_its_reports_arrive(backend: Backend) {
    let server = TestServer::start(backend);
    six_quiet_weeks(&server);
    let street_a = AreaCode::parse(&A1[..9]).unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street: street_a });
    let (today, now_ish) = today();

    let quiet = charts(&server, &dispatcher, "days=14");
    assert_eq!(quiet["chart"], "cusum");
    assert_eq!(quiet["today"], today.format("%Y-%m-%d").to_string());
    assert_eq!(places(&quiet).len(), 2);
    for code in [A1, A2] {
        let chart = place(&quiet, code);
        assert_eq!(chart["signal"], false, "{chart}");
        assert_eq!(chart["days_signalled"], 0);
        let days = chart["days"].as_array().unwrap();
        assert_eq!(days.len(), 14);
        assert_eq!(days[0]["date"], (today - chrono::Days::new(14)).format("%Y-%m-%d").to_string());
        // One report against a baseline of 28 reports over 28 days of equal weight: 1.
        for day in days {
            assert_eq!((day["observed"].as_f64(), day["expected"].as_f64()), (Some(1.0), Some(1.0)), "{day}");
            assert_eq!((day["value"].as_f64(), day["limit"].as_f64()), (Some(0.0), Some(4.0)), "{day}");
        }
        assert_eq!(chart["today"]["observed"], 0.0);
    }

    // Nine reports in A1 today, arriving one after another: A1 signals once enough are in.
    let db = connect(&server);
    let conn = &mut db.get().unwrap();
    let mut first_signal = None;
    for n in 1..=9 {
        seed(conn, A1, "E0101", None, &[plain("reported", now_ish)]);
        let answer = charts(&server, &dispatcher, "days=14");
        assert_eq!(place(&answer, A1)["today"]["observed"], f64::from(n));
        if place(&answer, A1)["signal"] == true && first_signal.is_none() {
            first_signal = Some(n);
        }
    }
    // The expected count so far is at most one report, floored at one in the residual: with the
    // CUSUM's k = 0.5 and h = 4, the sixth report at the latest crosses the limit.
    let first_signal = first_signal.expect("the burst signals");
    assert!(first_signal <= 6, "first signal at report {first_signal}");
    let burst = charts(&server, &dispatcher, "days=14");
    assert_eq!(places(&burst)[0], A1, "the signalling cell comes first");
    assert_eq!(place(&burst, A2)["signal"], false);

    // The EWMA sees it too; a street sums its cells; the admin sees both streets.
    let ewma = charts(&server, &dispatcher, "chart=ewma&days=3");
    assert_eq!(ewma["chart"], "ewma");
    assert_eq!(place(&ewma, A1)["signal"], true);
    assert_eq!(place(&ewma, A1)["days"].as_array().unwrap().len(), 3);
    let streets = charts(&server, &server.admin_token(), "level=street");
    assert_eq!(places(&streets), [&A1[..9], &B1[..9]]);
    assert_eq!(place(&streets, &A1[..9])["today"]["observed"], 9.0);
    assert_eq!(place(&streets, &A1[..9])["days"][0]["observed"], 2.0);
    assert_eq!(place(&streets, &B1[..9])["signal"], false);
    let city = charts(&server, &server.admin_token(), "limit=1");
    assert_eq!((places(&city), city["places_counted"].as_u64()), (vec![A1.to_owned()], Some(3)));
    // Another category has no reports at all.
    assert_eq!(places(&charts(&server, &server.admin_token(), "category=E0102")).len(), 0);
}

fn warnings_respect_scope_and_name_bad_parameters(backend: Backend) {
    let server = TestServer::start(backend);
    six_quiet_weeks(&server);
    let street_b = AreaCode::parse(&B1[..9]).unwrap();
    let dispatcher_b = server.staff_token(Role::Dispatcher, Scope::Street { street: street_b });
    assert_eq!(places(&charts(&server, &dispatcher_b, "")), [B1]);
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "water".into() });
    for token in [handler, server.citizen_token()] {
        let response =
            server.client.get(server.url("/api/v1/warnings/charts")).bearer_auth(&token).send().unwrap();
        assert_eq!(problem(response, 403)["code"], "forbidden");
    }
    let admin = server.admin_token();
    for (query, status, field) in [
        ("colour=red", 400, "colour"),
        ("days=3&days=4", 400, "days"),
        ("level=planet", 422, "level"),
        ("chart=shewhart", 422, "chart"),
        ("days=0", 422, "days"),
        ("days=29", 422, "days"),
        ("limit=501", 422, "limit"),
        ("category=nope", 422, "category"),
    ] {
        let response = server
            .client
            .get(server.url(&format!("/api/v1/warnings/charts?{query}")))
            .bearer_auth(&admin)
            .send()
            .unwrap();
        assert_eq!(problem(response, status)["field"], field, "{query}");
    }
}

fn scan(server: &TestServer, token: &str, query: &str) -> Value {
    let response = server
        .client
        .get(server.url(&format!("/api/v1/warnings/scan?{query}")))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

/// The space-time scan on the six quiet weeks and a burst of nine reports in A1 today. Over
/// the 28-day period (27 whole days and today) A1, A2 and B1 hold 27 quiet reports each and A1
/// the 9 of today as well: 90 in all, 9 of them today. The cylinder {A1} × today expects
/// 36 · 9 / 90 = 3.6 and holds 9: ratio 9·ln(9/3.6) + 81·ln(81/86.4) = 3.018996. Any wider
/// circle or longer window only dilutes it.
fn the_scan_finds_a_burst_in_one_cell_and_lists_its_cases(backend: Backend) {
    let server = TestServer::start(backend);
    six_quiet_weeks(&server);
    let admin = server.admin_token();
    // The scan places each cell on the map: three neighbouring cells of the synthetic city,
    // numbered as the seeded cases' cells.
    let mut cells = demo_cells(3);
    for (cell, code) in cells.iter_mut().zip([A1, A2, B1]) {
        cell.code = GridCode::parse(code).unwrap();
    }
    server.import_grid(&admin, "310104", &cells);
    let query = "days=28&replications=99&seed=5";
    let quiet = scan(&server, &admin, query);
    assert_eq!(quiet["reports"], 81);
    assert!(
        quiet["clusters"].as_array().unwrap().iter().all(|c| c["p_value"].as_f64().unwrap() > 0.05),
        "a flat history has no significant cluster: {quiet}"
    );

    let (today, now_ish) = today();
    let db = connect(&server);
    let conn = &mut db.get().unwrap();
    let burst: Vec<String> =
        (0..9).map(|_| seed(conn, A1, "E0101", None, &[plain("reported", now_ish)])).collect();
    let answer = scan(&server, &admin, query);
    assert_eq!(answer["reports"], 90);
    assert_eq!(answer["last_day"], today.format("%Y-%m-%d").to_string());
    assert_eq!(answer["first_day"], (today - chrono::Days::new(27)).format("%Y-%m-%d").to_string());
    let cluster = &answer["clusters"][0];
    assert_eq!(cluster["cells"], serde_json::json!([A1]), "{answer}");
    assert_eq!((cluster["window_days"].as_u64(), cluster["observed"].as_u64()), (Some(1), Some(9)));
    assert_eq!(cluster["expected"], 3.6);
    assert!((cluster["llr"].as_f64().unwrap() - 3.018996).abs() < 1e-4, "{cluster}");
    assert!(cluster["p_value"].as_f64().unwrap() <= 0.05, "{cluster}");
    let interval = cluster["recurrence_interval_days"].as_f64().unwrap();
    assert!((interval - 1.0 / cluster["p_value"].as_f64().unwrap()).abs() < 1e-3);
    let mut listed: Vec<String> =
        cluster["cases"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    listed.sort();
    let mut want = burst.clone();
    want.sort();
    assert_eq!(listed, want);
    // The same day and seed give the same answer.
    assert_eq!(scan(&server, &admin, query), answer);

    // Street B's dispatcher scans its own cells only: B1's quiet reports, nothing of A1.
    let street_b = AreaCode::parse(&B1[..9]).unwrap();
    let dispatcher_b = server.staff_token(Role::Dispatcher, Scope::Street { street: street_b });
    let theirs = scan(&server, &dispatcher_b, query);
    assert_eq!(theirs["reports"], 27);
    assert!(!theirs.to_string().contains(A1), "{theirs}");
    for cluster in theirs["clusters"].as_array().unwrap() {
        assert!(
            cluster["cells"].as_array().unwrap().iter().all(|c| c.as_str().unwrap().starts_with(&B1[..9]))
        );
    }
    // A class that holds none of the reports finds nothing; E01 holds them all.
    assert_eq!(scan(&server, &admin, "class=E02&replications=9")["reports"], 0);
    assert_eq!(scan(&server, &admin, "class=e01&replications=9")["reports"], 90);

    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "water".into() });
    for token in [handler, server.citizen_token()] {
        let response =
            server.client.get(server.url("/api/v1/warnings/scan")).bearer_auth(&token).send().unwrap();
        assert_eq!(problem(response, 403)["code"], "forbidden");
    }
    for (query, status, field) in [
        ("colour=red", 400, "colour"),
        ("days=28&days=28", 400, "days"),
        ("days=13", 422, "days"),
        ("days=92", 422, "days"),
        ("max_cells=0", 422, "max_cells"),
        ("max_cells=51", 422, "max_cells"),
        ("radius_m=0", 422, "radius_m"),
        ("radius_m=NaN", 422, "radius_m"),
        ("max_window_days=8", 422, "max_window_days"),
        ("replications=8", 422, "replications"),
        ("replications=1000", 422, "replications"),
        ("seed=-1", 422, "seed"),
        ("class=E5", 422, "class"),
        ("class=X05", 422, "class"),
        ("class=E01&category=E0101", 422, "class"),
        ("category=nope", 422, "category"),
    ] {
        let response = server
            .client
            .get(server.url(&format!("/api/v1/warnings/scan?{query}")))
            .bearer_auth(&admin)
            .send()
            .unwrap();
        assert_eq!(problem(response, status)["field"], field, "{query}");
    }
}
