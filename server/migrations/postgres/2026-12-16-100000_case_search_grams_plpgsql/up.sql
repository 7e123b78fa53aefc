-- The case search's bigrams, computed by PL/pgSQL instead of an SQL function: the same bigrams,
-- five times faster. The SQL function ran its query through a new executor at every call and
-- sorted the bigrams by the database's collation: about 220 microseconds a body of 60
-- characters, where this one, whose query plan PL/pgSQL keeps for the session and whose sort
-- compares bytes, takes about 40. Every case and every step with a note computes it (intake,
-- the workflow, `gridline seed`, where it was a sixth of the database's time).
--
-- The whitespace taken out is now named: space, tab, line feed and carriage return, the four
-- SQLite's triggers take out, where the regular expression's `\s` also took form feeds,
-- vertical tabs and whatever else the database's locale calls a space. Either way the bigrams
-- of a matching search are in the body's (the search's text keeps no whitespace but single
-- spaces), so the index still names a superset of the matches; store/case_search.rs checks each
-- candidate with ILIKE. The function changes, so its index is built again.
CREATE OR REPLACE FUNCTION case_search_grams(body text) RETURNS text[] AS $$
DECLARE
    joined text := translate(lower(body), E' \t\n\r', '');
BEGIN
    RETURN ARRAY(SELECT DISTINCT substr(joined, n, 2) COLLATE "C"
                 FROM generate_series(1, length(joined) - 1) AS n);
END
$$ LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000;

REINDEX INDEX case_search_grams;
