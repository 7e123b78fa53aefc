//! [`GridlineError`]: the one error type that crosses the FFI, shaped for what an app branches
//! on, and the single place where core's detailed errors are mapped onto it.
//!
//! Messages never carry personal data: a refused coordinate is reported by which field was
//! wrong, never by its value, because apps forward exception messages to logs and crash
//! reporters.

use gridline_core::codes::CodeError;
use gridline_core::geo::GeoError;

/// An error returned by the Gridline SDK. Branch on the variant; `reason` is an English
/// sentence for developers and logs, not for end users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum GridlineError {
    /// An argument was refused. `field` names the argument at fault (`lat`, `lon`, `crs`,
    /// `grid_code`, `area_code`, `category_code`); `reason` says what was expected.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The name of the argument at fault.
        field: String,
        /// What was expected, without the refused value when that could be personal data.
        reason: String,
    },
}

impl GridlineError {
    fn invalid(field: &str, reason: impl Into<String>) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_coordinates_name_the_field_but_never_the_value() {
        let err = GridlineError::from(GeoError::Latitude(91.234_567));
        let GridlineError::InvalidInput { field, reason } = &err;
        assert_eq!(field, "lat");
        assert!(!err.to_string().contains("91.23"), "{reason}");
        let GridlineError::InvalidInput { field, .. } = GridlineError::from(GeoError::Longitude(200.0));
        assert_eq!(field, "lon");
    }

    #[test]
    fn a_malformed_category_does_not_echo_the_input() {
        let err = GridlineError::from(CodeError::CategoryFormat("call 13800138000".to_owned()));
        assert!(!err.to_string().contains("13800138000"), "{err}");
        let GridlineError::InvalidInput { field, .. } = err;
        assert_eq!(field, "category_code");
    }
}
