DROP INDEX cases_district_category;
DROP INDEX cases_street_category;
