//! One case as the city publishes it (`GET /api/v1/open-data/cases`, CSV or JSON Lines): what
//! was reported, where, through which way in, and how it was handled, with nothing that
//! identifies a person. Not the description or the answers (a citizen's words can hold a name or
//! a phone number), not the reporter, not the photos and not the point: the place is the unit
//! grid cell and its community, street and district, never finer, so an anonymous report cannot
//! be located from the data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::CategoryCode;
use crate::workflow::{CaseState, Channel};

/// One line of the open-data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenCaseRecord {
    /// The number the reporter was given (`GL-261203-4Y061X`); the public tracking page shows
    /// the same case to anyone who has it.
    pub tracking_number: String,
    pub channel: Channel,
    /// The GB/T 30428.2 category code (`C0101`, `E0301`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[CE][0-9]{4}$"))]
    pub category: CategoryCode,
    /// `component` (部件) or `event` (事件).
    pub category_kind: String,
    pub state: CaseState,
    /// The unit grid's 15-digit code; none for a report that routed to no cell.
    pub grid: Option<String>,
    pub community: Option<String>,
    pub street: Option<String>,
    pub district: Option<String>,
    /// The unit handling it, once dispatched.
    pub handling_unit: Option<String>,
    pub reported_at: DateTime<Utc>,
    /// The current step's time limit, if one runs.
    pub deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// When the case last changed (for a closed case, when it was closed or last called back).
    pub last_change_at: DateTime<Utc>,
}

impl OpenCaseRecord {
    /// The CSV columns, in the order [`OpenCaseRecord::csv_cells`] gives them.
    pub const CSV_COLUMNS: [&'static str; 14] = [
        "tracking_number",
        "channel",
        "category",
        "category_kind",
        "state",
        "grid",
        "community",
        "street",
        "district",
        "handling_unit",
        "reported_at",
        "deadline",
        "overdue",
        "last_change_at",
    ];

    /// The record's cells for one CSV row: absent values are empty, times RFC 3339 in UTC.
    pub fn csv_cells(&self) -> [String; 14] {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.tracking_number.clone(),
            self.channel.as_str().to_owned(),
            self.category.to_string(),
            self.category_kind.clone(),
            self.state.as_str().to_owned(),
            text(&self.grid),
            text(&self.community),
            text(&self.street),
            text(&self.district),
            text(&self.handling_unit),
            time(&self.reported_at),
            self.deadline.as_ref().map(time).unwrap_or_default(),
            self.overdue.to_string(),
            time(&self.last_change_at),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_follow_the_columns_and_leave_absent_values_empty() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T08:30:00+08:00").unwrap().with_timezone(&Utc);
        let record = OpenCaseRecord {
            tracking_number: "GL-261203-4Y061X".into(),
            channel: Channel::Hotline,
            category: CategoryCode::parse("E0301").unwrap(),
            category_kind: "event".into(),
            state: CaseState::Dispatched,
            grid: Some("110101001001001".into()),
            community: Some("110101001001".into()),
            street: Some("110101001".into()),
            district: Some("110101".into()),
            handling_unit: None,
            reported_at: at,
            deadline: None,
            overdue: false,
            last_change_at: at,
        };
        let cells = record.csv_cells();
        assert_eq!(cells.len(), OpenCaseRecord::CSV_COLUMNS.len());
        let by_column: std::collections::BTreeMap<_, _> =
            OpenCaseRecord::CSV_COLUMNS.iter().zip(cells.iter()).collect();
        assert_eq!(by_column[&"channel"], "hotline");
        assert_eq!(by_column[&"state"], "dispatched");
        assert_eq!(by_column[&"handling_unit"], "");
        assert_eq!(by_column[&"deadline"], "");
        assert_eq!(by_column[&"reported_at"], "2026-12-03T00:30:00Z");
        assert_eq!(by_column[&"overdue"], "false");
    }
}
