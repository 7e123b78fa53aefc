//! [`GridCode`]: a unit grid's 15-digit code (Beijing DB11 layout).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{AreaCode, AreaLevel, CodeError, check_district, parse_digits};

/// A unit grid (单元网格): 6-digit district (GB/T 2260) + 3-digit street + 3-digit community +
/// 3-digit grid. Kept as a number, so it is 8 bytes, `Copy`, and orders like its text.
///
/// The 14-digit CJ/T 213 form (2-digit grid number) is accepted and widened to 15 digits by
/// prefixing the grid number with a zero: `11010100100101` → `110101001001001`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GridCode(u64);

impl GridCode {
    /// Parse a 15-digit code or the 14-digit CJ/T 213 form. Surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let len = s.chars().count();
        if len != 15 && len != 14 {
            return Err(CodeError::GridLength(len));
        }
        let raw = parse_digits(s)?;
        let value = if len == 14 {
            // district+street+community (12 digits) then a 2-digit grid number
            (raw / 100) * 1000 + raw % 100
        } else {
            raw
        };
        Self::from_u64(value)
    }

    /// A code from its numeric value, validated like [`GridCode::parse`].
    pub fn from_u64(value: u64) -> Result<Self, CodeError> {
        if !(100_000_000_000_000..1_000_000_000_000_000).contains(&value) {
            return Err(CodeError::GridLength(value.to_string().len()));
        }
        check_district(value / 1_000_000_000)?;
        for (level, part) in [
            ("street (digits 7-9)", (value / 1_000_000) % 1000),
            ("community (digits 10-12)", (value / 1000) % 1000),
            ("grid (digits 13-15)", value % 1000),
        ] {
            if part == 0 {
                return Err(CodeError::ZeroLevel { level });
            }
        }
        Ok(Self(value))
    }

    /// Build a code from its levels: district (6 digits), then the local numbers 1..=999.
    pub fn from_parts(district: u32, street: u16, community: u16, grid: u16) -> Result<Self, CodeError> {
        if street > 999 || community > 999 || grid > 999 {
            return Err(CodeError::GridLength(16));
        }
        Self::from_u64(
            u64::from(district) * 1_000_000_000
                + u64::from(street) * 1_000_000
                + u64::from(community) * 1000
                + u64::from(grid),
        )
    }

    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The 6-digit GB/T 2260 district code.
    pub fn district(self) -> u32 {
        (self.0 / 1_000_000_000) as u32
    }

    /// The 2-digit province prefix of the district code.
    pub fn province(self) -> u8 {
        (self.0 / 10_000_000_000_000) as u8
    }

    /// The street's number within its district (1..=999).
    pub fn street_number(self) -> u16 {
        ((self.0 / 1_000_000) % 1000) as u16
    }

    /// The community's number within its street (1..=999).
    pub fn community_number(self) -> u16 {
        ((self.0 / 1000) % 1000) as u16
    }

    /// The grid's number within its community (1..=999).
    pub fn grid_number(self) -> u16 {
        (self.0 % 1000) as u16
    }

    /// The area that contains this grid at `level` (the grid itself at [`AreaLevel::Grid`]).
    pub fn area(self, level: AreaLevel) -> AreaCode {
        AreaCode::of_grid(self, level)
    }

    /// Whether this grid lies inside `area` (an area contains itself).
    pub fn is_within(self, area: AreaCode) -> bool {
        area.contains(self)
    }
}

impl fmt::Display for GridCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:015}", self.0)
    }
}

impl FromStr for GridCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for GridCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, CodeError> {
        Self::parse(&s)
    }
}

impl From<GridCode> for String {
    fn from(c: GridCode) -> String {
        c.to_string()
    }
}
