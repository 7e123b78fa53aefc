-- What the events of the last moments added to the statistics' roll-ups, not yet folded into
-- `case_rollups` (store::rollups, "Deltas"). The statistics read both tables, so the figures
-- stay exact at every moment; a job folds these rows into `case_rollups` every few seconds.
-- The same code runs on both backends; the reason for the table is PostgreSQL's (its
-- migration says why).
CREATE TABLE case_rollup_deltas (
    level INTEGER NOT NULL,
    street_code TEXT NOT NULL,
    lo INTEGER NOT NULL,
    figure INTEGER NOT NULL,
    hi INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    start_day INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    district_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    handling_unit TEXT NOT NULL,
    channel TEXT NOT NULL,
    cases BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (level, street_code, lo, figure, hi, end_day, start_day, bucket, district_code,
                 category_code, handling_unit, channel)
) WITHOUT ROWID;
