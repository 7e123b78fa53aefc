//! Sensor alarms (城市神经元): the wire shape of an alarm a sending system posts, the severity
//! scale and what it does to a case's urgency and time limit, and the rule per alarm kind that
//! decides when alarms become a case, with the defaults the city starts from.
//!
//! The fields follow FIWARE's Smart Data Model `Alert` (`category`, `subCategory`, `severity`,
//! `dateIssued`, `validFrom`, `validTo`): `category` is the alarm kind (a rule of the city's
//! table), `alertSource` the device that raised it. An all-clear is the same message with
//! `"status": "cleared"` for the same device and kind.
//!
//! A rule says, for one kind:
//! - which category of the taxonomy its cases take (and the answers every such case carries);
//! - how an alarm is confirmed: it lasted `min_duration_s` with no all-clear, or (when
//!   `second_device_confirms`) another device of the same cell and kind alarms too, or a person
//!   confirms it from the review queue;
//! - how confirmed alarms group: those of one kind in one cell within `group_window_s` of the
//!   group's first share one case (0: each alarm is its own case);
//! - when a device is faulty: more than `flap_limit_per_hour` alternations (an alarm, then its
//!   all-clear) within an hour;
//!
//! When every alarm of a case has had its all-clear, the case is marked cleared by sensor; it
//! still needs an inspector's verification to close, unless the kind's rule closes it then
//! (`closes_on_all_clear`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::calendar::TimeLimit;
use crate::workflow::{UnknownName, Urgency, join, wire_enum};

/// Longest alarm kind, device id or sender's alarm id, in characters.
pub const MAX_ID_CHARS: usize = 100;
/// Most alarms in one batch.
pub const MAX_BATCH: usize = 1_000;
/// Longest unit of a measured value (`deg`, `m`, `ppm`), in characters.
pub const MAX_UNIT_CHARS: usize = 20;
/// Longest link to a picture or clip of the scene, in characters.
pub const MAX_URL_CHARS: usize = 2_000;

/// How serious an alarm is, on FIWARE `Alert`'s scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Informational, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The longest handling time this severity allows, if it shortens the category's: critical
    /// 1 working hour, high 2; the others keep the category's own limit.
    pub fn cap(self) -> Option<TimeLimit> {
        match self {
            Severity::Critical => Some(TimeLimit::Hours(1)),
            Severity::High => Some(TimeLimit::Hours(2)),
            _ => None,
        }
    }

    /// The urgency of a case whose alarms reach this severity at most: critical is very urgent
    /// (特急), high urgent (紧急), the rest normal. It follows the time limit's caps, so the
    /// severities that shorten a case's limit are exactly those that make it urgent, and the
    /// dispatcher's badge agrees with the deadline; a medium or low alarm is a problem found
    /// early (a bin filling, a meter still), as normal as a citizen's report of it.
    pub fn urgency(self) -> Urgency {
        match self {
            Severity::Critical => Urgency::VeryUrgent,
            Severity::High => Urgency::Urgent,
            Severity::Medium | Severity::Low | Severity::Informational => Urgency::Normal,
        }
    }

    /// The handling time limit of a case of this severity in a category whose own limit is
    /// `category`: the shorter of the two (a limit in days counts as longer than any cap in
    /// hours, which are all under one working day).
    pub fn time_limit(self, category: TimeLimit) -> TimeLimit {
        match (self.cap(), category) {
            (Some(TimeLimit::Hours(cap)), TimeLimit::Hours(own)) => TimeLimit::Hours(cap.min(own)),
            (Some(cap), _) => cap,
            (None, own) => own,
        }
    }
}

/// Whether a message raises (or repeats) an alarm, or clears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AlarmStatus {
    #[default]
    Active,
    Cleared,
}

wire_enum! {
    /// Where an alarm episode stands, as the review queue and the dashboard show it. An episode
    /// leaves the review queue by being confirmed or by its all-clear (`cleared_at`, which is not
    /// a state: an episode keeps the state it had when its device gave the all-clear).
    AlarmState, "alarm state" {
        /// Raised by a healthy device; waits for confirmation by duration, a second device or a
        /// person.
        Pending = "pending",
        /// Confirmed: it belongs to a group, which is (or becomes) a case.
        Confirmed = "confirmed",
        /// Raised by a device flagged faulty, or still pending when its device was flagged:
        /// kept, never a case.
        Suppressed = "suppressed",
    }
}

/// One alarm message: `POST /api/v1/sensors/alarms` takes one, or `{"alarms": [...]}`. After
/// FIWARE's Smart Data Model `Alert`; an all-clear is the same message with `status: cleared`
/// for the same device and kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SensorAlarm))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AlarmMessage {
    /// The sender's id of this message: a replay with the same id is counted once.
    #[cfg_attr(feature = "openapi", schema(schema_with = message_id_schema))]
    pub id: String,
    /// The device that raised it (its id in the sender's registry).
    #[cfg_attr(feature = "openapi", schema(schema_with = alert_source_schema))]
    pub alert_source: String,
    /// The alarm kind, such as `manhole_cover` (a rule of the city's table).
    #[cfg_attr(feature = "openapi", schema(schema_with = alarm_kind_schema))]
    pub category: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = sub_category_schema))]
    pub sub_category: Option<String>,
    /// critical caps the case's handling time limit at 1 working hour, high at 2; the others
    /// keep the category's.
    pub severity: Severity,
    #[serde(default)]
    pub status: AlarmStatus,
    /// When the device issued it (RFC 3339).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub date_issued: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub valid_from: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub valid_to: Option<String>,
    /// The measured value that raised it (a tilt in degrees, a water level in metres...).
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = unit_schema))]
    pub unit: Option<String>,
    /// An https link to a picture or clip of the scene, shown in the review queue.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = media_url_schema))]
    pub media_url: Option<String>,
}

/// The rule for one alarm kind: which category its cases take, when its alarms are confirmed,
/// how they group into cases, and when a device is faulty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SensorRule))]
#[serde(deny_unknown_fields)]
pub struct AlarmRule {
    #[cfg_attr(feature = "openapi", schema(schema_with = kind_schema))]
    pub kind: String,
    /// A category code of the taxonomy.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::codes::category_code_schema))]
    pub category: String,
    /// Answers to the category's questions, by question code (a single value each), that every
    /// case of this kind carries.
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, String>,
    /// An alarm confirms once it has lasted this long without an all-clear (0: at once).
    #[cfg_attr(feature = "openapi", schema(schema_with = count_schema))]
    pub min_duration_s: u32,
    /// An alarm confirms when another device of its cell and kind alarms too.
    pub second_device_confirms: bool,
    /// Confirmed alarms of this kind in one cell within this window of the group's first share
    /// one case (0: one case each).
    #[cfg_attr(feature = "openapi", schema(schema_with = count_schema))]
    pub group_window_s: u32,
    /// More alternations (alarm, then all-clear) than this within an hour flag the device
    /// faulty.
    #[cfg_attr(feature = "openapi", schema(schema_with = count_schema))]
    pub flap_limit_per_hour: u32,
    /// When every alarm of a case has had its all-clear, the case closes without a visit (the
    /// `sensor_close` step) instead of waiting for an inspector's verification: for kinds
    /// whose all-clear is itself the fix (a parked car that drove off, a bin emptied). False
    /// when left out.
    #[serde(default)]
    pub closes_on_all_clear: bool,
}

/// A sender's id or a device id, 1 to [`MAX_ID_CHARS`] characters, described.
#[cfg(feature = "openapi")]
fn id_schema(description: &str) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_ID_CHARS))
        .description(Some(description))
        .build()
}

#[cfg(feature = "openapi")]
fn message_id_schema() -> utoipa::openapi::Object {
    id_schema(
        "The sender's id of this message: a replay with the same id (and body) is counted once; \
         the same id with another body is refused (409 `alarm_id_reused`).",
    )
}

#[cfg(feature = "openapi")]
fn alert_source_schema() -> utoipa::openapi::Object {
    id_schema(
        "The device, by its id in the sender's registry (one of the system's own devices, else \
         403 `device_out_of_scope`).",
    )
}

/// A message's alarm kind: a rule of the city's table.
#[cfg(feature = "openapi")]
fn alarm_kind_schema() -> utoipa::openapi::Object {
    let mut schema = kind_schema();
    schema.description =
        Some("The alarm kind: a rule of the city's table (GET /api/v1/admin/sensor-rules).".into());
    schema
}

/// An alarm kind as [`valid_kind`] takes it.
#[cfg(feature = "openapi")]
fn kind_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(format!("^[a-z0-9_]{{1,{MAX_ID_CHARS}}}$")))
        .build()
}

/// A text of at most `max` characters, or null.
#[cfg(feature = "openapi")]
fn optional_text_schema(max: usize) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(max))
        .build()
}

#[cfg(feature = "openapi")]
fn sub_category_schema() -> utoipa::openapi::Object {
    optional_text_schema(MAX_ID_CHARS)
}

#[cfg(feature = "openapi")]
fn unit_schema() -> utoipa::openapi::Object {
    optional_text_schema(MAX_UNIT_CHARS)
}

#[cfg(feature = "openapi")]
fn media_url_schema() -> utoipa::openapi::Object {
    optional_text_schema(MAX_URL_CHARS)
}

/// A rule's count or number of seconds: any `u32` (a stored value saturates at the column's
/// largest).
#[cfg(feature = "openapi")]
fn count_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::Integer)
        .minimum(Some(0))
        .maximum(Some(u32::MAX))
        .build()
}

/// The category of a faulty device's maintenance case (the taxonomy's "other problem").
pub const MAINTENANCE_CATEGORY: &str = "E0601";

/// The kinds the city starts with, each mapped to a category of the shipped taxonomy.
pub fn shipped_rules() -> Vec<AlarmRule> {
    let rule = |kind: &str, category: &str, min: u32, second: bool, window: u32, flaps: u32| AlarmRule {
        kind: kind.to_owned(),
        category: category.to_owned(),
        answers: Default::default(),
        min_duration_s: min,
        second_device_confirms: second,
        group_window_s: window,
        flap_limit_per_hour: flaps,
        closes_on_all_clear: false,
    };
    let mut manhole = rule("manhole_cover", "C0102", 30, false, 600, 4);
    manhole.answers.insert("cover_state".to_owned(), "displaced".to_owned());
    vec![
        // A tilted cover is an order after 30 s with no all-clear (field practice).
        manhole,
        // Road flooding: two gauges of a cell agree, or the level stays up 5 minutes.
        rule("water_level", "E0504", 300, true, 3_600, 4),
        // Smoke: two detectors agree, or it lasts a minute.
        rule("smoke", "E0507", 60, true, 1_800, 4),
        // A parked car still there after 10 minutes; when it drives off, nothing is left to do.
        AlarmRule {
            closes_on_all_clear: true,
            ..rule("illegal_parking_camera", "E0404", 600, false, 1_800, 6)
        },
        // A full bin that stays full for half an hour; a street's bins share a case for 2 hours.
        // Emptied (the fill sensor clears), the case is done.
        AlarmRule { closes_on_all_clear: true, ..rule("overflowing_bin", "C0302", 1_800, false, 7_200, 4) },
        // The meter of an elder living alone that stayed still: at once, one case per home.
        rule("lone_elder_water_meter", "E0601", 0, false, 0, 4),
    ]
}

/// Whether `kind` can name an alarm kind: lower-case ASCII letters, digits and `_`.
pub fn valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= MAX_ID_CHARS
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_maps_to_the_case_urgency() {
        assert_eq!(Severity::Critical.urgency(), Urgency::VeryUrgent);
        assert_eq!(Severity::High.urgency(), Urgency::Urgent);
        for normal in [Severity::Medium, Severity::Low, Severity::Informational] {
            assert_eq!(normal.urgency(), Urgency::Normal, "{normal:?}");
        }
    }

    #[test]
    fn a_higher_severity_is_never_less_urgent_and_urgent_ones_shorten_the_limit() {
        for pair in Severity::ALL.windows(2) {
            assert!(pair[0].urgency() <= pair[1].urgency(), "{:?} then {:?}", pair[0], pair[1]);
        }
        for severity in Severity::ALL {
            assert_eq!(severity.urgency() != Urgency::Normal, severity.cap().is_some(), "{severity:?}");
        }
    }

    #[test]
    fn severity_shortens_the_limit_only_when_higher() {
        assert_eq!(Severity::Critical.time_limit(TimeLimit::Hours(4)), TimeLimit::Hours(1));
        assert_eq!(Severity::High.time_limit(TimeLimit::Hours(1)), TimeLimit::Hours(1));
        assert_eq!(Severity::High.time_limit(TimeLimit::Days(3)), TimeLimit::Hours(2));
        assert_eq!(Severity::Medium.time_limit(TimeLimit::Days(3)), TimeLimit::Days(3));
        assert_eq!(Severity::Low.time_limit(TimeLimit::Hours(4)), TimeLimit::Hours(4));
    }

    #[test]
    fn every_shipped_kind_is_valid_and_maps_to_a_shipped_category() {
        let taxonomy = crate::taxonomy::Taxonomy::default_taxonomy().unwrap();
        for rule in shipped_rules() {
            assert!(valid_kind(&rule.kind), "{}", rule.kind);
            let code = crate::codes::CategoryCode::parse(&rule.category).unwrap();
            let category = taxonomy.get(code).unwrap_or_else(|| panic!("{}", rule.category));
            let answers = rule
                .answers
                .iter()
                .map(|(k, v)| (k.clone(), crate::taxonomy::AnswerValue::One(v.clone())))
                .collect();
            assert!(category.check_answers(&answers).is_ok(), "{}", rule.kind);
        }
        let code = crate::codes::CategoryCode::parse(MAINTENANCE_CATEGORY).unwrap();
        assert!(taxonomy.get(code).is_some());
    }

    #[test]
    fn an_alarm_reads_fiware_field_names() {
        let m: AlarmMessage = serde_json::from_str(
            r#"{"id":"a1","alertSource":"d1","category":"smoke","subCategory":"indoor","severity":"high",
                "status":"cleared","dateIssued":"2026-12-03T10:00:00Z","value":3.5,"unit":"ppm"}"#,
        )
        .unwrap();
        assert_eq!(m.status, AlarmStatus::Cleared);
        assert_eq!(m.sub_category.as_deref(), Some("indoor"));
        assert_eq!(m.severity, Severity::High);
        assert!(!valid_kind("Smoke"));
        assert!(valid_kind("lone_elder_water_meter"));
    }
}
