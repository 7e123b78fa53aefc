//! The generated OpenAPI document against the routes the server really registers: every
//! method and path the actix app answers (anything but `405` or `no_such_route`) is an
//! operation of the document, so a route added without its entry in
//! `api/openapi/operations.rs` fails here; and an undeclared method on a routed path answers
//! `405 Method Not Allowed` with the allowed methods, not 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use actix_web::test as actix_test;
use actix_web::{App, HttpRequest, HttpResponse, web};
use gridline_server::api;
use gridline_server::config::{Config, Source};
use serde_json::Value;

/// What the in-process app (the routes and the problem middleware, no state) answers.
struct Probe {
    /// Every path pattern the app registers, read from its resource map (actix has no listing
    /// API, so the map's debug form is walked: each node's pattern under its scope's prefix).
    patterns: BTreeSet<String>,
    /// `(method, pattern)` → status and body, for every method on every pattern.
    answers: BTreeMap<(String, String), (u16, String, Option<String>)>,
}

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"];

/// A concrete path for a pattern: every `{name}` becomes `x1`.
fn concrete(pattern: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in pattern.chars() {
        match c {
            '{' => inside = true,
            '}' => {
                inside = false;
                out.push_str("x1");
            }
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

fn probe() -> Probe {
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", format!("sqlite://{}", data.path().join("db.sqlite3").display())),
        ("GRIDLINE_DATA_DIR", data.path().display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = Config::from_source(&Source::from_env(env).unwrap()).unwrap();
    actix_web::rt::System::new().block_on(async move {
        // With the middleware that turns bare error answers into problems, as `serve` has it.
        let app = actix_test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(gridline_server::request_log::middleware))
                .route(
                    MAP_ROUTE,
                    web::get().to(|req: HttpRequest| async move {
                        HttpResponse::Ok().body(format!("{:#?}", req.resource_map()))
                    }),
                )
                .configure(|cfg| api::configure(cfg, &config)),
        )
        .await;
        let map =
            actix_test::call_and_read_body(&app, actix_test::TestRequest::get().uri(MAP_ROUTE).to_request())
                .await;
        let mut patterns = patterns_of(std::str::from_utf8(&map).unwrap());
        patterns.remove(MAP_ROUTE);
        let mut answers = BTreeMap::new();
        for pattern in &patterns {
            for method in METHODS {
                let request = actix_test::TestRequest::default()
                    .method(method.parse().unwrap())
                    .uri(&concrete(pattern))
                    .to_request();
                let response = actix_test::call_service(&app, request).await;
                let status = response.status().as_u16();
                let allow = response.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
                let body = actix_test::read_body(response).await;
                answers.insert(
                    (method.to_owned(), pattern.clone()),
                    (status, String::from_utf8_lossy(&body).into_owned(), allow),
                );
            }
        }
        Probe { patterns, answers }
    })
}

const MAP_ROUTE: &str = "/__resource_map";

fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let doc: Value = serde_json::from_str(api::openapi::document_json()).unwrap();
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            (path.clone(), item.as_object().unwrap().keys().map(|m| m.to_uppercase()).collect())
        })
        .collect()
}

/// Walk `{:#?}` of a `ResourceMap`: a node's `patterns: Single("…")` line, at its indentation,
/// is nested under the nearest less-indented node before it; a node whose `is_prefix` is true is
/// a scope, not a route.
fn patterns_of(debug: &str) -> BTreeSet<String> {
    let mut nodes: Vec<(usize, String)> = Vec::new();
    let mut found = BTreeSet::new();
    let mut lines = debug.lines();
    while let Some(line) = lines.next() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed == "is_prefix: true," {
            if let Some((_, scope)) = nodes.last() {
                found.remove(scope);
            }
            continue;
        }
        if !trimmed.starts_with("patterns: Single(") {
            continue;
        }
        // The value is on the same line (`Single("/x")`) or on the next one.
        let text =
            if trimmed.ends_with('(') { lines.next().unwrap().trim().to_owned() } else { trimmed.to_owned() };
        let pattern = &text[text.find('"').unwrap() + 1..text.rfind('"').unwrap()];
        while nodes.last().is_some_and(|(depth, _)| *depth >= indent) {
            nodes.pop();
        }
        let full = format!("{}{pattern}", nodes.last().map(|(_, p)| p.as_str()).unwrap_or(""));
        nodes.push((indent, full.clone()));
        found.insert(full);
    }
    found
}

#[test]
fn every_registered_route_and_method_is_in_the_document() {
    let probe = probe();
    let documented = documented();
    assert!(
        probe.patterns.contains("/api/v1/cases/{id}/actions") && probe.patterns.len() >= 50,
        "the resource map was not read: {:?}",
        probe.patterns
    );
    let missing: Vec<&String> = probe.patterns.iter().filter(|p| !documented.contains_key(*p)).collect();
    assert!(missing.is_empty(), "routed but not in api/openapi/operations.rs: {missing:?}");
    // A method the server answers (not 405, not "no such route") is a documented operation.
    let mut undocumented = Vec::new();
    for ((method, pattern), (status, body, _)) in &probe.answers {
        let unrouted = *status == 405 || body.contains("no_such_route") || body.contains("no such resource");
        if !unrouted && !documented[pattern].contains(method) {
            undocumented.push(format!("{method} {pattern} ({status})"));
        }
    }
    assert!(undocumented.is_empty(), "answered but not documented: {undocumented:?}");
}

#[test]
fn an_undeclared_method_on_a_routed_path_is_405_with_the_allowed_methods() {
    let probe = probe();
    let documented = documented();
    let mut wrong = Vec::new();
    for ((method, pattern), (status, body, allow)) in &probe.answers {
        let Some(declared) = documented.get(pattern) else { continue };
        if declared.contains(method) {
            continue;
        }
        // `Allow` lists the routed methods in the order they were registered.
        let allowed: std::collections::BTreeSet<String> =
            allow.iter().flat_map(|a| a.split(',')).map(|m| m.trim().to_owned()).collect();
        let expected: std::collections::BTreeSet<String> = declared.iter().map(|m| m.to_string()).collect();
        if *status != 405 || allowed != expected {
            wrong.push(format!("{method} {pattern}: {status} allow {allow:?} {body}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
