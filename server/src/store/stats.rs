//! The read behind the statistics: the statistics' facts ([`super::stat_facts`]) of the events
//! inside a range, of the cases a caller may count, with the case columns a group is keyed by.
//! The arithmetic is in [`crate::api::stats`]; this module only selects rows.
//!
//! Nothing before the range is read for a case that changed inside it: each fact carries the
//! case's deadline and handling cycle as earlier events left them. A case quiet through the
//! range can still fall due in it; one fact tells its state and deadline at the range's end.
//!
//! The cases of drills (emergency mode's exercises) are left out, from the statistics and from
//! the early-warning counts alike.

use diesel::connection::DefaultLoadingMode;
use diesel::dsl::sql;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamp};
use gridline_core::codes::{AreaCode, AreaLevel, CaseId, CategoryCode, GridCode};
use gridline_core::workflow::{CaseState, Channel};

use super::schema::{case_stat_facts, cases, emergency_cases, hotline_calls};
use super::typed::Parsed;
use super::{DbConnection, StoreResult};

/// Which cases are counted, in the columns of the case row.
#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    /// Only cases whose grid code lies from `.0` to `.1` inclusive (a dispatcher's street).
    pub grid_range: Option<(GridCode, GridCode)>,
    /// Only cases dispatched to this unit (a handler).
    pub handling_unit: Option<String>,
    /// Only cases in this area, by the case column of its level.
    pub area: Option<AreaCode>,
    /// Only cases of this category.
    pub category: Option<CategoryCode>,
    /// Only cases that came in by this channel.
    pub channel: Option<Channel>,
}

/// The columns of a case that the figures are grouped by, as the case is now, each parsed once
/// as it is read: a stored code core does not accept fails the read.
#[derive(Debug, Clone, Queryable)]
pub struct CaseKeys {
    #[diesel(deserialize_as = Parsed<Option<AreaCode>>)]
    pub district_code: Option<AreaCode>,
    #[diesel(deserialize_as = Parsed<Option<AreaCode>>)]
    pub street_code: Option<AreaCode>,
    #[diesel(deserialize_as = Parsed<Option<AreaCode>>)]
    pub community_code: Option<AreaCode>,
    #[diesel(deserialize_as = Parsed<Option<GridCode>>)]
    pub grid_code: Option<GridCode>,
    #[diesel(deserialize_as = Parsed<CategoryCode>)]
    pub category_code: CategoryCode,
    /// A unit's code, which core has no type for.
    pub handling_unit: Option<String>,
    #[diesel(deserialize_as = Parsed<Channel>)]
    pub channel: Channel,
}

/// One fact with the columns of its case, as read for the statistics.
#[derive(Debug, Clone, Queryable)]
pub struct StatsFactRow {
    #[diesel(deserialize_as = Parsed<CaseId>)]
    pub case_id: CaseId,
    pub case: CaseKeys,
    pub seq: i64,
    pub occurred_at: chrono::NaiveDateTime,
    pub marks: i32,
    pub on_time: Option<i32>,
    pub cycle_start: Option<chrono::NaiveDateTime>,
    pub rating: Option<i32>,
    #[diesel(deserialize_as = Parsed<Option<CaseState>>)]
    pub state_before: Option<CaseState>,
    pub deadline_before: Option<chrono::NaiveDateTime>,
    #[diesel(deserialize_as = Parsed<Option<CaseState>>)]
    pub state_after: Option<CaseState>,
    pub deadline_after: Option<chrono::NaiveDateTime>,
}

/// The case columns of [`CaseKeys`], in its order.
macro_rules! case_keys {
    () => {
        (
            cases::district_code,
            cases::street_code,
            cases::community_code,
            cases::grid_code,
            cases::category_code,
            cases::handling_unit,
            cases::channel,
        )
    };
}

/// The rows of `$table` joined to their cases by `$case_id`, narrowed to the cases `$filter`
/// admits (a boxed query); without a table, the statistics' facts.
macro_rules! facts_of_cases {
    ($filter:expr) => {
        facts_of_cases!(
            $filter,
            case_stat_facts,
            case_stat_facts::case_id,
            (
                cases::id,
                case_keys!(),
                case_stat_facts::seq,
                case_stat_facts::occurred_at,
                case_stat_facts::marks,
                case_stat_facts::on_time,
                case_stat_facts::cycle_start,
                case_stat_facts::rating,
                case_stat_facts::state_before,
                case_stat_facts::deadline_before,
                case_stat_facts::state_after,
                case_stat_facts::deadline_after,
            )
        )
    };
    ($filter:expr, $table:ident, $case_id:expr, $select:expr) => {{
        let filter: &StatsFilter = $filter;
        let mut query = $table::table
            .inner_join(cases::table.on(cases::id.eq($case_id)))
            .select($select)
            .into_boxed()
            // A drill's cases (emergency mode's exercises) never count.
            .filter(
                cases::id.ne_all(
                    emergency_cases::table
                        .filter(emergency_cases::drill.eq(true))
                        .select(emergency_cases::case_id),
                ),
            );
        if let Some((first, last)) = filter.grid_range {
            query = query.filter(cases::grid_code.between(first.to_string(), last.to_string()));
        }
        if let Some(unit) = &filter.handling_unit {
            query = query.filter(cases::handling_unit.eq(unit.clone()));
        }
        if let Some(category) = filter.category {
            query = query.filter(cases::category_code.eq(category.to_string()));
        }
        if let Some(channel) = filter.channel {
            query = query.filter(cases::channel.eq(channel.as_str()));
        }
        // The area's level names the case column that holds codes like it.
        match filter.area {
            None => query,
            Some(area) => {
                let code = area.to_string();
                match area.level() {
                    AreaLevel::District => query.filter(cases::district_code.eq(code)),
                    AreaLevel::Street => query.filter(cases::street_code.eq(code)),
                    AreaLevel::Community => query.filter(cases::community_code.eq(code)),
                    AreaLevel::Grid => query.filter(cases::grid_code.eq(code)),
                }
            }
        }
    }};
}

/// How many rows are read between two looks at whether the request is still wanted.
const ROWS_PER_CANCEL_CHECK: usize = 10_000;

/// Runs `$query` (written once, built for each backend) and hands each row to `$visit` without
/// holding the result: PostgreSQL is asked for single rows (else libpq holds the whole result
/// before the first row is seen), SQLite steps.
macro_rules! stream {
    ($conn:expr, $query:expr, $visit:expr) => {
        match $conn {
            DbConnection::Sqlite(conn) => each_row($query.load_iter::<_, DefaultLoadingMode>(conn)?, $visit)?,
            DbConnection::Pg(conn) => each_row($query.load_iter::<_, PgRowByRowLoadingMode>(conn)?, $visit)?,
        }
    };
}

/// Hands each row to `visit`, looking at the request's cancellation every
/// [`ROWS_PER_CANCEL_CHECK`] rows.
pub(super) fn each_row<R>(
    rows: impl Iterator<Item = QueryResult<R>>,
    mut visit: impl FnMut(R),
) -> StoreResult<()> {
    for (n, row) in rows.enumerate() {
        if (n + 1).is_multiple_of(ROWS_PER_CANCEL_CHECK) {
            super::check_cancelled()?;
        }
        visit(row?);
    }
    Ok(())
}

/// Hands `visit` the facts that can count in `[from, to)` of each case `filter` admits, one
/// case at a time, in sequence order:
///
/// - every fact inside the range;
/// - for a case with nothing inside the range and nothing since, due in the range by its
///   deadline column: its last fact (its state and deadline at `to`);
/// - for a case with nothing inside the range but something after it, whose deadline at `to`
///   lay in the range: its first fact after the range (whose state and deadline before it are
///   those at `to`).
///
/// Cases finished before the range are not read at all. The facts inside the range stream from
/// the database in case order (PostgreSQL row by row, SQLite one step at a time), so only one
/// case's facts are held at once, whatever the range; the work stops between rows when the
/// request is cancelled.
pub fn for_each_case(
    conn: &mut DbConnection,
    filter: &StatsFilter,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
    visit: &mut dyn FnMut(&[StatsFactRow]),
) -> StoreResult<()> {
    let mut case = CaseGrouper::new(visit);
    stream!(
        conn,
        facts_of_cases!(filter)
            .filter(case_stat_facts::occurred_at.ge(from))
            .filter(case_stat_facts::occurred_at.lt(to))
            .order_by((case_stat_facts::case_id.asc(), case_stat_facts::seq.asc())),
        |row: StatsFactRow| case.push(row)
    );
    case.flush();
    // Each case below has no fact inside the range, and one fact here: a case of its own.
    let mut one = |row: StatsFactRow| visit(std::slice::from_ref(&row));
    // Driven from the cases due in the range (by their deadline, in the caller's street when
    // it has one: `cases_street_deadline`, else `cases_deadline`), each one's last fact by its
    // key; never from the facts before the range, which are most of the table, nor from the
    // city's cases for a street. Over a long range that is most cases, whose last fact is
    // mostly inside the range: streamed and passed over here, never held.
    stream!(
        conn,
        facts_of_cases!(filter)
            .filter(cases::deadline.ge(from).and(cases::deadline.lt(to)).assume_not_null())
            .filter(sql::<Bool>(
                "case_stat_facts.seq = (SELECT MAX(g.seq) FROM case_stat_facts g \
                 WHERE g.case_id = case_stat_facts.case_id)",
            )),
        |row: StatsFactRow| {
            if row.occurred_at < from {
                one(row);
            }
        }
    );
    // Only a range that ended before the newest fact has facts after it. A range ending now (the
    // dashboard's, the KPI tiles') has none, and a street's read would otherwise walk every
    // fact of the street's cases to find that out (the planner goes by the street's cases).
    let facts_after_the_range: bool = diesel::select(diesel::dsl::exists(
        case_stat_facts::table.filter(case_stat_facts::occurred_at.ge(to)),
    ))
    .get_result(conn)?;
    if facts_after_the_range {
        stream!(
            conn,
            facts_of_cases!(filter)
                .filter(case_stat_facts::occurred_at.ge(to))
                .filter(
                    case_stat_facts::deadline_before
                        .ge(from)
                        .and(case_stat_facts::deadline_before.lt(to))
                        .assume_not_null(),
                )
                .filter(
                    sql::<Bool>(
                        "case_stat_facts.seq = (SELECT MIN(g.seq) FROM case_stat_facts g \
                         WHERE g.case_id = case_stat_facts.case_id AND g.occurred_at >= ",
                    )
                    .bind::<Timestamp, _>(from)
                    .sql(")"),
                ),
            |row: StatsFactRow| one(row)
        );
    }
    Ok(())
}

/// Gathers rows arriving in case order into one case's facts at a time.
struct CaseGrouper<'v> {
    visit: &'v mut dyn FnMut(&[StatsFactRow]),
    facts: Vec<StatsFactRow>,
}

impl<'v> CaseGrouper<'v> {
    fn new(visit: &'v mut dyn FnMut(&[StatsFactRow])) -> CaseGrouper<'v> {
        CaseGrouper { visit, facts: Vec::new() }
    }

    fn push(&mut self, row: StatsFactRow) {
        if self.facts.first().is_some_and(|f| f.case_id != row.case_id) {
            self.flush();
        }
        self.facts.push(row);
    }

    fn flush(&mut self) {
        if !self.facts.is_empty() {
            (self.visit)(&self.facts);
            self.facts.clear();
        }
    }
}

/// One call the hotline took, with the case it made or was linked to.
#[derive(Debug, Clone)]
pub struct CallRow {
    pub at: chrono::DateTime<chrono::Utc>,
    pub case: CaseKeys,
}

/// Hands `visit` each call the hotline took in `[from, to)` about the cases `filter` admits (the
/// call that opened a hotline case and each "same problem" call linked to one), streamed like
/// the facts: a city's year of calls is never held at once.
pub fn for_each_call(
    conn: &mut DbConnection,
    filter: &StatsFilter,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    visit: &mut dyn FnMut(&CallRow),
) -> StoreResult<()> {
    stream!(
        conn,
        facts_of_cases!(
            filter,
            hotline_calls,
            hotline_calls::case_id,
            (hotline_calls::created_at, case_keys!())
        )
        // Calls are stamped in Unix seconds, like the accounts.
        .filter(hotline_calls::created_at.ge(from.timestamp()))
        .filter(hotline_calls::created_at.lt(to.timestamp())),
        |(secs, case): (i64, CaseKeys)| {
            if let Some(at) = chrono::DateTime::from_timestamp(secs, 0) {
                visit(&CallRow { at, case });
            }
        }
    );
    Ok(())
}
