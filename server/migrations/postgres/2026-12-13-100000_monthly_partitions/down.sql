-- Back to one table each for `cases` and `case_events`, with their unique constraints restored
-- from the key tables' guarantees, every row kept.

ALTER TABLE case_photos DROP CONSTRAINT case_photos_case_id_fkey;
ALTER TABLE hotline_calls DROP CONSTRAINT hotline_calls_case_id_fkey;
ALTER TABLE open311_requests DROP CONSTRAINT open311_requests_case_id_fkey;
ALTER TABLE sensor_groups DROP CONSTRAINT sensor_groups_case_id_fkey;
ALTER TABLE case_events RENAME TO case_events_partitioned;
ALTER TABLE cases RENAME TO cases_partitioned;

CREATE TABLE cases (LIKE cases_partitioned INCLUDING DEFAULTS);
CREATE TABLE case_events (LIKE case_events_partitioned INCLUDING DEFAULTS);
INSERT INTO cases SELECT * FROM cases_partitioned;
INSERT INTO case_events SELECT * FROM case_events_partitioned;
DROP TABLE case_events_partitioned;
DROP TABLE cases_partitioned;
DROP TABLE step_keys;
DROP TABLE case_keys;
DROP FUNCTION step_keys_claim();
DROP FUNCTION case_keys_claim();
DROP FUNCTION gridline_month_partitions(timestamp, integer);
DROP FUNCTION gridline_uuid7_month(text);
DROP FUNCTION gridline_uuid7_floor(timestamp);

ALTER TABLE cases ADD CONSTRAINT cases_pkey PRIMARY KEY (id);
ALTER TABLE cases ADD CONSTRAINT cases_idempotency_key_key UNIQUE (idempotency_key);
ALTER TABLE cases ADD CONSTRAINT cases_tracking_number_key UNIQUE (tracking_number);
ALTER TABLE case_events ADD CONSTRAINT case_events_pkey PRIMARY KEY (id);

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
CREATE UNIQUE INDEX case_events_idempotency ON case_events (case_id, idempotency_key);
CREATE UNIQUE INDEX case_events_seq ON case_events (seq);

ALTER TABLE case_events ADD CONSTRAINT case_events_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);
ALTER TABLE case_photos ADD CONSTRAINT case_photos_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);
ALTER TABLE hotline_calls
    ADD CONSTRAINT hotline_calls_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);
ALTER TABLE open311_requests
    ADD CONSTRAINT open311_requests_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);
ALTER TABLE sensor_groups
    ADD CONSTRAINT sensor_groups_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id);

CREATE TRIGGER case_search_report AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION case_search_report();
CREATE TRIGGER case_search_step AFTER INSERT ON case_events
    FOR EACH ROW WHEN ((COALESCE(NEW.note, '') <> '') OR (COALESCE(NEW.reason, '') <> ''))
    EXECUTE FUNCTION case_search_step();
