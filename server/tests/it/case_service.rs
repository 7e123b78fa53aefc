//! The case service over real HTTP on both backends: a dispatch's deadline is computed by core
//! on the city's working calendar and never taken from the client; a case read and a step agree
//! on what may be done under the server's (test) clock; a city with its own calendar settings
//! gets its own deadlines; and a replayed `Idempotency-Key` is checked for scope and body like a
//! first request; the offline grid package carries the city's routing tolerance; and a stored
//! code core cannot parse fails the read with a server error, not a panic or a missing case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use common::{Backend, TestServer, demo_cells, point_in, problem};
use gridline_core::calendar::{CalendarSettings, WorkingCalendar};
use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use reqwest::blocking::Response;
use serde_json::{Value, json};

both_backends!(
    a_dispatch_deadline_is_computed_and_a_client_deadline_refused,
    a_case_read_and_a_step_agree_under_the_test_clock,
    a_city_with_its_own_calendar_gets_its_own_deadlines,
    a_replayed_key_outside_the_callers_scope_is_refused,
    a_replayed_key_with_another_body_is_refused,
    the_grid_package_carries_the_citys_routing_tolerance,
    a_stored_code_core_cannot_parse_is_a_clear_error,
);

/// A work period of two hours a day, 08:00-10:00 Beijing time.
const SHORT_DAYS: &str = "work_periods = [\"08:00-10:00\"]\n";

/// A time in Beijing, as UTC.
pub(crate) fn beijing(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A server with one street, its dispatcher and sanitation unit, and a reported case of
/// "exposed rubbish" (E0101, a 4-hour limit), registered.
pub(crate) struct Street {
    pub server: TestServer,
    pub dispatcher: String,
    pub handler: String,
    pub case_id: String,
}

impl Street {
    pub fn open(backend: Backend, settings: &[(&str, &str)], now: DateTime<Utc>) -> Self {
        let mut settings = settings.to_vec();
        // One scan at start-up only: the test moves the clock and takes the system's steps.
        settings.push(("GRIDLINE_OVERDUE_SCAN_SECS", "86400"));
        let server = TestServer::start_with(backend, &settings);
        server.clock.set(now);
        let cells = demo_cells(8);
        server.import_grid(&server.admin_token(), "310104", &cells);
        let (lat, lon) = point_in(&cells[2]);
        let street = AreaCode::parse(&cells[2].code.to_string()[..9]).unwrap();
        let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
        let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
        let citizen = server.citizen_token();
        let receipt = server.report_as(
            &citizen,
            &json!({ "category": "E0101", "description": "Rubbish by the gate", "position": { "lat": lat, "lon": lon } }),
        );
        let case_id = receipt["id"].as_str().unwrap().to_owned();
        server.step(&dispatcher, &case_id, &json!({ "action": "register" }));
        Street { server, dispatcher, handler, case_id }
    }

    pub fn case(&self, token: &str) -> Value {
        let response = self.server.get_as(token, &format!("/api/v1/cases/{}", self.case_id));
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    }

    /// Posts a step at the case's current version as `token`, with an optional idempotency key.
    pub fn post(&self, token: &str, body: &Value, key: Option<&str>) -> Response {
        let version = self.case(&self.dispatcher)["version"].clone();
        let mut request = self
            .server
            .client
            .post(self.server.url(&format!("/api/v1/cases/{}/actions", self.case_id)))
            .bearer_auth(token);
        request = match key {
            Some(key) => request.header("idempotency-key", key),
            None => request.header("if-match", format!("\"{version}\"")),
        };
        request.json(body).send().unwrap()
    }
}

fn actions(case: &Value) -> Vec<String> {
    case["available_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect()
}

fn deadline(case: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(case["deadline"].as_str().unwrap()).unwrap().with_timezone(&Utc)
}

fn a_dispatch_deadline_is_computed_and_a_client_deadline_refused(backend: Backend) {
    // Friday 27 November 16:00: 1.5 working hours that day, the rest on Monday morning.
    let street = Street::open(backend, &[], beijing(11, 27, 16, 0));
    let preview = street.case(&street.dispatcher);
    let chosen = json!({ "action": "dispatch", "handling_unit": "sanitation", "new_deadline": "2099-12-31T00:00:00Z" });
    let refused = problem(street.post(&street.dispatcher, &chosen, None), 422);
    assert_eq!(refused["code"], "deadline_not_accepted");
    assert_eq!(refused["field"], "new_deadline");
    assert_eq!(street.case(&street.dispatcher)["state"], "registered", "nothing was recorded");

    let dispatched = street.server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );
    assert_eq!(deadline(&dispatched), beijing(11, 30, 11, 30));
    assert_eq!(dispatched["deadline"], preview["dispatch_deadline"], "the preview is what the dispatch sets");
    assert_eq!(dispatched["handling_unit"], "sanitation");
    let timeline: Value = street
        .server
        .get_as(&street.dispatcher, &format!("/api/v1/cases/{}/timeline", street.case_id))
        .json()
        .unwrap();
    let dispatch =
        timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "dispatch").unwrap().clone();
    assert_eq!(dispatch["details"]["deadline"], dispatched["deadline"]);
}

fn a_case_read_and_a_step_agree_under_the_test_clock(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 16, 0));
    let system = street.server.staff_token(Role::System, Scope::City);
    street.server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );
    // Half an hour before the deadline on the server's clock (long past on the wall clock).
    street.server.clock.set(beijing(11, 30, 11, 0));
    assert!(!actions(&street.case(&system)).contains(&"mark_overdue".to_owned()));
    let early = problem(street.post(&system, &json!({ "action": "mark_overdue" }), None), 409);
    assert_eq!(early["code"], "deadline_not_passed");

    street.server.clock.set(beijing(11, 30, 12, 0));
    assert_eq!(actions(&street.case(&system)), ["mark_overdue"]);
    let marked = street.post(&system, &json!({ "action": "mark_overdue" }), None);
    assert_eq!(marked.status(), 200);
    assert_eq!(actions(&street.case(&system)), ["escalate"]);
    assert_eq!(street.post(&system, &json!({ "action": "escalate" }), None).status(), 200);
}

fn a_city_with_its_own_calendar_gets_its_own_deadlines(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calendar.toml");
    std::fs::write(&file, SHORT_DAYS).unwrap();
    let at = beijing(11, 27, 9, 0);
    let street = Street::open(backend, &[("GRIDLINE_CALENDAR_FILE", file.to_str().unwrap())], at);
    let dispatched = street.server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );
    // Two hours a day: 1 h on Friday, 2 h on Monday, the last on Tuesday morning.
    assert_eq!(deadline(&dispatched), beijing(12, 1, 9, 0));
    let own = WorkingCalendar::china_with(CalendarSettings::from_toml(SHORT_DAYS, "test").unwrap()).unwrap();
    assert_eq!(deadline(&dispatched), own.deadline(at, "4h".parse().unwrap()).unwrap());
    let default = WorkingCalendar::china().unwrap().deadline(at, "4h".parse().unwrap()).unwrap();
    assert_eq!(default, beijing(11, 27, 14, 0), "the default calendar would have said Friday afternoon");
}

fn a_replayed_key_outside_the_callers_scope_is_refused(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    let dispatch = |unit: &str| json!({ "action": "dispatch", "handling_unit": unit });
    street.server.step(&street.dispatcher, &street.case_id, &dispatch("sanitation"));
    let key = uuid::Uuid::now_v7().to_string();
    let accept = json!({ "action": "accept" });
    assert_eq!(street.post(&street.handler, &accept, Some(&key)).status(), 200);
    let replay = street.post(&street.handler, &accept, Some(&key));
    assert_eq!(replay.status(), 200, "a true replay is answered");
    assert_eq!(replay.headers()["idempotent-replayed"], "true");

    // The street office takes the case back and sends it to another unit.
    let shelve = json!({ "action": "shelve", "reason": "needs a budget decision" });
    street.server.step(&street.dispatcher, &street.case_id, &shelve);
    street.server.step(&street.dispatcher, &street.case_id, &json!({ "action": "unshelve" }));
    street.server.step(&street.dispatcher, &street.case_id, &dispatch("water"));
    let refused = problem(street.post(&street.handler, &accept, Some(&key)), 403);
    assert_eq!(refused["code"], "out_of_scope");
    assert!(refused.get("current_state").is_none(), "nothing of the case is told");
}

fn a_replayed_key_with_another_body_is_refused(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 10, 0));
    street.server.step(
        &street.dispatcher,
        &street.case_id,
        &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );
    let key = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        street.post(&street.handler, &json!({ "action": "accept", "note": "on it" }), Some(&key)).status(),
        200
    );
    let other = json!({ "action": "accept", "note": "someone else's words" });
    let refused = problem(street.post(&street.handler, &other, Some(&key)), 409);
    assert_eq!(refused["code"], "idempotency_key_reused");
    assert_eq!(refused["field"], "Idempotency-Key");
    let dispatcher_reuse = problem(
        street.post(&street.dispatcher, &json!({ "action": "accept", "note": "on it" }), Some(&key)),
        409,
    );
    assert_eq!(
        dispatcher_reuse["code"], "idempotency_key_reused",
        "another account's key is not theirs to replay"
    );
}

fn the_grid_package_carries_the_citys_routing_tolerance(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_ROUTING_TOLERANCE_M", "12.5")]);
    server.import_grid(&server.admin_token(), "310104", &demo_cells(4));
    let response = server.get("/api/v1/grids/package");
    assert_eq!(response.status(), 200);
    let package = gridline_core::grid::decode_grid_package(&response.bytes().unwrap()).unwrap();
    assert_eq!(package.routing_tolerance_m, 12.5);
    assert_eq!(package.cells.len(), 4);
}

/// A case row's codes are parsed once, when the row is read: a grid or category code that core
/// does not accept (written behind the server's back) answers 500 `internal` as problem+json,
/// not 404 and not a dropped connection, and the server keeps serving the other cases.
fn a_stored_code_core_cannot_parse_is_a_clear_error(backend: Backend) {
    let street = Street::open(backend, &[], beijing(11, 27, 16, 0));
    let read_back = street.case(&street.dispatcher);
    assert_eq!(read_back["category"], "E0101", "the typed code is written back in its text form");
    let grid = read_back["placement"]["grid"].as_str().unwrap().to_owned();
    assert_eq!(grid.len(), 15, "the typed grid code is written back in its 15-digit form");

    for (column, bad) in [("grid_code", "not-a-grid"), ("category_code", "rubbish")] {
        let mut conn = street.server.db.get().unwrap();
        let sql = format!("UPDATE cases SET {column} = '{bad}' WHERE id = '{}'", street.case_id);
        assert_eq!(diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut *conn).unwrap(), 1);
        drop(conn);
        let response = street.server.get_as(&street.dispatcher, &format!("/api/v1/cases/{}", street.case_id));
        let failed = problem(response, 500);
        assert_eq!(failed["code"], "internal", "{column}");

        let mut conn = street.server.db.get().unwrap();
        let restore = match column {
            "grid_code" => format!("UPDATE cases SET grid_code = '{grid}' WHERE id = '{}'", street.case_id),
            _ => format!("UPDATE cases SET category_code = 'E0101' WHERE id = '{}'", street.case_id),
        };
        diesel::RunQueryDsl::execute(diesel::sql_query(restore), &mut *conn).unwrap();
        drop(conn);
        assert_eq!(street.case(&street.dispatcher)["category"], "E0101", "readable again once repaired");
    }
}
