//! The OpenAPI document against the running server: it is OpenAPI 3.1, every documented
//! operation is routed (answers something other than `no_such_route`), and the docs page loads
//! nothing from another origin; every role is enumerated where roles are.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Backend, TestServer};
use serde_json::Value;

#[test]
fn every_documented_operation_is_routed_and_the_docs_are_offline() {
    let server = TestServer::start(Backend::Sqlite);
    let doc: Value = server.get("/api/v1/openapi.json").json().unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 20);
    for (path, item) in paths {
        let concrete = path.replace("{id}", "01a22736-9382-732c-9746-7b95420a7b90");
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = server.client.request(method.clone(), server.url(&concrete)).send().unwrap();
            let status = response.status();
            let body = response.text().unwrap_or_default();
            assert!(
                !body.contains("no_such_route"),
                "{method} {path} is documented but not routed ({status})"
            );
        }
    }
    let html = server.get("/api/v1/docs").text().unwrap();
    assert!(html.contains("openapi.json"));
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import"] {
        assert!(!html.contains(external), "docs page loads {external}");
    }
}

#[test]
fn every_role_is_enumerated_in_the_document() {
    let doc: Value = serde_json::from_str(gridline_server::api::openapi::document_json()).unwrap();
    let roles: Vec<&str> = doc["components"]["schemas"]["Role"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let wire: Vec<&str> = gridline_core::workflow::Role::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(roles, wire);
    assert!(roles.contains(&"district_admin"));
    let description = doc["info"]["description"].as_str().unwrap();
    for role in wire {
        assert!(description.contains(&format!("`{role}`")), "{role} is not named in the description");
    }
}
