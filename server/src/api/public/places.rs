//! The citizen page's two ways to a place, both from the grid this node routes with:
//!
//! - `GET /api/v1/public/places[?area=<street or community code>]`: the no-map path. Without
//!   `area`, the streets; with a street, its communities; with a community, its cells, each with
//!   its name and a point inside it that routes to it (the point a report placed by cell is
//!   sent with),
//!   so someone who cannot use a map picks street → community → cell from plain lists.
//! - `GET /api/v1/public/cells?lat=&lon=`: the outlines of the cells around a point (about
//!   half a kilometre each way, at most [`MAX_NEARBY_CELLS`]), in the compact form of the
//!   dashboard's map layer (integer steps of 1 / `scale` degree from `origin`), for the page's
//!   small map where the reporter adjusts the pin.
//!
//! Both are public: the outlines and names of management cells are what a city publishes.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use gridline_core::codes::{AreaCode, AreaLevel};
use gridline_core::geo::GeoPoint;
use gridline_core::grid::GridCell;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::dashboard::{MapCells, MapCellsHead, SCALE};
use crate::api::grids::wgs84_point;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::routing::GridRouter;

/// How far around the point `cells` looks, in degrees (about 550 m north-south).
const NEARBY_DEGREES: f64 = 0.005;
/// Most outlines in one `cells` answer (a dense centre has small cells).
pub const MAX_NEARBY_CELLS: usize = 400;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacesQuery {
    area: Option<String>,
}

/// A point for a cell chosen from the list: one that this node routes to that very cell. The
/// mean of the outline's corners first (the middle of the convex cells most grids are drawn
/// with); for a cell where it falls outside or on a shared edge, the middle of a triangle of
/// three consecutive corners (a simple polygon always has such "ears" inside it). Rounded to
/// 1e-6 degree (about 0.1 m), checked after rounding.
fn point_routed_to(cell: &GridCell, router: &GridRouter) -> Option<(f64, f64)> {
    let ring = cell.geometry.polygons().first()?.first()?;
    let open = &ring[..ring.len().saturating_sub(1)];
    if open.len() < 3 {
        return None;
    }
    let n = open.len() as f64;
    let (lon, lat) = open.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
    let ears = (0..open.len()).map(|i| {
        let [a, b, c] = [open[i], open[(i + 1) % open.len()], open[(i + 2) % open.len()]];
        ((a[1] + b[1] + c[1]) / 3.0, (a[0] + b[0] + c[0]) / 3.0)
    });
    std::iter::once((lat / n, lon / n))
        .chain(ears)
        .map(|(lat, lon)| ((lat * 1e6).round() / 1e6, (lon * 1e6).round() / 1e6))
        .find(|&(lat, lon)| GeoPoint::new(lat, lon).is_ok_and(|p| router.place(p).grid == Some(cell.code)))
}

/// The places one level down from `area`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Places {
    /// What the places are: `street`, `community` or `grid` (cells).
    #[schema(schema_with = place_level_schema)]
    pub level: &'static str,
    /// The street or community asked for; null for the whole city.
    pub area: Option<String>,
    pub places: Vec<Place>,
}

/// A street or community with its cell count, or a cell with a point that routes to it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Place {
    Area(AreaPlace),
    Cell(CellPlace),
}

/// A street or community, with how many cells it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaPlace {
    pub code: String,
    #[schema(minimum = 1)]
    pub cells: usize,
}

/// A cell, with its name and a point inside it that routes to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellPlace {
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

fn place_level_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["street", "community", "grid"]))
        .build()
}

pub async fn places(state: web::Data<AppState>, query: web::Query<PlacesQuery>) -> ApiResult<HttpResponse> {
    let area = match query.area.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            AreaCode::parse(text)
                .ok()
                .filter(|a| matches!(a.level(), AreaLevel::Street | AreaLevel::Community))
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "area",
                        "expected a street (9 digits) or community (12 digits) code",
                    )
                })?,
        ),
    };
    let layer = state.map_layer.current(&state.router, &state.db).await?;
    let inside: Vec<&GridCell> =
        layer.grid.iter().filter(|c| area.is_none_or(|a| a.contains(c.code))).collect();
    if inside.is_empty() {
        return Err(ApiError::not_found("grid cells in this area"));
    }
    let area_text = area.map(|a| a.to_string());
    let body = match area.map(AreaCode::level) {
        Some(AreaLevel::Community) => {
            let cells = inside
                .iter()
                .filter_map(|c| {
                    let (lat, lon) = point_routed_to(c, &state.router)?;
                    let (code, name) = (c.code.to_string(), c.name.clone());
                    Some(Place::Cell(CellPlace { code, name, lat, lon }))
                })
                .collect();
            Places { level: "grid", area: area_text, places: cells }
        }
        level => {
            let (child, name) = if level.is_none() {
                (AreaLevel::Street, "street")
            } else {
                (AreaLevel::Community, "community")
            };
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for cell in &inside {
                *counts.entry(cell.code.area(child).to_string()).or_default() += 1;
            }
            let places =
                counts.into_iter().map(|(code, cells)| Place::Area(AreaPlace { code, cells })).collect();
            Places { level: name, area: area_text, places }
        }
    };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, no-cache")).json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellsQuery {
    lat: f64,
    lon: f64,
}

pub async fn cells(state: web::Data<AppState>, query: web::Query<CellsQuery>) -> ApiResult<HttpResponse> {
    let point = wgs84_point(query.lat, query.lon, None, "")?;
    let layer = state.map_layer.current(&state.router, &state.db).await?;
    let reach = (NEARBY_DEGREES * SCALE) as i32;
    let x = ((point.lon() - layer.origin[0]) * SCALE).round() as i32;
    let y = ((point.lat() - layer.origin[1]) * SCALE).round() as i32;
    let near = |ring: &Vec<i32>| {
        ring.chunks_exact(2).any(|p| (p[0] - x).abs() <= reach && (p[1] - y).abs() <= reach)
    };
    let cells =
        layer.cells.iter().filter(|c| c.rings.iter().any(near)).take(MAX_NEARBY_CELLS).cloned().collect();
    let head = MapCellsHead { revision: layer.revision, scale: SCALE, origin: layer.origin };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, no-cache"))
        .json(MapCells { head, cells }))
}
