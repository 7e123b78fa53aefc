//! `GET /api/v1/warnings/scan`: the space-time scan over the caller's scope, answered as it ran
//! and kept nowhere. The query, the cells, the scope and the budget of one request are the
//! service's ([`crate::warnings::scan`]); `POST /api/v1/warnings/scan` keeps what it finds as
//! signals ([`super::signals`]).

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;
pub use crate::warnings::scan::{ScanCluster, WarningScan};
use crate::warnings::scan::{ScanTerms, run_scan};

pub async fn scan_places(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::WATCHERS)?;
    Ok(HttpResponse::Ok().json(run_scan(&state, &who, &query, ScanTerms::REQUEST).await?))
}
