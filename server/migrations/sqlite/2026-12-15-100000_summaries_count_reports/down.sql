-- The rows of the other kinds are not restored here: `gridline summaries rebuild` of the
-- older version counts them again from the events.
CREATE TABLE case_day_summaries_of_kinds (
    day TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    handling_unit TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (day, grid_code, category_code, handling_unit, channel, kind)
);
INSERT INTO case_day_summaries_of_kinds
    SELECT day, grid_code, category_code, '', channel, 'reported', reports FROM case_day_summaries;
DROP TABLE case_day_summaries;
ALTER TABLE case_day_summaries_of_kinds RENAME TO case_day_summaries;
CREATE INDEX case_day_summaries_by_grid ON case_day_summaries (grid_code, day);
CREATE INDEX case_day_summaries_by_kind ON case_day_summaries (kind, day, grid_code, category_code, events);
