//! Cases on [`GridlineClient`]: an inspector's work list (incremental, by cursor), one case as
//! the caller may see it, and queuing a workflow step (verify on site, register a report) in
//! the outbox, checked against core's workflow rules first and sent in order by sync.

use gridline_core::device::CaseAction as CoreAction;
use gridline_core::photo::{PhotoOptions, prepare};
use serde_json::Value;

use crate::GridlineError;
use crate::client::GridlineClient;
use crate::geo::GeoPoint;
use crate::records::{OutboxItem, Position};
use crate::workflow::{CaseState, Role, WorkflowAction};

const WORKLIST: &str = "/api/v1/worklist";
const CASE: &str = "/api/v1/cases/{id}";

/// A string member of a server answer, or a protocol error naming it.
fn text(doc: &Value, key: &str) -> Result<String, GridlineError> {
    Ok(gridline_core::device::remote::text(CASE, doc, key)?)
}

/// A case id as a path segment, or the argument refused.
fn case_segment(case_id: &str) -> Result<&str, GridlineError> {
    gridline_core::device::remote::case_segment(case_id)
        .map_err(|_| GridlineError::invalid("case_id", "a case id is letters, digits and dashes"))
}

/// A case as the signed-in account may see it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CaseSummary {
    /// The case id.
    pub id: String,
    /// The number shown to people, e.g. `20260315-0042`.
    pub tracking_number: String,
    /// Where the case stands.
    pub state: CaseState,
    /// The category code.
    pub category: String,
    /// The reporter's description.
    pub description: String,
    /// Where it is (WGS-84); rounded to about 100 m in the public view.
    pub position: Option<GeoPoint>,
    /// The server ids of its photos (empty in the public view).
    pub photo_ids: Vec<String>,
    /// The steps the signed-in account may take now, by the server's rules.
    pub available_actions: Vec<WorkflowAction>,
    /// The case's version; it changes with every step.
    pub version: i64,
    /// The whole answer as JSON, for fields this record does not carry (deadline, rating...).
    pub json: String,
}

/// One change to the work list.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum WorkListChange {
    /// The case is on the list (new or changed): show it.
    Upsert {
        /// The case.
        case: CaseSummary,
    },
    /// The case left the list (verified, dispatched...): remove it.
    Removed {
        /// The case id.
        id: String,
        /// Its state now.
        state: CaseState,
    },
}

/// An answer of [`GridlineClient::work_list`].
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WorkList {
    /// The whole list (replace what is shown) rather than changes since the cursor.
    pub full: bool,
    /// The cases, or the changes.
    pub changes: Vec<WorkListChange>,
    /// Pass this as `cursor` next time to get only what changed.
    pub next_cursor: i64,
    /// More changes are waiting: call again with `next_cursor` now.
    pub more: bool,
}

/// A workflow step to queue.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CaseActionRequest {
    /// The case.
    pub case_id: String,
    /// The step.
    pub action: WorkflowAction,
    /// Why, for steps that need a reason (reject, verify_fail, send_back).
    #[uniffi(default)]
    pub reason: Option<String>,
    /// Where the actor stands (verification is done on site).
    #[uniffi(default)]
    pub position: Option<Position>,
    /// 1 to 5, for `Rate`.
    #[uniffi(default)]
    pub rating: Option<u8>,
}

fn case_from(doc: &Value) -> Result<CaseSummary, GridlineError> {
    let strings = |key: &str| -> Vec<String> {
        doc.get(key)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let position = doc
        .get("position")
        .and_then(|p| Some(GeoPoint { lat: p.get("lat")?.as_f64()?, lon: p.get("lon")?.as_f64()? }));
    Ok(CaseSummary {
        id: text(doc, "id")?,
        tracking_number: text(doc, "tracking_number").unwrap_or_default(),
        state: CaseState::parse(&text(doc, "state")?)?,
        category: text(doc, "category").unwrap_or_default(),
        description: text(doc, "description").unwrap_or_default(),
        position,
        photo_ids: strings("photo_ids"),
        available_actions: strings("available_actions")
            .iter()
            .map(|a| WorkflowAction::parse(a))
            .collect::<Result<_, _>>()?,
        version: doc.get("version").and_then(Value::as_i64).unwrap_or(0),
        json: doc.to_string(),
    })
}

fn change_from(doc: &Value) -> Result<WorkListChange, GridlineError> {
    match doc.get("change").and_then(Value::as_str) {
        Some("upsert") => {
            Ok(WorkListChange::Upsert { case: case_from(doc.get("case").unwrap_or(&Value::Null))? })
        }
        Some("removed") => Ok(WorkListChange::Removed {
            id: text(doc, "id")?,
            state: CaseState::parse(&text(doc, "state")?)?,
        }),
        _ => Err(GridlineError::Protocol { reason: "a work list change is upsert or removed".into() }),
    }
}

#[uniffi::export]
impl GridlineClient {
    /// The signed-in inspector's work list: with `cursor` 0 the whole list, with the
    /// `next_cursor` of an earlier answer only what changed since. Blocks on the network.
    /// Fails with `SignedOut`, `Refused` (status 403 for an account that is not an inspector)
    /// or `Network`.
    pub fn work_list(&self, cursor: i64) -> Result<WorkList, GridlineError> {
        let doc = self.device.remote().get(WORKLIST, &format!("/api/v1/worklist?cursor={cursor}"))?;
        let changes = doc
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| GridlineError::Protocol { reason: "expected an `items` list".into() })?
            .iter()
            .map(change_from)
            .collect::<Result<_, _>>()?;
        Ok(WorkList {
            full: doc.get("full").and_then(Value::as_bool).unwrap_or(false),
            changes,
            next_cursor: doc.get("next_cursor").and_then(Value::as_i64).unwrap_or(cursor),
            more: doc.get("more").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    /// One case as the signed-in account may see it (a reporter sees their own in full).
    /// Blocks on the network. Fails with `Refused` (status 404) for an unknown case and
    /// `InvalidInput` (field `case_id`) for text that cannot be a case id.
    pub fn fetch_case(&self, case_id: String) -> Result<CaseSummary, GridlineError> {
        case_from(&self.device.remote().get(CASE, &format!("/api/v1/cases/{}", case_segment(&case_id)?))?)
    }

    /// Queue a workflow step, checked first against the workflow from `known_state` (the state
    /// the phone last saw) for `role`, with photos straight from the camera (prepared like a
    /// report's). Steps on one case are sent in order by sync. Fails with `NotReady` naming
    /// what is missing (a reason, a photo, a position) or why the step is not allowed, and with
    /// `InvalidInput` (field `photo`) for bytes that are not a photo.
    pub fn queue_action(
        &self,
        request: CaseActionRequest,
        known_state: CaseState,
        role: Role,
        camera_photos: Vec<Vec<u8>>,
    ) -> Result<OutboxItem, GridlineError> {
        let photos = camera_photos
            .iter()
            .map(|bytes| prepare(bytes, &PhotoOptions::default()))
            .collect::<Result<Vec<_>, _>>()?;
        let action = CoreAction {
            case_id: request.case_id,
            action: request.action.into(),
            reason: request.reason,
            position: request.position.map(Into::into),
            rating: request.rating,
            comment: None,
        };
        Ok(self.device.queue_action(&action, known_state.into(), role.into(), &photos)?.into())
    }
}
