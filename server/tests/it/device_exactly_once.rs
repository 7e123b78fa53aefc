//! The device core against the real server: several devices, each with its own store, file
//! reports with photos through a TCP proxy that drops connections before the request reaches
//! the server and after the server has committed but before the answer arrives. Every report
//! must then exist on the server exactly once, with every photo attached and intact.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::device_support;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Backend, TestServer, demo_cells, point_in};
use device_support::{case_count, keep_tokens, open_device, sample_photo};
use gridline_core::device::{Device, DraftFields, ItemStatus, Position, SyncOutcome};
use gridline_core::geo::Crs;
use gridline_core::photo::{PhotoOptions, PreparedPhoto, prepare};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Pass,
    /// Close the client's connection without forwarding the request.
    DropBeforeServer,
    /// Forward the request, read the whole answer, then close the client's connection.
    DropAfterCommit,
}

#[derive(Default)]
struct ProxyLog {
    /// (path, fault) for every request seen.
    requests: Vec<(String, Fault)>,
}

impl ProxyLog {
    fn count(&self, path: &str, fault: Fault) -> usize {
        self.requests.iter().filter(|(p, f)| p == path && *f == fault).count()
    }
}

/// A one-request-per-connection HTTP proxy on a loopback socket that injects [`Fault`]s into
/// POSTs: the first two POSTs to each of `/api/v1/photos` and `/api/v1/reports` get one fault
/// of each kind, later ones a random fault with probability `drop_rate`.
struct FaultyProxy {
    addr: SocketAddr,
    log: Arc<Mutex<ProxyLog>>,
    stop: Arc<AtomicBool>,
}

impl FaultyProxy {
    fn start(upstream: SocketAddr, drop_rate: f64, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(ProxyLog::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        let (log_in, stop_in) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop_in.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let (log, rng) = (log_in.clone(), rng.clone());
                std::thread::spawn(move || relay(client, upstream, &log, &rng, drop_rate));
            }
        });
        Self { addr, log, stop }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one request (head and `Content-Length` body); `None` when the client closed first.
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "the device sends a length");
    let length: usize = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("content-length")))
        .map_or(0, |(_, v)| v.trim().parse().unwrap());
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[head_end..head_end + length].to_vec();
    Some((head, body))
}

/// The request head with `Connection: close`, so the server ends the exchange after answering
/// and the proxy can read the answer to the end.
fn closing_head(head: &str) -> String {
    let mut out = String::new();
    for line in head.trim_end().split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    log: &Mutex<ProxyLog>,
    rng: &Mutex<StdRng>,
    drop_rate: f64,
) {
    let Some((head, body)) = read_request(&mut client) else { return };
    let mut words = head.split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let fault = {
        let mut log = log.lock().unwrap();
        let seen = log.requests.iter().filter(|(p, _)| *p == path).count();
        let fault = match (method, seen) {
            ("POST", 0) => Fault::DropAfterCommit,
            ("POST", 1) => Fault::DropBeforeServer,
            ("POST", _) => {
                let roll: f64 = rng.lock().unwrap().random();
                if roll < drop_rate / 2.0 {
                    Fault::DropBeforeServer
                } else if roll < drop_rate {
                    Fault::DropAfterCommit
                } else {
                    Fault::Pass
                }
            }
            _ => Fault::Pass,
        };
        log.requests.push((path, fault));
        fault
    };
    if fault == Fault::DropBeforeServer {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let mut server = TcpStream::connect(upstream).unwrap();
    server.write_all(closing_head(&head).as_bytes()).unwrap();
    server.write_all(&body).unwrap();
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).unwrap();
    if fault == Fault::Pass {
        let _ = client.write_all(&answer);
    }
    let _ = client.shutdown(Shutdown::Both);
}

/// The SHA-256 the server keeps for a photo: it prepares the uploaded JPEG once more.
fn server_sha256(photo: &PreparedPhoto) -> String {
    prepare(&photo.bytes, &PhotoOptions::default()).unwrap().sha256
}

/// Signs in an anonymous device account directly (not through the proxy) and keeps the tokens
/// in the device's session, as the app does after sign-in.
fn sign_in(server: &TestServer, device: &Device) -> String {
    let response = server.client.post(server.url("/api/v1/auth/anonymous")).send().unwrap();
    assert_eq!(response.status(), 201);
    keep_tokens(device, &response.json().unwrap())
}

fn every_report_exists_once_with_its_photos_through_a_dropping_proxy(backend: Backend) {
    let server = TestServer::start(backend);
    let cells = demo_cells(30);
    server.import_grid(&server.admin_token(), "310104", &cells);
    let proxy = FaultyProxy::start(server.addr, 0.4, 0x5EED);

    let devices = 4;
    let reports_per_device = 4;
    let photos: Vec<PreparedPhoto> = (0..3).map(sample_photo).collect();
    let folders: Vec<_> = (0..devices).map(|_| tempfile::tempdir().unwrap()).collect();
    let opened: Vec<(Device, String)> = folders
        .iter()
        .map(|folder| {
            let device = open_device(folder.path(), &proxy.url());
            let token = sign_in(&server, &device);
            (device, token)
        })
        .collect();

    std::thread::scope(|scope| {
        for (d, (device, _)) in opened.iter().enumerate() {
            let (cells, photos) = (&cells, &photos);
            scope.spawn(move || {
                for r in 0..reports_per_device {
                    let (lat, lon) = point_in(&cells[(d * reports_per_device + r) % cells.len()]);
                    let fields = DraftFields {
                        category: Some("C0103".into()),
                        description: format!("device {d} report {r}: a broken bench"),
                        position: Some(Position { lat, lon, crs: Crs::Wgs84, accuracy_m: Some(6.0) }),
                        ..DraftFields::default()
                    };
                    let draft = device.store().create_draft(&fields).unwrap();
                    for photo in &photos[..1 + r % photos.len()] {
                        device.store().add_photo(&draft.id, photo).unwrap();
                    }
                    device.submit(&draft.id).unwrap();
                }
                let outcome = device.sync().sync_until_settled(Duration::from_secs(60)).unwrap();
                assert_eq!(outcome, SyncOutcome::Idle);
                let items = device.store().outbox(true).unwrap();
                assert_eq!(items.len(), reports_per_device);
                assert!(items.iter().all(|i| i.status == ItemStatus::Delivered), "{items:?}");
            });
        }
    });

    {
        let log = proxy.log.lock().unwrap();
        for path in ["/api/v1/photos", "/api/v1/reports"] {
            assert!(log.count(path, Fault::DropBeforeServer) >= 1, "{path}: a drop before the server");
            assert!(log.count(path, Fault::DropAfterCommit) >= 1, "{path}: a drop after the commit");
        }
    }

    let total = devices * reports_per_device;
    assert_eq!(case_count(&server), total as i64, "each report exactly once");
    let mut descriptions = HashSet::new();
    for (device, token) in &opened {
        let mine: Value = server.get_as(token, "/api/v1/reports/mine?limit=200").json().unwrap();
        let reports = mine["reports"].as_array().unwrap();
        assert_eq!(reports.len(), reports_per_device, "this device's reports, once each");
        for item in device.store().outbox(true).unwrap() {
            let receipt: Value = serde_json::from_str(item.server_result.as_deref().unwrap()).unwrap();
            let case_id = receipt["id"].as_str().unwrap();
            assert!(reports.iter().any(|r| r["id"] == case_id), "the device's receipt names its own case");
            let case: Value = server.get_as(token, &format!("/api/v1/cases/{case_id}")).json().unwrap();
            assert!(descriptions.insert(case["description"].as_str().unwrap().to_owned()));
            let description = case["description"].as_str().unwrap();
            let r: usize =
                description.split_whitespace().nth(3).unwrap().trim_end_matches(':').parse().unwrap();
            let expected: Vec<String> = photos[..1 + r % photos.len()].iter().map(server_sha256).collect();
            let attached: Vec<String> = case["photo_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| {
                    let bytes = server
                        .get_as(token, &format!("/api/v1/photos/{}", id.as_str().unwrap()))
                        .bytes()
                        .unwrap();
                    hex::encode(Sha256::digest(&bytes))
                })
                .collect();
            assert_eq!(attached, expected, "every photo attached, in order, with its bytes intact");
        }
    }
    assert_eq!(descriptions.len(), total);
}

both_backends!(every_report_exists_once_with_its_photos_through_a_dropping_proxy);
