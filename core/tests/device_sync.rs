//! The sync engine against a real HTTP server on a loopback socket: exactly-once delivery with
//! every photo attached through dropped connections, 5xx and 429; refusals parked with the
//! server's problem; case actions in order with conflicts parked; a single token refresh for
//! many concurrent 401s; queue order independent of the device clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod device_support;

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use device_support::*;
use gridline_core::device::{
    CaseAction, Error, HttpTransport, ItemStatus, Position, SyncListener, SyncOutcome, SyncState, Tokens,
};
use gridline_core::geo::Crs;
use gridline_core::workflow::{Action, CaseState, Role};

const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn every_report_arrives_exactly_once_with_every_photo_through_faults() {
    let server = TestServer::start();
    // Make sure each kind of fault happens at least once, then a steady 30 % of random faults.
    server.script("/api/v1/reports", Fault::DropAfterCommit);
    server.script("/api/v1/photos", Fault::DropBeforeCommit);
    server.script("/api/v1/photos", Fault::DropAfterCommit);
    server.script("/api/v1/reports", Fault::DropBeforeCommit);
    server.script("/api/v1/reports", Fault::Status(500));
    server.state().random_faults = Some((0.3, 0x9E37_79B9_7F4A_7C15));

    let devices = 4;
    let reports_per_device = 5;
    let photos = [sample_photo(1), sample_photo(2)];
    let folders: Vec<_> = (0..devices).map(|_| tempfile::tempdir().unwrap()).collect();
    let url = server.url();
    let handles: Vec<_> = folders
        .iter()
        .enumerate()
        .map(|(d, folder)| {
            let (path, url, photos) = (folder.path().to_owned(), url.clone(), photos.clone());
            std::thread::spawn(move || {
                let device = open_device(&path, &url);
                for r in 0..reports_per_device {
                    submit_report(&device, &format!("device {d} report {r}"), &photos);
                }
                let outcome = device.sync().sync_until_settled(PATIENCE).unwrap();
                assert_eq!(outcome, SyncOutcome::Idle);
                let items = device.store().outbox(true).unwrap();
                assert_eq!(items.len(), reports_per_device);
                assert!(items.iter().all(|i| i.status == ItemStatus::Delivered), "{items:?}");
                assert!(items.iter().all(|i| i.photos.is_empty()), "delivered photos are released");
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }

    let state = server.state();
    assert!(state.dropped_before_commit >= 2 && state.dropped_after_commit >= 2, "faults must have happened");
    assert_eq!(state.reports.len(), devices * reports_per_device, "each report exactly once");
    let descriptions: Vec<_> = state.reports.iter().map(|r| r.description.clone()).collect();
    assert_eq!(unique_set(&descriptions).len(), devices * reports_per_device, "no duplicates");
    for report in &state.reports {
        assert_eq!(report.photo_ids.len(), 2, "{} has all its photos", report.description);
        assert_ne!(report.photo_ids[0], report.photo_ids[1]);
        assert_eq!(
            state.photos[&report.photo_ids[0]], photos[0].sha256,
            "the first photo's bytes arrived intact"
        );
        assert_eq!(state.photos[&report.photo_ids[1]], photos[1].sha256);
        assert_eq!(report.body["category"], "C0103");
        assert_eq!(report.body["position"]["crs"], "wgs84");
    }
}

#[test]
fn a_refused_report_is_parked_with_the_servers_problem_and_can_be_fixed() {
    let server = TestServer::start();
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), &server.url());
    let refused = submit_report(&device, "server-rejects this text", &[sample_photo(3)]);
    let fine = submit_report(&device, "a broken bench", &[sample_photo(4)]);

    assert_eq!(device.sync().sync_until_settled(PATIENCE).unwrap(), SyncOutcome::Idle);
    let item = device.store().outbox_item(&refused).unwrap();
    assert_eq!(item.status, ItemStatus::Failed);
    let problem = item.problem.unwrap();
    assert_eq!((problem.status, problem.code.as_str()), (422, "invalid_field"));
    assert_eq!(problem.field.as_deref(), Some("description"));
    assert_eq!(problem.message, "the description is not acceptable");
    assert_eq!(device.store().outbox_item(&fine).unwrap().status, ItemStatus::Delivered, "others go on");
    assert_eq!(device.store().outbox(false).unwrap().len(), 1, "the refused item stays visible");

    // The user fixes the field: the report returns to the drafts with its photo.
    let draft_id = device.store().return_to_drafts(&refused).unwrap();
    let mut draft = device.store().draft(&draft_id).unwrap();
    assert_eq!(draft.photos.len(), 1);
    draft.fields.description = "an acceptable description".into();
    device.store().update_draft(&draft_id, &draft.fields).unwrap();
    device.submit(&draft_id).unwrap();
    assert_eq!(device.sync().sync_until_settled(PATIENCE).unwrap(), SyncOutcome::Idle);
    let state = server.state();
    assert_eq!(state.reports.len(), 2);
    assert_eq!(state.reports[1].description, "an acceptable description");
    assert_eq!(state.reports[1].photo_ids.len(), 1);
}

#[derive(Default)]
struct Recorder(Mutex<Vec<SyncState>>);

impl SyncListener for Recorder {
    fn on_state_changed(&self, state: SyncState) {
        self.0.lock().unwrap().push(state);
    }
}

#[test]
fn retry_after_and_5xx_wait_and_the_listener_sees_it() {
    let server = TestServer::start();
    server.script("/api/v1/reports", Fault::TooMany { retry_after_secs: 7 });
    server.script("/api/v1/reports", Fault::Status(503));
    let folder = tempfile::tempdir().unwrap();
    let config = gridline_core::device::DeviceConfig {
        folder: folder.path().to_owned(),
        server_url: server.url(),
        backoff: gridline_core::device::BackoffPolicy {
            base: Duration::from_millis(1),
            max: Duration::from_secs(60),
        },
    };
    let device = gridline_core::device::Device::open(
        config,
        Arc::new(HttpTransport::default()),
        gridline_core::taxonomy::Taxonomy::default_taxonomy().unwrap(),
    )
    .unwrap();
    let recorder = Arc::new(Recorder::default());
    let _subscription = device.subscribe(recorder.clone());
    let item = submit_report(&device, "a leaning lamp post", &[sample_photo(5)]);

    assert_eq!(device.sync().sync_once().unwrap(), SyncOutcome::RetryIn(Duration::from_secs(7)));
    match device.sync_state() {
        SyncState::WaitingForNetwork { retry_in, .. } => assert_eq!(retry_in, Duration::from_secs(7)),
        other => panic!("expected WaitingForNetwork, got {other:?}"),
    }
    let SyncOutcome::RetryIn(wait) = device.sync().sync_once().unwrap() else {
        panic!("503 must be retried")
    };
    assert!(wait <= Duration::from_millis(2), "second failure: full jitter under base * 2, got {wait:?}");
    let pending = device.store().outbox_item(&item).unwrap();
    assert_eq!((pending.status, pending.attempts), (ItemStatus::Pending, 2));
    assert_eq!(pending.photos[0].server_id.as_deref(), Some("p1"), "the uploaded photo is remembered");

    assert_eq!(device.sync().sync_once().unwrap(), SyncOutcome::Idle);
    assert_eq!(server.state().reports.len(), 1);
    assert_eq!(server.state().photos.len(), 1, "the photo was not uploaded again");
    let states = recorder.0.lock().unwrap().clone();
    assert_eq!(states.first(), Some(&SyncState::Idle));
    assert!(states.contains(&SyncState::Syncing { done: 0, total: 1 }));
    assert_eq!(states.last(), Some(&SyncState::Idle));
    assert_eq!(states.iter().filter(|s| matches!(s, SyncState::WaitingForNetwork { .. })).count(), 2);
}

fn on_site() -> Option<Position> {
    Some(Position { lat: 39.91, lon: 116.40, crs: Crs::Gcj02, accuracy_m: Some(5.0) })
}

fn action(case_id: &str, action: Action) -> CaseAction {
    CaseAction { case_id: case_id.into(), action, reason: None, position: None, rating: None, comment: None }
}

#[test]
fn case_actions_keep_their_order_and_a_conflict_holds_later_steps_on_that_case() {
    let server = TestServer::start();
    server.state().conflicts.insert("case-c".into(), "closed".into());
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), &server.url());
    let photo = [sample_photo(6)];

    let accept_c = device
        .queue_action(&action("case-c", Action::Accept), CaseState::Dispatched, Role::Handler, &[])
        .unwrap();
    let handled_c = device
        .queue_action(&action("case-c", Action::MarkHandled), CaseState::InProgress, Role::Handler, &photo)
        .unwrap();
    device
        .queue_action(&action("case-a", Action::Accept), CaseState::Dispatched, Role::Handler, &[])
        .unwrap();
    device
        .queue_action(&action("case-a", Action::MarkHandled), CaseState::InProgress, Role::Handler, &photo)
        .unwrap();
    let verify = CaseAction { position: on_site(), ..action("case-b", Action::VerifyPass) };
    device.queue_action(&verify, CaseState::Handled, Role::Inspector, &photo).unwrap();

    assert_eq!(device.sync().sync_until_settled(PATIENCE).unwrap(), SyncOutcome::Idle);
    {
        let state = server.state();
        assert_eq!(state.case_actions["case-a"], ["accept/0", "mark_handled/1"]);
        assert_eq!(state.case_actions["case-b"], ["verify_pass/1"]);
        assert!(!state.case_actions.contains_key("case-c"));
    }
    let parked = device.store().outbox_item(&accept_c.id).unwrap();
    assert_eq!(parked.status, ItemStatus::Conflict);
    assert_eq!(parked.conflict_state.as_deref(), Some("closed"));
    assert_eq!(parked.conflict.unwrap().code, "not_from_state");
    assert_eq!(
        device.store().outbox_item(&handled_c.id).unwrap().status,
        ItemStatus::Pending,
        "held, not sent"
    );

    // The conflict is resolved on the server; the user retries, and both go, in order.
    server.state().conflicts.clear();
    device.store().retry_item(&accept_c.id).unwrap();
    assert_eq!(device.sync().sync_until_settled(PATIENCE).unwrap(), SyncOutcome::Idle);
    assert_eq!(server.state().case_actions["case-c"], ["accept/0", "mark_handled/1"]);
}

#[test]
fn actions_the_workflow_refuses_are_not_queued() {
    let server = TestServer::start();
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), &server.url());
    let no_photo = CaseAction { position: None, ..action("case-b", Action::VerifyPass) };
    match device.queue_action(&no_photo, CaseState::Handled, Role::Inspector, &[]) {
        Err(Error::Invalid(problems)) => {
            let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
            assert_eq!(fields, ["position", "photos"]);
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    match device.queue_action(&action("case-b", Action::Accept), CaseState::Handled, Role::Inspector, &[]) {
        Err(Error::Invalid(problems)) => assert_eq!(problems[0].field, "action"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    let fail_without_reason = CaseAction { position: on_site(), ..action("case-b", Action::VerifyFail) };
    match device.queue_action(&fail_without_reason, CaseState::Handled, Role::Inspector, &[sample_photo(7)]) {
        Err(Error::Invalid(problems)) => assert_eq!(problems[0].field, "reason"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert!(device.store().outbox(true).unwrap().is_empty());
}

#[test]
fn concurrent_expired_tokens_refresh_once() {
    let server = TestServer::start();
    server.state().access_token = Some("a-current".into());
    let folder = tempfile::tempdir().unwrap();
    let device = Arc::new(open_device(folder.path(), &server.url()));
    device.session().set(Tokens { access_token: "a-expired".into(), refresh_token: "r0".into() }).unwrap();

    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let transport = Arc::new(HttpTransport::default());
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (device, barrier, transport, url) =
                (device.clone(), barrier.clone(), transport.clone(), server.url());
            std::thread::spawn(move || {
                barrier.wait();
                device.session().refresh("a-expired", transport.as_ref(), &url).unwrap()
            })
        })
        .collect();
    let tokens: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(tokens.iter().all(|t| t == "a1"), "{tokens:?}");
    assert_eq!(server.state().refresh_calls, 1);
    assert_eq!(device.session().refresh_count(), 1);

    // The rotated tokens are kept across a restart, and the engine uses them.
    drop(device);
    let device = open_device(folder.path(), &server.url());
    assert_eq!(device.session().access_token().as_deref(), Some("a1"));
    submit_report(&device, "graffiti on the wall", &[sample_photo(8)]);
    assert_eq!(device.sync().sync_until_settled(PATIENCE).unwrap(), SyncOutcome::Idle);
    assert_eq!(server.state().refresh_calls, 1);
}

#[test]
fn the_engine_refreshes_an_expired_token_then_a_refused_refresh_signs_out() {
    let server = TestServer::start();
    server.state().access_token = Some("a-current".into());
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), &server.url());
    device.session().set(Tokens { access_token: "a-expired".into(), refresh_token: "r0".into() }).unwrap();
    submit_report(&device, "a blocked drain", &[sample_photo(9)]);
    assert_eq!(device.sync().sync_until_settled(PATIENCE).unwrap(), SyncOutcome::Idle);
    assert_eq!(server.state().refresh_calls, 1);
    assert_eq!(server.state().reports.len(), 1);

    // The server revokes everything: the refresh is refused, the session is gone, nothing lost.
    {
        let mut state = server.state();
        state.access_token = Some("a-other".into());
        state.refresh_token = "r-other".into();
    }
    let item = submit_report(&device, "a second blocked drain", &[sample_photo(10)]);
    assert_eq!(device.sync().sync_once().unwrap(), SyncOutcome::SignedOut);
    assert!(matches!(device.sync_state(), SyncState::Error { .. }));
    assert_eq!(device.session().access_token(), None);
    assert_eq!(device.store().outbox_item(&item).unwrap().status, ItemStatus::Pending);
}

#[test]
fn queue_order_ignores_the_device_clock() {
    let server = TestServer::start();
    let folder = tempfile::tempdir().unwrap();
    let device = open_device(folder.path(), &server.url());
    let photo = [sample_photo(11)];
    // Steps on one case, queued while the device clock jumps back a day and the time zone
    // changes: the capture times and the UUIDv7 keys (which embed the clock) now run backwards.
    let items: Vec<String> = [Action::Accept, Action::MarkHandled]
        .into_iter()
        .zip([CaseState::Dispatched, CaseState::InProgress])
        .map(|(a, state)| {
            device
                .queue_action(
                    &action("case-z", a),
                    state,
                    Role::Handler,
                    if a == Action::Accept { &[] } else { &photo },
                )
                .unwrap()
                .id
        })
        .collect();
    let reports: Vec<String> =
        (0..3).map(|i| submit_report(&device, &format!("clock report {i}"), &photo)).collect();
    drop(device);
    {
        let conn = rusqlite::Connection::open(folder.path().join("gridline.sqlite3")).unwrap();
        // Later items get keys and ids from an earlier clock, as after the clock was set back.
        let earlier = |i: u64| {
            uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, 1_000_000 - i * 3600, 0))
                .to_string()
        };
        for (i, id) in items.iter().chain(&reports).enumerate() {
            conn.execute(
                "UPDATE outbox SET idempotency_key = ?2 WHERE id = ?1",
                rusqlite::params![id, earlier(i as u64)],
            )
            .unwrap();
        }
    }
    let device = open_device(folder.path(), &server.url());
    let listed: Vec<String> = device.store().outbox(false).unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(listed, items.iter().chain(&reports).cloned().collect::<Vec<_>>());
    assert_eq!(device.sync().sync_until_settled(PATIENCE).unwrap(), SyncOutcome::Idle);
    let state = server.state();
    assert_eq!(state.case_actions["case-z"], ["accept/0", "mark_handled/1"]);
    let sent: Vec<_> = state.reports.iter().map(|r| r.description.as_str()).collect();
    assert_eq!(sent, ["clock report 0", "clock report 1", "clock report 2"]);
}
