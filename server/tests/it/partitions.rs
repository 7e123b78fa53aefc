//! The monthly partitions of `cases` and `case_events` on PostgreSQL, and the exactly-once
//! guarantees around them on both backends: a report or a workflow step retried in the next
//! month (its new id in another month's partition) is still one case and one step and replays
//! the first answer; a case and its events are stored in their month's partitions and found by
//! id and by tracking number; the partition job creates months once, also from two connections
//! at once; a row beyond the months created lands in the default partition and is still found;
//! and a database upgraded from before the partitions keeps every row.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::{DateTime, Utc};
use common::{Backend, FreshPgDatabase, OldDatabase, TestServer, demo_cells, point_in};
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use gridline_core::codes::{AreaCode, CaseId};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::store::{Db, DbConnection, partitions};
use serde_json::{Value, json};

/// The migration that partitions the tables.
const PARTITIONS_MIGRATION: &str = "2026-12-13-100000";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

fn pg(conn: &mut DbConnection) -> &mut PgConnection {
    match conn {
        DbConnection::Pg(pg) => pg,
        DbConnection::Sqlite(_) => panic!("a PostgreSQL test on SQLite"),
    }
}

/// The partition that holds the row `id` of `table`.
fn partition_of(conn: &mut DbConnection, table: &str, id: &str) -> String {
    diesel::sql_query(format!("SELECT tableoid::regclass::text AS name FROM {table} WHERE id = $1"))
        .bind::<Text, _>(id)
        .get_result::<Name>(pg(conn))
        .unwrap()
        .name
}

fn count(conn: &mut DbConnection, query: &str) -> i64 {
    match conn {
        DbConnection::Pg(pg) => diesel::sql_query(query).get_result::<Count>(pg).unwrap().count,
        DbConnection::Sqlite(lite) => diesel::sql_query(query).get_result::<Count>(lite).unwrap().count,
    }
}

/// A street with its grid, a citizen and the street's dispatcher, at `now`.
struct Street {
    server: TestServer,
    citizen: String,
    dispatcher: String,
    point: (f64, f64),
}

impl Street {
    fn open(backend: Backend, now: DateTime<Utc>) -> Self {
        let server = TestServer::start(backend);
        server.clock.set(now);
        let admin = server.admin_token();
        let cells = demo_cells(10);
        server.import_grid(&admin, "310104", &cells);
        let street = AreaCode::parse(&cells[2].code.to_string()[..9]).unwrap();
        let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
        let citizen = server.citizen_token();
        Street { point: point_in(&cells[2]), server, citizen, dispatcher }
    }

    fn report(&self, key: &str) -> reqwest::blocking::Response {
        let (lat, lon) = self.point;
        self.server
            .client
            .post(self.server.url("/api/v1/reports"))
            .bearer_auth(&self.citizen)
            .header("idempotency-key", key)
            .json(&json!({
                "category": "E0101",
                "description": "Overflowing rubbish bin at the month's end",
                "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 8.0 },
            }))
            .send()
            .unwrap()
    }

    fn register(&self, id: &str, key: &str) -> reqwest::blocking::Response {
        self.server
            .client
            .post(self.server.url(&format!("/api/v1/cases/{id}/actions")))
            .bearer_auth(&self.dispatcher)
            .header("idempotency-key", key)
            .json(&json!({ "action": "register", "note": "registered at the month's end" }))
            .send()
            .unwrap()
    }
}

/// A report filed in the last second of October and retried in November, then its register step
/// likewise: one case, one step, the first answers replayed. On PostgreSQL the case and its
/// first two events are in October's partitions, the step taken in November in November's, and
/// the case is found by id and by tracking number.
fn a_report_and_a_step_retried_in_the_next_month_are_recorded_once(backend: Backend) {
    let october = at("2026-10-31T23:59:58Z");
    let november = at("2026-11-01T00:00:02Z");
    let street = Street::open(backend, october);
    let server = &street.server;
    partitions::ensure_months(&mut server.db.get().unwrap(), october, november).unwrap();

    let key = uuid::Uuid::now_v7().to_string();
    let first = street.report(&key);
    assert_eq!(first.status(), 201);
    let first: Value = first.json().unwrap();
    let id = first["id"].as_str().unwrap().to_owned();
    server.clock.set(november);
    let again = street.report(&key);
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().unwrap();
    assert_eq!((&again["id"], &again["tracking_number"]), (&first["id"], &first["tracking_number"]));

    server.clock.set(october);
    let step_key = uuid::Uuid::now_v7().to_string();
    let stepped = street.register(&id, &step_key);
    assert_eq!(stepped.status(), 200);
    let stepped: Value = stepped.json().unwrap();
    server.clock.set(november);
    let replayed = street.register(&id, &step_key);
    assert_eq!(replayed.status(), 200);
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    let replayed: Value = replayed.json().unwrap();
    assert_eq!((&replayed["version"], &replayed["state"]), (&stepped["version"], &stepped["state"]));

    let mut conn = server.db.get().unwrap();
    assert_eq!(count(&mut conn, "SELECT count(*) AS count FROM cases"), 1);
    let events = format!("SELECT count(*) AS count FROM case_events WHERE case_id = '{id}'");
    assert_eq!(count(&mut conn, &events), 2, "reported and registered, once each");

    // A step taken now, in November, is stored in November.
    let accepted = server
        .client
        .post(server.url(&format!("/api/v1/cases/{id}/actions")))
        .bearer_auth(&street.dispatcher)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(&json!({ "action": "dispatch", "handling_unit": "sanitation" }))
        .send()
        .unwrap();
    assert_eq!(accepted.status(), 200, "{}", accepted.text().unwrap());

    let number = first["tracking_number"].as_str().unwrap();
    let tracked: Value = server.get(&format!("/api/v1/public/track/{number}")).json().unwrap();
    assert_eq!(tracked["case"]["id"], first["id"]);
    let by_id: Value = server.get_as(&street.dispatcher, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert_eq!(by_id["tracking_number"], first["tracking_number"]);

    if backend == Backend::Postgres {
        assert_eq!(partition_of(&mut conn, "cases", &id), "cases_2026_10");
        #[derive(QueryableByName)]
        struct Placed {
            #[diesel(sql_type = Text)]
            kind: String,
            #[diesel(sql_type = Text)]
            name: String,
        }
        let placed: Vec<Placed> = diesel::sql_query(
            "SELECT kind, tableoid::regclass::text AS name FROM case_events WHERE case_id = $1 ORDER BY seq",
        )
        .bind::<Text, _>(&id)
        .load(pg(&mut conn))
        .unwrap();
        let placed: Vec<(&str, &str)> = placed.iter().map(|p| (p.kind.as_str(), p.name.as_str())).collect();
        assert_eq!(
            placed,
            [
                ("reported", "case_events_2026_10"),
                ("register", "case_events_2026_10"),
                ("dispatch", "case_events_2026_11")
            ]
        );
    }
}

/// A copy of the case `id` as a new row with `changes` (a JSON object of columns) applied.
fn copy_case(conn: &mut DbConnection, id: &str, changes: &Value) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO cases SELECT * FROM json_populate_record(NULL::cases, \
         (SELECT to_jsonb(c) || $2::jsonb FROM cases c WHERE id = $1)::json)",
    )
    .bind::<Text, _>(id)
    .bind::<Text, _>(changes.to_string())
    .execute(pg(conn))
}

/// The key tables refuse a duplicate whichever month's partition the duplicate's own id would
/// go to: a second case with a stored idempotency key or tracking number, a second event with a
/// stored step key.
#[test]
fn the_keys_refuse_duplicates_across_partitions() {
    let street = Street::open(Backend::Postgres, at("2027-03-15T10:00:00Z"));
    let server = &street.server;
    let receipt: Value = street.report(&uuid::Uuid::now_v7().to_string()).json().unwrap();
    let id = receipt["id"].as_str().unwrap();
    let key = uuid::Uuid::now_v7().to_string();
    assert_eq!(street.register(id, &key).status(), 200);

    let mut conn = server.db.get().unwrap();
    let later = CaseId::minted_at(at("2027-04-15T10:00:00Z")).to_string();
    let same_key = json!({ "id": later, "tracking_number": "GL-270415-ZZZZZZ" });
    let same_number = json!({ "id": later, "idempotency_key": uuid::Uuid::now_v7().to_string() });
    for duplicate in [same_key, same_number] {
        let refused = copy_case(&mut conn, id, &duplicate).unwrap_err();
        assert!(gridline_server::store::is_unique_violation(&refused), "{refused}");
    }
    let event = gridline_core::codes::uuid_v7_at(at("2027-05-01T00:00:00Z"));
    let same_step = format!(
        "INSERT INTO case_events SELECT * FROM json_populate_record(NULL::case_events, \
         (SELECT to_jsonb(e) || '{{\"id\": \"{event}\", \"seq\": 999999}}'::jsonb \
          FROM case_events e WHERE case_id = '{id}' AND idempotency_key = '{key}')::json)"
    );
    let refused = diesel::sql_query(&same_step).execute(pg(&mut conn)).unwrap_err();
    assert!(gridline_server::store::is_unique_violation(&refused), "{refused}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS count FROM cases"), 1);
}

/// The job's work creates each month once: run twice, and from two connections at once.
#[test]
fn the_partition_job_creates_the_months_ahead_once() {
    let database = FreshPgDatabase::create();
    let db = Db::connect(&database.url, 4, std::time::Duration::from_secs(10)).unwrap();
    // The migration already made this month's (and the next three's).
    let this_month = Utc::now().format("cases_%Y_%m").to_string();
    let exists = format!("SELECT count(*) AS count FROM pg_class WHERE relname = '{this_month}'");
    assert_eq!(count(&mut db.get().unwrap(), &exists), 1);
    let now = at("2031-05-20T12:00:00Z");
    let first = partitions::ensure_ahead(&mut db.get().unwrap(), now).unwrap();
    assert_eq!(first, 2 * (1 + partitions::MONTHS_AHEAD as i32), "cases and events, four months");
    assert_eq!(partitions::ensure_ahead(&mut db.get().unwrap(), now).unwrap(), 0, "all there already");

    let from = at("2032-01-01T00:00:00Z");
    let to = at("2032-06-30T00:00:00Z");
    let created: Vec<i32> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| partitions::ensure_months(&mut db.get().unwrap(), from, to).unwrap()))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    assert_eq!(created.iter().sum::<i32>(), 12, "six months of two tables, whichever node made them");
    let mut conn = db.get().unwrap();
    let made = "SELECT count(*) AS count FROM pg_class WHERE relispartition AND relkind = 'r' \
                AND (relname LIKE 'cases\\_2032\\_%' OR relname LIKE 'case\\_events\\_2032\\_%')";
    assert_eq!(count(&mut conn, made), 12);
}

/// A case whose id is past every month created (a clock far ahead of the partition job's) is
/// stored in the default partition and found there by id and tracking number; creating its month
/// later leaves it be (PostgreSQL would refuse the month over its row) and creates the others.
#[test]
fn a_row_past_the_months_created_lands_in_the_default_partition_and_is_found() {
    let street = Street::open(Backend::Postgres, at("2027-03-15T10:00:00Z"));
    let server = &street.server;
    let receipt: Value = street.report(&uuid::Uuid::now_v7().to_string()).json().unwrap();
    let mut conn = server.db.get().unwrap();
    let far = CaseId::minted_at(at("2040-06-15T09:00:00Z")).to_string();
    let number = "GL-400615-FAR001";
    let changes = json!({ "id": far, "tracking_number": number, "idempotency_key": uuid::Uuid::now_v7() });
    copy_case(&mut conn, receipt["id"].as_str().unwrap(), &changes).unwrap();
    assert_eq!(partition_of(&mut conn, "cases", &far), "cases_default");

    let created =
        partitions::ensure_months(&mut conn, at("2040-05-01T00:00:00Z"), at("2040-06-01T00:00:00Z"));
    assert_eq!(created.unwrap(), 3, "May's two tables and June's events; June's cases are in the default");
    let june = "SELECT count(*) AS count FROM pg_class WHERE relname = 'cases_2040_06'";
    assert_eq!(count(&mut conn, june), 0);
    assert_eq!(partition_of(&mut conn, "cases", &far), "cases_default");
    let tracked: Value = server.get(&format!("/api/v1/public/track/{number}")).json().unwrap();
    assert_eq!(tracked["case"]["id"], far.as_str());
    let by_id: Value = server.get_as(&street.dispatcher, &format!("/api/v1/cases/{far}")).json().unwrap();
    assert_eq!(by_id["tracking_number"], number);
}

/// Cases and events stored before the partitions (two months, and an id that is not a UUIDv7)
/// are all there after the upgrade, row for row, in their months' partitions, with their keys.
#[test]
fn a_database_from_before_the_partitions_keeps_every_row() {
    let database = OldDatabase::create(Backend::Postgres, PARTITIONS_MIGRATION);
    let ids = [
        CaseId::minted_at(at("2025-03-10T08:00:00Z")).to_string(),
        CaseId::minted_at(at("2025-07-02T08:00:00Z")).to_string(),
        uuid::Uuid::new_v4().to_string(),
    ];
    let rows = "SELECT string_agg(r::text, '|' ORDER BY r.id) AS name FROM";
    let (cases_before, events_before) = {
        let mut old = database.connect();
        for (n, id) in ids.iter().enumerate() {
            diesel::sql_query(format!(
                "INSERT INTO cases (id, tracking_number, idempotency_key, request_sha256, anonymous, \
                 category_code, description, lat, lon, submitted_crs, state, routing_outcome, \
                 geotag_verdict, answers, version, created_at, updated_at, channel) VALUES \
                 ('{id}', 'GL-250310-OLD00{n}', 'old-key-{n}', 'sha', false, 'E0101', 'old case {n}', \
                 31.2, 121.4, 'wgs84', 'registered', 'inside', 'no_photo', '{{}}', 2, \
                 '2025-03-10 08:00:00', '2025-03-10 09:00:00', 'app')"
            ))
            .execute(pg(&mut old))
            .unwrap();
            for (k, (kind, key)) in
                [("reported", "NULL".to_owned()), ("register", format!("'step-{n}'"))].into_iter().enumerate()
            {
                let event = match n {
                    2 => uuid::Uuid::new_v4().to_string(),
                    _ => gridline_core::codes::uuid_v7_at(at("2025-07-31T23:00:00Z")).to_string(),
                };
                diesel::sql_query(format!(
                    "INSERT INTO case_events \
                     (id, case_id, kind, to_state, occurred_at, seq, idempotency_key) \
                     VALUES ('{event}', '{id}', '{kind}', 'registered', '2025-03-10 08:00:00', {}, {key})",
                    n * 2 + k + 1
                ))
                .execute(pg(&mut old))
                .unwrap();
            }
        }
        let cases = diesel::sql_query(format!("{rows} cases r")).get_result::<Name>(pg(&mut old)).unwrap();
        let events =
            diesel::sql_query(format!("{rows} case_events r")).get_result::<Name>(pg(&mut old)).unwrap();
        (cases.name, events.name)
    };

    let server = TestServer::start_with(Backend::Postgres, &[("DATABASE_URL", &database.url)]);
    let mut conn = server.db.get().unwrap();
    let cases_after = diesel::sql_query(format!("{rows} cases r")).get_result::<Name>(pg(&mut conn)).unwrap();
    let events_after =
        diesel::sql_query(format!("{rows} case_events r")).get_result::<Name>(pg(&mut conn)).unwrap();
    assert_eq!(cases_after.name, cases_before, "every case, every column");
    assert_eq!(events_after.name, events_before, "every event, every column");
    assert_eq!(count(&mut conn, "SELECT count(*) AS count FROM cases"), 3);
    assert_eq!(count(&mut conn, "SELECT count(*) AS count FROM case_events"), 6);
    assert_eq!(partition_of(&mut conn, "cases", &ids[0]), "cases_2025_03");
    assert_eq!(partition_of(&mut conn, "cases", &ids[1]), "cases_2025_07");
    assert_eq!(partition_of(&mut conn, "cases", &ids[2]), "cases_default");
    assert_eq!(count(&mut conn, "SELECT count(*) AS count FROM case_keys"), 3);
    assert_eq!(count(&mut conn, "SELECT count(*) AS count FROM step_keys"), 3);
    let months = "SELECT count(*) AS count FROM pg_class WHERE relispartition AND relkind = 'r' \
                  AND relname LIKE 'cases\\_2025\\_%'";
    assert_eq!(count(&mut conn, months), 5, "March to July");
    // The stored keys still decide: the old case is found by its tracking number.
    let found = gridline_server::store::tracking::case_id(&mut conn, "GL-250310-OLD001").unwrap();
    assert_eq!(found.map(|id| id.to_string()), Some(ids[1].clone()));
}

both_backends!(a_report_and_a_step_retried_in_the_next_month_are_recorded_once);
