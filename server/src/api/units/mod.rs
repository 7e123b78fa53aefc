//! Handling units:
//!
//! - `GET /api/v1/units[?category=E0101&grid=...]`: the active units a case can be dispatched to
//!   (public, like the categories: the apps and the dashboard fill their pickers from it). With
//!   a category, `suggested` names the unit to preselect: an active unit that handles the
//!   category and serves the grid's area (the most local one first), else one that handles it
//!   anywhere, else the category's default unit when that is active.
//! - `GET/POST /api/v1/admin/units`, `PATCH /api/v1/admin/units/{code}`: the city's admin lists
//!   (retired ones too), creates and edits units; `{"active": false}` retires a unit and
//!   `{"active": true}` reinstates it. `DELETE` is refused (409 `units_are_retired`): a unit
//!   is never deleted, so the cases dispatched to it keep their history.
//!
//! A unit's code follows the rule of core's taxonomy (the same codes a category's default unit
//! uses); its categories must exist; its area is a district (6 digits) or a street (9 digits),
//! or absent for the whole city. Dispatch accepts only active units (the case service checks).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use gridline_core::codes::{
    AreaCode, CANONICAL_CATEGORY_CODE_PATTERN, CategoryCode, DISTRICT_OR_STREET_CODE_PATTERN, GridCode,
};
use gridline_core::taxonomy::UNIT_CODE_PATTERN;
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::openapi::{NOT_BLANK_PATTERN, text_schema};
use crate::app::AppState;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::store::units::{
    self, BadUnit, MAX_CONTACT_CHARS, MAX_NAME_CHARS, UnitRow, check_categories, check_fields,
    encode_categories,
};
use crate::store::{StoreResult, categories};

/// A unit as answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unit {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub contact: String,
    /// The category codes the unit handles (they suggest it at dispatch).
    pub categories: Vec<String>,
    /// The district or street it serves; `null` for the whole city.
    pub area: Option<String>,
    pub active: bool,
    /// RFC 3339, when the unit was retired.
    pub retired_at: Option<String>,
}

impl Unit {
    fn of(row: &UnitRow) -> StoreResult<Self> {
        Ok(Self {
            code: row.code.clone(),
            zh: row.name_zh.clone(),
            en: row.name_en.clone(),
            contact: row.contact.clone(),
            categories: row.categories()?,
            area: row.area.clone(),
            active: row.is_active(),
            retired_at: row.retired_at.map(rfc3339),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitList {
    pub units: Vec<Unit>,
    /// With `?category=`: the unit to preselect at dispatch, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub category: Option<String>,
    pub grid: Option<String>,
}

pub async fn list(state: web::Data<AppState>, query: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let category = query
        .category
        .as_deref()
        .map(|c| CategoryCode::parse(c).map_err(|e| ApiError::invalid_field("category", e.to_string())))
        .transpose()?;
    let grid = query
        .grid
        .as_deref()
        .map(|g| GridCode::parse(g).map_err(|e| ApiError::invalid_field("grid", e.to_string())))
        .transpose()?;
    let (rows, default_unit) = state
        .db
        .run(move |conn| {
            let rows = units::list(conn, false)?;
            let default_unit = match category {
                Some(code) => categories::find(conn, code)?.and_then(|c| c.default_unit),
                None => None,
            };
            Ok((rows, default_unit))
        })
        .await?;
    let units = rows.iter().map(Unit::of).collect::<StoreResult<Vec<_>>>()?;
    let suggested = category.and_then(|c| suggest(&units, &c.to_string(), grid, default_unit.as_deref()));
    Ok(HttpResponse::Ok()
        // Units change through the admin API: a picker must not offer a retired one for long.
        .insert_header((header::CACHE_CONTROL, "public, no-cache"))
        .json(UnitList { units, suggested }))
}

/// The active unit to preselect for a case of `category` in `grid`; see the module's doc.
pub fn suggest(
    active: &[Unit],
    category: &str,
    grid: Option<GridCode>,
    default_unit: Option<&str>,
) -> Option<String> {
    let serves = |unit: &Unit| match (&unit.area, grid) {
        (None, _) => Some(0),
        (Some(area), Some(grid)) => {
            AreaCode::parse(area).ok().filter(|a| a.contains(grid)).map(|a| a.level() as u8 as i32)
        }
        (Some(_), None) => None,
    };
    active
        .iter()
        .filter(|u| u.active && u.categories.iter().any(|c| c == category))
        .filter_map(|u| serves(u).map(|locality| (locality, u)))
        // The most local unit wins; among equals the first by code (the list is ordered).
        .max_by_key(|(locality, u)| (*locality, std::cmp::Reverse(u.code.clone())))
        .map(|(_, u)| u.code.clone())
        .or_else(|| {
            default_unit.filter(|d| active.iter().any(|u| u.active && u.code == *d)).map(str::to_owned)
        })
}

pub async fn admin_list(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let rows = state.db.run(|conn| units::list(conn, true)).await?;
    let units = rows.iter().map(Unit::of).collect::<StoreResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(UnitList { units, suggested: None }))
}

/// `POST` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    #[schema(schema_with = unit_code_schema)]
    pub code: String,
    #[schema(schema_with = unit_name_schema)]
    pub zh: String,
    #[schema(schema_with = unit_name_schema)]
    pub en: String,
    #[serde(default)]
    #[schema(schema_with = unit_contact_schema)]
    pub contact: String,
    /// The category codes the unit handles, each a stored category in its canonical form.
    #[serde(default)]
    #[schema(schema_with = unit_categories_schema)]
    pub categories: Vec<String>,
    /// The district or street it serves; `null` or left out for the whole city.
    #[schema(schema_with = unit_area_schema)]
    pub area: Option<String>,
}

/// `PATCH` body: only the fields given change; `"area": null` makes the unit city-wide.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    #[schema(schema_with = unit_name_or_null_schema)]
    pub zh: Option<String>,
    #[schema(schema_with = unit_name_or_null_schema)]
    pub en: Option<String>,
    #[schema(schema_with = unit_contact_or_null_schema)]
    pub contact: Option<String>,
    #[schema(schema_with = unit_categories_or_null_schema)]
    pub categories: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::api::categories::admin::present")]
    #[schema(schema_with = unit_area_schema)]
    pub area: Option<Option<String>>,
    /// `false` retires the unit, `true` reinstates it.
    pub active: Option<bool>,
}

fn unit_code_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(UNIT_CODE_PATTERN))
        .build()
}

/// A unit's name in one language: not blank, at most [`MAX_NAME_CHARS`] characters.
fn unit_name_schema() -> utoipa::openapi::Object {
    text_schema(1, MAX_NAME_CHARS, Some(NOT_BLANK_PATTERN))
}

fn unit_contact_schema() -> utoipa::openapi::Object {
    text_schema(0, MAX_CONTACT_CHARS, None)
}

fn unit_categories_schema() -> utoipa::openapi::Array {
    let code = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(CANONICAL_CATEGORY_CODE_PATTERN));
    utoipa::openapi::ArrayBuilder::new().items(code).build()
}

/// The same, or `null` (a patch field left as it is).
fn unit_categories_or_null_schema() -> utoipa::openapi::Array {
    let mut categories = unit_categories_schema();
    categories.schema_type = kind_or_null(utoipa::openapi::Type::Array);
    categories
}

fn unit_name_or_null_schema() -> utoipa::openapi::Object {
    string_or_null(unit_name_schema())
}

fn unit_contact_or_null_schema() -> utoipa::openapi::Object {
    string_or_null(unit_contact_schema())
}

/// A patch field's schema that also takes `null`, which leaves the field as it is.
fn string_or_null(mut schema: utoipa::openapi::Object) -> utoipa::openapi::Object {
    schema.schema_type = kind_or_null(utoipa::openapi::Type::String);
    schema
}

fn kind_or_null(kind: utoipa::openapi::Type) -> utoipa::openapi::schema::SchemaType {
    utoipa::openapi::schema::SchemaType::from_iter([kind, utoipa::openapi::Type::Null])
}

fn unit_area_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(kind_or_null(utoipa::openapi::Type::String))
        .pattern(Some(DISTRICT_OR_STREET_CODE_PATTERN))
        .build()
}

fn problem(bad: BadUnit) -> ApiError {
    ApiError::invalid_field(bad.field, bad.reason)
}

/// `Ok` when `unit` names an active unit; else 422 `unknown_unit` on `field` (a handler account
/// is created only for a unit that exists and is not retired).
pub async fn require_active(state: &AppState, unit: &str, field: &'static str) -> ApiResult<()> {
    let code = unit.to_owned();
    let found = state.db.run(move |conn| units::find(conn, &code)).await?;
    if found.is_some_and(|u| u.is_active()) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorKind::Unprocessable,
        "unknown_unit",
        format!("no active handling unit has the code {unit:?} (GET /api/v1/units lists them)"),
    )
    .with_field(field))
}

pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<NewUnit>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let NewUnit { code, zh, en, contact, categories, area } = body.into_inner();
    let now = Utc::now().naive_utc();
    let row = UnitRow {
        code,
        name_zh: zh,
        name_en: en,
        contact,
        categories: encode_categories(&categories),
        area,
        retired_at: None,
        created_at: now,
        updated_at: now,
    };
    check_fields(&row).map_err(problem)?;
    let stored = row.clone();
    state
        .db
        .run(move |conn| {
            if let Err(bad) = check_categories(conn, &categories)? {
                return Ok(Err(problem(bad)));
            }
            Ok(if units::insert(conn, &stored)? {
                Ok(())
            } else {
                Err(ApiError::conflict("unit_exists", "a unit (active or retired) has this code"))
            })
        })
        .await??;
    tracing::info!(unit = %row.code, "handling unit created");
    Ok(HttpResponse::Created().json(Unit::of(&row)?))
}

pub async fn patch(
    state: web::Data<AppState>,
    who: Principal,
    code: web::Path<String>,
    body: web::Json<UnitPatch>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let code = code.into_inner();
    let patch = body.into_inner();
    let now = Utc::now().naive_utc();
    let edited = state
        .db
        .run(move |conn| {
            crate::store::write_transaction(conn, |conn| {
                let Some(mut row) = units::find(conn, &code)? else { return Ok(Ok(None)) };
                if let Some(zh) = patch.zh {
                    row.name_zh = zh;
                }
                if let Some(en) = patch.en {
                    row.name_en = en;
                }
                if let Some(contact) = patch.contact {
                    row.contact = contact;
                }
                if let Some(area) = patch.area {
                    row.area = area;
                }
                if let Some(handled) = &patch.categories {
                    if let Err(bad) = check_categories(conn, handled)? {
                        return Ok(Err(problem(bad)));
                    }
                    row.categories = encode_categories(handled);
                }
                match patch.active {
                    Some(false) if row.retired_at.is_none() => row.retired_at = Some(now),
                    Some(true) => row.retired_at = None,
                    _ => {}
                }
                if let Err(bad) = check_fields(&row) {
                    return Ok(Err(problem(bad)));
                }
                row.updated_at = now;
                units::replace(conn, &row)?;
                Ok(Ok(Some(row)))
            })
        })
        .await??
        .ok_or_else(|| ApiError::not_found("unit"))?;
    tracing::info!(unit = %edited.code, active = edited.is_active(), "handling unit edited");
    Ok(HttpResponse::Ok().json(Unit::of(&edited)?))
}

/// `DELETE /api/v1/admin/units/{code}`: refused; a unit is retired instead.
pub async fn delete(who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    Err(ApiError::conflict(
        "units_are_retired",
        "a handling unit is never deleted (its cases keep naming it): PATCH it with {\"active\": false}",
    ))
}
