//! `GET /api/v1/stats` on both backends, against a week of case history written straight into
//! the database with chosen times, whose figures are worked out by hand below; and the citizen's
//! rating (once, 1–5, only by the reporter, only on a closed case) feeding the statistics.
//!
//! The week is Monday 2 to Friday 6 November 2026, Beijing time, no holidays. Working hours are
//! 09:00-12:00 and 13:00-17:30. Street A is 310104001 (communities ...001 with grid A1 and
//! ...002 with grid A2), street B is 310104002 (grid B1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use common::{Backend, TestServer, problem};
use diesel::prelude::*;
use gridline_core::codes::AreaCode;
use gridline_core::workflow::{self, Action, CaseState, Channel, Role};
use gridline_server::auth::Scope;
use gridline_server::store::cases::CaseRow;
use gridline_server::store::events::{self, EventRow};
use gridline_server::store::hotline_calls::HotlineCallRow;
use gridline_server::store::schema::{cases, hotline_calls};
use gridline_server::store::{Db, DbConnection};
use serde_json::{Value, json};

pub(crate) const A1: &str = "310104001001001";
pub(crate) const A2: &str = "310104001002001";
pub(crate) const B1: &str = "310104002001001";
const STREET_A: &str = "310104001";
const STREET_B: &str = "310104002";

/// A Beijing wall-clock time in 2026.
fn bj(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// One step of a seeded case: the action's wire name (or `reported`), when, and its details.
pub(crate) struct Step(pub(crate) &'static str, pub(crate) DateTime<Utc>, pub(crate) Value);

fn dispatch(at: DateTime<Utc>, unit: &str, deadline: DateTime<Utc>) -> Step {
    Step("dispatch", at, json!({ "handling_unit": unit, "deadline": rfc(deadline) }))
}

fn extend(at: DateTime<Utc>, deadline: DateTime<Utc>) -> Step {
    Step("extend", at, json!({ "deadline": rfc(deadline) }))
}

pub(crate) fn plain(kind: &'static str, at: DateTime<Utc>) -> Step {
    Step(kind, at, json!({}))
}

/// The role that takes `action` in a seeded history.
fn role_for(action: Action) -> Role {
    match action {
        Action::Accept | Action::SendBack | Action::MarkHandled => Role::Handler,
        Action::VerifyPass | Action::VerifyFail => Role::Inspector,
        Action::Rate => Role::Citizen,
        Action::CallBack | Action::Answer | Action::Transfer => Role::Operator,
        Action::MarkOverdue | Action::Escalate => Role::System,
        _ => Role::Dispatcher,
    }
}

pub(crate) fn connect(server: &TestServer) -> Db {
    Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap()
}

/// Writes a case and its events as the server would have: states from core's transitions, the
/// unit from the last dispatch. The first step must be `reported`. Returns the case id.
pub(crate) fn seed(
    conn: &mut DbConnection,
    grid: &str,
    category: &str,
    reporter: Option<&str>,
    steps: &[Step],
) -> String {
    seed_via(conn, grid, category, reporter, Channel::App, steps)
}

/// [`seed`] for a case that came in by `channel`.
fn seed_via(
    conn: &mut DbConnection,
    grid: &str,
    category: &str,
    reporter: Option<&str>,
    channel: Channel,
    steps: &[Step],
) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let reported_at = steps[0].1.naive_utc();
    assert_eq!(steps[0].0, "reported");
    let mut state = CaseState::Reported;
    let mut unit = None;
    let mut deadline = None;
    let mut rows = Vec::new();
    for Step(kind, at, details) in steps {
        let (from, to, role) = if *kind == "reported" {
            (None, CaseState::Reported, Role::Citizen)
        } else {
            let action: Action = kind.parse().unwrap();
            let role = role_for(action);
            let transition = workflow::decide(state, action, role).unwrap();
            if action == Action::Dispatch {
                unit = details["handling_unit"].as_str().map(str::to_owned);
            }
            // The deadline column as the server keeps it: set by dispatch and extend, cleared
            // by send back and shelve.
            match action {
                Action::Dispatch | Action::Extend => {
                    let text = details["deadline"].as_str().unwrap();
                    deadline = Some(DateTime::parse_from_rfc3339(text).unwrap().naive_utc());
                }
                Action::SendBack | Action::Shelve => deadline = None,
                _ => {}
            }
            (Some(state), transition.to, role)
        };
        rows.push(EventRow {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: id.parse().unwrap(),
            kind: (*kind).to_owned(),
            from_state: from,
            to_state: to,
            actor_id: None,
            actor_role: Some(role.as_str().to_owned()),
            note: None,
            lat: None,
            lon: None,
            occurred_at: at.naive_utc(),
            seq: 0,
            reason: None,
            accuracy_m: None,
            photo_ids: "[]".to_owned(),
            details: details.to_string(),
            idempotency_key: None,
            request_sha256: None,
        });
        state = to;
    }
    let case = CaseRow {
        id: id.parse().unwrap(),
        tracking_number: format!("T{}", &id[24..]),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        request_sha256: "0".repeat(64),
        reporter_id: reporter.map(str::to_owned),
        reporter_role: reporter.map(|_| "citizen".to_owned()),
        anonymous: false,
        category_code: category.parse().expect("seeded category code"),
        description: "seeded".to_owned(),
        lat: 31.2,
        lon: 121.4,
        accuracy_m: None,
        submitted_crs: "wgs84".to_owned(),
        captured_at: None,
        state,
        grid_code: Some(grid.parse().expect("seeded grid code")),
        community_code: Some(grid[..12].to_owned()),
        street_code: Some(grid[..9].to_owned()),
        district_code: Some(grid[..6].to_owned()),
        routing_outcome: "inside".to_owned(),
        routing_distance_m: None,
        geotag_verdict: "none".to_owned(),
        answers: "{}".to_owned(),
        handling_time_limit: Some("1d".to_owned()),
        handling_unit: unit,
        version: steps.len() as i32,
        created_at: reported_at,
        updated_at: steps.last().unwrap().1.naive_utc(),
        channel,
        verifier_id: None,
        urgency: gridline_core::workflow::Urgency::Normal,
    };
    // One transaction, as the server writes: the server's own jobs number events too, and the
    // sequence is only gap-free and unique among writers that hold the write lock.
    conn.transaction(|conn| {
        diesel::insert_into(cases::table).values(case).execute(conn)?;
        diesel::update(cases::table.find(&id)).set(cases::deadline.eq(deadline)).execute(conn)?;
        for mut row in rows {
            events::insert(conn, &mut row)?;
        }
        diesel::QueryResult::Ok(())
    })
    .unwrap();
    id
}

/// The week of history. Handling times (working hours, dispatch to closure) are worked out next
/// to each closing case.
fn seed_the_week(server: &TestServer) {
    let db = connect(server);
    let conn = &mut db.get().unwrap();
    let sanitation = "sanitation";
    let water = "water";
    // c1 (A1): reported, registered, dispatched Mon; closed Mon 14:30, by its deadline 15:00.
    // Handling Mon 10:00 -> 14:30 = 2 h (10-12) + 1.5 h (13-14:30) = 3.5 h. Rated 5.
    seed(
        conn,
        A1,
        "E0101",
        None,
        &[
            plain("reported", bj(11, 2, 9, 0)),
            plain("register", bj(11, 2, 9, 30)),
            dispatch(bj(11, 2, 10, 0), sanitation, bj(11, 2, 15, 0)),
            plain("accept", bj(11, 2, 10, 30)),
            plain("mark_handled", bj(11, 2, 14, 0)),
            plain("verify_pass", bj(11, 2, 14, 30)),
            Step("rate", bj(11, 3, 9, 0), json!({ "rating": 5 })),
        ],
    );
    // c2 (A2): reported Tue, fails verification once (rework), closed Wed 10:30, after its
    // deadline Tue 17:00. Handling Tue 09:30 -> Wed 10:30 = 2.5 + 4.5 (Tue) + 1.5 (Wed) = 8.5 h.
    // Rated 2.
    seed(
        conn,
        A2,
        "E0101",
        None,
        &[
            plain("reported", bj(11, 3, 9, 0)),
            plain("register", bj(11, 3, 9, 10)),
            dispatch(bj(11, 3, 9, 30), sanitation, bj(11, 3, 17, 0)),
            plain("accept", bj(11, 3, 10, 0)),
            plain("mark_handled", bj(11, 3, 11, 0)),
            plain("verify_fail", bj(11, 3, 15, 0)),
            plain("accept", bj(11, 3, 15, 30)),
            plain("mark_handled", bj(11, 4, 9, 30)),
            plain("verify_pass", bj(11, 4, 10, 30)),
            Step("rate", bj(11, 4, 11, 0), json!({ "rating": 2 })),
        ],
    );
    // c3 (A1, E0102): reported, registered and dispatched the week before; extended Mon to Wed
    // 12:00 (an extension of a case dispatched before the range: not in the extension rate).
    // Still in progress on Saturday 00:00, its deadline inside the range: due, not on time.
    seed(
        conn,
        A1,
        "E0102",
        None,
        &[
            plain("reported", bj(10, 29, 10, 0)),
            plain("register", bj(10, 29, 11, 0)),
            dispatch(bj(10, 30, 9, 0), water, bj(11, 3, 12, 0)),
            extend(bj(11, 2, 10, 0), bj(11, 4, 12, 0)),
            plain("accept", bj(11, 2, 11, 0)),
        ],
    );
    // c4 (A1): dispatched Wed, extended Thu to Monday 9 November (outside the range): extended,
    // not due.
    seed(
        conn,
        A1,
        "E0101",
        None,
        &[
            plain("reported", bj(11, 4, 9, 0)),
            plain("register", bj(11, 4, 9, 30)),
            dispatch(bj(11, 4, 10, 0), water, bj(11, 6, 10, 0)),
            plain("accept", bj(11, 4, 11, 0)),
            extend(bj(11, 5, 16, 0), bj(11, 9, 17, 0)),
        ],
    );
    // c5 (A2): reported and rejected Fri: received only; never dispatched (no unit).
    seed(
        conn,
        A2,
        "E0101",
        None,
        &[plain("reported", bj(11, 6, 9, 0)), Step("reject", bj(11, 6, 10, 0), json!({}))],
    );
    // c6 (B1): street B, closed Mon 11:30 by its deadline 17:00. Handling 09:30 -> 11:30 = 2 h.
    // Rated 4.
    seed(
        conn,
        B1,
        "E0101",
        None,
        &[
            plain("reported", bj(11, 2, 9, 0)),
            plain("register", bj(11, 2, 9, 15)),
            dispatch(bj(11, 2, 9, 30), sanitation, bj(11, 2, 17, 0)),
            plain("accept", bj(11, 2, 10, 0)),
            plain("mark_handled", bj(11, 2, 11, 0)),
            plain("verify_pass", bj(11, 2, 11, 30)),
            Step("rate", bj(11, 2, 12, 0), json!({ "rating": 4 })),
        ],
    );
    // c7 (A1): registered and dispatched Friday 30 October, closed Mon 10:00 by its deadline
    // 11:00: closed in the range but not registered in it (outside the closure rate's cohort).
    // Handling Fri 11:00 -> Mon 10:00 = 1 + 4.5 (Fri), weekend off, 1 (Mon) = 6.5 h.
    seed(
        conn,
        A1,
        "E0101",
        None,
        &[
            plain("reported", bj(10, 30, 10, 0)),
            plain("register", bj(10, 30, 10, 30)),
            dispatch(bj(10, 30, 11, 0), sanitation, bj(11, 2, 11, 0)),
            plain("accept", bj(10, 30, 11, 30)),
            plain("mark_handled", bj(11, 2, 9, 30)),
            plain("verify_pass", bj(11, 2, 10, 0)),
        ],
    );
    // c8 (A1): reported Fri 17:00, registered the next Monday: received only.
    seed(conn, A1, "E0101", None, &[plain("reported", bj(11, 6, 17, 0)), plain("register", bj(11, 9, 9, 0))]);
    // c9 (A1): reported after the range: nowhere.
    seed(conn, A1, "E0101", None, &[plain("reported", bj(11, 9, 10, 0))]);
}

const WEEK: &str = "from=2026-11-02&to=2026-11-06";

fn get(server: &TestServer, token: &str, query: &str, accept: Option<&str>) -> reqwest::blocking::Response {
    let mut request = server.client.get(server.url(&format!("/api/v1/stats?{query}"))).bearer_auth(token);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.send().unwrap()
}

fn stats(server: &TestServer, token: &str, query: &str) -> Value {
    let response = get(server, token, query, None);
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().unwrap()
}

/// The groups of an answer, by key.
fn groups(answer: &Value) -> Vec<(Value, Value)> {
    answer["groups"].as_array().unwrap().iter().map(|g| (g["key"].clone(), g.clone())).collect()
}

/// Checks each figure named in `want` (so a check can leave some out).
fn check(got: &Value, want: Value, what: &str) {
    for (name, value) in want.as_object().unwrap() {
        assert_eq!(&got[name], value, "{what}: {name}");
    }
}

/// All 7 counted cases (c1-c8 without c9; c8 only as received).
fn whole_week() -> Value {
    json!({
        // c1 c2 c4 c5 c6 c8 (c3 and c7 came the week before, c9 after).
        "received": 6,
        // c1 c2 c4 c6 (c8's registration is after the range).
        "registered": 4,
        // c1 c2 c6 c7.
        "closed": 4,
        // of the registered: c1 c2 c6 closed; c4 open. 3 / 4.
        "registered_closed": 3,
        "closure_rate": 0.75,
        // closed with a deadline: c1 c2 c6 c7; open with a deadline in the range: c3. 5.
        "due": 5,
        // c1 (14:30 <= 15:00), c6, c7; c2 late, c3 open. 3 / 5.
        "closed_on_time": 3,
        "on_time_closure_rate": 0.6,
        // c1 c2 c6 c7 verified, c2 failed once. 1 / 4.
        "verified": 4,
        "reworked": 1,
        "rework_rate": 0.25,
        // c1 c2 c4 c6 dispatched in the range; c4 extended (c3's extension is outside the
        // cohort). 1 / 4.
        "dispatched": 4,
        "extended": 1,
        "extension_rate": 0.25,
        // 3.5 + 8.5 + 2 + 6.5 = 20.5 over 4 = 5.125 -> 5.13; p90 rank ceil(3.6) = 4 of
        // [2, 3.5, 6.5, 8.5] = 8.5.
        "handling_timed": 4,
        "handling_hours_mean": 5.13,
        "handling_hours_p90": 8.5,
        // 5, 2, 4: 11 / 3 = 3.666.. -> 3.67.
        "rated": 3,
        "rating_mean": 3.67,
    })
}

fn street_a() -> Value {
    json!({
        // c1 c2 c4 c5 c8.
        "received": 5,
        // c1 c2 c4; closed c1 c2: 2 / 3.
        "registered": 3,
        "registered_closed": 2,
        "closure_rate": 0.6667,
        // c1 c2 c7.
        "closed": 3,
        // c1 c2 c7 + open c3 = 4; on time c1 c7 = 2 / 4.
        "due": 4,
        "closed_on_time": 2,
        "on_time_closure_rate": 0.5,
        // c1 c2 c7 verified, c2 failed: 1 / 3.
        "verified": 3,
        "reworked": 1,
        "rework_rate": 0.3333,
        // c1 c2 c4, c4 extended: 1 / 3.
        "dispatched": 3,
        "extended": 1,
        "extension_rate": 0.3333,
        // 3.5 + 8.5 + 6.5 = 18.5 / 3 = 6.1666.. -> 6.17; p90 rank ceil(2.7) = 3 -> 8.5.
        "handling_timed": 3,
        "handling_hours_mean": 6.17,
        "handling_hours_p90": 8.5,
        // 5 and 2: 3.5.
        "rated": 2,
        "rating_mean": 3.5,
    })
}

fn street_b() -> Value {
    // c6 alone: everything it did is a full rate; nothing failed or was extended (0, not none).
    json!({
        "received": 1, "registered": 1, "closed": 1, "registered_closed": 1, "closure_rate": 1.0,
        "due": 1, "closed_on_time": 1, "on_time_closure_rate": 1.0,
        "verified": 1, "reworked": 0, "rework_rate": 0.0,
        "dispatched": 1, "extended": 0, "extension_rate": 0.0,
        "handling_timed": 1, "handling_hours_mean": 2.0, "handling_hours_p90": 2.0,
        "rated": 1, "rating_mean": 4.0,
    })
}

fn the_week_by_hand(backend: Backend) {
    let server = TestServer::start(backend);
    seed_the_week(&server);
    let admin = server.admin_token();

    // The city by street.
    let answer = stats(&server, &admin, &format!("{WEEK}&group_by=street"));
    assert_eq!(answer["from"], "2026-11-01T16:00:00Z");
    assert_eq!(answer["to"], "2026-11-06T16:00:00Z");
    assert_eq!(answer["scope"], "city");
    check(&answer["total"], whole_week(), "city total");
    let by_street = groups(&answer);
    assert_eq!(
        by_street.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        [json!(STREET_A), json!(STREET_B)]
    );
    check(&by_street[0].1, street_a(), "street A");
    check(&by_street[1].1, street_b(), "street B");

    // Day by day (the dashboard's trend lines): each day is its own range. Received: Mon c1
    // c6, Tue c2, Wed c4, Thu none, Fri c5 c8; the total is the week's.
    let daily = stats(&server, &admin, &format!("{WEEK}&group_by=day"));
    assert_eq!(daily["group_by"], "day");
    let days = groups(&daily);
    let keys: Vec<Value> = days.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        keys,
        ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"].map(|d| json!(d))
    );
    let received: Vec<Value> = days.iter().map(|(_, g)| g["received"].clone()).collect();
    assert_eq!(received, [2, 1, 1, 0, 2].map(|n| json!(n)));
    check(&daily["total"], whole_week(), "daily total");

    // By unit: c1 c2 c6 c7 sanitation, c3 c4 water, c5 c8 never dispatched (key null, first).
    let by_unit = groups(&stats(&server, &admin, &format!("{WEEK}&group_by=unit")));
    assert_eq!(
        by_unit.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        [Value::Null, json!("sanitation"), json!("water")]
    );
    // none: c5 and c8 received, nothing else.
    check(
        &by_unit[0].1,
        json!({ "received": 2, "registered": 0, "closure_rate": null, "due": 0, "on_time_closure_rate": null }),
        "no unit",
    );
    // sanitation: received c1 c2 c6; closed c1 c2 c6 c7 (c2 late): 3 / 4 on time;
    // hours 20.5 / 4 -> 5.13.
    check(
        &by_unit[1].1,
        json!({ "received": 3, "closed": 4, "due": 4, "on_time_closure_rate": 0.75, "handling_hours_mean": 5.13, "rating_mean": 3.67 }),
        "sanitation",
    );
    // water: c4 received, registered, dispatched, extended; c3 due and open: 0 / 1 on time.
    check(
        &by_unit[2].1,
        json!({ "received": 1, "registered": 1, "registered_closed": 0, "closure_rate": 0.0, "due": 1, "closed_on_time": 0, "on_time_closure_rate": 0.0, "extension_rate": 1.0, "handling_timed": 0, "handling_hours_mean": null, "rated": 0, "rating_mean": null }),
        "water",
    );

    // Filters: street B alone gives street B's figures; category E0102 is c3 alone.
    let only_b = stats(&server, &admin, &format!("{WEEK}&group_by=district&area={STREET_B}"));
    assert_eq!(groups(&only_b).len(), 1);
    check(&only_b["total"], street_b(), "area = street B");
    let only_c3 = stats(&server, &admin, &format!("{WEEK}&group_by=category&category=E0102"));
    check(
        &only_c3["total"],
        json!({ "received": 0, "due": 1, "closed_on_time": 0, "dispatched": 0, "extended": 0, "extension_rate": null }),
        "category E0102",
    );

    // A narrower range: Monday only. Received c1 c6; closed c1 c6 c7 all on time; c3's deadline
    // (Wed) is outside, so due = 3. Handling 3.5, 2, 6.5: 12 / 3 = 4, p90 rank 3 = 6.5.
    let monday = stats(&server, &admin, "from=2026-11-02T00:00:00%2B08:00&to=2026-11-03T00:00:00%2B08:00");
    check(
        &monday["total"],
        json!({ "received": 2, "closed": 3, "due": 3, "on_time_closure_rate": 1.0, "handling_hours_mean": 4.0, "handling_hours_p90": 6.5, "rated": 1, "rating_mean": 4.0 }),
        "Monday",
    );

    // The dispatcher of street A sees street A only, whatever the grouping.
    let street = AreaCode::parse(STREET_A).unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
    let mine = stats(&server, &dispatcher, &format!("{WEEK}&group_by=community"));
    assert_eq!(mine["scope"], "street");
    check(&mine["total"], street_a(), "dispatcher A total");
    let communities = groups(&mine);
    assert_eq!(
        communities.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        [json!("310104001001"), json!("310104001002")]
    );
    // Community 001 (grid A1): c1 c3 c4 c7 c8; received c1 c4 c8; closed c1 c7, both on time,
    // plus c3 due: 2 / 3.
    check(
        &communities[0].1,
        json!({ "received": 3, "closed": 2, "due": 3, "on_time_closure_rate": 0.6667 }),
        "community 001",
    );
    // Community 002 (grid A2): c2 c5; c2 closed late: 0 / 1; c2 reworked: 1 / 1.
    check(
        &communities[1].1,
        json!({ "received": 2, "closed": 1, "on_time_closure_rate": 0.0, "rework_rate": 1.0 }),
        "community 002",
    );
    // Inside the street: a community is fine; street B is not theirs.
    let one = stats(&server, &dispatcher, &format!("{WEEK}&area=310104001002"));
    check(&one["total"], json!({ "received": 2 }), "dispatcher A, community 002");
    let refused = problem(get(&server, &dispatcher, &format!("{WEEK}&area={STREET_B}"), None), 403);
    assert_eq!(refused["code"], "out_of_scope");
    assert_eq!(refused["field"], "area");
    let refused = problem(get(&server, &dispatcher, &format!("{WEEK}&area=310104"), None), 403);
    assert_eq!(refused["code"], "out_of_scope");

    // The sanitation unit sees its own cases (c1 c2 c6 c7), across both streets.
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
    let unit = stats(&server, &handler, &format!("{WEEK}&group_by=street"));
    assert_eq!(unit["scope"], "unit");
    check(
        &unit["total"],
        json!({ "received": 3, "closed": 4, "due": 4, "closed_on_time": 3, "rework_rate": 0.25, "extension_rate": 0.0, "handling_hours_p90": 8.5 }),
        "sanitation unit",
    );
    assert_eq!(groups(&unit).len(), 2);

    // Citizens and inspectors are refused; no token is 401.
    let inspector = server.staff_token(Role::Inspector, Scope::Grids { grids: Default::default() });
    for token in [server.citizen_token(), inspector] {
        assert_eq!(problem(get(&server, &token, WEEK, None), 403)["code"], "forbidden");
    }
    assert_eq!(server.get(&format!("/api/v1/stats?{WEEK}")).status(), 401);
}

/// Cases with no event in the range still fall due in it; cases finished before it are nowhere.
fn quiet_cases_fall_due_and_finished_ones_do_not_count(backend: Backend) {
    let server = TestServer::start(backend);
    {
        let db = connect(&server);
        let conn = &mut db.get().unwrap();
        let before_the_week = |deadline: DateTime<Utc>| {
            vec![
                plain("reported", bj(10, 29, 10, 0)),
                plain("register", bj(10, 29, 10, 30)),
                dispatch(bj(10, 30, 9, 0), "water", deadline),
                plain("accept", bj(10, 30, 10, 0)),
            ]
        };
        // q1: untouched since Friday 30 October, due Tuesday 3 November 12:00: due, late.
        seed(conn, A1, "E0101", None, &before_the_week(bj(11, 3, 12, 0)));
        // q2: due Wednesday 4 November, extended only after the range (10 November, to the
        // 12th): the deadline in force at the end of the range is the 4th, so due, late.
        let mut q2 = before_the_week(bj(11, 4, 12, 0));
        q2.push(extend(bj(11, 10, 9, 0), bj(11, 12, 12, 0)));
        seed(conn, A1, "E0101", None, &q2);
        // q3: untouched, due Friday 20 November: not due in the week.
        seed(conn, A1, "E0101", None, &before_the_week(bj(11, 20, 12, 0)));
        // q4: closed on 30 October: nothing in the week.
        let mut q4 = before_the_week(bj(11, 2, 12, 0));
        q4.push(plain("mark_handled", bj(10, 30, 11, 0)));
        q4.push(plain("verify_pass", bj(10, 30, 11, 30)));
        seed(conn, A2, "E0101", None, &q4);
    }
    let answer = stats(&server, &server.admin_token(), &format!("{WEEK}&group_by=community"));
    // q1 and q2 due, neither closed: 0 / 2. Only community 001 (q4's community 002 is absent).
    check(
        &answer["total"],
        json!({ "received": 0, "closed": 0, "due": 2, "closed_on_time": 0, "on_time_closure_rate": 0.0, "dispatched": 0 }),
        "quiet week",
    );
    assert_eq!(groups(&answer).iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), [json!("310104001001")]);
}

fn csv_by_format_and_by_accept(backend: Backend) {
    let server = TestServer::start(backend);
    seed_the_week(&server);
    let admin = server.admin_token();
    let expected = [
        "row,key,received,registered,closed,registered_closed,closure_rate,due,closed_on_time,\
         on_time_closure_rate,verified,reworked,rework_rate,dispatched,extended,extension_rate,\
         handling_timed,handling_hours_mean,handling_hours_p90,rated,rating_mean,closed_unverified,\
         triaged,relocated,response_due,responded_on_time,response_rate,called_back,\
         resolution_answers,resolved,resolution_rate,satisfaction_answers,satisfied,\
         satisfaction_rate,hotline_calls",
        // The same figures as street_a(), street_b() and whole_week(); every closure verified.
        // Every response within a working day (c8's limit runs on past the end); no call-back,
        // so no resolution rate; the ratings 5 and 2 in A, 4 in B, make the satisfaction.
        "group,310104001,5,3,3,2,0.6667,4,2,0.5,3,1,0.3333,3,1,0.3333,3,6.17,8.5,2,3.5,0,0,0,\
         4,4,1,0,0,0,,2,1,0.5,0",
        "group,310104002,1,1,1,1,1,1,1,1,1,0,0,1,0,0,1,2,2,1,4,0,0,0,1,1,1,0,0,0,,1,1,1,0",
        "total,,6,4,4,3,0.75,5,3,0.6,4,1,0.25,4,1,0.25,4,5.13,8.5,3,3.67,0,0,0,5,5,1,0,0,0,,3,2,0.6667,0",
    ]
    .map(|line| format!("{line}\r\n"))
    .concat();
    let by_format = get(&server, &admin, &format!("{WEEK}&format=csv"), None);
    let by_accept = get(&server, &admin, WEEK, Some("text/csv"));
    for response in [by_format, by_accept] {
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(response.text().unwrap(), expected);
    }
    // `format` wins over `Accept`; an empty group (undefined rates) is empty cells.
    let json = get(&server, &admin, &format!("{WEEK}&format=json"), Some("text/csv"));
    assert_eq!(json.headers()["content-type"], "application/json");
    let text = get(&server, &admin, &format!("{WEEK}&group_by=unit&format=csv"), None).text().unwrap();
    assert_eq!(
        text.lines().nth(1).unwrap(),
        "group,,2,0,0,0,,0,0,,0,0,,0,0,,0,,,0,,0,0,0,1,1,1,0,0,0,,0,0,,0"
    );
}

fn bad_queries_name_their_field(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cases = [
        ("to=2026-11-06", 422, "from"),
        ("from=2026-11-02", 422, "to"),
        ("from=last-monday&to=2026-11-06", 422, "from"),
        ("from=2026-11-06&to=2026-11-02", 422, "to"),
        ("from=2024-01-01&to=2026-11-06", 422, "to"),
        ("from=2026-11-02&to=2026-11-06&group_by=planet", 422, "group_by"),
        ("from=2026-11-02&to=2026-11-06&area=3101", 422, "area"),
        ("from=2026-11-02&to=2026-11-06&category=rubbish", 422, "category"),
        ("from=2026-11-02&to=2026-11-06&format=xlsx", 422, "format"),
        ("from=2026-11-02&to=2026-11-06&colour=red", 400, "colour"),
        ("from=2026-11-02&to=2026-11-06&to=2026-11-07", 400, "to"),
    ];
    for (query, status, field) in cases {
        let body = problem(get(&server, &admin, query, None), status);
        assert_eq!(body["field"], field, "{query}");
    }
}

/// A closed case reported by `reporter`, dispatched and verified on Monday 2 November.
fn closed_case(conn: &mut DbConnection, reporter: &str) -> String {
    seed(
        conn,
        A1,
        "E0101",
        Some(reporter),
        &[
            plain("reported", bj(11, 2, 9, 0)),
            plain("register", bj(11, 2, 9, 30)),
            dispatch(bj(11, 2, 10, 0), "sanitation", bj(11, 2, 15, 0)),
            plain("accept", bj(11, 2, 10, 30)),
            plain("mark_handled", bj(11, 2, 14, 0)),
            plain("verify_pass", bj(11, 2, 14, 30)),
        ],
    )
}

fn rate(server: &TestServer, token: &str, id: &str, body: Value) -> reqwest::blocking::Response {
    let version =
        server.get_as(token, &format!("/api/v1/cases/{id}")).json::<Value>().unwrap()["version"].clone();
    server
        .client
        .post(server.url(&format!("/api/v1/cases/{id}/actions")))
        .bearer_auth(token)
        .header("if-match", format!("\"{version}\""))
        .json(&body)
        .send()
        .unwrap()
}

fn refused(response: reqwest::blocking::Response, status: u16, code: &str, field: Option<&str>) {
    let body = problem(response, status);
    assert_eq!(body["code"], code);
    if let Some(field) = field {
        assert_eq!(body["field"], field);
    }
}

fn a_rating_once_by_the_reporter_of_a_closed_case(backend: Backend) {
    let server = TestServer::start(backend);
    let reporter = server.citizen_token();
    let reporter_id =
        server.get_as(&reporter, "/api/v1/me").json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
    let other = server.citizen_token();
    let street = AreaCode::parse(STREET_A).unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
    let db = connect(&server);
    let closed = closed_case(&mut db.get().unwrap(), &reporter_id);
    let open = seed(
        &mut db.get().unwrap(),
        A1,
        "E0101",
        Some(&reporter_id),
        &[plain("reported", bj(11, 2, 9, 0)), plain("register", bj(11, 2, 9, 30))],
    );

    // Not closed yet: 409 with the state.
    refused(
        rate(&server, &reporter, &open, json!({ "action": "rate", "rating": 4 })),
        409,
        "not_from_state",
        None,
    );
    // Staff in scope may not rate for the citizen; another citizen may not touch the case.
    refused(
        rate(&server, &dispatcher, &closed, json!({ "action": "rate", "rating": 5 })),
        403,
        "not_allowed_for_role",
        None,
    );
    refused(
        rate(&server, &other, &closed, json!({ "action": "rate", "rating": 5 })),
        403,
        "out_of_scope",
        None,
    );
    // 1-5 only, and the comment has a length limit.
    for rating in [json!(0), json!(6), Value::Null] {
        refused(
            rate(&server, &reporter, &closed, json!({ "action": "rate", "rating": rating })),
            422,
            "rating_out_of_range",
            Some("rating"),
        );
    }
    let long = "好".repeat(2_001);
    refused(
        rate(&server, &reporter, &closed, json!({ "action": "rate", "rating": 3, "comment": long })),
        422,
        "invalid_field",
        Some("comment"),
    );

    let rated = rate(
        &server,
        &reporter,
        &closed,
        json!({ "action": "rate", "rating": 3, "comment": "slow but fixed" }),
    );
    assert_eq!(rated.status(), 200);
    assert_eq!(rated.json::<Value>().unwrap()["rating"], 3);
    // Once.
    refused(
        rate(&server, &reporter, &closed, json!({ "action": "rate", "rating": 5 })),
        409,
        "already_rated",
        None,
    );
    let timeline: Value =
        server.get_as(&dispatcher, &format!("/api/v1/cases/{closed}/timeline")).json().unwrap();
    assert!(timeline.to_string().contains("slow but fixed"), "the comment is on the staff timeline");

    // The rating is in the statistics of the day it was given, and only that rating: the
    // refused attempts left no event.
    let now = Utc::now();
    let query = format!(
        "from={}&to={}",
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let answer = stats(&server, &server.admin_token(), &query);
    check(
        &answer["total"],
        json!({ "rated": 1, "rating_mean": 3.0, "closed": 0, "received": 0 }),
        "the rating day",
    );
}

/// The second week (Monday 16 to Friday 20 November 2026): the three rates of 接诉即办
/// (response, resolution, satisfaction), the hotline's calls and the channel split. The
/// response limit is the default, one working day (7.5 working hours).
fn seed_the_rates_week(server: &TestServer) {
    let db = connect(server);
    let conn = &mut db.get().unwrap();
    let answer = |satisfaction: &str, resolved: Option<bool>| {
        let mut details = json!({ "satisfaction": satisfaction });
        if let Some(resolved) = resolved {
            details["resolved"] = json!(resolved);
        }
        details
    };
    // Dispatched at `first`:10 on `day` (deadline 17:00), accepted, handled and verified
    // within the next hour and a half.
    let handled_steps = |day: u32, unit: &str, first: u32| -> Vec<Step> {
        vec![
            dispatch(bj(11, day, first, 10), unit, bj(11, day, 17, 0)),
            plain("accept", bj(11, day, first, 30)),
            plain("mark_handled", bj(11, day, first + 1, 0)),
            plain("verify_pass", bj(11, day, first + 1, 30)),
        ]
    };
    // r1 (A1, hotline, sanitation): registered 30 minutes after the report (on time), closed
    // Monday, called back Tuesday: satisfied, solved.
    let mut r1 = vec![plain("reported", bj(11, 16, 9, 0)), plain("register", bj(11, 16, 9, 30))];
    r1.extend(handled_steps(16, "sanitation", 10));
    r1.push(Step("call_back", bj(11, 17, 10, 0), answer("satisfied", Some(true))));
    let r1 = seed_via(conn, A1, "E0101", None, Channel::Hotline, &r1);
    // r2 (A1, E0102, hotline, water): reported Monday 10:00, registered Tuesday 11:00: 6.5 +
    // 2 = 8.5 working hours, late. Called back dissatisfied, not solved.
    let mut r2 = vec![plain("reported", bj(11, 16, 10, 0)), plain("register", bj(11, 17, 11, 0))];
    r2.extend(handled_steps(18, "water", 9));
    r2.push(Step("call_back", bj(11, 18, 14, 0), answer("dissatisfied", Some(false))));
    let r2 = seed_via(conn, A1, "E0102", None, Channel::Hotline, &r2);
    // r3 (A2, app): reported Wednesday 09:00, never answered: its limit ran out Wednesday
    // 17:30, before the range's end. Due, late.
    seed_via(conn, A2, "E0101", None, Channel::App, &[plain("reported", bj(11, 18, 9, 0))]);
    // r4 (A2, app): reported Friday 16:00, 1.5 working hours before the end: not yet due.
    seed_via(conn, A2, "E0101", None, Channel::App, &[plain("reported", bj(11, 20, 16, 0))]);
    // r5 (B1, web): rejected 20 minutes after the report: on time.
    seed_via(
        conn,
        B1,
        "E0101",
        None,
        Channel::Web,
        &[plain("reported", bj(11, 19, 9, 0)), Step("reject", bj(11, 19, 9, 20), json!({}))],
    );
    // r6 (A1, app, sanitation): on time; rated 3 (basically satisfied), never called back.
    let mut r6 = vec![plain("reported", bj(11, 16, 9, 0)), plain("register", bj(11, 16, 9, 5))];
    r6.extend(handled_steps(16, "sanitation", 13));
    r6.push(Step("rate", bj(11, 17, 9, 0), json!({ "rating": 3 })));
    seed_via(conn, A1, "E0101", None, Channel::App, &r6);
    // r7 (A1, hotline, water): on time; rated 1, then called back satisfied without the
    // "solved?" question: the call-back speaks for the case, and no resolution answer.
    let mut r7 = vec![plain("reported", bj(11, 16, 9, 0)), plain("register", bj(11, 16, 9, 5))];
    r7.extend(handled_steps(16, "water", 14));
    r7.push(Step("rate", bj(11, 17, 9, 0), json!({ "rating": 1 })));
    r7.push(Step("call_back", bj(11, 17, 10, 0), answer("satisfied", None)));
    let r7 = seed_via(conn, A1, "E0101", None, Channel::Hotline, &r7);
    // The hotline's calls: the three that opened r1, r2 and r7, a "same problem" call linked
    // to r1 on Tuesday, and one about r1 the week before (outside the range).
    let calls = [
        (&r1, bj(11, 16, 9, 0), false),
        (&r2, bj(11, 16, 10, 0), false),
        (&r7, bj(11, 16, 9, 0), false),
        (&r1, bj(11, 17, 16, 0), true),
        (&r1, bj(11, 13, 9, 0), true),
    ];
    for (case_id, at, linked) in calls {
        let row = HotlineCallRow {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: case_id.parse().unwrap(),
            linked,
            operator_id: "operator".to_owned(),
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            call_type: "complaint".to_owned(),
            urgency: "normal".to_owned(),
            anonymous: true,
            confidential: false,
            caller_phone_hash: None,
            caller_phone_sealed: None,
            caller_name_sealed: None,
            created_at: at.timestamp(),
            transferred_to: None,
            hotline_code: None,
        };
        diesel::insert_into(hotline_calls::table).values(row).execute(conn).unwrap();
    }
}

fn the_three_rates_and_the_channels_by_hand(backend: Backend) {
    let server = TestServer::start(backend);
    seed_the_rates_week(&server);
    let admin = server.admin_token();
    let week = "from=2026-11-16&to=2026-11-20";

    let answer = stats(&server, &admin, &format!("{week}&group_by=channel"));
    check(
        &answer["total"],
        json!({
            "received": 7,
            // Due: r1 r2 r3 r5 r6 r7 (r4's limit runs on past the end); on time r1 r5 r6 r7.
            "response_due": 6, "responded_on_time": 4, "response_rate": 0.6667,
            // Called back r1 r2 r7; asked "solved?" r1 (yes) r2 (no).
            "called_back": 3, "resolution_answers": 2, "resolved": 1, "resolution_rate": 0.5,
            // r1 r7 (call-backs, satisfied), r6 (rating 3), r2 (dissatisfied): 3 / 4.
            "satisfaction_answers": 4, "satisfied": 3, "satisfaction_rate": 0.75,
            "hotline_calls": 4,
        }),
        "the week",
    );
    let by_channel = groups(&answer);
    assert_eq!(
        by_channel.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        [json!("app"), json!("hotline"), json!("web")]
    );
    check(
        &by_channel[0].1,
        json!({
            // r3 r4 r6: r3 late, r6 on time, r4 not due.
            "received": 3, "response_due": 2, "responded_on_time": 1, "response_rate": 0.5,
            "called_back": 0, "resolution_rate": null,
            "satisfaction_answers": 1, "satisfied": 1, "satisfaction_rate": 1.0,
            "hotline_calls": 0,
        }),
        "app",
    );
    check(
        &by_channel[1].1,
        json!({
            // r1 r2 r7.
            "received": 3, "response_due": 3, "responded_on_time": 2, "response_rate": 0.6667,
            "called_back": 3, "resolution_answers": 2, "resolved": 1, "resolution_rate": 0.5,
            "satisfaction_answers": 3, "satisfied": 2, "satisfaction_rate": 0.6667,
            "hotline_calls": 4,
        }),
        "hotline",
    );
    check(
        &by_channel[2].1,
        json!({
            "received": 1, "response_due": 1, "responded_on_time": 1, "response_rate": 1.0,
            "called_back": 0, "satisfaction_answers": 0, "satisfaction_rate": null,
            "hotline_calls": 0,
        }),
        "web",
    );

    // By unit: sanitation r1 r6, water r2 r7, none r3 r4 r5.
    let by_unit = groups(&stats(&server, &admin, &format!("{week}&group_by=unit")));
    assert_eq!(
        by_unit.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        [Value::Null, json!("sanitation"), json!("water")]
    );
    check(&by_unit[0].1, json!({ "response_due": 2, "response_rate": 0.5, "called_back": 0 }), "no unit");
    check(
        &by_unit[1].1,
        json!({
            "response_rate": 1.0, "called_back": 1, "resolution_rate": 1.0,
            "satisfaction_answers": 2, "satisfaction_rate": 1.0, "hotline_calls": 2,
        }),
        "sanitation",
    );
    check(
        &by_unit[2].1,
        json!({
            "response_due": 2, "responded_on_time": 1, "response_rate": 0.5,
            "called_back": 2, "resolution_answers": 1, "resolved": 0, "resolution_rate": 0.0,
            "satisfaction_answers": 2, "satisfied": 1, "satisfaction_rate": 0.5, "hotline_calls": 2,
        }),
        "water",
    );
    // By street and by category: a rate of nothing is 0, not none.
    let by_street = groups(&stats(&server, &admin, &format!("{week}&group_by=street")));
    check(&by_street[0].1, json!({ "response_due": 5, "responded_on_time": 3, "response_rate": 0.6 }), "A");
    check(&by_street[1].1, json!({ "response_due": 1, "response_rate": 1.0, "hotline_calls": 0 }), "B");
    let e0102 = stats(&server, &admin, &format!("{week}&category=E0102"));
    check(
        &e0102["total"],
        json!({
            "response_rate": 0.0, "resolution_rate": 0.0, "satisfaction_rate": 0.0, "hotline_calls": 1,
        }),
        "E0102",
    );
    // Day by day: the calls of Monday (three) and Tuesday (one).
    let days = groups(&stats(&server, &admin, &format!("{week}&group_by=day")));
    let calls: Vec<u64> = days.iter().map(|(_, d)| d["hotline_calls"].as_u64().unwrap()).collect();
    assert_eq!(calls, [3, 1, 0, 0, 0]);
    let csv = get(&server, &admin, &format!("{week}&group_by=channel&format=csv"), None).text().unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for column in ["response_rate", "resolution_rate", "satisfaction_rate", "hotline_calls"] {
        assert!(header.contains(&column), "CSV header names {column}");
    }
}

/// Quiet cases falling due are counted in the caller's street or district only: read by the
/// scope's own column beside its cells' codes, each street sees its own and the city both.
fn quiet_cases_fall_due_in_the_callers_street(backend: Backend) {
    let server = TestServer::start(backend);
    {
        let db = connect(&server);
        let conn = &mut db.get().unwrap();
        let quiet = |deadline: DateTime<Utc>| {
            vec![
                plain("reported", bj(10, 29, 10, 0)),
                plain("register", bj(10, 29, 10, 30)),
                dispatch(bj(10, 30, 9, 0), "water", deadline),
            ]
        };
        // Due in the week: two in street A (one in each community), one in street B.
        seed(conn, A1, "E0101", None, &quiet(bj(11, 3, 12, 0)));
        seed(conn, A2, "E0101", None, &quiet(bj(11, 5, 12, 0)));
        seed(conn, B1, "E0101", None, &quiet(bj(11, 4, 12, 0)));
        // Due after the week, in street B: nowhere.
        seed(conn, B1, "E0101", None, &quiet(bj(11, 20, 12, 0)));
    }
    let due = |answer: &Value| answer["total"]["due"].as_u64().unwrap();
    assert_eq!(due(&stats(&server, &server.admin_token(), WEEK)), 3, "the city");
    let street = |code: &str| Scope::Street { street: AreaCode::parse(code).unwrap() };
    let dispatcher_a = server.staff_token(Role::Dispatcher, street(STREET_A));
    let dispatcher_b = server.staff_token(Role::Dispatcher, street(STREET_B));
    assert_eq!(due(&stats(&server, &dispatcher_a, WEEK)), 2, "street A");
    assert_eq!(due(&stats(&server, &dispatcher_b, WEEK)), 1, "street B");
    let community = stats(&server, &dispatcher_a, &format!("{WEEK}&area=310104001002"));
    assert_eq!(due(&community), 1, "street A, community 002");
    let district = Scope::District { district: AreaCode::parse("310104").unwrap() };
    let viewer = server.staff_token(Role::Viewer, district);
    assert_eq!(due(&stats(&server, &viewer, WEEK)), 3, "the district's viewer");
    let viewer_b = server.staff_token(Role::Viewer, street(STREET_B));
    let by_day = stats(&server, &viewer_b, &format!("{WEEK}&group_by=day"));
    let days: Vec<u64> = groups(&by_day).iter().map(|(_, d)| d["due"].as_u64().unwrap()).collect();
    assert_eq!(days, [0, 0, 1, 0, 0], "street B's viewer, day by day: due on Wednesday");
}

crate::both_backends!(
    the_three_rates_and_the_channels_by_hand,
    quiet_cases_fall_due_in_the_callers_street,
    the_week_by_hand,
    quiet_cases_fall_due_and_finished_ones_do_not_count,
    csv_by_format_and_by_accept,
    bad_queries_name_their_field,
    a_rating_once_by_the_reporter_of_a_closed_case,
);
