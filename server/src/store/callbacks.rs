//! Call-back tasks (回访): which closed cases an operator should call the reporter of, and
//! what the reporter answered.
//!
//! [`follow`] runs in the transaction of every event insert: a closing (`verify_pass`, `close`)
//! of a case its reporter can be called about (a citizen's own report, not anonymous, from an
//! account with a phone number) opens a task; a `call_back` completes the case's open task
//! with its answer. [`open_in_scope`] and [`done_in_scope`] are the operators' and the street
//! office's lists.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridline_core::codes::CaseId;
use gridline_core::workflow::{Action, Role};

use super::case_list::CaseFilter;
use super::cases::{CaseRow, CaseWorkflow, FullCase};
use super::events::EventRow;
use super::schema::{callback_tasks, cases, users};
use super::{DbConnection, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = callback_tasks)]
#[diesel(treat_none_as_default_value = false)]
pub struct CallbackTaskRow {
    pub closing_event_id: String,
    /// Parsed once, when the row is read: a stored id that is not a case id fails the read.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    pub closed_at: NaiveDateTime,
    pub call_back_event_id: Option<String>,
    pub satisfaction: Option<String>,
    pub called_back_at: Option<NaiveDateTime>,
    /// The reporter's answer to "is the problem solved?", when asked.
    pub resolved: Option<bool>,
}

/// The steps that close a case.
const CLOSINGS: &[Action] = &[Action::VerifyPass, Action::Close];

fn is(event: &EventRow, action: Action) -> bool {
    event.kind == action.as_str()
}

/// Opens or completes call-back tasks for `events` (inside their transaction).
pub fn follow(conn: &mut DbConnection, events: &[EventRow]) -> QueryResult<()> {
    for event in events {
        if CLOSINGS.iter().any(|a| is(event, *a)) && can_be_called(conn, &event.case_id.to_string())? {
            let task = CallbackTaskRow {
                closing_event_id: event.id.clone(),
                case_id: event.case_id,
                closed_at: event.occurred_at,
                call_back_event_id: None,
                satisfaction: None,
                called_back_at: None,
                resolved: None,
            };
            diesel::insert_into(callback_tasks::table).values(task).execute(conn)?;
        } else if is(event, Action::CallBack) {
            let details = serde_json::from_str::<serde_json::Value>(&event.details).unwrap_or_default();
            let satisfaction = details["satisfaction"].as_str().map(str::to_owned);
            let resolved = details["resolved"].as_bool();
            diesel::update(
                callback_tasks::table
                    .filter(callback_tasks::case_id.eq(event.case_id.to_string()))
                    .filter(callback_tasks::called_back_at.is_null()),
            )
            .set((
                callback_tasks::call_back_event_id.eq(Some(&event.id)),
                callback_tasks::satisfaction.eq(satisfaction),
                callback_tasks::called_back_at.eq(Some(event.occurred_at)),
                callback_tasks::resolved.eq(resolved),
            ))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Whether an operator can call the reporter of `case_id`: a citizen's own report, not
/// anonymous, from an account with a phone number.
fn can_be_called(conn: &mut DbConnection, case_id: &str) -> QueryResult<bool> {
    let found: Option<(Option<String>, Option<String>, bool)> = cases::table
        .find(case_id)
        .select((cases::reporter_id, cases::reporter_role, cases::anonymous))
        .first(conn)
        .optional()?;
    let Some((Some(reporter), Some(role), false)) = found else { return Ok(false) };
    if role != Role::Citizen.as_str() {
        return Ok(false);
    }
    let phone: Option<Option<String>> =
        users::table.find(reporter).select(users::phone_sealed).first(conn).optional()?;
    Ok(phone.flatten().is_some())
}

/// A task with its case.
pub type TaskAndCase = (CallbackTaskRow, FullCase);

/// Call-backs still to make on closed cases `scope` admits, oldest closing first.
pub fn open_in_scope(
    conn: &mut DbConnection,
    scope: &CaseFilter,
    limit: i64,
) -> StoreResult<Vec<TaskAndCase>> {
    let query = callback_tasks::table
        .inner_join(cases::table)
        .filter(callback_tasks::called_back_at.is_null())
        .filter(cases::state.eq(gridline_core::workflow::CaseState::Closed.as_str()))
        .order((callback_tasks::closed_at, callback_tasks::closing_event_id))
        .limit(limit)
        .select((CallbackTaskRow::as_select(), CaseRow::as_select(), CaseWorkflow::as_select()))
        .into_boxed();
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok(Vec::new()) };
    let rows: Vec<(CallbackTaskRow, CaseRow, CaseWorkflow)> = query.load(conn)?;
    Ok(rows.into_iter().map(|(task, row, workflow)| (task, FullCase { row, workflow })).collect())
}

/// Call-backs made on cases `scope` admits, newest first; only those answered `satisfaction`
/// when given (the street office's list of dissatisfied reporters to decide on).
pub fn done_in_scope(
    conn: &mut DbConnection,
    scope: &CaseFilter,
    satisfaction: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<TaskAndCase>> {
    let mut query = callback_tasks::table
        .inner_join(cases::table)
        .filter(callback_tasks::called_back_at.is_not_null())
        .order((callback_tasks::called_back_at.desc(), callback_tasks::closing_event_id.desc()))
        .limit(limit)
        .select((CallbackTaskRow::as_select(), CaseRow::as_select(), CaseWorkflow::as_select()))
        .into_boxed();
    if let Some(satisfaction) = satisfaction {
        query = query.filter(callback_tasks::satisfaction.eq(satisfaction.to_owned()));
    }
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok(Vec::new()) };
    let rows: Vec<(CallbackTaskRow, CaseRow, CaseWorkflow)> = query.load(conn)?;
    Ok(rows.into_iter().map(|(task, row, workflow)| (task, FullCase { row, workflow })).collect())
}
