//! `/api/v1/grids/route` (which cell a point belongs to), `/api/v1/grids/package` (the grid
//! for offline routing, [`package`]) and `/api/v1/admin/grids` (replace an area's cells from
//! GeoJSON).

pub mod import;
pub mod package;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::error::ApiResult;
use crate::routing::Placement;

#[derive(Debug, Deserialize)]
pub struct RouteQuery {
    lat: f64,
    lon: f64,
    #[serde(default)]
    crs: Option<String>,
}

pub use crate::routing::wgs84_point;

/// The answer of `GET /api/v1/grids/route`: the placement, and the grid revision it was routed
/// on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RouteAnswer {
    pub placement: Placement,
    pub grid_revision: i64,
}

/// `GET /api/v1/grids/route?lat=&lon=&crs=`: the cell (and its community, street and
/// district) a point routes to, or `triage`.
pub async fn route(state: web::Data<AppState>, query: web::Query<RouteQuery>) -> ApiResult<HttpResponse> {
    let point = wgs84_point(query.lat, query.lon, query.crs.as_deref(), "")?;
    let placement = state.router.place(point);
    Ok(HttpResponse::Ok().json(RouteAnswer { placement, grid_revision: state.router.snapshot().revision }))
}
