//! Finding a case by the tracking number its reporter was given (`GL-261129-7KQ2MX`), for the
//! citizen's tracking page, and wherever the staff API accepts a case id ([`resolve`]): citizens
//! phone in with their number, never the id. The number is unique (a constraint on
//! `cases.tracking_number`; on PostgreSQL on `case_keys.tracking_number`, which answers the
//! look-up without asking every monthly partition of `cases`).

use diesel::prelude::*;
use gridline_core::codes::CaseId;

use super::schema::cases;
use super::{DbConnection, StoreResult};

/// The id of the case with `tracking_number`, if there is one.
pub fn case_id(conn: &mut DbConnection, tracking_number: &str) -> StoreResult<Option<CaseId>> {
    let id: Option<String> = if let DbConnection::Pg(pg) = conn {
        super::partitions::case_of_tracking_number(pg, tracking_number)?
    } else {
        cases::table
            .filter(cases::tracking_number.eq(tracking_number))
            .select(cases::id)
            .first::<String>(conn)
            .optional()?
    };
    id.as_deref().map(super::typed::stored_case_id).transpose()
}

/// Longer input is not looked up: numbers are `GL-YYMMDD-XXXXXX` (16 characters).
pub const MAX_TRACKING_NUMBER_CHARS: usize = 32;

/// A tracking number as typed (`" gl-261129-7kq2mx "`), trimmed and upper-cased; `None` when it
/// cannot be one (empty, too long, or another character than letters, digits and '-').
pub fn normalized(text: &str) -> Option<String> {
    let text = text.trim().to_ascii_uppercase();
    let plausible = !text.is_empty()
        && text.len() <= MAX_TRACKING_NUMBER_CHARS
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    plausible.then_some(text)
}

/// `text` as a whole tracking number (`GL-`, six digits of the date, `-`, six letters or
/// digits), trimmed and upper-cased, or `None`: what a search box routes to the number's key
/// instead of the text index.
pub fn whole_number(text: &str) -> Option<String> {
    let number = normalized(text)?;
    let mut parts = number.split('-');
    let shaped = parts.next() == Some("GL")
        && parts.next().is_some_and(|date| date.len() == 6 && date.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_some_and(|suffix| suffix.len() == 6)
        && parts.next().is_none();
    shaped.then_some(number)
}

/// The case id that `id_or_number` names: a case id (UUID) as given, or the id of the case with
/// that tracking number. `None` when it is neither (the caller answers "no such case"); a UUID
/// is not looked up here, its case is read next anyway.
pub fn resolve(conn: &mut DbConnection, id_or_number: &str) -> StoreResult<Option<CaseId>> {
    if let Ok(id) = CaseId::parse(id_or_number.trim()) {
        return Ok(Some(id));
    }
    match normalized(id_or_number) {
        Some(number) => case_id(conn, &number),
        None => Ok(None),
    }
}
