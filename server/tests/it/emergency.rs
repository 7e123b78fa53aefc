//! Emergency mode (平战转换) over real HTTP on both backends: a city admin switches district A
//! to a Level II flood command; reports of the listed categories there are registered by the
//! system into the command unit's queue and dispatched with the level's 4-hour limit on a 24/7
//! clock, while district B and the other categories stay in peacetime; the switch-off returns
//! new reports to the street offices and open cases keep their limits; the after-action summary
//! equals figures worked out by hand; a drill runs on marked reports only and leaves the
//! statistics as they were; a switch with units on joint duty (联合值守) gives a command
//! dispatch that names no helpers one helper part per unit but the lead, due on the command
//! clock (`helpers: []` takes none; a case outside the command gets none). A district admin,
//! made by the city admin, commands its own district the same way and reaches nothing of the
//! other district: neither its switch nor its cases.
//!
//! The clock starts on Saturday 2026-12-05 at 22:00 in Shanghai (14:00 UTC): a peacetime
//! dispatch counts working time and falls due on Monday, a wartime one four hours later.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Backend, TestServer, demo_cells, point_in, problem};

use chrono::{DateTime, Duration, Utc};
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::grid::GridCell;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use reqwest::blocking::Response;
use serde_json::{Value, json};

const T0: &str = "2026-12-05T14:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn t(minutes: i64) -> DateTime<Utc> {
    at(T0) + Duration::minutes(minutes)
}

/// The city: district A (310104) and district B (310105), each with a share of the cells; the
/// admin who commands, and the server at T0.
struct City {
    server: TestServer,
    admin: String,
    admin_id: String,
    cell_a: GridCell,
    cell_b: GridCell,
    reporter: String,
}

impl City {
    fn open(backend: Backend) -> Self {
        let server = TestServer::start(backend);
        server.clock.set(at(T0));
        let admin = server.admin_token();
        let mut cells = demo_cells(8);
        let half = cells.len() / 2;
        for cell in &mut cells[half..] {
            let code = cell.code.to_string();
            cell.code = GridCode::parse(&format!("310105{}", &code[6..])).unwrap();
        }
        server.import_grid(&admin, "310104", &cells[..half]);
        server.import_grid(&admin, "310105", &cells[half..]);
        let me: Value = server.get_as(&admin, "/api/v1/me").json().unwrap();
        let reporter = server.citizen_token();
        City {
            admin_id: me["id"].as_str().unwrap().to_owned(),
            cell_a: cells[0].clone(),
            cell_b: cells[half].clone(),
            server,
            admin,
            reporter,
        }
    }

    fn report_body(&self, cell: &GridCell, category: &str, drill: bool) -> Value {
        let (lat, lon) = point_in(cell);
        let mut body = json!({
            "category": category,
            "description": "积水没过脚踝 water over the ankles",
            "position": { "lat": lat, "lon": lon },
        });
        if drill {
            body["drill"] = json!(true);
        }
        body
    }

    /// A citizen's report in `cell`; the new case's id.
    fn report(&self, cell: &GridCell, category: &str) -> String {
        let receipt = self.server.report_as(&self.reporter, &self.report_body(cell, category, false));
        receipt["id"].as_str().unwrap().to_owned()
    }

    fn case(&self, id: &str) -> Value {
        let response = self.server.get_as(&self.admin, &format!("/api/v1/cases/{id}"));
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    }

    fn state(&self, id: &str) -> String {
        self.case(id)["state"].as_str().unwrap().to_owned()
    }

    fn switch_on(&self, body: Value) -> Response {
        self.server
            .client
            .post(self.server.url("/api/v1/emergencies"))
            .bearer_auth(&self.admin)
            .json(&body)
            .send()
            .unwrap()
    }

    /// District A to a Level II flood command at unit `water`, commanded by the admin.
    fn flood_on(&self, drill: bool) -> Value {
        let response = self.switch_on(json!({
            "area": "310104",
            "level": "II",
            "kind": "flood_typhoon",
            "categories": ["E0504", "E0506"],
            "commander_id": self.admin_id,
            "command_unit": "water",
            "drill": drill,
            "note": "暴雨红色预警 red rainstorm warning",
        }));
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers().get("etag").unwrap(), "\"1\"");
        response.json().unwrap()
    }

    fn switch(&self, id: &str, if_match: Option<&str>, body: Value) -> Response {
        self.switch_as(&self.admin, id, if_match, body)
    }

    fn switch_as(&self, token: &str, id: &str, if_match: Option<&str>, body: Value) -> Response {
        let mut request = self
            .server
            .client
            .post(self.server.url(&format!("/api/v1/emergencies/{id}/actions")))
            .bearer_auth(token)
            .json(&body);
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        request.send().unwrap()
    }

    fn switch_off(&self, id: &str) -> Value {
        let response =
            self.switch(id, Some("\"1\""), json!({ "action": "switch_off", "note": "解除 all clear" }));
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    }

    fn read(&self, path: &str) -> Value {
        let response = self.server.get_as(&self.admin, path);
        assert_eq!(response.status(), 200, "{path}");
        response.json().unwrap()
    }

    fn dispatch(&self, id: &str, unit: &str) -> Value {
        self.server.step(&self.admin, id, &json!({ "action": "dispatch", "handling_unit": unit }))
    }

    /// The unit's handler accepts and marks the case handled.
    fn handle(&self, handler: &str, id: &str) {
        self.server.step(handler, id, &json!({ "action": "accept" }));
        let photo = self.server.upload_photo(handler);
        self.server.step(handler, id, &json!({ "action": "mark_handled", "photo_ids": [photo] }));
    }

    fn handler(&self, unit: &str) -> String {
        self.server.staff_token(Role::Handler, Scope::Unit { unit: unit.to_owned() })
    }
}

fn deadline(case: &Value) -> DateTime<Utc> {
    at(case["deadline"].as_str().unwrap())
}

fn kinds(timeline: &Value) -> Vec<&str> {
    timeline.as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect()
}

fn level_two_flood_takes_the_listed_reports_of_its_district_only(backend: Backend) {
    let city = City::open(backend);
    let flood = city.flood_on(false);
    let id = flood["id"].as_str().unwrap().to_owned();
    assert_eq!(flood["state"], "active");
    assert_eq!(flood["limits"], json!({ "dispatch_minutes": 15, "handle_minutes": 240 }));
    assert_eq!(flood["available_actions"], json!(["switch_off"]));

    // A second switch over the same district, or one of its streets, is refused.
    let again = city.switch_on(json!({
        "area": city.cell_a.code.to_string()[..9], "level": "I", "kind": "fire", "categories": ["E0501"],
        "commander_id": city.admin_id, "command_unit": "roads",
    }));
    assert_eq!(problem(again, 409)["code"], "emergency_already_on");
    // Bad switches are named by their field.
    for (body, field) in [
        (
            json!({"area": "310104001001001", "level": "II", "kind": "fire", "categories": ["E0501"], "commander_id": city.admin_id, "command_unit": "roads"}),
            "area",
        ),
        (
            json!({"area": "310106", "level": "II", "kind": "fire", "categories": ["X9999"], "commander_id": city.admin_id, "command_unit": "roads"}),
            "categories[0]",
        ),
        (
            json!({"area": "310106", "level": "II", "kind": "fire", "categories": ["E0501"], "commander_id": city.admin_id, "command_unit": "nobody"}),
            "command_unit",
        ),
        (
            json!({"area": "310106", "level": "II", "kind": "fire", "categories": ["E0501"], "commander_id": "nobody", "command_unit": "roads"}),
            "commander_id",
        ),
    ] {
        assert_eq!(problem(city.switch_on(body), 422)["field"], field);
    }
    let level_v = city.switch_on(json!({"area": "310106", "level": "V", "kind": "fire", "categories": ["E0501"], "commander_id": city.admin_id, "command_unit": "roads"}));
    assert_eq!(level_v.status(), 422);
    // Only an admin switches.
    let dispatcher = city.server.staff_token(
        Role::Dispatcher,
        Scope::Street { street: AreaCode::parse(&city.cell_a.code.to_string()[..9]).unwrap() },
    );
    let refused = city
        .server
        .client
        .post(city.server.url("/api/v1/emergencies"))
        .bearer_auth(&dispatcher)
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(problem(refused, 403)["code"], "not_allowed_for_role");
    // The list says so, for a page to offer the form or not.
    let as_dispatcher: Value = city.server.get_as(&dispatcher, "/api/v1/emergencies").json().unwrap();
    assert_eq!(as_dispatcher["can_switch_on"], false);
    assert_eq!(city.read("/api/v1/emergencies")["can_switch_on"], true);

    // Flooding in district A goes straight to the command queue; in district B, and a
    // category not listed in A, stay with the street offices.
    let flooded_a = city.report(&city.cell_a, "E0504");
    let flooded_b = city.report(&city.cell_b, "E0504");
    let bin_a = city.report(&city.cell_a, "E0101");
    assert_eq!(city.state(&flooded_a), "registered");
    assert_eq!(city.state(&flooded_b), "reported");
    assert_eq!(city.state(&bin_a), "reported");
    let trail = city.read(&format!("/api/v1/cases/{flooded_a}/timeline"));
    let trail_text = trail.to_string();
    assert!(trail_text.contains("command_register"), "{trail_text}");

    // The incident view shows the case in the queue with its dispatch-by time.
    let incident = city.read(&format!("/api/v1/emergencies/{id}/incident"));
    let queue = incident["queue"].as_array().unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["case_id"], flooded_a.as_str());
    assert_eq!(at(queue[0]["dispatch_due"].as_str().unwrap()), t(15));
    assert_eq!(queue[0]["dispatch_overdue"], false);

    // Dispatched ten minutes later: due four hours later, round the clock (Saturday night),
    // as the case view says before the dispatch: its limit under command and the deadline a
    // dispatch now would set. A peacetime case shows neither.
    city.server.clock.set(t(10));
    let before = city.read(&format!("/api/v1/cases/{flooded_a}"));
    assert_eq!(before["command_limit_minutes"], 240);
    assert_eq!(at(before["dispatch_deadline"].as_str().unwrap()), t(10 + 240));
    assert!(city.read(&format!("/api/v1/cases/{flooded_b}")).get("command_limit_minutes").is_none());
    let dispatched = city.dispatch(&flooded_a, "roads");
    assert_eq!(deadline(&dispatched), t(10 + 240));
    // The peacetime case of district B is due on Monday's working time instead.
    city.server.step(&city.admin, &flooded_b, &json!({ "action": "register" }));
    let peacetime = city.dispatch(&flooded_b, "water");
    assert!(deadline(&peacetime) > t(24 * 60), "{}", peacetime["deadline"]);

    // A second flood report waits in the queue over the switch-off.
    let waiting = city.report(&city.cell_a, "E0506");
    assert_eq!(city.state(&waiting), "registered");
    let incident = city.read(&format!("/api/v1/emergencies/{id}/incident"));
    assert_eq!(incident["queue"].as_array().unwrap().len(), 1);
    assert_eq!(
        incident["units"],
        json!([{ "unit": "roads", "open_tasks": 1, "supervisors": 0, "over_span": false }])
    );

    // Switching off needs the version; a stale one is refused, and so is a second switch-off.
    let without = city.switch(&id, None, json!({ "action": "switch_off" }));
    assert_eq!(problem(without, 428)["code"], "precondition_required");
    let stale = city.switch(&id, Some("\"7\""), json!({ "action": "switch_off" }));
    assert_eq!(problem(stale, 409)["code"], "version_mismatch");
    city.server.clock.set(t(20));
    let off = city.switch_off(&id);
    assert_eq!((off["state"].as_str(), off["version"].as_i64()), (Some("ended"), Some(2)));
    assert_eq!(off["available_actions"], json!([]));
    let twice = city.switch(&id, Some("\"2\""), json!({ "action": "switch_off" }));
    assert_eq!(problem(twice, 409)["code"], "not_from_state");

    // After the switch-off new reports go to the street office again; the waiting case keeps
    // its four hours.
    let after = city.report(&city.cell_a, "E0504");
    assert_eq!(city.state(&after), "reported");
    city.server.clock.set(t(30));
    let late = city.dispatch(&waiting, "water");
    assert_eq!(deadline(&late), t(30 + 240));

    // The timeline of command decisions, newest first.
    let incident = city.read(&format!("/api/v1/emergencies/{id}/incident"));
    assert_eq!(
        kinds(&incident["timeline"]),
        ["dispatch", "switch_off", "command_register", "dispatch", "command_register", "switch_on"]
    );
    assert_eq!(incident["timeline"][5]["note"], "暴雨红色预警 red rainstorm warning");
    let listed = city.read("/api/v1/emergencies");
    assert_eq!(listed["emergencies"][0]["id"], id.as_str());
}

fn the_after_action_summary_equals_the_figures_worked_out_by_hand(backend: Backend) {
    let city = City::open(backend);
    let (water, roads) = (city.handler("water"), city.handler("roads"));
    let flood = city.flood_on(false);
    let id = flood["id"].as_str().unwrap().to_owned();

    // Case 1: queued at 0, dispatched at 10 (on time), handled at 70 (due at 250).
    let first = city.report(&city.cell_a, "E0504");
    city.server.clock.set(t(5));
    // Case 2: queued at 5, dispatched at 25 (late: 20 > 15 min), handled at 325 (due at 265).
    let second = city.report(&city.cell_a, "E0506");
    city.server.clock.set(t(10));
    city.dispatch(&first, "water");
    city.server.clock.set(t(25));
    city.dispatch(&second, "roads");
    let incident = city.read(&format!("/api/v1/emergencies/{id}/incident"));
    assert_eq!(
        incident["units"],
        json!([
            { "unit": "roads", "open_tasks": 1, "supervisors": 1, "over_span": false },
            { "unit": "water", "open_tasks": 1, "supervisors": 1, "over_span": false },
        ])
    );
    // Case 3: queued at 30, never dispatched.
    city.server.clock.set(t(30));
    let third = city.report(&city.cell_a, "E0504");
    city.server.clock.set(t(60));
    city.switch_off(&id);
    city.server.clock.set(t(70));
    city.handle(&water, &first);
    city.server.clock.set(t(325));
    city.handle(&roads, &second);
    city.server.clock.set(t(400));

    let summary = city.read(&format!("/api/v1/emergencies/{id}/summary"));
    assert_eq!(summary["minutes_on"], 60.0);
    assert_eq!(
        summary["figures"],
        json!({
            "cases": 3,
            "dispatched": 2,
            "handled": 2,
            "closed": 0,
            "waiting": 1,
            "mean_minutes_to_dispatch": 15.0,
            "max_minutes_to_dispatch": 20.0,
            "mean_minutes_to_handle": 180.0,
            "max_minutes_to_handle": 300.0,
            "dispatch_overdue": 2,
            "handle_overdue": 1,
            "units": ["roads", "water"],
        })
    );
    assert_eq!(city.state(&third), "registered");

    let page = city.server.get_as(&city.admin, &format!("/api/v1/emergencies/{id}/summary/print"));
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
    let html = page.text().unwrap();
    for shown in ["15.0 min", "300.0 min", "roads, water", "II 级", "<td>3</td>"] {
        assert!(html.contains(shown), "{shown} not in the page");
    }
}

fn a_drill_runs_on_marked_reports_and_leaves_the_statistics_unchanged(backend: Backend) {
    let city = City::open(backend);
    let inspector = city.server.staff_token(
        Role::Inspector,
        Scope::Grids { grids: [city.cell_a.code, city.cell_b.code].into_iter().collect() },
    );
    let water = city.handler("water");
    let drill = city.flood_on(true);
    let id = drill["id"].as_str().unwrap().to_owned();
    assert_eq!(drill["drill"], true);
    // A real report during the drill stays with the street office, which dispatches it: the
    // statistics have something to count.
    let real = city.report(&city.cell_a, "E0504");
    assert_eq!(city.state(&real), "reported");
    city.server.step(&city.admin, &real, &json!({ "action": "register" }));
    city.dispatch(&real, "water");
    let stats = "/api/v1/stats?from=2026-12-01&to=2026-12-31";
    let before = city.read(stats);
    let counts = "/api/v1/dashboard/counts";
    let counts_before = city.read(counts);

    let post = |token: &str, body: Value| {
        city.server
            .client
            .post(city.server.url("/api/v1/reports"))
            .bearer_auth(token)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .json(&body)
            .send()
            .unwrap()
    };
    // Citizens do not file drill reports, and nothing catches one outside the drill.
    let from_citizen = post(&city.reporter, city.report_body(&city.cell_a, "E0504", true));
    assert_eq!(problem(from_citizen, 422)["field"], "drill");
    let elsewhere = post(&inspector, city.report_body(&city.cell_b, "E0504", true));
    assert_eq!(problem(elsewhere, 422)["code"], "no_drill_here");

    // The whole mode on a marked report: queue, 24/7 limit, handling, switch-off, summary.
    let marked = city.server.report_as(&inspector, &city.report_body(&city.cell_a, "E0504", true));
    let marked = marked["id"].as_str().unwrap().to_owned();
    assert_eq!(city.state(&marked), "registered");
    assert_eq!(city.read(counts), counts_before, "the drill's open case is not on the map's counts");
    city.server.clock.set(t(5));
    let dispatched = city.dispatch(&marked, "water");
    assert_eq!(deadline(&dispatched), t(5 + 240));
    city.server.clock.set(t(30));
    city.handle(&water, &marked);
    city.switch_off(&id);
    let summary = city.read(&format!("/api/v1/emergencies/{id}/summary"));
    assert_eq!(summary["emergency"]["drill"], true);
    let figures = &summary["figures"];
    assert_eq!((&figures["cases"], &figures["handled"]), (&json!(1), &json!(1)));
    assert_eq!(figures["mean_minutes_to_dispatch"], 5.0);

    // Read at the clock of the first reading (open cases count against now): nothing moved.
    city.server.clock.set(at(T0));
    assert_eq!(city.read(stats), before);

    // Nor in the per-day summaries: they hold the real case's report alone, and agree with a
    // count made afresh from the events.
    let db = crate::stats::connect(&city.server);
    let conn = &mut db.get().unwrap();
    let comparison = gridline_server::store::summaries::compare(conn).unwrap();
    assert!(comparison.differences.is_empty(), "{:?}", comparison.differences);
    assert_eq!(comparison.reports, 1, "only the real case's report is counted");
}

/// A district admin of district A, created by the city admin through the admin API and signed in
/// with its password: its token and account id.
fn district_admin_of_a(city: &City) -> (String, String) {
    let password = "district command centre 2026";
    let created = city
        .server
        .client
        .post(city.server.url("/api/v1/admin/users"))
        .bearer_auth(&city.admin)
        .json(&json!({
            "login": "xuhui.command", "display_name": "徐汇区城管指挥中心", "role": "district_admin",
            "scope": { "kind": "district", "district": "310104" }, "password": password,
        }))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    assert_eq!(created["user"]["scope"], json!({ "kind": "district", "district": "310104" }));
    let signed_in = city
        .server
        .post_json("/api/v1/auth/login", &json!({ "login": "xuhui.command", "password": password }));
    assert_eq!(signed_in.status(), 200);
    let signed_in: Value = signed_in.json().unwrap();
    assert_eq!(signed_in["user"]["role"], "district_admin");
    (
        signed_in["access_token"].as_str().unwrap().to_owned(),
        created["user"]["id"].as_str().unwrap().to_owned(),
    )
}

fn a_district_admin_commands_its_own_district_only(backend: Backend) {
    let city = City::open(backend);
    // A district admin holds exactly one district: no scope, the city or a street is refused.
    for scope in
        [None, Some(json!({ "kind": "city" })), Some(json!({ "kind": "street", "street": "310104001" }))]
    {
        let mut body = json!({ "login": "no.district", "display_name": "No", "role": "district_admin" });
        if let Some(scope) = scope {
            body["scope"] = scope;
        }
        let refused = city
            .server
            .client
            .post(city.server.url("/api/v1/admin/users"))
            .bearer_auth(&city.admin)
            .json(&body);
        assert_eq!(problem(refused.send().unwrap(), 422)["field"], "scope");
    }
    let (district, district_id) = district_admin_of_a(&city);
    let post = |token: &str, path: &str, body: Value| {
        city.server.client.post(city.server.url(path)).bearer_auth(token).json(&body).send().unwrap()
    };
    let flood = |area: &str, commander: &str| {
        json!({
            "area": area, "level": "II", "kind": "flood_typhoon", "categories": ["E0504"],
            "commander_id": commander, "command_unit": "water",
        })
    };

    // District B is switched by the city; district A's admin may not switch B, nor a street of
    // it, and does not even learn that B's switch exists.
    let b_on = post(&city.admin, "/api/v1/emergencies", flood("310105", &city.admin_id));
    assert_eq!(b_on.status(), 201);
    let b_id = b_on.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
    for area in ["310105", &city.cell_b.code.to_string()[..9]] {
        let refused = post(&district, "/api/v1/emergencies", flood(area, &district_id));
        assert_eq!(problem(refused, 403)["code"], "forbidden", "{area}");
    }
    problem(city.server.get_as(&district, &format!("/api/v1/emergencies/{b_id}")), 404);
    problem(city.switch_as(&district, &b_id, Some("\"1\""), json!({ "action": "switch_off" })), 404);

    // District A to a Level II flood command, commanded by the district admin itself.
    let on = post(&district, "/api/v1/emergencies", flood("310104", &district_id));
    assert_eq!(on.status(), 201);
    let on: Value = on.json().unwrap();
    let a_id = on["id"].as_str().unwrap().to_owned();
    assert_eq!((&on["level"], &on["available_actions"]), (&json!("II"), &json!(["switch_off"])));
    let listed: Value = city.server.get_as(&district, "/api/v1/emergencies").json().unwrap();
    let ids: Vec<&str> =
        listed["emergencies"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [a_id.as_str()]);
    assert_eq!(listed["can_switch_on"], true);

    // A flood report of A reaches the command queue and the district admin dispatches it with
    // the level's four hours; B's command queue is out of its reach.
    let in_a = city.report(&city.cell_a, "E0504");
    let in_b = city.report(&city.cell_b, "E0504");
    assert_eq!((city.state(&in_a), city.state(&in_b)), ("registered".to_owned(), "registered".to_owned()));
    let incident: Value =
        city.server.get_as(&district, &format!("/api/v1/emergencies/{a_id}/incident")).json().unwrap();
    assert_eq!(incident["queue"][0]["case_id"], in_a.as_str());
    city.server.clock.set(t(10));
    let dispatched =
        city.server.step(&district, &in_a, &json!({ "action": "dispatch", "handling_unit": "roads" }));
    assert_eq!(deadline(&dispatched), t(10 + 240));

    let b_case: Value = city.server.get_as(&district, &format!("/api/v1/cases/{in_b}")).json().unwrap();
    assert_eq!(b_case["view"], "public", "another district's case is not in the staff view");
    let step = city
        .server
        .client
        .post(city.server.url(&format!("/api/v1/cases/{in_b}/actions")))
        .bearer_auth(&district)
        .header("if-match", format!("\"{}\"", city.case(&in_b)["version"]))
        .json(&json!({ "action": "dispatch", "handling_unit": "roads" }))
        .send()
        .unwrap();
    assert_eq!(problem(step, 403)["code"], "out_of_scope");
    assert_eq!(city.state(&in_b), "registered");
    problem(city.server.get_as(&district, &format!("/api/v1/cases/{in_b}/notifications")), 404);
    let cases: Value = city.server.get_as(&district, "/api/v1/cases").json().unwrap();
    let cases: Vec<&str> =
        cases["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(cases, [in_a.as_str()]);
    let b_stats = city.server.get_as(&district, "/api/v1/stats?from=2026-12-01&to=2026-12-31&area=310105");
    assert_eq!(problem(b_stats, 403)["code"], "out_of_scope");
    // The city's configuration and accounts stay with the city admin.
    let account = post(
        &district,
        "/api/v1/admin/users",
        json!({ "login": "x", "display_name": "x", "role": "inspector" }),
    );
    problem(account, 403);

    // Switched off by the district admin; the summary reads, as JSON and as a page.
    city.server.clock.set(t(40));
    let off = city.switch_as(&district, &a_id, Some("\"1\""), json!({ "action": "switch_off" }));
    assert_eq!(off.status(), 200);
    assert_eq!(off.json::<Value>().unwrap()["state"], "ended");
    let after = city.report(&city.cell_a, "E0504");
    assert_eq!(city.state(&after), "reported");
    let summary: Value =
        city.server.get_as(&district, &format!("/api/v1/emergencies/{a_id}/summary")).json().unwrap();
    assert_eq!(summary["minutes_on"], 40.0);
    let figures = &summary["figures"];
    assert_eq!((&figures["cases"], &figures["dispatched"]), (&json!(1), &json!(1)));
    assert_eq!(figures["mean_minutes_to_dispatch"], 10.0);
    assert_eq!(figures["units"], json!(["roads"]));
    let page = city.server.get_as(&district, &format!("/api/v1/emergencies/{a_id}/summary/print"));
    assert_eq!(page.status(), 200);
    let timeline = &city.read(&format!("/api/v1/emergencies/{a_id}/incident"))["timeline"];
    let roles: Vec<&str> =
        timeline.as_array().unwrap().iter().map(|d| d["actor_role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["district_admin", "district_admin", "system", "district_admin"]);
}

/// The parts of case `id` as the admin reads them, withdrawn ones left out.
fn parts_of(city: &City, id: &str) -> Vec<Value> {
    let joint = city.read(&format!("/api/v1/cases/{id}/joint"));
    joint["parts"].as_array().unwrap().iter().filter(|p| p["state"] != "withdrawn").cloned().collect()
}

fn units_of(parts: &[Value]) -> Vec<&str> {
    parts.iter().map(|p| p["unit"].as_str().unwrap()).collect()
}

fn joint_units_are_the_default_helpers_of_a_command_dispatch(backend: Backend) {
    let city = City::open(backend);
    let switch = |joint_units: Value| {
        city.switch_on(json!({
            "area": "310104", "level": "II", "kind": "flood_typhoon", "categories": ["E0504"],
            "commander_id": city.admin_id, "command_unit": "water", "joint_units": joint_units,
        }))
    };
    // Bad units on joint duty are a 422 naming the field.
    let eight: Vec<String> = (0..8).map(|i| format!("unit{i}")).collect();
    for (units, field, code) in [
        (json!(["nobody"]), "joint_units[0]", "unknown_unit"),
        (json!(["roads", " roads "]), "joint_units[1]", "joint_unit_invalid"),
        (json!(["roads", ""]), "joint_units[1]", "joint_unit_invalid"),
        (json!(eight), "joint_units", "too_many_joint_units"),
    ] {
        let body = problem(switch(units.clone()), 422);
        assert_eq!((body["field"].as_str(), body["code"].as_str()), (Some(field), Some(code)), "{units}");
    }
    assert_eq!(switch(json!("roads")).status(), 422, "a list, not a word");
    let response = switch(json!(["roads", "street"]));
    assert_eq!(response.status(), 201);
    let flood: Value = response.json().unwrap();
    assert_eq!(flood["joint_units"], json!(["roads", "street"]));
    assert_eq!(flood["joint_handling_default"], true);
    let id = flood["id"].as_str().unwrap().to_owned();
    let incident = city.read(&format!("/api/v1/emergencies/{id}/incident"));
    assert_eq!(incident["emergency"]["joint_units"], json!(["roads", "street"]));

    // Before the dispatch the case view shows the parts a dispatch naming no helpers adds.
    let to_roads = city.report(&city.cell_a, "E0504");
    let to_gas = city.report(&city.cell_a, "E0504");
    let alone = city.report(&city.cell_a, "E0504");
    city.server.clock.set(t(10));
    let before = city.read(&format!("/api/v1/cases/{to_gas}"));
    let defaults = before["default_helpers"].as_array().unwrap();
    assert_eq!(units_of(defaults), ["roads", "street"]);
    assert!(defaults[0]["note"].as_str().unwrap().contains(&id), "{}", defaults[0]["note"]);
    assert_eq!(at(before["dispatch_deadline"].as_str().unwrap()), t(10 + 240));

    // Dispatched without helpers: one part per unit on joint duty, the lead left out, each due
    // with the case on the command clock (Saturday night: four hours later).
    city.dispatch(&to_gas, "gas");
    let parts = parts_of(&city, &to_gas);
    assert_eq!(units_of(&parts), ["roads", "street"]);
    for part in &parts {
        assert_eq!(at(part["deadline"].as_str().unwrap()), t(10 + 240));
        assert!(part["note"].as_str().unwrap().contains("240 minutes"), "{}", part["note"]);
        assert_eq!(part["state"], "assigned");
    }
    let dispatched = city.dispatch(&to_roads, "roads");
    assert_eq!(deadline(&dispatched), t(10 + 240));
    assert_eq!(units_of(&parts_of(&city, &to_roads)), ["street"]);
    // `helpers: []` takes none: a default, not a rule; named helpers replace it.
    city.server.step(
        &city.admin,
        &alone,
        &json!({ "action": "dispatch", "handling_unit": "water", "helpers": [] }),
    );
    assert!(parts_of(&city, &alone).is_empty());
    let named = city.report(&city.cell_a, "E0504");
    city.server.step(
        &city.admin,
        &named,
        &json!({
            "action": "dispatch",
            "handling_unit": "water",
            "helpers": [{ "unit": "gas", "note": "Check the main" }],
        }),
    );
    assert_eq!(units_of(&parts_of(&city, &named)), ["gas"]);

    // A case outside the command (district B) gets none, and its view offers none.
    let outside = city.report(&city.cell_b, "E0504");
    city.server.step(&city.admin, &outside, &json!({ "action": "register" }));
    assert!(city.read(&format!("/api/v1/cases/{outside}")).get("default_helpers").is_none());
    city.dispatch(&outside, "roads");
    assert!(parts_of(&city, &outside).is_empty());

    // A default part returned for rework falls due on the command clock again.
    let street = city.handler("street");
    let part_step = |token: &str, body: Value| {
        let joint = city.read(&format!("/api/v1/cases/{to_gas}/joint"));
        let part = joint["parts"].as_array().unwrap().iter().find(|p| p["unit"] == "street").unwrap().clone();
        let path = format!("/api/v1/cases/{to_gas}/parts/{}/actions", part["id"].as_str().unwrap());
        let response = city
            .server
            .client
            .post(city.server.url(&path))
            .bearer_auth(token)
            .header("if-match", format!("\"{}\"", joint["case"]["version"]))
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{body}");
        let joint: Value = response.json().unwrap();
        joint["parts"].as_array().unwrap().iter().find(|p| p["unit"] == "street").unwrap().clone()
    };
    part_step(&street, json!({ "action": "accept" }));
    let photo = city.server.upload_photo(&street);
    part_step(&street, json!({ "action": "finish", "photo_ids": [photo] }));
    city.server.clock.set(t(60));
    let reworked =
        part_step(&city.admin, json!({ "action": "rework", "reason": "The sandbags are too low" }));
    assert_eq!(reworked["state"], "accepted");
    assert_eq!(at(reworked["deadline"].as_str().unwrap()), t(60 + 240));

    // After the switch-off a dispatch adds no default: joint handling is the command's.
    city.switch_off(&id);
    let off = city.read(&format!("/api/v1/emergencies/{id}"));
    assert_eq!(off["joint_units"], json!(["roads", "street"]));
    let later = city.report(&city.cell_a, "E0504");
    city.server.step(&city.admin, &later, &json!({ "action": "register" }));
    city.dispatch(&later, "gas");
    assert!(parts_of(&city, &later).is_empty());
}

crate::both_backends!(
    level_two_flood_takes_the_listed_reports_of_its_district_only,
    a_district_admin_commands_its_own_district_only,
    the_after_action_summary_equals_the_figures_worked_out_by_hand,
    a_drill_runs_on_marked_reports_and_leaves_the_statistics_unchanged,
    joint_units_are_the_default_helpers_of_a_command_dispatch,
);
