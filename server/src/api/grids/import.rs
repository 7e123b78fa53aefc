//! `POST /api/v1/admin/grids?area=CODE`: replace every cell of a district or street with the
//! cells of a GeoJSON FeatureCollection. The file is parsed and checked with the core's
//! validation; every problem is answered at once (422). On success the area's cells are
//! replaced in one transaction, the grid revision is bumped, this node rebuilds its index now
//! and every other node within `GRIDLINE_GRID_REFRESH_SECS`.

use actix_web::{HttpResponse, web};
use gridline_core::codes::{AreaCode, AreaLevel};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::store::grids;
use gridline_core::workflow::Role;

pub use crate::routing::checked_cells;

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    area: String,
}

/// What an import replaced: the area, its cell count now, and the grid revision that holds it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridImported {
    /// The district or street code.
    pub area: String,
    pub cells: usize,
    pub grid_revision: i64,
}

pub async fn import(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<ImportQuery>,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let media_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let media_type = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(media_type.as_str(), "application/geo+json" | "application/json") {
        return Err(ApiError::new(
            crate::error::ErrorKind::UnsupportedMediaType,
            "unsupported_media_type",
            "expected application/geo+json",
        ));
    }
    let area = AreaCode::parse(&query.area)
        .map_err(|e| ApiError::invalid_field("area", format!("expected a district or street code: {e}")))?;
    if !matches!(area.level(), AreaLevel::District | AreaLevel::Street) {
        return Err(ApiError::invalid_field("area", "expected a 6-digit district or 9-digit street code"));
    }
    if !who.can_see_area(area) {
        return Err(ApiError::forbidden("this area is outside your scope"));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("malformed_geojson", "the body is not UTF-8 text"))?
        .to_owned();
    let cells = web::block(move || checked_cells(&text, area)).await.map_err(ApiError::internal)?.map_err(
        |problems| {
            ApiError::new(
                crate::error::ErrorKind::Unprocessable,
                "invalid_grid",
                format!("{} problem(s) in the grid file", problems.len()),
            )
            .with_field("body")
            .with_problems(problems)
        },
    )?;

    let count = cells.len();
    let db = state.db.clone();
    let revision = db.run(move |conn| grids::replace_area(conn, area, &cells)).await?;
    let refresher = state.clone();
    web::block(move || refresher.router.refresh_blocking(&refresher.db))
        .await
        .map_err(ApiError::internal)??;
    tracing::info!(%area, cells = count, revision, "grid area imported");
    Ok(HttpResponse::Ok().json(GridImported {
        area: area.to_string(),
        cells: count,
        grid_revision: revision,
    }))
}
