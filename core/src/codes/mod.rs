//! The codes that name places, problems and cases: [`GridCode`] for a unit grid, [`AreaCode`]
//! for any level of the hierarchy above it (district, street, community), [`CategoryCode`] for
//! a kind of problem and [`CaseId`] for a case. Each parses and validates once, at the edge;
//! inside the system a value of these types is always well formed.

mod area;
mod case_id;
mod category;
mod grid;

pub use area::{AreaCode, AreaLevel};
pub use case_id::{CaseId, CaseIdError, uuid_v7_at};
pub use category::{CategoryCode, CategoryKind};
pub use grid::GridCode;

/// A district code's six digits as a pattern: a real province, then a county not 00.
macro_rules! district_pattern {
    () => {
        r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{2}(?:0[1-9]|[1-9][0-9])"
    };
}

/// Three digits, not all zeros (a street, community or grid number).
macro_rules! local_number_pattern {
    () => {
        r"(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})"
    };
}

/// The text [`GridCode::parse`] accepts, as an ECMA-262 pattern (the OpenAPI document's): 15
/// digits, or the 14-digit CJ/T 213 form, of a real province, no level all zeros, white space
/// around allowed.
pub const GRID_CODE_PATTERN: &str = concat!(
    r"^[ \t\r\n]*",
    district_pattern!(),
    local_number_pattern!(),
    local_number_pattern!(),
    r"(?:",
    local_number_pattern!(),
    r"|0[1-9]|[1-9][0-9])[ \t\r\n]*$",
);

/// The district and street codes [`AreaCode::parse`] accepts (6 or 9 digits), as an ECMA-262
/// pattern: the areas a grid package is cut to.
pub const DISTRICT_OR_STREET_PATTERN: &str =
    concat!(r"^[ \t\r\n]*", district_pattern!(), local_number_pattern!(), r"?[ \t\r\n]*$");

/// Any area code [`AreaCode::parse`] accepts (a district, street, community or grid cell: 6, 9,
/// 12 or 15 digits), white space around allowed.
pub const AREA_CODE_PATTERN: &str = concat!(
    r"^[ \t\r\n]*",
    district_pattern!(),
    r"(?:",
    local_number_pattern!(),
    r"(?:",
    local_number_pattern!(),
    r"(?:",
    local_number_pattern!(),
    r")?)?)?[ \t\r\n]*$",
);

/// A major class (a category code without its minor number, `E05`) as the warnings' `class`
/// parameter takes it: the kind letter in either case and a major number not 00.
pub const CATEGORY_CLASS_PATTERN: &str = r"^[ \t\r\n]*[CcEe](?:0[1-9]|[1-9][0-9])[ \t\r\n]*$";

/// A district's code (6 digits) as [`AreaCode::parse`] accepts it, white space around allowed:
/// a district admin's or a viewer's scope.
pub const DISTRICT_PATTERN: &str = concat!(r"^[ \t\r\n]*", district_pattern!(), r"[ \t\r\n]*$");

/// A street's code (9 digits) as [`AreaCode::parse`] accepts it, white space around allowed:
/// a dispatcher's or a viewer's scope.
pub const STREET_PATTERN: &str =
    concat!(r"^[ \t\r\n]*", district_pattern!(), local_number_pattern!(), r"[ \t\r\n]*$");

/// A district or street code exactly as a stored field keeps it (a handling unit's area): what
/// [`AreaCode::parse`] accepts at those levels, with no white space around it.
pub const DISTRICT_OR_STREET_CODE_PATTERN: &str =
    concat!("^", district_pattern!(), local_number_pattern!(), "?$");

/// The text [`CategoryCode::parse`] accepts, as an ECMA-262 pattern: the kind letter in either
/// case, an optional dash, then major and minor class, neither 00.
pub const CATEGORY_CODE_PATTERN: &str = r"^[ \t\r\n]*[CcEe]-?(?:0[1-9]|[1-9][0-9]){2}[ \t\r\n]*$";

/// A body field holding a category code, as the OpenAPI document shows it: the pattern of
/// what [`CategoryCode::parse`] accepts.
#[cfg(feature = "openapi")]
pub fn category_code_schema() -> utoipa::openapi::Object {
    code_schema(CATEGORY_CODE_PATTERN, "A category code of the taxonomy, such as `E0101`.")
}

/// A body field holding a grid cell's code: the pattern of what [`GridCode::parse`] accepts.
#[cfg(feature = "openapi")]
pub fn grid_code_schema() -> utoipa::openapi::Object {
    code_schema(GRID_CODE_PATTERN, "A grid cell's code (15 digits), such as `110101001001001`.")
}

#[cfg(feature = "openapi")]
fn code_schema(pattern: &str, description: &str) -> utoipa::openapi::Object {
    let mut schema = string_matching(pattern);
    schema.description = Some(description.to_owned());
    schema
}

/// A string field matching `pattern`, for the OpenAPI document.
#[cfg(feature = "openapi")]
pub(crate) fn string_matching(pattern: impl Into<String>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(pattern))
        .build()
}

/// A category code in its canonical form (upper-case kind letter, no dash): how the server
/// stores and compares them, so a list of codes to store must be written this way.
pub const CANONICAL_CATEGORY_CODE_PATTERN: &str = r"^[CE](?:0[1-9]|[1-9][0-9]){2}$";

/// Why a code was refused. Each message says what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a grid code has 15 digits (or the 14-digit CJ/T 213 form), got {0} characters")]
    GridLength(usize),
    #[error("an area code has 6, 9, 12 or 15 digits, got {0} characters")]
    AreaLength(usize),
    #[error("codes contain only digits; found {found:?} at position {position}")]
    NotADigit { position: usize, found: char },
    #[error("{0:?} is not a GB/T 2260 province prefix (the first two digits of a district code)")]
    Province(String),
    #[error("the {level} part of the code must not be all zeros")]
    ZeroLevel { level: &'static str },
    #[error(
        "a category code is a kind letter (C for component 部件, E for event 事件) and 4 digits, like C0101; got {0:?}"
    )]
    CategoryFormat(String),
    #[error("category {part} class must be 01..99, got 00")]
    CategoryZero { part: &'static str },
}

/// GB/T 2260 province-level prefixes (the first two digits of every district code).
fn is_province_prefix(p: u32) -> bool {
    matches!(p, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82)
}

/// Parse an all-digit string, reporting the first offending character by position.
fn parse_digits(s: &str) -> Result<u64, CodeError> {
    let mut value: u64 = 0;
    for (position, c) in s.chars().enumerate() {
        let Some(d) = c.to_digit(10) else {
            return Err(CodeError::NotADigit { position, found: c });
        };
        value = value * 10 + u64::from(d);
    }
    Ok(value)
}

/// Check the district part (6 digits) of any code.
fn check_district(district: u64) -> Result<(), CodeError> {
    let province = (district / 10_000) as u32;
    if !is_province_prefix(province) {
        return Err(CodeError::Province(format!("{province:02}")));
    }
    if district.is_multiple_of(100) {
        return Err(CodeError::ZeroLevel { level: "county/district (digits 5-6)" });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
