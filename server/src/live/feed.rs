//! One caller's slice of the audit trail: the events after a sequence number on the cases in
//! the caller's scope ([`CaseFilter`], the rule every case list applies), oldest first, each with
//! its case as it is now.

use diesel::prelude::*;

use crate::auth::CaseFilter;
use crate::store::cases::CaseRow;
use crate::store::events::{self, EventRow};
use crate::store::schema::{case_events, cases};
use crate::store::{DbConnection, StoreResult};

/// A bounded read of the feed.
#[derive(Debug)]
pub struct Page {
    /// The events found, in sequence order, each with its case.
    pub events: Vec<(EventRow, CaseRow)>,
    /// Every event up to this sequence number has been looked at; the next read starts after it.
    pub through: i64,
    /// Whether the page was full, so more events may follow right away.
    pub more: bool,
}

/// The events numbered above `after` on cases that `filter` admits; at most `limit`.
pub fn after(conn: &mut DbConnection, filter: &CaseFilter, after: i64, limit: i64) -> StoreResult<Page> {
    // The high-water mark first: events commit in sequence order, so nothing at or below it
    // can appear later, and a scope with few events does not rescan the same range next time.
    let latest = events::latest_seq(conn)?;
    let through = latest.max(after);
    if latest <= after {
        return Ok(Page { events: Vec::new(), through, more: false });
    }
    let query = case_events::table
        .inner_join(cases::table)
        .filter(case_events::seq.gt(after))
        .filter(case_events::seq.le(latest))
        .order(case_events::seq)
        .limit(limit)
        .select((EventRow::as_select(), CaseRow::as_select()))
        .into_boxed();
    let Some(query) = crate::filter_by_scope!(query, filter) else {
        return Ok(Page { events: Vec::new(), through, more: false });
    };
    let events: Vec<(EventRow, CaseRow)> = query.load(conn)?;
    let more = events.len() as i64 == limit;
    let through = if more { events.last().map_or(through, |(event, _)| event.seq) } else { through };
    Ok(Page { events, through, more })
}
