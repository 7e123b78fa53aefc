//! The printable case sheet (`GET /api/v1/cases/{id}/sheet`) on both backends: a street office
//! prints a handled case and gets one self-contained page with its number, its category's
//! names, its text escaped, the report's photo and the after-photo inlined, the staff timeline
//! with who took each step, and the signature lines; the page may run no script. The reporter,
//! another street's office and a missing case get the errors the case's staff view gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::json;

use crate::common::{Backend, TestServer, point_in, problem, two_street_cells};

both_backends!(a_street_office_prints_the_case_sheet_of_a_handled_case);

fn a_street_office_prints_the_case_sheet_of_a_handled_case(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = two_street_cells(8);
    server.import_grid(&admin, "310104", &cells);
    let street = |i: usize| AreaCode::parse(&cells[i].code.to_string()[..9]).unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street: street(0) });
    let elsewhere = server.staff_token(Role::Dispatcher, Scope::Street { street: street(cells.len() - 1) });
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
    let citizen = server.citizen_token();
    let photo = server.upload_photo(&citizen);
    let (lat, lon) = point_in(&cells[0]);
    let receipt = server.report_as(
        &citizen,
        &json!({ "category": "E0101", "description": "垃圾桶满溢 <script>alert(1)</script>",
                 "position": { "lat": lat, "lon": lon }, "photo_ids": [photo] }),
    );
    let id = receipt["id"].as_str().unwrap().to_owned();
    let number = receipt["tracking_number"].as_str().unwrap().to_owned();
    server.step(&dispatcher, &id, &json!({ "action": "register", "note": "居民来电确认" }));
    server.step(&dispatcher, &id, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    server.step(&handler, &id, &json!({ "action": "accept" }));
    let after = server.upload_photo(&handler);
    server.step(&handler, &id, &json!({ "action": "mark_handled", "photo_ids": [after] }));

    // By its tracking number, as the office finds it.
    let response = server.get_as(&dispatcher, &format!("/api/v1/cases/{number}/sheet"));
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'") && !policy.contains("script-src"), "{policy}");
    let page = response.text().unwrap();
    assert!(page.contains(&format!("Case sheet {number}")), "the number is the title");
    assert!(page.contains("E0101") && page.contains("垃圾"), "the category and its name");
    assert!(page.contains("垃圾桶满溢 &lt;script&gt;alert(1)&lt;/script&gt;"), "the text, escaped");
    assert!(!page.contains("<script"), "no script in the page");
    assert_eq!(
        page.matches("src=\"data:image/jpeg;base64,").count(),
        2,
        "the report's photo and the after-photo"
    );
    assert!(page.contains(&photo) && page.contains(&after));
    // Each step in both languages, the state in words.
    for step in ["上报 Reported", "立案 Register", "派遣 Dispatch", "接收 Accept", "处置完成 Mark handled"]
    {
        assert!(page.contains(&format!("<td>{step}</td>")), "the timeline has {step}");
    }
    assert!(page.contains("<td>已处置 Fixed, to be checked</td>"), "the state in words");
    assert!(page.contains("Test dispatcher") && page.contains("Test handler"), "who took the steps, by name");
    assert!(page.contains("居民来电确认"), "the staff note");
    assert!(page.contains("sanitation"), "the handling unit");
    assert!(page.contains("Registered by") && page.contains("Verified by"), "the signature lines");

    // The unit that handled it may print it too; no one outside the case's staff may.
    assert_eq!(server.get_as(&handler, &format!("/api/v1/cases/{id}/sheet")).status(), 200);
    let refused = |token: &str| problem(server.get_as(token, &format!("/api/v1/cases/{id}/sheet")), 403);
    assert_eq!(refused(&citizen)["code"], "out_of_scope", "the reporter reads the case, not its staff sheet");
    assert_eq!(refused(&elsewhere)["code"], "out_of_scope");
    let missing = server.get_as(&dispatcher, "/api/v1/cases/GL-261203-000000/sheet");
    assert_eq!(problem(missing, 404)["code"], "not_found");
    assert_eq!(server.get("/api/v1/cases/GL-261203-000000/sheet").status(), 401);
}
