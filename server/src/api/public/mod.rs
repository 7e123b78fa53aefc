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

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use gridline_core::photo::{DEFAULT_MAX_EDGE, DEFAULT_QUALITY};
use gridline_core::taxonomy::Names;
use gridline_core::workflow::words::RATINGS;
use gridline_core::workflow::{CaseState, Channel, Urgency};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use gridline_core::limits::{MAX_DESCRIPTION_CHARS, MAX_REPORT_PHOTOS, MAX_STEP_PHOTOS, MAX_STEP_TEXT_CHARS};

/// Words in both languages, as a category's names are.
fn words(zh: &str, en: &str) -> Names {
    Names { zh: zh.to_owned(), en: en.to_owned() }
}

/// The limits of a report and of a workflow step.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormLimits {
    pub description_max_chars: usize,
    pub photos_max: usize,
    pub photo_max_bytes: usize,
    /// The longer edge a photo is resized to before it is sent.
    pub photo_max_edge_px: u32,
    /// The JPEG quality a photo is encoded at.
    pub photo_quality: u8,
    pub step_text_max_chars: usize,
    pub step_photos_max: usize,
}

/// A case state in a citizen's words: what it is, and what happens next.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateWords {
    pub label: Names,
    pub next: Names,
}

/// An urgency a case may have, in words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UrgencyWords {
    pub urgency: String,
    pub label: Names,
}

/// The rating's range, both ends included.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingRange {
    pub min: u8,
    pub max: u8,
}

/// `GET /api/v1/public/report-form`'s answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportForm {
    pub limits: FormLimits,
    /// Every case state, in workflow order.
    pub state_order: Vec<String>,
    /// The ways a case can come in.
    pub channels: Vec<String>,
    /// Least urgent first.
    pub urgencies: Vec<UrgencyWords>,
    pub rating: RatingRange,
    /// Each state (by its wire name) in a citizen's words.
    pub states: BTreeMap<String, StateWords>,
}

/// The form's rules; the same for every caller, so a browser may keep them a minute.
pub async fn report_form(state: web::Data<AppState>) -> HttpResponse {
    let states = CaseState::ALL
        .iter()
        .map(|case_state| {
            let w = case_state.citizen_words();
            let words =
                StateWords { label: words(w.label_zh, w.label_en), next: words(w.next_zh, w.next_en) };
            (case_state.as_str().to_owned(), words)
        })
        .collect();
    let body = ReportForm {
        limits: FormLimits {
            description_max_chars: MAX_DESCRIPTION_CHARS,
            photos_max: MAX_REPORT_PHOTOS,
            photo_max_bytes: state.config.settings.photo_limit_bytes,
            photo_max_edge_px: DEFAULT_MAX_EDGE,
            photo_quality: DEFAULT_QUALITY,
            step_text_max_chars: MAX_STEP_TEXT_CHARS,
            step_photos_max: MAX_STEP_PHOTOS,
        },
        state_order: CaseState::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
        channels: Channel::ALL.iter().map(|c| c.as_str().to_owned()).collect(),
        urgencies: Urgency::ALL
            .iter()
            .map(|u| {
                let (zh, en) = u.words();
                UrgencyWords { urgency: u.as_str().to_owned(), label: words(zh, en) }
            })
            .collect(),
        rating: RatingRange { min: *RATINGS.start(), max: *RATINGS.end() },
        states,
    };
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=60")).json(body)
}
