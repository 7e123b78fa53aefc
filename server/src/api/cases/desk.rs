//! `GET /api/v1/desk`: the street office's own figures for the caller's area, the things that
//! would otherwise go wrong silently:
//!
//! - **stranded**: open cases that routed to no grid cell (the triage queue), so no inspector's
//!   cell holds them until the street office gives them a place, and since when the oldest
//!   waits. The queue itself is the case list with `?triage=true`; a case leaves it by the
//!   `relocate` step. A case in no cell is counted for the street office (and district) of the
//!   cell nearest to its position, as intake records it, and for the city.
//! - **awaiting verification**: handled cases waiting for on-site verification, how many the
//!   street office gave to a named inspector (`assign_verifier`), and how many of the others
//!   lie in cells no active inspector covers (nobody can verify them until a cell is assigned,
//!   `POST /api/v1/coverage/assign`, or the case is given to an inspector), with those cells.
//! - **closed without verification**: how many times a handled case was closed by the street
//!   office without on-site verification (core lets `close` from `handled` only with a reason).

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use gridline_core::workflow::Role;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::store::case_list;

/// The desk's figures for the caller's area.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeskFigures {
    /// Open cases (not closed, rejected or merged) that routed to no grid cell.
    pub stranded: i64,
    /// When the oldest stranded case was reported (RFC 3339), `null` when there is none.
    pub oldest_stranded_at: Option<String>,
    /// Handled cases waiting for on-site verification.
    pub awaiting_verification: i64,
    /// Of those, the ones whose verification the street office gave to a named inspector.
    pub awaiting_verification_by_named_inspector: i64,
    /// Of the others, the ones in a cell no active inspector covers.
    pub awaiting_verification_without_inspector: i64,
    /// The cells of those cases, in code order.
    pub cells_without_inspector: Vec<String>,
    /// Handled cases closed by the street office without on-site verification, ever.
    pub closed_without_verification: i64,
}

pub async fn figures(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin, Role::DistrictAdmin, Role::Dispatcher, Role::Viewer])?;
    let scope = who.case_filter();
    let (stranded, oldest, closed, awaiting, covered) = state
        .db
        .run(move |conn| {
            let (stranded, oldest) = case_list::stranded(conn, &scope)?;
            let closed = case_list::closed_without_verification(conn, &scope)?;
            let awaiting = case_list::cells_awaiting_verification(conn, &scope)?;
            let cells: BTreeSet<String> = awaiting.iter().map(|(cell, _)| cell.clone()).collect();
            let covered = crate::store::coverage::covered_cells(conn, &cells)?;
            Ok((stranded, oldest, closed, awaiting, covered))
        })
        .await?;
    let named = awaiting.iter().filter(|(_, named)| *named).count();
    let uncovered: Vec<&String> = awaiting
        .iter()
        .filter(|(cell, named)| !named && !covered.contains(cell))
        .map(|(cell, _)| cell)
        .collect();
    let cells_without_inspector: BTreeSet<String> = uncovered.iter().map(|c| (*c).clone()).collect();
    Ok(HttpResponse::Ok().json(DeskFigures {
        stranded,
        oldest_stranded_at: oldest.map(rfc3339),
        awaiting_verification: i64::try_from(awaiting.len()).unwrap_or(i64::MAX),
        awaiting_verification_by_named_inspector: i64::try_from(named).unwrap_or(i64::MAX),
        awaiting_verification_without_inspector: i64::try_from(uncovered.len()).unwrap_or(i64::MAX),
        cells_without_inspector: cells_without_inspector.into_iter().collect(),
        closed_without_verification: closed,
    }))
}
