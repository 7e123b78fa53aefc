//! Call-backs (回访) over real HTTP on both backends: after a case closes, the operators of its
//! area find it in `GET /api/v1/callbacks` with the reporter's number, record the answer with
//! the `call_back` step, and a dissatisfied answer sends the case back for rework by the
//! city's rule: at once to its handling unit (`GRIDLINE_CALLBACK_REWORK=automatic`), or left
//! closed for the street office to reopen (`dispatcher`), after which the next closing is
//! called back again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Backend, TestServer, problem};
use crate::notifications::{Office, Receivers};

use chrono::{DateTime, Utc};
use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use reqwest::blocking::Response;
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// A case of `reporter` taken from report to closed by the office; its id.
fn closed_case(server: &TestServer, office: &Office, reporter: &str) -> String {
    let id = office.report(server, reporter, "E0101")["id"].as_str().unwrap().to_owned();
    close(server, office, &id, true);
    id
}

/// Takes the case from `registered` (or from `reported` when `register`) to closed.
fn close(server: &TestServer, office: &Office, id: &str, register: bool) {
    if register {
        server.step(&office.dispatcher, id, &json!({ "action": "register" }));
    }
    server.step(&office.dispatcher, id, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    server.step(&office.handler, id, &json!({ "action": "accept" }));
    let after = server.upload_photo(&office.handler);
    server.step(&office.handler, id, &json!({ "action": "mark_handled", "photo_ids": [after] }));
    let check = server.upload_photo(&office.inspector);
    server.step(
        &office.inspector,
        id,
        &json!({ "action": "verify_pass", "photo_ids": [check], "position": office.on_site() }),
    );
}

fn tasks(server: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let response = server.get_as(token, &format!("/api/v1/callbacks{query}"));
    assert_eq!(response.status(), 200);
    response.json::<Value>().unwrap()["tasks"].as_array().unwrap().clone()
}

fn ids(tasks: &[Value]) -> Vec<&str> {
    tasks.iter().map(|t| t["case_id"].as_str().unwrap()).collect()
}

/// Whether the case view offers `token` the call-back.
fn offers_call_back(server: &TestServer, token: &str, id: &str) -> bool {
    let case: Value = server.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap();
    case["available_actions"].as_array().unwrap().contains(&json!("call_back"))
}

/// The `call_back` step as `token` at the case's current version.
fn call_back(server: &TestServer, token: &str, id: &str, body: Value) -> Response {
    let case: Value = server.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap();
    let mut body = body;
    body["action"] = json!("call_back");
    server
        .client
        .post(server.url(&format!("/api/v1/cases/{id}/actions")))
        .bearer_auth(token)
        .header("if-match", format!("\"{}\"", case["version"]))
        .json(&body)
        .send()
        .unwrap()
}

/// The server, its office, an operator of the office's street and one of another street, and a
/// reporter who signed in by phone.
fn hotline(backend: Backend, rule: &str) -> (Receivers, TestServer, Office, String, String, String) {
    let receivers = Receivers::start();
    let server = receivers.start_server_with(backend, &[("GRIDLINE_CALLBACK_REWORK", rule)]);
    server.clock.set(at("2026-12-03T02:00:00Z"));
    let office = Office::open(&server);
    let operator = server.staff_token(Role::Operator, Scope::Street { street: office.street });
    let elsewhere = AreaCode::parse("310104999").unwrap();
    let other_operator = server.staff_token(Role::Operator, Scope::Street { street: elsewhere });
    let reporter = receivers.citizen_by_phone(&server, "13800138000");
    (receivers, server, office, operator, other_operator, reporter)
}

fn a_dissatisfied_call_back_reworks_the_case_at_once(backend: Backend) {
    let (_receivers, server, office, operator, other_operator, reporter) = hotline(backend, "automatic");
    let fixed = closed_case(&server, &office, &reporter);
    let not_fixed = closed_case(&server, &office, &reporter);
    // Nobody to call: a report from an account without a number, and an anonymous one.
    let device_account = server.citizen_token();
    closed_case(&server, &office, &device_account);
    let anonymous = server.report_as(
        &reporter,
        &json!({
            "category": "E0101", "description": "Overflowing bin", "anonymous": true,
            "position": office.on_site(),
        }),
    );
    close(&server, &office, anonymous["id"].as_str().unwrap(), true);

    let due = tasks(&server, &operator, "");
    assert_eq!(
        ids(&due),
        [fixed.as_str(), not_fixed.as_str()],
        "oldest closing first, callable reporters only"
    );
    assert_eq!(due[0]["reporter_phone"], "+8613800138000");
    assert_eq!(due[0]["state"], "closed");
    assert_eq!(due[0]["closed_at"], "2026-12-03T02:00:00.000Z");
    assert!(tasks(&server, &other_operator, "").is_empty(), "another street's operator");
    assert_eq!(ids(&tasks(&server, &office.dispatcher, "")), ids(&due), "the street office sees them too");

    // Refusals: an answer is needed, only an operator calls back, once per closing.
    let missing = problem(call_back(&server, &operator, &fixed, json!({})), 422);
    assert_eq!(
        (missing["code"].as_str(), missing["field"].as_str()),
        (Some("satisfaction_required"), Some("satisfaction"))
    );
    let unknown = call_back(&server, &operator, &fixed, json!({ "satisfaction": "thrilled" }));
    assert!(matches!(unknown.status().as_u16(), 400 | 422), "{}", unknown.status());
    let dispatcher =
        problem(call_back(&server, &office.dispatcher, &fixed, json!({ "satisfaction": "satisfied" })), 403);
    assert_eq!(dispatcher["code"], "not_allowed_for_role");
    let outsider =
        problem(call_back(&server, &other_operator, &fixed, json!({ "satisfaction": "satisfied" })), 403);
    assert_eq!(outsider["code"], "out_of_scope");

    assert!(offers_call_back(&server, &operator, &fixed), "the case view offers the call-back while due");
    let answered = call_back(
        &server,
        &operator,
        &fixed,
        json!({ "satisfaction": "satisfied", "resolved": true, "note": "thanks the team" }),
    );
    assert_eq!(answered.status(), 200);
    let answered: Value = answered.json().unwrap();
    assert_eq!(answered["state"], "closed");
    assert!(
        !answered["available_actions"].as_array().unwrap().contains(&json!("call_back")),
        "made: not offered again, {}",
        answered["available_actions"]
    );
    assert!(!offers_call_back(&server, &operator, &fixed), "nor in a fresh read of the case");
    let again =
        problem(call_back(&server, &operator, &fixed, json!({ "satisfaction": "dissatisfied" })), 409);
    assert_eq!(again["code"], "already_called_back");
    let timeline: Value =
        server.get_as(&office.dispatcher, &format!("/api/v1/cases/{fixed}/timeline")).json().unwrap();
    let recorded = timeline["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(recorded["kind"], "call_back");
    assert_eq!(recorded["actor"]["role"], "operator");
    assert_eq!(recorded["details"]["satisfaction"], "satisfied");
    assert_eq!(recorded["details"]["resolved"], true);
    assert_eq!(recorded["note"], "thanks the team");

    let reworked = call_back(
        &server,
        &operator,
        &not_fixed,
        json!({ "satisfaction": "dissatisfied", "note": "still overflowing" }),
    );
    assert_eq!(reworked.status(), 200);
    let reworked: Value = reworked.json().unwrap();
    assert_eq!(reworked["state"], "dispatched", "back to the unit at once");
    assert_eq!(reworked["handling_unit"], "sanitation");
    assert!(reworked["deadline"].is_string(), "a fresh deadline");
    assert!(tasks(&server, &operator, "").is_empty());
    let made = tasks(&server, &operator, "?done=true");
    assert_eq!(ids(&made), [not_fixed.as_str(), fixed.as_str()], "newest call-back first");
    assert_eq!(made[0]["satisfaction"], "dissatisfied");
    assert_eq!(made[0]["state"], "dispatched");
    assert_eq!(made[0]["resolved"], Value::Null, "the second question was not asked");
    assert_eq!(made[1]["resolved"], true);
    assert_eq!(
        ids(&tasks(&server, &office.dispatcher, "?done=true&satisfaction=dissatisfied")),
        [not_fixed.as_str()]
    );
    // The reporter hears that their case was taken up again, with its tracking number.
    let tracking = reworked["tracking_number"].as_str().unwrap().to_owned();
    let reopened = wait_for_notice(&server, &office.dispatcher, &not_fixed, "reopened");
    assert!(reopened["text"].as_str().unwrap().contains(&tracking), "{reopened}");
    server.step(&office.handler, &not_fixed, &json!({ "action": "accept" }));
}

/// Waits for the case's notification log to show a notice of `change`; that notice.
fn wait_for_notice(server: &TestServer, token: &str, id: &str, change: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let log: Value = server.get_as(token, &format!("/api/v1/cases/{id}/notifications")).json().unwrap();
        let found =
            log["entries"].as_array().and_then(|all| all.iter().find(|n| n["change"] == change).cloned());
        if let Some(found) = found {
            return found;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "no {change} notice: {log}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn the_street_office_decides_and_the_next_closing_is_called_back(backend: Backend) {
    let (_receivers, server, office, operator, _other, reporter) = hotline(backend, "dispatcher");
    let id = closed_case(&server, &office, &reporter);
    let answered = call_back(
        &server,
        &operator,
        &id,
        json!({ "satisfaction": "dissatisfied", "note": "bin still full" }),
    );
    assert_eq!(answered.status(), 200);
    assert_eq!(answered.json::<Value>().unwrap()["state"], "closed", "left to the street office");
    let to_decide = tasks(&server, &office.dispatcher, "?done=true&satisfaction=dissatisfied");
    assert_eq!(ids(&to_decide), [id.as_str()]);
    assert_eq!(to_decide[0]["state"], "closed");
    assert!(tasks(&server, &office.dispatcher, "?done=true&satisfaction=satisfied").is_empty());

    server.step(
        &office.dispatcher,
        &id,
        &json!({ "action": "reopen", "reason": "the reporter is not satisfied" }),
    );
    assert!(!offers_call_back(&server, &operator, &id), "reopened: nothing to call back");
    close(&server, &office, &id, false);
    let due = tasks(&server, &operator, "");
    assert_eq!(ids(&due), [id.as_str()], "the second closing is called back again");
    assert!(offers_call_back(&server, &operator, &id), "and the case view offers it again");
    let answered = call_back(&server, &operator, &id, json!({ "satisfaction": "basically_satisfied" }));
    assert_eq!(answered.status(), 200);
    assert!(tasks(&server, &operator, "").is_empty());
    assert_eq!(tasks(&server, &operator, "?done=true").len(), 2);
}

fn the_lists_refuse_bad_input_and_other_roles(backend: Backend) {
    let (_receivers, server, office, operator, _other, reporter) = hotline(backend, "automatic");
    for query in ["?satisfaction=dissatisfied", "?done=true&limit=0", "?done=true&limit=201"] {
        let refused = problem(server.get_as(&operator, &format!("/api/v1/callbacks{query}")), 422);
        assert_eq!(refused["code"], "invalid_field", "{query}");
    }
    for query in ["?done=true&satisfaction=thrilled", "?colour=red", "?done=maybe"] {
        let status = server.get_as(&operator, &format!("/api/v1/callbacks{query}")).status().as_u16();
        assert!(matches!(status, 400 | 422), "{query}: {status}");
    }
    for token in [&office.handler, &office.inspector, &reporter] {
        assert_eq!(problem(server.get_as(token, "/api/v1/callbacks"), 403)["code"], "forbidden");
    }
    assert_eq!(problem(server.get("/api/v1/callbacks"), 401)["status"], 401);
}

both_backends!(
    a_dissatisfied_call_back_reworks_the_case_at_once,
    the_street_office_decides_and_the_next_closing_is_called_back,
    the_lists_refuse_bad_input_and_other_roles,
);
