//! Stopping the database work of a request that is gone.
//!
//! A request's deadline ([`crate::request_deadline`]) or a client that hangs up drops the
//! handler's future, and with it the future awaiting [`super::Db::run`]. The work itself runs on
//! the blocking thread pool, where a dropped future cannot reach it: it used to run to its end,
//! holding its pooled connection, so a retried expensive call (a city's year of statistics)
//! piled up copies of the same work and of their memory. Now `Db::run` keeps a [`StopOnDrop`]
//! and gives the work its [`Work`] half. Dropping the first before the work has ended raises the
//! work's flag, and then:
//!
//! - work that has not started (waiting for a blocking thread or a connection) never starts;
//! - a running SQLite statement ends at its next progress callback with SQLITE_INTERRUPT: every
//!   pooled SQLite connection gets a progress handler when it is opened ([`open_sqlite`]), which
//!   reads the flag of the work running on its thread;
//! - a running PostgreSQL statement is cancelled with `pg_cancel_backend` from a connection of
//!   its own. diesel keeps libpq's cancel handle to itself, so each pooled connection is given a
//!   unique `application_name` when it is opened ([`open_postgres`]), kept in the one slot
//!   diesel has for an object of ours (the connection's instrumentation), and the cancel goes to
//!   the backend that carries that name (the same backend, or behind PgBouncer the one serving
//!   the connection at that moment, which PgBouncer gives the client's name). The server ignores
//!   a cancel that arrives between two statements, so it is sent again until the work ends; and
//!   each is sent while the work cannot end, so a late cancel never hits the next user of the
//!   connection (once signalled, the backend discards it before it reads another command);
//! - Rust code between queries (a loop reading pages) asks [`check_cancelled`].
//!
//! A stopped query's error reads as [`StoreError::Cancelled`] (see `From<DieselError>`), and
//! nobody awaits it: the client already has its 408, or is gone. A write transaction stopped
//! half-way rolls back whole, as on any error, and what committed before stays (a retry finds
//! it by its `Idempotency-Key`). The connection goes back to the pool in working order.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once, PoisonError};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::result::ConnectionError;
use diesel::sql_types::Text;
use diesel::{Connection, ConnectionResult, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use libsqlite3_sys as ffi;

use super::{DbConnection, StoreError, StoreResult};

/// How long a PostgreSQL cancel waits for the work to end before it is sent again.
const CANCEL_AGAIN_AFTER: Duration = Duration::from_millis(200);

/// About how many SQLite virtual-machine instructions run between two looks at the flag (each
/// look is a thread-local read).
const SQLITE_STEPS_PER_LOOK: c_int = 1000;

/// What the future awaiting the work and the blocking thread running it share.
#[derive(Default)]
struct Shared {
    /// Raised when the future is dropped before the work has ended.
    stopped: AtomicBool,
    state: Mutex<State>,
    /// Rung when the work ends.
    ended: Condvar,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Waiting,
    /// `pg_name` is the `application_name` of the work's PostgreSQL connection.
    Running {
        pg_name: Option<String>,
    },
    Ended,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The two halves for one call of `Db::run`. `cancel_url` is the PostgreSQL URL to cancel from
/// (`None` on SQLite, where the flag is enough).
pub(super) fn pair(cancel_url: Option<Arc<str>>) -> (StopOnDrop, Work) {
    let shared = Arc::new(Shared::default());
    (StopOnDrop { shared: Arc::clone(&shared), cancel_url }, Work { shared })
}

/// Kept by the future awaiting the work: dropping it before the work has ended stops the work.
pub(super) struct StopOnDrop {
    shared: Arc<Shared>,
    cancel_url: Option<Arc<str>>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let state = lock(&self.shared.state);
        if matches!(*state, State::Ended) {
            return;
        }
        self.shared.stopped.store(true, Ordering::SeqCst);
        let (State::Running { pg_name: Some(name) }, Some(url)) = (&*state, &self.cancel_url) else {
            return;
        };
        let (name, url) = (name.clone(), Arc::clone(url));
        drop(state);
        let shared = Arc::clone(&self.shared);
        // Connecting and cancelling block: not on the async worker that dropped the future.
        let spawned = std::thread::Builder::new()
            .name("pg-cancel".to_owned())
            .spawn(move || cancel_postgres(&shared, &url, &name));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start a thread to cancel a stopped request's query");
        }
    }
}

/// Cancels the query of the backend named `name` until the work on it has ended.
fn cancel_postgres(shared: &Shared, url: &str, name: &str) {
    let mut conn = match PgConnection::establish(url) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "cannot connect to cancel a stopped request's query; it runs to its end");
            return;
        }
    };
    let mut state = lock(&shared.state);
    while matches!(*state, State::Running { .. }) {
        // Sent while holding the state: the work cannot end (and its connection cannot go back
        // to the pool) before the server has the signal.
        let sent = diesel::sql_query(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
        )
        .bind::<Text, _>(name)
        .execute(&mut conn);
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot cancel a stopped request's query; it runs to its end");
            return;
        }
        state =
            shared.ended.wait_timeout(state, CANCEL_AGAIN_AFTER).unwrap_or_else(PoisonError::into_inner).0;
    }
}

/// Given to the blocking closure that runs the work.
pub(super) struct Work {
    shared: Arc<Shared>,
}

impl Work {
    /// Whether the future awaiting this work is gone.
    pub(super) fn stopped(&self) -> bool {
        self.shared.stopped.load(Ordering::SeqCst)
    }

    /// Marks the work as running on `conn` on this thread until the answer is dropped, or
    /// refuses with [`StoreError::Cancelled`] when its future is already gone.
    pub(super) fn begin(&self, conn: &mut DbConnection) -> StoreResult<Running<'_>> {
        let pg_name = match conn {
            DbConnection::Pg(pg) => pg.instrumentation().downcast_ref::<CancelName>().map(|n| n.0.clone()),
            DbConnection::Sqlite(_) => None,
        };
        let mut state = lock(&self.shared.state);
        if self.stopped() {
            return Err(StoreError::Cancelled);
        }
        *state = State::Running { pg_name };
        let outer = CURRENT.with(|current| current.replace(Some(Arc::clone(&self.shared))));
        Ok(Running { shared: &self.shared, outer })
    }
}

/// The work is running on this thread; dropped when it has ended, before its connection goes
/// back to the pool.
pub(super) struct Running<'a> {
    shared: &'a Shared,
    outer: Option<Arc<Shared>>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        CURRENT.with(|current| current.replace(self.outer.take()));
        // Waits while a cancel is being sent.
        *lock(&self.shared.state) = State::Ended;
        self.shared.ended.notify_all();
    }
}

thread_local! {
    /// The work running on this thread, if it runs under `Db::run`.
    static CURRENT: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
    /// Set while this thread opens a connection for the pool (see [`open_sqlite`]).
    static OPENING_FOR_POOL: Cell<bool> = const { Cell::new(false) };
}

/// Whether the request whose work runs on this thread is gone.
pub fn cancelled() -> bool {
    // `try_`: this is also read from SQLite's callback, where a panic must not happen.
    CURRENT
        .try_with(|current| {
            current
                .try_borrow()
                .is_ok_and(|work| work.as_ref().is_some_and(|w| w.stopped.load(Ordering::Relaxed)))
        })
        .unwrap_or(false)
}

/// `Err(StoreError::Cancelled)` when the request whose work runs on this thread is gone: for
/// Rust loops between queries (a running query is stopped by the database itself).
pub fn check_cancelled() -> StoreResult<()> {
    if cancelled() { Err(StoreError::Cancelled) } else { Ok(()) }
}

/// Opens a SQLite connection for the pool, with the progress handler that stops its statements
/// when the work on their thread is cancelled. diesel does not hand out the raw connection, so
/// the handler is installed by an automatic extension, which SQLite calls inside the open on this
/// thread; it leaves connections opened elsewhere in the process alone.
#[allow(unsafe_code)]
pub(super) fn open_sqlite(path: &str) -> ConnectionResult<SqliteConnection> {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: `on_open` has the signature SQLite calls an automatic extension with, and
        // stays valid for the life of the process.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(
                rc,
                "cannot register SQLite's progress handler; a stopped request's query runs to its end"
            );
        }
    });
    OPENING_FOR_POOL.with(|opening| opening.set(true));
    let conn = SqliteConnection::establish(path);
    OPENING_FOR_POOL.with(|opening| opening.set(false));
    conn
}

#[allow(unsafe_code)]
extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    if OPENING_FOR_POOL.try_with(Cell::get).unwrap_or(false) {
        // SAFETY: `db` is the connection being opened, handed to us by SQLite; the handler takes
        // no argument and only reads this thread's flag, never touching the connection.
        unsafe {
            ffi::sqlite3_progress_handler(db, SQLITE_STEPS_PER_LOOK, Some(on_progress), std::ptr::null_mut())
        };
    }
    ffi::SQLITE_OK
}

/// Non-zero (interrupt) when the work on this thread is cancelled.
extern "C" fn on_progress(_: *mut c_void) -> c_int {
    c_int::from(cancelled())
}

/// The unique `application_name` of a PostgreSQL connection, kept as its instrumentation.
struct CancelName(String);

impl Instrumentation for CancelName {
    fn on_connection_event(&mut self, _: InstrumentationEvent<'_>) {}
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Opens a PostgreSQL connection for the pool with an `application_name` of its own (a random
/// mark after the name the URL gave, if any, within PostgreSQL's 63 bytes), which a cancel finds
/// it by.
pub(super) fn open_postgres(url: &str) -> ConnectionResult<PgConnection> {
    let mut conn = PgConnection::establish(url)?;
    let mark = format!("gridline#{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let named: Named = diesel::sql_query(
        "SELECT set_config('application_name', \
         concat_ws(' ', nullif(left(current_setting('application_name'), 40), ''), $1), false) AS name",
    )
    .bind::<Text, _>(mark)
    .get_result(&mut conn)
    .map_err(ConnectionError::CouldntSetupConfiguration)?;
    conn.set_instrumentation(CancelName(named.name));
    Ok(conn)
}
