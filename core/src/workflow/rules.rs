//! The rule tables of the case workflow: who may take each action, from which states it leads
//! where, what it needs, and the checks of [`take`] against what was supplied and the case.

use super::{
    Action, CaseFacts, CaseState, Condition, Effect, Needs, Provided, Refusal, Role, Step, Transition,
};
use crate::calendar::WorkingCalendar;

use Action as A;
use CaseState as S;

/// The street office's steps, also open to the admins above it; the server keeps each to the
/// cases of the actor's scope (a district admin's district).
const STREET_OFFICE: &[Role] = &[Role::Dispatcher, Role::Admin, Role::DistrictAdmin];

/// The roles that may take `action` at all (from some state).
pub(super) fn roles_for(action: Action) -> &'static [Role] {
    match action {
        A::Register
        | A::Reject
        | A::Dispatch
        | A::Extend
        | A::Shelve
        | A::Unshelve
        | A::Merge
        | A::Close
        | A::Reopen
        | A::Uphold
        | A::Reassign
        | A::Relocate
        | A::AssignVerifier
        | A::RequestConfirm => STREET_OFFICE,
        A::Accept | A::SendBack | A::MarkHandled | A::Dispute => &[Role::Handler],
        A::VerifyPass | A::VerifyFail | A::Confirm | A::Deny => &[Role::Inspector],
        A::Rate => &[Role::Citizen],
        A::MarkOverdue | A::Escalate | A::EscalateDispute | A::CommandRegister | A::SensorClose => {
            &[Role::System]
        }
        A::CallBack | A::Answer | A::Transfer => &[Role::Operator],
    }
}

/// Where `action` leads from `state`, or `None` when it does not apply there.
fn next_state(state: CaseState, action: Action) -> Option<CaseState> {
    let to = match (action, state) {
        (A::Register, S::Reported) => S::Registered,
        (A::Reject, S::Reported) => S::Rejected,
        (A::Dispatch, S::Registered | S::Dispatched) => S::Dispatched,
        (A::Accept, S::Dispatched) => S::InProgress,
        (A::SendBack, S::Dispatched) => S::Registered,
        (A::MarkHandled, S::InProgress) => S::Handled,
        (A::VerifyPass, S::Handled) => S::Closed,
        (A::VerifyFail, S::Handled) => S::Dispatched,
        (A::Confirm | A::Deny | A::RequestConfirm, S::Reported) => S::Reported,
        (A::Shelve, S::Registered | S::Dispatched | S::InProgress) => S::Shelved,
        (A::Unshelve, S::Shelved) => S::Registered,
        (A::Merge, S::Reported | S::Registered) => S::Merged,
        (A::Close, S::Handled | S::Shelved) => S::Closed,
        (A::Reopen, S::Closed) => S::Registered,
        (A::Reopen, S::Rejected | S::Merged) => S::Reported,
        (A::Rate, S::Closed) => S::Closed,
        (A::CallBack, S::Closed) => S::Closed,
        (A::CommandRegister, S::Reported) => S::Registered,
        (A::Answer | A::Transfer, S::Reported) => S::Closed,
        (A::Relocate, S::Reported | S::Registered) => state,
        (A::AssignVerifier, S::Handled) => state,
        (
            A::SensorClose,
            S::Reported | S::Registered | S::Dispatched | S::InProgress | S::Handled | S::Shelved,
        ) => S::Closed,
        (A::Extend | A::MarkOverdue | A::Escalate, S::Dispatched | S::InProgress) => state,
        // A dispute is a fact about the assignment, decided before the unit accepts.
        (A::Dispute | A::Uphold | A::Reassign | A::EscalateDispute, S::Dispatched) => state,
        _ => return None,
    };
    Some(to)
}

/// The states from which `action` applies, in declaration order.
pub(super) fn states_for(action: Action) -> Vec<CaseState> {
    CaseState::ALL.iter().copied().filter(|s| next_state(*s, action).is_some()).collect()
}

/// What `action` must carry before the server records it, whatever the state: what a client
/// builds its form for a step from.
pub fn needs(action: Action) -> Needs {
    let none = Needs::default();
    match action {
        A::Register | A::Accept | A::Unshelve | A::MarkOverdue | A::Escalate | A::CommandRegister => none,
        A::SensorClose => none,
        A::Uphold | A::EscalateDispute | A::RequestConfirm => none,
        A::Reject | A::SendBack | A::Shelve | A::Close | A::Reopen | A::Answer | A::Transfer | A::Dispute => {
            Needs { reason: true, ..none }
        }
        A::Dispatch | A::Reassign => Needs { handling_unit: true, ..none },
        A::MarkHandled => Needs { photo: true, ..none },
        A::VerifyPass | A::Confirm => Needs { photo: true, position: true, ..none },
        A::VerifyFail | A::Deny => Needs { reason: true, photo: true, position: true, ..none },
        A::Extend => Needs { reason: true, new_deadline: true, ..none },
        A::Merge => Needs { merge_target: true, ..none },
        A::Rate => Needs { rating: true, ..none },
        A::CallBack => Needs { satisfaction: true, ..none },
        A::Relocate => Needs { reason: true, position: true, ..none },
        A::AssignVerifier => Needs { inspector: true, ..none },
    }
}

fn conditions(action: Action) -> &'static [Condition] {
    match action {
        A::Rate => &[Condition::ReporterOnly, Condition::NotYetRated],
        A::MarkOverdue => &[Condition::DeadlinePassed, Condition::NotYetOverdue],
        A::Escalate => &[Condition::Overdue],
        A::CallBack => &[Condition::NotYetCalledBack],
        A::CommandRegister => &[Condition::UnderCommand],
        A::MarkHandled => &[Condition::HelperPartsSettled],
        // While the arbiter decides, the case stays where it is: the decision moves it.
        A::Accept | A::SendBack | A::Dispatch | A::Shelve => &[Condition::NoDisputePending],
        A::Dispute => &[Condition::NoDisputePending, Condition::WithinDisputeWindow],
        A::Uphold | A::Reassign => &[Condition::DisputePending],
        A::EscalateDispute => &[Condition::DisputePending, Condition::ArbiterDeadlinePassed],
        A::RequestConfirm => &[Condition::NotYetAskedToConfirm],
        A::SensorClose => &[Condition::ClearedBySensor],
        _ => &[],
    }
}

fn effects(action: Action) -> &'static [Effect] {
    match action {
        A::Dispatch => &[Effect::SetsHandlingUnit, Effect::SetsDeadline, Effect::SetsHelperParts],
        A::Extend => &[Effect::ExtendsDeadline, Effect::CountsExtension],
        A::Merge => &[Effect::SetsMergeLink],
        A::Reopen => &[Effect::ClearsMergeLink],
        A::SendBack => &[
            Effect::ClearsDeadline,
            Effect::ClearsHandlingUnit,
            Effect::WithdrawsHelperParts,
            Effect::CountsBounce,
        ],
        A::Dispute => &[Effect::RaisesDispute],
        A::Uphold => &[Effect::DecidesDispute],
        A::Reassign => &[
            Effect::SetsHandlingUnit,
            Effect::SetsDeadline,
            Effect::SetsHelperParts,
            Effect::DecidesDispute,
            Effect::CountsBounce,
        ],
        A::EscalateDispute => &[Effect::EscalatesDispute],
        A::Shelve => &[Effect::ClearsDeadline],
        A::VerifyFail => &[Effect::CountsRework],
        A::MarkOverdue => &[Effect::MarksOverdue],
        A::Escalate => &[Effect::Escalates],
        A::Rate => &[Effect::RecordsRating],
        A::CallBack => &[Effect::RecordsCallBack],
        A::Relocate => &[Effect::SetsPlace],
        A::RequestConfirm => &[Effect::RequestsConfirm],
        A::Confirm | A::Deny => &[Effect::AnswersConfirm],
        A::AssignVerifier => &[Effect::SetsVerifier],
        _ => &[],
    }
}

/// What a dissatisfied call-back does under [`CallbackRework::Automatic`]: back to the handling
/// unit the case had, with a fresh deadline, counted as rework.
///
/// [`CallbackRework::Automatic`]: super::callback::CallbackRework::Automatic
const CALL_BACK_REWORK: &[Effect] = &[Effect::RecordsCallBack, Effect::SetsDeadline, Effect::CountsRework];

/// The transition as the answer makes it: a dissatisfied call-back under the automatic rule
/// leads back to `dispatched`; every other step stays as [`decide`] gave it.
fn refined(mut transition: Transition, provided: &Provided<'_>, facts: &CaseFacts) -> Transition {
    use super::callback::{CallbackRework, Satisfaction};
    if transition.action == A::CallBack
        && provided.satisfaction == Some(Satisfaction::Dissatisfied)
        && facts.callback_rework == CallbackRework::Automatic
    {
        transition.to = S::Dispatched;
        transition.effects = CALL_BACK_REWORK;
    }
    transition
}

/// May `role` take `action` on a case in `state`, and where does it lead? The role is checked
/// first: a role that may never take the action gets [`Refusal::NotAllowedForRole`] whatever
/// the state; otherwise a state the action does not apply to gets [`Refusal::NotFromState`].
pub fn decide(state: CaseState, action: Action, role: Role) -> Result<Transition, Refusal> {
    if !roles_for(action).contains(&role) {
        return Err(Refusal::NotAllowedForRole { role, action });
    }
    let to = next_state(state, action).ok_or(Refusal::NotFromState { state, action })?;
    Ok(Transition {
        from: state,
        action,
        role,
        to,
        needs: needs(action),
        conditions: conditions(action),
        effects: effects(action),
    })
}

/// [`decide`], then check the case facts and what the actor supplied, and work out the whole
/// [`Step`]: the full rule the server applies before recording a step. New deadlines are
/// counted on `calendar` from `facts.now`.
pub fn take(
    state: CaseState,
    action: Action,
    role: Role,
    provided: &Provided<'_>,
    facts: &CaseFacts,
    calendar: &WorkingCalendar,
) -> Result<Step, Refusal> {
    let transition = decide(state, action, role)?;
    check_conditions(transition.conditions, facts)?;
    check_needs(action, transition.needs, provided, facts)?;
    super::step::resolve(refined(transition, provided, facts), provided, facts, calendar)
}

fn check_conditions(conditions: &[Condition], facts: &CaseFacts) -> Result<(), Refusal> {
    for condition in conditions {
        let refusal = match condition {
            Condition::ReporterOnly if !facts.actor_is_reporter => Refusal::NotTheReporter,
            Condition::NotYetRated if facts.already_rated => Refusal::AlreadyRated,
            Condition::DeadlinePassed if !facts.deadline_passed => Refusal::DeadlineNotPassed,
            Condition::NotYetOverdue if facts.overdue => Refusal::AlreadyOverdue,
            Condition::Overdue if !facts.overdue => Refusal::NotOverdue,
            Condition::NotYetCalledBack if facts.called_back => Refusal::AlreadyCalledBack,
            Condition::UnderCommand if !facts.under_command => Refusal::NotUnderCommand,
            Condition::NotYetAskedToConfirm if facts.confirm_requested => Refusal::AlreadyAskedToConfirm,
            Condition::ClearedBySensor if !facts.cleared_by_sensor => Refusal::NotClearedBySensor,
            Condition::HelperPartsSettled if facts.open_helper_parts > 0 => {
                Refusal::HelperPartsOpen { open: facts.open_helper_parts }
            }
            Condition::NoDisputePending if facts.dispute.pending => Refusal::DisputePending,
            Condition::DisputePending if !facts.dispute.pending => Refusal::NoDisputePending,
            Condition::WithinDisputeWindow if !facts.dispute.window_open(facts.now) => {
                match facts.dispute.window_closes {
                    Some(closed) => Refusal::DisputeWindowClosed { closed },
                    None => Refusal::DisputeWindowClosed { closed: facts.now },
                }
            }
            Condition::ArbiterDeadlinePassed
                if facts.dispute.escalated || !facts.dispute.arbiter_late(facts.now) =>
            {
                Refusal::ArbiterDeadlineNotPassed
            }
            _ => continue,
        };
        return Err(refusal);
    }
    Ok(())
}

fn check_needs(
    action: Action,
    needs: Needs,
    provided: &Provided<'_>,
    facts: &CaseFacts,
) -> Result<(), Refusal> {
    let blank = |s: Option<&str>| s.is_none_or(|s| s.trim().is_empty());
    if needs.reason && blank(provided.reason) {
        return Err(Refusal::ReasonRequired { action });
    }
    if needs.photo && provided.photos == 0 {
        return Err(Refusal::PhotoRequired { action });
    }
    if needs.position && provided.position.is_none() {
        return Err(Refusal::PositionRequired { action });
    }
    if !needs.new_deadline && provided.new_deadline.is_some() {
        return Err(Refusal::DeadlineNotAccepted { action });
    }
    if needs.new_deadline {
        let new = provided.new_deadline.ok_or(Refusal::DeadlineRequired { action })?;
        if let Some(current) = facts.deadline.filter(|current| new <= *current) {
            return Err(Refusal::DeadlineNotLater { current });
        }
    }
    if !provided.helpers.is_empty() && !super::parts::takes_helpers(action) {
        return Err(Refusal::HelpersNotAccepted { action });
    }
    if needs.handling_unit && blank(provided.handling_unit) {
        return Err(Refusal::HandlingUnitRequired { action });
    }
    if needs.merge_target && provided.merge_target.is_none() {
        return Err(Refusal::MergeTargetRequired { action });
    }
    if needs.inspector && blank(provided.inspector) {
        return Err(Refusal::InspectorRequired { action });
    }
    if needs.satisfaction && provided.satisfaction.is_none() {
        return Err(Refusal::SatisfactionRequired { action });
    }
    if needs.rating && !provided.rating.is_some_and(|r| super::words::RATINGS.contains(&r)) {
        return Err(Refusal::RatingOutOfRange { found: provided.rating });
    }
    Ok(())
}

/// The actions `role` may take from `state`, in declaration order; what a phone shows.
pub fn available_actions(state: CaseState, role: Role) -> Vec<Action> {
    Action::ALL.iter().copied().filter(|a| decide(state, *a, role).is_ok()).collect()
}

/// [`available_actions`], narrowed by the facts of the case (a citizen who is not the reporter,
/// or who has rated already, is not offered `rate`; `escalate` only once overdue).
pub fn available_actions_given(state: CaseState, role: Role, facts: &CaseFacts) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| decide(state, *a, role).is_ok_and(|t| check_conditions(t.conditions, facts).is_ok()))
        .collect()
}
