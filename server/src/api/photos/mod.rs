//! `/api/v1/photos`: upload (`POST`, multipart field `photo`) and read (`GET /{id}`,
//! `?size=thumbnail` for the preview).
//!
//! Uploads go through the core photo pipeline again on the server (orient, resize, strip every
//! metadata, hash), whatever the phone did; the original bytes are never stored. The JPEG and
//! its thumbnail go to the object store; the capture metadata read from the original is
//! returned and kept as a report field, not inside the image.
//!
//! An upload may carry an `Idempotency-Key` (a UUID; keys are per account). A retry with the
//! same key and the same bytes is answered with the first answer (200, `Idempotent-Replayed:
//! true`, same photo id) and stores nothing; of two concurrent duplicates one photo is stored
//! (the key's primary key decides, and the loser removes the objects it put). The same key
//! with different bytes is refused with 409 `idempotency_key_reused`. An upload without the
//! header is stored every time.
//!
//! Reads are authorized: the uploader, or staff whose scope holds a case the photo belongs
//! to. Answers carry an `ETag` (the SHA-256 of the bytes) and honour `If-None-Match`.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use gridline_core::photo::{CaptureMetadata, PhotoError, PhotoOptions, prepare};
use gridline_core::workflow::Role;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::api::idempotency::{self, MaybeIdempotencyKey};
use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::store::cases;
use crate::store::photos::{self, PhotoRow, UploadOutcome, UploadRow};

const PHOTO_FIELD: &str = "photo";

fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::PayloadTooLarge,
        "body_too_large",
        "the photo is larger than this server accepts",
    )
}

/// Reads the `photo` field, refusing more than `limit` bytes.
async fn read_photo_field(mut multipart: Multipart, limit: usize) -> ApiResult<Vec<u8>> {
    while let Some(field) = multipart.next().await {
        let mut field = field
            .map_err(|_| ApiError::bad_request("malformed_multipart", "the multipart body cannot be read"))?;
        if field.name() != Some(PHOTO_FIELD) {
            while let Some(chunk) = field.next().await {
                chunk.map_err(|_| {
                    ApiError::bad_request("malformed_multipart", "the multipart body cannot be read")
                })?;
            }
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| {
                ApiError::bad_request("malformed_multipart", "the multipart body cannot be read")
            })?;
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
    Err(ApiError::invalid_field(PHOTO_FIELD, "expected a multipart field named `photo` holding the image"))
}

fn photo_error(e: PhotoError) -> ApiError {
    match e {
        PhotoError::TooLarge { .. } | PhotoError::TooManyPixels { .. } => too_large().with_field(PHOTO_FIELD),
        PhotoError::UnsupportedFormat { .. } => {
            ApiError::new(ErrorKind::UnsupportedMediaType, "unsupported_photo_format", e.to_string())
                .with_field(PHOTO_FIELD)
        }
        PhotoError::Encode { .. } | PhotoError::InvalidOptions { .. } => ApiError::internal(e),
        _ => ApiError::invalid_field(PHOTO_FIELD, e.to_string()),
    }
}

/// `POST /api/v1/photos`: the stored photo (`Photo` in the OpenAPI document). Kept as text with
/// the upload, so a retry under the same `Idempotency-Key` is answered with the same bytes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Photo)]
pub struct PhotoReceipt {
    /// The photo's id, for `GET /api/v1/photos/{id}` and a report's `photo_ids`.
    #[schema(format = "uuid")]
    pub id: String,
    /// SHA-256 of the stored JPEG, in hex (also its `ETag`).
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub byte_size: usize,
    pub thumbnail: PhotoSize,
    /// The original's format: `jpeg`, `png` or `webp`.
    #[schema(value_type = String)]
    pub source_format: &'static str,
    /// What the original's EXIF said (position, altitude, time, orientation, camera), before it
    /// was stripped from the image.
    #[schema(value_type = Object)]
    pub capture: CaptureMetadata,
}

/// A stored image's size in pixels.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoSize {
    pub width: u32,
    pub height: u32,
}

/// The answer to a retried upload: the first receipt, or a refusal when the key was used for
/// other bytes.
fn replay(first: &UploadRow, request_sha256: &str) -> ApiResult<HttpResponse> {
    if first.request_sha256 != request_sha256 {
        return Err(ApiError::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was already used for a different photo",
        )
        .with_field(idempotency::HEADER));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("idempotent-replayed", "true"))
        .insert_header((header::LOCATION, format!("/api/v1/photos/{}", first.photo_id)))
        .content_type("application/json")
        .body(first.receipt.clone()))
}

pub async fn upload(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    MaybeIdempotencyKey(key): MaybeIdempotencyKey,
    multipart: Multipart,
) -> ApiResult<HttpResponse> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "unsupported_media_type",
            "expected multipart/form-data",
        ));
    }
    let limit = state.config.settings.photo_limit_bytes;
    let original = read_photo_field(multipart, limit).await?;
    let request_sha256 = hex::encode(Sha256::digest(&original));
    // A plain retry is answered before the pipeline runs again.
    if let Some(key) = key.clone() {
        let account = who.user_id.clone();
        if let Some(first) = state.db.run(move |conn| photos::find_upload(conn, &account, &key)).await? {
            return replay(&first, &request_sha256);
        }
    }
    let options = PhotoOptions { max_input_bytes: limit as u64, ..PhotoOptions::default() };
    let prepared = web::block(move || prepare(&original, &options))
        .await
        .map_err(ApiError::internal)?
        .map_err(photo_error)?;

    let id = uuid::Uuid::now_v7().to_string();
    let object_key = format!("photos/{id}.jpg");
    let thumbnail_key = format!("photos/{id}.thumb.jpg");
    let receipt = serde_json::to_string(&PhotoReceipt {
        id: id.clone(),
        sha256: prepared.sha256.clone(),
        width: prepared.width,
        height: prepared.height,
        byte_size: prepared.bytes.len(),
        thumbnail: PhotoSize { width: prepared.thumbnail.width, height: prepared.thumbnail.height },
        source_format: prepared.source_format.as_str(),
        capture: prepared.metadata.clone(),
    })
    .map_err(ApiError::internal)?;
    state
        .photos
        .put(&ObjectPath::from(object_key.as_str()), prepared.bytes.clone().into())
        .await
        .map_err(ApiError::unavailable)?;
    state
        .photos
        .put(&ObjectPath::from(thumbnail_key.as_str()), prepared.thumbnail.bytes.clone().into())
        .await
        .map_err(ApiError::unavailable)?;
    let now = chrono::Utc::now().naive_utc();
    let row = PhotoRow {
        id: id.clone(),
        sha256: prepared.sha256.clone(),
        uploader_id: Some(who.user_id.clone()),
        object_key: object_key.clone(),
        thumbnail_key: thumbnail_key.clone(),
        content_type: "image/jpeg".to_owned(),
        byte_size: prepared.bytes.len() as i64,
        width: prepared.width as i32,
        height: prepared.height as i32,
        capture_metadata: serde_json::to_string(&prepared.metadata).map_err(ApiError::internal)?,
        created_at: now,
    };
    let outcome = match key {
        None => {
            state.db.run(move |conn| photos::insert(conn, &row)).await.map(|()| UploadOutcome::Created)?
        }
        Some(key) => {
            let upload = UploadRow {
                account_id: who.user_id.clone(),
                idempotency_key: key,
                request_sha256: request_sha256.clone(),
                photo_id: id.clone(),
                receipt: receipt.clone(),
                created_at: now,
            };
            state.db.run(move |conn| photos::insert_keyed(conn, &row, &upload)).await?
        }
    };
    if let UploadOutcome::Existing(first) = outcome {
        // A concurrent duplicate won: its photo is the one; ours was never recorded.
        for key in [object_key, thumbnail_key] {
            if let Err(e) = state.photos.delete(&ObjectPath::from(key.as_str())).await {
                tracing::warn!(error = %e, "could not remove the objects of a duplicate upload");
            }
        }
        return replay(&first, &request_sha256);
    }
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/photos/{id}")))
        .content_type("application/json")
        .body(receipt))
}

#[derive(Debug, Deserialize)]
pub struct PhotoQuery {
    #[serde(default)]
    size: Option<String>,
}

/// Whether `who` may see the photo: its uploader; staff holding one of its cases, whether the
/// photo came with the report or with a step taken on the case (so the inspector who must
/// verify a fix sees the handler's after-photo); or the reporter of a case on which a step
/// whose photos the reporter sees carries it (the after-photo of their own report, as their
/// timeline lists it).
fn may_read(
    who: &Principal,
    photo: &PhotoRow,
    holding_cases: &[cases::CaseRow],
    shown_to_reporters_of: &[cases::CaseRow],
) -> bool {
    if photo.uploader_id.as_deref() == Some(who.user_id.as_str()) {
        return true;
    }
    if shown_to_reporters_of.iter().any(|case| case.reporter_id.as_deref() == Some(who.user_id.as_str())) {
        return true;
    }
    who.role != Role::Citizen
        && holding_cases.iter().any(|case| who.can_see_case(&crate::api::cases::visibility(case)))
}

pub async fn get(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<PhotoQuery>,
) -> ApiResult<HttpResponse> {
    let thumbnail = match query.size.as_deref() {
        None | Some("full") => false,
        Some("thumbnail") => true,
        Some(_) => return Err(ApiError::invalid_field("size", "expected full or thumbnail")),
    };
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found("photo"))?.to_string();
    let found = state
        .db
        .run(move |conn| {
            let Some(photo) = photos::find(conn, &id)? else { return Ok(None) };
            let mut holding = cases::cases_with_photo(conn, &id)?;
            holding.extend(photos::cases_with_step_photo(conn, &id)?);
            let shown = photos::cases_with_step_photo_of_kinds(
                conn,
                &id,
                crate::api::cases::timeline::PHOTOS_SHOWN_TO_THE_REPORTER,
            )?;
            Ok(Some((photo, holding, shown)))
        })
        .await?;
    // Someone else's photo answers exactly like a missing one.
    let photo = match found {
        Some((photo, holding, shown)) if may_read(&who, &photo, &holding, &shown) => photo,
        _ => return Err(ApiError::not_found("photo")),
    };
    let etag =
        if thumbnail { format!("\"{}-thumbnail\"", photo.sha256) } else { format!("\"{}\"", photo.sha256) };
    if let Some(unchanged) = crate::api::not_modified(&req, &etag) {
        return Ok(unchanged);
    }
    let key = if thumbnail { &photo.thumbnail_key } else { &photo.object_key };
    let bytes = state
        .photos
        .get(&ObjectPath::from(key.as_str()))
        .await
        .map_err(ApiError::unavailable)?
        .bytes()
        .await
        .map_err(ApiError::unavailable)?;
    if !thumbnail && hex::encode(Sha256::digest(&bytes)) != photo.sha256 {
        return Err(ApiError::internal("stored photo does not match its SHA-256"));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .content_type("image/jpeg")
        .body(bytes))
}
