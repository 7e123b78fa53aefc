//! The statistics' facts of every event (`case_stat_facts`): what each event counts for in
//! `GET /api/v1/stats`, worked out once when the event is written instead of on every call.
//!
//! - **What a fact holds**: the marks of the figures the event counts in (received, registered,
//!   dispatched, verified, reworked, extended, closed, the first response, a call-back and its
//!   answers), a closure's verdict against the
//!   deadline in force and the start of its handling cycle, a rating, and the case's state and
//!   deadline before and after the event. A period's figures then read the facts inside the
//!   period (plus one fact per quiet case falling due in it), never the events of a case's
//!   whole history, its JSON details or core's state machine.
//! - **What it does not hold**: the case's place, category, unit and channel. The figures group
//!   a case by its row as it is now (a relocated case counts in its new cell, a redispatched
//!   one under its new unit), so the read joins the case row, as it always has.
//! - **Live**: [`record`] and [`record_many`] derive each event's fact from the case's previous
//!   fact, in the transaction that inserts the event ([`super::events::insert`],
//!   [`super::events::insert_many`]).
//! - **Proof**: [`compare`] derives every case's facts again from its events ([`derive`], the
//!   one definition) and lists the differences; [`rebuild`] writes them in place. `gridline
//!   summaries rebuild [--check]` runs both with the per-day summaries.
//!
//! The definitions of the figures are in `docs/statistics.md`; how facts become figures is in
//! [`crate::api::stats::compute`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use gridline_core::codes::CaseId;
use gridline_core::workflow::callback::Satisfaction;
use gridline_core::workflow::{self, Action, CaseState, Effect, Role};
use serde_json::Value;

use super::events::EventRow;
use super::schema::{case_events, case_stat_facts, cases};
use super::typed::NullableText;
use super::{DbConnection, StoreResult};

/// The bits of [`Fact::marks`]: the figures an event counts in.
pub mod marks {
    /// The report itself (`reported`).
    pub const RECEIVED: i32 = 1;
    pub const REGISTERED: i32 = 1 << 1;
    pub const DISPATCHED: i32 = 1 << 2;
    /// A verification, passed or failed.
    pub const VERIFIED: i32 = 1 << 3;
    /// A step core counts as rework.
    pub const REWORKED: i32 = 1 << 4;
    /// A step core counts as an extension.
    pub const EXTENDED: i32 = 1 << 5;
    /// The case closes (from a state other than closed).
    pub const CLOSED: i32 = 1 << 6;
    /// The street office closes a handled case without the inspector's verification on site
    /// (its reason is on the event): never silent, counted on its own.
    pub const CLOSED_UNVERIFIED: i32 = 1 << 7;
    /// A report that routed to no grid cell (the triage queue).
    pub const TRIAGED: i32 = 1 << 8;
    /// The street office gives a case a new place (`relocate`).
    pub const RELOCATED: i32 = 1 << 9;
    /// The first step that takes the case out of `reported` (registered, rejected, merged,
    /// answered, transferred...): the response the response rate times.
    pub const RESPONDED: i32 = 1 << 10;
    /// A call-back (回访) to the reporter.
    pub const CALLED_BACK: i32 = 1 << 11;
    /// A call-back answered satisfied or basically satisfied.
    pub const CALLBACK_SATISFIED: i32 = 1 << 12;
    /// A call-back that asked "is the problem solved?"...
    pub const RESOLUTION_ASKED: i32 = 1 << 13;
    /// ...and heard yes.
    pub const RESOLVED: i32 = 1 << 14;
}

/// Cases whose facts are compared or rebuilt per transaction.
const CASES_PER_BATCH: i64 = 500;

/// One event's fact, as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_stat_facts)]
#[diesel(treat_none_as_default_value = false)]
pub struct Fact {
    /// Parsed once, like the states, when the row is read: a stored value core does not
    /// accept fails the read.
    #[diesel(deserialize_as = super::typed::Parsed<CaseId>, serialize_as = String)]
    pub case_id: CaseId,
    /// The event's sequence number.
    pub seq: i64,
    pub occurred_at: NaiveDateTime,
    /// [`marks`] bits.
    pub marks: i32,
    /// A closure: 1 when it came by the deadline in force, 0 when late, none without one.
    pub on_time: Option<i32>,
    /// When the handling cycle in force after the event began (its first dispatch); a closure's
    /// handling time runs from it.
    pub cycle_start: Option<NaiveDateTime>,
    /// A rating the event recorded.
    pub rating: Option<i32>,
    #[diesel(deserialize_as = super::typed::Parsed<Option<CaseState>>, serialize_as = NullableText)]
    pub state_before: Option<CaseState>,
    pub deadline_before: Option<NaiveDateTime>,
    #[diesel(deserialize_as = super::typed::Parsed<Option<CaseState>>, serialize_as = NullableText)]
    pub state_after: Option<CaseState>,
    pub deadline_after: Option<NaiveDateTime>,
}

/// What a case carries from one event to the next.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Carry {
    pub state: Option<CaseState>,
    pub deadline: Option<NaiveDateTime>,
    pub cycle_start: Option<NaiveDateTime>,
}

impl Carry {
    fn after(fact: &Fact) -> Carry {
        Carry { state: fact.state_after, deadline: fact.deadline_after, cycle_start: fact.cycle_start }
    }
}

/// The effects core gives this event's step; none for intake or a step core does not know.
fn effects_of(event: &EventRow) -> Vec<Effect> {
    let step = (
        event.from_state,
        event.kind.parse::<Action>().ok(),
        event.actor_role.as_deref().and_then(|r| r.parse::<Role>().ok()),
    );
    match step {
        (Some(from), Some(action), Some(role)) => {
            workflow::decide(from, action, role).map(|t| t.effects.to_vec()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// A time in a step's details, to the microsecond both databases keep.
fn parse_time(value: &Value) -> Option<NaiveDateTime> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc).naive_utc().trunc_subsecs(6))
}

/// The fact of `event`, given what its case carried before it: the one definition of what an
/// event counts for. What a step does to the deadline, and whether it is a rework, an
/// extension or a rating, is asked of core's state machine, so the figures follow the rules
/// the case was handled under.
pub fn derive(before: &Carry, event: &EventRow) -> Fact {
    let at = event.occurred_at;
    let action = event.kind.parse::<Action>().ok();
    // Only deadlines and ratings read the details: most events never parse them.
    let details = || serde_json::from_str::<Value>(&event.details).unwrap_or(Value::Null);
    let mut counted = 0;
    if event.kind == super::events::REPORTED {
        counted |= marks::RECEIVED;
        if details()["routing"] == "triage" {
            counted |= marks::TRIAGED;
        }
    }
    let mut cycle_start = before.cycle_start;
    match action {
        Some(Action::Reopen) => cycle_start = None,
        Some(Action::Dispatch) => {
            cycle_start = cycle_start.or(Some(at));
            counted |= marks::DISPATCHED;
        }
        Some(Action::Register) => counted |= marks::REGISTERED,
        Some(Action::VerifyPass | Action::VerifyFail) => counted |= marks::VERIFIED,
        Some(Action::Relocate) => counted |= marks::RELOCATED,
        Some(Action::Close) if event.from_state == Some(CaseState::Handled) => {
            counted |= marks::CLOSED_UNVERIFIED
        }
        _ => {}
    }
    if before.state == Some(CaseState::Reported) && event.to_state != CaseState::Reported {
        counted |= marks::RESPONDED;
    }
    let mut on_time = None;
    if event.to_state == CaseState::Closed && event.from_state != Some(CaseState::Closed) {
        counted |= marks::CLOSED;
        on_time = before.deadline.map(|deadline| i32::from(at <= deadline));
    }
    let (mut deadline, mut rating) = (before.deadline, None);
    for effect in effects_of(event) {
        match effect {
            Effect::SetsDeadline | Effect::ExtendsDeadline => deadline = parse_time(&details()["deadline"]),
            Effect::ClearsDeadline => deadline = None,
            Effect::CountsRework => counted |= marks::REWORKED,
            Effect::CountsExtension => counted |= marks::EXTENDED,
            Effect::RecordsCallBack => {
                let details = details();
                counted |= marks::CALLED_BACK;
                let answer = details["satisfaction"].as_str().and_then(|a| a.parse::<Satisfaction>().ok());
                if answer.is_some_and(Satisfaction::counts_as_satisfied) {
                    counted |= marks::CALLBACK_SATISFIED;
                }
                if let Some(resolved) = details["resolved"].as_bool() {
                    counted |= marks::RESOLUTION_ASKED | if resolved { marks::RESOLVED } else { 0 };
                }
            }
            Effect::RecordsRating => {
                rating = details()["rating"].as_u64().and_then(|r| u8::try_from(r).ok()).map(i32::from)
            }
            _ => {}
        }
    }
    Fact {
        case_id: event.case_id,
        seq: event.seq,
        occurred_at: at,
        marks: counted,
        on_time,
        cycle_start,
        rating,
        state_before: before.state,
        deadline_before: before.deadline,
        state_after: Some(event.to_state),
        deadline_after: deadline,
    }
}

/// The facts of one case's events (in sequence order).
fn derive_case(events: &[EventRow]) -> Vec<Fact> {
    let mut carry = Carry::default();
    events
        .iter()
        .map(|event| {
            let fact = derive(&carry, event);
            carry = Carry::after(&fact);
            fact
        })
        .collect()
}

/// What the case carried after its last stored fact.
fn carried(conn: &mut DbConnection, case_id: &str) -> QueryResult<Carry> {
    let last = case_stat_facts::table
        .filter(case_stat_facts::case_id.eq(case_id))
        .order(case_stat_facts::seq.desc())
        .select(Fact::as_select())
        .first(conn)
        .optional()?;
    Ok(last.as_ref().map(Carry::after).unwrap_or_default())
}

/// Stores the fact of `event`. Call inside the transaction that inserts the event, after it
/// was numbered.
pub fn record(conn: &mut DbConnection, event: &EventRow) -> QueryResult<()> {
    let before = carried(conn, &event.case_id.to_string())?;
    diesel::insert_into(case_stat_facts::table).values(derive(&before, event)).execute(conn)?;
    Ok(())
}

/// [`record`] for all of `events` (in sequence order) with multi-row inserts: a report opens
/// its case, so the intake writer's batch reads nothing back.
pub fn record_many(conn: &mut DbConnection, events: &[EventRow]) -> QueryResult<()> {
    let mut carries: HashMap<CaseId, Carry> = HashMap::new();
    let mut facts = Vec::with_capacity(events.len());
    for event in events {
        let before = match carries.get(&event.case_id) {
            Some(carry) => carry.clone(),
            None if event.kind == super::events::REPORTED && event.from_state.is_none() => Carry::default(),
            None => carried(conn, &event.case_id.to_string())?,
        };
        let fact = derive(&before, event);
        carries.insert(event.case_id, Carry::after(&fact));
        facts.push(fact);
    }
    // Eleven parameters a row: well under SQLite's 32,766 per statement.
    for chunk in facts.chunks(1000) {
        crate::batch_insert!(conn, case_stat_facts::table, chunk.to_vec())?;
    }
    Ok(())
}

/// A stored fact that differs from the one derived from the events (either may be missing).
#[derive(Debug, Clone, PartialEq)]
pub struct FactDifference {
    pub stored: Option<Fact>,
    pub from_events: Option<Fact>,
}

/// What a comparison of the facts saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactComparison {
    pub cases: usize,
    /// Facts derived from the events (one per event).
    pub facts: usize,
    pub differences: Vec<FactDifference>,
}

/// The events of `case_ids`, by case and in sequence order.
fn events_of(conn: &mut DbConnection, case_ids: &[String]) -> QueryResult<Vec<EventRow>> {
    case_events::table
        .filter(case_events::case_id.eq_any(case_ids))
        .order((case_events::case_id, case_events::seq))
        .select(EventRow::as_select())
        .load(conn)
}

fn derive_all(events: &[EventRow]) -> Vec<Fact> {
    events.chunk_by(|a, b| a.case_id == b.case_id).flat_map(derive_case).collect()
}

fn stored_of(conn: &mut DbConnection, case_ids: &[String]) -> QueryResult<Vec<Fact>> {
    case_stat_facts::table
        .filter(case_stat_facts::case_id.eq_any(case_ids))
        .order((case_stat_facts::case_id, case_stat_facts::seq))
        .select(Fact::as_select())
        .load(conn)
}

fn differences(stored: Vec<Fact>, fresh: &[Fact]) -> Vec<FactDifference> {
    let mut by_key: HashMap<(CaseId, i64), Fact> =
        stored.into_iter().map(|f| ((f.case_id, f.seq), f)).collect();
    let mut out = Vec::new();
    for fact in fresh {
        match by_key.remove(&(fact.case_id, fact.seq)) {
            Some(stored) if stored == *fact => {}
            stored => out.push(FactDifference { stored, from_events: Some(fact.clone()) }),
        }
    }
    let mut left: Vec<Fact> = by_key.into_values().collect();
    left.sort_by_key(|f| (f.case_id, f.seq));
    out.extend(left.into_iter().map(|f| FactDifference { stored: Some(f), from_events: None }));
    out
}

/// The facts of new cases from their `events` (by case, in sequence order), without the
/// database: a batch of `gridline seed` derives them while the one before is written, and
/// stores them with [`add_new_cases`]. A fact's sequence number is its event's.
pub fn derive_new_cases(events: &[EventRow]) -> Vec<Fact> {
    derive_all(events)
}

/// Stores the facts of cases that have none yet ([`derive_new_cases`]).
pub fn add_new_cases(conn: &mut DbConnection, facts: &[Fact]) -> QueryResult<()> {
    insert(conn, facts)
}

fn replace(conn: &mut DbConnection, case_ids: &[String], fresh: &[Fact]) -> QueryResult<()> {
    for ids in case_ids.chunks(1000) {
        diesel::delete(case_stat_facts::table.filter(case_stat_facts::case_id.eq_any(ids))).execute(conn)?;
    }
    insert(conn, fresh)
}

fn insert(conn: &mut DbConnection, facts: &[Fact]) -> QueryResult<()> {
    for chunk in facts.chunks(1000) {
        crate::batch_insert!(conn, case_stat_facts::table, chunk.to_vec())?;
    }
    Ok(())
}

/// Compares the stored facts with those derived from the events; writes nothing.
pub fn compare(conn: &mut DbConnection) -> StoreResult<FactComparison> {
    walk(conn, false)
}

/// Replaces the stored facts by those derived from the events; the comparison is of what was
/// stored before.
pub fn rebuild(conn: &mut DbConnection) -> StoreResult<FactComparison> {
    walk(conn, true)
}

/// Goes through every case a batch at a time (each batch under the event writers' lock, so a
/// running server may keep writing), then through facts whose case is gone.
fn walk(conn: &mut DbConnection, write: bool) -> StoreResult<FactComparison> {
    let mut comparison = FactComparison::default();
    let mut after = String::new();
    loop {
        // Between batches, work whose request is gone stops (see `super::cancel`).
        super::check_cancelled()?;
        let (ids, fresh, stored) = super::write_transaction(conn, |conn| {
            super::summaries::hold_event_writers(conn)?;
            if write && matches!(conn, DbConnection::Sqlite(_)) {
                // Take SQLite's writer lock before reading, so nothing is written in between.
                diesel::sql_query("DELETE FROM case_stat_facts WHERE 1 = 0").execute(conn)?;
            }
            let ids: Vec<String> = cases::table
                .filter(cases::id.gt(&after))
                .order(cases::id)
                .limit(CASES_PER_BATCH)
                .select(cases::id)
                .load(conn)?;
            let fresh = derive_all(&events_of(conn, &ids)?);
            let stored = stored_of(conn, &ids)?;
            if write {
                replace(conn, &ids, &fresh)?;
            }
            QueryResult::Ok((ids, fresh, stored))
        })?;
        let Some(last) = ids.last() else { break };
        after = last.clone();
        comparison.cases += ids.len();
        comparison.facts += fresh.len();
        comparison.differences.extend(differences(stored, &fresh));
    }
    let orphans: Vec<Fact> = super::write_transaction(conn, |conn| {
        let known = cases::table.select(cases::id);
        let orphans = case_stat_facts::table
            .filter(case_stat_facts::case_id.ne_all(known))
            .select(Fact::as_select())
            .load(conn)?;
        if write && !orphans.is_empty() {
            diesel::delete(
                case_stat_facts::table
                    .filter(case_stat_facts::case_id.ne_all(cases::table.select(cases::id))),
            )
            .execute(conn)?;
        }
        QueryResult::Ok(orphans)
    })?;
    comparison
        .differences
        .extend(orphans.into_iter().map(|f| FactDifference { stored: Some(f), from_events: None }));
    Ok(comparison)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, from: Option<&str>, to: &str, role: &str, at: &str, details: Value) -> EventRow {
        EventRow {
            id: String::new(),
            case_id: CaseId::parse("0193a000-0000-7000-8000-000000000001").unwrap(),
            kind: kind.to_owned(),
            from_state: from.map(|s| s.parse().unwrap()),
            to_state: to.parse().unwrap(),
            actor_id: None,
            actor_role: Some(role.to_owned()),
            note: None,
            lat: None,
            lon: None,
            occurred_at: DateTime::parse_from_rfc3339(at).unwrap().naive_utc(),
            seq: 0,
            reason: None,
            accuracy_m: None,
            photo_ids: "[]".to_owned(),
            details: details.to_string(),
            idempotency_key: None,
            request_sha256: None,
        }
    }

    #[test]
    fn a_late_closure_carries_its_cycle_and_verdict() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().naive_utc();
        let events = [
            event("reported", None, "reported", "citizen", "2026-11-02T01:00:00Z", Value::Null),
            event(
                "register",
                Some("reported"),
                "registered",
                "dispatcher",
                "2026-11-02T02:00:00Z",
                Value::Null,
            ),
            event(
                "dispatch",
                Some("registered"),
                "dispatched",
                "dispatcher",
                "2026-11-02T03:00:00Z",
                serde_json::json!({ "handling_unit": "water", "deadline": "2026-11-03T04:00:00Z" }),
            ),
            event(
                "accept",
                Some("dispatched"),
                "in_progress",
                "handler",
                "2026-11-02T05:00:00Z",
                Value::Null,
            ),
            event(
                "mark_handled",
                Some("in_progress"),
                "handled",
                "handler",
                "2026-11-04T01:00:00Z",
                Value::Null,
            ),
            event("verify_pass", Some("handled"), "closed", "inspector", "2026-11-04T02:00:00Z", Value::Null),
        ];
        let facts = derive_case(&events);
        assert_eq!(facts[0].marks, marks::RECEIVED);
        assert_eq!(facts[1].marks, marks::REGISTERED | marks::RESPONDED, "the first step out of reported");
        assert_eq!(facts[2].marks, marks::DISPATCHED, "a response is counted once");
        assert_eq!(facts[2].deadline_after, Some(t("2026-11-03T04:00:00Z")));
        let closing = &facts[5];
        assert_eq!(closing.marks, marks::VERIFIED | marks::CLOSED);
        assert_eq!(closing.on_time, Some(0), "closed a day after the deadline");
        assert_eq!(closing.cycle_start, Some(t("2026-11-02T03:00:00Z")));
        assert_eq!(closing.state_before, Some(CaseState::Handled));
        assert_eq!(closing.state_after, Some(CaseState::Closed));
    }
}
