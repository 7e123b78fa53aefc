//! The statistics read from the roll-ups equal those counted from the facts: for random ranges
//! of whole days, every grouping the roll-ups keep (and by day), with and without a category or
//! channel, as the admin and as a street's dispatcher, the answers are the same to the last
//! digit. Called after the seed's histories (`seed.rs`) and after a random mix of every action
//! taken over HTTP (`summaries.rs`), on both backends.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use gridline_server::store::schema::{case_rollup_deltas, case_rollup_rules};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;

use crate::common::TestServer;

const GROUPINGS: [&str; 6] = ["district", "street", "category", "unit", "channel", "day"];

/// Asks `ranges` random whole-day ranges within `days_back` days before today (as each token in
/// `callers`), once from the roll-ups and once from the facts, and asserts the answers agree;
/// then folds the roll-ups' deltas and asserts the answers did not change.
pub(crate) fn assert_rollups_match_facts(
    server: &TestServer,
    callers: &[&str],
    rng: &mut StdRng,
    days_back: i64,
    ranges: usize,
) {
    let db = gridline_server::store::Db::connect(&server.database_url, 1, std::time::Duration::from_secs(10))
        .unwrap();
    let mut conn = db.get().unwrap();
    let rules: (String, bool) = case_rollup_rules::table
        .select((case_rollup_rules::fingerprint, case_rollup_rules::complete))
        .first(&mut conn)
        .expect("the roll-ups are kept");
    assert!(rules.1, "the roll-ups are complete");

    // Beijing's today: the ranges end at most two days after it.
    let today = (Utc::now() + Duration::hours(8)).date_naive();
    let mut asked = Vec::new();
    for _ in 0..ranges {
        let grouping = GROUPINGS[rng.random_range(0..GROUPINGS.len())];
        let longest = if grouping == "day" { 92 } else { days_back + 3 };
        let from = today - Duration::days(rng.random_range(0..=days_back));
        let to = from + Duration::days(rng.random_range(0..longest).min((today - from).num_days() + 2));
        let mut query = format!("from={from}&to={to}&group_by={grouping}");
        match rng.random_range(0..4) {
            0 => query.push_str("&channel=app"),
            1 => query.push_str("&category=E0101"),
            _ => {}
        }
        for caller in callers {
            asked.push((caller.to_string(), query.clone()));
        }
    }
    let answers = |server: &TestServer| -> Vec<Value> {
        asked
            .iter()
            .map(|(caller, query)| {
                let response = server.get_as(caller, &format!("/api/v1/stats?{query}"));
                assert_eq!(response.status(), 200, "{query}");
                response.json().unwrap()
            })
            .collect()
    };
    let from_rollups = answers(server);
    // Without the roll-ups' rules the statistics count the facts.
    diesel::delete(case_rollup_rules::table).execute(&mut conn).unwrap();
    let from_facts = answers(server);
    diesel::insert_into(case_rollup_rules::table)
        .values((
            case_rollup_rules::id.eq(1),
            case_rollup_rules::fingerprint.eq(&rules.0),
            case_rollup_rules::complete.eq(true),
        ))
        .execute(&mut conn)
        .unwrap();
    let counted: u64 = from_facts.iter().map(|a| a["total"]["received"].as_u64().unwrap()).sum();
    assert!(counted > 0, "the ranges hold reports");
    for ((query, rolled), counted) in asked.iter().zip(&from_rollups).zip(&from_facts) {
        assert_eq!(rolled, counted, "{}", query.1);
    }
    // The deltas the events wrote since the server's last fold, folded now: the same figures.
    let deltas: i64 = case_rollup_deltas::table.count().get_result(&mut conn).unwrap();
    let moved = gridline_server::store::rollups::fold_deltas(&mut conn).unwrap();
    assert!(moved as i64 <= deltas, "a fold adds at most the deltas there were ({moved} of {deltas})");
    assert_eq!(case_rollup_deltas::table.count().get_result::<i64>(&mut conn).unwrap(), 0, "nothing left");
    for ((query, before), after) in asked.iter().zip(&from_rollups).zip(answers(server)) {
        assert_eq!(before, &after, "after the fold: {}", query.1);
    }
}
