//! `POST /api/v1/reports`: a new report becomes a case in state `reported`.
//!
//! The `Idempotency-Key` header (a UUID) is stored under a unique constraint: a retry, or a
//! concurrent duplicate that loses the race to insert, gets the first case back (200 with
//! `Idempotent-Replayed: true`) instead of a second case. The same key with a different body,
//! or from another account, is refused (409). The report is routed with this node's grid
//! index; a point outside every cell (beyond the tolerance) goes to the city triage queue.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, Utc};
use gridline_core::codes::CategoryCode;
use gridline_core::photo::{CaptureMetadata, DeviceFix, GeoTagPolicy, GeoTagVerdict, check_geotag};
use gridline_core::workflow::{CaseState, Role};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ReportReceipt;
use crate::api::grids::wgs84_point;
use crate::api::idempotency::{self, IdempotencyKey};
use crate::app::AppState;
use crate::auth::Principal;
use crate::auth::throttle::{self, ThrottleRule};
use crate::error::{ApiError, ApiResult};
use crate::routing::Placement;
use crate::store::cases::{self, CaseRow, InsertOutcome, NewEvent};
use crate::store::categories::CategoryCache;
use crate::store::photos::PhotoRow;
use crate::store::{StoreResult, photos};

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Most photos on one report.
pub const MAX_PHOTOS: usize = 9;
/// Tries at a fresh random tracking number when one collides.
const TRACKING_NUMBER_TRIES: usize = 4;

/// The wire types are core's, shared with the phones' device core.
pub use gridline_core::protocol::{Position, ReportRequest};

/// The request after the checks that need no database.
struct Checked {
    key: String,
    request_sha256: String,
    category: CategoryCode,
    point: gridline_core::geo::GeoPoint,
    captured_at: Option<DateTime<FixedOffset>>,
    photo_ids: Vec<String>,
}

fn check(req: &HttpRequest, body: &ReportRequest) -> ApiResult<Checked> {
    let IdempotencyKey(key) = idempotency::require(req.headers())?;
    check_body(key, body)
}

/// The checks that need no database, once the idempotency key is known.
fn check_body(key: String, body: &ReportRequest) -> ApiResult<Checked> {
    let category = CategoryCode::parse(body.category.trim())
        .map_err(|e| ApiError::invalid_field("category", format!("expected a category code: {e}")))?;
    let description_chars = body.description.trim().chars().count();
    if description_chars == 0 || description_chars > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid_field(
            "description",
            format!("expected 1 to {MAX_DESCRIPTION_CHARS} characters, found {description_chars}"),
        ));
    }
    if !body.description.chars().any(is_visible) {
        return Err(ApiError::invalid_field("description", "expected at least one visible character"));
    }
    if body.description.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ApiError::invalid_field("description", "control characters are not allowed"));
    }
    let point = wgs84_point(body.position.lat, body.position.lon, body.position.crs.as_deref(), "position.")?;
    if let Some(accuracy) = body.position.accuracy_m
        && !(accuracy.is_finite() && accuracy >= 0.0)
    {
        return Err(ApiError::invalid_field(
            "position.accuracy_m",
            "expected a finite number of metres >= 0",
        ));
    }
    let captured_at = body
        .captured_at
        .as_deref()
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| ApiError::invalid_field("captured_at", "expected an RFC 3339 time"))
        })
        .transpose()?;
    if body.photo_ids.len() > MAX_PHOTOS {
        return Err(ApiError::invalid_field("photo_ids", format!("expected at most {MAX_PHOTOS} photos")));
    }
    let mut photo_ids = Vec::with_capacity(body.photo_ids.len());
    for (i, id) in body.photo_ids.iter().enumerate() {
        let parsed = Uuid::parse_str(id).map_err(|_| {
            ApiError::invalid_field(format!("photo_ids[{i}]"), "expected a photo id from POST /photos")
        })?;
        let id = parsed.to_string();
        if photo_ids.contains(&id) {
            return Err(ApiError::invalid_field(format!("photo_ids[{i}]"), "the same photo is listed twice"));
        }
        photo_ids.push(id);
    }
    let canonical = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(Checked {
        key,
        request_sha256: hex::encode(Sha256::digest(&canonical)),
        category,
        point,
        captured_at,
        photo_ids,
    })
}

/// Whether `c` shows on screen: not white space, not a control, and not one of the zero-width
/// and direction-format characters (which alone would make an empty-looking description).
fn is_visible(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'))
}

/// The per-account intake limit as a throttle rule: at most `per_hour` reports in an hour's
/// window (taken with [`throttle::reserve`]). `None` when the setting is 0.
fn intake_rule(per_hour: u32) -> Option<ThrottleRule> {
    (per_hour > 0).then(|| ThrottleRule {
        name: "intake-account",
        max_hits: i32::try_from(per_hour).unwrap_or(i32::MAX),
        window_seconds: 3600,
        base_lock_seconds: 600,
        max_lock_seconds: 3600,
    })
}

/// The strongest signal among the photos: too far, then too old, then consistent.
fn geotag_verdict(photos: &[PhotoRow], device: &DeviceFix) -> String {
    if photos.is_empty() {
        return "no_photo".to_owned();
    }
    let policy = GeoTagPolicy::default();
    let rank = |v: &GeoTagVerdict| match v {
        GeoTagVerdict::TooFar { .. } => 3,
        GeoTagVerdict::TooOld { .. } => 2,
        GeoTagVerdict::Consistent => 1,
        GeoTagVerdict::NoGeotag => 0,
    };
    let worst = photos
        .iter()
        .map(|p| {
            let metadata: CaptureMetadata = serde_json::from_str(&p.capture_metadata).unwrap_or_default();
            check_geotag(&metadata, device, &policy)
        })
        .max_by_key(rank)
        .unwrap_or(GeoTagVerdict::NoGeotag);
    match worst {
        GeoTagVerdict::TooFar { .. } => "too_far",
        GeoTagVerdict::TooOld { .. } => "too_old",
        GeoTagVerdict::Consistent => "consistent",
        GeoTagVerdict::NoGeotag => "no_geotag",
    }
    .to_owned()
}

/// A human tracking number: date and six random Crockford base-32 characters (no I, L, O, U),
/// e.g. `GL-261129-7KQ2MX`.
fn tracking_number(now: DateTime<Utc>) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let suffix: String = (0..6).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
    format!("GL-{}-{suffix}", now.format("%y%m%d"))
}

enum Outcome {
    Created(Box<CaseRow>),
    Replayed(Box<CaseRow>),
}

/// Who a report comes from: a signed-in account, or a system with no account of its own (an
/// Open311 client, `reporter_id: None`), which can then attach no uploaded photos.
#[derive(Debug, Clone)]
pub struct Submitter {
    pub reporter_id: Option<String>,
    pub reporter_role: String,
}

impl From<&Principal> for Submitter {
    fn from(who: &Principal) -> Self {
        Self { reporter_id: Some(who.user_id.clone()), reporter_role: who.role.as_str().to_owned() }
    }
}

/// A report that went through intake: the new case, or the first one for a replayed key.
#[derive(Debug)]
pub struct Submitted {
    pub case: Box<CaseRow>,
    pub replayed: bool,
}

/// The whole intake path (checks, routing, storage, idempotency, metrics) for a report whose
/// idempotency key is already known. Every way in (`POST /api/v1/reports`, Open311) goes here.
pub async fn submit(
    state: &AppState,
    submitter: Submitter,
    idempotency_key: String,
    body: ReportRequest,
) -> ApiResult<Submitted> {
    let checked = check_body(idempotency_key, &body)?;
    finish(state, submitter, body, checked).await
}

async fn finish(
    state: &AppState,
    submitter: Submitter,
    body: ReportRequest,
    checked: Checked,
) -> ApiResult<Submitted> {
    let placement = state.router.place(checked.point);
    let limit = intake_rule(state.config.settings.intake_per_account_per_hour);
    let cache = state.categories.clone();
    let who = submitter.clone();
    let prepared = state
        .db
        .run(move |conn| prepare_report(conn, &cache, &who, body, checked, placement, limit.as_ref()))
        .await??;
    let outcome = store_report(state, &submitter, prepared).await?;
    Ok(match outcome {
        Outcome::Created(case) => {
            state.metrics.report_received("created");
            state.metrics.routing_outcome(routing_metric(&case.routing_outcome));
            Submitted { case, replayed: false }
        }
        Outcome::Replayed(case) => {
            state.metrics.report_received("replayed");
            Submitted { case, replayed: true }
        }
    })
}

/// Stores a prepared report through the node's intake writer (several reports share a commit
/// under load). A replay, or a report that could not be stored, gives back the hit it took of
/// the account's hourly limit.
async fn store_report(state: &AppState, who: &Submitter, prepared: Prepared) -> ApiResult<Outcome> {
    let Prepared { case, photo_ids, event, reserved } = prepared;
    let outcome = insert_case(state, who, case, photo_ids, event).await;
    let counted = matches!(outcome, Ok(Outcome::Created(_)));
    if let Some((rule, reporter)) = reserved
        && !counted
    {
        let given_back = state.db.run(move |conn| Ok(throttle::release(conn, &rule, &reporter))).await;
        if let Err(e) = given_back.map_err(ApiError::from).and_then(|r| r.map_err(ApiError::from)) {
            // Errs on the strict side: the account has one report fewer this hour.
            tracing::warn!(error = %e, "intake throttle hit not given back");
        }
    }
    outcome
}

/// The insert itself, with a fresh tracking number when one collides.
async fn insert_case(
    state: &AppState,
    who: &Submitter,
    mut case: CaseRow,
    photo_ids: Vec<String>,
    event: NewEvent,
) -> ApiResult<Outcome> {
    for _ in 0..TRACKING_NUMBER_TRIES {
        match state.db.insert_report(case.clone(), photo_ids.clone(), event.clone()).await? {
            InsertOutcome::Created => return Ok(Outcome::Created(Box::new(case))),
            InsertOutcome::Existing(existing) => {
                let same_caller = existing.reporter_id == who.reporter_id;
                if !same_caller || existing.request_sha256 != case.request_sha256 {
                    return Err(ApiError::conflict(
                        "idempotency_key_reused",
                        "this Idempotency-Key was already used for a different report",
                    )
                    .with_field("Idempotency-Key"));
                }
                return Ok(Outcome::Replayed(existing));
            }
            InsertOutcome::Collision => case.tracking_number = tracking_number(Utc::now()),
        }
    }
    Err(ApiError::internal("no free tracking number after several tries"))
}

/// The citizen account a report counts against, when the hourly limit applies to it.
fn limited_reporter(who: &Submitter) -> Option<&str> {
    who.reporter_id.as_deref().filter(|_| who.reporter_role == Role::Citizen.as_str())
}

pub async fn intake(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: web::Json<ReportRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let checked = check(&req, &body)?;
    let Submitted { case, replayed } = finish(&state, Submitter::from(&who), body, checked).await?;
    let status =
        if replayed { actix_web::http::StatusCode::OK } else { actix_web::http::StatusCode::CREATED };
    let mut response = HttpResponse::build(status);
    if replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    response.insert_header(("location", format!("/api/v1/cases/{}", case.id)));
    Ok(response.json(ReportReceipt::from(&*case)))
}

fn routing_metric(outcome: &str) -> &'static str {
    match outcome {
        "triage" => "triage",
        "nearest" => "nearest",
        _ => "inside",
    }
}

/// A checked report, built into its case and first event, ready to store.
struct Prepared {
    case: CaseRow,
    photo_ids: Vec<String>,
    event: NewEvent,
    /// The hourly-limit rule and account a hit was taken from for it, if one was.
    reserved: Option<(ThrottleRule, String)>,
}

/// The reads a report needs before it is stored (category, photos, hourly limit), in one
/// blocking call. The inner `Result` is the answer to the client; the outer one a store failure.
fn prepare_report(
    conn: &mut crate::store::DbConnection,
    categories: &CategoryCache,
    who: &Submitter,
    body: ReportRequest,
    checked: Checked,
    placement: Placement,
    limit: Option<&ThrottleRule>,
) -> StoreResult<Result<Prepared, ApiError>> {
    let Some(category) = categories.find(conn, checked.category)? else {
        return Ok(Err(ApiError::invalid_field("category", "no such category")));
    };
    if body.anonymous && !category.anonymous_allowed {
        return Ok(Err(ApiError::invalid_field(
            "anonymous",
            "this category does not accept anonymous reports",
        )));
    }
    if let Err(e) = category.check_answers(&body.answers) {
        return Ok(Err(ApiError::invalid_field(format!("answers.{}", e.question), e.reason)));
    }
    let found =
        if checked.photo_ids.is_empty() { Vec::new() } else { photos::find_many(conn, &checked.photo_ids)? };
    let mut ordered = Vec::with_capacity(checked.photo_ids.len());
    for (i, id) in checked.photo_ids.iter().enumerate() {
        match found.iter().find(|p| &p.id == id) {
            Some(photo) if who.reporter_id.is_some() && photo.uploader_id == who.reporter_id => {
                ordered.push(photo.clone())
            }
            _ => {
                return Ok(Err(ApiError::invalid_field(format!("photo_ids[{i}]"), "no such photo of yours")));
            }
        }
    }
    let now = Utc::now();
    let device = DeviceFix {
        position: checked.point,
        time: checked.captured_at.unwrap_or_else(|| now.fixed_offset()),
    };
    let id = Uuid::now_v7().to_string();
    let case = CaseRow {
        id: id.clone(),
        tracking_number: tracking_number(now),
        idempotency_key: checked.key,
        request_sha256: checked.request_sha256,
        reporter_id: who.reporter_id.clone(),
        reporter_role: Some(who.reporter_role.clone()),
        anonymous: body.anonymous,
        category_code: checked.category.to_string(),
        description: body.description.trim().to_owned(),
        lat: checked.point.lat(),
        lon: checked.point.lon(),
        accuracy_m: body.position.accuracy_m,
        submitted_crs: body.position.crs.clone().unwrap_or_else(|| "wgs84".to_owned()),
        captured_at: checked.captured_at.map(|t| t.naive_utc()),
        state: CaseState::Reported.as_str().to_owned(),
        grid_code: placement.grid,
        community_code: placement.community,
        street_code: placement.street,
        district_code: placement.district,
        routing_outcome: placement.outcome.to_owned(),
        routing_distance_m: placement.distance_m,
        geotag_verdict: geotag_verdict(&ordered, &device),
        answers: serde_json::to_string(&body.answers).unwrap_or_else(|_| "{}".to_owned()),
        handling_time_limit: Some(category.time_limit.to_string()),
        handling_unit: None,
        version: 1,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    let event = NewEvent {
        id: Uuid::now_v7().to_string(),
        case_id: id,
        kind: "reported".to_owned(),
        from_state: None,
        to_state: CaseState::Reported.as_str().to_owned(),
        actor_id: who.reporter_id.clone(),
        actor_role: Some(who.reporter_role.clone()),
        note: None,
        lat: Some(case.lat),
        lon: Some(case.lon),
        occurred_at: now.naive_utc(),
    };
    // Last, once the report is known to be valid: a hit of a citizen account's hourly limit,
    // taken atomically so that a burst cannot slip past it. An account past its count is
    // refused, unless this is a retry of a report it already filed: a phone's outbox must
    // always get its first answer back.
    let mut reserved = None;
    if let (Some(rule), Some(reporter)) = (limit, limited_reporter(who)) {
        match throttle::reserve(conn, rule, reporter, now.timestamp()) {
            Ok(()) => reserved = Some((*rule, reporter.to_owned())),
            Err(refused) => match cases::find_by_idempotency_key(conn, &case.idempotency_key)? {
                Some(existing)
                    if existing.reporter_id == who.reporter_id
                        && existing.request_sha256 == case.request_sha256 => {}
                _ => return Ok(Err(ApiError::from(refused))),
            },
        }
    }
    Ok(Ok(Prepared { case, photo_ids: checked.photo_ids, event, reserved }))
}
