//! The server's backbone over real HTTP on both backends: health, readiness, metrics, request
//! ids, and problem+json for every kind of bad request the framework itself rejects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Backend, TestServer, problem};
use serde_json::Value;

fn health_and_readiness(backend: Backend) {
    let server = TestServer::start(backend);
    let health = server.get("/healthz");
    assert_eq!(health.status(), 200);
    let ready: Value = server.get("/readyz").json().unwrap();
    assert_eq!(ready["status"], "ready");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(ready["database"], expected);
}

fn request_ids_are_echoed_or_generated(backend: Backend) {
    let server = TestServer::start(backend);
    let mine = server.client.get(server.url("/healthz")).header("x-request-id", "abc-123").send().unwrap();
    assert_eq!(mine.headers()["x-request-id"], "abc-123");
    // An id that could smuggle text into logs is replaced.
    let odd = server.client.get(server.url("/healthz")).header("x-request-id", "a b\"c").send().unwrap();
    let generated = odd.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 32);
    assert!(generated.chars().all(|c| c.is_ascii_hexdigit()));
}

fn metrics_count_requests_by_route_pattern(backend: Backend) {
    let server = TestServer::start(backend);
    for _ in 0..3 {
        server.get("/healthz");
    }
    server.get("/no/such/page");
    let text = server.get_as(common::METRICS_TOKEN, "/metrics").text().unwrap();
    assert!(
        text.contains(r#"gridline_http_requests_total{method="GET",route="/healthz",status="200"} 3"#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains("gridline_http_request_duration_seconds_bucket"), "{text}");
    assert!(!text.contains("/no/such/page"), "raw paths must not become labels");
}

fn unknown_routes_and_methods_are_problems(backend: Backend) {
    let server = TestServer::start(backend);
    let body = problem(server.get("/api/v1/nothing-here"), 404);
    assert_eq!(body["code"], "no_such_route");
    // A routed path asked with another method: 405 with the methods it answers.
    let response = server.client.delete(server.url("/healthz")).send().unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    let body = problem(response, 405);
    assert_eq!(body["code"], "method_not_allowed");
}

/// PostgreSQL gone: readiness and every database-backed endpoint answer 503 with Retry-After
/// (never 500, never "not found"), while liveness still answers.
#[test]
fn database_loss_is_503_with_retry_after() {
    let server = TestServer::start_with(Backend::Postgres, &[("GRIDLINE_DB_TIMEOUT_SECS", "1")]);
    assert_eq!(server.get("/readyz").status(), 200);
    server.drop_postgres_database();
    for path in ["/readyz", "/api/v1/categories", "/api/v1/cases/01a22736-9382-732c-9746-7b95420a7b90"] {
        let response = server.get(path);
        assert_eq!(response.headers()["retry-after"], "5", "{path}");
        let body = problem(response, 503);
        assert_eq!(body["code"], "unavailable", "{path}");
        assert!(!body["detail"].as_str().unwrap().contains("database"), "no internals in {body}");
    }
    assert_eq!(server.get("/healthz").status(), 200);
}

/// A database restart cuts the pool's idle connections: each is found dead by its first query,
/// answered 503 with Retry-After, and replaced, so the server recovers by itself (it used to
/// hand the same dead connections out again for ever).
#[test]
fn connections_cut_by_the_database_are_replaced() {
    let server = TestServer::start_with(Backend::Postgres, &[("GRIDLINE_DB_POOL_SIZE", "4")]);
    let citizen = server.citizen_token();
    let body = serde_json::json!({
        "category": "E0101",
        "description": "Broken kerb stone",
        "position": { "lat": 31.2, "lon": 121.5 },
    });
    let report = || {
        server
            .client
            .post(server.url("/api/v1/reports"))
            .bearer_auth(&citizen)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .json(&body)
            .send()
            .unwrap()
    };
    assert_eq!(report().status(), 201);
    server.cut_postgres_connections();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let response = report();
        let status = response.status().as_u16();
        if status == 503 {
            assert_eq!(response.headers()["retry-after"], "5");
        }
        statuses.push(status);
    }
    assert!(statuses.iter().all(|s| *s == 201 || *s == 503), "only 201 or 503: {statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 201), "recovered within 20 reports: {statuses:?}");
}

both_backends!(
    health_and_readiness,
    request_ids_are_echoed_or_generated,
    metrics_count_requests_by_route_pattern,
    unknown_routes_and_methods_are_problems,
);
