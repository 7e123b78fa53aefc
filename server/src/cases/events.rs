//! One constructor per kind of audit event, so every row of `case_events` is built in one place
//! for its kind: [`reported`] (intake), [`step`] (a person's workflow step) and [`overdue`]
//! (the overdue job's `mark_overdue` and `escalate`, taken by the `system` role), and
//! [`seeded`] (a generated history, `gridline seed`). The store numbers them on insert.

use chrono::{DateTime, Utc};
use gridline_core::codes::CaseId;
use gridline_core::geo::GeoPoint;
use gridline_core::workflow::{CaseState, DeadlineChange, DeadlineSource, Effect, Role, Step};
use serde_json::{Map, Value, json};

use crate::clock::rfc3339;
use crate::store::cases::{CaseRow, FullCase, PlaceChange};
use crate::store::events::EventRow;

/// The fields every event shares; the rest start empty.
fn base(case_id: CaseId, kind: &str, from: Option<CaseState>, to: CaseState, at: DateTime<Utc>) -> EventRow {
    EventRow {
        // Its time is the event's: on PostgreSQL the event is stored in that month's partition.
        id: gridline_core::codes::uuid_v7_at(at).to_string(),
        case_id,
        kind: kind.to_owned(),
        from_state: from,
        to_state: to,
        actor_id: None,
        actor_role: None,
        note: None,
        lat: None,
        lon: None,
        occurred_at: at.naive_utc(),
        seq: 0,
        reason: None,
        accuracy_m: None,
        photo_ids: "[]".to_owned(),
        details: "{}".to_owned(),
        idempotency_key: None,
        request_sha256: None,
    }
}

/// The first event of a new case: `reported`, by its reporter, where the report was made. A
/// report that routed to no cell says so (`details.routing`: `triage`), which the statistics
/// count.
pub fn reported(case: &CaseRow, at: DateTime<Utc>) -> EventRow {
    let mut event = EventRow {
        actor_id: case.reporter_id.clone(),
        actor_role: case.reporter_role.clone(),
        lat: Some(case.lat),
        lon: Some(case.lon),
        ..base(case.id, crate::store::events::REPORTED, None, CaseState::Reported, at)
    };
    if case.routing_outcome == TRIAGE {
        event.details = json!({ "routing": TRIAGE }).to_string();
    }
    event
}

/// The routing outcome of a point in no cell.
pub(crate) const TRIAGE: &str = "triage";

/// Who took a step, and what they sent with it beyond what the step's effects record.
#[derive(Debug, Clone)]
pub struct StepEvidence {
    pub actor_id: String,
    pub actor_role: Role,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub position: Option<GeoPoint>,
    pub accuracy_m: Option<f64>,
    pub photo_ids: Vec<String>,
    /// The rating's comment (staff timeline only, never on the case).
    pub comment: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_sha256: String,
}

/// The event of a person's step on `case`: the action, the actor and what the step changed
/// (`details`: handling unit, deadline and its source, merge target, rating).
pub fn step(case: &FullCase, step: &Step, evidence: StepEvidence, at: DateTime<Utc>) -> EventRow {
    let t = &step.transition;
    EventRow {
        actor_id: Some(evidence.actor_id),
        actor_role: Some(evidence.actor_role.as_str().to_owned()),
        note: evidence.note.filter(|n| !n.trim().is_empty()),
        lat: evidence.position.map(|p| p.lat()),
        lon: evidence.position.map(|p| p.lon()),
        reason: evidence.reason.filter(|r| !r.trim().is_empty()),
        accuracy_m: evidence.accuracy_m,
        photo_ids: json!(evidence.photo_ids).to_string(),
        details: Value::Object(step_details(case, step, evidence.comment)).to_string(),
        idempotency_key: evidence.idempotency_key,
        request_sha256: Some(evidence.request_sha256),
        ..base(case.row.id, t.action.as_str(), Some(t.from), t.to, at)
    }
}

/// What the step changed, as the timeline and the statistics read it.
fn step_details(case: &FullCase, step: &Step, comment: Option<String>) -> Map<String, Value> {
    use gridline_core::workflow::Change;
    let mut details = Map::new();
    match &step.handling_unit {
        Change::Set(unit) => details.insert("handling_unit".into(), json!(unit)),
        // The unit that refused the case stays in its event.
        Change::Clear => details.insert("handling_unit".into(), json!(case.row.handling_unit)),
        Change::Keep => None,
    };
    if let DeadlineChange::Set { due, source } = &step.deadline {
        details.insert("deadline".into(), json!(rfc3339(due.naive_utc())));
        if let DeadlineSource::Extension { number, .. } = source {
            details.insert("extension".into(), json!(number));
        }
    } else if step.deadline == DeadlineChange::Clear
        && step.transition.effects.contains(&Effect::SetsDeadline)
    {
        // A dispatch of a case without a handling time limit: no deadline, said so.
        details.insert("deadline".into(), Value::Null);
    }
    if let Change::Set(target) = &step.merged_into {
        details.insert("merged_into".into(), json!(target));
    }
    if let Change::Set(inspector) = &step.verifier {
        details.insert("verifier".into(), json!(inspector));
    }
    if let Some(satisfaction) = step.satisfaction {
        details.insert("satisfaction".into(), json!(satisfaction));
        if let Some(resolved) = step.resolved {
            details.insert("resolved".into(), json!(resolved));
        }
    }
    // Joint handling and disputes: the parts the step sets, the dispute, the district flag.
    super::joint::step_details(case, step, &mut details);
    if let Some(rating) = step.rating {
        details.insert("rating".into(), json!(rating));
        if let Some(comment) = comment.filter(|c| !c.trim().is_empty()) {
            details.insert("comment".into(), json!(comment));
        }
    }
    details
}

/// Writes into a `relocate` event where the case was and where it goes (`details.from` and
/// `details.to`: cell, street and routing outcome), for the timeline and the audit.
pub fn relocated(event: &mut EventRow, case: &CaseRow, to: &PlaceChange) {
    let mut details: Map<String, Value> = serde_json::from_str(&event.details).unwrap_or_default();
    details.insert(
        "from".into(),
        json!({
            "grid": case.grid_code.map(|g| g.to_string()),
            "street": case.street_code,
            "routing": case.routing_outcome,
            "lat": case.lat,
            "lon": case.lon,
        }),
    );
    details.insert(
        "to".into(),
        json!({ "grid": to.grid_code, "street": to.street_code, "routing": to.routing_outcome }),
    );
    event.details = Value::Object(details).to_string();
}

/// The overdue job's two events for `case` at `at`: `mark_overdue`, then `escalate`, the
/// notice to the street office that holds the case (`details.to`).
pub fn overdue(case: &FullCase, marked: &Step, escalated: &Step, at: DateTime<Utc>) -> Vec<EventRow> {
    let deadline = case.workflow.deadline.map(rfc3339);
    let system = |step: &Step, details: Value| EventRow {
        actor_role: Some(Role::System.as_str().to_owned()),
        details: details.to_string(),
        ..base(
            case.row.id,
            step.transition.action.as_str(),
            Some(step.transition.from),
            step.transition.to,
            at,
        )
    };
    vec![
        system(marked, json!({ "deadline": deadline })),
        system(
            escalated,
            json!({
                "deadline": deadline,
                "to": { "role": Role::Dispatcher.as_str(), "street": case.row.street_code },
            }),
        ),
    ]
}

/// A step of a generated history (`gridline seed`): `kind` by someone of `role`, with the facts
/// the statistics read in `details` (handling unit, deadline, rating).
pub fn seeded(
    case_id: CaseId,
    kind: &str,
    (from, to): (Option<CaseState>, CaseState),
    role: Role,
    details: Value,
    at: DateTime<Utc>,
) -> EventRow {
    EventRow {
        actor_role: Some(role.as_str().to_owned()),
        details: details.to_string(),
        ..base(case_id, kind, from, to, at)
    }
}

/// A person's step on a helper part (`part_accept`, `part_finish`, ...; [`super::joint`]): the
/// case's state is unchanged, `details.part` names the part and its new state.
pub fn part_step(
    case: &FullCase,
    kind: &str,
    evidence: StepEvidence,
    details: Value,
    at: DateTime<Utc>,
) -> EventRow {
    let state = case.row.state;
    EventRow {
        actor_id: Some(evidence.actor_id),
        actor_role: Some(evidence.actor_role.as_str().to_owned()),
        note: evidence.note.filter(|n| !n.trim().is_empty()),
        reason: evidence.reason.filter(|r| !r.trim().is_empty()),
        photo_ids: json!(evidence.photo_ids).to_string(),
        details: details.to_string(),
        ..base(case.row.id, kind, Some(state), state, at)
    }
}

/// A step the `system` takes on a case without changing its state (a part marked overdue, a
/// dispute sent to the district), with its `details`.
pub fn system_step(case: &FullCase, kind: &str, details: Value, at: DateTime<Utc>) -> EventRow {
    let state = case.row.state;
    EventRow {
        actor_role: Some(Role::System.as_str().to_owned()),
        details: details.to_string(),
        ..base(case.row.id, kind, Some(state), state, at)
    }
}

/// `cleared_by_sensor`: every alarm of a sensor case has had its all-clear. The state does not
/// change (an inspector still verifies on site); `details` names the alarm group and how many
/// alarms it carried.
pub fn cleared_by_sensor(case_id: CaseId, state: CaseState, details: Value, at: DateTime<Utc>) -> EventRow {
    EventRow {
        actor_role: Some(Role::System.as_str().to_owned()),
        details: details.to_string(),
        ..base(case_id, "cleared_by_sensor", Some(state), state, at)
    }
}

/// `command_register` (战时立案): the `system` put a new report of an area under emergency
/// command straight into the command unit's queue; `details` names the emergency, its level,
/// the command unit, the limits the case keeps, and whether it is a drill.
pub fn command_register(case: &FullCase, step: &Step, details: Value, at: DateTime<Utc>) -> EventRow {
    system_transition(case, step, details, at)
}

/// A step core decided for the `system` role (`command_register`, `sensor_close`), with its
/// `details`.
pub fn system_transition(case: &FullCase, step: &Step, details: Value, at: DateTime<Utc>) -> EventRow {
    let t = &step.transition;
    EventRow {
        actor_role: Some(Role::System.as_str().to_owned()),
        details: details.to_string(),
        ..base(case.row.id, t.action.as_str(), Some(t.from), t.to, at)
    }
}
