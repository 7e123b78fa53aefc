//! `GET /api/v1/cases/{id}/timeline`: the case's audit trail, oldest first.
//!
//! Staff whose scope holds the case get every event in full: who (account id and role, and a
//! staff actor's display name), when,
//! where (GPS), the reason, the internal note, the photos and the step's facts, except that
//! the reporter's own account id is shown only to those who may see the reporter on the case
//! itself (dispatchers and admins, never for an anonymous report). Everyone else,
//! the reporter included, gets the public timeline: what happened and when, the handling unit,
//! deadlines and the public reasons (rejection, closure, shelving, extension, reopening), and
//! never a staff member's identity, a position or an internal note. Photos: the reporter gets
//! the handling unit's after-photos of their own case ([`PHOTOS_SHOWN_TO_THE_REPORTER`]), and
//! may read them; everyone else gets none.

use actix_web::{HttpResponse, web};
use gridline_core::protocol::PublicTimelineEntry;
use gridline_core::taxonomy::Names;
use gridline_core::workflow::{CaseState, Role};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::{load_case, may_see_reporter};
use crate::api::reports::rfc3339;
use crate::app::AppState;
use crate::auth::MaybePrincipal;
use crate::cases::facts::in_scope;
use crate::error::ApiResult;
use crate::store::events::{self, EventRow};

/// Steps whose reason is addressed to the public (the reporter is owed an explanation).
const PUBLIC_REASONS: &[&str] = &["reject", "close", "shelve", "extend", "reopen"];

/// `GET /api/v1/cases/{id}/timeline` (`Timeline` in the OpenAPI document): the staff view's
/// entries are [`StaffTimelineEntry`], everyone else's [`PublicTimelineEntry`].
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub case_id: String,
    pub view: TimelineView,
    pub events: Vec<TimelineEntry>,
}

/// Which view of the timeline an answer is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TimelineView {
    Staff,
    Public,
}

/// One entry of a timeline, in the answer's view.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum TimelineEntry {
    Staff(Box<StaffTimelineEntry>),
    Public(PublicTimelineEntry),
}

// Written by hand as `anyOf`: utoipa's untagged enum is a `oneOf`, and a staff entry, which
// holds every field of a public one, would match both.
impl utoipa::PartialSchema for TimelineEntry {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(StaffTimelineEntry::name()))
            .item(Ref::from_schema_name(PublicTimelineEntry::name()))
            .into()
    }
}

impl ToSchema for TimelineEntry {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((StaffTimelineEntry::name().into(), StaffTimelineEntry::schema()));
        StaffTimelineEntry::schemas(schemas);
        schemas.push((PublicTimelineEntry::name().into(), PublicTimelineEntry::schema()));
        PublicTimelineEntry::schemas(schemas);
    }
}

/// A step or event of a case in full, for the staff whose scope holds it (and the staff's live
/// events).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffTimelineEntry {
    /// The audit trail's sequence number.
    pub seq: i64,
    /// `reported`, or the step's wire name (`register`, `mark_handled`, ...).
    pub kind: String,
    /// The kind in words.
    pub label: Names,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: TimelineActor,
    /// Where the step was taken (GPS), when the client sent it.
    pub position: Option<EventPosition>,
    pub reason: Option<String>,
    /// The internal note.
    pub note: Option<String>,
    pub photo_ids: Vec<String>,
    /// The step's facts (`handling_unit`, `deadline`, `extension`, `verifier` and its
    /// `verifier_name`, ...).
    #[schema(value_type = Object)]
    pub details: serde_json::Map<String, Value>,
}

/// Who took a step.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineActor {
    /// The account; null for the system, and for the reporter where the reader may not see who
    /// reported.
    pub id: Option<String>,
    pub role: Option<String>,
    /// A staff actor's display name (the timeline's answer, not the live events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A step's GPS position (WGS-84).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPosition {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

/// `hide_reporter`: blank the actor id on the reporter's own events.
pub(crate) fn staff_entry(
    event: &EventRow,
    reporter_id: Option<&str>,
    hide_reporter: bool,
) -> StaffTimelineEntry {
    let by_reporter = reporter_id.is_some() && event.actor_id.as_deref() == reporter_id;
    let actor_id = if by_reporter && hide_reporter { None } else { event.actor_id.clone() };
    StaffTimelineEntry {
        seq: event.seq,
        kind: event.kind.clone(),
        label: gridline_core::workflow::words::event_kind_names(&event.kind),
        from_state: event.from_state,
        to_state: event.to_state,
        at: rfc3339(event.occurred_at),
        actor: TimelineActor { id: actor_id, role: event.actor_role.clone(), name: None },
        position: event.lat.zip(event.lon).map(|(lat, lon)| EventPosition {
            lat,
            lon,
            accuracy_m: event.accuracy_m,
        }),
        reason: event.reason.clone(),
        note: event.note.clone(),
        photo_ids: serde_json::from_str(&event.photo_ids).unwrap_or_default(),
        details: serde_json::from_str(&event.details).unwrap_or_default(),
    }
}

pub(crate) fn public_entry(event: &EventRow) -> PublicTimelineEntry {
    public_entry_for(event, false)
}

/// Steps whose photos the reporter sees on their own case: the handling unit's after-photo,
/// which shows them the fix. Other steps' photos (an inspector's check) stay with the staff.
pub(crate) const PHOTOS_SHOWN_TO_THE_REPORTER: &[&str] = &["mark_handled"];

/// The public entry of `event`; `for_reporter` adds the photos of the steps the reporter sees.
pub(crate) fn public_entry_for(event: &EventRow, for_reporter: bool) -> PublicTimelineEntry {
    let details = serde_json::from_str::<Value>(&event.details).unwrap_or(Value::Null);
    let mut public = serde_json::Map::new();
    // Never `merged_into`: the case a duplicate joined may be another reporter's, and its id is
    // not public (the reporter follows it by tracking number).
    for key in ["handling_unit", "deadline", "rating"] {
        if let Some(value) = details.get(key) {
            public.insert(key.to_owned(), value.clone());
        }
    }
    let reason = PUBLIC_REASONS.contains(&event.kind.as_str()).then_some(event.reason.clone()).flatten();
    let photo_ids = if for_reporter && PHOTOS_SHOWN_TO_THE_REPORTER.contains(&event.kind.as_str()) {
        serde_json::from_str::<Vec<String>>(&event.photo_ids).unwrap_or_default()
    } else {
        Vec::new()
    };
    PublicTimelineEntry {
        seq: event.seq,
        kind: event.kind.clone(),
        // The public entry keeps the states as text, so an app of an older release still reads a
        // timeline that names a state it does not know.
        from_state: event.from_state.map(|s| s.as_str().to_owned()),
        to_state: event.to_state.as_str().to_owned(),
        at: rfc3339(event.occurred_at),
        reason,
        details: public,
        photo_ids,
    }
}

/// The inspector an `assign_verifier` step gave the verification to, from its details.
fn verifier_of(event: &EventRow) -> Option<String> {
    let details: Value = serde_json::from_str(&event.details).ok()?;
    details.get("verifier")?.as_str().map(str::to_owned)
}

pub async fn timeline(
    state: web::Data<AppState>,
    who: MaybePrincipal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (case, (events, names)) = load_case(&state, &id, |conn, id| {
        let events = events::for_case(conn, id)?;
        // Who took each step, and the inspector a verification was given to (指派核查).
        let verifiers: Vec<String> = events.iter().filter_map(verifier_of).collect();
        let actors: Vec<&str> = events
            .iter()
            .filter_map(|e| e.actor_id.as_deref())
            .chain(verifiers.iter().map(String::as_str))
            .collect();
        let names = crate::store::actors::staff_names(conn, &actors)?;
        Ok((events, names))
    })
    .await?;
    let staff = who.0.as_ref().is_some_and(|w| w.role != Role::Citizen && in_scope(w, &case));
    let hide_reporter = !may_see_reporter(&case.row, who.0.as_ref());
    let reporter_id = case.row.reporter_id.as_deref();
    let is_reporter = who.0.as_ref().is_some_and(|w| Some(w.user_id.as_str()) == reporter_id);
    let entries = events
        .iter()
        .map(|e| {
            if !staff {
                return TimelineEntry::Public(public_entry_for(e, is_reporter));
            }
            let mut entry = staff_entry(e, reporter_id, hide_reporter);
            // Staff read who took a step by name; the public timeline names no one.
            entry.actor.name = e.actor_id.as_ref().and_then(|id| names.get(id)).cloned();
            if let Some(name) = verifier_of(e).and_then(|id| names.get(&id)) {
                entry.details.insert("verifier_name".into(), json!(name));
            }
            TimelineEntry::Staff(Box::new(entry))
        })
        .collect();
    Ok(HttpResponse::Ok().json(Timeline {
        case_id: case.row.id.to_string(),
        view: if staff { TimelineView::Staff } else { TimelineView::Public },
        events: entries,
    }))
}
