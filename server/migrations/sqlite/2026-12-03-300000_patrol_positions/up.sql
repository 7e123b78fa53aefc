-- Where grid inspectors were while on duty (巡查轨迹), as their phones recorded it, each
-- position with the cell it routes to. Personal data: kept GRIDLINE_PATROL_RETENTION_DAYS
-- (default 90) and shown only to the inspector's street office (see server/src/patrol/).
-- One row per inspector and moment, so a phone sending a batch again stores nothing twice.
CREATE TABLE patrol_positions (
    inspector_id TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    accuracy_m DOUBLE,
    grid_code TEXT,
    PRIMARY KEY (inspector_id, recorded_at_ms)
);
CREATE INDEX patrol_positions_time ON patrol_positions (recorded_at_ms);
