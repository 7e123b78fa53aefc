//! `GET /api/v1/cases/{id}`: one case, in the view the caller's role allows.
//!
//! - `reporter`: the account that reported it sees everything it sent.
//! - `staff`: callers whose scope holds the case (by grid, street, handling unit, or city)
//!   see the details; the reporter's account id only for admins and dispatchers, and never on
//!   an anonymous report.
//! - `public`: anyone else (and no token at all) sees what Open311 shows
//!   ([`crate::public_view`]): category, state, place (to ~100 m), the description only once
//!   the report was reviewed, never the reporter or the photos.
//!
//! Every answer carries `ETag: "<version>"`, the value workflow steps send in `If-Match`
//! ([`actions`]). The case's audit trail is [`timeline`]; its printable sheet [`sheet`]; an
//! inspector's work list [`worklist`]; candidate duplicates for a merge [`duplicates`].

pub mod actions;
pub mod desk;
pub mod duplicates;
pub mod export;
pub mod joint;
pub mod list;
pub mod sheet;
pub mod timeline;
pub mod verifiers;
pub mod worklist;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use gridline_core::codes::CaseId;
use gridline_core::protocol::{ActionNeeds, CasePosition, CaseView, CaseViewKind, Placement, ReporterRef};
use gridline_core::workflow::{Action, Role};

use crate::api::reports::rfc3339;
use crate::app::AppState;
use crate::auth::{MaybePrincipal, Principal};
pub use crate::cases::facts::visibility;
use crate::error::{ApiError, ApiResult};
use crate::store::cases::{self, CaseRow, FullCase};
use crate::store::{DbConnection, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Reporter,
    Staff,
    Public,
}

pub(crate) fn view_for(who: Option<&Principal>, case: &CaseRow) -> View {
    let Some(who) = who else { return View::Public };
    if case.reporter_id.as_deref() == Some(who.user_id.as_str()) {
        return View::Reporter;
    }
    if who.role != Role::Citizen && who.can_see_case(&visibility(case)) { View::Staff } else { View::Public }
}

/// Whether a staff viewer may learn who reported `case`: only the street office, the district
/// and the city (dispatchers, district admins, admins), and never for an anonymous report.
/// Handling units and inspectors work the problem, not the person.
pub(crate) fn may_see_reporter(case: &CaseRow, who: Option<&Principal>) -> bool {
    !case.anonymous
        && who.is_some_and(|w| matches!(w.role, Role::Admin | Role::DistrictAdmin | Role::Dispatcher))
}

/// The case's body in `view`; `now` (the server's clock) decides which actions are available.
pub(crate) fn render(
    full: &FullCase,
    view: View,
    who: Option<&Principal>,
    photo_ids: Vec<String>,
    now: DateTime<Utc>,
) -> CaseView {
    let case = &full.row;
    let workflow = &full.workflow;
    let mut body = CaseView {
        id: case.id.to_string(),
        tracking_number: case.tracking_number.clone(),
        state: case.state,
        category: case.category_code.to_string(),
        placement: Placement::from(case),
        description: Some(case.description.clone()),
        handling_time_limit: case.handling_time_limit.clone(),
        created_at: rfc3339(case.created_at),
        updated_at: rfc3339(case.updated_at),
        version: case.version,
        handling_unit: case.handling_unit.clone(),
        deadline: workflow.deadline.map(rfc3339),
        overdue: workflow.overdue,
        merged_into: workflow.merged_into.map(|id| id.to_string()),
        rating: workflow.rating,
        view: CaseViewKind::Public,
        position: CasePosition { lat: case.lat, lon: case.lon, accuracy_m: None },
        captured_at: None,
        anonymous: None,
        channel: None,
        urgency: None,
        geotag: None,
        answers: None,
        photo_ids: None,
        available_actions: None,
        action_needs: None,
        reporter: None,
        dispatch_deadline: None,
        confirm_requested_at: None,
        command_limit_minutes: None,
        default_helpers: None,
    };
    if view != View::Staff {
        // The case a duplicate was merged into is another reporter's: only staff see its id (a
        // reporter follows it by tracking number through `/api/v1/reports/mine`).
        body.merged_into = None;
    }
    if view == View::Public {
        let public = crate::public_view::public_view(case);
        body.description = public.description.map(str::to_owned);
        body.position = CasePosition { lat: public.lat, lon: public.lon, accuracy_m: None };
        return body;
    }
    body.view = if view == View::Reporter { CaseViewKind::Reporter } else { CaseViewKind::Staff };
    body.position.accuracy_m = case.accuracy_m;
    body.captured_at = case.captured_at.map(rfc3339);
    body.anonymous = Some(case.anonymous);
    body.channel = Some(case.channel);
    body.geotag = Some(case.geotag_verdict.clone());
    body.answers = Some(serde_json::from_str(&case.answers).unwrap_or(serde_json::Value::Null));
    body.photo_ids = Some(photo_ids);
    body.available_actions = who.map(|who| crate::cases::facts::available_actions(full, who, now));
    body.action_needs = body.available_actions.as_ref().map(|actions| {
        actions
            .iter()
            .map(|&action| ActionNeeds {
                action,
                label: gridline_core::workflow::words::event_kind_names(action.as_str()),
                needs: gridline_core::workflow::needs(action),
            })
            .collect()
    });
    if view == View::Staff {
        body.confirm_requested_at = workflow.confirm_requested_at.map(rfc3339);
        body.urgency = Some(case.urgency);
    }
    if view == View::Staff && may_see_reporter(case, who) {
        body.reporter = Some(ReporterRef {
            id: case.reporter_id.clone(),
            role: case.reporter_role.as_deref().and_then(|role| role.parse().ok()),
        });
    }
    body
}

/// Load the case named by a path id or tracking number together with whatever `also` reads for
/// it, in one trip to the database. Text that is neither is simply "no such case".
pub(crate) async fn load_case<T: Send + 'static>(
    state: &AppState,
    id_or_number: &str,
    also: fn(&mut DbConnection, CaseId) -> StoreResult<T>,
) -> ApiResult<(FullCase, T)> {
    load_case_named(state, id_or_number, crate::store::tracking::resolve, also).await
}

/// [`load_case`] with the way the name is read: `resolve` finds the case's id for the text
/// (by id or number, or by tracking number alone for the public tracking page).
pub(crate) async fn load_case_named<T: Send + 'static>(
    state: &AppState,
    name: &str,
    resolve: fn(&mut DbConnection, &str) -> StoreResult<Option<CaseId>>,
    also: fn(&mut DbConnection, CaseId) -> StoreResult<T>,
) -> ApiResult<(FullCase, T)> {
    let named = name.to_owned();
    let found = state
        .db
        .run(move |conn| {
            let Some(id) = resolve(conn, &named)? else { return Ok(None) };
            let Some(case) = cases::find_full(conn, id)? else { return Ok(None) };
            Ok(Some((case, also(conn, id)?)))
        })
        .await?;
    found.ok_or_else(|| ApiError::not_found("case"))
}

pub async fn get(
    state: web::Data<AppState>,
    who: MaybePrincipal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (case, (photo_ids, joint, command, duty)) = load_case(&state, &id, |conn, id| {
        let command = crate::cases::command::command_facts(conn, id)?;
        let duty = match &command {
            Some((terms, _)) => crate::cases::command::joint_duty(conn, terms)?,
            None => None,
        };
        Ok((cases::photo_ids(conn, id)?, crate::store::joint::facts_of(conn, id)?, command, duty))
    })
    .await?;
    let view = view_for(who.0.as_ref(), &case.row);
    let now = state.clock.now();
    let mut body = render(&case, view, who.0.as_ref(), photo_ids, now);
    if view == View::Staff {
        body.command_limit_minutes =
            command.as_ref().and_then(|(terms, _)| u32::try_from(terms.handle_minutes).ok());
    }
    // The steps offered count the case's helper parts and disputes (joint handling).
    if let (Some(actions), Some(who)) = (body.available_actions.as_mut(), who.0.as_ref()) {
        *actions = crate::cases::joint::available_actions(&case, who, now, &joint, &state.calendar);
    }
    // Whoever may dispatch sees the deadline a dispatch now would set, before choosing to.
    let may_dispatch =
        body.available_actions.as_ref().is_some_and(|actions| actions.contains(&Action::Dispatch));
    if may_dispatch {
        let deadline = crate::cases::facts::dispatch_deadline(&case, command.as_ref(), now, &state.calendar)?
            .map_err(|refusal| {
                ApiError::new(crate::error::ErrorKind::Unprocessable, refusal.code(), refusal.to_string())
            })?;
        body.dispatch_deadline = deadline.map(|d| rfc3339(d.naive_utc()));
        let helpers = crate::cases::facts::default_helpers(&case, command.as_ref(), duty.as_ref(), now)?;
        body.default_helpers = (!helpers.is_empty()).then_some(helpers);
    }
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, actions::etag(case.row.version)))
        .json(body))
}
