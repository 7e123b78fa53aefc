ALTER TABLE open311_requests DROP COLUMN email_sealed;
