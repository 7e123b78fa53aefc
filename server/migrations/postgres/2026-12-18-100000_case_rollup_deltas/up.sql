-- What the events of the last moments added to the statistics' roll-ups, not yet folded into
-- `case_rollups` (store::rollups, "Deltas"). The statistics read both tables, so the figures
-- stay exact at every moment; a job of every node folds these rows into `case_rollups` every
-- few seconds, in one statement.
--
-- Why a table of its own: `case_rollups`' key INCLUDEs the counted columns (so a year of
-- figures is read from the index alone), and then no update of a row is HOT. An event
-- upserted a dozen rows there, the same rows of today again and again; each update left a
-- dead version and an index entry behind. At ten million cases autovacuum waits for half a
-- million dead versions, and meanwhile every upsert of today's rows stepped over all the
-- entries of its key before: at saturation it took 0.65 ms a batch against 0.15 ms on an
-- empty city (docs/benchmarks.md, "Ten million cases on PostgreSQL"). This table's key holds
-- no counted column, so its updates are HOT, the dead versions are pruned in their page, and
-- the table stays a few pages that autovacuum's default thresholds visit often.
-- The same columns, without the INCLUDE: a key of the key's columns only.
CREATE TABLE case_rollup_deltas (LIKE case_rollups) WITH (fillfactor = 50);
ALTER TABLE case_rollup_deltas ADD PRIMARY KEY (level, street_code, lo, figure, hi, end_day,
    start_day, bucket, district_code, category_code, handling_unit, channel);
