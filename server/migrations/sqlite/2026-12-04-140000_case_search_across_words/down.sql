-- Back to bigrams within words only. The postings across words stay: a superset is harmless,
-- every candidate is checked with LIKE.
DROP TRIGGER case_search_grams;

CREATE TRIGGER case_search_grams AFTER INSERT ON case_search BEGIN
    INSERT OR IGNORE INTO case_search_grams (gram, doc)
    SELECT substr(lower(NEW.body), n, 2), NEW.id FROM case_search_positions
    WHERE n < length(NEW.body)
      AND instr(substr(NEW.body, n, 2), ' ') = 0 AND instr(substr(NEW.body, n, 2), char(9)) = 0
      AND instr(substr(NEW.body, n, 2), char(10)) = 0 AND instr(substr(NEW.body, n, 2), char(13)) = 0;
    INSERT OR IGNORE INTO case_search_grams (gram, doc)
    SELECT '', NEW.id WHERE length(NEW.body) > (SELECT max(n) FROM case_search_positions);
END;
