//! The citizen web page's server side on both backends: the page and its files are served from
//! the binary, compressed, under a strict content security policy, with a service worker
//! allowed the whole origin; the API answers it reads its rules from (`/api/v1/public/*`) say
//! what core and the settings say; the no-map path leads from the streets to cells whose middle
//! routes to that very cell; a case is found by its tracking number in the view the caller may
//! see; and bad input is a problem answer naming the field, never a 500.

use gridline_core::limits::{
    MAX_DESCRIPTION_CHARS, MAX_REPORT_PHOTOS as MAX_PHOTOS, MAX_STEP_PHOTOS, MAX_STEP_TEXT_CHARS,
};
use gridline_core::workflow::CaseState;
use gridline_core::workflow::words::RATINGS;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, demo_cells, point_in, problem};

fn page_and_files_are_served_from_the_binary(backend: Backend) {
    let server = TestServer::start(backend);
    for path in ["/report", "/track/GL-261129-7KQ2MX"] {
        let response = server.get(path);
        assert_eq!(response.status(), 200, "{path}");
        let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("default-src 'self'") && policy.contains("script-src 'self'"), "{policy}");
        let html = response.text().unwrap();
        assert!(html.contains("/web/app.js") && html.contains("/web/app.css"));
        for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import"] {
            assert!(!html.contains(external), "the page loads {external}");
        }
    }
    for (file, kind) in
        [("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")]
    {
        let response = server.get(&format!("/web/{file}"));
        assert_eq!(response.status(), 200, "{file}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with(kind), "{file}");
        // The one address allowed is the SVG namespace, a name that is never fetched.
        let text = response.text().unwrap().replace("http://www.w3.org/2000/svg", "");
        assert!(!text.contains("http://") && !text.contains("https://"), "{file} names no other site");
    }
    let worker = server.get("/web/sw.js");
    assert_eq!(worker.status(), 200);
    assert_eq!(worker.headers()["service-worker-allowed"], "/");
    problem(server.get("/web/nothing.js"), 404);

    // Compressed for a phone on a slow network.
    let compressed =
        server.client.get(server.url("/web/app.js")).header("accept-encoding", "gzip").send().unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let plain = server.get("/web/app.js").text().unwrap().len();
    assert!(compressed.bytes().unwrap().len() * 2 < plain, "gzip at least halves the script");
    // The categories the first screen reads, a third of it, too.
    let categories =
        server.client.get(server.url("/api/v1/categories")).header("accept-encoding", "gzip").send().unwrap();
    assert_eq!(categories.headers()["content-encoding"], "gzip");
    let plain = server.get("/api/v1/categories").text().unwrap().len();
    assert!(categories.bytes().unwrap().len() * 2 < plain, "gzip at least halves the categories");
}

fn report_form_says_what_core_and_the_settings_say(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_PHOTO_LIMIT_BYTES", "5000000")]);
    let form: Value = server.get("/api/v1/public/report-form").json().unwrap();
    assert_eq!(form["limits"]["description_max_chars"], MAX_DESCRIPTION_CHARS);
    assert_eq!(form["limits"]["photos_max"], MAX_PHOTOS);
    assert_eq!(form["limits"]["photo_max_bytes"], 5_000_000);
    assert_eq!(form["limits"]["photo_max_edge_px"], gridline_core::photo::DEFAULT_MAX_EDGE);
    assert_eq!(form["limits"]["step_text_max_chars"], MAX_STEP_TEXT_CHARS);
    assert_eq!(form["limits"]["step_photos_max"], MAX_STEP_PHOTOS);
    let order: Vec<&str> = CaseState::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(form["state_order"], json!(order), "every state, in workflow order");
    assert_eq!(form["rating"], json!({ "min": RATINGS.start(), "max": RATINGS.end() }));
    let states = form["states"].as_object().unwrap();
    assert_eq!(states.len(), CaseState::ALL.len());
    for state in CaseState::ALL {
        let words = state.citizen_words();
        let answer = &states[state.as_str()];
        assert_eq!(answer["label"], json!({ "zh": words.label_zh, "en": words.label_en }), "{state}");
        assert_eq!(answer["next"], json!({ "zh": words.next_zh, "en": words.next_en }), "{state}");
    }
}

fn no_map_path_leads_from_streets_to_cells_that_route_to_themselves(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(30);
    server.import_grid(&admin, "310104", &cells);

    let streets: Value = server.get("/api/v1/public/places").json().unwrap();
    assert_eq!(streets["level"], "street");
    let street = streets["places"][0]["code"].as_str().unwrap().to_owned();
    let communities: Value = server.get(&format!("/api/v1/public/places?area={street}")).json().unwrap();
    assert_eq!(communities["level"], "community");
    let listed: u64 =
        communities["places"].as_array().unwrap().iter().map(|p| p["cells"].as_u64().unwrap()).sum();
    assert_eq!(listed, cells.len() as u64, "every cell is under one community of the street");
    let mut reached = 0;
    for community in communities["places"].as_array().unwrap() {
        let code = community["code"].as_str().unwrap();
        let grid: Value = server.get(&format!("/api/v1/public/places?area={code}")).json().unwrap();
        assert_eq!(grid["level"], "grid");
        for cell in grid["places"].as_array().unwrap() {
            let (lat, lon) = (cell["lat"].as_f64().unwrap(), cell["lon"].as_f64().unwrap());
            let routed: Value =
                server.get(&format!("/api/v1/grids/route?lat={lat}&lon={lon}")).json().unwrap();
            assert_eq!(routed["placement"]["grid"], cell["code"], "a listed cell's point routes to it");
            assert!(cell["code"].as_str().unwrap().starts_with(code));
            reached += 1;
        }
    }
    assert_eq!(reached, cells.len());

    for bad in ["12", "310104", "310104001001001", "abc"] {
        let body = problem(server.get(&format!("/api/v1/public/places?area={bad}")), 422);
        assert_eq!(body["field"], "area", "{bad}");
    }
    problem(server.get("/api/v1/public/places?area=310104999"), 404);
    problem(server.get("/api/v1/public/places?nothing=1"), 400);
}

fn nearby_cells_hold_the_cell_of_the_point(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(60);
    server.import_grid(&admin, "310104", &cells);
    let (lat, lon) = point_in(&cells[10]);
    let near: Value = server.get(&format!("/api/v1/public/cells?lat={lat}&lon={lon}")).json().unwrap();
    let codes: Vec<&str> =
        near["cells"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&cells[10].code.to_string().as_str()), "the point's own cell is drawn");
    assert!(codes.len() < cells.len(), "only the cells around the point, not the city");
    assert!(near["scale"].as_f64().unwrap() > 0.0 && near["origin"].as_array().unwrap().len() == 2);
    let far: Value = server.get("/api/v1/public/cells?lat=10&lon=10").json().unwrap();
    assert_eq!(far["cells"].as_array().unwrap().len(), 0);
    assert_eq!(problem(server.get("/api/v1/public/cells?lat=91&lon=0"), 422)["field"], "lat");
    problem(server.get("/api/v1/public/cells?lat=abc&lon=1"), 400);
    problem(server.get("/api/v1/public/cells"), 400);
}

fn a_case_is_found_by_its_tracking_number_in_the_callers_view(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(10);
    server.import_grid(&admin, "310104", &cells);
    let citizen = server.citizen_token();
    let photo = server.upload_photo(&citizen);
    let (lat, lon) = point_in(&cells[3]);
    let receipt = server.report_as(
        &citizen,
        &json!({ "category": "E0101", "description": "Bags of rubbish by the gate",
                 "position": { "lat": lat, "lon": lon }, "photo_ids": [photo] }),
    );
    let number = receipt["tracking_number"].as_str().unwrap().to_owned();

    let public: Value = server.get(&format!("/api/v1/public/track/{number}")).json().unwrap();
    assert_eq!(public["case"]["view"], "public");
    assert_eq!(public["case"]["id"], receipt["id"]);
    assert!(public["case"].get("photo_ids").is_none(), "no photo to a passer-by");
    assert!(public["case"].get("reporter").is_none());
    let timeline = public["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["to_state"], "reported");
    assert!(timeline[0].get("actor").is_none(), "the public timeline names no one");

    let own: Value = server.get_as(&citizen, &format!("/api/v1/public/track/{number}")).json().unwrap();
    assert_eq!(own["case"]["view"], "reporter");
    assert_eq!(own["case"]["photo_ids"], json!([photo]));
    let stranger = server.citizen_token();
    let other: Value = server.get_as(&stranger, &format!("/api/v1/public/track/{number}")).json().unwrap();
    assert_eq!(other["case"]["view"], "public", "another citizen gets the public view");

    let lower: Value = server.get(&format!("/api/v1/public/track/{}", number.to_lowercase())).json().unwrap();
    assert_eq!(lower["case"]["id"], receipt["id"], "a number typed in lower case is found");
    server.step(&admin, receipt["id"].as_str().unwrap(), &json!({ "action": "register" }));
    let registered: Value = server.get(&format!("/api/v1/public/track/{number}")).json().unwrap();
    assert_eq!(registered["case"]["state"], "registered");
    assert_eq!(registered["timeline"].as_array().unwrap().len(), 2);

    for unknown in ["GL-000000-NOSUCH", "GL%2F..%2Fcases", "x".repeat(40).as_str(), "%20"] {
        problem(server.get(&format!("/api/v1/public/track/{unknown}")), 404);
    }
}

/// A report at `(lat, lon)` of `category`, made anonymously by a fresh citizen; its receipt.
fn anonymous_report(server: &TestServer, category: &str, lat: f64, lon: f64) -> Value {
    let citizen = server.citizen_token();
    server.report_as(
        &citizen,
        &json!({ "category": category, "description": "Rubbish bags by the wall, call 13800000000",
                 "position": { "lat": lat, "lon": lon }, "anonymous": true }),
    )
}

fn nearby_reports_show_only_public_facts_within_the_radius(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(10);
    server.import_grid(&admin, "310104", &cells);
    let (lat, lon) = point_in(&cells[3]);
    // Two points about 120 m apart whose public positions (rounded to 0.001°) are the same.
    let public = ((lat * 1000.0).round() / 1000.0, (lon * 1000.0).round() / 1000.0);
    let west = (public.0 - 0.00045, public.1 - 0.00045);
    let east = (public.0 + 0.00045, public.1 + 0.00045);
    let at_west = anonymous_report(&server, "E0101", west.0, west.1);
    let at_east = anonymous_report(&server, "E0101", east.0, east.1);
    let beyond = anonymous_report(&server, "E0101", public.0 + 0.004, public.1);
    let other_kind = anonymous_report(&server, "E0102", west.0, west.1);
    let number = |receipt: &Value| receipt["tracking_number"].as_str().unwrap().to_owned();

    let probe = |(lat, lon): (f64, f64)| -> Value {
        server.get(&format!("/api/v1/public/nearby?category=E0101&lat={lat}&lon={lon}")).json().unwrap()
    };
    let answer = probe(west);
    assert_eq!(answer["radius_m"], 250.0, "the category's duplicate radius");
    let reports = answer["reports"].as_array().unwrap();
    let listed: Vec<&str> = reports.iter().map(|r| r["tracking_number"].as_str().unwrap()).collect();
    assert!(listed.contains(&number(&at_west).as_str()) && listed.contains(&number(&at_east).as_str()));
    assert!(!listed.contains(&number(&beyond).as_str()), "about 440 m away, beyond the 250 m radius");
    assert!(!listed.contains(&number(&other_kind).as_str()), "another category");
    let allowed = [
        "tracking_number",
        "category",
        "state",
        "created_at",
        "deadline",
        "overdue",
        "distance_band_m",
        "description",
    ];
    for report in reports {
        for key in report.as_object().unwrap().keys() {
            assert!(allowed.contains(&key.as_str()), "{key} is not public");
        }
        assert_eq!(report["description"], Value::Null, "unreviewed words stay private");
    }
    let text = answer.to_string();
    for receipt in [&at_west, &at_east, &beyond, &other_kind] {
        assert!(!text.contains(receipt["id"].as_str().unwrap()), "no case id to a citizen");
    }

    // Three probes from chosen points, one on each report and one 170 m north: exact distances
    // would band the two reports apart (0 m and 120 m from a probe on one of them); from public
    // positions the answers are the same for both, so they place neither better than 100 m.
    let band = |answer: &Value, receipt: &Value| -> Value {
        let found = answer["reports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["tracking_number"] == receipt["tracking_number"]);
        found.map_or(Value::Null, |r| r["distance_band_m"].clone())
    };
    for point in [west, east, (public.0 + 0.0015, public.1)] {
        let answer = probe(point);
        assert!(band(&answer, &at_west).is_number(), "{point:?}");
        assert_eq!(band(&answer, &at_west), band(&answer, &at_east), "{point:?}");
    }

    // Once reviewed, a report's words are public, as in the public view.
    server.step(&admin, at_west["id"].as_str().unwrap(), &json!({ "action": "register" }));
    let reviewed = probe(west);
    let shown = reviewed["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tracking_number"] == at_west["tracking_number"])
        .unwrap();
    assert!(shown["description"].as_str().unwrap().starts_with("Rubbish bags"));

    let far: Value = server.get("/api/v1/public/nearby?category=E0101&lat=10&lon=10").json().unwrap();
    assert_eq!(far["reports"], json!([]));
    assert_eq!(
        problem(server.get("/api/v1/public/nearby?category=rubbish&lat=31&lon=121"), 422)["field"],
        "category"
    );
    assert_eq!(
        problem(server.get("/api/v1/public/nearby?category=E0101&lat=91&lon=121"), 422)["field"],
        "lat"
    );
    assert_eq!(
        problem(server.get("/api/v1/public/nearby?category=E0101&lat=31&lon=181"), 422)["field"],
        "lon"
    );
    problem(server.get("/api/v1/public/nearby?category=E9999&lat=31&lon=121"), 404);
    problem(server.get("/api/v1/public/nearby?category=E0101&lat=abc&lon=121"), 400);
    problem(server.get("/api/v1/public/nearby?category=E0101"), 400);
}

both_backends!(
    page_and_files_are_served_from_the_binary,
    report_form_says_what_core_and_the_settings_say,
    no_map_path_leads_from_streets_to_cells_that_route_to_themselves,
    nearby_cells_hold_the_cell_of_the_point,
    a_case_is_found_by_its_tracking_number_in_the_callers_view,
    nearby_reports_show_only_public_facts_within_the_radius,
);
