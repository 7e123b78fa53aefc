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

use serde::{Deserialize, Serialize};

use crate::calendar::TimeLimit;
use crate::workflow::Urgency;

/// Longest alarm kind, device id or sender's alarm id, in characters.
pub const MAX_ID_CHARS: usize = 100;
/// Most alarms in one batch.
pub const MAX_BATCH: usize = 1_000;

/// How serious an alarm is, on FIWARE `Alert`'s scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[serde(rename_all = "lowercase")]
pub enum AlarmStatus {
    #[default]
    Active,
    Cleared,
}

/// One alarm message: `POST /api/v1/sensors/alarms` takes one, or `{"alarms": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AlarmMessage {
    /// The sender's id of this message: a replay with the same id is counted once.
    pub id: String,
    /// The device that raised it (its id in the sender's registry).
    pub alert_source: String,
    /// The alarm kind, such as `manhole_cover` (a rule of the city's table).
    pub category: String,
    #[serde(default)]
    pub sub_category: Option<String>,
    pub severity: Severity,
    #[serde(default)]
    pub status: AlarmStatus,
    /// When the device issued it (RFC 3339).
    pub date_issued: String,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    /// The measured value that raised it (a tilt in degrees, a water level in metres...).
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
    /// A link to a picture or clip of the scene (an https URL).
    #[serde(default)]
    pub media_url: Option<String>,
}

/// The rule for one alarm kind (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmRule {
    pub kind: String,
    pub category: String,
    /// Answers to the category's questions, by question code (a single value each).
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, String>,
    pub min_duration_s: u32,
    pub second_device_confirms: bool,
    pub group_window_s: u32,
    pub flap_limit_per_hour: u32,
    /// When every alarm of a case has had its all-clear, the case closes without a visit (the
    /// `sensor_close` step) instead of waiting for an inspector's verification: for kinds
    /// whose all-clear is itself the fix (a parked car that drove off, a bin emptied).
    #[serde(default)]
    pub closes_on_all_clear: bool,
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
