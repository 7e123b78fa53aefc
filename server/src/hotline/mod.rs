//! The hotline operator console (`/hotline`): one HTML page, its script and its styles,
//! compiled into the binary like the dashboard ([`crate::dashboard`]), under the same strict
//! content security policy, so nothing is fetched from anywhere else. The page signs in with an
//! operator account (the same sign-in as the dashboard) and only calls `/api/v1`: the
//! categories and their questions, the grid map's cells, the open reports near the place
//! (`/public/nearby`), the hotline's calls (`/hotline/calls`), the call-backs (`/callbacks`) and
//! the workflow's steps. Every control is reached and used with the keyboard. [`gazetteer`]
//! holds the addresses a caller's words are matched against, [`codes`] the hotline's own
//! category codes mapped to the city's categories.

pub mod codes;
pub mod gazetteer;

use actix_web::{HttpResponse, web};

use crate::error::{ApiError, ApiResult};

const INDEX_HTML: &str = include_str!("assets/index.html");
const CONSOLE_JS: &str = include_str!("assets/console.js");
const CONSOLE_CSS: &str = include_str!("assets/console.css");

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    crate::web::embedded(content_type, crate::dashboard::CONTENT_SECURITY_POLICY, body)
}

pub async fn page() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

pub async fn file(name: web::Path<String>) -> ApiResult<HttpResponse> {
    match name.as_str() {
        "console.js" => Ok(asset("text/javascript; charset=utf-8", CONSOLE_JS)),
        "console.css" => Ok(asset("text/css; charset=utf-8", CONSOLE_CSS)),
        _ => Err(ApiError::not_found("file")),
    }
}
