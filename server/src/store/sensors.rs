//! Sensor alarms in SQL: the sending systems and their keys, the device registry, the city's rule
//! per alarm kind, the messages received (by the sender's alarm id), the alarm episodes and the
//! groups that become cases. The decisions (when an alarm confirms, which group it joins, when a
//! device flaps) are the sensors room's; this module only reads and writes rows.
//!
//! A system's key is kept as its SHA-256, like an Open311 key ([`super::api_keys::key_hash`]),
//! but in a table of its own: a sensor key is not an Open311 key and opens no other API.

use diesel::prelude::*;
use diesel::sql_types::Bool;
use gridline_core::codes::{CaseId, CategoryCode, GridCode};
use gridline_core::sensors::{AlarmRule, AlarmState, shipped_rules};
use serde::Serialize;

use super::api_keys::{FreshKey, fresh_key, key_hash};
use super::case_list::CaseFilter;
use super::schema::{
    sensor_alarms, sensor_devices, sensor_groups, sensor_messages, sensor_rules, sensor_systems,
};
use super::{DbConnection, StoreError, StoreResult};

/// Every sensor system key starts with this, so a leaked one is recognisable.
pub const KEY_PREFIX: &str = "glsen_";
/// Rows per multi-row INSERT (under SQLite's and PostgreSQL's bound-parameter limits).
const INSERT_CHUNK: usize = 500;
/// Ids per `IN (...)` list.
const LOOKUP_CHUNK: usize = 1_000;

/// The advisory lock key that serializes alarm processing on PostgreSQL ("GLSE" in ASCII).
const SENSOR_LOCK: i64 = 0x474C_5345;

/// A sending system; its key is shown once, when issued, and only its first characters after.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = sensor_systems)]
#[schema(as = SensorSystem)]
pub struct SystemRow {
    pub id: String,
    pub name: String,
    #[serde(skip)]
    pub key_hash: String,
    pub key_prefix: String,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A device of a sending system, routed to its grid cell.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, utoipa::ToSchema)]
#[diesel(table_name = sensor_devices, treat_none_as_null = true)]
#[schema(as = SensorDevice)]
pub struct DeviceRow {
    pub id: String,
    pub system_id: String,
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    /// Parsed once, when the row is read: a stored code that is not a grid code fails the read.
    #[diesel(deserialize_as = String, serialize_as = String)]
    #[schema(schema_with = gridline_core::codes::grid_code_schema)]
    pub grid_code: GridCode,
    pub owning_unit: String,
    /// Flagged by flapping; its alarms open no cases until it is repaired.
    pub faulty: bool,
    #[serde(skip)]
    pub flap_window_started_at: Option<i64>,
    #[serde(skip)]
    pub flap_count: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sensor_rules)]
pub struct RuleRow {
    pub kind: String,
    /// Stored in its canonical form (`E0504`), as the case service compares codes.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub category_code: CategoryCode,
    pub answers: String,
    pub min_duration_s: i32,
    pub second_device_confirms: bool,
    pub group_window_s: i32,
    pub flap_limit_per_hour: i32,
    pub updated_at: i64,
    pub closes_on_all_clear: bool,
}

/// Confirmed alarms of one kind in one cell within the rule's window (`purpose: alarms`), or a
/// faulty device (`purpose: maintenance`): one case each. A storm is one group with its count.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, utoipa::ToSchema)]
#[diesel(table_name = sensor_groups, treat_none_as_null = true)]
#[schema(as = SensorGroup)]
pub struct GroupRow {
    pub id: String,
    #[schema(schema_with = group_purpose_schema)]
    pub purpose: String,
    pub kind: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    #[schema(schema_with = gridline_core::codes::grid_code_schema)]
    pub grid_code: GridCode,
    pub device_id: Option<String>,
    #[schema(value_type = gridline_core::sensors::Severity)]
    pub severity: String,
    pub opened_at: i64,
    pub window_ends_at: i64,
    #[schema(minimum = 0)]
    pub episode_count: i32,
    #[schema(minimum = 0)]
    pub active_count: i32,
    /// The case the group became, once filed; a stored text that is not a case id fails the read.
    #[diesel(deserialize_as = super::typed::NullableText, serialize_as = super::typed::NullableText)]
    pub case_id: Option<CaseId>,
    pub cleared_at: Option<i64>,
}

/// One device's alarm of one kind from its first message to its all-clear; repeats raise
/// `repeat_count` and `last_at` (Unix seconds).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = sensor_alarms)]
#[schema(as = SensorAlarmEpisode)]
pub struct AlarmRow {
    pub id: String,
    #[serde(skip)]
    pub system_id: String,
    pub device_id: String,
    pub kind: String,
    pub sub_category: Option<String>,
    #[schema(value_type = gridline_core::sensors::Severity)]
    pub severity: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    #[schema(schema_with = gridline_core::codes::grid_code_schema)]
    pub grid_code: GridCode,
    /// Pending until confirmed (by duration, a second device or a person); suppressed while its
    /// device is flagged faulty. A stored state core does not know fails the read.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: AlarmState,
    pub first_at: i64,
    pub last_at: i64,
    #[schema(minimum = 1)]
    pub repeat_count: i32,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub media_url: Option<String>,
    pub issued_at: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub confirmed_at: Option<i64>,
    #[schema(schema_with = confirmed_by_schema)]
    pub confirmed_by: Option<String>,
    #[serde(skip)]
    pub confirmed_by_user: Option<String>,
    pub group_id: Option<String>,
    pub cleared_at: Option<i64>,
}

/// How an episode was confirmed, or null while it is not.
fn confirmed_by_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([Some("duration"), Some("second_device"), Some("person"), None]))
        .build()
}

fn group_purpose_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["alarms", "maintenance"])).build()
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = sensor_messages)]
pub struct MessageRow {
    pub system_id: String,
    pub sender_alarm_id: String,
    pub alarm_id: Option<String>,
    pub signal: String,
    pub message_sha256: String,
    pub received_at: i64,
}

/// Takes the lock that serializes alarm processing, first thing in its transaction: an advisory
/// lock on PostgreSQL; on SQLite a write statement, which takes the database's write lock now
/// (waiting for it) rather than failing to upgrade a read later.
pub fn lock_for_alarms(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({SENSOR_LOCK})")).execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            diesel::sql_query("UPDATE sensor_rules SET updated_at = updated_at WHERE 1 = 0").execute(lite)?;
        }
    }
    Ok(())
}

/// Narrows a boxed query of a sensor table to the grid cells a caller's [`CaseFilter`] admits
/// (`None`: the filter admits no cell, so nothing needs to run). Handlers and citizens see no
/// sensor rows: those filters name no cell.
macro_rules! in_cells {
    ($query:expr, $column:expr, $filter:expr) => {
        match $filter {
            CaseFilter::All => Some($query),
            CaseFilter::GridIn { grids, .. } => {
                Some($query.filter($column.eq_any(grids.iter().map(ToString::to_string).collect::<Vec<_>>())))
            }
            CaseFilter::GridRange { first, last, .. } => {
                Some($query.filter($column.between(first.to_string(), last.to_string())))
            }
            CaseFilter::HandlingUnit(_) | CaseFilter::ReportedBy(_) | CaseFilter::Nothing => None,
        }
    };
}

// --- systems -------------------------------------------------------------------------------

/// A fresh system key and the row that stores it (hashed).
pub fn generate_system(name: String, created_by: String, now: i64) -> (String, SystemRow) {
    let FreshKey { key, hash, shown } = fresh_key(KEY_PREFIX);
    let row = SystemRow {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        key_hash: hash,
        key_prefix: shown,
        created_by,
        created_at: now,
        revoked_at: None,
    };
    (key, row)
}

pub fn insert_system(conn: &mut DbConnection, row: &SystemRow) -> StoreResult<()> {
    diesel::insert_into(sensor_systems::table).values(row).execute(conn)?;
    Ok(())
}

pub fn list_systems(conn: &mut DbConnection) -> StoreResult<Vec<SystemRow>> {
    Ok(sensor_systems::table
        .order((sensor_systems::created_at.desc(), sensor_systems::id.desc()))
        .select(SystemRow::as_select())
        .load(conn)?)
}

pub fn find_system(conn: &mut DbConnection, id: &str) -> StoreResult<Option<SystemRow>> {
    Ok(sensor_systems::table.find(id).select(SystemRow::as_select()).first(conn).optional()?)
}

/// The live (not revoked) system whose key was presented, if any.
pub fn find_system_by_key(conn: &mut DbConnection, key: &str) -> StoreResult<Option<SystemRow>> {
    Ok(sensor_systems::table
        .filter(sensor_systems::key_hash.eq(key_hash(key)))
        .filter(sensor_systems::revoked_at.is_null())
        .select(SystemRow::as_select())
        .first(conn)
        .optional()?)
}

/// Revokes a system's key (a second revocation keeps the first time).
pub fn revoke_system(conn: &mut DbConnection, id: &str, now: i64) -> StoreResult<Option<SystemRow>> {
    diesel::update(sensor_systems::table.find(id).filter(sensor_systems::revoked_at.is_null()))
        .set(sensor_systems::revoked_at.eq(now))
        .execute(conn)?;
    find_system(conn, id)
}

// --- devices -------------------------------------------------------------------------------

/// Marks a device repaired: no longer faulty, its flapping count started afresh, so its next
/// alarm is handled like any healthy device's. Its past alarms keep their states. False when
/// there is no such device.
pub fn mark_repaired(conn: &mut DbConnection, id: &str, now: i64) -> QueryResult<bool> {
    let changed = diesel::update(sensor_devices::table.filter(sensor_devices::id.eq(id)))
        .set((
            sensor_devices::faulty.eq(false),
            sensor_devices::flap_window_started_at.eq(None::<i64>),
            sensor_devices::flap_count.eq(0),
            sensor_devices::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The stored devices among `ids`, of any system.
pub fn find_devices(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<Vec<DeviceRow>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        found.extend(
            sensor_devices::table
                .filter(sensor_devices::id.eq_any(chunk))
                .select(DeviceRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// Writes an import: `new` devices inserted, `changed` ones updated (kind, position, cell,
/// owner; their fault state and flap count are kept), in the caller's transaction.
pub fn save_imported_devices(
    conn: &mut DbConnection,
    new: &[DeviceRow],
    changed: &[DeviceRow],
) -> QueryResult<()> {
    for chunk in new.chunks(INSERT_CHUNK) {
        crate::batch_insert!(conn, sensor_devices::table, chunk.to_vec())?;
    }
    for device in changed {
        diesel::update(sensor_devices::table.find(&device.id))
            .set((
                sensor_devices::kind.eq(&device.kind),
                sensor_devices::lat.eq(device.lat),
                sensor_devices::lon.eq(device.lon),
                sensor_devices::grid_code.eq(device.grid_code.to_string()),
                sensor_devices::owning_unit.eq(&device.owning_unit),
                sensor_devices::updated_at.eq(device.updated_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn save_device(conn: &mut DbConnection, device: &DeviceRow) -> QueryResult<()> {
    diesel::update(sensor_devices::table.find(&device.id)).set(device.clone()).execute(conn)?;
    Ok(())
}

/// Devices flagged faulty in the cells `filter` admits, most recently flagged first.
pub fn faulty_devices(
    conn: &mut DbConnection,
    filter: &CaseFilter,
    limit: i64,
) -> StoreResult<Vec<DeviceRow>> {
    let query = sensor_devices::table.filter(sensor_devices::faulty.eq(true)).into_boxed();
    let Some(query) = in_cells!(query, sensor_devices::grid_code, filter) else { return Ok(Vec::new()) };
    Ok(query
        .order((sensor_devices::updated_at.desc(), sensor_devices::id))
        .limit(limit)
        .select(DeviceRow::as_select())
        .load(conn)?)
}

// --- rules ---------------------------------------------------------------------------------

impl RuleRow {
    /// The row of a rule whose category the caller has checked (a code that does not parse is
    /// refused here as well, never stored).
    pub fn from_rule(rule: &AlarmRule, now: i64) -> StoreResult<Self> {
        let category_code = CategoryCode::parse(&rule.category)
            .map_err(|e| StoreError::Corrupt(format!("sensor rule {}: {e}", rule.kind)))?;
        Ok(Self {
            kind: rule.kind.clone(),
            category_code,
            answers: serde_json::to_string(&rule.answers).unwrap_or_else(|_| "{}".to_owned()),
            min_duration_s: i32::try_from(rule.min_duration_s).unwrap_or(i32::MAX),
            second_device_confirms: rule.second_device_confirms,
            group_window_s: i32::try_from(rule.group_window_s).unwrap_or(i32::MAX),
            flap_limit_per_hour: i32::try_from(rule.flap_limit_per_hour).unwrap_or(i32::MAX),
            updated_at: now,
            closes_on_all_clear: rule.closes_on_all_clear,
        })
    }

    pub fn to_rule(&self) -> StoreResult<AlarmRule> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("sensor rule {}: {what}", self.kind));
        Ok(AlarmRule {
            kind: self.kind.clone(),
            category: self.category_code.to_string(),
            answers: serde_json::from_str(&self.answers).map_err(|_| corrupt("answers"))?,
            min_duration_s: u32::try_from(self.min_duration_s).map_err(|_| corrupt("min_duration_s"))?,
            second_device_confirms: self.second_device_confirms,
            group_window_s: u32::try_from(self.group_window_s).map_err(|_| corrupt("group_window_s"))?,
            flap_limit_per_hour: u32::try_from(self.flap_limit_per_hour)
                .map_err(|_| corrupt("flap_limit_per_hour"))?,
            closes_on_all_clear: self.closes_on_all_clear,
        })
    }
}

/// Every rule, by kind; the shipped defaults are written first when the table is empty.
pub fn rules(conn: &mut DbConnection, now: i64) -> StoreResult<Vec<AlarmRule>> {
    let mut rows: Vec<RuleRow> =
        sensor_rules::table.order(sensor_rules::kind).select(RuleRow::as_select()).load(conn)?;
    if rows.is_empty() {
        rows = shipped_rules().iter().map(|r| RuleRow::from_rule(r, now)).collect::<StoreResult<_>>()?;
        for row in &rows {
            let written = diesel::insert_into(sensor_rules::table).values(row.clone()).execute(conn);
            match written {
                Ok(_) => {}
                // Another node seeded it first: theirs is the same.
                Err(e) if super::is_unique_violation(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    rows.iter().map(RuleRow::to_rule).collect()
}

/// Creates or replaces the rule of one kind.
pub fn save_rule(conn: &mut DbConnection, rule: &AlarmRule, now: i64) -> StoreResult<()> {
    rules(conn, now)?;
    let row = RuleRow::from_rule(rule, now)?;
    let updated = diesel::update(sensor_rules::table.find(&row.kind)).set(row.clone()).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(sensor_rules::table).values(row).execute(conn)?;
    }
    Ok(())
}

// --- messages, alarms, groups ----------------------------------------------------------------

/// The stored messages of `system` among the sender's ids.
///
/// On PostgreSQL the statement is planned at each call. A plan kept from when the table was
/// small (PostgreSQL 15 then reads all of the system's messages by the key's first column and
/// tests each against the list) read more rows with every batch: about 9,000 per lookup after
/// 19,000 messages in the benchmark.
pub fn find_messages(conn: &mut DbConnection, system: &str, ids: &[&str]) -> QueryResult<Vec<MessageRow>> {
    use diesel::sql_types::{Array, Text};
    let mut found = Vec::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        match conn {
            DbConnection::Sqlite(c) => found.extend(
                sensor_messages::table
                    .filter(sensor_messages::system_id.eq(system))
                    .filter(sensor_messages::sender_alarm_id.eq_any(chunk))
                    .select(MessageRow::as_select())
                    .load(c)?,
            ),
            // One index probe per id, whatever the table's statistics say. `= ANY($2)` with a
            // list of hundreds was planned as a scan of every message of the system (47 ms for
            // 1,600 ids among 200,000 messages); a plain join to the list, on a table not yet
            // analysed (a storm's first minute), as a hash of every message of the system: 17 ms
            // a round on average over a 15 s run, 44 ms at its end. The `LIMIT 1` (the key is
            // unique) keeps the per-id subquery from being flattened into such a join.
            DbConnection::Pg(c) => found.extend(
                diesel::sql_query(
                    "SELECT m.system_id, m.sender_alarm_id, m.alarm_id, m.signal, \
                     m.message_sha256, m.received_at FROM unnest($2::text[]) AS wanted (id) \
                     CROSS JOIN LATERAL (SELECT * FROM sensor_messages s WHERE s.system_id = $1 \
                     AND s.sender_alarm_id = wanted.id LIMIT 1) AS m",
                )
                .bind::<Text, _>(system)
                .bind::<Array<Text>, _>(chunk)
                .load::<MessageRow>(c)?,
            ),
        }
    }
    Ok(found)
}

pub fn insert_messages(conn: &mut DbConnection, rows: &[MessageRow]) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(sensor_messages::table).values(chunk).execute(c)?;
            }
        }
        // One statement of six arrays for a whole round, where a multi-row INSERT bound six
        // parameters a row (a statement per 500 rows, each parsed and planned at every round).
        DbConnection::Pg(c) => {
            use diesel::sql_types::{Array, BigInt, Nullable, Text};
            if rows.is_empty() {
                return Ok(());
            }
            let column = |pick: fn(&MessageRow) -> &str| rows.iter().map(pick).collect::<Vec<_>>();
            let alarm_ids: Vec<Option<&str>> = rows.iter().map(|r| r.alarm_id.as_deref()).collect();
            let received_at: Vec<i64> = rows.iter().map(|r| r.received_at).collect();
            diesel::sql_query(
                "INSERT INTO sensor_messages (system_id, sender_alarm_id, alarm_id, signal, \
                 message_sha256, received_at) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
                 $5::text[], $6::bigint[])",
            )
            .bind::<Array<Text>, _>(column(|r| &r.system_id))
            .bind::<Array<Text>, _>(column(|r| &r.sender_alarm_id))
            .bind::<Array<Nullable<Text>>, _>(alarm_ids)
            .bind::<Array<Text>, _>(column(|r| &r.signal))
            .bind::<Array<Text>, _>(column(|r| &r.message_sha256))
            .bind::<Array<BigInt>, _>(received_at)
            .execute(c)?;
        }
    }
    Ok(())
}

/// The active (not cleared) episodes of the given devices.
pub fn active_alarms_of(conn: &mut DbConnection, devices: &[&str]) -> QueryResult<Vec<AlarmRow>> {
    let mut found = Vec::new();
    for chunk in devices.chunks(LOOKUP_CHUNK) {
        found.extend(
            sensor_alarms::table
                .filter(sensor_alarms::device_id.eq_any(chunk))
                .filter(sensor_alarms::cleared_at.is_null())
                .select(AlarmRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// The active episodes of one kind in one cell that still wait for confirmation.
pub fn pending_in_cell(conn: &mut DbConnection, kind: &str, grid: GridCode) -> QueryResult<Vec<AlarmRow>> {
    sensor_alarms::table
        .filter(sensor_alarms::kind.eq(kind))
        .filter(sensor_alarms::grid_code.eq(grid.to_string()))
        .filter(sensor_alarms::state.eq(AlarmState::Pending.as_str()))
        .filter(sensor_alarms::cleared_at.is_null())
        .select(AlarmRow::as_select())
        .load(conn)
}

/// Active pending episodes that began at or before their kind's time in `due_by` (kind, Unix
/// seconds): the episodes whose rule's minimum duration has passed. One query for every kind,
/// since it runs at the start of every alarm round.
pub fn pending_due(conn: &mut DbConnection, due_by: &[(&str, i64)]) -> QueryResult<Vec<AlarmRow>> {
    type Condition = Box<
        dyn BoxableExpression<sensor_alarms::table, <DbConnection as Connection>::Backend, SqlType = Bool>,
    >;
    let mut kinds = due_by.iter().map(|(kind, started_by)| -> Condition {
        Box::new(sensor_alarms::kind.eq(kind.to_string()).and(sensor_alarms::first_at.le(*started_by)))
    });
    let Some(first) = kinds.next() else { return Ok(Vec::new()) };
    let any_kind = kinds.fold(first, |any, next| Box::new(any.or(next)));
    sensor_alarms::table
        .filter(sensor_alarms::state.eq(AlarmState::Pending.as_str()))
        .filter(sensor_alarms::cleared_at.is_null())
        .filter(any_kind)
        .select(AlarmRow::as_select())
        .load(conn)
}

pub fn find_alarm(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AlarmRow>> {
    sensor_alarms::table.find(id).select(AlarmRow::as_select()).first(conn).optional()
}

pub fn insert_alarms(conn: &mut DbConnection, rows: &[AlarmRow]) -> QueryResult<()> {
    for chunk in rows.chunks(INSERT_CHUNK / 4) {
        crate::batch_insert!(conn, sensor_alarms::table, chunk.to_vec())?;
    }
    Ok(())
}

/// Writes back episodes whose state changed (confirmed, joined a group, cleared, suppressed):
/// the columns the rules change after an episode is stored; the rest (device, kind, cell, the
/// first message's fields) are kept from the first occurrence and are not written again.
pub fn save_alarms(conn: &mut DbConnection, rows: &[AlarmRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use sensor_alarms::dsl as a;
    match conn {
        // In the process a statement costs no trip, and this one is prepared once per
        // connection (a statement of many rows is prepared again for each batch).
        DbConnection::Sqlite(c) => {
            for row in rows {
                diesel::update(sensor_alarms::table.find(&row.id))
                    .set((
                        a::severity.eq(&row.severity),
                        a::state.eq(row.state.as_str()),
                        a::last_at.eq(row.last_at),
                        a::repeat_count.eq(row.repeat_count),
                        a::confirmed_at.eq(row.confirmed_at),
                        a::confirmed_by.eq(&row.confirmed_by),
                        a::confirmed_by_user.eq(&row.confirmed_by_user),
                        a::group_id.eq(&row.group_id),
                        a::cleared_at.eq(row.cleared_at),
                    ))
                    .execute(c)?;
            }
        }
        // One statement per chunk (each is a round trip): an upsert whose rows all exist, so
        // only its update runs, found by the primary key whatever the table's statistics say.
        DbConnection::Pg(c) => {
            for chunk in rows.chunks(INSERT_CHUNK / 4) {
                diesel::insert_into(sensor_alarms::table)
                    .values(chunk.to_vec())
                    .on_conflict(a::id)
                    .do_update()
                    .set((
                        a::severity.eq(excluded(a::severity)),
                        a::state.eq(excluded(a::state)),
                        a::last_at.eq(excluded(a::last_at)),
                        a::repeat_count.eq(excluded(a::repeat_count)),
                        a::confirmed_at.eq(excluded(a::confirmed_at)),
                        a::confirmed_by.eq(excluded(a::confirmed_by)),
                        a::confirmed_by_user.eq(excluded(a::confirmed_by_user)),
                        a::group_id.eq(excluded(a::group_id)),
                        a::cleared_at.eq(excluded(a::cleared_at)),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Writes back episodes that were only repeated: their count, last time and severity, none of
/// them in an index. A storm's batch is a hundred repeats; writing every column rewrote each
/// row's entries in all four indexes of the table, most of a batch's pages to log and sync.
pub fn save_repeats(conn: &mut DbConnection, rows: &[AlarmRow]) -> QueryResult<()> {
    use sensor_alarms::dsl as a;
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Sqlite(c) => {
            for row in rows {
                diesel::update(sensor_alarms::table.find(&row.id))
                    .set((
                        a::severity.eq(&row.severity),
                        a::last_at.eq(row.last_at),
                        a::repeat_count.eq(row.repeat_count),
                    ))
                    .execute(c)?;
            }
        }
        // One UPDATE joined to the rows as arrays: four parameters however many rows, where an
        // upsert bound all 22 columns of each row and went through a speculative insert. The
        // `= ANY($1)` lets PostgreSQL find the episodes by the primary key: joined to the
        // arrays alone, it hashed every episode of the table (a storm's 10,000: 4 ms a round,
        // where the probes take under 1 ms).
        DbConnection::Pg(c) => {
            use diesel::sql_types::{Array, BigInt, Integer, Text};
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let severities: Vec<&str> = rows.iter().map(|r| r.severity.as_str()).collect();
            let last_at: Vec<i64> = rows.iter().map(|r| r.last_at).collect();
            let repeat_counts: Vec<i32> = rows.iter().map(|r| r.repeat_count).collect();
            diesel::sql_query(
                "UPDATE sensor_alarms AS a SET severity = r.severity, last_at = r.last_at, \
                 repeat_count = r.repeat_count \
                 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::integer[]) \
                 AS r (id, severity, last_at, repeat_count) WHERE a.id = r.id AND a.id = ANY($1)",
            )
            .bind::<Array<Text>, _>(&ids)
            .bind::<Array<Text>, _>(&severities)
            .bind::<Array<BigInt>, _>(&last_at)
            .bind::<Array<Integer>, _>(&repeat_counts)
            .execute(c)?;
        }
    }
    Ok(())
}

/// The group of `kind` in `grid` that confirmed alarms still join at `now`, if any.
pub fn open_group(
    conn: &mut DbConnection,
    kind: &str,
    grid: GridCode,
    now: i64,
) -> QueryResult<Option<GroupRow>> {
    sensor_groups::table
        .filter(sensor_groups::purpose.eq("alarms"))
        .filter(sensor_groups::kind.eq(kind))
        .filter(sensor_groups::grid_code.eq(grid.to_string()))
        .filter(sensor_groups::window_ends_at.ge(now))
        .filter(sensor_groups::cleared_at.is_null())
        .order(sensor_groups::opened_at.desc())
        .select(GroupRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_group(conn: &mut DbConnection, id: &str) -> QueryResult<Option<GroupRow>> {
    sensor_groups::table.find(id).select(GroupRow::as_select()).first(conn).optional()
}

pub fn insert_group(conn: &mut DbConnection, row: &GroupRow) -> QueryResult<()> {
    diesel::insert_into(sensor_groups::table).values(row.clone()).execute(conn)?;
    Ok(())
}

pub fn save_group(conn: &mut DbConnection, row: &GroupRow) -> QueryResult<()> {
    diesel::update(sensor_groups::table.find(&row.id)).set(row.clone()).execute(conn)?;
    Ok(())
}

/// Groups whose case is not filed yet (a node stopped between the commit and the filing).
pub fn unfiled_groups(conn: &mut DbConnection, limit: i64) -> StoreResult<Vec<GroupRow>> {
    Ok(sensor_groups::table
        .filter(sensor_groups::case_id.is_null())
        .order(sensor_groups::opened_at)
        .limit(limit)
        .select(GroupRow::as_select())
        .load(conn)?)
}

/// Records the case a group became.
pub fn set_group_case(conn: &mut DbConnection, group: &str, case: CaseId) -> StoreResult<()> {
    diesel::update(sensor_groups::table.find(group))
        .set(sensor_groups::case_id.eq(case.to_string()))
        .execute(conn)?;
    Ok(())
}

/// Newest groups first in the cells `filter` admits (a storm is one row here, with its
/// episode count).
pub fn recent_groups(conn: &mut DbConnection, filter: &CaseFilter, limit: i64) -> StoreResult<Vec<GroupRow>> {
    let Some(query) = in_cells!(sensor_groups::table.into_boxed(), sensor_groups::grid_code, filter) else {
        return Ok(Vec::new());
    };
    Ok(query
        .order((sensor_groups::opened_at.desc(), sensor_groups::id.desc()))
        .limit(limit)
        .select(GroupRow::as_select())
        .load(conn)?)
}

/// The review queue: active episodes waiting for confirmation in the cells `filter` admits
/// (oldest first).
pub fn review_queue(conn: &mut DbConnection, filter: &CaseFilter, limit: i64) -> StoreResult<Vec<AlarmRow>> {
    let query = sensor_alarms::table
        .filter(sensor_alarms::state.eq(AlarmState::Pending.as_str()))
        .filter(sensor_alarms::cleared_at.is_null())
        .into_boxed();
    let Some(query) = in_cells!(query, sensor_alarms::grid_code, filter) else { return Ok(Vec::new()) };
    Ok(query
        .order((sensor_alarms::first_at, sensor_alarms::id))
        .limit(limit)
        .select(AlarmRow::as_select())
        .load(conn)?)
}

/// The episodes of a group.
pub fn alarms_of_group(conn: &mut DbConnection, group: &str, limit: i64) -> StoreResult<Vec<AlarmRow>> {
    Ok(sensor_alarms::table
        .filter(sensor_alarms::group_id.eq(group))
        .order((sensor_alarms::first_at, sensor_alarms::id))
        .limit(limit)
        .select(AlarmRow::as_select())
        .load(conn)?)
}

/// Active (not cleared) episodes per cell and kind, whatever their state: (grid, kind, count).
/// A cell's code that does not read back fails the read as corrupt data.
pub fn active_per_cell(conn: &mut DbConnection) -> StoreResult<Vec<(GridCode, String, i64)>> {
    let counts: Vec<(String, String, i64)> = sensor_alarms::table
        .filter(sensor_alarms::cleared_at.is_null())
        .group_by((sensor_alarms::grid_code, sensor_alarms::kind))
        .select((sensor_alarms::grid_code, sensor_alarms::kind, diesel::dsl::count_star()))
        .order((sensor_alarms::grid_code, sensor_alarms::kind))
        .load(conn)?;
    counts
        .into_iter()
        .map(|(grid, kind, count)| {
            let grid = GridCode::parse(&grid)
                .map_err(|e| StoreError::Corrupt(format!("sensor alarm's grid code: {e}")))?;
            Ok((grid, kind, count))
        })
        .collect()
}

/// Records `event` on the case of `group` (the group's row is written first, which takes the
/// lock that orders event writers on SQLite).
pub fn record_group_event(
    conn: &mut DbConnection,
    group: &str,
    event: &mut super::events::EventRow,
) -> StoreResult<()> {
    super::write_transaction(conn, |conn| {
        diesel::update(sensor_groups::table.find(group))
            .set(sensor_groups::cleared_at.eq(sensor_groups::cleared_at))
            .execute(conn)?;
        super::events::insert(conn, event)
    })?;
    Ok(())
}
