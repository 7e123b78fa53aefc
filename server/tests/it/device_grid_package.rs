//! The device core's offline grid package and sign-out against a real server: the first
//! download routes every point as `/api/v1/grids/route` does, checking again costs a 304, a grid
//! import makes the next check download the new revision, and a client reopened on the same
//! folder with no network still routes; signing out revokes the refresh token on the server
//! (and offline, forgets it on the phone all the same).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::device_support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Backend, TestServer, demo_cells, point_in, two_street_cells};
use device_support::{PASSWORD, keep_tokens, staff};
use gridline_core::device::{
    BackoffPolicy, Device, DeviceConfig, Error, HttpRequest, HttpResponse, HttpTransport, Tokens, Transport,
    TransportError,
};
use gridline_core::geo::{Crs, GeoPoint};
use gridline_core::grid::{GridCell, Route};
use gridline_core::taxonomy::Taxonomy;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::auth::jwt::AccessTokenKeys;
use serde_json::{Value, json};

/// One exchange as the phone saw it: method and path, the `If-None-Match` it sent, the status.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exchange {
    line: String,
    if_none_match: Option<String>,
    status: u16,
}

/// A transport that records every exchange and can be switched off (no signal).
#[derive(Default)]
struct Recording {
    inner: HttpTransport,
    seen: Mutex<Vec<Exchange>>,
    offline: Mutex<bool>,
}

impl Recording {
    fn offline() -> Arc<Self> {
        let net = Self::default();
        *net.offline.lock().unwrap() = true;
        Arc::new(net)
    }

    fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Transport for Recording {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if *self.offline.lock().unwrap() {
            return Err(TransportError::Unreachable { message: "no signal".into() });
        }
        let path = request.url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default();
        let line = format!("{} {path}", request.method);
        let if_none_match = request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("if-none-match"))
            .map(|h| h.value.clone());
        let response = self.inner.send(request)?;
        self.seen.lock().unwrap().push(Exchange { line, if_none_match, status: response.status });
        Ok(response)
    }
}

fn open(folder: &Path, server: &TestServer, transport: Arc<Recording>) -> Device {
    let config = DeviceConfig {
        folder: folder.to_owned(),
        server_url: format!("http://{}", server.addr),
        backoff: BackoffPolicy { base: Duration::from_millis(5), max: Duration::from_millis(50) },
    };
    Device::open(config, transport, Taxonomy::default_taxonomy().unwrap()).unwrap()
}

fn login(server: &TestServer, login: &str) -> Value {
    let response = server.post_json("/api/v1/auth/login", &json!({ "login": login, "password": PASSWORD }));
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

/// Points to compare: one inside each cell, each cell's first vertex (on a boundary), a point
/// just outside the city's first cell, and one far from every cell.
fn probes(cells: &[GridCell]) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = cells.iter().map(point_in).collect();
    for cell in cells {
        let [lon, lat] = cell.geometry.polygons()[0][0][0];
        points.push((lat, lon));
    }
    let [lon, lat] = cells[0].geometry.polygons()[0][0][0];
    points.push((lat - 0.0002, lon - 0.0002));
    points.push((-33.86, 151.21));
    points
}

/// `(grid, outcome)` as the server routes the point, `None` for its triage answer.
fn server_route(server: &TestServer, (lat, lon): (f64, f64)) -> Option<(String, String)> {
    let response = server.get(&format!("/api/v1/grids/route?lat={lat}&lon={lon}"));
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    let placement = &body["placement"];
    let grid = placement["grid"].as_str()?;
    Some((grid.to_owned(), placement["outcome"].as_str().unwrap().to_owned()))
}

/// `(grid, how)` as the phone routes the point with its stored package.
fn phone_route(device: &Device, (lat, lon): (f64, f64)) -> Option<(String, String)> {
    let point = GeoPoint::new(lat, lon).unwrap();
    match device.route_offline(point, Crs::Wgs84).unwrap().expect("a stored package") {
        Route::Cell { code, how } => Some((code.to_string(), how.as_str().to_owned())),
        Route::Unroutable => None,
    }
}

fn assert_routes_like_the_server(device: &Device, server: &TestServer, cells: &[GridCell]) {
    let mut routed = 0;
    for point in probes(cells) {
        let expected = server_route(server, point);
        routed += usize::from(expected.is_some());
        assert_eq!(phone_route(device, point), expected, "at {point:?}");
    }
    assert!(routed > cells.len(), "the probes reach the cells ({routed} routed)");
}

const PACKAGE_GET: &str = "GET /api/v1/grids/package";

fn the_grid_package_follows_the_server_and_routes_offline_after_a_restart(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let first_cells = demo_cells(12);
    server.import_grid(&admin, "310104", &first_cells);

    let folder = tempfile::tempdir().unwrap();
    let net = Arc::new(Recording::default());
    let device = open(folder.path(), &server, net.clone());
    let grids = Scope::Grids { grids: [first_cells[0].code].into_iter().collect() };
    keep_tokens(&device, &login(&server, &staff(&server, Role::Inspector, grids)));
    let point = GeoPoint::new(point_in(&first_cells[0]).0, point_in(&first_cells[0]).1).unwrap();
    assert_eq!(device.route_offline(point, Crs::Wgs84).unwrap(), None, "nothing to route with yet");

    // The first download: the whole city, routing exactly as the server does.
    let first = device.refresh_grid_package().unwrap();
    assert!(first.changed);
    assert_eq!(first.cells, first_cells.len());
    let first_revision = first.revision.clone().expect("the server names the revision");
    assert_eq!(net.take(), [Exchange { line: PACKAGE_GET.into(), if_none_match: None, status: 200 }]);
    assert_routes_like_the_server(&device, &server, &first_cells);

    // Checking again: the stored ETag goes out and an unchanged grid costs a 304.
    let again = device.refresh_grid_package().unwrap();
    assert_eq!((again.changed, again.revision.as_deref(), again.cells), (false, Some(&*first_revision), 12));
    let exchanges = net.take();
    assert_eq!(exchanges.len(), 1);
    assert_eq!((exchanges[0].line.as_str(), exchanges[0].status), (PACKAGE_GET, 304));
    let tag = exchanges[0].if_none_match.clone().expect("the stored ETag is sent");
    assert!(tag.contains(&first_revision), "{tag}");

    // The city imports a new grid: the next check downloads the new revision.
    let second_cells = two_street_cells(16);
    server.import_grid(&admin, "310104", &second_cells);
    let second = device.refresh_grid_package().unwrap();
    assert!(second.changed);
    assert_eq!(second.cells, second_cells.len());
    assert_ne!(second.revision.as_deref(), Some(&*first_revision));
    let exchanges = net.take();
    assert_eq!(exchanges.len(), 1);
    assert_eq!((exchanges[0].if_none_match.as_deref(), exchanges[0].status), (Some(&*tag), 200));
    assert_routes_like_the_server(&device, &server, &second_cells);
    assert!(!device.refresh_grid_package().unwrap().changed);
    net.take();

    // The app restarts with no network: the stored package still routes, without a request,
    // and a check fails as a network error that leaves the package in place.
    drop(device);
    let offline = Recording::offline();
    let reopened = open(folder.path(), &server, offline.clone());
    assert_routes_like_the_server(&reopened, &server, &second_cells);
    assert!(matches!(reopened.refresh_grid_package(), Err(Error::Transport(_))));
    assert_eq!(reopened.grid_index().unwrap().unwrap().len(), second_cells.len());
    assert!(offline.take().is_empty());
    assert!(
        std::fs::read_dir(folder.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")),
        "no temporary file is left behind"
    );

    // A phone nobody is signed in on fetches the public package too.
    let anonymous_folder = tempfile::tempdir().unwrap();
    let anonymous = open(anonymous_folder.path(), &server, Arc::new(Recording::default()));
    assert_eq!(anonymous.refresh_grid_package().unwrap().revision, second.revision);
    assert_routes_like_the_server(&anonymous, &server, &second_cells);
}

/// The signing secret of the server in the stale-session test, so it can mint an expired token.
const SECRET: &str = "device-grid-package-secret-at-least-32-bytes";

fn a_stale_session_does_not_stand_in_the_way_of_the_public_package(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_JWT_SECRET", SECRET)]);
    let cells = demo_cells(6);
    server.import_grid(&server.admin_token(), "310104", &cells);
    let response = server.client.post(server.url("/api/v1/auth/anonymous")).send().unwrap();
    let answer: Value = response.json().unwrap();
    let user = &answer["user"];
    let role: Role = serde_json::from_value(user["role"].clone()).unwrap();
    let scope: Scope = serde_json::from_value(user["scope"].clone()).unwrap();
    let keys = AccessTokenKeys::from_secret(SECRET.as_bytes()).unwrap();
    let expired =
        keys.issue(user["id"].as_str().unwrap(), role, &scope, gridline_server::auth::now() - 3600).unwrap();

    let folder = tempfile::tempdir().unwrap();
    let net = Arc::new(Recording::default());
    let device = open(folder.path(), &server, net.clone());
    let refresh_token = answer["refresh_token"].as_str().unwrap().to_owned();
    device.session().set(Tokens { access_token: expired.clone(), refresh_token }).unwrap();
    // The package is public: the server reads no token for it, so an expired one costs
    // neither a refusal nor a refresh (a 401 would be renewed once, as for the pulls).
    assert!(device.refresh_grid_package().unwrap().changed);
    assert_eq!(device.session().refresh_count(), 0);
    assert_eq!(
        net.take().into_iter().map(|e| (e.line, e.status)).collect::<Vec<_>>(),
        [(PACKAGE_GET.to_owned(), 200)]
    );
    assert_routes_like_the_server(&device, &server, &cells);
}

fn a_server_without_a_grid_refuses_and_nothing_is_stored(backend: Backend) {
    let server = TestServer::start(backend);
    let folder = tempfile::tempdir().unwrap();
    let device = open(folder.path(), &server, Arc::new(Recording::default()));
    let Err(Error::Refused { problem, .. }) = device.refresh_grid_package() else {
        panic!("an empty grid is refused")
    };
    assert_eq!((problem.status, problem.code.as_str()), (404, "not_found"));
    assert!(device.grid_index().unwrap().is_none());
}

fn refresh_with(server: &TestServer, refresh_token: &str) -> u16 {
    server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": refresh_token })).status().as_u16()
}

fn sign_in_anonymous(server: &TestServer, device: &Device) -> String {
    let response = server.client.post(server.url("/api/v1/auth/anonymous")).send().unwrap();
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().unwrap();
    keep_tokens(device, &answer);
    answer["refresh_token"].as_str().unwrap().to_owned()
}

fn signing_out_revokes_the_refresh_token_on_the_server(backend: Backend) {
    let server = TestServer::start(backend);

    let folder = tempfile::tempdir().unwrap();
    let net = Arc::new(Recording::default());
    let device = open(folder.path(), &server, net.clone());
    let refresh_token = sign_in_anonymous(&server, &device);
    assert!(device.sign_out().unwrap(), "the server confirmed the revocation");
    assert!(device.session().access_token().is_none());
    assert_eq!(
        net.take(),
        [Exchange { line: "POST /api/v1/auth/logout".into(), if_none_match: None, status: 204 }]
    );
    let refused = common::problem(
        server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": refresh_token })),
        401,
    );
    assert_eq!(refused["code"], "refresh_invalid");
    // Signed out already: nothing to revoke, nothing sent.
    assert!(!device.sign_out().unwrap());
    assert!(net.take().is_empty());
    // A reopened client stays signed out.
    drop(device);
    assert!(open(folder.path(), &server, net.clone()).session().access_token().is_none());

    // Offline, the session is forgotten on the phone all the same; the server never heard, so
    // the token is not revoked there (what the doc comment promises, and no more).
    let offline_folder = tempfile::tempdir().unwrap();
    let offline_net = Recording::offline();
    let offline = open(offline_folder.path(), &server, offline_net);
    let kept = sign_in_anonymous(&server, &offline);
    assert!(!offline.sign_out().unwrap());
    assert!(offline.session().access_token().is_none());
    drop(offline);
    assert!(open(offline_folder.path(), &server, Recording::offline()).session().access_token().is_none());
    assert_eq!(refresh_with(&server, &kept), 200);
}

both_backends!(
    the_grid_package_follows_the_server_and_routes_offline_after_a_restart,
    a_server_without_a_grid_refuses_and_nothing_is_stored,
    a_stale_session_does_not_stand_in_the_way_of_the_public_package,
    signing_out_revokes_the_refresh_token_on_the_server
);
