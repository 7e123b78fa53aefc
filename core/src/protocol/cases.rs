//! The answers about cases: one case in the view its reader may have (`GET /api/v1/cases/{id}`,
//! and every case of the inspector's work list), and the work list's pages
//! (`GET /api/v1/worklist`). The server builds them, the device core parses them with
//! [`WorklistPage::parse`] and [`CaseView::parse`]; the OpenAPI document is derived from them.

use serde::{Deserialize, Serialize};

use super::AnswerError;
use crate::workflow::{Action, CaseState, Needs};

/// Which view of a case an answer is: the account that reported it, staff whose scope holds it,
/// or anyone else (what Open311 shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseViewKind {
    Reporter,
    Staff,
    Public,
}

/// Where a case was routed, as stored on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Placement {
    /// How routing went: `in_grid`, `nearest_grid` (within the city's tolerance) or `triage`.
    pub outcome: String,
    /// The unit grid's 15-digit code (none in the triage queue).
    pub grid: Option<String>,
    pub community: Option<String>,
    pub street: Option<String>,
    pub district: Option<String>,
    /// How far the point lies outside the grid it was routed to (0 inside); in triage, how far
    /// it lies from the nearest cell, whose street and district are then given.
    pub distance_m: Option<f64>,
}

/// Where the problem is (WGS-84). The public view rounds it to about 100 m and leaves out the
/// accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CasePosition {
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
}

/// Who reported a case, shown only to a dispatcher or an admin, never for an anonymous report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReporterRef {
    pub id: Option<String>,
    /// The reporting account's role, or the channel a report came through (`open311`).
    pub role: Option<String>,
}

/// One case as its reader may see it. The fields below `view` are left out of the public view;
/// `available_actions` is there for a signed-in reader, `reporter` only for dispatchers and
/// admins, `dispatch_deadline` only where the reader may dispatch now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseView {
    /// A [`crate::codes::CaseId`]; kept as text here, since the phones key their caches by it
    /// as it came, while the document states the server's rule.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::codes::CaseId))]
    pub id: String,
    /// The number the reporter follows the case by (public on Open311).
    pub tracking_number: String,
    pub state: CaseState,
    /// The category code, such as `E0101`.
    pub category: String,
    pub placement: Placement,
    /// In the public view, only once the report was reviewed.
    pub description: Option<String>,
    /// The category's handling time limit (`4h` working hours, `2d` working days).
    pub handling_time_limit: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// The value a workflow step sends in `If-Match` (also the answer's `ETag`).
    pub version: i32,
    pub handling_unit: Option<String>,
    /// Once dispatched: when the case is due (RFC 3339).
    pub deadline: Option<String>,
    pub overdue: bool,
    /// For a duplicate: the case it was merged into; in the staff view only (the surviving case
    /// may be another reporter's).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::codes::CaseId>))]
    pub merged_into: Option<String>,
    /// The reporter's stars for a closed case.
    pub rating: Option<i32>,
    pub view: CaseViewKind,
    pub position: CasePosition,
    /// When the problem was seen (RFC 3339); not in the public view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<bool>,
    /// The way the report came in (`app`, `inspector`, `web`, …); not in the public view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<crate::workflow::Channel>,
    /// How soon the case must be handled (`normal`, `urgent`, `very_urgent`), set when it was
    /// filed from its way in (a hotline call's urgency, a sensor alarm's severity; `normal` for
    /// every report from a person); in the staff view only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<crate::workflow::Urgency>,
    /// Whether the photos' location agrees with the pin (`consistent`, `inconsistent`, `unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geotag: Option<String>,
    /// The answers to the category's extra questions, by question code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub answers: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_ids: Option<Vec<String>>,
    /// The steps the reader may take now (under the server's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_actions: Option<Vec<Action>>,
    /// What each of `available_actions` must carry, in the same order, so a client builds its
    /// forms from the workflow's rules instead of a copy of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub action_needs: Option<Vec<ActionNeeds>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterRef>,
    /// The deadline a dispatch now would set (RFC 3339), shown before choosing to dispatch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_deadline: Option<String>,
    /// When the street office asked the cell's inspectors to confirm the report on site (核实),
    /// while none has answered (RFC 3339); in the staff view only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_requested_at: Option<String>,
    /// A case taken over by an emergency command (平战转换): its handling limit in minutes on a
    /// 24/7 clock, which replaces `handling_time_limit` for its dispatches (kept after the
    /// emergency ends); in the staff view only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_limit_minutes: Option<u32>,
    /// The helper parts a dispatch now that names no `helpers` adds (联合值守: the units on
    /// joint duty of the emergency command the case is under), the unit chosen as lead left
    /// out; each falls due with the case. Shown with `dispatch_deadline`, only where the reader
    /// may dispatch and some unit is on joint duty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_helpers: Option<Vec<crate::workflow::parts::HelperPartRequest>>,
}

/// One available step and what it must carry (a reason, a photo, a position, a unit, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionNeeds {
    pub action: Action,
    /// The step's name ([`Action::words`]).
    pub label: crate::taxonomy::Names,
    pub needs: Needs,
}

impl CaseView {
    /// Read a `GET /api/v1/cases/{id}` answer.
    pub fn parse(body: &[u8]) -> Result<Self, AnswerError> {
        super::parse_answer(body)
    }
}

/// One entry of a work-list page: a case on the list (new or changed), or one that left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum WorklistItem {
    /// On the list, as it is now (the staff view).
    Upsert { case: Box<CaseView> },
    /// No longer on the list, with the state it moved to.
    Removed { id: String, state: CaseState },
}

/// `GET /api/v1/worklist`: one page of an inspector's work list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorklistPage {
    /// The whole list (a pull from cursor 0): whatever the phone held before is gone.
    pub full: bool,
    pub items: Vec<WorklistItem>,
    /// The cursor of the next pull (the audit trail's sequence number, never a clock).
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub next_cursor: i64,
    /// More changes wait: pull again from `next_cursor` at once.
    pub more: bool,
}

impl WorklistPage {
    /// Read a `GET /api/v1/worklist` answer; a negative cursor is refused.
    pub fn parse(body: &[u8]) -> Result<Self, AnswerError> {
        let page: Self = super::parse_answer(body)?;
        super::check_cursor(page.next_cursor)?;
        Ok(page)
    }
}

/// `GET /api/v1/cases`: one page of the cases in the caller's scope (staff view), newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseListPage {
    pub items: Vec<CaseView>,
    /// Pass as `cursor` for the next page; none after the last page.
    pub next_cursor: Option<String>,
}
