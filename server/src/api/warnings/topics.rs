//! Topics (每月一题) over HTTP: each month, the categories and places whose problems keep coming
//! back after closure, ranked with their trend; a topic adopted from them tracks its cases
//! together until it is resolved or dropped. What counts as coming back, the score, the trend
//! and the steps are core's ([`gridline_core::warning::topic`]); this module reads the store,
//! keeps adopted topics and answers.
//!
//! - `GET /warnings/topics?month=YYYY-MM&level=cell|community|street&category=&limit=`: the
//!   month's candidates in the caller's scope, best first (the month defaults to the city's
//!   current one, the level to `cell`, the limit to 20 of at most 200), and the topics adopted
//!   for that month. Read from the statistics' facts: the reports, closures and reopenings of
//!   the scope's cases from the look-back before the third month before to the month's end,
//!   each case in the place its row names now.
//! - `POST /warnings/topics`: adopt a candidate of a month (`month`, `level`, `place`,
//!   `category`, and an `owner_unit` or a `note`). 201 with the topic; when the place and
//!   category already have a live topic, 200 with that one (adopting twice tracks nothing
//!   twice). A place that is not a candidate of the month is 422 `not_a_candidate`.
//! - `GET /warnings/topics/{id}`: one, with its `ETag`, its cases (those found when it was
//!   adopted and the reports of its category in its place since, until it is settled) and
//!   their open, closed and overdue counts.
//! - `POST /warnings/topics/{id}/actions` with `If-Match`: `resolve` (a `reason` may say how) or
//!   `drop` (a `reason` is required).
//!
//! Scope as for signals: a topic belongs to its place, and a caller whose scope does not hold
//! the place gets 404. Admins, district admins and dispatchers act; viewers read with no steps.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use gridline_core::codes::{AreaCode, CaseId, CategoryCode};
use gridline_core::taxonomy::Names;
use gridline_core::warning::topic::{
    self, CaseHistory, Direction, LOOK_BACK_DAYS, MIN_RECURRENCES, Month, TREND_MONTHS, TopicAction,
    TopicLevel, TopicRefusal, TopicState,
};
use gridline_core::workflow::{self, Action, CaseState, Role};
use serde::{Deserialize, Serialize};

use super::{names, precondition_required, stale};
use crate::api::cases::actions::{etag, if_match};
use crate::app::AppState;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorKind, category_parameter};
use crate::store::warning_topics::{self, Adopted, HistoryRow, TopicRow, TopicStep, TrackedRow};
use crate::store::{StoreError, warning_signals};
use crate::warnings::signals::json_list;
use crate::warnings::{active_owner, refusal as refusal_answer};

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 200;
const PARAMETERS: [&str; 4] = ["month", "level", "category", "limit"];

/// A case of a candidate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CandidateCase {
    pub id: String,
    pub tracking_number: String,
    /// Whether it came back in the month (a report after a closure, or a reopening); otherwise
    /// it is a closed case that one came back after.
    pub came_back: bool,
}

/// The recurrences of a month before the one ranked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    pub recurrences: u32,
}

/// A category and a place that keep coming back in the month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicCandidate {
    /// 1 for the first.
    pub rank: u32,
    /// The place's code at the answer's level.
    pub place: String,
    pub category: String,
    /// Reports after a closure and reopenings in the month: the score.
    pub recurrences: u32,
    /// The distinct closures they came back after.
    pub closures_came_back_after: u32,
    /// The three months before, the oldest first.
    pub previous_months: Vec<MonthCount>,
    pub previous_mean: f64,
    /// `recurrences` − `previous_mean`.
    pub trend: f64,
    pub direction: Direction,
    /// The cases that came back, then the closed cases they came back after.
    pub cases: Vec<CandidateCase>,
    /// The live topic of this place and category, or the one adopted from this month.
    pub topic_id: Option<String>,
    pub topic_state: Option<TopicState>,
    /// Whether the caller may adopt it now (`POST /api/v1/warnings/topics`).
    pub can_adopt: bool,
}

/// A case a topic tracks, as it is now. (Named apart from core's `TrackedCase`, the public
/// tracking answer, in the OpenAPI document.)
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TopicCase)]
pub struct TrackedCase {
    pub id: String,
    pub tracking_number: String,
    /// The case's workflow state.
    pub state: CaseState,
    /// Dispatched or being handled past its deadline (or flagged overdue by the deadline job).
    pub overdue: bool,
    /// RFC 3339.
    pub reported_at: String,
    /// Whether it was found when the topic was adopted; otherwise it was reported since.
    pub found_at_adoption: bool,
}

/// A topic's cases counted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicCounts {
    pub total: u32,
    /// Not closed, rejected or merged.
    pub open: u32,
    pub closed: u32,
    /// Open and overdue.
    pub overdue: u32,
    /// Rejected or merged into another case.
    pub set_aside: u32,
}

/// A step the caller may take on a topic, named, with what it must carry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicActionNeeds {
    pub action: TopicAction,
    pub label: Names,
    /// A `reason` (to drop).
    pub needs_reason: bool,
}

/// An adopted topic.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicView {
    pub id: String,
    /// `YYYY-MM`, the month it was found in.
    pub month: String,
    pub level: TopicLevel,
    pub place: String,
    pub category: String,
    pub owner_unit: Option<String>,
    pub note: Option<String>,
    /// The month's recurrences and the closures they came back after, when it was adopted.
    pub recurrences: i32,
    pub closures: i32,
    pub state: TopicState,
    pub state_label: Names,
    /// Why it was dropped, or how it was resolved.
    pub reason: Option<String>,
    pub cases: Vec<TrackedCase>,
    pub counts: TopicCounts,
    pub version: i32,
    /// RFC 3339.
    pub adopted_at: String,
    pub updated_at: String,
    pub settled_at: Option<String>,
    /// The steps the caller may take on it now.
    pub actions: Vec<TopicAction>,
    pub action_needs: Vec<TopicActionNeeds>,
    /// The signal it was adopted from (`open_topic`); none when adopted from a month's
    /// candidates, whose `recurrences` and `closures` it then counts.
    pub from_signal: Option<String>,
    /// Every signal turned into it, the earliest raised first (a later signal of the same place
    /// and category joins the live topic).
    pub signals: Vec<String>,
}

/// The answer of `GET /api/v1/warnings/topics`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicsOfMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub level: TopicLevel,
    pub category: Option<String>,
    /// How long after a closure a report still counts as the problem coming back.
    pub look_back_days: i64,
    /// The fewest recurrences in the month that make a candidate.
    pub min_recurrences: u32,
    /// Candidates before `limit` was applied.
    pub candidates_counted: usize,
    pub candidates: Vec<TopicCandidate>,
    /// The topics adopted from this month's candidates, in the caller's scope.
    pub topics: Vec<TopicView>,
    /// Whether the caller adopts topics and takes their steps.
    pub can_adopt: bool,
}

/// Adopt a candidate of a month as a topic.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptTopicRequest {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(default = "cell")]
    pub level: TopicLevel,
    /// The place's code at `level` (15, 12 or 9 digits).
    pub place: String,
    pub category: String,
    /// The handling unit that takes it on; required unless a `note` says who does.
    #[serde(default)]
    pub owner_unit: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

fn cell() -> TopicLevel {
    TopicLevel::Cell
}

/// A step on a topic.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicStepRequest {
    pub action: TopicAction,
    /// Why it is dropped (required to drop), or how it was resolved.
    #[serde(default)]
    pub reason: Option<String>,
}

fn refused(refusal: TopicRefusal) -> ApiError {
    refusal_answer(refusal.status(), refusal.code(), refusal.to_string(), refusal.field())
}

fn month_parameter(text: &str, today: NaiveDate) -> ApiResult<Month> {
    let month: Month = text.parse().map_err(|e: String| ApiError::invalid_field("month", e))?;
    if month > Month::of(today) {
        return Err(ApiError::invalid_field("month", format!("{month} has not begun")));
    }
    Ok(month)
}

fn place_parameter(level: TopicLevel, text: &str) -> ApiResult<AreaCode> {
    let code = text.trim();
    if code.len() != level.digits() {
        return Err(ApiError::invalid_field(
            "place",
            format!("a {level} code has {} digits", level.digits()),
        ));
    }
    AreaCode::parse(code).map_err(|e| ApiError::invalid_field("place", e.to_string()))
}

/// The first and last cell codes of an area (every code has 15 digits, so text order holds).
fn grid_range(area: &str) -> (String, String) {
    let pad = 15usize.saturating_sub(area.len());
    (format!("{area}{}", "0".repeat(pad)), format!("{area}{}", "9".repeat(pad)))
}

fn place_of(level: TopicLevel, row: &HistoryRow) -> Option<String> {
    match level {
        TopicLevel::Cell => row.grid_code.map(|code| code.to_string()),
        TopicLevel::Community => row.community_code.clone(),
        TopicLevel::Street => row.street_code.clone(),
    }
}

/// Whether the caller's scope holds the place.
fn holds(who: &Principal, place: &str) -> bool {
    AreaCode::parse(place).is_ok_and(|area| who.can_see_area(area))
}

/// The city's midnight starting `date`, in UTC.
fn midnight(zone: Tz, date: NaiveDate) -> NaiveDateTime {
    zone.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or(date.and_time(chrono::NaiveTime::MIN), |t| t.with_timezone(&Utc).naive_utc())
}

/// The month's candidates among the cases in `range` (of `category`), best first, with each
/// case's tracking number.
async fn candidates(
    state: &AppState,
    month: Month,
    level: TopicLevel,
    range: Option<(String, String)>,
    category: Option<String>,
) -> ApiResult<(Vec<topic::Candidate>, BTreeMap<String, String>)> {
    let zone = state.calendar.settings().timezone;
    let first = month.back(TREND_MONTHS as u32).first_day() - chrono::Days::new(LOOK_BACK_DAYS as u64);
    let (from, to) = (midnight(zone, first), midnight(zone, month.next().first_day()));
    let rows = state.db.run(move |conn| warning_topics::history(conn, range, category, from, to)).await?;
    let local = |at: NaiveDateTime| at.and_utc().with_timezone(&zone).naive_local();
    let mut cases: BTreeMap<CaseId, CaseHistory> = BTreeMap::new();
    let mut tracking: BTreeMap<String, String> = BTreeMap::new();
    for row in &rows {
        let Some(place) = place_of(level, row) else { continue };
        tracking.entry(row.case_id.to_string()).or_insert_with(|| row.tracking_number.clone());
        let case = cases.entry(row.case_id).or_insert_with(|| CaseHistory {
            case_id: row.case_id.to_string(),
            place,
            category: row.category_code.to_string(),
            reported_at: None,
            closed_at: Vec::new(),
            reopened_at: Vec::new(),
        });
        if row.is_report() {
            case.reported_at = Some(local(row.occurred_at));
        }
        if row.is_closure() {
            case.closed_at.push(local(row.occurred_at));
        }
        if row.is_reopening() {
            case.reopened_at.push(local(row.occurred_at));
        }
    }
    let histories: Vec<CaseHistory> = cases.into_values().collect();
    Ok((topic::rank(&topic::recurrences(&histories), month), tracking))
}

fn counts(cases: &[TrackedCase]) -> TopicCounts {
    let count = |f: &dyn Fn(&TrackedCase) -> bool| cases.iter().filter(|c| f(c)).count() as u32;
    let set_aside = |c: &TrackedCase| !c.state.counts_as_open();
    TopicCounts {
        total: cases.len() as u32,
        open: count(&|c| c.state != CaseState::Closed && !set_aside(c)),
        closed: count(&|c| c.state == CaseState::Closed),
        overdue: count(&|c| c.overdue),
        set_aside: count(&set_aside),
    }
}

fn tracked_case(row: TrackedRow, found: &[String], now: NaiveDateTime) -> TrackedCase {
    let finished = row.state == CaseState::Closed || !row.state.counts_as_open();
    // The deadline runs in the states the deadline job may mark overdue from (core's workflow
    // says which); a case sent back to the street office or reopened keeps its old deadline
    // column but is off that clock.
    let on_the_clock = workflow::decide(row.state, Action::MarkOverdue, Role::System).is_ok();
    TrackedCase {
        found_at_adoption: found.contains(&row.id.to_string()),
        overdue: !finished && (row.overdue || (on_the_clock && row.deadline.is_some_and(|d| d < now))),
        reported_at: rfc3339(row.created_at),
        id: row.id.to_string(),
        tracking_number: row.tracking_number,
        state: row.state,
    }
}

/// The topic with its cases as they are now.
async fn view(state: &AppState, who: &Principal, row: TopicRow) -> ApiResult<TopicView> {
    let found = json_list(&row.case_ids);
    let (ids, level, place, category) = (found.clone(), row.level, row.place.clone(), row.category);
    let (since, until) = (row.adopted_at, row.settled_at);
    let topic_id = row.id.clone();
    let (rows, signals) = state
        .db
        .run(move |conn| {
            Ok::<_, StoreError>((
                warning_topics::tracked(conn, &ids, level, &place, category, since, until)?,
                warning_signals::of_topic(conn, &topic_id)?,
            ))
        })
        .await?;
    let now = state.clock.now().naive_utc();
    let cases: Vec<TrackedCase> = rows.into_iter().map(|r| tracked_case(r, &found, now)).collect();
    let topic_state = row.state;
    let actions = topic::available_actions(who.role, topic_state);
    Ok(TopicView {
        action_needs: actions
            .iter()
            .map(|&action| TopicActionNeeds {
                action,
                label: names(action.words()),
                needs_reason: action.needs_reason(),
            })
            .collect(),
        actions,
        counts: counts(&cases),
        cases,
        level: row.level,
        state: topic_state,
        state_label: names(topic_state.words()),
        id: row.id,
        month: row.month,
        place: row.place,
        category: row.category.to_string(),
        owner_unit: row.owner_unit,
        note: row.note,
        recurrences: row.recurrences,
        closures: row.closures,
        reason: row.reason,
        version: row.version,
        adopted_at: rfc3339(row.adopted_at),
        updated_at: rfc3339(row.updated_at),
        settled_at: row.settled_at.map(rfc3339),
        from_signal: row.signal_id,
        signals,
    })
}

fn city_today(state: &AppState) -> NaiveDate {
    state.clock.now().with_timezone(&state.calendar.settings().timezone).date_naive()
}

pub async fn list(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<Vec<(String, String)>>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::WATCHERS)?;
    super::checked_pairs(&query, &PARAMETERS)?;
    let value = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    let today = city_today(&state);
    let month = match value("month") {
        None => Month::of(today),
        Some(text) => month_parameter(text, today)?,
    };
    let level = match value("level") {
        None => TopicLevel::Cell,
        Some(text) => text
            .parse()
            .map_err(|_| ApiError::invalid_field("level", "expected cell, community or street"))?,
    };
    let category = value("category").map(category_parameter).transpose()?;
    let limit = match value("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => {
            text.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                ApiError::invalid_field("limit", format!("expected a whole number from 1 to {MAX_LIMIT}"))
            })?
        }
    };
    let range = super::scope_of(&who)?.grid_range.map(|(first, last)| (first.to_string(), last.to_string()));
    let (mut ranked, tracking) = candidates(&state, month, level, range, category.clone()).await?;
    let candidates_counted = ranked.len();
    ranked.truncate(limit);
    let month_text = month.to_string();
    let (live, of_month) = state
        .db
        .run(move |conn| {
            Ok::<_, StoreError>((
                warning_topics::live_at(conn, level)?,
                warning_topics::of_month(conn, &month_text)?,
            ))
        })
        .await?;
    let can_adopt = topic::acts(who.role);
    let candidates = ranked
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let same = |t: &&TopicRow| t.place == c.place && t.category.to_string() == c.category;
            let topic =
                live.iter().find(same).or_else(|| of_month.iter().filter(|t| t.level == level).find(same));
            let case = |id: &String, came_back: bool| CandidateCase {
                id: id.clone(),
                tracking_number: tracking.get(id).cloned().unwrap_or_default(),
                came_back,
            };
            let cases = c
                .returned
                .iter()
                .map(|id| case(id, true))
                .chain(c.closed_before.iter().map(|id| case(id, false)))
                .collect();
            TopicCandidate {
                rank: i as u32 + 1,
                previous_months: c
                    .previous
                    .iter()
                    .enumerate()
                    .map(|(back, n)| MonthCount {
                        month: month.back((TREND_MONTHS - back) as u32).to_string(),
                        recurrences: *n,
                    })
                    .collect(),
                previous_mean: round(c.previous_mean),
                trend: round(c.trend),
                direction: c.direction,
                recurrences: c.recurrences,
                closures_came_back_after: c.closures,
                cases,
                topic_id: topic.map(|t| t.id.clone()),
                topic_state: topic.map(|t| t.state),
                can_adopt: can_adopt && topic.is_none_or(|t| !t.state.is_live()),
                place: c.place,
                category: c.category,
            }
        })
        .collect();
    let mut topics = Vec::new();
    for row in of_month.into_iter().filter(|t| holds(&who, &t.place)) {
        topics.push(view(&state, &who, row).await?);
    }
    Ok(HttpResponse::Ok().json(TopicsOfMonth {
        month: month.to_string(),
        level,
        category,
        look_back_days: LOOK_BACK_DAYS,
        min_recurrences: MIN_RECURRENCES,
        candidates_counted,
        candidates,
        topics,
        can_adopt,
    }))
}

fn round(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

pub async fn adopt(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<AdoptTopicRequest>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::WATCHERS)?;
    let body = body.into_inner();
    let month = month_parameter(&body.month, city_today(&state))?;
    let place = place_parameter(body.level, &body.place)?.to_string();
    let category = category_parameter(&body.category)?;
    if !who
        .can_see_area(AreaCode::parse(&place).map_err(|e| ApiError::invalid_field("place", e.to_string()))?)
    {
        return Err(ApiError::not_found("topic candidate"));
    }
    topic::check_adoption(who.role, body.owner_unit.as_deref(), body.note.as_deref()).map_err(refused)?;
    let trimmed = |text: Option<String>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let owner_unit = trimmed(body.owner_unit);
    active_owner(&state, owner_unit.as_deref()).await?;
    let (ranked, _) =
        candidates(&state, month, body.level, Some(grid_range(&place)), Some(category.clone())).await?;
    let Some(found) = ranked.into_iter().find(|c| c.place == place && c.category == category) else {
        return Err(ApiError::new(
            ErrorKind::Unprocessable,
            "not_a_candidate",
            format!(
                "the place's reports of this category did not come back after closure at least \
                 {MIN_RECURRENCES} times in {month}"
            ),
        )
        .with_field("place"));
    };
    let now = state.clock.now().naive_utc();
    let case_ids: Vec<&String> = found.returned.iter().chain(&found.closed_before).collect();
    let row = TopicRow {
        id: uuid::Uuid::now_v7().to_string(),
        month: month.to_string(),
        level: body.level,
        place,
        category: CategoryCode::parse(&category)
            .map_err(|e| ApiError::invalid_field("category", e.to_string()))?,
        owner_unit,
        note: trimmed(body.note),
        case_ids: serde_json::to_string(&case_ids).unwrap_or_else(|_| "[]".to_owned()),
        recurrences: i32::try_from(found.recurrences).unwrap_or(i32::MAX),
        closures: i32::try_from(found.closures).unwrap_or(i32::MAX),
        state: TopicState::Adopted,
        reason: None,
        version: 1,
        adopted_by: who.user_id.clone(),
        adopted_at: now,
        updated_at: now,
        settled_by: None,
        settled_at: None,
        signal_id: None,
    };
    let (status, row) = match state.db.run(move |conn| warning_topics::adopt(conn, &row)).await? {
        Adopted::New(row) => (StatusCode::CREATED, row),
        Adopted::Existing(row) => (StatusCode::OK, row),
    };
    let version = row.version;
    let view = view(&state, &who, row).await?;
    Ok(HttpResponse::build(status).insert_header((header::ETAG, etag(version))).json(view))
}

/// The topic `id` if the caller may see it; 404 otherwise, saying nothing of its existence.
async fn visible(state: &AppState, who: &Principal, id: &str) -> ApiResult<TopicRow> {
    let id = id.to_owned();
    let row = state.db.run(move |conn| warning_topics::find(conn, &id)).await?;
    row.filter(|row| holds(who, &row.place)).ok_or_else(|| ApiError::not_found("topic"))
}

pub async fn get(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::WATCHERS)?;
    let row = visible(&state, &who, &id).await?;
    let version = row.version;
    let view = view(&state, &who, row).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(view))
}

pub async fn act(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<TopicStepRequest>,
) -> ApiResult<HttpResponse> {
    who.require_role(super::WATCHERS)?;
    let expected = if_match(&req)?;
    let row = visible(&state, &who, &id).await?;
    let Some(expected) = expected else {
        return Ok(precondition_required("topic", "/api/v1/warnings/topics/{id}"));
    };
    let body = body.into_inner();
    let next = topic::decide(row.state, body.action, who.role, body.reason.as_deref()).map_err(refused)?;
    if row.version != expected {
        return Ok(stale("topic", row.version));
    }
    let step = TopicStep {
        state: next,
        reason: body.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned),
        actor: who.user_id.clone(),
        at: state.clock.now().naive_utc(),
    };
    let topic_id = row.id.clone();
    let stored = state
        .db
        .run(move |conn| {
            let done = warning_topics::act(conn, &topic_id, expected, &step)?;
            Ok::<_, StoreError>((done, warning_topics::find(conn, &topic_id)?))
        })
        .await?;
    match stored {
        (true, Some(row)) => {
            let version = row.version;
            let view = view(&state, &who, row).await?;
            Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(view))
        }
        (_, Some(row)) => Ok(stale("topic", row.version)),
        (_, None) => Err(ApiError::not_found("topic")),
    }
}
