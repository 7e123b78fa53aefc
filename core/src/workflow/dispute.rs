//! Disputed assignments (派单异议): the rules of the `dispute`, `uphold`, `reassign` and
//! `escalate_dispute` steps that [`super::take`] reads, and how bounces are counted.
//!
//! - The unit a case was dispatched to may dispute the assignment, with a reason, within
//!   [`DISPUTE_WINDOW`] (working time) after the dispatch and before accepting it. The case stays
//!   `dispatched`: a dispute is a fact about the assignment, not a state (the unit may still be
//!   right to hold it), and while it waits the unit neither accepts nor sends the case back.
//! - The arbiter (the street office's dispatcher, or the district's for a case in no street:
//!   whoever's scope holds the case) decides within [`ARBITER_LIMIT`] (working time) of the
//!   dispute: `uphold` (the unit must take the case; its deadline stands) or `reassign` (another
//!   unit, a fresh deadline, helper parts anew). A decision after the arbiter's deadline is still
//!   taken, and recorded as late.
//! - An undecided dispute past the arbiter's deadline is sent to the district once by the
//!   `system` (`escalate_dispute`).
//! - Every hand-over of a case from one unit to another (a send back, a reassignment) is a bounce.
//!   A case that has bounced more than [`BOUNCES_BEFORE_FLAG`] times is flagged to the district
//!   once, by the step that bounced it past the limit (Beijing's rule against passing cases
//!   around).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::calendar::{TimeLimit, WorkingCalendar};

/// How long after a dispatch the unit may dispute it (default of the national rules for
/// hard-to-assign 12345 cases: 2 working hours).
pub const DISPUTE_WINDOW: TimeLimit = TimeLimit::Hours(2);

/// How long the arbiter has to decide a dispute.
pub const ARBITER_LIMIT: TimeLimit = TimeLimit::Hours(4);

/// How many times a case may change hands between units before it is flagged to the district.
pub const BOUNCES_BEFORE_FLAG: u32 = 2;

/// What the case record shows about disputes and bounces, built by [`DisputeFacts::new`] only,
/// so the window is always counted on the working calendar from the last dispatch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DisputeFacts {
    /// When the dispute window of the current assignment closes (`None`: not dispatched, or no
    /// calendar to count on, and then no dispute is possible).
    pub window_closes: Option<DateTime<Utc>>,
    /// A dispute waits for the arbiter.
    pub pending: bool,
    /// The arbiter's deadline of the pending dispute.
    pub decide_by: Option<DateTime<Utc>>,
    /// The pending dispute went to the district already.
    pub escalated: bool,
    /// How many times the case changed hands between units so far.
    pub bounces: u32,
    /// The case was flagged to the district for bouncing already.
    pub flagged: bool,
}

/// The stored facts [`DisputeFacts::new`] reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DisputeRecord {
    /// When the case was last dispatched or reassigned.
    pub dispatched_at: Option<DateTime<Utc>>,
    /// The pending dispute's arbiter deadline, when one waits.
    pub pending_decide_by: Option<Option<DateTime<Utc>>>,
    pub escalated: bool,
    pub bounces: u32,
    pub flagged: bool,
}

impl DisputeFacts {
    /// The facts of `record`, the window counted on `calendar`.
    pub fn new(record: DisputeRecord, calendar: &WorkingCalendar) -> Self {
        DisputeFacts {
            window_closes: record.dispatched_at.and_then(|at| calendar.deadline(at, DISPUTE_WINDOW).ok()),
            pending: record.pending_decide_by.is_some(),
            decide_by: record.pending_decide_by.flatten(),
            escalated: record.escalated,
            bounces: record.bounces,
            flagged: record.flagged,
        }
    }

    /// Whether a dispute raised at `now` is within the window.
    pub fn window_open(&self, now: DateTime<Utc>) -> bool {
        self.window_closes.is_some_and(|closes| now <= closes)
    }

    /// Whether the pending dispute's arbiter deadline has passed at `now`.
    pub fn arbiter_late(&self, now: DateTime<Utc>) -> bool {
        self.pending && self.decide_by.is_some_and(|due| now > due)
    }
}

/// The arbiter's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Upheld,
    Reassigned,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Upheld => "upheld",
            Decision::Reassigned => "reassigned",
        }
    }
}

/// What a step does to the assignment's dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum DisputeChange {
    Keep,
    /// A dispute is raised; the arbiter decides by `decide_by`.
    Raise {
        decide_by: Option<DateTime<Utc>>,
    },
    /// The pending dispute is decided; `late` when after the arbiter's deadline.
    Decide {
        decision: Decision,
        late: bool,
    },
    /// The pending dispute goes to the district.
    Escalate,
}

/// The arbiter's deadline of a dispute raised at `now`.
pub(super) fn decide_by(now: DateTime<Utc>, calendar: &WorkingCalendar) -> Option<DateTime<Utc>> {
    calendar.deadline(now, ARBITER_LIMIT).ok()
}

/// The number of bounces after one more, when that one takes the case past the limit and it
/// was not flagged yet: the step flags it to the district.
pub(super) fn flag_after_bounce(facts: &DisputeFacts) -> Option<u32> {
    let bounces = facts.bounces.saturating_add(1);
    (bounces > BOUNCES_BEFORE_FLAG && !facts.flagged).then_some(bounces)
}

#[cfg(test)]
pub(super) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::workflow::{Action, CaseFacts, CaseState, Provided, Refusal, Role, take};

    pub(in crate::workflow) fn calendar() -> WorkingCalendar {
        WorkingCalendar::china().unwrap()
    }

    /// Monday 30 November 2026, 09:00 in Beijing: a working morning.
    pub(in crate::workflow) fn monday_nine() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap()
    }

    fn dispatched_at(at: DateTime<Utc>, now: DateTime<Utc>) -> CaseFacts {
        let record = DisputeRecord { dispatched_at: Some(at), ..DisputeRecord::default() };
        CaseFacts { now, dispute: DisputeFacts::new(record, &calendar()), ..CaseFacts::default() }
    }

    fn with_reason() -> Provided<'static> {
        Provided { reason: Some("not our pipe"), ..Provided::default() }
    }

    #[test]
    fn a_unit_disputes_within_the_window_with_a_reason_only() {
        let at = monday_nine();
        let closes = calendar().deadline(at, DISPUTE_WINDOW).unwrap();
        let soon = dispatched_at(at, closes - Duration::minutes(1));
        let step =
            take(CaseState::Dispatched, Action::Dispute, Role::Handler, &with_reason(), &soon, &calendar())
                .unwrap();
        assert_eq!(step.to(), CaseState::Dispatched);
        let due = calendar().deadline(soon.now, ARBITER_LIMIT).unwrap();
        assert!(due > soon.now);
        assert_eq!(step.dispute, DisputeChange::Raise { decide_by: Some(due) });

        let refusal = take(
            CaseState::Dispatched,
            Action::Dispute,
            Role::Handler,
            &Provided::default(),
            &soon,
            &calendar(),
        );
        assert_eq!(refusal.unwrap_err().code(), "reason_required");

        let late = dispatched_at(at, closes + Duration::minutes(1));
        let refusal =
            take(CaseState::Dispatched, Action::Dispute, Role::Handler, &with_reason(), &late, &calendar());
        assert_eq!(refusal.unwrap_err(), Refusal::DisputeWindowClosed { closed: closes });

        let accepted =
            take(CaseState::InProgress, Action::Dispute, Role::Handler, &with_reason(), &soon, &calendar());
        assert_eq!(accepted.unwrap_err().code(), "not_from_state");
    }

    fn pending(decide_by: DateTime<Utc>, now: DateTime<Utc>, bounces: u32) -> CaseFacts {
        let record = DisputeRecord {
            dispatched_at: Some(decide_by - Duration::hours(5)),
            pending_decide_by: Some(Some(decide_by)),
            bounces,
            ..DisputeRecord::default()
        };
        CaseFacts { now, dispute: DisputeFacts::new(record, &calendar()), ..CaseFacts::default() }
    }

    #[test]
    fn while_a_dispute_waits_the_unit_neither_accepts_nor_disputes_again() {
        let due = monday_nine();
        let facts = pending(due, due - Duration::hours(1), 0);
        for action in [Action::Accept, Action::SendBack, Action::Dispute] {
            let refusal =
                take(CaseState::Dispatched, action, Role::Handler, &with_reason(), &facts, &calendar());
            assert_eq!(refusal.unwrap_err(), Refusal::DisputePending, "{action}");
        }
    }

    #[test]
    fn the_arbiter_decides_on_time_or_late_and_only_a_pending_dispute() {
        let due = monday_nine();
        let on_time = pending(due, due - Duration::minutes(1), 0);
        let upheld = take(
            CaseState::Dispatched,
            Action::Uphold,
            Role::Dispatcher,
            &Provided::default(),
            &on_time,
            &calendar(),
        )
        .unwrap();
        assert_eq!(upheld.dispute, DisputeChange::Decide { decision: Decision::Upheld, late: false });
        assert_eq!(upheld.flags_district, None);

        let late = pending(due, due + Duration::minutes(1), 0);
        let to_roads = Provided { handling_unit: Some("roads"), ..Provided::default() };
        let reassigned =
            take(CaseState::Dispatched, Action::Reassign, Role::Dispatcher, &to_roads, &late, &calendar())
                .unwrap();
        assert_eq!(reassigned.dispute, DisputeChange::Decide { decision: Decision::Reassigned, late: true });
        assert_eq!(reassigned.handling_unit, crate::workflow::Change::Set("roads".to_owned()));
        assert!(reassigned.transition.effects.contains(&crate::workflow::Effect::CountsBounce));

        let nothing = dispatched_at(due, due);
        for action in [Action::Uphold, Action::Reassign] {
            let refusal =
                take(CaseState::Dispatched, action, Role::Dispatcher, &to_roads, &nothing, &calendar());
            assert_eq!(refusal.unwrap_err(), Refusal::NoDisputePending, "{action}");
        }
        let by_unit =
            take(CaseState::Dispatched, Action::Uphold, Role::Handler, &to_roads, &on_time, &calendar());
        assert_eq!(by_unit.unwrap_err().code(), "not_allowed_for_role");
    }

    #[test]
    fn an_undecided_dispute_goes_to_the_district_once_after_the_arbiters_deadline() {
        let due = monday_nine();
        let none = Provided::default();
        let early = pending(due, due, 0);
        let refusal =
            take(CaseState::Dispatched, Action::EscalateDispute, Role::System, &none, &early, &calendar());
        assert_eq!(refusal.unwrap_err(), Refusal::ArbiterDeadlineNotPassed);
        let past = pending(due, due + Duration::seconds(1), 0);
        let step =
            take(CaseState::Dispatched, Action::EscalateDispute, Role::System, &none, &past, &calendar())
                .unwrap();
        assert_eq!(step.dispute, DisputeChange::Escalate);
        let mut again = past;
        again.dispute.escalated = true;
        let refusal =
            take(CaseState::Dispatched, Action::EscalateDispute, Role::System, &none, &again, &calendar());
        assert_eq!(refusal.unwrap_err(), Refusal::ArbiterDeadlineNotPassed);
    }

    #[test]
    fn the_third_bounce_flags_the_case_to_the_district_once() {
        let due = monday_nine();
        let to_roads = Provided { handling_unit: Some("roads"), ..Provided::default() };
        let reassign = |bounces: u32, flagged: bool| {
            let mut facts = pending(due, due, bounces);
            facts.dispute.flagged = flagged;
            take(CaseState::Dispatched, Action::Reassign, Role::Dispatcher, &to_roads, &facts, &calendar())
                .unwrap()
                .flags_district
        };
        assert_eq!(reassign(0, false), None);
        assert_eq!(reassign(1, false), None);
        assert_eq!(reassign(2, false), Some(3));
        assert_eq!(reassign(3, true), None);

        let mut facts = dispatched_at(due, due);
        facts.dispute.bounces = 2;
        let sent_back =
            take(CaseState::Dispatched, Action::SendBack, Role::Handler, &with_reason(), &facts, &calendar())
                .unwrap();
        assert_eq!(sent_back.flags_district, Some(3));
    }
}
