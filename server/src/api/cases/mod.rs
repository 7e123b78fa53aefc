//! `GET /api/v1/cases/{id}`: one case, in the view the caller's role allows.
//!
//! - `reporter`: the account that reported it sees everything it sent.
//! - `staff`: callers whose scope holds the case (by grid, street, handling unit, or city)
//!   see the details; the reporter's account id only for admins and dispatchers, and never on
//!   an anonymous report.
//! - `public`: anyone else (and no token at all) sees the category, state, place (to ~100 m)
//!   and the description, never the reporter or the photos.

use actix_web::{HttpResponse, web};
use gridline_core::codes::GridCode;
use gridline_core::workflow::Role;
use serde_json::{Value, json};

use crate::api::reports::{PlacementView, rfc3339};
use crate::app::AppState;
use crate::auth::{CaseVisibility, MaybePrincipal, Principal};
use crate::error::{ApiError, ApiResult};
use crate::store::cases::{self, CaseRow};

/// Public positions are rounded to this many decimals of a degree (about 100 m).
const PUBLIC_POSITION_DECIMALS: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Reporter,
    Staff,
    Public,
}

fn view_for(who: Option<&Principal>, case: &CaseRow) -> View {
    let Some(who) = who else { return View::Public };
    if case.reporter_id.as_deref() == Some(who.user_id.as_str()) {
        return View::Reporter;
    }
    if who.role != Role::Citizen && who.can_see_case(&visibility(case)) { View::Staff } else { View::Public }
}

/// The facts of a stored case that decide who may see it.
pub fn visibility(case: &CaseRow) -> CaseVisibility<'_> {
    CaseVisibility {
        grid: case.grid_code.as_deref().and_then(|g| GridCode::parse(g).ok()),
        handling_unit: case.handling_unit.as_deref(),
        reporter: case.reporter_id.as_deref(),
    }
}

fn round(value: f64) -> f64 {
    let factor = 10f64.powi(PUBLIC_POSITION_DECIMALS);
    (value * factor).round() / factor
}

fn render(case: &CaseRow, view: View, who: Option<&Principal>, photo_ids: Vec<String>) -> Value {
    let mut body = json!({
        "id": case.id,
        "tracking_number": case.tracking_number,
        "state": case.state,
        "category": case.category_code,
        "placement": PlacementView::from(case),
        "description": case.description,
        "handling_time_limit": case.handling_time_limit,
        "created_at": rfc3339(case.created_at),
        "updated_at": rfc3339(case.updated_at),
    });
    if view == View::Public {
        body["view"] = json!("public");
        body["position"] = json!({ "lat": round(case.lat), "lon": round(case.lon) });
        return body;
    }
    body["view"] = json!(if view == View::Reporter { "reporter" } else { "staff" });
    body["position"] = json!({ "lat": case.lat, "lon": case.lon, "accuracy_m": case.accuracy_m });
    body["captured_at"] = json!(case.captured_at.map(rfc3339));
    body["anonymous"] = json!(case.anonymous);
    body["geotag"] = json!(case.geotag_verdict);
    body["answers"] = serde_json::from_str(&case.answers).unwrap_or(Value::Null);
    body["photo_ids"] = json!(photo_ids);
    body["version"] = json!(case.version);
    body["handling_unit"] = json!(case.handling_unit);
    let may_see_reporter = view == View::Staff
        && !case.anonymous
        && who.is_some_and(|w| matches!(w.role, Role::Admin | Role::Dispatcher));
    if may_see_reporter {
        body["reporter"] = json!({ "id": case.reporter_id, "role": case.reporter_role });
    }
    body
}

pub async fn get(
    state: web::Data<AppState>,
    who: MaybePrincipal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found("case"))?.to_string();
    let found = state
        .db
        .run(move |conn| {
            let Some(case) = cases::find(conn, &id)? else { return Ok(None) };
            let photos = cases::photo_ids(conn, &id)?;
            Ok(Some((case, photos)))
        })
        .await?;
    let (case, photo_ids) = found.ok_or_else(|| ApiError::not_found("case"))?;
    let view = view_for(who.0.as_ref(), &case);
    Ok(HttpResponse::Ok().json(render(&case, view, who.0.as_ref(), photo_ids)))
}
