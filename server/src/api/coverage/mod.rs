//! Coverage and assignment: which grid cells have no inspector, which inspectors have no cell,
//! and the street office giving a cell to an inspector.
//!
//! - `GET /api/v1/coverage[?area=CODE]`: for a dispatcher, their street; for an admin, the
//!   city or the district or street given. Cells without an inspector, every inspector holding
//!   a cell of the area with those cells, and (admins only: an inspector with no cell belongs
//!   to no street yet) the active inspectors without any cell.
//! - `POST /api/v1/coverage/assign` `{"grid": "...", "inspector_id": "..."}`: the cell goes to
//!   this inspector and is taken from whoever held it (a reassignment). A dispatcher assigns
//!   only cells of their street, and only to an inspector whose cells (if any) are all in it.
//!   An inspector's scope is in their access token, so the change ends their sessions (they sign
//!   in again and see their new cells), as any scope change does.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{HttpResponse, web};
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::with_db;
use crate::app::AppState;
use crate::auth::scope::area_grid_range;
use crate::auth::users::{self, User, UserPatch};
use crate::auth::{AuthError, Principal, Scope, now};
use crate::error::{ApiError, ApiResult};
use crate::store::DbConnection;
use crate::store::coverage::cell_codes;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    pub area: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectorCells {
    pub id: String,
    pub display_name: String,
    pub login: Option<String>,
    pub cells: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Coverage {
    /// The area read: a street, a district, or `null` for the city.
    pub area: Option<String>,
    pub cells: usize,
    pub cells_without_inspector: Vec<String>,
    /// Inspectors holding cells of the area, with those cells.
    pub inspectors: Vec<InspectorCells>,
    /// Active inspectors with no cell at all (listed to admins).
    pub inspectors_without_cells: Vec<InspectorCells>,
}

/// The area the caller reads: a dispatcher's street; an admin's choice or the city.
fn area_of(who: &Principal, asked: Option<&str>) -> ApiResult<Option<AreaCode>> {
    who.require_role(&[Role::Admin, Role::Dispatcher])?;
    let asked = asked
        .map(|a| AreaCode::parse(a).map_err(|e| ApiError::invalid_field("area", e.to_string())))
        .transpose()?;
    match (&who.scope, asked) {
        (Scope::Street { street }, None) => Ok(Some(*street)),
        (Scope::Street { street }, Some(area)) if street.contains_area(area) || area == *street => {
            Ok(Some(area))
        }
        (Scope::Street { .. }, Some(_)) => Err(ApiError::forbidden("this area is outside your street")),
        (_, asked) => Ok(asked),
    }
}

fn in_area(area: Option<AreaCode>, grid: GridCode) -> bool {
    area.is_none_or(|a| a.contains(grid))
}

fn cells_of(user: &User) -> BTreeSet<GridCode> {
    match &user.scope {
        Scope::Grids { grids } => grids.clone(),
        _ => BTreeSet::new(),
    }
}

fn summary(user: &User, cells: Vec<String>) -> InspectorCells {
    InspectorCells {
        id: user.id.clone(),
        display_name: user.display_name.clone(),
        login: user.login.clone(),
        cells,
    }
}

pub async fn coverage(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<CoverageQuery>,
) -> ApiResult<HttpResponse> {
    let area = area_of(&who, query.area.as_deref())?;
    let range = area.and_then(area_grid_range).map(|(first, last)| (first.to_string(), last.to_string()));
    let codes = state.db.run(move |conn| cell_codes(conn, range)).await?;
    let inspectors = with_db(&state, |conn| users::all_staff_of(conn, Role::Inspector)).await?;
    let mut holders: BTreeMap<String, usize> = BTreeMap::new();
    let mut holding = Vec::new();
    let mut idle = Vec::new();
    for user in inspectors.iter().filter(|u| !u.disabled) {
        let cells = cells_of(user);
        if cells.is_empty() {
            idle.push(summary(user, Vec::new()));
            continue;
        }
        let here: Vec<String> =
            cells.iter().filter(|g| in_area(area, **g)).map(ToString::to_string).collect();
        for cell in &here {
            *holders.entry(cell.clone()).or_default() += 1;
        }
        if !here.is_empty() {
            holding.push(summary(user, here));
        }
    }
    let uncovered: Vec<String> = codes.iter().filter(|c| !holders.contains_key(*c)).cloned().collect();
    let answer = Coverage {
        area: area.map(|a| a.to_string()),
        cells: codes.len(),
        cells_without_inspector: uncovered,
        inspectors: holding,
        inspectors_without_cells: if who.role == Role::Admin { idle } else { Vec::new() },
    };
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// A grid cell of the caller's area.
    #[schema(schema_with = gridline_core::codes::grid_code_schema)]
    pub grid: String,
    /// An inspector's account id.
    pub inspector_id: String,
}

pub async fn assign(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<Assignment>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin, Role::Dispatcher])?;
    let Assignment { grid, inspector_id } = body.into_inner();
    let grid = GridCode::parse(&grid).map_err(|e| ApiError::invalid_field("grid", e.to_string()))?;
    let street = match &who.scope {
        Scope::Street { street } => Some(*street),
        _ => None,
    };
    if !in_area(street, grid) {
        return Err(ApiError::forbidden("this cell is outside your street"));
    }
    let code = grid.to_string();
    if state.db.run(move |conn| cell_codes(conn, Some((code.clone(), code)))).await?.is_empty() {
        return Err(ApiError::invalid_field("grid", "no grid cell has this code"));
    }
    let revocations = state.auth.revocations.clone();
    // One transaction: the cell is never held by two inspectors, nor lost between them.
    let assigned = with_db(&state, move |conn| {
        crate::store::write_transaction::<_, AuthError, _>(conn, |conn| {
            assign_in(conn, &revocations, grid, &inspector_id, street)
        })
    })
    .await?;
    tracing::info!(grid = %grid, "grid cell assigned");
    Ok(HttpResponse::Ok().json(assigned))
}

/// Gives `grid` to the inspector `inspector_id`, taking it from whoever held it.
fn assign_in(
    conn: &mut DbConnection,
    revocations: &crate::auth::revocation::RevocationList,
    grid: GridCode,
    inspector_id: &str,
    street: Option<AreaCode>,
) -> Result<InspectorCells, AuthError> {
    {
        let all = users::all_staff_of(conn, Role::Inspector)?;
        let target =
            all.iter().find(|u| u.id == inspector_id && !u.disabled).ok_or(AuthError::InvalidField {
                field: "inspector_id",
                reason: "no active inspector has this id".into(),
            })?;
        let mut cells = cells_of(target);
        if cells.iter().any(|g| !in_area(street, *g)) {
            return Err(AuthError::InvalidField {
                field: "inspector_id",
                reason: "this inspector covers cells outside your street".into(),
            });
        }
        for other in all.iter().filter(|u| u.id != target.id && cells_of(u).contains(&grid)) {
            let mut rest = cells_of(other);
            rest.remove(&grid);
            let patch = UserPatch { scope: Some(Scope::Grids { grids: rest }), ..UserPatch::default() };
            users::update(conn, revocations, &other.id, patch, now())?;
        }
        cells.insert(grid);
        let patch = UserPatch { scope: Some(Scope::Grids { grids: cells.clone() }), ..UserPatch::default() };
        let user = users::update(conn, revocations, &target.id, patch, now())?;
        Ok(summary(&user, cells.iter().map(ToString::to_string).collect()))
    }
}
