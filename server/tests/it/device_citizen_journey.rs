//! The citizen's whole journey through the app core's view models, against a real server on
//! both backends, with a scripted platform (a camera giving real JPEGs with EXIF, a location
//! fix, notifications, secure storage and a background scheduler that record what they get):
//! sign in (a wrong code refused in words, the right one, the account kept across a restart),
//! photos (several, one removed, one too large, one not a photo), the place by GPS with the map
//! and by the no-map path (and a pin outside every cell refused), a category with a required
//! question of every Open311 datatype (each left out, then one answered wrongly), anonymity
//! only where allowed, sending offline, the report at once in "my reports" marked unsent and
//! waiting in the outbox, reconnecting, the case registered (with a notification), closed by
//! the office, and rated once. A second test covers the anonymous account kept in secure
//! storage, the server's wait after too many code requests, and the outbox's controls for a
//! report the server refuses. A third covers the duplicate step before sending: a second
//! citizen at the same place and category is shown the first report, follows it (keeping or
//! discarding the draft) or sends anyway, and offline the step is skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::auth_http::plant_code;
use crate::common;
use crate::device_support;
use crate::device_support::platform::{Heard, Phone, ScriptedPlatform, open_phone};

#[path = "../../../core/tests/photo_support/mod.rs"]
#[allow(dead_code, clippy::all, clippy::pedantic)]
mod photo_support;

use std::path::Path;
use std::sync::Arc;

use common::{Backend, TestServer, demo_cells, point_in};
use gridline_core::device::PhotoSize;
use gridline_core::device::app::{
    AnswerInput, AppIntent, BaseMapProvider, Language, LocationFix, MyReportsIntent, MyReportsListener,
    MyReportsState, NewReportIntent, NewReportListener, NewReportState, OutboxIntent, PushPlatform,
    QuestionControl, SignInIntent, SignInListener, SignInState,
};
use gridline_core::grid::GridCell;
use gridline_core::taxonomy::{Category, Taxonomy};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use photo_support::{CameraExif, jpeg_with_exif, quadrants};
use serde_json::{Value, json};

impl SignInListener for Heard<SignInState> {
    fn on_state(&self, state: SignInState) {
        self.0.lock().unwrap().push(state);
    }
}

impl NewReportListener for Heard<NewReportState> {
    fn on_state(&self, state: NewReportState) {
        self.0.lock().unwrap().push(state);
    }
}

impl MyReportsListener for Heard<MyReportsState> {
    fn on_state(&self, state: MyReportsState) {
        self.0.lock().unwrap().push(state);
    }
}

/// A category with a required question of every Open311 datatype, not anonymous.
fn surveyed_category() -> Value {
    let names = |zh: &str, en: &str| json!({ "zh": zh, "en": en });
    let question = |code: &str, datatype: &str, values: Value| {
        json!({ "code": code, "names": names(&format!("问题 {code}"), &format!("Question {code}")),
                "datatype": datatype, "required": true, "values": values })
    };
    let options = |keys: &[&str]| {
        Value::Array(
            keys.iter()
                .map(|k| json!({ "key": k, "names": names(&format!("选项 {k}"), &format!("Option {k}")) }))
                .collect(),
        )
    };
    json!({
        "code": "E0198",
        "names": names("占道堆物", "Goods blocking the way"),
        "time_limit": "1d",
        "anonymous_allowed": false,
        "duplicate_radius_m": 100,
        "default_unit": "sanitation",
        "questions": [
            question("shop", "string", json!([])),
            question("count", "number", json!([])),
            question("since", "datetime", json!([])),
            question("details", "text", json!([])),
            question("size", "singlevaluelist", options(&["small", "large"])),
            question("kinds", "multivaluelist", options(&["boxes", "bikes", "stalls"])),
        ],
    })
}

/// The city's categories with the surveyed one added, as the admin API holds them.
fn taxonomy_with(category: &Value) -> Taxonomy {
    let shipped = Taxonomy::default_taxonomy().unwrap();
    let mut categories = shipped.categories().to_vec();
    categories.push(serde_json::from_value::<Category>(category.clone()).unwrap());
    Taxonomy::from_parts(shipped.majors().to_vec(), shipped.units().to_vec(), categories).unwrap()
}

/// A camera photo: a real JPEG with the camera's EXIF, taken at `(lat, lon)`.
fn camera_photo(lat: f64, lon: f64) -> Vec<u8> {
    let exif = CameraExif { gps: Some((lat, lon, 12.0)), ..CameraExif::default() };
    jpeg_with_exif(&quadrants(320, 240), 320, 240, &exif.tiff())
}

fn start(backend: Backend) -> (TestServer, Vec<GridCell>, Value) {
    let server = crate::auth_http::start(backend);
    let cells = demo_cells(12);
    let admin = server.admin_token();
    server.import_grid(&admin, "310104", &cells);
    let category = surveyed_category();
    let created = server
        .client
        .post(server.url("/api/v1/admin/categories"))
        .bearer_auth(&admin)
        .json(&category)
        .send()
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().unwrap());
    (server, cells, category)
}

/// A base map of tile files, as an offline extract shipped with a city's build would be.
struct TileFolder;

impl BaseMapProvider for TileFolder {
    fn tile(&self, zoom: u8, x: u32, y: u32) -> Option<String> {
        Some(format!("tiles/{zoom}/{x}/{y}.png"))
    }
}

fn answer(question: &str, value: &str) -> NewReportIntent {
    NewReportIntent::Answer { question: question.into(), input: AnswerInput::One { value: value.into() } }
}

fn question_error(state: &NewReportState, code: &str) -> Option<String> {
    state.questions.iter().find(|q| q.code == code).unwrap().error.clone()
}

fn a_citizen_reports_offline_and_follows_the_case_to_its_rating(backend: Backend) {
    let (server, cells, _) = start(backend);
    // The phone ships with the built-in categories; the city's (with the surveyed category the
    // admin added) come with the first sync.
    let taxonomy = Taxonomy::default_taxonomy().unwrap();
    let surveyed = "E0198".parse().unwrap();
    assert!(taxonomy.get(surveyed).is_none());
    let folder = tempfile::tempdir().unwrap();
    let phone = open_phone(folder.path(), &server, &taxonomy, Arc::new(ScriptedPlatform::default()));
    assert!(!phone.app.state().signed_in);

    // Sign in: a malformed number is refused on its field; a wrong code shows the tries left.
    let sign_in = phone.app.sign_in_screen();
    let heard = Heard::<SignInState>::new();
    let handle = sign_in.subscribe(heard.clone());
    assert!(!heard.last().request_code_enabled, "nothing to send a code to yet");
    sign_in.send(SignInIntent::SetPhone { phone: "12345".into() });
    sign_in.send(SignInIntent::RequestCode);
    let refused = sign_in.state();
    assert_eq!(refused.phone_error.as_deref(), Some("请输入有效的手机号码"));
    assert!(!refused.code_visible);
    assert!(heard.all().iter().any(|s| s.busy && !s.request_code_enabled), "buttons disable while it runs");
    sign_in.send(SignInIntent::SetPhone { phone: "138 0013 8000".into() });
    sign_in.send(SignInIntent::RequestCode);
    assert!(sign_in.state().code_visible);
    assert!(!sign_in.state().verify_enabled, "no code typed yet");
    plant_code(&server, "246810");
    sign_in.send(SignInIntent::SetCode { code: "000000".into() });
    sign_in.send(SignInIntent::Verify);
    let wrong = sign_in.state();
    // One answer for wrong and expired codes (no count of tries left: it would tell whether a
    // code is pending for the number).
    assert_eq!(wrong.attempts_left, None);
    assert_eq!(wrong.code_error.as_deref(), Some("验证码不对或已失效，请检查后重试或重新获取"));
    assert!(!wrong.signed_in);
    sign_in.send(SignInIntent::SetCode { code: "246810".into() });
    sign_in.send(SignInIntent::Verify);
    assert!(heard.last().signed_in);
    drop(handle);
    let app = phone.app.state();
    assert!(app.signed_in);
    assert_eq!((app.role_text.as_str(), app.role.as_deref()), ("市民", Some("citizen")));

    // The account outlives the process.
    drop(sign_in);
    let Phone { platform, .. } = phone;
    let phone = open_phone(folder.path(), &server, &taxonomy, platform);
    assert!(phone.app.state().signed_in);
    phone.app.send(AppIntent::SyncNow);
    assert!(phone.app.device().grid_index().unwrap().is_some(), "sync fetched the grid package");
    let city = phone.app.device().taxonomy();
    assert_eq!(city.get(surveyed).unwrap().questions.len(), 6, "sync fetched the city's categories");

    // Photos: three from the camera, one removed; a too large one and a GIF are refused.
    let cell = &cells[3];
    let (lat, lon) = point_in(cell);
    let report = phone.app.new_report_screen(None);
    let heard = Heard::<NewReportState>::new();
    let _handle = report.subscribe(heard.clone());
    assert_eq!(heard.last().draft_id, None, "no draft until the first change");
    for _ in 0..3 {
        report.send(NewReportIntent::AddPhoto { bytes: camera_photo(lat, lon) });
    }
    let three = report.state();
    assert_eq!(three.photos.len(), 3);
    assert!(three.photos.iter().all(|p| Path::new(&p.thumbnail_path).exists() && p.width == 320));
    report.send(NewReportIntent::RemovePhoto { photo_id: three.photos[1].id.clone() });
    let draft_id = report.state().draft_id.unwrap();
    let stored = phone.app.device().store().draft(&draft_id).unwrap();
    assert_eq!(stored.photos.len(), 2);
    let taken_at = stored.photos[0].metadata.position.unwrap();
    assert!((taken_at.lat() - lat).abs() < 1e-4 && (taken_at.lon() - lon).abs() < 1e-4, "EXIF position kept");
    let mut too_large = camera_photo(lat, lon);
    too_large.resize(26 * 1024 * 1024, 0);
    report.send(NewReportIntent::AddPhoto { bytes: too_large });
    assert_eq!(report.state().photos_error.as_deref(), Some("照片太大（26 MB），最大 25 MB"));
    report.send(NewReportIntent::AddPhoto { bytes: b"GIF89a\x01\x00\x01\x00".to_vec() });
    assert!(report.state().photos_error.unwrap().contains("GIF"));
    assert_eq!(report.state().photos.len(), 2);

    // Place by GPS: the fix with its accuracy, the map around it with the routed cell lit.
    *phone.platform.fix.lock().unwrap() = Some(LocationFix { lat, lon, accuracy_m: Some(8.0) });
    report.send(NewReportIntent::UseMyLocation);
    let placed = report.state();
    assert_eq!(placed.location_text, "已定位，误差约 8 米");
    assert_eq!(placed.place_text, format!("{} ({})", cell.name, cell.code));
    assert_eq!(placed.position_error, None);
    let map = placed.map.unwrap();
    let lit: Vec<&str> = map.cells.iter().filter(|c| c.highlighted).map(|c| c.code.as_str()).collect();
    assert_eq!(lit, [cell.code.to_string()]);
    assert!(map.zoom_in_enabled && map.zoom_out_enabled);

    // Fixes pushed by the platform while the screen is open show at once, and the pin follows
    // the phone until it is placed by hand.
    let elsewhere = &cells[4];
    let (lat2, lon2) = point_in(elsewhere);
    report.send(NewReportIntent::LocationUpdated {
        fix: LocationFix { lat: lat2, lon: lon2, accuracy_m: Some(3.0) },
    });
    let moved = report.state();
    assert_eq!(moved.location_text, "已定位，误差约 3 米");
    assert_eq!(moved.place_text, format!("{} ({})", elsewhere.name, elsewhere.code));
    report.send(NewReportIntent::LocationUpdated { fix: LocationFix { lat, lon, accuracy_m: Some(8.0) } });
    assert_eq!(report.state().place_text, format!("{} ({})", cell.name, cell.code));
    for _ in 0..4 {
        report.send(NewReportIntent::ZoomIn);
    }
    let close = report.state().map.unwrap();
    assert!(!close.zoom_in_enabled, "zoomed in as far as it goes");
    assert!(close.cells.iter().any(|c| c.highlighted));
    assert!(close.cells.len() < cells.len(), "only the cells around the position");
    report.send(NewReportIntent::ZoomOut);
    report.send(NewReportIntent::ZoomOut);
    report.send(NewReportIntent::ZoomOut);
    let wide = report.state().map.unwrap();
    assert!(wide.span_m > close.span_m && wide.cells.len() > close.cells.len());
    report.send(NewReportIntent::PanMap { east_m: 1000.0, north_m: 0.0 });
    assert!(report.state().map.unwrap().centre.lon > wide.centre.lon);

    // A base map the platform plugs in is drawn under the cells; without one the cells are the
    // map.
    assert!(report.state().map.unwrap().base_tiles.is_empty());
    phone.app.set_base_map(Some(Arc::new(TileFolder)));
    let tiles = report.state().map.unwrap().base_tiles;
    assert!(
        !tiles.is_empty()
            && tiles.iter().all(|t| t.source == format!("tiles/{}/{}/{}.png", t.zoom, t.x, t.y))
    );
    phone.app.set_base_map(None);
    assert!(report.state().map.unwrap().base_tiles.is_empty());

    // A pin outside every cell is refused, and cannot be sent.
    report.send(NewReportIntent::PlacePin { lat: lat + 1.0, lon });
    assert_eq!(report.state().position_error.as_deref(), Some("这个位置不在本市任何网格内，请移动定位点"));

    // The no-map path: street, then community, then the cell.
    let code = cell.code.to_string();
    let streets = report.state().streets;
    assert!(streets.iter().any(|s| s.key == code[..9]));
    report.send(NewReportIntent::ChooseStreet { code: code[..9].to_owned() });
    let communities = report.state().communities;
    assert!(communities.iter().any(|c| c.key == code[..12]));
    report.send(NewReportIntent::ChooseCommunity { code: code[..12].to_owned() });
    let choices = report.state().cells;
    assert!(choices.iter().any(|c| c.key == code && c.label.contains(&cell.name)));
    report.send(NewReportIntent::ChooseCell { code: code.clone() });
    let placed = report.state();
    assert_eq!(placed.position_error, None);
    assert_eq!(placed.place_text, format!("{} ({code})", cell.name));
    assert!(placed.cells.iter().any(|c| c.key == code && c.selected));
    report.send(NewReportIntent::LocationUpdated {
        fix: LocationFix { lat: lat2, lon: lon2, accuracy_m: Some(5.0) },
    });
    let kept = report.state();
    assert_eq!(kept.location_text, "已定位，误差约 5 米");
    assert_eq!(kept.place_text, format!("{} ({code})", cell.name), "a pin placed by hand stays");

    // The category, browsed and searched; every question with its own control.
    report.send(NewReportIntent::BrowseKind { kind: "event".into() });
    assert!(report.state().majors.iter().any(|m| m.key == "1"));
    report.send(NewReportIntent::BrowseMajor { major: "1".into() });
    let browsed: Vec<String> = report.state().category_results.iter().map(|c| c.code.clone()).collect();
    assert!(browsed.contains(&"E0101".to_owned()) && browsed.contains(&"E0198".to_owned()));
    report.send(NewReportIntent::SearchCategory { query: "占道堆物".into() });
    let found: Vec<String> = report.state().category_results.iter().map(|c| c.code.clone()).collect();
    assert_eq!(found, ["E0198"]);
    report.send(NewReportIntent::ChooseCategory { code: "E0198".into() });
    let chosen = report.state();
    assert_eq!(chosen.category.as_ref().unwrap().name, "占道堆物");
    let controls: Vec<QuestionControl> = chosen.questions.iter().map(|q| q.control).collect();
    assert_eq!(
        controls,
        [
            QuestionControl::SingleLine,
            QuestionControl::Number,
            QuestionControl::DateTime,
            QuestionControl::MultiLine,
            QuestionControl::SingleChoice,
            QuestionControl::MultiChoice
        ]
    );
    assert!(chosen.questions.iter().all(|q| q.required && q.error.is_none()), "no error before a send");
    assert!(!chosen.anonymous_visible, "this category is never anonymous");

    // Sending with everything left out names each field; nothing is queued.
    report.send(NewReportIntent::SetAnonymous { anonymous: true });
    report.send(NewReportIntent::Send);
    let refused = report.state();
    assert_eq!(refused.message.as_deref(), Some("请检查标出的内容"));
    assert_eq!(refused.description_error.as_deref(), Some("请用几句话描述问题"));
    assert_eq!(refused.anonymous_error.as_deref(), Some("这个类别不能匿名上报"));
    assert_eq!(question_error(&refused, "shop").as_deref(), Some("请回答这个问题"));
    for code in ["count", "since", "details", "size", "kinds"] {
        assert!(question_error(&refused, code).is_some(), "{code} left out");
    }
    assert!(!refused.send_enabled);
    assert!(phone.app.device().store().outbox(false).unwrap().is_empty());

    // Answers: a wrong one is named at once, then everything is put right.
    report.send(answer("count", "about five"));
    assert_eq!(question_error(&report.state(), "count").as_deref(), Some("请填写一个数字"));
    report.send(answer("count", "5"));
    report.send(answer("shop", "小卖部"));
    report.send(answer("since", "2026-12-01T08:00:00Z"));
    report.send(answer("details", "纸箱堆在人行道上"));
    report.send(answer("size", "large"));
    report.send(NewReportIntent::Answer {
        question: "kinds".into(),
        input: AnswerInput::Many { keys: vec!["boxes".into(), "bikes".into()] },
    });
    report.send(NewReportIntent::SetAnonymous { anonymous: false });
    report.send(NewReportIntent::SetDescription { text: "人行道被纸箱和自行车堵住".into() });
    let ready = report.state();
    assert!(ready.questions.iter().all(|q| q.error.is_none()), "{:?}", ready.questions);
    let kinds = ready.questions.iter().find(|q| q.code == "kinds").unwrap();
    let selected: Vec<&str> = kinds.options.iter().filter(|o| o.selected).map(|o| o.key.as_str()).collect();
    assert_eq!(selected, ["boxes", "bikes"]);
    assert!(ready.send_enabled);

    // Send with no signal: queued, in the outbox and at once in "my reports", marked unsent.
    let reports = phone.app.my_reports_screen();
    let outbox = phone.app.outbox_screen();
    phone.net.set_offline(true);
    report.send(NewReportIntent::Send);
    let after = report.state();
    assert_eq!(after.message.as_deref(), Some("已保存，联网后自动发送"));
    assert_eq!((after.draft_id, after.photos.len(), after.category), (None, 0, None), "the form starts over");
    let waiting = outbox.state();
    assert_eq!(waiting.items.len(), 1);
    assert_eq!((waiting.items[0].status.as_str(), waiting.items[0].title.as_str()), ("waiting", "占道堆物"));
    assert!(!waiting.items[0].retry_enabled && !waiting.items[0].discard_enabled);
    assert!(waiting.drafts.is_empty());
    let unsent = reports.state();
    assert_eq!(unsent.rows.len(), 1);
    assert!(unsent.rows[0].unsent);
    assert_eq!(unsent.rows[0].state_text, "未发送");
    assert!(!phone.platform.scheduled.lock().unwrap().is_empty(), "a retry is scheduled");
    assert_eq!(phone.app.state().unsent_count, 1);

    // Signal again: the scheduled background sync delivers it and pulls the list.
    phone.net.set_offline(false);
    assert!(phone.app.background_sync());
    let heard_reports = Heard::<MyReportsState>::new();
    let _reports_handle = reports.subscribe(heard_reports.clone());
    let listed = heard_reports.last();
    assert_eq!(listed.rows.len(), 1);
    let row = listed.rows[0].clone();
    assert!(!row.unsent && !row.tracking_number.is_empty());
    assert_eq!((row.title.as_str(), row.state_text.as_str()), ("占道堆物", "已上报，等待街道受理"));
    assert!(outbox.state().items.is_empty());
    let case_id = row.id.clone();

    // The detail: tracking number, answers in words, the photos, the timeline.
    reports.send(MyReportsIntent::Open { case_id: case_id.clone() });
    let detail = reports.state().detail.unwrap();
    assert_eq!(detail.tracking_number, row.tracking_number);
    assert_eq!(detail.description, "人行道被纸箱和自行车堵住");
    assert!(detail.answers.contains(&"问题 size: 选项 large".to_owned()), "{:?}", detail.answers);
    assert!(detail.answers.contains(&"问题 kinds: 选项 boxes, 选项 bikes".to_owned()));
    assert_eq!(detail.timeline.len(), 1);
    assert!(!detail.rate_visible && !detail.offline);
    // The two photos as thumbnails the shells draw from a file: the server's own, fetched on
    // opening, each labelled for screen readers.
    assert_eq!(detail.photos.len(), 2);
    let citizen = phone.app.device().session().access_token().unwrap();
    for (i, photo) in detail.photos.iter().enumerate() {
        let kept = std::fs::read(photo.thumbnail_path.as_ref().expect("fetched on opening")).unwrap();
        let served = server.get_as(&citizen, &format!("/api/v1/photos/{}?size=thumbnail", photo.id));
        assert_eq!(kept, served.bytes().unwrap().to_vec(), "the server's thumbnail, as served");
        assert_eq!(photo.label, format!("上报照片，第 {} 张，共 2 张", i + 1));
    }
    assert!(detail.after_photos.is_empty());

    // The office registers it: a sync brings the new state and one notification.
    let street = code[..9].parse().unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
    server.step(&dispatcher, &case_id, &json!({ "action": "register" }));
    assert!(phone.app.background_sync());
    assert_eq!(reports.state().rows[0].state_text, "已立案");
    let notes = phone.platform.notifications.lock().unwrap().clone();
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].case_id.as_str(), notes[0].body.as_str()), (case_id.as_str(), "已立案"));
    assert!(notes[0].title.contains(&row.tracking_number));
    assert!(phone.app.background_sync());
    assert_eq!(phone.platform.notifications.lock().unwrap().len(), 1, "a state is told once");

    // A cold process (the background scheduler's) still has the list, offline.
    drop((report, reports, outbox, heard_reports));
    let Phone { platform, .. } = phone;
    let phone = open_phone(folder.path(), &server, &taxonomy, platform);
    phone.net.set_offline(true);
    assert!(phone.app.device().taxonomy().get(surveyed).is_some(), "the city's categories are kept");
    let reports = phone.app.my_reports_screen();
    assert_eq!(reports.state().rows[0].state_text, "已立案");
    reports.send(MyReportsIntent::Open { case_id: case_id.clone() });
    let kept = reports.state().detail.unwrap();
    assert!(kept.offline && kept.tracking_number == row.tracking_number);
    assert!(kept.photos.iter().all(|p| p.thumbnail_path.is_some()), "thumbnails show offline");
    // A photo opened full size needs the network the first time: said in words, and it opens
    // once there is a connection; an id this detail does not show opens nothing.
    let first_photo = kept.photos[0].clone();
    reports.send(MyReportsIntent::OpenPhoto { photo_id: first_photo.id.clone() });
    let viewer = reports.state().viewer.unwrap();
    assert_eq!((viewer.path, viewer.error.as_deref()), (None, Some("无网络，暂时无法打开这张照片")));
    phone.net.set_offline(false);
    reports.send(MyReportsIntent::OpenPhoto { photo_id: first_photo.id.clone() });
    let viewer = reports.state().viewer.unwrap();
    assert_eq!((viewer.error, viewer.label.as_str()), (None, first_photo.label.as_str()));
    let full = std::fs::read(viewer.path.unwrap()).unwrap();
    let served = server.get_as(&citizen, &format!("/api/v1/photos/{}", first_photo.id));
    assert_eq!(full, served.bytes().unwrap().to_vec(), "the full photo, as served");
    reports.send(MyReportsIntent::ClosePhoto);
    reports.send(MyReportsIntent::OpenPhoto { photo_id: "0193-not-shown-here".into() });
    assert_eq!(reports.state().viewer, None);

    // Dispatched, handled and verified on site: closed, and the citizen rates it once.
    server.step(&dispatcher, &case_id, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
    server.step(&handler, &case_id, &json!({ "action": "accept" }));
    let after_photo = server.upload_photo(&handler);
    server.step(&handler, &case_id, &json!({ "action": "mark_handled", "photo_ids": [after_photo] }));
    let inspector =
        server.staff_token(Role::Inspector, Scope::Grids { grids: [cell.code].into_iter().collect() });
    let check_photo = server.upload_photo(&inspector);
    server.step(
        &inspector,
        &case_id,
        &json!({ "action": "verify_pass", "photo_ids": [check_photo], "position": { "lat": lat, "lon": lon } }),
    );
    reports.send(MyReportsIntent::Refresh);
    let closed = reports.state().detail.unwrap();
    assert_eq!(closed.state_text, "已结案");
    assert!(closed.deadline.is_some() && closed.deadline_text.unwrap().starts_with("处置期限"));
    assert!(closed.rate_visible);
    assert!(closed.timeline.len() >= 5, "{:?}", closed.timeline);
    assert_eq!(phone.platform.notifications.lock().unwrap().last().unwrap().body, "已结案");

    // The handling unit's after-photo shows, and the reporter may open it; the inspector's
    // check photo stays with the staff.
    assert_eq!(closed.after_photos.len(), 1);
    assert_eq!(closed.after_photos[0].id, after_photo);
    assert!(closed.after_photos[0].thumbnail_path.is_some());
    reports.send(MyReportsIntent::OpenPhoto { photo_id: check_photo.clone() });
    assert_eq!(reports.state().viewer, None, "the inspector's check photo is not the reporter's");
    let handled = closed.timeline.iter().find(|e| !e.photo_ids.is_empty()).unwrap();
    assert_eq!(
        (handled.text.as_str(), handled.photo_ids.clone()),
        ("已处置，等待核查", vec![after_photo.clone()])
    );
    assert_eq!(server.get_as(&citizen, &format!("/api/v1/photos/{after_photo}")).status(), 200);
    assert_eq!(server.get_as(&citizen, &format!("/api/v1/photos/{check_photo}")).status(), 404);
    let stranger = server.citizen_token();
    assert_eq!(server.get_as(&stranger, &format!("/api/v1/photos/{after_photo}")).status(), 404);
    let strangers_view: Value =
        server.get_as(&stranger, &format!("/api/v1/cases/{case_id}/timeline")).json().unwrap();
    assert!(!strangers_view.to_string().contains(&after_photo), "only the reporter gets the photos");

    // The rating: a comment too long is refused on the comment, a rating of 0 in words, then 4
    // stars with a comment, once.
    reports.send(MyReportsIntent::SetComment { text: "好".repeat(2001) });
    assert_eq!(reports.state().detail.unwrap().comment_counter, "2001/2000");
    reports.send(MyReportsIntent::Rate { stars: 4 });
    assert_eq!(reports.state().detail.unwrap().comment_error.as_deref(), Some("评价太长，最多 2000 字"));
    assert!(phone.app.device().store().outbox(false).unwrap().is_empty(), "nothing queued");
    reports.send(MyReportsIntent::SetComment { text: " 处理得很快，谢谢 ".into() });
    reports.send(MyReportsIntent::Rate { stars: 0 });
    assert_eq!(reports.state().message.as_deref(), Some("请选择 1 到 5 的评分"));
    reports.send(MyReportsIntent::Rate { stars: 4 });
    let rated = reports.state();
    assert_eq!(rated.message.as_deref(), Some("谢谢您的评价"));
    let rated = rated.detail.unwrap();
    assert_eq!((rated.rating, rated.rate_visible, rated.comment.as_str()), (Some(4), false, ""));
    let on_server: Value = server.get_as(&dispatcher, &format!("/api/v1/cases/{case_id}")).json().unwrap();
    assert_eq!(on_server["rating"], 4);
    let staff_timeline: Value =
        server.get_as(&dispatcher, &format!("/api/v1/cases/{case_id}/timeline")).json().unwrap();
    let rate = staff_timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "rate").unwrap();
    assert_eq!(rate["details"]["comment"], "处理得很快，谢谢");

    // English on request, kept across a restart.
    phone.app.send(AppIntent::SetLanguage { language: Language::En });
    assert_eq!(reports.state().rows[0].state_text, "Closed");
    assert_eq!(reports.state().rows[0].title, "Goods blocking the way");

    // Signing out takes the account's photos off the phone with its lists.
    let thumbnail = closed.after_photos[0].thumbnail_path.clone().unwrap();
    phone.app.send(AppIntent::SignOut);
    assert!(!Path::new(&thumbnail).exists());
    assert_eq!(phone.app.device().kept_photo(&first_photo.id, PhotoSize::Full), None);
}

fn anonymous_accounts_waits_and_refused_reports(backend: Backend) {
    let (server, cells, category) = start(backend);
    let taxonomy = taxonomy_with(&category);
    let folder = tempfile::tempdir().unwrap();
    let phone = open_phone(folder.path(), &server, &taxonomy, Arc::new(ScriptedPlatform::default()));

    // Too many code requests: the server's wait is shown.
    let sign_in = phone.app.sign_in_screen();
    sign_in.send(SignInIntent::SetPhone { phone: "13900139000".into() });
    for _ in 0..3 {
        sign_in.send(SignInIntent::RequestCode);
        assert_eq!(sign_in.state().wait_secs, None, "{:?}", sign_in.state().message);
    }
    sign_in.send(SignInIntent::RequestCode);
    let waiting = sign_in.state();
    let wait = waiting.wait_secs.expect("the server's wait");
    assert!(wait > 0);
    assert!(waiting.message.unwrap().contains(&format!("请等待 {wait} 秒")));

    // Anonymous: the secret goes to secure storage and brings the same account back.
    sign_in.send(SignInIntent::ContinueAnonymously);
    assert!(sign_in.state().signed_in);
    let first = phone.app.device().account().unwrap().unwrap();
    assert!(first.anonymous);
    let secret = phone.platform.secrets.lock().unwrap().get("gridline.device_secret").cloned().unwrap();

    // The platform's push token is registered for the account at once; signing out forgets it
    // on the server, and the next sync after signing in registers it again.
    let push_devices = |phone: &Phone| {
        let token = phone.app.device().session().access_token().unwrap();
        let settings: Value = server.get_as(&token, "/api/v1/me/notifications").json().unwrap();
        settings["push_devices"].as_u64().unwrap()
    };
    assert_eq!(push_devices(&phone), 0);
    phone
        .app
        .send(AppIntent::RegisterPushToken { token: "fcm:token-1".into(), platform: PushPlatform::Android });
    assert_eq!((phone.app.state().error, push_devices(&phone)), (None, 1));
    phone
        .app
        .send(AppIntent::RegisterPushToken { token: "fcm:token-2".into(), platform: PushPlatform::Android });
    assert_eq!(push_devices(&phone), 1, "a rotated token replaces the old one");
    phone.app.send(AppIntent::RegisterPushToken { token: " ".into(), platform: PushPlatform::Android });
    assert!(phone.app.state().error.is_some(), "an empty token is refused");

    phone.app.send(AppIntent::SignOut);
    assert!(!phone.app.state().signed_in);
    sign_in.send(SignInIntent::ContinueAnonymously);
    assert_eq!(phone.app.device().account().unwrap().unwrap().user_id, first.user_id);
    assert_eq!(push_devices(&phone), 0, "forgotten on the server at sign-out");
    phone.app.send(AppIntent::SyncNow);
    assert_eq!(push_devices(&phone), 1, "registered again for the account signed in");
    assert_eq!(phone.platform.secrets.lock().unwrap().get("gridline.device_secret"), Some(&secret));

    // A draft resumed from the list, and one discarded.
    let report = phone.app.new_report_screen(None);
    report.send(NewReportIntent::SetDescription { text: "to be thrown away".into() });
    let outbox = phone.app.outbox_screen();
    let drafts = outbox.state().drafts;
    assert_eq!((drafts.len(), drafts[0].title.as_str()), (1, "未选类别"));
    outbox.send(OutboxIntent::DiscardDraft { draft_id: drafts[0].id.clone() });
    assert!(outbox.state().drafts.is_empty());
    assert_eq!(outbox.state().empty_text.as_deref(), Some("没有草稿，也没有待发送的内容"));

    // The server refuses a report the phone let through (the category was withdrawn from
    // anonymous reports after the phone got its list): failed with the reason, then back to
    // the drafts to fix it.
    let admin = server.admin_token();
    let withdrawn = server
        .client
        .patch(server.url("/api/v1/admin/categories/E0101"))
        .bearer_auth(&admin)
        .json(&json!({ "anonymous_allowed": false }))
        .send()
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    let (lat, lon) = point_in(&cells[1]);
    let report = phone.app.new_report_screen(None);
    report.send(NewReportIntent::AddPhoto { bytes: camera_photo(lat, lon) });
    report.send(NewReportIntent::PlacePin { lat, lon });
    report.send(NewReportIntent::ChooseCategory { code: "E0101".into() });
    assert!(report.state().anonymous_visible, "the phone's list still allows it");
    report.send(NewReportIntent::SetAnonymous { anonymous: true });
    report.send(NewReportIntent::SetDescription { text: "Overflowing bin".into() });
    report.send(NewReportIntent::Send);
    let failed = outbox.state().items;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].status, "failed");
    assert_eq!(failed[0].reason.as_deref(), Some("这个类别不能匿名上报"));
    assert!(failed[0].retry_enabled && failed[0].discard_enabled && failed[0].back_to_drafts_enabled);
    let mine = phone.app.my_reports_screen().state();
    assert_eq!(mine.rows[0].state_text, "未发送：被服务器拒绝，见待发送");
    outbox.send(OutboxIntent::BackToDrafts { item_id: failed[0].id.clone() });
    let drafts = outbox.state().drafts;
    assert_eq!((drafts.len(), drafts[0].photo_count), (1, 1));
    assert!(outbox.state().items.is_empty());
    let fixing = phone.app.new_report_screen(Some(drafts[0].id.clone()));
    fixing.send(NewReportIntent::SetAnonymous { anonymous: false });
    fixing.send(NewReportIntent::Send);
    assert_eq!(fixing.state().message.as_deref(), Some("已发送"));
    assert!(outbox.state().items.is_empty() && outbox.state().drafts.is_empty());
    assert_eq!(device_support::case_count(&server), 1);
}

/// A phone signed in anonymously, as a new account.
fn anonymous_phone(folder: &Path, server: &TestServer, taxonomy: &Taxonomy) -> Phone {
    let phone = open_phone(folder, server, taxonomy, Arc::new(ScriptedPlatform::default()));
    let sign_in = phone.app.sign_in_screen();
    sign_in.send(SignInIntent::ContinueAnonymously);
    assert!(sign_in.state().signed_in, "{:?}", sign_in.state().message);
    phone
}

/// A filled new-report form: one photo, the pin at `(lat, lon)`, E0101 and a description.
fn bin_report(phone: &Phone, lat: f64, lon: f64) -> Arc<gridline_core::device::app::NewReportModel> {
    let report = phone.app.new_report_screen(None);
    report.send(NewReportIntent::AddPhoto { bytes: camera_photo(lat, lon) });
    report.send(NewReportIntent::PlacePin { lat, lon });
    report.send(NewReportIntent::ChooseCategory { code: "E0101".into() });
    report.send(NewReportIntent::SetDescription { text: "垃圾桶满了".into() });
    report
}

fn a_second_citizen_sees_the_report_nearby_and_follows_it_or_sends_anyway(backend: Backend) {
    let (server, cells, category) = start(backend);
    let taxonomy = taxonomy_with(&category);
    let (lat, lon) = point_in(&cells[1]);

    // The first citizen: nothing nearby yet, so the report goes at once.
    let first_folder = tempfile::tempdir().unwrap();
    let first = anonymous_phone(first_folder.path(), &server, &taxonomy);
    let report = bin_report(&first, lat, lon);
    report.send(NewReportIntent::Send);
    assert_eq!(report.state().message.as_deref(), Some("已发送"));
    assert!(report.state().nearby.is_empty());
    let mine = first.app.my_reports_screen().state().rows;
    assert_eq!(mine.len(), 1);
    let tracking_number = mine[0].tracking_number.clone();
    assert!(!tracking_number.is_empty() && !mine[0].followed);

    // The second citizen, same place and category: shown the first report before sending,
    // and nothing is sent yet.
    let second_folder = tempfile::tempdir().unwrap();
    let second = anonymous_phone(second_folder.path(), &server, &taxonomy);
    let report = bin_report(&second, lat, lon);
    report.send(NewReportIntent::Send);
    let asked = report.state();
    assert_eq!(asked.message.as_deref(), Some("附近已有同类问题的上报，是您看到的这个吗？"));
    assert_eq!(asked.nearby.len(), 1, "{:?}", asked.nearby);
    let shown = &asked.nearby[0];
    assert_eq!(shown.tracking_number, tracking_number);
    assert_eq!(shown.state_text, "已上报，等待街道受理");
    assert!(shown.distance_text.ends_with(" 米以内"), "{}", shown.distance_text);
    assert_eq!(shown.time_text.len(), 10, "a date: {}", shown.time_text);
    assert_eq!(asked.send_anyway_label, "仍然发送");
    assert!(asked.draft_id.is_some(), "the draft is kept while the citizen chooses");
    assert_eq!(device_support::case_count(&server), 1);
    assert!(second.app.device().store().outbox(false).unwrap().is_empty());

    // "This is mine too", keeping the draft: followed in "my reports", the draft in the list.
    report.send(NewReportIntent::FollowNearby { tracking_number: tracking_number.clone(), keep_draft: true });
    let followed = report.state();
    assert!(followed.message.unwrap().contains(&tracking_number));
    assert!(followed.nearby.is_empty() && followed.draft_id.is_none(), "the form starts over");
    let reports = second.app.my_reports_screen();
    let rows = reports.state().rows;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].followed && !rows[0].unsent);
    assert_eq!(
        (rows[0].tracking_number.as_str(), rows[0].id.as_str()),
        (tracking_number.as_str(), tracking_number.as_str())
    );
    assert!(rows[0].state_text.contains("已上报，等待街道受理"), "{}", rows[0].state_text);
    // Opened, it shows the public tracking page: no photos, no rating.
    reports.send(MyReportsIntent::Open { case_id: tracking_number.clone() });
    let detail = reports.state().detail.unwrap();
    assert!(detail.followed && !detail.rate_visible);
    assert_eq!(
        (detail.tracking_number.as_str(), detail.state_text.as_str()),
        (tracking_number.as_str(), "已上报，等待街道受理")
    );
    assert!(detail.photos.is_empty() && detail.after_photos.is_empty(), "the public view has no photos");
    reports.send(MyReportsIntent::CloseDetail);

    // The office registers it: the next sync refreshes the followed report and tells once.
    let street = cells[1].code.to_string()[..9].parse().unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street });
    let first_case = first.app.my_reports_screen().state().rows[0].id.clone();
    server.step(&dispatcher, &first_case, &json!({ "action": "register" }));
    assert!(second.app.background_sync());
    let notes = second.platform.notifications.lock().unwrap().clone();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!((notes[0].case_id.as_str(), notes[0].body.as_str()), (tracking_number.as_str(), "已立案"));
    assert!(notes[0].title.contains(&tracking_number));
    assert_eq!(reports.state().rows[0].state_text, "关注中：已立案");
    assert!(second.app.background_sync());
    assert_eq!(second.platform.notifications.lock().unwrap().len(), 1, "a state is told once");
    let outbox = second.app.outbox_screen();
    let drafts = outbox.state().drafts;
    assert_eq!(drafts.len(), 1);
    assert_eq!(device_support::case_count(&server), 1, "following sends nothing");

    // The kept draft resumed: asked again, then "send anyway" sends it.
    let resumed = second.app.new_report_screen(Some(drafts[0].id.clone()));
    resumed.send(NewReportIntent::Send);
    assert_eq!(resumed.state().nearby.len(), 1);
    resumed.send(NewReportIntent::SendAnyway);
    let sent = resumed.state();
    assert_eq!(sent.message.as_deref(), Some("已发送"));
    assert!(sent.nearby.is_empty() && sent.draft_id.is_none());
    assert_eq!(device_support::case_count(&server), 2);
    assert!(outbox.state().drafts.is_empty() && outbox.state().items.is_empty());

    // Both reports nearby now; following one and discarding the draft leaves no draft, and
    // the same report is followed once.
    let report = bin_report(&second, lat, lon);
    report.send(NewReportIntent::Send);
    let both = report.state().nearby;
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both.iter().any(|r| r.tracking_number == tracking_number));
    report
        .send(NewReportIntent::FollowNearby { tracking_number: tracking_number.clone(), keep_draft: false });
    assert!(outbox.state().drafts.is_empty());
    let followed_rows: Vec<_> = reports.state().rows.into_iter().filter(|r| r.followed).collect();
    assert_eq!(followed_rows.len(), 1);
    assert_eq!(device_support::case_count(&server), 2);

    // Offline the step is skipped: the report is queued as before.
    let report = bin_report(&second, lat, lon);
    second.net.set_offline(true);
    report.send(NewReportIntent::Send);
    let queued = report.state();
    assert_eq!(queued.message.as_deref(), Some("已保存，联网后自动发送"));
    assert!(queued.nearby.is_empty());
    assert_eq!(outbox.state().items.len(), 1);
    second.net.set_offline(false);
    assert!(second.app.background_sync());
    assert_eq!(device_support::case_count(&server), 3);

    // Unfollowed, it leaves the list; the own reports stay.
    reports.send(MyReportsIntent::Unfollow { tracking_number: tracking_number.clone() });
    let rows = reports.state().rows;
    assert!(rows.iter().all(|r| !r.followed) && rows.len() == 2, "{rows:?}");
    assert_eq!(reports.state().message.as_deref(), Some("已取消关注"));

    // In English.
    second.app.send(AppIntent::SetLanguage { language: Language::En });
    let report = bin_report(&second, lat, lon);
    report.send(NewReportIntent::Send);
    let english = report.state();
    assert_eq!(english.nearby.len(), 3, "{:?}", english.nearby);
    assert!(
        english
            .nearby
            .iter()
            .all(|r| r.distance_text.starts_with("within ") && r.distance_text.ends_with(" m"))
    );
    assert_eq!(english.send_anyway_label, "Send anyway");
}

both_backends!(
    a_citizen_reports_offline_and_follows_the_case_to_its_rating,
    anonymous_accounts_waits_and_refused_reports,
    a_second_citizen_sees_the_report_nearby_and_follows_it_or_sends_anyway
);
