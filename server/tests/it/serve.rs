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
    let text = server.get("/metrics").text().unwrap();
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
    let body = problem(server.client.delete(server.url("/healthz")).send().unwrap(), 404);
    assert_eq!(body["code"], "no_such_route");
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

both_backends!(
    health_and_readiness,
    request_ids_are_echoed_or_generated,
    metrics_count_requests_by_route_pattern,
    unknown_routes_and_methods_are_problems,
);
