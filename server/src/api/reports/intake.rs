//! `POST /api/v1/reports`: a new report becomes a case in state `reported`, through the case
//! service ([`crate::cases::file_report`]): 201 with the receipt, or 200 with
//! `Idempotent-Replayed: true` for a retry of the same `Idempotency-Key` (required, a UUID).
//! The route is the way in: `/api/v1/reports` is the app's (channel `app`), `/api/v1/reports/web`
//! the citizen web page's (`web`); an inspector's report is `inspector` on either.
//! The same key with a different body, or from another account, is refused (409
//! `idempotency_key_reused`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::ReportReceipt;
use crate::app::AppState;
use crate::auth::Principal;
use crate::cases::{Filed, Submitter, file_report};
use crate::error::ApiResult;
use crate::idempotency::{self, IdempotencyKey};

/// The wire types are core's, shared with the phones' device core.
pub use gridline_core::protocol::{Position, ReportRequest};

pub async fn post(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: web::Json<ReportRequest>,
) -> ApiResult<HttpResponse> {
    intake(&state, Submitter::account(&who, false), &req, body.into_inner()).await
}

/// `POST /api/v1/reports/web`: the same intake for the server's citizen web page (`/report`),
/// whose reports are counted under the channel `web` (an inspector's stay `inspector`).
pub async fn post_from_web_page(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: web::Json<ReportRequest>,
) -> ApiResult<HttpResponse> {
    intake(&state, Submitter::account(&who, true), &req, body.into_inner()).await
}

async fn intake(
    state: &AppState,
    submitter: Submitter,
    req: &HttpRequest,
    body: ReportRequest,
) -> ApiResult<HttpResponse> {
    let IdempotencyKey(key) = idempotency::require(req.headers())?;
    let Filed { case, replayed } = file_report(state, submitter, key, body).await?;
    let mut response = HttpResponse::build(if replayed { StatusCode::OK } else { StatusCode::CREATED });
    if replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    response.insert_header(("location", format!("/api/v1/cases/{}", case.id)));
    Ok(response.json(ReportReceipt::from(&*case)))
}
