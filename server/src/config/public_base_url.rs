//! `GRIDLINE_PUBLIC_BASE_URL`'s value: an origin checked at start-up, so that no absolute URL in
//! an answer can start with anything but `http(s)://host[:port]`. How a request's origin is
//! worked out when it is unset is [`crate::public_url`]'s business.

use super::SettingValue;

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
pub(crate) fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && !host.starts_with([':', '.', '-'])
}
