//! The store's schema and its versioned migrations, kept in `PRAGMA user_version`.
//!
//! [`LATEST`] creates a fresh store in one go; [`STEPS`]`[n]` upgrades a store from version
//! `n` to `n + 1`. A test upgrades a version-1 store step by step and checks that it ends up
//! with exactly the schema text of a fresh one, so the two paths cannot drift. To change the
//! schema: append a step, update [`LATEST`] to match, and bump nothing else.
//!
//! Order is never taken from a clock: `seq` columns are `AUTOINCREMENT`, so a number is never
//! reused even after deletes, and a clock or time-zone change cannot reorder anything.

/// The schema version this build writes.
pub const VERSION: u32 = 5;

/// The whole current schema, for a new store.
pub const LATEST: &str = "
CREATE TABLE drafts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    fields TEXT NOT NULL
);
CREATE TABLE photos (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    upload_key TEXT,
    server_id TEXT
);
CREATE INDEX photos_owner ON photos (owner_id, seq);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    problem TEXT,
    result TEXT,
    order_key TEXT,
    conflict TEXT
);
CREATE INDEX outbox_status ON outbox (status, seq);
CREATE TABLE session (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL
);
CREATE INDEX outbox_order ON outbox (order_key, seq);
CREATE TABLE pulled_cases (
    list TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL,
    json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (list, id)
);
CREATE TABLE pull_cursors (
    list TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// `STEPS[n]` takes a store from version `n` to `n + 1`. Step 0 is the first schema.
pub const STEPS: &[&str] = &[
    // 1: drafts, their photos and the report outbox.
    "
CREATE TABLE drafts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    fields TEXT NOT NULL
);
CREATE TABLE photos (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    upload_key TEXT,
    server_id TEXT
);
CREATE INDEX photos_owner ON photos (owner_id, seq);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    problem TEXT,
    result TEXT
);
CREATE INDEX outbox_status ON outbox (status, seq);
",
    // 2: the signed-in session (access and refresh token).
    "
CREATE TABLE session (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL
);
",
    // 3: workflow actions: ordered per case (order_key) and parked with the server's state on 409.
    "
ALTER TABLE outbox ADD COLUMN order_key TEXT;
ALTER TABLE outbox ADD COLUMN conflict TEXT;
CREATE INDEX outbox_order ON outbox (order_key, seq);
",
    // 4: the pulled work list and own reports, cached for offline reading, with their cursors.
    "
CREATE TABLE pulled_cases (
    list TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL,
    json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (list, id)
);
CREATE TABLE pull_cursors (
    list TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL
);
",
    // 5: what outlives a process besides the session: the account, the language, the lists
    // sync pulls, the last states seen (for notifications), as JSON by key.
    "
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
",
];
