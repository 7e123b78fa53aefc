-- The case search's bigram postings move from a b-tree of (bigram, body) rows into an FTS5
-- index of the same bigrams, so the intake writes each commit's postings once, together.
--
-- Why: in the b-tree every report's 40-odd bigrams went each into its own place, the end of
-- that bigram's postings; once the city is large those are 40-odd pages a report that a commit
-- rewrites in the WAL and a checkpoint copies into the file again (376 of a commit's 588 WAL
-- frames at a million cases, docs/benchmarks.md). FTS5 keeps a transaction's postings in memory
-- and writes them at its end as one small sorted segment, and merges segments a little at a
-- time (its automerge), so a commit writes a few pages whatever the city's size.
--
-- What is indexed is unchanged: every two-character piece of the body, lower-cased (ASCII, as
-- SQLite's lower()), with its whitespace taken out first, and bodies longer than the positions
-- table filed under a token of their own that every search reads. Each bigram is written as the
-- hex of its UTF-8 bytes, one token each, so FTS5's tokenizer never splits or folds a bigram of
-- punctuation or Chinese: `ascii` splits on the spaces between them only. `x` (not a hex digit)
-- is the token of the bodies too long to index. Contentless (the bodies are in case_search,
-- whose integer key is the rowid; nothing deletes a body, and a posting of a missing body would
-- only name a candidate that is not there), no positions or sizes: a search only asks which
-- bodies hold a bigram. store/case_search.rs builds the same tokens from a search term.
DROP TRIGGER case_search_grams;
DROP TABLE case_search_grams;

CREATE VIRTUAL TABLE case_search_grams USING fts5(
    grams, content = '', columnsize = 0, detail = none, tokenize = 'ascii'
);

CREATE TRIGGER case_search_grams AFTER INSERT ON case_search BEGIN
    INSERT INTO case_search_grams (rowid, grams)
    SELECT NEW.id,
           coalesce((SELECT group_concat(hex(substr(s.joined, n, 2)), ' ') FROM case_search_positions
                      WHERE n < length(s.joined)), '')
           || CASE WHEN length(NEW.body) > (SELECT max(n) FROM case_search_positions) THEN ' x' ELSE '' END
    FROM (SELECT replace(replace(replace(replace(lower(NEW.body), ' ', ''), char(9), ''), char(10), ''),
                         char(13), '') AS joined) AS s;
END;

INSERT INTO case_search_grams (rowid, grams)
SELECT s.id,
       coalesce((SELECT group_concat(hex(substr(s.joined, n, 2)), ' ') FROM case_search_positions
                  WHERE n < length(s.joined)), '')
       || CASE WHEN length(s.body) > (SELECT max(n) FROM case_search_positions) THEN ' x' ELSE '' END
FROM (SELECT id, body, replace(replace(replace(replace(lower(body), ' ', ''), char(9), ''), char(10), ''),
                               char(13), '') AS joined
      FROM case_search) AS s;

-- One segment for what was there before, instead of the many the load leaves.
INSERT INTO case_search_grams (case_search_grams) VALUES ('optimize');
