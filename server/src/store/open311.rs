//! The case reads behind Open311's `GET requests`: filtered by tracking number, category,
//! state and request time, newest first, a page at a time; and the first photo of each case
//! (the one published as `media_url`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridline_core::codes::CaseId;

use super::cases::{CaseRow, CaseWorkflow, FullCase};
use super::photos::PhotoRow;
use super::schema::{case_photos, cases, photos};
use super::{DbConnection, StoreResult};

/// What to list. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub tracking_numbers: Vec<String>,
    pub categories: Vec<String>,
    pub states: Vec<String>,
    /// Requested at or after.
    pub from: Option<NaiveDateTime>,
    /// Requested at or before.
    pub to: Option<NaiveDateTime>,
    pub offset: i64,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, query: &CaseQuery) -> StoreResult<Vec<FullCase>> {
    let mut q = cases::table.select((CaseRow::as_select(), CaseWorkflow::as_select())).into_boxed();
    if !query.tracking_numbers.is_empty() {
        q = q.filter(cases::tracking_number.eq_any(&query.tracking_numbers));
    }
    if !query.categories.is_empty() {
        q = q.filter(cases::category_code.eq_any(&query.categories));
    }
    if !query.states.is_empty() {
        q = q.filter(cases::state.eq_any(&query.states));
    }
    if let Some(from) = query.from {
        q = q.filter(cases::created_at.ge(from));
    }
    if let Some(to) = query.to {
        q = q.filter(cases::created_at.le(to));
    }
    let rows: Vec<(CaseRow, CaseWorkflow)> = q
        .order((cases::created_at.desc(), cases::id.desc()))
        .offset(query.offset)
        .limit(query.limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(row, workflow)| FullCase { row, workflow }).collect())
}

pub fn find_by_tracking_number(
    conn: &mut DbConnection,
    tracking_number: &str,
) -> StoreResult<Option<FullCase>> {
    match super::tracking::case_id(conn, tracking_number)? {
        Some(id) => super::cases::find_full(conn, id),
        None => Ok(None),
    }
}

/// The ids of the cases among `case_ids` that have a reporter's photo.
pub fn with_photo(conn: &mut DbConnection, case_ids: &[CaseId]) -> StoreResult<Vec<CaseId>> {
    let case_ids: Vec<String> = case_ids.iter().map(CaseId::to_string).collect();
    let found: Vec<String> = case_photos::table
        .filter(case_photos::case_id.eq_any(&case_ids))
        .filter(case_photos::position.eq(0))
        .select(case_photos::case_id)
        .load(conn)?;
    found.iter().map(|id| super::typed::stored_case_id(id)).collect()
}

/// The first photo the reporter attached to a case.
pub fn first_photo(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<Option<PhotoRow>> {
    let case_id = case_id.to_string();
    Ok(case_photos::table
        .inner_join(photos::table)
        .filter(case_photos::case_id.eq(&case_id))
        .order(case_photos::position)
        .select(PhotoRow::as_select())
        .first(conn)
        .optional()?)
}
