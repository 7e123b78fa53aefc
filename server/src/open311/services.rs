//! `discovery`, `services` and `services/{code}`: what a client needs before it submits. A
//! service is a category (its code is the `service_code`); its definition lists the category's
//! extra questions as attributes. Names are in English, or in Chinese with `locale=zh`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use gridline_core::codes::CategoryCode;
use gridline_core::taxonomy::{Category, MAX_STRING_ANSWER, MAX_TEXT_ANSWER, Names, QuestionType, Taxonomy};

use super::render::{Fault, Format, Node, respond, split_format};
use crate::app::AppState;
use crate::store::categories;

/// When the service list's shape last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-11-29T00:00:00Z";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// The shipped taxonomy: its major classes name the service groups and its units the agencies.
/// Categories themselves come from the database (a city edits them).
fn shipped() -> Option<&'static Taxonomy> {
    categories::shipped().ok()
}

/// The language of names in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Zh,
}

impl Locale {
    pub fn of(req: &HttpRequest) -> Locale {
        let zh =
            req.query_string().split('&').any(|pair| pair == "locale=zh" || pair.starts_with("locale=zh-"));
        if zh { Locale::Zh } else { Locale::En }
    }

    pub fn name(self, names: &Names) -> String {
        match self {
            Locale::En => names.en.clone(),
            Locale::Zh => names.zh.clone(),
        }
    }
}

/// The name of a handling unit (`agency_responsible`); its code when the unit is not known.
pub fn unit_name(code: &str, locale: Locale) -> String {
    shipped().and_then(|t| t.unit(code)).map_or_else(|| code.to_owned(), |u| locale.name(&u.names))
}

/// This server's Open311 base URL, from its public origin ([`crate::public_url`]).
pub fn base_url(req: &HttpRequest) -> String {
    format!("{}/open311/v2", crate::public_url::origin(req))
}

fn format_of(file: &str, expected: &str) -> Result<Format, (Fault, Format)> {
    let (name, format) = split_format(file)?;
    if name != expected {
        return Err((Fault::not_found("no such resource"), format));
    }
    Ok(format)
}

pub async fn discovery(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let format = match format_of(&format!("discovery.{file}"), "discovery") {
        Ok(format) => format,
        Err((fault, format)) => return fault.respond(format),
    };
    let endpoint = Node::Object(vec![
        ("specification", Node::text(SPECIFICATION)),
        ("url", Node::text(base_url(&req))),
        ("changeset", Node::text(CHANGESET)),
        ("type", Node::text("production")),
        ("formats", Node::List("format", vec![Node::text("text/xml"), Node::text("application/json")])),
    ]);
    let doc = Node::Object(vec![
        ("changeset", Node::text(CHANGESET)),
        ("contact", Node::text("The city's digital urban management centre")),
        ("key_service", Node::text("API keys for POST requests are issued by the city administrator")),
        ("endpoints", Node::List("endpoint", vec![endpoint])),
    ]);
    respond(StatusCode::OK, format, "discovery", &doc)
}

fn service(category: &Category, locale: Locale) -> Node {
    let group = shipped().and_then(|t| t.major(category.code.kind(), category.code.major()));
    let keywords =
        [category.code.kind().as_str().to_owned(), category.names.zh.clone(), category.names.en.clone()];
    Node::Object(vec![
        ("service_code", Node::text(category.code.to_string())),
        ("service_name", Node::text(locale.name(&category.names))),
        (
            "description",
            Node::text(format!(
                "{} / {}: handled within {} of working time from dispatch",
                category.names.zh, category.names.en, category.time_limit
            )),
        ),
        ("metadata", Node::Bool(!category.questions.is_empty())),
        ("type", Node::text("realtime")),
        ("keywords", Node::text(keywords.join(","))),
        ("group", Node::opt_text(group.map(|g| locale.name(&g.names)))),
    ])
}

pub async fn services(state: web::Data<AppState>, req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let format = match format_of(&format!("services.{file}"), "services") {
        Ok(format) => format,
        Err((fault, format)) => return fault.respond(format),
    };
    let locale = Locale::of(&req);
    match state.db.run(categories::list).await {
        Ok(all) => {
            let list = Node::List("service", all.iter().map(|c| service(c, locale)).collect());
            respond(StatusCode::OK, format, "services", &list)
        }
        Err(e) => Fault::from(e).respond(format),
    }
}

fn datatype_description(datatype: QuestionType) -> String {
    match datatype {
        QuestionType::String => format!("Up to {MAX_STRING_ANSWER} characters"),
        QuestionType::Text => format!("Up to {MAX_TEXT_ANSWER} characters"),
        QuestionType::Number => "A decimal number".to_owned(),
        QuestionType::Datetime => "An ISO 8601 date and time with its offset".to_owned(),
        QuestionType::Singlevaluelist => "One of the keys listed in values".to_owned(),
        QuestionType::Multivaluelist => {
            "One or more of the keys listed in values, each sent as attribute[code][]".to_owned()
        }
    }
}

fn definition(category: &Category, locale: Locale) -> Node {
    let attributes = category
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let values = q
                .values
                .iter()
                .map(|v| {
                    Node::Object(vec![
                        ("key", Node::text(&v.key)),
                        ("name", Node::text(locale.name(&v.names))),
                    ])
                })
                .collect();
            Node::Object(vec![
                ("variable", Node::Bool(true)),
                ("code", Node::text(&q.code)),
                ("datatype", Node::text(q.datatype.as_str())),
                ("required", Node::Bool(q.required)),
                ("datatype_description", Node::text(datatype_description(q.datatype))),
                ("order", Node::Int(i as i64 + 1)),
                ("description", Node::text(locale.name(&q.names))),
                ("values", Node::List("value", values)),
            ])
        })
        .collect();
    Node::Object(vec![
        ("service_code", Node::text(category.code.to_string())),
        ("attributes", Node::List("attribute", attributes)),
    ])
}

/// A category by its service code; `None` for a code that is not one.
pub async fn find_category(state: &AppState, code: &str) -> Result<Option<Category>, Fault> {
    let Ok(code) = CategoryCode::parse(code.trim()) else { return Ok(None) };
    Ok(state.db.run(move |conn| categories::find(conn, code)).await?)
}

pub async fn service_definition(
    state: web::Data<AppState>,
    req: HttpRequest,
    file: web::Path<String>,
) -> HttpResponse {
    let (code, format) = match split_format(&file) {
        Ok(split) => split,
        Err((fault, format)) => return fault.respond(format),
    };
    match find_category(&state, code).await {
        Ok(Some(category)) => {
            respond(StatusCode::OK, format, "service_definition", &definition(&category, Locale::of(&req)))
        }
        Ok(None) => Fault::not_found("service_code not found").respond(format),
        Err(fault) => fault.respond(format),
    }
}
