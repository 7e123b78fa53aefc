-- Full-text search over cases (GET /api/v1/cases?q=): one index row per report (its tracking
-- number, description and answers) and one per step that carries a note or a reason, with a
-- pg_trgm GIN index, so `body ILIKE '%term%'` is answered from the index for terms of three
-- characters or more, Chinese included (trigrams need no word segmentation). Kept by
-- triggers, so every writer feeds it. Not in schema.rs: it is read through SQL fragments only
-- (store/case_list.rs).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE case_search (
    id BIGSERIAL PRIMARY KEY,
    case_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX case_search_body ON case_search USING gin (body gin_trgm_ops);

CREATE FUNCTION case_search_report() RETURNS trigger AS $$
BEGIN
    INSERT INTO case_search (case_id, body)
    VALUES (NEW.id, NEW.tracking_number || ' ' || NEW.description || ' ' || NEW.answers);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER case_search_report AFTER INSERT ON cases
FOR EACH ROW EXECUTE FUNCTION case_search_report();

CREATE FUNCTION case_search_step() RETURNS trigger AS $$
BEGIN
    INSERT INTO case_search (case_id, body)
    VALUES (NEW.case_id, trim(coalesce(NEW.note, '') || ' ' || coalesce(NEW.reason, '')));
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER case_search_step AFTER INSERT ON case_events
FOR EACH ROW WHEN (coalesce(NEW.note, '') <> '' OR coalesce(NEW.reason, '') <> '')
EXECUTE FUNCTION case_search_step();

INSERT INTO case_search (case_id, body)
SELECT id, tracking_number || ' ' || description || ' ' || answers FROM cases;
INSERT INTO case_search (case_id, body)
SELECT case_id, trim(coalesce(note, '') || ' ' || coalesce(reason, '')) FROM case_events
WHERE coalesce(note, '') <> '' OR coalesce(reason, '') <> '';
