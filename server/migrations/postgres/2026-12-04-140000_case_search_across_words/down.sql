CREATE OR REPLACE FUNCTION case_search_grams(body text) RETURNS text[] AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT substr(lower(body), n, 2) AS g FROM generate_series(1, length(body) - 1) AS n) AS pieces
    WHERE g !~ '\s'
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000;

REINDEX INDEX case_search_grams;
