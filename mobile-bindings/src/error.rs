//! [`GridlineError`]: the one error type that crosses the FFI, shaped for what an app branches
//! on, and the single place where core's detailed errors are mapped onto it.
//!
//! Messages never carry personal data: a refused coordinate is reported by which field was
//! wrong, never by its value, because apps forward exception messages to logs and crash
//! reporters.

use gridline_core::codes::CodeError;
use gridline_core::device::{Error as DeviceError, FieldError, FieldErrorKind};
use gridline_core::geo::GeoError;
use gridline_core::grid::{GridError, PackageError};
use gridline_core::photo::PhotoError;
use gridline_core::taxonomy::TaxonomyError;
use gridline_core::workflow::UnknownName;

/// An error returned by the Gridline SDK. Branch on the variant; `reason` is an English
/// sentence for developers and logs, not for end users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum GridlineError {
    /// An argument was refused. `field` names the argument at fault (`lat`, `lon`, `crs`,
    /// `grid_code`, `area_code`, `category_code`, `photo`, `grid_package`, `server_url`,
    /// `case_id`); `reason` says what was expected.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The name of the argument at fault.
        field: String,
        /// What was expected, without the refused value when that could be personal data.
        reason: String,
    },
    /// A draft or a workflow step is not ready to be sent: one problem per field, named the
    /// way the server names it (`category`, `description`, `position`, `photos`, ...).
    #[error("{} field(s) need attention: {}", .problems.len(), field_list(.problems))]
    NotReady {
        /// What is wrong, field by field.
        problems: Vec<FieldProblem>,
    },
    /// No draft, photo or outbox item with this id on the device.
    #[error("no {what} with id {id}")]
    NotFound {
        /// `draft`, `photo` or `outbox item`.
        what: String,
        /// The id that was asked for.
        id: String,
    },
    /// The outbox item is not in a state that allows this (e.g. discarding an item that may
    /// already be on the server).
    #[error("wrong state: {reason}")]
    WrongState {
        /// What state the item is in and what the operation needs.
        reason: String,
    },
    /// Not signed in, or the session expired and could not be renewed: sign in again.
    #[error("not signed in, or the session has expired")]
    SignedOut,
    /// The server could not be reached or is unavailable for now; worth trying again later.
    #[error("network: {reason}")]
    Network {
        /// What failed (offline, timeout, HTTP 503, ...).
        reason: String,
    },
    /// The server refused the request (wrong password or code, not allowed, not found).
    /// `code` is the server's stable machine code, e.g. `invalid_credentials`.
    #[error("the server refused the request (HTTP {status}, {code})")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The server's stable error code.
        code: String,
        /// The request field at fault, when the server named one.
        field: Option<String>,
    },
    /// The server wants the caller to wait before trying again (HTTP 429 on sign-in):
    /// `rate_limited` (too many wrong passwords or codes, or too many code requests; the login
    /// stays locked for `retry_after_secs`) or `otp_attempts_exhausted` (this code is used up:
    /// request a new one). Retrying at once is refused again, so say so to the user.
    #[error("too many attempts (HTTP 429, {code})")]
    TooManyAttempts {
        /// The server's stable error code.
        code: String,
        /// How long to wait, from the server's `Retry-After`, when it gave one.
        retry_after_secs: Option<u32>,
    },
    /// The device's local storage failed (disk full, unreadable data folder, a store written
    /// by a newer app version).
    #[error("local storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// The server answered something this SDK cannot read: it is not the API this build
    /// expects.
    #[error("unexpected server response: {reason}")]
    Protocol {
        /// What was expected.
        reason: String,
    },
}

/// One problem with a draft or a workflow step, by field.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldProblem {
    /// `category`, `description`, `position`, `photos`, `answers.<question code>`,
    /// `anonymous`, `reason`, `rating`, `case_id` or `action`.
    pub field: String,
    /// What is wrong, as a kind to choose words by.
    pub kind: FieldErrorKind,
    /// What is wrong, in English.
    pub message: String,
}

fn field_list(problems: &[FieldProblem]) -> String {
    problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>().join(", ")
}

impl GridlineError {
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        GridlineError::InvalidInput { field: field.to_owned(), reason: reason.into() }
    }
}

impl From<GeoError> for GridlineError {
    fn from(err: GeoError) -> Self {
        match err {
            GeoError::Latitude(_) => {
                Self::invalid("lat", "latitude must be a finite number of degrees in [-90, 90]")
            }
            GeoError::Longitude(_) => {
                Self::invalid("lon", "longitude must be a finite number of degrees in [-180, 180]")
            }
            GeoError::UnknownCrs(_) => Self::invalid("crs", "expected wgs84, gcj02 or bd09"),
        }
    }
}

impl From<CodeError> for GridlineError {
    fn from(err: CodeError) -> Self {
        // NotADigit, Province and ZeroLevel are shared with area codes; the façade parses only
        // grid codes so far, and an exported area parser would need its own field here.
        let field = match &err {
            CodeError::AreaLength(_) => "area_code",
            CodeError::CategoryFormat(_) | CodeError::CategoryZero { .. } => "category_code",
            CodeError::GridLength(_)
            | CodeError::NotADigit { .. }
            | CodeError::Province(_)
            | CodeError::ZeroLevel { .. } => "grid_code",
        };
        // Core echoes the whole refused text for a malformed category; a phone may have been
        // handed anything (even report text pasted into the wrong box), so only the rule goes.
        let reason = match err {
            CodeError::CategoryFormat(_) => {
                "a category code is a kind letter (C for component, E for event) and 4 digits, like C0101"
                    .to_owned()
            }
            other => other.to_string(),
        };
        Self::invalid(field, reason)
    }
}

impl From<FieldError> for FieldProblem {
    fn from(problem: FieldError) -> Self {
        FieldProblem { field: problem.field, kind: problem.kind, message: problem.message }
    }
}

impl From<DeviceError> for GridlineError {
    fn from(err: DeviceError) -> Self {
        match err {
            DeviceError::Sqlite(_)
            | DeviceError::Io(_)
            | DeviceError::Json(_)
            | DeviceError::StoreTooNew { .. }
            | DeviceError::JournalMode { .. } => Self::Storage { reason: err.to_string() },
            DeviceError::Invalid(problems) => {
                Self::NotReady { problems: problems.into_iter().map(FieldProblem::from).collect() }
            }
            DeviceError::NotFound { what, id } => Self::NotFound { what: what.to_owned(), id },
            DeviceError::WrongState { .. } => Self::WrongState { reason: err.to_string() },
            DeviceError::SignedOut => Self::SignedOut,
            DeviceError::Transport(_) | DeviceError::ServerUnavailable { .. } => {
                Self::Network { reason: err.to_string() }
            }
            DeviceError::Protocol { .. } => Self::Protocol { reason: err.to_string() },
            DeviceError::Refused { problem, .. } => {
                Self::Refused { status: problem.status, code: problem.code, field: problem.field }
            }
            DeviceError::Throttled { code, retry_after_secs } => {
                Self::TooManyAttempts { code, retry_after_secs }
            }
            DeviceError::CorruptPackage { .. } => Self::Storage { reason: err.to_string() },
        }
    }
}

impl From<PhotoError> for GridlineError {
    fn from(err: PhotoError) -> Self {
        Self::invalid("photo", err.to_string())
    }
}

impl From<PackageError> for GridlineError {
    fn from(err: PackageError) -> Self {
        Self::invalid("grid_package", err.to_string())
    }
}

impl From<GridError> for GridlineError {
    fn from(err: GridError) -> Self {
        Self::invalid("grid_package", err.to_string())
    }
}

impl From<TaxonomyError> for GridlineError {
    fn from(err: TaxonomyError) -> Self {
        Self::Storage { reason: format!("the built-in category list is unreadable: {err}") }
    }
}

/// A state, action or role name from the server that this build does not know.
impl From<UnknownName> for GridlineError {
    fn from(err: UnknownName) -> Self {
        Self::Protocol { reason: format!("unknown {} from the server", err.kind) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_coordinates_name_the_field_but_never_the_value() {
        let err = GridlineError::from(GeoError::Latitude(91.234_567));
        let GridlineError::InvalidInput { field, reason } = &err else { panic!("{err:?}") };
        assert_eq!(field, "lat");
        assert!(!err.to_string().contains("91.23"), "{reason}");
        let err = GridlineError::from(GeoError::Longitude(200.0));
        let GridlineError::InvalidInput { field, .. } = err else { panic!("{err:?}") };
        assert_eq!(field, "lon");
    }

    #[test]
    fn a_malformed_category_does_not_echo_the_input() {
        let err = GridlineError::from(CodeError::CategoryFormat("call 13800138000".to_owned()));
        assert!(!err.to_string().contains("13800138000"), "{err}");
        let GridlineError::InvalidInput { field, .. } = err else { panic!("{err:?}") };
        assert_eq!(field, "category_code");
    }
}
