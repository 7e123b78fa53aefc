//! [`CaseId`]: the name a case has inside the system, a UUID written as its hyphenated
//! lower-case text. That text is what the store keeps and the API sends; the type makes sure a
//! value that reaches a query or an answer was parsed once, at the edge.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::{Timestamp, Uuid};

/// A case's id. The server mints them as UUIDv7 (time ordered, so new cases sort last in the
/// store's index); any UUID parses, because the text is all the store and the clients ever see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseId(Uuid);

/// Why a text is not a case id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case id is a UUID such as 0190b6c2-7a1e-7d3f-9c1b-2f4e5a6b7c8d; got {0:?}")]
pub struct CaseIdError(pub String);

impl CaseId {
    /// A new id for a case filed now.
    pub fn mint() -> Self {
        Self(Uuid::now_v7())
    }

    /// A new id for a case filed at `at` (the server's clock at intake, a generated history's
    /// past moment): its time is `at`, so it sorts, and on PostgreSQL is stored, with the cases
    /// of that month.
    pub fn minted_at(at: DateTime<Utc>) -> Self {
        Self(uuid_v7_at(at))
    }

    /// Parses any of the forms a UUID is written in (hyphenated, simple, braced, upper or lower
    /// case); the id's text is always the hyphenated lower-case form, whichever came in.
    pub fn parse(text: &str) -> Result<Self, CaseIdError> {
        Uuid::parse_str(text).map(Self).map_err(|_| CaseIdError(text.to_owned()))
    }

    pub fn as_uuid(self) -> Uuid {
        self.0
    }
}

/// Bits of [`uuid_v7_at`]'s counter; the 48 bits after it stay random.
const COUNTER_BITS: u8 = 26;

/// How many ids [`uuid_v7_at`] has minted in this process.
static MINTED: AtomicU64 = AtomicU64::new(0);

/// A UUIDv7 whose 48-bit time is `at` to the millisecond: the id of a case or an event written
/// at `at`. The store partitions both by this time (PostgreSQL, by month), so an id minted for a
/// moment lands in that moment's partition. After the time comes a count of the ids minted in
/// this process (not reset each millisecond, so it also holds for instants given out of order):
/// ids minted at one instant (a clock standing still, a batch) sort in the order they were
/// minted, as the lists' `(created_at, id)` order expects. An instant before 1970 is taken as 1970.
pub fn uuid_v7_at(at: DateTime<Utc>) -> Uuid {
    let seconds = u64::try_from(at.timestamp()).unwrap_or(0);
    let counter = MINTED.fetch_add(1, Ordering::Relaxed) & ((1 << COUNTER_BITS) - 1);
    Uuid::new_v7(Timestamp::from_unix_time(
        seconds,
        at.timestamp_subsec_nanos(),
        counter.into(),
        COUNTER_BITS,
    ))
}

impl From<Uuid> for CaseId {
    fn from(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl FromStr for CaseId {
    type Err = CaseIdError;
    fn from_str(text: &str) -> Result<Self, CaseIdError> {
        Self::parse(text)
    }
}

impl TryFrom<String> for CaseId {
    type Error = CaseIdError;
    fn try_from(text: String) -> Result<Self, CaseIdError> {
        Self::parse(&text)
    }
}

impl From<CaseId> for String {
    fn from(id: CaseId) -> String {
        id.to_string()
    }
}

/// On the wire a case id is a string in the `uuid` format.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for CaseId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            // utoipa names the format only with its `uuid` feature, which would pull in a
            // second way of deriving schemas for the uuid crate; the text is the same.
            .format(Some(utoipa::openapi::SchemaFormat::Custom("uuid".to_owned())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for CaseId {}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "0190b6c2-7a1e-7d3f-9c1b-2f4e5a6b7c8d";

    #[test]
    fn the_text_goes_round_unchanged() {
        let id = CaseId::parse(TEXT).unwrap();
        assert_eq!(id.to_string(), TEXT);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{TEXT}\""));
        assert_eq!(serde_json::from_str::<CaseId>(&format!("\"{TEXT}\"")).unwrap(), id);
    }

    #[test]
    fn other_spellings_of_a_uuid_come_out_hyphenated_lower_case() {
        let upper = CaseId::parse(&TEXT.to_uppercase()).unwrap();
        let simple = CaseId::parse(&TEXT.replace('-', "")).unwrap();
        assert_eq!(upper.to_string(), TEXT);
        assert_eq!(simple.to_string(), TEXT);
    }

    #[test]
    fn a_text_that_is_not_a_uuid_is_refused_with_the_text() {
        for bad in ["", "GL-2026-000001", "0190b6c2-7a1e-7d3f-9c1b-2f4e5a6b7c8", "not a uuid"] {
            let error = CaseId::parse(bad).unwrap_err();
            assert_eq!(error, CaseIdError(bad.to_owned()));
            assert!(error.to_string().contains("UUID"), "{error}");
            assert!(serde_json::from_str::<CaseId>(&format!("{bad:?}")).is_err());
        }
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn the_schema_is_a_string_in_the_uuid_format() {
        let schema = serde_json::to_value(<CaseId as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema, serde_json::json!({ "type": "string", "format": "uuid" }));
    }

    #[test]
    fn minted_ids_are_new_and_sort_in_the_order_they_were_minted() {
        let first = CaseId::mint();
        let second = CaseId::mint();
        assert_ne!(first, second);
        assert!(first < second);
    }

    #[test]
    fn an_id_minted_at_a_moment_carries_that_moment_and_its_month_sorts_with_it() {
        use chrono::TimeZone;
        let end_of_january = Utc.with_ymd_and_hms(2026, 1, 31, 23, 59, 59).unwrap();
        let first_of_february = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        let january = CaseId::minted_at(end_of_january);
        let february = CaseId::minted_at(first_of_february);
        let millis = |id: CaseId| id.as_uuid().get_timestamp().map(|t| t.to_unix()).unwrap();
        assert_eq!(millis(january), (end_of_january.timestamp() as u64, 0));
        assert_eq!(millis(february), (first_of_february.timestamp() as u64, 0));
        assert_eq!(january.as_uuid().get_version_num(), 7);
        // The text order is the time order: a month is a range of ids.
        assert!(january.to_string() < february.to_string());
        // Minted later at the same instant, it sorts after.
        let again = CaseId::minted_at(end_of_january);
        assert!(january < again && again.to_string() < february.to_string());
    }
}
