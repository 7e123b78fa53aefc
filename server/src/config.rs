//! Server configuration, declared once.
//!
//! Every setting appears exactly once in the [`settings!`] table below, with its environment
//! variable, type, default and a line of doc. Values come from, in order of precedence: the
//! environment variable, its `*_FILE` variant (secrets only: the value is read from that file),
//! the TOML file named by `GRIDLINE_CONFIG` (keys are the lower-case field names), and the
//! default. [`Config::load`] validates everything at start-up and names the setting at fault.
//! The result is an immutable value handed to the server; there is no global configuration.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{setting}: {reason}")]
    Invalid { setting: &'static str, reason: String },
    #[error("{setting}: cannot read {path}: {source}")]
    File { setting: &'static str, path: PathBuf, source: std::io::Error },
    #[error("GRIDLINE_CONFIG: {path} is not a valid TOML table of settings: {reason}")]
    Toml { path: PathBuf, reason: String },
}

/// One declared setting, as listed in `.env.example` and `gridline serve --help-settings`.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    /// Field name, also the key in the TOML file.
    pub field: &'static str,
    /// Environment variable.
    pub env: &'static str,
    /// Default as text ("" means unset, or derived from other settings as the doc says).
    pub default: &'static str,
    /// Whether a `*_FILE` variant is accepted and the value is hidden from `Debug`.
    pub secret: bool,
    pub doc: &'static str,
}

macro_rules! settings {
    ($( #[doc = $doc:literal] $field:ident : $ty:ty = $env:literal, default $default:literal $(, $secret:ident)? ; )+) => {
        /// Every setting as given, parsed to its type but not yet cross-checked.
        #[derive(Debug, Clone)]
        pub struct Settings {
            $( #[doc = $doc] pub $field: $ty, )+
        }

        /// The declaration of every setting, in the order of `.env.example`.
        pub const SETTINGS: &[SettingSpec] = &[
            $( SettingSpec {
                field: stringify!($field),
                env: $env,
                default: $default,
                secret: settings!(@secret $($secret)?),
                doc: $doc,
            }, )+
        ];

        impl Settings {
            fn from_source(source: &Source) -> Result<Self, ConfigError> {
                Ok(Self {
                    $( $field: source.get::<$ty>(
                        stringify!($field), $env, $default, settings!(@secret $($secret)?),
                    )?, )+
                })
            }
        }
    };
    (@secret secret) => { true };
    (@secret) => { false };
}

settings! {
    /// Address and port the HTTP server listens on.
    bind: SocketAddr = "GRIDLINE_BIND", default "127.0.0.1:8080";
    /// Folder for the embedded database, local photos and the development JWT secret.
    data_dir: PathBuf = "GRIDLINE_DATA_DIR", default "./gridline-data";
    /// Database URL: sqlite://PATH or postgres://... (default in development: a SQLite file in the data folder; required in production).
    database_url: Option<Secret> = "DATABASE_URL", default "", secret;
    /// development (demo data, generated JWT secret) or production (nothing is invented).
    environment: Environment = "GRIDLINE_ENV", default "development";
    /// Seed a demo city into an empty database (default: on in development, off in production).
    demo_seed: Option<bool> = "GRIDLINE_DEMO_SEED", default "";
    /// Key that signs access tokens, at least 32 bytes (required in production).
    jwt_secret: Option<Secret> = "GRIDLINE_JWT_SECRET", default "", secret;
    /// Key that seals phone numbers at rest and keys their look-up hash, at least 32 bytes (required in production; stored numbers open only with it).
    phone_key: Option<Secret> = "GRIDLINE_PHONE_KEY", default "", secret;
    /// Where photos are stored: local (a folder) or s3 (S3-compatible object storage).
    photo_store: PhotoStoreKind = "GRIDLINE_PHOTO_STORE", default "local";
    /// Folder for photos when GRIDLINE_PHOTO_STORE=local (default: DATA_DIR/photos).
    photo_dir: Option<PathBuf> = "GRIDLINE_PHOTO_DIR", default "";
    /// S3 bucket for photos (required when GRIDLINE_PHOTO_STORE=s3).
    s3_bucket: Option<String> = "GRIDLINE_S3_BUCKET", default "";
    /// S3 region.
    s3_region: String = "GRIDLINE_S3_REGION", default "us-east-1";
    /// S3 endpoint for S3-compatible services such as MinIO (default: AWS).
    s3_endpoint: Option<String> = "GRIDLINE_S3_ENDPOINT", default "";
    /// S3 access key id.
    s3_access_key_id: Option<String> = "GRIDLINE_S3_ACCESS_KEY_ID", default "";
    /// S3 secret access key.
    s3_secret_access_key: Option<Secret> = "GRIDLINE_S3_SECRET_ACCESS_KEY", default "", secret;
    /// TOML file of the city's working calendar (timezone, work_periods, weekend, missing_year) that deadlines and statistics count on; China's holiday schedules apply (default: Asia/Shanghai, 09:00-12:00 and 13:00-17:30, Saturday and Sunday off).
    calendar_file: Option<PathBuf> = "GRIDLINE_CALENDAR_FILE", default "";
    /// A point at most this many metres outside every cell goes to the nearest cell; farther, to the city's triage queue. Unset: core's default of 50 m, which the phones also use when a grid package carries none.
    routing_tolerance_m: Option<f64> = "GRIDLINE_ROUTING_TOLERANCE_M", default "";
    /// Days a patrol position (an inspector's track) is kept before it is deleted; it is personal data.
    patrol_retention_days: u32 = "GRIDLINE_PATROL_RETENTION_DAYS", default "90";
    /// Largest JSON request body, in bytes.
    json_limit_bytes: usize = "GRIDLINE_JSON_LIMIT_BYTES", default "65536";
    /// Largest photo upload (multipart body), in bytes.
    photo_limit_bytes: usize = "GRIDLINE_PHOTO_LIMIT_BYTES", default "15728640";
    /// Largest grid import body (GeoJSON), in bytes.
    grid_import_limit_bytes: usize = "GRIDLINE_GRID_IMPORT_LIMIT_BYTES", default "67108864";
    /// Reports one citizen account may file per hour (0: no limit); then 429 with Retry-After.
    intake_per_account_per_hour: u32 = "GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR", default "60";
    /// Database connections per server process.
    db_pool_size: u32 = "GRIDLINE_DB_POOL_SIZE", default "8";
    /// Seconds to wait for a database connection before answering 503.
    db_timeout_secs: u64 = "GRIDLINE_DB_TIMEOUT_SECS", default "5";
    /// HTTP worker threads (0: one per CPU core).
    workers: usize = "GRIDLINE_WORKERS", default "0";
    /// Log filter in tracing's EnvFilter syntax.
    log: String = "GRIDLINE_LOG", default "info";
    /// Log format: text or json.
    log_format: LogFormat = "GRIDLINE_LOG_FORMAT", default "text";
    /// Seconds between checks for grid changes made by other server nodes.
    grid_refresh_secs: u64 = "GRIDLINE_GRID_REFRESH_SECS", default "5";
    /// Seconds between scans for cases past their deadline (marked overdue, then escalated).
    overdue_scan_secs: u64 = "GRIDLINE_OVERDUE_SCAN_SECS", default "60";
    /// Seconds between sweeps that confirm sensor alarms which lasted their rule's minimum time and file alarm groups still without a case.
    sensor_sweep_secs: u64 = "GRIDLINE_SENSOR_SWEEP_SECS", default "10";
    /// City time (HH:MM, the working calendar's timezone) from which the day's early-warning scan of every category class runs, once a day across all nodes; off: no scheduled scan (POST /api/v1/warnings/scan still runs one on demand).
    warning_scan_at: DailyAt = "GRIDLINE_WARNING_SCAN_AT", default "06:00";
    /// Seconds a node's claim on the day's scan of one class holds; a run left unfinished that long (its node died) is taken over by another node.
    warning_scan_lease_secs: u64 = "GRIDLINE_WARNING_SCAN_LEASE_SECS", default "900";
    /// Seconds between re-reads of the event feed by each live-event stream, in case a wake-up was missed.
    events_poll_secs: u64 = "GRIDLINE_EVENTS_POLL_SECS", default "5";
    /// Seconds of silence after which a live-event stream sends a keep-alive comment.
    events_heartbeat_secs: u64 = "GRIDLINE_EVENTS_HEARTBEAT_SECS", default "15";
    /// Seconds that in-flight requests get to finish on shutdown.
    shutdown_timeout_secs: u64 = "GRIDLINE_SHUTDOWN_TIMEOUT_SECS", default "10";
    /// Milliseconds a client gets to send a request's head (line and headers); then 408 and the connection closes, so slow senders cannot hold connections.
    client_request_timeout_ms: u64 = "GRIDLINE_CLIENT_REQUEST_TIMEOUT_MS", default "5000";
    /// Seconds a whole request (head, body and handling) may take before it is answered 408 and its connection closed, so a body trickled byte by byte cannot hold a connection; the request's database work is stopped then too (what it had not committed rolls back). A live-event stream is not cut once it has started.
    request_timeout_secs: u64 = "GRIDLINE_REQUEST_TIMEOUT_SECS", default "60";
    /// Seconds an idle keep-alive connection stays open.
    keep_alive_secs: u64 = "GRIDLINE_KEEP_ALIVE_SECS", default "5";
    /// Bearer token that `/metrics` asks for on the main address (at least 16 bytes); with neither this nor GRIDLINE_METRICS_BIND, `/metrics` is not served.
    metrics_token: Option<Secret> = "GRIDLINE_METRICS_TOKEN", default "", secret;
    /// A second address and port that serves only `/metrics`, without a token (keep it on a private network).
    metrics_bind: Option<SocketAddr> = "GRIDLINE_METRICS_BIND", default "";
    /// Origin of absolute URLs in answers (Open311 discovery and media_url), e.g. https://city.example.org; unset: the request's Host, and X-Forwarded-Proto/-Host only from GRIDLINE_TRUSTED_PROXIES.
    public_base_url: Option<PublicBaseUrl> = "GRIDLINE_PUBLIC_BASE_URL", default "";
    /// Reverse proxies (comma-separated CIDR blocks) whose X-Forwarded-For names the client for per-IP limits; empty: the TCP peer is the client.
    trusted_proxies: TrustedProxies = "GRIDLINE_TRUSTED_PROXIES", default "";
    /// SMS gateway webhook (http or https URL) that carries one-time codes and notices to reporters as JSON {"to", "text"}; unset: development logs them, production sends none.
    sms_webhook_url: Option<WebhookUrl> = "GRIDLINE_SMS_WEBHOOK_URL", default "";
    /// Push relay webhook (http or https URL) that receives each app notification as JSON {"token", "platform", "title", "body", "tracking_number", "change"}; unset: no push notices.
    push_webhook_url: Option<WebhookUrl> = "GRIDLINE_PUSH_WEBHOOK_URL", default "";
    /// SMTP server for notices by e-mail: smtp://host:25, smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465; unset: no e-mail notices.
    smtp_url: Option<Secret> = "GRIDLINE_SMTP_URL", default "", secret;
    /// Sender of notices by e-mail (a mailbox: "Name <address>" or an address).
    mail_from: String = "GRIDLINE_MAIL_FROM", default "Gridline <noreply@gridline.invalid>";
    /// Local hours (HH:MM-HH:MM, the working calendar's timezone) in which notices that are not urgent wait; empty: none.
    notify_quiet_hours: Option<gridline_core::workflow::notice::QuietHours> = "GRIDLINE_NOTIFY_QUIET_HOURS", default "22:00-07:00";
    /// Seconds before a failed notice is first tried again; the wait doubles with each further try, at most six hours.
    notify_retry_secs: u64 = "GRIDLINE_NOTIFY_RETRY_SECS", default "60";
    /// Tries of one notice before it is logged as failed.
    notify_max_attempts: u32 = "GRIDLINE_NOTIFY_MAX_ATTEMPTS", default "8";
    /// Seconds between the notification job's passes when no step wakes it.
    notify_scan_secs: u64 = "GRIDLINE_NOTIFY_SCAN_SECS", default "5";
    /// What a dissatisfied call-back (回访) does: automatic (the case goes back to its handling unit with a new deadline) or dispatcher (it stays closed until the street office reopens it).
    callback_rework: gridline_core::workflow::callback::CallbackRework = "GRIDLINE_CALLBACK_REWORK", default "dispatcher";
    /// How soon after a report the first response (registered, rejected, answered...) counts as on time for the statistics' response rate (响应率), in working days (1d) or hours (4h).
    response_limit: gridline_core::calendar::TimeLimit = "GRIDLINE_RESPONSE_LIMIT", default "1d";
    /// Hotline orders' time limits by type and urgency cap, as name=limit pairs changing the defaults (consultation=1d, help=5d, complaint=5d, suggestion=1d, urgent=1d, very_urgent=2h).
    hotline_limits: gridline_core::workflow::hotline::HotlineLimits = "GRIDLINE_HOTLINE_LIMITS", default "";
}

/// Where the settings come from: the process environment and the optional TOML file.
pub struct Source {
    env: HashMap<String, String>,
    file: HashMap<String, String>,
}

impl Source {
    /// The process environment, plus the TOML file named by `GRIDLINE_CONFIG` if set.
    pub fn from_process() -> Result<Self, ConfigError> {
        Self::from_env(std::env::vars().collect())
    }

    /// Settings from an explicit environment map (tests use this; no process state is read
    /// except the files the map names).
    pub fn from_env(env: HashMap<String, String>) -> Result<Self, ConfigError> {
        let file = match env.get("GRIDLINE_CONFIG").filter(|p| !p.is_empty()) {
            Some(path) => read_toml(Path::new(path))?,
            None => HashMap::new(),
        };
        Ok(Self { env, file })
    }

    fn raw(&self, field: &str, env: &'static str, secret: bool) -> Result<Option<String>, ConfigError> {
        if let Some(v) = self.env.get(env) {
            return Ok(Some(v.clone()));
        }
        if secret {
            let file_var = format!("{env}_FILE");
            if let Some(path) = self.env.get(&file_var).filter(|p| !p.is_empty()) {
                let path = PathBuf::from(path);
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::File {
                    setting: env,
                    path,
                    source,
                })?;
                return Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()));
            }
        }
        Ok(self.file.get(field).or_else(|| self.file.get(env)).cloned())
    }

    fn get<T: SettingValue>(
        &self,
        field: &str,
        env: &'static str,
        default: &str,
        secret: bool,
    ) -> Result<T, ConfigError> {
        let raw = self.raw(field, env, secret)?;
        let text = raw.as_deref().unwrap_or(default);
        T::parse_setting(text.trim()).map_err(|reason| ConfigError::Invalid { setting: env, reason })
    }
}

fn read_toml(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::File {
        setting: "GRIDLINE_CONFIG",
        path: path.to_owned(),
        source,
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Toml { path: path.to_owned(), reason: e.to_string() })?;
    let mut out = HashMap::new();
    for (key, value) in table {
        let known = SETTINGS.iter().any(|s| s.field == key || s.env == key);
        if !known {
            return Err(ConfigError::Toml {
                path: path.to_owned(),
                reason: format!("unknown setting {key:?}"),
            });
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError::Toml {
                    path: path.to_owned(),
                    reason: format!(
                        "{key}: expected a string, number or boolean, found {}",
                        other.type_str()
                    ),
                });
            }
        };
        out.insert(key, text);
    }
    Ok(out)
}

/// A type a setting can have: parsed from text, with a message saying what was expected.
pub trait SettingValue: Sized {
    fn parse_setting(text: &str) -> Result<Self, String>;
}

macro_rules! from_str_setting {
    ($($ty:ty => $expected:literal),+ $(,)?) => {$(
        impl SettingValue for $ty {
            fn parse_setting(text: &str) -> Result<Self, String> {
                <$ty>::from_str(text).map_err(|_| format!(concat!("expected ", $expected, ", found {:?}"), text))
            }
        }
    )+};
}

from_str_setting! {
    SocketAddr => "an address and port such as 127.0.0.1:8080",
    u32 => "a whole number",
    u64 => "a whole number",
    usize => "a whole number",
    f64 => "a number",
}

impl SettingValue for String {
    fn parse_setting(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

impl SettingValue for PathBuf {
    fn parse_setting(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("expected a path, found nothing".into());
        }
        Ok(PathBuf::from(text))
    }
}

impl SettingValue for bool {
    fn parse_setting(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(format!("expected true or false, found {text:?}")),
        }
    }
}

impl<T: SettingValue> SettingValue for Option<T> {
    fn parse_setting(text: &str) -> Result<Self, String> {
        if text.is_empty() { Ok(None) } else { T::parse_setting(text).map(Some) }
    }
}

/// A secret value: usable by the code, never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl SettingValue for gridline_core::workflow::callback::CallbackRework {
    fn parse_setting(text: &str) -> Result<Self, String> {
        text.parse().map_err(|e: gridline_core::workflow::UnknownName| e.to_string())
    }
}

impl SettingValue for gridline_core::workflow::hotline::HotlineLimits {
    fn parse_setting(text: &str) -> Result<Self, String> {
        text.parse().map_err(|e: gridline_core::workflow::hotline::HotlineLimitsFormat| e.to_string())
    }
}

impl SettingValue for gridline_core::calendar::TimeLimit {
    fn parse_setting(text: &str) -> Result<Self, String> {
        text.parse().map_err(|e| format!("expected a time limit such as 1d or 4h: {e}"))
    }
}

impl SettingValue for gridline_core::workflow::notice::QuietHours {
    fn parse_setting(text: &str) -> Result<Self, String> {
        text.parse().map_err(|e: gridline_core::workflow::notice::QuietHoursFormat| e.to_string())
    }
}

/// When a daily job runs: from a time of day (HH:MM, the city's) on, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyAt {
    Off,
    At(chrono::NaiveTime),
}

impl SettingValue for DailyAt {
    fn parse_setting(text: &str) -> Result<Self, String> {
        if text.trim() == "off" {
            return Ok(Self::Off);
        }
        chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M")
            .map(Self::At)
            .map_err(|_| format!("expected a time of day such as 06:00, or off, found {text:?}"))
    }
}

/// The URL of a webhook: http or https, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl std::ops::Deref for WebhookUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl SettingValue for WebhookUrl {
    fn parse_setting(text: &str) -> Result<Self, String> {
        let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
        match rest {
            Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(Self(text.to_owned())),
            _ => Err(format!("expected an http:// or https:// URL, found {text:?}")),
        }
    }
}

impl SettingValue for Secret {
    fn parse_setting(text: &str) -> Result<Self, String> {
        Ok(Secret(text.to_owned()))
    }
}

macro_rules! keyword_setting {
    ($name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl SettingValue for $name {
            fn parse_setting(text: &str) -> Result<Self, String> {
                match text.to_ascii_lowercase().as_str() {
                    $($word => Ok(Self::$variant),)+
                    _ => Err(format!(concat!("expected one of" $(, " ", $word)+, ", found {:?}"), text)),
                }
            }
        }
    };
}

keyword_setting!(Environment { Development = "development", Production = "production" });
keyword_setting!(PhotoStoreKind { Local = "local", S3 = "s3" });
keyword_setting!(LogFormat { Text = "text", Json = "json" });

/// Where photos go, resolved from the `photo_store` and `s3_*` settings.
#[derive(Debug, Clone)]
pub enum PhotoStoreConfig {
    Local {
        dir: PathBuf,
    },
    S3 {
        bucket: String,
        region: String,
        endpoint: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<Secret>,
    },
}

/// The validated configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub database_url: Secret,
    pub demo_seed: bool,
    pub jwt_secret: Secret,
    pub phone_key: Secret,
    pub photo_store: PhotoStoreConfig,
}

/// Shortest accepted signing key, in bytes (HS256 wants at least the hash size).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Shortest accepted `/metrics` bearer token, in bytes.
pub const MIN_METRICS_TOKEN_BYTES: usize = 16;

/// File in the data folder holding the generated development JWT secret.
const DEV_JWT_SECRET_FILE: &str = "jwt-secret";

/// File in the data folder holding the generated development phone key.
const DEV_PHONE_KEY_FILE: &str = "phone-key";

impl Settings {
    /// How far outside every cell, in metres, a point still goes to the nearest cell: the
    /// city's setting, else core's default (the one limit the phones fall back on too).
    pub fn routing_tolerance(&self) -> f64 {
        self.routing_tolerance_m.unwrap_or(gridline_core::limits::DEFAULT_ROUTING_TOLERANCE_M)
    }
}

impl Config {
    /// Reads the process environment (and `GRIDLINE_CONFIG`) and validates it.
    pub fn load() -> Result<Self, ConfigError> {
        Self::from_source(&Source::from_process()?)
    }

    /// Validates settings from `source`. In development, a missing JWT secret is generated and
    /// kept in the data folder, so tokens survive a restart.
    pub fn from_source(source: &Source) -> Result<Self, ConfigError> {
        let settings = Settings::from_source(source)?;
        let production = settings.environment == Environment::Production;
        let invalid =
            |setting: &'static str, reason: &str| ConfigError::Invalid { setting, reason: reason.to_owned() };

        let database_url = match &settings.database_url {
            Some(url) => {
                crate::store::Backend::from_url(url.expose())
                    .map_err(|e| ConfigError::Invalid { setting: "DATABASE_URL", reason: e.to_string() })?;
                url.clone()
            }
            None if production => {
                return Err(invalid(
                    "DATABASE_URL",
                    "required in production (set it, or DATABASE_URL_FILE); a missing URL must not \
                     quietly start an empty embedded database",
                ));
            }
            None => Secret(format!("sqlite://{}", settings.data_dir.join("gridline.sqlite3").display())),
        };
        let demo_seed = settings.demo_seed.unwrap_or(!production);
        if production && demo_seed {
            return Err(invalid(
                "GRIDLINE_DEMO_SEED",
                "demo seeding creates default passwords and is refused in production",
            ));
        }
        let tolerance = settings.routing_tolerance();
        if !tolerance.is_finite() || tolerance < 0.0 {
            return Err(invalid("GRIDLINE_ROUTING_TOLERANCE_M", "expected a finite distance of 0 m or more"));
        }
        for (setting, value) in [
            ("GRIDLINE_JSON_LIMIT_BYTES", settings.json_limit_bytes),
            ("GRIDLINE_PHOTO_LIMIT_BYTES", settings.photo_limit_bytes),
            ("GRIDLINE_GRID_IMPORT_LIMIT_BYTES", settings.grid_import_limit_bytes),
        ] {
            if value < 1024 {
                return Err(ConfigError::Invalid {
                    setting,
                    reason: format!("expected at least 1024 bytes, found {value}"),
                });
            }
        }
        if settings.db_pool_size == 0 {
            return Err(invalid("GRIDLINE_DB_POOL_SIZE", "expected at least 1 connection, found 0"));
        }
        if settings.events_poll_secs == 0 {
            return Err(invalid("GRIDLINE_EVENTS_POLL_SECS", "expected at least 1 second, found 0"));
        }
        if settings.events_heartbeat_secs == 0 {
            return Err(invalid("GRIDLINE_EVENTS_HEARTBEAT_SECS", "expected at least 1 second, found 0"));
        }
        if settings.request_timeout_secs == 0 {
            return Err(invalid("GRIDLINE_REQUEST_TIMEOUT_SECS", "expected at least 1 second, found 0"));
        }
        if settings.grid_refresh_secs == 0 {
            return Err(invalid("GRIDLINE_GRID_REFRESH_SECS", "expected at least 1 second, found 0"));
        }
        if settings.overdue_scan_secs == 0 {
            return Err(invalid("GRIDLINE_OVERDUE_SCAN_SECS", "expected at least 1 second, found 0"));
        }
        for (setting, value) in [
            ("GRIDLINE_NOTIFY_RETRY_SECS", settings.notify_retry_secs),
            ("GRIDLINE_NOTIFY_SCAN_SECS", settings.notify_scan_secs),
            ("GRIDLINE_NOTIFY_MAX_ATTEMPTS", u64::from(settings.notify_max_attempts)),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    setting,
                    reason: "expected at least 1, found 0".to_owned(),
                });
            }
        }
        if settings.warning_scan_lease_secs == 0 {
            return Err(invalid("GRIDLINE_WARNING_SCAN_LEASE_SECS", "expected at least 1 second, found 0"));
        }
        if settings.sensor_sweep_secs == 0 {
            return Err(invalid("GRIDLINE_SENSOR_SWEEP_SECS", "expected at least 1 second, found 0"));
        }
        if let Some(token) = &settings.metrics_token
            && token.0.len() < MIN_METRICS_TOKEN_BYTES
        {
            return Err(ConfigError::Invalid {
                setting: "GRIDLINE_METRICS_TOKEN",
                reason: format!("expected at least {MIN_METRICS_TOKEN_BYTES} bytes, found {}", token.0.len()),
            });
        }
        let jwt_secret = server_key(
            settings.jwt_secret.as_ref(),
            "GRIDLINE_JWT_SECRET",
            DEV_JWT_SECRET_FILE,
            production,
            &settings.data_dir,
        )?;
        let phone_key = server_key(
            settings.phone_key.as_ref(),
            "GRIDLINE_PHONE_KEY",
            DEV_PHONE_KEY_FILE,
            production,
            &settings.data_dir,
        )?;
        let photo_store = match settings.photo_store {
            PhotoStoreKind::Local => PhotoStoreConfig::Local {
                dir: settings.photo_dir.clone().unwrap_or_else(|| settings.data_dir.join("photos")),
            },
            PhotoStoreKind::S3 => PhotoStoreConfig::S3 {
                bucket: settings
                    .s3_bucket
                    .clone()
                    .ok_or_else(|| invalid("GRIDLINE_S3_BUCKET", "required when GRIDLINE_PHOTO_STORE=s3"))?,
                region: settings.s3_region.clone(),
                endpoint: settings.s3_endpoint.clone(),
                access_key_id: settings.s3_access_key_id.clone(),
                secret_access_key: settings.s3_secret_access_key.clone(),
            },
        };
        Ok(Self { settings, database_url, demo_seed, jwt_secret, phone_key, photo_store })
    }

    pub fn is_production(&self) -> bool {
        self.settings.environment == Environment::Production
    }
}

/// A server key of at least [`MIN_JWT_SECRET_BYTES`] (`setting`: the JWT secret, the phone
/// key): as configured, required in production, generated in development into `dev_file` in
/// the data folder.
fn server_key(
    configured: Option<&Secret>,
    setting: &'static str,
    dev_file: &str,
    production: bool,
    data_dir: &Path,
) -> Result<Secret, ConfigError> {
    match configured {
        Some(secret) if secret.0.len() >= MIN_JWT_SECRET_BYTES => Ok(secret.clone()),
        Some(secret) => Err(ConfigError::Invalid {
            setting,
            reason: format!("expected at least {MIN_JWT_SECRET_BYTES} bytes, found {}", secret.0.len()),
        }),
        None if production => Err(ConfigError::Invalid {
            setting,
            reason: format!("required in production (set it, or {setting}_FILE)"),
        }),
        None => development_secret(data_dir, setting, dev_file),
    }
}

/// Reads a development secret from the data folder, creating it (random, owner-only) on the
/// first start.
fn development_secret(data_dir: &Path, setting: &'static str, file: &str) -> Result<Secret, ConfigError> {
    let path = data_dir.join(file);
    let file_error = |source| ConfigError::File { setting, path: path.clone(), source };
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= MIN_JWT_SECRET_BYTES => return Ok(Secret(text.trim().to_owned())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(file_error(e)),
    }
    crate::store::create_private_dir(data_dir).map_err(file_error)?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    write_owner_only(&path, &secret).map_err(file_error)?;
    Ok(Secret(secret))
}

fn write_owner_only(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// The text of `.env.example`: every setting with its doc line and default.
pub fn env_example() -> String {
    let mut out = String::from(
        "# Gridline server settings. Every key is optional in development; the value shown is the default.\n\
         # Secrets also accept KEY_FILE=/path (the value is read from that file).\n\
         # Generated by `gridline serve --print-env-example`; a test keeps this file in step.\n",
    );
    for spec in SETTINGS {
        out.push('\n');
        out.push_str(&format!("#{}\n", spec.doc));
        if spec.secret {
            out.push_str(&format!("# (secret: {}_FILE accepted)\n", spec.env));
        }
        out.push_str(&format!("# {}={}\n", spec.env, spec.default));
    }
    out
}

mod proxies;
mod public_base_url;
pub use proxies::TrustedProxies;
pub use public_base_url::PublicBaseUrl;
pub(crate) use public_base_url::is_plain_host;

#[cfg(test)]
mod tests;
