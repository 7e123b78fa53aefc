DROP INDEX cases_created_idx;
CREATE INDEX cases_created_idx ON cases (created_at, id);
DROP INDEX cases_district_newest;
CREATE INDEX cases_district_newest ON cases (district_code, created_at, id);
DROP INDEX cases_street_newest;
CREATE INDEX cases_street_newest ON cases (street_code, created_at, id);
