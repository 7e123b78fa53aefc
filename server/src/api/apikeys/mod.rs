//! `GET/POST /api/v1/admin/api-keys` and `DELETE /api/v1/admin/api-keys/{id}`: the keys other
//! systems present as Open311's `api_key` to submit service requests. Admin only. A new key is
//! answered once, in `key`; only its hash and first characters are kept. Revoking keeps the row,
//! so the cases a key brought in still say where they came from.

use actix_web::{HttpResponse, web};
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::auth::{Principal, now};
use crate::error::{ApiError, ApiResult};
use crate::store::api_keys::{self, ApiKeyRow};

/// Longest key name, in characters.
const MAX_NAME_CHARS: usize = 100;

pub async fn list(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let keys = state.db.run(api_keys::list).await?;
    Ok(HttpResponse::Ok().json(ApiKeyList { api_keys: keys }))
}

/// `GET /api/v1/admin/api-keys`: newest first, revoked ones included.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub api_keys: Vec<ApiKeyRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// Who the key is for, e.g. "City 311 app".
    #[schema(schema_with = holder_name_schema)]
    pub name: String,
}

/// A key holder's name as [`holder_name`] takes it.
pub fn holder_name_schema() -> utoipa::openapi::Object {
    crate::api::openapi::text_schema(1, MAX_NAME_CHARS, None)
}

/// `POST /api/v1/admin/api-keys`: the stored key and, this once, the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyIssued {
    pub api_key: ApiKeyRow,
    /// The key, shown this once
    pub key: String,
}

pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<CreateKey>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let name = holder_name(&body.into_inner().name)?;
    let (key, row) = api_keys::generate(name, who.user_id.clone(), now());
    let stored = row.clone();
    state.db.run(move |conn| api_keys::insert(conn, &stored)).await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(ApiKeyIssued { api_key: row, key }))
}

/// The name of a key's holder (an Open311 client, a sensor system), trimmed: 1 to
/// `MAX_NAME_CHARS` characters.
pub fn holder_name(raw: &str) -> ApiResult<String> {
    let name = raw.trim().to_owned();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ApiError::invalid_field("name", format!("expected 1 to {MAX_NAME_CHARS} characters")));
    }
    Ok(name)
}

pub async fn revoke(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found("API key"))?.to_string();
    let revoked = state.db.run(move |conn| api_keys::revoke(conn, &id, now())).await?;
    let row = revoked.ok_or_else(|| ApiError::not_found("API key"))?;
    Ok(HttpResponse::Ok().json(row))
}
