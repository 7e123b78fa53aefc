//! Per-request middleware: a request id, a tracing span, one log line, metrics, and
//! problem+json for every error answer that actix produced on its own (405, a raw body over
//! its limit, ...), so clients only ever see one error format.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use tracing::Instrument;

use crate::app::AppState;
use crate::error::{ApiError, ErrorKind};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, in request extensions for handlers that want it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A client-supplied id is kept only if it is short and plain; anything else is replaced.
fn accepted_request_id(value: Option<&HeaderValue>) -> Option<String> {
    let text = value?.to_str().ok()?;
    let plain = !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then(|| text.to_owned())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = accepted_request_id(req.headers().get(&REQUEST_ID_HEADER))
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().to_string();
    // The path only: query strings may carry coordinates.
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, path = %req.path());
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());

    let response = next.call(req).instrument(span.clone()).await?;
    let mut response = problem_for_bare_errors(response.map_into_boxed_body());

    let status = response.status();
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let seconds = started.elapsed().as_secs_f64();
    if let Some(metrics) = metrics {
        metrics.observe_request(&method, &route, status.as_u16(), seconds);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    span.in_scope(|| {
        tracing::info!(status = status.as_u16(), route = %route, latency_ms = seconds * 1000.0, "answered");
    });
    Ok(response)
}

fn problem_for_bare_errors(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    // Open311 answers its errors in the specification's format (XML or JSON by suffix).
    let open311_error = response.request().path().starts_with("/open311/")
        && response.headers().contains_key(header::CONTENT_TYPE);
    if !(status.is_client_error() || status.is_server_error()) || is_problem || open311_error {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            ErrorKind::PayloadTooLarge,
            "body_too_large",
            "the request body is larger than this endpoint accepts",
        ),
        // A resource asked with a method it does not route: 405 with the resource's `Allow`.
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = response.headers().get(header::ALLOW).cloned();
            let mut answer = ApiError::new(
                ErrorKind::MethodNotAllowed,
                "method_not_allowed",
                "this path answers other methods",
            )
            .error_response();
            if let Some(allow) = allow {
                answer.headers_mut().insert(header::ALLOW, allow);
            }
            return response.into_response(answer);
        }
        StatusCode::NOT_FOUND => {
            ApiError::new(ErrorKind::NotFound, "no_such_route", "no endpoint at this path and method")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "unsupported_media_type",
            "this content type is not accepted here",
        ),
        s if s.is_server_error() => ApiError::internal("an error answer without a problem body"),
        _ => ApiError::bad_request("bad_request", "the request could not be understood"),
    };
    response.into_response(error.error_response())
}
