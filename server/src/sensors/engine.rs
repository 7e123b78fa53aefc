//! The rules engine: batches of alarm messages, each from one system, applied in one
//! transaction, one batch after the other as if each were alone (the node's writer hands over
//! the batches that wait together, [`super::writer`]).
//!
//! For each message, in the order sent (the server's clock is the time of every rule):
//! - a replay (same sender's id, same body) is counted once; the same id with another body is
//!   refused for the whole batch;
//! - an alarm for a device with an active episode of that kind repeats it (count and last time;
//!   the first occurrence's fields are kept); otherwise it opens a new episode, `pending`, or
//!   `suppressed` for a faulty device (kept, never a case);
//! - a pending episode confirms when it has lasted the rule's minimum time (checked at each
//!   repeat and by [`confirm_due`] at the start of every batch and by the sweep job), at once
//!   when that minimum is 0, or when another device of the same cell and kind is alarming too
//!   and the rule lets a second device confirm (then both confirm);
//! - a confirmed episode joins the open group of its kind and cell (one case per group), or
//!   opens one whose window is the rule's group window (0: a group of its own);
//! - an all-clear ends the active episode of that device and kind; the group whose last active
//!   episode ended is cleared by sensor; each all-clear of an episode is one alternation of its
//!   device, and more than the rule's limit within an hour flags the device faulty (its pending
//!   episodes are suppressed, and a maintenance group is opened for its owning unit).
//!
//! New groups are filed as cases after the commit ([`super::intake`]).

use std::collections::{HashMap, HashSet};

use gridline_core::codes::GridCode;
use gridline_core::sensors::{AlarmMessage, AlarmRule, AlarmState, AlarmStatus, Severity};

use crate::store::sensors::{self as store, AlarmRow, DeviceRow, GroupRow, MessageRow};
use crate::store::{DbConnection, StoreError, StoreResult};

/// The length of the flapping window, in seconds.
const FLAP_WINDOW_S: i64 = 3_600;

/// A message of a batch, checked, with the SHA-256 of its body.
#[derive(Debug, Clone)]
pub struct Checked {
    pub message: AlarmMessage,
    pub sha256: String,
}

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = SensorMessageOutcome)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new episode.
    Raised,
    /// A repeat of an active episode.
    Repeated,
    /// The all-clear ended an active episode.
    Cleared,
    /// An all-clear for a device and kind with nothing active.
    NothingActive,
    /// The same id was received before: counted once.
    Replayed,
}

/// Why a whole batch is refused (nothing of it is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `alarms[index]` names a device that is not this system's.
    UnknownDevice { index: usize },
    /// `alarms[index]` names a kind with no rule.
    UnknownKind { index: usize },
    /// `alarms[index]` names a kind its device does not sense (the registry says `device_kind`):
    /// a misconfigured sender, whose alarm would open a case of the wrong category.
    KindMismatch { index: usize, device_kind: String },
    /// `alarms[index]` reuses a sender's id of an earlier message with another body.
    IdReused { index: usize },
}

/// What a batch did.
#[derive(Debug, Default)]
pub struct Applied {
    pub outcomes: Vec<(Outcome, Option<String>)>,
    /// Groups opened by this batch, to be filed as cases.
    pub new_groups: Vec<GroupRow>,
    /// Groups whose last active episode ended in this batch.
    pub cleared_groups: Vec<GroupRow>,
}

/// The batch's working set: rows read once, changed in memory, written at the end.
struct Session<'a> {
    now: i64,
    rules: &'a HashMap<String, AlarmRule>,
    devices: HashMap<String, DeviceRow>,
    dirty_devices: HashSet<String>,
    alarms: HashMap<String, AlarmRow>,
    new_alarms: Vec<String>,
    /// Stored episodes whose state changed (confirmation, group, all-clear, suppression).
    dirty_alarms: HashSet<String>,
    /// Stored episodes repeated (count, last time, severity), written back with less.
    repeated_alarms: HashSet<String>,
    /// (device, kind) → its active episode.
    active: HashMap<(String, String), String>,
    /// (kind, cell) → its pending episodes were read.
    cells_read: HashSet<(String, GridCode)>,
    groups: HashMap<String, GroupRow>,
    /// (kind, cell) → its open group, once looked up.
    open_groups: HashMap<(String, GridCode), Option<String>>,
    new_groups: Vec<String>,
    dirty_groups: HashSet<String>,
    cleared_groups: Vec<String>,
    /// (system, sender's id) → (body's SHA-256, episode) of each message the round's batches
    /// name that was stored before, or applied by this session and not yet written: another
    /// copy of it is a replay.
    known_messages: HashMap<(String, String), (String, Option<String>)>,
}

/// The city's rules by kind.
pub fn rules_by_kind(conn: &mut DbConnection, now: i64) -> StoreResult<HashMap<String, AlarmRule>> {
    Ok(store::rules(conn, now)?.into_iter().map(|r| (r.kind.clone(), r)).collect())
}

/// One sender's batch, as it waits for the writer ([`super::writer`]).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub system: &'a str,
    pub messages: &'a [Checked],
}

/// What became of one message, and the episode it raised, repeated or cleared.
pub type MessageOutcome = (Outcome, Option<String>);

/// What became of one batch's messages, in the order sent, or why the whole batch was refused.
pub type BatchOutcome = Result<Vec<MessageOutcome>, Refusal>;

/// What several batches applied together did: each batch's outcomes (or why it was refused,
/// with nothing of it stored), and the groups they opened and cleared together.
#[derive(Debug, Default)]
pub struct AppliedBatches {
    pub outcomes: Vec<BatchOutcome>,
    /// The groups to file and mark, with empty `outcomes`.
    pub groups: Applied,
}

/// Applies a batch from `system` at `now` (Unix seconds), in one transaction.
pub fn apply_batch(
    conn: &mut DbConnection,
    system: &str,
    batch: &[Checked],
    now: i64,
) -> StoreResult<Result<Applied, Refusal>> {
    let mut applied = apply_batches(conn, &[Batch { system, messages: batch }], now)?;
    let outcome = applied.outcomes.pop().unwrap_or_else(|| Ok(Vec::new()));
    Ok(outcome.map(|outcomes| Applied { outcomes, ..applied.groups }))
}

/// Applies several batches at `now` in one transaction, one after the other in the order
/// given, as if each had been its own: a later batch sees what an earlier one raised, repeated
/// or cleared, and a message id an earlier batch of the same system stored is a replay. A
/// refused batch changes nothing (its checks all come before its first change) and the others
/// go on. One transaction for many batches is what lets intake keep up under load: one commit,
/// one turn of the alarm lock, one read of the rules and the due confirmations.
pub fn apply_batches(
    conn: &mut DbConnection,
    batches: &[Batch<'_>],
    now: i64,
) -> StoreResult<AppliedBatches> {
    crate::store::write_transaction(conn, |conn| {
        store::lock_for_alarms(conn)?;
        let rules = rules_by_kind(conn, now)?;
        let mut session = Session::new(now, &rules);
        session.confirm_due(conn)?;
        session.prefetch(conn, batches)?;
        let mut outcomes = Vec::with_capacity(batches.len());
        let mut messages = Vec::new();
        for batch in batches {
            outcomes.push(session.apply(conn, batch.system, batch.messages, &mut messages)?);
        }
        let groups = session.write(conn, Vec::new(), messages)?;
        Ok(AppliedBatches { outcomes, groups })
    })
    .map_err(|e: TxError| e.0)
}

/// A person's confirmation from the review queue; `None` when the alarm is not pending.
pub fn confirm_by_person(
    conn: &mut DbConnection,
    alarm_id: &str,
    user_id: &str,
    now: i64,
) -> StoreResult<Option<Applied>> {
    crate::store::write_transaction(conn, |conn| {
        store::lock_for_alarms(conn)?;
        let rules = rules_by_kind(conn, now)?;
        let mut session = Session::new(now, &rules);
        let Some(alarm) = store::find_alarm(conn, alarm_id)? else { return Ok(None) };
        if alarm.state != AlarmState::Pending
            || alarm.cleared_at.is_some()
            || !rules.contains_key(&alarm.kind)
        {
            return Ok(None);
        }
        let id = session.remember(alarm);
        session.confirm(conn, &id, "person")?;
        if let Some(a) = session.alarms.get_mut(&id) {
            a.confirmed_by_user = Some(user_id.to_owned());
        }
        let applied = session.write(conn, Vec::new(), Vec::new())?;
        Ok(Some(applied))
    })
    .map_err(|e: TxError| e.0)
}

/// Confirms every pending episode that has lasted its rule's minimum time (the sweep job).
pub fn confirm_due(conn: &mut DbConnection, now: i64) -> StoreResult<Applied> {
    crate::store::write_transaction(conn, |conn| {
        store::lock_for_alarms(conn)?;
        let rules = rules_by_kind(conn, now)?;
        let mut session = Session::new(now, &rules);
        session.confirm_due(conn)?;
        Ok(session.write(conn, Vec::new(), Vec::new())?)
    })
    .map_err(|e: TxError| e.0)
}

/// A store error carried through diesel's transaction (which needs `From<diesel::Error>`).
#[derive(Debug)]
struct TxError(StoreError);

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError(e.into())
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError(e)
    }
}

impl<'a> Session<'a> {
    fn new(now: i64, rules: &'a HashMap<String, AlarmRule>) -> Self {
        Self {
            now,
            rules,
            devices: HashMap::new(),
            dirty_devices: HashSet::new(),
            alarms: HashMap::new(),
            new_alarms: Vec::new(),
            dirty_alarms: HashSet::new(),
            repeated_alarms: HashSet::new(),
            active: HashMap::new(),
            cells_read: HashSet::new(),
            groups: HashMap::new(),
            open_groups: HashMap::new(),
            new_groups: Vec::new(),
            dirty_groups: HashSet::new(),
            cleared_groups: Vec::new(),
            known_messages: HashMap::new(),
        }
    }

    /// Keeps a row read from the store (the copy in memory wins if there is one, so an episode
    /// an earlier batch of the session cleared stays cleared); its id.
    fn remember(&mut self, alarm: AlarmRow) -> String {
        let id = alarm.id.clone();
        let kept = self.alarms.entry(id.clone()).or_insert(alarm);
        if kept.cleared_at.is_none() {
            self.active.insert((kept.device_id.clone(), kept.kind.clone()), id.clone());
        }
        id
    }

    fn confirm_due(&mut self, conn: &mut DbConnection) -> StoreResult<()> {
        let due_by: Vec<(&str, i64)> = self
            .rules
            .values()
            .map(|rule| (rule.kind.as_str(), self.now - i64::from(rule.min_duration_s)))
            .collect();
        let mut due = Vec::new();
        for alarm in store::pending_due(conn, &due_by)? {
            due.push(self.remember(alarm));
        }
        for id in due {
            if self.alarms.get(&id).is_some_and(|a| a.state == AlarmState::Pending) {
                self.confirm(conn, &id, "duration")?;
            }
        }
        Ok(())
    }

    /// Reads what the round's batches will look up, in three queries for the whole round
    /// rather than three per batch: the messages already stored under their ids, their devices,
    /// and those devices' active episodes. Copies the session already holds are kept, as newer.
    fn prefetch(&mut self, conn: &mut DbConnection, batches: &[Batch<'_>]) -> StoreResult<()> {
        let mut ids_by_system: HashMap<&str, Vec<&str>> = HashMap::new();
        for batch in batches {
            let ids = batch.messages.iter().map(|c| c.message.id.as_str());
            ids_by_system.entry(batch.system).or_default().extend(ids);
        }
        for (system, ids) in ids_by_system {
            for m in store::find_messages(conn, system, &ids)? {
                let key = (m.system_id, m.sender_alarm_id);
                self.known_messages.entry(key).or_insert((m.message_sha256, m.alarm_id));
            }
        }
        let mut unread: Vec<&str> = batches
            .iter()
            .flat_map(|batch| batch.messages.iter().map(|c| c.message.alert_source.as_str()))
            .filter(|id| !self.devices.contains_key(*id))
            .collect();
        unread.sort_unstable();
        unread.dedup();
        for device in store::find_devices(conn, &unread)? {
            self.devices.entry(device.id.clone()).or_insert(device);
        }
        for alarm in store::active_alarms_of(conn, &unread)? {
            self.remember(alarm);
        }
        Ok(())
    }

    /// Applies one batch of the session (after [`Session::prefetch`]), adding the messages it
    /// stored to `messages`; a refusal comes before any change.
    fn apply(
        &mut self,
        conn: &mut DbConnection,
        system: &str,
        batch: &[Checked],
        messages: &mut Vec<MessageRow>,
    ) -> StoreResult<BatchOutcome> {
        // Replays: ids stored before, applied by an earlier batch of this session, or repeated
        // within the batch.
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (index, checked) in batch.iter().enumerate() {
            let id = checked.message.id.as_str();
            let sha = self
                .known_messages
                .get(&(system.to_owned(), id.to_owned()))
                .map(|(sha, _)| sha.as_str())
                .or_else(|| seen.get(id).copied());
            if sha.is_some_and(|sha| sha != checked.sha256) {
                return Ok(Err(Refusal::IdReused { index }));
            }
            seen.entry(id).or_insert(checked.sha256.as_str());
        }
        // Devices: every one must be this system's; kinds must have a rule and be the device's.
        for (index, checked) in batch.iter().enumerate() {
            let device = self.devices.get(&checked.message.alert_source);
            let Some(device) = device.filter(|d| d.system_id == system) else {
                return Ok(Err(Refusal::UnknownDevice { index }));
            };
            if !self.rules.contains_key(&checked.message.category) {
                return Ok(Err(Refusal::UnknownKind { index }));
            }
            if device.kind != checked.message.category {
                return Ok(Err(Refusal::KindMismatch { index, device_kind: device.kind.clone() }));
            }
        }

        let mut outcomes = Vec::with_capacity(batch.len());
        for checked in batch {
            let m = &checked.message;
            let key = (system.to_owned(), m.id.clone());
            if let Some((_, alarm)) = self.known_messages.get(&key) {
                outcomes.push((Outcome::Replayed, alarm.clone()));
                continue;
            }
            let (outcome, alarm_id) = match m.status {
                AlarmStatus::Active => self.raise(conn, m)?,
                AlarmStatus::Cleared => self.clear(conn, m)?,
            };
            self.known_messages.insert(key, (checked.sha256.clone(), alarm_id.clone()));
            messages.push(MessageRow {
                system_id: system.to_owned(),
                sender_alarm_id: m.id.clone(),
                alarm_id: alarm_id.clone(),
                signal: if m.status == AlarmStatus::Active { "alarm" } else { "clear" }.to_owned(),
                message_sha256: checked.sha256.clone(),
                received_at: self.now,
            });
            outcomes.push((outcome, alarm_id));
        }
        Ok(Ok(outcomes))
    }

    fn raise(&mut self, conn: &mut DbConnection, m: &AlarmMessage) -> StoreResult<(Outcome, Option<String>)> {
        let key = (m.alert_source.clone(), m.category.clone());
        if let Some(id) = self.active.get(&key).cloned() {
            let pending_since = {
                let Some(alarm) = self.alarms.get_mut(&id) else {
                    return Err(StoreError::Corrupt("an active alarm went missing".into()));
                };
                alarm.repeat_count += 1;
                alarm.last_at = self.now;
                if Severity::parse(&alarm.severity).is_some_and(|s| s < m.severity) {
                    alarm.severity = m.severity.as_str().to_owned();
                }
                (alarm.state == AlarmState::Pending).then_some(alarm.first_at)
            };
            self.repeated_alarms.insert(id.clone());
            let min = self.rules.get(&m.category).map_or(0, |r| i64::from(r.min_duration_s));
            if pending_since.is_some_and(|first| self.now - first >= min) {
                self.confirm(conn, &id, "duration")?;
            }
            return Ok((Outcome::Repeated, Some(id)));
        }
        let Some(device) = self.devices.get(&m.alert_source) else {
            return Err(StoreError::Corrupt("a checked device went missing".into()));
        };
        let alarm = AlarmRow {
            id: uuid::Uuid::now_v7().to_string(),
            system_id: device.system_id.clone(),
            device_id: device.id.clone(),
            kind: m.category.clone(),
            sub_category: m.sub_category.clone(),
            severity: m.severity.as_str().to_owned(),
            grid_code: device.grid_code,
            state: if device.faulty { AlarmState::Suppressed } else { AlarmState::Pending },
            first_at: self.now,
            last_at: self.now,
            repeat_count: 1,
            value: m.value,
            unit: m.unit.clone(),
            media_url: m.media_url.clone(),
            issued_at: Some(m.date_issued.clone()),
            valid_from: m.valid_from.clone(),
            valid_to: m.valid_to.clone(),
            confirmed_at: None,
            confirmed_by: None,
            confirmed_by_user: None,
            group_id: None,
            cleared_at: None,
        };
        let (id, pending, grid) = (alarm.id.clone(), alarm.state == AlarmState::Pending, alarm.grid_code);
        self.active.insert(key, id.clone());
        self.alarms.insert(id.clone(), alarm);
        self.new_alarms.push(id.clone());
        if !pending {
            return Ok((Outcome::Raised, Some(id)));
        }
        let Some(rule) = self.rules.get(&m.category) else {
            return Err(StoreError::Corrupt("a checked kind went missing".into()));
        };
        if rule.min_duration_s == 0 {
            self.confirm(conn, &id, "duration")?;
        } else if rule.second_device_confirms {
            let cell = (m.category.clone(), grid);
            self.read_cell(conn, &cell)?;
            let others: Vec<String> = self
                .alarms
                .values()
                .filter(|a| {
                    a.kind == cell.0
                        && a.grid_code == cell.1
                        && a.device_id != m.alert_source
                        && a.cleared_at.is_none()
                        && a.state == AlarmState::Pending
                })
                .map(|a| a.id.clone())
                .collect();
            let group_alarming = self.open_group(conn, &cell)?.is_some_and(|g| g.active_count > 0);
            if !others.is_empty() || group_alarming {
                self.confirm(conn, &id, "second_device")?;
                for other in others {
                    self.confirm(conn, &other, "second_device")?;
                }
            }
        }
        Ok((Outcome::Raised, Some(id)))
    }

    fn clear(&mut self, conn: &mut DbConnection, m: &AlarmMessage) -> StoreResult<(Outcome, Option<String>)> {
        let key = (m.alert_source.clone(), m.category.clone());
        let Some(id) = self.active.remove(&key) else { return Ok((Outcome::NothingActive, None)) };
        let mut group_id = None;
        if let Some(alarm) = self.alarms.get_mut(&id) {
            alarm.cleared_at = Some(self.now);
            alarm.last_at = self.now;
            group_id = alarm.group_id.clone();
            self.dirty_alarms.insert(id.clone());
        }
        if let Some(g) = &group_id
            && !self.groups.contains_key(g)
            && let Some(found) = store::find_group(conn, g)?
        {
            self.groups.insert(g.clone(), found);
        }
        if let Some(group) = group_id.and_then(|g| self.groups.get_mut(&g)) {
            group.active_count -= 1;
            if group.active_count <= 0 && group.cleared_at.is_none() {
                group.cleared_at = Some(self.now);
                self.cleared_groups.push(group.id.clone());
            }
            self.dirty_groups.insert(group.id.clone());
        }
        self.count_alternation(&m.alert_source, &m.category);
        Ok((Outcome::Cleared, Some(id)))
    }

    /// One alternation of a device; past the rule's limit within the hour, the device is faulty.
    fn count_alternation(&mut self, device_id: &str, kind: &str) {
        let limit = self.rules.get(kind).map_or(u32::MAX, |r| r.flap_limit_per_hour);
        let now = self.now;
        let Some(device) = self.devices.get_mut(device_id) else { return };
        match device.flap_window_started_at {
            Some(start) if now - start < FLAP_WINDOW_S => device.flap_count += 1,
            _ => {
                device.flap_window_started_at = Some(now);
                device.flap_count = 1;
            }
        }
        device.updated_at = now;
        self.dirty_devices.insert(device_id.to_owned());
        let flapping = u32::try_from(device.flap_count).unwrap_or(0) > limit;
        if !flapping || device.faulty {
            return;
        }
        device.faulty = true;
        let maintenance = GroupRow {
            id: uuid::Uuid::now_v7().to_string(),
            purpose: "maintenance".to_owned(),
            kind: device.kind.clone(),
            grid_code: device.grid_code,
            device_id: Some(device.id.clone()),
            severity: Severity::Medium.as_str().to_owned(),
            opened_at: now,
            window_ends_at: now,
            episode_count: 0,
            active_count: 0,
            case_id: None,
            cleared_at: None,
        };
        self.new_groups.push(maintenance.id.clone());
        self.groups.insert(maintenance.id.clone(), maintenance);
        // Its episodes still waiting for confirmation open no case any more.
        for alarm in self.alarms.values_mut() {
            if alarm.device_id == device_id
                && alarm.state == AlarmState::Pending
                && alarm.cleared_at.is_none()
            {
                alarm.state = AlarmState::Suppressed;
                self.dirty_alarms.insert(alarm.id.clone());
            }
        }
    }

    /// Reads the pending episodes of a kind in a cell, once per batch.
    fn read_cell(&mut self, conn: &mut DbConnection, cell: &(String, GridCode)) -> StoreResult<()> {
        if self.cells_read.insert(cell.clone()) {
            for alarm in store::pending_in_cell(conn, &cell.0, cell.1)? {
                self.remember(alarm);
            }
        }
        Ok(())
    }

    /// The open group of a kind in a cell, looked up once per batch.
    fn open_group(
        &mut self,
        conn: &mut DbConnection,
        cell: &(String, GridCode),
    ) -> StoreResult<Option<&GroupRow>> {
        if !self.open_groups.contains_key(cell) {
            let found = store::open_group(conn, &cell.0, cell.1, self.now)?;
            let id = found.map(|g| {
                let id = g.id.clone();
                self.groups.entry(id.clone()).or_insert(g);
                id
            });
            self.open_groups.insert(cell.clone(), id);
        }
        let id = self.open_groups.get(cell).cloned().flatten();
        Ok(id
            .and_then(|id| self.groups.get(&id))
            .filter(|g| g.cleared_at.is_none() && g.window_ends_at >= self.now))
    }

    /// Confirms a pending episode and puts it in its group (opening one if none is open).
    fn confirm(&mut self, conn: &mut DbConnection, id: &str, by: &str) -> StoreResult<()> {
        let Some(alarm) = self.alarms.get(id) else { return Ok(()) };
        if alarm.state != AlarmState::Pending {
            return Ok(());
        }
        let cell = (alarm.kind.clone(), alarm.grid_code);
        let (severity, active) = (alarm.severity.clone(), alarm.cleared_at.is_none());
        let window = self.rules.get(&cell.0).map_or(0, |r| i64::from(r.group_window_s));
        let open = if window > 0 { self.open_group(conn, &cell)?.map(|g| g.id.clone()) } else { None };
        let group_id = match open {
            Some(id) => id,
            None => {
                let group = GroupRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    purpose: "alarms".to_owned(),
                    kind: cell.0.clone(),
                    grid_code: cell.1,
                    device_id: None,
                    severity: severity.clone(),
                    opened_at: self.now,
                    window_ends_at: self.now + window,
                    episode_count: 0,
                    active_count: 0,
                    case_id: None,
                    cleared_at: None,
                };
                let id = group.id.clone();
                if window > 0 {
                    self.open_groups.insert(cell, Some(id.clone()));
                }
                self.groups.insert(id.clone(), group);
                self.new_groups.push(id.clone());
                id
            }
        };
        if let Some(group) = self.groups.get_mut(&group_id) {
            group.episode_count += 1;
            if active {
                group.active_count += 1;
            }
            if Severity::parse(&group.severity) < Severity::parse(&severity) {
                group.severity = severity;
            }
            self.dirty_groups.insert(group_id.clone());
        }
        if let Some(alarm) = self.alarms.get_mut(id) {
            alarm.state = AlarmState::Confirmed;
            alarm.confirmed_at = Some(self.now);
            alarm.confirmed_by = Some(by.to_owned());
            alarm.group_id = Some(group_id);
            self.dirty_alarms.insert(id.to_owned());
        }
        Ok(())
    }

    /// Writes what changed: new groups first (episodes point at them), then episodes, devices and
    /// messages.
    fn write(
        &mut self,
        conn: &mut DbConnection,
        outcomes: Vec<(Outcome, Option<String>)>,
        messages: Vec<MessageRow>,
    ) -> StoreResult<Applied> {
        let new_groups: HashSet<&String> = self.new_groups.iter().collect();
        for id in &self.new_groups {
            if let Some(group) = self.groups.get(id) {
                store::insert_group(conn, group)?;
            }
        }
        for id in &self.dirty_groups {
            if !new_groups.contains(id)
                && let Some(group) = self.groups.get(id)
            {
                store::save_group(conn, group)?;
            }
        }
        let new_alarms: Vec<AlarmRow> =
            self.new_alarms.iter().filter_map(|id| self.alarms.get(id).cloned()).collect();
        store::insert_alarms(conn, &new_alarms)?;
        let inserted: HashSet<&String> = self.new_alarms.iter().collect();
        let changed: Vec<AlarmRow> = self
            .dirty_alarms
            .iter()
            .filter(|id| !inserted.contains(id))
            .filter_map(|id| self.alarms.get(id).cloned())
            .collect();
        store::save_alarms(conn, &changed)?;
        let repeated: Vec<AlarmRow> = self
            .repeated_alarms
            .iter()
            .filter(|id| !inserted.contains(id) && !self.dirty_alarms.contains(*id))
            .filter_map(|id| self.alarms.get(id).cloned())
            .collect();
        store::save_repeats(conn, &repeated)?;
        for id in &self.dirty_devices {
            if let Some(device) = self.devices.get(id) {
                store::save_device(conn, device)?;
            }
        }
        store::insert_messages(conn, &messages)?;
        let groups = std::mem::take(&mut self.groups);
        let pick = |ids: &[String]| ids.iter().filter_map(|id| groups.get(id).cloned()).collect::<Vec<_>>();
        Ok(Applied {
            outcomes,
            new_groups: pick(&self.new_groups),
            cleared_groups: pick(&self.cleared_groups),
        })
    }
}
