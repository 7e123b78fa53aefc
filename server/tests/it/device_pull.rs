//! The device core's incremental pull against a real server: an inspector's phone offline for a
//! day catches up on its work list in one request, staff changes (registering a case takes it
//! off the list) show after the pull, a citizen sees their reports' new states, the cursor
//! resumes after the app is reopened and the cache is still there offline; and an expired
//! access token is refreshed once, after which the pull and the outbox go on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::device_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{Backend, TestServer, demo_cells, point_in};
use device_support::{PASSWORD, Recording, keep_tokens, sample_photo, staff};
use gridline_core::device::{
    BackoffPolicy, Device, DeviceConfig, DraftFields, HttpRequest, PullList, SyncOutcome, SyncState, Tokens,
};
use gridline_core::geo::Crs;
use gridline_core::grid::GridCell;
use gridline_core::taxonomy::Taxonomy;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::auth::jwt::AccessTokenKeys;
use serde_json::{Value, json};

/// The signing secret the servers of these tests run with, so a test can mint an expired token.
const SECRET: &str = "device-pull-test-secret-at-least-32-bytes";

fn open(folder: &Path, server: &TestServer, transport: Arc<Recording>, lists: &[PullList]) -> Device {
    let config = DeviceConfig {
        folder: folder.to_owned(),
        server_url: format!("http://{}", server.addr),
        backoff: BackoffPolicy { base: Duration::from_millis(5), max: Duration::from_millis(50) },
    };
    let device = Device::open(config, transport, Taxonomy::default_taxonomy().unwrap()).unwrap();
    device.sync().set_pull_lists(lists);
    device
}

fn start(backend: Backend) -> (TestServer, Vec<GridCell>) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_JWT_SECRET", SECRET)]);
    let cells = demo_cells(12);
    server.import_grid(&server.admin_token(), "310104", &cells);
    (server, cells)
}

fn sign_in_anonymous(server: &TestServer) -> Value {
    let response = server.client.post(server.url("/api/v1/auth/anonymous")).send().unwrap();
    assert_eq!(response.status(), 201);
    response.json().unwrap()
}

fn login(server: &TestServer, login: &str) -> Value {
    let response = server.post_json("/api/v1/auth/login", &json!({ "login": login, "password": PASSWORD }));
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

/// Files one report inside `cell` from `device` and sends it; the case id.
fn file_report(device: &Device, cell: &GridCell, n: u8) -> String {
    let (lat, lon) = point_in(cell);
    let fields = DraftFields {
        category: Some("E0101".into()),
        description: format!("Overflowing rubbish bin {n}"),
        position: Some(gridline_core::device::Position { lat, lon, crs: Crs::Wgs84, accuracy_m: Some(5.0) }),
        ..DraftFields::default()
    };
    let draft = device.store().create_draft(&fields).unwrap();
    device.store().add_photo(&draft.id, &sample_photo(n)).unwrap();
    let item = device.submit(&draft.id).unwrap();
    assert_eq!(device.sync().sync_until_settled(Duration::from_secs(30)).unwrap(), SyncOutcome::Idle);
    let delivered = device.store().outbox(true).unwrap().into_iter().find(|i| i.id == item.id).unwrap();
    let receipt: Value = serde_json::from_str(delivered.server_result.as_deref().unwrap()).unwrap();
    receipt["id"].as_str().unwrap().to_owned()
}

fn register(server: &TestServer, dispatcher: &str, case_id: &str) {
    step(server, dispatcher, case_id, &json!({ "action": "register" }));
}

fn step(server: &TestServer, dispatcher: &str, case_id: &str, body: &Value) {
    let response = server
        .client
        .post(server.url(&format!("/api/v1/cases/{case_id}/actions")))
        .bearer_auth(dispatcher)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
}

fn ids_and_states(device: &Device, list: PullList) -> Vec<(String, String)> {
    let mut cached: Vec<(String, String)> =
        device.store().cached_cases(list).unwrap().into_iter().map(|c| (c.id, c.state)).collect();
    cached.sort();
    cached
}

fn pairs(ids: &[&String], state: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = ids.iter().map(|id| ((*id).clone(), state.to_owned())).collect();
    pairs.sort();
    pairs
}

fn a_phone_offline_for_a_day_catches_up_in_one_request(backend: Backend) {
    let (server, cells) = start(backend);
    let cell = &cells[2];
    let street = cell.code.to_string()[..9].parse().unwrap();
    let dispatcher = login(&server, &staff(&server, Role::Dispatcher, Scope::Street { street }));
    let dispatcher = dispatcher["access_token"].as_str().unwrap();

    // A citizen files three reports; the pass that sends them also pulls the citizen's list.
    let citizen_folder = tempfile::tempdir().unwrap();
    let citizen_net = Arc::new(Recording::default());
    let citizen = open(citizen_folder.path(), &server, citizen_net.clone(), &[PullList::MyReports]);
    let citizen_token = keep_tokens(&citizen, &sign_in_anonymous(&server));
    let refused = common::problem(server.get_as(&citizen_token, "/api/v1/reports/mine?cursor=-1"), 400);
    assert_eq!(refused["field"], "cursor");
    let first: Vec<String> = (0..3).map(|n| file_report(&citizen, cell, n)).collect();
    assert_eq!(
        ids_and_states(&citizen, PullList::MyReports),
        pairs(&first.iter().collect::<Vec<_>>(), "reported")
    );

    // The inspector's phone pulls its whole list once.
    let inspector_folder = tempfile::tempdir().unwrap();
    let inspector_net = Arc::new(Recording::default());
    let inspector = open(
        inspector_folder.path(),
        &server,
        inspector_net.clone(),
        &[PullList::Worklist, PullList::MyReports],
    );
    let grids = Scope::Grids { grids: [cell.code].into_iter().collect() };
    keep_tokens(&inspector, &login(&server, &staff(&server, Role::Inspector, grids)));
    assert_eq!(inspector.sync().sync_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(
        ids_and_states(&inspector, PullList::Worklist),
        pairs(&first.iter().collect::<Vec<_>>(), "reported")
    );
    let day_start = inspector.store().pull_cursor(PullList::Worklist).unwrap();
    assert!(day_start > 0);
    assert_eq!(
        Recording::gets_of(&inspector_net.take(), "/api/v1/worklist"),
        ["GET /api/v1/worklist?cursor=0"]
    );

    // Offline for the day: the inspector's phone has no signal while the office works.
    *inspector_net.offline.lock().unwrap() = true;
    assert!(matches!(inspector.sync().sync_once().unwrap(), SyncOutcome::RetryIn(_)));
    assert!(matches!(inspector.sync_state(), SyncState::WaitingForNetwork { .. }));
    step(&server, dispatcher, &first[0], &json!({ "action": "reject", "reason": "not a public matter" }));
    register(&server, dispatcher, &first[1]);
    let later: Vec<String> = (10..14).map(|n| file_report(&citizen, cell, n)).collect();
    let off_cell = file_report(&citizen, &cells[7], 20);

    // Signal again: one request brings the list up to date (one taken off, one registered,
    // four new).
    *inspector_net.offline.lock().unwrap() = false;
    assert_eq!(inspector.sync().pull_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(inspector.sync_state(), SyncState::Idle);
    let requests = inspector_net.take();
    assert_eq!(
        Recording::gets_of(&requests, "/api/v1/worklist"),
        [format!("GET /api/v1/worklist?cursor={day_start}")]
    );
    let mut expected: Vec<&String> = later.iter().collect();
    expected.push(&first[2]);
    let mut expected = pairs(&expected, "reported");
    expected.push((first[1].clone(), "registered".to_owned()));
    expected.sort();
    assert_eq!(ids_and_states(&inspector, PullList::Worklist), expected);
    assert!(inspector.store().cached_case(PullList::Worklist, &first[0]).unwrap().is_none());
    assert!(inspector.store().cached_case(PullList::Worklist, &off_cell).unwrap().is_none());
    let detail = inspector.store().cached_case(PullList::Worklist, &later[0]).unwrap().unwrap();
    let detail: Value = serde_json::from_str(&detail.json).unwrap();
    assert_eq!(detail["id"], later[0].as_str());
    assert_eq!(detail["placement"]["grid"], cell.code.to_string(), "the staff view of the case: {detail}");

    // The citizen's list shows the office's steps after one incremental request.
    let before = citizen.store().pull_cursor(PullList::MyReports).unwrap();
    citizen_net.take();
    assert_eq!(citizen.sync().pull_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(
        Recording::gets_of(&citizen_net.take(), "/api/v1/reports/mine"),
        [format!("GET /api/v1/reports/mine?cursor={before}&limit=200")]
    );
    let registered = citizen.store().cached_case(PullList::MyReports, &first[1]).unwrap().unwrap();
    assert_eq!(registered.state, "registered");
    assert_eq!(citizen.store().cached_cases(PullList::MyReports).unwrap().len(), 8);

    // Reopened (the app was killed): the cache is there without a network, and the next pull
    // resumes from the stored cursor and changes nothing.
    let cursor = inspector.store().pull_cursor(PullList::Worklist).unwrap();
    let cached = ids_and_states(&inspector, PullList::Worklist);
    drop(inspector);
    let reopened_net = Arc::new(Recording::default());
    *reopened_net.offline.lock().unwrap() = true;
    let reopened = open(
        inspector_folder.path(),
        &server,
        reopened_net.clone(),
        &[PullList::Worklist, PullList::MyReports],
    );
    assert_eq!(ids_and_states(&reopened, PullList::Worklist), cached);
    assert_eq!(reopened.store().pull_cursor(PullList::Worklist).unwrap(), cursor);
    *reopened_net.offline.lock().unwrap() = false;
    assert_eq!(reopened.sync().pull_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(
        Recording::gets_of(&reopened_net.take(), "/api/v1/worklist"),
        [format!("GET /api/v1/worklist?cursor={cursor}")]
    );
    assert_eq!(ids_and_states(&reopened, PullList::Worklist), cached);
}

/// A device signed in as a fresh anonymous citizen whose access token expired an hour ago
/// (minted with the server's key) while its refresh token is still good; and that token.
fn device_with_expired_token(server: &TestServer, folder: &Path, net: Arc<Recording>) -> (Device, String) {
    let answer = sign_in_anonymous(server);
    let user = &answer["user"];
    let role: Role = serde_json::from_value(user["role"].clone()).unwrap();
    let scope: Scope = serde_json::from_value(user["scope"].clone()).unwrap();
    let keys = AccessTokenKeys::from_secret(SECRET.as_bytes()).unwrap();
    let an_hour_ago = gridline_server::auth::now() - 3600;
    let expired = keys.issue(user["id"].as_str().unwrap(), role, &scope, an_hour_ago).unwrap();
    assert_eq!(server.get_as(&expired, "/api/v1/reports/mine").status(), 401, "the token has expired");
    let device = open(folder, server, net, &[PullList::MyReports]);
    let refresh_token = answer["refresh_token"].as_str().unwrap().to_owned();
    device.session().set(Tokens { access_token: expired.clone(), refresh_token }).unwrap();
    (device, expired)
}

fn an_expired_access_token_is_refreshed_once_and_the_pull_goes_on(backend: Backend) {
    let (server, cells) = start(backend);
    let folder = tempfile::tempdir().unwrap();
    let net = Arc::new(Recording::default());
    let (device, expired) = device_with_expired_token(&server, folder.path(), net.clone());

    assert_eq!(device.sync().pull_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(device.session().refresh_count(), 1);
    let requests = net.take();
    assert_eq!(
        requests,
        [
            "GET /api/v1/reports/mine?cursor=0&limit=200",
            "POST /api/v1/auth/refresh",
            "GET /api/v1/reports/mine?cursor=0&limit=200"
        ]
    );
    let fresh = device.session().access_token().unwrap();
    assert_ne!(fresh, expired);
    assert_eq!(server.get_as(&fresh, "/api/v1/reports/mine").status(), 200);

    // The outbox and later pulls use the refreshed token: no second refresh.
    let case_id = file_report(&device, &cells[1], 1);
    assert_eq!(device.session().refresh_count(), 1);
    assert_eq!(device.store().cached_case(PullList::MyReports, &case_id).unwrap().unwrap().state, "reported");

    // Calls outside the outbox and the pull (the simulator's list reads) refresh the same way.
    let other_folder = tempfile::tempdir().unwrap();
    let (other, expired) =
        device_with_expired_token(&server, other_folder.path(), Arc::new(Recording::default()));
    let request = HttpRequest {
        method: "GET".into(),
        url: server.url("/api/v1/reports/mine?limit=5"),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let response = other.sync().send_authorized(request.clone()).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(other.session().refresh_count(), 1);
    let fresh = other.session().access_token().unwrap();
    assert_ne!(fresh, expired);
    assert_eq!(other.sync().send_authorized(request).unwrap().status, 200);
    assert_eq!(other.session().access_token().unwrap(), fresh, "a valid token is not refreshed");
}

both_backends!(
    a_phone_offline_for_a_day_catches_up_in_one_request,
    an_expired_access_token_is_refreshed_once_and_the_pull_goes_on
);
