//! The admin categories API over real HTTP on both backends: an edit applies to the next
//! report, a new category can be reported at once, and a category that breaks the taxonomy
//! rules is refused with problem+json naming the field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Backend, TestServer, demo_cells, point_in, problem};
use reqwest::blocking::Response;
use serde_json::{Value, json};

fn send(server: &TestServer, token: &str, method: &str, path: &str, body: &Value) -> Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    server.client.request(method, server.url(path)).bearer_auth(token).json(body).send().unwrap()
}

fn report(server: &TestServer, token: &str, category: &str, point: (f64, f64), anonymous: bool) -> Response {
    server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(&json!({
            "category": category,
            "description": "Broken paving outside the school gate",
            "position": { "lat": point.0, "lon": point.1 },
            "anonymous": anonymous,
        }))
        .send()
        .unwrap()
}

fn new_category() -> Value {
    json!({
        "code": "E0199",
        "names": { "zh": "其他市容事件", "en": "Other city-appearance event" },
        "time_limit": "3d",
        "anonymous_allowed": false,
        "duplicate_radius_m": 120,
        "default_unit": "sanitation",
        "questions": [{
            "code": "size",
            "names": { "zh": "大小", "en": "Size" },
            "datatype": "singlevaluelist",
            "required": false,
            "values": [{ "key": "small", "names": { "zh": "小", "en": "Small" } }],
        }],
    })
}

fn an_edit_applies_to_the_next_report(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(20);
    server.import_grid(&admin, "310104", &cells);
    let point = point_in(&cells[4]);
    let citizen = server.citizen_token();

    let before = report(&server, &citizen, "E0101", point, true);
    assert_eq!(before.status(), 201);
    assert_eq!(before.json::<Value>().unwrap()["handling_time_limit"], "4h");

    let edited = send(
        &server,
        &admin,
        "PATCH",
        "/api/v1/admin/categories/E0101",
        &json!({ "time_limit": "8h", "anonymous_allowed": false, "names": { "zh": "暴露垃圾", "en": "Rubbish" } }),
    );
    assert_eq!(edited.status(), 200);
    let edited: Value = edited.json().unwrap();
    assert_eq!(
        (edited["time_limit"].as_str(), edited["names"]["en"].as_str()),
        (Some("8h"), Some("Rubbish"))
    );
    assert_eq!(edited["default_unit"], "sanitation", "fields not given are kept");

    let after = report(&server, &citizen, "E0101", point, false);
    assert_eq!(after.status(), 201);
    assert_eq!(after.json::<Value>().unwrap()["handling_time_limit"], "8h");
    let refused = problem(report(&server, &citizen, "E0101", point, true), 422);
    assert_eq!(refused["field"], "anonymous");

    // A new category is listed publicly and takes reports at once; its code is then taken.
    let created = send(&server, &admin, "POST", "/api/v1/admin/categories", &new_category());
    assert_eq!(created.status(), 201);
    let public: Value = server.get("/api/v1/categories").json().unwrap();
    let listed = public["categories"].as_array().unwrap().iter().find(|c| c["code"] == "E0199").unwrap();
    assert_eq!(listed["duplicate_radius_m"], 120);
    let reported = report(&server, &citizen, "E0199", point, false);
    assert_eq!(reported.status(), 201);
    assert_eq!(reported.json::<Value>().unwrap()["handling_time_limit"], "3d");
    let again = problem(send(&server, &admin, "POST", "/api/v1/admin/categories", &new_category()), 409);
    assert_eq!(again["code"], "category_exists");

    // Clearing the default unit with an explicit null.
    let cleared =
        send(&server, &admin, "PATCH", "/api/v1/admin/categories/E0199", &json!({ "default_unit": null }));
    assert_eq!(cleared.status(), 200);
    assert!(cleared.json::<Value>().unwrap()["default_unit"].is_null());

    let missing =
        send(&server, &admin, "PATCH", "/api/v1/admin/categories/E0198", &json!({ "time_limit": "1d" }));
    assert_eq!(problem(missing, 404)["code"], "not_found");
}

fn a_broken_category_is_refused_naming_the_field(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let broken = |change: &dyn Fn(&mut Value)| {
        let mut body = new_category();
        change(&mut body);
        body
    };
    let cases: Vec<(&str, Value)> = vec![
        ("time_limit", broken(&|c| c["time_limit"] = json!("0h"))),
        ("duplicate_radius_m", broken(&|c| c["duplicate_radius_m"] = json!(0))),
        ("default_unit", broken(&|c| c["default_unit"] = json!("no-such-unit"))),
        ("questions", broken(&|c| c["questions"][0]["values"] = json!([]))),
        ("code", broken(&|c| c["code"] = json!("E9901"))),
        ("names.en", broken(&|c| c["names"]["en"] = json!("  "))),
    ];
    for (field, body) in &cases {
        let refused = problem(send(&server, &admin, "POST", "/api/v1/admin/categories", body), 422);
        assert_eq!(refused["field"], *field, "{refused}");
    }
    // The same rules hold for an edit, which then changes nothing.
    let refused = problem(
        send(&server, &admin, "PATCH", "/api/v1/admin/categories/E0101", &json!({ "duplicate_radius_m": 0 })),
        422,
    );
    assert_eq!(refused["field"], "duplicate_radius_m");
    let wrong_shape =
        send(&server, &admin, "PATCH", "/api/v1/admin/categories/E0101", &json!({ "colour": "red" }));
    assert_eq!(problem(wrong_shape, 422)["code"], "invalid_body");
    let public: Value = server.get("/api/v1/categories").json().unwrap();
    let categories = public["categories"].as_array().unwrap();
    assert!(categories.iter().all(|c| c["code"] != "E0199" && c["code"] != "E9901"));
    let e0101 = categories.iter().find(|c| c["code"] == "E0101").unwrap();
    assert_eq!(e0101["duplicate_radius_m"], 250);
}

both_backends!(an_edit_applies_to_the_next_report, a_broken_category_is_refused_naming_the_field);
