CREATE INDEX hotline_calls_created ON hotline_calls (created_at);
DROP INDEX hotline_calls_created_case;
