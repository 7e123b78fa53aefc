//! Case ids as the store reads them, on both backends: a case comes back with the id it was
//! stored with, by id and by tracking number, and a stored id that is not a UUID fails the read
//! as a store error (never a panic, never a missing case).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::intake_batch::{db_of, report};

use common::{Backend, TestServer};
use diesel::prelude::*;
use gridline_core::workflow::CaseState;
use gridline_server::store::schema::{case_events, cases as cases_table};
use gridline_server::store::{StoreError, cases, events, tracking};

both_backends!(
    a_case_reads_back_with_its_id,
    a_stored_merge_link_that_is_not_an_id_fails_the_read,
    an_event_reads_back_typed_and_a_stored_state_core_does_not_know_fails_the_read
);

fn a_case_reads_back_with_its_id(backend: Backend) {
    let server = TestServer::start(backend);
    let mut conn = db_of(&server).get().unwrap();
    let (case, event) = report("key-id", "GL-261205-ID0001");
    cases::insert_report(&mut conn, &case, &[], &event).unwrap();
    let stored: String = cases_table::table.select(cases_table::id).first(&mut conn).unwrap();
    assert_eq!(stored, case.id.to_string(), "the id is stored as its hyphenated text");
    let found = cases::find_full(&mut conn, case.id).unwrap().expect("the case by its id");
    assert_eq!(found.row.id, case.id);
    assert_eq!(found.workflow.merged_into, None);
    let by_number = tracking::resolve(&mut conn, " gl-261205-id0001 ").unwrap();
    assert_eq!(by_number, Some(case.id), "a tracking number resolves to the case's id");
    let upper = tracking::resolve(&mut conn, &stored.to_uppercase()).unwrap();
    assert_eq!(upper, Some(case.id), "an id in upper case names the same case");
    assert_eq!(tracking::resolve(&mut conn, "not a case").unwrap(), None);
}

fn a_stored_merge_link_that_is_not_an_id_fails_the_read(backend: Backend) {
    let server = TestServer::start(backend);
    let mut conn = db_of(&server).get().unwrap();
    let (case, event) = report("key-bad-link", "GL-261205-ID0002");
    cases::insert_report(&mut conn, &case, &[], &event).unwrap();
    diesel::update(cases_table::table).set(cases_table::merged_into.eq("case-9")).execute(&mut conn).unwrap();
    match cases::find_full(&mut conn, case.id) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("\"case-9\""), "names the text: {why}"),
        other => panic!("a stored merge link that is not an id reads as corrupt data, got {other:?}"),
    }
}

fn an_event_reads_back_typed_and_a_stored_state_core_does_not_know_fails_the_read(backend: Backend) {
    let server = TestServer::start(backend);
    let mut conn = db_of(&server).get().unwrap();
    let (case, event) = report("key-event", "GL-261205-ID0003");
    cases::insert_report(&mut conn, &case, &[], &event).unwrap();
    let read = events::for_case(&mut conn, case.id).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!((read[0].case_id, read[0].from_state, read[0].to_state), (case.id, None, CaseState::Reported));
    diesel::update(case_events::table)
        .set(case_events::to_state.eq("teleported"))
        .execute(&mut conn)
        .unwrap();
    match events::for_case(&mut conn, case.id) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("\"teleported\""), "names the text: {why}"),
        other => panic!("a stored state core does not know fails the read, got {other:?}"),
    }
}
