//! `/api/v1/public`: what the citizen web page (`/report`, `/track/{tracking number}`, see
//! [`crate::web`]) asks before anyone signs in, so the page copies none of the rules it shows:
//!
//! - `GET /report-form` ([`report_form`]): the limits of a report (description length, photo
//!   count and bytes, the edge a photo is resized to) and of a workflow step (reason or note
//!   length, photo count), every state of a case in workflow order and in a citizen's words
//!   (zh, en), the range of the rating, the channels a case can come in by and its urgencies in
//!   words (zh, en), all read from core and the server's settings. The staff dashboard reads
//!   the same answer, so neither page copies a limit, the state list, the channel list or the
//!   urgencies' words.
//! - `GET /places` ([`places`]): the way to a place without a map (street → community → cell),
//!   and `GET /cells` the outlines of the cells around a point for the page's small map.
//! - `GET /nearby` ([`nearby`]): the open reports of a category around a point, for the step
//!   before sending where the citizen follows a report already made instead of sending another.
//! - `GET /track/{tracking number}` ([`track`]): a case by the number its reporter was given,
//!   in the view the caller may see, with its public timeline.
//!
//! Categories and their questions are `GET /api/v1/categories`; routing a point is
//! `GET /api/v1/grids/route`.

pub mod nearby;
pub mod places;
pub mod track;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use gridline_core::photo::{DEFAULT_MAX_EDGE, DEFAULT_QUALITY};
use gridline_core::workflow::words::RATINGS;
use gridline_core::workflow::{CaseState, Channel, Urgency};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use gridline_core::limits::{MAX_DESCRIPTION_CHARS, MAX_REPORT_PHOTOS, MAX_STEP_PHOTOS, MAX_STEP_TEXT_CHARS};

/// The form's rules; the same for every caller, so a browser may keep them a minute.
pub async fn report_form(state: web::Data<AppState>) -> HttpResponse {
    let mut states = Map::new();
    for case_state in CaseState::ALL {
        let w = case_state.citizen_words();
        states.insert(
            case_state.as_str().to_owned(),
            json!({
                "label": { "zh": w.label_zh, "en": w.label_en },
                "next": { "zh": w.next_zh, "en": w.next_en },
            }),
        );
    }
    let body = json!({
        "limits": {
            "description_max_chars": MAX_DESCRIPTION_CHARS,
            "photos_max": MAX_REPORT_PHOTOS,
            "photo_max_bytes": state.config.settings.photo_limit_bytes,
            "photo_max_edge_px": DEFAULT_MAX_EDGE,
            "photo_quality": DEFAULT_QUALITY,
            "step_text_max_chars": MAX_STEP_TEXT_CHARS,
            "step_photos_max": MAX_STEP_PHOTOS,
        },
        "state_order": CaseState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "channels": Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "urgencies": Urgency::ALL
            .iter()
            .map(|u| {
                let (zh, en) = u.words();
                json!({ "urgency": u.as_str(), "label": { "zh": zh, "en": en } })
            })
            .collect::<Vec<_>>(),
        "rating": { "min": RATINGS.start(), "max": RATINGS.end() },
        "states": Value::Object(states),
    });
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=60")).json(body)
}
