//! Database work whose request is gone stops, on both backends (issue 21: three statistics
//! calls past the deadline went on side by side and the server stood at 11 GB).
//!
//! - A dropped `Db::run` interrupts its running statement (a recursive count to a trillion on
//!   SQLite, `pg_sleep` for an hour on PostgreSQL), which answers `StoreError::Cancelled`.
//! - A dropped `Db::run` looping between short queries stops at `check_cancelled`.
//! - A dropped `Db::run` still waiting for a connection never runs its work.
//! - A step past the request deadline (1 s) whose transaction would run for an hour (a trigger
//!   on the event table) is answered 408, leaves no work holding a connection, and wrote
//!   nothing; the same step succeeds once the trigger is gone.
//!
//! Each checks that the pool's connection came back and works; the direct ones that it is the
//! same connection (a temporary table made before is still there). The waits are bounds on
//! "never", not speed figures: without the stop, the work runs for an hour and the wait fails.

use crate::common;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Backend, FreshPgDatabase, TestServer, demo_cells, point_in};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use gridline_server::store::schema::{case_events, cases};
use gridline_server::store::{Db, DbConnection, StoreError, check_cancelled};
use serde_json::json;
use tokio::sync::oneshot;

/// The bound on something that must happen; without the stop it would take an hour.
const NEVER: Duration = Duration::from_secs(60);

/// Runs `test` on a runtime of its own. A runtime waits for its blocking tasks when dropped, so
/// one whose work was not stopped would hold the test for an hour: it is shut down without
/// waiting, and the test fails instead of hanging.
fn on_runtime(test: impl Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(test)));
    runtime.shutdown_background();
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure);
    }
}

/// A pool on a fresh database of its own.
struct FreshDb {
    db: Db,
    _dir: tempfile::TempDir,
    _pg: Option<FreshPgDatabase>,
}

fn fresh_db(backend: Backend, pool_size: u32) -> FreshDb {
    let dir = tempfile::tempdir().unwrap();
    let pg = (backend == Backend::Postgres).then(FreshPgDatabase::create);
    let url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", dir.path().join("gridline.sqlite3").display()),
    };
    FreshDb { db: Db::connect(&url, pool_size, NEVER).unwrap(), _dir: dir, _pg: pg }
}

/// A statement that runs for an hour or more unless it is stopped.
fn long_statement(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000) \
             SELECT count(*) FROM c"
        }
        Backend::Postgres => "SELECT pg_sleep(3600)",
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Marks the pool's one connection with a temporary table (per connection on both backends).
fn mark_connection(conn: &mut DbConnection) -> Result<(), StoreError> {
    diesel::sql_query("CREATE TEMPORARY TABLE this_connection (x BIGINT)").execute(conn)?;
    Ok(())
}

/// Whether `conn` is the connection [`mark_connection`] marked, and answers.
fn is_marked(conn: &mut DbConnection) -> Result<bool, StoreError> {
    let found: Count = diesel::sql_query("SELECT count(*) AS n FROM this_connection").get_result(conn)?;
    Ok(found.n == 0)
}

/// Starts `work` in `db.run`, waits until the work has begun (it calls the sender it is
/// given first), then drops the future; the work's own result, sent when it ends.
async fn start_then_drop<F>(db: &Db, work: F) -> Result<(), StoreError>
where
    F: FnOnce(&mut DbConnection) -> Result<(), StoreError> + Send + 'static,
{
    let (began, has_begun) = oneshot::channel();
    let (ended, has_ended) = oneshot::channel();
    let mut running = Box::pin(db.run(move |conn| {
        let _ = began.send(());
        let result = work(conn);
        let _ = ended.send(result);
        Ok(())
    }));
    tokio::select! {
        finished = &mut running => panic!("the work finished before it was dropped: {finished:?}"),
        begun = has_begun => begun.unwrap(),
    }
    drop(running);
    let ended = tokio::time::timeout(NEVER, has_ended).await;
    ended.expect("the dropped work did not stop").unwrap()
}

fn a_dropped_run_stops_its_long_statement(backend: Backend) {
    let fresh = fresh_db(backend, 1);
    let db = fresh.db.clone();
    on_runtime(async move {
        db.run(mark_connection).await.unwrap();
        let sql = long_statement(backend);
        let stopped = start_then_drop(&db, move |conn| {
            diesel::sql_query(sql).execute(conn)?;
            Ok(())
        })
        .await;
        assert!(matches!(stopped, Err(StoreError::Cancelled)), "{stopped:?}");
        // The pool's one connection is back, the same one, and answers.
        assert!(db.run(is_marked).await.unwrap());
    });
}

fn a_dropped_run_stops_its_loop_between_queries(backend: Backend) {
    let fresh = fresh_db(backend, 1);
    let db = fresh.db.clone();
    on_runtime(async move {
        db.run(mark_connection).await.unwrap();
        let stopped = start_then_drop(&db, |conn| {
            loop {
                check_cancelled()?;
                diesel::sql_query("SELECT 1").execute(conn)?;
            }
        })
        .await;
        assert!(matches!(stopped, Err(StoreError::Cancelled)), "{stopped:?}");
        assert!(db.run(is_marked).await.unwrap());
    });
}

/// Tells when it is dropped: the work holding it is done with, run or not.
struct DroppedWith(Option<oneshot::Sender<()>>);

impl Drop for DroppedWith {
    fn drop(&mut self) {
        if let Some(tell) = self.0.take() {
            let _ = tell.send(());
        }
    }
}

fn a_dropped_run_waiting_for_a_connection_never_runs(backend: Backend) {
    let fresh = fresh_db(backend, 1);
    let db = fresh.db.clone();
    on_runtime(async move {
        db.run(mark_connection).await.unwrap();
        // The first work holds the pool's one connection until it is let go.
        let (let_go, wait) = std::sync::mpsc::channel::<()>();
        let (holding, is_holding) = oneshot::channel();
        let holder = db.clone();
        let first = tokio::spawn(async move {
            holder
                .run(move |_conn| {
                    let _ = holding.send(());
                    let _ = wait.recv();
                    Ok(())
                })
                .await
        });
        is_holding.await.unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let (done_with, is_done_with) = oneshot::channel();
        let witness = DroppedWith(Some(done_with));
        let ran_in_work = Arc::clone(&ran);
        let mut second = Box::pin(db.run(move |_conn| {
            let _witness = witness;
            ran_in_work.store(true, Ordering::SeqCst);
            Ok(())
        }));
        // One poll hands the work to the blocking pool, where it waits for the connection.
        tokio::select! {
            biased;
            finished = &mut second => panic!("the second work got the busy connection: {finished:?}"),
            () = std::future::ready(()) => {}
        }
        drop(second);
        let_go.send(()).unwrap();
        first.await.unwrap().unwrap();
        tokio::time::timeout(NEVER, is_done_with).await.expect("the dropped work was never let go").unwrap();
        assert!(!ran.load(Ordering::SeqCst), "the work of a dropped run ran");
        assert!(db.run(is_marked).await.unwrap());
    });
}

/// Makes every event insert on the server's database run for an hour.
fn slow_down_event_inserts(server: &TestServer) {
    match server.backend {
        Backend::Sqlite => {
            let path = server.database_url.strip_prefix("sqlite://").unwrap();
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                "CREATE TABLE slow_rows (x INTEGER);
                 WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000)
                 INSERT INTO slow_rows SELECT x FROM c;
                 CREATE TRIGGER slow_events AFTER INSERT ON case_events BEGIN
                   SELECT count(*) FROM slow_rows a, slow_rows b, slow_rows c, slow_rows d;
                 END;",
            )
            .unwrap();
        }
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&server.database_url).unwrap();
            diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                "CREATE FUNCTION slow_event() RETURNS trigger LANGUAGE plpgsql AS
                   $$ BEGIN PERFORM pg_sleep(3600); RETURN NULL; END $$;
                 CREATE TRIGGER slow_events AFTER INSERT ON case_events
                   FOR EACH ROW EXECUTE FUNCTION slow_event();",
            )
            .unwrap();
        }
    }
}

fn a_step_past_the_deadline_stops_and_writes_nothing(backend: Backend) {
    const POOL: u32 = 2;
    let server = TestServer::start_with(
        backend,
        &[("GRIDLINE_REQUEST_TIMEOUT_SECS", "1"), ("GRIDLINE_DB_POOL_SIZE", &POOL.to_string())],
    );
    let admin = server.admin_token();
    let cells = demo_cells(4);
    server.import_grid(&admin, "310104", &cells);
    let (lat, lon) = point_in(&cells[1]);
    let receipt = server.report_as(
        &server.citizen_token(),
        &json!({
            "category": "E0101",
            "description": "Overflowing rubbish bin next to the bus stop",
            "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 8.0 },
        }),
    );
    let id = receipt["id"].as_str().unwrap().to_owned();
    slow_down_event_inserts(&server);

    let response = server
        .client
        .post(server.url(&format!("/api/v1/cases/{id}/actions")))
        .bearer_auth(&admin)
        .header("if-match", "\"1\"")
        .timeout(NEVER)
        .json(&json!({ "action": "register" }))
        .send()
        .unwrap();
    assert_eq!(response.status(), 408);

    let checked = std::panic::catch_unwind(AssertUnwindSafe(|| {
        // Every connection of the server's pool comes back: no work is left running.
        let mut held: Vec<_> = (0..POOL).map(|_| server.db.get_timeout(NEVER).unwrap()).collect();
        let conn = &mut *held[0];
        let state: String = cases::table.find(&id).select(cases::state).get_result(conn).unwrap();
        let events: i64 =
            case_events::table.filter(case_events::case_id.eq(&id)).count().get_result(conn).unwrap();
        assert_eq!((state.as_str(), events), ("reported", 1), "the stopped step wrote something");
        let drop_trigger = match backend {
            Backend::Sqlite => "DROP TRIGGER slow_events",
            Backend::Postgres => "DROP TRIGGER slow_events ON case_events",
        };
        diesel::sql_query(drop_trigger).execute(conn).unwrap();
    }));
    if let Err(failure) = checked {
        // A server whose work did not stop cannot stop gracefully (its runtime waits for that
        // work): it is left to the end of the test process, and the test fails instead of hanging.
        std::mem::forget(server);
        std::panic::resume_unwind(failure);
    }

    let case = server.step(&admin, &id, &json!({ "action": "register" }));
    assert_eq!(case["state"], "registered");
}

both_backends!(
    a_dropped_run_stops_its_long_statement,
    a_dropped_run_stops_its_loop_between_queries,
    a_dropped_run_waiting_for_a_connection_never_runs,
    a_step_past_the_deadline_stops_and_writes_nothing,
);
