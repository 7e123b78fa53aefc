-- Autovacuum of the statistics' roll-ups and per-day summaries, kept close behind their writes.
--
-- Every event upserts a few rows of `case_rollups` and `case_day_summaries`, and an index of
-- each holds the counted columns (the roll-ups' key INCLUDEs them, the summaries' `by_kind`
-- ends with them), so no update is HOT: each leaves a dead row version and clears its page's
-- all-visible bit. The year's statistics read about 400,000 roll-up rows of one level by an
-- index-only scan, which the planner takes only while most pages are marked all-visible; at a
-- million cases, with 2.4 million dead versions left behind, it chose a sequential scan of all
-- 11 million rows instead (650 ms against 151-180 ms after a vacuum, docs/benchmarks.md, "A
-- million cases on PostgreSQL"). PostgreSQL's default waits for 20 % of a table to be dead
-- (2.2 million rows at that size); 1 % keeps the map fresh at a cost proportional to the
-- writes.
ALTER TABLE case_rollups SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02
);
ALTER TABLE case_day_summaries SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02
);
