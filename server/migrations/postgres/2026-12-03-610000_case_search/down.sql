DROP TRIGGER case_search_step ON case_events;
DROP TRIGGER case_search_report ON cases;
DROP FUNCTION case_search_step();
DROP FUNCTION case_search_report();
DROP TABLE case_search;
