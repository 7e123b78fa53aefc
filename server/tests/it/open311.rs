//! Open311 GeoReport v2 over real HTTP on both backends: every resource in XML and in JSON (the
//! two must carry the same document, element for field), the specification's errors and status
//! codes, API keys issued and revoked through the admin API, and a submitted request that
//! becomes a real case, seen through `/api/v1` and followed back over Open311.

use std::io::Cursor;

use quick_xml::Reader;
use quick_xml::events::Event;
use reqwest::blocking::Response;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, demo_cells, point_in};

/// An XML element: its text and its child elements, in order.
#[derive(Debug, Default)]
struct El {
    name: String,
    text: String,
    children: Vec<El>,
}

impl El {
    fn child(&self, name: &str) -> &El {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no <{name}> in <{}>", self.name))
    }
}

fn parse_xml(text: &str) -> El {
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "XML declaration: {text}");
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<El> = vec![El::default()];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack
                .push(El { name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(), ..El::default() }),
            Event::Empty(e) => stack
                .last_mut()
                .unwrap()
                .children
                .push(El { name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(), ..El::default() }),
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content().unwrap()),
            Event::GeneralRef(r) => {
                let entity = String::from_utf8(r.to_vec()).unwrap();
                let c = match entity.as_str() {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    "apos" => '\'',
                    other => panic!("entity {other}"),
                };
                stack.last_mut().unwrap().text.push(c);
            }
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut document = stack.pop().unwrap();
    assert_eq!(document.children.len(), 1, "one root element");
    document.children.pop().unwrap()
}

/// Whether the XML element carries exactly the JSON value: an array is the element's children
/// in order, an object its children by name (and no others), a scalar its text.
fn assert_same(xml: &El, json: &Value, at: &str) {
    match json {
        Value::Array(items) => {
            assert_eq!(xml.children.len(), items.len(), "{at}: list length");
            for (i, (x, j)) in xml.children.iter().zip(items).enumerate() {
                assert_same(x, j, &format!("{at}[{i}]"));
            }
        }
        Value::Object(fields) => {
            assert_eq!(xml.children.len(), fields.len(), "{at}: field count");
            for (k, v) in fields {
                assert_same(xml.child(k), v, &format!("{at}.{k}"));
            }
        }
        Value::String(s) => assert_eq!(&xml.text, s, "{at}"),
        Value::Number(n) => assert_eq!(xml.text.parse::<f64>().unwrap(), n.as_f64().unwrap(), "{at}"),
        Value::Bool(b) => assert_eq!(xml.text, b.to_string(), "{at}"),
        Value::Null => assert!(xml.text.is_empty() && xml.children.is_empty(), "{at}: empty"),
    }
}

/// `GET {resource}.xml{query}` and `.json`, both 200 with their content types and the same
/// document; the JSON value and the XML root element.
fn get_both(server: &TestServer, resource: &str, query: &str) -> (Value, El) {
    let xml = server.get(&format!("/open311/v2/{resource}.xml{query}"));
    assert_eq!(xml.status(), 200, "{resource}.xml{query}");
    assert_eq!(xml.headers()["content-type"], "text/xml; charset=utf-8");
    let xml = parse_xml(&xml.text().unwrap());
    let json = server.get(&format!("/open311/v2/{resource}.json{query}"));
    assert_eq!(json.status(), 200, "{resource}.json{query}");
    assert_eq!(json.headers()["content-type"], "application/json; charset=utf-8");
    let json: Value = json.json().unwrap();
    assert_same(&xml, &json, resource);
    (json, xml)
}

/// An Open311 error answer in `format`: the status, and the same code in the body; its
/// description.
fn open311_error(response: Response, status: u16, format: &str) -> String {
    assert_eq!(response.status().as_u16(), status, "status");
    let text = response.text().unwrap();
    if format == "xml" {
        let root = parse_xml(&text);
        assert_eq!(root.name, "errors");
        let error = root.child("error");
        assert_eq!(error.child("code").text, status.to_string());
        error.child("description").text.clone()
    } else {
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
        assert_eq!(body[0]["code"], status);
        body[0]["description"].as_str().unwrap().to_owned()
    }
}

fn post_form(server: &TestServer, format: &str, fields: &[(&str, &str)], key: Option<&str>) -> Response {
    let mut request = server.client.post(server.url(&format!("/open311/v2/requests.{format}"))).form(fields);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().unwrap()
}

fn jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn discovery_and_services(server: &TestServer) {
    let (discovery, _) = get_both(server, "discovery", "");
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(endpoint["url"], server.url("/open311/v2"));
    assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));

    let (services, xml) = get_both(server, "services", "");
    assert_eq!(xml.name, "services");
    assert!(xml.children.iter().all(|c| c.name == "service"));
    let find =
        |code: &str| services.as_array().unwrap().iter().find(|s| s["service_code"] == code).unwrap().clone();
    let cover = find("C0101");
    assert_eq!(cover["service_name"], "Water supply manhole cover");
    assert_eq!(cover["metadata"], true);
    assert_eq!(cover["type"], "realtime");
    assert_eq!(cover["group"], "Public facilities");
    let rubbish = find("E0101");
    assert_eq!(rubbish["metadata"], false);
    assert_eq!(rubbish["group"], "City appearance");
    assert!(rubbish["keywords"].as_str().unwrap().contains("暴露垃圾"));
    let (zh, _) = get_both(server, "services", "?locale=zh");
    assert!(zh.as_array().unwrap().iter().any(|s| s["service_name"] == "暴露垃圾"));

    let (definition, xml) = get_both(server, "services/C0101", "");
    assert_eq!(xml.name, "service_definition");
    assert_eq!(xml.child("attributes").children[0].name, "attribute");
    assert_eq!(definition["service_code"], "C0101");
    let attribute = &definition["attributes"][0];
    assert_eq!(attribute["code"], "cover_state");
    assert_eq!(attribute["variable"], true);
    assert_eq!(attribute["datatype"], "singlevaluelist");
    assert_eq!(attribute["required"], true);
    assert_eq!(attribute["order"], 1);
    assert_eq!(attribute["description"], "Cover condition");
    assert_eq!(attribute["values"][0], json!({ "key": "missing", "name": "Missing" }));
    assert_eq!(attribute["values"].as_array().unwrap().len(), 4);
    let (empty, _) = get_both(server, "services/E0101", "");
    assert_eq!(empty["attributes"], json!([]));

    open311_error(server.get("/open311/v2/services/E9999.json"), 404, "json");
    open311_error(server.get("/open311/v2/services/not-a-code.xml"), 404, "xml");
    open311_error(server.get("/open311/v2/services.csv"), 404, "xml");
    open311_error(server.get("/open311/v2/nothing-here"), 404, "xml");
}

/// Issues a key through the admin API; the key, and its id.
fn issue_key(server: &TestServer, admin: &str) -> (String, String) {
    let response = server
        .client
        .post(server.url("/api/v1/admin/api-keys"))
        .bearer_auth(admin)
        .json(&json!({ "name": "City 311 app" }))
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().unwrap();
    let key = body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("gl311_") && key.len() > 40, "{key}");
    assert!(key.starts_with(body["api_key"]["key_prefix"].as_str().unwrap()));
    assert!(body["api_key"].get("key_hash").is_none());
    (key, body["api_key"]["id"].as_str().unwrap().to_owned())
}

fn open311_end_to_end(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(12);
    server.import_grid(&admin, "310104", &cells);
    discovery_and_services(&server);

    // Keys: admin only, shown once, listed without the secret.
    let citizen = server.citizen_token();
    let refused = server
        .client
        .post(server.url("/api/v1/admin/api-keys"))
        .bearer_auth(&citizen)
        .json(&json!({ "name": "x" }));
    assert_eq!(refused.send().unwrap().status(), 403);
    let (key, key_id) = issue_key(&server, &admin);
    let listed = server.get_as(&admin, "/api/v1/admin/api-keys").text().unwrap();
    assert!(listed.contains(&key_id) && !listed.contains(&key), "the list never shows a key");
    assert_eq!(server.get_as(&citizen, "/api/v1/admin/api-keys").status(), 403);

    // Submissions that must be refused, in the specification's shapes.
    let (lat, lon) = point_in(&cells[0]);
    let (lat, lon) = (lat.to_string(), lon.to_string());
    let good = |code: &'static str| -> Vec<(&str, String)> {
        vec![
            ("api_key", key.clone()),
            ("service_code", code.to_owned()),
            ("lat", lat.clone()),
            ("long", lon.clone()),
            ("description", "Manhole cover gone on the pavement".to_owned()),
            ("email", "someone@example.invalid".to_owned()),
            ("first_name", "Ming".to_owned()),
        ]
    };
    let as_refs =
        |fields: &[(&'static str, String)]| fields.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let send = |format: &str, fields: Vec<(&str, String)>, idem: Option<&str>| {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post_form(&server, format, &refs, idem)
    };
    let without = |fields: Vec<(&'static str, String)>, name: &str| {
        fields.into_iter().filter(|(k, _)| *k != name).collect::<Vec<_>>()
    };
    let mut cover = good("C0101");
    cover.push(("attribute[cover_state]", "missing".to_owned()));
    open311_error(send("json", without(as_refs(&cover), "api_key"), None), 403, "json");
    let mut bad_key = without(as_refs(&cover), "api_key");
    bad_key.push(("api_key", "gl311_not-a-key".to_owned()));
    open311_error(send("xml", bad_key, None), 403, "xml");
    let mut unknown = without(as_refs(&cover), "service_code");
    unknown.push(("service_code", "E0999".to_owned()));
    open311_error(send("json", unknown, None), 404, "json");
    let mut address_only = without(without(as_refs(&cover), "lat"), "long");
    address_only.push(("address_string", "12 Huaihai Road".to_owned()));
    let why = open311_error(send("xml", address_only, None), 400, "xml");
    assert!(why.contains("lat and long") && why.contains("position"), "{why}");
    let why = open311_error(send("json", as_refs(&good("C0101")), None), 400, "json");
    assert!(why.starts_with("attribute[cover_state]"), "{why}");
    let mut wrong_value = good("C0101");
    wrong_value.push(("attribute[cover_state]", "stolen".to_owned()));
    open311_error(send("json", as_refs(&wrong_value), None), 400, "json");
    let mut far = without(as_refs(&cover), "lat");
    far.push(("lat", "91".to_owned()));
    assert!(open311_error(send("json", far, None), 400, "json").starts_with("lat"));
    let not_a_form = server
        .client
        .post(server.url("/open311/v2/requests.json"))
        .json(&json!({ "api_key": key }))
        .send()
        .unwrap();
    open311_error(not_a_form, 400, "json");

    // A submission in XML, and its replay under the same Idempotency-Key.
    let idem = uuid::Uuid::now_v7().to_string();
    let created = send("xml", as_refs(&cover), Some(&idem));
    assert_eq!(created.status(), 201);
    let receipt = parse_xml(&created.text().unwrap());
    assert_eq!(receipt.name, "service_requests");
    let request = receipt.child("request");
    let tracking = request.child("service_request_id").text.clone();
    let token = request.child("token").text.clone();
    assert!(tracking.starts_with("GL-"), "{tracking}");
    let replay = send("json", as_refs(&cover), Some(&idem));
    assert_eq!(replay.status(), 200);
    let replay: Value = replay.json().unwrap();
    assert_eq!(replay[0]["service_request_id"], tracking.as_str());

    // The case is real: routed, with its answers, visible through /api/v1, no reporter account.
    let case: Value = server.get_as(&admin, &format!("/api/v1/cases/{token}")).json().unwrap();
    assert_eq!(case["tracking_number"], tracking.as_str());
    assert_eq!(case["state"], "reported");
    assert_eq!(case["category"], "C0101");
    assert_eq!(case["placement"]["grid"], cells[0].code.to_string());
    assert_eq!(case["answers"], json!({ "cover_state": "missing" }));
    assert_eq!(case["reporter"], json!({ "id": null, "role": "open311" }));

    // A second one in JSON, for a service without questions.
    let created = send("json", as_refs(&good("E0101")), None);
    assert_eq!(created.status(), 201);
    let second: Value = created.json().unwrap();
    let second_tracking = second[0]["service_request_id"].as_str().unwrap().to_owned();
    assert_ne!(second_tracking, tracking);

    // Followed back over Open311.
    let (one, xml) = get_both(&server, &format!("requests/{tracking}"), "");
    assert_eq!(xml.name, "service_requests");
    let request = &one[0];
    assert_eq!(request["status"], "open");
    assert!(request["status_notes"].as_str().unwrap().contains("register"));
    assert_eq!(request["service_code"], "C0101");
    assert_eq!(request["service_name"], "Water supply manhole cover");
    assert_eq!(request["agency_responsible"], Value::Null);
    assert_eq!(request["media_url"], Value::Null);
    let rounded = |v: f64| (v * 1000.0).round() / 1000.0;
    assert_eq!(request["lat"].as_f64().unwrap(), rounded(lat.parse().unwrap()));
    assert_eq!(request["long"].as_f64().unwrap(), rounded(lon.parse().unwrap()));
    assert!(request.get("extended_attributes").is_none());
    let (extended, _) = get_both(&server, &format!("requests/{tracking}"), "?extensions=true");
    assert_eq!(extended[0]["extended_attributes"]["state"], "reported");
    assert_eq!(extended[0]["extended_attributes"]["overdue"], false);
    assert_eq!(extended[0]["extended_attributes"]["grid"], cells[0].code.to_string());
    let (by_token, _) = get_both(&server, &format!("tokens/{token}"), "");
    assert_eq!(by_token, json!([{ "service_request_id": tracking, "token": token }]));
    open311_error(server.get("/open311/v2/requests/GL-000000-NOPE00.json"), 404, "json");
    open311_error(server.get(&format!("/open311/v2/tokens/{}.xml", uuid::Uuid::now_v7())), 404, "xml");

    // The list and its filters.
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (all, _) = get_both(&server, "requests", "");
    assert_eq!(ids(&all), [second_tracking.as_str(), tracking.as_str()], "newest first");
    let (covers, _) = get_both(&server, "requests", "?service_code=C0101,C0102");
    assert_eq!(ids(&covers), [tracking.as_str()]);
    let (open, _) = get_both(&server, "requests", "?status=open");
    assert_eq!(ids(&open).len(), 2);
    let (closed, xml) = get_both(&server, "requests", "?status=closed");
    assert_eq!((closed, xml.children.len()), (json!([]), 0));
    let (picked, _) =
        get_both(&server, "requests", &format!("?service_request_id={tracking},GL-000000-NOPE00"));
    assert_eq!(ids(&picked), [tracking.as_str()]);
    let (page2, _) = get_both(&server, "requests", "?page_size=1&page=2");
    assert_eq!(ids(&page2), [tracking.as_str()]);
    let (extended, _) = get_both(&server, "requests", "?extensions=true&page_size=1");
    assert_eq!(extended[0]["extended_attributes"]["routing"], "inside");
    let (past, _) = get_both(
        &server,
        "requests",
        "?start_date=2025-01-01T00:00:00Z&end_date=2025-03-01T00:00:00%2B08:00",
    );
    assert_eq!(past, json!([]));
    let now = chrono::Utc::now();
    let window = format!(
        "?start_date={}&end_date={}",
        (now - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    assert_eq!(ids(&get_both(&server, "requests", &window).0).len(), 2);

    // Bad filters: 400 in the format asked for.
    let too_long = "?start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z";
    assert!(
        open311_error(server.get(&format!("/open311/v2/requests.json{too_long}")), 400, "json")
            .contains("90 days")
    );
    open311_error(server.get(&format!("/open311/v2/requests.xml{too_long}")), 400, "xml");
    open311_error(server.get("/open311/v2/requests.xml?start_date=last-week"), 400, "xml");
    open311_error(
        server.get("/open311/v2/requests.json?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z"),
        400,
        "json",
    );
    open311_error(server.get("/open311/v2/requests.json?status=pending"), 400, "json");
    open311_error(server.get("/open311/v2/requests.json?page_size=5000"), 400, "json");

    // A revoked key submits nothing.
    let revoked = server
        .client
        .delete(server.url(&format!("/api/v1/admin/api-keys/{key_id}")))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let revoked: Value = revoked.json().unwrap();
    let revoked_at = revoked["revoked_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(revoked_at).is_ok(),
        "RFC 3339, not epoch seconds: {revoked_at}"
    );
    open311_error(send("json", as_refs(&good("E0101")), None), 403, "json");
    assert_eq!(ids(&get_both(&server, "requests", "").0).len(), 2);
}

/// A citizen's photo becomes the request's public `media_url` only once the street office has
/// registered the report, and never names the reporter.
fn media_and_words_are_public_only_after_registration(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = demo_cells(12);
    server.import_grid(&admin, "310104", &cells);
    let citizen = server.citizen_token();
    let me: Value = server.get_as(&citizen, "/api/v1/me").json().unwrap();
    let part =
        reqwest::blocking::multipart::Part::bytes(jpeg()).file_name("p.jpg").mime_str("image/jpeg").unwrap();
    let uploaded = server
        .client
        .post(server.url("/api/v1/photos"))
        .bearer_auth(&citizen)
        .multipart(reqwest::blocking::multipart::Form::new().part("photo", part))
        .send()
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    let photo_id = uploaded.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
    let (lat, lon) = point_in(&cells[1]);
    let mut reports = Vec::new();
    for anonymous in [false, true] {
        let response = server
            .client
            .post(server.url("/api/v1/reports"))
            .bearer_auth(&citizen)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .json(&json!({
                "category": "E0101", "description": "Rubbish beside the bus stop",
                "position": { "lat": lat, "lon": lon }, "photo_ids": [photo_id], "anonymous": anonymous,
            }))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
        let receipt: Value = response.json().unwrap();
        reports.push((
            receipt["id"].as_str().unwrap().to_owned(),
            receipt["tracking_number"].as_str().unwrap().to_owned(),
        ));
    }
    let (id, tracking) = &reports[0];
    let media = format!("/open311/v2/media/{id}.jpg");
    let (before, _) = get_both(&server, &format!("requests/{tracking}"), "");
    assert_eq!(before[0]["media_url"], Value::Null);
    assert_eq!(before[0]["description"], Value::Null, "unreviewed words are not published either");
    open311_error(server.get(&media), 404, "xml");

    for (case, _) in &reports {
        let registered = server
            .client
            .post(server.url(&format!("/api/v1/cases/{case}/actions")))
            .bearer_auth(&admin)
            .header("if-match", "\"1\"")
            .json(&json!({ "action": "register" }))
            .send()
            .unwrap();
        assert_eq!(registered.status(), 200);
    }
    let (after, _) = get_both(&server, "requests", "?extensions=true");
    let listed =
        after.as_array().unwrap().iter().find(|r| r["service_request_id"] == tracking.as_str()).unwrap();
    assert_eq!(listed["media_url"], server.url(&media));
    assert_eq!(listed["description"], "Rubbish beside the bus stop");
    assert_eq!(listed["status_notes"], "Registered as a case; waiting to be dispatched");
    assert!(!after.to_string().contains(me["id"].as_str().unwrap()), "Open311 never names the reporter");
    let photo = server.get(&media);
    assert_eq!(photo.status(), 200);
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    assert!(photo.bytes().unwrap().starts_with(&[0xFF, 0xD8]));
    // The anonymous report's photo stays private, registered or not.
    let anonymous =
        after.as_array().unwrap().iter().find(|r| r["service_request_id"] == reports[1].1.as_str()).unwrap();
    assert_eq!(anonymous["media_url"], Value::Null);
    open311_error(server.get(&format!("/open311/v2/media/{}.jpg", reports[1].0)), 404, "xml");
}

both_backends!(open311_end_to_end, media_and_words_are_public_only_after_registration);
