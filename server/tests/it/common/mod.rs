//! Test harness: a real gridline server on a loopback port, in-process on its own actix system
//! thread, against a fresh SQLite file or a fresh PostgreSQL database (random name), so every
//! test owns its data and tests run in parallel.
//!
//! PostgreSQL is started by `scripts/pg` when it is installed and stopped; when it cannot be
//! started the test fails (it is never skipped). `GRIDLINE_TEST_PG_URL` overrides the admin URL.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::time::Duration;

use gridline_core::grid::{GeneratorOptions, GridCell, generate_city, to_geojson};
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::auth::users::{NewStaff, create_staff};
use gridline_server::config::{Config, Source};
use gridline_server::store::Db;
use reqwest::blocking::{Client, Response};
use serde_json::Value;

/// The `/metrics` bearer token every test server is started with.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one test body once per backend: `both_backends!(name_of_fn, ...)` declares
/// `sqlite::name_of_fn` and `postgres::name_of_fn` calling `name_of_fn(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::common::Backend::Sqlite) } )+
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::common::Backend::Postgres) } )+
        }
    };
}

/// Runs one test body on each photo store and backend: `photo_stores!(name_of_fn, ...)` declares
/// `local::sqlite::name_of_fn`, `local::postgres::...`, `s3::sqlite::...` and `s3::postgres::...`
/// calling `name_of_fn(Backend, PhotoStore)`.
#[macro_export]
macro_rules! photo_stores {
    ($($name:ident),+ $(,)?) => {
        mod local {
            mod sqlite {
                $( #[test] fn $name() { super::super::$name($crate::common::Backend::Sqlite, $crate::common::PhotoStore::Local) } )+
            }
            mod postgres {
                $( #[test] fn $name() { super::super::$name($crate::common::Backend::Postgres, $crate::common::PhotoStore::Local) } )+
            }
        }
        mod s3 {
            mod sqlite {
                $( #[test] fn $name() { super::super::$name($crate::common::Backend::Sqlite, $crate::common::PhotoStore::S3) } )+
            }
            mod postgres {
                $( #[test] fn $name() { super::super::$name($crate::common::Backend::Postgres, $crate::common::PhotoStore::S3) } )+
            }
        }
    };
}

/// Where a test server keeps its photos: a folder in its data folder, or a fresh bucket of the
/// tests' S3-compatible server ([`S3Bucket`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoStore {
    Local,
    S3,
}

/// The endpoint (`http://127.0.0.1:PORT`) of the tests' S3-compatible server, moto's, started
/// through `scripts/s3-test-server` on first use (which installs it when missing). The server
/// stops when this process exits, however it exits: it runs until its standard input, a pipe
/// held here for the life of the process, closes.
pub fn s3_endpoint() -> &'static str {
    static SERVER: OnceLock<(String, std::sync::Mutex<std::process::Child>)> = OnceLock::new();
    let (endpoint, _keeps_it_running) = SERVER.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/s3-test-server");
        let mut child = std::process::Command::new(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run scripts/s3-test-server");
        let mut first_line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut first_line,
        )
        .unwrap();
        let endpoint = first_line.trim().to_owned();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "scripts/s3-test-server said {first_line:?}");
        // The child (and with it the pipe to its standard input) is kept, never dropped.
        (endpoint, std::sync::Mutex::new(child))
    });
    endpoint
}

/// A fresh bucket (random name) on the tests' S3-compatible server.
#[derive(Debug, Clone)]
pub struct S3Bucket {
    pub endpoint: String,
    pub name: String,
}

impl S3Bucket {
    pub fn create() -> Self {
        let endpoint = s3_endpoint().to_owned();
        let name = format!("gridline-test-{}", uuid::Uuid::new_v4().simple());
        let response = Client::new().put(format!("{endpoint}/{name}")).send().unwrap();
        assert_eq!(response.status(), 200, "create bucket {name}");
        Self { endpoint, name }
    }

    /// The server settings that put photos in this bucket.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GRIDLINE_PHOTO_STORE", "s3".to_owned()),
            ("GRIDLINE_S3_BUCKET", self.name.clone()),
            ("GRIDLINE_S3_ENDPOINT", self.endpoint.clone()),
            ("GRIDLINE_S3_REGION", "us-east-1".to_owned()),
            ("GRIDLINE_S3_ACCESS_KEY_ID", "gridline-test".to_owned()),
            ("GRIDLINE_S3_SECRET_ACCESS_KEY", "gridline-test-secret".to_owned()),
        ]
    }

    /// The keys of every object in the bucket (the tests' buckets hold far fewer than a page).
    pub fn keys(&self) -> Vec<String> {
        let listing =
            Client::new().get(format!("{}/{}?list-type=2", self.endpoint, self.name)).send().unwrap();
        assert_eq!(listing.status(), 200);
        let xml = listing.text().unwrap();
        assert!(xml.contains("<IsTruncated>false</IsTruncated>"), "{xml}");
        xml.split("<Key>").skip(1).map(|rest| rest.split("</Key>").next().unwrap().to_owned()).collect()
    }

    /// Removes an object behind the server's back. moto checks no signature but refuses an
    /// anonymous delete, so the request names an access key.
    pub fn delete(&self, key: &str) {
        let authorization = "AWS4-HMAC-SHA256 Credential=gridline-test/20260101/us-east-1/s3/aws4_request, \
                             SignedHeaders=host, Signature=0";
        let response = Client::new()
            .delete(format!("{}/{}/{key}", self.endpoint, self.name))
            .header("authorization", authorization)
            .send()
            .unwrap();
        assert_eq!(response.status(), 204, "delete {key}");
    }
}

/// The admin URL of the test PostgreSQL, started on first use.
pub fn postgres_admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("GRIDLINE_TEST_PG_URL") {
            return url;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg");
        let out = std::process::Command::new(script).output().expect("run scripts/pg");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let url = stdout.lines().last().unwrap_or_default().trim();
        if !out.status.success() || !url.starts_with("postgres://") {
            let why = format!(
                "scripts/pg did not give a PostgreSQL URL ({}).\nstdout:\n{stdout}\nstderr:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            // Straight to the process's stderr as well: the test harness captures panic messages
            // per test, and this one explains every PostgreSQL test that follows.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), why.as_bytes());
            panic!("{why}");
        }
        url.to_owned()
    })
}

/// A fresh, empty PostgreSQL database, dropped (with its connections) when this is dropped.
pub struct FreshPgDatabase {
    pub name: String,
    pub url: String,
}

impl FreshPgDatabase {
    pub fn create() -> Self {
        let admin = postgres_admin_url();
        let name = format!("gridline_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(admin).expect("connect to the test PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).unwrap();
        let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap();
        Self { url: format!("{base}/{name}"), name }
    }
}

impl Drop for FreshPgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(postgres_admin_url()) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut conn);
        }
    }
}

/// A database as an older version left it: only the migrations before `version` (a migration
/// folder's date prefix) have run. Rows written through [`OldDatabase::connect`] are then
/// upgraded by starting a server on [`OldDatabase::url`].
pub struct OldDatabase {
    pub url: String,
    _folder: tempfile::TempDir,
    _pg: Option<FreshPgDatabase>,
}

impl OldDatabase {
    pub fn create(backend: Backend, version: &str) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let pg = (backend == Backend::Postgres).then(FreshPgDatabase::create);
        let url = match &pg {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}", folder.path().join("old.sqlite3").display()),
        };
        let old = Self { url, _folder: folder, _pg: pg };
        Db::migrate_before(&mut old.connect(), version).unwrap();
        old
    }

    /// A plain connection to it, without the server's migrations.
    pub fn connect(&self) -> gridline_server::store::DbConnection {
        use gridline_server::store::DbConnection;
        match self.url.strip_prefix("sqlite://") {
            Some(path) => DbConnection::Sqlite(diesel::SqliteConnection::establish(path).unwrap()),
            None => DbConnection::Pg(PgConnection::establish(&self.url).unwrap()),
        }
    }
}

/// A running server; stopped (gracefully) and its data removed on drop.
pub struct TestServer {
    pub backend: Backend,
    pub addr: SocketAddr,
    pub client: Client,
    pub data_dir: tempfile::TempDir,
    pub database_url: String,
    /// The clock the server's handlers and jobs read: tests set and move it.
    pub clock: gridline_server::clock::Clock,
    /// The server's own connection pool (to read back what its connections were opened with).
    pub db: Db,
    /// The bucket holding the photos, when they are not in the data folder.
    pub s3_bucket: Option<S3Bucket>,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    // Dropped after the server has stopped (field order).
    _pg: Option<FreshPgDatabase>,
}

impl TestServer {
    pub fn start(backend: Backend) -> Self {
        Self::start_with(backend, &[])
    }

    /// Starts with extra settings (environment-variable names) on top of the test defaults.
    pub fn start_with(backend: Backend, settings: &[(&str, &str)]) -> Self {
        Self::start_on(backend, None, settings)
    }

    /// Starts with its photos in `store` (a fresh bucket for S3).
    pub fn start_with_photos(backend: Backend, store: PhotoStore, settings: &[(&str, &str)]) -> Self {
        let bucket = (store == PhotoStore::S3).then(S3Bucket::create);
        let bucket_settings = bucket.as_ref().map(S3Bucket::settings).unwrap_or_default();
        let mut all: Vec<(&str, &str)> = bucket_settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(settings);
        let mut server = Self::start_on(backend, None, &all);
        server.s3_bucket = bucket;
        server
    }

    /// A second node on the same database as `other` (its own data folder and photo store).
    pub fn start_sharing(other: &TestServer, settings: &[(&str, &str)]) -> Self {
        Self::start_on(other.backend, Some(other.database_url.clone()), settings)
    }

    fn start_on(backend: Backend, shared_url: Option<String>, settings: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let pg = (backend == Backend::Postgres && shared_url.is_none()).then(FreshPgDatabase::create);
        let database_url = match (&shared_url, &pg) {
            (Some(url), _) => url.clone(),
            (None, Some(db)) => db.url.clone(),
            (None, None) => format!("sqlite://{}", data_dir.path().join("gridline.sqlite3").display()),
        };
        let mut env: HashMap<String, String> = [
            ("GRIDLINE_BIND", "127.0.0.1:0"),
            ("GRIDLINE_DATA_DIR", data_dir.path().to_str().unwrap()),
            ("DATABASE_URL", database_url.as_str()),
            ("GRIDLINE_DEMO_SEED", "false"),
            ("GRIDLINE_WORKERS", "2"),
            ("GRIDLINE_DB_POOL_SIZE", "4"),
            ("GRIDLINE_LOG", "warn"),
            ("GRIDLINE_METRICS_TOKEN", METRICS_TOKEN),
            // The daily early-warning scan would raise signals of its own; its tests turn it on.
            ("GRIDLINE_WARNING_SCAN_AT", "off"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in settings {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        // A test may start the server on a database of its own (an upgrade from an older one).
        let database_url = env["DATABASE_URL"].clone();
        let config = Config::from_source(&Source::from_env(env).unwrap()).unwrap();

        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match gridline_server::serve::bind(config).await {
                    Ok(bound) => {
                        let clock = bound.state.clock.clone();
                        let db = bound.state.db.clone();
                        let _ = tx.send(Ok((bound.addrs[0], bound.server.handle(), clock, db)));
                        let _ = bound.server.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            });
        });
        let (addr, handle, clock, db) =
            rx.recv().unwrap().unwrap_or_else(|e| panic!("server did not start: {e}"));
        let client = Client::builder().no_proxy().build().unwrap();
        Self {
            backend,
            addr,
            client,
            data_dir,
            database_url,
            clock,
            db,
            s3_bucket: None,
            handle,
            thread: Some(thread),
            _pg: pg,
        }
    }

    /// Stops the server as a restart does (gracefully: in-flight work finishes), keeping its
    /// database and data folder, so that [`TestServer::start_sharing`] can bring the next
    /// process's server up on the same database.
    pub fn stop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Drops this server's PostgreSQL database under it (its connections are terminated), to
    /// test how the server behaves when the database is gone.
    pub fn drop_postgres_database(&self) {
        let name = &self._pg.as_ref().expect("a PostgreSQL test server").name;
        let mut conn = PgConnection::establish(postgres_admin_url()).unwrap();
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn).unwrap();
    }

    /// Cuts every connection the server holds to its PostgreSQL database (as a database restart
    /// does), leaving the database in place.
    pub fn cut_postgres_connections(&self) {
        let name = &self._pg.as_ref().expect("a PostgreSQL test server").name;
        let mut conn = PgConnection::establish(postgres_admin_url()).unwrap();
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .execute(&mut conn)
        .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().unwrap()
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().unwrap()
    }

    pub fn get_as(&self, token: &str, path: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(token).send().unwrap()
    }

    /// A fresh anonymous citizen account; its access token.
    pub fn citizen_token(&self) -> String {
        let response = self.client.post(self.url("/api/v1/auth/anonymous")).send().unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A staff account created directly in the database with a known password, then signed in
    /// over HTTP; its access token.
    pub fn staff_token(&self, role: Role, scope: Scope) -> String {
        let login = format!("{}{}", role.as_str(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let password = "correct horse battery staple 42".to_owned();
        let db = Db::connect(&self.database_url, 1, Duration::from_secs(10)).unwrap();
        let staff = NewStaff {
            login: login.clone(),
            display_name: format!("Test {}", role.as_str()),
            role,
            scope: Some(scope),
            password: Some(password.clone()),
        };
        create_staff(&mut db.get().unwrap(), staff, gridline_server::auth::now()).unwrap();
        let response = self
            .post_json("/api/v1/auth/login", &serde_json::json!({ "login": login, "password": password }));
        assert_eq!(response.status(), 200);
        let body: Value = response.json().unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub fn admin_token(&self) -> String {
        self.staff_token(Role::Admin, Scope::City)
    }

    /// Imports `cells` for `area` through the admin API; returns the answer body.
    pub fn import_grid(&self, admin_token: &str, area: &str, cells: &[GridCell]) -> Value {
        let response = self
            .client
            .post(self.url(&format!("/api/v1/admin/grids?area={area}")))
            .bearer_auth(admin_token)
            .header("content-type", "application/geo+json")
            .body(to_geojson(cells))
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "grid import");
        response.json().unwrap()
    }
}

/// Shortcuts for the case steps many tests take.
impl TestServer {
    /// Sends `body` as a report by `token` with a fresh `Idempotency-Key`; the 201 receipt.
    pub fn report_as(&self, token: &str, body: &Value) -> Value {
        let response = self
            .client
            .post(self.url("/api/v1/reports"))
            .bearer_auth(token)
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .json(body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 201, "report");
        response.json().unwrap()
    }

    /// Takes the workflow step `body` as `token` at the case's current version (read as
    /// `token`); the case as answered (200).
    pub fn step(&self, token: &str, id: &str, body: &Value) -> Value {
        let case: Value = self.get_as(token, &format!("/api/v1/cases/{id}")).json().unwrap();
        let response = self
            .client
            .post(self.url(&format!("/api/v1/cases/{id}/actions")))
            .bearer_auth(token)
            .header("if-match", format!("\"{}\"", case["version"]))
            .json(body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{body}");
        response.json().unwrap()
    }

    /// Uploads a small generated JPEG as `token`; the new photo's id (a step's photos must be
    /// the actor's own uploads).
    pub fn upload_photo(&self, token: &str) -> String {
        self.upload_jpeg(token, gradient_jpeg(64, 48))["id"].as_str().unwrap().to_owned()
    }

    /// Uploads `jpeg` as `token`; the 201 answer's body.
    pub fn upload_jpeg(&self, token: &str, jpeg: Vec<u8>) -> Value {
        let part = reqwest::blocking::multipart::Part::bytes(jpeg)
            .file_name("photo.jpg")
            .mime_str("image/jpeg")
            .unwrap();
        let form = reqwest::blocking::multipart::Form::new().part("photo", part);
        let response =
            self.client.post(self.url("/api/v1/photos")).bearer_auth(token).multipart(form).send().unwrap();
        assert_eq!(response.status(), 201, "photo upload");
        response.json().unwrap()
    }
}

/// A generated JPEG of a colour gradient, `width` × `height`.
pub fn gradient_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut bytes, image::ImageFormat::Jpeg).unwrap();
    bytes.into_inner()
}

/// A generated city of `cells` cells in two streets of district 310104: the generator puts a
/// small city in one street, so the second half moves to the next street code.
pub fn two_street_cells(cells: usize) -> Vec<GridCell> {
    let mut cells = demo_cells(cells);
    let half = cells.len() / 2;
    for cell in &mut cells[half..] {
        let code = cell.code.to_string();
        let street = code[6..9].parse::<u16>().unwrap() + 1;
        let moved = format!("{}{street:03}{}", &code[..6], &code[9..]);
        cell.code = gridline_core::codes::GridCode::parse(&moved).unwrap();
    }
    cells
}

/// A server node in a process of its own (the `gridline serve` binary) on the database of
/// `other`, for what must cross processes (live events through PostgreSQL). Killed on drop.
pub struct ServerProcess {
    pub addr: SocketAddr,
    child: std::process::Child,
    _data_dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts it with `settings` (environment-variable names) on top of the test defaults and
    /// waits until it answers `/readyz`.
    pub fn start_sharing(other: &TestServer, settings: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        // A port the OS just handed out and released: free unless taken in the instant between.
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gridline"));
        command
            .arg("serve")
            .env("GRIDLINE_BIND", addr.to_string())
            .env("GRIDLINE_DATA_DIR", data_dir.path())
            .env("DATABASE_URL", &other.database_url)
            .env("GRIDLINE_DEMO_SEED", "false")
            .env("GRIDLINE_WORKERS", "2")
            .env("GRIDLINE_DB_POOL_SIZE", "4")
            .env("GRIDLINE_LOG", "warn")
            .stdout(std::process::Stdio::null());
        for (k, v) in settings {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start the gridline binary");
        let client = Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();
        let ready = format!("http://{addr}/readyz");
        for _ in 0..300 {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the second server process exited: {status}");
            }
            if client.get(&ready).send().is_ok_and(|r| r.status() == 200) {
                return Self { addr, child, _data_dir: data_dir };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        panic!("the second server process did not become ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Longest a test waits on an event stream: its reads fail rather than hang.
pub const STREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// One Server-Sent Event as a client sees it.
#[derive(Debug, Clone)]
pub struct SseFrame {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
    /// The frame's lines as sent.
    pub raw: String,
}

/// An open `GET /api/v1/events` stream, read line by line.
pub struct EventStream {
    lines: std::io::BufReader<Response>,
}

impl EventStream {
    /// Opens the stream of the server at `base` (`http://host:port`) as `token`, resuming
    /// after `last_event_id` when given.
    pub fn open(base: &str, token: &str, last_event_id: Option<i64>) -> Self {
        let response = Self::request(base, token, last_event_id);
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(content_type, "text/event-stream");
        Self { lines: std::io::BufReader::new(response) }
    }

    /// The bare request, for checking refusals.
    pub fn request(base: &str, token: &str, last_event_id: Option<i64>) -> Response {
        let client = Client::builder().no_proxy().timeout(STREAM_TIMEOUT).build().unwrap();
        let mut request = client.get(format!("{base}/api/v1/events")).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        request.send().unwrap()
    }

    /// The next dispatched event (comments and `retry:` skipped).
    pub fn next(&mut self) -> SseFrame {
        use std::io::BufRead;
        let (mut id, mut event, mut data, mut raw) =
            (None, String::from("message"), String::new(), String::new());
        loop {
            let mut line = String::new();
            let read = self.lines.read_line(&mut line).expect("the stream went quiet for too long");
            assert!(read > 0, "the server closed the stream");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if data.is_empty() {
                    continue;
                }
                return SseFrame { id, event, data: serde_json::from_str(&data).unwrap(), raw };
            }
            raw.push_str(line);
            raw.push('\n');
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => id = Some(value.parse().unwrap()),
                "event" => event = value.to_owned(),
                "data" => data.push_str(value),
                _ => {}
            }
        }
    }

    /// Reads up to the `ready` event that ends the backlog; the case events before it.
    pub fn backlog(&mut self) -> Vec<SseFrame> {
        let mut events = Vec::new();
        loop {
            let frame = self.next();
            if frame.event == "ready" {
                return events;
            }
            events.push(frame);
        }
    }

    /// The next event, which must be a case event.
    pub fn next_case(&mut self) -> SseFrame {
        let frame = self.next();
        assert_eq!(frame.event, "case", "{}", frame.raw);
        frame
    }
}

/// A generated city of `cells` cells (deterministic), all in district 310104.
pub fn demo_cells(cells: usize) -> Vec<GridCell> {
    generate_city(GeneratorOptions { cells, seed: 7, bbox: None }).unwrap()
}

/// A point well inside `cell`: the mean of its outer ring's vertices (lat, lon).
pub fn point_in(cell: &GridCell) -> (f64, f64) {
    let ring = &cell.geometry.polygons()[0][0];
    let n = ring.len() as f64;
    let (lon, lat) = ring.iter().fold((0.0, 0.0), |(x, y), [lon, lat]| (x + lon, y + lat));
    (lat / n, lon / n)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The body of a problem+json answer, after checking its content type and status field.
pub fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().unwrap();
    assert_eq!(body["status"], status);
    assert!(body["code"].is_string());
    body
}
