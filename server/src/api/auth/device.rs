//! `POST /api/v1/auth/anonymous`: an anonymous citizen account bound to a device. Without a
//! body (or without `device_secret`) it creates the account and answers `201` with the
//! `device_secret` the device must keep; with the secret it signs in to that account again.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{client_ip, with_db};
use crate::app::AppState;
use crate::auth::{now, session};
use crate::error::{ApiError, ApiResult, ErrorKind};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceSignIn {
    /// The secret the account's first sign-in answered; without it, a new account is made.
    #[serde(default)]
    pub device_secret: Option<String>,
}

/// An empty body means "create"; anything else must be a valid [`DeviceSignIn`] (a body of the
/// wrong shape is refused, never taken as a request for a new account).
fn parse_body(body: &[u8]) -> ApiResult<DeviceSignIn> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(DeviceSignIn::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::new(
                ErrorKind::Unprocessable,
                "invalid_body",
                format!("the JSON body has the wrong shape: {e}"),
            )
        } else {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
    })
}

pub async fn anonymous(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let secret = parse_body(&body)?.device_secret;
    let ip = client_ip(&req);
    let settings = state.auth.clone();
    let signed_in =
        with_db(&state, move |conn| session::anonymous_login(conn, &settings, secret.as_deref(), &ip, now()))
            .await?;
    let mut response =
        if signed_in.device_secret.is_some() { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response.json(signed_in))
}
