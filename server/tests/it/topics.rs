//! Topics (每月一题, `GET/POST /api/v1/warnings/topics`) on both backends. Four months of
//! history, ending last month (M), written with chosen times in Shanghai:
//!
//! - cell A1, category E0101: k0 reported and closed in M−3, k1 reported after it (M−3's one
//!   recurrence); nothing in M−2; k2 and k3 in M−1, each after the closure before (2); in M,
//!   k4 after k3's closure, then closed; k5 and k6 after k4's closure (k5 dispatched with a
//!   deadline already past: overdue); k4 reopened (after its own closure). M: 4 recurrences
//!   after 2 distinct closures (k3's and k4's); the three months before 1, 0, 2, mean 1, trend
//!   +3, rising.
//! - cell A2 (another community of street A): j0 closed, j1 after it and closed, j2 after j1:
//!   2 recurrences after 2 closures, trend +2.
//! - cell B1 (street B): b0..b3, each after the one before: 3 recurrences after 3 closures.
//! - one recurrence of another category in A1, no candidate.
//!
//! Ranked for the city: A1 (4), B1 (3), A2 (2); street A's office sees A1 and A2 only. At the
//! street level street A has 7 recurrences in M after 4 closures (worked out next to the
//! assertion). Adopting A1 tracks k3..k6; a report filed in A1 afterwards joins it, one in A2 or
//! of another category does not; drop needs a reason; settled, a topic takes no more reports and
//! no more steps. Bad input is a 4xx naming its field, never a 500.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::warning::topic::Month;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, demo_cells, point_in, problem};
use crate::stats::{A1, A2, B1, Step, connect, plain, seed};

crate::both_backends!(
    recurring_problems_rank_with_their_counts_and_trend_within_scope,
    an_adopted_topic_tracks_its_cases_and_is_resolved_or_dropped,
    bad_topic_input_is_refused_with_its_field
);

const ZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// Last month in the city: every day of it has passed.
fn last_month() -> Month {
    Month::of(Utc::now().with_timezone(&ZONE).date_naive()).back(1)
}

/// 10:00 in Shanghai on `day` of `month`.
fn on(month: Month, day: u32) -> DateTime<Utc> {
    let date: NaiveDate = month.first_day() + chrono::Days::new(u64::from(day - 1));
    ZONE.from_local_datetime(&date.and_hms_opt(10, 0, 0).unwrap()).unwrap().with_timezone(&Utc)
}

/// A report that the street office registers, dispatches and an inspector verifies closed.
fn closed(reported: DateTime<Utc>, closed: DateTime<Utc>) -> Vec<Step> {
    let deadline = closed + chrono::Duration::days(3);
    vec![
        plain("reported", reported),
        plain("register", reported),
        Step(
            "dispatch",
            reported,
            json!({ "handling_unit": "landscaping", "deadline": deadline.to_rfc3339() }),
        ),
        plain("accept", reported),
        plain("mark_handled", closed),
        plain("verify_pass", closed),
    ]
}

/// The cases of the module's history, by name.
struct History {
    ids: std::collections::BTreeMap<&'static str, String>,
}

impl History {
    fn id(&self, name: &str) -> String {
        self.ids[name].clone()
    }
}

fn write_history(server: &TestServer) -> History {
    let m = last_month();
    let db = connect(server);
    let conn = &mut db.get().unwrap();
    let mut ids = std::collections::BTreeMap::new();
    let mut put = |name: &'static str, grid: &str, category: &str, steps: &[Step]| {
        ids.insert(name, seed(conn, grid, category, None, steps));
    };
    put("k0", A1, "E0101", &closed(on(m.back(3), 2), on(m.back(3), 4)));
    put("k1", A1, "E0101", &closed(on(m.back(3), 10), on(m.back(3), 12)));
    put("k2", A1, "E0101", &closed(on(m.back(1), 5), on(m.back(1), 7)));
    put("k3", A1, "E0101", &closed(on(m.back(1), 15), on(m.back(1), 16)));
    let mut k4 = closed(on(m, 3), on(m, 5));
    k4.push(plain("reopen", on(m, 20)));
    put("k4", A1, "E0101", &k4);
    let past_deadline = on(m, 12);
    put(
        "k5",
        A1,
        "E0101",
        &[
            plain("reported", on(m, 8)),
            plain("register", on(m, 8)),
            Step(
                "dispatch",
                on(m, 8),
                json!({ "handling_unit": "landscaping", "deadline": past_deadline.to_rfc3339() }),
            ),
        ],
    );
    put("k6", A1, "E0101", &[plain("reported", on(m, 9))]);
    put("j0", A2, "E0101", &closed(on(m, 1), on(m, 2)));
    put("j1", A2, "E0101", &closed(on(m, 4), on(m, 6)));
    put("j2", A2, "E0101", &[plain("reported", on(m, 10))]);
    put("b0", B1, "E0101", &closed(on(m, 1), on(m, 2)));
    put("b1", B1, "E0101", &closed(on(m, 3), on(m, 4)));
    put("b2", B1, "E0101", &closed(on(m, 5), on(m, 6)));
    put("b3", B1, "E0101", &[plain("reported", on(m, 7))]);
    // Another category in A1 comes back once: no candidate.
    put("o0", A1, "E0102", &closed(on(m, 2), on(m, 3)));
    put("o1", A1, "E0102", &[plain("reported", on(m, 6))]);
    History { ids }
}

fn topics(server: &TestServer, token: &str, query: &str) -> Value {
    let response = server.get_as(token, &format!("/api/v1/warnings/topics?{query}"));
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

fn places(answer: &Value) -> Vec<(String, i64, i64)> {
    answer["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["place"].as_str().unwrap().to_owned(),
                c["recurrences"].as_i64().unwrap(),
                c["closures_came_back_after"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn street(code: &str) -> Scope {
    Scope::Street { street: AreaCode::parse(&code[..9]).unwrap() }
}

fn recurring_problems_rank_with_their_counts_and_trend_within_scope(backend: Backend) {
    let server = TestServer::start(backend);
    let history = write_history(&server);
    let m = last_month();
    let admin = server.admin_token();

    let city = topics(&server, &admin, &format!("month={m}"));
    assert_eq!(
        (city["month"].as_str(), city["level"].as_str()),
        (Some(m.to_string().as_str()), Some("cell"))
    );
    assert_eq!((city["look_back_days"].as_i64(), city["min_recurrences"].as_i64()), (Some(90), Some(2)));
    assert_eq!(
        places(&city),
        [(A1.to_owned(), 4, 2), (B1.to_owned(), 3, 3), (A2.to_owned(), 2, 2)],
        "{city}"
    );
    let first = &city["candidates"][0];
    assert_eq!((first["rank"].as_i64(), first["category"].as_str()), (Some(1), Some("E0101")));
    assert_eq!(
        first["previous_months"],
        json!([
            { "month": m.back(3).to_string(), "recurrences": 1 },
            { "month": m.back(2).to_string(), "recurrences": 0 },
            { "month": m.back(1).to_string(), "recurrences": 2 },
        ])
    );
    assert_eq!((first["previous_mean"].as_f64(), first["trend"].as_f64()), (Some(1.0), Some(3.0)));
    assert_eq!(first["direction"], "rising");
    let cases: Vec<(String, bool)> = first["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c["came_back"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        cases,
        [
            (history.id("k4"), true),
            (history.id("k5"), true),
            (history.id("k6"), true),
            (history.id("k3"), false)
        ]
    );
    assert!(first["cases"][0]["tracking_number"].as_str().unwrap().starts_with('T'));
    assert_eq!((first["topic_id"].is_null(), first["can_adopt"].as_bool()), (true, Some(true)));
    assert_eq!(city["candidates"][2]["trend"], 2.0);

    // The month before: k2 and k3 came back; the months before it 0, 1, 0: trend 2 − 1/3.
    let before = topics(&server, &admin, &format!("month={}&limit=1", m.back(1)));
    assert_eq!(places(&before), [(A1.to_owned(), 2, 2)]);
    assert_eq!(
        (before["candidates_counted"].as_i64(), before["candidates"][0]["trend"].as_f64()),
        (Some(1), Some(1.6667))
    );

    // Street level: street A's cases of E0101 together. In M, k4 (after k3, closed in M−1), j0
    // (after k3 too), j1 (after j0), k5 and k6 (after j1, closed on the 6th, later than k4 on
    // the 5th), j2 (after j1) and k4's reopening (after its own closure): 7, after the closures
    // of k3, j0, j1 and k4, 4.
    let streets = topics(&server, &admin, &format!("month={m}&level=street"));
    assert_eq!(places(&streets), [(A1[..9].to_owned(), 7, 4), (B1[..9].to_owned(), 3, 3)]);
    let communities = topics(&server, &admin, &format!("month={m}&level=community&category=E0101"));
    assert_eq!(
        places(&communities),
        [(A1[..12].to_owned(), 4, 2), (B1[..12].to_owned(), 3, 3), (A2[..12].to_owned(), 2, 2)]
    );
    assert_eq!(topics(&server, &admin, &format!("month={m}&category=E0102"))["candidates"], json!([]));

    // Scope: each street office ranks its own places; a viewer reads and may not adopt.
    let office_a = topics(&server, &server.staff_token(Role::Dispatcher, street(A1)), &format!("month={m}"));
    assert_eq!(places(&office_a), [(A1.to_owned(), 4, 2), (A2.to_owned(), 2, 2)]);
    assert_eq!(office_a["can_adopt"], true);
    let office_b = topics(&server, &server.staff_token(Role::Dispatcher, street(B1)), &format!("month={m}"));
    assert_eq!(places(&office_b), [(B1.to_owned(), 3, 3)]);
    let viewer = topics(&server, &server.staff_token(Role::Viewer, street(A1)), &format!("month={m}"));
    assert_eq!(places(&viewer).len(), 2);
    assert_eq!(
        (viewer["can_adopt"].as_bool(), viewer["candidates"][0]["can_adopt"].as_bool()),
        (Some(false), Some(false))
    );
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "landscaping".into() });
    assert_eq!(server.get_as(&handler, "/api/v1/warnings/topics").status(), 403);
}

fn adopt(server: &TestServer, token: &str, body: &Value) -> reqwest::blocking::Response {
    server.client.post(server.url("/api/v1/warnings/topics")).bearer_auth(token).json(body).send().unwrap()
}

fn step(
    server: &TestServer,
    token: &str,
    id: &str,
    etag: Option<&str>,
    body: &Value,
) -> reqwest::blocking::Response {
    let mut request = server
        .client
        .post(server.url(&format!("/api/v1/warnings/topics/{id}/actions")))
        .bearer_auth(token)
        .json(body);
    if let Some(etag) = etag {
        request = request.header("if-match", etag);
    }
    request.send().unwrap()
}

fn topic(server: &TestServer, token: &str, id: &str) -> (Value, String) {
    let response = server.get_as(token, &format!("/api/v1/warnings/topics/{id}"));
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    (response.json().unwrap(), etag)
}

fn case_ids(topic: &Value) -> Vec<String> {
    topic["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

fn an_adopted_topic_tracks_its_cases_and_is_resolved_or_dropped(backend: Backend) {
    let server = TestServer::start(backend);
    let history = write_history(&server);
    let m = last_month();
    let admin = server.admin_token();
    let mut cells = demo_cells(3);
    for (cell, code) in cells.iter_mut().zip([A1, A2, B1]) {
        cell.code = GridCode::parse(code).unwrap();
    }
    server.import_grid(&admin, "310104", &cells);
    let office_a = server.staff_token(Role::Dispatcher, street(A1));
    let office_b = server.staff_token(Role::Dispatcher, street(B1));
    let viewer = server.staff_token(Role::Viewer, street(A1));
    let body =
        json!({ "month": m.to_string(), "place": A1, "category": "E0101", "owner_unit": "landscaping" });

    // Another street's office cannot adopt here, nor see the topic.
    assert_eq!(problem(adopt(&server, &office_b, &body), 404)["code"], "not_found");
    let adopted = adopt(&server, &office_a, &body);
    assert_eq!(adopted.status(), 201);
    assert_eq!(adopted.headers()["etag"], "\"1\"");
    let adopted: Value = adopted.json().unwrap();
    let id = adopted["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (adopted["state"].as_str(), adopted["level"].as_str(), adopted["owner_unit"].as_str()),
        (Some("adopted"), Some("cell"), Some("landscaping"))
    );
    assert_eq!((adopted["recurrences"].as_i64(), adopted["closures"].as_i64()), (Some(4), Some(2)));
    let mut found = case_ids(&adopted);
    found.sort();
    let mut expected: Vec<String> = ["k3", "k4", "k5", "k6"].iter().map(|n| history.id(n)).collect();
    expected.sort();
    assert_eq!(found, expected);
    // k3 closed; k4 reopened, k5 overdue, k6 reported: open.
    assert_eq!(
        adopted["counts"],
        json!({ "total": 4, "open": 3, "closed": 1, "overdue": 1, "set_aside": 0 })
    );
    assert_eq!(adopted["actions"], json!(["resolve", "drop"]));
    // Adopting it again answers the same topic.
    let again = adopt(&server, &admin, &body);
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().unwrap()["id"], id.as_str());

    // A report in A1 joins it; one in A2 and one of another category in A1 do not.
    let citizen = server.citizen_token();
    let report = |cell: usize, category: &str| {
        let (lat, lon) = point_in(&cells[cell]);
        let receipt = server.report_as(
            &citizen,
            &json!({ "category": category, "description": "The same pothole again",
                      "position": { "lat": lat, "lon": lon } }),
        );
        receipt["id"].as_str().unwrap().to_owned()
    };
    let joined = report(0, "E0101");
    report(1, "E0101");
    report(0, "E0102");
    let (now, etag) = topic(&server, &office_a, &id);
    assert_eq!(etag, "\"1\"");
    assert_eq!(now["counts"]["total"], 5, "{now}");
    let new_one = now["cases"].as_array().unwrap().iter().find(|c| c["id"] == joined.as_str()).unwrap();
    assert_eq!(
        (new_one["found_at_adoption"].as_bool(), new_one["state"].as_str()),
        (Some(false), Some("reported"))
    );
    assert_eq!(now["counts"]["open"], 4);

    // The month's list shows it, on its candidate and among the month's topics.
    let listed = topics(&server, &office_a, &format!("month={m}"));
    assert_eq!(listed["candidates"][0]["topic_id"], id.as_str());
    assert_eq!(listed["candidates"][0]["can_adopt"], false);
    assert_eq!(listed["topics"][0]["id"], id.as_str());
    assert_eq!(topics(&server, &office_b, &format!("month={m}"))["topics"], json!([]));

    // Scope and roles of the steps.
    assert_eq!(server.get_as(&office_b, &format!("/api/v1/warnings/topics/{id}")).status(), 404);
    let (seen, _) = topic(&server, &viewer, &id);
    assert_eq!((seen["actions"].clone(), seen["action_needs"].clone()), (json!([]), json!([])));
    assert_eq!(step(&server, &viewer, &id, Some(&etag), &json!({ "action": "resolve" })).status(), 403);
    assert_eq!(step(&server, &office_b, &id, Some(&etag), &json!({ "action": "resolve" })).status(), 404);
    assert_eq!(
        problem(step(&server, &office_a, &id, None, &json!({ "action": "drop" })), 428)["code"],
        "precondition_required"
    );
    let no_reason =
        problem(step(&server, &office_a, &id, Some(&etag), &json!({ "action": "drop", "reason": " " })), 422);
    assert_eq!(
        (no_reason["code"].as_str(), no_reason["field"].as_str()),
        (Some("reason_required"), Some("reason"))
    );
    assert_eq!(
        problem(
            step(&server, &office_a, &id, Some("\"7\""), &json!({ "action": "drop", "reason": "x" })),
            409
        )["code"],
        "version_mismatch"
    );
    let dropped = step(
        &server,
        &office_a,
        &id,
        Some(&etag),
        &json!({ "action": "drop", "reason": "The district resurfaces the road" }),
    );
    assert_eq!(dropped.status(), 200);
    assert_eq!(dropped.headers()["etag"], "\"2\"");
    let dropped: Value = dropped.json().unwrap();
    assert_eq!(
        (dropped["state"].as_str(), dropped["reason"].as_str()),
        (Some("dropped"), Some("The district resurfaces the road"))
    );
    assert!(dropped["settled_at"].is_string());
    assert_eq!(dropped["actions"], json!([]));
    let settled = problem(step(&server, &office_a, &id, Some("\"2\""), &json!({ "action": "resolve" })), 409);
    assert_eq!(settled["code"], "topic_not_from_state");
    // Dropped, it takes no more reports.
    report(0, "E0101");
    assert_eq!(topic(&server, &admin, &id).0["counts"]["total"], 5);

    // Adopted again, with a note and no unit, then resolved.
    let note_only =
        json!({ "month": m.to_string(), "place": A1, "category": "E0101", "note": "街道城管科牵头" });
    let second = adopt(&server, &office_a, &note_only);
    assert_eq!(second.status(), 201);
    let second: Value = second.json().unwrap();
    assert_ne!(second["id"], id.as_str());
    assert_eq!((second["owner_unit"].is_null(), second["note"].as_str()), (true, Some("街道城管科牵头")));
    let second_id = second["id"].as_str().unwrap();
    let resolved = step(
        &server,
        &admin,
        second_id,
        Some("\"1\""),
        &json!({ "action": "resolve", "reason": "Resurfaced" }),
    );
    assert_eq!(resolved.status(), 200);
    assert_eq!(resolved.json::<Value>().unwrap()["state"], "resolved");
    let month_topics = topics(&server, &admin, &format!("month={m}"))["topics"].clone();
    assert_eq!(month_topics.as_array().unwrap().len(), 2);
}

fn bad_topic_input_is_refused_with_its_field(backend: Backend) {
    let server = TestServer::start(backend);
    write_history(&server);
    let m = last_month();
    let office_a = server.staff_token(Role::Dispatcher, street(A1));
    for (query, field) in [
        ("month=2026-13", "month"),
        ("month=26-11", "month"),
        ("month=2999-01", "month"),
        ("level=district", "level"),
        ("category=XX", "category"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
    ] {
        let body = problem(server.get_as(&office_a, &format!("/api/v1/warnings/topics?{query}")), 422);
        assert_eq!(
            (body["code"].as_str(), body["field"].as_str()),
            (Some("invalid_field"), Some(field)),
            "{query}"
        );
    }
    for query in ["colour=red", "month=2026-11&month=2026-10"] {
        let body = problem(server.get_as(&office_a, &format!("/api/v1/warnings/topics?{query}")), 400);
        assert_eq!(body["code"], "invalid_query", "{query}");
    }
    let good =
        json!({ "month": m.to_string(), "place": A1, "category": "E0101", "owner_unit": "landscaping" });
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    // Serde names a missing or unknown field; a wrong value of a known one it cannot name.
    for (body, code, field) in [
        (with("month", json!("2026-13")), "invalid_field", Some("month")),
        (with("month", json!("2999-01")), "invalid_field", Some("month")),
        (with("place", json!(&A1[..12])), "invalid_field", Some("place")),
        (with("place", json!("31010400100100x")), "invalid_field", Some("place")),
        (with("category", json!("E01")), "invalid_field", Some("category")),
        (with("category", json!("E0102")), "not_a_candidate", Some("place")),
        (with("owner_unit", json!("no-such-unit")), "unknown_unit", Some("owner_unit")),
        (with("owner_unit", json!(" ")), "owner_required", Some("owner_unit")),
        (without("owner_unit"), "owner_required", Some("owner_unit")),
        (with("note", json!("长".repeat(501))), "text_too_long", Some("note")),
        (with("level", json!("district")), "invalid_body", None),
        (with("colour", json!("red")), "invalid_body", Some("colour")),
        (without("place"), "invalid_body", Some("place")),
        (with("place", json!(12)), "invalid_body", None),
    ] {
        let answer = problem(adopt(&server, &office_a, &body), 422);
        assert_eq!((answer["code"].as_str(), answer["field"].as_str()), (Some(code), field), "{body}");
    }
    // A2's community, at the community level, is a candidate too; a cell code there is not.
    let community = json!({ "month": m.to_string(), "level": "community", "place": &A2[..12], "category": "E0101", "note": "x" });
    assert_eq!(adopt(&server, &office_a, &community).status(), 201);
    let wrong_level = json!({ "month": m.to_string(), "level": "community", "place": A2, "category": "E0101", "note": "x" });
    assert_eq!(problem(adopt(&server, &office_a, &wrong_level), 422)["field"], "place");
    // Steps: an unknown action, a missing topic, a malformed If-Match.
    let missing = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        step(&server, &office_a, &missing, Some("\"1\""), &json!({ "action": "resolve" })).status(),
        404
    );
    assert_eq!(server.get_as(&office_a, &format!("/api/v1/warnings/topics/{missing}")).status(), 404);
    let (_, id) = {
        let listed = topics(&server, &office_a, &format!("month={m}&level=community"));
        (listed.clone(), listed["topics"][0]["id"].as_str().unwrap().to_owned())
    };
    let bad_action =
        problem(step(&server, &office_a, &id, Some("\"1\""), &json!({ "action": "reopen" })), 422);
    assert_eq!(bad_action["code"], "invalid_body");
    assert_eq!(step(&server, &office_a, &id, Some("1"), &json!({ "action": "resolve" })).status(), 400);
}
