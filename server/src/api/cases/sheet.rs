//! `GET /api/v1/cases/{id}/sheet`: the case sheet a street office files on paper (案件登记表).
//!
//! One self-contained HTML page with print styles: the case's number, category, place,
//! description and answers, its state, handling unit and deadline, every photo (the report's
//! and the steps', as thumbnails inlined as `data:` URIs, so the page needs no token to show
//! them and can be saved with the records), the staff timeline with who took each step, and
//! lines for the signatures of whoever registered, handled and verified it. No script runs
//! in it (`Content-Security-Policy: default-src 'none'`).
//!
//! Staff whose scope holds the case may print it (the same rule as the staff view of the case
//! and its timeline); anyone else gets 403 `out_of_scope`, and a missing case 404.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use gridline_core::workflow::Role;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;

use crate::api::reports::rfc3339;
use crate::app::AppState;
use crate::auth::Principal;
use crate::cases::facts::in_scope;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::html::escape;
use crate::store::events::{self, EventRow};
use crate::store::photos::{self, PhotoRow};

/// At most this many photos are inlined: a case with more names the rest by id, so one sheet
/// stays a page or two and its size bounded.
const MAX_PHOTOS: usize = 12;

/// The events, names and photos the page shows, read in one database call.
struct Loaded {
    events: Vec<EventRow>,
    names: HashMap<String, String>,
    /// The report's photos, then each step's, in the order they came; none twice.
    photos: Vec<PhotoRow>,
}

pub async fn sheet(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (case, loaded) = super::load_case(&state, &id, |conn, id| {
        let events = events::for_case(conn, id)?;
        let actors: Vec<&str> = events.iter().filter_map(|e| e.actor_id.as_deref()).collect();
        let names = crate::store::actors::staff_names(conn, &actors)?;
        let mut ids = crate::store::cases::photo_ids(conn, id)?;
        for event in &events {
            for photo in serde_json::from_str::<Vec<String>>(&event.photo_ids).unwrap_or_default() {
                if !ids.contains(&photo) {
                    ids.push(photo);
                }
            }
        }
        let mut photos = Vec::new();
        for photo in ids {
            if let Some(row) = photos::find(conn, &photo)? {
                photos.push(row);
            }
        }
        Ok(Loaded { events, names, photos })
    })
    .await?;
    if who.role == Role::Citizen || !in_scope(&who, &case) {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "out_of_scope",
            "only staff whose area or unit holds the case may print its sheet",
        ));
    }
    // Through the server's category cache, as every other reader of a category.
    let (code, cache) = (case.row.category_code, state.categories.clone());
    let category = state.db.run(move |conn| cache.find(conn, code)).await?;
    let mut images = Vec::new();
    for photo in loaded.photos.iter().take(MAX_PHOTOS) {
        let bytes = state
            .photos
            .get(&ObjectPath::from(photo.thumbnail_key.as_str()))
            .await
            .map_err(ApiError::unavailable)?
            .bytes()
            .await
            .map_err(ApiError::unavailable)?;
        images.push((photo.id.clone(), base64::engine::general_purpose::STANDARD.encode(&bytes)));
    }
    let html = page(&case, category.as_deref(), &loaded, &images, state.clock.now());
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(html))
}

fn page(
    case: &crate::store::cases::FullCase,
    category: Option<&gridline_core::taxonomy::Category>,
    loaded: &Loaded,
    images: &[(String, String)],
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let row = &case.row;
    let or_dash = |value: Option<String>| value.map(|v| escape(&v)).unwrap_or_else(|| "—".to_owned());
    let category = match category {
        Some(c) => format!(
            "{} {} / {}",
            escape(&row.category_code.to_string()),
            escape(&c.names.zh),
            escape(&c.names.en)
        ),
        None => escape(&row.category_code.to_string()),
    };
    let place = format!(
        "{} · {:.6}, {:.6}",
        or_dash(row.grid_code.map(|g| g.to_string()).or_else(|| row.street_code.clone())),
        row.lat,
        row.lon
    );
    let answers = serde_json::from_str::<serde_json::Value>(&row.answers)
        .ok()
        .and_then(|a| a.as_object().cloned())
        .filter(|a| !a.is_empty())
        .map(|a| {
            // A text answer as it was typed; a number or a list as JSON.
            let shown = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            a.iter()
                .map(|(k, v)| format!("{}: {}", escape(k), escape(&shown(v))))
                .collect::<Vec<_>>()
                .join("; ")
        });
    let facts = [
        ("案件编号 Tracking number", escape(&row.tracking_number)),
        ("类别 Category", category),
        ("位置 Place", place),
        ("描述 Description", escape(&row.description)),
        ("补充信息 Answers", answers.unwrap_or_else(|| "—".to_owned())),
        ("状态 State", {
            let words = row.state.citizen_words();
            escape(&format!("{} {}", words.label_zh, words.label_en))
        }),
        ("处置单位 Handling unit", or_dash(row.handling_unit.clone())),
        ("处置时限 Deadline", or_dash(case.workflow.deadline.map(rfc3339))),
        ("超期 Overdue", if case.workflow.overdue { "是 yes".to_owned() } else { "否 no".to_owned() }),
        ("上报时间 Reported", escape(&rfc3339(row.created_at))),
    ];
    let facts: String = facts
        .iter()
        .map(|(label, value)| format!("<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>\n"))
        .collect();
    let timeline: String = loaded
        .events
        .iter()
        .map(|event| {
            let who = event
                .actor_id
                .as_ref()
                .and_then(|id| loaded.names.get(id))
                .cloned()
                .or_else(|| event.actor_role.clone())
                .unwrap_or_default();
            let said = [event.reason.as_deref(), event.note.as_deref()]
                .into_iter()
                .flatten()
                .map(escape)
                .collect::<Vec<_>>()
                .join(" · ");
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&rfc3339(event.occurred_at)),
                {
                    let names = gridline_core::workflow::words::event_kind_names(&event.kind);
                    escape(&format!("{} {}", names.zh, names.en))
                },
                escape(&who),
                said
            )
        })
        .collect();
    let photos: String = images
        .iter()
        .map(|(id, data)| {
            format!(
                "<figure><img src=\"data:image/jpeg;base64,{data}\" alt=\"photo {id}\"><figcaption>{id}</figcaption></figure>\n",
                id = escape(id)
            )
        })
        .collect();
    let photos = if photos.is_empty() { "<p>无 None</p>".to_owned() } else { photos };
    let more = loaded.photos.len().saturating_sub(images.len());
    let more =
        if more > 0 { format!("<p>另有 {more} 张照片 {more} more photos</p>") } else { String::new() };
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>案件登记表 Case sheet {number}</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#111}}\
         table{{border-collapse:collapse;width:100%;margin-bottom:1em}}\
         th,td{{border:1px solid #444;padding:.3em .6em;text-align:left;vertical-align:top}}\
         figure{{display:inline-block;margin:0 1em 1em 0}}img{{max-width:12em;max-height:9em}}\
         figcaption{{font-size:.7em;color:#444}}\
         .signatures td{{height:3.5em;width:33%}}\
         @media print{{body{{margin:0}}h2{{break-after:avoid}}table,figure{{break-inside:avoid}}}}</style>\
         </head>\n<body>\
         <h1>案件登记表 Case sheet</h1>\n\
         <table>\n{facts}</table>\n\
         <h2>照片 Photos</h2>\n<div class=\"photos\">{photos}</div>{more}\n\
         <h2>处置过程 Timeline</h2>\n<table>\n\
         <thead><tr><th>时间 When</th><th>环节 Step</th><th>经办人 By</th><th>说明 Reason / note</th></tr></thead>\n\
         <tbody>{timeline}</tbody></table>\n\
         <h2>签字 Signatures</h2>\n<table class=\"signatures\">\
         <tr><th>登记人 Registered by</th><th>处置人 Handled by</th><th>核查人 Verified by</th></tr>\
         <tr><td></td><td></td><td></td></tr>\
         <tr><td>日期 Date</td><td>日期 Date</td><td>日期 Date</td></tr></table>\n\
         <p>打印于 Printed {printed}</p></body></html>\n",
        number = escape(&row.tracking_number),
        printed = escape(&rfc3339(now.naive_utc())),
    )
}
