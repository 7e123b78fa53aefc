//! Emergency mode (平战转换), the service behind `/api/v1/emergencies`: switching an area to
//! wartime command and back ([`switch_on`], [`take`]), and what the command reads while it is
//! on and after ([`incident`]: the live queue, the units' load against the span of control and
//! the timeline of command decisions; [`summary`]: the after-action figures, also as a printable
//! page, [`print`]).
//!
//! Every rule is core's (`gridline_core::emergency`): the switch's own state machine, the
//! levels' limits, what a switch catches, the span of control and the summary's arithmetic.
//! Reports reach the command queue through the case service's intake (`cases::command`), and
//! every step on a case under command is a case step (`cases::take_step`) with `If-Match` and
//! its event. Dispatch under command may name any active unit (the case service checks only
//! that the unit is active). The switch names the units on joint duty (`joint_units`, each an
//! active unit); a dispatch under its command that names no helpers gives them helper parts, as
//! core's `emergency::dispatch_helpers` decides (the case service applies it).

pub mod print;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use gridline_core::codes::{AreaCode, CategoryCode};
use gridline_core::emergency::{
    self, AfterActionSummary, CaseTimes, CommandDecision, EmergencyList, EmergencyView, IncidentView, Limits,
    MAX_NOTE_CHARS, QueuedCase, State, SwitchOnRequest, SwitchRequest, UnitLoad,
};
use gridline_core::workflow::{Action as CaseAction, CaseState, Role};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Principal, Scope};
use crate::cases::command::scope_of;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::store::emergencies::{self, DecisionRow, EmergencyRow};
use crate::store::events::EventRow;
use crate::store::{DbConnection, StoreResult, units};

/// The roles that read emergencies (of an area their scope meets).
const READERS: &[Role] = &[Role::Admin, Role::DistrictAdmin, Role::Dispatcher, Role::Viewer];

/// Whether `scope` meets `area`: holds it, or lies within it.
fn scope_meets(scope: &Scope, area: AreaCode) -> bool {
    match scope {
        Scope::City => true,
        Scope::District { district: mine } | Scope::Street { street: mine } => {
            mine.contains_area(area) || area.contains_area(*mine)
        }
        _ => false,
    }
}

/// Whether `scope` holds all of `area`.
fn scope_holds(scope: &Scope, area: AreaCode) -> bool {
    match scope {
        Scope::City => true,
        Scope::District { district: mine } | Scope::Street { street: mine } => mine.contains_area(area),
        _ => false,
    }
}

fn refused(refusal: emergency::Refusal) -> ApiError {
    use emergency::Refusal as R;
    let kind = match refusal {
        R::NotAllowedForRole { .. } => ErrorKind::Forbidden,
        R::NotFromState { .. } => ErrorKind::Conflict,
        _ => ErrorKind::Unprocessable,
    };
    let field = refusal.field();
    let error = ApiError::new(kind, refusal.code(), refusal.to_string());
    match field {
        Some(field) => error.with_field(field),
        None => error,
    }
}

/// The switch as the caller sees it.
pub fn view(row: &EmergencyRow, who: &Principal) -> StoreResult<EmergencyView> {
    let (level, state, kind) = (row.level, row.state, row.kind);
    let joint_units = crate::cases::command::joint_units_of(row)?;
    let available_actions = emergency::Action::ALL
        .iter()
        .copied()
        .filter(|a| *a != emergency::Action::SwitchOn && emergency::decide(Some(state), *a, who.role).is_ok())
        .collect();
    Ok(EmergencyView {
        id: row.id.clone(),
        area: row.area_code.to_string(),
        level,
        kind,
        categories: scope_of(row)?.categories.into_iter().collect(),
        commander_id: row.commander_id.clone(),
        command_unit: row.command_unit.clone(),
        drill: row.drill,
        state,
        limits: emergency::limits(level),
        span_of_control: emergency::SPAN_OF_CONTROL,
        joint_handling_default: !joint_units.is_empty(),
        joint_units,
        version: row.version,
        started_at: rfc3339(row.started_at),
        ended_at: row.ended_at.map(rfc3339),
        available_actions,
    })
}

fn check_note(note: Option<&str>) -> ApiResult<Option<String>> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else { return Ok(None) };
    let chars = note.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(ApiError::invalid_field(
            "note",
            format!("expected at most {MAX_NOTE_CHARS} characters, found {chars}"),
        ));
    }
    Ok(Some(note.to_owned()))
}

/// The checked parts of a switch-on that need no database.
fn checked_scope(body: &SwitchOnRequest) -> ApiResult<emergency::Scope> {
    let area =
        AreaCode::parse(body.area.trim()).map_err(|e| ApiError::invalid_field("area", e.to_string()))?;
    let mut categories = BTreeSet::new();
    for (i, code) in body.categories.iter().enumerate() {
        let code = CategoryCode::parse(code.trim())
            .map_err(|e| ApiError::invalid_field(format!("categories[{i}]"), e.to_string()))?;
        categories.insert(code.to_string());
    }
    emergency::Scope::new(area, categories, body.drill).map_err(refused)
}

/// Switches an area to wartime command (`switch_on`: a city admin anywhere, a district admin in
/// its district); the new switch.
pub async fn switch_on(
    state: &AppState,
    who: &Principal,
    body: serde_json::Value,
) -> ApiResult<EmergencyView> {
    emergency::decide(None, emergency::Action::SwitchOn, who.role).map_err(refused)?;
    let body: SwitchOnRequest = crate::error::body_as(body)?;
    let scope = checked_scope(&body)?;
    let joint_units = emergency::check_joint_units(&body.joint_units).map_err(refused)?;
    if !scope_holds(&who.scope, scope.area) {
        return Err(ApiError::forbidden("the area is outside the area your account covers"));
    }
    let note = check_note(body.note.as_deref())?;
    let now = state.clock.now().naive_utc();
    let row = EmergencyRow {
        id: Uuid::now_v7().to_string(),
        area_code: scope.area,
        level: body.level,
        kind: body.kind,
        categories: serde_json::to_string(&scope.categories).unwrap_or_else(|_| "[]".to_owned()),
        commander_id: body.commander_id.trim().to_owned(),
        command_unit: body.command_unit.trim().to_owned(),
        drill: scope.drill,
        state: State::Active,
        version: 1,
        started_at: now,
        started_by: who.user_id.clone(),
        ended_at: None,
        ended_by: None,
        joint_units: serde_json::to_string(&joint_units).unwrap_or_else(|_| "[]".to_owned()),
    };
    let decision = decision(&row.id, emergency::Action::SwitchOn, who, now, note);
    let (cache, stored) = (state.categories.clone(), row.clone());
    state
        .db
        .run(move |conn| {
            if let Err(refused) = check_references(conn, &cache, &stored, &scope, &joint_units)? {
                return Ok(Err(refused));
            }
            if !emergencies::insert(conn, &stored, &decision)? {
                return Ok(Err(already_on()));
            }
            Ok(Ok(()))
        })
        .await??;
    Ok(view(&row, who)?)
}

fn already_on() -> ApiError {
    ApiError::conflict(
        "emergency_already_on",
        "an emergency (or a drill) of this area, or of an area holding or within it, is on already; switch it off first",
    )
}

fn decision(
    id: &str,
    action: emergency::Action,
    who: &Principal,
    at: NaiveDateTime,
    note: Option<String>,
) -> DecisionRow {
    DecisionRow {
        id: Uuid::now_v7().to_string(),
        emergency_id: id.to_owned(),
        kind: action.as_str().to_owned(),
        actor_id: Some(who.user_id.clone()),
        actor_role: Some(who.role.as_str().to_owned()),
        occurred_at: at,
        note,
    }
}

/// The categories exist, the command unit and the units on joint duty are active, the commander can dispatch in the area,
/// and no switch of the same kind (drill or not) is on for a nested area.
fn check_references(
    conn: &mut DbConnection,
    cache: &crate::store::categories::CategoryCache,
    row: &EmergencyRow,
    scope: &emergency::Scope,
    joint_units: &[String],
) -> StoreResult<Result<(), ApiError>> {
    for (i, code) in scope.categories.iter().enumerate() {
        let known = match CategoryCode::parse(code) {
            Ok(code) => cache.find(conn, code)?.is_some(),
            Err(_) => false,
        };
        if !known {
            return Ok(Err(ApiError::invalid_field(format!("categories[{i}]"), "no such category")));
        }
    }
    if !units::find(conn, &row.command_unit)?.is_some_and(|u| u.is_active()) {
        return Ok(Err(ApiError::new(
            ErrorKind::Unprocessable,
            "unknown_unit",
            "the command unit must be an active handling unit; GET /api/v1/units lists them",
        )
        .with_field("command_unit")));
    }
    for (i, unit) in joint_units.iter().enumerate() {
        if !units::find(conn, unit)?.is_some_and(|u| u.is_active()) {
            return Ok(Err(ApiError::new(
                ErrorKind::Unprocessable,
                "unknown_unit",
                "each unit on joint duty must be an active handling unit; GET /api/v1/units lists them",
            )
            .with_field(format!("joint_units[{i}]"))));
        }
    }
    if !commander_fits(conn, &row.commander_id, scope.area)? {
        return Ok(Err(ApiError::invalid_field(
            "commander_id",
            "the commander must be an active admin, or a district admin or dispatcher whose area holds the area",
        )));
    }
    for other in emergencies::active(conn)? {
        let nested = other.area_code.contains_area(scope.area) || scope.area.contains_area(other.area_code);
        if nested && other.drill == scope.drill {
            return Ok(Err(already_on()));
        }
    }
    Ok(Ok(()))
}

/// Whether account `id` may command the queue of `area`: it may dispatch every case there.
fn commander_fits(conn: &mut DbConnection, id: &str, area: AreaCode) -> StoreResult<bool> {
    let Some((role, scope, disabled)) = emergencies::account(conn, id)? else { return Ok(false) };
    let scope: Option<Scope> = serde_json::from_str(&scope).ok();
    let may_dispatch =
        matches!(role.parse::<Role>(), Ok(Role::Admin | Role::DistrictAdmin | Role::Dispatcher));
    Ok(!disabled && may_dispatch && scope.is_some_and(|s| scope_holds(&s, area)))
}

/// A switch the caller may read: 403 for a role that reads none, 404 for a switch that does not
/// exist or lies outside the caller's scope.
async fn readable(state: &AppState, who: &Principal, id: &str) -> ApiResult<EmergencyRow> {
    who.require_role(READERS)?;
    let id = id.to_owned();
    let row = state.db.run(move |conn| emergencies::find(conn, &id)).await?;
    row.filter(|row| scope_meets(&who.scope, row.area_code)).ok_or_else(|| ApiError::not_found("emergency"))
}

/// The switches whose area the caller's scope meets, newest first.
pub async fn list(state: &AppState, who: &Principal) -> ApiResult<EmergencyList> {
    who.require_role(READERS)?;
    let rows = state.db.run(emergencies::newest).await?;
    let mut emergencies = Vec::new();
    for row in rows {
        if scope_meets(&who.scope, row.area_code) {
            emergencies.push(view(&row, who)?);
        }
    }
    Ok(EmergencyList::of(emergencies, who.role))
}

/// One switch.
pub async fn get(state: &AppState, who: &Principal, id: &str) -> ApiResult<EmergencyView> {
    let row = readable(state, who, id).await?;
    Ok(view(&row, who)?)
}

/// Why a step on a switch was not taken.
#[derive(Debug)]
pub enum StepError {
    Problem(ApiError),
    /// The switch is no longer at the version the caller expected; it is given for the answer.
    Stale(Box<EmergencyView>),
}

impl From<ApiError> for StepError {
    fn from(e: ApiError) -> Self {
        StepError::Problem(e)
    }
}

/// A step on a switch (`switch_off`) at the version the caller saw; the switch as it now is.
pub async fn take(
    state: &AppState,
    who: &Principal,
    id: &str,
    expected_version: i32,
    body: serde_json::Value,
) -> Result<EmergencyView, StepError> {
    let row = readable(state, who, id).await?;
    let body: SwitchRequest = crate::error::body_as(body)?;
    emergency::decide(Some(row.state), body.action, who.role).map_err(refused)?;
    // Reading a switch needs only to meet its area; ending it needs to hold all of it.
    if !scope_holds(&who.scope, row.area_code) {
        return Err(ApiError::forbidden("the area is outside the area your account covers").into());
    }
    if expected_version != row.version {
        return Err(StepError::Stale(Box::new(view(&row, who).map_err(ApiError::from)?)));
    }
    let note = check_note(body.note.as_deref())?;
    let now = state.clock.now().naive_utc();
    let decision = decision(&row.id, body.action, who, now, note);
    let (switch_id, version) = (row.id.clone(), row.version);
    let ended = state
        .db
        .run(move |conn| {
            let ended = emergencies::end(conn, &switch_id, version, &decision)?;
            Ok((ended, emergencies::find(conn, &switch_id)?))
        })
        .await
        .map_err(ApiError::from)?;
    let fresh = ended.1.ok_or_else(|| ApiError::not_found("emergency"))?;
    let fresh_view = view(&fresh, who).map_err(ApiError::from)?;
    if !ended.0 {
        return Err(StepError::Stale(Box::new(fresh_view)));
    }
    Ok(fresh_view)
}

/// The incident view: the live queue, the units' load and the timeline of command decisions.
pub async fn incident(state: &AppState, who: &Principal, id: &str) -> ApiResult<IncidentView> {
    let row = readable(state, who, id).await?;
    let switch_id = row.id.clone();
    let (cases, events, decisions) = state
        .db
        .run(move |conn| {
            Ok((
                emergencies::cases_of(conn, &switch_id)?,
                emergencies::events_of(conn, &switch_id)?,
                emergencies::decisions(conn, &switch_id)?,
            ))
        })
        .await?;
    let now = state.clock.now();
    let mut queue = Vec::new();
    let mut open_by_unit: BTreeMap<String, u32> = BTreeMap::new();
    let mut tracking: BTreeMap<String, String> = BTreeMap::new();
    for (terms, case) in &cases {
        tracking.insert(case.row.id.to_string(), case.row.tracking_number.clone());
        if emergencies::waits_in_queue(case.row.state) {
            let due = emergency::dispatch_due(terms.queued_at.and_utc(), terms_limits(terms));
            queue.push(QueuedCase {
                case_id: case.row.id.to_string(),
                tracking_number: case.row.tracking_number.clone(),
                category: case.row.category_code.to_string(),
                description: case.row.description.clone(),
                grid: case.row.grid_code.map(|g| g.to_string()),
                state: case.row.state.as_str().to_owned(),
                queued_at: rfc3339(terms.queued_at),
                dispatch_due: rfc3339(due.naive_utc()),
                dispatch_overdue: due < now,
                version: case.row.version,
            });
        }
        if matches!(case.row.state, CaseState::Dispatched | CaseState::InProgress)
            && let Some(unit) = &case.row.handling_unit
        {
            *open_by_unit.entry(unit.clone()).or_default() += 1;
        }
    }
    let units = unit_loads(state, open_by_unit).await?;
    let mut timeline: Vec<CommandDecision> = decisions
        .into_iter()
        .map(|d| CommandDecision {
            at: rfc3339(d.occurred_at),
            label: gridline_core::workflow::words::event_kind_names(&d.kind),
            kind: d.kind,
            actor_role: d.actor_role,
            case_id: None,
            tracking_number: None,
            handling_unit: None,
            note: d.note,
        })
        .chain(
            events
                .iter()
                .filter(|e| e.kind != crate::store::events::REPORTED)
                .map(|e| case_decision(e, &tracking)),
        )
        .collect();
    // Oldest first (a stable sort keeps a switch before the steps of its own moment, and the
    // steps in their recorded order), then newest first.
    timeline.sort_by(|a, b| a.at.cmp(&b.at));
    timeline.reverse();
    timeline.truncate(emergencies::MAX_TIMELINE);
    Ok(IncidentView { emergency: view(&row, who)?, queue, units, timeline })
}

fn terms_limits(terms: &emergencies::EmergencyCaseRow) -> Limits {
    Limits {
        dispatch_minutes: u32::try_from(terms.dispatch_minutes).unwrap_or(0),
        handle_minutes: u32::try_from(terms.handle_minutes).unwrap_or(0),
    }
}

fn detail(event: &EventRow, key: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(&event.details)
        .ok()
        .and_then(|d| d.get(key).and_then(|v| v.as_str()).map(str::to_owned))
}

fn case_decision(event: &EventRow, tracking: &BTreeMap<String, String>) -> CommandDecision {
    CommandDecision {
        at: rfc3339(event.occurred_at),
        kind: event.kind.clone(),
        label: gridline_core::workflow::words::event_kind_names(&event.kind),
        actor_role: event.actor_role.clone(),
        case_id: Some(event.case_id.to_string()),
        tracking_number: tracking.get(&event.case_id.to_string()).cloned(),
        handling_unit: detail(event, "handling_unit"),
        note: event.note.clone().or_else(|| event.reason.clone()),
    }
}

/// Each unit's open tasks against its supervisors (its active handler accounts).
async fn unit_loads(state: &AppState, open_by_unit: BTreeMap<String, u32>) -> ApiResult<Vec<UnitLoad>> {
    let loads = state
        .db
        .run(move |conn| {
            let mut loads = Vec::new();
            for (unit, open_tasks) in open_by_unit {
                let supervisors = emergencies::supervisors(conn, &unit)?;
                loads.push(UnitLoad {
                    over_span: emergency::over_span(open_tasks, supervisors, emergency::SPAN_OF_CONTROL),
                    unit,
                    open_tasks,
                    supervisors,
                });
            }
            Ok(loads)
        })
        .await?;
    Ok(loads)
}

fn time_of(event: &EventRow) -> DateTime<Utc> {
    event.occurred_at.and_utc()
}

/// The after-action summary of a switch, as of now.
pub async fn summary(state: &AppState, who: &Principal, id: &str) -> ApiResult<AfterActionSummary> {
    let row = readable(state, who, id).await?;
    let switch_id = row.id.clone();
    let (cases, events) = state
        .db
        .run(move |conn| {
            Ok((emergencies::cases_of(conn, &switch_id)?, emergencies::events_of(conn, &switch_id)?))
        })
        .await?;
    let mut times: Vec<CaseTimes> = Vec::with_capacity(cases.len());
    for (terms, case) in &cases {
        let case_id = case.row.id;
        let mine = || events.iter().filter(|e| e.case_id == case_id);
        let first_dispatch = mine().find(|e| e.kind == CaseAction::Dispatch.as_str());
        let last_dispatch = mine().rfind(|e| e.kind == CaseAction::Dispatch.as_str());
        let handled = mine().find(|e| e.kind == CaseAction::MarkHandled.as_str());
        times.push(CaseTimes {
            queued_at: terms.queued_at.and_utc(),
            dispatched_at: first_dispatch.map(time_of),
            handled_at: handled.map(time_of),
            handle_due: first_dispatch
                .and_then(|e| detail(e, "deadline"))
                .and_then(|d| DateTime::parse_from_rfc3339(&d).ok())
                .map(|d| d.with_timezone(&Utc)),
            unit: last_dispatch.and_then(|e| detail(e, "handling_unit")),
            closed: case.row.state == CaseState::Closed,
        });
    }
    let now = state.clock.now();
    let level = row.level;
    let until = row.ended_at.map_or(now, |t| t.and_utc());
    Ok(AfterActionSummary {
        emergency: view(&row, who)?,
        minutes_on: (until - row.started_at.and_utc()).num_seconds() as f64 / 60.0,
        figures: emergency::summarize(&times, emergency::limits(level), now),
        as_of: rfc3339(now.naive_utc()),
    })
}
