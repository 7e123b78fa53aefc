//! The case search over its bigram index (`server/src/store/case_search.rs`): whichever way a
//! search takes (the few candidates the index names, or the walk newest first that checks each
//! case), it answers exactly the cases whose report or step text holds the whole term, case
//! blind for ASCII, Chinese without word segmentation, with every other filter and the scope,
//! newest first, in pages that neither repeat nor skip a case.
//!
//! Each search runs three times on the same data: with the server's thresholds (through HTTP
//! too), with thresholds that send every term to the candidates, and with thresholds that send
//! every term to the walk, so a handful of cases covers both ways on both databases.
//! Speed is measured in docs/benchmarks.md (`scripts/bench-year`), never here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::auth_http::SECRET;
use crate::case_service::{Street, beijing};
use crate::common::{Backend, OldDatabase, TestServer, demo_cells, point_in};
use gridline_core::codes::AreaCode;
use gridline_server::auth::Scope;
use gridline_server::store::case_list::{self, CaseFilter, ListFilter};
use gridline_server::store::case_search::{self, SearchTuning, TextMatch};

both_backends!(
    each_way_of_the_search_answers_exactly_the_cases_holding_the_term,
    a_common_term_is_paged_newest_first_without_repeats_or_gaps,
    an_index_from_before_learns_the_bigrams_across_words,
);

/// The migration that indexes the bigrams across words; an upgraded database is built with the
/// migrations before it.
const ACROSS_WORDS_MIGRATION: &str = "2026-12-04-140000";

/// The server's thresholds, then each way forced, then the walk chosen whenever the scope and
/// filters hold fewer cases than the rarest bigram has postings, then the bigrams counted among
/// the two newest bodies only (on SQLite; PostgreSQL estimates from its statistics), so the
/// estimates are far off and each way is taken by a wrong guess.
fn ways() -> [(&'static str, SearchTuning); 5] {
    let exact = SearchTuning::default().count_window;
    [
        ("server", SearchTuning::default()),
        (
            "candidates",
            SearchTuning {
                common_gram: i64::MAX,
                max_candidates: 1_000_000,
                walk_check_above: i64::MAX,
                count_window: exact,
            },
        ),
        (
            "walk",
            SearchTuning { common_gram: 0, max_candidates: 0, walk_check_above: 0, count_window: exact },
        ),
        (
            "shorter walk",
            SearchTuning {
                common_gram: i64::MAX,
                max_candidates: 1_000_000,
                walk_check_above: 0,
                count_window: exact,
            },
        ),
        (
            "counted among the newest",
            SearchTuning { common_gram: 6, max_candidates: 1_000_000, walk_check_above: 3, count_window: 2 },
        ),
    ]
}

/// A report by `citizen` in the street's cell, filed at `at`.
fn report_at(street: &Street, citizen: &str, at: DateTime<Utc>, description: &str) -> String {
    street.server.clock.set(at);
    let (lat, lon) = point_in(&demo_cells(8)[2]);
    let receipt = street.server.report_as(
        citizen,
        &json!({ "category": "E0101", "description": description, "position": { "lat": lat, "lon": lon } }),
    );
    receipt["id"].as_str().unwrap().to_owned()
}

fn search(
    server: &TestServer,
    scope: &CaseFilter,
    filter: ListFilter,
    limit: i64,
    tuning: SearchTuning,
) -> Vec<String> {
    let mut conn = server.db.get().unwrap();
    let found = case_list::list_tuned(&mut conn, scope, &filter, limit, tuning).unwrap();
    found.into_iter().map(|c| c.row.id.to_string()).collect()
}

fn text(term: &str) -> ListFilter {
    ListFilter { text: Some(term.to_owned()), ..ListFilter::default() }
}

fn http_list(server: &TestServer, token: &str, query: &str) -> Value {
    let response = server.get_as(token, &format!("/api/v1/cases?{query}"));
    assert_eq!(response.status(), 200, "{query}");
    response.json().unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

fn each_way_of_the_search_answers_exactly_the_cases_holding_the_term(backend: Backend) {
    let start = beijing(11, 27, 10, 0);
    let street = Street::open(backend, &[], start);
    let server = &street.server;
    let citizen = server.citizen_token();
    let gate = street.case_id.clone();
    let at = |minutes: i64| start + Duration::minutes(minutes);
    // Oldest first, so the newest-first answer is the reverse.
    let lamps: Vec<String> = (1..=5)
        .map(|i| report_at(&street, &citizen, at(i), &format!("路灯不亮 street LAMP out, pole {i}")))
        .collect();
    let mixed = report_at(&street, &citizen, at(6), "灯杆LED灯闪烁");
    let rare = report_at(&street, &citizen, at(7), "虹桥路 888 弄门口 pothole");
    server.step(&street.dispatcher, &rare, &json!({ "action": "register", "note": "已通知Gas公司抢修" }));
    for lamp in &lamps[..2] {
        server.step(&street.dispatcher, lamp, &json!({ "action": "register" }));
    }
    let newest_lamps: Vec<String> = lamps.iter().rev().cloned().collect();

    let street_code = AreaCode::parse(&demo_cells(8)[2].code.to_string()[..9]).unwrap();
    let own_street = CaseFilter::for_scope(&Scope::Street { street: street_code }, "");
    let other_street =
        CaseFilter::for_scope(&Scope::Street { street: AreaCode::parse("310104999").unwrap() }, "");
    let registered = |term: &str| ListFilter { states: vec!["registered".to_owned()], ..text(term) };

    for (way, tuning) in ways() {
        let all = |filter: ListFilter| search(server, &CaseFilter::All, filter, 50, tuning);
        assert_eq!(all(text("路灯")), newest_lamps, "{way}: a two-character Chinese word");
        assert_eq!(all(text("lamp")), newest_lamps, "{way}: case-insensitive");
        assert_eq!(all(text("STREET   Lamp")), newest_lamps, "{way}: spaces collapsed");
        assert_eq!(all(text("杆led灯")), vec![mixed.clone()], "{way}: Chinese and Latin in one term");
        assert_eq!(all(text("虹桥路")), vec![rare.clone()], "{way}: a rare term");
        assert_eq!(all(text("888 弄门")), vec![rare.clone()], "{way}: across a space");
        assert_eq!(all(text("gas公司")), vec![rare.clone()], "{way}: only a step's note holds it");
        assert_eq!(all(text("%%gate")), vec![gate.clone()], "{way}: wildcards are text");
        assert_eq!(
            all(text("灯")),
            [vec![mixed.clone()], newest_lamps.clone()].concat(),
            "{way}: one character"
        );
        assert!(all(text("lamp pothole")).is_empty(), "{way}: every word of the term, in order");
        assert!(all(text("nothing like this")).is_empty(), "{way}");
        assert!(all(text("out street")).is_empty(), "{way}: every bigram present, the term is not");

        let in_street = |filter: ListFilter| search(server, &own_street, filter, 50, tuning);
        assert_eq!(in_street(text("路灯")), newest_lamps, "{way}: in the street's scope");
        assert_eq!(
            in_street(registered("路灯")),
            vec![lamps[1].clone(), lamps[0].clone()],
            "{way}: with a state"
        );
        assert_eq!(in_street(registered("gas公司")), vec![rare.clone()], "{way}");
        assert!(search(server, &other_street, text("路灯"), 50, tuning).is_empty(), "{way}: another street");
    }

    // Through HTTP, the dispatcher's scope and a state filter.
    let d = &street.dispatcher;
    assert_eq!(ids(&http_list(server, d, "q=LAMP&state=reported")), newest_lamps[..3].to_vec());
    assert_eq!(ids(&http_list(server, d, "q=%E8%99%B9%E6%A1%A5%E8%B7%AF")), vec![rare], "虹桥路");
}

fn a_common_term_is_paged_newest_first_without_repeats_or_gaps(backend: Backend) {
    let start = beijing(11, 27, 10, 0);
    let street = Street::open(backend, &[], start);
    let server = &street.server;
    let citizen = server.citizen_token();
    // Eleven matches, filed two in each minute (the cursor's tie on time), between
    // cases that do not match.
    let mut matching = Vec::new();
    for i in 0..11i64 {
        let minute = start + Duration::minutes(1 + i / 2);
        matching.push(report_at(&street, &citizen, minute, &format!("井盖破损 manhole cover {i}")));
        report_at(&street, &citizen, minute, "路面坑洼 pothole");
    }
    let scope = CaseFilter::All;
    let everything = search(server, &scope, text("井盖"), 100, SearchTuning::default());
    assert_eq!(everything.len(), matching.len());
    let mut sorted = everything.clone();
    sorted.sort();
    let mut expected = matching.clone();
    expected.sort();
    assert_eq!(sorted, expected, "every match, once");

    for (way, tuning) in ways() {
        let mut pages = Vec::new();
        let mut after = None;
        loop {
            let filter = ListFilter { after: after.clone(), ..text("井盖") };
            let mut conn = server.db.get().unwrap();
            let page = case_list::list_tuned(&mut conn, &scope, &filter, 3, tuning).unwrap();
            let Some(last) = page.last() else { break };
            after = Some((last.row.created_at, last.row.id.to_string()));
            pages.extend(page.iter().map(|c| c.row.id.to_string()));
        }
        assert_eq!(pages, everything, "{way}: pages of three, in order, no repeat, no gap");
    }

    // The same through HTTP, by the page cursor.
    let mut pages = Vec::new();
    let mut query = "q=%E4%BA%95%E7%9B%96&limit=4".to_owned();
    loop {
        let page = http_list(server, &street.dispatcher, &query);
        pages.extend(ids(&page));
        let Some(cursor) = page["next_cursor"].as_str() else { break };
        query = format!("q=%E4%BA%95%E7%9B%96&limit=4&cursor={cursor}");
    }
    assert_eq!(pages, everything);
}

/// Bodies indexed before the bigrams across words were: starting the server on the database
/// adds them, so a phrase whose only rare bigram joins two words finds its body through the
/// index, on both backends (SQLite's postings are filled in, PostgreSQL's index is rebuilt).
fn an_index_from_before_learns_the_bigrams_across_words(backend: Backend) {
    use diesel::RunQueryDsl;
    let database = OldDatabase::create(backend, ACROSS_WORDS_MIGRATION);
    {
        let mut old = database.connect();
        diesel::sql_query(
            "INSERT INTO case_search (case_id, body) VALUES \
             ('case-a', 'GL-1 seeded report, manhole cover'), ('case-b', 'GL-2 manhole\tseeded 井盖 破损')",
        )
        .execute(&mut old)
        .unwrap();
        // A body longer than the index reaches (on SQLite, its positions table), stored before
        // the upgrade; another is stored after it, below.
        diesel::sql_query(format!(
            "INSERT INTO case_search (case_id, body) VALUES ('case-long', '{}')",
            long_body("before")
        ))
        .execute(&mut old)
        .unwrap();
    }
    let server =
        TestServer::start_with(backend, &[("DATABASE_URL", &database.url), ("GRIDLINE_JWT_SECRET", SECRET)]);
    let mut conn = server.db.get().unwrap();
    diesel::sql_query(format!(
        "INSERT INTO case_search (case_id, body) VALUES ('case-later', '{}')",
        long_body("after")
    ))
    .execute(&mut conn)
    .unwrap();
    // Thresholds that always read candidates: the answer then comes from the index alone.
    let candidates = SearchTuning {
        common_gram: i64::MAX,
        max_candidates: 1_000,
        walk_check_above: i64::MAX,
        ..SearchTuning::default()
    };
    let mut find = |term: &str| {
        case_search::find(&mut conn, &case_list::search_pattern(term), candidates, |_, _| Ok(false)).unwrap()
    };
    assert_eq!(find("manhole cover"), TextMatch::Cases(vec!["case-a".to_owned()]), "across a space");
    assert_eq!(find("井盖 破损"), TextMatch::Cases(vec!["case-b".to_owned()]), "Chinese words");
    assert_eq!(find("seeded report,"), TextMatch::Cases(vec!["case-a".to_owned()]));
    assert_eq!(find("report manhole"), TextMatch::Cases(vec![]), "every bigram there, the phrase is not");
    assert_eq!(find("manhole seeded"), TextMatch::Cases(vec![]), "a tab is not the space the term has");
    // A long body is a candidate of every search, so its words past the index's end are found.
    assert_eq!(find("before末尾"), TextMatch::Cases(vec!["case-long".to_owned()]), "stored before");
    assert_eq!(find("after末尾"), TextMatch::Cases(vec!["case-later".to_owned()]), "stored after");
}

/// A body of 19,500 characters that ends with `word` and `末尾` (no quote in it).
fn long_body(word: &str) -> String {
    format!("GL-9 {} {word}末尾", "路面坑洼 pothole ".repeat(1_500))
}

/// PostgreSQL's just-in-time compilation is off on the server's connections: a walk's cost
/// estimate is the whole area's, and compiling it cost ten times the work (docs/benchmarks.md).
#[test]
fn pooled_postgresql_connections_compile_no_query_just_in_time() {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        jit: String,
    }
    let server = TestServer::start(Backend::Postgres);
    let mut conn = server.db.get().unwrap();
    let setting: Setting =
        diesel::RunQueryDsl::get_result(diesel::sql_query("SHOW jit"), &mut *conn).unwrap();
    assert_eq!(setting.jit, "off");
}
