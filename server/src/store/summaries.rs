//! Per-day summaries of the audit trail (`case_day_summaries`): how many reports came in on
//! each city day for the cases of one grid cell, category and channel. Early warning reads its
//! daily reports here ([`daily_reports`]) instead of every report of its weeks. The workflow's
//! steps are counted by the statistics' roll-ups ([`super::rollups`]), with the days their
//! figures need; these rows counted them too, by kind and unit, until nothing read them (about
//! five and a half rows a case, 2 GB at a million cases, and an upsert in every step).
//!
//! - **Whose days**: the database records the time zone the days are dates of
//!   (`case_summary_zone`), and every writer reads it there, so the rows stay exact in that
//!   zone whichever process writes (the server, the CLI, a test). A server [`adopt`]s its
//!   calendar's zone at start while no row is stored; with rows counted in another zone (those
//!   stored before the zone was recorded count UTC days), the readers read the events instead
//!   ([`usable`]) until [`rebuild`] counts them again in the city's zone.
//! - **Live**: [`count`] and [`count_many`] add each report in the transaction that inserts it
//!   ([`super::events::insert`], [`super::events::insert_many`]), after the case row was written,
//!   so the summaries are exact at any moment: no batch, no lag. The key is read from the case
//!   row (its cell, category and channel); the other events count nothing here.
//! - **Proof**: [`compare`] recomputes the summaries from the report events alone and lists
//!   every difference; [`rebuild`] writes the fresh figures in place of the
//!   stored ones. `gridline summaries rebuild [--check]` runs them. Both work a few hundred cells
//!   at a time (a case is in one cell at any moment, so the cells' keys are disjoint), holding
//!   the lock that orders event writers for each batch, so a running server may keep writing.
//! - **Relocate**: a case's report counts under the cell the case is in now; a `relocate`
//!   moves it to the new cell ([`move_case`]) in the relocation's transaction.
//!
//! A case without a cell (the triage queue) is counted under `''`. The cases of
//! emergency drills are not counted, like in the statistics: a drill's report is counted when it
//! arrives, and taken out again ([`forget_case`]) when the drill's command takes it over.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::Text;
use gridline_core::codes::{CategoryCode, GridCode};
use gridline_core::workflow::Channel;

use super::events::{EventRow, REPORTED};
use super::schema::{case_day_summaries, case_events, case_summary_zone, cases, emergency_cases};
use super::typed::Parsed;
use super::{DbConnection, StoreResult};

/// Cells whose cases are compared or rebuilt per transaction.
const CELLS_PER_BATCH: usize = 200;

/// One summary row's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SummaryKey {
    /// `YYYY-MM-DD`, the date of the events in the recorded zone (the city's).
    pub day: String,
    pub grid_code: String,
    pub category_code: String,
    pub channel: String,
}

/// Summary rows: key → number of reports.
pub type Summaries = BTreeMap<SummaryKey, i64>;

/// The day (in `zone`) an event at `at` (UTC) counts on.
pub fn day_of(at: chrono::NaiveDateTime, zone: Tz) -> String {
    at.and_utc().with_timezone(&zone).date_naive().format("%Y-%m-%d").to_string()
}

/// What the database records about the zone of its summaries' days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub zone: Tz,
    /// False while a rebuild into this zone runs (the rows are a mix until it ends).
    pub complete: bool,
}

/// The zone the summaries' days are counted in. Without a record (the migration writes one),
/// UTC, as the rows were first counted, and not complete.
pub fn recorded(conn: &mut DbConnection) -> QueryResult<Recorded> {
    let row: Option<(String, bool)> = case_summary_zone::table
        .select((case_summary_zone::timezone, case_summary_zone::complete))
        .first(conn)
        .optional()?;
    let Some((name, complete)) = row else { return Ok(Recorded { zone: Tz::UTC, complete: false }) };
    let zone = name
        .parse::<Tz>()
        .map_err(|e| diesel::result::Error::DeserializationError(format!("case_summary_zone: {e}").into()))?;
    Ok(Recorded { zone, complete })
}

fn record(conn: &mut DbConnection, zone: Tz, complete: bool) -> QueryResult<()> {
    diesel::delete(case_summary_zone::table).execute(conn)?;
    crate::batch_insert!(
        conn,
        case_summary_zone::table,
        (
            case_summary_zone::id.eq(1),
            case_summary_zone::timezone.eq(zone.name()),
            case_summary_zone::complete.eq(complete),
        )
    )?;
    Ok(())
}

/// Called at start-up with the city's zone: a database without summary rows counts its days
/// in it from now on. Answers whether the summaries are counted in `zone` ([`usable`]).
pub fn adopt(conn: &mut DbConnection, zone: Tz) -> StoreResult<bool> {
    super::write_transaction(conn, |conn| {
        hold_event_writers(conn)?;
        let now = recorded(conn)?;
        if now.zone == zone && now.complete {
            return Ok(true);
        }
        let any_row: bool =
            diesel::select(diesel::dsl::exists(case_day_summaries::table.select(case_day_summaries::day)))
                .get_result(conn)?;
        if any_row {
            return Ok(false);
        }
        record(conn, zone, true)?;
        Ok(true)
    })
}

/// Whether the summaries' days are `zone`'s dates, so a reader by that zone's days may read
/// them.
pub fn usable(conn: &mut DbConnection, zone: Tz) -> QueryResult<bool> {
    let now = recorded(conn)?;
    Ok(now.complete && now.zone == zone)
}

/// Adds `event` to its summary row if it is a report. Call inside the transaction that inserts
/// the event, after its case row was written.
pub fn count(conn: &mut DbConnection, event: &EventRow) -> QueryResult<()> {
    if event.kind != REPORTED {
        return Ok(());
    }
    let day = day_of(event.occurred_at, recorded(conn)?.zone);
    let (sql, with_dollars) = (
        "INSERT INTO case_day_summaries (day, grid_code, category_code, channel, reports) \
         SELECT ?, COALESCE(grid_code, ''), category_code, channel, 1 \
           FROM cases WHERE id = ? AND NOT EXISTS \
             (SELECT 1 FROM emergency_cases d WHERE d.case_id = cases.id AND d.drill) \
         ON CONFLICT (day, grid_code, category_code, channel) \
         DO UPDATE SET reports = case_day_summaries.reports + excluded.reports",
        matches!(conn, DbConnection::Pg(_)),
    );
    let sql = if with_dollars { numbered_placeholders(sql) } else { sql.to_owned() };
    let added = diesel::sql_query(sql)
        .bind::<Text, _>(&day)
        .bind::<Text, _>(event.case_id.to_string())
        .execute(conn)?;
    if added != 1 && !is_drill(conn, &event.case_id.to_string())? {
        // The case row is written first in every transaction that inserts an event.
        return Err(diesel::result::Error::NotFound);
    }
    Ok(())
}

/// Whether `case_id` is a case of an emergency drill.
fn is_drill(conn: &mut DbConnection, case_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        emergency_cases::table
            .filter(emergency_cases::case_id.eq(case_id))
            .filter(emergency_cases::drill.eq(true)),
    ))
    .get_result(conn)
}

/// Takes one case's report out of the summaries (a drill's case, when its
/// command takes it over), inside the caller's transaction.
pub fn forget_case(conn: &mut DbConnection, case_id: &str) -> QueryResult<()> {
    hold_event_writers(conn)?;
    let counted = counted_of(conn, case_id)?;
    subtract(conn, &counted)
}

/// What the summaries count for one case, from its report event.
fn counted_of(conn: &mut DbConnection, case_id: &str) -> QueryResult<Summaries> {
    let rows: Vec<ReportRow> = case_events::table
        .inner_join(cases::table)
        .select(REPORT_COLUMNS)
        .filter(cases::id.eq(case_id))
        .filter(case_events::kind.eq(REPORTED))
        .load(conn)?;
    Ok(summarize(&rows, recorded(conn)?.zone))
}

/// Takes `counted` off the stored rows, dropping the rows left at nothing.
fn subtract(conn: &mut DbConnection, counted: &Summaries) -> QueryResult<()> {
    for (key, n) in counted {
        diesel::update(
            case_day_summaries::table
                .filter(case_day_summaries::day.eq(&key.day))
                .filter(case_day_summaries::grid_code.eq(&key.grid_code))
                .filter(case_day_summaries::category_code.eq(&key.category_code))
                .filter(case_day_summaries::channel.eq(&key.channel)),
        )
        .set(case_day_summaries::reports.eq(case_day_summaries::reports - *n))
        .execute(conn)?;
    }
    diesel::delete(case_day_summaries::table.filter(case_day_summaries::reports.le(0i64))).execute(conn)?;
    Ok(())
}

/// [`count`] for all of `events` with one statement (the intake writer's batch of reports): the
/// events are grouped by their key in the database and each group added once.
pub fn count_many(conn: &mut DbConnection, events: &[EventRow]) -> QueryResult<()> {
    let reports: Vec<&EventRow> = events.iter().filter(|event| event.kind == REPORTED).collect();
    let events = reports.as_slice();
    if events.len() < 2 {
        return events.iter().try_for_each(|event| count(conn, event));
    }
    let zone = recorded(conn)?.zone;
    // Two parameters a report: far under SQLite's bound; the intake batch is a few hundred.
    for chunk in events.chunks(5000) {
        let values = vec!["(?, ?)"; chunk.len()].join(", ");
        let sql = format!(
            "INSERT INTO case_day_summaries (day, grid_code, category_code, channel, reports) \
             SELECT v.column2, COALESCE(c.grid_code, ''), c.category_code, c.channel, COUNT(*) \
             FROM (VALUES {values}) AS v JOIN cases c ON c.id = v.column1 \
             WHERE NOT EXISTS (SELECT 1 FROM emergency_cases d WHERE d.case_id = c.id AND d.drill) \
             GROUP BY 1, 2, 3, 4 \
             ON CONFLICT (day, grid_code, category_code, channel) \
             DO UPDATE SET reports = case_day_summaries.reports + excluded.reports"
        );
        let sql = if matches!(conn, DbConnection::Pg(_)) { numbered_placeholders(&sql) } else { sql };
        let mut query = diesel::sql_query(sql).into_boxed();
        for event in chunk {
            query = query
                .bind::<Text, _>(event.case_id.to_string())
                .bind::<Text, _>(day_of(event.occurred_at, zone));
        }
        query.execute(conn)?;
    }
    Ok(())
}

/// `?` placeholders as PostgreSQL's `$1`, `$2`, ...
pub(super) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Moves one case's report from the cell the case is in now to `new_grid` (`''`: no cell),
/// inside the caller's transaction, before the case row's cell changes: the summaries count a
/// report under the case's present cell, the key [`compare`] recomputes them with, so a
/// `relocate` keeps them exact.
pub fn move_case(conn: &mut DbConnection, case_id: &str, new_grid: &str) -> QueryResult<()> {
    hold_event_writers(conn)?;
    if is_drill(conn, case_id)? {
        return Ok(());
    }
    let counted: Summaries =
        counted_of(conn, case_id)?.into_iter().filter(|(key, _)| key.grid_code != new_grid).collect();
    subtract(conn, &counted)?;
    let moved: Summaries = counted
        .into_iter()
        .map(|(key, n)| (SummaryKey { grid_code: new_grid.to_owned(), ..key }, n))
        .collect();
    add_all(conn, &moved)
}

/// Adds `summaries` to the stored rows, creating the missing ones.
fn add_all(conn: &mut DbConnection, summaries: &Summaries) -> QueryResult<()> {
    let sql = "INSERT INTO case_day_summaries (day, grid_code, category_code, channel, reports) \
         VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (day, grid_code, category_code, channel) \
         DO UPDATE SET reports = case_day_summaries.reports + excluded.reports";
    let sql = if matches!(conn, DbConnection::Pg(_)) { numbered_placeholders(sql) } else { sql.to_owned() };
    for (key, n) in summaries {
        diesel::sql_query(&sql)
            .bind::<Text, _>(&key.day)
            .bind::<Text, _>(&key.grid_code)
            .bind::<Text, _>(&key.category_code)
            .bind::<Text, _>(&key.channel)
            .bind::<diesel::sql_types::BigInt, _>(*n)
            .execute(conn)?;
    }
    Ok(())
}

/// The columns of a [`ReportRow`], from `case_events` joined to `cases`.
const REPORT_COLUMNS: (cases::grid_code, cases::category_code, cases::channel, case_events::occurred_at) =
    (cases::grid_code, cases::category_code, cases::channel, case_events::occurred_at);

/// One report with the facts of its case (its present cell among them), each code parsed
/// once: a stored value core does not accept fails the read.
#[derive(Debug, Queryable)]
struct ReportRow {
    #[diesel(deserialize_as = Parsed<Option<GridCode>>)]
    grid_code: Option<GridCode>,
    #[diesel(deserialize_as = Parsed<CategoryCode>)]
    category_code: CategoryCode,
    #[diesel(deserialize_as = Parsed<Channel>)]
    channel: Channel,
    occurred_at: chrono::NaiveDateTime,
}

/// The summaries of `rows` on the days of `zone`.
fn summarize(rows: &[ReportRow], zone: Tz) -> Summaries {
    let mut out = Summaries::new();
    for row in rows {
        let key = SummaryKey {
            day: day_of(row.occurred_at, zone),
            grid_code: row.grid_code.map(|code| code.to_string()).unwrap_or_default(),
            category_code: row.category_code.to_string(),
            channel: row.channel.as_str().to_owned(),
        };
        *out.entry(key).or_default() += 1;
    }
    out
}

/// A key whose stored count differs from the count recomputed from the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub key: SummaryKey,
    pub stored: i64,
    pub from_events: i64,
}

/// What a comparison saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Cells compared (the triage queue counts as one).
    pub cells: usize,
    /// Summary rows recomputed from the events.
    pub rows: usize,
    /// Reports counted in them.
    pub reports: i64,
    /// Every key that differed (stored rows of cells without cases included).
    pub differences: Vec<Difference>,
    /// The zone whose days the rows count (an IANA name), as recorded at the end.
    pub zone: String,
}

/// Every cell that has cases or summary rows, `''` for the triage queue, in order.
fn cells(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let mut cells: Vec<String> =
        cases::table.select(diesel::dsl::sql::<Text>("DISTINCT COALESCE(grid_code, '')")).load(conn)?;
    let summarized: Vec<String> =
        case_day_summaries::table.select(case_day_summaries::grid_code).distinct().load(conn)?;
    cells.extend(summarized);
    cells.sort();
    cells.dedup();
    Ok(cells)
}

/// The reports of the cases in `cells` (`''`: the cases without one).
fn reports_in(conn: &mut DbConnection, cells: &[String]) -> QueryResult<Vec<ReportRow>> {
    let with_grid: Vec<&String> = cells.iter().filter(|c| !c.is_empty()).collect();
    let mut query = case_events::table
        .inner_join(cases::table)
        .select(REPORT_COLUMNS)
        .filter(case_events::kind.eq(REPORTED))
        .filter(cases::id.ne_all(
            emergency_cases::table.filter(emergency_cases::drill.eq(true)).select(emergency_cases::case_id),
        ))
        .into_boxed();
    query = if cells.iter().any(String::is_empty) {
        query.filter(cases::grid_code.eq_any(with_grid).or(cases::grid_code.is_null()))
    } else {
        query.filter(cases::grid_code.eq_any(with_grid))
    };
    query.load(conn)
}

fn stored_in(conn: &mut DbConnection, cells: &[String]) -> QueryResult<Summaries> {
    let rows: Vec<(String, String, String, String, i64)> = case_day_summaries::table
        .filter(case_day_summaries::grid_code.eq_any(cells))
        .select((
            case_day_summaries::day,
            case_day_summaries::grid_code,
            case_day_summaries::category_code,
            case_day_summaries::channel,
            case_day_summaries::reports,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(day, grid_code, category_code, channel, reports)| {
            (SummaryKey { day, grid_code, category_code, channel }, reports)
        })
        .collect())
}

fn differences(stored: &Summaries, fresh: &Summaries) -> Vec<Difference> {
    let keys: std::collections::BTreeSet<&SummaryKey> = stored.keys().chain(fresh.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (stored, from_events) =
                (stored.get(key).copied().unwrap_or(0), fresh.get(key).copied().unwrap_or(0));
            (stored != from_events).then(|| Difference { key: key.clone(), stored, from_events })
        })
        .collect()
}

/// Holds the lock that orders event writers until the transaction ends (PostgreSQL; on SQLite
/// the first write of the transaction takes the single writer lock).
pub(super) fn hold_event_writers(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({})", super::events::EVENT_SEQUENCE_LOCK))
            .execute(pg)?;
    }
    Ok(())
}

/// Compares the stored summaries with those recomputed from the events, on the days of the
/// recorded zone; writes nothing.
pub fn compare(conn: &mut DbConnection) -> StoreResult<Comparison> {
    walk(conn, false)
}

/// Replaces the stored summaries by those recomputed from the events on the days of `zone`
/// (the city's), and records that zone; the comparison is of what was stored before (a
/// change of zone shows as differences). Writers count in `zone` from the start, and the
/// rows are marked complete at the end, so readers read the events until then.
pub fn rebuild(conn: &mut DbConnection, zone: Tz) -> StoreResult<Comparison> {
    super::write_transaction(conn, |conn| {
        hold_event_writers(conn)?;
        record(conn, zone, false)
    })?;
    let comparison = walk(conn, true)?;
    super::write_transaction(conn, |conn| {
        hold_event_writers(conn)?;
        record(conn, zone, true)
    })?;
    Ok(comparison)
}

fn walk(conn: &mut DbConnection, write: bool) -> StoreResult<Comparison> {
    let mut comparison = Comparison::default();
    for batch in cells(conn)?.chunks(CELLS_PER_BATCH) {
        let (fresh, stored) = super::write_transaction(conn, |conn| {
            hold_event_writers(conn)?;
            if write && matches!(conn, DbConnection::Sqlite(_)) {
                // Take SQLite's writer lock before reading, so nothing is written in between.
                diesel::sql_query("DELETE FROM case_day_summaries WHERE 1 = 0").execute(conn)?;
            }
            let fresh = summarize(&reports_in(conn, batch)?, recorded(conn)?.zone);
            let stored = stored_in(conn, batch)?;
            if write {
                replace(conn, batch, &fresh)?;
            }
            QueryResult::Ok((fresh, stored))
        })?;
        comparison.cells += batch.len();
        comparison.rows += fresh.len();
        comparison.reports += fresh.values().sum::<i64>();
        comparison.differences.extend(differences(&stored, &fresh));
    }
    comparison.zone = recorded(conn)?.zone.name().to_owned();
    Ok(comparison)
}

fn replace(conn: &mut DbConnection, cells: &[String], fresh: &Summaries) -> QueryResult<()> {
    diesel::delete(case_day_summaries::table.filter(case_day_summaries::grid_code.eq_any(cells)))
        .execute(conn)?;
    insert_all(conn, fresh)
}

#[derive(Insertable)]
#[diesel(table_name = case_day_summaries)]
struct NewSummary<'a> {
    day: &'a str,
    grid_code: &'a str,
    category_code: &'a str,
    channel: &'a str,
    reports: i64,
}

/// Inserts `summaries` as new rows (their keys must not be stored yet).
pub fn insert_all(conn: &mut DbConnection, summaries: &Summaries) -> QueryResult<()> {
    let rows: Vec<NewSummary<'_>> = summaries
        .iter()
        .map(|(k, reports)| NewSummary {
            day: &k.day,
            grid_code: &k.grid_code,
            category_code: &k.category_code,
            channel: &k.channel,
            reports: *reports,
        })
        .collect();
    // Five parameters a row: well under SQLite's 32,766 per statement.
    for chunk in rows.chunks(1000) {
        crate::batch_insert!(conn, case_day_summaries::table, chunk)?;
    }
    Ok(())
}
