//! Photo records: what the server stored in the object store for one upload.

use diesel::prelude::*;

use super::schema::photos;
use super::{DbConnection, StoreResult};

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
