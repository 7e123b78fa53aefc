//! Faults the server must survive while it keeps serving, on both backends: a photo store that
//! cannot be written (a clear 503, nothing half-saved, reports without photos still filed, and
//! the same upload succeeding once the store is back), and slow or oversized clients (senders
//! of a request head one byte at a time, 100 MB bodies) that must not stop others being served.
//! The server-killed and database-restarted faults need real processes: `scripts/fault-kill`
//! and `scripts/fault-pg-restart`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::{QueryDsl, RunQueryDsl};
use gridline_server::store::Db;
use gridline_server::store::schema::{photo_uploads, photos};
use reqwest::blocking::Response;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, demo_cells, point_in, problem};
use crate::device_support::sample_photo;

/// Generous: the bound on "still answered", not a speed figure.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

fn upload(server: &TestServer, token: &str, key: &str, jpeg: &[u8]) -> Response {
    let part = reqwest::blocking::multipart::Part::bytes(jpeg.to_vec())
        .file_name("photo.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let form = reqwest::blocking::multipart::Form::new().part("photo", part);
    server
        .client
        .post(server.url("/api/v1/photos"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .timeout(CLIENT_TIMEOUT)
        .multipart(form)
        .send()
        .unwrap()
}

/// Rows in `photos` and in `photo_uploads`.
fn photo_rows(server: &TestServer) -> (i64, i64) {
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let mut conn = db.get().unwrap();
    (
        photos::table.count().get_result(&mut *conn).unwrap(),
        photo_uploads::table.count().get_result(&mut *conn).unwrap(),
    )
}

/// Imports a small grid; a point inside it.
fn grid_point(server: &TestServer) -> (f64, f64) {
    let cells = demo_cells(4);
    server.import_grid(&server.admin_token(), "310104", &cells);
    point_in(&cells[1])
}

fn report_body((lat, lon): (f64, f64), photo_ids: &[&str]) -> Value {
    json!({
        "category": "E0101",
        "description": "Overflowing rubbish bin next to the bus stop",
        "position": { "lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 8.0 },
        "photo_ids": photo_ids,
    })
}

fn unwritable_photo_store_is_a_clear_503_and_saves_nothing(backend: Backend) {
    let server = TestServer::start(backend);
    let citizen = server.citizen_token();
    let point = grid_point(&server);
    // A regular file where the photo folder was: unlike a read-only folder (which root, as in
    // CI, writes anyway), no process can create the photo's file under it.
    let folder = server.data_dir.path().join("photos");
    if folder.exists() {
        std::fs::remove_dir_all(&folder).unwrap();
    }
    std::fs::write(&folder, b"not a folder").unwrap();

    let jpeg = sample_photo(3).bytes;
    let key = uuid::Uuid::now_v7().to_string();
    let response = upload(&server, &citizen, &key, &jpeg);
    assert!(response.headers().get("retry-after").is_some(), "503 without Retry-After");
    let body = problem(response, 503);
    assert_eq!(body["code"], "unavailable");
    assert_eq!(photo_rows(&server), (0, 0), "a failed upload left rows behind");

    // Reports without photos do not need the store.
    let case = server.report_as(&citizen, &report_body(point, &[]));
    assert_eq!(case["state"], "reported", "{case}");

    // Once the store is back, the phone's retry of the same upload (same key) succeeds: the
    // failure recorded nothing under the key.
    std::fs::remove_file(&folder).unwrap();
    let response = upload(&server, &citizen, &key, &jpeg);
    assert_eq!(response.status(), 201);
    let photo: Value = response.json().unwrap();
    assert_eq!(photo_rows(&server), (1, 1));
    let id = photo["id"].as_str().unwrap();
    let with_photo = server.report_as(&citizen, &report_body(point, &[id]));
    assert!(with_photo["id"].is_string(), "{with_photo}");
}

#[test]
fn unwritable_photo_store_sqlite() {
    unwritable_photo_store_is_a_clear_503_and_saves_nothing(Backend::Sqlite);
}

#[test]
fn unwritable_photo_store_postgres() {
    unwritable_photo_store_is_a_clear_503_and_saves_nothing(Backend::Postgres);
}

/// How one slow sender's connections ended.
#[derive(Default)]
struct SlowSender {
    /// Connections the server closed before their head was complete.
    cut: usize,
    /// Connections whose whole head got through (the server waited for it).
    completed: usize,
}

/// Opens connections that send a request head one byte every 20 ms (a 400-byte head would take
/// 8 s), reconnecting each time the server closes one, until `stop`; the connection open at
/// `stop` is dribbled on until it ends too.
fn slow_sender(addr: SocketAddr, stop: Arc<AtomicBool>) -> SlowSender {
    let mut head = b"GET /api/v1/categories HTTP/1.1\r\nHost: gridline\r\nX-Slow: ".to_vec();
    head.resize(398, b'a');
    head.extend_from_slice(b"\r\n\r\n");
    let mut outcome = SlowSender::default();
    loop {
        let mut stream = TcpStream::connect(addr).unwrap();
        let cut = head.iter().any(|byte| {
            std::thread::sleep(Duration::from_millis(20));
            stream.write_all(&[*byte]).is_err()
        });
        if cut {
            outcome.cut += 1
        } else {
            outcome.completed += 1
        }
        if stop.load(Ordering::Relaxed) {
            return outcome;
        }
    }
}

/// Sends a head announcing a 100 MB body, then `start` and the rest of the body in 64 KiB pieces
/// until the server stops taking it; the status line of its answer.
fn huge_body(addr: SocketAddr, path: &str, content_type: &str, start: &[u8], token: &str) -> String {
    const SIZE: usize = 100 * 1024 * 1024;
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: gridline\r\nAuthorization: Bearer {token}\r\n\
         Idempotency-Key: {}\r\nContent-Type: {content_type}\r\nContent-Length: {SIZE}\r\n\r\n",
        uuid::Uuid::now_v7()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(start).unwrap();
    let piece = vec![b'['; 64 * 1024];
    for _ in 0..SIZE / piece.len() {
        if stream.write_all(&piece).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

fn slow_clients_and_huge_bodies_do_not_stop_others(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_CLIENT_REQUEST_TIMEOUT_MS", "1000")]);
    let citizen = server.citizen_token();
    let body = report_body(grid_point(&server), &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..64)
        .map(|_| {
            let (addr, stop) = (server.addr, stop.clone());
            std::thread::spawn(move || slow_sender(addr, stop))
        })
        .collect();
    let photo_part: &[u8] =
        b"--x\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
    let huge: Vec<_> = [
        ("/api/v1/reports", "application/json", &b""[..]),
        ("/api/v1/photos", "multipart/form-data; boundary=x", photo_part),
    ]
    .into_iter()
    .map(|(path, content_type, start)| {
        let (addr, token) = (server.addr, citizen.clone());
        std::thread::spawn(move || (path, huge_body(addr, path, content_type, start, &token)))
    })
    .collect();

    // Others are served throughout: reads and intake, each within the client's timeout.
    for round in 0..30 {
        let health = server.client.get(server.url("/healthz")).timeout(CLIENT_TIMEOUT).send();
        assert_eq!(health.map(|r| r.status().as_u16()).ok(), Some(200), "health check {round}");
        let filed = server
            .client
            .post(server.url("/api/v1/reports"))
            .bearer_auth(&citizen)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .timeout(CLIENT_TIMEOUT)
            .json(&body)
            .send();
        assert_eq!(filed.map(|r| r.status().as_u16()).ok(), Some(201), "report {round}");
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);

    for (path, answer) in huge.into_iter().map(|t| t.join().unwrap()) {
        assert!(answer.starts_with("HTTP/1.1 413"), "100 MB body to {path} answered {answer:?}");
    }
    let outcomes: Vec<SlowSender> = senders.into_iter().map(|t| t.join().unwrap()).collect();
    let completed: usize = outcomes.iter().map(|o| o.completed).sum();
    assert_eq!(completed, 0, "the server waited for a whole slow head");
    assert!(outcomes.iter().all(|o| o.cut > 0));
}

#[test]
fn slow_clients_and_huge_bodies_sqlite() {
    slow_clients_and_huge_bodies_do_not_stop_others(Backend::Sqlite);
}

#[test]
fn slow_clients_and_huge_bodies_postgres() {
    slow_clients_and_huge_bodies_do_not_stop_others(Backend::Postgres);
}
