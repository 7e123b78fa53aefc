//! `GET /api/v1/stats/joint`: per handling unit, in the caller's area, the figures of joint
//! handling and disputed assignments: the helper parts given to the unit (finished, on time,
//! overdue, sent back, closed by the lead, returned for rework), the cases assigned to it as lead, and the disputes
//! it raised (upheld, reassigned) with its dispute rate (disputes over assignments), the figure
//! the rankings show. Same roles and scope as `GET /api/v1/stats`; no parameters (an unknown one
//! is 400 `invalid_query`). Definitions: docs/statistics.md.

use actix_web::{HttpResponse, web};
use gridline_core::protocol::joint::{JointStats, UnitJointFigures};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::store::joint::{UnitCounts, unit_figures};

/// A share, empty when nothing was counted.
fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn figures(unit: String, c: UnitCounts) -> UnitJointFigures {
    UnitJointFigures {
        unit,
        assignments: c.assignments,
        parts: c.parts,
        parts_finished: c.finished,
        parts_finished_on_time: c.on_time,
        parts_on_time_rate: rate(c.on_time, c.finished),
        parts_overdue: c.overdue,
        parts_sent_back: c.sent_back,
        parts_closed: c.closed,
        parts_reworked: c.reworked,
        part_reworks: c.reworks,
        parts_rework_rate: rate(c.reworked, c.finished_once),
        disputes: c.disputes,
        disputes_upheld: c.upheld,
        disputes_reassigned: c.reassigned,
        dispute_rate: rate(c.disputes, c.assignments),
    }
}

pub async fn joint(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::READERS)?;
    if let Some((name, _)) = query.first() {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("unknown parameter {name:?}: this report takes none"),
        )
        .with_field(name.clone()));
    }
    let scope = who.case_filter();
    let units = state.db.run(move |conn| unit_figures(conn, &scope)).await?;
    let units = units.into_iter().map(|(unit, counts)| figures(unit, counts)).collect();
    Ok(HttpResponse::Ok().json(JointStats { units }))
}
