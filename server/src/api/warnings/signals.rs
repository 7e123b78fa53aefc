//! Early warning's signals over HTTP: a scan run that records what it found, and the steps
//! staff take on a signal. The rules (who acts, which step from which state, when a later run
//! grows a signal instead of raising another) are core's
//! ([`gridline_core::warning::signal`]); the runs and steps are the service's
//! ([`crate::warnings::signals`]); this module checks who asks and answers.
//!
//! - `POST /warnings/scan`: run the scan as `GET /warnings/scan` does (same parameters, plus
//!   `min_recurrence_days`, default 200) and keep every cluster at least that rare as a
//!   signal: a new one, or the live signal of the same method and category or class it shares
//!   a cell with, grown. Admins and dispatchers (and the `system`).
//! - `GET /warnings/signals`: the signals whose centre cell is in the caller's scope, newest
//!   first, optionally of one `state`. Admins, dispatchers and viewers.
//! - `GET /warnings/signals/{id}`: one, with its `ETag`; outside the scope 404.
//! - `POST /warnings/signals/{id}/actions` with `If-Match`: `acknowledge`, `dismiss` (with a
//!   `reason`), `open_case` (an inspector is sent to look) or `open_topic` (the signal's place
//!   and category taken on as a topic, with an `owner_unit` or a `note`); for a signal of a
//!   class or of every report, both name the `category`. What each files is the service's
//!   ([`crate::warnings::signals`]).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::taxonomy::Names;
use gridline_core::warning::signal::{self, SignalAction, SignalMethod, SignalState};
use gridline_core::workflow::Role;
use serde::Serialize;

use super::scan::WarningScan;
use super::{names, precondition_required, stale};
use crate::api::cases::actions::{etag, if_match};
use crate::app::AppState;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::store::warning_signals::{self, SignalRow};
use crate::warnings::scan::ScanTerms;
pub use crate::warnings::signals::SignalStepRequest;
use crate::warnings::signals::{Stepped, json_list, raise_and_grow, take_step};

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
    /// Still live (open or acknowledged): a later run grows it, and a map rings its cells.
    pub live: bool,
    /// Why it was dismissed.
    pub reason: Option<String>,
    /// The case opened from it.
    pub case_id: Option<String>,
    /// The topic opened from it (`GET /api/v1/warnings/topics/{id}`).
    pub topic_id: Option<String>,
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
    /// A `category` (to open a case or a topic from a signal that is not of one category).
    pub needs_category: bool,
    /// An `owner_unit` or a `note` (to open a topic).
    pub needs_owner: bool,
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

fn view(row: SignalRow, who: &Principal) -> SignalView {
    let state = row.state;
    let actions = signal::available_actions(who.role, state);
    let action_needs = actions
        .iter()
        .map(|&action| SignalActionNeeds {
            action,
            label: names(action.words()),
            needs_reason: action.needs_reason(),
            needs_category: action.needs_category(row.category.is_some()),
            needs_owner: action.needs_owner(),
        })
        .collect();
    SignalView {
        live: state.is_live(),
        state_label: names(state.words()),
        action_needs,
        method: row.method,
        cells: json_list(&row.cells),
        cases: json_list(&row.case_ids),
        actions,
        id: row.id,
        category: row.category.map(|code| code.to_string()),
        class: row.class,
        from: row.window_from,
        to: row.window_to,
        observed: row.observed,
        expected: row.expected,
        recurrence_interval_days: row.recurrence_days,
        p_value: row.p_value,
        state,
        reason: row.reason,
        case_id: row.opened_case_id.map(|id| id.to_string()),
        topic_id: row.opened_topic_id,
        runs: row.runs,
        version: row.version,
        raised_at: rfc3339(row.raised_at),
        updated_at: rfc3339(row.updated_at),
    }
}

/// Whether the caller's scope holds the signal's centre cell.
fn in_scope(who: &Principal, row: &SignalRow) -> bool {
    who.can_see_grid(row.centre_grid)
}

pub async fn run(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    who.require_role(RUNNERS)?;
    let run = raise_and_grow(&state, &who, &query, ScanTerms::REQUEST).await?;
    let signals = run.rows.into_iter().map(|row| view(row, &who)).collect();
    Ok(HttpResponse::Ok().json(ScanRun {
        scan: run.scan,
        min_recurrence_days: run.min_recurrence_days,
        raised: run.raised,
        grown: run.grown,
        signals,
    }))
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
    let rows = state.db.run(move |conn| warning_signals::newest(conn, &scope, wanted)).await?;
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
        return Ok(precondition_required("signal", "/api/v1/warnings/signals/{id}"));
    };
    match take_step(&state, &who, row, expected, &body).await? {
        Stepped::Done(row) => {
            Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(row.version))).json(view(row, &who)))
        }
        Stepped::Stale(row) => Ok(stale("signal", row.version)),
    }
}
