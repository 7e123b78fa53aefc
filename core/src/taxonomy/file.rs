//! Reading the taxonomy file and checking it: every problem names the entry it is in
//! (`category #12 (C0101)`), so whoever edits the file can find it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{
    Category, DEFAULT_DUPLICATE_RADIUS_M, HandlingUnit, MAX_DUPLICATE_RADIUS_M, MajorClass, Names, Question,
    QuestionType, QuestionValue, Taxonomy, TaxonomyError,
};
use crate::calendar::TimeLimit;
use crate::codes::{CategoryCode, CategoryKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoot {
    version: u32,
    #[serde(default)]
    unit: Vec<FileUnit>,
    #[serde(default)]
    major: Vec<FileMajor>,
    #[serde(default)]
    category: Vec<FileCategory>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileUnit {
    code: String,
    zh: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMajor {
    kind: CategoryKind,
    code: u8,
    zh: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCategory {
    code: String,
    zh: String,
    en: String,
    limit: String,
    anonymous: bool,
    duplicate_radius_m: Option<u32>,
    unit: Option<String>,
    #[serde(default)]
    question: Vec<FileQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileQuestion {
    code: String,
    zh: String,
    en: String,
    datatype: QuestionType,
    required: bool,
    #[serde(default)]
    values: Vec<FileValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileValue {
    key: String,
    zh: String,
    en: String,
}

fn entry_error(entry: impl Into<String>, problem: impl Into<String>) -> TaxonomyError {
    TaxonomyError::Entry { entry: entry.into(), problem: problem.into() }
}

fn names(entry: &str, zh: String, en: String) -> Result<Names, TaxonomyError> {
    if zh.trim().is_empty() || en.trim().is_empty() {
        return Err(entry_error(entry, "both a Chinese (zh) and an English (en) name are required"));
    }
    Ok(Names { zh, en })
}

/// Codes of units, questions and list values go over the wire and into URLs.
pub(super) fn is_plain_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

pub(super) fn parse(text: &str) -> Result<Taxonomy, TaxonomyError> {
    let root: FileRoot = toml::from_str(text).map_err(|e| TaxonomyError::Syntax(e.to_string()))?;
    if root.version != 1 {
        return Err(TaxonomyError::Version(root.version));
    }
    let units = root
        .unit
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            let entry = format!("unit #{} ({})", i + 1, u.code);
            Ok(HandlingUnit { names: names(&entry, u.zh, u.en)?, code: u.code })
        })
        .collect::<Result<Vec<_>, TaxonomyError>>()?;
    let majors = root
        .major
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let entry = format!("major #{} ({} {:02})", i + 1, m.kind, m.code);
            Ok(MajorClass { kind: m.kind, code: m.code, names: names(&entry, m.zh, m.en)? })
        })
        .collect::<Result<Vec<_>, TaxonomyError>>()?;
    let categories = root
        .category
        .into_iter()
        .enumerate()
        .map(|(i, c)| category(i, c))
        .collect::<Result<Vec<_>, TaxonomyError>>()?;
    validate(majors, units, categories)
}

fn category(index: usize, c: FileCategory) -> Result<Category, TaxonomyError> {
    let entry = format!("category #{} ({})", index + 1, c.code);
    let code = CategoryCode::parse(&c.code).map_err(|e| entry_error(&entry, e.to_string()))?;
    let time_limit: TimeLimit =
        c.limit.parse().map_err(|e| entry_error(&entry, format!("limit {:?}: {e}", c.limit)))?;
    let questions = c
        .question
        .into_iter()
        .map(|q| {
            let qentry = format!("{entry} question {:?}", q.code);
            let values = q
                .values
                .into_iter()
                .map(|v| {
                    let ventry = format!("{qentry} value {:?}", v.key);
                    Ok(QuestionValue { names: names(&ventry, v.zh, v.en)?, key: v.key })
                })
                .collect::<Result<Vec<_>, TaxonomyError>>()?;
            Ok(Question {
                names: names(&qentry, q.zh, q.en)?,
                code: q.code,
                datatype: q.datatype,
                required: q.required,
                values,
            })
        })
        .collect::<Result<Vec<_>, TaxonomyError>>()?;
    Ok(Category {
        code,
        names: names(&entry, c.zh, c.en)?,
        time_limit,
        anonymous_allowed: c.anonymous,
        duplicate_radius_m: c.duplicate_radius_m.unwrap_or(DEFAULT_DUPLICATE_RADIUS_M),
        default_unit: c.unit,
        questions,
    })
}

/// The cross-entry checks, shared by the file reader and [`Taxonomy::from_parts`].
pub(super) fn validate(
    mut majors: Vec<MajorClass>,
    mut units: Vec<HandlingUnit>,
    mut categories: Vec<Category>,
) -> Result<Taxonomy, TaxonomyError> {
    let mut unit_codes = BTreeSet::new();
    for u in &units {
        let entry = format!("unit {:?}", u.code);
        if !is_plain_key(&u.code) {
            return Err(entry_error(entry, "a unit code is 1-64 characters of a-z, 0-9, '_' or '-'"));
        }
        if !unit_codes.insert(u.code.as_str()) {
            return Err(entry_error(entry, "this unit code appears more than once"));
        }
    }
    let mut major_keys = BTreeSet::new();
    for m in &majors {
        let entry = format!("major {} {:02}", m.kind, m.code);
        if !(1..=99).contains(&m.code) {
            return Err(entry_error(entry, "a major class code is 1..=99"));
        }
        if !major_keys.insert((m.kind, m.code)) {
            return Err(entry_error(entry, "this major class appears more than once"));
        }
    }
    let mut by_code = BTreeMap::new();
    for c in &categories {
        let entry = format!("category {}", c.code);
        if !major_keys.contains(&(c.code.kind(), c.code.major())) {
            return Err(entry_error(
                entry,
                format!("no {} major class {:02} is declared", c.code.kind(), c.code.major()),
            ));
        }
        if by_code.insert(c.code, ()).is_some() {
            return Err(entry_error(entry, "this category code appears more than once"));
        }
        if matches!(c.time_limit, TimeLimit::Hours(0) | TimeLimit::Days(0)) {
            return Err(entry_error(entry, "the time limit must be more than zero"));
        }
        if !(1..=MAX_DUPLICATE_RADIUS_M).contains(&c.duplicate_radius_m) {
            return Err(entry_error(
                entry,
                format!(
                    "duplicate_radius_m must be 1..={MAX_DUPLICATE_RADIUS_M}, got {}",
                    c.duplicate_radius_m
                ),
            ));
        }
        if let Some(unit) = &c.default_unit
            && !unit_codes.contains(unit.as_str())
        {
            return Err(entry_error(entry, format!("unit {unit:?} is not declared")));
        }
        check_questions(&entry, &c.questions)?;
    }
    majors.sort_by_key(|m| (m.kind, m.code));
    units.sort_by(|a, b| a.code.cmp(&b.code));
    categories.sort_by_key(|c| c.code);
    let by_code = categories.iter().enumerate().map(|(i, c)| (c.code, i)).collect();
    Ok(Taxonomy { majors, units, categories, by_code })
}

fn check_questions(entry: &str, questions: &[Question]) -> Result<(), TaxonomyError> {
    let mut codes = BTreeSet::new();
    for q in questions {
        let qentry = format!("{entry} question {:?}", q.code);
        if !is_plain_key(&q.code) {
            return Err(entry_error(qentry, "a question code is 1-64 characters of a-z, 0-9, '_' or '-'"));
        }
        if !codes.insert(q.code.as_str()) {
            return Err(entry_error(qentry, "this question code appears more than once"));
        }
        match (q.datatype.is_list(), q.values.is_empty()) {
            (true, true) => {
                return Err(entry_error(qentry, format!("a {} question needs values", q.datatype.as_str())));
            }
            (false, false) => {
                return Err(entry_error(
                    qentry,
                    format!("a {} question takes no values", q.datatype.as_str()),
                ));
            }
            _ => {}
        }
        let mut keys = BTreeSet::new();
        for v in &q.values {
            if !is_plain_key(&v.key) || !keys.insert(v.key.as_str()) {
                return Err(entry_error(
                    &qentry,
                    format!("value key {:?} is empty, malformed or repeated", v.key),
                ));
            }
        }
    }
    Ok(())
}
