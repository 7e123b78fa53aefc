//! `GET /api/v1/reports/mine?limit=&cursor=`: the caller's own reports, with incremental sync.
//!
//! Without a cursor (or with `cursor=0`) the answer is the newest `limit` reports, newest
//! first (`"full": true`). With the `next_cursor` of an earlier answer it is only the reports
//! whose events came after it (`"full": false`), each with its current state, so a phone that
//! was offline for a day catches up in one request. A reporter's list never loses a report, so
//! there are no removals; a long backlog is answered in pages (`more: true`; call again with
//! the new cursor). A merged report also counts as changed when the case it follows changes
//! ([`super::follow`]).
//!
//! The cursor is the audit trail's event sequence number (see [`crate::store::events`]), as
//! for the work list, never a timestamp: sequence numbers commit in order, so nothing committed
//! after an answer can carry a number at or below its `next_cursor`.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use gridline_core::codes::CaseId;
use gridline_core::protocol::MyReportsPage;
use serde::Deserialize;

use super::ReportReceipt;
use crate::api::cases::worklist::PAGE_EVENTS;
use crate::app::AppState;
use crate::auth::{CaseFilter, Principal};
use crate::error::{ApiError, ApiResult};
use crate::store::typed::stored_case_id;
use crate::store::{StoreResult, cases, events};

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
pub struct MineQuery {
    limit: Option<i64>,
    cursor: Option<i64>,
}

pub async fn mine(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<MineQuery>,
) -> ApiResult<HttpResponse> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("expected 1..={MAX_LIMIT}")));
    }
    let cursor = query.cursor.unwrap_or(0);
    if cursor < 0 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "cursor is a next_cursor from an earlier answer, >= 0",
        )
        .with_field("cursor"));
    }
    let user = who.user_id.clone();
    let (rows, next_cursor, more) = state
        .db
        .run(move |conn| {
            // Read the high-water mark first: whatever commits later is in the next answer.
            let latest = events::latest_seq(conn)?;
            if cursor == 0 {
                return Ok((cases::list_by_reporter(conn, &user, limit)?, latest, false));
            }
            let own = CaseFilter::ReportedBy(user.clone());
            let mut changes = events::changes_in_scope(conn, &own, cursor, latest, PAGE_EVENTS)?;
            super::follow::add_followed_changes(conn, &user, cursor, latest, PAGE_EVENTS, &mut changes)?;
            // At least a page (a followed case's event may count for several reports): maybe more.
            let more = changes.len() as i64 >= PAGE_EVENTS;
            let through =
                if more { changes.last().map_or(latest, |(seq, _)| *seq) } else { latest.max(cursor) };
            let ids: BTreeSet<CaseId> =
                changes.iter().map(|(_, id)| stored_case_id(id)).collect::<StoreResult<_>>()?;
            let ids: Vec<CaseId> = ids.into_iter().collect();
            let mut rows: Vec<_> = cases::find_many_full(conn, &ids)?.into_iter().map(|c| c.row).collect();
            rows.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
            Ok((rows, through, more))
        })
        .await?;
    let reports: Vec<ReportReceipt> = state.db.run(move |conn| super::follow::receipts(conn, &rows)).await?;
    Ok(HttpResponse::Ok().json(MyReportsPage { reports, full: cursor == 0, next_cursor, more }))
}
