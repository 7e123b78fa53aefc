-- Base schema (SQLite): grids, categories, photos, cases and their events.
-- Times are UTC; coordinates WGS-84 degrees; codes are their canonical digit strings.

CREATE TABLE grid_cells (
    code TEXT NOT NULL PRIMARY KEY,
    district_code TEXT NOT NULL,
    street_code TEXT NOT NULL,
    community_code TEXT NOT NULL,
    name TEXT,
    geometry TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL
);
CREATE INDEX grid_cells_street ON grid_cells (street_code);
CREATE INDEX grid_cells_district ON grid_cells (district_code);

-- One row: bumped by every grid import, polled by every node to rebuild its routing index.
CREATE TABLE grid_revision (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO grid_revision (id, revision, updated_at) VALUES (1, 0, CURRENT_TIMESTAMP);

CREATE TABLE categories (
    code TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    anonymous_allowed BOOLEAN NOT NULL,
    duplicate_radius_m DOUBLE NOT NULL,
    definition TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE photos (
    id TEXT NOT NULL PRIMARY KEY,
    sha256 TEXT NOT NULL,
    uploader_id TEXT,
    object_key TEXT NOT NULL,
    thumbnail_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    -- What the original's EXIF said (core CaptureMetadata as JSON); the stored JPEG has none.
    capture_metadata TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX photos_sha256 ON photos (sha256);

CREATE TABLE cases (
    id TEXT NOT NULL PRIMARY KEY,
    tracking_number TEXT NOT NULL UNIQUE,
    -- The client's key: a retried or concurrent duplicate submission hits this constraint.
    idempotency_key TEXT NOT NULL UNIQUE,
    request_sha256 TEXT NOT NULL,
    reporter_id TEXT,
    reporter_role TEXT,
    anonymous BOOLEAN NOT NULL,
    category_code TEXT NOT NULL,
    description TEXT NOT NULL,
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    accuracy_m DOUBLE,
    submitted_crs TEXT NOT NULL,
    captured_at TIMESTAMP,
    state TEXT NOT NULL,
    grid_code TEXT,
    community_code TEXT,
    street_code TEXT,
    district_code TEXT,
    routing_outcome TEXT NOT NULL,
    routing_distance_m DOUBLE,
    geotag_verdict TEXT NOT NULL,
    answers TEXT NOT NULL,
    handling_time_limit TEXT,
    -- The unit the case is (or was last) dispatched to; none at intake.
    handling_unit TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_reporter ON cases (reporter_id, created_at);
CREATE INDEX cases_street_state ON cases (street_code, state);
CREATE INDEX cases_grid ON cases (grid_code);

CREATE TABLE case_photos (
    case_id TEXT NOT NULL REFERENCES cases (id),
    photo_id TEXT NOT NULL REFERENCES photos (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (case_id, photo_id)
);

CREATE TABLE case_events (
    id TEXT NOT NULL PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_id TEXT,
    actor_role TEXT,
    note TEXT,
    lat DOUBLE,
    lon DOUBLE,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, occurred_at);
