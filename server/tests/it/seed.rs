//! `gridline seed` as a real process on both backends, into the database of a running server:
//! the asked number of cases over the asked days, in the file's cells, with every channel and
//! histories that core's state machine allows step by step (the case row left as its last event
//! says), summaries that agree with the events, and a server that serves them (case list,
//! statistics by channel) without a restart. Into a database without cases it builds its
//! indexes at the end: the database is then indexed exactly as the migrations left it; one with
//! cases keeps its indexes; and indexes a seed dropped and never built are built when the store
//! is next opened.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use diesel::prelude::*;
use gridline_core::grid::to_geojson;
use gridline_core::workflow::{self, Action, CaseState, Role};
use gridline_server::store::schema::{case_events, cases};
use gridline_server::store::{DbConnection, deferred_indexes, summaries};
use serde_json::Value;

use crate::common::{Backend, TestServer, demo_cells};

crate::both_backends!(
    seeded_cases_are_whole_histories_the_server_serves,
    a_seed_into_a_city_with_cases_keeps_its_indexes,
    indexes_a_seed_dropped_are_built_when_the_store_opens,
);

/// A seed the database stops halfway (here a trigger refusing cases past 600, as a full disk
/// would refuse them) fails with the database's error, keeps the batches it wrote, whole, and
/// builds the indexes it dropped before it exits.
#[test]
fn a_seed_that_fails_halfway_keeps_its_batches_and_builds_its_indexes() {
    let server = TestServer::start(Backend::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let cells = demo_cells(16);
    let db = open_store(&server);
    let mut conn = db.get().unwrap();
    let migrated = indexing(&mut conn);
    let DbConnection::Pg(pg) = &mut *conn else { unreachable!() };
    diesel::sql_query(
        "CREATE FUNCTION refuse_past_600() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF (SELECT count(*) FROM cases) > 600 THEN RAISE EXCEPTION 'no room for more cases'; END IF; \
           RETURN NULL; END $$",
    )
    .execute(pg)
    .unwrap();
    diesel::sql_query(
        "CREATE TRIGGER refuse_past_600 AFTER INSERT ON cases FOR EACH STATEMENT EXECUTE FUNCTION refuse_past_600()",
    )
    .execute(pg)
    .unwrap();

    let output = seed_output(&server, dir.path(), &cells, 900, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no room for more cases"), "{stderr}");

    assert_eq!(deferred_indexes::pending(&mut conn).unwrap(), 0);
    assert_eq!(indexing(&mut conn), migrated);
    let kept: i64 = cases::table.count().get_result(&mut conn).unwrap();
    assert!((1..=600).contains(&kept), "{kept} cases kept");
    assert_summaries_and_facts_agree(&mut conn, kept);
}

const CASES: i64 = 900;

/// Case id, kind, from-state, to-state, actor role and time of one event.
type EventFacts = (String, String, Option<String>, String, Option<String>, chrono::NaiveDateTime);

fn seeded_cases_are_whole_histories_the_server_serves(backend: Backend) {
    let server = TestServer::start(backend);
    let dir = tempfile::tempdir().unwrap();
    let cells = demo_cells(16);
    let db = open_store(&server);
    let mut conn = db.get().unwrap();
    let migrated = indexing(&mut conn);
    let stdout = run_seed(&server, dir.path(), &cells, CASES, 1);
    assert!(stdout.contains(&format!("seeded {CASES} cases")), "{stdout}");
    // Into a database without cases the indexes were built at the end, every one of them, on
    // every partition, and none is left recorded as missing.
    assert!(
        stdout.contains("indexes and a foreign key are built after the cases")
            == (backend == Backend::Postgres),
        "{stdout}"
    );
    assert!(stdout.contains("indexes are built after the cases") == (backend == Backend::Sqlite), "{stdout}");
    assert_eq!(indexing(&mut conn), migrated);
    assert_eq!(deferred_indexes::pending(&mut conn).unwrap(), 0);
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

/// Runs `gridline seed` for `cases` cases over 120 days in `cells` (imported) into the server's
/// database, with generator seed `seed`, and returns what it printed.
fn run_seed(
    server: &TestServer,
    dir: &std::path::Path,
    cells: &[gridline_core::grid::GridCell],
    cases: i64,
    seed: u64,
) -> String {
    let output = seed_output(server, dir, cells, cases, &["--seed", &seed.to_string()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// `gridline seed` of `cases` cases in `cells`, forty cases a batch, with `more` arguments.
fn seed_output(
    server: &TestServer,
    dir: &std::path::Path,
    cells: &[gridline_core::grid::GridCell],
    cases: i64,
    more: &[&str],
) -> std::process::Output {
    let grids = dir.join("city.geojson");
    std::fs::write(&grids, to_geojson(cells)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_gridline"))
        .args(["seed", "--cases", &cases.to_string(), "--days", "120", "--import", "--cases-per-batch", "40"])
        // Few enough roll-up rows held that they are written between batches too.
        .args(["--rows-held", "200"])
        .args(more)
        .arg("--grids")
        .arg(&grids)
        .env_clear()
        .env("GRIDLINE_DATA_DIR", dir.join("data"))
        .env("DATABASE_URL", &server.database_url)
        .output()
        .unwrap()
}

/// A connection of the test's own to the server's database.
fn open_store(server: &TestServer) -> gridline_server::store::Db {
    gridline_server::store::Db::connect(&server.database_url, 1, std::time::Duration::from_secs(10)).unwrap()
}

/// Every index and foreign key of the database's tables, as its definition without its name.
/// On PostgreSQL a partitioned table's index counts as valid only while every partition has
/// its own (the partitions a seed adds included), so the same set means the same indexing,
/// partition by partition.
fn indexing(conn: &mut DbConnection) -> BTreeSet<String> {
    #[derive(QueryableByName)]
    struct Definition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        owner: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        definition: String,
    }
    let rows: Vec<Definition> = match conn {
        DbConnection::Pg(pg) => diesel::sql_query(
            "SELECT c.relname::text AS owner, i.relname::text AS name, \
                    pg_get_indexdef(i.oid) || CASE WHEN x.indisvalid THEN '' ELSE ' (invalid)' END AS definition \
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid \
              WHERE c.relnamespace = 'public'::regnamespace AND NOT c.relispartition \
             UNION ALL \
             SELECT c.relname::text, k.conname::text, pg_get_constraintdef(k.oid) \
               FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
              WHERE k.contype = 'f' AND k.conparentid = 0 AND c.relnamespace = 'public'::regnamespace",
        )
        .load(pg)
        .unwrap(),
        DbConnection::Sqlite(sqlite) => diesel::sql_query(
            "SELECT tbl_name AS owner, name, coalesce(sql, '') AS definition FROM sqlite_master WHERE type = 'index'",
        )
        .load(sqlite)
        .unwrap(),
    };
    assert!(rows.len() > 20, "{} indexes", rows.len());
    rows.into_iter()
        .map(|row| format!("{}: {}", row.owner, row.definition.replacen(&format!(" {} ", row.name), " ", 1)))
        .collect()
}

/// Reports, facts and summaries of every case, each as it is stored.
fn assert_summaries_and_facts_agree(conn: &mut DbConnection, cases: i64) {
    let stored: i64 = cases::table.count().get_result(conn).unwrap();
    assert_eq!(stored, cases);
    let agreed = summaries::compare(conn).unwrap();
    assert_eq!((agreed.differences, agreed.reports), (Vec::new(), cases));
    let facts = gridline_server::store::stat_facts::compare(conn).unwrap();
    assert_eq!(facts.differences, Vec::new());
}

/// A second seed into the same cells finds cases there: it keeps every index while it writes
/// and recomputes the cells' summaries from all their reports, its and the first seed's.
fn a_seed_into_a_city_with_cases_keeps_its_indexes(backend: Backend) {
    let server = TestServer::start(backend);
    let dir = tempfile::tempdir().unwrap();
    let cells = demo_cells(6);
    let db = open_store(&server);
    let mut conn = db.get().unwrap();
    let migrated = indexing(&mut conn);
    let first = run_seed(&server, dir.path(), &cells, 120, 1);
    assert!(first.contains("built after the cases"), "{first}");
    assert_summaries_and_facts_agree(&mut conn, 120);

    let second = run_seed(&server, dir.path(), &cells, 80, 2);
    assert!(second.contains("seeded 80 cases"), "{second}");
    assert!(!second.contains("built after the cases") && !second.contains("built them"), "{second}");
    assert_eq!(indexing(&mut conn), migrated);
    assert_summaries_and_facts_agree(&mut conn, 200);
}

/// A seed that dies after dropping its indexes leaves them recorded: opening the store builds
/// them before anything else runs, once, however many nodes open it at the same moment.
fn indexes_a_seed_dropped_are_built_when_the_store_opens(backend: Backend) {
    let server = TestServer::start(backend);
    let url = server.database_url.clone();
    let open = || gridline_server::store::Db::connect(&url, 1, std::time::Duration::from_secs(10)).unwrap();
    let db = open();
    let mut conn = db.get().unwrap();
    let migrated = indexing(&mut conn);
    let dropped = deferred_indexes::defer(&mut conn).unwrap();
    let kinds: BTreeSet<&str> = dropped.iter().map(|d| d.kind.as_str()).collect();
    let expected_kinds: BTreeSet<&str> = match backend {
        Backend::Postgres => [deferred_indexes::INDEX, deferred_indexes::FOREIGN_KEY].into(),
        Backend::Sqlite => [deferred_indexes::INDEX].into(),
    };
    assert_eq!(kinds, expected_kinds);
    for name in
        ["cases_street_newest", "case_events_case", "case_stat_facts_by_time", "case_day_summaries_by_grid"]
    {
        assert!(dropped.iter().any(|d| d.name == name), "{name} not dropped: {dropped:?}");
    }
    // What a load must keep is kept: unique indexes and the events' sequence.
    assert!(!dropped.iter().any(|d| d.name.ends_with("_pkey") || d.name == "case_events_seq"), "{dropped:?}");
    let left = indexing(&mut conn);
    assert!(left.len() < migrated.len());
    assert_eq!(deferred_indexes::pending(&mut conn).unwrap(), dropped.len() as i64);
    drop(conn);
    drop(db);

    // The seed is gone; the next process to open the store builds what it dropped. Two nodes
    // starting at once both start: each index is built by one of them.
    let (one, two) = std::thread::scope(|scope| {
        let one = scope.spawn(open);
        let two = scope.spawn(open);
        (one.join().unwrap(), two.join().unwrap())
    });
    drop(two);
    let db = one;
    let mut conn = db.get().unwrap();
    assert_eq!(deferred_indexes::pending(&mut conn).unwrap(), 0);
    assert_eq!(indexing(&mut conn), migrated);
    // And the server still serves its case list.
    let token = server.admin_token();
    let page: Value = server.get_as(&token, "/api/v1/cases?limit=5").json().unwrap();
    assert!(page["items"].is_array(), "{page}");
}
