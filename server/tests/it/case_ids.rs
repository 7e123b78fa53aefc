//! Case ids as the store reads them, on both backends: a case comes back with the id it was
//! stored with, by id and by tracking number, and a stored id that is not a UUID fails the read
//! as a store error (never a panic, never a missing case). The statistics' rows likewise: a
//! fact or a case key core does not accept fails the statistics' read, never drops the row.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::intake_batch::{db_of, report};

use common::{Backend, TestServer};
use diesel::prelude::*;
use gridline_core::workflow::CaseState;
use gridline_server::store::schema::{case_events, case_stat_facts, cases as cases_table};
use gridline_server::store::stats::{self, StatsFactRow, StatsFilter};
use gridline_server::store::{DbConnection, StoreError, StoreResult, cases, events, summaries, tracking};

both_backends!(
    a_case_reads_back_with_its_id,
    a_stored_merge_link_that_is_not_an_id_fails_the_read,
    an_event_reads_back_typed_and_a_stored_state_core_does_not_know_fails_the_read,
    a_fact_reads_back_typed_and_a_stored_value_core_does_not_know_fails_the_statistics,
    a_stored_value_core_does_not_know_fails_the_summaries_proof
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

/// Every fact the statistics read, of every case, around now.
fn statistics_rows(conn: &mut DbConnection) -> StoreResult<Vec<StatsFactRow>> {
    let now = chrono::Utc::now().naive_utc();
    let (from, to) = (now - chrono::Duration::days(1), now + chrono::Duration::days(1));
    let mut facts = Vec::new();
    stats::for_each_case(conn, &StatsFilter::default(), from, to, &mut |case| facts.extend_from_slice(case))?;
    Ok(facts)
}

fn a_fact_reads_back_typed_and_a_stored_value_core_does_not_know_fails_the_statistics(backend: Backend) {
    let server = TestServer::start(backend);
    let mut conn = db_of(&server).get().unwrap();
    let (case, event) = report("key-fact", "GL-261205-ID0004");
    cases::insert_report(&mut conn, &case, &[], &event).unwrap();
    let facts = statistics_rows(&mut conn).unwrap();
    assert_eq!(facts.len(), 1, "the report's fact");
    let fact = &facts[0];
    assert_eq!(
        (fact.case_id, fact.state_before, fact.state_after),
        (case.id, None, Some(CaseState::Reported))
    );
    assert_eq!((fact.case.category_code, fact.case.channel), (case.category_code, case.channel));
    assert_eq!((fact.case.grid_code, fact.case.street_code), (None, None), "a triaged report has no cell");

    // A state core does not know, in the fact: the read fails, naming the text.
    let set_state = |conn: &mut DbConnection, state: &str| {
        diesel::update(case_stat_facts::table)
            .set(case_stat_facts::state_after.eq(state))
            .execute(conn)
            .unwrap()
    };
    set_state(&mut conn, "teleported");
    match statistics_rows(&mut conn) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("\"teleported\""), "names the text: {why}"),
        other => panic!("a stored state core does not know fails the statistics' read, got {other:?}"),
    }
    set_state(&mut conn, "reported");
    assert!(statistics_rows(&mut conn).is_ok(), "the fact reads again once it is put right");

    // A code core does not accept, in the case the facts are grouped by.
    diesel::update(cases_table::table).set(cases_table::street_code.eq("1101")).execute(&mut conn).unwrap();
    match statistics_rows(&mut conn) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("street_code"), "names the column: {why}"),
        other => {
            panic!("a stored street code core does not accept fails the statistics' read, got {other:?}")
        }
    }
}

fn a_stored_value_core_does_not_know_fails_the_summaries_proof(backend: Backend) {
    let server = TestServer::start(backend);
    let mut conn = db_of(&server).get().unwrap();
    let (case, event) = report("key-summary", "GL-261205-ID0005");
    cases::insert_report(&mut conn, &case, &[], &event).unwrap();
    let proof = summaries::compare(&mut conn).unwrap();
    assert_eq!((proof.reports, proof.differences.len()), (1, 0), "{proof:?}");

    // The proof reads each report's case once, typed: a channel core does not know fails the
    // proof, naming the text, rather than counting it under that text.
    diesel::update(cases_table::table).set(cases_table::channel.eq("pigeon")).execute(&mut conn).unwrap();
    match summaries::compare(&mut conn) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("pigeon"), "names the text: {why}"),
        other => panic!("a stored channel core does not know fails the summaries' proof, got {other:?}"),
    }
}
