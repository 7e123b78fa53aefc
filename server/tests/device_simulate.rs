//! `gridline simulate` against a harness server for a few seconds over a lossy network:
//! citizens' and an inspector's device cores file reports, the inspector verifies a handled
//! case from the work list, and the devices' counts match what the server holds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Backend, TestServer, demo_cells, point_in};
use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use gridline_core::codes::CategoryCode;
use gridline_core::device::{
    BackoffPolicy, CaseAction, Device, DeviceConfig, HttpTransport, SyncOutcome, Tokens,
};
use gridline_core::grid::GridCell;
use gridline_core::photo::{PhotoOptions, prepare};
use gridline_core::taxonomy::Taxonomy;
use gridline_core::workflow::{Action, CaseState, Role};
use gridline_server::auth::Scope;
use gridline_server::auth::users::{NewStaff, create_staff};
use gridline_server::cli::simulate::{SimulateArgs, simulate};
use gridline_server::store::Db;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple 42";

/// A staff account with a known password; its login.
fn staff(server: &TestServer, role: Role, scope: Scope) -> String {
    let login = format!("{}{}", role.as_str(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let new = NewStaff {
        login: login.clone(),
        display_name: format!("Test {}", role.as_str()),
        role,
        scope: Some(scope),
        password: Some(PASSWORD.to_owned()),
    };
    create_staff(&mut db.get().unwrap(), new, gridline_server::auth::now()).unwrap();
    login
}

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
    let config = DeviceConfig {
        folder: folder.path().to_owned(),
        server_url: format!("http://{}", server.addr),
        backoff: BackoffPolicy { base: Duration::from_millis(5), max: Duration::from_millis(50) },
    };
    let device = Device::open(config, Arc::new(HttpTransport::default()), taxonomy).unwrap();
    device
        .session()
        .set(Tokens {
            access_token: handler["access_token"].as_str().unwrap().to_owned(),
            refresh_token: handler["refresh_token"].as_str().unwrap().to_owned(),
        })
        .unwrap();
    let step =
        |action| CaseAction { case_id: case_id.clone(), action, reason: None, position: None, rating: None };
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([90, (x * 4) as u8, (y * 5) as u8]));
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    let after_photo = prepare(&jpeg, &PhotoOptions::default()).unwrap();
    device.queue_action(&step(Action::Accept), CaseState::Dispatched, Role::Handler, &[]).unwrap();
    device
        .queue_action(&step(Action::MarkHandled), CaseState::InProgress, Role::Handler, &[after_photo])
        .unwrap();
    assert_eq!(device.sync().sync_until_settled(Duration::from_secs(30)).unwrap(), SyncOutcome::Idle);
    let case: Value = server.get_as(dispatcher, &format!("/api/v1/cases/{case_id}")).json().unwrap();
    assert_eq!(case["state"], "handled", "the handler's device took the case to handled");
    case_id
}

fn case_count(server: &TestServer) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let rows: Vec<Count> =
        diesel::sql_query("SELECT COUNT(*) AS n FROM cases").load(&mut db.get().unwrap()).unwrap();
    rows[0].n
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

    let admin = server.admin_token();
    let case: Value = server.get_as(&admin, &format!("/api/v1/cases/{case_to_verify}")).json().unwrap();
    assert_eq!(case["state"], "closed", "verified on site, the case is closed");
}

both_backends!(a_short_lossy_simulation_matches_the_server);
