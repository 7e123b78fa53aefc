//! `GET /api/v1/worklist?cursor=N`: an inspector's work list, with incremental sync.
//!
//! The list holds every open case in the inspector's own cells: `reported` (new reports, to
//! confirm on site when the street office asks), `handled` (to verify on site), and those with
//! the street office or a handling unit in between (`registered`, `dispatched`, `in_progress`),
//! so the inspector knows the area and sees what is overdue. A case leaves the list when it is
//! closed, rejected, merged or shelved. Without a cursor (or with `cursor=0`) the
//! answer is the whole list. With the `next_cursor` of an earlier answer it is only the cases
//! whose events came after it: each one either still in the list (`"change": "upsert"`, with
//! the case) or no longer (`"change": "removed"`, with its id and state), so a phone offline
//! for a day catches up in one request.
//!
//! The cursor is the audit trail's event sequence number ([`crate::store::events`]), never a
//! timestamp: sequence numbers commit in order, so nothing committed after an answer can carry
//! a number at or below its `next_cursor`. A long backlog is answered in pages (`more: true`;
//! call again with the new cursor).

use std::collections::{BTreeSet, HashMap};

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use gridline_core::codes::CaseId;
use gridline_core::protocol::{WorklistItem, WorklistPage};
use gridline_core::workflow::{CaseState, Role};
use serde::Deserialize;

use super::{View, render};
use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::{ApiError, ApiResult};
use crate::store::StoreResult;
use crate::store::cases::{self, FullCase};
use crate::store::events;
use crate::store::typed::stored_case_id;

/// Most events read for one incremental answer.
pub const PAGE_EVENTS: i64 = 1_000;
/// Most cases in a full list.
pub const MAX_LIST: i64 = 2_000;

/// The states that put a case on an inspector's list.
const LIST_STATES: [CaseState; 5] = [
    CaseState::Reported,
    CaseState::Registered,
    CaseState::Dispatched,
    CaseState::InProgress,
    CaseState::Handled,
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorklistQuery {
    #[serde(default)]
    pub cursor: Option<i64>,
}

fn on_list(case: &FullCase) -> bool {
    LIST_STATES.contains(&case.row.state)
}

fn upsert(
    case: &FullCase,
    who: &Principal,
    photos: &mut HashMap<CaseId, Vec<String>>,
    now: DateTime<Utc>,
) -> WorklistItem {
    let photo_ids = photos.remove(&case.row.id).unwrap_or_default();
    WorklistItem::Upsert { case: Box::new(render(case, View::Staff, Some(who), photo_ids, now)) }
}

pub async fn worklist(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<WorklistQuery>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Inspector])?;
    let cursor = query.cursor.unwrap_or(0);
    if cursor < 0 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "cursor is a next_cursor from an earlier answer, >= 0",
        )
        .with_field("cursor"));
    }
    let scope = who.case_filter();
    let (grids, verifier): (Vec<String>, String) = match &scope {
        CaseFilter::GridIn { grids, verifier } => {
            (grids.iter().map(ToString::to_string).collect(), verifier.clone())
        }
        _ => (Vec::new(), String::new()),
    };
    let states: Vec<&'static str> = LIST_STATES.iter().map(|s| s.as_str()).collect();
    let answer = state
        .db
        .run(move |conn| {
            // Read the high-water mark first: whatever commits later is in the next answer.
            let latest = events::latest_seq(conn)?;
            if cursor == 0 {
                let list = cases::in_grids_with_states(conn, &grids, &verifier, &states, MAX_LIST)?;
                let photos = cases::photo_ids_of(conn, &list)?;
                return Ok((list, Vec::new(), photos, latest, false, true));
            }
            let changes = events::changes_in_scope(conn, &scope, cursor, latest, PAGE_EVENTS)?;
            let more = changes.len() as i64 == PAGE_EVENTS;
            let through =
                if more { changes.last().map_or(latest, |(seq, _)| *seq) } else { latest.max(cursor) };
            let ids: BTreeSet<CaseId> =
                changes.iter().map(|(_, id)| stored_case_id(id)).collect::<StoreResult<_>>()?;
            let ids: Vec<CaseId> = ids.into_iter().collect();
            let changed = cases::find_many_full(conn, &ids)?;
            let photos = cases::photo_ids_of(conn, &changed)?;
            Ok((Vec::new(), changed, photos, through, more, false))
        })
        .await?;
    let (list, changed, mut photos, next_cursor, more, full) = answer;
    let now = state.clock.now();
    let items: Vec<WorklistItem> = if full {
        list.iter().map(|case| upsert(case, &who, &mut photos, now)).collect()
    } else {
        changed
            .iter()
            .map(|case| {
                if on_list(case) {
                    upsert(case, &who, &mut photos, now)
                } else {
                    WorklistItem::Removed { id: case.row.id.to_string(), state: case.row.state }
                }
            })
            .collect()
    };
    Ok(HttpResponse::Ok().json(WorklistPage { full, items, next_cursor, more }))
}
