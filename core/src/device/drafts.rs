//! Drafts: reports being written on the phone, possibly offline, possibly over several app
//! sessions. Create, edit, list, delete; attach photos prepared by [`crate::photo::prepare`]
//! (their JPEG and thumbnail become files next to the store); and [`check_report`], the
//! validation against the taxonomy that a draft must pass before it can be submitted, with
//! each problem naming its field the way the server names it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::store::{Store, photo_file_name, thumbnail_file_name, write_atomically};
use crate::codes::CategoryCode;
use crate::geo::{Crs, GeoPoint};
use crate::photo::{CaptureMetadata, PreparedPhoto};
use crate::taxonomy::{Answers, Taxonomy};

/// Longest description, in characters: core's limit, the one the server checks.
pub const MAX_DESCRIPTION_CHARS: usize = crate::limits::MAX_DESCRIPTION_CHARS;
/// Most photos on one report: core's limit, the one the server checks.
pub const MAX_PHOTOS: usize = crate::limits::MAX_REPORT_PHOTOS;

/// Where the problem is, as the device reported it: coordinates in `crs` (converted to WGS-84
/// by the server), and the fix's accuracy radius in metres when the device knows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    pub crs: Crs,
    pub accuracy_m: Option<f64>,
}

/// What the reporter has written so far. Every field may be incomplete while it is a draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DraftFields {
    /// A category code such as `C0101`.
    pub category: Option<String>,
    pub description: String,
    pub position: Option<Position>,
    /// When the problem was seen; the submit time when left empty.
    pub captured_at: Option<DateTime<Utc>>,
    /// Answers to the category's extra questions, by question code.
    pub answers: Answers,
    /// File without the reporter's identity; only where the category allows it.
    pub anonymous: bool,
}

/// A photo kept on the device, attached to a draft or to a queued item.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPhoto {
    pub id: String,
    /// SHA-256 of the prepared JPEG, lowercase hexadecimal.
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    /// What the original's EXIF said (position, time, camera), kept as report fields.
    pub metadata: CaptureMetadata,
    /// The prepared JPEG.
    pub path: PathBuf,
    pub thumbnail_path: PathBuf,
    /// The server's photo id, once uploaded.
    pub server_id: Option<String>,
}

/// A draft with its photos, in the order they were added.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: String,
    pub fields: DraftFields,
    pub photos: Vec<StoredPhoto>,
}

/// One problem with a draft or an action, by field: `category`, `description`, `position`,
/// `photos`, `answers.<question code>`, `anonymous`, `reason`, `case_id`, `action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    /// What is wrong, for words in the user's language (see
    /// [`crate::device::app::text::field_words`]).
    pub kind: FieldErrorKind,
    /// What is wrong, in English, naming the rule.
    pub message: String,
}

/// What is wrong with a field, as a machine reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FieldErrorKind {
    /// Nothing given where something is needed: a category, a description, a position, a
    /// photo, a required answer, a reason, a rating.
    Missing,
    /// More characters than the limit.
    TooLong,
    /// More photos than the limit.
    TooMany,
    /// Not known here: a category this city does not have, a question the category does not ask.
    Unknown,
    /// Not one of a list question's values (or one chosen twice, or several where one is asked).
    NotAnOption,
    NotANumber,
    NotADateTime,
    /// Not allowed for this category or step (anonymity, a step not taken from a phone).
    NotAllowed,
    /// Malformed or impossible: a code, a point off the earth, an accuracy, a rating outside
    /// 1 to 5, a step the workflow does not allow now.
    Invalid,
}

impl From<crate::taxonomy::AnswerProblem> for FieldErrorKind {
    fn from(problem: crate::taxonomy::AnswerProblem) -> Self {
        use crate::taxonomy::AnswerProblem as P;
        match problem {
            P::UnknownQuestion => FieldErrorKind::Unknown,
            P::Missing => FieldErrorKind::Missing,
            P::NotAnOption | P::NotSingle => FieldErrorKind::NotAnOption,
            P::NotANumber => FieldErrorKind::NotANumber,
            P::NotADateTime => FieldErrorKind::NotADateTime,
            P::TooLong => FieldErrorKind::TooLong,
        }
    }
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, kind: FieldErrorKind, message: impl Into<String>) -> Self {
        Self { field: field.into(), kind, message: message.into() }
    }
}

/// Everything wrong with a report made of `fields` and `photo_count` photos, checked against
/// `taxonomy`; empty when it may be submitted.
pub fn check_report(fields: &DraftFields, photo_count: usize, taxonomy: &Taxonomy) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let category = match fields.category.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(FieldError::new("category", FieldErrorKind::Missing, "choose a category"));
            None
        }
        Some(text) => match CategoryCode::parse(text) {
            Err(e) => {
                problems.push(FieldError::new("category", FieldErrorKind::Invalid, e.to_string()));
                None
            }
            Ok(code) => {
                let found = taxonomy.get(code);
                if found.is_none() {
                    problems.push(FieldError::new(
                        "category",
                        FieldErrorKind::Unknown,
                        format!("{code} is not a category of this city"),
                    ));
                }
                found
            }
        },
    };
    let chars = fields.description.chars().count();
    if fields.description.trim().is_empty() {
        problems.push(FieldError::new(
            "description",
            FieldErrorKind::Missing,
            "describe the problem in a few words",
        ));
    } else if chars > MAX_DESCRIPTION_CHARS {
        problems.push(FieldError::new(
            "description",
            FieldErrorKind::TooLong,
            format!("at most {MAX_DESCRIPTION_CHARS} characters, got {chars}"),
        ));
    }
    problems.extend(check_position(fields.position.as_ref(), "position"));
    problems.extend(check_photo_count(photo_count, 1));
    if let Some(category) = category {
        if let Err(e) = category.check_answers(&fields.answers) {
            problems.push(FieldError::new(format!("answers.{}", e.question), e.kind.into(), e.reason));
        }
        if fields.anonymous && !category.anonymous_allowed {
            problems.push(FieldError::new(
                "anonymous",
                FieldErrorKind::NotAllowed,
                format!("category {} cannot be reported anonymously", category.code),
            ));
        }
    }
    problems
}

/// A missing or impossible position, as a problem of `field`.
pub(crate) fn check_position(position: Option<&Position>, field: &str) -> Option<FieldError> {
    let Some(position) = position else {
        return Some(FieldError::new(field, FieldErrorKind::Missing, "a position is needed"));
    };
    if let Err(e) = GeoPoint::new(position.lat, position.lon) {
        return Some(FieldError::new(field, FieldErrorKind::Invalid, e.to_string()));
    }
    match position.accuracy_m {
        Some(accuracy) if !accuracy.is_finite() || accuracy < 0.0 => Some(FieldError::new(
            field,
            FieldErrorKind::Invalid,
            "the accuracy must be a finite, non-negative number of metres",
        )),
        _ => None,
    }
}

pub(crate) fn check_photo_count(count: usize, at_least: usize) -> Option<FieldError> {
    if count < at_least {
        Some(FieldError::new(
            "photos",
            FieldErrorKind::Missing,
            format!("at least {at_least} photo is needed"),
        ))
    } else if count > MAX_PHOTOS {
        Some(FieldError::new(
            "photos",
            FieldErrorKind::TooMany,
            format!("at most {MAX_PHOTOS} photos, got {count}"),
        ))
    } else {
        None
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Store {
    /// Start a new draft.
    pub fn create_draft(&self, fields: &DraftFields) -> Result<Draft> {
        let id = new_id();
        self.conn().execute(
            "INSERT INTO drafts (id, fields) VALUES (?1, ?2)",
            params![id, serde_json::to_string(fields)?],
        )?;
        Ok(Draft { id, fields: fields.clone(), photos: Vec::new() })
    }

    /// Replace a draft's fields (its photos stay).
    pub fn update_draft(&self, draft_id: &str, fields: &DraftFields) -> Result<Draft> {
        let changed = self.conn().execute(
            "UPDATE drafts SET fields = ?2 WHERE id = ?1",
            params![draft_id, serde_json::to_string(fields)?],
        )?;
        if changed == 0 {
            return Err(not_found_draft(draft_id));
        }
        self.draft(draft_id)
    }

    /// One draft with its photos.
    pub fn draft(&self, draft_id: &str) -> Result<Draft> {
        let conn = self.conn();
        let fields: Option<String> = conn
            .query_row("SELECT fields FROM drafts WHERE id = ?1", [draft_id], |row| row.get(0))
            .optional()?;
        let fields = fields.ok_or_else(|| not_found_draft(draft_id))?;
        let photos = self.photos_of(&conn, draft_id)?;
        Ok(Draft { id: draft_id.to_owned(), fields: serde_json::from_str(&fields)?, photos })
    }

    /// Every draft, oldest first (by creation order, not by any clock).
    pub fn drafts(&self) -> Result<Vec<Draft>> {
        let ids: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare("SELECT id FROM drafts ORDER BY seq")?;
            stmt.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        ids.iter().map(|id| self.draft(id)).collect()
    }

    /// Delete a draft and its photo files.
    pub fn delete_draft(&self, draft_id: &str) -> Result<()> {
        let photo_ids = {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            let ids = photo_ids_of(&tx, draft_id)?;
            tx.execute("DELETE FROM photos WHERE owner_id = ?1", [draft_id])?;
            if tx.execute("DELETE FROM drafts WHERE id = ?1", [draft_id])? == 0 {
                return Err(not_found_draft(draft_id));
            }
            tx.commit()?;
            ids
        };
        self.remove_photo_files(&photo_ids);
        Ok(())
    }

    /// Attach a prepared photo to a draft: its files are written (atomically) first, then the
    /// row, so a crash in between leaves only files that the next open removes.
    pub fn add_photo(&self, draft_id: &str, photo: &PreparedPhoto) -> Result<StoredPhoto> {
        let exists: bool =
            self.conn()
                .query_row("SELECT EXISTS (SELECT 1 FROM drafts WHERE id = ?1)", [draft_id], |r| r.get(0))?;
        if !exists {
            return Err(not_found_draft(draft_id));
        }
        self.save_photo(draft_id, photo)
    }

    /// Detach and delete one photo of a draft.
    pub fn remove_photo(&self, draft_id: &str, photo_id: &str) -> Result<()> {
        let removed = self
            .conn()
            .execute("DELETE FROM photos WHERE id = ?1 AND owner_id = ?2", params![photo_id, draft_id])?;
        if removed == 0 {
            return Err(Error::NotFound { what: "photo", id: photo_id.to_owned() });
        }
        self.remove_photo_files(&[photo_id.to_owned()]);
        Ok(())
    }

    /// Write a photo's files and its row, owned by `owner_id` (a draft or an outbox item).
    pub(crate) fn save_photo(&self, owner_id: &str, photo: &PreparedPhoto) -> Result<StoredPhoto> {
        let id = new_id();
        write_atomically(self.photos_dir(), &photo_file_name(&id), &photo.bytes)?;
        write_atomically(self.photos_dir(), &thumbnail_file_name(&id), &photo.thumbnail.bytes)?;
        self.conn().execute(
            "INSERT INTO photos (id, owner_id, sha256, width, height, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, owner_id, photo.sha256, photo.width, photo.height, serde_json::to_string(&photo.metadata)?],
        )?;
        Ok(StoredPhoto {
            path: self.photo_path(&id),
            thumbnail_path: self.thumbnail_path(&id),
            id,
            sha256: photo.sha256.clone(),
            width: photo.width,
            height: photo.height,
            metadata: photo.metadata.clone(),
            server_id: None,
        })
    }

    /// The photos owned by `owner_id`, in the order they were added.
    pub(crate) fn photos_of(&self, conn: &rusqlite::Connection, owner_id: &str) -> Result<Vec<StoredPhoto>> {
        let mut stmt = conn.prepare(
            "SELECT id, sha256, width, height, metadata, server_id FROM photos WHERE owner_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([owner_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, u32>(2)?,
                row.get::<_, u32>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut photos = Vec::new();
        for row in rows {
            let (id, sha256, width, height, metadata, server_id) = row?;
            photos.push(StoredPhoto {
                path: self.photo_path(&id),
                thumbnail_path: self.thumbnail_path(&id),
                id,
                sha256,
                width,
                height,
                metadata: serde_json::from_str(&metadata)?,
                server_id,
            });
        }
        Ok(photos)
    }

    /// Delete photo files whose rows are gone. Best effort: a file left behind is removed by
    /// the sweep when the store next opens.
    pub(crate) fn remove_photo_files(&self, photo_ids: &[String]) {
        for id in photo_ids {
            let _ = std::fs::remove_file(self.photo_path(id));
            let _ = std::fs::remove_file(self.thumbnail_path(id));
        }
    }
}

pub(crate) fn photo_ids_of(tx: &Transaction<'_>, owner_id: &str) -> Result<Vec<String>> {
    let mut stmt = tx.prepare("SELECT id FROM photos WHERE owner_id = ?1 ORDER BY seq")?;
    Ok(stmt.query_map([owner_id], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?)
}

fn not_found_draft(id: &str) -> Error {
    Error::NotFound { what: "draft", id: id.to_owned() }
}
