//! The grid as the dashboard map draws it: every cell's outline in integer steps of 1e-5 degree
//! (about a metre) from a common origin, with its area, built once per grid revision and kept
//! by each node ([`MapLayerCache`], held by the app state). The dashboard's cell answer and the
//! offline grid package both read it.

use std::sync::{Arc, Mutex};

use gridline_core::codes::GridCode;
use gridline_core::grid::GridCell;
use serde::Serialize;

use crate::routing::GridRouter;
use crate::store::{Db, StoreResult, grids};

/// Ring coordinates are sent in steps of 1 / `SCALE` degree.
pub const SCALE: f64 = 100_000.0;

/// Mean Earth radius (m), for cell areas on a local equirectangular projection: exact enough
/// for colouring cases per 10,000 m² of cells a few hundred metres wide.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// One cell as the map draws it, with its JSON written once per grid revision (a city's worth
/// of cells is several megabytes: serialising them anew for every page load was most of the
/// answer's time).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CellOutline {
    pub code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Exterior rings (one per polygon), flattened `[x0, y0, x1, y1, …]` in steps from the
    /// layer's origin; x east, y north.
    pub rings: Vec<Vec<i32>>,
    pub area_m2: f64,
    #[serde(skip)]
    #[schema(ignore)]
    pub(crate) grid: GridCode,
    #[serde(skip)]
    #[schema(ignore)]
    pub(crate) json: String,
}

/// Every cell of one grid revision: as the map draws it, and as read (for offline packages,
/// `GET /api/v1/grids/package`).
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
    pub async fn current(&self, router: &GridRouter, db: &Db) -> StoreResult<Arc<MapLayer>> {
        let revision = router.snapshot().revision;
        if let Ok(guard) = self.0.lock()
            && let Some(layer) = guard.as_ref()
            && layer.revision == revision
        {
            return Ok(Arc::clone(layer));
        }
        let (revision, cells) = db.run(grids::load_all).await?;
        let layer = Arc::new(MapLayer::build(revision, &cells));
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some(Arc::clone(&layer));
        }
        Ok(layer)
    }
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
