-- Sensor alarms (城市神经元): the systems that send them (each with its own key), their
-- devices, the city's rule per alarm kind, every alarm received (by the sender's alarm id, so a
-- replay is counted once), the alarm episodes those messages raise, repeat and clear, and the
-- groups of confirmed episodes that become one case each. Times are Unix seconds of the
-- server's clock.

CREATE TABLE sensor_systems (
    id TEXT PRIMARY KEY NOT NULL,
    -- who the system is, e.g. "Xuhui manhole cover network"
    name TEXT NOT NULL,
    -- SHA-256 (hex) of the system's key; the key is shown once at creation and never stored
    key_hash TEXT NOT NULL UNIQUE,
    -- the key's first characters, so an admin can tell keys apart without the secret
    key_prefix TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- A device's id is the sending system's own; one id belongs to one system.
CREATE TABLE sensor_devices (
    id TEXT PRIMARY KEY NOT NULL,
    system_id TEXT NOT NULL REFERENCES sensor_systems (id),
    kind TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    -- the grid cell the position routes to (a device outside every cell is refused on import)
    grid_code TEXT NOT NULL,
    -- the unit that maintains the device (its maintenance cases name it)
    owning_unit TEXT NOT NULL,
    -- flagged by flapping: its alarms are kept but open no case
    faulty BOOLEAN NOT NULL,
    -- the start of the hour in which flap_count alternations (alarm then all-clear) were seen
    flap_window_started_at BIGINT,
    flap_count INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX sensor_devices_system_idx ON sensor_devices (system_id, id);

-- The city's rule per alarm kind; the shipped defaults are written on first use.
CREATE TABLE sensor_rules (
    kind TEXT PRIMARY KEY NOT NULL,
    category_code TEXT NOT NULL,
    -- answers to the category's questions that every case of this kind carries (JSON object)
    answers TEXT NOT NULL,
    -- an alarm confirms once it has lasted this long without an all-clear (0: at once)
    min_duration_s INTEGER NOT NULL,
    -- an alarm confirms when another device of the same cell and kind is alarming too
    second_device_confirms BOOLEAN NOT NULL,
    -- confirmed alarms of one kind in one cell within this window share a case (0: never)
    group_window_s INTEGER NOT NULL,
    -- more alternations than this within an hour flag the device faulty
    flap_limit_per_hour INTEGER NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Groups of confirmed episodes: one case each (case_id is set once the case is filed; the case's
-- Idempotency-Key is derived from the group's id, so filing again finds the same case).
CREATE TABLE sensor_groups (
    id TEXT PRIMARY KEY NOT NULL,
    -- 'alarms' (confirmed episodes of one kind in one cell) or 'maintenance' (a faulty device)
    purpose TEXT NOT NULL,
    kind TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    -- the faulty device, for a maintenance group
    device_id TEXT,
    severity TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    -- confirmed episodes join this group until then
    window_ends_at BIGINT NOT NULL,
    episode_count INTEGER NOT NULL,
    -- episodes not yet cleared; the group is "cleared by sensor" when this falls to 0
    active_count INTEGER NOT NULL,
    case_id TEXT REFERENCES cases (id),
    cleared_at BIGINT
);

CREATE INDEX sensor_groups_open_idx ON sensor_groups (kind, grid_code, window_ends_at);
CREATE INDEX sensor_groups_unfiled_idx ON sensor_groups (case_id);

-- An episode: one device's alarm of one kind from its first message to its all-clear. Repeats
-- while it is active raise repeat_count and last_at; the first occurrence's fields are kept.
CREATE TABLE sensor_alarms (
    id TEXT PRIMARY KEY NOT NULL,
    system_id TEXT NOT NULL REFERENCES sensor_systems (id),
    device_id TEXT NOT NULL REFERENCES sensor_devices (id),
    kind TEXT NOT NULL,
    sub_category TEXT,
    severity TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    -- pending (awaiting confirmation), confirmed, suppressed (a faulty device's), dismissed
    state TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    repeat_count INTEGER NOT NULL,
    value DOUBLE PRECISION,
    unit TEXT,
    media_url TEXT,
    -- the sender's dateIssued, validFrom and validTo of the first message, as sent (RFC 3339)
    issued_at TEXT,
    valid_from TEXT,
    valid_to TEXT,
    confirmed_at BIGINT,
    -- duration, second_device or person
    confirmed_by TEXT,
    confirmed_by_user TEXT,
    group_id TEXT REFERENCES sensor_groups (id),
    cleared_at BIGINT
);

CREATE INDEX sensor_alarms_device_idx ON sensor_alarms (device_id, kind, cleared_at);
CREATE INDEX sensor_alarms_state_idx ON sensor_alarms (state, kind, first_at);
CREATE INDEX sensor_alarms_cell_idx ON sensor_alarms (kind, grid_code, state);
CREATE INDEX sensor_alarms_group_idx ON sensor_alarms (group_id);

-- Every message received, by the sender's alarm id: a replay finds its row and is counted once.
CREATE TABLE sensor_messages (
    system_id TEXT NOT NULL REFERENCES sensor_systems (id),
    sender_alarm_id TEXT NOT NULL,
    -- the episode it raised, repeated or cleared (none for an all-clear with nothing active)
    alarm_id TEXT REFERENCES sensor_alarms (id),
    -- alarm or clear
    signal TEXT NOT NULL,
    -- SHA-256 of the message as sent, so the same id with another body is refused
    message_sha256 TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (system_id, sender_alarm_id)
);
