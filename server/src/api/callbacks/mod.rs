//! `GET /api/v1/callbacks`: the call-backs (回访) of an area.
//!
//! - Without `done`: the closed cases whose reporter is still to be called back, oldest
//!   closing first, with the reporter's phone number, for the hotline operators (and the street
//!   office and the city) whose scope holds them. The operator records the answer with the
//!   workflow action `call_back` (`satisfaction`: satisfied, basically_satisfied or
//!   dissatisfied; `note`).
//! - With `done=true`: the call-backs made, newest first, with the answer; `satisfaction=
//!   dissatisfied` is the street office's list to decide on when the city leaves a dissatisfied
//!   call-back's rework to it (`GRIDLINE_CALLBACK_REWORK=dispatcher`): reopen the case, or not.
//!
//! The number of a caller who asked the hotline to keep it confidential is shown to operators
//! only.
//!
//! A task exists for a closing of a citizen's own, not anonymous report from an account with
//! a phone number (an operator cannot call anyone else).

use actix_web::{HttpResponse, web};
use gridline_core::workflow::Role;
use gridline_core::workflow::callback::Satisfaction;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::store::callbacks::{self, TaskAndCase};
use crate::store::schema::users;

/// Most tasks one answer lists.
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackQuery {
    #[serde(default)]
    pub done: bool,
    pub satisfaction: Option<Satisfaction>,
    pub limit: Option<i64>,
}

/// One call-back, due or made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackTask {
    pub case_id: String,
    pub tracking_number: String,
    pub category: String,
    pub description: String,
    /// The case's state now (a dissatisfied call-back may have sent it back for rework).
    pub state: String,
    pub handling_unit: Option<String>,
    #[schema(format = DateTime)]
    pub closed_at: String,
    /// The number to call (E.164); absent when it no longer opens or was removed.
    pub reporter_phone: Option<String>,
    #[schema(value_type = Option<Satisfaction>)]
    pub satisfaction: Option<String>,
    /// The reporter's answer to "is the problem solved?" (是否解决), when asked.
    pub resolved: Option<bool>,
    #[schema(format = DateTime)]
    pub called_back_at: Option<String>,
    /// The case's version, for the `call_back` step's `If-Match`.
    pub version: i32,
}

/// `GET /api/v1/callbacks`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackList {
    pub done: bool,
    pub tasks: Vec<CallbackTask>,
}

pub async fn list(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<CallbackQuery>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Operator, Role::Dispatcher, Role::Admin])?;
    let CallbackQuery { done, satisfaction, limit } = query.into_inner();
    if satisfaction.is_some() && !done {
        return Err(ApiError::invalid_field(
            "satisfaction",
            "only the call-backs made (done=true) have an answer",
        ));
    }
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("expected 1 to {MAX_LIMIT}")));
    }
    let scope = who.case_filter();
    let phones = state.auth.phones.clone();
    let role = who.role;
    let tasks = state
        .db
        .run(move |conn| {
            use diesel::prelude::*;
            let found = if done {
                callbacks::done_in_scope(conn, &scope, satisfaction.map(|s| s.as_str()), limit)?
            } else {
                callbacks::open_in_scope(conn, &scope, limit)?
            };
            let mut tasks = Vec::with_capacity(found.len());
            for (task, case) in found {
                let confidential = crate::store::hotline_calls::confidential(conn, case.row.id)?;
                let sealed: Option<String> = match &case.row.reporter_id {
                    Some(id) if crate::api::hotline::may_show_caller(role, confidential) => {
                        users::table.find(id).select(users::phone_sealed).first(conn).optional()?.flatten()
                    }
                    _ => None,
                };
                let phone = sealed.and_then(|s| phones.open(&s).ok()).map(|p| p.as_str().to_owned());
                tasks.push(answer((task, case), phone));
            }
            Ok(tasks)
        })
        .await?;
    Ok(HttpResponse::Ok().json(CallbackList { done, tasks }))
}

fn answer((task, case): TaskAndCase, reporter_phone: Option<String>) -> CallbackTask {
    let row = case.row;
    CallbackTask {
        case_id: row.id.to_string(),
        tracking_number: row.tracking_number,
        category: row.category_code.to_string(),
        description: row.description,
        state: row.state.as_str().to_owned(),
        handling_unit: row.handling_unit,
        closed_at: rfc3339(task.closed_at),
        reporter_phone,
        satisfaction: task.satisfaction,
        resolved: task.resolved,
        called_back_at: task.called_back_at.map(rfc3339),
        version: row.version,
    }
}
