//! The reports of each city day by grid cell, as early warning reads them: the charts' and the
//! scan's counts and baselines (`crate::api::warnings`, `crate::warnings::scan`).
//!
//! - **From the summaries** ([`from_summaries`]): one grouped read of the `reported` rows of
//!   `case_day_summaries` over the days asked, by day and cell, narrowed by scope (a range of
//!   cell codes), category or category class; no case is read. Their days are the city's once
//!   the database records the city's zone ([`super::summaries::usable`]).
//! - **From the events** ([`from_events`]): each `reported` event of the days joined to its
//!   case, dated on the city's days here. Read while the summaries count another zone's days
//!   (an upgraded database before `gridline summaries rebuild`), and by the test that proves
//!   both reads give the same counts.
//!
//! Both count what the summaries count: every report of a case not in an emergency drill,
//! under the cell the case is in now (a relocated case's report moves with it), leaving out the
//! cases with no cell (the triage queue). [`cases_reported`] names the cases behind a count,
//! for the links of a scan's clusters.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use diesel::connection::DefaultLoadingMode;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::schema::{case_day_summaries, case_events, cases, emergency_cases};
use super::{DbConnection, StoreResult};

/// Which reports count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportScope {
    /// Only cells whose code lies from `.0` to `.1` inclusive (a dispatcher's street).
    pub grid_range: Option<(String, String)>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this category class (kind letter and major number, `E05`).
    pub class: Option<String>,
}

impl ReportScope {
    /// The first and last category codes of the class.
    fn class_range(&self) -> Option<(String, String)> {
        self.class.as_ref().map(|class| (format!("{class}00"), format!("{class}99")))
    }
}

/// Reports by city date and cell.
pub type DailyReports = BTreeMap<(NaiveDate, String), u64>;

/// Where a count was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Summaries,
    Events,
}

/// The reports of the city days `first` to `last` (the dates of `zone`) by day and cell: from
/// the summaries when their days are `zone`'s, else from the events.
pub fn daily_reports(
    conn: &mut DbConnection,
    scope: &ReportScope,
    first: NaiveDate,
    last: NaiveDate,
    zone: Tz,
) -> StoreResult<(DailyReports, Source)> {
    // Still usable after the read: a rebuild into another zone marks the rows incomplete
    // before it touches one, so rows read while one runs are not taken for the city's.
    if super::summaries::usable(conn, zone)? {
        let read = from_summaries(conn, scope, first, last)?;
        if super::summaries::usable(conn, zone)? {
            return Ok((read, Source::Summaries));
        }
    }
    Ok((from_events(conn, scope, first, last, zone)?, Source::Events))
}

/// The summaries' `reported` rows of the days `first` to `last` by day and cell, as stored (the
/// caller checked whose days they are).
pub fn from_summaries(
    conn: &mut DbConnection,
    scope: &ReportScope,
    first: NaiveDate,
    last: NaiveDate,
) -> StoreResult<DailyReports> {
    let text = |date: NaiveDate| date.format("%Y-%m-%d").to_string();
    let mut query = case_day_summaries::table
        .filter(case_day_summaries::day.between(text(first), text(last)))
        .filter(case_day_summaries::grid_code.ne(""))
        .group_by((case_day_summaries::day, case_day_summaries::grid_code))
        .select((
            case_day_summaries::day,
            case_day_summaries::grid_code,
            diesel::dsl::sql::<BigInt>("CAST(SUM(reports) AS BIGINT)"),
        ))
        .into_boxed();
    if let Some((first, last)) = &scope.grid_range {
        query = query.filter(case_day_summaries::grid_code.between(first.clone(), last.clone()));
    }
    if let Some(category) = &scope.category {
        query = query.filter(case_day_summaries::category_code.eq(category.clone()));
    }
    if let Some((first, last)) = scope.class_range() {
        query = query.filter(case_day_summaries::category_code.between(first, last));
    }
    let rows: Vec<(String, String, i64)> = query.load(conn)?;
    let mut out = DailyReports::new();
    for (day, grid, reports) in rows {
        let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| {
            diesel::result::Error::DeserializationError(format!("case_day_summaries.day: {e}").into())
        })?;
        *out.entry((date, grid)).or_default() += u64::try_from(reports).unwrap_or(0);
    }
    Ok(out)
}

/// The first moment of `date` in `zone`, in UTC (the earliest, where a clock change repeats it).
fn start_of(date: NaiveDate, zone: Tz) -> NaiveDateTime {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    zone.from_local_datetime(&midnight)
        .earliest()
        // Midnight skipped by a clock change: the day starts an hour later.
        .or_else(|| zone.from_local_datetime(&(midnight + chrono::Duration::hours(1))).earliest())
        .map_or(midnight, |t| t.naive_utc())
}

/// The `reported` events from `$from` to `$to` that `$scope` (and `$cells`, when some) admits,
/// with their case's cell and id, as a boxed query of the backend it is loaded on.
macro_rules! reports_query {
    ($scope:expr, $cells:expr, $from:expr, $to:expr) => {{
        let (scope, cells): (&ReportScope, Option<&[String]>) = ($scope, $cells);
        let mut query = case_events::table
            .inner_join(cases::table)
            .filter(case_events::kind.eq(super::events::REPORTED))
            .filter(case_events::occurred_at.ge($from))
            .filter(case_events::occurred_at.lt($to))
            .filter(cases::grid_code.is_not_null())
            .filter(
                cases::id.ne_all(
                    emergency_cases::table
                        .filter(emergency_cases::drill.eq(true))
                        .select(emergency_cases::case_id),
                ),
            )
            .select((case_events::occurred_at, cases::grid_code, cases::id))
            .into_boxed();
        if let Some((first, last)) = &scope.grid_range {
            query = query.filter(cases::grid_code.between(first.clone(), last.clone()));
        }
        if let Some(cells) = cells {
            query = query.filter(cases::grid_code.eq_any(cells.to_vec()));
        }
        if let Some(category) = &scope.category {
            query = query.filter(cases::category_code.eq(category.clone()));
        }
        if let Some((first_code, last_code)) = scope.class_range() {
            query = query.filter(cases::category_code.between(first_code, last_code));
        }
        query
    }};
}

/// Hands `visit` each `reported` event of the days `first` to `last` of `zone` that `scope`
/// admits, with its case's cell and id, streamed.
fn each_report(
    conn: &mut DbConnection,
    scope: &ReportScope,
    cells: Option<&[String]>,
    (first, last, zone): (NaiveDate, NaiveDate, Tz),
    visit: &mut dyn FnMut(NaiveDate, String, String),
) -> StoreResult<()> {
    // A day's reports lie between its midnights; the margin of a day on each side keeps a clock
    // change from cutting one off, and each report is dated exactly below.
    let from = start_of(first, zone) - chrono::Duration::days(1);
    let to = start_of(last, zone) + chrono::Duration::days(2);
    let mut each = |(at, grid, case_id): (NaiveDateTime, Option<String>, String)| {
        let date = at.and_utc().with_timezone(&zone).date_naive();
        if let Some(grid) = grid
            && (first..=last).contains(&date)
        {
            visit(date, grid, case_id);
        }
    };
    // Streamed on each backend's own connection (PostgreSQL row by row), so the query is
    // built for each; the work stops between rows when the request is cancelled.
    match conn {
        DbConnection::Sqlite(sqlite) => super::stats::each_row(
            reports_query!(scope, cells, from, to).load_iter::<_, DefaultLoadingMode>(sqlite)?,
            &mut each,
        )?,
        DbConnection::Pg(pg) => super::stats::each_row(
            reports_query!(scope, cells, from, to).load_iter::<_, PgRowByRowLoadingMode>(pg)?,
            &mut each,
        )?,
    }
    Ok(())
}

/// The reports of the days `first` to `last` of `zone` by day and cell, counted from the
/// events.
pub fn from_events(
    conn: &mut DbConnection,
    scope: &ReportScope,
    first: NaiveDate,
    last: NaiveDate,
    zone: Tz,
) -> StoreResult<DailyReports> {
    let mut out = DailyReports::new();
    each_report(conn, scope, None, (first, last, zone), &mut |date, grid, _| {
        *out.entry((date, grid)).or_default() += 1;
    })?;
    Ok(out)
}

/// The cases (ids, sorted, each once) reported in `cells` on the days `first` to `last` of
/// `zone` that `scope` admits: those behind [`daily_reports`]' counts of those cells and days.
pub fn cases_reported(
    conn: &mut DbConnection,
    scope: &ReportScope,
    cells: &[String],
    (first, last, zone): (NaiveDate, NaiveDate, Tz),
) -> StoreResult<Vec<String>> {
    let mut ids = Vec::new();
    each_report(conn, scope, Some(cells), (first, last, zone), &mut |_, _, case_id| ids.push(case_id))?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}
