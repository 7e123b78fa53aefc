//! The server allows exactly what core's workflow allows: every case state x every action x
//! every caller, over real HTTP on both backends, against `gridline_core::workflow::decide`.
//!
//! Each cell starts from a case put into its state directly in the database (with the unit,
//! deadline, merge target and version a case in that state has), then posts the action with a
//! body that carries everything core says the action needs, so an allowed step is never
//! refused for a missing field. An allowed step must answer 200 with core's next state; a refused one 403
//! (role) or 409 (state) with core's code, leaving the case as it was. After an allowed step
//! the state's case is replaced by a fresh one, so every cell starts from the same state.
//!
//! The `system` role (overdue, escalate) has no token and is not a caller here; its steps are
//! covered by the overdue job's tests. The callers' refusals of those two actions are checked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use common::{Backend, TestServer, demo_cells, point_in, problem};
use diesel::prelude::*;
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::workflow::{Action, CaseState, Refusal, Role, decide};
use gridline_server::auth::Scope;
use gridline_server::store::Db;
use gridline_server::store::schema::cases;
use serde_json::{Value, json};

const UNIT: &str = "sanitation";

/// Who posts the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    Reporter,
    OtherCitizen,
    Inspector,
    Dispatcher,
    Handler,
    Admin,
}

impl Caller {
    const ALL: [Caller; 6] = [
        Caller::Reporter,
        Caller::OtherCitizen,
        Caller::Inspector,
        Caller::Dispatcher,
        Caller::Handler,
        Caller::Admin,
    ];

    fn role(self) -> Role {
        match self {
            Caller::Reporter | Caller::OtherCitizen => Role::Citizen,
            Caller::Inspector => Role::Inspector,
            Caller::Dispatcher => Role::Dispatcher,
            Caller::Handler => Role::Handler,
            Caller::Admin => Role::Admin,
        }
    }
}

/// What the server must answer.
#[derive(Debug, PartialEq, Eq)]
enum Expected {
    Step(CaseState),
    Refused(u16, &'static str),
}

/// The states a case is put into, and whether it has a handling unit on record. A case that
/// was never dispatched has none; `registered` comes both ways, since a send-back, an unshelve
/// or a reopen of a closed case leaves the unit on the record (and the case in its scope).
fn setups() -> Vec<(CaseState, bool)> {
    let mut setups: Vec<(CaseState, bool)> = CaseState::ALL
        .iter()
        .map(|&state| {
            let unit = !matches!(
                state,
                CaseState::Reported | CaseState::Registered | CaseState::Rejected | CaseState::Merged
            );
            (state, unit)
        })
        .collect();
    setups.push((CaseState::Registered, true));
    setups
}

fn expected(state: CaseState, unit: bool, action: Action, caller: Caller) -> Expected {
    // The server's scope comes before core's rules: a citizen touches only the cases they
    // reported, so another citizen is refused everything, including core's `rate` of a closed
    // case (core leaves "the reporter only" to the case facts, which the scope already covers).
    if caller == Caller::OtherCitizen {
        return Expected::Refused(403, "out_of_scope");
    }
    // A handler sees only the cases dispatched to their unit; a case never dispatched is not
    // theirs, whatever core would say about the action.
    if caller == Caller::Handler && !unit {
        return Expected::Refused(403, "out_of_scope");
    }
    match decide(state, action, caller.role()) {
        // The table's cases are put in their state directly, with no dispatch event and no
        // dispute: core's joint rules find the dispute window closed and nothing to arbitrate.
        Ok(_) if action == Action::Dispute => Expected::Refused(409, "dispute_window_closed"),
        Ok(_) if matches!(action, Action::Uphold | Action::Reassign) => {
            Expected::Refused(409, "no_dispute_pending")
        }
        Ok(transition) => Expected::Step(transition.to),
        Err(refusal @ Refusal::NotAllowedForRole { .. }) => Expected::Refused(403, refusal.code()),
        Err(refusal @ Refusal::NotFromState { .. }) => Expected::Refused(409, refusal.code()),
        Err(other) => panic!("decide refuses only by role or state, found {other:?}"),
    }
}

/// One server, its people and a case per state.
struct Table {
    server: TestServer,
    db: Db,
    tokens: BTreeMap<Caller, String>,
    photos: BTreeMap<Caller, String>,
    lat: f64,
    lon: f64,
    merge_target: String,
    deadline: NaiveDateTime,
    new_deadline: DateTime<Utc>,
    /// The inspector's account id, which `assign_verifier` names.
    inspector_id: String,
}

impl Table {
    fn open(backend: Backend) -> Self {
        // Every allowed step takes a fresh report from the same citizen.
        let server = TestServer::start_with(backend, &[("GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR", "0")]);
        let admin = server.admin_token();
        let cells = demo_cells(20);
        server.import_grid(&admin, "310104", &cells);
        let cell = &cells[3];
        let (lat, lon) = point_in(cell);
        let code = cell.code.to_string();
        let grid = GridCode::parse(&code).unwrap();
        let street = AreaCode::parse(&code[..9]).unwrap();
        let tokens: BTreeMap<Caller, String> = [
            (Caller::Reporter, server.citizen_token()),
            (Caller::OtherCitizen, server.citizen_token()),
            (Caller::Inspector, server.staff_token(Role::Inspector, Scope::Grids { grids: [grid].into() })),
            (Caller::Dispatcher, server.staff_token(Role::Dispatcher, Scope::Street { street })),
            (Caller::Handler, server.staff_token(Role::Handler, Scope::Unit { unit: UNIT.into() })),
            (Caller::Admin, admin),
        ]
        .into();
        let photos = tokens.iter().map(|(caller, token)| (*caller, server.upload_photo(token))).collect();
        let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
        let me: Value = server.get_as(&tokens[&Caller::Inspector], "/api/v1/me").json().unwrap();
        let inspector_id = me["id"].as_str().unwrap().to_owned();
        // Whole seconds, so the stored deadline reads back exactly on both backends.
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        let mut table = Table {
            server,
            db,
            tokens,
            photos,
            lat,
            lon,
            merge_target: String::new(),
            deadline: (now + chrono::Duration::days(3)).naive_utc(),
            new_deadline: now + chrono::Duration::days(30),
            inspector_id,
        };
        // Another open case in the same cell, which `merge` points at; it stays `reported`.
        table.merge_target = table.report();
        table
    }

    /// A new case reported by the reporter; its id.
    fn report(&self) -> String {
        let receipt = self.server.report_as(
            &self.tokens[&Caller::Reporter],
            &json!({
                "category": "E0101",
                "description": "Overflowing rubbish bin",
                "position": { "lat": self.lat, "lon": self.lon, "crs": "wgs84", "accuracy_m": 6.0 },
            }),
        );
        receipt["id"].as_str().unwrap().to_owned()
    }

    /// A new case put into `state` as the steps that lead there leave it, with the handling
    /// unit on record or not; its id and version.
    fn case_in(&self, state: CaseState, with_unit: bool) -> (String, i32) {
        let id = self.report();
        let (version, unit, deadline, merged_into) = match state {
            CaseState::Reported => (1, None, None, None),
            CaseState::Registered | CaseState::Rejected => (2, None, None, None),
            CaseState::Merged => (2, None, None, Some(self.merge_target.clone())),
            CaseState::Dispatched => (3, Some(UNIT), Some(self.deadline), None),
            // Shelving clears the deadline; the unit stays on the record.
            CaseState::Shelved => (4, Some(UNIT), None, None),
            CaseState::InProgress => (4, Some(UNIT), Some(self.deadline), None),
            CaseState::Handled => (5, Some(UNIT), Some(self.deadline), None),
            CaseState::Closed => (6, Some(UNIT), Some(self.deadline), None),
        };
        let unit = with_unit.then_some(UNIT).or(unit);
        let mut conn = self.db.get().unwrap();
        let updated = diesel::update(cases::table.filter(cases::id.eq(&id)))
            .set((
                cases::state.eq(state.as_str()),
                cases::version.eq(version),
                cases::handling_unit.eq(unit),
                cases::deadline.eq(deadline),
                cases::overdue.eq(false),
                cases::merged_into.eq(merged_into),
                cases::rating.eq(None::<i32>),
            ))
            .execute(&mut *conn)
            .unwrap();
        assert_eq!(updated, 1);
        (id, version)
    }

    fn stored(&self, id: &str) -> (String, i32) {
        let mut conn = self.db.get().unwrap();
        cases::table
            .filter(cases::id.eq(id))
            .select((cases::state, cases::version))
            .first(&mut *conn)
            .unwrap()
    }

    /// What `action` needs according to core (the same whoever takes it, from wherever), with
    /// the caller's own photo. Only the needed fields go in: the server checks a merge target
    /// it is given whatever the action, and a handler cannot see the target case.
    fn body(&self, action: Action, caller: Caller) -> Value {
        let needs = CaseState::ALL
            .iter()
            .flat_map(|s| Role::ALL.iter().map(move |r| (*s, *r)))
            .find_map(|(s, r)| decide(s, action, r).ok())
            .map(|t| t.needs)
            .unwrap();
        let mut body = json!({ "action": action.as_str() });
        if needs.reason {
            body["reason"] = json!("checked on the spot");
        }
        if needs.handling_unit {
            body["handling_unit"] = json!(UNIT);
        }
        if needs.photo {
            body["photo_ids"] = json!([self.photos[&caller]]);
        }
        if needs.position {
            body["position"] = json!({ "lat": self.lat, "lon": self.lon, "crs": "wgs84", "accuracy_m": 5.0 });
        }
        if needs.new_deadline {
            body["new_deadline"] = json!(self.new_deadline.to_rfc3339());
        }
        if needs.merge_target {
            body["merge_into"] = json!(self.merge_target);
        }
        if needs.rating {
            body["rating"] = json!(4);
        }
        if needs.inspector {
            body["inspector"] = json!(self.inspector_id);
        }
        body
    }
}

fn every_state_action_and_role_matches_core(backend: Backend) {
    let table = Table::open(backend);
    let mut allowed = 0;
    let mut refused = 0;
    let setups = setups();
    for &(state, unit) in &setups {
        let (mut id, mut version) = table.case_in(state, unit);
        for &action in Action::ALL {
            for caller in Caller::ALL {
                let cell = format!("{state} (unit: {unit}) x {action} x {caller:?}");
                let response = table
                    .server
                    .client
                    .post(table.server.url(&format!("/api/v1/cases/{id}/actions")))
                    .bearer_auth(&table.tokens[&caller])
                    .header("if-match", format!("\"{version}\""))
                    .json(&table.body(action, caller))
                    .send()
                    .unwrap();
                match expected(state, unit, action, caller) {
                    Expected::Step(to) => {
                        let status = response.status().as_u16();
                        let answer: Value = response.json().unwrap();
                        assert_eq!(status, 200, "{cell}: {answer}");
                        assert_eq!(answer["state"], to.as_str(), "{cell}");
                        assert_eq!(answer["version"], version + 1, "{cell}");
                        assert_eq!(table.stored(&id), (to.as_str().to_owned(), version + 1), "{cell}");
                        allowed += 1;
                        (id, version) = table.case_in(state, unit);
                    }
                    Expected::Refused(status, code) => {
                        let answer = problem(response, status);
                        assert_eq!(answer["code"], code, "{cell}: {answer}");
                        if status == 409 {
                            assert_eq!(answer["current_state"], state.as_str(), "{cell}");
                            assert_eq!(answer["current_version"], version, "{cell}");
                        }
                        assert_eq!(
                            table.stored(&id),
                            (state.as_str().to_owned(), version),
                            "{cell}: changed"
                        );
                        refused += 1;
                    }
                }
            }
        }
    }
    let cells = setups.len() * Action::ALL.len() * Caller::ALL.len();
    assert_eq!(allowed + refused, cells);
    // Street office 21 steps twice (dispatcher, admin) plus 4 twice again from the second
    // `registered`, the unit 3, the inspector 4 (verify pass and fail, confirm and deny), the
    // reporter's rating 1: core's table as the callers here reach it.
    assert_eq!(allowed, 58, "allowed steps");
}

both_backends!(every_state_action_and_role_matches_core);
