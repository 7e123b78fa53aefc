-- Back to the b-tree of (bigram, body) postings of `case_search_across_words`, rebuilt from the
-- bodies.
DROP TRIGGER case_search_grams;
DROP TABLE case_search_grams;

CREATE TABLE case_search_grams (
    gram TEXT NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (gram, doc)
) WITHOUT ROWID;

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
INSERT OR IGNORE INTO case_search_grams (gram, doc)
SELECT '', id FROM case_search WHERE length(body) > (SELECT max(n) FROM case_search_positions);
