//! Joint handling (主办/协办) and disputed assignments (派单异议) in the case service.
//!
//! Core decides every rule ([`gridline_core::workflow::parts`], [`gridline_core::workflow::dispute`]);
//! this module gathers the facts they read, writes what they decide into the step's event, and
//! takes the part steps:
//!
//! - [`fill_facts`]: the open parts, the dispute window, the pending dispute, the bounces and the
//!   district flag, added to a case step's [`CaseFacts`] (the dispatch, the dispute and its
//!   decision, `mark_handled` are case steps of [`super::take_step`]).
//! - [`step_details`]: what the case step set for the parts and the dispute, in its event; the
//!   store follows the event ([`crate::store::joint::follow`]) in its transaction.
//! - [`take_part_step`]: one step on a helper part, under the case's version (`If-Match`), with
//!   its event `part_<action>` in the case's audit trail.
//! - [`joint_view`]: the parts, disputes and flags of a case with the steps its reader may take.
//! - [`sweep`]: the overdue job's part: open parts past their deadline are marked overdue and
//!   escalated, undecided disputes past the arbiter's deadline go to the district.

use chrono::{DateTime, Utc};
use gridline_core::calendar::WorkingCalendar;
use gridline_core::codes::CaseId;
use gridline_core::protocol::ActionRequest;
use gridline_core::protocol::joint::{DisputeView, PartActionNeeds, PartActionRequest, PartView};
use gridline_core::workflow::dispute::{DisputeChange, DisputeFacts, DisputeRecord};
use gridline_core::workflow::parts::{
    PartAction, PartActor, PartFacts, PartProvided, PartRefusal, PartStep, available_part_actions, take_part,
};
use gridline_core::workflow::{self, Action, CaseFacts, Change, Role, Step};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::events;
use super::facts::{facts_for, in_scope, state_of};
use crate::app::AppState;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{ApiError, ErrorKind};
use crate::store::cases::{self, CaseChange, FullCase, StepOutcome};
use crate::store::events::EventRow;
use crate::store::joint::{self as store, DisputeRow, JointRecord, PartRow};
use crate::store::{DbConnection, StoreError, StoreResult};

/// Adds what core's joint and dispute rules read to `facts`.
pub fn fill_facts(facts: &mut CaseFacts, record: &JointRecord, calendar: &WorkingCalendar) {
    facts.open_helper_parts = record.open_parts;
    let dispute = DisputeRecord {
        dispatched_at: record.dispatched_at.map(|t| t.and_utc()),
        pending_decide_by: record.pending.as_ref().map(|d| d.decide_by.map(|t| t.and_utc())),
        escalated: record.pending.as_ref().is_some_and(|d| d.escalated_at.is_some()),
        bounces: record.bounces,
        flagged: record.flagged,
    };
    facts.dispute = DisputeFacts::new(dispute, calendar);
}

/// The facts of `case` with its joint record, for `actor_id` at `now`.
fn full_facts(
    case: &FullCase,
    actor_id: Option<&str>,
    now: DateTime<Utc>,
    record: &JointRecord,
    calendar: &WorkingCalendar,
) -> StoreResult<CaseFacts> {
    let mut facts = facts_for(case, actor_id, now, 0)?;
    fill_facts(&mut facts, record, calendar);
    Ok(facts)
}

/// The case steps `who` may take on `case` at `now` with its parts and disputes counted: what
/// the case view offers.
pub fn available_actions(
    case: &FullCase,
    who: &Principal,
    now: DateTime<Utc>,
    record: &JointRecord,
    calendar: &WorkingCalendar,
) -> Vec<Action> {
    if !in_scope(who, case) {
        return Vec::new();
    }
    let (Ok(state), Ok(facts)) =
        (state_of(case), full_facts(case, Some(&who.user_id), now, record, calendar))
    else {
        return Vec::new();
    };
    workflow::available_actions_given(state, who.role, &facts)
}

/// Where a notice to the district goes: its command centre, the district admins.
fn to_district(case: &FullCase) -> Value {
    json!({ "role": Role::DistrictAdmin.as_str(), "district": case.row.district_code })
}

/// What a case step did to the parts and the dispute, added to its event's `details`.
pub fn step_details(case: &FullCase, step: &Step, details: &mut Map<String, Value>) {
    if let Some(parts) = &step.helper_parts {
        let helpers: Vec<Value> = parts
            .iter()
            .map(|part| {
                json!({
                    "id": Uuid::now_v7().to_string(),
                    "unit": part.unit,
                    "note": part.note,
                    "time_limit": part.time_limit.map(|l| l.to_string()),
                    "deadline": part.deadline.map(|d| rfc3339(d.naive_utc())),
                })
            })
            .collect();
        details.insert("helpers".into(), Value::Array(helpers));
    }
    let dispute = match &step.dispute {
        DisputeChange::Keep => None,
        DisputeChange::Raise { decide_by } => Some(json!({
            "unit": case.row.handling_unit,
            "decide_by": decide_by.map(|d| rfc3339(d.naive_utc())),
            // The street office holds the case; the district's when it lies in no street.
            "arbiter": match &case.row.street_code {
                Some(street) => json!({ "role": Role::Dispatcher.as_str(), "street": street }),
                None => to_district(case),
            },
        })),
        DisputeChange::Decide { decision, late } => {
            Some(json!({ "decision": decision.as_str(), "late": late }))
        }
        DisputeChange::Escalate => Some(json!({ "escalated": true, "to": to_district(case) })),
    };
    if let Some(dispute) = dispute {
        details.insert("dispute".into(), dispute);
    }
    if let Some(bounces) = step.flags_district {
        details.insert("flag_to_district".into(), json!({ "bounces": bounces, "to": to_district(case) }));
    }
}

/// Refuses a step whose helper units are not all active units (the inner `Err` is the answer).
pub(super) fn check_helper_units(conn: &mut DbConnection, step: &Step) -> StoreResult<Result<(), ApiError>> {
    for (index, part) in step.helper_parts.iter().flatten().enumerate() {
        if let Err(refused) = super::step_checks::check_active_unit(conn, Some(&part.unit))? {
            return Ok(Err(ApiError::new(
                refused.kind,
                refused.code,
                format!("helpers[{index}]: {}", refused.detail),
            )
            .with_field("helpers")));
        }
    }
    Ok(Ok(()))
}

/// One part step as asked.
#[derive(Debug, Clone)]
pub struct PartStepRequest {
    pub case_id: String,
    pub part_id: String,
    pub expected_version: Option<i32>,
    pub body: PartActionRequest,
}

/// Why a part step was not recorded.
#[derive(Debug)]
pub enum PartStepError {
    Problem(ApiError),
    Refused { refusal: PartRefusal, case: Box<FullCase> },
    Stale { case: Box<FullCase> },
}

impl From<ApiError> for PartStepError {
    fn from(error: ApiError) -> Self {
        PartStepError::Problem(error)
    }
}

impl From<StoreError> for PartStepError {
    fn from(error: StoreError) -> Self {
        PartStepError::Problem(error.into())
    }
}

/// The unit of a handler's account.
fn unit_of(who: &Principal) -> Option<&str> {
    match &who.scope {
        gridline_core::workflow::scope::Scope::Unit { unit } => Some(unit.as_str()),
        _ => None,
    }
}

/// Whether `who` may read the joint view of `case`: staff whose scope holds it, and the
/// handlers of a unit with a part on it.
fn may_read(who: &Principal, case: &FullCase, unit_has_part: bool) -> bool {
    (who.role != Role::Citizen && in_scope(who, case)) || (who.role == Role::Handler && unit_has_part)
}

fn out_of_scope() -> ApiError {
    ApiError::new(
        ErrorKind::Forbidden,
        "out_of_scope",
        "this case is outside the area or unit your account covers, and your unit has no part on it",
    )
}

/// The facts of `part` of `case` at `now`; `round_the_clock_minutes` is the case's limit under
/// emergency command (its stored terms), which a rework counts as the dispatch did.
fn part_facts(
    case: &FullCase,
    part: &PartRow,
    now: DateTime<Utc>,
    round_the_clock_minutes: Option<u32>,
) -> StoreResult<PartFacts> {
    let time_limit = part
        .time_limit
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("part time limit: {e}")))?;
    Ok(PartFacts {
        now,
        case_state: state_of(case)?,
        state: part.state,
        deadline: part.deadline.map(|d| d.and_utc()),
        overdue: part.overdue,
        time_limit,
        round_the_clock_minutes,
    })
}

/// The case's limit round the clock when it came in under emergency command.
fn round_the_clock_of(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<Option<u32>> {
    let terms = super::command::command_facts(conn, case_id)?;
    Ok(terms.and_then(|(terms, _)| u32::try_from(terms.handle_minutes).ok()))
}

fn actor_of(who: &Principal, case: &FullCase, part: &PartRow) -> PartActor {
    let actor = PartActor::of(who.role, unit_of(who), &part.unit_code, case.row.handling_unit.as_deref());
    // The street office acts on the parts of the cases its scope holds only.
    if actor == PartActor::StreetOffice && !in_scope(who, case) { PartActor::Other } else { actor }
}

/// Everything the joint view reads, in one trip.
struct Loaded {
    case: FullCase,
    record: JointRecord,
    parts: Vec<PartRow>,
    disputes: Vec<DisputeRow>,
    photo_ids: Vec<String>,
    round_the_clock_minutes: Option<u32>,
}

/// The case `named` by its id or tracking number, with its joint handling.
fn load(conn: &mut DbConnection, named: &str) -> StoreResult<Option<Loaded>> {
    let Some(id) = crate::store::tracking::resolve(conn, named)? else { return Ok(None) };
    load_id(conn, id)
}

fn load_id(conn: &mut DbConnection, id: CaseId) -> StoreResult<Option<Loaded>> {
    let Some(case) = cases::find_full(conn, id)? else { return Ok(None) };
    Ok(Some(Loaded {
        record: store::facts_of(conn, id)?,
        parts: store::parts_of(conn, id)?,
        disputes: store::disputes_of(conn, id)?,
        photo_ids: cases::photo_ids(conn, id)?,
        round_the_clock_minutes: round_the_clock_of(conn, id)?,
        case,
    }))
}

/// A case's joint handling as its reader may see it; the HTTP layer renders the case itself
/// in the staff view and answers a [`gridline_core::protocol::joint::JointView`].
#[derive(Debug)]
pub struct Joint {
    pub case: Box<FullCase>,
    pub photo_ids: Vec<String>,
    pub parts: Vec<PartView>,
    pub disputes: Vec<DisputeView>,
    pub bounces: u32,
    pub flagged_to_district: bool,
    /// The case steps the reader may take now, with the parts and disputes counted.
    pub available_actions: Vec<Action>,
}

fn render(state: &AppState, who: &Principal, loaded: Loaded) -> StoreResult<Joint> {
    let now = state.clock.now();
    let Loaded { case, record, parts, disputes, photo_ids, round_the_clock_minutes } = loaded;
    let actions = available_actions(&case, who, now, &record, &state.calendar);
    let mut part_views = Vec::with_capacity(parts.len());
    for part in &parts {
        let facts = part_facts(&case, part, now, round_the_clock_minutes)?;
        let actions = available_part_actions(actor_of(who, &case, part), &facts, &state.calendar);
        part_views.push(PartView {
            id: part.id.clone(),
            unit: part.unit_code.clone(),
            note: part.note.clone(),
            state: facts.state,
            time_limit: part.time_limit.clone(),
            deadline: part.deadline.map(rfc3339),
            overdue: part.overdue,
            on_time: part.on_time,
            reason: part.reason.clone(),
            action_needs: PartActionNeeds::of(&actions),
            available_actions: actions,
        });
    }
    Ok(Joint {
        case: Box::new(case),
        photo_ids,
        parts: part_views,
        disputes: disputes.into_iter().map(dispute_view).collect(),
        bounces: record.bounces,
        flagged_to_district: record.flagged,
        available_actions: actions,
    })
}

fn dispute_view(row: DisputeRow) -> DisputeView {
    DisputeView {
        id: row.id,
        unit: row.unit_code,
        reason: row.reason,
        raised_at: rfc3339(row.raised_at),
        decide_by: row.decide_by.map(rfc3339),
        decision: row.decision,
        decided_at: row.decided_at.map(rfc3339),
        late: row.late,
        escalated_at: row.escalated_at.map(rfc3339),
    }
}

/// The joint view of the case `named` (id or tracking number) for `who`.
pub async fn joint_view(state: &AppState, who: &Principal, named: &str) -> Result<Joint, ApiError> {
    let named = named.to_owned();
    let loaded =
        state.db.run(move |conn| load(conn, &named)).await?.ok_or_else(|| ApiError::not_found("case"))?;
    let unit_has_part = unit_of(who).is_some_and(|unit| loaded.parts.iter().any(|p| p.unit_code == unit));
    if !may_read(who, &loaded.case, unit_has_part) {
        return Err(out_of_scope());
    }
    Ok(render(state, who, loaded)?)
}

/// The event kind of a part step.
fn part_event_kind(action: PartAction) -> String {
    format!("{}{}", store::PART_EVENT_PREFIX, action.as_str())
}

/// Takes one step on a helper part for `who`: the fields, the case and the part, the caller's
/// relation to the part, `If-Match`, core's [`take_part`], then in one transaction the photos
/// (the caller's own) and the event under the case's version. Answers the joint view.
pub async fn take_part_step(
    state: &AppState,
    who: &Principal,
    request: PartStepRequest,
) -> Result<Joint, PartStepError> {
    let action = checked_action(&request.body)?;
    let (case, part, round_the_clock_minutes) = load_part(state, who, &request).await?;
    if request.expected_version.is_some_and(|v| v != case.row.version) {
        return Err(PartStepError::Stale { case: Box::new(case) });
    }
    let now = state.clock.now();
    let facts = part_facts(&case, &part, now, round_the_clock_minutes)?;
    let provided =
        PartProvided { reason: request.body.reason.as_deref(), photos: request.body.photo_ids.len() };
    let step = match take_part(action, actor_of(who, &case, &part), &provided, &facts, &state.calendar) {
        Ok(step) => step,
        Err(refusal) => return Err(PartStepError::Refused { refusal, case: Box::new(case) }),
    };
    let event = part_event(who, &case, &part, action, &step, &request.body, now);
    record_part_step(state, who, case, event, request.body.photo_ids).await
}

/// The request's own checks, before anything is read: a known action, and the text and photos
/// within a step's limits.
fn checked_action(body: &PartActionRequest) -> Result<PartAction, ApiError> {
    let action: PartAction = body
        .action
        .parse()
        .map_err(|e: workflow::UnknownName| ApiError::invalid_field("action", e.to_string()))?;
    for (field, text) in [("reason", &body.reason), ("note", &body.note)] {
        let chars = text.as_deref().map_or(0, |t| t.chars().count());
        if chars > gridline_core::limits::MAX_STEP_TEXT_CHARS {
            return Err(ApiError::invalid_field(field, "too long for a step's text"));
        }
    }
    if body.photo_ids.len() > gridline_core::limits::MAX_STEP_PHOTOS {
        return Err(ApiError::invalid_field("photo_ids", "too many photos for one step"));
    }
    Ok(action)
}

/// The case and the part the request names, if `who` may read the case: with the case's limit
/// round the clock (under emergency command), which a rework counts.
async fn load_part(
    state: &AppState,
    who: &Principal,
    request: &PartStepRequest,
) -> Result<(FullCase, PartRow, Option<u32>), PartStepError> {
    let named = request.case_id.clone();
    let loaded =
        state.db.run(move |conn| load(conn, &named)).await?.ok_or_else(|| ApiError::not_found("case"))?;
    let Some(part) = loaded.parts.iter().find(|p| p.id == request.part_id).cloned() else {
        return Err(ApiError::not_found("part").into());
    };
    let unit_has_part = unit_of(who).is_some_and(|unit| loaded.parts.iter().any(|p| p.unit_code == unit));
    if !may_read(who, &loaded.case, unit_has_part) {
        return Err(out_of_scope().into());
    }
    Ok((loaded.case, part, loaded.round_the_clock_minutes))
}

/// The event `part_<action>` of a part step, in the case's audit trail.
fn part_event(
    who: &Principal,
    case: &FullCase,
    part: &PartRow,
    action: PartAction,
    step: &PartStep,
    body: &PartActionRequest,
    now: DateTime<Utc>,
) -> EventRow {
    let evidence = events::StepEvidence {
        actor_id: who.user_id.clone(),
        actor_role: who.role,
        note: body.note.clone(),
        reason: body.reason.clone(),
        position: None,
        accuracy_m: None,
        photo_ids: body.photo_ids.clone(),
        comment: None,
        idempotency_key: None,
        request_sha256: String::new(),
    };
    events::part_step(
        case,
        &part_event_kind(action),
        evidence,
        json!({ "part": part_details(part, step) }),
        now,
    )
}

/// Writes the part step's event under the case's version (the case's state is unchanged; the
/// store follows the event for the part), once its photos are checked, and answers the joint
/// view as it is then.
async fn record_part_step(
    state: &AppState,
    who: &Principal,
    case: FullCase,
    mut event: EventRow,
    photo_ids: Vec<String>,
) -> Result<Joint, PartStepError> {
    let (id, version, who_then) = (case.row.id, case.row.version, who.clone());
    let photos = ActionRequest { photo_ids, ..ActionRequest::default() };
    let current = case.row.state;
    let written = state
        .db
        .run(move |conn| {
            if let Err(refused) = super::step_checks::check_references(conn, &who_then, &photos, id)? {
                return Ok(Err(refused));
            }
            let change = CaseChange { state: Some(current.as_str().to_owned()), ..CaseChange::default() };
            let outcome = cases::record_step(conn, id, version, &change, &mut event)?;
            Ok(Ok((outcome, load_id(conn, id)?)))
        })
        .await?;
    let (outcome, fresh) = written?;
    let fresh = fresh.ok_or_else(|| ApiError::not_found("case"))?;
    match outcome {
        StepOutcome::Recorded { .. } => Ok(render(state, who, fresh)?),
        StepOutcome::Stale => Err(PartStepError::Stale { case: Box::new(fresh.case) }),
    }
}

/// What a part step did to its part, in its event (the store follows it): the new state, an
/// on-time verdict, and for a rework the fresh deadline (`null`: none), the cleared verdict and
/// overdue flag, and `rework: true`.
fn part_details(part: &PartRow, step: &PartStep) -> Value {
    let mut details = json!({
        "id": part.id,
        "unit": part.unit_code,
        "from": step.from,
        "to": step.to,
        "on_time": step.on_time,
    });
    if step.reworks {
        details["rework"] = json!(true);
        details["overdue"] = json!(false);
        details["deadline"] = match &step.deadline {
            Change::Set(due) => json!(rfc3339(due.naive_utc())),
            Change::Keep => json!(part.deadline.map(rfc3339)),
            Change::Clear => Value::Null,
        };
    }
    details
}

/// The overdue job's pass over parts and disputes at `now`: each open part past its deadline is
/// marked overdue and escalated (`part_mark_overdue`, to the lead unit and the street office),
/// each undecided dispute past the arbiter's deadline goes to the district
/// (`escalate_dispute`), as core decides. Answers how many were recorded.
pub fn sweep(conn: &mut DbConnection, now: DateTime<Utc>, calendar: &WorkingCalendar) -> StoreResult<usize> {
    const BATCH: i64 = 200;
    let mut recorded = 0;
    for (case_id, part_id) in store::parts_due(conn, now.naive_utc(), BATCH)? {
        let (Some(case), Some(part)) =
            (cases::find_full(conn, case_id)?, store::find_part(conn, case_id, &part_id)?)
        else {
            continue;
        };
        let round_the_clock_minutes = round_the_clock_of(conn, case_id)?;
        let facts = part_facts(&case, &part, now, round_the_clock_minutes)?;
        let none = PartProvided::default();
        let Ok(step) = take_part(PartAction::MarkOverdue, PartActor::System, &none, &facts, calendar) else {
            continue;
        };
        let details = json!({
            "part": { "id": part.id, "unit": part.unit_code, "from": step.from, "to": step.to, "overdue": true },
            "deadline": part.deadline.map(rfc3339),
            "to": {
                "lead": case.row.handling_unit,
                "role": Role::Dispatcher.as_str(),
                "street": case.row.street_code,
            },
        });
        let mut event = events::system_step(&case, &part_event_kind(PartAction::MarkOverdue), details, now);
        let change = CaseChange { state: Some(case.row.state.as_str().to_owned()), ..CaseChange::default() };
        if let StepOutcome::Recorded { .. } =
            cases::record_step(conn, case_id, case.row.version, &change, &mut event)?
        {
            recorded += 1;
        }
    }
    for case_id in store::disputes_due(conn, now.naive_utc(), BATCH)? {
        let Some(case) = cases::find_full(conn, case_id)? else { continue };
        let record = store::facts_of(conn, case_id)?;
        let facts = full_facts(&case, None, now, &record, calendar)?;
        let none = workflow::Provided::default();
        let Ok(step) =
            workflow::take(state_of(&case)?, Action::EscalateDispute, Role::System, &none, &facts, calendar)
        else {
            continue;
        };
        let mut details = Map::new();
        step_details(&case, &step, &mut details);
        let mut event =
            events::system_step(&case, Action::EscalateDispute.as_str(), Value::Object(details), now);
        let change = CaseChange { state: Some(step.to().as_str().to_owned()), ..CaseChange::default() };
        if let StepOutcome::Recorded { .. } =
            cases::record_step(conn, case_id, case.row.version, &change, &mut event)?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}
