CREATE OR REPLACE FUNCTION case_search_grams(body text) RETURNS text[] AS $$
    SELECT coalesce(array_agg(DISTINCT substr(joined, n, 2)), '{}')
    FROM (SELECT regexp_replace(lower(body), '\s', '', 'g') AS joined) AS s,
         generate_series(1, length(joined) - 1) AS n
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000;

REINDEX INDEX case_search_grams;
