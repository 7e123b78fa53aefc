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
use gridline_core::codes::{CategoryCode, CategoryKind};
use gridline_core::protocol::CategoryList;
use gridline_core::taxonomy::{
    Category, MAX_DUPLICATE_RADIUS_M, Names, Question, QuestionType, Taxonomy, TaxonomyError,
};
use gridline_core::workflow::Role;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::Type;
use utoipa::openapi::schema::SchemaType;

use crate::api::openapi::NOT_BLANK_PATTERN;
use crate::app::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::store::categories;

/// `PATCH` body: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    #[schema(schema_with = names_or_null_schema)]
    names: Option<Names>,
    #[schema(schema_with = time_limit_or_null_schema)]
    time_limit: Option<TimeLimit>,
    anonymous_allowed: Option<bool>,
    duplicate_radius_m: Option<u32>,
    /// `null` clears the default unit; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    default_unit: Option<Option<String>>,
    questions: Option<Vec<Question>>,
}

fn names_or_null_schema() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::Schema::OneOf(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(utoipa::openapi::ObjectBuilder::new().schema_type(Type::Null))
            .item(utoipa::openapi::Ref::from_schema_name("Names"))
            .build(),
    )
}

fn time_limit_or_null_schema() -> utoipa::openapi::Object {
    let mut limit = gridline_core::calendar::time_limit_schema();
    limit.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    limit
}

/// What [`check`] adds to a category's own shape, for the OpenAPI document: both names not
/// blank, a major class and a default unit the shipped taxonomy declares, and values exactly
/// for the list questions. (That question codes and value keys are not repeated is checked too;
/// a schema cannot say it of an object's field.)
pub fn category_rules() -> ApiResult<Vec<Value>> {
    let shipped = super::shipped()?;
    let not_blank = json!({ "type": "string", "pattern": NOT_BLANK_PATTERN });
    let names = json!({ "properties": { "zh": not_blank, "en": not_blank } });
    let majors = |kind: CategoryKind| {
        let codes: Vec<String> =
            shipped.majors().iter().filter(|m| m.kind == kind).map(|m| format!("{:02}", m.code)).collect();
        let letter = kind.letter();
        format!("[{letter}{}]-?(?:{})", letter.to_ascii_lowercase(), codes.join("|"))
    };
    let code = format!(
        r"^[ \t\r\n]*(?:{}|{})(?:0[1-9]|[1-9][0-9])[ \t\r\n]*$",
        majors(CategoryKind::Component),
        majors(CategoryKind::Event)
    );
    let mut units: Vec<Value> = shipped.units().iter().map(|u| json!(u.code)).collect();
    units.push(Value::Null);
    let lists: Vec<&str> = QuestionType::LISTS.iter().map(|t| t.as_str()).collect();
    let question = json!({
        "if": { "required": ["datatype"], "properties": { "datatype": { "enum": lists } } },
        "then": { "properties": { "values": { "minItems": 1 } } },
        "else": { "properties": { "values": { "maxItems": 0 } } },
    });
    Ok(vec![json!({
        "properties": {
            "code": { "pattern": code },
            "duplicate_radius_m": { "minimum": 1, "maximum": MAX_DUPLICATE_RADIUS_M },
            "names": names,
            "default_unit": { "enum": units },
            "questions": { "items": question },
        }
    })])
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
    Ok(HttpResponse::Ok().json(CategoryList { categories: all }))
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

#[cfg(test)]
mod tests {
    use gridline_core::calendar::TimeLimit;

    use super::*;

    /// A category `check` takes, the shipped taxonomy's first.
    fn shipped_category() -> Category {
        super::super::shipped().unwrap().categories()[0].clone()
    }

    #[test]
    fn the_documented_rules_are_what_check_accepts() {
        let rules = category_rules().unwrap();
        let properties = &rules[0]["properties"];
        let code = regex::Regex::new(properties["code"]["pattern"].as_str().unwrap()).unwrap();
        for kind in [CategoryKind::Component, CategoryKind::Event] {
            for major in 1..=99 {
                let Ok(sample) = CategoryCode::new(kind, major, 1) else { continue };
                let category = Category { code: sample, ..shipped_category() };
                assert_eq!(code.is_match(&sample.to_string()), check(&category).is_ok(), "{sample}");
            }
        }
        let units = properties["default_unit"]["enum"].as_array().unwrap();
        for unit in units.iter().map(|u| u.as_str().map(str::to_owned)).chain([Some("nobody".into())]) {
            let documented = units.contains(&serde_json::json!(unit));
            let category = Category { default_unit: unit.clone(), ..shipped_category() };
            assert_eq!(documented, check(&category).is_ok(), "{unit:?}");
        }
        let lists = &properties["questions"]["items"]["if"]["properties"]["datatype"]["enum"];
        let question = |datatype: QuestionType, values: usize| Question {
            code: "q".into(),
            names: Names { zh: "问".into(), en: "q".into() },
            datatype,
            required: false,
            values: (0..values)
                .map(|i| gridline_core::taxonomy::QuestionValue {
                    key: format!("v{i}"),
                    names: Names { zh: "值".into(), en: "v".into() },
                })
                .collect(),
        };
        for datatype in [QuestionType::String, QuestionType::Number, QuestionType::Singlevaluelist] {
            for values in [0, 1] {
                let is_list = lists.as_array().unwrap().contains(&serde_json::json!(datatype.as_str()));
                let documented = if is_list { values >= 1 } else { values == 0 };
                let category = Category { questions: vec![question(datatype, values)], ..shipped_category() };
                assert_eq!(documented, check(&category).is_ok(), "{datatype:?} {values}");
            }
        }
        let blank = Category { names: Names { zh: " ".into(), en: "x".into() }, ..shipped_category() };
        assert!(check(&blank).is_err());
        let zero = Category { time_limit: TimeLimit::Hours(0), ..shipped_category() };
        assert!(check(&zero).is_err());
    }
}
