//! Joint handling (主办/协办) and disputed assignments (派单异议) over HTTP; the rules are core's
//! and the flows the case service's ([`crate::cases::joint`]):
//!
//! - `GET /api/v1/cases/{id}/joint`: the case (staff view) with its lead unit, helper parts (each
//!   with the part steps the reader may take), disputes, bounces and district flag, and the case
//!   steps the reader may take with all of them counted. Staff whose scope holds the case, and
//!   the handlers of a unit with a part on it, may read it; anyone else 403 `out_of_scope`.
//! - `POST /api/v1/cases/{id}/parts/{part}/actions`: one step on a helper part (`accept`,
//!   `send_back` with a reason, `finish` with after-photos, `close` by the lead unit or the
//!   street office with a reason), with `If-Match: "<case version>"` like every case step (428
//!   without it, 409 `version_mismatch` when stale); the step bumps the case's version and is in
//!   its timeline as `part_<action>`. Refusals keep core's codes: 403 `not_allowed_for_part`,
//!   409 `part_not_from_state` / `case_not_active`, 422 `reason_required` / `photo_required`.
//!
//! The joint dispatch itself is a case step: `dispatch` (or `reassign`) with `helpers`, and the
//! disputes are the case steps `dispute`, `uphold`, `reassign` (`POST /api/v1/cases/{id}/actions`).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::protocol::joint::{JointView, PartActionRequest};

use super::actions::{etag, if_match, problem};
use super::{View, render};
use crate::app::AppState;
use crate::auth::Principal;
use crate::cases::joint::{Joint, PartStepError, PartStepRequest, joint_view, take_part_step};
use crate::error::{ApiError, ApiResult, ErrorKind};

/// The answer body of a case's joint view, rendered for `who`.
fn answer(state: &AppState, who: &Principal, joint: Joint) -> HttpResponse {
    let Joint { case, photo_ids, parts, disputes, bounces, flagged_to_district, available_actions } = joint;
    let mut view = render(&case, View::Staff, Some(who), photo_ids, state.clock.now());
    view.available_actions = Some(available_actions.clone());
    let body = JointView {
        lead_unit: case.row.handling_unit.clone(),
        case: view,
        parts,
        disputes,
        bounces,
        flagged_to_district,
        available_actions,
    };
    HttpResponse::Ok().insert_header((header::ETAG, etag(case.row.version))).json(body)
}

pub async fn get(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let joint = joint_view(&state, &who, &id).await?;
    Ok(answer(&state, &who, joint))
}

pub async fn post_part_action(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<PartActionRequest>,
) -> ApiResult<HttpResponse> {
    let Some(expected_version) = if_match(&req)? else {
        return Ok(problem(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the case's ETag (its version), as returned by GET /api/v1/cases/{id}/joint",
            None,
        ));
    };
    let (case_id, part_id) = path.into_inner();
    let request = PartStepRequest {
        case_id,
        part_id,
        expected_version: Some(expected_version),
        body: body.into_inner(),
    };
    match take_part_step(&state, &who, request).await {
        Ok(joint) => Ok(answer(&state, &who, joint)),
        Err(PartStepError::Problem(error)) => Err(error),
        Err(PartStepError::Stale { case }) => Ok(problem(
            StatusCode::CONFLICT,
            "version_mismatch",
            "the case has changed since the version in If-Match; read it again and retry",
            Some(&case),
        )),
        Err(PartStepError::Refused { refusal, case }) => {
            if refusal.is_conflict() {
                return Ok(problem(StatusCode::CONFLICT, refusal.code(), &refusal.to_string(), Some(&case)));
            }
            let kind = if refusal.is_forbidden() { ErrorKind::Forbidden } else { ErrorKind::Unprocessable };
            let mut error = ApiError::new(kind, refusal.code(), refusal.to_string());
            error = match refusal.code() {
                "reason_required" => error.with_field("reason"),
                "photo_required" => error.with_field("photo_ids"),
                _ => error,
            };
            Err(error)
        }
    }
}
