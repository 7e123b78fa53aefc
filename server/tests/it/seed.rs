//! `gridline seed` as a real process on both backends, into the database of a running server:
//! the asked number of cases over the asked days, in the file's cells, with every channel and
//! histories that core's state machine allows step by step (the case row left as its last event
//! says), summaries that agree with the events, and a server that serves them (case list,
//! statistics by channel) without a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use diesel::prelude::*;
use gridline_core::grid::to_geojson;
use gridline_core::workflow::{self, Action, CaseState, Role};
use gridline_server::store::schema::{case_events, cases};
use gridline_server::store::summaries;
use serde_json::Value;

use crate::common::{Backend, TestServer, demo_cells};

crate::both_backends!(seeded_cases_are_whole_histories_the_server_serves);

const CASES: i64 = 900;

/// Case id, kind, from-state, to-state, actor role and time of one event.
type EventFacts = (String, String, Option<String>, String, Option<String>, chrono::NaiveDateTime);

fn seeded_cases_are_whole_histories_the_server_serves(backend: Backend) {
    let server = TestServer::start(backend);
    let dir = tempfile::tempdir().unwrap();
    let grids = dir.path().join("city.geojson");
    let cells = demo_cells(16);
    std::fs::write(&grids, to_geojson(&cells)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gridline"))
        .args(["seed", "--cases", &CASES.to_string(), "--days", "120", "--import", "--cells-per-batch", "5"])
        // Few enough roll-up rows held that they are written between batches too.
        .args(["--rows-held", "200"])
        .arg("--grids")
        .arg(&grids)
        .env_clear()
        .env("GRIDLINE_DATA_DIR", dir.path().join("data"))
        .env("DATABASE_URL", &server.database_url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("seeded {CASES} cases")));

    let db = gridline_server::store::Db::connect(&server.database_url, 1, std::time::Duration::from_secs(10))
        .unwrap();
    let mut conn = db.get().unwrap();
    let rows: Vec<(String, String, String, Option<String>, i32)> = cases::table
        .select((cases::id, cases::state, cases::channel, cases::grid_code, cases::version))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len() as i64, CASES);
    let codes: BTreeSet<String> = cells.iter().map(|c| c.code.to_string()).collect();
    assert!(rows.iter().all(|r| r.3.as_ref().is_some_and(|g| codes.contains(g))));
    let channels: BTreeSet<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(channels, ["app", "hotline", "inspector", "open311", "sensor", "web"].into_iter().collect());
    let states: BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    for state in ["closed", "rejected"] {
        assert!(states.contains(state), "no {state} case in {states:?}");
    }

    // Every history is a path core allows, by the role that took each step, and the case row
    // is what its last event left.
    let events: Vec<EventFacts> = case_events::table
        .select((
            case_events::case_id,
            case_events::kind,
            case_events::from_state,
            case_events::to_state,
            case_events::actor_role,
            case_events::occurred_at,
        ))
        .order((case_events::case_id, case_events::seq))
        .load(&mut conn)
        .unwrap();
    let mut histories: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for event in &events {
        histories.entry(event.0.as_str()).or_default().push(event);
    }
    let kinds: BTreeSet<&str> = events.iter().map(|e| e.1.as_str()).collect();
    for kind in ["register", "dispatch", "accept", "mark_handled", "verify_pass", "mark_overdue", "rate"] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
    for (id, state, _, _, version) in &rows {
        let history = &histories[id.as_str()];
        assert_eq!(history[0].1, "reported");
        assert_eq!(history.len() as i32, *version);
        for pair in history.windows(2) {
            let (before, step) = (pair[0], pair[1]);
            assert!(step.5 >= before.5, "{id}: events out of time order");
            let from: CaseState = step.2.as_deref().unwrap().parse().unwrap();
            assert_eq!(from.as_str(), before.3);
            let action: Action = step.1.parse().unwrap();
            let role: Role = step.4.as_deref().unwrap().parse().unwrap();
            let transition = workflow::decide(from, action, role).unwrap();
            assert_eq!(transition.to.as_str(), step.3);
        }
        assert_eq!(history.last().unwrap().3, *state);
    }
    // Cases and events carry their own time in their ids (a year spreads over the months, as a
    // live city's would; on PostgreSQL, over the monthly partitions).
    let minted: Vec<(String, chrono::NaiveDateTime)> =
        cases::table.select((cases::id, cases::created_at)).load(&mut conn).unwrap();
    let event_ids: Vec<(String, chrono::NaiveDateTime)> =
        case_events::table.select((case_events::id, case_events::occurred_at)).load(&mut conn).unwrap();
    for (id, at) in minted.iter().chain(&event_ids) {
        let uuid = uuid::Uuid::parse_str(id).unwrap();
        let (seconds, nanos) = uuid.get_timestamp().unwrap().to_unix();
        let millis = at.and_utc().timestamp_millis();
        // Within a millisecond: a stored time keeps microseconds, rounded.
        let minted_millis = (seconds * 1000 + u64::from(nanos) / 1_000_000) as i64;
        assert!((minted_millis - millis).abs() <= 1, "{id} minted for {at}");
    }
    if backend == Backend::Postgres {
        #[derive(QueryableByName)]
        struct Spread {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            months: i64,
        }
        let gridline_server::store::DbConnection::Pg(pg) = &mut *conn else { unreachable!() };
        let spread: Spread = diesel::sql_query(
            "SELECT count(DISTINCT tableoid) AS months FROM cases WHERE tableoid::regclass::text <> 'cases_default'",
        )
        .get_result(pg)
        .unwrap();
        assert!(spread.months >= 4, "120 days over {} monthly partitions", spread.months);
        let defaults: Spread =
            diesel::sql_query("SELECT count(*) AS months FROM cases_default").get_result(pg).unwrap();
        assert_eq!(defaults.months, 0, "every seeded month had its partition");
    }
    let agreed = summaries::compare(&mut conn).unwrap();
    assert_eq!(agreed.differences, Vec::new());
    assert_eq!(
        agreed.reports,
        events.iter().filter(|e| e.1 == gridline_server::store::events::REPORTED).count() as i64
    );
    let facts = gridline_server::store::stat_facts::compare(&mut conn).unwrap();
    assert_eq!((facts.differences, facts.facts), (Vec::new(), events.len()));

    // The running server serves them at once.
    let admin = server.admin_token();
    let page: Value = server.get_as(&admin, "/api/v1/cases?limit=10").json().unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    let now = chrono::Utc::now();
    // The seed spreads the cases over the last 120 days as Beijing days: the first of them
    // starts at Beijing midnight, up to a day before `now - 120 days` in UTC (from 16:00 UTC on).
    let range = format!(
        "from={}&to={}",
        (now - chrono::Duration::days(122)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let stats: Value =
        server.get_as(&admin, &format!("/api/v1/stats?{range}&group_by=channel")).json().unwrap();
    assert_eq!(stats["total"]["received"], CASES);
    assert_eq!(stats["groups"].as_array().unwrap().len(), 6);

    // Whole days read from the roll-ups the seed kept agree with the facts.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
    crate::stats_rollups::assert_rollups_match_facts(&server, &[&admin], &mut rng, 125, 40);
}
