//! The case workflow over real HTTP on both backends: the full loop from report to rating,
//! the side paths (reject, send back, rework, extend, shelve, merge, close, reopen), refusals
//! with core's codes and the right status, optimistic concurrency with `If-Match`, the deadline
//! set at dispatch on the working calendar, public and staff timelines, and the inspector's
//! work list with its sequence cursor.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::{DateTime, Utc};
use common::{Backend, TestServer, demo_cells, point_in, problem};
use gridline_core::calendar::WorkingCalendar;
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use reqwest::blocking::Response;
use serde_json::{Value, json};

/// The people of one street office's day, and one reported case.
struct Office {
    server: TestServer,
    dispatcher: String,
    handler: String,
    inspector: String,
    reporter: String,
    lat: f64,
    lon: f64,
}

impl Office {
    fn open(backend: Backend) -> Self {
        let server = TestServer::start(backend);
        let admin = server.admin_token();
        let cells = demo_cells(20);
        server.import_grid(&admin, "310104", &cells);
        let cell = &cells[3];
        let (lat, lon) = point_in(cell);
        let grid = GridCode::parse(&cell.code.to_string()).unwrap();
        let street = AreaCode::parse(&cell.code.to_string()[..9]).unwrap();
        let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
        let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
        let inspector = server.staff_token(Role::Inspector, Scope::Grids { grids: [grid].into() });
        let reporter = server.citizen_token();
        Office { server, dispatcher, handler, inspector, reporter, lat, lon }
    }

    /// A new case reported by the citizen; its id.
    fn report(&self) -> String {
        self.report_with_photos(&[])
    }

    /// A report by the citizen with their uploaded photos; the new case's id.
    fn report_with_photos(&self, photo_ids: &[String]) -> String {
        let response = self
            .server
            .client
            .post(self.server.url("/api/v1/reports"))
            .bearer_auth(&self.reporter)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .json(&json!({
                "category": "E0101",
                "description": "Overflowing rubbish bin",
                "position": { "lat": self.lat, "lon": self.lon, "crs": "wgs84", "accuracy_m": 6.0 },
                "photo_ids": photo_ids,
            }))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
    }

    fn case(&self, token: &str, id: &str) -> Value {
        let response = self.server.get_as(token, &format!("/api/v1/cases/{id}"));
        assert_eq!(response.status(), 200);
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let body: Value = response.json().unwrap();
        assert_eq!(etag, format!("\"{}\"", body["version"]));
        body
    }

    fn post(&self, token: &str, id: &str, if_match: Option<i64>, body: &Value) -> Response {
        let mut request = self
            .server
            .client
            .post(self.server.url(&format!("/api/v1/cases/{id}/actions")))
            .bearer_auth(token);
        if let Some(version) = if_match {
            request = request.header("if-match", format!("\"{version}\""));
        }
        request.json(body).send().unwrap()
    }

    /// Takes a step at the case's current version; the answer.
    fn act(&self, token: &str, id: &str, body: Value) -> Response {
        let version = self.case(&self.dispatcher, id)["version"].as_i64().unwrap();
        self.post(token, id, Some(version), &body)
    }

    /// Takes a step that must succeed; the case afterwards.
    fn ok(&self, token: &str, id: &str, body: Value) -> Value {
        let response = self.act(token, id, body.clone());
        assert_eq!(response.status(), 200, "{body}: {}", response.text().unwrap());
        response.json().unwrap()
    }

    /// Takes a step that must be refused with `status` and `code`.
    fn refused(&self, token: &str, id: &str, body: Value, status: u16, code: &str) -> Value {
        let answer = problem(self.act(token, id, body.clone()), status);
        assert_eq!(answer["code"], code, "{body}");
        answer
    }

    fn photo(&self, token: &str) -> String {
        self.server.upload_photo(token)
    }

    fn on_site(&self) -> Value {
        json!({ "lat": self.lat, "lon": self.lon, "crs": "wgs84", "accuracy_m": 5.0 })
    }

    /// Report → register → dispatch → accept: a case in progress with the unit.
    fn in_progress(&self) -> String {
        let id = self.report();
        self.ok(&self.dispatcher, &id, json!({ "action": "register" }));
        self.ok(&self.dispatcher, &id, json!({ "action": "dispatch", "handling_unit": "sanitation" }));
        self.ok(&self.handler, &id, json!({ "action": "accept" }));
        id
    }

    fn timeline(&self, token: Option<&str>, id: &str) -> Value {
        let path = format!("/api/v1/cases/{id}/timeline");
        let response = match token {
            Some(token) => self.server.get_as(token, &path),
            None => self.server.get(&path),
        };
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    }
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

fn full_loop_from_report_to_rating(backend: Backend) {
    let office = Office::open(backend);
    let id = office.report();
    let case = office.case(&office.dispatcher, &id);
    assert_eq!(case["state"], "reported");
    assert_eq!(case["version"], 1);
    assert_eq!(
        case["available_actions"],
        json!(["register", "reject", "request_confirm", "merge", "relocate"])
    );
    // Each with what it must carry and its name, in the same order: the forms come from the rules.
    let needs = case["action_needs"].as_array().unwrap();
    let steps: Vec<&str> = needs.iter().map(|n| n["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["register", "reject", "request_confirm", "merge", "relocate"]);
    assert_eq!(
        (needs[0]["needs"]["reason"].clone(), needs[1]["needs"]["reason"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(needs[3]["needs"]["merge_target"], true);
    assert_eq!(
        (needs[4]["needs"]["position"].clone(), needs[4]["needs"]["reason"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        (needs[0]["label"]["zh"].as_str(), needs[0]["label"]["en"].as_str()),
        (Some("立案"), Some("Register"))
    );

    // Without If-Match (and without an Idempotency-Key): 428.
    let answer = problem(office.post(&office.dispatcher, &id, None, &json!({ "action": "register" })), 428);
    assert_eq!(answer["code"], "precondition_required");
    // Wrong roles: 403 with core's code, whatever the state.
    office.refused(&office.reporter, &id, json!({ "action": "register" }), 403, "not_allowed_for_role");
    office.refused(&office.handler, &id, json!({ "action": "accept" }), 403, "out_of_scope");
    office.refused(&office.inspector, &id, json!({ "action": "register" }), 403, "not_allowed_for_role");
    office.refused(&office.dispatcher, &id, json!({ "action": "fly" }), 422, "invalid_field");

    let registered = office.ok(&office.dispatcher, &id, json!({ "action": "register", "note": "bin 12" }));
    assert_eq!(registered["state"], "registered");
    assert_eq!(registered["version"], 2);
    // A stale version: 409 with the current state, which a phone parks its step with.
    let stale = problem(office.post(&office.dispatcher, &id, Some(1), &json!({ "action": "reject" })), 409);
    assert_eq!(stale["code"], "version_mismatch");
    assert_eq!(stale["current_state"], "registered");
    assert_eq!(stale["current_version"], 2);

    office.refused(&office.dispatcher, &id, json!({ "action": "dispatch" }), 422, "handling_unit_required");
    let dispatched =
        office.ok(&office.dispatcher, &id, json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    assert_eq!(dispatched["state"], "dispatched");
    assert_eq!(dispatched["handling_unit"], "sanitation");
    // The deadline is the category's 4 working hours on China's calendar, from the dispatch.
    let staff = office.timeline(Some(&office.dispatcher), &id);
    let dispatch_at = time(&staff["events"][2]["at"]);
    let expected = WorkingCalendar::china().unwrap().deadline(dispatch_at, "4h".parse().unwrap()).unwrap();
    let deadline = time(&dispatched["deadline"]);
    assert!((deadline - expected).num_milliseconds().abs() <= 2, "{deadline} vs {expected}");

    let other_unit = office.server.staff_token(Role::Handler, Scope::Unit { unit: "water".into() });
    office.refused(&other_unit, &id, json!({ "action": "accept" }), 403, "out_of_scope");
    office.ok(&office.handler, &id, json!({ "action": "accept" }));
    office.refused(&office.handler, &id, json!({ "action": "mark_handled" }), 422, "photo_required");
    let someone_elses = office.photo(&office.reporter);
    let answer = office.refused(
        &office.handler,
        &id,
        json!({ "action": "mark_handled", "photo_ids": [someone_elses] }),
        422,
        "invalid_field",
    );
    assert_eq!(answer["field"], "photo_ids");
    let after = office.photo(&office.handler);
    let handled = office.ok(
        &office.handler,
        &id,
        json!({ "action": "mark_handled", "photo_ids": [after], "note": "emptied" }),
    );
    assert_eq!(handled["state"], "handled");

    let check_photo = office.photo(&office.inspector);
    office.refused(
        &office.inspector,
        &id,
        json!({ "action": "verify_pass", "photo_ids": [check_photo] }),
        422,
        "position_required",
    );
    let closed = office.ok(
        &office.inspector,
        &id,
        json!({ "action": "verify_pass", "photo_ids": [check_photo], "position": office.on_site() }),
    );
    assert_eq!(closed["state"], "closed");

    let stranger = office.server.citizen_token();
    office.refused(&stranger, &id, json!({ "action": "rate", "rating": 5 }), 403, "out_of_scope");
    office.refused(
        &office.reporter,
        &id,
        json!({ "action": "rate", "rating": 6 }),
        422,
        "rating_out_of_range",
    );
    let rated =
        office.ok(&office.reporter, &id, json!({ "action": "rate", "rating": 4, "comment": "quick" }));
    assert_eq!(rated["rating"], 4);
    let again =
        office.refused(&office.reporter, &id, json!({ "action": "rate", "rating": 5 }), 409, "already_rated");
    assert_eq!(again["current_state"], "closed");
    office.refused(&office.dispatcher, &id, json!({ "action": "register" }), 409, "not_from_state");

    // The staff timeline has every step with who, where, note and photos.
    let staff = office.timeline(Some(&office.dispatcher), &id);
    assert_eq!(staff["view"], "staff");
    let kinds: Vec<&str> =
        staff["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reported", "register", "dispatch", "accept", "mark_handled", "verify_pass", "rate"]);
    let seqs: Vec<i64> =
        staff["events"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(staff["events"][1]["note"], "bin 12");
    assert_eq!(staff["events"][4]["photo_ids"], json!([after]));
    assert_eq!(staff["events"][5]["actor"]["role"], "inspector");
    assert_eq!(staff["events"][5]["position"]["accuracy_m"], 5.0);
    assert_eq!(staff["events"][6]["details"]["comment"], "quick");

    // The reporter and the public see what happened, never who did it, where, or the notes;
    // the reporter alone also gets the handling unit's after-photo (never the inspector's).
    for (public, is_reporter) in
        [(office.timeline(Some(&office.reporter), &id), true), (office.timeline(None, &id), false)]
    {
        assert_eq!(public["view"], "public");
        assert_eq!(public["events"].as_array().unwrap().len(), 7);
        let text = public.to_string();
        for hidden in ["actor", "note", "bin 12", "emptied", "position", "quick"] {
            assert!(!text.contains(hidden), "public timeline shows {hidden}: {text}");
        }
        assert_eq!(public["events"][2]["details"]["handling_unit"], "sanitation");
        let with_photos: Vec<&Value> =
            public["events"].as_array().unwrap().iter().filter(|e| e.get("photo_ids").is_some()).collect();
        if is_reporter {
            assert_eq!(with_photos.len(), 1, "{text}");
            assert_eq!(
                (&with_photos[0]["kind"], &with_photos[0]["photo_ids"]),
                (&json!("mark_handled"), &json!([after]))
            );
        } else {
            assert!(with_photos.is_empty(), "{text}");
        }
    }
}

fn side_paths_and_their_refusals(backend: Backend) {
    let office = Office::open(backend);

    // Reject needs a reason; a rejected report is reopened back to triage.
    let id = office.report();
    office.refused(&office.dispatcher, &id, json!({ "action": "reject" }), 422, "reason_required");
    office.ok(&office.dispatcher, &id, json!({ "action": "reject", "reason": "private property" }));
    let reopened =
        office.ok(&office.dispatcher, &id, json!({ "action": "reopen", "reason": "it is public" }));
    assert_eq!(reopened["state"], "reported");
    let public = office.timeline(None, &id);
    assert_eq!(public["events"][1]["reason"], "private property");

    // Send back clears the deadline and the unit; a fresh dispatch sets them again.
    let id = office.report();
    office.ok(&office.dispatcher, &id, json!({ "action": "register" }));
    office.ok(&office.dispatcher, &id, json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    office.refused(&office.handler, &id, json!({ "action": "send_back" }), 422, "reason_required");
    let back = office.ok(&office.handler, &id, json!({ "action": "send_back", "reason": "not ours" }));
    assert_eq!(back["state"], "registered");
    assert!(back["deadline"].is_null());
    assert!(back["handling_unit"].is_null(), "the unit that refused no longer holds the case");
    let staff = office.timeline(Some(&office.dispatcher), &id);
    let sent_back = staff["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(sent_back["kind"], "send_back");
    assert_eq!(sent_back["details"]["handling_unit"], "sanitation", "its event names it");
    let redispatched =
        office.ok(&office.dispatcher, &id, json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    assert!(redispatched["deadline"].is_string());

    // Verification failed: rework back to the same unit, with the original deadline.
    let id = office.in_progress();
    let deadline = office.case(&office.dispatcher, &id)["deadline"].clone();
    let photo = office.photo(&office.handler);
    office.ok(&office.handler, &id, json!({ "action": "mark_handled", "photo_ids": [photo] }));
    let check = office.photo(&office.inspector);
    office.refused(
        &office.inspector,
        &id,
        json!({ "action": "verify_fail", "photo_ids": [check], "position": office.on_site() }),
        422,
        "reason_required",
    );
    let rework = office.ok(
        &office.inspector,
        &id,
        json!({ "action": "verify_fail", "reason": "still full", "photo_ids": [check], "position": office.on_site() }),
    );
    assert_eq!(rework["state"], "dispatched");
    assert_eq!(rework["handling_unit"], "sanitation");
    assert_eq!(rework["deadline"], deadline, "rework keeps the original deadline");

    // Extend needs a later deadline and a reason.
    let earlier = (time(&deadline) - chrono::Duration::hours(1)).to_rfc3339();
    office.refused(
        &office.dispatcher,
        &id,
        json!({ "action": "extend", "reason": "parts", "new_deadline": earlier }),
        422,
        "deadline_not_later",
    );
    let later = "2027-03-01T17:30:00+08:00";
    let extended = office.ok(
        &office.dispatcher,
        &id,
        json!({ "action": "extend", "reason": "parts", "new_deadline": later }),
    );
    assert_eq!(extended["state"], "dispatched");
    assert_eq!(time(&extended["deadline"]), time(&json!(later)));

    // Shelve clears the deadline; unshelve returns to registered; a shelved case may be closed.
    office.ok(&office.dispatcher, &id, json!({ "action": "shelve", "reason": "needs budget" }));
    let unshelved = office.ok(&office.dispatcher, &id, json!({ "action": "unshelve" }));
    assert_eq!(unshelved["state"], "registered");
    assert!(unshelved["deadline"].is_null());
    office.ok(&office.dispatcher, &id, json!({ "action": "shelve", "reason": "needs budget" }));
    let closed = office.ok(&office.dispatcher, &id, json!({ "action": "close", "reason": "road rebuilt" }));
    assert_eq!(closed["state"], "closed");
    let reopened = office.ok(&office.dispatcher, &id, json!({ "action": "reopen", "reason": "back again" }));
    assert_eq!(reopened["state"], "registered");

    // Merge a duplicate into an open case; not into itself or a stranger.
    let survivor = office.report();
    let duplicate = office.report();
    office.refused(
        &office.dispatcher,
        &duplicate,
        json!({ "action": "merge" }),
        422,
        "merge_target_required",
    );
    office.refused(
        &office.dispatcher,
        &duplicate,
        json!({ "action": "merge", "merge_into": duplicate }),
        422,
        "invalid_field",
    );
    let merged =
        office.ok(&office.dispatcher, &duplicate, json!({ "action": "merge", "merge_into": survivor }));
    assert_eq!(merged["state"], "merged");
    assert_eq!(merged["merged_into"], survivor);

    // Close from handled without verification, with a reason; only the street office may.
    let id = office.in_progress();
    let photo = office.photo(&office.handler);
    office.ok(&office.handler, &id, json!({ "action": "mark_handled", "photo_ids": [photo] }));
    office.refused(
        &office.handler,
        &id,
        json!({ "action": "close", "reason": "done" }),
        403,
        "not_allowed_for_role",
    );
    office.ok(&office.dispatcher, &id, json!({ "action": "close", "reason": "verified by phone call" }));

    // A dispatcher of another street may not act here.
    let elsewhere = office
        .server
        .staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse("310105001").unwrap() });
    office.refused(&elsewhere, &id, json!({ "action": "reopen", "reason": "x" }), 403, "out_of_scope");
}

fn concurrent_steps_on_one_version_exactly_one_wins(backend: Backend) {
    let office = Office::open(backend);
    let id = office.report();
    let answers: Vec<u16> = std::thread::scope(|scope| {
        let tasks: Vec<_> = ["register", "reject", "register", "merge"]
            .into_iter()
            .map(|action| {
                let office = &office;
                let id = &id;
                scope.spawn(move || {
                    let body =
                        json!({ "action": action, "reason": "duplicate", "merge_into": office.report() });
                    let body = if action == "register" { json!({ "action": "register" }) } else { body };
                    office.post(&office.dispatcher, id, Some(1), &body).status().as_u16()
                })
            })
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(answers.iter().filter(|s| **s == 200).count(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 409).count(), 3, "{answers:?}");
    let case = office.case(&office.dispatcher, &id);
    assert_eq!(case["version"], 2);
    assert_eq!(office.timeline(Some(&office.dispatcher), &id)["events"].as_array().unwrap().len(), 2);
}

fn idempotent_retry_from_a_phone_is_answered_once(backend: Backend) {
    let office = Office::open(backend);
    let id = office.in_progress();
    let photo = office.photo(&office.handler);
    office.ok(&office.handler, &id, json!({ "action": "mark_handled", "photo_ids": [photo] }));
    // The phone's outbox sends an Idempotency-Key and no If-Match; a retry replays.
    let key = uuid::Uuid::now_v7().to_string();
    let check = office.photo(&office.inspector);
    let body = json!({ "action": "verify_pass", "photo_ids": [check], "position": office.on_site(), "reason": null, "rating": null });
    let send = || {
        office
            .server
            .client
            .post(office.server.url(&format!("/api/v1/cases/{id}/actions")))
            .bearer_auth(&office.inspector)
            .header("idempotency-key", &key)
            .json(&body)
            .send()
            .unwrap()
    };
    let first = send();
    assert_eq!(first.status(), 200);
    let second = send();
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let events = office.timeline(Some(&office.dispatcher), &id)["events"].as_array().unwrap().len();
    assert_eq!(events, 6, "the retry recorded nothing");
}

fn worklist_cursor_returns_only_changes(backend: Backend) {
    let office = Office::open(backend);
    let stale = office.report();
    let fetch = |cursor: Option<i64>| -> Value {
        let path = match cursor {
            Some(c) => format!("/api/v1/worklist?cursor={c}"),
            None => "/api/v1/worklist".to_owned(),
        };
        let response = office.server.get_as(&office.inspector, &path);
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    };
    let first = fetch(None);
    assert_eq!(first["full"], true);
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    assert_eq!(first["items"][0]["case"]["id"], stale);
    let cursor = first["next_cursor"].as_i64().unwrap();

    let nothing = fetch(Some(cursor));
    assert_eq!(nothing["items"], json!([]));
    assert_eq!(nothing["next_cursor"], cursor);

    // A day of changes: one report rejected (off the list), another handled (on it), one new.
    let handled = office.in_progress();
    let photo = office.photo(&office.handler);
    office.ok(&office.handler, &handled, json!({ "action": "mark_handled", "photo_ids": [photo] }));
    office.ok(&office.dispatcher, &stale, json!({ "action": "reject", "reason": "not a public matter" }));
    let fresh = office.report();

    let caught_up = fetch(Some(cursor));
    let items = caught_up["items"].as_array().unwrap();
    let find = |id: &str| items.iter().find(|i| i["id"] == id || i["case"]["id"] == id).cloned().unwrap();
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(find(&stale)["change"], "removed");
    assert_eq!(find(&handled)["change"], "upsert");
    assert_eq!(find(&handled)["case"]["state"], "handled");
    assert_eq!(find(&fresh)["case"]["state"], "reported");
    let next = caught_up["next_cursor"].as_i64().unwrap();
    assert!(next > cursor);
    assert_eq!(fetch(Some(next))["items"], json!([]));

    // A report with photos carries their ids, in order, in the incremental and the full list,
    // so that the inspector's phone can fetch them before going offline.
    let photos = [office.photo(&office.reporter), office.photo(&office.reporter)];
    let with_photos = office.report_with_photos(&photos);
    let incremental = fetch(Some(next));
    assert_eq!(incremental["items"][0]["case"]["id"], with_photos);
    assert_eq!(incremental["items"][0]["case"]["photo_ids"], json!(photos));
    let full = fetch(None);
    let listed = full["items"].as_array().unwrap().iter().find(|i| i["case"]["id"] == with_photos).unwrap();
    assert_eq!(listed["case"]["photo_ids"], json!(photos));
    // The street office's case list carries them too.
    let cases: Value = office.server.get_as(&office.dispatcher, "/api/v1/cases").json().unwrap();
    let listed = cases["items"].as_array().unwrap().iter().find(|c| c["id"] == with_photos).unwrap();
    assert_eq!(listed["photo_ids"], json!(photos));

    // Not an inspector: 403.
    let answer = problem(office.server.get_as(&office.dispatcher, "/api/v1/worklist"), 403);
    assert_eq!(answer["code"], "forbidden");
}

both_backends!(
    full_loop_from_report_to_rating,
    side_paths_and_their_refusals,
    concurrent_steps_on_one_version_exactly_one_wins,
    idempotent_retry_from_a_phone_is_answered_once,
    worklist_cursor_returns_only_changes,
);
