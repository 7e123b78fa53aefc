-- The statistics' roll-ups (store::rollups): for each case, what it adds to the figures of any
-- range of whole days, summed over the cases of one district, street, category, handling unit
-- and channel. A row counts in the range [D1, D2) (city days) when
--   start_day <= D1 <= lo  AND  hi < D2 <= end_day,
-- so a city's year of figures is a sum over rows, never a read of its cases' facts. Written in
-- the transaction of every event, with the facts; `gridline summaries rebuild --check` derives
-- them again from the facts and compares. '' stands for a case without a street (triage) or a
-- unit. The definitions are in docs/statistics.md ("Roll-ups").
CREATE TABLE case_rollups (
    -- Which columns the row keeps: 0 all five; 1 district and street; 2 category; 3 unit;
    -- 4 channel; 5 none (the city). The others hold '*'. Every case is counted at every level,
    -- so a read sums the rows of the level that keeps what it groups and narrows by.
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
    -- A level's rows of one street, then of one range of first days, lie together: a read
    -- walks them in key order, the sums read from the key alone (an index-only scan).
    PRIMARY KEY (level, street_code, lo, figure, hi, end_day, start_day, bucket, district_code,
                 category_code, handling_unit, channel) INCLUDE (cases, amount)
);

-- The key each case's roll-up rows are counted under now: a step that moves the case (a
-- relocation, a redispatch) takes its rows off the old key and adds them under the new one.
CREATE TABLE case_rollup_keys (
    case_id TEXT PRIMARY KEY NOT NULL,
    district_code TEXT NOT NULL,
    street_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    handling_unit TEXT NOT NULL,
    channel TEXT NOT NULL
);

-- The working calendar and response limit the roll-ups were counted on (a fingerprint), and
-- whether they are complete. Without a row, or with another city's rules, the statistics read
-- the facts; `gridline summaries rebuild` counts the roll-ups again.
CREATE TABLE case_rollup_rules (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    complete BOOLEAN NOT NULL
);
