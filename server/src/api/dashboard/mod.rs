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
use gridline_core::workflow::Role;
use serde_json::json;

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

pub async fn cells(state: web::Data<AppState>, who: Principal, req: HttpRequest) -> ApiResult<HttpResponse> {
    let scope = map_scope(&who)?;
    let layer = state.map_layer.current(&state.router, &state.db).await?;
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
        CaseFilter::GridIn { grids, .. } => grids.contains(&grid),
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
