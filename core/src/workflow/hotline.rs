//! The 12345 hotline's rules for a call taken by an operator (GB/T 33358): the call's type
//! (咨询 / 求助 / 投诉 / 建议), its urgency (一般 / 紧急 / 特急, the case's [`Urgency`], which the
//! call's case takes as it is), the handling time limit they give on the working calendar, and
//! where a call that is not the city's may be transferred.
//!
//! Two workflow actions belong to the hotline (role `operator`, from `reported`, both closing
//! the order at once with their text as the step's reason):
//! - `answer` (当场答复): a consultation answered on the call; the answer is the reason;
//! - `transfer` (转办): the call belongs to the emergency line (110/119/120) or to another
//!   city's system; the reason says why, and the destination is one of [`TransferTo`].
//!
//! The time limits default to the Shanghai street offices' rules for 12345 orders, in working
//! days: consultation or suggestion 1, help or complaint 5. Urgency shortens them: an urgent
//! call gets at most one working day, a very urgent one at most two working hours. A city sets
//! its own with [`HotlineLimits`] (the server's `GRIDLINE_HOTLINE_LIMITS`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A call's urgency is the urgency of the case it files ([`super::Urgency`], one definition for
/// every way in); it is named here too, where the hotline's API has always found it.
pub use super::Urgency;
use super::{UnknownName, join};
use crate::calendar::TimeLimit;

wire_enum! {
    /// What the caller wants.
    CallType, "call type" {
        /// 咨询: a question, answered on the call when the operator can.
        Consultation = "consultation",
        /// 求助: help with a problem.
        Help = "help",
        /// 投诉: a complaint.
        Complaint = "complaint",
        /// 建议: a suggestion.
        Suggestion = "suggestion",
    }
}

wire_enum! {
    /// Where a call that is not the city's own goes.
    TransferTo, "transfer destination" {
        /// 110: police.
        Police = "110",
        /// 119: fire.
        Fire = "119",
        /// 120: ambulance.
        Ambulance = "120",
        /// Another city's hotline or grid system.
        OtherCity = "other_city",
    }
}

impl CallType {
    /// The type in words, for the console and the timeline.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            CallType::Consultation => ("咨询", "Consultation"),
            CallType::Help => ("求助", "Help"),
            CallType::Complaint => ("投诉", "Complaint"),
            CallType::Suggestion => ("建议", "Suggestion"),
        }
    }
}

impl TransferTo {
    /// The destination in words.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            TransferTo::Police => ("110 报警", "110 police"),
            TransferTo::Fire => ("119 火警", "119 fire"),
            TransferTo::Ambulance => ("120 急救", "120 ambulance"),
            TransferTo::OtherCity => ("外市系统", "Another city's system"),
        }
    }
}

/// The time limits a city gives hotline orders: one per type, and a cap per urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlineLimits {
    pub consultation: TimeLimit,
    pub help: TimeLimit,
    pub complaint: TimeLimit,
    pub suggestion: TimeLimit,
    /// The longest an urgent order may take.
    pub urgent: TimeLimit,
    /// The longest a very urgent order may take.
    pub very_urgent: TimeLimit,
}

impl Default for HotlineLimits {
    /// The Shanghai rules for 12345 orders, and the urgency caps described in the module.
    fn default() -> Self {
        HotlineLimits {
            consultation: TimeLimit::Days(1),
            help: TimeLimit::Days(5),
            complaint: TimeLimit::Days(5),
            suggestion: TimeLimit::Days(1),
            urgent: TimeLimit::Days(1),
            very_urgent: TimeLimit::Hours(2),
        }
    }
}

impl HotlineLimits {
    /// The handling time limit of an order of `call_type` and `urgency`: the type's limit, cut
    /// to the urgency's cap. `day_hours` is the length of a working day, to compare hours with
    /// days.
    pub fn limit(&self, call_type: CallType, urgency: Urgency, day_hours: u32) -> TimeLimit {
        let by_type = match call_type {
            CallType::Consultation => self.consultation,
            CallType::Help => self.help,
            CallType::Complaint => self.complaint,
            CallType::Suggestion => self.suggestion,
        };
        let cap = match urgency {
            Urgency::Normal => return by_type,
            Urgency::Urgent => self.urgent,
            Urgency::VeryUrgent => self.very_urgent,
        };
        let hours = |limit: TimeLimit| match limit {
            TimeLimit::Hours(h) => h,
            TimeLimit::Days(d) => d.saturating_mul(day_hours.max(1)),
        };
        if hours(cap) < hours(by_type) { cap } else { by_type }
    }
}

/// What is wrong with a written [`HotlineLimits`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "hotline limits: {0} (expected comma-separated name=limit pairs such as \"help=5d,very_urgent=2h\", names: consultation, help, complaint, suggestion, urgent, very_urgent)"
)]
pub struct HotlineLimitsFormat(String);

/// `help=3d,very_urgent=1h`: the defaults, with the limits named changed; empty is the
/// defaults.
impl FromStr for HotlineLimits {
    type Err = HotlineLimitsFormat;
    fn from_str(text: &str) -> Result<Self, HotlineLimitsFormat> {
        let mut limits = HotlineLimits::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) =
                pair.split_once('=').ok_or_else(|| HotlineLimitsFormat(format!("{pair:?} has no '='")))?;
            let limit: TimeLimit =
                value.trim().parse().map_err(|e| HotlineLimitsFormat(format!("{}: {e}", name.trim())))?;
            let slot = match name.trim() {
                "consultation" => &mut limits.consultation,
                "help" => &mut limits.help,
                "complaint" => &mut limits.complaint,
                "suggestion" => &mut limits.suggestion,
                "urgent" => &mut limits.urgent,
                "very_urgent" => &mut limits.very_urgent,
                other => return Err(HotlineLimitsFormat(format!("unknown name {other:?}"))),
            };
            *slot = limit;
        }
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{Action, CaseState, Role, available_actions, decide};

    #[test]
    fn the_shanghai_defaults_by_type() {
        let limits = HotlineLimits::default();
        assert_eq!(limits.limit(CallType::Consultation, Urgency::Normal, 8), TimeLimit::Days(1));
        assert_eq!(limits.limit(CallType::Suggestion, Urgency::Normal, 8), TimeLimit::Days(1));
        assert_eq!(limits.limit(CallType::Help, Urgency::Normal, 8), TimeLimit::Days(5));
        assert_eq!(limits.limit(CallType::Complaint, Urgency::Normal, 8), TimeLimit::Days(5));
    }

    #[test]
    fn urgency_caps_the_limit_and_never_lengthens_it() {
        let limits = HotlineLimits::default();
        assert_eq!(limits.limit(CallType::Complaint, Urgency::Urgent, 8), TimeLimit::Days(1));
        assert_eq!(limits.limit(CallType::Complaint, Urgency::VeryUrgent, 8), TimeLimit::Hours(2));
        let short = HotlineLimits { help: TimeLimit::Hours(1), ..limits };
        assert_eq!(short.limit(CallType::Help, Urgency::VeryUrgent, 8), TimeLimit::Hours(1));
    }

    #[test]
    fn only_an_operator_answers_or_transfers_and_only_a_fresh_call() {
        for action in [Action::Answer, Action::Transfer] {
            let step = decide(CaseState::Reported, action, Role::Operator).unwrap();
            assert_eq!(step.to, CaseState::Closed);
            assert!(step.needs.reason, "{action} records its text as the reason");
            for state in CaseState::ALL.iter().filter(|s| **s != CaseState::Reported) {
                assert!(decide(*state, action, Role::Operator).is_err(), "{action} from {state}");
            }
            for role in Role::ALL.iter().filter(|r| **r != Role::Operator) {
                assert!(decide(CaseState::Reported, action, *role).is_err(), "{action} by {role}");
            }
        }
        assert_eq!(
            available_actions(CaseState::Reported, Role::Operator),
            [Action::Answer, Action::Transfer]
        );
    }

    #[test]
    fn a_city_changes_the_limits_it_names() {
        let limits: HotlineLimits = "help=3d, very_urgent=1h".parse().unwrap();
        assert_eq!(limits.help, TimeLimit::Days(3));
        assert_eq!(limits.very_urgent, TimeLimit::Hours(1));
        assert_eq!(limits.complaint, TimeLimit::Days(5));
        assert_eq!("".parse::<HotlineLimits>().unwrap(), HotlineLimits::default());
        assert!("help".parse::<HotlineLimits>().is_err());
        assert!("help=soon".parse::<HotlineLimits>().is_err());
        assert!("rush=1d".parse::<HotlineLimits>().is_err());
    }

    #[test]
    fn wire_names() {
        assert_eq!("110".parse::<TransferTo>().unwrap(), TransferTo::Police);
        assert_eq!("very_urgent".parse::<Urgency>().unwrap(), Urgency::VeryUrgent);
        assert!("emergency".parse::<CallType>().is_err());
    }
}
