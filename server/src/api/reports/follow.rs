//! What a reporter's list shows beyond the row intake wrote: the deadline and overdue flag of
//! each report, and for a report merged as a duplicate, the surviving case it now follows.
//!
//! A survivor may itself be merged later; the chain is followed to its end (at most
//! [`MAX_HOPS`] links, which no real triage reaches; a longer chain stops at the last case read).
//!
//! For the incremental list ([`super::mine`] with a cursor), a change to a followed case counts
//! as a change to the merged report that follows it ([`add_followed_changes`]), so a phone
//! learns that the survivor moved on without a full reload.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;

use gridline_core::codes::CaseId;
use gridline_core::workflow::CaseState;

use super::{ReportReceipt, rfc3339};
use crate::store::cases::{self, CaseRow, FullCase};
use crate::store::schema::{case_events, cases as case_table};
use crate::store::{DbConnection, StoreResult};

/// Most merge links followed from one report.
pub const MAX_HOPS: usize = 8;

/// The public facts of the case a merged report follows. It names the case by its tracking
/// number (public on Open311), never by its id: a citizen learns nothing that would let them
/// address another person's case in the API.
pub use gridline_core::protocol::FollowedCase;

impl From<&FullCase> for FollowedCase {
    fn from(case: &FullCase) -> Self {
        Self {
            tracking_number: case.row.tracking_number.clone(),
            state: case.row.state,
            deadline: case.workflow.deadline.map(rfc3339),
            overdue: case.workflow.overdue,
        }
    }
}

/// The receipts of `rows`, in their order, with workflow facts and followed cases.
pub fn receipts(conn: &mut DbConnection, rows: &[CaseRow]) -> StoreResult<Vec<ReportReceipt>> {
    let ids: Vec<CaseId> = rows.iter().map(|r| r.id).collect();
    let mut known: HashMap<CaseId, FullCase> =
        cases::find_many_full(conn, &ids)?.into_iter().map(|c| (c.row.id, c)).collect();
    // Read each level of merge targets in one query.
    let mut frontier: Vec<CaseId> =
        known.values().filter_map(|c| c.workflow.merged_into).filter(|t| !known.contains_key(t)).collect();
    for _ in 0..MAX_HOPS {
        if frontier.is_empty() {
            break;
        }
        let found = cases::find_many_full(conn, &frontier)?;
        frontier = found.iter().filter_map(|c| c.workflow.merged_into).collect();
        known.extend(found.into_iter().map(|c| (c.row.id, c)));
        frontier.retain(|t| !known.contains_key(t));
    }
    Ok(rows
        .iter()
        .map(|row| {
            let mut receipt = ReportReceipt::from(row);
            let Some(full) = known.get(&row.id) else { return receipt };
            receipt.deadline = full.workflow.deadline.map(rfc3339);
            receipt.overdue = full.workflow.overdue;
            if row.state == CaseState::Merged {
                receipt.follows = survivor(&known, full).map(FollowedCase::from);
            }
            receipt
        })
        .collect())
}

/// The end of `case`'s merge chain among `known`, if it has one.
fn survivor<'a>(known: &'a HashMap<CaseId, FullCase>, case: &'a FullCase) -> Option<&'a FullCase> {
    let mut at = known.get(&case.workflow.merged_into?)?;
    for _ in 0..MAX_HOPS {
        match at.workflow.merged_into.and_then(|next| known.get(&next)) {
            Some(next) if at.row.state == CaseState::Merged => at = next,
            _ => break,
        }
    }
    Some(at)
}

/// Adds to `changes` (`(seq, case id)` of events on the reporter's own cases, after `after` up
/// to `through`, in order) the events in that span on the cases the reporter's merged reports
/// follow, each as a change to the merged report; keeps the first `limit` in order.
pub fn add_followed_changes(
    conn: &mut DbConnection,
    reporter_id: &str,
    after: i64,
    through: i64,
    limit: i64,
    changes: &mut Vec<(i64, String)>,
) -> StoreResult<()> {
    let merged: Vec<(String, Option<String>)> = case_table::table
        .filter(case_table::reporter_id.eq(reporter_id))
        .filter(case_table::merged_into.is_not_null())
        .select((case_table::id, case_table::merged_into))
        .load(conn)?;
    // Every case along each merge chain, with the reporter's merged reports that follow it.
    let mut followers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut frontier: Vec<(String, String)> =
        merged.into_iter().filter_map(|(report, target)| Some((target?, report))).collect();
    for _ in 0..MAX_HOPS {
        if frontier.is_empty() {
            break;
        }
        let targets: Vec<String> = frontier.iter().map(|(target, _)| target.clone()).collect();
        let next: HashMap<String, String> = case_table::table
            .filter(case_table::id.eq_any(&targets))
            .filter(case_table::merged_into.is_not_null())
            .select((case_table::id, case_table::merged_into))
            .load::<(String, Option<String>)>(conn)?
            .into_iter()
            .filter_map(|(id, target)| Some((id, target?)))
            .collect();
        let mut further = Vec::new();
        for (target, report) in frontier {
            if let Some(beyond) = next.get(&target) {
                further.push((beyond.clone(), report.clone()));
            }
            followers.entry(target).or_default().insert(report);
        }
        frontier = further;
    }
    if followers.is_empty() {
        return Ok(());
    }
    let followed: Vec<String> = followers.keys().cloned().collect();
    let events: Vec<(i64, String)> = case_events::table
        .filter(case_events::case_id.eq_any(&followed))
        .filter(case_events::seq.gt(after))
        .filter(case_events::seq.le(through))
        .order(case_events::seq)
        .limit(limit)
        .select((case_events::seq, case_events::case_id))
        .load(conn)?;
    for (seq, case_id) in events {
        for report in followers.get(&case_id).into_iter().flatten() {
            changes.push((seq, report.clone()));
        }
    }
    changes.sort();
    // Cut after the `limit`-th entry's sequence number, never inside it (so the page may hold
    // more than `limit` entries): the next page starts after that number.
    if changes.len() as i64 > limit {
        let last = changes[limit as usize - 1].0;
        changes.retain(|(seq, _)| *seq <= last);
    }
    Ok(())
}
