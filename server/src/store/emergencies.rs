//! The rows of emergency mode (平战转换): the switches (`emergencies`), the command decisions on
//! them (`emergency_decisions`: switch-on, switch-off; the case steps stay in `case_events`), and
//! the cases that came in under command (`emergency_cases`) with the limits they keep. The rules
//! are core's (`gridline_core::emergency`); the service is `crate::emergency`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridline_core::codes::{AreaCode, CaseId};
use gridline_core::emergency::{Kind, Level, State};
use gridline_core::workflow::{CaseState, Role};

use super::cases::{CaseRow, CaseWorkflow, FullCase};
use super::events::EventRow;
use super::schema::{case_events, cases, emergencies, emergency_cases, emergency_decisions, users};
use super::{DbConnection, StoreResult};

/// Most switches one list answer holds.
pub const MAX_LISTED: i64 = 200;

/// Most decisions the incident view's timeline shows.
pub const MAX_TIMELINE: usize = 200;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = emergencies)]
#[diesel(treat_none_as_default_value = false)]
pub struct EmergencyRow {
    pub id: String,
    /// Parsed once, when the row is read, like the level, kind and state: a stored text core
    /// does not accept fails the read.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub area_code: AreaCode,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub level: Level,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: Kind,
    /// A JSON array of category codes.
    pub categories: String,
    pub commander_id: String,
    pub command_unit: String,
    pub drill: bool,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: State,
    pub version: i32,
    pub started_at: NaiveDateTime,
    pub started_by: String,
    pub ended_at: Option<NaiveDateTime>,
    pub ended_by: Option<String>,
    /// A JSON array of the unit codes on joint duty (联合值守).
    pub joint_units: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = emergency_decisions)]
#[diesel(treat_none_as_default_value = false)]
pub struct DecisionRow {
    pub id: String,
    pub emergency_id: String,
    pub kind: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = emergency_cases)]
pub struct EmergencyCaseRow {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    pub emergency_id: String,
    pub drill: bool,
    pub queued_at: NaiveDateTime,
    pub dispatch_minutes: i32,
    pub handle_minutes: i32,
}

/// Inserts a switch and its switch-on decision. `Ok(false)`: a switch of the same area and
/// drill flag is on already (the unique index decided, so two admins cannot both switch).
pub fn insert(conn: &mut DbConnection, row: &EmergencyRow, decision: &DecisionRow) -> StoreResult<bool> {
    let inserted = super::write_transaction(conn, |conn| {
        match diesel::insert_into(emergencies::table).values(row.clone()).execute(conn) {
            Err(e) if super::is_unique_violation(&e) => return Err(NotWritten::Refused),
            other => other?,
        };
        diesel::insert_into(emergency_decisions::table).values(decision).execute(conn)?;
        Ok(())
    });
    written(inserted)
}

pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<EmergencyRow>> {
    Ok(emergencies::table.find(id).select(EmergencyRow::as_select()).first(conn).optional()?)
}

/// The switches that are on.
pub fn active(conn: &mut DbConnection) -> StoreResult<Vec<EmergencyRow>> {
    Ok(emergencies::table
        .filter(emergencies::state.eq(State::Active.as_str()))
        .order(emergencies::started_at.asc())
        .select(EmergencyRow::as_select())
        .load(conn)?)
}

/// The newest switches first, on or ended.
pub fn newest(conn: &mut DbConnection) -> StoreResult<Vec<EmergencyRow>> {
    Ok(emergencies::table
        .order((emergencies::started_at.desc(), emergencies::id.desc()))
        .limit(MAX_LISTED)
        .select(EmergencyRow::as_select())
        .load(conn)?)
}

/// Ends the switch if it is still at `expected_version`, with its decision. `Ok(false)`: stale.
pub fn end(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i32,
    decision: &DecisionRow,
) -> StoreResult<bool> {
    let ended = super::write_transaction(conn, |conn| {
        let updated = diesel::update(
            emergencies::table
                .filter(emergencies::id.eq(id))
                .filter(emergencies::version.eq(expected_version))
                .filter(emergencies::state.eq(State::Active.as_str())),
        )
        .set((
            emergencies::state.eq(State::Ended.as_str()),
            emergencies::version.eq(expected_version + 1),
            emergencies::ended_at.eq(Some(decision.occurred_at)),
            emergencies::ended_by.eq(decision.actor_id.clone()),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Ok(false);
        }
        diesel::insert_into(emergency_decisions::table).values(decision).execute(conn)?;
        Ok::<_, diesel::result::Error>(true)
    })?;
    Ok(ended)
}

pub fn decisions(conn: &mut DbConnection, id: &str) -> StoreResult<Vec<DecisionRow>> {
    Ok(emergency_decisions::table
        .filter(emergency_decisions::emergency_id.eq(id))
        .order(emergency_decisions::occurred_at.asc())
        .select(DecisionRow::as_select())
        .load(conn)?)
}

/// The command terms of a case, when it came in under command, with its switch's state.
pub fn terms_of_case(
    conn: &mut DbConnection,
    case_id: CaseId,
) -> StoreResult<Option<(EmergencyCaseRow, String)>> {
    let Some(terms) = emergency_cases::table
        .find(case_id.to_string())
        .select(EmergencyCaseRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let state = emergencies::table
        .find(&terms.emergency_id)
        .select(emergencies::state)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_default();
    Ok(Some((terms, state)))
}

/// Why a transaction wrote nothing: refused by the database's own check (a unique index, a
/// version guard), or failed.
#[derive(Debug)]
enum NotWritten {
    Refused,
    Store(super::StoreError),
}

impl From<diesel::result::Error> for NotWritten {
    fn from(e: diesel::result::Error) -> Self {
        NotWritten::Store(e.into())
    }
}

/// `Ok(true)` when written, `Ok(false)` when refused (everything rolled back).
fn written(outcome: Result<(), NotWritten>) -> StoreResult<bool> {
    match outcome {
        Ok(()) => Ok(true),
        Err(NotWritten::Refused) => Ok(false),
        Err(NotWritten::Store(e)) => Err(e),
    }
}

/// Puts a case under command: its terms, then the `command_register` step (applied under the
/// case's version, with its event), in one transaction. `Ok(false)`: the case changed meanwhile.
pub fn put_under_command(
    conn: &mut DbConnection,
    terms: &EmergencyCaseRow,
    expected_version: i32,
    change: &super::cases::CaseChange,
    event: &mut EventRow,
) -> StoreResult<bool> {
    let recorded = super::write_transaction(conn, |conn| {
        diesel::insert_into(emergency_cases::table).values(terms.clone()).execute(conn)?;
        if terms.drill {
            // A drill's case leaves the per-day summaries (which still name cases by their
            // text), like the statistics.
            super::summaries::forget_case(conn, &terms.case_id.to_string())?;
            super::rollups::forget_case(conn, terms.case_id)?;
        }
        match super::cases::record_step(conn, terms.case_id, expected_version, change, event) {
            Ok(super::cases::StepOutcome::Recorded { .. }) => Ok(()),
            Ok(super::cases::StepOutcome::Stale) => Err(NotWritten::Refused),
            Err(e) => Err(NotWritten::Store(e)),
        }
    });
    written(recorded)
}

/// The cases of a switch with their terms, oldest in the queue first.
pub fn cases_of(conn: &mut DbConnection, id: &str) -> StoreResult<Vec<(EmergencyCaseRow, FullCase)>> {
    let rows: Vec<(EmergencyCaseRow, CaseRow, CaseWorkflow)> = emergency_cases::table
        .inner_join(cases::table)
        .filter(emergency_cases::emergency_id.eq(id))
        .order((emergency_cases::queued_at.asc(), emergency_cases::case_id.asc()))
        .select((EmergencyCaseRow::as_select(), CaseRow::as_select(), CaseWorkflow::as_select()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(terms, row, workflow)| (terms, FullCase { row, workflow })).collect())
}

/// Every event of the switch's cases, in order.
pub fn events_of(conn: &mut DbConnection, id: &str) -> StoreResult<Vec<EventRow>> {
    let ids =
        emergency_cases::table.filter(emergency_cases::emergency_id.eq(id)).select(emergency_cases::case_id);
    Ok(case_events::table
        .filter(case_events::case_id.eq_any(ids))
        .order(case_events::seq.asc())
        .select(EventRow::as_select())
        .load(conn)?)
}

/// How many active handler accounts each of `units` has: its supervisors.
pub fn supervisors(conn: &mut DbConnection, unit: &str) -> StoreResult<u32> {
    let scope = serde_json::json!({ "kind": "unit", "unit": unit }).to_string();
    let count: i64 = users::table
        .filter(users::role.eq(Role::Handler.as_str()))
        .filter(users::disabled.eq(false))
        .filter(users::scope.eq(scope))
        .count()
        .get_result(conn)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// The role, scope (as stored) and disabled flag of an account.
pub fn account(conn: &mut DbConnection, id: &str) -> StoreResult<Option<(String, String, bool)>> {
    Ok(users::table.find(id).select((users::role, users::scope, users::disabled)).first(conn).optional()?)
}

/// Whether a case in `state` still waits in the command queue.
pub fn waits_in_queue(state: CaseState) -> bool {
    state == CaseState::Registered
}
