//! `GET /api/v1/categories`: every category with its names, time limit, anonymity rule,
//! duplicate radius and extra questions (public: apps need it before sign-in). The admin
//! side (create, edit) is in [`admin`].

pub mod admin;

use std::sync::LazyLock;

use actix_web::{HttpResponse, http::header, web};
use gridline_core::taxonomy::{Taxonomy, TaxonomyError};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::categories;

/// The taxonomy shipped in the binary, parsed once: its major classes and handling units (which
/// are not in the database) and the rules a category edit is checked against.
static SHIPPED: LazyLock<Result<Taxonomy, TaxonomyError>> = LazyLock::new(Taxonomy::default_taxonomy);

/// [`SHIPPED`], or a 500 if the embedded file were ever broken (a build that tests would fail).
pub fn shipped() -> ApiResult<&'static Taxonomy> {
    SHIPPED.as_ref().map_err(|e| ApiError::internal(format!("default taxonomy: {e}")))
}

pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let all = state.db.run(categories::list).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(serde_json::json!({ "categories": all })))
}
