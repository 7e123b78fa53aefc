//! One year's holiday schedule read from a TOML file: the days off of each holiday and the
//! weekend days worked in exchange (调休). Every problem is reported with the file name, the line
//! and the holiday it concerns.
//!
//! ```toml
//! year = 2025
//!
//! [[holiday]]
//! name = "Spring Festival (春节)"
//! statutory = 4                              # optional: statutory days, checked on load
//! off = ["2025-01-28..2025-02-04"]           # single dates or inclusive ranges
//! worked = ["2025-01-26", "2025-02-08"]      # optional: weekend days that are worked
//! ```

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use toml::Spanned;

use super::CalendarError;

/// The longest run of days a single `off` range may cover; a longer one is a typo.
const MAX_RANGE_DAYS: i64 = 31;

/// A holiday as loaded: its days off, the weekend days worked in exchange, and where it was
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub name: String,
    /// The number of statutory days (法定假日) it contains, when the file says.
    pub statutory: Option<u32>,
    pub off: Vec<NaiveDate>,
    pub worked: Vec<NaiveDate>,
    /// The line of its `[[holiday]]` entry, for error messages.
    pub line: usize,
}

/// One year's schedule: the file it came from and its holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearSchedule {
    pub year: i32,
    pub source: String,
    pub holidays: Vec<Holiday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    year: i32,
    #[serde(default)]
    holiday: Vec<Spanned<RawHoliday>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: String,
    statutory: Option<u32>,
    off: Vec<Spanned<String>>,
    #[serde(default)]
    worked: Vec<Spanned<String>>,
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

impl YearSchedule {
    /// Parse and check one year file. `source` names the file in error messages.
    pub fn from_toml(text: &str, source: &str) -> Result<Self, CalendarError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| CalendarError::Syntax {
            source_name: source.to_owned(),
            line: e.span().map(|span| line_of(text, span.start)),
            message: e.message().trim().to_owned(),
        })?;
        let year = raw.year;
        if !(1900..=2200).contains(&year) {
            return Err(CalendarError::File {
                source_name: source.to_owned(),
                problem: format!("year must be between 1900 and 2200, got {year}"),
            });
        }
        let mut seen: BTreeMap<NaiveDate, String> = BTreeMap::new();
        let mut holidays = Vec::with_capacity(raw.holiday.len());
        for entry in raw.holiday {
            let line = line_of(text, entry.span().start);
            let raw = entry.into_inner();
            let entry_error = |line: usize, problem: String| CalendarError::Entry {
                source_name: source.to_owned(),
                line,
                holiday: raw.name.clone(),
                problem,
            };
            let parse_list = |items: &[Spanned<String>], allow_range: bool| {
                let mut dates = Vec::new();
                for item in items {
                    let item_line = line_of(text, item.span().start);
                    let parsed = parse_dates(item.get_ref(), year, allow_range)
                        .map_err(|problem| entry_error(item_line, problem))?;
                    dates.extend(parsed);
                }
                Ok::<_, CalendarError>(dates)
            };
            let off = parse_list(&raw.off, true)?;
            let worked = parse_list(&raw.worked, false)?;
            if off.is_empty() {
                return Err(entry_error(line, "a holiday needs at least one day in `off`".to_owned()));
            }
            for date in off.iter().chain(&worked) {
                if let Some(other) = seen.insert(*date, raw.name.clone()) {
                    return Err(entry_error(line, format!("{date} is listed twice (also in {other:?})")));
                }
            }
            holidays.push(Holiday { name: raw.name, statutory: raw.statutory, off, worked, line });
        }
        Ok(YearSchedule { year, source: source.to_owned(), holidays })
    }
}

/// `2025-01-28` or, when ranges are allowed, `2025-01-28..2025-02-04` (inclusive), each date in
/// `year` or a neighbouring year.
fn parse_dates(text: &str, year: i32, allow_range: bool) -> Result<Vec<NaiveDate>, String> {
    let date = |s: &str| {
        let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| format!("expected a date like {year}-01-31, got {s:?}"))?;
        if (d.year() - year).abs() > 1 {
            return Err(format!("{d} is too far from the file's year {year}"));
        }
        Ok(d)
    };
    let Some((first, last)) = text.split_once("..") else {
        return Ok(vec![date(text)?]);
    };
    if !allow_range {
        return Err(format!("expected single dates here, got the range {text:?}"));
    }
    let (first, last) = (date(first)?, date(last)?);
    let days = (last - first).num_days();
    if !(0..MAX_RANGE_DAYS).contains(&days) {
        return Err(format!("a range runs forward over at most {MAX_RANGE_DAYS} days, got {text:?}"));
    }
    Ok(first.iter_days().take(days as usize + 1).collect())
}
