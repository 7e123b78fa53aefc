ALTER TABLE cases DROP COLUMN confirm_requested_at;
