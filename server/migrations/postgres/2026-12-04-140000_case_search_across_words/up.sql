-- The case search's bigrams also span the whitespace between words: a body is indexed as if
-- its whitespace were taken out ("seeded manhole" gives ..., "dm", ...), so a phrase of common
-- words ("seeded manhole", "street lamp") is narrowed by the rare bigram that joins them
-- instead of walking every case. A body that holds the phrase holds its words side by side
-- with one space between, so it holds every one of these bigrams too: the index still names a
-- superset, and store/case_search.rs still checks each candidate with ILIKE. The same bigrams
-- as SQLite's triggers write. The function changes, so its index is built again.
CREATE OR REPLACE FUNCTION case_search_grams(body text) RETURNS text[] AS $$
    SELECT coalesce(array_agg(DISTINCT substr(joined, n, 2)), '{}')
    FROM (SELECT regexp_replace(lower(body), '\s', '', 'g') AS joined) AS s,
         generate_series(1, length(joined) - 1) AS n
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000;

REINDEX INDEX case_search_grams;
