//! The device's pull of the work list through a [`Transport`] that plays the server's cursor
//! protocol in memory: a backlog longer than one page is followed page by page, a network
//! failure in the middle keeps what was applied and the next pass resumes from that cursor
//! (also after the store is reopened), the listener hears the pull as steps after the outbox,
//! and a 401 during a pull refreshes the session once. The same pull against the real server
//! is tested in `server/tests/it/device_pull.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridline_core::device::{
    BackoffPolicy, Device, DeviceConfig, HttpRequest, HttpResponse, PullList, SyncListener, SyncOutcome,
    SyncState, Tokens, Transport, TransportError,
};
use gridline_core::taxonomy::Taxonomy;
use serde_json::{Value, json};

/// Events per incremental page (the real server's is 1,000).
const PAGE: usize = 2;

/// The work list's server side: an event log of `(case id, state after)` numbered from 1.
#[derive(Default)]
struct ListServer {
    events: Vec<(String, String)>,
    /// Requests to fail with no answer, counted down.
    fail_next: usize,
    /// Access tokens the server accepts.
    valid_token: String,
    requests: Vec<String>,
    refreshes: usize,
}

#[derive(Default)]
struct Scripted(Mutex<ListServer>);

fn on_list(state: &str) -> bool {
    state == "reported" || state == "handled"
}

/// A staff case view with what every answer carries (core's `CaseView`).
fn case(id: &str, state: &str) -> Value {
    let created_at = format!("2026-11-01T00:00:00.{:0>3}Z", &id[1..]);
    json!({
        "id": id, "tracking_number": format!("T-{id}"), "state": state, "category": "E0101",
        "placement": { "outcome": "in_grid" }, "description": "d", "created_at": created_at,
        "updated_at": created_at, "version": 1, "overdue": false, "view": "staff",
        "position": { "lat": 39.9, "lon": 116.4 },
    })
}

impl ListServer {
    fn current(&self) -> Vec<(String, String)> {
        let mut latest: Vec<(String, String)> = Vec::new();
        for (id, state) in &self.events {
            latest.retain(|(other, _)| other != id);
            latest.push((id.clone(), state.clone()));
        }
        latest
    }

    fn worklist(&self, cursor: usize) -> Value {
        let latest = self.events.len();
        if cursor == 0 {
            let items: Vec<Value> = self
                .current()
                .iter()
                .filter(|(_, s)| on_list(s))
                .map(|(id, s)| json!({ "change": "upsert", "case": case(id, s) }))
                .collect();
            return json!({ "full": true, "items": items, "next_cursor": latest, "more": false });
        }
        let page: Vec<&(String, String)> = self.events.iter().skip(cursor).take(PAGE).collect();
        let more = page.len() == PAGE && cursor + PAGE < latest;
        let through = if more { cursor + PAGE } else { latest.max(cursor) };
        let mut ids: Vec<&String> = page.iter().map(|(id, _)| id).collect();
        ids.dedup();
        let now: Vec<(String, String)> =
            self.events.iter().take(through).fold(Vec::new(), |mut acc: Vec<(String, String)>, (id, s)| {
                acc.retain(|(other, _)| other != id);
                acc.push((id.clone(), s.clone()));
                acc
            });
        let items: Vec<Value> = ids
            .iter()
            .map(|id| {
                let state = &now.iter().find(|(other, _)| other == *id).unwrap().1;
                if on_list(state) {
                    json!({ "change": "upsert", "case": case(id, state) })
                } else {
                    json!({ "change": "removed", "id": id, "state": state })
                }
            })
            .collect();
        json!({ "full": false, "items": items, "next_cursor": through, "more": more })
    }
}

fn answer(status: u16, body: &Value) -> HttpResponse {
    HttpResponse { status, headers: Vec::new(), body: body.to_string().into_bytes() }
}

impl Transport for Scripted {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut server = self.0.lock().unwrap();
        let path = request.url.split_once("://").unwrap().1.split_once('/').unwrap().1.to_owned();
        server.requests.push(format!("{} /{path}", request.method));
        if server.fail_next > 0 {
            server.fail_next -= 1;
            return Err(TransportError::Unreachable { message: "no signal".into() });
        }
        if path == "api/v1/auth/refresh" {
            server.refreshes += 1;
            server.valid_token = format!("access-{}", server.refreshes);
            let body = json!({ "access_token": server.valid_token, "refresh_token": format!("refresh-{}", server.refreshes) });
            return Ok(answer(200, &body));
        }
        let bearer = request.headers.iter().find(|h| h.name == "Authorization").map(|h| h.value.clone());
        if bearer != Some(format!("Bearer {}", server.valid_token)) {
            return Ok(answer(401, &json!({ "code": "token_expired" })));
        }
        let cursor: usize = path.split_once("cursor=").unwrap().1.split('&').next().unwrap().parse().unwrap();
        Ok(answer(200, &server.worklist(cursor)))
    }
}

fn open(folder: &Path, transport: Arc<dyn Transport>) -> Device {
    let config = DeviceConfig {
        folder: folder.to_owned(),
        server_url: "http://gridline.test".into(),
        backoff: BackoffPolicy { base: Duration::from_millis(1), max: Duration::from_millis(5) },
    };
    let device = Device::open(config, transport, Taxonomy::default_taxonomy().unwrap()).unwrap();
    device.sync().set_pull_lists(&[PullList::Worklist]);
    device
}

/// A scripted server, and a device on a fresh store in its own folder, signed in to it.
fn signed_in_device() -> (Arc<Scripted>, tempfile::TempDir, Device) {
    let server = Arc::new(Scripted::default());
    let folder = tempfile::tempdir().unwrap();
    let device = open(folder.path(), server.clone());
    server.0.lock().unwrap().valid_token = "access-0".into();
    device
        .session()
        .set(Tokens { access_token: "access-0".into(), refresh_token: "refresh-0".into() })
        .unwrap();
    (server, folder, device)
}

fn cached(device: &Device) -> Vec<(String, String)> {
    let mut cached: Vec<(String, String)> = device
        .store()
        .cached_cases(PullList::Worklist)
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.state))
        .collect();
    cached.sort();
    cached
}

fn log(server: &Scripted, events: &[(&str, &str)]) {
    let mut server = server.0.lock().unwrap();
    server.events.extend(events.iter().map(|(id, s)| ((*id).to_owned(), (*s).to_owned())));
}

fn take_requests(server: &Scripted) -> Vec<String> {
    std::mem::take(&mut server.0.lock().unwrap().requests)
}

#[derive(Default)]
struct Recorder(Mutex<Vec<SyncState>>);

impl SyncListener for Recorder {
    fn on_state_changed(&self, state: SyncState) {
        self.0.lock().unwrap().push(state);
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        items.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    pairs.sort();
    pairs
}

#[test]
fn a_long_backlog_is_followed_page_by_page() {
    let (server, _folder, device) = signed_in_device();
    log(&server, &[("C1", "reported"), ("C2", "reported")]);

    let recorder = Arc::new(Recorder::default());
    let subscription = device.subscribe(recorder.clone());
    assert_eq!(device.sync().sync_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(cached(&device), pairs(&[("C1", "reported"), ("C2", "reported")]));
    assert_eq!(
        *recorder.0.lock().unwrap(),
        [SyncState::Idle, SyncState::Syncing { done: 0, total: 1 }, SyncState::Idle],
        "the pull is one step after the (empty) outbox"
    );
    drop(subscription);
    assert_eq!(take_requests(&server), ["GET /api/v1/worklist?cursor=0"]);

    // A backlog of five events: three pages of at most two, one request each.
    log(
        &server,
        &[("C1", "handled"), ("C3", "reported"), ("C2", "closed"), ("C4", "reported"), ("C3", "closed")],
    );
    assert_eq!(device.sync().pull_once().unwrap(), SyncOutcome::Idle);
    let requests = take_requests(&server);
    assert_eq!(
        requests,
        ["GET /api/v1/worklist?cursor=2", "GET /api/v1/worklist?cursor=4", "GET /api/v1/worklist?cursor=6"]
    );
    assert_eq!(cached(&device), pairs(&[("C1", "handled"), ("C4", "reported")]));
    assert_eq!(device.store().pull_cursor(PullList::Worklist).unwrap(), 7);
}

#[test]
fn a_pull_cut_off_mid_backlog_keeps_its_pages_and_resumes_after_reopening() {
    let (server, folder, device) = signed_in_device();
    log(&server, &[("C1", "reported")]);
    assert_eq!(device.sync().pull_once().unwrap(), SyncOutcome::Idle);
    log(&server, &[("C2", "reported"), ("C3", "reported"), ("C1", "closed"), ("C4", "handled")]);
    take_requests(&server);

    // The first page arrives; the connection drops before the second.
    struct FailAfterFirst(Arc<Scripted>, Mutex<usize>);
    impl Transport for FailAfterFirst {
        fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            let mut sent = self.1.lock().unwrap();
            *sent += 1;
            if *sent > 1 {
                return Err(TransportError::Interrupted { message: "lost".into() });
            }
            self.0.send(request)
        }
    }
    drop(device);
    let device = open(folder.path(), Arc::new(FailAfterFirst(server.clone(), Mutex::new(0))));
    assert!(matches!(device.sync().pull_once().unwrap(), SyncOutcome::RetryIn(_)));
    assert!(matches!(device.sync_state(), SyncState::WaitingForNetwork { .. }));
    assert_eq!(device.store().pull_cursor(PullList::Worklist).unwrap(), 3, "the first page is kept");
    assert_eq!(cached(&device), pairs(&[("C1", "reported"), ("C2", "reported"), ("C3", "reported")]));
    drop(device);

    // Reopened with a working network: the pull goes on from cursor 3, not from the start.
    let device = open(folder.path(), server.clone());
    take_requests(&server);
    assert_eq!(device.sync().pull_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(take_requests(&server), ["GET /api/v1/worklist?cursor=3"]);
    assert_eq!(cached(&device), pairs(&[("C2", "reported"), ("C3", "reported"), ("C4", "handled")]));
    assert_eq!(device.store().pull_cursor(PullList::Worklist).unwrap(), 5);
}

#[test]
fn an_expired_token_during_a_pull_is_refreshed_once() {
    let (server, _folder, device) = signed_in_device();
    log(&server, &[("C1", "reported")]);
    // The server has moved on to another access token: the device's has expired.
    server.0.lock().unwrap().valid_token = "access-expired-on-the-device".into();
    assert_eq!(device.sync().pull_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(
        take_requests(&server),
        ["GET /api/v1/worklist?cursor=0", "POST /api/v1/auth/refresh", "GET /api/v1/worklist?cursor=0"]
    );
    assert_eq!(device.session().refresh_count(), 1);
    assert_eq!(cached(&device), pairs(&[("C1", "reported")]));
}
