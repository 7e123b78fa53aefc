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

use crate::config::SettingValue;

/// A validated `GRIDLINE_PUBLIC_BASE_URL`: `http` or `https`, a host, an optional port and
/// nothing else (kept without a trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl SettingValue for PublicBaseUrl {
    fn parse_setting(text: &str) -> Result<Self, String> {
        let trimmed = text.trim_end_matches('/');
        let (scheme, host) = trimmed
            .split_once("://")
            .ok_or_else(|| format!("expected an origin such as https://city.example.org, found {text:?}"))?;
        if scheme != "http" && scheme != "https" {
            return Err(format!("the scheme must be http or https, found {scheme:?}"));
        }
        if !is_plain_host(host) {
            return Err(format!("expected a host name and optional port only (no path), found {host:?}"));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// A host name, IPv4 address or bracketed IPv6 address, with an optional port: nothing that
/// could end a URL's authority and start something else.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && !host.starts_with([':', '.', '-'])
}

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
