//! The staff case list behind `GET /api/v1/cases` and the dashboard: the cases a scope holds,
//! filtered by state, category, handling unit, area, report time, tracking number and text,
//! newest first, a page at a
//! time with a keyset cursor (so a page never repeats or skips a case while new ones arrive),
//! and the per-cell counts the dashboard map is coloured with.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::workflow::CaseState;

use super::case_search::{self, SearchTuning, TextMatch};
use super::cases::{CaseRow, CaseWorkflow, FullCase};
use super::schema::{cases, emergency_cases};
use super::{DbConnection, StoreResult};

/// Which cases a list query may return, for a given principal (`auth` decides which one,
/// `Principal::case_filter`). Apply it with [`crate::filter_by_scope!`], which does, in diesel:
///
/// ```text
/// match principal.case_filter() {
///     CaseFilter::All => query,
///     CaseFilter::GridIn { grids, verifier } => query.filter(
///         cases::grid_code.eq_any(grids_as_text).or(cases::verifier_id.eq(verifier)),
///     ),
///     CaseFilter::GridRange { first, last, .. } => {
///         query.filter(cases::grid_code.between(first.to_string(), last.to_string()))
///     }
///     CaseFilter::HandlingUnit(unit) => query.filter(cases::handling_unit.eq(unit)),
///     CaseFilter::ReportedBy(user) => query.filter(cases::reporter_id.eq(user)),
///     CaseFilter::Nothing => query.filter(diesel::dsl::false_),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseFilter {
    /// No restriction (admin, system).
    All,
    /// The case's grid is one of these (inspector; empty when no cells are assigned yet), or
    /// the street office gave the case's verification to this inspector (`verifier`, their
    /// account id: 指派核查).
    GridIn { grids: Vec<GridCode>, verifier: String },
    /// The case's grid lies in an area (a dispatcher's street, a viewer's district or street):
    /// the grid codes from `first` to
    /// `last` inclusive, which is exactly the area's 15-digit codes, both as numbers and as
    /// zero-padded text since all codes have the same width. A case without a grid (triage)
    /// matches when the street it is nearest to (its `street_code`) lies in the area.
    GridRange { area: AreaCode, first: GridCode, last: GridCode },
    /// Cases dispatched to this handling unit (handler).
    HandlingUnit(String),
    /// Cases reported by this account (citizen), by user id text.
    ReportedBy(String),
    /// Nothing at all.
    Nothing,
}

/// What to list. Empty lists and `None` mean "any".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub states: Vec<String>,
    pub category: Option<String>,
    pub overdue: Option<bool>,
    pub handling_unit: Option<String>,
    /// First and last 15-digit grid code of an area (its cells, as text of equal width).
    pub grid_range: Option<(String, String)>,
    /// With `grid_range`: the first and last street code of the area, whose cases in no cell
    /// (the triage queue, each counted for the street nearest to it) the area holds too.
    pub triage_streets: Option<(String, String)>,
    /// Reported at or after.
    pub from: Option<NaiveDateTime>,
    /// Reported before.
    pub to: Option<NaiveDateTime>,
    /// Continue after this `(created_at, id)` of the previous page's last case.
    pub after: Option<(NaiveDateTime, String)>,
    /// Came in by one of these channels.
    pub channels: Vec<String>,
    /// Of one of these urgencies.
    pub urgencies: Vec<String>,
    /// Exactly this tracking number (upper case).
    pub tracking_number: Option<String>,
    /// Cases whose report (tracking number, description, answers) or a step's note or reason
    /// holds this text, case-insensitively; see [`search_pattern`].
    pub text: Option<String>,
    /// `Some(true)`: only cases that routed to no cell (the triage queue); `Some(false)`: only
    /// cases with a cell.
    pub triage: Option<bool>,
    /// `Some(true)`: only cases flagged to the district for changing hands too often (a
    /// `flagged_to_district` event); `Some(false)`: only cases never flagged.
    pub flagged_to_district: Option<bool>,
}

/// The shortest search text: shorter text would match nearly every case.
pub const MIN_SEARCH_CHARS: usize = 2;
/// The longest search text.
pub const MAX_SEARCH_CHARS: usize = 100;

/// The `LIKE` pattern of a search text: `%text%`, with LIKE's own wildcards (`%`, `_`) and the
/// backslash taken out (a search is for words, not patterns), spaces collapsed.
pub fn search_pattern(text: &str) -> String {
    let cleaned: String = text.chars().map(|c| if matches!(c, '%' | '_' | '\\') { ' ' } else { c }).collect();
    format!("%{}%", cleaned.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `$query` (a boxed query on `cases`) with every filter of a [`ListFilter`] but its text:
/// the list's page and the search's count of the cases it would walk filter alike.
macro_rules! with_list_filters {
    ($query:expr, $filter:expr) => {{
        let filter: &ListFilter = $filter;
        let mut query = $query;
        if !filter.states.is_empty() {
            query = query.filter(cases::state.eq_any(filter.states.clone()));
        }
        if let Some(category) = &filter.category {
            query = query.filter(cases::category_code.eq(category.clone()));
        }
        if let Some(number) = &filter.tracking_number {
            query = query.filter(cases::tracking_number.eq(number.clone()));
        }
        if let Some(overdue) = filter.overdue {
            query = query.filter(cases::overdue.eq(overdue));
        }
        match filter.triage {
            Some(true) => query = query.filter(cases::grid_code.is_null()),
            Some(false) => query = query.filter(cases::grid_code.is_not_null()),
            None => {}
        }
        if let Some(flagged) = filter.flagged_to_district {
            let flagged_cases = super::schema::case_events::table
                .filter(super::schema::case_events::kind.eq(super::joint::FLAGGED_TO_DISTRICT))
                .select(super::schema::case_events::case_id);
            query = if flagged {
                query.filter(cases::id.eq_any(flagged_cases))
            } else {
                query.filter(diesel::dsl::not(cases::id.eq_any(flagged_cases)))
            };
        }
        if !filter.channels.is_empty() {
            query = query.filter(cases::channel.eq_any(filter.channels.clone()));
        }
        if !filter.urgencies.is_empty() {
            query = query.filter(cases::urgency.eq_any(filter.urgencies.clone()));
        }
        if let Some(unit) = &filter.handling_unit {
            query = query.filter(cases::handling_unit.eq(unit.clone()));
        }
        if let Some((first, last)) = &filter.grid_range {
            let in_cells = cases::grid_code.between(first.clone(), last.clone());
            query =
                match &filter.triage_streets {
                    Some((s1, s2)) => query.filter(in_cells.or(
                        cases::grid_code.is_null().and(cases::street_code.between(s1.clone(), s2.clone())),
                    )),
                    None => query.filter(in_cells),
                };
        }
        if let Some(from) = filter.from {
            query = query.filter(cases::created_at.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(cases::created_at.lt(to));
        }
        if let Some((at, id)) = &filter.after {
            // "Before (at, id)" with `created_at <= at` on its own, so the index seeks to the
            // cursor instead of walking every newer case of the area from the top on each page.
            query = query
                .filter(cases::created_at.le(*at))
                .filter(cases::created_at.lt(*at).or(cases::id.lt(id.clone())));
        }
        query
    }};
}

/// At most `limit` cases in `scope` matching `filter`, newest first.
pub fn list(
    conn: &mut DbConnection,
    scope: &CaseFilter,
    filter: &ListFilter,
    limit: i64,
) -> StoreResult<Vec<FullCase>> {
    list_tuned(conn, scope, filter, limit, SearchTuning::default())
}

/// [`list`], with the text search's thresholds given (tests take each way of the search on a
/// few cases with small ones).
pub fn list_tuned(
    conn: &mut DbConnection,
    scope: &CaseFilter,
    filter: &ListFilter,
    limit: i64,
    tuning: SearchTuning,
) -> StoreResult<Vec<FullCase>> {
    // The page's ids first, then their rows: the walk that finds the ids tests the scope and
    // the filters on the entries of an index that holds those columns (the area's newest-first
    // index carries them), without reading the rows of the cases it passes over; only the
    // page's cases are read whole.
    let query = cases::table.select(cases::id).into_boxed();
    let Some(query) = crate::filter_by_scope!(query, scope, newest_first) else { return Ok(Vec::new()) };
    let mut query = with_list_filters!(query, filter);
    if let Some(text) = &filter.text {
        // The bigram index (store/case_search.rs) names the few matching cases, or tells the
        // list to walk newest first and check each case, when a term is too common to list or
        // the cases to walk are fewer than the postings to read.
        let pattern = search_pattern(text);
        let fewer_cases_than = |conn: &mut DbConnection, n: i64| -> StoreResult<bool> {
            // Whether the n-th case of the walk exists, stepping through the index without
            // returning rows.
            let query = cases::table.select(cases::id).into_boxed();
            let Some(query) = crate::filter_by_scope!(query, scope, newest_first) else { return Ok(true) };
            let nth = with_list_filters!(query, filter)
                .order((cases::created_at.desc(), cases::id.desc()))
                .offset(n - 1)
                .limit(1)
                .first::<String>(conn)
                .optional()?;
            Ok(nth.is_none())
        };
        match case_search::find(conn, &pattern, tuning, fewer_cases_than)? {
            TextMatch::Cases(ids) if ids.is_empty() => return Ok(Vec::new()),
            TextMatch::Cases(ids) => query = query.filter(cases::id.eq_any(ids)),
            TextMatch::Walk => {
                let (before, after) = case_search::walk_condition(conn);
                query = query.filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>(before)
                        .bind::<diesel::sql_types::Text, _>(pattern)
                        .sql(after),
                );
            }
        }
    }
    let ids: Vec<String> =
        query.order((cases::created_at.desc(), cases::id.desc())).limit(limit).load(conn)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(CaseRow, CaseWorkflow)> = cases::table
        .select((CaseRow::as_select(), CaseWorkflow::as_select()))
        .filter(cases::id.eq_any(ids))
        .order((cases::created_at.desc(), cases::id.desc()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(row, workflow)| FullCase { row, workflow }).collect())
}

/// The open cases of `scope` that routed to no cell (the triage queue): how many, and when the
/// oldest of them was reported.
pub fn stranded(conn: &mut DbConnection, scope: &CaseFilter) -> StoreResult<(i64, Option<NaiveDateTime>)> {
    let query = cases::table
        .filter(cases::state.eq_any(open_states()))
        .filter(cases::grid_code.is_null())
        .select((diesel::dsl::count_star(), diesel::dsl::min(cases::created_at)))
        .into_boxed();
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok((0, None)) };
    Ok(query.first(conn)?)
}

/// How many times the street office closed a case of `scope` that was handled but not verified
/// on site (a `close` step from `handled`, which core lets it take only with a reason).
pub fn closed_without_verification(conn: &mut DbConnection, scope: &CaseFilter) -> StoreResult<i64> {
    use super::schema::case_events;
    let query = case_events::table
        .inner_join(cases::table)
        .filter(case_events::kind.eq(gridline_core::workflow::Action::Close.as_str()))
        .filter(case_events::from_state.eq(CaseState::Handled.as_str()))
        .select(diesel::dsl::count_star())
        .into_boxed();
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok(0) };
    Ok(query.first(conn)?)
}

/// The cells of the handled cases of `scope` (waiting for on-site verification), one entry a
/// case, each with whether the street office gave its verification to a named inspector; a
/// case in no cell is left out.
pub fn cells_awaiting_verification(
    conn: &mut DbConnection,
    scope: &CaseFilter,
) -> StoreResult<Vec<(String, bool)>> {
    let query = cases::table
        .filter(cases::state.eq(CaseState::Handled.as_str()))
        .filter(cases::grid_code.is_not_null())
        .select((cases::grid_code, cases::verifier_id))
        .into_boxed();
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok(Vec::new()) };
    let rows = query.load::<(Option<String>, Option<String>)>(conn)?;
    Ok(rows.into_iter().filter_map(|(cell, verifier)| Some((cell?, verifier.is_some()))).collect())
}

/// Per grid cell: open cases, overdue cases, cases waiting for on-site verification, and
/// cases still at the street office's desk (reported or registered, not yet dispatched).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CellCounts {
    pub open: i64,
    pub overdue: i64,
    pub to_verify: i64,
    pub at_desk: i64,
}

/// States in which a case is still someone's work: all but the three endings.
pub fn open_states() -> Vec<&'static str> {
    CaseState::ALL
        .iter()
        .filter(|s| !matches!(s, CaseState::Closed | CaseState::Rejected | CaseState::Merged))
        .map(|s| s.as_str())
        .collect()
}

/// The open cases of `scope` (those routed to a cell), counted per cell. The database groups
/// them by cell, state and overdue flag, so a city's hundred thousand open cases come back as a
/// few rows per cell; closed history never enters it.
pub fn open_counts_by_grid(
    conn: &mut DbConnection,
    scope: &CaseFilter,
) -> StoreResult<Vec<(String, CellCounts)>> {
    let query = cases::table
        .filter(cases::state.eq_any(open_states()))
        .filter(cases::grid_code.is_not_null())
        // A drill's cases (emergency mode's exercises) are in its command queue, not the counts.
        .filter(cases::id.ne_all(
            emergency_cases::table.filter(emergency_cases::drill.eq(true)).select(emergency_cases::case_id),
        ))
        .group_by((cases::grid_code, cases::state, cases::overdue))
        .select((cases::grid_code, cases::state, cases::overdue, diesel::dsl::count_star()))
        .into_boxed();
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok(Vec::new()) };
    let rows: Vec<(Option<String>, String, bool, i64)> = query.order(cases::grid_code).load(conn)?;
    let mut out: Vec<(String, CellCounts)> = Vec::new();
    for (grid, state, overdue, n) in rows {
        let Some(grid) = grid else { continue };
        if out.last().is_none_or(|(g, _)| *g != grid) {
            out.push((grid, CellCounts::default()));
        }
        if let Some((_, counts)) = out.last_mut() {
            counts.open += n;
            counts.overdue += if overdue { n } else { 0 };
            counts.to_verify += if state == CaseState::Handled.as_str() { n } else { 0 };
            let at_desk = state == CaseState::Reported.as_str() || state == CaseState::Registered.as_str();
            counts.at_desk += if at_desk { n } else { 0 };
        }
    }
    Ok(out)
}
