-- 指派核查: the inspector account a handled case's verification was given to by the street
-- office (the `assign_verifier` step), when the case's cell has no inspector or none free.
-- That inspector then sees the case and may verify it on site as the cell's own inspectors
-- may; NULL for every case left to its cell's inspectors. Written only by workflow steps.
ALTER TABLE cases ADD COLUMN verifier_id TEXT;
-- An inspector's work list and scope read the cases given to them.
CREATE INDEX cases_by_verifier ON cases (verifier_id) WHERE verifier_id IS NOT NULL;
