//! Joint handling (主办/协办) and disputed assignments (派单异议) over real HTTP on both backends:
//!
//! - a case dispatched to a lead unit with two helper units, each part with its own note and
//!   deadline; one helper finishes on time, the other's part goes overdue (marked and escalated by
//!   the overdue job), the lead cannot mark the case handled until both are finished, then the
//!   case closes; the per-unit figures count each unit's parts;
//! - the lead closing a helper's part with a reason, and the part steps' concurrency and roles;
//! - a helper's finished part returned for rework (返工) by the lead and by the street office,
//!   finished again each time, to closure; the refusals; the per-unit rework figures by hand;
//! - disputes upheld and reassigned, each within and past the arbiter's deadline (the undecided
//!   one escalated to the district and decided by the district admin), a dispute past the
//!   window refused, and the dispute rate;
//! - a case bounced between units more than twice, flagged to the district once, where the
//!   district admin sees the flag and takes the case in hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use common::{Backend, TestServer, demo_cells, point_in, problem};
use diesel::prelude::*;
use gridline_core::calendar::{TimeLimit, WorkingCalendar};
use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::jobs::overdue::scan;
use gridline_server::store::Db;
use gridline_server::store::schema::case_events;
use serde_json::{Value, json};

fn china() -> WorkingCalendar {
    WorkingCalendar::china().unwrap()
}

fn beijing(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

/// Monday 30 November 2026, 09:00 in Beijing: a working morning.
fn monday_nine() -> DateTime<Utc> {
    beijing(2026, 11, 30, 9, 0)
}

struct Street {
    server: TestServer,
    dispatcher: String,
    admin: String,
    reporter: String,
    lat: f64,
    lon: f64,
}

impl Street {
    fn open(backend: Backend) -> Self {
        let server = TestServer::start(backend);
        let admin = server.admin_token();
        let cells = demo_cells(20);
        server.import_grid(&admin, "310104", &cells);
        let cell = &cells[3];
        let (lat, lon) = point_in(cell);
        let street = cell.code.to_string()[..9].to_owned();
        let dispatcher =
            server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse(&street).unwrap() });
        let reporter = server.citizen_token();
        Street { server, dispatcher, admin, reporter, lat, lon }
    }

    fn handler(&self, unit: &str) -> String {
        self.server.staff_token(Role::Handler, Scope::Unit { unit: unit.to_owned() })
    }

    /// The admin of district 310104, which holds the street.
    fn district_admin(&self) -> String {
        self.server.staff_token(
            Role::DistrictAdmin,
            Scope::District { district: AreaCode::parse("310104").unwrap() },
        )
    }

    /// A reported and registered case; its id.
    fn registered(&self) -> String {
        let receipt = self.server.report_as(
            &self.reporter,
            &json!({
                "category": "E0101",
                "description": "Pavement collapsed over a leaking main",
                "position": { "lat": self.lat, "lon": self.lon, "crs": "wgs84", "accuracy_m": 6.0 },
            }),
        );
        let id = receipt["id"].as_str().unwrap().to_owned();
        self.server.step(&self.dispatcher, &id, &json!({ "action": "register" }));
        id
    }

    /// The step `body` as `token`; the answer's status and body.
    fn try_step(&self, token: &str, id: &str, body: &Value) -> (u16, Value) {
        let case: Value = self.server.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap();
        let response = self
            .server
            .client
            .post(self.server.url(&format!("/api/v1/cases/{id}/actions")))
            .bearer_auth(token)
            .header("if-match", format!("\"{}\"", case["version"]))
            .json(body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap())
    }

    fn joint(&self, token: &str, id: &str) -> Value {
        let response = self.server.get_as(token, &format!("/api/v1/cases/{id}/joint"));
        assert_eq!(response.status(), 200);
        let etag = response.headers().get("etag").unwrap().to_str().unwrap().to_owned();
        let body: Value = response.json().unwrap();
        assert_eq!(etag, format!("\"{}\"", body["case"]["version"]));
        body
    }

    fn part_of<'a>(joint: &'a Value, unit: &str) -> &'a Value {
        joint["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["unit"] == unit && p["state"] != "withdrawn")
            .unwrap()
    }

    /// A part step as `token` at the case's current version; the raw answer.
    fn part_step_response(
        &self,
        token: &str,
        id: &str,
        unit: &str,
        body: &Value,
    ) -> reqwest::blocking::Response {
        let joint = self.joint(&self.admin, id);
        let part = Self::part_of(&joint, unit)["id"].as_str().unwrap().to_owned();
        self.server
            .client
            .post(self.server.url(&format!("/api/v1/cases/{id}/parts/{part}/actions")))
            .bearer_auth(token)
            .header("if-match", format!("\"{}\"", joint["case"]["version"]))
            .json(body)
            .send()
            .unwrap()
    }

    fn part_step(&self, token: &str, id: &str, unit: &str, body: &Value) -> Value {
        let response = self.part_step_response(token, id, unit, body);
        assert_eq!(response.status(), 200, "{body}");
        response.json().unwrap()
    }

    fn kinds(&self, id: &str) -> Vec<String> {
        let body: Value =
            self.server.get_as(&self.dispatcher, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
        body["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
    }

    fn db(&self) -> Db {
        Db::connect(&self.server.database_url, 2, Duration::from_secs(10)).unwrap()
    }

    fn scan_at(&self, at: DateTime<Utc>) {
        scan(&mut self.db().get().unwrap(), at, &china()).unwrap();
    }

    fn unit_figures(&self, token: &str) -> Vec<Value> {
        let response = self.server.get_as(token, "/api/v1/stats/joint");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().unwrap();
        body["units"].as_array().unwrap().clone()
    }

    fn figures_of(&self, unit: &str) -> Value {
        self.unit_figures(&self.admin).into_iter().find(|u| u["unit"] == unit).unwrap_or(Value::Null)
    }
}

fn count_kind(db: &Db, id: &str, kind: &str) -> i64 {
    case_events::table
        .filter(case_events::case_id.eq(id))
        .filter(case_events::kind.eq(kind))
        .count()
        .get_result(&mut db.get().unwrap())
        .unwrap()
}

fn joint_case_with_two_helpers_one_late_to_closure(backend: Backend) {
    let street = Street::open(backend);
    let (roads, water, office) = (street.handler("roads"), street.handler("water"), street.handler("street"));
    let id = street.registered();
    let start = monday_nine();
    street.server.clock.set(start);
    let dispatched = street.server.step(
        &street.dispatcher,
        &id,
        &json!({
            "action": "dispatch",
            "handling_unit": "roads",
            "helpers": [
                { "unit": "water", "note": "Shut the leaking main", "time_limit": "4h" },
                { "unit": "street", "note": "Fence off the hole", "time_limit": "2h" },
            ],
        }),
    );
    assert_eq!(dispatched["handling_unit"], "roads");

    let joint = street.joint(&street.dispatcher, &id);
    assert_eq!(joint["lead_unit"], "roads");
    let (water_part, street_part) = (Street::part_of(&joint, "water"), Street::part_of(&joint, "street"));
    assert_eq!(water_part["note"], "Shut the leaking main");
    assert_eq!(water_part["state"], "assigned");
    let water_due = china().deadline(start, TimeLimit::Hours(4)).unwrap();
    let street_due = china().deadline(start, TimeLimit::Hours(2)).unwrap();
    assert_eq!(time(&water_part["deadline"]), water_due);
    assert_eq!(time(&street_part["deadline"]), street_due);
    // The street office may close a part; only the helper takes its own steps.
    assert_eq!(water_part["available_actions"], json!(["close"]));

    // A helper reads the case through its part, and is offered its own part's steps only.
    let seen_by_water = street.joint(&water, &id);
    assert_eq!(seen_by_water["case"]["view"], "staff");
    assert_eq!(seen_by_water["case"]["description"], "Pavement collapsed over a leaking main");
    assert_eq!(Street::part_of(&seen_by_water, "water")["available_actions"], json!(["accept", "send_back"]));
    assert_eq!(Street::part_of(&seen_by_water, "street")["available_actions"], json!([]));
    assert_eq!(seen_by_water["available_actions"], json!([]));
    // A unit with no part, and a citizen, read nothing.
    let parks = street.handler("landscaping");
    let refused = street.server.get_as(&parks, &format!("/api/v1/cases/{id}/joint"));
    assert_eq!(problem(refused, 403)["code"], "out_of_scope");

    street.server.step(&roads, &id, &json!({ "action": "accept" }));
    street.server.clock.set(start + chrono::Duration::minutes(30));
    street.part_step(&water, &id, "water", &json!({ "action": "accept" }));
    street.part_step(&office, &id, "street", &json!({ "action": "accept" }));
    // Finishing needs an after-photo of the helper's own.
    let refused = street.part_step_response(&water, &id, "water", &json!({ "action": "finish" }));
    assert_eq!(problem(refused, 422)["code"], "photo_required");
    let photo = street.server.upload_photo(&water);
    street.server.clock.set(start + chrono::Duration::hours(1));
    let after = street.part_step(&water, &id, "water", &json!({ "action": "finish", "photo_ids": [photo] }));
    assert_eq!(Street::part_of(&after, "water")["state"], "finished");
    assert_eq!(Street::part_of(&after, "water")["on_time"], true);

    // The lead is not offered mark_handled while a part is open, and is refused it.
    let lead_view = street.joint(&roads, &id);
    assert_eq!(lead_view["available_actions"], json!([]));
    let case: Value = street.server.get_as(&roads, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert_eq!(case["available_actions"], json!([]));
    let lead_photo = street.server.upload_photo(&roads);
    let (status, body) =
        street.try_step(&roads, &id, &json!({ "action": "mark_handled", "photo_ids": [lead_photo] }));
    assert_eq!((status, body["code"].as_str()), (409, Some("helper_parts_open")));

    // The street part passes its deadline: the overdue job marks and escalates it, once.
    let late = street_due + chrono::Duration::minutes(30);
    street.server.clock.set(late);
    street.scan_at(late);
    street.scan_at(late + chrono::Duration::minutes(1));
    let joint = street.joint(&street.dispatcher, &id);
    assert_eq!(Street::part_of(&joint, "street")["overdue"], true);
    assert_eq!(Street::part_of(&joint, "water")["overdue"], false);
    assert_eq!(count_kind(&street.db(), &id, "part_mark_overdue"), 1);

    let photo = street.server.upload_photo(&office);
    let finished =
        street.part_step(&office, &id, "street", &json!({ "action": "finish", "photo_ids": [photo] }));
    assert_eq!(Street::part_of(&finished, "street")["on_time"], false);
    assert_eq!(finished["available_actions"], json!([]), "a helper takes no case step");

    // Every part finished: the lead marks the case handled, and the street office closes it.
    assert_eq!(street.joint(&roads, &id)["available_actions"], json!(["mark_handled"]));
    street.server.step(&roads, &id, &json!({ "action": "mark_handled", "photo_ids": [lead_photo] }));
    let closed = street.server.step(
        &street.dispatcher,
        &id,
        &json!({ "action": "close", "reason": "Checked by phone" }),
    );
    assert_eq!(closed["state"], "closed");
    // Part steps end with the case.
    let refused = street.part_step_response(
        &street.dispatcher,
        &id,
        "street",
        &json!({ "action": "close", "reason": "x" }),
    );
    assert_eq!(problem(refused, 409)["code"], "case_not_active");

    let kinds = street.kinds(&id);
    for kind in ["dispatch", "part_accept", "part_finish", "part_mark_overdue", "mark_handled", "close"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    // Per unit: each unit's parts, on time or not, and the case the lead was given.
    let water_figures = street.figures_of("water");
    assert_eq!(
        (water_figures["parts"].as_u64(), water_figures["parts_finished_on_time"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(water_figures["parts_on_time_rate"], 1.0);
    let street_figures = street.figures_of("street");
    assert_eq!(street_figures["parts_finished"], 1);
    assert_eq!(street_figures["parts_overdue"], 1);
    assert_eq!(street_figures["parts_on_time_rate"], 0.0);
    let roads_figures = street.figures_of("roads");
    assert_eq!((roads_figures["assignments"].as_u64(), roads_figures["parts"].as_u64()), (Some(1), Some(0)));
}

fn the_lead_closes_a_helpers_part_and_part_steps_are_guarded(backend: Backend) {
    let street = Street::open(backend);
    let (roads, water) = (street.handler("roads"), street.handler("water"));
    let id = street.registered();
    street.server.clock.set(monday_nine());
    // Helpers are checked one by one: not the lead, an active unit, with a note.
    for (helpers, code) in [
        (json!([{ "unit": "roads", "note": "x" }]), "helper_invalid"),
        (json!([{ "unit": "water", "note": " " }]), "helper_invalid"),
        (json!([{ "unit": "no-such-unit", "note": "x" }]), "unknown_unit"),
    ] {
        let (status, body) = street.try_step(
            &street.dispatcher,
            &id,
            &json!({ "action": "dispatch", "handling_unit": "roads", "helpers": helpers }),
        );
        assert_eq!((status, body["code"].as_str()), (422, Some(code)), "{helpers}");
    }
    street.server.step(
        &street.dispatcher,
        &id,
        &json!({ "action": "dispatch", "handling_unit": "roads", "helpers": [{ "unit": "water", "note": "Valve" }] }),
    );
    // Only a dispatch or a reassignment names helpers.
    let (status, body) = street.try_step(
        &roads,
        &id,
        &json!({ "action": "accept", "helpers": [{ "unit": "water", "note": "x" }] }),
    );
    assert_eq!((status, body["code"].as_str()), (422, Some("helpers_not_accepted")));
    street.server.step(&roads, &id, &json!({ "action": "accept" }));

    // Concurrency: no If-Match is 428, a stale one 409 with the current version.
    let joint = street.joint(&street.dispatcher, &id);
    let part = Street::part_of(&joint, "water")["id"].as_str().unwrap().to_owned();
    let url = street.server.url(&format!("/api/v1/cases/{id}/parts/{part}/actions"));
    let bare = street
        .server
        .client
        .post(&url)
        .bearer_auth(&water)
        .json(&json!({ "action": "accept" }))
        .send()
        .unwrap();
    assert_eq!(problem(bare, 428)["code"], "precondition_required");
    let stale = street
        .server
        .client
        .post(&url)
        .bearer_auth(&water)
        .header("if-match", "\"1\"")
        .json(&json!({ "action": "accept" }))
        .send()
        .unwrap();
    let body = problem(stale, 409);
    assert_eq!(
        (body["code"].as_str(), &body["current_version"]),
        (Some("version_mismatch"), &joint["case"]["version"])
    );
    // Roles: the lead cannot accept a helper's part; the helper cannot close it.
    let refused = street.part_step_response(&roads, &id, "water", &json!({ "action": "accept" }));
    assert_eq!(problem(refused, 403)["code"], "not_allowed_for_part");
    let refused =
        street.part_step_response(&water, &id, "water", &json!({ "action": "close", "reason": "x" }));
    assert_eq!(problem(refused, 403)["code"], "not_allowed_for_part");
    let refused = street.part_step_response(&water, &id, "water", &json!({ "action": "fly" }));
    assert_eq!(problem(refused, 422)["field"], "action");

    // The helper sends the part back; the lead closes it with a reason, and may then finish.
    let refused = street.part_step_response(&water, &id, "water", &json!({ "action": "send_back" }));
    assert_eq!(problem(refused, 422)["code"], "reason_required");
    street.part_step(&water, &id, "water", &json!({ "action": "send_back", "reason": "No main here" }));
    let closed = street.part_step(
        &roads,
        &id,
        "water",
        &json!({ "action": "close", "reason": "Valve was not needed" }),
    );
    let part = Street::part_of(&closed, "water");
    assert_eq!(
        (part["state"].as_str(), part["reason"].as_str()),
        (Some("closed"), Some("Valve was not needed"))
    );
    assert_eq!(closed["available_actions"], json!(["mark_handled"]));
    let photo = street.server.upload_photo(&roads);
    let handled = street.server.step(&roads, &id, &json!({ "action": "mark_handled", "photo_ids": [photo] }));
    assert_eq!(handled["state"], "handled");
    let water_figures = street.figures_of("water");
    assert_eq!(
        (water_figures["parts_closed"].as_u64(), water_figures["parts_finished"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(water_figures["parts_sent_back"], 0, "a closed part counts as closed, not sent back");
    assert_eq!(water_figures["parts"], 1);
}

/// A case dispatched to `water` at `at`, disputed half an hour later; its id and the arbiter's
/// deadline.
fn disputed(street: &Street, water: &str, at: DateTime<Utc>) -> (String, DateTime<Utc>) {
    let id = street.registered();
    street.server.clock.set(at);
    street.server.step(&street.dispatcher, &id, &json!({ "action": "dispatch", "handling_unit": "water" }));
    let raised = at + chrono::Duration::minutes(30);
    street.server.clock.set(raised);
    let (status, body) = street.try_step(water, &id, &json!({ "action": "dispute" }));
    assert_eq!((status, body["code"].as_str()), (422, Some("reason_required")));
    street.server.step(
        water,
        &id,
        &json!({ "action": "dispute", "reason": "The pipe is the gas company's" }),
    );
    let joint = street.joint(&street.dispatcher, &id);
    let dispute = &joint["disputes"][0];
    assert_eq!((dispute["unit"].as_str(), dispute["decision"].as_str()), (Some("water"), None));
    let decide_by = time(&dispute["decide_by"]);
    assert_eq!(decide_by, china().deadline(raised, TimeLimit::Hours(4)).unwrap());
    // The arbiter is offered the decision; the unit may neither accept nor dispute again.
    assert_eq!(joint["available_actions"], json!(["extend", "uphold", "reassign"]));
    let (status, body) = street.try_step(water, &id, &json!({ "action": "accept" }));
    assert_eq!((status, body["code"].as_str()), (409, Some("dispute_pending")));
    (id, decide_by)
}

fn disputes_upheld_and_reassigned_within_and_past_the_arbiters_deadline(backend: Backend) {
    let street = Street::open(backend);
    let water = street.handler("water");
    let start = monday_nine();
    let db = street.db();
    let district = street.district_admin();
    for (decision, late) in [("uphold", false), ("uphold", true), ("reassign", false), ("reassign", true)] {
        let (id, decide_by) = disputed(&street, &water, start);
        let at = if late {
            decide_by + chrono::Duration::minutes(10)
        } else {
            decide_by - chrono::Duration::minutes(10)
        };
        street.server.clock.set(at);
        // The overdue job sends an undecided dispute past its deadline to the district, once.
        street.scan_at(at);
        street.scan_at(at + chrono::Duration::minutes(1));
        assert_eq!(count_kind(&db, &id, "escalate_dispute"), i64::from(late), "{decision} late={late}");
        let body = if decision == "uphold" {
            json!({ "action": "uphold", "note": "The main is the water company's" })
        } else {
            json!({ "action": "reassign", "handling_unit": "gas" })
        };
        // A dispute escalated past its deadline is the district's to decide.
        let arbiter = if late { &district } else { &street.dispatcher };
        let after = street.server.step(arbiter, &id, &body);
        let joint = street.joint(&street.dispatcher, &id);
        let dispute = &joint["disputes"][0];
        let expected = if decision == "uphold" { "upheld" } else { "reassigned" };
        assert_eq!(dispute["decision"], expected);
        assert_eq!(dispute["late"], late);
        assert_eq!(dispute["escalated_at"].is_string(), late);
        if decision == "uphold" {
            assert_eq!(after["handling_unit"], "water");
            street.server.step(&water, &id, &json!({ "action": "accept" }));
        } else {
            assert_eq!(after["handling_unit"], "gas");
            assert_eq!(joint["bounces"], 1);
        }
        let kinds = street.kinds(&id);
        assert!(kinds.contains(&"dispute".to_owned()) && kinds.contains(&decision.to_owned()), "{kinds:?}");
        // Decided: nothing left for the arbiter.
        let (status, body) = street.try_step(&street.dispatcher, &id, &json!({ "action": "uphold" }));
        assert!(status == 409 && body["code"] != "", "{body}");
    }

    // Past the window the unit may not dispute any more.
    let id = street.registered();
    street.server.clock.set(start);
    street.server.step(&street.dispatcher, &id, &json!({ "action": "dispatch", "handling_unit": "water" }));
    let closes = china().deadline(start, TimeLimit::Hours(2)).unwrap();
    street.server.clock.set(closes + chrono::Duration::minutes(1));
    let (status, body) = street.try_step(&water, &id, &json!({ "action": "dispute", "reason": "Not ours" }));
    assert_eq!((status, body["code"].as_str()), (409, Some("dispute_window_closed")));

    // The dispute rate: 4 disputes over 5 assignments to water; gas was given 2 by reassignment.
    let figures = street.figures_of("water");
    assert_eq!((figures["disputes"].as_u64(), figures["assignments"].as_u64()), (Some(4), Some(5)));
    assert_eq!(
        (figures["disputes_upheld"].as_u64(), figures["disputes_reassigned"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(figures["dispute_rate"], 0.8);
    assert_eq!(street.figures_of("gas")["assignments"], 2);
    assert_eq!(street.figures_of("gas")["dispute_rate"], 0.0);
    // A dispatcher sees the same figures for their street; a citizen none.
    assert_eq!(street.unit_figures(&street.dispatcher).len(), street.unit_figures(&street.admin).len());
    let refused = street.server.get_as(&street.reporter, "/api/v1/stats/joint");
    assert_eq!(problem(refused, 403)["code"], "forbidden");
    let refused = street.server.get_as(&street.admin, "/api/v1/stats/joint?from=2026-01-01");
    assert_eq!(problem(refused, 400)["code"], "invalid_query");
}

fn a_case_bounced_more_than_twice_is_flagged_to_the_district_once(backend: Backend) {
    let street = Street::open(backend);
    let (water, roads, gas, office) =
        (street.handler("water"), street.handler("roads"), street.handler("gas"), street.handler("street"));
    let id = street.registered();
    street.server.clock.set(monday_nine());
    let db = street.db();
    let dispatch = |unit: &str| {
        street.server.step(&street.dispatcher, &id, &json!({ "action": "dispatch", "handling_unit": unit }));
    };
    dispatch("water");
    street.server.step(&water, &id, &json!({ "action": "send_back", "reason": "Not a water problem" }));
    dispatch("roads");
    street.server.step(&roads, &id, &json!({ "action": "dispute", "reason": "Not a road problem" }));
    street.server.step(&street.dispatcher, &id, &json!({ "action": "reassign", "handling_unit": "gas" }));
    assert_eq!(count_kind(&db, &id, "flagged_to_district"), 0, "two bounces are allowed");
    let joint = street.joint(&street.dispatcher, &id);
    assert_eq!((joint["bounces"].as_u64(), joint["flagged_to_district"].as_bool()), (Some(2), Some(false)));

    street.server.step(&gas, &id, &json!({ "action": "send_back", "reason": "Not a gas problem" }));
    let joint = street.joint(&street.dispatcher, &id);
    assert_eq!((joint["bounces"].as_u64(), joint["flagged_to_district"].as_bool()), (Some(3), Some(true)));
    assert_eq!(count_kind(&db, &id, "flagged_to_district"), 1);
    let timeline: Value =
        street.server.get_as(&street.dispatcher, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
    let flag =
        timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "flagged_to_district").unwrap();
    assert_eq!(flag["details"]["bounces"], 3);
    assert_eq!(flag["details"]["to"]["role"], "district_admin");
    assert_eq!(flag["details"]["to"]["district"], "310104");

    // A fourth bounce is counted, not flagged again.
    dispatch("street");
    street.server.step(&office, &id, &json!({ "action": "send_back", "reason": "Not ours either" }));
    assert_eq!(count_kind(&db, &id, "flagged_to_district"), 1);
    assert_eq!(street.joint(&street.dispatcher, &id)["bounces"], 4);

    // The district's command centre finds the flagged cases in its list, sees the flag on the
    // case and takes it in hand.
    let district = street.district_admin();
    let other = street.registered();
    let listed = |flagged: bool| -> Vec<String> {
        let page: Value = street
            .server
            .get_as(&district, &format!("/api/v1/cases?flagged_to_district={flagged}"))
            .json()
            .unwrap();
        page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(listed(true), std::slice::from_ref(&id));
    let unflagged = listed(false);
    assert!(unflagged.contains(&other) && !unflagged.contains(&id), "{unflagged:?}");
    assert_eq!(street.joint(&district, &id)["flagged_to_district"], true);
    let taken =
        street.server.step(&district, &id, &json!({ "action": "dispatch", "handling_unit": "roads" }));
    assert_eq!(taken["handling_unit"], "roads");
}

fn a_helpers_part_reworked_and_finished_again_to_closure(backend: Backend) {
    let street = Street::open(backend);
    let (roads, water, office) = (street.handler("roads"), street.handler("water"), street.handler("street"));
    let id = street.registered();
    let start = monday_nine();
    street.server.clock.set(start);
    street.server.step(
        &street.dispatcher,
        &id,
        &json!({
            "action": "dispatch",
            "handling_unit": "roads",
            "helpers": [
                { "unit": "water", "note": "Shut the leaking main", "time_limit": "4h" },
                { "unit": "street", "note": "Fence off the hole", "time_limit": "2h" },
            ],
        }),
    );
    street.server.step(&roads, &id, &json!({ "action": "accept" }));
    street.part_step(&water, &id, "water", &json!({ "action": "accept" }));
    street.part_step(&office, &id, "street", &json!({ "action": "accept" }));
    let water_photo = street.server.upload_photo(&water);
    street.server.clock.set(start + chrono::Duration::hours(1));
    street.part_step(&water, &id, "water", &json!({ "action": "finish", "photo_ids": [water_photo] }));

    // Refused: a part that is not finished (409), by the helper itself (403), without a reason
    // (422), on a stale If-Match (409 with the current version).
    let refused =
        street.part_step_response(&roads, &id, "street", &json!({ "action": "rework", "reason": "x" }));
    assert_eq!(problem(refused, 409)["code"], "part_not_from_state");
    let refused =
        street.part_step_response(&water, &id, "water", &json!({ "action": "rework", "reason": "x" }));
    assert_eq!(problem(refused, 403)["code"], "not_allowed_for_part");
    let refused = street.part_step_response(&roads, &id, "water", &json!({ "action": "rework" }));
    let body = problem(refused, 422);
    assert_eq!(body["code"], "reason_required");
    let joint = street.joint(&street.dispatcher, &id);
    let part_id = Street::part_of(&joint, "water")["id"].as_str().unwrap().to_owned();
    let stale = street
        .server
        .client
        .post(street.server.url(&format!("/api/v1/cases/{id}/parts/{part_id}/actions")))
        .bearer_auth(&roads)
        .header("if-match", "\"1\"")
        .json(&json!({ "action": "rework", "reason": "The valve still drips" }))
        .send()
        .unwrap();
    let body = problem(stale, 409);
    assert_eq!(
        (body["code"].as_str(), &body["current_version"]),
        (Some("version_mismatch"), &joint["case"]["version"])
    );
    assert_eq!(Street::part_of(&street.joint(&water, &id), "water")["state"], "finished");

    // Offered to the lead and the street office on a finished part, to no one else.
    assert_eq!(Street::part_of(&street.joint(&roads, &id), "water")["available_actions"], json!(["rework"]));
    assert_eq!(Street::part_of(&joint, "water")["available_actions"], json!(["rework"]));
    assert_eq!(Street::part_of(&street.joint(&water, &id), "water")["available_actions"], json!([]));

    // The lead returns it at 11:00: worked on again, with 4 fresh working hours (to 16:00).
    let rework_at = start + chrono::Duration::hours(2);
    street.server.clock.set(rework_at);
    let reworked = street.part_step(
        &roads,
        &id,
        "water",
        &json!({ "action": "rework", "reason": "The valve still drips" }),
    );
    let part = Street::part_of(&reworked, "water");
    assert_eq!(
        (part["state"].as_str(), part["reason"].as_str()),
        (Some("accepted"), Some("The valve still drips"))
    );
    assert_eq!(time(&part["deadline"]), china().deadline(rework_at, TimeLimit::Hours(4)).unwrap());
    assert_eq!(time(&part["deadline"]), beijing(2026, 11, 30, 16, 0));
    assert_eq!((part["on_time"].clone(), part["overdue"].clone()), (Value::Null, json!(false)));
    assert_eq!(part["available_actions"], json!(["close"]), "the lead may still close it");
    assert_eq!(Street::part_of(&street.joint(&water, &id), "water")["available_actions"], json!(["finish"]));
    // The part holds the case back again: the lead may not mark it handled.
    let street_photo = street.server.upload_photo(&office);
    street.part_step(&office, &id, "street", &json!({ "action": "finish", "photo_ids": [street_photo] }));
    assert_eq!(street.joint(&roads, &id)["available_actions"], json!([]));
    let timeline: Value =
        street.server.get_as(&street.dispatcher, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
    let event = timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "part_rework").unwrap();
    assert_eq!(event["reason"], "The valve still drips");
    assert_eq!(event["actor"]["role"], "handler");
    assert_eq!(event["details"]["part"]["from"], "finished");

    // Finished again (with a photo), on time; returned a second time by the street office and
    // finished late; then the case is handled and closed.
    let refused = street.part_step_response(&water, &id, "water", &json!({ "action": "finish" }));
    assert_eq!(problem(refused, 422)["code"], "photo_required");
    street.server.clock.set(rework_at + chrono::Duration::hours(1));
    let photo = street.server.upload_photo(&water);
    let again = street.part_step(&water, &id, "water", &json!({ "action": "finish", "photo_ids": [photo] }));
    assert_eq!(Street::part_of(&again, "water")["on_time"], true);
    street.part_step(
        &street.dispatcher,
        &id,
        "water",
        &json!({ "action": "rework", "reason": "Road still wet" }),
    );
    street.server.clock.set(beijing(2026, 12, 1, 17, 0));
    let photo = street.server.upload_photo(&water);
    let late = street.part_step(&water, &id, "water", &json!({ "action": "finish", "photo_ids": [photo] }));
    assert_eq!(Street::part_of(&late, "water")["on_time"], false);
    let lead_photo = street.server.upload_photo(&roads);
    street.server.step(&roads, &id, &json!({ "action": "mark_handled", "photo_ids": [lead_photo] }));
    let closed = street.server.step(
        &street.dispatcher,
        &id,
        &json!({ "action": "close", "reason": "Checked on site" }),
    );
    assert_eq!(closed["state"], "closed");
    assert_eq!(count_kind(&street.db(), &id, "part_rework"), 2);

    // A second case: the street unit's part is finished once and never reworked.
    let other = street.registered();
    street.server.step(
        &street.dispatcher,
        &other,
        &json!({ "action": "dispatch", "handling_unit": "roads", "helpers": [
            { "unit": "street", "note": "Sweep", "time_limit": "4h" },
            { "unit": "water", "note": "Check the meter", "time_limit": "4h" },
        ] }),
    );
    street.part_step(&office, &other, "street", &json!({ "action": "accept" }));
    let photo = street.server.upload_photo(&office);
    street.part_step(&office, &other, "street", &json!({ "action": "finish", "photo_ids": [photo] }));

    // By hand: water has two parts, one finished (reworked twice), one assigned: one part
    // reworked, two rework steps, 1 / 1 finished at least once. Street: two parts finished,
    // none reworked: 0 / 2. The lead's own case figures are untouched.
    let water_figures = street.figures_of("water");
    assert_eq!(
        (
            water_figures["parts"].as_u64(),
            water_figures["parts_finished"].as_u64(),
            water_figures["parts_reworked"].as_u64(),
            water_figures["part_reworks"].as_u64(),
        ),
        (Some(2), Some(1), Some(1), Some(2))
    );
    assert_eq!(water_figures["parts_rework_rate"], 1.0);
    assert_eq!(water_figures["parts_on_time_rate"], 0.0, "the last finish was late");
    let street_figures = street.figures_of("street");
    assert_eq!(
        (street_figures["parts_reworked"].as_u64(), street_figures["part_reworks"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(street_figures["parts_rework_rate"], 0.0);
    let roads_figures = street.figures_of("roads");
    assert_eq!(roads_figures["parts_rework_rate"], Value::Null, "no part, no rate");
    let stats: Value = street
        .server
        .get_as(&street.admin, "/api/v1/stats?from=2026-11-30&to=2026-12-02&group_by=unit")
        .json()
        .unwrap();
    assert_eq!(stats["total"]["reworked"], 0, "a part's rework is not the case's");
}

both_backends!(
    joint_case_with_two_helpers_one_late_to_closure,
    the_lead_closes_a_helpers_part_and_part_steps_are_guarded,
    disputes_upheld_and_reassigned_within_and_past_the_arbiters_deadline,
    a_case_bounced_more_than_twice_is_flagged_to_the_district_once,
    a_helpers_part_reworked_and_finished_again_to_closure,
);
