//! `GET /api/v1/categories`: every category with its names, time limit, anonymity rule,
//! duplicate radius and extra questions (public: apps need it before sign-in). The admin
//! side (create, edit) is in [`admin`].

pub mod admin;

use actix_web::{HttpResponse, http::header, web};
use gridline_core::protocol::CategoryList;
use gridline_core::taxonomy::Taxonomy;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::categories;

/// The shipped taxonomy is read outside `api/` too (Open311's service groups).
pub fn shipped() -> ApiResult<&'static Taxonomy> {
    categories::shipped().map_err(|e| ApiError::internal(format!("default taxonomy: {e}")))
}

pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let all = state.db.run(categories::list).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(CategoryList { categories: all }))
}
