//! Writing generated cases straight into the store (`gridline seed`, for scale work): a batch of
//! cases with their whole histories and their summaries in one transaction, without the
//! per-event work of intake, on either backend.
//!
//! A batch is made ready in memory first ([`prepare_batch`]): its statistics' facts and
//! roll-up rows are derived from its events (its cases are new: nothing of theirs is stored to
//! read back), the roll-ups' coarse rows summed over many batches ([`SeedRollups`]). The seed
//! prepares the next batch on another thread while this one is written ([`write_batch`]): the
//! batch holds the event writers' lock (as every event insert does), numbers its events after
//! the highest sequence number stored, inserts cases and events with multi-row statements, and
//! adds the batch's reports to the per-day summaries ([`super::summaries::count_many`], which
//! reads nothing but the new cases by their ids, so it needs none of the indexes a load into
//! an empty database builds at its end): the summaries agree with the events after every
//! batch, as every writer keeps them.

use std::collections::HashMap;

use diesel::prelude::*;

use super::cases::CaseRow;
use super::events::{self, EventRow};
use super::rollups::{CaseKey, SeedBatchRows, SeedRollups};
use super::schema::{case_events, cases};
use super::stat_facts::Fact;
use super::{DbConnection, StoreResult, stat_facts, summaries};

/// A case with the workflow columns its history left it with.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = cases)]
#[diesel(treat_none_as_default_value = false)]
pub struct SeededCase {
    #[diesel(embed)]
    pub row: CaseRow,
    pub deadline: Option<chrono::NaiveDateTime>,
    // Inserted by value like the embedded row (whose typed columns convert on the way in):
    // a `serialize_as` on any field keeps diesel from deriving the by-reference form.
    #[diesel(serialize_as = bool)]
    pub overdue: bool,
    #[diesel(serialize_as = super::typed::NullableText)]
    pub merged_into: Option<gridline_core::codes::CaseId>,
    pub rating: Option<i32>,
}

/// SQLite's page cache for a seeding connection, in KiB (its default is 2 MiB). A batch touches
/// the pages of every index and roll-up it writes: with the default, SQLite spills dirty pages
/// to the WAL mid-transaction and reads them back, which a profile of a 100,000-case seed put
/// at a sixth of its time.
const SEED_SQLITE_CACHE_KIB: u32 = 262_144;

/// Sets a seeding connection up for large transactions: on SQLite, a page cache that holds a
/// batch's pages and statement journals kept in memory instead of temporary files. The
/// server's own connections keep SQLite's defaults, since their transactions are small.
pub fn prepare_connection(conn: &mut DbConnection) -> StoreResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Sqlite(conn) = conn {
        conn.batch_execute(&format!(
            "PRAGMA cache_size = -{SEED_SQLITE_CACHE_KIB}; PRAGMA temp_store = MEMORY;"
        ))?;
    }
    Ok(())
}

/// Leaves a freshly seeded database as a lived-in one would be: on PostgreSQL, `VACUUM
/// (ANALYZE)`. A seed upserts the roll-ups batch after batch, which leaves millions of dead row
/// versions and pages autovacuum has not yet marked all-visible: until it has, the planner
/// reads the year's roll-ups by a sequential scan of the whole table instead of an index-only
/// scan of one level (a million cases: 634 ms against 213 ms). A year of real intake leaves
/// its old pages vacuumed, so the benchmarks measure that state. SQLite keeps no such map.
pub fn settle(conn: &mut DbConnection) -> StoreResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Pg(conn) = conn {
        conn.batch_execute("VACUUM (ANALYZE)")?;
    }
    Ok(())
}

/// Rows per multi-row INSERT: under SQLite's 32,766 bound parameters for the widest row (the
/// case, 33 columns).
const ROWS_PER_STATEMENT: usize = 900;

/// One batch of a seed, made ready without the database ([`prepare_batch`]), so that the next
/// one is generated and counted while this one is written ([`write_batch`]).
#[derive(Debug)]
pub struct PreparedBatch {
    cases: Vec<SeededCase>,
    /// By case, in the order they happened; numbered from 0 in that order until written.
    events: Vec<EventRow>,
    /// The statistics' facts of the events, numbered as they are.
    facts: Vec<Fact>,
    /// The cases' roll-up rows (`None` while the roll-ups are off).
    rollups: Option<SeedBatchRows>,
}

impl PreparedBatch {
    pub fn cases(&self) -> usize {
        self.cases.len()
    }

    pub fn events(&self) -> usize {
        self.events.len()
    }
}

/// Derives what a batch of new `cases` and their `events` (by case, in the order they
/// happened) add to the statistics' facts and roll-ups (`rollups`), in memory.
pub fn prepare_batch(
    rollups: Option<&mut SeedRollups>,
    cases: Vec<SeededCase>,
    mut events: Vec<EventRow>,
) -> StoreResult<PreparedBatch> {
    // The keys the cases' roll-up rows are counted under, as `rollups::follow` would read them.
    let keys = cases
        .iter()
        .map(|case| Ok((case.row.id, CaseKey::of_case(&case.row)?)))
        .collect::<QueryResult<HashMap<_, _>>>()?;
    // Facts and roll-ups read only the events' order; the stored numbers come at the write.
    for (seq, event) in (0..).zip(events.iter_mut()) {
        event.seq = seq;
    }
    let facts = stat_facts::derive_new_cases(&events);
    let rollups = rollups.map(|rollups| rollups.count(&keys, &facts));
    Ok(PreparedBatch { cases, events, facts, rollups })
}

/// Stores a prepared batch in one transaction: its cases and events, numbered after the
/// highest sequence number stored, its reports added to the per-day summaries, its facts and
/// its roll-up rows.
pub fn write_batch(conn: &mut DbConnection, batch: PreparedBatch) -> StoreResult<()> {
    let PreparedBatch { mut cases, mut events, mut facts, rollups } = batch;
    let written = cases.len();
    // Where a batch's time goes, for scale work (`GRIDLINE_LOG=gridline_server::store::seed=debug`).
    let mut phases = Phases::start();
    super::write_transaction(conn, |conn| {
        summaries::hold_event_writers(conn)?;
        while !cases.is_empty() {
            let rest = cases.split_off(cases.len().min(ROWS_PER_STATEMENT));
            crate::batch_insert!(conn, cases::table, std::mem::replace(&mut cases, rest))?;
        }
        phases.lap("cases");
        let first = events::next_seq(conn)?;
        events.iter_mut().for_each(|event| event.seq += first);
        facts.iter_mut().for_each(|fact| fact.seq += first);
        with_generic_plans(conn, |conn| {
            for chunk in events.chunks(ROWS_PER_STATEMENT) {
                crate::batch_insert!(conn, case_events::table, chunk.to_vec())?;
            }
            Ok(())
        })?;
        phases.lap("events");
        summaries::count_many(conn, &events)?;
        phases.lap("summaries");
        stat_facts::add_new_cases(conn, &facts)?;
        phases.lap("facts");
        if let Some(rows) = &rollups {
            SeedRollups::write(conn, rows)?;
        }
        phases.lap("rollups");
        Ok::<_, super::StoreError>(())
    })?;
    phases.lap("commit");
    let held = rollups.as_ref().map_or(0, |rows| rows.held);
    tracing::debug!(cases = written, phases = %phases, held, "seed batch written");
    Ok(())
}

/// Runs `work` with PostgreSQL's plan cache set to generic plans, until the transaction ends or
/// `work` is done. Every event row checks its foreign key to `cases`, a query PostgreSQL keeps
/// prepared; against the partitioned `cases` its generic plan (pruned at run time) looks dearer
/// than a plan for the one id, so by default every row's check is planned again, over every
/// partition. A 100,000-case seed spent about 40 % of the events' time planning those checks
/// (`docs/benchmarks.md`, "The plans of the events' foreign key checks").
fn with_generic_plans(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> StoreResult<()>,
) -> StoreResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Pg(pg) = conn {
        pg.batch_execute("SET LOCAL plan_cache_mode = force_generic_plan")?;
    }
    work(conn)?;
    if let DbConnection::Pg(pg) = conn {
        pg.batch_execute("SET LOCAL plan_cache_mode = auto")?;
    }
    Ok(())
}

/// The milliseconds of each phase of a batch, in order.
struct Phases {
    last: std::time::Instant,
    laps: Vec<(&'static str, u128)>,
}

impl Phases {
    fn start() -> Self {
        Phases { last: std::time::Instant::now(), laps: Vec::new() }
    }

    fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((name, now.duration_since(self.last).as_millis()));
        self.last = now;
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (name, ms)) in self.laps.iter().enumerate() {
            write!(f, "{}{name} {ms} ms", if i == 0 { "" } else { ", " })?;
        }
        Ok(())
    }
}
