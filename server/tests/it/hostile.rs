//! Hostile input against a real server on both backends. The committed corpus
//! (`server/tests/corpus/`: report bodies, photos, hostile strings) and a few inputs built here
//! (100,000 nested arrays, bodies past the size limits, wrong content types) must each get a
//! 4xx `application/problem+json` with the `code` that `corpus/expected.txt` names, never a 5xx,
//! and store nothing: the rows of every table that intake writes are counted before and after.
//! Every hostile string also goes into every path, query and header parameter of every operation
//! in the server's own OpenAPI document.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Backend, TestServer, problem};
use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use gridline_server::store::Db;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::blocking::{RequestBuilder, Response};
use serde_json::{Value, json};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// `file -> (status, code)` from `corpus/expected.txt` (`path status code` a line).
fn expected() -> BTreeMap<String, (u16, String)> {
    let text = std::fs::read_to_string(corpus().join("expected.txt")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(parts.len(), 3, "expected.txt: {l}");
            (parts[0].to_owned(), (parts[1].parse().unwrap(), parts[2].to_owned()))
        })
        .collect()
}

fn files(folder: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .map(|p| {
            (format!("{folder}/{}", p.file_name().unwrap().to_string_lossy()), std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn hostile_strings() -> Vec<String> {
    serde_json::from_slice(&std::fs::read(corpus().join("strings.json")).unwrap()).unwrap()
}

/// Rows in every table a report, a photo or an account change writes.
fn rows(server: &TestServer) -> BTreeMap<&'static str, i64> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let mut conn = db.get().unwrap();
    ["cases", "case_events", "case_photos", "photos", "photo_uploads", "categories", "users", "grid_cells"]
        .into_iter()
        .map(|table| {
            let counted: Vec<Count> =
                diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).load(&mut *conn).unwrap();
            (table, counted[0].n)
        })
        .collect()
}

/// Percent-encodes every byte but the unreserved ones, so the string arrives as it is.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// What came back, for comparing with `expected.txt` and for the report of mismatches.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    code: String,
}

fn answer(response: Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("?").to_owned())
        .unwrap_or_default();
    let body: Value = response.json().unwrap_or(Value::Null);
    Answer { status, content_type, code: body["code"].as_str().unwrap_or("-").to_owned() }
}

fn post_report_raw(server: &TestServer, token: &str, content_type: &str, body: Vec<u8>) -> Response {
    server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", new_key())
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap()
}

fn upload(server: &TestServer, token: &str, name: &str, bytes: Vec<u8>) -> Response {
    let part = Part::bytes(bytes).file_name(name.to_owned()).mime_str("image/jpeg").unwrap();
    server
        .client
        .post(server.url("/api/v1/photos"))
        .bearer_auth(token)
        .header("idempotency-key", new_key())
        .multipart(Form::new().part("photo", part))
        .send()
        .unwrap()
}

/// Checks every answer against `expected.txt`, listing all mismatches at once.
fn check_all(answers: &[(String, Answer)]) {
    let expected = expected();
    let mut wrong = Vec::new();
    for (name, got) in answers {
        let Some((status, code)) = expected.get(name) else {
            wrong.push(format!("{name}: not in expected.txt; got {} {}", got.status, got.code));
            continue;
        };
        if got.status != *status || &got.code != code || got.content_type != "application/problem+json" {
            wrong.push(format!(
                "{name}: expected {status} {code}, got {} {} ({})",
                got.status, got.code, got.content_type
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} corpus inputs answered wrongly:\n{}",
        wrong.len(),
        answers.len(),
        wrong.join("\n")
    );
}

fn corpus_reports_and_photos_are_refused_and_store_nothing(backend: Backend) {
    let server = TestServer::start(backend);
    let citizen = server.citizen_token();
    let before = rows(&server);

    let mut answers = Vec::new();
    for (name, body) in files("reports") {
        answers.push((name, answer(post_report_raw(&server, &citizen, "application/json", body))));
    }
    for (name, bytes) in files("photos") {
        let file_name = name.rsplit('/').next().unwrap().to_owned();
        answers.push((name, answer(upload(&server, &citizen, &file_name, bytes))));
    }

    // Built here rather than committed: depth past any parser's recursion, and sizes.
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes();
    let nested_objects =
        |depth: usize| format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth)).into_bytes();
    answers.push((
        "built/nested-arrays-100000.json".into(),
        answer(post_report_raw(&server, &citizen, "application/json", nested(100_000))),
    ));
    answers.push((
        "built/nested-arrays-30000.json".into(),
        answer(post_report_raw(&server, &citizen, "application/json", nested(30_000))),
    ));
    answers.push((
        "built/nested-objects-10000.json".into(),
        answer(post_report_raw(&server, &citizen, "application/json", nested_objects(10_000))),
    ));
    let description_in_answers = |depth: usize| {
        let mut text = String::from(
            r#"{"category":"E0101","description":"x","position":{"lat":31.15,"lon":121.4},"answers":{"q":"#,
        );
        text.push_str(&"[".repeat(depth));
        text.push_str(&"]".repeat(depth));
        text.push_str("}}");
        text.into_bytes()
    };
    answers.push((
        "built/nested-arrays-in-answers-20000.json".into(),
        answer(post_report_raw(&server, &citizen, "application/json", description_in_answers(20_000))),
    ));
    let mut big =
        json!({ "category": "E0101", "description": "x", "position": { "lat": 31.15, "lon": 121.4 } });
    big["padding"] = json!("p".repeat(65_536));
    answers.push((
        "built/body-over-json-limit.json".into(),
        answer(post_report_raw(&server, &citizen, "application/json", big.to_string().into_bytes())),
    ));
    let good =
        json!({ "category": "E0101", "description": "ok", "position": { "lat": 31.15, "lon": 121.4 } })
            .to_string()
            .into_bytes();
    for (label, content_type) in [
        ("text-plain", "text/plain"),
        ("form-urlencoded", "application/x-www-form-urlencoded"),
        ("xml", "application/xml"),
        ("multipart", "multipart/form-data; boundary=x"),
        ("garbage", "not a media type"),
    ] {
        answers.push((
            format!("built/report-as-{label}"),
            answer(post_report_raw(&server, &citizen, content_type, good.clone())),
        ));
    }
    let no_type = server
        .client
        .post(server.url("/api/v1/reports"))
        .bearer_auth(&citizen)
        .header("idempotency-key", new_key())
        .body(good.clone())
        .send()
        .unwrap();
    answers.push(("built/report-without-content-type".into(), answer(no_type)));
    let photo_as_json = server
        .client
        .post(server.url("/api/v1/photos"))
        .bearer_auth(&citizen)
        .header("idempotency-key", new_key())
        .json(&json!({ "photo": "aGVsbG8=" }))
        .send()
        .unwrap();
    answers.push(("built/photo-as-json".into(), answer(photo_as_json)));
    let huge_photo = vec![0xFFu8; 15 * 1024 * 1024 + 1024];
    answers.push((
        "built/photo-over-limit.jpg".into(),
        answer(upload(&server, &citizen, "big.jpg", huge_photo)),
    ));
    let wrong_field = server
        .client
        .post(server.url("/api/v1/photos"))
        .bearer_auth(&citizen)
        .header("idempotency-key", new_key())
        .multipart(Form::new().part("picture", Part::bytes(b"x".to_vec()).file_name("x.jpg")))
        .send()
        .unwrap();
    answers.push(("built/photo-wrong-field-name".into(), answer(wrong_field)));
    let login_as_xml = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .header("content-type", "application/xml")
        .body("<login>admin</login>")
        .send()
        .unwrap();
    answers.push(("built/login-as-xml".into(), answer(login_as_xml)));
    let login_nested = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(nested(30_000))
        .send()
        .unwrap();
    answers.push(("built/login-nested-arrays-30000.json".into(), answer(login_nested)));

    let admin = server.admin_token();
    let import = |content_type: &str, body: Vec<u8>| {
        server
            .client
            .post(server.url("/api/v1/admin/grids?area=310104"))
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(body)
            .send()
            .unwrap()
    };
    answers.push((
        "built/grid-import-nested-arrays-100000.geojson".into(),
        answer(import("application/geo+json", nested(100_000))),
    ));
    let nested_geometry = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"310104001001001"}},"geometry":{{"type":"Polygon","coordinates":{}{}}}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    answers.push((
        "built/grid-import-nested-coordinates-100000.geojson".into(),
        answer(import("application/geo+json", nested_geometry.into_bytes())),
    ));
    answers.push(("built/grid-import-as-text-plain".into(), answer(import("text/plain", b"{}".to_vec()))));

    // Every string field of a report, an account, a category: no 5xx, and what is refused is
    // problem+json (valid-looking strings in free text are checked by the test below).
    for (i, s) in hostile_strings().iter().enumerate() {
        let otp = server.post_json("/api/v1/auth/otp/request", &json!({ "phone": s }));
        answers.push((format!("strings/otp-phone-{i}"), answer(otp)));
        let login = server.post_json("/api/v1/auth/login", &json!({ "login": s, "password": s }));
        answers.push((format!("strings/login-{i}"), answer(login)));
        let refresh = server.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": s }));
        answers.push((format!("strings/refresh-token-{i}"), answer(refresh)));
    }

    let after = rows(&server);
    // The admin token's account is the one row this test adds on purpose.
    let mut expected_after = before.clone();
    *expected_after.get_mut("users").unwrap() += 1;
    let (strings, files): (Vec<_>, Vec<_>) =
        answers.into_iter().partition(|(n, _)| n.starts_with("strings/"));
    check_all(&files);
    let not_refused: Vec<String> = strings
        .iter()
        .filter(|(_, a)| !(400..500).contains(&a.status) || a.content_type != "application/problem+json")
        .map(|(n, a)| format!("{n}: {} {} ({})", a.status, a.code, a.content_type))
        .collect();
    assert!(
        not_refused.is_empty(),
        "hostile strings not refused as 4xx problem+json:\n{}",
        not_refused.join("\n")
    );
    assert_eq!(after, expected_after, "a refused input stored something");
}

/// Free text is data, never code: injection strings, right-to-left and zero-width characters
/// between visible ones, and a description of exactly the maximum length are stored and read
/// back byte for byte; one character more is refused.
fn hostile_but_valid_text_is_stored_verbatim(backend: Backend) {
    let server = TestServer::start(backend);
    let citizen = server.citizen_token();
    let mut texts: Vec<String> = hostile_strings()
        .into_iter()
        .filter(|s| {
            s.chars().count() <= 4000
                && s.chars().any(char::is_alphanumeric)
                && !s.chars().any(char::is_control)
        })
        .collect();
    texts.push("x".repeat(4000));
    texts.push("垃".repeat(4000));
    texts.push("\u{1F5D1}".repeat(4000));
    texts.push("Bin \u{200B}overflowing\u{200D} near \u{202E}pots sub\u{202C} — שלום عربي".to_owned());
    for text in &texts {
        let body =
            json!({ "category": "E0101", "description": text, "position": { "lat": 31.15, "lon": 121.4 } });
        let response = post_report_raw(&server, &citizen, "application/json", body.to_string().into_bytes());
        assert_eq!(response.status(), 201, "{text:?}");
        let created: Value = response.json().unwrap();
        let case: Value = server
            .get_as(&citizen, &format!("/api/v1/cases/{}", created["id"].as_str().unwrap()))
            .json()
            .unwrap();
        assert_eq!(case["description"].as_str(), Some(text.trim()), "{text:?}");
    }
    let one_more = json!({ "category": "E0101", "description": "x".repeat(4001), "position": { "lat": 31.15, "lon": 121.4 } });
    let refused = post_report_raw(&server, &citizen, "application/json", one_more.to_string().into_bytes());
    assert_eq!(problem(refused, 422)["field"], "description");
}

/// A valid picture with EXIF that points nowhere (beyond the file, 4 GiB away, in a loop) is
/// kept: the metadata is dropped by re-encoding, so the stored JPEG carries no EXIF at all.
fn photos_with_absurd_exif_are_kept_without_it(backend: Backend) {
    let server = TestServer::start(backend);
    let citizen = server.citizen_token();
    let accepted = files("photos-accepted");
    assert!(accepted.len() >= 3);
    for (name, bytes) in accepted {
        let response = upload(&server, &citizen, "photo.jpg", bytes);
        assert_eq!(response.status(), 201, "{name}");
        let created: Value = response.json().unwrap();
        let stored = server.get_as(&citizen, &format!("/api/v1/photos/{}", created["id"].as_str().unwrap()));
        assert_eq!(stored.status(), 200, "{name}");
        let jpeg = stored.bytes().unwrap();
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "{name}");
        assert!(!jpeg.windows(6).any(|w| w == b"Exif\0\0"), "{name}: EXIF kept");
    }
}

/// A request to `path` by `method` with optional JSON body.
fn request(server: &TestServer, method: &str, path: &str) -> RequestBuilder {
    let url = server.url(path);
    match method {
        "get" => server.client.get(url),
        "post" => server.client.post(url).json(&json!({})),
        "patch" => server.client.patch(url).json(&json!({})),
        "put" => server.client.put(url).json(&json!({})),
        "delete" => server.client.delete(url),
        other => panic!("method {other}"),
    }
}

/// Each hostile string in each path, query and header parameter of every operation in
/// openapi.json, as an admin (the widest view): never a 5xx; a refusal is problem+json; a
/// hostile path id is never found. Open311 ids and codes are tried the same way.
fn hostile_strings_in_every_parameter(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let before = rows(&server);
    let spec: Value = server.get("/api/v1/openapi.json").json().unwrap();
    let mut tried = 0;
    let mut wrong = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // Open311 answers in its own error format (its ids and codes are tried below); the
            // tracking page is HTML.
            if !["get", "post", "patch", "put", "delete"].contains(&method.as_str())
                || path == "/api/v1/events"
                || path.starts_with("/open311/")
                || path.starts_with("/track/")
            {
                continue;
            }
            let params: Vec<(String, String)> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p["in"].as_str()?.to_owned())))
                .collect();
            for (name, place) in &params {
                for s in hostile_strings() {
                    let mut target = path.clone();
                    for (other, other_place) in &params {
                        if other_place == "path" {
                            let value = if other == name {
                                encode(&s)
                            } else {
                                "0190d3f4-0000-7000-8000-000000000001".to_owned()
                            };
                            target = target.replace(&format!("{{{other}}}"), &value);
                        }
                    }
                    if place == "query" {
                        target = format!("{target}?{name}={}", encode(&s));
                    }
                    let mut builder = request(&server, method, &target).bearer_auth(&admin);
                    if place == "header" {
                        let Ok(value) = reqwest::header::HeaderValue::from_str(&s) else { continue };
                        builder = builder.header(name.as_str(), value);
                    }
                    let got = answer(builder.send().unwrap());
                    tried += 1;
                    let refused_well =
                        (400..500).contains(&got.status) && got.content_type == "application/problem+json";
                    let accepted = got.status < 400 && place != "path";
                    if !(refused_well || accepted) {
                        wrong.push(format!(
                            "{} {target} [{name} in {place} = {s:?}]: {} {} ({})",
                            method.to_uppercase(),
                            got.status,
                            got.code,
                            got.content_type
                        ));
                    }
                }
            }
        }
    }
    for s in hostile_strings() {
        for path in [
            format!("/open311/v2/requests/{}.json", encode(&s)),
            format!("/open311/v2/services/{}.json", encode(&s)),
            format!("/open311/v2/requests.json?service_request_id={}", encode(&s)),
            format!("/open311/v2/requests.json?service_code={}", encode(&s)),
        ] {
            let got = answer(server.get(&path));
            tried += 1;
            if got.status >= 500
                || (path.contains("/requests/") || path.contains("/services/")) && got.status < 400
            {
                wrong.push(format!("GET {path}: {} {}", got.status, got.content_type));
            }
        }
    }
    assert!(tried > 300, "{tried}");
    assert!(wrong.is_empty(), "{} of {tried} answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(rows(&server), before, "a hostile parameter stored something");
}

/// Point 11: an acknowledged report must survive a power cut, so every connection the server
/// opened to its SQLite file commits with `synchronous = FULL` (2), the intake writer's included:
/// the whole pool is checked out at once and each connection is asked.
#[test]
fn sqlite_connections_sync_every_commit() {
    let server = TestServer::start(Backend::Sqlite);
    #[derive(diesel::QueryableByName)]
    struct Synchronous {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
    }
    let mut held = Vec::new();
    while let Ok(conn) = server.db.get_timeout(Duration::from_millis(200)) {
        held.push(conn);
    }
    assert!(held.len() >= 3, "the pool gave {} connections", held.len());
    for conn in &mut held {
        let read: Vec<Synchronous> = diesel::sql_query("PRAGMA synchronous").load(&mut **conn).unwrap();
        assert_eq!(read[0].synchronous, 2, "PRAGMA synchronous is not FULL");
    }
}

/// Point 10, first half: production with no `DATABASE_URL` used to start on an empty SQLite file
/// in the data folder. Now the process exits at once, naming the setting, and creates no file.
#[test]
fn production_refuses_to_start_without_a_database_url() {
    let data_dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gridline"))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_URL_FILE")
        .env_remove("GRIDLINE_CONFIG")
        .env("GRIDLINE_ENV", "production")
        .env("GRIDLINE_JWT_SECRET", "a-production-secret-of-thirty-two-bytes!")
        .env("GRIDLINE_DATA_DIR", data_dir.path())
        .env("GRIDLINE_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success(), "production started without DATABASE_URL");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    let created: Vec<_> = std::fs::read_dir(data_dir.path()).unwrap().collect();
    assert!(created.is_empty(), "files were created: {created:?}");
}

/// Point 10, second half: a request body trickled one byte at a time held a connection for as
/// long as the sender liked. With a 1 s request deadline, a report body of 400 bytes sent a
/// byte every 100 ms (40 s in all) is answered 408 `request_timeout` long before it is complete,
/// and the server closes the connection.
fn a_trickled_body_is_cut_off_at_the_request_deadline(backend: Backend) {
    use std::io::{Read, Write};
    let server = TestServer::start_with(backend, &[("GRIDLINE_REQUEST_TIMEOUT_SECS", "1")]);
    let citizen = server.citizen_token();
    let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {citizen}\r\n\
         Idempotency-Key: {}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n",
        server.addr,
        new_key()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        let mut sent = 0;
        while sent < 400 && writer.write_all(b" ").is_ok() {
            sent += 1;
            std::thread::sleep(Duration::from_millis(100));
        }
        sent
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let sent = trickle.join().unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    assert!(text.to_ascii_lowercase().contains("x-content-type-options: nosniff"), "{text}");
    assert!(sent < 400, "the whole body went through before the answer");
}

/// Point 5: every made-up HTTP method became a label (300 long methods took `/metrics` from
/// 57 KB to 10 MB) and anyone could read it. Now 300 requests with invented 200-character
/// methods add one `other` series, and `/metrics` needs the token: 401 without it or with a
/// wrong one, 404 on a server with no token configured. A metrics address of its own serves
/// `/metrics` without a token and nothing else.
fn metrics_labels_are_bounded_and_metrics_need_a_token(backend: Backend) {
    let server = TestServer::start(backend);
    let read = || server.get_as(common::METRICS_TOKEN, "/metrics").text().unwrap();
    let _ = read();
    let before = read().len();
    for i in 0..300 {
        let method = reqwest::Method::from_bytes(format!("X{}{i}", "Y".repeat(200)).as_bytes()).unwrap();
        let _ = server.client.request(method, server.url("/api/v1/categories")).send().unwrap();
    }
    let text = read();
    assert!(!text.contains("YYYY"), "a made-up method became a label");
    assert!(text.contains(r#"method="other""#), "{text}");
    assert!(text.len() < before + 4096, "metrics grew from {before} to {} bytes", text.len());
    assert_eq!(problem(server.get("/metrics"), 401)["code"], "metrics_token_required");
    assert_eq!(
        problem(server.get_as("not-the-metrics-token", "/metrics"), 401)["code"],
        "metrics_token_required"
    );

    let metrics_addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let closed = TestServer::start_with(
        backend,
        &[("GRIDLINE_METRICS_TOKEN", ""), ("GRIDLINE_METRICS_BIND", &metrics_addr.to_string())],
    );
    assert_eq!(problem(closed.get("/metrics"), 404)["code"], "no_such_route");
    assert_eq!(problem(closed.get_as(common::METRICS_TOKEN, "/metrics"), 404)["code"], "no_such_route");
    let own = closed.client.get(format!("http://{metrics_addr}/metrics")).send().unwrap();
    assert_eq!(own.status(), 200);
    assert!(own.text().unwrap().contains("gridline_http_requests_total"));
    let api = closed.client.get(format!("http://{metrics_addr}/api/v1/categories")).send().unwrap();
    assert_eq!(api.status(), 404, "the metrics address serves only /metrics");
}

/// Point 9: Open311 built its URLs from `Host` and `X-Forwarded-*` sent by anyone, so
/// `media_url` came back as `javascript://evil2/...`. Now forwarded headers count only from a
/// trusted proxy, the scheme is only http or https, a host that is not a plain host is
/// replaced, and `GRIDLINE_PUBLIC_BASE_URL` overrides them all.
fn open311_urls_ignore_what_a_client_claims_about_the_server(backend: Backend) {
    let url_of = |server: &TestServer, headers: &[(&str, &str)]| -> String {
        let mut request = server.client.get(server.url("/open311/v2/discovery.json"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body: Value = request.send().unwrap().json().unwrap();
        body["endpoints"][0]["url"].as_str().unwrap().to_owned()
    };
    let forged = [
        ("x-forwarded-proto", "javascript"),
        ("x-forwarded-host", "evil2"),
        ("forwarded", "proto=javascript;host=evil3"),
    ];
    let server = TestServer::start(backend);
    let own = format!("http://{}/open311/v2", server.addr);
    assert_eq!(url_of(&server, &forged), own);
    assert_eq!(url_of(&server, &[("host", "evil\"><script>")]), own);

    let proxied = TestServer::start_with(backend, &[("GRIDLINE_TRUSTED_PROXIES", "127.0.0.1/32")]);
    let via_proxy = [("x-forwarded-proto", "https"), ("x-forwarded-host", "city.example.org:8443")];
    assert_eq!(url_of(&proxied, &via_proxy), "https://city.example.org:8443/open311/v2");
    assert_eq!(url_of(&proxied, &forged), "http://evil2/open311/v2", "a trusted proxy names the host");
    assert_eq!(
        url_of(&proxied, &[("x-forwarded-proto", "javascript"), ("x-forwarded-host", "a/b@evil")]),
        format!("http://{}/open311/v2", proxied.addr),
    );

    let configured =
        TestServer::start_with(backend, &[("GRIDLINE_PUBLIC_BASE_URL", "https://city.example.org/")]);
    assert_eq!(url_of(&configured, &forged), "https://city.example.org/open311/v2");
    assert_eq!(url_of(&configured, &via_proxy), "https://city.example.org/open311/v2");
}

/// Lesser point: answers carried no `X-Content-Type-Options: nosniff`, so a browser could
/// guess HTML from a photo's or a problem's bytes. Every kind of answer carries it now: JSON,
/// problems (404, 405, 401, 413), health, metrics, Open311 XML, a photo, the dashboard page.
fn every_answer_says_nosniff(backend: Backend) {
    let server = TestServer::start(backend);
    let citizen = server.citizen_token();
    let photo = server.upload_photo(&citizen);
    let answers = [
        server.get("/api/v1/categories"),
        server.get("/api/v1/no/such/route"),
        server.client.delete(server.url("/healthz")).send().unwrap(),
        server.get("/api/v1/me"),
        post_report_raw(&server, &citizen, "application/json", vec![b' '; 70_000]),
        server.get("/healthz"),
        server.get_as(common::METRICS_TOKEN, "/metrics"),
        server.get("/open311/v2/services.xml"),
        server.get_as(&citizen, &format!("/api/v1/photos/{photo}")),
        server.get("/dashboard"),
    ];
    for answer in answers {
        let what = format!("{} {}", answer.url().path(), answer.status());
        assert_eq!(
            answer.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{what}"
        );
    }
}

/// Lesser point: the SQLite files and the photo folder were created world-readable (0644 and
/// 0755). A server given folders that do not exist yet now creates them 0700, and the database
/// with its `-wal` and `-shm` files, the keys and every stored photo 0600.
#[cfg(unix)]
#[test]
fn data_files_and_folders_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let outside = tempfile::tempdir().unwrap();
    let base = outside.path().join("not-yet");
    let db_dir = base.join("db");
    let photo_dir = base.join("photos");
    let data_dir = base.join("data");
    let url = format!("sqlite://{}", db_dir.join("gridline.sqlite3").display());
    let server = TestServer::start_with(
        Backend::Sqlite,
        &[
            ("DATABASE_URL", &url),
            ("GRIDLINE_PHOTO_DIR", photo_dir.to_str().unwrap()),
            ("GRIDLINE_DATA_DIR", data_dir.to_str().unwrap()),
        ],
    );
    let citizen = server.citizen_token();
    server.upload_photo(&citizen);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    for dir in [&base, &db_dir, &photo_dir, &data_dir] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    for file in ["gridline.sqlite3", "gridline.sqlite3-wal", "gridline.sqlite3-shm"] {
        assert_eq!(mode(&db_dir.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&data_dir.join("jwt-secret")), 0o600);
    assert_eq!(mode(&data_dir.join("phone-key")), 0o600);
    let mut photos = 0;
    let mut folders = vec![photo_dir.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                folders.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                photos += 1;
            }
        }
    }
    assert!(photos > 0, "the uploaded photo is stored under {}", photo_dir.display());
}

/// Point 1: `GET /api/v1/cases/{id}` without a right to more returned the description of a
/// case in any state, while Open311 withheld it until registration. Now both show the one
/// public view: a reported or rejected report's words are withheld from anyone but its
/// reporter and staff (no token, another citizen, Open311 alike), and shown once registered.
fn the_public_case_view_is_what_open311_shows(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = common::demo_cells(12);
    server.import_grid(&admin, "310104", &cells);
    let (lat, lon) = common::point_in(&cells[1]);
    let citizen = server.citizen_token();
    let stranger = server.citizen_token();
    let words = "Call me on 13800138000, Wang Wei";
    let report = || {
        server.report_as(
            &citizen,
            &json!({ "category": "E0101", "description": words, "position": { "lat": lat, "lon": lon } }),
        )
    };
    let (reported, rejected, registered) = (report(), report(), report());
    let act = |receipt: &Value, body: Value| {
        server.step(&admin, receipt["id"].as_str().unwrap(), &body);
    };
    act(&rejected, json!({ "action": "reject", "reason": "not a city matter" }));
    act(&registered, json!({ "action": "register" }));
    let views = |receipt: &Value| -> Vec<Value> {
        let path = format!("/api/v1/cases/{}", receipt["id"].as_str().unwrap());
        let open311: Value = server
            .get(&format!("/open311/v2/requests/{}.json", receipt["tracking_number"].as_str().unwrap()))
            .json()
            .unwrap();
        vec![
            server.get(&path).json::<Value>().unwrap()["description"].clone(),
            server.get_as(&stranger, &path).json::<Value>().unwrap()["description"].clone(),
            open311[0]["description"].clone(),
        ]
    };
    assert_eq!(views(&reported), vec![Value::Null; 3], "a reported case's words");
    assert_eq!(views(&rejected), vec![Value::Null; 3], "a rejected case's words");
    assert_eq!(views(&registered), vec![json!(words); 3], "a registered case's words");
    let own: Value = server
        .get_as(&citizen, &format!("/api/v1/cases/{}", reported["id"].as_str().unwrap()))
        .json()
        .unwrap();
    assert_eq!(own["description"], words, "the reporter still sees its own words");
}

/// Point 2: `/duplicates` gave a reporter each candidate's id and its distance to 10 m, so three
/// probe reports placed an anonymous report within 5 m (and its id leaked to another citizen).
/// Now a probe's reporter sees no id and only a distance band, and nothing beyond the
/// category's duplicate radius (250 m for E0101).
fn duplicates_do_not_locate_or_name_other_reports(backend: Backend) {
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = common::demo_cells(12);
    server.import_grid(&admin, "310104", &cells);
    let target_spot = common::point_in(&cells[1]);
    let report = |token: &str, (lat, lon): (f64, f64), anonymous: bool| {
        server.report_as(
            token,
            &json!({ "category": "E0101", "description": "Bin overflowing", "position": { "lat": lat, "lon": lon }, "anonymous": anonymous }),
        )
    };
    let victim = server.citizen_token();
    let target = report(&victim, target_spot, true);
    let target_id = target["id"].as_str().unwrap();
    let attacker = server.citizen_token();
    let mut bands = Vec::new();
    for (north, east) in [(37.0, 0.0), (0.0, 41.0), (-23.0, -29.0), (300.0, 0.0)] {
        let probe = report(&attacker, crate::duplicates::offset(target_spot, north, east), false);
        let answer =
            server.get_as(&attacker, &format!("/api/v1/cases/{}/duplicates", probe["id"].as_str().unwrap()));
        assert_eq!(answer.status(), 200);
        let text = answer.text().unwrap();
        assert!(!text.contains(target_id), "the target's id leaked: {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        let found: Vec<&Value> = body["duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["tracking_number"] == target["tracking_number"])
            .collect();
        assert!(found.iter().all(|d| d.get("distance_m").is_none() && d.get("id").is_none()), "{text}");
        bands.push(found.first().map(|d| d["distance_band_m"].clone()));
    }
    assert_eq!(bands, vec![Some(json!(50.0)), Some(json!(50.0)), Some(json!(50.0)), None]);
}

/// Point 4: a handler's after-photo could be read only by the handler, since step photos live in
/// the events and the photo check looked only at the report's own photos; the inspector who
/// must verify the fix could not see it. Now everyone who may read the case's staff view may
/// read its step photos; the reporter reads the after-photo of their own report and nothing
/// else of the steps.
fn step_photos_are_readable_by_the_cases_staff(backend: Backend) {
    use gridline_core::codes::{AreaCode, GridCode};
    use gridline_core::workflow::Role;
    use gridline_server::auth::Scope;
    let server = TestServer::start(backend);
    let admin = server.admin_token();
    let cells = common::two_street_cells(20);
    server.import_grid(&admin, "310104", &cells);
    let (cell, elsewhere) = (&cells[1], &cells[cells.len() - 1]);
    let (lat, lon) = common::point_in(cell);
    let street = |c: &gridline_core::grid::GridCell| AreaCode::parse(&c.code.to_string()[..9]).unwrap();
    let grid = |c: &gridline_core::grid::GridCell| GridCode::parse(&c.code.to_string()).unwrap();
    let dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street: street(cell) });
    let handler = server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() });
    let inspector = server.staff_token(Role::Inspector, Scope::Grids { grids: [grid(cell)].into() });
    let other_inspector =
        server.staff_token(Role::Inspector, Scope::Grids { grids: [grid(elsewhere)].into() });
    let other_dispatcher = server.staff_token(Role::Dispatcher, Scope::Street { street: street(elsewhere) });
    let citizen = server.citizen_token();
    let receipt = server.report_as(
        &citizen,
        &json!({ "category": "E0101", "description": "Bin overflowing", "position": { "lat": lat, "lon": lon } }),
    );
    let id = receipt["id"].as_str().unwrap();
    server.step(&dispatcher, id, &json!({ "action": "register" }));
    server.step(&dispatcher, id, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    server.step(&handler, id, &json!({ "action": "accept" }));
    let after = server.upload_photo(&handler);
    server.step(&handler, id, &json!({ "action": "mark_handled", "photo_ids": [after] }));
    let status = |token: &str| server.get_as(token, &format!("/api/v1/photos/{after}")).status().as_u16();
    assert_eq!(status(&handler), 200, "the handler who took it");
    assert_eq!(status(&inspector), 200, "the inspector who must verify the fix");
    assert_eq!(status(&dispatcher), 200, "the street office");
    assert_eq!(status(&admin), 200);
    assert_eq!(status(&other_inspector), 404, "an inspector of another grid");
    assert_eq!(status(&other_dispatcher), 404, "another street's office");
    assert_eq!(status(&citizen), 200, "the reporter sees the fix on their own report");
    assert_eq!(status(&server.citizen_token()), 404, "another citizen");
    // An inspector's photo of the check stays with the staff, the reporter included.
    let check = server.upload_photo(&inspector);
    server.step(
        &inspector,
        id,
        &json!({ "action": "verify_pass", "photo_ids": [check], "position": { "lat": lat, "lon": lon } }),
    );
    let status = |token: &str| server.get_as(token, &format!("/api/v1/photos/{check}")).status().as_u16();
    assert_eq!(status(&dispatcher), 200, "the street office sees the check");
    assert_eq!(status(&citizen), 404, "the reporter does not see the inspector's check");
}

both_backends!(
    step_photos_are_readable_by_the_cases_staff,
    duplicates_do_not_locate_or_name_other_reports,
    the_public_case_view_is_what_open311_shows,
    every_answer_says_nosniff,
    open311_urls_ignore_what_a_client_claims_about_the_server,
    metrics_labels_are_bounded_and_metrics_need_a_token,
    a_trickled_body_is_cut_off_at_the_request_deadline,
    corpus_reports_and_photos_are_refused_and_store_nothing,
    hostile_but_valid_text_is_stored_verbatim,
    photos_with_absurd_exif_are_kept_without_it,
    hostile_strings_in_every_parameter,
);
