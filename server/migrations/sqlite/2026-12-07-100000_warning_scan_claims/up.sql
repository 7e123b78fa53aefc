-- Early warning's scheduled scan (server/src/jobs/warnings.rs): one row per city day and
-- category class, inserted by the node that runs that day's scan of the class. The primary key
-- makes the insert the claim, so exactly one node runs it; a node that dies mid-run leaves its
-- lease, which another node takes over once `lease_until` has passed.
CREATE TABLE warning_scan_claims (
    city_day TEXT NOT NULL,
    class TEXT NOT NULL,
    node TEXT NOT NULL,
    claimed_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    finished_at TIMESTAMP,
    raised INTEGER,
    grown INTEGER,
    PRIMARY KEY (city_day, class)
);
-- The signal list reads a caller's scope by centre cell, newest first.
CREATE INDEX warning_signals_centre ON warning_signals (centre_grid, raised_at);
