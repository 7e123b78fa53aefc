//! Live events (`GET /api/v1/events`, Server-Sent Events) over real HTTP on both backends: an
//! action's event reaches the subscribers whose scope holds the case, in their view (staff or
//! public, the reporter of an anonymous report never named); a dispatcher of another street and
//! another citizen do not get it; `Last-Event-ID` resumes without gaps or repeats; and on
//! PostgreSQL an event raised through one server process reaches a subscriber of another. A
//! node that gets no wake-up at all (two nodes on one SQLite file) still delivers by its poll.
//!
//! "Receives nothing" is checked without waiting on a clock: after the event under test, an
//! event inside the other subscriber's scope is raised, and since a stream delivers in sequence
//! order, that later event must be the first one the subscriber sees.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{
    Backend, EventStream, STREAM_TIMEOUT, ServerProcess, TestServer, demo_cells, point_in, problem,
};
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::grid::GridCell;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const SECRET: &str = "live-events-secret-of-at-least-32-bytes";

/// A stream notices a client that went away when it next writes: a short keep-alive lets the
/// test server stop promptly after the subscriptions are dropped.
const SETTINGS: [(&str, &str); 2] =
    [("GRIDLINE_JWT_SECRET", SECRET), ("GRIDLINE_EVENTS_HEARTBEAT_SECS", "1")];

/// Two streets of one district, with a dispatcher, a citizen and a point in each.
struct City {
    server: TestServer,
    dispatcher_a: String,
    dispatcher_b: String,
    handler: String,
    citizen: String,
    other_citizen: String,
    point_a: (f64, f64),
    point_b: (f64, f64),
}

fn street_of(cell: &GridCell) -> AreaCode {
    AreaCode::parse(&cell.code.to_string()[..9]).unwrap()
}

impl City {
    fn build(server: TestServer) -> Self {
        let admin = server.admin_token();
        // The generator puts a small city in one street: the second half moves to a second street.
        let mut cells = demo_cells(40);
        for cell in &mut cells[20..] {
            let code = cell.code.to_string();
            let street = code[6..9].parse::<u16>().unwrap() + 1;
            cell.code = GridCode::parse(&format!("{}{street:03}{}", &code[..6], &code[9..])).unwrap();
        }
        server.import_grid(&admin, "310104", &cells);
        let (a, b) = (&cells[0], &cells[30]);
        assert_ne!(street_of(a), street_of(b));
        City {
            dispatcher_a: server.staff_token(Role::Dispatcher, Scope::Street { street: street_of(a) }),
            dispatcher_b: server.staff_token(Role::Dispatcher, Scope::Street { street: street_of(b) }),
            handler: server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() }),
            citizen: server.citizen_token(),
            other_citizen: server.citizen_token(),
            point_a: point_in(a),
            point_b: point_in(b),
            server,
        }
    }

    fn base(&self) -> String {
        self.server.url("")
    }

    fn subscribe(&self, token: &str) -> EventStream {
        let mut stream = EventStream::open(&self.base(), token, None);
        assert!(stream.backlog().is_empty(), "a new stream starts at the moment of the request");
        stream
    }

    fn report(&self, token: &str, (lat, lon): (f64, f64), anonymous: bool) -> String {
        let response = self
            .server
            .client
            .post(self.server.url("/api/v1/reports"))
            .bearer_auth(token)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .json(&json!({
                "category": "E0101",
                "description": "Rubbish left beside the bus stop",
                "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 6.0 },
                "anonymous": anonymous,
            }))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
    }

    fn act(&self, token: &str, id: &str, body: Value) -> Value {
        let case: Value =
            self.server.get_as(&self.dispatcher_a, &format!("/api/v1/cases/{id}")).json().unwrap();
        let response = self
            .server
            .client
            .post(self.server.url(&format!("/api/v1/cases/{id}/actions")))
            .bearer_auth(token)
            .header("if-match", format!("\"{}\"", case["version"]))
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{body}");
        response.json().unwrap()
    }

    fn user_id(&self, token: &str) -> String {
        let me: Value = self.server.get_as(token, "/api/v1/me").json().unwrap();
        me["id"].as_str().unwrap().to_owned()
    }

    /// The sequence numbers of a case's events, from its staff timeline.
    fn seqs(&self, id: &str) -> Vec<i64> {
        let timeline: Value =
            self.server.get_as(&self.dispatcher_a, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
        timeline["events"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect()
    }
}

fn subscribers_get_the_events_of_their_scope_in_their_view(backend: Backend) {
    let city = City::build(TestServer::start_with(backend, &SETTINGS));
    let mut dispatcher_a = city.subscribe(&city.dispatcher_a);
    let mut dispatcher_b = city.subscribe(&city.dispatcher_b);
    let mut handler = city.subscribe(&city.handler);
    let mut citizen = city.subscribe(&city.citizen);
    let mut other_citizen = city.subscribe(&city.other_citizen);

    let id = city.report(&city.citizen, city.point_a, false);
    let note = "internal: the contractor owes us a favour";
    city.act(&city.dispatcher_a, &id, json!({ "action": "register", "note": note }));
    let seqs = city.seqs(&id);

    // The street office: both events, staff view, with the note and the named reporter.
    let reported = dispatcher_a.next_case();
    assert_eq!(reported.id, Some(seqs[0]));
    assert_eq!(reported.data["case_id"], id.as_str());
    assert_eq!(reported.data["kind"], "reported");
    assert_eq!(reported.data["view"], "staff");
    assert_eq!(reported.data["actor"]["id"], city.user_id(&city.citizen).as_str());
    let registered = dispatcher_a.next_case();
    assert_eq!(registered.id, Some(seqs[1]));
    assert_eq!(registered.data["kind"], "register");
    assert_eq!(registered.data["note"], note);
    assert_eq!(registered.data["actor"]["role"], "dispatcher");
    assert_eq!(registered.data["state"], "registered");
    assert_eq!(registered.data["version"], 2);
    assert!(registered.data["tracking_number"].is_string());
    assert_eq!(registered.data["grid_code"].as_str().map(str::len), Some(15));

    // The reporter: the same two events, public view: no staff identity, no note.
    for (seq, kind) in seqs.iter().zip(["reported", "register"]) {
        let frame = citizen.next_case();
        assert_eq!((frame.id, frame.data["kind"].as_str()), (Some(*seq), Some(kind)));
        assert_eq!(frame.data["view"], "public");
        assert_eq!(frame.data["case_id"], id.as_str());
        assert!(frame.data.get("actor").is_none() && frame.data.get("note").is_none(), "{}", frame.raw);
        assert!(!frame.raw.contains(note) && !frame.raw.contains("dispatcher"), "{}", frame.raw);
    }

    // An anonymous report in the same street: the street office is never told who sent it.
    let reporter_id = city.user_id(&city.citizen);
    let anonymous = city.report(&city.citizen, city.point_a, true);
    let frame = dispatcher_a.next_case();
    assert_eq!(frame.data["case_id"], anonymous.as_str());
    assert!(!frame.raw.contains(&reporter_id), "the anonymous reporter is named: {}", frame.raw);
    assert_eq!(citizen.next_case().data["case_id"], anonymous.as_str());

    // Dispatched to the unit: the handler's stream picks the case up from then on.
    city.act(&city.dispatcher_a, &id, json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    assert_eq!(dispatcher_a.next_case().data["kind"], "dispatch");
    let dispatched = handler.next_case();
    assert_eq!(
        (dispatched.data["case_id"].as_str(), dispatched.data["kind"].as_str()),
        (Some(id.as_str()), Some("dispatch"))
    );
    assert_eq!(dispatched.data["view"], "staff");
    assert!(!dispatched.raw.contains(&reporter_id), "a handling unit is not told who reported");

    // Street B and the other citizen got none of it: their first events are their own.
    let elsewhere = city.report(&city.other_citizen, city.point_b, false);
    assert_eq!(dispatcher_b.next_case().data["case_id"], elsewhere.as_str());
    assert_eq!(other_citizen.next_case().data["case_id"], elsewhere.as_str());
}

fn last_event_id_resumes_without_gaps_or_repeats(backend: Backend) {
    let city = City::build(TestServer::start_with(backend, &SETTINGS));
    let mut first = city.subscribe(&city.dispatcher_a);
    let id = city.report(&city.citizen, city.point_a, false);
    city.act(&city.dispatcher_a, &id, json!({ "action": "register" }));
    let seen = first.next_case().id.unwrap();
    drop(first);

    // Written while nobody listened, in two cases, interleaved with one outside the scope.
    city.act(&city.dispatcher_a, &id, json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    city.report(&city.other_citizen, city.point_b, false);
    let second = city.report(&city.other_citizen, city.point_a, false);
    city.act(&city.handler, &id, json!({ "action": "accept" }));

    let mut resumed = EventStream::open(&city.base(), &city.dispatcher_a, Some(seen));
    let got: Vec<(i64, String)> = resumed
        .backlog()
        .iter()
        .map(|f| (f.id.unwrap(), f.data["case_id"].as_str().unwrap().to_owned()))
        .collect();
    let mut want: Vec<(i64, String)> = city
        .seqs(&id)
        .into_iter()
        .map(|seq| (seq, id.clone()))
        .chain(city.seqs(&second).into_iter().map(|seq| (seq, second.clone())))
        .filter(|(seq, _)| *seq > seen)
        .collect();
    want.sort();
    assert_eq!(got, want);

    // Live again after the backlog: the next event follows without a repeat.
    city.act(&city.dispatcher_a, &second, json!({ "action": "register" }));
    let next = resumed.next_case();
    assert_eq!(next.data["case_id"], second.as_str());
    assert_eq!(next.id, city.seqs(&second).last().copied());

    // A malformed resume point is refused; so is a caller without a token.
    let bad = Client::builder()
        .no_proxy()
        .timeout(STREAM_TIMEOUT)
        .build()
        .unwrap()
        .get(city.server.url("/api/v1/events"))
        .bearer_auth(&city.dispatcher_a)
        .header("last-event-id", "yesterday")
        .send()
        .unwrap();
    let body = problem(bad, 400);
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("invalid_last_event_id"), Some("Last-Event-ID"))
    );
    assert_eq!(problem(city.server.get("/api/v1/events"), 401)["code"], "token_missing");
}

both_backends!(
    subscribers_get_the_events_of_their_scope_in_their_view,
    last_event_id_resumes_without_gaps_or_repeats
);

/// Two server processes on one PostgreSQL database; neither re-reads on a timer during the
/// test, so the event can only cross through `LISTEN`/`NOTIFY`.
#[test]
fn an_event_raised_on_one_node_reaches_a_subscriber_on_another() {
    let quiet = [
        ("GRIDLINE_JWT_SECRET", SECRET),
        ("GRIDLINE_EVENTS_POLL_SECS", "3600"),
        ("GRIDLINE_EVENTS_HEARTBEAT_SECS", "3600"),
    ];
    let city = City::build(TestServer::start_with(Backend::Postgres, &quiet));
    let node_b = ServerProcess::start_sharing(&city.server, &quiet);
    let mut on_b = EventStream::open(&node_b.url(""), &city.dispatcher_a, None);
    assert!(on_b.backlog().is_empty());
    let mut citizen_on_b = EventStream::open(&node_b.url(""), &city.citizen, None);
    assert!(citizen_on_b.backlog().is_empty());

    let id = city.report(&city.citizen, city.point_a, false);
    city.act(&city.dispatcher_a, &id, json!({ "action": "register" }));
    let seqs = city.seqs(&id);
    for (seq, kind) in seqs.iter().zip(["reported", "register"]) {
        let frame = on_b.next_case();
        assert_eq!((frame.id, frame.data["kind"].as_str()), (Some(*seq), Some(kind)));
        assert_eq!(frame.data["case_id"], id.as_str());
        let frame = citizen_on_b.next_case();
        assert_eq!((frame.id, frame.data["view"].as_str()), (Some(*seq), Some("public")));
    }
}

/// Two nodes on one SQLite file have no notifications between them: an event written through
/// one reaches a subscriber of the other by the stream's periodic re-read alone, which is what
/// makes a lost wake-up harmless on any backend.
#[test]
fn a_subscriber_without_a_wake_up_gets_the_event_by_its_periodic_read() {
    // No keep-alive during the test either: only the poll reads again.
    let settings = [
        ("GRIDLINE_JWT_SECRET", SECRET),
        ("GRIDLINE_EVENTS_POLL_SECS", "1"),
        ("GRIDLINE_EVENTS_HEARTBEAT_SECS", "3600"),
    ];
    let city = City::build(TestServer::start_with(Backend::Sqlite, &settings));
    let node_b = TestServer::start_sharing(&city.server, &settings);
    let mut on_b = EventStream::open(&node_b.url(""), &city.dispatcher_a, None);
    assert!(on_b.backlog().is_empty());

    let id = city.report(&city.citizen, city.point_a, false);
    let frame = on_b.next_case();
    assert_eq!(
        (frame.id, frame.data["case_id"].as_str()),
        (city.seqs(&id).first().copied(), Some(id.as_str()))
    );
}
