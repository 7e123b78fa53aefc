//! `GET /api/v1/public/track/{tracking number}`: the case a citizen follows by its number, for
//! the tracking page. The case comes in the view the caller may see (the public view without a
//! token; its reporter, signed in on the phone that sent it, sees their own report and the
//! steps core offers them, such as `rate` once it is closed), with the public timeline: what
//! happened and when, never who on the staff did it (its reporter also gets the after-photos
//! of the handling). A number of the wrong shape is simply not found.

use actix_web::{HttpResponse, web};
use gridline_core::protocol::TrackedCase;

use crate::api::cases::timeline::public_entry_for;
use crate::api::cases::{load_case_named, render, view_for};
use crate::app::AppState;
use crate::auth::MaybePrincipal;
use crate::error::{ApiError, ApiResult};
use crate::store::{cases, events, tracking};

pub async fn track(
    state: web::Data<AppState>,
    who: MaybePrincipal,
    number: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let number = tracking::normalized(&number).ok_or_else(|| ApiError::not_found("case"))?;
    // By tracking number alone: a case id in its place is not found, as any other text is.
    let (case, (photo_ids, events)) = load_case_named(&state, &number, tracking::case_id, |conn, id| {
        Ok((cases::photo_ids(conn, id)?, events::for_case(conn, id)?))
    })
    .await?;
    let view = view_for(who.0.as_ref(), &case.row);
    let is_reporter =
        who.0.as_ref().is_some_and(|w| Some(w.user_id.as_str()) == case.row.reporter_id.as_deref());
    let body = render(&case, view, who.0.as_ref(), photo_ids, state.clock.now());
    let timeline = events.iter().map(|e| public_entry_for(e, is_reporter)).collect();
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(TrackedCase { case: body, timeline }))
}

#[cfg(test)]
mod tests {
    use crate::store::tracking::normalized;

    #[test]
    fn numbers_are_trimmed_and_upper_cased_and_odd_ones_refused() {
        assert_eq!(normalized(" gl-261129-7kq2mx ").as_deref(), Some("GL-261129-7KQ2MX"));
        assert_eq!(normalized(""), None);
        assert_eq!(normalized("GL/261129"), None);
        assert_eq!(normalized(&"A".repeat(33)), None);
    }
}
