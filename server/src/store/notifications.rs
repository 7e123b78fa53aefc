//! The notification tables (see `server/src/notify/` for what they are for): the outbox a
//! public change writes in its event's transaction ([`enqueue`]), the deliveries that are also
//! the per-case log, the reporters' preferences and the apps' push tokens.
//!
//! A delivery is sent by whichever node claims it first ([`claim`]): the claim is one UPDATE
//! guarded by the delivery's state and lease, so two nodes (or two passes of one) never both
//! hold it, and a node that died holding it loses it when the lease runs out.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridline_core::codes::CaseId;
use gridline_core::workflow::notice::PublicChange;

use super::events::EventRow;
use super::schema::{notification_deliveries, notification_outbox, notification_preferences, push_tokens};
use super::{DbConnection, StoreResult};

/// Where a delivery stands: waiting for its time, held by a sender under a lease, or done
/// either way. The stored text form is [`DeliveryState::as_str`]; a stored text that is not one
/// fails the read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Sending,
    Delivered,
    Failed,
}

impl DeliveryState {
    /// Every state, in the order a delivery goes through them.
    pub const ALL: [DeliveryState; 4] =
        [DeliveryState::Pending, DeliveryState::Sending, DeliveryState::Delivered, DeliveryState::Failed];

    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

/// A stored state that is not one of [`DeliveryState::ALL`]'s names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown delivery state {0:?}")]
pub struct UnknownDeliveryState(pub String);

impl std::str::FromStr for DeliveryState {
    type Err = UnknownDeliveryState;

    fn from_str(text: &str) -> Result<Self, UnknownDeliveryState> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| UnknownDeliveryState(text.to_owned()))
    }
}

impl TryFrom<String> for DeliveryState {
    type Error = UnknownDeliveryState;

    fn try_from(text: String) -> Result<Self, UnknownDeliveryState> {
        text.parse()
    }
}

impl From<DeliveryState> for String {
    fn from(state: DeliveryState) -> String {
        state.as_str().to_owned()
    }
}

const PENDING: &str = DeliveryState::Pending.as_str();
const SENDING: &str = DeliveryState::Sending.as_str();
const DELIVERED: &str = DeliveryState::Delivered.as_str();
const FAILED: &str = DeliveryState::Failed.as_str();

/// Most push tokens one account keeps; registering one more forgets the oldest.
pub const MAX_PUSH_TOKENS: i64 = 10;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notification_outbox)]
#[diesel(treat_none_as_default_value = false)]
pub struct OutboxRow {
    pub event_id: String,
    /// Parsed once, when the row is read, like the change it tells.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub public_change: PublicChange,
    pub created_at: NaiveDateTime,
    pub expanded_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notification_deliveries)]
#[diesel(treat_none_as_default_value = false)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    pub recipient_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub public_change: PublicChange,
    pub channel: String,
    pub target: String,
    pub shown_to: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    pub urgent: bool,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notification_preferences)]
#[diesel(treat_none_as_default_value = false)]
pub struct PreferencesRow {
    pub user_id: String,
    pub sms: bool,
    pub push: bool,
    pub email: bool,
    pub email_address: Option<String>,
    pub language: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = push_tokens)]
pub struct PushTokenRow {
    pub token: String,
    pub user_id: String,
    pub platform: String,
    pub created_at: NaiveDateTime,
}

/// The outbox rows of the public changes among `events` (inside the events' transaction).
/// Events that tell the reporter nothing (intake, staff-only steps, the overdue job's) write
/// nothing, so intake pays no more than this filter.
pub fn enqueue(conn: &mut DbConnection, events: &[EventRow]) -> QueryResult<()> {
    let mut rows = Vec::new();
    for event in events {
        let Some(change) = PublicChange::of_event(&event.kind, event.to_state) else { continue };
        rows.push(OutboxRow {
            event_id: event.id.clone(),
            case_id: event.case_id,
            public_change: change,
            created_at: event.occurred_at,
            expanded_at: None,
        });
    }
    if rows.is_empty() {
        return Ok(());
    }
    crate::batch_insert!(conn, notification_outbox::table, rows)?;
    Ok(())
}

/// The event ids of outbox rows not yet expanded into deliveries, oldest first. Ids only: each
/// row is read on its own ([`find_outbox`]), so one that does not read back is set aside by
/// itself instead of failing the whole batch again at every pass.
pub fn waiting(conn: &mut DbConnection, limit: i64) -> StoreResult<Vec<String>> {
    Ok(notification_outbox::table
        .filter(notification_outbox::expanded_at.is_null())
        .order((notification_outbox::created_at, notification_outbox::event_id))
        .limit(limit)
        .select(notification_outbox::event_id)
        .load(conn)?)
}

/// The outbox row of `event_id`; a stored case id or change that does not parse fails the read
/// as corrupt data.
pub fn find_outbox(conn: &mut DbConnection, event_id: &str) -> StoreResult<Option<OutboxRow>> {
    Ok(notification_outbox::table.find(event_id).select(OutboxRow::as_select()).first(conn).optional()?)
}

/// Marks an outbox row expanded; `false` when another pass or node did it first.
pub fn mark_expanded(conn: &mut DbConnection, event_id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        notification_outbox::table
            .filter(notification_outbox::event_id.eq(event_id))
            .filter(notification_outbox::expanded_at.is_null()),
    )
    .set(notification_outbox::expanded_at.eq(at))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn insert_deliveries(conn: &mut DbConnection, rows: &[DeliveryRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    crate::batch_insert!(conn, notification_deliveries::table, rows.to_vec())?;
    Ok(())
}

/// The ids of deliveries that may be sent at `now`: waiting ones whose time has come, and held
/// ones whose holder's lease ran out (a node that stopped mid-send). Oldest first.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> StoreResult<Vec<String>> {
    use notification_deliveries as d;
    Ok(d::table
        .filter(
            d::state
                .eq(PENDING)
                .and(d::next_attempt_at.le(now))
                .or(d::state.eq(SENDING).and(d::lease_until.lt(now))),
        )
        .order((d::next_attempt_at, d::id))
        .limit(limit)
        .select(d::id)
        .load(conn)?)
}

/// Takes delivery `id` for one attempt until `lease_until`, if it is still due at `now`; the
/// delivery as claimed (its `attempts` counts this one).
pub fn claim(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> StoreResult<Option<DeliveryRow>> {
    use notification_deliveries as d;
    let claimed = diesel::update(
        d::table.filter(d::id.eq(id)).filter(
            d::state
                .eq(PENDING)
                .and(d::next_attempt_at.le(now))
                .or(d::state.eq(SENDING).and(d::lease_until.lt(now))),
        ),
    )
    .set((d::state.eq(SENDING), d::lease_until.eq(lease_until), d::attempts.eq(d::attempts + 1)))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    Ok(d::table.find(id).select(DeliveryRow::as_select()).first(conn).optional()?)
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Attempt {
    Delivered {
        at: NaiveDateTime,
    },
    /// Try again at `at`.
    Retry {
        at: NaiveDateTime,
        error: String,
    },
    Failed {
        error: String,
    },
}

/// Records how the attempt on `id` ended, releasing its lease.
pub fn finish(conn: &mut DbConnection, id: &str, attempt: &Attempt) -> StoreResult<()> {
    use notification_deliveries as d;
    let target = d::table.filter(d::id.eq(id)).filter(d::state.eq(SENDING));
    let done = match attempt {
        Attempt::Delivered { at } => diesel::update(target)
            .set((
                d::state.eq(DELIVERED),
                d::delivered_at.eq(Some(*at)),
                d::lease_until.eq(None::<NaiveDateTime>),
                d::last_error.eq(None::<String>),
            ))
            .execute(conn),
        Attempt::Retry { at, error } => diesel::update(target)
            .set((
                d::state.eq(PENDING),
                d::next_attempt_at.eq(*at),
                d::lease_until.eq(None::<NaiveDateTime>),
                d::last_error.eq(Some(error)),
            ))
            .execute(conn),
        Attempt::Failed { error } => diesel::update(target)
            .set((
                d::state.eq(FAILED),
                d::lease_until.eq(None::<NaiveDateTime>),
                d::last_error.eq(Some(error)),
            ))
            .execute(conn),
    };
    done?;
    Ok(())
}

/// The notification log of a case, oldest first; only `recipient`'s when given.
pub fn for_case(
    conn: &mut DbConnection,
    case_id: CaseId,
    recipient: Option<&str>,
) -> StoreResult<Vec<DeliveryRow>> {
    use notification_deliveries as d;
    let case_id = case_id.to_string();
    let mut query = d::table.filter(d::case_id.eq(&case_id)).into_boxed();
    if let Some(recipient) = recipient {
        query = query.filter(d::recipient_id.eq(recipient.to_owned()));
    }
    Ok(query.order((d::created_at, d::id)).select(DeliveryRow::as_select()).load(conn)?)
}

pub fn preferences(conn: &mut DbConnection, user_id: &str) -> StoreResult<Option<PreferencesRow>> {
    Ok(notification_preferences::table
        .find(user_id)
        .select(PreferencesRow::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces the account's preferences.
pub fn save_preferences(conn: &mut DbConnection, row: &PreferencesRow) -> StoreResult<()> {
    super::write_transaction(conn, |conn| {
        diesel::delete(notification_preferences::table.find(&row.user_id)).execute(conn)?;
        diesel::insert_into(notification_preferences::table).values(row.clone()).execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// The account's push tokens, oldest first.
pub fn tokens_of(conn: &mut DbConnection, user_id: &str) -> StoreResult<Vec<PushTokenRow>> {
    Ok(push_tokens::table
        .filter(push_tokens::user_id.eq(user_id))
        .order((push_tokens::created_at, push_tokens::token))
        .select(PushTokenRow::as_select())
        .load(conn)?)
}

pub fn find_token(conn: &mut DbConnection, token: &str) -> StoreResult<Option<PushTokenRow>> {
    Ok(push_tokens::table.find(token).select(PushTokenRow::as_select()).first(conn).optional()?)
}

/// Registers `row.token` for `row.user_id` (taking it from any other account: one device, one
/// signed-in account), keeping the account's newest [`MAX_PUSH_TOKENS`].
pub fn register_token(conn: &mut DbConnection, row: &PushTokenRow) -> StoreResult<()> {
    super::write_transaction(conn, |conn| {
        diesel::delete(push_tokens::table.find(&row.token)).execute(conn)?;
        diesel::insert_into(push_tokens::table).values(row.clone()).execute(conn)?;
        let kept: Vec<String> = push_tokens::table
            .filter(push_tokens::user_id.eq(&row.user_id))
            .order((push_tokens::created_at.desc(), push_tokens::token.desc()))
            .limit(MAX_PUSH_TOKENS)
            .select(push_tokens::token)
            .load(conn)?;
        diesel::delete(
            push_tokens::table
                .filter(push_tokens::user_id.eq(&row.user_id))
                .filter(push_tokens::token.ne_all(&kept)),
        )
        .execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// Forgets `token` if `user_id` holds it; whether it did.
pub fn unregister_token(conn: &mut DbConnection, user_id: &str, token: &str) -> StoreResult<bool> {
    let deleted = diesel::delete(
        push_tokens::table.filter(push_tokens::token.eq(token)).filter(push_tokens::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}
