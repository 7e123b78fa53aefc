//! The field apps' lists beyond one page, against a real server on both backends: a handling
//! unit with more open cases than the server's largest list page (200) sees every one of them
//! on the phone's work list, read page by page with the case list's cursor, in one refresh;
//! cases dispatched to another unit never arrive.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use common::{Backend, TestServer, demo_cells, point_in};
use gridline_core::device::app::{TaskKind, WorkListIntent};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::json;

use crate::common;
use crate::device_support::platform::staff_phone;

/// More than one page of the case list (its largest is 200).
const UNIT_CASES: usize = 203;

fn a_units_list_longer_than_a_page_reaches_the_phone_whole(backend: Backend) {
    let server = TestServer::start_with(
        backend,
        &[
            ("GRIDLINE_JWT_SECRET", crate::auth_http::SECRET),
            ("GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR", "1000"),
        ],
    );
    let cells = demo_cells(4);
    server.import_grid(&server.admin_token(), "310104", &cells);
    let street = cells[0].code.to_string()[..9].parse().unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
    let citizen = server.citizen_token();
    let (lat, lon) = point_in(&cells[0]);
    let mut ours = BTreeSet::new();
    for n in 0..=UNIT_CASES {
        let receipt = server.report_as(
            &citizen,
            &json!({
                "category": "E0101",
                "description": format!("Bin {n} overflowing"),
                "position": { "lat": lat, "lon": lon, "crs": "wgs84" },
            }),
        );
        let id = receipt["id"].as_str().unwrap().to_owned();
        server.step(&dispatcher, &id, &json!({ "action": "register" }));
        // The last one goes to another unit.
        let unit = if n < UNIT_CASES { "sanitation" } else { "water" };
        server.step(&dispatcher, &id, &json!({ "action": "dispatch", "handling_unit": unit }));
        if n < UNIT_CASES {
            ours.insert(id);
        }
    }

    let folder = tempfile::tempdir().unwrap();
    let phone = staff_phone(folder.path(), &server, Role::Handler, Scope::Unit { unit: "sanitation".into() });

    let work = phone.app.work_list_screen();
    work.send(WorkListIntent::Refresh);
    let rows = work.state().rows;
    let shown: BTreeSet<String> = rows.iter().map(|r| r.case_id.clone()).collect();
    assert_eq!(shown.len(), rows.len(), "each case once");
    assert_eq!(shown, ours, "every case of the unit, across the pages, and no other unit's");
    assert!(rows.iter().all(|r| r.task == TaskKind::Accept));
    let pages = phone
        .net
        .sent
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("/api/v1/cases?") && l.contains("cursor="))
        .count();
    assert!(pages >= 1, "the second page was asked for with the cursor");
}

both_backends!(a_units_list_longer_than_a_page_reaches_the_phone_whole);
