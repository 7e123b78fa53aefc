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
use gridline_core::workflow::Role;
use serde_json::{Value, json};

use super::{load_case, may_see_reporter};
use crate::api::reports::rfc3339;
use crate::app::AppState;
use crate::auth::MaybePrincipal;
use crate::cases::facts::in_scope;
use crate::error::ApiResult;
use crate::store::events::{self, EventRow};

/// Steps whose reason is addressed to the public (the reporter is owed an explanation).
const PUBLIC_REASONS: &[&str] = &["reject", "close", "shelve", "extend", "reopen"];

/// `hide_reporter`: blank the actor id on the reporter's own events.
pub(crate) fn staff_entry(event: &EventRow, reporter_id: Option<&str>, hide_reporter: bool) -> Value {
    let by_reporter = reporter_id.is_some() && event.actor_id.as_deref() == reporter_id;
    let actor_id = if by_reporter && hide_reporter { None } else { event.actor_id.as_deref() };
    json!({
        "seq": event.seq,
        "kind": event.kind,
        "label": gridline_core::workflow::words::event_kind_names(&event.kind),
        "from_state": event.from_state,
        "to_state": event.to_state,
        "at": rfc3339(event.occurred_at),
        "actor": { "id": actor_id, "role": event.actor_role },
        "position": event.lat.zip(event.lon).map(|(lat, lon)| json!({
            "lat": lat, "lon": lon, "accuracy_m": event.accuracy_m,
        })),
        "reason": event.reason,
        "note": event.note,
        "photo_ids": serde_json::from_str::<Value>(&event.photo_ids).unwrap_or(Value::Null),
        "details": serde_json::from_str::<Value>(&event.details).unwrap_or(Value::Null),
    })
}

pub(crate) fn public_entry(event: &EventRow) -> Value {
    public_view(event, false)
}

/// Steps whose photos the reporter sees on their own case: the handling unit's after-photo,
/// which shows them the fix. Other steps' photos (an inspector's check) stay with the staff.
pub(crate) const PHOTOS_SHOWN_TO_THE_REPORTER: &[&str] = &["mark_handled"];

fn public_view(event: &EventRow, for_reporter: bool) -> Value {
    serde_json::to_value(public_entry_for(event, for_reporter)).unwrap_or(Value::Null)
}

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
        from_state: event.from_state.clone(),
        to_state: event.to_state.clone(),
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
    let entries: Vec<Value> = events
        .iter()
        .map(|e| {
            if !staff {
                return public_view(e, is_reporter);
            }
            let mut entry = staff_entry(e, reporter_id, hide_reporter);
            // Staff read who took a step by name; the public timeline names no one.
            if let Some(name) = e.actor_id.as_ref().and_then(|id| names.get(id)) {
                entry["actor"]["name"] = json!(name);
            }
            if let Some(name) = verifier_of(e).and_then(|id| names.get(&id)) {
                entry["details"]["verifier_name"] = json!(name);
            }
            entry
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "case_id": case.row.id,
        "view": if staff { "staff" } else { "public" },
        "events": entries,
    })))
}
