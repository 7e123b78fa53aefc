//! Patrol tracks over HTTP ([`crate::patrol`]):
//!
//! - `POST /api/v1/patrol/positions`: an inspector's phone uploads the positions it recorded on
//!   duty (at most [`MAX_PATROL_BATCH`] at once, each with its moment, RFC 3339). Each is routed
//!   to its cell and stored once: the same batch sent again stores nothing new. A moment in the
//!   future (beyond a few minutes of clock drift) or older than the retention is refused.
//! - `GET /api/v1/patrol/coverage?day=YYYY-MM-DD`: for a street office (dispatcher), the day
//!   (in the city's time zone) of every inspector whose cells lie in its street: the cells
//!   assigned, the ones visited and for how long, and the street's coverage figure. Nobody gets
//!   raw positions, and no other role or street gets a summary.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use gridline_core::limits::MAX_PATROL_BATCH;
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};

use crate::api::auth::with_db;
use crate::app::AppState;
use crate::auth::users::{self, UserQuery};
use crate::auth::{Principal, Scope};
use crate::error::{ApiError, ApiResult};
use crate::patrol::{self, NewPosition};
use crate::routing::wgs84_point;

/// How far ahead of the server's clock a phone's moment may be (clock drift).
const MAX_CLOCK_AHEAD_SECS: i64 = 300;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionIn {
    /// When recorded (RFC 3339); not in the future, not older than the retention
    /// (GRIDLINE_PATROL_RETENTION_DAYS).
    #[schema(format = DateTime)]
    pub at: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionsBody {
    #[schema(schema_with = positions_schema)]
    pub positions: Vec<PositionIn>,
}

/// 1 to [`MAX_PATROL_BATCH`] positions.
fn positions_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(<PositionIn as utoipa::PartialSchema>::schema())
        .min_items(Some(1))
        .max_items(Some(MAX_PATROL_BATCH))
        .build()
}

/// The answer to an upload.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PositionsStored {
    /// Positions new to the server.
    pub stored: usize,
    /// Positions it already held (a batch sent again).
    pub already_stored: usize,
}

pub async fn upload(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Inspector])?;
    // Read after the role check, so nobody else learns what the body should hold.
    // The serde message is left out: it may quote a coordinate.
    let body: PositionsBody = serde_json::from_value(body.into_inner()).map_err(|_| {
        ApiError::invalid_field("positions", "expected {\"positions\": [{\"at\", \"lat\", \"lon\"}, ...]}")
    })?;
    let count = body.positions.len();
    if count == 0 || count > MAX_PATROL_BATCH {
        return Err(ApiError::invalid_field(
            "positions",
            format!("expected 1 to {MAX_PATROL_BATCH} positions, found {count}"),
        ));
    }
    let now = state.clock.now();
    let oldest = now - chrono::Duration::days(i64::from(state.config.settings.patrol_retention_days));
    let newest = now + chrono::Duration::seconds(MAX_CLOCK_AHEAD_SECS);
    let mut positions = Vec::with_capacity(count);
    for (i, p) in body.positions.iter().enumerate() {
        let field = format!("positions[{i}].");
        let at = DateTime::parse_from_rfc3339(p.at.trim())
            .map_err(|_| ApiError::invalid_field(format!("{field}at"), "expected an RFC 3339 date and time"))?
            .with_timezone(&Utc);
        if at > newest || at < oldest {
            return Err(ApiError::invalid_field(
                format!("{field}at"),
                "expected a moment between the retention period's start and now",
            ));
        }
        if p.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
            return Err(ApiError::invalid_field(format!("{field}accuracy_m"), "expected metres >= 0"));
        }
        let point = wgs84_point(p.lat, p.lon, None, &field)?;
        positions.push(NewPosition {
            recorded_at_ms: at.timestamp_millis(),
            lat: point.lat(),
            lon: point.lon(),
            accuracy_m: p.accuracy_m,
            grid_code: state.router.place(point).grid.map(|c| c.to_string()),
        });
    }
    let inspector = who.user_id.clone();
    let stored = state.db.run(move |conn| patrol::record(conn, &inspector, &positions)).await?;
    Ok(HttpResponse::Ok().json(PositionsStored { stored, already_stored: count - stored }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    pub day: String,
}

/// Time spent in one cell.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CellTime {
    pub grid: String,
    #[schema(minimum = 0)]
    pub seconds: i64,
}

/// One inspector's day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InspectorDay {
    pub inspector_id: String,
    pub display_name: String,
    pub cells_assigned: usize,
    pub cells_visited: usize,
    /// Time on patrol in their own cells.
    #[schema(minimum = 0)]
    pub seconds: i64,
    /// Each of their cells visited, with the time spent there.
    pub cells: Vec<CellTime>,
}

/// A street's patrol coverage on one day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StreetCoverage {
    #[schema(format = Date)]
    pub day: String,
    pub street: String,
    /// Cells assigned to the street's inspectors.
    pub cells_assigned: usize,
    /// Of those, the cells an inspector assigned to them visited.
    pub cells_visited: usize,
    /// `cells_visited / cells_assigned` in percent, one decimal; 0 without assigned cells.
    #[schema(minimum = 0, maximum = 100)]
    pub coverage_percent: f64,
    /// The visited cells (for the map).
    pub visited_cells: Vec<String>,
    pub inspectors: Vec<InspectorDay>,
}

/// Most inspector accounts read for one street's summary.
const MAX_INSPECTORS: i64 = 500;

pub async fn coverage(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<CoverageQuery>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Dispatcher])?;
    let Scope::Street { street } = &who.scope else {
        return Err(ApiError::from(crate::auth::AuthError::Forbidden));
    };
    let street = street.to_string();
    let day = NaiveDate::parse_from_str(query.day.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid_field("day", "expected a date, YYYY-MM-DD"))?;
    let tz = state.calendar.settings().timezone;
    let start = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&Utc).timestamp_millis())
    };
    let (Some(from_ms), Some(to_ms)) = (start(day), day.succ_opt().and_then(start)) else {
        return Err(ApiError::invalid_field("day", "expected a date the city's calendar can place"));
    };
    let inspectors = with_db(&state, |conn| {
        users::list(
            conn,
            &UserQuery {
                role: Some(Role::Inspector),
                limit: MAX_INSPECTORS,
                offset: 0,
                kind: users::AccountKind::Staff,
            },
        )
    })
    .await?;
    // Each inspector of the street with their cells in it.
    let ours: Vec<(users::User, BTreeSet<String>)> = inspectors
        .into_iter()
        .filter_map(|user| {
            let Scope::Grids { grids } = &user.scope else { return None };
            let cells: BTreeSet<String> =
                grids.iter().map(ToString::to_string).filter(|g| g.starts_with(&street)).collect();
            (!cells.is_empty()).then_some((user, cells))
        })
        .collect();
    let ids: Vec<String> = ours.iter().map(|(u, _)| u.id.clone()).collect();
    let tracks = state.db.run(move |conn| patrol::cells_between(conn, &ids, from_ms, to_ms)).await?;
    let mut assigned_all = BTreeSet::new();
    let mut visited_all = BTreeSet::new();
    let mut days = Vec::new();
    for (user, cells) in ours {
        let time: BTreeMap<String, i64> =
            tracks.get(&user.id).map(|t| patrol::time_in_cells(t)).unwrap_or_default();
        let own: Vec<CellTime> = time
            .iter()
            .filter(|(grid, _)| cells.contains(*grid))
            .map(|(grid, seconds)| CellTime { grid: grid.clone(), seconds: *seconds })
            .collect();
        visited_all.extend(own.iter().map(|c| c.grid.clone()));
        days.push(InspectorDay {
            inspector_id: user.id.clone(),
            display_name: user.display_name.clone(),
            cells_assigned: cells.len(),
            cells_visited: patrol::visited(&cells, &time),
            seconds: own.iter().map(|c| c.seconds).sum(),
            cells: own,
        });
        assigned_all.extend(cells);
    }
    let percent = if assigned_all.is_empty() {
        0.0
    } else {
        (visited_all.len() as f64 * 1000.0 / assigned_all.len() as f64).round() / 10.0
    };
    Ok(HttpResponse::Ok().json(StreetCoverage {
        day: day.to_string(),
        street,
        cells_assigned: assigned_all.len(),
        cells_visited: visited_all.len(),
        coverage_percent: percent,
        visited_cells: visited_all.into_iter().collect(),
        inspectors: days,
    }))
}
