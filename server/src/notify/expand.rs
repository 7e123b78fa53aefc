//! Outbox rows into deliveries: for each public change, one delivery per channel and address
//! its reporter has and wants, the message rendered in the reporter's language with core's
//! words, and the time it may go out (at once when urgent, else after the quiet hours).
//!
//! Each row is expanded once: marking it expanded is the first write of the transaction that
//! inserts its deliveries, guarded by `expanded_at IS NULL`, so a second pass or node finds
//! nothing left to do (and the deliveries' unique key would refuse a second copy anyway).
//!
//! A row whose stored data does not read back (its case id, its change, or the case it names)
//! is logged and marked expanded with no delivery: left waiting, it would come first in every
//! pass and fail it again, and the notices queued behind it would never go out. A database
//! that cannot be reached, by contrast, fails the pass, and the row is tried again.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use gridline_core::workflow::notice::{self, Language, NoticeFacts, PublicChange};
use uuid::Uuid;

use super::{Channel, Notifier};
use crate::auth::phone_vault::PhoneVault;
use crate::store::cases;
use crate::store::notifications::{self as store, DeliveryRow, OutboxRow, PreferencesRow};
use crate::store::schema::{case_events, users};
use crate::store::{DbConnection, StoreError, StoreResult};

/// Outbox rows one pass expands at most.
pub const BATCH: i64 = 100;

/// A reporter's preferences when they never set any: every channel they have an address for,
/// in Chinese.
pub fn default_preferences(user_id: &str, at: chrono::NaiveDateTime) -> PreferencesRow {
    PreferencesRow {
        user_id: user_id.to_owned(),
        sms: true,
        push: true,
        email: true,
        email_address: None,
        language: Language::Zh.as_str().to_owned(),
        updated_at: at,
    }
}

/// Expands up to [`BATCH`] waiting outbox rows at `now`; how many this pass expanded.
pub fn expand_waiting(
    conn: &mut DbConnection,
    notifier: &Notifier,
    vault: &PhoneVault,
    tz: &Tz,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let mut expanded = 0;
    for event_id in store::waiting(conn, BATCH)? {
        let done = crate::store::write_transaction(conn, |conn| {
            if !store::mark_expanded(conn, &event_id, now.naive_utc())? {
                return Ok::<_, StoreError>(false);
            }
            let read = store::find_outbox(conn, &event_id).and_then(|row| match row {
                Some(row) => deliveries_for(conn, notifier, vault, tz, &row, now),
                None => Ok(Vec::new()),
            });
            let deliveries = match read {
                Ok(deliveries) => deliveries,
                Err(StoreError::Corrupt(why)) => {
                    tracing::warn!(event = %event_id, %why, "a notification's stored data does not read back; no notice");
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
            store::insert_deliveries(conn, &deliveries)?;
            Ok(true)
        })?;
        expanded += usize::from(done);
    }
    Ok(expanded)
}

/// Where one message goes: the channel, what the sender needs, and what the log shows.
struct Address {
    channel: Channel,
    target: String,
    shown_to: String,
}

fn deliveries_for(
    conn: &mut DbConnection,
    notifier: &Notifier,
    vault: &PhoneVault,
    tz: &Tz,
    row: &OutboxRow,
    now: DateTime<Utc>,
) -> StoreResult<Vec<DeliveryRow>> {
    let change = row.public_change;
    let Some(case) = cases::find(conn, row.case_id)? else { return Ok(Vec::new()) };
    // A report from a system without an account (Open311) is told by e-mail when its request
    // came with an address.
    let Some(reporter) = case.reporter_id.clone() else {
        return open311_deliveries(conn, notifier, vault, tz, row, change, &case, now);
    };
    let Some((phone_sealed, disabled)) = users::table
        .find(&reporter)
        .select((users::phone_sealed, users::disabled))
        .first::<(Option<String>, bool)>(conn)
        .optional()?
    else {
        return Ok(Vec::new());
    };
    if disabled {
        return Ok(Vec::new());
    }
    let preferences = store::preferences(conn, &reporter)?
        .unwrap_or_else(|| default_preferences(&reporter, now.naive_utc()));
    let addresses = addresses(conn, vault, &preferences, phone_sealed.as_deref())?;
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    let language: Language = preferences.language.parse().unwrap_or(Language::Zh);
    deliveries_to(conn, notifier, tz, row, change, &case, &reporter, language, addresses, now)
}

/// The notice to the requester of a case that came through Open311, by e-mail when the request
/// carried an address (sealed in `open311_requests`), in Chinese like an account's default.
#[allow(clippy::too_many_arguments)]
fn open311_deliveries(
    conn: &mut DbConnection,
    notifier: &Notifier,
    vault: &PhoneVault,
    tz: &Tz,
    row: &OutboxRow,
    change: PublicChange,
    case: &cases::CaseRow,
    now: DateTime<Utc>,
) -> StoreResult<Vec<DeliveryRow>> {
    let Some(sealed) = crate::store::api_keys::open311_email(conn, case.id)? else { return Ok(Vec::new()) };
    let address = match vault.open_open311_email(&sealed) {
        Ok(address) => address,
        Err(e) => {
            tracing::warn!(error = %e, "an Open311 requester's e-mail address does not open; no notice");
            return Ok(Vec::new());
        }
    };
    let to = Address { channel: Channel::Email, shown_to: mask_email(&address), target: address };
    let recipient = format!("open311:{}", case.id);
    deliveries_to(conn, notifier, tz, row, change, case, &recipient, Language::Zh, vec![to], now)
}

/// One delivery per address of the notice of `change`, rendered in `language`.
#[allow(clippy::too_many_arguments)]
fn deliveries_to(
    conn: &mut DbConnection,
    notifier: &Notifier,
    tz: &Tz,
    row: &OutboxRow,
    change: PublicChange,
    case: &cases::CaseRow,
    reporter: &str,
    language: Language,
    addresses: Vec<Address>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<DeliveryRow>> {
    let (reason, merged_into) = event_facts(conn, &row.event_id)?;
    let facts = NoticeFacts { reason: reason.as_deref(), merged_into: merged_into.as_deref() };
    let message = notice::notice(change, &case.tracking_number, facts, language);
    let urgent = notice::urgent(case.category_code);
    let send_at = match notifier.quiet_hours {
        Some(quiet) if !urgent => quiet.next_allowed(now, tz),
        _ => now,
    };
    Ok(addresses
        .into_iter()
        .map(|address| DeliveryRow {
            id: Uuid::now_v7().to_string(),
            event_id: row.event_id.clone(),
            case_id: row.case_id,
            recipient_id: reporter.to_owned(),
            public_change: change,
            channel: address.channel.as_str().to_owned(),
            target: address.target,
            shown_to: address.shown_to,
            language: language.as_str().to_owned(),
            subject: message.subject.clone(),
            body: message.text.clone(),
            urgent,
            state: store::DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: send_at.naive_utc(),
            lease_until: None,
            last_error: None,
            created_at: now.naive_utc(),
            delivered_at: None,
        })
        .collect())
}

/// The reporter's addresses on the channels they want.
fn addresses(
    conn: &mut DbConnection,
    vault: &PhoneVault,
    preferences: &PreferencesRow,
    phone_sealed: Option<&str>,
) -> StoreResult<Vec<Address>> {
    let mut found = Vec::new();
    if preferences.sms
        && let Some(sealed) = phone_sealed
    {
        match vault.open(sealed) {
            Ok(phone) => found.push(Address {
                channel: Channel::Sms,
                // The number stays sealed in the account; the sender opens it when sending.
                target: "phone".to_owned(),
                shown_to: mask_phone(phone.as_str()),
            }),
            Err(e) => tracing::warn!(error = %e, "a reporter's phone number does not open; no SMS notice"),
        }
    }
    if preferences.push {
        for token in store::tokens_of(conn, &preferences.user_id)? {
            let shown_to = format!("{} …{}", token.platform, tail(&token.token, 6));
            found.push(Address { channel: Channel::Push, target: token.token, shown_to });
        }
    }
    if preferences.email
        && let Some(address) = &preferences.email_address
    {
        found.push(Address {
            channel: Channel::Email,
            target: address.clone(),
            shown_to: mask_email(address),
        });
    }
    Ok(found)
}

/// The step's public reason and the tracking number of the case it was merged into.
fn event_facts(conn: &mut DbConnection, event_id: &str) -> StoreResult<(Option<String>, Option<String>)> {
    let Some((reason, details)) = case_events::table
        .find(event_id)
        .select((case_events::reason, case_events::details))
        .first::<(Option<String>, String)>(conn)
        .optional()?
    else {
        return Ok((None, None));
    };
    let target = serde_json::from_str::<serde_json::Value>(&details)
        .ok()
        .and_then(|d| d.get("merged_into").and_then(|v| v.as_str()).map(str::to_owned));
    let merged_into = match target {
        Some(id) => cases::find(conn, crate::store::typed::stored_case_id(&id)?)?.map(|c| c.tracking_number),
        None => None,
    };
    Ok((reason, merged_into))
}

/// The last `n` characters of `text`.
fn tail(text: &str, n: usize) -> &str {
    let start = text.char_indices().rev().nth(n.saturating_sub(1)).map_or(0, |(i, _)| i);
    &text[start..]
}

/// `+8613800138000` → `+86138****8000`: enough for the reporter and staff to recognise it.
pub fn mask_phone(e164: &str) -> String {
    let head: String = e164.chars().take(6).collect();
    format!("{head}****{}", tail(e164, 4))
}

/// `wang.li@example.org` → `w***@example.org`.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_recognises_the_address() {
        assert_eq!(mask_phone("+8613800138000"), "+86138****8000");
        assert_eq!(mask_email("wang.li@example.org"), "w***@example.org");
        assert_eq!(tail("abcdefgh", 6), "cdefgh");
        assert_eq!(tail("ab", 6), "ab");
    }
}
