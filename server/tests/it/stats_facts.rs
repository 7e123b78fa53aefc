//! The statistics read the facts written with each event (`case_stat_facts`), on both
//! backends, after a random mix of every action taken over HTTP:
//!
//! - the facts equal those derived again from the events (`stat_facts::compare`, and
//!   `gridline summaries rebuild --check` as a real process);
//! - a closed period's figures do not move when later events arrive (the state and deadline at
//!   the period's end come from the facts, not from the case row as it is now);
//! - a case moved to another cell counts in its new cell (the figures group by the case row);
//! - a tampered fact changes the figures (they are read from the facts, not the events), is
//!   found by the check, and a rebuild puts the figures back.
//!
//! The figures' meaning is held by `stats::*` (a week worked out by hand).

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gridline_server::store::schema::{case_events, case_stat_facts, cases};
use gridline_server::store::stat_facts::{self, marks};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;

use crate::common::Backend;
use crate::summaries::{City, db_of, gridline_summaries};

crate::both_backends!(statistics_read_the_facts_written_with_each_event);

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn stats(city: &City, from: DateTime<Utc>, to: DateTime<Utc>, group_by: &str) -> Value {
    let query = format!("from={}&to={}&group_by={group_by}", rfc(from), rfc(to)).replace('+', "%2B");
    let response = city
        .server
        .client
        .get(city.server.url(&format!("/api/v1/stats?{query}")))
        .bearer_auth(city.server.admin_token())
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

/// The figures of one group of an answer (all zero when the group is absent).
fn group(answer: &Value, key: &str, figure: &str) -> u64 {
    answer["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .map_or(0, |g| g[figure].as_u64().unwrap())
}

fn statistics_read_the_facts_written_with_each_event(backend: Backend) {
    let mut city = City::open(backend);
    let started = Utc::now() - chrono::Duration::minutes(1);
    let mut rng = StdRng::seed_from_u64(23);
    let citizen = city.citizen.clone();
    for i in 0..20 {
        let category = if i % 3 == 0 { "E0102" } else { "E0101" };
        city.report(&citizen, "/api/v1/reports", i % city.cells.len(), category);
    }
    for _ in 0..250 {
        city.random_step(&mut rng);
    }

    // A period that ends now, asked as a whole, by day and by category.
    let end = Utc::now();
    std::thread::sleep(Duration::from_millis(20));
    let period = (end - chrono::Duration::days(3), end);
    let whole = stats(&city, period.0, period.1, "category");
    let daily = stats(&city, period.0, period.1, "day");
    assert!(whole["total"]["received"].as_u64().unwrap() >= 20, "{whole}");
    assert!(whole["total"]["dispatched"].as_u64().unwrap() > 0, "{whole}");

    // Later steps, and the overdue job 60 days on: the period's figures stay as they were.
    for _ in 0..350 {
        city.random_step(&mut rng);
    }
    let db = db_of(&city.server);
    let later = Utc::now() + chrono::Duration::days(60);
    let calendar = gridline_core::calendar::WorkingCalendar::china().unwrap();
    gridline_server::jobs::overdue::scan(&mut db.get().unwrap(), later, &calendar).unwrap();
    assert_eq!(stats(&city, period.0, period.1, "category"), whole);
    assert_eq!(stats(&city, period.0, period.1, "day"), daily);

    // Written with each event, equal to the facts derived again from the events.
    let mut conn = db.get().unwrap();
    let events: i64 = case_events::table.count().get_result(&mut conn).unwrap();
    let fresh = stat_facts::compare(&mut conn).unwrap();
    assert_eq!(fresh.differences, Vec::new());
    assert_eq!(fresh.facts as i64, events);
    let passed = gridline_summaries(&city.server, &["--check"]);
    assert_eq!(passed.status.code(), Some(0), "{}", String::from_utf8_lossy(&passed.stdout));
    assert!(String::from_utf8_lossy(&passed.stdout).contains("the facts agree with the events"));

    // A case moved to another cell counts there, with all its figures.
    let everything = (started, later + chrono::Duration::days(1));
    let before = stats(&city, everything.0, everything.1, "grid");
    let (moved, from_cell) = (&city.cases[0].0, city.cells[city.cases[0].1].code.to_string());
    let to_cell = city.cells.iter().map(|c| c.code.to_string()).find(|c| *c != from_cell).unwrap();
    diesel::update(cases::table.find(moved))
        .set((
            cases::grid_code.eq(&to_cell),
            cases::community_code.eq(&to_cell[..12]),
            cases::street_code.eq(&to_cell[..9]),
        ))
        .execute(&mut conn)
        .unwrap();
    let after = stats(&city, everything.0, everything.1, "grid");
    assert_eq!(after["total"], before["total"]);
    assert_eq!(group(&after, &from_cell, "received"), group(&before, &from_cell, "received") - 1);
    assert_eq!(group(&after, &to_cell, "received"), group(&before, &to_cell, "received") + 1);

    // A report's fact without its mark: one report fewer in the figures, found, and rebuilt.
    let reported = case_stat_facts::table
        .filter(case_stat_facts::case_id.eq(moved))
        .filter(case_stat_facts::marks.eq(marks::RECEIVED));
    diesel::update(reported).set(case_stat_facts::marks.eq(0)).execute(&mut conn).unwrap();
    let tampered = stats(&city, everything.0, everything.1, "grid");
    let received = |answer: &Value| answer["total"]["received"].as_u64().unwrap();
    assert_eq!(received(&tampered), received(&after) - 1);
    let found = stat_facts::compare(&mut conn).unwrap();
    assert_eq!(found.differences.len(), 1, "{:?}", found.differences);
    assert_eq!(found.differences[0].stored.as_ref().unwrap().marks, 0);
    assert_eq!(found.differences[0].from_events.as_ref().unwrap().marks, marks::RECEIVED);
    let failed = gridline_summaries(&city.server, &["--check"]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stdout).contains(&format!("fact\t{moved}\t")));
    let rebuilt = gridline_summaries(&city.server, &[]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    assert_eq!(stats(&city, everything.0, everything.1, "grid"), after);
    assert_eq!(stat_facts::compare(&mut conn).unwrap(), fresh);
}
