//! The device core's error type: what can go wrong on the phone side (local store, files,
//! drafts that are not ready, items in the wrong state, the session) with messages that name
//! what was expected and what was found, and never carry report text or coordinates.

use super::drafts::FieldError;
use super::outbox::Problem;
use super::transport::TransportError;

/// Everything the device core can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQLite store failed (disk full, corrupt file, locked for too long).
    #[error("local store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Reading or writing a photo file or the store folder failed.
    #[error("local files: {0}")]
    Io(#[from] std::io::Error),
    /// A stored JSON column could not be read back; the store was written by a different build.
    #[error("local store holds unreadable data: {0}")]
    Json(#[from] serde_json::Error),
    /// The store was written by a newer build of the app; it is never downgraded.
    #[error("local store is at schema version {found}, newer than the {supported} this build knows")]
    StoreTooNew { found: u32, supported: u32 },
    /// The file system refused write-ahead logging (e.g. a network drive), which the store needs.
    #[error("local store needs journal_mode=wal, the file system gave {found}")]
    JournalMode { found: String },
    /// The draft or action is not ready to be sent; every problem names its field.
    #[error("{} field(s) need attention: {}", .0.len(), field_names(.0))]
    Invalid(Vec<FieldError>),
    /// No draft, photo or outbox item with this id.
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },
    /// The outbox item is not in a state that allows the operation.
    #[error("outbox item {id} is {found}; this needs an item that is {expected}")]
    WrongState { id: String, expected: &'static str, found: String },
    /// The server refused the session and refreshing it failed: the user must sign in again.
    #[error("not signed in, or the session has expired and could not be refreshed")]
    SignedOut,
    /// The network call failed before any response arrived.
    #[error("network: {0}")]
    Transport(#[from] TransportError),
    /// The server could not answer now (5xx, 429); worth trying again later.
    #[error("the server is unavailable (HTTP {status}); try again later")]
    ServerUnavailable { status: u16 },
    /// The server answered something this build cannot read (not the API it expects).
    #[error("unexpected server response to {endpoint}: {reason}")]
    Protocol { endpoint: &'static str, reason: String },
    /// The server refused a direct request (not an outbox item, which is parked instead), with
    /// its problem (status, stable `code`, `field`).
    #[error("{endpoint} was refused (HTTP {}, {})", .problem.status, .problem.code)]
    Refused { endpoint: &'static str, problem: Problem },
    /// The server wants the caller to wait (HTTP 429 with its problem, on sign-in): too many
    /// wrong codes or passwords (`rate_limited`), or a used-up code (`otp_attempts_exhausted`).
    #[error("too many attempts (HTTP 429, {code})")]
    Throttled { code: String, retry_after_secs: Option<u32> },
    /// The stored offline grid package cannot be read back (a damaged file); refreshing the
    /// package downloads it again.
    #[error("the stored grid package is unreadable: {reason}")]
    CorruptPackage { reason: String },
}

/// The device core's result.
pub type Result<T> = std::result::Result<T, Error>;

fn field_names(errors: &[FieldError]) -> String {
    errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", ")
}
