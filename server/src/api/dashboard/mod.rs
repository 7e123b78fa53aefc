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

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::codes::GridCode;
use std::collections::BTreeMap;

use gridline_core::workflow::Role;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::ApiResult;
use crate::store::case_list;

pub use crate::map_layer::{CellOutline, MapLayer, MapLayerCache, SCALE};

/// Whether the caller's scope holds `grid` as a place (and the caller may see the map at all).
fn map_scope(who: &Principal) -> ApiResult<CaseFilter> {
    who.require_role(&[Role::Admin, Role::DistrictAdmin, Role::Dispatcher, Role::Inspector, Role::Viewer])?;
    Ok(who.case_filter())
}

// `cells` writes this answer in pieces, the head serialized and then each cell's JSON as the
// layer keeps it (serialising a city's cells anew for every call was most of the answer's
// time): this type gives the document its shape, and the small map's answer its serializer.
/// The outlines of grid cells, in integer steps from a common origin.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapCells {
    #[serde(flatten)]
    pub head: MapCellsHead,
    pub cells: Vec<CellOutline>,
}

/// What the cells are measured in: their grid revision, and the steps of their rings.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapCellsHead {
    pub revision: i64,
    /// Ring coordinates are steps of 1 / `scale` degree.
    pub scale: f64,
    /// South-west corner `[lon, lat]` (WGS-84) every ring is measured from.
    pub origin: [f64; 2],
}

pub async fn cells(state: web::Data<AppState>, who: Principal, req: HttpRequest) -> ApiResult<HttpResponse> {
    let scope = map_scope(&who)?;
    let layer = state.map_layer.current(&state.router, &state.db).await?;
    // The scope is part of the tag: one browser may sign in as someone else.
    let etag = format!("\"{}-{}\"", layer.revision, who.user_id);
    if let Some(unchanged) = crate::api::not_modified(&req, &etag) {
        return Ok(unchanged);
    }
    let head = MapCellsHead { revision: layer.revision, scale: SCALE, origin: layer.origin };
    let head = serde_json::to_string(&head).map_err(crate::error::ApiError::internal)?;
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
        CaseFilter::GridIn { grids, .. } => grids.contains(&grid),
        CaseFilter::GridRange { area, .. } => area.contains(grid),
        CaseFilter::HandlingUnit(_) | CaseFilter::ReportedBy(_) | CaseFilter::Nothing => false,
    }
}

pub async fn counts(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    let scope = map_scope(&who)?;
    let per_cell = state.db.run(move |conn| case_list::open_counts_by_grid(conn, &scope)).await?;
    let mut totals = OpenCounts::default();
    let mut cells = BTreeMap::new();
    for (grid, c) in per_cell {
        totals.open += c.open;
        totals.overdue += c.overdue;
        totals.to_verify += c.to_verify;
        totals.at_desk += c.at_desk;
        cells.insert(grid, [c.open, c.overdue, c.to_verify, c.at_desk]);
    }
    Ok(HttpResponse::Ok().json(MapCounts { columns: COUNT_COLUMNS, cells, totals }))
}

/// The columns of each cell's counts, in order.
const COUNT_COLUMNS: [&str; 4] = ["open", "overdue", "to_verify", "at_desk"];

/// The answer of `GET /api/v1/dashboard/counts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapCounts {
    /// The names of each cell's counts, in order: `open`, `overdue`, `to_verify`, `at_desk`.
    #[schema(value_type = Vec<String>)]
    pub columns: [&'static str; 4],
    /// Grid code -> [open, overdue, to_verify, at_desk]; at_desk: reported or registered, not
    /// yet dispatched.
    #[schema(value_type = BTreeMap<String, Vec<i64>>)]
    pub cells: BTreeMap<String, [i64; 4]>,
    pub totals: OpenCounts,
}

/// Open, overdue, to-verify and at-desk cases over every cell of the caller's scope.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct OpenCounts {
    pub open: i64,
    pub overdue: i64,
    pub to_verify: i64,
    pub at_desk: i64,
}
