//! Signals as a service: a scan run that keeps what it found, and the steps staff take on a
//! signal, with the case or the topic a step opens. `POST /api/v1/warnings/scan` and the daily
//! job both run [`raise_and_grow`], which announces what it raised or grew on the live stream
//! ([`crate::live::signals`]); the signal handlers ([`crate::api::warnings::signals`])
//! answer with what [`take_step`] stored. The rules (who acts, which step from which state,
//! when a later run grows a signal) are core's ([`gridline_core::warning::signal`]).
//!
//! - **Open a case**: an inspector is sent to look: a case filed through the same intake as any
//!   report, at a point inside the signal's centre cell, in the signal's category or, for a
//!   signal of a class or of every report, the `category` the step names. Its idempotency key
//!   is the signal's, so a retry after a lost answer finds the same case.
//! - **Open a topic**: the signal's centre cell and category (or the named one) adopted as a
//!   topic of the city's current month, with the `owner_unit` or `note` any adoption needs.
//!   A signal need not be a month's candidate; the topic names the signal it came from, and the
//!   signal the topic. A place and category with a live topic already keep it: the signal joins
//!   that topic instead of opening a second, so a retry or a second signal there finds the
//!   same one.

use chrono::NaiveDateTime;
use gridline_core::codes::{CaseId, CategoryCode};
use gridline_core::protocol::{Position, ReportRequest};
use gridline_core::taxonomy::Answers;
use gridline_core::warning::signal::{
    self, DEFAULT_MIN_RECURRENCE_DAYS, SignalAction, SignalMethod, SignalState,
};
use gridline_core::warning::topic::{self, Month, TopicLevel, TopicState};
use serde::Deserialize;

use super::scan::{ScanCluster, ScanTerms, WarningScan, run_scan};
use crate::app::AppState;
use crate::auth::Principal;
use crate::cases::{Submitter, file_report};
use crate::error::{ApiError, ApiResult};
use crate::store::StoreError;
use crate::store::warning_signals::{self, SignalRow, SignalStep};
use crate::store::warning_topics::{self, Adopted, TopicRow};

/// A step on a signal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalStepRequest {
    pub action: SignalAction,
    /// Why (required to dismiss).
    #[serde(default)]
    pub reason: Option<String>,
    /// The category of the case `open_case` files or of the topic `open_topic` adopts, for a
    /// signal of a class or of every report; for a signal of one category it must be that
    /// category or be left out.
    #[serde(default)]
    pub category: Option<String>,
    /// The category's questions answered, for `open_case`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Answers,
    /// The handling unit that takes on the topic `open_topic` adopts; required unless a `note`
    /// says who does.
    #[serde(default)]
    pub owner_unit: Option<String>,
    /// Who takes the topic on and how, for `open_topic`.
    #[serde(default)]
    pub note: Option<String>,
}

/// What a scan run found and kept.
#[derive(Debug)]
pub struct Raised {
    pub scan: WarningScan,
    pub min_recurrence_days: f64,
    /// The ids of the signals raised by this run.
    pub raised: Vec<String>,
    /// The ids of the live signals this run grew.
    pub grown: Vec<String>,
    /// The signals raised or grown, as stored.
    pub rows: Vec<SignalRow>,
}

/// What a step came to.
#[derive(Debug)]
pub enum Stepped {
    /// Taken: the signal as it is now.
    Done(SignalRow),
    /// The signal changed since the version the step named: as it is now.
    Stale(SignalRow),
}

pub fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A cluster of a scan of `(category, class)`, as a new signal.
fn found_row(
    cluster: &ScanCluster,
    (category, class): &(Option<CategoryCode>, Option<String>),
    now: NaiveDateTime,
) -> SignalRow {
    SignalRow {
        id: uuid::Uuid::new_v4().to_string(),
        method: SignalMethod::Scan,
        category: *category,
        class: class.clone(),
        centre_grid: cluster.centre,
        cells: serde_json::to_string(&cluster.cells).unwrap_or_else(|_| "[]".to_owned()),
        window_from: cluster.from.clone(),
        window_to: cluster.to.clone(),
        observed: i32::try_from(cluster.observed).unwrap_or(i32::MAX),
        expected: cluster.expected,
        recurrence_days: cluster.recurrence_interval_days,
        p_value: cluster.p_value,
        case_ids: serde_json::to_string(&cluster.cases).unwrap_or_else(|_| "[]".to_owned()),
        state: SignalState::Open,
        reason: None,
        opened_case_id: None,
        runs: 1,
        version: 1,
        raised_at: now,
        updated_at: now,
        acted_by: None,
        acted_at: None,
        opened_topic_id: None,
    }
}

/// A scan run that keeps what it found: the scan of `pairs` (the query's parameters, with
/// `min_recurrence_days`) over `who`'s scope, as `run` says, each cluster at least that rare
/// raising a signal or growing the live one it shares a cell with. `POST /warnings/scan` and
/// the daily job ([`crate::jobs::warnings`]) both run this; the caller checked the role.
pub async fn raise_and_grow(
    state: &AppState,
    who: &Principal,
    pairs: &[(String, String)],
    run: ScanTerms,
) -> ApiResult<Raised> {
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
    let scan = run_scan(state, who, &rest, run).await?;
    let found: Vec<ScanCluster> =
        scan.clusters.iter().filter(|c| c.recurrence_interval_days >= min_recurrence_days).cloned().collect();
    let (category, class) = (scan.category.clone(), scan.class.clone());
    let clock = state.clock.clone();
    // The scan checked the category it was given: one that does not parse here is a bug.
    let category_code = category
        .as_deref()
        .map(CategoryCode::parse)
        .transpose()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let found_scan = (category_code, scan.class.clone());
    let (raised, grown, rows) = state
        .db
        .run(move |conn| {
            crate::store::write_transaction(conn, |conn| {
                let method = SignalMethod::Scan;
                // Runs of one subject take turns, so what this one reads is what the one before
                // it wrote: a cluster a concurrent run just raised is grown here, not raised again.
                warning_signals::lock_subject(conn, method, category.as_deref(), class.as_deref())?;
                let now = clock.now().naive_utc();
                let live = warning_signals::live_of(conn, method, category.as_deref(), class.as_deref())?;
                let (mut raised, mut grown, mut rows) = (Vec::new(), Vec::new(), Vec::new());
                for cluster in &found {
                    let mut row = found_row(cluster, &found_scan, now);
                    let cells = json_list(&row.cells);
                    // A live signal grows once per run: this run's other clusters are other places.
                    let earlier = live
                        .iter()
                        .filter(|l| !grown.contains(&l.id))
                        .find(|l| signal::grows(l.state, &json_list(&l.cells), &cells));
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
                if !rows.is_empty() {
                    warning_signals::announce(conn)?;
                }
                Ok::<_, crate::store::StoreError>((raised, grown, rows))
            })
        })
        .await?;
    if !rows.is_empty() {
        // Committed: this node's live streams read the signals again (other nodes' streams hear
        // the transaction's NOTIFY on PostgreSQL).
        state.db.signals().wake();
    }
    Ok(Raised { scan, min_recurrence_days, raised, grown, rows })
}

/// Takes `body`'s step on the signal `row` (which the caller may see) if it is still at
/// `expected` (the version of `If-Match`): core decides, then the case or the topic the step
/// opens is filed, then the signal's new state is stored.
pub async fn take_step(
    state: &AppState,
    who: &Principal,
    row: SignalRow,
    expected: i32,
    body: &SignalStepRequest,
) -> ApiResult<Stepped> {
    let next = signal::decide(row.state, body.action, who.role, body.reason.as_deref()).map_err(|r| {
        let field =
            matches!(r, signal::SignalRefusal::ReasonRequired | signal::SignalRefusal::ReasonTooLong(_))
                .then_some("reason");
        super::refusal(r.status(), r.code(), r.to_string(), field)
    })?;
    if row.version != expected {
        return Ok(Stepped::Stale(row));
    }
    let (opened_case_id, opened_topic_id) = match body.action {
        SignalAction::OpenCase => (Some(open_case(state, who, &row, body).await?), None),
        SignalAction::OpenTopic => (None, Some(open_topic(state, who, &row, body).await?)),
        _ => (None, None),
    };
    let reason = body.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    let step = SignalStep {
        state: next,
        reason,
        opened_case_id,
        opened_topic_id,
        actor: who.user_id.clone(),
        at: state.clock.now().naive_utc(),
    };
    let signal_id = row.id.clone();
    let stored = state
        .db
        .run(move |conn| {
            let done = warning_signals::act(conn, &signal_id, expected, &step)?;
            if done {
                warning_signals::announce(conn)?;
            }
            Ok::<_, StoreError>((done, warning_signals::find(conn, &signal_id)?))
        })
        .await?;
    if stored.0 {
        state.db.signals().wake();
    }
    match stored {
        (true, Some(row)) => Ok(Stepped::Done(row)),
        (_, Some(row)) => Ok(Stepped::Stale(row)),
        (_, None) => Err(ApiError::not_found("signal")),
    }
}

/// The category a case or a topic opened from the signal is of: the signal's own, or the
/// body's within the signal's class (any category for a signal of every report).
fn step_category(row: &SignalRow, asked: Option<&str>) -> ApiResult<String> {
    let asked = asked
        .map(|text| {
            CategoryCode::parse(text)
                .map(|code| code.to_string())
                .map_err(|e| ApiError::invalid_field("category", e.to_string()))
        })
        .transpose()?;
    match (row.category.map(|code| code.to_string()), asked) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(asked)) if own == asked => Ok(asked),
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
            "the signal is not of one category: name the category of the case or topic to open",
        )),
    }
}

/// Files the inspection case of `open_case`.
async fn open_case(
    state: &AppState,
    who: &Principal,
    row: &SignalRow,
    body: &SignalStepRequest,
) -> ApiResult<CaseId> {
    let category = step_category(row, body.category.as_deref())?;
    let centre = row.centre_grid;
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
    Ok(filed.case.id)
}

/// Adopts (or finds) the topic of `open_topic`: the signal's centre cell and category.
async fn open_topic(
    state: &AppState,
    who: &Principal,
    row: &SignalRow,
    body: &SignalStepRequest,
) -> ApiResult<String> {
    topic::check_adoption(who.role, body.owner_unit.as_deref(), body.note.as_deref())
        .map_err(|r| super::refusal(r.status(), r.code(), r.to_string(), r.field()))?;
    let category = step_category(row, body.category.as_deref())?;
    let trimmed = |text: Option<&str>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let owner_unit = trimmed(body.owner_unit.as_deref());
    super::active_owner(state, owner_unit.as_deref()).await?;
    let zone = state.calendar.settings().timezone;
    let now = state.clock.now();
    let month = Month::of(now.with_timezone(&zone).date_naive());
    let topic = TopicRow {
        id: uuid::Uuid::now_v7().to_string(),
        month: month.to_string(),
        level: TopicLevel::Cell,
        place: row.centre_grid.to_string(),
        category: CategoryCode::parse(&category)
            .map_err(|e| ApiError::invalid_field("category", e.to_string()))?,
        owner_unit,
        note: trimmed(body.note.as_deref()),
        case_ids: String::new(),
        // Not counted from a month's closures: what it recurs by is the signal's finding.
        recurrences: 0,
        closures: 0,
        state: TopicState::Adopted,
        reason: None,
        version: 1,
        adopted_by: who.user_id.clone(),
        adopted_at: now.naive_utc(),
        updated_at: now.naive_utc(),
        settled_by: None,
        settled_at: None,
        signal_id: Some(row.id.clone()),
    };
    let inside = json_list(&row.case_ids);
    let adopted = state
        .db
        .run(move |conn| {
            let mut topic = topic;
            let found = warning_topics::of_category(conn, &inside, &category)?;
            topic.case_ids = serde_json::to_string(&found).unwrap_or_else(|_| "[]".to_owned());
            warning_topics::adopt(conn, &topic)
        })
        .await?;
    Ok(match adopted {
        Adopted::New(topic) | Adopted::Existing(topic) => topic.id,
    })
}
