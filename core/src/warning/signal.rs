//! Signals (预警信号): what a warning method found, kept as an object that staff act on. A
//! signal names its area (cells), category or class, window, observed against expected, its
//! recurrence interval and method, and the cases inside; the server stores it, and these rules
//! say what may happen to it next.
//!
//! - **Steps.** A dispatcher, a district admin or an admin whose scope holds the signal *acknowledges* it (seen,
//!   being looked at), *dismisses* it with a reason (a market day, a known event), *opens a
//!   case* from it (an inspector is sent to look, through the same intake as any report), or
//!   *opens a topic* from it (每月一题: the signal's centre cell and category are taken on as a
//!   topic, with an owner unit or a note saying who takes it on, as any adoption
//!   ([`super::topic::check_adoption`])). A dismissed signal and one that became a case or a
//!   topic are settled; a viewer reads and never acts.
//! - **Growth.** A later run that finds a cluster sharing a cell with a live signal (open or
//!   acknowledged) of the same method and category or class updates that signal instead of
//!   raising a second one ([`grows`]); a settled signal is never reopened by a run: a new
//!   cluster there is a new signal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::workflow::{Role, UnknownName, join, wire_enum};

/// The most characters a dismissal's reason keeps.
pub const MAX_REASON_CHARS: usize = 500;
/// The recurrence interval, in days, from which a scan's cluster becomes a signal by default,
/// for the daily job and a run on demand alike. New York City's daily syndromic scans report
/// from 100 days; on a city's background `gridline warn evaluate` meets the goal (90 % of
/// clusters within 2 days, at most one false signal per district a month) at 200 days and
/// not at 100 (about 1.9 false signals), so 200 (docs/early-warning.md). A scan needs 199
/// shuffles to reach it.
pub const DEFAULT_MIN_RECURRENCE_DAYS: f64 = 200.0;

wire_enum! {
    /// Where a signal stands.
    SignalState, "signal state" {
        /// Raised by a run, not looked at yet.
        Open = "open",
        /// Seen by the street office or the city; being looked into.
        Acknowledged = "acknowledged",
        /// Judged not to need action, with a reason.
        Dismissed = "dismissed",
        /// An inspector was sent: a case was opened from it.
        CaseOpened = "case_opened",
        /// Taken on as a topic: its place and category are tracked together.
        TopicOpened = "topic_opened",
    }
}

wire_enum! {
    /// A step on a signal.
    SignalAction, "signal action" {
        Acknowledge = "acknowledge",
        Dismiss = "dismiss",
        OpenCase = "open_case",
        OpenTopic = "open_topic",
    }
}

wire_enum! {
    /// What found the signal.
    SignalMethod, "signal method" {
        /// The prospective space-time permutation scan ([`super::scan`]).
        Scan = "scan",
    }
}

impl SignalState {
    /// Whether later runs still update the signal.
    pub fn is_live(self) -> bool {
        matches!(self, SignalState::Open | SignalState::Acknowledged)
    }

    /// The state in words (Chinese, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            SignalState::Open => ("待处理", "Open"),
            SignalState::Acknowledged => ("已确认关注", "Acknowledged"),
            SignalState::Dismissed => ("已排除", "Dismissed"),
            SignalState::CaseOpened => ("已派员核查", "Inspector sent"),
            SignalState::TopicOpened => ("已立为专题", "Taken on as a topic"),
        }
    }
}

impl SignalAction {
    /// The step in words (Chinese, English), for its button.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            SignalAction::Acknowledge => ("确认关注", "Acknowledge"),
            SignalAction::Dismiss => ("排除", "Dismiss"),
            SignalAction::OpenCase => ("派员核查", "Send an inspector"),
            SignalAction::OpenTopic => ("立为专题", "Take on as a topic"),
        }
    }

    /// Whether the step must carry a reason.
    pub fn needs_reason(self) -> bool {
        self == SignalAction::Dismiss
    }

    /// Whether the step must name a category: a case or a topic opened from a signal that is
    /// not of one category (a class, or every report) is of the category the caller names.
    pub fn needs_category(self, signal_has_category: bool) -> bool {
        matches!(self, SignalAction::OpenCase | SignalAction::OpenTopic) && !signal_has_category
    }

    /// Whether the step must say who takes it on: an `owner_unit` or a `note`, as adopting a
    /// topic does.
    pub fn needs_owner(self) -> bool {
        self == SignalAction::OpenTopic
    }
}

/// Why a step on a signal was refused: a stable machine [`SignalRefusal::code`] and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalRefusal {
    #[error("{} may not act on a signal; the street office, the district and the city do",
        crate::workflow::with_article(*role))]
    NotForRole { role: Role },
    #[error("cannot {action} a signal that is {state}; {action} applies to signals that are: {}",
        join(&states_for(*action)))]
    NotFromState { state: SignalState, action: SignalAction },
    #[error("dismiss needs a reason: a few words saying why the signal needs no action")]
    ReasonRequired,
    #[error("the reason is {0} characters; at most {MAX_REASON_CHARS}")]
    ReasonTooLong(usize),
}

impl SignalRefusal {
    /// The stable machine code, for `application/problem+json`.
    pub fn code(&self) -> &'static str {
        match self {
            SignalRefusal::NotForRole { .. } => "not_allowed_for_role",
            SignalRefusal::NotFromState { .. } => "signal_not_from_state",
            SignalRefusal::ReasonRequired => "reason_required",
            SignalRefusal::ReasonTooLong(_) => "reason_too_long",
        }
    }

    /// 403 for who acts, 409 for the signal's state, 422 for what the step lacks.
    pub fn status(&self) -> u16 {
        match self {
            SignalRefusal::NotForRole { .. } => 403,
            SignalRefusal::NotFromState { .. } => 409,
            SignalRefusal::ReasonRequired | SignalRefusal::ReasonTooLong(_) => 422,
        }
    }
}

fn next_state(state: SignalState, action: SignalAction) -> Option<SignalState> {
    use SignalAction as A;
    use SignalState as S;
    match (action, state) {
        (A::Acknowledge, S::Open) => Some(S::Acknowledged),
        (A::Dismiss, S::Open | S::Acknowledged) => Some(S::Dismissed),
        (A::OpenCase, S::Open | S::Acknowledged) => Some(S::CaseOpened),
        (A::OpenTopic, S::Open | S::Acknowledged) => Some(S::TopicOpened),
        _ => None,
    }
}

fn states_for(action: SignalAction) -> Vec<SignalState> {
    SignalState::ALL.iter().copied().filter(|s| next_state(*s, action).is_some()).collect()
}

/// The steps `role` may take on a signal in `state` (what a screen offers).
pub fn available_actions(role: Role, state: SignalState) -> Vec<SignalAction> {
    if !acts(role) {
        return Vec::new();
    }
    SignalAction::ALL.iter().copied().filter(|a| next_state(state, *a).is_some()).collect()
}

fn acts(role: Role) -> bool {
    matches!(role, Role::Dispatcher | Role::DistrictAdmin | Role::Admin)
}

/// May `role` take `action` on a signal in `state`, with `reason` (trimmed; required to
/// dismiss)? The state it leads to.
pub fn decide(
    state: SignalState,
    action: SignalAction,
    role: Role,
    reason: Option<&str>,
) -> Result<SignalState, SignalRefusal> {
    if !acts(role) {
        return Err(SignalRefusal::NotForRole { role });
    }
    let next = next_state(state, action).ok_or(SignalRefusal::NotFromState { state, action })?;
    let reason = reason.map(str::trim).unwrap_or("");
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(SignalRefusal::ReasonTooLong(chars));
    }
    if action == SignalAction::Dismiss && reason.is_empty() {
        return Err(SignalRefusal::ReasonRequired);
    }
    Ok(next)
}

/// Whether a new cluster over `found` cells updates a live signal over `existing` cells of the
/// same method and category or class (the caller checks those): they share a cell.
pub fn grows<T: PartialEq>(state: SignalState, existing: &[T], found: &[T]) -> bool {
    state.is_live() && found.iter().any(|cell| existing.contains(cell))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_street_office_acknowledges_dismisses_with_a_reason_or_opens_a_case() {
        use SignalAction as A;
        use SignalState as S;
        assert_eq!(decide(S::Open, A::Acknowledge, Role::Dispatcher, None), Ok(S::Acknowledged));
        assert_eq!(decide(S::Acknowledged, A::Dismiss, Role::Admin, Some(" market day ")), Ok(S::Dismissed));
        assert_eq!(decide(S::Open, A::OpenCase, Role::Dispatcher, None), Ok(S::CaseOpened));
        assert_eq!(decide(S::Acknowledged, A::OpenCase, Role::Admin, None), Ok(S::CaseOpened));
        assert_eq!(decide(S::Open, A::Acknowledge, Role::DistrictAdmin, None), Ok(S::Acknowledged));
        let refused = |s, a, r, reason: Option<&str>| decide(s, a, r, reason).unwrap_err().code();
        let long = "长".repeat(501);
        assert_eq!(refused(S::Open, A::Dismiss, Role::Dispatcher, Some("  ")), "reason_required");
        assert_eq!(refused(S::Open, A::Dismiss, Role::Dispatcher, None), "reason_required");
        assert_eq!(refused(S::Open, A::Dismiss, Role::Dispatcher, Some(&long)), "reason_too_long");
        assert_eq!(refused(S::Acknowledged, A::Acknowledge, Role::Admin, None), "signal_not_from_state");
        assert_eq!(refused(S::Dismissed, A::OpenCase, Role::Admin, None), "signal_not_from_state");
        assert_eq!(refused(S::CaseOpened, A::Dismiss, Role::Admin, Some("late")), "signal_not_from_state");
        for role in
            [Role::Viewer, Role::Handler, Role::Inspector, Role::Citizen, Role::Operator, Role::System]
        {
            assert_eq!(refused(S::Open, A::Acknowledge, role, None), "not_allowed_for_role");
            assert!(available_actions(role, S::Open).is_empty());
        }
        assert_eq!(
            available_actions(Role::Dispatcher, S::Open),
            [A::Acknowledge, A::Dismiss, A::OpenCase, A::OpenTopic]
        );
        assert_eq!(
            available_actions(Role::Dispatcher, S::Acknowledged),
            [A::Dismiss, A::OpenCase, A::OpenTopic]
        );
        assert!(available_actions(Role::Admin, S::Dismissed).is_empty());
        assert!(available_actions(Role::Admin, S::TopicOpened).is_empty());
        assert_eq!(decide(S::Open, A::OpenTopic, Role::DistrictAdmin, None), Ok(S::TopicOpened));
        assert_eq!(decide(S::Acknowledged, A::OpenTopic, Role::Dispatcher, None), Ok(S::TopicOpened));
        assert_eq!(refused(S::TopicOpened, A::OpenTopic, Role::Admin, None), "signal_not_from_state");
        assert_eq!(refused(S::CaseOpened, A::OpenTopic, Role::Admin, None), "signal_not_from_state");
        assert_eq!(refused(S::Open, A::OpenTopic, Role::Viewer, None), "not_allowed_for_role");
        let message = decide(S::Dismissed, A::Dismiss, Role::Admin, Some("x")).unwrap_err().to_string();
        assert_eq!(
            message,
            "cannot dismiss a signal that is dismissed; dismiss applies to signals that are: open, acknowledged"
        );
    }

    #[test]
    fn what_each_step_must_carry() {
        assert!(SignalAction::Dismiss.needs_reason());
        assert!(!SignalAction::Acknowledge.needs_reason() && !SignalAction::OpenCase.needs_reason());
        assert!(SignalAction::OpenCase.needs_category(false));
        assert!(!SignalAction::OpenCase.needs_category(true));
        assert!(!SignalAction::Dismiss.needs_category(false));
        assert!(SignalAction::OpenTopic.needs_category(false));
        assert!(!SignalAction::OpenTopic.needs_category(true));
        assert!(SignalAction::OpenTopic.needs_owner());
        assert!(!SignalAction::OpenCase.needs_owner() && !SignalAction::Dismiss.needs_owner());
    }

    #[test]
    fn a_live_signal_grows_by_a_shared_cell_and_a_settled_one_never() {
        assert!(grows(SignalState::Open, &[1, 2, 3], &[3, 4]));
        assert!(grows(SignalState::Acknowledged, &[1, 2], &[2]));
        assert!(!grows(SignalState::Open, &[1, 2], &[3, 4]));
        assert!(!grows(SignalState::Dismissed, &[1, 2], &[2]));
        assert!(!grows(SignalState::CaseOpened, &[1, 2], &[1, 2]));
        assert!(!grows(SignalState::TopicOpened, &[1, 2], &[1, 2]));
    }
}
