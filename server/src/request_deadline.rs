//! The deadline of a whole request: reading its body and handling it must end within
//! `GRIDLINE_REQUEST_TIMEOUT_SECS`, or the client gets 408 `request_timeout` and the
//! connection is closed.
//!
//! actix's `client_request_timeout` bounds only the head (request line and headers); a body
//! trickled one byte a second would otherwise hold a worker's connection for as long as the
//! sender likes. The body is read inside the handler (by its extractors), so bounding the
//! handler's future bounds the body too. A streaming answer (the live-event feed) is not cut:
//! its handler returns at once and the stream runs after the deadline's scope.
//!
//! The deadline drops the handler's future, and with it any `Db::run` it awaits: that database
//! work is stopped too (its running statement interrupted, its loops ended, its connection given
//! back; see `store::cancel`), so a call retried after a 408 does not pile up beside the copies
//! still running. What the work had not committed rolls back whole; what it committed before the
//! deadline stays, and a report or a step committed just before it is found again by its
//! `Idempotency-Key` when the client retries. A report already handed to the intake writer is
//! stored all the same (it shares a transaction with others).

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use crate::error::{ApiError, ErrorKind};

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let seconds = req
        .app_data::<actix_web::web::Data<crate::app::AppState>>()
        .map_or(60, |state| state.config.settings.request_timeout_secs);
    match actix_web::rt::time::timeout(Duration::from_secs(seconds), next.call(req)).await {
        Ok(answered) => answered.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            tracing::warn!(seconds, "request deadline passed; answered 408 and closed the connection");
            let error = ApiError::new(
                ErrorKind::RequestTimeout,
                "request_timeout",
                format!("the request was not received and answered within {seconds} s"),
            );
            let mut response = actix_web::ResponseError::error_response(&error);
            // The rest of the body may still be arriving: the connection cannot be reused.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            // An error leaves past the header middleware (see `serve::no_sniffing`).
            response
                .headers_mut()
                .insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            // The request moved into the handler that was dropped, so the answer leaves as an
            // error carrying its response (actix writes it as it is).
            Err(actix_web::error::InternalError::from_response(error, response).into())
        }
    }
}
