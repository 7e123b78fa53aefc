//! `POST /api/v1/auth/refresh` (rotate the refresh token, get a new access token) and
//! `POST /api/v1/auth/logout` (revoke the refresh token's whole family; always `204`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::with_db;
use crate::app::AppState;
use crate::auth::{now, session};
use crate::error::ApiResult;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

pub async fn refresh(state: web::Data<AppState>, body: web::Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    let settings = state.auth.clone();
    let tokens =
        with_db(&state, move |conn| session::refresh_session(conn, &settings, &token, now())).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

pub async fn logout(state: web::Data<AppState>, body: web::Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    let revocations = state.auth.revocations.clone();
    with_db(&state, move |conn| session::logout(conn, &revocations, &token, now())).await?;
    Ok(HttpResponse::NoContent().finish())
}
