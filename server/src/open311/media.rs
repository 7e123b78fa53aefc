//! `GET /open311/v2/media/{token}.jpg`: the public photo behind a request's `media_url`.
//!
//! Only the first photo the reporter attached, only as the server prepared it (re-encoded, no
//! metadata), and only once the street office has registered the report (a person has looked at
//! it; a rejected one stays private) and when it was not sent anonymously. Anything else answers
//! like a missing photo, so the URL reveals nothing about cases it does not publish.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use gridline_core::workflow::CaseState;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;

use super::render::{Fault, Format};
use crate::app::AppState;
use crate::store::cases::{self, CaseRow};
use crate::store::open311;

/// Whether a street office has reviewed the report and accepted it as a case: only then are
/// the reporter's own words and photos published (an unreviewed or rejected report may hold
/// what was never meant for the public: a phone number, a face, abuse).
pub fn is_reviewed(case: &CaseRow) -> bool {
    !matches!(case.state, CaseState::Reported | CaseState::Rejected)
}

/// Whether a case's photo may be published.
pub fn is_public(case: &CaseRow) -> bool {
    !case.anonymous && is_reviewed(case)
}

pub async fn photo(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    match find(&state, &id).await {
        Ok(Some(bytes)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .content_type("image/jpeg")
            .body(bytes),
        Ok(None) => Fault::not_found("no such media").respond(Format::Xml),
        Err(fault) => fault.respond(Format::Xml),
    }
}

async fn find(state: &AppState, id: &str) -> Result<Option<bytes::Bytes>, Fault> {
    let Ok(id) = uuid::Uuid::parse_str(id) else { return Ok(None) };
    let id = id.to_string();
    let photo = state
        .db
        .run(move |conn| {
            let Some(case) = cases::find(conn, &id)? else { return Ok(None) };
            if !is_public(&case) {
                return Ok(None);
            }
            open311::first_photo(conn, &id)
        })
        .await?;
    let Some(photo) = photo else { return Ok(None) };
    let bytes = state
        .photos
        .get(&ObjectPath::from(photo.object_key.as_str()))
        .await
        .map_err(|e| Fault::from(crate::error::ApiError::unavailable(e)))?
        .bytes()
        .await
        .map_err(|e| Fault::from(crate::error::ApiError::unavailable(e)))?;
    Ok(Some(bytes))
}
