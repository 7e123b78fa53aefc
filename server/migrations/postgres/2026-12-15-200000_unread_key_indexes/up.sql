-- Two indexes of the monthly partitions that no PostgreSQL read uses, each written with every
-- row (at a million cases 79 MB and 158 MB, and an index entry for every case and event):
-- - `cases_idempotency_key`: a report's key is looked up in `case_keys` (store::partitions,
--   one probe of its primary key), which also keeps it unique; only SQLite reads `cases` by it.
-- - `case_events_idempotency`: a step's key is unique in `step_keys`; the replay's look-up of
--   the event a key recorded reads the case's few events by `case_events_case` and tests the
--   key on them, one probe per partition as before. Most events carry no key at all.
DROP INDEX cases_idempotency_key;
DROP INDEX case_events_idempotency;
