//! [`take_step`]: one workflow step on a case, for every way in (the HTTP action route, and
//! any job or tool that acts for a person).
//!
//! The order of the checks is the contract the handlers document:
//! 1. the request's own fields (no database);
//! 2. the case exists, and the caller's scope holds it, for a first request and for a replay
//!    alike (a handler whose case went to another unit cannot replay their old key);
//! 3. a replayed `Idempotency-Key` must come from the same account with the same body, or it is
//!    refused (`idempotency_key_reused`); a true replay is answered with the case as it is;
//! 4. the expected version (`If-Match`), then core's `take`, which decides the whole step;
//! 5. in one transaction: what the step points at (photos, merge target), what it sets that core
//!    cannot know (a handling unit must be an active unit), then the step's changes applied
//!    under the version guard and its event recorded; a `relocate` also moves the case to the
//!    cell its new position routes to (refused first when it routes to none), with its
//!    per-day summaries.

use gridline_core::codes::CaseId;
use gridline_core::protocol::ActionRequest;
use gridline_core::workflow::{self, DeadlineChange, Refusal, Step};

use super::events::{self, StepEvidence};
use super::facts::{facts_for, in_scope, state_of};
use super::step_checks::{self, CheckedStep};
use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorKind};
use crate::store::cases::{self, CaseChange, CaseRow, FullCase, PlaceChange, StepOutcome};
use crate::store::events::{self as event_store, EventRow};
use crate::store::{DbConnection, StoreError, StoreResult, tracking};

/// One step as asked: the case named by the caller, the version they saw (`If-Match`), the
/// outbox's idempotency key, and the body.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub case_id: String,
    pub expected_version: Option<i32>,
    pub idempotency_key: Option<String>,
    pub body: ActionRequest,
}

/// A recorded (or replayed) step: the case as it now stands, with its photos.
#[derive(Debug)]
pub struct Stepped {
    pub case: Box<FullCase>,
    pub photo_ids: Vec<String>,
    pub replayed: bool,
}

/// Why a step was not recorded.
#[derive(Debug)]
pub enum StepError {
    /// A plain problem: bad input, no such case, out of scope, a reused key, a store failure.
    Problem(ApiError),
    /// Core refused the step; the case as it stands is given for the answer.
    Refused { refusal: Refusal, case: Box<FullCase> },
    /// The case is no longer at the version the caller expected.
    Stale { detail: &'static str, case: Box<FullCase> },
}

impl From<ApiError> for StepError {
    fn from(error: ApiError) -> Self {
        StepError::Problem(error)
    }
}

impl From<StoreError> for StepError {
    fn from(error: StoreError) -> Self {
        StepError::Problem(error.into())
    }
}

/// What the step needs from the database, read in one trip before the decision.
struct Loaded {
    case: Box<FullCase>,
    /// The event this request's idempotency key already recorded on the case.
    previous: Option<EventRow>,
    extensions: u32,
    /// The id of the case `merge_into` names (by id or tracking number), when it names one.
    merge_target: Option<CaseId>,
    /// The emergency command terms of the case, with its switch's state (平战转换).
    command: Option<(crate::store::emergencies::EmergencyCaseRow, String)>,
    /// The units on joint duty of that switch, for the default helpers of a dispatch.
    duty: Option<gridline_core::emergency::JointDuty>,
    /// The parts, disputes and bounces core's joint rules read.
    joint: crate::store::joint::JointRecord,
}

/// Takes one step on a case for `who`; see the module's doc for the order of the checks.
pub async fn take_step(
    state: &AppState,
    who: &Principal,
    request: StepRequest,
) -> Result<Stepped, StepError> {
    let mut request = request;
    let checked = checked_request(state, &request.body)?;
    let loaded = load_in_scope(state, who, &mut request).await?;
    if let Some(previous) = &loaded.previous {
        check_replay(who, previous, &checked)?;
        let photo_ids = case_photos(state, loaded.case.row.id).await?;
        return Ok(Stepped { case: loaded.case, photo_ids, replayed: true });
    }
    if request.expected_version.is_some_and(|expected| expected != loaded.case.row.version) {
        let detail = "the case has changed since the version in If-Match; read it again and retry";
        return Err(StepError::Stale { detail, case: loaded.case });
    }
    let now = state.clock.now();
    let step = match decide(state, who, &loaded, &checked, &request.body, now)? {
        Ok(step) => step,
        Err(refusal) => return Err(StepError::Refused { refusal, case: loaded.case }),
    };
    step_checks::check_on_site(&step, checked.position, &loaded.case.row, &state.router)?;
    let (event, place) = step_event(state, who, &loaded.case, &step, &checked, &request, now)?;
    record(state, who, loaded.case, &step, event, request.body, place).await
}

/// The request's own fields, with the position of a named cell filled in (no database).
fn checked_request(state: &AppState, body: &ActionRequest) -> Result<CheckedStep, ApiError> {
    let mut checked = step_checks::check(body)?;
    if let Some(point) = step_checks::point_of_named_cell(&state.router, body, checked.action)? {
        checked.position = Some(point);
    }
    Ok(checked)
}

/// What the step needs, for a case that exists and that `who`'s scope holds. A merge target
/// named by its tracking number is replaced in the request by its id, which core links to.
async fn load_in_scope(
    state: &AppState,
    who: &Principal,
    request: &mut StepRequest,
) -> Result<Loaded, StepError> {
    let named = request.case_id.clone();
    let key = request.idempotency_key.clone();
    let merge_into = request.body.merge_into.clone();
    let loaded = state.db.run(move |conn| load(conn, &named, key.as_deref(), merge_into.as_deref())).await?;
    let loaded = loaded.ok_or_else(|| ApiError::not_found("case"))?;
    if !in_scope(who, &loaded.case) {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "out_of_scope",
            "this case is outside the area or unit your account covers",
        )
        .into());
    }
    match loaded.merge_target {
        Some(target) => request.body.merge_into = Some(target.to_string()),
        // Named, but by nothing that is a case: refused here, since core only sees a found one.
        None if request.body.merge_into.as_deref().is_some_and(|t| !t.trim().is_empty()) => {
            return Err(step_checks::unusable_merge_target().into());
        }
        None => {}
    }
    Ok(loaded)
}

/// Core's decision on the step from the case's facts at `now`: its emergency terms, its joint
/// record and, for a dispatch, the helpers the joint duty adds.
fn decide(
    state: &AppState,
    who: &Principal,
    loaded: &Loaded,
    checked: &CheckedStep,
    body: &ActionRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<Result<Step, Refusal>> {
    let mut facts = facts_for(&loaded.case, Some(&who.user_id), now, loaded.extensions)?;
    facts.callback_rework = state.config.settings.callback_rework;
    let terms = loaded.command.as_ref().map(|(terms, on)| (terms, on.as_str()));
    super::command::apply_terms(&mut facts, terms);
    super::joint::fill_facts(&mut facts, &loaded.joint, &state.calendar);
    let helpers = gridline_core::emergency::dispatch_helpers(
        checked.action,
        body.helpers.as_deref(),
        loaded.duty.as_ref(),
        &facts,
        body.handling_unit.as_deref(),
    );
    let provided = checked.provided(body, loaded.merge_target, &helpers);
    let from = state_of(&loaded.case)?;
    Ok(workflow::take(from, checked.action, who.role, &provided, &facts, &state.calendar))
}

/// The step's event and, for a step that moves the case, the place its new position routes to
/// (refused when it routes to none), written into the event.
fn step_event(
    state: &AppState,
    who: &Principal,
    case: &FullCase,
    step: &Step,
    checked: &CheckedStep,
    request: &StepRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(EventRow, Option<PlaceChange>), ApiError> {
    let mut event = events::step(case, step, evidence(who, checked, request), now);
    let place = match step.place {
        Some(point) => {
            let place = step_checks::place_at(&state.router, point)?;
            events::relocated(&mut event, &case.row, &place);
            Some(place)
        }
        None => None,
    };
    Ok((event, place))
}

/// `named` and `merge_into` are case ids or tracking numbers.
fn load(
    conn: &mut DbConnection,
    named: &str,
    key: Option<&str>,
    merge_into: Option<&str>,
) -> StoreResult<Option<Loaded>> {
    let Some(id) = tracking::resolve(conn, named)? else { return Ok(None) };
    let Some(case) = cases::find_full(conn, id)? else { return Ok(None) };
    let previous = match key {
        Some(key) => event_store::find_by_key(conn, id, key)?,
        None => None,
    };
    let extensions = event_store::count_of_kind(conn, id, workflow::Action::Extend.as_str())?;
    let command = super::command::command_facts(conn, id)?;
    let duty = match &command {
        Some((terms, _)) => super::command::joint_duty(conn, terms)?,
        None => None,
    };
    Ok(Some(Loaded {
        case: Box::new(case),
        previous,
        extensions: u32::try_from(extensions).unwrap_or(u32::MAX),
        merge_target: match merge_into.filter(|t| !t.trim().is_empty()) {
            Some(target) => tracking::resolve(conn, target)?,
            None => None,
        },
        command,
        duty,
        joint: crate::store::joint::facts_of(conn, id)?,
    }))
}

/// A replay is answered only for the same account with the same body; anything else reusing
/// the key is refused, so a key cannot be used to read a case or to pass off another step.
fn check_replay(who: &Principal, previous: &EventRow, checked: &CheckedStep) -> Result<(), ApiError> {
    let same_actor = previous.actor_id.as_deref() == Some(who.user_id.as_str());
    // Steps recorded before fingerprints were kept have none: the account alone decides.
    let same_body = previous.request_sha256.as_deref().is_none_or(|sha| sha == checked.request_sha256);
    if same_actor && same_body {
        return Ok(());
    }
    Err(ApiError::conflict(
        "idempotency_key_reused",
        "this Idempotency-Key was already used for a different step on this case",
    )
    .with_field("Idempotency-Key"))
}

fn evidence(who: &Principal, checked: &CheckedStep, request: &StepRequest) -> StepEvidence {
    let body = &request.body;
    StepEvidence {
        actor_id: who.user_id.clone(),
        actor_role: who.role,
        note: body.note.clone(),
        reason: body.reason.clone(),
        position: checked.position,
        accuracy_m: body.position.as_ref().and_then(|p| p.accuracy_m),
        photo_ids: body.photo_ids.clone(),
        comment: body.comment.clone(),
        idempotency_key: request.idempotency_key.clone(),
        request_sha256: checked.request_sha256.clone(),
    }
}

/// The case columns `step` changes, recorded at `at`: exactly what core decided.
pub(super) fn change_of(step: &Step, at: chrono::NaiveDateTime) -> CaseChange {
    CaseChange {
        state: Some(step.to().as_str().to_owned()),
        handling_unit: step.handling_unit.clone().into_update(),
        deadline: match &step.deadline {
            DeadlineChange::Keep => None,
            DeadlineChange::Set { due, .. } => Some(Some(due.naive_utc())),
            DeadlineChange::Clear => Some(None),
        },
        overdue: step.overdue,
        merged_into: step.merged_into.clone().into_update().map(|link| link.map(|id| id.to_string())),
        rating: step.rating.map(|r| Some(i32::from(r))),
        confirm_requested_at: step.confirm_request.map(|open| open.then_some(at)),
        called_back_at: step.called_back.map(|made| made.then_some(at)),
        verifier_id: step.verifier.clone().into_update(),
    }
}

async fn case_photos(state: &AppState, id: CaseId) -> Result<Vec<String>, StepError> {
    Ok(state.db.run(move |conn| cases::photo_ids(conn, id)).await?)
}

/// Checks what the step points at, then applies its changes and records its event in one
/// transaction, guarded by the version the decision was made on.
async fn record(
    state: &AppState,
    who: &Principal,
    case: Box<FullCase>,
    step: &Step,
    mut event: EventRow,
    body: ActionRequest,
    place: Option<PlaceChange>,
) -> Result<Stepped, StepError> {
    let change = change_of(step, event.occurred_at);
    let (who, step, row) = (who.clone(), step.clone(), case.row.clone());
    let written = state
        .db
        .run(move |conn| {
            if let Err(refused) = check_targets(conn, &who, &body, &step, &row)? {
                return Ok(Err(refused));
            }
            let outcome = apply(conn, &row, &change, &mut event, place.as_ref())?;
            Ok(Ok((outcome, cases::find_full(conn, row.id)?, cases::photo_ids(conn, row.id)?)))
        })
        .await;
    let (outcome, fresh, photo_ids) = match written {
        Ok(Ok(done)) => done,
        Ok(Err(refused)) => return Err(refused.into()),
        Err(StoreError::Query(e)) if crate::store::is_unique_violation(&e) => {
            // The same Idempotency-Key raced itself: the other request recorded the step.
            return Err(
                ApiError::conflict("duplicate_request", "this request is already being recorded").into()
            );
        }
        Err(e) => return Err(e.into()),
    };
    let case = Box::new(fresh.ok_or_else(|| ApiError::not_found("case"))?);
    match outcome {
        StepOutcome::Recorded { .. } => Ok(Stepped { case, photo_ids, replayed: false }),
        StepOutcome::Stale => Err(StepError::Stale {
            detail: "the case changed while this step was being recorded; read it again and retry",
            case,
        }),
    }
}

/// What the step points at (the caller's photos, the merge target) and what it sets that core
/// cannot know (an active handling unit, active helper units, the verifier), in the step's
/// transaction.
fn check_targets(
    conn: &mut DbConnection,
    who: &Principal,
    body: &ActionRequest,
    step: &Step,
    row: &CaseRow,
) -> StoreResult<Result<(), ApiError>> {
    if let Err(refused) = step_checks::check_references(conn, who, body, row.id)? {
        return Ok(Err(refused));
    }
    if let Err(refused) = step_checks::check_active_unit(conn, step_checks::unit_set_by(step).as_deref())? {
        return Ok(Err(refused));
    }
    if let Err(refused) = super::joint::check_helper_units(conn, step)? {
        return Ok(Err(refused));
    }
    step_checks::check_verifier(conn, step, row)
}

/// The step's changes and its event under the version guard; a step that moves the case also
/// moves it to its new place, with its summaries, all or nothing.
fn apply(
    conn: &mut DbConnection,
    row: &CaseRow,
    change: &CaseChange,
    event: &mut EventRow,
    place: Option<&PlaceChange>,
) -> StoreResult<StepOutcome> {
    let Some(place) = place else { return cases::record_step(conn, row.id, row.version, change, event) };
    crate::store::write_transaction(conn, |conn| {
        let outcome = cases::record_step(conn, row.id, row.version, change, event)?;
        if matches!(outcome, StepOutcome::Recorded { .. }) {
            cases::move_to(conn, row.id, place)?;
        }
        Ok::<_, StoreError>(outcome)
    })
}
