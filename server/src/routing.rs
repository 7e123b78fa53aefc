//! The grid routing index held by every server node, rebuilt from the database.
//!
//! Each node keeps the core `GridIndex` of the revision it last loaded. A background task
//! (`GRIDLINE_GRID_REFRESH_SECS`) compares that with the database's grid revision and rebuilds
//! when another node imported grids; the importing node rebuilds at once. Readers take an `Arc`
//! snapshot, so routing never waits for a rebuild.

use std::sync::{Arc, RwLock};

use gridline_core::codes::{AreaCode, AreaLevel, GridCode};
use gridline_core::geo::{Crs, GeoPoint};
use gridline_core::grid::{GridCell, GridIndex, How, Route, ValidationOptions, parse_geojson, validate};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::store::{Db, StoreError, StoreResult, grids};

/// One loaded revision of the grid.
#[derive(Debug)]
pub struct LoadedGrid {
    pub revision: i64,
    /// `None` while no cell exists (everything goes to triage).
    pub index: Option<GridIndex>,
}

/// Where a report belongs, in the shape stored on a case and returned by the route endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RoutedPlacement)]
pub struct Placement {
    /// `inside`, `boundary`, `overlap`, `nearest` or `triage`.
    #[schema(schema_with = outcome_schema)]
    pub outcome: &'static str,
    #[schema(value_type = Option<String>)]
    pub grid: Option<GridCode>,
    pub community: Option<String>,
    pub street: Option<String>,
    pub district: Option<String>,
    pub grid_name: Option<String>,
    /// For `nearest`: metres from the cell's edge; for `triage`: from the nearest cell's edge,
    /// whose street and district the case is then listed to.
    pub distance_m: Option<f64>,
}

/// The outcomes of routing: core's ways a point falls in a cell, and `triage`.
fn outcome_schema() -> utoipa::openapi::Object {
    let ways = [How::Inside, How::Boundary, How::Overlap, How::Nearest { distance_m: 0.0 }];
    let outcomes = ways.iter().map(How::as_str).chain(["triage"]);
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(outcomes))
        .build()
}

impl Placement {
    fn triage() -> Self {
        Self {
            outcome: "triage",
            grid: None,
            community: None,
            street: None,
            district: None,
            grid_name: None,
            distance_m: None,
        }
    }

    /// Triage near a cell: no cell of its own, but the street and district of the nearest one,
    /// whose street office then sees the case in its triage queue and can relocate it.
    fn triage_near(nearest: Option<(GridCode, f64)>) -> Self {
        let Some((code, distance_m)) = nearest else { return Self::triage() };
        Self {
            street: Some(code.area(AreaLevel::Street).to_string()),
            district: Some(code.area(AreaLevel::District).to_string()),
            distance_m: Some(distance_m),
            ..Self::triage()
        }
    }

    fn cell(code: GridCode, how: How, name: Option<&str>) -> Self {
        let distance_m = match how {
            How::Nearest { distance_m } => Some(distance_m),
            _ => None,
        };
        Self {
            outcome: how.as_str(),
            grid: Some(code),
            community: Some(code.area(AreaLevel::Community).to_string()),
            street: Some(code.area(AreaLevel::Street).to_string()),
            district: Some(code.area(AreaLevel::District).to_string()),
            grid_name: name.filter(|n| !n.is_empty()).map(str::to_owned),
            distance_m,
        }
    }

    /// The metrics label: `inside` (inside, boundary, overlap), `nearest` or `triage`.
    pub fn metric_outcome(&self) -> &'static str {
        match self.outcome {
            "nearest" => "nearest",
            "triage" => "triage",
            _ => "inside",
        }
    }
}

#[derive(Debug)]
pub struct GridRouter {
    loaded: RwLock<Arc<LoadedGrid>>,
    tolerance_m: f64,
}

impl GridRouter {
    pub fn new(tolerance_m: f64) -> Self {
        Self { loaded: RwLock::new(Arc::new(LoadedGrid { revision: -1, index: None })), tolerance_m }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<LoadedGrid> {
        match self.loaded.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Routes a WGS-84 point with the current snapshot.
    pub fn place(&self, point: GeoPoint) -> Placement {
        let loaded = self.snapshot();
        let Some(index) = &loaded.index else { return Placement::triage() };
        match index.route(point) {
            Route::Cell { code, how } => Placement::cell(code, how, index.name(code)),
            Route::Unroutable => Placement::triage_near(index.nearest_cell(point)),
        }
    }

    /// Rebuilds from the database when its revision differs from the loaded one. Blocking.
    /// Returns whether a rebuild happened.
    pub fn refresh_blocking(&self, db: &Db) -> StoreResult<bool> {
        let mut conn = db.get()?;
        let current = grids::revision(&mut conn)?;
        if current == self.snapshot().revision {
            return Ok(false);
        }
        let (revision, cells) = grids::load_all(&mut conn)?;
        drop(conn);
        let index = if cells.is_empty() {
            None
        } else {
            let built = GridIndex::build(&cells)
                .and_then(|index| index.with_tolerance_m(self.tolerance_m))
                .map_err(|e| StoreError::Corrupt(format!("stored grid cannot be indexed: {e}")))?;
            Some(built)
        };
        let fresh = Arc::new(LoadedGrid { revision, index });
        match self.loaded.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        tracing::info!(revision, cells = cells.len(), "grid routing index rebuilt");
        Ok(true)
    }
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

/// Parses a GeoJSON grid file for `area` and checks it with the core's validation: every
/// problem at once, or the cells. Shared by `POST /api/v1/admin/grids` and `gridline grid import`.
pub fn checked_cells(text: &str, area: AreaCode) -> Result<Vec<GridCell>, Vec<String>> {
    let cells = parse_geojson(text).map_err(|e| vec![e.to_string()])?;
    let mut problems: Vec<String> =
        validate(&cells, ValidationOptions::default()).problems.iter().map(ToString::to_string).collect();
    for (index, cell) in cells.iter().enumerate() {
        if !cell.code.is_within(area) {
            problems.push(format!("feature {index} ({}): not inside area {area}", cell.code));
        }
    }
    if cells.is_empty() {
        problems.push("the collection has no feature".to_owned());
    }
    if problems.is_empty() { Ok(cells) } else { Err(problems) }
}
