//! [`CategoryCode`]: which kind of problem a report is about, as in GB/T 30428.2: a kind
//! (component 部件 or event 事件), a 2-digit major class and a 2-digit minor class.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::CodeError;

/// Components are physical facilities (a manhole cover, a street lamp); events are things that
/// happen (illegal parking, rubbish, unlicensed construction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    /// 部件
    Component,
    /// 事件
    Event,
}

impl CategoryKind {
    /// The letter that starts a category code.
    pub fn letter(self) -> char {
        match self {
            CategoryKind::Component => 'C',
            CategoryKind::Event => 'E',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CategoryKind::Component => "component",
            CategoryKind::Event => "event",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            CategoryKind::Component => "部件",
            CategoryKind::Event => "事件",
        }
    }
}

impl fmt::Display for CategoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A category such as `C0101` (component, major 01, minor 01). Text form: kind letter then
/// four digits; parsing also takes lower case and a dash after the letter (`e-0203`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryCode {
    kind: CategoryKind,
    major: u8,
    minor: u8,
}

impl CategoryCode {
    pub fn new(kind: CategoryKind, major: u8, minor: u8) -> Result<Self, CodeError> {
        if major == 0 || major > 99 {
            return Err(CodeError::CategoryZero { part: "major" });
        }
        if minor == 0 || minor > 99 {
            return Err(CodeError::CategoryZero { part: "minor" });
        }
        Ok(Self { kind, major, minor })
    }

    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let bad = || CodeError::CategoryFormat(s.to_owned());
        let t = s.trim();
        let mut chars = t.chars();
        let kind = match chars.next().map(|c| c.to_ascii_uppercase()) {
            Some('C') => CategoryKind::Component,
            Some('E') => CategoryKind::Event,
            _ => return Err(bad()),
        };
        let rest = chars.as_str();
        let digits = rest.strip_prefix('-').unwrap_or(rest);
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let major = digits[..2].parse::<u8>().map_err(|_| bad())?;
        let minor = digits[2..].parse::<u8>().map_err(|_| bad())?;
        Self::new(kind, major, minor)
    }

    pub fn kind(self) -> CategoryKind {
        self.kind
    }

    pub fn major(self) -> u8 {
        self.major
    }

    pub fn minor(self) -> u8 {
        self.minor
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:02}{:02}", self.kind.letter(), self.major, self.minor)
    }
}

impl FromStr for CategoryCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CategoryCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, CodeError> {
        Self::parse(&s)
    }
}

impl From<CategoryCode> for String {
    fn from(c: CategoryCode) -> String {
        c.to_string()
    }
}
