//! `GET/POST /api/v1/admin/users` and `GET/PATCH /api/v1/admin/users/{id}`: staff accounts (the
//! list holds staff only unless `kind` asks for citizens or anonymous device accounts),
//! their roles and scopes, disabling. Admin only. A created account without a given password
//! gets a generated one, answered once as `initial_password`.

use actix_web::{HttpResponse, web};
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fields;
use crate::api::auth::with_db;
use crate::app::AppState;
use crate::auth::users::{self, AccountKind, NewStaff, User, UserPatch, UserQuery};
use crate::auth::{AuthError, Principal, Scope, now};
use crate::error::ApiResult;

const DEFAULT_PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub role: Option<Role>,
    /// `staff` (the default without `role=citizen`), `citizen` (phone sign-in), `device`
    /// (anonymous device accounts) or `any`.
    pub kind: Option<AccountKind>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let query = UserQuery {
        role: query.role,
        limit: query.limit.unwrap_or(DEFAULT_PAGE),
        offset: query.offset.unwrap_or(0),
        // Device accounts are kept apart from staff: asked for by kind, never mixed in unasked.
        kind: query.kind.unwrap_or(if query.role == Some(Role::Citizen) {
            AccountKind::Any
        } else {
            AccountKind::Staff
        }),
    };
    let found = with_db(&state, move |conn| users::list(conn, &query)).await?;
    Ok(HttpResponse::Ok().json(AccountList { users: found }))
}

/// `GET /api/v1/admin/users`: a page of accounts, by id.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub users: Vec<User>,
}

/// `POST /api/v1/admin/users`: a staff account. Without `scope`, the role's default where it
/// has one; without `password`, a generated one.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = NewStaffAccount)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(schema_with = fields::login_schema)]
    pub login: String,
    #[schema(schema_with = fields::display_name_schema)]
    pub display_name: String,
    #[schema(schema_with = fields::staff_role_schema)]
    pub role: Role,
    pub scope: Option<Scope>,
    #[schema(schema_with = fields::password_or_null_schema)]
    pub password: Option<String>,
}

/// A new staff account (`POST /api/v1/admin/users`, `POST /api/v1/street/users`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CreatedAccount)]
pub struct Created {
    pub user: User,
    /// Present only when the server generated the password: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<CreateUser>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let CreateUser { login, display_name, role, scope, password } = body.into_inner();
    if let Some(Scope::Unit { unit }) = &scope {
        crate::api::units::require_active(&state, unit, "scope").await?;
    }
    let new = NewStaff { login, display_name, role, scope, password };
    let (user, initial_password) = with_db(&state, move |conn| users::create_staff(conn, new, now())).await?;
    Ok(HttpResponse::Created().json(Created { user, initial_password }))
}

pub async fn get(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let id = id.into_inner();
    let user =
        with_db(&state, move |conn| users::find_by_id(conn, &id)?.ok_or(AuthError::UserNotFound)?.to_user())
            .await?;
    Ok(HttpResponse::Ok().json(user))
}

/// `PATCH /api/v1/admin/users/{id}`: only the fields given change. A new role without `scope`
/// takes its default scope where it has one.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = StaffAccountPatch)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    #[schema(schema_with = staff_role_or_null_schema)]
    pub role: Option<Role>,
    pub scope: Option<Scope>,
    #[schema(schema_with = fields::display_name_or_null_schema)]
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
    #[schema(schema_with = fields::password_or_null_schema)]
    pub password: Option<String>,
    /// `true`: a generated one-time password replaces the account's, answered once as
    /// `one_time_password`; it signs in only together with a new password.
    #[serde(default)]
    pub reset_password: bool,
}

fn staff_role_or_null_schema() -> utoipa::openapi::Object {
    let mut role = fields::staff_role_schema();
    role.schema_type = utoipa::openapi::schema::SchemaType::from_iter([
        utoipa::openapi::Type::String,
        utoipa::openapi::Type::Null,
    ]);
    if let Some(names) = role.enum_values.as_mut() {
        names.push(serde_json::Value::Null);
    }
    role
}

/// An account after a change (`PATCH /api/v1/admin/users/{id}`, `PATCH
/// /api/v1/street/users/{id}`): the account, and the one-time password after a reset.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ChangedAccount)]
pub struct Patched {
    #[serde(flatten)]
    pub user: User,
    /// After `reset_password`: the one-time password, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

/// Applies `patch` to account `id`, then resets its password to a one-time password when asked.
pub(crate) fn apply(
    conn: &mut crate::store::DbConnection,
    revocations: &crate::auth::revocation::RevocationList,
    id: &str,
    patch: UserPatch,
    reset_password: bool,
) -> Result<Patched, AuthError> {
    let user = users::update(conn, revocations, id, patch, now())?;
    if !reset_password {
        return Ok(Patched { user, one_time_password: None });
    }
    let (user, password) = users::reset_password(conn, revocations, id, now())?;
    Ok(Patched { user, one_time_password: Some(password) })
}

pub async fn patch(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: web::Json<PatchUser>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let id = id.into_inner();
    let PatchUser { role, scope, display_name, disabled, password, reset_password } = body.into_inner();
    if reset_password && password.is_some() {
        return Err(AuthError::InvalidField {
            field: "reset_password",
            reason: "give a password or ask for a one-time password, not both".into(),
        }
        .into());
    }
    if let Some(Scope::Unit { unit }) = &scope {
        crate::api::units::require_active(&state, unit, "scope").await?;
    }
    let locks_self_out =
        id == who.user_id && (disabled == Some(true) || role.is_some_and(|r| r != Role::Admin));
    if locks_self_out {
        return Err(AuthError::InvalidField {
            field: if disabled == Some(true) { "disabled" } else { "role" },
            reason: "an admin cannot disable or demote their own account; ask another admin".into(),
        }
        .into());
    }
    let patch = UserPatch { role, scope, display_name, disabled, password };
    let revocations = state.auth.revocations.clone();
    let patched = with_db(&state, move |conn| apply(conn, &revocations, &id, patch, reset_password)).await?;
    Ok(HttpResponse::Ok().json(patched))
}
