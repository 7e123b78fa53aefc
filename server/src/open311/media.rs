//! `GET /open311/v2/media/{token}.jpg`: the public photo behind a request's `media_url`.
//!
//! Only the first photo the reporter attached, only as the server prepared it (re-encoded, no
//! metadata), and only once the street office has registered the report (a person has looked at
//! it; a rejected one stays private) and when it was not sent anonymously. Anything else answers
//! like a missing photo, so the URL reveals nothing about cases it does not publish.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use gridline_core::codes::CaseId;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;

use super::render::{Fault, Format};
use crate::app::AppState;
use crate::store::cases;
use crate::store::open311;

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
    let Ok(id) = CaseId::parse(id) else { return Ok(None) };
    let photo = state
        .db
        .run(move |conn| {
            let Some(case) = cases::find(conn, id)? else { return Ok(None) };
            if !crate::public_view::is_photo_public(&case) {
                return Ok(None);
            }
            open311::first_photo(conn, id)
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
