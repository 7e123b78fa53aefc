//! Patrol tracks against the real server on both backends: an inspector's phone uploads a day
//! of positions (a batch sent twice stores nothing twice; bad batches are refused naming the
//! field), and the street office reads the day's coverage: cells visited of the cells assigned,
//! per inspector with the time in each cell. Scope: only the inspector's own street office gets
//! a summary, nobody gets raw positions, and positions past the retention are refused and
//! purged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{Backend, TestServer, point_in, problem, two_street_cells};
use gridline_core::grid::GridCell;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::store::Db;
use serde_json::{Value, json};

use crate::common;

fn upload(server: &TestServer, token: &str, positions: &Value) -> reqwest::blocking::Response {
    server
        .client
        .post(server.url("/api/v1/patrol/positions"))
        .bearer_auth(token)
        .json(&json!({ "positions": positions }))
        .send()
        .unwrap()
}

/// Positions every minute from `start` for `minutes`, at a point inside `cell`.
fn walk(cell: &GridCell, start: DateTime<Utc>, minutes: i64) -> Vec<Value> {
    let (lat, lon) = point_in(cell);
    (0..minutes)
        .map(|m| {
            let at = start + chrono::Duration::minutes(m);
            json!({ "at": at.to_rfc3339(), "lat": lat, "lon": lon, "accuracy_m": 8.0 })
        })
        .collect()
}

fn a_day_of_patrol_gives_the_street_its_coverage(backend: Backend) {
    let server = crate::auth_http::start(backend);
    let cells = two_street_cells(12);
    let admin = server.admin_token();
    server.import_grid(&admin, "310104", &cells);
    let street = cells[2].code.to_string()[..9].to_owned();
    let ours: Vec<&GridCell> = cells.iter().filter(|c| c.code.to_string().starts_with(&street)).collect();
    let elsewhere = cells.iter().find(|c| !c.code.to_string().starts_with(&street)).unwrap();
    assert!(ours.len() >= 3, "the demo street has {} cells", ours.len());
    let grids = |cs: &[&GridCell]| Scope::Grids { grids: cs.iter().map(|c| c.code).collect() };
    let walker = server.staff_token(Role::Inspector, grids(&[ours[0], ours[1]]));
    server.staff_token(Role::Inspector, grids(&[ours[2]]));
    let office = server.staff_token(Role::Dispatcher, Scope::Street { street: street.parse().unwrap() });

    // Yesterday from 09:00 in Beijing: ten minutes in their first cell, five outside the street.
    let yesterday = Utc::now() - chrono::Duration::days(1);
    let start = yesterday.date_naive().and_hms_opt(1, 0, 0).unwrap().and_utc();
    let mut day = walk(ours[0], start, 10);
    day.extend(walk(elsewhere, start + chrono::Duration::minutes(10), 5));
    let positions = Value::Array(day);
    let first: Value = upload(&server, &walker, &positions).json().unwrap();
    assert_eq!(first, json!({ "stored": 15, "already_stored": 0 }));
    let again: Value = upload(&server, &walker, &positions).json().unwrap();
    assert_eq!(again, json!({ "stored": 0, "already_stored": 15 }), "a batch sent twice is stored once");

    // Bad batches are refused naming the field; only inspectors upload.
    let refused = |body: Value, field: &str| {
        let answer = problem(upload(&server, &walker, &body), 422);
        assert_eq!(answer["field"], field, "{answer}");
    };
    refused(json!([]), "positions");
    refused(Value::Array(walk(ours[0], start, 501)), "positions");
    let future = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    refused(json!([{ "at": future, "lat": 31.2, "lon": 121.4 }]), "positions[0].at");
    let stale = (Utc::now() - chrono::Duration::days(91)).to_rfc3339();
    refused(json!([{ "at": stale, "lat": 31.2, "lon": 121.4 }]), "positions[0].at");
    refused(json!([{ "at": start.to_rfc3339(), "lat": 91.0, "lon": 121.4 }]), "positions[0].lat");
    refused(json!([{ "at": "yesterday", "lat": 31.2, "lon": 121.4 }]), "positions[0].at");
    assert_eq!(problem(upload(&server, &office, &positions), 403)["code"], "forbidden");

    // The street office's day: one of three cells visited, ten minutes in it.
    let day_text = start.format("%Y-%m-%d").to_string();
    let coverage = |token: &str| server.get_as(token, &format!("/api/v1/patrol/coverage?day={day_text}"));
    let summary: Value = coverage(&office).json().unwrap();
    assert_eq!(summary["cells_assigned"], 3, "{summary}");
    assert_eq!(summary["cells_visited"], 1);
    assert_eq!(summary["coverage_percent"], 33.3);
    assert_eq!(summary["visited_cells"], json!([ours[0].code.to_string()]));
    let inspectors = summary["inspectors"].as_array().unwrap();
    let walked = inspectors.iter().find(|i| i["cells_assigned"] == 2).unwrap();
    assert_eq!(walked["cells_visited"], 1);
    assert_eq!(walked["seconds"], 600);
    assert_eq!(walked["cells"], json!([{ "grid": ours[0].code.to_string(), "seconds": 600 }]));
    let idle = inspectors.iter().find(|i| i["cells_assigned"] == 1).unwrap();
    assert_eq!((idle["cells_visited"].as_u64(), idle["seconds"].as_i64()), (Some(0), Some(0)));
    assert!(!summary.to_string().contains("\"lat\""), "no raw position leaves the server");
    // Another day is empty.
    let before: Value = server.get_as(&office, "/api/v1/patrol/coverage?day=2026-01-01").json().unwrap();
    assert_eq!(before["cells_visited"], 0);
    assert_eq!(
        problem(server.get_as(&office, "/api/v1/patrol/coverage?day=01/12/2026"), 422)["field"],
        "day"
    );

    // Only the street office: not the inspector, not the city, not another street.
    assert_eq!(problem(coverage(&walker), 403)["code"], "forbidden");
    assert_eq!(problem(coverage(&admin), 403)["code"], "forbidden");
    let other_street = elsewhere.code.to_string()[..9].to_owned();
    let other_office =
        server.staff_token(Role::Dispatcher, Scope::Street { street: other_street.parse().unwrap() });
    let theirs: Value = coverage(&other_office).json().unwrap();
    assert!(theirs["inspectors"].as_array().unwrap().iter().all(|i| i["cells_assigned"] != 2), "{theirs}");
    assert_eq!(theirs["cells_visited"], 0, "the walker's time outside their cells counts for nobody");

    // Past the retention the positions go.
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let cutoff = (start + chrono::Duration::days(1)).timestamp_millis();
    let deleted = gridline_server::patrol::purge_before(&mut db.get().unwrap(), cutoff).unwrap();
    assert_eq!(deleted, 15);
    let purged: Value = coverage(&office).json().unwrap();
    assert_eq!(purged["cells_visited"], 0);
}

both_backends!(a_day_of_patrol_gives_the_street_its_coverage);
