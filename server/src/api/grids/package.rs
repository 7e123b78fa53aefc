//! `GET /api/v1/grids/package?area=`: the grid as an offline package (core's compact binary
//! format, [`gridline_core::grid::encode_package`]) for phones to route points with no network,
//! exactly as the server does. Public like `/grids/route`: cell outlines are not personal data.
//!
//! The package carries the city's routing tolerance (`GRIDLINE_ROUTING_TOLERANCE_M`), so a
//! phone sends a point just outside every cell to the nearest one exactly as this server does.
//!
//! Without `area` it is the whole city; with a district or street code, only its cells. The
//! answer's `ETag` is the grid revision and the area, so a phone checking for a newer package
//! gets a 304 until an import changes the grid; `Grid-Revision` says which revision it holds.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::codes::{AreaCode, AreaLevel};
use gridline_core::grid::{GridCell, encode_package_with_tolerance};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

/// The package's media type.
pub const CONTENT_TYPE: &str = "application/vnd.gridline.grid-package";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageQuery {
    #[serde(default)]
    area: Option<String>,
}

pub async fn package(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PackageQuery>,
) -> ApiResult<HttpResponse> {
    let area = match query.area.as_deref() {
        None => None,
        Some(text) => {
            let area = AreaCode::parse(text.trim())
                .ok()
                .filter(|a| matches!(a.level(), AreaLevel::District | AreaLevel::Street))
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "area",
                        "expected a district (6 digits) or street (9 digits) code",
                    )
                })?;
            Some(area)
        }
    };
    let layer = state.map_layer.current(&state.router, &state.db).await?;
    let etag =
        format!("\"{}-{}\"", layer.revision, area.map_or_else(|| "city".to_owned(), |a| a.to_string()));
    if let Some(unchanged) = crate::api::not_modified(&req, &etag) {
        return Ok(unchanged);
    }
    let cells: Vec<GridCell> =
        layer.grid.iter().filter(|c| area.is_none_or(|a| a.contains(c.code))).cloned().collect();
    if cells.is_empty() {
        return Err(ApiError::not_found("grid cells in this area"));
    }
    let tolerance = state.config.settings.routing_tolerance();
    let bytes = encode_package_with_tolerance(&cells, tolerance)
        .map_err(|e| ApiError::internal(format!("grid package: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header(("Grid-Revision", layer.revision.to_string()))
        .insert_header((header::CACHE_CONTROL, "public, no-cache"))
        .content_type(CONTENT_TYPE)
        .body(bytes))
}
