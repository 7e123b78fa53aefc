//! Group commit of report intake on both backends: a batch of reports stored in one transaction
//! answers each idempotency key exactly as one-by-one storage would (new, already stored, or
//! repeated within the batch), numbers its events without gaps, and is stored whole or not at
//! all; and many reports handed to a node's intake writer at once each get their own answer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{Backend, TestServer};
use diesel::prelude::*;
use gridline_core::codes::CaseId;
use gridline_server::store::Db;
use gridline_server::store::cases::{self, CaseRow, InsertOutcome};
use gridline_server::store::events::EventRow;
use gridline_server::store::schema::{case_events, case_photos, cases as cases_table};

both_backends!(
    a_batch_answers_each_key_and_numbers_its_events_in_order,
    a_failing_batch_stores_none_of_its_reports,
    reports_arriving_together_each_get_their_own_answer,
);

/// A report as intake builds it, with its key and tracking number chosen by the test.
pub(crate) fn report(key: &str, tracking_number: &str) -> (CaseRow, EventRow) {
    let now = chrono::Utc::now().naive_utc();
    let id = CaseId::mint();
    let case = CaseRow {
        id,
        tracking_number: tracking_number.to_owned(),
        idempotency_key: key.to_owned(),
        request_sha256: format!("sha-of-{key}"),
        reporter_id: None,
        reporter_role: Some("citizen".to_owned()),
        anonymous: false,
        category_code: "C0101".parse().expect("category code"),
        description: format!("report {key}"),
        lat: 31.2,
        lon: 121.5,
        accuracy_m: None,
        submitted_crs: "wgs84".to_owned(),
        captured_at: None,
        state: gridline_core::workflow::CaseState::Reported,
        grid_code: None,
        community_code: None,
        street_code: None,
        district_code: None,
        routing_outcome: "triage".to_owned(),
        routing_distance_m: None,
        geotag_verdict: "no_photo".to_owned(),
        answers: "{}".to_owned(),
        handling_time_limit: None,
        handling_unit: None,
        version: 1,
        created_at: now,
        updated_at: now,
        channel: gridline_core::workflow::Channel::App,
        verifier_id: None,
        urgency: gridline_core::workflow::Urgency::Normal,
    };
    let event = gridline_server::cases::events::reported(&case, now.and_utc());
    (case, event)
}

pub(crate) fn db_of(server: &TestServer) -> Db {
    Db::connect(&server.database_url, 2, Duration::from_secs(10)).unwrap()
}

/// The sequence numbers of the events of these cases, in case order.
fn seqs(db: &Db, case_ids: &[CaseId]) -> Vec<i64> {
    let mut conn = db.get().unwrap();
    case_ids
        .iter()
        .map(|id| {
            case_events::table
                .filter(case_events::case_id.eq(id.to_string()))
                .select(case_events::seq)
                .first::<i64>(&mut conn)
                .unwrap()
        })
        .collect()
}

fn stored_keys(db: &Db) -> Vec<String> {
    cases_table::table
        .select(cases_table::idempotency_key)
        .order(cases_table::idempotency_key)
        .load(&mut db.get().unwrap())
        .unwrap()
}

fn a_batch_answers_each_key_and_numbers_its_events_in_order(backend: Backend) {
    let server = TestServer::start(backend);
    let db = db_of(&server);
    let mut conn = db.get().unwrap();
    let before = report("key-0", "T-0");
    let outcome = cases::insert_report(&mut conn, &before.0, &[], &before.1).unwrap();
    assert!(matches!(outcome, InsertOutcome::Created));
    let first_seq = seqs(&db, &[before.0.id])[0];

    let citizen = server.citizen_token();
    let photo = [server.upload_photo(&citizen), server.upload_photo(&citizen)];
    let batch = [
        report("key-1", "T-1"),
        report("key-1", "T-2"), // the same key again in the same batch
        report("key-0", "T-3"), // a key stored before the batch
        report("key-4", "T-4"),
    ];
    let reports: Vec<_> = batch
        .iter()
        .enumerate()
        .map(|(i, (case, event))| (case, if i == 0 { &photo[..] } else { &[][..] }, event))
        .collect();
    let inserted = cases::insert_reports(&mut conn, &reports).unwrap();
    assert_eq!(inserted, vec![true, false, false, true]);
    assert_eq!(stored_keys(&db), ["key-0", "key-1", "key-4"]);
    assert_eq!(seqs(&db, &[batch[0].0.id, batch[3].0.id]), [first_seq + 1, first_seq + 2]);
    let events_of_skipped: i64 = case_events::table
        .filter(case_events::case_id.eq_any([batch[1].0.id.to_string(), batch[2].0.id.to_string()]))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(events_of_skipped, 0);
    let links: Vec<(String, i32)> = case_photos::table
        .filter(case_photos::case_id.eq(batch[0].0.id.to_string()))
        .select((case_photos::photo_id, case_photos::position))
        .order(case_photos::position)
        .load(&mut conn)
        .unwrap();
    assert_eq!(links, [(photo[0].clone(), 0), (photo[1].clone(), 1)]);
}

fn a_failing_batch_stores_none_of_its_reports(backend: Backend) {
    let server = TestServer::start(backend);
    let db = db_of(&server);
    let mut conn = db.get().unwrap();
    let stored = report("key-0", "T-0");
    cases::insert_report(&mut conn, &stored.0, &[], &stored.1).unwrap();

    // The second report's tracking number collides: the whole batch is rolled back.
    let batch = [report("key-5", "T-5"), report("key-6", "T-0")];
    let reports: Vec<_> = batch.iter().map(|(case, event)| (case, &[][..], event)).collect();
    assert!(cases::insert_reports(&mut conn, &reports).is_err());
    assert_eq!(stored_keys(&db), ["key-0"]);
    let events: i64 = case_events::table.count().get_result(&mut conn).unwrap();
    assert_eq!(events, 1);
}

fn reports_arriving_together_each_get_their_own_answer(backend: Backend) {
    let server = TestServer::start(backend);
    let db = db_of(&server);
    // 30 new keys, then 10 of them again, all handed to the writer at once.
    let reports: Vec<(CaseRow, EventRow)> =
        (0..40).map(|i| report(&format!("key-{:02}", i % 30), &format!("T-{i:02}"))).collect();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let outcomes = runtime.block_on(futures_util::future::join_all(
        reports.iter().map(|(case, event)| db.insert_report(case.clone(), Vec::new(), event.clone())),
    ));
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome.unwrap() {
            InsertOutcome::Created => assert!(i < 30, "report {i} repeats a key but was created"),
            InsertOutcome::Existing(existing) => {
                assert!(i >= 30, "report {i} has a new key but was answered as a replay");
                assert_eq!(existing.id, reports[i - 30].0.id, "a replay answers with the first case");
            }
            InsertOutcome::Collision => panic!("report {i}: tracking numbers are distinct here"),
        }
    }
    assert_eq!(stored_keys(&db).len(), 30);
    let mut all: Vec<i64> = case_events::table.select(case_events::seq).load(&mut db.get().unwrap()).unwrap();
    all.sort_unstable();
    let first = all[0];
    assert_eq!(all, (first..first + 30).collect::<Vec<_>>(), "event numbers have no gaps");
}
