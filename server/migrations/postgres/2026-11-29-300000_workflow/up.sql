-- Workflow (PostgreSQL): the deadline, overdue flag, merge target and rating of a case, and the
-- audit fields of its events, with a gap-free event sequence number for incremental sync.

ALTER TABLE cases ADD COLUMN deadline TIMESTAMP;
ALTER TABLE cases ADD COLUMN overdue BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN merged_into TEXT;
ALTER TABLE cases ADD COLUMN rating INTEGER;

-- Assigned as MAX(seq) + 1 inside the writing transaction, under a transaction-scoped
-- advisory lock, so commit order is sequence order and a reader never skips an event committed later.
ALTER TABLE case_events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_events ADD COLUMN reason TEXT;
ALTER TABLE case_events ADD COLUMN accuracy_m DOUBLE PRECISION;
-- JSON array of photo ids; JSON object of the action's own facts (unit, deadline, target, rating).
ALTER TABLE case_events ADD COLUMN photo_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE case_events ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
-- The client's Idempotency-Key, so a retried action is answered once, not refused.
ALTER TABLE case_events ADD COLUMN idempotency_key TEXT;
UPDATE case_events SET seq = numbered.n
    FROM (SELECT id, row_number() OVER (ORDER BY occurred_at, id) AS n FROM case_events) AS numbered
    WHERE case_events.id = numbered.id;
CREATE UNIQUE INDEX case_events_seq ON case_events (seq);
CREATE UNIQUE INDEX case_events_idempotency ON case_events (case_id, idempotency_key);
