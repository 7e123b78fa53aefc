//! [`Step`]: the complete outcome of an allowed action — the next state and every change to
//! the case record — worked out by [`super::take`] from the transition's [`Effect`]s, what the
//! actor supplied and the facts of the case. The server writes exactly this and decides
//! nothing of its own; in particular a dispatch's deadline is always computed here from the
//! case's handling time limit on the working calendar, never taken from the caller.

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use super::dispute::DisputeChange;
use super::dispute::{self, Decision};
use super::{Action, CaseFacts, CaseState, Effect, Provided, Refusal, Transition};
use crate::calendar::{TimeLimit, WorkingCalendar};
use crate::geo::GeoPoint;

/// A change to one nullable field of the case record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "change", content = "value")]
pub enum Change<T> {
    /// Left as it is.
    Keep,
    /// Set to this value.
    Set(T),
    /// Cleared.
    Clear,
}

impl<T> Change<T> {
    /// The change as an update of a nullable column: `None` leaves it, `Some(None)` clears it.
    pub fn into_update(self) -> Option<Option<T>> {
        match self {
            Change::Keep => None,
            Change::Set(value) => Some(Some(value)),
            Change::Clear => Some(None),
        }
    }
}

/// Where a new deadline comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "source")]
pub enum DeadlineSource {
    /// The case's handling time limit counted on the working calendar from the step.
    Computed { limit: TimeLimit },
    /// An extension (延期) by the street office, with its reason; `number` counts the case's
    /// extensions, this one included.
    Extension { reason: String, number: u32 },
    /// An emergency case's limit (平战转换), counted on a 24/7 clock from the step.
    RoundTheClock { minutes: u32 },
}

/// What the step does to the deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum DeadlineChange {
    Keep,
    Set { due: DateTime<Utc>, source: DeadlineSource },
    Clear,
}

impl DeadlineChange {
    /// The new deadline, when the step sets one.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        match self {
            DeadlineChange::Set { due, .. } => Some(*due),
            DeadlineChange::Keep | DeadlineChange::Clear => None,
        }
    }
}

/// An allowed action with everything it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// From, action, role, to, and the rule's needs, conditions and effects.
    pub transition: Transition,
    pub deadline: DeadlineChange,
    pub handling_unit: Change<String>,
    /// The case this one is a duplicate of.
    pub merged_into: Change<crate::codes::CaseId>,
    /// `Some(flag)` sets the overdue flag; `None` leaves it.
    pub overdue: Option<bool>,
    /// The reporter's rating, when the step records one.
    pub rating: Option<u8>,
    /// The call-back's answer, when the step records one.
    pub satisfaction: Option<super::callback::Satisfaction>,
    /// The call-back's "is it solved?" answer, when the step records one and it was given.
    pub resolved: Option<bool>,
    /// `Some(true)`: the step is the call-back of the case's last closure; `Some(false)`: the
    /// step closes the case again, so a new call-back is due; `None` leaves it.
    pub called_back: Option<bool>,
    /// The case's new position (WGS-84), when the step moves it; the server routes it again.
    pub place: Option<GeoPoint>,
    /// Whether the case counts as open after the step ([`CaseState::counts_as_open`]).
    pub open: bool,
    /// `Some(parts)`: every open helper part is withdrawn and these are created (joint
    /// handling, [`super::parts`]); `None` leaves the parts.
    pub helper_parts: Option<Vec<super::parts::PlannedPart>>,
    /// What the step does to a dispute of the assignment ([`super::dispute`]).
    pub dispute: DisputeChange,
    /// `Some(bounces)`: the step bounced the case past the limit; it is flagged to the district.
    pub flags_district: Option<u32>,
    /// `Some(true)` opens a request to confirm the report on site (核实), `Some(false)` ends an
    /// open one (answered, or the case left `reported`); `None` leaves it.
    pub confirm_request: Option<bool>,
    /// The inspector account the verification is given to (指派核查).
    pub verifier: Change<String>,
}

impl Step {
    pub fn to(&self) -> CaseState {
        self.transition.to
    }
}

/// Works out every change of an allowed, checked `transition`.
pub(super) fn resolve(
    transition: Transition,
    provided: &Provided<'_>,
    facts: &CaseFacts,
    calendar: &WorkingCalendar,
) -> Result<Step, Refusal> {
    // A request to confirm is about a report: it ends when the case stops being one.
    let ends_request = facts.confirm_requested
        && transition.from == CaseState::Reported
        && transition.to != CaseState::Reported;
    // Each closure (from a state other than closed) is called back on its own.
    let closes_again = transition.to == CaseState::Closed && transition.from != CaseState::Closed;
    let mut step = Step {
        open: transition.to.counts_as_open(),
        transition,
        deadline: DeadlineChange::Keep,
        handling_unit: Change::Keep,
        merged_into: Change::Keep,
        overdue: None,
        rating: None,
        satisfaction: None,
        resolved: None,
        called_back: closes_again.then_some(false),
        helper_parts: None,
        dispute: DisputeChange::Keep,
        flags_district: None,
        place: None,
        confirm_request: ends_request.then_some(false),
        verifier: Change::Keep,
    };
    for effect in step.transition.effects {
        match effect {
            Effect::SetsDeadline => {
                step.deadline = computed_deadline(facts, calendar)?;
                step.overdue = Some(false);
            }
            Effect::ExtendsDeadline => {
                step.deadline = extension(provided, facts);
                step.overdue = Some(false);
            }
            Effect::ClearsDeadline => {
                step.deadline = DeadlineChange::Clear;
                step.overdue = Some(false);
            }
            Effect::SetsHandlingUnit => step.handling_unit = set(provided.handling_unit),
            Effect::ClearsHandlingUnit => step.handling_unit = Change::Clear,
            Effect::SetsMergeLink => {
                step.merged_into = provided.merge_target.map_or(Change::Keep, Change::Set)
            }
            Effect::ClearsMergeLink => step.merged_into = Change::Clear,
            Effect::MarksOverdue => step.overdue = Some(true),
            Effect::RecordsRating => step.rating = provided.rating,
            Effect::RecordsCallBack => {
                step.satisfaction = provided.satisfaction;
                step.resolved = provided.resolved;
                step.called_back = Some(true);
            }
            Effect::SetsHelperParts => {
                let lead = provided.handling_unit;
                step.helper_parts =
                    Some(super::parts::plan_helpers(lead, provided.helpers, facts, calendar)?);
            }
            Effect::WithdrawsHelperParts => step.helper_parts = Some(Vec::new()),
            Effect::RaisesDispute => {
                step.dispute = DisputeChange::Raise { decide_by: dispute::decide_by(facts.now, calendar) };
            }
            Effect::DecidesDispute => {
                let decision = if step.transition.action == Action::Reassign {
                    Decision::Reassigned
                } else {
                    Decision::Upheld
                };
                step.dispute =
                    DisputeChange::Decide { decision, late: facts.dispute.arbiter_late(facts.now) };
            }
            Effect::EscalatesDispute => step.dispute = DisputeChange::Escalate,
            Effect::CountsBounce => step.flags_district = dispute::flag_after_bounce(&facts.dispute),
            Effect::SetsPlace => step.place = provided.position,
            Effect::RequestsConfirm => step.confirm_request = Some(true),
            Effect::AnswersConfirm => step.confirm_request = facts.confirm_requested.then_some(false),
            Effect::SetsVerifier => step.verifier = set(provided.inspector),
            Effect::CountsExtension | Effect::CountsRework | Effect::Escalates => {}
        }
    }
    Ok(step)
}

fn set(value: Option<&str>) -> Change<String> {
    value.map_or(Change::Keep, |v| Change::Set(v.to_owned()))
}

/// The deadline a dispatch at `facts.now` sets: the case's time limit on `calendar`; `None` for
/// a case without a limit. What a street office is shown before it dispatches.
pub fn dispatch_deadline(
    facts: &CaseFacts,
    calendar: &WorkingCalendar,
) -> Result<Option<DateTime<Utc>>, Refusal> {
    Ok(computed_deadline(facts, calendar)?.due())
}

/// The deadline of a dispatch at `facts.now`; cleared for a case without a time limit.
fn computed_deadline(facts: &CaseFacts, calendar: &WorkingCalendar) -> Result<DeadlineChange, Refusal> {
    let peacetime = match facts.time_limit {
        Some(limit) => Some((
            calendar
                .deadline(facts.now, limit)
                .map_err(|e| Refusal::NoWorkingCalendar { reason: e.to_string() })?,
            limit,
        )),
        None => None,
    };
    // Emergency mode shrinks the limit: the level's, round the clock, unless the category's own
    // working-time limit falls due even sooner.
    if let Some(minutes) = facts.round_the_clock_minutes {
        let due = facts.now + chrono::Duration::minutes(i64::from(minutes));
        if peacetime.is_none_or(|(sooner, _)| due <= sooner) {
            return Ok(DeadlineChange::Set { due, source: DeadlineSource::RoundTheClock { minutes } });
        }
    }
    Ok(match peacetime {
        Some((due, limit)) => DeadlineChange::Set { due, source: DeadlineSource::Computed { limit } },
        None => DeadlineChange::Clear,
    })
}

/// The extension the checks of `take` already admitted (a reason and a later deadline).
fn extension(provided: &Provided<'_>, facts: &CaseFacts) -> DeadlineChange {
    match provided.new_deadline {
        Some(due) => DeadlineChange::Set {
            due,
            source: DeadlineSource::Extension {
                reason: provided.reason.unwrap_or_default().trim().to_owned(),
                number: facts.extensions.saturating_add(1),
            },
        },
        None => DeadlineChange::Keep,
    }
}
