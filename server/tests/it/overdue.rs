//! Deadlines and the overdue job over real HTTP on both backends: the deadline a dispatch gets
//! at a chosen moment on China's working calendar (a weekend, the National Day holiday and the
//! adjusted working Saturday after it), the job started by the server flagging a case at its
//! deadline and escalating it to the street office once, and two runners racing over the same
//! database (two runner instances on separate pools, then two server nodes) escalating each
//! overdue case exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use common::{Backend, TestServer, demo_cells, point_in};
use diesel::prelude::*;
use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::jobs::overdue::{ScanOutcome, scan};

/// The calendar of a server without GRIDLINE_CALENDAR_FILE.
fn china() -> gridline_core::calendar::WorkingCalendar {
    gridline_core::calendar::WorkingCalendar::china().unwrap()
}
use gridline_server::store::Db;
use gridline_server::store::schema::case_events;
use serde_json::{Value, json};

/// How long a test waits for a server's job to act (its scan runs every second here).
const JOB_WAIT: Duration = Duration::from_secs(30);

struct Street {
    server: TestServer,
    dispatcher: String,
    reporter: String,
    street: String,
    lat: f64,
    lon: f64,
}

fn beijing(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

impl Street {
    fn open(server: TestServer) -> Self {
        let admin = server.admin_token();
        let cells = demo_cells(20);
        server.import_grid(&admin, "310104", &cells);
        let cell = &cells[3];
        let (lat, lon) = point_in(cell);
        let street = cell.code.to_string()[..9].to_owned();
        let dispatcher =
            server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse(&street).unwrap() });
        let reporter = server.citizen_token();
        Street { server, dispatcher, reporter, street, lat, lon }
    }

    fn report(&self, category: &str) -> String {
        let receipt = self.server.report_as(
            &self.reporter,
            &json!({
                "category": category,
                "description": "Overflowing rubbish bin",
                "position": { "lat": self.lat, "lon": self.lon, "crs": "wgs84", "accuracy_m": 6.0 },
            }),
        );
        receipt["id"].as_str().unwrap().to_owned()
    }

    fn case(&self, id: &str) -> Value {
        let response = self.server.get_as(&self.dispatcher, &format!("/api/v1/cases/{id}"));
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    }

    fn act(&self, id: &str, body: Value) -> Value {
        self.server.step(&self.dispatcher, id, &body)
    }

    /// Reports, registers and dispatches a case of `category` with the server's clock at `at`;
    /// the case as dispatched.
    fn dispatched_at(&self, category: &str, at: DateTime<Utc>) -> Value {
        let id = self.report(category);
        self.act(&id, json!({ "action": "register" }));
        self.server.clock.set(at);
        self.act(&id, json!({ "action": "dispatch", "handling_unit": "sanitation" }))
    }

    fn timeline_kinds(&self, id: &str) -> Vec<Value> {
        let response = self.server.get_as(&self.dispatcher, &format!("/api/v1/cases/{id}/timeline"));
        assert_eq!(response.status(), 200);
        let body: Value = response.json().unwrap();
        body["events"].as_array().unwrap().clone()
    }

    fn db(&self) -> Db {
        Db::connect(&self.server.database_url, 2, Duration::from_secs(10)).unwrap()
    }
}

/// How many events of `kind` each case has, by case id.
fn events_of_kind(db: &Db, kind: &str) -> std::collections::BTreeMap<String, usize> {
    let ids: Vec<String> = case_events::table
        .filter(case_events::kind.eq(kind))
        .select(case_events::case_id)
        .load(&mut db.get().unwrap())
        .unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for id in ids {
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// Waits (bounded) until `done` holds, for work a server's background job does on its own tick.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < JOB_WAIT, "{what}: not done after {JOB_WAIT:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn deadlines_follow_the_working_calendar(backend: Backend) {
    let street = Street::open(TestServer::start(backend));
    // E0101 has 4 working hours: Friday 16:00 leaves 1.5 h that day; the weekend is skipped
    // and the remaining 2.5 h run from 09:00 on Monday.
    let case = street.dispatched_at("E0101", beijing(2026, 11, 27, 16, 0));
    assert_eq!(case["handling_time_limit"], "4h");
    assert_eq!(time(&case["deadline"]), beijing(2026, 11, 30, 11, 30));
    assert_eq!(case["overdue"], false);
    // E0102 has 1 working day (8 h): Wednesday 30 September 17:00 leaves half an hour, the
    // National Day holiday (1-7 October, weekend included) is skipped, and the other 7 hours
    // run on Thursday 8 October, 09:00-17:00 with the lunch hour off.
    let case = street.dispatched_at("E0102", beijing(2026, 9, 30, 17, 0));
    assert_eq!(time(&case["deadline"]), beijing(2026, 10, 8, 17, 0));
    // Friday 9 October 17:00: Saturday 10 October is an adjusted working day (调休), so the
    // deadline falls on it rather than on Monday.
    let case = street.dispatched_at("E0102", beijing(2026, 10, 9, 17, 0));
    assert_eq!(time(&case["deadline"]), beijing(2026, 10, 10, 17, 0));
    // The same dispatch a week later lands on Monday: the Saturday rule is the calendar's.
    let case = street.dispatched_at("E0102", beijing(2026, 10, 16, 17, 0));
    assert_eq!(time(&case["deadline"]), beijing(2026, 10, 19, 17, 0));
    // The reporter's own list shows the deadlines too.
    let mine: Value = street.server.get_as(&street.reporter, "/api/v1/reports/mine").json().unwrap();
    let deadlines: Vec<DateTime<Utc>> =
        mine["reports"].as_array().unwrap().iter().map(|r| time(&r["deadline"])).collect();
    assert_eq!(deadlines.len(), 4);
    assert!(deadlines.contains(&beijing(2026, 10, 10, 17, 0)), "{deadlines:?}");
}

fn the_server_job_flags_at_the_deadline_and_escalates_once(backend: Backend) {
    let street = Street::open(TestServer::start_with(backend, &[("GRIDLINE_OVERDUE_SCAN_SECS", "1")]));
    let case = street.dispatched_at("E0101", beijing(2026, 11, 27, 16, 0));
    let id = case["id"].as_str().unwrap().to_owned();
    let deadline = time(&case["deadline"]);
    let version = case["version"].as_i64().unwrap();
    let db = street.db();

    // A minute before the deadline nothing is due: a scan at that moment finds nothing.
    street.server.clock.set(deadline - chrono::Duration::minutes(1));
    let early = scan(&mut db.get().unwrap(), deadline - chrono::Duration::minutes(1), &china()).unwrap();
    assert_eq!(early, ScanOutcome::default());
    assert_eq!(street.case(&id)["overdue"], false);

    // At the deadline the server's own job flags it.
    street.server.clock.set(deadline);
    wait_for("the job flags the case", || street.case(&id)["overdue"] == true);
    let flagged = street.case(&id);
    assert_eq!(flagged["state"], "dispatched", "overdue is a flag, not a state");
    assert_eq!(flagged["version"], version + 1);
    assert_eq!(time(&flagged["deadline"]), deadline);

    let events = street.timeline_kinds(&id);
    let last_two: Vec<&Value> = events.iter().rev().take(2).rev().collect();
    assert_eq!(last_two[0]["kind"], "mark_overdue");
    assert_eq!(last_two[1]["kind"], "escalate");
    for event in &last_two {
        assert_eq!(event["actor"]["role"], "system");
        assert_eq!(event["actor"]["id"], Value::Null);
        assert_eq!(event["from_state"], "dispatched");
        assert_eq!(event["to_state"], "dispatched");
        assert_eq!(time(&event["at"]), deadline);
    }
    assert_eq!(last_two[1]["details"]["to"], json!({ "role": "dispatcher", "street": street.street }));
    assert_eq!(time(&last_two[1]["details"]["deadline"]), deadline);

    // Later scans (the job's next ticks, and one here) leave it alone.
    street.server.clock.set(deadline + chrono::Duration::hours(5));
    let again = scan(&mut db.get().unwrap(), deadline + chrono::Duration::hours(5), &china()).unwrap();
    assert_eq!(again, ScanOutcome::default());
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(events_of_kind(&db, "escalate").get(&id), Some(&1));
    assert_eq!(events_of_kind(&db, "mark_overdue").get(&id), Some(&1));

    // The reporter sees it overdue in their list; the public view shows it too.
    let mine: Value = street.server.get_as(&street.reporter, "/api/v1/reports/mine").json().unwrap();
    assert_eq!(mine["reports"][0]["id"], id.as_str());
    assert_eq!(mine["reports"][0]["overdue"], true);
    let public: Value = street.server.get(&format!("/api/v1/cases/{id}")).json().unwrap();
    assert_eq!(public["overdue"], true);

    // An extension sets a new deadline and clears the flag; at the new deadline the case is
    // escalated again, once more.
    let new_deadline = deadline + chrono::Duration::days(3);
    let extended = street.act(
        &id,
        json!({ "action": "extend", "reason": "parts on order", "new_deadline": new_deadline.to_rfc3339() }),
    );
    assert_eq!(extended["overdue"], false);
    street.server.clock.set(new_deadline);
    wait_for("the job flags the extended case", || street.case(&id)["overdue"] == true);
    assert_eq!(events_of_kind(&db, "escalate").get(&id), Some(&2));
}

fn two_runners_racing_escalate_each_case_once(backend: Backend) {
    let street = Street::open(TestServer::start(backend));
    let start = beijing(2026, 11, 27, 16, 0);
    let ids: Vec<String> =
        (0..12).map(|_| street.dispatched_at("E0101", start)["id"].as_str().unwrap().to_owned()).collect();
    let after = beijing(2026, 12, 1, 9, 0);

    // Two runner instances, each with its own connection pool, start together and scan
    // repeatedly, as two nodes' jobs would.
    let barrier = Arc::new(Barrier::new(2));
    let runners: Vec<_> = (0..2)
        .map(|_| {
            let url = street.server.database_url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let db = Db::connect(&url, 1, Duration::from_secs(30)).unwrap();
                let mut conn = db.get().unwrap();
                barrier.wait();
                let mut total = ScanOutcome::default();
                for _ in 0..3 {
                    let done = scan(&mut conn, after, &china()).unwrap();
                    total.escalated += done.escalated;
                    total.lost += done.lost;
                }
                total
            })
        })
        .collect();
    let outcomes: Vec<ScanOutcome> = runners.into_iter().map(|r| r.join().unwrap()).collect();
    assert_eq!(outcomes.iter().map(|o| o.escalated).sum::<usize>(), ids.len(), "{outcomes:?}");

    let db = street.db();
    for kind in ["mark_overdue", "escalate"] {
        let counts = events_of_kind(&db, kind);
        for id in &ids {
            assert_eq!(counts.get(id), Some(&1), "{kind} events of case {id}");
        }
        assert_eq!(counts.len(), ids.len());
    }
    for id in &ids {
        assert_eq!(street.case(id)["overdue"], true);
    }
}

fn two_server_nodes_escalate_each_case_once(backend: Backend) {
    let fast = [("GRIDLINE_OVERDUE_SCAN_SECS", "1")];
    let street = Street::open(TestServer::start_with(backend, &fast));
    let second = TestServer::start_sharing(&street.server, &fast);
    let start = beijing(2026, 11, 27, 16, 0);
    let ids: Vec<String> =
        (0..8).map(|_| street.dispatched_at("E0101", start)["id"].as_str().unwrap().to_owned()).collect();
    // Both nodes' clocks pass every deadline at once; both jobs tick every second.
    let after = beijing(2026, 12, 1, 9, 0);
    second.clock.set(after);
    street.server.clock.set(after);
    let db = street.db();
    wait_for("both nodes' jobs flag every case", || events_of_kind(&db, "escalate").len() == ids.len());
    // A few more ticks of both jobs change nothing.
    std::thread::sleep(Duration::from_millis(2_500));
    for kind in ["mark_overdue", "escalate"] {
        let counts = events_of_kind(&db, kind);
        assert_eq!(counts.len(), ids.len());
        assert!(counts.values().all(|n| *n == 1), "{kind}: {counts:?}");
    }
}

both_backends!(
    deadlines_follow_the_working_calendar,
    the_server_job_flags_at_the_deadline_and_escalates_once,
    two_runners_racing_escalate_each_case_once,
    two_server_nodes_escalate_each_case_once,
);
