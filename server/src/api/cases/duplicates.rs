//! `GET /api/v1/cases/{id}/duplicates?window_days=&limit=`: open cases that may report the same
//! problem as this one, nearest first, for the street office deciding whether to `merge`.
//!
//! A candidate has the case's category, is open (not closed, rejected or merged), was reported
//! within the last `window_days` (default 7, at most 90) and lies within the category's
//! duplicate radius (`duplicate_radius_m` in the taxonomy) of the case. Each comes with its
//! distance in metres.
//!
//! Who may ask: dispatchers and admins whose scope holds the case, and they see only the
//! candidates their scope holds too (a merge target must be in their area); the case's own
//! reporter, who sees the public facts of every candidate (its tracking number, never its id)
//! with only a coarse distance band ([`PUBLIC_DISTANCE_BANDS_M`]): exact distances from a few
//! probe reports would place an anonymous reporter within metres. Anyone else: 403.
//!
//! This is also the duplicate check at intake: every new report starts `reported`, and the
//! street office triages it with this list before registering it; the reporter can call it on
//! the report just sent, to see whether the problem is already being handled.

use actix_web::{HttpResponse, web};
use gridline_core::codes::{CategoryCode, GridCode};
use gridline_core::geo::GeoPoint;
use gridline_core::taxonomy::DEFAULT_DUPLICATE_RADIUS_M;
use gridline_core::workflow::{CaseState, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::actions::in_scope;
use super::load_case;
use crate::api::reports::rfc3339;
use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::store::cases::FullCase;
use crate::store::categories;
use crate::store::duplicates::{self, Around};

pub(crate) const DEFAULT_WINDOW_DAYS: i64 = 7;
const MAX_WINDOW_DAYS: i64 = 90;
pub(crate) const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
/// The reporter sees a candidate's distance only as the first of these bounds it is within
/// (or the category's radius, beyond the last): three probe reports and their bands then
/// place a case no better than the public view's 100 m does.
const PUBLIC_DISTANCE_BANDS_M: &[f64] = &[50.0, 100.0, 250.0, 500.0, 1000.0];

/// States a case can no longer be a merge target or a live duplicate in.
const FINISHED: &[CaseState] = &[CaseState::Closed, CaseState::Rejected, CaseState::Merged];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesQuery {
    window_days: Option<i64>,
    limit: Option<usize>,
}

/// The states a live duplicate may be in (also for the citizen's check before sending).
pub(crate) fn open_states() -> Vec<&'static str> {
    CaseState::ALL.iter().filter(|s| !FINISHED.contains(s)).map(|s| s.as_str()).collect()
}

/// `GET /api/v1/cases/{id}/duplicates` (`Duplicates` in the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Duplicates)]
pub struct DuplicateList {
    pub case_id: String,
    #[schema(value_type = String)]
    pub category: CategoryCode,
    /// The category's duplicate radius
    pub radius_m: f64,
    pub window_days: i64,
    #[schema(format = DateTime)]
    pub since: String,
    pub duplicates: Vec<DuplicateCandidate>,
}

/// One candidate, as the staff or a citizen sees it: the fields marked "staff only" are left
/// out for a citizen, who gets `distance_band_m` instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateCandidate {
    /// Staff only
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub tracking_number: String,
    #[schema(value_type = String)]
    pub category: CategoryCode,
    pub state: CaseState,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub deadline: Option<String>,
    pub overdue: bool,
    /// Staff only: metres from the case, to 0.1 m
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// The citizen only: the candidate is at most this far (50, 100, 250, 500 or 1000 m, or
    /// the category's radius)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_band_m: Option<f64>,
    /// Staff: the report's words. A citizen of `GET /api/v1/public/nearby`: its words once
    /// reviewed, else null. Left out of the reporter's duplicate list.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// Staff only
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub grid: Option<Option<GridCode>>,
    /// Staff only
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub handling_unit: Option<Option<String>>,
    /// Staff only
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<CandidatePosition>,
    /// Staff only
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// A candidate's exact position (WGS-84), for the staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidatePosition {
    pub lat: f64,
    pub lon: f64,
}

/// One candidate as `staff` or as a citizen sees it (the public facts, a distance band).
pub(crate) fn item(candidate: &FullCase, distance_m: f64, radius_m: f64, staff: bool) -> DuplicateCandidate {
    let case = &candidate.row;
    let band = || {
        let band =
            PUBLIC_DISTANCE_BANDS_M.iter().copied().find(|bound| distance_m <= *bound && *bound <= radius_m);
        band.unwrap_or(radius_m)
    };
    DuplicateCandidate {
        id: staff.then(|| case.id.to_string()),
        tracking_number: case.tracking_number.clone(),
        category: case.category_code,
        state: case.state,
        created_at: rfc3339(case.created_at),
        deadline: candidate.workflow.deadline.map(rfc3339),
        overdue: candidate.workflow.overdue,
        distance_m: staff.then(|| (distance_m * 10.0).round() / 10.0),
        distance_band_m: (!staff).then(band),
        description: staff.then(|| Some(case.description.clone())),
        grid: staff.then_some(case.grid_code),
        handling_unit: staff.then(|| case.handling_unit.clone()),
        position: staff.then_some(CandidatePosition { lat: case.lat, lon: case.lon }),
        version: staff.then_some(case.version),
    }
}

pub async fn duplicates(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    query: web::Query<DuplicatesQuery>,
) -> ApiResult<HttpResponse> {
    let window_days = query.window_days.unwrap_or(DEFAULT_WINDOW_DAYS);
    if !(1..=MAX_WINDOW_DAYS).contains(&window_days) {
        return Err(ApiError::invalid_field("window_days", format!("expected 1..={MAX_WINDOW_DAYS}")));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("expected 1..={MAX_LIMIT}")));
    }
    let (case, radius_m) = load_case(&state, &id, |conn, id| {
        let code = crate::store::cases::find(conn, id)?.map(|c| c.category_code);
        let category = match code {
            Some(code) => categories::find(conn, code)?,
            None => None,
        };
        Ok(category.map_or(f64::from(DEFAULT_DUPLICATE_RADIUS_M), |c| f64::from(c.duplicate_radius_m)))
    })
    .await?;
    let reporter = case.row.reporter_id.as_deref() == Some(who.user_id.as_str());
    let staff =
        matches!(who.role, Role::Dispatcher | Role::Admin | Role::DistrictAdmin) && in_scope(&who, &case);
    if !staff && !reporter {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "out_of_scope",
            "duplicates are listed for the street office holding the case and for its reporter",
        ));
    }

    let since = state.clock.now() - chrono::Duration::days(window_days);
    let origin = GeoPoint::new(case.row.lat, case.row.lon)
        .map_err(|e| ApiError::internal(crate::store::StoreError::Corrupt(format!("case position: {e}"))))?;
    let (exclude_id, category) = (case.row.id.to_string(), case.row.category_code.to_string());
    let found = state
        .db
        .run(move |conn| {
            let states = open_states();
            duplicates::in_box(
                conn,
                &Around {
                    exclude_id: &exclude_id,
                    category: &category,
                    lat: origin.lat(),
                    lon: origin.lon(),
                    radius_m,
                    states: &states,
                    since: since.naive_utc(),
                },
            )
        })
        .await?;
    let mut near: Vec<(f64, FullCase)> = found
        .into_iter()
        .filter(|c| !staff || in_scope(&who, c))
        .filter_map(|c| {
            let distance = GeoPoint::new(c.row.lat, c.row.lon).ok()?.distance_m(&origin);
            (distance <= radius_m).then_some((distance, c))
        })
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.row.created_at.cmp(&a.1.row.created_at)));
    near.truncate(limit);
    let duplicates = near.iter().map(|(d, c)| item(c, *d, radius_m, staff)).collect();
    Ok(HttpResponse::Ok().json(DuplicateList {
        case_id: case.row.id.to_string(),
        category: case.row.category_code,
        radius_m,
        window_days,
        since: rfc3339(since.naive_utc()),
        duplicates,
    }))
}
