//! `/api/v1/street/users`: a street office (dispatcher) keeps the accounts of its own street's
//! field staff, without the city admin.
//!
//! - **Whose accounts**: the street's inspectors (every cell they hold lies in the street; an
//!   inspector with no cell belongs to no street yet, and is the city's) and the handlers of the
//!   street's handling units (a unit whose area lies in the street; a unit serving a district
//!   or the whole city is the city's).
//! - `GET`: those accounts, inspectors first.
//! - `POST` `{login, display_name, role, scope, password?}`: an inspector of cells in the
//!   street, or a handler of one of its active units; nothing else. Without a password one is
//!   generated and answered once as `initial_password`.
//! - `PATCH /{id}` `{display_name?, disabled?, reset_password?}`: rename, disable or enable, or
//!   reset to a one-time password (answered once as `one_time_password`; it signs in only
//!   together with a new password). Cells are given with `POST /api/v1/coverage/assign`; roles
//!   and scopes are the city admin's.
//!
//! Any other account is 404 to the office, as if it did not exist.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin::Created;
use super::fields;
use crate::api::auth::with_db;
use crate::app::AppState;
use crate::auth::users::{self, NewStaff, User, UserPatch};
use crate::auth::{AuthError, Principal, Scope, now};
use crate::error::{ApiError, ApiResult};
use crate::store::DbConnection;

/// The street a dispatcher keeps; anyone else is refused.
fn street_of(who: &Principal) -> ApiResult<AreaCode> {
    who.require_role(&[Role::Dispatcher])?;
    match who.scope {
        Scope::Street { street } => Ok(street),
        _ => Err(ApiError::forbidden("a street office keeps the accounts of its own street")),
    }
}

/// The codes of the active handling units whose area lies in `street`.
fn street_units(conn: &mut DbConnection, street: AreaCode) -> Result<BTreeSet<String>, AuthError> {
    let units = crate::store::units::list(conn, false).map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(units
        .into_iter()
        .filter(|u| {
            u.area
                .as_deref()
                .and_then(|a| AreaCode::parse(a).ok())
                .is_some_and(|a| a == street || street.contains_area(a))
        })
        .map(|u| u.code)
        .collect())
}

/// Whether `user` is one of the street's field staff.
fn belongs(user: &User, street: AreaCode, units: &BTreeSet<String>) -> bool {
    match (&user.role, &user.scope) {
        (Role::Inspector, Scope::Grids { grids }) => {
            !grids.is_empty() && grids.iter().all(|g| street.contains(*g))
        }
        (Role::Handler, Scope::Unit { unit }) => units.contains(unit),
        _ => false,
    }
}

/// `GET /api/v1/street/users`: the street office's own inspectors and handlers.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreetUsers {
    /// The street's code.
    pub street: String,
    pub users: Vec<User>,
}

pub async fn list(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    let street = street_of(&who)?;
    let users = with_db(&state, move |conn| {
        let units = street_units(conn, street)?;
        let mut found = users::all_staff_of(conn, Role::Inspector)?;
        found.extend(users::all_staff_of(conn, Role::Handler)?);
        Ok(found.into_iter().filter(|u| belongs(u, street, &units)).collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(StreetUsers { street: street.to_string(), users }))
}

/// `POST /api/v1/street/users`: an inspector of the street's cells or a handler of one of its
/// units. Without `password`, a generated one.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = NewStreetAccount)]
#[serde(deny_unknown_fields)]
pub struct CreateStreetUser {
    #[schema(schema_with = fields::login_schema)]
    pub login: String,
    #[schema(schema_with = fields::display_name_schema)]
    pub display_name: String,
    #[schema(schema_with = street_role_schema)]
    pub role: Role,
    pub scope: Scope,
    #[schema(schema_with = fields::password_or_null_schema)]
    pub password: Option<String>,
}

/// The roles a street office creates.
pub const STREET_ROLES: [Role; 2] = [Role::Inspector, Role::Handler];

fn street_role_schema() -> utoipa::openapi::Object {
    fields::roles_schema(STREET_ROLES)
}

pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<CreateStreetUser>,
) -> ApiResult<HttpResponse> {
    let street = street_of(&who)?;
    let CreateStreetUser { login, display_name, role, scope, password } = body.into_inner();
    if !STREET_ROLES.contains(&role) {
        return Err(ApiError::invalid_field("role", "a street office creates inspectors and handlers only"));
    }
    let (user, initial_password) = with_db(&state, move |conn| {
        scope.check_fits(role)?;
        let units = street_units(conn, street)?;
        let outside = match &scope {
            Scope::Grids { grids } if grids.is_empty() => {
                Some("an inspector of the street holds at least one of its cells")
            }
            Scope::Grids { grids } if !grids.iter().all(|g| street.contains(*g)) => {
                Some("every cell must lie in your street")
            }
            Scope::Unit { unit } if !units.contains(unit) => {
                Some("the unit must be an active handling unit of your street (its area in the street)")
            }
            _ => None,
        };
        if let Some(reason) = outside {
            return Err(AuthError::InvalidField { field: "scope", reason: reason.into() });
        }
        users::create_staff(conn, NewStaff { login, display_name, role, scope: Some(scope), password }, now())
    })
    .await?;
    Ok(HttpResponse::Created().json(Created { user, initial_password }))
}

/// `PATCH /api/v1/street/users/{id}`: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = StreetAccountPatch)]
#[serde(deny_unknown_fields)]
pub struct PatchStreetUser {
    #[schema(schema_with = fields::display_name_or_null_schema)]
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
    #[serde(default)]
    pub reset_password: bool,
}

pub async fn patch(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: web::Json<PatchStreetUser>,
) -> ApiResult<HttpResponse> {
    let street = street_of(&who)?;
    let id = id.into_inner();
    let PatchStreetUser { display_name, disabled, reset_password } = body.into_inner();
    let revocations = state.auth.revocations.clone();
    let patched = with_db(&state, move |conn| {
        let units = street_units(conn, street)?;
        let current = users::find_by_id(conn, &id)?.ok_or(AuthError::UserNotFound)?.to_user()?;
        if !belongs(&current, street, &units) {
            return Err(AuthError::UserNotFound);
        }
        let patch = UserPatch { display_name, disabled, ..UserPatch::default() };
        super::admin::apply(conn, &revocations, &id, patch, reset_password)
    })
    .await?;
    Ok(HttpResponse::Ok().json(patched))
}
