//! `/api/v1/grids/route` (which cell a point belongs to), `/api/v1/grids/package` (the grid
//! for offline routing, [`package`]) and `/api/v1/admin/grids` (replace an area's cells from
//! GeoJSON).

pub mod import;
pub mod package;

use actix_web::{HttpResponse, web};
use gridline_core::geo::{Crs, GeoPoint};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
pub struct RouteQuery {
    lat: f64,
    lon: f64,
    #[serde(default)]
    crs: Option<String>,
}

/// Parses a position given in `crs` (default WGS-84) and converts it to WGS-84.
pub fn wgs84_point(lat: f64, lon: f64, crs: Option<&str>, field_prefix: &str) -> ApiResult<GeoPoint> {
    let crs: Crs = match crs {
        Some(text) => text.parse().map_err(|_| {
            ApiError::invalid_field(format!("{field_prefix}crs"), "expected wgs84, gcj02 or bd09")
        })?,
        None => Crs::Wgs84,
    };
    // The messages leave the value out: coordinates are personal data.
    let point = GeoPoint::new(lat, lon).map_err(|e| match e {
        gridline_core::geo::GeoError::Longitude(_) => ApiError::invalid_field(
            format!("{field_prefix}lon"),
            "expected a finite longitude in [-180, 180]",
        ),
        _ => ApiError::invalid_field(format!("{field_prefix}lat"), "expected a finite latitude in [-90, 90]"),
    })?;
    Ok(crs.to_wgs84(point))
}

/// `GET /api/v1/grids/route?lat=&lon=&crs=`: the cell (and its community, street and
/// district) a point routes to, or `triage`.
pub async fn route(state: web::Data<AppState>, query: web::Query<RouteQuery>) -> ApiResult<HttpResponse> {
    let point = wgs84_point(query.lat, query.lon, query.crs.as_deref(), "")?;
    let placement = state.router.place(point);
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "placement": placement,
        "grid_revision": state.router.snapshot().revision,
    })))
}
