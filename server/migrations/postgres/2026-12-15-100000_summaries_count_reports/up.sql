-- The per-day summaries count reports only: (day, cell, category, channel) → reports.
--
-- Early warning's daily reports are the only reader of `case_day_summaries`; the statistics
-- read the roll-ups (`case_rollups`) and the facts. Counting every workflow step as well, by
-- kind and by the unit the case was with, wrote about six and a half rows a case that nothing
-- read (at a million cases 6.5 million rows and 2.2 GB, more than the events' own table
-- without its indexes) and an upsert in every step's transaction. A report is a case's first
-- event, before any unit has it, so its rows carried no unit: the kind and unit columns go
-- with the other kinds' rows.
CREATE TABLE case_day_summaries_of_reports (
    day TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    reports BIGINT NOT NULL,
    -- Early warning reads a range of days: the key leads with the day and carries the count, so
    -- that read is an index-only scan of the range.
    PRIMARY KEY (day, grid_code, category_code, channel) INCLUDE (reports)
);
INSERT INTO case_day_summaries_of_reports (day, grid_code, category_code, channel, reports)
    SELECT day, grid_code, category_code, channel, SUM(events)
    FROM case_day_summaries WHERE kind = 'reported'
    GROUP BY day, grid_code, category_code, channel;
DROP TABLE case_day_summaries;
ALTER TABLE case_day_summaries_of_reports RENAME TO case_day_summaries;
ALTER INDEX case_day_summaries_of_reports_pkey RENAME TO case_day_summaries_pkey;
-- A cell's rows, for a relocation and for the seed's and the rebuild's rewrite of a batch of cells.
CREATE INDEX case_day_summaries_by_grid ON case_day_summaries (grid_code, day);
-- As in 2026-12-14-100000_rollups_autovacuum: each report's upsert leaves a dead version.
ALTER TABLE case_day_summaries SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02
);
