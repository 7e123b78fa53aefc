DROP INDEX cases_by_verifier;
ALTER TABLE cases DROP COLUMN verifier_id;
