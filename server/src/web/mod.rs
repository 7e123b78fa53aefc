//! The citizen web page: `/report` (file a report from any phone's browser) and
//! `/track/{tracking number}` (follow it, rate it once closed). One HTML page, its script,
//! styles, icon and service worker, compiled into the binary and served compressed, so nothing
//! is fetched from anywhere else at build or run time. Like the dashboard ([`crate::dashboard`])
//! the page only calls `/api/v1`: the rules it shows (limits, questions, anonymity, states in
//! words) are API answers ([`crate::api::public`], `/api/v1/categories`), never copies.
//!
//! The service worker (`/web/sw.js`, allowed the whole origin as its scope) keeps the page and
//! its rules for offline use; it answers only the page's own addresses and lets every other
//! request go to the network untouched. Reports written offline wait in the page's IndexedDB
//! outbox with their idempotency keys and are sent when the signal returns.

use actix_web::http::header;
use actix_web::middleware::Compress;
use actix_web::{HttpResponse, web};

use crate::error::{ApiError, ApiResult};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
const ICON_SVG: &str = include_str!("assets/icon.svg");
const SERVICE_WORKER_JS: &str = include_str!("assets/sw.js");

/// Only the page's own origin, no inline script, no framing by other sites. `blob:` images are
/// the photo previews made in the browser.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; \
     script-src 'self'; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// Registers the page's routes (called from [`crate::api::configure`]).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/report").wrap(Compress::default()).route(web::get().to(page)))
        .service(web::resource("/track/{number}").wrap(Compress::default()).route(web::get().to(page)))
        .service(web::resource("/web/{file}").wrap(Compress::default()).route(web::get().to(file)));
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    embedded(content_type, CONTENT_SECURITY_POLICY, body)
}

/// A file compiled into the binary, served under `policy` (the dashboard's and this page's
/// differ), never sniffed as another type, revalidated on each load since it changes only with
/// the binary (this page's service worker keeps its own copy for offline use).
pub fn embedded(content_type: &str, policy: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body)
}

/// The same page for both addresses: the script reads the tracking number from the path.
pub async fn page() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

pub async fn file(name: web::Path<String>) -> ApiResult<HttpResponse> {
    match name.as_str() {
        "app.js" => Ok(asset("text/javascript; charset=utf-8", APP_JS)),
        "app.css" => Ok(asset("text/css; charset=utf-8", APP_CSS)),
        "icon.svg" => Ok(asset("image/svg+xml", ICON_SVG)),
        "sw.js" => {
            let mut response = asset("text/javascript; charset=utf-8", SERVICE_WORKER_JS);
            // The worker lives under /web/ but serves /report and /track/… too.
            response.headers_mut().insert(
                header::HeaderName::from_static("service-worker-allowed"),
                header::HeaderValue::from_static("/"),
            );
            Ok(response)
        }
        _ => Err(ApiError::not_found("file")),
    }
}
