-- Per-day summaries of the audit trail: how many events of each kind happened on each day (UTC)
-- to the cases of one grid cell, category, handling unit and channel. Every event insert adds
-- its one in the same transaction (store::summaries), so the figures are exact at any moment;
-- `gridline summaries rebuild --check` recomputes them from the events and compares.
-- A case without a cell (the triage queue) or without a unit is counted under ''.
-- A deployment upgraded with events already stored runs `gridline summaries rebuild` once.
CREATE TABLE case_day_summaries (
    day TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    handling_unit TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (day, grid_code, category_code, handling_unit, channel, kind)
);
-- A street's or a cell's figures over a range read by cell first.
CREATE INDEX case_day_summaries_by_grid ON case_day_summaries (grid_code, day);
