//! `POST /api/v1/cases/{id}/actions`: one workflow step on a case.
//!
//! The rules are core's ([`workflow::take`]); this handler only gathers what `take` needs,
//! checks the caller's scope, applies the step's effects and records it:
//! - **Scope** (who may touch this case at all): a dispatcher or admin the cases of their area,
//!   a handler the cases dispatched to their unit, an inspector the cases in their cells, a
//!   citizen only the cases they reported. Outside it: 403 `out_of_scope`.
//! - **Concurrency**: `If-Match: "<version>"` (the `ETag` of every case read and action answer).
//!   A stale version: 409 `version_mismatch` with `current_state` and `current_version`. No
//!   `If-Match`: 428 `precondition_required`, except for a request carrying an
//!   `Idempotency-Key` (the phone's offline outbox, which queues steps without knowing the
//!   version a day later): there the state machine's from-state check is the guard, and a retry
//!   with the same key is answered with the case as it is (`Idempotent-Replayed: true`) instead
//!   of a refusal. Either way the version is checked again by the UPDATE itself, so two
//!   concurrent steps never both succeed.
//! - **Refusals** keep core's stable code: 403 for the wrong role (`not_allowed_for_role`,
//!   `not_the_reporter`), 409 for the wrong state or case facts (`not_from_state`,
//!   `already_rated`, ...; with `current_state`), 422 for something missing (`reason_required`,
//!   `photo_required`, `position_required`, ...).
//! - **Effects**: dispatch sets the deadline from the case's handling time limit on the working
//!   calendar (China's by default) counted from now; extend sets the given later deadline;
//!   send back and shelve clear it; rework keeps it (core's decision). A new deadline clears
//!   the overdue flag.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use gridline_core::calendar::{CalendarError, TimeLimit, WorkingCalendar};
use gridline_core::workflow::{self, Action, CaseFacts, CaseState, Effect, Provided, Refusal, Role};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{View, render, visibility};
use crate::api::grids::wgs84_point;
use crate::api::idempotency::MaybeIdempotencyKey;
use crate::api::reports::rfc3339;
use crate::app::AppState;
use crate::auth::{Principal, Scope};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::store::cases::{self, CaseChange, FullCase, StepOutcome};
use crate::store::events::{self, EventRow};
use crate::store::{DbConnection, StoreError, photos};

/// Longest reason, note or rating comment accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Most photos one step may carry.
pub const MAX_PHOTOS: usize = 9;

/// The working calendar deadlines are counted on: China's State Council schedules. Statistics
/// count working hours on the same one.
pub(crate) static CALENDAR: LazyLock<Result<WorkingCalendar, CalendarError>> =
    LazyLock::new(WorkingCalendar::china);

/// The body is core's type, shared with the phones' outbox.
pub use gridline_core::protocol::ActionRequest;

/// The deadline a dispatch at `start` gets for a case with `limit`, on `calendar`.
pub fn dispatch_deadline(
    calendar: &WorkingCalendar,
    start: DateTime<Utc>,
    limit: TimeLimit,
) -> Result<DateTime<Utc>, CalendarError> {
    calendar.deadline(start, limit)
}

/// The `ETag` of a case at `version`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// Reads `If-Match`: `"7"`, `W/"7"` or `7`. `Ok(None)` when absent.
fn if_match(req: &HttpRequest) -> ApiResult<Option<i32>> {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse::<i32>().map(Some).map_err(|_| {
        ApiError::bad_request("invalid_if_match", "If-Match must be the case's ETag, e.g. \"3\"")
            .with_field("If-Match")
    })
}

/// A problem+json answer built here because it carries more than [`ApiError`] holds: for a 409,
/// the case's current state and version, which a phone parks its queued step with.
fn problem(
    status: actix_web::http::StatusCode,
    code: &str,
    detail: &str,
    case: Option<&FullCase>,
) -> HttpResponse {
    let mut body = json!({
        "type": format!("urn:gridline:problem:{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
    if let Some(case) = case {
        body["current_state"] = json!(case.row.state);
        body["current_version"] = json!(case.row.version);
        response.insert_header((header::ETAG, etag(case.row.version)));
    }
    response.body(body.to_string())
}

fn conflict(code: &str, detail: &str, case: &FullCase) -> HttpResponse {
    problem(actix_web::http::StatusCode::CONFLICT, code, detail, Some(case))
}

/// The HTTP status a refusal is answered with.
fn refusal_kind(refusal: &Refusal) -> ErrorKind {
    match refusal {
        Refusal::NotAllowedForRole { .. } | Refusal::NotTheReporter => ErrorKind::Forbidden,
        Refusal::NotFromState { .. }
        | Refusal::AlreadyRated
        | Refusal::DeadlineNotPassed
        | Refusal::AlreadyOverdue
        | Refusal::NotOverdue => ErrorKind::Conflict,
        _ => ErrorKind::Unprocessable,
    }
}

/// The request field a refusal for something missing points at.
fn refusal_field(refusal: &Refusal) -> Option<&'static str> {
    Some(match refusal {
        Refusal::ReasonRequired { .. } => "reason",
        Refusal::PhotoRequired { .. } => "photo_ids",
        Refusal::PositionRequired { .. } => "position",
        Refusal::DeadlineRequired { .. } | Refusal::DeadlineNotLater { .. } => "new_deadline",
        Refusal::HandlingUnitRequired { .. } => "handling_unit",
        Refusal::MergeTargetRequired { .. } => "merge_into",
        Refusal::RatingOutOfRange { .. } => "rating",
        _ => return None,
    })
}

fn check_text(field: &str, text: Option<&str>) -> ApiResult<()> {
    let chars = text.map_or(0, |t| t.chars().count());
    if chars > MAX_TEXT_CHARS {
        return Err(ApiError::invalid_field(
            field,
            format!("expected at most {MAX_TEXT_CHARS} characters, found {chars}"),
        ));
    }
    Ok(())
}

/// The request after the checks that need no database.
struct Checked {
    action: Action,
    position: Option<gridline_core::geo::GeoPoint>,
    new_deadline: Option<DateTime<Utc>>,
}

fn check(body: &ActionRequest) -> ApiResult<Checked> {
    let action: Action = body
        .action
        .parse()
        .map_err(|e: workflow::UnknownName| ApiError::invalid_field("action", e.to_string()))?;
    check_text("reason", body.reason.as_deref())?;
    check_text("note", body.note.as_deref())?;
    check_text("comment", body.comment.as_deref())?;
    if body.photo_ids.len() > MAX_PHOTOS {
        return Err(ApiError::invalid_field(
            "photo_ids",
            format!("expected at most {MAX_PHOTOS} photos, found {}", body.photo_ids.len()),
        ));
    }
    let position = match &body.position {
        Some(p) => {
            if p.accuracy_m.is_some_and(|a| !(a.is_finite() && a >= 0.0)) {
                return Err(ApiError::invalid_field(
                    "position.accuracy_m",
                    "expected a finite number of metres >= 0",
                ));
            }
            Some(wgs84_point(p.lat, p.lon, p.crs.as_deref(), "position.")?)
        }
        None => None,
    };
    let new_deadline = body
        .new_deadline
        .as_deref()
        .map(|text| {
            DateTime::parse_from_rfc3339(text.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::invalid_field("new_deadline", "expected an RFC 3339 date and time"))
        })
        .transpose()?;
    if let Some(unit) = body.handling_unit.as_deref() {
        Scope::Unit { unit: unit.to_owned() }
            .check_fits(Role::Handler)
            .map_err(|e| ApiError::invalid_field("handling_unit", e.to_string()))?;
    }
    Ok(Checked { action, position, new_deadline })
}

/// Whether `who` may act on `case` at all (before the workflow's own rules).
pub(crate) fn in_scope(who: &Principal, case: &FullCase) -> bool {
    if who.role == Role::Citizen {
        return case.row.reporter_id.as_deref() == Some(who.user_id.as_str());
    }
    who.can_see_case(&visibility(&case.row))
}

/// The answer of a recorded or replayed step: the case in the caller's view, with its ETag.
fn case_answer(who: &Principal, case: &FullCase, photo_ids: Vec<String>, replayed: bool) -> HttpResponse {
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
    response.json(render(case, view, Some(who), photo_ids))
}

/// Everything the step needs from the database, read before the decision.
enum Loaded {
    Missing,
    Replay(Box<FullCase>, Vec<String>),
    Case(Box<FullCase>),
}

fn load(conn: &mut DbConnection, id: &str, key: Option<&str>, who: &Principal) -> Result<Loaded, StoreError> {
    let Some(case) = cases::find_full(conn, id)? else { return Ok(Loaded::Missing) };
    if let Some(key) = key
        && let Some(previous) = events::find_by_key(conn, id, key)?
        && previous.actor_id.as_deref() == Some(who.user_id.as_str())
    {
        let photos = cases::photo_ids(conn, id)?;
        return Ok(Loaded::Replay(Box::new(case), photos));
    }
    Ok(Loaded::Case(Box::new(case)))
}

pub async fn act(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<ActionRequest>,
    MaybeIdempotencyKey(key): MaybeIdempotencyKey,
) -> ApiResult<HttpResponse> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("case"))?.to_string();
    let expected = if_match(&req)?;
    if expected.is_none() && key.is_none() {
        return Ok(problem(
            actix_web::http::StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the case's ETag (its version), as returned by GET /api/v1/cases/{id}",
            None,
        ));
    }
    let checked = check(&body)?;
    let body = body.into_inner();

    let lookup_id = id.clone();
    let lookup_key = key.clone();
    let lookup_who = who.clone();
    let loaded = state.db.run(move |conn| load(conn, &lookup_id, lookup_key.as_deref(), &lookup_who)).await?;
    let case = match loaded {
        Loaded::Missing => return Err(ApiError::not_found("case")),
        Loaded::Replay(case, photos) => return Ok(case_answer(&who, &case, photos, true)),
        Loaded::Case(case) => *case,
    };
    if !in_scope(&who, &case) {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "out_of_scope",
            "this case is outside the area or unit your account covers",
        ));
    }
    if let Some(expected) = expected
        && expected != case.row.version
    {
        return Ok(conflict(
            "version_mismatch",
            "the case has changed since the version in If-Match; read it again and retry",
            &case,
        ));
    }
    let current_state: CaseState = case
        .row
        .state
        .parse()
        .map_err(|e: workflow::UnknownName| ApiError::internal(StoreError::Corrupt(e.to_string())))?;

    let now = state.clock.now();
    let deadline = case.workflow.deadline.map(|d| d.and_utc());
    let facts = CaseFacts {
        actor_is_reporter: case.row.reporter_id.as_deref() == Some(who.user_id.as_str()),
        already_rated: case.workflow.rating.is_some(),
        deadline,
        deadline_passed: deadline.is_some_and(|d| d <= now),
        overdue: case.workflow.overdue,
    };
    let provided = Provided {
        reason: body.reason.as_deref(),
        photos: body.photo_ids.len(),
        position: checked.position,
        new_deadline: checked.new_deadline,
        handling_unit: body.handling_unit.as_deref(),
        merge_target: body.merge_into.as_deref(),
        rating: body.rating,
    };
    let transition = match workflow::take(current_state, checked.action, who.role, &provided, &facts) {
        Ok(transition) => transition,
        Err(refusal) => {
            let kind = refusal_kind(&refusal);
            if kind == ErrorKind::Conflict {
                return Ok(conflict(refusal.code(), &refusal.to_string(), &case));
            }
            let mut error = ApiError::new(kind, refusal.code(), refusal.to_string());
            if let Some(field) = refusal_field(&refusal) {
                error = error.with_field(field);
            }
            return Err(error);
        }
    };

    let mut change = CaseChange { state: Some(transition.to.as_str().to_owned()), ..CaseChange::default() };
    let mut details = serde_json::Map::new();
    if transition.action == Action::Dispatch {
        let unit = body.handling_unit.clone();
        details.insert("handling_unit".into(), json!(unit));
        change.handling_unit = Some(unit);
    }
    for effect in transition.effects {
        match effect {
            Effect::SetsDeadline => {
                let new = match checked.new_deadline {
                    Some(given) => Some(given),
                    None => dispatch_deadline_for(&case, now)?,
                };
                details.insert("deadline".into(), json!(new.map(|d| rfc3339(d.naive_utc()))));
                change.deadline = Some(new.map(|d| d.naive_utc()));
                change.overdue = Some(false);
            }
            Effect::ClearsDeadline => {
                change.deadline = Some(None);
                change.overdue = Some(false);
            }
            Effect::RecordsRating => {
                details.insert("rating".into(), json!(body.rating));
                change.rating = Some(body.rating.map(i32::from));
                // The comment stays in the event (staff timeline), not on the case.
                if let Some(comment) = body.comment.as_deref().filter(|c| !c.trim().is_empty()) {
                    details.insert("comment".into(), json!(comment));
                }
            }
            Effect::ClearsHandlingUnit => {
                // The unit that refused the case is kept in its event.
                details.insert("handling_unit".into(), json!(case.row.handling_unit));
                change.handling_unit = Some(None);
            }
            Effect::MarksOverdue => change.overdue = Some(true),
            Effect::CountsExtension | Effect::CountsRework | Effect::Escalates => {}
        }
    }
    if transition.action == Action::Merge {
        details.insert("merged_into".into(), json!(body.merge_into));
        change.merged_into = Some(body.merge_into.clone());
    }
    if transition.action == Action::Reopen && case.workflow.merged_into.is_some() {
        change.merged_into = Some(None);
    }

    let mut event = EventRow {
        id: Uuid::now_v7().to_string(),
        case_id: id.clone(),
        kind: transition.action.as_str().to_owned(),
        from_state: Some(transition.from.as_str().to_owned()),
        to_state: transition.to.as_str().to_owned(),
        actor_id: Some(who.user_id.clone()),
        actor_role: Some(who.role.as_str().to_owned()),
        note: body.note.clone().filter(|n| !n.trim().is_empty()),
        lat: checked.position.map(|p| p.lat()),
        lon: checked.position.map(|p| p.lon()),
        occurred_at: now.naive_utc(),
        seq: 0,
        reason: body.reason.clone().filter(|r| !r.trim().is_empty()),
        accuracy_m: body.position.as_ref().and_then(|p| p.accuracy_m),
        photo_ids: serde_json::to_string(&body.photo_ids).unwrap_or_else(|_| "[]".to_owned()),
        details: Value::Object(details).to_string(),
        idempotency_key: key,
    };

    let version = case.row.version;
    let step_who = who.clone();
    let step = state
        .db
        .run(move |conn| {
            if let Err(refused) = check_references(conn, &step_who, &body, &case.row.id)? {
                return Ok(Err(refused));
            }
            let outcome = cases::record_step(conn, &case.row.id, version, &change, &mut event)?;
            let fresh = cases::find_full(conn, &case.row.id)?;
            let photos = cases::photo_ids(conn, &case.row.id)?;
            Ok(Ok((outcome, fresh, photos)))
        })
        .await;
    let (outcome, fresh, photos) = match step {
        Ok(Ok(done)) => done,
        Ok(Err(refused)) => return Err(refused),
        Err(StoreError::Query(e)) if crate::store::is_unique_violation(&e) => {
            // The same Idempotency-Key raced itself: the other request recorded the step.
            return Err(ApiError::conflict("duplicate_request", "this request is already being recorded"));
        }
        Err(e) => return Err(e.into()),
    };
    let fresh = fresh.ok_or_else(|| ApiError::not_found("case"))?;
    match outcome {
        StepOutcome::Recorded { .. } => Ok(case_answer(&who, &fresh, photos, false)),
        StepOutcome::Stale => Ok(conflict(
            "version_mismatch",
            "the case changed while this step was being recorded; read it again and retry",
            &fresh,
        )),
    }
}

/// The deadline of a dispatch now: the case's handling time limit (copied from its category at
/// intake) on the working calendar. `None` for a case without a limit.
pub(crate) fn dispatch_deadline_for(case: &FullCase, now: DateTime<Utc>) -> ApiResult<Option<DateTime<Utc>>> {
    let Some(limit) = case.row.handling_time_limit.as_deref() else { return Ok(None) };
    let limit: TimeLimit = limit
        .parse()
        .map_err(|e| ApiError::internal(StoreError::Corrupt(format!("handling time limit: {e}"))))?;
    let calendar = CALENDAR.as_ref().map_err(|e| ApiError::internal(e.clone()))?;
    dispatch_deadline(calendar, now, limit).map(Some).map_err(|e| {
        ApiError::new(
            ErrorKind::Unprocessable,
            "no_working_calendar",
            format!("the deadline cannot be computed on the working calendar: {e}"),
        )
    })
}

/// Checks what the step points at: the photos exist, and a merge target is another open case
/// the caller may see.
fn check_references(
    conn: &mut DbConnection,
    who: &Principal,
    body: &ActionRequest,
    case_id: &str,
) -> Result<Result<(), ApiError>, StoreError> {
    if !body.photo_ids.is_empty() {
        let found = photos::find_many(conn, &body.photo_ids)?;
        let distinct = body.photo_ids.iter().collect::<std::collections::BTreeSet<_>>().len();
        // A step's photos are evidence of what the actor saw: only their own uploads count.
        let own = found.iter().filter(|p| p.uploader_id.as_deref() == Some(who.user_id.as_str())).count();
        if found.len() != distinct || own != distinct {
            return Ok(Err(ApiError::invalid_field(
                "photo_ids",
                "every photo id must name a photo you uploaded yourself",
            )));
        }
    }
    if let Some(target) = body.merge_into.as_deref().filter(|t| !t.trim().is_empty()) {
        let target_case = match Uuid::parse_str(target) {
            Ok(target) => cases::find_full(conn, &target.to_string())?,
            Err(_) => None,
        };
        let usable = target_case.as_ref().is_some_and(|t| {
            t.row.id != case_id && in_scope(who, t) && !matches!(t.row.state.as_str(), "merged" | "rejected")
        });
        if !usable {
            return Ok(Err(ApiError::invalid_field(
                "merge_into",
                "expected the id of another open case in your area (not merged or rejected)",
            )));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn beijing(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn dispatch_deadline_skips_the_weekend() {
        let calendar = WorkingCalendar::china().unwrap();
        // Friday 2026-11-27 16:00 + 4 working hours: 1.5 h on Friday, then Monday morning.
        let due = dispatch_deadline(&calendar, beijing(2026, 11, 27, 16, 0), "4h".parse().unwrap()).unwrap();
        assert_eq!(due, beijing(2026, 11, 30, 11, 30));
    }

    #[test]
    fn dispatch_deadline_skips_national_day_and_counts_the_adjusted_saturday() {
        let calendar = WorkingCalendar::china().unwrap();
        let one_day: TimeLimit = "1d".parse().unwrap();
        // Wednesday 30 September 17:00: half an hour that day, then 1-7 October off; the
        // remaining 7 hours run on Thursday 8 October.
        let due = dispatch_deadline(&calendar, beijing(2026, 9, 30, 17, 0), one_day).unwrap();
        assert_eq!(due, beijing(2026, 10, 8, 17, 0));
        // Friday 9 October 17:00: Saturday 10 October is a worked day (调休).
        let due = dispatch_deadline(&calendar, beijing(2026, 10, 9, 17, 0), one_day).unwrap();
        assert_eq!(due, beijing(2026, 10, 10, 17, 0));
    }

    #[test]
    fn if_match_accepts_strong_weak_and_bare_versions() {
        for text in ["\"7\"", "W/\"7\"", "7"] {
            let req = actix_web::test::TestRequest::default()
                .insert_header((header::IF_MATCH, text))
                .to_http_request();
            assert_eq!(if_match(&req).unwrap(), Some(7), "{text}");
        }
        let req =
            actix_web::test::TestRequest::default().insert_header((header::IF_MATCH, "*")).to_http_request();
        assert_eq!(if_match(&req).unwrap_err().code, "invalid_if_match");
    }
}
