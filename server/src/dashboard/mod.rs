//! The operations dashboard page (`/dashboard`): one HTML page, its script and its styles,
//! compiled into the binary so the server serves them with nothing fetched from anywhere at
//! build or run time. The page signs in with a staff account and then only calls `/api/v1`
//! (the map's data is [`crate::api::dashboard`]), so it sees exactly what the API lets that
//! account see.

use actix_web::{HttpResponse, web};

use crate::error::{ApiError, ApiResult};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
/// The sensors view (review queue, alarm groups, active alarms per cell, faulty devices).
const SENSORS_JS: &str = include_str!("assets/sensors.js");
/// The emergency view (平战转换: switch, incident view, command queue, units' load, timeline).
const EMERGENCY_JS: &str = include_str!("assets/emergency.js");
/// The early-warning view (each cell's chart today, signalling cells ringed on the map).
const WARNINGS_JS: &str = include_str!("assets/warnings.js");
/// The patrol coverage view (a street's inspectors, the cells they walked, the figure).
const PATROL_JS: &str = include_str!("assets/patrol.js");
const APP_CSS: &str = include_str!("assets/app.css");
const ICON_SVG: &str = include_str!("assets/icon.svg");

/// Only the page's own origin, no inline script, no framing by other sites. The printable pages
/// (the case sheet, the after-action summary) are fetched with the session's token and opened
/// as blob documents, which inherit this policy: their inline styles and `data:` thumbnails are
/// allowed for that (images still only from here, so a style cannot send anything away).
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' blob: data:; \
     style-src 'self' 'unsafe-inline'; \
     script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    crate::web::embedded(content_type, CONTENT_SECURITY_POLICY, body)
}

pub async fn page() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

pub async fn file(name: web::Path<String>) -> ApiResult<HttpResponse> {
    match name.as_str() {
        "app.js" => Ok(asset("text/javascript; charset=utf-8", APP_JS)),
        "sensors.js" => Ok(asset("text/javascript; charset=utf-8", SENSORS_JS)),
        "emergency.js" => Ok(asset("text/javascript; charset=utf-8", EMERGENCY_JS)),
        "warnings.js" => Ok(asset("text/javascript; charset=utf-8", WARNINGS_JS)),
        "patrol.js" => Ok(asset("text/javascript; charset=utf-8", PATROL_JS)),
        "app.css" => Ok(asset("text/css; charset=utf-8", APP_CSS)),
        "icon.svg" => Ok(asset("image/svg+xml", ICON_SVG)),
        _ => Err(ApiError::not_found("file")),
    }
}
