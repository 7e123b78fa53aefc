DROP TRIGGER case_search_grams;
DROP TABLE case_search_grams;
DROP TABLE case_search_positions;
