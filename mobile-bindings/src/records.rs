//! The plain data that crosses the FFI for drafts, photos, the outbox and sync state, and
//! their conversions from and to `gridline_core::device`'s types. Conversions only: every
//! check and decision stays in core.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use gridline_core::device::{
    Draft as CoreDraft, DraftFields as CoreFields, ItemKind as CoreItemKind, ItemStatus as CoreItemStatus,
    OutboxItem as CoreItem, Position as CorePosition, Problem as CoreProblem, StoredPhoto as CorePhoto,
    SyncOutcome as CoreOutcome, SyncState as CoreState,
};
use gridline_core::taxonomy::AnswerValue as CoreAnswer;

use crate::geo::{Crs, GeoPoint};

/// Where the problem is, as the phone measured it: coordinates in `crs` (the server converts
/// them to WGS-84) and the fix's accuracy radius in metres when known.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Position {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// The coordinate system of `lat` and `lon`.
    pub crs: Crs,
    /// The accuracy radius in metres, when the location provider gave one.
    #[uniffi(default)]
    pub accuracy_m: Option<f64>,
}

impl From<Position> for CorePosition {
    fn from(p: Position) -> Self {
        CorePosition { lat: p.lat, lon: p.lon, crs: p.crs.into(), accuracy_m: p.accuracy_m }
    }
}

impl From<CorePosition> for Position {
    fn from(p: CorePosition) -> Self {
        Position { lat: p.lat, lon: p.lon, crs: p.crs.into(), accuracy_m: p.accuracy_m }
    }
}

/// An answer to one of a category's extra questions.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AnswerValue {
    /// The answer to a text, number or single-choice question.
    One {
        /// The text, number or chosen value key.
        value: String,
    },
    /// The chosen value keys of a multiple-choice question.
    Many {
        /// The chosen keys.
        values: Vec<String>,
    },
}

/// What the reporter has written so far; every field may be incomplete while it is a draft.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DraftFields {
    /// A category code such as `C0101`, once chosen.
    #[uniffi(default)]
    pub category: Option<String>,
    /// What the problem is.
    #[uniffi(default)]
    pub description: String,
    /// Where the problem is.
    #[uniffi(default)]
    pub position: Option<Position>,
    /// When the problem was seen; the submit time when left empty.
    #[uniffi(default)]
    pub captured_at: Option<SystemTime>,
    /// Answers to the category's extra questions, by question code.
    #[uniffi(default)]
    pub answers: HashMap<String, AnswerValue>,
    /// File without the reporter's identity (only where the category allows it).
    #[uniffi(default)]
    pub anonymous: bool,
}

impl From<DraftFields> for CoreFields {
    fn from(f: DraftFields) -> Self {
        CoreFields {
            category: f.category,
            description: f.description,
            position: f.position.map(Into::into),
            captured_at: f.captured_at.map(Into::into),
            answers: f
                .answers
                .into_iter()
                .map(|(code, answer)| {
                    let answer = match answer {
                        AnswerValue::One { value } => CoreAnswer::One(value),
                        AnswerValue::Many { values } => CoreAnswer::Many(values),
                    };
                    (code, answer)
                })
                .collect(),
            anonymous: f.anonymous,
        }
    }
}

impl From<CoreFields> for DraftFields {
    fn from(f: CoreFields) -> Self {
        DraftFields {
            category: f.category,
            description: f.description,
            position: f.position.map(Into::into),
            captured_at: f.captured_at.map(Into::into),
            answers: f
                .answers
                .into_iter()
                .map(|(code, answer)| {
                    let answer = match answer {
                        CoreAnswer::One(value) => AnswerValue::One { value },
                        CoreAnswer::Many(values) => AnswerValue::Many { values },
                    };
                    (code, answer)
                })
                .collect(),
            anonymous: f.anonymous,
        }
    }
}

/// A photo kept on the device: prepared (upright, resized, EXIF removed) and stored as files
/// in the data folder.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Photo {
    /// The photo's id on the device.
    pub id: String,
    /// SHA-256 of the prepared JPEG, lowercase hexadecimal.
    pub sha256: String,
    /// Width of the prepared JPEG in pixels.
    pub width: u32,
    /// Height of the prepared JPEG in pixels.
    pub height: u32,
    /// The prepared JPEG's file, for display.
    pub path: String,
    /// A small JPEG for lists.
    pub thumbnail_path: String,
    /// Where the camera's EXIF said it was taken (WGS-84), to offer as the report position.
    pub exif_position: Option<GeoPoint>,
    /// The server's id of the photo, once uploaded.
    pub server_id: Option<String>,
}

impl From<CorePhoto> for Photo {
    fn from(p: CorePhoto) -> Self {
        Photo {
            id: p.id,
            sha256: p.sha256,
            width: p.width,
            height: p.height,
            path: p.path.to_string_lossy().into_owned(),
            thumbnail_path: p.thumbnail_path.to_string_lossy().into_owned(),
            exif_position: p.metadata.position.map(Into::into),
            server_id: p.server_id,
        }
    }
}

/// A draft with its photos in the order they were added.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Draft {
    /// The draft's id on the device.
    pub id: String,
    /// What has been written so far.
    pub fields: DraftFields,
    /// The attached photos.
    pub photos: Vec<Photo>,
}

impl From<CoreDraft> for Draft {
    fn from(d: CoreDraft) -> Self {
        Draft { id: d.id, fields: d.fields.into(), photos: d.photos.into_iter().map(Into::into).collect() }
    }
}

/// What an outbox item sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ItemKind {
    /// A new report.
    Report,
    /// A workflow step on an existing case.
    CaseAction,
}

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ItemStatus {
    /// Waiting to be sent, or being retried.
    Pending,
    /// The server confirmed it.
    Delivered,
    /// The server refused it; see `problem`. Retry, return to drafts or discard.
    Failed,
    /// The case had moved on; see `conflict_state`. Retry or discard.
    Conflict,
}

/// The server's reason for refusing an item, to show next to it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ServerProblem {
    /// The HTTP status (0 when the device itself parked the item).
    pub status: u16,
    /// The server's stable machine code.
    pub code: String,
    /// The field at fault, in the draft's field names, when named.
    pub field: Option<String>,
    /// The server's message.
    pub message: String,
}

impl From<CoreProblem> for ServerProblem {
    fn from(p: CoreProblem) -> Self {
        ServerProblem { status: p.status, code: p.code, field: p.field, message: p.message }
    }
}

/// Something the user sent that the server has not confirmed yet (or has, when delivered
/// items are asked for).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OutboxItem {
    /// The item's id on the device.
    pub id: String,
    /// Position in the queue; increases with every item and never repeats.
    pub seq: i64,
    /// Report or workflow step.
    pub kind: ItemKind,
    /// Where it stands.
    pub status: ItemStatus,
    /// The key the server deduplicates on, fixed when queued.
    pub idempotency_key: String,
    /// Tries that ended without a final answer.
    pub attempts: u32,
    /// Why the server refused it, when `Failed` (or the conflict's problem, when `Conflict`).
    pub problem: Option<ServerProblem>,
    /// The case's current state as the server reported it, when `Conflict`.
    pub conflict_state: Option<String>,
    /// The server's answer (JSON) once delivered: the case id and tracking number.
    pub server_result: Option<String>,
    /// The case a workflow step is about.
    pub case_id: Option<String>,
    /// The item's photos.
    pub photos: Vec<Photo>,
}

impl From<CoreItem> for OutboxItem {
    fn from(i: CoreItem) -> Self {
        OutboxItem {
            id: i.id,
            seq: i.seq,
            kind: match i.kind {
                CoreItemKind::Report => ItemKind::Report,
                CoreItemKind::CaseAction => ItemKind::CaseAction,
            },
            status: match i.status {
                CoreItemStatus::Pending => ItemStatus::Pending,
                CoreItemStatus::Delivered => ItemStatus::Delivered,
                CoreItemStatus::Failed => ItemStatus::Failed,
                CoreItemStatus::Conflict => ItemStatus::Conflict,
            },
            idempotency_key: i.idempotency_key,
            attempts: i.attempts,
            problem: i.problem.or(i.conflict).map(Into::into),
            conflict_state: i.conflict_state,
            server_result: i.server_result,
            case_id: i.case_id,
            photos: i.photos.into_iter().map(Into::into).collect(),
        }
    }
}

/// What the sync engine is doing, for the offline banner and the outbox screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Nothing to send, or everything sendable has been sent.
    Idle,
    /// Sending: `done` of `total` items finished in this pass.
    Syncing {
        /// Items finished (delivered or parked) in this pass.
        done: u32,
        /// Items this pass will try.
        total: u32,
    },
    /// The network or the server is unavailable; sync again after `retry_in`.
    WaitingForNetwork {
        /// The same moment on the wall clock, for display.
        retry_at: SystemTime,
        /// How long to wait before the next `sync_now`.
        retry_in: Duration,
    },
    /// Sync cannot go on without the user (signed out) or the device (storage failure).
    Error {
        /// What is wrong, in English.
        message: String,
    },
}

impl From<CoreState> for SyncState {
    fn from(s: CoreState) -> Self {
        match s {
            CoreState::Idle => SyncState::Idle,
            CoreState::Syncing { done, total } => SyncState::Syncing { done, total },
            CoreState::WaitingForNetwork { retry_at, retry_in } => {
                SyncState::WaitingForNetwork { retry_at, retry_in }
            }
            CoreState::Error { message } => SyncState::Error { message },
        }
    }
}

/// How one `sync_now` ended.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncOutcome {
    /// Every sendable item was delivered or parked.
    Idle,
    /// The network or server is unavailable: schedule the next sync after `after`.
    RetryIn {
        /// How long to wait.
        after: Duration,
    },
    /// The session is gone; nothing more is sent until the user signs in.
    SignedOut,
    /// Another thread is already syncing.
    AlreadyRunning,
}

impl From<CoreOutcome> for SyncOutcome {
    fn from(o: CoreOutcome) -> Self {
        match o {
            CoreOutcome::Idle => SyncOutcome::Idle,
            CoreOutcome::RetryIn(after) => SyncOutcome::RetryIn { after },
            CoreOutcome::SignedOut => SyncOutcome::SignedOut,
            CoreOutcome::AlreadyRunning => SyncOutcome::AlreadyRunning,
        }
    }
}
