-- The case search's bigrams also span the whitespace between words: a body is indexed as if
-- its spaces, tabs and line breaks were taken out ("seeded manhole" gives ..., "dm", ...), so
-- a phrase of common words ("seeded manhole", "street lamp") is narrowed by the rare bigram
-- that joins them instead of walking every case. A body that holds the phrase holds its words
-- side by side with one space between, so it holds every one of these bigrams too: the index
-- still names a superset, and store/case_search.rs still checks each candidate with LIKE.
-- The bigrams within words are the same as before, so the existing postings stay; only the
-- ones across words are added (INSERT OR IGNORE skips the rest).
DROP TRIGGER case_search_grams;

CREATE TRIGGER case_search_grams AFTER INSERT ON case_search BEGIN
    INSERT OR IGNORE INTO case_search_grams (gram, doc)
    SELECT substr(s.joined, n, 2), NEW.id
    FROM (SELECT replace(replace(replace(replace(lower(NEW.body), ' ', ''), char(9), ''), char(10), ''),
                         char(13), '') AS joined) AS s, case_search_positions
    WHERE n < length(s.joined);
    INSERT OR IGNORE INTO case_search_grams (gram, doc)
    SELECT '', NEW.id WHERE length(NEW.body) > (SELECT max(n) FROM case_search_positions);
END;

INSERT OR IGNORE INTO case_search_grams (gram, doc)
SELECT substr(s.joined, n, 2), s.id
FROM (SELECT id, replace(replace(replace(replace(lower(body), ' ', ''), char(9), ''), char(10), ''),
                         char(13), '') AS joined
      FROM case_search) AS s, case_search_positions
WHERE n < length(s.joined);
