//! The channel of every case (app, inspector, web, hotline, open311, sensor) over real HTTP on
//! both backends: the server sets it from the way a report came in (the app's intake route, the
//! citizen web page's, an inspector's account, Open311), never from the body; staff see it on
//! the case, filter the case list by it, and the statistics count and filter by it.

use std::collections::BTreeMap;

use gridline_core::codes::GridCode;
use gridline_core::grid::GridCell;
use gridline_core::workflow::{Channel, Role};
use gridline_server::auth::Scope;
use reqwest::blocking::Response;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, demo_cells, point_in, problem};

crate::both_backends!(the_way_in_sets_the_channel_and_staff_see_filter_and_count_it);

fn body_at(cell: &GridCell) -> Value {
    let (lat, lon) = point_in(cell);
    json!({
        "category": "E0101",
        "description": "Rubbish heaped by the bus stop",
        "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 5.0 },
        "photo_ids": [],
    })
}

/// Posts `body` to `path` as `token` with a fresh Idempotency-Key.
pub(crate) fn send(server: &TestServer, token: &str, path: &str, body: &Value) -> Response {
    server
        .client
        .post(server.url(path))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(body)
        .send()
        .unwrap()
}

fn filed(response: Response) -> String {
    let status = response.status();
    let body: Value = response.json().unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Files one report through Open311 with a key the admin issues; the new case's id.
fn through_open311(server: &TestServer, admin: &str, cell: &GridCell) -> String {
    let issued: Value = server
        .client
        .post(server.url("/api/v1/admin/api-keys"))
        .bearer_auth(admin)
        .json(&json!({ "name": "City 311 app" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let (lat, lon) = point_in(cell);
    let response = server
        .client
        .post(server.url("/open311/v2/requests.json"))
        .form(&[
            ("api_key", issued["key"].as_str().unwrap().to_owned()),
            ("service_code", "E0101".to_owned()),
            ("lat", lat.to_string()),
            ("long", lon.to_string()),
            ("description", "Rubbish by the school gate".to_owned()),
        ])
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().unwrap();
    receipt[0]["token"].as_str().unwrap().to_owned()
}

fn channel_of(server: &TestServer, token: &str, id: &str) -> Value {
    let case: Value = server.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert_eq!(case["view"], "staff");
    case["channel"].clone()
}

/// The ids of the case list's first page for `query`, sorted.
pub(crate) fn listed(server: &TestServer, token: &str, query: &str) -> Vec<String> {
    let page: Value = server.get_as(token, &format!("/api/v1/cases?{query}")).json().unwrap();
    let mut ids: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

pub(crate) fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| (*id).clone()).collect();
    ids.sort();
    ids
}

fn the_way_in_sets_the_channel_and_staff_see_filter_and_count_it(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(12);
    server.import_grid(&admin, "310104", &cells);
    let citizen = server.citizen_token();
    let grids = [cells[2].code].into_iter().collect::<std::collections::BTreeSet<GridCode>>();
    let inspector = server.staff_token(Role::Inspector, Scope::Grids { grids });

    let app = filed(send(&server, &citizen, "/api/v1/reports", &body_at(&cells[0])));
    let web = filed(send(&server, &citizen, "/api/v1/reports/web", &body_at(&cells[1])));
    // An inspector's report is the inspector's, whichever route their client used.
    let patrol = filed(send(&server, &inspector, "/api/v1/reports/web", &body_at(&cells[2])));
    let open311 = through_open311(&server, &admin, &cells[3]);

    // Nobody names their own channel: the body has no such field.
    let mut claiming = body_at(&cells[0]);
    claiming["channel"] = json!("inspector");
    let refused = problem(send(&server, &citizen, "/api/v1/reports", &claiming), 422);
    assert_eq!(refused["field"], "channel");

    assert_eq!(channel_of(&server, &admin, &app), "app");
    assert_eq!(channel_of(&server, &admin, &web), "web");
    assert_eq!(channel_of(&server, &admin, &patrol), "inspector");
    assert_eq!(channel_of(&server, &admin, &open311), "open311");

    // The list filters by one channel or several; a name core does not know is refused.
    assert_eq!(listed(&server, &admin, "channel=web"), sorted(&[&web]));
    assert_eq!(listed(&server, &admin, "channel=app,open311"), sorted(&[&app, &open311]));
    assert_eq!(listed(&server, &admin, "channel=hotline,sensor"), Vec::<String>::new());
    assert_eq!(listed(&server, &admin, "").len(), 4);
    let refused = problem(server.get_as(&admin, "/api/v1/cases?channel=fax"), 422);
    assert_eq!(refused["field"], "channel");

    // The statistics count each channel and narrow to one.
    let now = chrono::Utc::now();
    let range = format!(
        "from={}&to={}",
        (now - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let stats: Value =
        server.get_as(&admin, &format!("/api/v1/stats?{range}&group_by=channel")).json().unwrap();
    let received: BTreeMap<String, u64> = stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap().to_owned(), g["received"].as_u64().unwrap()))
        .collect();
    let expected: BTreeMap<String, u64> =
        ["app", "inspector", "open311", "web"].into_iter().map(|c| (c.to_owned(), 1)).collect();
    assert_eq!(received, expected);
    let web_only: Value =
        server.get_as(&admin, &format!("/api/v1/stats?{range}&channel=web")).json().unwrap();
    assert_eq!(web_only["total"]["received"], 1);
    assert_eq!(web_only["channel"], "web");
    let refused = problem(server.get_as(&admin, &format!("/api/v1/stats?{range}&channel=fax")), 422);
    assert_eq!(refused["field"], "channel");

    // The pages read the channel names from the API, never from a copy.
    let form: Value = server.get("/api/v1/public/report-form").json().unwrap();
    let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(form["channels"], json!(names));
}
