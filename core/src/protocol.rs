//! The JSON bodies between a phone and the server, defined once for both sides: the server reads
//! a report or a workflow step into exactly the type the device core writes it from, and
//! answers with the types the device core parses (one parser per answer body, such as
//! [`WorklistPage::parse`]), so a field added, renamed or retyped on one side is a compile error
//! on the other, not a 422 or an unreadable answer in the field.
//!
//! Requests carry the wire shape only (`serde`, unknown fields refused). What the values mean
//! is checked where it is decided: the server validates every field and answers with the field
//! at fault; the device validates a draft against the taxonomy before it is queued. Answers are
//! read leniently (unknown fields ignored), so a newer server can add a field.
//!
//! With the feature `openapi` (the server's) every type derives utoipa's `ToSchema`, and the
//! server's OpenAPI document is generated from them; the phones never link that code.
//!
//! - [`session`]: sign-in and refresh answers, the account.
//! - [`cases`]: one case in its reader's view, the inspector's work list.
//! - [`reports`]: a report's receipt, the reporter's own list.
//! - [`categories`]: the city's categories with their questions.
//! - [`health`]: liveness and readiness.
//! - [`open_data`]: one case as the city publishes it, with nothing that identifies a person.
//! - [`timeline`]: a case's public timeline (the reporter's, with the after-photos).
//! - [`joint`]: a case's helper parts and disputes, and the units' figures of both.

pub mod cases;
pub mod categories;
pub mod health;
pub mod joint;
pub mod open_data;
pub mod reports;
pub mod session;
pub mod timeline;

pub use cases::{
    ActionNeeds, CaseListPage, CasePosition, CaseView, CaseViewKind, Placement, ReporterRef, WorklistItem,
    WorklistPage,
};
pub use categories::CategoryList;
pub use health::{Liveness, Readiness};
pub use open_data::OpenCaseRecord;
pub use reports::{FollowedCase, MyReportsPage, ReportReceipt};
pub use session::{CodeSent, SessionAnswer, UserView};
pub use timeline::{PublicTimeline, PublicTimelineEntry, TrackedCase};

use serde::{Deserialize, Serialize};

use crate::taxonomy::Answers;

/// An answer body that does not read as the type it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct AnswerError {
    pub reason: String,
}

/// Read an answer body as `T` (unknown fields are ignored).
pub fn parse_answer<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AnswerError> {
    serde_json::from_slice(body).map_err(|e| AnswerError { reason: format!("unreadable answer: {e}") })
}

/// A sync cursor is the audit trail's sequence number, never below 0.
fn check_cursor(cursor: i64) -> Result<(), AnswerError> {
    if cursor < 0 {
        return Err(AnswerError { reason: format!("next_cursor {cursor} is below 0") });
    }
    Ok(())
}

/// `POST /api/v1/reports`, and `POST /api/v1/cases/{id}/actions`'s `position`: where, in which
/// datum, how precisely.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    /// `wgs84` (default), `gcj02` or `bd09`; converted to WGS-84 before routing and storage.
    /// Kept as text so that an unknown datum is refused naming `position.crs`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::geo::Crs::optional_schema))]
    pub crs: Option<String>,
    /// Horizontal accuracy of the fix in metres.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// `POST /api/v1/reports`: a new report, sent with an `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// A category code of the taxonomy, such as `E0101`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::codes::category_code_schema))]
    pub category: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::limits::description_schema))]
    pub description: String,
    pub position: Position,
    /// When the problem was seen (RFC 3339); defaults to the time of receipt.
    #[serde(default)]
    pub captured_at: Option<String>,
    /// Photos uploaded before, by the same account, in the order they are shown.
    #[serde(default)]
    pub photo_ids: Vec<String>,
    /// Answers to the category's extra questions, by question code.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: Answers,
    /// Only where the category allows it.
    #[serde(default)]
    pub anonymous: bool,
    /// A test report of an emergency drill (平战转换演练), from staff only: it goes to the
    /// drill's command queue and is left out of the statistics ([`crate::emergency`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drill: bool,
}

/// `POST /api/v1/cases/{id}/actions`: one workflow step, sent with `If-Match` (the case
/// version) and an `Idempotency-Key`. Which fields a step needs is the workflow's rule
/// ([`crate::workflow`]); the rest stay empty, and may be left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ActionRequest {
    /// The action's wire name, such as `register` or `verify_pass` (left out, it is empty, and
    /// the server refuses it naming `action`).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::workflow::Action, required = true))]
    pub action: String,
    /// The reason a step requires (reject, send back, extend, verification failed, ...).
    pub reason: Option<String>,
    /// Internal note, shown to staff only.
    pub note: Option<String>,
    /// Where the actor stands (verification is done on site); for `relocate`, where the case
    /// goes.
    pub position: Option<Position>,
    /// For `relocate`, instead of a position: the cell the case goes to (a 15-digit grid code,
    /// as a caller names the place); the case is placed at a point inside that cell alone.
    /// Left out of the written form when empty, so a step's stored fingerprint stays what it
    /// was before the field existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid_code: Option<String>,
    pub photo_ids: Vec<String>,
    /// For `dispatch`: the handling unit's code.
    pub handling_unit: Option<String>,
    /// For `extend`: the new deadline, RFC 3339.
    pub new_deadline: Option<String>,
    /// For `merge`: the id of the case this one duplicates.
    pub merge_into: Option<String>,
    /// For `rate`: 1 to 5.
    #[cfg_attr(feature = "openapi", schema(schema_with = rating_schema))]
    pub rating: Option<u8>,
    /// For `rate`: the citizen's words.
    pub comment: Option<String>,
    /// For `call_back`: the reporter's answer. Left out of the written form when empty, so a
    /// step's stored fingerprint stays what it was before the field existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<crate::workflow::callback::Satisfaction>,
    /// For `call_back`: whether the reporter says the problem is solved (是否解决), from which
    /// the resolution rate is counted. Left out of the written form when empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
    /// For `dispatch` and `reassign`: the helper units (协办) with their parts; the handling
    /// unit leads (主办). Left out, a dispatch under an emergency command with units on joint
    /// duty gives them parts by default ([`crate::emergency::dispatch_helpers`]); `[]` takes no
    /// helper. Left out of the written form when left out, like `satisfaction`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helpers: Option<Vec<crate::workflow::parts::HelperPartRequest>>,
    /// For `assign_verifier`: the account id of the street's inspector the verification goes
    /// to. Left out of the written form when empty, like `satisfaction`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspector: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_as_written_and_missing_optionals_take_their_defaults() {
        let report = ReportRequest {
            category: "E0101".to_owned(),
            description: "Overflowing rubbish bin".to_owned(),
            position: Position {
                lat: 31.2,
                lon: 121.5,
                crs: Some("gcj02".to_owned()),
                accuracy_m: Some(8.0),
            },
            captured_at: Some("2026-11-29T08:30:00+08:00".to_owned()),
            photo_ids: vec!["p1".to_owned()],
            answers: Answers::default(),
            anonymous: true,
            drill: false,
        };
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<ReportRequest>(&text).unwrap(), report);

        let minimal: ReportRequest = serde_json::from_str(
            r#"{"category":"E0101","description":"x","position":{"lat":31.2,"lon":121.5}}"#,
        )
        .unwrap();
        assert_eq!(minimal.position.crs, None);
        assert!(minimal.photo_ids.is_empty() && !minimal.anonymous && minimal.captured_at.is_none());
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let err = serde_json::from_str::<ReportRequest>(
            r#"{"category":"E0101","description":"x","position":{"lat":1,"lon":2},"priority":"high"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("priority"), "{err}");
        let err = serde_json::from_str::<ActionRequest>(
            r#"{"action":"register","position":{"lat":1,"lon":2,"alt":3}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("alt"), "{err}");
    }

    #[test]
    fn a_step_reads_back_as_written() {
        let step = ActionRequest {
            action: "verify_pass".to_owned(),
            position: Some(Position { lat: 31.2, lon: 121.5, crs: None, accuracy_m: Some(5.0) }),
            photo_ids: vec!["after".to_owned()],
            ..ActionRequest::default()
        };
        let text = serde_json::to_string(&step).unwrap();
        assert_eq!(serde_json::from_str::<ActionRequest>(&text).unwrap(), step);
    }
}

/// `GET` and `PUT /api/v1/me/notifications`: how the signed-in account wants to hear about its
/// reports' public changes. A channel is used only when the account has an address on it (a
/// phone number it signed in with, a registered device, the e-mail address given here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    pub sms: bool,
    pub push: bool,
    pub email: bool,
    /// Where e-mail notices go; required when `email` is on.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = email_address_schema))]
    pub email_address: Option<String>,
    pub language: crate::workflow::notice::Language,
}

/// An e-mail address as the server reads it: trimmed, blank or `null` is none, else an address
/// of at most [`crate::workflow::notice::MAX_EMAIL_CHARS`] characters.
#[cfg(feature = "openapi")]
fn email_address_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::{ObjectBuilder, Type};
    let address = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Email)))
        .max_length(Some(crate::workflow::notice::MAX_EMAIL_CHARS));
    let any_of = utoipa::openapi::schema::AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^[ \t\r\n]*$")))
        .item(address)
        .description(Some(
            "Trimmed; blank or null is none. Needed when email is on (PUT): an address an SMTP server takes.",
        ))
        .build();
    utoipa::openapi::schema::Schema::AnyOf(any_of)
}

/// `POST /api/v1/me/push-tokens`: a device token an app registers for the signed-in account
/// (again after the platform rotates it); `DELETE /api/v1/me/push-tokens/{token}` forgets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushTokenRequest {
    /// The platform's device token: printable ASCII without spaces, 1 to 4,096 characters
    /// (`MAX_PUSH_TOKEN_CHARS`) once the white space around it is dropped.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[ \t\r\n]*[!-~]{1,4096}[ \t\r\n]*$"))]
    pub token: String,
    /// One of [`crate::workflow::notice::PUSH_PLATFORMS`].
    #[cfg_attr(feature = "openapi", schema(schema_with = push_platform_schema))]
    pub platform: String,
}

/// The schema of a push platform: one of [`crate::workflow::notice::PUSH_PLATFORMS`].
/// A rating as [`crate::workflow::words::RATINGS`] bounds it, or null.
#[cfg(feature = "openapi")]
fn rating_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    let ratings = crate::workflow::words::RATINGS;
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(*ratings.start()))
        .maximum(Some(*ratings.end()))
        .build()
}

#[cfg(feature = "openapi")]
fn push_platform_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(crate::workflow::notice::PUSH_PLATFORMS.iter().copied()))
        .build()
}
