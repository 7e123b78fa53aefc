-- The SHA-256 of the request that recorded a workflow step, so that a replay of its
-- Idempotency-Key with a different body is refused instead of answered as the first one.
ALTER TABLE case_events ADD COLUMN request_sha256 TEXT;
