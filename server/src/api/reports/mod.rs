//! `/api/v1/reports`: intake of a new report (`POST`, idempotent by `Idempotency-Key`) and the
//! caller's own reports (`GET /mine`, where a merged report shows the case it follows: [`follow`]).

pub mod follow;
pub mod intake;
pub mod mine;

use serde::Serialize;

use crate::store::cases::CaseRow;

/// A case as its reporter sees it right after intake and in their own list.
#[derive(Debug, Serialize)]
pub struct ReportReceipt {
    pub id: String,
    pub tracking_number: String,
    pub state: String,
    pub category: String,
    pub anonymous: bool,
    pub placement: PlacementView,
    pub geotag: String,
    /// The category's handling time limit (`4h` working hours, `2d` working days), counted from
    /// dispatch.
    pub handling_time_limit: Option<String>,
    pub created_at: String,
    /// Once dispatched: when the case is due, and whether that time passed unhandled.
    pub deadline: Option<String>,
    pub overdue: bool,
    /// For a report merged as a duplicate: the case it was merged into.
    pub merged_into: Option<String>,
    /// For a merged report: the surviving case (the end of the merge chain), whose progress the
    /// reporter follows from now on, named by its tracking number (never its id). Its public view
    /// is Open311's `GET /open311/v2/requests/{tracking_number}.json`.
    pub follows: Option<follow::FollowedCase>,
}

/// Where the case was routed, as stored on it.
#[derive(Debug, Serialize)]
pub struct PlacementView {
    pub outcome: String,
    pub grid: Option<String>,
    pub community: Option<String>,
    pub street: Option<String>,
    pub district: Option<String>,
    pub distance_m: Option<f64>,
}

impl From<&CaseRow> for PlacementView {
    fn from(case: &CaseRow) -> Self {
        Self {
            outcome: case.routing_outcome.clone(),
            grid: case.grid_code.map(|code| code.to_string()),
            community: case.community_code.clone(),
            street: case.street_code.clone(),
            district: case.district_code.clone(),
            distance_m: case.routing_distance_m,
        }
    }
}

impl From<&CaseRow> for ReportReceipt {
    fn from(case: &CaseRow) -> Self {
        Self {
            id: case.id.clone(),
            tracking_number: case.tracking_number.clone(),
            state: case.state.to_string(),
            category: case.category_code.to_string(),
            anonymous: case.anonymous,
            placement: PlacementView::from(case),
            geotag: case.geotag_verdict.clone(),
            handling_time_limit: case.handling_time_limit.clone(),
            created_at: rfc3339(case.created_at),
            deadline: None,
            overdue: false,
            merged_into: None,
            follows: None,
        }
    }
}

pub use crate::clock::rfc3339;
