//! Early warning's daily scan (`gridline_server::jobs::warnings`) on both backends, over the
//! six quiet weeks of `warnings.rs` (and of class C01 in the same cells) and two bursts today:
//! twelve reports of class E01 in A1, twelve of class C01 in B1.
//!
//! - Two nodes (two app states on one database, as two server processes have) check at the same
//!   moment of the test clock: each class of the taxonomy runs once, on one of them; the day's
//!   signals are one per burst, of its class; a later check runs nothing.
//! - A claim left by a node that died mid-run holds until its lease passes, then another node
//!   takes the run over and raises the signal.
//! - Two `POST /warnings/scan` at once raise one signal for the burst, and the other run grows it.
//! - A server started with the schedule on runs the day's scan by itself.
//! - A signal raised or grown reaches the live streams (`GET /api/v1/events`, event `signal`)
//!   of the staff whose scope holds it, and no one else's: the other street's dispatcher sees
//!   only its own street's signal, a citizen none (each checked by an event they must see
//!   next, so nothing waits on a clock).
//! - A stored signal or topic whose state or code core does not accept fails the read as
//!   corrupt data (a 500 to the list's caller, the server still answering), never a panic.
//! - Days no node ran (every server down) are caught up by the next check, each judged as its
//!   own day: a burst of class E02 two days ago raises its signal on that day's run, which
//!   finds what a run on that day found, seed and all.

use std::collections::{BTreeSet, HashMap};

use actix_web::web::Data;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::workflow::Role;
use gridline_server::app::AppState;
use gridline_server::auth::{Principal, Scope};
use gridline_server::config::{Config, Source};
use gridline_server::jobs::warnings::{ClassRun, SCHEDULED_SCAN_WORK, check};
use gridline_server::store::warning_scan_claims::{self, Claim};
use gridline_server::warnings::scan::{ScanTerms, run_scan};
use serde_json::Value;

use crate::common::{Backend, EventStream, SseFrame, TestServer, demo_cells, point_in};
use crate::stats::{A1, A2, B1, connect, plain, seed};
use crate::warnings::{post_json, run, signal_etag, six_quiet_weeks, today};

crate::both_backends!(
    two_nodes_run_the_days_scan_of_each_class_once,
    a_dead_nodes_claim_is_taken_over_after_its_lease,
    two_runs_at_once_raise_one_signal_per_cluster,
    a_server_with_the_schedule_on_runs_the_days_scan_itself,
    days_no_node_ran_are_caught_up_each_as_its_own_day,
    signals_reach_the_live_streams_of_their_scope_only,
    a_case_event_never_reads_the_signals_nor_a_signal_the_case_feed,
    stored_signals_and_topics_that_do_not_parse_fail_the_read
);

const LEASE_SECS: i64 = 60;

/// The three cells imported, six quiet weeks, and the two bursts today.
fn city_with_bursts(server: &TestServer) {
    let admin = server.admin_token();
    let mut cells = demo_cells(3);
    for (cell, code) in cells.iter_mut().zip([A1, A2, B1]) {
        cell.code = GridCode::parse(code).unwrap();
    }
    server.import_grid(&admin, "310104", &cells);
    six_quiet_weeks(server);
    let (today, now_ish) = today();
    // The server's own pool, as in `six_quiet_weeks`.
    let conn = &mut server.db.get().unwrap();
    // The scan compares each place with its class's own history: quiet weeks of C01 too, in
    // all three cells, so that the burst stands out at the daily threshold of 200 days (in
    // two cells, one burst's recurrence interval stays near it).
    for back in 1..=42u64 {
        let noon = (today - chrono::Days::new(back)).and_hms_opt(4, 0, 0).unwrap().and_utc();
        for grid in [A1, A2, B1] {
            seed(conn, grid, "C0101", None, &[plain("reported", noon)]);
        }
    }
    for _ in 0..12 {
        seed(conn, A1, "E0101", None, &[plain("reported", now_ish)]);
        seed(conn, B1, "C0101", None, &[plain("reported", now_ish)]);
    }
}

/// Today at 12:01 in the city: after the bursts (at most noon), and a minute's lease and more
/// before the day ends.
fn midday() -> DateTime<Utc> {
    midday_of(today().0)
}

fn midday_of(day: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_hms_opt(12, 1, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Another node on the server's database with the schedule on from midnight, reading the
/// server's test clock.
fn node(server: &TestServer) -> Data<AppState> {
    let env: HashMap<String, String> = [
        ("DATABASE_URL", server.database_url.as_str()),
        ("GRIDLINE_DATA_DIR", server.data_dir.path().to_str().unwrap()),
        ("GRIDLINE_DEMO_SEED", "false"),
        ("GRIDLINE_DB_POOL_SIZE", "2"),
        ("GRIDLINE_LOG", "warn"),
        ("GRIDLINE_WARNING_SCAN_AT", "00:00"),
        ("GRIDLINE_WARNING_SCAN_LEASE_SECS", &LEASE_SECS.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_source(&Source::from_env(env).unwrap()).unwrap();
    let mut state = AppState::build(config).unwrap();
    state.clock = server.clock.clone();
    Data::new(state)
}

/// Runs `checks` together on one actix system (the nodes' jobs run on theirs).
fn at_once(checks: Vec<(Data<AppState>, &str)>) -> Vec<Vec<ClassRun>> {
    actix_web::rt::System::new().block_on(async move {
        let running = checks.iter().map(|(state, name)| check(state, name));
        futures_util::future::join_all(running).await.into_iter().map(Result::unwrap).collect()
    })
}

fn signals(server: &TestServer) -> Vec<Value> {
    let list: Value = server.get_as(&server.admin_token(), "/api/v1/warnings/signals").json().unwrap();
    list["signals"].as_array().unwrap().clone()
}

fn classes_and_cells(signals: &[Value]) -> BTreeSet<(String, String)> {
    signals
        .iter()
        .map(|s| (s["class"].as_str().unwrap().to_owned(), s["cells"][0].as_str().unwrap().to_owned()))
        .collect()
}

fn two_nodes_run_the_days_scan_of_each_class_once(backend: Backend) {
    let server = TestServer::start(backend);
    city_with_bursts(&server);
    server.clock.set(midday());
    let (a, b) = (node(&server), node(&server));

    let runs = at_once(vec![(a.clone(), "node-a"), (b.clone(), "node-b")]);
    let mut ran: Vec<&str> = runs.iter().flatten().map(|run| run.class.as_str()).collect();
    ran.sort();
    // The taxonomy's eleven classes, each run once, whichever node won it.
    let classes = ["C01", "C02", "C03", "C04", "C05", "E01", "E02", "E03", "E04", "E05", "E06"];
    assert_eq!(ran, classes, "{runs:?}");
    let raised: usize = runs.iter().flatten().map(|run| run.raised).sum();
    assert_eq!(raised, 2, "{runs:?}");
    assert!(runs.iter().flatten().all(|run| !run.taken_over && run.grown == 0));

    let found = signals(&server);
    assert_eq!(
        classes_and_cells(&found),
        BTreeSet::from([("C01".to_owned(), B1.to_owned()), ("E01".to_owned(), A1.to_owned())])
    );
    assert!(found.iter().all(|s| s["observed"] == 12 && s["state"] == "open" && s["runs"] == 1));

    let (today, _) = today();
    let day = today.format("%Y-%m-%d").to_string();
    let db = connect(&server);
    let claims = warning_scan_claims::of_day(&mut db.get().unwrap(), &day).unwrap();
    assert_eq!(claims.len(), classes.len());
    assert!(claims.iter().all(|c| c.attempts == 1 && c.finished_at.is_some()), "{claims:?}");
    let e01 = claims.iter().find(|c| c.class == "E01").unwrap();
    assert_eq!((e01.raised, e01.grown), (Some(1), Some(0)));

    // Later checks the same day, on either node, find every class done.
    server.clock.advance(chrono::Duration::hours(1));
    assert_eq!(at_once(vec![(a, "node-a"), (b, "node-b")]), [vec![], vec![]]);
    assert_eq!(signals(&server).len(), 2);
}

fn a_dead_nodes_claim_is_taken_over_after_its_lease(backend: Backend) {
    let server = TestServer::start(backend);
    city_with_bursts(&server);
    let start = midday();
    server.clock.set(start);
    let (today, _) = today();
    let day = today.format("%Y-%m-%d").to_string();
    let db = connect(&server);
    // A node claimed E01 and died before it raised anything.
    let lease_until = start.naive_utc() + chrono::Duration::seconds(LEASE_SECS);
    let dead = warning_scan_claims::claim(
        &mut db.get().unwrap(),
        &day,
        "E01",
        "dead",
        start.naive_utc(),
        lease_until,
    );
    assert_eq!(dead.unwrap(), Claim::Won { taken_over: false });

    let live = node(&server);
    let first = at_once(vec![(live.clone(), "node-a")]).remove(0);
    assert!(first.iter().all(|run| run.class != "E01"), "{first:?}");
    assert_eq!(first.len(), 10);
    assert_eq!(classes_and_cells(&signals(&server)), BTreeSet::from([("C01".to_owned(), B1.to_owned())]));

    // Within the lease the claim holds.
    server.clock.advance(chrono::Duration::seconds(LEASE_SECS - 1));
    assert_eq!(at_once(vec![(live.clone(), "node-a")]), [vec![]]);

    // Past it, the next check takes the run over.
    server.clock.advance(chrono::Duration::seconds(2));
    let second = at_once(vec![(live, "node-a")]).remove(0);
    assert_eq!(
        second,
        [ClassRun { day: day.clone(), class: "E01".to_owned(), taken_over: true, raised: 1, grown: 0 }]
    );
    assert_eq!(
        classes_and_cells(&signals(&server)),
        BTreeSet::from([("C01".to_owned(), B1.to_owned()), ("E01".to_owned(), A1.to_owned())])
    );
    let claims = warning_scan_claims::of_day(&mut db.get().unwrap(), &day).unwrap();
    let e01 = claims.iter().find(|c| c.class == "E01").unwrap();
    assert_eq!((e01.node.as_str(), e01.attempts, e01.raised), ("node-a", 2, Some(1)), "{e01:?}");
    assert!(e01.finished_at.is_some());
    // The dead node, back, cannot finish a run that is no longer its own.
    let late =
        warning_scan_claims::finish(&mut db.get().unwrap(), &day, "E01", "dead", start.naive_utc(), 0, 0);
    assert!(!late.unwrap());
}

fn two_runs_at_once_raise_one_signal_per_cluster(backend: Backend) {
    let server = TestServer::start(backend);
    city_with_bursts(&server);
    let admin = server.admin_token();
    let runs: Vec<Value> = std::thread::scope(|scope| {
        let started: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let response = server
                        .client
                        .post(server.url(
                            "/api/v1/warnings/scan?class=E01&replications=99&seed=5&min_recurrence_days=20",
                        ))
                        .bearer_auth(&admin)
                        .send()
                        .unwrap();
                    assert_eq!(response.status(), 200);
                    response.json::<Value>().unwrap()
                })
            })
            .collect();
        started.into_iter().map(|run| run.join().unwrap()).collect()
    });
    let count = |key: &str| runs.iter().map(|run| run[key].as_array().unwrap().len()).sum::<usize>();
    assert_eq!((count("raised"), count("grown")), (1, 1), "{runs:?}");
    let found = signals(&server);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0]["cells"][0].as_str(), found[0]["runs"].as_i64()), (Some(A1), Some(2)));
}

fn a_server_with_the_schedule_on_runs_the_days_scan_itself(backend: Backend) {
    let server = TestServer::start(backend);
    city_with_bursts(&server);
    // A second node with the schedule on from midnight: its first check, at start, is due.
    let _scheduled = TestServer::start_sharing(&server, &[("GRIDLINE_WARNING_SCAN_AT", "00:00")]);
    let started = std::time::Instant::now();
    while signals(&server).len() < 2 {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the scheduled scan raised nothing");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        classes_and_cells(&signals(&server)),
        BTreeSet::from([("C01".to_owned(), B1.to_owned()), ("E01".to_owned(), A1.to_owned())])
    );
}

fn days_no_node_ran_are_caught_up_each_as_its_own_day(backend: Backend) {
    let server = TestServer::start(backend);
    city_with_bursts(&server);
    let (today, _) = today();
    let back = |days: u64| today - chrono::Days::new(days);
    let text = |day: NaiveDate| day.format("%Y-%m-%d").to_string();
    // Six quiet weeks of class E02 too, then a burst in A2 two days ago (local noon).
    {
        let db = connect(&server);
        let conn = &mut db.get().unwrap();
        for days in 3..=42u64 {
            let noon = back(days).and_hms_opt(4, 0, 0).unwrap().and_utc();
            for grid in [A1, A2, B1] {
                seed(conn, grid, "E0201", None, &[plain("reported", noon)]);
            }
        }
        for _ in 0..12 {
            seed(
                conn,
                A2,
                "E0201",
                None,
                &[plain("reported", back(2).and_hms_opt(4, 0, 0).unwrap().and_utc())],
            );
        }
    }
    // What a run two days ago at 12:01 found, on a scan of E02 as the job scans a district.
    let system = Principal {
        user_id: "system:test".to_owned(),
        role: Role::System,
        scope: Scope::District { district: AreaCode::parse("310104").unwrap() },
    };
    let pairs = [("class".to_owned(), "E02".to_owned())];
    let state = node(&server);
    server.clock.set(midday_of(back(2)));
    let on_the_day =
        actix_web::rt::System::new().block_on(run_scan(&state, &system, &pairs, ScanTerms::REQUEST)).unwrap();
    assert_eq!(on_the_day.last_day, text(back(2)));
    assert_eq!(on_the_day.clusters[0].cells[0], A2, "{on_the_day:?}");

    // Three days ago a node ran the day's scans; then every server was down until today.
    server.clock.set(midday_of(back(3)));
    let first = at_once(vec![(state.clone(), "node-a")]).remove(0);
    assert_eq!(first.len(), 11);
    assert!(first.iter().all(|run| run.day == text(back(3)) && run.raised == 0), "{first:?}");

    server.clock.set(midday());
    let runs = at_once(vec![(state.clone(), "node-a")]).remove(0);
    let days: BTreeSet<&str> = runs.iter().map(|run| run.day.as_str()).collect();
    assert_eq!(days, BTreeSet::from([text(back(2)).as_str(), text(back(1)).as_str(), text(today).as_str()]));
    assert_eq!(runs.len(), 33, "{runs:?}");
    // Each class's days oldest first.
    let e02: Vec<&ClassRun> = runs.iter().filter(|run| run.class == "E02").collect();
    assert_eq!(
        e02.iter().map(|run| run.day.clone()).collect::<Vec<_>>(),
        [text(back(2)), text(back(1)), text(today)]
    );
    assert_eq!((e02[0].raised, e02[0].grown), (1, 0), "{e02:?}");
    // Later days grow that signal while the cluster lasts, never raise it again.
    assert_eq!(e02.iter().map(|run| run.raised).sum::<usize>(), 1, "{e02:?}");
    let grown: usize = e02.iter().map(|run| run.grown).sum();

    let found = signals(&server);
    let of_e02: Vec<&Value> = found.iter().filter(|s| s["class"] == "E02").collect();
    assert_eq!(of_e02.len(), 1, "{found:?}");
    assert_eq!(of_e02[0]["cells"][0], A2);
    assert_eq!(of_e02[0]["runs"].as_u64(), Some(1 + grown as u64));
    if grown == 0 {
        // Raised on the missed day's run, with what a run on that day found.
        let cluster = &on_the_day.clusters[0];
        assert_eq!(of_e02[0]["window_to"], text(back(2)));
        assert_eq!(of_e02[0]["observed"].as_u64(), Some(cluster.observed));
    }
    // The day's run judged the day as a run on it would have, seed and all: judged again the
    // same way from today, the scan gives the same answer.
    let again = actix_web::rt::System::new()
        .block_on(run_scan(
            &state,
            &system,
            &pairs,
            ScanTerms { max_work: SCHEDULED_SCAN_WORK, day: Some(back(2)) },
        ))
        .unwrap();
    assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&on_the_day).unwrap());
    // Every day's claim is finished.
    let db = connect(&server);
    for day in [back(3), back(2), back(1), today] {
        let claims = warning_scan_claims::of_day(&mut db.get().unwrap(), &text(day)).unwrap();
        assert_eq!(claims.len(), 11, "{day}");
        assert!(claims.iter().all(|c| c.finished_at.is_some() && c.attempts == 1), "{claims:?}");
    }
    // The bursts of today are today's run's, as before.
    let today_e01 = runs.iter().find(|run| run.class == "E01" && run.day == text(today)).unwrap();
    assert_eq!(today_e01.raised, 1, "{runs:?}");
}

/// The next event of `stream`, which must be a `signal` event.
fn next_signal(stream: &mut EventStream) -> SseFrame {
    let frame = stream.next();
    assert_eq!(frame.event, "signal", "{}", frame.raw);
    assert!(frame.id.is_none(), "a signal event does not move Last-Event-ID: {}", frame.raw);
    frame
}

fn signals_reach_the_live_streams_of_their_scope_only(backend: Backend) {
    let server = TestServer::start(backend);
    city_with_bursts(&server);
    let admin = server.admin_token();
    let street = |code: &str| Scope::Street { street: AreaCode::parse(&code[..9]).unwrap() };
    let dispatcher_a = server.staff_token(Role::Dispatcher, street(A1));
    let dispatcher_b = server.staff_token(Role::Dispatcher, street(B1));
    let citizen = server.citizen_token();
    let base = server.url("");
    let open = |token: &str| {
        let mut stream = EventStream::open(&base, token, None);
        assert!(stream.backlog().is_empty());
        stream
    };
    let (mut office_a, mut office_b, mut own) = (open(&dispatcher_a), open(&dispatcher_b), open(&citizen));

    // The burst of E01 in A1: street A's office hears of the signal.
    let first = run(&server, &admin, "class=E01&replications=99&seed=5&min_recurrence_days=20");
    let id = first["raised"][0].as_str().unwrap().to_owned();
    let heard = next_signal(&mut office_a);
    assert_eq!(heard.data["signal_id"], id.as_str());
    assert_eq!((heard.data["cells"][0].as_str(), heard.data["class"].as_str()), (Some(A1), Some("E01")));
    assert_eq!((heard.data["state"].as_str(), heard.data["version"].as_i64()), (Some("open"), Some(1)));

    // The burst of C01 in B1: street B's first signal is its own, never A1's.
    server.clock.advance(chrono::Duration::seconds(1));
    let second = run(&server, &admin, "class=C01&replications=99&seed=5&min_recurrence_days=20");
    let other = second["raised"][0].as_str().unwrap().to_owned();
    let heard_b = next_signal(&mut office_b);
    assert_eq!(
        (heard_b.data["signal_id"].as_str(), heard_b.data["cells"][0].as_str()),
        (Some(other.as_str()), Some(B1))
    );

    // A later run grows A1's signal, and street A's office acknowledges it: both are heard in
    // street A, and B1's signal never was.
    server.clock.advance(chrono::Duration::seconds(1));
    let again = run(&server, &admin, "class=E01&replications=99&seed=5&min_recurrence_days=20");
    assert_eq!(again["grown"][0], id.as_str());
    let grown = next_signal(&mut office_a);
    assert_eq!((grown.data["signal_id"].as_str(), grown.data["runs"].as_i64()), (Some(id.as_str()), Some(2)));
    server.clock.advance(chrono::Duration::seconds(1));
    let path = format!("/api/v1/warnings/signals/{id}/actions");
    let etag = signal_etag(&server, &dispatcher_a, &id);
    let ack = serde_json::json!({ "action": "acknowledge" });
    assert_eq!(post_json(&server, &dispatcher_a, &path, Some(&etag), &ack).status(), 200);
    let acknowledged = next_signal(&mut office_a);
    assert_eq!(
        (acknowledged.data["signal_id"].as_str(), acknowledged.data["state"].as_str()),
        (Some(id.as_str()), Some("acknowledged"))
    );

    // A citizen's stream carries no signal: their own report is the first thing they hear.
    let case_id = file_report(&server, &citizen);
    let first_heard = own.next_case();
    assert_eq!(first_heard.data["case_id"], case_id.as_str());
    // Street B's office, too, hears nothing more of A1's signal: the report (in A1's street or
    // wherever it fell) is no signal, and the next signal event it could get would be B1's.
    server.clock.advance(chrono::Duration::seconds(1));
    let etag_b = signal_etag(&server, &dispatcher_b, &other);
    let path_b = format!("/api/v1/warnings/signals/{other}/actions");
    assert_eq!(post_json(&server, &dispatcher_b, &path_b, Some(&etag_b), &ack).status(), 200);
    loop {
        let frame = office_b.next();
        if frame.event == "case" {
            continue;
        }
        assert_eq!(frame.event, "signal", "{}", frame.raw);
        assert_eq!(
            frame.data["signal_id"],
            other.as_str(),
            "street B hears only of B1's signal: {}",
            frame.raw
        );
        assert_eq!(frame.data["state"], "acknowledged");
        break;
    }
}

/// The live streams' reads of the case feed and of the signals so far, from `/metrics`.
fn live_reads(server: &TestServer) -> (u64, u64) {
    let metrics = server.get_as(crate::common::METRICS_TOKEN, "/metrics").text().unwrap();
    let count = |of: &str| {
        let prefix = format!("gridline_live_reads_total{{of=\"{of}\"}} ");
        metrics.lines().find_map(|line| line.strip_prefix(&prefix)).map_or(0, |n| n.trim().parse().unwrap())
    };
    (count("cases"), count("signals"))
}

/// Waits for the node's PostgreSQL listener to hold its connection (`gridline_live_listening 1`).
fn wait_until_listening(server: &TestServer) {
    for _ in 0..300 {
        let metrics = server.get_as(crate::common::METRICS_TOKEN, "/metrics").text().unwrap();
        if metrics.lines().any(|line| line == "gridline_live_listening 1") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the listener did not connect within 30 s");
}

fn a_case_event_never_reads_the_signals_nor_a_signal_the_case_feed(backend: Backend) {
    // No poll and no heartbeat inside the test: every read below is a bell's.
    let quiet = [("GRIDLINE_EVENTS_POLL_SECS", "3600"), ("GRIDLINE_EVENTS_HEARTBEAT_SECS", "3600")];
    let server = TestServer::start_with(backend, &quiet);
    city_with_bursts(&server);
    if backend == Backend::Postgres {
        // The listener's first connection rings every bell (what was sent before it listened is
        // unknown): the stream opens after that, so the reads below are the test's alone.
        wait_until_listening(&server);
    }
    let admin = server.admin_token();
    let citizen = server.citizen_token();
    let mut watching = EventStream::open(&server.url(""), &admin, None);
    assert!(watching.backlog().is_empty());

    // A report: the admin's stream reads the feed and hears the case, and never the signals.
    let before = live_reads(&server);
    let case_id = file_report(&server, &citizen);
    assert_eq!(watching.next_case().data["case_id"], case_id.as_str());
    let after_case = live_reads(&server);
    assert!(after_case.0 > before.0, "{before:?} {after_case:?}");
    assert_eq!(after_case.1, before.1, "a case event read the signals: {before:?} {after_case:?}");

    // A signal raised: the stream reads the signals and hears it, and never the case feed.
    server.clock.advance(chrono::Duration::seconds(1));
    let raised = run(&server, &admin, "class=E01&replications=99&seed=5&min_recurrence_days=20");
    let heard = next_signal(&mut watching);
    assert_eq!(heard.data["signal_id"], raised["raised"][0]);
    let after_signal = live_reads(&server);
    assert!(after_signal.1 > after_case.1, "{after_case:?} {after_signal:?}");
    // On PostgreSQL the listener passes over the node's own notifications (the report's and the
    // signal's): the node's bells rang when they committed, and a relay would read again.
    assert_eq!(after_signal.0, after_case.0, "a signal read the case feed: {after_case:?} {after_signal:?}");
}

/// Files a report in the first demo cell as `token`; answers its case id.
fn file_report(server: &TestServer, token: &str) -> String {
    let cells = demo_cells(3);
    let (lat, lon) = point_in(&cells[0]);
    let filed = server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(&serde_json::json!({
            "category": "E0101",
            "description": "Rubbish left beside the bus stop",
            "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 6.0 },
        }))
        .send()
        .unwrap();
    assert_eq!(filed.status(), 201);
    filed.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
}

fn stored_signals_and_topics_that_do_not_parse_fail_the_read(backend: Backend) {
    use diesel::prelude::*;
    use gridline_server::store::schema::{warning_signals as signals_table, warning_topics as topics_table};
    use gridline_server::store::{StoreError, warning_signals, warning_topics};

    let server = TestServer::start(backend);
    city_with_bursts(&server);
    let admin = server.admin_token();
    let raised = run(&server, &admin, "class=E01&replications=99&seed=5&min_recurrence_days=20");
    let id = raised["raised"][0].as_str().unwrap().to_owned();
    let db = connect(&server);
    let conn = &mut db.get().unwrap();
    assert_eq!(warning_signals::find(conn, &id).unwrap().unwrap().centre_grid, GridCode::parse(A1).unwrap());

    for (column, value) in [("state", "bogus"), ("centre_grid", "not-a-cell"), ("category", "X99")] {
        let target = signals_table::table.filter(signals_table::id.eq(&id));
        let updated = match column {
            "state" => diesel::update(target).set(signals_table::state.eq(value)).execute(conn),
            "centre_grid" => diesel::update(target).set(signals_table::centre_grid.eq(value)).execute(conn),
            _ => diesel::update(target).set(signals_table::category.eq(Some(value))).execute(conn),
        };
        assert_eq!(updated.unwrap(), 1);
        match warning_signals::find(conn, &id) {
            Err(StoreError::Corrupt(why)) => assert!(!why.is_empty(), "{column}: says why"),
            other => panic!("a stored {column} core does not accept reads as corrupt data, got {other:?}"),
        }
        let answer = server.get_as(&admin, "/api/v1/warnings/signals");
        assert_eq!(answer.status(), 500, "{column}");
        // Put right again for the next column.
        let target = signals_table::table.filter(signals_table::id.eq(&id));
        diesel::update(target)
            .set((
                signals_table::state.eq("open"),
                signals_table::centre_grid.eq(A1),
                signals_table::category.eq(None::<String>),
            ))
            .execute(conn)
            .unwrap();
    }
    assert_eq!(server.get_as(&admin, "/api/v1/warnings/signals").status(), 200, "the server still answers");

    // A topic opened from the signal, then its state spoiled.
    let path = format!("/api/v1/warnings/signals/{id}/actions");
    let etag = signal_etag(&server, &admin, &id);
    let body =
        serde_json::json!({ "action": "open_topic", "category": "E0101", "note": "the street office" });
    let stepped = post_json(&server, &admin, &path, Some(&etag), &body);
    assert_eq!(stepped.status(), 200);
    let topic_id = stepped.json::<Value>().unwrap()["topic_id"].as_str().unwrap().to_owned();
    assert!(warning_topics::find(conn, &topic_id).unwrap().is_some());
    diesel::update(topics_table::table.filter(topics_table::id.eq(&topic_id)))
        .set(topics_table::state.eq("bogus"))
        .execute(conn)
        .unwrap();
    match warning_topics::find(conn, &topic_id) {
        Err(StoreError::Corrupt(why)) => assert!(!why.is_empty(), "says why"),
        other => panic!("a stored topic state core does not accept reads as corrupt data, got {other:?}"),
    }
}
