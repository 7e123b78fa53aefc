//! `/api/v1/openapi.json`, the OpenAPI 3.1 document, and `/api/v1/docs`, a self-contained page
//! that renders it (nothing is loaded from a CDN, so the docs work offline).
//!
//! The document is generated, never written by hand: the operations are listed once in
//! [`operations`] and every body schema comes from the Rust type the server serializes —
//! core's `protocol` types and the server's own — through utoipa's `ToSchema` derive.
//!
//! Why utoipa: it is the maintained OpenAPI generator for actix-web, its derive reads serde's
//! attributes (`rename`, `tag`, `skip_serializing_if`, `deny_unknown_fields`) so a schema is the
//! shape serde really writes, it emits OpenAPI 3.1, and it is plain derive code with no runtime:
//! core derives it behind its `openapi` feature, which only the server turns on, so the phones
//! never link it. The operations are one list instead of `#[utoipa::path]` attributes scattered
//! over the handlers, so adding a route to the document is one obvious edit in one file, and
//! `tests/it/openapi_routes.rs` checks the list against what the server routes.

mod build;
pub mod operations;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::{self, ApiError, ApiResult, ErrorKind};
use crate::open311::render::{Fault, Format};

pub use build::{Method, Op};

const DOCS_HTML: &str = include_str!("docs.html");

/// The characters Rust counts as white space (what `str::trim` takes off), as the inside of a
/// character class: listed, since `\s` differs between regex dialects.
macro_rules! trimmed_class {
    () => {
        r"\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}
pub const TRIMMED_CLASS: &str = trimmed_class!();

/// Text with something besides white space in it (what `str::trim` leaves non-empty).
pub const NOT_BLANK_PATTERN: &str = concat!("[^", trimmed_class!(), "]");

/// Control characters (`char::is_control`), as the inside of a character class.
pub const CONTROL_CLASS: &str = r"\x00-\x1F\x7F-\x9F";

/// A string field of `min` to `max` characters, optionally matching `pattern`.
pub fn text_schema(min: usize, max: usize, pattern: Option<&str>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(pattern)
        .build()
}

/// Every documented operation.
pub fn all_operations() -> Vec<Op> {
    let mut all = operations::api();
    all.extend(operations::open311_v2());
    all.extend(operations::pages());
    all
}

/// The document, built once.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let doc = build::document(&all_operations(), operations::info());
        serde_json::to_string(&doc).unwrap_or_default()
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(document_json())
}

pub async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        ))
        .content_type("text/html; charset=utf-8")
        .body(DOCS_HTML)
}

/// The `Allow` value for a path: the methods the document declares for the template it matches.
fn allowed_for_path(path: &str) -> Option<&'static str> {
    static ALLOWED: OnceLock<BTreeMap<&'static str, String>> = OnceLock::new();
    let allowed = ALLOWED.get_or_init(|| {
        let mut methods: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        for op in all_operations() {
            methods.entry(op.path).or_default().insert(op.method.as_str().to_uppercase());
        }
        methods.into_iter().map(|(path, m)| (path, m.into_iter().collect::<Vec<_>>().join(", "))).collect()
    });
    allowed.iter().find(|(template, _)| template_matches(template, path)).map(|(_, allow)| allow.as_str())
}

/// Whether `path` is routed, but not for `method`: routing answers it 405 with `Allow`.
pub fn undeclared_method(method: &actix_web::http::Method, path: &str) -> bool {
    allowed_for_path(path).is_some_and(|allow| !allow.split(", ").any(|m| m == method.as_str()))
}

/// Whether `path` fits a document path template such as `/api/v1/cases/{id}/actions` or
/// `/open311/v2/media/{id}.jpg`: segment by segment, a `{name}` stands for one or more
/// characters between the literal text around it.
fn template_matches(template: &str, path: &str) -> bool {
    let (mut wanted, mut given) = (template.split('/'), path.split('/'));
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) if segment_matches(want, got) => {}
            _ => return false,
        }
    }
}

fn segment_matches(template: &str, segment: &str) -> bool {
    match (template.find('{'), template.find('}')) {
        (Some(open), Some(close)) if open < close => {
            let (prefix, suffix) = (&template[..open], &template[close + 1..]);
            segment.len() > prefix.len() + suffix.len()
                && segment.starts_with(prefix)
                && segment.ends_with(suffix)
        }
        _ => template == segment,
    }
}

/// The `Allow` value when `req`'s path is routed (for other methods than the one asked).
fn allowed_for(req: &HttpRequest) -> Option<&'static str> {
    allowed_for_path(req.path())
}

fn with_allow(mut response: HttpResponse, allow: &'static str) -> HttpResponse {
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// The answer when no route takes a request: 405 with `Allow` when the path is routed for other
/// methods, else 404 `no_such_route`.
pub async fn unrouted(req: HttpRequest) -> ApiResult<HttpResponse> {
    match allowed_for(&req) {
        Some(allow) => {
            let refusal = ApiError::new(
                ErrorKind::MethodNotAllowed,
                "method_not_allowed",
                format!("this path answers {allow}"),
            );
            Ok(with_allow(refusal.error_response(), allow))
        }
        None => error::no_such_route().await,
    }
}

/// The same for Open311, answered in its own error format.
pub async fn unrouted_open311(req: HttpRequest) -> HttpResponse {
    match allowed_for(&req) {
        Some(allow) => {
            let format = if req.path().ends_with(".json") { Format::Json } else { Format::Xml };
            let fault = Fault {
                status: actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                description: format!("this resource answers {allow}"),
            };
            with_allow(fault.respond(format), allow)
        }
        None => crate::open311::no_such_resource().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fit_their_templates_only() {
        assert!(template_matches("/api/v1/cases/{id}/actions", "/api/v1/cases/x1/actions"));
        assert!(!template_matches("/api/v1/cases/{id}/actions", "/api/v1/cases//actions"));
        assert!(!template_matches("/api/v1/cases/{id}", "/api/v1/cases/x1/actions"));
        assert!(template_matches("/open311/v2/media/{id}.jpg", "/open311/v2/media/ab.jpg"));
        assert!(!template_matches("/open311/v2/media/{id}.jpg", "/open311/v2/media/ab.png"));
        assert!(template_matches("/open311/v2/discovery.{format}", "/open311/v2/discovery.json"));
        assert_eq!(allowed_for_path("/api/v1/admin/users"), Some("GET, POST"));
        assert_eq!(allowed_for_path("/api/v1/nothing"), None);
        use actix_web::http::Method;
        assert!(undeclared_method(&Method::PUT, "/api/v1/cases/x1"));
        assert!(!undeclared_method(&Method::POST, "/api/v1/cases/x1/actions"));
        assert!(!undeclared_method(&Method::PUT, "/api/v1/nothing"), "no route: the viewer rule holds");
    }

    /// Strings near the codes' shapes: a few valid codes, each with one character changed, cut,
    /// doubled or padded, so both sides of every rule are reached.
    fn near_codes(valid: &[&str], alphabet: &str) -> Vec<String> {
        let mut samples = Vec::new();
        for code in valid {
            let chars: Vec<char> = code.chars().collect();
            samples.extend([
                (*code).to_owned(),
                format!(" {code}\t"),
                format!("{code}0"),
                chars[1..].iter().collect(),
            ]);
            for at in 0..chars.len() {
                for replacement in alphabet.chars() {
                    let mut changed = chars.clone();
                    changed[at] = replacement;
                    samples.push(changed.iter().collect());
                }
            }
        }
        samples
    }

    #[test]
    fn code_patterns_are_what_the_parsers_accept() {
        use gridline_core::codes::{
            AREA_CODE_PATTERN, AreaCode, AreaLevel, CATEGORY_CLASS_PATTERN, CATEGORY_CODE_PATTERN,
            CategoryCode, DISTRICT_OR_STREET_PATTERN, GRID_CODE_PATTERN, GridCode,
        };
        let grid = regex::Regex::new(GRID_CODE_PATTERN).unwrap();
        let grids = ["110101001001001", "11010100100101", "820199999999999", "650102100010099"];
        for sample in near_codes(&grids, "0123456789 x-") {
            assert_eq!(grid.is_match(&sample), GridCode::parse(&sample).is_ok(), "{sample:?}");
        }
        let area = regex::Regex::new(DISTRICT_OR_STREET_PATTERN).unwrap();
        for sample in near_codes(&["110101", "110101001", "820199999", "110100", "1101010010"], "019 x") {
            let parsed = AreaCode::parse(&sample)
                .is_ok_and(|a| matches!(a.level(), AreaLevel::District | AreaLevel::Street));
            assert_eq!(area.is_match(&sample), parsed, "{sample:?}");
        }
        let category = regex::Regex::new(CATEGORY_CODE_PATTERN).unwrap();
        for sample in near_codes(&["E0101", "c-9910", "C1001"], "0123456789CEcex- ") {
            assert_eq!(category.is_match(&sample), CategoryCode::parse(&sample).is_ok(), "{sample:?}");
        }
        let any_area = regex::Regex::new(AREA_CODE_PATTERN).unwrap();
        let areas = ["110101", "110101001", "110101001002", "110101001001001", "1101010010"];
        for sample in near_codes(&areas, "019 x") {
            assert_eq!(any_area.is_match(&sample), AreaCode::parse(&sample).is_ok(), "{sample:?}");
        }
        // The warnings read a class as a category code without its minor number.
        let class = regex::Regex::new(CATEGORY_CLASS_PATTERN).unwrap();
        for sample in near_codes(&["E05", "c99", "C10"], "0159CEcex- ") {
            let trimmed = sample.trim();
            let read = trimmed.len() == 3 && CategoryCode::parse(&format!("{trimmed}01")).is_ok();
            assert_eq!(class.is_match(&sample), read, "{sample:?}");
        }
    }

    #[test]
    fn the_push_token_pattern_keeps_cores_length_limit() {
        use gridline_core::workflow::notice::MAX_PUSH_TOKEN_CHARS;
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        let token = &doc["components"]["schemas"]["PushTokenRequest"]["properties"]["token"];
        let pattern = token["pattern"].as_str().unwrap();
        assert!(pattern.contains(&format!("{{1,{MAX_PUSH_TOKEN_CHARS}}}")), "{pattern}");
        let pattern = regex::Regex::new(pattern).unwrap();
        assert!(pattern.is_match(" fcm:APA91b-token_1 "));
        assert!(!pattern.is_match("two words") && !pattern.is_match("") && !pattern.is_match("é"));
    }

    #[test]
    fn not_blank_is_what_trim_leaves_non_empty() {
        let pattern = regex::Regex::new(NOT_BLANK_PATTERN).unwrap();
        for c in (0..=0x3100u32).chain([0xfeff, 0x10ffff]).filter_map(char::from_u32) {
            let text = c.to_string();
            assert_eq!(pattern.is_match(&text), !text.trim().is_empty(), "{c:?}");
        }
    }

    #[test]
    fn unit_codes_and_canonical_categories_are_what_the_server_stores() {
        use gridline_core::codes::{
            AreaCode, AreaLevel, CANONICAL_CATEGORY_CODE_PATTERN, CategoryCode,
            DISTRICT_OR_STREET_CODE_PATTERN,
        };
        use gridline_core::taxonomy::{UNIT_CODE_PATTERN, is_unit_code};
        let unit = regex::Regex::new(UNIT_CODE_PATTERN).unwrap();
        let long = "a".repeat(64);
        for sample in near_codes(&["roads", "water-2", "a_b", &long], "az09_-A .") {
            assert_eq!(unit.is_match(&sample), is_unit_code(&sample), "{sample:?}");
        }
        let canonical = regex::Regex::new(CANONICAL_CATEGORY_CODE_PATTERN).unwrap();
        for sample in near_codes(&["E0101", "C9910", "C1001"], "0123456789CEcex- ") {
            let stored = CategoryCode::parse(&sample).is_ok_and(|c| c.to_string() == sample);
            assert_eq!(canonical.is_match(&sample), stored, "{sample:?}");
        }
        let area = regex::Regex::new(DISTRICT_OR_STREET_CODE_PATTERN).unwrap();
        for sample in near_codes(&["110101", "110101001", "820199999", "110100", "1101010010"], "019 x") {
            let stored = sample.trim() == sample
                && AreaCode::parse(&sample)
                    .is_ok_and(|a| matches!(a.level(), AreaLevel::District | AreaLevel::Street));
            assert_eq!(area.is_match(&sample), stored, "{sample:?}");
        }
    }

    #[test]
    fn account_patterns_are_what_the_account_rules_accept() {
        use crate::api::users::fields::{display_name_pattern, login_pattern};
        use crate::auth::users::{MAX_DISPLAY_NAME_CHARS, check_display_name, normalize_login};
        let login = regex::Regex::new(&login_pattern()).unwrap();
        let long = "a".repeat(64);
        for sample in near_codes(&["abc", "Ops.Lead_2-b", &long], "aZ9._- \u{3000}\té") {
            assert_eq!(login.is_match(&sample), normalize_login(&sample).is_ok(), "{sample:?}");
        }
        let name = regex::Regex::new(&display_name_pattern()).unwrap();
        let longest = "名".repeat(MAX_DISPLAY_NAME_CHARS);
        for sample in near_codes(&["Li Wei", "王芳", "a", &longest], "a \t\n\u{7f}\u{85}\u{3000}名") {
            assert_eq!(name.is_match(&sample), check_display_name(&sample).is_ok(), "{sample:?}");
        }
    }

    #[test]
    fn scope_patterns_are_what_each_role_accepts() {
        use gridline_core::codes::{AreaCode, AreaLevel, DISTRICT_PATTERN, STREET_PATTERN};
        use gridline_core::workflow::Role;
        use gridline_core::workflow::scope::{Scope, unit_code_pattern};
        let areas = ["110101", "110101001", "820199999", "110100", "1101010010"];
        for (pattern, level) in [(DISTRICT_PATTERN, AreaLevel::District), (STREET_PATTERN, AreaLevel::Street)]
        {
            let pattern = regex::Regex::new(pattern).unwrap();
            for sample in near_codes(&areas, "019 x") {
                let parsed = AreaCode::parse(&sample).is_ok_and(|a| a.level() == level);
                assert_eq!(pattern.is_match(&sample), parsed, "{sample:?}");
            }
        }
        let unit = regex::Regex::new(&unit_code_pattern()).unwrap();
        for sample in near_codes(&["roads", "Water-2", "a_b", &"A".repeat(64)], "aZ09_-. é") {
            let fits = Scope::Unit { unit: sample.clone() }.check_fits(Role::Handler).is_ok();
            assert_eq!(unit.is_match(&sample), fits, "{sample:?}");
        }
    }

    #[test]
    fn the_time_limit_pattern_is_what_a_category_takes() {
        use gridline_core::calendar::{MAX_LIMIT, POSITIVE_TIME_LIMIT_PATTERN, TimeLimit};
        let pattern = regex::Regex::new(POSITIVE_TIME_LIMIT_PATTERN).unwrap();
        let mut samples = Vec::new();
        for value in (0..=u64::from(MAX_LIMIT) + 20).chain([999, 4_294_967_295, 4_294_967_296]) {
            for unit in ["h", "H", "d", "D", "x", "时", ""] {
                samples.extend([format!("{value}{unit}"), format!(" 0{value}{unit}\u{3000}")]);
            }
        }
        samples.extend(["h", "-4h", "+4h", "4 h", "4hh", "4h\n", "１h"].map(String::from));
        for sample in samples {
            let taken = sample
                .parse::<TimeLimit>()
                .is_ok_and(|limit| !matches!(limit, TimeLimit::Hours(0) | TimeLimit::Days(0)));
            assert_eq!(pattern.is_match(&sample), taken, "{sample:?}");
        }
    }

    #[test]
    fn the_notice_address_keeps_cores_length_limit() {
        use gridline_core::workflow::notice::MAX_EMAIL_CHARS;
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        let preferences = &doc["components"]["schemas"]["NotificationPreferences"];
        let address = &preferences["properties"]["email_address"]["anyOf"][2];
        assert_eq!(address["maxLength"], MAX_EMAIL_CHARS, "{preferences}");
    }

    #[test]
    fn enums_are_documented_by_their_wire_names() {
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        let roles = &doc["components"]["schemas"]["Role"]["enum"];
        assert!(roles.as_array().unwrap().iter().any(|r| r == "citizen"), "{roles}");
        let states = &doc["components"]["schemas"]["CaseState"]["enum"];
        assert!(states.as_array().unwrap().iter().any(|s| s == "in_progress"), "{states}");
    }

    /// The hotline code in the document's path is what `check_code` takes, on both operations
    /// that name one, and the names' limit is the one `check_names` applies.
    #[test]
    fn hotline_code_rules_are_the_servers() {
        use crate::hotline::codes::{HotlineCodeEdit, MAX_NAME_CHARS, check_code, check_names};
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        let item = &doc["paths"]["/api/v1/admin/hotline-codes/{code}"];
        for method in ["put", "delete"] {
            let pattern = item[method]["parameters"][0]["schema"]["pattern"].as_str().unwrap();
            let pattern = regex::Regex::new(pattern).unwrap();
            for sample in near_codes(&["12", "0101", "123456789012", "1234567890123"], "09a -") {
                assert_eq!(pattern.is_match(&sample), check_code(&sample).is_ok(), "{method} {sample:?}");
            }
        }
        let body = &item["put"]["requestBody"]["content"]["application/json"]["schema"]["allOf"][1];
        let longest = body["properties"]["name_zh"]["maxLength"].as_u64().unwrap() as usize;
        assert_eq!(longest, MAX_NAME_CHARS);
        let edit = |name: String| HotlineCodeEdit {
            name_zh: name,
            name_en: "x".into(),
            category_code: "E0101".into(),
        };
        assert!(check_names(&edit("名".repeat(longest))).is_ok());
        assert!(check_names(&edit("名".repeat(longest + 1))).is_err());
    }
}
