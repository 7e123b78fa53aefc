//! Joint handling (主办/协办): a dispatch names one lead unit (the case's handling unit, which
//! takes the case's own steps) and zero or more helper units, each with its own part: a note of
//! what it is asked to do, its own deadline and its own steps.
//!
//! ```text
//! assigned ──accept──▶ accepted ──finish (after-photo)──▶ finished
//!    │                    │   ▲                                 │
//!    │                    │   └──── rework (lead or street office, reason) ◀──┘
//!    └─send_back (reason)─┼──▶ sent_back
//!                         │        │
//!  close (lead or street office, reason) from assigned, accepted, sent_back ──▶ closed
//!  a new dispatch, a reassignment or the lead's send back: every open part ──▶ withdrawn
//! ```
//!
//! - A part's deadline is its own time limit (or else the case's) counted on the working
//!   calendar from the dispatch; under emergency command (an emergency case), the level's limit
//!   round the clock when that falls due sooner, as the case's own deadline ([`part_deadline`],
//!   the one place it is computed, for a dispatch and for a rework alike).
//! - **Rework (返工)**: the lead unit or the street office returns a finished part to its helper
//!   unit with a reason while the case is active; the part is worked on again (`accepted`) with
//!   a fresh deadline counted from the rework as the dispatch counted it, and must be finished
//!   again with an after-photo. It counts as the part's rework; the lead's own rework (a failed
//!   verification of the case) is the case's, not a part's.
//! - The case is handled when the lead marks it handled, and the lead may do so only once
//!   every helper part is finished or closed ([`super::Condition::HelperPartsSettled`]).
//! - Part steps are taken only while the case is `dispatched` or `in_progress`; the `system`
//!   marks a part overdue once its deadline has passed, which escalates it (a notice to the lead
//!   unit and the street office), like a case.
//! - Who acts on a part is [`PartActor::of`] the account's role and unit: the helper unit's
//!   handlers, the lead unit's handlers, the street office (dispatchers and admins), the system.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Action, CaseFacts, CaseState, Change, Refusal, Role, UnknownName, join};
use crate::calendar::{TimeLimit, WorkingCalendar};

/// At most this many helper units on one dispatch.
pub const MAX_HELPERS: usize = 10;

/// Longest note of a part, in characters.
pub const MAX_PART_NOTE_CHARS: usize = 500;

/// One helper unit named by a dispatch or a reassignment: `helpers` of the action request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct HelperPartRequest {
    /// The helper unit's code (an active handling unit, not the lead).
    pub unit: String,
    /// What this unit is asked to do.
    pub note: String,
    /// The part's own time limit (`4h`, `2d`); the case's handling time limit when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<String>,
}

/// A helper part a step creates, with its deadline worked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedPart {
    pub unit: String,
    pub note: String,
    pub time_limit: Option<TimeLimit>,
    pub deadline: Option<DateTime<Utc>>,
}

/// The helper parts of a dispatch to `lead` at `facts.now`: each unit named once, not the lead,
/// with a note; each deadline its own limit (or the case's) on `calendar`.
pub(super) fn plan_helpers(
    lead: Option<&str>,
    helpers: &[HelperPartRequest],
    facts: &CaseFacts,
    calendar: &WorkingCalendar,
) -> Result<Vec<PlannedPart>, Refusal> {
    if helpers.len() > MAX_HELPERS {
        return Err(Refusal::HelperInvalid {
            index: MAX_HELPERS,
            problem: format!("at most {MAX_HELPERS} helper units, found {}", helpers.len()),
        });
    }
    let mut seen = BTreeSet::new();
    let mut planned = Vec::with_capacity(helpers.len());
    for (index, helper) in helpers.iter().enumerate() {
        let invalid = |problem: String| Refusal::HelperInvalid { index, problem };
        let unit = helper.unit.trim();
        if unit.is_empty() {
            return Err(invalid("the helper unit's code is missing".to_owned()));
        }
        if Some(unit) == lead.map(str::trim) {
            return Err(invalid(format!("{unit:?} is the lead unit; a helper is another unit")));
        }
        if !seen.insert(unit) {
            return Err(invalid(format!("{unit:?} is named twice; one part per unit")));
        }
        let note = helper.note.trim();
        if note.is_empty() {
            return Err(invalid("each part needs a note saying what the unit is asked to do".to_owned()));
        }
        let chars = note.chars().count();
        if chars > MAX_PART_NOTE_CHARS {
            return Err(invalid(format!("the note has {chars} characters, at most {MAX_PART_NOTE_CHARS}")));
        }
        let own_limit = match helper.time_limit.as_deref().map(str::trim) {
            Some(text) => Some(text.parse::<TimeLimit>().map_err(|e| invalid(format!("time_limit: {e}")))?),
            None => None,
        };
        let time_limit = own_limit.or(facts.time_limit);
        let deadline = part_deadline(facts.now, time_limit, facts.round_the_clock_minutes, calendar)
            .map_err(|reason| Refusal::NoWorkingCalendar { reason })?;
        planned.push(PlannedPart { unit: unit.to_owned(), note: note.to_owned(), time_limit, deadline });
    }
    Ok(planned)
}

/// The deadline of a part given (or returned for rework) at `now`: its time limit on the working
/// calendar, or for an emergency case (`round_the_clock_minutes`, the level's limit) that many
/// minutes round the clock when they fall due sooner, exactly as the case's own dispatch
/// deadline; `None` with neither. The error is the calendar's, in words.
pub fn part_deadline(
    now: DateTime<Utc>,
    time_limit: Option<TimeLimit>,
    round_the_clock_minutes: Option<u32>,
    calendar: &WorkingCalendar,
) -> Result<Option<DateTime<Utc>>, String> {
    let working = match time_limit {
        Some(limit) => Some(calendar.deadline(now, limit).map_err(|e| e.to_string())?),
        None => None,
    };
    let command = round_the_clock_minutes.map(|m| now + chrono::Duration::minutes(i64::from(m)));
    Ok(match (working, command) {
        (Some(working), Some(command)) => Some(working.min(command)),
        (working, command) => working.or(command),
    })
}

wire_enum! {
    /// Where a helper part stands.
    PartState, "part state" {
        /// Given to the helper unit, not taken on yet.
        Assigned = "assigned",
        /// The helper unit is working on it.
        Accepted = "accepted",
        /// The helper unit says it is not theirs, with a reason; the lead or the street office
        /// closes it (or dispatches again).
        SentBack = "sent_back",
        /// Done by the helper unit, with an after-photo.
        Finished = "finished",
        /// Closed by the lead unit or the street office, with a reason.
        Closed = "closed",
        /// Replaced by a new dispatch, or the lead refused the case.
        Withdrawn = "withdrawn",
    }
}

impl PartState {
    /// Whether the part still holds the case back from being handled.
    pub fn is_open(self) -> bool {
        matches!(self, PartState::Assigned | PartState::Accepted | PartState::SentBack)
    }

    /// The state in words (Chinese, English), for the screens that draw a case's parts.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            PartState::Assigned => ("待接收", "Waiting to be taken on"),
            PartState::Accepted => ("处置中", "Being handled"),
            PartState::SentBack => ("已退回", "Sent back"),
            PartState::Finished => ("已完成", "Finished"),
            PartState::Closed => ("已关闭", "Closed"),
            PartState::Withdrawn => ("已撤回", "Withdrawn"),
        }
    }
}

wire_enum! {
    /// A step on a helper part.
    PartAction, "part action" {
        /// The helper unit takes its part on.
        Accept = "accept",
        /// The helper unit returns a part that is not theirs, with a reason.
        SendBack = "send_back",
        /// The helper unit's part is done, with at least one after-photo.
        Finish = "finish",
        /// The lead unit (or the street office) closes the part with a reason.
        Close = "close",
        /// 返工: the lead unit (or the street office) returns a finished part to its helper
        /// unit, with a reason; it is worked on again under a fresh deadline.
        Rework = "rework",
        /// The part's deadline has passed: flagged overdue and escalated.
        MarkOverdue = "mark_overdue",
    }
}

wire_enum! {
    /// Who acts on a part, relative to it.
    PartActor, "part actor" {
        /// A handler of the part's unit.
        Helper = "helper",
        /// A handler of the case's lead unit.
        Lead = "lead",
        /// A dispatcher or admin whose scope holds the case.
        StreetOffice = "street_office",
        /// The server's jobs.
        System = "system",
        /// Anyone else: may take no part step.
        Other = "other",
    }
}

impl PartActor {
    /// The relation of an account of `role` in `unit` (a handler's) to a part of `part_unit` on
    /// a case led by `lead_unit`.
    pub fn of(role: Role, unit: Option<&str>, part_unit: &str, lead_unit: Option<&str>) -> PartActor {
        match role {
            Role::Handler if unit == Some(part_unit) => PartActor::Helper,
            Role::Handler if unit.is_some() && unit == lead_unit => PartActor::Lead,
            Role::Dispatcher | Role::Admin | Role::DistrictAdmin => PartActor::StreetOffice,
            Role::System => PartActor::System,
            _ => PartActor::Other,
        }
    }
}

/// Why a part step was refused: a stable machine [`PartRefusal::code`] and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartRefusal {
    #[error("the {actor} may not {action} a part; that step belongs to: {}", join(actors_for(*action)))]
    NotForActor { actor: PartActor, action: PartAction },
    #[error("cannot {action} a part that is {state}; {action} applies to parts that are: {}",
        join(&states_for(*action)))]
    NotFromState { state: PartState, action: PartAction },
    #[error("part steps are taken while the case is dispatched or in progress; it is {state}")]
    CaseNotActive { state: CaseState },
    #[error("{action} needs a reason: a few words saying why")]
    ReasonRequired { action: PartAction },
    #[error("{action} needs at least one after-photo, found none")]
    PhotoRequired { action: PartAction },
    #[error("the part's deadline has not passed yet")]
    DeadlineNotPassed,
    #[error("the part is already flagged overdue")]
    AlreadyOverdue,
    #[error("the part's fresh deadline cannot be computed on the working calendar: {reason}")]
    NoWorkingCalendar { reason: String },
}

impl PartRefusal {
    /// The stable machine code, for `application/problem+json`.
    pub fn code(&self) -> &'static str {
        match self {
            PartRefusal::NotForActor { .. } => "not_allowed_for_part",
            PartRefusal::NotFromState { .. } => "part_not_from_state",
            PartRefusal::CaseNotActive { .. } => "case_not_active",
            PartRefusal::ReasonRequired { .. } => "reason_required",
            PartRefusal::PhotoRequired { .. } => "photo_required",
            PartRefusal::DeadlineNotPassed => "deadline_not_passed",
            PartRefusal::AlreadyOverdue => "already_overdue",
            PartRefusal::NoWorkingCalendar { .. } => "no_working_calendar",
        }
    }

    /// Whether the refusal is about who acts (403) rather than the part's state (409) or
    /// something missing (422).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, PartRefusal::NotForActor { .. })
    }

    /// Whether the refusal is about the state of the part or the case (409).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            PartRefusal::NotFromState { .. }
                | PartRefusal::CaseNotActive { .. }
                | PartRefusal::DeadlineNotPassed
                | PartRefusal::AlreadyOverdue
        )
    }
}

fn actors_for(action: PartAction) -> &'static [PartActor] {
    match action {
        PartAction::Accept | PartAction::SendBack | PartAction::Finish => &[PartActor::Helper],
        PartAction::Close | PartAction::Rework => &[PartActor::Lead, PartActor::StreetOffice],
        PartAction::MarkOverdue => &[PartActor::System],
    }
}

fn next_state(state: PartState, action: PartAction) -> Option<PartState> {
    use PartAction as A;
    use PartState as S;
    Some(match (action, state) {
        (A::Accept, S::Assigned) => S::Accepted,
        (A::SendBack, S::Assigned) => S::SentBack,
        (A::Finish, S::Accepted) => S::Finished,
        (A::Close, S::Assigned | S::Accepted | S::SentBack) => S::Closed,
        (A::Rework, S::Finished) => S::Accepted,
        (A::MarkOverdue, S::Assigned | S::Accepted) => state,
        _ => return None,
    })
}

fn states_for(action: PartAction) -> Vec<PartState> {
    PartState::ALL.iter().copied().filter(|s| next_state(*s, action).is_some()).collect()
}

/// What a part step reads of the part and its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartFacts {
    pub now: DateTime<Utc>,
    pub case_state: CaseState,
    pub state: PartState,
    pub deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// The part's time limit as its dispatch set it (its own, or the case's), from which a
    /// rework counts the fresh deadline.
    pub time_limit: Option<TimeLimit>,
    /// The case's limit round the clock, for an emergency case ([`CaseFacts`]'s field of the
    /// same name): a rework counts it as the dispatch did.
    pub round_the_clock_minutes: Option<u32>,
}

/// What a part step must carry before it is recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartNeeds {
    /// A non-blank reason.
    pub reason: bool,
    /// At least one after-photo.
    pub photo: bool,
}

/// What `action` must carry: a reason to send back, close or rework; a photo to finish.
pub fn part_needs(action: PartAction) -> PartNeeds {
    PartNeeds {
        reason: matches!(action, PartAction::SendBack | PartAction::Close | PartAction::Rework),
        photo: action == PartAction::Finish,
    }
}

/// What the actor supplied with a part step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartProvided<'a> {
    pub reason: Option<&'a str>,
    pub photos: usize,
}

/// An allowed part step with everything it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartStep {
    pub action: PartAction,
    pub actor: PartActor,
    pub from: PartState,
    pub to: PartState,
    /// `Some(true)` flags the part overdue.
    pub overdue: Option<bool>,
    /// The lead unit and the street office are told (an overdue part).
    pub escalates: bool,
    /// For a finished part: whether it was finished by its deadline (on-time rate).
    pub on_time: Option<bool>,
    /// A rework sets a fresh deadline (or clears it, with no limit to count), clears the overdue
    /// flag and the earlier finish's on-time verdict, and counts as the part's rework.
    pub deadline: Change<DateTime<Utc>>,
    pub reworks: bool,
}

/// May `actor` take `action` on a part with `facts`, given what they supplied? The whole rule
/// of a part step, as [`super::take`] is for a case step; `calendar` counts a rework's deadline.
pub fn take_part(
    action: PartAction,
    actor: PartActor,
    provided: &PartProvided<'_>,
    facts: &PartFacts,
    calendar: &WorkingCalendar,
) -> Result<PartStep, PartRefusal> {
    if !actors_for(action).contains(&actor) {
        return Err(PartRefusal::NotForActor { actor, action });
    }
    if !matches!(facts.case_state, CaseState::Dispatched | CaseState::InProgress) {
        return Err(PartRefusal::CaseNotActive { state: facts.case_state });
    }
    let to =
        next_state(facts.state, action).ok_or(PartRefusal::NotFromState { state: facts.state, action })?;
    let blank = provided.reason.is_none_or(|r| r.trim().is_empty());
    let needs = part_needs(action);
    if needs.reason && blank {
        return Err(PartRefusal::ReasonRequired { action });
    }
    if needs.photo && provided.photos == 0 {
        return Err(PartRefusal::PhotoRequired { action });
    }
    if action == PartAction::MarkOverdue {
        if facts.overdue {
            return Err(PartRefusal::AlreadyOverdue);
        }
        if facts.deadline.is_none_or(|d| d > facts.now) {
            return Err(PartRefusal::DeadlineNotPassed);
        }
    }
    let overdue_step = action == PartAction::MarkOverdue;
    let reworks = action == PartAction::Rework;
    let deadline = if reworks {
        part_deadline(facts.now, facts.time_limit, facts.round_the_clock_minutes, calendar)
            .map_err(|reason| PartRefusal::NoWorkingCalendar { reason })?
            .map_or(Change::Clear, Change::Set)
    } else {
        Change::Keep
    };
    Ok(PartStep {
        action,
        actor,
        from: facts.state,
        to,
        overdue: if overdue_step { Some(true) } else { reworks.then_some(false) },
        escalates: overdue_step,
        on_time: (action == PartAction::Finish).then(|| facts.deadline.is_none_or(|d| facts.now <= d)),
        deadline,
        reworks,
    })
}

/// The part steps `actor` may take now (what a phone or the dashboard offers): the rule's
/// actors, states and the overdue conditions, before any reason or photo is given.
pub fn available_part_actions(
    actor: PartActor,
    facts: &PartFacts,
    calendar: &WorkingCalendar,
) -> Vec<PartAction> {
    let full = PartProvided { reason: Some("x"), photos: 1 };
    PartAction::ALL.iter().copied().filter(|a| take_part(*a, actor, &full, facts, calendar).is_ok()).collect()
}

/// Whether a case step of `action` may carry helper units.
pub fn takes_helpers(action: Action) -> bool {
    matches!(action, Action::Dispatch | Action::Reassign)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::workflow::dispute::tests::{calendar, monday_nine};
    use crate::workflow::{CaseRecord, Provided, take};

    fn helper(unit: &str, note: &str, limit: Option<&str>) -> HelperPartRequest {
        HelperPartRequest {
            unit: unit.to_owned(),
            note: note.to_owned(),
            time_limit: limit.map(str::to_owned),
        }
    }

    fn registered(now: DateTime<Utc>) -> CaseFacts {
        let record = CaseRecord { time_limit: Some(TimeLimit::Days(2)), ..CaseRecord::default() };
        CaseFacts::new(record, false, now)
    }

    #[test]
    fn a_joint_dispatch_plans_each_part_with_its_own_deadline() {
        let now = monday_nine();
        let helpers =
            [helper("water", "shut the main", Some("4h")), helper("street", "fence the hole", None)];
        let provided = Provided { handling_unit: Some("roads"), helpers: &helpers, ..Provided::default() };
        let step = take(
            CaseState::Registered,
            Action::Dispatch,
            Role::Dispatcher,
            &provided,
            &registered(now),
            &calendar(),
        )
        .unwrap();
        let parts = step.helper_parts.expect("a dispatch sets the parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].unit, "water");
        assert_eq!(parts[0].deadline, Some(calendar().deadline(now, TimeLimit::Hours(4)).unwrap()));
        assert_eq!(parts[1].time_limit, Some(TimeLimit::Days(2)));
        assert_eq!(parts[1].deadline, step.deadline.due());

        let plain = Provided { handling_unit: Some("roads"), ..Provided::default() };
        let step = take(
            CaseState::Registered,
            Action::Dispatch,
            Role::Dispatcher,
            &plain,
            &registered(now),
            &calendar(),
        )
        .unwrap();
        assert_eq!(step.helper_parts, Some(Vec::new()), "a plain dispatch withdraws earlier parts");
    }

    #[test]
    fn helper_requests_are_checked_one_by_one() {
        let now = monday_nine();
        let refuse = |helpers: &[HelperPartRequest]| {
            let provided = Provided { handling_unit: Some("roads"), helpers, ..Provided::default() };
            take(
                CaseState::Registered,
                Action::Dispatch,
                Role::Dispatcher,
                &provided,
                &registered(now),
                &calendar(),
            )
            .unwrap_err()
        };
        let lead = refuse(&[helper("roads", "x", None)]);
        assert_eq!(lead.code(), "helper_invalid");
        assert!(lead.to_string().contains("lead unit"), "{lead}");
        let twice = refuse(&[helper("water", "a", None), helper("water", "b", None)]);
        assert!(twice.to_string().starts_with("helper 1:"), "{twice}");
        assert!(refuse(&[helper("water", " ", None)]).to_string().contains("note"));
        assert!(refuse(&[helper("water", "a", Some("soon"))]).to_string().contains("time_limit"));
        let many: Vec<_> = (0..=MAX_HELPERS).map(|i| helper(&format!("u{i}"), "a", None)).collect();
        assert_eq!(refuse(&many).code(), "helper_invalid");

        let helpers = [helper("water", "a", None)];
        let on_accept = Provided { helpers: &helpers, ..Provided::default() };
        let refusal = take(
            CaseState::Dispatched,
            Action::Accept,
            Role::Handler,
            &on_accept,
            &registered(now),
            &calendar(),
        );
        assert_eq!(refusal.unwrap_err(), Refusal::HelpersNotAccepted { action: Action::Accept });
    }

    #[test]
    fn the_lead_marks_handled_only_when_every_part_is_settled() {
        let now = monday_nine();
        let photo = Provided { photos: 1, ..Provided::default() };
        let mut facts = registered(now);
        facts.open_helper_parts = 1;
        let refusal =
            take(CaseState::InProgress, Action::MarkHandled, Role::Handler, &photo, &facts, &calendar());
        assert_eq!(refusal.unwrap_err(), Refusal::HelperPartsOpen { open: 1 });
        facts.open_helper_parts = 0;
        let step =
            take(CaseState::InProgress, Action::MarkHandled, Role::Handler, &photo, &facts, &calendar());
        assert_eq!(step.unwrap().to(), CaseState::Handled);
    }

    #[test]
    fn the_lead_sending_the_case_back_withdraws_the_parts() {
        let now = monday_nine();
        let reason = Provided { reason: Some("not ours"), ..Provided::default() };
        let step = take(
            CaseState::Dispatched,
            Action::SendBack,
            Role::Handler,
            &reason,
            &registered(now),
            &calendar(),
        )
        .unwrap();
        assert_eq!(step.helper_parts, Some(Vec::new()));
    }

    fn part(state: PartState, deadline: DateTime<Utc>, now: DateTime<Utc>) -> PartFacts {
        PartFacts {
            now,
            case_state: CaseState::InProgress,
            state,
            deadline: Some(deadline),
            overdue: false,
            time_limit: Some(TimeLimit::Hours(4)),
            round_the_clock_minutes: None,
        }
    }

    #[test]
    fn a_helper_accepts_and_finishes_its_part_with_a_photo_on_time_or_late() {
        let due = monday_nine();
        let none = PartProvided::default();
        let accepted = take_part(
            PartAction::Accept,
            PartActor::Helper,
            &none,
            &part(PartState::Assigned, due, due),
            &calendar(),
        )
        .unwrap();
        assert_eq!(accepted.to, PartState::Accepted);
        let facts = part(PartState::Accepted, due, due);
        assert_eq!(
            take_part(PartAction::Finish, PartActor::Helper, &none, &facts, &calendar()).unwrap_err(),
            PartRefusal::PhotoRequired { action: PartAction::Finish }
        );
        let photo = PartProvided { photos: 1, ..none };
        let on_time = take_part(PartAction::Finish, PartActor::Helper, &photo, &facts, &calendar()).unwrap();
        assert_eq!((on_time.to, on_time.on_time), (PartState::Finished, Some(true)));
        let late_facts = part(PartState::Accepted, due, due + Duration::seconds(1));
        let late =
            take_part(PartAction::Finish, PartActor::Helper, &photo, &late_facts, &calendar()).unwrap();
        assert_eq!(late.on_time, Some(false));
    }

    #[test]
    fn only_the_right_actor_takes_each_part_step() {
        let due = monday_nine();
        let facts = part(PartState::Assigned, due, due);
        let reason = PartProvided { reason: Some("done elsewhere"), photos: 0 };
        for actor in [PartActor::Lead, PartActor::StreetOffice, PartActor::Other, PartActor::System] {
            let refusal = take_part(PartAction::Accept, actor, &reason, &facts, &calendar()).unwrap_err();
            assert!(refusal.is_forbidden(), "{actor}");
        }
        assert_eq!(
            take_part(PartAction::Close, PartActor::Helper, &reason, &facts, &calendar()).unwrap_err().code(),
            "not_allowed_for_part"
        );
        let closed = take_part(PartAction::Close, PartActor::Lead, &reason, &facts, &calendar()).unwrap();
        assert_eq!(closed.to, PartState::Closed);
        assert_eq!(
            take_part(PartAction::Close, PartActor::Lead, &PartProvided::default(), &facts, &calendar())
                .unwrap_err()
                .code(),
            "reason_required"
        );
        let finished = part(PartState::Finished, due, due);
        assert!(
            take_part(PartAction::Close, PartActor::Lead, &reason, &finished, &calendar())
                .unwrap_err()
                .is_conflict()
        );
        let handled = PartFacts { case_state: CaseState::Handled, ..facts };
        assert_eq!(
            take_part(PartAction::Accept, PartActor::Helper, &reason, &handled, &calendar()).unwrap_err(),
            PartRefusal::CaseNotActive { state: CaseState::Handled }
        );
        assert_eq!(
            available_part_actions(PartActor::Helper, &facts, &calendar()),
            [PartAction::Accept, PartAction::SendBack]
        );
        assert_eq!(available_part_actions(PartActor::Lead, &facts, &calendar()), [PartAction::Close]);
        assert!(available_part_actions(PartActor::Other, &facts, &calendar()).is_empty());
    }

    #[test]
    fn an_open_part_past_its_deadline_is_marked_overdue_once_and_escalated() {
        let due = monday_nine();
        let none = PartProvided::default();
        let early = part(PartState::Accepted, due, due - Duration::seconds(1));
        assert_eq!(
            take_part(PartAction::MarkOverdue, PartActor::System, &none, &early, &calendar()).unwrap_err(),
            PartRefusal::DeadlineNotPassed
        );
        let past = part(PartState::Accepted, due, due);
        let step = take_part(PartAction::MarkOverdue, PartActor::System, &none, &past, &calendar()).unwrap();
        assert_eq!((step.overdue, step.escalates, step.to), (Some(true), true, PartState::Accepted));
        let flagged = PartFacts { overdue: true, ..past };
        assert_eq!(
            take_part(PartAction::MarkOverdue, PartActor::System, &none, &flagged, &calendar()).unwrap_err(),
            PartRefusal::AlreadyOverdue
        );
        let finished = part(PartState::Finished, due, due);
        assert!(
            take_part(PartAction::MarkOverdue, PartActor::System, &none, &finished, &calendar()).is_err()
        );
    }

    #[test]
    fn the_lead_or_the_street_office_returns_a_finished_part_for_rework_with_a_fresh_deadline() {
        let due = monday_nine();
        // Finished late, on Monday 15:00 (two working hours after its 13:00 deadline).
        let now = due + Duration::hours(6);
        let finished = PartFacts { overdue: true, ..part(PartState::Finished, due, now) };
        let reason = PartProvided { reason: Some("the fence fell over"), photos: 0 };
        for actor in [PartActor::Lead, PartActor::StreetOffice] {
            let step = take_part(PartAction::Rework, actor, &reason, &finished, &calendar()).unwrap();
            assert_eq!((step.from, step.to), (PartState::Finished, PartState::Accepted));
            assert!(step.reworks);
            assert_eq!(step.overdue, Some(false), "the fresh deadline clears the flag");
            assert_eq!(step.on_time, None);
            // 4 working hours from Monday 15:00: 2.5 on Monday, 1.5 on Tuesday morning.
            let fresh = calendar().deadline(now, TimeLimit::Hours(4)).unwrap();
            assert_eq!(step.deadline, Change::Set(fresh));
            assert_eq!(fresh, Utc.with_ymd_and_hms(2026, 12, 1, 2, 30, 0).unwrap());
        }
        // Under emergency command the level's limit runs round the clock, as at the dispatch.
        let command = PartFacts { round_the_clock_minutes: Some(120), ..finished };
        let step = take_part(PartAction::Rework, PartActor::Lead, &reason, &command, &calendar()).unwrap();
        assert_eq!(step.deadline, Change::Set(now + Duration::minutes(120)));
        let no_limit = PartFacts { time_limit: None, ..finished };
        let step = take_part(PartAction::Rework, PartActor::Lead, &reason, &no_limit, &calendar()).unwrap();
        assert_eq!(step.deadline, Change::Clear);

        let refuse = |actor, provided: &PartProvided<'_>, facts: &PartFacts| {
            take_part(PartAction::Rework, actor, provided, facts, &calendar()).unwrap_err()
        };
        let helper = refuse(PartActor::Helper, &reason, &finished);
        assert!(helper.is_forbidden() && helper.code() == "not_allowed_for_part", "{helper}");
        assert_eq!(refuse(PartActor::Other, &reason, &finished).code(), "not_allowed_for_part");
        for state in [PartState::Assigned, PartState::Accepted, PartState::SentBack, PartState::Closed] {
            let open = refuse(PartActor::Lead, &reason, &part(state, due, now));
            assert!(open.is_conflict() && open.code() == "part_not_from_state", "{state}: {open}");
        }
        let blank = PartProvided { reason: Some("  "), photos: 0 };
        let missing = refuse(PartActor::Lead, &blank, &finished);
        assert_eq!(missing, PartRefusal::ReasonRequired { action: PartAction::Rework });
        assert!(!missing.is_conflict() && !missing.is_forbidden());
        let handled = PartFacts { case_state: CaseState::Handled, ..finished };
        assert_eq!(refuse(PartActor::Lead, &reason, &handled).code(), "case_not_active");

        assert_eq!(available_part_actions(PartActor::Lead, &finished, &calendar()), [PartAction::Rework]);
        assert_eq!(
            available_part_actions(PartActor::StreetOffice, &finished, &calendar()),
            [PartAction::Rework]
        );
        assert!(available_part_actions(PartActor::Helper, &finished, &calendar()).is_empty());
        // Returned, the part is the helper's to finish again, with a photo.
        let again = part(PartState::Accepted, due, now);
        assert_eq!(available_part_actions(PartActor::Helper, &again, &calendar()), [PartAction::Finish]);
    }

    #[test]
    fn a_part_under_command_falls_due_like_the_case_round_the_clock_unless_sooner() {
        let cal = calendar();
        // Saturday 22:00 in Beijing: 4 working hours fall on Monday; 240 minutes on Sunday 02:00.
        let saturday = Utc.with_ymd_and_hms(2026, 12, 5, 14, 0, 0).unwrap();
        let limit = Some(TimeLimit::Hours(4));
        assert_eq!(part_deadline(saturday, limit, Some(240), &cal), Ok(Some(saturday + Duration::hours(4))));
        assert!(
            part_deadline(saturday, limit, None, &cal).unwrap().unwrap() > saturday + Duration::hours(24)
        );
        // On a working morning 1 working hour falls due before 240 minutes.
        let monday = monday_nine();
        let hour = Some(TimeLimit::Hours(1));
        assert_eq!(part_deadline(monday, hour, Some(240), &cal), Ok(Some(monday + Duration::hours(1))));
        assert_eq!(part_deadline(monday, None, Some(240), &cal), Ok(Some(monday + Duration::hours(4))));
        assert_eq!(part_deadline(monday, None, None, &cal), Ok(None));
    }

    #[test]
    fn the_actor_of_an_account_is_worked_out_from_its_role_and_unit() {
        let of = |role, unit| PartActor::of(role, unit, "water", Some("roads"));
        assert_eq!(of(Role::Handler, Some("water")), PartActor::Helper);
        assert_eq!(of(Role::Handler, Some("roads")), PartActor::Lead);
        assert_eq!(of(Role::Handler, Some("parks")), PartActor::Other);
        assert_eq!(of(Role::Handler, None), PartActor::Other);
        assert_eq!(of(Role::Dispatcher, None), PartActor::StreetOffice);
        assert_eq!(of(Role::Inspector, None), PartActor::Other);
    }
}
