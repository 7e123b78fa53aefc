//! [`AreaCode`]: a district, street, community or grid, named by the prefix of a grid code.
//! Scopes (a dispatcher's street, an inspector's cells) and statistics group by these.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{CodeError, GridCode, check_district, parse_digits};

/// The levels of the grid hierarchy, largest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// 区/县: 6 digits.
    District,
    /// 街道/镇: 9 digits.
    Street,
    /// 社区: 12 digits.
    Community,
    /// 单元网格: 15 digits.
    Grid,
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 4] =
        [AreaLevel::District, AreaLevel::Street, AreaLevel::Community, AreaLevel::Grid];

    /// How many digits a code of this level has.
    pub fn digits(self) -> usize {
        match self {
            AreaLevel::District => 6,
            AreaLevel::Street => 9,
            AreaLevel::Community => 12,
            AreaLevel::Grid => 15,
        }
    }

    /// Divisor that turns a 15-digit grid value into this level's prefix.
    fn divisor(self) -> u64 {
        10u64.pow((15 - self.digits()) as u32)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::District => "district",
            AreaLevel::Street => "street",
            AreaLevel::Community => "community",
            AreaLevel::Grid => "grid",
        }
    }
}

impl fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AreaLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AreaLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| format!("unknown level {s:?}: expected district, street, community or grid"))
    }
}

/// An area at some level of the hierarchy, e.g. `110101001` (a street).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode {
    level: AreaLevel,
    prefix: u64,
}

impl AreaCode {
    /// Parse a 6-, 9-, 12- or 15-digit code; the length gives the level.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let len = s.chars().count();
        let level =
            AreaLevel::ALL.into_iter().find(|l| l.digits() == len).ok_or(CodeError::AreaLength(len))?;
        let prefix = parse_digits(s)?;
        if level == AreaLevel::Grid {
            return Ok(GridCode::from_u64(prefix)?.area(AreaLevel::Grid));
        }
        let district = prefix / 10u64.pow((len - 6) as u32);
        check_district(district)?;
        let parts = [("street (digits 7-9)", 9), ("community (digits 10-12)", 12)];
        for (name, digits) in parts.into_iter().filter(|(_, d)| *d <= len) {
            let part = (prefix / 10u64.pow((len - digits) as u32)) % 1000;
            if part == 0 {
                return Err(CodeError::ZeroLevel { level: name });
            }
        }
        Ok(Self { level, prefix })
    }

    pub(super) fn of_grid(grid: GridCode, level: AreaLevel) -> Self {
        Self { level, prefix: grid.as_u64() / level.divisor() }
    }

    pub fn level(self) -> AreaLevel {
        self.level
    }

    /// The code as a number (its digits, without padding).
    pub fn prefix(self) -> u64 {
        self.prefix
    }

    /// The 6-digit district this area belongs to.
    pub fn district(self) -> u32 {
        (self.prefix / 10u64.pow((self.level.digits() - 6) as u32)) as u32
    }

    /// The enclosing area at a larger (or the same) level; `None` for a smaller level.
    pub fn ancestor(self, level: AreaLevel) -> Option<AreaCode> {
        if level > self.level {
            return None;
        }
        let shift = 10u64.pow((self.level.digits() - level.digits()) as u32);
        Some(Self { level, prefix: self.prefix / shift })
    }

    /// Whether `grid` lies in this area.
    pub fn contains(self, grid: GridCode) -> bool {
        grid.as_u64() / self.level.divisor() == self.prefix
    }

    /// Whether `other` is this area or lies inside it.
    pub fn contains_area(self, other: AreaCode) -> bool {
        other.ancestor(self.level) == Some(self)
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.prefix, width = self.level.digits())
    }
}

impl FromStr for AreaCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for AreaCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, CodeError> {
        Self::parse(&s)
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> String {
        c.to_string()
    }
}
