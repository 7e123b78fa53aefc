//! The staff case list (`/api/v1/cases`) and the dashboard's own routes (`/dashboard`,
//! `/api/v1/dashboard/*`, `/api/v1/units`) on both backends: filters and keyset paging return
//! every case exactly once, bad parameters are 4xx naming the parameter, a dispatcher's map
//! holds only their street's cells and counts, and the page is served from the binary with a
//! strict content security policy.

use std::collections::BTreeSet;

use gridline_core::codes::AreaCode;
use gridline_core::grid::GridCell;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, demo_cells, point_in, problem};

/// A city of two streets: the generator puts all cells in one, the second half moves over.
fn two_streets(server: &TestServer, admin: &str) -> (Vec<GridCell>, String, String) {
    let mut cells = demo_cells(40);
    for cell in &mut cells[20..] {
        let code = cell.code.to_string();
        let street = code[6..9].parse::<u16>().unwrap() + 1;
        cell.code = format!("{}{street:03}{}", &code[..6], &code[9..]).parse().unwrap();
    }
    server.import_grid(admin, "310104", &cells);
    let street_a = cells[0].code.to_string()[..9].to_owned();
    let street_b = cells[39].code.to_string()[..9].to_owned();
    assert_ne!(street_a, street_b);
    (cells, street_a, street_b)
}

fn report(server: &TestServer, token: &str, cell: &GridCell, category: &str) -> String {
    let (lat, lon) = point_in(cell);
    let response = server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(&json!({
            "category": category,
            "description": "Dashboard fixture",
            "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 5.0 },
            "photo_ids": [],
        }))
        .send()
        .unwrap();
    let status = response.status();
    let body: Value = response.json().unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

fn case_list_pages_filters_and_refuses_bad_parameters(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let (cells, street_a, _street_b) = two_streets(&server, &admin);
    let citizen = server.citizen_token();
    let mut in_a = Vec::new();
    for (i, cell) in cells[..5].iter().enumerate() {
        in_a.push(report(&server, &citizen, cell, if i % 2 == 0 { "E0101" } else { "E0102" }));
    }
    let in_b = report(&server, &citizen, &cells[30], "E0101");

    // Pages of two, newest first, together every case exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/cases?limit=2&cursor={c}"),
            None => "/api/v1/cases?limit=2".to_owned(),
        };
        let page: Value = server.get_as(&admin, &path).json().unwrap();
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut all: Vec<String> = in_a.clone();
    all.push(in_b.clone());
    assert_eq!(seen.len(), all.len(), "no case twice");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>(), all.iter().collect::<BTreeSet<_>>());
    let mut newest_first = all.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "uuid v7 ids follow report time");

    // Filters: category, area, state, overdue.
    let e0101: Value = server.get_as(&admin, "/api/v1/cases?category=E0101").json().unwrap();
    assert_eq!(ids(&e0101).len(), 4);
    let street: Value = server.get_as(&admin, &format!("/api/v1/cases?area={street_a}")).json().unwrap();
    assert_eq!(ids(&street).into_iter().collect::<BTreeSet<_>>(), in_a.iter().cloned().collect());
    let one_cell: Value =
        server.get_as(&admin, &format!("/api/v1/cases?area={}", cells[0].code)).json().unwrap();
    assert_eq!(ids(&one_cell), vec![in_a[0].clone()]);
    let closed: Value = server.get_as(&admin, "/api/v1/cases?state=closed,rejected").json().unwrap();
    assert!(ids(&closed).is_empty());
    let reported: Value = server.get_as(&admin, "/api/v1/cases?state=reported&overdue=false").json().unwrap();
    assert_eq!(ids(&reported).len(), 6);

    // A dispatcher of street A: only street A, whatever the filter asks for.
    let dispatcher =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse(&street_a).unwrap() });
    let own: Value = server.get_as(&dispatcher, "/api/v1/cases?limit=200").json().unwrap();
    assert_eq!(ids(&own).into_iter().collect::<BTreeSet<_>>(), in_a.iter().cloned().collect());
    let elsewhere: Value =
        server.get_as(&dispatcher, &format!("/api/v1/cases?area={}", cells[30].code)).json().unwrap();
    assert!(ids(&elsewhere).is_empty(), "another street's cell gives nothing, not an error");

    // Bad parameters: 4xx problem+json naming the parameter; citizens are refused.
    for (query, field) in [
        ("state=open", "state"),
        ("category=Z9", "category"),
        ("area=12", "area"),
        ("from=yesterday", "from"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=abc", "cursor"),
        ("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to"),
    ] {
        let body = problem(server.get_as(&admin, &format!("/api/v1/cases?{query}")), 422);
        assert_eq!(body["field"], field, "{query}");
    }
    assert_eq!(server.get_as(&admin, "/api/v1/cases?colour=red").status().as_u16() / 100, 4);
    problem(server.get_as(&citizen, "/api/v1/cases"), 403);
}

fn a_dispatcher_map_holds_only_their_street(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let (cells, street_a, _) = two_streets(&server, &admin);
    let citizen = server.citizen_token();
    report(&server, &citizen, &cells[1], "E0101");
    report(&server, &citizen, &cells[1], "E0101");
    report(&server, &citizen, &cells[35], "E0101");

    let dispatcher =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse(&street_a).unwrap() });
    let layer: Value = server.get_as(&dispatcher, "/api/v1/dashboard/cells").json().unwrap();
    let codes: Vec<&str> =
        layer["cells"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 20);
    assert!(codes.iter().all(|c| c.starts_with(&street_a)));
    let everything: Value = server.get_as(&admin, "/api/v1/dashboard/cells").json().unwrap();
    assert_eq!(everything["cells"].as_array().unwrap().len(), 40);
    for cell in everything["cells"].as_array().unwrap() {
        assert!(cell["area_m2"].as_f64().unwrap() > 1_000.0, "demo cells are ~20,000 m²");
        assert!(cell["rings"][0].as_array().unwrap().len() >= 6);
    }

    let counts: Value = server.get_as(&dispatcher, "/api/v1/dashboard/counts").json().unwrap();
    assert_eq!(counts["cells"], json!({ cells[1].code.to_string(): [2, 0, 0, 2] }));
    assert_eq!(counts["totals"], json!({ "open": 2, "overdue": 0, "to_verify": 0, "at_desk": 2 }));
    let city: Value = server.get_as(&admin, "/api/v1/dashboard/counts").json().unwrap();
    assert_eq!(city["totals"]["open"], 3);

    // The same layer again is a 304 for the same caller, a 200 for another.
    let first = server.get_as(&dispatcher, "/api/v1/dashboard/cells");
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = server
        .client
        .get(server.url("/api/v1/dashboard/cells"))
        .bearer_auth(&dispatcher)
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    let other = server
        .client
        .get(server.url("/api/v1/dashboard/cells"))
        .bearer_auth(&admin)
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(other.status(), 200);

    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
    problem(server.get_as(&handler, "/api/v1/dashboard/cells"), 403);
    problem(server.get_as(&citizen, "/api/v1/dashboard/counts"), 403);
}

fn the_page_is_served_from_the_binary(backend: Backend) {
    let server = TestServer::start(backend);
    let page = server.get("/dashboard");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().unwrap();
    assert!(html.contains("/dashboard/app.js") && !html.contains("http://") && !html.contains("https://"));
    for (file, kind) in [("app.js", "text/javascript"), ("app.css", "text/css")] {
        let asset = server.get(&format!("/dashboard/{file}"));
        assert_eq!(asset.status(), 200);
        assert!(asset.headers()["content-type"].to_str().unwrap().starts_with(kind));
        // The SVG namespace name is an identifier, not a fetch.
        let text = asset.text().unwrap().replace("\"http://www.w3.org/2000/svg\"", "");
        assert!(
            !text.contains("https://") && !text.contains("http://"),
            "{file} loads nothing from elsewhere"
        );
    }
    // The limits and the state list come from the server's answer of core's rules, not copies.
    let script = server.get("/dashboard/app.js").text().unwrap();
    assert!(script.contains("/api/v1/public/report-form") && script.contains("step_text_max_chars"));
    assert!(!script.contains("\"in_progress\""), "the script copies no state list");
    problem(server.get("/dashboard/../Cargo.toml"), 404);
    problem(server.get("/dashboard/secrets.js"), 404);
    let units: Value = server.get("/api/v1/units").json().unwrap();
    let taxonomy = gridline_core::taxonomy::Taxonomy::default_taxonomy().unwrap();
    assert_eq!(units["units"].as_array().unwrap().len(), taxonomy.units().len());
}

fn the_grid_package_routes_like_the_server(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let (cells, street_a, street_b) = two_streets(&server, &admin);

    let whole = server.get("/api/v1/grids/package");
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "application/vnd.gridline.grid-package");
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
    let package = gridline_core::grid::decode_package(&whole.bytes().unwrap()).unwrap();
    assert_eq!(package.len(), cells.len());
    let index = gridline_core::grid::GridIndex::build(&package).unwrap();
    for cell in cells.iter().step_by(7) {
        let (lat, lon) = point_in(cell);
        let on_server: Value =
            server.get(&format!("/api/v1/grids/route?lat={lat}&lon={lon}")).json().unwrap();
        let on_phone = index.route(gridline_core::geo::GeoPoint::new(lat, lon).unwrap());
        assert_eq!(
            on_phone.code().map(|c| c.to_string()),
            on_server["placement"]["grid"].as_str().map(str::to_owned)
        );
    }

    let street = server.get(&format!("/api/v1/grids/package?area={street_b}"));
    let only_b = gridline_core::grid::decode_package(&street.bytes().unwrap()).unwrap();
    assert_eq!(only_b.len(), 20);
    assert!(only_b.iter().all(|c| c.code.to_string().starts_with(&street_b)));
    assert_ne!(street_a, street_b);

    let again =
        server.client.get(server.url("/api/v1/grids/package")).header("if-none-match", &etag).send().unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(problem(server.get("/api/v1/grids/package?area=3101"), 422)["field"], "area");
    assert_eq!(problem(server.get("/api/v1/grids/package?area=310104001001"), 422)["field"], "area");
    problem(server.get("/api/v1/grids/package?area=310105"), 404);
}

fn the_deadline_is_shown_before_dispatching(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let (cells, street_a, _) = two_streets(&server, &admin);
    let citizen = server.citizen_token();
    let id = report(&server, &citizen, &cells[2], "E0101");
    let dispatcher =
        server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse(&street_a).unwrap() });
    // Friday 27 November 2026, 16:00 Beijing: 4 working hours end Monday 11:30.
    server.clock.set("2026-11-27T08:00:00Z".parse().unwrap());
    let reported: Value = server.get_as(&dispatcher, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert!(reported.get("dispatch_deadline").is_none(), "not offered before it may be dispatched");
    let registered = act(&server, &dispatcher, &id, json!({ "action": "register" }));
    assert_eq!(registered["dispatch_deadline"], "2026-11-30T03:30:00.000Z");
    let citizen_view: Value = server.get_as(&citizen, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert!(citizen_view.get("dispatch_deadline").is_none(), "only for who may dispatch");
    let dispatched =
        act(&server, &dispatcher, &id, json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    assert_eq!(dispatched["deadline"], registered["dispatch_deadline"]);
}

/// Takes a workflow step, then reads the case as its GET shows it (with the deadline a dispatch
/// would set, which only the GET adds).
fn act(server: &TestServer, token: &str, id: &str, body: Value) -> Value {
    server.step(token, id, &body);
    server.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap()
}

both_backends!(
    the_deadline_is_shown_before_dispatching,
    the_grid_package_routes_like_the_server,
    case_list_pages_filters_and_refuses_bad_parameters,
    a_dispatcher_map_holds_only_their_street,
    the_page_is_served_from_the_binary
);
