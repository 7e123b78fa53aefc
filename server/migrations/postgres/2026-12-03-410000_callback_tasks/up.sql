-- Call-backs (回访) due and done: one row per closing of a case whose reporter can be called
-- (a citizen's own, not anonymous, with a phone number), written in the closing step's
-- transaction, and completed in the call-back step's (server/src/store/callbacks.rs). The
-- answer is kept here and in the call-back's event, for the satisfaction rate.
CREATE TABLE callback_tasks (
    closing_event_id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    call_back_event_id TEXT,
    satisfaction TEXT,
    called_back_at TIMESTAMP
);
CREATE INDEX callback_tasks_open ON callback_tasks (closed_at) WHERE called_back_at IS NULL;
CREATE INDEX callback_tasks_case ON callback_tasks (case_id);
