//! Early warning's daily scan (`gridline_server::jobs::warnings`) on both backends, over the
//! six quiet weeks of `warnings.rs` (and of class C01 in A2 and B1) and two bursts today:
//! twelve reports of class E01 in A1, twelve of class C01 in B1.
//!
//! - Two nodes (two app states on one database, as two server processes have) check at the same
//!   moment of the test clock: each class of the taxonomy runs once, on one of them; the day's
//!   signals are one per burst, of its class; a later check runs nothing.
//! - A claim left by a node that died mid-run holds until its lease passes, then another node
//!   takes the run over and raises the signal.
//! - Two `POST /warnings/scan` at once raise one signal for the burst, and the other run grows it.
//! - A server started with the schedule on runs the day's scan by itself.

use std::collections::{BTreeSet, HashMap};

use actix_web::web::Data;
use chrono::{DateTime, TimeZone, Utc};
use gridline_core::codes::GridCode;
use gridline_server::app::AppState;
use gridline_server::config::{Config, Source};
use gridline_server::jobs::warnings::{ClassRun, check};
use gridline_server::store::warning_scan_claims::{self, Claim};
use serde_json::Value;

use crate::common::{Backend, TestServer, demo_cells};
use crate::stats::{A1, A2, B1, connect, plain, seed};
use crate::warnings::{six_quiet_weeks, today};

crate::both_backends!(
    two_nodes_run_the_days_scan_of_each_class_once,
    a_dead_nodes_claim_is_taken_over_after_its_lease,
    two_runs_at_once_raise_one_signal_per_cluster,
    a_server_with_the_schedule_on_runs_the_days_scan_itself
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
    let db = connect(server);
    let conn = &mut db.get().unwrap();
    // The scan compares each place with its class's own history: quiet weeks of C01 too.
    for back in 1..=42u64 {
        let noon = (today - chrono::Days::new(back)).and_hms_opt(4, 0, 0).unwrap().and_utc();
        for grid in [A2, B1] {
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
    let (today, _) = today();
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&today.and_hms_opt(12, 1, 0).unwrap())
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
    assert_eq!(second, [ClassRun { class: "E01".to_owned(), taken_over: true, raised: 1, grown: 0 }]);
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
