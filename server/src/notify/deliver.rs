//! The delivery job: on every node, a pass right after any step this node records (the event
//! signal) and every `GRIDLINE_NOTIFY_SCAN_SECS` otherwise. A pass expands the waiting outbox
//! rows ([`super::expand`]), then sends each due delivery: claimed under a lease, sent through
//! its channel's sender, and its outcome recorded, all inside one blocking task, so a graceful
//! stop waits for the record of every message it sent.
//!
//! A failure the sender calls permanent, or the last allowed attempt, ends the delivery as
//! failed; any other is tried again after the notifier's backoff (and after the quiet hours,
//! when not urgent).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use super::senders::{PushMessage, SendFailure};
use super::{Channel, Notifier, expand};
use crate::auth::phone_vault::PhoneVault;
use crate::store::notifications::{self as store, Attempt, DeliveryRow};
use crate::store::schema::{cases, users};
use crate::store::{DbConnection, StoreResult};

/// Deliveries one pass sends at most.
const BATCH: i64 = 50;

/// How long a claimed delivery stays with its sender: well past the senders' own timeout, so a
/// slow but living sender is never overtaken.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub expanded: usize,
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Pass {
    pub fn full(&self) -> bool {
        self.expanded as i64 == expand::BATCH || (self.delivered + self.retried + self.failed) as i64 == BATCH
    }
}

/// One pass at `now` (blocking; run it on the blocking pool).
pub fn run_pass(
    conn: &mut DbConnection,
    notifier: &Notifier,
    vault: &PhoneVault,
    tz: &Tz,
    now: DateTime<Utc>,
) -> StoreResult<Pass> {
    let mut pass =
        Pass { expanded: expand::expand_waiting(conn, notifier, vault, tz, now)?, ..Pass::default() };
    let lease_until = (now + LEASE).naive_utc();
    for id in store::due(conn, now.naive_utc(), BATCH)? {
        let Some(delivery) = store::claim(conn, &id, now.naive_utc(), lease_until)? else { continue };
        let attempt = match send(conn, notifier, vault, &delivery) {
            Ok(()) => {
                pass.delivered += 1;
                Attempt::Delivered { at: now.naive_utc() }
            }
            Err(failure) => next_attempt(notifier, tz, &delivery, failure, now, &mut pass),
        };
        store::finish(conn, &delivery.id, &attempt)?;
    }
    Ok(pass)
}

fn next_attempt(
    notifier: &Notifier,
    tz: &Tz,
    delivery: &DeliveryRow,
    failure: SendFailure,
    now: DateTime<Utc>,
    pass: &mut Pass,
) -> Attempt {
    let attempts = u32::try_from(delivery.attempts).unwrap_or(u32::MAX);
    if failure.permanent || attempts >= notifier.max_attempts {
        pass.failed += 1;
        tracing::warn!(delivery = %delivery.id, channel = %delivery.channel, reason = %failure.reason,
            attempts, "notification failed");
        return Attempt::Failed { error: failure.reason };
    }
    pass.retried += 1;
    let wait = chrono::Duration::from_std(notifier.backoff(delivery.attempts)).unwrap_or(LEASE);
    let mut at = now + wait;
    if let Some(quiet) = notifier.quiet_hours.filter(|_| !delivery.urgent) {
        at = quiet.next_allowed(at, tz);
    }
    Attempt::Retry { at: at.naive_utc(), error: failure.reason }
}

/// Sends one claimed delivery through its channel.
fn send(
    conn: &mut DbConnection,
    notifier: &Notifier,
    vault: &PhoneVault,
    delivery: &DeliveryRow,
) -> Result<(), SendFailure> {
    let id = delivery.id.as_str();
    match Channel::parse(&delivery.channel) {
        Some(Channel::Sms) => {
            let sender = notifier
                .sms
                .as_ref()
                .ok_or_else(|| SendFailure::permanent("no SMS gateway is configured"))?;
            let sealed = users::table
                .find(&delivery.recipient_id)
                .select(users::phone_sealed)
                .first::<Option<String>>(conn)
                .optional()
                .map_err(|e| SendFailure::transient(format!("database: {e}")))?
                .flatten()
                .ok_or_else(|| SendFailure::permanent("the account has no phone number any more"))?;
            let phone = vault.open(&sealed).map_err(|e| SendFailure::permanent(e.to_string()))?;
            sender.send_sms(&phone, &delivery.body, id)
        }
        Some(Channel::Push) => {
            let sender = notifier
                .push
                .as_ref()
                .ok_or_else(|| SendFailure::permanent("no push sender is configured"))?;
            let token = store::find_token(conn, &delivery.target)
                .map_err(|e| SendFailure::transient(format!("database: {e}")))?
                .filter(|t| t.user_id == delivery.recipient_id)
                .ok_or_else(|| SendFailure::permanent("the device token was unregistered"))?;
            let tracking_number = cases::table
                .find(delivery.case_id.to_string())
                .select(cases::tracking_number)
                .first::<String>(conn)
                .map_err(|e| SendFailure::transient(format!("database: {e}")))?;
            let message = PushMessage {
                token: &token.token,
                platform: &token.platform,
                title: &delivery.subject,
                body: &delivery.body,
                tracking_number: &tracking_number,
                change: delivery.public_change.as_str(),
            };
            sender.send_push(&message, id)
        }
        Some(Channel::Email) => {
            let sender = notifier
                .email
                .as_ref()
                .ok_or_else(|| SendFailure::permanent("no SMTP server is configured"))?;
            sender.send_email(&delivery.target, &delivery.subject, &delivery.body, id)
        }
        None => Err(SendFailure::permanent(format!("unknown channel {:?}", delivery.channel))),
    }
}
