//! Photo records: what the server stored in the object store for one upload, and the first
//! answer to each idempotent upload (`photo_uploads`, keyed by account and `Idempotency-Key`).

use diesel::prelude::*;

use super::schema::{photo_uploads, photos};
use super::{DbConnection, StoreResult, is_unique_violation};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = photos)]
pub struct PhotoRow {
    pub id: String,
    pub sha256: String,
    pub uploader_id: Option<String>,
    pub object_key: String,
    pub thumbnail_key: String,
    pub content_type: String,
    pub byte_size: i64,
    pub width: i32,
    pub height: i32,
    /// The core `CaptureMetadata` of the original, as JSON.
    pub capture_metadata: String,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &PhotoRow) -> StoreResult<()> {
    diesel::insert_into(photos::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<PhotoRow>> {
    Ok(photos::table.find(id).select(PhotoRow::as_select()).first(conn).optional()?)
}

pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<PhotoRow>> {
    Ok(photos::table.filter(photos::id.eq_any(ids)).select(PhotoRow::as_select()).load(conn)?)
}

/// The first upload made under one account's `Idempotency-Key`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = photo_uploads)]
pub struct UploadRow {
    pub account_id: String,
    pub idempotency_key: String,
    /// SHA-256 of the uploaded bytes, to tell a retry from a different upload.
    pub request_sha256: String,
    pub photo_id: String,
    /// The JSON body answered the first time.
    pub receipt: String,
    pub created_at: chrono::NaiveDateTime,
}

/// What happened to an idempotent photo insert.
#[derive(Debug)]
pub enum UploadOutcome {
    Created,
    /// The key was already used by this account (a retry, or a concurrent duplicate that won
    /// the race): nothing was written; here is the first upload.
    Existing(Box<UploadRow>),
}

/// Inserts the photo and its `photo_uploads` row in one transaction: when the key is taken,
/// the photo row is rolled back with it.
pub fn insert_keyed(
    conn: &mut DbConnection,
    row: &PhotoRow,
    upload: &UploadRow,
) -> StoreResult<UploadOutcome> {
    let result = super::write_transaction(conn, |conn| {
        diesel::insert_into(photos::table).values(row).execute(conn)?;
        diesel::insert_into(photo_uploads::table).values(upload).execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    });
    match result {
        Ok(()) => Ok(UploadOutcome::Created),
        Err(e) if is_unique_violation(&e) => {
            match find_upload(conn, &upload.account_id, &upload.idempotency_key)? {
                Some(existing) => Ok(UploadOutcome::Existing(Box::new(existing))),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub fn find_upload(conn: &mut DbConnection, account_id: &str, key: &str) -> StoreResult<Option<UploadRow>> {
    Ok(photo_uploads::table.find((account_id, key)).select(UploadRow::as_select()).first(conn).optional()?)
}

/// The cases one of whose workflow steps (a handler's after-photo, an inspector's check)
/// attached the photo `photo_id`: steps keep their photos in the event's `photo_ids`, not in
/// `case_photos`, which holds the report's own.
pub fn cases_with_step_photo(
    conn: &mut DbConnection,
    photo_id: &str,
) -> StoreResult<Vec<super::cases::CaseRow>> {
    cases_with_step_photo_of(conn, photo_id, None)
}

/// The cases on which a step of one of `kinds` (wire names) carries the photo: a reporter may
/// read the after-photo of their own case.
pub fn cases_with_step_photo_of_kinds(
    conn: &mut DbConnection,
    photo_id: &str,
    kinds: &[&str],
) -> StoreResult<Vec<super::cases::CaseRow>> {
    cases_with_step_photo_of(conn, photo_id, Some(kinds))
}

fn cases_with_step_photo_of(
    conn: &mut DbConnection,
    photo_id: &str,
    kinds: Option<&[&str]>,
) -> StoreResult<Vec<super::cases::CaseRow>> {
    use super::schema::{case_events, cases};
    // A photo id is a UUID, so its quoted form cannot match part of another id in the array.
    let quoted = format!("%\"{photo_id}\"%");
    let mut query = case_events::table
        .filter(case_events::photo_ids.like(quoted))
        .select(case_events::case_id)
        .distinct()
        .into_boxed();
    if let Some(kinds) = kinds {
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        query = query.filter(case_events::kind.eq_any(kinds));
    }
    let holding: Vec<String> = query.load(conn)?;
    if holding.is_empty() {
        return Ok(Vec::new());
    }
    Ok(cases::table
        .filter(cases::id.eq_any(holding))
        .select(super::cases::CaseRow::as_select())
        .load(conn)?)
}
