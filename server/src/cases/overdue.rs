//! The overdue steps of one case: `mark_overdue`, then `escalate`, both taken by the `system`
//! role as core decides them, with their two events. The overdue job ([`crate::jobs::overdue`])
//! finds the cases and writes the result.

use chrono::{DateTime, Utc};
use gridline_core::calendar::WorkingCalendar;
use gridline_core::workflow::{self, Action, Provided, Role};

use super::events;
use super::facts::{facts_for, state_of};
use crate::store::StoreResult;
use crate::store::cases::FullCase;
use crate::store::events::EventRow;

/// The `mark_overdue` and `escalate` events for `case` at `now`, or `None` when core refuses (a
/// case whose deadline has not passed, or that is flagged already).
pub fn escalation(
    case: &FullCase,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> StoreResult<Option<Vec<EventRow>>> {
    let mut facts = facts_for(case, None, now, 0)?;
    let none = Provided::default();
    let Ok(marked) =
        workflow::take(state_of(case)?, Action::MarkOverdue, Role::System, &none, &facts, calendar)
    else {
        return Ok(None);
    };
    facts.overdue = marked.overdue.unwrap_or(facts.overdue);
    let Ok(escalated) = workflow::take(marked.to(), Action::Escalate, Role::System, &none, &facts, calendar)
    else {
        return Ok(None);
    };
    Ok(Some(events::overdue(case, &marked, &escalated, now)))
}
