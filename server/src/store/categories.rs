//! Categories in the database: the core `Category` kept whole as JSON in `definition`, with the
//! columns a query needs beside it. Seeded from the default taxonomy when the table is empty.

use chrono::Utc;
use diesel::prelude::*;
use gridline_core::codes::CategoryCode;
use gridline_core::taxonomy::{Category, Taxonomy};

use super::schema::categories;
use super::{DbConnection, StoreError, StoreResult};

#[derive(Insertable)]
#[diesel(table_name = categories)]
struct NewCategoryRow {
    code: String,
    kind: String,
    name_zh: String,
    name_en: String,
    anonymous_allowed: bool,
    duplicate_radius_m: f64,
    definition: String,
    updated_at: chrono::NaiveDateTime,
}

fn decode(definition: &str) -> StoreResult<Category> {
    serde_json::from_str(definition).map_err(|e| StoreError::Corrupt(format!("category definition: {e}")))
}

fn row_of(category: &Category, now: chrono::NaiveDateTime) -> StoreResult<NewCategoryRow> {
    Ok(NewCategoryRow {
        code: category.code.to_string(),
        kind: category.code.kind().as_str().to_owned(),
        name_zh: category.names.zh.clone(),
        name_en: category.names.en.clone(),
        anonymous_allowed: category.anonymous_allowed,
        duplicate_radius_m: f64::from(category.duplicate_radius_m),
        definition: serde_json::to_string(category)
            .map_err(|e| StoreError::Corrupt(format!("category {}: {e}", category.code)))?,
        updated_at: now,
    })
}

/// Inserts every category of `taxonomy` when no category exists yet. Returns how many were
/// inserted (0 when the table already had some).
pub fn seed_if_empty(conn: &mut DbConnection, taxonomy: &Taxonomy) -> StoreResult<usize> {
    let now = Utc::now().naive_utc();
    let rows = taxonomy.categories().iter().map(|c| row_of(c, now)).collect::<StoreResult<Vec<_>>>()?;
    conn.transaction(|conn| {
        let existing: i64 = categories::table.count().get_result(conn)?;
        if existing > 0 {
            return Ok(0);
        }
        Ok(crate::batch_insert!(conn, categories::table, &rows)?)
    })
}

/// Adds a category (already validated by the caller). `false` when its code is taken.
pub fn insert(conn: &mut DbConnection, category: &Category) -> StoreResult<bool> {
    let row = row_of(category, Utc::now().naive_utc())?;
    match diesel::insert_into(categories::table).values(&row).execute(conn) {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Replaces a stored category by `category` (same code; validated by the caller). `false` when
/// no category has that code.
pub fn replace(conn: &mut DbConnection, category: &Category) -> StoreResult<bool> {
    let row = row_of(category, Utc::now().naive_utc())?;
    let changed = diesel::update(categories::table.find(&row.code))
        .set((
            categories::name_zh.eq(&row.name_zh),
            categories::name_en.eq(&row.name_en),
            categories::anonymous_allowed.eq(row.anonymous_allowed),
            categories::duplicate_radius_m.eq(row.duplicate_radius_m),
            categories::definition.eq(&row.definition),
            categories::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

pub fn find(conn: &mut DbConnection, code: CategoryCode) -> StoreResult<Option<Category>> {
    let definition: Option<String> =
        categories::table.select(categories::definition).find(code.to_string()).first(conn).optional()?;
    definition.as_deref().map(decode).transpose()
}

pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<Category>> {
    let definitions: Vec<String> =
        categories::table.select(categories::definition).order(categories::code).load(conn)?;
    definitions.iter().map(|d| decode(d)).collect()
}
