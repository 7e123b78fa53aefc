//! What anyone may learn about a case: the one public view, shown alike by the API's public
//! case view (`GET /api/v1/cases/{id}` without a right to more) and by Open311.
//!
//! A report is a citizen's raw words and photos until a street office reviews it: they may hold
//! a phone number, a name, a face or abuse. So the description is public only once the report
//! is accepted as a case (not while it is `reported`, and never once `rejected`), the photo
//! only then and only when the report was not anonymous, and the position only to about 100 m.
//! The reporter is never public.

use gridline_core::workflow::CaseState;

use crate::store::cases::CaseRow;

/// Public positions are rounded to this many decimals of a degree (about 100 m).
const PUBLIC_POSITION_DECIMALS: i32 = 3;

/// The public facts of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicCase<'a> {
    /// The reporter's words, once reviewed.
    pub description: Option<&'a str>,
    /// Latitude and longitude rounded to about 100 m.
    pub lat: f64,
    pub lon: f64,
    /// Whether the report's photo may be shown.
    pub photo_public: bool,
}

/// The public view of `case`.
pub fn public_view(case: &CaseRow) -> PublicCase<'_> {
    PublicCase {
        description: is_reviewed(case).then_some(case.description.as_str()),
        lat: round(case.lat),
        lon: round(case.lon),
        photo_public: is_photo_public(case),
    }
}

/// Whether a street office has reviewed the report and accepted it as a case: only then are
/// the reporter's own words and photos published.
pub fn is_reviewed(case: &CaseRow) -> bool {
    !matches!(case.state, CaseState::Reported | CaseState::Rejected)
}

/// Whether a case's photo may be published.
pub fn is_photo_public(case: &CaseRow) -> bool {
    !case.anonymous && is_reviewed(case)
}

fn round(value: f64) -> f64 {
    let factor = 10f64.powi(PUBLIC_POSITION_DECIMALS);
    (value * factor).round() / factor
}
