//! What a citizen is told about a case, in Chinese and English: each state in words, and the
//! range of the rating a reporter gives a closed case. The citizen web page and the apps read
//! these through an API answer instead of keeping their own list of states.

use std::ops::RangeInclusive;

use super::CaseState;

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
}
