//! Graceful shutdown of the real `gridline serve` process, on both backends: requests that are
//! in flight when SIGTERM arrives (a photo upload and report intakes whose bodies are only half
//! sent) still complete with success, every report the server acknowledged is in the
//! database, and the process exits with status 0 on its own.
//!
//! The half-sent requests go over raw TCP so the test decides exactly when they finish: after
//! the signal, once the server has stopped accepting connections.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gridline_server::store::{Db, cases};
use serde_json::{Value, json};

use crate::common::{Backend, FreshPgDatabase};
use crate::device_support::sample_photo;

/// The shutdown timeout given to the server; the test waits this long plus a margin for the
/// process to exit, so a shutdown that hangs fails instead of blocking the suite.
const SHUTDOWN_TIMEOUT_SECS: u64 = 20;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An HTTP/1.1 request whose body is sent in two halves, with a pause chosen by the test.
struct HalfSent {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl HalfSent {
    fn start(port: u16, head: &str, body: Vec<u8>) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let head = format!("{head}content-length: {}\r\nconnection: close\r\n\r\n", body.len());
        stream.write_all(head.as_bytes()).unwrap();
        let half = body.len() / 2;
        stream.write_all(&body[..half]).unwrap();
        stream.flush().unwrap();
        Self { stream, rest: body[half..].to_vec() }
    }

    /// Sends the rest of the body; the status and JSON body of the answer.
    fn finish(mut self) -> (u16, Value) {
        self.stream.write_all(&self.rest).unwrap();
        let mut answer = Vec::new();
        self.stream.read_to_end(&mut answer).unwrap();
        let text = String::from_utf8_lossy(&answer);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }
}

fn report_json() -> Vec<u8> {
    json!({
        "category": "E0101",
        "description": "Overflowing rubbish bin next to the bus stop",
        "position": { "lat": 31.2304, "lon": 121.4737, "crs": "wgs84", "accuracy_m": 8.0 },
    })
    .to_string()
    .into_bytes()
}

fn report_head(token: &str) -> String {
    format!(
        "POST /api/v1/reports HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {token}\r\n\
         idempotency-key: {}\r\ncontent-type: application/json\r\n",
        uuid::Uuid::now_v7()
    )
}

fn photo_request(token: &str) -> (String, Vec<u8>) {
    let boundary = "gridline-shutdown-test";
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n\
         content-type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&sample_photo(5).bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST /api/v1/photos HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {token}\r\n\
         content-type: multipart/form-data; boundary={boundary}\r\n"
    );
    (head, body)
}

/// Waits for the process to exit (at most the shutdown timeout plus a margin).
fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the server did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn in_flight_requests_finish_and_acknowledged_reports_are_kept(backend: Backend) {
    let data = tempfile::tempdir().unwrap();
    let pg = (backend == Backend::Postgres).then(FreshPgDatabase::create);
    let database_url = match &pg {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}", data.path().join("gridline.sqlite3").display()),
    };
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridline"))
        .arg("serve")
        .env("GRIDLINE_BIND", format!("127.0.0.1:{port}"))
        .env("GRIDLINE_DATA_DIR", data.path())
        .env("DATABASE_URL", &database_url)
        .env("GRIDLINE_DEMO_SEED", "false")
        .env("GRIDLINE_WORKERS", "2")
        .env("GRIDLINE_DB_POOL_SIZE", "4")
        .env("GRIDLINE_LOG", "warn")
        .env("GRIDLINE_SHUTDOWN_TIMEOUT_SECS", SHUTDOWN_TIMEOUT_SECS.to_string())
        // One citizen account files every report here: the per-account limit is not under test.
        .env("GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR", "0")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // No connection pool: an idle keep-alive connection would only delay the shutdown.
    let client = reqwest::blocking::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let up = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        client.get(format!("{base}/healthz")).send().is_ok_and(|r| r.status() == 200)
    });
    assert!(up, "the server did not start");
    let answer: Value = client.post(format!("{base}/api/v1/auth/anonymous")).send().unwrap().json().unwrap();
    let token = answer["access_token"].as_str().unwrap().to_owned();

    // Requests in flight: a photo upload and three reports, each with half its body sent.
    let (photo_head, photo_body) = photo_request(&token);
    let photo = HalfSent::start(port, &photo_head, photo_body);
    let reports: Vec<HalfSent> =
        (0..3).map(|_| HalfSent::start(port, &report_head(&token), report_json())).collect();

    // Meanwhile, clients keep reporting until the server stops answering.
    let stop = AtomicBool::new(false);
    let (acknowledged, in_flight) = std::thread::scope(|scope| {
        let senders: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let mut ids = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let sent = client
                            .post(format!("{base}/api/v1/reports"))
                            .bearer_auth(&token)
                            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
                            .header("content-type", "application/json")
                            .body(report_json())
                            .send();
                        match sent {
                            Ok(r) if r.status() == 201 => {
                                ids.push(r.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned());
                            }
                            Ok(r) => panic!("a report was refused during shutdown: {}", r.status()),
                            // Refused or cut before an answer: not acknowledged, may be retried.
                            Err(_) => std::thread::sleep(Duration::from_millis(5)),
                        }
                    }
                    ids
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        // Shutdown has begun once the listener refuses new connections.
        let closed = (0..400).any(|_| {
            std::thread::sleep(Duration::from_millis(25));
            TcpStream::connect(("127.0.0.1", port)).is_err()
        });
        assert!(closed, "the server kept accepting connections after SIGTERM");
        std::thread::sleep(Duration::from_millis(300));
        // Only now do the in-flight requests send the rest of their bodies.
        let photo = photo.finish();
        let reports: Vec<(u16, Value)> = reports.into_iter().map(HalfSent::finish).collect();
        stop.store(true, Ordering::Relaxed);
        let acknowledged: Vec<String> = senders.into_iter().flat_map(|s| s.join().unwrap()).collect();
        (acknowledged, (photo, reports))
    });
    let (photo, reports) = in_flight;
    assert_eq!(photo.0, 201, "in-flight photo upload: {photo:?}");
    assert!(photo.1["id"].is_string());
    let mut kept = acknowledged;
    for (status, body) in &reports {
        assert_eq!(*status, 201, "in-flight report: {body}");
        kept.push(body["id"].as_str().unwrap().to_owned());
    }

    let status = wait_exit(&mut child);
    assert!(status.success(), "exit status after SIGTERM: {status}");

    // Every acknowledged report is in the database.
    let db = Db::connect(&database_url, 1, Duration::from_secs(10)).unwrap();
    let mut conn = db.get().unwrap();
    let missing: Vec<&String> =
        kept.iter().filter(|id| cases::find(&mut conn, id.parse().unwrap()).unwrap().is_none()).collect();
    assert!(missing.is_empty(), "acknowledged but not stored: {missing:?} of {}", kept.len());
    drop(conn);
    drop(db);
    drop(pg);
}

crate::both_backends!(in_flight_requests_finish_and_acknowledged_reports_are_kept);
