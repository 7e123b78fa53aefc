//! Liveness, readiness and metrics: `/healthz` (the process answers), `/readyz` (the database
//! answers too) and `/metrics` (Prometheus text format).
//!
//! `/metrics` tells how busy each route is and is no one else's business: on the main address it
//! answers only a bearer token equal to `GRIDLINE_METRICS_TOKEN` (401 `metrics_token_required`
//! otherwise), and without that setting it is not served there at all (404). A
//! `GRIDLINE_METRICS_BIND` address of its own serves it without a token ([`metrics_listener`]).

use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::protocol::{Liveness, Readiness};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Liveness { status: "ok".to_owned() })
}

pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.db.ping().await.map_err(ApiError::unavailable)?;
    Ok(HttpResponse::Ok()
        .json(Readiness { status: "ready".to_owned(), database: state.db.backend().name().to_owned() }))
}

/// `/metrics` on the main address: only with the configured bearer token.
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let Some(expected) = &state.config.settings.metrics_token else {
        return Err(ApiError::new(
            crate::error::ErrorKind::NotFound,
            "no_such_route",
            "no endpoint at this path and method",
        ));
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Digests are compared, so the time taken tells nothing about how much of the token matched.
    let matches = given.is_some_and(|given| {
        Sha256::digest(given.as_bytes()) == Sha256::digest(expected.expose().as_bytes())
    });
    if !matches {
        return Err(ApiError::new(
            crate::error::ErrorKind::Unauthorized,
            "metrics_token_required",
            "metrics need the bearer token configured in GRIDLINE_METRICS_TOKEN",
        ));
    }
    render_metrics(&state)
}

/// `/metrics` on the `GRIDLINE_METRICS_BIND` address, which serves nothing else.
pub async fn metrics_on_own_address(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    render_metrics(&state)
}

fn render_metrics(state: &AppState) -> ApiResult<HttpResponse> {
    let text = state.metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}

/// The server of the `GRIDLINE_METRICS_BIND` address: `/metrics` and nothing else, on the same
/// actix system (and so stopped with it) as the main server.
pub fn metrics_listener(
    state: web::Data<AppState>,
    addr: std::net::SocketAddr,
) -> std::io::Result<actix_web::dev::Server> {
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().app_data(state.clone()).route("/metrics", web::get().to(metrics_on_own_address))
    })
    .workers(1)
    .disable_signals()
    .bind(addr)?
    .run();
    Ok(server)
}
