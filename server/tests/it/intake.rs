//! Intake and reads over real HTTP on both backends: grid import and routing, idempotent
//! reports (sequential and concurrent), triage, validation errors as problem+json, role views
//! of a case, photos with ETags, and a second node following a grid import.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::Cursor;
use std::time::{Duration, Instant};

use common::{Backend, TestServer, demo_cells, point_in, problem};
use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use reqwest::blocking::Response;
use serde_json::{Value, json};

fn report_body(lat: f64, lon: f64) -> Value {
    json!({
        "category": "E0101",
        "description": "Overflowing rubbish bin next to the bus stop",
        "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 8.0 },
        "captured_at": "2026-11-29T08:30:00+08:00",
    })
}

fn post_report(server: &TestServer, token: &str, key: &str, body: &Value) -> Response {
    server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .unwrap()
}

/// A report POST with a raw body and content type.
fn post_raw(server: &TestServer, token: &str, content_type: &str, body: String) -> Response {
    server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", new_key())
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap()
}

fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn report_is_routed_replayed_and_shown_by_role(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(40);
    let imported = server.import_grid(&admin, "310104", &cells);
    assert_eq!(imported["cells"], 40);
    let target = &cells[5];
    let (lat, lon) = point_in(target);

    let routed: Value = server.get(&format!("/api/v1/grids/route?lat={lat}&lon={lon}")).json().unwrap();
    assert_eq!(routed["placement"]["grid"], target.code.to_string());
    assert_eq!(routed["placement"]["outcome"], "inside");

    let citizen = server.citizen_token();
    let key = new_key();
    let first = post_report(&server, &citizen, &key, &report_body(lat, lon));
    assert_eq!(first.status(), 201);
    let first: Value = first.json().unwrap();
    assert_eq!(first["state"], "reported");
    assert_eq!(first["placement"]["grid"], target.code.to_string());
    assert_eq!(first["placement"]["street"], target.code.to_string()[..9]);
    assert_eq!(first["handling_time_limit"], "4h");
    assert_eq!(first["geotag"], "no_photo");
    assert!(first["tracking_number"].as_str().unwrap().starts_with("GL-"));

    // A retry returns the first case.
    let again = post_report(&server, &citizen, &key, &report_body(lat, lon));
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["tracking_number"], first["tracking_number"]);

    // The same key for another report, or from another account, is refused.
    let mut changed = report_body(lat, lon);
    changed["description"] = json!("Something else entirely");
    let body = problem(post_report(&server, &citizen, &key, &changed), 409);
    assert_eq!(body["code"], "idempotency_key_reused");
    let stranger = server.citizen_token();
    let body = problem(post_report(&server, &stranger, &key, &report_body(lat, lon)), 409);
    assert_eq!(body["code"], "idempotency_key_reused");

    // Far from every cell: triage, not an error.
    let triage = post_report(&server, &citizen, &new_key(), &report_body(39.9, 116.4));
    assert_eq!(triage.status(), 201);
    let triage: Value = triage.json().unwrap();
    assert_eq!(triage["placement"]["outcome"], "triage");
    assert!(triage["placement"]["grid"].is_null());

    let mine: Value = server.get_as(&citizen, "/api/v1/reports/mine").json().unwrap();
    let ids: Vec<&str> =
        mine["reports"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![triage["id"].as_str().unwrap(), first["id"].as_str().unwrap()]);
    let theirs: Value = server.get_as(&stranger, "/api/v1/reports/mine").json().unwrap();
    assert_eq!(theirs["reports"].as_array().unwrap().len(), 0);

    let path = format!("/api/v1/cases/{}", first["id"].as_str().unwrap());
    let own: Value = server.get_as(&citizen, &path).json().unwrap();
    assert_eq!(own["view"], "reporter");
    assert_eq!(own["position"]["lat"], lat);
    for public in
        [server.get_as(&stranger, &path).json::<Value>().unwrap(), server.get(&path).json().unwrap()]
    {
        assert_eq!(public["view"], "public");
        assert!(public.get("reporter").is_none() && public.get("photo_ids").is_none());
        assert_ne!(public["position"]["lat"], lat, "public position is coarsened");
    }
    let street = AreaCode::parse(&target.code.to_string()[..9]).unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
    let staff: Value = server.get_as(&dispatcher, &path).json().unwrap();
    assert_eq!(staff["view"], "staff");
    assert!(staff["reporter"]["id"].is_string());
    // A dispatcher of another street sees only the public view.
    let elsewhere =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse("310105001").unwrap() });
    let other: Value = server.get_as(&elsewhere, &path).json().unwrap();
    assert_eq!(other["view"], "public");
    let body = problem(server.get("/api/v1/cases/not-a-case"), 404);
    assert_eq!(body["code"], "not_found");

    let metrics = server.get_as(common::METRICS_TOKEN, "/metrics").text().unwrap();
    assert!(metrics.contains(r#"gridline_reports_received_total{result="created"} 2"#), "{metrics}");
    assert!(metrics.contains(r#"gridline_reports_received_total{result="replayed"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"gridline_routing_outcomes_total{outcome="triage"} 1"#), "{metrics}");
}

fn concurrent_duplicates_create_one_case(backend: Backend) {
    let server = TestServer::start(backend);
    let citizen = server.citizen_token();
    let key = new_key();
    let body = report_body(31.2, 121.4);
    let results: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                scope.spawn(|| {
                    let response = post_report(&server, &citizen, &key, &body);
                    let status = response.status().as_u16();
                    let body: Value = response.json().unwrap();
                    (status, body["id"].as_str().unwrap_or_default().to_owned())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = results.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 1, "{results:?}");
    assert!(
        results.iter().all(|(status, id)| (*status == 201 || *status == 200) && id == &results[0].1),
        "{results:?}"
    );
    let mine: Value = server.get_as(&citizen, "/api/v1/reports/mine").json().unwrap();
    assert_eq!(mine["reports"].as_array().unwrap().len(), 1);
}

fn bad_reports_are_problems_naming_the_field(backend: Backend) {
    let server = TestServer::start(backend);
    let citizen = server.citizen_token();
    let good = report_body(31.2, 121.4);

    let no_key =
        server.client.post(server.url("/api/v1/reports")).bearer_auth(&citizen).json(&good).send().unwrap();
    assert_eq!(problem(no_key, 400)["code"], "idempotency_key_required");
    assert_eq!(problem(post_report(&server, &citizen, "not-a-uuid", &good), 400)["field"], "Idempotency-Key");

    let cases: Vec<(Value, &str)> = vec![
        (json!({ "description": "x".repeat(4001) }), "description"),
        (json!({ "description": "   " }), "description"),
        (json!({ "category": "E9999" }), "category"),
        (json!({ "category": "nonsense" }), "category"),
        (json!({ "category": "E0501", "anonymous": true }), "anonymous"),
        (json!({ "position": { "lat": 91.0, "lon": 121.4 } }), "position.lat"),
        (json!({ "position": { "lat": 31.2, "lon": 121.4, "crs": "osgb36" } }), "position.crs"),
        (json!({ "position": { "lat": 31.2, "lon": 121.4, "accuracy_m": -3.0 } }), "position.accuracy_m"),
        (json!({ "captured_at": "yesterday" }), "captured_at"),
        (json!({ "photo_ids": [uuid::Uuid::now_v7().to_string()] }), "photo_ids[0]"),
    ];
    for (patch, field) in cases {
        let mut body = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let answer = problem(post_report(&server, &citizen, &new_key(), &body), 422);
        assert_eq!(answer["field"], field, "{answer}");
        assert!(!answer["detail"].as_str().unwrap().contains("91"), "no coordinates in errors");
    }
    // A description of exactly the maximum is accepted.
    let mut longest = good.clone();
    longest["description"] = json!("字".repeat(4000));
    assert_eq!(post_report(&server, &citizen, &new_key(), &longest).status(), 201);

    let wrong_type = post_report(&server, &citizen, &new_key(), &json!({ "category": 5 }));
    assert_eq!(problem(wrong_type, 422)["code"], "invalid_body");
    let not_json = post_raw(&server, &citizen, "application/json", "{\"category\": ".to_owned());
    assert_eq!(problem(not_json, 400)["code"], "malformed_json");
    let form = post_raw(&server, &citizen, "text/plain", "hello".to_owned());
    assert_eq!(problem(form, 415)["code"], "unsupported_media_type");
    let huge = post_raw(
        &server,
        &citizen,
        "application/json",
        format!("{{\"description\": \"{}\"}}", "x".repeat(70_000)),
    );
    assert_eq!(problem(huge, 413)["code"], "body_too_large");
    let unauthenticated = server.post_json("/api/v1/reports", &good);
    assert_eq!(problem(unauthenticated, 401)["status"], 401);
    let bad_query = server.get("/api/v1/grids/route?lat=north&lon=1");
    assert_eq!(problem(bad_query, 400)["code"], "invalid_query");
}

fn grid_import_checks_everything_and_needs_an_admin(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let mut cells = demo_cells(12);
    // Two problems at once: a duplicated code and a cell outside the area.
    cells[3].code = cells[2].code;
    cells[5].code = gridline_core::codes::GridCode::parse("310104002001001").unwrap();
    let import = |token: &str, area: &str, body: String| {
        server
            .client
            .post(server.url(&format!("/api/v1/admin/grids?area={area}")))
            .bearer_auth(token)
            .header("content-type", "application/geo+json")
            .body(body)
            .send()
            .unwrap()
    };
    let geojson = gridline_core::grid::to_geojson(&cells);
    let answer = problem(import(&admin, "310104001", geojson.clone()), 422);
    assert_eq!(answer["code"], "invalid_grid");
    let problems = answer["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p.as_str().unwrap().contains("duplicate")), "{answer}");
    assert!(problems.iter().any(|p| p.as_str().unwrap().contains("not inside area")), "{answer}");
    assert_eq!(problem(import(&admin, "310104", "{not json".into()), 422)["code"], "invalid_grid");
    assert_eq!(problem(import(&admin, "12", geojson.clone()), 422)["field"], "area");
    let citizen = server.citizen_token();
    assert_eq!(problem(import(&citizen, "310104", geojson), 403)["status"], 403);
    // Nothing was stored by the refused imports.
    let routed: Value = server.get("/api/v1/grids/route?lat=31.151&lon=121.401").json().unwrap();
    assert_eq!(routed["placement"]["outcome"], "triage");
}

fn another_node_follows_a_grid_import(backend: Backend) {
    let first = TestServer::start(backend);
    let second = TestServer::start_sharing(&first, &[("GRIDLINE_GRID_REFRESH_SECS", "1")]);
    let cells = demo_cells(8);
    let (lat, lon) = point_in(&cells[0]);
    let path = format!("/api/v1/grids/route?lat={lat}&lon={lon}");
    let before: Value = second.get(&path).json().unwrap();
    assert_eq!(before["placement"]["outcome"], "triage");
    let admin = first.admin_token();
    let imported = first.import_grid(&admin, "310104", &cells);
    // The importing node answers from the new grid at once...
    let now: Value = first.get(&path).json().unwrap();
    assert_eq!(now["placement"]["grid"], cells[0].code.to_string());
    // ...and the other one within its refresh period (1 s here; 20 s is a generous bound).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer: Value = second.get(&path).json().unwrap();
        if answer["grid_revision"] == imported["grid_revision"] {
            assert_eq!(answer["placement"]["grid"], cells[0].code.to_string());
            break;
        }
        assert!(Instant::now() < deadline, "the second node never loaded the new grid");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 128]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn upload(server: &TestServer, token: &str, bytes: Vec<u8>) -> Response {
    let part = reqwest::blocking::multipart::Part::bytes(bytes)
        .file_name("photo.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let form = reqwest::blocking::multipart::Form::new().part("photo", part);
    server.client.post(server.url("/api/v1/photos")).bearer_auth(token).multipart(form).send().unwrap()
}

fn photos_are_prepared_stored_and_read_with_etags(backend: Backend) {
    let server = TestServer::start(backend);
    let citizen = server.citizen_token();
    let uploaded = upload(&server, &citizen, jpeg(800, 600));
    assert_eq!(uploaded.status(), 201);
    let photo: Value = uploaded.json().unwrap();
    let sha = photo["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);
    assert_eq!(photo["width"], 800);
    assert_eq!(photo["thumbnail"]["width"], 320);

    let path = format!("/api/v1/photos/{}", photo["id"].as_str().unwrap());
    let read = server.get_as(&citizen, &path);
    assert_eq!(read.status(), 200);
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{sha}\""));
    let bytes = read.bytes().unwrap();
    gridline_core::photo::verify(&bytes, &sha).unwrap();
    let cached = server
        .client
        .get(server.url(&path))
        .bearer_auth(&citizen)
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(cached.status(), 304);
    let thumb = server.get_as(&citizen, &format!("{path}?size=thumbnail"));
    assert_eq!(thumb.status(), 200);
    assert!(thumb.bytes().unwrap().len() < bytes.len());

    // Someone else's photo does not exist for a stranger; without a token it is a 401.
    let stranger = server.citizen_token();
    assert_eq!(problem(server.get_as(&stranger, &path), 404)["code"], "not_found");
    assert_eq!(problem(server.get(&path), 401)["status"], 401);
    // A stranger cannot attach it to their report either.
    let mut body = report_body(31.2, 121.4);
    body["photo_ids"] = json!([photo["id"]]);
    assert_eq!(problem(post_report(&server, &stranger, &new_key(), &body), 422)["field"], "photo_ids[0]");
    let mine = post_report(&server, &citizen, &new_key(), &body);
    assert_eq!(mine.status(), 201);
    let case: Value = mine.json().unwrap();
    assert_eq!(case["geotag"], "no_geotag");
    let full: Value =
        server.get_as(&citizen, &format!("/api/v1/cases/{}", case["id"].as_str().unwrap())).json().unwrap();
    assert_eq!(full["photo_ids"], json!([photo["id"]]));

    let not_image = upload(&server, &citizen, b"GIF89a not really".to_vec());
    assert_eq!(problem(not_image, 415)["field"], "photo");
}

both_backends!(
    report_is_routed_replayed_and_shown_by_role,
    concurrent_duplicates_create_one_case,
    bad_reports_are_problems_naming_the_field,
    grid_import_checks_everything_and_needs_an_admin,
    another_node_follows_a_grid_import,
    photos_are_prepared_stored_and_read_with_etags,
);
