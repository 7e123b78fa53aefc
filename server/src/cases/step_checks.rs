//! The checks of a step request before and after the case is read: the field checks that need
//! no database (action name, text lengths, photo count, position, deadline format, unit code),
//! the request's fingerprint for idempotent replays, the unit a step hands the case to (an
//! active unit of the `handling_units` table), and what the step points at (the caller's own photos, an open merge target in their
//! scope).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use gridline_core::codes::{CaseId, GridCode};
use gridline_core::geo::GeoPoint;
use gridline_core::grid::OnSite;
use gridline_core::limits::{MAX_STEP_PHOTOS, MAX_STEP_TEXT_CHARS};
use gridline_core::protocol::ActionRequest;
use gridline_core::workflow::{self, Action, Change, Provided, Role, Step};
use sha2::{Digest, Sha256};

use super::facts::{in_scope, state_of};
use crate::auth::{Principal, Scope};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::routing::{GridRouter, wgs84_point};
use crate::store::cases::{self};
use crate::store::{DbConnection, StoreResult, photos, units};

/// A step request after the checks that need no database.
#[derive(Debug, Clone)]
pub(super) struct CheckedStep {
    pub action: Action,
    pub position: Option<GeoPoint>,
    pub new_deadline: Option<DateTime<Utc>>,
    /// SHA-256 of the request body, to tell a replay from another request with the same key.
    pub request_sha256: String,
}

impl CheckedStep {
    /// What core's `take` reads of the request, with the case the load found for `merge_into`
    /// and the helpers the step takes (those named, or the command's default:
    /// `gridline_core::emergency::dispatch_helpers`).
    pub fn provided<'a>(
        &self,
        body: &'a ActionRequest,
        merge_target: Option<gridline_core::codes::CaseId>,
        helpers: &'a [gridline_core::workflow::parts::HelperPartRequest],
    ) -> Provided<'a> {
        Provided {
            reason: body.reason.as_deref(),
            photos: body.photo_ids.len(),
            position: self.position,
            new_deadline: self.new_deadline,
            handling_unit: body.handling_unit.as_deref(),
            merge_target,
            rating: body.rating,
            satisfaction: body.satisfaction,
            resolved: body.resolved,
            helpers,
            inspector: body.inspector.as_deref(),
        }
    }
}

fn check_text(field: &str, text: Option<&str>) -> ApiResult<()> {
    let chars = text.map_or(0, |t| t.chars().count());
    if chars > MAX_STEP_TEXT_CHARS {
        return Err(ApiError::invalid_field(
            field,
            format!("expected at most {MAX_STEP_TEXT_CHARS} characters, found {chars}"),
        ));
    }
    Ok(())
}

fn check_position(body: &ActionRequest) -> ApiResult<Option<GeoPoint>> {
    let Some(p) = &body.position else { return Ok(None) };
    if p.accuracy_m.is_some_and(|a| !(a.is_finite() && a >= 0.0)) {
        return Err(ApiError::invalid_field(
            "position.accuracy_m",
            "expected a finite number of metres >= 0",
        ));
    }
    wgs84_point(p.lat, p.lon, p.crs.as_deref(), "position.").map(Some)
}

/// The checks of `body` that need no database.
pub(super) fn check(body: &ActionRequest) -> ApiResult<CheckedStep> {
    let action: Action = body
        .action
        .parse()
        .map_err(|e: workflow::UnknownName| ApiError::invalid_field("action", e.to_string()))?;
    check_text("reason", body.reason.as_deref())?;
    check_text("note", body.note.as_deref())?;
    check_text("comment", body.comment.as_deref())?;
    if body.photo_ids.len() > MAX_STEP_PHOTOS {
        return Err(ApiError::invalid_field(
            "photo_ids",
            format!("expected at most {MAX_STEP_PHOTOS} photos, found {}", body.photo_ids.len()),
        ));
    }
    let position = check_position(body)?;
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
    let canonical = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(CheckedStep {
        action,
        position,
        new_deadline,
        request_sha256: hex::encode(Sha256::digest(&canonical)),
    })
}

/// The unit a step hands the case to, when it sets one.
pub(super) fn unit_set_by(step: &Step) -> Option<String> {
    match &step.handling_unit {
        Change::Set(unit) => Some(unit.clone()),
        _ => None,
    }
}

/// Refuses a step that hands the case to a unit that does not exist or is retired: nobody could
/// ever pick the case up, and it would sit dispatched until overdue. Read inside the step's
/// transaction, so a unit retired a moment ago is refused. The inner `Err` is the answer.
pub(super) fn check_active_unit(
    conn: &mut DbConnection,
    unit: Option<&str>,
) -> StoreResult<Result<(), ApiError>> {
    let Some(unit) = unit else { return Ok(Ok(())) };
    let (code, detail) = match units::find(conn, unit)? {
        Some(found) if found.is_active() => return Ok(Ok(())),
        Some(_) => (
            "unit_retired",
            format!("the handling unit {unit:?} is retired; GET /api/v1/units lists the active units"),
        ),
        None => (
            "unknown_unit",
            format!("no handling unit has the code {unit:?}; GET /api/v1/units lists the active units"),
        ),
    };
    Ok(Err(ApiError::new(ErrorKind::Unprocessable, code, detail).with_field("handling_unit")))
}

/// An on-site step (core's rule needs the actor's position: verification) is taken inside the
/// case's cell or within the routing tolerance of it, the same [`OnSite`] check the phone makes
/// first. A case in no cell (the city triage queue), or a cell this node's index does not hold
/// yet, has nothing to check against.
pub(super) fn check_on_site(
    step: &Step,
    position: Option<GeoPoint>,
    case: &cases::CaseRow,
    router: &GridRouter,
) -> ApiResult<()> {
    // A relocate's position is where the case goes, not where the actor stands.
    let on_site = step.transition.needs.position && step.place.is_none();
    let (true, Some(at), Some(cell)) = (on_site, position, case.grid_code) else {
        return Ok(());
    };
    let loaded = router.snapshot();
    let Some(index) = &loaded.index else { return Ok(()) };
    match OnSite::check(index, cell, at) {
        Some(OnSite::TooFar { distance_m, tolerance_m }) => Err(ApiError::new(
            ErrorKind::Unprocessable,
            "too_far_from_case",
            format!(
                "the position is {distance_m:.0} m from the case's cell; an on-site step is taken within {tolerance_m:.0} m of it"
            ),
        )
        .with_field("position")),
        _ => Ok(()),
    }
}

/// Checks what the step points at: the photos exist and are the caller's own, and a merge
/// target is another open case the caller may see. The inner `Err` is the answer to the client.
pub(super) fn check_references(
    conn: &mut DbConnection,
    who: &Principal,
    body: &ActionRequest,
    case_id: CaseId,
) -> StoreResult<Result<(), ApiError>> {
    if !body.photo_ids.is_empty() {
        let found = photos::find_many(conn, &body.photo_ids)?;
        let distinct = body.photo_ids.iter().collect::<BTreeSet<_>>().len();
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
        // The target is named by its id or its tracking number.
        let target_case = match crate::store::tracking::resolve(conn, target)? {
            Some(target) => cases::find_full(conn, target)?,
            None => None,
        };
        let usable = target_case.as_ref().is_some_and(|t| {
            t.row.id != case_id && in_scope(who, t) && state_of(t).is_ok_and(|s| s.counts_as_open())
        });
        if !usable {
            return Ok(Err(unusable_merge_target()));
        }
    }
    Ok(Ok(()))
}

/// The refusal of a `merge_into` that names no case, or one the merge may not link to.
pub(super) fn unusable_merge_target() -> ApiError {
    ApiError::invalid_field(
        "merge_into",
        "expected the id or tracking number of another open case in your area (not merged or rejected)",
    )
}

/// Refuses an `assign_verifier` naming an inspector the verification may not go to
/// ([`super::verifiers::check`]). The inner `Err` is the answer.
pub(super) fn check_verifier(
    conn: &mut DbConnection,
    step: &Step,
    case: &cases::CaseRow,
) -> StoreResult<Result<(), ApiError>> {
    match &step.verifier {
        Change::Set(id) => super::verifiers::check(conn, id, case),
        _ => Ok(Ok(())),
    }
}

/// The point a `relocate` names by its cell (`grid_code`) instead of a position: a point inside
/// that cell alone ([`gridline_core::grid::GridIndex::point_in_cell`]), so the step then routes
/// it exactly as a clicked point. `None` when the request names no cell.
pub(super) fn point_of_named_cell(
    router: &GridRouter,
    body: &ActionRequest,
    action: Action,
) -> ApiResult<Option<GeoPoint>> {
    let Some(text) = body.grid_code.as_deref() else { return Ok(None) };
    if action != Action::Relocate {
        return Err(ApiError::invalid_field(
            "grid_code",
            "only a relocate names a cell; leave grid_code out",
        ));
    }
    if body.position.is_some() {
        return Err(ApiError::invalid_field(
            "grid_code",
            "give the new place as a position or as a cell code, not both",
        ));
    }
    let code: GridCode = text.trim().parse().map_err(|_| {
        ApiError::invalid_field("grid_code", format!("expected a 15-digit grid cell code, found {text:?}"))
    })?;
    let loaded = router.snapshot();
    let point = loaded.index.as_ref().and_then(|index| index.point_in_cell(code));
    point.map(Some).ok_or_else(|| {
        ApiError::new(
            ErrorKind::Unprocessable,
            "unknown_cell",
            format!("the city's grid has no cell {code} to place the case in (GET /api/v1/dashboard/cells lists them)"),
        )
        .with_field("grid_code")
    })
}

/// The place a `relocate` gives a case at `point`: routed with this node's index, refused when
/// the point finds no cell either (a relocate exists to take a case out of triage).
pub(super) fn place_at(router: &GridRouter, point: GeoPoint) -> ApiResult<cases::PlaceChange> {
    let placement = router.place(point);
    if placement.grid.is_none() {
        return Err(ApiError::new(
            ErrorKind::Unprocessable,
            "no_cell_at_position",
            "the new position lies in no grid cell, nor within the routing tolerance of one; \
             choose a point inside the city's cells (GET /api/v1/grids/route shows where a point routes)",
        )
        .with_field("position"));
    }
    Ok(cases::PlaceChange {
        lat: point.lat(),
        lon: point.lon(),
        grid_code: placement.grid.map(|g| g.to_string()),
        community_code: placement.community,
        street_code: placement.street,
        district_code: placement.district,
        routing_outcome: placement.outcome.to_owned(),
        routing_distance_m: placement.distance_m,
    })
}
