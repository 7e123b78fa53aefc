//! What a reporter's list shows beyond the row intake wrote: the deadline and overdue flag of
//! each report, and for a report merged as a duplicate, the surviving case it now follows.
//!
//! A survivor may itself be merged later; the chain is followed to its end (at most
//! [`MAX_HOPS`] links, which no real triage reaches; a longer chain stops at the last case read).

use std::collections::HashMap;

use gridline_core::workflow::CaseState;
use serde::Serialize;

use super::{ReportReceipt, rfc3339};
use crate::store::cases::{self, CaseRow, FullCase};
use crate::store::{DbConnection, StoreResult};

/// Most merge links followed from one report.
pub const MAX_HOPS: usize = 8;

/// The public facts of the case a merged report follows.
#[derive(Debug, Serialize)]
pub struct FollowedCase {
    pub id: String,
    pub tracking_number: String,
    pub state: String,
    pub deadline: Option<String>,
    pub overdue: bool,
}

impl From<&FullCase> for FollowedCase {
    fn from(case: &FullCase) -> Self {
        Self {
            id: case.row.id.clone(),
            tracking_number: case.row.tracking_number.clone(),
            state: case.row.state.clone(),
            deadline: case.workflow.deadline.map(rfc3339),
            overdue: case.workflow.overdue,
        }
    }
}

/// The receipts of `rows`, in their order, with workflow facts and followed cases.
pub fn receipts(conn: &mut DbConnection, rows: &[CaseRow]) -> StoreResult<Vec<ReportReceipt>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut known: HashMap<String, FullCase> =
        cases::find_many_full(conn, &ids)?.into_iter().map(|c| (c.row.id.clone(), c)).collect();
    // Read each level of merge targets in one query.
    let mut frontier: Vec<String> = known
        .values()
        .filter_map(|c| c.workflow.merged_into.clone())
        .filter(|t| !known.contains_key(t))
        .collect();
    for _ in 0..MAX_HOPS {
        if frontier.is_empty() {
            break;
        }
        let found = cases::find_many_full(conn, &frontier)?;
        frontier = found.iter().filter_map(|c| c.workflow.merged_into.clone()).collect();
        known.extend(found.into_iter().map(|c| (c.row.id.clone(), c)));
        frontier.retain(|t| !known.contains_key(t));
    }
    Ok(rows
        .iter()
        .map(|row| {
            let mut receipt = ReportReceipt::from(row);
            let Some(full) = known.get(&row.id) else { return receipt };
            receipt.deadline = full.workflow.deadline.map(rfc3339);
            receipt.overdue = full.workflow.overdue;
            receipt.merged_into = full.workflow.merged_into.clone();
            if row.state == CaseState::Merged.as_str() {
                receipt.follows = survivor(&known, full).map(FollowedCase::from);
            }
            receipt
        })
        .collect())
}

/// The end of `case`'s merge chain among `known`, if it has one.
fn survivor<'a>(known: &'a HashMap<String, FullCase>, case: &'a FullCase) -> Option<&'a FullCase> {
    let mut at = known.get(case.workflow.merged_into.as_deref()?)?;
    for _ in 0..MAX_HOPS {
        match at.workflow.merged_into.as_deref().and_then(|next| known.get(next)) {
            Some(next) if at.row.state == CaseState::Merged.as_str() => at = next,
            _ => break,
        }
    }
    Some(at)
}
