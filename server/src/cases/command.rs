//! Intake under emergency command (平战转换): which switch that is on catches a new report
//! ([`catching`], before the report is stored, so a drill report nothing catches is refused
//! instead of counted), and the `command_register` step that puts the stored case into the
//! command unit's queue ([`put_under_command`]), decided by core's state machine like every step
//! and recorded under the case's version with its event.
//!
//! The case keeps the level's limits (`emergency_cases`): its dispatch counts its deadline round
//! the clock ([`command_facts`]) also after the switch-off.

use chrono::{DateTime, Utc};
use gridline_core::codes::{CaseId, CategoryCode};
use gridline_core::emergency;
use gridline_core::workflow::{self, Action, CaseFacts, Provided, Role};
use serde_json::json;

use super::events;
use super::facts::{facts_for, state_of};
use super::report::{Filed, Submitter};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::routing::Placement;
use crate::store::emergencies::{self, EmergencyCaseRow, EmergencyRow};
use crate::store::{DbConnection, StoreError, StoreResult, cases};

/// The switch that is on and catches a report of `category` at `placement` (marked drill or
/// not). A drill report is accepted from staff only, and only where a drill catches it.
pub(super) async fn catching(
    state: &AppState,
    placement: &Placement,
    category: CategoryCode,
    drill: bool,
    submitter: &Submitter,
) -> ApiResult<Option<EmergencyRow>> {
    if drill && matches!(submitter.reporter_role.as_str(), "citizen" | "system") {
        return Err(ApiError::invalid_field("drill", "only staff file drill reports"));
    }
    let grid = placement.grid;
    let active = state.db.run(emergencies::active).await?;
    let found = active.into_iter().find(|row| match scope_of(row) {
        Ok(scope) => scope.catches(grid, &category.to_string(), drill),
        Err(e) => {
            tracing::warn!(emergency = %row.id, error = %e, "an emergency's stored scope does not read back");
            false
        }
    });
    if drill && found.is_none() {
        return Err(ApiError::new(
            ErrorKind::Unprocessable,
            "no_drill_here",
            "no emergency drill is on for this place and category; drill reports go to a drill only",
        )
        .with_field("drill"));
    }
    Ok(found)
}

/// The area, categories and drill flag of a stored switch.
pub fn scope_of(row: &EmergencyRow) -> StoreResult<emergency::Scope> {
    let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("emergency {what}: {e}"));
    let area = row.area_code;
    let categories: std::collections::BTreeSet<String> =
        serde_json::from_str(&row.categories).map_err(|e| corrupt("categories", e.to_string()))?;
    emergency::Scope::new(area, categories, row.drill).map_err(|e| corrupt("scope", e.to_string()))
}

/// Puts the newly stored case of `filed` under `emergency`'s command. When it cannot be (the
/// case changed meanwhile, or the database failed), the report stays the street office's, as in
/// peacetime: never lost, and said in the log.
pub(super) async fn put_under_command(state: &AppState, filed: &mut Filed, emergency: EmergencyRow) {
    let (id, now, calendar) = (filed.case.id, state.clock.now(), state.calendar.clone());
    let put = state.db.run(move |conn| command_register(conn, id, &emergency, now, &calendar)).await;
    match put {
        Ok(Some(version)) => {
            filed.case.state = workflow::CaseState::Registered;
            filed.case.version = version;
        }
        Ok(None) => tracing::warn!(case = %filed.case.id, "case changed before it went under command"),
        Err(e) => tracing::warn!(case = %filed.case.id, error = %e, "case not put under command"),
    }
}

/// The `command_register` step of case `id` under `emergency` at `now`; the case's new version,
/// or `None` when core refused or the case changed.
fn command_register(
    conn: &mut DbConnection,
    id: CaseId,
    emergency: &EmergencyRow,
    now: DateTime<Utc>,
    calendar: &gridline_core::calendar::WorkingCalendar,
) -> StoreResult<Option<i32>> {
    let Some(case) = cases::find_full(conn, id)? else { return Ok(None) };
    let limits = emergency::limits(emergency.level);
    let terms = EmergencyCaseRow {
        case_id: case.row.id,
        emergency_id: emergency.id.clone(),
        drill: emergency.drill,
        queued_at: now.naive_utc(),
        dispatch_minutes: i32::try_from(limits.dispatch_minutes).unwrap_or(i32::MAX),
        handle_minutes: i32::try_from(limits.handle_minutes).unwrap_or(i32::MAX),
    };
    let mut facts = facts_for(&case, None, now, 0)?;
    apply_terms(&mut facts, Some((&terms, emergency.state.as_str())));
    let none = Provided::default();
    let step = match workflow::take(
        state_of(&case)?,
        Action::CommandRegister,
        Role::System,
        &none,
        &facts,
        calendar,
    ) {
        Ok(step) => step,
        Err(refusal) => {
            tracing::warn!(case = %id, refusal = %refusal, "command_register refused");
            return Ok(None);
        }
    };
    let details = json!({
        "emergency_id": emergency.id,
        "level": emergency.level,
        "kind": emergency.kind,
        "command_unit": emergency.command_unit,
        "dispatch_minutes": limits.dispatch_minutes,
        "handle_minutes": limits.handle_minutes,
        "drill": emergency.drill,
    });
    let mut event = events::command_register(&case, &step, details, now);
    let change = super::step::change_of(&step, event.occurred_at);
    let put = emergencies::put_under_command(conn, &terms, case.row.version, &change, &mut event)?;
    Ok(put.then_some(case.row.version + 1))
}

/// Sets what the command terms of a case change in its facts: under command while its switch
/// is on, and its handling limit round the clock for good.
pub fn apply_terms(facts: &mut CaseFacts, terms: Option<(&EmergencyCaseRow, &str)>) {
    if let Some((terms, switch_state)) = terms {
        facts.under_command = switch_state == emergency::State::Active.as_str();
        facts.round_the_clock_minutes = u32::try_from(terms.handle_minutes).ok();
    }
}

/// The units on joint duty of the switch whose command `terms` a case came in under, as core's
/// default helpers read them; `None` when the switch is gone or names none.
pub fn joint_duty(
    conn: &mut DbConnection,
    terms: &EmergencyCaseRow,
) -> StoreResult<Option<emergency::JointDuty>> {
    let Some(row) = emergencies::find(conn, &terms.emergency_id)? else { return Ok(None) };
    let units = joint_units_of(&row)?;
    if units.is_empty() {
        return Ok(None);
    }
    Ok(Some(emergency::JointDuty {
        level: row.level,
        kind: row.kind,
        area: row.area_code.to_string(),
        emergency_id: row.id,
        units,
    }))
}

/// The units on joint duty of a stored switch.
pub fn joint_units_of(row: &EmergencyRow) -> StoreResult<Vec<String>> {
    serde_json::from_str(&row.joint_units)
        .map_err(|e| StoreError::Corrupt(format!("emergency joint units: {e}")))
}

/// The command terms of case `id` as [`apply_terms`] reads them.
pub fn command_facts(conn: &mut DbConnection, id: CaseId) -> StoreResult<Option<(EmergencyCaseRow, String)>> {
    emergencies::terms_of_case(conn, id)
}
