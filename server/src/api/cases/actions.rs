//! `POST /api/v1/cases/{id}/actions`: one workflow step on a case.
//!
//! The step is the case service's ([`crate::cases::take_step`], where core decides the whole
//! transition); this handler only reads the HTTP parts (`If-Match`, `Idempotency-Key`, the
//! body) and translates the outcome into an answer:
//! - **Scope** (who may touch this case at all): a dispatcher or admin the cases of their area,
//!   a handler the cases dispatched to their unit, an inspector the cases in their cells, a
//!   citizen only the cases they reported. Outside it: 403 `out_of_scope`.
//! - **Concurrency**: `If-Match: "<version>"` (the `ETag` of every case read and action answer).
//!   A stale version: 409 `version_mismatch` with `current_state` and `current_version`. No
//!   `If-Match`: 428 `precondition_required`, except for a request carrying an
//!   `Idempotency-Key` (the phone's offline outbox, which queues steps without knowing the
//!   version a day later): there the state machine's from-state check is the guard, and a retry
//!   with the same key is answered with the case as it is (`Idempotent-Replayed: true`) instead
//!   of a refusal. A retry is checked like a first request: outside the caller's scope it is
//!   403 `out_of_scope`; from another account or with another body, 409
//!   `idempotency_key_reused`. Either way the version is checked again by the UPDATE itself, so
//!   two concurrent steps never both succeed.
//! - **Refusals** keep core's stable code: 403 for the wrong role (`not_allowed_for_role`,
//!   `not_the_reporter`), 409 for the wrong state or case facts (`not_from_state`,
//!   `already_rated`, ...; with `current_state`), 422 for something missing (`reason_required`,
//!   `photo_required`, `position_required`, ...).
//! - **Effects** are core's: dispatch computes the deadline from the case's handling time limit
//!   on the city's working calendar, counted from now, and refuses a `new_deadline` from the
//!   client (422 `deadline_not_accepted`); only extend takes one, later than the current one,
//!   with a reason; send back and shelve clear it; rework keeps it. A new deadline clears the
//!   overdue flag.
//!   A dispatch to a unit that does not exist is 422 `unknown_unit`; to a retired one, 422
//!   `unit_retired` (`GET /api/v1/units` lists the active units).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::workflow::{CaseState, Refusal};
use serde::Serialize;

use super::{View, render};
use crate::app::AppState;
use crate::auth::Principal;
use crate::cases::{StepError, StepRequest, Stepped, take_step};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::idempotency::MaybeIdempotencyKey;
use crate::store::cases::FullCase;

/// Who may touch a case is the case service's rule; re-exported for the handlers beside this one.
pub(crate) use crate::cases::facts::in_scope;

/// The body is core's type, shared with the phones' outbox.
pub use gridline_core::protocol::ActionRequest;

/// The `ETag` of a case at `version`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// What an `If-Match` that can never match asks for: no case has this version, so the step is
/// refused as stale (409 `version_mismatch`, with the current version).
const NEVER_MATCHES: i32 = -1;

/// What [`if_match`] accepts, for the OpenAPI document: one entity-tag, strong or weak, quoted,
/// of visible ASCII without `"` or `,` (a header value that is not visible ASCII is refused).
pub const ENTITY_TAG_PATTERN: &str = r#"^[ \t]*(W/)?"[\t !#-+\--~]*"[ \t]*$"#;

/// Reads `If-Match` strictly as RFC 9110 (13.1.1) says: one entity-tag, `"7"`. A weak tag
/// (`W/"7"`) is valid but never matches under the strong comparison If-Match uses, nor does a
/// tag that is not a version; a bare `7` is not an entity-tag and is refused (400
/// `invalid_if_match`), as is `*` and a list (a step names the one version it was decided on).
/// `Ok(None)` when absent.
pub(crate) fn if_match(req: &HttpRequest) -> ApiResult<Option<i32>> {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let invalid = |detail: &str| {
        ApiError::bad_request(
            "invalid_if_match",
            format!("If-Match must be the case's ETag, e.g. \"3\" ({detail})"),
        )
        .with_field("If-Match")
    };
    let text = value.to_str().map_err(|_| invalid("not text"))?.trim();
    if text == "*" || text.contains(',') {
        return Err(invalid("one entity-tag: not * and not a list"));
    }
    let (weak, tag) = match text.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let opaque = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|t| !t.contains('"'))
        .ok_or_else(|| invalid("an entity-tag is quoted"))?;
    if weak {
        return Ok(Some(NEVER_MATCHES));
    }
    Ok(Some(opaque.parse::<i32>().ok().filter(|v| *v >= 0).unwrap_or(NEVER_MATCHES)))
}

/// An RFC 9457 problem of a step on a case: for a 409 about the case, with its current state
/// and version, which a phone parks its queued step with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseProblem<'a> {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'a str,
    pub status: u16,
    pub detail: &'a str,
    /// The stable machine code, such as `version_mismatch` or `not_from_state`.
    pub code: &'a str,
    /// The case's state now, when the problem is about the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<CaseState>,
    /// The case's version now (its `ETag`), when the problem is about the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
}

/// A problem+json answer built here because it carries more than [`ApiError`] holds.
pub(crate) fn problem(status: StatusCode, code: &str, detail: &str, case: Option<&FullCase>) -> HttpResponse {
    let body = CaseProblem {
        kind: format!("urn:gridline:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        code,
        current_state: case.map(|c| c.row.state),
        current_version: case.map(|c| c.row.version),
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
    if let Some(case) = case {
        response.insert_header((header::ETAG, etag(case.row.version)));
    }
    response.body(serde_json::to_string(&body).unwrap_or_default())
}

/// The HTTP status a refusal is answered with.
fn refusal_kind(refusal: &Refusal) -> ErrorKind {
    match refusal {
        Refusal::NotAllowedForRole { .. } | Refusal::NotTheReporter => ErrorKind::Forbidden,
        Refusal::NotFromState { .. }
        | Refusal::AlreadyRated
        | Refusal::DeadlineNotPassed
        | Refusal::AlreadyOverdue
        | Refusal::NotOverdue
        | Refusal::AlreadyCalledBack
        // The case's parts, dispute or command stand in the way, not the request.
        | Refusal::HelperPartsOpen { .. }
        | Refusal::DisputeWindowClosed { .. }
        | Refusal::DisputePending
        | Refusal::NoDisputePending
        | Refusal::ArbiterDeadlineNotPassed
        | Refusal::AlreadyAskedToConfirm
        | Refusal::NotUnderCommand => ErrorKind::Conflict,
        _ => ErrorKind::Unprocessable,
    }
}

/// The request field a refusal for something missing points at.
fn refusal_field(refusal: &Refusal) -> Option<&'static str> {
    Some(match refusal {
        Refusal::ReasonRequired { .. } => "reason",
        Refusal::PhotoRequired { .. } => "photo_ids",
        Refusal::PositionRequired { .. } => "position",
        Refusal::DeadlineRequired { .. }
        | Refusal::DeadlineNotLater { .. }
        | Refusal::DeadlineNotAccepted { .. } => "new_deadline",
        Refusal::HandlingUnitRequired { .. } => "handling_unit",
        Refusal::MergeTargetRequired { .. } => "merge_into",
        Refusal::RatingOutOfRange { .. } => "rating",
        Refusal::SatisfactionRequired { .. } => "satisfaction",
        _ => return None,
    })
}

/// The answer of a recorded or replayed step: the case in the caller's view, with its ETag.
fn case_answer(state: &AppState, who: &Principal, stepped: Stepped) -> HttpResponse {
    let Stepped { case, photo_ids, replayed } = stepped;
    let view = if case.row.reporter_id.as_deref() == Some(who.user_id.as_str()) {
        View::Reporter
    } else {
        View::Staff
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::ETAG, etag(case.row.version)));
    if replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    response.json(render(&case, view, Some(who), photo_ids, state.clock.now()))
}

/// The answer of a step that was not recorded.
fn refused_answer(error: StepError) -> ApiResult<HttpResponse> {
    match error {
        StepError::Problem(error) => Err(error),
        StepError::Stale { detail, case } => {
            Ok(problem(StatusCode::CONFLICT, "version_mismatch", detail, Some(&case)))
        }
        StepError::Refused { refusal, case } => {
            let kind = refusal_kind(&refusal);
            if kind == ErrorKind::Conflict {
                return Ok(problem(StatusCode::CONFLICT, refusal.code(), &refusal.to_string(), Some(&case)));
            }
            let mut error = ApiError::new(kind, refusal.code(), refusal.to_string());
            if let Some(field) = refusal_field(&refusal) {
                error = error.with_field(field);
            }
            Err(error)
        }
    }
}

pub async fn post(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<ActionRequest>,
    MaybeIdempotencyKey(key): MaybeIdempotencyKey,
) -> ApiResult<HttpResponse> {
    let expected_version = if_match(&req)?;
    if expected_version.is_none() && key.is_none() {
        return Ok(problem(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the case's ETag (its version), as returned by GET /api/v1/cases/{id}",
            None,
        ));
    }
    let request = StepRequest {
        case_id: id.into_inner(),
        expected_version,
        idempotency_key: key,
        body: body.into_inner(),
    };
    match take_step(&state, &who, request).await {
        Ok(stepped) => Ok(case_answer(&state, &who, stepped)),
        Err(error) => refused_answer(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_is_read_as_rfc_9110_says() {
        let read = |text: &str| {
            let req = actix_web::test::TestRequest::default()
                .insert_header((header::IF_MATCH, text))
                .to_http_request();
            if_match(&req).map_err(|e| e.code)
        };
        assert_eq!(read("\"7\""), Ok(Some(7)));
        assert_eq!(read(" \"7\" "), Ok(Some(7)));
        // Valid entity-tags that a version never matches (strong comparison).
        assert_eq!(read("W/\"7\""), Ok(Some(NEVER_MATCHES)));
        assert_eq!(read("\"seven\""), Ok(Some(NEVER_MATCHES)));
        for bad in ["7", "*", "\"6\", \"7\"", "\"7", "7\"", "W/7", "\"7\"\""] {
            assert_eq!(read(bad), Err("invalid_if_match"), "{bad}");
        }
    }

    #[test]
    fn the_entity_tag_pattern_is_what_if_match_accepts() {
        let pattern = regex::Regex::new(ENTITY_TAG_PATTERN).unwrap();
        let accepts = |text: &str| {
            let req = actix_web::test::TestRequest::default()
                .insert_header((header::IF_MATCH, text))
                .to_http_request();
            if_match(&req).is_ok()
        };
        let mut samples: Vec<String> = ["\"7\"", " \"7\" ", "W/\"7\"", "\"\"", "\"a b\tc\"", "W/\"\""]
            .iter()
            .chain(&["7", "*", "\"6\", \"7\"", "\"7", "7\"", "W/7", "\"7\"\"", "w/\"7\"", "\"*\""])
            .map(|s| (*s).to_owned())
            .collect();
        // Every visible ASCII character, tab and space inside the quotes and around them.
        for c in (0x20u8..0x7f).map(char::from).chain(['\t']) {
            samples.extend([
                format!("\"{c}\""),
                format!("\"1{c}2\""),
                format!("{c}\"1\""),
                format!("W{c}\"1\""),
            ]);
        }
        for sample in samples {
            assert_eq!(pattern.is_match(&sample), accepts(&sample), "{sample:?}");
        }
    }
}
