//! Helpers shared by the device-core tests against the real server: generated photos, a
//! device on a fresh store, staff accounts with a known password, and a case count read
//! straight from the database.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use gridline_core::device::{
    BackoffPolicy, Device, DeviceConfig, HttpRequest, HttpResponse, HttpTransport, Tokens, Transport,
    TransportError,
};
use gridline_core::photo::{PhotoOptions, PreparedPhoto, prepare};
use gridline_core::taxonomy::Taxonomy;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::auth::users::{NewStaff, create_staff};
use gridline_server::store::Db;
use serde_json::Value;

use crate::common::TestServer;

pub mod platform;

/// The password of every account made by [`staff`].
pub const PASSWORD: &str = "correct horse battery staple 42";

/// A small distinct JPEG (by `seed`), prepared the way the app prepares camera photos.
pub fn sample_photo(seed: u8) -> PreparedPhoto {
    let image = image::RgbImage::from_fn(80, 60, |x, y| image::Rgb([seed, (x * 3) as u8, (y * 4) as u8]));
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    prepare(&jpeg, &PhotoOptions::default()).unwrap()
}

/// A device on a fresh store in `folder`, with a fast backoff, talking to `server_url`.
pub fn open_device(folder: &Path, server_url: &str) -> Device {
    let config = DeviceConfig {
        folder: folder.to_owned(),
        server_url: server_url.to_owned(),
        backoff: BackoffPolicy { base: Duration::from_millis(5), max: Duration::from_millis(100) },
    };
    Device::open(config, Arc::new(HttpTransport::default()), Taxonomy::default_taxonomy().unwrap()).unwrap()
}

/// Keeps a sign-in answer's tokens in the device's session, as the app does; the access token.
pub fn keep_tokens(device: &Device, answer: &Value) -> String {
    let tokens = Tokens {
        access_token: answer["access_token"].as_str().unwrap().to_owned(),
        refresh_token: answer["refresh_token"].as_str().unwrap().to_owned(),
    };
    device.session().set(tokens.clone()).unwrap();
    tokens.access_token
}

/// A staff account with [`PASSWORD`], created in the database; its login.
pub fn staff(server: &TestServer, role: Role, scope: Scope) -> String {
    let login = format!("{}{}", role.as_str(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let new = NewStaff {
        login: login.clone(),
        display_name: format!("Test {}", role.as_str()),
        role,
        scope: Some(scope),
        password: Some(PASSWORD.to_owned()),
    };
    create_staff(&mut db.get().unwrap(), new, gridline_server::auth::now()).unwrap();
    login
}

/// Every case in the server's database, whoever may see it.
pub fn case_count(server: &TestServer) -> i64 {
    row_count(server, "cases")
}

/// How many rows `table` holds in the server's database.
pub fn row_count(server: &TestServer, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let db = Db::connect(&server.database_url, 1, Duration::from_secs(10)).unwrap();
    let rows: Vec<Count> =
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).load(&mut db.get().unwrap()).unwrap();
    rows[0].n
}

/// A transport that remembers every request line it sends, and can be switched off (no signal).
#[derive(Default)]
pub struct Recording {
    inner: HttpTransport,
    pub sent: Mutex<Vec<String>>,
    pub offline: Mutex<bool>,
}

impl Recording {
    /// Cut or restore the signal.
    pub fn set_offline(&self, offline: bool) {
        *self.offline.lock().unwrap() = offline;
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.sent.lock().unwrap())
    }

    pub fn gets_of(requests: &[String], path: &str) -> Vec<String> {
        requests.iter().filter(|r| r.starts_with(&format!("GET {path}?"))).cloned().collect()
    }
}

impl Transport for Recording {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if *self.offline.lock().unwrap() {
            return Err(TransportError::Unreachable { message: "no signal".into() });
        }
        let path = request.url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default();
        self.sent.lock().unwrap().push(format!("{} {path}", request.method));
        self.inner.send(request)
    }
}
