//! `POST /api/v1/auth/anonymous`: an anonymous citizen account bound to a device. Without a
//! body (or without `device_secret`) it creates the account and answers `201` with the
//! `device_secret` the device must keep; with the secret it signs in to that account again.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{client_ip, with_db};
use crate::app::AppState;
use crate::auth::{now, session};
use crate::error::ApiResult;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSignIn {
    #[serde(default)]
    pub device_secret: Option<String>,
}

pub async fn anonymous(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Option<web::Json<DeviceSignIn>>,
) -> ApiResult<HttpResponse> {
    let secret = body.map(web::Json::into_inner).unwrap_or_default().device_secret;
    let ip = client_ip(&req);
    let settings = state.auth.clone();
    let signed_in =
        with_db(&state, move |conn| session::anonymous_login(conn, &settings, secret.as_deref(), &ip, now()))
            .await?;
    let mut response =
        if signed_in.device_secret.is_some() { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response.json(signed_in))
}
