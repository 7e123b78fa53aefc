//! The call-back (回访): after a case closes, a hotline operator calls its reporter and records
//! how satisfied they are (GB/T 33358's call-back result), with a note. A dissatisfied answer
//! sends the case back for rework by the rule the city sets ([`CallbackRework`]): at once, to
//! the same handling unit with a fresh deadline, or left closed for the street office to decide
//! (it reopens the case with a reason, or does not).
//!
//! The call-back is the workflow action `call_back` (role `operator`, from `closed`), because
//! its dissatisfied answer may change the case's state, and every change of state is core's
//! decision. The result is kept in the step's event (`details.satisfaction`), from which the
//! satisfaction rate is counted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{UnknownName, join};

wire_enum! {
    /// The reporter's answer to the call-back.
    Satisfaction, "satisfaction" {
        /// 满意.
        Satisfied = "satisfied",
        /// 基本满意.
        BasicallySatisfied = "basically_satisfied",
        /// 不满意: the problem is not solved in the reporter's eyes.
        Dissatisfied = "dissatisfied",
    }
}

impl Satisfaction {
    /// Whether the answer counts as satisfied for the satisfaction rate (满意 and 基本满意).
    pub fn counts_as_satisfied(self) -> bool {
        !matches!(self, Satisfaction::Dissatisfied)
    }

    /// What a reporter's rating (1 to 5) says of their satisfaction, so ratings and call-backs
    /// count in one satisfaction rate: 4 and 5 satisfied, 3 basically satisfied, 1 and 2
    /// dissatisfied; anything else is no rating.
    pub fn of_rating(rating: u8) -> Option<Satisfaction> {
        match rating {
            4 | 5 => Some(Satisfaction::Satisfied),
            3 => Some(Satisfaction::BasicallySatisfied),
            1 | 2 => Some(Satisfaction::Dissatisfied),
            _ => None,
        }
    }

    /// The answer in words, for the operator's screen and the timeline.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Satisfaction::Satisfied => ("满意", "Satisfied"),
            Satisfaction::BasicallySatisfied => ("基本满意", "Basically satisfied"),
            Satisfaction::Dissatisfied => ("不满意", "Dissatisfied"),
        }
    }
}

wire_enum! {
    /// What a dissatisfied call-back does, as the city sets it (by default the street office
    /// decides).
    #[derive(Default)]
    CallbackRework, "call-back rework rule" {
        /// The case goes back at once to its handling unit, with a new deadline.
        Automatic = "automatic",
        /// The case stays closed; the street office decides whether to reopen it.
        #[default]
        Dispatcher = "dispatcher",
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::calendar::WorkingCalendar;
    use crate::workflow::{
        Action, CaseFacts, CaseState, Change, DeadlineChange, Effect, Provided, Refusal, Role,
        available_actions, take,
    };

    fn facts(rule: CallbackRework) -> CaseFacts {
        CaseFacts {
            now: Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap(),
            time_limit: Some("2d".parse().unwrap()),
            callback_rework: rule,
            ..CaseFacts::default()
        }
    }

    #[test]
    fn a_rating_says_how_satisfied_in_the_call_backs_terms() {
        let said: Vec<Option<bool>> =
            (0..=6).map(|r| Satisfaction::of_rating(r).map(Satisfaction::counts_as_satisfied)).collect();
        assert_eq!(said, [None, Some(false), Some(false), Some(true), Some(true), Some(true), None]);
        assert_eq!(Satisfaction::of_rating(3), Some(Satisfaction::BasicallySatisfied));
    }

    fn answer(satisfaction: Satisfaction) -> Provided<'static> {
        Provided { satisfaction: Some(satisfaction), ..Provided::default() }
    }

    fn call_back(provided: &Provided<'_>, facts: &CaseFacts) -> Result<crate::workflow::Step, Refusal> {
        let calendar = WorkingCalendar::china().unwrap();
        take(CaseState::Closed, Action::CallBack, Role::Operator, provided, facts, &calendar)
    }

    #[test]
    fn only_an_operator_calls_back_and_only_a_closed_case() {
        assert_eq!(available_actions(CaseState::Closed, Role::Operator), [Action::CallBack]);
        // On a report still open the operator answers or transfers the call (hotline.rs); on
        // any other state the operator has no step.
        assert_eq!(
            available_actions(CaseState::Reported, Role::Operator),
            [Action::Answer, Action::Transfer]
        );
        for state in CaseState::ALL.iter().filter(|s| !matches!(**s, CaseState::Closed | CaseState::Reported))
        {
            assert!(available_actions(*state, Role::Operator).is_empty(), "{state}");
        }
        for role in Role::ALL.iter().filter(|r| **r != Role::Operator) {
            assert!(!available_actions(CaseState::Closed, *role).contains(&Action::CallBack), "{role}");
        }
    }

    #[test]
    fn a_satisfied_answer_is_recorded_and_the_case_stays_closed() {
        for satisfaction in [Satisfaction::Satisfied, Satisfaction::BasicallySatisfied] {
            for rule in CallbackRework::ALL {
                let step = call_back(&answer(satisfaction), &facts(*rule)).unwrap();
                assert_eq!(step.to(), CaseState::Closed);
                assert_eq!(step.satisfaction, Some(satisfaction));
                assert_eq!(step.deadline, DeadlineChange::Keep);
            }
        }
    }

    #[test]
    fn a_dissatisfied_answer_reworks_by_the_citys_rule() {
        let automatic =
            call_back(&answer(Satisfaction::Dissatisfied), &facts(CallbackRework::Automatic)).unwrap();
        assert_eq!(automatic.to(), CaseState::Dispatched);
        assert_eq!(automatic.satisfaction, Some(Satisfaction::Dissatisfied));
        assert!(automatic.transition.effects.contains(&Effect::CountsRework));
        assert!(automatic.deadline.due().is_some(), "a fresh deadline from the time limit");
        assert_eq!(automatic.handling_unit, Change::Keep, "back to the unit it had");
        assert_eq!(automatic.overdue, Some(false));

        let left =
            call_back(&answer(Satisfaction::Dissatisfied), &facts(CallbackRework::Dispatcher)).unwrap();
        assert_eq!(left.to(), CaseState::Closed, "the street office decides");
        assert_eq!(left.satisfaction, Some(Satisfaction::Dissatisfied));
        assert!(!left.transition.effects.contains(&Effect::CountsRework));
    }

    #[test]
    fn an_answer_is_needed_and_one_call_back_per_closure() {
        let refused = call_back(&Provided::default(), &facts(CallbackRework::Automatic)).unwrap_err();
        assert_eq!(refused.code(), "satisfaction_required");
        let called = CaseFacts { called_back: true, ..facts(CallbackRework::Automatic) };
        let refused = call_back(&answer(Satisfaction::Satisfied), &called).unwrap_err();
        assert_eq!(refused, Refusal::AlreadyCalledBack);
        assert_eq!(Satisfaction::Dissatisfied.words().1, "Dissatisfied");
        assert!(Satisfaction::BasicallySatisfied.counts_as_satisfied());
        assert!(!Satisfaction::Dissatisfied.counts_as_satisfied());
    }
}
