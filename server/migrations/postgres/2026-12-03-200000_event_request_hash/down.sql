ALTER TABLE case_events DROP COLUMN request_sha256;
