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
//! - Signals: a run raises one for the burst and a later run grows it; the street office
//!   acknowledges it, must give a reason to dismiss, and opens a case from it; settled, it is
//!   not grown again; scope and the viewer's read-only view.
//! - A signal taken on as a topic: the topic of its centre cell and the named category, which
//!   names the signal and its cases; a later signal there joins the same live topic; once the
//!   topic is dropped, the next signal opens a new one.

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
    the_scan_finds_a_burst_in_one_cell_and_lists_its_cases,
    signals_are_raised_grown_and_settled_by_the_street_office,
    a_signal_of_a_class_becomes_a_topic_that_later_signals_join
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
pub(crate) fn today() -> (NaiveDate, chrono::DateTime<Utc>) {
    let zone = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let today = now.with_timezone(&zone).date_naive();
    let midnight =
        zone.from_local_datetime(&today.and_hms_opt(0, 0, 0).unwrap()).unwrap().with_timezone(&Utc);
    (today, midnight + (now - midnight) / 2)
}

/// The six quiet weeks, and A1, A2 and B1 in the city's grid (three neighbouring cells of the
/// synthetic city, numbered as the seeded cases' cells), so the scan places them on the map.
/// The admin's token.
pub(crate) fn quiet_grid(server: &TestServer) -> String {
    six_quiet_weeks(server);
    let admin = server.admin_token();
    let mut cells = demo_cells(3);
    for (cell, code) in cells.iter_mut().zip([A1, A2, B1]) {
        cell.code = GridCode::parse(code).unwrap();
    }
    server.import_grid(&admin, "310104", &cells);
    admin
}

/// One report a day at local noon in A1, A2 and B1 over the 42 days before today.
pub(crate) fn six_quiet_weeks(server: &TestServer) {
    let (today, _) = today();
    // On the server's own pool: on PostgreSQL the rows' notifications carry its node's name, so
    // its listener passes over them instead of ringing a live stream opened later, at a moment
    // that depends on the listener's next check.
    let conn = &mut server.db.get().unwrap();
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
    let admin = quiet_grid(&server);
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

pub(crate) fn post_json(
    server: &TestServer,
    token: &str,
    path: &str,
    etag: Option<&str>,
    body: &Value,
) -> reqwest::blocking::Response {
    let mut request = server.client.post(server.url(path)).bearer_auth(token).json(body);
    if let Some(etag) = etag {
        request = request.header("if-match", etag);
    }
    request.send().unwrap()
}

pub(crate) fn run(server: &TestServer, token: &str, query: &str) -> Value {
    let response = server
        .client
        .post(server.url(&format!("/api/v1/warnings/scan?{query}")))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

pub(crate) fn signal_etag(server: &TestServer, token: &str, id: &str) -> String {
    let response = server.get_as(token, &format!("/api/v1/warnings/signals/{id}"));
    assert_eq!(response.status(), 200);
    response.headers()["etag"].to_str().unwrap().to_owned()
}

/// Twelve reports in A1 today against the quiet weeks: a scan run keeps them as a signal; a later run grows it instead of raising another; the
/// street office acknowledges it, is refused a dismissal without a reason, and opens a case
/// from it (an inspector sent to A1); once settled, the next run raises a new signal, which is
/// dismissed with a reason. Other streets never see it; a viewer reads it and may not act.
fn signals_are_raised_grown_and_settled_by_the_street_office(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = quiet_grid(&server);
    let (_, now_ish) = today();
    let db = connect(&server);
    let conn = &mut db.get().unwrap();
    let mut burst: Vec<String> =
        (0..12).map(|_| seed(conn, A1, "E0101", None, &[plain("reported", now_ish)])).collect();
    let street = |code: &str| Scope::Street { street: AreaCode::parse(&code[..9]).unwrap() };
    let dispatcher = server.staff_token(Role::Dispatcher, street(A1));
    let dispatcher_b = server.staff_token(Role::Dispatcher, street(B1));
    let viewer = server.staff_token(Role::Viewer, street(A1));
    // With 99 shuffles the rarest cluster recurs every 100 days; 20 lets this one through.
    let query = "replications=99&seed=5&min_recurrence_days=20";

    let first = run(&server, &admin, query);
    assert_eq!(first["raised"].as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first["grown"], serde_json::json!([]));
    let signal = &first["signals"][0];
    let id = signal["id"].as_str().unwrap().to_owned();
    assert_eq!(first["raised"][0], id.as_str());
    assert_eq!((signal["state"].as_str(), signal["runs"].as_i64()), (Some("open"), Some(1)));
    assert_eq!(signal["cells"], serde_json::json!([A1]));
    assert_eq!(signal["observed"], 12, "{first}");
    assert_eq!(signal["actions"], serde_json::json!(["acknowledge", "dismiss", "open_case", "open_topic"]));
    assert_eq!(signal["state_label"], serde_json::json!({ "zh": "待处理", "en": "Open" }));
    // What each step must carry: a reason to dismiss; a category to open a case or a topic from
    // a signal of every report; an owner unit or a note to open a topic.
    let needs: Vec<(String, bool, bool, bool)> = signal["action_needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["action"].as_str().unwrap().to_owned(),
                n["needs_reason"].as_bool().unwrap(),
                n["needs_category"].as_bool().unwrap(),
                n["needs_owner"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        needs,
        [
            ("acknowledge".to_owned(), false, false, false),
            ("dismiss".to_owned(), true, false, false),
            ("open_case".to_owned(), false, true, false),
            ("open_topic".to_owned(), false, true, true)
        ]
    );
    assert_eq!(signal["action_needs"][2]["label"]["en"], "Send an inspector");
    let mut listed: Vec<String> =
        signal["cases"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    listed.sort();
    burst.sort();
    assert_eq!(listed, burst);

    // Three more reports: the next run grows the same signal.
    for _ in 0..3 {
        seed(conn, A1, "E0101", None, &[plain("reported", now_ish)]);
    }
    let second = run(&server, &admin, query);
    assert_eq!((second["raised"].as_array().unwrap().len(), &second["grown"]), (0, &serde_json::json!([id])));
    let grown = &second["signals"][0];
    assert_eq!(
        (grown["observed"].as_i64(), grown["runs"].as_i64(), grown["version"].as_i64()),
        (Some(15), Some(2), Some(2))
    );

    // Scope: street B's office sees nothing of it; street A's viewer reads it and may not act.
    let theirs: Value = server.get_as(&dispatcher_b, "/api/v1/warnings/signals").json().unwrap();
    assert_eq!(theirs["signals"], serde_json::json!([]));
    assert_eq!(server.get_as(&dispatcher_b, &format!("/api/v1/warnings/signals/{id}")).status(), 404);
    let seen: Value = server.get_as(&viewer, "/api/v1/warnings/signals?state=open").json().unwrap();
    assert_eq!(seen["signals"][0]["id"], id.as_str());
    assert_eq!(seen["signals"][0]["actions"], serde_json::json!([]));
    assert_eq!(
        (seen["can_run"].as_bool(), seen["signals"][0]["action_needs"].as_array().map(Vec::len)),
        (Some(false), Some(0))
    );
    let office: Value = server.get_as(&dispatcher, "/api/v1/warnings/signals").json().unwrap();
    assert_eq!(office["can_run"], true);
    let path = format!("/api/v1/warnings/signals/{id}/actions");
    let etag = signal_etag(&server, &dispatcher, &id);
    let ack = serde_json::json!({ "action": "acknowledge" });
    assert_eq!(post_json(&server, &viewer, &path, Some(&etag), &ack).status(), 403);
    assert_eq!(post_json(&server, &dispatcher_b, &path, Some(&etag), &ack).status(), 404);

    // Acknowledge: If-Match required and checked.
    assert_eq!(
        problem(post_json(&server, &dispatcher, &path, None, &ack), 428)["code"],
        "precondition_required"
    );
    assert_eq!(
        problem(post_json(&server, &dispatcher, &path, Some("\"1\""), &ack), 409)["code"],
        "version_mismatch"
    );
    let acknowledged = post_json(&server, &dispatcher, &path, Some(&etag), &ack);
    assert_eq!(acknowledged.status(), 200);
    let acknowledged: Value = acknowledged.json().unwrap();
    assert_eq!(
        (acknowledged["state"].as_str(), acknowledged["version"].as_i64()),
        (Some("acknowledged"), Some(3))
    );
    let etag = signal_etag(&server, &dispatcher, &id);
    let dismiss = serde_json::json!({ "action": "dismiss", "reason": "  " });
    let refused = problem(post_json(&server, &dispatcher, &path, Some(&etag), &dismiss), 422);
    assert_eq!(
        (refused["code"].as_str(), refused["field"].as_str()),
        (Some("reason_required"), Some("reason"))
    );

    // Open a case: the signal is of every report, so the case's category must be named.
    let open = serde_json::json!({ "action": "open_case" });
    assert_eq!(problem(post_json(&server, &dispatcher, &path, Some(&etag), &open), 422)["field"], "category");
    let open = serde_json::json!({ "action": "open_case", "category": "E0101" });
    let opened = post_json(&server, &dispatcher, &path, Some(&etag), &open);
    assert_eq!(opened.status(), 200);
    let opened: Value = opened.json().unwrap();
    assert_eq!(opened["state"], "case_opened");
    let case_id = opened["case_id"].as_str().unwrap().to_owned();
    let case: Value = server.get_as(&dispatcher, &format!("/api/v1/cases/{case_id}")).json().unwrap();
    assert_eq!(
        (case["placement"]["grid"].as_str(), case["category"].as_str()),
        (Some(A1), Some("E0101")),
        "{case}"
    );
    let etag = signal_etag(&server, &dispatcher, &id);
    let late = serde_json::json!({ "action": "dismiss", "reason": "market day" });
    assert_eq!(
        problem(post_json(&server, &dispatcher, &path, Some(&etag), &late), 409)["code"],
        "signal_not_from_state"
    );

    // Settled signals are not grown: the burst, still there, is a new signal, dismissed.
    let third = run(&server, &admin, query);
    assert_eq!(third["grown"], serde_json::json!([]));
    let fresh = third["raised"][0].as_str().unwrap().to_owned();
    assert_ne!(fresh, id);
    let etag = signal_etag(&server, &dispatcher, &fresh);
    let dismissed = post_json(
        &server,
        &dispatcher,
        &format!("/api/v1/warnings/signals/{fresh}/actions"),
        Some(&etag),
        &serde_json::json!({ "action": "dismiss", "reason": " a market day " }),
    );
    assert_eq!(dismissed.status(), 200);
    let dismissed: Value = dismissed.json().unwrap();
    assert_eq!(
        (dismissed["state"].as_str(), dismissed["reason"].as_str()),
        (Some("dismissed"), Some("a market day"))
    );
    let all: Value = server.get_as(&admin, "/api/v1/warnings/signals").json().unwrap();
    assert_eq!(all["signals"].as_array().unwrap().len(), 2);
    let bad = server.get_as(&admin, "/api/v1/warnings/signals?state=lost");
    assert_eq!(problem(bad, 422)["field"], "state");
    let bad = server
        .client
        .post(server.url("/api/v1/warnings/scan?min_recurrence_days=0"))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(problem(bad, 422)["field"], "min_recurrence_days");
}

/// Twelve reports of E0101 in A1 today, scanned by class E01: the signal is of a class, so the
/// topic it opens names its category (one of the class) and who takes it on. The topic is of
/// A1's cell and E0101, of the city's month, names the signal and tracks its twelve cases; the
/// signal names the topic. The next run's signal there (the first is settled, so it is new)
/// joins the same live topic; once that topic is dropped, the next signal opens another.
fn a_signal_of_a_class_becomes_a_topic_that_later_signals_join(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = quiet_grid(&server);
    let (today, now_ish) = today();
    let db = connect(&server);
    let conn = &mut db.get().unwrap();
    let mut burst: Vec<String> =
        (0..12).map(|_| seed(conn, A1, "E0101", None, &[plain("reported", now_ish)])).collect();
    burst.sort();
    let street = |code: &str| Scope::Street { street: AreaCode::parse(&code[..9]).unwrap() };
    let dispatcher = server.staff_token(Role::Dispatcher, street(A1));
    let dispatcher_b = server.staff_token(Role::Dispatcher, street(B1));
    let query = "class=E01&replications=99&seed=5&min_recurrence_days=20";
    let first = run(&server, &admin, query);
    let id = first["raised"][0].as_str().expect("a signal raised").to_owned();
    assert_eq!(first["signals"][0]["class"], "E01");
    let path = format!("/api/v1/warnings/signals/{id}/actions");
    let etag = signal_etag(&server, &dispatcher, &id);

    // What the step lacks is named, and nothing is adopted meanwhile.
    for (body, code, field) in [
        (serde_json::json!({ "action": "open_topic", "note": "street A" }), "invalid_field", "category"),
        (
            serde_json::json!({ "action": "open_topic", "category": "E0201", "note": "street A" }),
            "invalid_field",
            "category",
        ),
        (serde_json::json!({ "action": "open_topic", "category": "E0101" }), "owner_required", "owner_unit"),
        (
            serde_json::json!({ "action": "open_topic", "category": "E0101", "owner_unit": "nowhere" }),
            "unknown_unit",
            "owner_unit",
        ),
    ] {
        let refused = problem(post_json(&server, &dispatcher, &path, Some(&etag), &body), 422);
        assert_eq!(
            (refused["code"].as_str(), refused["field"].as_str()),
            (Some(code), Some(field)),
            "{body}"
        );
    }
    let month = today.format("%Y-%m").to_string();
    let listed: Value =
        server.get_as(&admin, &format!("/api/v1/warnings/topics?month={month}")).json().unwrap();
    assert_eq!(listed["topics"], serde_json::json!([]));

    let open = serde_json::json!({
        "action": "open_topic", "category": "E0101", "note": " Street office A takes it on "
    });
    let opened = post_json(&server, &dispatcher, &path, Some(&etag), &open);
    assert_eq!(opened.status(), 200);
    let opened: Value = opened.json().unwrap();
    assert_eq!(
        (opened["state"].as_str(), opened["actions"].as_array().map(Vec::len)),
        (Some("topic_opened"), Some(0))
    );
    let topic_id = opened["topic_id"].as_str().expect("the topic named").to_owned();
    let topic: Value =
        server.get_as(&dispatcher, &format!("/api/v1/warnings/topics/{topic_id}")).json().unwrap();
    assert_eq!(
        (
            topic["place"].as_str(),
            topic["level"].as_str(),
            topic["category"].as_str(),
            topic["month"].as_str()
        ),
        (Some(A1), Some("cell"), Some("E0101"), Some(month.as_str())),
        "{topic}"
    );
    assert_eq!(
        (topic["from_signal"].as_str(), &topic["signals"]),
        (Some(id.as_str()), &serde_json::json!([id]))
    );
    assert_eq!(
        (topic["state"].as_str(), topic["note"].as_str()),
        (Some("adopted"), Some("Street office A takes it on"))
    );
    let mut tracked: Vec<String> =
        topic["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    tracked.sort();
    assert_eq!(tracked, burst);
    assert!(topic["cases"].as_array().unwrap().iter().all(|c| c["found_at_adoption"] == true));
    assert_eq!((topic["counts"]["total"].as_u64(), topic["counts"]["open"].as_u64()), (Some(12), Some(12)));
    // The month's answer lists it; another street never sees it.
    let listed: Value =
        server.get_as(&dispatcher, &format!("/api/v1/warnings/topics?month={month}")).json().unwrap();
    assert_eq!(listed["topics"][0]["id"], topic_id.as_str());
    assert_eq!(server.get_as(&dispatcher_b, &format!("/api/v1/warnings/topics/{topic_id}")).status(), 404);
    let theirs: Value =
        server.get_as(&dispatcher_b, &format!("/api/v1/warnings/topics?month={month}")).json().unwrap();
    assert_eq!(theirs["topics"], serde_json::json!([]));
    // Settled, the signal takes no second step.
    let etag = signal_etag(&server, &dispatcher, &id);
    assert_eq!(
        problem(post_json(&server, &dispatcher, &path, Some(&etag), &open), 409)["code"],
        "signal_not_from_state"
    );

    // The burst is still there: the next run raises a new signal, which joins the live topic.
    let take_on = |signal: &str| -> Value {
        let etag = signal_etag(&server, &dispatcher, signal);
        let path = format!("/api/v1/warnings/signals/{signal}/actions");
        let body = serde_json::json!({ "action": "open_topic", "category": "E0101", "note": "again" });
        let response = post_json(&server, &dispatcher, &path, Some(&etag), &body);
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    };
    let second = run(&server, &admin, query)["raised"][0].as_str().expect("a new signal").to_owned();
    assert_ne!(second, id);
    assert_eq!(take_on(&second)["topic_id"], topic_id.as_str());
    let topic_path = format!("/api/v1/warnings/topics/{topic_id}");
    let response = server.get_as(&dispatcher, &topic_path);
    let topic_etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let topic: Value = response.json().unwrap();
    assert_eq!(
        (&topic["signals"], topic["from_signal"].as_str()),
        (&serde_json::json!([id, second]), Some(id.as_str()))
    );
    assert_eq!(topic["note"], "Street office A takes it on", "joining changes nothing of the topic");

    // Dropped, the topic is no longer live: the next signal opens a new one.
    let drop = serde_json::json!({ "action": "drop", "reason": "handed to the district" });
    let dropped = post_json(&server, &dispatcher, &format!("{topic_path}/actions"), Some(&topic_etag), &drop);
    assert_eq!(dropped.status(), 200);
    let third = run(&server, &admin, query)["raised"][0].as_str().expect("a new signal").to_owned();
    let new_topic = take_on(&third)["topic_id"].as_str().unwrap().to_owned();
    assert_ne!(new_topic, topic_id);
    let topic: Value =
        server.get_as(&dispatcher, &format!("/api/v1/warnings/topics/{new_topic}")).json().unwrap();
    assert_eq!(
        (topic["from_signal"].as_str(), topic["state"].as_str()),
        (Some(third.as_str()), Some("adopted"))
    );
}
