//! The `Idempotency-Key` request header (a UUID), read the same way by every create.
//!
//! [`IdempotencyKey`] is for routes that require one (report intake): a missing header is a 400
//! `idempotency_key_required`. [`MaybeIdempotencyKey`] is for routes where it is optional (a
//! photo upload, a case action): absent means the request is not deduplicated. Either way a
//! header that is not a UUID is a 400 `invalid_idempotency_key` rather than being ignored, since
//! a client that sends a key expects its retries to be recognised. Keys are kept in the UUID's
//! canonical lower-case form, so `ABC...` and `abc...` are the same key.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpRequest};
use uuid::Uuid;

use crate::error::ApiError;

/// The header's name, as clients send it.
pub const HEADER: &str = "Idempotency-Key";

/// A required `Idempotency-Key`, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

/// An optional `Idempotency-Key`: `None` when the header is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaybeIdempotencyKey(pub Option<String>);

/// The key in `headers`, `Ok(None)` when there is none, an error when it is not a UUID.
pub fn parse(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else { return Ok(None) };
    value
        .to_str()
        .ok()
        .and_then(|text| Uuid::parse_str(text.trim()).ok())
        .map(|key| Some(key.to_string()))
        .ok_or_else(|| {
            ApiError::bad_request("invalid_idempotency_key", "the Idempotency-Key header must be a UUID")
                .with_field(HEADER)
        })
}

/// The key in `headers`, refusing a request without one.
pub fn require(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    parse(headers)?.map(IdempotencyKey).ok_or_else(|| {
        ApiError::bad_request("idempotency_key_required", "send an Idempotency-Key header (a UUID)")
            .with_field(HEADER)
    })
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(require(req.headers()))
    }
}

impl FromRequest for MaybeIdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.headers()).map(MaybeIdempotencyKey))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(value: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Some(value) = value {
            map.insert(HeaderName::from_static("idempotency-key"), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn canonical_form_absent_and_invalid() {
        let upper = "0192F7A4-3B1C-7D2E-8F00-1234567890AB";
        assert_eq!(parse(&headers(Some(upper))).unwrap().unwrap(), upper.to_lowercase());
        assert_eq!(parse(&headers(None)).unwrap(), None);
        assert_eq!(parse(&headers(Some("not-a-uuid"))).unwrap_err().code, "invalid_idempotency_key");
        assert_eq!(require(&headers(None)).unwrap_err().code, "idempotency_key_required");
    }
}
