//! The whole case workflow as one explicit table: every state x action x role combination is
//! checked against the outcome written below, independently of the rule code, so a changed
//! rule shows up here as a failed row.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gridline_core::workflow::{Action, CaseState, Refusal, Role, available_actions, decide};

use Action as A;
use CaseState as S;
use Role as R;

/// Every allowed (from, action, role, to). Anything not listed must be refused.
const ALLOWED: &[(CaseState, Action, Role, CaseState)] = &[
    (S::Reported, A::Register, R::Dispatcher, S::Registered),
    (S::Reported, A::Register, R::Admin, S::Registered),
    (S::Reported, A::Register, R::DistrictAdmin, S::Registered),
    (S::Reported, A::Reject, R::Dispatcher, S::Rejected),
    (S::Reported, A::Reject, R::Admin, S::Rejected),
    (S::Reported, A::Reject, R::DistrictAdmin, S::Rejected),
    (S::Reported, A::Merge, R::Dispatcher, S::Merged),
    (S::Reported, A::Merge, R::Admin, S::Merged),
    (S::Reported, A::Merge, R::DistrictAdmin, S::Merged),
    // 核实: a fact about a report, not a state.
    (S::Reported, A::Confirm, R::Inspector, S::Reported),
    (S::Reported, A::Deny, R::Inspector, S::Reported),
    // Asking the inspectors to confirm (核实派遣): the street office, about a report.
    (S::Reported, A::RequestConfirm, R::Dispatcher, S::Reported),
    (S::Reported, A::RequestConfirm, R::Admin, S::Reported),
    (S::Reported, A::RequestConfirm, R::DistrictAdmin, S::Reported),
    // Relocate: a fact about the place, before dispatch.
    (S::Reported, A::Relocate, R::Dispatcher, S::Reported),
    (S::Reported, A::Relocate, R::Admin, S::Reported),
    (S::Reported, A::Relocate, R::DistrictAdmin, S::Reported),
    (S::Registered, A::Relocate, R::Dispatcher, S::Registered),
    (S::Registered, A::Relocate, R::Admin, S::Registered),
    (S::Registered, A::Relocate, R::DistrictAdmin, S::Registered),
    (S::Registered, A::Dispatch, R::Dispatcher, S::Dispatched),
    (S::Registered, A::Dispatch, R::Admin, S::Dispatched),
    (S::Registered, A::Dispatch, R::DistrictAdmin, S::Dispatched),
    (S::Registered, A::Shelve, R::Dispatcher, S::Shelved),
    (S::Registered, A::Shelve, R::Admin, S::Shelved),
    (S::Registered, A::Shelve, R::DistrictAdmin, S::Shelved),
    (S::Registered, A::Merge, R::Dispatcher, S::Merged),
    (S::Registered, A::Merge, R::Admin, S::Merged),
    (S::Registered, A::Merge, R::DistrictAdmin, S::Merged),
    (S::Rejected, A::Reopen, R::Dispatcher, S::Reported),
    (S::Rejected, A::Reopen, R::Admin, S::Reported),
    (S::Rejected, A::Reopen, R::DistrictAdmin, S::Reported),
    (S::Dispatched, A::Dispatch, R::Dispatcher, S::Dispatched),
    (S::Dispatched, A::Dispatch, R::Admin, S::Dispatched),
    (S::Dispatched, A::Dispatch, R::DistrictAdmin, S::Dispatched),
    (S::Dispatched, A::Accept, R::Handler, S::InProgress),
    (S::Dispatched, A::SendBack, R::Handler, S::Registered),
    (S::Dispatched, A::Extend, R::Dispatcher, S::Dispatched),
    (S::Dispatched, A::Extend, R::Admin, S::Dispatched),
    (S::Dispatched, A::Extend, R::DistrictAdmin, S::Dispatched),
    (S::Dispatched, A::Shelve, R::Dispatcher, S::Shelved),
    (S::Dispatched, A::Shelve, R::Admin, S::Shelved),
    (S::Dispatched, A::Shelve, R::DistrictAdmin, S::Shelved),
    (S::Dispatched, A::MarkOverdue, R::System, S::Dispatched),
    // 派单异议: a fact about the assignment, decided before the unit accepts.
    (S::Dispatched, A::Dispute, R::Handler, S::Dispatched),
    (S::Dispatched, A::Uphold, R::Dispatcher, S::Dispatched),
    (S::Dispatched, A::Uphold, R::Admin, S::Dispatched),
    (S::Dispatched, A::Uphold, R::DistrictAdmin, S::Dispatched),
    (S::Dispatched, A::Reassign, R::Dispatcher, S::Dispatched),
    (S::Dispatched, A::Reassign, R::Admin, S::Dispatched),
    (S::Dispatched, A::Reassign, R::DistrictAdmin, S::Dispatched),
    (S::Dispatched, A::EscalateDispute, R::System, S::Dispatched),
    (S::Dispatched, A::Escalate, R::System, S::Dispatched),
    (S::InProgress, A::MarkHandled, R::Handler, S::Handled),
    (S::InProgress, A::Extend, R::Dispatcher, S::InProgress),
    (S::InProgress, A::Extend, R::Admin, S::InProgress),
    (S::InProgress, A::Extend, R::DistrictAdmin, S::InProgress),
    (S::InProgress, A::Shelve, R::Dispatcher, S::Shelved),
    (S::InProgress, A::Shelve, R::Admin, S::Shelved),
    (S::InProgress, A::Shelve, R::DistrictAdmin, S::Shelved),
    (S::InProgress, A::MarkOverdue, R::System, S::InProgress),
    (S::InProgress, A::Escalate, R::System, S::InProgress),
    (S::Handled, A::VerifyPass, R::Inspector, S::Closed),
    (S::Handled, A::VerifyFail, R::Inspector, S::Dispatched),
    (S::Handled, A::Close, R::Dispatcher, S::Closed),
    (S::Handled, A::Close, R::Admin, S::Closed),
    (S::Handled, A::Close, R::DistrictAdmin, S::Closed),
    // A sensor case whose alarms all cleared, closed by its kind's rule.
    (S::Reported, A::SensorClose, R::System, S::Closed),
    (S::Registered, A::SensorClose, R::System, S::Closed),
    (S::Dispatched, A::SensorClose, R::System, S::Closed),
    (S::InProgress, A::SensorClose, R::System, S::Closed),
    (S::Handled, A::SensorClose, R::System, S::Closed),
    (S::Shelved, A::SensorClose, R::System, S::Closed),
    // 指派核查: who verifies is a fact about the handled case.
    (S::Handled, A::AssignVerifier, R::Dispatcher, S::Handled),
    (S::Handled, A::AssignVerifier, R::Admin, S::Handled),
    (S::Handled, A::AssignVerifier, R::DistrictAdmin, S::Handled),
    (S::Closed, A::Reopen, R::Dispatcher, S::Registered),
    (S::Closed, A::Reopen, R::Admin, S::Registered),
    (S::Closed, A::Reopen, R::DistrictAdmin, S::Registered),
    (S::Closed, A::Rate, R::Citizen, S::Closed),
    // The nominal call-back; a dissatisfied answer under the automatic rework rule leads to
    // dispatched instead (core's `take`, tested in workflow::callback).
    (S::Closed, A::CallBack, R::Operator, S::Closed),
    // Emergency mode: the system registers a report under command (condition tested in
    // core's emergency module).
    (S::Reported, A::CommandRegister, R::System, S::Registered),
    (S::Reported, A::Answer, R::Operator, S::Closed),
    (S::Reported, A::Transfer, R::Operator, S::Closed),
    (S::Shelved, A::Unshelve, R::Dispatcher, S::Registered),
    (S::Shelved, A::Unshelve, R::Admin, S::Registered),
    (S::Shelved, A::Unshelve, R::DistrictAdmin, S::Registered),
    (S::Shelved, A::Close, R::Dispatcher, S::Closed),
    (S::Shelved, A::Close, R::Admin, S::Closed),
    (S::Shelved, A::Close, R::DistrictAdmin, S::Closed),
    (S::Merged, A::Reopen, R::Dispatcher, S::Reported),
    (S::Merged, A::Reopen, R::Admin, S::Reported),
    (S::Merged, A::Reopen, R::DistrictAdmin, S::Reported),
];

/// Which role may ever take which action; a role outside this list is refused for the role,
/// whatever the state.
fn role_may_ever(role: Role, action: Action) -> bool {
    let street_office = [
        A::Register,
        A::Reject,
        A::Dispatch,
        A::Extend,
        A::Shelve,
        A::Unshelve,
        A::Merge,
        A::Close,
        A::Reopen,
        A::Uphold,
        A::Reassign,
        A::Relocate,
        A::RequestConfirm,
        A::AssignVerifier,
    ];
    match role {
        R::Dispatcher | R::Admin | R::DistrictAdmin => street_office.contains(&action),
        R::Handler => [A::Accept, A::SendBack, A::MarkHandled, A::Dispute].contains(&action),
        R::Inspector => [A::VerifyPass, A::VerifyFail, A::Confirm, A::Deny].contains(&action),
        R::Citizen => action == A::Rate,
        R::System => [A::MarkOverdue, A::Escalate, A::CommandRegister, A::EscalateDispute, A::SensorClose]
            .contains(&action),
        R::Viewer => false,
        R::Operator => [A::CallBack, A::Answer, A::Transfer].contains(&action),
    }
}

const STATES: [CaseState; 9] = [
    S::Reported,
    S::Registered,
    S::Rejected,
    S::Dispatched,
    S::InProgress,
    S::Handled,
    S::Closed,
    S::Shelved,
    S::Merged,
];
const ACTIONS: [Action; 31] = [
    A::Register,
    A::Reject,
    A::Dispatch,
    A::Accept,
    A::SendBack,
    A::MarkHandled,
    A::VerifyPass,
    A::VerifyFail,
    A::Confirm,
    A::Deny,
    A::RequestConfirm,
    A::Extend,
    A::Shelve,
    A::Unshelve,
    A::Merge,
    A::Close,
    A::Reopen,
    A::Rate,
    A::MarkOverdue,
    A::Escalate,
    A::CallBack,
    A::CommandRegister,
    A::Answer,
    A::Transfer,
    A::Dispute,
    A::Uphold,
    A::Reassign,
    A::EscalateDispute,
    A::Relocate,
    A::AssignVerifier,
    A::SensorClose,
];
const ROLES: [Role; 9] = [
    R::Citizen,
    R::Inspector,
    R::Dispatcher,
    R::Handler,
    R::Admin,
    R::DistrictAdmin,
    R::System,
    R::Viewer,
    R::Operator,
];

#[test]
fn the_enums_list_exactly_the_values_of_this_table() {
    assert_eq!(CaseState::ALL, STATES);
    assert_eq!(Action::ALL, ACTIONS);
    assert_eq!(Role::ALL, ROLES);
}

#[test]
fn every_state_action_role_combination_has_the_expected_outcome() {
    let mut checked = 0;
    let mut allowed = 0;
    for state in STATES {
        for action in ACTIONS {
            for role in ROLES {
                let expected = ALLOWED.iter().find(|(s, a, r, _)| *s == state && *a == action && *r == role);
                let got = decide(state, action, role);
                match (expected, got) {
                    (Some((_, _, _, to)), Ok(t)) => {
                        assert_eq!(t.to, *to, "{state} --{action}/{role}--> wrong next state");
                        assert_eq!((t.from, t.action, t.role), (state, action, role));
                        allowed += 1;
                    }
                    (Some(_), Err(refusal)) => {
                        panic!("{state} --{action}/{role}--> should be allowed, refused: {refusal}")
                    }
                    (None, Ok(t)) => panic!("{state} --{action}/{role}--> should be refused, got {:?}", t.to),
                    (None, Err(refusal)) => {
                        let want = if role_may_ever(role, action) {
                            Refusal::NotFromState { state, action }
                        } else {
                            Refusal::NotAllowedForRole { role, action }
                        };
                        assert_eq!(refusal, want, "{state} --{action}/{role}-->");
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, STATES.len() * ACTIONS.len() * ROLES.len());
    assert_eq!(allowed, ALLOWED.len());
}

#[test]
fn every_allowed_action_is_reachable_by_some_role_from_the_table() {
    for (state, action, role, _) in ALLOWED {
        assert!(role_may_ever(*role, *action), "table row {state}/{action}/{role} contradicts the role list");
    }
}

#[test]
fn available_actions_agree_with_the_table() {
    for state in STATES {
        for role in ROLES {
            let want: Vec<Action> = ACTIONS
                .into_iter()
                .filter(|a| ALLOWED.iter().any(|(s, x, r, _)| *s == state && x == a && *r == role))
                .collect();
            assert_eq!(available_actions(state, role), want, "{state} / {role}");
        }
    }
}

#[test]
fn terminal_states_offer_nothing_but_reopen_rate_and_call_back() {
    for role in ROLES {
        for state in [S::Rejected, S::Merged] {
            assert!(available_actions(state, role).iter().all(|a| *a == A::Reopen));
        }
        assert!(
            available_actions(S::Closed, role).iter().all(|a| [A::Reopen, A::Rate, A::CallBack].contains(a))
        );
    }
}
