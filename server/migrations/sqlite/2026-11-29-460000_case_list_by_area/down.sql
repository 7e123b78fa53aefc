DROP INDEX cases_unit_newest;
DROP INDEX cases_district_newest;
DROP INDEX cases_street_newest;
