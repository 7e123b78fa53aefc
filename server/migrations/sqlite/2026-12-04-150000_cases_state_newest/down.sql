DROP INDEX cases_state_newest;
DROP INDEX cases_district_state;
DROP INDEX cases_street_state;
CREATE INDEX cases_street_state ON cases (street_code, state);
DROP INDEX cases_created_idx;
CREATE INDEX cases_created_idx ON cases (created_at);
