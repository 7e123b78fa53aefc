-- A real index for the case search (GET /api/v1/cases?q=): a GIN index over the set of
-- two-character pieces (bigrams) of each search body, lower-cased, with the pieces that hold
-- whitespace left out. The trigram index it replaces could not answer a term of two
-- characters, and the most common Chinese search words have two (井盖, 垃圾, 路灯): those
-- scanned every body. store/case_list.rs asks `case_search_grams(body) @> ARRAY[the term's
-- bigrams]` and still checks every candidate with the same ILIKE, so the results are exactly
-- the ILIKE's. GIN keeps each bigram's posting list compressed, and intersects the lists itself.
-- The same bigrams as SQLite's case_search_grams table, stored the way each database does best.
-- The function is immutable (lower() follows the database's collation, fixed at creation),
-- and costly, as it is: the planner then reads the index rather than computing it on every body.
-- Not in schema.rs, as case_search is not: read through SQL fragments only.
CREATE FUNCTION case_search_grams(body text) RETURNS text[] AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT substr(lower(body), n, 2) AS g FROM generate_series(1, length(body) - 1) AS n) AS pieces
    WHERE g !~ '\s'
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000;

CREATE INDEX case_search_grams ON case_search USING gin (case_search_grams(body));
-- The list walks cases newest first and checks each one's bodies when a term is common.
CREATE INDEX case_search_case ON case_search (case_id);
DROP INDEX case_search_body;
