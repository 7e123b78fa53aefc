//! Notifications to reporters: every public change of a case (core's
//! [`PublicChange`](gridline_core::workflow::notice::PublicChange): registered, dispatched,
//! handled, closed, merged, rejected, reopened) is told to its reporter by SMS, app push and
//! e-mail, as the reporter chose, with the tracking number in every message.
//!
//! The way a notice goes:
//! 1. the step's transaction writes an outbox row beside the event
//!    ([`crate::store::notifications::enqueue`], called where events are inserted), so a change
//!    is never recorded without its notice, nor a notice written for a change that rolled back;
//! 2. the delivery job ([`deliver`]) expands each outbox row once ([`expand`]) into one
//!    delivery per channel and address the reporter has, rendered in their language with core's
//!    words, timed after the city's quiet hours unless the case is urgent;
//! 3. it claims each due delivery under a lease, sends it through the channel's sender
//!    ([`senders`]) and records the outcome in the same blocking task: delivered, retried later
//!    with exponential backoff, or failed. The deliveries are the per-case notification log.
//!
//! Nothing is sent twice: a delivery exists once per (event, channel, address) by a unique
//! key, only the node holding its lease sends it, and the outcome is recorded by the task that
//! sent it, which a graceful stop lets finish. A process killed between a gateway's answer and
//! the record is the one window left; every message carries its delivery id as the receiver's
//! idempotency key (`Idempotency-Key`, `Message-ID`) for that case.

pub mod deliver;
pub mod expand;
pub mod senders;

use std::sync::Arc;
use std::time::Duration;

use gridline_core::workflow::notice::QuietHours;

use senders::{EmailSender, LogSms, PushSender, SmsSender, Smtp, WebhookPush, WebhookSms};

/// The ways a notice reaches a reporter; the wire form is stored in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Push,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Email => "email",
        }
    }

    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Sms, Channel::Push, Channel::Email];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The senders and the delivery rules of this node, built once from the settings.
pub struct Notifier {
    pub sms: Option<Arc<dyn SmsSender>>,
    pub push: Option<Arc<dyn PushSender>>,
    pub email: Option<Arc<dyn EmailSender>>,
    /// No notice that is not urgent goes out in these local hours.
    pub quiet_hours: Option<QuietHours>,
    /// The wait before the first retry; it doubles with each further one.
    pub first_retry: Duration,
    /// Attempts before a delivery is given up as failed.
    pub max_attempts: u32,
    /// Seconds between the job's passes when no step wakes it.
    pub scan_period: Duration,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("sms", &self.sms.is_some())
            .field("push", &self.push.is_some())
            .field("email", &self.email.is_some())
            .field("quiet_hours", &self.quiet_hours)
            .finish_non_exhaustive()
    }
}

/// Longest wait between two retries.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(6 * 3600);

impl Notifier {
    /// The senders the settings name. Without an SMS gateway, development logs SMS notices (as
    /// it logs one-time codes) and production has none: such deliveries are logged as failed.
    pub fn from_settings(settings: &crate::config::Settings, production: bool) -> Result<Self, String> {
        let sms: Option<Arc<dyn SmsSender>> = match &settings.sms_webhook_url {
            Some(url) => Some(Arc::new(WebhookSms::new(url))),
            None if production => None,
            None => Some(Arc::new(LogSms)),
        };
        let push: Option<Arc<dyn PushSender>> =
            settings.push_webhook_url.as_deref().map(|url| Arc::new(WebhookPush::new(url)) as _);
        let email: Option<Arc<dyn EmailSender>> = match &settings.smtp_url {
            Some(url) => Some(Arc::new(
                Smtp::new(url.expose(), &settings.mail_from)
                    .map_err(|e| format!("GRIDLINE_SMTP_URL: {e}"))?,
            )),
            None => None,
        };
        Ok(Self {
            sms,
            push,
            email,
            quiet_hours: settings.notify_quiet_hours,
            first_retry: Duration::from_secs(settings.notify_retry_secs),
            max_attempts: settings.notify_max_attempts,
            scan_period: Duration::from_secs(settings.notify_scan_secs),
        })
    }

    /// The wait after failed attempt number `attempts` (1 for the first): the first retry
    /// wait, doubled for each attempt since, at most six hours.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
        self.first_retry.saturating_mul(1 << doublings).min(MAX_RETRY_WAIT)
    }
}
