-- The foreign keys that name a case check it in `case_keys`, not in the partitioned `cases`.
--
-- Every case has exactly one `case_keys` row, written by the case's own insert (the trigger
-- `case_keys_claim`, in the same statement), and no case is ever deleted, so a case id is in
-- one table exactly when it is in the other. A check against `cases` is a query over its
-- monthly partitions, whose cost grows with their number: at ten million cases (17 partitions)
-- an event's check took 0.031 ms against 0.0075 on an empty city (5), which was most of the
-- difference in the events' insert at saturation (docs/benchmarks.md, "Ten million cases on
-- PostgreSQL"), and a city adds a partition a month. `case_keys` is one table: the check is
-- one probe of this index, however long the city's history.
ALTER TABLE case_keys ADD CONSTRAINT case_keys_case_id_key UNIQUE (case_id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['case_events', 'case_photos', 'hotline_calls', 'open311_requests', 'sensor_groups']
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_case_id_fkey');
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (case_id) REFERENCES case_keys (case_id)',
                       t, t || '_case_id_fkey');
    END LOOP;
END;
$$;
