-- Full-text search over cases (GET /api/v1/cases?q=): one index row per report (its tracking
-- number, description and answers) and one per step that carries a note or a reason. FTS5's
-- trigram tokenizer indexes every three-character run, so Chinese needs no word segmentation
-- and `body LIKE '%term%'` is answered from the index for terms of three characters or more.
-- Kept by triggers, so every writer (the intake writer's batches, steps, imports) feeds it.
-- Not in schema.rs: it is read through SQL fragments only (store/case_list.rs).
CREATE VIRTUAL TABLE case_search USING fts5(case_id UNINDEXED, body, tokenize = 'trigram');

CREATE TRIGGER case_search_report AFTER INSERT ON cases BEGIN
    INSERT INTO case_search (case_id, body)
    VALUES (NEW.id, NEW.tracking_number || ' ' || NEW.description || ' ' || NEW.answers);
END;

CREATE TRIGGER case_search_step AFTER INSERT ON case_events
WHEN coalesce(NEW.note, '') <> '' OR coalesce(NEW.reason, '') <> '' BEGIN
    INSERT INTO case_search (case_id, body)
    VALUES (NEW.case_id, trim(coalesce(NEW.note, '') || ' ' || coalesce(NEW.reason, '')));
END;

INSERT INTO case_search (case_id, body)
SELECT id, tracking_number || ' ' || description || ' ' || answers FROM cases;
INSERT INTO case_search (case_id, body)
SELECT case_id, trim(coalesce(note, '') || ' ' || coalesce(reason, '')) FROM case_events
WHERE coalesce(note, '') <> '' OR coalesce(reason, '') <> '';
