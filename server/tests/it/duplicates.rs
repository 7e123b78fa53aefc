//! Candidate duplicates and merging over real HTTP on both backends: the list a street office
//! triages a new report with (same category, open, within the category's radius and the
//! window, nearest first, with distances), who may ask for it (the street office holding the
//! case and the case's reporter; a dispatcher of another street gets nothing), and a merge,
//! after which the merged report's reporter follows the surviving case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Utc;
use common::{Backend, TestServer, point_in, problem, two_street_cells};
use gridline_core::codes::AreaCode;
use gridline_core::geo::GeoPoint;
use gridline_core::grid::GridCell;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::{Value, json};

/// Metres per degree of latitude on the sphere core measures distances on.
const METRES_PER_DEGREE: f64 = 111_195.0;

fn street_of(cell: &GridCell) -> String {
    cell.code.to_string()[..9].to_owned()
}

/// `(lat, lon)` moved `north` and `east` metres.
pub(crate) fn offset((lat, lon): (f64, f64), north: f64, east: f64) -> (f64, f64) {
    (lat + north / METRES_PER_DEGREE, lon + east / (METRES_PER_DEGREE * lat.to_radians().cos()))
}

struct City {
    server: TestServer,
    admin: String,
    dispatcher_a: String,
    dispatcher_b: String,
    street_a: String,
    /// A point inside a cell of street A.
    origin: (f64, f64),
    /// The closest pair of cell centres across the two streets: (in A, in B).
    across: ((f64, f64), (f64, f64)),
}

impl City {
    fn open(backend: Backend) -> Self {
        let server = TestServer::start(backend);
        let admin = server.admin_token();
        let cells = two_street_cells(60);
        server.import_grid(&admin, "310104", &cells);
        let street_a = street_of(&cells[0]);
        let (a, b): (Vec<&GridCell>, Vec<&GridCell>) = cells.iter().partition(|c| street_of(c) == street_a);
        let street_b = street_of(b[0]);
        let mut across = (point_in(a[0]), point_in(b[0]));
        let distance = |p: (f64, f64), q: (f64, f64)| {
            GeoPoint::new(p.0, p.1).unwrap().distance_m(&GeoPoint::new(q.0, q.1).unwrap())
        };
        for ca in &a {
            for cb in &b {
                let pair = (point_in(ca), point_in(cb));
                if distance(pair.0, pair.1) < distance(across.0, across.1) {
                    across = pair;
                }
            }
        }
        assert!(distance(across.0, across.1) < 500.0, "neighbouring streets' cells within E0104's 500 m");
        let dispatcher = |street: &str| {
            server.staff_token(Role::Dispatcher, Scope::Street { street: AreaCode::parse(street).unwrap() })
        };
        let (dispatcher_a, dispatcher_b) = (dispatcher(&street_a), dispatcher(&street_b));
        City { origin: point_in(a[0]), server, admin, dispatcher_a, dispatcher_b, street_a, across }
    }

    /// A report by `reporter`; its receipt.
    fn report(&self, reporter: &str, category: &str, at: (f64, f64)) -> Value {
        self.server.report_as(
            reporter,
            &json!({
                "category": category,
                "description": "Rubbish heaped at the corner",
                "position": { "lat": at.0, "lon": at.1, "crs": "wgs84", "accuracy_m": 5.0 },
            }),
        )
    }

    fn act(&self, token: &str, id: &str, body: Value) -> Value {
        self.server.step(token, id, &body)
    }

    fn duplicates(&self, token: &str, id: &str, query: &str) -> reqwest::blocking::Response {
        self.server.get_as(token, &format!("/api/v1/cases/{id}/duplicates{query}"))
    }

    /// `(id, distance_m)` of the candidates, in the order answered.
    fn candidates(&self, token: &str, id: &str, query: &str) -> Vec<(String, f64)> {
        let response = self.duplicates(token, id, query);
        assert_eq!(response.status(), 200);
        let body: Value = response.json().unwrap();
        body["duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["id"].as_str().unwrap().to_owned(), d["distance_m"].as_f64().unwrap()))
            .collect()
    }
}

fn id(receipt: &Value) -> String {
    receipt["id"].as_str().unwrap().to_owned()
}

fn nearest_open_cases_of_the_category_first(backend: Backend) {
    let city = City::open(backend);
    let (first, second, third) =
        (city.server.citizen_token(), city.server.citizen_token(), city.server.citizen_token());
    let target = city.report(&first, "E0101", city.origin);
    assert_eq!(target["placement"]["street"], city.street_a.as_str());
    let mid = city.report(&second, "E0101", offset(city.origin, 0.0, 60.0));
    let near = city.report(&second, "E0101", offset(city.origin, 20.0, 0.0));
    // Not candidates: beyond E0101's radius (the taxonomy's default, 250 m), another category,
    // and a case no longer open.
    city.report(&third, "E0101", offset(city.origin, 300.0, 0.0));
    city.report(&third, "E0102", offset(city.origin, 10.0, 0.0));
    let rejected = city.report(&third, "E0101", offset(city.origin, 0.0, 30.0));
    city.act(&city.dispatcher_a, &id(&rejected), json!({ "action": "reject", "reason": "test report" }));
    for receipt in [&mid, &near, &rejected] {
        assert_eq!(receipt["placement"]["street"], city.street_a.as_str(), "offsets stay in street A");
    }

    let response = city.duplicates(&city.dispatcher_a, &id(&target), "");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(body["radius_m"], 250.0);
    assert_eq!(body["window_days"], 7);
    let found = city.candidates(&city.dispatcher_a, &id(&target), "");
    assert_eq!(found.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(), vec![id(&near), id(&mid)]);
    assert!((found[0].1 - 20.0).abs() < 0.5, "{found:?}");
    assert!((found[1].1 - 60.0).abs() < 0.5, "{found:?}");
    assert_eq!(body["duplicates"][0]["state"], "reported");
    assert_eq!(body["duplicates"][0]["overdue"], false);
    assert!(body["duplicates"][0]["description"].is_string(), "staff see the description");
    // `limit` keeps the nearest.
    assert_eq!(city.candidates(&city.dispatcher_a, &id(&target), "?limit=1").len(), 1);

    // The reporter of the case sees the public facts, distances only as coarse bands.
    let response = city.duplicates(&first, &id(&target), "");
    assert_eq!(response.status(), 200);
    let public: Value = response.json().unwrap();
    assert_eq!(public["duplicates"][0]["distance_band_m"], 50.0);
    assert_eq!(public["duplicates"][1]["distance_band_m"], 100.0);
    assert!(public["duplicates"][0].get("distance_m").is_none());
    assert!(public["duplicates"][0].get("id").is_none());
    assert!(public["duplicates"][0].get("description").is_none());
    assert!(public["duplicates"][0].get("position").is_none());

    // Outside the scope: another street's dispatcher, another citizen.
    assert_eq!(problem(city.duplicates(&city.dispatcher_b, &id(&target), ""), 403)["code"], "out_of_scope");
    assert_eq!(problem(city.duplicates(&second, &id(&target), ""), 403)["code"], "out_of_scope");
    // Bad queries.
    for query in ["?window_days=0", "?window_days=91", "?limit=0", "?limit=101"] {
        problem(city.duplicates(&city.dispatcher_a, &id(&target), query), 422);
    }
    problem(city.duplicates(&city.dispatcher_a, "not-a-uuid", ""), 404);

    // The window: eight days on, nothing is recent unless the window is widened.
    city.server.clock.set(Utc::now() + chrono::Duration::days(8));
    assert!(city.candidates(&city.dispatcher_a, &id(&target), "").is_empty());
    assert_eq!(city.candidates(&city.dispatcher_a, &id(&target), "?window_days=10").len(), 2);
}

fn a_dispatcher_sees_only_candidates_in_their_street(backend: Backend) {
    let city = City::open(backend);
    let citizen = city.server.citizen_token();
    // E0104 looks 500 m around: far enough to reach a cell of the other street.
    let in_a = city.report(&citizen, "E0104", city.across.0);
    let in_b = city.report(&citizen, "E0104", city.across.1);
    assert_ne!(in_a["placement"]["street"], in_b["placement"]["street"]);
    let admin_sees = city.candidates(&city.admin, &id(&in_a), "");
    assert_eq!(admin_sees.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(), vec![id(&in_b)]);
    assert!(city.candidates(&city.dispatcher_a, &id(&in_a), "").is_empty());
    assert_eq!(city.candidates(&city.dispatcher_b, &id(&in_b), ""), vec![]);
    assert_eq!(problem(city.duplicates(&city.dispatcher_b, &id(&in_a), ""), 403)["code"], "out_of_scope");
}

fn the_reporter_of_a_merged_report_follows_the_survivor(backend: Backend) {
    let city = City::open(backend);
    let (first, second) = (city.server.citizen_token(), city.server.citizen_token());
    let survivor = id(&city.report(&first, "E0101", city.origin));
    let duplicate = id(&city.report(&second, "E0101", offset(city.origin, 15.0, 0.0)));
    let candidates = city.candidates(&city.dispatcher_a, &duplicate, "");
    assert_eq!(candidates[0].0, survivor);

    // Another street's dispatcher cannot merge it; this street's can.
    let version = 1;
    let refused = city
        .server
        .client
        .post(city.server.url(&format!("/api/v1/cases/{duplicate}/actions")))
        .bearer_auth(&city.dispatcher_b)
        .header("if-match", format!("\"{version}\""))
        .json(&json!({ "action": "merge", "merge_into": survivor }))
        .send()
        .unwrap();
    assert_eq!(problem(refused, 403)["code"], "out_of_scope");
    let merged =
        city.act(&city.dispatcher_a, &duplicate, json!({ "action": "merge", "merge_into": survivor }));
    assert_eq!(merged["state"], "merged");
    assert_eq!(merged["merged_into"], survivor.as_str());
    // A merged case is no longer a candidate.
    assert!(city.candidates(&city.dispatcher_a, &survivor, "").is_empty());

    let follows = |token: &str| -> Value {
        let mine: Value = city.server.get_as(token, "/api/v1/reports/mine").json().unwrap();
        let report =
            mine["reports"].as_array().unwrap().iter().find(|r| r["id"] == duplicate.as_str()).cloned();
        report.unwrap()
    };
    let report = follows(&second);
    assert_eq!(report["state"], "merged");
    // The survivor is another citizen's case: its id appears nowhere in the reporter's receipt.
    assert_eq!(report["merged_into"], Value::Null);
    assert!(!report.to_string().contains(survivor.as_str()), "{report}");
    assert_eq!(report["follows"]["state"], "reported");
    // The survivor is another citizen's case: the follow names it by its public tracking number,
    // and nothing in it is the survivor's id.
    let survivor_public: Value = city.server.get(&format!("/api/v1/cases/{survivor}")).json().unwrap();
    let tracking = survivor_public["tracking_number"].as_str().unwrap().to_owned();
    assert_eq!(report["follows"]["tracking_number"], tracking.as_str());
    assert_eq!(report["follows"].get("id"), None);
    assert!(!report["follows"].to_string().contains(survivor.as_str()), "{}", report["follows"]);
    let open311: Value = city.server.get(&format!("/open311/v2/requests/{tracking}.json")).json().unwrap();
    assert_eq!(open311[0]["service_request_id"], tracking.as_str());

    // The survivor moves on; the second reporter's list follows it, in full and incrementally.
    let synced: Value = city.server.get_as(&second, "/api/v1/reports/mine").json().unwrap();
    let cursor = synced["next_cursor"].as_i64().unwrap();
    let quiet: Value =
        city.server.get_as(&second, &format!("/api/v1/reports/mine?cursor={cursor}")).json().unwrap();
    assert_eq!(quiet["reports"], json!([]));
    city.act(&city.dispatcher_a, &survivor, json!({ "action": "register" }));
    let dispatched = city.act(
        &city.dispatcher_a,
        &survivor,
        json!({ "action": "dispatch", "handling_unit": "sanitation" }),
    );
    let changed: Value =
        city.server.get_as(&second, &format!("/api/v1/reports/mine?cursor={cursor}")).json().unwrap();
    assert_eq!(changed["reports"].as_array().unwrap().len(), 1, "{changed}");
    assert_eq!(changed["reports"][0]["id"], duplicate.as_str());
    assert_eq!(changed["reports"][0]["follows"]["state"], "dispatched");
    let report = follows(&second);
    assert_eq!(report["follows"]["state"], "dispatched");
    assert_eq!(report["follows"]["deadline"], dispatched["deadline"]);
    assert_eq!(report["follows"]["tracking_number"], dispatched["tracking_number"]);
    // The survivor's own reporter is not following anything.
    let mine: Value = city.server.get_as(&first, "/api/v1/reports/mine").json().unwrap();
    assert_eq!(mine["reports"][0]["follows"], Value::Null);
    assert_eq!(mine["reports"][0]["deadline"], dispatched["deadline"]);

    // The reporter's own view of the merged case names no other case's id; the survivor's public
    // view is readable by its tracking number.
    let own: Value = city.server.get_as(&second, &format!("/api/v1/cases/{duplicate}")).json().unwrap();
    assert_eq!(own["view"], "reporter");
    assert_eq!(own["merged_into"], Value::Null);
    assert!(!own.to_string().contains(survivor.as_str()), "{own}");
    let own_timeline: Value =
        city.server.get_as(&second, &format!("/api/v1/cases/{duplicate}/timeline")).json().unwrap();
    assert!(!own_timeline.to_string().contains(survivor.as_str()), "{own_timeline}");
    let public: Value = city.server.get_as(&second, &format!("/api/v1/cases/{survivor}")).json().unwrap();
    assert_eq!(public["view"], "public");
    assert_eq!(public["state"], "dispatched");
}

both_backends!(
    nearest_open_cases_of_the_category_first,
    a_dispatcher_sees_only_candidates_in_their_street,
    the_reporter_of_a_merged_report_follows_the_survivor,
);
