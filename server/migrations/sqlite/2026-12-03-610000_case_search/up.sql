-- Full-text search over cases (GET /api/v1/cases?q=): one row per report (its tracking
-- number, description and answers) and one per step that carries a note or a reason, searched
-- with `body LIKE '%term%'` (no word segmentation, so Chinese works as English does).
-- Kept by triggers, so every writer (the intake writer's batches, steps, imports) feeds it.
-- Not in schema.rs: it is read through SQL fragments only (store/case_list.rs).
-- A plain table, not FTS5: with an FTS5 table written by these triggers, concurrent intake and
-- steps were refused at once with "database is locked" (tests intake::concurrent_duplicates_*
-- and workflow::concurrent_steps_*), which the busy timeout does not cover. `LIKE '%term%'`
-- then scans this table (one short row per report or noted step) instead of an index.
CREATE TABLE case_search (case_id TEXT NOT NULL, body TEXT NOT NULL);
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

INSERT INTO case_search (case_id, body)
SELECT id, tracking_number || ' ' || description || ' ' || answers FROM cases;
INSERT INTO case_search (case_id, body)
SELECT case_id, trim(coalesce(note, '') || ' ' || coalesce(reason, '')) FROM case_events
WHERE coalesce(note, '') <> '' OR coalesce(reason, '') <> '';
