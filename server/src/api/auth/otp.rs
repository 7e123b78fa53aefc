//! `POST /api/v1/auth/otp/request` (send a code to a phone) and `POST /api/v1/auth/otp/verify`
//! (sign in with it; a citizen account is created on first sign-in).

use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::protocol::CodeSent;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{client_ip, with_db};
use crate::app::AppState;
use crate::auth::otp::{self as codes, CODE_TTL_SECONDS};
use crate::auth::phone::{PhoneNumber, phone_schema};
use crate::auth::{AuthError, now, session};
use crate::error::ApiResult;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// A phone number with or without its country code (+86 assumed): `138 0013 8000`,
    /// `+86 138-0013-8000`; 8 to 15 digits once normalized to E.164.
    #[schema(schema_with = phone_schema)]
    pub phone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeVerification {
    /// The number the code was sent to, in any of the forms `otp/request` takes.
    #[schema(schema_with = phone_schema)]
    pub phone: String,
    /// The code: 6 ASCII digits.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}

fn parse_phone(text: &str) -> Result<PhoneNumber, AuthError> {
    Ok(PhoneNumber::parse(text)?)
}

pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CodeRequest>,
) -> ApiResult<HttpResponse> {
    let phone = parse_phone(&body.phone)?;
    let ip = client_ip(&req);
    let settings = state.auth.clone();
    with_db(&state, move |conn| {
        codes::request_code(
            conn,
            &settings.hash_key,
            &settings.phones,
            settings.sender.as_ref(),
            &phone,
            &ip,
            now(),
        )
    })
    .await?;
    Ok(HttpResponse::Accepted().json(CodeSent { sent: true, expires_in: CODE_TTL_SECONDS }))
}

pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CodeVerification>,
) -> ApiResult<HttpResponse> {
    let CodeVerification { phone, code } = body.into_inner();
    let phone = parse_phone(&phone)?;
    let ip = client_ip(&req);
    let settings = state.auth.clone();
    let tokens =
        with_db(&state, move |conn| session::otp_login(conn, &settings, &phone, code.trim(), &ip, now()))
            .await?;
    Ok(HttpResponse::Ok().json(tokens))
}
