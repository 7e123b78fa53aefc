CREATE INDEX cases_idempotency_key ON cases (idempotency_key);
CREATE INDEX case_events_idempotency ON case_events (case_id, idempotency_key);
