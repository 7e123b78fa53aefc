//! Joint handling (主办/协办) and disputed assignments (派单异议) in the database: the helper
//! parts (`case_parts`) and the disputes (`case_disputes`).
//!
//! Both tables follow the events, like the call-back tasks: [`follow`] runs in the transaction
//! of every event insert and reads what core's step put in the event's `details` (`helpers`:
//! the parts a dispatch or reassignment sets anew, every open one before it withdrawn;
//! `dispute`: raised, decided or escalated; `part`: a part step's new state), so a step and what
//! it does to the parts and disputes commit together. A step that bounced a case past the limit
//! (`flag_to_district` in its details) is followed by a `flagged_to_district` event addressed
//! to the district. [`facts_of`] reads back what core's rules need; [`unit_figures`] counts
//! them per unit.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridline_core::codes::CaseId;
use gridline_core::workflow::Action;
use gridline_core::workflow::parts::PartState;
use serde_json::Value;

use super::case_list::CaseFilter;
use super::events::EventRow;
use super::schema::{case_disputes, case_events, case_parts, cases};
use super::{DbConnection, StoreResult};

/// The kind of the event that flags a bounced case to the district.
pub const FLAGGED_TO_DISTRICT: &str = "flagged_to_district";

/// The prefix of a part step's event kind (`part_accept`, `part_finish`, ...).
pub const PART_EVENT_PREFIX: &str = "part_";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_parts)]
#[diesel(treat_none_as_default_value = false)]
pub struct PartRow {
    pub id: String,
    /// Parsed once, when the row is read, like the part's state.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    pub unit_code: String,
    pub note: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: PartState,
    pub time_limit: Option<String>,
    pub deadline: Option<NaiveDateTime>,
    pub overdue: bool,
    pub on_time: Option<bool>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_disputes)]
#[diesel(treat_none_as_default_value = false)]
pub struct DisputeRow {
    pub id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    pub unit_code: String,
    pub reason: String,
    pub raised_by: String,
    pub raised_at: NaiveDateTime,
    pub decide_by: Option<NaiveDateTime>,
    pub decision: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
    pub late: bool,
    pub escalated_at: Option<NaiveDateTime>,
}

/// The part states that still hold a case back, as core says.
fn open_parts() -> Vec<&'static str> {
    PartState::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn time(value: &Value, key: &str) -> Option<NaiveDateTime> {
    value
        .get(key)
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.naive_utc())
}

/// Writes what `events` do to the parts and disputes (inside their transaction).
pub fn follow(conn: &mut DbConnection, events: &[EventRow]) -> QueryResult<()> {
    for event in events {
        let Ok(details) = serde_json::from_str::<Value>(&event.details) else { continue };
        if let Some(helpers) = details.get("helpers").and_then(Value::as_array) {
            set_parts(conn, event, helpers)?;
        }
        if let Some(part) = details.get("part") {
            move_part(conn, event, part)?;
        }
        if let Some(dispute) = details.get("dispute") {
            follow_dispute(conn, event, dispute)?;
        }
        if let Some(flag) = details.get("flag_to_district") {
            super::events::insert(conn, &mut flagged_to_district(event, flag))?;
        }
    }
    Ok(())
}

/// The event that flags a case to the district, after the step that bounced it past the limit:
/// by the `system`, at the same moment, the state unchanged; `details` is the step's flag (the
/// number of bounces and the district's address).
fn flagged_to_district(step: &EventRow, flag: &Value) -> EventRow {
    EventRow {
        id: gridline_core::codes::uuid_v7_at(step.occurred_at.and_utc()).to_string(),
        case_id: step.case_id,
        kind: FLAGGED_TO_DISTRICT.to_owned(),
        from_state: Some(step.to_state),
        to_state: step.to_state,
        actor_id: None,
        actor_role: Some(gridline_core::workflow::Role::System.as_str().to_owned()),
        note: None,
        lat: None,
        lon: None,
        occurred_at: step.occurred_at,
        seq: 0,
        reason: None,
        accuracy_m: None,
        photo_ids: "[]".to_owned(),
        details: flag.to_string(),
        idempotency_key: None,
        request_sha256: None,
    }
}

fn set_parts(conn: &mut DbConnection, event: &EventRow, helpers: &[Value]) -> QueryResult<()> {
    diesel::update(
        case_parts::table
            .filter(case_parts::case_id.eq(event.case_id.to_string()))
            .filter(case_parts::state.eq_any(open_parts())),
    )
    .set((case_parts::state.eq(PartState::Withdrawn.as_str()), case_parts::updated_at.eq(event.occurred_at)))
    .execute(conn)?;
    for helper in helpers {
        let row = PartRow {
            id: text(helper, "id").unwrap_or_default(),
            case_id: event.case_id,
            unit_code: text(helper, "unit").unwrap_or_default(),
            note: text(helper, "note").unwrap_or_default(),
            state: PartState::Assigned,
            time_limit: text(helper, "time_limit"),
            deadline: time(helper, "deadline"),
            overdue: false,
            on_time: None,
            reason: None,
            created_at: event.occurred_at,
            updated_at: event.occurred_at,
        };
        diesel::insert_into(case_parts::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// What a part step changes on its row; `None` leaves a column.
#[derive(AsChangeset)]
#[diesel(table_name = case_parts)]
struct PartChange {
    state: Option<String>,
    overdue: Option<bool>,
    on_time: Option<Option<bool>>,
    deadline: Option<Option<NaiveDateTime>>,
    reason: Option<Option<String>>,
    updated_at: NaiveDateTime,
}

fn move_part(conn: &mut DbConnection, event: &EventRow, part: &Value) -> QueryResult<()> {
    let Some(id) = text(part, "id") else { return Ok(()) };
    // A rework starts the part over: a fresh deadline, no overdue flag, no on-time verdict yet.
    let rework = part.get("rework").and_then(Value::as_bool) == Some(true);
    let change = PartChange {
        state: text(part, "to"),
        overdue: part.get("overdue").and_then(Value::as_bool).filter(|flag| *flag || rework),
        on_time: if rework { Some(None) } else { part.get("on_time").and_then(Value::as_bool).map(Some) },
        deadline: rework.then(|| time(part, "deadline")),
        reason: event.reason.clone().map(Some),
        updated_at: event.occurred_at,
    };
    diesel::update(
        case_parts::table
            .filter(case_parts::id.eq(id))
            .filter(case_parts::case_id.eq(event.case_id.to_string())),
    )
    .set(change)
    .execute(conn)?;
    Ok(())
}

fn follow_dispute(conn: &mut DbConnection, event: &EventRow, dispute: &Value) -> QueryResult<()> {
    let pending = case_disputes::table
        .filter(case_disputes::case_id.eq(event.case_id.to_string()))
        .filter(case_disputes::decision.is_null());
    if event.kind == Action::Dispute.as_str() {
        let row = DisputeRow {
            id: event.id.clone(),
            case_id: event.case_id,
            unit_code: text(dispute, "unit").unwrap_or_default(),
            reason: event.reason.clone().unwrap_or_default(),
            raised_by: event.actor_id.clone().unwrap_or_default(),
            raised_at: event.occurred_at,
            decide_by: time(dispute, "decide_by"),
            decision: None,
            decided_at: None,
            decided_by: None,
            late: false,
            escalated_at: None,
        };
        diesel::insert_into(case_disputes::table).values(row).execute(conn)?;
    } else if let Some(decision) = text(dispute, "decision") {
        let late = dispute.get("late").and_then(Value::as_bool).unwrap_or(false);
        diesel::update(pending)
            .set((
                case_disputes::decision.eq(Some(decision)),
                case_disputes::decided_at.eq(Some(event.occurred_at)),
                case_disputes::decided_by.eq(event.actor_id.clone()),
                case_disputes::late.eq(late),
            ))
            .execute(conn)?;
    } else if dispute.get("escalated").and_then(Value::as_bool) == Some(true) {
        diesel::update(pending).set(case_disputes::escalated_at.eq(Some(event.occurred_at))).execute(conn)?;
    }
    Ok(())
}

/// What core's rules read of a case's parts, disputes and bounces.
#[derive(Debug, Clone, Default)]
pub struct JointRecord {
    pub open_parts: u32,
    /// When the case was last dispatched or reassigned.
    pub dispatched_at: Option<NaiveDateTime>,
    /// The pending dispute, when one waits.
    pub pending: Option<DisputeRow>,
    pub bounces: u32,
    pub flagged: bool,
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The record of `case_id` that core's rules read.
pub fn facts_of(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<JointRecord> {
    let case_id = case_id.to_string();
    let open_parts: i64 = case_parts::table
        .filter(case_parts::case_id.eq(&case_id))
        .filter(case_parts::state.eq_any(open_parts()))
        .count()
        .get_result(conn)?;
    let of_case = || case_events::table.filter(case_events::case_id.eq(&case_id));
    let dispatched_at: Option<NaiveDateTime> = of_case()
        .filter(case_events::kind.eq_any([Action::Dispatch.as_str(), Action::Reassign.as_str()]))
        .select(diesel::dsl::max(case_events::occurred_at))
        .first(conn)?;
    let bounces: i64 = of_case()
        .filter(case_events::kind.eq_any([Action::SendBack.as_str(), Action::Reassign.as_str()]))
        .count()
        .get_result(conn)?;
    let flags: i64 = of_case().filter(case_events::kind.eq(FLAGGED_TO_DISTRICT)).count().get_result(conn)?;
    let pending = case_disputes::table
        .filter(case_disputes::case_id.eq(&case_id))
        .filter(case_disputes::decision.is_null())
        .order(case_disputes::raised_at.desc())
        .select(DisputeRow::as_select())
        .first(conn)
        .optional()?;
    Ok(JointRecord {
        open_parts: count(open_parts),
        dispatched_at,
        pending,
        bounces: count(bounces),
        flagged: flags > 0,
    })
}

/// The parts of `case_id`, oldest first.
pub fn parts_of(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<Vec<PartRow>> {
    let case_id = case_id.to_string();
    Ok(case_parts::table
        .filter(case_parts::case_id.eq(&case_id))
        .order((case_parts::created_at, case_parts::id))
        .select(PartRow::as_select())
        .load(conn)?)
}

/// The disputes of `case_id`, oldest first.
pub fn disputes_of(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<Vec<DisputeRow>> {
    let case_id = case_id.to_string();
    Ok(case_disputes::table
        .filter(case_disputes::case_id.eq(&case_id))
        .order((case_disputes::raised_at, case_disputes::id))
        .select(DisputeRow::as_select())
        .load(conn)?)
}

/// One part of `case_id`.
pub fn find_part(conn: &mut DbConnection, case_id: CaseId, part_id: &str) -> StoreResult<Option<PartRow>> {
    let case_id = case_id.to_string();
    Ok(case_parts::table
        .filter(case_parts::case_id.eq(&case_id))
        .filter(case_parts::id.eq(part_id))
        .select(PartRow::as_select())
        .first(conn)
        .optional()?)
}

/// Whether `unit` has a part (in any state) on `case_id`: its handlers may read the case's
/// joint view.
pub fn unit_has_part(conn: &mut DbConnection, case_id: CaseId, unit: &str) -> StoreResult<bool> {
    let case_id = case_id.to_string();
    let n: i64 = case_parts::table
        .filter(case_parts::case_id.eq(&case_id))
        .filter(case_parts::unit_code.eq(unit))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The ids of the cases with an open part past its deadline and not flagged yet, oldest
/// deadline first, at most `limit`: the overdue sweep's work.
pub fn parts_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<(CaseId, String)>> {
    let due: Vec<(String, String)> = case_parts::table
        .filter(case_parts::state.eq_any([PartState::Assigned.as_str(), PartState::Accepted.as_str()]))
        .filter(case_parts::overdue.eq(false))
        .filter(case_parts::deadline.le(now))
        .order(case_parts::deadline)
        .limit(limit)
        .select((case_parts::case_id, case_parts::id))
        .load(conn)?;
    due.into_iter().map(|(case, part)| Ok((super::typed::stored_case_id(&case)?, part))).collect()
}

/// The ids of the cases whose pending dispute is past the arbiter's deadline and not sent to
/// the district yet, at most `limit`.
pub fn disputes_due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> StoreResult<Vec<CaseId>> {
    let due: Vec<String> = case_disputes::table
        .filter(case_disputes::decision.is_null())
        .filter(case_disputes::escalated_at.is_null())
        .filter(case_disputes::decide_by.lt(now))
        .order(case_disputes::decide_by)
        .limit(limit)
        .select(case_disputes::case_id)
        .load(conn)?;
    due.iter().map(|case| super::typed::stored_case_id(case)).collect()
}

/// Per unit figures of cases `scope` admits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitCounts {
    pub assignments: u64,
    pub parts: u64,
    pub finished: u64,
    pub on_time: u64,
    pub overdue: u64,
    pub sent_back: u64,
    pub closed: u64,
    /// Parts returned for rework at least once.
    pub reworked: u64,
    /// Rework steps on the unit's parts.
    pub reworks: u64,
    /// Parts finished at least once: finished now, or finished and then returned for rework.
    pub finished_once: u64,
    pub disputes: u64,
    pub upheld: u64,
    pub reassigned: u64,
}

fn n(x: i64) -> u64 {
    u64::try_from(x).unwrap_or(0)
}

/// Every unit's parts, disputes and assignments on the cases `scope` admits.
pub fn unit_figures(
    conn: &mut DbConnection,
    scope: &CaseFilter,
) -> StoreResult<BTreeMap<String, UnitCounts>> {
    let mut units: BTreeMap<String, UnitCounts> = BTreeMap::new();
    let query = case_parts::table
        .inner_join(cases::table)
        .filter(case_parts::state.ne(PartState::Withdrawn.as_str()))
        .select((case_parts::id, case_parts::unit_code, case_parts::state, case_parts::on_time))
        .into_boxed();
    if let Some(query) = crate::filter_by_scope!(query, scope) {
        let parts: Vec<(String, String, String, Option<bool>)> = query.load(conn)?;
        let steps = part_steps_in_scope(conn, scope)?;
        for (id, unit, state, on_time) in parts {
            let reworks = steps.reworks.get(&id).copied().unwrap_or(0);
            let finished = state == PartState::Finished.as_str();
            let figures = units.entry(unit).or_default();
            figures.parts += 1;
            figures.finished += u64::from(finished);
            figures.on_time += u64::from(on_time == Some(true));
            figures.overdue += u64::from(steps.marked_overdue.contains(&id));
            figures.sent_back += u64::from(state == PartState::SentBack.as_str());
            figures.closed += u64::from(state == PartState::Closed.as_str());
            figures.reworked += u64::from(reworks > 0);
            figures.reworks += reworks;
            // Only a finished part is reworked, so a reworked one was finished at least once.
            figures.finished_once += u64::from(finished || reworks > 0);
        }
    }
    let query = case_disputes::table
        .inner_join(cases::table)
        .select((case_disputes::unit_code, case_disputes::decision))
        .into_boxed();
    if let Some(query) = crate::filter_by_scope!(query, scope) {
        let disputes: Vec<(String, Option<String>)> = query.load(conn)?;
        for (unit, decision) in disputes {
            let figures = units.entry(unit).or_default();
            figures.disputes += 1;
            figures.upheld += u64::from(decision.as_deref() == Some("upheld"));
            figures.reassigned += u64::from(decision.as_deref() == Some("reassigned"));
        }
    }
    // Assignments from the events: the unit each dispatch or reassignment gave the case.
    let assigned = assignments_in_scope(conn, scope)?;
    for (unit, total) in assigned {
        units.entry(unit).or_default().assignments = n(total.unwrap_or(0));
    }
    Ok(units)
}

/// What the part steps' events say of each part (by its id), on the cases `scope` admits.
#[derive(Debug, Default)]
struct PartSteps {
    /// Rework steps per part.
    reworks: BTreeMap<String, u64>,
    /// The parts the overdue job flagged at least once (a rework clears the part's own flag).
    marked_overdue: std::collections::BTreeSet<String>,
}

fn part_steps_in_scope(conn: &mut DbConnection, scope: &CaseFilter) -> StoreResult<PartSteps> {
    use gridline_core::workflow::parts::PartAction;
    let kind = |action: PartAction| format!("{PART_EVENT_PREFIX}{}", action.as_str());
    let (rework, overdue) = (kind(PartAction::Rework), kind(PartAction::MarkOverdue));
    let query = case_events::table
        .inner_join(cases::table)
        .filter(case_events::kind.eq_any([rework.as_str(), overdue.as_str()]))
        .select((case_events::kind, case_events::details))
        .into_boxed();
    let mut steps = PartSteps::default();
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok(steps) };
    let events: Vec<(String, String)> = query.load(conn)?;
    for (kind, details) in events {
        let details = serde_json::from_str::<Value>(&details).ok();
        let Some(id) = details.as_ref().and_then(|d| d.get("part")).and_then(|p| text(p, "id")) else {
            continue;
        };
        if kind == rework {
            *steps.reworks.entry(id).or_default() += 1;
        } else {
            steps.marked_overdue.insert(id);
        }
    }
    Ok(steps)
}

fn assignments_in_scope(
    conn: &mut DbConnection,
    scope: &CaseFilter,
) -> StoreResult<Vec<(String, Option<i64>)>> {
    let query = case_events::table
        .inner_join(cases::table)
        .filter(case_events::kind.eq_any([Action::Dispatch.as_str(), Action::Reassign.as_str()]))
        .select(case_events::details)
        .into_boxed();
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok(Vec::new()) };
    let details: Vec<String> = query.load(conn)?;
    let mut per_unit: BTreeMap<String, i64> = BTreeMap::new();
    for d in details {
        if let Some(unit) = serde_json::from_str::<Value>(&d).ok().and_then(|v| text(&v, "handling_unit")) {
            *per_unit.entry(unit).or_default() += 1;
        }
    }
    Ok(per_unit.into_iter().map(|(u, c)| (u, Some(c))).collect())
}
