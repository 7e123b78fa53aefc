//! The category taxonomy: which kinds of problem a city handles, and for each one its names,
//! its handling time limit, whether it may be reported anonymously, how far to look for
//! duplicates, which unit handles it by default and which extra questions it asks.
//!
//! A default taxonomy ships in `core/data/taxonomy.toml` (embedded, so a phone has it offline);
//! a city replaces it through the admin API. [`Taxonomy::from_toml`] validates everything at
//! load time and names the entry at fault, so a broken file is refused before it is used.

mod answers;
mod file;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::TimeLimit;
use crate::codes::{CategoryCode, CategoryKind};

/// What [`is_unit_code`] accepts, as an ECMA-262 pattern (the OpenAPI document's).
pub const UNIT_CODE_PATTERN: &str = "^[a-z0-9_-]{1,64}$";

/// Whether `code` is a valid handling-unit code (1-64 of a-z, 0-9, '_' and '-'): the rule the
/// taxonomy file and the server's unit registry share.
pub fn is_unit_code(code: &str) -> bool {
    file::is_plain_key(code)
}

pub use answers::{AnswerError, AnswerProblem, AnswerValue, Answers, MAX_STRING_ANSWER, MAX_TEXT_ANSWER};

/// The default taxonomy, as shipped.
pub const DEFAULT_TAXONOMY_TOML: &str = include_str!("../../data/taxonomy.toml");

/// Used when a category does not say its own duplicate-search radius.
pub const DEFAULT_DUPLICATE_RADIUS_M: u32 = 250;

/// The largest sensible duplicate-search radius: beyond it "duplicate" stops meaning anything.
pub const MAX_DUPLICATE_RADIUS_M: u32 = 5_000;

/// A taxonomy file that cannot be used, with the entry at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxonomyError {
    #[error("taxonomy file is not valid TOML or has the wrong shape: {0}")]
    Syntax(String),
    #[error("taxonomy version {0} is not supported (this build reads version 1)")]
    Version(u32),
    #[error("{entry}: {problem}")]
    Entry { entry: String, problem: String },
}

/// Names in the two languages the system speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Names {
    pub zh: String,
    pub en: String,
}

/// A major class, such as component 01 "public facilities".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MajorClass {
    pub kind: CategoryKind,
    pub code: u8,
    pub names: Names,
}

/// A department that fixes things (处置部门), such as the water utility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingUnit {
    pub code: String,
    pub names: Names,
}

/// The answer types of an extra question; the names are Open311's `datatype` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::String => "string",
            QuestionType::Number => "number",
            QuestionType::Datetime => "datetime",
            QuestionType::Text => "text",
            QuestionType::Singlevaluelist => "singlevaluelist",
            QuestionType::Multivaluelist => "multivaluelist",
        }
    }

    /// The list types: they take `values`, and the others none.
    pub const LISTS: [QuestionType; 2] = [QuestionType::Singlevaluelist, QuestionType::Multivaluelist];

    pub fn is_list(self) -> bool {
        matches!(self, QuestionType::Singlevaluelist | QuestionType::Multivaluelist)
    }
}

/// One allowed value of a list question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuestionValue {
    #[cfg_attr(feature = "openapi", schema(schema_with = plain_key_schema))]
    pub key: String,
    pub names: Names,
}

/// An extra question a category asks (an Open311 attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// 1-64 characters of a-z, 0-9, '_' or '-' (the rule of unit codes).
    #[cfg_attr(feature = "openapi", schema(schema_with = plain_key_schema))]
    pub code: String,
    pub names: Names,
    pub datatype: QuestionType,
    pub required: bool,
    /// Allowed values, for list questions only.
    pub values: Vec<QuestionValue>,
}

/// A category with everything the workflow needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::codes::category_code_schema))]
    pub code: CategoryCode,
    pub names: Names,
    /// Handling time limit (处置时限), counted in working time from dispatch: `4h` (working
    /// hours) or `2d` (working days), more than zero.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::calendar::time_limit_schema))]
    pub time_limit: TimeLimit,
    pub anonymous_allowed: bool,
    #[cfg_attr(feature = "openapi", schema(schema_with = duplicate_radius_schema))]
    pub duplicate_radius_m: u32,
    /// Code of the default [`HandlingUnit`].
    #[cfg_attr(feature = "openapi", schema(schema_with = unit_code_or_null_schema))]
    pub default_unit: Option<String>,
    pub questions: Vec<Question>,
}

/// How far to look for duplicates, in metres: 1 to [`MAX_DUPLICATE_RADIUS_M`].
#[cfg(feature = "openapi")]
fn duplicate_radius_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_DUPLICATE_RADIUS_M))
        .build()
}

/// A unit, question or value code: what [`is_unit_code`] accepts.
#[cfg(feature = "openapi")]
fn plain_key_schema() -> utoipa::openapi::Object {
    crate::codes::string_matching(UNIT_CODE_PATTERN)
}

#[cfg(feature = "openapi")]
fn unit_code_or_null_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::{Type, schema::SchemaType};
    let mut schema = crate::codes::string_matching(UNIT_CODE_PATTERN);
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

/// A validated taxonomy: every category's major class and unit exist, codes are unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taxonomy {
    majors: Vec<MajorClass>,
    units: Vec<HandlingUnit>,
    categories: Vec<Category>,
    #[serde(skip)]
    by_code: BTreeMap<CategoryCode, usize>,
}

impl Taxonomy {
    /// The taxonomy that ships with Gridline. It is tested, so this only fails if the build
    /// itself is broken; the error is still returned rather than panicking.
    pub fn default_taxonomy() -> Result<Self, TaxonomyError> {
        Self::from_toml(DEFAULT_TAXONOMY_TOML)
    }

    /// Parse and validate a taxonomy file (the format of `core/data/taxonomy.toml`).
    pub fn from_toml(text: &str) -> Result<Self, TaxonomyError> {
        file::parse(text)
    }

    /// Build from already-structured parts (e.g. rows from a database), with the same checks.
    pub fn from_parts(
        majors: Vec<MajorClass>,
        units: Vec<HandlingUnit>,
        categories: Vec<Category>,
    ) -> Result<Self, TaxonomyError> {
        file::validate(majors, units, categories)
    }

    pub fn majors(&self) -> &[MajorClass] {
        &self.majors
    }

    pub fn units(&self) -> &[HandlingUnit] {
        &self.units
    }

    /// Categories in code order (components first).
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    pub fn get(&self, code: CategoryCode) -> Option<&Category> {
        self.by_code.get(&code).map(|&i| &self.categories[i])
    }

    pub fn major(&self, kind: CategoryKind, code: u8) -> Option<&MajorClass> {
        self.majors.iter().find(|m| m.kind == kind && m.code == code)
    }

    pub fn unit(&self, code: &str) -> Option<&HandlingUnit> {
        self.units.iter().find(|u| u.code == code)
    }
}

#[cfg(test)]
mod tests;
