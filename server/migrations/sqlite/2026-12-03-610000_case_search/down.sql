DROP TRIGGER case_search_step;
DROP TRIGGER case_search_report;
DROP TABLE case_search;
