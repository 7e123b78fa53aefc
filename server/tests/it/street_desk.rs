//! The street office's desk on both backends: handling units as data (the admin API and the
//! command line create, edit, retire and reinstate them; dispatch accepts only active units; a
//! handler account needs an active unit; the categories a unit handles suggest it at dispatch).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::{Value, json};

use crate::case_service::{Street, beijing};
use crate::common::{Backend, TestServer, demo_cells, point_in, problem};
use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;

both_backends!(
    units_are_data_the_admin_manages_and_dispatch_accepts_only_active_ones,
    a_unit_is_suggested_by_the_categories_it_handles_and_its_area,
    units_are_managed_from_the_command_line,
    a_case_is_found_by_its_tracking_number_wherever_an_id_is_taken,
    cases_are_searched_by_text_in_chinese_and_english_with_the_filters,
    if_match_is_strict_and_api_key_times_are_rfc_3339,
    the_case_list_is_exported_as_csv_and_json_lines_in_scope,
    coverage_lists_uncovered_cells_and_idle_inspectors_and_the_street_assigns_cells,
    everyone_changes_their_own_password,
    device_accounts_are_listed_apart_from_staff,
    a_street_office_keeps_its_own_inspectors_and_handlers,
    a_reset_gives_a_one_time_password_changed_at_the_next_sign_in,
);

fn admin_send(
    server: &TestServer,
    admin: &str,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> reqwest::blocking::Response {
    server.client.request(method, server.url(path)).bearer_auth(admin).json(body).send().unwrap()
}

fn codes(list: &Value) -> Vec<String> {
    list["units"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap().to_owned()).collect()
}

fn units_are_data_the_admin_manages_and_dispatch_accepts_only_active_ones(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let server = &street.server;
    let admin = server.admin_token();
    let shipped: Value = server.get("/api/v1/units").json().unwrap();
    let taxonomy = gridline_core::taxonomy::Taxonomy::default_taxonomy().unwrap();
    assert_eq!(codes(&shipped).len(), taxonomy.units().len(), "the shipped units are seeded");
    let sanitation = shipped["units"].as_array().unwrap().iter().find(|u| u["code"] == "sanitation").unwrap();
    assert!(sanitation["categories"].as_array().unwrap().contains(&json!("E0101")));
    assert_eq!((sanitation["active"].clone(), sanitation["area"].clone()), (json!(true), json!(null)));

    // Created by the admin only, with its fields checked.
    let depot = json!({ "code": "bins-west", "zh": "西区环卫所", "en": "West sanitation depot",
                        "contact": "010-6500 1234", "categories": ["E0101"] });
    let post = |token: &str, body: &Value| {
        admin_send(server, token, reqwest::Method::POST, "/api/v1/admin/units", body)
    };
    assert_eq!(problem(post(&street.dispatcher, &depot), 403)["code"], "forbidden");
    let created = post(&admin, &depot);
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    assert_eq!(
        (created["contact"].clone(), created["active"].clone()),
        (json!("010-6500 1234"), json!(true))
    );
    assert_eq!(problem(post(&admin, &depot), 409)["code"], "unit_exists");
    for (bad, field) in [
        (json!({ "code": "Bins West", "zh": "x", "en": "x" }), "code"),
        (json!({ "code": "bins-east", "zh": " ", "en": "x" }), "zh"),
        (json!({ "code": "bins-east", "zh": "x", "en": "x", "categories": ["E9999"] }), "categories"),
        (json!({ "code": "bins-east", "zh": "x", "en": "x", "area": "110101001001" }), "area"),
    ] {
        assert_eq!(problem(post(&admin, &bad), 422)["field"], field, "{bad}");
    }
    assert_eq!(problem(post(&admin, &json!({ "code": "x", "zh": "x" })), 422)["field"], "en");

    // A handler account only for an active unit.
    let handler = |unit: &str| {
        admin_send(
            server,
            &admin,
            reqwest::Method::POST,
            "/api/v1/admin/users",
            &json!({
            "login": format!("h-{unit}-{}", &uuid::Uuid::new_v4().simple().to_string()[..6]),
            "display_name": "Handler", "role": "handler", "scope": { "kind": "unit", "unit": unit } }),
        )
    };
    let refused = problem(handler("no-such-unit"), 422);
    assert_eq!((refused["code"].clone(), refused["field"].clone()), (json!("unknown_unit"), json!("scope")));
    assert_eq!(handler("bins-west").status(), 201);

    // Dispatch to the new unit; then retire it: its case keeps naming it, a new dispatch is refused.
    let dispatched = server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": "bins-west" }),
    );
    assert_eq!(dispatched["handling_unit"], "bins-west");
    let patch = |code: &str, body: &Value| {
        admin_send(server, &admin, reqwest::Method::PATCH, &format!("/api/v1/admin/units/{code}"), body)
    };
    let retired: Value = patch("bins-west", &json!({ "active": false, "contact": "closed" })).json().unwrap();
    assert_eq!(retired["active"], false);
    let retired_at = retired["retired_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(retired_at).is_ok(), "{retired_at}");
    assert!(!codes(&server.get("/api/v1/units").json().unwrap()).contains(&"bins-west".to_owned()));
    let all: Value = server.get_as(&admin, "/api/v1/admin/units").json().unwrap();
    assert!(codes(&all).contains(&"bins-west".to_owned()), "a retired unit is kept");
    assert_eq!(street.case(&street.dispatcher)["handling_unit"], "bins-west", "its case keeps its history");
    assert_eq!(problem(handler("bins-west"), 422)["code"], "unknown_unit");
    let delete =
        admin_send(server, &admin, reqwest::Method::DELETE, "/api/v1/admin/units/bins-west", &json!({}));
    assert_eq!(problem(delete, 409)["code"], "units_are_retired");
    assert_eq!(problem(patch("nowhere", &json!({ "active": false })), 404)["code"], "not_found");
    assert_eq!(problem(patch("sanitation", &json!({ "area": "12" })), 422)["field"], "area");

    // A re-dispatch to a retired unit is refused (with or without an Idempotency-Key).
    patch("water", &json!({ "active": false }));
    let to_water = json!({ "action": "dispatch", "handling_unit": "water" });
    let refused = problem(street.post(&street.dispatcher, &to_water, None), 422);
    assert_eq!(
        (refused["code"].clone(), refused["field"].clone()),
        (json!("unit_retired"), json!("handling_unit"))
    );
    let key = uuid::Uuid::now_v7().to_string();
    assert_eq!(problem(street.post(&street.dispatcher, &to_water, Some(&key)), 422)["code"], "unit_retired");
    assert_eq!(street.case(&street.dispatcher)["handling_unit"], "bins-west");

    // Reinstated, it is taken again.
    let back: Value = patch("water", &json!({ "active": true })).json().unwrap();
    assert_eq!((back["active"].clone(), back["retired_at"].clone()), (json!(true), json!(null)));
    let redispatched = server.step(&street.dispatcher, &street.case_id, &to_water);
    assert_eq!(redispatched["handling_unit"], "water");
}

fn a_unit_is_suggested_by_the_categories_it_handles_and_its_area(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = crate::common::demo_cells(4);
    server.import_grid(&admin, "310104", &cells);
    let grid = cells[0].code.to_string();
    let street = &grid[..9];
    let district = &grid[..6];
    let suggested = |query: &str| -> Value {
        let list: Value = server.get(&format!("/api/v1/units?{query}")).json().unwrap();
        list["suggested"].clone()
    };
    assert_eq!(suggested("category=E0101"), "sanitation", "the shipped unit handling it");
    assert_eq!(suggested(&format!("category=E0101&grid={grid}")), "sanitation");
    for (code, area) in [("bins-district", district), ("bins-street", street)] {
        let body = json!({ "code": code, "zh": "环卫", "en": "Bins", "categories": ["E0101"], "area": area });
        assert_eq!(
            admin_send(&server, &admin, reqwest::Method::POST, "/api/v1/admin/units", &body).status(),
            201
        );
    }
    assert_eq!(suggested(&format!("category=E0101&grid={grid}")), "bins-street", "the most local unit");
    assert_eq!(suggested("category=E0101"), "sanitation", "without a place, a city-wide unit");
    let elsewhere = "110101001001001";
    assert_eq!(suggested(&format!("category=E0101&grid={elsewhere}")), "sanitation");
    // No unit handles it any more: the category's default unit, while it is active.
    let patch = |code: &str, body: Value| {
        admin_send(&server, &admin, reqwest::Method::PATCH, &format!("/api/v1/admin/units/{code}"), &body)
    };
    for code in ["bins-district", "bins-street"] {
        assert_eq!(patch(code, json!({ "categories": [] })).status(), 200);
    }
    assert_eq!(patch("sanitation", json!({ "categories": ["E0102"] })).status(), 200);
    assert_eq!(suggested("category=E0101"), "sanitation", "the default unit");
    assert_eq!(patch("sanitation", json!({ "active": false })).status(), 200);
    assert_eq!(suggested("category=E0101"), Value::Null, "a retired unit is never suggested");
    assert_eq!(problem(server.get("/api/v1/units?category=nope"), 422)["field"], "category");
    assert_eq!(problem(server.get("/api/v1/units?grid=12"), 422)["field"], "grid");
}

fn gridline_unit(server: &TestServer, args: &[&str]) -> std::process::Output {
    let data_dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_gridline"))
        .arg("unit")
        .args(args)
        .env_clear()
        .env("GRIDLINE_ENV", "development")
        .env("GRIDLINE_DATA_DIR", data_dir.path())
        .env("DATABASE_URL", &server.database_url)
        .output()
        .unwrap()
}

fn units_are_managed_from_the_command_line(backend: Backend) {
    let server = TestServer::start(backend);
    let added = gridline_unit(
        &server,
        &[
            "add",
            "--code",
            "bins-west",
            "--zh",
            "西区环卫所",
            "--en",
            "West depot",
            "--category",
            "E0101",
            "--area",
            "310104001",
        ],
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let bad =
        gridline_unit(&server, &["add", "--code", "bins-east", "--zh", "x", "--en", "x", "--category", "Z1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("categories"));
    assert_eq!(gridline_unit(&server, &["retire", "--code", "bins-west"]).status.code(), Some(0));
    assert_eq!(gridline_unit(&server, &["retire", "--code", "nowhere"]).status.code(), Some(2));
    let listed = String::from_utf8_lossy(&gridline_unit(&server, &["list"]).stdout).into_owned();
    let line = listed.lines().find(|l| l.starts_with("bins-west\t")).unwrap();
    assert!(line.contains("\tretired 20") && line.contains("\t310104001\tE0101\t西区环卫所"), "{line}");
    let public: Value = server.get("/api/v1/units").json().unwrap();
    assert!(!codes(&public).contains(&"bins-west".to_owned()));
    let admin = server.admin_token();
    let all: Value = server.get_as(&admin, "/api/v1/admin/units").json().unwrap();
    let unit = all["units"].as_array().unwrap().iter().find(|u| u["code"] == "bins-west").unwrap();
    assert_eq!((unit["area"].clone(), unit["active"].clone()), (json!("310104001"), json!(false)));
    assert_eq!(gridline_unit(&server, &["reinstate", "--code", "bins-west"]).status.code(), Some(0));
    assert!(codes(&server.get("/api/v1/units").json().unwrap()).contains(&"bins-west".to_owned()));
}

/// A second report in the street's cell (the one `Street::open` files in), by a new citizen.
fn report_in_street(street: &Street, description: &str) -> Value {
    report_in_street_as(street, &street.server.citizen_token(), description)
}

/// A report in the street's cell by `citizen`.
fn report_in_street_as(street: &Street, citizen: &str, description: &str) -> Value {
    let (lat, lon) = point_in(&demo_cells(8)[2]);
    street.server.report_as(
        citizen,
        &json!({ "category": "E0101", "description": description, "position": { "lat": lat, "lon": lon } }),
    )
}

fn list(server: &TestServer, token: &str, query: &str) -> Vec<String> {
    let response = server.get_as(token, &format!("/api/v1/cases?{query}"));
    assert_eq!(response.status(), 200, "{query}");
    let page: Value = response.json().unwrap();
    page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

fn a_case_is_found_by_its_tracking_number_wherever_an_id_is_taken(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let server = &street.server;
    let first = street.case(&street.dispatcher);
    let number = first["tracking_number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("GL-"), "{number}");

    // Read, timeline and steps by the number, as a citizen reads it out (any case).
    for named in [number.clone(), number.to_lowercase(), format!(" {number} ")] {
        let path = format!("/api/v1/cases/{}", named.trim().replace(' ', "%20"));
        let found: Value = server.get_as(&street.dispatcher, &path).json().unwrap();
        assert_eq!(found["id"], first["id"], "{named}");
    }
    let timeline: Value =
        server.get_as(&street.dispatcher, &format!("/api/v1/cases/{number}/timeline")).json().unwrap();
    assert_eq!(timeline["case_id"], first["id"]);
    let register = timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "register").unwrap();
    assert_eq!(
        (register["actor"]["name"].clone(), register["actor"]["role"].clone()),
        (json!("Test dispatcher"), json!("dispatcher")),
        "the staff timeline names who took the step"
    );
    let reported = timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "reported").unwrap();
    assert_eq!(reported["actor"].get("name"), None, "a citizen is never named");
    assert_eq!(
        problem(server.get_as(&street.dispatcher, "/api/v1/cases/GL-000000-AAAAAA"), 404)["code"],
        "not_found"
    );
    assert_eq!(problem(server.get_as(&street.dispatcher, "/api/v1/cases/GL%2F1"), 404)["code"], "not_found");
    let noted = server.step(
        &street.dispatcher,
        &number,
        &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );
    assert_eq!((noted["id"].clone(), noted["state"].clone()), (first["id"].clone(), json!("dispatched")));

    // merge_into by number: the link is the target's id.
    let second = report_in_street(&street, "Same rubbish again");
    let second_id = second["id"].as_str().unwrap();
    let merged = server.step(
        &street.dispatcher,
        second_id,
        &json!({ "action": "merge", "merge_into": number.to_lowercase() }),
    );
    assert_eq!(
        (merged["state"].clone(), merged["merged_into"].clone()),
        (json!("merged"), first["id"].clone())
    );
    let third = report_in_street(&street, "And again");
    let bad = json!({ "action": "merge", "merge_into": "GL-000000-AAAAAA" });
    let version = server
        .get_as(&street.dispatcher, &format!("/api/v1/cases/{}", third["id"].as_str().unwrap()))
        .json::<Value>()
        .unwrap()["version"]
        .clone();
    let refused = server
        .client
        .post(server.url(&format!("/api/v1/cases/{}/actions", third["tracking_number"].as_str().unwrap())))
        .bearer_auth(&street.dispatcher)
        .header("if-match", format!("\"{version}\""))
        .json(&bad)
        .send()
        .unwrap();
    assert_eq!(problem(refused, 422)["field"], "merge_into");

    // The list's filter by number, combined with the others.
    assert_eq!(
        list(server, &street.dispatcher, &format!("tracking_number={}", number.to_lowercase())),
        vec![first["id"].as_str().unwrap().to_owned()]
    );
    assert!(list(server, &street.dispatcher, &format!("tracking_number={number}&state=merged")).is_empty());
    assert_eq!(
        problem(server.get_as(&street.dispatcher, "/api/v1/cases?tracking_number=GL%2F1"), 422)["field"],
        "tracking_number"
    );
    // Another street's dispatcher finds nothing by the number.
    let other =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse("310104999").unwrap() });
    assert!(list(server, &other, &format!("tracking_number={number}")).is_empty());
    let outside: Value = server.get_as(&other, &format!("/api/v1/cases/{number}/timeline")).json().unwrap();
    assert_eq!(outside["view"], "public", "outside the scope, the number gives only the public view");
    assert!(
        outside["events"].as_array().unwrap().iter().all(|e| e.get("actor").is_none()),
        "ids only, no names"
    );
}

fn cases_are_searched_by_text_in_chinese_and_english_with_the_filters(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let server = &street.server;
    let gate = street.case_id.clone();
    let rubble =
        report_in_street(&street, "路边有大量建筑垃圾堆放，影响通行")["id"].as_str().unwrap().to_owned();
    let pipe =
        report_in_street(&street, "A burst pipe floods the pavement")["id"].as_str().unwrap().to_owned();
    let d = &street.dispatcher;
    assert_eq!(list(server, d, "q=建筑垃圾"), vec![rubble.clone()]);
    assert_eq!(list(server, d, "q=垃圾"), vec![rubble.clone()], "two Chinese characters");
    assert_eq!(list(server, d, "q=BURST%20PIPE"), vec![pipe.clone()], "case-insensitive");
    assert_eq!(list(server, d, "q=gate"), vec![gate.clone()]);
    assert!(list(server, d, "q=nothing%20like%20this").is_empty());
    // A step's note is searched too, and a search combines with the other filters.
    server.step(d, &rubble, &json!({ "action": "register", "note": "已联系渣土车清运" }));
    assert_eq!(list(server, d, "q=渣土车"), vec![rubble.clone()]);
    assert_eq!(list(server, d, "q=渣土车&state=registered"), vec![rubble.clone()]);
    assert!(list(server, d, "q=渣土车&state=reported").is_empty());
    assert_eq!(list(server, d, "q=pipe&state=reported&category=E0101"), vec![pipe.clone()]);
    let number =
        server.get_as(d, &format!("/api/v1/cases/{pipe}")).json::<Value>().unwrap()["tracking_number"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(
        list(server, d, &format!("q={}", &number[3..])),
        vec![pipe.clone()],
        "part of a tracking number"
    );
    // The whole number, as typed (lower case, spaces), is the case by its key; with a state
    // filter it must hold too.
    assert_eq!(list(server, d, &format!("q=%20{}%20", number.to_lowercase())), vec![pipe.clone()]);
    assert!(list(server, d, &format!("q={number}&state=registered")).is_empty());
    assert!(list(server, d, "q=GL-000101-ZZZZZZ").is_empty(), "no such number");
    // Wildcards are text, not patterns; too short or too long is refused.
    assert!(list(server, d, "q=%25%25%25gate").contains(&gate));
    assert_eq!(problem(server.get_as(d, "/api/v1/cases?q=%E5%9E%83"), 422)["field"], "q");
    assert_eq!(problem(server.get_as(d, &format!("/api/v1/cases?q={}", "a".repeat(101))), 422)["field"], "q");
    // Only within the caller's scope.
    let other =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse("310104999").unwrap() });
    assert!(list(server, &other, "q=建筑垃圾").is_empty());
    let admin = server.admin_token();
    assert_eq!(list(server, &admin, "q=建筑垃圾"), vec![rubble]);
}

fn if_match_is_strict_and_api_key_times_are_rfc_3339(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let server = &street.server;
    let version = street.case(&street.dispatcher)["version"].as_i64().unwrap();
    let post = |if_match: &str| {
        server
            .client
            .post(server.url(&format!("/api/v1/cases/{}/actions", street.case_id)))
            .bearer_auth(&street.dispatcher)
            .header("if-match", if_match)
            .json(&json!({ "action": "dispatch", "handling_unit": "sanitation" }))
            .send()
            .unwrap()
    };
    for bare in [format!("{version}"), "*".to_owned(), format!("\"{version}\", \"{}\"", version + 1)] {
        let refused = problem(post(&bare), 400);
        assert_eq!(
            (refused["code"].clone(), refused["field"].clone()),
            (json!("invalid_if_match"), json!("If-Match")),
            "{bare}"
        );
    }
    let weak = problem(post(&format!("W/\"{version}\"")), 409);
    assert_eq!(
        (weak["code"].clone(), weak["current_version"].clone()),
        (json!("version_mismatch"), json!(version))
    );
    assert_eq!(street.case(&street.dispatcher)["state"], "registered", "nothing was recorded");
    assert_eq!(post(&format!("\"{version}\"")).status(), 200);

    let admin = server.admin_token();
    let created: Value = server
        .client
        .post(server.url("/api/v1/admin/api-keys"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "City 311 app" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let created_at = created["api_key"]["created_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created_at).is_ok(), "{created_at}");
    let listed: Value = server.get_as(&admin, "/api/v1/admin/api-keys").json().unwrap();
    assert_eq!(listed["api_keys"][0]["created_at"], created_at);
    assert_eq!(listed["api_keys"][0]["revoked_at"], Value::Null);
}

fn export(server: &TestServer, token: &str, query: &str) -> (String, String) {
    let response = server.get_as(token, &format!("/api/v1/cases?{query}"));
    assert_eq!(response.status(), 200, "{query}");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (content_type, response.text().unwrap())
}

fn the_case_list_is_exported_as_csv_and_json_lines_in_scope(backend: Backend) {
    let street =
        Street::open(backend, &[("GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR", "0")], beijing(11, 27, 10, 0));
    let server = &street.server;
    // More than one page of the export (200 cases a trip), one with a comma and a quote.
    let quoted = report_in_street(&street, "路边垃圾, \"很多\"\n第二行")["id"].as_str().unwrap().to_owned();
    let citizen = server.citizen_token();
    for i in 0..200 {
        report_in_street_as(&street, &citizen, &format!("Bin number {i}"));
    }
    server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );
    let d = &street.dispatcher;
    let (content_type, csv) = export(server, d, "format=csv");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("id,tracking_number,state,category,description,placement.grid"), "{header}");
    assert!(header.ends_with("reporter.id,reporter.role,channel,urgency"), "{header}");
    let gate_cells: Vec<&str> =
        csv.lines().find(|l| l.starts_with(&street.case_id)).unwrap().split(',').collect();
    assert_eq!(&gate_cells[gate_cells.len() - 2..], ["app", "normal"], "the way in and the urgency");
    let ids: Vec<String> = list_all(server, d);
    assert_eq!(ids.len(), 202);
    let rows = csv.split("\r\n").filter(|l| !l.is_empty()).count() - 1; // the header; the quoted line break is a bare \n
    assert_eq!(rows, 202, "every case, once");
    for id in &ids {
        assert_eq!(csv.matches(id.as_str()).count(), 1, "{id} once");
    }
    assert!(csv.contains("\"路边垃圾, \"\"很多\"\"\n第二行\""), "quoted as RFC 4180 says");
    let reporter_column = header.split(',').position(|c| c == "reporter.id").unwrap();
    let gate_line = csv.lines().find(|l| l.starts_with(&street.case_id)).unwrap();
    assert!(
        !gate_line.split(',').nth(reporter_column).unwrap().is_empty(),
        "the street office sees the reporter"
    );

    // JSON Lines with the filters: the list's own staff view, one case a line.
    let (content_type, jsonl) = export(server, d, "format=jsonl&q=%E5%9E%83%E5%9C%BE&state=reported");
    assert_eq!(content_type, "application/jsonl; charset=utf-8");
    let lines: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0]["id"].clone(), lines[0]["view"].clone()), (json!(quoted), json!("staff")));

    // In scope only: the unit sees its case, without the reporter; another street sees none.
    let (_, handler_csv) = export(server, &street.handler, "format=csv");
    let handler_rows: Vec<&str> = handler_csv.split("\r\n").filter(|l| !l.is_empty()).skip(1).collect();
    assert_eq!(handler_rows.len(), 1);
    assert!(handler_rows[0].starts_with(&street.case_id));
    assert!(
        handler_rows[0].ends_with(",,,app,normal"),
        "no reporter for a handling unit: {}",
        handler_rows[0]
    );
    let other =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse("310104999").unwrap() });
    assert_eq!(export(server, &other, "format=csv").1, format!("{header}\r\n"));
    assert_eq!(export(server, &other, "format=jsonl").1, "");

    assert_eq!(problem(server.get_as(d, "/api/v1/cases?format=xml"), 422)["field"], "format");
    assert_eq!(problem(server.get_as(d, "/api/v1/cases?format=csv&limit=5"), 422)["field"], "limit");
    assert_eq!(
        problem(server.get_as(&server.citizen_token(), "/api/v1/cases?format=csv"), 403)["code"],
        "forbidden"
    );
}

/// Every case id of the list, page by page.
fn list_all(server: &TestServer, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=200&cursor={c}"),
            None => "limit=200".to_owned(),
        };
        let page: Value = server.get_as(token, &format!("/api/v1/cases?{query}")).json().unwrap();
        ids.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

fn coverage_lists_uncovered_cells_and_idle_inspectors_and_the_street_assigns_cells(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let server = &street.server;
    let cells: Vec<String> = demo_cells(8).iter().map(|c| c.code.to_string()).collect();
    let first = gridline_core::codes::GridCode::parse(&cells[0]).unwrap();
    let holder = server.staff_token(Role::Inspector, Scope::Grids { grids: [first].into_iter().collect() });
    let idle = server.staff_token(Role::Inspector, Scope::Grids { grids: Default::default() });
    let id_of = |token: &str| {
        server.get_as(token, "/api/v1/me").json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
    };
    let (holder_id, idle_id) = (id_of(&holder), id_of(&idle));
    let d = &street.dispatcher;
    let coverage = |token: &str| -> Value {
        let response = server.get_as(token, "/api/v1/coverage");
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    };
    let seen = coverage(d);
    assert_eq!(seen["area"], &cells[0][..9]);
    assert_eq!(seen["cells"], 8);
    assert_eq!(seen["cells_without_inspector"], json!(cells[1..].to_vec()));
    assert_eq!(
        seen["inspectors"],
        json!([{ "id": holder_id, "display_name": "Test inspector",
        "login": seen["inspectors"][0]["login"], "cells": [cells[0]] }])
    );
    assert_eq!(seen["inspectors_without_cells"], json!([]), "an idle inspector belongs to no street yet");
    let admin = server.admin_token();
    let city = coverage(&admin);
    assert!(city["inspectors_without_cells"].as_array().unwrap().iter().any(|i| i["id"] == idle_id));
    assert_eq!(problem(server.get_as(&holder, "/api/v1/coverage"), 403)["code"], "forbidden");

    let assign = |token: &str, grid: &str, inspector: &str| {
        server
            .client
            .post(server.url("/api/v1/coverage/assign"))
            .bearer_auth(token)
            .json(&json!({ "grid": grid, "inspector_id": inspector }))
            .send()
            .unwrap()
    };
    let given: Value = assign(d, &cells[1], &idle_id).json().unwrap();
    assert_eq!(given["cells"], json!([cells[1]]));
    // A reassignment: the cell leaves its holder.
    let moved: Value = assign(d, &cells[0], &idle_id).json().unwrap();
    assert_eq!(moved["cells"], json!([cells[0], cells[1]]));
    let after = coverage(d);
    assert_eq!(after["cells_without_inspector"], json!(cells[2..].to_vec()));
    assert_eq!(after["inspectors"].as_array().unwrap().len(), 1);
    assert_eq!(after["inspectors"][0]["id"], idle_id);
    assert!(
        coverage(&admin)["inspectors_without_cells"].as_array().unwrap().iter().any(|i| i["id"] == holder_id)
    );

    assert_eq!(problem(assign(d, "110101001001001", &holder_id), 403)["code"], "forbidden");
    let missing_cell = format!("{}999", &cells[0][..12]);
    assert_eq!(problem(assign(d, &missing_cell, &holder_id), 422)["field"], "grid");
    let dispatcher_id = id_of(d);
    assert_eq!(problem(assign(d, &cells[2], &dispatcher_id), 422)["field"], "inspector_id");
    assert_eq!(problem(assign(d, "12", &holder_id), 422)["field"], "grid");
    // Another street's dispatcher cannot take this street's inspector.
    let other = server.staff_token(
        Role::Dispatcher,
        Scope::Street { street: AreaCode::parse(&format!("{}999", &cells[0][..6])).unwrap() },
    );
    assert_eq!(problem(assign(&other, &cells[2], &idle_id), 403)["code"], "forbidden");
}

fn everyone_changes_their_own_password(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let first = "the first password of the desk";
    let created = server
        .client
        .post(server.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({ "login": "zhao.desk", "display_name": "Zhao", "role": "dispatcher",
                       "scope": { "kind": "street", "street": "310104001" }, "password": first }))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let sign_in = |password: &str| {
        server.post_json("/api/v1/auth/login", &json!({ "login": "zhao.desk", "password": password }))
    };
    let token = sign_in(first).json::<Value>().unwrap()["access_token"].as_str().unwrap().to_owned();
    let change = |token: &str, body: Value| {
        server.client.post(server.url("/api/v1/me/password")).bearer_auth(token).json(&body).send().unwrap()
    };
    let second = "a second password, longer still";
    let wrong = change(&token, json!({ "current_password": "not it at all, sorry", "new_password": second }));
    assert_eq!(problem(wrong, 422)["field"], "current_password");
    let weak = change(&token, json!({ "current_password": first, "new_password": "short" }));
    assert_eq!(problem(weak, 422)["field"], "new_password");
    assert_eq!(server.get_as(&token, "/api/v1/me").status(), 200, "a refused change changes nothing");
    let changed = change(&token, json!({ "current_password": first, "new_password": second }));
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.json::<Value>().unwrap(), json!({ "changed": true, "signed_out": true }));
    assert_eq!(server.get_as(&token, "/api/v1/me").status(), 401, "every session ended");
    assert_eq!(sign_in(first).status(), 401);
    assert_eq!(sign_in(second).status(), 200);
    let citizen = server.citizen_token();
    let refused = change(&citizen, json!({ "current_password": "x", "new_password": second }));
    assert_eq!(problem(refused, 403)["code"], "forbidden");
}

fn device_accounts_are_listed_apart_from_staff(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let _devices = (server.citizen_token(), server.citizen_token());
    let listed = |query: &str| -> Vec<Value> {
        let response = server.get_as(&admin, &format!("/api/v1/admin/users?{query}"));
        assert_eq!(response.status(), 200, "{query}");
        response.json::<Value>().unwrap()["users"].as_array().unwrap().clone()
    };
    let staff = listed("");
    assert!(!staff.is_empty() && staff.iter().all(|u| u["role"] != "citizen"), "staff only by default");
    let devices = listed("kind=device");
    assert_eq!(devices.len(), 2);
    assert!(devices.iter().all(|u| u["role"] == "citizen" && u["anonymous"] == true));
    assert!(listed("kind=citizen").is_empty(), "no citizen signed in with a phone");
    assert_eq!(listed("role=citizen").len(), 2, "role=citizen asks for citizens of every kind");
    assert_eq!(listed("kind=any").len(), staff.len() + 2);
    assert!(server.get_as(&admin, "/api/v1/admin/users?kind=robots").status().is_client_error());
}

/// The street office (street A of the demo cells) creates, lists, renames, disables and resets
/// its own inspectors and handlers, and nothing of another street or of the city.
fn a_street_office_keeps_its_own_inspectors_and_handlers(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let mut cells = demo_cells(6);
    // The last three cells move to a second street.
    for cell in &mut cells[3..] {
        let code = cell.code.to_string();
        let next = code[6..9].parse::<u16>().unwrap() + 1;
        cell.code =
            gridline_core::codes::GridCode::parse(&format!("{}{next:03}{}", &code[..6], &code[9..])).unwrap();
    }
    server.import_grid(&admin, "310104", &cells);
    let (a, b) = (cells[0].code.to_string(), cells[3].code.to_string());
    let street_a = AreaCode::parse(&a[..9]).unwrap();
    let office = server.staff_token(Role::Dispatcher, Scope::Street { street: street_a });
    let other_street = server.staff_token(
        Role::Inspector,
        Scope::Grids { grids: [gridline_core::codes::GridCode::parse(&b).unwrap()].into_iter().collect() },
    );
    let other_id = server.get_as(&other_street, "/api/v1/me").json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A unit of street A, and one of the whole city (the shipped `sanitation`).
    let depot = json!({ "code": "depot-a", "zh": "甲街道环卫所", "en": "Street A depot", "categories": ["E0101"],
                        "area": &a[..9] });
    assert_eq!(
        admin_send(&server, &admin, reqwest::Method::POST, "/api/v1/admin/units", &depot).status(),
        201
    );

    let create = |body: Value| {
        server
            .client
            .post(server.url("/api/v1/street/users"))
            .bearer_auth(&office)
            .json(&body)
            .send()
            .unwrap()
    };
    let inspector = create(json!({ "login": "liu.grid", "display_name": "Liu", "role": "inspector",
                                   "scope": { "kind": "grids", "grids": [&a] } }));
    assert_eq!(inspector.status(), 201);
    let inspector: Value = inspector.json().unwrap();
    let password = inspector["initial_password"].as_str().unwrap().to_owned();
    let inspector_id = inspector["user"]["id"].as_str().unwrap().to_owned();
    let handler = create(json!({ "login": "ma.depot", "display_name": "Ma", "role": "handler",
                                 "scope": { "kind": "unit", "unit": "depot-a" }, "password": "the depot's own password" }));
    assert_eq!(handler.status(), 201);
    assert!(
        handler.json::<Value>().unwrap().get("initial_password").is_none(),
        "a given password is not echoed"
    );
    // Nothing beyond the street's field staff.
    for (body, field) in [
        (
            json!({ "login": "x1", "display_name": "X", "role": "inspector", "scope": { "kind": "grids", "grids": [&b] } }),
            "scope",
        ),
        (
            json!({ "login": "x2", "display_name": "X", "role": "inspector", "scope": { "kind": "grids", "grids": [] } }),
            "scope",
        ),
        (
            json!({ "login": "x3", "display_name": "X", "role": "handler", "scope": { "kind": "unit", "unit": "sanitation" } }),
            "scope",
        ),
        (
            json!({ "login": "x4", "display_name": "X", "role": "dispatcher", "scope": { "kind": "street", "street": &a[..9] } }),
            "role",
        ),
        (json!({ "login": "x5", "display_name": "X", "role": "admin", "scope": { "kind": "city" } }), "role"),
    ] {
        assert_eq!(problem(create(body.clone()), 422)["field"], field, "{body}");
    }
    let taken = create(
        json!({ "login": "liu.grid", "display_name": "Liu", "role": "inspector", "scope": { "kind": "grids", "grids": [&a] } }),
    );
    assert_eq!(problem(taken, 409)["code"], "login_taken");
    assert_eq!(problem(server.client.post(server.url("/api/v1/street/users")).bearer_auth(&admin)
        .json(&json!({ "login": "y", "display_name": "Y", "role": "inspector", "scope": { "kind": "grids", "grids": [&a] } }))
        .send().unwrap(), 403)["code"], "forbidden");

    let listed: Value = server.get_as(&office, "/api/v1/street/users").json().unwrap();
    let logins: Vec<&str> =
        listed["users"].as_array().unwrap().iter().filter_map(|u| u["login"].as_str()).collect();
    assert_eq!(listed["street"], &a[..9]);
    assert_eq!(logins, ["liu.grid", "ma.depot"], "its inspector and handler, not street B's inspector");

    let patch = |id: &str, body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/v1/street/users/{id}")))
            .bearer_auth(&office)
            .json(&body)
            .send()
            .unwrap()
    };
    assert_eq!(problem(patch(&other_id, json!({ "disabled": true })), 404)["code"], "user_not_found");
    let promoted = patch(&inspector_id, json!({ "role": "admin" }));
    assert_eq!(promoted.status(), 422, "roles and scopes are the city admin's, not a field here");
    let sign_in = |login: &str, password: &str| {
        server.post_json("/api/v1/auth/login", &json!({ "login": login, "password": password }))
    };
    assert_eq!(sign_in("liu.grid", &password).status(), 200);
    let disabled = patch(&inspector_id, json!({ "disabled": true, "display_name": "Liu Wei" }));
    assert_eq!(disabled.status(), 200);
    assert_eq!(disabled.json::<Value>().unwrap()["display_name"], "Liu Wei");
    assert_eq!(sign_in("liu.grid", &password).status(), 401, "disabled");
    assert_eq!(patch(&inspector_id, json!({ "disabled": false })).status(), 200);
    assert_eq!(sign_in("liu.grid", &password).status(), 200, "enabled again");
}

/// A reset (by the street office, or the city admin) answers a one-time password once; it signs
/// in only together with a new password, which then replaces it.
fn a_reset_gives_a_one_time_password_changed_at_the_next_sign_in(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(2);
    server.import_grid(&admin, "310104", &cells);
    let grid = cells[0].code.to_string();
    let office =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse(&grid[..9]).unwrap() });
    let created: Value = server
        .client
        .post(server.url("/api/v1/street/users"))
        .bearer_auth(&office)
        .json(&json!({ "login": "sun.grid", "display_name": "Sun", "role": "inspector",
                       "scope": { "kind": "grids", "grids": [&grid] }, "password": "Sun's first password here" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    let session = server
        .post_json(
            "/api/v1/auth/login",
            &json!({ "login": "sun.grid", "password": "Sun's first password here" }),
        )
        .json::<Value>()
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let reset = server
        .client
        .patch(server.url(&format!("/api/v1/street/users/{id}")))
        .bearer_auth(&office)
        .json(&json!({ "reset_password": true }))
        .send()
        .unwrap();
    assert_eq!(reset.status(), 200);
    let one_time = reset.json::<Value>().unwrap()["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(server.get_as(&session, "/api/v1/me").status(), 401, "the reset ends every session");
    let login = |body: Value| server.post_json("/api/v1/auth/login", &body);
    assert_eq!(login(json!({ "login": "sun.grid", "password": "Sun's first password here" })).status(), 401);
    let bare = problem(login(json!({ "login": "sun.grid", "password": &one_time })), 403);
    assert_eq!(
        (bare["code"].as_str(), bare["field"].as_str()),
        (Some("password_change_required"), Some("new_password"))
    );
    let weak = login(json!({ "login": "sun.grid", "password": &one_time, "new_password": "short" }));
    assert_eq!(problem(weak, 422)["field"], "new_password");
    let same = login(json!({ "login": "sun.grid", "password": &one_time, "new_password": &one_time }));
    assert_eq!(problem(same, 422)["field"], "new_password");
    let wrong = login(
        json!({ "login": "sun.grid", "password": "not the one-time one", "new_password": "a fine new password" }),
    );
    assert_eq!(problem(wrong, 401)["code"], "invalid_credentials", "a wrong password never changes anything");
    let chosen = "Sun's own new password";
    let signed_in = login(json!({ "login": "sun.grid", "password": &one_time, "new_password": chosen }));
    assert_eq!(signed_in.status(), 200);
    let token = signed_in.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(server.get_as(&token, "/api/v1/me").status(), 200);
    assert_eq!(login(json!({ "login": "sun.grid", "password": &one_time })).status(), 401, "used once");
    assert_eq!(
        login(json!({ "login": "sun.grid", "password": chosen })).status(),
        200,
        "the new password alone now"
    );

    // The city admin resets the same way; a password and a reset at once are refused.
    let admin_patch = |body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/v1/admin/users/{id}")))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .unwrap()
    };
    let both = admin_patch(json!({ "reset_password": true, "password": "another password entirely" }));
    assert_eq!(problem(both, 422)["field"], "reset_password");
    let by_admin: Value = admin_patch(json!({ "reset_password": true })).json().unwrap();
    let one_time = by_admin["one_time_password"].as_str().unwrap();
    assert_eq!(by_admin["id"], id.as_str());
    assert_eq!(
        problem(login(json!({ "login": "sun.grid", "password": one_time })), 403)["code"],
        "password_change_required"
    );
}
