//! The outbox: what the user has sent and the server has not yet confirmed, in the order it
//! was sent. Each item carries its own idempotency key, fixed when it is queued, so however
//! often the sync engine resends it the server records it once.
//!
//! - [`Store::submit`] moves a valid draft into the outbox in one transaction: the item, its
//!   key, its photos and the draft's deletion commit together or not at all.
//! - [`Store::queue_action`] queues a workflow step on a case (accept, handled, verify), checked
//!   against [`crate::workflow`] first. Steps on the same case keep their order: a later one
//!   waits while an earlier one is pending or parked. Reports are independent of each other.
//! - An item the server refused stays, parked as `failed` (with the server's problem) or
//!   `conflict` (with the case's current state), until the user retries, edits or discards it.
//!   Nothing is dropped silently.
//!
//! Order is the `seq` column (`AUTOINCREMENT`), never a timestamp.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::drafts::{
    DraftFields, FieldError, FieldErrorKind, Position, StoredPhoto, check_photo_count, check_position,
    check_report, new_id, photo_ids_of,
};
use super::error::{Error, Result};
use super::store::Store;
use crate::photo::PreparedPhoto;
use crate::taxonomy::Taxonomy;
use crate::workflow::{Action, CaseState, Role, decide};

/// What an outbox item sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A new report (`POST /api/v1/reports`).
    Report,
    /// A workflow step on an existing case (`POST /api/v1/cases/{id}/actions`).
    CaseAction,
}

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// Waiting to be sent, or being retried.
    Pending,
    /// The server confirmed it.
    Delivered,
    /// The server refused it (validation, permission); see [`OutboxItem::problem`].
    Failed,
    /// The case had moved on (409); see [`OutboxItem::conflict`].
    Conflict,
}

impl ItemStatus {
    fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Delivered => "delivered",
            ItemStatus::Failed => "failed",
            ItemStatus::Conflict => "conflict",
        }
    }

    fn parse(text: &str) -> ItemStatus {
        match text {
            "delivered" => ItemStatus::Delivered,
            "failed" => ItemStatus::Failed,
            "conflict" => ItemStatus::Conflict,
            _ => ItemStatus::Pending,
        }
    }
}

/// The server's reason for refusing an item, from its `application/problem+json` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The HTTP status.
    pub status: u16,
    /// The server's stable machine code (`invalid_field`, `forbidden`, ...).
    pub code: String,
    /// The field at fault, in the draft's field names, when the server named one.
    pub field: Option<String>,
    /// The server's message, for the user.
    pub message: String,
    /// How many more tries the server allows (a wrong one-time code), when it said.
    #[serde(default)]
    pub attempts_left: Option<u32>,
}

/// A workflow step to take on a case, as queued from the phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseAction {
    pub case_id: String,
    pub action: Action,
    pub reason: Option<String>,
    /// Where the actor stands (verification is done on site).
    pub position: Option<Position>,
    /// 1 to 5, for `rate`.
    pub rating: Option<u8>,
    /// The citizen's words with a `rate`, at most [`crate::limits::MAX_STEP_TEXT_CHARS`]
    /// characters (items queued before it existed read as none).
    #[serde(default)]
    pub comment: Option<String>,
}

/// An item in the outbox, as the app shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: String,
    /// Position in the queue; increases with every item queued and never repeats.
    pub seq: i64,
    pub kind: ItemKind,
    pub status: ItemStatus,
    /// The key the server deduplicates on (a UUIDv7).
    pub idempotency_key: String,
    /// Tries that ended without a final answer (network, 5xx, 429).
    pub attempts: u32,
    /// For [`ItemStatus::Failed`].
    pub problem: Option<Problem>,
    /// For [`ItemStatus::Conflict`]: the case's current state as the server reported it.
    pub conflict: Option<Problem>,
    pub conflict_state: Option<String>,
    /// The server's answer body (JSON), once delivered: the case id and tracking number.
    pub server_result: Option<String>,
    /// The case this action is about.
    pub case_id: Option<String>,
    pub photos: Vec<StoredPhoto>,
}

/// The stored body of an item; the photo ids are added when it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Payload {
    Report(DraftFields),
    CaseAction(CaseAction),
}

/// What the sync engine needs to send an item.
pub(crate) struct Delivery {
    pub id: String,
    pub idempotency_key: String,
    pub payload: Payload,
    pub photos: Vec<PendingPhoto>,
}

/// A photo of an item with its upload key and, once uploaded, its server id.
pub(crate) struct PendingPhoto {
    pub id: String,
    pub upload_key: String,
    pub server_id: Option<String>,
}

/// The server's current state of a case, in a 409 answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Conflict {
    problem: Problem,
    current_state: Option<String>,
}

/// Check a case action against the workflow, from the state the phone last saw the case in.
pub fn check_action(
    action: &CaseAction,
    known_state: CaseState,
    role: Role,
    photo_count: usize,
) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if action.case_id.trim().is_empty() {
        problems.push(FieldError::new("case_id", FieldErrorKind::Missing, "which case is this about?"));
    }
    let transition = match decide(known_state, action.action, role) {
        Ok(transition) => transition,
        Err(refusal) => {
            problems.push(FieldError::new("action", FieldErrorKind::Invalid, refusal.to_string()));
            return problems;
        }
    };
    let needs = transition.needs;
    if needs.new_deadline || needs.handling_unit || needs.merge_target {
        problems.push(FieldError::new(
            "action",
            FieldErrorKind::NotAllowed,
            format!("{} is taken online, not queued on a phone", action.action),
        ));
    }
    if needs.reason && action.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        problems.push(FieldError::new(
            "reason",
            FieldErrorKind::Missing,
            format!("{} needs a reason", action.action),
        ));
    }
    if needs.position {
        problems.extend(check_position(action.position.as_ref(), "position"));
    }
    problems.extend(check_photo_count(photo_count, usize::from(needs.photo)));
    if needs.rating && !action.rating.is_some_and(|r| (1..=5).contains(&r)) {
        problems.push(FieldError::new(
            "rating",
            FieldErrorKind::Invalid,
            "a rating is a whole number from 1 to 5",
        ));
    }
    let comment_chars = action.comment.as_deref().map_or(0, |c| c.chars().count());
    if comment_chars > crate::limits::MAX_STEP_TEXT_CHARS {
        problems.push(FieldError::new(
            "comment",
            FieldErrorKind::TooLong,
            format!("at most {} characters, got {comment_chars}", crate::limits::MAX_STEP_TEXT_CHARS),
        ));
    }
    problems
}

fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn order_key(case_id: &str) -> String {
    format!("case:{case_id}")
}

impl Store {
    /// Check a draft against the taxonomy and, if it passes, move it into the outbox: one
    /// transaction creates the item with a fresh idempotency key, hands it the draft's photos
    /// and deletes the draft. When this returns `Ok`, the report survives a crash or reboot.
    pub fn submit(&self, draft_id: &str, taxonomy: &Taxonomy) -> Result<OutboxItem> {
        let item_id = new_id();
        {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            let fields: Option<String> = tx
                .query_row("SELECT fields FROM drafts WHERE id = ?1", [draft_id], |r| r.get(0))
                .optional()?;
            let fields = fields.ok_or_else(|| Error::NotFound { what: "draft", id: draft_id.to_owned() })?;
            let mut fields: DraftFields = serde_json::from_str(&fields)?;
            let photo_ids = photo_ids_of(&tx, draft_id)?;
            let problems = check_report(&fields, photo_ids.len(), taxonomy);
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
            fields.category = fields.category.map(|c| c.trim().to_ascii_uppercase());
            fields.captured_at.get_or_insert_with(chrono::Utc::now);
            tx.execute(
                "INSERT INTO outbox (id, kind, idempotency_key, payload, status) VALUES (?1, 'report', ?2, ?3, 'pending')",
                params![item_id, new_key(), serde_json::to_string(&Payload::Report(fields))?],
            )?;
            for photo_id in &photo_ids {
                tx.execute(
                    "UPDATE photos SET owner_id = ?2, upload_key = ?3 WHERE id = ?1",
                    params![photo_id, item_id, new_key()],
                )?;
            }
            tx.execute("DELETE FROM drafts WHERE id = ?1", [draft_id])?;
            tx.commit()?;
        }
        self.outbox_item(&item_id)
    }

    /// Queue a workflow step, checked against the workflow from `known_state` (the state the
    /// phone last saw) for `role`. Its photos are stored with it; steps on one case are sent
    /// in the order they were queued.
    pub fn queue_action(
        &self,
        action: &CaseAction,
        known_state: CaseState,
        role: Role,
        photos: &[PreparedPhoto],
    ) -> Result<OutboxItem> {
        let problems = check_action(action, known_state, role, photos.len());
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let item_id = new_id();
        // Photos first, owned by the item id before the item exists: a crash in between leaves
        // rows without an item, which the queue never reads, and files the sweep removes.
        let mut stored = Vec::new();
        for photo in photos {
            stored.push(self.save_photo(&item_id, photo)?);
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO outbox (id, kind, idempotency_key, payload, status, order_key)
             VALUES (?1, 'case_action', ?2, ?3, 'pending', ?4)",
            params![
                item_id,
                new_key(),
                serde_json::to_string(&Payload::CaseAction(action.clone()))?,
                order_key(&action.case_id)
            ],
        )?;
        for photo in &stored {
            tx.execute("UPDATE photos SET upload_key = ?2 WHERE id = ?1", params![photo.id, new_key()])?;
        }
        tx.commit()?;
        drop(conn);
        self.outbox_item(&item_id)
    }

    /// The outbox, in queue order. Delivered items are included when `include_delivered`.
    pub fn outbox(&self, include_delivered: bool) -> Result<Vec<OutboxItem>> {
        let ids: Vec<String> = {
            let conn = self.conn();
            let mut stmt =
                conn.prepare("SELECT id FROM outbox WHERE ?1 OR status != 'delivered' ORDER BY seq")?;
            stmt.query_map([include_delivered], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        ids.iter().map(|id| self.outbox_item(id)).collect()
    }

    /// One outbox item.
    pub fn outbox_item(&self, item_id: &str) -> Result<OutboxItem> {
        let conn = self.conn();
        type Row = (i64, String, String, String, String, u32, Option<String>, Option<String>, Option<String>);
        let row: Option<Row> = conn
            .query_row(
                "SELECT seq, kind, idempotency_key, payload, status, attempts, problem, result, conflict
                 FROM outbox WHERE id = ?1",
                [item_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ))
                },
            )
            .optional()?;
        let (seq, kind, idempotency_key, payload, status, attempts, problem, result, conflict) =
            row.ok_or_else(|| not_found_item(item_id))?;
        let payload: Payload = serde_json::from_str(&payload)?;
        let conflict: Option<Conflict> = conflict.as_deref().map(serde_json::from_str).transpose()?;
        Ok(OutboxItem {
            id: item_id.to_owned(),
            seq,
            kind: if kind == "report" { ItemKind::Report } else { ItemKind::CaseAction },
            status: ItemStatus::parse(&status),
            idempotency_key,
            attempts,
            problem: problem.as_deref().map(serde_json::from_str).transpose()?,
            conflict_state: conflict.as_ref().and_then(|c| c.current_state.clone()),
            conflict: conflict.map(|c| c.problem),
            server_result: result,
            case_id: match payload {
                Payload::CaseAction(action) => Some(action.case_id),
                Payload::Report(_) => None,
            },
            photos: self.photos_of(&conn, item_id)?,
        })
    }

    /// Put a parked (failed or conflict) item back in the queue, unchanged, with the same key.
    pub fn retry_item(&self, item_id: &str) -> Result<OutboxItem> {
        let changed = self.conn().execute(
            "UPDATE outbox SET status = 'pending', problem = NULL, conflict = NULL, attempts = 0
             WHERE id = ?1 AND status IN ('failed', 'conflict')",
            [item_id],
        )?;
        if changed == 0 {
            return Err(self.wrong_state(item_id, "failed or conflict"));
        }
        self.outbox_item(item_id)
    }

    /// Remove a parked (failed or conflict) item at the user's request. A pending item cannot
    /// be discarded: it may already be on the server.
    pub fn discard_item(&self, item_id: &str) -> Result<()> {
        let photo_ids = {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            let removed = tx.execute(
                "DELETE FROM outbox WHERE id = ?1 AND status IN ('failed', 'conflict')",
                [item_id],
            )?;
            if removed == 0 {
                drop(tx);
                drop(conn);
                return Err(self.wrong_state(item_id, "failed or conflict"));
            }
            let ids = photo_ids_of(&tx, item_id)?;
            tx.execute("DELETE FROM photos WHERE owner_id = ?1", [item_id])?;
            tx.commit()?;
            ids
        };
        self.remove_photo_files(&photo_ids);
        Ok(())
    }

    /// The fields of a queued report (not of a workflow step), to show it before the server
    /// has it: in "my reports" marked unsent, and in the outbox.
    pub fn queued_report(&self, item_id: &str) -> Result<Option<DraftFields>> {
        let payload: Option<String> = self
            .conn()
            .query_row("SELECT payload FROM outbox WHERE id = ?1", [item_id], |r| r.get(0))
            .optional()?;
        match payload.as_deref().map(serde_json::from_str).transpose()? {
            Some(Payload::Report(fields)) => Ok(Some(fields)),
            Some(Payload::CaseAction(_)) => Ok(None),
            None => Err(Error::NotFound { what: "outbox item", id: item_id.to_owned() }),
        }
    }

    /// Turn a refused report back into a draft (with its photos) so the user can fix the field
    /// the server named; submitting it again gives it a new idempotency key.
    pub fn return_to_drafts(&self, item_id: &str) -> Result<String> {
        let draft_id = new_id();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let payload: Option<String> = tx
            .query_row("SELECT payload FROM outbox WHERE id = ?1 AND status = 'failed'", [item_id], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(Payload::Report(fields)) = payload.as_deref().map(serde_json::from_str).transpose()? else {
            drop(tx);
            drop(conn);
            return Err(self.wrong_state(item_id, "a failed report"));
        };
        tx.execute(
            "INSERT INTO drafts (id, fields) VALUES (?1, ?2)",
            params![draft_id, serde_json::to_string(&fields)?],
        )?;
        tx.execute(
            "UPDATE photos SET owner_id = ?2, upload_key = NULL, server_id = NULL WHERE owner_id = ?1",
            params![item_id, draft_id],
        )?;
        tx.execute("DELETE FROM outbox WHERE id = ?1", [item_id])?;
        tx.commit()?;
        Ok(draft_id)
    }

    fn wrong_state(&self, item_id: &str, expected: &'static str) -> Error {
        match self.outbox_item(item_id) {
            Ok(item) => {
                Error::WrongState { id: item_id.to_owned(), expected, found: item.status.as_str().to_owned() }
            }
            Err(e) => e,
        }
    }

    /// The pending items the engine may send now, in queue order: an action waits while an
    /// earlier action on the same case is pending or parked.
    pub(crate) fn sendable_items(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, status, order_key FROM outbox WHERE status != 'delivered' ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
        })?;
        let mut held: HashSet<String> = HashSet::new();
        let mut sendable = Vec::new();
        for row in rows {
            let (id, status, order_key) = row?;
            match order_key {
                Some(key) if held.contains(&key) => {}
                Some(key) => {
                    if status == "pending" {
                        sendable.push(id);
                    }
                    held.insert(key);
                }
                None if status == "pending" => sendable.push(id),
                None => {}
            }
        }
        Ok(sendable)
    }

    /// Everything needed to send one item.
    pub(crate) fn delivery(&self, item_id: &str) -> Result<Delivery> {
        let conn = self.conn();
        let (idempotency_key, payload): (String, String) = conn
            .query_row("SELECT idempotency_key, payload FROM outbox WHERE id = ?1", [item_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or_else(|| not_found_item(item_id))?;
        let mut stmt =
            conn.prepare("SELECT id, upload_key, server_id FROM photos WHERE owner_id = ?1 ORDER BY seq")?;
        let photos = stmt
            .query_map([item_id], |r| {
                Ok(PendingPhoto {
                    id: r.get(0)?,
                    upload_key: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    server_id: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Delivery {
            id: item_id.to_owned(),
            idempotency_key,
            payload: serde_json::from_str(&payload)?,
            photos,
        })
    }

    pub(crate) fn record_photo_upload(&self, photo_id: &str, server_id: &str) -> Result<()> {
        self.conn()
            .execute("UPDATE photos SET server_id = ?2 WHERE id = ?1", params![photo_id, server_id])?;
        Ok(())
    }

    pub(crate) fn count_attempt(&self, item_id: &str) -> Result<()> {
        self.conn().execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1", [item_id])?;
        Ok(())
    }

    /// The server confirmed the item: keep its answer, drop its photos (the server has them).
    pub(crate) fn mark_delivered(&self, item_id: &str, server_result: &str) -> Result<()> {
        let photo_ids = {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE outbox SET status = 'delivered', result = ?2, problem = NULL WHERE id = ?1",
                params![item_id, server_result],
            )?;
            let ids = photo_ids_of(&tx, item_id)?;
            tx.execute("DELETE FROM photos WHERE owner_id = ?1", [item_id])?;
            tx.commit()?;
            ids
        };
        self.remove_photo_files(&photo_ids);
        Ok(())
    }

    pub(crate) fn park_failed(&self, item_id: &str, problem: &Problem) -> Result<()> {
        self.conn().execute(
            "UPDATE outbox SET status = 'failed', problem = ?2 WHERE id = ?1",
            params![item_id, serde_json::to_string(problem)?],
        )?;
        Ok(())
    }

    pub(crate) fn park_conflict(
        &self,
        item_id: &str,
        problem: &Problem,
        current_state: Option<String>,
    ) -> Result<()> {
        let conflict = Conflict { problem: problem.clone(), current_state };
        self.conn().execute(
            "UPDATE outbox SET status = 'conflict', conflict = ?2 WHERE id = ?1",
            params![item_id, serde_json::to_string(&conflict)?],
        )?;
        Ok(())
    }
}

fn not_found_item(id: &str) -> Error {
    Error::NotFound { what: "outbox item", id: id.to_owned() }
}
