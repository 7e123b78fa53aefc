-- A real index for the case search (GET /api/v1/cases?q=): every two-character piece (bigram)
-- of each search body, lower-cased, with the pieces that hold whitespace left out, so a term
-- of two characters or more (井盖, manhole, part of a tracking number) finds its few bodies
-- through the rarest of its bigrams instead of a scan with LIKE. Bigrams, not trigrams, because
-- the most common Chinese search words have two characters. store/case_list.rs reads it and
-- still checks every candidate with the same LIKE, so the results are exactly the LIKE's.
--
-- case_search is rebuilt with an explicit INTEGER PRIMARY KEY: the postings name a body by that
-- key (8 bytes at most, not a 36-character case id), and VACUUM may renumber a plain rowid.
-- Kept by triggers (in SQL, so every writer feeds it: the intake writer's batches, steps,
-- imports, the seed). SQLite triggers cannot use WITH, so the positions of a body come from a
-- small table of numbers; a body longer than it (no report or note is, today) is filed under
-- the empty bigram, which every search reads as a candidate, so nothing is ever missed.
-- Not in schema.rs, as case_search is not: all three tables are read through SQL fragments only.
DROP TRIGGER case_search_report;
DROP TRIGGER case_search_step;
ALTER TABLE case_search RENAME TO case_search_before_grams;
DROP INDEX case_search_case;

CREATE TABLE case_search (id INTEGER PRIMARY KEY, case_id TEXT NOT NULL, body TEXT NOT NULL);

CREATE TABLE case_search_positions (n INTEGER PRIMARY KEY);
INSERT INTO case_search_positions (n)
WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 16384) SELECT n FROM p;

-- WITHOUT ROWID: the key is the whole row, one b-tree and no second copy.
CREATE TABLE case_search_grams (
    gram TEXT NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (gram, doc)
) WITHOUT ROWID;

CREATE TRIGGER case_search_grams AFTER INSERT ON case_search BEGIN
    INSERT OR IGNORE INTO case_search_grams (gram, doc)
    SELECT substr(lower(NEW.body), n, 2), NEW.id FROM case_search_positions
    WHERE n < length(NEW.body)
      AND instr(substr(NEW.body, n, 2), ' ') = 0 AND instr(substr(NEW.body, n, 2), char(9)) = 0
      AND instr(substr(NEW.body, n, 2), char(10)) = 0 AND instr(substr(NEW.body, n, 2), char(13)) = 0;
    INSERT OR IGNORE INTO case_search_grams (gram, doc)
    SELECT '', NEW.id WHERE length(NEW.body) > (SELECT max(n) FROM case_search_positions);
END;

INSERT INTO case_search (case_id, body) SELECT case_id, body FROM case_search_before_grams ORDER BY rowid;
DROP TABLE case_search_before_grams;
CREATE INDEX case_search_case ON case_search (case_id);

CREATE TRIGGER case_search_report AFTER INSERT ON cases BEGIN
    INSERT INTO case_search (case_id, body)
    VALUES (NEW.id, NEW.tracking_number || ' ' || NEW.description || ' ' || NEW.answers);
END;

CREATE TRIGGER case_search_step AFTER INSERT ON case_events
WHEN coalesce(NEW.note, '') <> '' OR coalesce(NEW.reason, '') <> '' BEGIN
    INSERT INTO case_search (case_id, body)
    VALUES (NEW.case_id, trim(coalesce(NEW.note, '') || ' ' || coalesce(NEW.reason, '')));
END;
