//! The origin (`https://host[:port]`) that absolute URLs in answers start with: Open311's
//! discovery `url` and every `media_url`.
//!
//! `GRIDLINE_PUBLIC_BASE_URL` names it when set, and then nothing a client sends changes it.
//! Without it, the origin is worked out per request, and never from what just anyone sends:
//! `X-Forwarded-Proto` and `X-Forwarded-Host` are read only when the TCP peer is one of
//! `GRIDLINE_TRUSTED_PROXIES`, the scheme is only ever `http` or `https`, and a host that is not
//! a plain host name or address with an optional port is replaced by the address the request
//! arrived on. (actix's `connection_info` believes those headers from anyone, which let a
//! client make `media_url` read `javascript://...`.)

use actix_web::HttpRequest;

pub use crate::config::PublicBaseUrl;
use crate::config::is_plain_host;

/// The origin of this server for `req`, without a trailing slash.
pub fn origin(req: &HttpRequest) -> String {
    let state = req.app_data::<actix_web::web::Data<crate::app::AppState>>();
    if let Some(base) = state.and_then(|s| s.config.settings.public_base_url.as_ref()) {
        return base.as_str().to_owned();
    }
    let from_trusted_proxy = match (state, req.peer_addr()) {
        (Some(state), Some(peer)) => state.config.settings.trusted_proxies.trusts(peer.ip()),
        _ => false,
    };
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            // A chain of proxies lists one value each; the first is what the client asked for.
            .and_then(|v| v.split(',').next())
            .map(str::trim)
    };
    let forwarded = |name: &str| if from_trusted_proxy { header(name) } else { None };
    let scheme = match forwarded("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    let host = forwarded("x-forwarded-host")
        .or_else(|| header("host"))
        .filter(|host| is_plain_host(host))
        .map(str::to_owned)
        .unwrap_or_else(|| req.app_config().local_addr().to_string());
    format!("{scheme}://{host}")
}
