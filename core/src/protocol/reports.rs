//! The answers about a reporter's own reports: the receipt of a new report
//! (`POST /api/v1/reports`) and the pages of `GET /api/v1/reports/mine`, which the device core
//! caches for offline reading ([`MyReportsPage::parse`]).

use serde::{Deserialize, Serialize};

use super::{AnswerError, Placement};
use crate::workflow::CaseState;

/// For a merged report: the surviving case (the end of the merge chain), named by its tracking
/// number, never its id. Its public view is Open311's `GET /open311/v2/requests/{number}.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowedCase {
    pub tracking_number: String,
    pub state: CaseState,
    /// RFC 3339.
    pub deadline: Option<String>,
    pub overdue: bool,
}

/// A case as its reporter sees it right after intake and in their own list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportReceipt {
    /// A [`crate::codes::CaseId`], as text (see [`super::CaseView::id`]).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::codes::CaseId))]
    pub id: String,
    pub tracking_number: String,
    pub state: CaseState,
    pub category: String,
    pub anonymous: bool,
    pub placement: Placement,
    /// Whether the photos' location agrees with the pin (`consistent`, `inconsistent`, `unknown`).
    pub geotag: String,
    /// The category's handling time limit (`4h` working hours, `2d` working days), counted from
    /// dispatch.
    pub handling_time_limit: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// Once dispatched: when the case is due (RFC 3339), and whether that time passed unhandled.
    pub deadline: Option<String>,
    pub overdue: bool,
    /// Always empty in answers since the surviving case of a merge is another reporter's: its id
    /// is never shown to a citizen. Kept so older apps still parse the answer.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::codes::CaseId>))]
    pub merged_into: Option<String>,
    /// For a merged report: the case the reporter follows from now on, by tracking number.
    pub follows: Option<FollowedCase>,
}

/// `GET /api/v1/reports/mine`: one page of the caller's own reports, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyReportsPage {
    pub reports: Vec<ReportReceipt>,
    /// The newest reports (a pull from cursor 0), not the changes since a cursor.
    pub full: bool,
    /// The cursor of the next pull (the audit trail's sequence number, never a clock).
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub next_cursor: i64,
    /// More changes wait: pull again from `next_cursor` at once.
    pub more: bool,
}

impl MyReportsPage {
    /// Read a `GET /api/v1/reports/mine` answer; a negative cursor is refused.
    pub fn parse(body: &[u8]) -> Result<Self, AnswerError> {
        let page: Self = super::parse_answer(body)?;
        super::check_cursor(page.next_cursor)?;
        Ok(page)
    }
}
