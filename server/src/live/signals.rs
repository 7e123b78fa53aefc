//! The live `signal` event: early warning's signals raised or grown (by the daily job on
//! whichever node claimed it, or by someone's "Run the scan") reach the staff who watch them on
//! the same stream as the cases' changes (`GET /api/v1/events`, [`crate::api::events`]), so the
//! dashboard's warnings view refreshes at once instead of waiting for its next re-read.
//!
//! A signal is no case event and has no place in the audit trail's sequence, so the stream
//! does not number it: each stream keeps the version of every live signal in its scope that it
//! has seen. When the signals' bell rings (a run or a step rings the node's
//! [`crate::store::Db::signals`], and on PostgreSQL every node's through `NOTIFY`,
//! [`warning_signals::announce`]), and on each poll, it reads the live signals' versions again
//! and sends one `event: signal` (without an `id:`, so `Last-Event-ID` stays a case event's) per
//! signal new or changed. Case events do not ring that bell. A reconnecting client reads the
//! signals' list again anyway.
//!
//! - **Who**: the roles that watch warnings ([`crate::warnings::WATCHERS`]), for the
//!   signals whose centre cell their scope holds, as `GET /api/v1/warnings/signals` lists
//!   them; anyone else's stream never reads signals.
//! - **What**: the signal's id, version, state, method, category or class and cells; the
//!   dashboard reads the rest from the list.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::json;

use crate::auth::{CaseFilter, Principal};
use crate::store::warning_signals::{self, SignalRow};
use crate::store::{DbConnection, StoreResult};
use crate::warnings::WATCHERS;

/// What one stream has announced: the version of each live signal in its scope.
#[derive(Debug)]
pub struct SignalWatch {
    scope: CaseFilter,
    seen: HashMap<String, i32>,
}

impl SignalWatch {
    /// The watch of `who`'s stream, when `who` watches warnings; what is live now counts as
    /// seen, as the stream starts from the moment of the request.
    pub fn start(conn: &mut DbConnection, who: &Principal) -> StoreResult<Option<Self>> {
        if !WATCHERS.contains(&who.role) {
            return Ok(None);
        }
        let scope = who.case_filter();
        let seen = warning_signals::live_versions(conn, &scope)?.into_iter().collect();
        Ok(Some(SignalWatch { scope, seen }))
    }

    /// The signals raised or grown since the last read, and those staff stepped on (still live
    /// or settled since), as stored; marks them seen.
    pub fn changes(&mut self, conn: &mut DbConnection) -> StoreResult<Vec<SignalRow>> {
        let now: HashMap<String, i32> =
            warning_signals::live_versions(conn, &self.scope)?.into_iter().collect();
        let new_or_changed = now.iter().filter(|(id, version)| self.seen.get(*id) != Some(*version));
        let gone = self.seen.keys().filter(|id| !now.contains_key(*id));
        let mut changed = Vec::new();
        for id in new_or_changed.map(|(id, _)| id).chain(gone) {
            if let Some(row) = warning_signals::find(conn, id)? {
                changed.push(row);
            }
        }
        changed.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id)));
        // Settled (or fallen out of the newest ones): announced once, then forgotten, so the map
        // stays the live set.
        self.seen = now;
        Ok(changed)
    }
}

/// One `signal` event.
pub fn frame(row: &SignalRow) -> Bytes {
    let cells: Vec<String> = serde_json::from_str(&row.cells).unwrap_or_default();
    let data = json!({
        "signal_id": row.id,
        "version": row.version,
        "state": row.state.as_str(),
        "method": row.method.as_str(),
        "category": row.category.map(|code| code.to_string()),
        "class": row.class,
        "cells": cells,
        "runs": row.runs,
    });
    Bytes::from(format!("event: signal\ndata: {data}\n\n"))
}
