//! The answers about joint handling (主办/协办) and disputed assignments (派单异议):
//! `GET /api/v1/cases/{id}/joint` (the case's helper parts with the part steps the reader may
//! take, its disputes, its bounces and the district flag, and the case steps the reader may take
//! with every fact counted) and `GET /api/v1/stats/joint` (per unit: parts, on-time, dispute
//! rate). The server builds them from core's rules ([`crate::workflow::parts`],
//! [`crate::workflow::dispute`]); the device core parses them with [`JointView::parse`].

use serde::{Deserialize, Serialize};

use super::AnswerError;
use super::cases::CaseView;
use crate::workflow::Action;
use crate::workflow::parts::{PartAction, PartNeeds, PartState, part_needs};

/// `POST /api/v1/cases/{id}/parts/{part}/actions`: one step on a helper part, sent with
/// `If-Match` (the case's version). Which fields a step needs is core's rule
/// ([`crate::workflow::parts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PartActionRequest {
    /// `accept`, `send_back`, `finish`, `close` or `rework` (`mark_overdue` is the server's own).
    /// Left out, it is empty, and the server refuses it naming `action`.
    #[cfg_attr(feature = "openapi", schema(value_type = PartAction, required = true))]
    pub action: String,
    /// Why the part is sent back, closed or returned for rework.
    pub reason: Option<String>,
    /// Internal note, shown to staff only.
    pub note: Option<String>,
    /// The after-photos of a finished part (the caller's own uploads).
    pub photo_ids: Vec<String>,
}

/// One helper unit's part of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartView {
    pub id: String,
    /// The helper unit's code.
    pub unit: String,
    /// What the unit is asked to do.
    pub note: String,
    pub state: PartState,
    /// The part's own time limit (`4h`, `2d`), when it has one.
    pub time_limit: Option<String>,
    /// RFC 3339.
    pub deadline: Option<String>,
    pub overdue: bool,
    /// Whether a finished part was finished by its deadline.
    pub on_time: Option<bool>,
    /// The helper's reason for sending it back, or the lead's (or the street office's) for
    /// closing it or returning it for rework (the latest such reason).
    pub reason: Option<String>,
    /// The part steps the reader may take now, as core's rule decides.
    pub available_actions: Vec<PartAction>,
    /// For each of `available_actions`: its name and what it must carry, so a form asks for
    /// exactly that (a reason, an after-photo).
    #[serde(default)]
    pub action_needs: Vec<PartActionNeeds>,
}

/// A part step a reader may take, named in both languages, with what it must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartActionNeeds {
    pub action: PartAction,
    pub label: crate::taxonomy::Names,
    pub needs: PartNeeds,
}

impl PartActionNeeds {
    /// The needs of each of `actions`, named as their events are.
    pub fn of(actions: &[PartAction]) -> Vec<Self> {
        actions
            .iter()
            .map(|&action| PartActionNeeds {
                action,
                label: crate::workflow::words::event_kind_names(&format!("part_{}", action.as_str())),
                needs: part_needs(action),
            })
            .collect()
    }
}

/// One dispute of an assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisputeView {
    pub id: String,
    /// The unit that disputed its assignment.
    pub unit: String,
    pub reason: String,
    /// RFC 3339.
    pub raised_at: String,
    /// The arbiter's deadline, RFC 3339.
    pub decide_by: Option<String>,
    /// `upheld` or `reassigned`; empty while the arbiter has not decided.
    pub decision: Option<String>,
    pub decided_at: Option<String>,
    /// Decided after the arbiter's deadline.
    pub late: bool,
    /// When the undecided dispute went to the district.
    pub escalated_at: Option<String>,
}

/// `GET /api/v1/cases/{id}/joint`: everything of a case's joint handling its reader may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JointView {
    /// The case in the staff view (a helper unit's handlers see it through their part).
    pub case: CaseView,
    /// The lead unit (主办): the case's handling unit.
    pub lead_unit: Option<String>,
    /// The helper units' parts (协办), oldest first, withdrawn ones included.
    pub parts: Vec<PartView>,
    pub disputes: Vec<DisputeView>,
    /// How many times the case changed hands between units.
    pub bounces: u32,
    /// Whether the case was flagged to the district for bouncing.
    pub flagged_to_district: bool,
    /// The case steps the reader may take now, with the parts and disputes counted.
    pub available_actions: Vec<Action>,
}

impl JointView {
    pub fn parse(body: &[u8]) -> Result<Self, AnswerError> {
        super::parse_answer(body)
    }
}

/// One unit's figures of joint handling and disputes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitJointFigures {
    pub unit: String,
    /// Cases assigned to the unit as lead (dispatches and reassignments to it).
    pub assignments: u64,
    /// Helper parts given to the unit (withdrawn ones left out).
    pub parts: u64,
    pub parts_finished: u64,
    pub parts_finished_on_time: u64,
    /// Finished on time over finished; empty with none finished.
    pub parts_on_time_rate: Option<f64>,
    pub parts_overdue: u64,
    pub parts_sent_back: u64,
    /// Parts the lead or the street office closed with a reason.
    pub parts_closed: u64,
    /// Parts the lead or the street office returned for rework (返工) at least once.
    pub parts_reworked: u64,
    /// Rework steps on the unit's parts (a part returned twice counts twice).
    pub part_reworks: u64,
    /// `parts_reworked` over the parts finished at least once; empty with none finished.
    pub parts_rework_rate: Option<f64>,
    /// Disputes the unit raised.
    pub disputes: u64,
    pub disputes_upheld: u64,
    pub disputes_reassigned: u64,
    /// Disputes over assignments; empty with no assignment.
    pub dispute_rate: Option<f64>,
}

/// `GET /api/v1/stats/joint`: per unit, in the reader's area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JointStats {
    pub units: Vec<UnitJointFigures>,
}
