//! `/api/v1/reports`: intake of a new report (`POST`, idempotent by `Idempotency-Key`) and the
//! caller's own reports (`GET /mine`, where a merged report shows the case it follows: [`follow`]).

pub mod follow;
pub mod intake;
pub mod mine;

use crate::store::cases::CaseRow;

/// A case as its reporter sees it right after intake and in their own list, and where it was
/// routed: core's answer types, which the phone parses.
pub use gridline_core::protocol::{Placement, ReportReceipt};

impl From<&CaseRow> for Placement {
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
            id: case.id.to_string(),
            tracking_number: case.tracking_number.clone(),
            state: case.state,
            category: case.category_code.to_string(),
            anonymous: case.anonymous,
            placement: Placement::from(case),
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
