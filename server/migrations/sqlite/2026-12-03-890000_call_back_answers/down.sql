DROP INDEX hotline_calls_created;
ALTER TABLE callback_tasks DROP COLUMN resolved;
ALTER TABLE cases DROP COLUMN called_back_at;
