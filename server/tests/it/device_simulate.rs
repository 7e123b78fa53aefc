//! `gridline simulate` against a harness server for a few seconds over a lossy network:
//! citizens' and an inspector's device cores file reports, the inspector patrols (a track kept
//! on the device and uploaded with every sync) and verifies a handled case from the work list,
//! and the devices' counts match what the server holds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::device_support;

use std::time::Duration;

use common::{Backend, TestServer, demo_cells, point_in};
use device_support::{PASSWORD, case_count, keep_tokens, open_device, row_count, sample_photo, staff};
use gridline_core::codes::CategoryCode;
use gridline_core::device::{CaseAction, SyncOutcome};
use gridline_core::grid::GridCell;
use gridline_core::taxonomy::Taxonomy;
use gridline_core::workflow::{Action, CaseState, Role};
use gridline_server::auth::Scope;
use gridline_server::cli::simulate::{SimulateArgs, simulate};
use serde_json::{Value, json};

fn login(server: &TestServer, login: &str) -> Value {
    let response = server.post_json("/api/v1/auth/login", &json!({ "login": login, "password": PASSWORD }));
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

fn act(server: &TestServer, token: &str, case_id: &str, body: &Value) {
    let response = server
        .client
        .post(server.url(&format!("/api/v1/cases/{case_id}/actions")))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{body}: {}", response.text().unwrap());
}

/// A case in `cell` taken to `handled`: reported by a citizen, registered and dispatched over
/// HTTP, accepted and handled (with an after-photo) from a handler's device.
fn handled_case(server: &TestServer, cell: &GridCell) -> String {
    let category = "E0101";
    let taxonomy = Taxonomy::default_taxonomy().unwrap();
    let unit = taxonomy.get(CategoryCode::parse(category).unwrap()).unwrap().default_unit.clone().unwrap();
    let (lat, lon) = point_in(cell);
    let citizen = server.citizen_token();
    let receipt: Value = server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(&citizen)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(&json!({
            "category": category,
            "description": "Overflowing rubbish bin",
            "position": { "lat": lat, "lon": lon, "crs": "wgs84" },
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let case_id = receipt["id"].as_str().unwrap().to_owned();
    let street = cell.code.to_string()[..9].parse().unwrap();
    let dispatcher = login(server, &staff(server, Role::Dispatcher, Scope::Street { street }));
    let dispatcher = dispatcher["access_token"].as_str().unwrap();
    act(server, dispatcher, &case_id, &json!({ "action": "register" }));
    act(server, dispatcher, &case_id, &json!({ "action": "dispatch", "handling_unit": unit }));

    let handler = login(server, &staff(server, Role::Handler, Scope::Unit { unit }));
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), &format!("http://{}", server.addr));
    keep_tokens(&device, &handler);
    let step = |action| CaseAction {
        case_id: case_id.clone(),
        action,
        reason: None,
        position: None,
        rating: None,
        comment: None,
    };
    let after_photo = sample_photo(90);
    device.queue_action(&step(Action::Accept), CaseState::Dispatched, Role::Handler, &[]).unwrap();
    device
        .queue_action(&step(Action::MarkHandled), CaseState::InProgress, Role::Handler, &[after_photo])
        .unwrap();
    assert_eq!(device.sync().sync_until_settled(Duration::from_secs(30)).unwrap(), SyncOutcome::Idle);
    let case: Value = server.get_as(dispatcher, &format!("/api/v1/cases/{case_id}")).json().unwrap();
    assert_eq!(case["state"], "handled", "the handler's device took the case to handled");
    case_id
}

fn a_short_lossy_simulation_matches_the_server(backend: Backend) {
    let server = TestServer::start(backend);
    let cells = demo_cells(30);
    server.import_grid(&server.admin_token(), "310104", &cells);
    let inspector =
        staff(&server, Role::Inspector, Scope::Grids { grids: cells.iter().map(|c| c.code).collect() });
    let case_to_verify = handled_case(&server, &cells[3]);

    let args = SimulateArgs {
        server: format!("http://{}", server.addr),
        citizens: 3,
        inspectors: 1,
        minutes: 0.05,
        drop_rate: 0.3,
        seed: 11,
        pause_ms: 150,
        inspector_login: Some(inspector),
        inspector_password: Some(PASSWORD.to_owned()),
        city_cells: 30,
        city_seed: 7,
        fleet: Default::default(),
    };
    let report = simulate(&args).unwrap();

    assert!(report.sent >= 4, "everyone filed at least once: {report:?}");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    assert_eq!((report.acknowledged, report.confirmed), (report.sent, report.sent), "{report:?}");
    assert_eq!(report.placed_inside, report.sent, "every report lands inside a grid cell");
    assert_eq!(report.parked, 0, "nothing refused: {report:?}");
    assert!(report.dropped_before + report.dropped_after > 0, "the network lost requests: {report:?}");
    assert!(report.worklist_available && report.worklist_fetches > 0);
    assert_eq!(report.verifications, 1, "the inspector verified the handled case once");
    assert_eq!(case_count(&server), report.sent as i64 + 1, "each simulated report exactly once");
    // One simulated inspector: every position recorded is on the server exactly once, however
    // many batches the lossy network made the device send again.
    assert!(report.track_recorded > 0, "the inspector patrolled: {report:?}");
    assert_eq!(report.track_acknowledged, report.track_recorded, "{report:?}");
    assert_eq!(row_count(&server, "patrol_positions"), report.track_recorded as i64, "{report:?}");

    let admin = server.admin_token();
    let case: Value = server.get_as(&admin, &format!("/api/v1/cases/{case_to_verify}")).json().unwrap();
    assert_eq!(case["state"], "closed", "verified on site, the case is closed");
}

both_backends!(a_short_lossy_simulation_matches_the_server);
