//! Sensor alarms over real HTTP on both backends: the device registry (CSV and GeoJSON imports,
//! one key per sending system that reaches nothing but its own devices' alarms), the intake
//! (single alarms, batches, replays by the sender's id) and every rule with hand-computed
//! outcomes: de-duplication, confirmation by duration, by a second device and by a person,
//! grouping within a window, all-clear, flapping, the severity's time limit and urgency, and a storm of
//! 100,000 alarms that becomes exactly the cases the rules give with no alarm lost.
//!
//! The server's clock is set by each test, so every duration and window is exact; the sweep
//! job is slowed down (`GRIDLINE_SENSOR_SWEEP_SECS`) except where it is what is tested.

use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};
use gridline_core::grid::GridCell;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, demo_cells, point_in, problem};

/// A server with a grid, one sending system and its key.
struct City {
    server: TestServer,
    admin: String,
    cells: Vec<GridCell>,
    system: String,
    key: String,
    start: DateTime<Utc>,
}

fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T02:00:00Z").unwrap().with_timezone(&Utc)
}

impl City {
    fn new(backend: Backend) -> Self {
        Self::with(backend, &[("GRIDLINE_SENSOR_SWEEP_SECS", "3600")])
    }

    fn with(backend: Backend, settings: &[(&str, &str)]) -> Self {
        let server = TestServer::start_with(backend, settings);
        let start = start_time();
        server.clock.set(start);
        let admin = server.admin_token();
        let cells = demo_cells(8);
        server.import_grid(&admin, "310104", &cells);
        let (system, key) = create_system(&server, &admin, "City sensors");
        Self { server, admin, cells, system, key, start }
    }

    /// Moves the server's clock to `secs` seconds after the test's start.
    fn at(&self, secs: i64) {
        self.server.clock.set(self.start + Duration::seconds(secs));
    }

    /// Imports devices `(id, kind, cell index)` for `system` as CSV; the answer.
    fn import(&self, system: &str, devices: &[(&str, &str, usize)]) -> Value {
        let mut csv = "id,kind,lat,lon,owning_unit\n".to_owned();
        for (id, kind, cell) in devices {
            let (lat, lon) = point_in(&self.cells[*cell]);
            csv.push_str(&format!("{id},{kind},{lat},{lon},water\n"));
        }
        let response = self.import_raw(system, "text/csv", csv);
        assert_eq!(response.status(), 200, "device import");
        response.json().unwrap()
    }

    fn import_raw(&self, system: &str, content_type: &str, body: String) -> reqwest::blocking::Response {
        self.server
            .client
            .post(self.server.url(&format!("/api/v1/admin/sensor-systems/{system}/devices")))
            .bearer_auth(&self.admin)
            .header("content-type", content_type)
            .body(body)
            .send()
            .unwrap()
    }

    fn post_alarms(&self, key: &str, body: &Value) -> reqwest::blocking::Response {
        self.server
            .client
            .post(self.server.url("/api/v1/sensors/alarms"))
            .bearer_auth(key)
            .json(body)
            .send()
            .unwrap()
    }

    /// Sends alarms as this city's system; the 200 answer.
    fn send(&self, alarms: Vec<Value>) -> Value {
        let response = self.post_alarms(&self.key, &json!({ "alarms": alarms }));
        assert_eq!(response.status(), 200, "alarm batch");
        response.json().unwrap()
    }

    fn overview(&self) -> Value {
        let response = self.server.get_as(&self.admin, "/api/v1/sensors/overview");
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    }

    fn review(&self) -> Vec<Value> {
        let response = self.server.get_as(&self.admin, "/api/v1/sensors/review");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().unwrap();
        body["alarms"].as_array().unwrap().clone()
    }

    fn case(&self, id: &str) -> Value {
        let response = self.server.get_as(&self.admin, &format!("/api/v1/cases/{id}"));
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    }

    /// One number from the server's database.
    fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = self.server.db.get().unwrap();
        diesel::sql_query(sql).get_result::<Count>(&mut *conn).unwrap().n
    }

    fn cases(&self) -> i64 {
        self.count("SELECT COUNT(*) AS n FROM cases")
    }
}

fn create_system(server: &TestServer, admin: &str, name: &str) -> (String, String) {
    let response = server
        .client
        .post(server.url("/api/v1/admin/sensor-systems"))
        .bearer_auth(admin)
        .json(&json!({ "name": name }))
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().unwrap();
    let key = body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("glsen_"));
    (body["sensor_system"]["id"].as_str().unwrap().to_owned(), key)
}

/// An alarm message (FIWARE `Alert` field names).
fn alarm(id: &str, device: &str, kind: &str, severity: &str) -> Value {
    json!({
        "id": id,
        "alertSource": device,
        "category": kind,
        "severity": severity,
        "dateIssued": "2026-12-03T02:00:00Z",
        "value": 17.5,
        "unit": "deg",
        "mediaUrl": "https://cams.example.org/clip/1.mp4",
    })
}

fn clear(id: &str, device: &str, kind: &str) -> Value {
    let mut m = alarm(id, device, kind, "low");
    m["status"] = json!("cleared");
    m
}

fn outcomes(answer: &Value) -> Vec<String> {
    answer["results"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap().to_owned()).collect()
}

fn groups(city: &City) -> Vec<Value> {
    city.overview()["groups"].as_array().unwrap().clone()
}

fn registry_and_key_scope(backend: Backend) {
    let city = City::new(backend);
    let imported = city.import(&city.system, &[("m1", "manhole_cover", 0), ("m2", "manhole_cover", 1)]);
    assert_eq!(imported, json!({ "created": 2, "updated": 0 }));
    // GeoJSON, and a device imported again is updated, not doubled.
    let (lat, lon) = point_in(&city.cells[2]);
    let geojson = json!({ "type": "FeatureCollection", "features": [
        { "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] },
          "properties": { "id": "m2", "kind": "manhole_cover", "owning_unit": "water" } },
        { "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] },
          "properties": { "id": "s1", "kind": "smoke", "owning_unit": "street" } } ] });
    let response = city.import_raw(&city.system, "application/geo+json", geojson.to_string());
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().unwrap(), json!({ "created": 1, "updated": 1 }));
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_devices"), 3);
    assert_eq!(
        city.count(&format!(
            "SELECT COUNT(*) AS n FROM sensor_devices WHERE id = 'm2' AND grid_code = '{}'",
            city.cells[2].code
        )),
        1
    );

    // A second system: its own devices, its own key.
    let (other, other_key) = create_system(&city.server, &city.admin, "Water utility gauges");
    city.import(&other, &[("w1", "water_level", 0)]);
    // Another system's device id cannot be taken over.
    let (lat, lon) = point_in(&city.cells[0]);
    let takeover = format!("id,kind,lat,lon,owning_unit\nw1,smoke,{lat},{lon},x\n");
    let refused = problem(city.import_raw(&city.system, "text/csv", takeover), 422);
    assert_eq!(refused["problems"][0], "device w1: the id belongs to another system");
    // A device outside every cell is refused, naming it.
    let refused = problem(
        city.import_raw(
            &city.system,
            "text/csv",
            "id,kind,lat,lon,owning_unit\nfar,smoke,10.0,10.0,water\n".into(),
        ),
        422,
    );
    assert_eq!(refused["problems"][0], "device far: the position is outside every grid cell");
    // A device's owning unit is an active handling unit, which its faults can be dispatched to.
    let (lat, lon) = point_in(&city.cells[1]);
    let orphan = format!("id,kind,lat,lon,owning_unit\nm9,manhole_cover,{lat},{lon},no_such_unit\n");
    let refused = problem(city.import_raw(&city.system, "text/csv", orphan), 422);
    assert_eq!(
        refused["problems"][0],
        "device m9: owning_unit \"no_such_unit\" is not an active handling unit (GET /api/v1/units lists them)"
    );
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_devices WHERE id = 'm9'"), 0);
    let refused = problem(city.import_raw(&city.system, "text/plain", "x".into()), 415);
    assert_eq!(refused["code"], "unsupported_media_type");

    // The key files alarms for its own devices only.
    let refused = problem(city.post_alarms(&city.key, &alarm("a1", "w1", "water_level", "high")), 403);
    assert_eq!(refused["code"], "device_out_of_scope");
    assert_eq!(refused["field"], "alarms[0].alertSource");
    let ok = city.post_alarms(&other_key, &alarm("a1", "w1", "water_level", "high"));
    assert_eq!(ok.status(), 200);
    // A batch with one foreign device stores nothing of the batch.
    let mixed = json!({ "alarms": [alarm("b1", "m1", "manhole_cover", "high"), alarm("b2", "w1", "water_level", "high")] });
    problem(city.post_alarms(&city.key, &mixed), 403);
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_messages"), 1);
    // A device sends its own kind of alarm only: a manhole cover's smoke alarm is a sender's
    // mistake, refused before it opens a case of the wrong category.
    let refused = problem(city.post_alarms(&city.key, &alarm("k1", "m1", "smoke", "high")), 422);
    assert_eq!(
        (refused["code"].clone(), refused["field"].clone()),
        (json!("invalid_field"), json!("alarms[0].category"))
    );
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_messages"), 1);

    // The key opens no other API: not the case API, not the admin API, not Open311.
    for path in ["/api/v1/cases", "/api/v1/sensors/review", "/api/v1/admin/sensor-systems"] {
        problem(city.server.get_as(&city.key, path), 401);
    }
    let open311 = city
        .server
        .client
        .post(city.server.url("/open311/v2/requests.json"))
        .form(&[
            ("api_key", city.key.as_str()),
            ("service_code", "C0102"),
            ("lat", "31.2"),
            ("long", "121.4"),
        ])
        .send()
        .unwrap();
    assert_eq!(open311.status(), 403);
    // A citizen's token or no key at all cannot post alarms.
    let citizen = city.server.citizen_token();
    problem(city.post_alarms(&citizen, &alarm("c1", "m1", "manhole_cover", "high")), 401);
    let anonymous =
        city.server.post_json("/api/v1/sensors/alarms", &alarm("c1", "m1", "manhole_cover", "high"));
    problem(anonymous, 401);
    // A revoked key is refused.
    let revoked = city
        .server
        .client
        .delete(city.server.url(&format!("/api/v1/admin/sensor-systems/{other}")))
        .bearer_auth(&city.admin)
        .send()
        .unwrap();
    assert_eq!(revoked.status(), 200);
    problem(city.post_alarms(&other_key, &alarm("a2", "w1", "water_level", "high")), 401);
    // Only an admin manages systems and devices.
    let dispatcher =
        city.server.staff_token(Role::Dispatcher, Scope::Street { street: "310104001".parse().unwrap() });
    problem(city.server.get_as(&dispatcher, "/api/v1/admin/sensor-systems"), 403);
}

fn bad_alarms_get_clear_errors(backend: Backend) {
    let city = City::new(backend);
    city.import(&city.system, &[("m1", "manhole_cover", 0)]);
    let send = |body: Value| city.post_alarms(&city.key, &body);
    let raw = city
        .server
        .client
        .post(city.server.url("/api/v1/sensors/alarms"))
        .bearer_auth(&city.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(problem(raw, 400)["code"], "malformed_json");
    let mut unknown_field = alarm("a1", "m1", "manhole_cover", "high");
    unknown_field["colour"] = json!("red");
    assert_eq!(problem(send(unknown_field), 422)["field"], "alarms[0]");
    let mut bad_severity = alarm("a1", "m1", "manhole_cover", "high");
    bad_severity["severity"] = json!("apocalyptic");
    assert_eq!(
        problem(send(json!({ "alarms": [alarm("a0", "m1", "manhole_cover", "low"), bad_severity] })), 422)["field"],
        "alarms[1]"
    );
    let mut bad_time = alarm("a1", "m1", "manhole_cover", "high");
    bad_time["dateIssued"] = json!("yesterday");
    assert_eq!(problem(send(bad_time), 422)["field"], "alarms[0].dateIssued");
    let mut plain_link = alarm("a1", "m1", "manhole_cover", "high");
    plain_link["mediaUrl"] = json!("http://cams.example.org/1.jpg");
    assert_eq!(problem(send(plain_link), 422)["field"], "alarms[0].mediaUrl");
    assert_eq!(problem(send(alarm("a1", "m1", "Manhole", "high")), 422)["field"], "alarms[0].category");
    assert_eq!(problem(send(alarm("a1", "m1", "volcano", "high")), 422)["field"], "alarms[0].category");
    assert_eq!(problem(send(json!({ "alarms": [] })), 422)["field"], "alarms");
    let too_many: Vec<Value> =
        (0..1001).map(|i| alarm(&format!("x{i}"), "m1", "manhole_cover", "low")).collect();
    assert_eq!(problem(send(json!({ "alarms": too_many })), 422)["field"], "alarms");
    assert_eq!(problem(send(json!([1, 2])), 422)["field"], "body");
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_messages"), 0);
}

fn repeats_are_counted_and_replays_once(backend: Backend) {
    let city = City::new(backend);
    city.import(&city.system, &[("m1", "manhole_cover", 0)]);
    let first = city.send(vec![alarm("a1", "m1", "manhole_cover", "high")]);
    assert_eq!(outcomes(&first), ["raised"]);
    assert_eq!(first["accepted"], 1);
    city.at(10);
    let answer = city.send(vec![
        alarm("a2", "m1", "manhole_cover", "high"),
        alarm("a3", "m1", "manhole_cover", "critical"),
    ]);
    assert_eq!(outcomes(&answer), ["repeated", "repeated"]);
    assert_eq!(answer["results"][0]["alarm_id"], first["results"][0]["alarm_id"]);
    // The same ids again (also twice within one batch) are counted once.
    let replay = city.send(vec![
        alarm("a1", "m1", "manhole_cover", "high"),
        alarm("a4", "m1", "manhole_cover", "high"),
        alarm("a4", "m1", "manhole_cover", "high"),
    ]);
    assert_eq!(outcomes(&replay), ["replayed", "repeated", "replayed"]);
    assert_eq!((replay["accepted"].as_i64(), replay["replayed"].as_i64()), (Some(1), Some(2)));
    // The same id with another body is refused.
    let reused = problem(city.post_alarms(&city.key, &alarm("a1", "m1", "manhole_cover", "low")), 409);
    assert_eq!(
        (reused["code"].as_str(), reused["field"].as_str()),
        (Some("alarm_id_reused"), Some("alarms[0].id"))
    );

    let queue = city.review();
    assert_eq!(queue.len(), 1);
    let item = &queue[0];
    // One episode: 4 messages (a1, a2, a3, a4), the first occurrence kept, severity raised.
    assert_eq!(item["alarm"]["repeat_count"], 4);
    assert_eq!(item["alarm"]["first_at"].as_i64().unwrap(), city.start.timestamp());
    assert_eq!(item["alarm"]["last_at"].as_i64().unwrap(), city.start.timestamp() + 10);
    assert_eq!(item["alarm"]["severity"], "critical");
    assert_eq!(item["alarm"]["state"], "pending");
    assert_eq!(item["alarm"]["media_url"], "https://cams.example.org/clip/1.mp4");
    assert_eq!(item["device"]["id"], "m1");
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_messages"), 4);
    assert_eq!(city.cases(), 0);
}

fn confirmation_by_duration(backend: Backend) {
    let city = City::new(backend);
    city.import(&city.system, &[("m1", "manhole_cover", 0), ("m2", "manhole_cover", 0)]);
    city.send(vec![alarm("a1", "m1", "manhole_cover", "high"), alarm("b1", "m2", "manhole_cover", "medium")]);
    // m2 is cleared at 20 s: it never lasted the 30 s a manhole cover needs.
    city.at(20);
    assert_eq!(outcomes(&city.send(vec![clear("b2", "m2", "manhole_cover")])), ["cleared"]);
    city.at(29);
    city.send(vec![alarm("a2", "m1", "manhole_cover", "high")]);
    assert_eq!(city.cases(), 0, "29 s is not 30 s");
    city.at(30);
    city.send(vec![alarm("a3", "m1", "manhole_cover", "high")]);
    assert_eq!(city.cases(), 1);
    assert!(city.review().is_empty());
    let groups = groups(&city);
    assert_eq!(groups.len(), 1);
    let case = city.case(groups[0]["case_id"].as_str().unwrap());
    assert_eq!(case["category"], "C0102");
    assert_eq!(case["answers"], json!({ "cover_state": "displaced" }));
    assert_eq!(case["state"], "reported");
    // Severity high caps the category's 4 working hours at 2.
    assert_eq!(case["handling_time_limit"], "2h");
    assert_eq!(case["placement"]["grid"], city.cells[0].code.to_string());
    // Further repeats of the confirmed alarm open nothing new.
    city.at(40);
    city.send(vec![alarm("a4", "m1", "manhole_cover", "high")]);
    assert_eq!(city.cases(), 1);
}

/// The case's urgency is the group's highest severity through core's mapping: a critical alarm
/// files a very urgent case, a high one an urgent case, a medium one a normal case; staff filter
/// the list by it.
fn severity_sets_the_case_urgency(backend: Backend) {
    let city = City::new(backend);
    // A lone elder's still meter is confirmed at once, each alarm its own case (no window).
    let meter = "lone_elder_water_meter";
    city.import(&city.system, &[("e1", meter, 0), ("e2", meter, 1), ("e3", meter, 2)]);
    city.send(vec![alarm("a1", "e1", meter, "critical")]);
    city.send(vec![alarm("b1", "e2", meter, "medium")]);
    city.send(vec![alarm("c1", "e3", meter, "high")]);
    assert_eq!(city.cases(), 3);
    let case_of = |severity: &str| {
        let all = groups(&city);
        let group = all.iter().find(|g| g["severity"] == severity).unwrap_or_else(|| panic!("{all:?}"));
        city.case(group["case_id"].as_str().unwrap())
    };
    let (critical, medium, high) = (case_of("critical"), case_of("medium"), case_of("high"));
    assert_eq!(critical["urgency"], "very_urgent", "{critical}");
    assert_eq!(medium["urgency"], "normal", "{medium}");
    assert_eq!(high["urgency"], "urgent", "{high}");
    // The time limit and the urgency come from the same severity.
    assert_eq!(
        (critical["handling_time_limit"].as_str(), high["handling_time_limit"].as_str()),
        (Some("1h"), Some("2h"))
    );
    let listed = |query: &str| -> Vec<String> {
        let page: Value = city.server.get_as(&city.admin, &format!("/api/v1/cases?{query}")).json().unwrap();
        page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(listed("channel=sensor&urgency=very_urgent"), [critical["id"].as_str().unwrap()]);
    assert_eq!(listed("urgency=normal"), [medium["id"].as_str().unwrap()]);
}

fn the_sweep_confirms_a_silent_device(backend: Backend) {
    let city = City::with(backend, &[("GRIDLINE_SENSOR_SWEEP_SECS", "1")]);
    city.import(&city.system, &[("m1", "manhole_cover", 0)]);
    city.send(vec![alarm("a1", "m1", "manhole_cover", "critical")]);
    city.at(31);
    // Waits for the group to name its case: the case row can be counted a moment before the
    // sweep's group row says which case it opened.
    let mut waited = 0;
    let case_id = loop {
        let named = groups(&city).first().and_then(|g| g["case_id"].as_str().map(str::to_owned));
        if let Some(id) = named {
            break id;
        }
        assert!(waited < 100, "the sweep did not confirm the alarm within 10 s");
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    };
    assert_eq!(city.cases(), 1);
    let case = city.case(&case_id);
    assert_eq!(case["handling_time_limit"], "1h");
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_alarms WHERE confirmed_by = 'duration'"), 1);
}

fn confirmation_by_a_second_device(backend: Backend) {
    let city = City::new(backend);
    city.import(
        &city.system,
        &[("w1", "water_level", 0), ("w2", "water_level", 0), ("w3", "water_level", 1)],
    );
    assert_eq!(outcomes(&city.send(vec![alarm("a1", "w1", "water_level", "medium")])), ["raised"]);
    assert_eq!(city.cases(), 0);
    city.at(5);
    // Another cell's gauge does not agree with w1.
    city.send(vec![alarm("c1", "w3", "water_level", "medium")]);
    assert_eq!(city.cases(), 0);
    city.send(vec![alarm("b1", "w2", "water_level", "medium")]);
    assert_eq!(city.cases(), 1);
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_alarms WHERE confirmed_by = 'second_device'"), 2);
    let groups = groups(&city);
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0]["episode_count"].as_i64(), groups[0]["active_count"].as_i64()), (Some(2), Some(2)));
    let case = city.case(groups[0]["case_id"].as_str().unwrap());
    assert_eq!(case["category"], "E0504");
    assert_eq!(case["handling_time_limit"], "2h");
    let queue = city.review();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["device"]["id"], "w3");
}

fn confirmation_by_a_person(backend: Backend) {
    let city = City::new(backend);
    city.import(&city.system, &[("p1", "illegal_parking_camera", 0)]);
    let raised = city.send(vec![alarm("a1", "p1", "illegal_parking_camera", "low")]);
    let id = raised["results"][0]["alarm_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/sensors/alarms/{id}/confirm");
    let confirm =
        |token: &str| city.server.client.post(city.server.url(&path)).bearer_auth(token).send().unwrap();
    // A dispatcher of another street does not see it; a citizen may not confirm.
    let street = city.cells[0].code.to_string()[..9].to_owned();
    let elsewhere = format!("{}{:03}", &street[..6], street[6..].parse::<u32>().unwrap() + 1);
    let other =
        city.server.staff_token(Role::Dispatcher, Scope::Street { street: elsewhere.parse().unwrap() });
    assert!(
        city.server.get_as(&other, "/api/v1/sensors/review").json::<Value>().unwrap()["alarms"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    problem(confirm(&other), 404);
    problem(confirm(&city.server.citizen_token()), 403);
    assert_eq!(city.cases(), 0);
    let dispatcher =
        city.server.staff_token(Role::Dispatcher, Scope::Street { street: street.parse().unwrap() });
    assert_eq!(
        city.server.get_as(&dispatcher, "/api/v1/sensors/review").json::<Value>().unwrap()["alarms"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let response = confirm(&dispatcher);
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(
        (body["alarm"]["state"].as_str(), body["alarm"]["confirmed_by"].as_str()),
        (Some("confirmed"), Some("person"))
    );
    assert_eq!(city.cases(), 1);
    let case = city.case(groups(&city)[0]["case_id"].as_str().unwrap());
    assert_eq!(
        (case["category"].as_str(), case["handling_time_limit"].as_str()),
        (Some("E0404"), Some("2h"))
    );
    assert_eq!(problem(confirm(&dispatcher), 409)["code"], "alarm_not_pending");
    // The other street's overview holds nothing of it; the street's own holds its group.
    let theirs: Value = city.server.get_as(&other, "/api/v1/sensors/overview").json().unwrap();
    assert_eq!(
        (theirs["cells"].clone(), theirs["groups"].clone(), theirs["faulty_devices"].clone()),
        (json!([]), json!([]), json!([]))
    );
    // The kinds' categories are the city's rules, the same for every reader.
    assert!(
        theirs["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == &json!({ "kind": "illegal_parking_camera", "category": "E0404" }))
    );
    let ours: Value = city.server.get_as(&dispatcher, "/api/v1/sensors/overview").json().unwrap();
    assert_eq!(ours["groups"].as_array().unwrap().len(), 1);
    let handler = city.server.staff_token(Role::Handler, Scope::Unit { unit: "traffic".into() });
    problem(city.server.get_as(&handler, "/api/v1/sensors/overview"), 403);
    problem(
        city.server
            .client
            .post(city.server.url("/api/v1/sensors/alarms/nope/confirm"))
            .bearer_auth(&city.admin)
            .send()
            .unwrap(),
        404,
    );
}

fn grouping_within_a_window(backend: Backend) {
    let city = City::new(backend);
    let devices: Vec<(String, &str, usize)> =
        (1..=6).map(|i| (format!("s{i}"), "smoke", 0)).chain([("t1".to_owned(), "smoke", 1)]).collect();
    let list: Vec<(&str, &str, usize)> = devices.iter().map(|(id, k, c)| (id.as_str(), *k, *c)).collect();
    city.import(&city.system, &list);
    // s1 and s2 agree: one group, one case (smoke groups for 1,800 s).
    city.send(vec![alarm("a1", "s1", "smoke", "medium"), alarm("a2", "s2", "smoke", "medium")]);
    assert_eq!(city.cases(), 1);
    let case_id = groups(&city)[0]["case_id"].as_str().unwrap().to_owned();
    let case: Value = city.server.get_as(&city.admin, &format!("/api/v1/cases/{case_id}")).json().unwrap();
    assert_eq!(case["category"], "E0507", "smoke files as fire or smoke, the fire station's category");
    // s3 at 1,000 s joins the alarming group at once: still one case, now carrying three.
    city.at(1_000);
    assert_eq!(outcomes(&city.send(vec![alarm("a3", "s3", "smoke", "high")])), ["raised"]);
    assert_eq!(city.cases(), 1);
    // Another cell's detector alone waits, and clears before its minute is up.
    city.send(vec![alarm("b1", "t1", "smoke", "high")]);
    assert_eq!(city.cases(), 1);
    city.send(vec![clear("b2", "t1", "smoke")]);
    let all = groups(&city);
    assert_eq!(all.len(), 1);
    assert_eq!((all[0]["episode_count"].as_i64(), all[0]["severity"].as_str()), (Some(3), Some("high")));
    // After the window (1,800 s from the group's first alarm) a new pair makes a second case.
    city.at(1_801);
    city.send(vec![alarm("a4", "s4", "smoke", "medium")]);
    assert_eq!(city.cases(), 1);
    city.send(vec![alarm("a5", "s5", "smoke", "medium")]);
    assert_eq!(city.cases(), 2);
    let all = groups(&city);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["episode_count"], 2);
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_alarms WHERE state = 'confirmed'"), 5);
}

fn all_clear_marks_the_case_cleared_by_sensor(backend: Backend) {
    let city = City::new(backend);
    city.import(&city.system, &[("w1", "water_level", 0), ("w2", "water_level", 0)]);
    city.send(vec![alarm("a1", "w1", "water_level", "medium"), alarm("a2", "w2", "water_level", "medium")]);
    let case_id = groups(&city)[0]["case_id"].as_str().unwrap().to_owned();
    let timeline = |city: &City| -> Vec<String> {
        let body: Value =
            city.server.get_as(&city.admin, &format!("/api/v1/cases/{case_id}/timeline")).json().unwrap();
        let events = body["events"].as_array().or_else(|| body.as_array()).unwrap().clone();
        events.iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
    };
    city.at(60);
    city.send(vec![clear("c1", "w1", "water_level")]);
    assert_eq!(groups(&city)[0]["active_count"], 1);
    assert_eq!(timeline(&city), ["reported"]);
    city.at(90);
    assert_eq!(
        outcomes(&city.send(vec![clear("c2", "w2", "water_level"), clear("c3", "w2", "water_level")])),
        ["cleared", "nothing_active"]
    );
    let group = &groups(&city)[0];
    assert_eq!(group["cleared_at"].as_i64().unwrap(), city.start.timestamp() + 90);
    assert_eq!(timeline(&city), ["reported", "cleared_by_sensor"]);
    // Still waiting for a person: the state is unchanged.
    assert_eq!(city.case(&case_id)["state"], "reported");
    assert!(city.overview()["cells"].as_array().unwrap().is_empty());
}

/// A parked car that drove off leaves nothing to do: the kind's rule (`closes_on_all_clear`)
/// closes its case without a visit, by the `system`'s `sensor_close` step.
fn all_clear_closes_the_case_when_the_rule_says_so(backend: Backend) {
    let city = City::new(backend);
    city.import(&city.system, &[("p1", "illegal_parking_camera", 0)]);
    let raised = city.send(vec![alarm("a1", "p1", "illegal_parking_camera", "low")]);
    let id = raised["results"][0]["alarm_id"].as_str().unwrap().to_owned();
    let confirmed = city
        .server
        .client
        .post(city.server.url(&format!("/api/v1/sensors/alarms/{id}/confirm")))
        .bearer_auth(&city.admin)
        .send()
        .unwrap();
    assert!(confirmed.status().is_success(), "{}", confirmed.status());
    let case_id = groups(&city)[0]["case_id"].as_str().unwrap().to_owned();
    assert_eq!(city.case(&case_id)["state"], "reported");
    city.at(60);
    assert_eq!(outcomes(&city.send(vec![clear("c1", "p1", "illegal_parking_camera")])), ["cleared"]);
    let case = city.case(&case_id);
    assert_eq!(case["state"], "closed");
    let body: Value =
        city.server.get_as(&city.admin, &format!("/api/v1/cases/{case_id}/timeline")).json().unwrap();
    let kinds: Vec<&str> =
        body["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reported", "cleared_by_sensor", "sensor_close"]);
}

fn flapping_flags_the_device_faulty(backend: Backend) {
    let city = City::new(backend);
    city.import(&city.system, &[("m1", "manhole_cover", 3)]);
    // Manhole covers allow 4 alternations an hour: the 5th (at 40 minutes) flags the device.
    for i in 0..5 {
        city.at(i * 600);
        city.send(vec![alarm(&format!("a{i}"), "m1", "manhole_cover", "high")]);
        city.at(i * 600 + 10);
        city.send(vec![clear(&format!("c{i}"), "m1", "manhole_cover")]);
        let faulty = city.overview()["faulty_devices"].as_array().unwrap().len();
        assert_eq!(faulty, usize::from(i == 4), "after {} alternations", i + 1);
    }
    // One maintenance case for its owner, no alarm case.
    assert_eq!(city.cases(), 1);
    let group = &groups(&city)[0];
    assert_eq!(group["purpose"], "maintenance");
    let case = city.case(group["case_id"].as_str().unwrap());
    assert_eq!(case["category"], "E0601");
    assert!(case["description"].as_str().unwrap().contains("Owning unit: water"));
    // Its alarms are kept, but open no case however long they last.
    city.at(3_000);
    let kept = city.send(vec![alarm("late", "m1", "manhole_cover", "critical")]);
    assert_eq!(outcomes(&kept), ["raised"]);
    city.at(4_000);
    city.send(vec![alarm("later", "m1", "manhole_cover", "critical")]);
    assert_eq!(city.cases(), 1);
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_alarms WHERE state = 'suppressed'"), 1);
    assert!(city.review().is_empty());

    // The owning unit repairs it: no longer listed faulty, and its next episode is handled like a
    // healthy device's (not suppressed). A second "repaired" changes nothing.
    let repaired = |token: &str| {
        city.server
            .client
            .post(city.server.url("/api/v1/sensors/devices/m1/repaired"))
            .bearer_auth(token)
            .send()
            .unwrap()
    };
    problem(repaired(&city.server.citizen_token()), 403);
    let device: Value = repaired(&city.admin).json().unwrap();
    assert_eq!((device["id"].clone(), device["faulty"].clone()), (json!("m1"), json!(false)));
    assert!(city.overview()["faulty_devices"].as_array().unwrap().is_empty());
    assert_eq!(problem(repaired(&city.admin), 409)["code"], "device_not_faulty");
    city.at(5_000);
    city.send(vec![clear("c-late", "m1", "manhole_cover")]);
    let episodes = city.count("SELECT COUNT(*) AS n FROM sensor_alarms");
    city.at(9_000);
    city.send(vec![alarm("after-repair", "m1", "manhole_cover", "high")]);
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_alarms"), episodes + 1, "a new episode");
    assert_eq!(
        city.count("SELECT COUNT(*) AS n FROM sensor_alarms WHERE state = 'suppressed'"),
        1,
        "the new episode is not suppressed"
    );
}

fn the_city_edits_a_rule(backend: Backend) {
    let city = City::new(backend);
    city.import(&city.system, &[("w1", "water_level", 0)]);
    let rules: Value = city.server.get_as(&city.admin, "/api/v1/admin/sensor-rules").json().unwrap();
    let kinds: Vec<&str> =
        rules["rules"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "illegal_parking_camera",
            "lone_elder_water_meter",
            "manhole_cover",
            "overflowing_bin",
            "smoke",
            "water_level"
        ]
    );
    let put = |body: Value| {
        city.server
            .client
            .put(city.server.url("/api/v1/admin/sensor-rules/water_level"))
            .bearer_auth(&city.admin)
            .json(&body)
            .send()
            .unwrap()
    };
    let rule = json!({ "kind": "water_level", "category": "C0503", "min_duration_s": 0,
        "second_device_confirms": false, "group_window_s": 600, "flap_limit_per_hour": 4 });
    let mut bad = rule.clone();
    bad["category"] = json!("C9999");
    assert_eq!(problem(put(bad), 422)["field"], "category");
    let mut bad = rule.clone();
    bad["answers"] = json!({ "nonsense": "x" });
    assert_eq!(problem(put(bad), 422)["field"], "answers.nonsense");
    // The category is stored and answered in its canonical form, however it was written.
    let mut loose = rule.clone();
    loose["category"] = json!(" c-0503 ");
    let answered: Value = put(loose).json().unwrap();
    assert_eq!(answered["category"], "C0503");
    let rules: Value = city.server.get_as(&city.admin, "/api/v1/admin/sensor-rules").json().unwrap();
    let stored = rules["rules"].as_array().unwrap().iter().find(|r| r["kind"] == "water_level").unwrap();
    assert_eq!(stored["category"], "C0503");
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_rules WHERE category_code = 'C0503'"), 1);
    assert_eq!(put(rule).status(), 200);
    // At once now, and in the city's chosen category.
    city.send(vec![alarm("a1", "w1", "water_level", "medium")]);
    assert_eq!(city.cases(), 1);
    assert_eq!(city.case(groups(&city)[0]["case_id"].as_str().unwrap())["category"], "C0503");
}

/// 100,000 alarms from 10,000 gauges in the four cells of one street: each gauge raises once
/// and repeats nine times, in batches of 1,000. The rules give one case per cell (the second
/// gauge of a cell confirms, the rest join the cell's group within its hour), so 4 cases; every
/// message is stored, and the repeats are counted on 10,000 episodes.
fn a_storm_becomes_one_case_per_cell(backend: Backend) {
    let city = City::new(backend);
    const DEVICES: usize = 10_000;
    const REPEATS: usize = 10;
    let mut csv = "id,kind,lat,lon,owning_unit\n".to_owned();
    for d in 0..DEVICES {
        let (lat, lon) = point_in(&city.cells[d % 4]);
        csv.push_str(&format!("g{d},water_level,{lat},{lon},water\n"));
    }
    let response = city.import_raw(&city.system, "text/csv", csv);
    assert_eq!(response.status(), 200);
    let mut messages = Vec::with_capacity(DEVICES * REPEATS);
    for d in 0..DEVICES {
        for r in 0..REPEATS {
            messages.push(alarm(&format!("g{d}-{r}"), &format!("g{d}"), "water_level", "high"));
        }
    }
    let mut accepted = 0;
    for (i, batch) in messages.chunks(1_000).enumerate() {
        city.at(i as i64);
        accepted += city.send(batch.to_vec())["accepted"].as_i64().unwrap();
    }
    assert_eq!(accepted, 100_000);
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_messages"), 100_000);
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_alarms"), 10_000);
    assert_eq!(city.count("SELECT COALESCE(SUM(repeat_count), 0) AS n FROM sensor_alarms"), 100_000);
    assert_eq!(city.cases(), 4);
    let groups = groups(&city);
    assert_eq!(groups.len(), 4);
    for group in &groups {
        assert_eq!(group["episode_count"], 2_500);
        assert!(group["case_id"].is_string());
    }
    let cells = city.overview()["cells"].as_array().unwrap().clone();
    assert_eq!(cells.len(), 4);
    assert!(cells.iter().all(|c| c["active"] == 2_500));
}

/// Batches the node's alarm writer applies together in one transaction act exactly as if each
/// had been applied alone, in order: the same outcomes, the same refusals (a refused batch
/// stores nothing and the others go on), and the same rows stored.
fn batches_applied_together_act_as_if_alone(backend: Backend) {
    use gridline_server::sensors::engine::{self, Batch, BatchOutcome, Outcome, Refusal};
    use gridline_server::sensors::intake;

    let together = City::new(backend);
    let alone = City::new(backend);
    let mut others = Vec::new();
    for city in [&together, &alone] {
        city.import(&city.system, &[("m1", "manhole_cover", 0), ("m2", "manhole_cover", 0)]);
        let (other, _) = create_system(&city.server, &city.admin, "Other sensors");
        city.import(&other, &[("x1", "manhole_cover", 1)]);
        others.push(other);
    }
    // (sent by this city's system?, the batch)
    let sent: Vec<(bool, Vec<Value>)> = vec![
        (true, vec![alarm("a1", "m1", "manhole_cover", "high")]),
        (true, vec![clear("c1", "m1", "manhole_cover"), alarm("a2", "m2", "manhole_cover", "high")]),
        // a1 again is a replay of the first batch; a3 opens a new episode, m1's was cleared.
        (true, vec![alarm("a1", "m1", "manhole_cover", "high"), alarm("a3", "m1", "manhole_cover", "high")]),
        // a1 with another body: the whole batch is refused, a4 is not stored.
        (true, vec![alarm("a4", "m2", "manhole_cover", "high"), alarm("a1", "m1", "manhole_cover", "low")]),
        // The other system may not send for m1, although this round has read m1 already.
        (false, vec![alarm("b1", "m1", "manhole_cover", "high")]),
        (false, vec![alarm("b2", "x1", "manhole_cover", "high")]),
        (true, vec![alarm("a4", "m2", "manhole_cover", "high"), alarm("a4", "m2", "manhole_cover", "high")]),
    ];
    let checked: Vec<(bool, Vec<_>)> = sent
        .iter()
        .map(|(own, batch)| {
            let messages = batch.iter().map(|m| serde_json::from_value(m.clone()).unwrap()).collect();
            (*own, intake::check(messages).unwrap())
        })
        .collect();
    let system_of =
        |city: &City, i: usize, own: bool| if own { city.system.clone() } else { others[i].clone() };
    let now = together.start.timestamp();

    let systems: Vec<String> = checked.iter().map(|(own, _)| system_of(&together, 0, *own)).collect();
    let batches: Vec<Batch<'_>> =
        checked.iter().zip(&systems).map(|((_, messages), system)| Batch { system, messages }).collect();
    let mut conn = together.server.db.get().unwrap();
    let applied = engine::apply_batches(&mut conn, &batches, now).unwrap();
    drop(conn);
    let mut conn = alone.server.db.get().unwrap();
    let one_by_one: Vec<_> = checked
        .iter()
        .map(|(own, messages)| {
            let system = system_of(&alone, 1, *own);
            engine::apply_batch(&mut conn, &system, messages, now).unwrap().map(|a| a.outcomes)
        })
        .collect();
    drop(conn);

    let kinds = |outcomes: &[BatchOutcome]| -> Vec<Result<Vec<Outcome>, Refusal>> {
        outcomes.iter().map(|o| o.clone().map(|v| v.into_iter().map(|(kind, _)| kind).collect())).collect()
    };
    use Outcome::{Cleared, Raised, Repeated, Replayed};
    let expected = vec![
        Ok(vec![Raised]),
        Ok(vec![Cleared, Raised]),
        Ok(vec![Replayed, Raised]),
        Err(Refusal::IdReused { index: 1 }),
        Err(Refusal::UnknownDevice { index: 0 }),
        Ok(vec![Raised]),
        Ok(vec![Repeated, Replayed]),
    ];
    assert_eq!(kinds(&applied.outcomes), expected);
    assert_eq!(kinds(&one_by_one), expected);
    // The replay names the episode its first copy raised, in the same round.
    let episode = |batch: usize, i: usize| applied.outcomes[batch].as_ref().unwrap()[i].1.clone();
    assert_eq!(episode(2, 0), episode(0, 0));
    assert_ne!(episode(2, 1), episode(0, 0));
    assert_eq!(episode(6, 1), episode(6, 0));

    for sql in [
        "SELECT COUNT(*) AS n FROM sensor_messages",
        "SELECT COUNT(*) AS n FROM sensor_alarms",
        "SELECT COUNT(*) AS n FROM sensor_alarms WHERE cleared_at IS NOT NULL",
        "SELECT COALESCE(SUM(repeat_count), 0) AS n FROM sensor_alarms",
    ] {
        assert_eq!(together.count(sql), alone.count(sql), "{sql}");
    }
    // a1, c1, a2, a3, b2, a4: six messages; episodes m1 (cleared), m2, m1 again, x1.
    assert_eq!(together.count("SELECT COUNT(*) AS n FROM sensor_messages"), 6);
    assert_eq!(together.count("SELECT COUNT(*) AS n FROM sensor_alarms"), 4);
    assert_eq!(together.count("SELECT COALESCE(SUM(repeat_count), 0) AS n FROM sensor_alarms"), 5);
}

/// `gridline sensors import`: the same import from a file, into the running server's database.
fn the_cli_imports_devices(backend: Backend) {
    let city = City::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let run = |file: &std::path::Path, system: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gridline"))
            .args(["sensors", "import", file.to_str().unwrap(), "--system", system])
            .args(["--database-url", &city.server.database_url])
            .env("GRIDLINE_DATA_DIR", dir.path())
            .output()
            .unwrap()
    };
    let (lat, lon) = point_in(&city.cells[1]);
    let good = dir.path().join("bins.csv");
    std::fs::write(&good, format!("id,kind,lat,lon,owning_unit\nb1,overflowing_bin,{lat},{lon},sanitation\nb2,overflowing_bin,{lat},{lon},sanitation\n")).unwrap();
    let out = run(&good, &city.system);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("2 created, 0 updated"), "{stdout}");
    assert_eq!(
        city.count(&format!(
            "SELECT COUNT(*) AS n FROM sensor_devices WHERE grid_code = '{}'",
            city.cells[1].code
        )),
        2
    );
    // The devices are live at once: their alarms are taken.
    assert_eq!(outcomes(&city.send(vec![alarm("a1", "b1", "overflowing_bin", "low")])), ["raised"]);
    // A bad file lists every problem, exits 2 and stores nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,kind,lat,lon,owning_unit\nb3,Bin,31.2,121.4,x\nb4,bin,91,121.4,x\n").unwrap();
    let out = run(&bad, &city.system);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("device 1 (b3): kind must be") && stdout.contains("device 2 (b4): lat/lon"),
        "{stdout}"
    );
    let out = run(&good, "01a22736-9382-732c-9746-7b95420a7b90");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_devices"), 2);
}

/// `gridline simulate --sensors`: a fleet with stuck and flapping devices and a storm from the
/// first second, for 12 seconds over a network that loses 30% of the answers. Every alarm is
/// acknowledged (lost answers are sent again and counted once), every flapping device passes
/// its limit and is flagged faulty, and the storm is one group. The city lowers the flapping
/// limit of both kinds to 2 alternations, so that 3 (6 ticks of the fleet, one a second at
/// best) are enough even when a loaded machine slows the ticks to one in two seconds.
fn a_simulated_fleet(backend: Backend) {
    use gridline_server::cli::sensor_fleet::{FleetArgs, run_fleet};
    let city = City::new(backend);
    let rules: Value = city.server.get_as(&city.admin, "/api/v1/admin/sensor-rules").json().unwrap();
    for mut rule in rules["rules"].as_array().unwrap().iter().cloned() {
        if rule["kind"] == "manhole_cover" || rule["kind"] == "water_level" {
            rule["flap_limit_per_hour"] = json!(2);
            let path = format!("/api/v1/admin/sensor-rules/{}", rule["kind"].as_str().unwrap());
            let response = city
                .server
                .client
                .put(city.server.url(&path))
                .bearer_auth(&city.admin)
                .json(&rule)
                .send()
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }
    let login = format!("fleet{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let password = "correct horse battery staple 42".to_owned();
    let db =
        gridline_server::store::Db::connect(&city.server.database_url, 1, std::time::Duration::from_secs(10))
            .unwrap();
    let staff = gridline_server::auth::users::NewStaff {
        login: login.clone(),
        display_name: "Fleet admin".into(),
        role: Role::Admin,
        scope: Some(Scope::City),
        password: Some(password.clone()),
    };
    gridline_server::auth::users::create_staff(&mut db.get().unwrap(), staff, gridline_server::auth::now())
        .unwrap();
    let args = FleetArgs {
        sensors: 40,
        sensor_kinds: "water_level,manhole_cover".into(),
        fault_rate: 0.2,
        flap_rate: 0.3,
        storm_minute: Some(0.0),
        storm_devices: 30,
        admin_login: Some(login),
        admin_password: Some(password),
    };
    let report = run_fleet(&format!("http://{}", city.server.addr), &city.cells, &args, 0.2, 0.3, 5).unwrap();
    assert!(report.sent > 300, "{report:?}");
    assert_eq!(report.acknowledged, report.sent, "{report:?}");
    assert!(report.resent_batches > 0 && report.replayed > 0, "answers were lost and replayed: {report:?}");
    assert!(report.flapping > 0, "{report:?}");
    assert_eq!(report.flagged_faulty, report.flapping, "{report:?}");
    assert_eq!(report.storm_groups, 1, "{report:?}");
    assert_eq!(city.count("SELECT COUNT(*) AS n FROM sensor_messages") as u64, report.sent);
}

both_backends!(
    a_simulated_fleet,
    the_cli_imports_devices,
    registry_and_key_scope,
    bad_alarms_get_clear_errors,
    repeats_are_counted_and_replays_once,
    confirmation_by_duration,
    severity_sets_the_case_urgency,
    the_sweep_confirms_a_silent_device,
    confirmation_by_a_second_device,
    confirmation_by_a_person,
    grouping_within_a_window,
    all_clear_marks_the_case_cleared_by_sensor,
    all_clear_closes_the_case_when_the_rule_says_so,
    flapping_flags_the_device_faulty,
    the_city_edits_a_rule,
    a_storm_becomes_one_case_per_cell,
    batches_applied_together_act_as_if_alone,
    a_stored_value_that_does_not_parse_fails_the_read,
);

/// A stored alarm state or grid code that core does not accept fails the read as a store error
/// (never a panic, never a row left out), and the rows read again once fixed. (A group's case
/// link is guarded by its foreign key to the cases as well.)
fn a_stored_value_that_does_not_parse_fails_the_read(backend: Backend) {
    use gridline_server::store::StoreError;
    use gridline_server::store::case_list::CaseFilter;
    use gridline_server::store::sensors as store;
    let city = City::new(backend);
    city.import(&city.system, &[("m1", "manhole_cover", 0)]);
    city.send(vec![alarm("a1", "m1", "manhole_cover", "high")]);
    let mut conn = city.server.db.get().unwrap();
    let queue = store::review_queue(&mut conn, &CaseFilter::All, 10).unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].state, gridline_core::sensors::AlarmState::Pending);
    assert_eq!(queue[0].grid_code, city.cells[0].code);
    let exec = |conn: &mut gridline_server::store::DbConnection, sql: &str| {
        diesel::sql_query(sql).execute(conn).unwrap();
    };

    exec(&mut conn, "UPDATE sensor_alarms SET state = 'dismissed'");
    match store::active_alarms_of(&mut conn, &["m1"]).map_err(StoreError::from) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("dismissed"), "names the text: {why}"),
        other => panic!("an unknown alarm state reads as corrupt data, got {other:?}"),
    }
    exec(&mut conn, "UPDATE sensor_alarms SET state = 'pending', grid_code = 'cell-9'");
    assert!(matches!(store::review_queue(&mut conn, &CaseFilter::All, 10), Err(StoreError::Corrupt(_))));
    assert!(matches!(store::active_per_cell(&mut conn), Err(StoreError::Corrupt(_))));
    exec(&mut conn, "UPDATE sensor_devices SET grid_code = 'cell-9'");
    assert!(store::find_devices(&mut conn, &["m1"]).is_err(), "a device in no readable cell");
    let code = city.cells[0].code.to_string();
    exec(&mut conn, &format!("UPDATE sensor_alarms SET grid_code = '{code}'"));
    exec(&mut conn, &format!("UPDATE sensor_devices SET grid_code = '{code}'"));
    assert_eq!(store::review_queue(&mut conn, &CaseFilter::All, 10).unwrap().len(), 1);
    assert_eq!(store::find_devices(&mut conn, &["m1"]).unwrap().len(), 1);
}
