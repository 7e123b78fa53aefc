//! Code validation across the FFI: an app checks a grid or category code typed or scanned by
//! the user before sending it, and shows its parts. Parsing is `gridline_core::codes`'s.

use gridline_core::codes::{AreaLevel, CategoryCode, CategoryKind as CoreCategoryKind, GridCode};

use crate::GridlineError;

/// A valid unit-grid code and the areas that contain it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GridCodeInfo {
    /// The normalized 15-digit code (a 14-digit CJ/T 213 code is widened).
    pub code: String,
    /// The 6-digit GB/T 2260 district (区/县) code.
    pub district: String,
    /// The 9-digit street or town (街道/镇) code.
    pub street: String,
    /// The 12-digit community (社区) code.
    pub community: String,
    /// The grid's number within its community, 1 to 999.
    pub grid_number: u16,
}

/// Whether a category is a component (a physical facility) or an event (something that
/// happens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CategoryKind {
    /// 部件: a physical facility, such as a manhole cover or a street lamp.
    Component,
    /// 事件: something that happens, such as illegal parking or dumped rubbish.
    Event,
}

impl From<CoreCategoryKind> for CategoryKind {
    fn from(kind: CoreCategoryKind) -> Self {
        match kind {
            CoreCategoryKind::Component => CategoryKind::Component,
            CoreCategoryKind::Event => CategoryKind::Event,
        }
    }
}

/// A valid category code and its parts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CategoryCodeInfo {
    /// The normalized code: kind letter and four digits, like `C0101`.
    pub code: String,
    /// Component or event.
    pub kind: CategoryKind,
    /// The major class, 1 to 99.
    pub major: u8,
    /// The minor class within the major class, 1 to 99.
    pub minor: u8,
}

/// Validate a grid code (15 digits, or the 14-digit CJ/T 213 form; surrounding whitespace is
/// ignored) and return it normalized with its district, street and community. Fails with
/// `InvalidInput` (field `grid_code`) saying what is wrong.
#[uniffi::export]
pub fn parse_grid_code(text: String) -> Result<GridCodeInfo, GridlineError> {
    let grid = GridCode::parse(&text)?;
    Ok(GridCodeInfo {
        code: grid.to_string(),
        district: grid.area(AreaLevel::District).to_string(),
        street: grid.area(AreaLevel::Street).to_string(),
        community: grid.area(AreaLevel::Community).to_string(),
        grid_number: grid.grid_number(),
    })
}

/// Validate a category code (a kind letter C or E, then 4 digits; lower case and a dash after
/// the letter are accepted, as in `e-0203`) and return it normalized with its parts. Fails
/// with `InvalidInput` (field `category_code`) saying what is wrong.
#[uniffi::export]
pub fn parse_category_code(text: String) -> Result<CategoryCodeInfo, GridlineError> {
    let category = CategoryCode::parse(&text)?;
    Ok(CategoryCodeInfo {
        code: category.to_string(),
        kind: category.kind().into(),
        major: category.major(),
        minor: category.minor(),
    })
}
