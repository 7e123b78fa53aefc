//! `POST /api/v1/auth/login`: staff sign-in with login name and password.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{client_ip, with_db};
use crate::app::AppState;
use crate::auth::{now, session};
use crate::error::ApiResult;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
    /// With a one-time password from a reset: the account's new password.
    #[serde(default)]
    pub new_password: Option<String>,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { login, password, new_password } = body.into_inner();
    let ip = client_ip(&req);
    let settings = state.auth.clone();
    let tokens = with_db(&state, move |conn| {
        session::password_login(conn, &settings, &login, &password, new_password.as_deref(), &ip, now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(tokens))
}
