//! `GET /api/v1/reports/mine?limit=`: the caller's own reports, newest first.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::ReportReceipt;
use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::store::cases;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
pub struct MineQuery {
    limit: Option<i64>,
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
    let user = who.user_id.clone();
    let rows = state.db.run(move |conn| cases::list_by_reporter(conn, &user, limit)).await?;
    let reports: Vec<ReportReceipt> = rows.iter().map(ReportReceipt::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "reports": reports })))
}
