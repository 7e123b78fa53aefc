//! The street office's triage queue on both backends: a report that routes to no grid cell is
//! listed (`?triage=true`) and counted (`GET /api/v1/triage`) for the street office whose street
//! is nearest to it, and for the city, never for another street; the `relocate` step gives it a
//! place (a new position with a reason, routed again to its cell and street) and hands it to
//! that street. The per-day summaries follow the case to its new cell: `gridline summaries
//! rebuild --check` stays clean after relocations, out of triage and between cells. The same
//! figures answer (`GET /api/v1/desk`) how many handled cases wait for a verification no
//! inspector can make (their cell has none) and how many were closed without one; the
//! statistics count the triaged, the relocated and the closings without verification. When a
//! cell has no inspector, the street office gives the verification to a named inspector of its
//! street (`assign_verifier`), who then sees the case and verifies it on site.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::Duration;

use gridline_core::codes::AreaCode;
use gridline_core::geo::GeoPoint;
use gridline_core::grid::GridIndex;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::store::{Db, summaries};
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, point_in, problem, two_street_cells};

both_backends!(
    a_report_in_no_cell_waits_for_its_nearest_street_which_relocates_it,
    relocating_between_cells_keeps_the_summaries_exact,
    the_desk_counts_verifications_nobody_can_make_and_closings_without_one,
    a_verification_is_given_to_a_named_inspector_of_the_street,
);

fn street_of(code: &str) -> AreaCode {
    AreaCode::parse(&code[..9]).unwrap()
}

fn listed(server: &TestServer, token: &str, query: &str) -> Vec<String> {
    let page: Value = server.get_as(token, &format!("/api/v1/cases?{query}")).json().unwrap();
    page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

fn view_of(server: &TestServer, token: &str, id: &str) -> String {
    let case: Value = server.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap();
    case["view"].as_str().unwrap().to_owned()
}

/// The statistics' total over the day around now, as `token` may count it.
fn stats_total(server: &TestServer, token: &str) -> Value {
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let now = chrono::Utc::now();
    let path = format!(
        "/api/v1/stats?from={}&to={}",
        at(now - chrono::Duration::hours(12)),
        at(now + chrono::Duration::hours(12))
    );
    let response = server.get_as(token, &path);
    assert_eq!(response.status(), 200);
    response.json::<Value>().unwrap()["total"].clone()
}

fn stranded(server: &TestServer, token: &str) -> i64 {
    let response = server.get_as(token, "/api/v1/desk");
    assert_eq!(response.status(), 200);
    let figure: Value = response.json().unwrap();
    figure["stranded"].as_i64().unwrap()
}

/// Posts `body` as a step on `id` at its current version (read as `reader`), answer as is.
fn post_step(
    server: &TestServer,
    reader: &str,
    token: &str,
    id: &str,
    body: &Value,
) -> reqwest::blocking::Response {
    let case: Value = server.get_as(reader, &format!("/api/v1/cases/{id}")).json().unwrap();
    server
        .client
        .post(server.url(&format!("/api/v1/cases/{id}/actions")))
        .bearer_auth(token)
        .header("if-match", format!("\"{}\"", case["version"]))
        .json(body)
        .send()
        .unwrap()
}

/// The summaries agree with the events, by the library and by the real command.
fn assert_summaries_exact(server: &TestServer) {
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let mut conn = db.get().unwrap();
    let comparison = summaries::compare(&mut conn).unwrap();
    assert_eq!(comparison.differences, Vec::new());
    let data_dir = tempfile::tempdir().unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_gridline"))
        .args(["summaries", "rebuild", "--check"])
        .env_clear()
        .env("GRIDLINE_DATA_DIR", data_dir.path())
        .env("DATABASE_URL", &server.database_url)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
}

fn a_report_in_no_cell_waits_for_its_nearest_street_which_relocates_it(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = two_street_cells(8);
    server.import_grid(&admin, "310104", &cells);
    let index = GridIndex::build(&cells).unwrap();

    // Kilometres north of the city: no cell within the routing tolerance.
    let north = cells
        .iter()
        .flat_map(|c| c.geometry.polygons()[0][0].iter().map(|[_, lat]| *lat))
        .fold(f64::MIN, f64::max);
    let (_, lon) = point_in(&cells[0]);
    let far = GeoPoint::new(north + 0.03, lon).unwrap();
    let (nearest, distance_m) = index.nearest_cell(far).unwrap();
    assert!(distance_m > 1000.0, "{distance_m}");
    let near_street = street_of(&nearest.to_string());
    let other = cells.iter().find(|c| street_of(&c.code.to_string()) != near_street).unwrap();
    let other_street = street_of(&other.code.to_string());
    let near = server.staff_token(Role::Dispatcher, Scope::Street { street: near_street });
    let away = server.staff_token(Role::Dispatcher, Scope::Street { street: other_street });
    let district_viewer =
        server.staff_token(Role::Viewer, Scope::District { district: AreaCode::parse("310104").unwrap() });
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });

    let citizen = server.citizen_token();
    let receipt = server.report_as(
        &citizen,
        &json!({ "category": "E0101", "description": "路边垃圾堆 north of the city",
                 "position": { "lat": far.lat(), "lon": far.lon() } }),
    );
    let id = receipt["id"].as_str().unwrap().to_owned();
    let case: Value = server.get_as(&admin, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert_eq!(case["placement"]["outcome"], "triage");
    assert_eq!(case["placement"]["grid"], Value::Null);
    assert_eq!(case["placement"]["street"], near_street.to_string(), "the nearest street is recorded");

    // The nearest street's office, the district and the city see it in triage; the other street does not.
    assert_eq!(listed(&server, &near, "triage=true"), std::slice::from_ref(&id));
    // Narrowed to the street or its district (as the dashboard's map does), it is still theirs.
    let area = format!("triage=true&area={near_street}");
    assert_eq!(listed(&server, &near, &area), std::slice::from_ref(&id));
    let district = format!("triage=true&area={}", &near_street.to_string()[..6]);
    assert_eq!(listed(&server, &admin, &district), std::slice::from_ref(&id));
    assert!(listed(&server, &admin, &format!("area={other_street}")).is_empty());
    assert_eq!(listed(&server, &near, ""), std::slice::from_ref(&id), "in the street's own list too");
    assert!(listed(&server, &near, "triage=false").is_empty());
    assert_eq!(listed(&server, &admin, "triage=true"), std::slice::from_ref(&id));
    assert_eq!(listed(&server, &district_viewer, "triage=true"), std::slice::from_ref(&id));
    assert!(listed(&server, &away, "triage=true").is_empty());
    assert_eq!(view_of(&server, &away, &id), "public", "the other street reads only the public view");
    assert_eq!((stranded(&server, &near), stranded(&server, &away)), (1, 0));
    assert_eq!((stranded(&server, &admin), stranded(&server, &district_viewer)), (1, 1));
    assert_eq!(problem(server.get_as(&handler, "/api/v1/desk"), 403)["code"], "forbidden");
    let seen: Value = server.get_as(&near, &format!("/api/v1/cases/{id}")).json().unwrap();
    let offered: Vec<&str> =
        seen["available_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(offered.contains(&"relocate") && offered.contains(&"register"), "{offered:?}");

    // What a relocate needs, each refused with its code; the other street cannot touch it.
    let (lat, lon) = point_in(other);
    let to_other = json!({ "action": "relocate", "reason": "地址在另一街道 (caller gave the address)",
                           "position": { "lat": lat, "lon": lon } });
    let refused = |token: &str, body: &Value, status: u16| {
        problem(post_step(&server, &admin, token, &id, body), status)["code"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        refused(&near, &json!({ "action": "relocate", "position": { "lat": lat, "lon": lon } }), 422),
        "reason_required"
    );
    assert_eq!(refused(&near, &json!({ "action": "relocate", "reason": "moved" }), 422), "position_required");
    let still_far = json!({ "action": "relocate", "reason": "moved", "position": { "lat": far.lat() + 0.01, "lon": lon } });
    assert_eq!(refused(&near, &still_far, 422), "no_cell_at_position");
    assert_eq!(
        refused(
            &near,
            &json!({ "action": "relocate", "reason": "x", "position": { "lat": 95.0, "lon": lon } }),
            422
        ),
        "invalid_field"
    );
    assert_eq!(refused(&away, &to_other, 403), "out_of_scope");
    assert_eq!(refused(&handler, &to_other, 403), "out_of_scope");
    assert_eq!(refused(&district_viewer, &to_other, 403), "forbidden");
    let unchanged: Value = server.get_as(&admin, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert_eq!(unchanged["version"], case["version"], "nothing written by a refused relocate");

    // Relocated: it has its cell and street, keeps its state, and changes hands.
    let moved = server.step(&near, &id, &to_other);
    assert_eq!(moved["state"], "reported");
    assert_eq!(moved["placement"]["grid"], other.code.to_string());
    assert_eq!(moved["placement"]["street"], other_street.to_string());
    assert_eq!(moved["placement"]["outcome"], "inside");
    assert!((moved["position"]["lat"].as_f64().unwrap() - lat).abs() < 1e-9, "{}", moved["position"]);
    assert_eq!((stranded(&server, &near), stranded(&server, &away), stranded(&server, &admin)), (0, 0, 0));
    assert!(listed(&server, &near, "").is_empty());
    assert_eq!(view_of(&server, &near, &id), "public", "handed to the other street");
    assert_eq!(view_of(&server, &away, &id), "staff");
    assert_eq!(listed(&server, &away, "triage=false"), std::slice::from_ref(&id));
    assert!(listed(&server, &away, "triage=true").is_empty());

    // The audit trail says from where to where; the reporter's timeline does not.
    let timeline: Value = server.get_as(&away, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
    let step = timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "relocate").unwrap();
    assert_eq!(step["details"]["from"]["routing"], "triage");
    assert_eq!(step["details"]["from"]["street"], near_street.to_string());
    assert_eq!(step["details"]["to"]["grid"], other.code.to_string());
    assert!(step["reason"].as_str().unwrap().contains("另一街道"));
    let public: Value = server.get_as(&citizen, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
    let public_step = public["events"].as_array().unwrap().iter().find(|e| e["kind"] == "relocate").unwrap();
    assert!(public_step["details"].get("from").is_none(), "{public_step}");

    // The new street works it; the summaries followed it out of triage.
    server.step(&away, &id, &json!({ "action": "register" }));
    server.step(&away, &id, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    assert_eq!(refused(&away, &to_other, 409), "not_from_state",);
    assert_summaries_exact(&server);

    // Counted: received in triage and relocated, where the case is now.
    let total = stats_total(&server, &admin);
    assert_eq!(
        (total["received"].as_u64(), total["triaged"].as_u64(), total["relocated"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{total}"
    );
    assert_eq!(stats_total(&server, &away)["triaged"], 1);
    assert_eq!(stats_total(&server, &near)["triaged"], 0);
}

fn relocating_between_cells_keeps_the_summaries_exact(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = two_street_cells(8);
    server.import_grid(&admin, "310104", &cells);
    let citizen = server.citizen_token();
    let (first, last) = (&cells[0], &cells[cells.len() - 1]);
    let report = |cell: &gridline_core::grid::GridCell, text: &str| {
        let (lat, lon) = point_in(cell);
        let receipt = server.report_as(
            &citizen,
            &json!({ "category": "E0101", "description": text, "position": { "lat": lat, "lon": lon } }),
        );
        receipt["id"].as_str().unwrap().to_owned()
    };
    // Two cases in the first cell (the same summary rows), one registered before it moves.
    let moving = report(first, "wrongly placed");
    let staying = report(first, "rightly placed");
    server.step(&admin, &moving, &json!({ "action": "register" }));
    server.step(&admin, &staying, &json!({ "action": "register" }));
    let (lat, lon) = point_in(last);
    // The vertex mean of a generated cell may fall in its neighbour: the router says where.
    let routed: Value = server.get(&format!("/api/v1/grids/route?lat={lat}&lon={lon}")).json().unwrap();
    let target = routed["placement"]["grid"].as_str().unwrap().to_owned();
    assert_ne!(target, first.code.to_string(), "the case moves to another cell");
    let moved = server.step(
        &admin,
        &moving,
        &json!({ "action": "relocate", "reason": "the pin was on the wrong bank", "position": { "lat": lat, "lon": lon } }),
    );
    assert_eq!(
        (moved["state"].as_str(), moved["placement"]["grid"].as_str()),
        (Some("registered"), Some(target.as_str()))
    );
    assert_summaries_exact(&server);
    // And back again, named by its cell code as a caller reads it out, then on with the work:
    // still exact. A cell code is only for a relocate, alone, and must name a cell of the grid.
    let by_code = |code: &str, extra: Value| {
        let mut body = json!({ "action": "relocate", "reason": "it was right after all", "grid_code": code });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let refused = |body: &Value| {
        let answer = post_step(&server, &admin, &admin, &moving, body);
        let problem = problem(answer, 422);
        (problem["code"].as_str().unwrap().to_owned(), problem["field"].as_str().unwrap_or("").to_owned())
    };
    let unknown = format!("{}9", &first.code.to_string()[..14]);
    assert_eq!(refused(&by_code(&unknown, json!({}))), ("unknown_cell".to_owned(), "grid_code".to_owned()));
    assert_eq!(refused(&by_code("12345", json!({}))), ("invalid_field".to_owned(), "grid_code".to_owned()));
    assert_eq!(
        refused(&by_code(&first.code.to_string(), json!({ "position": { "lat": lat, "lon": lon } }))),
        ("invalid_field".to_owned(), "grid_code".to_owned())
    );
    let not_relocate = json!({ "action": "extend", "reason": "x", "grid_code": first.code.to_string() });
    assert_eq!(refused(&not_relocate), ("invalid_field".to_owned(), "grid_code".to_owned()));
    let back = server.step(&admin, &moving, &by_code(&first.code.to_string(), json!({})));
    assert_eq!(
        (back["placement"]["grid"].as_str(), back["placement"]["outcome"].as_str()),
        (Some(first.code.to_string().as_str()), Some("inside"))
    );
    server.step(&admin, &moving, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    assert_summaries_exact(&server);
}

/// A case the citizen reports in `cell`, registered and dispatched to sanitation by the
/// dispatcher, then accepted and handled (with an after-photo) by the handler; its id.
fn handled_case(
    server: &TestServer,
    [citizen, dispatcher, handler]: [&str; 3],
    cell: &gridline_core::grid::GridCell,
    description: &str,
) -> String {
    let (lat, lon) = point_in(cell);
    let receipt = server.report_as(
        citizen,
        &json!({ "category": "E0101", "description": description, "position": { "lat": lat, "lon": lon } }),
    );
    let id = receipt["id"].as_str().unwrap().to_owned();
    server.step(dispatcher, &id, &json!({ "action": "register" }));
    server.step(dispatcher, &id, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    server.step(handler, &id, &json!({ "action": "accept" }));
    let photo = server.upload_photo(handler);
    server.step(handler, &id, &json!({ "action": "mark_handled", "photo_ids": [photo] }));
    id
}

fn desk(server: &TestServer, token: &str) -> Value {
    let response = server.get_as(token, "/api/v1/desk");
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

fn the_desk_counts_verifications_nobody_can_make_and_closings_without_one(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = two_street_cells(8);
    server.import_grid(&admin, "310104", &cells);
    let cell = &cells[1];
    let street = street_of(&cell.code.to_string());
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
    let other_street = street_of(&cells[cells.len() - 1].code.to_string());
    let elsewhere = server.staff_token(Role::Dispatcher, Scope::Street { street: other_street });
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
    let citizen = server.citizen_token();
    let id = handled_case(&server, [&citizen, &dispatcher, &handler], cell, "bins overflowing");

    // Handled in a cell no inspector covers: said, not silent.
    let figures = desk(&server, &dispatcher);
    assert_eq!(figures["awaiting_verification"], 1);
    assert_eq!(figures["awaiting_verification_without_inspector"], 1);
    assert_eq!(figures["cells_without_inspector"], json!([cell.code.to_string()]));
    assert_eq!(figures["closed_without_verification"], 0);
    assert_eq!(desk(&server, &elsewhere)["awaiting_verification"], 0);

    // An inspector covering the cell: the verification can be made.
    let _inspector =
        server.staff_token(Role::Inspector, Scope::Grids { grids: [cell.code].into_iter().collect() });
    let figures = desk(&server, &dispatcher);
    assert_eq!(figures["awaiting_verification_without_inspector"], 0);
    assert_eq!(figures["cells_without_inspector"], json!([]));

    // Closing without verification needs a reason, and is counted.
    let refused = post_step(&server, &dispatcher, &dispatcher, &id, &json!({ "action": "close" }));
    assert_eq!(problem(refused, 422)["code"], "reason_required");
    assert_eq!(desk(&server, &dispatcher)["closed_without_verification"], 0);
    server.step(
        &dispatcher,
        &id,
        &json!({ "action": "close", "reason": "居民确认已清理 (confirmed by phone)" }),
    );
    let figures = desk(&server, &dispatcher);
    assert_eq!(
        (figures["closed_without_verification"].as_i64(), figures["awaiting_verification"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(desk(&server, &admin)["closed_without_verification"], 1);
    assert_eq!(desk(&server, &elsewhere)["closed_without_verification"], 0);
    // The statistics count it on its own, beside the closure.
    let total = stats_total(&server, &dispatcher);
    assert_eq!(
        (total["closed"].as_u64(), total["closed_unverified"].as_u64()),
        (Some(1), Some(1)),
        "{total}"
    );
    assert_eq!(stats_total(&server, &elsewhere)["closed_unverified"], 0);
}

fn account_id(server: &TestServer, token: &str) -> String {
    let me: Value = server.get_as(token, "/api/v1/me").json().unwrap();
    me["id"].as_str().unwrap().to_owned()
}

fn a_verification_is_given_to_a_named_inspector_of_the_street(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = two_street_cells(8);
    server.import_grid(&admin, "310104", &cells);
    let cell = &cells[1];
    let street = street_of(&cell.code.to_string());
    let neighbour =
        cells.iter().find(|c| c.code != cell.code && street_of(&c.code.to_string()) == street).unwrap();
    let far_cell = cells.iter().find(|c| street_of(&c.code.to_string()) != street).unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
    let elsewhere =
        server.staff_token(Role::Dispatcher, Scope::Street { street: street_of(&far_cell.code.to_string()) });
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
    // One inspector of the street (in the neighbouring cell), one of the other street.
    let named =
        server.staff_token(Role::Inspector, Scope::Grids { grids: [neighbour.code].into_iter().collect() });
    let away =
        server.staff_token(Role::Inspector, Scope::Grids { grids: [far_cell.code].into_iter().collect() });
    let (named_id, away_id, handler_id) =
        (account_id(&server, &named), account_id(&server, &away), account_id(&server, &handler));

    let citizen = server.citizen_token();
    let (lat, lon) = point_in(cell);
    let id = handled_case(&server, [&citizen, &dispatcher, &handler], cell, "井盖缺失 manhole cover missing");
    assert_eq!(desk(&server, &dispatcher)["awaiting_verification_without_inspector"], 1);

    // Before it is given: the street's inspector cannot see or verify it.
    assert_eq!(view_of(&server, &named, &id), "public");
    let on_site = |token: &str| {
        let photo = server.upload_photo(token);
        json!({ "action": "verify_pass", "photo_ids": [photo], "position": { "lat": lat, "lon": lon } })
    };
    let refused = post_step(&server, &admin, &named, &id, &on_site(&named));
    assert_eq!(problem(refused, 403)["code"], "out_of_scope");

    // What an assignment needs, each refused with its code; nothing written.
    let assign = |inspector: &str| json!({ "action": "assign_verifier", "inspector": inspector });
    let code_of = |token: &str, body: &Value, status: u16| {
        problem(post_step(&server, &admin, token, &id, body), status)["code"].as_str().unwrap().to_owned()
    };
    assert_eq!(code_of(&dispatcher, &json!({ "action": "assign_verifier" }), 422), "inspector_required");
    assert_eq!(
        code_of(&dispatcher, &assign(&away_id), 422),
        "unknown_inspector",
        "another street's inspector"
    );
    assert_eq!(code_of(&dispatcher, &assign(&handler_id), 422), "unknown_inspector", "not an inspector");
    assert_eq!(code_of(&dispatcher, &assign("no-such-account"), 422), "unknown_inspector");
    assert_eq!(code_of(&elsewhere, &assign(&named_id), 403), "out_of_scope");
    assert_eq!(code_of(&handler, &assign(&named_id), 403), "not_allowed_for_role");
    let case: Value = server.get_as(&dispatcher, &format!("/api/v1/cases/{id}")).json().unwrap();
    let offered: Vec<&str> =
        case["available_actions"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(offered.contains(&"assign_verifier"), "{offered:?}");
    let needs =
        case["action_needs"].as_array().unwrap().iter().find(|n| n["action"] == "assign_verifier").unwrap();
    assert_eq!(needs["needs"]["inspector"], true);

    // The street office chooses from the inspectors the step accepts: the street's own only.
    let candidates: Value =
        server.get_as(&dispatcher, &format!("/api/v1/cases/{id}/verifiers")).json().unwrap();
    let offered: Vec<&str> =
        candidates["inspectors"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(offered, [named_id.as_str()]);
    assert_eq!(
        problem(server.get_as(&elsewhere, &format!("/api/v1/cases/{id}/verifiers")), 403)["code"],
        "out_of_scope"
    );

    // Given to the street's inspector: counted on the desk, in their list, and verified on site.
    let given = server.step(&dispatcher, &id, &assign(&named_id));
    assert_eq!(given["state"], "handled");
    let figures = desk(&server, &dispatcher);
    assert_eq!(
        (
            figures["awaiting_verification_by_named_inspector"].as_i64(),
            figures["awaiting_verification_without_inspector"].as_i64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(listed(&server, &named, "state=handled"), std::slice::from_ref(&id));
    assert!(listed(&server, &away, "").is_empty());
    let worklist: Value = server.get_as(&named, "/api/v1/worklist").json().unwrap();
    assert!(worklist.to_string().contains(&id), "in the inspector's work list: {worklist}");
    let seen: Value = server.get_as(&named, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert_eq!(seen["view"], "staff");
    assert!(seen["available_actions"].as_array().unwrap().contains(&json!("verify_pass")));
    let closed = server.step(&named, &id, &on_site(&named));
    assert_eq!(closed["state"], "closed");

    // The staff timeline names the inspector; the reporter's says nothing of them.
    let timeline: Value = server.get_as(&dispatcher, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
    let step =
        timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "assign_verifier").unwrap();
    assert_eq!(step["details"]["verifier"], named_id.as_str());
    assert_eq!(step["details"]["verifier_name"], "Test inspector");
    let public: Value = server.get_as(&citizen, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
    assert!(!public.to_string().contains(&named_id), "{public}");
    assert_eq!(
        desk(&server, &dispatcher)["closed_without_verification"],
        0,
        "verified, not closed at the desk"
    );
}
