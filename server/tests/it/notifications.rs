//! Notifications to reporters against real local receivers, on both backends: SMS and push
//! through webhook receivers (plain HTTP servers on loopback, started here) and e-mail to a
//! real SMTP server speaking the protocol on loopback (started here, a few dozen lines: it
//! greets, takes EHLO, MAIL, RCPT, DATA and QUIT, and keeps each message as received).
//!
//! - `one_message_per_change_and_none_twice`: a reporter who signed in by phone (the one-time
//!   code itself arrives through the SMS webhook), registered a device and gave an e-mail
//!   address is told of each public change (registered, dispatched, handled, closed) once per
//!   channel, with the tracking number: a refused first try is retried after the backoff, a
//!   server restarted with a retry pending sends it once, and nothing already sent goes again.
//!   The log (the reporter's and the street office's view) matches what the receivers got.
//! - `quiet_hours_hold_what_is_not_urgent`: at 23:30 in the city, a rejection (with its reason,
//!   in Chinese) waits until 07:00 while an emergency's registration goes at once.
//! - `preferences_and_tokens_refuse_bad_input`: the preference and token routes' refusals, and
//!   who may read a case's log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use common::{Backend, TestServer, demo_cells, point_in, problem};
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use serde_json::{Value, json};

/// Longest a test waits for the delivery job to do something it must do.
const PATIENCE: Duration = Duration::from_secs(30);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Polls `done` every 50 ms until it holds; fails the test after [`PATIENCE`].
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "waited {PATIENCE:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One request a webhook receiver accepted.
#[derive(Debug, Clone)]
struct Hook {
    idempotency_key: String,
    body: Value,
}

/// An HTTP receiver on loopback that accepts JSON POSTs (200) and keeps them, except that it
/// refuses (503, keeping nothing) as many requests as it is told to refuse next.
#[derive(Clone)]
struct WebhookReceiver {
    addr: SocketAddr,
    accepted: Arc<Mutex<Vec<Hook>>>,
    refuse_next: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

impl WebhookReceiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let receiver = Self {
            addr: listener.local_addr().unwrap(),
            accepted: Default::default(),
            refuse_next: Default::default(),
            refused: Default::default(),
        };
        let serving = receiver.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serving.answer(stream);
            }
        });
        receiver
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn answer(&self, stream: TcpStream) {
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let (mut length, mut key) = (0usize, String::new());
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "idempotency-key" => key = value.trim().to_owned(),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let refuse =
            self.refuse_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        let status = if refuse {
            self.refused.fetch_add(1, Ordering::SeqCst);
            "503 Service Unavailable"
        } else {
            let body = serde_json::from_slice(&body).unwrap();
            self.accepted.lock().unwrap().push(Hook { idempotency_key: key, body });
            "200 OK"
        };
        let mut stream = stream;
        write!(stream, "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
    }

    fn accepted(&self) -> Vec<Hook> {
        self.accepted.lock().unwrap().clone()
    }

    fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

/// One message the SMTP receiver took.
#[derive(Debug, Clone)]
struct Mail {
    to: Vec<String>,
    data: String,
}

/// A minimal SMTP server on loopback: one session per connection, each message kept.
#[derive(Clone)]
struct SmtpReceiver {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpReceiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let receiver = Self { addr: listener.local_addr().unwrap(), mails: Default::default() };
        let serving = receiver.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let session = serving.clone();
                std::thread::spawn(move || session.session(stream));
            }
        });
        receiver
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn session(&self, stream: TcpStream) {
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut out = stream;
        let mut reply = |text: &str| write!(out, "{text}\r\n").is_ok();
        reply("220 notices.test ESMTP");
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let command = line.trim_end().to_owned();
            let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
            let ok = match verb.as_str() {
                "EHLO" => reply("250-notices.test\r\n250 8BITMIME"),
                "HELO" | "MAIL" | "NOOP" => reply("250 OK"),
                "RSET" => {
                    to.clear();
                    reply("250 OK")
                }
                "RCPT" => {
                    let address = command.split_once(':').map(|(_, a)| a.trim()).unwrap_or("");
                    to.push(address.trim_matches(['<', '>']).to_owned());
                    reply("250 OK")
                }
                "DATA" => {
                    reply("354 end with <CR><LF>.<CR><LF>");
                    let mut data = String::new();
                    loop {
                        line.clear();
                        reader.read_line(&mut line).unwrap();
                        if line == ".\r\n" || line == ".\n" {
                            break;
                        }
                        data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    }
                    self.mails.lock().unwrap().push(Mail { to: std::mem::take(&mut to), data });
                    reply("250 OK queued")
                }
                "QUIT" => {
                    reply("221 bye");
                    return;
                }
                _ => reply("502 not implemented"),
            };
            if !ok {
                return;
            }
        }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

/// The receivers and the settings that point a server at them (the call-back tests sign in by
/// phone through them too).
pub(crate) struct Receivers {
    sms: WebhookReceiver,
    push: WebhookReceiver,
    smtp: SmtpReceiver,
}

impl Receivers {
    pub(crate) fn start() -> Self {
        Self { sms: WebhookReceiver::start(), push: WebhookReceiver::start(), smtp: SmtpReceiver::start() }
    }

    /// Fixed keys, so that a restarted server reads the tokens and sealed numbers of the first.
    fn settings(&self) -> Vec<(String, String)> {
        [
            ("GRIDLINE_SMS_WEBHOOK_URL", self.sms.url()),
            ("GRIDLINE_PUSH_WEBHOOK_URL", self.push.url()),
            ("GRIDLINE_SMTP_URL", self.smtp.url()),
            ("GRIDLINE_MAIL_FROM", "City notices <notices@city.example>".to_owned()),
            ("GRIDLINE_NOTIFY_SCAN_SECS", "1".to_owned()),
            ("GRIDLINE_NOTIFY_RETRY_SECS", "60".to_owned()),
            ("GRIDLINE_JWT_SECRET", "notification-tests-jwt-secret-0123456789abcdef".to_owned()),
            ("GRIDLINE_PHONE_KEY", "notification-tests-phone-key-0123456789abcdef".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn start_server(&self, backend: Backend) -> TestServer {
        self.start_server_with(backend, &[])
    }

    /// A server pointed at the receivers, with `extra` settings on top.
    pub(crate) fn start_server_with(&self, backend: Backend, extra: &[(&str, &str)]) -> TestServer {
        let settings = self.settings();
        let mut pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pairs.extend_from_slice(extra);
        TestServer::start_with(backend, &pairs)
    }

    fn restart(&self, stopped: &TestServer) -> TestServer {
        let settings = self.settings();
        let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        TestServer::start_sharing(stopped, &pairs)
    }

    /// Signs in by phone with the code the SMS gateway received; the access token.
    pub(crate) fn citizen_by_phone(&self, server: &TestServer, phone: &str) -> String {
        let before = self.sms.accepted().len();
        let sent = server.post_json("/api/v1/auth/otp/request", &json!({ "phone": phone }));
        assert_eq!(sent.status(), 202);
        wait_for("the one-time code's SMS", || self.sms.accepted().len() > before);
        let text = self.sms.accepted()[before].body["text"].as_str().unwrap().to_owned();
        let code = six_digits(&text).unwrap_or_else(|| panic!("no code in {text:?}"));
        let verified = server.post_json("/api/v1/auth/otp/verify", &json!({ "phone": phone, "code": code }));
        assert_eq!(verified.status(), 200);
        verified.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_owned()
    }
}

/// The first run of exactly six ASCII digits in `text`.
fn six_digits(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 6 {
            return Some(chars[i..i + 6].iter().collect());
        }
        i += run.max(1);
    }
    None
}

/// A quoted-printable body as text: soft line breaks joined, `=XX` bytes decoded.
fn quoted_printable_decoded(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A street office's staff over the demo cells, and a point in one of them.
pub(crate) struct Office {
    pub(crate) dispatcher: String,
    pub(crate) handler: String,
    pub(crate) inspector: String,
    /// The street the cells are in.
    pub(crate) street: AreaCode,
    lat: f64,
    lon: f64,
}

impl Office {
    pub(crate) fn open(server: &TestServer) -> Self {
        let admin = server.admin_token();
        let cells = demo_cells(20);
        server.import_grid(&admin, "310104", &cells);
        let cell = &cells[3];
        let (lat, lon) = point_in(cell);
        let grid = GridCode::parse(&cell.code.to_string()).unwrap();
        let street = AreaCode::parse(&cell.code.to_string()[..9]).unwrap();
        Office {
            dispatcher: server.staff_token(Role::Dispatcher, Scope::Street { street }),
            handler: server.staff_token(Role::Handler, Scope::Unit { unit: "sanitation".into() }),
            inspector: server.staff_token(Role::Inspector, Scope::Grids { grids: [grid].into() }),
            street,
            lat,
            lon,
        }
    }

    /// A report of `category` by `reporter`; the receipt.
    pub(crate) fn report(&self, server: &TestServer, reporter: &str, category: &str) -> Value {
        server.report_as(
            reporter,
            &json!({
                "category": category,
                "description": "Something to fix here",
                "position": { "lat": self.lat, "lon": self.lon, "crs": "wgs84", "accuracy_m": 6.0 },
            }),
        )
    }

    pub(crate) fn on_site(&self) -> Value {
        json!({ "lat": self.lat, "lon": self.lon, "crs": "wgs84", "accuracy_m": 5.0 })
    }
}

fn log(server: &TestServer, token: &str, case_id: &str) -> Value {
    let response = server.get_as(token, &format!("/api/v1/cases/{case_id}/notifications"));
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

fn entries(log: &Value) -> Vec<Value> {
    log["entries"].as_array().unwrap().clone()
}

/// The log entries of `channel` for `change`.
fn logged(log: &Value, channel: &str, change: &str) -> Vec<Value> {
    entries(log).into_iter().filter(|e| e["channel"] == channel && e["change"] == change).collect()
}

fn all_delivered(log: &Value, expected: usize) -> bool {
    let entries = entries(log);
    entries.len() == expected && entries.iter().all(|e| e["state"] == "delivered")
}

fn one_message_per_change_and_none_twice(backend: Backend) {
    let receivers = Receivers::start();
    let mut first = receivers.start_server(backend);
    first.clock.set(at("2026-12-03T02:00:00Z")); // 10:00 in Shanghai: outside the quiet hours
    let office = Office::open(&first);
    let reporter = receivers.citizen_by_phone(&first, "13800138000");

    let token = first
        .client
        .post(first.url("/api/v1/me/push-tokens"))
        .bearer_auth(&reporter)
        .json(&json!({ "token": "fcm:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8", "platform": "android" }))
        .send()
        .unwrap();
    assert_eq!(token.status(), 201);
    let preferences = json!({
        "sms": true, "push": true, "email": true,
        "email_address": "reporter@city.example", "language": "en",
    });
    let saved = first
        .client
        .put(first.url("/api/v1/me/notifications"))
        .bearer_auth(&reporter)
        .json(&preferences)
        .send()
        .unwrap();
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().unwrap();
    assert_eq!(saved["preferences"], preferences);
    assert_eq!(saved["phone_on_file"], true);
    assert_eq!(saved["push_devices"], 1);

    let receipt = office.report(&first, &reporter, "E0101");
    let (case_id, tracking) =
        (receipt["id"].as_str().unwrap().to_owned(), receipt["tracking_number"].as_str().unwrap().to_owned());
    let codes_sent = receivers.sms.accepted().len();

    // Registered: the gateway refuses the first SMS; push and e-mail arrive, the SMS waits.
    receivers.sms.refuse_next.store(1, Ordering::SeqCst);
    first.step(&office.dispatcher, &case_id, &json!({ "action": "register" }));
    wait_for("registered by push and e-mail, and a refused SMS", || {
        let log = log(&first, &reporter, &case_id);
        let sms = logged(&log, "sms", "registered");
        receivers.push.accepted().len() == 1
            && receivers.smtp.mails().len() == 1
            && sms.len() == 1
            && sms[0]["state"] == "pending"
            && sms[0]["attempts"] == 1
    });
    assert_eq!(receivers.sms.refused(), 1);
    let waiting = &logged(&log(&first, &reporter, &case_id), "sms", "registered")[0];
    assert_eq!(waiting["last_error"], "gateway answered 503");
    assert_eq!(waiting["next_attempt_at"], "2026-12-03T02:01:00.000Z", "the first retry waits a minute");
    assert_eq!(receivers.sms.accepted().len(), codes_sent, "nothing was sent before its retry time");
    first.clock.advance(chrono::Duration::minutes(2));
    wait_for("the registered SMS on its retry", || receivers.sms.accepted().len() == codes_sent + 1);

    first.step(&office.dispatcher, &case_id, &json!({ "action": "dispatch", "handling_unit": "sanitation" }));
    wait_for("dispatched on every channel", || all_delivered(&log(&first, &reporter, &case_id), 6));

    // Handled: the push relay refuses the first try, and the server stops with it pending.
    first.step(&office.handler, &case_id, &json!({ "action": "accept" }));
    receivers.push.refuse_next.store(1, Ordering::SeqCst);
    let after = first.upload_photo(&office.handler);
    first.step(&office.handler, &case_id, &json!({ "action": "mark_handled", "photo_ids": [after] }));
    wait_for("handled by SMS and e-mail, push refused once", || {
        let log = log(&first, &reporter, &case_id);
        let push = logged(&log, "push", "handled");
        logged(&log, "sms", "handled").first().is_some_and(|e| e["state"] == "delivered")
            && logged(&log, "email", "handled").first().is_some_and(|e| e["state"] == "delivered")
            && push.len() == 1
            && push[0]["state"] == "pending"
            && push[0]["attempts"] == 1
    });
    first.stop();

    // The next server process on the same database: the pending push goes once, nothing else
    // goes again, and the case closes there.
    let second = receivers.restart(&first);
    second.clock.set(at("2026-12-03T02:10:00Z"));
    wait_for("the handled push after the restart", || receivers.push.accepted().len() == 3);
    let check = second.upload_photo(&office.inspector);
    second.step(
        &office.inspector,
        &case_id,
        &json!({ "action": "verify_pass", "photo_ids": [check], "position": office.on_site() }),
    );
    wait_for("closed on every channel", || all_delivered(&log(&second, &reporter, &case_id), 12));
    // Two more passes of the job find nothing left to send.
    std::thread::sleep(Duration::from_millis(2500));

    let changes = ["registered", "dispatched", "handled", "closed"];
    let log = log(&second, &reporter, &case_id);
    assert_eq!(log["view"], "reporter");
    assert_eq!(log["tracking_number"], tracking);
    let ids_of = |channel: &str| -> Vec<String> {
        changes.iter().map(|c| logged(&log, channel, c)[0]["id"].as_str().unwrap().to_owned()).collect()
    };

    let sms: Vec<Hook> = receivers.sms.accepted()[codes_sent..].to_vec();
    assert_eq!(sms.len(), 4, "one SMS per change: {sms:?}");
    assert_eq!(sms.iter().map(|h| h.idempotency_key.clone()).collect::<Vec<_>>(), ids_of("sms"));
    for (hook, change) in sms.iter().zip(changes) {
        assert_eq!(hook.body["to"], "+8613800138000");
        let text = hook.body["text"].as_str().unwrap();
        assert!(text.contains(&tracking), "{text}");
        assert_eq!(text, logged(&log, "sms", change)[0]["text"].as_str().unwrap());
    }
    assert_eq!(receivers.sms.refused(), 1);

    let push = receivers.push.accepted();
    assert_eq!(push.len(), 4, "one push per change: {push:?}");
    assert_eq!(push.iter().map(|h| h.idempotency_key.clone()).collect::<Vec<_>>(), ids_of("push"));
    for (hook, change) in push.iter().zip(changes) {
        assert_eq!(hook.body["change"], change);
        assert_eq!(hook.body["tracking_number"], tracking.as_str());
        assert_eq!(hook.body["platform"], "android");
        assert_eq!(hook.body["token"], "fcm:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8");
        assert!(hook.body["title"].as_str().unwrap().contains(&tracking));
    }
    assert_eq!(receivers.push.refused(), 1);
    let retried_push = &logged(&log, "push", "handled")[0];
    assert_eq!(retried_push["attempts"], 2);
    assert_eq!(retried_push["to"], "android …C9KtT8");

    let mails = receivers.smtp.mails();
    assert_eq!(mails.len(), 4, "one e-mail per change");
    for ((mail, change), id) in mails.iter().zip(changes).zip(ids_of("email")) {
        assert_eq!(mail.to, vec!["reporter@city.example".to_owned()]);
        assert!(mail.data.contains(&format!("<{id}@gridline.notice>")), "{}", mail.data);
        assert!(mail.data.contains(&format!("Subject: Case {tracking}: ")), "{}", mail.data);
        let body = quoted_printable_decoded(mail.data.split_once("\r\n\r\n").unwrap().1);
        assert_eq!(body.trim_end(), logged(&log, "email", change)[0]["text"].as_str().unwrap());
        assert!(mail.data.contains("From: \"City notices\" <notices@city.example>"), "{}", mail.data);
    }
    for entry in entries(&log) {
        assert_eq!(entry["state"], "delivered", "{entry}");
        assert_eq!(entry["language"], "en");
        assert!(entry["text"].as_str().unwrap().contains(&tracking));
    }
    assert_eq!(logged(&log, "sms", "closed")[0]["to"], "+86138****8000");
    assert_eq!(logged(&log, "email", "closed")[0]["to"], "r***@city.example");

    // The street office reads the same log; the handling unit may not.
    let staff = self::log(&second, &office.dispatcher, &case_id);
    assert_eq!(staff["view"], "staff");
    assert_eq!(entries(&staff).len(), 12);
    let refused =
        problem(second.get_as(&office.handler, &format!("/api/v1/cases/{case_id}/notifications")), 403);
    assert_eq!(refused["code"], "forbidden");
}

fn quiet_hours_hold_what_is_not_urgent(backend: Backend) {
    let receivers = Receivers::start();
    let server = receivers.start_server(backend);
    server.clock.set(at("2026-12-03T15:30:00Z")); // 23:30 in Shanghai
    let office = Office::open(&server);
    let reporter = receivers.citizen_by_phone(&server, "13900139000");
    let codes_sent = receivers.sms.accepted().len();
    let ordinary = office.report(&server, &reporter, "E0101");
    let gas_leak = office.report(&server, &reporter, "E0503");
    let ordinary_id = ordinary["id"].as_str().unwrap();
    let gas_leak_id = gas_leak["id"].as_str().unwrap();

    server.step(
        &office.dispatcher,
        ordinary_id,
        &json!({ "action": "reject", "reason": "不属于本街道管辖" }),
    );
    server.step(&office.dispatcher, gas_leak_id, &json!({ "action": "register" }));
    wait_for("the emergency's SMS at night", || receivers.sms.accepted().len() == codes_sent + 1);
    let urgent = receivers.sms.accepted()[codes_sent].body["text"].as_str().unwrap().to_owned();
    let gas_tracking = gas_leak["tracking_number"].as_str().unwrap();
    assert!(urgent.contains(gas_tracking) && urgent.contains("已立案"), "{urgent}");
    let urgent_log = log(&server, &reporter, gas_leak_id);
    assert_eq!(entries(&urgent_log)[0]["urgent"], true);
    assert_eq!(entries(&urgent_log)[0]["language"], "zh");

    let held = log(&server, &reporter, ordinary_id);
    let held = &entries(&held)[0];
    assert_eq!(held["change"], "rejected");
    assert_eq!(held["state"], "pending");
    assert_eq!(held["attempts"], 0);
    assert_eq!(held["next_attempt_at"], "2026-12-03T23:00:00.000Z", "07:00 in Shanghai");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(receivers.sms.accepted().len(), codes_sent + 1, "nothing else goes at night");

    server.clock.set(at("2026-12-03T23:00:01Z"));
    wait_for("the rejection in the morning", || receivers.sms.accepted().len() == codes_sent + 2);
    let rejection = receivers.sms.accepted()[codes_sent + 1].body["text"].as_str().unwrap().to_owned();
    let tracking = ordinary["tracking_number"].as_str().unwrap();
    assert!(rejection.contains(tracking), "{rejection}");
    assert!(rejection.contains("不予立案，原因：不属于本街道管辖"), "{rejection}");
}

fn preferences_and_tokens_refuse_bad_input(backend: Backend) {
    let receivers = Receivers::start();
    let server = receivers.start_server(backend);
    let office = Office::open(&server);
    let citizen = server.citizen_token();
    let defaults: Value = server.get_as(&citizen, "/api/v1/me/notifications").json().unwrap();
    assert_eq!(
        defaults,
        json!({
            "preferences": { "sms": true, "push": true, "email": true, "email_address": null, "language": "zh" },
            "phone_on_file": false,
            "push_devices": 0,
        })
    );
    let put = |body: Value| {
        server
            .client
            .put(server.url("/api/v1/me/notifications"))
            .bearer_auth(&citizen)
            .json(&body)
            .send()
            .unwrap()
    };
    let no_address =
        problem(put(json!({ "sms": false, "push": true, "email": true, "language": "en" })), 422);
    assert_eq!(no_address["field"], "email_address");
    let bad_address = problem(
        put(
            json!({ "sms": false, "push": true, "email": true, "email_address": "not an address", "language": "en" }),
        ),
        422,
    );
    assert_eq!(bad_address["field"], "email_address");
    let bad_language = put(json!({ "sms": false, "push": true, "email": false, "language": "fr" }));
    assert_eq!(bad_language.status(), 422);
    assert!(server.get("/api/v1/me/notifications").status() == 401);

    let post = |body: Value| {
        server
            .client
            .post(server.url("/api/v1/me/push-tokens"))
            .bearer_auth(&citizen)
            .json(&body)
            .send()
            .unwrap()
    };
    let bad_platform = problem(post(json!({ "token": "abc", "platform": "pager" })), 422);
    assert_eq!(bad_platform["field"], "platform");
    let blank = problem(post(json!({ "token": "  ", "platform": "ios" })), 422);
    assert_eq!(blank["field"], "token");
    let spaced = problem(post(json!({ "token": "a b", "platform": "ios" })), 422);
    assert_eq!(spaced["field"], "token");
    assert_eq!(post(json!({ "token": "ios-token-1", "platform": "ios" })).status(), 201);
    let forget = |token: &str, who: &str| {
        server
            .client
            .delete(server.url(&format!("/api/v1/me/push-tokens/{token}")))
            .bearer_auth(who)
            .send()
            .unwrap()
    };
    let other = server.citizen_token();
    assert_eq!(problem(forget("ios-token-1", &other), 404)["code"], "not_found");
    assert_eq!(forget("ios-token-1", &citizen).status(), 204);
    assert_eq!(problem(forget("ios-token-1", &citizen), 404)["code"], "not_found");

    // Only the reporter and the street office read a case's log; anyone else finds no case.
    let receipt = office.report(&server, &citizen, "E0101");
    let id = receipt["id"].as_str().unwrap();
    assert_eq!(log(&server, &citizen, id)["entries"], json!([]));
    let path = format!("/api/v1/cases/{id}/notifications");
    assert_eq!(problem(server.get_as(&other, &path), 404)["code"], "not_found");
    assert_eq!(problem(server.get_as(&office.inspector, &path), 403)["code"], "forbidden");
    assert_eq!(problem(server.get(&path), 401)["status"], 401);
    assert_eq!(
        problem(server.get_as(&citizen, "/api/v1/cases/not-a-uuid/notifications"), 404)["code"],
        "not_found"
    );
}

/// A request that came through Open311 with an e-mail address: its requester is told by e-mail,
/// with the tracking number, like an account; the address is kept sealed and shown masked.
fn an_open311_requester_hears_by_email(backend: Backend) {
    let receivers = Receivers::start();
    let server = receivers.start_server(backend);
    // 10:00 in Beijing: outside the quiet hours.
    server.clock.set(at("2026-12-03T02:00:00Z"));
    let office = Office::open(&server);
    let issued = server
        .client
        .post(server.url("/api/v1/admin/api-keys"))
        .bearer_auth(server.admin_token())
        .json(&json!({ "name": "City 311 app" }))
        .send()
        .unwrap();
    assert_eq!(issued.status(), 201);
    let key = issued.json::<Value>().unwrap()["key"].as_str().unwrap().to_owned();
    let submit = |email: &str| {
        let (lat, lon) = (office.lat.to_string(), office.lon.to_string());
        let fields = [
            ("api_key", key.as_str()),
            ("service_code", "E0101"),
            ("lat", lat.as_str()),
            ("long", lon.as_str()),
            ("description", "Bins overflowing by the school gate"),
            ("email", email),
        ];
        server.client.post(server.url("/open311/v2/requests.json")).form(&fields).send().unwrap()
    };
    let refused = submit("not an address");
    assert_eq!(refused.status(), 400);
    assert!(refused.text().unwrap().contains("email"), "the field is named");
    let created = submit("  requester@city.example ");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    let (tracking, case_id) = (
        created[0]["service_request_id"].as_str().unwrap().to_owned(),
        created[0]["token"].as_str().unwrap().to_owned(),
    );
    server.step(&office.dispatcher, &case_id, &json!({ "action": "register" }));
    wait_for("the Open311 requester's e-mail", || receivers.smtp.mails().len() == 1);
    let mail = &receivers.smtp.mails()[0];
    assert_eq!(mail.to, vec!["requester@city.example".to_owned()]);
    // In Chinese (an Open311 requester has no language preference), so the body is base64.
    assert!(mail.data.contains("Content-Transfer-Encoding: base64"), "{}", mail.data);
    let encoded: String = mail.data.split_once("\r\n\r\n").unwrap().1.split_whitespace().collect();
    let body = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap();
    assert!(body.contains(&tracking), "the tracking number in the mail: {body}");
    let log = log(&server, &office.dispatcher, &case_id);
    let registered = logged(&log, "email", "registered");
    assert_eq!(registered.len(), 1, "{log}");
    assert_eq!(registered[0]["to"], "r***@city.example");
    assert!(registered[0]["text"].as_str().unwrap().contains(&tracking));
    wait_for("the delivery logged", || {
        logged(&self::log(&server, &office.dispatcher, &case_id), "email", "registered")[0]["state"]
            == "delivered"
    });
}

/// Outbox rows whose stored data does not read back (a case id that is not one, a change core
/// does not know) are logged and set aside with no delivery, oldest first as they are: the
/// notices behind them still go out, and no pass fails on them again.
fn a_corrupt_outbox_row_does_not_hold_up_the_queue(backend: Backend) {
    use diesel::RunQueryDsl;
    let receivers = Receivers::start();
    let server = receivers.start_server(backend);
    server.clock.set(at("2026-12-03T02:00:00Z")); // 10:00 in Shanghai: outside the quiet hours
    let office = Office::open(&server);
    let reporter = receivers.citizen_by_phone(&server, "13700137000");
    let codes_sent = receivers.sms.accepted().len();
    let receipt = office.report(&server, &reporter, "E0101");
    {
        let mut conn = server.db.get().unwrap();
        for (event, case, change) in [
            ("corrupt-case-id", "case-9", "registered"),
            ("corrupt-change", receipt["id"].as_str().unwrap(), "exploded"),
        ] {
            diesel::sql_query(format!(
                "INSERT INTO notification_outbox (event_id, case_id, public_change, created_at, expanded_at) \
                 VALUES ('{event}', '{case}', '{change}', '2026-01-01 00:00:00', NULL)"
            ))
            .execute(&mut *conn)
            .unwrap();
        }
    }
    let case_id = receipt["id"].as_str().unwrap();
    server.step(&office.dispatcher, case_id, &json!({ "action": "register" }));
    wait_for("the registration's SMS behind the corrupt rows", || {
        receivers.sms.accepted().len() == codes_sent + 1
    });
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |sql: &str| {
        let mut conn = server.db.get().unwrap();
        diesel::sql_query(sql).get_result::<Count>(&mut *conn).unwrap().n
    };
    assert_eq!(
        count(
            "SELECT COUNT(*) AS n FROM notification_outbox WHERE event_id LIKE 'corrupt-%' AND expanded_at IS NOT NULL"
        ),
        2,
        "both set aside"
    );
    assert_eq!(count("SELECT COUNT(*) AS n FROM notification_deliveries WHERE event_id LIKE 'corrupt-%'"), 0);
    assert_eq!(logged(&log(&server, &office.dispatcher, case_id), "sms", "registered").len(), 1);
}

both_backends!(
    a_corrupt_outbox_row_does_not_hold_up_the_queue,
    an_open311_requester_hears_by_email,
    one_message_per_change_and_none_twice,
    quiet_hours_hold_what_is_not_urgent,
    preferences_and_tokens_refuse_bad_input,
);
