//! The field apps' journeys through the app core's view models, against a real server on both
//! backends, with a scripted platform (location fixes, real JPEGs from the camera):
//!
//! - a grid inspector signs in with a login and password (a wrong one refused in words), pulls
//!   the work list of their cell (category, text, place, photos, task; the map with the cell
//!   and the cases as markers; sorted by deadline or distance, filtered by task); a handling
//!   unit's worker on the same app sees the cases dispatched to the unit (another unit's none),
//!   accepts one and marks it handled with an
//!   after-photo; the inspector sees that photo on the case page with the timeline, the deadline
//!   and the steps allowed with their requirements; a verification from 300 m away is refused
//!   with the distance (by the phone, and by the server for a client that skips the check);
//!   on site it passes and the case closes;
//! - a failed verification needs a reason and sends the case back to rework;
//! - a patrol report: placed where the inspector stands (the cell preset), never anonymous,
//!   registered by the street office at once and on the inspector's list;
//! - 核实: a report is the inspector's to confirm once the street office asks (once: a second
//!   request is refused while the first is open); the inspector confirms it on site (photo and
//!   position; denying needs a reason), the request ends, and the case stays reported with the
//!   finding in its trail;
//! - a patrol: on duty, positions recorded without signal, uploaded in one request when it
//!   returns, and the street office's coverage counts the cell;
//! - scope: an inspector of another cell never receives the case, its photos or its steps;
//! - a joint case's helper parts (协办) on the case page, with the lead unit, in words.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use common::{Backend, TestServer, demo_cells, point_in};
use gridline_core::device::app::{AppIntent, LocationFix};
use gridline_core::device::app::{
    CasePageIntent, NewReportIntent, PatrolIntent, PhotoView, SignInIntent, TaskKind, WorkFilter,
    WorkListIntent, WorkListListener, WorkListState, WorkSort,
};
use gridline_core::geo::GeoPoint;
use gridline_core::grid::GridCell;
use gridline_core::taxonomy::Taxonomy;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::{Value, json};

use crate::common;
use crate::device_support::platform::{Heard, Phone, open_phone, staff_phone};
use crate::device_support::{PASSWORD, staff};

impl WorkListListener for Heard<WorkListState> {
    fn on_state(&self, state: WorkListState) {
        self.0.lock().unwrap().push(state);
    }
}

/// A real JPEG from the phone's camera.
fn camera_photo(seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(160, 120, |x, y| image::Rgb([seed, (x * 2) as u8, (y * 3) as u8]));
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    jpeg
}

/// A city of 12 cells; the inspector's cell and another one; the street office of the first.
struct City {
    server: TestServer,
    cells: Vec<GridCell>,
    dispatcher: String,
    citizen: String,
}

impl City {
    fn open(backend: Backend) -> Self {
        let server = crate::auth_http::start(backend);
        let cells = demo_cells(12);
        let admin = server.admin_token();
        server.import_grid(&admin, "310104", &cells);
        let street = cells[2].code.to_string()[..9].parse().unwrap();
        let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
        let citizen = server.citizen_token();
        Self { server, cells, dispatcher, citizen }
    }

    fn mine(&self) -> &GridCell {
        &self.cells[2]
    }

    /// A citizen's report at `(lat, lon)` with one photo; its id and the photo's.
    fn report(&self, lat: f64, lon: f64, text: &str) -> (String, String) {
        let photo = self.server.upload_photo(&self.citizen);
        let receipt = self.server.report_as(
            &self.citizen,
            &json!({
                "category": "E0101",
                "description": text,
                "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 6.0 },
                "photo_ids": [photo],
            }),
        );
        (receipt["id"].as_str().unwrap().to_owned(), photo)
    }

    fn register_and_dispatch(&self, id: &str) {
        self.server.step(&self.dispatcher, id, &json!({ "action": "register" }));
        self.server.step(
            &self.dispatcher,
            id,
            &json!({ "action": "dispatch", "handling_unit": "sanitation" }),
        );
    }

    /// A phone signed in as a new inspector of [`City::mine`].
    fn inspector(&self, folder: &std::path::Path) -> Phone {
        self.phone(folder, Role::Inspector, Scope::Grids { grids: [self.mine().code].into_iter().collect() })
    }

    /// A phone signed in through the sign-in screen as a new staff account of `role` and `scope`.
    fn phone(&self, folder: &std::path::Path, role: Role, scope: Scope) -> Phone {
        staff_phone(folder, &self.server, role, scope)
    }
}

fn stand_at(phone: &Phone, lat: f64, lon: f64) {
    *phone.platform.fix.lock().unwrap() = Some(LocationFix { lat, lon, accuracy_m: Some(5.0) });
}

/// A point straight north of `(lat, lon)` about `metres` outside `cell` (by the phone's grid
/// package, the routing the server shares).
fn outside(phone: &Phone, cell: &GridCell, (lat, lon): (f64, f64), metres: f64) -> (f64, f64) {
    let index = phone.app.device().grid_index().unwrap().unwrap();
    let mut north = lat;
    loop {
        north += 1e-5;
        let d = index.distance_to_cell_m(cell.code, GeoPoint::new(north, lon).unwrap()).unwrap();
        if d >= metres {
            return (north, lon);
        }
    }
}

/// The photo's bytes as the signed-in phone may fetch them: `Some` on 200, `None` on 404.
fn fetch_photo(phone: &Phone, server: &TestServer, photo: &str) -> Option<usize> {
    let token = phone.app.device().session().access_token().unwrap();
    let response = server.get_as(&token, &format!("/api/v1/photos/{photo}"));
    match response.status().as_u16() {
        200 => Some(response.bytes().unwrap().len()),
        404 => None,
        other => panic!("photo answered {other}"),
    }
}

fn an_inspector_works_the_list_and_verifies_a_fix_on_site(backend: Backend) {
    let city = City::open(backend);
    let cell = city.mine().clone();
    let (lat, lon) = point_in(&cell);
    let corner = cell.geometry.polygons()[0][0][0];
    let (near_lat, near_lon) = ((lat + corner[1]) / 2.0, (lon + corner[0]) / 2.0);
    let (first, first_photo) = city.report(lat, lon, "Bin overflowing at the gate");
    let (second, _) = city.report(near_lat, near_lon, "Bags left by the bus stop");
    let elsewhere = point_in(&city.cells[7]);
    let (theirs, theirs_photo) = city.report(elsewhere.0, elsewhere.1, "Not in the inspector's cell");
    city.server.step(&city.dispatcher, &first, &json!({ "action": "request_confirm" }));

    // A wrong password is refused in words; the right one signs the inspector in.
    let folder = tempfile::tempdir().unwrap();
    let grids = |c: &GridCell| Scope::Grids { grids: [c.code].into_iter().collect() };
    let login = staff(&city.server, Role::Inspector, grids(&cell));
    let phone =
        open_phone(folder.path(), &city.server, &Taxonomy::default_taxonomy().unwrap(), Arc::default());
    let sign_in = phone.app.sign_in_screen();
    assert!(!sign_in.state().staff_mode);
    sign_in.send(SignInIntent::SetStaffMode { staff: true });
    sign_in.send(SignInIntent::SetLogin { login: login.clone() });
    assert!(!sign_in.state().staff_sign_in_enabled, "no password yet");
    sign_in.send(SignInIntent::SetPassword { password: "not the password".into() });
    sign_in.send(SignInIntent::SignInStaff);
    assert_eq!(sign_in.state().password_error.as_deref(), Some("用户名或密码不对"));
    assert!(!sign_in.state().signed_in);
    sign_in.send(SignInIntent::SetPassword { password: PASSWORD.into() });
    sign_in.send(SignInIntent::SignInStaff);
    assert!(sign_in.state().signed_in);
    assert_eq!(phone.app.state().role.as_deref(), Some("inspector"));
    phone.app.send(AppIntent::SyncNow);

    // The work list: the two reports of the cell, each told apart by what it says.
    let work = phone.app.work_list_screen();
    let heard = Heard::<WorkListState>::new();
    let _handle = work.subscribe(heard.clone());
    let list = work.state();
    let ids: Vec<&str> = list.rows.iter().map(|r| r.case_id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        ids.contains(&first.as_str()) && ids.contains(&second.as_str()) && !ids.contains(&theirs.as_str())
    );
    let row = list.rows.iter().find(|r| r.case_id == first).unwrap();
    assert_eq!(row.description, "Bin overflowing at the gate");
    assert_eq!(row.task, TaskKind::Confirm);
    assert_eq!(row.task_text, "待核实");
    assert!(!row.title.is_empty() && row.title != "E0101", "the category's name: {}", row.title);
    assert!(row.place_text.contains(&cell.code.to_string()), "{}", row.place_text);
    assert_eq!(row.photo_ids, [first_photo.as_str()]);
    assert!(row.deadline.is_none() && row.distance_m.is_none());
    assert!(!list.sort_distance_enabled, "no position yet");
    let map = list.map.unwrap();
    assert_eq!(map.cells.iter().map(|c| c.code.clone()).collect::<Vec<_>>(), [cell.code.to_string()]);
    assert_eq!(map.markers.len(), 2);
    work.send(WorkListIntent::Filter { filter: WorkFilter::Verify });
    assert!(work.state().rows.is_empty());
    assert_eq!(work.state().empty_text.as_deref(), Some("没有需要处理的案件"));
    work.send(WorkListIntent::Filter { filter: WorkFilter::All });

    // The office dispatches both; a handling unit's worker takes the first on the same app.
    city.register_and_dispatch(&first);
    city.register_and_dispatch(&second);
    let handler_folder = tempfile::tempdir().unwrap();
    let handler = city.phone(handler_folder.path(), Role::Handler, Scope::Unit { unit: "sanitation".into() });
    let unit_list = handler.app.work_list_screen();
    let tasks = |list: &gridline_core::device::app::WorkListModel| -> Vec<(String, TaskKind)> {
        let mut rows: Vec<(String, TaskKind)> =
            list.state().rows.into_iter().map(|r| (r.case_id, r.task)).collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    let mut both = vec![(first.clone(), TaskKind::Accept), (second.clone(), TaskKind::Accept)];
    both.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(tasks(&unit_list), both);
    assert_eq!(unit_list.state().title, "派给本单位的案件");
    let unit_filters: Vec<WorkFilter> = unit_list.state().filters.iter().map(|f| f.filter).collect();
    assert_eq!(unit_filters, [WorkFilter::All, WorkFilter::Overdue]);
    let job = handler.app.case_screen(first.clone());
    job.send(CasePageIntent::Refresh);
    let actions: Vec<String> = job.state().actions.iter().map(|a| a.action.clone()).collect();
    // Within the dispute window the unit may also dispute the assignment (派单异议).
    assert_eq!(actions, ["accept", "send_back", "dispute"]);
    job.send(CasePageIntent::Take { action: "accept".into() });
    assert_eq!(job.state().error, None);
    assert!(tasks(&unit_list).contains(&(first.clone(), TaskKind::Handle)), "accepted: now to handle");
    let handled = job.state().actions.into_iter().find(|a| a.action == "mark_handled").unwrap();
    assert!(handled.needs_photo && !handled.needs_position);
    job.send(CasePageIntent::Take { action: "mark_handled".into() });
    assert_eq!(job.state().photo_error.as_deref(), Some("请拍摄现场照片"), "an after-photo first");
    job.send(CasePageIntent::AddPhoto { bytes: camera_photo(9) });
    job.send(CasePageIntent::Take { action: "mark_handled".into() });
    let after = job.state();
    assert_eq!(after.error, None);
    assert!(after.actions.is_empty(), "nothing left for the unit: {:?}", after.actions);
    assert_eq!(after.after_photos.len(), 1);
    let after_photo = after.after_photos[0].id.clone();
    assert!(after.after_photos[0].thumbnail_path.is_some(), "the step's photo, fetched back as a thumbnail");
    assert_eq!(tasks(&unit_list), [(second.clone(), TaskKind::Accept)], "handled: off the unit's list");
    // Another unit's worker gets none of it.
    let water_folder = tempfile::tempdir().unwrap();
    let water = city.phone(water_folder.path(), Role::Handler, Scope::Unit { unit: "water".into() });
    assert!(water.app.work_list_screen().state().rows.is_empty());
    assert_eq!(fetch_photo(&water, &city.server, &after_photo), None);

    // The inspector's list catches up: one to verify, one with the unit, both with deadlines.
    work.send(WorkListIntent::Refresh);
    let list = work.state();
    let task = |id: &str| list.rows.iter().find(|r| r.case_id == id).unwrap().clone();
    assert_eq!(task(&first).task, TaskKind::Verify);
    assert_eq!(task(&second).task, TaskKind::Follow);
    assert!(task(&second).deadline.is_some());
    assert!(task(&second).time_left_text.as_deref().unwrap().starts_with("剩余 "));
    assert!(heard.all().iter().any(|s| s.busy), "the list shows it is refreshing");
    work.send(WorkListIntent::Filter { filter: WorkFilter::Verify });
    assert_eq!(work.state().rows.iter().map(|r| r.case_id.clone()).collect::<Vec<_>>(), [first.as_str()]);
    work.send(WorkListIntent::Filter { filter: WorkFilter::Overdue });
    assert!(work.state().rows.is_empty());
    work.send(WorkListIntent::Filter { filter: WorkFilter::All });
    // By distance from where the inspector stands: the nearer report first, either way round.
    stand_at(&phone, near_lat, near_lon);
    work.send(WorkListIntent::SortBy { sort: WorkSort::Distance });
    let by_distance = work.state();
    assert!(by_distance.sort_distance_enabled);
    assert_eq!(by_distance.rows[0].case_id, second);
    assert!(by_distance.rows[0].distance_m.unwrap() < by_distance.rows[1].distance_m.unwrap());
    stand_at(&phone, lat, lon);
    assert_eq!(work.state().rows[0].case_id, first);

    // The case page: before and after photos, the timeline, the deadline, the steps allowed.
    let page = phone.app.case_screen(first.clone());
    page.send(CasePageIntent::Refresh);
    let shown = page.state();
    assert!(!shown.missing);
    let ids = |photos: &[PhotoView]| photos.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&shown.before_photos), [first_photo.as_str()]);
    assert_eq!(ids(&shown.after_photos), [after_photo.as_str()]);
    assert!(fetch_photo(&phone, &city.server, &after_photo).is_some(), "the inspector sees the after-photo");
    for photo in shown.before_photos.iter().chain(&shown.after_photos) {
        let thumbnail = std::fs::read(photo.thumbnail_path.as_ref().expect("fetched on opening")).unwrap();
        assert!(thumbnail.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    }
    page.send(CasePageIntent::OpenPhoto { photo_id: after_photo.clone() });
    let viewer = page.state().viewer.unwrap();
    assert_eq!(viewer.error, None);
    assert_eq!(
        std::fs::read(viewer.path.unwrap()).unwrap().len(),
        fetch_photo(&phone, &city.server, &after_photo).unwrap()
    );
    page.send(CasePageIntent::ClosePhoto);
    assert_eq!(page.state().viewer, None);
    assert!(shown.deadline.is_some());
    let steps: Vec<&str> = shown.timeline.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(steps.len(), 6, "{steps:?}");
    assert_eq!((steps[1], steps[2]), ("核实派遣", "已立案"), "registered without waiting for the answer");
    assert_eq!(shown.timeline[5].photo_ids, [after_photo.as_str()]);
    assert_eq!(shown.timeline[5].who, "处置人员");
    let actions: Vec<(String, bool, bool, bool)> = shown
        .actions
        .iter()
        .map(|a| (a.action.clone(), a.needs_photo, a.needs_position, a.needs_reason))
        .collect();
    assert_eq!(
        actions,
        [("verify_pass".to_owned(), true, true, false), ("verify_fail".to_owned(), true, true, true)]
    );
    assert_eq!(shown.actions[0].requirement_text.as_deref(), Some("需要：现场照片、现场定位"));
    assert_eq!(shown.on_site_text.as_deref(), Some("您在案件所在网格内"));

    // From 300 m away the phone refuses and says how far; nothing is queued.
    let (far_lat, far_lon) = outside(&phone, &cell, (lat, lon), 300.0);
    stand_at(&phone, far_lat, far_lon);
    page.send(CasePageIntent::AddPhoto { bytes: camera_photo(3) });
    page.send(CasePageIntent::Take { action: "verify_pass".into() });
    let refused = page.state();
    let error = refused.error.unwrap();
    assert!(error.starts_with("您距离案件所在网格 30") && error.contains("米，需要在 50 米以内"), "{error}");
    assert!(phone.app.device().store().outbox(false).unwrap().is_empty());
    // A client that skips the check is refused by the server with the same rule.
    let token = phone.app.device().session().access_token().unwrap();
    let photo = city.server.upload_photo(&token);
    let version = refused_version(&city.server, &token, &first);
    let answer = common::problem(
        city.server
            .client
            .post(city.server.url(&format!("/api/v1/cases/{first}/actions")))
            .bearer_auth(&token)
            .header("if-match", format!("\"{version}\""))
            .json(&json!({ "action": "verify_pass", "photo_ids": [photo],
                           "position": { "lat": far_lat, "lon": far_lon, "crs": "wgs84" } }))
            .send()
            .unwrap(),
        422,
    );
    assert_eq!(
        (answer["code"].as_str(), answer["field"].as_str()),
        (Some("too_far_from_case"), Some("position"))
    );
    assert!(answer["detail"].as_str().unwrap().starts_with("the position is 30"), "{answer}");

    // On site it passes, and the case leaves the list closed.
    stand_at(&phone, lat, lon);
    page.send(CasePageIntent::Take { action: "verify_pass".into() });
    let passed = page.state();
    assert_eq!(passed.error, None);
    assert_eq!(passed.state_text, "已结案");
    assert!(passed.actions.is_empty());
    let case: Value = city.server.get_as(&city.dispatcher, &format!("/api/v1/cases/{first}")).json().unwrap();
    assert_eq!(case["state"], "closed");
    let ids: Vec<String> = work.state().rows.into_iter().map(|r| r.case_id).collect();
    assert_eq!(ids, [second.as_str()]);

    // Scope: an inspector of another cell gets none of it, and the first nothing of theirs.
    let other_folder = tempfile::tempdir().unwrap();
    let other = city.phone(other_folder.path(), Role::Inspector, grids(&city.cells[7]));
    let their_list: Vec<String> =
        other.app.work_list_screen().state().rows.into_iter().map(|r| r.case_id).collect();
    assert_eq!(their_list, [theirs.as_str()]);
    let foreign = other.app.case_screen(second.clone());
    foreign.send(CasePageIntent::Refresh);
    let foreign = foreign.state();
    assert!(foreign.missing && foreign.actions.is_empty() && foreign.before_photos.is_empty());
    assert!(foreign.timeline.iter().all(|e| e.photo_ids.is_empty() && e.who.is_empty()));
    assert_eq!(fetch_photo(&other, &city.server, &after_photo), None);
    assert_eq!(fetch_photo(&other, &city.server, &first_photo), None);
    assert_eq!(fetch_photo(&phone, &city.server, &theirs_photo), None);
}

fn refused_version(server: &TestServer, token: &str, id: &str) -> i64 {
    let case: Value = server.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap();
    case["version"].as_i64().unwrap()
}

fn a_failed_verification_needs_a_reason_and_sends_the_case_to_rework(backend: Backend) {
    let city = City::open(backend);
    let cell = city.mine().clone();
    let (lat, lon) = point_in(&cell);
    let (id, _) = city.report(lat, lon, "Broken paving slab");
    city.register_and_dispatch(&id);
    let handler_token = city.server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
    city.server.step(&handler_token, &id, &json!({ "action": "accept" }));
    let after = city.server.upload_photo(&handler_token);
    city.server.step(&handler_token, &id, &json!({ "action": "mark_handled", "photo_ids": [after] }));

    let folder = tempfile::tempdir().unwrap();
    let phone = city.inspector(folder.path());
    stand_at(&phone, lat, lon);
    let page = phone.app.case_screen(id.clone());
    page.send(CasePageIntent::Refresh);
    page.send(CasePageIntent::AddPhoto { bytes: camera_photo(5) });
    page.send(CasePageIntent::Take { action: "verify_fail".into() });
    assert_eq!(page.state().reason_error.as_deref(), Some("请填写原因"));
    page.send(CasePageIntent::SetReason { reason: "The slab still rocks".into() });
    page.send(CasePageIntent::Take { action: "verify_fail".into() });
    let failed = page.state();
    assert_eq!(failed.error, None);
    assert_eq!(failed.state_text, "已派遣给处置部门", "back to the unit for rework");
    let last = failed.timeline.last().unwrap();
    assert_eq!(last.reason.as_deref(), Some("The slab still rocks"));
    assert_eq!(last.photo_ids.len(), 1);
    let row = phone.app.work_list_screen().state().rows.into_iter().find(|r| r.case_id == id).unwrap();
    assert_eq!(row.task, TaskKind::Follow);
    let case: Value = city.server.get_as(&city.dispatcher, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert_eq!(case["state"], "dispatched");
}

/// A case dispatched to sanitation with water as its helper (协办): the lead unit's worker and
/// the inspector see the part on the case page, its state in words, until the helper takes it
/// on; a case without parts shows none.
fn the_case_page_shows_a_joint_cases_helper_parts(backend: Backend) {
    let city = City::open(backend);
    let cell = city.mine().clone();
    let (lat, lon) = point_in(&cell);
    let (id, _) = city.report(lat, lon, "Paving sunk over a leaking main");
    city.server.step(&city.dispatcher, &id, &json!({ "action": "register" }));
    city.server.step(
        &city.dispatcher,
        &id,
        &json!({ "action": "dispatch", "handling_unit": "sanitation",
                 "helpers": [{ "unit": "water", "note": "Close the valve", "time_limit": "4h" }] }),
    );
    let folder = tempfile::tempdir().unwrap();
    let lead = city.phone(folder.path(), Role::Handler, Scope::Unit { unit: "sanitation".into() });
    let page = lead.app.case_screen(id.clone());
    page.send(CasePageIntent::Refresh);
    let shown = page.state();
    assert_eq!(shown.parts_label, "协办单位");
    assert_eq!(shown.lead_unit_text.as_deref(), Some("主办单位：sanitation"));
    assert_eq!(shown.parts.len(), 1, "{:?}", shown.parts);
    let part = &shown.parts[0];
    assert_eq!(
        (part.unit.as_str(), part.note.as_str(), part.state_text.as_str()),
        ("water", "Close the valve", "待接收")
    );
    assert!(part.deadline.is_some() && !part.overdue);
    assert!(part.time_left_text.as_deref().unwrap().starts_with("剩余 "), "{part:?}");

    // The helper takes its part on; the inspector's page shows it being handled.
    let water = city.server.staff_token(Role::Handler, Scope::Unit { unit: "water".into() });
    let joint: Value = city.server.get_as(&water, &format!("/api/v1/cases/{id}/joint")).json().unwrap();
    let part_id = joint["parts"][0]["id"].as_str().unwrap().to_owned();
    let version = joint["case"]["version"].to_string();
    let accepted = city
        .server
        .client
        .post(city.server.url(&format!("/api/v1/cases/{id}/parts/{part_id}/actions")))
        .bearer_auth(&water)
        .header("if-match", format!("\"{version}\""))
        .json(&json!({ "action": "accept" }))
        .send()
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let inspector_folder = tempfile::tempdir().unwrap();
    let inspector = city.inspector(inspector_folder.path());
    let seen = inspector.app.case_screen(id.clone());
    seen.send(CasePageIntent::Refresh);
    assert_eq!(seen.state().parts.iter().map(|p| p.state_text.clone()).collect::<Vec<_>>(), ["处置中"]);

    // A case with no helper shows no parts and no lead line.
    let (plain, _) = city.report(lat, lon, "Litter by the bench");
    city.register_and_dispatch(&plain);
    let other = lead.app.case_screen(plain);
    other.send(CasePageIntent::Refresh);
    assert!(other.state().parts.is_empty());
    assert_eq!(other.state().lead_unit_text, None);
}

fn an_inspector_reports_on_patrol_signed_and_placed_where_they_stand(backend: Backend) {
    let city = City::open(backend);
    let cell = city.mine().clone();
    let (lat, lon) = point_in(&cell);
    let folder = tempfile::tempdir().unwrap();
    let phone = city.inspector(folder.path());
    stand_at(&phone, lat, lon);

    let report = phone.app.new_report_screen(None);
    let opened = report.state();
    assert_eq!(opened.place_text, format!("{} ({})", cell.name, cell.code), "the current cell is preset");
    assert_eq!(opened.location_text, "已定位，误差约 5 米");
    // E0101 lets a citizen report anonymously; an inspector's report is signed all the same.
    report.send(NewReportIntent::ChooseCategory { code: "E0101".into() });
    assert!(!report.state().anonymous_visible);
    report.send(NewReportIntent::SetAnonymous { anonymous: true });
    assert!(!report.state().anonymous);
    report.send(NewReportIntent::AddPhoto { bytes: camera_photo(7) });
    report.send(NewReportIntent::SetDescription { text: "巡查发现垃圾堆放".into() });
    report.send(NewReportIntent::Send);
    let sent = report.state();
    assert_eq!(sent.message.as_deref(), Some("已发送"), "{sent:?}");
    assert_eq!(sent.place_text, opened.place_text, "the next report starts in the same cell");

    let rows = phone.app.work_list_screen().state().rows;
    let row = rows.iter().find(|r| r.description == "巡查发现垃圾堆放").unwrap();
    let case: Value =
        city.server.get_as(&city.dispatcher, &format!("/api/v1/cases/{}", row.case_id)).json().unwrap();
    assert_eq!(
        (case["anonymous"].as_bool(), case["reporter"]["role"].as_str()),
        (Some(false), Some("inspector"))
    );
    assert_eq!(case["placement"]["grid"], cell.code.to_string());
    // A supervisor's report needs no further check: the street office registers it at once.
    city.server.step(&city.dispatcher, &row.case_id, &json!({ "action": "register" }));
    let work = phone.app.work_list_screen();
    work.send(WorkListIntent::Refresh);
    let row = work.state().rows.into_iter().find(|r| r.case_id == row.case_id).unwrap();
    assert_eq!((row.task, row.state_text.as_str()), (TaskKind::Follow, "已立案"));
}

fn an_inspector_confirms_a_citizens_report_on_site(backend: Backend) {
    let city = City::open(backend);
    let cell = city.mine().clone();
    let (lat, lon) = point_in(&cell);
    let (id, _) = city.report(lat, lon, "Manhole cover missing");
    let folder = tempfile::tempdir().unwrap();
    let phone = city.inspector(folder.path());
    let work = phone.app.work_list_screen();
    work.send(WorkListIntent::Filter { filter: WorkFilter::Confirm });
    assert!(work.state().rows.is_empty(), "nothing to confirm before the street office asks");
    work.send(WorkListIntent::Filter { filter: WorkFilter::All });
    assert_eq!(work.state().rows[0].task, TaskKind::Follow);

    // The street office asks, once: a second request while the first is open is refused.
    let asked = city.server.step(
        &city.dispatcher,
        &id,
        &json!({ "action": "request_confirm", "note": "Is the cover gone or only loose?" }),
    );
    assert!(asked["confirm_requested_at"].is_string(), "{asked}");
    assert_eq!(asked["state"], "reported");
    let again = city
        .server
        .client
        .post(city.server.url(&format!("/api/v1/cases/{id}/actions")))
        .bearer_auth(&city.dispatcher)
        .header("if-match", format!("\"{}\"", asked["version"]))
        .json(&json!({ "action": "request_confirm" }))
        .send()
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(again.json::<Value>().unwrap()["code"], "already_asked_to_confirm");
    work.send(WorkListIntent::Refresh);
    work.send(WorkListIntent::Filter { filter: WorkFilter::Confirm });
    let asked_list = work.state();
    assert_eq!(asked_list.rows.iter().map(|r| r.case_id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    assert_eq!(
        (asked_list.rows[0].task, asked_list.rows[0].task_text.as_str()),
        (TaskKind::Confirm, "待核实")
    );

    let page = phone.app.case_screen(id.clone());
    page.send(CasePageIntent::Refresh);
    let actions: Vec<(String, bool, bool, bool)> = page
        .state()
        .actions
        .iter()
        .map(|a| (a.action.clone(), a.needs_photo, a.needs_position, a.needs_reason))
        .collect();
    assert_eq!(actions, [("confirm".to_owned(), true, true, false), ("deny".to_owned(), true, true, true)]);
    // Without a fix there is no on-site step.
    page.send(CasePageIntent::AddPhoto { bytes: camera_photo(11) });
    page.send(CasePageIntent::Take { action: "confirm".into() });
    assert_eq!(page.state().error.as_deref(), Some("还没有定位，请打开定位后再试"));
    stand_at(&phone, lat, lon);
    page.send(CasePageIntent::Take { action: "deny".into() });
    assert_eq!(page.state().reason_error.as_deref(), Some("请填写原因"));
    page.send(CasePageIntent::Take { action: "confirm".into() });
    let confirmed = page.state();
    assert_eq!(confirmed.error, None);
    let last = confirmed.timeline.last().unwrap();
    assert_eq!((last.text.as_str(), last.who.as_str(), last.photo_ids.len()), ("核实属实", "信息采集员", 1));
    let request = &confirmed.timeline[confirmed.timeline.len() - 2];
    assert_eq!(
        (request.text.as_str(), request.note.as_deref()),
        ("核实派遣", Some("Is the cover gone or only loose?"))
    );
    // Answered: the request ends, on the server and on the list.
    let answered: Value =
        city.server.get_as(&city.dispatcher, &format!("/api/v1/cases/{id}")).json().unwrap();
    assert!(answered.get("confirm_requested_at").is_none(), "{answered}");
    assert!(work.state().rows.is_empty(), "confirmed: no longer a task to confirm");
    // The street office sees the finding and registers the case.
    let timeline: Value =
        city.server.get_as(&city.dispatcher, &format!("/api/v1/cases/{id}/timeline")).json().unwrap();
    let events = timeline["events"].as_array().unwrap();
    let finding = events.last().unwrap();
    assert_eq!((finding["kind"].as_str(), finding["to_state"].as_str()), (Some("confirm"), Some("reported")));
    assert!(finding["position"]["lat"].is_number());
    city.server.step(&city.dispatcher, &id, &json!({ "action": "register" }));
}

fn an_inspector_patrols_offline_and_the_track_gives_the_coverage(backend: Backend) {
    let city = City::open(backend);
    let cell = city.mine().clone();
    let (lat, lon) = point_in(&cell);
    let folder = tempfile::tempdir().unwrap();
    let phone = city.inspector(folder.path());
    let patrol = phone.app.patrol_screen();
    let idle = patrol.state();
    assert!(idle.available && !idle.on_duty);
    assert_eq!((idle.toggle_label.as_str(), idle.interval_secs), ("开始巡查", 60));

    // No signal all morning: the positions wait on the phone.
    phone.net.set_offline(true);
    stand_at(&phone, lat, lon);
    patrol.send(PatrolIntent::StartDuty);
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        patrol.send(PatrolIntent::Record);
    }
    let walking = patrol.state();
    assert!(walking.on_duty);
    assert_eq!((walking.recorded, walking.waiting), (4, 4));
    assert_eq!(walking.status_text, "巡查中，4 个位置等待上传");

    // Signal again: one upload, and the street office's day counts the cell.
    phone.net.set_offline(false);
    phone.net.take();
    phone.app.send(AppIntent::SyncNow);
    let uploads = phone.net.take().into_iter().filter(|r| r == "POST /api/v1/patrol/positions").count();
    assert_eq!(uploads, 1);
    assert_eq!(patrol.state().waiting, 0);
    patrol.send(PatrolIntent::EndDuty);
    patrol.send(PatrolIntent::Record);
    assert_eq!((patrol.state().on_duty, patrol.state().recorded), (false, 4), "off duty nothing is recorded");
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).format("%Y-%m-%d");
    let coverage: Value =
        city.server.get_as(&city.dispatcher, &format!("/api/v1/patrol/coverage?day={today}")).json().unwrap();
    assert_eq!(coverage["visited_cells"], json!([cell.code.to_string()]), "{coverage}");
}

/// In the background the platform hands in every location update; the core keeps one a minute
/// by the fixes' own time, whatever the platform's cadence, and a fix that is no place is said.
fn background_updates_keep_one_position_per_interval(backend: Backend) {
    let city = City::open(backend);
    let (lat, lon) = point_in(city.mine());
    let folder = tempfile::tempdir().unwrap();
    let phone = city.inspector(folder.path());
    let patrol = phone.app.patrol_screen();
    // No fix yet when the duty starts: nothing is kept, and the screen says so.
    patrol.send(PatrolIntent::StartDuty);
    let started = patrol.state();
    assert_eq!((started.on_duty, started.recorded), (true, 0));
    assert_eq!(started.message.as_deref(), Some("没有定位，这一次未记录"));
    assert_eq!(started.background_title, "正在记录巡查轨迹");

    let fix = LocationFix { lat, lon, accuracy_m: Some(8.0) };
    let ms = |at: chrono::DateTime<chrono::Utc>| at.timestamp_millis();
    let start = chrono::Utc::now() - chrono::Duration::minutes(10);
    let moved = |at, fix| patrol.send(PatrolIntent::Moved { fix, at_unix_ms: ms(at) });
    phone.net.take();
    moved(start, fix);
    for secs in [1, 5, 30, 59] {
        moved(start + chrono::Duration::seconds(secs), fix);
    }
    assert_eq!(patrol.state().recorded, 1, "one a minute, however often the platform calls");
    moved(start + chrono::Duration::seconds(60), fix);
    assert_eq!(patrol.state().recorded, 2);
    // A fix that is no place is not kept; one stamped in the future is kept at the phone's time.
    moved(start + chrono::Duration::minutes(5), LocationFix { lat: 95.0, lon, accuracy_m: None });
    assert_eq!(patrol.state().message.as_deref(), Some("定位无效，这一次未记录"));
    moved(chrono::Utc::now() + chrono::Duration::hours(3), fix);
    moved(chrono::Utc::now() + chrono::Duration::seconds(10), fix);
    let after = patrol.state();
    assert_eq!((after.recorded, after.waiting), (3, 0), "each kept position is uploaded at once online");
    let uploads = phone.net.take().into_iter().filter(|r| r == "POST /api/v1/patrol/positions").count();
    assert_eq!(uploads, 3);
    // Off duty the platform's updates keep nothing.
    patrol.send(PatrolIntent::EndDuty);
    moved(chrono::Utc::now(), fix);
    assert_eq!(patrol.state().recorded, 3);
}

both_backends!(
    an_inspector_works_the_list_and_verifies_a_fix_on_site,
    an_inspector_patrols_offline_and_the_track_gives_the_coverage,
    background_updates_keep_one_position_per_interval,
    an_inspector_confirms_a_citizens_report_on_site,
    an_inspector_reports_on_patrol_signed_and_placed_where_they_stand,
    a_failed_verification_needs_a_reason_and_sends_the_case_to_rework,
    a_reset_inspector_signs_in_by_choosing_a_new_password,
    the_case_page_shows_a_joint_cases_helper_parts
);

/// After a reset, the inspector's phone asks for a new password in exchange for the one-time
/// password, refuses an unusable one in words, and signs in with a good one.
fn a_reset_inspector_signs_in_by_choosing_a_new_password(backend: Backend) {
    let city = City::open(backend);
    let cell = city.mine().clone();
    let login =
        staff(&city.server, Role::Inspector, Scope::Grids { grids: [cell.code].into_iter().collect() });
    let signed_in: Value = city
        .server
        .post_json("/api/v1/auth/login", &json!({ "login": login, "password": PASSWORD }))
        .json()
        .unwrap();
    let id = signed_in["user"]["id"].as_str().unwrap().to_owned();
    let reset: Value = city
        .server
        .client
        .patch(city.server.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(city.server.admin_token())
        .json(&json!({ "reset_password": true }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let one_time = reset["one_time_password"].as_str().unwrap().to_owned();

    let folder = tempfile::tempdir().unwrap();
    let phone =
        open_phone(folder.path(), &city.server, &Taxonomy::default_taxonomy().unwrap(), Arc::default());
    let sign_in = phone.app.sign_in_screen();
    sign_in.send(SignInIntent::SetStaffMode { staff: true });
    sign_in.send(SignInIntent::SetLogin { login: login.clone() });
    sign_in.send(SignInIntent::SetPassword { password: one_time.clone() });
    assert!(!sign_in.state().new_password_visible);
    sign_in.send(SignInIntent::SignInStaff);
    let asked = sign_in.state();
    assert!(!asked.signed_in && asked.new_password_visible, "{asked:?}");
    assert_eq!(asked.new_password_error.as_deref(), Some("这是重置后的一次性密码，请设置一个新密码后登录"));
    assert!(!asked.staff_sign_in_enabled, "not without the new password");
    sign_in.send(SignInIntent::SetNewPassword { password: "short".into() });
    sign_in.send(SignInIntent::SignInStaff);
    let refused = sign_in.state();
    assert!(!refused.signed_in);
    assert!(
        refused.new_password_error.as_deref().is_some_and(|e| e.starts_with("这个新密码不能用")),
        "{refused:?}"
    );
    sign_in.send(SignInIntent::SetNewPassword { password: "the inspector's own password".into() });
    sign_in.send(SignInIntent::SignInStaff);
    let done = sign_in.state();
    assert!(done.signed_in && !done.new_password_visible, "{done:?}");
    assert_eq!(phone.app.state().role.as_deref(), Some("inspector"));
    let again = city.server.post_json(
        "/api/v1/auth/login",
        &json!({ "login": login, "password": "the inspector's own password" }),
    );
    assert_eq!(again.status(), 200, "the new password is the account's now");
}
