//! Deadlines: finding the cases past theirs, and flagging one overdue exactly once.
//!
//! The flag is set by a conditional UPDATE (`overdue = false`, the version read, the deadline
//! passed) that bumps the version; the events are inserted in the same transaction only when
//! that UPDATE hit the row. Two nodes scanning at once both try, one UPDATE matches and the
//! other finds the row already changed (PostgreSQL re-checks the WHERE clause after waiting for
//! the row lock; SQLite runs one writer at a time), so a case is escalated once.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridline_core::codes::CaseId;

use super::cases::{CaseRow, CaseWorkflow, FullCase};
use super::events::{self, EventRow};
use super::schema::cases;
use super::{DbConnection, StoreResult};

/// Cases in one of `states` whose deadline is at or before `now` and that are not flagged yet,
/// earliest deadline first; at most `limit`.
///
/// The candidates are read without an order and sorted here. A closed case keeps its deadline,
/// so nearly every case of a city's history has one in the past; asked for the first `limit`
/// by deadline, PostgreSQL walked the deadline index through all of them to find the few still
/// open (ten million cases: 5.5 s and 4.5 million buffers a scan, for none), where the
/// states' indexes find them directly (8 ms). `docs/benchmarks.md`, "Ten million cases on
/// PostgreSQL".
pub fn past_deadline(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    states: &[&str],
    limit: i64,
) -> StoreResult<Vec<FullCase>> {
    let mut due: Vec<(String, Option<NaiveDateTime>)> = cases::table
        .filter(cases::overdue.eq(false))
        .filter(cases::deadline.le(now))
        .filter(cases::state.eq_any(states))
        .select((cases::id, cases::deadline))
        .load(conn)?;
    due.sort_by(|(a_id, a_deadline), (b_id, b_deadline)| (a_deadline, a_id).cmp(&(b_deadline, b_id)));
    due.truncate(usize::try_from(limit).unwrap_or(0));
    let ids: Vec<&str> = due.iter().map(|(id, _)| id.as_str()).collect();
    let mut rows: Vec<(CaseRow, CaseWorkflow)> = cases::table
        .filter(cases::id.eq_any(&ids))
        .select((CaseRow::as_select(), CaseWorkflow::as_select()))
        .load(conn)?;
    // A UUID orders as its lowercase text does, so this is the order chosen above.
    rows.sort_by_key(|(row, workflow)| (workflow.deadline, row.id));
    Ok(rows.into_iter().map(|(row, workflow)| FullCase { row, workflow }).collect())
}

/// Flags the case overdue if it is still at `expected_version`, unflagged and past its deadline
/// at `now`, and then inserts `events` in order. `false`: someone else got there first (another
/// node's scan, or a step that changed the case), and nothing was written.
pub fn mark_overdue(
    conn: &mut DbConnection,
    case_id: CaseId,
    expected_version: i32,
    now: NaiveDateTime,
    events: &mut [EventRow],
) -> StoreResult<bool> {
    let case_id = case_id.to_string();
    let marked = super::write_transaction(conn, |conn| {
        let updated = diesel::update(
            cases::table
                .filter(cases::id.eq(&case_id))
                .filter(cases::version.eq(expected_version))
                .filter(cases::overdue.eq(false))
                .filter(cases::deadline.le(now)),
        )
        .set((cases::overdue.eq(true), cases::version.eq(expected_version + 1), cases::updated_at.eq(now)))
        .execute(conn)?;
        if updated == 0 {
            return Ok(false);
        }
        for event in events.iter_mut() {
            events::insert(conn, event)?;
        }
        Ok::<_, diesel::result::Error>(true)
    })?;
    Ok(marked)
}
