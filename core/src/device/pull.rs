//! Incremental pull of what the server holds for this user, cached for offline reading: the
//! inspector's work list (`GET /api/v1/worklist`) and the citizen's own reports
//! (`GET /api/v1/reports/mine`).
//!
//! Both answer with a `next_cursor` (the server's audit-trail sequence number, never a clock):
//! the first pull (cursor 0) is the whole list, every later one only what changed since the
//! cursor, so a phone offline for a day catches up in one request. Each answer page is applied
//! in one transaction together with its cursor, so a crash or a lost answer at any point leaves
//! the cache and the cursor in agreement and the next pull resumes where the last one ended.

use rusqlite::{OptionalExtension, params};

use crate::protocol::{MyReportsPage, WorklistItem, WorklistPage};
use crate::workflow::CaseState;

use super::error::{Error, Result};
use super::store::Store;

/// A list the device pulls and caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PullList {
    /// The inspector's work list: cases in their cells that need them (reported, handled).
    Worklist,
    /// The signed-in user's own reports and their current state.
    MyReports,
}

impl PullList {
    /// The name stored in the cache.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Worklist => "worklist",
            Self::MyReports => "mine",
        }
    }

    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Worklist => WORKLIST_PATH,
            Self::MyReports => MINE_PATH,
        }
    }
}

pub(crate) const WORKLIST_PATH: &str = "/api/v1/worklist";
pub(crate) const MINE_PATH: &str = "/api/v1/reports/mine";
/// Most reports a full `reports/mine` answer holds (the server's maximum `limit`).
pub(crate) const MINE_LIMIT: u32 = 200;

/// One case as last pulled: its id, state and its answer as JSON (the staff case view,
/// [`crate::protocol::CaseView`], for the work list; the reporter's receipt,
/// [`crate::protocol::ReportReceipt`], for own reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedCase {
    pub list: PullList,
    pub id: String,
    pub state: String,
    /// The case's answer type as JSON (what the server sent, as core reads it).
    pub json: String,
    /// When the server created the case (RFC 3339, the server's clock), for ordering.
    pub created_at: String,
}

/// What one applied answer page changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageApplied {
    pub more: bool,
}

/// One change to the cache.
enum Change {
    Upsert { id: String, state: String, created_at: String, json: String },
    Remove { id: String },
}

fn upsert(id: &str, state: CaseState, created_at: &str, answer: &impl serde::Serialize) -> Result<Change> {
    Ok(Change::Upsert {
        id: id.to_owned(),
        state: state.as_str().to_owned(),
        created_at: created_at.to_owned(),
        json: serde_json::to_string(answer)?,
    })
}

fn protocol(list: PullList, reason: String) -> Error {
    Error::Protocol { endpoint: list.path(), reason }
}

/// Read one answer page (core's [`WorklistPage`] or [`MyReportsPage`], each read by its one
/// parser) into changes; `(full, next_cursor, more, changes)`.
fn parse(list: PullList, body: &[u8]) -> Result<(bool, i64, bool, Vec<Change>)> {
    match list {
        PullList::Worklist => {
            let page = WorklistPage::parse(body).map_err(|e| protocol(list, e.reason))?;
            let changes = page
                .items
                .iter()
                .map(|item| match item {
                    WorklistItem::Removed { id, .. } => Ok(Change::Remove { id: id.clone() }),
                    WorklistItem::Upsert { case } => upsert(&case.id, case.state, &case.created_at, case),
                })
                .collect::<Result<_>>()?;
            Ok((page.full, page.next_cursor, page.more, changes))
        }
        PullList::MyReports => {
            let page = MyReportsPage::parse(body).map_err(|e| protocol(list, e.reason))?;
            let changes = page
                .reports
                .iter()
                .map(|report| upsert(&report.id, report.state, &report.created_at, report))
                .collect::<Result<_>>()?;
            Ok((page.full, page.next_cursor, page.more, changes))
        }
    }
}

impl Store {
    /// The cursor the next pull of `list` starts from (0: never pulled, the whole list).
    pub fn pull_cursor(&self, list: PullList) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT cursor FROM pull_cursors WHERE list = ?1", [list.as_str()], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// The cached cases of `list`, newest first (by the server's creation time).
    pub fn cached_cases(&self, list: PullList) -> Result<Vec<CachedCase>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, state, json, created_at FROM pulled_cases WHERE list = ?1
             ORDER BY created_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([list.as_str()], |r| {
            Ok(CachedCase { list, id: r.get(0)?, state: r.get(1)?, json: r.get(2)?, created_at: r.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A case's cached detail and state from `list`, if that list holds it.
    pub fn cached_case(&self, list: PullList, case_id: &str) -> Result<Option<CachedCase>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, state, json, created_at FROM pulled_cases WHERE list = ?1 AND id = ?2",
                params![list.as_str(), case_id],
                |r| {
                    Ok(CachedCase {
                        list,
                        id: r.get(0)?,
                        state: r.get(1)?,
                        json: r.get(2)?,
                        created_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Forget everything pulled (sign-out, or another user signing in on this phone).
    pub fn clear_pulled(&self) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM pulled_cases", [])?;
        tx.execute("DELETE FROM pull_cursors", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Apply one answer page of `list` pulled from `from_cursor`, with its new cursor, in one
    /// transaction. A page whose `from_cursor` no longer matches the stored one (another pull
    /// got there first) is dropped: the stored cursor already covers it.
    pub(crate) fn apply_pulled(&self, list: PullList, from_cursor: i64, body: &[u8]) -> Result<PageApplied> {
        let (full, next_cursor, more, changes) = parse(list, body)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let stored: i64 = tx
            .query_row("SELECT cursor FROM pull_cursors WHERE list = ?1", [list.as_str()], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        if stored != from_cursor {
            return Ok(PageApplied { more: false });
        }
        if full {
            tx.execute("DELETE FROM pulled_cases WHERE list = ?1", [list.as_str()])?;
        }
        for change in changes {
            match change {
                Change::Upsert { id, state, created_at, json } => {
                    tx.execute(
                        "INSERT INTO pulled_cases (list, id, state, json, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (list, id) DO UPDATE SET state = excluded.state, json = excluded.json,
                         created_at = excluded.created_at",
                        params![list.as_str(), id, state, json, created_at],
                    )?;
                }
                Change::Remove { id } => {
                    tx.execute(
                        "DELETE FROM pulled_cases WHERE list = ?1 AND id = ?2",
                        params![list.as_str(), id],
                    )?;
                }
            }
        }
        tx.execute(
            "INSERT INTO pull_cursors (list, cursor) VALUES (?1, ?2)
             ON CONFLICT (list) DO UPDATE SET cursor = excluded.cursor",
            params![list.as_str(), next_cursor],
        )?;
        tx.commit()?;
        Ok(PageApplied { more })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    /// A staff case view as the server sends it, with the fields the cache reads.
    fn case(id: &str, state: &str, created_at: &str) -> String {
        format!(
            r#"{{"id":"{id}","tracking_number":"T-{id}","state":"{state}","category":"E0101",
            "placement":{{"outcome":"in_grid"}},"description":"d","created_at":"{created_at}",
            "updated_at":"{created_at}","version":1,"overdue":false,"view":"staff",
            "position":{{"lat":39.9,"lon":116.4}}}}"#
        )
    }

    /// A reporter's receipt as the server sends it.
    fn receipt(id: &str, state: &str) -> String {
        format!(
            r#"{{"id":"{id}","tracking_number":"T-{id}","state":"{state}","category":"E0101",
            "anonymous":false,"placement":{{"outcome":"in_grid"}},"geotag":"unknown",
            "created_at":"2026-01-01T00:00:00.000Z","overdue":false}}"#
        )
    }

    #[test]
    fn a_full_page_replaces_the_list_and_later_pages_upsert_and_remove() {
        let (_dir, store) = store();
        let full = format!(
            r#"{{"full":true,"next_cursor":7,"more":false,"items":[
            {{"change":"upsert","case":{}}},{{"change":"upsert","case":{}}}]}}"#,
            case("A", "reported", "2026-01-01T00:00:00.000Z"),
            case("B", "handled", "2026-01-02T00:00:00.000Z")
        );
        store.apply_pulled(PullList::Worklist, 0, full.as_bytes()).unwrap();
        let ids: Vec<String> =
            store.cached_cases(PullList::Worklist).unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["B", "A"]);
        assert_eq!(store.pull_cursor(PullList::Worklist).unwrap(), 7);
        // The cached JSON is the case view again.
        let cached = store.cached_case(PullList::Worklist, "A").unwrap().unwrap();
        assert_eq!(crate::protocol::CaseView::parse(cached.json.as_bytes()).unwrap().tracking_number, "T-A");

        let delta = format!(
            r#"{{"full":false,"next_cursor":9,"more":false,"items":[
            {{"change":"removed","id":"B","state":"closed"}},{{"change":"upsert","case":{}}}]}}"#,
            case("A", "handled", "2026-01-01T00:00:00.000Z")
        );
        store.apply_pulled(PullList::Worklist, 7, delta.as_bytes()).unwrap();
        let cached = store.cached_cases(PullList::Worklist).unwrap();
        assert_eq!(cached.len(), 1);
        assert_eq!((cached[0].id.as_str(), cached[0].state.as_str()), ("A", "handled"));
        assert_eq!(store.pull_cursor(PullList::Worklist).unwrap(), 9);
        // The other list is untouched.
        assert!(store.cached_cases(PullList::MyReports).unwrap().is_empty());
    }

    #[test]
    fn a_page_from_a_stale_cursor_is_dropped() {
        let (_dir, store) = store();
        let page = format!(
            r#"{{"full":false,"next_cursor":5,"more":false,"reports":[{}]}}"#,
            receipt("A", "reported")
        );
        store.apply_pulled(PullList::MyReports, 3, page.as_bytes()).unwrap();
        assert_eq!(store.pull_cursor(PullList::MyReports).unwrap(), 0);
        assert!(store.cached_case(PullList::MyReports, "A").unwrap().is_none());
    }

    #[test]
    fn an_unreadable_page_changes_nothing() {
        let (_dir, store) = store();
        for page in [
            format!(
                r#"{{"full":true,"next_cursor":5,"more":false,"reports":[{},{{"no":"id"}}]}}"#,
                receipt("A", "reported")
            ),
            format!(
                r#"{{"full":true,"next_cursor":5,"more":false,"reports":[{}]}}"#,
                receipt("A", "no_such_state")
            ),
            format!(
                r#"{{"full":true,"next_cursor":-1,"more":false,"reports":[{}]}}"#,
                receipt("A", "reported")
            ),
        ] {
            assert!(matches!(
                store.apply_pulled(PullList::MyReports, 0, page.as_bytes()),
                Err(Error::Protocol { .. })
            ));
        }
        assert_eq!(store.pull_cursor(PullList::MyReports).unwrap(), 0);
        assert!(store.cached_cases(PullList::MyReports).unwrap().is_empty());
    }
}
