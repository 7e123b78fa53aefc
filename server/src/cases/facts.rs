//! The facts of a stored case as core's workflow reads them, built in one place
//! ([`facts_for`]) against the server's clock, so a case read (`available_actions`) and a step
//! on it (`take_step`) always agree on what may be done. Also who may touch a case at all
//! ([`in_scope`]), which is the server's authorization, not a workflow rule.

use chrono::{DateTime, Utc};
use gridline_core::calendar::{TimeLimit, WorkingCalendar};
use gridline_core::workflow::{self, Action, CaseFacts, CaseRecord, CaseState, Refusal, Role};

use crate::auth::{CaseVisibility, Principal};
use crate::store::cases::{CaseRow, FullCase};
use crate::store::{StoreError, StoreResult};

/// The facts that decide who may see a stored case.
pub fn visibility(case: &CaseRow) -> CaseVisibility<'_> {
    CaseVisibility {
        grid: case.grid_code,
        handling_unit: case.handling_unit.as_deref(),
        reporter: case.reporter_id.as_deref(),
        triage_street: match case.grid_code {
            Some(_) => None,
            None => case.street_code.as_deref().and_then(|s| gridline_core::codes::AreaCode::parse(s).ok()),
        },
        verifier: case.verifier_id.as_deref(),
    }
}

/// Whether `who` may act on `case` at all (before the workflow's own rules): a citizen only on
/// the cases they reported, staff on the cases their scope holds.
pub fn in_scope(who: &Principal, case: &FullCase) -> bool {
    if who.role == Role::Citizen {
        return case.row.reporter_id.as_deref() == Some(who.user_id.as_str());
    }
    who.can_see_case(&visibility(&case.row))
}

/// The case's state (parsed when its row was read).
pub fn state_of(case: &FullCase) -> StoreResult<CaseState> {
    Ok(case.row.state)
}

/// The case's handling time limit, parsed from its row.
fn time_limit_of(case: &FullCase) -> StoreResult<Option<TimeLimit>> {
    case.row
        .handling_time_limit
        .as_deref()
        .map(|limit| limit.parse().map_err(|e| StoreError::Corrupt(format!("handling time limit: {e}"))))
        .transpose()
}

/// The facts of `case` at `now` for the actor `actor_id` (`None`: the system), with the number
/// of extensions it had so far. The only place the server builds [`CaseFacts`].
pub fn facts_for(
    case: &FullCase,
    actor_id: Option<&str>,
    now: DateTime<Utc>,
    extensions: u32,
) -> StoreResult<CaseFacts> {
    let record = CaseRecord {
        deadline: case.workflow.deadline.map(|d| d.and_utc()),
        overdue: case.workflow.overdue,
        rated: case.workflow.rating.is_some(),
        time_limit: time_limit_of(case)?,
        extensions,
        called_back: case.workflow.called_back_at.is_some(),
        // Read by the step and the emergency intake that need them (`cases::command`).
        under_command: false,
        round_the_clock_minutes: None,
        confirm_requested: case.workflow.confirm_requested_at.is_some(),
    };
    let is_reporter = actor_id.is_some_and(|id| case.row.reporter_id.as_deref() == Some(id));
    Ok(CaseFacts::new(record, is_reporter, now))
}

/// The steps `who` may take on `case` at `now`, as core decides them; none outside their scope.
pub fn available_actions(case: &FullCase, who: &Principal, now: DateTime<Utc>) -> Vec<Action> {
    if !in_scope(who, case) {
        return Vec::new();
    }
    let (Ok(state), Ok(facts)) = (state_of(case), facts_for(case, Some(&who.user_id), now, 0)) else {
        return Vec::new();
    };
    workflow::available_actions_given(state, who.role, &facts)
}

/// The helper parts a dispatch of `case` at `now` that names none would add: the units on joint
/// duty of the command it is under, as core decides (the lead, not chosen yet, left out at the
/// dispatch itself).
pub fn default_helpers(
    case: &FullCase,
    command: Option<&(crate::store::emergencies::EmergencyCaseRow, String)>,
    duty: Option<&gridline_core::emergency::JointDuty>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<gridline_core::workflow::parts::HelperPartRequest>> {
    let mut facts = facts_for(case, None, now, 0)?;
    super::command::apply_terms(&mut facts, command.map(|(terms, on)| (terms, on.as_str())));
    Ok(gridline_core::emergency::dispatch_helpers(Action::Dispatch, None, duty, &facts, None))
}

/// The deadline a dispatch of `case` at `now` would get (`None` without a time limit), so whoever
/// may dispatch sees it before choosing to. Core computes it exactly as the dispatch will.
pub fn dispatch_deadline(
    case: &FullCase,
    command: Option<&(crate::store::emergencies::EmergencyCaseRow, String)>,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> StoreResult<Result<Option<DateTime<Utc>>, Refusal>> {
    let mut facts = facts_for(case, None, now, 0)?;
    // Under command the limit runs round the clock, as the dispatch itself will count it.
    super::command::apply_terms(&mut facts, command.map(|(terms, on)| (terms, on.as_str())));
    Ok(workflow::dispatch_deadline(&facts, calendar))
}
