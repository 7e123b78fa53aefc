//! The pluggable senders of the three channels, and the ones built in:
//!
//! - SMS ([`SmsSender`]): the same seam as the one-time codes ([`crate::auth::OtpSender`]). A
//!   gateway reached by a webhook ([`WebhookSms`], `GRIDLINE_SMS_WEBHOOK_URL`) carries both the
//!   codes ([`SmsCodes`]) and the notices; development without a gateway writes to the log
//!   ([`LogSms`]), like the codes.
//! - App push ([`PushSender`]): to the device tokens the apps register; [`WebhookPush`]
//!   (`GRIDLINE_PUSH_WEBHOOK_URL`) hands each message to a push relay (the city's FCM/APNs
//!   bridge) as JSON.
//! - E-mail ([`EmailSender`]): [`Smtp`] over SMTP (`GRIDLINE_SMTP_URL`), with lettre.
//!
//! Every message carries its delivery id as an idempotency key (`Idempotency-Key` on the
//! webhooks, the `Message-ID` of an e-mail), so a receiver can drop the one copy a crash
//! between sending and recording could still produce. Senders are called on the blocking
//! pool and may block on network I/O.

use std::time::Duration;

use serde::Serialize;

use crate::auth::phone::PhoneNumber;

/// Longest a sender waits for a gateway or mail server.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a message did not go out. A `permanent` failure is not retried (a refused address, a
/// gateway that says the request itself is wrong); anything else is tried again later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    pub permanent: bool,
    pub reason: String,
}

impl SendFailure {
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self { permanent: true, reason: reason.into() }
    }

    pub fn transient(reason: impl Into<String>) -> Self {
        Self { permanent: false, reason: reason.into() }
    }
}

/// Delivers a text message to a phone number (an SMS gateway).
pub trait SmsSender: Send + Sync {
    /// Sends `text` to `to`; `message_id` is stable across retries of the same message.
    fn send_sms(&self, to: &PhoneNumber, text: &str, message_id: &str) -> Result<(), SendFailure>;
}

/// One app notification as a push relay receives it.
#[derive(Debug, Clone, Serialize)]
pub struct PushMessage<'a> {
    pub token: &'a str,
    pub platform: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    /// What an app needs to open the case: its tracking number and the kind of change.
    pub tracking_number: &'a str,
    pub change: &'a str,
}

/// Delivers an app notification to one device token.
pub trait PushSender: Send + Sync {
    fn send_push(&self, message: &PushMessage<'_>, message_id: &str) -> Result<(), SendFailure>;
}

/// Delivers an e-mail.
pub trait EmailSender: Send + Sync {
    fn send_email(&self, to: &str, subject: &str, text: &str, message_id: &str) -> Result<(), SendFailure>;
}

/// Development SMS: writes the message's kind and the number's last two digits to the log and
/// counts as sent. Never installed in production.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSms;

impl SmsSender for LogSms {
    fn send_sms(&self, to: &PhoneNumber, _text: &str, message_id: &str) -> Result<(), SendFailure> {
        tracing::info!(?to, message_id, "development SMS notice (not sent anywhere)");
        Ok(())
    }
}

/// A JSON POST to a gateway's URL, with the message id as `Idempotency-Key`: 2xx is sent, a
/// 4xx other than 408 and 429 is a permanent refusal, anything else is tried again.
fn post_json(
    agent: &ureq::Agent,
    url: &str,
    body: &impl Serialize,
    message_id: &str,
) -> Result<(), SendFailure> {
    let body =
        serde_json::to_vec(body).map_err(|e| SendFailure::permanent(format!("message encoding: {e}")))?;
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(url)
        .header("content-type", "application/json")
        .header("idempotency-key", message_id)
        .body(body)
        .map_err(|e| SendFailure::permanent(format!("invalid gateway request: {e}")))?;
    let response =
        agent.run(request).map_err(|e| SendFailure::transient(format!("gateway unreachable: {e}")))?;
    let status = response.status().as_u16();
    match status {
        200..=299 => Ok(()),
        408 | 429 => Err(SendFailure::transient(format!("gateway answered {status}"))),
        400..=499 => Err(SendFailure::permanent(format!("gateway refused the message ({status})"))),
        _ => Err(SendFailure::transient(format!("gateway answered {status}"))),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(SEND_TIMEOUT))
        .build()
        .into()
}

/// An SMS gateway behind a webhook: `POST {url}` with `{"to": "+86…", "text": "…"}`.
pub struct WebhookSms {
    url: String,
    agent: ureq::Agent,
}

impl WebhookSms {
    pub fn new(url: &str) -> Self {
        Self { url: url.to_owned(), agent: agent() }
    }
}

impl SmsSender for WebhookSms {
    fn send_sms(&self, to: &PhoneNumber, text: &str, message_id: &str) -> Result<(), SendFailure> {
        #[derive(Serialize)]
        struct Sms<'a> {
            to: &'a str,
            text: &'a str,
        }
        post_json(&self.agent, &self.url, &Sms { to: to.as_str(), text }, message_id)
    }
}

/// A push relay behind a webhook: `POST {url}` with a [`PushMessage`].
pub struct WebhookPush {
    url: String,
    agent: ureq::Agent,
}

impl WebhookPush {
    pub fn new(url: &str) -> Self {
        Self { url: url.to_owned(), agent: agent() }
    }
}

impl PushSender for WebhookPush {
    fn send_push(&self, message: &PushMessage<'_>, message_id: &str) -> Result<(), SendFailure> {
        post_json(&self.agent, &self.url, message, message_id)
    }
}

/// One-time codes through an [`SmsSender`]: the seam the codes always had, now with a real
/// gateway behind it when one is configured.
pub struct SmsCodes(pub std::sync::Arc<dyn SmsSender>);

impl crate::auth::OtpSender for SmsCodes {
    fn send(&self, phone: &PhoneNumber, code: &str) -> Result<(), String> {
        let text =
            format!("【网格管理】验证码 {code}，5 分钟内有效。Gridline code {code}, valid for 5 minutes.");
        let message_id = uuid::Uuid::now_v7().to_string();
        self.0.send_sms(phone, &text, &message_id).map_err(|failure| failure.reason)
    }
}

/// E-mail over SMTP. `GRIDLINE_SMTP_URL` is lettre's form: `smtp://host:25` (plain, for a
/// relay on the same host), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
/// `smtps://user:pass@host:465` (TLS).
pub struct Smtp {
    transport: lettre::SmtpTransport,
    from: lettre::message::Mailbox,
}

impl Smtp {
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = lettre::SmtpTransport::from_url(url)
            .map_err(|e| format!("not an SMTP URL lettre understands: {e}"))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = from.parse().map_err(|e| format!("not a mailbox: {e}"))?;
        Ok(Self { transport, from })
    }
}

impl EmailSender for Smtp {
    fn send_email(&self, to: &str, subject: &str, text: &str, message_id: &str) -> Result<(), SendFailure> {
        use lettre::Transport;
        let to: lettre::message::Mailbox =
            to.parse().map_err(|e| SendFailure::permanent(format!("not an e-mail address: {e}")))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{message_id}@gridline.notice>")))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(text.to_owned())
            .map_err(|e| SendFailure::permanent(format!("message building: {e}")))?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| SendFailure { permanent: e.is_permanent(), reason: format!("SMTP: {e}") })
    }
}
