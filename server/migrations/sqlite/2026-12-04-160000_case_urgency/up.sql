-- How soon each case must be handled (normal, urgent, very_urgent: core's workflow::Urgency),
-- fixed when the case is filed from its way in: a 12345 call's urgency, a sensor alarm group's
-- highest severity, `normal` for every report from a person. Cases filed before it was
-- recorded are normal, except a hotline order, which takes the urgency of the call that made it
-- (a call linked to an existing case made none). A sensor case filed before stays normal: the
-- mapping from severity is core's rule, not repeated here. Every insert names the column.
ALTER TABLE cases ADD COLUMN urgency TEXT NOT NULL DEFAULT 'normal';
UPDATE cases SET urgency = (
    SELECT hotline_calls.urgency FROM hotline_calls
    WHERE hotline_calls.case_id = cases.id AND NOT hotline_calls.linked
    ORDER BY hotline_calls.created_at LIMIT 1
)
WHERE channel = 'hotline' AND EXISTS (
    SELECT 1 FROM hotline_calls WHERE hotline_calls.case_id = cases.id AND NOT hotline_calls.linked
);
