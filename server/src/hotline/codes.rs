//! The hotline's own category codes (GB/T 39666 style) and the category each maps to, a table
//! the city edits (`hotline_codes`, a small default mapping shipped in its migration). The
//! operator may name a call's problem by its hotline code; the server maps it to the category
//! whose questions are asked and whose unit handles it.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::schema::hotline_codes;
use crate::store::{DbConnection, StoreResult};

/// The longest code: a class and its matters, digits only.
pub const MAX_CODE_CHARS: usize = 12;
/// The longest name.
pub const MAX_NAME_CHARS: usize = 100;

/// One code and the category it maps to.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = hotline_codes)]
pub struct HotlineCode {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The category of the taxonomy a call of this code is filed under.
    pub category_code: String,
    #[serde(skip)]
    pub updated_at: i64,
}

/// `GET /api/v1/hotline/codes`'s answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HotlineCodes {
    pub codes: Vec<HotlineCode>,
}

/// `PUT /api/v1/admin/hotline-codes/{code}`: the code's names and category.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HotlineCodeEdit {
    pub name_zh: String,
    pub name_en: String,
    pub category_code: String,
}

/// Whether `code` is a hotline code's form: 2 to 12 digits. The error names what is wrong.
pub fn check_code(code: &str) -> Result<(), String> {
    if (2..=MAX_CODE_CHARS).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("a hotline code is 2 to {MAX_CODE_CHARS} digits"))
    }
}

/// The names' problem, if any: (field, reason).
pub fn check_names(edit: &HotlineCodeEdit) -> Result<(), (&'static str, String)> {
    for (field, name) in [("name_zh", &edit.name_zh), ("name_en", &edit.name_en)] {
        let chars = name.trim().chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err((field, format!("1 to {MAX_NAME_CHARS} characters")));
        }
    }
    Ok(())
}

pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<HotlineCode>> {
    Ok(hotline_codes::table.order(hotline_codes::code.asc()).select(HotlineCode::as_select()).load(conn)?)
}

pub fn find(conn: &mut DbConnection, code: &str) -> StoreResult<Option<HotlineCode>> {
    Ok(hotline_codes::table.find(code).select(HotlineCode::as_select()).first(conn).optional()?)
}

/// Creates or replaces `row`; whether it was new.
pub fn put(conn: &mut DbConnection, row: &HotlineCode) -> StoreResult<bool> {
    crate::store::write_transaction(conn, |conn| {
        let replaced = diesel::delete(hotline_codes::table.find(&row.code)).execute(conn)?;
        diesel::insert_into(hotline_codes::table).values(row).execute(conn)?;
        Ok(replaced == 0)
    })
}

/// Removes `code`; whether there was one.
pub fn delete(conn: &mut DbConnection, code: &str) -> StoreResult<bool> {
    Ok(diesel::delete(hotline_codes::table.find(code)).execute(conn)? > 0)
}
