//! Early warning's signals over HTTP: a scan run that records what it found, and the steps
//! staff take on a signal. The rules (who acts, which step from which state, when a later run
//! grows a signal instead of raising another) are core's
//! ([`gridline_core::warning::signal`]); this module stores and answers.
//!
//! - `POST /warnings/scan`: run the scan as `GET /warnings/scan` does (same parameters, plus
//!   `min_recurrence_days`, default 100) and keep every cluster at least that rare as a
//!   signal: a new one, or the live signal of the same method and category or class it shares
//!   a cell with, grown. Admins and dispatchers (and the `system`).
//! - `GET /warnings/signals`: the signals whose centre cell is in the caller's scope, newest
//!   first, optionally of one `state`. Admins, dispatchers and viewers.
//! - `GET /warnings/signals/{id}`: one, with its `ETag`; outside the scope 404.
//! - `POST /warnings/signals/{id}/actions` with `If-Match`: `acknowledge`, `dismiss` (with a
//!   `reason`) or `open_case` (an inspector is sent to look: a case filed through the same
//!   intake as any report, at a point inside the signal's centre cell, in the signal's category
//!   or, for a signal of a class or of every report, the `category` the body names).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::codes::{CategoryCode, GridCode};
use gridline_core::protocol::{Position, ReportRequest};
use gridline_core::taxonomy::{Answers, Names};
use gridline_core::warning::signal::{
    self, DEFAULT_MIN_RECURRENCE_DAYS, SignalAction, SignalMethod, SignalRefusal, SignalState,
};
use gridline_core::workflow::Role;
use serde::{Deserialize, Serialize};

use super::scan::{ScanCluster, WarningScan, run_scan};
use crate::api::cases::actions::{etag, if_match, problem};
use crate::app::AppState;
use crate::auth::Principal;
use crate::cases::{Submitter, file_report};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::store::warning_signals::{self, SignalRow, SignalStep};

/// One signal as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignalView {
    pub id: String,
    /// What found it: `scan`.
    pub method: SignalMethod,
    pub category: Option<String>,
    pub class: Option<String>,
    /// The cells, the centre first.
    pub cells: Vec<String>,
    /// The window's first and last city dates, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub observed: i32,
    pub expected: f64,
    pub recurrence_interval_days: f64,
    pub p_value: f64,
    /// The cases whose reports are inside.
    pub cases: Vec<String>,
    pub state: SignalState,
    /// Why it was dismissed.
    pub reason: Option<String>,
    /// The case opened from it.
    pub case_id: Option<String>,
    /// How many runs found it.
    pub runs: i32,
    pub version: i32,
    /// RFC 3339.
    pub raised_at: String,
    pub updated_at: String,
    /// The state in words.
    pub state_label: Names,
    /// The steps the caller may take on it now.
    pub actions: Vec<SignalAction>,
    /// For each of `actions`: its name and what it must carry, so a screen asks for exactly that.
    pub action_needs: Vec<SignalActionNeeds>,
}

/// A step the caller may take on a signal, named, with what it must carry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignalActionNeeds {
    pub action: SignalAction,
    pub label: Names,
    /// A `reason` (to dismiss).
    pub needs_reason: bool,
    /// A `category` (to open a case from a signal that is not of one category).
    pub needs_category: bool,
}

/// The signals of a list answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignalList {
    pub signals: Vec<SignalView>,
    /// Whether the caller may run a scan that keeps signals (`POST /api/v1/warnings/scan`).
    pub can_run: bool,
}

/// Who may run a scan that keeps signals: the offices of places (not a read-only screen).
const RUNNERS: &[Role] = &[Role::Admin, Role::DistrictAdmin, Role::System, Role::Dispatcher];

fn names((zh, en): (&str, &str)) -> Names {
    Names { zh: zh.to_owned(), en: en.to_owned() }
}

/// A run's answer: the scan, and the signals it raised or grew.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScanRun {
    pub scan: WarningScan,
    pub min_recurrence_days: f64,
    /// The ids of the signals raised by this run.
    pub raised: Vec<String>,
    /// The ids of the live signals this run grew.
    pub grown: Vec<String>,
    pub signals: Vec<SignalView>,
}

/// A step on a signal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalStepRequest {
    pub action: SignalAction,
    /// Why (required to dismiss).
    #[serde(default)]
    pub reason: Option<String>,
    /// The category of the case `open_case` files, for a signal of a class or of every report;
    /// for a signal of one category it must be that category or be left out.
    #[serde(default)]
    pub category: Option<String>,
    /// The category's questions answered, for `open_case`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Answers,
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn rfc3339(at: chrono::NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(row: SignalRow, who: &Principal) -> SignalView {
    let state: SignalState = row.state.parse().unwrap_or(SignalState::Dismissed);
    let actions = signal::available_actions(who.role, state);
    let action_needs = actions
        .iter()
        .map(|&action| SignalActionNeeds {
            action,
            label: names(action.words()),
            needs_reason: action.needs_reason(),
            needs_category: action.needs_category(row.category.is_some()),
        })
        .collect();
    SignalView {
        state_label: names(state.words()),
        action_needs,
        method: row.method.parse().unwrap_or(SignalMethod::Scan),
        cells: json_list(&row.cells),
        cases: json_list(&row.case_ids),
        actions,
        id: row.id,
        category: row.category,
        class: row.class,
        from: row.window_from,
        to: row.window_to,
        observed: row.observed,
        expected: row.expected,
        recurrence_interval_days: row.recurrence_days,
        p_value: row.p_value,
        state,
        reason: row.reason,
        case_id: row.opened_case_id,
        runs: row.runs,
        version: row.version,
        raised_at: rfc3339(row.raised_at),
        updated_at: rfc3339(row.updated_at),
    }
}

/// Whether the caller's scope holds the signal's centre cell.
fn in_scope(who: &Principal, row: &SignalRow) -> bool {
    GridCode::parse(&row.centre_grid).is_ok_and(|cell| who.can_see_grid(cell))
}

/// A cluster of a scan of `(category, class)`, as a new signal.
fn found_row(
    cluster: &ScanCluster,
    (category, class): &(Option<String>, Option<String>),
    now: chrono::NaiveDateTime,
) -> SignalRow {
    SignalRow {
        id: uuid::Uuid::new_v4().to_string(),
        method: SignalMethod::Scan.as_str().to_owned(),
        category: category.clone(),
        class: class.clone(),
        centre_grid: cluster.cells.first().cloned().unwrap_or_default(),
        cells: serde_json::to_string(&cluster.cells).unwrap_or_else(|_| "[]".to_owned()),
        window_from: cluster.from.clone(),
        window_to: cluster.to.clone(),
        observed: i32::try_from(cluster.observed).unwrap_or(i32::MAX),
        expected: cluster.expected,
        recurrence_days: cluster.recurrence_interval_days,
        p_value: cluster.p_value,
        case_ids: serde_json::to_string(&cluster.cases).unwrap_or_else(|_| "[]".to_owned()),
        state: SignalState::Open.as_str().to_owned(),
        reason: None,
        opened_case_id: None,
        runs: 1,
        version: 1,
        raised_at: now,
        updated_at: now,
        acted_by: None,
        acted_at: None,
    }
}

pub async fn run(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    who.require_role(RUNNERS)?;
    Ok(HttpResponse::Ok().json(raise_and_grow(&state, &who, &query).await?))
}

/// A scan run that keeps what it found: the scan of `pairs` (the query's parameters, with
/// `min_recurrence_days`) over `who`'s scope, each cluster at least that rare raising a signal
/// or growing the live one it shares a cell with. `POST /warnings/scan` and the daily job
/// ([`crate::jobs::warnings`]) both run this; the caller checked the role.
pub async fn raise_and_grow(
    state: &AppState,
    who: &Principal,
    pairs: &[(String, String)],
) -> ApiResult<ScanRun> {
    let (threshold, rest): (Vec<_>, Vec<_>) =
        pairs.iter().cloned().partition(|(name, _)| name == "min_recurrence_days");
    if threshold.len() > 1 {
        return Err(ApiError::bad_request("invalid_query", "the parameter is given more than once")
            .with_field("min_recurrence_days"));
    }
    let min_recurrence_days = match threshold.first() {
        None => DEFAULT_MIN_RECURRENCE_DAYS,
        Some((_, text)) => {
            text.trim().parse::<f64>().ok().filter(|d| d.is_finite() && *d >= 1.0).ok_or_else(|| {
                ApiError::invalid_field("min_recurrence_days", "expected a number of days, at least 1")
            })?
        }
    };
    let scan = run_scan(state, who, &rest).await?;
    let found: Vec<ScanCluster> =
        scan.clusters.iter().filter(|c| c.recurrence_interval_days >= min_recurrence_days).cloned().collect();
    let (category, class) = (scan.category.clone(), scan.class.clone());
    let clock = state.clock.clone();
    let found_scan = (scan.category.clone(), scan.class.clone());
    let (raised, grown, rows) = state
        .db
        .run(move |conn| {
            crate::store::write_transaction(conn, |conn| {
                let method = SignalMethod::Scan.as_str();
                // Runs of one subject take turns, so what this one reads is what the one before
                // it wrote: a cluster a concurrent run just raised is grown here, not raised again.
                warning_signals::lock_subject(conn, method, category.as_deref(), class.as_deref())?;
                let now = clock.now().naive_utc();
                let live = warning_signals::live_of(conn, method, category.as_deref(), class.as_deref())?;
                let (mut raised, mut grown, mut rows) = (Vec::new(), Vec::new(), Vec::new());
                for cluster in &found {
                    let mut row = found_row(cluster, &found_scan, now);
                    let cells = json_list(&row.cells);
                    let state_of = |r: &SignalRow| r.state.parse().unwrap_or(SignalState::Dismissed);
                    // A live signal grows once per run: this run's other clusters are other places.
                    let earlier = live
                        .iter()
                        .filter(|l| !grown.contains(&l.id))
                        .find(|l| signal::grows(state_of(l), &json_list(&l.cells), &cells));
                    let grew = match earlier {
                        Some(earlier) => {
                            let mut grown_row = row.clone();
                            grown_row.id = earlier.id.clone();
                            grown_row.runs = earlier.runs + 1;
                            // Stale when staff settled it meanwhile: the cluster is then a new signal.
                            warning_signals::grow(conn, &grown_row, earlier.version)?.then_some(grown_row.id)
                        }
                        None => None,
                    };
                    match grew {
                        Some(id) => {
                            grown.push(id.clone());
                            row.id = id;
                        }
                        None => {
                            warning_signals::insert(conn, &row)?;
                            raised.push(row.id.clone());
                        }
                    }
                    if let Some(stored) = warning_signals::find(conn, &row.id)? {
                        rows.push(stored);
                    }
                }
                Ok::<_, crate::store::StoreError>((raised, grown, rows))
            })
        })
        .await?;
    let signals = rows.into_iter().map(|row| view(row, who)).collect();
    Ok(ScanRun { scan, min_recurrence_days, raised, grown, signals })
}

pub async fn list(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::WATCHERS)?;
    super::checked_pairs(&query, &["state"])?;
    let wanted = match query.first() {
        None => None,
        Some((_, text)) => Some(
            text.trim()
                .parse::<SignalState>()
                .map_err(|e| ApiError::invalid_field("state", e.to_string()))?,
        ),
    };
    let scope = who.case_filter();
    let rows = state
        .db
        .run(move |conn| warning_signals::newest(conn, &scope, wanted.map(SignalState::as_str)))
        .await?;
    let signals = rows.into_iter().filter(|row| in_scope(&who, row)).map(|row| view(row, &who)).collect();
    Ok(HttpResponse::Ok().json(SignalList { signals, can_run: RUNNERS.contains(&who.role) }))
}

/// The signal `id` if the caller may see it; 404 otherwise, saying nothing of its existence.
async fn visible(state: &AppState, who: &Principal, id: &str) -> ApiResult<SignalRow> {
    let id = id.to_owned();
    let row = state.db.run(move |conn| warning_signals::find(conn, &id)).await?;
    row.filter(|row| in_scope(who, row)).ok_or_else(|| ApiError::not_found("signal"))
}

pub async fn get(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::WATCHERS)?;
    let row = visible(&state, &who, &id).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(row.version))).json(view(row, &who)))
}

fn refused(refusal: SignalRefusal) -> ApiError {
    let kind = match refusal.status() {
        403 => ErrorKind::Forbidden,
        409 => ErrorKind::Conflict,
        _ => ErrorKind::Unprocessable,
    };
    let field = match refusal {
        SignalRefusal::ReasonRequired | SignalRefusal::ReasonTooLong(_) => Some("reason"),
        _ => None,
    };
    let error = ApiError::new(kind, refusal.code(), refusal.to_string());
    match field {
        Some(field) => error.with_field(field),
        None => error,
    }
}

fn stale(current: &SignalRow) -> HttpResponse {
    let mut response = problem(
        StatusCode::CONFLICT,
        "version_mismatch",
        "the signal has changed since the version in If-Match; read it again and retry",
        None,
    );
    if let Ok(value) = HeaderValue::from_str(&etag(current.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The category `open_case` files under: the signal's own, or the body's within the signal's
/// class (any category for a signal of every report).
fn case_category(row: &SignalRow, asked: Option<&str>) -> ApiResult<String> {
    let asked = asked
        .map(|text| {
            CategoryCode::parse(text)
                .map(|code| code.to_string())
                .map_err(|e| ApiError::invalid_field("category", e.to_string()))
        })
        .transpose()?;
    match (&row.category, asked) {
        (Some(own), None) => Ok(own.clone()),
        (Some(own), Some(asked)) if *own == asked => Ok(asked),
        (Some(own), Some(_)) => Err(ApiError::invalid_field(
            "category",
            format!("the signal is of category {own}; leave category out"),
        )),
        (None, Some(asked)) if row.class.as_ref().is_none_or(|class| asked.starts_with(class.as_str())) => {
            Ok(asked)
        }
        (None, Some(_)) => Err(ApiError::invalid_field(
            "category",
            format!(
                "the signal is of class {}; name a category of that class",
                row.class.as_deref().unwrap_or("")
            ),
        )),
        (None, None) => Err(ApiError::invalid_field(
            "category",
            "the signal is not of one category: name the category of the case to open",
        )),
    }
}

pub async fn act(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<SignalStepRequest>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::WATCHERS)?;
    let expected = if_match(&req)?;
    let row = visible(&state, &who, &id).await?;
    let Some(expected) = expected else {
        return Ok(problem(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the signal's ETag (its version), as returned by GET /api/v1/warnings/signals/{id}",
            None,
        ));
    };
    let body = body.into_inner();
    let current: SignalState = row.state.parse().unwrap_or(SignalState::Dismissed);
    let next = signal::decide(current, body.action, who.role, body.reason.as_deref()).map_err(refused)?;
    if row.version != expected {
        return Ok(stale(&row));
    }
    let opened_case_id = match body.action {
        SignalAction::OpenCase => Some(open_case(&state, &who, &row, &body).await?),
        _ => None,
    };
    let reason = body.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    let step = SignalStep {
        state: next.as_str().to_owned(),
        reason,
        opened_case_id,
        actor: who.user_id.clone(),
        at: state.clock.now().naive_utc(),
    };
    let signal_id = row.id.clone();
    let stored = state
        .db
        .run(move |conn| {
            let done = warning_signals::act(conn, &signal_id, expected, &step)?;
            Ok::<_, crate::store::StoreError>((done, warning_signals::find(conn, &signal_id)?))
        })
        .await?;
    match stored {
        (true, Some(row)) => {
            Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(row.version))).json(view(row, &who)))
        }
        (_, Some(row)) => Ok(stale(&row)),
        (_, None) => Err(ApiError::not_found("signal")),
    }
}

/// Files the inspection case of `open_case`; its idempotency key is the signal's, so a retry
/// after a lost answer finds the same case.
async fn open_case(
    state: &AppState,
    who: &Principal,
    row: &SignalRow,
    body: &SignalStepRequest,
) -> ApiResult<String> {
    let category = case_category(row, body.category.as_deref())?;
    let centre = GridCode::parse(&row.centre_grid).map_err(|e| ApiError::internal(e.to_string()))?;
    let point =
        state.router.snapshot().index.as_ref().and_then(|index| index.point_in_cell(centre)).ok_or_else(
            || ApiError::conflict("unknown_cell", "the signal's centre cell is no longer in the city's grid"),
        )?;
    let description = format!(
        "预警信号 Early-warning signal {}: {} reports in {} cell(s) from {} to {} against {:.1} expected \
         (recurrence interval {:.0} days). Please go and look.",
        row.id,
        row.observed,
        json_list(&row.cells).len(),
        row.window_from,
        row.window_to,
        row.expected,
        row.recurrence_days,
    );
    let report = ReportRequest {
        category,
        description,
        position: Position { lat: point.lat(), lon: point.lon(), crs: None, accuracy_m: None },
        captured_at: None,
        photo_ids: Vec::new(),
        answers: body.answers.clone(),
        anonymous: false,
        drill: false,
    };
    let key = format!("warning-signal:{}", row.id);
    let filed = file_report(state, Submitter::from(who), key, report).await?;
    Ok(filed.case.id.clone())
}
