//! The data behind the operations dashboard's map (the page itself is [`crate::dashboard`]):
//!
//! - `GET /api/v1/dashboard/cells`: the outlines of the grid cells in the caller's scope, with
//!   each cell's area, compact enough for a whole city (40,625 cells) in one answer: rings are
//!   integer steps of 1e-5 degree (about a metre) from a common origin, built once per grid
//!   revision and cached; the answer carries `ETag: "<revision>"`, so a reload is a 304.
//! - `GET /api/v1/dashboard/counts`: open, overdue, waiting-for-verification and
//!   not-yet-dispatched cases per cell, and their totals, read fresh on every call (the page re-reads them when an event arrives).
//!
//! Who may call: admins (the city), dispatchers (their street's cells), inspectors (their own
//! cells). A handler's scope is a unit, not a place, and citizens have no map: both get 403.

use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::codes::GridCode;
use gridline_core::grid::GridCell;
use gridline_core::workflow::Role;
use serde::Serialize;
use serde_json::json;

use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::ApiResult;
use crate::store::{case_list, grids};

/// Ring coordinates are sent in steps of 1 / `SCALE` degree.
pub const SCALE: f64 = 100_000.0;

/// Mean Earth radius (m), for cell areas on a local equirectangular projection: exact enough
/// for colouring cases per 10,000 m² of cells a few hundred metres wide.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// One cell as the map draws it, with its JSON written once per grid revision (a city's worth
/// of cells is several megabytes: serialising them anew for every page load was most of the
/// answer's time).
#[derive(Debug, Clone, Serialize)]
pub struct CellOutline {
    pub code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Exterior rings (one per polygon), flattened `[x0, y0, x1, y1, …]` in steps from the
    /// layer's origin; x east, y north.
    pub rings: Vec<Vec<i32>>,
    pub area_m2: f64,
    #[serde(skip)]
    grid: GridCode,
    #[serde(skip)]
    json: String,
}

/// Every cell of one grid revision: as the map draws it, and as read (for offline packages,
/// [`crate::api::grids::package`]).
#[derive(Debug)]
pub struct MapLayer {
    pub revision: i64,
    pub grid: Vec<GridCell>,
    /// South-west corner `[lon, lat]` every ring is measured from.
    pub origin: [f64; 2],
    pub cells: Vec<CellOutline>,
}

/// The layer of the newest revision this node has drawn (shared by all requests).
#[derive(Debug, Default, Clone)]
pub struct MapLayerCache(Arc<Mutex<Option<Arc<MapLayer>>>>);

/// Area of a closed `[lon, lat]` ring in m² (shoelace on a local projection).
fn ring_area_m2(ring: &[[f64; 2]]) -> f64 {
    let Some(&[_, lat0]) = ring.first() else { return 0.0 };
    let kx = lat0.to_radians().cos() * EARTH_RADIUS_M.to_radians();
    let ky = EARTH_RADIUS_M.to_radians();
    let twice: f64 =
        ring.windows(2).map(|w| (w[0][0] * kx) * (w[1][1] * ky) - (w[1][0] * kx) * (w[0][1] * ky)).sum();
    (twice / 2.0).abs()
}

fn cell_area_m2(cell: &GridCell) -> f64 {
    cell.geometry
        .polygons()
        .iter()
        .map(|polygon| {
            let mut rings = polygon.iter();
            let outer = rings.next().map_or(0.0, |r| ring_area_m2(r));
            outer - rings.map(|r| ring_area_m2(r)).sum::<f64>()
        })
        .sum()
}

impl MapLayer {
    pub fn build(revision: i64, cells_in: &[GridCell]) -> MapLayer {
        let cells = cells_in;
        let corners = cells.iter().flat_map(|c| c.geometry.polygons()).flat_map(|p| p.iter().flatten());
        let (mut min_lon, mut min_lat) = (f64::INFINITY, f64::INFINITY);
        for &[lon, lat] in corners {
            min_lon = min_lon.min(lon);
            min_lat = min_lat.min(lat);
        }
        let origin = if min_lon.is_finite() { [min_lon, min_lat] } else { [0.0, 0.0] };
        let step = |value: f64, from: f64| ((value - from) * SCALE).round() as i32;
        let mut cells: Vec<CellOutline> = cells
            .iter()
            .map(|cell| CellOutline {
                code: cell.code.to_string(),
                name: cell.name.clone(),
                rings: cell
                    .geometry
                    .polygons()
                    .iter()
                    .filter_map(|polygon| polygon.first())
                    .map(|ring| {
                        let open = &ring[..ring.len().saturating_sub(1)];
                        open.iter()
                            .flat_map(|&[lon, lat]| [step(lon, origin[0]), step(lat, origin[1])])
                            .collect()
                    })
                    .collect(),
                area_m2: (cell_area_m2(cell) * 10.0).round() / 10.0,
                grid: cell.code,
                json: String::new(),
            })
            .collect();
        for cell in &mut cells {
            // Plain strings and numbers always serialise; "null" keeps the answer valid JSON.
            cell.json = serde_json::to_string(&*cell).unwrap_or_else(|_| String::from("null"));
        }
        MapLayer { revision, grid: cells_in.to_vec(), origin, cells }
    }
}

impl MapLayerCache {
    /// The layer for the node's current grid revision, built from the database when the
    /// revision moved on since the last build.
    pub async fn current(&self, state: &AppState) -> ApiResult<Arc<MapLayer>> {
        let revision = state.router.snapshot().revision;
        if let Ok(guard) = self.0.lock()
            && let Some(layer) = guard.as_ref()
            && layer.revision == revision
        {
            return Ok(Arc::clone(layer));
        }
        let (revision, cells) = state.db.run(grids::load_all).await?;
        let layer = Arc::new(MapLayer::build(revision, &cells));
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some(Arc::clone(&layer));
        }
        Ok(layer)
    }
}

/// Whether the caller's scope holds `grid` as a place (and the caller may see the map at all).
fn map_scope(who: &Principal) -> ApiResult<CaseFilter> {
    who.require_role(&[Role::Admin, Role::Dispatcher, Role::Inspector, Role::Viewer])?;
    Ok(who.case_filter())
}

pub async fn cells(state: web::Data<AppState>, who: Principal, req: HttpRequest) -> ApiResult<HttpResponse> {
    let scope = map_scope(&who)?;
    let layer = state.map_layer.current(&state).await?;
    // The scope is part of the tag: one browser may sign in as someone else.
    let etag = format!("\"{}-{}\"", layer.revision, who.user_id);
    if let Some(unchanged) = crate::api::not_modified(&req, &etag) {
        return Ok(unchanged);
    }
    let head = json!({ "revision": layer.revision, "scale": SCALE, "origin": layer.origin }).to_string();
    let mut body = String::with_capacity(layer.cells.iter().map(|c| c.json.len() + 1).sum::<usize>() + 64);
    body.push_str(head.trim_end_matches('}'));
    body.push_str(",\"cells\":[");
    for (i, cell) in layer.cells.iter().filter(|c| scope_holds(&scope, c.grid)).enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&cell.json);
    }
    body.push_str("]}");
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .content_type("application/json")
        .body(body))
}

fn scope_holds(scope: &CaseFilter, grid: GridCode) -> bool {
    match scope {
        CaseFilter::All => true,
        CaseFilter::GridIn(grids) => grids.contains(&grid),
        CaseFilter::GridRange { area, .. } => area.contains(grid),
        CaseFilter::HandlingUnit(_) | CaseFilter::ReportedBy(_) | CaseFilter::Nothing => false,
    }
}

pub async fn counts(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    let scope = map_scope(&who)?;
    let per_cell = state.db.run(move |conn| case_list::open_counts_by_grid(conn, &scope)).await?;
    let (mut open, mut overdue, mut to_verify, mut at_desk) = (0, 0, 0, 0);
    let mut cells = serde_json::Map::with_capacity(per_cell.len());
    for (grid, c) in per_cell {
        open += c.open;
        overdue += c.overdue;
        to_verify += c.to_verify;
        at_desk += c.at_desk;
        cells.insert(grid, json!([c.open, c.overdue, c.to_verify, c.at_desk]));
    }
    Ok(HttpResponse::Ok().json(json!({
        "columns": ["open", "overdue", "to_verify", "at_desk"],
        "cells": cells,
        "totals": { "open": open, "overdue": overdue, "to_verify": to_verify, "at_desk": at_desk },
    })))
}

/// `GET /api/v1/units`: the handling units a case can be dispatched to (public, like the
/// categories: apps and the dashboard need them for their pickers).
pub async fn units() -> ApiResult<HttpResponse> {
    // Handling units are not in the database: they come with the shipped taxonomy.
    let units: Vec<_> = crate::api::categories::shipped()?
        .units()
        .iter()
        .map(|u| json!({ "code": u.code, "zh": u.names.zh, "en": u.names.en }))
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(json!({ "units": units })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridline_core::grid::{GeneratorOptions, generate_city};

    #[test]
    fn a_square_of_a_thousandth_of_a_degree_has_its_area_on_the_equator() {
        let ring = vec![[0.0, 0.0], [0.001, 0.0], [0.001, 0.001], [0.0, 0.001], [0.0, 0.0]];
        // 0.001° of arc is 111.195 m on a sphere of the mean radius: 12,364 m².
        let side = EARTH_RADIUS_M.to_radians() * 0.001;
        assert!((ring_area_m2(&ring) - side * side).abs() < 1.0, "{}", ring_area_m2(&ring));
    }

    #[test]
    fn every_cell_is_drawn_from_the_south_west_corner() {
        let cells = generate_city(GeneratorOptions { cells: 200, seed: 1, bbox: None }).unwrap();
        let layer = MapLayer::build(7, &cells);
        assert_eq!(layer.revision, 7);
        assert_eq!(layer.cells.len(), cells.len());
        let all: Vec<i32> = layer.cells.iter().flat_map(|c| c.rings.iter().flatten().copied()).collect();
        assert_eq!(all.iter().copied().min(), Some(0));
        assert!(layer.cells.iter().all(|c| c.area_m2 > 0.0 && c.rings.iter().all(|r| r.len() >= 6)));
    }
}
