//! The hotline's calls (12345) over real HTTP on both backends: an operator takes a call
//! (`POST /api/v1/hotline/calls`) and it becomes a case with the channel `hotline`, the time
//! limit its type and urgency give, the call's urgency as the case's, the category's questions checked, the caller as the
//! reporter through the citizen account of their number (so the call-back finds them), and
//! the caller's number and name kept sealed and shown only to those who may see them; a
//! consultation is answered and closed on the call, a call for the police is transferred to
//! 110, a caller with a problem already reported is linked to that case, and a retried call
//! makes nothing twice. The gazetteer an address is found in is imported by the admin API
//! and the command line, and finds an address typed in part.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::store::Db;
use reqwest::blocking::Response;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, problem};
use crate::notifications::Office;

const CALLER: &str = "+8613912345678";

fn take_call(server: &TestServer, token: &str, key: &str, body: &Value) -> Response {
    server
        .client
        .post(server.url("/api/v1/hotline/calls"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .unwrap()
}

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A complaint about a missing manhole cover at the office's place, from a named caller.
fn complaint(office: &Office) -> Value {
    json!({
        "caller": { "phone": "139 1234 5678", "name": "王女士", "anonymous": false, "confidential": false },
        "call_type": "complaint",
        "urgency": "normal",
        "category": "C0101",
        "description": "Manhole cover missing outside number 12",
        "position": office.on_site(),
        "answers": { "cover_state": "missing" },
    })
}

fn calls_of(server: &TestServer, token: &str, case_id: &str) -> Response {
    server.get_as(token, &format!("/api/v1/hotline/calls/{case_id}"))
}

fn operator(server: &TestServer) -> String {
    server.staff_token(Role::Operator, Scope::City)
}

fn a_call_becomes_a_hotline_case_with_the_limit_of_its_type_and_urgency(backend: Backend) {
    let server = TestServer::start(backend);
    let office = Office::open(&server);
    let operator = operator(&server);

    // Every question of the category is asked: without its answer the call is refused.
    let mut unanswered = complaint(&office);
    unanswered["answers"] = json!({});
    let refused = problem(take_call(&server, &operator, &key(), &unanswered), 422);
    assert_eq!(refused["field"], "answers.cover_state", "{refused}");

    let call_key = key();
    let response = take_call(&server, &operator, &call_key, &complaint(&office));
    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().unwrap();
    assert_eq!(receipt["state"], "reported");
    assert_eq!(receipt["linked"], false);
    assert_eq!(receipt["handling_time_limit"], "5d", "a complaint: five working days");
    let case_id = receipt["case_id"].as_str().unwrap();

    let case: Value = server.get_as(&office.dispatcher, &format!("/api/v1/cases/{case_id}")).json().unwrap();
    assert_eq!(case["channel"], "hotline");
    assert_eq!(case["category"], "C0101");
    assert_eq!(case["state"], "reported");
    assert_eq!(case["urgency"], "normal", "the call's urgency is the case's");

    // A retry of the same call (a lost answer) gives the same case and records one call.
    let again = take_call(&server, &operator, &call_key, &complaint(&office));
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().unwrap()["case_id"], case_id);
    let calls: Value = calls_of(&server, &operator, case_id).json().unwrap();
    assert_eq!(calls["calls"].as_array().unwrap().len(), 1, "{calls}");
    assert_eq!(calls["calls"][0]["caller_phone"], CALLER);
    assert_eq!(calls["calls"][0]["caller_name"], "王女士");
    assert_eq!(calls["calls"][0]["call_type"], "complaint");

    // A very urgent call for help: at most two working hours, whatever the type's days.
    let mut urgent = complaint(&office);
    urgent["call_type"] = json!("help");
    urgent["urgency"] = json!("very_urgent");
    let receipt: Value = take_call(&server, &operator, &key(), &urgent).json().unwrap();
    assert_eq!(receipt["handling_time_limit"], "2h");
    let case_urgency = |receipt: &Value| {
        let path = format!("/api/v1/cases/{}", receipt["case_id"].as_str().unwrap());
        server.get_as(&office.dispatcher, &path).json::<Value>().unwrap()["urgency"].clone()
    };
    assert_eq!(case_urgency(&receipt), "very_urgent");
    // An urgent complaint: one working day, and an urgent case.
    urgent["call_type"] = json!("complaint");
    urgent["urgency"] = json!("urgent");
    let receipt: Value = take_call(&server, &operator, &key(), &urgent).json().unwrap();
    assert_eq!(receipt["handling_time_limit"], "1d");
    assert_eq!(case_urgency(&receipt), "urgent");
}

fn the_city_sets_the_hotline_limits(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_HOTLINE_LIMITS", "complaint=3d")]);
    let office = Office::open(&server);
    let receipt: Value = take_call(&server, &operator(&server), &key(), &complaint(&office)).json().unwrap();
    assert_eq!(receipt["handling_time_limit"], "3d");
}

fn the_caller_is_sealed_and_shown_only_to_who_may_see_it(backend: Backend) {
    let server = TestServer::start(backend);
    let office = Office::open(&server);
    let operator = operator(&server);
    let mut confidential = complaint(&office);
    confidential["caller"]["confidential"] = json!(true);
    let receipt: Value = take_call(&server, &operator, &key(), &confidential).json().unwrap();
    let case_id = receipt["case_id"].as_str().unwrap();

    // Nothing of the caller is stored as text.
    let db = Db::connect(&server.database_url, 1, std::time::Duration::from_secs(10)).unwrap();
    let mut conn = db.get().unwrap();
    use gridline_server::store::schema::hotline_calls;
    let (phone, name): (Option<String>, Option<String>) = hotline_calls::table
        .filter(hotline_calls::case_id.eq(case_id))
        .select((hotline_calls::caller_phone_sealed, hotline_calls::caller_name_sealed))
        .first(&mut *conn)
        .unwrap();
    let (phone, name) = (phone.unwrap(), name.unwrap());
    assert!(!phone.contains("13912345678") && !name.contains("王"), "sealed: {phone} {name}");

    // The hotline sees the caller; the street office sees the call but not a confidential
    // caller; handling units, inspectors, viewers and citizens get nothing.
    let seen: Value = calls_of(&server, &operator, case_id).json().unwrap();
    assert_eq!(seen["calls"][0]["caller_phone"], CALLER);
    let office_view: Value = calls_of(&server, &office.dispatcher, case_id).json().unwrap();
    assert_eq!(office_view["calls"][0]["confidential"], true);
    assert!(
        office_view["calls"][0]["caller_phone"].is_null() && office_view["calls"][0]["caller_name"].is_null()
    );
    let viewer = server.staff_token(Role::Viewer, Scope::City);
    for token in [&office.handler, &office.inspector, &viewer, &server.citizen_token()] {
        assert_eq!(calls_of(&server, token, case_id).status(), 403);
    }
    // Nor does the case itself carry the caller's number or name.
    let case = server.get_as(&office.dispatcher, &format!("/api/v1/cases/{case_id}")).text().unwrap();
    assert!(!case.contains("13912345678") && !case.contains("王女士"), "{case}");

    // The call-back list keeps a confidential caller's number within the hotline too.
    server.step(&office.dispatcher, case_id, &json!({ "action": "register" }));
    server.step(&office.dispatcher, case_id, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    server.step(&office.handler, case_id, &json!({ "action": "accept" }));
    let after = server.upload_photo(&office.handler);
    server.step(&office.handler, case_id, &json!({ "action": "mark_handled", "photo_ids": [after] }));
    server.step(&office.dispatcher, case_id, &json!({ "action": "close", "reason": "Cover replaced" }));
    let tasks = |token: &str| -> Value {
        let list: Value = server.get_as(token, "/api/v1/callbacks").json().unwrap();
        list["tasks"].as_array().unwrap().iter().find(|t| t["case_id"] == case_id).cloned().unwrap()
    };
    assert_eq!(tasks(&operator)["reporter_phone"], CALLER, "the operator calls the caller back");
    assert!(
        tasks(&office.dispatcher)["reporter_phone"].is_null(),
        "the street office does not see the number"
    );
}

fn bad_calls_are_refused_with_their_field(backend: Backend) {
    let server = TestServer::start(backend);
    let office = Office::open(&server);
    let operator = operator(&server);
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = complaint(&office);
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(&|b| b["caller"]["phone"] = json!("12")), "caller.phone"),
        (with(&|b| b["caller"]["anonymous"] = json!(true)), "caller.name"),
        (with(&|b| b["answer"] = json!("Opening hours are 9 to 5")), "answer"),
        (
            with(&|b| {
                b["call_type"] = json!("consultation");
                b["answer"] = json!("   ");
            }),
            "answer",
        ),
        (with(&|b| b["transfer"] = json!({ "to": "110", "reason": "" })), "transfer.reason"),
        (with(&|b| b["category"] = json!("Z9999")), "category"),
    ];
    for (body, field) in cases {
        let refused = problem(take_call(&server, &operator, &key(), &body), 422);
        assert_eq!(refused["field"], field, "{body} → {refused}");
    }
    let unknown_type = with(&|b| b["call_type"] = json!("gossip"));
    let response = take_call(&server, &operator, &key(), &unknown_type);
    assert!([400, 422].contains(&response.status().as_u16()), "{}", response.status());
    // An anonymous caller where the category wants a name.
    let anonymous = with(&|b| {
        b["caller"] = json!({ "phone": CALLER, "anonymous": true });
        b["category"] = json!("E0501");
        b["answers"] = json!({});
    });
    assert_eq!(problem(take_call(&server, &operator, &key(), &anonymous), 422)["field"], "anonymous");
    // Without an Idempotency-Key, or not as an operator.
    let no_key = server
        .client
        .post(server.url("/api/v1/hotline/calls"))
        .bearer_auth(&operator)
        .json(&complaint(&office))
        .send()
        .unwrap();
    assert_eq!(no_key.status(), 400);
    for token in [&office.dispatcher, &office.handler, &server.citizen_token()] {
        assert_eq!(take_call(&server, token, &key(), &complaint(&office)).status(), 403);
    }
}

fn a_consultation_is_closed_on_the_call_and_a_police_matter_transferred(backend: Backend) {
    let server = TestServer::start(backend);
    let office = Office::open(&server);
    let operator = operator(&server);

    let mut consultation = complaint(&office);
    consultation["call_type"] = json!("consultation");
    consultation["answer"] = json!("Bulky waste is collected on Saturdays; book on 12345.");
    let call_key = key();
    let receipt: Value = take_call(&server, &operator, &call_key, &consultation).json().unwrap();
    assert_eq!(receipt["state"], "closed");
    assert_eq!(receipt["handling_time_limit"], "1d");
    let case_id = receipt["case_id"].as_str().unwrap().to_owned();
    let timeline: Value =
        server.get_as(&office.dispatcher, &format!("/api/v1/cases/{case_id}/timeline")).json().unwrap();
    let text = timeline.to_string();
    assert!(text.contains("\"answer\"") && text.contains("Bulky waste is collected"), "{text}");
    // Retried: the same closed case, one answer.
    let again: Value = take_call(&server, &operator, &call_key, &consultation).json().unwrap();
    assert_eq!(
        (again["case_id"].as_str(), again["state"].as_str()),
        (Some(case_id.as_str()), Some("closed"))
    );
    let timeline: Value =
        server.get_as(&office.dispatcher, &format!("/api/v1/cases/{case_id}/timeline")).json().unwrap();
    assert_eq!(timeline.to_string().matches("Bulky waste is collected").count(), 1, "{timeline}");
    // An answered consultation is no call-back task.
    let tasks: Value = server.get_as(&operator, "/api/v1/callbacks").json().unwrap();
    assert!(tasks["tasks"].as_array().unwrap().iter().all(|t| t["case_id"] != case_id.as_str()));

    let mut fight = complaint(&office);
    fight["call_type"] = json!("help");
    fight["urgency"] = json!("very_urgent");
    fight["transfer"] = json!({ "to": "110", "reason": "A fight in the street, people hurt" });
    let receipt: Value = take_call(&server, &operator, &key(), &fight).json().unwrap();
    assert_eq!(receipt["state"], "closed");
    assert_eq!(receipt["transferred_to"], "110");
    let case_id = receipt["case_id"].as_str().unwrap();
    let calls: Value = calls_of(&server, &operator, case_id).json().unwrap();
    assert_eq!(calls["calls"][0]["transferred_to"], "110");
    let timeline: Value =
        server.get_as(&office.dispatcher, &format!("/api/v1/cases/{case_id}/timeline")).json().unwrap();
    assert!(timeline.to_string().contains("\"transfer\""), "{timeline}");

    // Only an operator answers or transfers, and only a fresh call.
    let open: Value = take_call(&server, &operator, &key(), &complaint(&office)).json().unwrap();
    let open_id = open["case_id"].as_str().unwrap();
    let refused = server
        .client
        .post(server.url(&format!("/api/v1/cases/{open_id}/actions")))
        .bearer_auth(&office.dispatcher)
        .header("if-match", "\"1\"")
        .json(&json!({ "action": "transfer", "reason": "not ours" }))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 403);
    server.step(&office.dispatcher, open_id, &json!({ "action": "register" }));
    let late = server
        .client
        .post(server.url(&format!("/api/v1/cases/{open_id}/actions")))
        .bearer_auth(&operator)
        .header("if-match", "\"2\"")
        .json(&json!({ "action": "answer", "reason": "too late" }))
        .send()
        .unwrap();
    assert_eq!(late.status(), 409);
}

fn a_caller_with_the_same_problem_is_linked_to_the_open_case(backend: Backend) {
    let server = TestServer::start(backend);
    let office = Office::open(&server);
    let operator = operator(&server);
    let first: Value = take_call(&server, &operator, &key(), &complaint(&office)).json().unwrap();
    let number = first["tracking_number"].as_str().unwrap();

    // The open reports of the category near the place, as the console offers them.
    let position = office.on_site();
    let nearby: Value = server
        .get(&format!("/api/v1/public/nearby?category=C0101&lat={}&lon={}", position["lat"], position["lon"]))
        .json()
        .unwrap();
    assert!(nearby.to_string().contains(number), "{nearby}");

    let mut second = complaint(&office);
    second["caller"] = json!({ "phone": "13800138000", "name": "李先生" });
    second["same_as"] = json!(number);
    let response = take_call(&server, &operator, &key(), &second);
    assert_eq!(response.status(), 200);
    let linked: Value = response.json().unwrap();
    assert_eq!(
        (linked["linked"].as_bool(), linked["case_id"].as_str()),
        (Some(true), first["case_id"].as_str())
    );
    let calls: Value = calls_of(&server, &operator, first["case_id"].as_str().unwrap()).json().unwrap();
    let phones: Vec<&str> =
        calls["calls"].as_array().unwrap().iter().map(|c| c["caller_phone"].as_str().unwrap()).collect();
    assert_eq!(phones, [CALLER, "+8613800138000"]);

    // Not to a closed case, nor to one that does not exist.
    let mut consultation = complaint(&office);
    consultation["call_type"] = json!("consultation");
    consultation["answer"] = json!("Answered");
    let closed: Value = take_call(&server, &operator, &key(), &consultation).json().unwrap();
    second["same_as"] = closed["tracking_number"].clone();
    assert_eq!(problem(take_call(&server, &operator, &key(), &second), 409)["code"], "case_not_open");
    second["same_as"] = json!("GL-000000-NOSUCH");
    assert_eq!(take_call(&server, &operator, &key(), &second).status(), 404);

    // The statistics count the calls taken, the linked one too: three calls, two cases.
    let now = server.clock.now();
    let window = format!(
        "from={}&to={}&group_by=channel",
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let stats: Value = server.get_as(&office.dispatcher, &format!("/api/v1/stats?{window}")).json().unwrap();
    let hotline = stats["groups"].as_array().unwrap().iter().find(|g| g["key"] == "hotline").unwrap();
    assert_eq!(
        (hotline["hotline_calls"].as_u64(), hotline["received"].as_u64()),
        (Some(3), Some(2)),
        "{stats}"
    );
}

fn import_gazetteer(server: &TestServer, token: &str, content_type: &str, body: &str) -> Response {
    server
        .client
        .post(server.url("/api/v1/admin/gazetteer"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .unwrap()
}

fn places(server: &TestServer, token: &str, typed: &str) -> Vec<String> {
    let response = server
        .client
        .get(server.url("/api/v1/hotline/places"))
        .query(&[("q", typed)])
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{typed}");
    let found: Value = response.json().unwrap();
    found["places"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
}

fn the_gazetteer_finds_an_address_typed_in_part(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let operator = operator(&server);
    let csv = "name,lat,lon,kind\n人民路12号,31.2301,121.4701,address\n人民路120号,31.2311,121.4711,address\n\"Renmin Road, No. 12\",31.2302,121.4702,address\n";
    let imported: Value = import_gazetteer(&server, &admin, "text/csv", csv).json().unwrap();
    assert_eq!((imported["imported"].as_i64(), imported["total"].as_i64()), (Some(3), Some(3)));
    let geojson = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"LineString","coordinates":[[121.46,31.22],[121.47,31.23],[121.48,31.24]]},"properties":{"name":"人民路（西藏路—河南路）"}}]}"#;
    let imported: Value = import_gazetteer(&server, &admin, "application/geo+json", geojson).json().unwrap();
    assert_eq!(imported["total"], 4);

    // Partial input, with and without spaces, full-width digits, any case: shortest first.
    assert_eq!(places(&server, &operator, "人民路 12"), ["人民路12号", "人民路120号"]);
    assert_eq!(places(&server, &operator, "人民路１２号"), ["人民路12号"]);
    assert_eq!(places(&server, &operator, "renmin 12"), ["Renmin Road, No. 12"]);
    assert_eq!(places(&server, &operator, "西藏路"), ["人民路（西藏路—河南路）"]);
    assert!(places(&server, &operator, "南京路").is_empty());
    assert!(places(&server, &operator, "%").is_empty(), "a wildcard typed is only text");

    // Imported again by name: replaced, not doubled. A bad file changes nothing.
    let again = "name,lat,lon\n人民路12号,31.2305,121.4705\n";
    assert_eq!(import_gazetteer(&server, &admin, "text/csv", again).json::<Value>().unwrap()["total"], 4);
    let bad = import_gazetteer(
        &server,
        &admin,
        "text/csv",
        "name,lat,lon\n北京路1号,31.2,121.4\n,31,121\nX,abc,1\n",
    );
    let refused = problem(bad, 422);
    assert_eq!(refused["code"], "invalid_gazetteer");
    assert!(places(&server, &operator, "北京路").is_empty());
    assert_eq!(import_gazetteer(&server, &admin, "text/plain", "x").status(), 415);
    assert_eq!(import_gazetteer(&server, &operator, "text/csv", csv).status(), 403);
    let citizen = server.citizen_token();
    let response =
        server.client.get(server.url("/api/v1/hotline/places?q=x")).bearer_auth(&citizen).send().unwrap();
    assert_eq!(response.status(), 403);

    // The command line imports the same way, into the server's database.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roads.csv");
    std::fs::write(&file, "name,lat,lon,kind\n淮海中路,31.2201,121.4601,road\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gridline"))
        .args(["gazetteer", "import", file.to_str().unwrap(), "--database-url", &server.database_url])
        .env("GRIDLINE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("imported 1 gazetteer entries; 5 in the gazetteer"), "{stdout}");
    assert_eq!(places(&server, &operator, "淮海"), ["淮海中路"]);
}

fn hotline_codes_map_to_categories_by_the_citys_table(backend: Backend) {
    let server = TestServer::start(backend);
    let office = Office::open(&server);
    let (admin, operator) = (server.admin_token(), operator(&server));
    let listed: Value = server.get_as(&operator, "/api/v1/hotline/codes").json().unwrap();
    let manholes = listed["codes"].as_array().unwrap().iter().find(|c| c["code"] == "0201").unwrap();
    assert_eq!(manholes["category_code"], "C0101", "the shipped mapping");

    // A call named by its hotline code is filed under the mapped category, its questions asked.
    let mut by_code = complaint(&office);
    by_code.as_object_mut().unwrap().remove("category");
    by_code["hotline_code"] = json!("0201");
    let receipt: Value = take_call(&server, &operator, &key(), &by_code).json().unwrap();
    let case: Value = server
        .get_as(&office.dispatcher, &format!("/api/v1/cases/{}", receipt["case_id"].as_str().unwrap()))
        .json()
        .unwrap();
    assert_eq!(case["category"], "C0101");
    let calls: Value = calls_of(&server, &operator, receipt["case_id"].as_str().unwrap()).json().unwrap();
    assert_eq!(calls["calls"][0]["hotline_code"], "0201");
    let mut disagreeing = by_code.clone();
    disagreeing["category"] = json!("E0101");
    assert_eq!(problem(take_call(&server, &operator, &key(), &disagreeing), 422)["field"], "category");
    by_code["hotline_code"] = json!("7777");
    assert_eq!(problem(take_call(&server, &operator, &key(), &by_code), 422)["field"], "hotline_code");
    by_code.as_object_mut().unwrap().remove("hotline_code");
    assert_eq!(problem(take_call(&server, &operator, &key(), &by_code), 422)["field"], "category");

    // The city edits the table.
    let put = |token: &str, code: &str, body: Value| {
        server
            .client
            .put(server.url(&format!("/api/v1/admin/hotline-codes/{code}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap()
    };
    let fallen = json!({ "name_zh": "园林绿化-断枝", "name_en": "Greenery: broken branches", "category_code": "E0506" });
    assert_eq!(put(&admin, "0502", fallen.clone()).status(), 201);
    let mut moved = fallen.clone();
    moved["category_code"] = json!("C0402");
    assert_eq!(put(&admin, "0502", moved).status(), 200);
    let listed: Value = server.get_as(&operator, "/api/v1/hotline/codes").json().unwrap();
    assert!(
        listed["codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "0502" && c["category_code"] == "C0402")
    );
    let mut unknown = fallen.clone();
    unknown["category_code"] = json!("E0999");
    assert_eq!(problem(put(&admin, "0502", unknown), 422)["field"], "category_code");
    assert_eq!(problem(put(&admin, "05a2", fallen.clone()), 422)["field"], "code");
    assert_eq!(put(&operator, "0502", fallen).status(), 403);
    let delete = |code: &str| {
        server
            .client
            .delete(server.url(&format!("/api/v1/admin/hotline-codes/{code}")))
            .bearer_auth(&admin)
            .send()
            .unwrap()
    };
    assert_eq!(delete("0502").status(), 204);
    assert_eq!(delete("0502").status(), 404);
}

crate::both_backends!(
    hotline_codes_map_to_categories_by_the_citys_table,
    the_gazetteer_finds_an_address_typed_in_part,
    a_call_becomes_a_hotline_case_with_the_limit_of_its_type_and_urgency,
    the_city_sets_the_hotline_limits,
    the_caller_is_sealed_and_shown_only_to_who_may_see_it,
    bad_calls_are_refused_with_their_field,
    a_consultation_is_closed_on_the_call_and_a_police_matter_transferred,
    a_caller_with_the_same_problem_is_linked_to_the_open_case,
    the_consoles_form_offers_cores_choices_each_of_which_a_call_takes,
);

/// The console fills its call type, urgency and transfer lists from `GET /api/v1/hotline/form`
/// (core's order and words), and a call accepts every value offered.
fn the_consoles_form_offers_cores_choices_each_of_which_a_call_takes(backend: Backend) {
    use gridline_core::workflow::hotline::{CallType, TransferTo, Urgency};
    let server = TestServer::start(backend);
    let office = Office::open(&server);
    let operator = operator(&server);
    let form: Value = server.get_as(&operator, "/api/v1/hotline/form").json().unwrap();
    let values = |list: &str| -> Vec<String> {
        form[list].as_array().unwrap().iter().map(|c| c["value"].as_str().unwrap().to_owned()).collect()
    };
    let names = |all: Vec<&str>| all.into_iter().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(values("call_types"), names(CallType::ALL.iter().map(|t| t.as_str()).collect()));
    assert_eq!(values("urgencies"), names(Urgency::ALL.iter().map(|u| u.as_str()).collect()));
    assert_eq!(values("transfers"), names(TransferTo::ALL.iter().map(|t| t.as_str()).collect()));
    assert_eq!(form["urgencies"][2], json!({ "value": "very_urgent", "zh": "特急", "en": "Very urgent" }));
    assert_eq!(
        (form["default_call_type"].as_str(), form["default_urgency"].as_str()),
        (Some("complaint"), Some("normal"))
    );
    for call_type in values("call_types") {
        for urgency in values("urgencies") {
            let mut call = complaint(&office);
            call["call_type"] = json!(call_type);
            call["urgency"] = json!(urgency);
            let taken = take_call(&server, &operator, &key(), &call);
            assert!(taken.status().is_success(), "{call_type} {urgency}: {}", taken.text().unwrap());
        }
    }
    let citizen = server.citizen_token();
    problem(server.get_as(&citizen, "/api/v1/hotline/form"), 403);
    problem(server.get("/api/v1/hotline/form"), 401);
}
