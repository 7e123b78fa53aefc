-- Monthly partitions of `cases` and `case_events` (PostgreSQL only; SQLite keeps one table each).
--
-- PostgreSQL asks every unique index of a partitioned table to contain the partition key, so the
-- uniqueness that carries the exactly-once guarantees moves first to two small tables that are
-- not partitioned: `case_keys` (a report's idempotency key and its tracking number) and
-- `step_keys` (a workflow step's idempotency key within its case). A BEFORE INSERT trigger on
-- each partitioned table writes the key row before the case or the event, in the same statement
-- and transaction, so a retried or concurrent duplicate fails with the same unique violation as
-- before and the store still turns it into a replay (store/cases.rs, cases/step.rs), whichever
-- month the retry's own id falls in. Every writer (intake, the batch writer, Open311, the hotline,
-- sensors, the seed) goes through the triggers without knowing about them.
--
-- Both tables are partitioned by range of their own `id`: ids are UUIDv7, whose text sorts by
-- creation time, so a month is a range of ids, a look-up by id prunes to one partition, and the
-- foreign keys to `cases (id)` stay as they were. A DEFAULT partition takes any row outside the
-- months created (an id of another shape, a clock far ahead), so no write is ever refused.
-- `gridline_month_partitions` creates months; the server calls it at start and daily
-- (jobs/partitions.rs), and the seed for the months it writes.

-- The UUIDv7 text at which `at` (UTC) begins: its 48-bit millisecond time, then zeros, the lowest
-- id of that millisecond.
CREATE FUNCTION gridline_uuid7_floor(at timestamp) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
    SELECT substr(hex, 1, 8) || '-' || substr(hex, 9, 4) || '-0000-0000-000000000000'
    FROM (SELECT lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') AS hex) AS ms
$$;

-- The month (UTC) a UUIDv7 text was minted in; NULL for any other text.
CREATE FUNCTION gridline_uuid7_month(id text) RETURNS timestamp
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
    SELECT CASE WHEN id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7' THEN date_trunc('month', to_timestamp(
        ('x' || lpad(replace(substr(id, 1, 13), '-', ''), 16, '0'))::bit(64)::bigint / 1000.0
    ) AT TIME ZONE 'UTC') END
$$;

-- Creates the monthly partitions of both tables for `months` months from the month of `first`,
-- skipping those that exist, and returns how many tables it created. Two nodes calling it at once
-- take turns on a transaction-scoped advisory lock ("GLPM"), so the second finds the first's
-- tables instead of failing on them. A month whose range already holds rows in the DEFAULT
-- partition is left out with a warning: PostgreSQL refuses to create a partition over rows the
-- default holds, and those rows stay where they are, found like any other.
CREATE FUNCTION gridline_month_partitions(first timestamp, months integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    created integer := 0;
    month_start timestamp;
    lo text;
    hi text;
    parent text;
    name text;
    taken boolean;
BEGIN
    PERFORM pg_advisory_xact_lock(1196183629);
    FOR i IN 0 .. months - 1 LOOP
        month_start := date_trunc('month', first) + make_interval(months => i);
        lo := gridline_uuid7_floor(month_start);
        hi := gridline_uuid7_floor(month_start + interval '1 month');
        FOREACH parent IN ARRAY ARRAY['cases', 'case_events'] LOOP
            name := parent || '_' || to_char(month_start, 'YYYY_MM');
            CONTINUE WHEN to_regclass(name) IS NOT NULL;
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id >= %L AND id < %L)',
                           parent || '_default', lo, hi) INTO taken;
            IF taken THEN
                RAISE WARNING 'partition % not created: the default partition holds rows of that month',
                    name;
                CONTINUE;
            END IF;
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           name, parent, lo, hi);
            created := created + 1;
        END LOOP;
    END LOOP;
    RETURN created;
END;
$$;

-- The keys, filled from the rows already stored.
CREATE TABLE case_keys (
    idempotency_key text PRIMARY KEY,
    tracking_number text NOT NULL UNIQUE,
    -- No foreign key: the key row is written before its case, by the case's own insert.
    case_id text NOT NULL
);
INSERT INTO case_keys (idempotency_key, tracking_number, case_id)
SELECT idempotency_key, tracking_number, id FROM cases;

CREATE TABLE step_keys (
    case_id text NOT NULL,
    idempotency_key text NOT NULL,
    PRIMARY KEY (case_id, idempotency_key)
);
INSERT INTO step_keys (case_id, idempotency_key)
SELECT case_id, idempotency_key FROM case_events WHERE idempotency_key IS NOT NULL;

CREATE FUNCTION case_keys_claim() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO case_keys (idempotency_key, tracking_number, case_id)
    VALUES (NEW.idempotency_key, NEW.tracking_number, NEW.id);
    RETURN NEW;
END;
$$;

CREATE FUNCTION step_keys_claim() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO step_keys (case_id, idempotency_key) VALUES (NEW.case_id, NEW.idempotency_key);
    RETURN NEW;
END;
$$;

-- The old tables step aside; what points at `cases` is dropped now and recreated below.
ALTER TABLE case_photos DROP CONSTRAINT case_photos_case_id_fkey;
ALTER TABLE hotline_calls DROP CONSTRAINT hotline_calls_case_id_fkey;
ALTER TABLE open311_requests DROP CONSTRAINT open311_requests_case_id_fkey;
ALTER TABLE sensor_groups DROP CONSTRAINT sensor_groups_case_id_fkey;
ALTER TABLE case_events RENAME TO case_events_unpartitioned;
ALTER TABLE cases RENAME TO cases_unpartitioned;

-- Same columns in the same order (schema.rs does not change), defaults and NOT NULLs included.
CREATE TABLE cases (LIKE cases_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (id);
CREATE TABLE case_events (LIKE case_events_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (id);
CREATE TABLE cases_default PARTITION OF cases DEFAULT;
CREATE TABLE case_events_default PARTITION OF case_events DEFAULT;

-- The months of the stored rows (within reason: an id claiming a far-off time goes to the
-- default), then this month and the next three.
DO $$
DECLARE
    this_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    oldest timestamp;
    newest timestamp;
BEGIN
    SELECT min(m), max(m) INTO oldest, newest FROM (
        SELECT gridline_uuid7_month(id) AS m FROM cases_unpartitioned
        UNION ALL
        SELECT gridline_uuid7_month(id) FROM case_events_unpartitioned
    ) AS months
    WHERE m BETWEEN this_month - interval '20 years' AND this_month + interval '1 year';
    IF oldest IS NOT NULL THEN
        PERFORM gridline_month_partitions(oldest, (extract(year FROM age(newest, oldest)) * 12
            + extract(month FROM age(newest, oldest)))::integer + 1);
    END IF;
    PERFORM gridline_month_partitions(this_month, 4);
END;
$$;

INSERT INTO cases SELECT * FROM cases_unpartitioned;
INSERT INTO case_events SELECT * FROM case_events_unpartitioned;
DROP TABLE case_events_unpartitioned;
DROP TABLE cases_unpartitioned;

ALTER TABLE cases ADD CONSTRAINT cases_pkey PRIMARY KEY (id);
ALTER TABLE case_events ADD CONSTRAINT case_events_pkey PRIMARY KEY (id);

-- Look-ups by these two go to each partition's index; uniqueness is case_keys' (above).
CREATE INDEX cases_idempotency_key ON cases (idempotency_key);
CREATE INDEX cases_tracking_number ON cases (tracking_number);
CREATE INDEX cases_by_verifier ON cases (verifier_id) WHERE (verifier_id IS NOT NULL);
CREATE INDEX cases_created_idx ON cases (created_at, id)
    INCLUDE (category_code, channel, urgency, overdue, handling_unit, grid_code);
CREATE INDEX cases_deadline ON cases (deadline);
CREATE INDEX cases_district_newest ON cases (district_code, created_at, id)
    INCLUDE (category_code, channel, urgency, overdue, handling_unit, grid_code);
CREATE INDEX cases_district_state ON cases (district_code, state, created_at, id);
CREATE INDEX cases_duplicate_search ON cases (category_code, created_at);
CREATE INDEX cases_grid ON cases (grid_code);
CREATE INDEX cases_open_by_grid ON cases (state, grid_code, overdue);
CREATE INDEX cases_overdue_scan ON cases (overdue, deadline);
CREATE INDEX cases_reporter ON cases (reporter_id, created_at);
CREATE INDEX cases_state_newest ON cases (state, created_at, id);
CREATE INDEX cases_street_deadline ON cases (street_code, deadline);
CREATE INDEX cases_street_newest ON cases (street_code, created_at, id)
    INCLUDE (category_code, channel, urgency, overdue, handling_unit, grid_code);
CREATE INDEX cases_street_state ON cases (street_code, state, created_at, id);
CREATE INDEX cases_unit_newest ON cases (handling_unit, created_at, id);

CREATE INDEX case_events_case ON case_events (case_id, occurred_at);
CREATE INDEX case_events_flagged_to_district ON case_events (case_id) WHERE (kind = 'flagged_to_district');
-- Unique in step_keys (above); this one serves the replay's look-up.
CREATE INDEX case_events_idempotency ON case_events (case_id, idempotency_key);
-- Unique across partitions without an index saying so: every event writer numbers its events as
-- MAX(seq) + 1 while it holds the event advisory lock (store/events.rs), one writer at a time.
-- This index serves that MAX and the cursor reads (seq > n ORDER BY seq).
CREATE INDEX case_events_seq ON case_events (seq);

ALTER TABLE case_events ADD CONSTRAINT case_events_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);
ALTER TABLE case_photos ADD CONSTRAINT case_photos_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);
ALTER TABLE hotline_calls
    ADD CONSTRAINT hotline_calls_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);
ALTER TABLE open311_requests
    ADD CONSTRAINT open311_requests_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);
ALTER TABLE sensor_groups
    ADD CONSTRAINT sensor_groups_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);

CREATE TRIGGER case_keys_claim BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION case_keys_claim();
CREATE TRIGGER step_keys_claim BEFORE INSERT ON case_events
    FOR EACH ROW WHEN (NEW.idempotency_key IS NOT NULL) EXECUTE FUNCTION step_keys_claim();
CREATE TRIGGER case_search_report AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION case_search_report();
CREATE TRIGGER case_search_step AFTER INSERT ON case_events
    FOR EACH ROW WHEN ((COALESCE(NEW.note, '') <> '') OR (COALESCE(NEW.reason, '') <> ''))
    EXECUTE FUNCTION case_search_step();
