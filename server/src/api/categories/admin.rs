//! `GET/POST /api/v1/admin/categories` and `PATCH /api/v1/admin/categories/{code}`: a city
//! edits its categories (names, handling time limit, anonymity rule, duplicate radius, default
//! handling unit, extra questions). Admin only.
//!
//! Every category is checked with the core's taxonomy rules ([`Taxonomy::from_parts`]) against
//! the major classes and handling units of the shipped taxonomy, the same ones the database was
//! seeded from; a problem answers 422 naming the field at fault. Intake reads the category
//! from the database on every report, so an edit applies to the next report.

use actix_web::{HttpResponse, web};
use gridline_core::calendar::TimeLimit;
use gridline_core::codes::CategoryCode;
use gridline_core::taxonomy::{Category, Names, Question, Taxonomy, TaxonomyError};
use gridline_core::workflow::Role;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::store::categories;

/// `PATCH` body: only the fields given change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    names: Option<Names>,
    time_limit: Option<TimeLimit>,
    anonymous_allowed: Option<bool>,
    duplicate_radius_m: Option<u32>,
    /// `null` clears the default unit; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    default_unit: Option<Option<String>>,
    questions: Option<Vec<Question>>,
}

/// Tells an explicit `null` (Some(None)) from an absent field (None).
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl CategoryPatch {
    fn apply(self, mut category: Category) -> Category {
        if let Some(names) = self.names {
            category.names = names;
        }
        if let Some(limit) = self.time_limit {
            category.time_limit = limit;
        }
        if let Some(anonymous) = self.anonymous_allowed {
            category.anonymous_allowed = anonymous;
        }
        if let Some(radius) = self.duplicate_radius_m {
            category.duplicate_radius_m = radius;
        }
        if let Some(unit) = self.default_unit {
            category.default_unit = unit;
        }
        if let Some(questions) = self.questions {
            category.questions = questions;
        }
        category
    }
}

/// The request field a taxonomy problem is about, read from the core's message.
fn field_of(error: &TaxonomyError) -> &'static str {
    match error {
        TaxonomyError::Entry { entry, .. } if entry.contains(" question ") => "questions",
        TaxonomyError::Entry { problem, .. } if problem.contains("time limit") => "time_limit",
        TaxonomyError::Entry { problem, .. } if problem.contains("duplicate_radius_m") => {
            "duplicate_radius_m"
        }
        TaxonomyError::Entry { problem, .. } if problem.starts_with("unit ") => "default_unit",
        _ => "code",
    }
}

/// Checks one category with the core's taxonomy rules.
fn check(category: &Category) -> ApiResult<()> {
    for (field, name) in [("names.zh", &category.names.zh), ("names.en", &category.names.en)] {
        if name.trim().is_empty() {
            return Err(ApiError::invalid_field(field, "expected a non-empty name"));
        }
    }
    let shipped = super::shipped()?;
    Taxonomy::from_parts(shipped.majors().to_vec(), shipped.units().to_vec(), vec![category.clone()])
        .map(|_| ())
        .map_err(|e| ApiError::invalid_field(field_of(&e), e.to_string()))
}

pub async fn list(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let all = state.db.run(categories::list).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "categories": all })))
}

pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<Category>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let category = body.into_inner();
    check(&category)?;
    let stored = category.clone();
    if !state.db.run(move |conn| categories::insert(conn, &stored)).await? {
        return Err(ApiError::conflict("category_exists", "a category with this code exists"));
    }
    tracing::info!(category = %category.code, "category created");
    Ok(HttpResponse::Created().json(category))
}

pub async fn patch(
    state: web::Data<AppState>,
    who: Principal,
    code: web::Path<String>,
    body: web::Json<CategoryPatch>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin])?;
    let code = CategoryCode::parse(&code).map_err(|_| ApiError::not_found("category"))?;
    let patch = body.into_inner();
    let edited = state
        .db
        .run(move |conn| {
            crate::store::write_transaction(conn, |conn| {
                let Some(current) = categories::find(conn, code)? else { return Ok(Ok(None)) };
                let edited = patch.apply(current);
                if let Err(problem) = check(&edited) {
                    return Ok(Err(problem));
                }
                categories::replace(conn, &edited)?;
                Ok(Ok(Some(edited)))
            })
        })
        .await??
        .ok_or_else(|| ApiError::not_found("category"))?;
    tracing::info!(category = %edited.code, "category edited");
    Ok(HttpResponse::Ok().json(edited))
}
