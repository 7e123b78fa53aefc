//! The one HTTP error type: RFC 9457 `application/problem+json` with a stable machine `code`.
//!
//! Every handler returns `Result<_, ApiError>`; actix's extractor errors (JSON, query, path,
//! payload size) are mapped here too, by the handlers that [`configure_extractors`] installs.
//! The cause of a 5xx is logged (inside the request's span, so with its request id) and never
//! serialized: a client sees the code, a title and a safe detail, nothing more.

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;

use crate::store::StoreError;

/// The problem kinds and their HTTP status: the whole status table in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    /// A routed path asked with a method it does not answer (sent with `Allow`).
    MethodNotAllowed,
    Conflict,
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Seconds a client should wait before retrying when the database is unreachable.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u32 = 5;

type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// Stable machine code, e.g. `invalid_field`, `not_found`, `idempotency_key_reused`.
    pub code: &'static str,
    /// Safe, human-readable explanation (no personal data, no internals).
    pub detail: String,
    /// The request field at fault, as a JSON pointer-ish path (`position.lat`).
    pub field: Option<String>,
    pub retry_after_secs: Option<u32>,
    /// Every problem found, when a request has several (a grid import lists all at once).
    pub problems: Vec<String>,
    /// Logged, never sent.
    cause: Option<Cause>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.kind.status().as_u16(), self.detail)
    }
}

impl ApiError {
    pub fn new(kind: ErrorKind, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            detail: detail.into(),
            field: None,
            retry_after_secs: None,
            problems: Vec::new(),
            cause: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_problems(mut self, problems: Vec<String>) -> Self {
        self.problems = problems;
        self
    }

    pub fn with_cause(mut self, cause: impl Into<Cause>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, detail)
    }

    /// A well-formed request whose `field` breaks a rule (422).
    pub fn invalid_field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unprocessable, "invalid_field", detail).with_field(field)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, "forbidden", detail)
    }

    /// `what` is the kind of thing, never the identifier the client sent.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, "not_found", format!("no such {what}"))
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, detail)
    }

    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::new(ErrorKind::Internal, "internal", "the server failed to handle the request")
            .with_cause(cause)
    }

    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        let mut e =
            Self::new(ErrorKind::Unavailable, "unavailable", "the service is temporarily unavailable")
                .with_cause(cause);
        e.retry_after_secs = Some(UNAVAILABLE_RETRY_AFTER_SECS);
        e
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => ApiError::unavailable(e),
            // Work stopped because its request is gone: whoever still reads this answer is past
            // the deadline, and it is no fault of the server's (not logged as one).
            StoreError::Cancelled => ApiError::new(
                ErrorKind::RequestTimeout,
                "request_timeout",
                "the request was not answered before its deadline",
            ),
            // PostgreSQL text cannot hold U+0000 (SQLite can): a NUL in an id, a login name or a
            // query value is the client's fault, whichever check it slipped past.
            StoreError::Query(diesel::result::Error::DatabaseError(_, ref info))
                if info.message().contains("0x00") =>
            {
                ApiError::bad_request("invalid_text", "text must not contain NUL (U+0000) characters")
                    .with_cause(e)
            }
            _ => ApiError::internal(e),
        }
    }
}

/// The RFC 9457 body of every refusal (`application/problem+json`); the OpenAPI document's
/// `Problem` schema is derived from it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    /// The stable machine code, such as `invalid_field` or `not_from_state`.
    code: &'a str,
    /// The request field at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    problems: &'a [String],
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.kind.status();
        if status.is_server_error() {
            match &self.cause {
                Some(cause) => tracing::error!(code = self.code, error = %cause, "request failed"),
                None => tracing::error!(code = self.code, "request failed"),
            }
        }
        let problem = Problem {
            kind: format!("urn:gridline:problem:{}", self.code),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: &self.detail,
            code: self.code,
            field: self.field.as_deref(),
            problems: &self.problems,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.body(body)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

fn payload_error(e: &PayloadError) -> ApiError {
    match e {
        PayloadError::Overflow => too_large(),
        _ => ApiError::bad_request("bad_body", "the request body could not be read"),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::PayloadTooLarge,
        "body_too_large",
        "the request body is larger than this endpoint accepts",
    )
}

/// A JSON body read as `T` only after the caller's role was checked (the handler took it as a
/// plain `Value`), so a caller without the role gets 403 and never learns what the body should
/// hold; shape errors are worded as [`json_error`] words them.
pub fn body_as<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> ApiResult<T> {
    serde_json::from_value(body).map_err(|e| json_error(&JsonPayloadError::Deserialize(e)))
}

/// Maps a JSON body error: size 413, content type 415, syntax 400, wrong shape or value 422.
pub fn json_error(e: &JsonPayloadError) -> ApiError {
    match e {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => too_large(),
        JsonPayloadError::ContentType => ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "unsupported_media_type",
            "expected a body of type application/json",
        ),
        // serde's own message can quote the offending value (report text, coordinates), so the
        // detail names only the place and the kind of fault.
        JsonPayloadError::Deserialize(de) if de.is_data() => match missing_or_unknown_field(de) {
            Some((what, field)) => {
                ApiError::new(ErrorKind::Unprocessable, "invalid_body", format!("{what} field `{field}`"))
                    .with_field(field)
            }
            None => ApiError::new(
                ErrorKind::Unprocessable,
                "invalid_body",
                format!(
                    "the JSON body has a missing, unknown or wrongly typed field near line {} column {}",
                    de.line(),
                    de.column()
                ),
            ),
        },
        JsonPayloadError::Deserialize(de) => ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON (line {} column {})", de.line(), de.column()),
        ),
        JsonPayloadError::Payload(p) => payload_error(p),
        _ => ApiError::bad_request("bad_body", "the JSON body could not be read"),
    }
}

/// serde's "missing field `x`" and "unknown field `x`, expected ..." name only the field, never
/// the client's value, so that name can be passed on as the problem's `field`.
fn missing_or_unknown_field(de: &serde_json::Error) -> Option<(&'static str, String)> {
    let message = de.to_string();
    let (what, rest) = if let Some(rest) = message.strip_prefix("missing field `") {
        ("missing", rest)
    } else {
        ("unknown", message.strip_prefix("unknown field `")?)
    };
    let field = rest.split('`').next()?;
    let plain = !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    plain.then(|| (what, field.to_owned()))
}

fn query_error(e: &QueryPayloadError) -> ApiError {
    match e {
        QueryPayloadError::Deserialize(de) => {
            ApiError::bad_request("invalid_query", format!("the query string is not valid: {de}"))
        }
        _ => ApiError::bad_request("invalid_query", "the query string is not valid"),
    }
}

fn path_error(e: &PathError) -> ApiError {
    match e {
        PathError::Deserialize(de) => {
            ApiError::new(ErrorKind::NotFound, "not_found", format!("no such resource: {de}"))
        }
        _ => ApiError::not_found("resource"),
    }
}

/// Installs the extractor configurations on a scope or app: body size limits and problem+json
/// for every extractor error.
pub fn configure_extractors(cfg: &mut web::ServiceConfig, json_limit: usize, payload_limit: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(json_limit)
            .error_handler(|e, _req: &HttpRequest| json_error(&e).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _req: &HttpRequest| query_error(&e).into()))
    .app_data(web::PathConfig::default().error_handler(|e, _req: &HttpRequest| path_error(&e).into()))
    .app_data(web::PayloadConfig::new(payload_limit));
}

/// The answer for a route that does not exist.
pub async fn no_such_route() -> ApiResult<HttpResponse> {
    Err(ApiError::new(ErrorKind::NotFound, "no_such_route", "no endpoint at this path and method"))
}

/// A `category` parameter (of the statistics, the warnings, the topics): its canonical code,
/// or 422 `invalid_field` naming it.
pub fn category_parameter(text: &str) -> ApiResult<String> {
    category_code_parameter(text).map(|code| code.to_string())
}

/// A `category` parameter as core's code, or 422 `invalid_field` naming it.
pub fn category_code_parameter(text: &str) -> ApiResult<gridline_core::codes::CategoryCode> {
    gridline_core::codes::CategoryCode::parse(text)
        .map_err(|e| ApiError::invalid_field("category", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_error(json: &str) -> JsonPayloadError {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            description: String,
            lat: f64,
        }
        JsonPayloadError::Deserialize(serde_json::from_str::<Body>(json).unwrap_err())
    }

    #[test]
    fn a_missing_or_unknown_field_is_named_in_the_problem() {
        let e = json_error(&data_error(r#"{"lat": 1.0}"#));
        assert_eq!(
            (e.kind, e.code, e.field.as_deref()),
            (ErrorKind::Unprocessable, "invalid_body", Some("description"))
        );
        assert_eq!(e.detail, "missing field `description`");
        let e = json_error(&data_error(r#"{"description": "x", "lat": 1.0, "colour": 1}"#));
        assert_eq!(e.field.as_deref(), Some("colour"));
        assert_eq!(e.detail, "unknown field `colour`");
    }

    #[test]
    fn stopped_work_is_a_timeout_not_a_server_fault() {
        let e = ApiError::from(StoreError::Cancelled);
        assert_eq!((e.kind, e.code), (ErrorKind::RequestTimeout, "request_timeout"));
        assert!(!e.kind.status().is_server_error());
    }

    #[test]
    fn a_wrongly_typed_value_is_never_quoted_back() {
        let e = json_error(&data_error(r#"{"description": "secret home address", "lat": "31.2 N"}"#));
        assert_eq!(e.code, "invalid_body");
        assert_eq!(e.field, None);
        assert!(!e.detail.contains("31.2") && !e.detail.contains("secret"), "{}", e.detail);
    }
}
