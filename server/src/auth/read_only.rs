//! The read-only rule of the `viewer` role, kept at the door of `/api/v1`: a viewer's request
//! that could change something (any method but the safe ones: GET, HEAD, OPTIONS, TRACE and
//! QUERY) is refused with 403 `forbidden` before any handler runs, so no write route — present
//! or added later — can forget it. Sign-in, refresh and sign-out under `/api/v1/auth` stay open,
//! since they only touch the caller's own session. The handlers' own role checks still apply
//! behind it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use gridline_core::workflow::Role;

use super::error::AuthError;
use super::principal::Principal;
use crate::error::ApiError;

/// Whether a request by `role` with `method` on `path` is refused as a write by a viewer.
pub fn refused_for_viewer(role: Role, method: &Method, path: &str) -> bool {
    role == Role::Viewer && !is_safe(method) && !path.starts_with("/api/v1/auth/")
}

/// The methods that only read (RFC 9110 §9.2.1, and QUERY, a safe GET with a body).
fn is_safe(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(method) || method.as_str() == "QUERY"
}

/// Middleware (`actix_web::middleware::from_fn`) applying [`refused_for_viewer`]. A missing or
/// bad token passes through untouched: the handler answers it as it always does. So does a
/// method `undeclared(method, path)` says no route takes on a path that has routes: routing
/// answers it 405 with `Allow`, as it does for every role, and the viewer learns nothing the
/// public API document does not say.
pub async fn refuse_viewer_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
    undeclared: fn(&Method, &str) -> bool,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let viewer_write = match Principal::from_request_head(req.request()) {
        Ok(Some(who)) => {
            refused_for_viewer(who.role, req.method(), req.path()) && !undeclared(req.method(), req.path())
        }
        _ => false,
    };
    if viewer_write {
        let refusal = ApiError::from(AuthError::Forbidden).error_response();
        return Ok(req.into_response(refusal).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_may_read_and_manage_its_own_session_only() {
        let query = Method::from_bytes(b"QUERY").unwrap();
        for method in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE, query] {
            assert!(!refused_for_viewer(Role::Viewer, &method, "/api/v1/cases"));
        }
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            for path in
                ["/api/v1/reports", "/api/v1/photos", "/api/v1/cases/x/actions", "/api/v1/admin/users"]
            {
                assert!(refused_for_viewer(Role::Viewer, &method, path), "{method} {path}");
            }
        }
        for path in ["/api/v1/auth/logout", "/api/v1/auth/refresh", "/api/v1/auth/login"] {
            assert!(!refused_for_viewer(Role::Viewer, &Method::POST, path));
        }
        for role in Role::ALL.iter().copied().filter(|r| *r != Role::Viewer) {
            assert!(!refused_for_viewer(role, &Method::POST, "/api/v1/reports"), "{role}");
        }
    }
}
