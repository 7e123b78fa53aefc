//! What part of the city an account covers, from the grid hierarchy: an inspector's grid
//! cells, a dispatcher's street, a handler's handling unit, the whole city for an admin (and the
//! `system` role), a citizen's own reports, and for a read-only `viewer` an area (the city, a
//! district or a street). The server stores a [`Scope`] with the account and carries it in the
//! access token; the sign-in answer ([`crate::protocol::UserView`]) shows it to the phone, so
//! both sides read one shape.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Role;
use crate::codes::{AreaCode, AreaLevel, GridCode};
#[cfg(feature = "openapi")]
use crate::codes::{DISTRICT_PATTERN, GRID_CODE_PATTERN, STREET_PATTERN, string_matching};

/// Longest handling-unit code accepted.
pub const MAX_UNIT_CODE_CHARS: usize = 64;

/// The part of the city an account covers. The JSON form is tagged by `kind`:
/// `{"kind":"city"}`, `{"kind":"district","district":"110101"}`,
/// `{"kind":"street","street":"110101001"}`,
/// `{"kind":"grids","grids":["110101001001001"]}`, `{"kind":"unit","unit":"sanitation-dc"}`,
/// `{"kind":"own"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Everything (admin, system).
    City,
    /// One district (a district admin's, or a viewer's screen): a 6-digit area code.
    District {
        #[cfg_attr(feature = "openapi", schema(schema_with = district_schema))]
        district: AreaCode,
    },
    /// One street office's area (dispatcher, viewer): a 9-digit area code.
    Street {
        #[cfg_attr(feature = "openapi", schema(schema_with = street_schema))]
        street: AreaCode,
    },
    /// The unit grid cells assigned to an inspector (possibly none yet).
    Grids {
        #[cfg_attr(feature = "openapi", schema(schema_with = grid_codes_schema))]
        grids: BTreeSet<GridCode>,
    },
    /// The cases dispatched to one handling unit (handler), named by the unit's code.
    Unit {
        #[cfg_attr(feature = "openapi", schema(schema_with = unit_code_schema))]
        unit: String,
    },
    /// Only what this account reported itself (citizen).
    Own,
}

/// Why a scope does not suit a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("role {role} needs a scope of kind {expected}, got {found}")]
    WrongKind { role: Role, expected: &'static str, found: &'static str },
    #[error("a dispatcher's scope is a street (a 9-digit area code), got a {0} code")]
    NotAStreet(AreaLevel),
    #[error("a viewer's scope is an area: kind city, district or street, got {0}")]
    NotAnArea(&'static str),
    #[error("a district scope holds a district (a 6-digit area code), got a {0} code")]
    NotADistrict(AreaLevel),
    #[error(
        "a handling unit code has 1 to {MAX_UNIT_CODE_CHARS} lower-case letters, digits, '-' or '_', \
         got {0:?}"
    )]
    UnitCode(String),
}

impl Scope {
    /// The scope a new account of `role` gets when none is given, where there is an obvious one.
    pub fn default_for(role: Role) -> Option<Scope> {
        match role {
            Role::Admin | Role::System => Some(Scope::City),
            Role::Citizen => Some(Scope::Own),
            Role::Inspector => Some(Scope::Grids { grids: BTreeSet::new() }),
            // A viewer's screen is an explicit choice: the city's big screen or one area's; a
            // district admin's district is named, never guessed.
            Role::Dispatcher | Role::Handler | Role::Viewer | Role::Operator | Role::DistrictAdmin => None,
        }
    }

    /// The wire name of this scope's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::City => "city",
            Scope::District { .. } => "district",
            Scope::Street { .. } => "street",
            Scope::Grids { .. } => "grids",
            Scope::Unit { .. } => "unit",
            Scope::Own => "own",
        }
    }

    /// The kinds of scope an account of `role` may hold (the wire names of [`Scope::kind`]):
    /// one for most roles; a viewer's screen and a hotline centre answer for the city, a
    /// district or a street.
    pub fn kinds_for(role: Role) -> &'static [&'static str] {
        match role {
            Role::Admin | Role::System => &["city"],
            Role::Dispatcher => &["street"],
            Role::DistrictAdmin => &["district"],
            Role::Inspector => &["grids"],
            Role::Handler => &["unit"],
            Role::Citizen => &["own"],
            Role::Viewer | Role::Operator => &["city", "district", "street"],
        }
    }

    /// Check that this scope is a kind `role` has ([`Scope::kinds_for`]), and that its content
    /// is well formed.
    pub fn check_fits(&self, role: Role) -> Result<(), ScopeError> {
        match Self::kinds_for(role) {
            kinds if kinds.contains(&self.kind()) => {}
            [expected] => return Err(ScopeError::WrongKind { role, expected, found: self.kind() }),
            _ => return Err(ScopeError::NotAnArea(self.kind())),
        }
        match self {
            Scope::Street { street } if street.level() != AreaLevel::Street => {
                Err(ScopeError::NotAStreet(street.level()))
            }
            Scope::District { district } if district.level() != AreaLevel::District => {
                Err(ScopeError::NotADistrict(district.level()))
            }
            Scope::Unit { unit } if !crate::taxonomy::is_unit_code(unit) => {
                Err(ScopeError::UnitCode(unit.clone()))
            }
            _ => Ok(()),
        }
    }

    /// Whether a case in `grid` lies inside this scope by place (a unit or a citizen never
    /// sees by place).
    pub fn covers_grid(&self, grid: GridCode) -> bool {
        match self {
            Scope::City => true,
            Scope::District { district: area } | Scope::Street { street: area } => area.contains(grid),
            Scope::Grids { grids } => grids.contains(&grid),
            Scope::Unit { .. } | Scope::Own => false,
        }
    }

    /// Whether the whole of `area` lies inside this scope (for statistics and grid imports of
    /// an area).
    pub fn covers_area(&self, area: AreaCode) -> bool {
        match self {
            Scope::City => true,
            Scope::District { district: whole } | Scope::Street { street: whole } => {
                whole.contains_area(area)
            }
            Scope::Grids { grids } => {
                area.level() == AreaLevel::Grid && grids.iter().any(|g| g.area(AreaLevel::Grid) == area)
            }
            Scope::Unit { .. } | Scope::Own => false,
        }
    }
}

/// What a unit's scope accepts, as an ECMA-262 pattern (the OpenAPI document's): a unit's code
/// as the taxonomy and the unit registry define it ([`crate::taxonomy::is_unit_code`]), so a
/// handler's scope can name only a code some unit can have.
pub fn unit_code_pattern() -> String {
    crate::taxonomy::UNIT_CODE_PATTERN.to_owned()
}

#[cfg(feature = "openapi")]
fn unit_code_schema() -> utoipa::openapi::Object {
    string_matching(unit_code_pattern())
}

#[cfg(feature = "openapi")]
fn district_schema() -> utoipa::openapi::Object {
    string_matching(DISTRICT_PATTERN)
}

#[cfg(feature = "openapi")]
fn street_schema() -> utoipa::openapi::Object {
    string_matching(STREET_PATTERN)
}

/// An inspector's cells: grid codes as [`GridCode::parse`] reads them.
#[cfg(feature = "openapi")]
fn grid_codes_schema() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new().items(string_matching(GRID_CODE_PATTERN)).build()
}
