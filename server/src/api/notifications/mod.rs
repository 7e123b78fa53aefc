//! Notifications to reporters, over HTTP ([`crate::notify`] does the sending):
//!
//! - `GET` / `PUT /api/v1/me/notifications`: the signed-in account's channels and language
//!   (core's [`NotificationPreferences`]), with what it has addresses for;
//! - `POST /api/v1/me/push-tokens` and `DELETE /api/v1/me/push-tokens/{token}`: the device
//!   tokens the apps register for the account (a token moves to the account that registers it
//!   last; each account keeps its newest ten);
//! - `GET /api/v1/cases/{id}/notifications`: the case's notification log, what went to whom by
//!   which channel and whether it arrived. The reporter reads their own entries; the street
//!   office and the city (dispatchers and admins whose scope holds the case) read all of them.
//!   Handling units, inspectors and viewers are refused: the log names the reporter's
//!   addresses (masked), and they work the problem, not the person.

use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use gridline_core::protocol::{NotificationPreferences, PushTokenRequest};
use gridline_core::workflow::Role;
use gridline_core::workflow::notice::{
    Language, MAX_EMAIL_CHARS, MAX_PUSH_TOKEN_CHARS, PUSH_PLATFORMS, PublicChange,
};
use serde::Serialize;

use crate::api::cases::load_case;
use crate::app::AppState;
use crate::auth::Principal;
use crate::cases::facts::in_scope;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::notify::expand::default_preferences;
use crate::store::notifications::{self as store, DeliveryRow, DeliveryState, PreferencesRow, PushTokenRow};
use crate::store::schema::users;
use crate::store::{DbConnection, StoreResult};

/// `GET`/`PUT /api/v1/me/notifications`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationSettings {
    pub preferences: NotificationPreferences,
    /// Whether the account signed in with a phone number (SMS needs one).
    pub phone_on_file: bool,
    /// Devices registered for app push.
    pub push_devices: usize,
}

fn preferences_of(row: &PreferencesRow) -> NotificationPreferences {
    NotificationPreferences {
        sms: row.sms,
        push: row.push,
        email: row.email,
        email_address: row.email_address.clone(),
        language: row.language.parse().unwrap_or(Language::Zh),
    }
}

fn settings_of(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> StoreResult<NotificationSettings> {
    use diesel::prelude::*;
    let row = store::preferences(conn, user_id)?.unwrap_or_else(|| default_preferences(user_id, now));
    let phone: Option<Option<String>> =
        users::table.find(user_id).select(users::phone_sealed).first(conn).optional()?;
    Ok(NotificationSettings {
        preferences: preferences_of(&row),
        phone_on_file: phone.flatten().is_some(),
        push_devices: store::tokens_of(conn, user_id)?.len(),
    })
}

pub async fn get_preferences(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    let now = state.clock.now().naive_utc();
    let settings = state.db.run(move |conn| settings_of(conn, &who.user_id, now)).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// The address, trimmed, if it is one an SMTP server will take.
fn checked_email(address: Option<&str>, wanted: bool) -> ApiResult<Option<String>> {
    let Some(address) = address.map(str::trim).filter(|a| !a.is_empty()) else {
        if wanted {
            return Err(ApiError::invalid_field("email_address", "e-mail notices need an address"));
        }
        return Ok(None);
    };
    if address.chars().count() > MAX_EMAIL_CHARS {
        return Err(ApiError::invalid_field(
            "email_address",
            format!("an e-mail address is at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    if address.parse::<lettre::Address>().is_err() {
        return Err(ApiError::invalid_field("email_address", "not an e-mail address"));
    }
    Ok(Some(address.to_owned()))
}

pub async fn put_preferences(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<NotificationPreferences>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let email_address = checked_email(body.email_address.as_deref(), body.email)?;
    let now = state.clock.now().naive_utc();
    let row = PreferencesRow {
        user_id: who.user_id.clone(),
        sms: body.sms,
        push: body.push,
        email: body.email,
        email_address,
        language: body.language.as_str().to_owned(),
        updated_at: now,
    };
    let settings = state
        .db
        .run(move |conn| {
            store::save_preferences(conn, &row)?;
            settings_of(conn, &row.user_id, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// `POST /api/v1/me/push-tokens`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RegisteredPushToken)]
pub struct RegisteredToken {
    pub platform: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub registered_at: String,
}

fn checked_token(token: &str) -> ApiResult<&str> {
    let token = token.trim();
    if token.is_empty() || token.chars().count() > MAX_PUSH_TOKEN_CHARS {
        return Err(ApiError::invalid_field(
            "token",
            format!("a push token is 1 to {MAX_PUSH_TOKEN_CHARS} characters"),
        ));
    }
    if !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid_field("token", "a push token is printable ASCII without spaces"));
    }
    Ok(token)
}

pub async fn register_token(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<PushTokenRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let token = checked_token(&body.token)?.to_owned();
    if !PUSH_PLATFORMS.contains(&body.platform.as_str()) {
        return Err(ApiError::invalid_field(
            "platform",
            format!("expected one of {}", PUSH_PLATFORMS.join(", ")),
        ));
    }
    let now = state.clock.now().naive_utc();
    let row = PushTokenRow { token, user_id: who.user_id.clone(), platform: body.platform, created_at: now };
    let answer = RegisteredToken { platform: row.platform.clone(), registered_at: rfc3339(now) };
    state.db.run(move |conn| store::register_token(conn, &row)).await?;
    Ok(HttpResponse::Created().json(answer))
}

pub async fn unregister_token(
    state: web::Data<AppState>,
    who: Principal,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let forgotten = state.db.run(move |conn| store::unregister_token(conn, &who.user_id, &token)).await?;
    if !forgotten {
        return Err(ApiError::not_found("push token"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// One line of a case's notification log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationLogEntry {
    /// The delivery id, also the message's idempotency key (Idempotency-Key, Message-ID).
    pub id: String,
    /// The public change it tells.
    #[schema(value_type = PublicChange)]
    pub change: String,
    #[schema(schema_with = channel_schema)]
    pub channel: String,
    /// The address, masked.
    pub to: String,
    #[schema(value_type = Language)]
    pub language: String,
    pub subject: String,
    pub text: String,
    /// Sent during quiet hours too.
    pub urgent: bool,
    #[schema(schema_with = delivery_state_schema)]
    pub state: String,
    pub attempts: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When a pending one is tried (next), after quiet hours or a failed try.
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    pub last_error: Option<String>,
}

fn words(values: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(values))
        .build()
}

/// How a notice went: [`crate::notify::Channel`]'s wire names.
fn channel_schema() -> utoipa::openapi::Object {
    words(crate::notify::Channel::ALL.map(crate::notify::Channel::as_str))
}

fn delivery_state_schema() -> utoipa::openapi::Object {
    words(DeliveryState::ALL.map(DeliveryState::as_str))
}

fn log_view_schema() -> utoipa::openapi::Object {
    words(["reporter", "staff"])
}

impl From<DeliveryRow> for NotificationLogEntry {
    fn from(row: DeliveryRow) -> Self {
        Self {
            next_attempt_at: (row.state == DeliveryState::Pending).then(|| rfc3339(row.next_attempt_at)),
            id: row.id,
            change: row.public_change.to_string(),
            channel: row.channel,
            to: row.shown_to,
            language: row.language,
            subject: row.subject,
            text: row.body,
            urgent: row.urgent,
            state: row.state.as_str().to_owned(),
            attempts: row.attempts,
            created_at: rfc3339(row.created_at),
            delivered_at: row.delivered_at.map(rfc3339),
            last_error: row.last_error,
        }
    }
}

/// `GET /api/v1/cases/{id}/notifications`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationLog {
    pub case_id: String,
    pub tracking_number: String,
    /// `reporter` (the caller's own notices) or `staff` (all of them).
    #[schema(schema_with = log_view_schema)]
    pub view: &'static str,
    pub entries: Vec<NotificationLogEntry>,
}

/// Who reads the whole log of a case they hold: the street office, the district and the city.
const LOG_READERS: &[Role] = &[Role::Dispatcher, Role::DistrictAdmin, Role::Admin];

pub async fn case_log(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (case, ()) = load_case(&state, &id, |_, _| Ok(())).await?;
    let is_reporter = case.row.reporter_id.as_deref() == Some(who.user_id.as_str());
    let view = if is_reporter {
        "reporter"
    } else if who.role != Role::Citizen && in_scope(&who, &case) {
        if !LOG_READERS.contains(&who.role) {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                "forbidden",
                "the notification log names the reporter's addresses: the street office and the city read it",
            ));
        }
        "staff"
    } else {
        return Err(ApiError::not_found("case"));
    };
    let (case_id, recipient) = (case.row.id, is_reporter.then(|| who.user_id.clone()));
    let rows = state.db.run(move |conn| store::for_case(conn, case_id, recipient.as_deref())).await?;
    Ok(HttpResponse::Ok().json(NotificationLog {
        case_id: case.row.id.to_string(),
        tracking_number: case.row.tracking_number,
        view,
        entries: rows.into_iter().map(NotificationLogEntry::from).collect(),
    }))
}
