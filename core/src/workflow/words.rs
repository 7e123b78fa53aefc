//! What a case's states and steps are called, in Chinese and English: each state in a citizen's
//! words, each step's name ([`Action::words`], [`event_kind_words`]: the apps' buttons, the
//! staff timelines of the dashboard and the phones), a case's urgency ([`Urgency::words`]), and
//! the range of the rating a reporter gives a closed case. The citizen web page, the dashboard
//! and the apps read these through an API answer or the bindings instead of keeping their own
//! lists.

use std::ops::RangeInclusive;

use super::{Action, CaseState, Urgency};

/// The stars a reporter may give a closed case (`rate`).
pub const RATINGS: RangeInclusive<u8> = 1..=5;

/// A state as a citizen reads it: a short label and one sentence of what happens next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateWords {
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub next_zh: &'static str,
    pub next_en: &'static str,
}

const fn words(
    label_zh: &'static str,
    label_en: &'static str,
    next_zh: &'static str,
    next_en: &'static str,
) -> StateWords {
    StateWords { label_zh, label_en, next_zh, next_en }
}

impl CaseState {
    /// This state in a citizen's words.
    pub fn citizen_words(self) -> StateWords {
        match self {
            CaseState::Reported => words(
                "已上报",
                "Reported",
                "街道将审核并决定是否立案。",
                "The street office will review it and decide whether to open a case.",
            ),
            CaseState::Registered => {
                words("已立案", "Accepted", "即将派给处置部门。", "It will be sent to a handling unit.")
            }
            CaseState::Rejected => words(
                "不予立案",
                "Not accepted",
                "街道说明了原因，见下方记录。",
                "The street office gave its reason, shown below.",
            ),
            CaseState::Dispatched => words(
                "已派遣",
                "Sent to a unit",
                "处置部门将在时限内处理。",
                "A handling unit will deal with it within the time limit.",
            ),
            CaseState::InProgress => {
                words("处置中", "Being fixed", "处置部门正在处理。", "The handling unit is working on it.")
            }
            CaseState::Handled => words(
                "已处置",
                "Fixed, to be checked",
                "网格员将到现场核查。",
                "An inspector will check the fix on site.",
            ),
            CaseState::Closed => words(
                "已结案",
                "Closed",
                "问题已解决，欢迎评价。",
                "The problem is solved; you may rate the result.",
            ),
            CaseState::Shelved => words(
                "挂账",
                "Long-term",
                "需要长期处理，已列入计划。",
                "It needs long-term work and is in the plan.",
            ),
            CaseState::Merged => words(
                "已合并",
                "Merged",
                "与另一件同类案件合并处理。",
                "It is handled together with another report of the same problem.",
            ),
        }
    }
}

impl Urgency {
    /// The urgency in words, `(zh, en)`: a case's badge on the dashboard, a call's on the
    /// hotline console.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Urgency::Normal => ("一般", "Normal"),
            Urgency::Urgent => ("紧急", "Urgent"),
            Urgency::VeryUrgent => ("特急", "Very urgent"),
        }
    }
}

impl Action {
    /// The step's name, `(zh, en)`.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Action::Register => ("立案", "Register"),
            Action::Reject => ("不予立案", "Reject"),
            Action::Dispatch => ("派遣", "Dispatch"),
            Action::Accept => ("接收", "Accept"),
            Action::SendBack => ("退回", "Send back"),
            Action::MarkHandled => ("处置完成", "Mark handled"),
            Action::VerifyPass => ("核查通过", "Verified: fixed"),
            Action::VerifyFail => ("核查不通过", "Verified: not fixed"),
            Action::Confirm => ("核实属实", "Confirmed on site"),
            Action::Deny => ("核实不属实", "Not found on site"),
            Action::RequestConfirm => ("核实派遣", "Asked to confirm on site"),
            Action::AssignVerifier => ("指派核查", "Verification assigned"),
            Action::SensorClose => ("传感器解除结案", "Closed: every alarm cleared"),
            Action::Extend => ("延期", "Extend"),
            Action::Shelve => ("挂账", "Shelve"),
            Action::Unshelve => ("恢复处理", "Unshelve"),
            Action::Merge => ("合并", "Merge"),
            Action::Close => ("结案", "Close"),
            Action::Reopen => ("重新打开", "Reopen"),
            Action::Rate => ("评价", "Rate"),
            Action::CallBack => ("回访", "Call back"),
            Action::CommandRegister => ("战时立案", "Registered under command"),
            Action::Answer => ("当场答复", "Answered on the call"),
            Action::Transfer => ("转办", "Transferred"),
            Action::Relocate => ("重新定位", "Relocate"),
            Action::MarkOverdue => ("标记超期", "Mark overdue"),
            Action::Escalate => ("上报上级", "Escalate"),
            Action::Dispute => ("派单异议", "Dispute the assignment"),
            Action::Uphold => ("维持派单", "Uphold the assignment"),
            Action::Reassign => ("改派", "Reassign"),
            Action::EscalateDispute => ("异议上报区级", "Send the dispute to the district"),
        }
    }
}

/// [`event_kind_words`] as names, the kind itself in both languages when core does not know it.
pub fn event_kind_names(kind: &str) -> crate::taxonomy::Names {
    let (zh, en) = event_kind_words(kind).unwrap_or((kind, kind));
    crate::taxonomy::Names { zh: zh.to_owned(), en: en.to_owned() }
}

/// The name of a stored event kind, `(zh, en)`: a workflow step, the report itself, a helper
/// part's step (`part_…`) or an emergency switch; `None` for a kind core does not know.
pub fn event_kind_words(kind: &str) -> Option<(&'static str, &'static str)> {
    use super::parts::PartAction;
    if kind == "reported" {
        return Some(("上报", "Reported"));
    }
    if let Ok(action) = kind.parse::<Action>() {
        return Some(action.words());
    }
    if let Some(part) = kind.strip_prefix("part_").and_then(|p| p.parse::<PartAction>().ok()) {
        return Some(match part {
            PartAction::Accept => ("协办接收", "Helper part accepted"),
            PartAction::SendBack => ("协办退回", "Helper part sent back"),
            PartAction::Finish => ("协办完成", "Helper part finished"),
            PartAction::Close => ("协办关闭", "Helper part closed"),
            PartAction::Rework => ("协办返工", "Helper part returned for rework"),
            PartAction::MarkOverdue => ("协办超期", "Helper part overdue"),
        });
    }
    kind.parse::<crate::emergency::Action>().ok().map(|a| match a {
        crate::emergency::Action::SwitchOn => ("启动战时指挥", "Wartime command switched on"),
        crate::emergency::Action::SwitchOff => ("解除战时指挥", "Back to peacetime"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_both_languages() {
        for state in CaseState::ALL {
            let w = state.citizen_words();
            for text in [w.label_zh, w.label_en, w.next_zh, w.next_en] {
                assert!(!text.trim().is_empty(), "{state}: empty text");
            }
            assert_ne!(w.label_zh, w.label_en, "{state}: the Chinese label is not translated");
        }
    }

    #[test]
    fn every_urgency_has_both_languages_and_its_own_words() {
        let mut seen = std::collections::HashSet::new();
        for urgency in Urgency::ALL {
            let (zh, en) = urgency.words();
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{urgency}: empty words");
            assert_ne!(zh, en, "{urgency}: the Chinese word is not translated");
            assert!(seen.insert(zh) && seen.insert(en), "{urgency}: words shared with another urgency");
        }
        assert_eq!(Urgency::VeryUrgent.words(), ("特急", "Very urgent"));
    }
}
