//! `POST /api/v1/me/password`: every staff account changes its own password, with its current
//! one. The change ends every session of the account (the same as an admin's reset), so the
//! caller signs in again with the new password; the answer says so.
//!
//! A wrong current password is 422 on `current_password`; a new one that breaks the password
//! rules is 422 on `new_password`. Citizens have no password (phone code or device account):
//! 403.

use actix_web::{HttpResponse, web};
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::with_db;
use crate::api::openapi::text_schema;
use crate::app::AppState;
use crate::auth::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, check_new_password, verify_password};
use crate::auth::users::{self, UserPatch};
use crate::auth::{AuthError, Principal, now};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(schema_with = new_password_schema)]
    pub new_password: String,
}

/// A new password: [`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`] characters.
fn new_password_schema() -> utoipa::openapi::Object {
    text_schema(MIN_PASSWORD_CHARS, MAX_PASSWORD_CHARS, None)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    pub changed: bool,
    /// Always true: every session ended; sign in again with the new password.
    pub signed_out: bool,
}

pub async fn change(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<PasswordChange>,
) -> ApiResult<HttpResponse> {
    if who.role == Role::Citizen {
        return Err(ApiError::forbidden("citizen accounts have no password"));
    }
    let PasswordChange { current_password, new_password } = body.into_inner();
    check_new_password(&new_password).map_err(|e| ApiError::invalid_field("new_password", e.to_string()))?;
    let revocations = state.auth.revocations.clone();
    with_db(&state, move |conn| {
        let row =
            users::find_by_id(conn, &who.user_id)?.filter(|r| !r.disabled).ok_or(AuthError::InvalidToken)?;
        let current_ok =
            row.password_hash.as_deref().is_some_and(|hash| verify_password(&current_password, hash));
        if !current_ok {
            return Err(AuthError::InvalidField {
                field: "current_password",
                reason: "this is not the account's current password".into(),
            });
        }
        let patch = UserPatch { password: Some(new_password), ..UserPatch::default() };
        users::update(conn, &revocations, &who.user_id, patch, now())?;
        Ok(())
    })
    .await?;
    tracing::info!("password changed by its owner");
    Ok(HttpResponse::Ok().json(PasswordChanged { changed: true, signed_out: true }))
}
