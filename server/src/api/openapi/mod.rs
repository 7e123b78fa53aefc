//! `/api/v1/openapi.json` (the OpenAPI 3.1 document, hand-written next to the routes in
//! `openapi.json`) and `/api/v1/docs` (a self-contained page that renders it; nothing is
//! loaded from a CDN, so the docs work offline). `tests/openapi.rs` checks that every
//! documented operation exists.

use actix_web::HttpResponse;
use actix_web::http::header;

/// The OpenAPI document, embedded at build time.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");
const DOCS_HTML: &str = include_str!("docs.html");

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(OPENAPI_JSON)
}

pub async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        ))
        .content_type("text/html; charset=utf-8")
        .body(DOCS_HTML)
}
