-- The time zone whose dates `case_day_summaries.day` holds (store::summaries). The summaries
-- count each event on its city day, the working calendar's zone; every writer reads the zone
-- here, so they stay exact in it whichever process writes. The rows stored before this
-- migration count UTC days: that is what is recorded. A server whose calendar has another zone
-- records its own at start while no row is stored; otherwise early warning reads the events
-- until `gridline summaries rebuild` counts the rows again in the city's zone (`complete` is
-- false while it runs).
CREATE TABLE case_summary_zone (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    timezone TEXT NOT NULL,
    complete BOOLEAN NOT NULL
);
INSERT INTO case_summary_zone (id, timezone, complete) VALUES (1, 'UTC', TRUE);

-- Early warning reads the reports of a range of days by cell (store::summaries::daily_reports).
CREATE INDEX case_day_summaries_by_kind ON case_day_summaries (kind, day, grid_code, category_code, events);
