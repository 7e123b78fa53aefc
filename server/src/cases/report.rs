//! [`file_report`]: a report becomes a case in state `reported`, for every way in
//! (`POST /api/v1/reports`, Open311).
//!
//! The `Idempotency-Key` is stored under a unique constraint: a retry, or a concurrent duplicate
//! that loses the race to insert, gets the first case back (`replayed`) instead of a second
//! case. The same key with a different body, or from another account, is refused (409
//! `idempotency_key_reused`). The report is routed with this node's grid index; a point outside
//! every cell (beyond the tolerance) goes to the city triage queue.

use chrono::{DateTime, Utc};
use gridline_core::calendar::TimeLimit;
use gridline_core::codes::CaseId;
use gridline_core::photo::DeviceFix;
use gridline_core::protocol::ReportRequest;
use gridline_core::taxonomy::Category;
use gridline_core::workflow::{CaseState, Channel, Urgency};

use super::events;
use super::report_checks::{self as checks, Checked};
use crate::app::AppState;
use crate::auth::Principal;
use crate::auth::throttle::{self, ThrottleRule};
use crate::error::{ApiError, ApiResult};
use crate::routing::Placement;
use crate::store::cases::{self, CaseRow, InsertOutcome};
use crate::store::categories::CategoryCache;
use crate::store::events::EventRow;
use crate::store::photos::PhotoRow;
use crate::store::{DbConnection, StoreResult, photos};

/// Tries at a fresh random tracking number when one collides.
const TRACKING_NUMBER_TRIES: usize = 4;

/// Who a report comes from: a signed-in account, or a system with no account of its own (an
/// Open311 client, `reporter_id: None`), which can then attach no uploaded photos; and the way
/// it came in, decided by the server from the route and the account, never by the client.
#[derive(Debug, Clone)]
pub struct Submitter {
    pub reporter_id: Option<String>,
    pub reporter_role: String,
    pub channel: Channel,
}

impl Submitter {
    /// An account filing through the reports API: from the app, or from the server's citizen
    /// web page (`through_web_page`); an inspector's report is `inspector` either way.
    pub fn account(who: &Principal, through_web_page: bool) -> Self {
        Self {
            reporter_id: Some(who.user_id.clone()),
            reporter_role: who.role.as_str().to_owned(),
            channel: Channel::of_account(who.role, through_web_page),
        }
    }
}

impl From<&Principal> for Submitter {
    fn from(who: &Principal) -> Self {
        Self::account(who, false)
    }
}

/// A report that went through intake: the new case, or the first one for a replayed key.
#[derive(Debug)]
pub struct Filed {
    pub case: Box<CaseRow>,
    pub replayed: bool,
}

/// A checked report, built into its case and first event, ready to store.
struct Prepared {
    case: CaseRow,
    photo_ids: Vec<String>,
    event: EventRow,
    /// The hourly-limit rule and account a hit was taken from for it, if one was.
    reserved: Option<(ThrottleRule, String)>,
}

/// What a door of the service that is not a person's may set on a report: a sensor alarm's
/// severity, or a hotline call's type and urgency, shorten the category's handling time limit
/// and give the case its urgency. A report from a person (the reports API, Open311) takes the
/// defaults: the category's limit, and `normal`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub time_limit: Option<TimeLimit>,
    pub urgency: Urgency,
}

/// The whole intake path (checks, routing, storage, idempotency, metrics) for a report whose
/// idempotency key is already known.
pub async fn file_report(
    state: &AppState,
    submitter: Submitter,
    idempotency_key: String,
    body: ReportRequest,
) -> ApiResult<Filed> {
    file_report_with(state, submitter, idempotency_key, body, Overrides::default()).await
}

/// [`file_report`], with what the caller's door sets instead of the category's defaults.
pub async fn file_report_with(
    state: &AppState,
    submitter: Submitter,
    idempotency_key: String,
    body: ReportRequest,
    overrides: Overrides,
) -> ApiResult<Filed> {
    let checked = checks::check_body(idempotency_key, &body)?;
    let placement = state.router.place(checked.point);
    // Emergency mode: the switch that is on here takes the report into its command queue.
    let command =
        super::command::catching(state, &placement, checked.category, body.drill, &submitter).await?;
    let limit = checks::intake_rule(state.config.settings.intake_per_account_per_hour);
    let (cache, who, now) = (state.categories.clone(), submitter.clone(), state.clock.now());
    let prepared = state
        .db
        .run(move |conn| {
            let case = match build_case(conn, &cache, &who, body, checked, placement, now, &overrides)? {
                Ok(built) => built,
                Err(refused) => return Ok(Err(refused)),
            };
            reserve(conn, case, &who, limit.as_ref(), now)
        })
        .await??;
    let mut filed = store_report(state, &submitter, prepared).await?;
    if let Some(emergency) = command
        && !filed.replayed
    {
        super::command::put_under_command(state, &mut filed, emergency).await;
    }
    let outcome = if filed.replayed { "replayed" } else { "created" };
    state.metrics.report_received(outcome);
    if !filed.replayed {
        state.metrics.routing_outcome(routing_metric(&filed.case.routing_outcome));
    }
    Ok(filed)
}

fn routing_metric(outcome: &str) -> &'static str {
    match outcome {
        "triage" => "triage",
        "nearest" => "nearest",
        _ => "inside",
    }
}

/// A report's category and the caller's photos it names, in the order given.
type CategoryAndPhotos = (std::sync::Arc<Category>, Vec<PhotoRow>);

/// The category and the caller's photos, in the order given. The inner `Err` is the answer.
fn category_and_photos(
    conn: &mut DbConnection,
    categories: &CategoryCache,
    who: &Submitter,
    body: &ReportRequest,
    checked: &Checked,
) -> StoreResult<Result<CategoryAndPhotos, ApiError>> {
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
    Ok(Ok((category, ordered)))
}

/// The new case and its first event. The inner `Err` is the answer to the client.
#[allow(clippy::too_many_arguments)]
fn build_case(
    conn: &mut DbConnection,
    categories: &CategoryCache,
    who: &Submitter,
    body: ReportRequest,
    checked: Checked,
    placement: Placement,
    now: DateTime<Utc>,
    overrides: &Overrides,
) -> StoreResult<Result<Prepared, ApiError>> {
    let (category, photos) = match category_and_photos(conn, categories, who, &body, &checked)? {
        Ok(found) => found,
        Err(refused) => return Ok(Err(refused)),
    };
    let device = DeviceFix {
        position: checked.point,
        time: checked.captured_at.unwrap_or_else(|| now.fixed_offset()),
    };
    let case = CaseRow {
        id: CaseId::minted_at(now),
        tracking_number: checks::tracking_number(now),
        idempotency_key: checked.key,
        request_sha256: checked.request_sha256,
        reporter_id: who.reporter_id.clone(),
        reporter_role: Some(who.reporter_role.clone()),
        anonymous: body.anonymous,
        category_code: checked.category,
        description: body.description.trim().to_owned(),
        lat: checked.point.lat(),
        lon: checked.point.lon(),
        accuracy_m: body.position.accuracy_m,
        submitted_crs: body.position.crs.clone().unwrap_or_else(|| "wgs84".to_owned()),
        captured_at: checked.captured_at.map(|t| t.naive_utc()),
        state: CaseState::Reported,
        grid_code: placement.grid,
        community_code: placement.community,
        street_code: placement.street,
        district_code: placement.district,
        routing_outcome: placement.outcome.to_owned(),
        routing_distance_m: placement.distance_m,
        geotag_verdict: checks::geotag_verdict(&photos, &device),
        answers: serde_json::to_string(&body.answers).unwrap_or_else(|_| "{}".to_owned()),
        handling_time_limit: Some(overrides.time_limit.unwrap_or(category.time_limit).to_string()),
        handling_unit: None,
        version: 1,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
        channel: who.channel,
        verifier_id: None,
        urgency: overrides.urgency,
    };
    let event = events::reported(&case, now);
    Ok(Ok(Prepared { case, photo_ids: checked.photo_ids, event, reserved: None }))
}

/// Last, once the report is known to be valid: a hit of a citizen account's hourly limit, taken
/// atomically so that a burst cannot slip past it. An account past its count is refused, unless
/// this is a retry of a report it already filed: a phone's outbox must always get its first
/// answer back.
fn reserve(
    conn: &mut DbConnection,
    mut prepared: Prepared,
    who: &Submitter,
    limit: Option<&ThrottleRule>,
    now: DateTime<Utc>,
) -> StoreResult<Result<Prepared, ApiError>> {
    let (Some(rule), Some(reporter)) = (limit, checks::limited_reporter(who)) else {
        return Ok(Ok(prepared));
    };
    match throttle::reserve(conn, rule, reporter, now.timestamp()) {
        Ok(()) => prepared.reserved = Some((*rule, reporter.to_owned())),
        Err(refused) => match cases::find_by_idempotency_key(conn, &prepared.case.idempotency_key)? {
            Some(existing)
                if existing.reporter_id == who.reporter_id
                    && existing.request_sha256 == prepared.case.request_sha256 => {}
            _ => return Ok(Err(ApiError::from(refused))),
        },
    }
    Ok(Ok(prepared))
}

/// Stores a prepared report through the node's intake writer (several reports share a commit
/// under load). A replay, or a report that could not be stored, gives back the hit it took of
/// the account's hourly limit.
async fn store_report(state: &AppState, who: &Submitter, prepared: Prepared) -> ApiResult<Filed> {
    let Prepared { case, photo_ids, event, reserved } = prepared;
    let outcome = insert_case(state, who, case, photo_ids, event).await;
    let counted = matches!(outcome, Ok(Filed { replayed: false, .. }));
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
    event: EventRow,
) -> ApiResult<Filed> {
    for _ in 0..TRACKING_NUMBER_TRIES {
        match state.db.insert_report(case.clone(), photo_ids.clone(), event.clone()).await? {
            InsertOutcome::Created => return Ok(Filed { case: Box::new(case), replayed: false }),
            InsertOutcome::Existing(existing) => {
                let same_caller = existing.reporter_id == who.reporter_id;
                if !same_caller || existing.request_sha256 != case.request_sha256 {
                    return Err(ApiError::conflict(
                        "idempotency_key_reused",
                        "this Idempotency-Key was already used for a different report",
                    )
                    .with_field("Idempotency-Key"));
                }
                return Ok(Filed { case: existing, replayed: true });
            }
            InsertOutcome::Collision => case.tracking_number = checks::tracking_number(state.clock.now()),
        }
    }
    Err(ApiError::internal("no free tracking number after several tries"))
}
