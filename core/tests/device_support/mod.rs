//! Test support for the device core: a small Gridline-like HTTP server on a real loopback
//! socket (std::net, one thread per connection), with idempotency by key, tokens and refresh,
//! case actions with 409 conflicts, and injectable faults (connections dropped before or after
//! the server commits, 5xx, 429 with Retry-After). Plus helpers to build devices and drafts.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use gridline_core::device::{BackoffPolicy, Device, DeviceConfig, DraftFields, HttpTransport, Position};
use gridline_core::geo::Crs;
use gridline_core::photo::{PhotoOptions, PreparedPhoto, prepare};
use gridline_core::taxonomy::{AnswerValue, Taxonomy};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A fault injected into the handling of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Read the request, then close the connection without acting on it.
    DropBeforeCommit,
    /// Act on the request (commit), then close the connection without answering.
    DropAfterCommit,
    /// Answer with this status and a problem body, without acting.
    Status(u16),
    /// Answer 429 with `Retry-After: seconds`.
    TooMany { retry_after_secs: u64 },
}

/// A report as the server recorded it.
#[derive(Debug, Clone)]
pub struct ServerReport {
    pub id: String,
    pub description: String,
    pub photo_ids: Vec<String>,
    pub body: Value,
}

#[derive(Default)]
pub struct ServerState {
    /// photo id -> SHA-256 of the uploaded bytes.
    pub photos: HashMap<String, String>,
    photo_keys: HashMap<String, String>,
    report_keys: HashMap<String, String>,
    pub reports: Vec<ServerReport>,
    action_keys: HashMap<String, String>,
    /// case id -> actions in the order they were recorded.
    pub case_actions: HashMap<String, Vec<String>>,
    /// Cases whose actions are refused with 409 and this current state.
    pub conflicts: HashMap<String, String>,
    /// Scripted faults: the first whose path prefix matches a request is used up by it.
    pub scripted: VecDeque<(String, Fault)>,
    /// Random faults: (probability per request, xorshift state).
    pub random_faults: Option<(f64, u64)>,
    /// When set, every API call must carry `Bearer <token>`.
    pub access_token: Option<String>,
    pub refresh_token: String,
    pub refresh_calls: u32,
    pub dropped_before_commit: u32,
    pub dropped_after_commit: u32,
    pub requests: u32,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<ServerState>>,
    stop: Arc<AtomicBool>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

impl TestServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ServerState { refresh_token: "r0".into(), ..Default::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let (state2, stop2) = (state.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = state2.clone();
                thread::spawn(move || handle(stream, &state));
            }
        });
        Self { addr, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.state.lock().unwrap()
    }

    pub fn script(&self, path_prefix: &str, fault: Fault) {
        self.state().scripted.push_back((path_prefix.to_owned(), fault));
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path, headers, body })
}

struct Response {
    status: u16,
    body: Value,
    extra_headers: Vec<(String, String)>,
}

fn respond(mut stream: TcpStream, response: Response) {
    let body = serde_json::to_vec(&response.body).unwrap();
    let content_type = if response.status >= 400 { "application/problem+json" } else { "application/json" };
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        response.status,
        body.len()
    );
    for (name, value) in &response.extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

fn problem(status: u16, code: &str, field: Option<&str>, detail: &str) -> Response {
    let mut body =
        json!({ "type": "about:blank", "title": code, "status": status, "code": code, "detail": detail });
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    Response { status, body, extra_headers: vec![] }
}

fn ok(status: u16, body: Value) -> Response {
    Response { status, body, extra_headers: vec![] }
}

fn choose_fault(state: &mut ServerState, path: &str) -> Option<Fault> {
    if let Some(index) = state.scripted.iter().position(|(prefix, _)| path.starts_with(prefix.as_str())) {
        return state.scripted.remove(index).map(|(_, fault)| fault);
    }
    let (rate, seed) = state.random_faults.as_mut()?;
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    };
    if next() >= *rate {
        return None;
    }
    Some(match (next() * 3.0) as u32 {
        0 => Fault::DropBeforeCommit,
        1 => Fault::DropAfterCommit,
        _ => Fault::Status(503),
    })
}

fn handle(stream: TcpStream, state: &Mutex<ServerState>) {
    let Some(request) = read_request(&stream) else { return };
    let fault = {
        let mut s = state.lock().unwrap();
        s.requests += 1;
        if request.path == "/api/v1/auth/refresh" { None } else { choose_fault(&mut s, &request.path) }
    };
    match fault {
        Some(Fault::DropBeforeCommit) => {
            state.lock().unwrap().dropped_before_commit += 1;
            return;
        }
        Some(Fault::Status(status)) => {
            return respond(stream, problem(status, "unavailable", None, "try later"));
        }
        Some(Fault::TooMany { retry_after_secs }) => {
            let mut response = problem(429, "rate_limited", None, "slow down");
            response.extra_headers.push(("Retry-After".into(), retry_after_secs.to_string()));
            return respond(stream, response);
        }
        Some(Fault::DropAfterCommit) | None => {}
    }
    let response = route(&request, state);
    if fault == Some(Fault::DropAfterCommit) {
        state.lock().unwrap().dropped_after_commit += 1;
        return;
    }
    respond(stream, response);
}

fn route(request: &Request, state: &Mutex<ServerState>) -> Response {
    if request.method != "POST" {
        return problem(405, "method_not_allowed", None, "POST only");
    }
    if request.path == "/api/v1/auth/refresh" {
        return refresh(request, state);
    }
    {
        let s = state.lock().unwrap();
        if let Some(token) = &s.access_token
            && request.headers.get("authorization") != Some(&format!("Bearer {token}"))
        {
            return problem(401, "unauthorized", None, "sign in");
        }
    }
    let Some(key) = request.headers.get("idempotency-key").cloned() else {
        return problem(400, "idempotency_key_required", None, "send an Idempotency-Key");
    };
    if request.path == "/api/v1/photos" {
        photo(request, &key, state)
    } else if request.path == "/api/v1/reports" {
        report(request, &key, state)
    } else if let Some(case_id) =
        request.path.strip_prefix("/api/v1/cases/").and_then(|p| p.strip_suffix("/actions"))
    {
        case_action(request, case_id, &key, state)
    } else {
        problem(404, "not_found", None, "no such route")
    }
}

fn refresh(request: &Request, state: &Mutex<ServerState>) -> Response {
    // Widen the window in which concurrent refreshes would overlap.
    thread::sleep(Duration::from_millis(50));
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let mut s = state.lock().unwrap();
    s.refresh_calls += 1;
    if body["refresh_token"].as_str() != Some(s.refresh_token.as_str()) {
        return problem(401, "refresh_token_invalid", None, "sign in again");
    }
    let n = s.refresh_calls;
    s.access_token = Some(format!("a{n}"));
    s.refresh_token = format!("r{n}");
    ok(200, json!({ "access_token": format!("a{n}"), "refresh_token": format!("r{n}"), "expires_in": 900 }))
}

fn photo(request: &Request, key: &str, state: &Mutex<ServerState>) -> Response {
    let body = &request.body;
    let Some(start) = body.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4) else {
        return problem(400, "multipart_invalid", Some("photo"), "no part");
    };
    let Some(end) = body.windows(4).rposition(|w| w == b"\r\n--") else {
        return problem(400, "multipart_invalid", Some("photo"), "no closing boundary");
    };
    let jpeg = &body[start..end];
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return problem(415, "unsupported_media_type", Some("photo"), "not a JPEG");
    }
    let sha = hex::encode(Sha256::digest(jpeg));
    let mut s = state.lock().unwrap();
    let id = match s.photo_keys.get(key) {
        Some(id) => id.clone(),
        None => {
            let id = format!("p{}", s.photos.len() + 1);
            s.photos.insert(id.clone(), sha.clone());
            s.photo_keys.insert(key.to_owned(), id.clone());
            id
        }
    };
    let sha = s.photos[&id].clone();
    ok(201, json!({ "id": id, "sha256": sha }))
}

fn report(request: &Request, key: &str, state: &Mutex<ServerState>) -> Response {
    let body: Value = match serde_json::from_slice(&request.body) {
        Ok(body) => body,
        Err(_) => return problem(400, "json_invalid", None, "not JSON"),
    };
    let description = body["description"].as_str().unwrap_or_default().to_owned();
    let photo_ids: Vec<String> = body["photo_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let mut s = state.lock().unwrap();
    if let Some(id) = s.report_keys.get(key) {
        return ok(200, json!({ "id": id, "tracking_number": format!("T-{id}") }));
    }
    if description.starts_with("server-rejects") {
        return problem(422, "invalid_field", Some("description"), "the description is not acceptable");
    }
    if let Some(missing) = photo_ids.iter().find(|id| !s.photos.contains_key(*id)) {
        return problem(422, "unknown_photo", Some("photo_ids"), &format!("no photo {missing}"));
    }
    let id = format!("case-{}", s.reports.len() + 1);
    s.reports.push(ServerReport { id: id.clone(), description, photo_ids, body });
    s.report_keys.insert(key.to_owned(), id.clone());
    ok(201, json!({ "id": id, "tracking_number": format!("T-{id}") }))
}

fn case_action(request: &Request, case_id: &str, key: &str, state: &Mutex<ServerState>) -> Response {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let mut s = state.lock().unwrap();
    if let Some(id) = s.action_keys.get(key) {
        return ok(200, json!({ "event_id": id }));
    }
    if let Some(current) = s.conflicts.get(case_id) {
        let mut response = problem(409, "not_from_state", None, "the case has moved on");
        response.body["current_state"] = json!(current);
        return response;
    }
    let action = body["action"].as_str().unwrap_or_default().to_owned();
    let photos = body["photo_ids"].as_array().map_or(0, Vec::len);
    let list = s.case_actions.entry(case_id.to_owned()).or_default();
    list.push(format!("{action}/{photos}"));
    let id = format!("{case_id}-event-{}", list.len());
    s.action_keys.insert(key.to_owned(), id.clone());
    ok(201, json!({ "event_id": id }))
}

/// Fast backoff for tests: the first retry within a millisecond, never more than 20 ms.
pub const FAST_BACKOFF: BackoffPolicy =
    BackoffPolicy { base: Duration::from_millis(1), max: Duration::from_millis(20) };

pub fn open_device(folder: &Path, server_url: &str) -> Device {
    let config =
        DeviceConfig { folder: folder.to_owned(), server_url: server_url.to_owned(), backoff: FAST_BACKOFF };
    Device::open(config, Arc::new(HttpTransport::default()), Taxonomy::default_taxonomy().unwrap()).unwrap()
}

/// A prepared photo from a small generated JPEG (distinct per `seed`).
pub fn sample_photo(seed: u8) -> PreparedPhoto {
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([seed, (x * 4) as u8, (y * 5) as u8]));
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    prepare(&jpeg, &PhotoOptions::default()).unwrap()
}

/// Fields of a report that passes the default taxonomy (C0103 asks no questions).
pub fn valid_fields(description: &str) -> DraftFields {
    DraftFields {
        category: Some("C0103".into()),
        description: description.to_owned(),
        position: Some(Position { lat: 39.9087, lon: 116.3975, crs: Crs::Wgs84, accuracy_m: Some(8.0) }),
        captured_at: None,
        answers: Default::default(),
        anonymous: false,
    }
}

/// A valid C0101 (manhole cover) answer set.
pub fn cover_answers(state: &str) -> gridline_core::taxonomy::Answers {
    [("cover_state".to_owned(), AnswerValue::One(state.to_owned()))].into_iter().collect()
}

/// Create a valid draft with `photos` photos and submit it; returns the outbox item id.
pub fn submit_report(device: &Device, description: &str, photos: &[PreparedPhoto]) -> String {
    let draft = device.store().create_draft(&valid_fields(description)).unwrap();
    for photo in photos {
        device.store().add_photo(&draft.id, photo).unwrap();
    }
    device.submit(&draft.id).unwrap().id
}

pub fn unique_set<T: std::hash::Hash + Eq + Clone>(items: &[T]) -> HashSet<T> {
    items.iter().cloned().collect()
}
