//! The audit trail: one immutable `case_events` row per change of a case (intake included),
//! numbered by a gap-free sequence `seq` that is also the work list's sync cursor.
//!
//! Sequence numbers are assigned as `MAX(seq) + 1` inside the writing transaction while it
//! holds the lock that serializes event writers (SQLite's single writer lock, taken by the
//! case write that precedes every event; a transaction-scoped advisory lock on PostgreSQL), so
//! events commit in sequence order and a reader that has seen `seq = n` never later finds an
//! event numbered below `n`. Rows are inserted and read, never updated or deleted.
//!
//! Each insert also counts itself in the per-day summaries ([`super::summaries`]) and stores its
//! statistics' fact ([`super::stat_facts`]), in the same transaction, and announces itself for live events ([`crate::live`]): on PostgreSQL a
//! `NOTIFY` in the same transaction (delivered to every node at commit), and on every backend a
//! mark for [`crate::store::Db::run`], which wakes this node's subscribers once the work returns.

use diesel::prelude::*;
use gridline_core::codes::CaseId;
use gridline_core::workflow::CaseState;

use super::schema::{case_events, cases};
use super::{DbConnection, StoreResult};

/// The PostgreSQL notification channel every event insert notifies ([`crate::live::listener`]
/// relays it). The payload is the writing node's name ([`NOTIFIER`]), so one transaction sends
/// one notification however many events it inserts, and a node's listener passes over its own.
pub const CHANNEL: &str = "gridline_events";

/// The payload of a notification: the node name its connection was given (`gridline.node`,
/// [`super::Db::node`]), or empty on a connection of another process (the CLI), which every
/// listener relays.
pub const NOTIFIER: &str = "COALESCE(current_setting('gridline.node', true), '')";

/// The kind of a case's first event, its report (every other kind is a workflow action's name).
pub const REPORTED: &str = "reported";

/// A wake-up bell shared by everything on one node that writes or follows events. Cheap to
/// clone; ringing it with nobody listening costs nothing.
#[derive(Debug, Clone)]
pub struct Bell(std::sync::Arc<tokio::sync::watch::Sender<u64>>);

impl Bell {
    pub fn new() -> Self {
        Self(std::sync::Arc::new(tokio::sync::watch::Sender::new(0)))
    }

    /// Tell every subscriber to read again.
    pub fn wake(&self) {
        self.0.send_modify(|rings| *rings = rings.wrapping_add(1));
    }

    /// A receiver whose `changed()` resolves after the next [`Bell::wake`].
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}

impl Default for Bell {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    /// Set by [`insert`] on the thread running the write, taken by [`take_written`].
    static WROTE_EVENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread inserted an event since the last call (and clears the mark).
pub fn take_written() -> bool {
    WROTE_EVENT.with(|wrote| wrote.replace(false))
}

/// The advisory lock key that serializes event inserts on PostgreSQL ("GLEV" in ASCII).
pub(super) const EVENT_SEQUENCE_LOCK: i64 = 0x474C_4556;

/// One event as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_events)]
// `None` is written as NULL (no column has another default): several events then go into one
// multi-row INSERT on SQLite too ([`insert_many`]).
#[diesel(treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: String,
    /// Parsed once, when the row is read, like the states below: a stored value core does not
    /// accept fails the read.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    /// `reported` for intake, otherwise the workflow action's wire name: a person's step, or
    /// `mark_overdue` then `escalate` written together by the overdue job with `actor_role`
    /// `system` and no actor id ([`crate::jobs::overdue`]; `escalate` names the street office
    /// it is addressed to in `details.to`).
    pub kind: String,
    #[diesel(deserialize_as = super::typed::NullableText, serialize_as = super::typed::NullableText)]
    pub from_state: Option<CaseState>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub to_state: CaseState,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    /// Internal note, shown to staff only.
    pub note: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub occurred_at: chrono::NaiveDateTime,
    pub seq: i64,
    /// The reason the action required (reject, send back, extend, ...).
    pub reason: Option<String>,
    pub accuracy_m: Option<f64>,
    /// JSON array of photo ids.
    pub photo_ids: String,
    /// JSON object of the action's own facts: handling unit, deadline, merge target, rating.
    pub details: String,
    pub idempotency_key: Option<String>,
    /// SHA-256 of the request that recorded a person's step (with its idempotency key), so a
    /// replay with another body is told apart.
    pub request_sha256: Option<String>,
}

/// Takes the lock that orders event writers and returns the next sequence number. Call inside
/// the transaction that inserts the event, after its first write.
pub fn next_seq(conn: &mut DbConnection) -> QueryResult<i64> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({EVENT_SEQUENCE_LOCK})")).execute(pg)?;
    }
    let max: Option<i64> = case_events::table.select(diesel::dsl::max(case_events::seq)).first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Numbers `event` and inserts it (inside the caller's transaction).
pub fn insert(conn: &mut DbConnection, event: &mut EventRow) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        event.seq = insert_numbered_pg(pg, event)?;
    } else {
        event.seq = next_seq(conn)?;
        diesel::insert_into(case_events::table).values(event.clone()).execute(conn)?;
    }
    super::summaries::count(conn, event)?;
    super::stat_facts::record(conn, event)?;
    super::rollups::follow(conn, &std::iter::once((event.case_id, event.seq)).collect())?;
    // What follows from the event (the reporter's notice, a call-back due) commits with it.
    super::follow_ups::record(conn, std::slice::from_ref(event))?;
    WROTE_EVENT.with(|wrote| wrote.set(true));
    Ok(())
}

/// Numbers `events` in order and inserts them with one statement (inside the caller's
/// transaction, after its first write): the lock that orders event writers is taken once for
/// all of them, and on PostgreSQL one `NOTIFY` announces them all.
pub fn insert_many(conn: &mut DbConnection, events: &mut [EventRow]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let first = next_seq(conn)?;
    for (seq, event) in (first..).zip(events.iter_mut()) {
        event.seq = seq;
    }
    crate::batch_insert!(conn, case_events::table, events.to_vec())?;
    super::summaries::count_many(conn, events)?;
    super::stat_facts::record_many(conn, events)?;
    let mut first_new: std::collections::HashMap<CaseId, i64> = std::collections::HashMap::new();
    for event in events.iter() {
        first_new.entry(event.case_id).or_insert(event.seq);
    }
    super::rollups::follow(conn, &first_new)?;
    if let DbConnection::Pg(pg) = conn {
        use diesel::sql_types::Text;
        diesel::sql_query(format!("SELECT pg_notify($1, {NOTIFIER})"))
            .bind::<Text, _>(CHANNEL)
            .execute(pg)?;
    }
    super::follow_ups::record(conn, events)?;
    WROTE_EVENT.with(|wrote| wrote.set(true));
    Ok(())
}

/// PostgreSQL: after the lock, numbering, insert and `NOTIFY` are one statement, so the lock
/// that serializes every event writer is held for two round trips before the commit instead
/// of four. The statement starts after the lock is granted, so its snapshot sees every event
/// committed before, and `MAX(seq)` is the true maximum.
fn insert_numbered_pg(pg: &mut diesel::PgConnection, event: &EventRow) -> QueryResult<i64> {
    use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamp};

    #[derive(QueryableByName)]
    struct Numbered {
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }

    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({EVENT_SEQUENCE_LOCK})")).execute(pg)?;
    let numbered: Numbered = diesel::sql_query(format!(
        "WITH numbered AS ( \
           INSERT INTO case_events (id, case_id, kind, from_state, to_state, actor_id, actor_role, \
             note, lat, lon, occurred_at, reason, accuracy_m, photo_ids, details, idempotency_key, \
             request_sha256, seq) \
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             COALESCE(MAX(seq), 0) + 1 FROM case_events \
           RETURNING seq) \
         SELECT numbered.seq FROM numbered CROSS JOIN LATERAL pg_notify($18, {NOTIFIER}) AS notified",
    ))
    .bind::<Text, _>(&event.id)
    .bind::<Text, _>(event.case_id.to_string())
    .bind::<Text, _>(&event.kind)
    .bind::<Nullable<Text>, _>(event.from_state.map(CaseState::as_str))
    .bind::<Text, _>(event.to_state.as_str())
    .bind::<Nullable<Text>, _>(&event.actor_id)
    .bind::<Nullable<Text>, _>(&event.actor_role)
    .bind::<Nullable<Text>, _>(&event.note)
    .bind::<Nullable<Double>, _>(event.lat)
    .bind::<Nullable<Double>, _>(event.lon)
    .bind::<Timestamp, _>(event.occurred_at)
    .bind::<Nullable<Text>, _>(&event.reason)
    .bind::<Nullable<Double>, _>(event.accuracy_m)
    .bind::<Text, _>(&event.photo_ids)
    .bind::<Text, _>(&event.details)
    .bind::<Nullable<Text>, _>(&event.idempotency_key)
    .bind::<Nullable<Text>, _>(&event.request_sha256)
    .bind::<Text, _>(CHANNEL)
    .get_result(pg)?;
    Ok(numbered.seq)
}

/// The events of one case, oldest first.
pub fn for_case(conn: &mut DbConnection, case_id: CaseId) -> StoreResult<Vec<EventRow>> {
    let case_id = case_id.to_string();
    Ok(case_events::table
        .filter(case_events::case_id.eq(&case_id))
        .order(case_events::seq)
        .select(EventRow::as_select())
        .load(conn)?)
}

/// The event a client's idempotency key already recorded on a case, if any.
pub fn find_by_key(conn: &mut DbConnection, case_id: CaseId, key: &str) -> StoreResult<Option<EventRow>> {
    let case_id = case_id.to_string();
    Ok(case_events::table
        .filter(case_events::case_id.eq(&case_id))
        .filter(case_events::idempotency_key.eq(key))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// How many events of `kind` a case has (its extensions, for the next one's number).
pub fn count_of_kind(conn: &mut DbConnection, case_id: CaseId, kind: &str) -> StoreResult<i64> {
    let case_id = case_id.to_string();
    Ok(case_events::table
        .filter(case_events::case_id.eq(&case_id))
        .filter(case_events::kind.eq(kind))
        .count()
        .get_result(conn)?)
}

/// The highest sequence number written so far (0 before any event).
pub fn latest_seq(conn: &mut DbConnection) -> StoreResult<i64> {
    let max: Option<i64> = case_events::table.select(diesel::dsl::max(case_events::seq)).first(conn)?;
    Ok(max.unwrap_or(0))
}

/// `(seq, case id)` of the events after `after` up to `through`, on the cases `scope` admits
/// (an inspector's cells, a citizen's own reports, ...), in order; at most `limit` rows. The
/// incremental lists (work list, my reports) are built from it.
pub fn changes_in_scope(
    conn: &mut DbConnection,
    scope: &super::case_list::CaseFilter,
    after: i64,
    through: i64,
    limit: i64,
) -> StoreResult<Vec<(i64, String)>> {
    let query = case_events::table
        .inner_join(cases::table)
        .filter(case_events::seq.gt(after))
        .filter(case_events::seq.le(through))
        .order(case_events::seq)
        .limit(limit)
        .select((case_events::seq, case_events::case_id))
        .into_boxed();
    let Some(query) = crate::filter_by_scope!(query, scope) else { return Ok(Vec::new()) };
    Ok(query.load(conn)?)
}
