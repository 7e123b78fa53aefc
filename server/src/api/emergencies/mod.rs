//! `/api/v1/emergencies`: emergency mode (平战转换) over HTTP. Each handler only translates to
//! the service ([`crate::emergency`]) and back.
//!
//! - `GET /emergencies`: the switches whose area the caller's scope meets (admins, dispatchers,
//!   viewers), newest first.
//! - `POST /emergencies`: switch an area on (admins): level, kind, categories, commander,
//!   command unit, drill flag. 201 with the switch and its `ETag`.
//! - `GET /emergencies/{id}`: one switch, with its `ETag`.
//! - `POST /emergencies/{id}/actions`: `switch_off`, with `If-Match` (428 without it).
//! - `GET /emergencies/{id}/incident`: the incident view (queue, units' load, timeline).
//! - `GET /emergencies/{id}/summary`: the after-action summary as JSON;
//!   `.../summary/print`: the same as a printable HTML page.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::api::cases::actions::{etag, if_match, problem};
use crate::app::AppState;
use crate::auth::Principal;
use crate::emergency::{self, StepError};
use crate::error::ApiResult;

pub async fn list(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(emergency::list(&state, &who).await?))
}

pub async fn switch_on(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let view = emergency::switch_on(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created().insert_header((header::ETAG, etag(view.version))).json(view))
}

pub async fn get(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let view = emergency::get(&state, &who, &id).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(view.version))).json(view))
}

pub async fn act(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req)?;
    let Some(expected) = expected else {
        // Read the switch first, so a caller who may not see it learns nothing more.
        emergency::get(&state, &who, &id).await?;
        return Ok(problem(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the emergency's ETag (its version), as returned by GET /api/v1/emergencies/{id}",
            None,
        ));
    };
    match emergency::take(&state, &who, &id, expected, body.into_inner()).await {
        Ok(view) => Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(view.version))).json(view)),
        Err(StepError::Problem(error)) => Err(error),
        Err(StepError::Stale(current)) => {
            let mut response = problem(
                StatusCode::CONFLICT,
                "version_mismatch",
                "the emergency has changed since the version in If-Match; read it again and retry",
                None,
            );
            if let Ok(value) = HeaderValue::from_str(&etag(current.version)) {
                response.headers_mut().insert(header::ETAG, value);
            }
            Ok(response)
        }
    }
}

pub async fn incident(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(emergency::incident(&state, &who, &id).await?))
}

pub async fn summary(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(emergency::summary(&state, &who, &id).await?))
}

pub async fn summary_print(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let summary = emergency::summary(&state, &who, &id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
        .body(emergency::print::page(&summary)))
}
