DROP INDEX cases_duplicate_search;
DROP INDEX cases_overdue_scan;
