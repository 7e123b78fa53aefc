//! Handling units in the database: code, names, contact, the categories a unit handles (which
//! suggest it at dispatch) and the area it serves. A unit is retired (`retired_at` set), never
//! deleted: cases dispatched to it keep naming it, and a retired unit can be reinstated.
//!
//! Seeded from the shipped taxonomy when the table is empty ([`seed_if_empty`]): each shipped
//! unit handles the categories whose default unit it is. Dispatch asks [`find`] inside the
//! step's transaction, so a unit retired a moment ago is refused.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridline_core::codes::{AreaCode, AreaLevel, CategoryCode};
use gridline_core::taxonomy::{Taxonomy, is_unit_code};

use super::schema::handling_units;
use super::{DbConnection, StoreError, StoreResult};

/// One stored unit.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = handling_units)]
pub struct UnitRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub contact: String,
    /// A JSON array of category codes; read with [`UnitRow::categories`].
    pub categories: String,
    pub area: Option<String>,
    pub retired_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UnitRow {
    /// The category codes this unit handles.
    pub fn categories(&self) -> StoreResult<Vec<String>> {
        serde_json::from_str(&self.categories)
            .map_err(|e| StoreError::Corrupt(format!("unit {}: categories: {e}", self.code)))
    }

    pub fn is_active(&self) -> bool {
        self.retired_at.is_none()
    }
}

/// Encodes category codes for [`UnitRow::categories`].
pub fn encode_categories(codes: &[String]) -> String {
    serde_json::Value::from(codes.to_vec()).to_string()
}

/// Inserts the shipped taxonomy's units when no unit exists yet; each handles the categories
/// whose default unit it is. Returns how many were inserted.
pub fn seed_if_empty(conn: &mut DbConnection, taxonomy: &Taxonomy, now: NaiveDateTime) -> StoreResult<usize> {
    let rows: Vec<UnitRow> = taxonomy
        .units()
        .iter()
        .map(|unit| {
            let handled: Vec<String> = taxonomy
                .categories()
                .iter()
                .filter(|c| c.default_unit.as_deref() == Some(unit.code.as_str()))
                .map(|c| c.code.to_string())
                .collect();
            UnitRow {
                code: unit.code.clone(),
                name_zh: unit.names.zh.clone(),
                name_en: unit.names.en.clone(),
                contact: String::new(),
                categories: encode_categories(&handled),
                area: None,
                retired_at: None,
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    super::write_transaction(conn, |conn| {
        let existing: i64 = handling_units::table.count().get_result(conn)?;
        if existing > 0 {
            return Ok(0);
        }
        Ok(crate::batch_insert!(conn, handling_units::table, &rows)?)
    })
}

/// Every unit by code; retired ones too when `with_retired`.
pub fn list(conn: &mut DbConnection, with_retired: bool) -> StoreResult<Vec<UnitRow>> {
    let mut query =
        handling_units::table.select(UnitRow::as_select()).order(handling_units::code).into_boxed();
    if !with_retired {
        query = query.filter(handling_units::retired_at.is_null());
    }
    Ok(query.load(conn)?)
}

pub fn find(conn: &mut DbConnection, code: &str) -> StoreResult<Option<UnitRow>> {
    Ok(handling_units::table.find(code).select(UnitRow::as_select()).first(conn).optional()?)
}

/// Adds a unit (validated by the caller). `false` when its code is taken (by an active or a
/// retired unit: codes are never reused, so a case's unit always means one unit).
pub fn insert(conn: &mut DbConnection, row: &UnitRow) -> StoreResult<bool> {
    match diesel::insert_into(handling_units::table).values(row).execute(conn) {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the editable fields of the unit `row.code` (names, contact, categories, area and
/// whether it is retired). `false` when no unit has that code.
pub fn replace(conn: &mut DbConnection, row: &UnitRow) -> StoreResult<bool> {
    let changed = diesel::update(handling_units::table.find(&row.code))
        .set((
            handling_units::name_zh.eq(&row.name_zh),
            handling_units::name_en.eq(&row.name_en),
            handling_units::contact.eq(&row.contact),
            handling_units::categories.eq(&row.categories),
            handling_units::area.eq(&row.area),
            handling_units::retired_at.eq(row.retired_at),
            handling_units::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// A unit field that breaks a rule: which, and why (the admin API answers it as 422 on the
/// field, the command line prints it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadUnit {
    pub field: &'static str,
    pub reason: String,
}

impl std::fmt::Display for BadUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// The longest contact line (a phone number and a name, or an address).
pub const MAX_CONTACT_CHARS: usize = 200;
/// The longest unit name.
pub const MAX_NAME_CHARS: usize = 100;

/// Checks a unit's own fields (code, names, contact, area); [`check_categories`] checks its
/// categories against the database.
pub fn check_fields(row: &UnitRow) -> Result<(), BadUnit> {
    let bad = |field, reason: String| Err(BadUnit { field, reason });
    if !is_unit_code(&row.code) {
        return bad("code", "a unit code is 1-64 characters of a-z, 0-9, '_' or '-'".into());
    }
    for (field, name) in [("zh", &row.name_zh), ("en", &row.name_en)] {
        if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return bad(field, format!("expected a name of 1-{MAX_NAME_CHARS} characters"));
        }
    }
    if row.contact.chars().count() > MAX_CONTACT_CHARS {
        return bad("contact", format!("at most {MAX_CONTACT_CHARS} characters"));
    }
    if let Some(area) = &row.area {
        let level = AreaCode::parse(area).map(AreaCode::level);
        if !matches!(level, Ok(AreaLevel::District | AreaLevel::Street)) || area.trim() != area {
            return bad("area", "expected a district (6 digits) or street (9 digits) code".into());
        }
    }
    Ok(())
}

/// Every code names a stored category, in its canonical form; the inner `Err` says which not.
pub fn check_categories(conn: &mut DbConnection, codes: &[String]) -> StoreResult<Result<(), BadUnit>> {
    for code in codes {
        let known = match CategoryCode::parse(code) {
            Ok(parsed) if parsed.to_string() == *code => super::categories::find(conn, parsed)?.is_some(),
            _ => false,
        };
        if !known {
            return Ok(Err(BadUnit {
                field: "categories",
                reason: format!("{code:?} is not a category code (GET /api/v1/categories lists them)"),
            }));
        }
    }
    Ok(Ok(()))
}
