//! `GET /api/v1/public/nearby?category=&lat=&lon=`: the open reports of a category around a
//! point, for the duplicate step before sending (the citizen web page's, and the phone app's).
//! The citizen sees whether the problem is already reported and may follow that report by its
//! tracking number (`/track/{number}`, `GET /api/v1/public/track/{number}`) instead of sending
//! another, or send anyway.
//!
//! Anyone may ask, so the answer shows only what anyone may learn of a case, through the same
//! functions as the reporter's duplicate list and the public view:
//! - each report as [`crate::api::cases::duplicates::item`] shows it to a citizen: tracking
//!   number, category, state, dates, and a coarse distance band, never an id, an exact distance,
//!   a position or a reporter; its words only once reviewed ([`crate::public_view`]);
//! - distances are measured from the report's public position (rounded to about 100 m), never
//!   its exact one, and the radius is applied to that same distance: every answer is then a
//!   function of positions anyone can already see, so any number of probes from chosen points
//!   place an anonymous reporter no better than the public view does;
//! - only the category's duplicate radius around the point, reports of the last
//!   [`DEFAULT_WINDOW_DAYS`] days in an open state, at most [`DEFAULT_LIMIT`], nearest first.
//!
//! Because the radius is applied to the public position, a report whose exact position lies
//! just inside the radius may be left out, and one just outside it listed; the difference is
//! at most how far a public position is from the exact one (about 79 m).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use gridline_core::codes::CategoryCode;
use gridline_core::geo::{GeoError, GeoPoint};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::cases::duplicates::{
    DEFAULT_LIMIT, DEFAULT_WINDOW_DAYS, DuplicateCandidate, item, open_states,
};
use crate::api::reports::rfc3339;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::public_view::public_view;
use crate::store::cases::FullCase;
use crate::store::categories;
use crate::store::duplicates::{self, Around};

/// Added to the radius of the database's box: more than the furthest a public position lies
/// from the exact one (half of 0.001° each way, 79 m), so no report whose public position is
/// within the radius is missed by a box drawn on exact positions.
const PUBLIC_POSITION_SLACK_M: f64 = 100.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearbyQuery {
    category: String,
    lat: f64,
    lon: f64,
}

pub async fn nearby(state: web::Data<AppState>, query: web::Query<NearbyQuery>) -> ApiResult<HttpResponse> {
    let code = CategoryCode::parse(&query.category)
        .map_err(|e| ApiError::invalid_field("category", e.to_string()))?;
    let probe = GeoPoint::new(query.lat, query.lon).map_err(|e| {
        let field = if matches!(e, GeoError::Latitude(_)) { "lat" } else { "lon" };
        ApiError::invalid_field(field, e.to_string())
    })?;
    let since = state.clock.now() - chrono::Duration::days(DEFAULT_WINDOW_DAYS);
    let (radius_m, found) = state
        .db
        .run(move |conn| {
            let Some(category) = categories::find(conn, code)? else { return Ok(None) };
            let radius_m = f64::from(category.duplicate_radius_m);
            let states = open_states();
            let code = code.to_string();
            let found = duplicates::in_box(
                conn,
                &Around {
                    exclude_id: "",
                    category: &code,
                    lat: probe.lat(),
                    lon: probe.lon(),
                    radius_m: radius_m + PUBLIC_POSITION_SLACK_M,
                    states: &states,
                    since: since.naive_utc(),
                },
            )?;
            Ok(Some((radius_m, found)))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("category"))?;

    let mut near: Vec<(f64, FullCase)> = found
        .into_iter()
        .filter_map(|case| {
            let public = public_view(&case.row);
            let distance = GeoPoint::new(public.lat, public.lon).ok()?.distance_m(&probe);
            (distance <= radius_m).then_some((distance, case))
        })
        .collect();
    // Nearest first by the public distance; equal ones newest first, then by tracking number
    // (not by id, whose order would say which was filed first at the same instant).
    near.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| b.1.row.created_at.cmp(&a.1.row.created_at))
            .then_with(|| a.1.row.tracking_number.cmp(&b.1.row.tracking_number))
    });
    near.truncate(DEFAULT_LIMIT);
    let reports = near
        .iter()
        .map(|(distance, case)| DuplicateCandidate {
            description: Some(public_view(&case.row).description.map(str::to_owned)),
            ..item(case, *distance, radius_m, false)
        })
        .collect();
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(NearbyReports {
        category: code,
        radius_m,
        window_days: DEFAULT_WINDOW_DAYS,
        since: rfc3339(since.naive_utc()),
        reports,
    }))
}

/// `GET /api/v1/public/nearby`: the open reports of a category around a point, nearest first,
/// each as a citizen sees a duplicate candidate, with its reviewed words.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyReports {
    #[schema(value_type = String)]
    pub category: CategoryCode,
    /// The category's duplicate radius
    pub radius_m: f64,
    pub window_days: i64,
    #[schema(format = DateTime)]
    pub since: String,
    pub reports: Vec<DuplicateCandidate>,
}
