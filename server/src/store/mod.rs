//! The database: one diesel code path over SQLite (embedded default) and PostgreSQL.
//!
//! [`DbConnection`] is a `diesel::MultiConnection`; the backend is chosen by the URL scheme.
//! [`Db`] owns the r2d2 pool and is the only way handlers reach the database: [`Db::run`] moves
//! the blocking diesel call onto actix's blocking thread pool, never an async worker thread, and
//! stops it when the future awaiting it is dropped (a request past its deadline, a client gone:
//! see [`cancel`]). Migrations are embedded per backend and run by [`Db::connect`].

pub mod actors;
pub mod api_keys;
pub mod callbacks;
pub mod cancel;
pub mod case_list;
pub mod case_search;
pub mod cases;
pub mod categories;
pub mod coverage;
pub mod daily_reports;
pub mod deadlines;
pub mod deferred_indexes;
pub mod duplicates;
pub mod emergencies;
pub mod events;
pub mod follow_ups;
pub mod grids;
pub mod hotline_calls;
pub mod intake_writer;
pub mod joint;
pub mod notifications;
pub mod open311;
pub mod partitions;
pub mod photos;
pub mod rollups;
pub mod schema;
pub mod seed;
pub mod sensors;
pub mod stat_facts;
pub mod stats;
pub mod summaries;
pub mod tracking;
pub mod typed;
pub mod units;
pub mod warning_scan_claims;
pub mod warning_signals;
pub mod warning_topics;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::result::{ConnectionError, DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection, SqliteConnection};

pub use cancel::check_cancelled;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite writer waits for the lock before giving up, in milliseconds.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// WAL pages after which a commit copies them back into the database file (SQLite's default is
/// 1,000, 4 MB). Under load a commit of the intake writer dirties some 600 pages (a page per
/// report in each index with random keys, and the search's bigram postings), so at 1,000 every
/// second commit checkpointed, and a hot page was written to the file again each time. At
/// 10,000 (a WAL of about 40 MB) intake at saturation went from about 1,800 to 2,100
/// reports/s on an empty city and from 1,430 to 1,710 on a million cases, with 10-20 % fewer
/// bytes written per report (docs/benchmarks.md, "Intake against a million cases"). The
/// postings have since moved into FTS5 segments, a few pages a commit; what a big file's
/// checkpoints still copy is mostly the two indexes of random keys (idempotency key, tracking
/// number). A checkpoint run beside the writer instead was tried and not kept (same document).
const SQLITE_WAL_CHECKPOINT_PAGES: u32 = 10_000;

/// One connection to either database.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file at this path.
    Sqlite(PathBuf),
    Postgres,
}

/// Why the store failed. `NotFound` is never produced from a database error: lookups return
/// `Option` and only an absent row becomes "not found".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {scheme:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl { scheme: String },
    #[error("database unreachable: {0}")]
    Unavailable(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database query failed: {0}")]
    Query(DieselError),
    #[error("cannot prepare the SQLite folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    /// The request whose work this was is gone (its deadline passed or its client left), so
    /// the work was stopped; nobody is waiting for the answer.
    #[error("the database work was stopped: its request is gone")]
    Cancelled,
    #[error("stored data cannot be read back: {0}")]
    Corrupt(String),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        let lost = note_if_connection_lost(&e);
        if cancel::cancelled() {
            // The query was stopped (or failed) after its request went away.
            StoreError::Cancelled
        } else if lost {
            StoreError::Unavailable(e.to_string())
        } else if let DieselError::DeserializationError(cause) = e {
            // A stored value the typed row does not accept (a code core cannot parse). A column
            // parsed as it is read fails as the field (naming the column) with the parse error
            // (naming the text) as its source: both are told.
            let mut why = cause.to_string();
            let mut source = std::error::Error::source(&*cause);
            while let Some(inner) = source {
                why.push_str(&format!(": {inner}"));
                source = inner.source();
            }
            StoreError::Corrupt(why)
        } else {
            StoreError::Query(e)
        }
    }
}

thread_local! {
    /// Set when a query on this thread found its connection gone; read (and cleared) by the pool
    /// when the connection is given back on this thread, so that a dead connection is replaced
    /// rather than handed out again. diesel's own check (`is_broken`) only sees a transaction
    /// whose rollback failed, not a connection that died between transactions (a database
    /// restart while it sat idle in the pool).
    static CONNECTION_LOST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Clears this thread's mark before new work: a mark left by work whose connection went back
/// elsewhere must not condemn the next one.
pub fn forget_lost_connection() {
    CONNECTION_LOST.with(|flag| flag.set(false));
}

/// Whether `e` says the connection itself is gone (closed, unable to send, or a rollback that
/// could not be sent); if so, the connection in use on this thread is marked for replacement.
pub fn note_if_connection_lost(e: &DieselError) -> bool {
    let lost = matches!(
        e,
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | DieselError::BrokenTransactionManager
    );
    if lost {
        CONNECTION_LOST.with(|flag| flag.set(true));
    }
    lost
}

impl From<r2d2::PoolError> for StoreError {
    fn from(e: r2d2::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A multi-row INSERT. diesel's `MultiBackend` has no batch insert, so the statement is run on
/// the concrete connection (inside the caller's transaction, which is that connection's).
#[macro_export]
macro_rules! batch_insert {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::store::DbConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            $crate::store::DbConnection::Pg(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

/// Narrows a boxed query that joins `cases` to the cases a [`case_list::CaseFilter`] admits:
/// `Some(query)`, or `None` when the filter admits nothing (no query needs to run).
///
/// `filter_by_scope!(query, scope, newest_first)` is for a page of cases ordered by
/// `(created_at, id)`: a street or district is then matched on the case's own area code, whose
/// newest-first index serves the page in order. A case's street and district codes are its grid
/// code's prefixes (set together at intake or by a relocate, never changed apart), or for a case
/// in no cell (triage) those of the nearest cell, which the grid range form adds for cases
/// without a grid, so both forms admit exactly the same cases; the grid range stays the default
/// because the per-cell counts read it from a covering `(state, grid_code, overdue)` index.
#[macro_export]
macro_rules! filter_by_scope {
    ($query:expr, $filter:expr) => {
        $crate::filter_by_scope!(@area_code false, $query, $filter)
    };
    ($query:expr, $filter:expr, newest_first) => {
        $crate::filter_by_scope!(@area_code true, $query, $filter)
    };
    (@area_code $by_area_code:literal, $query:expr, $filter:expr) => {{
        use gridline_core::codes::AreaLevel;
        use $crate::store::case_list::CaseFilter;
        use $crate::store::schema::cases;
        match $filter {
            CaseFilter::All => Some($query),
            CaseFilter::GridIn { grids, verifier } => Some(
                $query.filter(
                    cases::grid_code
                        .eq_any(grids.iter().map(ToString::to_string).collect::<Vec<_>>())
                        .or(cases::verifier_id.eq(verifier.clone())),
                ),
            ),
            CaseFilter::GridRange { area, .. } if $by_area_code && area.level() == AreaLevel::Street => {
                Some($query.filter(cases::street_code.eq(area.to_string())))
            }
            CaseFilter::GridRange { area, .. } if $by_area_code && area.level() == AreaLevel::District => {
                Some($query.filter(cases::district_code.eq(area.to_string())))
            }
            // A case in no cell (triage) belongs to the area of the street nearest to it.
            CaseFilter::GridRange { area, first, last } if area.level() == AreaLevel::District => {
                Some($query.filter(cases::grid_code.between(first.to_string(), last.to_string()).or(
                    cases::grid_code.is_null().and(cases::district_code.eq(area.to_string())),
                )))
            }
            CaseFilter::GridRange { area, first, last } => {
                Some($query.filter(cases::grid_code.between(first.to_string(), last.to_string()).or(
                    cases::grid_code.is_null().and(cases::street_code.eq(area.to_string())),
                )))
            }
            CaseFilter::HandlingUnit(unit) => Some($query.filter(cases::handling_unit.eq(unit.clone()))),
            CaseFilter::ReportedBy(user) => Some($query.filter(cases::reporter_id.eq(user.clone()))),
            CaseFilter::Nothing => None,
        }
    }};
}

/// Runs `f` in a transaction that may write. Every transaction that writes goes through here.
///
/// On SQLite it begins with `BEGIN IMMEDIATE`, taking the writer lock before the first read: a
/// deferred transaction that reads and then writes is refused at once with "database is locked"
/// when another writer committed in between (the busy timeout cannot help it, its snapshot is
/// stale), while an immediate one waits up to the busy timeout for the lock. Inside a transaction
/// already open it is a savepoint, as `Connection::transaction` is. PostgreSQL needs nothing
/// special: its row locks and unique checks do the same work.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    let depth = AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?;
    if depth.is_some() {
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match <DbConnection as Connection>::TransactionManager::rollback_transaction(conn) {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Runs `f`, which only reads, in one snapshot of the database, for reads of several statements
/// that must agree with each other (the statistics' roll-ups and their deltas, which a fold
/// moves between two reads): a repeatable-read, read-only transaction on PostgreSQL; on SQLite
/// a deferred one, which reads from the snapshot its first read took.
pub fn read_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    conn.transaction(|conn| {
        if matches!(conn, DbConnection::Pg(_)) {
            diesel::RunQueryDsl::execute(
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
                conn,
            )?;
        }
        f(conn)
    })
}

/// True when `e` is a violation of a unique constraint (a duplicate key).
pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

impl Backend {
    /// The backend a database URL names; `sqlite://relative/path` and `sqlite:///abs/path` both work.
    pub fn from_url(url: &str) -> StoreResult<Self> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Backend::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres);
        }
        let scheme = url.split("://").next().unwrap_or_default().chars().take(20).collect();
        Err(StoreError::UnsupportedUrl { scheme })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Creates `dir` and any missing parents readable by this user only (0700): the database, the
/// photos and the development secret hold personal data. Folders that exist are left as the
/// operator made them.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates the SQLite file readable by this user only (0600) before SQLite opens it; SQLite
/// gives its `-wal` and `-shm` files the database file's permissions. An existing file is left
/// as it is.
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens connections of the backend the URL names (the derived `establish` would try SQLite
/// first and happily create a file called "postgres://...").
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    url: String,
    /// This node's name on PostgreSQL, set on each of its connections as `gridline.node`: the
    /// payload of every notification it sends ([`events::CHANNEL`]), by which its own listener
    /// knows the notifications it need not relay.
    node: Arc<str>,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.backend {
            Backend::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| {
                    r2d2::Error::ConnectionError(ConnectionError::InvalidConnectionUrl(
                        "path is not UTF-8".into(),
                    ))
                })?;
                let mut conn = cancel::open_sqlite(path).map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; busy_timeout makes writers queue
                // instead of failing with SQLITE_BUSY. `synchronous = FULL` syncs the WAL at
                // every commit, so an acknowledged report survives a power cut or an OS crash,
                // not only a crash of the process; the intake writer's group commit shares one
                // sync among the reports of a batch.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = {SQLITE_WAL_CHECKPOINT_PAGES};"
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            Backend::Postgres => {
                let mut conn = cancel::open_postgres(&self.url).map_err(r2d2::Error::ConnectionError)?;
                // No just-in-time compilation: PostgreSQL compiles a query whose estimated cost
                // is high, which pays on long scans but not on a list that stops after a page
                // however large its estimate (a street's search at a million cases: 270 ms of
                // compiling for 31 ms of work).
                conn.batch_execute(&format!("SET jit = off; SET gridline.node = '{}'", self.node))
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Pg(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        let lost = CONNECTION_LOST.with(|flag| flag.replace(false));
        lost || conn.is_broken()
    }
}

/// The connection pool, cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// Rung after work that inserted events (see [`crate::live`]).
    events: events::Bell,
    /// Rung when early warning's signals changed (see [`crate::live::signals`]).
    signals: events::Bell,
    /// Stores new reports, several to a transaction under load ([`intake_writer`]).
    intake: std::sync::Arc<intake_writer::IntakeWriter>,
    /// On PostgreSQL, the URL a stopped work's query is cancelled from ([`cancel`]).
    cancel_url: Option<Arc<str>>,
    /// The name this node's connections sign their notifications with ([`Manager`]).
    node: Arc<str>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend.name()).finish_non_exhaustive()
    }
}

impl Db {
    /// Opens the pool and runs pending migrations. Blocking: call before the server starts
    /// (or inside `web::block`).
    pub fn connect(url: &str, pool_size: u32, timeout: Duration) -> StoreResult<Self> {
        let backend = Backend::from_url(url)?;
        if let Backend::Sqlite(path) = &backend {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_private_dir(parent)
                    .map_err(|source| StoreError::Folder { path: parent.to_owned(), source })?;
            }
            create_private_file(path).map_err(|source| StoreError::Folder { path: path.clone(), source })?;
        }
        let node: Arc<str> = Arc::from(uuid::Uuid::now_v7().simple().to_string());
        let manager = Manager { backend: backend.clone(), url: url.to_owned(), node: node.clone() };
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            // No `SELECT 1` before every checkout (a round trip per request): a connection that
            // died is found by its first query, marked broken and replaced.
            .test_on_check_out(false)
            .connection_timeout(timeout)
            .build(manager)?;
        let events = events::Bell::new();
        let intake = std::sync::Arc::new(intake_writer::IntakeWriter::start(pool.clone(), events.clone())?);
        let cancel_url = (backend == Backend::Postgres).then(|| Arc::from(url));
        let db = Db { pool, backend, events, signals: events::Bell::new(), intake, cancel_url, node };
        db.migrate()?;
        Ok(db)
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The name this node's PostgreSQL connections sign their notifications with: its listener
    /// passes over those, since this node rang its own bells when the work committed.
    pub fn node(&self) -> &Arc<str> {
        &self.node
    }

    /// Rung whenever work run through [`Db::run`] on this node has inserted events.
    pub fn events(&self) -> &events::Bell {
        &self.events
    }

    /// Rung when early warning's signals were raised, grown or stepped on: by this node once its
    /// write committed, and on PostgreSQL by the listener for every node's
    /// ([`warning_signals::CHANNEL`]). A case event never rings it, so a live stream reads the
    /// signals only when they changed.
    pub fn signals(&self) -> &events::Bell {
        &self.signals
    }

    /// Stores a new report (case, photo links, first event) through this node's intake writer,
    /// and answers once it is committed.
    pub async fn insert_report(
        &self,
        case: cases::CaseRow,
        photo_ids: Vec<String>,
        event: events::EventRow,
    ) -> StoreResult<cases::InsertOutcome> {
        self.intake.insert(case, photo_ids, event).await
    }

    /// A pooled connection, for blocking code that is already off the async workers.
    pub fn get(&self) -> StoreResult<PooledConnection<Manager>> {
        Ok(self.pool.get()?)
    }

    /// A pooled connection, waiting at most `timeout` for one to come free.
    pub fn get_timeout(&self, timeout: Duration) -> StoreResult<PooledConnection<Manager>> {
        Ok(self.pool.get_timeout(timeout)?)
    }

    /// Runs only the migrations older than `version` (a migration folder's date prefix, such as
    /// `2026-12-03-150000`) on `conn`: the database an older version left, for upgrade tests.
    pub fn migrate_before(conn: &mut DbConnection, version: &str) -> StoreResult<()> {
        fn run<B: diesel::backend::Backend>(
            harness: &mut impl MigrationHarness<B>,
            source: EmbeddedMigrations,
            version: &str,
        ) -> diesel::migration::Result<()> {
            let digits = |name: &str| -> String {
                name.split('_').next().unwrap_or_default().chars().filter(char::is_ascii_digit).collect()
            };
            for migration in harness.pending_migrations(source)? {
                if digits(&migration.name().to_string()) < digits(version) {
                    harness.run_migration(&*migration)?;
                }
            }
            Ok(())
        }
        let result = match conn {
            DbConnection::Sqlite(c) => run(c, SQLITE_MIGRATIONS, version),
            DbConnection::Pg(c) => run(c, POSTGRES_MIGRATIONS, version),
        };
        result.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Runs pending migrations, then builds any index a bulk load dropped and did not live to
    /// build again ([`deferred_indexes`]): nothing is served from a database without them.
    fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.get()?;
        let result = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
            DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        };
        result.map_err(|e| StoreError::Migration(e.to_string()))?;
        let waiting = deferred_indexes::pending(&mut conn)?;
        if waiting > 0 {
            tracing::warn!(waiting, "building the indexes an interrupted bulk load dropped");
            let built = deferred_indexes::restore(&mut conn)?;
            let seconds: f64 = built.iter().map(|(_, took)| took.as_secs_f64()).sum();
            tracing::warn!(built = built.len(), seconds, "indexes built");
        }
        Ok(())
    }

    /// Runs blocking diesel work on the blocking thread pool with a pooled connection.
    ///
    /// Dropping the returned future before it is ready (a request past its deadline, a client
    /// gone) stops the work: it does not start if it has not, its running statement is
    /// interrupted, and its later queries and [`check_cancelled`] answer
    /// [`StoreError::Cancelled`] (see [`cancel`]).
    pub async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let signal = self.events.clone();
        let (_stop_on_drop, stoppable) = cancel::pair(self.cancel_url.clone());
        actix_web::web::block(move || {
            // Work queued behind a busy pool whose request has gone takes no connection.
            if stoppable.stopped() {
                return Err(StoreError::Cancelled);
            }
            let mut conn = pool.get()?;
            forget_lost_connection();
            events::take_written();
            let running = stoppable.begin(&mut conn)?;
            let result = work(&mut conn);
            // Ended before the connection goes back to the pool (see `cancel`).
            drop(running);
            // Rung after the work's transactions have committed, so subscribers find the rows.
            if events::take_written() {
                signal.wake();
            }
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("the blocking database task did not finish: {e}")))?
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        self.run(|conn| conn.ping().map_err(StoreError::from)).await
    }
}
