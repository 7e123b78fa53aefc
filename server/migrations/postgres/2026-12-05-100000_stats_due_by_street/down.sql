DROP INDEX cases_deadline;
DROP INDEX cases_street_deadline;
