//! Liveness, readiness and metrics: `/healthz` (the process answers), `/readyz` (the database
//! answers too) and `/metrics` (Prometheus text format).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.db.ping().await.map_err(ApiError::unavailable)?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready", "database": state.db.backend().name() })))
}

pub async fn metrics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let text = state.metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}
