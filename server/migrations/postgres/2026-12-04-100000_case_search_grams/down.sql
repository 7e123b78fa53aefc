CREATE INDEX case_search_body ON case_search USING gin (body gin_trgm_ops);
DROP INDEX case_search_case;
DROP INDEX case_search_grams;
DROP FUNCTION case_search_grams(text);
