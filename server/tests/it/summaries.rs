//! The per-day summaries on both backends: after a random mix of every way in and every action
//! (each step taken over HTTP by whoever the case offers it to, the overdue job's marks and
//! escalations included), the summaries written with each report equal a fresh computation
//! from the events and count no step; a tampered row is found, `rebuild` repairs it, and `gridline summaries rebuild
//! --check` says so as a real process (exit 1 on a difference, 0 once they agree).

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::grid::GridCell;
use gridline_core::workflow::{self, Action, CaseState, Role};
use gridline_server::auth::Scope;
use gridline_server::store::schema::{case_day_summaries, case_events};
use gridline_server::store::{Db, summaries};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, demo_cells, point_in};

crate::both_backends!(summaries_equal_the_events_after_a_random_mix_of_every_action);

const UNITS: [&str; 2] = ["sanitation", "roads"];

/// The people who may act, by role, and the cases with where they are.
pub(crate) struct City {
    pub(crate) server: TestServer,
    pub(crate) cells: Vec<GridCell>,
    pub(crate) dispatcher: String,
    pub(crate) handlers: Vec<String>,
    pub(crate) inspector: String,
    /// The inspector's account id, which `assign_verifier` names.
    inspector_id: String,
    pub(crate) citizen: String,
    /// Case id, its cell's index, and who reported it.
    pub(crate) cases: Vec<(String, usize, String)>,
    /// The actions taken so far: a step not taken yet is preferred half the time, so the mix
    /// reaches the rare ones (a verification needs four steps before it) whatever else the
    /// walk is offered.
    taken: std::sync::Mutex<BTreeSet<Action>>,
}

impl City {
    pub(crate) fn open(backend: Backend) -> Self {
        let server = TestServer::start(backend);
        let admin = server.admin_token();
        let cells = demo_cells(8);
        server.import_grid(&admin, "310104", &cells);
        let street = AreaCode::parse(&cells[0].code.to_string()[..9]).unwrap();
        assert!(cells.iter().all(|c| c.code.to_string().starts_with(&street.to_string())));
        let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
        let handlers = UNITS
            .iter()
            .map(|u| server.staff_token(Role::Handler, Scope::Unit { unit: (*u).into() }))
            .collect();
        let grids: BTreeSet<GridCode> = cells.iter().map(|c| c.code).collect();
        let inspector = server.staff_token(Role::Inspector, Scope::Grids { grids });
        let me: Value = server.get_as(&inspector, "/api/v1/me").json().unwrap();
        let inspector_id = me["id"].as_str().unwrap().to_owned();
        let citizen = server.citizen_token();
        City {
            server,
            cells,
            dispatcher,
            handlers,
            inspector,
            inspector_id,
            citizen,
            cases: Vec::new(),
            taken: Default::default(),
        }
    }

    pub(crate) fn position(&self, cell: usize) -> Value {
        let (lat, lon) = point_in(&self.cells[cell]);
        json!({ "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 5.0 })
    }

    /// A report by `token` through `path`, in `cell`.
    pub(crate) fn report(&mut self, token: &str, path: &str, cell: usize, category: &str) {
        let response = self
            .server
            .client
            .post(self.server.url(path))
            .bearer_auth(token)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .json(&json!({
                "category": category,
                "description": "Mixed-day fixture",
                "position": self.position(cell),
                "photo_ids": [],
            }))
            .send()
            .unwrap();
        let status = response.status();
        let body: Value = response.json().unwrap();
        assert_eq!(status, 201, "{body}");
        self.cases.push((body["id"].as_str().unwrap().to_owned(), cell, token.to_owned()));
    }

    /// One random step on a random case, by one of those it is offered to; whether it was taken.
    pub(crate) fn random_step(&self, rng: &mut StdRng) -> bool {
        let (id, cell, reporter) = &self.cases[rng.random_range(0..self.cases.len())];
        let mut people =
            vec![(self.dispatcher.as_str(), Role::Dispatcher), (self.inspector.as_str(), Role::Inspector)];
        people.extend(self.handlers.iter().map(|h| (h.as_str(), Role::Handler)));
        if *reporter == self.citizen {
            people.push((self.citizen.as_str(), Role::Citizen));
        }
        let mut offers: Vec<(&str, Role, Action, Value)> = Vec::new();
        for (token, role) in people {
            let case: Value = self.server.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap();
            for action in case["available_actions"].as_array().into_iter().flatten() {
                let action: Action = action.as_str().unwrap().parse().unwrap();
                offers.push((token, role, action, case.clone()));
            }
        }
        if offers.is_empty() {
            return false;
        }
        let taken = self.taken.lock().unwrap().clone();
        if offers.iter().any(|o| !taken.contains(&o.2)) && rng.random_bool(0.5) {
            offers.retain(|o| !taken.contains(&o.2));
        }
        // A person first, then one of their actions: the street office's many choices would
        // otherwise crowd out the unit's and the inspector's one or two.
        let offered_to: Vec<&str> = offers.iter().map(|o| o.0).collect::<BTreeSet<_>>().into_iter().collect();
        let person = offered_to[rng.random_range(0..offered_to.len())];
        let mut theirs: Vec<&(&str, Role, Action, Value)> = offers.iter().filter(|o| o.0 == person).collect();
        // The steps that leave the state as it is (a dispute, a relocation, the inspector's
        // confirm and deny of a report, the request to confirm, the verifier's assignment) are taken one time in ten here:
        // offered as often as the day's steps, they would hold most cases before the work and
        // starve the later steps.
        let moving: Vec<_> = theirs
            .iter()
            .copied()
            .filter(|o| {
                !matches!(
                    o.2,
                    Action::Dispute
                        | Action::Relocate
                        | Action::Confirm
                        | Action::Deny
                        | Action::RequestConfirm
                        | Action::AssignVerifier
                )
            })
            .collect();
        if !moving.is_empty() && rng.random_range(0..10) > 0 {
            theirs = moving;
        }
        let (token, role, action, case) = theirs[rng.random_range(0..theirs.len())];
        let state: CaseState = case["state"].as_str().unwrap().parse().unwrap();
        let needs = workflow::decide(state, *action, *role).unwrap().needs;
        let mut body = json!({ "action": action.as_str() });
        if needs.reason {
            body["reason"] = json!("mixed-day reason");
        }
        if needs.photo {
            body["photo_ids"] = json!([self.server.upload_photo(token)]);
        }
        if needs.position {
            body["position"] = self.position(*cell);
        }
        if needs.handling_unit {
            body["handling_unit"] = json!(UNITS[rng.random_range(0..UNITS.len())]);
        }
        if needs.new_deadline {
            let from = case["deadline"]
                .as_str()
                .map(|d| DateTime::parse_from_rfc3339(d).unwrap().with_timezone(&Utc))
                .unwrap_or_else(Utc::now);
            body["new_deadline"] = json!((from + chrono::Duration::days(3)).to_rfc3339());
        }
        if needs.merge_target {
            let (other, _, _) = &self.cases[rng.random_range(0..self.cases.len())];
            body["merge_into"] = json!(other);
        }
        if needs.rating {
            body["rating"] = json!(rng.random_range(1..=5));
        }
        if needs.inspector {
            body["inspector"] = json!(self.inspector_id);
        }
        let response = self
            .server
            .client
            .post(self.server.url(&format!("/api/v1/cases/{id}/actions")))
            .bearer_auth(token)
            .header("if-match", format!("\"{}\"", case["version"]))
            .json(&body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        // A merge into a case that cannot take it is refused; nothing else offered may fail.
        assert!(
            status == 200 || (*action == Action::Merge && (status == 422 || status == 409)),
            "{body}: {status}"
        );
        if status == 200 {
            self.taken.lock().unwrap().insert(*action);
        }
        status == 200
    }
}

pub(crate) fn db_of(server: &TestServer) -> Db {
    Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap()
}

pub(crate) fn gridline_summaries(server: &TestServer, args: &[&str]) -> Output {
    let data_dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_gridline"))
        .args(["summaries", "rebuild"])
        .args(args)
        .env_clear()
        .env("GRIDLINE_DATA_DIR", data_dir.path())
        .env("DATABASE_URL", &server.database_url)
        .output()
        .unwrap()
}

fn summaries_equal_the_events_after_a_random_mix_of_every_action(backend: Backend) {
    let mut city = City::open(backend);
    let mut rng = StdRng::seed_from_u64(21);
    let (citizen, inspector) = (city.citizen.clone(), city.inspector.clone());
    for i in 0..24 {
        let cell = rng.random_range(0..city.cells.len());
        let category = if i % 3 == 0 { "E0102" } else { "E0101" };
        match i % 4 {
            0 => city.report(&inspector, "/api/v1/reports", cell, category),
            1 => city.report(&citizen, "/api/v1/reports/web", cell, category),
            _ => city.report(&citizen, "/api/v1/reports", cell, category),
        }
    }
    // Reports arriving together go through the intake writer's batches (one summary statement
    // for a batch's events).
    let together: Vec<(String, usize)> = std::thread::scope(|scope| {
        let city = &city;
        let handles: Vec<_> = (0..30)
            .map(|i| {
                let citizen = citizen.clone();
                scope.spawn(move || {
                    let cell = i % city.cells.len();
                    let response = city
                        .server
                        .client
                        .post(city.server.url("/api/v1/reports"))
                        .bearer_auth(&citizen)
                        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
                        .json(&json!({
                            "category": "E0101",
                            "description": "Reported together",
                            "position": city.position(cell),
                            "photo_ids": [],
                        }))
                        .send()
                        .unwrap();
                    assert_eq!(response.status(), 201);
                    (response.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned(), cell)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    city.cases.extend(together.into_iter().map(|(id, cell)| (id, cell, citizen.clone())));
    let db = db_of(&city.server);
    let mut taken = 0;
    for round in 0..700 {
        if round == 300 {
            // Every deadline long past: the overdue job marks and escalates what is on the clock.
            let later = Utc::now() + chrono::Duration::days(60);
            let calendar = gridline_core::calendar::WorkingCalendar::china().unwrap();
            gridline_server::jobs::overdue::scan(&mut db.get().unwrap(), later, &calendar).unwrap();
        }
        taken += usize::from(city.random_step(&mut rng));
    }
    assert!(taken > 450, "only {taken} steps were taken");

    let mut conn = db.get().unwrap();
    let kinds: BTreeSet<String> = case_events::table
        .select(case_events::kind)
        .distinct()
        .load::<String>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    for kind in ["reported", "register", "reject", "dispatch", "accept", "send_back", "mark_handled"] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
    for kind in
        ["verify_pass", "verify_fail", "extend", "merge", "reopen", "rate", "mark_overdue", "escalate"]
    {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
    let reports: i64 = case_events::table
        .filter(case_events::kind.eq(gridline_server::store::events::REPORTED))
        .count()
        .get_result(&mut conn)
        .unwrap();

    // Written with each report, equal to a fresh computation from the events; the steps count
    // nothing here (the roll-ups count them).
    let fresh = summaries::compare(&mut conn).unwrap();
    assert_eq!(fresh.differences, Vec::new());
    assert_eq!(fresh.reports, reports);
    let stored: Vec<i64> =
        case_day_summaries::table.select(case_day_summaries::reports).load(&mut conn).unwrap();
    assert_eq!(stored.iter().sum::<i64>(), reports);
    let channels: BTreeSet<String> = case_day_summaries::table
        .select(case_day_summaries::channel)
        .distinct()
        .load::<String>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(channels, ["app", "inspector", "web"].into_iter().map(str::to_owned).collect());
    let passed = gridline_summaries(&city.server, &["--check"]);
    assert_eq!(passed.status.code(), Some(0), "{}", String::from_utf8_lossy(&passed.stderr));
    assert!(String::from_utf8_lossy(&passed.stdout).contains("agree"));
    assert!(String::from_utf8_lossy(&passed.stdout).contains("the roll-ups agree with the facts"));
    // A report a moment before, so the server's last fold (every ten seconds) left deltas for
    // the statistics to read and for the helper to fold.
    city.report(&citizen, "/api/v1/reports", 0, "E0101");
    let fresh = summaries::compare(&mut conn).unwrap();
    assert_eq!(fresh.differences, Vec::new());
    assert_eq!(fresh.reports, reports + 1);
    // The statistics of whole days, summed from the roll-ups kept with each step, agree with
    // those counted from the facts, for the city and for the street.
    let admin = city.server.admin_token();
    let callers = [admin.as_str(), city.dispatcher.as_str()];
    crate::stats_rollups::assert_rollups_match_facts(&city.server, &callers, &mut rng, 2, 30);

    // A row off by one is found, by the command too, and a rebuild puts it right.
    let (day, grid, category, channel): (String, String, String, String) = case_day_summaries::table
        .select((
            case_day_summaries::day,
            case_day_summaries::grid_code,
            case_day_summaries::category_code,
            case_day_summaries::channel,
        ))
        .filter(case_day_summaries::grid_code.ne(""))
        .first(&mut conn)
        .unwrap();
    diesel::update(
        case_day_summaries::table
            .filter(case_day_summaries::day.eq(&day))
            .filter(case_day_summaries::grid_code.eq(&grid))
            .filter(case_day_summaries::category_code.eq(&category))
            .filter(case_day_summaries::channel.eq(&channel)),
    )
    .set(case_day_summaries::reports.eq(case_day_summaries::reports + 1))
    .execute(&mut conn)
    .unwrap();
    let tampered = summaries::compare(&mut conn).unwrap();
    assert_eq!(tampered.differences.len(), 1, "{:?}", tampered.differences);
    let difference = &tampered.differences[0];
    assert_eq!((&difference.key.day, &difference.key.grid_code), (&day, &grid));
    assert_eq!(difference.stored, difference.from_events + 1);
    let failed = gridline_summaries(&city.server, &["--check"]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&failed.stdout).contains(&format!("{day}\t{grid}\t{category}\t{channel}\t"))
    );
    let rebuilt = gridline_summaries(&city.server, &[]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    assert_eq!(summaries::compare(&mut conn).unwrap(), fresh);
}
